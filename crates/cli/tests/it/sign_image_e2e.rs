//! `vouch sign` end to end, against real peers: images in a real registry (distribution
//! 2.8.2, which has no referrers API), signed by vouch, then checked by skopeo 1.18's policy
//! engine (legacy signatures), sigstore-js's `@sigstore/verify` (bundles) and `vouch verify`;
//! signatures skopeo made before are kept.
//! Install the peers with `bash scripts/test.sh` (which runs `testdata/peers/registry/install-peers.sh` as root).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;
use tempfile::TempDir;

use crate::registry_harness::{
    Auth, Image, Registry, build_image, generate_key, push, sign_and_push, skopeo_policy_check,
};
use crate::sign_blob::sigstore_js_verify;
use crate::verify_image_e2e::{vouch_verify, vouch_verify_with_config};

pub(crate) const PASSWORD: &str = "vouch-sign-test";

/// `vouch generate-key-pair --output-key-prefix dir/prefix`: (private, public).
pub(crate) fn vouch_key(dir: &Path, prefix: &str) -> (PathBuf, PathBuf) {
    let out = dir.join(prefix);
    let status = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["generate-key-pair", "--output-key-prefix"])
        .arg(&out)
        .env("VOUCH_PASSWORD", PASSWORD)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(status.status.success(), "{status:?}");
    (out.with_extension("key"), out.with_extension("pub"))
}

/// `vouch sign --output json --key key flags image`: exit code, report, stderr. Credentials
/// only from `docker_config`.
fn vouch_sign(
    key: &Path,
    image: &str,
    flags: &[&str],
    docker_config: Option<&Path>,
) -> (i32, Value, String) {
    let home = TempDir::new().unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_vouch"));
    match docker_config {
        Some(config) => command.env("DOCKER_CONFIG", config.parent().unwrap()),
        None => command.env_remove("DOCKER_CONFIG"),
    };
    let output = command
        .arg("sign")
        .arg("--key")
        .arg(key)
        .args(flags)
        .args(["--output", "json", image])
        .env("VOUCH_PASSWORD", PASSWORD)
        .env("HOME", home.path())
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("COSIGN_REPOSITORY")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "vouch sign printed no JSON report ({err}):\nstdout: {}\nstderr: {stderr}",
            String::from_utf8_lossy(&output.stdout)
        )
    });
    (output.status.code().unwrap_or(-1), report, stderr)
}

/// The one image's entry of a `vouch sign` report, after checking it was signed.
fn signed(result: (i32, Value, String)) -> Value {
    let (code, report, stderr) = result;
    assert_eq!(code, 0, "vouch sign failed: {stderr}\n{report:#}");
    let image = report["images"][0].clone();
    assert_eq!(image["signed"], true, "{report:#}");
    image
}

fn unsigned_image(registry: &Registry, work: &Path, name: &str) -> Image {
    let layout = build_image(work, name, format!("vouch sign test: {name}\n").as_bytes());
    push(&layout, registry, &format!("test/{name}:v1"))
}

/// The layers of the image's `.sig` manifest.
fn sig_layers(registry: &Registry, image: &Image) -> Vec<Value> {
    let (_, bytes) = registry.get_manifest(&image.repo, &image.sig_tag());
    let manifest: Value = serde_json::from_slice(&bytes).unwrap();
    manifest["layers"].as_array().unwrap().clone()
}

fn verify_code(key: &Path, image: &str, flags: &[&str]) -> i32 {
    let mut all = vec!["--insecure-ignore-tlog"];
    all.extend_from_slice(flags);
    vouch_verify(key, &[image.to_owned()], &all).0
}

#[test]
fn legacy_signature_is_accepted_by_skopeo_and_keeps_the_signatures_there() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let skopeo_key = generate_key(dir, "skopeo-a", "passphrase-a");
    let other_key = generate_key(dir, "skopeo-b", "passphrase-b");
    let (vouch_private, vouch_public) = vouch_key(dir, "vouch");
    let layout = build_image(dir, "legacy", b"vouch sign test: legacy\n");
    let image = sign_and_push(&layout, &registry, "test/legacy:v1", &skopeo_key);
    let before = sig_layers(&registry, &image);
    assert_eq!(before.len(), 1);

    let entry = signed(vouch_sign(
        &vouch_private,
        &image.reference(),
        &["--signature-format", "legacy"],
        None,
    ));
    assert_eq!(entry["location"]["kind"], "legacy-tag");
    assert_eq!(entry["location"]["tag"], image.sig_tag());
    assert_eq!(entry["already_present"], false);
    assert!(entry["image"].as_str().unwrap().ends_with(&image.digest));
    let after = sig_layers(&registry, &image);
    assert_eq!(after.len(), 2);
    assert_eq!(after[0], before[0], "skopeo's signature layer changed");

    // skopeo's policy engine accepts the image with either key, and not with a third.
    for reference in [image.repo_tag(), format!("{}@{}", image.repo, image.digest)] {
        for public in [&vouch_public, &skopeo_key.public] {
            let verdict = skopeo_policy_check(&registry, &reference, public);
            assert!(verdict.is_ok(), "skopeo with {public:?}: {verdict:?}");
        }
        let verdict = skopeo_policy_check(&registry, &reference, &other_key.public);
        assert!(verdict.is_err(), "skopeo accepted another key");
    }
    assert_eq!(verify_code(&vouch_public, &image.reference(), &[]), 0);
    assert_eq!(verify_code(&other_key.public, &image.reference(), &[]), 12);

    // The same signature again is found, not added.
    let again = signed(vouch_sign(
        &vouch_private,
        &image.reference(),
        &["--signature-format", "legacy"],
        None,
    ));
    assert_eq!(again["already_present"], true);
    assert_eq!(sig_layers(&registry, &image), after);
}

#[test]
fn legacy_signature_carries_annotations_and_only_its_key() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let skopeo_key = generate_key(dir, "skopeo-a", "passphrase-a");
    let (vouch_private, vouch_public) = vouch_key(dir, "vouch");
    let image = unsigned_image(&registry, dir, "annotated");
    signed(vouch_sign(
        &vouch_private,
        &image.pinned(),
        &["--signature-format", "legacy", "-a", "env=prod"],
        None,
    ));
    let layers = sig_layers(&registry, &image);
    assert_eq!(layers.len(), 1);
    let verdict = skopeo_policy_check(&registry, &image.repo_tag(), &vouch_public);
    assert!(verdict.is_ok(), "{verdict:?}");
    let verdict = skopeo_policy_check(&registry, &image.repo_tag(), &skopeo_key.public);
    assert!(verdict.is_err(), "skopeo accepted a key that did not sign");
    let reference = image.reference();
    assert_eq!(
        verify_code(&vouch_public, &reference, &["-a", "env=prod"]),
        0
    );
    assert_eq!(
        verify_code(&vouch_public, &reference, &["-a", "env=dev"]),
        12
    );
}

#[test]
fn bundles_from_two_keys_share_the_fallback_index_and_leave_legacy_signatures() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let skopeo_key = generate_key(dir, "skopeo-a", "passphrase-a");
    let (first_private, first_public) = vouch_key(dir, "first");
    let (second_private, second_public) = vouch_key(dir, "second");
    let layout = build_image(dir, "bundles", b"vouch sign test: bundles\n");
    let image = sign_and_push(&layout, &registry, "test/bundles:v1", &skopeo_key);
    let legacy_before = registry.get_manifest(&image.repo, &image.sig_tag());

    let first = signed(vouch_sign(&first_private, &image.reference(), &[], None));
    let index_tag = image.digest.replace(':', "-");
    assert_eq!(first["format"], "bundle");
    assert_eq!(first["location"]["kind"], "referrers-tag-schema");
    assert_eq!(first["location"]["tag"], index_tag);
    let second = signed(vouch_sign(
        &second_private,
        &image.reference(),
        &["-a", "team=payments"],
        None,
    ));

    let (media_type, bytes) = registry.get_manifest(&image.repo, &index_tag);
    assert_eq!(media_type, "application/vnd.oci.image.index.v1+json");
    let index: Value = serde_json::from_slice(&bytes).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    let digests: Vec<&Value> = entries.iter().map(|e| &e["digest"]).collect();
    assert_eq!(
        digests,
        [
            &first["location"]["manifest"],
            &second["location"]["manifest"]
        ]
    );
    for entry in entries {
        assert_eq!(
            entry["artifactType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
    }
    // The referrer names the image as its subject.
    let referrer_digest = first["location"]["manifest"].as_str().unwrap();
    let (_, referrer) = registry.get_manifest(&image.repo, referrer_digest);
    let referrer: Value = serde_json::from_slice(&referrer).unwrap();
    assert_eq!(referrer["subject"]["digest"], image.digest);
    assert_eq!(
        registry.get_manifest(&image.repo, &image.sig_tag()),
        legacy_before,
        "the legacy signature manifest changed"
    );

    check_bundle_with_sigstore_js(&registry, &image, &referrer, dir, &first_public);

    let reference = image.reference();
    assert_eq!(verify_code(&first_public, &reference, &[]), 0);
    assert_eq!(
        verify_code(&second_public, &reference, &["-a", "team=payments"]),
        0
    );
    assert_eq!(
        verify_code(&first_public, &reference, &["-a", "team=payments"]),
        12
    );
    // skopeo's legacy signature still verifies with its key, in vouch and in skopeo.
    assert_eq!(verify_code(&skopeo_key.public, &reference, &[]), 0);
    assert!(skopeo_policy_check(&registry, &image.repo_tag(), &skopeo_key.public).is_ok());
    // Without --insecure-ignore-tlog, a bundle with no log entry is not enough.
    let (code, _) = vouch_verify(&first_public, &[image.pinned()], &[]);
    assert_ne!(code, 0);
}

/// The referrer's bundle, as an independent verifier sees it: `@sigstore/verify` accepts its
/// DSSE envelope with `public` and not with a changed payload; its statement names the image.
fn check_bundle_with_sigstore_js(
    registry: &Registry,
    image: &Image,
    referrer: &Value,
    dir: &Path,
    public: &Path,
) {
    let layer = &referrer["layers"][0];
    assert_eq!(
        layer["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    let bytes = registry.get_blob(&image.repo, layer["digest"].as_str().unwrap());
    let bundle: Value = serde_json::from_slice(&bytes).unwrap();
    let envelope = &bundle["dsseEnvelope"];
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");
    let statement: Value = serde_json::from_slice(
        &STANDARD
            .decode(envelope["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        format!(
            "sha256:{}",
            statement["subject"][0]["digest"]["sha256"]
                .as_str()
                .unwrap()
        ),
        image.digest
    );
    assert_eq!(
        statement["predicateType"],
        "https://sigstore.dev/cosign/sign/v1"
    );
    let path = dir.join("referrer.bundle.json");
    std::fs::write(&path, &bytes).unwrap();
    // A DSSE envelope is verified over its own payload: the artifact is not read.
    let artifact = dir.join("unused-artifact");
    std::fs::write(&artifact, b"").unwrap();
    assert_eq!(sigstore_js_verify(&path, &artifact, public), "OK");
    let mut tampered = bundle.clone();
    let mut other = statement;
    other["subject"][0]["digest"]["sha256"] = Value::from("00".repeat(32));
    tampered["dsseEnvelope"]["payload"] =
        Value::from(STANDARD.encode(serde_json::to_vec(&other).unwrap()));
    std::fs::write(&path, serde_json::to_vec(&tampered).unwrap()).unwrap();
    assert!(sigstore_js_verify(&path, &artifact, public).starts_with("FAIL "));
}

#[test]
fn signing_needs_push_credentials_from_the_docker_config() {
    let auth = Auth::bearer("signer", "signer-password");
    let registry = Registry::start(auth);
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let (private, public) = vouch_key(dir, "vouch");
    let layout = build_image(dir, "auth", b"vouch sign test: auth\n");
    let image = push(&layout, &registry, "test/auth:v1");
    let config = registry.docker_config(&dir.join("docker"));

    let (code, report, stderr) = vouch_sign(&private, &image.reference(), &[], None);
    assert_eq!(code, 13, "{report:#}\n{stderr}");
    assert_eq!(report["images"][0]["signed"], false);
    assert!(stderr.contains("docker login"), "{stderr}");

    signed(vouch_sign(&private, &image.reference(), &[], Some(&config)));
    signed(vouch_sign(
        &private,
        &image.reference(),
        &["--signature-format", "legacy"],
        Some(&config),
    ));
    let (code, report) = vouch_verify_with_config(
        &public,
        &[image.reference()],
        &["--insecure-ignore-tlog"],
        Some(&config),
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["images"][0]["signatures"].as_array().map(Vec::len),
        Some(2),
        "{report:#}"
    );
}

#[test]
fn signatures_can_live_in_another_repository() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let (private, public) = vouch_key(dir, "vouch");
    let image = unsigned_image(&registry, dir, "elsewhere");
    let signatures = format!("{}/test/signatures", registry.host());
    for format in ["bundle", "legacy"] {
        let entry = signed(vouch_sign(
            &private,
            &image.reference(),
            &[
                "--signature-format",
                format,
                "--signature-repository",
                &signatures,
            ],
            None,
        ));
        assert_eq!(entry["repository"], signatures.as_str());
    }
    let reference = image.reference();
    // Not next to the image: unsigned there (exit 10); found where they were put.
    assert_eq!(verify_code(&public, &reference, &[]), 10);
    let (code, report) = vouch_verify(
        &public,
        &[reference],
        &[
            "--insecure-ignore-tlog",
            "--signature-repository",
            &signatures,
        ],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["images"][0]["signatures"].as_array().map(Vec::len),
        Some(2),
        "{report:#}"
    );
}

/// Two images pushed as `test/multi:amd64` and `:arm64`, and an OCI index of both put as
/// `test/multi:multi`; the index.
fn multi_arch_index(registry: &Registry, dir: &Path) -> Image {
    let mut entries = Vec::new();
    for architecture in ["amd64", "arm64"] {
        let layout = build_image(
            dir,
            architecture,
            format!("vouch sign test: {architecture}\n").as_bytes(),
        );
        let image = push(&layout, registry, &format!("test/multi:{architecture}"));
        let (media_type, bytes) = registry.get_manifest(&image.repo, &image.digest);
        entries.push(serde_json::json!({
            "mediaType": media_type,
            "digest": image.digest,
            "size": bytes.len(),
            "platform": {"os": "linux", "architecture": architecture},
        }));
    }
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": entries,
    }))
    .unwrap();
    let digest = registry.put_manifest(
        "test/multi",
        "multi",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );
    Image {
        host: registry.host().to_owned(),
        repo: "test/multi".to_owned(),
        tag: "multi".to_owned(),
        digest,
    }
}

#[test]
fn recursive_signs_the_index_and_every_image_it_lists() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let (recursive_private, recursive_public) = vouch_key(dir, "recursive");
    let (index_private, index_public) = vouch_key(dir, "index-only");
    let index = multi_arch_index(&registry, dir);
    let reference = index.reference();

    let (code, report, stderr) = vouch_sign(
        &recursive_private,
        &reference,
        &["--recursive", "--signature-format", "legacy"],
        None,
    );
    assert_eq!(code, 0, "{stderr}\n{report:#}");
    let images = report["images"].as_array().unwrap();
    assert_eq!(images.len(), 3, "{report:#}");
    assert!(images.iter().all(|i| i["signed"] == true), "{report:#}");
    assert!(
        images[0]["image"]
            .as_str()
            .unwrap()
            .ends_with(&index.digest)
    );

    // Without --recursive only the index is signed, and a warning says so.
    let (code, _, stderr) = vouch_sign(&index_private, &reference, &[], None);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("index of 2 images") && stderr.contains("--recursive"),
        "{stderr}"
    );

    for platform in ["linux/amd64", "linux/arm64"] {
        assert_eq!(
            verify_code(&recursive_public, &reference, &["--platform", platform]),
            0,
            "{platform}"
        );
        // The index-only key signed no child: only the other key's signatures are there.
        assert_eq!(
            verify_code(&index_public, &reference, &["--platform", platform]),
            12,
            "{platform}"
        );
    }
    assert_eq!(verify_code(&recursive_public, &reference, &[]), 0);
    assert_eq!(verify_code(&index_public, &reference, &[]), 0);
}
