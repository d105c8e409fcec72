//! Every file vouch writes: private and public keys, signatures, bundles.
//!
//! A user's key must survive whatever happens during a write: a full disk, a crash, an output
//! that names an input. So every regular file is written in full under a hidden temporary name
//! in its own folder, flushed to disk, and only then renamed over the target (readers see the
//! old file or the new one, never a part); a pair of files is renamed only once both are
//! complete; the folder is flushed after the renames. An output that is one of the command's
//! inputs (the same file, by device and inode, also through a link) is refused whatever
//! `--force` says. A target that is not a regular file (a device such as `/dev/stderr`, a FIFO
//! that a script reads) is written in place, never replaced by a regular file; a link is
//! followed, and the file it points to is replaced, the link kept.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use crate::error::{InputError, Role};
use crate::input;

/// Mode of private key files (cosign's): owner read and write only.
pub(crate) const PRIVATE_KEY_MODE: u32 = 0o600;
/// Mode of public key files, signatures and bundles (before the umask).
pub(crate) const PUBLIC_MODE: u32 = 0o644;

/// A file written but not yet in place: [`Pending::commit`] puts it there. Dropped before, it
/// leaves the target as it was and removes its temporary file.
#[derive(Debug)]
pub(crate) enum Pending {
    /// A regular file (or none yet): a complete temporary file beside the target.
    Staged(Staged),
    /// A device or FIFO: the bytes, written in place by the commit.
    InPlace {
        target: PathBuf,
        shown: PathBuf,
        bytes: Vec<u8>,
        role: Role,
    },
}

impl Pending {
    /// Puts the file in place: renames the temporary file over the target and flushes the
    /// folder, or writes to the device or FIFO.
    pub(crate) fn commit(self) -> Result<(), InputError> {
        match self {
            Self::Staged(staged) => staged.commit(),
            Self::InPlace {
                target,
                shown,
                bytes,
                role,
            } => OpenOptions::new()
                .write(true)
                .open(&target)
                .and_then(|mut file| file.write_all(&bytes).and_then(|()| file.flush()))
                .map_err(|source| InputError::Write {
                    path: input::display(&shown),
                    role,
                    source,
                }),
        }
    }
}

/// Commits `files` in order. If one fails after others are in place, the error says which are
/// new and which are as they were, so that nobody guesses which key is which.
pub(crate) fn commit_all(files: Vec<Pending>) -> Result<(), InputError> {
    let mut done: Vec<PathBuf> = Vec::new();
    let total = files.len();
    for file in files {
        let shown = file.shown().to_owned();
        if let Err(err) = file.commit() {
            if done.is_empty() {
                return Err(err);
            }
            return Err(InputError::PartlyWritten {
                written: done.iter().map(|p| input::display(p)).collect(),
                failed: input::display(&shown),
                untouched: total - done.len() - 1,
                source: Box::new(err),
            });
        }
        done.push(shown);
    }
    Ok(())
}

impl Pending {
    fn shown(&self) -> &Path {
        match self {
            Self::Staged(staged) => &staged.shown,
            Self::InPlace { shown, .. } => shown,
        }
    }
}

/// Writes `bytes` for `target`, to be put in place by [`Pending::commit`]: a staged regular
/// file with `mode` (on Unix), or in place for a device or FIFO.
pub(crate) fn stage(
    target: &Path,
    bytes: &[u8],
    role: Role,
    mode: u32,
) -> Result<Pending, InputError> {
    let write_error = |source| InputError::Write {
        path: input::display(target),
        role,
        source,
    };
    let resolved = resolve_links(target).map_err(write_error)?;
    match fs::metadata(&resolved) {
        Ok(metadata) if metadata.is_dir() => Err(write_error(io::Error::new(
            io::ErrorKind::IsADirectory,
            "it is a directory",
        ))),
        Ok(metadata) if !metadata.is_file() => Ok(Pending::InPlace {
            target: resolved,
            shown: target.to_owned(),
            bytes: bytes.to_vec(),
            role,
        }),
        _ => Staged::write(&resolved, target, bytes, role, mode).map(Pending::Staged),
    }
}

/// `path` with every link in its last component followed (a link to a file that does not
/// exist yet resolves to where that file would be); other paths as they are.
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut path = path.to_owned();
    // As the kernel's limit on links followed in one lookup.
    for _ in 0..40 {
        match fs::symlink_metadata(&path) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                let link = fs::read_link(&path)?;
                path = match path.parent() {
                    Some(parent) if link.is_relative() => parent.join(link),
                    _ => link,
                };
            }
            _ => return Ok(path),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Refuses an output that is one of `inputs` (the same file by device and inode, through any
/// link or hard link), whatever `--force` says: writing it would destroy the input.
pub(crate) fn refuse_input_as_output(output: &Path, inputs: &[&Path]) -> Result<(), InputError> {
    let Ok(out) = fs::metadata(output) else {
        return Ok(()); // does not exist yet
    };
    for input in inputs {
        if fs::metadata(input).is_ok_and(|found| same_file(&out, &found)) {
            return Err(InputError::Usage {
                message: format!(
                    "{} is also an input: writing to it would replace {}; choose another output",
                    input::display(output),
                    input::display(input)
                ),
            });
        }
    }
    Ok(())
}

#[cfg(unix)]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    // Character devices (`/dev/stdout` and the terminal) are outputs that inputs may share.
    a.is_file() && a.dev() == b.dev() && a.ino() == b.ino()
}

#[cfg(not(unix))]
fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    a.is_file() && a.len() == b.len() && a.modified().ok() == b.modified().ok()
}

/// A regular file written in full under a temporary name next to its target (hidden, so that
/// `verify-dir` never sees it), then renamed into place by [`Staged::commit`].
#[derive(Debug)]
pub(crate) struct Staged {
    temp: PathBuf,
    target: PathBuf,
    /// The path as the user gave it, for messages.
    shown: PathBuf,
    role: Role,
    committed: bool,
}

impl Staged {
    fn write(
        target: &Path,
        shown: &Path,
        bytes: &[u8],
        role: Role,
        mode: u32,
    ) -> Result<Self, InputError> {
        let write_error = |source| InputError::Write {
            path: input::display(shown),
            role,
            source,
        };
        let name = target
            .file_name()
            .ok_or_else(|| write_error(io::Error::other("not a file name")))?;
        let dir = folder_of(target);
        let mut attempt = 0_u32;
        let (temp, mut file) = loop {
            let mut temp_name = std::ffi::OsString::from(".");
            temp_name.push(name);
            temp_name.push(format!(".{}-{attempt}.tmp", std::process::id()));
            let temp = dir.join(temp_name);
            let mut options = OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
            #[cfg(not(unix))]
            let _ = mode;
            match options.open(&temp) {
                Ok(file) => break (temp, file),
                Err(err) if err.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(err) => return Err(write_error(err)),
            }
        };
        let staged = Self {
            temp,
            target: target.to_owned(),
            shown: shown.to_owned(),
            role,
            committed: false,
        };
        // On error, dropping `staged` removes the temporary file: the target is untouched.
        file.write_all(bytes)
            .and_then(|()| file.sync_all())
            .map_err(write_error)?;
        Ok(staged)
    }

    fn commit(mut self) -> Result<(), InputError> {
        let write_error = |source| InputError::Write {
            path: input::display(&self.shown),
            role: self.role,
            source,
        };
        fs::rename(&self.temp, &self.target).map_err(write_error)?;
        self.committed = true;
        // The rename is durable once the folder is flushed. A folder that cannot be opened or
        // flushed (some file systems refuse) leaves the rename done, which is all a caller
        // could act on.
        if let Ok(dir) = File::open(folder_of(&self.target)) {
            let _ignored = dir.sync_all();
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.committed {
            // Best effort: the temporary file is hidden, and its name says what it was.
            let _ignored = fs::remove_file(&self.temp);
        }
    }
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn staged_file_appears_only_on_commit_and_leaves_nothing_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("out.sig");
        let staged = stage(&target, b"one", Role::Signature, PUBLIC_MODE).unwrap();
        assert!(!target.exists());
        staged.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"one");
        let dropped = stage(&target, b"two", Role::Signature, PUBLIC_MODE).unwrap();
        drop(dropped);
        assert_eq!(fs::read(&target).unwrap(), b"one");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "no temporary file left"
        );
    }

    #[test]
    fn a_missing_folder_names_the_target() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("missing/out.sig");
        let err = stage(&target, b"x", Role::Signature, PUBLIC_MODE).unwrap_err();
        assert!(err.to_string().contains("out.sig"), "{err}");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_is_kept_and_its_file_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let real = dir.path().join("real.sig");
        let link = dir.path().join("link.sig");
        fs::write(&real, b"old").unwrap();
        std::os::unix::fs::symlink("real.sig", &link).unwrap();
        stage(&link, b"new", Role::Signature, PUBLIC_MODE)
            .unwrap()
            .commit()
            .unwrap();
        assert!(
            fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(fs::read(&real).unwrap(), b"new");
    }

    #[cfg(unix)]
    #[test]
    fn private_keys_are_created_owner_only() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("k.key");
        stage(&target, b"k", Role::NewPrivateKey, PRIVATE_KEY_MODE)
            .unwrap()
            .commit()
            .unwrap();
        let mode = fs::metadata(&target).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn an_input_is_never_an_output() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.pem");
        fs::write(&key, b"k").unwrap();
        let hard = dir.path().join("hard.pem");
        fs::hard_link(&key, &hard).unwrap();
        assert!(refuse_input_as_output(&key, &[&key]).is_err());
        assert!(refuse_input_as_output(&hard, &[&key]).is_err());
        assert!(refuse_input_as_output(&dir.path().join("new.pem"), &[&key]).is_ok());
    }
}
