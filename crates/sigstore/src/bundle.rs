//! Reading a bundle file: a Sigstore bundle (v0.1–v0.3), or a legacy cosign blob bundle
//! converted to a v0.1 Sigstore bundle so that one verifier checks both.

use std::fmt;
use std::str::FromStr as _;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::json;
use sigstore_types::SignatureContent;

use crate::{Error, Result, json};

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
    /// A layer of cosign ≤ 2's `sha256-<hex>.att` tag: a DSSE envelope with the certificate
    /// and Rekor bundle in layer annotations.
    CosignAttestation,
}

impl fmt::Display for BundleFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sigstore { media_type } => write!(f, "Sigstore bundle ({media_type})"),
            Self::LegacyCosign => f.write_str("legacy cosign bundle"),
            Self::CosignAttestation => f.write_str("cosign attestation layer"),
        }
    }
}

/// A bundle ready to verify.
#[derive(Debug, Clone)]
pub struct Bundle {
    pub(crate) inner: sigstore_types::Bundle,
    pub(crate) format: BundleFormat,
    /// What holding the DSSE in-toto statement as a tree costs, when reading checked it.
    statement_cost: Option<u64>,
}

impl Bundle {
    /// The same bundle with other contents (vouch's own verification steps hand sigstore-verify
    /// a modified copy; see `timestamp::in_bundle`).
    pub(crate) fn with_inner(&self, inner: sigstore_types::Bundle) -> Self {
        Self {
            inner,
            format: self.format.clone(),
            statement_cost: self.statement_cost,
        }
    }

    /// Parses a bundle file's bytes, detecting its format.
    ///
    /// The bytes are read as strictly as Go's protojson reads them in cosign: a key twice in
    /// any object, two signer kinds (`certificate` and `publicKey`) or two contents
    /// (`messageSignature` and `dsseEnvelope`) are refused, not resolved one way here and
    /// another way elsewhere. The bytes are parsed straight into the bundle's types, so unknown
    /// fields cost nothing; an in-toto statement in a DSSE envelope must also have no
    /// duplicate key and cost at most [`crate::MAX_STATEMENT_COST`] bytes of memory as a tree
    /// (the verifier parses it into one).
    ///
    /// # Errors
    ///
    /// [`Error::MalformedBundle`] if the bytes are over [`MAX_BUNDLE_BYTES`], neither format,
    /// or ambiguous.
    pub fn from_json(bytes: &[u8]) -> Result<Self> {
        Self::from_json_with_limits(bytes, MAX_BUNDLE_BYTES, json::MAX_STATEMENT_COST)
    }

    /// [`Bundle::from_json`] with other limits: at most `max_bytes` of JSON, and an in-toto
    /// statement costing at most `max_statement_cost` bytes of memory as a tree. For callers
    /// that verify one large attestation at a time (an SBOM runs to tens of MB); the defaults
    /// suit a signature.
    ///
    /// # Errors
    ///
    /// As [`Bundle::from_json`].
    pub fn from_json_with_limits(
        bytes: &[u8],
        max_bytes: u64,
        max_statement_cost: u64,
    ) -> Result<Self> {
        if u64::try_from(bytes.len()).map_or(true, |len| len > max_bytes) {
            return Err(malformed(format!(
                "{} bytes, over the limit of {max_bytes} bytes",
                bytes.len()
            )));
        }
        json::check_json(bytes, u64::MAX).map_err(|err| malformed(err.to_string()))?;
        // One reading tells the formats apart and reads a Sigstore bundle: its payload is
        // scanned once more, not twice (tens of MB for an SBOM attestation).
        let wire: WireBundle<'_> =
            serde_json::from_slice(bytes).map_err(|err| malformed(err.to_string()))?;
        if wire.media_type.is_some() {
            let (inner, media_type) = wire.into_bundle()?;
            let statement_cost = check_statement(&inner, max_statement_cost)?;
            return Ok(Self {
                inner,
                format: BundleFormat::Sigstore { media_type },
                statement_cost,
            });
        }
        if wire.base64_signature.is_some() {
            let legacy: LegacyBundle = serde_json::from_slice(bytes)
                .map_err(|err| malformed(format!("legacy cosign bundle: {err}")))?;
            if let Some(envelope) = legacy.dsse_envelope() {
                return legacy.attestation(&envelope, max_bytes, max_statement_cost);
            }
            let converted = legacy.to_sigstore_v01()?;
            let inner = sigstore_types::Bundle::from_json(&converted.to_string())
                .map_err(|err| malformed(format!("legacy cosign bundle: {err}")))?;
            return Ok(Self {
                inner,
                format: BundleFormat::LegacyCosign,
                statement_cost: None,
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

    /// What the DSSE payload costs as a tree ([`crate::json_cost`]), when reading the bundle
    /// checked it: an in-toto statement (payload type `application/vnd.in-toto+json`) with no
    /// key twice in any object, within the limit the bundle was read with. `None` for other
    /// payloads, which a reader of the statement checks itself.
    #[must_use]
    pub fn checked_statement_cost(&self) -> Option<u64> {
        self.statement_cost
    }
}

pub(crate) fn malformed(detail: String) -> Error {
    Error::MalformedBundle { detail }
}

/// The most bytes [`Bundle::from_json`] reads. A Sigstore bundle is a few KiB (a DSSE bundle
/// holds its statement, kilobytes too); the limit leaves room for large attestations.
pub const MAX_BUNDLE_BYTES: u64 = 16 << 20;

/// The most memory the tree of a Rekor entry body (legacy bundles) may cost; a real one is a few
/// KiB of JSON.
const MAX_REKOR_BODY_COST: u64 = 1 << 20;

/// A Sigstore bundle as it is written, read without sigstore-types' `#[serde(flatten)]`: a
/// flattened struct buffers every field, unknown ones included, as an untyped tree first.
/// `mediaType` or `base64Signature` tells it from a legacy cosign bundle.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireBundle<'a> {
    #[serde(default)]
    media_type: Option<String>,
    /// Only whether it is there: a legacy cosign bundle is read on its own.
    #[serde(default)]
    base64_signature: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    verification_material: Option<WireMaterial>,
    #[serde(default)]
    message_signature: Option<sigstore_types::bundle::MessageSignature>,
    #[serde(default, borrow)]
    dsse_envelope: Option<WireEnvelope<'a>>,
}

/// `dsseEnvelope`, its base64 payload borrowed from the input: sigstore-types reads it into a
/// `String` first, a copy the size of the payload (an SBOM attestation runs to tens of MB).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireEnvelope<'a> {
    payload_type: String,
    #[serde(borrow)]
    payload: std::borrow::Cow<'a, str>,
    signatures: Vec<sigstore_types::DsseSignature>,
}

impl WireEnvelope<'_> {
    /// The envelope, with exactly one signature, as a bundle requires.
    fn into_envelope(self) -> Result<sigstore_types::DsseEnvelope> {
        let count = self.signatures.len();
        let [signature] = <[_; 1]>::try_from(self.signatures).map_err(|_| {
            malformed(format!(
                "the DSSE envelope must hold exactly one signature, found {count}"
            ))
        })?;
        let payload = decode_payload(&self.payload)
            .map_err(|err| malformed(format!("the DSSE envelope's payload: {err}")))?;
        Ok(sigstore_types::DsseEnvelope::new(
            self.payload_type,
            payload,
            signature,
        ))
    }
}

/// Base64 as protojson reads it (sigstore-types' `PayloadBytes::from_base64`): the standard
/// alphabet or the URL-safe one, padded or not. The standard alphabet is tried first, and the
/// URL-safe one only when it fails: sigstore-types scans the whole text for `-` and `_` first, a
/// second pass over tens of MB for an SBOM attestation.
fn decode_payload(text: &str) -> std::result::Result<sigstore_types::PayloadBytes, String> {
    use base64::Engine as _;
    use base64::alphabet::{STANDARD, URL_SAFE};
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    GeneralPurpose::new(&STANDARD, config)
        .decode(text)
        .or_else(|standard| {
            GeneralPurpose::new(&URL_SAFE, config)
                .decode(text)
                .map_err(|_| standard)
        })
        .map(sigstore_types::PayloadBytes::new)
        .map_err(|err| format!("invalid base64: {err}"))
}

/// `verificationMaterial`: one of `certificate`, `x509CertificateChain`, `publicKey`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct WireMaterial {
    #[serde(default)]
    certificate: Option<sigstore_types::bundle::CertificateContent>,
    #[serde(default)]
    x509_certificate_chain: Option<WireChain>,
    #[serde(default)]
    public_key: Option<sigstore_types::bundle::PublicKeyIdentifier>,
    #[serde(default)]
    tlog_entries: Option<Vec<sigstore_types::bundle::TransparencyLogEntry>>,
    #[serde(default)]
    timestamp_verification_data: Option<sigstore_types::bundle::TimestampVerificationData>,
}

#[derive(Deserialize)]
struct WireChain {
    certificates: Vec<sigstore_types::bundle::X509Certificate>,
}

impl WireBundle<'_> {
    /// The bundle, and its media type as written. Exactly one signer kind and one content, as
    /// protojson's `oneof` requires.
    fn into_bundle(self) -> Result<(sigstore_types::Bundle, String)> {
        use sigstore_types::bundle::{VerificationMaterial, VerificationMaterialContent as M};
        let written = self.media_type.unwrap_or_default();
        let media_type = sigstore_types::bundle::MediaType::from_str(&written)
            .map_err(|err| malformed(err.to_string()))?;
        let material = self
            .verification_material
            .ok_or_else(|| malformed("missing field `verificationMaterial`".to_owned()))?;
        let signer = match (
            material.certificate,
            material.x509_certificate_chain,
            material.public_key,
        ) {
            (Some(certificate), None, None) => M::Certificate(certificate),
            (None, Some(chain), None) => M::X509CertificateChain {
                certificates: chain.certificates,
            },
            (None, None, Some(key)) => M::PublicKey(key),
            (None, None, None) => {
                return Err(malformed(
                    "`verificationMaterial` has no `certificate`, `x509CertificateChain` or `publicKey`"
                        .to_owned(),
                ));
            }
            _ => {
                return Err(malformed(
                    "`verificationMaterial` has more than one of `certificate`, `x509CertificateChain` and `publicKey`: which signed is ambiguous"
                        .to_owned(),
                ));
            }
        };
        let content = match (self.message_signature, self.dsse_envelope) {
            (Some(signature), None) => SignatureContent::MessageSignature(signature),
            (None, Some(envelope)) => SignatureContent::DsseEnvelope(envelope.into_envelope()?),
            (None, None) => {
                return Err(malformed(
                    "the bundle has neither `messageSignature` nor `dsseEnvelope`".to_owned(),
                ));
            }
            (Some(_), Some(_)) => {
                return Err(malformed(
                    "the bundle has both `messageSignature` and `dsseEnvelope`: what was signed is ambiguous"
                        .to_owned(),
                ));
            }
        };
        let material = VerificationMaterial::new(signer)
            .with_tlog_entries(material.tlog_entries.unwrap_or_default())
            .with_timestamp_verification_data(
                material.timestamp_verification_data.unwrap_or_default(),
            );
        Ok((
            sigstore_types::Bundle::new(media_type, material, content),
            written,
        ))
    }
}

/// An in-toto statement in a DSSE envelope is parsed into a tree by the verifier: it must have
/// no duplicate key, and cost at most [`crate::MAX_STATEMENT_COST`] as a tree. Other payload
/// types are refused by the verifier, unparsed. Returns its cost, for
/// [`Bundle::checked_statement_cost`].
fn check_statement(bundle: &sigstore_types::Bundle, max_cost: u64) -> Result<Option<u64>> {
    let SignatureContent::DsseEnvelope(envelope) = &bundle.content else {
        return Ok(None);
    };
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Ok(None);
    }
    json::json_cost(envelope.payload.as_bytes(), max_cost)
        .map(Some)
        .map_err(|err| malformed(format!("the DSSE envelope's in-toto statement: {err}")))
}

/// The DSSE payload type of an in-toto statement.
const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// cosign ≤ 2 blob bundle (`pkg/cosign/bundle`, Go field names).
#[derive(Deserialize)]
struct LegacyBundle {
    #[serde(rename = "base64Signature")]
    base64_signature: String,
    /// Base64 of a PEM certificate; empty or absent for key-signed bundles.
    #[serde(default)]
    cert: Option<String>,
    /// As written: an attestation hands it on as the `.att` layer annotation that holds it.
    #[serde(rename = "rekorBundle", default)]
    rekor_bundle: Option<Box<serde_json::value::RawValue>>,
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
    /// The DSSE envelope `base64Signature` holds when cosign ≤ 2's `attest-blob --bundle` wrote
    /// it (a signature is DER or raw bytes, never a JSON object).
    fn dsse_envelope(&self) -> Option<Vec<u8>> {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(self.base64_signature.trim())
            .ok()?;
        decoded
            .trim_ascii_start()
            .starts_with(b"{")
            .then_some(decoded)
    }

    /// An attestation bundle: read as the `.att` layer holding the same envelope, certificate
    /// and Rekor bundle is (`Bundle::from_cosign_attestation`).
    fn attestation(
        &self,
        envelope: &[u8],
        max_bytes: u64,
        max_statement_cost: u64,
    ) -> Result<Bundle> {
        let certificate = self
            .certificate_pem()?
            .map(|pem| {
                String::from_utf8(pem).map_err(|_| {
                    malformed("legacy cosign bundle: `cert` is not PEM text".to_owned())
                })
            })
            .transpose()?;
        let mut bundle = Bundle::from_cosign_attestation(
            envelope,
            certificate.as_deref(),
            self.rekor_bundle
                .as_deref()
                .map(serde_json::value::RawValue::get),
            max_bytes,
            max_statement_cost,
        )?;
        bundle.format = BundleFormat::LegacyCosign;
        Ok(bundle)
    }

    /// The certificate `cert` holds (PEM). `None` when it is empty or holds the signer's public
    /// key instead, as cosign writes it for a key-signed bundle: the key given to the verifier
    /// is what counts then.
    fn certificate_pem(&self) -> Result<Option<Vec<u8>>> {
        let Some(cert_b64) = self
            .cert
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        else {
            return Ok(None);
        };
        let pem = base64::engine::general_purpose::STANDARD
            .decode(cert_b64)
            .map_err(|_| malformed("legacy cosign bundle: `cert` is not base64".to_owned()))?;
        let blocks = vouch_keys::pem_blocks(&pem)
            .map_err(|err| malformed(format!("legacy cosign bundle: `cert`: {err}")))?;
        if blocks.iter().any(|b| b.label() == "CERTIFICATE") {
            Ok(Some(pem))
        } else if blocks.iter().any(|b| b.label() == "PUBLIC KEY") {
            Ok(None)
        } else {
            Err(malformed(
                "legacy cosign bundle: `cert` holds neither a PEM certificate nor a PEM public key"
                    .to_owned(),
            ))
        }
    }

    /// The same content as a v0.1 Sigstore bundle: the Rekor bundle becomes a log entry with an
    /// inclusion promise (v0.1 needs no inclusion proof), the digest comes from the entry.
    fn to_sigstore_v01(&self) -> Result<serde_json::Value> {
        let material = match self.certificate_pem()? {
            Some(pem) => certificate_material(&pem, "legacy cosign bundle: `cert`")?,
            None => json!({ "publicKey": { "hint": "" } }),
        };
        let (entries, digest) = match &self.rekor_bundle {
            Some(raw) => {
                let rekor: RekorBundle = serde_json::from_str(raw.get()).map_err(|err| {
                    malformed(format!("legacy cosign bundle: `rekorBundle`: {err}"))
                })?;
                let (entry, digest) = rekor_entry(&rekor)?;
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

/// `verificationMaterial` for the PEM certificates in `pem` (leaf first).
pub(crate) fn certificate_material(pem: &[u8], what: &str) -> Result<serde_json::Value> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let blocks = vouch_keys::pem_blocks(pem).map_err(|err| malformed(format!("{what}: {err}")))?;
    let certificates: Vec<_> = blocks
        .iter()
        .filter(|b| b.label() == "CERTIFICATE")
        .map(|b| json!({ "rawBytes": b64.encode(b.contents()) }))
        .collect();
    if certificates.is_empty() {
        return Err(malformed(format!("{what} holds no PEM certificate")));
    }
    Ok(json!({ "x509CertificateChain": { "certificates": certificates } }))
}

/// A Rekor bundle as a v0.1 `tlogEntries` item, and the artifact digest its body records.
pub(crate) fn rekor_entry(rekor: &RekorBundle) -> Result<(serde_json::Value, Option<String>)> {
    let b64 = base64::engine::general_purpose::STANDARD;
    let body_bytes = b64
        .decode(rekor.payload.body.trim())
        .map_err(|_| malformed("Rekor bundle: `body` is not base64".to_owned()))?;
    json::check_json(&body_bytes, MAX_REKOR_BODY_COST)
        .map_err(|err| malformed(format!("Rekor bundle: `body`: {err}")))?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use super::*;

    /// Every bundle file under `testdata/` (`*.sigstore.json`, `*.bundle`, `bundle*.json`).
    fn bundle_files() -> Vec<std::path::PathBuf> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if std::fs::read(&path)
                    .is_ok_and(|b| b.starts_with(b"{") && has(&b, b"\"verificationMaterial\""))
                {
                    out.push(path);
                }
            }
        }
        fn has(haystack: &[u8], needle: &[u8]) -> bool {
            haystack.windows(needle.len()).any(|w| w == needle)
        }
        let mut out = Vec::new();
        walk(&vouch_testdata::root(), &mut out);
        out
    }

    /// The typed reader reads every bundle exactly as sigstore-types' own reader does.
    #[test]
    fn reads_bundles_as_sigstore_types_does() {
        let files = bundle_files();
        assert!(files.len() > 20, "{} bundle files", files.len());
        for path in files {
            let bytes = std::fs::read(&path).unwrap();
            let theirs = sigstore_types::Bundle::from_json(std::str::from_utf8(&bytes).unwrap());
            let ours = Bundle::from_json(&bytes);
            match (theirs, ours) {
                (Ok(theirs), Ok(ours)) => assert_eq!(ours.inner, theirs, "{}", path.display()),
                (Err(_), Err(_)) => {}
                (theirs, ours) => panic!(
                    "{}: sigstore-types {:?}, vouch {:?}",
                    path.display(),
                    theirs.map(|_| ()),
                    ours.map(|_| ())
                ),
            }
        }
    }

    const KEY_BUNDLE: &str = r#"{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{"publicKey":{"hint":"aGludA=="},"tlogEntries":[]},"messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},"signature":"AAAA"}}"#;

    fn refusal(json: &str) -> String {
        match Bundle::from_json(json.as_bytes()) {
            Err(Error::MalformedBundle { detail }) => detail,
            other => panic!("{json}: {other:?}"),
        }
    }

    #[test]
    fn duplicate_keys_are_refused_naming_the_key() {
        assert!(Bundle::from_json(KEY_BUNDLE.as_bytes()).is_ok());
        let twice = KEY_BUNDLE.replace(
            r#""signature":"AAAA""#,
            r#""signature":"AAAA","signature":"BBBB""#,
        );
        let detail = refusal(&twice);
        assert!(
            detail.contains("`signature`") && detail.contains("messageSignature"),
            "{detail}"
        );
        // Unknown keys too: cosign (protojson) refuses every duplicate.
        let unknown = KEY_BUNDLE.replacen('{', r#"{"x":1,"x":2,"#, 1);
        assert!(refusal(&unknown).contains("`x`"));
        let legacy = r#"{"base64Signature":"AAAA","base64Signature":"BBBB"}"#;
        assert!(refusal(legacy).contains("`base64Signature`"));
    }

    #[test]
    fn two_signers_or_two_contents_are_refused() {
        let two_signers = KEY_BUNDLE.replace(
            r#""publicKey":"#,
            r#""certificate":{"rawBytes":"AAAA"},"publicKey":"#,
        );
        assert!(refusal(&two_signers).contains("more than one of"));
        let two_contents = KEY_BUNDLE.replace(
            r#""messageSignature":"#,
            r#""dsseEnvelope":{"payload":"e30=","payloadType":"x","signatures":[{"sig":"AAAA"}]},"messageSignature":"#,
        );
        assert!(refusal(&two_contents).contains("both"));
        let no_signer = KEY_BUNDLE.replace(r#""publicKey":{"hint":"aGludA=="},"#, "");
        assert!(refusal(&no_signer).contains("has no"));
    }

    #[test]
    fn unknown_fields_cost_nothing_and_statements_are_bounded() {
        // Megabytes of small objects in an unknown field are skipped, not built into a tree.
        let noise = format!("[{}]", vec!["{}"; 1 << 20].join(","));
        let padded = KEY_BUNDLE.replacen('{', &format!(r#"{{"noise":{noise},"#), 1);
        assert!(Bundle::from_json(padded.as_bytes()).is_ok());
        // An in-toto statement that would cost too much as a tree is refused before the
        // verifier builds one; a duplicate key in it too.
        let b64 = base64::engine::general_purpose::STANDARD;
        let dsse = |statement: &str| {
            KEY_BUNDLE.replace(
                r#""messageSignature":{"messageDigest":{"algorithm":"SHA2_256","digest":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},"signature":"AAAA"}"#,
                &format!(
                    r#""dsseEnvelope":{{"payload":"{}","payloadType":"application/vnd.in-toto+json","signatures":[{{"sig":"AAAA"}}]}}"#,
                    b64.encode(statement)
                ),
            )
        };
        let dense = format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","predicate":[{}]}}"#,
            vec![r#"{"a":0}"#; 200_000].join(",")
        );
        assert!(refusal(&dsse(&dense)).contains("more than"));
        let twice = r#"{"_type":"a","predicateType":"p","predicateType":"q"}"#;
        assert!(refusal(&dsse(twice)).contains("`predicateType`"));
        assert!(Bundle::from_json(dsse(r#"{"_type":"a"}"#).as_bytes()).is_ok());
    }

    #[test]
    fn bundles_over_the_limit_are_refused_unread() {
        let big = vec![b' '; usize::try_from(MAX_BUNDLE_BYTES).unwrap() + 1];
        assert!(refusal(std::str::from_utf8(&big).unwrap()).contains("over the limit"));
    }
}
