//! DSSE envelopes that cosign wrote (`cosign attest-blob --key`, from cosign's own tests;
//! `testdata/interop/cosign-blob-attestation/PROVENANCE.md`), verified with
//! `verify-blob-attestation --signature` as `cosign verify-blob-attestation` verifies them: the
//! same accepted, the same refused, each with its outcome.

use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use serde_json::Value;

use crate::attestations::{expect, text};
use crate::verify_blob::vouch;

fn vectors() -> std::path::PathBuf {
    vouch_testdata::root().join("interop/cosign-blob-attestation")
}

/// `verify-blob-attestation --key cosign.pub SOURCE FLAGS… FILE`, SOURCE being `--signature
/// ENVELOPE` or `--bundle BUNDLE`, FILE one of the vectors.
fn verify(dir: &Path, (source, path): (&str, &Path), file: &str, flags: &[&str]) -> Command {
    let data = vectors();
    let mut cmd = vouch(dir);
    cmd.arg("verify-blob-attestation")
        .arg("--key")
        .arg(data.join("cosign.pub"))
        .arg(source)
        .arg(path)
        .args(flags)
        .arg(data.join(file));
    cmd
}

/// `--signature` with one of cosign's envelopes.
fn envelope(dir: &Path, name: &str, file: &str, flags: &[&str]) -> Command {
    verify(dir, ("--signature", &vectors().join(name)), file, flags)
}

#[test]
fn cosign_envelopes_verify_as_cosign_verifies_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let ignore_tlog = "--insecure-ignore-tlog";
    // Accepted by cosign: one subject, or two of which one is the file.
    for name in ["slsa-provenance.dsse.json", "multiple-subjects.dsse.json"] {
        let ok = expect(
            &mut envelope(
                dir,
                name,
                "blob",
                &[ignore_tlog, "--type", "slsaprovenance"],
            ),
            0,
        );
        let printed = text(&ok.stdout);
        assert!(
            printed.starts_with("OK ")
                && printed.contains(
                    "/blob: attestation of type https://slsa.dev/provenance/v0.2 verified: key sha256:"
                ),
            "{printed}"
        );
    }
    // Refused by cosign, each for its reason.
    for (name, file, kind, code, category) in [
        (
            "slsa-provenance.dsse.json",
            "blob",
            "custom",
            15,
            "other-type",
        ),
        (
            "multiple-subjects.dsse.json",
            "blob",
            "custom",
            15,
            "other-type",
        ),
        (
            "slsa-provenance.dsse.json",
            "another-blob",
            "slsaprovenance",
            1,
            "payload-mismatch",
        ),
        (
            "empty-subject.dsse.json",
            "blob",
            "slsaprovenance",
            1,
            "malformed",
        ),
        (
            "missing-sha256.dsse.json",
            "blob",
            "slsaprovenance",
            1,
            "malformed",
        ),
        (
            "multiple-subjects-none-matching.dsse.json",
            "blob",
            "slsaprovenance",
            1,
            "payload-mismatch",
        ),
    ] {
        let refused = expect(
            &mut envelope(
                dir,
                name,
                file,
                &[ignore_tlog, "--type", kind, "-o", "json"],
            ),
            code,
        );
        let report: Value = serde_json::from_slice(&refused.stdout).unwrap();
        assert_eq!(
            report["attestations"][0]["outcome"], category,
            "{name} {file} {kind}: {report}"
        );
        assert!(
            report["signature_file"]
                .as_str()
                .is_some_and(|f| f.ends_with(name)),
            "{report}"
        );
    }
    // An envelope shows no log entry: only --insecure-ignore-tlog accepts it (cosign would
    // look for one in Rekor, online).
    let unlogged = expect(
        &mut envelope(dir, "slsa-provenance.dsse.json", "blob", &[]),
        4,
    );
    assert!(
        text(&unlogged.stdout).contains("[log-entry-missing]"),
        "{}",
        text(&unlogged.stdout)
    );
    // Keyless needs a certificate and a log entry, which an envelope does not carry.
    let data = vectors();
    let keyless = expect(
        vouch(dir)
            .arg("verify-blob-attestation")
            .arg("--signature")
            .arg(data.join("slsa-provenance.dsse.json"))
            .arg(data.join("blob")),
        2,
    );
    assert!(
        text(&keyless.stderr).contains("--signature (a DSSE envelope) verifies with --key only"),
        "{}",
        text(&keyless.stderr)
    );
}

/// A payload changed after signing is rejected; a file that is not a DSSE envelope is an
/// unusable input (exit 2, named), as an unreadable bundle is.
#[test]
fn tampered_or_malformed_envelopes_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut signed: Value = serde_json::from_slice(
        &std::fs::read(vectors().join("slsa-provenance.dsse.json")).unwrap(),
    )
    .unwrap();
    let payload = signed["payload"].as_str().unwrap().replace('A', "B");
    signed["payload"] = Value::String(payload);
    let tampered = dir.join("tampered.dsse.json");
    std::fs::write(&tampered, signed.to_string()).unwrap();
    let flags = ["--insecure-ignore-tlog"];
    let refused = expect(
        &mut verify(dir, ("--signature", &tampered), "blob", &flags),
        1,
    );
    assert!(
        text(&refused.stdout).starts_with("FAILED "),
        "{}",
        text(&refused.stdout)
    );
    let malformed = dir.join("malformed.dsse.json");
    std::fs::write(&malformed, r#"{"payloadType":1}"#).unwrap();
    let refused = expect(
        &mut verify(dir, ("--signature", &malformed), "blob", &flags),
        2,
    );
    assert!(
        text(&refused.stdout).is_empty()
            && text(&refused.stderr).contains(
                "malformed.dsse.json: malformed bundle: cosign attestation: not a DSSE envelope"
            ),
        "{}",
        text(&refused.stderr)
    );
}

/// cosign ≤ 2's `attest-blob --bundle` writes its legacy bundle (`LocalSignedPayload`) with the
/// whole envelope in `base64Signature`, and the signer's public key or certificate in `cert`:
/// laid out here around cosign's envelopes, and read as cosign reads it.
#[test]
fn cosign_legacy_attestation_bundles_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    let data = vectors();
    let public_pem = std::fs::read(data.join("cosign.pub")).unwrap();
    for (envelope, file, code) in [
        ("slsa-provenance.dsse.json", "blob", 0),
        ("multiple-subjects.dsse.json", "blob", 0),
        ("slsa-provenance.dsse.json", "another-blob", 1),
        ("multiple-subjects-none-matching.dsse.json", "blob", 1),
    ] {
        let signed = std::fs::read(data.join(envelope)).unwrap();
        for cert in [None, Some(b64(&public_pem))] {
            let mut bundle = serde_json::json!({ "base64Signature": b64(&signed) });
            if let Some(cert) = &cert {
                bundle["cert"] = Value::String(cert.clone());
            }
            let path = dir.join("legacy.bundle");
            std::fs::write(&path, bundle.to_string()).unwrap();
            let out = expect(
                &mut verify(
                    dir,
                    ("--bundle", &path),
                    file,
                    &["--insecure-ignore-tlog", "--type", "slsaprovenance"],
                ),
                code,
            );
            let printed = text(&out.stdout);
            assert_eq!(
                printed.starts_with("OK "),
                code == 0,
                "{envelope} {file} {cert:?}: {printed}"
            );
        }
    }
}
