//! Integration tests of vouch-keys over the generated and interop fixtures.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly, outside #[test] functions too"
)]

use vouch_keys::{Algorithm, Error, KeyFileKind, PublicKey};

mod private_keys;

#[test]
fn every_fixture_key_form_reads_to_the_same_kind_of_key() {
    for case in vouch_testdata::cases() {
        let key = PublicKey::from_bytes(&case.key_bytes())
            .unwrap_or_else(|err| panic!("{}: {err}", case.name));
        assert_eq!(
            key.algorithm().id(),
            case.meta().key_algorithm.id(),
            "{}",
            case.name
        );
        // The fingerprint is over the SPKI DER, whatever the file's form.
        assert_eq!(
            key.fingerprint(),
            vouch_keys::Fingerprint::of_spki_der(key.spki_der()),
            "{}",
            case.name
        );
    }
}

#[test]
fn pem_and_der_of_one_key_are_equal() {
    let pem = PublicKey::from_bytes(&vouch_testdata::case("p256-der").key_bytes()).unwrap();
    let der = PublicKey::from_der(pem.spki_der()).unwrap();
    assert_eq!(pem, der);
    assert_eq!(pem.fingerprint(), der.fingerprint());
}

#[test]
fn compressed_points_are_accepted() {
    let key =
        PublicKey::from_bytes(&vouch_testdata::case("p256-compressed-key").key_bytes()).unwrap();
    assert_eq!(key.algorithm(), Algorithm::EcdsaP256);
    // 0x02/0x03 + 32 bytes: the SPKI is shorter than the usual 91 bytes.
    assert_eq!(key.spki_der().len(), 59);
}

#[test]
fn key_sizes() {
    let bits = |name: &str| {
        PublicKey::from_bytes(&vouch_testdata::case(name).key_bytes())
            .unwrap()
            .bits()
    };
    assert_eq!(bits("p256-der"), 256);
    assert_eq!(bits("p384-der"), 384);
    assert_eq!(bits("ed25519-raw"), 256);
    assert_eq!(bits("rsa2048-pkcs1v15"), 2048);
    assert_eq!(bits("rsa4096-pkcs1v15"), 4096);
}

#[test]
fn every_rejected_key_file_is_named_for_what_it_is() {
    let rejections = vouch_testdata::key_rejections();
    assert!(rejections.len() >= 11);
    for (path, expected) in rejections {
        let err = PublicKey::from_bytes(&std::fs::read(&path).unwrap()).unwrap_err();
        let matched = matches!(
            (expected.as_str(), &err),
            (
                "certificate",
                Error::NotAPublicKey {
                    found: KeyFileKind::Certificate
                }
            ) | (
                "private-key",
                Error::NotAPublicKey {
                    found: KeyFileKind::PrivateKey { .. }
                }
            ) | (
                "ssh-public-key",
                Error::NotAPublicKey {
                    found: KeyFileKind::SshPublicKey
                }
            ) | (
                "empty",
                Error::NotAPublicKey {
                    found: KeyFileKind::Empty
                }
            ) | ("unrecognised", Error::Unrecognised { .. })
                | ("rsa-key-size", Error::RsaKeySize { bits: 1024 })
                | ("unsupported-algorithm", Error::UnsupportedAlgorithm { .. })
        );
        assert!(
            matched,
            "{}: expected {expected}, got {err:?}",
            path.display()
        );
    }
}

#[test]
fn messages_say_what_was_found_and_what_was_expected() {
    let dir = vouch_testdata::generated().join("keys");
    let message = |file: &str| {
        PublicKey::from_bytes(&std::fs::read(dir.join(file)).unwrap())
            .unwrap_err()
            .to_string()
    };
    insta::assert_snapshot!(message("private-sec1.test-only.pem"), @"expected a public key, found a SEC1 EC private key");
    insta::assert_snapshot!(message("private-pkcs8.test-only.der"), @"expected a public key, found a PKCS#8 private key");
    insta::assert_snapshot!(message("ssh-ed25519.pub"), @"expected a public key, found an OpenSSH public key");
    insta::assert_snapshot!(message("p521.pub"), @"unsupported key algorithm ECDSA P-521; supported: ECDSA P-256, ECDSA P-384, Ed25519, RSA 2048-4096");
    insta::assert_snapshot!(message("ed448.pub"), @"unsupported key algorithm Ed448 (OID 1.3.101.113); supported: ECDSA P-256, ECDSA P-384, Ed25519, RSA 2048-4096");
    insta::assert_snapshot!(message("rsa1024.pub"), @"RSA key of 1024 bits is outside the accepted range of 2048 to 4096 bits");
    let cert = vouch_testdata::interop("containers-image-cosign/fulcio_v1.crt.pem");
    let err = PublicKey::from_bytes(&std::fs::read(cert).unwrap()).unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"expected a public key, found an X.509 certificate");
}

#[test]
fn any_bytes_never_panic() {
    let mut state = 0x2545_f491_4f6c_dd1d_u64;
    let seeds: Vec<Vec<u8>> = vouch_testdata::cases()
        .iter()
        .map(vouch_testdata::Case::key_bytes)
        .collect();
    for seed in &seeds {
        for _ in 0..50 {
            let mut bytes = seed.clone();
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let at = usize::try_from(state % bytes.len() as u64).unwrap();
            bytes[at] ^= state.to_le_bytes()[1] | 1;
            bytes.truncate(at + usize::try_from(state % 7).unwrap());
            drop(PublicKey::from_bytes(&bytes));
        }
    }
}
