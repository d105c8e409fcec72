//! Find and verify cosign and Sigstore signatures on container images.
//!
//! * [`ImageRef`]: references normalised as docker and cosign do.
//! * [`SignatureLookup`]: a sans-I/O state machine that says what to fetch ([`Fetch`]) and
//!   checks every answer ([`Response`]) against its digest before parsing it. It finds
//!   signatures in the OCI 1.1 referrers API, its tag-schema fallback and cosign's legacy
//!   `sha256-<hex>.sig` tag, and reports where each came from.
//! * [`verify_image`]: pure, synchronous verification of what a lookup found, with a key or a
//!   keyless identity ([`ImagePolicy`]).
//! * With the `layout` feature, [`Layout`]: OCI image layouts and archives of them (what
//!   skopeo and `cosign save` write), answering the same lookup from disk.
//! * With the `registry` feature, an async driver that performs the fetches against a
//!   registry, with docker-compatible authentication.
//!
//! Without the `registry` and `layout` features the crate does no I/O, reads no clock and no environment.

pub mod attach;
mod candidate;
#[cfg(feature = "copy")]
pub mod copy;
mod digest;
mod error;
mod fetch;
#[cfg(feature = "layout")]
pub mod layout;
mod lookup;
mod manifest;
mod payload;
mod reference;
#[cfg(feature = "registry")]
mod registry;
mod verify;

// Public API
pub use candidate::{
    AttestationLayer, CandidateContent, Lookup, SignatureCandidate, SimpleSigningLayer, Source,
    SourceStatus,
};
pub use digest::{OciDigest, OciDigestAlgorithm};
pub use error::{Error, Result};
pub use fetch::{
    Fetch, MANIFEST_ACCEPT, MAX_ATTESTATION_BYTES, MAX_ATTESTATIONS_BYTES, MAX_MANIFEST_BYTES,
    MAX_PAYLOAD_BYTES, MAX_SIGNATURE_BYTES, MAX_SIGNATURE_LAYERS, Response,
};
#[cfg(feature = "layout")]
pub use layout::{ArchiveLimits, Layout, LayoutError, LayoutLookupFailure};
pub use lookup::{LookupOptions, MAX_REFERRERS, Platform, SignatureLookup};
pub use reference::{DOCKER_HUB, ImageRef, Repository};
#[cfg(feature = "registry")]
#[doc(hidden)]
pub use registry::fuzzing;
#[cfg(feature = "registry")]
pub use registry::{
    AttachOutcome, Attached, BlobBody, BlobDownload, BlobPush, ByteStream, Credentials,
    DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT, DEFAULT_RETRY_BACKOFF,
    DEFAULT_TIMEOUT, FetchStatus, FetchedBody, LookupFailure, PutManifest, RegistryClient,
    RegistryError, RegistryErrorKind, RegistryOptions,
};
pub use verify::{
    COSIGN_SIGN_PREDICATE_TYPE, ImagePolicy, ImageVerifyError, Rejection, RejectionCategory,
    SignatureKind, VerifiedImage, VerifiedSignature, verify_image,
};
