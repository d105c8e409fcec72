//! cosign v3's layout: a Sigstore bundle as an OCI 1.1 referrer of the image (cosign's
//! `BUNDLE_SPEC.md`), and the tag-schema fallback index for registries without the referrers API.

use serde_json::{Map, Value, json};

use super::{Content, ImageSubject, parse_object};
use crate::manifest::{OCI_INDEX, OCI_MANIFEST};
use crate::{COSIGN_SIGN_PREDICATE_TYPE, Error, OciDigest, Result};

/// The bundle layer's media type and the referrer's `artifactType`.
pub const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
/// The DSSE payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The empty config of an artifact manifest (`{}`).
const EMPTY_MEDIA_TYPE: &str = "application/vnd.oci.empty.v1+json";

/// The in-toto statement cosign v3 signs for an image: the image as the one subject (its
/// repository as `name`, its digest, the `-a` annotations), predicate type
/// [`COSIGN_SIGN_PREDICATE_TYPE`] and an empty predicate.
pub fn sign_statement(name: &str, digest: &OciDigest, annotations: &[(String, String)]) -> Vec<u8> {
    let algorithm = digest.to_string();
    let algorithm = algorithm.split(':').next().unwrap_or("sha256");
    let mut subject = json!({
        "name": name,
        "digest": { algorithm: digest.hex() },
    });
    if !annotations.is_empty() {
        subject["annotations"] = Value::Object(
            annotations
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        );
    }
    let statement = json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [subject],
        "predicateType": COSIGN_SIGN_PREDICATE_TYPE,
        "predicate": {},
    });
    serde_json::to_vec(&statement).unwrap_or_default()
}

/// A referrer manifest holding one bundle, and the blobs it names.
#[derive(Debug, Clone)]
pub struct BundleReferrer {
    blobs: Vec<Content>,
    manifest: Content,
    annotations: Map<String, Value>,
}

impl BundleReferrer {
    /// The referrer for `bundle_json` (a v0.3 bundle with a DSSE envelope over
    /// [`sign_statement`]), with `subject` as its subject and `created` (RFC 3339) as its
    /// creation time: what cosign v3 writes (cosign's `BUNDLE_SPEC.md`).
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`] if the manifest would exceed [`crate::MAX_MANIFEST_BYTES`].
    pub fn new(subject: &ImageSubject, bundle_json: Vec<u8>, created: &str) -> Result<Self> {
        Self::attestation(subject, bundle_json, created, COSIGN_SIGN_PREDICATE_TYPE)
    }

    /// The referrer for an attestation: `bundle_json` (a v0.3 bundle with a DSSE envelope
    /// over an in-toto statement of `predicate_type` about `subject`), annotated with its
    /// predicate type as cosign v3's `attest` does.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`] if the manifest would exceed [`crate::MAX_MANIFEST_BYTES`].
    pub fn attestation(
        subject: &ImageSubject,
        bundle_json: Vec<u8>,
        created: &str,
        predicate_type: &str,
    ) -> Result<Self> {
        let config = Content::new(EMPTY_MEDIA_TYPE, b"{}".to_vec());
        let bundle = Content::new(BUNDLE_MEDIA_TYPE, bundle_json);
        let annotations = json!({
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": predicate_type,
            "org.opencontainers.image.created": created,
        });
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": BUNDLE_MEDIA_TYPE,
            "config": config.descriptor(),
            "layers": [bundle.descriptor()],
            "subject": subject.descriptor(),
            "annotations": annotations,
        });
        Ok(Self {
            manifest: Content::manifest(OCI_MANIFEST, &manifest)?,
            blobs: vec![config, bundle],
            annotations: annotations.as_object().cloned().unwrap_or_default(),
        })
    }

    /// The blobs to upload before the manifest (the empty config and the bundle).
    pub fn blobs(&self) -> &[Content] {
        &self.blobs
    }

    /// The referrer manifest, to put by its digest.
    pub fn manifest(&self) -> &Content {
        &self.manifest
    }

    /// The descriptor of this referrer in a referrers listing: the manifest's digest, size,
    /// `artifactType` and annotations (OCI distribution spec, "Referrers tag schema").
    fn index_entry(&self) -> Value {
        json!({
            "mediaType": OCI_MANIFEST,
            "digest": self.manifest.digest().to_string(),
            "size": self.manifest.size(),
            "artifactType": BUNDLE_MEDIA_TYPE,
            "annotations": self.annotations,
        })
    }
}

/// The tag-schema fallback index (tag `sha256-<hex>`): the referrers listing a registry
/// without the referrers API cannot compute, kept by the clients that push referrers.
#[derive(Debug, Clone)]
pub struct FallbackIndex {
    document: Map<String, Value>,
}

impl FallbackIndex {
    /// No index yet (the tag answered 404).
    pub fn new() -> Self {
        Self {
            document: Map::new(),
        }
    }

    /// Reads the index the tag holds: an OCI image index with a `manifests` array.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for anything else: what another tool put under the tag is not
    /// overwritten.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "referrers tag-schema index";
        let document = parse_object(WHAT, bytes)?;
        let foreign = |detail: String| Error::ForeignSignatureTag {
            what: WHAT.to_owned(),
            detail,
        };
        match document.get("mediaType") {
            None => {}
            Some(Value::String(m)) if m == OCI_INDEX => {}
            Some(other) => {
                return Err(foreign(format!(
                    "its mediaType is {other}, not an OCI image index"
                )));
            }
        }
        if !document.get("manifests").is_some_and(Value::is_array) {
            return Err(foreign("it has no `manifests` array".to_owned()));
        }
        Ok(Self { document })
    }

    fn entries(&self) -> &[Value] {
        self.document
            .get("manifests")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The index with `referrer` listed, or `None` if it already is. The entries already
    /// there are kept as they are.
    ///
    /// # Errors
    ///
    /// [`Error::TooLarge`] if the index would exceed [`crate::MAX_MANIFEST_BYTES`].
    pub fn with(&self, referrer: &BundleReferrer) -> Result<Option<Content>> {
        self.with_entry(referrer.index_entry())
    }

    /// The index with `entry` (a descriptor of a referrer manifest) listed, or `None` if an
    /// entry of its digest already is.
    ///
    /// # Errors
    ///
    /// As [`Self::with`].
    pub fn with_entry(&self, entry: Value) -> Result<Option<Content>> {
        let digest = entry
            .get("digest")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        if self
            .entries()
            .iter()
            .any(|entry| entry.get("digest").and_then(Value::as_str) == Some(&digest))
        {
            return Ok(None);
        }
        let mut entries = self.entries().to_vec();
        entries.push(entry);
        let mut document = self.document.clone();
        document.insert("schemaVersion".to_owned(), json!(2));
        document.insert("mediaType".to_owned(), json!(OCI_INDEX));
        document.insert("manifests".to_owned(), Value::Array(entries));
        Content::manifest(OCI_INDEX, &Value::Object(document)).map(Some)
    }
}

impl Default for FallbackIndex {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject() -> ImageSubject {
        let body = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        ImageSubject::from_manifest(body, None, None).unwrap()
    }

    #[test]
    fn statement_names_the_image_and_its_annotations() {
        let digest = subject().digest().clone();
        let statement: Value =
            serde_json::from_slice(&sign_statement("r/a", &digest, &[("k".into(), "v".into())]))
                .unwrap();
        assert_eq!(statement["subject"][0]["digest"]["sha256"], digest.hex());
        assert_eq!(statement["subject"][0]["annotations"], json!({"k": "v"}));
        assert_eq!(statement["predicateType"], COSIGN_SIGN_PREDICATE_TYPE);
        assert_eq!(statement["predicate"], json!({}));
        let bare: Value = serde_json::from_slice(&sign_statement("r/a", &digest, &[])).unwrap();
        assert!(bare["subject"][0].get("annotations").is_none());
    }

    #[test]
    fn referrer_is_what_cosign_v3_writes() {
        let referrer =
            BundleReferrer::new(&subject(), b"{\"b\":1}".to_vec(), "2026-12-01T00:00:00Z").unwrap();
        let doc: Value = serde_json::from_slice(referrer.manifest().bytes()).unwrap();
        assert_eq!(doc["artifactType"], BUNDLE_MEDIA_TYPE);
        assert_eq!(doc["config"]["mediaType"], EMPTY_MEDIA_TYPE);
        assert_eq!(
            doc["config"]["digest"],
            "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
        );
        assert_eq!(doc["layers"][0]["mediaType"], BUNDLE_MEDIA_TYPE);
        assert_eq!(doc["subject"]["digest"], subject().digest().to_string());
        assert_eq!(doc["subject"]["size"], subject().size());
        assert_eq!(referrer.blobs()[1].bytes(), b"{\"b\":1}");
    }

    #[test]
    fn fallback_index_keeps_entries_and_lists_a_referrer_once() {
        let referrer = BundleReferrer::new(&subject(), b"{}".to_vec(), "t").unwrap();
        let first = FallbackIndex::new().with(&referrer).unwrap().unwrap();
        let mut doc: Value = serde_json::from_slice(first.bytes()).unwrap();
        assert_eq!(doc["manifests"][0]["artifactType"], BUNDLE_MEDIA_TYPE);
        // Another tool's entry, with a field we do not know.
        doc["manifests"]
            .as_array_mut()
            .unwrap()
            .insert(0, json!({"digest": "sha256:00", "x-other": true}));
        let read = FallbackIndex::parse(&serde_json::to_vec(&doc).unwrap()).unwrap();
        assert!(read.with(&referrer).unwrap().is_none());
        let other = BundleReferrer::new(&subject(), b"{\"o\":1}".to_vec(), "t").unwrap();
        let after: Value =
            serde_json::from_slice(read.with(&other).unwrap().unwrap().bytes()).unwrap();
        assert_eq!(
            after["manifests"][0],
            json!({"digest": "sha256:00", "x-other": true})
        );
        assert_eq!(after["manifests"].as_array().unwrap().len(), 3);
        for bad in [
            &br#"{"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#[..],
            br#"{"schemaVersion":2}"#,
            b"null",
        ] {
            assert!(FallbackIndex::parse(bad).is_err());
        }
    }
}
