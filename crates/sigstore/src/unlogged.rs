//! Key-signed bundles with no signing-time evidence at all (no log entry, no timestamp), as
//! `cosign sign-blob --key --tlog-upload=false` writes them.
//!
//! sigstore-verify requires a log entry or a timestamp even when the log is skipped, so it
//! refuses these. With [`crate::Policy::insecure_ignore_tlog`] they are what the user asked
//! to accept: the signature is checked with vouch-blob (the same code as `verify-blob
//! --signature`), and the bundle's message digest must equal the artifact's.

use std::io::Read;

use sigstore_types::bundle::SignatureContent;
use vouch_keys::PublicKey;

use crate::verify::VerifiedBundle;
use crate::{Bundle, Error, Result};

/// Whether `bundle` carries neither a log entry nor a timestamp.
pub(crate) fn has_no_evidence(bundle: &Bundle) -> bool {
    let material = &bundle.inner.verification_material;
    material.tlog_entries.is_empty()
        && material
            .timestamp_verification_data
            .rfc3161_timestamps
            .is_empty()
}

/// Verifies a `messageSignature` bundle with `key` over `reader`.
pub(crate) fn verify<R: Read + Send>(
    reader: R,
    bundle: &Bundle,
    key: &PublicKey,
) -> Result<VerifiedBundle> {
    let SignatureContent::MessageSignature(message) = &bundle.inner.content else {
        return Err(Error::MalformedBundle {
            detail:
                "a DSSE bundle without a transparency-log entry or timestamp cannot be verified \
                     (only message-signature bundles can)"
                    .to_owned(),
        });
    };
    let signature = vouch_blob::Signature::from_bytes(message.signature.as_bytes().to_vec());
    let verified = vouch_blob::verify_reader(key, reader, &signature).map_err(|err| match err {
        vouch_blob::Error::ReadArtifact(io) => Error::ReadArtifact(io),
        other => Error::SignatureInvalid {
            detail: other.to_string(),
        },
    })?;
    if let (Some(claimed), Some(actual)) = (&message.message_digest, verified.digest())
        && claimed.digest.as_bytes() != actual.as_bytes()
    {
        return Err(Error::SignatureInvalid {
            detail: format!("the bundle's message digest is not the artifact's ({actual})"),
        });
    }
    Ok(VerifiedBundle::unlogged(
        bundle.format().clone(),
        key.fingerprint(),
    ))
}
