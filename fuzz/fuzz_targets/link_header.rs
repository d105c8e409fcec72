//! `Link` headers of paginated referrers listings (RFC 8288), which the registry driver follows.
//! No input may panic; the next page is a part of the header between `<` and `>`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_oci::fuzzing;

fuzz_target!(|data: &[u8]| {
    let Ok(header) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(next) = fuzzing::link_next(header) {
        assert!(!next.contains('>'), "{next}");
        assert!(header.contains(&format!("<{next}>")), "{next}");
    }
});
