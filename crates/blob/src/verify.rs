use std::fs::File;
use std::io::Read;

use ecdsa::signature::hazmat::PrehashVerifier as _;
use vouch_keys::{Algorithm, Fingerprint, KeyMaterial, PublicKey};

use crate::decode::{Decoded, decode};
use crate::digest::Hasher;
use crate::file::{self, FileReading};
use crate::read_ahead::for_each_chunk;
use crate::{Digest, DigestAlgorithm, Error, Result, Signature, SignatureEncoding};

/// Proof that a signature verified: what was checked, with which key.
///
/// Only this crate's `verify*` functions create one; its fields are private, so a caller
/// cannot forge a proof:
///
/// ```compile_fail
/// let forged = vouch_blob::VerifiedBlob {
///     key: vouch_keys::Fingerprint::of_spki_der(b""),
///     algorithm: vouch_keys::Algorithm::EcdsaP256,
///     digest: None,
///     encoding: vouch_blob::SignatureEncoding::Der,
///     message_len: None,
/// };
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct VerifiedBlob {
    key: Fingerprint,
    algorithm: Algorithm,
    digest: Option<Digest>,
    encoding: SignatureEncoding,
    message_len: Option<u64>,
}

impl VerifiedBlob {
    /// Fingerprint of the key the signature verified with.
    pub fn key_fingerprint(&self) -> Fingerprint {
        self.key
    }

    /// The key's algorithm.
    pub fn key_algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The digest the signature covers; `None` for Ed25519, which signs the message itself.
    pub fn digest(&self) -> Option<&Digest> {
        self.digest.as_ref()
    }

    /// The encoding the signature was found in.
    pub fn encoding(&self) -> SignatureEncoding {
        self.encoding
    }

    /// Bytes of message read; `None` when verified from a digest.
    pub fn message_len(&self) -> Option<u64> {
        self.message_len
    }
}

/// Verifies `signature` by `key` over `message`.
///
/// # Errors
///
/// [`Error::MalformedSignature`] or [`Error::AlgorithmMismatch`] if the signature cannot be
/// decoded for the key; [`Error::SignatureMismatch`] if it does not verify.
pub fn verify(key: &PublicKey, message: &[u8], signature: &Signature) -> Result<VerifiedBlob> {
    verify_fed(key, signature, |consume| {
        consume(message);
        Ok(message.len() as u64)
    })
}

/// Verifies `signature` by `key` over everything `reader` yields, in constant memory.
///
/// The signature is decoded before any input is read, so a malformed signature costs no I/O.
///
/// # Errors
///
/// As [`verify`], plus [`Error::ReadArtifact`] if reading fails.
pub fn verify_reader<R: Read + Send>(
    key: &PublicKey,
    reader: R,
    signature: &Signature,
) -> Result<VerifiedBlob> {
    verify_fed(key, signature, |consume| for_each_chunk(reader, consume))
}

/// Verifies `signature` by `key` over the whole of `file`, brought to the hash the way
/// `reading` says, in constant memory; `progress` hears of every chunk's length once hashed.
///
/// Mapped ways hash the file from its start; read ways from its current position. A mapped
/// file whose size changes while it is hashed is an [`Error::ReadArtifact`].
///
/// # Errors
///
/// As [`verify_reader`].
pub fn verify_file(
    key: &PublicKey,
    file: &File,
    signature: &Signature,
    reading: FileReading,
    mut progress: impl FnMut(u64),
) -> Result<VerifiedBlob> {
    verify_fed(key, signature, |consume| {
        file::for_each_chunk(file, reading, |chunk| {
            consume(chunk);
            progress(chunk.len() as u64);
        })
    })
}

/// Decodes the signature before anything is read, so that a malformed one costs no I/O, then
/// hashes (or, for pure Ed25519, streams) whatever `feed` hands over.
fn verify_fed(
    key: &PublicKey,
    signature: &Signature,
    feed: impl FnOnce(&mut dyn FnMut(&[u8])) -> std::io::Result<u64>,
) -> Result<VerifiedBlob> {
    let (decoded, encoding) = decode(key, signature)?;
    if let (KeyMaterial::Ed25519(verifying_key), Decoded::Ed25519(sig)) = (key.material(), &decoded)
    {
        // (Pure Ed25519) SHA-512(R ‖ A ‖ M) needs the message once, front to back: stream it.
        let mut stream = verifying_key
            .verify_stream(sig)
            .map_err(|_| mismatch(key, None, encoding))?;
        let len = feed(&mut |chunk| stream.update(chunk)).map_err(Error::ReadArtifact)?;
        stream
            .finalize_and_verify()
            .map_err(|_| mismatch(key, None, encoding))?;
        return Ok(proof(key, None, encoding, Some(len)));
    }
    let mut hasher = Hasher::new(signature.digest());
    let len = feed(&mut |chunk| hasher.update(chunk)).map_err(Error::ReadArtifact)?;
    let digest = hasher.finish();
    check_prehash(key, &decoded, &digest, encoding)?;
    Ok(proof(key, Some(digest), encoding, Some(len)))
}

/// Verifies `signature` by `key` over a message digest computed by the caller.
///
/// The digest's algorithm is the one checked; if the signature was declared over another one
/// ([`Signature::with_digest`]), that is an error.
///
/// # Errors
///
/// [`Error::PrehashUnsupported`] for Ed25519 keys (checked first);
/// [`Error::DigestAlgorithmMismatch`]; otherwise as [`verify`].
pub fn verify_digest(
    key: &PublicKey,
    digest: &Digest,
    signature: &Signature,
) -> Result<VerifiedBlob> {
    if key.algorithm() == Algorithm::Ed25519 {
        return Err(Error::PrehashUnsupported {
            algorithm: key.algorithm(),
        });
    }
    if signature.digest_was_set() && signature.digest() != digest.algorithm() {
        return Err(Error::DigestAlgorithmMismatch {
            expected: signature.digest(),
            found: digest.algorithm(),
        });
    }
    let (decoded, encoding) = decode(key, signature)?;
    check_prehash(key, &decoded, digest, encoding)?;
    Ok(proof(key, Some(digest.clone()), encoding, None))
}

/// After a [`Error::SignatureMismatch`]: finds which digest of `reader`'s content, if any,
/// the signature verifies over, hashing with every supported algorithm in one pass.
///
/// Lets a caller say "this signature was made over SHA-512" rather than only "invalid".
/// Returns `Ok(None)` for Ed25519 keys, which sign no digest, without reading.
///
/// # Errors
///
/// As [`verify_reader`], except that a mismatch is `Ok(None)`.
pub fn find_signing_digest<R: Read + Send>(
    key: &PublicKey,
    reader: R,
    signature: &Signature,
) -> Result<Option<DigestAlgorithm>> {
    if key.algorithm() == Algorithm::Ed25519 {
        return Ok(None);
    }
    let (decoded, encoding) = decode(key, signature)?;
    let mut hashers: Vec<Hasher> = DigestAlgorithm::ALL.into_iter().map(Hasher::new).collect();
    for_each_chunk(reader, |chunk| {
        hashers.iter_mut().for_each(|h| h.update(chunk))
    })
    .map_err(Error::ReadArtifact)?;
    Ok(hashers
        .into_iter()
        .map(Hasher::finish)
        .find(|digest| check_prehash(key, &decoded, digest, encoding).is_ok())
        .map(|digest| digest.algorithm()))
}

fn check_prehash(
    key: &PublicKey,
    decoded: &Decoded,
    digest: &Digest,
    encoding: SignatureEncoding,
) -> Result<()> {
    let prehash = digest.as_bytes();
    let verified = match (key.material(), decoded) {
        // High-S signatures are accepted, as openssl accepts them: ECDSA does not forbid them,
        // and refusing would reject signatures that other verifiers accept.
        (KeyMaterial::EcdsaP256(vk), Decoded::EcdsaP256(sig)) => {
            vk.verify_prehash(prehash, sig).is_ok()
        }
        (KeyMaterial::EcdsaP384(vk), Decoded::EcdsaP384(sig)) => {
            vk.verify_prehash(prehash, sig).is_ok()
        }
        (KeyMaterial::Rsa(rsa_key), Decoded::Rsa(sig)) => verify_rsa(rsa_key, digest, sig),
        (KeyMaterial::Ed25519(_), _) => {
            return Err(Error::PrehashUnsupported {
                algorithm: key.algorithm(),
            });
        }
        _ => false,
    };
    if verified {
        Ok(())
    } else {
        Err(mismatch(key, Some(digest.clone()), encoding))
    }
}

fn verify_rsa(key: &rsa::RsaPublicKey, digest: &Digest, sig: &rsa::pkcs1v15::Signature) -> bool {
    use rsa::pkcs1v15::VerifyingKey;
    let prehash = digest.as_bytes();
    match digest.algorithm() {
        DigestAlgorithm::Sha256 => {
            VerifyingKey::<sha2::Sha256>::new(key.clone()).verify_prehash(prehash, sig)
        }
        DigestAlgorithm::Sha384 => {
            VerifyingKey::<sha2::Sha384>::new(key.clone()).verify_prehash(prehash, sig)
        }
        DigestAlgorithm::Sha512 => {
            VerifyingKey::<sha2::Sha512>::new(key.clone()).verify_prehash(prehash, sig)
        }
    }
    .is_ok()
}

fn mismatch(key: &PublicKey, digest: Option<Digest>, encoding: SignatureEncoding) -> Error {
    Error::SignatureMismatch {
        key: key.fingerprint(),
        algorithm: key.algorithm(),
        digest,
        encoding,
    }
}

fn proof(
    key: &PublicKey,
    digest: Option<Digest>,
    encoding: SignatureEncoding,
    message_len: Option<u64>,
) -> VerifiedBlob {
    VerifiedBlob {
        key: key.fingerprint(),
        algorithm: key.algorithm(),
        digest,
        encoding,
        message_len,
    }
}
