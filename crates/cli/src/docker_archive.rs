//! `docker-archive:FILE` images, verified through the signed image they were saved from
//! (`verify --signed-image`): the signatures are those of the signed image; the archive's image
//! must be that image (its config is the one the signed manifest names, and its layers are the
//! config's `diff_ids`, checked by `vouch_oci::layout::DockerArchive`).

use std::path::PathBuf;

use vouch_oci::copy::CopySource;
use vouch_oci::layout::DockerArchive;
use vouch_oci::{Layout, OciDigest, RegistryClient};

use crate::image_target::Target;

/// The archive holds another image than the one whose signatures verified.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct NotTheSignedImage(String);

/// Checks that the image of the docker archive `path` (the one `reference` names, or its only
/// one) is the signed image `signed`, whose signatures verified for `digest`.
pub(crate) async fn check(
    client: &RegistryClient,
    signed: &Target,
    digest: &OciDigest,
    path: PathBuf,
    reference: Option<String>,
) -> anyhow::Result<()> {
    let shown = path.display().to_string();
    let image = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        let archive = DockerArchive::open(&path)?;
        Ok(archive.image(reference.as_deref())?.clone())
    })
    .await??;
    let source = match signed {
        Target::Registry(image) => CopySource::Registry {
            client: client.clone(),
            image: image.clone(),
        },
        Target::Layout { path, reference } => {
            let path = path.clone();
            CopySource::Layout {
                layout: tokio::task::spawn_blocking(move || Layout::open(&path)).await??,
                reference: reference.clone(),
            }
        }
        Target::DockerArchive { .. } => {
            return Err(crate::image_target::docker_archive_needs_signed_image());
        }
    };
    match source.manifest_with_config(digest, image.config()).await? {
        Some(manifest) => {
            tracing::info!(
                "{shown}: its config {} is the one manifest {manifest} names",
                image.config()
            );
            Ok(())
        }
        None => Err(NotTheSignedImage(format!(
            "the image in {shown} (config {}) is not the signed image {digest}: no manifest of it \
             names that config, so its signatures say nothing of this archive",
            image.config()
        ))
        .into()),
    }
}
