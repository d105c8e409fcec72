//! Bundle parsing, then verification over a fixed artifact against the embedded production
//! trust root and a Rekor v2 test root, with keyless and key policies: certificate parsing and
//! chain building, SCTs, SETs, Rekor v1 and v2 entry bodies, inclusion proofs, checkpoints and
//! their signatures, RFC 3161 timestamps, DSSE envelopes. Must never panic, and never verify
//! for identity `x` (see `vouch_fuzz`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| vouch_fuzz::parse_and_verify(data));
