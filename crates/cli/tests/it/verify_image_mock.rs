//! `vouch verify` against wiremock registries (mock_registry.rs): what distribution lacks (a
//! referrers API), what a broken or hostile registry does, the cosign-made fixtures of
//! containers/image served through a registry, the request budget, and multi-arch images.
//!
//! Exit codes of `vouch verify`: 0 verified, 10 no signatures, 11 image not found, 12
//! signatures found and none valid, 13 lookup failed (the registry could not be asked or its
//! answers not trusted). A registry that misbehaves must give 13, never 0 or 10.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};
use tempfile::TempDir;
use vouch_oci::OciDigest;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::mock_registry::{
    COSIGN_SIGN, ConnectionTrap, EndlessBody, MockRegistry, OCI_INDEX, OCI_MANIFEST, Run,
    SIGNATURE_ANNOTATION, SIMPLE_SIGNING, SignatureLayer, TestKey, b64, found,
    image_manifest_bytes, signature_manifest_bytes, statement, vouch,
};

pub(crate) const REPO: &str = "test/app";
const DOCKER_REFERENCE: &str = "registry.example/test/app";

// --- Helpers ----------------------------------------------------------------------------------

/// A registry with `test/app:v1` signed by `key` in the legacy `.sig` tag (no referrers API).
pub(crate) fn signed_image(key: &TestKey) -> (MockRegistry, OciDigest) {
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    registry.legacy_signatures(
        REPO,
        &digest,
        &[key.simple_signing_layer(DOCKER_REFERENCE, &digest)],
    );
    (registry, digest)
}

/// `vouch verify --key KEY --insecure-ignore-tlog IMAGE`.
fn verify_with_key(key: &Path, image: &str, more: &[&str]) -> Run {
    let mut args = vec!["--key", path_str(key), "--insecure-ignore-tlog"];
    args.extend_from_slice(more);
    args.push(image);
    vouch(&args, &[])
}

fn path_str(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A failed lookup: exit 11, never 0 or 10, with `cause` in the JSON `error` and on stderr.
fn assert_lookup_failed(run: &Run, cause: &str) {
    assert_eq!(run.code, 13, "{}", run.show());
    assert_eq!(run.report["exit_code"], 13, "{}", run.show());
    assert_eq!(run.image()["verified"], false, "{}", run.show());
    assert!(
        run.error().contains(cause),
        "expected {cause:?} in the error: {}",
        run.show()
    );
    assert!(run.stderr.contains(cause), "{}", run.show());
}

fn assert_verified(run: &Run) {
    assert_eq!(run.code, 0, "{}", run.show());
    assert_eq!(run.image()["verified"], true, "{}", run.show());
    assert!(run.image()["error"].is_null(), "{}", run.show());
}

/// Not verified (exit 1), every rejection of `category`.
fn assert_rejected(run: &Run, category: &str) {
    assert_eq!(run.code, 12, "{}", run.show());
    let categories = run.rejected_categories();
    assert!(
        !categories.is_empty() && categories.iter().all(|c| c == category),
        "expected every rejection to be {category}: {}",
        run.show()
    );
}

// --- 1. The cosign-made fixtures of containers/image, served through a registry -------------

fn fixtures() -> PathBuf {
    vouch_testdata::interop("containers-image-cosign")
}

/// A fixture's signature layer: `payload.json` (the exact blob), `annotations.json` (the layer
/// annotations) and, if present, `mimeType` (the layer media type).
fn fixture_layer(dir: &Path) -> SignatureLayer {
    let payload = std::fs::read(dir.join("payload.json")).unwrap();
    let annotations: BTreeMap<String, Value> =
        serde_json::from_slice(&std::fs::read(dir.join("annotations.json")).unwrap()).unwrap();
    let annotations = annotations
        .into_iter()
        .map(|(k, v)| (k, v.as_str().unwrap().to_owned()))
        .collect();
    let media_type = std::fs::read_to_string(dir.join("mimeType"))
        .map_or_else(|_| SIMPLE_SIGNING.to_owned(), |m| m.trim().to_owned());
    SignatureLayer {
        payload,
        annotations,
        media_type,
    }
}

/// Serves `manifest.json` of fixture `image` as `REPO:v1` (its own media type), and `layers`
/// in its legacy `.sig` manifest. Returns the registry and the image digest.
fn serve_fixture(image: &str, layers: &[SignatureLayer]) -> (MockRegistry, OciDigest) {
    let registry = MockRegistry::start();
    let body = std::fs::read(fixtures().join(image).join("manifest.json")).unwrap();
    let manifest: Value = serde_json::from_slice(&body).unwrap();
    // Registries serve Docker schema 1 under its own media type.
    let schema_1 = manifest["schemaVersion"] == 1;
    let media_type = manifest["mediaType"].as_str().unwrap_or(if schema_1 {
        "application/vnd.docker.distribution.manifest.v1+prettyjws"
    } else {
        OCI_MANIFEST
    });
    let digest = registry.manifest(REPO, &["v1"], media_type, &body);
    registry.legacy_signatures(REPO, &digest, layers);
    (registry, digest)
}

fn fixture_key(name: &str) -> PathBuf {
    fixtures().join(name)
}

#[test]
fn cosign_fixture_valid_accepted_with_its_key_only() {
    let layer = fixture_layer(&fixtures().join("dir-img-cosign-valid"));
    let (registry, digest) = serve_fixture("dir-img-cosign-valid", &[layer]);
    assert_eq!(
        digest.to_string(),
        "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00"
    );
    let image = registry.image(&format!("{REPO}:v1"));
    let run = verify_with_key(&fixture_key("cosign.pub"), &image, &[]);
    assert_verified(&run);
    let entry = run.image();
    assert_eq!(entry["digest"], digest.to_string());
    let signature = &entry["signatures"][0];
    assert_eq!(signature["source"], "legacy-tag", "{}", run.show());
    assert_eq!(signature["kind"], "simple-signing");
    assert_eq!(signature["tlog_verified"], false);
    assert_eq!(
        signature["docker_reference"],
        "192.168.64.2:5000/cosign-signed-single-sample"
    );
    // Another key: the signature does not verify.
    let run = verify_with_key(&fixture_key("cosign2.pub"), &image, &[]);
    assert_rejected(&run, "signature");
    // No Rekor bundle annotation: without --insecure-ignore-tlog, refused as cosign does.
    let run = vouch(
        &["--key", path_str(&fixture_key("cosign.pub")), &image],
        &[],
    );
    assert_rejected(&run, "log-entry-missing");
}

#[test]
fn cosign_fixture_valid_2_both_signatures_verify() {
    let dir = fixtures().join("dir-img-cosign-valid-2");
    let layers = [
        fixture_layer(&dir.join("signature-1")),
        fixture_layer(&dir.join("signature-2")),
    ];
    let (registry, _) = serve_fixture("dir-img-cosign-valid-2", &layers);
    let run = verify_with_key(
        &fixture_key("cosign.pub"),
        &registry.image(&format!("{REPO}:v1")),
        &[],
    );
    assert_verified(&run);
    assert_eq!(
        run.image()["signatures"].as_array().unwrap().len(),
        2,
        "{}",
        run.show()
    );
    assert_eq!(run.image()["rejected"], json!([]), "{}", run.show());
}

#[test]
fn cosign_fixture_valid_with_tag_made_by_skopeo_is_accepted() {
    let layer = fixture_layer(&fixtures().join("dir-img-cosign-valid-with-tag"));
    let (registry, _) = serve_fixture("dir-img-cosign-valid-with-tag", &[layer]);
    let run = verify_with_key(
        &fixture_key("cosign.pub"),
        &registry.image(&format!("{REPO}:v1")),
        &[],
    );
    assert_verified(&run);
    let signature = &run.image()["signatures"][0];
    assert_eq!(
        signature["docker_reference"],
        "192.168.64.2:5000/skopeo-signed:tag"
    );
    assert_eq!(
        signature["annotations"]["creator"],
        "containers/image 5.21.2-dev"
    );
}

/// A trusted root holding only `rekor_pem` as a Rekor v1 log key (what cosign's offline
/// `SIGSTORE_REKOR_PUBLIC_KEY` gives).
fn rekor_only_root(dir: &Path, rekor_pem: &Path, name: &str) -> PathBuf {
    let key = vouch_keys::PublicKey::from_bytes(&std::fs::read(rekor_pem).unwrap()).unwrap();
    let root = json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [{
            "baseUrl": "https://rekor.sigstore.dev",
            "hashAlgorithm": "SHA2_256",
            "publicKey": {
                "rawBytes": b64(key.spki_der()),
                "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                "validFor": { "start": "2021-01-12T11:53:27Z" }
            },
            "logId": { "keyId": b64(key.fingerprint().as_bytes()) }
        }],
        "certificateAuthorities": [], "ctlogs": [], "timestampAuthorities": []
    });
    let path = dir.join(name);
    std::fs::write(&path, root.to_string()).unwrap();
    path
}

#[test]
fn cosign_fixture_key_rekor_verifies_its_set_without_insecure_flags() {
    let fixture = fixtures().join("dir-img-cosign-key-rekor-valid");
    let layer = fixture_layer(&fixture);
    let (registry, _) = serve_fixture(
        "dir-img-cosign-key-rekor-valid",
        std::slice::from_ref(&layer),
    );
    let image = registry.image(&format!("{REPO}:v1"));
    let tmp = TempDir::new().unwrap();
    let root = rekor_only_root(tmp.path(), &fixture_key("rekor.pub"), "rekor.json");
    let key = fixture_key("cosign2.pub");
    let verify = |key: &Path, root: &Path, image: &str| {
        vouch(
            &[
                "--key",
                path_str(key),
                "--trusted-root",
                path_str(root),
                image,
            ],
            &[],
        )
    };
    let run = verify(&key, &root, &image);
    assert_verified(&run);
    assert!(!run.stderr.contains("warning:"), "{}", run.show());
    let signature = &run.image()["signatures"][0];
    assert_eq!(signature["tlog_verified"], true, "{}", run.show());
    assert_eq!(signature["log_index"], 11_608_800, "{}", run.show());
    assert_eq!(
        signature["integrated_time"],
        1_674_251_859,
        "{}",
        run.show()
    );
    assert_eq!(signature["timestamp_sources"], json!(["tlog"]));

    // Another Rekor key in the trusted root: the SET does not verify.
    let other_root = rekor_only_root(tmp.path(), &fixture_key("cosign.pub"), "other.json");
    assert_rejected(&verify(&key, &other_root, &image), "log-proof-invalid");

    // The SET's log index changed in the annotation: the SET no longer verifies.
    let mut tampered = layer;
    let bundle = tampered
        .annotations
        .get_mut("dev.sigstore.cosign/bundle")
        .unwrap();
    let mut rekor: Value = serde_json::from_str(bundle).unwrap();
    rekor["Payload"]["logIndex"] = json!(11_608_801);
    *bundle = rekor.to_string();
    let (registry, _) = serve_fixture("dir-img-cosign-key-rekor-valid", &[tampered]);
    let run = verify(&key, &root, &registry.image(&format!("{REPO}:v1")));
    assert_rejected(&run, "log-proof-invalid");

    // The SET itself flipped.
    let mut tampered = fixture_layer(&fixture);
    let bundle = tampered
        .annotations
        .get_mut("dev.sigstore.cosign/bundle")
        .unwrap();
    let mut rekor: Value = serde_json::from_str(bundle).unwrap();
    let set = rekor["SignedEntryTimestamp"].as_str().unwrap().to_owned();
    let flipped = if set.starts_with("MEU") {
        set.replacen("MEU", "MEQ", 1)
    } else {
        set.replacen('M', "N", 1)
    };
    rekor["SignedEntryTimestamp"] = json!(flipped);
    *bundle = rekor.to_string();
    let (registry, _) = serve_fixture("dir-img-cosign-key-rekor-valid", &[tampered]);
    let run = verify(&key, &root, &registry.image(&format!("{REPO}:v1")));
    assert_eq!(run.code, 12, "{}", run.show());

    // The other key: not this signer.
    assert_rejected(
        &verify(&fixture_key("cosign.pub"), &root, &image),
        "signature",
    );
}

#[test]
fn cosign_fixture_manifest_digest_error_is_a_schema_1_manifest() {
    // The fixture's `manifest.json` is a Docker schema 1 manifest, which vouch does not read
    // (nor does any current registry serve it by default): the lookup fails on it. Its
    // signature, which names sha256:634a…, is rejected when attached to another image (below,
    // and `cosign_fixture_modified_manifest_is_a_payload_mismatch`).
    let dir = fixtures().join("dir-img-cosign-manifest-digest-error");
    let layer = fixture_layer(&dir);
    let (registry, digest) = serve_fixture(
        "dir-img-cosign-manifest-digest-error",
        std::slice::from_ref(&layer),
    );
    assert_eq!(
        digest.to_string(),
        "sha256:dc6d2c1a204b02b1ed4d0a9b29f075d24317a37da08041f89a88a2ebffbe46d8"
    );
    let run = verify_with_key(
        &fixture_key("cosign.pub"),
        &registry.image(&format!("{REPO}:v1")),
        &[],
    );
    assert_lookup_failed(
        &run,
        "is a Docker schema 1 manifest, which cannot be signed or verified",
    );
    assert!(
        run.stderr
            .contains("hint: Docker schema 1 manifests cannot be signed or verified"),
        "{}",
        run.show()
    );

    // The same signature on the `.sig` tag of an image it does not name.
    let registry = MockRegistry::start();
    let (_, other) = registry.image_manifest(REPO, "v1", "another image");
    registry.legacy_signatures(REPO, &other, &[layer]);
    let run = verify_with_key(
        &fixture_key("cosign.pub"),
        &registry.image(&format!("{REPO}:v1")),
        &[],
    );
    assert_rejected(&run, "payload-mismatch");
}

#[test]
fn cosign_fixture_modified_manifest_is_a_payload_mismatch() {
    let layer = fixture_layer(&fixtures().join("dir-img-cosign-modified-manifest"));
    let (registry, digest) = serve_fixture("dir-img-cosign-modified-manifest", &[layer]);
    let run = verify_with_key(
        &fixture_key("cosign.pub"),
        &registry.image(&format!("{REPO}:v1")),
        &[],
    );
    assert_rejected(&run, "payload-mismatch");
    let reason = run.image()["rejected"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("sha256:634a8f35") && reason.contains(&digest.to_string()),
        "{}",
        run.show()
    );
}

#[test]
fn cosign_fixture_without_manifest_is_image_not_found() {
    // The signature exists (on the `.sig` tag of the digest it names) but the image does not.
    let layer = fixture_layer(&fixtures().join("dir-img-cosign-no-manifest"));
    let registry = MockRegistry::start();
    let digest =
        OciDigest::parse("sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00")
            .unwrap();
    registry.legacy_signatures(REPO, &digest, &[layer]);
    let run = verify_with_key(
        &fixture_key("cosign.pub"),
        &registry.image(&format!("{REPO}@{digest}")),
        &[],
    );
    assert_eq!(run.code, 11, "{}", run.show());
    assert!(run.error().contains("image not found"), "{}", run.show());
}

#[test]
fn cosign_fixture_mixed_one_valid_signature_is_enough() {
    let dir = fixtures().join("dir-img-cosign-mixed");
    let layers = [
        fixture_layer(&dir.join("signature-1")),
        fixture_layer(&dir.join("signature-2")),
    ];
    let (registry, _) = serve_fixture("dir-img-cosign-mixed", &layers);
    let image = registry.image(&format!("{REPO}:v1"));
    let run = verify_with_key(&fixture_key("cosign.pub"), &image, &[]);
    assert_verified(&run);
    assert_eq!(run.image()["signatures"].as_array().unwrap().len(), 1);
    assert_eq!(run.rejected_categories(), ["signature"], "{}", run.show());
    // signature-1 verifies with neither key.
    let run = verify_with_key(&fixture_key("cosign2.pub"), &image, &[]);
    assert_rejected(&run, "signature");
    assert_eq!(run.rejected_categories().len(), 2, "{}", run.show());
}

#[test]
fn cosign_fixture_other_attachment_is_not_a_signature() {
    let layer = fixture_layer(&fixtures().join("dir-img-cosign-other-attachment"));
    assert_eq!(layer.media_type, "text/plain");
    let (registry, _) = serve_fixture("dir-img-cosign-other-attachment", &[layer]);
    let run = verify_with_key(
        &fixture_key("cosign.pub"),
        &registry.image(&format!("{REPO}:v1")),
        &[],
    );
    assert_eq!(run.code, 10, "{}", run.show());
    let skipped = run.image()["skipped"].as_array().unwrap();
    assert!(
        skipped.len() == 1
            && skipped[0]
                .as_str()
                .unwrap()
                .contains("media type text/plain"),
        "{}",
        run.show()
    );
}

#[test]
fn cosign_fixture_unknown_key_signature_is_rejected() {
    let layer = fixture_layer(&fixtures().join("unknown-cosign-key"));
    // Over the image it names (dir-img-cosign-valid's manifest.json, sha256:634a…).
    let (registry, _) = serve_fixture("dir-img-cosign-valid", &[layer]);
    let image = registry.image(&format!("{REPO}:v1"));
    for key in ["cosign.pub", "cosign2.pub"] {
        assert_rejected(
            &verify_with_key(&fixture_key(key), &image, &[]),
            "signature",
        );
    }
}

#[test]
fn cosign_fixture_keyless_fulcio_rekor_verifies_against_the_production_root() {
    let layer = fixture_layer(&fixtures().join("dir-img-cosign-fulcio-rekor-valid"));
    let (registry, _) = serve_fixture("dir-img-cosign-fulcio-rekor-valid", &[layer]);
    let image = registry.image(&format!("{REPO}:v1"));
    let keyless = |identity: &str| {
        vouch(
            &[
                "--certificate-identity",
                identity,
                "--certificate-oidc-issuer",
                "https://github.com/login/oauth",
                &image,
            ],
            &[],
        )
    };
    let run = keyless("mitr@redhat.com");
    assert_verified(&run);
    let signature = &run.image()["signatures"][0];
    assert_eq!(signature["identity"], "mitr@redhat.com", "{}", run.show());
    assert_eq!(signature["issuer"], "https://github.com/login/oauth");
    assert_eq!(signature["tlog_verified"], true);
    assert!(signature["log_index"].is_u64(), "{}", run.show());
    assert!(signature["key"].is_null(), "{}", run.show());
    // Another identity: rejected for the identity.
    assert_rejected(&keyless("someone@redhat.com"), "identity");
    // Without its Rekor bundle, even with --insecure-ignore-tlog: no trusted time at which the
    // ten-minute certificate was valid. Not verified, never 0.
    let mut no_rekor = fixture_layer(&fixtures().join("dir-img-cosign-fulcio-rekor-valid"));
    no_rekor.annotations.remove("dev.sigstore.cosign/bundle");
    let (without, _) = serve_fixture("dir-img-cosign-fulcio-rekor-valid", &[no_rekor]);
    let run = vouch(
        &[
            "--certificate-identity",
            "mitr@redhat.com",
            "--certificate-oidc-issuer",
            "https://github.com/login/oauth",
            "--insecure-ignore-tlog",
            &without.image(&format!("{REPO}:v1")),
        ],
        &[],
    );
    assert_eq!(run.code, 12, "{}", run.show());
    // With a key instead: a keyless signature is another kind of signer.
    let run = vouch(
        &["--key", path_str(&fixture_key("cosign.pub")), &image],
        &[],
    );
    assert_eq!(run.code, 12, "{}", run.show());
}

/// The base64 body of every PEM block in `pem` (each is base64 of the DER).
fn pem_bodies(pem: &str) -> Vec<String> {
    pem.split("-----BEGIN CERTIFICATE-----")
        .skip(1)
        .map(|block| {
            block
                .split("-----END CERTIFICATE-----")
                .next()
                .unwrap()
                .split_whitespace()
                .collect()
        })
        .collect()
}

#[test]
fn cosign_fixture_byo_pki_is_not_verifiable() {
    // containers/image accepts this signature with its `pki` policy (custom CA roots, no
    // Rekor, no Fulcio extensions). vouch has no flag for custom CA roots; the closest is a
    // trusted root with the PKI's intermediate and root as a "Fulcio" certificate authority.
    // It does not get far: the signature annotation is base64 wrapped at 76 columns (which Go,
    // hence cosign and containers/image, decode; see
    // `a_signature_annotation_with_line_breaks_verifies_as_in_cosign`), and unwrapped, a
    // certificate-signed layer without a Rekor bundle is refused even with
    // --insecure-ignore-tlog. The leaf also has no OIDC-issuer extension and no SCT. So: not
    // verified (exit 1, never 0), one rejection.
    let dir = fixtures().join("dir-img-cosign-pki-valid");
    let layer = fixture_layer(&dir);
    let read = |name: &str| std::fs::read_to_string(fixtures().join(name)).unwrap();
    let chain: Vec<Value> = pem_bodies(&read("pki_intermediate_crts.pem"))
        .into_iter()
        .chain(pem_bodies(&read("pki_root_crts.pem")))
        .map(|der| json!({ "rawBytes": der }))
        .collect();
    assert_eq!(chain.len(), 2);
    let root = json!({
        "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
        "tlogs": [],
        "certificateAuthorities": [{
            "subject": { "organization": "IT", "commonName": "Linuxera Intermediate Certificate Authority" },
            "uri": "https://pki.example",
            "certChain": { "certificates": chain },
            "validFor": { "start": "2024-01-01T00:00:00Z" }
        }],
        "ctlogs": [], "timestampAuthorities": []
    });
    let tmp = TempDir::new().unwrap();
    let root_path = tmp.path().join("pki-root.json");
    std::fs::write(&root_path, root.to_string()).unwrap();
    let mut unwrapped = layer.clone();
    let signature = unwrapped.annotations.get_mut(SIGNATURE_ANNOTATION).unwrap();
    assert_eq!(signature.matches('\n').count(), 9, "wrapped at 76 columns");
    *signature = signature.replace('\n', "");
    for layer in [layer, unwrapped] {
        let (registry, digest) = serve_fixture("dir-img-cosign-pki-valid", &[layer]);
        assert_eq!(
            digest.to_string(),
            "sha256:253c890b744fe3efa923b68e3a1be07bd007eb44ba29da1e7deb1d4c53b3e212"
        );
        let run = vouch(
            &[
                "--trusted-root",
                path_str(&root_path),
                "--certificate-identity",
                "qiwan@redhat.com",
                "--certificate-oidc-issuer-regexp",
                ".*",
                "--insecure-ignore-tlog",
                &registry.image(&format!("{REPO}:v1")),
            ],
            &[],
        );
        assert_eq!(run.code, 12, "{}", run.show());
        assert_eq!(run.rejected_categories().len(), 1, "{}", run.show());
    }
}

/// cosign decodes the signature annotation with Go's `base64.StdEncoding`, which ignores `\r`
/// and `\n`; signatures attached as `openssl base64` wrote them (76 columns, as in
/// containers/image's BYO-PKI fixture) verify there, and in vouch (a bug found by this test).
#[test]
fn a_signature_annotation_with_line_breaks_verifies_as_in_cosign() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    let mut layer = key.simple_signing_layer(DOCKER_REFERENCE, &digest);
    let signature = layer.annotations.get_mut(SIGNATURE_ANNOTATION).unwrap();
    let wrapped: Vec<String> = signature
        .as_bytes()
        .chunks(64)
        .map(|line| String::from_utf8(line.to_vec()).unwrap())
        .collect();
    assert!(wrapped.len() > 1);
    *signature = wrapped.join("\n") + "\n";
    registry.legacy_signatures(REPO, &digest, &[layer]);
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_verified(&run);
}

// --- 2. Faulty and hostile registries --------------------------------------------------------

/// Answers HEAD of `reference` with neither Content-Type nor Docker-Content-Digest, so that
/// vouch GETs the manifest and its checks of the body run.
fn head_says_nothing(registry: &MockRegistry, reference: &str) {
    registry.mount(
        Mock::given(method("HEAD"))
            .and(path(format!("/v2/{REPO}/manifests/{reference}")))
            .respond_with(ResponseTemplate::new(200))
            .with_priority(1),
    );
}

#[test]
fn a_docker_content_digest_that_disagrees_with_the_tag_manifest_is_a_lookup_failure() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let body = image_manifest_bytes("app");
    let digest = OciDigest::sha256_of(&body);
    let liar = OciDigest::sha256_of(b"some other manifest");
    head_says_nothing(&registry, "v1");
    registry.mount(
        Mock::given(method("GET"))
            .and(path(format!("/v2/{REPO}/manifests/v1")))
            .respond_with(found(&body, OCI_MANIFEST, &liar)),
    );
    // The signatures of both digests exist: neither may be used.
    for subject in [&digest, &liar] {
        registry.legacy_signatures(
            REPO,
            subject,
            &[key.simple_signing_layer(DOCKER_REFERENCE, subject)],
        );
    }
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_lookup_failed(&run, &format!("not {liar}"));
    assert!(run.error().contains(&digest.to_string()), "{}", run.show());
}

#[test]
fn a_manifest_not_matching_the_digest_it_was_fetched_by_is_a_lookup_failure() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let wanted = OciDigest::sha256_of(&image_manifest_bytes("the image asked for"));
    let served = image_manifest_bytes("another image");
    head_says_nothing(&registry, &wanted.to_string());
    registry.mount(
        Mock::given(method("GET"))
            .and(path(format!("/v2/{REPO}/manifests/{wanted}")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(served.clone(), OCI_MANIFEST)),
    );
    registry.legacy_signatures(
        REPO,
        &wanted,
        &[key.simple_signing_layer(DOCKER_REFERENCE, &wanted)],
    );
    let run = verify_with_key(
        &key.public,
        &registry.image(&format!("{REPO}@{wanted}")),
        &[],
    );
    assert_lookup_failed(&run, &format!("not {wanted}"));
    assert!(
        run.error()
            .contains(&OciDigest::sha256_of(&served).to_string()),
        "{}",
        run.show()
    );
}

#[test]
fn a_signature_payload_not_matching_its_digest_is_a_lookup_failure() {
    // A registry that sends other bytes than the blob asked for cannot be trusted with
    // anything: a lookup failure (11), not a rejected signature (1).
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    let layer = key.simple_signing_layer(DOCKER_REFERENCE, &digest);
    let payload_digest = OciDigest::sha256_of(&layer.payload);
    // Same length, one byte changed: only the digest shows it.
    let mut wrong = layer.payload.clone();
    wrong[0] = b' ';
    registry.mount(
        Mock::given(method("GET"))
            .and(path(format!("/v2/{REPO}/blobs/{payload_digest}")))
            .respond_with(
                ResponseTemplate::new(200).set_body_raw(wrong, "application/octet-stream"),
            ),
    );
    registry.legacy_signatures(REPO, &digest, &[layer]);
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_lookup_failed(&run, &format!("signature payload {payload_digest}"));
    assert!(
        run.error().contains(&format!("not {payload_digest}")),
        "{}",
        run.show()
    );
}

#[test]
fn a_manifest_over_4_mib_is_a_lookup_failure() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    // Valid JSON, padded with spaces to one byte over 4 MiB.
    let mut body = image_manifest_bytes("big");
    body.resize(4 * 1024 * 1024 + 1, b' ');
    let digest = registry.manifest(REPO, &["v1"], OCI_MANIFEST, &body);
    head_says_nothing(&registry, "v1");
    registry.legacy_signatures(
        REPO,
        &digest,
        &[key.simple_signing_layer(DOCKER_REFERENCE, &digest)],
    );
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_lookup_failed(&run, "exceeds the limit of 4194304 bytes");
}

/// A registry whose `.sig` payload blob redirects to `storage`.
fn payload_redirected_to(key: &TestKey, storage: &str) -> MockRegistry {
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    let layer = key.simple_signing_layer(DOCKER_REFERENCE, &digest);
    let payload_digest = OciDigest::sha256_of(&layer.payload);
    registry.mount(
        Mock::given(method("GET"))
            .and(path(format!("/v2/{REPO}/blobs/{payload_digest}")))
            .respond_with(ResponseTemplate::new(307).insert_header("Location", storage)),
    );
    registry.legacy_signatures(REPO, &digest, &[layer]);
    registry
}

#[test]
fn a_blob_announced_as_200_mib_is_refused_without_reading_it() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let storage = EndlessBody::start(Some(200 * 1024 * 1024));
    let registry = payload_redirected_to(&key, &storage.url());
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_lookup_failed(&run, "exceeds the limit");
    assert!(storage.connections() >= 1, "{}", run.show());
    // Refused on its Content-Length: what was sent is what the sockets buffered, no more.
    assert!(
        storage.written() < 32 * 1024 * 1024,
        "{} bytes sent: {}",
        storage.written(),
        run.show()
    );
    assert!(
        run.peak_rss_kib < 100 * 1024,
        "vouch peaked at {} KiB",
        run.peak_rss_kib
    );
}

#[test]
fn an_endless_blob_is_abandoned_at_its_declared_size() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let storage = EndlessBody::start(None);
    let registry = payload_redirected_to(&key, &storage.url());
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_lookup_failed(&run, "exceeds the limit");
    assert!(
        storage.written() < 32 * 1024 * 1024,
        "{} bytes sent: {}",
        storage.written(),
        run.show()
    );
    assert!(
        run.peak_rss_kib < 100 * 1024,
        "vouch peaked at {} KiB",
        run.peak_rss_kib
    );
}

#[test]
fn throttling_is_retried_after_retry_after() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let (registry, _) = signed_image(&key);
    registry.mount(
        Mock::given(method("HEAD"))
            .and(path(format!("/v2/{REPO}/manifests/v1")))
            .respond_with(
                ResponseTemplate::new(429)
                    .insert_header("Retry-After", "1")
                    .set_body_string(
                        r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
                    ),
            )
            .up_to_n_times(1)
            .with_priority(1),
    );
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_verified(&run);
    let tag_requests = registry
        .request_log()
        .iter()
        .filter(|r| r.ends_with("/manifests/v1"))
        .count();
    assert_eq!(tag_requests, 2, "{:?}", registry.request_log());
    // The default backoff is 250 ms ± 50 %: a wait of a second is the registry's Retry-After.
    assert!(
        run.elapsed >= Duration::from_millis(950),
        "{:?}",
        run.elapsed
    );
    assert_eq!(run.report["registry_requests"], 6, "{}", run.show());
}

#[test]
fn a_bearer_challenge_is_answered_with_an_anonymous_token() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let (registry, _) = signed_image(&key);
    let realm = format!("{}/token", registry.uri());
    registry.mount(
        Mock::given(method("GET"))
            .and(path("/token"))
            .and(query_param("service", "mock-registry"))
            .and(query_param("scope", format!("repository:{REPO}:pull")))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({ "token": "anonymous-token", "expires_in": 300 })),
            )
            .with_priority(1),
    );
    let challenge =
        format!(r#"Bearer realm="{realm}",service="mock-registry",scope="repository:{REPO}:pull""#);
    registry.mount(
        Mock::given(|request: &Request| {
            request.url.path().starts_with("/v2/")
                && request
                    .headers
                    .get("authorization")
                    .is_none_or(|v| v != "Bearer anonymous-token")
        })
        .respond_with(
            ResponseTemplate::new(401)
                .insert_header("WWW-Authenticate", challenge.as_str())
                .set_body_string(
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                ),
        )
        .with_priority(1),
    );
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_verified(&run);
    let requests = registry.requests();
    let tokens = requests.iter().filter(|r| r.url.path() == "/token").count();
    assert_eq!(tokens, 1, "one token, cached: {:?}", registry.request_log());
    for request in &requests {
        if request.url.path() == "/token" {
            assert!(request.headers.get("authorization").is_none());
        }
    }
    // Only the first request went without the token.
    let unauthenticated = requests
        .iter()
        .filter(|r| r.url.path().starts_with("/v2/") && r.headers.get("authorization").is_none())
        .count();
    assert_eq!(unauthenticated, 1, "{:?}", registry.request_log());
}

#[test]
fn credentials_are_not_sent_to_the_host_a_blob_redirects_to() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let storage = MockRegistry::start();
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    let layer = key.simple_signing_layer(DOCKER_REFERENCE, &digest);
    let payload_digest = OciDigest::sha256_of(&layer.payload);
    let location = format!(
        "{}/storage/{}?signature=abc",
        storage.uri(),
        payload_digest.hex()
    );
    storage.mount(
        Mock::given(method("GET"))
            .and(path(format!("/storage/{}", payload_digest.hex())))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(layer.payload.clone(), "application/octet-stream"),
            ),
    );
    registry.mount(
        Mock::given(method("GET"))
            .and(path(format!("/v2/{REPO}/blobs/{payload_digest}")))
            .respond_with(ResponseTemplate::new(307).insert_header("Location", location.as_str())),
    );
    registry.legacy_signatures(REPO, &digest, &[layer]);
    let run = verify_with_key(
        &key.public,
        &registry.image(&format!("{REPO}:v1")),
        &["--registry-token", "s3cret-registry-token"],
    );
    assert_verified(&run);
    let to_registry = registry.requests();
    assert!(!to_registry.is_empty());
    for request in &to_registry {
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            "Bearer s3cret-registry-token",
            "{}",
            request.url
        );
    }
    let to_storage = storage.requests();
    assert_eq!(to_storage.len(), 1, "{:?}", storage.request_log());
    for request in &to_storage {
        assert!(
            request.headers.get("authorization").is_none(),
            "credentials leaked to {}: {:?}",
            request.url,
            request.headers
        );
    }
}

#[test]
fn a_signature_manifest_of_1001_layers_is_a_lookup_failure() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    let layer = key.simple_signing_layer(DOCKER_REFERENCE, &digest);
    registry.blob(REPO, &layer.payload);
    let layers = vec![layer; 1001];
    registry.manifest(
        REPO,
        &[&format!("{}.sig", digest.tag_form())],
        OCI_MANIFEST,
        &signature_manifest_bytes(&layers),
    );
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_lookup_failed(&run, "1000 layers");
    assert!(run.error().contains("1001 layers"), "{}", run.show());
}

#[test]
fn a_malformed_manifest_is_a_lookup_failure() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    registry.manifest(
        REPO,
        &["v1"],
        OCI_MANIFEST,
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":"#,
    );
    head_says_nothing(&registry, "v1");
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_lookup_failed(&run, "malformed image manifest");
}

#[test]
fn a_failing_referrers_api_is_a_lookup_failure_never_unsigned() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "unsigned");
    registry.mount(
        Mock::given(method("GET"))
            .and(path(format!("/v2/{REPO}/referrers/{digest}")))
            .respond_with(ResponseTemplate::new(500).set_body_string("internal error")),
    );
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_lookup_failed(&run, "500");
    let attempts = registry
        .request_log()
        .iter()
        .filter(|r| r.contains("/referrers/"))
        .count();
    assert_eq!(
        attempts,
        4,
        "one try and 3 retries: {:?}",
        registry.request_log()
    );
}

/// A registry with a referrers API listing one bundle referrer over `statement` by `key`.
fn bundle_image(key: &TestKey, statement_for: impl FnOnce(&OciDigest) -> Vec<u8>) -> MockRegistry {
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    let bundle = key.dsse_bundle(&statement_for(&digest));
    let referrer = registry.bundle_referrer(REPO, &digest, &bundle);
    registry.referrers(
        REPO,
        &digest,
        &[(referrer, "application/vnd.dev.sigstore.bundle.v0.3+json")],
    );
    registry
}

#[test]
fn a_cosign_v3_bundle_from_the_referrers_api_verifies() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = bundle_image(&key, |digest| statement(digest, COSIGN_SIGN));
    let image = registry.image(&format!("{REPO}:v1"));
    let run = verify_with_key(&key.public, &image, &[]);
    assert_verified(&run);
    let signature = &run.image()["signatures"][0];
    assert_eq!(signature["source"], "referrers", "{}", run.show());
    assert_eq!(signature["kind"], "bundle", "{}", run.show());
    assert_eq!(signature["tlog_verified"], false);
    assert_eq!(
        run.image()["sources"],
        json!([
            { "source": "referrers", "status": "1 found" },
            { "source": "referrers-tag-schema", "status": "not needed" },
            { "source": "legacy-tag", "status": "none" },
        ]),
        "{}",
        run.show()
    );
    // Without --insecure-ignore-tlog: no log entry, refused.
    let run = vouch(&["--key", path_str(&key.public), &image], &[]);
    assert_rejected(&run, "log-entry-missing");
    // Another key.
    let other = TestKey::new(tmp.path(), 2);
    assert_rejected(&verify_with_key(&other.public, &image, &[]), "signature");
}

#[test]
fn a_bundle_for_another_digest_is_a_payload_mismatch() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = bundle_image(&key, |_| {
        statement(&OciDigest::sha256_of(b"another image"), COSIGN_SIGN)
    });
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_rejected(&run, "payload-mismatch");
}

#[test]
fn an_slsa_attestation_is_not_an_image_signature() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = bundle_image(&key, |digest| {
        statement(digest, "https://slsa.dev/provenance/v1")
    });
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_rejected(&run, "not-image-signature");
}

// --- 3. Request budget -------------------------------------------------------------------------

/// The request log, sorted (fetches that may run at once arrive in any order), with the
/// registry-specific digests named.
fn sorted_log(registry: &MockRegistry, names: &[(&OciDigest, &str)]) -> String {
    let mut log = registry.request_log();
    log.sort();
    let mut text = log.join("\n");
    for (digest, name) in names {
        text = text
            .replace(&digest.to_string(), &format!("<{name}>"))
            .replace(&digest.tag_form(), &format!("<{name}-tag>"));
    }
    text
}

#[test]
fn a_digest_reference_makes_no_get_of_the_image_manifest() {
    // A registry that answers HEAD only for the image (GET 404), as Docker Hub would answer a
    // client out of pulls: the digest reference verifies with the headers alone.
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let (registry, digest) = signed_image(&key);
    registry.mount(
        Mock::given(method("GET"))
            .and(path(format!("/v2/{REPO}/manifests/{digest}")))
            .respond_with(ResponseTemplate::new(404))
            .with_priority(1),
    );
    let run = verify_with_key(
        &key.public,
        &registry.image(&format!("{REPO}@{digest}")),
        &[],
    );
    assert_verified(&run);
    let log = registry.request_log();
    let image_path = format!("/v2/{REPO}/manifests/{digest}");
    assert!(
        log.iter()
            .all(|r| !(r.starts_with("GET ") && r.ends_with(&image_path))),
        "{log:#?}"
    );
    // HEAD image, referrers (404), tag schema (404), `.sig` manifest, payload.
    let payload = key.simple_signing_layer(DOCKER_REFERENCE, &digest).payload;
    insta::assert_snapshot!(
        "request_log_digest_reference",
        sorted_log(
            &registry,
            &[
                (&digest, "image"),
                (&OciDigest::sha256_of(&payload), "payload")
            ]
        )
    );
}

#[test]
fn a_legacy_signature_costs_five_requests_and_nothing_elsewhere() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let (registry, digest) = signed_image(&key);
    let payload = key.simple_signing_layer(DOCKER_REFERENCE, &digest).payload;
    let payload_digest = OciDigest::sha256_of(&payload);
    // Anything but the registry goes through the proxy, which only counts connections.
    let trap = ConnectionTrap::start();
    let proxy = trap.url();
    let run = vouch(
        &[
            "--key",
            path_str(&key.public),
            "--insecure-ignore-tlog",
            &registry.image(&format!("{REPO}:v1")),
        ],
        &[
            ("HTTPS_PROXY", &proxy),
            ("HTTP_PROXY", &proxy),
            ("ALL_PROXY", &proxy),
            ("NO_PROXY", "127.0.0.1,localhost"),
        ],
    );
    assert_verified(&run);
    assert_eq!(
        trap.connections(),
        0,
        "something but the registry was contacted"
    );
    let log = registry.request_log();
    assert!(log.len() <= 5, "{log:#?}");
    assert_eq!(run.report["registry_requests"], log.len(), "{}", run.show());
    insta::assert_snapshot!(
        "request_log_legacy_signature",
        sorted_log(
            &registry,
            &[(&digest, "image"), (&payload_digest, "payload")]
        )
    );
    // The trap works: without NO_PROXY the registry requests go to it (and fail: 11).
    let run = vouch(
        &[
            "--key",
            path_str(&key.public),
            "--insecure-ignore-tlog",
            &registry.image(&format!("{REPO}:v1")),
        ],
        &[("HTTPS_PROXY", &proxy), ("HTTP_PROXY", &proxy)],
    );
    assert_eq!(run.code, 13, "{}", run.show());
    assert!(trap.connections() > 0, "{}", run.show());
}

#[test]
fn a_referrers_bundle_costs_five_requests() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    let bundle = key.dsse_bundle(&statement(&digest, COSIGN_SIGN));
    let referrer = registry.bundle_referrer(REPO, &digest, &bundle);
    let referrer_digest = OciDigest::sha256_of(&referrer);
    let bundle_digest = OciDigest::sha256_of(&bundle);
    registry.referrers(
        REPO,
        &digest,
        &[(referrer, "application/vnd.dev.sigstore.bundle.v0.3+json")],
    );
    let run = verify_with_key(&key.public, &registry.image(&format!("{REPO}:v1")), &[]);
    assert_verified(&run);
    let log = registry.request_log();
    assert!(log.len() <= 5, "{log:#?}");
    assert_eq!(run.report["registry_requests"], log.len(), "{}", run.show());
    insta::assert_snapshot!(
        "request_log_referrers_bundle",
        sorted_log(
            &registry,
            &[
                (&digest, "image"),
                (&referrer_digest, "referrer"),
                (&bundle_digest, "bundle"),
            ]
        )
    );
}

// --- 4. Multi-arch images -----------------------------------------------------------------------

/// `REPO:v1` as an OCI index of linux/amd64 and linux/arm64 images. Returns the registry, the
/// index digest and the children's digests (amd64, arm64).
fn multi_arch() -> (MockRegistry, OciDigest, OciDigest, OciDigest) {
    let registry = MockRegistry::start();
    let amd64 = image_manifest_bytes("amd64");
    let arm64 = image_manifest_bytes("arm64");
    let amd64_digest = registry.manifest(REPO, &[], OCI_MANIFEST, &amd64);
    let arm64_digest = registry.manifest(REPO, &[], OCI_MANIFEST, &arm64);
    let child = |digest: &OciDigest, body: &[u8], architecture: &str| {
        json!({
            "mediaType": OCI_MANIFEST,
            "digest": digest.to_string(),
            "size": body.len(),
            "platform": { "os": "linux", "architecture": architecture },
        })
    };
    let index = json!({
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [child(&amd64_digest, &amd64, "amd64"), child(&arm64_digest, &arm64, "arm64")],
    })
    .to_string()
    .into_bytes();
    let index_digest = registry.manifest(REPO, &["v1"], OCI_INDEX, &index);
    (registry, index_digest, amd64_digest, arm64_digest)
}

#[test]
fn a_signed_index_verifies_and_its_unsigned_children_say_where_to_look() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let (registry, index, _, arm64) = multi_arch();
    registry.legacy_signatures(
        REPO,
        &index,
        &[key.simple_signing_layer(DOCKER_REFERENCE, &index)],
    );
    let image = registry.image(&format!("{REPO}:v1"));
    let run = verify_with_key(&key.public, &image, &[]);
    assert_verified(&run);
    assert_eq!(run.image()["digest"], index.to_string());
    assert!(run.image()["index_digest"].is_null(), "{}", run.show());

    let run = verify_with_key(&key.public, &image, &["--platform", "linux/arm64"]);
    assert_eq!(run.code, 10, "{}", run.show());
    assert_eq!(run.image()["digest"], arm64.to_string(), "{}", run.show());
    assert_eq!(
        run.image()["index_digest"],
        index.to_string(),
        "{}",
        run.show()
    );
    // With --platform, the lookup still lists the index's children; the hint must point at
    // the index (it once said "the index itself is unsigned; … try --platform os/arch").
    let hints: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.starts_with("hint:"))
        .collect();
    assert!(
        hints.contains(&format!(
            "hint: the platform image is unsigned; the index {index} may be signed: verify without --platform"
        ).as_str()),
        "expected the hint about the index: {hints:#?}"
    );
    assert!(
        !run.stderr.contains("the index itself is unsigned"),
        "{hints:#?}"
    );
}

#[test]
fn signed_children_verify_with_their_platform_and_the_index_names_them() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let (registry, index, amd64, arm64) = multi_arch();
    for child in [&amd64, &arm64] {
        registry.legacy_signatures(
            REPO,
            child,
            &[key.simple_signing_layer(DOCKER_REFERENCE, child)],
        );
    }
    let image = registry.image(&format!("{REPO}:v1"));
    let run = verify_with_key(&key.public, &image, &[]);
    assert_eq!(run.code, 10, "{}", run.show());
    assert_eq!(run.image()["digest"], index.to_string());
    let hint = run
        .stderr
        .lines()
        .find(|l| l.starts_with("hint: the index itself is unsigned"))
        .unwrap_or_else(|| panic!("no hint about the children: {}", run.show()));
    // The index's headers sufficed (no GET of it), so the hint cannot name the children.
    assert!(
        hint.contains("children may be signed one by one") && hint.contains("--platform"),
        "{hint}"
    );

    let run = verify_with_key(&key.public, &image, &["--platform", "linux/amd64"]);
    assert_verified(&run);
    assert_eq!(run.image()["digest"], amd64.to_string(), "{}", run.show());
    assert_eq!(
        run.image()["index_digest"],
        index.to_string(),
        "{}",
        run.show()
    );
}

/// The lookup goes to the legacy tag of the chosen child only: the index's signature (or
/// another child's) is never used for it.
#[test]
fn a_platform_child_is_not_verified_by_the_index_signature() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let (registry, index, amd64, _) = multi_arch();
    // The index's signature copied to amd64's `.sig` tag: it names the index, not amd64.
    let layer = key.simple_signing_layer(DOCKER_REFERENCE, &index);
    registry.legacy_signatures(REPO, &amd64, &[layer]);
    let run = verify_with_key(
        &key.public,
        &registry.image(&format!("{REPO}:v1")),
        &["--platform", "linux/amd64"],
    );
    assert_rejected(&run, "payload-mismatch");
}
