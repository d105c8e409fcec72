//! The boundary between the pure lookup and whatever moves bytes: what to fetch, and what came
//! back. A driver (the `registry` feature, or your own HTTP stack) performs each [`Fetch`] and
//! hands the answer to [`crate::SignatureLookup::on_response`] unchanged; every decision about
//! the bytes is taken there.

use crate::{OciDigest, Repository};

/// Most manifest bytes accepted: distribution's own limit for manifest PUTs (4 MiB).
pub const MAX_MANIFEST_BYTES: u64 = 4 * 1024 * 1024;

/// Most bytes accepted for one signature payload or bundle layer (1 MiB). A simple-signing
/// payload is a few hundred bytes and a keyless bundle with its certificate chain, log entry
/// and timestamps under 20 KiB, so this leaves room for large annotations. cosign's
/// `COSIGN_MAX_ATTACHMENT_SIZE` (128 MiB) is sized for SBOM attachments, which are not
/// signatures. A layer declared larger is not fetched: it counts as a signature that could not
/// be checked ([`crate::CandidateContent::Unchecked`]), never as "unsigned".
pub const MAX_PAYLOAD_BYTES: u64 = 1024 * 1024;

/// Most bytes of signatures fetched for one image from each place they live (2 MiB): the
/// referrer manifests and their bundles together, and the legacy tag's payloads. This bounds
/// the memory of a lookup whatever a registry lists: a thousand simple-signing payloads take
/// about 300 KiB, a hundred keyless bundle referrers about 1.2 MiB. What does not fit is not
/// fetched and counts as a signature that could not be checked, decided in listing order so
/// that the result does not depend on the order answers arrive in.
pub const MAX_SIGNATURE_BYTES: u64 = 2 * 1024 * 1024;

/// Most bytes accepted for one attestation (64 MiB), in a lookup for attestations
/// ([`crate::LookupOptions::with_attestation_sizes`]): an SBOM runs to tens of MB.
pub const MAX_ATTESTATION_BYTES: u64 = 64 * 1024 * 1024;

/// Most bytes of attestations fetched for one image from each place (256 MiB), in a lookup for
/// attestations; its memory, not more, is what one image's attestations may take.
pub const MAX_ATTESTATIONS_BYTES: u64 = 256 * 1024 * 1024;

/// Most layers in one signature manifest (cosign's `maxLayers`).
pub const MAX_SIGNATURE_LAYERS: usize = 1000;

/// The media types a manifest request accepts, in the `Accept` header.
pub const MANIFEST_ACCEPT: &[&str] = &[
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];

/// One request the lookup needs answered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fetch {
    /// `GET /v2/<name>/manifests/<reference>` (a tag or a digest), with [`MANIFEST_ACCEPT`].
    Manifest {
        /// Where.
        repository: Repository,
        /// A tag or a digest.
        reference: String,
    },
    /// `HEAD /v2/<name>/manifests/<reference>`, with [`MANIFEST_ACCEPT`]: what the manifest is
    /// (`Content-Type`) and its digest (`Docker-Content-Digest`), without its body. Answer it
    /// with [`Response::Found`] and an empty body. Registries that count pulls (Docker Hub)
    /// count GETs of manifests, not HEADs.
    ManifestHead {
        /// Where.
        repository: Repository,
        /// A tag or a digest.
        reference: String,
    },
    /// `GET /v2/<name>/referrers/<digest>` (OCI 1.1).
    Referrers {
        /// Where.
        repository: Repository,
        /// The subject digest.
        digest: OciDigest,
    },
    /// `GET /v2/<name>/blobs/<digest>`.
    Blob {
        /// Where.
        repository: Repository,
        /// The blob's digest.
        digest: OciDigest,
        /// The size its descriptor declares: a driver may refuse a larger body early.
        size: u64,
    },
}

impl Fetch {
    /// The most body bytes this fetch may take: a driver stops reading after this many and
    /// reports [`Response::TooLarge`].
    pub fn max_len(&self) -> u64 {
        match self {
            Self::Manifest { .. } | Self::Referrers { .. } => MAX_MANIFEST_BYTES,
            Self::ManifestHead { .. } => 0,
            // A lookup asks only for blobs within its limit (MAX_PAYLOAD_BYTES, or
            // MAX_ATTESTATION_BYTES for attestations); this is the ceiling whatever it asks.
            Self::Blob { size, .. } => (*size).min(MAX_ATTESTATION_BYTES),
        }
    }

    /// The repository the request goes to.
    pub fn repository(&self) -> &Repository {
        match self {
            Self::Manifest { repository, .. }
            | Self::ManifestHead { repository, .. }
            | Self::Referrers { repository, .. }
            | Self::Blob { repository, .. } => repository,
        }
    }
}

/// The answer to a [`Fetch`], as the driver received it. Transport failures (network,
/// authentication, throttling after retries) are the driver's errors and never reach the
/// lookup: they must not look like "no signatures".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response<'a> {
    /// 200, with the whole body.
    Found {
        /// The body.
        body: &'a [u8],
        /// The `Content-Type` header.
        content_type: Option<&'a str>,
        /// The `Docker-Content-Digest` header.
        docker_content_digest: Option<&'a str>,
    },
    /// 404.
    NotFound,
    /// The body was longer than [`Fetch::max_len`]; the driver stopped reading.
    TooLarge,
}
