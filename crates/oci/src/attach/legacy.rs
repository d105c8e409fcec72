//! cosign's legacy layout: one simple-signing layer per signature in the manifest tagged
//! `sha256-<hex>.sig` (cosign's `SIGNATURE_SPEC.md`), as cosign and skopeo write it; and one
//! DSSE envelope layer per attestation in the manifest tagged `sha256-<hex>.att`, as cosign ≤ 2
//! writes it.

use serde_json::{Map, Value, json};

use super::{Content, check_body, parse_object};
use crate::manifest::{DOCKER_MANIFEST, DSSE_ENVELOPE, OCI_MANIFEST, SIMPLE_SIGNING};
use crate::{Error, MAX_SIGNATURE_LAYERS, OciDigest, Result};

/// The layer annotation holding the base64 signature.
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// The config media type of a new signature manifest (an empty OCI image config).
const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// The simple-signing payload cosign signs for an image (cosign's `SIGNATURE_SPEC.md`): the image's
/// repository as `docker-reference`, its digest, and the `-a` annotations in `optional`
/// (`null` without any, as Go's `json.Marshal` writes a nil map). Keys are in the order Go
/// writes them, which is also sorted order.
pub fn simple_signing_payload(
    docker_reference: &str,
    digest: &OciDigest,
    annotations: &[(String, String)],
) -> Vec<u8> {
    let optional = if annotations.is_empty() {
        Value::Null
    } else {
        Value::Object(
            annotations
                .iter()
                .map(|(k, v)| (k.clone(), Value::String(v.clone())))
                .collect(),
        )
    };
    let payload = json!({
        "critical": {
            "identity": { "docker-reference": docker_reference },
            "image": { "docker-manifest-digest": digest.to_string() },
            "type": "cosign container image signature",
        },
        "optional": optional,
    });
    // A `Value` always serialises.
    serde_json::to_vec(&payload).unwrap_or_default()
}

/// The signature manifest found under the `.sig` tag, read for appending.
#[derive(Debug, Clone)]
pub struct SignatureManifest {
    document: Map<String, Value>,
    media_type: String,
    config: Option<(OciDigest, u64)>,
}

impl SignatureManifest {
    /// No signature manifest yet (the tag answered 404).
    pub fn new() -> Self {
        Self {
            document: Map::new(),
            media_type: OCI_MANIFEST.to_owned(),
            config: None,
        }
    }

    /// Reads the manifest the `.sig` tag holds. It must be an image manifest with a `layers`
    /// array and a config descriptor.
    ///
    /// # Errors
    ///
    /// [`Error::Malformed`] for anything else, [`Error::TooLarge`] if it already has
    /// [`MAX_SIGNATURE_LAYERS`] layers (one more would make cosign refuse them all).
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        const WHAT: &str = "signature manifest";
        let document = parse_object(WHAT, bytes)?;
        let malformed = |detail: &str| Error::Malformed {
            what: WHAT.to_owned(),
            detail: detail.to_owned(),
        };
        let foreign = |detail: &str| Error::ForeignSignatureTag {
            what: WHAT.to_owned(),
            detail: detail.to_owned(),
        };
        let media_type = match document.get("mediaType") {
            None => OCI_MANIFEST,
            Some(Value::String(m)) if m == OCI_MANIFEST || m == DOCKER_MANIFEST => m.as_str(),
            Some(other) => {
                return Err(foreign(&format!(
                    "its mediaType is {other}, not an image manifest"
                )));
            }
        }
        .to_owned();
        let layers = document
            .get("layers")
            .and_then(Value::as_array)
            .ok_or_else(|| foreign("it has no `layers` array"))?;
        if layers.len() >= MAX_SIGNATURE_LAYERS {
            return Err(Error::TooLarge {
                what: format!("the signature manifest's {} layers", layers.len()),
                limit: format!("{MAX_SIGNATURE_LAYERS} layers cosign reads"),
            });
        }
        let config = document
            .get("config")
            .ok_or_else(|| malformed("it has no `config` descriptor"))?;
        let digest = config
            .get("digest")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("its config descriptor has no digest"))?;
        let size = config
            .get("size")
            .and_then(Value::as_u64)
            .ok_or_else(|| malformed("its config descriptor has no size"))?;
        Ok(Self {
            config: Some((OciDigest::parse(digest)?, size)),
            document,
            media_type,
        })
    }

    /// The config blob to fetch (digest, size) before [`SignatureManifest::append`], if the
    /// manifest exists.
    pub fn config(&self) -> Option<(&OciDigest, u64)> {
        self.config.as_ref().map(|(digest, size)| (digest, *size))
    }

    /// Whether a layer already holds this payload with this signature (cosign does not add
    /// a signature twice; ECDSA signing here is deterministic, so signing the same payload
    /// with the same key again finds its own layer).
    pub fn contains(&self, payload: &Content, signature_base64: &str) -> bool {
        self.layers().iter().any(|layer| {
            layer.get("digest").and_then(Value::as_str) == Some(&payload.digest().to_string())
                && layer
                    .get("annotations")
                    .and_then(|a| a.get(SIGNATURE_ANNOTATION))
                    .and_then(Value::as_str)
                    == Some(signature_base64)
        })
    }

    fn layers(&self) -> &[Value] {
        self.document
            .get("layers")
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }

    /// The manifest with one more layer: `payload`, annotated with its base64 signature. The
    /// layers already there are kept as they are; the config gets `rootfs.diff_ids` for all
    /// layers (as containers/image and go-containerregistry maintain it), its other fields
    /// kept. `config_bytes` is the config blob of an existing manifest, checked against its
    /// descriptor.
    ///
    /// Returns the blobs to upload (payload and config) and the manifest to put.
    ///
    /// # Errors
    ///
    /// [`Error::DigestMismatch`] / [`Error::SizeMismatch`] if `config_bytes` is not the blob
    /// the manifest names, [`Error::Malformed`] if it is not a JSON object or is missing
    /// when the manifest exists, [`Error::TooLarge`] if the manifest would exceed
    /// [`crate::MAX_MANIFEST_BYTES`].
    pub fn append(
        &self,
        config_bytes: Option<&[u8]>,
        payload: &Content,
        signature_base64: &str,
    ) -> Result<(Vec<Content>, Content)> {
        self.append_layer(
            config_bytes,
            payload,
            &json!({ SIGNATURE_ANNOTATION: signature_base64 }),
        )
    }

    /// The `.att` manifest with one more layer: `envelope` (from [`envelope_blob`]), annotated
    /// as cosign annotates an attestation (the signature annotation empty: the signature is in
    /// the envelope; `predicateType`). As [`Self::append`] otherwise.
    ///
    /// # Errors
    ///
    /// As [`Self::append`].
    pub fn append_attestation(
        &self,
        config_bytes: Option<&[u8]>,
        envelope: &Content,
        predicate_type: &str,
    ) -> Result<(Vec<Content>, Content)> {
        self.append_layer(
            config_bytes,
            envelope,
            &json!({ SIGNATURE_ANNOTATION: "", "predicateType": predicate_type }),
        )
    }

    fn append_layer(
        &self,
        config_bytes: Option<&[u8]>,
        payload: &Content,
        annotations: &Value,
    ) -> Result<(Vec<Content>, Content)> {
        let (mut config, config_media_type) = match (&self.config, config_bytes) {
            (None, _) => (
                json!({"architecture": "", "os": "", "config": {}})
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
                OCI_CONFIG.to_owned(),
            ),
            (Some((digest, size)), Some(bytes)) => {
                check_body("the signature manifest's config", bytes, digest, *size)?;
                let media_type = self.document["config"]
                    .get("mediaType")
                    .and_then(Value::as_str)
                    .unwrap_or(OCI_CONFIG)
                    .to_owned();
                (
                    parse_object("signature manifest config", bytes)?,
                    media_type,
                )
            }
            (Some(_), None) => {
                return Err(Error::Malformed {
                    what: "signature manifest config".to_owned(),
                    detail: "not given, but the manifest names one".to_owned(),
                });
            }
        };
        let layer = json!({
            "mediaType": payload.media_type(),
            "digest": payload.digest().to_string(),
            "size": payload.size(),
            "annotations": annotations,
        });
        let mut layers = self.layers().to_vec();
        layers.push(layer);
        let diff_ids: Vec<Value> = layers
            .iter()
            .map(|layer| layer.get("digest").cloned().unwrap_or(Value::Null))
            .collect();
        config.insert(
            "rootfs".to_owned(),
            json!({"type": "layers", "diff_ids": diff_ids}),
        );
        let config = Content::new(
            config_media_type,
            serde_json::to_vec(&config).unwrap_or_default(),
        );
        let mut document = self.document.clone();
        document.insert("schemaVersion".to_owned(), json!(2));
        document.insert("mediaType".to_owned(), json!(self.media_type));
        document.insert("config".to_owned(), config.descriptor());
        document.insert("layers".to_owned(), Value::Array(layers));
        let manifest = Content::manifest(&self.media_type, &Value::Object(document))?;
        Ok((vec![payload.clone(), config], manifest))
    }
}

impl Default for SignatureManifest {
    fn default() -> Self {
        Self::new()
    }
}

/// The payload blob for [`SignatureManifest::append`].
pub fn payload_blob(payload: Vec<u8>) -> Content {
    Content::new(SIMPLE_SIGNING, payload)
}

/// The envelope blob for [`SignatureManifest::append_attestation`]: a DSSE envelope's JSON.
pub fn envelope_blob(envelope: Vec<u8>) -> Content {
    Content::new(DSSE_ENVELOPE, envelope)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn digest() -> OciDigest {
        OciDigest::sha256_of(b"image")
    }

    #[test]
    fn payload_is_what_cosign_writes() {
        let payload = simple_signing_payload("127.0.0.1:5000/test/app", &digest(), &[]);
        assert_eq!(
            String::from_utf8(payload).unwrap(),
            format!(
                r#"{{"critical":{{"identity":{{"docker-reference":"127.0.0.1:5000/test/app"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":null}}"#,
                digest()
            )
        );
        let annotated = simple_signing_payload(
            "r/a",
            &digest(),
            &[("z".into(), "1".into()), ("a".into(), "2".into())],
        );
        assert!(
            String::from_utf8(annotated)
                .unwrap()
                .ends_with(r#""optional":{"a":"2","z":"1"}}"#)
        );
    }

    #[test]
    fn a_new_manifest_has_one_layer_and_an_empty_config() {
        let payload = payload_blob(simple_signing_payload("r/a", &digest(), &[]));
        let (blobs, manifest) = SignatureManifest::new()
            .append(None, &payload, "c2ln")
            .unwrap();
        assert_eq!(blobs[0], payload);
        let doc: Value = serde_json::from_slice(manifest.bytes()).unwrap();
        assert_eq!(doc["mediaType"], OCI_MANIFEST);
        assert_eq!(
            doc["layers"][0]["annotations"][SIGNATURE_ANNOTATION],
            "c2ln"
        );
        assert_eq!(doc["config"]["digest"], blobs[1].digest().to_string());
        let config: Value = serde_json::from_slice(blobs[1].bytes()).unwrap();
        assert_eq!(
            config["rootfs"]["diff_ids"],
            json!([payload.digest().to_string()])
        );
        assert_eq!(manifest.digest(), &OciDigest::sha256_of(manifest.bytes()));
    }

    #[test]
    fn appending_keeps_every_existing_layer_and_field() {
        let first = payload_blob(b"first".to_vec());
        let (blobs, manifest) = SignatureManifest::new()
            .append(None, &first, "b25l")
            .unwrap();
        // Another tool's fields, which must survive.
        let mut doc: Value = serde_json::from_slice(manifest.bytes()).unwrap();
        doc["annotations"] = json!({"tool": "other"});
        doc["layers"][0]["annotations"]["dev.sigstore.cosign/bundle"] = json!("{}");
        let existing = serde_json::to_vec(&doc).unwrap();
        let read = SignatureManifest::parse(&existing).unwrap();
        assert!(read.contains(&first, "b25l"));
        let second = payload_blob(b"second".to_vec());
        assert!(!read.contains(&second, "dHdv"));
        let (config, size) = read.config().unwrap();
        assert_eq!(config, blobs[1].digest());
        assert_eq!(size, blobs[1].size());
        let (_, manifest) = read
            .append(Some(blobs[1].bytes()), &second, "dHdv")
            .unwrap();
        let after: Value = serde_json::from_slice(manifest.bytes()).unwrap();
        assert_eq!(after["annotations"], json!({"tool": "other"}));
        assert_eq!(after["layers"][0], doc["layers"][0]);
        assert_eq!(after["layers"][1]["digest"], second.digest().to_string());
        // A config that is not the one named is refused.
        assert!(matches!(
            read.append(Some(b"{}"), &second, "dHdv"),
            Err(Error::SizeMismatch { .. } | Error::DigestMismatch { .. })
        ));
    }

    #[test]
    fn what_is_not_a_signature_manifest_is_not_rewritten() {
        for bad in [
            &br#"{"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#[..],
            br#"{"config":{"digest":"sha256:00","size":1}}"#,
            br#"[]"#,
            b"\xff\xfe",
        ] {
            assert!(SignatureManifest::parse(bad).is_err(), "{bad:?}");
        }
        let many = json!({
            "config": {"digest": digest().to_string(), "size": 2},
            "layers": vec![json!({}); MAX_SIGNATURE_LAYERS],
        });
        assert!(matches!(
            SignatureManifest::parse(&serde_json::to_vec(&many).unwrap()),
            Err(Error::TooLarge { .. })
        ));
    }
}
