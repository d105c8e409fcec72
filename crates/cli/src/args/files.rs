//! Arguments of the file commands: `verify-blob` (with `--bundle`), `verify-dir`,
//! `sign-blob`, `sign-dir`.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use vouch_blob::SignatureEncoding;

use super::{CosignOnly, DigestArg, DigestArgValue, OutputArg, PasswordArgs};

// Arguments of `vouch sign-blob`.
#[derive(Debug, Args)]
pub(crate) struct SignBlobArgs {
    /// Private key: PEM or DER PKCS#8 (`openssl genpkey`), SEC1 `EC PRIVATE KEY`, PKCS#1
    /// `RSA PRIVATE KEY`, encrypted PKCS#8, or cosign's encrypted key (`cosign.key`).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Write the signature to this file instead of printing it.
    #[arg(long, value_name = "OUT")]
    pub(crate) output_signature: Option<PathBuf>,

    /// Signature encoding [default: der for an OUT ending in `.sig.bin` (raw for Ed25519 and
    /// RSA keys, which have no DER form), else base64].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) signature_format: Option<SignFormat>,

    /// Digest to sign over, as openssl's `-sha256`/`-sha384`/`-sha512` [default: sha256].
    /// Not applicable to Ed25519 keys, which sign the whole file.
    #[arg(long = "digest", value_enum, value_name = "DIGEST")]
    pub(crate) digest: Option<DigestArgValue>,

    /// Also write a Sigstore bundle (v0.3, public-key hint, no transparency-log entry) to this
    /// file, signed over SHA-256; verify it with `vouch verify-blob --bundle OUT --key PUB
    /// --insecure-ignore-tlog FILE`.
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) cosign_only: CosignOnly,

    /// Accepted for cosign scripts (`-y`): vouch never asks for confirmation.
    #[arg(short = 'y', long = "yes", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) yes: bool,

    /// cosign's transparency-log upload: vouch makes no log entry, so only
    /// `--tlog-upload=false` is accepted (what vouch does anyway).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = super::go_bool)]
    pub(crate) tlog_upload: Option<bool>,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    /// The file to sign, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

// Arguments of `vouch sign-dir`.
#[derive(Debug, Args)]
pub(crate) struct SignDirArgs {
    /// The folder to sign (its top level only).
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,

    /// Private key, as for `sign-blob`.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Digest to sign over [default: sha256]; verify with the same `verify-dir --digest`.
    #[arg(long = "digest", value_enum, value_name = "DIGEST")]
    pub(crate) digest: Option<DigestArgValue>,

    /// Also sign files that already have an `X.sig.bin`, replacing it.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    /// Files signed at the same time [default: number of CPU cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<NonZeroUsize>,
}

/// Values of `sign-blob --signature-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SignFormat {
    /// ASN.1 DER, as `openssl dgst -sign` writes (ECDSA only).
    Der,
    /// Base64 of the DER (ECDSA) or raw (Ed25519, RSA) signature, as cosign writes.
    Base64,
    /// Raw bytes: an ECDSA signature as its two numbers r and s side by side (IEEE P1363, as
    /// WebCrypto writes it), Ed25519, or RSA PKCS#1 v1.5.
    Raw,
}

impl SignFormat {
    /// The encoding written.
    pub(crate) fn encoding(self) -> SignatureEncoding {
        match self {
            Self::Der => SignatureEncoding::Der,
            Self::Base64 => SignatureEncoding::Base64,
            Self::Raw => SignatureEncoding::Raw,
        }
    }
}

// Arguments of `vouch verify-blob`.
#[derive(Debug, Args)]
pub(crate) struct VerifyBlobArgs {
    /// Public key, PEM or DER (SubjectPublicKeyInfo), as written by `openssl pkey -pubout` or
    /// `cosign generate-key-pair`.
    #[arg(long, value_name = "KEY", required_unless_present_any = ["bundle"])]
    pub(crate) key: Option<PathBuf>,

    /// Detached signature file: DER (openssl), base64 (cosign) or raw bytes (WebCrypto).
    #[arg(
        long,
        value_name = "SIG",
        required_unless_present = "bundle",
        conflicts_with = "bundle"
    )]
    pub(crate) signature: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) sigstore: BundleArgs,

    /// Signature encoding; `auto` tries DER, then base64, then raw.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = SignatureFormat::Auto)]
    pub(crate) signature_format: SignatureFormat,

    #[command(flatten)]
    pub(crate) digest: DigestArg,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    #[command(flatten)]
    pub(crate) cosign_only: CosignOnly,

    /// The file to verify, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

// `verify-blob --bundle`: Sigstore and legacy cosign bundles, cosign's flag names.
#[derive(Debug, Args)]
pub(crate) struct BundleArgs {
    /// Sigstore bundle (v0.1–v0.3, `.sigstore.json`) or legacy cosign bundle to verify FILE
    /// with, instead of --signature. Verified offline against the trust root.
    #[arg(long, value_name = "BUNDLE")]
    pub(crate) bundle: Option<PathBuf>,

    /// Keyless: the signer identity that must match exactly: the email or URI in the signing
    /// certificate (for GitHub Actions, the workflow URL with its ref).
    #[arg(long, value_name = "IDENTITY", requires = "bundle", conflicts_with_all = ["key", "certificate_identity_regexp"])]
    pub(crate) certificate_identity: Option<String>,

    /// Keyless: a regular expression the signer identity must match, anchored at both ends
    /// (unlike cosign's: add `.*` yourself to match a prefix or suffix).
    #[arg(
        long,
        value_name = "REGEX",
        requires = "bundle",
        conflicts_with = "key"
    )]
    pub(crate) certificate_identity_regexp: Option<String>,

    /// Keyless: the OIDC issuer that must have vouched for the identity, exactly.
    #[arg(long, value_name = "ISSUER", requires = "bundle", conflicts_with_all = ["key", "certificate_oidc_issuer_regexp"])]
    pub(crate) certificate_oidc_issuer: Option<String>,

    /// Keyless: a regular expression the OIDC issuer must match, anchored at both ends.
    #[arg(
        long,
        value_name = "REGEX",
        requires = "bundle",
        conflicts_with = "key"
    )]
    pub(crate) certificate_oidc_issuer_regexp: Option<String>,

    #[command(flatten)]
    pub(crate) workflow: super::WorkflowArgs,

    /// A `trusted_root.json` to use instead of the embedded Sigstore production root.
    #[arg(long, value_name = "FILE", requires = "bundle")]
    pub(crate) trusted_root: Option<PathBuf>,

    /// Accept a bundle without a transparency-log entry and skip log verification. Nobody can
    /// then audit that the signature was ever published: use only for keys you control.
    #[arg(long, requires = "bundle", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) insecure_ignore_tlog: bool,
}

// Arguments of `vouch verify-dir`.
#[derive(Debug, Args)]
pub(crate) struct VerifyDirArgs {
    /// The folder to verify (its top level only).
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,

    /// Public key, PEM or DER (SubjectPublicKeyInfo).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Treat data files without a signature as failures (exit 1).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) require_signed: bool,

    #[command(flatten)]
    pub(crate) digest: DigestArg,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    /// Files verified at the same time [default: number of CPU cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<NonZeroUsize>,
}

/// Values of `--signature-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SignatureFormat {
    /// Detect: strict DER, then base64, then raw.
    Auto,
    /// ASN.1 DER, as `openssl dgst -sign` writes (ECDSA only).
    Der,
    /// Base64 of DER or raw bytes, with or without line breaks, as cosign writes.
    Base64,
    /// Raw bytes: an ECDSA signature as r and s side by side (IEEE P1363), Ed25519, or RSA
    /// PKCS#1 v1.5.
    Raw,
}

impl SignatureFormat {
    /// The pinned encoding, `None` for auto-detection.
    pub(crate) fn encoding(self) -> Option<SignatureEncoding> {
        match self {
            Self::Auto => None,
            Self::Der => Some(SignatureEncoding::Der),
            Self::Base64 => Some(SignatureEncoding::Base64),
            Self::Raw => Some(SignatureEncoding::Raw),
        }
    }
}
