//! `vouch save`, `load` and `copy`: images with their signatures between registries and
//! layouts.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::RegistryArgs;

// `vouch save`.
#[derive(Debug, Args)]
pub(crate) struct SaveArgs {
    /// Images to save: `registry/repo:tag`, `…@sha256:…` or `docker://…`.
    #[arg(required = true, value_name = "IMAGE")]
    pub(crate) images: Vec<String>,

    /// Write an OCI image layout folder: new, empty, or a layout to add the images to.
    #[arg(
        long,
        value_name = "DIR",
        required_unless_present = "archive",
        conflicts_with = "archive"
    )]
    pub(crate) dir: Option<PathBuf>,

    /// Write an oci-archive instead, compressed as its name says: `.tar`, `.tar.gz` or
    /// `.tar.zst`. Written under a temporary name and renamed once whole.
    #[arg(long, value_name = "FILE")]
    pub(crate) archive: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) transfer: TransferArgs,
}

// `vouch load`.
#[derive(Debug, Args)]
pub(crate) struct LoadArgs {
    /// `LAYOUT REPOSITORY`, or with --dir `REPOSITORY` alone. LAYOUT: `DIR`,
    /// `FILE.tar[.gz|.zst]`, `oci:DIR[:NAME]` or `oci-archive:FILE[:NAME]`; without NAME,
    /// every image in it. REPOSITORY: `registry/repo`, each image tagged with the tag in its
    /// name, or `registry/repo:tag` for one image.
    #[arg(value_name = "LAYOUT REPOSITORY", num_args = 1..=2, required = true)]
    pub(crate) arguments: Vec<String>,

    /// The layout folder, as `cosign load --dir DIR IMAGE` takes it.
    #[arg(long, value_name = "DIR")]
    pub(crate) dir: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) transfer: TransferArgs,
}

// `vouch copy`.
#[derive(Debug, Args)]
pub(crate) struct CopyArgs {
    /// Where the image is: `registry/repo:tag`, `docker://…`, `oci:DIR[:NAME]` or
    /// `oci-archive:FILE[:NAME]`.
    #[arg(value_name = "SOURCE")]
    pub(crate) source: String,

    /// Where it goes: `registry/repo[:tag]`, `docker://…`, `oci:DIR[:NAME]` or
    /// `oci-archive:FILE[:NAME]`.
    #[arg(value_name = "DESTINATION")]
    pub(crate) destination: String,

    #[command(flatten)]
    pub(crate) transfer: TransferArgs,
}

// What every transfer takes.
#[derive(Debug, Args)]
pub(crate) struct TransferArgs {
    /// Copy only these parts (comma-separated or repeated): `image`, `sig` (the `.sig` tag
    /// and signature bundles), `att` (the `.att` and `.sbom` tags and every other referrer;
    /// `sbom` is taken as `att`, as cosign spells it). All by default.
    #[arg(long, value_enum, value_delimiter = ',', value_name = "PART")]
    pub(crate) only: Vec<OnlyPart>,

    /// Refuse to copy an image unless a signature on it verifies with this public key (as
    /// `vouch verify --key KEY` checks it, at the source, before anything is written).
    #[arg(long, value_name = "KEY")]
    pub(crate) verify_with: Option<PathBuf>,

    /// With --verify-with: accept signatures without a transparency-log entry (skopeo's and
    /// `cosign sign --tlog-upload=false`'s), as `vouch verify --insecure-ignore-tlog` does.
    #[arg(long, requires = "verify_with", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) insecure_ignore_tlog: bool,

    /// For an index: only this platform's manifest and its signatures (`os/arch[/variant]`);
    /// the index itself, and signatures made over it, are not copied.
    #[arg(long, value_name = "OS/ARCH")]
    pub(crate) platform: Option<String>,

    /// Replace a `.sig` or `.att` tag at the destination that holds other signatures (they
    /// are lost); without it the copy stops there.
    #[arg(short, long)]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// Values of `--only`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OnlyPart {
    /// The image: manifests, config, layers.
    Image,
    /// Its signatures.
    Sig,
    /// Its attestations and other attached artifacts.
    Att,
    /// cosign's name for its SBOMs: the same as `att` here.
    Sbom,
}
