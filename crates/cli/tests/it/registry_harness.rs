//! A real OCI registry and real signed images, without a Docker engine, for the image-verification
//! tests (see testdata/peers/registry/README.md).
//!
//! - [`Registry::start`] runs distribution 2.8.2 (`docker-registry serve`, Debian 12) on a free
//!   127.0.0.1 port, with no auth, htpasswd basic auth, or bearer tokens from a token server that
//!   runs in this process ([`TokenServer`]: ES256 JWTs with an `x5c` header, checked by the
//!   registry against the self-signed certificate in its `rootcertbundle`). The registry and the
//!   token server stop when the [`Registry`] is dropped.
//! - Images are built with `umoci` ([`build_image`]), pushed and signed by skopeo 1.18 (Debian 13,
//!   unpacked into a private folder by install-peers.sh): [`push`], [`generate_key`],
//!   [`sign_and_push`], [`sign_pushed`]. skopeo's own policy engine gives the reference verdict
//!   ([`skopeo_policy_verdict`]).
//! - The adversarial cases are made with raw manifest requests ([`Registry::get_manifest`],
//!   [`Registry::put_manifest`]): [`tamper_signature`], [`copy_signature`].
//!
//! Every peer is required: if one is missing the test panics and says to run
//! `bash scripts/test.sh` (which runs `testdata/peers/registry/install-peers.sh` as root). Nothing is skipped.

use std::fmt::Write as _;
use std::io::{self, Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use std::{env, fs, thread};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::DecodePrivateKey as _;
use serde_json::{Value, json};
use tempfile::TempDir;

/// How to install every peer this harness uses.
pub(crate) const INSTALL: &str =
    "bash scripts/test.sh (as root or with sudo; it runs testdata/peers/registry/install-peers.sh)";
/// Where install-peers.sh puts skopeo 1.18 unless `VOUCH_PEERS_DIR` says otherwise.
const DEFAULT_SKOPEO_DIR: &str = "/opt/vouch-peers/skopeo-1.18";
/// How long the registry may take to answer `GET /v2/` after it is spawned.
const START_TIMEOUT: Duration = Duration::from_secs(30);
/// The registry's `auth.token.service` (the JWT `aud`) and `auth.token.issuer` (the JWT `iss`).
pub(crate) const TOKEN_SERVICE: &str = "vouch-test-registry";
const TOKEN_ISSUER: &str = "vouch-test-token-issuer";
/// Media types of manifests (Accept header of manifest GETs).
const MANIFEST_TYPES: &str = "application/vnd.oci.image.manifest.v1+json, \
     application/vnd.oci.image.index.v1+json, \
     application/vnd.docker.distribution.manifest.v2+json, \
     application/vnd.docker.distribution.manifest.list.v2+json";
/// The annotation of a cosign simple-signing layer that holds the base64 signature.
pub(crate) const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

// --- Peers ------------------------------------------------------------------------------------

/// The skopeo 1.18 wrapper: `$VOUCH_PEERS_DIR/skopeo`, else `/opt/vouch-peers/skopeo-1.18/skopeo`.
/// Panics, saying how to install it, if it is missing or not 1.18.
pub(crate) fn skopeo_path() -> PathBuf {
    static CHECKED: OnceLock<PathBuf> = OnceLock::new();
    CHECKED
        .get_or_init(|| {
            #[expect(
                clippy::disallowed_methods,
                reason = "the peers' folder is the developer's choice, as in install-peers.sh"
            )]
            let dir = env::var_os("VOUCH_PEERS_DIR")
                .map_or_else(|| PathBuf::from(DEFAULT_SKOPEO_DIR), PathBuf::from);
            let path = dir.join("skopeo");
            assert!(
                path.is_file(),
                "skopeo 1.18 (with sigstore support) is not installed at {}: run `{INSTALL}` from \
                 the workspace root. It unpacks Debian 13's skopeo into {DEFAULT_SKOPEO_DIR} (or \
                 $VOUCH_PEERS_DIR); Debian 12's own skopeo cannot sign or verify sigstore signatures",
                path.display()
            );
            let output = Command::new(&path).arg("--version").output();
            let version = match &output {
                Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
                _ => panic!(
                    "{} --version failed ({output:?}): reinstall it with `{INSTALL}`",
                    path.display()
                ),
            };
            assert!(
                version.starts_with("skopeo version 1.18."),
                "{} is `{}`, not 1.18.x: reinstall it with `{INSTALL}`",
                path.display(),
                version.trim()
            );
            path
        })
        .clone()
}

/// A `Command` for skopeo 1.18 (see [`skopeo_path`]).
pub(crate) fn skopeo() -> Command {
    Command::new(skopeo_path())
}

/// A `Command` for a program of Debian 12 that install-peers.sh installs (`docker-registry`,
/// `umoci`, `htpasswd`, `openssl`). Panics, saying how to install it, if it is not on `PATH`.
pub(crate) fn system_peer(program: &str) -> Command {
    #[expect(
        clippy::disallowed_methods,
        reason = "PATH is where Debian's programs are; a missing one must be reported, not spawned"
    )]
    let found = env::var_os("PATH")
        .is_some_and(|path| env::split_paths(&path).any(|dir| dir.join(program).is_file()));
    assert!(
        found,
        "`{program}` is not installed (not on PATH): run `{INSTALL}` from the workspace root \
         (it installs docker-registry, umoci, apache2-utils, openssl and curl from Debian, and skopeo 1.18)"
    );
    Command::new(program)
}

/// Runs `cmd`, panicking with its arguments and output if it fails.
pub(crate) fn run_ok(cmd: &mut Command) -> Output {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {cmd:?}: {err}"));
    assert!(
        output.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn running_as_root() -> bool {
    fs::read_to_string("/proc/self/status").is_ok_and(|status| {
        status
            .lines()
            .find_map(|l| l.strip_prefix("Uid:"))
            .and_then(|ids| ids.split_whitespace().nth(1))
            == Some("0")
    })
}

// --- A minimal HTTP/1.0 client ----------------------------------------------------------------

/// An HTTP response, read whole.
#[derive(Debug)]
pub(crate) struct HttpResponse {
    pub(crate) status: u16,
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Vec<u8>,
}

impl HttpResponse {
    /// The first header of that name (case-insensitive).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One HTTP/1.0 request to `host` ("127.0.0.1:PORT"): HTTP/1.0 so that the server closes the
/// connection after the response and never chunks it; the body is everything up to EOF.
pub(crate) fn http(
    method: &str,
    host: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> io::Result<HttpResponse> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        write!(request, "{name}: {value}\r\n").unwrap();
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    stream.write_all(body)?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    let invalid = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("no end of headers"))?;
    let head = String::from_utf8_lossy(&raw[..end]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid("no status line"))?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(HttpResponse {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    })
}

// --- The registry -----------------------------------------------------------------------------

/// Certificates for a registry serving HTTPS on 127.0.0.1, made by `openssl` in a folder: a CA,
/// a server certificate it signed (SAN `IP:127.0.0.1`), and a client certificate it signed.
#[derive(Debug)]
pub(crate) struct TlsFiles {
    pub(crate) ca_cert: PathBuf,
    pub(crate) server_cert: PathBuf,
    pub(crate) server_key: PathBuf,
    pub(crate) client_cert: PathBuf,
    pub(crate) client_key: PathBuf,
    /// Require client certificates signed by this CA.
    pub(crate) client_ca: Option<PathBuf>,
}

impl TlsFiles {
    /// Makes the CA and both certificates in `dir` with the system's `openssl`.
    pub(crate) fn make(dir: &Path) -> Self {
        let path = |name: &str| dir.join(name);
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
        ];
        run_ok(
            system_peer("openssl")
                .args(["req", "-x509"])
                .args(ec)
                .arg("-keyout")
                .arg(path("ca.key"))
                .arg("-out")
                .arg(path("ca.crt"))
                .args(["-days", "2", "-subj", "/CN=vouch test registry CA"])
                .args(["-addext", "basicConstraints=critical,CA:TRUE"])
                .args(["-addext", "keyUsage=critical,keyCertSign"]),
        );
        for (name, extensions) in [
            (
                "server",
                "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=critical,CA:FALSE\n",
            ),
            (
                "client",
                "extendedKeyUsage=clientAuth\nbasicConstraints=critical,CA:FALSE\n",
            ),
        ] {
            run_ok(
                system_peer("openssl")
                    .arg("req")
                    .args(ec)
                    .arg("-keyout")
                    .arg(path(&format!("{name}.key")))
                    .arg("-out")
                    .arg(path(&format!("{name}.csr")))
                    .args(["-subj", &format!("/CN=vouch test {name}")]),
            );
            let ext = path(&format!("{name}.ext"));
            fs::write(&ext, extensions).unwrap();
            run_ok(
                system_peer("openssl")
                    .args(["x509", "-req", "-days", "2", "-in"])
                    .arg(path(&format!("{name}.csr")))
                    .arg("-CA")
                    .arg(path("ca.crt"))
                    .arg("-CAkey")
                    .arg(path("ca.key"))
                    .arg("-CAcreateserial")
                    .arg("-extfile")
                    .arg(&ext)
                    .arg("-out")
                    .arg(path(&format!("{name}.crt"))),
            );
        }
        Self {
            ca_cert: path("ca.crt"),
            server_cert: path("server.crt"),
            server_key: path("server.key"),
            client_cert: path("client.crt"),
            client_key: path("client.key"),
            client_ca: None,
        }
    }

    /// The same files, with client certificates required.
    pub(crate) fn requiring_client_certificates(mut self) -> Self {
        self.client_ca = Some(self.ca_cert.clone());
        self
    }

    /// A folder in containers/image's `--*-cert-dir` layout (`ca.crt`, `client.cert`,
    /// `client.key`), for skopeo.
    pub(crate) fn cert_dir(&self, dir: &Path) -> PathBuf {
        fs::create_dir_all(dir).unwrap();
        fs::copy(&self.ca_cert, dir.join("ca.crt")).unwrap();
        fs::copy(&self.client_cert, dir.join("client.cert")).unwrap();
        fs::copy(&self.client_key, dir.join("client.key")).unwrap();
        dir.to_path_buf()
    }
}

/// How the registry authenticates clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Auth {
    /// Anyone may pull and push.
    None,
    /// HTTP basic auth against an htpasswd file (bcrypt).
    Htpasswd { user: String, pass: String },
    /// Docker token auth: the client gets an ES256 JWT from the token server with basic auth.
    Bearer { user: String, pass: String },
}

impl Auth {
    /// Basic auth as `user`/`pass`.
    pub(crate) fn htpasswd(user: &str, pass: &str) -> Self {
        Self::Htpasswd {
            user: user.to_owned(),
            pass: pass.to_owned(),
        }
    }

    /// Bearer tokens for `user`/`pass`.
    pub(crate) fn bearer(user: &str, pass: &str) -> Self {
        Self::Bearer {
            user: user.to_owned(),
            pass: pass.to_owned(),
        }
    }

    /// The user name and password, if the registry has any.
    pub(crate) fn credentials(&self) -> Option<(&str, &str)> {
        match self {
            Self::None => None,
            Self::Htpasswd { user, pass } | Self::Bearer { user, pass } => Some((user, pass)),
        }
    }
}

fn basic(user: &str, pass: &str) -> String {
    format!("Basic {}", STANDARD.encode(format!("{user}:{pass}")))
}

/// A running `docker-registry serve` on 127.0.0.1 (and its token server, for [`Auth::Bearer`]),
/// with its files (config, storage, log, skopeo's policy and registries.d) in a temporary folder.
/// Dropping it stops both.
#[derive(Debug)]
pub(crate) struct Registry {
    child: Child,
    host: String,
    auth: Auth,
    log: PathBuf,
    token_server: Option<TokenServer>,
    // Last: removed after the process is stopped.
    dir: TempDir,
}

impl Registry {
    /// Starts a registry with `auth` on a free port and waits until `GET /v2/` answers.
    pub(crate) fn start(auth: Auth) -> Self {
        Self::start_with(auth, None)
    }

    /// [`Registry::start`], serving HTTPS with `tls` (and requiring client certificates
    /// signed by `tls.client_ca`, if set).
    pub(crate) fn start_with(mut auth: Auth, tls: Option<&TlsFiles>) -> Self {
        let mut dir = tempfile::Builder::new()
            .prefix("vouch-registry-")
            .tempdir()
            .unwrap();
        let root = dir.path().to_path_buf();
        let root = root.as_path();
        let q = |path: &Path| serde_json::to_string(&path.to_str().unwrap()).unwrap();
        let (auth_yaml, token_server) = match &auth {
            Auth::None => (String::new(), None),
            Auth::Htpasswd { user, pass } => {
                let out = run_ok(system_peer("htpasswd").args(["-Bbn", user, pass]));
                let path = root.join("htpasswd");
                fs::write(&path, out.stdout).unwrap();
                let yaml = format!(
                    "auth:\n  htpasswd:\n    realm: vouch-basic-realm\n    path: {}\n",
                    q(&path)
                );
                (yaml, None)
            }
            Auth::Bearer { user, pass } => {
                let server = TokenServer::start(&root.join("token"), user, pass);
                let yaml = format!(
                    "auth:\n  token:\n    realm: {}\n    service: {TOKEN_SERVICE}\n    \
                     issuer: {TOKEN_ISSUER}\n    rootcertbundle: {}\n",
                    serde_json::to_string(&server.realm()).unwrap(),
                    q(&server.cert),
                );
                (yaml, Some(server))
            }
        };
        let tls_yaml = tls.map_or_else(String::new, |tls| {
            let mut yaml = format!(
                "  tls:\n    certificate: {}\n    key: {}\n",
                q(&tls.server_cert),
                q(&tls.server_key)
            );
            if let Some(ca) = &tls.client_ca {
                yaml.push_str(&format!("    clientcas:\n      - {}\n", q(ca)));
            }
            yaml
        });
        fs::create_dir_all(root.join("registries.d")).unwrap();
        fs::write(
            root.join("policy-accept-anything.json"),
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )
        .unwrap();

        // The port is picked by binding to port 0 and released before the registry binds it, so
        // another process may take it in between: then the registry exits, and we try another.
        let mut last_log = String::new();
        for attempt in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")
                .unwrap()
                .local_addr()
                .unwrap()
                .port();
            let host = format!("127.0.0.1:{port}");
            let config = root.join("config.yml");
            fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: info\n  accesslog: {{disabled: true}}\n\
                     storage:\n  filesystem: {{rootdirectory: {}}}\n  delete: {{enabled: true}}\n\
                     http:\n  addr: {host}\n  secret: vouch-test-http-secret\n{tls_yaml}{auth_yaml}",
                    q(&root.join("data"))
                ),
            )
            .unwrap();
            // skopeo writes and reads sigstore attachments only for registries listed here.
            fs::write(
                root.join("registries.d/vouch-test.yaml"),
                format!("docker:\n  {host}:\n    use-sigstore-attachments: true\n"),
            )
            .unwrap();
            let log = root.join(format!("registry-{attempt}.log"));
            let log_file = fs::File::create(&log).unwrap();
            let child = system_peer("docker-registry")
                .arg("serve")
                .arg(&config)
                .current_dir(root)
                .stdin(Stdio::null())
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file)
                .spawn()
                .unwrap_or_else(|err| panic!("cannot spawn docker-registry: {err}"));
            let mut registry = Self {
                child,
                host,
                auth,
                log,
                token_server: None,
                dir,
            };
            match registry.wait_ready() {
                Ok(()) => {
                    registry.token_server = token_server;
                    return registry;
                }
                Err(log) if log.contains("address already in use") => {
                    last_log = log;
                    // Take the folder and auth back (Drop stops the process); try another port.
                    dir = registry.take_dir();
                    auth = std::mem::replace(&mut registry.auth, Auth::None);
                }
                Err(log) => panic!("docker-registry did not start on {}:\n{log}", registry.host),
            }
        }
        panic!("docker-registry found no free port in 5 attempts:\n{last_log}")
    }

    /// Moves the temporary folder out, leaving an empty one that Drop removes.
    fn take_dir(&mut self) -> TempDir {
        std::mem::replace(&mut self.dir, TempDir::new().unwrap())
    }

    /// Polls until the registry has logged `listening on 127.0.0.1:PORT` (so that the port is
    /// its own, not another process's) and `GET /v2/` answers with any HTTP status. `Err(log)`
    /// if it exits or is not ready within [`START_TIMEOUT`].
    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return Err(format!(
                    "docker-registry exited ({status}):\n{}",
                    self.log_text()
                ));
            }
            let listening = format!("listening on {}", self.host);
            if self.log_text().contains(&listening)
                && http("GET", &self.host, "/v2/", &[], b"").is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "docker-registry did not answer GET http://{}/v2/ within {START_TIMEOUT:?}; \
                     its output:\n{}",
                    self.host,
                    self.log_text()
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// What the registry wrote to stdout and stderr so far (for failure messages).
    pub(crate) fn log_text(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// "127.0.0.1:PORT".
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The auth mode it was started with.
    pub(crate) fn auth(&self) -> &Auth {
        &self.auth
    }

    /// The registry's temporary folder (config, storage, log).
    pub(crate) fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// skopeo's `--registries.d` folder: `use-sigstore-attachments: true` for this registry.
    pub(crate) fn registries_d(&self) -> PathBuf {
        self.dir().join("registries.d")
    }

    /// The token server's realm URL, for [`Auth::Bearer`].
    pub(crate) fn token_realm(&self) -> Option<String> {
        self.token_server.as_ref().map(TokenServer::realm)
    }

    /// Writes `dir/config.json`, a Docker client config with this registry's credentials
    /// (`{"auths": {"127.0.0.1:PORT": {"auth": base64("user:pass")}}}`; no entry without auth),
    /// and returns its path. Point `DOCKER_CONFIG` at `dir`, or pass the file to `--authfile`.
    pub(crate) fn docker_config(&self, dir: &Path) -> PathBuf {
        let mut auths = serde_json::Map::new();
        if let Some((user, pass)) = self.auth.credentials() {
            auths.insert(
                self.host.clone(),
                json!({ "auth": STANDARD.encode(format!("{user}:{pass}")) }),
            );
        }
        fs::create_dir_all(dir).unwrap();
        let path = dir.join("config.json");
        fs::write(
            &path,
            serde_json::to_vec_pretty(&json!({ "auths": auths })).unwrap(),
        )
        .unwrap();
        path
    }

    /// The `Authorization` header value for `scope` (e.g. `repository:test/app:pull,push`):
    /// basic auth, or a token fetched from the token server with basic auth; `None` without auth.
    pub(crate) fn authorization(&self, scope: &str) -> Option<String> {
        match &self.auth {
            Auth::None => None,
            Auth::Htpasswd { user, pass } => Some(basic(user, pass)),
            Auth::Bearer { user, pass } => {
                let server = self.token_server.as_ref().unwrap();
                let path = format!(
                    "/token?service={TOKEN_SERVICE}&scope={}",
                    percent_encode(scope)
                );
                let response = http(
                    "GET",
                    &server.addr.to_string(),
                    &path,
                    &[("Authorization", &basic(user, pass))],
                    b"",
                )
                .unwrap();
                assert_eq!(response.status, 200, "token server: {}", response.text());
                let body: Value = serde_json::from_slice(&response.body).unwrap();
                Some(format!("Bearer {}", body["token"].as_str().unwrap()))
            }
        }
    }

    /// One request to the registry with this registry's credentials for `repo` (pull and push).
    fn request(
        &self,
        method: &str,
        repo: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> HttpResponse {
        let authorization = self.authorization(&format!("repository:{repo}:pull,push"));
        let mut all = headers.to_vec();
        if let Some(value) = &authorization {
            all.push(("Authorization", value));
        }
        http(method, &self.host, path, &all, body)
            .unwrap_or_else(|err| panic!("{method} http://{}{path}: {err}", self.host))
    }

    /// `GET /v2/<repo>/manifests/<reference>`: the manifest's media type and exact bytes.
    pub(crate) fn get_manifest(&self, repo: &str, reference: &str) -> (String, Vec<u8>) {
        let path = format!("/v2/{repo}/manifests/{reference}");
        let response = self.request("GET", repo, &path, &[("Accept", MANIFEST_TYPES)], b"");
        assert_eq!(
            response.status,
            200,
            "GET {path}: {}\nregistry log:\n{}",
            response.text(),
            self.log_text()
        );
        let media_type = response.header("Content-Type").unwrap().to_owned();
        (media_type, response.body)
    }

    /// `GET /v2/<repo>/blobs/<digest>`: the blob's bytes.
    pub(crate) fn get_blob(&self, repo: &str, digest: &str) -> Vec<u8> {
        let path = format!("/v2/{repo}/blobs/{digest}");
        let response = self.request("GET", repo, &path, &[], b"");
        assert_eq!(response.status, 200, "GET {path}: {}", response.text());
        response.body
    }

    /// A blob upload (`POST /v2/<repo>/blobs/uploads/`, then one `PUT` of the bytes to the
    /// upload's location with `?digest=`); returns the blob's digest ("sha256:…").
    pub(crate) fn put_blob(&self, repo: &str, body: &[u8]) -> String {
        use sha2::Digest as _;
        let digest = format!("sha256:{}", hex::encode(sha2::Sha256::digest(body)));
        let start = format!("/v2/{repo}/blobs/uploads/");
        let response = self.request("POST", repo, &start, &[], b"");
        assert_eq!(response.status, 202, "POST {start}: {}", response.text());
        let location = response.header("Location").unwrap();
        // Absolute (`http://host/v2/…`) or a path: the path and query are what is asked for.
        let location = location.find("/v2/").map_or(location, |at| &location[at..]);
        let separator = if location.contains('?') { '&' } else { '?' };
        let put = format!("{location}{separator}digest={digest}");
        let response = self.request(
            "PUT",
            repo,
            &put,
            &[("Content-Type", "application/octet-stream")],
            body,
        );
        assert_eq!(response.status, 201, "PUT {put}: {}", response.text());
        digest
    }

    /// `PUT /v2/<repo>/manifests/<reference>` with these exact bytes; returns the digest the
    /// registry gives it ("sha256:…"). Its blobs must already be in `repo`.
    pub(crate) fn put_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        body: &[u8],
    ) -> String {
        let path = format!("/v2/{repo}/manifests/{reference}");
        let response = self.request("PUT", repo, &path, &[("Content-Type", media_type)], body);
        assert_eq!(
            response.status,
            201,
            "PUT {path}: {}\nregistry log:\n{}",
            response.text(),
            self.log_text()
        );
        response.header("Docker-Content-Digest").unwrap().to_owned()
    }

    /// `--src-creds`/`--dest-creds` (or `--*-no-creds`) arguments for skopeo.
    fn creds_args(&self, side: &str) -> Vec<String> {
        match self.auth.credentials() {
            Some((user, pass)) => vec![format!("--{side}-creds"), format!("{user}:{pass}")],
            None => vec![format!("--{side}-no-creds")],
        }
    }

    /// skopeo with this registry's registries.d and an accept-anything policy, plus `args`.
    pub(crate) fn skopeo_copy(&self) -> Command {
        let mut cmd = skopeo();
        cmd.arg("--registries.d")
            .arg(self.registries_d())
            .arg("--policy")
            .arg(self.dir().join("policy-accept-anything.json"))
            .arg("copy")
            .arg("--retry-times=0");
        cmd
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- The token server -------------------------------------------------------------------------

/// A Docker token server on 127.0.0.1 in a thread of the test process. `GET /token?service=…&
/// scope=…` with the right basic credentials answers `{"token": JWT}`, an ES256 JWT whose `x5c`
/// header carries the self-signed certificate that the registry trusts (`rootcertbundle`), with
/// claims iss, sub, aud, exp, nbf, iat, jti and `access` granting every requested action on every
/// requested resource. Wrong or missing credentials get 401. Stops when dropped.
#[derive(Debug)]
pub(crate) struct TokenServer {
    addr: SocketAddr,
    /// The certificate (PEM) for the registry's `rootcertbundle`.
    cert: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

/// What the token server needs to issue tokens.
struct Issuer {
    key: SigningKey,
    cert_der: Vec<u8>,
    /// The JWT `sub`.
    user: String,
    /// The expected `Authorization` header.
    basic: String,
}

impl TokenServer {
    /// Makes a P-256 key and self-signed certificate with openssl in `dir`, and starts serving.
    fn start(dir: &Path, user: &str, pass: &str) -> Self {
        fs::create_dir_all(dir).unwrap();
        let key_pem = dir.join("token.key");
        let cert = dir.join("token.crt");
        run_ok(
            system_peer("openssl")
                .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
                .args(["ec_paramgen_curve:prime256v1", "-nodes", "-days", "2"])
                .args(["-subj", "/CN=vouch test token issuer", "-keyout"])
                .arg(&key_pem)
                .arg("-out")
                .arg(&cert),
        );
        let key =
            SigningKey::from_pkcs8_der(&pem_body(&fs::read_to_string(&key_pem).unwrap())).unwrap();
        let issuer = Issuer {
            key,
            cert_der: pem_body(&fs::read_to_string(&cert).unwrap()),
            user: user.to_owned(),
            basic: basic(user, pass),
        };
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stopped = Arc::clone(&stop);
        let thread = thread::spawn(move || {
            for stream in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                if let Ok(stream) = stream {
                    // A broken connection is the client's problem; keep serving.
                    let _ = serve_token(stream, &issuer);
                }
            }
        });
        Self {
            addr,
            cert,
            stop,
            thread: Some(thread),
        }
    }

    /// The realm URL the registry sends clients to.
    fn realm(&self) -> String {
        format!("http://{}/token", self.addr)
    }
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The DER inside a PEM file's first block.
fn pem_body(pem: &str) -> Vec<u8> {
    let b64: String = pem
        .lines()
        .skip_while(|l| !l.starts_with("-----BEGIN"))
        .skip(1)
        .take_while(|l| !l.starts_with("-----END"))
        .collect();
    STANDARD.decode(b64).unwrap()
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                match s
                    .get(i + 1..i + 3)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
                {
                    Some(b) => {
                        out.push(b);
                        i += 3;
                    }
                    None => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

static JTI: AtomicU64 = AtomicU64::new(0);

/// Answers one token request.
fn serve_token(mut stream: TcpStream, issuer: &Issuer) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    while !raw.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buf)?;
        if n == 0 {
            return Ok(());
        }
        raw.extend_from_slice(&buf[..n]);
    }
    let head = String::from_utf8_lossy(&raw).into_owned();
    let mut lines = head.split("\r\n");
    let target = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap_or("");
    let authorized = lines
        .filter_map(|l| l.split_once(':'))
        .any(|(k, v)| k.trim().eq_ignore_ascii_case("authorization") && v.trim() == issuer.basic);
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let (status, body) = if path != "/token" {
        ("404 Not Found", json!({"errors": [{"code": "NOT_FOUND"}]}))
    } else if !authorized {
        (
            "401 Unauthorized",
            json!({"errors": [{"code": "UNAUTHORIZED", "message": "bad or missing credentials"}]}),
        )
    } else {
        let mut service = String::new();
        let mut access = Vec::new();
        for (name, value) in query.split('&').filter_map(|p| p.split_once('=')) {
            let value = percent_decode(value);
            match name {
                "service" => service = value,
                "scope" => {
                    for scope in value.split(' ') {
                        // type:name:actions; the name may itself hold colons.
                        let Some((kind, rest)) = scope.split_once(':') else {
                            continue;
                        };
                        let Some((resource, actions)) = rest.rsplit_once(':') else {
                            continue;
                        };
                        access.push(json!({
                            "type": kind,
                            "name": resource,
                            "actions": actions.split(',').collect::<Vec<_>>(),
                        }));
                    }
                }
                _ => {}
            }
        }
        let token = issue_token(issuer, &service, &access);
        (
            "200 OK",
            json!({"token": token, "access_token": token, "expires_in": 600}),
        )
    };
    let body = serde_json::to_vec(&body).unwrap();
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if status.starts_with("401") {
        response.push_str("WWW-Authenticate: Basic realm=\"vouch-token-server\"\r\n");
    }
    response.push_str("\r\n");
    stream.write_all(response.as_bytes())?;
    stream.write_all(&body)?;
    stream.flush()
}

/// An ES256 JWT for the issuer's user with audience `aud` granting `access`, valid 10 minutes.
fn issue_token(issuer: &Issuer, aud: &str, access: &[Value]) -> String {
    #[expect(
        clippy::disallowed_methods,
        reason = "the registry checks exp and nbf against its own clock"
    )]
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let header = json!({
        "alg": "ES256",
        "typ": "JWT",
        "x5c": [STANDARD.encode(&issuer.cert_der)],
    });
    let claims = json!({
        "iss": TOKEN_ISSUER,
        "sub": issuer.user,
        "aud": aud,
        "exp": now + 600,
        "nbf": now - 10,
        "iat": now,
        "jti": format!("vouch-{}-{}", std::process::id(), JTI.fetch_add(1, Ordering::SeqCst)),
        "access": access,
    });
    let signing_input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header).unwrap()),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap())
    );
    let signature: p256::ecdsa::Signature = issuer.key.sign(signing_input.as_bytes());
    format!(
        "{signing_input}.{}",
        URL_SAFE_NO_PAD.encode(signature.to_bytes())
    )
}

// --- Images, keys, signatures -----------------------------------------------------------------

/// An image pushed to a [`Registry`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Image {
    /// "127.0.0.1:PORT".
    pub(crate) host: String,
    /// Repository, e.g. "test/app".
    pub(crate) repo: String,
    /// Tag, e.g. "signed".
    pub(crate) tag: String,
    /// Manifest digest, "sha256:<hex>".
    pub(crate) digest: String,
}

impl Image {
    /// "127.0.0.1:PORT/test/app:tag".
    pub(crate) fn reference(&self) -> String {
        format!("{}/{}:{}", self.host, self.repo, self.tag)
    }

    /// "127.0.0.1:PORT/test/app@sha256:…".
    pub(crate) fn pinned(&self) -> String {
        format!("{}/{}@{}", self.host, self.repo, self.digest)
    }

    /// "test/app:tag", as [`push`] and [`skopeo_policy_verdict`] take it.
    pub(crate) fn repo_tag(&self) -> String {
        format!("{}:{}", self.repo, self.tag)
    }

    /// The tag of its cosign signature manifest: "sha256-<hex>.sig".
    pub(crate) fn sig_tag(&self) -> String {
        format!("{}.sig", self.digest.replace(':', "-"))
    }
}

/// Splits "test/app:tag" or "test/app@sha256:…" into repository and tag-or-digest.
fn split_repo(repo_tag: &str) -> (&str, &str) {
    if let Some(split) = repo_tag.split_once('@') {
        return split;
    }
    let slash = repo_tag.rfind('/').map_or(0, |i| i + 1);
    match repo_tag[slash..].rfind(':') {
        Some(colon) => (&repo_tag[..slash + colon], &repo_tag[slash + colon + 1..]),
        None => (repo_tag, "latest"),
    }
}

/// Builds a one-layer linux/amd64 image holding `content` as `/content`, with umoci, tagged
/// `name` in the OCI layout `workdir/oci` (made if missing). Returns "LAYOUT:name", the `oci:`
/// reference [`push`] and [`sign_and_push`] take. Every call gives a new digest (umoci records
/// the time), and different `content` always does.
pub(crate) fn build_image(workdir: &Path, name: &str, content: &[u8]) -> String {
    let layout = workdir.join("oci");
    let image = format!("{}:{name}", layout.to_str().unwrap());
    let file = workdir.join(format!("{name}.content"));
    fs::write(&file, content).unwrap();
    if !layout.join("index.json").is_file() {
        run_ok(
            system_peer("umoci")
                .arg("init")
                .arg("--layout")
                .arg(&layout),
        );
    }
    run_ok(system_peer("umoci").args(["new", "--image", &image]));
    let mut insert = system_peer("umoci");
    insert.arg("insert");
    if !running_as_root() {
        insert.arg("--rootless");
    }
    run_ok(insert.args(["--image", &image]).arg(&file).arg("/content"));
    run_ok(system_peer("umoci").args([
        "config",
        "--image",
        &image,
        "--architecture",
        "amd64",
        "--os",
        "linux",
    ]));
    run_ok(system_peer("umoci").arg("gc").arg("--layout").arg(&layout));
    image
}

/// skopeo copy `from` (a transport reference) to `registry/repo_tag`, with extra `args`; the
/// pushed image, or skopeo's stderr.
fn copy_to(
    registry: &Registry,
    from: &str,
    repo_tag: &str,
    args: &[String],
    creds: &[String],
) -> Result<Image, String> {
    let (repo, tag) = split_repo(repo_tag);
    let digest_file = tempfile::NamedTempFile::new().unwrap();
    let mut cmd = registry.skopeo_copy();
    cmd.args(["--src-tls-verify=false", "--dest-tls-verify=false"])
        .args(creds)
        .args(args)
        .arg("--digestfile")
        .arg(digest_file.path())
        .arg(from)
        .arg(format!("docker://{}/{repo_tag}", registry.host()));
    let output = cmd.stdin(Stdio::null()).output().unwrap();
    if !output.status.success() {
        return Err(format!(
            "{cmd:?} failed ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    let digest = fs::read_to_string(digest_file.path())
        .unwrap()
        .trim()
        .to_owned();
    assert!(
        digest.starts_with("sha256:"),
        "skopeo --digestfile wrote {digest:?}"
    );
    Ok(Image {
        host: registry.host().to_owned(),
        repo: repo.to_owned(),
        tag: tag.to_owned(),
        digest,
    })
}

/// Pushes `layout_ref` (from [`build_image`]) to `registry` as `repo_tag` ("test/app:tag") with
/// the registry's credentials, unsigned.
pub(crate) fn push(layout_ref: &str, registry: &Registry, repo_tag: &str) -> Image {
    push_with_creds(
        layout_ref,
        registry,
        repo_tag,
        registry.auth().credentials(),
    )
    .unwrap_or_else(|err| panic!("{err}\nregistry log:\n{}", registry.log_text()))
}

/// Like [`push`], with these credentials (`None`: anonymously); skopeo's error if it fails.
pub(crate) fn push_with_creds(
    layout_ref: &str,
    registry: &Registry,
    repo_tag: &str,
    creds: Option<(&str, &str)>,
) -> Result<Image, String> {
    let creds = match creds {
        Some((user, pass)) => vec!["--dest-creds".to_owned(), format!("{user}:{pass}")],
        None => vec!["--dest-no-creds".to_owned()],
    };
    copy_to(
        registry,
        &format!("oci:{layout_ref}"),
        repo_tag,
        &[],
        &creds,
    )
}

/// A sigstore key pair made by `skopeo generate-sigstore-key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Key {
    /// `PREFIX.private`: PEM `ENCRYPTED COSIGN PRIVATE KEY` (scrypt + secretbox).
    pub(crate) private: PathBuf,
    /// `PREFIX.pub`: PEM SPKI public key (P-256).
    pub(crate) public: PathBuf,
    pub(crate) passphrase: String,
    /// A file holding just the passphrase (no newline).
    pub(crate) passphrase_file: PathBuf,
}

/// `skopeo generate-sigstore-key --output-prefix dir/prefix --passphrase-file …`.
pub(crate) fn generate_key(dir: &Path, prefix: &str, passphrase: &str) -> Key {
    let passphrase_file = dir.join(format!("{prefix}.passphrase"));
    fs::write(&passphrase_file, passphrase).unwrap();
    let out = dir.join(prefix);
    run_ok(
        skopeo()
            .arg("generate-sigstore-key")
            .arg("--output-prefix")
            .arg(&out)
            .arg("--passphrase-file")
            .arg(&passphrase_file),
    );
    let key = Key {
        private: dir.join(format!("{prefix}.private")),
        public: dir.join(format!("{prefix}.pub")),
        passphrase: passphrase.to_owned(),
        passphrase_file,
    };
    assert!(
        key.private.is_file() && key.public.is_file(),
        "skopeo wrote no {key:?}"
    );
    key
}

fn sign_args(key: &Key) -> Vec<String> {
    vec![
        "--sign-by-sigstore-private-key".to_owned(),
        key.private.to_str().unwrap().to_owned(),
        "--sign-passphrase-file".to_owned(),
        key.passphrase_file.to_str().unwrap().to_owned(),
    ]
}

/// Pushes `layout_ref` as `repo_tag` and signs it with `key`: skopeo writes the cosign signature
/// manifest under tag `sha256-<hex>.sig` (one simple-signing layer per signature).
pub(crate) fn sign_and_push(
    layout_ref: &str,
    registry: &Registry,
    repo_tag: &str,
    key: &Key,
) -> Image {
    copy_to(
        registry,
        &format!("oci:{layout_ref}"),
        repo_tag,
        &sign_args(key),
        &registry.creds_args("dest"),
    )
    .unwrap_or_else(|err| panic!("{err}\nregistry log:\n{}", registry.log_text()))
}

/// Adds a signature by `key` to an image already in the registry (copying it onto itself):
/// skopeo keeps the signatures already there and appends a layer to the `.sig` manifest.
pub(crate) fn sign_pushed(registry: &Registry, image: &Image, key: &Key) -> Image {
    let mut args = sign_args(key);
    args.extend(registry.creds_args("src"));
    let signed = copy_to(
        registry,
        &format!("docker://{}", image.reference()),
        &image.repo_tag(),
        &args,
        &registry.creds_args("dest"),
    )
    .unwrap_or_else(|err| panic!("{err}\nregistry log:\n{}", registry.log_text()));
    assert_eq!(signed.digest, image.digest, "re-signing changed the image");
    signed
}

/// Whether skopeo's policy engine accepts `registry/image` ("test/app:tag" or
/// "test/app@sha256:…") under `{"type": "sigstoreSigned", "keyPath": pubkey, "signedIdentity":
/// {"type": "matchRepository"}}` for its repository (everything else rejected). `false` only for a
/// policy rejection ("Source image rejected: …"); any other failure of skopeo panics, so that a
/// broken setup never passes for a rejection.
pub(crate) fn skopeo_policy_verdict(registry: &Registry, image: &str, pubkey: &Path) -> bool {
    skopeo_policy_check(registry, image, pubkey).is_ok()
}

/// Like [`skopeo_policy_verdict`], with skopeo's reason for a rejection.
pub(crate) fn skopeo_policy_check(
    registry: &Registry,
    image: &str,
    pubkey: &Path,
) -> Result<(), String> {
    skopeo_policy_check_with(registry, image, pubkey, &json!({"type": "matchRepository"}))
}

/// Like [`skopeo_policy_check`], with another `signedIdentity` (`remapIdentity` for a mirror).
pub(crate) fn skopeo_policy_check_with(
    registry: &Registry,
    image: &str,
    pubkey: &Path,
    signed_identity: &Value,
) -> Result<(), String> {
    let (repo, _) = split_repo(image);
    let work = TempDir::new().unwrap();
    let policy = work.path().join("policy.json");
    let scope = format!("{}/{repo}", registry.host());
    fs::write(
        &policy,
        serde_json::to_vec_pretty(&json!({
            "default": [{"type": "reject"}],
            "transports": {"docker": {scope: [{
                "type": "sigstoreSigned",
                "keyPath": pubkey,
                "signedIdentity": signed_identity,
            }]}},
        }))
        .unwrap(),
    )
    .unwrap();
    let mut cmd = skopeo();
    cmd.arg("--registries.d")
        .arg(registry.registries_d())
        .arg("--policy")
        .arg(&policy)
        .args([
            "copy",
            "--retry-times=0",
            "--remove-signatures",
            "--src-tls-verify=false",
        ])
        .args(registry.creds_args("src"))
        .arg(format!("docker://{}/{image}", registry.host()))
        .arg(format!("dir:{}", work.path().join("out").display()));
    let output = cmd.stdin(Stdio::null()).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if output.status.success() {
        return Ok(());
    }
    match stderr.split_once("Source image rejected: ") {
        Some((_, reason)) => Err(reason.trim().trim_end_matches('"').to_owned()),
        None => panic!(
            "skopeo failed for a reason other than its policy ({}): {cmd:?}\n{stderr}\nregistry log:\n{}",
            output.status,
            registry.log_text()
        ),
    }
}

/// Flips one bit in the last byte of the first signature of `image`'s `.sig` manifest (the last
/// byte of `s` in the DER, so the base64 and the DER stay well-formed but the signature is wrong),
/// and PUTs the changed manifest back under the same tag. Returns the new manifest's digest.
pub(crate) fn tamper_signature(registry: &Registry, image: &Image) -> String {
    let (media_type, bytes) = registry.get_manifest(&image.repo, &image.sig_tag());
    let mut manifest: Value = serde_json::from_slice(&bytes).unwrap();
    let annotation = &mut manifest["layers"][0]["annotations"][SIGNATURE_ANNOTATION];
    let mut der = STANDARD.decode(annotation.as_str().unwrap()).unwrap();
    *der.last_mut().unwrap() ^= 0x01;
    *annotation = Value::String(STANDARD.encode(&der));
    registry.put_manifest(
        &image.repo,
        &image.sig_tag(),
        &media_type,
        &serde_json::to_vec(&manifest).unwrap(),
    )
}

/// Copies `from`'s `.sig` manifest, byte for byte, to `to`'s `.sig` tag (same repository, so the
/// registry has its blobs): `to` then carries a genuine signature of another image. Returns the
/// digest of the copied manifest.
pub(crate) fn copy_signature(registry: &Registry, from: &Image, to: &Image) -> String {
    assert_eq!(
        from.repo, to.repo,
        "copy_signature works within one repository"
    );
    let (media_type, bytes) = registry.get_manifest(&from.repo, &from.sig_tag());
    registry.put_manifest(&to.repo, &to.sig_tag(), &media_type, &bytes)
}

// --- Referrers written by other tools (verify_image_bundles.rs) --------------------------------

impl Registry {
    /// The HTTP status of `GET /v2/<repo>/manifests/<reference>` with this registry's
    /// credentials: 200 if the manifest is there, 404 if not.
    pub(crate) fn manifest_status(&self, repo: &str, reference: &str) -> u16 {
        let path = format!("/v2/{repo}/manifests/{reference}");
        self.request("GET", repo, &path, &[("Accept", MANIFEST_TYPES)], b"")
            .status
    }
}
