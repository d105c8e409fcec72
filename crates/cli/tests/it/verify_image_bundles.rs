//! cosign v3 image signatures (Sigstore bundles as OCI referrers, cosign's `BUNDLE_SPEC.md`) written by an
//! independent tool onto a real registry, and found by vouch through the referrers tag schema.
//!
//! - The registry is distribution 2.8.2 (`docker-registry`, [`Registry`]), which has no
//!   referrers API (`GET /v2/<name>/referrers/<digest>` is a plain-text 404), with htpasswd or
//!   bearer-token auth: `@sigstore/cli attach` insists on an auth challenge (against a registry
//!   without auth its sign-in fails with `Invalid challenge:`).
//! - Images are built by umoci and pushed by skopeo ([`build_image`], [`push`]).
//! - The bundles are made in the test run by sigstore-js (`@sigstore/sign` 5.1 against
//!   `@sigstore/mock` 0.13's Fulcio, Rekor and TSA on 127.0.0.1:
//!   `testdata/peers/sigstore-js/make-image-bundle.mjs`): each a Sigstore bundle v0.3 with a DSSE
//!   envelope of an in-toto Statement v1 about the image digest, signed keylessly, with a Rekor
//!   `dsse` entry and an RFC 3161 timestamp; fresh keys and `trusted_root.json` every run.
//! - They are pushed by `@sigstore/cli` 0.10.3 `attach` (`@sigstore/oci` 0.7.2), with the
//!   credentials from `$HOME/.docker/config.json`, the same file vouch reads through
//!   `DOCKER_CONFIG`.
//!
//! What `@sigstore/cli attach` writes there (checked by [`check_what_attach_wrote`]):
//! - the referrer manifest: `mediaType application/vnd.oci.image.manifest.v1+json`, top-level
//!   `artifactType application/vnd.dev.sigstore.bundle.v0.3+json` (the bundle's own
//!   `mediaType`), config `application/vnd.oci.empty.v1+json` (the 2-byte `{}`), exactly one
//!   layer of media type `application/vnd.dev.sigstore.bundle.v0.3+json` holding the bundle file
//!   byte for byte, `subject` = the image's descriptor (media type, digest, size from a HEAD), and
//!   one annotation, `org.opencontainers.image.created`. Unlike cosign it writes no
//!   `dev.sigstore.bundle.content` / `dev.sigstore.bundle.predicateType` annotations.
//! - Its PUT gets no `OCI-Subject` header and `GET /v2/<repo>/referrers/sha256:000…` is a 404,
//!   so it writes the fallback: an OCI image index (`application/vnd.oci.image.index.v1+json`)
//!   under tag `sha256-<hex>`, one entry per attached bundle (appended on each attach), each
//!   `{mediaType: …manifest.v1+json, digest, size, artifactType:
//!   application/vnd.dev.sigstore.bundle.v0.3+json, annotations: {org.opencontainers.image.created}}`.
//!   Unlike cosign/ggcr's fallback index (sigstore/cosign#4641), the entry's `artifactType` is the
//!   manifest's own, not the config's media type.
//!
//! The cases ([`sigstore_cli_attach_htpasswd`]; [`sigstore_cli_attach_bearer`] repeats the first
//! two through a token server), with the mock identity unless said otherwise:
//!
//! | image `test/app:…` | attached | `vouch verify` |
//! |---|---|---|
//! | `signed` | `cosign/sign/v1` statement about it | 0, one `bundle` from `referrers-tag-schema`, log verified (Docker config, or `--registry-username/--registry-password`; `--check-identity` too) |
//! | `signed`, no credentials | | 11 |
//! | `signed`, another identity | | 1, `identity` |
//! | `signed`, `-a env=prod` | | 1, `annotations` |
//! | `mismatch` | a signature of `other` (another digest) | 1, `payload-mismatch` |
//! | `provenance` | only an SLSA provenance statement about it | 1, `not-image-signature` |
//! | `signature-and-provenance` | a signature with subject annotation `env=prod`, and an SLSA provenance | 0, the signature (the provenance listed as `not-image-signature`); `-a env=prod` 0; `-a env=staging` 1, `annotations` + `not-image-signature` |
//! | `unsigned` | nothing | 10 |
//!
//! `vouch tree` lists each bundle under `referrers-tag-schema REPO:sha256-<hex>`.
//!
//! Needs Node.js with `npm ci --prefix testdata/peers/sigstore-js`, and the registry peers
//! (`bash scripts/test.sh` (which runs `testdata/peers/registry/install-peers.sh` as root)); without them the tests fail and say so.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::registry_harness::{Auth, Image, Registry, build_image, push};

const INSTALL_NODE: &str = "apt-get install nodejs npm";
const INSTALL_PEER: &str = "npm ci --prefix testdata/peers/sigstore-js";

/// The in-toto predicate type of a cosign v3 image signature.
const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";
/// An attestation's predicate type: SLSA provenance v1.
const SLSA_PROVENANCE: &str = "https://slsa.dev/provenance/v1";
const BUNDLE_V03: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_EMPTY: &str = "application/vnd.oci.empty.v1+json";

fn peer_dir() -> PathBuf {
    vouch_testdata::root().join("peers/sigstore-js")
}

/// Panics, saying what to install, unless node and the peer's packages are there.
fn require_peer() {
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "`node` is not installed: run `{INSTALL_NODE}`, then `{INSTALL_PEER}` (from the \
             workspace root) to install sigstore-js and @sigstore/cli, which make and push the \
             bundles this test verifies"
        ),
    }
    let dir = peer_dir();
    for package in ["@sigstore/sign", "@sigstore/mock", "@sigstore/cli"] {
        assert!(
            dir.join("node_modules").join(package).is_dir(),
            "{package} is not installed in {}: run `{INSTALL_PEER}` from the workspace root",
            dir.display()
        );
    }
}

/// Runs `cmd`, panicking with its output if it fails; its stdout and stderr.
fn run_node(cmd: &mut Command) -> (String, String) {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|err| panic!("cannot run {cmd:?}: {err}"));
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "{cmd:?} failed ({}):\n{stdout}{stderr}",
        output.status
    );
    (stdout, stderr)
}

/// One bundle for make-image-bundle.mjs to make: an in-toto statement about `digest`.
struct BundleSpec<'a> {
    name: &'a str,
    digest: &'a str,
    predicate_type: &'a str,
    /// The subject's annotations (cosign's `sign -a key=value`).
    annotations: &'a [(&'a str, &'a str)],
}

/// What make-image-bundle.mjs wrote: the bundles, the root and the signer's identity.
#[derive(Debug)]
struct Signed {
    dir: PathBuf,
    trusted_root: PathBuf,
    identity: String,
    issuer: String,
    wrong_identity: String,
}

impl Signed {
    fn bundle(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.sigstore.json"))
    }
}

/// Makes the bundles with sigstore-js, all with one set of mock services and so one root.
fn make_bundles(work: &Path, repository: &str, specs: &[BundleSpec<'_>]) -> Signed {
    require_peer();
    let predicate = |predicate_type: &str| {
        if predicate_type == COSIGN_SIGN {
            json!({})
        } else {
            json!({
                "buildDefinition": {
                    "buildType": "https://vouch.invalid/test-build/v1",
                    "externalParameters": {"repository": repository},
                },
                "runDetails": {"builder": {"id": "https://vouch.invalid/test-builder"}},
            })
        }
    };
    let bundles: Vec<Value> = specs
        .iter()
        .map(|s| {
            let mut bundle = json!({
                "name": s.name,
                "subject": repository,
                "digest": s.digest,
                "predicateType": s.predicate_type,
                "predicate": predicate(s.predicate_type),
            });
            if !s.annotations.is_empty() {
                bundle["annotations"] = s
                    .annotations
                    .iter()
                    .map(|(k, v)| ((*k).to_owned(), json!(v)))
                    .collect::<serde_json::Map<_, _>>()
                    .into();
            }
            bundle
        })
        .collect();
    let spec = work.join("bundles-spec.json");
    // GitHub Actions' claims, which the mock Fulcio turns into the certificate's GitHub
    // extensions (cosign's --certificate-github-workflow-* match them).
    let claims = json!({"repository": "vouch-peer/sigstore-js", "ref": "refs/heads/main"});
    std::fs::write(
        &spec,
        json!({ "bundles": bundles, "claims": claims }).to_string(),
    )
    .unwrap();
    let dir = work.join("bundles");
    run_node(
        Command::new("node")
            .arg(peer_dir().join("make-image-bundle.mjs"))
            .arg(&spec)
            .arg(&dir),
    );
    let signer: Value =
        serde_json::from_slice(&std::fs::read(dir.join("signer.json")).unwrap()).unwrap();
    assert_eq!(
        signer["packages"]["@sigstore/cli"], "0.10.3",
        "pinned in package.json: {signer}"
    );
    let text = |key: &str| signer[key].as_str().unwrap().to_owned();
    Signed {
        trusted_root: dir.join("trusted_root.json"),
        identity: text("identity"),
        issuer: text("issuer"),
        wrong_identity: text("wrong_identity"),
        dir,
    }
}

/// A home folder whose `.docker/config.json` holds the registry's credentials, for
/// `@sigstore/cli` (which reads `$HOME/.docker/config.json`) and for vouch (`DOCKER_CONFIG`).
/// Returns the home folder and the config file.
fn docker_home(registry: &Registry, work: &Path) -> (PathBuf, PathBuf) {
    let home = work.join("home");
    let config = registry.docker_config(&home.join(".docker"));
    (home, config)
}

/// `sigstore attach --attestation BUNDLE IMAGE` (`@sigstore/cli`), with the credentials in
/// `home`; the digest of the referrer manifest it pushed.
fn attach(home: &Path, bundle: &Path, image: &str) -> String {
    let (_, stderr) = run_node(
        Command::new("node")
            .arg(peer_dir().join("node_modules/@sigstore/cli/bin/run"))
            .arg("attach")
            .arg("--attestation")
            .arg(bundle)
            .arg(image)
            .env("HOME", home),
    );
    let digest = stderr
        .split("Artifact attached to image:")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("sigstore attach printed no digest:\n{stderr}"));
    assert!(digest.starts_with("sha256:"), "{stderr}");
    digest.to_owned()
}

/// Builds and pushes `test/app:<name>` (content naming it, so every image has its own digest).
fn image(registry: &Registry, work: &Path, name: &str) -> Image {
    let layout = build_image(
        work,
        name,
        format!("vouch test image for bundle referrers: {name}\n").as_bytes(),
    );
    push(&layout, registry, &format!("test/app:{name}"))
}

/// A vouch command with no credentials from the developer's environment; `DOCKER_CONFIG` set
/// to the folder of `docker_config` if given.
fn vouch(home: &Path, docker_config: Option<&Path>) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vouch"));
    match docker_config {
        Some(config) => command.env("DOCKER_CONFIG", config.parent().unwrap()),
        None => command.env_remove("DOCKER_CONFIG"),
    };
    command
        .env("HOME", home)
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("COSIGN_REPOSITORY");
    command
}

/// `vouch verify --trusted-root ROOT --certificate-identity ID --certificate-oidc-issuer ISSUER
/// --output json IMAGE...` with more `flags`: the exit code and the report.
fn vouch_verify(
    signed: &Signed,
    identity: &str,
    images: &[String],
    flags: &[&str],
    docker_config: Option<&Path>,
) -> (i32, Value) {
    let home = TempDir::new().unwrap();
    let output = vouch(home.path(), docker_config)
        .arg("verify")
        .arg("--trusted-root")
        .arg(&signed.trusted_root)
        .args(["--certificate-identity", identity])
        .args(["--certificate-oidc-issuer", &signed.issuer])
        .args(flags)
        .args(["--output", "json"])
        .args(images)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "vouch verify printed no JSON report ({err}):\nstdout: {}\nstderr: {}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

/// `vouch tree IMAGE` as text and as JSON.
fn vouch_tree(image: &str, docker_config: &Path) -> (String, Value) {
    let home = TempDir::new().unwrap();
    let run = |json: bool| {
        let mut command = vouch(home.path(), Some(docker_config));
        command.arg("tree");
        if json {
            command.args(["--output", "json"]);
        }
        let output = command.arg(image).output().unwrap();
        assert_eq!(
            output.status.code(),
            Some(0),
            "vouch tree {image}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        output.stdout
    };
    let text = String::from_utf8(run(false)).unwrap();
    let json = serde_json::from_slice(&run(true)).unwrap();
    (text, json)
}

/// The referrers tag of `image`: "sha256-<hex>".
fn referrers_tag(image: &Image) -> String {
    image.digest.replace(':', "-")
}

/// Reads, over HTTP, the fallback index and the referrer manifests that `@sigstore/cli attach`
/// wrote for `image` (the `referrers` it reported, in attach order), and checks them against what
/// the module documentation says it writes.
fn check_what_attach_wrote(
    registry: &Registry,
    image: &Image,
    referrers: &[(&str, &Path)],
) -> Value {
    let (media_type, bytes) = registry.get_manifest(&image.repo, &referrers_tag(image));
    assert_eq!(media_type, OCI_INDEX);
    let index: Value = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(index["mediaType"], OCI_INDEX, "{index:#}");
    assert_eq!(index["schemaVersion"], 2, "{index:#}");
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), referrers.len(), "{index:#}");
    for (entry, (digest, bundle)) in entries.iter().zip(referrers) {
        assert_eq!(entry["digest"], *digest, "{index:#}");
        assert_eq!(entry["mediaType"], OCI_MANIFEST, "{index:#}");
        assert_eq!(entry["artifactType"], BUNDLE_V03, "{index:#}");
        assert!(
            entry["annotations"]["org.opencontainers.image.created"].is_string(),
            "{index:#}"
        );

        let (media_type, bytes) = registry.get_manifest(&image.repo, digest);
        assert_eq!(media_type, OCI_MANIFEST);
        assert_eq!(entry["size"], bytes.len(), "{index:#}");
        let manifest: Value = serde_json::from_slice(&bytes).unwrap();
        assert_eq!(manifest["mediaType"], OCI_MANIFEST, "{manifest:#}");
        assert_eq!(manifest["artifactType"], BUNDLE_V03, "{manifest:#}");
        assert_eq!(manifest["config"]["mediaType"], OCI_EMPTY, "{manifest:#}");
        assert_eq!(manifest["config"]["size"], 2, "{manifest:#}");
        let layers = manifest["layers"].as_array().unwrap();
        assert_eq!(layers.len(), 1, "{manifest:#}");
        assert_eq!(layers[0]["mediaType"], BUNDLE_V03, "{manifest:#}");
        assert_eq!(
            layers[0]["size"],
            std::fs::metadata(bundle).unwrap().len(),
            "the layer is the bundle file as is: {manifest:#}"
        );
        assert_eq!(manifest["subject"]["digest"], image.digest, "{manifest:#}");
        assert_eq!(
            manifest["subject"]["mediaType"], OCI_MANIFEST,
            "{manifest:#}"
        );
        let annotations = manifest["annotations"].as_object().unwrap();
        assert_eq!(
            annotations.keys().collect::<Vec<_>>(),
            ["org.opencontainers.image.created"],
            "{manifest:#}"
        );
    }
    index
}

/// The one entry of a single-image report.
fn entry(report: &Value) -> &Value {
    assert_eq!(report["total"], 1, "{report:#}");
    &report["images"][0]
}

/// The source statuses of a report entry, as `source: status` strings.
fn sources(entry: &Value) -> Vec<String> {
    entry["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{}: {}",
                s["source"].as_str().unwrap(),
                s["status"].as_str().unwrap()
            )
        })
        .collect()
}

/// A verified report of one image with exactly one valid bundle signature, found in the
/// referrers tag schema as `referrer`, signed by `signed`'s identity with a verified log entry.
fn assert_one_bundle_signature(report: &Value, image: &Image, referrer: &str, signed: &Signed) {
    let entry = entry(report);
    assert_eq!(report["exit_code"], 0, "{report:#}");
    assert_eq!(entry["verified"], true, "{report:#}");
    assert_eq!(entry["digest"], image.digest, "{report:#}");
    let signatures = entry["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), 1, "{report:#}");
    let signature = &signatures[0];
    assert_eq!(signature["source"], "referrers-tag-schema", "{report:#}");
    assert_eq!(signature["kind"], "bundle", "{report:#}");
    assert_eq!(signature["manifest_digest"], referrer, "{report:#}");
    assert_eq!(signature["tlog_verified"], true, "{report:#}");
    assert_eq!(signature["identity"], signed.identity, "{report:#}");
    assert_eq!(signature["issuer"], signed.issuer, "{report:#}");
    let times = signature["timestamp_sources"].as_array().unwrap();
    for source in ["tlog", "rfc3161"] {
        assert!(times.iter().any(|t| t == source), "{report:#}");
    }
    assert!(
        sources(entry).contains(&"referrers: not supported by the registry".to_owned()),
        "docker-registry has no referrers API: {report:#}"
    );
    assert!(
        sources(entry)
            .iter()
            .any(|s| s.starts_with("referrers-tag-schema: ") && s.ends_with(" found")),
        "{report:#}"
    );
}

/// A rejected report of one image: `code`, and every rejection of `category` (at least one).
fn assert_rejected(report: &Value, code: i32, category: &str) -> Vec<Value> {
    let entry = entry(report);
    assert_eq!(report["exit_code"], code, "{report:#}");
    assert_eq!(entry["verified"], false, "{report:#}");
    let rejected = entry["rejected"].as_array().unwrap().clone();
    assert!(!rejected.is_empty(), "{report:#}");
    for rejection in &rejected {
        assert_eq!(rejection["category"], category, "{report:#}");
        assert_eq!(rejection["source"], "referrers-tag-schema", "{report:#}");
        assert_eq!(rejection["kind"], "bundle", "{report:#}");
    }
    rejected
}

/// Every case on one registry with htpasswd auth: a valid signature (by tag and by digest, with
/// the Docker config and with flags), another identity, a statement about another image, an
/// attestation alone and next to a signature, an unsigned image, no credentials, and `tree`.
#[test]
fn sigstore_cli_attach_htpasswd() {
    let registry = Registry::start(Auth::htpasswd("vouch-user", "basic-s3cret"));
    let work = TempDir::new().unwrap();
    let work = work.path();
    let (home, config) = docker_home(&registry, work);

    let signed_image = image(&registry, work, "signed");
    let other = image(&registry, work, "other");
    let mismatch = image(&registry, work, "mismatch");
    let provenance = image(&registry, work, "provenance");
    let both = image(&registry, work, "signature-and-provenance");
    let unsigned = image(&registry, work, "unsigned");
    let repository = format!("{}/{}", registry.host(), signed_image.repo);
    let signed = make_bundles(
        work,
        &repository,
        &[
            BundleSpec {
                name: "signed",
                digest: &signed_image.digest,
                predicate_type: COSIGN_SIGN,
                annotations: &[],
            },
            // A genuine signature of `other`, attached to `mismatch`.
            BundleSpec {
                name: "of-other-image",
                digest: &other.digest,
                predicate_type: COSIGN_SIGN,
                annotations: &[],
            },
            BundleSpec {
                name: "provenance",
                digest: &provenance.digest,
                predicate_type: SLSA_PROVENANCE,
                annotations: &[],
            },
            BundleSpec {
                name: "both-signature",
                digest: &both.digest,
                predicate_type: COSIGN_SIGN,
                // As `cosign sign -a env=prod` writes it.
                annotations: &[("env", "prod")],
            },
            BundleSpec {
                name: "both-provenance",
                digest: &both.digest,
                predicate_type: SLSA_PROVENANCE,
                annotations: &[],
            },
        ],
    );

    for img in [&signed_image, &mismatch, &provenance, &both, &unsigned] {
        let response = registry.manifest_status(&img.repo, &referrers_tag(img));
        assert_eq!(response, 404, "no referrers tag before attach");
    }
    // By tag: @sigstore/cli resolves it with a HEAD.
    let signed_referrer = attach(&home, &signed.bundle("signed"), &signed_image.reference());
    let mismatch_referrer = attach(&home, &signed.bundle("of-other-image"), &mismatch.pinned());
    let provenance_referrer = attach(&home, &signed.bundle("provenance"), &provenance.pinned());
    let both_signature = attach(&home, &signed.bundle("both-signature"), &both.pinned());
    let both_provenance = attach(&home, &signed.bundle("both-provenance"), &both.pinned());

    check_what_attach_wrote(
        &registry,
        &signed_image,
        &[(&signed_referrer, &signed.bundle("signed"))],
    );
    check_what_attach_wrote(
        &registry,
        &both,
        &[
            (&both_signature, &signed.bundle("both-signature")),
            (&both_provenance, &signed.bundle("both-provenance")),
        ],
    );
    assert_eq!(
        registry.manifest_status(&unsigned.repo, &referrers_tag(&unsigned)),
        404
    );

    // The signature verifies, by tag and by digest, with the credentials from the Docker config.
    for reference in [signed_image.reference(), signed_image.pinned()] {
        let (code, report) =
            vouch_verify(&signed, &signed.identity, &[reference], &[], Some(&config));
        assert_eq!(code, 0, "{report:#}");
        assert_one_bundle_signature(&report, &signed_image, &signed_referrer, &signed);
    }
    // And with the credentials as flags.
    let (user, pass) = registry.auth().credentials().unwrap();
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[signed_image.reference()],
        &["--registry-username", user, "--registry-password", pass],
        None,
    );
    assert_eq!(code, 0, "{report:#}");
    assert_one_bundle_signature(&report, &signed_image, &signed_referrer, &signed);
    // Without credentials the registry refuses: a lookup failure (11), never "unsigned".
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[signed_image.reference()],
        &[],
        None,
    );
    assert_eq!(code, 13, "{report:#}");
    // --check-identity: a bundle names no repository, so it is accepted as cosign accepts it.
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[signed_image.reference()],
        &["--check-identity"],
        Some(&config),
    );
    assert_eq!(code, 0, "{report:#}");
    assert_one_bundle_signature(&report, &signed_image, &signed_referrer, &signed);
    // cosign's GitHub certificate-extension flags: the repository and ref the workflow ran on.
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[signed_image.reference()],
        &[
            "--certificate-github-workflow-repository",
            "vouch-peer/sigstore-js",
            "--certificate-github-workflow-ref",
            "refs/heads/main",
        ],
        Some(&config),
    );
    assert_eq!(code, 0, "{report:#}");
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[signed_image.reference()],
        &[
            "--certificate-github-workflow-repository",
            "someone-else/sigstore-js",
        ],
        Some(&config),
    );
    assert_eq!(code, 12, "{report:#}");
    assert_rejected(&report, 12, "identity");
    // An annotation the statement's subject does not carry: exit 1, category annotations.
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[signed_image.reference()],
        &["-a", "env=prod"],
        Some(&config),
    );
    assert_eq!(code, 12, "{report:#}");
    assert_rejected(&report, 12, "annotations");

    // Another identity: exit 1, category identity (image verification reports every reason
    // with exit 1; `verify-blob --bundle` would exit 3).
    let (code, report) = vouch_verify(
        &signed,
        &signed.wrong_identity,
        &[signed_image.reference()],
        &[],
        Some(&config),
    );
    assert_eq!(code, 12, "{report:#}");
    assert_rejected(&report, 12, "identity");

    // A genuine signature of another image, attached to this one.
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[mismatch.reference()],
        &[],
        Some(&config),
    );
    assert_eq!(code, 12, "{report:#}");
    let rejected = assert_rejected(&report, 12, "payload-mismatch");
    assert_eq!(
        rejected[0]["manifest_digest"], mismatch_referrer,
        "{report:#}"
    );

    // An SLSA provenance attestation by the trusted signer, the image's only referrer: found,
    // valid, and not an image signature (cosign v3 would accept it).
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[provenance.reference()],
        &[],
        Some(&config),
    );
    assert_eq!(code, 12, "{report:#}");
    let rejected = assert_rejected(&report, 12, "not-image-signature");
    assert_eq!(
        rejected[0]["manifest_digest"], provenance_referrer,
        "{report:#}"
    );

    // The same attestation through `vouch verify-attestation`: accepted for its type, with
    // the identity flags or gh's --repo convention (the mock Fulcio's GitHub extensions); a
    // signature-only image has none of that type (15), an image with nothing attached none
    // at all (10).
    let attestation = |image: &Image, flags: &[&str]| {
        let home = TempDir::new().unwrap();
        let output = vouch(home.path(), Some(&config))
            .arg("verify-attestation")
            .arg("--trusted-root")
            .arg(&signed.trusted_root)
            .args(flags)
            .args(["--output", "json"])
            .arg(image.reference())
            .output()
            .unwrap();
        let report: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
            panic!(
                "no JSON report ({err}): {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
        (output.status.code().unwrap(), report)
    };
    let identity_flags = [
        "--certificate-identity",
        signed.identity.as_str(),
        "--certificate-oidc-issuer",
        signed.issuer.as_str(),
    ];
    let (code, report) = attestation(
        &provenance,
        &[&identity_flags[..], &["--type", "slsaprovenance1"]].concat(),
    );
    assert_eq!(code, 0, "{report:#}");
    let found = &report["images"][0]["attestations"][0];
    assert_eq!(found["outcome"], "accepted", "{report:#}");
    assert_eq!(
        found["manifest_digest"],
        provenance_referrer.as_str(),
        "{report:#}"
    );
    assert_eq!(found["identity"], signed.identity.as_str(), "{report:#}");
    assert_eq!(found["tlog_verified"], true, "{report:#}");
    let (code, report) = attestation(
        &provenance,
        &[
            "--repo",
            "vouch-peer/sigstore-js",
            "--type",
            "slsaprovenance1",
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    let (code, report) = attestation(&provenance, &["--repo", "someone-else/sigstore-js"]);
    assert_eq!(code, 12, "{report:#}");
    let (code, report) = attestation(
        &signed_image,
        &[&identity_flags[..], &["--type", "slsaprovenance1"]].concat(),
    );
    assert_eq!(code, 15, "{report:#}");
    let (code, report) = attestation(&unsigned, &identity_flags);
    assert_eq!(code, 10, "{report:#}");

    // Next to a signature: the signature verifies, the attestation is reported as rejected.
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[both.reference()],
        &[],
        Some(&config),
    );
    assert_eq!(code, 0, "{report:#}");
    assert_one_bundle_signature(&report, &both, &both_signature, &signed);
    let rejected = entry(&report)["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 1, "{report:#}");
    assert_eq!(rejected[0]["category"], "not-image-signature", "{report:#}");
    assert_eq!(
        rejected[0]["manifest_digest"], both_provenance,
        "{report:#}"
    );
    // Its signature carries the subject annotation env=prod: `-a env=prod` holds, and the
    // signed annotations are reported; another value does not.
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[both.reference()],
        &["-a", "env=prod"],
        Some(&config),
    );
    assert_eq!(code, 0, "{report:#}");
    assert_one_bundle_signature(&report, &both, &both_signature, &signed);
    assert_eq!(
        entry(&report)["signatures"][0]["annotations"],
        json!({"env": "prod"}),
        "{report:#}"
    );
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[both.reference()],
        &["-a", "env=staging"],
        Some(&config),
    );
    assert_eq!(code, 12, "{report:#}");
    let categories: Vec<&Value> = entry(&report)["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["category"])
        .collect();
    assert_eq!(
        categories,
        ["annotations", "not-image-signature"],
        "{report:#}"
    );

    // Nothing attached: no signatures (10).
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[unsigned.reference()],
        &[],
        Some(&config),
    );
    assert_eq!(code, 10, "{report:#}");
    assert_eq!(entry(&report)["verified"], false, "{report:#}");
    assert!(
        sources(entry(&report)).contains(&"referrers-tag-schema: none".to_owned()),
        "{report:#}"
    );

    // All of them at once: the verdicts in order, the exit code the worst outcome (12: a
    // signature that does not verify, over 10: unsigned).
    let images: Vec<String> = [&signed_image, &mismatch, &provenance, &both, &unsigned]
        .iter()
        .map(|i| i.reference())
        .collect();
    let (code, report) = vouch_verify(&signed, &signed.identity, &images, &[], Some(&config));
    assert_eq!(code, 12, "{report:#}");
    let verdicts: Vec<&Value> = report["images"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| &i["exit_code"])
        .collect();
    assert_eq!(verdicts, [0, 12, 12, 0, 10], "{report:#}");

    // `vouch tree` lists the bundle under the referrers tag.
    check_tree(&registry, &signed_image, &[&signed_referrer], &config);
    check_tree(
        &registry,
        &both,
        &[&both_signature, &both_provenance],
        &config,
    );
}

/// `vouch tree IMAGE` names the referrers tag and lists each referrer's bundle under it.
fn check_tree(registry: &Registry, image: &Image, referrers: &[&str], config: &Path) {
    let (text, json) = vouch_tree(&image.reference(), config);
    let tag_line = format!(
        "└── referrers-tag-schema {}/{}:{} [{} found]",
        registry.host(),
        image.repo,
        referrers_tag(image),
        referrers.len()
    );
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == tag_line)
        .unwrap_or_else(|| panic!("no line `{tag_line}` in:\n{text}"));
    for (line, referrer) in lines[at + 1..].iter().zip(referrers) {
        assert!(
            line.starts_with(&format!(
                "    └── SIGNATURE Sigstore bundle in {referrer} ("
            )),
            "{text}"
        );
    }
    assert_eq!(json["digest"], image.digest, "{json:#}");
    let signatures = json["signatures"].as_array().unwrap();
    assert_eq!(signatures.len(), referrers.len(), "{json:#}");
    for (signature, referrer) in signatures.iter().zip(referrers) {
        assert_eq!(signature["source"], "referrers-tag-schema", "{json:#}");
        assert_eq!(signature["kind"], "bundle", "{json:#}");
        assert_eq!(signature["manifest_digest"], *referrer, "{json:#}");
    }
    assert!(
        json["places"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["source"] == "referrers-tag-schema"
                && p["location"]
                    == format!(
                        "{}/{}:{}",
                        registry.host(),
                        image.repo,
                        referrers_tag(image)
                    )),
        "{json:#}"
    );
}

/// The same tool through bearer-token auth (its sign-in fetches a token from the realm with
/// basic auth): the signature verifies, another identity does not.
#[test]
fn sigstore_cli_attach_bearer() {
    let registry = Registry::start(Auth::bearer("vouch-user", "token-s3cret"));
    let work = TempDir::new().unwrap();
    let work = work.path();
    let (home, config) = docker_home(&registry, work);
    let signed_image = image(&registry, work, "signed");
    let repository = format!("{}/{}", registry.host(), signed_image.repo);
    let signed = make_bundles(
        work,
        &repository,
        &[BundleSpec {
            name: "signed",
            digest: &signed_image.digest,
            predicate_type: COSIGN_SIGN,
            annotations: &[],
        }],
    );
    let referrer = attach(&home, &signed.bundle("signed"), &signed_image.pinned());
    check_what_attach_wrote(
        &registry,
        &signed_image,
        &[(&referrer, &signed.bundle("signed"))],
    );
    let (code, report) = vouch_verify(
        &signed,
        &signed.identity,
        &[signed_image.reference()],
        &[],
        Some(&config),
    );
    assert_eq!(code, 0, "{report:#}");
    assert_one_bundle_signature(&report, &signed_image, &referrer, &signed);
    let (code, report) = vouch_verify(
        &signed,
        &signed.wrong_identity,
        &[signed_image.reference()],
        &[],
        Some(&config),
    );
    assert_eq!(code, 12, "{report:#}");
    assert_rejected(&report, 12, "identity");
    check_tree(&registry, &signed_image, &[&referrer], &config);
}
