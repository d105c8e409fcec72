//! A mock OCI registry on loopback, for what distribution lacks (a referrers API) and what a
//! broken or hostile registry does: wiremock serving an in-memory layout (manifests by tag and
//! by digest, blobs by digest, optionally a referrers API) and recording every request; plus a
//! runner for the `vouch` binary with a clean environment.
//!
//! wiremock runs its server on a thread of its own, so the `vouch` process (run synchronously
//! with [`vouch`]) reaches it while the test waits; the [`MockRegistry`] keeps a Tokio runtime
//! to mount mocks and read the request log. Loopback registries are reached over plain HTTP
//! (after a failed TLS handshake, which wiremock does not record as a request).

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer as _;
use p256::pkcs8::EncodePublicKey as _;
use serde_json::{Value, json};
use tempfile::TempDir;
use vouch_oci::OciDigest;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, ResponseTemplate};

pub(crate) const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub(crate) const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
pub(crate) const OCI_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
pub(crate) const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";
pub(crate) const OCI_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";
pub(crate) const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub(crate) const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub(crate) const IN_TOTO: &str = "application/vnd.in-toto+json";
pub(crate) const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";
pub(crate) const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// A wiremock registry and the runtime that talks to it. Dropping it stops the server (and
/// checks the `expect`ations of its mocks).
pub(crate) struct MockRegistry {
    // Declared first, so the server is dropped while the runtime still exists.
    server: MockServer,
    runtime: tokio::runtime::Runtime,
}

impl MockRegistry {
    /// A fresh server on a free 127.0.0.1 port, with nothing mounted: every request is a 404.
    pub(crate) fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let server = runtime.block_on(MockServer::builder().start());
        Self { server, runtime }
    }

    /// `127.0.0.1:PORT`.
    pub(crate) fn host(&self) -> String {
        self.server.address().to_string()
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn uri(&self) -> String {
        self.server.uri()
    }

    /// `127.0.0.1:PORT/<repo_and_reference>` (`repo:tag` or `repo@digest`).
    pub(crate) fn image(&self, repo_and_reference: &str) -> String {
        format!("{}/{repo_and_reference}", self.host())
    }

    /// Mounts `mock` (earlier mounts win among mocks of the same priority).
    pub(crate) fn mount(&self, mock: Mock) {
        self.runtime.block_on(mock.mount(&self.server));
    }

    /// Serves `body` as a manifest of `media_type` at each of `references` (tags) and at its
    /// own digest, with `Content-Type` and `Docker-Content-Digest`, to GET and HEAD. Returns the
    /// digest.
    pub(crate) fn manifest(
        &self,
        repo: &str,
        references: &[&str],
        media_type: &str,
        body: &[u8],
    ) -> OciDigest {
        let digest = OciDigest::sha256_of(body);
        let digest_text = digest.to_string();
        for reference in references.iter().copied().chain([digest_text.as_str()]) {
            // HEAD gets the same headers (hyper sends no body with them).
            for verb in ["GET", "HEAD"] {
                self.mount(
                    Mock::given(method(verb))
                        .and(path(format!("/v2/{repo}/manifests/{reference}")))
                        .respond_with(found(body, media_type, &digest)),
                );
            }
        }
        digest
    }

    /// Serves `body` as a blob at its digest. Returns the digest.
    pub(crate) fn blob(&self, repo: &str, body: &[u8]) -> OciDigest {
        let digest = OciDigest::sha256_of(body);
        self.mount(
            Mock::given(method("GET"))
                .and(path(format!("/v2/{repo}/blobs/{digest}")))
                .respond_with(found(body, "application/octet-stream", &digest)),
        );
        digest
    }

    /// An image manifest (config and one layer, made from `seed` so that images differ) at
    /// tag `tag` and its digest. Returns the manifest's bytes and digest.
    pub(crate) fn image_manifest(&self, repo: &str, tag: &str, seed: &str) -> (Vec<u8>, OciDigest) {
        let body = image_manifest_bytes(seed);
        let digest = self.manifest(repo, &[tag], OCI_MANIFEST, &body);
        (body, digest)
    }

    /// cosign's legacy signature manifest for `subject` (tag `sha256-<hex>.sig`), one layer per
    /// entry of `layers`, with their payload blobs. Returns the `.sig` manifest's digest.
    pub(crate) fn legacy_signatures(
        &self,
        repo: &str,
        subject: &OciDigest,
        layers: &[SignatureLayer],
    ) -> OciDigest {
        for layer in layers {
            self.blob(repo, &layer.payload);
        }
        let body = signature_manifest_bytes(layers);
        self.manifest(
            repo,
            &[&format!("{}.sig", subject.tag_form())],
            OCI_MANIFEST,
            &body,
        )
    }

    /// A referrers API for `subject` that lists `referrers` (each `(manifest bytes,
    /// artifactType)`, also served by digest), as an OCI index.
    pub(crate) fn referrers(&self, repo: &str, subject: &OciDigest, referrers: &[(Vec<u8>, &str)]) {
        let mut manifests = Vec::new();
        for (body, artifact_type) in referrers {
            let digest = self.manifest(repo, &[], OCI_MANIFEST, body);
            manifests.push(json!({
                "mediaType": OCI_MANIFEST,
                "artifactType": artifact_type,
                "digest": digest.to_string(),
                "size": body.len(),
            }));
        }
        let index = json!({ "schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests })
            .to_string()
            .into_bytes();
        self.mount(
            Mock::given(method("GET"))
                .and(path(format!("/v2/{repo}/referrers/{subject}")))
                .respond_with(ResponseTemplate::new(200).set_body_raw(index, OCI_INDEX)),
        );
    }

    /// A Sigstore bundle as cosign v3 attaches it: a referrer manifest whose single layer is
    /// the bundle, `subject` naming the image. Returns the manifest's bytes, to pass to
    /// [`Self::referrers`].
    pub(crate) fn bundle_referrer(
        &self,
        repo: &str,
        subject: &OciDigest,
        bundle: &[u8],
    ) -> Vec<u8> {
        let config = self.blob(repo, b"{}");
        let layer = self.blob(repo, bundle);
        json!({
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "artifactType": BUNDLE_V03,
            "config": { "mediaType": OCI_EMPTY, "digest": config.to_string(), "size": 2 },
            "layers": [{ "mediaType": BUNDLE_V03, "digest": layer.to_string(), "size": bundle.len() }],
            "subject": { "mediaType": OCI_MANIFEST, "digest": subject.to_string(), "size": 1 },
            "annotations": {
                "dev.sigstore.bundle.content": "dsse-envelope",
                "dev.sigstore.bundle.predicateType": COSIGN_SIGN,
            },
        })
        .to_string()
        .into_bytes()
    }

    /// Every request received, in the order they arrived.
    pub(crate) fn requests(&self) -> Vec<Request> {
        self.runtime
            .block_on(self.server.received_requests())
            .unwrap_or_default()
    }

    /// `METHOD /path[?query]` of every request, in the order they arrived.
    pub(crate) fn request_log(&self) -> Vec<String> {
        self.requests()
            .iter()
            .map(|r| {
                let query = r.url.query().map(|q| format!("?{q}")).unwrap_or_default();
                format!("{} {}{query}", r.method, r.url.path())
            })
            .collect()
    }
}

/// A 200 with `body`, its `Content-Type` and `Docker-Content-Digest`.
pub(crate) fn found(body: &[u8], media_type: &str, digest: &OciDigest) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(body.to_vec(), media_type)
        .insert_header("Docker-Content-Digest", digest.to_string())
}

/// An OCI image manifest with a config and one layer whose digests are made from `seed`.
pub(crate) fn image_manifest_bytes(seed: &str) -> Vec<u8> {
    let config = OciDigest::sha256_of(format!("config of {seed}").as_bytes());
    let layer = OciDigest::sha256_of(format!("layer of {seed}").as_bytes());
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": { "mediaType": OCI_CONFIG, "digest": config.to_string(), "size": 100 },
        "layers": [{ "mediaType": OCI_LAYER, "digest": layer.to_string(), "size": 1000 }],
    })
    .to_string()
    .into_bytes()
}

/// One layer of a legacy `.sig` manifest: the payload blob, its annotations, its media type.
#[derive(Debug, Clone)]
pub(crate) struct SignatureLayer {
    pub(crate) payload: Vec<u8>,
    pub(crate) annotations: BTreeMap<String, String>,
    pub(crate) media_type: String,
}

impl SignatureLayer {
    /// A simple-signing layer with a signature annotation only.
    pub(crate) fn signed(payload: Vec<u8>, signature_b64: String) -> Self {
        Self {
            payload,
            annotations: BTreeMap::from([(SIGNATURE_ANNOTATION.to_owned(), signature_b64)]),
            media_type: SIMPLE_SIGNING.to_owned(),
        }
    }

    /// The layer descriptor, as cosign writes it into the `.sig` manifest.
    pub(crate) fn descriptor(&self) -> Value {
        json!({
            "mediaType": self.media_type,
            "size": self.payload.len(),
            "digest": OciDigest::sha256_of(&self.payload).to_string(),
            "annotations": self.annotations,
        })
    }
}

/// A `.sig` manifest as cosign writes it: an OCI manifest, one layer per signature.
pub(crate) fn signature_manifest_bytes(layers: &[SignatureLayer]) -> Vec<u8> {
    json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": OCI_CONFIG,
            "size": 233,
            "digest": OciDigest::sha256_of(b"cosign signature config").to_string(),
        },
        "layers": layers.iter().map(SignatureLayer::descriptor).collect::<Vec<_>>(),
    })
    .to_string()
    .into_bytes()
}

// --- Keys and signatures ----------------------------------------------------------------------

/// A P-256 test key, fixed by `seed` (1..=255), with its public key written as DER SPKI.
#[derive(Debug)]
pub(crate) struct TestKey {
    pub(crate) signing: SigningKey,
    /// The public key file.
    pub(crate) public: PathBuf,
}

impl TestKey {
    pub(crate) fn new(dir: &Path, seed: u8) -> Self {
        let signing = SigningKey::from_slice(&[seed; 32]).unwrap();
        let public = dir.join(format!("key-{seed}.pub"));
        let der = signing.verifying_key().to_public_key_der().unwrap();
        std::fs::write(&public, der.as_bytes()).unwrap();
        Self { signing, public }
    }

    /// An ASN.1 DER ECDSA signature over `message` (SHA-256).
    pub(crate) fn sign(&self, message: &[u8]) -> Vec<u8> {
        let signature: p256::ecdsa::Signature = self.signing.sign(message);
        signature.to_der().as_bytes().to_vec()
    }

    /// A legacy layer: a simple-signing payload for `digest`, signed.
    pub(crate) fn simple_signing_layer(
        &self,
        docker_reference: &str,
        digest: &OciDigest,
    ) -> SignatureLayer {
        let payload = simple_signing_payload(docker_reference, digest);
        let signature = b64(&self.sign(&payload));
        SignatureLayer::signed(payload, signature)
    }

    /// `base64(sha256(DER SPKI))`, the `publicKey.hint` cosign writes.
    pub(crate) fn hint(&self) -> String {
        let der = self.signing.verifying_key().to_public_key_der().unwrap();
        let fingerprint = OciDigest::sha256_of(der.as_bytes());
        let bytes: Vec<u8> = (0..fingerprint.hex().len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&fingerprint.hex()[i..i + 2], 16).unwrap())
            .collect();
        b64(&bytes)
    }

    /// A Sigstore bundle v0.3 as `cosign sign --key --tlog-upload=false` (new bundle format)
    /// writes it: a DSSE envelope of `statement`, a public-key hint, no log entry.
    pub(crate) fn dsse_bundle(&self, statement: &[u8]) -> Vec<u8> {
        json!({
            "mediaType": BUNDLE_V03,
            "verificationMaterial": { "publicKey": { "hint": self.hint() }, "tlogEntries": [] },
            "dsseEnvelope": {
                "payload": b64(statement),
                "payloadType": IN_TOTO,
                "signatures": [{ "sig": b64(&self.sign(&pae(IN_TOTO, statement))), "keyid": "" }],
            },
        })
        .to_string()
        .into_bytes()
    }
}

/// The simple-signing payload cosign signs (Go field order, `optional` null).
pub(crate) fn simple_signing_payload(docker_reference: &str, digest: &OciDigest) -> Vec<u8> {
    format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{docker_reference}"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"cosign container image signature"}},"optional":null}}"#
    )
    .into_bytes()
}

/// An in-toto Statement v1 naming `subject` (sha256), of `predicate_type`.
pub(crate) fn statement(subject: &OciDigest, predicate_type: &str) -> Vec<u8> {
    json!({
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{ "name": "image", "digest": { "sha256": subject.hex() } }],
        "predicateType": predicate_type,
        "predicate": {},
    })
    .to_string()
    .into_bytes()
}

/// DSSE's pre-authentication encoding.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

pub(crate) fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// --- Running vouch ----------------------------------------------------------------------------

/// What a `vouch verify --output json` run left.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    /// The JSON report (`Value::Null` if stdout held none).
    pub(crate) report: Value,
    pub(crate) stderr: String,
    pub(crate) elapsed: Duration,
    /// The highest resident set size seen while it ran (`VmHWM`, KiB), sampled every few ms.
    pub(crate) peak_rss_kib: u64,
}

impl Run {
    /// The report of the first image.
    pub(crate) fn image(&self) -> &Value {
        &self.report["images"][0]
    }

    /// The first image's `error`, or "".
    pub(crate) fn error(&self) -> &str {
        self.image()["error"].as_str().unwrap_or_default()
    }

    /// The categories of the first image's rejected signatures.
    pub(crate) fn rejected_categories(&self) -> Vec<String> {
        self.image()["rejected"]
            .as_array()
            .map(|r| {
                r.iter()
                    .map(|r| r["category"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Everything, for assertion messages.
    pub(crate) fn show(&self) -> String {
        format!(
            "exit {}\nreport: {:#}\nstderr: {}",
            self.code, self.report, self.stderr
        )
    }
}

/// `vouch verify --output json ARGS...` with no credentials, proxies or signature repository
/// from the environment; `env` adds variables.
pub(crate) fn vouch(args: &[&str], env: &[(&str, &str)]) -> Run {
    let home = TempDir::new().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_vouch"));
    command
        .arg("verify")
        .args(["--output", "json"])
        .args(args)
        .env("HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for name in [
        "DOCKER_CONFIG",
        "REGISTRY_AUTH_FILE",
        "XDG_RUNTIME_DIR",
        "XDG_CONFIG_HOME",
        "COSIGN_REPOSITORY",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "ALL_PROXY",
        "NO_PROXY",
        "http_proxy",
        "https_proxy",
        "all_proxy",
        "no_proxy",
    ] {
        command.env_remove(name);
    }
    for (name, value) in env {
        command.env(name, value);
    }
    let start = Instant::now();
    let mut child = command.spawn().unwrap();
    // Drain the pipes on threads, so that a large output cannot block the child.
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stdout.read_to_end(&mut bytes).unwrap();
        bytes
    });
    let err = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        stderr.read_to_end(&mut bytes).unwrap();
        bytes
    });
    let status_file = format!("/proc/{}/status", child.id());
    let mut peak_rss_kib = 0;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        peak_rss_kib = peak_rss_kib.max(vm_hwm_kib(&status_file).unwrap_or(0));
        assert!(
            start.elapsed() < Duration::from_secs(120),
            "vouch {args:?} ran for over 2 minutes"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let elapsed = start.elapsed();
    let stdout = out.join().unwrap();
    let stderr = String::from_utf8_lossy(&err.join().unwrap()).into_owned();
    let report = serde_json::from_slice(&stdout).unwrap_or(Value::Null);
    Run {
        code: status.code().unwrap_or(-1),
        report,
        stderr,
        elapsed,
        peak_rss_kib,
    }
}

/// `VmHWM` of a process, from its `/proc/PID/status`.
pub(crate) fn vm_hwm_kib(status_file: &str) -> Option<u64> {
    let status = std::fs::read_to_string(status_file).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()
}

// --- A raw HTTP server for bodies wiremock cannot stream ---------------------------------------

/// A one-path HTTP/1.1 server on 127.0.0.1 that answers every request with a 200 whose body
/// never ends (zeros): with a lying `Content-Length`, or chunked without end. Counts the body
/// bytes it managed to write before the client went away.
#[derive(Debug)]
pub(crate) struct EndlessBody {
    port: u16,
    written: Arc<AtomicU64>,
    connections: Arc<AtomicU64>,
    _thread: JoinHandle<()>,
}

impl EndlessBody {
    /// `content_length`: the `Content-Length` to announce, or `None` for chunked encoding.
    pub(crate) fn start(content_length: Option<u64>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let written = Arc::new(AtomicU64::new(0));
        let connections = Arc::new(AtomicU64::new(0));
        let (w, c) = (Arc::clone(&written), Arc::clone(&connections));
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { return };
                c.fetch_add(1, Ordering::Relaxed);
                let w = Arc::clone(&w);
                std::thread::spawn(move || serve_endless(stream, content_length, &w));
            }
        });
        Self {
            port,
            written,
            connections,
            _thread: thread,
        }
    }

    /// `http://127.0.0.1:PORT/blob`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/blob", self.port)
    }

    /// Body bytes written so far, over all connections.
    pub(crate) fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }

    /// Connections accepted so far.
    pub(crate) fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}

/// Reads the request head, then writes an endless body until the client goes away.
fn serve_endless(mut stream: TcpStream, content_length: Option<u64>, written: &AtomicU64) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let framing = match content_length {
        Some(len) => format!("Content-Length: {len}"),
        None => "Transfer-Encoding: chunked".to_owned(),
    };
    let headers =
        format!("HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n{framing}\r\n\r\n");
    if stream.write_all(headers.as_bytes()).is_err() {
        return;
    }
    let zeros = vec![0_u8; 64 * 1024];
    let chunk = if content_length.is_some() {
        zeros
    } else {
        let mut chunk = format!("{:x}\r\n", zeros.len()).into_bytes();
        chunk.extend_from_slice(&zeros);
        chunk.extend_from_slice(b"\r\n");
        chunk
    };
    // At most 1 GiB, so that a client that reads forever still ends the test.
    for _ in 0..(1 << 14) {
        if stream.write_all(&chunk).is_err() {
            return;
        }
        written.fetch_add(chunk.len() as u64, Ordering::Relaxed);
    }
}

/// A listener that only counts the connections made to it: set as the proxy, it shows
/// whether anything but the registry was contacted.
#[derive(Debug)]
pub(crate) struct ConnectionTrap {
    port: u16,
    connections: Arc<AtomicU64>,
    _thread: JoinHandle<()>,
}

impl ConnectionTrap {
    pub(crate) fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicU64::new(0));
        let c = Arc::clone(&connections);
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stream.is_err() {
                    return;
                }
                c.fetch_add(1, Ordering::Relaxed);
                // Dropped: the connection is closed at once.
            }
        });
        Self {
            port,
            connections,
            _thread: thread,
        }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub(crate) fn connections(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }
}
