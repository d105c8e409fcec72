//! `TrustRoot::from_json` (sigstore-trust-root: keys, certificate chains, validity windows)
//! and `Verifier::new`, which prepares every key and trust anchor in it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_sigstore::{TrustRoot, Verifier};

fuzz_target!(|data: &[u8]| {
    match TrustRoot::from_json(&String::from_utf8_lossy(data)) {
        Ok(root) => {
            if let Err(err) = Verifier::new(&root) {
                let _ = err.to_string();
            }
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
});
