//! `vouch completion SHELL`: a completion script generated from the command-line definition
//! itself, so it always knows every flag.

use clap::CommandFactory as _;

use crate::args::{Cli, CompletionArgs};
use crate::exit::Outcome;
use crate::output;

/// Prints the script on stdout.
pub(crate) fn run(args: &CompletionArgs) -> anyhow::Result<Outcome> {
    output::completion(args.shell, &mut Cli::command())?;
    Ok(Outcome::Verified)
}
