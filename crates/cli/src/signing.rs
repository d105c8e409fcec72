//! Signing a file or standard input, shared by `sign-blob` and `sign-dir`, and the random
//! generator every signing and key-making command uses.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use vouch_blob::{DigestAlgorithm, SignedBlob};
use vouch_keys::PrivateKey;
use vouch_keys::rand_core::UnwrapErr;

use crate::data::{Data, Progress};
use crate::error::{InputError, Role};
use crate::input;
use crate::output;

/// The operating system's random generator, for keys, salts and nonces.
///
/// `UnwrapErr` panics if the OS generator fails, which leaves nothing sensible to do.
pub(crate) fn os_rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

/// Streams `data` through vouch-blob's signing: a file with [`vouch_blob::sign_reopen`] (read
/// once, or for Ed25519 twice and once more to check, in constant memory), standard input with
/// [`vouch_blob::sign_reader`] (Ed25519 input then held in memory, up to its limit).
pub(crate) fn sign_data(
    key: &PrivateKey,
    data: Data<'_>,
    digest: DigestAlgorithm,
    progress: Progress,
) -> Result<SignedBlob, InputError> {
    tracing::info!("signing {} ({digest})", data.display());
    let result = match data {
        Data::Stdin => vouch_blob::sign_reader(key, io::stdin(), digest, &mut os_rng()),
        Data::File(path) => {
            // Opened once up front, so that a missing file is reported as such.
            let first = open_data(path)?;
            let mut first = Some(first);
            vouch_blob::sign_reopen(
                key,
                || {
                    let file = match first.take() {
                        Some(file) => file,
                        None => File::open(path)?,
                    };
                    Ok(match progress {
                        Progress::IfLarge => output::progress_reader(file, path),
                        Progress::Never => Box::new(file) as Box<dyn Read + Send>,
                    })
                },
                digest,
                &mut os_rng(),
            )
        }
    };
    result.map_err(|err| match err {
        vouch_blob::Error::ReadArtifact(_) => InputError::Data {
            path: data.display(),
            source: err,
        },
        source => InputError::Sign {
            path: data.display(),
            source,
        },
    })
}

fn open_data(path: &Path) -> Result<File, InputError> {
    File::open(path).map_err(|source| InputError::Read {
        path: input::display(path),
        role: Role::SignData,
        source,
    })
}
