//! Verifying what a lookup found: pure and synchronous, no I/O.
//!
//! Every candidate is checked on its own, completely: the cryptography first (signature,
//! certificate chain and identity, transparency-log evidence, through `vouch-sigstore`), then
//! what the now-authenticated payload claims (the image digest, the annotations asked for, the
//! repository when asked). The image verifies if at least one candidate passes every check;
//! all that pass are reported, and every other one is kept with why it was rejected.

use std::fmt;

use base64::Engine as _;
use vouch_sigstore::{Bundle, Error as SigstoreError, Policy, VerifiedBundle, Verifier};

use crate::payload::{self, Json, SimpleSigning, Statement};
use crate::{
    CandidateContent, ImageRef, Lookup, OciDigest, Repository, SignatureCandidate,
    SimpleSigningLayer, Source, SourceStatus,
};

/// The in-toto predicate type of a cosign v3 image signature (`cosign sign` with the new
/// bundle format). Bundles with any other predicate type are attestations (SLSA provenance,
/// SBOMs, vulnerability scans…), not image signatures, and are rejected.
pub const COSIGN_SIGN_PREDICATE_TYPE: &str = "https://sigstore.dev/cosign/sign/v1";

/// The DSSE payload type of an in-toto statement.
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Most children named in a hint.
const MAX_HINT_CHILDREN: usize = 8;

/// What an image signature must prove. No `Default`: the signer is the security-relevant input.
#[derive(Debug, Clone)]
pub struct ImagePolicy {
    signer: Policy,
    annotations: Vec<(String, String)>,
    identity: Option<Repository>,
}

impl ImagePolicy {
    /// Signed as `signer` requires (a key or a keyless identity; a transparency-log entry
    /// unless [`Policy::insecure_ignore_tlog`]), over the image's digest.
    #[must_use]
    pub fn new(signer: Policy) -> Self {
        Self {
            signer,
            annotations: Vec::new(),
            identity: None,
        }
    }

    /// Also require these annotations (cosign's `-a key=value`), every one of them on the
    /// **same** signature that verifies: the simple-signing payload's `optional` object, or
    /// the in-toto subject's `annotations` for a bundle. Values must be JSON strings equal to
    /// the ones given, as cosign compares them.
    #[must_use]
    pub fn with_annotations(mut self, annotations: Vec<(String, String)>) -> Self {
        self.annotations = annotations;
        self
    }

    /// Also require that a simple-signing payload's `critical.identity.docker-reference` names
    /// `expected` (registry and repository; a tag or digest in it is ignored; Docker Hub
    /// spellings are normalised), as containers/image's `matchRepository` does. cosign itself
    /// ignores this field.
    ///
    /// Sigstore bundle signatures (cosign v3) name no repository: their in-toto statement
    /// carries only the digest, so they are accepted without this check, as cosign accepts
    /// them, and reported with no [`VerifiedSignature::docker_reference`].
    #[must_use]
    pub fn check_identity(mut self, expected: Repository) -> Self {
        self.identity = Some(expected);
        self
    }

    /// The signer required.
    pub fn signer(&self) -> &Policy {
        &self.signer
    }

    /// The annotations required.
    pub fn annotations(&self) -> &[(String, String)] {
        &self.annotations
    }

    /// The repository simple-signing payloads must name, if checked.
    pub fn expected_identity(&self) -> Option<&Repository> {
        self.identity.as_ref()
    }
}

/// The two shapes of cosign image signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureKind {
    /// A legacy simple-signing layer (cosign ≤ 2, or `--new-bundle-format=false`).
    SimpleSigning,
    /// A Sigstore bundle with a DSSE in-toto statement (cosign v3).
    Bundle,
    /// A DSSE envelope layer of the `.att` tag (cosign ≤ 2 attestations).
    LegacyAttestation,
}

impl SignatureKind {
    /// A stable name for output: `simple-signing`, `bundle`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SimpleSigning => "simple-signing",
            Self::Bundle => "bundle",
            Self::LegacyAttestation => "legacy-attestation",
        }
    }
}

impl fmt::Display for SignatureKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a signature was rejected, for output and exit codes. The full text is
/// [`Rejection::reason`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RejectionCategory {
    /// The signature does not verify with the key or certificate.
    Signature,
    /// The certificate is for another identity or issuer than required.
    Identity,
    /// Signed with a certificate where a key was required, or the reverse.
    SignerMismatch,
    /// No transparency-log entry, and the policy requires one.
    LogEntryMissing,
    /// The transparency-log entry, its proof or signed entry timestamp does not verify, or
    /// does not describe this signature.
    LogProofInvalid,
    /// The certificate does not chain to the trust root, or was not valid when signing.
    Certificate,
    /// An RFC 3161 timestamp does not verify.
    Timestamp,
    /// A valid signature, for another image: the digest in the payload (or the statement's
    /// subjects) is not the image's. A signature copied from another image looks like this.
    PayloadMismatch,
    /// A valid signature without the annotations required.
    Annotations,
    /// A valid simple-signing signature naming another repository than required.
    DockerReference,
    /// A valid bundle whose statement is an attestation (another predicate type), not an
    /// image signature.
    NotImageSignature,
    /// Not a signature that can be read: bad JSON, an old bundle version, a missing
    /// annotation, a payload of the wrong shape.
    Malformed,
    /// Could not be checked for another reason (the text says which).
    Unverifiable,
    /// Found, and not fetched or checked: it is over a size or count limit (the text says
    /// which). Such a signature might have been valid: see [`ImageVerifyError::Unchecked`].
    Unchecked,
}

impl RejectionCategory {
    /// A stable name for output: `signature`, `identity`, `signer-mismatch`,
    /// `log-entry-missing`, `log-proof-invalid`, `certificate`, `timestamp`,
    /// `payload-mismatch`, `annotations`, `docker-reference`, `not-image-signature`,
    /// `malformed`, `unverifiable`, `unchecked`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Signature => "signature",
            Self::Identity => "identity",
            Self::SignerMismatch => "signer-mismatch",
            Self::LogEntryMissing => "log-entry-missing",
            Self::LogProofInvalid => "log-proof-invalid",
            Self::Certificate => "certificate",
            Self::Timestamp => "timestamp",
            Self::PayloadMismatch => "payload-mismatch",
            Self::Annotations => "annotations",
            Self::DockerReference => "docker-reference",
            Self::NotImageSignature => "not-image-signature",
            Self::Malformed => "malformed",
            Self::Unverifiable => "unverifiable",
            Self::Unchecked => "unchecked",
        }
    }

    fn of(err: &SigstoreError) -> Self {
        match err {
            SigstoreError::SignatureInvalid { .. } => Self::Signature,
            SigstoreError::IdentityMismatch { .. } => Self::Identity,
            SigstoreError::MaterialMismatch { .. } => Self::SignerMismatch,
            SigstoreError::LogEntryMissing => Self::LogEntryMissing,
            SigstoreError::LogProofInvalid { .. } => Self::LogProofInvalid,
            SigstoreError::CertificateExpired { .. } | SigstoreError::UntrustedRoot { .. } => {
                Self::Certificate
            }
            SigstoreError::TimestampInvalid { .. } => Self::Timestamp,
            SigstoreError::MalformedBundle { .. } => Self::Malformed,
            _ => Self::Unverifiable,
        }
    }
}

impl fmt::Display for RejectionCategory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A signature that was found and did not verify, with why.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Rejection {
    source: Source,
    manifest_digest: OciDigest,
    kind: SignatureKind,
    category: RejectionCategory,
    reason: String,
}

impl Rejection {
    /// Where the signature was found.
    pub fn source(&self) -> Source {
        self.source
    }
    /// The manifest that carried it.
    pub fn manifest_digest(&self) -> &OciDigest {
        &self.manifest_digest
    }
    /// Its shape.
    pub fn kind(&self) -> SignatureKind {
        self.kind
    }
    /// Why, as a category.
    pub fn category(&self) -> RejectionCategory {
        self.category
    }
    /// Why, in full (the verifier's own message, with what was expected and found).
    pub fn reason(&self) -> &str {
        &self.reason
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} signature in {} ({}): {}",
            self.kind,
            self.manifest_digest,
            self.source.as_str(),
            self.reason
        )
    }
}

/// A signature that passed every check, and what it showed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifiedSignature {
    source: Source,
    manifest_digest: OciDigest,
    kind: SignatureKind,
    bundle: VerifiedBundle,
    docker_reference: Option<String>,
    signature_type: Option<String>,
    annotations: serde_json::Map<String, serde_json::Value>,
}

impl VerifiedSignature {
    /// Where it was found.
    pub fn source(&self) -> Source {
        self.source
    }
    /// The manifest that carried it.
    pub fn manifest_digest(&self) -> &OciDigest {
        &self.manifest_digest
    }
    /// Its shape.
    pub fn kind(&self) -> SignatureKind {
        self.kind
    }
    /// What the cryptographic verification showed: the key's fingerprint or the certificate's
    /// identity and issuer, the log index, integrated time and other verified times.
    pub fn bundle(&self) -> &VerifiedBundle {
        &self.bundle
    }
    /// The signed `critical.identity.docker-reference` (simple-signing only), as written.
    pub fn docker_reference(&self) -> Option<&str> {
        self.docker_reference.as_deref()
    }
    /// The signed `critical.type` of a simple-signing payload (recorded, not checked: cosign
    /// does not check it either), or the in-toto `predicateType` of a bundle (always
    /// [`COSIGN_SIGN_PREDICATE_TYPE`]).
    pub fn signature_type(&self) -> Option<&str> {
        self.signature_type.as_deref()
    }
    /// The signed annotations: the simple-signing payload's `optional` object, or the
    /// matching in-toto subject's `annotations`. Empty if there are none.
    pub fn annotations(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.annotations
    }
}

/// An image whose signatures were verified: at least one is valid.
#[derive(Debug, Clone)]
#[non_exhaustive]
#[must_use]
pub struct VerifiedImage {
    digest: OciDigest,
    verified: Vec<VerifiedSignature>,
    rejected: Vec<Rejection>,
}

impl VerifiedImage {
    /// The digest the signatures are for.
    pub fn digest(&self) -> &OciDigest {
        &self.digest
    }
    /// Every valid signature (at least one), in discovery order.
    pub fn verified(&self) -> &[VerifiedSignature] {
        &self.verified
    }
    /// The signatures that were found but rejected, with why.
    pub fn rejected(&self) -> &[Rejection] {
        &self.rejected
    }
}

/// Why an image did not verify.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum ImageVerifyError {
    /// Nothing that could be a signature was found.
    #[error("no signatures found for {digest}")]
    NoSignatures {
        /// The digest signatures were looked for.
        digest: OciDigest,
        /// What each place held.
        sources: Vec<(Source, SourceStatus)>,
        /// What was found but was not a signature, with why.
        skipped: Vec<String>,
        /// Where signatures may be instead (the index, or its children).
        hint: Option<String>,
    },
    /// Signatures were found, and none passed every check.
    #[error("{} found for {digest}, none valid", count(rejected.len()))]
    NoneValid {
        /// The digest the signatures were checked against.
        digest: OciDigest,
        /// Every signature, with why it was rejected.
        rejected: Vec<Rejection>,
    },
    /// Signatures were found, none of those checked is valid, and some could not be checked
    /// because they are over a limit ([`RejectionCategory::Unchecked`]): the image is not
    /// verified, and it is not known to be unsigned or signed only by others.
    #[error("{}", unchecked_text(digest, rejected))]
    Unchecked {
        /// The digest the signatures were checked against.
        digest: OciDigest,
        /// Every signature, with why it was rejected or not checked.
        rejected: Vec<Rejection>,
    },
}

/// `2 signatures found for sha256:…: 1 could not be checked (over vouch's limits), none of
/// the others is valid`, or, when none was checked, `… none could be checked …`.
fn unchecked_text(digest: &OciDigest, rejected: &[Rejection]) -> String {
    let unchecked = rejected
        .iter()
        .filter(|r| r.category == RejectionCategory::Unchecked)
        .count();
    let found = count(rejected.len());
    match (unchecked, rejected.len()) {
        (1, 1) => {
            format!("{found} found for {digest}; it could not be checked (over vouch's limits)")
        }
        (n, total) if n == total => {
            format!("{found} found for {digest}; none could be checked (over vouch's limits)")
        }
        (n, _) => format!(
            "{found} found for {digest}: {n} could not be checked (over vouch's limits), none of the others is valid"
        ),
    }
}

fn count(n: usize) -> String {
    if n == 1 {
        "1 signature".to_owned()
    } else {
        format!("{n} signatures")
    }
}

/// Verifies the signatures `lookup` found against `policy`, offline.
///
/// Each candidate is checked independently and completely; the image verifies if at least one
/// passes. A legacy simple-signing layer is checked as `cosign verify` checks it (cosign's
/// `SIGNATURE_SPEC.md`): the signature over the exact payload bytes, the Rekor bundle
/// annotation's signed entry timestamp and its agreement with the signature, key and payload
/// hash (or the certificate chain, identity and validity for keyless signatures), then the
/// payload's `docker-manifest-digest`, annotations and, if asked, `docker-reference`. A bundle
/// (cosign's `BUNDLE_SPEC.md`) must
/// be a Sigstore bundle v0.3 or later holding a DSSE envelope of an in-toto statement that
/// names the image digest as a subject, with predicate type [`COSIGN_SIGN_PREDICATE_TYPE`]:
/// cosign v3's `verify` does not filter on the predicate type, so an attestation (SLSA
/// provenance, an SBOM) made by the trusted signer passes as a signature there; it does not
/// here (sigstore-rs filters the same way).
///
/// # Errors
///
/// [`ImageVerifyError::NoSignatures`] if `lookup` found no candidate (with a hint when the
/// signatures may be on the index or its children); if none verifies,
/// [`ImageVerifyError::Unchecked`] when some could not be checked
/// ([`CandidateContent::Unchecked`]), else [`ImageVerifyError::NoneValid`].
pub fn verify_image(
    lookup: &Lookup,
    policy: &ImagePolicy,
    verifier: &Verifier,
) -> Result<VerifiedImage, ImageVerifyError> {
    if lookup.candidates.is_empty() {
        return Err(ImageVerifyError::NoSignatures {
            digest: lookup.digest.clone(),
            sources: lookup.sources.clone(),
            skipped: lookup.skipped.clone(),
            hint: hint(lookup),
        });
    }
    let mut verified = Vec::new();
    let mut rejected = Vec::new();
    for candidate in &lookup.candidates {
        let kind = match &candidate.content {
            CandidateContent::SimpleSigning(_) => SignatureKind::SimpleSigning,
            CandidateContent::Bundle { .. } => SignatureKind::Bundle,
            CandidateContent::LegacyAttestation(_) => SignatureKind::LegacyAttestation,
            CandidateContent::Unchecked { kind, .. } => *kind,
        };
        match check(candidate, &lookup.digest, policy, verifier) {
            Ok(checked) => verified.push(VerifiedSignature {
                source: candidate.source,
                manifest_digest: candidate.manifest_digest.clone(),
                kind,
                bundle: checked.bundle,
                docker_reference: checked.docker_reference,
                signature_type: checked.signature_type,
                annotations: checked.annotations,
            }),
            Err(refusal) => rejected.push(Rejection {
                source: candidate.source,
                manifest_digest: candidate.manifest_digest.clone(),
                kind,
                category: refusal.category,
                reason: refusal.reason,
            }),
        }
    }
    if verified.is_empty() {
        let digest = lookup.digest.clone();
        return Err(
            if rejected
                .iter()
                .any(|r| r.category == RejectionCategory::Unchecked)
            {
                ImageVerifyError::Unchecked { digest, rejected }
            } else {
                ImageVerifyError::NoneValid { digest, rejected }
            },
        );
    }
    Ok(VerifiedImage {
        digest: lookup.digest.clone(),
        verified,
        rejected,
    })
}

/// Where signatures may be when there are none for the digest verified.
fn hint(lookup: &Lookup) -> Option<String> {
    // A platform child was verified: the lookup still lists the index's children, but the
    // place to look is the index.
    if let Some(index) = &lookup.index_digest {
        return Some(format!(
            "the platform image is unsigned; the index {index} may be signed: verify without --platform"
        ));
    }
    if !lookup.children.is_empty() {
        let mut children: Vec<String> = lookup
            .children
            .iter()
            .take(MAX_HINT_CHILDREN)
            .map(|(digest, platform)| format!("{platform} ({digest})"))
            .collect();
        if lookup.children.len() > MAX_HINT_CHILDREN {
            children.push(format!(
                "and {} more",
                lookup.children.len() - MAX_HINT_CHILDREN
            ));
        }
        return Some(format!(
            "the index itself is unsigned; its children are {}: they may be signed one by one, try --platform os/arch",
            children.join(", ")
        ));
    }
    // The index's headers sufficed, so its children were not fetched.
    if matches!(
        lookup.media_type.as_str(),
        crate::manifest::OCI_INDEX | crate::manifest::DOCKER_MANIFEST_LIST
    ) {
        return Some(
            "the index itself is unsigned; its children may be signed one by one: try --platform os/arch"
                .to_owned(),
        );
    }
    None
}

/// What a candidate that passed every check showed.
struct Checked {
    bundle: VerifiedBundle,
    docker_reference: Option<String>,
    signature_type: Option<String>,
    annotations: serde_json::Map<String, serde_json::Value>,
}

/// Why a candidate did not pass.
struct Refusal {
    category: RejectionCategory,
    reason: String,
}

impl Refusal {
    fn new(category: RejectionCategory, reason: impl Into<String>) -> Self {
        Self {
            category,
            reason: reason.into(),
        }
    }

    fn malformed(reason: impl Into<String>) -> Self {
        Self::new(RejectionCategory::Malformed, reason)
    }
}

impl From<SigstoreError> for Refusal {
    fn from(err: SigstoreError) -> Self {
        Self::new(RejectionCategory::of(&err), err.to_string())
    }
}

fn check(
    candidate: &SignatureCandidate,
    digest: &OciDigest,
    policy: &ImagePolicy,
    verifier: &Verifier,
) -> Result<Checked, Refusal> {
    match &candidate.content {
        CandidateContent::SimpleSigning(layer) => {
            check_simple_signing(layer, digest, policy, verifier)
        }
        CandidateContent::Bundle { json } => check_bundle(json, digest, policy, verifier),
        CandidateContent::Unchecked { reason, .. } => {
            Err(Refusal::new(RejectionCategory::Unchecked, reason.clone()))
        }
        CandidateContent::LegacyAttestation(_) => Err(Refusal::new(
            RejectionCategory::NotImageSignature,
            "an attestation of the `.att` tag, not a signature of the image (verify it with \
             `vouch verify-attestation`)",
        )),
    }
}

/// A legacy layer as the legacy cosign blob bundle `vouch-sigstore` reads:
/// `{"base64Signature", "cert": base64(certificate PEM), "rekorBundle"}`.
///
/// The chain annotation (`dev.sigstore.cosign/chain`, intermediates then root) is not used:
/// the certificate must chain to a certificate authority of the trust root with the
/// intermediates the trust root holds, as cosign checks Fulcio certificates, so a root at the
/// end of the annotation could add no trust.
fn legacy_bundle(layer: &SimpleSigningLayer) -> Result<Bundle, Refusal> {
    let b64 = base64::engine::general_purpose::STANDARD;
    // Go's base64 decoder (cosign, containers/image) skips line breaks: signatures wrapped at
    // 76 columns are accepted there, so here too.
    let signature: String = layer
        .signature
        .chars()
        .filter(|c| !matches!(c, '\r' | '\n'))
        .collect();
    let signature = signature.trim();
    if signature.is_empty() {
        return Err(Refusal::malformed(
            "the layer has no `dev.cosignproject.cosign/signature` annotation",
        ));
    }
    let json_string = |text: &str| serde_json::Value::from(text).to_string();
    let mut legacy = format!(r#"{{"base64Signature":{}"#, json_string(signature));
    if let Some(certificate) = layer
        .certificate
        .as_deref()
        .filter(|c| !c.trim().is_empty())
    {
        legacy.push_str(&format!(
            r#","cert":{}"#,
            json_string(&b64.encode(certificate))
        ));
    }
    if let Some(rekor) = layer.rekor_bundle.as_deref() {
        // Embedded as written, once known to be exactly one JSON value (checked without
        // building it): `Bundle::from_json` then reads the whole as strictly as any bundle,
        // duplicate keys refused, and never as an untyped tree of unbounded size.
        serde_json::from_str::<serde::de::IgnoredAny>(rekor).map_err(|err| {
            Refusal::malformed(format!(
                "the `dev.sigstore.cosign/bundle` annotation is not JSON: {err}"
            ))
        })?;
        legacy.push_str(&format!(r#","rekorBundle":{rekor}"#));
    }
    legacy.push('}');
    Bundle::from_json(legacy.as_bytes()).map_err(Refusal::from)
}

fn check_simple_signing(
    layer: &SimpleSigningLayer,
    digest: &OciDigest,
    policy: &ImagePolicy,
    verifier: &Verifier,
) -> Result<Checked, Refusal> {
    // A certificate needs a trusted time to be checked against: for a legacy layer, only the
    // Rekor bundle gives one (the RFC 3161 annotation is not used, see docs/oci.md). Say so,
    // rather than let the converted v0.1 bundle fail for a missing inclusion promise.
    if layer
        .certificate
        .as_deref()
        .is_some_and(|c| !c.trim().is_empty())
        && layer.rekor_bundle.is_none()
    {
        // Category `Certificate`, not `LogEntryMissing`: not requiring the log cannot help.
        return Err(Refusal::new(
            RejectionCategory::Certificate,
            "the layer is signed with a certificate but has no `dev.sigstore.cosign/bundle` \
             annotation: without a transparency-log entry there is no trusted time to check \
             the short-lived certificate at, whether or not the log is required",
        ));
    }
    let bundle = legacy_bundle(layer)?;
    // The cryptography first: nothing the payload says counts before it is authenticated.
    let verified = verifier
        .verify_reader(layer.payload.as_slice(), &bundle, policy.signer())
        .map_err(|err| {
            let missing_rekor = matches!(err, SigstoreError::LogEntryMissing)
                && layer.rekor_bundle.is_none();
            let mut refusal = Refusal::from(err);
            if missing_rekor {
                refusal.reason.push_str(
                    " (the layer has no `dev.sigstore.cosign/bundle` annotation: it was signed without uploading to Rekor)",
                );
            }
            refusal
        })?;
    let payload = SimpleSigning::parse(&layer.payload)
        .map_err(|err| Refusal::malformed(format!("simple-signing payload: {err}")))?;
    let expected = digest.to_string();
    if payload.manifest_digest != expected {
        return Err(Refusal::new(
            RejectionCategory::PayloadMismatch,
            format!(
                "the signature is for {}, the image is {expected}",
                payload::truncate(&payload.manifest_digest)
            ),
        ));
    }
    let optional = payload.optional.as_deref();
    if !payload::annotations_match(policy.annotations(), optional) {
        return Err(annotations_refusal(policy.annotations(), optional));
    }
    if let Some(expected) = policy.expected_identity() {
        check_docker_reference(payload.docker_reference.as_deref(), expected)?;
    }
    Ok(Checked {
        bundle: verified,
        docker_reference: payload.docker_reference,
        signature_type: payload.critical_type,
        annotations: optional.map(payload::to_map).unwrap_or_default(),
    })
}

fn annotations_refusal(wanted: &[(String, String)], have: Option<&[(String, Json)]>) -> Refusal {
    let wanted: Vec<String> = wanted.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let have = match have {
        Some(entries) => serde_json::Value::Object(payload::to_map(entries)).to_string(),
        None => "none".to_owned(),
    };
    Refusal::new(
        RejectionCategory::Annotations,
        format!(
            "missing or different annotations: required {}; the signature has {}",
            wanted.join(", "),
            payload::truncate(&have)
        ),
    )
}

fn check_docker_reference(found: Option<&str>, expected: &Repository) -> Result<(), Refusal> {
    let refuse = |reason: String| Err(Refusal::new(RejectionCategory::DockerReference, reason));
    let Some(found) = found.filter(|f| !f.is_empty()) else {
        return refuse(format!(
            "the signature names no repository (no `critical.identity.docker-reference`), {expected} required"
        ));
    };
    match ImageRef::parse(found) {
        Ok(reference) if reference.repository() == expected => Ok(()),
        Ok(reference) => refuse(format!(
            "the signature is for repository {}, {expected} required",
            reference.repository()
        )),
        Err(err) => refuse(format!(
            "the signature's docker-reference `{}` is not a reference ({err}), {expected} required",
            payload::truncate(found)
        )),
    }
}

/// `algorithm:hex` as a digest `vouch-sigstore` can verify against, if well-formed.
fn blob_digest(algorithm: &str, hex: &str) -> Option<vouch_blob::Digest> {
    let algorithm = match algorithm {
        "sha256" => vouch_blob::DigestAlgorithm::Sha256,
        "sha512" => vouch_blob::DigestAlgorithm::Sha512,
        _ => return None,
    };
    vouch_blob::Digest::new(algorithm, &hex::decode(hex).ok()?)
}

fn check_bundle(
    json: &[u8],
    digest: &OciDigest,
    policy: &ImagePolicy,
    verifier: &Verifier,
) -> Result<Checked, Refusal> {
    let bundle = Bundle::from_json(json)?;
    match bundle.version() {
        Some(version) if version >= (0, 3) => {}
        Some((major, minor)) => {
            return Err(Refusal::malformed(format!(
                "a Sigstore bundle v{major}.{minor}: image signatures are bundles v0.3 or later"
            )));
        }
        None => {
            return Err(Refusal::malformed(format!(
                "a {}: image signatures are Sigstore bundles v0.3 or later",
                bundle.format()
            )));
        }
    }
    let (Some(payload_type), Some(statement)) = (bundle.dsse_payload_type(), bundle.dsse_payload())
    else {
        return Err(Refusal::malformed(
            "a message-signature bundle: image signatures are DSSE envelopes of in-toto statements",
        ));
    };
    if payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(Refusal::malformed(format!(
            "DSSE payload type `{}`, not `{IN_TOTO_PAYLOAD_TYPE}`",
            payload::truncate(payload_type)
        )));
    }
    let statement = Statement::parse(statement).map_err(Refusal::malformed)?;
    let algorithm = digest.algorithm().id();
    let matching: Vec<_> = statement
        .subjects
        .iter()
        .filter(|s| s.digest(algorithm) == Some(digest.hex()))
        .collect();
    // The cryptography first, over the image digest if a subject names it; otherwise over a
    // digest the statement does name, so that a mismatch is only reported for a statement
    // that is known to be signed.
    let signed_digest = if matching.is_empty() {
        statement
            .subjects
            .iter()
            .flat_map(|s| s.digests.iter())
            .find_map(|(algorithm, hex)| blob_digest(algorithm, hex))
            .ok_or_else(|| {
                Refusal::malformed(
                    "the in-toto statement has no subject with a sha256 or sha512 digest",
                )
            })?
    } else {
        blob_digest(algorithm, digest.hex())
            .ok_or_else(|| Refusal::malformed(format!("unusable image digest {digest}")))?
    };
    let verified = verifier.verify_digest(&signed_digest, &bundle, policy.signer())?;
    if matching.is_empty() {
        let named: Vec<String> = statement
            .subjects
            .iter()
            .flat_map(|s| s.digests.iter())
            .map(|(a, hex)| payload::truncate(&format!("{a}:{hex}")))
            .collect();
        return Err(Refusal::new(
            RejectionCategory::PayloadMismatch,
            format!(
                "the signature is for {}, the image is {digest}",
                named.join(", ")
            ),
        ));
    }
    if statement.predicate_type != COSIGN_SIGN_PREDICATE_TYPE {
        return Err(Refusal::new(
            RejectionCategory::NotImageSignature,
            format!(
                "an attestation of type `{}`, not an image signature (`{COSIGN_SIGN_PREDICATE_TYPE}`)",
                payload::truncate(&statement.predicate_type)
            ),
        ));
    }
    let subject = matching
        .iter()
        .find(|s| payload::annotations_match(policy.annotations(), s.annotations.as_deref()))
        .ok_or_else(|| {
            annotations_refusal(
                policy.annotations(),
                matching.first().and_then(|s| s.annotations.as_deref()),
            )
        })?;
    Ok(Checked {
        bundle: verified,
        docker_reference: None,
        signature_type: Some(statement.predicate_type.clone()),
        annotations: subject
            .annotations
            .as_deref()
            .map(payload::to_map)
            .unwrap_or_default(),
    })
}
