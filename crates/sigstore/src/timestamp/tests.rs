//! Token-level checks on real tokens: sigstore-js's (fractional genTime, `@sigstore/mock`'s
//! TSA) and the conformance suite's (whole seconds, a TSA with an intermediate).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "tests fail loudly"
)]

use base64::Engine as _;
use sigstore_types::TsaAuthority;

use super::verify;
use crate::TrustRoot;

struct Case {
    token: Vec<u8>,
    signature: Vec<u8>,
    authorities: Vec<TsaAuthority>,
}

fn b64(value: &serde_json::Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(value.as_str().unwrap())
        .unwrap()
}

fn read(path: &std::path::Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn case(dir: &str, bundle: &str, root: &str) -> Case {
    let dir = vouch_testdata::interop(dir);
    let bundle: serde_json::Value = serde_json::from_str(&read(&dir.join(bundle))).unwrap();
    let root = TrustRoot::from_json(&read(&dir.join(root))).unwrap();
    Case {
        token: b64(
            &bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"],
        ),
        signature: b64(&bundle["messageSignature"]["signature"]),
        authorities: root.inner().tsa_authorities(),
    }
}

/// sigstore-js: genTime `20261201094450.123Z`, chain leaf + root.
fn fractional() -> Case {
    case(
        "sigstore-js-fractional-gentime",
        "b-key-tsa-nolog.sigstore.json",
        "trusted_root.json",
    )
}

/// Conformance `rekor2-happy-path`: whole-second genTime, chain leaf + intermediate + root.
fn whole_second() -> Case {
    case(
        "sigstore-conformance/bundle-verify/rekor2-happy-path",
        "bundle.sigstore.json",
        "trusted_root.json",
    )
}

fn refusal(case: &Case) -> String {
    match verify(&case.token, &case.signature, &case.authorities) {
        Ok(time) => panic!("verified at {time}"),
        Err(why) => why,
    }
}

#[test]
fn a_fractional_gen_time_token_verifies() {
    let case = fractional();
    let time = verify(&case.token, &case.signature, &case.authorities).unwrap();
    assert!(time.has_fraction());
    assert_eq!(time.unix_nanos() % 1_000_000_000, 123_000_000);
    assert_eq!(time.unix_seconds(), 1_796_118_290);
}

#[test]
fn a_whole_second_token_with_an_intermediate_verifies() {
    let case = whole_second();
    let time = verify(&case.token, &case.signature, &case.authorities).unwrap();
    assert!(!time.has_fraction());
}

#[test]
fn another_signature_does_not_match_the_message_imprint() {
    let mut case = fractional();
    let last = case.signature.len() - 1;
    case.signature[last] ^= 1;
    let why = refusal(&case);
    assert!(why.contains("message imprint"), "{why}");
}

#[test]
fn a_flipped_imprint_in_the_token_is_refused() {
    let mut case = fractional();
    let imprint = vouch_blob::Digest::of(vouch_blob::DigestAlgorithm::Sha256, &case.signature);
    let at = find(&case.token, imprint.as_bytes());
    case.token[at] ^= 0x80;
    let why = refusal(&case);
    assert!(why.contains("message imprint"), "{why}");
}

#[test]
fn a_flipped_byte_in_the_signed_attributes_is_refused() {
    let mut case = fractional();
    // signingTime, a UTCTime in the signed attributes: its seconds' last digit.
    let at = find(&case.token, &[0x17, 0x0d]) + 2 + 11;
    case.token[at] = if case.token[at] == b'1' { b'2' } else { b'1' };
    let why = refusal(&case);
    assert!(why.contains("signature does not verify"), "{why}");
}

#[test]
fn a_flipped_message_digest_attribute_is_refused() {
    let mut case = fractional();
    let signed_data = super::content_info(&case.token).unwrap();
    let signed_data: cms::signed_data::SignedData = signed_data.content.decode_as().unwrap();
    let econtent =
        super::tst_info::octets(signed_data.encap_content_info.econtent.as_ref().unwrap())
            .unwrap()
            .to_vec();
    let digest = vouch_blob::Digest::of(vouch_blob::DigestAlgorithm::Sha256, &econtent);
    let at = find(&case.token, digest.as_bytes());
    case.token[at] ^= 1;
    let why = refusal(&case);
    assert!(why.contains("messageDigest"), "{why}");
}

#[test]
fn a_token_from_another_authority_is_refused() {
    let mut case = fractional();
    case.authorities = whole_second().authorities;
    let why = refusal(&case);
    assert!(
        why.contains("is not the leaf certificate of a timestamp authority"),
        "{why}"
    );
    case.authorities.clear();
    let why = refusal(&case);
    assert!(why.contains("no timestamp authority"), "{why}");
}

#[test]
fn a_gen_time_outside_the_authority_window_is_refused() {
    let dir = vouch_testdata::interop("sigstore-js-fractional-gentime");
    let mut root: serde_json::Value =
        serde_json::from_str(&read(&dir.join("trusted_root.json"))).unwrap();
    // Ends half a second before genTime (…50.123Z): the sub-second part decides.
    root["timestampAuthorities"][0]["validFor"]["end"] = "2026-12-01T09:44:49.623Z".into();
    let mut case = fractional();
    case.authorities = TrustRoot::from_json(&root.to_string())
        .unwrap()
        .inner()
        .tsa_authorities();
    let why = refusal(&case);
    assert!(why.contains("outside the validFor window"), "{why}");
    root["timestampAuthorities"][0]["validFor"]["end"] = "2026-12-01T09:44:50.123Z".into();
    case.authorities = TrustRoot::from_json(&root.to_string())
        .unwrap()
        .inner()
        .tsa_authorities();
    assert!(verify(&case.token, &case.signature, &case.authorities).is_ok());
}

/// The TSTInfo and the signature's bytes inside `token`, as ranges.
fn signed_ranges(token: &[u8]) -> [std::ops::Range<usize>; 2] {
    let info = super::content_info(token).unwrap();
    let signed_data: cms::signed_data::SignedData = info.content.decode_as().unwrap();
    let econtent =
        super::tst_info::octets(signed_data.encap_content_info.econtent.as_ref().unwrap()).unwrap();
    let signature = signed_data.signer_infos.0.as_slice()[0]
        .signature
        .as_bytes();
    [econtent, signature].map(|part| {
        let at = find(token, part);
        at..at + part.len()
    })
}

#[test]
fn truncated_or_flipped_tokens_are_refused_without_panicking() {
    for case in [fractional(), whole_second()] {
        for len in 0..case.token.len() {
            assert!(verify(&case.token[..len], &case.signature, &case.authorities).is_err());
        }
        let signed = signed_ranges(&case.token);
        for at in 0..case.token.len() {
            let mut token = case.token.clone();
            token[at] ^= 0x01;
            // Some fields are neither signed nor used (SignedData's version and digest
            // algorithm list, the SignerInfo's signatureAlgorithm, as in sigstore-tsa): a flip
            // there changes nothing. None in the TSTInfo or the signature may pass.
            if verify(&token, &case.signature, &case.authorities).is_ok() {
                assert!(
                    !signed.iter().any(|r| r.contains(&at)),
                    "flip at {at} verified"
                );
            }
        }
    }
    for garbage in [
        &b""[..],
        b"\x30",
        b"\x30\x00",
        b"\x30\x80\x00\x00",
        &[0xff; 64],
    ] {
        assert!(verify(garbage, b"sig", &fractional().authorities).is_err());
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> usize {
    haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("pattern in token")
}
