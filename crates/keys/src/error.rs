use crate::kind::KeyFileKind;

/// Why bytes could not be read as a public key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input is a recognised file type, but not a public key.
    #[error("expected a public key, found {found}")]
    NotAPublicKey {
        /// What the input is.
        found: KeyFileKind,
    },
    /// The input is neither PEM nor DER.
    #[error(
        "expected a PEM or DER public key, found {len} bytes that are neither (starting {prefix:?})"
    )]
    Unrecognised {
        /// Input length in bytes.
        len: usize,
        /// The first few bytes, printable characters only.
        prefix: String,
    },
    /// A PEM block's base64 body is not valid.
    #[error("PEM block `{label}` has an invalid base64 body")]
    PemBody {
        /// The block's label.
        label: String,
    },
    /// A `PUBLIC KEY` structure is not valid DER `SubjectPublicKeyInfo`.
    #[error("malformed SubjectPublicKeyInfo: {detail}")]
    MalformedSpki {
        /// What the DER decoder said.
        detail: String,
    },
    /// The key uses an algorithm or curve vouch does not verify with.
    #[error(
        "unsupported key algorithm {what}; supported: ECDSA P-256, ECDSA P-384, Ed25519, RSA 2048-4096"
    )]
    UnsupportedAlgorithm {
        /// The OID or curve name found.
        what: String,
    },
    /// The key's point or modulus is not a valid key of its algorithm.
    #[error("invalid {algorithm} public key: {detail}")]
    InvalidKey {
        /// The declared algorithm.
        algorithm: &'static str,
        /// What is wrong with it.
        detail: String,
    },
    /// An RSA key outside the accepted sizes.
    #[error("RSA key of {bits} bits is outside the accepted range of 2048 to 4096 bits")]
    RsaKeySize {
        /// The modulus size.
        bits: usize,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
