//! OCI content digests (`sha256:<hex>`, `sha512:<hex>`), checked against the bytes they name.

use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::Error;

/// The hash function of an [`OciDigest`]: vouch-keys' [`vouch_keys::HashAlgorithm`], the one
/// enum every vouch crate shares. An `OciDigest` holds only the two the OCI image spec registers
/// (`Sha256`, `Sha512`: descriptor.md, "Registered algorithms").
pub use vouch_keys::HashAlgorithm as OciDigestAlgorithm;

/// A validated content digest such as `sha256:4c1e…`: lower-case hex of the right length.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OciDigest {
    algorithm: OciDigestAlgorithm,
    hex: String,
}

impl OciDigest {
    /// Parses `algorithm:hex`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidDigest`] for anything but `sha256:` + 64 or `sha512:` + 128 lower-case
    /// hex digits.
    pub fn parse(text: &str) -> Result<Self, Error> {
        let invalid = || Error::InvalidDigest {
            found: text.chars().take(200).collect(),
        };
        let (algorithm, hex) = text.split_once(':').ok_or_else(invalid)?;
        let (algorithm, len) = match algorithm {
            "sha256" => (OciDigestAlgorithm::Sha256, 64),
            "sha512" => (OciDigestAlgorithm::Sha512, 128),
            _ => return Err(invalid()),
        };
        if hex.len() != len || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(invalid());
        }
        Ok(Self {
            algorithm,
            hex: hex.to_owned(),
        })
    }

    /// The SHA-256 digest of `bytes`.
    pub fn sha256_of(bytes: &[u8]) -> Self {
        Self {
            algorithm: OciDigestAlgorithm::Sha256,
            hex: hex::encode(Sha256::digest(bytes)),
        }
    }

    /// The digest of `bytes` with this digest's algorithm.
    #[must_use]
    pub fn same_algorithm_of(&self, bytes: &[u8]) -> Self {
        let hex = hex::encode(self.algorithm.digest(bytes));
        Self {
            algorithm: self.algorithm,
            hex,
        }
    }

    /// Whether `bytes` hash to this digest.
    pub fn matches(&self, bytes: &[u8]) -> bool {
        self.same_algorithm_of(bytes) == *self
    }

    /// The hash function.
    pub fn algorithm(&self) -> OciDigestAlgorithm {
        self.algorithm
    }

    /// The hex digits, without the algorithm.
    pub fn hex(&self) -> &str {
        &self.hex
    }

    /// The raw digest bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        hex::decode(&self.hex).unwrap_or_default()
    }

    /// The tag cosign derives from this digest: `sha256-<hex>` (the referrers tag schema;
    /// add `.sig` for the legacy signature tag).
    pub fn tag_form(&self) -> String {
        format!("{}-{}", self.algorithm_name(), self.hex)
    }

    fn algorithm_name(&self) -> &'static str {
        self.algorithm.id()
    }
}

impl fmt::Display for OciDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm_name(), self.hex)
    }
}
