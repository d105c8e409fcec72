//! Integration tests of vouch-sigstore: bundle reading and verification as a library.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly, outside #[test] functions too"
)]

use vouch_sigstore::{Bundle, BundleFormat, Error, Matcher, Policy, TrustRoot, Verifier};

mod digest;
mod timestamp;

const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GITHUB: &str = "https://token.actions.githubusercontent.com";

fn conformance_bundle(case: &str) -> Vec<u8> {
    std::fs::read(
        vouch_testdata::interop("sigstore-conformance/bundle-verify")
            .join(case)
            .join("bundle.sigstore.json"),
    )
    .unwrap()
}

fn a_txt() -> Vec<u8> {
    std::fs::read(vouch_testdata::interop("sigstore-conformance/a.txt")).unwrap()
}

#[test]
fn every_media_type_is_recognised() {
    for (case, version) in [
        ("happy-path-v0.1", "0.1"),
        ("happy-path-v0.2", "0.2"),
        ("happy-path-v0.3", "0.3"),
    ] {
        let bundle = Bundle::from_json(&conformance_bundle(case)).unwrap();
        let BundleFormat::Sigstore { media_type } = bundle.format() else {
            panic!("{case}")
        };
        assert!(media_type.contains(version), "{case}: {media_type}");
        assert!(bundle.has_certificate());
        assert_eq!(bundle.tlog_entry_count(), 1);
    }
}

#[test]
fn production_root_verifies_a_keyless_bundle_and_reports_what_it_showed() {
    let verifier = Verifier::new(&TrustRoot::production().unwrap()).unwrap();
    let bundle = Bundle::from_json(&conformance_bundle("happy-path-v0.3")).unwrap();
    let policy = Policy::identity(Matcher::exact(BEACON), Matcher::exact(GITHUB));
    let verified = verifier
        .verify_reader(a_txt().as_slice(), &bundle, &policy)
        .unwrap();
    assert_eq!(verified.identity(), Some(BEACON));
    assert_eq!(verified.issuer(), Some(GITHUB));
    assert!(verified.tlog_verified());
    assert!(verified.log_index().is_some());
    assert_eq!(verified.timestamp_sources(), ["tlog"]);
    // Same bundle, other bytes: the signature does not verify.
    let err = verifier
        .verify_reader(&b"other"[..], &bundle, &policy)
        .unwrap_err();
    assert!(matches!(err, Error::SignatureInvalid { .. }), "{err}");
    assert!(err.is_verdict());
}

#[test]
fn a_regex_is_matched_against_the_verified_certificate() {
    let verifier = Verifier::new(&TrustRoot::production().unwrap()).unwrap();
    let bundle = Bundle::from_json(&conformance_bundle("happy-path-v0.3")).unwrap();
    let policy = |identity: &str| {
        Policy::identity(Matcher::regex(identity).unwrap(), Matcher::exact(GITHUB))
    };
    assert!(
        verifier
            .verify_reader(
                a_txt().as_slice(),
                &bundle,
                &policy(".*sigstore-conformance.*")
            )
            .is_ok()
    );
    let err = verifier
        .verify_reader(
            a_txt().as_slice(),
            &bundle,
            &policy("https://github.com/sigstore-conformance"),
        )
        .unwrap_err();
    let Error::IdentityMismatch { expected, found } = err else {
        panic!("{err}")
    };
    assert!(expected.contains("regex"), "{expected}");
    assert!(found.contains(BEACON), "{found}");
}

#[test]
fn a_log_entry_is_required_unless_the_policy_waives_it() {
    let case = vouch_testdata::case("p256-der");
    let key = vouch_keys::PublicKey::from_bytes(&case.key_bytes()).unwrap();
    let signature = base64_std(&case.sig());
    let bundle =
        Bundle::from_json(format!(r#"{{"base64Signature":"{signature}"}}"#).as_bytes()).unwrap();
    assert_eq!(bundle.format(), &BundleFormat::LegacyCosign);
    let verifier = Verifier::new(&TrustRoot::production().unwrap()).unwrap();
    let strict = Policy::key(key.clone());
    assert!(strict.requires_tlog());
    assert!(matches!(
        verifier.verify_reader(case.artifact().as_slice(), &bundle, &strict),
        Err(Error::LogEntryMissing)
    ));
    let lax = Policy::key(key).insecure_ignore_tlog();
    let verified = verifier
        .verify_reader(case.artifact().as_slice(), &bundle, &lax)
        .unwrap();
    assert!(!verified.tlog_verified());
    assert!(verified.key_fingerprint().is_some());
}

#[test]
fn not_a_bundle_is_malformed_and_says_what_was_expected() {
    for input in [
        &b""[..],
        b"{}",
        b"[1,2]",
        b"\xff\xfe",
        br#"{"base64Signature":7}"#,
        br#"{"mediaType":"nope"}"#,
    ] {
        let err = Bundle::from_json(input).unwrap_err();
        assert!(
            matches!(err, Error::MalformedBundle { .. }),
            "{input:?}: {err}"
        );
        assert!(!err.is_verdict());
    }
    let err = Bundle::from_json(b"{}").unwrap_err();
    assert!(
        err.to_string()
            .contains("expected a Sigstore bundle (with `mediaType`) or a cosign bundle"),
        "{err}"
    );
}

#[test]
fn truncated_and_bit_flipped_bundles_never_panic() {
    let verifier = Verifier::new(&TrustRoot::production().unwrap()).unwrap();
    let policy = Policy::identity(Matcher::exact(BEACON), Matcher::exact(GITHUB));
    let original = conformance_bundle("happy-path-v0.3");
    let mut state = 0x853c_49e6_748f_ea9b_u64;
    for _ in 0..300 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bytes = original.clone();
        let at = usize::try_from(state % bytes.len() as u64).unwrap();
        bytes[at] ^= 1 << (state % 8);
        if let Ok(bundle) = Bundle::from_json(&bytes) {
            // A flipped bit may land in whitespace or a key the verifier ignores; anything
            // that still verifies must be the same signature over the same content.
            if let Ok(verified) = verifier.verify_reader(a_txt().as_slice(), &bundle, &policy) {
                assert_eq!(verified.identity(), Some(BEACON));
            }
        }
        drop(Bundle::from_json(&original[..at]));
    }
}

fn base64_std(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}
