//! `vouch`: verify detached signatures over files, Sigstore bundles, and container image
//! signatures in OCI registries.
//!
//! See `docs/cli.md` for the commands, their output and exit codes, and
//! `docs/architecture.md` for how the modules below are layered.

// Top: the command line and the commands.
mod args;
mod commands;
// Shared by several commands.
mod attestation_flags;
mod attestations;
mod data;
mod docker_archive;
mod file_reading;
mod folder;
mod github;
mod image_target;
mod input;
mod password;
mod policy_memory;
mod policy_runtime;
mod registry_flags;
mod signer;
mod signing;
mod trust_policy;
mod webhook;
mod write;
// The only writer to the terminal.
mod output;
// What to do next, for every error.
mod hints;
// Bottom: errors and exit codes, and escaping.
mod error;
mod escape;
mod exit;

use std::process::ExitCode;

use clap::{CommandFactory as _, FromArgMatches as _};

use crate::args::Cli;

/// The system's allocator, counted while a Rego policy runs (`policy_memory`).
#[global_allocator]
static ALLOCATOR: policy_memory::Bounded = policy_memory::Bounded;
use crate::error::Role;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits 2 (0 for --help and --version).
    let matches = Cli::command()
        .long_version(args::LONG_VERSION)
        .get_matches();
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    output::configure(&cli.global);
    output::trace::init(cli.global.verbose);
    let report_file = cli.command.output().and_then(|o| o.output_file.as_deref());
    if report_file.is_some() {
        output::capture_report();
    }
    let mut result = match refused(&cli.command) {
        Some(err) => Err(err),
        None => commands::run(&cli.command),
    };
    if let Some(path) = report_file {
        // Whatever the verdict, the report is the record of it; nothing printed, no file.
        if let Some(report) = output::take_report() {
            let written = write::stage(path, &report, Role::Report, write::PUBLIC_MODE)
                .and_then(write::Pending::commit);
            if let Err(err) = written {
                result = Err(err.into());
            }
        }
    }
    match result {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            output::error(&err, &hints::hints(&err));
            ExitCode::from(exit::code(&err))
        }
    }
}

/// A cosign flag vouch does not implement, or `--tlog-upload` (true) it cannot honour: refused
/// before anything is read or sent, never ignored.
fn refused(command: &args::Command) -> Option<anyhow::Error> {
    let message = command
        .cosign_only()
        .and_then(args::CosignOnly::refusal)
        .or_else(|| {
            (command.tlog_upload() == Some(true)).then(|| {
                "--tlog-upload: vouch makes no transparency-log entry (no Rekor upload); pass \
                 --tlog-upload=false, as scripts signing with a private key do, or leave it out"
                    .to_owned()
            })
        })?;
    Some(error::InputError::Usage { message }.into())
}
