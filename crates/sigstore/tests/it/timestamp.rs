//! Bundles whose RFC 3161 timestamps have a fractional genTime, which vouch verifies itself
//! (sigstore-tsa 0.15.1 cannot decode them): made by sigstore-js against `@sigstore/mock`.

use vouch_sigstore::{Bundle, Error, Matcher, Policy, TrustRoot, Verifier};

const IDENTITY: &str =
    "https://github.com/vouch-peer/sigstore-js/.github/workflows/sign.yml@refs/heads/main";
const ISSUER: &str = "https://token.actions.githubusercontent.com";
/// The tokens' genTime, 2026-12-01T09:44:50.123Z, in whole seconds.
const GEN_TIME: i64 = 1_796_118_290;

fn file(name: &str) -> Vec<u8> {
    std::fs::read(vouch_testdata::interop("sigstore-js-fractional-gentime").join(name)).unwrap()
}

fn verifier() -> Verifier {
    let root = String::from_utf8(file("trusted_root.json")).unwrap();
    Verifier::new(&TrustRoot::from_json(&root).unwrap()).unwrap()
}

fn key_policy() -> Policy {
    Policy::key(vouch_keys::PublicKey::from_bytes(&file("key.pub")).unwrap())
}

fn keyless_policy() -> Policy {
    Policy::identity(Matcher::exact(IDENTITY), Matcher::exact(ISSUER))
}

fn json(name: &str) -> serde_json::Value {
    serde_json::from_slice(&file(name)).unwrap()
}

fn bundle(value: &serde_json::Value) -> Bundle {
    Bundle::from_json(value.to_string().as_bytes()).unwrap()
}

fn verify(
    bundle: &Bundle,
    policy: &Policy,
) -> vouch_sigstore::Result<vouch_sigstore::VerifiedBundle> {
    verifier().verify_reader(file("artifact.txt").as_slice(), bundle, policy)
}

#[test]
fn a_key_signed_bundle_without_a_log_is_accepted_on_its_timestamp() {
    let b = bundle(&json("b-key-tsa-nolog.sigstore.json"));
    assert!(matches!(
        verify(&b, &key_policy()),
        Err(Error::LogEntryMissing)
    ));
    let verified = verify(&b, &key_policy().insecure_ignore_tlog()).unwrap();
    assert_eq!(verified.timestamp_sources(), ["rfc3161"]);
    assert_eq!(verified.verified_timestamps(), [GEN_TIME]);
    assert!(!verified.tlog_verified());
    let err = verifier()
        .verify_reader(&b"other"[..], &b, &key_policy().insecure_ignore_tlog())
        .unwrap_err();
    assert!(matches!(err, Error::SignatureInvalid { .. }), "{err}");
}

#[test]
fn a_keyless_bundle_is_checked_at_the_log_time_and_the_timestamp() {
    let c2 = bundle(&json("c2-keyless-log-tsa.sigstore.json"));
    let verified = verify(&c2, &keyless_policy()).unwrap();
    assert_eq!(verified.timestamp_sources(), ["tlog", "rfc3161"]);
    assert!(verified.tlog_verified());
    assert!(verified.verified_timestamps().contains(&GEN_TIME));
    assert_eq!(verified.verified_timestamps().len(), 2);
}

#[test]
fn a_keyless_bundle_timed_only_by_a_fractional_timestamp_fails_closed() {
    let mut value = json("c2-keyless-log-tsa.sigstore.json");
    value["verificationMaterial"]["tlogEntries"] = serde_json::json!([]);
    let err = verify(&bundle(&value), &keyless_policy().insecure_ignore_tlog()).unwrap_err();
    let Error::TimestampInvalid { detail } = &err else {
        panic!("{err}")
    };
    assert!(detail.contains("fractional seconds"), "{detail}");
}

#[test]
fn every_timestamp_must_verify() {
    let mut value = json("b-key-tsa-nolog.sigstore.json");
    let stamps =
        &mut value["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"];
    let token = stamps[0].clone();
    stamps.as_array_mut().unwrap().push(token);
    let verified = verify(&bundle(&value), &key_policy().insecure_ignore_tlog()).unwrap();
    assert_eq!(verified.verified_timestamps(), [GEN_TIME, GEN_TIME]);

    // A second token, valid, but for another signature (the conformance suite's).
    let other: serde_json::Value = serde_json::from_slice(
        &std::fs::read(
            vouch_testdata::interop("sigstore-conformance/bundle-verify/rekor2-happy-path")
                .join("bundle.sigstore.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let stamps =
        &mut value["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"];
    stamps[1] =
        other["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0].clone();
    let err = verify(&bundle(&value), &key_policy().insecure_ignore_tlog()).unwrap_err();
    let Error::TimestampInvalid { detail } = &err else {
        panic!("{err}")
    };
    assert!(detail.starts_with("RFC 3161 timestamp 2:"), "{detail}");
    assert!(err.is_verdict());
}
