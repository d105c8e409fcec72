//! Project automation, run as `cargo xtask <command>` (alias in `.cargo/config.toml`).
//!
//! * `cargo xtask fixtures [--check]`: write (or compare) the generated fixtures under
//!   `testdata/generated/`.
//! * `cargo xtask bench blob`: vouch against `openssl dgst` on large files and folders.
//! * `cargo xtask bench attest`: `vouch verify-blob-attestation` of SBOM attestations against
//!   `sha256sum` reading the SBOM, time and peak RSS.
//! * `cargo xtask bench oci`: `vouch verify` over many images against one invocation per image,
//!   on a local registry.
//! * `cargo xtask tidy`: the workspace invariants of `docs/architecture.md`.
//! * `cargo xtask man`: the man pages under `docs/man/`, from vouch's own `--help` definition
//!   (a test in the CLI suite fails when they are stale).
#![expect(clippy::print_stdout, reason = "xtask is a command-line program")]
#![expect(clippy::print_stderr, reason = "xtask is a command-line program")]

mod bench;
mod bench_oci;
mod fixtures;
mod man;
mod tidy;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "vouch project automation")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write the deterministic fixtures under testdata/generated/.
    Fixtures {
        /// Compare instead of writing; fail if anything is stale.
        #[arg(long)]
        check: bool,
    },
    /// Run a benchmark against the peer implementation and print ratios.
    Bench {
        #[command(subcommand)]
        which: bench::Which,
    },
    /// Check the workspace invariants (pure crates, no printing outside the CLI, provenance).
    Tidy,
    /// Write the man pages under docs/man/ (one per command).
    Man,
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Fixtures { check } => {
            let mode = if check {
                fixtures::Mode::Check
            } else {
                fixtures::Mode::Write
            };
            fixtures::generate(&project_root(), mode)
        }
        Command::Bench { which } => bench::run(&project_root(), &which),
        Command::Tidy => tidy::check(&project_root()),
        Command::Man => man::write(&project_root()),
    }
}

/// The workspace root (xtask lives one level below it).
fn project_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map_or(manifest_dir.clone(), std::path::Path::to_path_buf)
}
