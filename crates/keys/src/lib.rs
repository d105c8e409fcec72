//! Keys: public keys for signature verification, private keys for signing.
//!
//! `vouch-keys` reads the public keys that software vendors publish (PEM or DER
//! `SubjectPublicKeyInfo`, as written by `openssl pkey -pubout` or `cosign generate-key-pair`),
//! detects their algorithm, and computes their fingerprint. It accepts what `openssl` accepts
//! (CRLF line endings, text before `-----BEGIN`, compressed EC points) and explains what a file
//! is when it is not a public key (a certificate, a private key, an SSH key, garbage).
//!
//! It also reads private keys in every form vendors keep them ([`PrivateKey`]: PKCS#8, SEC1,
//! PKCS#1, encrypted PKCS#8, cosign's encrypted format), writes cosign's encrypted format and
//! openssl's PKCS#8, and signs. Randomness is a parameter (`rand_core::CryptoRng`).
//!
//! The crate is synchronous and does no I/O: callers pass bytes (or a `std::io::Read`) in.
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

mod cosign_key;
mod encode;
mod error;
mod fingerprint;
mod hash;
mod kind;
mod pem;
mod private_key;
mod public_key;

// Public API
pub use error::{Error, Result};
pub use fingerprint::Fingerprint;
pub use kind::KeyFileKind;
pub use pem::{PemBlock, pem_blocks};
pub use public_key::{Algorithm, KeyMaterial, PublicKey};

// Private keys: reading, writing, signing.
pub use cosign_key::ScryptParams;
pub use hash::HashAlgorithm;
pub use private_key::{PrivateKey, cosign_key_params};
/// The `rand_core` whose `CryptoRng` [`PrivateKey::generate`] and the writers take.
pub use rand_core;
/// `Zeroizing`, which wraps the key material [`PrivateKey`] hands out.
pub use zeroize::Zeroizing;
