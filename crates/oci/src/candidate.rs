//! What a lookup found: signatures and where each came from, not yet verified.

use crate::{ImageRef, OciDigest};

/// Where a signature was found. Reported per signature, so users can see which layout the
/// signer used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Source {
    /// The OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>`).
    Referrers,
    /// The referrers tag schema: an OCI index under tag `sha256-<hex>`, used by writers when
    /// the registry has no referrers API.
    ReferrersTagSchema,
    /// cosign's legacy signature tag `sha256-<hex>.sig`: one simple-signing layer per signature.
    LegacyTag,
    /// cosign ≤ 2's attestation tag `sha256-<hex>.att`: one DSSE envelope layer per
    /// attestation. Read only when asked for ([`crate::LookupOptions::with_attestations`]).
    LegacyAttestationTag,
}

impl Source {
    /// A stable name for output: `referrers`, `referrers-tag-schema`, `legacy-tag`,
    /// `legacy-attestation-tag`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Referrers => "referrers",
            Self::ReferrersTagSchema => "referrers-tag-schema",
            Self::LegacyTag => "legacy-tag",
            Self::LegacyAttestationTag => "legacy-attestation-tag",
        }
    }
}

/// One signature found for an image, with everything needed to verify it offline.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SignatureCandidate {
    /// Where it was found.
    pub source: Source,
    /// The digest of the manifest that carried it (the `.sig` manifest or the referrer).
    pub manifest_digest: OciDigest,
    /// The signature itself.
    pub content: CandidateContent,
}

/// The two signature shapes cosign writes for images.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum CandidateContent {
    /// A legacy simple-signing layer (cosign's `SIGNATURE_SPEC.md`).
    SimpleSigning(SimpleSigningLayer),
    /// An attestation layer of the `.att` tag (cosign ≤ 2): not an image signature.
    LegacyAttestation(AttestationLayer),
    /// A Sigstore bundle (v0.3 or later) from a referrer's single layer (cosign's
    /// `BUNDLE_SPEC.md`).
    Bundle {
        /// The bundle JSON, as fetched and checked against its layer digest.
        json: Vec<u8>,
    },
    /// Something that may be a signature and was not fetched because it is over a limit: a
    /// layer over [`crate::MAX_PAYLOAD_BYTES`], signatures beyond
    /// [`crate::MAX_SIGNATURE_BYTES`] for one place, a referrer manifest over
    /// [`crate::MAX_MANIFEST_BYTES`], referrers beyond [`crate::MAX_REFERRERS`]. It is never
    /// valid, and it keeps an image from being reported unsigned: [`crate::verify_image`]
    /// reports it as rejected ([`crate::RejectionCategory::Unchecked`]), and an image with no
    /// valid signature and such a one is [`crate::ImageVerifyError::Unchecked`].
    Unchecked {
        /// The shape it would have: a legacy layer, or a bundle (what a referrer holds).
        kind: crate::SignatureKind,
        /// What it is and which limit it is over.
        reason: String,
    },
}

impl CandidateContent {
    /// The content as an attestation bundle, for the attestation checks: a referrer's bundle,
    /// or a `.att` layer put into one; `None` for a simple-signing layer and for what was not
    /// fetched. A statement is parsed within `statement_cost` bytes of memory.
    #[must_use]
    pub fn attestation_bundle(
        &self,
        statement_cost: u64,
    ) -> Option<Result<vouch_sigstore::Bundle, vouch_sigstore::Error>> {
        match self {
            Self::Bundle { json } => Some(vouch_sigstore::Bundle::from_json_with_limits(
                json,
                crate::MAX_ATTESTATION_BYTES,
                statement_cost,
            )),
            Self::LegacyAttestation(layer) => {
                Some(vouch_sigstore::Bundle::from_cosign_attestation(
                    &layer.envelope,
                    layer.certificate.as_deref(),
                    layer.rekor_bundle.as_deref(),
                    crate::MAX_ATTESTATION_BYTES,
                    statement_cost,
                ))
            }
            Self::SimpleSigning(_) | Self::Unchecked { .. } => None,
        }
    }
}

/// A legacy signature layer: the payload blob and the layer descriptor's annotations.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct SimpleSigningLayer {
    /// The payload blob, checked against the layer digest: the signed bytes.
    pub payload: Vec<u8>,
    /// `dev.cosignproject.cosign/signature`: base64 signature over `payload`.
    pub signature: String,
    /// `dev.sigstore.cosign/certificate`: PEM leaf certificate (keyless).
    pub certificate: Option<String>,
    /// `dev.sigstore.cosign/chain`: PEM chain.
    pub chain: Option<String>,
    /// `dev.sigstore.cosign/bundle`: the Rekor bundle JSON (cosign's `SIGNATURE_SPEC.md`).
    pub rekor_bundle: Option<String>,
    /// `dev.sigstore.cosign/rfc3161timestamp`: `{"SignedRFC3161Timestamp": "<base64>"}`.
    pub rfc3161_timestamp: Option<String>,
}

/// A layer of cosign ≤ 2's `.att` manifest: the DSSE envelope blob and the layer's annotations.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AttestationLayer {
    /// The envelope blob, checked against the layer digest.
    pub envelope: Vec<u8>,
    /// `predicateType`: the predicate type cosign says the statement has (unverified).
    pub predicate_type: Option<String>,
    /// `dev.sigstore.cosign/certificate`: PEM leaf certificate (keyless).
    pub certificate: Option<String>,
    /// `dev.sigstore.cosign/chain`: PEM chain.
    pub chain: Option<String>,
    /// `dev.sigstore.cosign/bundle`: the Rekor bundle JSON.
    pub rekor_bundle: Option<String>,
    /// `dev.sigstore.cosign/rfc3161timestamp`.
    pub rfc3161_timestamp: Option<String>,
}

/// What one place that can hold signatures held.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SourceStatus {
    /// Looked at; this many signatures found there.
    Found(usize),
    /// The tag or listing does not exist (404): nothing there.
    Absent,
    /// The registry has no referrers API (404 on the endpoint); the tag schema was used instead.
    Unsupported,
    /// Not looked at, because an earlier answer made it unnecessary.
    Skipped,
}

/// The result of a lookup: the digest to verify and every signature candidate found for it.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Lookup {
    /// The reference as given.
    pub image: ImageRef,
    /// The digest signatures must name: the image's manifest (or index) digest, or, with a
    /// platform selected, the chosen child's digest.
    pub digest: OciDigest,
    /// The index digest when a platform child was selected from it.
    pub index_digest: Option<OciDigest>,
    /// The media type of the manifest that `digest` names.
    pub media_type: String,
    /// Children of an index: (digest, `os/arch[/variant]`), for hints about where
    /// signatures are ("only the children are signed").
    pub children: Vec<(OciDigest, String)>,
    /// Every candidate found, in discovery order.
    pub candidates: Vec<SignatureCandidate>,
    /// What each place held.
    pub sources: Vec<(Source, SourceStatus)>,
    /// Signature manifests or layers that were found but skipped, with why (wrong media type,
    /// not a bundle, missing): shown to users so that nothing disappears silently. What is over
    /// a limit is a candidate instead ([`CandidateContent::Unchecked`]).
    pub skipped: Vec<String>,
}

impl Lookup {
    /// A lookup result for `digest` with nothing found yet, for callers that find signatures
    /// without [`crate::SignatureLookup`] (a local layout, a cache, tests): push candidates and
    /// statuses onto the public fields, then call [`crate::verify_image`].
    pub fn new(image: ImageRef, digest: OciDigest, media_type: impl Into<String>) -> Self {
        Self {
            image,
            digest,
            index_digest: None,
            media_type: media_type.into(),
            children: Vec::new(),
            candidates: Vec::new(),
            sources: Vec::new(),
            skipped: Vec::new(),
        }
    }
}

impl SignatureCandidate {
    /// A candidate found at `source`, in the manifest `manifest_digest`.
    pub fn new(source: Source, manifest_digest: OciDigest, content: CandidateContent) -> Self {
        Self {
            source,
            manifest_digest,
            content,
        }
    }
}
