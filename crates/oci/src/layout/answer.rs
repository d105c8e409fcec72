//! The registry's side of a [`crate::SignatureLookup`], played by a layout: each [`Fetch`]
//! answered from `index.json` and the blobs, as a registry holding the same content would.
//!
//! * A manifest by digest is any blob; by tag, the entry whose
//!   `org.opencontainers.image.ref.name` is the tag (skopeo copies `sha256-<hex>.sig` so), or
//!   for cosign's `sha256-<hex>.sig` / `.att` of the layout's `cosign save` image, its `sigs` /
//!   `atts` entry.
//! * The referrers of a digest are the `index.json` manifests whose `subject` names it, plus
//!   those of a `sha256-<hex>` tag-schema index copied beside them; none is a 404, as from a
//!   registry without the referrers API, so that the lookup goes on to the tag schema.

use std::collections::HashSet;

use crate::manifest::{self, Document, OCI_INDEX};
use crate::{Fetch, MAX_MANIFEST_BYTES, OciDigest};

use super::index::{KIND_ATTESTATIONS, KIND_IMAGE, KIND_IMAGE_INDEX, KIND_SBOMS, KIND_SIGNATURES};
use super::store::BlobBytes;
use super::{Layout, LayoutError};

/// Most bytes of `index.json`'s manifests read to answer one referrers listing.
const MAX_SCANNED_BYTES: u64 = 64 << 20;

/// An answer owned by the driver, lent to the lookup as a [`crate::Response`].
pub(crate) enum Answer {
    Found {
        body: Vec<u8>,
        content_type: Option<String>,
        digest: Option<String>,
    },
    NotFound,
    TooLarge,
}

impl Answer {
    pub(crate) fn as_response(&self) -> crate::Response<'_> {
        match self {
            Self::Found {
                body,
                content_type,
                digest,
            } => crate::Response::Found {
                body,
                content_type: content_type.as_deref(),
                docker_content_digest: digest.as_deref(),
            },
            Self::NotFound => crate::Response::NotFound,
            Self::TooLarge => crate::Response::TooLarge,
        }
    }
}

impl Layout {
    /// Answers `fetch` from the layout.
    pub(crate) fn answer(&self, fetch: &Fetch) -> Result<Answer, LayoutError> {
        match fetch {
            Fetch::Manifest { reference, .. } => self.manifest(reference, true),
            Fetch::ManifestHead { reference, .. } => self.manifest(reference, false),
            Fetch::Referrers { digest, .. } => self.referrers(digest),
            Fetch::Blob { digest, .. } => Ok(match self.store.read(digest, fetch.max_len())? {
                BlobBytes::Found(body) => Answer::Found {
                    body,
                    content_type: None,
                    digest: Some(digest.to_string()),
                },
                BlobBytes::Missing => Answer::NotFound,
                BlobBytes::TooLarge => Answer::TooLarge,
            }),
        }
    }

    /// The manifest `reference` names (a digest or a tag), with its body if `body`.
    fn manifest(&self, reference: &str, body: bool) -> Result<Answer, LayoutError> {
        let (digest, media_type) = match OciDigest::parse(reference) {
            Ok(digest) => (digest, None),
            Err(_) => match self.tagged(reference) {
                Some(entry) => (entry.digest().clone(), Some(entry.media_type().to_owned())),
                None => return Ok(Answer::NotFound),
            },
        };
        let bytes = match self.store.read(&digest, MAX_MANIFEST_BYTES)? {
            BlobBytes::Found(bytes) => bytes,
            BlobBytes::Missing => return Ok(Answer::NotFound),
            BlobBytes::TooLarge => return Ok(Answer::TooLarge),
        };
        // A registry says what a manifest is in Content-Type; a layout's entry says it, and a
        // blob asked for by digest says it in its own `mediaType` (read by the lookup).
        let content_type = media_type.or_else(|| sniff_media_type(&bytes));
        Ok(Answer::Found {
            body: if body { bytes } else { Vec::new() },
            content_type,
            digest: Some(digest.to_string()),
        })
    }

    /// The entry a tag names: by `ref.name`, else `cosign save`'s signatures or attestations
    /// of its image.
    fn tagged(&self, tag: &str) -> Option<&super::IndexEntry> {
        if let Some(entry) = self.index.by_ref_name(tag) {
            return Some(entry);
        }
        let (stem, kind) = if let Some(stem) = tag.strip_suffix(".sig") {
            (stem, KIND_SIGNATURES)
        } else if let Some(stem) = tag.strip_suffix(".att") {
            (stem, KIND_ATTESTATIONS)
        } else if let Some(stem) = tag.strip_suffix(".sbom") {
            (stem, KIND_SBOMS)
        } else {
            return None;
        };
        let image = self
            .index
            .by_cosign_kind(KIND_IMAGE)
            .or_else(|| self.index.by_cosign_kind(KIND_IMAGE_INDEX))?;
        (image.digest().tag_form() == stem)
            .then(|| self.index.by_cosign_kind(kind))
            .flatten()
    }

    /// An OCI index of the manifests in `index.json` whose `subject` is `digest`, with those
    /// of a `sha256-<hex>` tag-schema index beside them; 404 if there are none.
    fn referrers(&self, digest: &OciDigest) -> Result<Answer, LayoutError> {
        let mut listed: Vec<serde_json::Value> = Vec::new();
        // Each manifest read once, however often index.json names it, and at most
        // MAX_SCANNED_BYTES of them: index.json comes from outside.
        let mut seen: HashSet<&OciDigest> = HashSet::new();
        let mut in_listing: HashSet<OciDigest> = HashSet::new();
        let mut scanned = 0u64;
        for entry in self.index.entries() {
            if !manifest::is_image_manifest(entry.media_type())
                || entry.size() > MAX_MANIFEST_BYTES
                || !seen.insert(entry.digest())
            {
                continue;
            }
            let BlobBytes::Found(bytes) = self.store.read(entry.digest(), MAX_MANIFEST_BYTES)?
            else {
                continue;
            };
            scanned += bytes.len() as u64;
            if scanned > MAX_SCANNED_BYTES {
                return Err(LayoutError::refused(
                    &self.what,
                    format!(
                        "index.json names more than {MAX_SCANNED_BYTES} bytes of manifests to \
                         search for referrers (a real layout holds a few KiB each); keep only \
                         the images to verify and their signatures in the layout"
                    ),
                ));
            }
            let Ok(Document::Manifest(parsed)) =
                manifest::parse_document(&bytes, Some(entry.media_type()))
            else {
                continue;
            };
            if parsed.subject.as_ref().map(|subject| &subject.digest) != Some(digest) {
                continue;
            }
            in_listing.insert(entry.digest().clone());
            let mut descriptor = serde_json::json!({
                "mediaType": entry.media_type(),
                "digest": entry.digest().to_string(),
                "size": entry.size(),
            });
            if let Some(artifact_type) = parsed
                .artifact_type
                .as_ref()
                .or(Some(&parsed.config.media_type))
            {
                descriptor["artifactType"] = artifact_type.as_str().into();
            }
            listed.push(descriptor);
        }
        if listed.is_empty() {
            return Ok(Answer::NotFound);
        }
        // The tag-schema index copied beside them, if any: the lookup reads it only after a 404.
        if let Some(entry) = self.index.by_ref_name(&digest.tag_form())
            && let BlobBytes::Found(bytes) = self.store.read(entry.digest(), MAX_MANIFEST_BYTES)?
            && let Ok(Document::Index(index)) = manifest::parse_document(&bytes, None)
        {
            for child in index.manifests {
                if in_listing.insert(child.digest.clone()) {
                    listed.push(serde_json::json!({
                        "mediaType": child.media_type,
                        "digest": child.digest.to_string(),
                        "size": child.size,
                        "artifactType": child.artifact_type,
                    }));
                }
            }
        }
        let body = serde_json::json!({
            "schemaVersion": 2,
            "mediaType": OCI_INDEX,
            "manifests": listed,
        });
        Ok(Answer::Found {
            body: body.to_string().into_bytes(),
            content_type: Some(OCI_INDEX.to_owned()),
            digest: None,
        })
    }
}

/// A manifest's own `mediaType`, if it has one.
fn sniff_media_type(bytes: &[u8]) -> Option<String> {
    manifest::parse_document(bytes, None)
        .ok()
        .map(|document| match document {
            Document::Manifest(parsed) => parsed.media_type,
            Document::Index(index) => index.media_type,
        })
}
