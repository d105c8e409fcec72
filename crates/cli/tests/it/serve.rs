//! `vouch serve` end to end: the webhook over real HTTPS (certificates made by openssl, requests
//! sent by curl), judging images in a real registry (distribution 2.8.2, signed by skopeo
//! 1.18), with AdmissionReview bodies built from Kubernetes' own examples
//! (`testdata/interop/kubernetes`, see its PROVENANCE.md).
//!
//! Install the peers with `bash scripts/test.sh` (openssl, curl, and the registry peers).

use std::fs;
use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::registry_harness::{Auth, Registry, TlsFiles, system_peer};
use crate::verify_image_e2e::{signed_by_a, unsigned};

/// A running `vouch serve`, stopped (SIGTERM) when dropped.
struct Server {
    child: Child,
    stdout: BufReader<ChildStdout>,
    address: String,
    ca: PathBuf,
}

impl Server {
    fn start(policy: &Path, tls: &TlsFiles, flags: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args(["serve", "--listen", "127.0.0.1:0", "--policy"])
            .arg(policy)
            .arg("--tls-cert")
            .arg(&tls.server_cert)
            .arg("--tls-key")
            .arg(&tls.server_key)
            .args(flags)
            .env_remove("DOCKER_CONFIG")
            .env("HOME", policy.parent().unwrap())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let event: Value = serde_json::from_str(&line)
            .unwrap_or_else(|err| panic!("vouch serve's first line is no JSON ({err}): {line:?}"));
        let url = event["event"].as_str().unwrap();
        let address = url
            .strip_prefix("listening on https://")
            .unwrap_or_else(|| panic!("{line}"))
            .to_owned();
        Self {
            child,
            stdout,
            address,
            ca: tls.ca_cert.clone(),
        }
    }

    /// `curl` a request: the status and the body.
    fn request(&self, method: &str, path: &str, body: Option<&[u8]>) -> (u16, Vec<u8>) {
        self.request_with_ca(&self.ca, method, path, body)
    }

    fn request_with_ca(
        &self,
        ca: &Path,
        method: &str,
        path: &str,
        body: Option<&[u8]>,
    ) -> (u16, Vec<u8>) {
        let work = TempDir::new().unwrap();
        let out = work.path().join("out");
        let mut curl = system_peer("curl");
        curl.args(["-sS", "--max-time", "30", "-X", method, "--cacert"])
            .arg(ca)
            .arg("-o")
            .arg(&out)
            .args(["-w", "%{http_code}"])
            .arg(format!("https://{}{path}", self.address));
        if let Some(body) = body {
            let file = work.path().join("body");
            fs::write(&file, body).unwrap();
            curl.args(["-H", "Content-Type: application/json", "--data-binary"])
                .arg(format!("@{}", file.display()));
        }
        let output = curl.output().unwrap();
        assert!(output.status.success(), "curl failed: {output:?}");
        let status = String::from_utf8_lossy(&output.stdout).parse().unwrap();
        (status, fs::read(&out).unwrap_or_default())
    }

    /// POSTs a review; the answer's `response`.
    fn review(&self, path: &str, review: &Value) -> Value {
        let (status, body) = self.request("POST", path, Some(&serde_json::to_vec(review).unwrap()));
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let answer: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(answer["kind"], "AdmissionReview", "{answer}");
        assert_eq!(answer["apiVersion"], review["apiVersion"], "{answer}");
        assert_eq!(
            answer["response"]["uid"], review["request"]["uid"],
            "{answer}"
        );
        answer["response"].clone()
    }

    /// The next decision logged on stdout.
    fn next_decision(&mut self) -> Value {
        loop {
            let mut line = String::new();
            assert!(
                self.stdout.read_line(&mut line).unwrap() > 0,
                "stdout ended"
            );
            let entry: Value = serde_json::from_str(&line).unwrap();
            if entry.get("uid").is_some() {
                return entry;
            }
        }
    }

    fn stop(mut self) -> std::process::ExitStatus {
        terminate(&self.child);
        wait(&mut self.child)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn terminate(child: &Child) {
    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

fn wait(child: &mut Child) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "vouch serve did not stop"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Certificates for 127.0.0.1 in a new folder `dir`.
fn certificates(dir: &Path) -> TlsFiles {
    fs::create_dir_all(dir).unwrap();
    TlsFiles::make(dir)
}

/// A review from Kubernetes' examples, with its images replaced (at their JSON pointers).
fn kubernetes_review(file: &str, images: &[(&str, &str)]) -> Value {
    let path = vouch_testdata::root()
        .join("interop/kubernetes/reviews")
        .join(file);
    let mut review: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    for (pointer, image) in images {
        let field = review["request"]["object"]
            .pointer_mut(pointer)
            .unwrap_or_else(|| panic!("{file} has no {pointer}"));
        *field = json!(image);
    }
    review
}

fn policy(dir: &Path, host: &str, key: &Path) -> PathBuf {
    let path = dir.join("policy.yaml");
    fs::write(
        &path,
        format!(
            "apiVersion: vouch.dev/v1
kind: TrustPolicy
match: first
rules:
  - name: release
    images: [\"{host}/test/**\"]
    authorities:
      - key: {{path: {}}}
        tlog: false
  - name: everything-else
    images: [\"**\"]
    reject: only images from the test registry run here
",
            key.display()
        ),
    )
    .unwrap();
    path
}

#[test]
fn the_webhook_admits_signed_images_and_denies_the_others() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let signed = signed_by_a(&registry, work.path());
    let bare = unsigned(&registry, work.path());
    let host = registry.host();
    let signed_tag = format!("{host}/{}", signed.image.repo_tag());
    let signed_digest = format!("{host}/{}@{}", signed.image.repo, signed.image.digest);
    let unsigned_tag = format!("{host}/{}", bare.image.repo_tag());
    let tls = certificates(&work.path().join("tls"));
    let policy = policy(work.path(), host, &signed.key_a.public);
    let mut server = Server::start(&policy, &tls, &["--mutate"]);

    // Every workload kind, its containers (init and ephemeral too) all signed: admitted.
    for (file, pointers) in [
        ("pod-nginx.json", &["/spec/containers/0/image"][..]),
        (
            "pod-init-demo.json",
            &["/spec/initContainers/0/image", "/spec/containers/0/image"],
        ),
        (
            "deployment-nginx-deployment.json",
            &["/spec/template/spec/containers/0/image"],
        ),
        (
            "statefulset-web.json",
            &["/spec/template/spec/containers/0/image"],
        ),
        (
            "daemonset-fluentd-elasticsearch.json",
            &["/spec/template/spec/containers/0/image"],
        ),
        (
            "replicaset-frontend.json",
            &["/spec/template/spec/containers/0/image"],
        ),
        ("job-pi.json", &["/spec/template/spec/containers/0/image"]),
        (
            "cronjob-hello.json",
            &["/spec/jobTemplate/spec/template/spec/containers/0/image"],
        ),
        (
            "pod-nginx-ephemeralcontainers.json",
            &[
                "/spec/containers/0/image",
                "/spec/ephemeralContainers/0/image",
            ],
        ),
    ] {
        let images: Vec<(&str, &str)> =
            pointers.iter().map(|p| (*p, signed_tag.as_str())).collect();
        let response = server.review("/validate", &kubernetes_review(file, &images));
        assert_eq!(response["allowed"], true, "{file}: {response}");
        let logged = server.next_decision();
        assert_eq!(logged["allowed"], true, "{logged}");
        assert_eq!(
            logged["images"][0]["digest"],
            signed.image.digest.as_str(),
            "{logged}"
        );

        // One unsigned container among them: the whole object is denied, naming it.
        let mut mixed = images.clone();
        mixed[0].1 = &unsigned_tag;
        let response = server.review("/validate", &kubernetes_review(file, &mixed));
        assert_eq!(response["allowed"], false, "{file}: {response}");
        assert_eq!(response["status"]["code"], 403);
        let message = response["status"]["message"].as_str().unwrap();
        assert!(message.contains(&unsigned_tag), "{message}");
        assert!(message.contains("rule \"release\""), "{message}");
        assert!(
            !message.contains(&format!("image {signed_tag}")),
            "{message}"
        );
        server.next_decision();
    }

    // The second review of an image is answered from the cache.
    let pod =
        |image: &str| kubernetes_review("pod-nginx.json", &[("/spec/containers/0/image", image)]);
    server.review("/validate", &pod(&signed_digest));
    let first = server.next_decision();
    server.review("/validate", &pod(&signed_digest));
    let second = server.next_decision();
    assert_eq!(first["images"][0]["cached"], false, "{first}");
    assert_eq!(second["images"][0]["cached"], true, "{second}");

    // Images from elsewhere, and names that are no reference: denied with the reason.
    let response = server.review("/validate", &pod("ghcr.io/elsewhere/app:1"));
    assert_eq!(response["allowed"], false);
    assert!(
        response["status"]["message"]
            .as_str()
            .unwrap()
            .contains("only images from the test registry run here"),
        "{response}"
    );
    server.next_decision();
    let response = server.review("/validate", &pod("UPPER/case::bad"));
    assert_eq!(response["allowed"], false);
    assert!(
        response["status"]["message"]
            .as_str()
            .unwrap()
            .contains("not an image reference")
    );
    server.next_decision();

    // Mutate: a tag is pinned to the digest that was verified; a digest is left alone.
    let response = server.review("/mutate", &pod(&signed_tag));
    assert_eq!(response["allowed"], true, "{response}");
    assert_eq!(response["patchType"], "JSONPatch");
    let patch = base64::engine::general_purpose::STANDARD
        .decode(response["patch"].as_str().unwrap())
        .unwrap();
    let patch: Value = serde_json::from_slice(&patch).unwrap();
    assert_eq!(
        patch,
        json!([{"op": "replace", "path": "/spec/containers/0/image",
                "value": format!("{signed_tag}@{}", signed.image.digest)}])
    );
    server.next_decision();
    let response = server.review("/mutate", &pod(&signed_digest));
    assert!(response.get("patch").is_none(), "{response}");
    server.next_decision();

    // Deleting runs nothing: admitted. A kind that runs no containers: denied, saying why.
    let response = server.review(
        "/validate",
        &kubernetes_review("pod-nginx-delete.json", &[]),
    );
    assert_eq!(response["allowed"], true);
    server.next_decision();
    for file in ["service-nginx.json", "docs-example-scale.json"] {
        let response = server.review("/validate", &kubernetes_review(file, &[]));
        assert_eq!(response["allowed"], false, "{file}");
        assert!(
            response["status"]["message"]
                .as_str()
                .unwrap()
                .contains("vouch judges pods")
        );
        server.next_decision();
    }

    // Bodies that are no review: 4xx, never an answer that admits.
    for (body, status) in [
        (b"not json".to_vec(), 400),
        (br#"{"apiVersion":"v1","kind":"Pod"}"#.to_vec(), 400),
        (vec![b' '; 9 << 20], 413),
    ] {
        let (got, answer) = server.request("POST", "/validate", Some(&body));
        assert_eq!(got, status, "{}", String::from_utf8_lossy(&answer));
        assert!(!String::from_utf8_lossy(&answer).contains("\"allowed\""));
    }
    // 10,000 containers: denied, not judged one by one.
    let many: Vec<Value> = (0..10_000)
        .map(|i| json!({"name": format!("c{i}"), "image": signed_tag}))
        .collect();
    let mut huge = pod(&signed_tag);
    huge["request"]["object"]["spec"]["containers"] = json!(many);
    let response = server.review("/validate", &huge);
    assert_eq!(response["allowed"], false);
    assert!(
        response["status"]["message"]
            .as_str()
            .unwrap()
            .contains("at most")
    );
    server.next_decision();

    // Probes and metrics.
    assert_eq!(server.request("GET", "/healthz", None).0, 200);
    assert_eq!(server.request("GET", "/readyz", None).0, 200);
    assert_eq!(server.request("GET", "/nowhere", None).0, 404);
    assert_eq!(server.request("GET", "/validate", None).0, 405);
    let (status, metrics) = server.request("GET", "/metrics", None);
    assert_eq!(status, 200);
    let metrics = String::from_utf8(metrics).unwrap();
    for name in [
        "vouch_admission_requests_total{endpoint=\"validate\",allowed=\"true\"}",
        "vouch_admission_requests_total{endpoint=\"validate\",allowed=\"false\"}",
        "vouch_admission_requests_total{endpoint=\"mutate\",allowed=\"true\"}",
        "vouch_admission_duration_seconds_bucket",
        "vouch_verdict_cache_hits_total",
        "vouch_verdict_cache_misses_total",
        "vouch_registry_errors_total",
        "vouch_admission_bad_requests_total 3",
    ] {
        assert!(metrics.contains(name), "{name} missing:\n{metrics}");
    }

    // A new certificate from another CA is served once its files change, without a restart.
    let next = certificates(&work.path().join("tls-next"));
    fs::copy(&next.server_key, &tls.server_key).unwrap();
    fs::copy(&next.server_cert, &tls.server_cert).unwrap();
    let start = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(300));
        let mut curl = system_peer("curl");
        let ok = curl
            .args(["-sS", "-o", "/dev/null", "--cacert"])
            .arg(&next.ca_cert)
            .arg(format!("https://{}/healthz", server.address))
            .output()
            .unwrap()
            .status
            .success();
        if ok {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the new certificate was not served"
        );
    }
    let (status, _) = server.request_with_ca(&next.ca_cert, "GET", "/readyz", None);
    assert_eq!(status, 200);

    assert!(server.stop().success());
}

#[test]
fn an_unreachable_registry_fails_closed_unless_told_otherwise() {
    let work = TempDir::new().unwrap();
    let tls = certificates(&work.path().join("tls"));
    // A registry nobody listens on.
    let key = vouch_testdata::root().join("generated/p256-der/key.pub");
    let policy = policy(work.path(), "127.0.0.1:9", &key);
    let review = kubernetes_review(
        "pod-nginx.json",
        &[("/spec/containers/0/image", "127.0.0.1:9/test/app:1")],
    );
    let closed = Server::start(&policy, &tls, &["--review-timeout", "20s"]);
    let response = closed.review("/validate", &review);
    assert_eq!(response["allowed"], false, "{response}");
    drop(closed);
    let open = Server::start(
        &policy,
        &tls,
        &["--failure-policy", "ignore", "--review-timeout", "20s"],
    );
    let response = open.review("/validate", &review);
    assert_eq!(response["allowed"], true, "{response}");
    let warning = response["warnings"][0].as_str().unwrap();
    assert!(warning.contains("without verification"), "{warning}");
}

/// Nothing is served with a policy, a certificate or a key that cannot be used: exit 2, the
/// reason on stderr, no `listening` line.
#[test]
fn what_cannot_be_used_stops_the_server_before_it_listens() {
    let work = TempDir::new().unwrap();
    let tls = certificates(&work.path().join("tls"));
    let other = certificates(&work.path().join("other"));
    let key = vouch_testdata::root().join("generated/p256-der/key.pub");
    let good = policy(work.path(), "127.0.0.1:9", &key);
    let broken = work.path().join("broken.yaml");
    fs::write(
        &broken,
        "apiVersion: vouch.dev/v1\nkind: TrustPolicy\nmatch: first\nrules:\n  - images: [\"**\"]\n    alow: true\n",
    )
    .unwrap();
    let missing = work.path().join("missing.pem");
    for (policy, cert, key, says) in [
        (&broken, &tls.server_cert, &tls.server_key, "alow"),
        (&good, &missing, &tls.server_key, "missing.pem"),
        (&good, &tls.server_cert, &other.server_key, "is not the key"),
        (&good, &tls.server_key, &tls.server_key, "certificate"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args(["serve", "--listen", "127.0.0.1:0", "--policy"])
            .arg(policy)
            .arg("--tls-cert")
            .arg(cert)
            .arg("--tls-key")
            .arg(key)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(says), "{says}: {stderr}");
        assert!(
            output.stdout.is_empty(),
            "{}",
            String::from_utf8_lossy(&output.stdout)
        );
    }
}
