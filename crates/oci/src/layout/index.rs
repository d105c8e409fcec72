//! `oci-layout` and `index.json`: what a layout says it holds, and which entry a reference
//! names. Pure: bytes in, entries out.

use crate::manifest::{self, Descriptor, Document};
use crate::{OciDigest, lookup::MAX_MANIFEST_COST};

use super::LayoutError;

/// The annotation OCI layouts name their entries with (skopeo writes the tag it copied to).
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";
/// The annotation `cosign save` marks its entries with.
pub const COSIGN_KIND: &str = "kind";
/// `cosign save`'s kinds: the image, its index form, its `.sig` and its `.att` manifests.
pub const KIND_IMAGE: &str = "dev.cosignproject.cosign/image";
/// See [`KIND_IMAGE`].
pub const KIND_IMAGE_INDEX: &str = "dev.cosignproject.cosign/imageIndex";
/// See [`KIND_IMAGE`].
pub const KIND_SIGNATURES: &str = "dev.cosignproject.cosign/sigs";
/// See [`KIND_IMAGE`].
pub const KIND_ATTESTATIONS: &str = "dev.cosignproject.cosign/atts";
/// The kind of the `.sbom` manifest of a layout's image (`cosign attach sbom`), as Hauler and
/// other cosign-layout tools write it; cosign itself writes none.
pub const KIND_SBOMS: &str = "dev.cosignproject.cosign/sboms";

/// Most entries read from an `index.json` (a layout of a whole registry has thousands).
pub const MAX_INDEX_ENTRIES: usize = 100_000;

/// One entry of `index.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    pub(crate) descriptor: Descriptor,
}

impl IndexEntry {
    /// The digest of the manifest or index it names.
    pub fn digest(&self) -> &OciDigest {
        &self.descriptor.digest
    }

    /// Its media type.
    pub fn media_type(&self) -> &str {
        &self.descriptor.media_type
    }

    /// Its size, as declared.
    pub fn size(&self) -> u64 {
        self.descriptor.size
    }

    /// Its `org.opencontainers.image.ref.name`.
    pub fn ref_name(&self) -> Option<&str> {
        self.annotation(REF_NAME)
    }

    /// Its `cosign save` kind.
    pub fn cosign_kind(&self) -> Option<&str> {
        self.annotation(COSIGN_KIND)
    }

    fn annotation(&self, key: &str) -> Option<&str> {
        self.descriptor.annotations.get(key).map(String::as_str)
    }

    /// Whether it holds signatures or attestations rather than an image: a `cosign save`
    /// `sigs`/`atts` entry, or a tag of cosign's schemes (`sha256-<hex>`, `.sig`, `.att`,
    /// `.sbom`).
    pub fn is_signature_artifact(&self) -> bool {
        matches!(
            self.cosign_kind(),
            Some(KIND_SIGNATURES | KIND_ATTESTATIONS | KIND_SBOMS)
        ) || self.ref_name().is_some_and(is_signature_tag)
    }

    /// Whether it names an image (a manifest or an index) that a user may mean.
    fn is_image(&self) -> bool {
        !self.is_signature_artifact()
            && (manifest::is_image_manifest(self.media_type())
                || manifest::is_index(self.media_type()))
    }
}

/// Whether `tag` is one of cosign's tags for what belongs to a digest: `sha256-<hex>` (the
/// referrers tag schema) or with `.sig`, `.att`, `.sbom`.
pub fn is_signature_tag(tag: &str) -> bool {
    let stem = [".sig", ".att", ".sbom"]
        .iter()
        .find_map(|suffix| tag.strip_suffix(suffix))
        .unwrap_or(tag);
    let hex = stem
        .strip_prefix("sha256-")
        .filter(|hex| hex.len() == 64)
        .or_else(|| stem.strip_prefix("sha512-").filter(|hex| hex.len() == 128));
    hex.is_some_and(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The entries of a layout's `index.json`, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LayoutIndex {
    entries: Vec<IndexEntry>,
}

/// Checks `oci-layout`: JSON with `imageLayoutVersion` 1.x.
///
/// # Errors
///
/// [`LayoutError::NotALayout`] naming `what`.
pub fn check_oci_layout(bytes: &[u8], what: &str) -> Result<(), LayoutError> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct OciLayout {
        image_layout_version: String,
    }
    if bytes.len() > 64 * 1024 {
        return Err(LayoutError::not_a_layout(what, "oci-layout is over 64 KiB"));
    }
    let parsed: OciLayout = serde_json::from_slice(bytes).map_err(|err| {
        LayoutError::not_a_layout(
            what,
            format!("oci-layout is not {{\"imageLayoutVersion\": \"1.0.0\"}}: {err}"),
        )
    })?;
    if parsed.image_layout_version.split('.').next() != Some("1") {
        return Err(LayoutError::not_a_layout(
            what,
            format!(
                "imageLayoutVersion {:?} is not supported (expected 1.x)",
                manifest::truncate(&parsed.image_layout_version, 40)
            ),
        ));
    }
    Ok(())
}

impl LayoutIndex {
    /// Parses `index.json` (an OCI image index), refusing duplicate keys, more than
    /// [`MAX_INDEX_ENTRIES`] entries, and a body over 16 MiB as a tree.
    ///
    /// # Errors
    ///
    /// [`LayoutError::NotALayout`] naming `what`.
    pub fn parse(bytes: &[u8], what: &str) -> Result<Self, LayoutError> {
        let refuse =
            |detail: String| LayoutError::not_a_layout(what, format!("index.json: {detail}"));
        vouch_sigstore::check_json(bytes, MAX_MANIFEST_COST)
            .map_err(|err| refuse(err.to_string()))?;
        match manifest::parse_document(bytes, None).map_err(refuse)? {
            Document::Index(index) => {
                if index.manifests.len() > MAX_INDEX_ENTRIES {
                    return Err(refuse(format!(
                        "{} entries, more than {MAX_INDEX_ENTRIES}",
                        index.manifests.len()
                    )));
                }
                Ok(Self {
                    entries: index
                        .manifests
                        .into_iter()
                        .map(|descriptor| IndexEntry { descriptor })
                        .collect(),
                })
            }
            Document::Manifest(_) => Err(refuse("an image manifest, not an index".to_owned())),
        }
    }

    /// Every entry, in order.
    pub fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    /// The entry a reference names: a digest (`sha256:…`, or `@sha256:…`), an
    /// `org.opencontainers.image.ref.name`, or, with none, the only image the layout holds
    /// (`cosign save`'s image entry, else the one entry that is not a signature artifact).
    ///
    /// # Errors
    ///
    /// [`LayoutError::ImageNotFound`] naming `what` and what the layout holds.
    pub fn resolve(&self, reference: Option<&str>, what: &str) -> Result<&IndexEntry, LayoutError> {
        let not_found = |detail: String| LayoutError::ImageNotFound {
            what: what.to_owned(),
            detail,
        };
        match reference {
            Some(reference) => {
                let digest_text = reference.strip_prefix('@').unwrap_or(reference);
                let found = match OciDigest::parse(digest_text) {
                    Ok(digest) => self.entries.iter().find(|entry| *entry.digest() == digest),
                    Err(_) => self.by_ref_name(reference),
                };
                found.ok_or_else(|| {
                    not_found(format!(
                        "no entry named {:?} in index.json; it has {}",
                        manifest::truncate(reference, 200),
                        self.describe()
                    ))
                })
            }
            None => {
                let cosign: Vec<&IndexEntry> = self
                    .entries
                    .iter()
                    .filter(|entry| {
                        matches!(entry.cosign_kind(), Some(KIND_IMAGE | KIND_IMAGE_INDEX))
                    })
                    .collect();
                let images: Vec<&IndexEntry> = if cosign.is_empty() {
                    self.entries
                        .iter()
                        .filter(|entry| entry.is_image())
                        .collect()
                } else {
                    cosign
                };
                match images.as_slice() {
                    [only] => Ok(only),
                    [] => Err(not_found(format!(
                        "no image in index.json; it has {}",
                        self.describe()
                    ))),
                    _ => Err(not_found(format!(
                        "{} images in index.json, so one must be named (PATH:NAME or PATH:sha256:…); it has {}",
                        images.len(),
                        self.describe()
                    ))),
                }
            }
        }
    }

    /// The entry named `name`, the last one if several are (as containers/image does).
    pub fn by_ref_name(&self, name: &str) -> Option<&IndexEntry> {
        self.entries
            .iter()
            .rev()
            .find(|entry| entry.ref_name() == Some(name))
    }

    /// The first entry of `cosign save`'s kind `kind`.
    pub fn by_cosign_kind(&self, kind: &str) -> Option<&IndexEntry> {
        self.entries
            .iter()
            .find(|entry| entry.cosign_kind() == Some(kind))
    }

    /// A short list of what the layout holds, for messages.
    fn describe(&self) -> String {
        if self.entries.is_empty() {
            return "no entries".to_owned();
        }
        let mut names: Vec<String> = self
            .entries
            .iter()
            .take(10)
            .map(|entry| match (entry.ref_name(), entry.cosign_kind()) {
                (Some(name), _) => format!("{:?}", manifest::truncate(name, 100)),
                (None, Some(kind)) => {
                    format!("{} ({})", entry.digest(), manifest::truncate(kind, 60))
                }
                (None, None) => entry.digest().to_string(),
            })
            .collect();
        if self.entries.len() > 10 {
            names.push(format!("and {} more", self.entries.len() - 10));
        }
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    const B: &str = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

    fn index(entries: &[(&str, &str, &str)]) -> LayoutIndex {
        let manifests: Vec<serde_json::Value> = entries
            .iter()
            .map(|(digest, key, value)| {
                serde_json::json!({
                    "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "digest": digest,
                    "size": 10,
                    "annotations": { *key: *value },
                })
            })
            .collect();
        let body = serde_json::json!({"schemaVersion": 2, "manifests": manifests}).to_string();
        LayoutIndex::parse(body.as_bytes(), "x").unwrap()
    }

    #[test]
    fn resolves_names_digests_and_the_only_image() {
        let sig = format!("sha256-{}.sig", &A[7..]);
        let layout = index(&[(A, REF_NAME, "v1"), (B, REF_NAME, &sig)]);
        assert_eq!(
            layout
                .resolve(Some("v1"), "x")
                .unwrap()
                .digest()
                .to_string(),
            A
        );
        assert_eq!(
            layout.resolve(Some(B), "x").unwrap().digest().to_string(),
            B
        );
        assert_eq!(layout.resolve(None, "x").unwrap().digest().to_string(), A);
        assert!(matches!(
            layout.resolve(Some("v2"), "x"),
            Err(LayoutError::ImageNotFound { .. })
        ));
    }

    #[test]
    fn cosign_save_entries_are_told_apart() {
        let layout = index(&[
            (B, COSIGN_KIND, KIND_SIGNATURES),
            (A, COSIGN_KIND, KIND_IMAGE),
        ]);
        assert_eq!(layout.resolve(None, "x").unwrap().digest().to_string(), A);
        assert_eq!(
            layout
                .by_cosign_kind(KIND_SIGNATURES)
                .unwrap()
                .digest()
                .to_string(),
            B
        );
        // Hauler's `sboms` kind is not an image either.
        let hauler = index(&[(B, COSIGN_KIND, KIND_SBOMS), (A, REF_NAME, "v1")]);
        assert_eq!(hauler.resolve(None, "x").unwrap().digest().to_string(), A);
    }

    #[test]
    fn two_images_need_a_name() {
        let layout = index(&[(A, REF_NAME, "v1"), (B, REF_NAME, "v2")]);
        let err = layout.resolve(None, "x").unwrap_err().to_string();
        assert!(err.contains("2 images"), "{err}");
    }

    #[test]
    fn signature_tags() {
        assert!(is_signature_tag(&format!("sha256-{}.sig", "a".repeat(64))));
        assert!(is_signature_tag(&format!("sha256-{}", "a".repeat(64))));
        assert!(!is_signature_tag("latest"));
        assert!(!is_signature_tag(&format!("sha256-{}.sig", "g".repeat(64))));
    }

    #[test]
    fn refuses_what_is_not_an_index() {
        assert!(LayoutIndex::parse(b"{}", "x").is_err());
        assert!(
            LayoutIndex::parse(br#"{"schemaVersion":2,"manifests":[],"manifests":[]}"#, "x")
                .is_err()
        );
        assert!(check_oci_layout(br#"{"imageLayoutVersion":"2.0.0"}"#, "x").is_err());
        check_oci_layout(br#"{"imageLayoutVersion": "1.0.0"}"#, "x").unwrap();
    }
}
