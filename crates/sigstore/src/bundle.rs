//! Reading a bundle file: a Sigstore bundle (v0.1–v0.3), or a legacy cosign blob bundle
//! converted to a v0.1 Sigstore bundle so that one verifier checks both.

use std::fmt;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use sigstore_types::SignatureContent;

use crate::{Error, Result};

/// Which kind of bundle file was read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleFormat {
    /// A Sigstore bundle, with its media type.
    Sigstore {
        /// E.g. `application/vnd.dev.sigstore.bundle.v0.3+json`.
        media_type: String,
    },
    /// cosign ≤ 2's `sign-blob --bundle` format: `{"base64Signature","cert","rekorBundle"}`.
    LegacyCosign,
}

impl fmt::Display for BundleFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sigstore { media_type } => write!(f, "Sigstore bundle ({media_type})"),
            Self::LegacyCosign => f.write_str("legacy cosign bundle"),
        }
    }
}

/// A bundle ready to verify.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub(crate) inner: sigstore_types::Bundle,
    format: BundleFormat,
}

impl Bundle {
    /// The same bundle with other contents (vouch's own verification steps hand sigstore-verify
    /// a modified copy; see `timestamp::in_bundle`).
    pub(crate) fn with_inner(&self, inner: sigstore_types::Bundle) -> Self {
        Self {
            inner,
            format: self.format.clone(),
        }
    }

    /// Parses a bundle file's bytes, detecting its format.
    ///
    /// # Errors
    ///
    /// [`Error::MalformedBundle`] if the bytes are neither format.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        let value: serde_json::Value =
            serde_json::from_slice(bytes).map_err(|err| malformed(format!("not JSON: {err}")))?;
        if value.get("mediaType").is_some() {
            let inner = sigstore_types::Bundle::from_json(&value.to_string())
                .map_err(|err| malformed(err.to_string()))?;
            let media_type = value["mediaType"].as_str().unwrap_or_default().to_owned();
            return Ok(Self {
                inner,
                format: BundleFormat::Sigstore { media_type },
            });
        }
        if value.get("base64Signature").is_some() {
            let legacy: LegacyBundle = serde_json::from_value(value)
                .map_err(|err| malformed(format!("legacy cosign bundle: {err}")))?;
            let converted = legacy.to_sigstore_v01()?;
            let inner = sigstore_types::Bundle::from_json(&converted.to_string())
                .map_err(|err| malformed(format!("legacy cosign bundle: {err}")))?;
            return Ok(Self {
                inner,
                format: BundleFormat::LegacyCosign,
            });
        }
        Err(malformed(
            "expected a Sigstore bundle (with `mediaType`) or a cosign bundle (with `base64Signature`), found neither key".to_owned(),
        ))
    }

    /// The format that was read.
    #[must_use]
    pub fn format(&self) -> &BundleFormat {
        &self.format
    }

    /// Whether the bundle carries a certificate (keyless) rather than a key hint.
    #[must_use]
    pub fn has_certificate(&self) -> bool {
        !matches!(
            self.inner.verification_material.content,
            sigstore_types::bundle::VerificationMaterialContent::PublicKey(_)
        )
    }

    /// Number of transparency-log entries.
    #[must_use]
    pub fn tlog_entry_count(&self) -> usize {
        self.inner.verification_material.tlog_entries.len()
    }

    /// The Sigstore bundle format version as `(major, minor)`, e.g. `(0, 3)` for
    /// `application/vnd.dev.sigstore.bundle.v0.3+json` or `…+json;version=0.3`; `None` for a
    /// legacy cosign bundle (read as a v0.1 bundle, but not written as one).
    #[must_use]
    pub fn version(&self) -> Option<(u32, u32)> {
        if self.format == BundleFormat::LegacyCosign {
            return None;
        }
        let media_type = self.inner.media_type.as_str();
        let version = media_type
            .strip_prefix("application/vnd.dev.sigstore.bundle.v")
            .and_then(|rest| rest.strip_suffix("+json"))
            .or_else(|| {
                media_type.strip_prefix("application/vnd.dev.sigstore.bundle+json;version=")
            })?;
        let (major, minor) = version.split_once('.')?;
        Some((major.parse().ok()?, minor.parse().ok()?))
    }

    /// The payload type of the bundle's DSSE envelope (`application/vnd.in-toto+json` for
    /// in-toto statements); `None` for a message-signature bundle.
    #[must_use]
    pub fn dsse_payload_type(&self) -> Option<&str> {
        match &self.inner.content {
            SignatureContent::DsseEnvelope(envelope) => Some(&envelope.payload_type),
            _ => None,
        }
    }

    /// The payload of the bundle's DSSE envelope, decoded from base64: the exact bytes the
    /// envelope's signature covers (through DSSE's pre-authentication encoding) and the
    /// verifier checks. `None` for a message-signature bundle. Not authenticated until a
    /// `verify*` call on this bundle has succeeded.
    #[must_use]
    pub fn dsse_payload(&self) -> Option<&[u8]> {
        match &self.inner.content {
            SignatureContent::DsseEnvelope(envelope) => Some(envelope.payload.as_bytes()),
            _ => None,
        }
    }
}

fn malformed(detail: String) -> Error {
    Error::MalformedBundle { detail }
}

/// cosign ≤ 2 blob bundle (`pkg/cosign/bundle`, Go field names).
#[derive(Deserialize)]
struct LegacyBundle {
    #[serde(rename = "base64Signature")]
    base64_signature: String,
    /// Base64 of a PEM certificate; empty or absent for key-signed bundles.
    #[serde(default)]
    cert: Option<String>,
    #[serde(rename = "rekorBundle", default)]
    rekor_bundle: Option<RekorBundle>,
}

/// The Rekor "bundle" (signed entry timestamp and the entry it covers).
#[derive(Deserialize)]
pub(crate) struct RekorBundle {
    #[serde(rename = "SignedEntryTimestamp")]
    pub(crate) signed_entry_timestamp: String,
    #[serde(rename = "Payload")]
    pub(crate) payload: RekorPayload,
}

#[derive(Deserialize)]
pub(crate) struct RekorPayload {
    pub(crate) body: String,
    #[serde(rename = "integratedTime")]
    pub(crate) integrated_time: i64,
    #[serde(rename = "logIndex")]
    pub(crate) log_index: i64,
    #[serde(rename = "logID")]
    pub(crate) log_id: String,
}

impl LegacyBundle {
    /// The same content as a v0.1 Sigstore bundle: the Rekor bundle becomes a log entry with an
    /// inclusion promise (v0.1 needs no inclusion proof), the digest comes from the entry.
    fn to_sigstore_v01(&self) -> Result<serde_json::Value> {
        let b64 = base64::engine::general_purpose::STANDARD;
        let material = match self.cert.as_deref().filter(|c| !c.is_empty()) {
            Some(cert_b64) => {
                let pem = b64.decode(cert_b64.trim()).map_err(|_| {
                    malformed("legacy cosign bundle: `cert` is not base64".to_owned())
                })?;
                let blocks = vouch_keys::pem_blocks(&pem)
                    .map_err(|err| malformed(format!("legacy cosign bundle: `cert`: {err}")))?;
                let certificates: Vec<_> = blocks
                    .iter()
                    .filter(|b| b.label() == "CERTIFICATE")
                    .map(|b| json!({ "rawBytes": b64.encode(b.contents()) }))
                    .collect();
                if certificates.is_empty() {
                    return Err(malformed(
                        "legacy cosign bundle: `cert` holds no PEM certificate".to_owned(),
                    ));
                }
                json!({ "x509CertificateChain": { "certificates": certificates } })
            }
            None => json!({ "publicKey": { "hint": "" } }),
        };
        let (entries, digest) = match &self.rekor_bundle {
            Some(rekor) => {
                let (entry, digest) = rekor_entry(rekor)?;
                (vec![entry], digest)
            }
            None => (Vec::new(), None),
        };
        let mut message_signature = json!({ "signature": self.base64_signature.trim() });
        if let Some(digest) = digest {
            message_signature["messageDigest"] =
                json!({ "algorithm": "SHA2_256", "digest": digest });
        }
        let mut verification_material = material;
        verification_material["tlogEntries"] = json!(entries);
        Ok(json!({
            "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
            "verificationMaterial": verification_material,
            "messageSignature": message_signature,
        }))
    }
}

/// A Rekor bundle as a v0.1 `tlogEntries` item, and the artifact digest its body records.
pub(crate) fn rekor_entry(rekor: &RekorBundle) -> Result<(serde_json::Value, Option<String>)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let body_bytes = b64
        .decode(rekor.payload.body.trim())
        .map_err(|_| malformed("Rekor bundle: `body` is not base64".to_owned()))?;
    let body: serde_json::Value = serde_json::from_slice(&body_bytes)
        .map_err(|err| malformed(format!("Rekor bundle: `body` is not JSON: {err}")))?;
    let kind = body["kind"].as_str().unwrap_or_default();
    let version = body["apiVersion"].as_str().unwrap_or_default();
    let log_id = hex::decode(&rekor.payload.log_id)
        .map_err(|_| malformed("Rekor bundle: `logID` is not hex".to_owned()))?;
    // hashedrekord bodies record the artifact digest; the verifier checks it against the artifact.
    let digest = body["spec"]["data"]["hash"]["value"]
        .as_str()
        .and_then(|hex_digest| hex::decode(hex_digest).ok())
        .map(|bytes| b64.encode(bytes));
    let entry = json!({
        "logIndex": rekor.payload.log_index.to_string(),
        "logId": { "keyId": b64.encode(log_id) },
        "kindVersion": { "kind": kind, "version": version },
        "integratedTime": rekor.payload.integrated_time.to_string(),
        "inclusionPromise": { "signedEntryTimestamp": rekor.signed_entry_timestamp },
        "canonicalizedBody": rekor.payload.body,
    });
    Ok((entry, digest))
}
