//! `vouch version`: what this binary is, as text lines or JSON.

use serde::Serialize;

use super::{json, stdout};

/// What `vouch version` reports.
#[derive(Debug, Serialize)]
pub(crate) struct Version {
    pub(crate) version: &'static str,
    /// The git commit built, or `unknown` outside a checkout.
    pub(crate) commit: &'static str,
    /// The commit's date (or `@SOURCE_DATE_EPOCH`), standing in for a build date so that
    /// builds are reproducible.
    pub(crate) commit_date: &'static str,
    pub(crate) target: &'static str,
    /// Cargo features that change what vouch can do.
    pub(crate) features: Vec<&'static str>,
}

/// `vouch version`'s lines.
pub(crate) fn version_text(version: &Version) -> anyhow::Result<()> {
    stdout(&format!(
        "vouch {}\ncommit: {}\ncommit date: {}\ntarget: {}\nfeatures: {}\n",
        version.version,
        version.commit,
        version.commit_date,
        version.target,
        version.features.join(", ")
    ))
}

/// `vouch version --output json`.
pub(crate) fn version_json(version: &Version) -> anyhow::Result<()> {
    json(version)
}
