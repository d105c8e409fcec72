//! An archive of a layout (`oci-archive`: a tar of the folder, plain, gzip or zstd), read as
//! one stream: every blob is hashed as it passes and must match its name, and only the small
//! ones (manifests, configs, signatures) are kept, so memory stays bounded whatever the
//! archive's size. Nothing is written to disk, so no entry name can reach outside anything;
//! names that would (`..`, absolute), links, devices and names given twice are refused all
//! the same: such an archive was not written by a layout tool.
//!
//! Hashing runs on a second thread beside decompression and tar parsing (each is about as
//! fast as the other on one core), with a few buffers handed back and forth.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::sync::mpsc;

use super::LayoutError;
use super::store::{Hasher, MemoryBlobs};
use super::writer::{BlobFile, LayoutWriter};
use crate::OciDigest;

/// Bounds on reading an archive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ArchiveLimits {
    /// Most bytes of the tar stream, after decompression: what stops a compression bomb.
    pub max_stream_bytes: u64,
    /// Blobs up to this size are kept in memory (manifests, configs, signatures); larger ones
    /// (layers) are only hashed, and a lookup asking for one gets "too large".
    pub max_kept_blob: u64,
    /// Most bytes of blobs kept.
    pub max_kept_bytes: u64,
    /// Most tar entries.
    pub max_entries: u64,
}

impl ArchiveLimits {
    /// The limits for an archive file of `len` bytes: its tar stream may be at most
    /// 1 GiB + 100 × its size (layers are compressed already, so a real archive of a layout
    /// inflates little; a bomb of 1 MB stops at 1.1 GiB); blobs up to 4 MiB kept, 64 MiB in
    /// all; a million entries.
    pub fn for_archive_of(len: u64) -> Self {
        Self {
            max_stream_bytes: (1 << 30) + len.saturating_mul(100),
            max_kept_blob: crate::MAX_MANIFEST_BYTES,
            max_kept_bytes: 64 << 20,
            max_entries: 1_000_000,
        }
    }
}

/// What an archive held: its `oci-layout`, its `index.json`, and its blobs.
#[derive(Debug)]
pub(crate) struct ArchiveContent {
    pub(crate) oci_layout: Option<Vec<u8>>,
    pub(crate) index: Option<Vec<u8>>,
    pub(crate) blobs: MemoryBlobs,
}

/// A chunk of work for the hashing thread.
enum Job {
    /// A blob begins: its name and whether to keep its bytes.
    Start {
        name: String,
        digest: OciDigest,
        keep: bool,
    },
    Data(Vec<u8>),
    End,
}

const CHUNK: usize = 1 << 20;
const BUFFERS: usize = 4;

/// `reader` decompressed as its first bytes say: zstd, gzip, or a plain tar.
pub(super) fn open_stream<'a>(
    reader: impl Read + 'a,
    what: &str,
) -> Result<Box<dyn Read + 'a>, LayoutError> {
    let mut reader = BufReader::with_capacity(256 * 1024, reader);
    let magic = reader
        .fill_buf()
        .map_err(|err| LayoutError::io(what, err))?
        .get(..4)
        .map(<[u8]>::to_vec)
        .unwrap_or_default();
    Ok(if magic == [0x28, 0xb5, 0x2f, 0xfd] {
        Box::new(
            zstd::stream::read::Decoder::with_buffer(reader)
                .map_err(|err| LayoutError::io(what, err))?,
        )
    } else if magic.starts_with(&[0x1f, 0x8b]) {
        Box::new(flate2::bufread::MultiGzDecoder::new(reader))
    } else {
        Box::new(reader)
    })
}

/// Reads an archive of a layout from `reader` (tar, gzip or zstd, told by its first bytes).
/// With `extract`, every blob is also written there (checked before it takes its name), and
/// none is kept in memory.
pub(crate) fn read_archive(
    reader: impl Read,
    what: &str,
    limits: ArchiveLimits,
    extract: Option<&LayoutWriter>,
) -> Result<ArchiveContent, LayoutError> {
    let stream = open_stream(reader, what)?;
    let budget = Budget::new(stream, limits.max_stream_bytes);
    let mut archive = tar::Archive::new(budget);
    std::thread::scope(|scope| {
        let (jobs, receive_jobs) = mpsc::sync_channel::<Job>(BUFFERS);
        let (give_back, buffers) = mpsc::channel::<Vec<u8>>();
        for _ in 0..BUFFERS {
            let _ = give_back.send(vec![0; CHUNK]);
        }
        let hashing = scope.spawn(move || hash_blobs(&receive_jobs, &give_back, extract));
        let read = read_entries(
            &mut archive,
            what,
            limits,
            extract.is_none(),
            &jobs,
            &buffers,
        );
        drop(jobs);
        let hashed = hashing
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        let budget_exceeded = archive.into_inner().exceeded();
        if budget_exceeded {
            return Err(LayoutError::refused(
                what,
                format!(
                    "its tar stream is over {} bytes once decompressed (a compression bomb, or \
                     an archive too large for this limit): decompress it yourself and verify \
                     the folder (oci:DIR)",
                    limits.max_stream_bytes
                ),
            ));
        }
        let (oci_layout, index) = read?;
        Ok(ArchiveContent {
            oci_layout,
            index,
            blobs: hashed?,
        })
    })
}

type LayoutFiles = (Option<Vec<u8>>, Option<Vec<u8>>);

/// The tar side: walks the entries, sends blobs' bytes to the hashing thread.
fn read_entries<R: Read>(
    archive: &mut tar::Archive<R>,
    what: &str,
    limits: ArchiveLimits,
    keep_small: bool,
    jobs: &mpsc::SyncSender<Job>,
    buffers: &mpsc::Receiver<Vec<u8>>,
) -> Result<LayoutFiles, LayoutError> {
    let broken = |err: std::io::Error| {
        LayoutError::not_a_layout(what, format!("not a readable tar archive: {err}"))
    };
    let mut seen = HashSet::new();
    let mut oci_layout = None;
    let mut index = None;
    let mut kept = 0u64;
    let mut count = 0u64;
    let mut spare: Option<Vec<u8>> = None;
    for entry in archive.entries().map_err(broken)? {
        let mut entry = entry.map_err(broken)?;
        count += 1;
        if count > limits.max_entries {
            return Err(LayoutError::refused(
                what,
                format!("more than {} entries", limits.max_entries),
            ));
        }
        let raw_name = entry.path_bytes().into_owned();
        let Some(name) = entry_name(&raw_name, what)? else {
            continue;
        };
        let kind = entry.header().entry_type();
        let layout_file =
            name == "oci-layout" || name == "index.json" || name.starts_with("blobs/");
        if !kind.is_file() {
            if layout_file && !kind.is_dir() {
                return Err(LayoutError::refused(
                    format!("{what}: entry {name:?}"),
                    "a link, device or other special file where a layout has a plain file",
                ));
            }
            continue;
        }
        if !layout_file {
            continue;
        }
        if !seen.insert(name.clone()) {
            return Err(LayoutError::refused(
                format!("{what}: entry {name:?}"),
                "the name appears twice (two readers could take different ones)",
            ));
        }
        let size = entry.size();
        match name.as_str() {
            "oci-layout" | "index.json" => {
                let max = crate::MAX_MANIFEST_BYTES * 4;
                if size > max {
                    return Err(LayoutError::refused(
                        format!("{what}: {name}"),
                        format!("{size} bytes, more than {max}"),
                    ));
                }
                let mut bytes = Vec::new();
                entry.read_to_end(&mut bytes).map_err(broken)?;
                if name == "index.json" {
                    index = Some(bytes);
                } else {
                    oci_layout = Some(bytes);
                }
            }
            _ => {
                let Some(digest) = blob_digest(&name) else {
                    // Not a blob name (a stray file under blobs/): not part of the layout.
                    continue;
                };
                let keep = keep_small && size <= limits.max_kept_blob;
                if keep {
                    kept += size;
                    if kept > limits.max_kept_bytes {
                        return Err(LayoutError::refused(
                            what,
                            format!(
                                "more than {} bytes of manifests and other small blobs: extract \
                                 it (tar -x) and verify the folder (oci:DIR)",
                                limits.max_kept_bytes
                            ),
                        ));
                    }
                }
                if jobs.send(Job::Start { name, digest, keep }).is_err() {
                    break;
                }
                loop {
                    let mut buffer = spare
                        .take()
                        .or_else(|| buffers.recv().ok())
                        .unwrap_or_default();
                    buffer.resize(CHUNK, 0);
                    let read = read_some(&mut entry, &mut buffer).map_err(broken)?;
                    if read == 0 {
                        // Kept for the next blob: the pool holds only BUFFERS.
                        spare = Some(buffer);
                        break;
                    }
                    buffer.truncate(read);
                    if jobs.send(Job::Data(buffer)).is_err() {
                        break;
                    }
                }
                if jobs.send(Job::End).is_err() {
                    break;
                }
            }
        }
    }
    Ok((oci_layout, index))
}

/// Fills as much of `buffer` as the entry gives (a tar entry reads in 512-byte pieces).
fn read_some(reader: &mut impl Read, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match reader.read(&mut buffer[filled..]) {
            Ok(0) => break,
            Ok(read) => filled += read,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(filled)
}

/// The blob being hashed.
struct Blob {
    name: String,
    digest: OciDigest,
    sink: Sink,
    size: u64,
    kept: Option<Vec<u8>>,
}

/// Where a blob's bytes go: a hash only, or a file that hashes them and is named once they
/// match.
enum Sink {
    Hash(Hasher),
    File(BlobFile),
}

/// The hashing side: one blob at a time, checked against its name when it ends.
fn hash_blobs(
    jobs: &mpsc::Receiver<Job>,
    give_back: &mpsc::Sender<Vec<u8>>,
    extract: Option<&LayoutWriter>,
) -> Result<MemoryBlobs, LayoutError> {
    let mut blobs = MemoryBlobs::default();
    let mut current: Option<Blob> = None;
    for job in jobs {
        match job {
            Job::Start { name, digest, keep } => {
                let sink = match extract {
                    Some(writer) => Sink::File(writer.blob(&digest)?),
                    None => Sink::Hash(Hasher::new(digest.algorithm())),
                };
                current = Some(Blob {
                    sink,
                    name,
                    digest,
                    size: 0,
                    kept: keep.then(Vec::new),
                });
            }
            Job::Data(buffer) => {
                if let Some(blob) = current.as_mut() {
                    match &mut blob.sink {
                        Sink::Hash(hasher) => hasher.update(&buffer),
                        Sink::File(file) => file.write(&buffer)?,
                    }
                    blob.size += buffer.len() as u64;
                    if let Some(kept) = &mut blob.kept {
                        kept.extend_from_slice(&buffer);
                    }
                }
                let _ = give_back.send(buffer);
            }
            Job::End => {
                if let Some(Blob {
                    name,
                    digest,
                    sink,
                    size,
                    kept,
                }) = current.take()
                {
                    let hasher = match sink {
                        Sink::Hash(hasher) => hasher,
                        Sink::File(file) => {
                            file.commit(size).map_err(|err| match err {
                                LayoutError::Corrupt { detail, .. } => {
                                    LayoutError::corrupt(format!("archive entry {name:?}"), detail)
                                }
                                other => other,
                            })?;
                            blobs.sizes.insert(digest, size);
                            continue;
                        }
                    };
                    let found = hasher.finish();
                    if found != digest {
                        return Err(LayoutError::corrupt(
                            format!("archive entry {name:?}"),
                            format!(
                                "its bytes hash to {found}, not {digest}: the archive was changed \
                                 after it was written"
                            ),
                        ));
                    }
                    if let Some(kept) = kept {
                        blobs.kept.insert(digest.clone(), kept);
                    }
                    blobs.sizes.insert(digest, size);
                }
            }
        }
    }
    Ok(blobs)
}

/// The entry's name within the layout (`./` and a leading folder of the same name as none),
/// `None` for names that are not text. Absolute names and `..` are refused.
pub(super) fn entry_name(raw: &[u8], what: &str) -> Result<Option<String>, LayoutError> {
    let Ok(text) = std::str::from_utf8(raw) else {
        return Ok(None);
    };
    if text.starts_with('/') || text.split('/').any(|part| part == "..") {
        return Err(LayoutError::refused(
            format!("{what}: entry {:?}", crate::manifest::truncate(text, 200)),
            "an absolute name or one with `..` reaches outside the layout",
        ));
    }
    let parts: Vec<&str> = text
        .split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    Ok(Some(parts.join("/")))
}

/// `blobs/<algorithm>/<hex>` as a digest.
fn blob_digest(name: &str) -> Option<OciDigest> {
    let rest = name.strip_prefix("blobs/")?;
    let (algorithm, hex) = rest.split_once('/')?;
    OciDigest::parse(&format!("{algorithm}:{hex}")).ok()
}

/// Counts the decompressed bytes, and ends the stream with an error past the budget.
pub(super) struct Budget<R> {
    inner: R,
    left: u64,
    exceeded: bool,
}

impl<R> Budget<R> {
    pub(super) fn new(inner: R, left: u64) -> Self {
        Self {
            inner,
            left,
            exceeded: false,
        }
    }

    /// Whether the stream went past the budget.
    pub(super) fn exceeded(&self) -> bool {
        self.exceeded
    }
}

impl<R: Read> Read for Budget<R> {
    fn read(&mut self, buffer: &mut [u8]) -> std::io::Result<usize> {
        let read = self.inner.read(buffer)?;
        match self.left.checked_sub(read as u64) {
            Some(left) => {
                self.left = left;
                Ok(read)
            }
            None => {
                self.exceeded = true;
                Err(std::io::Error::other("the archive's byte budget is spent"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tar_of(entries: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(Vec::new());
        for (name, bytes) in entries {
            let mut header = tar::Header::new_gnu();
            header.set_size(bytes.len() as u64);
            header.set_mode(0o644);
            header.set_entry_type(tar::EntryType::Regular);
            // set_path refuses `..`; the raw name field takes anything, as an attacker's would.
            header.as_old_mut().name[..name.len()].copy_from_slice(name.as_bytes());
            header.set_cksum();
            builder.append(&header, *bytes).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn limits() -> ArchiveLimits {
        ArchiveLimits::for_archive_of(0)
    }

    #[test]
    fn hashes_every_blob_and_keeps_the_small_ones() {
        let blobs: Vec<Vec<u8>> = (0..3 * BUFFERS)
            .map(|n| vec![u8::try_from(n).unwrap(); n * 1000])
            .collect();
        let names: Vec<String> = blobs
            .iter()
            .map(|blob| format!("./blobs/sha256/{}", OciDigest::sha256_of(blob).hex()))
            .collect();
        let mut entries: Vec<(&str, &[u8])> = vec![("oci-layout", b"{}")];
        entries.extend(
            names
                .iter()
                .map(String::as_str)
                .zip(blobs.iter().map(Vec::as_slice)),
        );
        entries.push(("index.json", b"[]"));
        let tar = tar_of(&entries);
        let content = read_archive(&tar[..], "a.tar", limits(), None).unwrap();
        for blob in &blobs {
            assert_eq!(&content.blobs.kept[&OciDigest::sha256_of(blob)], blob);
        }
        assert_eq!(content.index.as_deref(), Some(&b"[]"[..]));
    }

    #[test]
    fn refuses_changed_blobs_bad_names_and_duplicates() {
        let digest = OciDigest::sha256_of(b"hello");
        let name = format!("blobs/sha256/{}", digest.hex());
        let changed = tar_of(&[(&name, b"hellO")]);
        assert!(matches!(
            read_archive(&changed[..], "a", limits(), None),
            Err(LayoutError::Corrupt { .. })
        ));
        let escaping = tar_of(&[("../index.json", b"{}")]);
        assert!(matches!(
            read_archive(&escaping[..], "a", limits(), None),
            Err(LayoutError::Refused { .. })
        ));
        let twice = tar_of(&[("index.json", b"{}"), ("./index.json", b"{}")]);
        assert!(matches!(
            read_archive(&twice[..], "a", limits(), None),
            Err(LayoutError::Refused { .. })
        ));
    }

    #[test]
    fn a_compression_bomb_stops_at_the_budget() {
        let zeros = vec![0u8; 8 << 20];
        let name = format!("blobs/sha256/{}", OciDigest::sha256_of(&zeros).hex());
        let tar = tar_of(&[(&name, &zeros)]);
        let compressed = zstd::encode_all(&tar[..], 3).unwrap();
        let mut limits = limits();
        limits.max_stream_bytes = 1 << 20;
        let err = read_archive(&compressed[..], "bomb.tar.zst", limits, None).unwrap_err();
        assert!(err.to_string().contains("compression bomb"), "{err}");
    }
}
