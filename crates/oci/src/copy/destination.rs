//! Where a copy writes: a registry repository (blobs it has are skipped, so a copy cut short
//! resumes; referrers are listed in the tag-schema index where the registry has no referrers
//! API) or a layout folder (entries annotated for cosign and skopeo alike).

use std::path::PathBuf;

use futures_util::StreamExt as _;
use serde_json::{Value, json};

use super::CopyError;
use super::plan::{Part, Place};
use super::source::FetchedManifest;
use crate::attach::Content;
use crate::attach::referrer::FallbackIndex;
use crate::layout::{
    COSIGN_KIND, Compression, KIND_ATTESTATIONS, KIND_IMAGE, KIND_IMAGE_INDEX, KIND_SBOMS,
    KIND_SIGNATURES, LayoutWriter, REF_NAME,
};
use crate::manifest;
use crate::registry::{BlobBody, BlobPush, RegistryClient};
use crate::{OciDigest, Repository};

/// Where images are copied to.
#[derive(Debug)]
#[non_exhaustive]
pub enum CopyDestination {
    /// A repository in a registry.
    Registry {
        /// The client (credentials with push access).
        client: RegistryClient,
        /// The repository.
        repository: Repository,
        /// The tag the image is put under; `None` for the source's tag (by digest only if it
        /// has none).
        tag: Option<String>,
        /// Replace `.sig`/`.att` tags that hold other manifests (else the copy stops there).
        force: bool,
    },
    /// A layout folder, written in full at [`CopyDestination::finish`]; with `archive`, then
    /// packed into that file and removed.
    Layout {
        /// The folder being written.
        writer: LayoutWriter,
        /// The `ref.name` the image is listed under; `None` for none.
        name: Option<String>,
        /// The archive to pack the folder into, and how.
        archive: Option<(PathBuf, Compression)>,
    },
}

impl CopyDestination {
    /// Copies the blob `digest` unless the destination has it; whether it was copied.
    pub(crate) async fn blob(
        &mut self,
        digest: &OciDigest,
        size: u64,
        open: BlobBody,
    ) -> Result<bool, CopyError> {
        match self {
            Self::Registry {
                client, repository, ..
            } => Ok(client
                .push_blob_stream(repository, digest, size, open)
                .await?
                == BlobPush::Uploaded),
            Self::Layout { writer, .. } => {
                if writer.has_blob(digest, size) {
                    return Ok(false);
                }
                let mut file = writer.blob(digest)?;
                let mut chunks = open();
                while let Some(chunk) = chunks.next().await {
                    let chunk = chunk.map_err(|err| CopyError::Source(err.to_string()))?;
                    file.write(&chunk)?;
                }
                file.commit(size)?;
                Ok(true)
            }
        }
    }

    /// Writes a manifest where `place` says; `image_tag` is the source's tag of the image.
    pub(crate) async fn manifest(
        &mut self,
        found: &FetchedManifest,
        media_type: &str,
        place: &Place,
        image_tag: Option<&str>,
    ) -> Result<(), CopyError> {
        match self {
            Self::Registry {
                client,
                repository,
                tag,
                force,
            } => {
                let content = Content::new(media_type, found.bytes.clone());
                match place {
                    Place::Image => {
                        let reference = tag
                            .as_deref()
                            .or(image_tag)
                            .map_or_else(|| found.digest.to_string(), str::to_owned);
                        client
                            .put_manifest(repository, &reference, &content)
                            .await?;
                    }
                    Place::Child => {
                        client
                            .put_manifest(repository, &found.digest.to_string(), &content)
                            .await?;
                    }
                    Place::Tag { tag, .. } => {
                        if let Some(existing) = client.fetch_tag(repository, tag).await?
                            && OciDigest::sha256_of(&existing) != found.digest
                            && !*force
                        {
                            return Err(CopyError::Conflict(format!(
                                "{repository}:{tag} already holds another manifest (other \
                                 signatures); replacing it would drop them: copy with --force \
                                 to replace it, or sign at the destination instead"
                            )));
                        }
                        client.put_manifest(repository, tag, &content).await?;
                    }
                    Place::Referrer { subject, entry, .. } => {
                        let put = client
                            .put_manifest(repository, &found.digest.to_string(), &content)
                            .await?;
                        if put.oci_subject.is_none() {
                            let index_tag = subject.tag_form();
                            let index = match client.fetch_tag(repository, &index_tag).await? {
                                Some(bytes) => FallbackIndex::parse(&bytes)?,
                                None => FallbackIndex::new(),
                            };
                            if let Some(updated) = index.with_entry(entry.clone())? {
                                client
                                    .put_manifest(repository, &index_tag, &updated)
                                    .await?;
                            }
                        }
                    }
                }
                Ok(())
            }
            Self::Layout { writer, name, .. } => {
                writer.write_blob(&found.digest, &found.bytes)?;
                let mut annotations = serde_json::Map::new();
                match place {
                    Place::Child => return Ok(()),
                    Place::Image => {
                        let kind = if manifest::is_index(media_type) {
                            KIND_IMAGE_INDEX
                        } else {
                            KIND_IMAGE
                        };
                        annotations.insert(COSIGN_KIND.to_owned(), json!(kind));
                        if let Some(name) = name.as_deref().or(image_tag) {
                            annotations.insert(REF_NAME.to_owned(), json!(name));
                        }
                    }
                    Place::Tag { tag, part } => {
                        // cosign reads `sigs` and `atts`; `sboms` is Hauler's, for `.sbom`.
                        let kind = match part {
                            Part::Signatures => KIND_SIGNATURES,
                            Part::Attestations if tag.ends_with(".sbom") => KIND_SBOMS,
                            Part::Attestations => KIND_ATTESTATIONS,
                        };
                        annotations.insert(COSIGN_KIND.to_owned(), json!(kind));
                        annotations.insert(REF_NAME.to_owned(), json!(tag));
                    }
                    Place::Referrer { .. } => {}
                }
                let mut entry = json!({
                    "mediaType": media_type,
                    "digest": found.digest.to_string(),
                    "size": found.bytes.len(),
                });
                if !annotations.is_empty() {
                    entry["annotations"] = Value::Object(annotations);
                }
                writer.add_entry(entry);
                Ok(())
            }
        }
    }

    /// Completes the copy: a layout's `index.json` is written (and the folder packed into
    /// its archive); nothing more for a registry.
    ///
    /// # Errors
    ///
    /// [`CopyError::Layout`] if a file cannot be written.
    pub fn finish(self) -> Result<(), CopyError> {
        if let Self::Layout {
            writer, archive, ..
        } = self
        {
            let folder = writer.root().to_path_buf();
            writer.finish()?;
            if let Some((path, compression)) = archive {
                crate::layout::write_archive(&folder, &path, compression)?;
                let _ = std::fs::remove_dir_all(&folder);
            }
        }
        Ok(())
    }
}
