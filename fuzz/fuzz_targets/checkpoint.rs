//! The input is a signed checkpoint note (origin, size, root hash, `— name sig` lines), put into
//! the conformance suite's v0.3 bundle (`tlogEntries[0].inclusionProof.checkpoint.envelope`):
//! parsed by sigstore-types when the bundle is read, then its signatures and root hash checked
//! against the inclusion proof by sigstore-verify, as in `bundle_verify`.
#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;

static TEMPLATE: LazyLock<serde_json::Value> =
    LazyLock::new(|| serde_json::from_str(vouch_fuzz::HAPPY_PATH_V03).expect("template"));

fuzz_target!(|data: &[u8]| {
    let mut bundle = TEMPLATE.clone();
    bundle["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["checkpoint"]["envelope"] =
        String::from_utf8_lossy(data).into_owned().into();
    vouch_fuzz::parse_and_verify(bundle.to_string().as_bytes());
});
