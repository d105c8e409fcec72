use crate::HashAlgorithm;
use crate::kind::KeyFileKind;
use crate::public_key::Algorithm;

/// Why bytes could not be read as a key, or a private key could not be used.
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
    /// A PEM block has more RFC 1421 header lines (`Proc-Type: …`) than any key file holds.
    #[error(
        "PEM block `{label}` has {found} header lines (`Name: value`), more than the {max} a key \
         file ever holds; openssl refuses such a block too"
    )]
    PemHeaders {
        /// The block's label.
        label: String,
        /// Header lines found.
        found: usize,
        /// The most accepted.
        max: usize,
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

    // --- Private keys -----------------------------------------------------------------------
    /// The private key is encrypted and no password was given.
    #[error("the {format} private key is encrypted: a password is needed to read it")]
    PasswordRequired {
        /// `cosign encrypted` or `encrypted PKCS#8`.
        format: &'static str,
    },
    /// The password does not decrypt the key (the MAC or padding check failed).
    #[error(
        "wrong password for the {format} private key (the key decrypts only with the password it \
         was written with; cosign reads COSIGN_PASSWORD)"
    )]
    WrongPassword {
        /// `cosign encrypted` or `encrypted PKCS#8`.
        format: &'static str,
    },
    /// A cosign key with scrypt parameters other than the three sets cosign writes and reads
    /// (checked before running scrypt, so a crafted key cannot make us allocate gigabytes).
    #[error(
        "unsupported scrypt parameters N={n}, r={r}, p={p} in the cosign encrypted private key \
         (cosign and vouch accept N=32768, 65536 or 131072 with r=8 and p=1)"
    )]
    UnsupportedKdfParameters {
        /// scrypt's cost parameter `N`.
        n: u64,
        /// scrypt's block size `r`.
        r: u64,
        /// scrypt's parallelization `p`.
        p: u64,
    },
    /// A private key of an algorithm, curve, encryption or size vouch does not use.
    #[error("unsupported private key: {what}")]
    UnsupportedPrivateKey {
        /// What was found.
        what: String,
    },
    /// A private key that is not well-formed (bad DER, bad JSON, a key not on its curve).
    #[error("malformed private key: {detail}")]
    MalformedPrivateKey {
        /// What is wrong with it.
        detail: String,
    },
    /// The input is a public key where a private key was expected (the other half of the pair,
    /// a common mix-up: callers can point at the private key by name).
    #[error("expected a private key, found a public key ({form})")]
    PublicKeyNotPrivate {
        /// How it is encoded: `PEM \`PUBLIC KEY\``, `SubjectPublicKeyInfo`, ...
        form: String,
    },
    /// The input is a recognised file type, but not a private key.
    #[error("expected a private key, found {found}")]
    NotAPrivateKey {
        /// What the input is: `a public key`, `an X.509 certificate`, ...
        found: String,
    },
    /// `sign_prehash` with a key that signs the message itself.
    #[error("{algorithm} keys sign the whole message, not a digest of it")]
    PrehashUnsupported {
        /// The key's algorithm.
        algorithm: Algorithm,
    },
    /// A prehash whose length is not the digest length of its hash algorithm.
    #[error("a {hash} digest is {expected} bytes, got {found}")]
    PrehashLength {
        /// The hash algorithm named.
        hash: HashAlgorithm,
        /// Its digest length.
        expected: usize,
        /// The length passed.
        found: usize,
    },
    /// Reading the message to sign failed.
    #[error("reading the message to sign failed")]
    Read(#[source] std::io::Error),
    /// The message changed while it was read twice (Ed25519 streaming): no signature is
    /// returned, since two signatures over such a message could reveal the key.
    #[error(
        "the message changed while it was being signed (it was read twice with different contents)"
    )]
    MessageChanged,
    /// The signing primitive failed (should not happen for keys this crate loaded).
    #[error("signing failed: {detail}")]
    Signing {
        /// The primitive's error.
        detail: String,
    },
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
