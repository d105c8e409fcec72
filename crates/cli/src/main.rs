//! `vouch`: verify detached signatures over files, Sigstore bundles, and container image
//! signatures in OCI registries.
//!
//! See `docs/cli.md` for the commands, their output and exit codes.

mod cli;
mod error;
mod escape;
mod exit;
mod folder;
mod image_lookup;
mod input;
mod keys_cmd;
mod output;
mod password;
mod sign_blob;
mod sign_dir;
mod sign_image;
mod signer;
mod verify;
mod verify_blob;
mod verify_bundle;
mod verify_dir;
mod verify_image;
mod write;

use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::exit::Outcome;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits 2 (0 for --help and --version).
    let cli = Cli::parse();
    match run(&cli) {
        Ok(outcome) => outcome.into(),
        Err(err) => {
            output::error(&err, &error::hints(&err));
            ExitCode::from(exit::code(&err))
        }
    }
}

fn run(cli: &Cli) -> anyhow::Result<Outcome> {
    match &cli.command {
        Command::VerifyBlob(args) => verify_blob::run(args),
        Command::VerifyDir(args) => verify_dir::run(args),
        Command::Verify(args) => verify_image::run(args),
        Command::Triangulate(args) => image_lookup::triangulate(args),
        Command::Tree(args) => image_lookup::tree(args),
        Command::SignBlob(args) => sign_blob::run(args),
        Command::SignDir(args) => sign_dir::run(args),
        Command::Sign(args) => sign_image::run(args),
        Command::GenerateKeyPair(args) => keys_cmd::generate(args),
        Command::ImportKeyPair(args) => keys_cmd::import(args),
        Command::PublicKey(args) => keys_cmd::public_key(args),
    }
}
