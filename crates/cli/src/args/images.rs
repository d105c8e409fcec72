//! Arguments of the image commands: `verify`, `tree`, `triangulate`, `sign`, and how they
//! reach registries.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::{CosignOnly, OutputArg, PasswordArgs};

// Arguments of `vouch sign`.
#[derive(Debug, Args)]
pub(crate) struct SignImageArgs {
    /// Private key, as for `sign-blob` (cosign's encrypted `cosign.key` included).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Where and how the signature is stored.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ImageSignatureFormat::Bundle)]
    pub(crate) signature_format: ImageSignatureFormat,

    /// An annotation (`key=value`) to sign with the image (cosign's `-a`), checked by
    /// `vouch verify -a` and `cosign verify -a`. Repeatable.
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE")]
    pub(crate) annotations: Vec<String>,

    /// Store the signature in this repository instead of the image's own (cosign's
    /// `COSIGN_REPOSITORY`, which is also read).
    #[arg(long, value_name = "REPO", env = "COSIGN_REPOSITORY")]
    pub(crate) signature_repository: Option<String>,

    /// For an image index (multi-arch), also sign every image it lists, as `cosign sign
    /// --recursive` does, so that `vouch verify --platform` finds a signature on each.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) recursive: bool,

    #[command(flatten)]
    pub(crate) registry: RegistryArgs,

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

    #[command(flatten)]
    pub(crate) output: OutputArg,

    /// Images: `registry/repo:tag`, `registry/repo@sha256:…`, or Docker Hub short names.
    #[arg(value_name = "IMAGE", required = true)]
    pub(crate) images: Vec<String>,
}

/// Values of `sign --signature-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ImageSignatureFormat {
    /// A Sigstore bundle (DSSE, in-toto statement) as an OCI 1.1 referrer (cosign v3).
    Bundle,
    /// A simple-signing layer of the `sha256-<hex>.sig` manifest (cosign ≤ 2, skopeo).
    Legacy,
}

// Arguments of `vouch verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyImageArgs {
    /// Public key (PEM or DER SubjectPublicKeyInfo, as `cosign generate-key-pair` writes
    /// `cosign.pub`).
    #[arg(long, value_name = "KEY", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer", "certificate_oidc_issuer_regexp"])]
    pub(crate) key: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,

    /// Judge each image by the rules of a trust policy instead of --key or an identity:
    /// vouch's own (`apiVersion: vouch.dev/v1`), a containers `policy.json` (skopeo, podman)
    /// or policy-controller `ClusterImagePolicy` documents. One line per image with the rule
    /// that decided; exit 0 only if every image is allowed (docs/policies.md).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["key", "certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer", "certificate_oidc_issuer_regexp", "annotations", "check_identity", "signed_image", "insecure_ignore_tlog"])]
    pub(crate) policy: Option<PathBuf>,

    /// A `trusted_root.json` to use instead of the embedded Sigstore production root.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,

    /// Accept signatures without a transparency-log entry and skip log verification (needed
    /// for images signed with `--tlog-upload=false` or by skopeo without Rekor).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) insecure_ignore_tlog: bool,

    /// An annotation (`key=value`) that the verified signature itself must carry (cosign's
    /// `-a`). Repeatable; all must hold on the same signature.
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE")]
    pub(crate) annotations: Vec<String>,

    /// Also require the image name written inside the signature (its `docker-reference`) to
    /// name this image's repository
    /// (containers/image does; cosign does not).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) check_identity: bool,

    /// For `docker-archive:FILE[:REPO:TAG]` images (`docker save`, which keeps no signature
    /// and no registry manifest): the signed image (`registry/repo:tag`, `oci:DIR[:NAME]`,
    /// `oci-archive:FILE[:NAME]`) whose signatures are verified, and whose manifest must name
    /// the archive's image config; the archive's layers are checked against that config.
    #[arg(long, value_name = "IMAGE")]
    pub(crate) signed_image: Option<String>,

    #[command(flatten)]
    pub(crate) lookup: LookupArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    #[command(flatten)]
    pub(crate) cosign_only: CosignOnly,

    /// Images verified at the same time.
    #[arg(long, short = 'j', value_name = "N", default_value = "16")]
    pub(crate) jobs: NonZeroUsize,

    /// Images: `registry/repo:tag`, `registry/repo@sha256:…`, Docker Hub short names, or on
    /// disk (no network): `oci:DIR[:REF]`, `oci-archive:FILE[:REF]` (tar, .tar.gz, .tar.zst).
    #[arg(value_name = "IMAGE", required = true)]
    pub(crate) images: Vec<String>,
}

// Keyless identity flags of `vouch verify` (cosign's names).
#[derive(Debug, Args)]
pub(crate) struct KeylessArgs {
    /// Keyless: the signer identity that must match exactly: the email or URI in the signing
    /// certificate (for GitHub Actions, the workflow URL with its ref).
    #[arg(
        long,
        value_name = "IDENTITY",
        conflicts_with = "certificate_identity_regexp"
    )]
    pub(crate) certificate_identity: Option<String>,

    /// Keyless: a regular expression the signer identity must match, anchored at both ends
    /// (unlike cosign's: add `.*` yourself to match a prefix or suffix).
    #[arg(long, value_name = "REGEX")]
    pub(crate) certificate_identity_regexp: Option<String>,

    /// Keyless: the OIDC issuer that must have vouched for the identity, exactly.
    #[arg(
        long,
        value_name = "ISSUER",
        conflicts_with = "certificate_oidc_issuer_regexp"
    )]
    pub(crate) certificate_oidc_issuer: Option<String>,

    /// Keyless: a regular expression the OIDC issuer must match, anchored at both ends.
    #[arg(long, value_name = "REGEX")]
    pub(crate) certificate_oidc_issuer_regexp: Option<String>,
    #[command(flatten)]
    pub(crate) workflow: super::WorkflowArgs,
}

// Arguments of `vouch triangulate` and `vouch tree`.
#[derive(Debug, Args)]
pub(crate) struct ImageLookupArgs {
    #[command(flatten)]
    pub(crate) lookup: LookupArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    /// The image: `registry/repo:tag`, `registry/repo@sha256:…`, or on disk `oci:DIR[:REF]`,
    /// `oci-archive:FILE[:REF]`.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,
}

// Where to look and how to reach the registry.
#[derive(Debug, Args)]
pub(crate) struct LookupArgs {
    /// For an image index (multi-arch), verify the child for this platform (`os/arch` or
    /// `os/arch/variant`) instead of the index itself.
    #[arg(long, value_name = "OS/ARCH")]
    pub(crate) platform: Option<String>,

    /// Look for signatures in this repository instead of the image's own (cosign's
    /// `COSIGN_REPOSITORY`, which is also read).
    #[arg(long, value_name = "REPO", env = "COSIGN_REPOSITORY")]
    pub(crate) signature_repository: Option<String>,

    /// Every IMAGE is the path of an OCI image layout folder or archive (cosign's flag), as
    /// `oci:PATH` would name it.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) local_image: bool,

    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

// How to reach and authenticate to registries.
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// Registry user name (Basic auth), overriding docker and podman credentials; with one of
    /// --registry-password, --registry-password-stdin, --registry-password-file.
    #[arg(long, value_name = "USER", conflicts_with = "registry_token")]
    pub(crate) registry_username: Option<String>,

    /// Registry password, with --registry-username. Visible to other users in the process
    /// list: prefer --registry-password-stdin or --registry-password-file.
    #[arg(
        long,
        value_name = "PASSWORD",
        requires = "registry_username",
        group = "registry_secret"
    )]
    pub(crate) registry_password: Option<String>,

    /// Read the registry password from standard input (all of it, one trailing newline
    /// removed), as `docker login --password-stdin`.
    #[arg(long, requires = "registry_username", group = "registry_secret", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) registry_password_stdin: bool,

    /// Read the registry password from this file (one trailing newline removed).
    #[arg(
        long,
        value_name = "FILE",
        requires = "registry_username",
        group = "registry_secret"
    )]
    pub(crate) registry_password_file: Option<PathBuf>,

    /// A bearer token sent to the registry as is, overriding other credentials.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) registry_token: Option<String>,

    /// Allow plain HTTP to registries that are not on this machine (loopback registries are
    /// always reached over HTTP).
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) allow_http_registry: bool,

    /// PEM file of certificate authorities to trust for the registry's TLS certificate, in
    /// addition to the system's. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) registry_cacert: Vec<PathBuf>,

    /// PEM client certificate (then any intermediates) for registries that require mutual
    /// TLS, with --registry-client-key.
    #[arg(long, value_name = "FILE", requires = "registry_client_key")]
    pub(crate) registry_client_cert: Option<PathBuf>,

    /// PEM private key of --registry-client-cert (PKCS#8, `EC PRIVATE KEY` or `RSA PRIVATE
    /// KEY`, unencrypted).
    #[arg(long, value_name = "FILE", requires = "registry_client_cert")]
    pub(crate) registry_client_key: Option<PathBuf>,

    /// Time allowed for the whole run's registry requests, as cosign's --timeout: `3m0s`,
    /// `90s`, `1m30s`, or seconds. No request starts and no retry waits past it. Default
    /// `3m0s`; for `save`, `load` and `copy`, none (each request still has its own limit, and
    /// an upload two minutes plus a second per MiB).
    #[arg(long, value_name = "DURATION", value_parser = parse_timeout)]
    pub(crate) timeout: Option<std::time::Duration>,
}

/// A Go duration as cosign takes it (`3m0s`, `90s`, `1h`), or a whole number of seconds.
pub(super) fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    let parsed = match text.parse::<u64>() {
        Ok(seconds) => Ok(std::time::Duration::from_secs(seconds)),
        Err(_) => text
            .parse::<jiff::SignedDuration>()
            .map_err(|_| {
                format!("expected a duration such as 3m0s, 90s or 1m30s (cosign's spelling), or seconds; found `{text}`")
            })
            .and_then(|d| {
                std::time::Duration::try_from(d).map_err(|_| format!("`{text}` is negative"))
            }),
    }?;
    if parsed.is_zero() {
        return Err("a zero timeout would refuse every request; give a positive duration".into());
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests {
    use super::parse_timeout;
    use std::time::Duration;

    #[test]
    fn timeouts_are_read_as_cosign_writes_them() {
        for (text, seconds) in [
            ("3m0s", 180),
            ("90s", 90),
            ("1m30s", 90),
            ("2m", 120),
            ("45", 45),
        ] {
            assert_eq!(
                parse_timeout(text),
                Ok(Duration::from_secs(seconds)),
                "{text}"
            );
        }
        assert_eq!(parse_timeout("1.5s"), Ok(Duration::from_millis(1500)));
        for bad in ["0s", "0", "-1s", "soon", "3 minutes later"] {
            assert!(parse_timeout(bad).is_err(), "{bad}");
        }
    }
}
