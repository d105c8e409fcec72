//! `vouch generate-key-pair`, `import-key-pair` and `public-key`, against real peers in the
//! same run:
//!
//! - openssl makes keys in every form (PKCS#8, SEC1, `EC PARAMETERS` + SEC1, PKCS#1 RSA,
//!   encrypted PKCS#8 with PBKDF2 and with scrypt, DER); vouch reads each, and its public key is
//!   byte for byte what `openssl pkey -pubout` prints. openssl reads the PKCS#8 keys vouch
//!   generates, and signs with them for `vouch verify-blob`.
//! - skopeo 1.18 makes keys (`generate-sigstore-key`) that vouch decrypts, and signs images with
//!   keys from `vouch generate-key-pair` and `vouch import-key-pair`; `vouch verify` and skopeo's
//!   own policy engine accept those signatures (a real registry, registry_harness.rs).
//! - The cosign and sigstore-rs keys of `testdata/interop/sigstore-rs-keys/` decrypt with
//!   `COSIGN_PASSWORD`, including the empty password.

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use tempfile::TempDir;

use crate::registry_harness::{
    Auth, Key, Registry, build_image, generate_key, sign_and_push, skopeo_policy_check,
};
use crate::verify_image_e2e::vouch_verify;

/// `vouch` in `dir`, with no password in the environment and standard input closed (an empty
/// password if one is read from it).
fn vouch(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
    cmd.current_dir(dir)
        .env_remove("VOUCH_PASSWORD")
        .env_remove("COSIGN_PASSWORD")
        .stdin(Stdio::null());
    cmd
}

fn openssl(dir: &Path) -> Command {
    let found = Command::new("openssl").arg("version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "the key tests need the `openssl` binary: install it with `apt-get install openssl`"
    );
    let mut cmd = Command::new("openssl");
    cmd.current_dir(dir).stdin(Stdio::null());
    cmd
}

fn ok(cmd: &mut Command) -> Output {
    let output = cmd.output().unwrap();
    assert!(
        output.status.success(),
        "{cmd:?} failed ({}):\nstdout: {}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `openssl pkey -in KEY -pubout` (with `-passin pass:PW` for encrypted keys).
fn openssl_public(dir: &Path, key: &str, password: Option<&str>) -> String {
    let mut cmd = openssl(dir);
    cmd.args(["pkey", "-in", key, "-pubout"]);
    if key.ends_with(".der") {
        cmd.args(["-inform", "DER"]);
    }
    if let Some(password) = password {
        cmd.args(["-passin", &format!("pass:{password}")]);
    }
    stdout(&ok(&mut cmd))
}

#[cfg(unix)]
fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every openssl key form in `dir`, with its password (if encrypted).
fn openssl_keys(dir: &Path) -> Vec<(&'static str, Option<&'static str>)> {
    let run = |args: &[&str]| {
        ok(openssl(dir).args(args));
    };
    run(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "p256.pem",
    ]);
    run(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-384",
        "-out",
        "p384.pem",
    ]);
    run(&["genpkey", "-algorithm", "ed25519", "-out", "ed25519.pem"]);
    run(&["ec", "-in", "p256.pem", "-out", "sec1.pem"]);
    run(&[
        "ecparam",
        "-name",
        "secp384r1",
        "-genkey",
        "-out",
        "ecparam-sec1.pem",
    ]);
    run(&["genrsa", "-traditional", "-out", "rsa-pkcs1.pem", "3072"]);
    run(&[
        "pkey", "-in", "p256.pem", "-outform", "DER", "-out", "p256.der",
    ]);
    run(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        "p256.pem",
        "-out",
        "enc-pbkdf2.pem",
        "-passout",
        "pass:pw",
    ]);
    run(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-128-cbc",
        "-v2prf",
        "hmacWithSHA1",
        "-in",
        "ed25519.pem",
        "-out",
        "enc-pbkdf2-sha1.pem",
        "-passout",
        "pass:pw",
    ]);
    run(&[
        "pkcs8",
        "-topk8",
        "-scrypt",
        "-in",
        "p384.pem",
        "-out",
        "enc-scrypt.pem",
        "-passout",
        "pass:pw",
    ]);
    run(&[
        "pkcs8",
        "-topk8",
        "-v2",
        "aes-256-cbc",
        "-in",
        "rsa-pkcs1.pem",
        "-outform",
        "DER",
        "-out",
        "enc-rsa.der",
        "-passout",
        "pass:pw",
    ]);
    vec![
        ("p256.pem", None),
        ("p384.pem", None),
        ("ed25519.pem", None),
        ("sec1.pem", None),
        ("ecparam-sec1.pem", None),
        ("rsa-pkcs1.pem", None),
        ("p256.der", None),
        ("enc-pbkdf2.pem", Some("pw")),
        ("enc-pbkdf2-sha1.pem", Some("pw")),
        ("enc-scrypt.pem", Some("pw")),
        ("enc-rsa.der", Some("pw")),
    ]
}

#[test]
fn vouch_reads_every_key_openssl_writes() {
    let work = TempDir::new().unwrap();
    let dir = work.path();
    fs::write(dir.join("pw"), "pw\n").unwrap();
    for (key, password) in openssl_keys(dir) {
        let expected = openssl_public(dir, key, password);
        let mut cmd = vouch(dir);
        cmd.args(["public-key", "--key", key]);
        if password.is_some() {
            cmd.args(["--password-file", "pw"]);
        }
        assert_eq!(stdout(&ok(&mut cmd)), expected, "{key}");
        if let Some(password) = password {
            // Also from COSIGN_PASSWORD, and refused without a password (stdin closed: empty).
            let out = ok(vouch(dir)
                .args(["public-key", "--key", key])
                .env("COSIGN_PASSWORD", password));
            assert_eq!(stdout(&out), expected, "{key}");
            let out = vouch(dir)
                .args(["public-key", "--key", key])
                .output()
                .unwrap();
            assert_eq!(out.status.code(), Some(2), "{key}");
            assert!(
                stderr(&out).contains("wrong password for the encrypted PKCS#8 private key"),
                "{key}: {}",
                stderr(&out)
            );
        }
    }
}

#[test]
fn openssl_reads_the_pkcs8_keys_vouch_generates_and_signs_with_them() {
    let work = TempDir::new().unwrap();
    let dir = work.path();
    fs::write(dir.join("data"), b"vendor release 1.0\n").unwrap();
    for algorithm in ["ecdsa-p256", "ecdsa-p384", "ed25519"] {
        let out = ok(vouch(dir).args([
            "generate-key-pair",
            "--format",
            "pkcs8",
            "--algorithm",
            algorithm,
            "--output-key-prefix",
            algorithm,
        ]));
        assert!(out.stdout.is_empty());
        let key = format!("{algorithm}.key");
        let public = format!("{algorithm}.pub");
        assert!(stderr(&out).contains(&format!("Private key written to {key}")));
        let text = fs::read_to_string(dir.join(&key)).unwrap();
        assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"), "{text}");
        #[cfg(unix)]
        {
            assert_eq!(mode(&dir.join(&key)), 0o600);
            assert_eq!(mode(&dir.join(&public)) & 0o600, 0o600);
        }
        ok(openssl(dir).args(["pkey", "-in", &key, "-check", "-noout"]));
        assert_eq!(
            openssl_public(dir, &key, None),
            fs::read_to_string(dir.join(&public)).unwrap(),
            "{algorithm}"
        );
        // openssl signs with the vouch key; vouch verifies with the vouch public key.
        let sig = format!("{algorithm}.sig");
        if algorithm == "ed25519" {
            ok(openssl(dir).args([
                "pkeyutl", "-sign", "-rawin", "-inkey", &key, "-in", "data", "-out", &sig,
            ]));
        } else {
            ok(openssl(dir).args(["dgst", "-sha256", "-sign", &key, "-out", &sig, "data"]));
        }
        let out =
            ok(vouch(dir).args(["verify-blob", "--key", &public, "--signature", &sig, "data"]));
        assert_eq!(stdout(&out), "Verified OK\n", "{algorithm}");
        // public-key of the private key is the .pub written next to it.
        let out = ok(vouch(dir).args(["public-key", "--key", &key]));
        assert_eq!(stdout(&out), fs::read_to_string(dir.join(&public)).unwrap());
    }
}

#[test]
fn generate_key_pair_writes_a_cosign_key_and_refuses_to_overwrite() {
    let work = TempDir::new().unwrap();
    let dir = work.path();
    fs::write(dir.join("pw"), "s3cret\n").unwrap();
    let out = ok(vouch(dir).args([
        "generate-key-pair",
        "--password-file",
        "pw",
        "--output",
        "json",
    ]));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["private_key"]["file"], "cosign.key");
    assert_eq!(report["private_key"]["format"], "cosign");
    assert_eq!(report["public_key"]["file"], "cosign.pub");
    assert_eq!(report["public_key"]["algorithm"], "ecdsa-p256");
    let text = fs::read_to_string(dir.join("cosign.key")).unwrap();
    assert!(text.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
    assert!(text.lines().all(|line| line.len() <= 64));
    #[cfg(unix)]
    assert_eq!(mode(&dir.join("cosign.key")), 0o600);
    let public = fs::read_to_string(dir.join("cosign.pub")).unwrap();

    // The password file's trailing newline is not part of the password.
    let out = ok(vouch(dir)
        .args(["public-key", "--key", "cosign.key"])
        .env("VOUCH_PASSWORD", "s3cret"));
    assert_eq!(stdout(&out), public);

    // Nothing is overwritten without --force, and nothing is asked for first.
    let before = fs::read(dir.join("cosign.key")).unwrap();
    let out = vouch(dir)
        .args(["generate-key-pair", "--password-file", "pw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&out), @r"
    error: cosign.key: the private key file already exists
    hint: pass --force to overwrite it
    ");
    assert_eq!(fs::read(dir.join("cosign.key")).unwrap(), before);
    fs::remove_file(dir.join("cosign.key")).unwrap();
    let out = vouch(dir)
        .args(["generate-key-pair", "--password-file", "pw"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("cosign.pub: the public key file already exists"));
    assert!(!dir.join("cosign.key").exists());

    ok(vouch(dir).args([
        "generate-key-pair",
        "--password-file",
        "pw",
        "--force",
        "--algorithm",
        "ed25519",
    ]));
    let out = ok(vouch(dir)
        .args([
            "public-key",
            "--key",
            "cosign.key",
            "--output-file",
            "again.pub",
        ])
        .env("COSIGN_PASSWORD", "s3cret"));
    assert!(out.stdout.is_empty());
    assert_eq!(
        fs::read_to_string(dir.join("again.pub")).unwrap(),
        fs::read_to_string(dir.join("cosign.pub")).unwrap()
    );
    assert_ne!(fs::read_to_string(dir.join("cosign.pub")).unwrap(), public);
}

#[test]
fn passwords_come_from_the_documented_sources_in_order() {
    let work = TempDir::new().unwrap();
    let dir = work.path();
    fs::write(dir.join("pw"), "from-file").unwrap();
    ok(vouch(dir).args(["generate-key-pair", "--password-file", "pw"]));
    let read = |cmd: &mut Command| cmd.output().unwrap();
    let public_key = || {
        let mut cmd = vouch(dir);
        cmd.args(["public-key", "--key", "cosign.key"]);
        cmd
    };
    // --password-file beats both variables; VOUCH_PASSWORD beats COSIGN_PASSWORD.
    let out = read(
        public_key()
            .args(["--password-file", "pw"])
            .env("VOUCH_PASSWORD", "x")
            .env("COSIGN_PASSWORD", "y"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = read(
        public_key()
            .env("VOUCH_PASSWORD", "from-file")
            .env("COSIGN_PASSWORD", "y"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = read(
        public_key()
            .env("VOUCH_PASSWORD", "x")
            .env("COSIGN_PASSWORD", "from-file"),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("hint: the password was read from VOUCH_PASSWORD"));

    // Standard input is read whole, as cosign reads it: `echo pw |` includes the newline.
    let piped = |input: &str| {
        let mut child = vouch(dir)
            .args(["public-key", "--key", "cosign.key"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), input.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    assert!(piped("from-file").status.success());
    let out = piped("from-file\n");
    assert_eq!(out.status.code(), Some(2));
    insta::assert_snapshot!(stderr(&out), @r"
    error: cosign.key: wrong password for the cosign encrypted private key (the key decrypts only with the password it was written with; cosign reads COSIGN_PASSWORD)
    hint: the password was read from standard input (all of it, a trailing newline included, as cosign reads it)
    hint: vouch reads the password from --password-file, else VOUCH_PASSWORD, else COSIGN_PASSWORD, else a prompt on a terminal, else all of standard input
    ");

    // An empty COSIGN_PASSWORD is the empty password, as in cosign.
    ok(vouch(dir)
        .args(["generate-key-pair", "--output-key-prefix", "empty"])
        .env("COSIGN_PASSWORD", ""));
    let out = ok(vouch(dir)
        .args(["public-key", "--key", "empty.key"])
        .env("COSIGN_PASSWORD", ""));
    assert_eq!(
        stdout(&out),
        fs::read_to_string(dir.join("empty.pub")).unwrap()
    );
}

#[test]
fn import_key_pair_converts_openssl_keys_to_cosign_keys() {
    let work = TempDir::new().unwrap();
    let dir = work.path();
    fs::write(dir.join("pw"), "pw\n").unwrap();
    for (key, password) in openssl_keys(dir) {
        let expected = openssl_public(dir, key, password);
        let prefix = format!("imported-{key}");
        // The input's password and the new key's come from the same place (here the file).
        let out = ok(vouch(dir).args([
            "import-key-pair",
            "--key",
            key,
            "--output-key-prefix",
            &prefix,
            "--password-file",
            "pw",
        ]));
        assert!(
            stderr(&out).contains(&format!("Private key written to {prefix}.key")),
            "{}",
            stderr(&out)
        );
        let text = fs::read_to_string(dir.join(format!("{prefix}.key"))).unwrap();
        assert!(text.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        assert_eq!(
            fs::read_to_string(dir.join(format!("{prefix}.pub"))).unwrap(),
            expected,
            "{key}"
        );
        let out = ok(vouch(dir)
            .args(["public-key", "--key", &format!("{prefix}.key")])
            .env("COSIGN_PASSWORD", "pw"));
        assert_eq!(stdout(&out), expected, "{key}");
    }
    // cosign's default prefix.
    ok(vouch(dir)
        .args(["import-key-pair", "--key", "p256.pem"])
        .env("VOUCH_PASSWORD", "x"));
    assert!(dir.join("import-cosign.key").is_file() && dir.join("import-cosign.pub").is_file());
}

#[test]
fn the_cosign_and_sigstore_rs_vectors_decrypt() {
    let vectors = vouch_testdata::interop("sigstore-rs-keys");
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let public = |file: &str, password: &str| {
        ok(vouch(dir)
            .arg("public-key")
            .arg("--key")
            .arg(vectors.join(file))
            .env("COSIGN_PASSWORD", password))
    };
    let plain = stdout(&ok(vouch(dir)
        .arg("public-key")
        .arg("--key")
        .arg(vectors.join("ecdsa_private.key"))));
    assert!(plain.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    let empty = stdout(&public("cosign_generated_encrypted_empty_private.key", ""));
    let legacy = stdout(&public("ecdsa_encrypted_private.key", "123"));
    for text in [&empty, &legacy] {
        assert!(text.starts_with("-----BEGIN PUBLIC KEY-----\n"));
    }
    let out = vouch(dir)
        .arg("public-key")
        .arg("--key")
        .arg(vectors.join("ecdsa_encrypted_private.key"))
        .env("COSIGN_PASSWORD", "1234")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("wrong password for the cosign encrypted private key"));
}

// --- skopeo 1.18 ------------------------------------------------------------------------------

#[test]
fn vouch_decrypts_keys_skopeo_generates() {
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let key = generate_key(dir, "skopeo", "skopeo passphrase");
    let out = ok(vouch(dir)
        .arg("public-key")
        .arg("--key")
        .arg(&key.private)
        .arg("--password-file")
        .arg(&key.passphrase_file));
    assert_eq!(stdout(&out), fs::read_to_string(&key.public).unwrap());

    // A wrong password: exit 2, and the message says so (not "decryption failed").
    let out = vouch(dir)
        .arg("public-key")
        .arg("--key")
        .arg(&key.private)
        .env("VOUCH_PASSWORD", "not the passphrase")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out).replace(key.private.to_str().unwrap(), "[KEY]");
    insta::assert_snapshot!(err, @r"
    error: [KEY]: wrong password for the cosign encrypted private key (the key decrypts only with the password it was written with; cosign reads COSIGN_PASSWORD)
    hint: the password was read from VOUCH_PASSWORD
    hint: vouch reads the password from --password-file, else VOUCH_PASSWORD, else COSIGN_PASSWORD, else a prompt on a terminal, else all of standard input
    ");

    // import-key-pair re-encrypts a skopeo key (N = 65536), and skopeo's key still works.
    ok(vouch(dir)
        .arg("import-key-pair")
        .arg("--key")
        .arg(&key.private)
        .arg("--output-key-prefix")
        .arg("reimported")
        .arg("--password-file")
        .arg(&key.passphrase_file));
    assert_eq!(
        fs::read_to_string(dir.join("reimported.pub")).unwrap(),
        fs::read_to_string(&key.public).unwrap()
    );
}

/// A vouch key pair as the registry harness's [`Key`], with its password file.
fn vouch_key(dir: &Path, prefix: &str, passphrase: &str, make: &mut Command) -> Key {
    let passphrase_file = dir.join(format!("{prefix}.passphrase"));
    fs::write(&passphrase_file, passphrase).unwrap();
    ok(make
        .arg("--output-key-prefix")
        .arg(prefix)
        .arg("--password-file")
        .arg(&passphrase_file));
    Key {
        private: dir.join(format!("{prefix}.key")),
        public: dir.join(format!("{prefix}.pub")),
        passphrase: passphrase.to_owned(),
        passphrase_file,
    }
}

/// skopeo signs images with keys from `vouch generate-key-pair` (each algorithm skopeo signs
/// with) and `vouch import-key-pair`; vouch and skopeo's policy engine accept the signatures,
/// and reject them with another key.
#[test]
fn skopeo_signs_with_vouch_keys_and_both_verifiers_accept() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let dir = work.path();
    ok(openssl(dir).args([
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        "openssl.pem",
    ]));
    let mut keys: Vec<(String, Key)> = ["ecdsa-p256", "ecdsa-p384", "ed25519"]
        .into_iter()
        .map(|algorithm| {
            let key = vouch_key(
                dir,
                algorithm,
                &format!("{algorithm} passphrase"),
                vouch(dir).args(["generate-key-pair", "--algorithm", algorithm]),
            );
            (format!("generated {algorithm}"), key)
        })
        .collect();
    let imported = vouch_key(
        dir,
        "imported",
        "imported passphrase",
        vouch(dir).args(["import-key-pair", "--key", "openssl.pem"]),
    );
    keys.push(("imported openssl P-256".to_owned(), imported));
    let other = generate_key(dir, "other", "other passphrase");

    let mut failures = Vec::new();
    for (index, (name, key)) in keys.iter().enumerate() {
        let layout = build_image(dir, &format!("img{index}"), name.as_bytes());
        let repo_tag = format!("test/vouch-key-{index}:v1");
        let image = sign_and_push(&layout, &registry, &repo_tag, key);
        let (code, report) = vouch_verify(
            &key.public,
            &[image.reference()],
            &["--insecure-ignore-tlog"],
        );
        if code != 0 {
            failures.push(format!("{name}: vouch verify exit {code}: {report:#}"));
        }
        if let Err(reason) = skopeo_policy_check(&registry, &image.repo_tag(), &key.public) {
            failures.push(format!("{name}: skopeo policy rejected: {reason}"));
        }
        let (code, _) = vouch_verify(
            &other.public,
            &[image.reference()],
            &["--insecure-ignore-tlog"],
        );
        if code != 12 {
            failures.push(format!(
                "{name}: vouch verify with another key exited {code}, not 12"
            ));
        }
        if skopeo_policy_check(&registry, &image.repo_tag(), &other.public).is_ok() {
            failures.push(format!("{name}: skopeo accepted another key"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// On a terminal the password is asked for (twice when creating a key). `script` (util-linux)
/// runs vouch on a pseudo-terminal; the typed lines wait in the terminal's input queue.
#[test]
fn a_terminal_is_prompted_and_asked_twice_for_a_new_key() {
    let found = Command::new("script").arg("--version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "this test needs `script` from util-linux: install it with `apt-get install util-linux`"
    );
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let on_terminal = |command: &str, typed: &str| {
        let mut child = Command::new("script")
            .args(["-qec", command, "/dev/null"])
            .current_dir(dir)
            .env_remove("VOUCH_PASSWORD")
            .env_remove("COSIGN_PASSWORD")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), typed.as_bytes()).unwrap();
        child.wait_with_output().unwrap()
    };
    let vouch = env!("CARGO_BIN_EXE_vouch");
    let out = on_terminal(
        &format!("{vouch} generate-key-pair --output-key-prefix tty"),
        "typed pw\ntyped pw\n",
    );
    let text = stdout(&out);
    assert!(out.status.success(), "{text}");
    assert!(text.contains("Enter password for private key: "), "{text}");
    assert!(
        text.contains("Enter password for private key again: "),
        "{text}"
    );
    // The typed-ahead lines are echoed when they enter the queue, before vouch runs; after
    // the prompt (echo off), nothing is.
    let after_prompt = &text[text.find("Enter password").unwrap()..];
    assert!(
        !after_prompt.contains("typed pw"),
        "the password was echoed: {text}"
    );
    let out = ok(self::vouch(dir)
        .args(["public-key", "--key", "tty.key"])
        .env("VOUCH_PASSWORD", "typed pw"));
    assert_eq!(
        stdout(&out),
        fs::read_to_string(dir.join("tty.pub")).unwrap()
    );

    let out = on_terminal(
        &format!("{vouch} generate-key-pair --output-key-prefix mismatch"),
        "one\nanother\n",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("error: the two passwords entered do not match"));
    assert!(!dir.join("mismatch.key").exists());
}
