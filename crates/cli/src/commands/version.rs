//! `vouch version`: what this binary is, for bug reports and for auditors.

use crate::args::{OutputFormat, VersionArgs};
use crate::exit::Outcome;
use crate::output::{self, version::Version};

/// This binary's facts, set at build time by build.rs.
fn this_build() -> Version {
    Version {
        version: env!("CARGO_PKG_VERSION"),
        commit: env!("VOUCH_GIT_COMMIT"),
        commit_date: env!("VOUCH_COMMIT_DATE"),
        target: env!("VOUCH_TARGET"),
        features: vec!["registry"],
    }
}

/// Prints the facts as text lines or one JSON document.
pub(crate) fn run(args: &VersionArgs) -> anyhow::Result<Outcome> {
    let version = this_build();
    match args.output.format {
        OutputFormat::Json => output::version::version_json(&version)?,
        OutputFormat::Text => output::version::version_text(&version)?,
    }
    Ok(Outcome::Verified)
}
