//! Registries that serve HTTPS with a private CA, and that require client certificates
//! (mutual TLS): the real registry (distribution 2.8.2) with certificates made by `openssl`
//! in the test run; `--registry-cacert`, `--registry-client-cert` and `--registry-client-key`
//! for `verify` and `sign`.

use std::path::Path;
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::registry_harness::{
    Auth, Registry, TlsFiles, build_image, generate_key, run_ok, sign_and_push,
};

/// `vouch ARGS`: exit code and stderr (stdout is not needed here).
fn vouch(args: &[&str]) -> (i32, String) {
    let home = TempDir::new().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .env("HOME", home.path())
        .env("VOUCH_PASSWORD", "tls-test")
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("COSIGN_REPOSITORY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[test]
fn a_private_ca_is_trusted_only_when_given() {
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let tls = TlsFiles::make(dir);
    let registry = Registry::start_with(Auth::None, Some(&tls));
    let key = generate_key(dir, "skopeo", "passphrase");
    let layout = build_image(dir, "tls", b"vouch tls test\n");
    let image = sign_and_push(&layout, &registry, "test/tls:v1", &key);
    let reference = image.reference();
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "verify",
            "--insecure-ignore-tlog",
            "--key",
            path(&key.public),
        ];
        args.extend_from_slice(extra);
        args.push(&reference);
        vouch(&args)
    };

    // The registry's certificate is not from a CA the system trusts: a lookup failure, never
    // a fall back to plain HTTP (the port speaks TLS).
    let (code, stderr) = verify(&[]);
    assert_eq!(code, 13, "{stderr}");
    assert!(stderr.contains("--registry-cacert"), "{stderr}");
    let (code, stderr) = verify(&["--registry-cacert", path(&tls.ca_cert)]);
    assert_eq!(code, 0, "{stderr}");

    // Signing over the same TLS connection setup.
    let keys = dir.join("vouch");
    let (code, stderr) = vouch(&["generate-key-pair", "--output-key-prefix", path(&keys)]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = vouch(&[
        "sign",
        "--key",
        path(&keys.with_extension("key")),
        "--registry-cacert",
        path(&tls.ca_cert),
        &reference,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = vouch(&[
        "verify",
        "--insecure-ignore-tlog",
        "--key",
        path(&keys.with_extension("pub")),
        "--registry-cacert",
        path(&tls.ca_cert),
        &reference,
    ]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn client_certificates_are_presented_when_required() {
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let tls = TlsFiles::make(dir).requiring_client_certificates();
    let registry = Registry::start_with(Auth::None, Some(&tls));
    let layout = build_image(dir, "mtls", b"vouch mtls test\n");
    let cert_dir = tls.cert_dir(&dir.join("certs.d"));
    run_ok(
        registry
            .skopeo_copy()
            .arg("--dest-cert-dir")
            .arg(&cert_dir)
            .arg(format!("oci:{layout}"))
            .arg(format!("docker://{}/test/mtls:v1", registry.host())),
    );
    let reference = format!("{}/test/mtls:v1", registry.host());
    let keys = dir.join("vouch");
    let (code, stderr) = vouch(&["generate-key-pair", "--output-key-prefix", path(&keys)]);
    assert_eq!(code, 0, "{stderr}");
    let private = keys.with_extension("key");
    let public = keys.with_extension("pub");
    let tls_args = [
        "--registry-cacert",
        path(&tls.ca_cert),
        "--registry-client-cert",
        path(&tls.client_cert),
        "--registry-client-key",
        path(&tls.client_key),
    ];

    // Without a client certificate the handshake is refused: exit 11 for sign and verify.
    let (code, stderr) = vouch(&[
        "sign",
        "--key",
        path(&private),
        "--registry-cacert",
        path(&tls.ca_cert),
        &reference,
    ]);
    assert_eq!(code, 13, "{stderr}");
    let mut sign = vec!["sign", "--key", path(&private)];
    sign.extend_from_slice(&tls_args);
    sign.push(&reference);
    let (code, stderr) = vouch(&sign);
    assert_eq!(code, 0, "{stderr}");
    let mut verify = vec!["verify", "--insecure-ignore-tlog", "--key", path(&public)];
    verify.extend_from_slice(&tls_args);
    verify.push(&reference);
    let (code, stderr) = vouch(&verify);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = vouch(&[
        "verify",
        "--insecure-ignore-tlog",
        "--key",
        path(&public),
        "--registry-cacert",
        path(&tls.ca_cert),
        &reference,
    ]);
    assert_eq!(code, 13, "{stderr}");
    // A key that is not PEM is bad input, said before any request.
    let (code, stderr) = vouch(&[
        "verify",
        "--insecure-ignore-tlog",
        "--key",
        path(&public),
        "--registry-client-cert",
        path(&tls.client_cert),
        "--registry-client-key",
        path(&tls.ca_cert),
        &reference,
    ]);
    assert_ne!(code, 0, "{stderr}");
    assert!(stderr.contains("client certificate"), "{stderr}");
}

/// An HTTPS registry whose token service is on plain HTTP: the credentials are never sent there
/// (a downgrade anyone on the path could read), even though the realm is on loopback, where a
/// registry reached over plain HTTP may use one (`auth_bearer` in verify_image_e2e.rs).
#[test]
fn credentials_never_go_to_a_plain_http_realm_of_an_https_registry() {
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let tls = TlsFiles::make(dir);
    let registry = Registry::start_with(Auth::bearer("vouch-user", "token-s3cret"), Some(&tls));
    let realm = registry.token_realm().unwrap();
    assert!(realm.starts_with("http://127.0.0.1:"), "{realm}");
    let keys = dir.join("vouch");
    let (code, stderr) = vouch(&["generate-key-pair", "--output-key-prefix", path(&keys)]);
    assert_eq!(code, 0, "{stderr}");
    let reference = format!("{}/test/realm:v1", registry.host());
    let (code, stderr) = vouch(&[
        "verify",
        "--insecure-ignore-tlog",
        "--key",
        path(&keys.with_extension("pub")),
        "--registry-cacert",
        path(&tls.ca_cert),
        "--registry-username",
        "vouch-user",
        "--registry-password",
        "token-s3cret",
        &reference,
    ]);
    assert_eq!(code, 13, "{stderr}");
    assert!(stderr.contains("refusing the token service"), "{stderr}");
    assert!(stderr.contains("over plain HTTP"), "{stderr}");
    assert!(!stderr.contains("token-s3cret"), "{stderr}");
}
