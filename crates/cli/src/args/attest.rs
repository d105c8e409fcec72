//! Arguments of the attestation commands: `verify-blob-attestation`, `attest-blob`.

use std::path::PathBuf;

use clap::Args;

use super::{BundleArgs, CosignOnly, OutputArg, PasswordArgs};

/// Arguments of `vouch verify-blob-attestation`.
#[derive(Debug, Args)]
#[command(mut_arg("bundle", |arg| arg.required(true).help(
    "Sigstore bundle with a DSSE envelope (`.sigstore.json`, `.intoto.jsonl`), or JSON Lines of \
     bundles, one per line, as `gh attestation download` writes them"
)))]
pub(crate) struct VerifyBlobAttestationArgs {
    /// Public key, PEM or DER (SubjectPublicKeyInfo), for key-signed attestations.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) sigstore: BundleArgs,

    #[command(flatten)]
    pub(crate) github: super::GithubArgs,

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

/// What an attestation must say: its type, and the policies its statement must pass.
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

    /// MiB of memory each policy may take for one statement; past it vouch stops and exits 16.
    #[arg(long, value_name = "MIB", default_value_t = 512)]
    pub(crate) policy_memory: u64,

    /// Write each verified statement's predicate (JSON, one per line) on stdout instead of the
    /// report. Only attestations that passed every check are printed, ever.
    #[arg(long)]
    pub(crate) print_predicate: bool,
}

/// Arguments of `vouch attest-blob`.
#[derive(Debug, Args)]
pub(crate) struct AttestBlobArgs {
    /// Private key, as `sign-blob` takes it.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// The predicate: a JSON object (for `--type custom`, any text, wrapped as cosign wraps
    /// it: `{"Data": TEXT, "Timestamp": NOW}`).
    #[arg(long, value_name = "FILE")]
    pub(crate) predicate: PathBuf,

    /// The predicate type: a URI or one of cosign's short names (see `verify-blob-attestation`).
    #[arg(long = "type", value_name = "TYPE", default_value = "custom")]
    pub(crate) predicate_type: String,

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
