//! Arguments of `vouch policy check` and `vouch policy explain`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::OutputArg;

// Arguments of `vouch policy`.
#[derive(Debug, Args)]
pub(crate) struct PolicyArgs {
    #[command(subcommand)]
    pub(crate) command: PolicyCommand,
}

#[derive(Debug, Subcommand)]
pub(crate) enum PolicyCommand {
    /// Check trust policy files without verifying anything: vouch's own, containers
    /// `policy.json`, or policy-controller `ClusterImagePolicy` documents.
    ///
    /// Reads each file as `vouch verify --policy` does (keys and Rego modules it names
    /// included) and prints one line per file: its format and rules, or the first problem with
    /// its line and column. Exit 0 if every file is valid, 2 otherwise.
    Check(PolicyCheckArgs),
    /// Say which rules of a policy apply to each image, what they require and why they
    /// apply, without contacting any registry.
    Explain(PolicyExplainArgs),
}

// Arguments of `vouch policy check`.
#[derive(Debug, Args)]
pub(crate) struct PolicyCheckArgs {
    /// Policy files.
    #[arg(value_name = "FILE", required = true)]
    pub(crate) files: Vec<PathBuf>,

    #[command(flatten)]
    pub(crate) output: OutputArg,
}

// Arguments of `vouch policy explain`.
#[derive(Debug, Args)]
pub(crate) struct PolicyExplainArgs {
    /// The policy file.
    #[arg(value_name = "FILE")]
    pub(crate) policy: PathBuf,

    /// Images, by name (`registry/repo:tag`, `registry/repo@sha256:…`, Docker Hub short
    /// names).
    #[arg(value_name = "IMAGE", required = true)]
    pub(crate) images: Vec<String>,

    #[command(flatten)]
    pub(crate) output: OutputArg,
}
