//! Signing: the producer side of [`crate::verify`], writing what vouch, openssl and cosign
//! verify.
//!
//! ECDSA and RSA sign a digest, so [`sign_reader`] hashes while it reads, with the same
//! read-ahead thread and buffers as [`crate::verify_reader`]: one pass, constant memory.
//! Pure Ed25519 cannot be signed in one pass: its nonce is a hash of the message, so signing
//! reads the message twice (once for the nonce, once for the challenge). [`sign_reopen`] does
//! that in constant memory for input that can be read twice, such as a file (it opens it again);
//! [`sign_reader`], whose `Read` can be read only once, holds an Ed25519 message in memory, up to
//! [`ED25519_MAX_MESSAGE_LEN`], and refuses larger input with [`Error::MessageTooLarge`] before
//! signing anything.
//!
//! Every signature is verified with the key's public half before it is returned, so a fault
//! during signing (which for RSA-CRT would leak the key) never yields a signature.
//!
//! ECDSA signatures are deterministic (RFC 6979) and low-S; RSA signatures are PKCS#1 v1.5,
//! made with blinding from the `rng` every signing function takes (against timing attacks on
//! the private exponent); ECDSA and Ed25519 do not use it.

use std::cell::{Cell, RefCell};
use std::io::{self, Read};

use base64::Engine as _;
use rand_core::CryptoRng;
use vouch_keys::{Algorithm, Fingerprint, PrivateKey, PublicKey};

use crate::decode::{Decoded, decode};
use crate::digest::Hasher;
use crate::read_ahead::for_each_chunk;
use crate::{Digest, DigestAlgorithm, Error, Result, Signature, SignatureEncoding};

/// Largest input [`sign_reader`] signs with an Ed25519 key: 64 MiB, held in memory. (A file
/// signs in constant memory with [`sign_reopen`].)
pub const ED25519_MAX_MESSAGE_LEN: u64 = 64 << 20;

/// A signature just made, with what it covers.
///
/// The bytes are in the algorithm's native encoding ([`SignedBlob::signature`]): ASN.1 DER for
/// ECDSA (what `openssl dgst -sign` writes), the 64 bytes for Ed25519, PKCS#1 v1.5 for RSA.
/// [`SignedBlob::encode`] gives the other encodings.
#[derive(Debug, Clone)]
#[must_use]
pub struct SignedBlob {
    signature: Vec<u8>,
    digest: Digest,
    public_key: PublicKey,
    message_len: Option<u64>,
}

impl SignedBlob {
    /// The signature in its native encoding ([`SignedBlob::native_encoding`]).
    #[must_use]
    pub fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// [`SignatureEncoding::Der`] for ECDSA, [`SignatureEncoding::Raw`] for Ed25519 and RSA.
    #[must_use]
    pub fn native_encoding(&self) -> SignatureEncoding {
        native_encoding(self.public_key.algorithm())
    }

    /// The signature in `encoding`: DER (ECDSA only), base64 of the native encoding (as cosign
    /// writes it, without a line break), or raw (ECDSA `r‖s`, as WebCrypto and PKCS#11 write it).
    ///
    /// # Errors
    ///
    /// [`Error::AlgorithmMismatch`] for DER with an Ed25519 or RSA key, whose signatures have
    /// no DER form.
    pub fn encode(&self, encoding: SignatureEncoding) -> Result<Vec<u8>> {
        let algorithm = self.public_key.algorithm();
        let is_ecdsa = matches!(algorithm, Algorithm::EcdsaP256 | Algorithm::EcdsaP384);
        match encoding {
            SignatureEncoding::Der if !is_ecdsa => Err(Error::AlgorithmMismatch {
                algorithm,
                encoding,
            }),
            SignatureEncoding::Base64 => Ok(base64::engine::general_purpose::STANDARD
                .encode(&self.signature)
                .into_bytes()),
            SignatureEncoding::Raw if is_ecdsa => der_to_raw(&self.public_key, &self.signature),
            _ => Ok(self.signature.clone()),
        }
    }

    /// The message's digest with the algorithm asked for. ECDSA and RSA signed this digest;
    /// Ed25519 signed the message itself, and the digest is computed alongside (a Sigstore
    /// bundle records it as its `messageDigest`).
    #[must_use]
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// The public key that verifies the signature.
    #[must_use]
    pub fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    /// Fingerprint of the signing key's public half.
    #[must_use]
    pub fn key_fingerprint(&self) -> Fingerprint {
        self.public_key.fingerprint()
    }

    /// The key's algorithm.
    #[must_use]
    pub fn key_algorithm(&self) -> Algorithm {
        self.public_key.algorithm()
    }

    /// Bytes of message read; `None` when signed from a digest.
    #[must_use]
    pub fn message_len(&self) -> Option<u64> {
        self.message_len
    }
}

/// Signs `message` with `key`, over its `digest` (ECDSA, RSA) or itself (Ed25519, for which
/// `digest` only names the digest [`SignedBlob::digest`] reports). `rng` blinds RSA signing.
///
/// # Errors
///
/// [`Error::Signing`] if the key cannot sign (the signature it made does not verify is one
/// such case).
pub fn sign<G: CryptoRng + ?Sized>(
    key: &PrivateKey,
    message: &[u8],
    digest: DigestAlgorithm,
    rng: &mut G,
) -> Result<SignedBlob> {
    let len = message.len() as u64;
    let message_digest = Digest::of(digest, message);
    if key.algorithm() == Algorithm::Ed25519 {
        return sign_ed25519(key, message, message_digest);
    }
    let mut signed = sign_digest(key, &message_digest, rng)?;
    signed.message_len = Some(len);
    Ok(signed)
}

/// Signs everything `reader` yields with `key`, over its `digest`.
///
/// ECDSA and RSA: streamed, hashing while a read-ahead thread reads, in constant memory
/// whatever the input size. Ed25519: read into memory, at most [`ED25519_MAX_MESSAGE_LEN`]
/// bytes (see the module documentation).
///
/// # Errors
///
/// [`Error::ReadArtifact`] if reading fails; [`Error::MessageTooLarge`] for an Ed25519 key and
/// a larger input (nothing is signed); otherwise as [`sign`].
pub fn sign_reader<R: Read + Send, G: CryptoRng + ?Sized>(
    key: &PrivateKey,
    reader: R,
    digest: DigestAlgorithm,
    rng: &mut G,
) -> Result<SignedBlob> {
    if key.algorithm() == Algorithm::Ed25519 {
        let mut message = Vec::new();
        reader
            .take(ED25519_MAX_MESSAGE_LEN + 1)
            .read_to_end(&mut message)
            .map_err(Error::ReadArtifact)?;
        if message.len() as u64 > ED25519_MAX_MESSAGE_LEN {
            return Err(Error::MessageTooLarge {
                algorithm: key.algorithm(),
                max: ED25519_MAX_MESSAGE_LEN,
            });
        }
        let message_digest = Digest::of(digest, &message);
        return sign_ed25519(key, &message, message_digest);
    }
    let mut hasher = Hasher::new(digest);
    let len = for_each_chunk(reader, |chunk| hasher.update(chunk)).map_err(Error::ReadArtifact)?;
    let mut signed = sign_digest(key, &hasher.finish(), rng)?;
    signed.message_len = Some(len);
    Ok(signed)
}

/// Signs what `open` yields with `key`, over its `digest`, in constant memory for every
/// algorithm: for input that can be read again, such as a file.
///
/// ECDSA and RSA: `open` is called once and the input streamed as by [`sign_reader`].
/// Ed25519: `open` is called twice, for the two passes pure Ed25519 signing makes, and must
/// yield the same bytes both times; if they differ (the file changed while it was signed),
/// nothing is signed.
///
/// # Errors
///
/// [`Error::ReadArtifact`] if `open` or reading fails; [`Error::Signing`] with
/// [`vouch_keys::Error::MessageChanged`] if the two Ed25519 passes differ; otherwise as
/// [`sign`].
pub fn sign_reopen<R: Read + Send, G: CryptoRng + ?Sized>(
    key: &PrivateKey,
    mut open: impl FnMut() -> io::Result<R>,
    digest: DigestAlgorithm,
    rng: &mut G,
) -> Result<SignedBlob> {
    if key.algorithm() != Algorithm::Ed25519 {
        return sign_reader(key, open().map_err(Error::ReadArtifact)?, digest, rng);
    }
    // The first pass is also hashed with `digest`, for `SignedBlob::digest`.
    let hasher = RefCell::new(Hasher::new(digest));
    let len = Cell::new(0_u64);
    let passes = Cell::new(0_u32);
    let signature = key
        .sign_reader(|| {
            let first = passes.get() == 0;
            passes.set(passes.get() + 1);
            open().map(|inner| Tee {
                inner,
                hasher: first.then_some(&hasher),
                len: &len,
            })
        })
        .map_err(|err| match err {
            vouch_keys::Error::Read(io) => Error::ReadArtifact(io),
            other => Error::Signing(other),
        })?;
    let public_key = key.public_key();
    let message_len = len.get();
    // The self-check needs the message again (Ed25519 verifies over it, not over a digest):
    // a third pass, streamed.
    let check = Signature::from_bytes(signature.clone()).with_encoding(SignatureEncoding::Raw);
    let _proof = crate::verify_reader(&public_key, open().map_err(Error::ReadArtifact)?, &check)
        .map_err(self_check_failed)?;
    Ok(SignedBlob {
        signature,
        digest: hasher.into_inner().finish(),
        public_key,
        message_len: Some(message_len),
    })
}

/// A reader that feeds what it reads to a hasher (first Ed25519 pass only) and counts it.
struct Tee<'a, R> {
    inner: R,
    hasher: Option<&'a RefCell<Hasher>>,
    len: &'a Cell<u64>,
}

impl<R: Read> Read for Tee<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(hasher) = self.hasher {
            let chunk = buf.get(..n).unwrap_or_default();
            hasher.borrow_mut().update(chunk);
            self.len.set(self.len.get() + n as u64);
        }
        Ok(n)
    }
}

/// Signs a message digest computed by the caller (ECDSA and RSA keys; `rng` blinds RSA).
///
/// # Errors
///
/// [`Error::PrehashUnsupported`] for Ed25519 keys, which sign the message itself;
/// [`Error::Signing`] if the key cannot sign.
pub fn sign_digest<G: CryptoRng + ?Sized>(
    key: &PrivateKey,
    digest: &Digest,
    rng: &mut G,
) -> Result<SignedBlob> {
    let algorithm = key.algorithm();
    if algorithm == Algorithm::Ed25519 {
        return Err(Error::PrehashUnsupported { algorithm });
    }
    let signature = key
        .sign_prehash_with_rng(digest.algorithm(), digest.as_bytes(), rng)
        .map_err(Error::Signing)?;
    let public_key = key.public_key();
    let check = Signature::from_bytes(signature.clone())
        .with_encoding(native_encoding(algorithm))
        .with_digest(digest.algorithm());
    let _proof = crate::verify_digest(&public_key, digest, &check).map_err(self_check_failed)?;
    Ok(SignedBlob {
        signature,
        digest: digest.clone(),
        public_key,
        message_len: None,
    })
}

fn sign_ed25519(key: &PrivateKey, message: &[u8], digest: Digest) -> Result<SignedBlob> {
    let signature = key.sign_message(message).map_err(Error::Signing)?;
    let public_key = key.public_key();
    let check = Signature::from_bytes(signature.clone()).with_encoding(SignatureEncoding::Raw);
    let _proof = crate::verify(&public_key, message, &check).map_err(self_check_failed)?;
    Ok(SignedBlob {
        signature,
        digest,
        public_key,
        message_len: Some(message.len() as u64),
    })
}

fn native_encoding(algorithm: Algorithm) -> SignatureEncoding {
    match algorithm {
        Algorithm::EcdsaP256 | Algorithm::EcdsaP384 => SignatureEncoding::Der,
        _ => SignatureEncoding::Raw,
    }
}

/// ECDSA DER to IEEE P1363 `r‖s`.
fn der_to_raw(public_key: &PublicKey, der: &[u8]) -> Result<Vec<u8>> {
    let der = Signature::from_bytes(der).with_encoding(SignatureEncoding::Der);
    match decode(public_key, &der).map_err(self_check_failed)? {
        (Decoded::EcdsaP256(sig), _) => Ok(sig.to_bytes().to_vec()),
        (Decoded::EcdsaP384(sig), _) => Ok(sig.to_bytes().to_vec()),
        _ => Err(Error::AlgorithmMismatch {
            algorithm: public_key.algorithm(),
            encoding: SignatureEncoding::Raw,
        }),
    }
}

fn self_check_failed(err: Error) -> Error {
    Error::SelfCheckFailed(Box::new(err))
}
