//! Encoding detection and the API's edge cases, with keys made in the test.

use base64::Engine as _;
use p256::ecdsa::signature::hazmat::PrehashSigner as _;
use p256::pkcs8::EncodePublicKey as _;
use sha2::Digest as _;
use vouch_blob::{
    Digest, DigestAlgorithm, Error, Signature, SignatureEncoding, find_signing_digest, verify,
    verify_digest, verify_reader,
};
use vouch_keys::PublicKey;

const MESSAGE: &[u8] = b"vouch: bundle.tar.zst contents\n";

fn signing_key(seed: &str) -> p256::ecdsa::SigningKey {
    p256::ecdsa::SigningKey::from_slice(&sha2::Sha256::digest(seed.as_bytes())).unwrap()
}

fn public_key(signer: &p256::ecdsa::SigningKey) -> PublicKey {
    let der = signer.verifying_key().to_public_key_der().unwrap();
    PublicKey::from_bytes(der.as_bytes()).unwrap()
}

fn sign(
    signer: &p256::ecdsa::SigningKey,
    algorithm: DigestAlgorithm,
    message: &[u8],
) -> p256::ecdsa::Signature {
    signer
        .sign_prehash(Digest::of(algorithm, message).as_bytes())
        .unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[test]
fn every_encoding_of_one_signature_verifies_and_is_reported() {
    let signer = signing_key("encodings");
    let key = public_key(&signer);
    let sig = sign(&signer, DigestAlgorithm::Sha256, MESSAGE);
    let der = sig.to_der().as_bytes().to_vec();
    let raw = sig.to_bytes().to_vec();
    let wrapped: String = b64(&der)
        .as_bytes()
        .chunks(20)
        .map(|line| format!("{}\r\n", String::from_utf8_lossy(line)))
        .collect();
    let cases: Vec<(Vec<u8>, SignatureEncoding)> = vec![
        (der.clone(), SignatureEncoding::Der),
        (
            format!("{}\n", b64(&der)).into_bytes(),
            SignatureEncoding::Base64,
        ),
        (wrapped.into_bytes(), SignatureEncoding::Base64),
        (raw.clone(), SignatureEncoding::Raw),
        (b64(&raw).into_bytes(), SignatureEncoding::Base64),
        (
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(&raw)
                .into_bytes(),
            SignatureEncoding::Base64,
        ),
    ];
    for (bytes, expected) in cases {
        let verified = verify(&key, MESSAGE, &Signature::from_bytes(bytes.clone()))
            .unwrap_or_else(|err| panic!("{expected} form {bytes:?} rejected: {err}"));
        assert_eq!(verified.encoding(), expected);
        assert_eq!(verified.key_fingerprint(), key.fingerprint());
        assert_eq!(verified.message_len(), Some(MESSAGE.len() as u64));
        assert_eq!(
            verified.digest().unwrap(),
            &Digest::of(DigestAlgorithm::Sha256, MESSAGE)
        );
    }
}

#[test]
fn raw_signature_starting_like_der_is_still_raw() {
    // Find a message whose r‖s starts with 0x30 (1 in 256), the DER SEQUENCE tag.
    let signer = signing_key("der-looking raw");
    let key = public_key(&signer);
    let (message, sig) = (0u32..)
        .map(|i| i.to_be_bytes().to_vec())
        .map(|m| {
            let sig = sign(&signer, DigestAlgorithm::Sha256, &m);
            (m, sig)
        })
        .find(|(_, sig)| sig.to_bytes()[0] == 0x30)
        .unwrap();
    let verified = verify(
        &key,
        &message,
        &Signature::from_bytes(sig.to_bytes().to_vec()),
    )
    .unwrap();
    assert_eq!(verified.encoding(), SignatureEncoding::Raw);
}

#[test]
fn a_pinned_encoding_refuses_the_others() {
    let signer = signing_key("pinned");
    let key = public_key(&signer);
    let sig = sign(&signer, DigestAlgorithm::Sha256, MESSAGE);
    let der = sig.to_der().as_bytes().to_vec();
    let base64_sig = Signature::from_bytes(b64(&der)).with_encoding(SignatureEncoding::Der);
    assert!(matches!(
        verify(&key, MESSAGE, &base64_sig),
        Err(Error::MalformedSignature(m)) if m.pinned == Some(SignatureEncoding::Der)
    ));
    let der_as_raw = Signature::from_bytes(der.clone()).with_encoding(SignatureEncoding::Raw);
    assert!(matches!(
        verify(&key, MESSAGE, &der_as_raw),
        Err(Error::MalformedSignature(_))
    ));
    let der_pinned = Signature::from_bytes(der).with_encoding(SignatureEncoding::Der);
    assert!(verify(&key, MESSAGE, &der_pinned).is_ok());
}

#[test]
fn high_s_signatures_verify_like_openssl() {
    let signer = signing_key("high-s");
    let key = public_key(&signer);
    let low = sign(&signer, DigestAlgorithm::Sha256, MESSAGE);
    let (r, s) = low.split_scalars();
    let high = p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
    assert_ne!(high, low);
    let der = high.to_der().as_bytes().to_vec();
    assert!(verify(&key, MESSAGE, &Signature::from_bytes(der)).is_ok());
}

#[test]
fn larger_digests_are_truncated_as_openssl_does() {
    let signer = signing_key("sha512");
    let key = public_key(&signer);
    for algorithm in [DigestAlgorithm::Sha384, DigestAlgorithm::Sha512] {
        let der = sign(&signer, algorithm, MESSAGE)
            .to_der()
            .as_bytes()
            .to_vec();
        let declared = Signature::from_bytes(der.clone()).with_digest(algorithm);
        assert!(verify(&key, MESSAGE, &declared).is_ok());
        // Checked as SHA-256 it fails, and the diagnosis finds the digest it was made over.
        let default = Signature::from_bytes(der);
        assert!(matches!(
            verify(&key, MESSAGE, &default),
            Err(Error::SignatureMismatch {
                digest: Some(d),
                encoding: SignatureEncoding::Der,
                ..
            }) if d == Digest::of(DigestAlgorithm::Sha256, MESSAGE)
        ));
        assert_eq!(
            find_signing_digest(&key, MESSAGE, &default).unwrap(),
            Some(algorithm)
        );
    }
}

#[test]
fn diagnosis_finds_nothing_for_a_modified_message() {
    let signer = signing_key("modified");
    let key = public_key(&signer);
    let der = sign(&signer, DigestAlgorithm::Sha256, MESSAGE)
        .to_der()
        .as_bytes()
        .to_vec();
    let sig = Signature::from_bytes(der);
    assert_eq!(
        find_signing_digest(&key, &b"other"[..], &sig).unwrap(),
        None
    );
}

#[test]
fn verify_digest_matches_verify_and_checks_the_declared_algorithm() {
    let signer = signing_key("digest");
    let key = public_key(&signer);
    let der = sign(&signer, DigestAlgorithm::Sha384, MESSAGE)
        .to_der()
        .as_bytes()
        .to_vec();
    let digest = Digest::of(DigestAlgorithm::Sha384, MESSAGE);
    let verified = verify_digest(&key, &digest, &Signature::from_bytes(der.clone())).unwrap();
    assert_eq!(verified.message_len(), None);
    let declared_sha512 = Signature::from_bytes(der).with_digest(DigestAlgorithm::Sha512);
    assert!(matches!(
        verify_digest(&key, &digest, &declared_sha512),
        Err(Error::DigestAlgorithmMismatch {
            expected: DigestAlgorithm::Sha512,
            found: DigestAlgorithm::Sha384
        })
    ));
}

#[test]
fn a_failing_reader_is_a_read_error_not_a_verdict() {
    struct Broken;
    impl std::io::Read for Broken {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            Err(std::io::Error::other("device gone"))
        }
    }
    let signer = signing_key("reader");
    let key = public_key(&signer);
    let der = sign(&signer, DigestAlgorithm::Sha256, MESSAGE)
        .to_der()
        .as_bytes()
        .to_vec();
    assert!(matches!(
        verify_reader(&key, Broken, &Signature::from_bytes(der)),
        Err(Error::ReadArtifact(_))
    ));
}

#[test]
fn a_malformed_signature_is_refused_before_reading_input() {
    struct MustNotRead;
    impl std::io::Read for MustNotRead {
        fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
            panic!("input read although the signature was malformed")
        }
    }
    let key = public_key(&signing_key("no read"));
    let err = verify_reader(
        &key,
        MustNotRead,
        &Signature::from_bytes(vec![0x30, 0x03, 0x02]),
    )
    .unwrap_err();
    assert!(matches!(err, Error::MalformedSignature(_)), "{err}");
}

#[test]
fn malformed_signatures_say_what_was_found() {
    let signer = signing_key("findings");
    let key = public_key(&signer);
    let der = sign(&signer, DigestAlgorithm::Sha256, MESSAGE)
        .to_der()
        .as_bytes()
        .to_vec();
    let mut trailing = der.clone();
    trailing.push(b'\n');
    let truncated = der[..der.len() - 1].to_vec();
    let findings: Vec<String> = [
        trailing,
        truncated,
        Vec::new(),
        b"aGVsbG8=".to_vec(),
        b"hello world!".to_vec(),
    ]
    .into_iter()
    .map(|bytes| {
        verify(&key, MESSAGE, &Signature::from_bytes(bytes))
            .unwrap_err()
            .to_string()
    })
    .collect();
    assert!(
        findings[0].contains("1 trailing byte after the DER SEQUENCE (a trailing newline"),
        "{}",
        findings[0]
    );
    assert!(findings[1].contains("truncated"), "{}", findings[1]);
    assert!(
        findings[2].contains("the signature is empty"),
        "{}",
        findings[2]
    );
    assert!(
        findings[3].contains(
            "after base64 decoding: 5 bytes that are not a DER SEQUENCE nor a raw signature"
        ),
        "{}",
        findings[3]
    );
    assert!(
        findings[4].contains("not DER, not base64 text, and not the raw signature length"),
        "{}",
        findings[4]
    );
    for finding in &findings {
        assert!(
            finding
                .contains("expected a DER ECDSA signature, base64 of one, or raw r‖s of 64 bytes"),
            "{finding}"
        );
    }
}

#[test]
fn any_bytes_as_a_signature_never_panic() {
    let key = public_key(&signing_key("fuzz"));
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    for len in 0..200 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state.to_le_bytes()[0]
            })
            .collect();
        for prefix in [None, Some(0x30_u8)] {
            let mut bytes = bytes.clone();
            if let (Some(p), Some(first)) = (prefix, bytes.first_mut()) {
                *first = p;
            }
            assert!(verify(&key, MESSAGE, &Signature::from_bytes(bytes)).is_err());
        }
    }
}
