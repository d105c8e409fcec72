//! `cargo xtask fixtures`: owned by the fixtures work; placeholder until it lands.
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Write,
    Check,
}

pub(crate) fn generate(_root: &Path, _mode: Mode) -> anyhow::Result<()> {
    anyhow::bail!("fixtures generator not written yet")
}
