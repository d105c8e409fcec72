//! `vouch save`, `load` and `copy`: images with their signatures and attestations between
//! registries and layouts, through `vouch_oci::copy`. With --verify-with, an image is
//! verified at the source first and copied by the digest that verified, so a tag moved in
//! between cannot slip another image through.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;
use vouch_oci::copy::{CopyDestination, CopyOptions, CopyReport, CopySource, Parts, Plan};
use vouch_oci::layout::{Compression, LayoutWriter};
use vouch_oci::{ImagePolicy, ImageRef, Layout, LookupOptions, Platform, RegistryClient};
use vouch_sigstore::{Policy, Verifier};

use crate::args::{CopyArgs, LoadArgs, OnlyPart, SaveArgs, TransferArgs};
use crate::error::InputError;
use crate::exit::Outcome;
use crate::image_target::{self, Target};
use crate::output;
use crate::registry_flags::transfer_client;
use crate::signer::{self, Keyless};

/// `vouch save IMAGE... --dir DIR | --archive FILE`.
pub(crate) fn run_save(args: &SaveArgs) -> anyhow::Result<Outcome> {
    let images = args
        .images
        .iter()
        .map(|given| match image_target::parse_target(given, false)? {
            Target::Registry(image) => Ok((given.clone(), image)),
            Target::Layout { .. } | Target::DockerArchive { .. } => Err(usage(format!(
                "`{given}` is on disk: `vouch save` reads images from registries (use `vouch \
                 copy {given} oci:DIR` between layouts)"
            ))),
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let transfer = Transfer::new(&args.transfer)?;
    let (mut destination, _temporary, shown) = match (&args.dir, &args.archive) {
        (Some(dir), _) => (
            layout_destination(dir, None)?,
            None,
            format!("oci:{}", dir.display()),
        ),
        (None, Some(archive)) => {
            let (destination, temporary) = archive_destination(archive, None)?;
            (
                destination,
                Some(temporary),
                format!("oci-archive:{}", archive.display()),
            )
        }
        (None, None) => return Err(usage("give --dir DIR or --archive FILE".to_owned())),
    };
    let reports = transfer.block_on(async {
        let mut reports = Vec::with_capacity(images.len());
        for (given, image) in &images {
            let shown_image = image.to_string();
            if let CopyDestination::Layout { name, .. } = &mut destination {
                *name = Some(shown_image.clone());
            }
            let source = CopySource::Registry {
                client: transfer.client.clone(),
                image: image.clone(),
            };
            let report = transfer.copy_one(source, &mut destination, given).await?;
            reports.push((shown_image, report));
        }
        Ok::<_, anyhow::Error>(reports)
    })?;
    destination.finish().with_context(|| shown.clone())?;
    // Only now is the layout (or the archive) written: no line before it says "Copied".
    for (shown_image, report) in &reports {
        output::transfer::copied(shown_image, &format!("{shown}:{shown_image}"), report)?;
    }
    Ok(Outcome::Verified)
}

/// `vouch load LAYOUT REPOSITORY`.
pub(crate) fn run_load(args: &LoadArgs) -> anyhow::Result<Outcome> {
    let transfer = Transfer::new(&args.transfer)?;
    let (source, destination) = match (&args.dir, args.arguments.as_slice()) {
        (Some(dir), [destination]) => (dir.display().to_string(), destination),
        (None, [source, destination]) => (source.clone(), destination),
        (Some(_), _) => {
            return Err(usage(
                "with --dir, give the repository alone (cosign load --dir DIR IMAGE)".to_owned(),
            ));
        }
        (None, _) => {
            return Err(usage(
                "give the layout and the repository: vouch load LAYOUT REPOSITORY".to_owned(),
            ));
        }
    };
    let (path, reference) = if source.starts_with("oci:") || source.starts_with("oci-archive:") {
        match image_target::parse_target(&source, false)? {
            Target::Layout { path, reference } => (path, reference),
            Target::Registry(_) | Target::DockerArchive { .. } => {
                return Err(usage(format!("{source}: not an OCI layout")));
            }
        }
    } else {
        (PathBuf::from(&source), None)
    };
    let (layout, _temporary) = open_layout(&path)?;
    let transport = if layout.folder() == Some(path.as_path()) {
        "oci"
    } else {
        "oci-archive"
    };
    let given_destination = destination;
    let destination = destination.strip_prefix("docker://").unwrap_or(destination);
    let repository_image =
        ImageRef::parse(destination).map_err(|err| usage(format!("{given_destination}: {err}")))?;
    let given_tag = ImageRef::parse(destination)
        .ok()
        .and_then(|image| given_tag(&image, destination));
    let names: Vec<(String, Option<String>, String)> = match reference {
        Some(reference) => vec![(reference.clone(), tag_of(&reference), reference)],
        None => images_in(&layout)?,
    };
    if given_tag.is_some() && names.len() > 1 {
        return Err(usage(format!(
            "{} holds {} images and {} names one tag: give the repository alone (each image \
             keeps the tag in its name), or load one image (oci:PATH:NAME)",
            path.display(),
            names.len(),
            given_destination
        )));
    }
    let repository = repository_image.repository().clone();
    transfer.block_on(async {
        for (reference, tag, name) in names {
            let source = CopySource::Layout {
                layout: Layout::open_folder(layout.folder().unwrap_or(&path))?,
                reference: Some(reference.clone()),
            };
            let tag = given_tag.clone().or(tag);
            let mut destination = CopyDestination::Registry {
                client: transfer.client.clone(),
                repository: repository.clone(),
                tag: tag.clone(),
                force: transfer.force,
            };
            let given = format!("{transport}:{}:{name}", path.display());
            let report = transfer.copy_one(source, &mut destination, &given).await?;
            let shown = match &tag {
                Some(tag) => format!("{repository}:{tag}"),
                None => format!("{repository}@{}", report.image),
            };
            output::transfer::copied(&given, &shown, &report)?;
        }
        Ok::<_, anyhow::Error>(())
    })?;
    Ok(Outcome::Verified)
}

/// `vouch copy SOURCE DESTINATION`.
pub(crate) fn run_copy(args: &CopyArgs) -> anyhow::Result<Outcome> {
    let transfer = Transfer::new(&args.transfer)?;
    let mut temporaries = Vec::new();
    let source = match image_target::parse_target(&args.source, false)? {
        Target::DockerArchive { .. } => return Err(no_docker_archive(&args.source)),
        Target::Registry(image) => CopySource::Registry {
            client: transfer.client.clone(),
            image,
        },
        Target::Layout { path, reference } => {
            let (layout, temporary) = open_layout(&path)?;
            temporaries.extend(temporary);
            CopySource::Layout { layout, reference }
        }
    };
    let mut destination = match image_target::parse_target(&args.destination, false)? {
        Target::DockerArchive { .. } => return Err(no_docker_archive(&args.destination)),
        Target::Registry(image) => CopyDestination::Registry {
            client: transfer.client.clone(),
            repository: image.repository().clone(),
            tag: given_tag(&image, &args.destination),
            force: transfer.force,
        },
        Target::Layout { path, reference } => {
            if args.destination.starts_with("oci-archive:") {
                let (destination, temporary) = archive_destination(&path, reference)?;
                temporaries.push(temporary);
                destination
            } else {
                layout_destination(&path, reference)?
            }
        }
    };
    if let (CopyDestination::Layout { name, .. }, CopySource::Registry { image, .. }) =
        (&mut destination, &source)
        && name.is_none()
    {
        *name = Some(image.to_string());
    }
    let report = transfer.block_on(transfer.copy_one(source, &mut destination, &args.source))?;
    destination
        .finish()
        .with_context(|| args.destination.clone())?;
    output::transfer::copied(&args.source, &args.destination, &report)?;
    drop(temporaries);
    Ok(Outcome::Verified)
}

/// What every transfer shares: the client, the options, the key to verify with.
struct Transfer {
    client: RegistryClient,
    options: CopyOptions,
    verify: Option<(Policy, Verifier)>,
    force: bool,
    runtime: tokio::runtime::Runtime,
}

impl Transfer {
    fn new(args: &TransferArgs) -> anyhow::Result<Self> {
        let mut options = CopyOptions::new();
        if !args.only.is_empty() {
            options = options.with_parts(Parts {
                image: args.only.contains(&OnlyPart::Image),
                signatures: args.only.contains(&OnlyPart::Sig),
                attestations: args.only.contains(&OnlyPart::Att)
                    || args.only.contains(&OnlyPart::Sbom),
            });
        }
        if let Some(platform) = &args.platform {
            let platform = Platform::parse(platform).map_err(|err| {
                usage(format!(
                    "--platform: {err} (expected os/arch or os/arch/variant, e.g. linux/amd64)"
                ))
            })?;
            options = options.with_platform(platform);
        }
        let verify = match &args.verify_with {
            Some(key) => {
                if args.insecure_ignore_tlog {
                    output::warning(
                        "--insecure-ignore-tlog: the transparency log is not checked, and \
                         signatures without a log entry are accepted",
                    );
                }
                let policy = signer::policy(
                    Some(key),
                    Keyless {
                        identity: None,
                        identity_regexp: None,
                        issuer: None,
                        issuer_regexp: None,
                        extensions: &[],
                    },
                    args.insecure_ignore_tlog,
                    "copy",
                )?;
                Some((policy, signer::verifier(None)?))
            }
            None => None,
        };
        Ok(Self {
            client: transfer_client(&args.registry)?,
            options,
            verify,
            force: args.force,
            runtime: tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?,
        })
    }

    fn block_on<T>(&self, future: impl Future<Output = T>) -> T {
        self.runtime.block_on(future)
    }

    /// Verifies (with --verify-with), plans and copies one image.
    async fn copy_one(
        &self,
        source: CopySource,
        destination: &mut CopyDestination,
        given: &str,
    ) -> anyhow::Result<CopyReport> {
        let source = match &self.verify {
            Some((policy, verifier)) => self.verified(source, policy, verifier, given).await?,
            None => source,
        };
        let plan = Plan::gather(&source, &self.options)
            .await
            .with_context(|| given.to_owned())?;
        let bar = output::transfer::bar(plan.blob_bytes(), given);
        let progress = bar
            .clone()
            .map(|bar| Arc::new(move |bytes: u64| bar.inc(bytes)) as vouch_oci::copy::Progress);
        let report = plan
            .copy(&source, destination, progress)
            .await
            .with_context(|| given.to_owned())?;
        drop(bar);
        Ok(report)
    }

    /// The source pinned to the digest whose signatures verified with the key.
    async fn verified(
        &self,
        source: CopySource,
        policy: &Policy,
        verifier: &Verifier,
        given: &str,
    ) -> anyhow::Result<CopySource> {
        let mut options = LookupOptions::new();
        if let Some(platform) = &self.options.platform {
            options = options.with_platform(platform.clone());
        }
        let lookup = source
            .lookup(options)
            .await
            .with_context(|| given.to_owned())?;
        let _verified =
            vouch_oci::verify_image(&lookup, &ImagePolicy::new(policy.clone()), verifier)
                .with_context(|| format!("{given}: --verify-with refused to copy it"))?;
        Ok(source.pinned(&lookup.digest))
    }
}

/// A layout folder to write to.
fn layout_destination(dir: &Path, name: Option<String>) -> anyhow::Result<CopyDestination> {
    Ok(CopyDestination::Layout {
        writer: LayoutWriter::create(dir)?,
        name,
        archive: None,
    })
}

/// An archive to write: a folder beside it, packed and removed at the end.
fn archive_destination(
    archive: &Path,
    name: Option<String>,
) -> anyhow::Result<(CopyDestination, tempfile::TempDir)> {
    let compression = Compression::for_path(archive).ok_or_else(|| {
        usage(format!(
            "{}: an archive's name ends in .tar, .tar.gz (.tgz) or .tar.zst (.tzst), which \
             says how it is compressed",
            archive.display()
        ))
    })?;
    let parent = archive
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temporary = tempfile::Builder::new()
        .prefix(".vouch-save-")
        .tempdir_in(parent)
        .with_context(|| format!("making a working folder in {}", parent.display()))?;
    Ok((
        CopyDestination::Layout {
            writer: LayoutWriter::create(temporary.path())?,
            name,
            archive: Some((archive.to_path_buf(), compression)),
        },
        temporary,
    ))
}

/// A layout folder, or an archive extracted into a temporary folder (removed when the
/// returned guard is dropped).
fn open_layout(path: &Path) -> anyhow::Result<(Layout, Option<tempfile::TempDir>)> {
    let metadata = std::fs::metadata(path).with_context(|| path.display().to_string())?;
    if metadata.is_dir() {
        return Ok((Layout::open_folder(path)?, None));
    }
    // Where containers/image puts big temporary files: $TMPDIR, else /var/tmp (/tmp is often
    // a small tmpfs).
    #[expect(
        clippy::disallowed_methods,
        reason = "the CLI reads the environment: TMPDIR, as skopeo does"
    )]
    let base = std::env::var_os("TMPDIR")
        .filter(|dir| !dir.is_empty())
        .map_or_else(|| PathBuf::from("/var/tmp"), PathBuf::from);
    let temporary = tempfile::Builder::new()
        .prefix("vouch-load-")
        .tempdir_in(&base)
        .with_context(|| format!("making a folder to extract into in {}", base.display()))?;
    let layout = Layout::extract_archive(path, temporary.path())?;
    Ok((layout, Some(temporary)))
}

/// Every image of a layout: its digest, the tag it is loaded under (the tag in its name) and
/// how it is shown (its name, else its digest). The entries that name an image, not
/// signatures.
fn images_in(layout: &Layout) -> anyhow::Result<Vec<(String, Option<String>, String)>> {
    let mut seen = std::collections::HashSet::new();
    let mut images = Vec::new();
    for entry in layout.index().entries() {
        let named = entry
            .ref_name()
            .is_some_and(|name| !vouch_oci::layout::is_signature_tag(name));
        let cosign_image = matches!(
            entry.cosign_kind(),
            Some(vouch_oci::layout::KIND_IMAGE | vouch_oci::layout::KIND_IMAGE_INDEX)
        );
        if (named || cosign_image) && seen.insert(entry.digest().clone()) {
            images.push((
                entry.digest().to_string(),
                entry.ref_name().and_then(tag_of),
                entry
                    .ref_name()
                    .map_or_else(|| entry.digest().to_string(), str::to_owned),
            ));
        }
    }
    if images.is_empty() {
        let only = layout.resolve(None)?;
        images.push((only.digest().to_string(), None, only.digest().to_string()));
    }
    Ok(images)
}

/// The tag in a `ref.name`: `v1`, or the tag of `registry/repo:v1`; `None` for a name that
/// holds no valid tag.
fn tag_of(name: &str) -> Option<String> {
    if name.starts_with("sha256:") || name.starts_with("sha512:") {
        return None;
    }
    let tag = match name.rsplit_once(':') {
        Some((_, tag)) if !tag.contains('/') => tag,
        _ if !name.contains('/') => name,
        _ => return None,
    };
    let valid = tag.len() <= 128
        && tag
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_')
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    valid.then(|| tag.to_owned())
}

/// The tag `given` names, if it names one: `ImageRef` reads `registry/repo` as
/// `registry/repo:latest`, and a copy must not invent a `latest` tag.
fn given_tag(image: &ImageRef, given: &str) -> Option<String> {
    let text = given.strip_prefix("docker://").unwrap_or(given);
    let last = text.rsplit('/').next().unwrap_or(text);
    let last = last.split_once('@').map_or(last, |(name, _)| name);
    image
        .tag()
        .filter(|_| last.contains(':'))
        .map(str::to_owned)
}

/// A docker archive has no place for signatures, and its image no registry manifest.
fn no_docker_archive(given: &str) -> anyhow::Error {
    usage(format!(
        "`{given}`: a `docker save` archive holds no signatures and no registry manifest, so \
         vouch copies images with their signatures only between registries and OCI layouts \
         (oci:DIR, oci-archive:FILE); verify a docker archive with `vouch verify --signed-image`"
    ))
}

fn usage(message: String) -> anyhow::Error {
    InputError::Usage { message }.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_come_from_names() {
        assert_eq!(tag_of("v1").as_deref(), Some("v1"));
        assert_eq!(tag_of("localhost:5000/app:1.2").as_deref(), Some("1.2"));
        assert_eq!(tag_of("registry.example/app"), None);
        assert_eq!(tag_of("localhost:5000/app"), None);
        assert_eq!(tag_of("sha256:abc"), None);
        assert_eq!(tag_of("bad tag"), None);
    }

    #[test]
    fn latest_is_not_invented() {
        let tag = |given: &str| {
            let image = ImageRef::parse(given.strip_prefix("docker://").unwrap_or(given)).unwrap();
            given_tag(&image, given)
        };
        assert_eq!(tag("localhost:5000/app"), None);
        assert_eq!(tag("localhost:5000/app:v2").as_deref(), Some("v2"));
        assert_eq!(
            tag("docker://r.example/a/b:latest").as_deref(),
            Some("latest")
        );
        let digest = format!("r.example/app@sha256:{}", "a".repeat(64));
        assert_eq!(tag(&digest), None);
    }
}
