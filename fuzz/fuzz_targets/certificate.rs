//! The input is a DER signing certificate, put into the conformance suite's v0.3 keyless bundle
//! (`verificationMaterial.certificate.rawBytes`), which is then verified as in `bundle_verify`:
//! X.509 parsing (SANs, Fulcio extensions, key), chain building to Fulcio, embedded SCTs.
#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;

static TEMPLATE: LazyLock<serde_json::Value> =
    LazyLock::new(|| serde_json::from_str(vouch_fuzz::HAPPY_PATH_V03).expect("template"));

fuzz_target!(|data: &[u8]| {
    let mut bundle = TEMPLATE.clone();
    bundle["verificationMaterial"]["certificate"]["rawBytes"] =
        base64::engine::general_purpose::STANDARD
            .encode(data)
            .into();
    vouch_fuzz::parse_and_verify(bundle.to_string().as_bytes());
});
