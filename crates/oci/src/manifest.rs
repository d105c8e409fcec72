//! OCI and Docker manifests, indexes and descriptors: serde types, and parsing that takes any
//! bytes without panicking and without allocating beyond the body it is given.
//!
//! Both families share one JSON shape (`mediaType`, `config`, `layers`, `manifests`, …), so one
//! set of types reads OCI image manifests and indexes and Docker v2 schema 2 manifests and
//! manifest lists. Unknown fields are ignored; a document whose `mediaType` says one kind but
//! whose fields are the other's is rejected (the confusion the OCI spec warns about).

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer};

use crate::{MAX_MANIFEST_BYTES, OciDigest};

/// OCI image index; also the shape of a referrers listing and of the referrers tag schema.
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// OCI image manifest.
pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// Docker manifest list (v2 schema 2).
pub(crate) const DOCKER_MANIFEST_LIST: &str =
    "application/vnd.docker.distribution.manifest.list.v2+json";
/// Docker image manifest (v2 schema 2).
pub(crate) const DOCKER_MANIFEST: &str = "application/vnd.docker.distribution.manifest.v2+json";
/// cosign's legacy signature payload (cosign's SIGNATURE_SPEC.md, simple signing).
pub(crate) const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
/// A layer of cosign ≤ 2's `.att` manifest: a DSSE envelope.
pub(crate) const DSSE_ENVELOPE: &str = "application/vnd.dsse.envelope.v1+json";

/// Whether `media_type` names an image manifest (OCI or Docker v2 schema 2).
pub(crate) fn is_image_manifest(media_type: &str) -> bool {
    media_type == OCI_MANIFEST || media_type == DOCKER_MANIFEST
}

/// Whether `media_type` names an index (OCI image index or Docker manifest list).
pub(crate) fn is_index(media_type: &str) -> bool {
    media_type == OCI_INDEX || media_type == DOCKER_MANIFEST_LIST
}

/// How a layer media type relates to Sigstore bundles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BundleMediaType {
    /// A bundle of version 0.3 or later: what cosign v3 reads from referrers.
    Supported,
    /// A bundle of version 0.1 or 0.2: cosign does not use these from referrers either.
    TooOld,
    /// Not a bundle.
    NotABundle,
}

/// Classifies a layer media type: `application/vnd.dev.sigstore.bundle.v0.<N>+json` or
/// `application/vnd.dev.sigstore.bundle+json;version=0.<N>` (parameters as in RFC 6838, with
/// optional spaces), supported for N ≥ 3.
pub(crate) fn bundle_media_type(media_type: &str) -> BundleMediaType {
    let minor = if let Some(rest) =
        media_type.strip_prefix("application/vnd.dev.sigstore.bundle.v0.")
    {
        rest.strip_suffix("+json")
    } else if let Some(rest) = media_type.strip_prefix("application/vnd.dev.sigstore.bundle+json") {
        let mut params = rest.split(';').map(str::trim);
        match (params.next(), params.next(), params.next()) {
            (Some(""), Some(param), None) => param.strip_prefix("version=0."),
            _ => None,
        }
    } else {
        None
    };
    let Some(minor) = minor else {
        return BundleMediaType::NotABundle;
    };
    if minor.is_empty() || minor.len() > 4 || !minor.bytes().all(|b| b.is_ascii_digit()) {
        return BundleMediaType::NotABundle;
    }
    match minor.parse::<u32>() {
        Ok(n) if n >= 3 => BundleMediaType::Supported,
        Ok(_) => BundleMediaType::TooOld,
        Err(_) => BundleMediaType::NotABundle,
    }
}

/// A content descriptor (OCI image spec `descriptor.md`; Docker's has the same fields).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Descriptor {
    /// The media type of the content it points to.
    pub(crate) media_type: String,
    /// The artifact type (OCI 1.1), as the writer recorded it: unreliable in referrer listings
    /// (cosign#4641), so only used in messages.
    #[serde(default)]
    pub(crate) artifact_type: Option<String>,
    /// The content's digest, validated.
    #[serde(deserialize_with = "de_digest")]
    pub(crate) digest: OciDigest,
    /// The content's size in bytes, as claimed: compared, never used to allocate.
    pub(crate) size: u64,
    /// Annotations (`null` reads as none).
    #[serde(default, deserialize_with = "null_as_default")]
    pub(crate) annotations: BTreeMap<String, String>,
    /// The platform, in index entries.
    #[serde(default)]
    pub(crate) platform: Option<PlatformJson>,
}

/// The `platform` of an index entry.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct PlatformJson {
    /// `linux`, `windows`, …
    pub(crate) os: String,
    /// `amd64`, `arm64`, …
    pub(crate) architecture: String,
    /// `v7`, `v8`, …
    #[serde(default)]
    pub(crate) variant: Option<String>,
}

impl PlatformJson {
    /// `os/architecture[/variant]`.
    pub(crate) fn display(&self) -> String {
        match &self.variant {
            Some(variant) if !variant.is_empty() => {
                format!("{}/{}/{variant}", self.os, self.architecture)
            }
            _ => format!("{}/{}", self.os, self.architecture),
        }
    }
}

/// An image manifest (OCI or Docker v2 schema 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageManifest {
    /// The media type, from the body or (if absent there) the response's `Content-Type`.
    pub(crate) media_type: String,
    /// The manifest's `artifactType` (OCI 1.1).
    pub(crate) artifact_type: Option<String>,
    /// The config descriptor.
    pub(crate) config: Descriptor,
    /// The layers, in order.
    pub(crate) layers: Vec<Descriptor>,
    /// The manifest this one refers to (OCI 1.1 referrers).
    pub(crate) subject: Option<Descriptor>,
}

/// An index (OCI image index or Docker manifest list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ImageIndex {
    /// The media type, from the body or (if absent there) the response's `Content-Type`.
    pub(crate) media_type: String,
    /// The entries, in order.
    pub(crate) manifests: Vec<Descriptor>,
}

/// A parsed manifest or index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Document {
    /// An image manifest (boxed: it is much larger than an index).
    Manifest(Box<ImageManifest>),
    /// An index.
    Index(ImageIndex),
}

/// The error for an image manifest [`parse_document`] refused: [`Error::SchemaV1Manifest`] for
/// Docker's schema 1 (which nothing can sign or verify), [`Error::Malformed`] otherwise.
pub(crate) fn image_manifest_error(what: String, detail: String, body: &[u8]) -> crate::Error {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Version {
        schema_version: Option<u64>,
    }
    match serde_json::from_slice::<Version>(body) {
        Ok(Version {
            schema_version: Some(1),
        }) => crate::Error::SchemaV1Manifest { what },
        _ => crate::Error::Malformed { what, detail },
    }
}

/// Every field any of the four document kinds has; classified by [`parse_document`].
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDocument {
    schema_version: Option<u64>,
    #[serde(default)]
    media_type: Option<String>,
    #[serde(default)]
    artifact_type: Option<String>,
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default, deserialize_with = "null_as_default")]
    layers: Option<Vec<Descriptor>>,
    #[serde(default, deserialize_with = "null_as_default")]
    manifests: Option<Vec<Descriptor>>,
    #[serde(default)]
    subject: Option<Descriptor>,
}

/// Parses a manifest or index. The kind comes from the body's `mediaType`, else from the
/// `Content-Type` header (its essence, parameters dropped), else from the fields present.
///
/// # Errors
///
/// A message for [`crate::Error::Malformed`]: the body is over [`MAX_MANIFEST_BYTES`], is not
/// JSON of the right shape, has a `schemaVersion` other than 2, an unsupported media type, or
/// fields of the other kind.
pub(crate) fn parse_document(body: &[u8], content_type: Option<&str>) -> Result<Document, String> {
    if u64::try_from(body.len()).map_or(true, |len| len > MAX_MANIFEST_BYTES) {
        return Err(format!("the body exceeds {MAX_MANIFEST_BYTES} bytes"));
    }
    let raw: RawDocument = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    match raw.schema_version {
        Some(2) => {}
        Some(other) => return Err(format!("schemaVersion {other} is not supported (only 2)")),
        None => return Err("schemaVersion is missing".to_owned()),
    }
    let header_type = content_type
        .and_then(|ct| ct.split(';').next())
        .map(|essence| essence.trim().to_ascii_lowercase())
        .filter(|essence| is_image_manifest(essence) || is_index(essence));
    let media_type = match (raw.media_type, header_type) {
        (Some(body_type), _) => body_type,
        (None, Some(header_type)) => header_type,
        (None, None) => match (&raw.manifests, &raw.config) {
            (Some(_), None) => OCI_INDEX.to_owned(),
            (None, Some(_)) => OCI_MANIFEST.to_owned(),
            _ => {
                return Err(
                    "no mediaType, and the fields fit neither a manifest nor an index".to_owned(),
                );
            }
        },
    };
    if is_image_manifest(&media_type) {
        if raw.manifests.is_some() {
            return Err(format!("a {media_type} must not have `manifests`"));
        }
        let config = raw
            .config
            .ok_or_else(|| format!("a {media_type} must have a `config`"))?;
        Ok(Document::Manifest(Box::new(ImageManifest {
            media_type,
            artifact_type: raw.artifact_type,
            config,
            layers: raw.layers.unwrap_or_default(),
            subject: raw.subject,
        })))
    } else if is_index(&media_type) {
        if raw.config.is_some() || raw.layers.is_some() {
            return Err(format!("a {media_type} must not have `config` or `layers`"));
        }
        let manifests = raw
            .manifests
            .ok_or_else(|| format!("a {media_type} must have `manifests`"))?;
        Ok(Document::Index(ImageIndex {
            media_type,
            manifests,
        }))
    } else {
        Err(format!(
            "unsupported media type `{}`",
            truncate(&media_type, 200)
        ))
    }
}

/// At most `max` characters of `text`, for messages about registry-supplied strings.
pub(crate) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        let mut short: String = text.chars().take(max).collect();
        short.push('…');
        short
    }
}

fn de_digest<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OciDigest, D::Error> {
    let text = String::deserialize(deserializer)?;
    OciDigest::parse(&text).map_err(serde::de::Error::custom)
}

fn null_as_default<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Ok(Option::<T>::deserialize(deserializer)?.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    const D: &str = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

    #[test]
    fn bundle_media_types() {
        use BundleMediaType::*;
        for (media_type, expected) in [
            ("application/vnd.dev.sigstore.bundle.v0.3+json", Supported),
            ("application/vnd.dev.sigstore.bundle.v0.4+json", Supported),
            ("application/vnd.dev.sigstore.bundle.v0.10+json", Supported),
            (
                "application/vnd.dev.sigstore.bundle+json;version=0.3",
                Supported,
            ),
            (
                "application/vnd.dev.sigstore.bundle+json; version=0.3",
                Supported,
            ),
            ("application/vnd.dev.sigstore.bundle.v0.2+json", TooOld),
            (
                "application/vnd.dev.sigstore.bundle+json;version=0.1",
                TooOld,
            ),
            ("application/vnd.dev.sigstore.bundle.v0.+json", NotABundle),
            ("application/vnd.dev.sigstore.bundle.v0.3x+json", NotABundle),
            ("application/vnd.dev.sigstore.bundle.v1.0+json", NotABundle),
            ("application/vnd.dev.sigstore.bundle+json", NotABundle),
            (
                "application/vnd.dev.sigstore.bundle+json;version=1.0",
                NotABundle,
            ),
            (
                "application/vnd.dev.sigstore.bundle+json;version=0.3;x=y",
                NotABundle,
            ),
            (
                "application/vnd.dev.sigstore.bundle.v0.99999999999+json",
                NotABundle,
            ),
            ("application/spdx+json", NotABundle),
            ("", NotABundle),
        ] {
            assert_eq!(bundle_media_type(media_type), expected, "{media_type}");
        }
    }

    #[test]
    fn classifies_documents() {
        let manifest = format!(
            r#"{{"schemaVersion":2,"config":{{"mediaType":"x","digest":"{D}","size":2}},"layers":null,"extra":1}}"#
        );
        let Ok(Document::Manifest(m)) = parse_document(manifest.as_bytes(), None) else {
            panic!("not a manifest")
        };
        assert_eq!(m.media_type, OCI_MANIFEST);
        assert!(m.layers.is_empty());

        let index = format!(
            r#"{{"schemaVersion":2,"manifests":[{{"mediaType":"x","digest":"{D}","size":2,"annotations":null}}]}}"#
        );
        assert!(matches!(
            parse_document(index.as_bytes(), Some("application/vnd.docker.distribution.manifest.list.v2+json; charset=utf-8")),
            Ok(Document::Index(ImageIndex { media_type, .. })) if media_type == DOCKER_MANIFEST_LIST
        ));

        let confused = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[],"layers":[]}}"#
        );
        assert!(parse_document(confused.as_bytes(), None).is_err());
    }

    #[test]
    fn rejects_bad_documents_without_panicking() {
        for body in [
            &b""[..],
            b"null",
            b"[]",
            b"{}",
            b"{\"schemaVersion\":1}",
            b"{\"schemaVersion\":2}",
            b"{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}",
            b"{\"schemaVersion\":2,\"mediaType\":\"text/plain\",\"manifests\":[]}",
            b"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:ab\",\"size\":1}]}",
            b"{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"x\",\"digest\":\"sha256:ab\",\"size\":-1}]}",
            b"\xff\xfe",
            &[b'['; 10_000],
        ] {
            assert!(parse_document(body, None).is_err());
        }
        let too_big = vec![b' '; 4 * 1024 * 1024 + 1];
        assert!(parse_document(&too_big, None).is_err());
    }
}
