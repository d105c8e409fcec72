//! Copying images with their signatures and attestations (feature `copy`): from a registry
//! or a layout, to a registry or a layout (`vouch save`, `load`, `copy`). Digests are kept
//! byte for byte: manifests are copied as read, never re-serialised.
//!
//! A copy reads its [`Plan`] first (every manifest, checked against its digest), then writes
//! in an order where nothing is written before what it names: blobs, then an index's
//! manifests, the image, and its signatures. Layers stream from source to destination,
//! hashed as they pass; bytes that are not what their digest names stop the copy before they
//! take that name. Blobs the destination has are skipped, so running a copy again resumes it.

mod destination;
mod plan;
mod source;

use std::sync::Arc;

use futures_util::StreamExt as _;

pub use destination::CopyDestination;
pub use plan::{Parts, Plan};
pub use source::CopySource;

use crate::layout::LayoutError;
use crate::registry::{LookupFailure, RegistryError};
use crate::{OciDigest, Platform};
use plan::Step;

/// Why a copy stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CopyError {
    /// A registry could not be reached or refused.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// A layout could not be read or written, or was changed after it was written.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The source's image is missing, or a manifest is not what its digest names, or
    /// malformed.
    #[error(transparent)]
    Lookup(#[from] crate::Error),
    /// A blob's bytes from the source failed to arrive or are not what their digest names.
    #[error("{0}")]
    Source(String),
    /// The destination holds something the copy would replace (another `.sig` manifest).
    #[error("{0}")]
    Conflict(String),
    /// What cannot be copied this way.
    #[error("{0}")]
    Unsupported(String),
}

impl From<LookupFailure> for CopyError {
    fn from(failure: LookupFailure) -> Self {
        match failure {
            LookupFailure::Registry(error) => Self::Registry(error),
            LookupFailure::Lookup(error) => Self::Lookup(error),
        }
    }
}

/// Bytes moved, reported as they pass.
pub type Progress = Arc<dyn Fn(u64) + Send + Sync>;

/// How to copy.
#[derive(Clone, Default)]
#[non_exhaustive]
pub struct CopyOptions {
    /// Which parts.
    pub parts: Parts,
    /// For an index: copy only this platform's manifest (and its signatures), not the index.
    pub platform: Option<Platform>,
}

impl std::fmt::Debug for CopyOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CopyOptions")
            .field("parts", &self.parts)
            .field("platform", &self.platform)
            .finish()
    }
}

impl CopyOptions {
    /// Every part, every platform.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only `parts`.
    #[must_use]
    pub fn with_parts(mut self, parts: Parts) -> Self {
        self.parts = parts;
        self
    }

    /// Only `platform` of an index.
    #[must_use]
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }
}

/// What a copy did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CopyReport {
    /// The digest of the image copied.
    pub image: OciDigest,
    /// Blobs written.
    pub blobs_copied: usize,
    /// Blobs the destination had already.
    pub blobs_present: usize,
    /// Bytes of the blobs written.
    pub bytes_copied: u64,
    /// Manifests written (the image's, its signatures', its attestations').
    pub manifests: usize,
    /// Of those, manifests carrying signatures.
    pub signature_manifests: usize,
    /// Of those, manifests carrying attestations or other artifacts.
    pub attestation_manifests: usize,
}

impl Plan {
    /// Copies what the plan holds from `source` to `destination`, calling `progress` with
    /// the bytes of each chunk of a blob as it passes.
    ///
    /// # Errors
    ///
    /// Any [`CopyError`]; what was written before stays (whole, checked blobs and complete
    /// manifests), and a second run skips it.
    pub async fn copy(
        &self,
        source: &CopySource,
        destination: &mut CopyDestination,
        progress: Option<Progress>,
    ) -> Result<CopyReport, CopyError> {
        let mut report = CopyReport {
            image: self.image.clone(),
            blobs_copied: 0,
            blobs_present: 0,
            bytes_copied: 0,
            manifests: 0,
            signature_manifests: self.signature_manifests(),
            attestation_manifests: self.attestation_manifests(),
        };
        for step in &self.steps {
            match step {
                Step::Blob { digest, size } => {
                    let fault = source::Fault::default();
                    let open = source.blob(digest, *size, &fault)?;
                    let open = match &progress {
                        Some(progress) => {
                            let progress = Arc::clone(progress);
                            Arc::new(move || {
                                let progress = Arc::clone(&progress);
                                open()
                                    .inspect(move |chunk| {
                                        if let Ok(chunk) = chunk {
                                            progress(chunk.len() as u64);
                                        }
                                    })
                                    .boxed()
                            }) as crate::registry::BlobBody
                        }
                        None => open,
                    };
                    let copied = destination.blob(digest, *size, open).await.map_err(|err| {
                        // The source's own failure, not the transport's that it caused.
                        let known = fault
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .take();
                        known.map_or(err, CopyError::Source)
                    })?;
                    if copied {
                        report.blobs_copied += 1;
                        report.bytes_copied += size;
                    } else {
                        report.blobs_present += 1;
                        if let Some(progress) = &progress {
                            progress(*size);
                        }
                    }
                }
                Step::Manifest {
                    manifest,
                    media_type,
                    place,
                } => {
                    destination
                        .manifest(manifest, media_type, place, self.source_tag())
                        .await?;
                    report.manifests += 1;
                }
            }
        }
        Ok(report)
    }
}
