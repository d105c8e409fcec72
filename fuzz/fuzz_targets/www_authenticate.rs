//! `WWW-Authenticate` challenges as a registry's 401 sends them, and the token service's
//! answer. The input is one or more header values, one a line; the whole input is also a token
//! response body. No input may panic; a Bearer challenge is answered only with a realm.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_oci::fuzzing;

fuzz_target!(|data: &[u8]| {
    let _token = fuzzing::token_response(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(challenge) = fuzzing::www_authenticate(text.lines()) {
        assert!(
            challenge == "Basic" || challenge.starts_with("Bearer { realm: \""),
            "{challenge}"
        );
    }
});
