use std::fmt;

use sha2::Digest as _;

/// A hash function a signature can be made over: vouch-keys' [`vouch_keys::HashAlgorithm`], the
/// one enum every vouch crate shares.
pub use vouch_keys::HashAlgorithm as DigestAlgorithm;

/// A message digest: algorithm plus bytes of the right length.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Digest {
    algorithm: DigestAlgorithm,
    bytes: Vec<u8>,
}

impl Digest {
    /// A digest computed elsewhere.
    ///
    /// Returns `None` if `bytes` is not the algorithm's output length.
    #[must_use]
    pub fn new(algorithm: DigestAlgorithm, bytes: &[u8]) -> Option<Self> {
        (bytes.len() == algorithm.output_len()).then(|| Self {
            algorithm,
            bytes: bytes.to_vec(),
        })
    }

    /// Hashes `data`.
    #[must_use]
    pub fn of(algorithm: DigestAlgorithm, data: &[u8]) -> Self {
        let mut hasher = Hasher::new(algorithm);
        hasher.update(data);
        hasher.finish()
    }

    /// The algorithm.
    #[must_use]
    pub fn algorithm(&self) -> DigestAlgorithm {
        self.algorithm
    }

    /// The digest bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Lower-case hex of the bytes.
    #[must_use]
    pub fn to_hex(&self) -> String {
        self.bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm.id(), self.to_hex())
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

/// Incremental hashing for one algorithm.
#[derive(Clone)]
pub(crate) enum Hasher {
    Sha256(sha2::Sha256),
    Sha384(sha2::Sha384),
    Sha512(sha2::Sha512),
}

impl Hasher {
    pub(crate) fn new(algorithm: DigestAlgorithm) -> Self {
        match algorithm {
            DigestAlgorithm::Sha256 => Self::Sha256(sha2::Sha256::new()),
            DigestAlgorithm::Sha384 => Self::Sha384(sha2::Sha384::new()),
            DigestAlgorithm::Sha512 => Self::Sha512(sha2::Sha512::new()),
        }
    }

    pub(crate) fn update(&mut self, chunk: &[u8]) {
        match self {
            Self::Sha256(h) => h.update(chunk),
            Self::Sha384(h) => h.update(chunk),
            Self::Sha512(h) => h.update(chunk),
        }
    }

    pub(crate) fn finish(self) -> Digest {
        let (algorithm, bytes) = match self {
            Self::Sha256(h) => (DigestAlgorithm::Sha256, h.finalize().to_vec()),
            Self::Sha384(h) => (DigestAlgorithm::Sha384, h.finalize().to_vec()),
            Self::Sha512(h) => (DigestAlgorithm::Sha512, h.finalize().to_vec()),
        };
        Digest { algorithm, bytes }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_answers() {
        assert_eq!(
            Digest::of(DigestAlgorithm::Sha256, b"abc").to_string(),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            Digest::of(DigestAlgorithm::Sha384, b"").as_bytes().len(),
            48
        );
        assert_eq!(
            Digest::of(DigestAlgorithm::Sha512, b"").as_bytes().len(),
            64
        );
    }

    #[test]
    fn new_checks_length() {
        assert!(Digest::new(DigestAlgorithm::Sha256, &[0; 32]).is_some());
        assert!(Digest::new(DigestAlgorithm::Sha256, &[0; 48]).is_none());
    }

    #[test]
    fn parses_names_like_openssl_flags() {
        assert_eq!("SHA-384".parse(), Ok(DigestAlgorithm::Sha384));
        assert_eq!("sha512".parse(), Ok(DigestAlgorithm::Sha512));
        assert!("md5".parse::<DigestAlgorithm>().is_err());
    }
}
