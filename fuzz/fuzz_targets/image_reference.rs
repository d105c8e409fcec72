//! Image references as users, policies and registries write them (`registry/name:tag@digest`,
//! Docker Hub's short forms). No input may panic; a parsed reference prints as a reference that
//! parses back to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_oci::ImageRef;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(reference) = text.parse::<ImageRef>() {
        let shown = reference.to_string();
        let again: ImageRef = shown
            .parse()
            .unwrap_or_else(|err| panic!("{text:?} printed as {shown:?}, which fails: {err}"));
        assert_eq!(again.to_string(), shown);
    }
});
