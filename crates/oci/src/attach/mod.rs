//! Writing signatures, sans I/O: the bytes `vouch sign` pushes to a registry, built from what
//! the registry already holds. A driver fetches the existing documents, hands them here, signs
//! what it is given to sign, and uploads the [`Content`] returned (blobs first, then manifests).
//!
//! Two layouts, as cosign writes them (cosign's `SIGNATURE_SPEC.md` and `BUNDLE_SPEC.md`):
//! * [`legacy`]: a simple-signing payload as one more layer of the `sha256-<hex>.sig`
//!   manifest; the layers already there are kept byte for byte.
//! * [`referrer`]: a Sigstore bundle as an OCI 1.1 referrer manifest whose `subject` is the
//!   image, plus, for registries without the referrers API, the entry in the tag-schema
//!   fallback index (`sha256-<hex>`); the entries already there are kept byte for byte.
//!
//! Nothing here removes or rewrites another signer's signature: documents are read as JSON
//! values, one entry is appended, and every other field is written back as it was parsed.

pub mod legacy;
pub mod referrer;

use crate::{DOCKER_HUB, Error, OciDigest, Repository, Result};

/// Bytes to upload, known by their digest: a blob (payload, config, bundle) or a manifest or
/// index, with the media type its descriptor or `Content-Type` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Content {
    media_type: String,
    digest: OciDigest,
    bytes: Vec<u8>,
}

impl Content {
    /// `bytes`, known by their SHA-256 digest.
    pub fn new(media_type: impl Into<String>, bytes: Vec<u8>) -> Self {
        Self {
            media_type: media_type.into(),
            digest: OciDigest::sha256_of(&bytes),
            bytes,
        }
    }

    /// A manifest or index serialised from `value`, within [`crate::MAX_MANIFEST_BYTES`].
    fn manifest(media_type: &str, value: &serde_json::Value) -> Result<Self> {
        let bytes = serde_json::to_vec(value).map_err(|err| Error::Malformed {
            what: "manifest to write".to_owned(),
            detail: err.to_string(),
        })?;
        if bytes.len() as u64 > crate::MAX_MANIFEST_BYTES {
            return Err(Error::TooLarge {
                what: format!("the {media_type} to write ({} bytes)", bytes.len()),
                limit: format!(
                    "{} bytes that registries accept for a manifest",
                    crate::MAX_MANIFEST_BYTES
                ),
            });
        }
        Ok(Self::new(media_type, bytes))
    }

    /// The media type (`Content-Type` of a manifest PUT, `mediaType` of a descriptor).
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The digest it is uploaded as.
    pub fn digest(&self) -> &OciDigest {
        &self.digest
    }

    /// The bytes.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Its size in bytes.
    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn descriptor(&self) -> serde_json::Value {
        serde_json::json!({
            "mediaType": self.media_type,
            "digest": self.digest.to_string(),
            "size": self.size(),
        })
    }
}

/// The image a signature is for, as a descriptor: the manifest's digest, media type and size;
/// for an index, also the images it lists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSubject {
    digest: OciDigest,
    media_type: String,
    size: u64,
    children: Vec<Self>,
}

impl ImageSubject {
    /// The subject described by its manifest as the registry sent it. `expected` is the
    /// digest the manifest was fetched by, if it was: the bytes must hash to it.
    ///
    /// # Errors
    ///
    /// [`Error::DigestMismatch`] if the bytes do not hash to `expected`, [`Error::Malformed`]
    /// if they are not an OCI or Docker v2 manifest or index (as the lookup reads them).
    pub fn from_manifest(
        body: &[u8],
        content_type: Option<&str>,
        expected: Option<&OciDigest>,
    ) -> Result<Self> {
        let digest = match expected {
            Some(expected) => {
                let found = expected.same_algorithm_of(body);
                if found != *expected {
                    return Err(Error::DigestMismatch {
                        what: "the image manifest".to_owned(),
                        expected: expected.to_string(),
                        found: found.to_string(),
                    });
                }
                found
            }
            None => OciDigest::sha256_of(body),
        };
        let document = crate::manifest::parse_document(body, content_type).map_err(|detail| {
            crate::manifest::image_manifest_error("image manifest".to_owned(), detail, body)
        })?;
        let (media_type, children) = match document {
            crate::manifest::Document::Manifest(manifest) => (manifest.media_type, Vec::new()),
            crate::manifest::Document::Index(index) => (
                index.media_type,
                index
                    .manifests
                    .into_iter()
                    .map(|child| Self {
                        digest: child.digest,
                        media_type: child.media_type,
                        size: child.size,
                        children: Vec::new(),
                    })
                    .collect(),
            ),
        };
        Ok(Self {
            digest,
            media_type,
            size: body.len() as u64,
            children,
        })
    }

    /// For an index, the images (or nested indexes) it lists, as its descriptors describe
    /// them; empty for an image manifest. Their own children are not known.
    pub fn children(&self) -> &[Self] {
        &self.children
    }

    /// The manifest's digest: what is signed.
    pub fn digest(&self) -> &OciDigest {
        &self.digest
    }

    /// The manifest's media type.
    pub fn media_type(&self) -> &str {
        &self.media_type
    }

    /// The manifest's size in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    fn descriptor(&self) -> serde_json::Value {
        serde_json::json!({
            "mediaType": self.media_type,
            "digest": self.digest.to_string(),
            "size": self.size,
        })
    }
}

/// The repository as cosign names it in what it signs (`docker-reference` of a simple-signing
/// payload, the in-toto subject's `name`): `registry/name`, with Docker Hub spelled
/// `index.docker.io` as go-containerregistry does.
pub fn signed_identity(repository: &Repository) -> String {
    if repository.registry() == DOCKER_HUB {
        format!("index.docker.io/{}", repository.name())
    } else {
        repository.to_string()
    }
}

/// Parses a document the registry holds as a JSON object, or says what it is instead.
fn parse_object(what: &str, bytes: &[u8]) -> Result<serde_json::Map<String, serde_json::Value>> {
    match serde_json::from_slice(bytes) {
        Ok(serde_json::Value::Object(map)) => Ok(map),
        Ok(_) => Err(Error::Malformed {
            what: what.to_owned(),
            detail: "not a JSON object".to_owned(),
        }),
        Err(err) => Err(Error::Malformed {
            what: what.to_owned(),
            detail: err.to_string(),
        }),
    }
}

/// Checks that `bytes` hash to the digest and size a descriptor gave for them.
fn check_body(what: &str, bytes: &[u8], digest: &OciDigest, size: u64) -> Result<()> {
    if bytes.len() as u64 != size {
        return Err(Error::SizeMismatch {
            what: what.to_owned(),
            expected: size,
            found: bytes.len() as u64,
        });
    }
    let found = digest.same_algorithm_of(bytes);
    if found != *digest {
        return Err(Error::DigestMismatch {
            what: what.to_owned(),
            expected: digest.to_string(),
            found: found.to_string(),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docker_hub_is_spelled_as_cosign_spells_it() {
        let hub = Repository::parse("alpine").unwrap();
        assert_eq!(signed_identity(&hub), "index.docker.io/library/alpine");
        let local = Repository::parse("127.0.0.1:5000/test/app").unwrap();
        assert_eq!(signed_identity(&local), "127.0.0.1:5000/test/app");
    }

    #[test]
    fn subject_takes_the_documents_media_type_and_checks_the_digest() {
        let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        let subject = ImageSubject::from_manifest(body, None, None).unwrap();
        assert_eq!(subject.media_type(), crate::manifest::OCI_MANIFEST);
        assert_eq!(subject.size(), body.len() as u64);
        assert_eq!(subject.digest(), &OciDigest::sha256_of(body));
        let other = OciDigest::sha256_of(b"other");
        assert!(matches!(
            ImageSubject::from_manifest(body, None, Some(&other)),
            Err(Error::DigestMismatch { .. })
        ));
        // No mediaType in the body: the Content-Type, without parameters.
        let bare = br#"{"schemaVersion":2,"manifests":[]}"#;
        let subject = ImageSubject::from_manifest(
            bare,
            Some("application/vnd.oci.image.index.v1+json; charset=utf-8"),
            None,
        )
        .unwrap();
        assert_eq!(subject.media_type(), crate::manifest::OCI_INDEX);
        assert!(subject.children().is_empty());
        assert!(
            ImageSubject::from_manifest(br#"{"schemaVersion":2}"#, Some("text/html"), None)
                .is_err()
        );
        let child = OciDigest::sha256_of(b"child");
        let index = format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{child}","size":7,"platform":{{"os":"linux","architecture":"arm64"}}}}]}}"#
        );
        let subject = ImageSubject::from_manifest(index.as_bytes(), None, None).unwrap();
        let [listed] = subject.children() else {
            panic!("{subject:?}")
        };
        assert_eq!((listed.digest(), listed.size()), (&child, 7));
        assert_eq!(listed.media_type(), crate::manifest::OCI_MANIFEST);
        assert!(ImageSubject::from_manifest(b"\xff", None, None).is_err());
    }
}
