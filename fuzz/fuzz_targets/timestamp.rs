//! The input is an RFC 3161 timestamp token (DER), put into two bundles as their only
//! `signedTimestamp`, which are then verified: vouch's own RFC 3161 verifier (CMS SignedData,
//! TSTInfo with its raw genTime, signed attributes, the TSA's chain) and what follows it.
//!
//! - sigstore-js's key-signed bundle without a log (`testdata/interop/sigstore-js-fractional-gentime`),
//!   whose token has a fractional genTime, against its own trust root, with its key and
//!   `insecure_ignore_tlog`: the token is the only signing-time evidence. Oracle: a bundle that
//!   verifies reports an RFC 3161 time.
//! - the conformance suite's `rekor2-happy-path` (keyless, Rekor v2, whole-second genTime),
//!   through `vouch_fuzz::verify_all` (identity `x` from `y`: must never verify).
#![no_main]

use std::sync::LazyLock;

use base64::Engine as _;
use libfuzzer_sys::fuzz_target;
use vouch_sigstore::{Bundle, Policy, TrustRoot, Verifier};

struct KeyCase {
    template: serde_json::Value,
    verifier: Verifier,
    policy: Policy,
    artifact: &'static [u8],
}

static KEY_CASE: LazyLock<KeyCase> = LazyLock::new(|| KeyCase {
    template: serde_json::from_str(include_str!(
        "../../testdata/interop/sigstore-js-fractional-gentime/b-key-tsa-nolog.sigstore.json"
    ))
    .expect("template"),
    verifier: Verifier::new(
        &TrustRoot::from_json(include_str!(
            "../../testdata/interop/sigstore-js-fractional-gentime/trusted_root.json"
        ))
        .expect("root"),
    )
    .expect("verifier"),
    policy: Policy::key(
        vouch_keys::PublicKey::from_bytes(include_bytes!(
            "../../testdata/interop/sigstore-js-fractional-gentime/key.pub"
        ))
        .expect("key"),
    )
    .insecure_ignore_tlog(),
    artifact: include_bytes!("../../testdata/interop/sigstore-js-fractional-gentime/artifact.txt"),
});

static KEYLESS_TEMPLATE: LazyLock<serde_json::Value> = LazyLock::new(|| {
    serde_json::from_str(include_str!(
        "../../testdata/interop/sigstore-conformance/bundle-verify/rekor2-happy-path/bundle.sigstore.json"
    ))
    .expect("template")
});

fn with_token(template: &serde_json::Value, token: &str) -> Option<Bundle> {
    let mut bundle = template.clone();
    bundle["verificationMaterial"]["timestampVerificationData"]["rfc3161Timestamps"][0]["signedTimestamp"] =
        token.into();
    Bundle::from_json(bundle.to_string().as_bytes()).ok()
}

fuzz_target!(|data: &[u8]| {
    let token = base64::engine::general_purpose::STANDARD.encode(data);
    let case = &*KEY_CASE;
    if let Some(bundle) = with_token(&case.template, &token) {
        match case
            .verifier
            .verify_reader(case.artifact, &bundle, &case.policy)
        {
            Ok(verified) => assert_eq!(verified.timestamp_sources(), ["rfc3161"]),
            Err(err) => {
                let _ = (err.to_string(), err.is_verdict());
            }
        }
    }
    if let Some(bundle) = with_token(&KEYLESS_TEMPLATE, &token) {
        vouch_fuzz::verify_all(&bundle);
    }
});
