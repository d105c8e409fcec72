//! Hostile input: files that change while vouch hashes them. Files are mapped and hashed in
//! place (docs/performance.md, "Files"), so a file truncated meanwhile raises SIGBUS; vouch
//! turns it into an error and never a verdict, and every way of reading gives the same verdict.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::verify_blob::vouch;

const CASE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/generated/p256-der"
);

fn verify_blob(dir: &Path, file: &Path, way: &str) -> Command {
    let mut cmd = vouch(dir);
    cmd.args(["verify-blob", "--key"])
        .arg(format!("{CASE}/key.pub"))
        .arg("--signature")
        .arg(format!("{CASE}/artifact.sig"))
        .arg(file)
        .env("VOUCH_FILE_READING", way)
        .stdin(Stdio::null());
    cmd
}

#[test]
fn every_way_of_reading_gives_the_same_verdict() {
    let dir = tempfile::tempdir().unwrap();
    let artifact = Path::new(CASE).join("artifact");
    // The fixture is small; a copy padded past 64 KiB is mapped (and fails to verify).
    let large = dir.path().join("large");
    let mut bytes = fs::read(&artifact).unwrap();
    bytes.resize(3 << 20, b'x');
    fs::write(&large, bytes).unwrap();
    for way in ["read", "read-ahead", "map", "map-ahead"] {
        let out = verify_blob(dir.path(), &artifact, way).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{way}: {out:?}");
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "Verified OK\n",
            "{way}"
        );
        let out = verify_blob(dir.path(), &large, way).output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{way}: {out:?}");
        assert!(
            String::from_utf8_lossy(&out.stdout).contains("Verification failure"),
            "{way}: {out:?}"
        );
    }
}

#[test]
fn an_unknown_way_of_reading_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = verify_blob(dir.path(), &Path::new(CASE).join("artifact"), "telepathy")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("VOUCH_FILE_READING=telepathy: expected read, read-ahead, map or map-ahead"),
        "{stderr}"
    );
}

/// Starts verifying a 4 GiB sparse file, waits until vouch has mapped part of it, truncates
/// it, and returns what vouch printed.
fn truncated_while_hashed(way: &str) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.img");
    fs::File::create(&big).unwrap().set_len(4 << 30).unwrap();
    let child = verify_blob(dir.path(), &big, way)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let maps = format!("/proc/{}/maps", child.id());
    let needle = big.to_string_lossy().into_owned();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !fs::read_to_string(&maps).is_ok_and(|m| m.contains(&needle)) {
        assert!(Instant::now() < deadline, "vouch never mapped {needle}");
        std::thread::sleep(Duration::from_millis(1));
    }
    fs::File::options()
        .write(true)
        .open(&big)
        .unwrap()
        .set_len(0)
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_file_truncated_while_it_is_hashed_is_an_error_not_a_verdict() {
    for way in ["map", "map-ahead"] {
        let out = truncated_while_hashed(way);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{way}: {stdout} {stderr}");
        assert!(stdout.is_empty(), "{way}: {stdout}");
        assert!(
            stderr.contains("changed size or could not be read from its storage"),
            "{way}: {stderr}"
        );
        assert!(stderr.contains("(SIGBUS)"), "{way}: {stderr}");
    }
}
