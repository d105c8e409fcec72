//! Writing an archive of a layout folder (`oci-archive`): a tar, compressed as its name says,
//! written under a temporary name and renamed once whole, so that an archive of that name is
//! never half written.

use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use super::LayoutError;

/// How an archive is compressed, told by its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Compression {
    /// `.tar`.
    None,
    /// `.tar.gz`, `.tgz`.
    Gzip,
    /// `.tar.zst`, `.tzst`.
    Zstd,
}

impl Compression {
    /// The compression `path`'s name asks for; `None` for a name that is not an archive's.
    pub fn for_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.ends_with(".tar.zst") || name.ends_with(".tzst") {
            Some(Self::Zstd)
        } else if name.ends_with(".tar.gz") || name.ends_with(".tgz") {
            Some(Self::Gzip)
        } else if name.ends_with(".tar") {
            Some(Self::None)
        } else {
            None
        }
    }
}

/// Writes the layout `folder` as the archive `out` (`oci-layout`, `index.json`, then every
/// blob), with fixed owners, modes and times so that the same layout makes the same tar.
///
/// # Errors
///
/// [`LayoutError::Io`] if a file cannot be read or the archive written (it is then not
/// left behind).
pub fn write_archive(
    folder: &Path,
    out: &Path,
    compression: Compression,
) -> Result<(), LayoutError> {
    let name = out
        .file_name()
        .map_or_else(|| "archive".into(), |name| name.to_string_lossy());
    let partial = out.with_file_name(format!(".{name}.partial"));
    let written = write_tar(folder, &partial, compression).and_then(|()| {
        fs::rename(&partial, out).map_err(|err| LayoutError::io(out.display().to_string(), err))
    });
    if written.is_err() {
        let _ = fs::remove_file(&partial);
    }
    written
}

fn write_tar(folder: &Path, path: &Path, compression: Compression) -> Result<(), LayoutError> {
    let io = |err: std::io::Error| LayoutError::io(path.display().to_string(), err);
    let file = BufWriter::with_capacity(1 << 20, File::create(path).map_err(io)?);
    let file = match compression {
        Compression::None => {
            let file = append_layout(folder, file)?;
            file.into_inner().map_err(|err| io(err.into_error()))?
        }
        Compression::Gzip => {
            let encoder = flate2::write::GzEncoder::new(file, flate2::Compression::fast());
            let file = append_layout(folder, encoder)?.finish().map_err(io)?;
            file.into_inner().map_err(|err| io(err.into_error()))?
        }
        Compression::Zstd => {
            let encoder = zstd::stream::write::Encoder::new(file, 3).map_err(io)?;
            let file = append_layout(folder, encoder)?.finish().map_err(io)?;
            file.into_inner().map_err(|err| io(err.into_error()))?
        }
    };
    file.sync_all().map_err(io)
}

/// Appends the layout's files to a tar written to `writer`, and gives `writer` back.
fn append_layout<W: Write>(folder: &Path, writer: W) -> Result<W, LayoutError> {
    let mut tar = tar::Builder::new(writer);
    tar.mode(tar::HeaderMode::Deterministic);
    tar.follow_symlinks(false);
    let io = |path: &Path, err: std::io::Error| LayoutError::io(path.display().to_string(), err);
    for name in ["oci-layout", "index.json"] {
        let path = folder.join(name);
        tar.append_path_with_name(&path, name)
            .map_err(|err| io(&path, err))?;
    }
    let blobs = folder.join("blobs");
    let mut algorithms: Vec<_> = fs::read_dir(&blobs)
        .map_err(|err| io(&blobs, err))?
        .collect::<Result<_, _>>()
        .map_err(|err| io(&blobs, err))?;
    algorithms.sort_by_key(fs::DirEntry::file_name);
    for algorithm in algorithms {
        let path = algorithm.path();
        let Some(algorithm) = algorithm.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if !path.is_dir() || algorithm.starts_with('.') {
            continue;
        }
        let mut files: Vec<_> = fs::read_dir(&path)
            .map_err(|err| io(&path, err))?
            .collect::<Result<_, _>>()
            .map_err(|err| io(&path, err))?;
        files.sort_by_key(fs::DirEntry::file_name);
        for file in files {
            let Some(hex) = file.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            // Partial files of an interrupted run, and anything else not a blob's name.
            if hex.starts_with('.') || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue;
            }
            let file_path = file.path();
            let metadata = fs::symlink_metadata(&file_path).map_err(|err| io(&file_path, err))?;
            if !metadata.is_file() {
                continue;
            }
            tar.append_path_with_name(&file_path, format!("blobs/{algorithm}/{hex}"))
                .map_err(|err| io(&file_path, err))?;
        }
    }
    tar.into_inner().map_err(|err| io(folder, err))
}
