//! Signature decoding (DER, base64, raw r‖s / Ed25519 / RSA, detected or pinned) and
//! verification (`verify`, `verify_digest`, `find_signing_digest`), for one key of each
//! algorithm. No input may panic, and none may verify: nobody holds a signature by these keys
//! over `MESSAGE`.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use vouch_blob::{Digest, DigestAlgorithm, Signature, SignatureEncoding};
use vouch_keys::PublicKey;

const MESSAGE: &[u8] = b"msg";

static KEYS: LazyLock<Vec<PublicKey>> = LazyLock::new(|| {
    [
        &include_bytes!("../../testdata/generated/p256-der/key.pub")[..],
        include_bytes!("../../testdata/generated/p384-der/key.pub"),
        include_bytes!("../../testdata/generated/ed25519-raw/key.pub"),
        include_bytes!("../../testdata/generated/rsa2048-pkcs1v15/key.pub"),
    ]
    .into_iter()
    .map(|pem| PublicKey::from_bytes(pem).expect("test key"))
    .collect()
});

fuzz_target!(|data: &[u8]| {
    // As a signature file, with the encoding detected, for every key: signature files are
    // seeds as they are.
    let whole = Signature::from_bytes(data.to_vec());
    for key in KEYS.iter() {
        check(key, &whole);
    }
    // The first byte picks a key, a pinned encoding and a declared digest; the rest is the
    // signature, also checked over a digest and against every digest algorithm.
    let Some((&pick, bytes)) = data.split_first() else {
        return;
    };
    let key = &KEYS[usize::from(pick >> 4) % KEYS.len()];
    let mut signature = Signature::from_bytes(bytes.to_vec());
    signature = match pick % 4 {
        1 => signature.with_encoding(SignatureEncoding::Der),
        2 => signature.with_encoding(SignatureEncoding::Base64),
        3 => signature.with_encoding(SignatureEncoding::Raw),
        _ => signature,
    };
    if pick & 0x08 != 0 {
        let algorithm = DigestAlgorithm::ALL[usize::from(pick >> 2) % DigestAlgorithm::ALL.len()];
        signature = signature.with_digest(algorithm);
    }
    check(key, &signature);
    let digest = Digest::of(signature.digest(), MESSAGE);
    if let Ok(verified) = vouch_blob::verify_digest(key, &digest, &signature) {
        panic!("a fuzzed signature verified over a digest: {verified:?}");
    }
    if let Ok(Some(found)) = vouch_blob::find_signing_digest(key, MESSAGE, &signature) {
        panic!("a fuzzed signature verified over {found}");
    }
});

fn check(key: &PublicKey, signature: &Signature) {
    match vouch_blob::verify(key, MESSAGE, signature) {
        Ok(verified) => panic!("a fuzzed signature verified: {verified:?}"),
        Err(err) => {
            let _ = err.to_string();
        }
    }
}
