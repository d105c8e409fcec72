//! Where an image is: a registry (`registry/repo:tag`, skopeo's `docker://…`), or an OCI image
//! layout on disk (skopeo's `oci:PATH[:REF]` and `oci-archive:FILE[:REF]`, cosign's
//! `--local-image PATH`). Both are looked up by the same lookup; a layout never touches the
//! network.

use std::path::PathBuf;

use vouch_oci::{ImageRef, Layout, Lookup, LookupOptions, RegistryClient};

use crate::error::InputError;

/// An image to look up.
#[derive(Debug, Clone)]
pub(crate) enum Target {
    /// In a registry.
    Registry(ImageRef),
    /// In a layout folder or an archive of one, with the name or digest of its entry (none:
    /// the only image there).
    Layout {
        path: PathBuf,
        reference: Option<String>,
    },
    /// A `docker save` archive (`docker-archive:FILE[:REF]`): the image without signatures,
    /// verified through the signed image it came from (`verify --signed-image`).
    DockerArchive {
        path: PathBuf,
        reference: Option<String>,
    },
}

impl Target {
    /// How the image is named in output: the normalised reference, or the layout as given.
    pub(crate) fn shown(&self, given: &str) -> String {
        match self {
            Self::Registry(image) => image.to_string(),
            Self::Layout { .. } | Self::DockerArchive { .. } => given.to_owned(),
        }
    }

    /// Where signatures are looked for, in output (`tree`, `triangulate`): the layout as
    /// skopeo names it (`oci:PATH`), followed there by `:sha256-<hex>.sig` and the like.
    pub(crate) fn layout_place(&self) -> Option<String> {
        match self {
            Self::Registry(_) | Self::DockerArchive { .. } => None,
            Self::Layout { path, .. } => Some(format!("oci:{}", path.display())),
        }
    }

    /// The registry reference, if the image is in a registry.
    pub(crate) fn registry(&self) -> Option<&ImageRef> {
        match self {
            Self::Registry(image) => Some(image),
            Self::Layout { .. } | Self::DockerArchive { .. } => None,
        }
    }
}

/// Parses one image argument. With `local_image` (cosign's `--local-image`) every argument
/// is a layout path.
pub(crate) fn parse_target(given: &str, local_image: bool) -> anyhow::Result<Target> {
    if local_image {
        return Ok(Target::Layout {
            path: PathBuf::from(given),
            reference: None,
        });
    }
    // skopeo's transports; the path ends at the first `:` after the prefix, as in
    // containers/image (a reference may itself hold colons: `oci:dir:registry/x:tag`).
    for (prefix, example) in [
        ("oci:", "./image-layout:v1"),
        ("oci-archive:", "./image.tar.zst:v1"),
        ("docker-archive:", "./app.tar"),
    ] {
        let Some(rest) = given.strip_prefix(prefix) else {
            continue;
        };
        let (path, reference) = match rest.split_once(':') {
            Some((path, reference)) => (path, Some(reference.to_owned())),
            None => (rest, None),
        };
        if path.is_empty() {
            return Err(usage(format!(
                "`{given}`: {prefix} takes a path (e.g. {prefix}{example})"
            )));
        }
        let path = PathBuf::from(path);
        let reference = reference.filter(|r| !r.is_empty());
        return Ok(if prefix == "docker-archive:" {
            Target::DockerArchive { path, reference }
        } else {
            Target::Layout { path, reference }
        });
    }
    if given.starts_with("docker-daemon:") {
        return Err(usage(format!(
            "`{given}`: vouch does not read the docker daemon; `docker save` the image and verify \
             docker-archive:FILE --signed-image IMAGE, or copy the image with its signatures \
             into an OCI layout (`vouch save`) and verify oci:DIR"
        )));
    }
    let text = given.strip_prefix("docker://").unwrap_or(given);
    ImageRef::parse(text)
        .map(Target::Registry)
        .map_err(|err| usage(err.to_string()))
}

/// Every argument parsed before anything is looked up, so a typo fails at once.
pub(crate) fn parse_targets(
    images: &[String],
    local_image: bool,
) -> anyhow::Result<Vec<(String, Target)>> {
    images
        .iter()
        .map(|given| Ok((given.clone(), parse_target(given, local_image)?)))
        .collect()
}

/// Warns that `--signature-repository` (or `COSIGN_REPOSITORY`) does not apply to images on
/// disk, if it is set and some are: their signatures are in the layout.
pub(crate) fn warn_unused_signature_repository(
    targets: &[(String, Target)],
    options: &LookupOptions,
) {
    if options.signature_repository.is_some()
        && targets
            .iter()
            .any(|(_, target)| target.registry().is_none())
    {
        crate::output::warning(
            "--signature-repository (or COSIGN_REPOSITORY) applies to images in registries only: \
             the signatures of an image on disk are read from its layout",
        );
    }
}

/// Looks the image up where it is. A layout is read on a blocking thread.
pub(crate) async fn look_up(
    client: &RegistryClient,
    target: &Target,
    options: LookupOptions,
) -> anyhow::Result<Lookup> {
    match target {
        Target::Registry(image) => Ok(client.lookup(image, options).await?),
        Target::DockerArchive { .. } => Err(docker_archive_needs_signed_image()),
        Target::Layout { path, reference } => {
            let (path, reference) = (path.clone(), reference.clone());
            tokio::task::spawn_blocking(move || {
                look_up_layout(&path, reference.as_deref(), options)
            })
            .await?
        }
    }
}

/// A docker archive holds no signatures: only `verify --signed-image` reaches them.
pub(crate) fn docker_archive_needs_signed_image() -> anyhow::Error {
    usage(
        "a `docker save` archive holds no signatures and no registry manifest: verify it with \
         `vouch verify --key … --signed-image IMAGE docker-archive:FILE`, IMAGE being the signed \
         image it was saved from (in a registry or a layout)"
            .to_owned(),
    )
}

/// Looks the image up in a layout, synchronously.
pub(crate) fn look_up_layout(
    path: &std::path::Path,
    reference: Option<&str>,
    options: LookupOptions,
) -> anyhow::Result<Lookup> {
    let layout = Layout::open(path)?;
    Ok(layout.lookup(reference, options)?)
}

fn usage(message: String) -> anyhow::Error {
    InputError::Usage { message }.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skopeo_and_cosign_forms() {
        let Target::Layout { path, reference } =
            parse_target("oci:dir:docker.io/x:1", false).unwrap()
        else {
            panic!("not a layout")
        };
        assert_eq!(
            (path.to_str(), reference.as_deref()),
            (Some("dir"), Some("docker.io/x:1"))
        );
        let Target::Layout { path, reference } =
            parse_target("oci-archive:a.tar.zst", false).unwrap()
        else {
            panic!("not a layout")
        };
        assert_eq!((path.to_str(), reference), (Some("a.tar.zst"), None));
        assert!(
            matches!(parse_target("oci:x", true).unwrap(), Target::Layout { path, .. } if path.to_str() == Some("oci:x"))
        );
        assert!(matches!(
            parse_target("docker://alpine", false).unwrap(),
            Target::Registry(_)
        ));
        assert!(matches!(
            parse_target("docker-archive:x.tar:r.example/app:v1", false).unwrap(),
            Target::DockerArchive { path, reference }
                if path.to_str() == Some("x.tar") && reference.as_deref() == Some("r.example/app:v1")
        ));
        assert!(parse_target("docker-daemon:x", false).is_err());
        assert!(parse_target("oci:", false).is_err());
    }
}
