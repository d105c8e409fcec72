//! A download folder, shared by `verify-dir` and `sign-dir`: its files listed without losing a
//! name, paired by [`vouch_blob::folder::pair`], and a small worker pool.
//!
//! Names are kept as the bytes the file system holds, never converted lossily: two files whose
//! names differ only in bytes that are not UTF-8 are two entries, each paired with its own
//! signature (a lossy key made them collide, so one file vanished from the report and a
//! signature could be checked against the other file).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs;
use std::panic;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use vouch_blob::folder;

use crate::error::{InputError, Role};
use crate::input;

/// A file name, as the bytes the file system holds.
pub(crate) type Name = Vec<u8>;

/// The folder's entries by name: regular files (links followed) and what everything else is.
#[derive(Debug, Default)]
pub(crate) struct Listing {
    /// Regular, non-hidden files, without the `--key` file.
    pub(crate) files: BTreeMap<Name, PathBuf>,
    /// Non-hidden entries that are not regular files, and what they are ("a directory", "a
    /// FIFO", ...): never read, named when a signature's data file turns out to be one.
    pub(crate) others: BTreeMap<Name, &'static str>,
}

/// Lists the top of `dir`. Hidden files are left out, as `ls` does.
pub(crate) fn list(dir: &Path, key: &Path) -> Result<Listing, InputError> {
    let read_error = |source| InputError::Read {
        path: input::display(dir),
        role: Role::Dir,
        source,
    };
    let key = KeyIdentity::of(key);
    let mut listing = Listing::default();
    for entry in fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let name = entry.file_name().as_encoded_bytes().to_vec();
        if name.starts_with(b".") {
            continue;
        }
        let path = entry.path();
        // `fs::metadata` follows links: a link to a file counts as that file.
        match fs::metadata(&path) {
            Ok(metadata) if metadata.is_file() => {
                if !key.is(&path, &metadata) {
                    listing.files.insert(name, path);
                }
            }
            Ok(metadata) => {
                listing.others.insert(name, kind(&metadata.file_type()));
            }
            Err(_) => {
                listing
                    .others
                    .insert(name, "a broken link or unreadable entry");
            }
        }
    }
    Ok(listing)
}

/// What a non-regular file is, in words.
fn kind(file_type: &fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if file_type.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
        if file_type.is_socket() {
            return "a socket";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// The `--key` file, to leave it out of the unsigned files when it sits in the folder.
struct KeyIdentity(Option<(PathBuf, u64)>);

impl KeyIdentity {
    fn of(key: &Path) -> Self {
        Self(
            fs::canonicalize(key)
                .ok()
                .zip(fs::metadata(key).ok().map(|m| m.len())),
        )
    }

    fn is(&self, path: &Path, metadata: &fs::Metadata) -> bool {
        self.0.as_ref().is_some_and(|(key, len)| {
            *len == metadata.len() && fs::canonicalize(path).is_ok_and(|p| p == *key)
        })
    }
}

/// A signature whose data file exists.
#[derive(Debug)]
pub(crate) struct Check {
    pub(crate) signature: (Name, PathBuf),
    pub(crate) data: (Name, PathBuf),
}

/// A signature without a data file.
#[derive(Debug)]
pub(crate) struct Orphan {
    pub(crate) signature: Name,
    pub(crate) missing: MissingData,
}

/// Why a signature has no data file: the names looked for, and what the first of them is when
/// it exists but is not a regular file.
#[derive(Debug, Clone)]
pub(crate) struct MissingData {
    pub(crate) looked_for: [Name; 2],
    pub(crate) not_regular: Option<(Name, &'static str)>,
}

/// What the folder holds: signatures to check, signatures without data, unsigned files.
/// `verify-dir` and `sign-dir` read the same plan, so both commands pair files alike.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) checks: Vec<Check>,
    pub(crate) orphans: Vec<Orphan>,
    pub(crate) unsigned: Vec<(Name, PathBuf)>,
}

impl Plan {
    pub(crate) fn new(listing: &Listing) -> Self {
        let files = &listing.files;
        let pairing = folder::pair(files.keys().map(Vec::as_slice));
        let entry = |name: &[u8]| {
            files
                .get_key_value(name)
                .map(|(name, path)| (name.clone(), path.clone()))
        };
        let checks = pairing
            .pairs
            .iter()
            .filter_map(|pair| {
                Some(Check {
                    signature: entry(pair.signature)?,
                    data: entry(pair.data)?,
                })
            })
            .collect();
        let orphans = pairing
            .orphans
            .into_iter()
            .map(|orphan| {
                let not_regular = orphan.looked_for.iter().find_map(|name| {
                    listing
                        .others
                        .get_key_value(name)
                        .map(|(name, kind)| (name.clone(), *kind))
                });
                Orphan {
                    signature: orphan.signature.to_vec(),
                    missing: MissingData {
                        looked_for: orphan.looked_for,
                        not_regular,
                    },
                }
            })
            .collect();
        let unsigned = pairing.unsigned.into_iter().filter_map(entry).collect();
        Self {
            checks,
            orphans,
            unsigned,
        }
    }
}

/// The path of a new signature for `data`: its name with `.sig.bin` appended, byte for byte,
/// so that `X` (whatever bytes it holds) gets `X.sig.bin`, the name openssl users pair.
pub(crate) fn signature_path_for(data: &Path) -> PathBuf {
    let mut name = data.file_name().unwrap_or(data.as_os_str()).to_owned();
    name.push(OsStr::new(".sig.bin"));
    data.with_file_name(name)
}

/// `run` on every item, on `workers` threads pulling from a shared index; results in order.
pub(crate) fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    run: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let workers = workers.clamp(1, items.len().max(1));
    let mut results: Vec<(usize, R)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else {
                            return done;
                        };
                        done.push((index, run(item)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| panic::resume_unwind(panic))
            })
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(files: &[&[u8]], others: &[(&[u8], &'static str)]) -> Listing {
        Listing {
            files: files
                .iter()
                .map(|name| {
                    (
                        name.to_vec(),
                        PathBuf::from(String::from_utf8_lossy(name).as_ref()),
                    )
                })
                .collect(),
            others: others.iter().map(|(n, k)| (n.to_vec(), *k)).collect(),
        }
    }

    #[test]
    fn a_data_file_that_is_not_regular_is_named() {
        let plan = Plan::new(&listing(
            &[b"a.sig.bin", b"b.sig.bin"],
            &[(b"a", "a FIFO (named pipe)"), (b"b.zst", "a directory")],
        ));
        assert!(plan.checks.is_empty());
        let found: Vec<_> = plan
            .orphans
            .iter()
            .map(|o| o.missing.not_regular.clone())
            .collect();
        assert_eq!(
            found,
            [
                Some((b"a".to_vec(), "a FIFO (named pipe)")),
                Some((b"b.zst".to_vec(), "a directory"))
            ]
        );
    }

    #[test]
    fn signature_names_are_appended_byte_for_byte() {
        #[cfg(unix)]
        {
            use std::os::unix::ffi::OsStrExt as _;
            let data = Path::new("dir").join(OsStr::from_bytes(b"app\xfe.bin"));
            assert_eq!(
                signature_path_for(&data).as_os_str().as_bytes(),
                b"dir/app\xfe.bin.sig.bin"
            );
        }
        assert_eq!(
            signature_path_for(Path::new("d/x.iso")),
            Path::new("d/x.iso.sig.bin")
        );
    }
}
