//! The hash functions signatures are made over: one enum for every vouch crate (vouch-blob
//! re-exports it as `DigestAlgorithm`, vouch-oci names OCI digests' algorithms with it).

use std::fmt;
use std::str::FromStr;

use sha2::Digest as _;

/// A hash function a signature (or an OCI content digest) is made with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[expect(
    clippy::exhaustive_enums,
    reason = "every crate matches on it to pick an implementation: a new hash must be a compile \
              error in each, never a silent wildcard arm"
)]
pub enum HashAlgorithm {
    /// SHA-256: the default, as in `openssl dgst` for EC keys and cosign.
    #[default]
    Sha256,
    /// SHA-384 (`openssl dgst -sha384`).
    Sha384,
    /// SHA-512 (`openssl dgst -sha512`).
    Sha512,
}

impl HashAlgorithm {
    /// Every supported algorithm.
    pub const ALL: [Self; 3] = [Self::Sha256, Self::Sha384, Self::Sha512];

    /// Stable lower-case identifier: `sha256`, `sha384`, `sha512` (as OCI digests spell it).
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }

    /// Output length in bytes.
    #[must_use]
    pub fn output_len(self) -> usize {
        match self {
            Self::Sha256 => 32,
            Self::Sha384 => 48,
            Self::Sha512 => 64,
        }
    }

    /// The digest of `data`.
    #[must_use]
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            Self::Sha256 => sha2::Sha256::digest(data).to_vec(),
            Self::Sha384 => sha2::Sha384::digest(data).to_vec(),
            Self::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }
}

impl fmt::Display for HashAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Sha256 => "SHA-256",
            Self::Sha384 => "SHA-384",
            Self::Sha512 => "SHA-512",
        })
    }
}

impl FromStr for HashAlgorithm {
    type Err = String;

    /// `sha256`, `SHA-256`, `sha-512`, …
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().replace('-', "").as_str() {
            "sha256" => Ok(Self::Sha256),
            "sha384" => Ok(Self::Sha384),
            "sha512" => Ok(Self::Sha512),
            _ => Err(format!(
                "unknown digest `{s}`; expected sha256, sha384 or sha512"
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::HashAlgorithm;

    #[test]
    fn names_lengths_and_parsing_agree() {
        for algorithm in HashAlgorithm::ALL {
            assert_eq!(algorithm.digest(b"").len(), algorithm.output_len());
            assert_eq!(algorithm.id().parse::<HashAlgorithm>(), Ok(algorithm));
            assert_eq!(
                algorithm.to_string().parse::<HashAlgorithm>(),
                Ok(algorithm)
            );
        }
        assert!("md5".parse::<HashAlgorithm>().is_err());
        assert_eq!(HashAlgorithm::default(), HashAlgorithm::Sha256);
    }
}
