//! Reading the files named on the command line, with errors that name them.

use std::fs::File;
use std::io::Read as _;
use std::path::Path;

use vouch_blob::{DigestAlgorithm, Signature, SignatureEncoding};
use vouch_keys::{Algorithm, PublicKey, Zeroizing};

use crate::error::{InputError, Role};
use crate::escape;

/// Key files are small; this catches a data file passed as `--key` before reading all of it.
pub(crate) const MAX_KEY_LEN: u64 = 1 << 20;
/// cosign's prefix for a key held in an environment variable: `--key env://NAME`.
const ENV_KEY_PREFIX: &str = "env://";
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
    let bytes = read_key_bytes(path, "public key")?;
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

/// The bytes of `--key`: a file (at most [`MAX_KEY_LEN`]), or with cosign's `env://NAME` the
/// contents of environment variable NAME, so that CI secrets need not touch the disk.
pub(crate) fn read_key_bytes(
    path: &Path,
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let Some(name) = path.to_str().and_then(|p| p.strip_prefix(ENV_KEY_PREFIX)) else {
        return read_secret(path, Role::Key, MAX_KEY_LEN, what);
    };
    #[expect(
        clippy::disallowed_methods,
        reason = "the CLI reads the environment: the variable --key env://NAME names"
    )]
    let value = std::env::var_os(name);
    match value {
        Some(value) if !value.is_empty() => Ok(Zeroizing::new(value.into_encoded_bytes())),
        _ => Err(InputError::Usage {
            message: format!(
                "--key {}: the environment variable {} is not set or is empty (expected the \
                 {what} in PEM, as cosign's env:// reads it)",
                display(path),
                escape::text(name)
            ),
        }),
    }
}

/// Reads a small file that is not secret (a signature, a certificate).
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

/// Reads a file holding a secret into a zeroized buffer sized up front (no reallocation leaves
/// copies behind).
pub(crate) fn read_secret(
    path: &Path,
    role: Role,
    max: u64,
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let read_error = |source| InputError::Read {
        path: display(path),
        role,
        source,
    };
    let file = File::open(path).map_err(read_error)?;
    let len = file.metadata().map_or(0, |m| m.len()).min(max + 1);
    let mut bytes = Zeroizing::new(Vec::with_capacity(
        usize::try_from(len).unwrap_or_default() + 1,
    ));
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

/// All of standard input, for a secret (`--registry-password-stdin`), at most `max` bytes.
pub(crate) fn read_secret_stdin(
    max: u64,
    what: &'static str,
) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let mut bytes = Zeroizing::new(Vec::with_capacity(256));
    std::io::stdin()
        .lock()
        .take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Read {
            path: "standard input".to_owned(),
            role: Role::RegistryPassword,
            source,
        })?;
    if u64::try_from(bytes.len()).map_or(true, |len| len > max) {
        return Err(InputError::TooLarge {
            path: "standard input".to_owned(),
            role: Role::RegistryPassword,
            max,
            what,
        });
    }
    Ok(bytes)
}
