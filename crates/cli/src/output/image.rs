//! Output of `verify`, `triangulate` and `tree`: verdict lines and JSON on stdout.

use serde::Serialize;
use vouch_oci::{
    ImageVerifyError, Lookup, Rejection, RejectionCategory, SignatureCandidate, Source,
    SourceStatus, VerifiedImage, VerifiedSignature,
};

use super::{Mark, json, line, stdout};
use crate::exit;

/// What happened to one image.
#[derive(Debug)]
pub(crate) struct ImageResult {
    /// The reference as given on the command line.
    pub(crate) given: String,
    /// How the image is named in output: the normalised reference, or the layout as given.
    pub(crate) image: String,
    /// The lookup, if it completed.
    pub(crate) lookup: Option<Lookup>,
    pub(crate) verdict: anyhow::Result<VerifiedImage>,
}

impl ImageResult {
    pub(crate) fn exit_code(&self) -> u8 {
        match &self.verdict {
            Ok(_) => exit::VERIFIED,
            Err(err) => exit::code(err),
        }
    }
}

/// One line per image (`✅`/`❌`), then one line per verified and per rejected signature.
pub(crate) fn text(results: &[ImageResult]) -> anyhow::Result<()> {
    let mut text = String::new();
    for result in results {
        let digest = result
            .lookup
            .as_ref()
            .map(|lookup| format!(" ({})", lookup.digest))
            .unwrap_or_default();
        match &result.verdict {
            Ok(verified) => {
                line(
                    &mut text,
                    &format!("{} {}{digest}: verified", Mark::Ok, result.image),
                );
                for signature in verified.verified() {
                    line(
                        &mut text,
                        &format!("   {} {}", Mark::Accepted, signature_line(signature)),
                    );
                }
                for rejection in verified.rejected() {
                    line(
                        &mut text,
                        &format!("   {} {}", Mark::Rejected, rejection_line(rejection)),
                    );
                }
            }
            Err(err) => {
                line(
                    &mut text,
                    &format!(
                        "{} {}{digest}: {}",
                        Mark::Failed,
                        result.image,
                        short_reason(err)
                    ),
                );
                for rejection in rejections(err) {
                    line(
                        &mut text,
                        &format!("   {} {}", Mark::Rejected, rejection_line(rejection)),
                    );
                }
            }
        }
    }
    let verified = results.iter().filter(|r| r.verdict.is_ok()).count();
    if results.len() > 1 {
        line(
            &mut text,
            &format!("{verified} of {} images verified", results.len()),
        );
    }
    stdout(&text)
}

pub(crate) fn signature_line(signature: &VerifiedSignature) -> String {
    format!(
        "{} signature from {} ({}): {}",
        signature.kind(),
        source_name(signature.source()),
        signature.manifest_digest(),
        super::signer_and_log(signature.bundle())
    )
}

fn rejection_line(rejection: &Rejection) -> String {
    format!(
        "{} signature from {} ({}) rejected [{}]: {}",
        rejection.kind(),
        source_name(rejection.source()),
        rejection.manifest_digest(),
        rejection.category(),
        rejection.reason()
    )
}

fn source_name(source: Source) -> &'static str {
    match source {
        Source::Referrers => "the referrers API",
        Source::ReferrersTagSchema => "the referrers tag",
        Source::LegacyTag => "the legacy .sig tag",
        Source::LegacyAttestationTag => "the legacy .att tag",
        _ => "elsewhere",
    }
}

/// A few words for the `❌` line; the whole error with hints goes to stderr.
fn short_reason(err: &anyhow::Error) -> String {
    for cause in err.chain() {
        if let Some(err) = cause.downcast_ref::<ImageVerifyError>() {
            return match err {
                ImageVerifyError::NoSignatures { sources, .. } => {
                    format!("no signatures found ({})", sources_text(sources))
                }
                ImageVerifyError::NoneValid { rejected, .. } => format!(
                    "not verified: {} found, none valid for this key or policy",
                    plural(rejected.len(), "signature")
                ),
                ImageVerifyError::Unchecked { rejected, .. } => {
                    let unchecked = rejected
                        .iter()
                        .filter(|r| r.category() == RejectionCategory::Unchecked)
                        .count();
                    format!(
                        "not verified: {} found, {unchecked} could not be checked (over vouch's limits), none valid for this key or policy",
                        plural(rejected.len(), "signature")
                    )
                }
                _ => "not verified".to_owned(),
            };
        }
    }
    format!("{err:#}")
}

fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn sources_text(sources: &[(Source, SourceStatus)]) -> String {
    sources
        .iter()
        .map(|(source, status)| format!("{}: {}", source.as_str(), status_text(status)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn status_text(status: &SourceStatus) -> String {
    match status {
        SourceStatus::Found(n) => format!("{n} found"),
        SourceStatus::Absent => "none".to_owned(),
        SourceStatus::Unsupported => "not supported by the registry".to_owned(),
        SourceStatus::Skipped => "not needed".to_owned(),
        _ => "unknown".to_owned(),
    }
}

/// Every rejected signature of a verdict, valid or not.
pub(crate) fn rejections_of(verdict: &anyhow::Result<VerifiedImage>) -> &[Rejection] {
    match verdict {
        Ok(verified) => verified.rejected(),
        Err(err) => rejections(err),
    }
}

fn rejections(err: &anyhow::Error) -> &[Rejection] {
    for cause in err.chain() {
        if let Some(
            ImageVerifyError::NoneValid { rejected, .. }
            | ImageVerifyError::Unchecked { rejected, .. },
        ) = cause.downcast_ref::<ImageVerifyError>()
        {
            return rejected;
        }
    }
    &[]
}

/// The image's `verdict` in JSON: `valid`, `invalid` (signatures found, none valid),
/// `unchecked` (none valid, some over vouch's limits), `unsigned`, or `error` (the lookup
/// failed: no answer about signatures).
fn verdict(result: &ImageResult) -> &'static str {
    let Err(err) = &result.verdict else {
        return "valid";
    };
    for cause in err.chain() {
        if let Some(err) = cause.downcast_ref::<ImageVerifyError>() {
            return match err {
                ImageVerifyError::NoSignatures { .. } => "unsigned",
                ImageVerifyError::Unchecked { .. } => "unchecked",
                _ => "invalid",
            };
        }
    }
    "error"
}

/// `verify --output json`.
pub(crate) fn json_report(results: &[ImageResult], registry_requests: u64) -> anyhow::Result<()> {
    let images: Vec<ImageJson<'_>> = results.iter().map(ImageJson::new).collect();
    let exit_code = images
        .iter()
        .map(|i| i.exit_code)
        .fold(exit::VERIFIED, exit::worst);
    json(&VerifyReport {
        verified: images.iter().filter(|i| i.verified).count(),
        total: images.len(),
        exit_code,
        registry_requests,
        images,
    })
}

#[derive(Debug, Serialize)]
struct VerifyReport<'a> {
    /// The process's exit code: the highest of the images'.
    exit_code: u8,
    verified: usize,
    total: usize,
    /// HTTP exchanges with registries and token services, retries and redirects included.
    registry_requests: u64,
    images: Vec<ImageJson<'a>>,
}

#[derive(Debug, Serialize)]
struct ImageJson<'a> {
    /// As given on the command line.
    image: &'a str,
    /// Normalised (`docker.io/library/x:latest`).
    reference: String,
    verified: bool,
    /// `valid`, `invalid`, `unchecked`, `unsigned` or `error` (see [`verdict`]).
    verdict: &'static str,
    exit_code: u8,
    /// The digest signatures were checked against.
    digest: Option<String>,
    /// The index, when `--platform` chose a child of it.
    index_digest: Option<String>,
    signatures: Vec<SignatureJson<'a>>,
    rejected: Vec<RejectionJson<'a>>,
    /// What each place held: `n found`, `none`, `not supported by the registry`, `not needed`.
    sources: Vec<SourceJson>,
    /// Found but not signatures (other artifacts), with why.
    skipped: Vec<&'a str>,
    /// Why the image is not verified, in full; `null` when it is.
    error: Option<String>,
}

impl<'a> ImageJson<'a> {
    fn new(result: &'a ImageResult) -> Self {
        let lookup = result.lookup.as_ref();
        let (signatures, rejected) = match &result.verdict {
            Ok(verified) => (
                verified.verified().iter().map(SignatureJson::new).collect(),
                verified.rejected().iter().map(RejectionJson::new).collect(),
            ),
            Err(err) => (
                Vec::new(),
                rejections(err).iter().map(RejectionJson::new).collect(),
            ),
        };
        Self {
            image: &result.given,
            reference: result.image.clone(),
            verified: result.verdict.is_ok(),
            verdict: verdict(result),
            exit_code: result.exit_code(),
            digest: lookup.map(|l| l.digest.to_string()),
            index_digest: lookup.and_then(|l| l.index_digest.as_ref().map(ToString::to_string)),
            signatures,
            rejected,
            sources: lookup.map(sources_json).unwrap_or_default(),
            skipped: lookup
                .map(|l| l.skipped.iter().map(String::as_str).collect())
                .unwrap_or_default(),
            error: result.verdict.as_ref().err().map(|err| format!("{err:#}")),
        }
    }
}

#[derive(Debug, Serialize)]
struct SignatureJson<'a> {
    source: &'static str,
    manifest_digest: String,
    kind: &'static str,
    /// `sha256:<hex>` of the key's DER SubjectPublicKeyInfo, for key-signed signatures.
    key: Option<String>,
    identity: Option<&'a str>,
    issuer: Option<&'a str>,
    tlog_verified: bool,
    log_index: Option<u64>,
    integrated_time: Option<i64>,
    timestamp_sources: &'a [&'static str],
    /// The signed docker-reference (simple-signing signatures).
    docker_reference: Option<&'a str>,
    /// The signed annotations.
    annotations: &'a serde_json::Map<String, serde_json::Value>,
}

impl<'a> SignatureJson<'a> {
    fn new(signature: &'a VerifiedSignature) -> Self {
        let bundle = signature.bundle();
        Self {
            source: signature.source().as_str(),
            manifest_digest: signature.manifest_digest().to_string(),
            kind: signature.kind().as_str(),
            key: bundle.key_fingerprint().map(|k| k.to_string()),
            identity: bundle.identity(),
            issuer: bundle.issuer(),
            tlog_verified: bundle.tlog_verified(),
            log_index: bundle.log_index(),
            integrated_time: bundle.integrated_time(),
            timestamp_sources: bundle.timestamp_sources(),
            docker_reference: signature.docker_reference(),
            annotations: signature.annotations(),
        }
    }
}

#[derive(Debug, Serialize)]
struct RejectionJson<'a> {
    source: &'static str,
    manifest_digest: String,
    kind: &'static str,
    category: &'static str,
    reason: &'a str,
}

impl<'a> RejectionJson<'a> {
    fn new(rejection: &'a Rejection) -> Self {
        Self {
            source: rejection.source().as_str(),
            manifest_digest: rejection.manifest_digest().to_string(),
            kind: rejection.kind().as_str(),
            category: rejection.category().as_str(),
            reason: rejection.reason(),
        }
    }
}

#[derive(Debug, Serialize)]
struct SourceJson {
    source: &'static str,
    status: String,
}

fn sources_json(lookup: &Lookup) -> Vec<SourceJson> {
    lookup
        .sources
        .iter()
        .map(|(source, status)| SourceJson {
            source: source.as_str(),
            status: status_text(status),
        })
        .collect()
}

/// `triangulate`: where signatures for the digest live, one per line.
pub(crate) fn triangulate_text(lookup: &Lookup, signature_repository: &str) -> anyhow::Result<()> {
    let mut text = String::new();
    for place in places(lookup, signature_repository) {
        line(
            &mut text,
            &format!("{:<22} {}", place.source, place.location),
        );
    }
    stdout(&text)
}

/// `triangulate --output json`.
pub(crate) fn triangulate_json(lookup: &Lookup, signature_repository: &str) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Places {
        places: Vec<Place>,
    }
    json(&Places {
        places: places(lookup, signature_repository),
    })
}

#[derive(Debug, Serialize)]
struct Place {
    source: &'static str,
    location: String,
    status: String,
}

fn places(lookup: &Lookup, repository: &str) -> Vec<Place> {
    let tag = lookup.digest.tag_form();
    lookup
        .sources
        .iter()
        .map(|(source, status)| Place {
            source: source.as_str(),
            location: match source {
                Source::Referrers => format!("{repository}@{} (referrers API)", lookup.digest),
                Source::ReferrersTagSchema => format!("{repository}:{tag}"),
                Source::LegacyAttestationTag => format!("{repository}:{tag}.att"),
                _ => format!("{repository}:{tag}.sig"),
            },
            status: status_text(status),
        })
        .collect()
}

/// `tree`: the image, then each place and what it holds.
pub(crate) fn tree_text(
    lookup: &Lookup,
    image: &str,
    signature_repository: &str,
) -> anyhow::Result<()> {
    let mut text = String::new();
    line(
        &mut text,
        &format!("{} {image} ({})", Mark::Image, lookup.digest),
    );
    if let Some(index) = &lookup.index_digest {
        line(&mut text, &format!("   platform child of index {index}"));
    }
    for (digest, platform) in &lookup.children {
        line(&mut text, &format!("   └── child {platform}: {digest}"));
    }
    for place in places(lookup, signature_repository) {
        line(
            &mut text,
            &format!("└── {} {} [{}]", place.source, place.location, place.status),
        );
        for candidate in lookup
            .candidates
            .iter()
            .filter(|c| c.source.as_str() == place.source)
        {
            line(&mut text, &format!("    └── {}", candidate_line(candidate)));
        }
    }
    for skipped in &lookup.skipped {
        line(&mut text, &format!("skipped: {skipped}"));
    }
    stdout(&text)
}

fn candidate_line(candidate: &SignatureCandidate) -> String {
    match &candidate.content {
        vouch_oci::CandidateContent::SimpleSigning(layer) => format!(
            "{} simple-signing signature in {}{}{}",
            Mark::Signature,
            candidate.manifest_digest,
            if layer.certificate.is_some() {
                ", certificate"
            } else {
                ""
            },
            if layer.rekor_bundle.is_some() {
                ", Rekor bundle"
            } else {
                ""
            },
        ),
        vouch_oci::CandidateContent::Bundle { json } => format!(
            "{} Sigstore bundle in {} ({} bytes){}",
            Mark::Signature,
            candidate.manifest_digest,
            json.len(),
            match statement_type(json) {
                Some(t) if t == vouch_oci::COSIGN_SIGN_PREDICATE_TYPE =>
                    ": image signature".to_owned(),
                Some(t) => format!(": attestation of type {t}"),
                None => String::new(),
            }
        ),
        vouch_oci::CandidateContent::LegacyAttestation(layer) => format!(
            "{} attestation (DSSE envelope, {} bytes) in {}{}",
            Mark::Signature,
            layer.envelope.len(),
            candidate.manifest_digest,
            layer
                .predicate_type
                .as_deref()
                .map(|t| format!(": of type {}", t.chars().take(200).collect::<String>()))
                .unwrap_or_default()
        ),
        vouch_oci::CandidateContent::Unchecked { kind, reason } => format!(
            "{} {kind} signature in {}, not checked: {reason}",
            Mark::Warning,
            candidate.manifest_digest
        ),
        _ => format!(
            "{} signature in {}",
            Mark::Signature,
            candidate.manifest_digest
        ),
    }
}

/// The predicate type a bundle's in-toto statement claims, unverified (for listing only; at
/// most 200 characters).
fn statement_type(json: &[u8]) -> Option<String> {
    let bundle = vouch_sigstore::Bundle::from_json(json).ok()?;
    let statement = vouch_attest::Statement::parse(bundle.dsse_payload()?).ok()?;
    Some(statement.predicate_type().chars().take(200).collect())
}

/// `tree --output json`.
pub(crate) fn tree_json(
    lookup: &Lookup,
    image: &str,
    signature_repository: &str,
) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Tree<'a> {
        reference: String,
        digest: String,
        index_digest: Option<String>,
        children: Vec<(String, &'a str)>,
        places: Vec<Place>,
        signatures: Vec<CandidateJson>,
        skipped: &'a [String],
    }
    #[derive(Serialize)]
    struct CandidateJson {
        source: &'static str,
        manifest_digest: String,
        kind: &'static str,
        /// A bundle's in-toto predicate type, as it claims (not verified).
        predicate_type: Option<String>,
    }
    json(&Tree {
        reference: image.to_owned(),
        digest: lookup.digest.to_string(),
        index_digest: lookup.index_digest.as_ref().map(ToString::to_string),
        children: lookup
            .children
            .iter()
            .map(|(d, p)| (d.to_string(), p.as_str()))
            .collect(),
        places: places(lookup, signature_repository),
        signatures: lookup
            .candidates
            .iter()
            .map(|c| CandidateJson {
                source: c.source.as_str(),
                manifest_digest: c.manifest_digest.to_string(),
                kind: match &c.content {
                    vouch_oci::CandidateContent::SimpleSigning(_) => "simple-signing",
                    vouch_oci::CandidateContent::LegacyAttestation(_) => "legacy-attestation",
                    vouch_oci::CandidateContent::Unchecked { kind, .. } => kind.as_str(),
                    _ => "bundle",
                },
                predicate_type: match &c.content {
                    vouch_oci::CandidateContent::Bundle { json } => statement_type(json),
                    vouch_oci::CandidateContent::LegacyAttestation(layer) => layer
                        .predicate_type
                        .as_ref()
                        .map(|t| t.chars().take(200).collect()),
                    _ => None,
                },
            })
            .collect(),
        skipped: &lookup.skipped,
    })
}
