use std::cell::Cell;

use base64::Engine as _;
use signature::hazmat::PrehashVerifier as _;

use super::*;
use crate::KeyMaterial;

fn rng() -> rand_core::UnwrapErr<getrandom::SysRng> {
    rand_core::UnwrapErr(getrandom::SysRng)
}

const GENERATED: [Algorithm; 3] = [
    Algorithm::EcdsaP256,
    Algorithm::EcdsaP384,
    Algorithm::Ed25519,
];

/// Checks `signature` over `message` with the public key, independently of the signing code.
fn assert_verifies(key: &PrivateKey, message: &[u8], signature: &[u8]) {
    let public = key.public_key();
    match public.material() {
        KeyMaterial::EcdsaP256(vk) => {
            let sig = p256::ecdsa::Signature::from_der(signature).unwrap();
            assert!(sig.normalize_s() == sig, "high S");
            vk.verify_prehash(&sha2::Sha256::digest(message), &sig)
                .unwrap();
        }
        KeyMaterial::EcdsaP384(vk) => {
            let sig = p384::ecdsa::Signature::from_der(signature).unwrap();
            assert!(sig.normalize_s() == sig, "high S");
            vk.verify_prehash(&sha2::Sha384::digest(message), &sig)
                .unwrap();
        }
        KeyMaterial::Ed25519(vk) => {
            let sig = ed25519_dalek::Signature::from_slice(signature).unwrap();
            vk.verify_strict(message, &sig).unwrap();
        }
        KeyMaterial::Rsa(pk) => {
            pk.verify(
                rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                &sha2::Sha256::digest(message),
                signature,
            )
            .unwrap();
        }
    }
}

#[test]
fn generated_keys_round_trip_through_pkcs8_and_cosign_pem() {
    let mut rng = rng();
    for algorithm in GENERATED {
        let key = PrivateKey::generate(algorithm, &mut rng).unwrap();
        assert_eq!(key.algorithm(), algorithm);
        assert_eq!(key.public_key().algorithm(), algorithm);

        let pkcs8 = key.to_pkcs8_pem();
        assert!(pkcs8.starts_with("-----BEGIN PRIVATE KEY-----\n"));
        let read = PrivateKey::from_pem(pkcs8.as_bytes(), None).unwrap();
        assert_eq!(read.public_key(), key.public_key(), "{algorithm}");
        assert_eq!(*read.to_pkcs8_der(), *key.to_pkcs8_der());
        let der = PrivateKey::from_der(&key.to_pkcs8_der()).unwrap();
        assert_eq!(der.public_key(), key.public_key());

        let cosign = key.to_cosign_pem(b"secret", &mut rng).unwrap();
        assert!(cosign.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        assert_eq!(
            cosign_key_params(cosign.as_bytes()).unwrap(),
            ScryptParams::STANDARD
        );
        let read = PrivateKey::from_pem(cosign.as_bytes(), Some(b"secret")).unwrap();
        assert_eq!(read.public_key(), key.public_key(), "{algorithm}");
        assert!(matches!(
            PrivateKey::from_pem(cosign.as_bytes(), Some(b"secret\n")),
            Err(Error::WrongPassword {
                format: "cosign encrypted"
            })
        ));
        assert!(matches!(
            PrivateKey::from_pem(cosign.as_bytes(), None),
            Err(Error::PasswordRequired {
                format: "cosign encrypted"
            })
        ));

        let signature = key.sign_message(b"hello").unwrap();
        assert_verifies(&key, b"hello", &signature);
    }
}

#[test]
fn empty_password_is_a_password() {
    let mut rng = rng();
    let key = PrivateKey::generate(Algorithm::EcdsaP256, &mut rng).unwrap();
    let pem = key
        .to_cosign_pem_with_params(b"", ScryptParams::LEGACY, &mut rng)
        .unwrap();
    assert_eq!(
        PrivateKey::from_pem(pem.as_bytes(), Some(b""))
            .unwrap()
            .public_key(),
        key.public_key()
    );
    assert!(matches!(
        PrivateKey::from_pem(pem.as_bytes(), None),
        Err(Error::PasswordRequired { .. })
    ));
}

#[test]
fn cosign_keys_with_each_accepted_parameter_set_decrypt() {
    let mut rng = rng();
    let key = PrivateKey::generate(Algorithm::EcdsaP256, &mut rng).unwrap();
    for params in [
        ScryptParams::LEGACY,
        ScryptParams::STANDARD,
        ScryptParams::OWASP,
    ] {
        let pem = key
            .to_cosign_pem_with_params(b"pw", params, &mut rng)
            .unwrap();
        assert_eq!(cosign_key_params(pem.as_bytes()).unwrap(), params);
        let read = PrivateKey::from_pem(pem.as_bytes(), Some(b"pw")).unwrap();
        assert_eq!(read.public_key(), key.public_key());
    }
    let weak = ScryptParams {
        n: 16_384,
        r: 8,
        p: 1,
    };
    assert!(matches!(
        key.to_cosign_pem_with_params(b"pw", weak, &mut rng),
        Err(Error::UnsupportedKdfParameters { n: 16_384, .. })
    ));
}

#[test]
fn the_old_cosign_label_is_read() {
    let mut rng = rng();
    let key = PrivateKey::generate(Algorithm::Ed25519, &mut rng).unwrap();
    let pem = key
        .to_cosign_pem_with_params(b"pw", ScryptParams::LEGACY, &mut rng)
        .unwrap()
        .replace("SIGSTORE", "COSIGN");
    assert_eq!(
        PrivateKey::from_pem(pem.as_bytes(), Some(b"pw"))
            .unwrap()
            .public_key(),
        key.public_key()
    );
}

#[test]
fn debug_shows_no_key_material() {
    let mut rng = rng();
    for algorithm in GENERATED {
        let key = PrivateKey::generate(algorithm, &mut rng).unwrap();
        let debug = format!("{key:?}");
        assert!(debug.contains(&key.public_key().fingerprint().to_string()));
        assert!(debug.starts_with("PrivateKey { algorithm: "), "{debug}");
        let der = key.to_pkcs8_der();
        let base64 = base64::engine::general_purpose::STANDARD.encode(&*der);
        let pem = key.to_pkcs8_pem();
        for secret in [hex::encode(&*der), base64] {
            assert!(!debug.contains(&secret));
        }
        // No window of 8 bytes of the DER appears as hex either.
        for window in der.windows(8) {
            assert!(!debug.to_lowercase().contains(&hex::encode(window)));
        }
        assert!(!debug.contains(pem.lines().nth(1).unwrap()));
        // Errors carry no key material either.
        let err = PrivateKey::from_pem(
            key.to_cosign_pem(b"a", &mut rng).unwrap().as_bytes(),
            Some(b"b"),
        )
        .unwrap_err();
        assert!(!format!("{err:?}{err}").contains(pem.lines().nth(1).unwrap()));
    }
}

#[test]
fn ecdsa_prehash_signatures_with_every_hash() {
    let mut rng = rng();
    let key = PrivateKey::generate(Algorithm::EcdsaP384, &mut rng).unwrap();
    let public = key.public_key();
    let KeyMaterial::EcdsaP384(vk) = public.material() else {
        panic!()
    };
    for hash in [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ] {
        let digest = hash.digest(b"data");
        let der = key.sign_prehash(hash, &digest).unwrap();
        // Deterministic (RFC 6979).
        assert_eq!(der, key.sign_prehash(hash, &digest).unwrap());
        assert_eq!(
            der,
            key.sign_prehash_with_rng(hash, &digest, &mut rng).unwrap()
        );
        let sig = p384::ecdsa::Signature::from_der(&der).unwrap();
        vk.verify_prehash(&digest, &sig).unwrap();
    }
    assert!(matches!(
        key.sign_prehash(HashAlgorithm::Sha256, &[0; 48]),
        Err(Error::PrehashLength {
            expected: 32,
            found: 48,
            ..
        })
    ));
}

#[test]
fn ed25519_refuses_prehashes() {
    let key = PrivateKey::generate(Algorithm::Ed25519, &mut rng()).unwrap();
    assert_eq!(key.default_hash(), None);
    assert!(matches!(
        key.sign_prehash(HashAlgorithm::Sha512, &[0; 64]),
        Err(Error::PrehashUnsupported {
            algorithm: Algorithm::Ed25519
        })
    ));
}

#[test]
fn rsa_keys_read_sign_and_refuse_generation() {
    use rsa::pkcs1::EncodeRsaPrivateKey as _;
    let mut rng = rng();
    assert!(matches!(
        PrivateKey::generate(Algorithm::Rsa, &mut rng),
        Err(Error::UnsupportedPrivateKey { .. })
    ));
    let rsa = rsa::RsaPrivateKey::new(&mut rng, 2048).unwrap();
    let pkcs1 = rsa.to_pkcs1_der().unwrap();
    let key = PrivateKey::from_der(pkcs1.as_bytes()).unwrap();
    assert_eq!(key.algorithm(), Algorithm::Rsa);
    let pem = pem_encode("RSA PRIVATE KEY", pkcs1.as_bytes());
    let from_pem = PrivateKey::from_pem(pem.as_bytes(), None).unwrap();
    assert_eq!(from_pem.public_key(), key.public_key());
    let pkcs8 = PrivateKey::from_pem(key.to_pkcs8_pem().as_bytes(), None).unwrap();
    assert_eq!(pkcs8.public_key(), key.public_key());

    let signature = key.sign_message(b"hello").unwrap();
    assert_verifies(&key, b"hello", &signature);
    let digest = HashAlgorithm::Sha256.digest(b"hello");
    let blinded = key
        .sign_prehash_with_rng(HashAlgorithm::Sha256, &digest, &mut rng)
        .unwrap();
    // PKCS#1 v1.5 is deterministic, blinded or not.
    assert_eq!(blinded, signature);

    let small = rsa::RsaPrivateKey::new(&mut rng, 1024).unwrap();
    assert!(matches!(
        PrivateKey::from_der(small.to_pkcs1_der().unwrap().as_bytes()),
        Err(Error::RsaKeySize { bits: 1024 })
    ));
}

#[test]
fn sign_reader_matches_sign_message_and_detects_a_changing_file() {
    let mut rng = rng();
    let message: Vec<u8> = (0..200_000_u32).map(|i| (i % 251) as u8).collect();
    for algorithm in GENERATED {
        let key = PrivateKey::generate(algorithm, &mut rng).unwrap();
        let opened = Cell::new(0);
        let signature = key
            .sign_reader(|| {
                opened.set(opened.get() + 1);
                Ok(message.as_slice())
            })
            .unwrap();
        assert_eq!(signature, key.sign_message(&message).unwrap());
        let passes = if algorithm == Algorithm::Ed25519 {
            2
        } else {
            1
        };
        assert_eq!(opened.get(), passes);
    }
    let key = PrivateKey::generate(Algorithm::Ed25519, &mut rng).unwrap();
    let mut changed = message.clone();
    changed[100_000] ^= 1;
    let pass = Cell::new(0);
    let err = key
        .sign_reader(|| {
            pass.set(pass.get() + 1);
            Ok(if pass.get() == 1 {
                message.as_slice()
            } else {
                changed.as_slice()
            })
        })
        .unwrap_err();
    assert!(matches!(err, Error::MessageChanged));
    let err = key
        .sign_reader(|| Err::<&[u8], _>(io::Error::other("gone")))
        .unwrap_err();
    assert!(matches!(err, Error::Read(_)));
}

fn encrypted_pkcs8(
    key: &PrivateKey,
    params: &pkcs5::pbes2::Parameters,
    password: &[u8],
) -> Vec<u8> {
    use der::Encode as _;
    let ciphertext = params.encrypt(password, &key.to_pkcs8_der()).unwrap();
    pkcs8::EncryptedPrivateKeyInfoRef {
        encryption_algorithm: pkcs5::EncryptionScheme::Pbes2(params.clone()),
        encrypted_data: der::asn1::OctetStringRef::new(&ciphertext).unwrap(),
    }
    .to_der()
    .unwrap()
}

#[test]
fn encrypted_pkcs8_with_pbkdf2_and_scrypt() {
    let mut rng = rng();
    let key = PrivateKey::generate(Algorithm::EcdsaP256, &mut rng).unwrap();
    let pbkdf2 =
        pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(2048, &[7; 16], [9; 16])
            .unwrap();
    let scrypt = pkcs5::pbes2::Parameters::generate_scrypt_aes256cbc(
        scrypt::Params::new(14, 8, 1).unwrap(),
        &[7; 16],
        [9; 16],
    )
    .unwrap();
    let gcm = pkcs5::pbes2::Parameters::scrypt_aes256gcm(
        scrypt::Params::new(10, 8, 1).unwrap(),
        &[7; 16],
        [9; 12],
    )
    .unwrap();
    for params in [pbkdf2, scrypt, gcm] {
        let der = encrypted_pkcs8(&key, &params, b"pw");
        let pem = pem_encode("ENCRYPTED PRIVATE KEY", &der);
        let read = PrivateKey::from_pem(pem.as_bytes(), Some(b"pw")).unwrap();
        assert_eq!(read.public_key(), key.public_key());
        let read = PrivateKey::from_bytes(&der, Some(b"pw")).unwrap();
        assert_eq!(read.public_key(), key.public_key());
        assert!(matches!(
            PrivateKey::from_der(&der),
            Err(Error::PasswordRequired {
                format: "encrypted PKCS#8"
            })
        ));
        for wrong in [&b"pW"[..], b"", b"pw\n", b"another password"] {
            assert!(
                matches!(
                    PrivateKey::from_pem(pem.as_bytes(), Some(wrong)),
                    Err(Error::WrongPassword {
                        format: "encrypted PKCS#8"
                    })
                ),
                "{wrong:?}"
            );
        }
    }
}

#[test]
fn expensive_pbes2_parameters_are_refused_before_deriving() {
    let key = PrivateKey::generate(Algorithm::EcdsaP256, &mut rng()).unwrap();
    let cheap =
        pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(1, &[7; 16], [9; 16]).unwrap();
    let der = encrypted_pkcs8(&key, &cheap, b"pw");
    // Rewrite the iteration count to u32::MAX: it would run for hours.
    let mut params = cheap;
    if let pkcs5::pbes2::Kdf::Pbkdf2(pbkdf2) = &mut params.kdf {
        pbkdf2.iteration_count = u32::MAX;
    }
    let info = pkcs8::EncryptedPrivateKeyInfoRef::from_der(&der).unwrap();
    let slow = {
        use der::Encode as _;
        pkcs8::EncryptedPrivateKeyInfoRef {
            encryption_algorithm: pkcs5::EncryptionScheme::Pbes2(params),
            encrypted_data: info.encrypted_data,
        }
        .to_der()
        .unwrap()
    };
    assert!(matches!(
        PrivateKey::from_bytes(&slow, Some(b"pw")),
        Err(Error::UnsupportedPrivateKey { what }) if what.contains("PBKDF2 iterations")
    ));
}

#[test]
fn sec1_with_and_without_parameters_and_ec_parameters_blocks() {
    use sec1::der::Encode as _;
    let key = PrivateKey::generate(Algorithm::EcdsaP256, &mut rng()).unwrap();
    let pkcs8_der = key.to_pkcs8_der();
    let info = pkcs8::PrivateKeyInfoRef::from_der(&pkcs8_der).unwrap();
    let inner = sec1::EcPrivateKey::from_der(info.private_key.as_bytes()).unwrap();
    let with_params = sec1::EcPrivateKey {
        parameters: Some(sec1::EcParameters::NamedCurve(SECP256R1)),
        ..inner.clone()
    }
    .to_der()
    .unwrap();
    let without = inner.to_der().unwrap();
    for der in [with_params, without] {
        let pem = format!(
            "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n-----END EC PARAMETERS-----\n{}",
            &*pem_encode("EC PRIVATE KEY", &der)
        );
        let read = PrivateKey::from_pem(pem.as_bytes(), None).unwrap();
        assert_eq!(read.public_key(), key.public_key());
        assert_eq!(
            PrivateKey::from_der(&der).unwrap().public_key(),
            key.public_key()
        );
    }
}

#[test]
fn public_keys_certificates_and_junk_are_named() {
    let key = PrivateKey::generate(Algorithm::EcdsaP256, &mut rng()).unwrap();
    let public_pem = pem_encode("PUBLIC KEY", key.public_key().spki_der());
    for (input, found) in [
        (public_pem.as_bytes(), "a public key"),
        (key.public_key().spki_der(), "a public key"),
        (&b""[..], "an empty file"),
        (b"ssh-ed25519 AAAA", "an OpenSSH public key"),
        (
            b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n",
            "an X.509 certificate",
        ),
        (
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
            "OpenSSH",
        ),
    ] {
        let err = PrivateKey::from_bytes(input, None).unwrap_err();
        let typed = match &err {
            Error::PublicKeyNotPrivate { .. } => found == "a public key",
            Error::NotAPrivateKey { found: f } => f.contains(found),
            _ => false,
        };
        assert!(typed && err.to_string().contains(found), "{err:?}");
    }
    // A private key after other blocks is found, as openssl finds it.
    let combined = format!("{}{}", &*public_pem, &*key.to_pkcs8_pem());
    assert_eq!(
        PrivateKey::from_pem(combined.as_bytes(), None)
            .unwrap()
            .public_key(),
        key.public_key()
    );
    let legacy = b"-----BEGIN EC PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAEC\n-----END EC PRIVATE KEY-----\n";
    assert!(matches!(
        PrivateKey::from_pem(legacy, Some(b"pw")),
        Err(Error::UnsupportedPrivateKey { what }) if what.contains("openssl pkcs8 -topk8")
    ));
}

#[test]
fn unsupported_algorithms_are_named() {
    let decode = |b64: &str| {
        base64::engine::general_purpose::STANDARD
            .decode(b64)
            .unwrap()
    };
    // `openssl genpkey -algorithm ed448 -outform DER` (PKCS#8).
    let ed448 = decode(
        "MEcCAQAwBQYDK2VxBDsEOXPdQg1rjuDbX6xl1IWhI7Krr02f5UZD9AaAVtrB1n58OjOn6WaqWjy6ThV21YnNrzAFOy5Eunhg6w==",
    );
    assert!(matches!(
        PrivateKey::from_der(&ed448),
        Err(Error::UnsupportedPrivateKey { what }) if what.contains("Ed448")
    ));
    // `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -outform DER` (SEC1).
    let p521 = decode(
        "MIHcAgEBBEIBM5BK6yuSmUfgbPdROLcJrKFGUe/SmjeafBVY5tDHGTnZhJmY23FHgwxYL4BVg4Lp2UwwgsxtUubfvzm4aGUNGnmgBwYFK4EEACOhgYkDgYYABADD3ApDnKvIuXuCSNWRP4Lio+lUBBedyJ8dyLDjV3mEP6KTycVi9Wyjc2o/kz22YCU5G9sr8DKOsXEbXrfF6caNTgAayHZVwclRWwDfeIdUOwKuWSN+A7TDFyiW0jdNLH2uT7E5rPuof2wYc4Bnndin5QSUBqLv7yCQV8Tt8sr1a6Huvw==",
    );
    assert!(matches!(
        PrivateKey::from_der(&p521),
        Err(Error::UnsupportedPrivateKey { what }) if what.contains("P-521")
    ));
}

/// Every prefix and many bit flips of every valid encoding: errors, never panics.
#[test]
fn truncated_and_garbled_inputs_do_not_panic() {
    let mut rng = rng();
    let key = PrivateKey::generate(Algorithm::EcdsaP256, &mut rng).unwrap();
    let cheap =
        pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(1, &[7; 16], [9; 16]).unwrap();
    let encrypted = encrypted_pkcs8(&key, &cheap, b"pw");
    let inputs: Vec<Vec<u8>> = vec![
        key.to_pkcs8_der().to_vec(),
        key.to_pkcs8_pem().as_bytes().to_vec(),
        encrypted.clone(),
        pem_encode("ENCRYPTED PRIVATE KEY", &encrypted)
            .as_bytes()
            .to_vec(),
    ];
    for input in &inputs {
        for len in 0..input.len() {
            let _ignored = PrivateKey::from_bytes(&input[..len], Some(b"pw"));
        }
        for i in 0..input.len() {
            let mut garbled = input.clone();
            garbled[i] ^= 0x41;
            let _ignored = PrivateKey::from_bytes(&garbled, Some(b"pw"));
            let _ignored = PrivateKey::from_bytes(&garbled, None);
        }
    }
    // The cosign format runs scrypt (64 MiB, N = 65536) when it gets that far: truncate the
    // PEM text (every prefix is refused before scrypt) and garble the JSON fields' text.
    let cosign = key
        .to_cosign_pem_with_params(b"pw", ScryptParams::LEGACY, &mut rng)
        .unwrap();
    for len in 0..cosign.len() - 1 {
        let _ignored = PrivateKey::from_bytes(&cosign.as_bytes()[..len], Some(b"pw"));
    }
    for junk in [
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\n!!\n-----END PRIVATE KEY-----\n",
        "-----BEGIN PRIVATE KEY-----\nMAA=\n-----END PRIVATE KEY-----\n",
        "-----BEGIN RSA PRIVATE KEY-----\nMAA=\n-----END RSA PRIVATE KEY-----\n",
        "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMAA=\n-----END ENCRYPTED PRIVATE KEY-----\n",
    ] {
        assert!(
            PrivateKey::from_bytes(junk.as_bytes(), Some(b"pw")).is_err(),
            "{junk}"
        );
    }
}

#[test]
fn pkcs8_pem_is_what_openssl_writes() {
    let key = PrivateKey::generate(Algorithm::Ed25519, &mut rng()).unwrap();
    let der = key.to_pkcs8_der();
    // openssl genpkey -algorithm ed25519: 48 bytes, version 0, no public key.
    assert_eq!(der.len(), 48);
    assert_eq!(
        &der[..16],
        b"\x30\x2e\x02\x01\x00\x30\x05\x06\x03\x2b\x65\x70\x04\x22\x04\x20"
    );
    let pem = key.to_pkcs8_pem();
    assert!(pem.ends_with("-----END PRIVATE KEY-----\n"));
    assert!(pem.lines().all(|line| line.len() <= 64));
}

#[test]
fn private_keys_can_be_shared_between_signing_threads() {
    fn shareable<T: Send + Sync>() {}
    shareable::<PrivateKey>();
}
