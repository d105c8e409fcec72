//! `verify_image`: every candidate checked on its own and completely, against real cosign
//! signatures (containers/image's fixtures) and signatures made here with P-256 keys.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly, outside #[test] functions too"
)]

use std::fmt::Write as _;

use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::EncodePublicKey as _;
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use vouch_oci::{
    COSIGN_SIGN_PREDICATE_TYPE, CandidateContent, ImagePolicy, ImageRef, ImageVerifyError, Lookup,
    OciDigest, RejectionCategory, Repository, SignatureCandidate, SignatureKind,
    SimpleSigningLayer, Source, SourceStatus, VerifiedImage, verify_image,
};
use vouch_sigstore::{Matcher, Policy, TrustRoot, Verifier};

const SIMPLE_SIGNING_TYPE: &str = "cosign container image signature";
const IN_TOTO: &str = "application/vnd.in-toto+json";
const SLSA: &str = "https://slsa.dev/provenance/v1";
const BEACON: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const GITHUB: &str = "https://token.actions.githubusercontent.com";

// ---------------------------------------------------------------------------------------------
// Helpers

fn verifier() -> Verifier {
    Verifier::new(&TrustRoot::production().unwrap()).unwrap()
}

fn vector(path: &str) -> std::path::PathBuf {
    vouch_testdata::interop(&format!("containers-image-cosign/{path}"))
}

fn vector_key(name: &str) -> vouch_keys::PublicKey {
    vouch_keys::PublicKey::from_bytes(&std::fs::read(vector(name)).unwrap()).unwrap()
}

/// The image digest of a containers/image fixture: SHA-256 of its `manifest.json`.
fn fixture_digest(fixture: &str) -> OciDigest {
    OciDigest::sha256_of(&std::fs::read(vector(&format!("{fixture}/manifest.json"))).unwrap())
}

/// A cosign signature layer from a fixture's `payload.json` and `annotations.json`.
fn fixture_layer(dir: &str) -> SimpleSigningLayer {
    let annotations: Value =
        serde_json::from_slice(&std::fs::read(vector(&format!("{dir}/annotations.json"))).unwrap())
            .unwrap();
    let text = |key: &str| annotations[key].as_str().map(str::to_owned);
    let mut layer = SimpleSigningLayer::default();
    layer.payload = std::fs::read(vector(&format!("{dir}/payload.json"))).unwrap();
    layer.signature = text("dev.cosignproject.cosign/signature").unwrap();
    layer.certificate = text("dev.sigstore.cosign/certificate");
    layer.chain = text("dev.sigstore.cosign/chain");
    layer.rekor_bundle = text("dev.sigstore.cosign/bundle");
    layer
}

fn manifest_digest(n: usize) -> OciDigest {
    OciDigest::sha256_of(format!("signature manifest {n}").as_bytes())
}

fn legacy(layers: Vec<SimpleSigningLayer>) -> Vec<SignatureCandidate> {
    layers
        .into_iter()
        .enumerate()
        .map(|(n, layer)| {
            SignatureCandidate::new(
                Source::LegacyTag,
                manifest_digest(n),
                CandidateContent::SimpleSigning(layer),
            )
        })
        .collect()
}

fn referrers(bundles: Vec<Vec<u8>>) -> Vec<SignatureCandidate> {
    bundles
        .into_iter()
        .enumerate()
        .map(|(n, json)| {
            SignatureCandidate::new(
                Source::Referrers,
                manifest_digest(100 + n),
                CandidateContent::Bundle { json },
            )
        })
        .collect()
}

fn lookup(digest: &OciDigest, candidates: Vec<SignatureCandidate>) -> Lookup {
    let image = ImageRef::parse("registry.example/team/app:1.0").unwrap();
    let mut lookup = Lookup::new(
        image.with_digest(digest.clone()),
        digest.clone(),
        "application/vnd.oci.image.manifest.v1+json",
    );
    lookup.sources = vec![(Source::LegacyTag, SourceStatus::Found(candidates.len()))];
    lookup.candidates = candidates;
    lookup
}

fn verify(lookup: &Lookup, policy: &ImagePolicy) -> Result<VerifiedImage, ImageVerifyError> {
    verify_image(lookup, policy, &verifier())
}

fn rejected(result: Result<VerifiedImage, ImageVerifyError>) -> Vec<vouch_oci::Rejection> {
    match result {
        Err(ImageVerifyError::NoneValid { rejected, .. }) => rejected,
        Err(other) => panic!("expected NoneValid, got {other}"),
        Ok(verified) => panic!("expected a rejection, verified {:?}", verified.verified()),
    }
}

/// The only rejection's category and text, for snapshots.
fn rejection(result: Result<VerifiedImage, ImageVerifyError>) -> (RejectionCategory, String) {
    let rejected = rejected(result);
    assert_eq!(rejected.len(), 1, "{rejected:?}");
    (rejected[0].category(), rejected[0].to_string())
}

/// A deterministic P-256 key from a label.
fn test_key(label: &str) -> p256::ecdsa::SigningKey {
    let seed: [u8; 32] = Sha256::digest(label.as_bytes()).into();
    p256::ecdsa::SigningKey::from_slice(&seed).unwrap()
}

fn public(key: &p256::ecdsa::SigningKey) -> vouch_keys::PublicKey {
    let der = key.verifying_key().to_public_key_der().unwrap();
    vouch_keys::PublicKey::from_der(der.as_bytes()).unwrap()
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn sign(key: &p256::ecdsa::SigningKey, message: &[u8]) -> Vec<u8> {
    let signature: p256::ecdsa::Signature = key.sign(message);
    signature.to_der().as_bytes().to_vec()
}

/// A simple-signing payload as cosign writes it (Go field order).
fn payload(digest: &str, reference: &str, optional: &Value) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{reference}"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"{SIMPLE_SIGNING_TYPE}"}},"optional":{optional}}}"#
    )
    .into_bytes()
}

/// A layer signed with `key` over `payload`, without Rekor bundle.
fn signed_layer(key: &p256::ecdsa::SigningKey, payload: Vec<u8>) -> SimpleSigningLayer {
    let mut layer = SimpleSigningLayer::default();
    layer.signature = b64(&sign(key, &payload));
    layer.payload = payload;
    layer
}

fn image_digest() -> OciDigest {
    OciDigest::sha256_of(
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#,
    )
}

fn lax(key: &p256::ecdsa::SigningKey) -> ImagePolicy {
    ImagePolicy::new(Policy::key(public(key)).insecure_ignore_tlog())
}

/// An in-toto statement as cosign v3's `sign` writes it (protojson).
fn statement(subjects: &[(&str, &str, Option<Value>)], predicate_type: &str) -> Vec<u8> {
    let subjects: Vec<Value> = subjects
        .iter()
        .map(|(algorithm, hex, annotations)| {
            let mut subject = json!({ "digest": { *algorithm: hex } });
            if let Some(annotations) = annotations {
                subject["annotations"] = annotations.clone();
            }
            subject
        })
        .collect();
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": subjects,
        "predicateType": predicate_type,
        "predicate": {},
    })
    .to_string()
    .into_bytes()
}

fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// A Sigstore bundle of `media_type`, key-signed, with a DSSE envelope over `statement` and
/// no log entry (`cosign sign --key --tlog-upload=false` with the new bundle format).
fn dsse_bundle_as(media_type: &str, key: &p256::ecdsa::SigningKey, statement: &[u8]) -> Vec<u8> {
    let hint = b64(&Sha256::digest(
        key.verifying_key().to_public_key_der().unwrap().as_bytes(),
    ));
    json!({
        "mediaType": media_type,
        "verificationMaterial": { "publicKey": { "hint": hint }, "tlogEntries": [] },
        "dsseEnvelope": {
            "payload": b64(statement),
            "payloadType": IN_TOTO,
            "signatures": [{ "sig": b64(&sign(key, &pae(IN_TOTO, statement))), "keyid": "" }]
        }
    })
    .to_string()
    .into_bytes()
}

fn dsse_bundle(key: &p256::ecdsa::SigningKey, statement: &[u8]) -> Vec<u8> {
    dsse_bundle_as(
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        key,
        statement,
    )
}

fn conformance(path: &str) -> Vec<u8> {
    std::fs::read(vouch_testdata::interop(&format!(
        "sigstore-conformance/{path}"
    )))
    .unwrap()
}

// ---------------------------------------------------------------------------------------------
// Legacy simple-signing signatures made by cosign

#[test]
fn a_cosign_key_signature_with_a_rekor_bundle_verifies() {
    let digest = fixture_digest("dir-img-cosign-key-rekor-valid");
    let lookup = lookup(
        &digest,
        legacy(vec![fixture_layer("dir-img-cosign-key-rekor-valid")]),
    );
    let policy = ImagePolicy::new(Policy::key(vector_key("cosign2.pub")));
    let verified = verify(&lookup, &policy).unwrap();
    assert_eq!(verified.digest(), &digest);
    assert!(verified.rejected().is_empty());
    let [signature] = verified.verified() else {
        panic!("{:?}", verified.verified())
    };
    assert_eq!(signature.kind(), SignatureKind::SimpleSigning);
    assert_eq!(signature.source(), Source::LegacyTag);
    assert_eq!(signature.manifest_digest(), &manifest_digest(0));
    assert_eq!(
        signature.docker_reference(),
        Some("192.168.64.2:5000/cosign-signed/key-1")
    );
    assert_eq!(signature.signature_type(), Some(SIMPLE_SIGNING_TYPE));
    assert!(signature.annotations().is_empty());
    let bundle = signature.bundle();
    assert!(bundle.tlog_verified());
    assert_eq!(bundle.log_index(), Some(11_608_800));
    assert_eq!(bundle.integrated_time(), Some(1_674_251_859));
    assert_eq!(
        bundle.key_fingerprint(),
        Some(vector_key("cosign2.pub").fingerprint())
    );
}

#[test]
fn another_key_or_a_tampered_set_is_rejected() {
    let digest = fixture_digest("dir-img-cosign-key-rekor-valid");
    let layer = fixture_layer("dir-img-cosign-key-rekor-valid");
    let wrong_key = ImagePolicy::new(Policy::key(vector_key("cosign.pub")));
    let (category, text) = rejection(verify(
        &lookup(&digest, legacy(vec![layer.clone()])),
        &wrong_key,
    ));
    assert_eq!(category, RejectionCategory::Signature);
    insta::assert_snapshot!("wrong_key", text);

    let mut rekor: Value = serde_json::from_str(layer.rekor_bundle.as_deref().unwrap()).unwrap();
    rekor["Payload"]["logIndex"] = json!(11_608_801);
    let mut tampered = layer;
    tampered.rekor_bundle = Some(rekor.to_string());
    let policy = ImagePolicy::new(Policy::key(vector_key("cosign2.pub")));
    let (category, text) = rejection(verify(&lookup(&digest, legacy(vec![tampered])), &policy));
    assert_eq!(category, RejectionCategory::LogProofInvalid);
    insta::assert_snapshot!("tampered_set", text);
}

#[test]
fn a_cosign_keyless_signature_verifies_for_its_identity_only() {
    let fixture = "dir-img-cosign-fulcio-rekor-valid";
    let lookup = lookup(
        &fixture_digest(fixture),
        legacy(vec![fixture_layer(fixture)]),
    );
    let who = |identity: &str| {
        ImagePolicy::new(Policy::identity(
            Matcher::exact(identity),
            Matcher::exact("https://github.com/login/oauth"),
        ))
    };
    let verified = verify(&lookup, &who("mitr@redhat.com")).unwrap();
    let bundle = verified.verified()[0].bundle();
    assert_eq!(bundle.identity(), Some("mitr@redhat.com"));
    assert_eq!(bundle.log_index(), Some(11_605_770));
    let (category, text) = rejection(verify(&lookup, &who("someone@redhat.com")));
    assert_eq!(category, RejectionCategory::Identity);
    assert!(text.contains("mitr@redhat.com"), "{text}");
    // A key policy for a certificate-signed layer.
    let (category, _) = rejection(verify(
        &lookup,
        &ImagePolicy::new(Policy::key(vector_key("cosign.pub"))),
    ));
    assert_eq!(category, RejectionCategory::SignerMismatch);
}

#[test]
fn a_signature_without_rekor_bundle_needs_insecure_ignore_tlog() {
    let fixture = "dir-img-cosign-valid";
    let lookup = lookup(
        &fixture_digest(fixture),
        legacy(vec![fixture_layer(fixture)]),
    );
    let strict = ImagePolicy::new(Policy::key(vector_key("cosign.pub")));
    let (category, text) = rejection(verify(&lookup, &strict));
    assert_eq!(category, RejectionCategory::LogEntryMissing);
    insta::assert_snapshot!("no_rekor_bundle", text);
    let lax = ImagePolicy::new(Policy::key(vector_key("cosign.pub")).insecure_ignore_tlog());
    let verified = verify(&lookup, &lax).unwrap();
    assert!(!verified.verified()[0].bundle().tlog_verified());
    let other = ImagePolicy::new(Policy::key(vector_key("cosign2.pub")).insecure_ignore_tlog());
    assert_eq!(
        rejection(verify(&lookup, &other)).0,
        RejectionCategory::Signature
    );
}

#[test]
fn a_signature_copied_from_another_image_is_a_payload_mismatch() {
    let fixture = "dir-img-cosign-manifest-digest-error";
    let lookup = lookup(
        &fixture_digest(fixture),
        legacy(vec![fixture_layer(fixture)]),
    );
    let lax = ImagePolicy::new(Policy::key(vector_key("cosign.pub")).insecure_ignore_tlog());
    let (category, text) = rejection(verify(&lookup, &lax));
    assert_eq!(category, RejectionCategory::PayloadMismatch);
    insta::assert_snapshot!("payload_mismatch", text);
}

#[test]
fn one_valid_signature_among_invalid_ones_verifies_and_the_others_are_reported() {
    let fixture = "dir-img-cosign-mixed";
    let lookup = lookup(
        &fixture_digest(fixture),
        legacy(vec![
            fixture_layer("dir-img-cosign-mixed/signature-1"),
            fixture_layer("dir-img-cosign-mixed/signature-2"),
        ]),
    );
    let lax = ImagePolicy::new(Policy::key(vector_key("cosign.pub")).insecure_ignore_tlog());
    let verified = verify(&lookup, &lax).unwrap();
    assert_eq!(verified.verified().len(), 1);
    assert_eq!(
        verified.verified()[0].manifest_digest(),
        &manifest_digest(1)
    );
    let [rejection] = verified.rejected() else {
        panic!("{:?}", verified.rejected())
    };
    assert_eq!(rejection.manifest_digest(), &manifest_digest(0));
    assert_eq!(rejection.category(), RejectionCategory::Signature);
    assert_eq!(rejection.kind(), SignatureKind::SimpleSigning);
    assert_eq!(rejection.source(), Source::LegacyTag);
}

#[test]
fn docker_reference_is_checked_only_when_asked_and_ignores_the_tag() {
    let fixture = "dir-img-cosign-valid-with-tag";
    let lookup = lookup(
        &fixture_digest(fixture),
        legacy(vec![fixture_layer(fixture)]),
    );
    let lax = || ImagePolicy::new(Policy::key(vector_key("cosign.pub")).insecure_ignore_tlog());
    let verified = verify(&lookup, &lax()).unwrap();
    assert_eq!(
        verified.verified()[0].docker_reference(),
        Some("192.168.64.2:5000/skopeo-signed:tag")
    );
    let same = lax().check_identity(Repository::parse("192.168.64.2:5000/skopeo-signed").unwrap());
    assert!(verify(&lookup, &same).is_ok());
    let other = lax().check_identity(Repository::parse("192.168.64.2:5000/other").unwrap());
    let (category, text) = rejection(verify(&lookup, &other));
    assert_eq!(category, RejectionCategory::DockerReference);
    insta::assert_snapshot!("docker_reference", text);
}

#[test]
fn annotations_are_compared_as_strings_like_cosign() {
    let fixture = "dir-img-cosign-valid-with-tag";
    let lookup = lookup(
        &fixture_digest(fixture),
        legacy(vec![fixture_layer(fixture)]),
    );
    let lax = |annotations: &[(&str, &str)]| {
        ImagePolicy::new(Policy::key(vector_key("cosign.pub")).insecure_ignore_tlog())
            .with_annotations(
                annotations
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            )
    };
    let verified = verify(&lookup, &lax(&[("creator", "containers/image 5.21.2-dev")])).unwrap();
    assert_eq!(
        verified.verified()[0].annotations()["timestamp"],
        json!(1_657_296_609)
    );
    // The signed value is a JSON number: cosign's `!=` on interface{} never matches a string.
    let (category, text) = rejection(verify(&lookup, &lax(&[("timestamp", "1657296609")])));
    assert_eq!(category, RejectionCategory::Annotations);
    insta::assert_snapshot!("annotation_not_a_string", text);
}

// ---------------------------------------------------------------------------------------------
// Simple-signing signatures made here

#[test]
fn annotations_must_be_on_the_signature_that_verifies() {
    let digest = image_digest();
    let trusted = test_key("trusted");
    let stranger = test_key("stranger");
    let lookup = lookup(
        &digest,
        legacy(vec![
            signed_layer(
                &trusted,
                payload(
                    &digest.to_string(),
                    "registry.example/team/app",
                    &json!({"env": "staging"}),
                ),
            ),
            signed_layer(
                &stranger,
                payload(
                    &digest.to_string(),
                    "registry.example/team/app",
                    &json!({"env": "prod"}),
                ),
            ),
        ]),
    );
    let policy = lax(&trusted).with_annotations(vec![("env".into(), "prod".into())]);
    let rejected = rejected(verify(&lookup, &policy));
    let categories: Vec<_> = rejected.iter().map(|r| r.category()).collect();
    assert_eq!(
        categories,
        [RejectionCategory::Annotations, RejectionCategory::Signature]
    );
    insta::assert_snapshot!("annotations_on_another_signature", rejected[0].to_string());
    // Each policy accepts exactly the signature that satisfies it entirely.
    let staging = lax(&trusted).with_annotations(vec![("env".into(), "staging".into())]);
    let verified = verify(&lookup, &staging).unwrap();
    assert_eq!(verified.verified().len(), 1);
    assert_eq!(verified.verified()[0].annotations()["env"], "staging");
    assert_eq!(verified.rejected().len(), 1);
}

#[test]
fn docker_hub_references_are_normalised() {
    let digest = image_digest();
    let key = test_key("hub");
    let lookup = lookup(
        &digest,
        legacy(vec![signed_layer(
            &key,
            payload(
                &digest.to_string(),
                "index.docker.io/library/alpine",
                &Value::Null,
            ),
        )]),
    );
    for same in [
        "alpine",
        "docker.io/library/alpine",
        "index.docker.io/library/alpine",
    ] {
        let policy = lax(&key).check_identity(Repository::parse(same).unwrap());
        assert!(verify(&lookup, &policy).is_ok(), "{same}");
    }
    let policy = lax(&key).check_identity(Repository::parse("busybox").unwrap());
    assert_eq!(
        rejection(verify(&lookup, &policy)).0,
        RejectionCategory::DockerReference
    );
}

#[test]
fn payload_keys_ignore_case_as_go_reads_them() {
    let digest = image_digest();
    let key = test_key("go");
    let payload = format!(
        r#"{{"Critical":{{"Identity":{{"Docker-reference":"registry.example/team/app"}},"Image":{{"Docker-manifest-digest":"{digest}"}},"Type":"{SIMPLE_SIGNING_TYPE}"}},"Optional":{{"Env":"prod"}}}}"#
    );
    let lookup = lookup(
        &digest,
        legacy(vec![signed_layer(&key, payload.into_bytes())]),
    );
    let policy = lax(&key)
        .with_annotations(vec![("Env".into(), "prod".into())])
        .check_identity(Repository::parse("registry.example/team/app").unwrap());
    let verified = verify(&lookup, &policy).unwrap();
    assert_eq!(
        verified.verified()[0].docker_reference(),
        Some("registry.example/team/app")
    );
    // `optional` is a map in Go: its keys are exact.
    let policy = lax(&key).with_annotations(vec![("env".into(), "prod".into())]);
    assert_eq!(
        rejection(verify(&lookup, &policy)).0,
        RejectionCategory::Annotations
    );
}

#[test]
fn unreadable_layers_are_malformed_and_never_panic() {
    let digest = image_digest();
    let key = test_key("malformed");
    let good = signed_layer(
        &key,
        payload(&digest.to_string(), "r.example/a", &Value::Null),
    );
    let mut no_signature = good.clone();
    no_signature.signature = String::new();
    let mut bad_rekor = good.clone();
    bad_rekor.rekor_bundle = Some("{not json".into());
    let not_json = signed_layer(&key, b"not json".to_vec());
    let no_digest = signed_layer(&key, br#"{"critical":{"image":{}}}"#.to_vec());
    let malformed = lookup(
        &digest,
        legacy(vec![no_signature, bad_rekor, not_json, no_digest]),
    );
    let mut report = String::new();
    for rejection in &rejected(verify(&malformed, &lax(&key))) {
        assert_eq!(
            rejection.category(),
            RejectionCategory::Malformed,
            "{rejection}"
        );
        writeln!(report, "{rejection}").unwrap();
    }
    insta::assert_snapshot!("malformed_layers", report);

    // Bit flips anywhere in payload or signature: a rejection, never a panic or a pass.
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut layers = Vec::new();
    for _ in 0..40 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut layer = good.clone();
        if state.is_multiple_of(2) {
            let at = usize::try_from((state >> 8) % layer.payload.len() as u64).unwrap();
            layer.payload[at] ^= 1 << ((state >> 4) % 8);
        } else {
            let mut bytes = layer.signature.into_bytes();
            let at = usize::try_from((state >> 8) % bytes.len() as u64).unwrap();
            bytes[at] ^= 1 << ((state >> 4) % 7);
            layer.signature = String::from_utf8_lossy(&bytes).into_owned();
        }
        layers.push(layer);
    }
    let lookup = lookup(&digest, legacy(layers));
    assert_eq!(rejected(verify(&lookup, &lax(&key))).len(), 40);
}

// ---------------------------------------------------------------------------------------------
// Sigstore bundles (cosign v3)

#[test]
fn a_key_signed_v03_bundle_needs_insecure_ignore_tlog_without_a_log_entry() {
    let digest = image_digest();
    let key = test_key("bundle");
    let statement = statement(
        &[("sha256", digest.hex(), Some(json!({"env": "prod"})))],
        COSIGN_SIGN_PREDICATE_TYPE,
    );
    let lookup = lookup(&digest, referrers(vec![dsse_bundle(&key, &statement)]));
    let strict = ImagePolicy::new(Policy::key(public(&key)));
    assert_eq!(
        rejection(verify(&lookup, &strict)).0,
        RejectionCategory::LogEntryMissing
    );
    let policy = lax(&key).with_annotations(vec![("env".into(), "prod".into())]);
    let verified = verify(&lookup, &policy).unwrap();
    let [signature] = verified.verified() else {
        panic!("{:?}", verified.verified())
    };
    assert_eq!(signature.kind(), SignatureKind::Bundle);
    assert_eq!(signature.source(), Source::Referrers);
    assert_eq!(signature.signature_type(), Some(COSIGN_SIGN_PREDICATE_TYPE));
    assert_eq!(signature.docker_reference(), None);
    assert_eq!(signature.annotations()["env"], "prod");
    assert_eq!(
        signature.bundle().key_fingerprint(),
        Some(public(&key).fingerprint())
    );
    // Bundles name no repository: the identity check does not apply to them.
    let identity = lax(&key).check_identity(Repository::parse("elsewhere.example/x").unwrap());
    assert!(verify(&lookup, &identity).is_ok());
    // Annotations come from the subject, and must match.
    let policy = lax(&key).with_annotations(vec![("env".into(), "staging".into())]);
    let (category, text) = rejection(verify(&lookup, &policy));
    assert_eq!(category, RejectionCategory::Annotations);
    insta::assert_snapshot!("bundle_annotations", text);
    // Another key.
    assert_eq!(
        rejection(verify(&lookup, &lax(&test_key("other")))).0,
        RejectionCategory::Signature
    );
}

#[test]
fn a_bundle_for_another_digest_is_a_payload_mismatch() {
    let digest = image_digest();
    let other = OciDigest::sha256_of(b"another image");
    let key = test_key("bundle");
    let statement = statement(&[("sha256", other.hex(), None)], COSIGN_SIGN_PREDICATE_TYPE);
    let lookup = lookup(&digest, referrers(vec![dsse_bundle(&key, &statement)]));
    let (category, text) = rejection(verify(&lookup, &lax(&key)));
    assert_eq!(category, RejectionCategory::PayloadMismatch);
    insta::assert_snapshot!("bundle_payload_mismatch", text);
    // Signed by someone else: the mismatch is not even looked at.
    assert_eq!(
        rejection(verify(&lookup, &lax(&test_key("other")))).0,
        RejectionCategory::Signature
    );
}

#[test]
fn an_attestation_by_the_same_signer_is_not_an_image_signature() {
    let digest = image_digest();
    let key = test_key("bundle");
    let statement = statement(&[("sha256", digest.hex(), None)], SLSA);
    let slsa = lookup(&digest, referrers(vec![dsse_bundle(&key, &statement)]));
    let (category, text) = rejection(verify(&slsa, &lax(&key)));
    assert_eq!(category, RejectionCategory::NotImageSignature);
    insta::assert_snapshot!("slsa_attestation", text);

    // A real keyless SLSA provenance attestation (sigstore-conformance), as a referrer of an
    // "image" whose digest is its subject's.
    let a_txt = OciDigest::sha256_of(&conformance("a.txt"));
    let real = lookup(
        &a_txt,
        referrers(vec![conformance(
            "bundle-verify/happy-path-intoto-in-dsse-v3/bundle.sigstore.json",
        )]),
    );
    let beacon = ImagePolicy::new(Policy::identity(
        Matcher::exact(BEACON),
        Matcher::exact(GITHUB),
    ));
    assert_eq!(
        rejection(verify(&real, &beacon)).0,
        RejectionCategory::NotImageSignature
    );
}

#[test]
fn only_dsse_bundles_v03_or_later_are_image_signatures() {
    let digest = image_digest();
    let key = test_key("bundle");
    let statement = statement(
        &[("sha256", digest.hex(), None)],
        COSIGN_SIGN_PREDICATE_TYPE,
    );
    let a_txt = OciDigest::sha256_of(&conformance("a.txt"));
    let cases: Vec<(&str, OciDigest, Vec<u8>)> = vec![
        (
            "v0.2 media type",
            digest.clone(),
            dsse_bundle_as(
                "application/vnd.dev.sigstore.bundle+json;version=0.2",
                &key,
                &statement,
            ),
        ),
        (
            "v0.1 keyless",
            a_txt.clone(),
            conformance("bundle-verify/happy-path-v0.1/bundle.sigstore.json"),
        ),
        (
            "v0.3 message signature",
            a_txt,
            conformance("bundle-verify/happy-path-v0.3/bundle.sigstore.json"),
        ),
        (
            "legacy blob bundle",
            digest.clone(),
            br#"{"base64Signature":"MEUCIQ=="}"#.to_vec(),
        ),
        ("garbage", digest.clone(), b"\x00\xffnot a bundle".to_vec()),
        ("empty", digest.clone(), Vec::new()),
        ("JSON, not a bundle", digest, b"{}".to_vec()),
    ];
    let beacon = Policy::identity(Matcher::exact(BEACON), Matcher::exact(GITHUB));
    let mut report = String::new();
    for (name, digest, json) in cases {
        let policy = if name.contains("keyless") || name.contains("message") {
            ImagePolicy::new(beacon.clone())
        } else {
            lax(&key)
        };
        let (category, text) = rejection(verify(&lookup(&digest, referrers(vec![json])), &policy));
        assert_eq!(category, RejectionCategory::Malformed, "{name}: {text}");
        writeln!(report, "{name}: {text}").unwrap();
    }
    insta::assert_snapshot!("not_image_signature_bundles", report);
}

#[test]
fn mutated_bundles_never_panic_and_never_pass_for_another_signer() {
    let digest = image_digest();
    let key = test_key("bundle");
    let statement = statement(
        &[("sha256", digest.hex(), None)],
        COSIGN_SIGN_PREDICATE_TYPE,
    );
    let original = dsse_bundle(&key, &statement);
    let mut state = 0x853c_49e6_748f_ea9b_u64;
    let mut bundles = Vec::new();
    for _ in 0..60 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let mut bytes = original.clone();
        let at = usize::try_from(state % bytes.len() as u64).unwrap();
        bytes[at] ^= 1 << (state % 8);
        bundles.push(bytes);
    }
    let lookup = lookup(&digest, referrers(bundles));
    match verify(&lookup, &lax(&test_key("other"))) {
        Err(ImageVerifyError::NoneValid { rejected, .. }) => assert_eq!(rejected.len(), 60),
        other => panic!("{other:?}"),
    }
    // With the right key, whatever still verifies is the same statement for this image.
    if let Ok(verified) = verify(&lookup, &lax(&key)) {
        for signature in verified.verified() {
            assert_eq!(signature.signature_type(), Some(COSIGN_SIGN_PREDICATE_TYPE));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// No signatures

#[test]
fn no_signatures_says_where_they_may_be() {
    let digest = image_digest();
    let key = test_key("none");
    let mut index = lookup(&digest, Vec::new());
    index.media_type = "application/vnd.oci.image.index.v1+json".into();
    index.children = vec![
        (OciDigest::sha256_of(b"amd64"), "linux/amd64".into()),
        (OciDigest::sha256_of(b"arm64"), "linux/arm64/v8".into()),
    ];
    index.sources = vec![
        (Source::Referrers, SourceStatus::Unsupported),
        (Source::ReferrersTagSchema, SourceStatus::Absent),
        (Source::LegacyTag, SourceStatus::Absent),
    ];
    index.skipped = vec!["an SBOM referrer (application/spdx+json): not a signature".into()];
    let mut child = lookup(&OciDigest::sha256_of(b"amd64"), Vec::new());
    child.index_digest = Some(digest.clone());
    let plain = lookup(&digest, Vec::new());
    let mut report = String::new();
    for (name, lookup) in [
        ("index", &index),
        ("platform child", &child),
        ("image", &plain),
    ] {
        let err = verify(lookup, &lax(&key)).unwrap_err();
        let ImageVerifyError::NoSignatures {
            sources,
            skipped,
            hint,
            ..
        } = &err
        else {
            panic!("{err}")
        };
        assert_eq!(sources, &lookup.sources);
        assert_eq!(skipped, &lookup.skipped);
        writeln!(report, "{name}: {err}\n  hint: {hint:?}").unwrap();
    }
    insta::assert_snapshot!("no_signatures", report);
}

#[test]
fn none_valid_counts_the_signatures() {
    let digest = image_digest();
    let key = test_key("count");
    let lookup = lookup(
        &digest,
        legacy(vec![
            signed_layer(&key, payload("sha256:00", "r.example/a", &Value::Null)),
            signed_layer(&key, payload("sha256:01", "r.example/a", &Value::Null)),
        ]),
    );
    let err = verify(&lookup, &lax(&key)).unwrap_err();
    insta::assert_snapshot!("none_valid", err.to_string());
}

// ---------------------------------------------------------------------------------------------
// Signatures over vouch's limits, and ambiguous JSON

fn unchecked(kind: SignatureKind, reason: &str) -> SignatureCandidate {
    SignatureCandidate::new(
        Source::LegacyTag,
        manifest_digest(900),
        CandidateContent::Unchecked {
            kind,
            reason: reason.to_owned(),
        },
    )
}

#[test]
fn a_signature_that_could_not_be_checked_is_its_own_outcome_never_unsigned() {
    let digest = image_digest();
    let key = test_key("unchecked");
    let too_large = "layer 0: payload declared 100000000 bytes, over the limit";
    // Alone: not "no signatures", not "none valid".
    let alone = lookup(
        &digest,
        vec![unchecked(SignatureKind::SimpleSigning, too_large)],
    );
    let err = verify(&alone, &lax(&key)).unwrap_err();
    let ImageVerifyError::Unchecked { rejected, .. } = &err else {
        panic!("{err:?}");
    };
    assert_eq!(rejected[0].category(), RejectionCategory::Unchecked);
    assert_eq!(rejected[0].category().as_str(), "unchecked");
    assert_eq!(rejected[0].kind(), SignatureKind::SimpleSigning);
    assert_eq!(rejected[0].reason(), too_large);
    // With an invalid one: still unchecked, since the other might have been valid.
    let with_invalid = lookup(
        &digest,
        vec![
            unchecked(SignatureKind::Bundle, too_large),
            legacy(vec![signed_layer(
                &key,
                payload("sha256:00", "r.example/a", &Value::Null),
            )])
            .remove(0),
        ],
    );
    let err2 = verify(&with_invalid, &lax(&key)).unwrap_err();
    assert!(
        matches!(err2, ImageVerifyError::Unchecked { .. }),
        "{err2:?}"
    );
    insta::assert_snapshot!(
        "unchecked",
        format!("{err}\n{err2}").replace(&digest.to_string(), "sha256:<image>")
    );
    // With a valid one: verified, the other reported.
    let with_valid = lookup(
        &digest,
        vec![
            unchecked(SignatureKind::Bundle, too_large),
            legacy(vec![signed_layer(
                &key,
                payload(&digest.to_string(), "r.example/a", &Value::Null),
            )])
            .remove(0),
        ],
    );
    let verified = verify(&with_valid, &lax(&key)).unwrap();
    assert_eq!(verified.verified().len(), 1);
    assert_eq!(
        verified.rejected()[0].category(),
        RejectionCategory::Unchecked
    );
}

#[test]
fn duplicate_keys_in_a_bundle_or_its_annotations_are_malformed() {
    let digest = image_digest();
    let key = test_key("duplicates");
    let statement = statement(
        &[("sha256", digest.hex(), None)],
        COSIGN_SIGN_PREDICATE_TYPE,
    );
    let good = String::from_utf8(dsse_bundle(&key, &statement)).unwrap();
    assert!(
        verify(
            &lookup(&digest, referrers(vec![good.clone().into_bytes()])),
            &lax(&key)
        )
        .is_ok()
    );
    let twice = good.replacen(
        r#""tlogEntries":[]"#,
        r#""tlogEntries":[],"tlogEntries":[]"#,
        1,
    );
    let (category, text) = rejection(verify(
        &lookup(&digest, referrers(vec![twice.into_bytes()])),
        &lax(&key),
    ));
    assert_eq!(category, RejectionCategory::Malformed);
    assert!(text.contains("`tlogEntries`"), "{text}");
    // A legacy layer's Rekor bundle annotation is read as strictly.
    let mut layer = signed_layer(
        &key,
        payload(&digest.to_string(), "r.example/a", &Value::Null),
    );
    layer.rekor_bundle = Some(
        r#"{"SignedEntryTimestamp":"c2V0","SignedEntryTimestamp":"c2V0","Payload":{}}"#.to_owned(),
    );
    let (category, text) = rejection(verify(&lookup(&digest, legacy(vec![layer])), &lax(&key)));
    assert_eq!(category, RejectionCategory::Malformed);
    assert!(text.contains("`SignedEntryTimestamp`"), "{text}");
}
