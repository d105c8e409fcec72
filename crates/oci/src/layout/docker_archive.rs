//! `docker save` archives (`docker-archive:`, as docker and skopeo write them): the image
//! alone. Its registry manifest is gone (the layers are stored uncompressed), so no signature
//! can name it; what survives is the image's config, byte for byte, and the config names every
//! layer by the digest of its uncompressed tar (`rootfs.diff_ids`). An archive is therefore
//! tied to a signed image by a chain: signature → manifest → config digest → diff_ids → the
//! layer files, each link checked here or by the caller ([`DockerImage::config`] against the
//! signed manifest's config).
//!
//! Read once, as a stream (plain, gzip or zstd), every file hashed as it passes; only small
//! JSON files (`manifest.json`, configs) are kept.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use serde::Deserialize;
use sha2::Digest as _;

use super::LayoutError;
use super::archive::{ArchiveLimits, Budget, entry_name, open_stream};
use crate::manifest::truncate;
use crate::{MAX_MANIFEST_BYTES, OciDigest};

/// Most images one archive's `manifest.json` may list.
const MAX_IMAGES: usize = 1000;

/// A `docker save` archive, read and checked.
#[derive(Debug, Clone)]
pub struct DockerArchive {
    what: String,
    images: Vec<DockerImage>,
}

/// One image of a docker archive: its config (hashed) and its layers, checked against the
/// config's `rootfs.diff_ids`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerImage {
    repo_tags: Vec<String>,
    config: OciDigest,
    layers: Vec<OciDigest>,
}

impl DockerImage {
    /// The digest of its config: what a signed manifest names as `config.digest`.
    pub fn config(&self) -> &OciDigest {
        &self.config
    }

    /// The names `docker save` gave it (`RepoTags`).
    pub fn repo_tags(&self) -> &[String] {
        &self.repo_tags
    }

    /// The digests of its layers as stored (uncompressed tars): its config's `diff_ids`.
    pub fn layers(&self) -> &[OciDigest] {
        &self.layers
    }
}

/// An entry of `manifest.json`.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Entry {
    config: String,
    #[serde(default)]
    repo_tags: Option<Vec<String>>,
    layers: Vec<String>,
}

/// What the config says of its layers.
#[derive(Deserialize)]
struct Config {
    rootfs: RootFs,
}

#[derive(Deserialize)]
struct RootFs {
    diff_ids: Vec<String>,
}

/// A file of the archive: its digest, and its bytes if small and JSON.
struct File {
    digest: OciDigest,
    kept: Option<Vec<u8>>,
}

impl DockerArchive {
    /// Reads the archive file `path`, bounded as [`ArchiveLimits::for_archive_of`] its size.
    ///
    /// # Errors
    ///
    /// As [`Self::read`].
    pub fn open(path: &Path) -> Result<Self, LayoutError> {
        let what = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|err| LayoutError::io(&what, err))?;
        let len = file
            .metadata()
            .map_err(|err| LayoutError::io(&what, err))?
            .len();
        Self::read(file, &what, ArchiveLimits::for_archive_of(len))
    }

    /// Reads a docker archive from `reader` in one pass, named `what` in messages: every file
    /// hashed, every image's layers checked against its config's `diff_ids`.
    ///
    /// # Errors
    ///
    /// [`LayoutError::NotALayout`] for what is not a docker archive (no `manifest.json`),
    /// [`LayoutError::Corrupt`] for a layer that is not what its config names or a file
    /// missing, [`LayoutError::Refused`] for hostile entries and spent budgets.
    pub fn read(reader: impl Read, what: &str, limits: ArchiveLimits) -> Result<Self, LayoutError> {
        let stream = open_stream(reader, what)?;
        let mut archive = tar::Archive::new(Budget::new(stream, limits.max_stream_bytes));
        let files = read_files(&mut archive, what, limits);
        if archive.into_inner().exceeded() {
            return Err(LayoutError::refused(
                what,
                format!(
                    "its tar stream is over {} bytes once decompressed (a compression bomb, or \
                     an archive too large for this limit)",
                    limits.max_stream_bytes
                ),
            ));
        }
        let (files, links) = files?;
        let find = |name: &str| -> Option<&File> {
            let name = links.get(name).map_or(name, String::as_str);
            files.get(name)
        };
        let manifest = find("manifest.json")
            .and_then(|file| file.kept.as_deref())
            .ok_or_else(|| {
                LayoutError::not_a_layout(
                    what,
                    "no manifest.json: not a `docker save` archive (an OCI layout archive is \
                     read as oci-archive:FILE)",
                )
            })?;
        vouch_sigstore::check_json(manifest, crate::lookup::MAX_MANIFEST_COST)
            .map_err(|err| LayoutError::not_a_layout(what, format!("manifest.json: {err}")))?;
        let entries: Vec<Entry> = serde_json::from_slice(manifest)
            .map_err(|err| LayoutError::not_a_layout(what, format!("manifest.json: {err}")))?;
        if entries.len() > MAX_IMAGES {
            return Err(LayoutError::refused(
                what,
                format!("manifest.json lists more than {MAX_IMAGES} images"),
            ));
        }
        let missing = |name: &str| {
            LayoutError::corrupt(
                format!("{what}: {}", truncate(name, 200)),
                "named by manifest.json but not in the archive",
            )
        };
        let mut images = Vec::with_capacity(entries.len());
        for entry in entries {
            let config_file = find(&normal(&entry.config)).ok_or_else(|| missing(&entry.config))?;
            let config_bytes = config_file.kept.as_deref().ok_or_else(|| {
                LayoutError::refused(
                    format!("{what}: {}", truncate(&entry.config, 200)),
                    format!("an image config over {MAX_MANIFEST_BYTES} bytes"),
                )
            })?;
            let config: Config = serde_json::from_slice(config_bytes).map_err(|err| {
                LayoutError::corrupt(
                    format!("{what}: {}", truncate(&entry.config, 200)),
                    format!("not an image config with rootfs.diff_ids: {err}"),
                )
            })?;
            let diff_ids = config
                .rootfs
                .diff_ids
                .iter()
                .map(|text| OciDigest::parse(text))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|err| {
                    LayoutError::corrupt(
                        format!("{what}: {}", truncate(&entry.config, 200)),
                        format!("rootfs.diff_ids: {err}"),
                    )
                })?;
            let mut layers = Vec::with_capacity(entry.layers.len());
            for layer in &entry.layers {
                layers.push(
                    find(&normal(layer))
                        .ok_or_else(|| missing(layer))?
                        .digest
                        .clone(),
                );
            }
            if layers != diff_ids {
                return Err(LayoutError::corrupt(
                    format!("{what}: image {}", config_file.digest),
                    format!(
                        "its layer files hash to {}, its config names {}: a layer was changed, \
                         or is stored compressed (a `docker save` of docker 25 or later is also \
                         an OCI layout: verify it as oci-archive:FILE)",
                        list(&layers),
                        list(&diff_ids)
                    ),
                ));
            }
            images.push(DockerImage {
                repo_tags: entry.repo_tags.unwrap_or_default(),
                config: config_file.digest.clone(),
                layers,
            });
        }
        Ok(Self {
            what: what.to_owned(),
            images,
        })
    }

    /// Every image of the archive.
    pub fn images(&self) -> &[DockerImage] {
        &self.images
    }

    /// The image `reference` names (one of its `RepoTags`, or its config digest), or the only
    /// one.
    ///
    /// # Errors
    ///
    /// [`LayoutError::ImageNotFound`] naming what the archive holds.
    pub fn image(&self, reference: Option<&str>) -> Result<&DockerImage, LayoutError> {
        let found = match reference {
            Some(reference) => self.images.iter().find(|image| {
                image.config.to_string() == reference
                    || image.repo_tags.iter().any(|tag| tag == reference)
            }),
            None if self.images.len() == 1 => self.images.first(),
            None => None,
        };
        found.ok_or_else(|| {
            let held: Vec<String> = self
                .images
                .iter()
                .take(20)
                .map(|image| match image.repo_tags.first() {
                    Some(tag) => truncate(tag, 200),
                    None => image.config.to_string(),
                })
                .collect();
            LayoutError::ImageNotFound {
                what: match reference {
                    Some(reference) => format!("{}:{}", self.what, truncate(reference, 200)),
                    None => self.what.clone(),
                },
                detail: format!(
                    "{} image(s) in manifest.json ({}){}",
                    self.images.len(),
                    held.join(", "),
                    if reference.is_none() && self.images.len() > 1 {
                        "; name one (docker-archive:FILE:REPO:TAG)"
                    } else {
                        ""
                    }
                ),
            }
        })
    }
}

type Files = (HashMap<String, File>, HashMap<String, String>);

/// Every regular file hashed (small JSON kept), and links by name → target, within the
/// archive.
fn read_files<R: Read>(
    archive: &mut tar::Archive<R>,
    what: &str,
    limits: ArchiveLimits,
) -> Result<Files, LayoutError> {
    let broken = |err: std::io::Error| {
        LayoutError::not_a_layout(what, format!("not a readable tar archive: {err}"))
    };
    let mut files = HashMap::new();
    let mut links = HashMap::new();
    let mut kept_bytes = 0u64;
    let mut buffer = vec![0u8; 1 << 20];
    for (count, entry) in archive.entries().map_err(broken)?.enumerate() {
        let mut entry = entry.map_err(broken)?;
        if count as u64 >= limits.max_entries {
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
        if kind.is_symlink() || kind.is_hard_link() {
            // docker's legacy format links a repeated layer to the first copy
            // (`<id>/layer.tar -> ../<other>/layer.tar`): followed within the archive only.
            let target = entry
                .link_name_bytes()
                .map(|target| String::from_utf8_lossy(&target).into_owned())
                .unwrap_or_default();
            let resolved = if kind.is_symlink() {
                resolve(&name, &target)
            } else {
                Some(normal(&target))
            };
            let Some(resolved) = resolved else {
                return Err(LayoutError::refused(
                    format!("{what}: entry {name:?}"),
                    "a link that reaches outside the archive",
                ));
            };
            links.insert(name, resolved);
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        if files.contains_key(&name) {
            return Err(LayoutError::refused(
                format!("{what}: entry {name:?}"),
                "the name appears twice (two readers could take different ones)",
            ));
        }
        let size = entry.size();
        let keep = name.ends_with(".json") && size <= MAX_MANIFEST_BYTES;
        if keep {
            kept_bytes += size;
            if kept_bytes > limits.max_kept_bytes {
                return Err(LayoutError::refused(
                    what,
                    format!("more than {} bytes of JSON files", limits.max_kept_bytes),
                ));
            }
        }
        let mut hasher = sha2::Sha256::new();
        let mut kept = keep.then(Vec::new);
        loop {
            let read = entry.read(&mut buffer).map_err(broken)?;
            if read == 0 {
                break;
            }
            hasher.update(&buffer[..read]);
            if let Some(kept) = &mut kept {
                kept.extend_from_slice(&buffer[..read]);
            }
        }
        let digest = OciDigest::parse(&format!("sha256:{}", hex::encode(hasher.finalize())))
            .unwrap_or_else(|_| unreachable!());
        files.insert(name, File { digest, kept });
    }
    Ok((files, links))
}

/// A name as `manifest.json` gives it, as the archive's entries are named.
fn normal(name: &str) -> String {
    name.split('/')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect::<Vec<_>>()
        .join("/")
}

/// The entry a symlink `name` → `target` points at, if it stays in the archive.
fn resolve(name: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = name.split('/').collect();
    parts.pop();
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

fn list(digests: &[OciDigest]) -> String {
    let shown: Vec<String> = digests.iter().take(10).map(ToString::to_string).collect();
    format!("[{}]", shown.join(", "))
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
            header.set_cksum();
            builder.append_data(&mut header, name, *bytes).unwrap();
        }
        builder.into_inner().unwrap()
    }

    fn limits() -> ArchiveLimits {
        ArchiveLimits::for_archive_of(1 << 20)
    }

    fn archive(layer: &[u8], diff_id: &OciDigest) -> Vec<u8> {
        let config = format!(r#"{{"rootfs":{{"type":"layers","diff_ids":["{diff_id}"]}}}}"#);
        let config_name = format!("{}.json", OciDigest::sha256_of(config.as_bytes()).hex());
        let manifest = format!(
            r#"[{{"Config":"{config_name}","RepoTags":["r.example/app:v1"],"Layers":["l/layer.tar"]}}]"#
        );
        tar_of(&[
            ("manifest.json", manifest.as_bytes()),
            (&config_name, config.as_bytes()),
            ("l/layer.tar", layer),
        ])
    }

    #[test]
    fn layers_are_checked_against_the_config() {
        let layer = b"a layer";
        let diff_id = OciDigest::sha256_of(layer);
        let read = DockerArchive::read(&archive(layer, &diff_id)[..], "a.tar", limits()).unwrap();
        let image = read.image(Some("r.example/app:v1")).unwrap();
        assert_eq!(image.layers(), std::slice::from_ref(&diff_id));
        assert_eq!(read.image(None).unwrap(), image);
        assert!(matches!(
            read.image(Some("r.example/app:v2")),
            Err(LayoutError::ImageNotFound { .. })
        ));
        let changed = archive(b"a layeR", &diff_id);
        assert!(matches!(
            DockerArchive::read(&changed[..], "a.tar", limits()),
            Err(LayoutError::Corrupt { .. })
        ));
        assert!(matches!(
            DockerArchive::read(&tar_of(&[("x", b"y")])[..], "a.tar", limits()),
            Err(LayoutError::NotALayout { .. })
        ));
    }

    #[test]
    fn links_stay_inside() {
        assert_eq!(
            resolve("b/layer.tar", "../a/layer.tar").as_deref(),
            Some("a/layer.tar")
        );
        assert_eq!(resolve("b/layer.tar", "../../etc/passwd"), None);
        assert_eq!(resolve("b/layer.tar", "/etc/passwd"), None);
    }
}
