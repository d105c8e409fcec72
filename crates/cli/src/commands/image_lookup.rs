//! `vouch triangulate` and `vouch tree`: where an image's signatures live, and what is there.
//! Both run the same lookup as `verify` and verify nothing.

use anyhow::Context as _;
use vouch_oci::{ImageRef, Lookup};

use crate::args::{ImageLookupArgs, OutputFormat};
use crate::error::InputError;
use crate::exit::Outcome;
use crate::output;
use crate::registry_flags;

/// `vouch triangulate IMAGE`: the places signatures for the image's digest live.
pub(crate) fn triangulate(args: &ImageLookupArgs) -> anyhow::Result<Outcome> {
    let (lookup, repository) = look_up(args, false)?;
    match args.output.format {
        OutputFormat::Text => output::image::triangulate_text(&lookup, &repository)?,
        OutputFormat::Json => output::image::triangulate_json(&lookup, &repository)?,
    }
    Ok(Outcome::Verified)
}

/// `vouch tree IMAGE`: every signature found, by place, unverified.
pub(crate) fn tree(args: &ImageLookupArgs) -> anyhow::Result<Outcome> {
    // cosign's tree lists the `.att` tag too.
    let (lookup, repository) = look_up(args, true)?;
    match args.output.format {
        OutputFormat::Text => output::image::tree_text(&lookup, &repository)?,
        OutputFormat::Json => output::image::tree_json(&lookup, &repository)?,
    }
    Ok(Outcome::Verified)
}

/// The lookup (of attestations too, if `attestations`), and the repository signatures were
/// looked for in.
fn look_up(args: &ImageLookupArgs, attestations: bool) -> anyhow::Result<(Lookup, String)> {
    let image = ImageRef::parse(&args.image).map_err(|err| InputError::Usage {
        message: err.to_string(),
    })?;
    let mut options = registry_flags::lookup_options(&args.lookup)?;
    if attestations {
        options = options.with_attestations();
    }
    let repository = options
        .signature_repository
        .as_ref()
        .unwrap_or(image.repository())
        .to_string();
    let client = registry_flags::registry_client(&args.lookup.registry)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let lookup = runtime
        .block_on(client.lookup(&image, options))
        .with_context(|| args.image.clone())?;
    Ok((lookup, repository))
}
