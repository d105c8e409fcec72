//! Reading the files named on the command line, with errors that name them.

use std::fs::File;
use std::io::Read as _;
use std::path::Path;

use vouch_blob::{DigestAlgorithm, Signature, SignatureEncoding};
use vouch_keys::{Algorithm, PublicKey};

use crate::error::{InputError, Role};
use crate::escape;

/// Key files are small; this catches a data file passed as `--key` before reading all of it.
const MAX_KEY_LEN: u64 = 1 << 20;
/// Signatures are at most a few kilobytes (base64 of RSA-4096 is under 700 bytes).
const MAX_SIGNATURE_LEN: u64 = 64 << 10;

/// A path as shown in messages and text output: as the user typed it, with control characters
/// and bytes that are not UTF-8 escaped (see [`escape`]), so that a hostile name stays on its
/// line and two names never show alike.
pub(crate) fn display(path: &Path) -> String {
    escape::os(path.as_os_str()).into_owned()
}

/// A path as JSON carries it: exactly, when it is UTF-8 (serde escapes what JSON needs); with
/// the bytes that are not UTF-8 escaped as [`display`] shows them otherwise.
pub(crate) fn exact(path: &Path) -> String {
    path.to_str().map_or_else(|| display(path), str::to_owned)
}

/// Reads and parses `--key`.
pub(crate) fn read_key(path: &Path) -> Result<PublicKey, InputError> {
    let bytes = read_small(path, Role::Key, MAX_KEY_LEN, "public key")?;
    PublicKey::from_bytes(&bytes).map_err(|source| InputError::Key {
        path: display(path),
        source,
    })
}

/// Refuses `--digest` for keys that sign the message itself, rather than ignoring it.
pub(crate) fn check_digest_applies(
    key: &PublicKey,
    digest: Option<DigestAlgorithm>,
) -> Result<(), InputError> {
    match digest {
        Some(digest)
            if key.algorithm() == Algorithm::Ed25519 && digest != DigestAlgorithm::Sha256 =>
        {
            Err(InputError::DigestNotApplicable {
                digest,
                algorithm: key.algorithm(),
            })
        }
        _ => Ok(()),
    }
}

/// Reads a signature file. Its encoding is decoded (and checked) when verifying.
pub(crate) fn read_signature(
    path: &Path,
    encoding: Option<SignatureEncoding>,
    digest: DigestAlgorithm,
) -> Result<Signature, InputError> {
    let bytes = read_small(path, Role::Signature, MAX_SIGNATURE_LEN, "signature")?;
    let signature = Signature::from_bytes(bytes).with_digest(digest);
    Ok(match encoding {
        Some(encoding) => signature.with_encoding(encoding),
        None => signature,
    })
}

/// Opens a data file to verify.
pub(crate) fn open_data(path: &Path) -> Result<File, InputError> {
    File::open(path).map_err(|source| InputError::Read {
        path: display(path),
        role: Role::Data,
        source,
    })
}

pub(crate) fn read_small(
    path: &Path,
    role: Role,
    max: u64,
    what: &'static str,
) -> Result<Vec<u8>, InputError> {
    let read_error = |source| InputError::Read {
        path: display(path),
        role,
        source,
    };
    let file = File::open(path).map_err(read_error)?;
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if u64::try_from(bytes.len()).map_or(true, |len| len > max) {
        return Err(InputError::TooLarge {
            path: display(path),
            role,
            max,
            what,
        });
    }
    Ok(bytes)
}
