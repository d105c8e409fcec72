//! Arguments of `vouch serve`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::LookupArgs;
use super::images::parse_timeout;

// Arguments of `vouch serve`.
#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// The trust policy every image is judged by: vouch's own, a containers `policy.json`, or
    /// policy-controller `ClusterImagePolicy` documents (docs/policies.md). Read once, at
    /// start-up: a policy that cannot be used stops the server before it listens.
    #[arg(long, value_name = "FILE")]
    pub(crate) policy: PathBuf,

    /// Address and port to serve HTTPS on.
    #[arg(long, value_name = "ADDR:PORT", default_value = "0.0.0.0:8443")]
    pub(crate) listen: SocketAddr,

    /// The server's certificate chain (PEM). Read again when the file changes, as
    /// cert-manager rotates it: no restart.
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_cert: PathBuf,

    /// The server's private key (PEM: PKCS#8, `EC PRIVATE KEY` or `RSA PRIVATE KEY`). Read
    /// again when the file changes.
    #[arg(long, value_name = "FILE")]
    pub(crate) tls_key: PathBuf,

    /// What to answer when a registry cannot be reached in time: `fail` denies the request
    /// (fail closed), `ignore` admits it with a warning. Images that are not signed as the
    /// policy requires are denied either way.
    #[arg(long, value_enum, value_name = "POLICY", default_value = "fail")]
    pub(crate) failure_policy: FailurePolicy,

    /// How long a verdict is reused for the same image name (`5m`, `30s`, or seconds). A tag
    /// moved meanwhile is judged by its earlier digest until the verdict expires.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = parse_timeout)]
    pub(crate) cache_ttl: Duration,

    /// Time allowed to judge one AdmissionReview, below the API server's webhook timeout
    /// (10 s by default): past it, the answer is the --failure-policy's.
    #[arg(long, value_name = "DURATION", default_value = "8s", value_parser = parse_timeout)]
    pub(crate) review_timeout: Duration,

    /// Also answer `POST /mutate`: admitted images named by tag are pinned to the digest that
    /// was verified (`repo:tag@sha256:…`), as policy-controller does.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) mutate: bool,

    /// A `trusted_root.json` to use instead of the embedded Sigstore production root.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) lookup: LookupArgs,
}

/// Values of `--failure-policy`, as Kubernetes names a webhook's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum FailurePolicy {
    /// Deny when the registry cannot be reached.
    Fail,
    /// Admit, with a warning, when the registry cannot be reached.
    Ignore,
}
