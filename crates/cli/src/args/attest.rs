//! Arguments of the attestation commands: `verify-blob-attestation`, `attest-blob`,
//! `verify-attestation`, `attest`.

use std::path::PathBuf;

use clap::Args;

use super::{
    BundleArgs, CosignOnly, GithubArgs, KeylessArgs, LookupArgs, OutputArg, PasswordArgs,
    RegistryArgs,
};

// Arguments of `vouch verify-blob-attestation`.
#[derive(Debug, Args)]
#[command(mut_arg("bundle", |arg| arg.required_unless_present("signature").help(
    "Sigstore bundle with a DSSE envelope (`.sigstore.json`, `.intoto.jsonl`), or JSON Lines of \
     bundles, one per line, as `gh attestation download` writes them"
)))]
pub(crate) struct VerifyBlobAttestationArgs {
    /// Public key, PEM or DER (SubjectPublicKeyInfo), for key-signed attestations.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) sigstore: BundleArgs,

    /// A DSSE envelope to verify FILE with, instead of --bundle: what `cosign attest-blob
    /// --output-signature` writes. With --key only; it carries no log entry, so it verifies
    /// with --insecure-ignore-tlog.
    #[arg(long, value_name = "ENVELOPE", conflicts_with = "bundle")]
    pub(crate) signature: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) github: GithubArgs,

    #[command(flatten)]
    pub(crate) attestation: AttestationArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    #[command(flatten)]
    pub(crate) cosign_only: CosignOnly,

    /// The file the attestations are about, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

// What an attestation must say: its type, and the policies its statement must pass.
#[derive(Debug, Args)]
pub(crate) struct AttestationArgs {
    /// The predicate type required: a URI, or one of cosign's short names (`custom`,
    /// `slsaprovenance`, `slsaprovenance02`, `slsaprovenance1`, `spdx`, `spdxjson`,
    /// `cyclonedx`, `link`, `vuln`, `openvex`). Attestations of other types never pass. Without
    /// it, every verified attestation counts.
    #[arg(long = "type", value_name = "TYPE")]
    pub(crate) predicate_type: Option<String>,

    /// A Rego policy (`.rego`) every attestation of the type must pass: cosign's convention,
    /// `package signature` with an `allow` rule, the statement as `input`. Repeatable; all must
    /// allow. A `deny` rule's messages say why one did not.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: Vec<PathBuf>,

    /// Seconds each policy may run for one statement before it counts as failed.
    #[arg(long, value_name = "SECONDS", default_value_t = 10)]
    pub(crate) policy_timeout: u64,

    /// MiB of memory an attestation's statement may take once read (a large SBOM takes 10–20
    /// times its size); a larger one is refused unread.
    #[arg(long, value_name = "MIB", default_value_t = 1024)]
    pub(crate) statement_memory: u64,

    /// MiB of memory each policy may take for one statement; past it vouch stops and exits 16.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub(crate) policy_memory: u64,

    /// Write each verified statement's predicate (JSON, one per line) on stdout instead of the
    /// report. Only attestations that passed every check are printed, ever.
    #[arg(long)]
    pub(crate) print_predicate: bool,
}

// What an attesting command signs: the predicate and its type.
#[derive(Debug, Args)]
pub(crate) struct PredicateArgs {
    /// The predicate: a JSON object (for `--type custom`, any text, wrapped as cosign wraps
    /// it: `{"Data": TEXT, "Timestamp": NOW}`).
    #[arg(long, value_name = "FILE")]
    pub(crate) predicate: PathBuf,

    /// The predicate type: a URI or one of cosign's short names (see `verify-blob-attestation`).
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub(crate) predicate_type: String,
}

// Arguments of `vouch attest-blob`.
#[derive(Debug, Args)]
pub(crate) struct AttestBlobArgs {
    /// Private key, as `sign-blob` takes it.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    #[command(flatten)]
    pub(crate) statement: PredicateArgs,

    /// Where to write the Sigstore bundle (v0.3, DSSE envelope of an in-toto Statement v1,
    /// public-key hint, no transparency-log entry).
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: PathBuf,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    /// The file the attestation is about.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

// Arguments of `vouch verify-attestation`.
#[derive(Debug, Args)]
pub(crate) struct VerifyAttestationArgs {
    /// Public key (PEM or DER SubjectPublicKeyInfo), for key-signed attestations.
    #[arg(long, value_name = "KEY", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer", "certificate_oidc_issuer_regexp"])]
    pub(crate) key: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,

    #[command(flatten)]
    pub(crate) github: GithubArgs,

    /// A `trusted_root.json` to use instead of the embedded Sigstore production root.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,

    /// Accept attestations without a transparency-log entry and skip log verification (needed
    /// for those made with `--tlog-upload=false`, and by `vouch attest`).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) insecure_ignore_tlog: bool,

    #[command(flatten)]
    pub(crate) attestation: AttestationArgs,

    #[command(flatten)]
    pub(crate) lookup: LookupArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    #[command(flatten)]
    pub(crate) cosign_only: CosignOnly,

    /// Images: `registry/repo:tag`, `registry/repo@sha256:…`, Docker Hub short names, or on
    /// disk (no network): `oci:DIR[:REF]`, `oci-archive:FILE[:REF]` (tar, .tar.gz, .tar.zst).
    #[arg(value_name = "IMAGE", required = true)]
    pub(crate) images: Vec<String>,
}

// Arguments of `vouch attest`.
#[derive(Debug, Args)]
pub(crate) struct AttestImageArgs {
    /// Private key, as `sign` takes it (cosign's encrypted `cosign.key` included).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    #[command(flatten)]
    pub(crate) statement: PredicateArgs,

    /// Where and how the attestation is stored: `bundle` (cosign v3: a Sigstore bundle as an
    /// OCI referrer) or `legacy` (cosign 2: a DSSE envelope layer of the `sha256-<hex>.att`
    /// tag).
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = super::ImageSignatureFormat::Bundle)]
    pub(crate) signature_format: super::ImageSignatureFormat,

    #[command(flatten)]
    pub(crate) registry: RegistryArgs,

    /// cosign's transparency-log upload: vouch makes no log entry, so only
    /// `--tlog-upload=false` is accepted (what vouch does anyway).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = super::go_bool)]
    pub(crate) tlog_upload: Option<bool>,

    /// Accepted for cosign scripts (`-y`): vouch never asks for confirmation.
    #[arg(short = 'y', long = "yes", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) yes: bool,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    /// Images: `registry/repo:tag`, `registry/repo@sha256:…`, or Docker Hub short names.
    #[arg(value_name = "IMAGE", required = true)]
    pub(crate) images: Vec<String>,
}
