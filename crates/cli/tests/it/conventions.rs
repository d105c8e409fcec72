//! What users bring from cosign, openssl and well-made CLIs: Go-style booleans and cosign's
//! flag spellings, cosign's exit codes for images, `env://` keys, registry secrets off the
//! command line, `--output-file`, symbols only on request or a terminal, `-q`, `-v`,
//! completions and `vouch version`.

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::Value;
use tempfile::TempDir;

use crate::mock_registry::{MockRegistry, TestKey};

use crate::verify_image_mock::REPO;

/// `vouch ARGS` with a clean environment plus `env`, and `stdin` as its input.
fn vouch(args: &[&str], env: &[(&str, &str)], stdin: &[u8]) -> Output {
    let home = TempDir::new().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_vouch"));
    command
        .args(args)
        .env("HOME", home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in [
        "DOCKER_CONFIG",
        "REGISTRY_AUTH_FILE",
        "XDG_RUNTIME_DIR",
        "COSIGN_REPOSITORY",
        "NO_COLOR",
        "VOUCH_PASSWORD",
        "COSIGN_PASSWORD",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap_or(-1)
}

fn p(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A mock registry with `test/app:v1` signed by `key` in the legacy `.sig` tag.
fn signed_image(key: &TestKey) -> MockRegistry {
    crate::verify_image_mock::signed_image(key).0
}

#[test]
fn image_exit_codes_are_cosigns() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let other = TestKey::new(tmp.path(), 2);
    let registry = signed_image(&key);
    let (_, _) = registry.image_manifest(REPO, "unsigned", "other");
    let verify = |key: &TestKey, image: &str| {
        code(&vouch(
            &[
                "verify",
                "--key",
                p(&key.public),
                "--insecure-ignore-tlog",
                image,
            ],
            &[],
            b"",
        ))
    };
    assert_eq!(verify(&key, &registry.image(&format!("{REPO}:v1"))), 0);
    // cosign: 10 no signature, 11 non-existent tag, 12 no matching signature.
    assert_eq!(
        verify(&key, &registry.image(&format!("{REPO}:unsigned"))),
        10
    );
    assert_eq!(
        verify(&key, &registry.image(&format!("{REPO}:missing"))),
        11
    );
    assert_eq!(verify(&other, &registry.image(&format!("{REPO}:v1"))), 12);
    // A registry that cannot be reached is none of those.
    assert_eq!(verify(&key, "127.0.0.1:9/test/app:v1"), 13);
    // Several images: the worst outcome, whatever the order.
    let both = |first: &str, second: &str| {
        code(&vouch(
            &[
                "verify",
                "--key",
                p(&key.public),
                "--insecure-ignore-tlog",
                first,
                second,
            ],
            &[],
            b"",
        ))
    };
    let unsigned = registry.image(&format!("{REPO}:unsigned"));
    let missing = registry.image(&format!("{REPO}:missing"));
    assert_eq!(both(&unsigned, &missing), 10);
    assert_eq!(both(&missing, &unsigned), 10);
}

#[test]
fn go_style_booleans_and_cosign_spellings_are_accepted() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = signed_image(&key);
    let image = registry.image(&format!("{REPO}:v1"));
    let report = tmp.path().join("report.json");
    let out = vouch(
        &[
            "verify",
            "--key",
            p(&key.public),
            "--insecure-ignore-tlog=true",
            "-o",
            "json",
            "--output-file",
            p(&report),
            &image,
        ],
        &[],
        b"",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "the report goes to the file only");
    let json: Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["schema"], 1, "{json:#}");
    assert_eq!(json["exit_code"], 0, "{json:#}");

    // `=false` means false: the log is then required, and the signature has no entry.
    let out = vouch(
        &[
            "verify",
            "--key",
            p(&key.public),
            "--insecure-ignore-tlog=false",
            &image,
        ],
        &[],
        b"",
    );
    assert_eq!(code(&out), 12, "{}", text(&out.stderr));
    let out = vouch(
        &[
            "verify",
            "--key",
            p(&key.public),
            "--insecure-ignore-tlog=maybe",
            &image,
        ],
        &[],
        b"",
    );
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("expected true or false"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn cosign_flags_vouch_does_not_implement_are_refused_with_the_reason() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    for (args, says) in [
        (
            vec![
                "verify",
                "--key",
                p(&key.public),
                "--rekor-url",
                "https://rekor.example",
                "r/a:1",
            ],
            "--rekor-url is a cosign flag vouch does not implement",
        ),
        (
            vec![
                "verify",
                "--key",
                p(&key.public),
                "--allow-insecure-registry",
                "r/a:1",
            ],
            "--allow-insecure-registry is a cosign flag",
        ),
        (
            vec![
                "sign-blob",
                "--key",
                p(&key.public),
                "--tlog-upload=true",
                "f",
            ],
            "vouch makes no transparency-log entry",
        ),
        (
            vec!["sign-blob", "--key", p(&key.public), "--tlog-upload", "f"],
            "vouch makes no transparency-log entry",
        ),
    ] {
        let out = vouch(&args, &[], b"");
        assert_eq!(code(&out), 2, "{args:?}");
        assert!(
            text(&out.stderr).contains(says),
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn signing_takes_env_keys_tlog_upload_false_and_yes() {
    let tmp = TempDir::new().unwrap();
    let prefix = tmp.path().join("k");
    let out = vouch(
        &[
            "generate-key-pair",
            "--format",
            "pkcs8",
            "--output-key-prefix",
            p(&prefix),
        ],
        &[],
        b"",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let data = tmp.path().join("data.bin");
    std::fs::write(&data, b"release bytes").unwrap();
    let private = std::fs::read_to_string(prefix.with_extension("key")).unwrap();
    let public = std::fs::read_to_string(prefix.with_extension("pub")).unwrap();
    let signature = tmp.path().join("data.bin.sig");
    let out = vouch(
        &[
            "sign-blob",
            "--key",
            "env://RELEASE_KEY",
            "--tlog-upload=false",
            "-y",
            "--output-signature",
            p(&signature),
            p(&data),
        ],
        &[("RELEASE_KEY", &private)],
        b"",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let out = vouch(
        &[
            "verify-blob",
            "--key",
            "env://RELEASE_PUB",
            "--signature",
            p(&signature),
            p(&data),
        ],
        &[("RELEASE_PUB", &public)],
        b"",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "Verified OK\n");
    // An unset variable is said as such, never read as a file named `env://…`.
    let out = vouch(
        &[
            "verify-blob",
            "--key",
            "env://NOT_SET_HERE",
            "--signature",
            p(&signature),
            p(&data),
        ],
        &[],
        b"",
    );
    assert_eq!(code(&out), 2);
    assert!(
        text(&out.stderr).contains("environment variable NOT_SET_HERE is not set"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn registry_passwords_come_from_stdin_or_a_file() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    // No registry listens here: what matters is that the password was taken (a lookup
    // failure, 13), not refused as usage (2).
    let common = ["verify", "--key", p(&key.public), "--timeout", "5s"];
    let mut args = common.to_vec();
    args.extend([
        "--registry-username",
        "u",
        "--registry-password-stdin",
        "127.0.0.1:9/a:1",
    ]);
    let out = vouch(&args, &[], b"s3cret\n");
    assert_eq!(code(&out), 13, "{}", text(&out.stderr));
    let file = tmp.path().join("password");
    std::fs::write(&file, "s3cret\n").unwrap();
    let mut args = common.to_vec();
    args.extend([
        "--registry-username",
        "u",
        "--registry-password-file",
        p(&file),
        "127.0.0.1:9/a:1",
    ]);
    let out = vouch(&args, &[], b"");
    assert_eq!(code(&out), 13, "{}", text(&out.stderr));
    // A user name without any password is refused before anything is sent.
    let mut args = common.to_vec();
    args.extend(["--registry-username", "u", "127.0.0.1:9/a:1"]);
    let out = vouch(&args, &[], b"");
    assert_eq!(code(&out), 2, "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("needs a password"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn symbols_only_when_asked_or_on_a_terminal_and_quiet_is_quiet() {
    let tmp = TempDir::new().unwrap();
    let prefix = tmp.path().join("k");
    let out = vouch(
        &[
            "generate-key-pair",
            "--format",
            "pkcs8",
            "--output-key-prefix",
            p(&prefix),
        ],
        &[],
        b"",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let dir = tmp.path().join("release");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("a.iso"), b"a").unwrap();
    let key = p(&prefix.with_extension("key")).to_owned();
    let out = vouch(&["sign-dir", p(&dir), "--key", &key], &[], b"");
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let public = p(&prefix.with_extension("pub")).to_owned();
    let verify = |extra: &[&str], env: &[(&str, &str)]| {
        let mut args = extra.to_vec();
        args.extend(["verify-dir", p(&dir), "--key", &public]);
        vouch(&args, env, b"")
    };
    // A pipe: plain words.
    assert_eq!(
        text(&verify(&[], &[]).stdout).lines().next(),
        Some("a.iso: OK Signature valid")
    );
    // Asked for: symbols, even in a pipe.
    let out = verify(&["--color", "always"], &[]);
    assert_eq!(
        text(&out.stdout).lines().next(),
        Some("a.iso: ✅ Signature valid")
    );
    // NO_COLOR or --color never: words.
    let out = verify(&["--color", "never"], &[("NO_COLOR", "1")]);
    assert_eq!(
        text(&out.stdout).lines().next(),
        Some("a.iso: OK Signature valid")
    );
    // -v: which file was checked against which signature, on stderr.
    let out = verify(&["-v"], &[]);
    let trace = text(&out.stderr);
    assert!(
        trace.lines().any(|l| l.starts_with("vouch: verifying ")
            && l.contains("a.iso against the signature in ")
            && l.ends_with("a.iso.sig.bin")),
        "{trace}"
    );
    // -q: nothing on stdout, the exit code says it.
    let out = verify(&["-q"], &[]);
    assert_eq!(code(&out), 0);
    assert!(out.stdout.is_empty() && out.stderr.is_empty(), "{out:?}");
}

#[test]
fn verbose_traces_registry_requests_without_credentials() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = signed_image(&key);
    let out = vouch(
        &[
            "-v",
            "verify",
            "--key",
            p(&key.public),
            "--insecure-ignore-tlog",
            "--registry-username",
            "someone",
            "--registry-password",
            "pa55word-in-clear",
            &registry.image(&format!("{REPO}:v1")),
        ],
        &[],
        b"",
    );
    assert_eq!(code(&out), 0, "{}", text(&out.stderr));
    let stderr = text(&out.stderr);
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("vouch: HEAD ") || l.starts_with("vouch: GET ")),
        "{stderr}"
    );
    assert!(
        stderr.contains("/v2/test/app/manifests/v1 -> 200"),
        "{stderr}"
    );
    assert!(!stderr.contains("pa55word"), "{stderr}");
    // Without -v, none of it.
    let out = vouch(
        &[
            "verify",
            "--key",
            p(&key.public),
            "--insecure-ignore-tlog",
            &registry.image(&format!("{REPO}:v1")),
        ],
        &[],
        b"",
    );
    assert!(
        !text(&out.stderr).contains("vouch: "),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn completions_and_version() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let out = vouch(&["completion", shell], &[], b"");
        assert_eq!(code(&out), 0, "{shell}");
        assert!(text(&out.stdout).contains("verify-blob"), "{shell}");
    }
    let out = vouch(&["version", "--output", "json"], &[], b"");
    assert_eq!(code(&out), 0);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["schema"], 1);
    assert!(
        json["commit"].as_str().is_some_and(|c| !c.is_empty()),
        "{json:#}"
    );
    assert!(
        json["features"]
            .as_array()
            .unwrap()
            .contains(&"registry".into())
    );
    let out = vouch(&["--version"], &[], b"");
    assert!(text(&out.stdout).starts_with(&format!("vouch {}\n", env!("CARGO_PKG_VERSION"))));
}
