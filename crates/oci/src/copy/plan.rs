//! What a copy carries, found before anything is written: the image (an index with its
//! children, or one manifest) with its config and layers, then for the image's digest and
//! each child's, cosign's `.sig` and `.att` tags and the referrers (API, else the tag
//! schema). Every manifest is checked against its digest as it is read; layers are checked
//! as they stream during the copy.

use std::collections::HashSet;

use serde_json::Value;

use super::source::{CopySource, FetchedManifest};
use super::{CopyError, CopyOptions};
use crate::manifest::{self, Document};
use crate::{COSIGN_SIGN_PREDICATE_TYPE, Error, MAX_REFERRERS, OciDigest};

/// Most bytes of manifests one plan holds (the image's, its children's, its signatures').
const MAX_PLAN_MANIFEST_BYTES: u64 = 256 << 20;

/// Most manifests in an image index that is copied whole.
const MAX_CHILDREN: usize = 1000;

/// Which of an image's parts a copy carries (`--only`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Parts {
    /// The image: manifests, configs, layers.
    pub image: bool,
    /// Its signatures: the `.sig` tag and signature bundles among its referrers.
    pub signatures: bool,
    /// Its attestations: the `.att` and `.sbom` tags, and every other referrer (attestation
    /// bundles, SBOMs and other artifacts attached to it).
    pub attestations: bool,
}

impl Default for Parts {
    fn default() -> Self {
        Self {
            image: true,
            signatures: true,
            attestations: true,
        }
    }
}

/// Signatures or attestations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    Signatures,
    Attestations,
}

/// Where a manifest goes at the destination.
#[derive(Debug, Clone)]
pub(crate) enum Place {
    /// The image itself (the reference's manifest or index).
    Image,
    /// A manifest of the image's index: by digest only.
    Child,
    /// Under a tag of cosign's scheme (`sha256-<hex>.sig`, `.att`).
    Tag { tag: String, part: Part },
    /// A referrer of `subject`, by digest; `entry` is its descriptor for a tag-schema index.
    Referrer {
        subject: OciDigest,
        entry: Value,
        part: Part,
    },
}

/// One thing to copy, in an order where nothing is written before what it names.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    Blob {
        digest: OciDigest,
        size: u64,
    },
    Manifest {
        manifest: FetchedManifest,
        media_type: String,
        place: Place,
    },
}

/// Everything a copy of one image carries.
#[derive(Debug, Clone)]
pub struct Plan {
    pub(crate) image: OciDigest,
    pub(crate) source_tag: Option<String>,
    pub(crate) steps: Vec<Step>,
    blob_bytes: u64,
    signatures: usize,
    attestations: usize,
    seen: HashSet<OciDigest>,
    manifest_bytes: u64,
}

impl Plan {
    /// Reads what copying the source's image carries: every manifest (checked against its
    /// digest), and the list of blobs.
    ///
    /// # Errors
    ///
    /// [`CopyError::Lookup`] for an image that is not there, a manifest whose bytes are not
    /// its digest's, a malformed manifest; [`CopyError::Registry`] / [`CopyError::Layout`]
    /// for reading failures.
    pub async fn gather(source: &CopySource, options: &CopyOptions) -> Result<Self, CopyError> {
        let (reference, source_tag) = source.image_reference()?;
        let mut top = source
            .manifest(&reference)
            .await?
            .ok_or_else(|| Error::ImageNotFound {
                image: reference.clone(),
            })?;
        let mut document = parse(&top, "the image manifest")?;
        if let (Some(platform), Document::Index(index)) = (&options.platform, &document) {
            let chosen = index
                .manifests
                .iter()
                .find(|child| {
                    child.platform.as_ref().is_some_and(|p| {
                        platform.matches(&p.os, &p.architecture, p.variant.as_deref())
                    })
                })
                .ok_or_else(|| Error::PlatformNotFound {
                    platform: platform.to_string(),
                    available: index
                        .manifests
                        .iter()
                        .filter_map(|child| child.platform.as_ref())
                        .map(manifest::PlatformJson::display)
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            top = fetch_manifest(source, &chosen.digest).await?;
            document = parse(&top, "the platform's manifest")?;
        }
        let mut plan = Self {
            image: top.digest.clone(),
            source_tag,
            steps: Vec::new(),
            blob_bytes: 0,
            signatures: 0,
            attestations: 0,
            seen: HashSet::new(),
            manifest_bytes: 0,
        };
        let mut signed = vec![top.digest.clone()];
        if let Document::Index(index) = &document {
            // Each child costs a few requests (its manifest, its signature places).
            if index.manifests.len() > MAX_CHILDREN {
                return Err(Error::TooLarge {
                    what: format!("the image index {}", top.digest),
                    limit: format!("{MAX_CHILDREN} manifests (copy one platform with --platform)"),
                }
                .into());
            }
            for child in &index.manifests {
                if !manifest::is_image_manifest(&child.media_type) {
                    return Err(Error::Malformed {
                        what: "image index".to_owned(),
                        detail: format!(
                            "its entry {} is a {}: indexes of indexes are not copied",
                            child.digest, child.media_type
                        ),
                    }
                    .into());
                }
                signed.push(child.digest.clone());
                if options.parts.image {
                    let child_manifest = fetch_manifest(source, &child.digest).await?;
                    let child_document = parse(&child_manifest, "an image index's manifest")?;
                    plan.add_manifest(child_manifest, &child_document, Place::Child)?;
                }
            }
        }
        if options.parts.image {
            plan.add_manifest(top, &document, Place::Image)?;
        }
        for digest in &signed {
            plan.add_signatures(source, options, digest).await?;
        }
        Ok(plan)
    }

    /// The digest of the image copied (the platform's manifest with `--platform`).
    pub fn image(&self) -> &OciDigest {
        &self.image
    }

    /// Bytes of blobs to copy (configs and layers, signature payloads), before any is found
    /// at the destination.
    pub fn blob_bytes(&self) -> u64 {
        self.blob_bytes
    }

    /// Manifests carrying signatures (`.sig` tags and signature referrers).
    pub fn signature_manifests(&self) -> usize {
        self.signatures
    }

    /// Manifests carrying attestations and other artifacts (`.att` tags, other referrers).
    pub fn attestation_manifests(&self) -> usize {
        self.attestations
    }

    /// The tag the image goes by at the source, if any.
    pub fn source_tag(&self) -> Option<&str> {
        self.source_tag.as_deref()
    }

    /// `.sig`, `.att` and referrers of `digest`, as `options.parts` asks.
    async fn add_signatures(
        &mut self,
        source: &CopySource,
        options: &CopyOptions,
        digest: &OciDigest,
    ) -> Result<(), CopyError> {
        for (suffix, part, wanted) in [
            ("sig", Part::Signatures, options.parts.signatures),
            ("att", Part::Attestations, options.parts.attestations),
            // `cosign attach sbom`'s tag (deprecated by cosign, still in registries).
            ("sbom", Part::Attestations, options.parts.attestations),
        ] {
            if !wanted {
                continue;
            }
            let tag = format!("{}.{suffix}", digest.tag_form());
            if let Some(found) = source.manifest(&tag).await? {
                let document = parse(&found, "a signature manifest")?;
                self.add_manifest(found, &document, Place::Tag { tag, part })?;
            }
        }
        if !options.parts.signatures && !options.parts.attestations {
            return Ok(());
        }
        let listing = match source.referrers(digest).await? {
            Some(listing) => Some(listing),
            None => source
                .manifest(&digest.tag_form())
                .await?
                .map(|found| found.bytes),
        };
        let Some(listing) = listing else {
            return Ok(());
        };
        let Ok(Document::Index(index)) = manifest::parse_document(&listing, None) else {
            return Err(Error::Malformed {
                what: format!("referrers listing of {digest}"),
                detail: "not an OCI image index".to_owned(),
            }
            .into());
        };
        for entry in index.manifests.iter().take(MAX_REFERRERS) {
            if !manifest::is_image_manifest(&entry.media_type) || self.seen.contains(&entry.digest)
            {
                continue;
            }
            // Listed but gone: nothing to copy (the lookup reports it as skipped).
            let Some(found) = source.manifest(&entry.digest.to_string()).await? else {
                continue;
            };
            let part = referrer_part(&found.bytes);
            let wanted = match part {
                Part::Signatures => options.parts.signatures,
                Part::Attestations => options.parts.attestations,
            };
            if !wanted {
                continue;
            }
            let document = parse(&found, "a referrer manifest")?;
            let entry = descriptor(&found, &document);
            self.add_manifest(
                found,
                &document,
                Place::Referrer {
                    subject: digest.clone(),
                    entry,
                    part,
                },
            )?;
        }
        Ok(())
    }

    /// The blobs `document` names, then the manifest itself.
    fn add_manifest(
        &mut self,
        found: FetchedManifest,
        document: &Document,
        place: Place,
    ) -> Result<(), CopyError> {
        if !self.seen.insert(found.digest.clone()) {
            return Ok(());
        }
        // Manifests are held until they are written: bounded, whatever the source lists.
        self.manifest_bytes += found.bytes.len() as u64;
        if self.manifest_bytes > MAX_PLAN_MANIFEST_BYTES {
            return Err(Error::TooLarge {
                what: "the manifests of the image and its signatures".to_owned(),
                limit: format!(
                    "{MAX_PLAN_MANIFEST_BYTES} bytes (a real image with its signatures has a \
                     few KiB of them; copy one platform with --platform)"
                ),
            }
            .into());
        }
        if let Document::Manifest(parsed) = document {
            for blob in std::iter::once(&parsed.config).chain(&parsed.layers) {
                if self.seen.insert(blob.digest.clone()) {
                    self.blob_bytes += blob.size;
                    self.steps.push(Step::Blob {
                        digest: blob.digest.clone(),
                        size: blob.size,
                    });
                }
            }
        }
        match &place {
            Place::Tag { part, .. } | Place::Referrer { part, .. } => match part {
                Part::Signatures => self.signatures += 1,
                Part::Attestations => self.attestations += 1,
            },
            Place::Image | Place::Child => {}
        }
        self.steps.push(Step::Manifest {
            media_type: media_type(document),
            manifest: found,
            place,
        });
        Ok(())
    }
}

/// The manifest `digest`, which must be there.
async fn fetch_manifest(
    source: &CopySource,
    digest: &OciDigest,
) -> Result<FetchedManifest, CopyError> {
    source.manifest(&digest.to_string()).await?.ok_or_else(|| {
        Error::Malformed {
            what: "image index".to_owned(),
            detail: format!("its manifest {digest} is missing from the source"),
        }
        .into()
    })
}

fn parse(found: &FetchedManifest, what: &str) -> Result<Document, CopyError> {
    manifest::parse_document(&found.bytes, found.media_type.as_deref()).map_err(|detail| {
        Error::Malformed {
            what: format!("{what} {}", found.digest),
            detail,
        }
        .into()
    })
}

/// The media type a manifest is (from its body, else from the source's `Content-Type`).
fn media_type(document: &Document) -> String {
    match document {
        Document::Manifest(parsed) => parsed.media_type.clone(),
        Document::Index(index) => index.media_type.clone(),
    }
}

/// A referrer's descriptor, for a tag-schema index: what cosign and vouch write there.
fn descriptor(found: &FetchedManifest, document: &Document) -> Value {
    let value: Value = serde_json::from_slice(&found.bytes).unwrap_or(Value::Null);
    let mut entry = serde_json::json!({
        "mediaType": media_type(document),
        "digest": found.digest.to_string(),
        "size": found.bytes.len(),
    });
    let artifact_type = value
        .get("artifactType")
        .or_else(|| {
            value
                .get("config")
                .and_then(|config| config.get("mediaType"))
        })
        .cloned();
    if let Some(artifact_type) = artifact_type {
        entry["artifactType"] = artifact_type;
    }
    if let Some(annotations) = value.get("annotations").filter(|a| a.is_object()) {
        entry["annotations"] = annotations.clone();
    }
    entry
}

/// Whether a referrer holds a signature (a Sigstore bundle over the image: a message
/// signature, or cosign 3's DSSE statement of type `cosign/sign/v1`) or something else
/// (attestations, SBOMs and other artifacts).
fn referrer_part(bytes: &[u8]) -> Part {
    let value: Value = serde_json::from_slice(bytes).unwrap_or(Value::Null);
    let is_bundle = |media_type: Option<&Value>| {
        media_type
            .and_then(Value::as_str)
            .is_some_and(|media_type| media_type.starts_with("application/vnd.dev.sigstore.bundle"))
    };
    let bundle = is_bundle(value.get("artifactType"))
        || value
            .get("layers")
            .and_then(Value::as_array)
            .is_some_and(|layers| layers.iter().any(|layer| is_bundle(layer.get("mediaType"))));
    let predicate_type = value
        .get("annotations")
        .and_then(|annotations| annotations.get("dev.sigstore.bundle.predicateType"))
        .and_then(Value::as_str);
    match predicate_type {
        _ if !bundle => Part::Attestations,
        None => Part::Signatures,
        Some(COSIGN_SIGN_PREDICATE_TYPE) => Part::Signatures,
        Some(_) => Part::Attestations,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referrers_are_told_apart() {
        let bundle =
            br#"{"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","layers":[]}"#;
        assert_eq!(referrer_part(bundle), Part::Signatures);
        let statement = br#"{"artifactType":"application/vnd.dev.sigstore.bundle.v0.3+json","annotations":{"dev.sigstore.bundle.predicateType":"https://slsa.dev/provenance/v1"}}"#;
        assert_eq!(referrer_part(statement), Part::Attestations);
        let signed = br#"{"layers":[{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}],"annotations":{"dev.sigstore.bundle.predicateType":"https://sigstore.dev/cosign/sign/v1"}}"#;
        assert_eq!(referrer_part(signed), Part::Signatures);
        assert_eq!(
            referrer_part(br#"{"artifactType":"application/spdx+json"}"#),
            Part::Attestations
        );
        assert_eq!(referrer_part(b"not json"), Part::Attestations);
    }
}
