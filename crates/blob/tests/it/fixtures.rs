//! Every case in testdata/generated (made with RustCrypto directly by `cargo xtask fixtures`,
//! checked against openssl there) gets its declared verdict, through every entry point.

use vouch_blob::{Digest, DigestAlgorithm, Error, Signature, verify, verify_digest, verify_reader};
use vouch_keys::{Algorithm, PublicKey};
use vouch_testdata::{Case, Expect};

fn signature_for(case: &Case) -> Signature {
    let sig = Signature::from_bytes(case.sig());
    match case.meta().digest.map(|d| d.id()) {
        Some("sha384") => sig.with_digest(DigestAlgorithm::Sha384),
        Some("sha512") => sig.with_digest(DigestAlgorithm::Sha512),
        _ => sig,
    }
}

#[test]
fn every_generated_case_gets_its_verdict() {
    let cases = vouch_testdata::cases();
    assert!(
        cases.len() >= 25,
        "expected the generated cases, found {}",
        cases.len()
    );
    for case in cases {
        let meta = case.meta();
        let key = PublicKey::from_bytes(&case.key_bytes())
            .unwrap_or_else(|err| panic!("{}: key rejected: {err}", case.name));
        assert_eq!(
            key.algorithm().id(),
            meta.key_algorithm.id(),
            "{}",
            case.name
        );
        let signature = signature_for(&case);
        let artifact = case.artifact();

        let whole = verify(&key, &artifact, &signature);
        let streamed = verify_reader(
            &key,
            std::fs::File::open(case.artifact_path()).unwrap(),
            &signature,
        );
        for result in [&whole, &streamed] {
            match (meta.expect, result) {
                (Expect::Valid, Ok(verified)) => {
                    assert_eq!(
                        verified.encoding().id(),
                        meta.encoding.id(),
                        "{}",
                        case.name
                    );
                    assert_eq!(verified.key_fingerprint(), key.fingerprint());
                    assert_eq!(verified.message_len(), Some(artifact.len() as u64));
                    let digest_id = verified.digest().map(|d| d.algorithm().id());
                    assert_eq!(digest_id, meta.digest.map(|d| d.id()), "{}", case.name);
                }
                (
                    Expect::Invalid,
                    Err(Error::SignatureMismatch {
                        key: fp,
                        digest,
                        encoding,
                        ..
                    }),
                ) => {
                    assert_eq!(*fp, key.fingerprint());
                    assert_eq!(encoding.id(), meta.encoding.id(), "{}", case.name);
                    let expected = (key.algorithm() != Algorithm::Ed25519)
                        .then(|| Digest::of(signature.digest(), &artifact));
                    assert_eq!(digest, &expected, "{}", case.name);
                }
                (Expect::MalformedSignature, Err(Error::MalformedSignature(_))) => {}
                (expect, other) => panic!("{}: expected {expect:?}, got {other:?}", case.name),
            }
        }

        // verify_digest agrees wherever a digest applies.
        if key.algorithm() != Algorithm::Ed25519 {
            let digest = Digest::of(signature.digest(), &artifact);
            let from_digest = verify_digest(&key, &digest, &signature);
            assert_eq!(from_digest.is_ok(), whole.is_ok(), "{}", case.name);
        }
    }
}

#[test]
fn ed25519_cannot_be_verified_from_a_digest() {
    let case = vouch_testdata::case("ed25519-raw");
    let key = PublicKey::from_bytes(&case.key_bytes()).unwrap();
    let digest = Digest::of(DigestAlgorithm::Sha512, &case.artifact());
    assert!(matches!(
        verify_digest(&key, &digest, &Signature::from_bytes(case.sig())),
        Err(Error::PrehashUnsupported {
            algorithm: Algorithm::Ed25519
        })
    ));
}

#[test]
fn der_is_refused_for_keys_without_a_der_form() {
    for name in ["ed25519-raw", "rsa2048-pkcs1v15"] {
        let case = vouch_testdata::case(name);
        let key = PublicKey::from_bytes(&case.key_bytes()).unwrap();
        let pinned =
            Signature::from_bytes(case.sig()).with_encoding(vouch_blob::SignatureEncoding::Der);
        assert!(
            matches!(
                verify(&key, &case.artifact(), &pinned),
                Err(Error::AlgorithmMismatch { .. })
            ),
            "{name}"
        );
    }
}

#[test]
fn error_messages_read_as_one_sentence() {
    let case = vouch_testdata::case("p256-trailing-newline");
    let key = PublicKey::from_bytes(&case.key_bytes()).unwrap();
    let err = verify(&key, &case.artifact(), &Signature::from_bytes(case.sig())).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"malformed signature: expected a DER ECDSA signature, base64 of one, or raw r‖s of 64 bytes, found 71 bytes starting 30 44 02 20: 1 trailing byte after the DER SEQUENCE (a trailing newline: the file was edited or copied as text)");

    let case = vouch_testdata::case("p256-tampered");
    let key = PublicKey::from_bytes(&case.key_bytes()).unwrap();
    let err = verify(&key, &case.artifact(), &Signature::from_bytes(case.sig())).unwrap_err();
    let message = err.to_string().replace(&key.fingerprint().to_hex(), "[FP]");
    insta::assert_snapshot!(message, @"DER signature does not verify with ECDSA P-256 key sha256:[FP] over the input's SHA-256 digest");
}
