//! `cargo xtask bench`: owned by the benchmark work; placeholder until it lands.
use std::path::Path;

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Which {
    /// vouch verify-blob / verify-dir against openssl dgst.
    Blob,
}

pub(crate) fn run(_root: &Path, _which: &Which) -> anyhow::Result<()> {
    anyhow::bail!("benchmark not written yet")
}
