//! How a [`super::RegistryClient`] talks to registries: transport, trust, credentials, retries.

use std::ffi::OsString;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// Default time allowed to connect, to receive a response's headers, and between two reads of
/// a body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Default time allowed for one whole attempt at a request, body included. The largest body
/// read is a 4 MiB manifest: at the slowest link worth waiting for, well under this.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// Default number of retries after a 429, a 5xx or a connection failure.
pub const DEFAULT_MAX_RETRIES: u32 = 3;

/// Default first backoff before a retry; doubled at each attempt, with jitter.
pub const DEFAULT_RETRY_BACKOFF: Duration = Duration::from_millis(250);

/// Default number of fetches [`super::RegistryClient::lookup`] runs at once.
pub const DEFAULT_MAX_CONCURRENCY: usize = 8;

/// Credentials given explicitly (`--registry-username`/`--registry-password`,
/// `--registry-token`). They are used for every registry and win over any configuration file.
///
/// `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Credentials {
    /// A user name and password: sent as HTTP Basic to registries that ask for it, and to
    /// token services to obtain a bearer token.
    Basic {
        /// The user name.
        username: String,
        /// The password.
        password: String,
    },
    /// A registry bearer token, sent as-is in `Authorization: Bearer` on every registry
    /// request (no token exchange).
    Bearer(String),
}

impl Credentials {
    /// Basic credentials.
    pub fn basic(username: impl Into<String>, password: impl Into<String>) -> Self {
        Self::Basic {
            username: username.into(),
            password: password.into(),
        }
    }

    /// A bearer token.
    pub fn bearer(token: impl Into<String>) -> Self {
        Self::Bearer(token.into())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Basic { username, .. } => f
                .debug_struct("Basic")
                .field("username", username)
                .field("password", &"<redacted>")
                .finish(),
            Self::Bearer(_) => f.debug_tuple("Bearer").field(&"<redacted>").finish(),
        }
    }
}

/// Options of a [`super::RegistryClient`].
///
/// [`RegistryOptions::new`] is hermetic: HTTPS only (plain HTTP only to loopback registries
/// that do not speak TLS), the platform's trust store, anonymous access, no proxy, and nothing
/// read from the environment. [`RegistryOptions::from_env`] adds what docker and cosign read
/// from the environment: credential files, the `PATH` for credential helpers, and proxies.
#[derive(Clone)]
pub struct RegistryOptions {
    pub(crate) allow_http: bool,
    pub(crate) ca_certificates: Vec<Vec<u8>>,
    /// A client certificate chain and its private key, PEM, for registries that require
    /// mutual TLS.
    pub(crate) client_identity: Option<vouch_keys::Zeroizing<Vec<u8>>>,
    pub(crate) credentials: Option<Credentials>,
    pub(crate) credential_files: Vec<PathBuf>,
    pub(crate) credential_helper_path: Option<OsString>,
    pub(crate) timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) deadline: Option<Duration>,
    pub(crate) max_retries: u32,
    pub(crate) retry_backoff: Duration,
    pub(crate) max_concurrency: usize,
    pub(crate) user_agent: String,
    pub(crate) system_proxy: bool,
    pub(crate) resolve: Vec<(String, SocketAddr)>,
}

impl fmt::Debug for RegistryOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryOptions")
            .field("allow_http", &self.allow_http)
            .field("ca_certificates", &self.ca_certificates.len())
            .field("client_identity", &self.client_identity.is_some())
            .field("credentials", &self.credentials)
            .field("credential_files", &self.credential_files)
            .field("credential_helper_path", &self.credential_helper_path)
            .field("timeout", &self.timeout)
            .field("request_timeout", &self.request_timeout)
            .field("deadline", &self.deadline)
            .field("max_retries", &self.max_retries)
            .field("retry_backoff", &self.retry_backoff)
            .field("max_concurrency", &self.max_concurrency)
            .field("user_agent", &self.user_agent)
            .field("system_proxy", &self.system_proxy)
            .field("resolve", &self.resolve)
            .finish()
    }
}

impl Default for RegistryOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl RegistryOptions {
    /// Hermetic defaults: see the type's documentation.
    pub fn new() -> Self {
        Self {
            allow_http: false,
            ca_certificates: Vec::new(),
            client_identity: None,
            credentials: None,
            credential_files: Vec::new(),
            credential_helper_path: None,
            timeout: DEFAULT_TIMEOUT,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            deadline: None,
            max_retries: DEFAULT_MAX_RETRIES,
            retry_backoff: DEFAULT_RETRY_BACKOFF,
            max_concurrency: DEFAULT_MAX_CONCURRENCY,
            user_agent: format!("vouch/{}", env!("CARGO_PKG_VERSION")),
            system_proxy: false,
            resolve: Vec::new(),
        }
    }

    /// The defaults plus what docker, podman and cosign read from the environment:
    ///
    /// * credential files, the first that exists being used: `$DOCKER_CONFIG/config.json`,
    ///   `~/.docker/config.json`, then podman's
    ///   `$REGISTRY_AUTH_FILE`, `$XDG_RUNTIME_DIR/containers/auth.json` and
    ///   `$XDG_CONFIG_HOME/containers/auth.json` (or `~/.config/containers/auth.json`);
    /// * `PATH`, to find `docker-credential-<helper>` programs;
    /// * proxies: `HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY` (and the system's
    ///   proxy settings on macOS and Windows).
    ///
    /// This is the only place the library reads the environment.
    pub fn from_env() -> Self {
        #[expect(
            clippy::disallowed_methods,
            reason = "from_env is the one explicit, documented place where the registry driver reads the environment"
        )]
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let home = var("HOME")
            .or_else(|| var("USERPROFILE"))
            .map(PathBuf::from);
        let mut files = Vec::new();
        files.extend(var("DOCKER_CONFIG").map(|d| PathBuf::from(d).join("config.json")));
        files.extend(home.as_ref().map(|h| h.join(".docker/config.json")));
        files.extend(var("REGISTRY_AUTH_FILE").map(PathBuf::from));
        files.extend(var("XDG_RUNTIME_DIR").map(|d| PathBuf::from(d).join("containers/auth.json")));
        match var("XDG_CONFIG_HOME") {
            Some(dir) => files.push(PathBuf::from(dir).join("containers/auth.json")),
            None => files.extend(
                home.as_ref()
                    .map(|h| h.join(".config/containers/auth.json")),
            ),
        }
        Self {
            credential_files: files,
            credential_helper_path: var("PATH"),
            system_proxy: true,
            ..Self::new()
        }
    }

    /// Use plain HTTP for registries that do not speak TLS (cosign's
    /// `--allow-http-registry`): HTTPS is tried first, and a registry that fails the TLS
    /// handshake is then reached over HTTP. Without this, only loopback registries
    /// (`localhost`, `127.0.0.0/8`, `::1`) get that fallback, as in cosign and containerd.
    #[must_use]
    pub fn allow_http(mut self, allow: bool) -> Self {
        self.allow_http = allow;
        self
    }

    /// Extra trusted CA certificates, each a PEM bundle (`--registry-cacert`); added to the
    /// platform's trust store.
    #[must_use]
    pub fn ca_certificates(mut self, pem_bundles: Vec<Vec<u8>>) -> Self {
        self.ca_certificates = pem_bundles;
        self
    }

    /// A client certificate (PEM, the leaf first, then any intermediates) and its private key
    /// (PEM: PKCS#8, SEC1 or PKCS#1) presented to registries that ask for one (mutual TLS,
    /// cosign's `--registry-client-cert` and `--registry-client-key`). These options' copy of
    /// the key is zeroized on drop; the TLS stack keeps its own for the client's lifetime.
    #[must_use]
    pub fn client_certificate(mut self, certificate_pem: &[u8], key_pem: &[u8]) -> Self {
        let mut identity = vouch_keys::Zeroizing::new(Vec::with_capacity(
            certificate_pem.len() + key_pem.len() + 1,
        ));
        identity.extend_from_slice(key_pem);
        identity.push(b'\n');
        identity.extend_from_slice(certificate_pem);
        self.client_identity = Some(identity);
        self
    }

    /// Explicit credentials for every registry; they win over credential files.
    #[must_use]
    pub fn credentials(mut self, credentials: Credentials) -> Self {
        self.credentials = Some(credentials);
        self
    }

    /// Read credentials from this docker `config.json` (or podman `auth.json`) only, instead
    /// of the files [`RegistryOptions::from_env`] found.
    #[must_use]
    pub fn docker_config(mut self, path: impl Into<PathBuf>) -> Self {
        self.credential_files = vec![path.into()];
        self
    }

    /// Where to look for `docker-credential-<helper>` programs, in `PATH` syntax. Unset, the
    /// helper's bare name is run and the operating system searches the process's `PATH`.
    #[must_use]
    pub fn credential_helper_path(mut self, path: impl Into<OsString>) -> Self {
        self.credential_helper_path = Some(path.into());
        self
    }

    /// Time allowed to connect, to receive a response's headers, and between two reads of a
    /// body (so a large blob on a slow link is not cut off while it progresses).
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Time allowed for one whole attempt at a request, its body read to the end: a registry
    /// that drips a body a byte at a time, never silent for [`Self::timeout`], is cut off here.
    #[must_use]
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Time allowed for everything the client does, from [`RegistryClient::new`] on (cosign's
    /// `--timeout`): no request starts, and no retry waits, past it. `None` (the default): no
    /// overall limit.
    ///
    /// [`RegistryClient::new`]: crate::RegistryClient::new
    #[must_use]
    pub fn deadline(mut self, deadline: Option<Duration>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Retries after a 429, a 5xx, a timeout or a connection failure (0 disables retries).
    #[must_use]
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first backoff before a retry; it doubles at each attempt, with jitter, and a
    /// `Retry-After` header wins (capped at 60 s).
    #[must_use]
    pub fn retry_backoff(mut self, backoff: Duration) -> Self {
        self.retry_backoff = backoff;
        self
    }

    /// How many fetches [`super::RegistryClient::lookup`] runs at once (default 8; 1 makes
    /// a lookup strictly sequential).
    #[must_use]
    pub fn max_concurrency(mut self, fetches: usize) -> Self {
        self.max_concurrency = fetches.max(1);
        self
    }

    /// The `User-Agent` header (default `vouch/<version>`).
    #[must_use]
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Use the proxies configured in the environment (`HTTPS_PROXY` and friends) and the
    /// system. Off in [`RegistryOptions::new`], on in [`RegistryOptions::from_env`].
    #[must_use]
    pub fn system_proxy(mut self, enabled: bool) -> Self {
        self.system_proxy = enabled;
        self
    }

    /// Connect to `addr` whenever `host` is contacted (like `curl --resolve`), keeping `host`
    /// for TLS and the `Host` header: for split-horizon setups and tests.
    #[must_use]
    pub fn resolve(mut self, host: impl Into<String>, addr: SocketAddr) -> Self {
        self.resolve.push((host.into(), addr));
        self
    }
}
