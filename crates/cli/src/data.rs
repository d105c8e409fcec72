//! Verifying one input, shared by `verify-blob` and `verify-dir`, and explaining failures.

use std::io;
use std::path::Path;

use vouch_blob::{FileReading, Signature, VerifiedBlob};
use vouch_keys::PublicKey;

use crate::error::{Failure, InputError, Mismatch};
use crate::input;
use crate::output;

/// What to verify.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Data<'a> {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(&'a Path),
}

impl<'a> Data<'a> {
    /// `-` is standard input, anything else a path.
    pub(crate) fn from_arg(path: &'a Path) -> Self {
        if path.as_os_str() == "-" {
            Self::Stdin
        } else {
            Self::File(path)
        }
    }

    /// As shown in messages.
    pub(crate) fn display(self) -> String {
        match self {
            Self::Stdin => "standard input".to_owned(),
            Self::File(path) => input::display(path),
        }
    }
}

/// Whether a progress bar may be shown for a large file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Progress {
    IfLarge,
    Never,
}

/// Hashes `data` with [`vouch_blob::verify_file`] (files, read as `reading` says) or
/// [`vouch_blob::verify_reader`] (standard input).
///
/// A signature that does not verify becomes [`Failure::Mismatch`], with the digest it was made
/// over if another one fits (files only: standard input cannot be read twice). Errors name the
/// file they are about, except a mismatch, which is about the data file the caller names.
pub(crate) fn verify_data(
    key: &PublicKey,
    signature: &Signature,
    signature_path: &Path,
    data: Data<'_>,
    progress: Progress,
    reading: FileReading,
) -> anyhow::Result<VerifiedBlob> {
    tracing::info!(
        "verifying {} against the signature in {}",
        data.display(),
        input::display(signature_path)
    );
    let result = match data {
        Data::Stdin => vouch_blob::verify_reader(key, io::stdin(), signature),
        Data::File(path) => {
            let file = input::open_data(path)?;
            let bar = match progress {
                Progress::IfLarge => output::progress_bar(&file, path),
                Progress::Never => None,
            };
            tracing::debug!("reading {} with {}", input::display(path), reading.name());
            vouch_blob::verify_file(key, &file, signature, reading, |len| {
                if let Some(bar) = &bar {
                    bar.inc(len);
                }
            })
        }
    };
    result.map_err(|err| explain(err, key, signature, signature_path, data))
}

fn explain(
    err: vouch_blob::Error,
    key: &PublicKey,
    signature: &Signature,
    signature_path: &Path,
    data: Data<'_>,
) -> anyhow::Error {
    match err {
        vouch_blob::Error::SignatureMismatch {
            key: fingerprint,
            algorithm,
            digest: computed,
            encoding,
            ..
        } => {
            let digest = signature.digest();
            let signed_over = match data {
                Data::File(path) => input::open_data(path)
                    .ok()
                    .and_then(|file| vouch_blob::find_signing_digest(key, file, signature).ok())
                    .flatten()
                    .filter(|found| *found != digest),
                Data::Stdin => None,
            };
            Failure::Mismatch(Mismatch {
                key: fingerprint,
                algorithm,
                digest,
                computed,
                encoding,
                signed_over,
                rechecked: matches!(data, Data::File(_)),
            })
            .into()
        }
        vouch_blob::Error::ReadArtifact(_) => InputError::Data {
            path: data.display(),
            source: err,
        }
        .into(),
        vouch_blob::Error::MalformedSignature(_) | vouch_blob::Error::AlgorithmMismatch { .. } => {
            InputError::Signature {
                path: input::display(signature_path),
                source: err,
            }
            .into()
        }
        other => anyhow::Error::new(other),
    }
}
