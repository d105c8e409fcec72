use std::fmt;
use std::str::FromStr;

use crate::DigestAlgorithm;

/// How signature bytes are encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureEncoding {
    /// ASN.1 DER `SEQUENCE { INTEGER r, INTEGER s }` (ECDSA only), as `openssl dgst -sign`
    /// writes. Strict: no trailing bytes, minimal integers.
    Der,
    /// Base64 of a DER or raw signature, with or without line breaks, as cosign writes.
    Base64,
    /// The signature bytes themselves: ECDSA `r‖s` (IEEE P1363), Ed25519's 64 bytes, or an RSA
    /// PKCS#1 v1.5 signature of the modulus size.
    Raw,
}

impl SignatureEncoding {
    /// Stable lower-case identifier: `der`, `base64`, `raw`.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::Der => "der",
            Self::Base64 => "base64",
            Self::Raw => "raw",
        }
    }
}

impl fmt::Display for SignatureEncoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Der => "DER",
            Self::Base64 => "base64",
            Self::Raw => "raw",
        })
    }
}

impl FromStr for SignatureEncoding {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "der" => Ok(Self::Der),
            "base64" | "b64" => Ok(Self::Base64),
            "raw" | "p1363" => Ok(Self::Raw),
            _ => Err(format!(
                "unknown signature encoding `{s}`; expected der, base64 or raw"
            )),
        }
    }
}

/// Detached signature bytes, with what is known about how they were made.
///
/// The encoding is detected at verification time, for the key's algorithm, unless pinned with
/// [`Signature::with_encoding`]. The digest is SHA-256 unless set with
/// [`Signature::with_digest`] (ignored for Ed25519, which signs the message itself).
#[derive(Clone, PartialEq, Eq)]
pub struct Signature {
    bytes: Vec<u8>,
    encoding: Option<SignatureEncoding>,
    digest: Option<DigestAlgorithm>,
}

impl Signature {
    /// Signature bytes as read from a signature file, encoding to be detected.
    #[must_use]
    pub fn from_bytes(bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            bytes: bytes.into(),
            encoding: None,
            digest: None,
        }
    }

    /// Accept only this encoding.
    #[must_use]
    pub fn with_encoding(mut self, encoding: SignatureEncoding) -> Self {
        self.encoding = Some(encoding);
        self
    }

    /// The signature was made over this digest of the message (`openssl dgst -sha384`).
    #[must_use]
    pub fn with_digest(mut self, digest: DigestAlgorithm) -> Self {
        self.digest = Some(digest);
        self
    }

    /// The bytes as given.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The pinned encoding, if any.
    #[must_use]
    pub fn pinned_encoding(&self) -> Option<SignatureEncoding> {
        self.encoding
    }

    /// The digest the signature is over (SHA-256 unless set).
    #[must_use]
    pub fn digest(&self) -> DigestAlgorithm {
        self.digest.unwrap_or_default()
    }

    pub(crate) fn digest_was_set(&self) -> bool {
        self.digest.is_some()
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signature")
            .field("len", &self.bytes.len())
            .field("encoding", &self.encoding)
            .field("digest", &self.digest)
            .finish()
    }
}
