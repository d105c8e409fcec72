//! `Verifier::verify_digest`: bundles checked against a digest the caller computed (a container
//! image's manifest digest), and key-signed DSSE envelopes without a log entry.

use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::EncodePublicKey as _;
use sha2::{Digest as _, Sha256};
use vouch_blob::{Digest, DigestAlgorithm};
use vouch_sigstore::{Bundle, BundleFormat, Error, Matcher, Policy, TrustRoot, Verifier};

use super::{BEACON, GITHUB, a_txt, base64_std, conformance_bundle};

const IN_TOTO: &str = "application/vnd.in-toto+json";

fn verifier() -> Verifier {
    Verifier::new(&TrustRoot::production().unwrap()).unwrap()
}

fn sha256(bytes: &[u8]) -> Digest {
    Digest::of(DigestAlgorithm::Sha256, bytes)
}

fn beacon() -> Policy {
    Policy::identity(Matcher::exact(BEACON), Matcher::exact(GITHUB))
}

#[test]
fn a_message_signature_verifies_against_the_artifact_digest() {
    let case = vouch_testdata::case("p256-der");
    let key = vouch_keys::PublicKey::from_bytes(&case.key_bytes()).unwrap();
    let signature = base64_std(&case.sig());
    let bundle =
        Bundle::from_json(format!(r#"{{"base64Signature":"{signature}"}}"#).as_bytes()).unwrap();
    let verifier = verifier();
    let digest = sha256(&case.artifact());
    assert!(matches!(
        verifier.verify_digest(&digest, &bundle, &Policy::key(key.clone())),
        Err(Error::LogEntryMissing)
    ));
    let lax = Policy::key(key).insecure_ignore_tlog();
    let verified = verifier.verify_digest(&digest, &bundle, &lax).unwrap();
    assert!(!verified.tlog_verified());
    assert!(verified.key_fingerprint().is_some());
    let err = verifier
        .verify_digest(&sha256(b"other"), &bundle, &lax)
        .unwrap_err();
    assert!(matches!(err, Error::SignatureInvalid { .. }), "{err}");
}

#[test]
fn ed25519_cannot_be_checked_from_a_digest_and_says_so() {
    let case = vouch_testdata::case("ed25519-base64");
    let key = vouch_keys::PublicKey::from_bytes(&case.key_bytes()).unwrap();
    let signature = String::from_utf8(case.sig()).unwrap();
    let bundle =
        Bundle::from_json(format!(r#"{{"base64Signature":"{}"}}"#, signature.trim()).as_bytes())
            .unwrap();
    let lax = Policy::key(key).insecure_ignore_tlog();
    let err = verifier()
        .verify_digest(&sha256(&case.artifact()), &bundle, &lax)
        .unwrap_err();
    assert!(!err.is_verdict(), "{err}");
    assert!(err.to_string().contains("digest"), "{err}");
}

#[test]
fn keyless_bundles_verify_against_the_digest() {
    let verifier = verifier();
    let digest = sha256(&a_txt());
    for case in ["happy-path-v0.3", "happy-path-intoto-in-dsse-v3"] {
        let bundle = Bundle::from_json(&conformance_bundle(case)).unwrap();
        let verified = verifier.verify_digest(&digest, &bundle, &beacon());
        let verified = verified.unwrap_or_else(|err| panic!("{case}: {err}"));
        assert!(verified.tlog_verified(), "{case}");
        let err = verifier
            .verify_digest(&sha256(b"other"), &bundle, &beacon())
            .unwrap_err();
        assert!(
            matches!(err, Error::SignatureInvalid { .. }),
            "{case}: {err}"
        );
    }
}

#[test]
fn bundle_versions_and_dsse_payloads_are_reported() {
    let dsse = Bundle::from_json(&conformance_bundle("happy-path-intoto-in-dsse-v3")).unwrap();
    assert_eq!(dsse.version(), Some((0, 3)));
    assert_eq!(dsse.dsse_payload_type(), Some(IN_TOTO));
    let statement: serde_json::Value =
        serde_json::from_slice(dsse.dsse_payload().unwrap()).unwrap();
    assert_eq!(statement["predicateType"], "https://slsa.dev/provenance/v1");
    for (case, version) in [
        ("happy-path-v0.1", (0, 1)),
        ("happy-path-v0.2", (0, 2)),
        ("happy-path-v0.3", (0, 3)),
        ("happy-path-v0.3-new-mediaType", (0, 3)),
    ] {
        let bundle = Bundle::from_json(&conformance_bundle(case)).unwrap();
        assert_eq!(bundle.version(), Some(version), "{case}");
        assert_eq!(bundle.dsse_payload_type(), None, "{case}");
        assert_eq!(bundle.dsse_payload(), None, "{case}");
    }
    let legacy = Bundle::from_json(br#"{"base64Signature":"AAAA"}"#).unwrap();
    assert_eq!(legacy.format(), &BundleFormat::LegacyCosign);
    assert_eq!(legacy.version(), None);
}

/// A deterministic P-256 key from a label.
fn signing_key(label: &str) -> p256::ecdsa::SigningKey {
    let seed: [u8; 32] = Sha256::digest(label.as_bytes()).into();
    p256::ecdsa::SigningKey::from_slice(&seed).unwrap()
}

fn public_key(key: &p256::ecdsa::SigningKey) -> vouch_keys::PublicKey {
    let der = key.verifying_key().to_public_key_der().unwrap();
    vouch_keys::PublicKey::from_der(der.as_bytes()).unwrap()
}

fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// A v0.3 bundle, key-signed, with a DSSE envelope and neither log entry nor timestamp (as
/// `cosign attest --key --tlog-upload=false` writes). `signed` is what was signed; `carried`
/// the payload the envelope carries (the same unless testing tampering).
fn dsse_bundle(
    key: &p256::ecdsa::SigningKey,
    payload_type: &str,
    signed: &[u8],
    carried: &[u8],
) -> Bundle {
    let b64 = base64::engine::general_purpose::STANDARD;
    let signature: p256::ecdsa::Signature = key.sign(&pae(payload_type, signed));
    let hint = b64.encode(Sha256::digest(
        key.verifying_key().to_public_key_der().unwrap().as_bytes(),
    ));
    let json = serde_json::json!({
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": { "publicKey": { "hint": hint }, "tlogEntries": [] },
        "dsseEnvelope": {
            "payload": b64.encode(carried),
            "payloadType": payload_type,
            "signatures": [{ "sig": b64.encode(signature.to_der().as_bytes()), "keyid": "" }]
        }
    });
    Bundle::from_json(json.to_string().as_bytes()).unwrap()
}

fn statement(subject_sha256: &str) -> Vec<u8> {
    format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"{subject_sha256}"}}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{{}}}}"#
    )
    .into_bytes()
}

#[test]
fn a_key_signed_dsse_envelope_without_a_log_needs_insecure_ignore_tlog() {
    let artifact = b"the artifact";
    let digest = sha256(artifact);
    let payload = statement(&digest.to_hex());
    let key = signing_key("dsse");
    let bundle = dsse_bundle(&key, IN_TOTO, &payload, &payload);
    let verifier = verifier();
    let strict = Policy::key(public_key(&key));
    assert!(matches!(
        verifier.verify_digest(&digest, &bundle, &strict),
        Err(Error::LogEntryMissing)
    ));
    let lax = strict.insecure_ignore_tlog();
    let verified = verifier.verify_digest(&digest, &bundle, &lax).unwrap();
    assert!(!verified.tlog_verified());
    assert_eq!(
        verified.key_fingerprint(),
        Some(public_key(&key).fingerprint())
    );
    let streamed = verifier
        .verify_reader(&artifact[..], &bundle, &lax)
        .unwrap();
    assert_eq!(streamed.key_fingerprint(), verified.key_fingerprint());

    // Another artifact: the statement does not name it.
    for err in [
        verifier
            .verify_digest(&sha256(b"other"), &bundle, &lax)
            .unwrap_err(),
        verifier
            .verify_reader(&b"other"[..], &bundle, &lax)
            .unwrap_err(),
    ] {
        assert!(matches!(err, Error::SignatureInvalid { .. }), "{err}");
        assert!(err.to_string().contains("subject"), "{err}");
    }
    // Another key.
    let other = Policy::key(public_key(&signing_key("other"))).insecure_ignore_tlog();
    let err = verifier
        .verify_digest(&digest, &bundle, &other)
        .unwrap_err();
    assert!(matches!(err, Error::SignatureInvalid { .. }), "{err}");
    // A payload changed after signing: same subject, other predicate.
    let changed = String::from_utf8(payload.clone())
        .unwrap()
        .replace("cosign/sign/v1", "cosign/sign/v2")
        .into_bytes();
    let tampered = dsse_bundle(&key, IN_TOTO, &payload, &changed);
    let err = verifier
        .verify_digest(&digest, &tampered, &lax)
        .unwrap_err();
    assert!(matches!(err, Error::SignatureInvalid { .. }), "{err}");
    // Another payload type binds nothing to the artifact.
    let other_type = dsse_bundle(&key, "text/plain", &payload, &payload);
    let err = verifier
        .verify_digest(&digest, &other_type, &lax)
        .unwrap_err();
    assert!(matches!(err, Error::MalformedBundle { .. }), "{err}");
}
