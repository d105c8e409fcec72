//! `vouch verify-blob`: the verdict and exit code of every generated case (table-driven), and
//! snapshots of representative output.
//!
//! Commands run inside `testdata/generated/` (or a temporary folder) with relative paths, so the
//! paths in output and in the snapshots' metadata are the same on every machine.
//!
//! This module also holds the helpers `verify_dir` uses: [`vouch`], [`cli_snapshot!`].
#![expect(
    clippy::unwrap_used,
    reason = "test helpers outside #[test] functions: a failed setup step fails the test"
)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use vouch_testdata::{Case, Expect};

/// The `vouch` binary, run in `dir`, with the environment that changes clap's output removed.
pub(crate) fn vouch(dir: &Path) -> Command {
    let mut cmd = Command::new(insta_cmd::get_cargo_bin("vouch"));
    cmd.current_dir(dir)
        .env_remove("COLUMNS")
        .env_remove("CLICOLOR_FORCE");
    cmd
}

/// Filters for paths that differ between machines, should one reach the output.
pub(crate) fn filters() -> Vec<(String, &'static str)> {
    let tmp = std::env::temp_dir();
    let tmp = tmp.to_string_lossy();
    vec![
        (
            regex_escape(&vouch_testdata::root().to_string_lossy()),
            "[TESTDATA]",
        ),
        (
            format!(
                r"{}/?\.tmp[A-Za-z0-9_]+",
                regex_escape(tmp.trim_end_matches('/'))
            ),
            "[TMP]",
        ),
        (r"\\\\?".to_owned(), "/"),
        (r"vouch\.exe".to_owned(), "vouch"),
    ]
}

fn regex_escape(text: &str) -> String {
    text.chars()
        .flat_map(|c| {
            let escape = r"\.+*?()|[]{}^$#&-~".contains(c);
            escape.then_some('\\').into_iter().chain([c])
        })
        .collect()
}

/// `insta_cmd::assert_cmd_snapshot!` with [`filters`]: exit code, stdout and stderr.
macro_rules! cli_snapshot {
    ($($args:tt)+) => {{
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in $crate::verify_blob::filters() {
            settings.add_filter(&pattern, replacement);
        }
        settings.bind(|| insta_cmd::assert_cmd_snapshot!($($args)+));
    }};
}
pub(crate) use cli_snapshot;

/// `vouch verify-blob` over a case, run in `testdata/generated/`, with `--digest` as the case
/// was signed.
fn verify_case(case: &Case) -> Command {
    let mut cmd = verify_case_without_digest(case);
    if let Some(digest) = case.meta().digest.filter(|d| d.id() != "sha256") {
        cmd.args(["--digest", digest.id()]);
    }
    cmd
}

fn verify_case_without_digest(case: &Case) -> Command {
    let mut cmd = vouch(&vouch_testdata::generated());
    cmd.arg("verify-blob")
        .arg("--key")
        .arg(relative(&case.key_path()))
        .arg("--signature")
        .arg(relative(&case.sig_path()))
        .arg(relative(&case.artifact_path()));
    cmd
}

/// A fixture path relative to `testdata/generated/`.
fn relative(path: &Path) -> PathBuf {
    path.strip_prefix(vouch_testdata::generated())
        .unwrap_or(path)
        .to_owned()
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap()
}

fn expected_code(expect: Expect) -> i32 {
    match expect {
        Expect::Valid => 0,
        Expect::Invalid => 1,
        Expect::MalformedSignature => 2,
    }
}

fn text(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap()
}

// Table-driven: every case under testdata/generated/.

#[test]
fn every_case_gets_its_verdict_and_exit_code() {
    for case in vouch_testdata::cases() {
        let expect = case.meta().expect;
        let out = run(&mut verify_case(&case));
        let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
        let name = &case.name;
        assert_eq!(
            out.status.code(),
            Some(expected_code(expect)),
            "{name}: {stderr}"
        );
        match expect {
            Expect::Valid => {
                assert_eq!(stdout, "Verified OK\n", "{name}");
                assert_eq!(stderr, "", "{name}");
            }
            Expect::Invalid => {
                assert_eq!(stdout, "Verification failure\n", "{name}");
                assert_eq!(
                    stderr.lines().count(),
                    1,
                    "{name}: one line saying why: {stderr}"
                );
                let why = format!("error: {name}/artifact: signature does not verify: ");
                assert!(stderr.starts_with(&why), "{name}: {stderr}");
            }
            Expect::MalformedSignature => {
                assert_eq!(stdout, "", "{name}: no verdict for a malformed signature");
                let why = format!("error: {name}/artifact.sig: malformed signature: ");
                assert!(stderr.starts_with(&why), "{name}: {stderr}");
                assert!(stderr.contains("\nhint: "), "{name}: {stderr}");
            }
        }
    }
}

#[test]
fn every_case_reports_the_same_in_json() {
    for case in vouch_testdata::cases() {
        let meta = case.meta();
        let out = run(verify_case(&case).args(["--output", "json"]));
        let name = &case.name;
        assert_eq!(
            out.status.code(),
            Some(expected_code(meta.expect)),
            "{name}"
        );
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let verdict = match meta.expect {
            Expect::Valid => "valid",
            Expect::Invalid => "invalid",
            Expect::MalformedSignature => "error",
        };
        assert_eq!(json["verdict"], verdict, "{name}");
        assert_eq!(json["file"], format!("{name}/artifact"), "{name}");
        assert_eq!(json["signature"]["file"], format!("{name}/artifact.sig"));
        assert_eq!(json["key"]["algorithm"], meta.key_algorithm.id(), "{name}");
        let fingerprint = json["key"]["fingerprint"].as_str().unwrap();
        assert!(fingerprint.starts_with("sha256:"), "{name}");
        if meta.expect == Expect::MalformedSignature {
            // Nothing was decoded, so nothing was hashed.
            assert_eq!(json["digest"], serde_json::Value::Null, "{name}");
            assert_eq!(
                json["signature"]["encoding"],
                serde_json::Value::Null,
                "{name}"
            );
        } else {
            // Valid or not, the signature decoded: its encoding is reported. The digest only
            // beside a valid verdict: a script must never find one next to a failure.
            assert_eq!(json["signature"]["encoding"], meta.encoding.id(), "{name}");
            match meta.digest.filter(|_| meta.expect == Expect::Valid) {
                Some(digest) => {
                    assert_eq!(json["digest"]["algorithm"], digest.id(), "{name}");
                    let hex =
                        vouch_blob::Digest::of(digest.id().parse().unwrap(), &case.artifact())
                            .to_hex();
                    assert_eq!(json["digest"]["hex"], hex, "{name}");
                }
                None => assert_eq!(json["digest"], serde_json::Value::Null, "{name}"),
            }
        }
        assert_eq!(
            json["reason"].is_string(),
            meta.expect != Expect::Valid,
            "{name}"
        );
        // stderr is the same as with text output.
        let text_out = run(&mut verify_case(&case));
        assert_eq!(out.stderr, text_out.stderr, "{name}");
    }
}

#[test]
fn every_valid_case_verifies_from_standard_input() {
    for case in vouch_testdata::cases() {
        if case.meta().expect != Expect::Valid {
            continue;
        }
        let mut cmd = vouch(&vouch_testdata::generated());
        cmd.arg("verify-blob")
            .arg("--key")
            .arg(relative(&case.key_path()))
            .arg("--signature")
            .arg(relative(&case.sig_path()))
            .arg("-");
        if let Some(digest) = case.meta().digest {
            cmd.args(["--digest", digest.id()]);
        }
        let out = cmd
            .stdin(fs::File::open(case.artifact_path()).unwrap())
            .output()
            .unwrap();
        assert_eq!(text(&out.stdout), "Verified OK\n", "{}", case.name);
        assert_eq!(out.status.code(), Some(0), "{}", case.name);
    }
}

#[test]
fn every_valid_case_verifies_with_its_encoding_pinned_and_not_with_another() {
    for case in vouch_testdata::cases() {
        let meta = case.meta();
        if meta.expect != Expect::Valid {
            continue;
        }
        for format in ["der", "base64", "raw"] {
            let out = run(verify_case(&case).args(["--signature-format", format]));
            let expected = if format == meta.encoding.id() { 0 } else { 2 };
            assert_eq!(
                out.status.code(),
                Some(expected),
                "{} pinned to {format}: {}",
                case.name,
                text(&out.stderr)
            );
        }
    }
}

#[test]
fn every_case_signed_over_another_digest_is_diagnosed() {
    for case in vouch_testdata::cases() {
        let meta = case.meta();
        let Some(digest) = meta.digest.filter(|d| d.id() != "sha256") else {
            continue;
        };
        if meta.expect != Expect::Valid {
            continue;
        }
        let out = run(&mut verify_case_without_digest(&case));
        assert_eq!(out.status.code(), Some(1), "{}", case.name);
        assert_eq!(text(&out.stdout), "Verification failure\n");
        let hint = format!("; pass --digest {}\n", digest.id());
        assert!(text(&out.stderr).ends_with(&hint), "{}", text(&out.stderr));
    }
}

#[test]
fn every_rejected_key_exits_2_naming_the_file() {
    let p256 = vouch_testdata::case("p256-der");
    for (key, outcome) in vouch_testdata::key_rejections() {
        let key = key.strip_prefix(vouch_testdata::root()).unwrap().to_owned();
        let out = run(vouch(&vouch_testdata::root())
            .arg("verify-blob")
            .arg("--key")
            .arg(&key)
            .arg("--signature")
            .arg(p256.sig_path())
            .arg(p256.artifact_path()));
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", key.display());
        assert_eq!(text(&out.stdout), "", "{}", key.display());
        let named = format!("error: {}: ", key.display());
        assert!(stderr.starts_with(&named), "{outcome}: {stderr}");
    }
}

// Snapshots of representative output.

fn snapshot_case(case: &str) -> Command {
    verify_case(&vouch_testdata::case(case))
}

#[test]
fn valid_prints_verified_ok() {
    cli_snapshot!(snapshot_case("p256-der"));
}

#[test]
fn valid_base64_json() {
    cli_snapshot!(snapshot_case("p256-base64").args(["--output", "json"]));
}

#[test]
fn valid_ed25519_json_has_no_digest() {
    cli_snapshot!(snapshot_case("ed25519-raw").args(["--output", "json"]));
}

#[test]
fn tampered_says_why() {
    cli_snapshot!(snapshot_case("p256-tampered"));
}

#[test]
fn tampered_json() {
    cli_snapshot!(snapshot_case("p256-tampered").args(["--output", "json"]));
}

#[test]
fn wrong_key_names_the_key() {
    cli_snapshot!(snapshot_case("p256-wrong-key"));
}

#[test]
fn ed25519_tampered_does_not_mention_digests() {
    cli_snapshot!(snapshot_case("ed25519-tampered"));
}

#[test]
fn other_digest_is_diagnosed() {
    cli_snapshot!(verify_case_without_digest(&vouch_testdata::case(
        "p256-sha512"
    )));
}

#[test]
fn malformed_signatures() {
    for case in vouch_testdata::cases() {
        if case.meta().expect == Expect::MalformedSignature {
            cli_snapshot!(format!("malformed_{}", case.name), verify_case(&case));
        }
    }
}

#[test]
fn malformed_json() {
    cli_snapshot!(snapshot_case("p256-trailing-newline").args(["--output", "json"]));
}

#[test]
fn pinned_to_the_wrong_encoding() {
    cli_snapshot!(snapshot_case("p256-der").args(["--signature-format", "raw"]));
}

#[test]
fn der_pinned_for_an_ed25519_key() {
    cli_snapshot!(snapshot_case("ed25519-raw").args(["--signature-format", "der"]));
}

#[test]
fn digest_given_for_an_ed25519_key() {
    cli_snapshot!(snapshot_case("ed25519-raw").args(["--digest", "sha512"]));
}

#[test]
fn bad_keys() {
    let p256 = vouch_testdata::case("p256-der");
    for (key, _) in vouch_testdata::key_rejections() {
        let key = key.strip_prefix(vouch_testdata::root()).unwrap().to_owned();
        let stem = key.file_name().unwrap().to_string_lossy().replace('.', "_");
        let mut cmd = vouch(&vouch_testdata::root());
        cmd.arg("verify-blob")
            .arg("--key")
            .arg(&key)
            .arg("--signature")
            .arg(Path::new("generated").join(relative(&p256.sig_path())))
            .arg(Path::new("generated").join(relative(&p256.artifact_path())));
        cli_snapshot!(format!("bad_key_{stem}"), cmd);
    }
}

#[test]
fn bad_key_json() {
    let mut cmd = vouch(&vouch_testdata::root());
    cmd.args([
        "verify-blob",
        "--key",
        "generated/keys/private-sec1.test-only.pem",
        "--signature",
        "generated/p256-der/artifact.sig",
        "--output",
        "json",
        "generated/p256-der/artifact",
    ]);
    cli_snapshot!(cmd);
}

#[test]
fn cosign_private_key() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("cosign.key"),
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n\
         eyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9fQ==\n\
         -----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
    )
    .unwrap();
    fs::write(dir.path().join("artifact"), "data").unwrap();
    fs::write(dir.path().join("artifact.sig"), "MEUCIQ==").unwrap();
    let mut cmd = vouch(dir.path());
    cmd.args([
        "verify-blob",
        "--key",
        "cosign.key",
        "--signature",
        "artifact.sig",
        "artifact",
    ]);
    cli_snapshot!(cmd);
}

/// `verify-blob` in a copy of the `p256-der` case, where files can be removed.
fn p256_copy() -> tempfile::TempDir {
    let case = vouch_testdata::case("p256-der");
    let dir = tempfile::tempdir().unwrap();
    for file in ["key.pub", "artifact", "artifact.sig"] {
        fs::copy(case.path(file), dir.path().join(file)).unwrap();
    }
    dir
}

fn verify_in(dir: &Path, key: &str, sig: &str, file: &str) -> Command {
    let mut cmd = vouch(dir);
    cmd.args(["verify-blob", "--key", key, "--signature", sig, file]);
    cmd
}

#[test]
fn missing_key() {
    let dir = p256_copy();
    cli_snapshot!(verify_in(
        dir.path(),
        "missing.pub",
        "artifact.sig",
        "artifact"
    ));
}

#[test]
fn missing_signature() {
    let dir = p256_copy();
    cli_snapshot!(verify_in(dir.path(), "key.pub", "missing.sig", "artifact"));
}

#[test]
fn missing_file() {
    let dir = p256_copy();
    cli_snapshot!(verify_in(dir.path(), "key.pub", "artifact.sig", "missing"));
}

#[test]
fn missing_file_json() {
    let dir = p256_copy();
    cli_snapshot!(
        verify_in(dir.path(), "key.pub", "artifact.sig", "missing").args(["--output", "json"])
    );
}

#[test]
fn signature_and_file_swapped() {
    let dir = p256_copy();
    fs::write(dir.path().join("big"), vec![b'x'; 100_000]).unwrap();
    cli_snapshot!(verify_in(dir.path(), "key.pub", "big", "artifact.sig"));
}

#[test]
fn standard_input() {
    let artifact = fs::read(vouch_testdata::case("p256-der").artifact_path()).unwrap();
    cli_snapshot!(
        verify_in(
            &vouch_testdata::generated(),
            "p256-der/key.pub",
            "p256-der/artifact.sig",
            "-"
        )
        .pass_stdin(artifact)
    );
}

#[test]
fn standard_input_modified() {
    cli_snapshot!(
        verify_in(
            &vouch_testdata::generated(),
            "p256-der/key.pub",
            "p256-der/artifact.sig",
            "-"
        )
        .pass_stdin("not the artifact")
    );
}

#[test]
fn usage_error() {
    cli_snapshot!(vouch(&vouch_testdata::generated()).args([
        "verify-blob",
        "--key",
        "p256-der/key.pub"
    ]));
}

#[test]
fn help() {
    cli_snapshot!(vouch(&vouch_testdata::generated()).arg("--help"));
}

#[test]
fn verify_blob_help() {
    cli_snapshot!(vouch(&vouch_testdata::generated()).args(["verify-blob", "--help"]));
}
