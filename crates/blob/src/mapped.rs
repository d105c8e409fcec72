//! Hashing a file where it lies in the page cache: mapped window by window, never copied.
//!
//! Copying a cached file into a buffer (`read(2)`) costs about a fifth of what SHA-256 with
//! SHA-NI costs, on the hashing thread; a second thread that copies ahead moves every byte
//! between cores, which on some machines costs more than it saves (docs/performance.md). A
//! mapping lets the hash read the cached pages in place; what is left is mapping them, which a
//! second thread can do ahead of the hash without touching more than one byte a page.
//!
//! Windows are mapped and unmapped one after another, so that the pages counted in the
//! process's resident set stay at a few windows whatever the file's size.
//!
//! This is the crate's only `unsafe` code: mapping a file is unsafe because another process can
//! truncate or change the file while it is mapped. A truncation raises `SIGBUS` on the next
//! access to a page past the new end, which ends the process unless it handles the signal;
//! [`crate::FileReading::map`] makes the caller promise that it does.
#![allow(
    unsafe_code,
    reason = "mapping a file is unsafe: see the module documentation"
)]

use std::fs::File;
use std::io;
use std::sync::mpsc;

use memmap2::{Mmap, MmapOptions};

/// The bytes of a page: touching one of them maps the whole page (and the kernel maps its
/// neighbours with it).
const PAGE: usize = 4096;

/// Window size and windows in flight: on the hashing thread alone, windows of 2 MiB; with a
/// mapping thread, 1 MiB windows, 2 waiting (so at most 4 MiB mapped: the one hashed, the two
/// waiting, the one being mapped). Measured on a 2 GiB file: 1 MiB windows 2, 3 or 6 ahead
/// take the same time, larger windows longer; 6 ahead add 4 MiB to the peak RSS
/// (docs/performance.md, "Files").
pub(crate) const WINDOW: usize = 2 << 20;
const AHEAD_WINDOW: usize = 1 << 20;
const AHEAD: usize = 2;

/// Feeds the first `len` bytes of `file` to `consume`, window by window, mapping each on the
/// caller's thread. Returns `len`.
///
/// # Safety
///
/// The caller handles `SIGBUS` (the file may be truncated while it is mapped), and accepts that
/// bytes another process writes while they are hashed are hashed as found.
pub(crate) unsafe fn for_each_window(
    file: &File,
    len: u64,
    mut consume: impl FnMut(&[u8]),
) -> io::Result<u64> {
    let mut offset = 0;
    while offset < len {
        // SAFETY: as promised by our caller.
        let window = unsafe { map(file, offset, len, WINDOW) }?;
        consume(&window);
        offset += window.len() as u64;
    }
    Ok(len)
}

/// As [`for_each_window`], with a second thread mapping the next windows and faulting their
/// pages in while the caller's thread hashes.
///
/// # Safety
///
/// As [`for_each_window`].
pub(crate) unsafe fn for_each_window_ahead(
    file: &File,
    len: u64,
    mut consume: impl FnMut(&[u8]),
) -> io::Result<u64> {
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::sync_channel::<io::Result<Mmap>>(AHEAD);
        scope.spawn(move || {
            let mut offset = 0;
            while offset < len {
                // SAFETY: as promised by our caller.
                let window = unsafe { map(file, offset, len, AHEAD_WINDOW) };
                if let Ok(window) = &window {
                    offset += window.len() as u64;
                    prefault(window);
                }
                let failed = window.is_err();
                // Ends when the consumer hangs up, at the end, or after an error.
                if tx.send(window).is_err() || failed {
                    return;
                }
            }
        });
        for window in rx {
            consume(&window?);
        }
        Ok(len)
    })
}

/// Maps `[offset, min(offset + size, len))` of `file`, read-only.
///
/// # Safety
///
/// As [`for_each_window`].
unsafe fn map(file: &File, offset: u64, len: u64, size: usize) -> io::Result<Mmap> {
    let left = usize::try_from(len - offset).unwrap_or(usize::MAX);
    let mut options = MmapOptions::new();
    options.offset(offset).len(size.min(left));
    // SAFETY: the caller handles SIGBUS, the one way a mapping of a file that changes under it
    // shows; memmap2 checks offset and length.
    unsafe { options.map(file) }
}

/// Reads one byte of every page, so that the hashing thread finds them mapped.
fn prefault(window: &[u8]) {
    let mut seen = 0u8;
    for offset in (0..window.len()).step_by(PAGE) {
        seen ^= window[offset];
    }
    std::hint::black_box(seen);
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| u8::try_from(i * 31 % 251).unwrap())
            .collect()
    }

    #[test]
    fn both_ways_deliver_every_byte_in_order_across_windows() {
        for len in [1, PAGE, WINDOW - 1, WINDOW, WINDOW + 1, 3 * WINDOW + 17] {
            let data = pattern(len);
            let mut file = tempfile::tempfile().unwrap();
            file.write_all(&data).unwrap();
            let size = len as u64;
            for ahead in [false, true] {
                let mut seen = Vec::new();
                let consume = |chunk: &[u8]| seen.extend_from_slice(chunk);
                // SAFETY: nothing else has this anonymous file.
                let total = unsafe {
                    if ahead {
                        for_each_window_ahead(&file, size, consume)
                    } else {
                        for_each_window(&file, size, consume)
                    }
                }
                .unwrap();
                assert_eq!(total, size);
                assert!(seen == data, "bytes differ for length {len}, ahead {ahead}");
            }
        }
    }
}
