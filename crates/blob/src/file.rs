//! How a file's bytes reach the hash: read into a buffer, or mapped and hashed in place.
//!
//! `unsafe` here is the promise a caller makes to map a file (see [`FileReading::map`]) and
//! the call into [`crate::mapped`] that relies on it.
#![allow(
    unsafe_code,
    reason = "mapping a file is unsafe: see the module documentation"
)]

use std::fs::File;
use std::io::{self, Read};

use crate::digest::Hasher;
use crate::mapped;
use crate::read_ahead::{self, SMALL};

/// How [`crate::verify_file`] brings a file's bytes to the hash.
///
/// Which is fastest depends on the machine: docs/performance.md measures each one with
/// `cargo xtask bench blob`. Whatever the choice, memory stays at a few MiB whatever the file's
/// size, and inputs that are not regular files, or are under 64 KiB, are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileReading(Way);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Way {
    Read,
    ReadAhead,
    Map,
    MapAhead,
}

impl FileReading {
    /// `read(2)` into a 256 KiB buffer on the hashing thread: one core, one copy.
    pub const READ: Self = Self(Way::Read);

    /// `read(2)` on a second thread into a ring of 1 MiB buffers, as [`crate::verify_reader`]
    /// reads: the copy overlaps the hash, and the data moves between cores.
    pub const READ_AHEAD: Self = Self(Way::ReadAhead);

    /// Mapped 2 MiB at a time and hashed in place on the hashing thread: one core, no copy.
    ///
    /// # Safety
    ///
    /// A file truncated by another process while it is mapped raises `SIGBUS` in this process.
    /// The caller handles that signal (the vouch CLI reports it and exits), and accepts that
    /// bytes changed by another process while they are hashed are hashed as found.
    #[must_use]
    pub const unsafe fn map() -> Self {
        Self(Way::Map)
    }

    /// As [`FileReading::map`], 1 MiB at a time, with a second thread mapping the next
    /// windows and faulting their pages in while the hashing thread hashes.
    ///
    /// # Safety
    ///
    /// As [`FileReading::map`].
    #[must_use]
    pub const unsafe fn map_ahead() -> Self {
        Self(Way::MapAhead)
    }

    /// `read`, `read-ahead`, `map` or `map-ahead`.
    pub fn name(self) -> &'static str {
        match self.0 {
            Way::Read => "read",
            Way::ReadAhead => "read-ahead",
            Way::Map => "map",
            Way::MapAhead => "map-ahead",
        }
    }
}

/// The digests of `file`'s bytes (from its start for mapped ways, from its current position
/// for read ways), one per algorithm in `algorithms`, in one pass: what an attestation's
/// subjects are matched against.
///
/// # Errors
///
/// Reading fails, or a mapped file changes size while it is hashed.
pub fn digest_file(
    file: &File,
    algorithms: &[crate::DigestAlgorithm],
    reading: FileReading,
) -> io::Result<Vec<crate::Digest>> {
    let mut hashers: Vec<_> = algorithms.iter().map(|a| Hasher::new(*a)).collect();
    for_each_chunk(file, reading, |chunk| {
        hashers.iter_mut().for_each(|h| h.update(chunk));
    })?;
    Ok(hashers.into_iter().map(Hasher::finish).collect())
}

/// As [`digest_file`] for anything readable (standard input).
///
/// # Errors
///
/// Reading fails.
pub fn digest_reader(
    mut reader: impl Read,
    algorithms: &[crate::DigestAlgorithm],
) -> io::Result<Vec<crate::Digest>> {
    let mut hashers: Vec<_> = algorithms.iter().map(|a| Hasher::new(*a)).collect();
    let mut buffer = vec![0; 256 << 10];
    loop {
        match reader.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => hashers.iter_mut().for_each(|h| h.update(&buffer[..n])),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(hashers.into_iter().map(Hasher::finish).collect())
}

/// Feeds every byte of `file`, from its current position for read ways and from its start
/// for mapped ones, to `consume`, in order. Returns the number of bytes.
pub(crate) fn for_each_chunk(
    file: &File,
    reading: FileReading,
    mut consume: impl FnMut(&[u8]),
) -> io::Result<u64> {
    let metadata = file.metadata()?;
    let len = metadata.len();
    let mappable = metadata.is_file() && len >= SMALL as u64;
    match reading.0 {
        Way::Map | Way::MapAhead if mappable => {
            // SAFETY: a `FileReading` that maps is only made through `map` or `map_ahead`,
            // whose callers promised to handle SIGBUS.
            let total = unsafe {
                if reading.0 == Way::Map {
                    mapped::for_each_window(file, len, &mut consume)
                } else {
                    mapped::for_each_window_ahead(file, len, &mut consume)
                }
            }?;
            // A read would have seen bytes appended meanwhile; a mapping of the first length
            // would not, so a file that grew is not passed off as verified.
            let now = file.metadata()?.len();
            if now != len {
                return Err(io::Error::other(format!(
                    "the file changed size while it was read: {len} bytes when opened, {now} after"
                )));
            }
            Ok(total)
        }
        Way::ReadAhead => read_ahead::for_each_chunk(file, consume),
        Way::Read | Way::Map | Way::MapAhead => read_here(file, consume),
    }
}

/// `read(2)` into one buffer on the caller's thread. 256 KiB fits in a core's L2 cache, so
/// the hash reads what the copy just wrote from there.
fn read_here(mut file: &File, mut consume: impl FnMut(&[u8])) -> io::Result<u64> {
    let mut buf = vec![0; 256 << 10];
    let mut total = 0;
    loop {
        match file.read(&mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => {
                consume(&buf[..n]);
                total += n as u64;
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn every_way_yields_the_same_bytes() {
        let data: Vec<u8> = (0..3 * mapped::WINDOW + 5)
            .map(|i| u8::try_from(i % 253).unwrap())
            .collect();
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(&data).unwrap();
        // SAFETY: nothing else has this anonymous file.
        let ways = [
            FileReading::READ,
            FileReading::READ_AHEAD,
            unsafe { FileReading::map() },
            unsafe { FileReading::map_ahead() },
        ];
        for way in ways {
            io::Seek::rewind(&mut file).unwrap();
            let mut seen = Vec::new();
            let total = for_each_chunk(&file, way, |chunk| seen.extend_from_slice(chunk)).unwrap();
            assert_eq!(total, data.len() as u64, "{}", way.name());
            assert!(seen == data, "bytes differ with {}", way.name());
        }
    }

    #[test]
    fn a_mapped_file_that_grows_while_it_is_hashed_is_an_error() {
        let path = tempfile::NamedTempFile::new().unwrap().into_temp_path();
        std::fs::write(&path, vec![7; 3 * mapped::WINDOW]).unwrap();
        let file = File::open(&path).unwrap();
        // SAFETY: the file only grows, which raises no SIGBUS.
        for way in [unsafe { FileReading::map() }, unsafe {
            FileReading::map_ahead()
        }] {
            let mut appended = false;
            let err = for_each_chunk(&file, way, |_| {
                if !appended {
                    let mut writer = std::fs::OpenOptions::new()
                        .append(true)
                        .open(&path)
                        .unwrap();
                    writer.write_all(b"appended by an attacker").unwrap();
                    appended = true;
                }
            })
            .unwrap_err();
            assert!(
                err.to_string().contains("changed size while it was read"),
                "{err}"
            );
        }
    }

    #[test]
    fn small_files_and_pipes_are_read_even_when_mapping_is_asked() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"short").unwrap();
        io::Seek::rewind(&mut file).unwrap();
        let mut seen = Vec::new();
        // SAFETY: nothing else has this anonymous file.
        let way = unsafe { FileReading::map_ahead() };
        for_each_chunk(&file, way, |chunk| seen.extend_from_slice(chunk)).unwrap();
        assert_eq!(seen, b"short");
    }
}
