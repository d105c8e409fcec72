//! Private keys made by other implementations: cosign and sigstore-rs
//! (`testdata/interop/sigstore-rs-keys/`, see its PROVENANCE.md).

use p256::ecdsa::signature::Verifier as _;
use vouch_keys::{Algorithm, Error, PrivateKey, ScryptParams, cosign_key_params};

fn vector(name: &str) -> Vec<u8> {
    std::fs::read(vouch_testdata::interop(&format!("sigstore-rs-keys/{name}"))).unwrap()
}

/// (file, password, scrypt N) of every encrypted key in the vectors.
const ENCRYPTED: [(&str, &[u8], u64); 2] = [
    ("cosign_generated_encrypted_empty_private.key", b"", 65_536),
    ("ecdsa_encrypted_private.key", b"123", 32_768),
];

#[test]
fn every_cosign_and_sigstore_rs_key_decrypts_with_its_password() {
    for (file, password, n) in ENCRYPTED {
        let pem = vector(file);
        assert_eq!(
            cosign_key_params(&pem).unwrap(),
            if n == 65_536 {
                ScryptParams::STANDARD
            } else {
                ScryptParams::LEGACY
            },
            "{file}"
        );
        let key = PrivateKey::from_pem(&pem, Some(password))
            .unwrap_or_else(|err| panic!("{file}: {err}"));
        assert_eq!(key.algorithm(), Algorithm::EcdsaP256, "{file}");
        // The key signs, and its public key verifies what it signed.
        let signature = key.sign_message(b"interop").unwrap();
        let public = key.public_key();
        let vouch_keys::KeyMaterial::EcdsaP256(vk) = public.material() else {
            panic!("{file}: not P-256");
        };
        let sig = p256::ecdsa::Signature::from_der(&signature).unwrap();
        vk.verify(b"interop", &sig).unwrap();
    }
}

#[test]
fn a_wrong_or_missing_password_is_named() {
    for (file, password, _) in ENCRYPTED {
        let pem = vector(file);
        let mut wrong = password.to_vec();
        wrong.push(b'\n');
        let err = PrivateKey::from_pem(&pem, Some(&wrong)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::WrongPassword {
                    format: "cosign encrypted"
                }
            ),
            "{file}: {err:?}"
        );
        insta::allow_duplicates! {
            insta::assert_snapshot!(err.to_string(), @"wrong password for the cosign encrypted private key (the key decrypts only with the password it was written with; cosign reads COSIGN_PASSWORD)");
        }
        let err = PrivateKey::from_pem(&pem, None).unwrap_err();
        insta::allow_duplicates! {
            insta::assert_snapshot!(err.to_string(), @"the cosign encrypted private key is encrypted: a password is needed to read it");
        }
    }
}

#[test]
fn the_unencrypted_vector_reads_without_a_password() {
    let key = PrivateKey::from_pem(&vector("ecdsa_private.key"), None).unwrap();
    assert_eq!(key.algorithm(), Algorithm::EcdsaP256);
    // Its PKCS#8 re-encoding reads back to the same key.
    let again = PrivateKey::from_pem(key.to_pkcs8_pem().as_bytes(), None).unwrap();
    assert_eq!(again.public_key(), key.public_key());
}

/// A cosign key whose scrypt parameters cosign does not accept is refused before scrypt runs:
/// N = 2^30 would need 128 GiB, so a quick error (rather than an abort) shows scrypt did not run.
#[test]
fn unsupported_scrypt_parameters_are_refused_before_scrypt_runs() {
    use base64::Engine as _;
    let pem = vector("ecdsa_encrypted_private.key");
    let block = &vouch_keys::pem_blocks(&pem).unwrap()[0];
    let json = String::from_utf8(block.contents().to_vec()).unwrap();
    for (from, to) in [
        (r#""N":32768"#, r#""N":1073741824"#),
        (r#""N":32768"#, r#""N":16384"#),
        (r#""r":8"#, r#""r":16"#),
        (r#""p":1"#, r#""p":4"#),
    ] {
        let edited = json.replacen(from, to, 1);
        assert_ne!(edited, json);
        let body = base64::engine::general_purpose::STANDARD.encode(edited);
        let pem = format!(
            "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n{body}\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n"
        );
        let started = std::time::Instant::now();
        let err = PrivateKey::from_pem(pem.as_bytes(), Some(b"123")).unwrap_err();
        assert!(
            matches!(err, Error::UnsupportedKdfParameters { .. }),
            "{to}: {err:?}"
        );
        assert!(started.elapsed().as_millis() < 1000, "{to}: scrypt ran");
    }
    let err = PrivateKey::from_pem(
        format!(
            "-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\n{}\n-----END ENCRYPTED COSIGN PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(json.replacen(r#""N":32768"#, r#""N":1073741824"#, 1))
        )
        .as_bytes(),
        Some(b"123"),
    )
    .unwrap_err();
    insta::assert_snapshot!(err.to_string(), @"unsupported scrypt parameters N=1073741824, r=8, p=1 in the cosign encrypted private key (cosign and vouch accept N=32768, 65536 or 131072 with r=8 and p=1)");
}
