//! `cargo xtask tidy`: owned by the CI work; placeholder until it lands.
use std::path::Path;

pub(crate) fn check(_root: &Path) -> anyhow::Result<()> {
    anyhow::bail!("tidy checks not written yet")
}
