//! `vouch manpages DIR` (hidden): `vouch.1` and one `vouch-<command>.1` per command, from the
//! command-line definition, so that the pages say what `--help` says.

use std::fs;

use anyhow::Context as _;
use clap::CommandFactory as _;

use crate::args::{Cli, ManpagesArgs};
use crate::exit::Outcome;

/// Writes the pages; prints nothing.
pub(crate) fn run(args: &ManpagesArgs) -> anyhow::Result<Outcome> {
    fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating {}", crate::input::display(&args.dir)))?;
    let command = Cli::command();
    clap_mangen::generate_to(command, &args.dir).with_context(|| {
        format!(
            "writing man pages into {}",
            crate::input::display(&args.dir)
        )
    })?;
    Ok(Outcome::Verified)
}
