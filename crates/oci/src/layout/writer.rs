//! Writing an OCI image layout: blobs under `blobs/<algorithm>/<hex>`, each written to a
//! temporary name, checked against its digest and only then renamed into place; `index.json`
//! last, replaced in one rename. A run cut short (a full disk, a broken connection) leaves
//! the layout as it was plus some whole, checked blobs, which the next run keeps.
//!
//! The index is what `cosign save` writes (3-space indentation, `kind` annotations), with the
//! `org.opencontainers.image.ref.name` skopeo reads beside them, so that cosign, skopeo and
//! vouch each find the image and its signatures.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;
#[cfg(test)]
use serde_json::json;

use super::store::{Hasher, blob_path};
use super::{LayoutError, LayoutIndex, REF_NAME, check_oci_layout};
use crate::manifest::OCI_INDEX;
use crate::{MAX_MANIFEST_BYTES, OciDigest};

/// Blob files begun by this process, for unique temporary names.
static PARTIALS: AtomicU64 = AtomicU64::new(0);

/// What `oci-layout` holds.
const OCI_LAYOUT: &[u8] = b"{\"imageLayoutVersion\": \"1.0.0\"}";

/// A layout folder being written.
#[derive(Debug)]
pub struct LayoutWriter {
    root: PathBuf,
    /// `index.json`'s entries: those found there, then those added.
    entries: Vec<Value>,
}

impl LayoutWriter {
    /// Opens `root` for writing: a new or empty folder becomes a layout; an existing layout
    /// keeps its entries and blobs (what is added replaces an entry of the same
    /// `ref.name`). A folder holding anything else is refused: nothing of the user's is
    /// overwritten.
    ///
    /// # Errors
    ///
    /// [`LayoutError::Io`] if the folder cannot be made or read, [`LayoutError::NotALayout`]
    /// for a folder that is neither empty nor a layout.
    pub fn create(root: &Path) -> Result<Self, LayoutError> {
        let what = root.display().to_string();
        fs::create_dir_all(root).map_err(|err| LayoutError::io(&what, err))?;
        let layout_file = root.join("oci-layout");
        let entries = if layout_file.exists() {
            let read = |path: &Path| {
                fs::read(path).map_err(|err| LayoutError::io(path.display().to_string(), err))
            };
            check_oci_layout(&read(&layout_file)?, &what)?;
            let index_path = root.join("index.json");
            if index_path.exists() {
                let bytes = read(&index_path)?;
                // Checked as a reader checks it, then kept as written (unknown fields too).
                LayoutIndex::parse(&bytes, &what)?;
                let document: Value = serde_json::from_slice(&bytes).map_err(|err| {
                    LayoutError::not_a_layout(&what, format!("index.json: {err}"))
                })?;
                document
                    .get("manifests")
                    .and_then(Value::as_array)
                    .cloned()
                    .unwrap_or_default()
            } else {
                Vec::new()
            }
        } else {
            let mut listing = fs::read_dir(root).map_err(|err| LayoutError::io(&what, err))?;
            if listing.next().is_some() {
                return Err(LayoutError::not_a_layout(
                    &what,
                    "the folder holds files but no oci-layout; give a new or empty folder, or \
                     an existing OCI image layout to add to",
                ));
            }
            Vec::new()
        };
        Ok(Self {
            root: root.to_path_buf(),
            entries,
        })
    }

    /// The folder.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Whether the blob `digest` is there with `size` bytes (written by an earlier run, which
    /// checked it before naming it so).
    pub fn has_blob(&self, digest: &OciDigest, size: u64) -> bool {
        fs::symlink_metadata(blob_path(&self.root, digest))
            .is_ok_and(|metadata| metadata.is_file() && metadata.len() == size)
    }

    /// Starts writing the blob `digest`.
    ///
    /// # Errors
    ///
    /// [`LayoutError::Io`] if the file cannot be made.
    pub fn blob(&self, digest: &OciDigest) -> Result<BlobFile, LayoutError> {
        let path = blob_path(&self.root, digest);
        // Unique to this writer: two processes saving the same blob into one folder must not
        // write into one file (each checks only the bytes it wrote).
        let partial = path.with_file_name(format!(
            ".{}.{}-{}.partial",
            digest.hex(),
            std::process::id(),
            PARTIALS.fetch_add(1, Ordering::Relaxed)
        ));
        let folder = path.parent().unwrap_or(&self.root);
        fs::create_dir_all(folder)
            .map_err(|err| LayoutError::io(folder.display().to_string(), err))?;
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(&partial)
            .map_err(|err| LayoutError::io(partial.display().to_string(), err))?;
        Ok(BlobFile {
            file: BufWriter::with_capacity(1 << 20, file),
            hasher: Hasher::new(digest.algorithm()),
            written: 0,
            digest: digest.clone(),
            partial: Partial(partial),
            path,
        })
    }

    /// Writes `bytes` (a manifest, already checked against `digest`) as a blob.
    ///
    /// # Errors
    ///
    /// As [`BlobFile::commit`].
    pub fn write_blob(&self, digest: &OciDigest, bytes: &[u8]) -> Result<(), LayoutError> {
        if self.has_blob(digest, bytes.len() as u64) {
            return Ok(());
        }
        let mut blob = self.blob(digest)?;
        blob.write(bytes)?;
        blob.commit(bytes.len() as u64)
    }

    /// Lists a manifest in `index.json`: `descriptor` (`mediaType`, `digest`, `size`, and
    /// `annotations` if any). An entry with the same `ref.name`, or the same digest and no
    /// name, is replaced.
    pub fn add_entry(&mut self, descriptor: Value) {
        let name = ref_name(&descriptor).map(str::to_owned);
        let digest = descriptor.get("digest").cloned();
        self.entries.retain(|entry| match &name {
            Some(name) => ref_name(entry) != Some(name),
            None => ref_name(entry).is_some() || entry.get("digest") != digest.as_ref(),
        });
        self.entries.push(descriptor);
    }

    /// Writes `oci-layout` and `index.json`, each to a temporary name first.
    ///
    /// # Errors
    ///
    /// [`LayoutError::Io`] if a file cannot be written; the layout is then as it was.
    pub fn finish(self) -> Result<(), LayoutError> {
        /// `index.json`, its fields in the order of the image spec's examples.
        #[derive(serde::Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Index<'a> {
            schema_version: u32,
            media_type: &'a str,
            manifests: &'a [Value],
        }
        let index = Index {
            schema_version: 2,
            media_type: OCI_INDEX,
            manifests: &self.entries,
        };
        let mut bytes = Vec::new();
        let formatter = serde_json::ser::PrettyFormatter::with_indent(b"   ");
        let mut serializer = serde_json::Serializer::with_formatter(&mut bytes, formatter);
        serde::Serialize::serialize(&index, &mut serializer)
            .map_err(|err| LayoutError::io("index.json", std::io::Error::other(err)))?;
        if bytes.len() as u64 > MAX_MANIFEST_BYTES * 4 {
            return Err(LayoutError::refused(
                self.root.display().to_string(),
                "index.json would be over 16 MiB: save fewer images in one layout",
            ));
        }
        replace(&self.root.join("oci-layout"), OCI_LAYOUT)?;
        replace(&self.root.join("index.json"), &bytes)
    }
}

/// A blob file being written: bytes are hashed as they go, and the file takes its name only
/// once it is whole and matches its digest. Dropped before that (a failed source, a full
/// disk), it is removed.
#[derive(Debug)]
pub struct BlobFile {
    file: BufWriter<File>,
    hasher: Hasher,
    written: u64,
    digest: OciDigest,
    partial: Partial,
    path: PathBuf,
}

/// The temporary name of a blob being written, removed when dropped unless renamed.
#[derive(Debug)]
struct Partial(PathBuf);

impl Drop for Partial {
    fn drop(&mut self) {
        // After a rename the name is gone and this fails, as it should.
        let _ = fs::remove_file(&self.0);
    }
}

impl BlobFile {
    /// Appends `bytes`.
    ///
    /// # Errors
    ///
    /// [`LayoutError::Io`] (a full disk, say); the partial file is removed.
    pub fn write(&mut self, bytes: &[u8]) -> Result<(), LayoutError> {
        self.hasher.update(bytes);
        self.written += bytes.len() as u64;
        self.file.write_all(bytes).map_err(|err| self.failed(err))
    }

    /// Bytes written so far.
    pub fn written(&self) -> u64 {
        self.written
    }

    /// Checks the bytes written against the digest and `size`, flushes them to disk and
    /// gives the file its name.
    ///
    /// # Errors
    ///
    /// [`LayoutError::Corrupt`] if they do not match (the source served other bytes than it
    /// named), [`LayoutError::Io`] if the disk fails; the partial file is removed either way.
    pub fn commit(self, size: u64) -> Result<(), LayoutError> {
        let Self {
            file,
            hasher,
            written,
            digest,
            partial,
            path,
        } = self;
        let found = hasher.finish();
        let problem = if found != digest {
            Some(format!("the bytes received hash to {found}"))
        } else if written != size {
            Some(format!(
                "{written} bytes received, its descriptor says {size}"
            ))
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(LayoutError::corrupt(
                format!("blob {digest}"),
                format!("{problem}: the source does not hold what it names; nothing was kept"),
            ));
        }
        let done = file
            .into_inner()
            .map_err(std::io::IntoInnerError::into_error)
            .and_then(|file| file.sync_all())
            .and_then(|()| fs::rename(&partial.0, &path));
        done.map_err(|err| LayoutError::io(path.display().to_string(), err))
    }

    fn failed(&self, err: std::io::Error) -> LayoutError {
        LayoutError::io(self.partial.0.display().to_string(), err)
    }
}

fn ref_name(entry: &Value) -> Option<&str> {
    entry.get("annotations")?.get(REF_NAME)?.as_str()
}

/// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so
/// that `path` is either as it was or whole.
pub(crate) fn replace(path: &Path, bytes: &[u8]) -> Result<(), LayoutError> {
    let what = || path.display().to_string();
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |name| name.to_string_lossy());
    let temporary = path.with_file_name(format!(".{name}.partial"));
    let written = File::create(&temporary)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| fs::rename(&temporary, path));
    written.map_err(|err| {
        let _ = fs::remove_file(&temporary);
        LayoutError::io(what(), err)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::Layout;

    #[test]
    fn writes_a_layout_a_reader_opens_and_keeps_what_was_there() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("l");
        let manifest = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
        let digest = OciDigest::sha256_of(manifest);
        let config = OciDigest::sha256_of(b"{}");
        let mut writer = LayoutWriter::create(&root).unwrap();
        writer.write_blob(&config, b"{}").unwrap();
        writer.write_blob(&digest, manifest).unwrap();
        writer.add_entry(json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest.to_string(),
            "size": manifest.len(),
            "annotations": {REF_NAME: "v1", "kind": "dev.cosignproject.cosign/image"},
        }));
        writer.finish().unwrap();
        let index = fs::read_to_string(root.join("index.json")).unwrap();
        assert!(index.contains("\n   \"manifests\""), "{index}");
        let layout = Layout::open(&root).unwrap();
        assert_eq!(layout.resolve(Some("v1")).unwrap().digest(), &digest);
        layout.resolve(None).unwrap();

        // Reopened: the entry stays, one of the same name is replaced.
        let mut writer = LayoutWriter::create(&root).unwrap();
        assert!(writer.has_blob(&digest, manifest.len() as u64));
        writer.add_entry(json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest.to_string(),
            "size": manifest.len(),
            "annotations": {REF_NAME: "v2"},
        }));
        writer.finish().unwrap();
        let layout = Layout::open(&root).unwrap();
        assert_eq!(layout.index().entries().len(), 2);
    }

    #[test]
    fn a_blob_that_is_not_its_digest_is_not_kept() {
        let dir = tempfile::tempdir().unwrap();
        let writer = LayoutWriter::create(dir.path()).unwrap();
        let digest = OciDigest::sha256_of(b"right");
        let mut blob = writer.blob(&digest).unwrap();
        blob.write(b"wrong").unwrap();
        assert!(matches!(blob.commit(5), Err(LayoutError::Corrupt { .. })));
        assert!(!writer.has_blob(&digest, 5));
        let folder = dir.path().join("blobs/sha256");
        assert_eq!(fs::read_dir(folder).unwrap().count(), 0);
    }

    #[test]
    fn a_folder_of_other_files_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("notes.txt"), b"mine").unwrap();
        assert!(matches!(
            LayoutWriter::create(dir.path()),
            Err(LayoutError::NotALayout { .. })
        ));
        assert_eq!(fs::read(dir.path().join("notes.txt")).unwrap(), b"mine");
    }
}
