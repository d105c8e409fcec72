//! `vouch_keys::PublicKey::from_bytes` (PEM or DER detection, PEM block scanning, SPKI, PKCS#1
//! RSA, EC points, the refusal explanations) takes any bytes without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_keys::PublicKey;

fuzz_target!(|data: &[u8]| {
    let _ = vouch_keys::pem_blocks(data);
    match PublicKey::from_bytes(data) {
        Ok(key) => {
            let _ = (key.algorithm(), key.bits(), key.fingerprint().to_string());
            // What a key reports as its SPKI reads back as the same key.
            let again = PublicKey::from_der(key.spki_der());
            assert_eq!(
                again.as_ref().ok(),
                Some(&key),
                "SPKI round trip: {again:?}"
            );
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = PublicKey::from_pem(text).map_err(|err| err.to_string());
    }
});
