//! Images and their signatures in OCI image layouts: a folder (`oci-layout`, `index.json`,
//! `blobs/`) or an archive of one (`oci-archive`: tar, tar.gz, tar.zst), as skopeo and
//! `cosign save` write them. The same [`SignatureLookup`] as for a registry runs against the
//! layout ([`Layout::lookup`]), so the verdicts are the same; nothing leaves the machine.
//!
//! # What is checked before anything is believed
//!
//! * Every blob read hashes to its name; in an archive every blob does, as it streams past.
//! * The image the reference names is present in full: its manifest (and an index's
//!   children), config and layers are in the layout with the sizes their descriptors give and
//!   the bytes their digests name. A layer changed after signing is refused as a registry
//!   would refuse it, though signatures name only the manifest.
//! * Blob files that are links or devices are refused; archive entries that are links,
//!   absolute, reach up with `..` or appear twice are refused.
//!
//! # Where signatures are found
//!
//! Where a registry would keep them (see `answer.rs`): manifests named by their tags
//! (`sha256-<hex>.sig`, `.att`, `sha256-<hex>`), as `skopeo copy … oci:DIR:sha256-<hex>.sig`
//! writes them; `cosign save`'s `sigs` and `atts` entries of its image; and manifests in
//! `index.json` whose `subject` is the image (referrers).

pub(crate) mod answer;
mod archive;
mod docker_archive;
mod error;
mod index;
mod pack;
pub(crate) mod store;
mod writer;

use std::collections::HashSet;
use std::fs::File;
use std::path::Path;

pub use archive::ArchiveLimits;
pub use docker_archive::{DockerArchive, DockerImage};
pub use error::{LayoutError, LayoutLookupFailure};
pub use index::{
    COSIGN_KIND, IndexEntry, KIND_ATTESTATIONS, KIND_IMAGE, KIND_IMAGE_INDEX, KIND_SBOMS,
    KIND_SIGNATURES, LayoutIndex, MAX_INDEX_ENTRIES, REF_NAME, check_oci_layout, is_signature_tag,
};
pub use pack::{Compression, write_archive};
pub use writer::{BlobFile, LayoutWriter};

use crate::manifest::{self, Document};
use crate::{ImageRef, Lookup, LookupOptions, MAX_MANIFEST_BYTES, OciDigest, SignatureLookup};
use store::{BlobBytes, Store};

/// Deepest nesting of indexes checked under an image (an index of indexes of manifests).
const MAX_DEPTH: usize = 3;

/// An OCI image layout, opened: its `index.json` and access to its blobs.
#[derive(Debug)]
pub struct Layout {
    what: String,
    index: LayoutIndex,
    store: Store,
}

impl Layout {
    /// Opens `path`: a folder is read as a layout, a file as an archive of one
    /// ([`Self::read_archive`] with [`ArchiveLimits::for_archive_of`] its size).
    ///
    /// # Errors
    ///
    /// As [`Self::open_folder`] and [`Self::read_archive`].
    pub fn open(path: &Path) -> Result<Self, LayoutError> {
        let what = path.display().to_string();
        let metadata = std::fs::metadata(path).map_err(|err| LayoutError::io(&what, err))?;
        if metadata.is_dir() {
            Self::open_folder(path)
        } else {
            let file = File::open(path).map_err(|err| LayoutError::io(&what, err))?;
            Self::read_archive(file, &what, ArchiveLimits::for_archive_of(metadata.len()))
        }
    }

    /// Opens the layout folder `path`: reads `oci-layout` and `index.json`; blobs are read
    /// when asked for.
    ///
    /// # Errors
    ///
    /// [`LayoutError::Io`] if the folder or a file cannot be read,
    /// [`LayoutError::NotALayout`] if they are missing or malformed.
    pub fn open_folder(path: &Path) -> Result<Self, LayoutError> {
        let what = path.display().to_string();
        let read = |name: &str, max: u64| -> Result<Vec<u8>, LayoutError> {
            let file_path = path.join(name);
            let file = File::open(&file_path).map_err(|err| {
                if err.kind() == std::io::ErrorKind::NotFound {
                    LayoutError::not_a_layout(
                        &what,
                        format!("it has no {name} (an OCI image layout has oci-layout, index.json and blobs/)"),
                    )
                } else {
                    LayoutError::io(file_path.display().to_string(), err)
                }
            })?;
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::Read::take(file, max + 1), &mut bytes)
                .map_err(|err| LayoutError::io(file_path.display().to_string(), err))?;
            if bytes.len() as u64 > max {
                return Err(LayoutError::not_a_layout(
                    &what,
                    format!("{name} is over {max} bytes"),
                ));
            }
            Ok(bytes)
        };
        check_oci_layout(&read("oci-layout", 64 * 1024)?, &what)?;
        let index = LayoutIndex::parse(&read("index.json", MAX_MANIFEST_BYTES * 4)?, &what)?;
        Ok(Self {
            what,
            index,
            store: Store::Folder(path.to_path_buf()),
        })
    }

    /// Reads an archive of a layout (tar, gzip or zstd) from `reader` in one pass, named
    /// `what` in messages: every blob is hashed and checked against its name, the small
    /// ones are kept (see [`ArchiveLimits`]).
    ///
    /// # Errors
    ///
    /// [`LayoutError::Corrupt`] for a blob whose bytes are not its name's,
    /// [`LayoutError::Refused`] for a hostile entry or a spent budget,
    /// [`LayoutError::NotALayout`] for anything that is not a tar of a layout.
    pub fn read_archive(
        reader: impl std::io::Read,
        what: &str,
        limits: ArchiveLimits,
    ) -> Result<Self, LayoutError> {
        let content = archive::read_archive(reader, what, limits, None)?;
        let oci_layout = content.oci_layout.ok_or_else(|| {
            LayoutError::not_a_layout(
                what,
                "the archive has no oci-layout (an oci-archive is a tar of an OCI image layout; \
                 a `docker save` archive is verified as docker-archive:FILE --signed-image IMAGE)",
            )
        })?;
        check_oci_layout(&oci_layout, what)?;
        let index = content
            .index
            .ok_or_else(|| LayoutError::not_a_layout(what, "the archive has no index.json"))?;
        Ok(Self {
            what: what.to_owned(),
            index: LayoutIndex::parse(&index, what)?,
            store: Store::Memory(content.blobs),
        })
    }

    /// Extracts the archive `path` into the folder `into` (new or empty) and opens the folder:
    /// every blob is checked against its name before it takes it, and the archive's hostile
    /// entries are refused as [`Self::read_archive`] refuses them, so nothing is written
    /// outside `into`. For pushing an archive's image: its layers must be read again, which a
    /// stream cannot be.
    ///
    /// # Errors
    ///
    /// As [`Self::read_archive`], and [`LayoutError::Io`] for a write that fails.
    pub fn extract_archive(path: &Path, into: &Path) -> Result<Self, LayoutError> {
        let what = path.display().to_string();
        let file = File::open(path).map_err(|err| LayoutError::io(&what, err))?;
        let len = file
            .metadata()
            .map_err(|err| LayoutError::io(&what, err))?
            .len();
        let writer = LayoutWriter::create(into)?;
        let content = archive::read_archive(
            file,
            &what,
            ArchiveLimits::for_archive_of(len),
            Some(&writer),
        )?;
        let oci_layout = content.oci_layout.ok_or_else(|| {
            LayoutError::not_a_layout(
                &what,
                "the archive has no oci-layout (a `docker save` archive is not an oci-archive; vouch \
                 verifies it as docker-archive:FILE --signed-image IMAGE)",
            )
        })?;
        check_oci_layout(&oci_layout, &what)?;
        let index = content
            .index
            .ok_or_else(|| LayoutError::not_a_layout(&what, "the archive has no index.json"))?;
        LayoutIndex::parse(&index, &what)?;
        writer::replace(&into.join("index.json"), &index)?;
        writer::replace(&into.join("oci-layout"), &oci_layout)?;
        let mut layout = Self::open_folder(into)?;
        layout.what = what;
        Ok(layout)
    }

    /// The folder, for a layout read from one (not an archive read as a stream).
    pub fn folder(&self) -> Option<&Path> {
        match &self.store {
            Store::Folder(root) => Some(root),
            Store::Memory(_) => None,
        }
    }

    /// The layout's `index.json`.
    pub fn index(&self) -> &LayoutIndex {
        &self.index
    }

    /// The entry `reference` names (see [`LayoutIndex::resolve`]).
    ///
    /// # Errors
    ///
    /// [`LayoutError::ImageNotFound`].
    pub fn resolve(&self, reference: Option<&str>) -> Result<&IndexEntry, LayoutError> {
        let what = match reference {
            Some(reference) => format!("{}:{}", self.what, manifest::truncate(reference, 200)),
            None => self.what.clone(),
        };
        self.index.resolve(reference, &what)
    }

    /// Finds the signatures of the image `reference` names (see [`Self::resolve`]) with the
    /// same lookup as a registry's, after checking that the image is in the layout in full
    /// and unchanged. The lookup's [`Lookup::image`] is a placeholder reference naming the
    /// digest (a layout has no registry).
    ///
    /// # Errors
    ///
    /// [`LayoutLookupFailure::Layout`] for a layout that cannot be read, an image it does not
    /// hold, a blob missing, of the wrong size or changed; [`LayoutLookupFailure::Lookup`] for
    /// what the lookup refuses, as from a registry.
    pub fn lookup(
        &self,
        reference: Option<&str>,
        options: LookupOptions,
    ) -> Result<Lookup, LayoutLookupFailure> {
        let entry = self.resolve(reference)?;
        self.check_image(entry.digest(), entry.size(), 0, &mut HashSet::new())?;
        let image = ImageRef::parse(&format!("oci-layout.invalid/image@{}", entry.digest()))?;
        let mut lookup = SignatureLookup::new(image, options);
        loop {
            let fetches = lookup.next_fetches();
            if fetches.is_empty() {
                break;
            }
            for fetch in &fetches {
                let answer = self.answer(fetch)?;
                lookup.on_response(fetch, answer.as_response())?;
            }
        }
        Ok(lookup.finish()?)
    }

    /// Checks the manifest or index `digest` and everything under it: present, of the
    /// declared sizes, unchanged. Each blob is checked once per declared size (`checked`),
    /// however often the manifests name it: an index listing one child a thousand times costs
    /// one check.
    fn check_image(
        &self,
        digest: &OciDigest,
        size: u64,
        depth: usize,
        checked: &mut HashSet<(OciDigest, u64)>,
    ) -> Result<(), LayoutError> {
        if !checked.insert((digest.clone(), size)) {
            return Ok(());
        }
        let what = || format!("{}: manifest {digest}", self.what);
        let bytes = match self.store.read(digest, MAX_MANIFEST_BYTES)? {
            BlobBytes::Found(bytes) => bytes,
            BlobBytes::Missing => {
                return Err(LayoutError::corrupt(
                    what(),
                    "named by the layout but not in it (was the layout copied in full?)",
                ));
            }
            BlobBytes::TooLarge => {
                return Err(LayoutError::refused(
                    what(),
                    format!("over {MAX_MANIFEST_BYTES} bytes"),
                ));
            }
        };
        if bytes.len() as u64 != size {
            return Err(LayoutError::corrupt(
                what(),
                format!(
                    "its descriptor says {size} bytes, the layout holds {}",
                    bytes.len()
                ),
            ));
        }
        match manifest::parse_document(&bytes, None) {
            Ok(Document::Manifest(parsed)) => {
                for blob in std::iter::once(&parsed.config).chain(&parsed.layers) {
                    if checked.insert((blob.digest.clone(), blob.size)) {
                        self.store.check(&blob.digest, blob.size)?;
                    }
                }
                Ok(())
            }
            Ok(Document::Index(index)) if depth < MAX_DEPTH => {
                for child in &index.manifests {
                    if manifest::is_image_manifest(&child.media_type)
                        || manifest::is_index(&child.media_type)
                    {
                        self.check_image(&child.digest, child.size, depth + 1, checked)?;
                    }
                }
                Ok(())
            }
            Ok(Document::Index(_)) => Err(LayoutError::refused(
                what(),
                format!("indexes nested deeper than {MAX_DEPTH}"),
            )),
            Err(detail) => Err(LayoutError::corrupt(what(), detail)),
        }
    }
}
