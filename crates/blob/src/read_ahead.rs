//! Reading on a second thread, so that I/O overlaps hashing.
//!
//! Hashing runs at about 1.2 GB/s a core with SHA-NI on the machines we measure
//! (docs/performance.md); copying from the page cache or a disk on the same thread would add
//! its time to the hash's. A reader thread fills a small ring of
//! buffers while the caller's thread consumes them, so memory stays at `IN_FLIGHT × CHUNK`
//! whatever the input size.

use std::io::{self, Read};
use std::sync::mpsc;

const CHUNK: usize = 1 << 20;
const IN_FLIGHT: usize = 3;

/// Inputs that end within this many bytes are read on the caller's thread: starting a thread
/// and mapping the ring costs more than such an input takes to hash (an image signature
/// payload is a few hundred bytes, and `vouch verify` checks hundreds of them).
pub(crate) const SMALL: usize = 64 << 10;

/// Feeds every byte of `reader` to `consume`, in order, reading ahead while `consume` works.
/// Returns the number of bytes read.
pub(crate) fn for_each_chunk<R: Read + Send>(
    mut reader: R,
    mut consume: impl FnMut(&[u8]),
) -> io::Result<u64> {
    let mut first = vec![0; SMALL];
    let len = fill(&mut reader, &mut first)?;
    consume(&first[..len]);
    if len < SMALL {
        return Ok(len as u64);
    }
    drop(first);
    read_ahead(reader, consume).map(|rest| rest + len as u64)
}

fn read_ahead<R: Read + Send>(mut reader: R, mut consume: impl FnMut(&[u8])) -> io::Result<u64> {
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = mpsc::sync_channel::<io::Result<(Vec<u8>, usize)>>(IN_FLIGHT);
        let (free_tx, free_rx) = mpsc::channel::<Vec<u8>>();
        for _ in 0..IN_FLIGHT {
            // Zeroed allocations of this size are mapped lazily: a small input touches little.
            free_tx.send(vec![0; CHUNK]).ok();
        }
        scope.spawn(move || {
            // Ends when the consumer hangs up (either channel closed), at end of input, or on error.
            while let Ok(mut buf) = free_rx.recv() {
                let message = match fill(&mut reader, &mut buf) {
                    Ok(0) => return,
                    Ok(len) => Ok((buf, len)),
                    Err(err) => Err(err),
                };
                let failed = message.is_err();
                if full_tx.send(message).is_err() || failed {
                    return;
                }
            }
        });
        let mut total = 0u64;
        for message in full_rx {
            let (buf, len) = message?;
            consume(&buf[..len]);
            total += len as u64;
            // The reader may already have finished; a closed channel is fine then.
            free_tx.send(buf).ok();
        }
        Ok(total)
    })
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn fill(reader: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Returns data in uneven pieces, then fails if asked to.
    struct Trickle {
        data: Vec<u8>,
        pos: usize,
        fail_at_end: bool,
    }

    impl Read for Trickle {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.pos == self.data.len() {
                return if self.fail_at_end {
                    Err(io::Error::other("disk on fire"))
                } else {
                    Ok(0)
                };
            }
            let n = buf.len().min(7919).min(self.data.len() - self.pos);
            buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn pattern(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| u8::try_from(i * 31 % 251).unwrap())
            .collect()
    }

    #[test]
    fn delivers_every_byte_in_order_across_chunk_boundaries() {
        for len in [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK + 17, 5 * CHUNK] {
            let data = pattern(len);
            let mut seen = Vec::new();
            let reader = Trickle {
                data: data.clone(),
                pos: 0,
                fail_at_end: false,
            };
            let total = for_each_chunk(reader, |chunk| seen.extend_from_slice(chunk)).unwrap();
            assert_eq!(total, len as u64);
            assert!(seen == data, "bytes differ for length {len}");
        }
    }

    #[test]
    fn reports_read_errors_instead_of_a_short_input() {
        let reader = Trickle {
            data: pattern(2 * CHUNK + 5),
            pos: 0,
            fail_at_end: true,
        };
        let err = for_each_chunk(reader, |_| {}).unwrap_err();
        assert_eq!(err.to_string(), "disk on fire");
    }
}
