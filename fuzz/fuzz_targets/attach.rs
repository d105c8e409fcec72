//! `vouch_oci::attach`: what `vouch sign` reads back from a registry before appending to it —
//! a `.sig` signature manifest (and its config), a referrers tag-schema index, an image
//! manifest as a subject — parsed, then appended to, from any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_oci::attach::ImageSubject;
use vouch_oci::attach::legacy::{SignatureManifest, payload_blob};
use vouch_oci::attach::referrer::{BundleReferrer, FallbackIndex};

fuzz_target!(|data: &[u8]| {
    let payload = payload_blob(b"payload".to_vec());
    if let Ok(manifest) = SignatureManifest::parse(data) {
        let _ = manifest.contains(&payload, "c2ln");
        // The same bytes as the config: whatever they are, no panic.
        let _ = manifest.append(Some(data), &payload, "c2ln");
        let _ = manifest.append(None, &payload, "c2ln");
    }
    if let Ok(subject) = ImageSubject::from_manifest(data, None, None) {
        if let Ok(referrer) = BundleReferrer::new(&subject, data.to_vec(), "2026-01-01T00:00:00Z") {
            if let Ok(index) = FallbackIndex::parse(data) {
                let _ = index.with(&referrer);
            }
        }
    }
    let _ = FallbackIndex::parse(data);
});
