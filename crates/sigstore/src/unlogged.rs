//! Key-signed bundles with no signing-time evidence at all (no log entry, no timestamp), as
//! `cosign sign-blob --key --tlog-upload=false` writes them.
//!
//! sigstore-verify requires a log entry or a timestamp even when the log is skipped, so it
//! refuses these. With [`crate::Policy::insecure_ignore_tlog`] they are what the user asked
//! to accept: the signature is checked with vouch-blob (the same code as `verify-blob
//! --signature`), and the bundle's message digest must equal the artifact's. The same path
//! checks a key-signed bundle whose only evidence was RFC 3161 timestamps with a fractional
//! genTime: vouch verified those first (`timestamp`) and took them out of the bundle.
//!
//! DSSE envelopes (`cosign attest --key --tlog-upload=false`, and cosign v3 image signatures
//! made the same way) are checked as sigstore-verify checks them: the payload type must be
//! `application/vnd.in-toto+json`, the signature must verify over the envelope's
//! pre-authentication encoding with the key's default hash (SHA-384 for P-384, else SHA-256;
//! Ed25519 signs the encoding itself), and a subject of the in-toto statement must carry the
//! artifact's SHA-256 or SHA-512 digest.

use std::io::Read;

use sha2::{Digest as _, Sha256, Sha512};
use sigstore_types::bundle::{MessageSignature, SignatureContent};
use sigstore_types::{DsseEnvelope, Sha256Hash, Sha512Hash, Subject};
use vouch_blob::DigestAlgorithm;
use vouch_keys::{Algorithm, PublicKey};

use crate::verify::{Input, VerifiedBundle};
use crate::{Bundle, Error, Result};

const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// Payloads from this size on are read and hashed on two threads (a thread costs tens of
/// microseconds; a MiB takes about a millisecond to each pass).
const PARALLEL_PAYLOAD: usize = 1 << 20;

/// Whether `bundle` carries neither a log entry nor a timestamp.
pub(crate) fn has_no_evidence(bundle: &Bundle) -> bool {
    let material = &bundle.inner.verification_material;
    material.tlog_entries.is_empty()
        && material
            .timestamp_verification_data
            .rfc3161_timestamps
            .is_empty()
}

/// Verifies a key-signed bundle with `key` over `input`.
pub(crate) fn verify<R: Read + Send>(
    input: Input<'_, R>,
    bundle: &Bundle,
    key: &PublicKey,
) -> Result<VerifiedBundle> {
    match &bundle.inner.content {
        SignatureContent::MessageSignature(message) => verify_message(input, message, key)?,
        SignatureContent::DsseEnvelope(envelope) => verify_dsse(input, envelope, key)?,
        _ => {
            return Err(Error::MalformedBundle {
                detail: "the bundle has neither a message signature nor a DSSE envelope".to_owned(),
            });
        }
    }
    Ok(VerifiedBundle::unlogged(
        bundle.format().clone(),
        key.fingerprint(),
    ))
}

fn verify_message<R: Read + Send>(
    input: Input<'_, R>,
    message: &MessageSignature,
    key: &PublicKey,
) -> Result<()> {
    let mut signature = vouch_blob::Signature::from_bytes(message.signature.as_bytes().to_vec());
    // The digest the signer declared (cosign v3 signs with SHA-384 for P-384 keys); without
    // one, SHA-256 as cosign ≤ 2.
    if let Some(declared) = &message.message_digest {
        signature = signature.with_digest(match declared.algorithm {
            sigstore_types::HashAlgorithm::Sha2384 => DigestAlgorithm::Sha384,
            sigstore_types::HashAlgorithm::Sha2512 => DigestAlgorithm::Sha512,
            _ => DigestAlgorithm::Sha256,
        });
    }
    let verified = match input {
        Input::Reader(reader) => vouch_blob::verify_reader(key, reader, &signature),
        Input::Digest(digest) => vouch_blob::verify_digest(key, digest, &signature),
    }
    .map_err(blob_error)?;
    if let (Some(claimed), Some(actual)) = (&message.message_digest, verified.digest())
        && claimed.digest.as_bytes() != actual.as_bytes()
    {
        return Err(Error::SignatureInvalid {
            detail: format!("the bundle's message digest is not the artifact's ({actual})"),
        });
    }
    Ok(())
}

fn verify_dsse<R: Read + Send>(
    input: Input<'_, R>,
    envelope: &DsseEnvelope,
    key: &PublicKey,
) -> Result<()> {
    if envelope.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(Error::MalformedBundle {
            detail: format!(
                "DSSE payload type `{}` is not `{IN_TOTO_PAYLOAD_TYPE}`: nothing binds the envelope to the artifact",
                envelope.payload_type
            ),
        });
    }
    let payload = envelope.payload.as_bytes();
    let read_subjects = || {
        serde_json::from_slice::<Subjects>(payload).map_err(|err| Error::MalformedBundle {
            detail: format!("the DSSE payload is not an in-toto statement: {err}"),
        })
    };
    let hash = match key.algorithm() {
        Algorithm::EcdsaP384 => DigestAlgorithm::Sha384,
        _ => DigestAlgorithm::Sha256,
    };
    let signature = vouch_blob::Signature::from_bytes(envelope.signature.sig.as_bytes().to_vec())
        .with_digest(hash);
    let check_signature = || {
        vouch_blob::verify_reader(
            key,
            pae_header(envelope).as_bytes().chain(payload),
            &signature,
        )
        .map_err(blob_error)
    };
    // Reading the subjects and hashing the payload are two passes over it, independent: side
    // by side for a large one (an SBOM attestation), where they take about as long each.
    // A thread that cannot be started (a process at its limit) leaves both on this one.
    let (statement, signed) = std::thread::scope(|scope| {
        let beside = (payload.len() >= PARALLEL_PAYLOAD)
            .then(|| {
                std::thread::Builder::new()
                    .spawn_scoped(scope, read_subjects)
                    .ok()
            })
            .flatten();
        let signed = check_signature();
        let subjects = match beside {
            Some(thread) => thread
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic)),
            None => read_subjects(),
        };
        (subjects, signed)
    });
    let statement = statement?;
    let _proof = signed?;
    let bound = match input {
        Input::Reader(reader) => {
            let (sha256, sha512) = hash_reader(reader).map_err(Error::ReadArtifact)?;
            statement.matches_sha256(&sha256) || statement.matches_sha512(&sha512)
        }
        Input::Digest(digest) => match digest.algorithm() {
            DigestAlgorithm::Sha256 => Sha256Hash::try_from(digest.as_bytes())
                .is_ok_and(|hash| statement.matches_sha256(&hash)),
            DigestAlgorithm::Sha512 => Sha512Hash::try_from(digest.as_bytes())
                .is_ok_and(|hash| statement.matches_sha512(&hash)),
            _ => false,
        },
    };
    if !bound {
        return Err(Error::SignatureInvalid {
            detail: "the artifact's digest is not a subject of the envelope's in-toto statement"
                .to_owned(),
        });
    }
    Ok(())
}

/// DSSE's pre-authentication encoding up to the payload, which follows it: fed in two parts,
/// as `envelope.pae()` would copy the payload (tens of MB for an SBOM attestation).
fn pae_header(envelope: &DsseEnvelope) -> String {
    format!(
        "DSSEv1 {} {} {} ",
        envelope.payload_type.len(),
        envelope.payload_type,
        envelope.payload.as_bytes().len()
    )
}

/// What binding an envelope to the artifact reads of its in-toto statement: the subjects. The
/// predicate is skipped unread, so that a large SBOM costs no tree here (sigstore-types'
/// `Statement` holds it as one). `_type` and `predicateType` must be there, as there.
#[derive(serde::Deserialize)]
struct Subjects {
    #[serde(rename = "_type")]
    _statement_type: String,
    subject: Vec<Subject>,
    #[serde(rename = "predicateType")]
    _predicate_type: String,
}

impl Subjects {
    fn matches_sha256(&self, hash: &Sha256Hash) -> bool {
        self.subject
            .iter()
            .any(|subject| subject.digest.sha256.as_ref() == Some(hash))
    }

    fn matches_sha512(&self, hash: &Sha512Hash) -> bool {
        self.subject
            .iter()
            .any(|subject| subject.digest.sha512.as_ref() == Some(hash))
    }
}

/// SHA-256 and SHA-512 of everything `reader` yields, in one pass.
fn hash_reader<R: Read>(mut reader: R) -> std::io::Result<(Sha256Hash, Sha512Hash)> {
    let mut sha256 = Sha256::new();
    let mut sha512 = Sha512::new();
    let mut buffer = vec![0_u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(err) => return Err(err),
        };
        let chunk = buffer.get(..n).unwrap_or_default();
        sha256.update(chunk);
        sha512.update(chunk);
    }
    Ok((
        Sha256Hash::new(sha256.finalize().into()),
        Sha512Hash::new(sha512.finalize().into()),
    ))
}

fn blob_error(err: vouch_blob::Error) -> Error {
    match err {
        vouch_blob::Error::ReadArtifact(io) => Error::ReadArtifact(io),
        // Not a verdict: Ed25519 signs the message, which a digest does not carry.
        err @ vouch_blob::Error::PrehashUnsupported { .. } => Error::MalformedBundle {
            detail: format!("cannot be checked from a digest: {err}"),
        },
        other => Error::SignatureInvalid {
            detail: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_header_and_payload_are_the_encoding() {
        let envelope = DsseEnvelope::new(
            IN_TOTO_PAYLOAD_TYPE.to_owned(),
            sigstore_types::PayloadBytes::new(b"{\"a\":\"\xc3\xa9\"}".to_vec()),
            sigstore_types::DsseSignature::new(
                sigstore_types::SignatureBytes::new(vec![1]),
                sigstore_types::KeyId::default(),
            ),
        );
        let mut fed = pae_header(&envelope).into_bytes();
        fed.extend_from_slice(envelope.payload.as_bytes());
        assert_eq!(fed, envelope.pae());
    }
}
