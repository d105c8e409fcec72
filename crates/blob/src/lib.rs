//! Verify detached signatures over files and streams.
//!
//! `vouch-blob` checks the signatures software vendors publish next to their downloads: an
//! ECDSA, Ed25519 or RSA signature over a file, in any of the encodings in use today:
//!
//! | encoding | made by |
//! |---|---|
//! | [`SignatureEncoding::Der`] | `openssl dgst -sign`, Go `ecdsa.SignASN1` |
//! | [`SignatureEncoding::Base64`] | `cosign sign-blob` (base64 of DER, newlines allowed) |
//! | [`SignatureEncoding::Raw`] | WebCrypto, JWS, PKCS#11 (`r‖s`); Ed25519; RSA PKCS#1 v1.5 |
//!
//! The encoding is detected unless pinned with [`Signature::with_encoding`].
//!
//! The crate is synchronous and does no I/O other than through what the caller hands it: a
//! [`std::io::Read`] or an open [`std::fs::File`]. [`verify_reader`] hashes while it reads, in
//! constant memory whatever the input size, with a read-ahead thread so that reading overlaps
//! hashing. [`verify_file`] hashes a file the way a [`FileReading`] says: read, or mapped
//! window by window and hashed where it lies in the page cache, which saves the copy and never
//! lost to openssl in our measurements (docs/performance.md) but needs the caller to handle
//! `SIGBUS`. Callers that hash on their own (an async
//! runtime, a multi-digest pass) call [`verify_digest`]. Pure Ed25519 cannot be verified from a
//! digest; [`verify_digest`] rejects it with [`Error::PrehashUnsupported`], while [`verify`] and
//! [`verify_reader`] stream it.
//!
//! Signing is the mirror image: [`sign`], [`sign_reader`] (streaming, with the same read-ahead,
//! for ECDSA and RSA; Ed25519 input is held in memory up to [`ED25519_MAX_MESSAGE_LEN`]),
//! [`sign_reopen`] (constant memory for every algorithm, for input that can be read twice) and
//! [`sign_digest`] take a [`vouch_keys::PrivateKey`] and return a [`SignedBlob`]: the signature
//! in DER for ECDSA (what `openssl dgst -sign` writes), or any other [`SignatureEncoding`].
//!
//! ```
//! use vouch_blob::{Signature, verify};
//! use vouch_keys::PublicKey;
//!
//! let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/generated/p256-der");
//! let key = PublicKey::from_bytes(&std::fs::read(format!("{dir}/key.pub"))?)?;
//! let message = std::fs::read(format!("{dir}/artifact"))?;
//! let signature = Signature::from_bytes(std::fs::read(format!("{dir}/artifact.sig"))?);
//!
//! let verified = verify(&key, &message, &signature)?;
//! assert_eq!(verified.encoding(), vouch_blob::SignatureEncoding::Der);
//!
//! // Any other message is refused, and the error says with which key.
//! let err = verify(&key, b"something else", &signature).unwrap_err();
//! assert!(matches!(err, vouch_blob::Error::SignatureMismatch { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod decode;
mod digest;
mod error;
mod file;
pub mod folder;
mod mapped;
mod read_ahead;
mod sign;
mod signature;
mod verify;

// Public API
pub use digest::{Digest, DigestAlgorithm};
pub use error::{Error, Malformed, Result};
pub use file::{FileReading, digest_file, digest_reader};
pub use sign::{ED25519_MAX_MESSAGE_LEN, SignedBlob, sign, sign_digest, sign_reader, sign_reopen};
pub use signature::{Signature, SignatureEncoding};
pub use verify::{
    VerifiedBlob, find_signing_digest, verify, verify_digest, verify_file, verify_reader,
};
