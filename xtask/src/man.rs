//! `cargo xtask man`: builds vouch and has it write its man pages into `docs/man/`.
//!
//! vouch generates them itself (`vouch manpages DIR`, hidden) from the same clap definition
//! that prints `--help`, so the pages cannot drift from the binary; the CLI test
//! `man_pages_are_fresh` fails when the committed ones are stale.

use std::fs;
use std::path::Path;
use std::process::Command;

use anyhow::{Context as _, bail};

pub(crate) fn write(root: &Path) -> anyhow::Result<()> {
    let dir = root.join("docs/man");
    // Pages of commands that no longer exist go too.
    if dir.exists() {
        fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    let status = Command::new(env!("CARGO"))
        .args(["run", "--quiet", "-p", "vouch-cli", "--", "manpages"])
        .arg(&dir)
        .current_dir(root)
        .status()
        .context("running cargo run -p vouch-cli -- manpages")?;
    if !status.success() {
        bail!("vouch manpages failed");
    }
    println!("man pages written to {}", dir.display());
    Ok(())
}
