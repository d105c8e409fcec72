//! docker's `config.json` and podman's `auth.json`, read for registry credentials: every
//! `auths` entry decoded as a lookup would (`auth` base64 of `user:password`, identity and
//! registry tokens). No input may panic; no more credentials than entries come out.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_oci::fuzzing;

fuzz_target!(|data: &[u8]| {
    if let Some(found) = fuzzing::docker_config(data) {
        // Each credential comes from one `"auths"` key, which the text must at least name.
        assert!(found == 0 || data.windows(7).any(|w| w == b"\"auths\""));
    }
});
