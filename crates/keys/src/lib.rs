//! Public keys for signature verification.
//!
//! `vouch-keys` reads the public keys that software vendors publish (PEM or DER
//! `SubjectPublicKeyInfo`, as written by `openssl pkey -pubout` or `cosign generate-key-pair`),
//! detects their algorithm, and computes their fingerprint. It accepts what `openssl` accepts
//! (CRLF line endings, text before `-----BEGIN`, compressed EC points) and explains what a file
//! is when it is not a public key (a certificate, a private key, an SSH key, garbage).
//!
//! The crate is synchronous and does no I/O: callers pass bytes in.
//!
//! ```
//! let pem = include_str!("../../../testdata/generated/p256-der/key.pub");
//! let key = vouch_keys::PublicKey::from_bytes(pem.as_bytes())?;
//! assert_eq!(key.algorithm(), vouch_keys::Algorithm::EcdsaP256);
//! assert!(key.fingerprint().to_string().starts_with("sha256:"));
//!
//! // A private key is recognised and refused with an explanation.
//! let err = vouch_keys::PublicKey::from_bytes(b"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n")
//!     .unwrap_err();
//! assert!(matches!(err, vouch_keys::Error::NotAPublicKey { found: vouch_keys::KeyFileKind::PrivateKey { .. } }));
//! # Ok::<(), vouch_keys::Error>(())
//! ```

mod error;
mod fingerprint;
mod kind;
mod pem;
mod public_key;

// Public API
pub use error::{Error, Result};
pub use fingerprint::Fingerprint;
pub use kind::KeyFileKind;
pub use pem::{PemBlock, pem_blocks};
pub use public_key::{Algorithm, KeyMaterial, PublicKey};
