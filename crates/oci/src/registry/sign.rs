//! Attaching signatures: the registry side of `vouch sign`. Each function reads what the
//! registry holds (checked against its digest), lets [`crate::attach`] build the new
//! documents, uploads the blobs, then puts the manifests.
//!
//! Registries offer no compare-and-swap on tags: two signers appending to the same `.sig`
//! manifest or fallback index at the same moment can lose one of the two entries (cosign,
//! skopeo and ggcr share this). The signature itself is never at risk of being altered.

use super::client::{FetchStatus, LookupFailure, RegistryClient};
use crate::attach::legacy::SignatureManifest;
use crate::attach::referrer::{BundleReferrer, FallbackIndex};
use crate::attach::{Content, ImageSubject};
use crate::{Error, Fetch, ImageRef, MAX_MANIFEST_BYTES, OciDigest, Repository};

/// Where a signature was put.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attached {
    /// A layer of the legacy signature manifest under this tag.
    LegacyTag {
        /// `sha256-<hex>.sig`.
        tag: String,
        /// The manifest's digest after the change.
        manifest: OciDigest,
    },
    /// A referrer manifest, indexed by the registry's referrers API.
    Referrer {
        /// The referrer manifest's digest.
        manifest: OciDigest,
    },
    /// A referrer manifest, listed in the tag-schema fallback index under this tag (the
    /// registry has no referrers API).
    ReferrerWithFallbackTag {
        /// The referrer manifest's digest.
        manifest: OciDigest,
        /// `sha256-<hex>`.
        tag: String,
    },
}

/// What attaching did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachOutcome {
    /// Where the signature is.
    pub attached: Attached,
    /// Whether it was there already (nothing was written).
    pub already_present: bool,
}

impl RegistryClient {
    /// Fetches `image`'s manifest (by its digest if it has one, else by its tag, once) and
    /// describes it as a subject.
    ///
    /// # Errors
    ///
    /// [`LookupFailure::Lookup`] with [`Error::ImageNotFound`] for a 404, or if the bytes do
    /// not match the digest asked for or announced; [`LookupFailure::Registry`] for
    /// transport failures.
    pub async fn resolve_subject(&self, image: &ImageRef) -> Result<ImageSubject, LookupFailure> {
        let fetch = Fetch::Manifest {
            repository: image.repository().clone(),
            reference: image.manifest_reference(),
        };
        let answer = self.fetch(&fetch).await?;
        match answer.status() {
            FetchStatus::Found => {}
            FetchStatus::NotFound => {
                return Err(Error::ImageNotFound {
                    image: format!("{}:{}", image.repository(), image.manifest_reference()),
                }
                .into());
            }
            _ => {
                return Err(Error::TooLarge {
                    what: "the image manifest".to_owned(),
                    limit: format!("{MAX_MANIFEST_BYTES} bytes"),
                }
                .into());
            }
        }
        let announced = answer
            .docker_content_digest()
            .map(OciDigest::parse)
            .transpose()?;
        let expected = image.digest().or(announced.as_ref());
        Ok(ImageSubject::from_manifest(
            answer.body(),
            answer.content_type(),
            expected,
        )?)
    }

    /// Appends a simple-signing layer (`payload`, signed as `signature_base64`) to the
    /// `.sig` manifest of `subject` in `repository`, keeping the layers already there.
    ///
    /// # Errors
    ///
    /// As [`RegistryClient::resolve_subject`]; [`Error::Malformed`] if the tag holds
    /// something that is not a signature manifest (it is not overwritten).
    pub async fn attach_legacy_signature(
        &self,
        repository: &Repository,
        subject: &ImageSubject,
        payload: &Content,
        signature_base64: &str,
    ) -> Result<AttachOutcome, LookupFailure> {
        self.attach_legacy_layer(
            repository,
            subject,
            "sig",
            payload,
            signature_base64,
            |m, c| m.append(c, payload, signature_base64),
        )
        .await
    }

    /// Adds an attestation layer (`envelope`, from [`crate::attach::legacy::envelope_blob`]) to
    /// the `sha256-<hex>.att` manifest of `subject` in `repository`, as cosign ≤ 2 attests,
    /// keeping the layers already there; an identical layer is not added twice.
    ///
    /// # Errors
    ///
    /// As [`RegistryClient::attach_legacy_signature`].
    pub async fn attach_legacy_attestation(
        &self,
        repository: &Repository,
        subject: &ImageSubject,
        envelope: &Content,
        predicate_type: &str,
    ) -> Result<AttachOutcome, LookupFailure> {
        self.attach_legacy_layer(repository, subject, "att", envelope, "", |m, c| {
            m.append_attestation(c, envelope, predicate_type)
        })
        .await
    }

    /// The `.sig` or `.att` tag (`suffix`) of `subject`, with one more layer made by `append`
    /// unless a layer holds `payload` with `signature_base64` already.
    async fn attach_legacy_layer(
        &self,
        repository: &Repository,
        subject: &ImageSubject,
        suffix: &str,
        payload: &Content,
        signature_base64: &str,
        append: impl FnOnce(&SignatureManifest, Option<&[u8]>) -> crate::Result<(Vec<Content>, Content)>,
    ) -> Result<AttachOutcome, LookupFailure> {
        let tag = format!("{}.{suffix}", subject.digest().tag_form());
        let existing = self.fetch_tag(repository, &tag).await?;
        let manifest = match &existing {
            Some(bytes) => SignatureManifest::parse(bytes)?,
            None => SignatureManifest::new(),
        };
        if manifest.contains(payload, signature_base64) {
            let digest = OciDigest::sha256_of(existing.as_deref().unwrap_or_default());
            return Ok(AttachOutcome {
                attached: Attached::LegacyTag {
                    tag,
                    manifest: digest,
                },
                already_present: true,
            });
        }
        let config = match manifest.config() {
            Some((digest, size)) => Some(self.fetch_blob(repository, digest, size).await?),
            None => None,
        };
        let (blobs, body) = append(&manifest, config.as_deref())?;
        for blob in &blobs {
            self.push_blob(repository, blob).await?;
        }
        self.put_manifest(repository, &tag, &body).await?;
        Ok(AttachOutcome {
            attached: Attached::LegacyTag {
                tag,
                manifest: body.digest().clone(),
            },
            already_present: false,
        })
    }

    /// Puts `referrer` (a bundle referrer of `subject`) in `repository`; if the registry has
    /// no referrers API, lists it in the tag-schema fallback index, keeping the entries
    /// already there.
    ///
    /// # Errors
    ///
    /// As [`RegistryClient::attach_legacy_signature`].
    pub async fn attach_bundle(
        &self,
        repository: &Repository,
        subject: &ImageSubject,
        referrer: &BundleReferrer,
    ) -> Result<AttachOutcome, LookupFailure> {
        for blob in referrer.blobs() {
            self.push_blob(repository, blob).await?;
        }
        let manifest = referrer.manifest();
        let put = self
            .put_manifest(repository, &manifest.digest().to_string(), manifest)
            .await?;
        if put.oci_subject.is_some() {
            return Ok(AttachOutcome {
                attached: Attached::Referrer {
                    manifest: manifest.digest().clone(),
                },
                already_present: false,
            });
        }
        let tag = subject.digest().tag_form();
        let index = match self.fetch_tag(repository, &tag).await? {
            Some(bytes) => FallbackIndex::parse(&bytes)?,
            None => FallbackIndex::new(),
        };
        let updated = index.with(referrer)?;
        if let Some(body) = &updated {
            self.put_manifest(repository, &tag, body).await?;
        }
        Ok(AttachOutcome {
            attached: Attached::ReferrerWithFallbackTag {
                manifest: manifest.digest().clone(),
                tag,
            },
            already_present: updated.is_none(),
        })
    }

    /// The manifest under `tag`, checked against the digest the registry announces, or
    /// `None` for a 404.
    pub(crate) async fn fetch_tag(
        &self,
        repository: &Repository,
        tag: &str,
    ) -> Result<Option<Vec<u8>>, LookupFailure> {
        let fetch = Fetch::Manifest {
            repository: repository.clone(),
            reference: tag.to_owned(),
        };
        let answer = self.fetch(&fetch).await?;
        match answer.status() {
            FetchStatus::NotFound => Ok(None),
            FetchStatus::Found => {
                if let Some(announced) = answer.docker_content_digest() {
                    let announced = OciDigest::parse(announced)?;
                    let found = announced.same_algorithm_of(answer.body());
                    if found != announced {
                        return Err(Error::DigestMismatch {
                            what: format!("the manifest tagged {tag}"),
                            expected: announced.to_string(),
                            found: found.to_string(),
                        }
                        .into());
                    }
                }
                Ok(Some(answer.body().to_vec()))
            }
            _ => Err(Error::TooLarge {
                what: format!("the manifest tagged {tag}"),
                limit: format!("{MAX_MANIFEST_BYTES} bytes"),
            }
            .into()),
        }
    }

    /// A blob, checked against its digest and size.
    async fn fetch_blob(
        &self,
        repository: &Repository,
        digest: &OciDigest,
        size: u64,
    ) -> Result<Vec<u8>, LookupFailure> {
        let fetch = Fetch::Blob {
            repository: repository.clone(),
            digest: digest.clone(),
            size,
        };
        let answer = self.fetch(&fetch).await?;
        match answer.status() {
            // Checked against digest and size by `SignatureManifest::append`.
            FetchStatus::Found => Ok(answer.body().to_vec()),
            FetchStatus::NotFound => Err(Error::Malformed {
                what: "signature manifest".to_owned(),
                detail: format!("its config blob {digest} is missing from the registry"),
            }
            .into()),
            _ => Err(Error::TooLarge {
                what: format!("the signature manifest's config blob {digest}"),
                limit: format!("the {size} bytes its descriptor declares"),
            }
            .into()),
        }
    }
}
