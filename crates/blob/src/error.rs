use std::fmt;

use vouch_keys::{Algorithm, Fingerprint};

use crate::{Digest, DigestAlgorithm, SignatureEncoding};

/// Why a signature was not accepted, or could not be made. Match on the variant; the fields
/// are for messages.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The signature is well-formed but does not verify with this key over this input.
    #[error("{encoding} signature does not verify with {algorithm} key {key} over {}", over(.digest.as_ref()))]
    SignatureMismatch {
        /// The key tried.
        key: Fingerprint,
        /// Its algorithm.
        algorithm: Algorithm,
        /// The input's digest the signature was checked against; `None` for Ed25519, which
        /// signs the input itself.
        digest: Option<Digest>,
        /// The encoding the signature decoded from.
        encoding: SignatureEncoding,
    },
    /// The signature bytes are not a signature in any accepted encoding for this key.
    #[error("{0}")]
    MalformedSignature(Malformed),
    /// The pinned encoding cannot hold a signature of this key's algorithm.
    #[error("{algorithm} signatures have no {encoding} encoding")]
    AlgorithmMismatch {
        /// The key's algorithm.
        algorithm: Algorithm,
        /// The encoding asked for.
        encoding: SignatureEncoding,
    },
    /// Pure Ed25519 signs the message itself, so it cannot be checked against a digest.
    #[error("{algorithm} signatures cover the whole message and cannot be verified from a digest")]
    PrehashUnsupported {
        /// The key's algorithm.
        algorithm: Algorithm,
    },
    /// A digest was given of another algorithm than the signature is declared over.
    #[error("expected a {expected} digest, got a {found} digest")]
    DigestAlgorithmMismatch {
        /// What the signature was declared over.
        expected: DigestAlgorithm,
        /// What was given.
        found: DigestAlgorithm,
    },
    /// Reading the input failed.
    #[error("reading the input")]
    ReadArtifact(#[source] std::io::Error),
    /// The private key could not sign.
    #[error("signing failed")]
    Signing(#[source] vouch_keys::Error),
    /// A signature just made does not verify with the key's public half (a fault while
    /// signing); it is not returned.
    #[error("the signature just made does not verify with the key's public half")]
    SelfCheckFailed(#[source] Box<Self>),
    /// The input is too large to sign with this key: its algorithm signs the whole message,
    /// which must then be held in memory.
    #[error(
        "{algorithm} signs the whole message, which is then held in memory: inputs over {max} bytes are refused"
    )]
    MessageTooLarge {
        /// The key's algorithm.
        algorithm: Algorithm,
        /// The largest input accepted, in bytes.
        max: u64,
    },
}

/// What was wrong with signature bytes that decode as no signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Malformed {
    /// The encoding pinned by the caller, if any.
    pub pinned: Option<SignatureEncoding>,
    /// Length of the signature bytes.
    pub len: usize,
    /// The first bytes, as found.
    pub prefix: Vec<u8>,
    /// What was expected, for this key.
    pub expected: String,
    /// The most specific finding (e.g. "1 byte after the DER SEQUENCE").
    pub finding: String,
}

impl fmt::Display for Malformed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed signature: expected {}", self.expected)?;
        if let Some(pinned) = self.pinned {
            write!(f, " (encoding pinned to {pinned})")?;
        }
        write!(f, ", found {} bytes", self.len)?;
        if !self.prefix.is_empty() {
            write!(f, " starting {}", hex_prefix(&self.prefix))?;
        }
        write!(f, ": {}", self.finding)
    }
}

fn over(digest: Option<&Digest>) -> String {
    digest.map_or_else(
        || "the input".to_owned(),
        |digest| format!("the input's {} digest", digest.algorithm()),
    )
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
