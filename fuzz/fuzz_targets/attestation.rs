//! `vouch_attest`: in-toto statements from any bytes, a Rego policy over what parses (bounded
//! in time), and the bytes as an attestation bundle verified with a key and a keyless policy.
//! Must never panic, and never verify for identity `x` (see `vouch_fuzz::attestation`).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| vouch_fuzz::attestation(data));
