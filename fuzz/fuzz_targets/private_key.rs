//! `vouch_keys::PrivateKey::from_bytes` (PEM or DER detection; PKCS#8, SEC1, PKCS#1 RSA;
//! encrypted PKCS#8 and cosign's encrypted format, with the KDF parameter guard checked before
//! any key derivation) takes any bytes and passwords without panicking, and a parsed key signs
//! what its public key verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_keys::PrivateKey;

fuzz_target!(|data: &[u8]| {
    // The passwords the seeds were written with (sigstore-rs vectors: "", "password"; none).
    for password in [None, Some(&b""[..]), Some(&b"password"[..])] {
        match PrivateKey::from_bytes(data, password) {
            Ok(key) => {
                let _ = format!("{key:?}");
                let public = key.public_key();
                let signature = match key.default_hash() {
                    Some(hash) => key.sign_prehash(hash, &hash.digest(b"msg")),
                    None => key.sign_message(b"msg"),
                };
                if let Ok(signature) = signature {
                    // One hash enum: vouch-blob's DigestAlgorithm is vouch-keys' HashAlgorithm.
                    let signature = vouch_blob::Signature::from_bytes(signature)
                        .with_digest(key.default_hash().unwrap_or_default());
                    assert!(
                        vouch_blob::verify(&public, b"msg", &signature).is_ok(),
                        "a parsed key's signature does not verify with its public key"
                    );
                }
                break;
            }
            Err(err) => {
                let _ = err.to_string();
            }
        }
    }
});
