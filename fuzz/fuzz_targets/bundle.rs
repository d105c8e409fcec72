//! `vouch_sigstore::Bundle::from_json`: Sigstore bundles v0.1–v0.3 as sigstore-types parses
//! them (media types, verification material, tlog entries, checkpoints, DSSE envelopes), and
//! vouch's conversion of legacy cosign bundles (Rekor bundle, PEM certificate, body JSON).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match vouch_sigstore::Bundle::from_json(data) {
        Ok(bundle) => {
            let _ = (
                bundle.format().to_string(),
                bundle.has_certificate(),
                bundle.tlog_entry_count(),
            );
        }
        Err(err) => {
            let _ = (err.to_string(), err.is_verdict());
        }
    }
});
