//! Where a layout's blobs are: files in a folder (read when asked, checked against their
//! names), or the small blobs of an archive kept in memory (every blob was hashed as the
//! archive streamed past).

use std::collections::HashMap;
use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use sha2::Digest as _;

use super::LayoutError;
use crate::{OciDigest, OciDigestAlgorithm};

/// A blob asked for.
pub(crate) enum BlobBytes {
    /// Its bytes, which hash to its digest.
    Found(Vec<u8>),
    /// Not in the layout.
    Missing,
    /// Larger than asked for (not read).
    TooLarge,
}

/// The blobs of a layout.
#[derive(Debug)]
pub(crate) enum Store {
    /// `blobs/<algorithm>/<hex>` under a folder.
    Folder(PathBuf),
    /// An archive's blobs, read once.
    Memory(MemoryBlobs),
}

/// What a streamed archive left: every blob's size (each was hashed and matched its name),
/// and the bytes of those small enough to keep.
#[derive(Debug, Default)]
pub(crate) struct MemoryBlobs {
    pub(crate) kept: HashMap<OciDigest, Vec<u8>>,
    pub(crate) sizes: HashMap<OciDigest, u64>,
}

impl Store {
    /// The blob `digest`, if it is at most `max` bytes.
    pub(crate) fn read(&self, digest: &OciDigest, max: u64) -> Result<BlobBytes, LayoutError> {
        match self {
            Self::Memory(blobs) => Ok(match (blobs.kept.get(digest), blobs.sizes.get(digest)) {
                (_, Some(size)) if *size > max => BlobBytes::TooLarge,
                (Some(bytes), _) => BlobBytes::Found(bytes.clone()),
                (None, Some(_)) => BlobBytes::TooLarge,
                (None, None) => BlobBytes::Missing,
            }),
            Self::Folder(root) => {
                let path = blob_path(root, digest);
                let Some(file) = open_blob(&path)? else {
                    return Ok(BlobBytes::Missing);
                };
                let len = file
                    .metadata()
                    .map_err(|err| LayoutError::io(path.display().to_string(), err))?
                    .len();
                if len > max {
                    return Ok(BlobBytes::TooLarge);
                }
                let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
                file.take(max.saturating_add(1))
                    .read_to_end(&mut bytes)
                    .map_err(|err| LayoutError::io(path.display().to_string(), err))?;
                if u64::try_from(bytes.len()).map_or(true, |read| read > max) {
                    return Ok(BlobBytes::TooLarge);
                }
                if !digest.matches(&bytes) {
                    return Err(mismatch(&path, digest, &digest.same_algorithm_of(&bytes)));
                }
                Ok(BlobBytes::Found(bytes))
            }
        }
    }

    /// Checks that the blob `digest` is present, is `size` bytes and hashes to its digest
    /// (for layers and configs, which the lookup never reads).
    pub(crate) fn check(&self, digest: &OciDigest, size: u64) -> Result<(), LayoutError> {
        match self {
            Self::Memory(blobs) => match blobs.sizes.get(digest) {
                None => Err(missing(digest)),
                Some(found) if *found != size => Err(wrong_size(digest, size, *found)),
                Some(_) => Ok(()),
            },
            Self::Folder(root) => {
                let path = blob_path(root, digest);
                let mut file = open_blob(&path)?.ok_or_else(|| missing(digest))?;
                let found = file
                    .metadata()
                    .map_err(|err| LayoutError::io(path.display().to_string(), err))?
                    .len();
                if found != size {
                    return Err(wrong_size(digest, size, found));
                }
                let computed = vouch_blob::digest_reader(&mut file, &[digest.algorithm()])
                    .map_err(|err| LayoutError::io(path.display().to_string(), err))?;
                if computed.first().map(vouch_blob::Digest::as_bytes)
                    != Some(&digest.to_bytes()[..])
                {
                    let found = computed
                        .first()
                        .map_or_else(String::new, ToString::to_string);
                    return Err(mismatch(&path, digest, &found));
                }
                Ok(())
            }
        }
    }
}

/// A running hash of one of the OCI digest algorithms.
#[derive(Debug, Clone)]
pub(crate) enum Hasher {
    Sha256(sha2::Sha256),
    Sha512(sha2::Sha512),
}

impl Hasher {
    pub(crate) fn new(algorithm: OciDigestAlgorithm) -> Self {
        match algorithm {
            OciDigestAlgorithm::Sha512 => Self::Sha512(sha2::Sha512::new()),
            _ => Self::Sha256(sha2::Sha256::new()),
        }
    }

    pub(crate) fn update(&mut self, bytes: &[u8]) {
        match self {
            Self::Sha256(hasher) => hasher.update(bytes),
            Self::Sha512(hasher) => hasher.update(bytes),
        }
    }

    pub(crate) fn finish(self) -> OciDigest {
        let (algorithm, hex) = match self {
            Self::Sha256(hasher) => ("sha256", hex::encode(hasher.finalize())),
            Self::Sha512(hasher) => ("sha512", hex::encode(hasher.finalize())),
        };
        // A hash's lower-case hex is always a valid digest.
        OciDigest::parse(&format!("{algorithm}:{hex}")).unwrap_or_else(|_| unreachable!())
    }
}

/// `blobs/<algorithm>/<hex>`.
pub(crate) fn blob_path(root: &Path, digest: &OciDigest) -> PathBuf {
    let algorithm = match digest.algorithm() {
        OciDigestAlgorithm::Sha512 => "sha512",
        _ => "sha256",
    };
    root.join("blobs").join(algorithm).join(digest.hex())
}

/// Opens a blob file; `None` if there is none. Links and other non-regular files are refused:
/// a layout's blobs are plain files, and a link could make vouch read anything on the machine.
fn open_blob(path: &Path) -> Result<Option<File>, LayoutError> {
    let metadata = match std::fs::symlink_metadata(path) {
        Ok(metadata) => metadata,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(LayoutError::io(path.display().to_string(), err)),
    };
    if !metadata.is_file() {
        return Err(LayoutError::refused(
            path.display().to_string(),
            "a blob that is not a regular file (a link, a folder, a device) is not read",
        ));
    }
    File::open(path)
        .map(Some)
        .map_err(|err| LayoutError::io(path.display().to_string(), err))
}

fn missing(digest: &OciDigest) -> LayoutError {
    LayoutError::corrupt(
        format!("blob {digest}"),
        "named by a manifest but not in the layout (was the layout copied in full?)",
    )
}

fn wrong_size(digest: &OciDigest, expected: u64, found: u64) -> LayoutError {
    LayoutError::corrupt(
        format!("blob {digest}"),
        format!("its descriptor says {expected} bytes, the layout holds {found}"),
    )
}

fn mismatch(path: &Path, expected: &OciDigest, found: &dyn std::fmt::Display) -> LayoutError {
    LayoutError::corrupt(
        path.display().to_string(),
        format!(
            "its bytes hash to {found}, not {expected}: the layout was changed after it was written"
        ),
    )
}
