//! What the bundle-verifying fuzz targets share: verifiers for the embedded production trust
//! root and a Rekor v2 test root, a fixed artifact, the policies every bundle is checked
//! against, and the oracle.

use std::sync::LazyLock;

use vouch_sigstore::{Bundle, Matcher, Policy, TrustRoot, Verifier};

/// The artifact the conformance suite's bundles sign (`a.txt`), so that seeds from it get past
/// the digest check and reach the later steps when their input is mutated.
pub const ARTIFACT: &[u8] = include_bytes!("../../testdata/interop/sigstore-conformance/a.txt");

/// The conformance suite's v0.3 keyless bundle over [`ARTIFACT`], which verifies against the
/// production root: the template the structure-aware targets put their input into.
pub const HAPPY_PATH_V03: &str = include_str!(
    "../../testdata/interop/sigstore-conformance/bundle-verify/happy-path-v0.3/bundle.sigstore.json"
);

/// The managed key of the conformance suite's key-signed bundles (`managed-key-happy-path`).
const MANAGED_KEY: &[u8] = include_bytes!(
    "../../testdata/interop/sigstore-conformance/bundle-verify/managed-key-happy-path/key.pub"
);

/// The conformance suite's Rekor v2 root (staging Fulcio, a Rekor v2 log, a timestamp
/// authority), shared by its 19 `rekor2-*` cases: with it, their seeds reach RFC 3161 timestamp
/// parsing, Rekor v2 entries and cosigned checkpoints, which the production root rejects early.
const REKOR2_ROOT: &str = include_str!(
    "../../testdata/interop/sigstore-conformance/bundle-verify/rekor2-happy-path/trusted_root.json"
);

/// Verifiers for the embedded production root and for [`REKOR2_ROOT`].
static VERIFIERS: LazyLock<[Verifier; 2]> = LazyLock::new(|| {
    let production = TrustRoot::production().expect("embedded production root");
    let rekor2 = TrustRoot::from_json(REKOR2_ROOT).expect("conformance Rekor v2 root");
    [&production, &rekor2].map(|root| Verifier::new(root).expect("verifier"))
});

/// Policies no bundle can satisfy: Fulcio never issued a certificate for identity `x` and
/// issuer `y`. The regex form makes sigstore-verify check everything (chain, SCT, log entry,
/// inclusion proof, checkpoint, signature, entry body) before vouch compares the identity;
/// without the log, Rekor v2 entry bodies are parsed even when mutated (no SET covers them).
static NEVER: LazyLock<Vec<Policy>> = LazyLock::new(|| {
    let exact = || Policy::identity(Matcher::exact("x"), Matcher::exact("y"));
    let regex = || Policy::identity(Matcher::regex("x").expect("regex"), Matcher::exact("y"));
    vec![
        exact(),
        exact().insecure_ignore_tlog(),
        regex(),
        regex().insecure_ignore_tlog(),
    ]
});

/// Key policies: these may verify (a seed is a valid bundle by [`MANAGED_KEY`] over
/// [`ARTIFACT`]), so only the absence of panics is checked.
static KEY_POLICIES: LazyLock<Vec<Policy>> = LazyLock::new(|| {
    let key = vouch_keys::PublicKey::from_bytes(MANAGED_KEY).expect("managed key");
    vec![
        Policy::key(key.clone()),
        Policy::key(key).insecure_ignore_tlog(),
    ]
});

/// Verifies `bundle` over [`ARTIFACT`] with every policy, against both trust roots.
///
/// # Panics
///
/// If a bundle verifies for identity `x` from issuer `y` (a forged keyless signature), or if
/// vouch or its dependencies panic.
pub fn verify_all(bundle: &Bundle) {
    for verifier in VERIFIERS.iter() {
        for policy in NEVER.iter() {
            match verifier.verify_reader(ARTIFACT, bundle, policy) {
                Ok(verified) => panic!("a fuzzed bundle verified for identity x: {verified:?}"),
                Err(err) => {
                    let _ = (err.to_string(), err.is_verdict());
                }
            }
        }
        for policy in KEY_POLICIES.iter() {
            if let Err(err) = verifier.verify_reader(ARTIFACT, bundle, policy) {
                let _ = (err.to_string(), err.is_verdict());
            }
        }
    }
}

/// Parses `bytes` as a bundle and, if that works, [`verify_all`]s it.
pub fn parse_and_verify(bytes: &[u8]) {
    match Bundle::from_json(bytes) {
        Ok(bundle) => verify_all(&bundle),
        Err(err) => {
            let _ = err.to_string();
        }
    }
}

/// The policy the `attestation` target evaluates over every statement that parses: it reads
/// fields of every kind, so the statement's whole tree is converted and walked.
const ATTESTATION_POLICY: &str = r#"
package signature
default allow = false
allow {
  input.predicateType == "https://slsa.dev/provenance/v1"
  count(input.subject) > 0
  walk(input.predicate, [_, v])
  not is_null(v)
}
deny[msg] { msg := sprintf("%v", [input.subject[_].name]) }
"#;

static REGO: LazyLock<vouch_attest::RegoPolicy> = LazyLock::new(|| {
    vouch_attest::RegoPolicy::new("fuzz.rego", ATTESTATION_POLICY).expect("policy parses")
});

/// `bytes` as an in-toto statement (then through a Rego policy, for at most 50 ms) and as an
/// attestation bundle, or a cosign `.att` layer, about [`ARTIFACT`] checked with a key and with
/// identity `x`.
///
/// # Panics
///
/// If an attestation verifies for identity `x`, or if vouch or its dependencies panic.
pub fn attestation(bytes: &[u8]) {
    if let Ok(statement) = vouch_attest::Statement::parse(bytes) {
        let _ = (statement.named_digests(), statement.predicate().is_object());
        let _ = REGO.evaluate(&statement.as_value(), std::time::Duration::from_millis(50));
    }
    // Bytes read as a bundle, or as the three parts of a cosign `.att` layer (envelope,
    // certificate annotation, Rekor bundle annotation) split at NUL bytes.
    let mut parts = bytes.splitn(3, |b| *b == 0);
    let envelope = parts.next().unwrap_or_default();
    let certificate = parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let rekor = parts.next().and_then(|p| std::str::from_utf8(p).ok());
    let Ok(bundle) = Bundle::from_json(bytes)
        .or_else(|_| {
            Bundle::from_cosign_attestation(
                envelope,
                certificate,
                rekor,
                vouch_sigstore::MAX_BUNDLE_BYTES,
                vouch_sigstore::MAX_STATEMENT_COST,
            )
        })
    else {
        return;
    };
    let digest = vouch_blob::Digest::of(vouch_blob::DigestAlgorithm::Sha256, ARTIFACT);
    for verifier in VERIFIERS.iter() {
        for policy in NEVER.iter() {
            let policy = vouch_attest::AttestationPolicy::new(policy.clone());
            if let Ok(verified) = vouch_attest::verify_attestation(
                verifier,
                &bundle,
                std::slice::from_ref(&digest),
                &policy,
            ) {
                panic!("a fuzzed attestation verified for identity x: {verified:?}");
            }
        }
        for policy in KEY_POLICIES.iter() {
            let policy = vouch_attest::AttestationPolicy::new(policy.clone());
            let _ = vouch_attest::verify_attestation(
                verifier,
                &bundle,
                std::slice::from_ref(&digest),
                &policy,
            );
        }
    }
}
