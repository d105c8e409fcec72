//! Hostile input: file names and the lines they print. A download folder is made by whoever
//! made the download: its names may hold newlines, carriage returns, escape sequences and bytes
//! that are not UTF-8. One entry is always one line, no control character reaches the
//! terminal, no two names print alike, and a signature is only ever checked against the file
//! it names.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

use crate::openssl_interop::openssl;
use crate::verify_blob::vouch;

/// A P-256 key pair made by openssl in `dir`: (`key.pem`, `key.pub`).
fn key_pair(dir: &Path) -> (PathBuf, PathBuf) {
    let (private, public) = (dir.join("key.pem"), dir.join("key.pub"));
    for args in [
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
        ][..],
        &["pkey", "-pubout", "-in", private.to_str().unwrap(), "-out"][..],
    ] {
        let out = if args[0] == "genpkey" {
            &private
        } else {
            &public
        };
        let status = openssl().args(args).arg(out).status().unwrap();
        assert!(status.success(), "openssl {args:?}");
    }
    (private, public)
}

/// `openssl dgst -sha256 -sign KEY -out SIG FILE`, as the vendor's release script signs.
fn openssl_sign(key: &Path, file: &Path, signature: &Path) {
    let status = openssl()
        .args(["dgst", "-sha256", "-sign"])
        .arg(key)
        .arg("-out")
        .arg(signature)
        .arg(file)
        .status()
        .unwrap();
    assert!(status.success());
}

fn openssl_verifies(public: &Path, file: &Path, signature: &Path) -> bool {
    let out = openssl()
        .args(["dgst", "-sha256", "-verify"])
        .arg(public)
        .arg("-signature")
        .arg(signature)
        .arg(file)
        .output()
        .unwrap();
    out.status.success() && out.stdout == b"Verified OK\n"
}

fn name(bytes: &[u8]) -> &OsStr {
    OsStr::from_bytes(bytes)
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap()
}

fn stdout_lines(out: &Output) -> Vec<String> {
    String::from_utf8(out.stdout.clone())
        .expect("text output is UTF-8 whatever the names hold")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// No line of `out` holds a control character, and none is the forged verdict line.
fn assert_clean(out: &Output, forged: &str) {
    for line in stdout_lines(out) {
        assert!(
            !line.chars().any(|c| c.is_control()),
            "a control character reached the terminal: {line:?}"
        );
        assert_ne!(line, forged, "forged line");
    }
    assert!(
        !String::from_utf8_lossy(&out.stderr)
            .chars()
            .any(|c| c.is_control() && c != '\n'),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Two names that differ only in a byte that is not UTF-8 are two files: each is listed, each
/// signature is checked against the file it names, and `--require-signed` sees the unsigned
/// one (a lossy pairing lost one of them and exited 0 with "0 unsigned").
#[test]
fn verify_dir_keeps_names_that_differ_in_invalid_utf8_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = key_pair(tmp.path());
    let dir = tmp.path().join("downloads");
    fs::create_dir(&dir).unwrap();
    let fe = dir.join(name(b"app\xfe.bin"));
    let ff = dir.join(name(b"app\xff.bin"));
    fs::write(&fe, b"the vendor's build").unwrap();
    fs::write(&ff, b"something else").unwrap();
    openssl_sign(&private, &fe, &dir.join(name(b"app\xfe.bin.sig.bin")));

    let out = run(vouch(tmp.path())
        .args(["verify-dir", "downloads", "--require-signed", "--key"])
        .arg(&public));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        stdout_lines(&out),
        [
            "app\\xfe.bin: OK Signature valid",
            "app\\xff.bin: FAILED Unsigned",
            "1 valid, 0 invalid, 0 missing data, 1 unsigned",
        ]
    );

    // The JSON names each file exactly: the escaped name and its bytes.
    let out = run(vouch(tmp.path())
        .args(["verify-dir", "downloads", "--output", "json", "--key"])
        .arg(&public));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let files: Vec<(&str, &str)> = json["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file_base64"].as_str().unwrap(),
                f["verdict"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        files,
        [("YXBw/i5iaW4=", "valid"), ("YXBw/y5iaW4=", "unsigned")]
    );

    // The signature of one, renamed to name the other, is checked against the other.
    fs::rename(
        dir.join(name(b"app\xfe.bin.sig.bin")),
        dir.join(name(b"app\xff.bin.sig.bin")),
    )
    .unwrap();
    let out = run(vouch(tmp.path())
        .args(["verify-dir", "downloads", "--key"])
        .arg(&public));
    assert_eq!(out.status.code(), Some(1));
    let lines = stdout_lines(&out);
    assert!(
        lines[1].starts_with("app\\xff.bin: FAILED Signature invalid"),
        "{lines:?}"
    );
}

/// `sign-dir` signs both files, into signature files whose names are the data files' names
/// byte for byte with `.sig.bin` appended, which openssl users pair by hand.
#[test]
fn sign_dir_writes_signatures_named_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = key_pair(tmp.path());
    let dir = tmp.path().join("release");
    fs::create_dir(&dir).unwrap();
    for (file, body) in [(&b"app\xfe.bin"[..], &b"one"[..]), (b"app\xff.bin", b"two")] {
        fs::write(dir.join(name(file)), body).unwrap();
    }
    let out = run(vouch(tmp.path())
        .args(["sign-dir", "release", "--key"])
        .arg(&private));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_eq!(
        stdout_lines(&out),
        [
            "app\\xfe.bin: OK Signed (app\\xfe.bin.sig.bin)",
            "app\\xff.bin: OK Signed (app\\xff.bin.sig.bin)",
            "2 signed, 0 already signed, 0 failed",
        ]
    );
    for file in [&b"app\xfe.bin"[..], b"app\xff.bin"] {
        let signature = dir.join(name(&[file, b".sig.bin"].concat()));
        assert!(openssl_verifies(&public, &dir.join(name(file)), &signature));
    }
    let mut names: Vec<Vec<u8>> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().as_bytes().to_vec())
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "no U+FFFD names: {names:?}");
}

/// The line the first hostile name below printed by itself, before names were escaped.
const FORGED: &str = "malware.exe: ✅ Signature valid";
/// The same with the plain words vouch prints when stdout is not a terminal.
const FORGED_PLAIN: &str = "setup.exe: OK Signature valid";

/// Names that spell a verdict, break the line, return the carriage or send escape sequences
/// print as one escaped line each, in `verify-dir` and `sign-dir`.
#[test]
fn names_cannot_forge_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = key_pair(tmp.path());
    let dir = tmp.path().join("downloads");
    fs::create_dir(&dir).unwrap();
    let hostile: [&[u8]; 5] = [
        b"malware.exe: \xe2\x9c\x85 Signature valid\nzzz",
        b"setup.exe: OK Signature valid\nzzz",
        b"evil\r\x1b[2Kgood.iso: \xe2\x9c\x85 Signature valid",
        b"rtl\xe2\x80\xaeosi.exe",
        b"bell\x07\x9b31m",
    ];
    for file in hostile {
        fs::write(dir.join(name(file)), b"payload").unwrap();
    }
    // One real signed file, so that verify-dir has something to verify.
    fs::write(dir.join("real.iso"), b"real").unwrap();
    openssl_sign(
        &private,
        &dir.join("real.iso"),
        &dir.join("real.iso.sig.bin"),
    );

    // With symbols (as on a terminal) and with plain words (as in a pipe).
    let out = run(vouch(tmp.path())
        .args(["--color", "always", "verify-dir", "downloads", "--key"])
        .arg(&public));
    assert_clean(&out, FORGED);
    assert_clean(&out, FORGED_PLAIN);
    let lines = stdout_lines(&out);
    assert_eq!(lines.len(), hostile.len() + 2, "{lines:?}");
    assert!(lines.contains(&"malware.exe: ✅ Signature valid\\nzzz: ⚠️  Unsigned".to_owned()));
    assert!(
        lines.contains(&"evil\\r\\x1b[2Kgood.iso: ✅ Signature valid: ⚠️  Unsigned".to_owned())
    );
    assert!(lines.contains(&"rtl\\u{202e}osi.exe: ⚠️  Unsigned".to_owned()));
    assert!(lines.contains(&"bell\\x07\\x9b31m: ⚠️  Unsigned".to_owned()));
    let out = run(vouch(tmp.path())
        .args(["verify-dir", "downloads", "--key"])
        .arg(&public));
    assert_clean(&out, FORGED);
    assert_clean(&out, FORGED_PLAIN);
    let lines = stdout_lines(&out);
    assert!(lines.contains(&"setup.exe: OK Signature valid\\nzzz: WARNING Unsigned".to_owned()));
    assert!(lines.contains(&"real.iso: OK Signature valid".to_owned()));

    // sign-dir signs them, and its lines cannot be forged either.
    let out = run(vouch(tmp.path())
        .args(["sign-dir", "downloads", "--key"])
        .arg(&private));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_clean(&out, FORGED);
    assert_clean(&out, FORGED_PLAIN);
    assert_eq!(stdout_lines(&out).len(), hostile.len() + 2);

    // Now every file verifies, still one line each.
    let out = run(vouch(tmp.path())
        .args(["verify-dir", "downloads", "--require-signed", "--key"])
        .arg(&public));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_clean(&out, FORGED);
    assert_clean(&out, FORGED_PLAIN);
    assert_eq!(stdout_lines(&out).len(), hostile.len() + 2);
}

/// An error that quotes a hostile name stays on one line of stderr.
#[test]
fn error_lines_escape_names() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, public) = key_pair(tmp.path());
    let out = run(vouch(tmp.path())
        .args(["verify-blob", "--key"])
        .arg(&public)
        .arg("--signature")
        .arg(name(b"missing\nerror: forged.sig"))
        .arg("data"));
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.lines().all(|l| !l.starts_with("error: forged")),
        "{stderr}"
    );
    assert!(stderr.contains("missing\\nerror: forged.sig"), "{stderr}");
}

/// A signature whose data file is a FIFO, a directory or a link to a device is reported as
/// such, and the FIFO is never opened (reading it would block `verify-dir` forever).
#[test]
fn data_files_that_are_not_regular_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = key_pair(tmp.path());
    let dir = tmp.path().join("downloads");
    fs::create_dir(&dir).unwrap();
    let signed = tmp.path().join("signed");
    fs::write(&signed, b"x").unwrap();
    for (data, make) in [("pipe", "fifo"), ("folder", "dir"), ("zero", "link")] {
        let path = dir.join(data);
        match make {
            "fifo" => {
                let status = Command::new("mkfifo").arg(&path).status().unwrap();
                assert!(status.success(), "mkfifo (coreutils)");
            }
            "dir" => fs::create_dir(&path).unwrap(),
            _ => std::os::unix::fs::symlink("/dev/zero", &path).unwrap(),
        }
        openssl_sign(&private, &signed, &dir.join(format!("{data}.sig.bin")));
    }
    let out = run(vouch(tmp.path())
        .args(["verify-dir", "downloads", "--key"])
        .arg(&public));
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        stdout_lines(&out),
        [
            "folder.sig.bin: FAILED Data file not read: folder is a directory, not a regular file \
             (looked for folder and folder.zst)",
            "pipe.sig.bin: FAILED Data file not read: pipe is a FIFO (named pipe), not a regular \
             file (looked for pipe and pipe.zst)",
            "zero.sig.bin: FAILED Data file not read: zero is a character device, not a regular \
             file (looked for zero and zero.zst)",
            "0 valid, 0 invalid, 3 missing data, 0 unsigned",
        ]
    );
}

/// `verify-blob` and `verify-dir --output json` never put a digest next to a failed verdict
/// (docs/cli.md: `null` unless valid).
#[test]
fn json_digest_is_null_unless_valid() {
    let tmp = tempfile::tempdir().unwrap();
    let (private, public) = key_pair(tmp.path());
    let dir = tmp.path().join("downloads");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("a.iso"), b"original").unwrap();
    openssl_sign(&private, &dir.join("a.iso"), &dir.join("a.iso.sig.bin"));
    fs::write(dir.join("a.iso"), b"tampered").unwrap();

    let out = run(vouch(tmp.path())
        .args(["verify-blob", "--output", "json", "--key"])
        .arg(&public)
        .args(["--signature", "downloads/a.iso.sig.bin", "downloads/a.iso"]));
    assert_eq!(out.status.code(), Some(1));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["verdict"], "invalid");
    assert_eq!(json["digest"], Value::Null, "{json}");
    assert_eq!(json["signature"]["encoding"], "der");

    let out = run(vouch(tmp.path())
        .args(["verify-dir", "downloads", "--output", "json", "--key"])
        .arg(&public));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["files"][0]["verdict"], "invalid");
    assert_eq!(json["files"][0]["digest"], Value::Null, "{json}");
}

/// `vouch tree` prints what a registry says (artifact types, media types) escaped: a referrer
/// whose artifactType holds a newline and a verdict cannot add a line.
#[test]
fn tree_escapes_registry_fields() {
    use crate::mock_registry::MockRegistry;

    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest("app", "v1", "app");
    let forged_type = "application/x-evil\n✅ verified\r\u{1b}[1A";
    let body = serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "artifactType": forged_type,
        "config": { "mediaType": forged_type, "digest": digest.to_string(), "size": 1 },
        "layers": [],
    })
    .to_string()
    .into_bytes();
    registry.referrers("app", &digest, &[(body, forged_type)]);
    let home = tempfile::tempdir().unwrap();
    let out = run(Command::new(env!("CARGO_BIN_EXE_vouch"))
        .arg("tree")
        .arg(registry.image("app:v1"))
        .env("HOME", home.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE"));
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    assert_clean(&out, "✅ verified");
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("x-evil\\n✅ verified\\r\\x1b[1A"), "{text}");
}
