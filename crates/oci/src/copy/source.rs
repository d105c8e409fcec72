//! Where a copy reads from: a registry, or a layout folder (an archive is extracted first,
//! since its layers must be read after its index). Both answer the same [`Fetch`]es the
//! lookup makes, so the plan does not care which it reads; layers come as streams, hashed as
//! they pass.

use std::sync::{Arc, Mutex, PoisonError};

use futures_util::stream::{self, StreamExt as _};
use tokio::io::AsyncReadExt as _;

use super::CopyError;
use crate::layout::Layout;
use crate::layout::LayoutLookupFailure;
use crate::layout::answer::Answer;
use crate::layout::store::{Hasher, blob_path};
use crate::manifest::{self, Document};
use crate::registry::{BlobBody, ByteStream, FetchStatus, RegistryClient, StreamFault};
use crate::{Error, Fetch, ImageRef, Lookup, LookupOptions, OciDigest, Repository};

/// Where images are copied from.
#[derive(Debug)]
#[non_exhaustive]
pub enum CopySource {
    /// An image in a registry.
    Registry {
        /// The client (credentials, TLS, retries).
        client: RegistryClient,
        /// The image, by tag or digest.
        image: ImageRef,
    },
    /// An image in a layout folder.
    Layout {
        /// The layout, opened.
        layout: Layout,
        /// A `ref.name` or digest; `None` for the layout's only image.
        reference: Option<String>,
    },
}

/// A manifest read from the source, checked against its digest.
#[derive(Debug, Clone)]
pub(crate) struct FetchedManifest {
    pub(crate) bytes: Vec<u8>,
    pub(crate) media_type: Option<String>,
    pub(crate) digest: OciDigest,
}

impl CopySource {
    /// Looks up the signatures of the source's image, as `vouch verify` does (the lookup to
    /// verify before a copy).
    ///
    /// # Errors
    ///
    /// As [`RegistryClient::lookup`] and [`Layout::lookup`].
    pub async fn lookup(&self, options: LookupOptions) -> Result<Lookup, CopyError> {
        match self {
            Self::Registry { client, image } => Ok(client.lookup(image, options).await?),
            Self::Layout { layout, reference } => layout
                .lookup(reference.as_deref(), options)
                .map_err(|failure| match failure {
                    LayoutLookupFailure::Layout(error) => CopyError::Layout(error),
                    LayoutLookupFailure::Lookup(error) => CopyError::Lookup(error),
                }),
        }
    }

    /// The same source, its image named by `digest`: what a verification found, so that a
    /// tag moved in between cannot change what is copied.
    #[must_use]
    pub fn pinned(self, digest: &OciDigest) -> Self {
        match self {
            Self::Registry { client, image } => Self::Registry {
                client,
                image: image.with_digest(digest.clone()),
            },
            Self::Layout { layout, .. } => Self::Layout {
                layout,
                reference: Some(digest.to_string()),
            },
        }
    }

    /// The manifest, of the image `digest` names or of one of its index's children, whose
    /// config is `config`: the manifest a `docker save` of the image came from
    /// ([`crate::layout::DockerImage::config`]); `None` if none is.
    ///
    /// # Errors
    ///
    /// As reading manifests: missing, not matching their digests, malformed.
    pub async fn manifest_with_config(
        &self,
        digest: &OciDigest,
        config: &OciDigest,
    ) -> Result<Option<OciDigest>, CopyError> {
        let found =
            self.manifest(&digest.to_string())
                .await?
                .ok_or_else(|| Error::ImageNotFound {
                    image: digest.to_string(),
                })?;
        let children = match manifest::parse_document(&found.bytes, found.media_type.as_deref()) {
            Ok(Document::Manifest(parsed)) => {
                return Ok((parsed.config.digest == *config).then(|| digest.clone()));
            }
            Ok(Document::Index(index)) => index.manifests,
            Err(detail) => {
                return Err(Error::Malformed {
                    what: format!("manifest {digest}"),
                    detail,
                }
                .into());
            }
        };
        for child in children
            .iter()
            .filter(|child| manifest::is_image_manifest(&child.media_type))
        {
            let Some(found) = self.manifest(&child.digest.to_string()).await? else {
                continue;
            };
            if let Ok(Document::Manifest(parsed)) =
                manifest::parse_document(&found.bytes, found.media_type.as_deref())
                && parsed.config.digest == *config
            {
                return Ok(Some(child.digest.clone()));
            }
        }
        Ok(None)
    }

    /// The repository fetches name (a placeholder for a layout, which has none).
    fn repository(&self) -> Repository {
        match self {
            Self::Registry { image, .. } => image.repository().clone(),
            Self::Layout { .. } => ImageRef::parse("oci-layout.invalid/image:latest")
                .map(|image| image.repository().clone())
                .unwrap_or_else(|_| unreachable!()),
        }
    }

    /// The image's reference at the source (a tag or a digest) and the tag it goes by there,
    /// if any.
    pub(crate) fn image_reference(&self) -> Result<(String, Option<String>), CopyError> {
        match self {
            Self::Registry { image, .. } => {
                Ok((image.manifest_reference(), image.tag().map(str::to_owned)))
            }
            Self::Layout { layout, reference } => {
                let entry = layout.resolve(reference.as_deref())?;
                let name = entry
                    .ref_name()
                    .filter(|name| !crate::layout::is_signature_tag(name))
                    .map(str::to_owned);
                Ok((entry.digest().to_string(), name))
            }
        }
    }

    /// One fetch's answer: status, body, `Content-Type`, announced digest.
    async fn answer(
        &self,
        fetch: &Fetch,
    ) -> Result<(FetchStatus, Vec<u8>, Option<String>, Option<String>), CopyError> {
        match self {
            Self::Registry { client, .. } => {
                let body = client.fetch(fetch).await?;
                Ok((
                    body.status(),
                    body.body().to_vec(),
                    body.content_type().map(str::to_owned),
                    body.docker_content_digest().map(str::to_owned),
                ))
            }
            Self::Layout { layout, .. } => Ok(match layout.answer(fetch)? {
                Answer::Found {
                    body,
                    content_type,
                    digest,
                } => (FetchStatus::Found, body, content_type, digest),
                Answer::NotFound => (FetchStatus::NotFound, Vec::new(), None, None),
                Answer::TooLarge => (FetchStatus::TooLarge, Vec::new(), None, None),
            }),
        }
    }

    /// The manifest `reference` (a tag or a digest) names, `None` if there is none. Its bytes
    /// must hash to the digest asked for, or to the one announced.
    pub(crate) async fn manifest(
        &self,
        reference: &str,
    ) -> Result<Option<FetchedManifest>, CopyError> {
        let fetch = Fetch::Manifest {
            repository: self.repository(),
            reference: reference.to_owned(),
        };
        let (status, bytes, media_type, announced) = self.answer(&fetch).await?;
        match status {
            FetchStatus::Found => {}
            FetchStatus::NotFound => return Ok(None),
            _ => {
                return Err(Error::TooLarge {
                    what: format!("the manifest {reference}"),
                    limit: format!("{} bytes", crate::MAX_MANIFEST_BYTES),
                }
                .into());
            }
        }
        let expected = match OciDigest::parse(reference) {
            Ok(digest) => Some(digest),
            Err(_) => announced.as_deref().map(OciDigest::parse).transpose()?,
        };
        let digest = match expected {
            Some(expected) => {
                let found = expected.same_algorithm_of(&bytes);
                if found != expected {
                    return Err(Error::DigestMismatch {
                        what: format!("the manifest {reference}"),
                        expected: expected.to_string(),
                        found: found.to_string(),
                    }
                    .into());
                }
                expected
            }
            None => OciDigest::sha256_of(&bytes),
        };
        Ok(Some(FetchedManifest {
            bytes,
            media_type,
            digest,
        }))
    }

    /// The referrers listing of `digest` (an OCI index), `None` if the source has no
    /// referrers API (404): then the tag schema is read.
    pub(crate) async fn referrers(&self, digest: &OciDigest) -> Result<Option<Vec<u8>>, CopyError> {
        let fetch = Fetch::Referrers {
            repository: self.repository(),
            digest: digest.clone(),
        };
        let (status, bytes, _, _) = self.answer(&fetch).await?;
        Ok(match status {
            FetchStatus::Found => Some(bytes),
            FetchStatus::NotFound => None,
            _ => {
                return Err(Error::TooLarge {
                    what: format!("the referrers listing of {digest}"),
                    limit: format!("{} bytes", crate::MAX_MANIFEST_BYTES),
                }
                .into());
            }
        })
    }

    /// Opens the blob `digest` of `size` bytes as a stream, anew at each call; the stream
    /// fails before its last byte if the bytes do not hash to `digest` or are not `size` long,
    /// and says why in `fault` (an upload broken off reads as a network error; this is what
    /// the copy reports instead, and later attempts fail at once).
    pub(crate) fn blob(
        &self,
        digest: &OciDigest,
        size: u64,
        fault: &Fault,
    ) -> Result<BlobBody, CopyError> {
        let digest = digest.clone();
        let fault = Arc::clone(fault);
        Ok(match self {
            Self::Registry { client, image } => {
                let client = client.clone();
                let repository = image.repository().clone();
                Arc::new(move || {
                    if let Some(known) = fault_text(&fault) {
                        return failed(known);
                    }
                    let (client, repository, wanted) =
                        (client.clone(), repository.clone(), digest.clone());
                    let opened = async move {
                        let download = client
                            .download_blob(&repository, &wanted)
                            .await
                            .map_err(std::io::Error::other)?
                            .ok_or_else(|| {
                                std::io::Error::other(format!(
                                    "the blob {wanted} is missing from {repository} (404)"
                                ))
                            })?;
                        Ok::<_, std::io::Error>(download)
                    };
                    let chunks = stream::once(opened)
                        .map(|opened| match opened {
                            Ok(download) => stream::try_unfold(download, |mut download| async {
                                let chunk =
                                    download.chunk().await.map_err(std::io::Error::other)?;
                                Ok(chunk.map(|chunk| (chunk, download)))
                            })
                            .boxed(),
                            Err(err) => stream::once(async { Err(err) }).boxed(),
                        })
                        .flatten();
                    checked(chunks.boxed(), digest.clone(), size, Arc::clone(&fault))
                })
            }
            Self::Layout { layout, .. } => {
                let path = blob_path(
                    layout.folder().ok_or_else(|| {
                        CopyError::Unsupported(
                            "an archive is copied from once extracted (Layout::extract_archive)"
                                .to_owned(),
                        )
                    })?,
                    &digest,
                );
                Arc::new(move || {
                    if let Some(known) = fault_text(&fault) {
                        return failed(known);
                    }
                    let path = path.clone();
                    let opened = async move {
                        let metadata = tokio::fs::symlink_metadata(&path).await?;
                        if !metadata.is_file() {
                            return Err(std::io::Error::other(format!(
                                "{} is not a regular file (a link or a device is not read)",
                                path.display()
                            )));
                        }
                        tokio::fs::File::open(&path).await
                    };
                    let chunks = stream::once(opened)
                        .map(|opened| match opened {
                            Ok(file) => stream::try_unfold(file, |mut file| async move {
                                let mut buffer = vec![0; 1 << 20];
                                let read = file.read(&mut buffer).await?;
                                buffer.truncate(read);
                                Ok((read > 0).then(|| (bytes::Bytes::from(buffer), file)))
                            })
                            .boxed(),
                            Err(err) => stream::once(async { Err(err) }).boxed(),
                        })
                        .flatten();
                    checked(chunks.boxed(), digest.clone(), size, Arc::clone(&fault))
                })
            }
        })
    }
}

/// Why a blob's stream failed on its own account (bytes that are not what the digest names).
pub(crate) type Fault = Arc<Mutex<Option<String>>>;

fn fault_text(fault: &Fault) -> Option<String> {
    fault.lock().unwrap_or_else(PoisonError::into_inner).clone()
}

/// A stream that fails at once with `message`.
fn failed(message: String) -> ByteStream {
    stream::once(async move { Err(std::io::Error::other(StreamFault(message))) }).boxed()
}

/// `chunks`, hashed as they pass; an error instead of the chunk that makes them `size` bytes
/// (or more) if they do not hash to `digest`, so that no copy of other bytes is ever
/// completed; the reason is put in `fault`.
fn checked(chunks: ByteStream, digest: OciDigest, size: u64, fault: Fault) -> ByteStream {
    struct State {
        chunks: ByteStream,
        hasher: Option<Hasher>,
        len: u64,
    }
    let state = State {
        chunks,
        hasher: Some(Hasher::new(digest.algorithm())),
        len: 0,
    };
    stream::try_unfold(state, move |mut state| {
        let digest = digest.clone();
        let fault = Arc::clone(&fault);
        async move {
            let refuse = |message: String| {
                *fault.lock().unwrap_or_else(PoisonError::into_inner) = Some(message.clone());
                std::io::Error::other(StreamFault(message))
            };
            let chunk = match state.chunks.next().await {
                Some(chunk) => Some(chunk?),
                None => None,
            };
            if let Some(chunk) = &chunk {
                state.len += chunk.len() as u64;
                if state.len > size {
                    return Err(refuse(format!(
                        "the source's blob {digest} is longer than the {size} bytes its \
                         descriptor says: not what it names; nothing of it was kept"
                    )));
                }
                if let Some(hasher) = state.hasher.as_mut() {
                    hasher.update(chunk);
                }
            }
            if (chunk.is_none() || state.len == size)
                && let Some(hasher) = state.hasher.take()
            {
                let found = hasher.finish();
                if state.len != size || found != digest {
                    return Err(refuse(format!(
                        "the source's bytes for blob {digest} ({} bytes, its descriptor says \
                         {size}) hash to {found}: not what it names; nothing of it was kept",
                        state.len
                    )));
                }
            }
            Ok(chunk.map(|chunk| (chunk, state)))
        }
    })
    .boxed()
}
