//! `SignatureLookup` driven against an in-memory registry: the fetches it makes, what it finds,
//! and how it treats a registry that lies.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly, outside #[test] functions too"
)]

use std::collections::{BTreeMap, HashMap};

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use vouch_oci::{
    CandidateContent, Error, Fetch, ImageRef, Lookup, LookupOptions, MAX_REFERRERS, OciDigest,
    Platform, Repository, Response, SignatureCandidate, SignatureLookup, Source, SourceStatus,
};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
const BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

const IMAGE: &str = "registry.example/org/app:v1";

// ---------------------------------------------------------------------------------------------
// An in-memory registry
// ---------------------------------------------------------------------------------------------

/// What the registry answers to one request.
#[derive(Debug, Clone)]
enum Answer {
    Found {
        body: Vec<u8>,
        content_type: Option<String>,
        docker_content_digest: Option<String>,
    },
    NotFound,
}

/// Manifests (by tag and by digest), blobs, and optionally the referrers API, per repository;
/// requests are keyed by the HTTP request a driver would make.
#[derive(Debug, Default)]
struct Registry {
    answers: HashMap<String, Answer>,
    /// With the referrers API: subject digest (per repository) → listing entries.
    referrers: Option<BTreeMap<String, Vec<Value>>>,
    /// Digest hex → readable name, for request logs.
    labels: Vec<(String, String)>,
    /// Drivers honour `Fetch::max_len` (report TooLarge) unless this is false.
    honour_max_len: bool,
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn digest_of(bytes: &[u8]) -> String {
    format!("sha256:{}", sha256_hex(bytes))
}

fn repo(text: &str) -> Repository {
    Repository::parse(text).unwrap()
}

fn request_key(fetch: &Fetch) -> String {
    match fetch {
        Fetch::Manifest {
            repository,
            reference,
        } => format!(
            "GET {}/v2/{}/manifests/{reference}",
            repository.registry(),
            repository.name()
        ),
        Fetch::ManifestHead {
            repository,
            reference,
        } => format!(
            "HEAD {}/v2/{}/manifests/{reference}",
            repository.registry(),
            repository.name()
        ),
        Fetch::Referrers { repository, digest } => {
            format!(
                "GET {}/v2/{}/referrers/{digest}",
                repository.registry(),
                repository.name()
            )
        }
        Fetch::Blob {
            repository, digest, ..
        } => format!(
            "GET {}/v2/{}/blobs/{digest}",
            repository.registry(),
            repository.name()
        ),
        other => panic!("unknown fetch {other:?}"),
    }
}

impl Registry {
    fn new() -> Self {
        Self {
            honour_max_len: true,
            ..Self::default()
        }
    }

    fn with_referrers_api() -> Self {
        Self {
            referrers: Some(BTreeMap::new()),
            ..Self::new()
        }
    }

    fn label(&mut self, bytes: &[u8], label: &str) {
        self.labels.push((sha256_hex(bytes), format!("<{label}>")));
    }

    fn put(
        &mut self,
        key: String,
        body: &[u8],
        content_type: Option<&str>,
        with_digest_header: bool,
    ) {
        self.answers.insert(
            key,
            Answer::Found {
                body: body.to_vec(),
                content_type: content_type.map(str::to_owned),
                docker_content_digest: with_digest_header.then(|| digest_of(body)),
            },
        );
    }

    /// Stores a blob; returns its descriptor.
    fn blob(&mut self, repository: &str, media_type: &str, body: &[u8], label: &str) -> Value {
        let r = repo(repository);
        let digest = digest_of(body);
        self.put(
            format!("GET {}/v2/{}/blobs/{digest}", r.registry(), r.name()),
            body,
            None,
            true,
        );
        self.label(body, label);
        json!({"mediaType": media_type, "digest": digest, "size": body.len()})
    }

    /// Stores manifest bytes by digest (and tag); returns its descriptor.
    fn manifest_bytes(
        &mut self,
        repository: &str,
        tag: Option<&str>,
        body: &[u8],
        media_type: &str,
        label: &str,
    ) -> Value {
        let r = repo(repository);
        let digest = digest_of(body);
        for reference in std::iter::once(digest.as_str()).chain(tag) {
            self.put(
                format!("GET {}/v2/{}/manifests/{reference}", r.registry(), r.name()),
                body,
                Some(media_type),
                true,
            );
        }
        self.label(body, label);
        json!({"mediaType": media_type, "digest": digest, "size": body.len()})
    }

    /// Stores a manifest JSON document; if it has a `subject` and the registry has the
    /// referrers API, lists it there as registries do (artifactType: the manifest's, else the
    /// config media type).
    fn manifest(
        &mut self,
        repository: &str,
        tag: Option<&str>,
        document: &Value,
        label: &str,
    ) -> Value {
        let body = serde_json::to_vec(document).unwrap();
        let media_type = document["mediaType"]
            .as_str()
            .unwrap_or(OCI_MANIFEST)
            .to_owned();
        let descriptor = self.manifest_bytes(repository, tag, &body, &media_type, label);
        if let (Some(listings), Some(subject)) =
            (&mut self.referrers, document["subject"]["digest"].as_str())
        {
            let mut entry = descriptor.clone();
            let artifact_type = document
                .get("artifactType")
                .or_else(|| document["config"].get("mediaType"))
                .cloned();
            if let Some(artifact_type) = artifact_type {
                entry["artifactType"] = artifact_type;
            }
            listings
                .entry(format!("{repository}@{subject}"))
                .or_default()
                .push(entry);
        }
        descriptor
    }

    /// Makes the image's HEAD answer say nothing (no Content-Type, no digest), so that the
    /// lookup fetches the manifest and its checks of the body run.
    fn head_says_nothing(&mut self, reference: &str) {
        self.override_answer(
            &format!("HEAD registry.example/v2/org/app/manifests/{reference}"),
            Answer::Found {
                body: Vec::new(),
                content_type: None,
                docker_content_digest: None,
            },
        );
    }

    fn override_answer(&mut self, key: &str, answer: Answer) {
        self.answers.insert(key.to_owned(), answer);
    }

    fn answer(&self, fetch: &Fetch) -> Answer {
        // HEAD: the GET's headers, no body, unless a test set a HEAD answer of its own.
        if let Fetch::ManifestHead {
            repository,
            reference,
        } = fetch
            && !self.answers.contains_key(&request_key(fetch))
        {
            let get = Fetch::Manifest {
                repository: repository.clone(),
                reference: reference.clone(),
            };
            return match self.answer(&get) {
                Answer::Found {
                    content_type,
                    docker_content_digest,
                    ..
                } => Answer::Found {
                    body: Vec::new(),
                    content_type,
                    docker_content_digest,
                },
                Answer::NotFound => Answer::NotFound,
            };
        }
        if let (Fetch::Referrers { repository, digest }, Some(listings)) = (fetch, &self.referrers)
        {
            if let Some(answer) = self.answers.get(&request_key(fetch)) {
                return answer.clone();
            }
            let key = format!("{}/{}@{digest}", repository.registry(), repository.name());
            let manifests = listings.get(&key).cloned().unwrap_or_default();
            let body = serde_json::to_vec(&json!({
                "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests
            }))
            .unwrap();
            return Answer::Found {
                body,
                content_type: Some(OCI_INDEX.to_owned()),
                docker_content_digest: None,
            };
        }
        self.answers
            .get(&request_key(fetch))
            .cloned()
            .unwrap_or(Answer::NotFound)
    }

    fn respond<'a>(&self, fetch: &Fetch, answer: &'a Answer) -> Response<'a> {
        match answer {
            Answer::NotFound => Response::NotFound,
            Answer::Found { body, .. }
                if self.honour_max_len && body.len() as u64 > fetch.max_len() =>
            {
                Response::TooLarge
            }
            Answer::Found {
                body,
                content_type,
                docker_content_digest,
            } => Response::Found {
                body,
                content_type: content_type.as_deref(),
                docker_content_digest: docker_content_digest.as_deref(),
            },
        }
    }

    /// The request, with digests replaced by their labels.
    fn describe(&self, fetch: &Fetch) -> String {
        let mut line = request_key(fetch);
        for (hex, label) in &self.labels {
            line = line.replace(hex, label);
        }
        line
    }
}

/// Drives a lookup one fetch at a time; returns the result and the request log.
fn run(
    registry: &Registry,
    image: &str,
    options: LookupOptions,
) -> (Result<Lookup, Error>, Vec<String>) {
    let mut lookup = SignatureLookup::new(ImageRef::parse(image).unwrap(), options);
    let mut log = Vec::new();
    while let Some(fetch) = lookup.next_fetch() {
        log.push(registry.describe(&fetch));
        let answer = registry.answer(&fetch);
        if let Err(error) = lookup.on_response(&fetch, registry.respond(&fetch, &answer)) {
            assert!(
                lookup.next_fetch().is_none(),
                "a failed lookup asks for nothing more"
            );
            return (Err(error), log);
        }
    }
    (lookup.finish(), log)
}

/// Drives a lookup in rounds of concurrent fetches, answering each round in reverse order;
/// returns the result and the rounds.
fn run_concurrently(
    registry: &Registry,
    image: &str,
    options: LookupOptions,
) -> (Result<Lookup, Error>, Vec<Vec<String>>) {
    let mut lookup = SignatureLookup::new(ImageRef::parse(image).unwrap(), options);
    let mut rounds = Vec::new();
    loop {
        let fetches = lookup.next_fetches();
        if fetches.is_empty() {
            break;
        }
        rounds.push(fetches.iter().map(|f| registry.describe(f)).collect());
        for fetch in fetches.iter().rev() {
            let answer = registry.answer(fetch);
            if let Err(error) = lookup.on_response(fetch, registry.respond(fetch, &answer)) {
                return (Err(error), rounds);
            }
        }
    }
    (lookup.finish(), rounds)
}

fn ok(result: (Result<Lookup, Error>, Vec<String>)) -> (Lookup, Vec<String>) {
    match result {
        (Ok(lookup), log) => (lookup, log),
        (Err(error), log) => panic!("{error}\nrequests:\n{}", log.join("\n")),
    }
}

fn err(result: (Result<Lookup, Error>, Vec<String>)) -> Error {
    match result {
        (Ok(lookup), log) => panic!(
            "expected an error, got {lookup:?}\nrequests:\n{}",
            log.join("\n")
        ),
        (Err(error), _) => error,
    }
}

fn statuses(lookup: &Lookup) -> Vec<(Source, SourceStatus)> {
    lookup.sources.clone()
}

fn simple_signing(candidate: &SignatureCandidate) -> &vouch_oci::SimpleSigningLayer {
    match &candidate.content {
        CandidateContent::SimpleSigning(layer) => layer,
        other => panic!("not a simple-signing candidate: {other:?}"),
    }
}

fn bundle_json(candidate: &SignatureCandidate) -> &[u8] {
    match &candidate.content {
        CandidateContent::Bundle { json } => json,
        other => panic!("not a bundle candidate: {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Building an OCI layout
// ---------------------------------------------------------------------------------------------

/// An image: a config and one layer; returns its manifest descriptor.
fn push_image(registry: &mut Registry, repository: &str, tag: Option<&str>, label: &str) -> Value {
    let config = registry.blob(
        repository,
        OCI_CONFIG,
        format!("{{\"architecture\":\"{label}\"}}").as_bytes(),
        &format!("{label}-config"),
    );
    let layer = registry.blob(
        repository,
        "application/vnd.oci.image.layer.v1.tar+gzip",
        label.as_bytes(),
        &format!("{label}-layer"),
    );
    registry.manifest(
        repository,
        tag,
        &json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]}),
        label,
    )
}

fn payload_for(image: &Value) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"registry.example/org/app"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":null}}"#,
        image["digest"].as_str().unwrap()
    )
    .into_bytes()
}

fn empty_config(registry: &mut Registry, repository: &str) -> Value {
    registry.blob(repository, OCI_EMPTY, b"{}", "empty")
}

/// A legacy signature layer descriptor with cosign's annotations.
fn signature_layer(
    registry: &mut Registry,
    repository: &str,
    payload: &[u8],
    signature: &str,
) -> Value {
    let mut layer = registry.blob(repository, SIMPLE_SIGNING, payload, "payload");
    layer["annotations"] = json!({
        "dev.cosignproject.cosign/signature": signature,
        "dev.sigstore.cosign/certificate": "-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----\n",
        "dev.sigstore.cosign/chain": "-----BEGIN CERTIFICATE-----\nchain\n-----END CERTIFICATE-----\n",
        "dev.sigstore.cosign/bundle": "{\"SignedEntryTimestamp\":\"c2V0\"}",
        "dev.sigstore.cosign/rfc3161timestamp": "{\"SignedRFC3161Timestamp\":\"dHNh\"}",
    });
    layer
}

fn sig_tag(image: &Value) -> String {
    format!(
        "{}.sig",
        image["digest"].as_str().unwrap().replace(':', "-")
    )
}

/// cosign's `.sig` manifest with these layers.
fn push_legacy(
    registry: &mut Registry,
    repository: &str,
    image: &Value,
    layers: &[Value],
) -> Value {
    let config = registry.blob(repository, OCI_CONFIG, b"{\"rootfs\":{}}", "sig-config");
    registry.manifest(
        repository,
        Some(&sig_tag(image)),
        &json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers}),
        "sig-manifest",
    )
}

/// A cosign v3 bundle referrer of `subject`.
fn bundle_referrer(
    registry: &mut Registry,
    repository: &str,
    subject: &Value,
    bundle: &[u8],
    label: &str,
) -> Value {
    let config = empty_config(registry, repository);
    let layer = registry.blob(repository, BUNDLE, bundle, &format!("{label}-json"));
    registry.manifest(
        repository,
        None,
        &json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": BUNDLE,
            "config": config, "layers": [layer], "subject": subject,
            "annotations": {"dev.sigstore.bundle.content": "dsse-envelope"}
        }),
        label,
    )
}

fn bundle_bytes(n: u32) -> Vec<u8> {
    format!(r#"{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","n":{n}}}"#)
        .into_bytes()
}

const REPO: &str = "registry.example/org/app";

// ---------------------------------------------------------------------------------------------
// The common cases
// ---------------------------------------------------------------------------------------------

#[test]
fn tag_with_one_legacy_signature_takes_five_requests() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let payload = payload_for(&image);
    let layer = signature_layer(&mut registry, REPO, &payload, "c2lnbmF0dXJl");
    let sig = push_legacy(&mut registry, REPO, &image, &[layer]);

    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    insta::assert_snapshot!("tag_with_one_legacy_signature", log.join("\n"));
    assert_eq!(log.len(), 5);
    assert_eq!(lookup.digest.to_string(), image["digest"].as_str().unwrap());
    assert_eq!(lookup.index_digest, None);
    assert_eq!(lookup.media_type, OCI_MANIFEST);
    assert_eq!(lookup.image.to_string(), IMAGE);
    assert_eq!(
        statuses(&lookup),
        vec![
            (Source::Referrers, SourceStatus::Unsupported),
            (Source::ReferrersTagSchema, SourceStatus::Absent),
            (Source::LegacyTag, SourceStatus::Found(1)),
        ]
    );
    assert!(lookup.skipped.is_empty(), "{:?}", lookup.skipped);
    let [candidate] = lookup.candidates.as_slice() else {
        panic!("{:?}", lookup.candidates)
    };
    assert_eq!(candidate.source, Source::LegacyTag);
    assert_eq!(
        candidate.manifest_digest.to_string(),
        sig["digest"].as_str().unwrap()
    );
    let layer = simple_signing(candidate);
    assert_eq!(layer.payload, payload);
    assert_eq!(layer.signature, "c2lnbmF0dXJl");
    assert!(layer.certificate.as_deref().unwrap().contains("leaf"));
    assert!(layer.chain.as_deref().unwrap().contains("chain"));
    assert_eq!(
        layer.rekor_bundle.as_deref(),
        Some("{\"SignedEntryTimestamp\":\"c2V0\"}")
    );
    assert_eq!(
        layer.rfc3161_timestamp.as_deref(),
        Some("{\"SignedRFC3161Timestamp\":\"dHNh\"}")
    );
}

#[test]
fn referrers_api_with_a_bundle() {
    let mut registry = Registry::with_referrers_api();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let referrer = bundle_referrer(
        &mut registry,
        REPO,
        &image,
        &bundle_bytes(1),
        "bundle-referrer",
    );

    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    insta::assert_snapshot!("referrers_api_with_a_bundle", log.join("\n"));
    assert_eq!(
        statuses(&lookup),
        vec![
            (Source::Referrers, SourceStatus::Found(1)),
            (Source::ReferrersTagSchema, SourceStatus::Skipped),
            (Source::LegacyTag, SourceStatus::Absent),
        ]
    );
    let [candidate] = lookup.candidates.as_slice() else {
        panic!("{:?}", lookup.candidates)
    };
    assert_eq!(candidate.source, Source::Referrers);
    assert_eq!(
        candidate.manifest_digest.to_string(),
        referrer["digest"].as_str().unwrap()
    );
    assert_eq!(bundle_json(candidate), bundle_bytes(1));
}

#[test]
fn tag_schema_fallback_with_ghcrs_empty_artifact_type() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let mut entry = bundle_referrer(
        &mut registry,
        REPO,
        &image,
        &bundle_bytes(2),
        "bundle-referrer",
    );
    // What ggcr writes into the fallback index: the config media type (cosign#4641).
    entry["artifactType"] = json!(OCI_EMPTY);
    let tag = image["digest"].as_str().unwrap().replace(':', "-");
    registry.manifest(
        REPO,
        Some(&tag),
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}),
        "tag-schema-index",
    );

    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    insta::assert_snapshot!("tag_schema_fallback", log.join("\n"));
    assert_eq!(
        statuses(&lookup),
        vec![
            (Source::Referrers, SourceStatus::Unsupported),
            (Source::ReferrersTagSchema, SourceStatus::Found(1)),
            (Source::LegacyTag, SourceStatus::Absent),
        ]
    );
    let [candidate] = lookup.candidates.as_slice() else {
        panic!("{:?}", lookup.candidates)
    };
    assert_eq!(candidate.source, Source::ReferrersTagSchema);
    assert_eq!(bundle_json(candidate), bundle_bytes(2));
}

#[test]
fn a_known_absent_referrers_api_is_not_asked() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let entry = bundle_referrer(
        &mut registry,
        REPO,
        &image,
        &bundle_bytes(2),
        "bundle-referrer",
    );
    let tag = image["digest"].as_str().unwrap().replace(':', "-");
    registry.manifest(
        REPO,
        Some(&tag),
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}),
        "tag-schema-index",
    );
    let (asked, asked_log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    let (known, known_log) = ok(run(
        &registry,
        IMAGE,
        LookupOptions::new().with_referrers_api_absent(),
    ));
    assert_eq!(
        format!("{:?}", known.candidates),
        format!("{:?}", asked.candidates)
    );
    assert_eq!(statuses(&known), statuses(&asked));
    assert_eq!(known_log.len() + 1, asked_log.len(), "{known_log:#?}");
    assert!(
        !known_log.iter().any(|line| line.contains("referrers/")),
        "{known_log:#?}"
    );
}

/// Both layouts at once, plus an SBOM referrer; also driven concurrently, answers in reverse.
fn signed_both_ways() -> Registry {
    let mut registry = Registry::with_referrers_api();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    bundle_referrer(&mut registry, REPO, &image, &bundle_bytes(1), "bundle-a");
    let sbom = registry.blob(
        REPO,
        "application/spdx+json",
        b"{\"spdxVersion\":\"SPDX-2.3\"}",
        "sbom-json",
    );
    let config = empty_config(&mut registry, REPO);
    registry.manifest(
        REPO,
        None,
        &json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/spdx+json",
                "config": config, "layers": [sbom], "subject": image}),
        "sbom",
    );
    bundle_referrer(&mut registry, REPO, &image, &bundle_bytes(2), "bundle-b");
    let payload = payload_for(&image);
    let first = signature_layer(&mut registry, REPO, &payload, "Zmlyc3Q=");
    let second = signature_layer(&mut registry, REPO, &payload, "c2Vjb25k");
    push_legacy(&mut registry, REPO, &image, &[first, second]);
    registry
}

#[test]
fn legacy_and_bundles_together() {
    let registry = signed_both_ways();
    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    insta::assert_snapshot!("legacy_and_bundles", log.join("\n"));
    assert_eq!(
        statuses(&lookup),
        vec![
            (Source::Referrers, SourceStatus::Found(2)),
            (Source::ReferrersTagSchema, SourceStatus::Skipped),
            (Source::LegacyTag, SourceStatus::Found(2)),
        ]
    );
    let sources: Vec<Source> = lookup.candidates.iter().map(|c| c.source).collect();
    assert_eq!(
        sources,
        [
            Source::Referrers,
            Source::Referrers,
            Source::LegacyTag,
            Source::LegacyTag
        ]
    );
    assert_eq!(bundle_json(&lookup.candidates[0]), bundle_bytes(1));
    assert_eq!(bundle_json(&lookup.candidates[1]), bundle_bytes(2));
    // Two signatures over one payload: one blob request serves both layers.
    assert_eq!(simple_signing(&lookup.candidates[2]).signature, "Zmlyc3Q=");
    assert_eq!(simple_signing(&lookup.candidates[3]).signature, "c2Vjb25k");
    assert_eq!(log.iter().filter(|l| l.contains("<payload>")).count(), 1);
    let [skipped] = lookup.skipped.as_slice() else {
        panic!("{:?}", lookup.skipped)
    };
    assert!(
        skipped.contains("artifactType application/spdx+json"),
        "{skipped}"
    );
    assert!(skipped.contains("not a Sigstore bundle"), "{skipped}");
    let mut reason = skipped.clone();
    for (hex, label) in &registry.labels {
        reason = reason.replace(hex, label);
    }
    insta::assert_snapshot!("sbom_skip_reason", reason);
}

#[test]
fn concurrent_driver_gets_the_same_result_in_fewer_rounds() {
    let registry = signed_both_ways();
    let (sequential, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    let (concurrent, rounds) = run_concurrently(&registry, IMAGE, LookupOptions::new());
    let concurrent = concurrent.unwrap();
    let rounds_text: Vec<String> = rounds.iter().map(|round| round.join("  |  ")).collect();
    insta::assert_snapshot!("concurrent_rounds", rounds_text.join("\n"));
    assert_eq!(rounds.iter().map(Vec::len).sum::<usize>(), log.len());
    assert!(rounds.len() < log.len());
    assert_eq!(format!("{concurrent:?}"), format!("{sequential:?}"));
}

#[test]
fn unsigned_image() {
    let mut registry = Registry::new();
    push_image(&mut registry, REPO, Some("v1"), "image");
    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    assert_eq!(log.len(), 4);
    assert!(lookup.candidates.is_empty());
    assert_eq!(
        statuses(&lookup),
        vec![
            (Source::Referrers, SourceStatus::Unsupported),
            (Source::ReferrersTagSchema, SourceStatus::Absent),
            (Source::LegacyTag, SourceStatus::Absent),
        ]
    );

    let mut registry = Registry::with_referrers_api();
    push_image(&mut registry, REPO, Some("v1"), "image");
    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    assert_eq!(log.len(), 3);
    assert_eq!(
        statuses(&lookup),
        vec![
            (Source::Referrers, SourceStatus::Found(0)),
            (Source::ReferrersTagSchema, SourceStatus::Skipped),
            (Source::LegacyTag, SourceStatus::Absent),
        ]
    );
}

#[test]
fn image_by_digest() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, None, "image");
    let digest = image["digest"].as_str().unwrap();
    let (lookup, log) = ok(run(
        &registry,
        &format!("{REPO}@{digest}"),
        LookupOptions::new(),
    ));
    assert_eq!(
        log[0],
        "HEAD registry.example/v2/org/app/manifests/sha256:<image>"
    );
    assert!(
        !log.iter()
            .any(|l| l.starts_with("GET") && l.contains("manifests/sha256:<image>")),
        "the image manifest is not fetched: {log:#?}"
    );
    assert_eq!(lookup.digest.to_string(), digest);

    // A registry whose HEAD names another digest serves another image.
    let other = "sha256:1111111111111111111111111111111111111111111111111111111111111111";
    registry.override_answer(
        &format!("HEAD registry.example/v2/org/app/manifests/{digest}"),
        Answer::Found {
            body: Vec::new(),
            content_type: Some(OCI_MANIFEST.to_owned()),
            docker_content_digest: Some(other.to_owned()),
        },
    );
    let error = err(run(
        &registry,
        &format!("{REPO}@{digest}"),
        LookupOptions::new(),
    ));
    assert!(
        matches!(error, Error::DigestMismatch { ref expected, ref found, .. } if expected == digest && found == other),
        "{error:?}"
    );
}

#[test]
fn head_answers_that_do_not_say_enough_lead_to_a_get() {
    // No Content-Type, an unknown one, or a tag without Docker-Content-Digest: the manifest
    // itself says what it is.
    for (content_type, with_digest) in [
        (None, true),
        (Some("text/plain"), true),
        (Some(OCI_MANIFEST), false),
    ] {
        let mut registry = Registry::new();
        let image = push_image(&mut registry, REPO, Some("v1"), "image");
        let digest = image["digest"].as_str().unwrap();
        registry.override_answer(
            "HEAD registry.example/v2/org/app/manifests/v1",
            Answer::Found {
                body: Vec::new(),
                content_type: content_type.map(str::to_owned),
                docker_content_digest: with_digest.then(|| digest.to_owned()),
            },
        );
        let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
        assert_eq!(
            log[..2],
            [
                "HEAD registry.example/v2/org/app/manifests/v1",
                "GET registry.example/v2/org/app/manifests/v1"
            ],
            "{content_type:?}, {with_digest}"
        );
        assert_eq!(lookup.digest.to_string(), digest);
    }
}

#[test]
fn docker_v2s2_signature_manifest() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let layer = signature_layer(&mut registry, REPO, &payload_for(&image), "c2ln");
    let config = registry.blob(
        REPO,
        "application/vnd.docker.container.image.v1+json",
        b"{}",
        "config",
    );
    registry.manifest(
        REPO,
        Some(&sig_tag(&image)),
        &json!({"schemaVersion": 2, "mediaType": DOCKER_MANIFEST, "config": config, "layers": [layer]}),
        "sig-manifest",
    );
    let (lookup, _) = ok(run(&registry, IMAGE, LookupOptions::new()));
    assert_eq!(lookup.candidates.len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Platforms and repositories
// ---------------------------------------------------------------------------------------------

fn push_index(registry: &mut Registry) -> (Value, Value, Value) {
    let amd64 = push_image(registry, REPO, None, "amd64");
    let arm64 = push_image(registry, REPO, None, "arm64");
    let mut amd64_entry = amd64.clone();
    amd64_entry["platform"] = json!({"os": "linux", "architecture": "amd64"});
    let mut arm64_entry = arm64.clone();
    arm64_entry["platform"] = json!({"os": "linux", "architecture": "arm64", "variant": "v8"});
    // buildx's provenance entry.
    let mut attestation = push_image(registry, REPO, None, "buildx-attestation");
    attestation["platform"] = json!({"os": "unknown", "architecture": "unknown"});
    attestation["annotations"] = json!({"vnd.docker.reference.type": "attestation-manifest"});
    let index = registry.manifest(
        REPO,
        Some("v1"),
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [amd64_entry, arm64_entry, attestation]}),
        "index",
    );
    (index, amd64, arm64)
}

#[test]
fn platform_selected_from_an_index() {
    let mut registry = Registry::new();
    let (index, _, arm64) = push_index(&mut registry);
    let layer = signature_layer(&mut registry, REPO, &payload_for(&arm64), "c2ln");
    push_legacy(&mut registry, REPO, &arm64, &[layer]);

    let options = LookupOptions::new().with_platform(Platform::parse("linux/arm64").unwrap());
    let (lookup, log) = ok(run(&registry, IMAGE, options));
    insta::assert_snapshot!("platform_selected", log.join("\n"));
    assert_eq!(lookup.digest.to_string(), arm64["digest"].as_str().unwrap());
    assert_eq!(
        lookup.index_digest.as_ref().unwrap().to_string(),
        index["digest"].as_str().unwrap()
    );
    assert_eq!(lookup.media_type, OCI_MANIFEST);
    let children: Vec<&str> = lookup.children.iter().map(|(_, p)| p.as_str()).collect();
    assert_eq!(
        children,
        ["linux/amd64", "linux/arm64/v8", "unknown/unknown"]
    );
    assert_eq!(lookup.candidates.len(), 1);

    // Without a platform the index itself is what signatures must name.
    let (lookup, _) = ok(run(&registry, IMAGE, LookupOptions::new()));
    assert_eq!(lookup.digest.to_string(), index["digest"].as_str().unwrap());
    assert_eq!(lookup.index_digest, None);
    assert_eq!(lookup.media_type, OCI_INDEX);
    assert!(
        lookup.children.is_empty(),
        "without a platform the index's headers suffice: it is not fetched"
    );
    assert!(lookup.candidates.is_empty());
}

#[test]
fn platform_not_in_the_index() {
    let mut registry = Registry::new();
    push_index(&mut registry);
    let options = LookupOptions::new().with_platform(Platform::parse("linux/s390x").unwrap());
    let error = err(run(&registry, IMAGE, options));
    let Error::PlatformNotFound {
        platform,
        available,
    } = &error
    else {
        panic!("{error:?}")
    };
    assert_eq!(platform, "linux/s390x");
    assert_eq!(available, "linux/amd64, linux/arm64/v8");
    insta::assert_snapshot!("platform_not_found", error.to_string());
}

#[test]
fn signature_repository_override() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let sigs = "sigs.example:5000/signatures/app";
    let layer = signature_layer(&mut registry, sigs, &payload_for(&image), "c2ln");
    push_legacy(&mut registry, sigs, &image, &[layer]);
    // A signature next to the image must not be found: only the override is read.
    let stray = signature_layer(&mut registry, REPO, b"stray", "c3RyYXk=");
    push_legacy(&mut registry, REPO, &image, &[stray]);

    let options = LookupOptions::new().with_signature_repository(repo(sigs));
    let (lookup, log) = ok(run(&registry, IMAGE, options));
    insta::assert_snapshot!("signature_repository_override", log.join("\n"));
    let [candidate] = lookup.candidates.as_slice() else {
        panic!("{:?}", lookup.candidates)
    };
    assert_eq!(simple_signing(candidate).signature, "c2ln");
}

// ---------------------------------------------------------------------------------------------
// What is skipped
// ---------------------------------------------------------------------------------------------

#[test]
fn referrer_naming_another_subject_is_skipped() {
    let mut registry = Registry::with_referrers_api();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let other = push_image(&mut registry, REPO, None, "other");
    let referrer = bundle_referrer(
        &mut registry,
        REPO,
        &other,
        &bundle_bytes(1),
        "bundle-other",
    );
    // A listing that claims it refers to our image.
    let mut entry = referrer;
    entry["artifactType"] = json!(BUNDLE);
    let key = format!("{REPO}@{}", image["digest"].as_str().unwrap());
    registry
        .referrers
        .as_mut()
        .unwrap()
        .insert(key, vec![entry]);

    let (lookup, _) = ok(run(&registry, IMAGE, LookupOptions::new()));
    assert!(lookup.candidates.is_empty());
    assert_eq!(
        lookup.sources[0],
        (Source::Referrers, SourceStatus::Found(0))
    );
    let [skipped] = lookup.skipped.as_slice() else {
        panic!("{:?}", lookup.skipped)
    };
    assert!(
        skipped.contains(&format!(
            "its subject is {}",
            other["digest"].as_str().unwrap()
        )),
        "{skipped}"
    );
}

#[test]
fn odd_referrers_and_layers_are_skipped_with_reasons() {
    let mut registry = Registry::with_referrers_api();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let config = empty_config(&mut registry, REPO);
    let old = registry.blob(
        REPO,
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
        b"{\"old\":1}",
        "old-bundle",
    );
    registry.manifest(
        REPO,
        None,
        &json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [old], "subject": image}),
        "old-referrer",
    );
    let a = registry.blob(REPO, BUNDLE, &bundle_bytes(7), "bundle-7");
    let b = registry.blob(REPO, BUNDLE, &bundle_bytes(8), "bundle-8");
    registry.manifest(
        REPO,
        None,
        &json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [a, b], "subject": image}),
        "two-layer-referrer",
    );
    let mut huge = registry.blob(REPO, BUNDLE, &bundle_bytes(9), "bundle-9");
    huge["size"] = json!(vouch_oci::MAX_PAYLOAD_BYTES + 1);
    registry.manifest(
        REPO,
        None,
        &json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [huge], "subject": image}),
        "huge-referrer",
    );
    let nested = registry.manifest(
        REPO,
        None,
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [], "subject": image}),
        "index-referrer",
    );
    assert_eq!(nested["mediaType"], OCI_INDEX);
    // Listed, but gone from the registry.
    let missing = bundle_referrer(&mut registry, REPO, &image, &bundle_bytes(10), "gone");
    registry.override_answer(
        &format!(
            "GET registry.example/v2/org/app/manifests/{}",
            missing["digest"].as_str().unwrap()
        ),
        Answer::NotFound,
    );
    // Legacy layers: one of another type, one without a signature, one good.
    let other = registry.blob(
        REPO,
        "application/vnd.dev.cosign.attestation.v1+json",
        b"att",
        "attestation",
    );
    let mut unsigned = registry.blob(
        REPO,
        SIMPLE_SIGNING,
        b"unsigned payload",
        "unsigned-payload",
    );
    unsigned["annotations"] = json!({"dev.sigstore.cosign/certificate": "x"});
    let good = signature_layer(&mut registry, REPO, &payload_for(&image), "Z29vZA==");
    push_legacy(&mut registry, REPO, &image, &[other, unsigned, good]);

    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    let (concurrent, _) = run_concurrently(&registry, IMAGE, LookupOptions::new());
    assert_eq!(format!("{:?}", concurrent.unwrap()), format!("{lookup:?}"));
    // The bundle over the size limit is not fetched, and not dropped either: a signature that
    // could not be checked.
    assert_eq!(lookup.candidates.len(), 2);
    let CandidateContent::Unchecked { kind, reason } = &lookup.candidates[0].content else {
        panic!("{:?}", lookup.candidates[0]);
    };
    assert_eq!(*kind, vouch_oci::SignatureKind::Bundle);
    assert!(
        reason.contains(&format!(
            "declared {} bytes, over the limit of {} bytes",
            vouch_oci::MAX_PAYLOAD_BYTES + 1,
            vouch_oci::MAX_PAYLOAD_BYTES
        )),
        "{reason}"
    );
    assert_eq!(simple_signing(&lookup.candidates[1]).signature, "Z29vZA==");
    let mut skipped = lookup.skipped.join("\n");
    for (hex, label) in &registry.labels {
        skipped = skipped.replace(hex, label);
    }
    insta::assert_snapshot!("skip_reasons", skipped);
    insta::assert_snapshot!("skip_reasons_requests", log.join("\n"));
}

#[test]
fn tag_schema_holding_an_image_manifest_is_not_a_listing() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let tag = image["digest"].as_str().unwrap().replace(':', "-");
    push_image(&mut registry, REPO, Some(&tag), "attached");
    let (lookup, _) = ok(run(&registry, IMAGE, LookupOptions::new()));
    assert_eq!(
        lookup.sources[1],
        (Source::ReferrersTagSchema, SourceStatus::Found(0))
    );
    assert_eq!(lookup.skipped.len(), 1);
    assert!(
        lookup.skipped[0].contains("not a referrers tag-schema index"),
        "{:?}",
        lookup.skipped
    );
}

#[test]
fn referrers_beyond_the_cap_are_not_fetched() {
    let mut registry = Registry::with_referrers_api();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    for n in 0..=MAX_REFERRERS {
        bundle_referrer(
            &mut registry,
            REPO,
            &image,
            &bundle_bytes(u32::try_from(n).unwrap()),
            &format!("b{n}"),
        );
    }
    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    assert_eq!(log.len(), 1 + 1 + 2 * MAX_REFERRERS + 1);
    // The rest may hold signatures: one candidate that could not be checked says so.
    assert_eq!(lookup.candidates.len(), MAX_REFERRERS + 1);
    let CandidateContent::Unchecked { reason, .. } = &lookup.candidates[MAX_REFERRERS].content
    else {
        panic!("{:?}", lookup.candidates[MAX_REFERRERS]);
    };
    assert!(
        reason.starts_with(&format!(
            "the referrers API lists 1 more referrer after the first {MAX_REFERRERS} (from sha256:"
        )),
        "{reason}"
    );
    assert!(lookup.skipped.is_empty(), "{:?}", lookup.skipped);
}

/// A bundle of about `len` bytes.
fn padded_bundle(n: u32, len: usize) -> Vec<u8> {
    format!(
        r#"{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","n":{n},"pad":"{}"}}"#,
        "x".repeat(len)
    )
    .into_bytes()
}

#[test]
fn signatures_beyond_the_byte_budget_are_unchecked_in_listing_order() {
    let mut registry = Registry::with_referrers_api();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let big = usize::try_from(vouch_oci::MAX_SIGNATURE_BYTES * 2 / 5).unwrap();
    let referrers: Vec<Value> = (0..3)
        .map(|n| {
            bundle_referrer(
                &mut registry,
                REPO,
                &image,
                &padded_bundle(n, big),
                &format!("b{n}"),
            )
        })
        .collect();
    let layers: Vec<Value> = (0..3)
        .map(|n| {
            let mut payload = payload_for(&image);
            payload.extend(std::iter::repeat_n(b' ', big + n));
            signature_layer(&mut registry, REPO, &payload, &format!("sig{n}"))
        })
        .collect();
    push_legacy(&mut registry, REPO, &image, &layers);
    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    // Answered in reverse order, rounds of concurrent fetches decide the same.
    let (concurrent, _) = run_concurrently(&registry, IMAGE, LookupOptions::new());
    assert_eq!(format!("{:?}", concurrent.unwrap()), format!("{lookup:?}"));
    let unchecked: Vec<(Source, String, &str)> = lookup
        .candidates
        .iter()
        .filter_map(|c| match &c.content {
            CandidateContent::Unchecked { reason, .. } => {
                Some((c.source, c.manifest_digest.to_string(), reason.as_str()))
            }
            _ => None,
        })
        .collect();
    let [
        (Source::Referrers, referrer, bundle),
        (Source::LegacyTag, _, payload),
    ] = unchecked.as_slice()
    else {
        panic!("{unchecked:?}");
    };
    assert_eq!(referrer, referrers[2]["digest"].as_str().unwrap());
    for reason in [bundle, payload] {
        assert!(
            reason.contains(&format!(
                "would exceed {} bytes",
                vouch_oci::MAX_SIGNATURE_BYTES
            )),
            "{reason}"
        );
    }
    assert!(payload.contains("layer 2"), "{payload}");
    // The first two of each place were fetched, the third was not.
    assert_eq!(lookup.candidates.len(), 6);
    assert!(log.iter().any(|l| l.ends_with("<b1-json>")), "{log:?}");
    assert!(!log.iter().any(|l| l.ends_with("<b2-json>")), "{log:?}");
    assert_eq!(
        log.iter().filter(|l| l.contains("/blobs/")).count(),
        4,
        "{log:?}"
    );
}

#[test]
fn a_payload_over_the_limit_is_unchecked_not_unsigned() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let mut layer = signature_layer(&mut registry, REPO, &payload_for(&image), "c2ln");
    layer["size"] = json!(100 * 1000 * 1000);
    push_legacy(&mut registry, REPO, &image, &[layer]);
    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    assert!(!log.iter().any(|l| l.contains("/blobs/")), "{log:?}");
    let [candidate] = lookup.candidates.as_slice() else {
        panic!("{:?}", lookup.candidates);
    };
    let CandidateContent::Unchecked { kind, reason } = &candidate.content else {
        panic!("{candidate:?}");
    };
    assert_eq!(*kind, vouch_oci::SignatureKind::SimpleSigning);
    assert!(
        reason.contains("payload declared 100000000 bytes, over the limit of 1048576 bytes"),
        "{reason}"
    );
    assert_eq!(
        statuses(&lookup)[2],
        (Source::LegacyTag, SourceStatus::Found(1))
    );
}

#[test]
fn a_thousand_signatures_over_one_payload_take_one_blob_request() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let payload = payload_for(&image);
    let layers: Vec<Value> = (0..vouch_oci::MAX_SIGNATURE_LAYERS)
        .map(|n| signature_layer(&mut registry, REPO, &payload, &format!("sig{n}")))
        .collect();
    push_legacy(&mut registry, REPO, &image, &layers);
    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    assert_eq!(log.len(), 5);
    assert_eq!(lookup.candidates.len(), vouch_oci::MAX_SIGNATURE_LAYERS);
    assert_eq!(simple_signing(&lookup.candidates[999]).signature, "sig999");
}

// ---------------------------------------------------------------------------------------------
// Errors: a missing image, a lying registry, broken listings
// ---------------------------------------------------------------------------------------------

#[test]
fn image_not_found() {
    let registry = Registry::new();
    let error = err(run(&registry, IMAGE, LookupOptions::new()));
    assert!(
        matches!(error, Error::ImageNotFound { ref image } if image == IMAGE),
        "{error:?}"
    );
}

#[test]
fn manifest_by_digest_not_matching_its_digest() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, None, "image");
    let digest = image["digest"].as_str().unwrap();
    let key = format!("GET registry.example/v2/org/app/manifests/{digest}");
    let Answer::Found {
        mut body,
        content_type,
        ..
    } = registry.answer_for(&key)
    else {
        panic!()
    };
    body.push(b' ');
    registry.head_says_nothing(digest);
    registry.override_answer(
        &key,
        Answer::Found {
            body,
            content_type,
            docker_content_digest: None,
        },
    );
    let error = err(run(
        &registry,
        &format!("{REPO}@{digest}"),
        LookupOptions::new(),
    ));
    assert!(
        matches!(error, Error::DigestMismatch { ref expected, .. } if expected == digest),
        "{error:?}"
    );
}

#[test]
fn wrong_docker_content_digest() {
    for header in [
        "sha256:0000000000000000000000000000000000000000000000000000000000000000",
        "sha512:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000",
        "not a digest",
    ] {
        let mut registry = Registry::new();
        push_image(&mut registry, REPO, Some("v1"), "image");
        registry.head_says_nothing("v1");
        let key = "GET registry.example/v2/org/app/manifests/v1";
        let Answer::Found {
            body, content_type, ..
        } = registry.answer_for(key)
        else {
            panic!()
        };
        registry.override_answer(
            key,
            Answer::Found {
                body,
                content_type,
                docker_content_digest: Some(header.to_owned()),
            },
        );
        let error = err(run(&registry, IMAGE, LookupOptions::new()));
        assert!(
            matches!(error, Error::DigestMismatch { .. }),
            "{header}: {error:?}"
        );
    }
    // A header with the other algorithm is checked with that algorithm.
    let mut registry = Registry::new();
    push_image(&mut registry, REPO, Some("v1"), "image");
    registry.head_says_nothing("v1");
    let key = "GET registry.example/v2/org/app/manifests/v1";
    let Answer::Found {
        body, content_type, ..
    } = registry.answer_for(key)
    else {
        panic!()
    };
    let header = format!(
        "sha512:{}",
        hex::encode(<sha2::Sha512 as sha2::Digest>::digest(&body))
    );
    registry.override_answer(
        key,
        Answer::Found {
            body,
            content_type,
            docker_content_digest: Some(header),
        },
    );
    ok(run(&registry, IMAGE, LookupOptions::new()));
}

#[test]
fn wrong_docker_content_digest_on_a_signature_manifest() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let layer = signature_layer(&mut registry, REPO, &payload_for(&image), "c2ln");
    push_legacy(&mut registry, REPO, &image, &[layer]);
    let key = format!(
        "GET registry.example/v2/org/app/manifests/{}",
        sig_tag(&image)
    );
    let Answer::Found {
        body, content_type, ..
    } = registry.answer_for(&key)
    else {
        panic!()
    };
    let wrong = format!("sha256:{}", "1".repeat(64));
    registry.override_answer(
        &key,
        Answer::Found {
            body,
            content_type,
            docker_content_digest: Some(wrong),
        },
    );
    assert!(matches!(
        err(run(&registry, IMAGE, LookupOptions::new())),
        Error::DigestMismatch { .. }
    ));
}

#[test]
fn blob_not_matching_its_digest() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let payload = payload_for(&image);
    let layer = signature_layer(&mut registry, REPO, &payload, "c2ln");
    push_legacy(&mut registry, REPO, &image, std::slice::from_ref(&layer));
    let mut tampered = payload.clone();
    tampered[0] = b'[';
    registry.override_answer(
        &format!(
            "GET registry.example/v2/org/app/blobs/{}",
            layer["digest"].as_str().unwrap()
        ),
        Answer::Found {
            body: tampered,
            content_type: None,
            docker_content_digest: None,
        },
    );
    let error = err(run(&registry, IMAGE, LookupOptions::new()));
    assert!(matches!(error, Error::DigestMismatch { .. }), "{error:?}");
}

#[test]
fn referrer_manifest_not_matching_its_digest() {
    let mut registry = Registry::with_referrers_api();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let referrer = bundle_referrer(&mut registry, REPO, &image, &bundle_bytes(1), "r");
    let key = format!(
        "GET registry.example/v2/org/app/manifests/{}",
        referrer["digest"].as_str().unwrap()
    );
    let Answer::Found {
        mut body,
        content_type,
        ..
    } = registry.answer_for(&key)
    else {
        panic!()
    };
    body.insert(0, b' ');
    registry.override_answer(
        &key,
        Answer::Found {
            body,
            content_type,
            docker_content_digest: None,
        },
    );
    let error = err(run(&registry, IMAGE, LookupOptions::new()));
    assert!(matches!(error, Error::DigestMismatch { .. }), "{error:?}");
}

#[test]
fn descriptor_size_mismatch() {
    // Declared larger than the blob: the whole (short) body arrives.
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let payload = payload_for(&image);
    let mut layer = signature_layer(&mut registry, REPO, &payload, "c2ln");
    layer["size"] = json!(payload.len() + 1);
    push_legacy(&mut registry, REPO, &image, &[layer]);
    let error = err(run(&registry, IMAGE, LookupOptions::new()));
    assert!(
        matches!(error, Error::SizeMismatch { expected, found, .. } if expected == found + 1),
        "{error:?}"
    );
    insta::assert_snapshot!(
        "size_mismatch",
        error
            .to_string()
            .replace(&sha256_hex(&payload), "<payload>")
    );

    // Declared smaller: the driver stops at the declared size.
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let mut layer = signature_layer(&mut registry, REPO, &payload, "c2ln");
    layer["size"] = json!(payload.len() - 1);
    push_legacy(&mut registry, REPO, &image, &[layer]);
    let error = err(run(&registry, IMAGE, LookupOptions::new()));
    assert!(matches!(error, Error::TooLarge { .. }), "{error:?}");

    // A referrer manifest whose listing entry has the wrong size.
    let mut registry = Registry::with_referrers_api();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    bundle_referrer(&mut registry, REPO, &image, &bundle_bytes(1), "r");
    let key = format!("{REPO}@{}", image["digest"].as_str().unwrap());
    let listing = registry.referrers.as_mut().unwrap().get_mut(&key).unwrap();
    listing[0]["size"] = json!(listing[0]["size"].as_u64().unwrap() + 5);
    let error = err(run(&registry, IMAGE, LookupOptions::new()));
    assert!(matches!(error, Error::SizeMismatch { .. }), "{error:?}");
}

#[test]
fn more_than_a_thousand_layers() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let payload = payload_for(&image);
    let layers: Vec<Value> = (0..=vouch_oci::MAX_SIGNATURE_LAYERS)
        .map(|_| signature_layer(&mut registry, REPO, &payload, "c2ln"))
        .collect();
    push_legacy(&mut registry, REPO, &image, &layers);
    let (result, log) = run(&registry, IMAGE, LookupOptions::new());
    let error = result.unwrap_err();
    assert!(
        matches!(error, Error::TooLarge { ref limit, .. } if limit == "1000 layers"),
        "{error:?}"
    );
    assert!(
        !log.iter().any(|l| l.contains("/blobs/")),
        "no payload fetched: {log:?}"
    );
}

#[test]
fn oversized_manifest() {
    let mut registry = Registry::new();
    let mut body = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": OCI_CONFIG, "digest": digest_of(b"{}"), "size": 2}, "layers": []})).unwrap();
    body.pop();
    body.extend(std::iter::repeat_n(b' ', 4 * 1024 * 1024));
    body.push(b'}');
    registry.put(
        "GET registry.example/v2/org/app/manifests/v1".into(),
        &body,
        Some(OCI_MANIFEST),
        false,
    );
    let error = err(run(&registry, IMAGE, LookupOptions::new()));
    assert!(matches!(error, Error::TooLarge { .. }), "{error:?}");
    insta::assert_snapshot!("oversized_manifest", error.to_string());

    // A driver that does not stop reading gets the same answer.
    registry.honour_max_len = false;
    let error = err(run(&registry, IMAGE, LookupOptions::new()));
    assert!(matches!(error, Error::TooLarge { .. }), "{error:?}");
}

#[test]
fn oversized_bundle_blob_from_a_driver_that_does_not_stop() {
    let mut registry = Registry::with_referrers_api();
    registry.honour_max_len = false;
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let config = empty_config(&mut registry, REPO);
    let mut layer = registry.blob(REPO, BUNDLE, &bundle_bytes(1), "bundle");
    layer["size"] = json!(3);
    registry.manifest(
        REPO,
        None,
        &json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer], "subject": image}),
        "r",
    );
    let error = err(run(&registry, IMAGE, LookupOptions::new()));
    assert!(
        matches!(error, Error::TooLarge { ref limit, .. } if limit.starts_with("3 bytes")),
        "{error:?}"
    );
}

#[test]
fn malformed_json() {
    for body in [
        &b"{not json"[..],
        b"",
        b"[]",
        b"{\"schemaVersion\":2}",
        b"{\"schemaVersion\":1,\"name\":\"x\"}",
    ] {
        let mut registry = Registry::new();
        registry.put(
            "GET registry.example/v2/org/app/manifests/v1".into(),
            body,
            Some(OCI_MANIFEST),
            true,
        );
        registry.head_says_nothing("v1");
        let error = err(run(&registry, IMAGE, LookupOptions::new()));
        if body.starts_with(b"{\"schemaVersion\":1") {
            // Docker's schema 1 has an error of its own (the CLI's hint hangs on it).
            assert!(matches!(error, Error::SchemaV1Manifest { .. }), "{error:?}");
        } else {
            assert!(matches!(error, Error::Malformed { .. }), "{error:?}");
        }
    }
    // A malformed `.sig` manifest is an error too: it would hide the signatures.
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    registry.put(
        format!("GET registry.example/v2/org/app/manifests/{}", sig_tag(&image)),
        b"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"layers\":{}}",
        Some(OCI_MANIFEST),
        true,
    );
    let error = err(run(&registry, IMAGE, LookupOptions::new()));
    assert!(matches!(error, Error::Malformed { .. }), "{error:?}");
    let image_hex = image["digest"]
        .as_str()
        .unwrap()
        .trim_start_matches("sha256:");
    insta::assert_snapshot!(
        "malformed_sig_manifest",
        error.to_string().replace(image_hex, "<image>")
    );
}

#[test]
fn referrers_api_answering_garbage_is_an_error_not_unsigned() {
    let not_an_index = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": {"mediaType": OCI_EMPTY, "digest": digest_of(b"{}"), "size": 2}, "layers": []})).unwrap();
    let docker_list = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json", "manifests": []})).unwrap();
    for body in [
        b"<html>rate limited</html>".to_vec(),
        b"{}".to_vec(),
        not_an_index,
        docker_list,
    ] {
        let mut registry = Registry::with_referrers_api();
        let image = push_image(&mut registry, REPO, Some("v1"), "image");
        registry.override_answer(
            &format!(
                "GET registry.example/v2/org/app/referrers/{}",
                image["digest"].as_str().unwrap()
            ),
            Answer::Found {
                body,
                content_type: Some("text/html".into()),
                docker_content_digest: None,
            },
        );
        let error = err(run(&registry, IMAGE, LookupOptions::new()));
        assert!(matches!(error, Error::Malformed { .. }), "{error:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Driving it wrong, and arbitrary answers
// ---------------------------------------------------------------------------------------------

#[test]
fn out_of_order_use_is_an_error() {
    let mut registry = Registry::new();
    push_image(&mut registry, REPO, Some("v1"), "image");
    let image = ImageRef::parse(IMAGE).unwrap();

    // finish before done.
    let mut lookup = SignatureLookup::new(image.clone(), LookupOptions::new());
    let fetch = lookup.next_fetch().unwrap();
    assert!(matches!(
        SignatureLookup::new(image.clone(), LookupOptions::new()).finish(),
        Err(Error::LookupOutOfOrder { .. })
    ));

    // An answer to something not asked for.
    let stray = Fetch::Blob {
        repository: repo(REPO),
        digest: OciDigest::sha256_of(b"x"),
        size: 1,
    };
    assert!(matches!(
        lookup.on_response(&stray, Response::NotFound),
        Err(Error::LookupOutOfOrder { .. })
    ));
    // The stray answer poisons the lookup: a driver bug is not papered over.
    assert!(lookup.next_fetch().is_none());

    // Answering twice.
    let mut lookup = SignatureLookup::new(image.clone(), LookupOptions::new());
    let fetch2 = lookup.next_fetch().unwrap();
    assert_eq!(fetch, fetch2);
    let answer = registry.answer(&fetch2);
    lookup
        .on_response(&fetch2, registry.respond(&fetch2, &answer))
        .unwrap();
    assert!(matches!(
        lookup.on_response(&fetch2, registry.respond(&fetch2, &answer)),
        Err(Error::LookupOutOfOrder { .. })
    ));
    assert!(matches!(
        lookup.finish(),
        Err(Error::LookupOutOfOrder { .. })
    ));

    // finish with fetches outstanding.
    let mut lookup = SignatureLookup::new(image, LookupOptions::new());
    let fetch = lookup.next_fetch().unwrap();
    let answer = registry.answer(&fetch);
    lookup
        .on_response(&fetch, registry.respond(&fetch, &answer))
        .unwrap();
    assert!(lookup.digest().is_some());
    let _referrers = lookup.next_fetch().unwrap();
    let error = lookup.finish().unwrap_err();
    insta::assert_snapshot!("finish_too_early", error.to_string());
}

impl Registry {
    fn answer_for(&self, key: &str) -> Answer {
        self.answers.get(key).cloned().unwrap_or(Answer::NotFound)
    }
}

/// Every answer of the both-ways scenario replaced, one at a time, by mutated bytes: the
/// lookup must return (Ok or Err), never panic.
#[test]
fn arbitrary_answers_never_panic() {
    let registry = signed_both_ways();
    let (_, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for step in 0..log.len() {
        for round in 0..40 {
            let mut lookup =
                SignatureLookup::new(ImageRef::parse(IMAGE).unwrap(), LookupOptions::new());
            let mut n = 0;
            while let Some(fetch) = lookup.next_fetch() {
                let answer = registry.answer(&fetch);
                let answer = if n == step {
                    // No Docker-Content-Digest: let the mutated bytes reach the parsers.
                    let Answer::Found {
                        mut body,
                        content_type,
                        ..
                    } = answer
                    else {
                        break;
                    };
                    match round % 4 {
                        0 => body.truncate(usize::try_from(next()).unwrap() % (body.len() + 1)),
                        1 => {
                            for _ in 0..1 + next() % 4 {
                                if !body.is_empty() {
                                    let i = usize::try_from(next()).unwrap() % body.len();
                                    body[i] = u8::try_from(next() % 256).unwrap();
                                }
                            }
                        }
                        2 => {
                            body = (0..next() % 64)
                                .map(|_| u8::try_from(next() % 256).unwrap())
                                .collect()
                        }
                        _ => {
                            let insert = [
                                &b"{"[..],
                                b"}",
                                b"[",
                                b"\"",
                                b"null",
                                b"-1",
                                b"1e999",
                                b"\\u0000",
                            ];
                            let piece = insert[usize::try_from(next()).unwrap() % insert.len()];
                            let i = usize::try_from(next()).unwrap() % (body.len() + 1);
                            body.splice(i..i, piece.iter().copied());
                        }
                    }
                    Answer::Found {
                        body,
                        content_type,
                        docker_content_digest: None,
                    }
                } else {
                    answer
                };
                n += 1;
                if lookup
                    .on_response(&fetch, registry.respond(&fetch, &answer))
                    .is_err()
                {
                    break;
                }
            }
            let _ = lookup.finish();
        }
    }
}

/// cosign 2's `.att` tag: read only when attestations are asked for, one candidate per DSSE
/// layer with the layer's annotations; layers of other media types skipped.
#[test]
fn att_tag_is_read_for_attestation_lookups_only() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let envelope = br#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"c2ln"}]}"#;
    let mut layer = registry.blob(
        REPO,
        "application/vnd.dsse.envelope.v1+json",
        envelope,
        "envelope",
    );
    layer["annotations"] = json!({
        "dev.cosignproject.cosign/signature": "",
        "predicateType": "https://slsa.dev/provenance/v1",
        "dev.sigstore.cosign/certificate": "-----BEGIN CERTIFICATE-----\nleaf\n-----END CERTIFICATE-----\n",
        "dev.sigstore.cosign/bundle": "{\"SignedEntryTimestamp\":\"c2V0\"}",
        "unrelated": "dropped",
    });
    let other = registry.blob(REPO, SIMPLE_SIGNING, b"not an envelope", "other");
    let config = registry.blob(REPO, OCI_CONFIG, b"{\"rootfs\":{}}", "att-config");
    let att_tag = format!(
        "{}.att",
        image["digest"].as_str().unwrap().replace(':', "-")
    );
    let att = registry.manifest(
        REPO,
        Some(&att_tag),
        &json!({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer, other]}),
        "att-manifest",
    );

    // A signature lookup never asks for it.
    let (lookup, log) = ok(run(&registry, IMAGE, LookupOptions::new()));
    assert!(!log.iter().any(|l| l.contains(".att")), "{log:#?}");
    assert!(lookup.candidates.is_empty());

    let (lookup, log) = ok(run(
        &registry,
        IMAGE,
        LookupOptions::new().with_attestations(),
    ));
    assert_eq!(log.len(), 6, "{log:#?}");
    assert_eq!(
        statuses(&lookup),
        vec![
            (Source::Referrers, SourceStatus::Unsupported),
            (Source::ReferrersTagSchema, SourceStatus::Absent),
            (Source::LegacyTag, SourceStatus::Absent),
            (Source::LegacyAttestationTag, SourceStatus::Found(1)),
        ]
    );
    let [candidate] = lookup.candidates.as_slice() else {
        panic!("{:?}", lookup.candidates)
    };
    assert_eq!(candidate.source, Source::LegacyAttestationTag);
    assert_eq!(
        candidate.manifest_digest.to_string(),
        att["digest"].as_str().unwrap()
    );
    let CandidateContent::LegacyAttestation(found) = &candidate.content else {
        panic!("{candidate:?}")
    };
    assert_eq!(found.envelope, envelope);
    assert_eq!(
        found.predicate_type.as_deref(),
        Some("https://slsa.dev/provenance/v1")
    );
    assert!(found.certificate.as_deref().unwrap().contains("leaf"));
    assert_eq!(
        found.rekor_bundle.as_deref(),
        Some("{\"SignedEntryTimestamp\":\"c2V0\"}")
    );
    assert_eq!(lookup.skipped.len(), 1, "{:?}", lookup.skipped);
    assert!(lookup.skipped[0].contains("not application/vnd.dsse.envelope.v1+json"));

    // The same result whatever order the answers come in.
    let (concurrent, _) =
        run_concurrently(&registry, IMAGE, LookupOptions::new().with_attestations());
    assert_eq!(concurrent.unwrap().candidates.len(), 1);

    // A lookup for attestations alone does not ask for the `.sig` tag: one request fewer.
    let (alone, alone_log) = ok(run(
        &registry,
        IMAGE,
        LookupOptions::new()
            .with_attestations()
            .without_signature_tag(),
    ));
    assert_eq!(alone_log.len(), 5, "{alone_log:#?}");
    assert!(
        !alone_log.iter().any(|l| l.contains(".sig")),
        "{alone_log:#?}"
    );
    assert_eq!(
        statuses(&alone)[2],
        (Source::LegacyTag, SourceStatus::Skipped)
    );
    assert_eq!(alone.candidates.len(), 1);
}

/// A bundle over the signature limit (1 MiB), such as an SBOM attestation: not fetched, and
/// reported unchecked, by a signature lookup; fetched by one with attestation sizes.
#[test]
fn large_bundles_are_fetched_only_with_attestation_sizes() {
    let mut registry = Registry::new();
    let image = push_image(&mut registry, REPO, Some("v1"), "image");
    let padding = "x".repeat(3 << 20);
    let big = format!(
        r#"{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","pad":"{padding}"}}"#
    )
    .into_bytes();
    let entry = bundle_referrer(&mut registry, REPO, &image, &big, "sbom-referrer");
    let tag = image["digest"].as_str().unwrap().replace(':', "-");
    registry.manifest(
        REPO,
        Some(&tag),
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": [entry]}),
        "tag-schema-index",
    );

    let (lookup, _) = ok(run(&registry, IMAGE, LookupOptions::new()));
    let [candidate] = lookup.candidates.as_slice() else {
        panic!("{:?}", lookup.candidates)
    };
    let CandidateContent::Unchecked { reason, .. } = &candidate.content else {
        panic!("{candidate:?}")
    };
    assert!(
        reason.contains("over the limit of 1048576 bytes"),
        "{reason}"
    );

    let options = LookupOptions::new()
        .with_attestations()
        .with_attestation_sizes();
    let (lookup, _) = ok(run(&registry, IMAGE, options));
    let [candidate] = lookup.candidates.as_slice() else {
        panic!("{:?}", lookup.candidates)
    };
    assert_eq!(bundle_json(candidate), big);
}
