//! `vouch verify-dir`: the `dir-mixed` folder fixture, folders built from the signature cases,
//! and agreement with `verify-blob` file by file.
#![expect(
    clippy::unwrap_used,
    clippy::panic,
    reason = "test helpers outside #[test] functions: a failed setup step fails the test"
)]

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;
use vouch_testdata::DirExpect;

use crate::verify_blob::{cli_snapshot, vouch};

/// `vouch verify-dir dir-mixed --key dir-mixed.pub`, run in `testdata/generated/`.
fn dir_mixed() -> Command {
    let (dir, key, _) = vouch_testdata::dir_case("dir-mixed");
    let generated = vouch_testdata::generated();
    let mut cmd = vouch(&generated);
    cmd.arg("verify-dir")
        .arg(dir.strip_prefix(&generated).unwrap())
        .arg("--key")
        .arg(key.strip_prefix(&generated).unwrap());
    cmd
}

fn json_of(cmd: &mut Command) -> (Option<i32>, Value) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    let json = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|err| panic!("{err}: {}", String::from_utf8_lossy(&out.stderr)));
    (out.status.code(), json)
}

#[test]
fn dir_mixed_text() {
    cli_snapshot!(dir_mixed());
}

#[test]
fn dir_mixed_require_signed() {
    cli_snapshot!(dir_mixed().arg("--require-signed"));
}

#[test]
fn dir_mixed_json() {
    cli_snapshot!(dir_mixed().args(["--output", "json"]));
}

#[test]
fn dir_mixed_json_require_signed() {
    cli_snapshot!(dir_mixed().args(["--output", "json", "--require-signed"]));
}

#[test]
fn dir_mixed_matches_its_expectations() {
    let (_, _, expected) = vouch_testdata::dir_case("dir-mixed");
    let (code, json) = json_of(dir_mixed().args(["--output", "json"]));
    assert_eq!(
        code,
        Some(1),
        "one file is modified, one signature has no data"
    );
    let found: BTreeMap<(Option<String>, Option<String>), String> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|file| {
            let name = |v: &Value| v.as_str().map(str::to_owned);
            let key = (name(&file["signature"]["file"]), name(&file["file"]));
            (key, file["verdict"].as_str().unwrap().to_owned())
        })
        .collect();
    let expected: BTreeMap<_, _> = expected
        .into_iter()
        .map(|entry| {
            let verdict = match entry.expect {
                DirExpect::Valid => "valid",
                DirExpect::Invalid => "invalid",
                DirExpect::DataFileNotFound => "missing-data",
                DirExpect::Unsigned => "unsigned",
            };
            ((entry.signature, entry.data), verdict.to_owned())
        })
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn output_does_not_depend_on_the_number_of_jobs() {
    let one = dir_mixed().args(["--jobs", "1"]).output().unwrap();
    for jobs in ["2", "3", "16"] {
        let many = dir_mixed().args(["--jobs", jobs]).output().unwrap();
        assert_eq!(one, many, "--jobs {jobs}");
    }
}

/// A copy of `dir-mixed` with only the files named, and its key as `key.pub` next to it.
fn dir_mixed_subset(files: &[&str]) -> tempfile::TempDir {
    let (dir, key, _) = vouch_testdata::dir_case("dir-mixed");
    let tmp = tempfile::tempdir().unwrap();
    fs::create_dir(tmp.path().join("downloads")).unwrap();
    for file in files {
        fs::copy(dir.join(file), tmp.path().join("downloads").join(file)).unwrap();
    }
    fs::copy(key, tmp.path().join("key.pub")).unwrap();
    tmp
}

fn verify_dir_in(tmp: &Path) -> Command {
    let mut cmd = vouch(tmp);
    cmd.args(["verify-dir", "downloads", "--key", "key.pub"]);
    cmd
}

const VALID_PAIRS: [&str; 8] = [
    "bundle.tar.sig.bin",
    "bundle.tar.zst",
    "disk.iso",
    "disk.iso.sig.bin",
    "notes.txt",
    "notes.txt.sig",
    "pack.sig.bin",
    "pack.zst",
];

#[test]
fn all_valid() {
    let tmp = dir_mixed_subset(&VALID_PAIRS);
    cli_snapshot!(verify_dir_in(tmp.path()));
}

#[test]
fn unsigned_files_fail_only_with_require_signed() {
    let mut files = VALID_PAIRS.to_vec();
    files.push("readme.txt");
    let tmp = dir_mixed_subset(&files);
    let out = verify_dir_in(tmp.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let out = verify_dir_in(tmp.path())
        .arg("--require-signed")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn no_signatures() {
    let tmp = dir_mixed_subset(&["readme.txt", "disk.iso"]);
    cli_snapshot!(verify_dir_in(tmp.path()));
}

#[test]
fn empty_folder() {
    let tmp = dir_mixed_subset(&[]);
    cli_snapshot!(verify_dir_in(tmp.path()));
}

#[test]
fn only_a_signature_without_data() {
    let tmp = dir_mixed_subset(&["orphan.tar.sig.bin"]);
    cli_snapshot!(verify_dir_in(tmp.path()));
}

#[test]
fn hidden_files_folders_keys_and_bundles_are_not_listed() {
    let tmp = dir_mixed_subset(&["disk.iso", "disk.iso.sig.bin"]);
    let downloads = tmp.path().join("downloads");
    fs::write(downloads.join(".hidden"), "x").unwrap();
    fs::write(downloads.join(".hidden.sig"), "x").unwrap();
    fs::create_dir(downloads.join("subfolder")).unwrap();
    fs::write(downloads.join("subfolder/inner.txt"), "x").unwrap();
    fs::write(downloads.join("vendor.pub"), "x").unwrap();
    fs::write(downloads.join("ca.pem"), "x").unwrap();
    fs::write(downloads.join("disk.iso.sigstore.json"), "{}").unwrap();
    fs::write(downloads.join("disk.iso.bundle"), "{}").unwrap();
    // The --key file itself, whatever its name, when it sits in the folder.
    fs::copy(
        tmp.path().join("key.pub"),
        downloads.join("signing-key.der"),
    )
    .unwrap();
    let mut cmd = vouch(tmp.path());
    cmd.args([
        "verify-dir",
        "downloads",
        "--key",
        "downloads/signing-key.der",
    ]);
    cli_snapshot!(cmd);
}

#[test]
fn a_malformed_signature_is_a_failed_entry() {
    let tmp = dir_mixed_subset(&["disk.iso", "disk.iso.sig.bin", "pack.zst"]);
    fs::write(
        tmp.path().join("downloads/pack.sig.bin"),
        "not a signature\n",
    )
    .unwrap();
    cli_snapshot!(verify_dir_in(tmp.path()));
}

#[test]
fn bad_key_exits_2_before_reading_the_folder() {
    let mut cmd = vouch(&vouch_testdata::root());
    cmd.args([
        "verify-dir",
        "no-such-folder",
        "--key",
        "generated/keys/private-pkcs8.test-only.pem",
    ]);
    cli_snapshot!(cmd);
}

#[test]
fn missing_folder() {
    let tmp = dir_mixed_subset(&[]);
    let mut cmd = vouch(tmp.path());
    cmd.args(["verify-dir", "no-such-folder", "--key", "key.pub"]);
    cli_snapshot!(cmd);
}

#[test]
fn jobs_must_be_positive() {
    cli_snapshot!(dir_mixed().args(["--jobs", "0"]));
}

#[test]
fn verify_dir_help() {
    cli_snapshot!(vouch(&vouch_testdata::generated()).args(["verify-dir", "--help"]));
}

/// Every signature case becomes a file `<case>` with signature `<case>.sig` in a folder per
/// key and digest; `verify-dir` must report for each exactly what `verify-blob` reports.
#[test]
fn verify_dir_agrees_with_verify_blob_on_every_case() {
    let tmp = tempfile::tempdir().unwrap();
    let mut folders: BTreeMap<(Vec<u8>, Option<&str>), Vec<vouch_testdata::Case>> = BTreeMap::new();
    for case in vouch_testdata::cases() {
        let digest = case.meta().digest.map(|d| d.id());
        folders
            .entry((case.key_bytes(), digest))
            .or_default()
            .push(case);
    }
    for (index, ((key, digest), cases)) in folders.iter().enumerate() {
        let folder = tmp.path().join(format!("folder{index}"));
        fs::create_dir(&folder).unwrap();
        fs::write(tmp.path().join(format!("key{index}.pub")), key).unwrap();
        for case in cases {
            fs::copy(case.artifact_path(), folder.join(&case.name)).unwrap();
            fs::copy(case.sig_path(), folder.join(format!("{}.sig", case.name))).unwrap();
        }
        let digest_args = digest.map(|d| ["--digest", d]);
        let mut cmd = vouch(tmp.path());
        cmd.args(["verify-dir", &format!("folder{index}")])
            .args(["--key", &format!("key{index}.pub"), "--output", "json"])
            .args(digest_args.iter().flatten());
        let (_, dir_json) = json_of(&mut cmd);
        let files = dir_json["files"].as_array().unwrap();
        assert_eq!(files.len(), cases.len());
        for file in files {
            let name = file["file"].as_str().unwrap();
            let mut cmd = vouch(tmp.path());
            cmd.args(["verify-blob", "--key", &format!("key{index}.pub")])
                .args(["--signature", &format!("folder{index}/{name}.sig")])
                .args(["--output", "json"])
                .args(digest_args.iter().flatten())
                .arg(format!("folder{index}/{name}"));
            let (_, blob_json) = json_of(&mut cmd);
            for field in ["verdict", "digest"] {
                assert_eq!(file[field], blob_json[field], "{name}: {field}");
            }
            let encoding = &file["signature"]["encoding"];
            assert_eq!(*encoding, blob_json["signature"]["encoding"], "{name}");
            // verify-blob's reason names the file first when the signature does not verify.
            let blob_reason = blob_json["reason"].as_str().unwrap_or_default();
            let dir_reason = file["reason"].as_str().unwrap_or_default();
            assert!(
                blob_reason.ends_with(dir_reason),
                "{name}: {blob_reason} / {dir_reason}"
            );
            assert_eq!(
                file["reason"].is_null(),
                blob_json["reason"].is_null(),
                "{name}"
            );
        }
    }
}
