//! `vouch verify-blob --bundle`: exit codes by reason, identity matching, legacy cosign
//! bundles, the Rekor bundle annotation, and the insecure no-log path.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;

const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GITHUB: &str = "https://token.actions.githubusercontent.com";

fn conformance(case: &str) -> PathBuf {
    vouch_testdata::interop("sigstore-conformance/bundle-verify").join(case)
}

fn a_txt() -> PathBuf {
    vouch_testdata::interop("sigstore-conformance/a.txt")
}

fn vouch(args: &[&str], paths: &[(&str, &Path)], file: &Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
    cmd.arg("verify-blob").args(args);
    for (flag, path) in paths {
        cmd.arg(flag).arg(path);
    }
    cmd.arg(file).output().unwrap()
}

fn keyless(case: &str, identity: &[&str], file: &Path) -> Output {
    let dir = conformance(case);
    let bundle = dir.join("bundle.sigstore.json");
    let root = dir.join("trusted_root.json");
    let mut paths = vec![("--bundle", bundle.as_path())];
    if root.exists() {
        paths.push(("--trusted-root", root.as_path()));
    }
    vouch(identity, &paths, file)
}

fn assert_exit(output: &Output, code: i32, stderr_has: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    assert!(
        stderr.contains(stderr_has),
        "expected {stderr_has:?} in: {stderr}"
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let expected = match code {
        0 => "Verified OK\n",
        2 => "",
        _ => "Verification failure\n",
    };
    assert_eq!(stdout, expected);
}

fn exact(identity: &'static str, issuer: &'static str) -> [&'static str; 4] {
    [
        "--certificate-identity",
        identity,
        "--certificate-oidc-issuer",
        issuer,
    ]
}

#[test]
fn each_reason_has_its_exit_code() {
    let id = exact(BEACON, GITHUB);
    assert_exit(&keyless("happy-path-v0.3", &id, &a_txt()), 0, "");
    assert_exit(
        &keyless("signature-mismatch_fail", &id, &a_txt()),
        1,
        "signature does not verify",
    );
    assert_exit(
        &keyless(
            "happy-path-v0.3",
            &exact("someone@example.com", GITHUB),
            &a_txt(),
        ),
        3,
        "identity mismatch",
    );
    assert_exit(
        &keyless("checkpoint-bad-keyhint_fail", &id, &a_txt()),
        5,
        "transparency-log entry does not verify",
    );
    let expired = conformance("intoto-expired-certificate_fail");
    assert_exit(
        &keyless(
            "intoto-expired-certificate_fail",
            &id,
            &expired.join("artifact"),
        ),
        6,
        "not valid at signing time",
    );
    assert_exit(
        &keyless("invalid-ct-key_fail", &id, &a_txt()),
        7,
        "certificate is not trusted",
    );
    assert_exit(
        &keyless("rekor2-no-timestamp_fail", &id, &a_txt()),
        8,
        "timestamp does not verify",
    );
    assert_exit(
        &keyless("bundle-malformed-json_fail", &id, &a_txt()),
        2,
        "malformed bundle",
    );
}

#[test]
fn regex_identities_are_anchored() {
    let matching = [
        "--certificate-identity-regexp",
        "https://github\\.com/sigstore-conformance/.*@refs/heads/main",
        "--certificate-oidc-issuer-regexp",
        "https://token\\.actions\\.githubusercontent\\.com",
    ];
    assert_exit(&keyless("happy-path-v0.3", &matching, &a_txt()), 0, "");
    // cosign's unanchored match would accept this prefix; vouch requires the whole value.
    let prefix_only = [
        "--certificate-identity-regexp",
        "https://github\\.com/sigstore-conformance/",
        "--certificate-oidc-issuer",
        GITHUB,
    ];
    assert_exit(
        &keyless("happy-path-v0.3", &prefix_only, &a_txt()),
        3,
        "anchored at both ends",
    );
    let bad = [
        "--certificate-identity-regexp",
        "(",
        "--certificate-oidc-issuer",
        GITHUB,
    ];
    assert_exit(
        &keyless("happy-path-v0.3", &bad, &a_txt()),
        2,
        "invalid regular expression `(`",
    );
}

#[test]
fn key_and_keyless_bundles_are_not_interchangeable() {
    let managed = conformance("managed-key-happy-path");
    let out = keyless("managed-key-happy-path", &exact(BEACON, GITHUB), &a_txt());
    assert_exit(&out, 1, "pass it with --key");
    let key = managed.join("key.pub");
    let out = vouch(
        &[],
        &[
            (
                "--bundle",
                &conformance("happy-path-v0.3").join("bundle.sigstore.json"),
            ),
            ("--key", &key),
        ],
        &a_txt(),
    );
    assert_exit(&out, 1, "this bundle is keyless");
}

#[test]
fn usage_errors_name_what_is_missing() {
    let bundle = conformance("happy-path-v0.3").join("bundle.sigstore.json");
    let out = vouch(
        &["--certificate-identity", BEACON],
        &[("--bundle", &bundle)],
        &a_txt(),
    );
    assert_exit(&out, 2, "needs both an identity");
    let out = vouch(&[], &[("--bundle", &bundle)], &a_txt());
    assert_exit(&out, 2, "--bundle needs --key");
}

/// A cosign ≤ 2 blob bundle, as `cosign sign-blob --bundle` wrote it.
fn legacy_bundle(
    dir: &Path,
    signature_b64: &str,
    rekor_bundle: Option<serde_json::Value>,
) -> PathBuf {
    let mut bundle = serde_json::json!({ "base64Signature": signature_b64 });
    if let Some(rekor) = rekor_bundle {
        bundle["rekorBundle"] = rekor;
    }
    let path = dir.join("legacy.bundle");
    std::fs::write(&path, bundle.to_string()).unwrap();
    path
}

/// A trusted root holding only a Rekor key, as cosign's offline `SIGSTORE_REKOR_PUBLIC_KEY` does.
fn rekor_only_root(dir: &Path, rekor_pem: &Path) -> PathBuf {
    let key = vouch_keys::PublicKey::from_bytes(&std::fs::read(rekor_pem).unwrap()).unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let root = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{
            "baseUrl": "https://rekor.sigstore.dev",
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": b64.encode(key.spki_der()),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": { "start": "2021-01-12T11:53:27Z" }
            },
            "logId": { "keyId": b64.encode(key.fingerprint().as_bytes()) }
        }],
        "certificateAuthorities": [], "ctlogs": [], "timestampAuthorities": []
    });
    let path = dir.join("rekor-root.json");
    std::fs::write(&path, root.to_string()).unwrap();
    path
}

#[test]
fn legacy_rekor_bundle_annotation_verifies_with_rekor_pub() {
    let vectors = vouch_testdata::interop("containers-image-cosign");
    let extracted = vectors.join("dir-img-cosign-key-rekor-valid");
    let annotations: serde_json::Value =
        serde_json::from_slice(&std::fs::read(extracted.join("annotations.json")).unwrap())
            .unwrap();
    let signature = annotations["dev.cosignproject.cosign/signature"]
        .as_str()
        .unwrap();
    let rekor: serde_json::Value =
        serde_json::from_str(annotations["dev.sigstore.cosign/bundle"].as_str().unwrap()).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let bundle = legacy_bundle(tmp.path(), signature, Some(rekor.clone()));
    let root = rekor_only_root(tmp.path(), &vectors.join("rekor.pub"));
    let payload = extracted.join("payload.json");
    let run = |key: &str, root: &Path| {
        vouch(
            &["--output", "json"],
            &[
                ("--bundle", &bundle),
                ("--key", &vectors.join(key)),
                ("--trusted-root", root),
            ],
            &payload,
        )
    };
    let out = run("cosign2.pub", &root);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["log_index"], 11_608_800);
    assert_eq!(report["integrated_time"], 1_674_251_859);
    assert_eq!(report["tlog_verified"], true);
    assert_eq!(report["bundle"]["format"], "legacy cosign bundle");
    // Another key: the signature does not verify.
    assert_eq!(run("cosign.pub", &root).status.code(), Some(1));
    // Another Rekor key: the SET does not verify.
    let other_root = rekor_only_root(tmp.path(), &vectors.join("cosign.pub"));
    assert_eq!(run("cosign2.pub", &other_root).status.code(), Some(5));
    // A SET whose log index was changed no longer verifies.
    let mut tampered = rekor;
    tampered["Payload"]["logIndex"] = serde_json::json!(11_608_801);
    let bundle = legacy_bundle(tmp.path(), signature, Some(tampered));
    let out = vouch(
        &[],
        &[
            ("--bundle", &bundle),
            ("--key", &vectors.join("cosign2.pub")),
            ("--trusted-root", &root),
        ],
        &payload,
    );
    assert_exit(&out, 5, "transparency-log entry does not verify");
}

#[test]
fn a_key_signed_bundle_without_a_log_needs_insecure_ignore_tlog() {
    let case = vouch_testdata::case("p256-der");
    let tmp = tempfile::tempdir().unwrap();
    let signature = base64::engine::general_purpose::STANDARD.encode(case.sig());
    let bundle = legacy_bundle(tmp.path(), &signature, None);
    let key = case.key_path();
    let out = vouch(
        &[],
        &[("--bundle", &bundle), ("--key", &key)],
        &case.artifact_path(),
    );
    assert_exit(&out, 4, "--insecure-ignore-tlog");
    let out = vouch(
        &["--insecure-ignore-tlog"],
        &[("--bundle", &bundle), ("--key", &key)],
        &case.artifact_path(),
    );
    assert_exit(
        &out,
        0,
        "warning: --insecure-ignore-tlog: the transparency log is not checked",
    );
    let tampered = vouch_testdata::case("p256-tampered");
    let out = vouch(
        &["--insecure-ignore-tlog"],
        &[("--bundle", &bundle), ("--key", &key)],
        &tampered.artifact_path(),
    );
    assert_exit(&out, 1, "signature does not verify");
}

/// cosign writes the signer's public key in `cert` of a key-signed legacy bundle: the key given
/// with --key is what verifies; something else in `cert` is refused, saying what was found.
#[test]
fn a_legacy_bundle_with_the_public_key_in_cert_verifies_with_the_key() {
    let case = vouch_testdata::case("p256-der");
    let tmp = tempfile::tempdir().unwrap();
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = case.key_path();
    let public_pem = vouch_keys::PublicKey::from_bytes(&std::fs::read(&key).unwrap())
        .unwrap()
        .to_pem();
    let write = |cert: &str| {
        let bundle = tmp.path().join("cert.bundle");
        let json = serde_json::json!({ "base64Signature": b64.encode(case.sig()), "cert": cert });
        std::fs::write(&bundle, json.to_string()).unwrap();
        bundle
    };
    let with_key = write(&b64.encode(public_pem));
    let out = vouch(
        &["--insecure-ignore-tlog"],
        &[("--bundle", &with_key), ("--key", &key)],
        &case.artifact_path(),
    );
    assert_exit(&out, 0, "");
    let with_text = write(&b64.encode("-----BEGIN NOTE-----\nAAAA\n-----END NOTE-----\n"));
    let out = vouch(
        &["--insecure-ignore-tlog"],
        &[("--bundle", &with_text), ("--key", &key)],
        &case.artifact_path(),
    );
    assert_exit(
        &out,
        2,
        "`cert` holds neither a PEM certificate nor a PEM public key",
    );
}

#[test]
fn legacy_keyless_annotation_verifies_against_the_production_root() {
    let extracted =
        vouch_testdata::interop("containers-image-cosign/dir-img-cosign-fulcio-rekor-valid");
    let annotations: serde_json::Value =
        serde_json::from_slice(&std::fs::read(extracted.join("annotations.json")).unwrap())
            .unwrap();
    let text = |key: &str| annotations[key].as_str().unwrap().to_owned();
    let b64 = base64::engine::general_purpose::STANDARD;
    let tmp = tempfile::tempdir().unwrap();
    let bundle = tmp.path().join("keyless.bundle");
    let certificates = text("dev.sigstore.cosign/certificate") + &text("dev.sigstore.cosign/chain");
    let legacy = serde_json::json!({
        "base64Signature": text("dev.cosignproject.cosign/signature"),
        "cert": b64.encode(certificates),
        "rekorBundle": serde_json::from_str::<serde_json::Value>(&text("dev.sigstore.cosign/bundle")).unwrap(),
    });
    std::fs::write(&bundle, legacy.to_string()).unwrap();
    let payload = extracted.join("payload.json");
    let who = |identity: &'static str| exact(identity, "https://github.com/login/oauth");
    assert_exit(
        &vouch(&who("mitr@redhat.com"), &[("--bundle", &bundle)], &payload),
        0,
        "",
    );
    assert_exit(
        &vouch(
            &who("someone@redhat.com"),
            &[("--bundle", &bundle)],
            &payload,
        ),
        3,
        "identity mismatch",
    );
    let other_data = extracted.join("annotations.json");
    assert_exit(
        &vouch(
            &who("mitr@redhat.com"),
            &[("--bundle", &bundle)],
            &other_data,
        ),
        1,
        "signature does not verify",
    );
}

#[test]
fn json_reports_log_time_sources_and_identity() {
    let mut args = exact(BEACON, GITHUB).to_vec();
    args.extend(["--output", "json"]);
    let out = keyless("happy-path-v0.3", &args, &a_txt());
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "valid");
    assert_eq!(report["exit_code"], 0);
    assert_eq!(report["identity"], BEACON);
    assert_eq!(report["issuer"], GITHUB);
    assert!(report["log_index"].is_u64(), "{report}");
    assert!(report["integrated_time"].is_i64(), "{report}");
    assert_eq!(report["timestamp_sources"], serde_json::json!(["tlog"]));
    assert_eq!(report["tlog_verified"], true);
    assert_eq!(
        report["bundle"]["format"],
        "Sigstore bundle (application/vnd.dev.sigstore.bundle+json;version=0.3)"
    );

    let mut wrong = exact("someone@example.com", GITHUB).to_vec();
    wrong.extend(["--output", "json"]);
    let out = keyless("happy-path-v0.3", &wrong, &a_txt());
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["verdict"], "invalid");
    assert_eq!(report["exit_code"], 3);
    assert!(
        report["reason"]
            .as_str()
            .unwrap()
            .contains("identity mismatch"),
        "{report}"
    );
}
