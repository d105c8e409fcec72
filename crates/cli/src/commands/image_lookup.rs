//! `vouch triangulate` and `vouch tree`: where an image's signatures live, and what is there.
//! Both run the same lookup as `verify` and verify nothing.

use anyhow::Context as _;
use vouch_oci::Lookup;

use crate::args::{ImageLookupArgs, OutputFormat};
use crate::exit::Outcome;
use crate::image_target::{self, Target};
use crate::output;
use crate::registry_flags;

/// `vouch triangulate IMAGE`: the places signatures for the image's digest live.
pub(crate) fn triangulate(args: &ImageLookupArgs) -> anyhow::Result<Outcome> {
    let (lookup, shown) = look_up(args, false)?;
    match args.output.format {
        OutputFormat::Text => output::image::triangulate_text(&lookup, &shown.repository)?,
        OutputFormat::Json => output::image::triangulate_json(&lookup, &shown.repository)?,
    }
    Ok(Outcome::Verified)
}

/// `vouch tree IMAGE`: every signature found, by place, unverified.
pub(crate) fn tree(args: &ImageLookupArgs) -> anyhow::Result<Outcome> {
    // cosign's tree lists the `.att` tag too.
    let (lookup, shown) = look_up(args, true)?;
    match args.output.format {
        OutputFormat::Text => output::image::tree_text(&lookup, &shown.image, &shown.repository)?,
        OutputFormat::Json => output::image::tree_json(&lookup, &shown.image, &shown.repository)?,
    }
    Ok(Outcome::Verified)
}

/// How the image and the place of its signatures are named in output.
struct Shown {
    image: String,
    repository: String,
}

/// The lookup (of attestations too, if `attestations`), and the repository signatures were
/// looked for in.
fn look_up(args: &ImageLookupArgs, attestations: bool) -> anyhow::Result<(Lookup, Shown)> {
    let target = image_target::parse_target(&args.image, args.lookup.local_image)?;
    let mut options = registry_flags::lookup_options(&args.lookup)?;
    if attestations {
        options = options.with_attestations();
    }
    image_target::warn_unused_signature_repository(
        &[(args.image.clone(), target.clone())],
        &options,
    );
    let repository = match (&target, &options.signature_repository) {
        (Target::DockerArchive { .. }, _) => {
            return Err(image_target::docker_archive_needs_signed_image());
        }
        (Target::Layout { .. }, _) => target.layout_place().unwrap_or_default(),
        (Target::Registry(_), Some(repository)) => repository.to_string(),
        (Target::Registry(image), None) => image.repository().to_string(),
    };
    let client = registry_flags::registry_client(&args.lookup.registry)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let lookup = runtime
        .block_on(image_target::look_up(&client, &target, options))
        .with_context(|| args.image.clone())?;
    Ok((
        lookup,
        Shown {
            image: target.shown(&args.image),
            repository,
        },
    ))
}
