//! Image signatures end to end, against real peers: a real registry (distribution 2.8.2), images
//! built by umoci, signed by skopeo 1.18, and skopeo's own policy engine as the reference verifier.
//! See testdata/peers/registry/README.md; install the peers with
//! `bash scripts/test.sh` (which runs `testdata/peers/registry/install-peers.sh` as root) (without them these tests fail and say so).
//!
//! Each scenario is a function that builds, pushes and signs an image and returns a [`Scenario`]:
//! the image under test, two keys A and B, and whether a verifier given A (or B) must accept it.
//! The tests here check the scenarios against skopeo's verdict; a verifier under test is checked
//! against the same `accepted_with_a` / `accepted_with_b`.
//!
//! | scenario | signatures on the image | key A | key B |
//! |---|---|---|---|
//! | (a) [`unsigned`] | none | reject | reject |
//! | (b) [`signed_by_a`] | A | accept | reject |
//! | (c) [`signed_by_a_and_b`] | A, then B appended | accept | accept |
//! | (d) [`bad_signature`] | A, one bit of the signature flipped | reject | reject |
//! | (e) [`signature_of_other_image`] | A's signature of another image, copied to its `.sig` tag | reject | reject |
//! | (f) [`signed_by_other_key`] | B | reject | accept |

use std::path::{Path, PathBuf};

use serde_json::Value;
use tempfile::TempDir;

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use crate::registry_harness::{
    Auth, Image, Key, Registry, SIGNATURE_ANNOTATION, TOKEN_SERVICE, build_image, copy_signature,
    generate_key, http, push, push_with_creds, run_ok, sign_and_push, sign_pushed, skopeo,
    skopeo_policy_check, skopeo_policy_verdict, tamper_signature,
};

/// One image-verification case.
#[derive(Debug)]
pub(crate) struct Scenario {
    /// Short name, also the image's repository: `test/<name>`.
    pub(crate) name: &'static str,
    /// The image under test (tag `v1`).
    pub(crate) image: Image,
    /// Key A (passphrase "passphrase-a") and key B ("passphrase-b"), both P-256.
    pub(crate) key_a: Key,
    pub(crate) key_b: Key,
    /// Whether a verifier must accept `image` given `key_a.public` (or `key_b.public`).
    pub(crate) accepted_with_a: bool,
    pub(crate) accepted_with_b: bool,
}

/// A function that makes a scenario in a registry, with its files in a work folder.
pub(crate) type MakeScenario = fn(&Registry, &Path) -> Scenario;

/// Every scenario, (a) to (f).
pub(crate) const SCENARIOS: [MakeScenario; 6] = [
    unsigned,
    signed_by_a,
    signed_by_a_and_b,
    bad_signature,
    signature_of_other_image,
    signed_by_other_key,
];

/// The scenario's own folder under `work`, so that scenarios can share one.
fn folder(work: &Path, name: &str) -> PathBuf {
    let dir = work.join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Keys A and B, in `work`.
fn keys(work: &Path) -> (Key, Key) {
    (
        generate_key(work, "key-a", "passphrase-a"),
        generate_key(work, "key-b", "passphrase-b"),
    )
}

/// An image whose content names the scenario, so that no two scenarios share a digest (a
/// signature is attached to a digest, so two tags of one image share their signatures).
fn image(work: &Path, name: &str, which: &str) -> String {
    build_image(
        work,
        &format!("{name}-{which}"),
        format!("vouch test image: scenario {name}, {which}\n").as_bytes(),
    )
}

fn scenario(name: &'static str, image: Image, keys: (Key, Key), a: bool, b: bool) -> Scenario {
    Scenario {
        name,
        image,
        key_a: keys.0,
        key_b: keys.1,
        accepted_with_a: a,
        accepted_with_b: b,
    }
}

/// (a) An image with no signature at all.
pub(crate) fn unsigned(registry: &Registry, work: &Path) -> Scenario {
    let name = "unsigned";
    let work = &folder(work, name);
    let keys = keys(work);
    let pushed = push(
        &image(work, name, "v1"),
        registry,
        &format!("test/{name}:v1"),
    );
    scenario(name, pushed, keys, false, false)
}

/// (b) Signed by A.
pub(crate) fn signed_by_a(registry: &Registry, work: &Path) -> Scenario {
    let name = "signed-by-a";
    let work = &folder(work, name);
    let keys = keys(work);
    let tag = format!("test/{name}:v1");
    let pushed = sign_and_push(&image(work, name, "v1"), registry, &tag, &keys.0);
    assert_eq!(signature_count(registry, &pushed), 1);
    scenario(name, pushed, keys, true, false)
}

/// (c) Signed by A, then by B (skopeo appends a second layer to the `.sig` manifest).
pub(crate) fn signed_by_a_and_b(registry: &Registry, work: &Path) -> Scenario {
    let name = "signed-by-a-and-b";
    let work = &folder(work, name);
    let keys = keys(work);
    let tag = format!("test/{name}:v1");
    let pushed = sign_and_push(&image(work, name, "v1"), registry, &tag, &keys.0);
    let pushed = sign_pushed(registry, &pushed, &keys.1);
    assert_eq!(signature_count(registry, &pushed), 2);
    scenario(name, pushed, keys, true, true)
}

/// (d) Signed by A, then one bit of the signature flipped (still valid base64 and DER).
pub(crate) fn bad_signature(registry: &Registry, work: &Path) -> Scenario {
    let name = "bad-signature";
    let work = &folder(work, name);
    let keys = keys(work);
    let tag = format!("test/{name}:v1");
    let pushed = sign_and_push(&image(work, name, "v1"), registry, &tag, &keys.0);
    tamper_signature(registry, &pushed);
    assert_eq!(signature_count(registry, &pushed), 1);
    scenario(name, pushed, keys, false, false)
}

/// (e) Another image of the same repository (tag `other`) signed by A, and its `.sig` manifest
/// copied to the `.sig` tag of the image under test, which was never signed.
pub(crate) fn signature_of_other_image(registry: &Registry, work: &Path) -> Scenario {
    let name = "signature-of-other-image";
    let work = &folder(work, name);
    let keys = keys(work);
    let other = sign_and_push(
        &image(work, name, "other"),
        registry,
        &format!("test/{name}:other"),
        &keys.0,
    );
    let pushed = push(
        &image(work, name, "v1"),
        registry,
        &format!("test/{name}:v1"),
    );
    assert_ne!(other.digest, pushed.digest);
    copy_signature(registry, &other, &pushed);
    assert_eq!(signature_count(registry, &pushed), 1);
    scenario(name, pushed, keys, false, false)
}

/// (f) Signed by B only.
pub(crate) fn signed_by_other_key(registry: &Registry, work: &Path) -> Scenario {
    let name = "signed-by-other-key";
    let work = &folder(work, name);
    let keys = keys(work);
    let tag = format!("test/{name}:v1");
    let pushed = sign_and_push(&image(work, name, "v1"), registry, &tag, &keys.1);
    scenario(name, pushed, keys, false, true)
}

/// How many signature layers the image's `.sig` manifest has (each with a signature annotation).
fn signature_count(registry: &Registry, image: &Image) -> usize {
    let (media_type, bytes) = registry.get_manifest(&image.repo, &image.sig_tag());
    assert_eq!(media_type, "application/vnd.oci.image.manifest.v1+json");
    let manifest: Value = serde_json::from_slice(&bytes).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    for layer in layers {
        assert_eq!(
            layer["mediaType"],
            "application/vnd.dev.cosign.simplesigning.v1+json"
        );
        assert!(layer["annotations"][SIGNATURE_ANNOTATION].is_string());
    }
    layers.len()
}

/// Checks skopeo's verdict with each key, by tag and by digest, against the scenario's, and that
/// a rejection is for the expected reason.
fn check_with_skopeo(registry: &Registry, s: &Scenario, reason_with_a: &str) {
    for (key, expected) in [(&s.key_a, s.accepted_with_a), (&s.key_b, s.accepted_with_b)] {
        for image in [
            s.image.repo_tag(),
            format!("{}@{}", s.image.repo, s.image.digest),
        ] {
            let verdict = skopeo_policy_check(registry, &image, &key.public);
            assert_eq!(
                verdict.is_ok(),
                expected,
                "scenario {}: skopeo with {} on {image}: {verdict:?}",
                s.name,
                key.public.display()
            );
        }
    }
    if !s.accepted_with_a {
        let reason =
            skopeo_policy_check(registry, &s.image.repo_tag(), &s.key_a.public).unwrap_err();
        assert!(
            reason.contains(reason_with_a),
            "scenario {}: skopeo rejected it with key A for another reason: {reason}",
            s.name
        );
    }
}

/// `vouch verify --output json` of `images` with `key`, and more flags; the exit code and the
/// report. Runs with an empty environment for credentials, so nothing of the developer's
/// docker login leaks in.
pub(crate) fn vouch_verify(key: &Path, images: &[String], flags: &[&str]) -> (i32, Value) {
    vouch_verify_with_config(key, images, flags, None)
}

/// [`vouch_verify`], with `DOCKER_CONFIG` set to the folder of `docker_config`.
pub(crate) fn vouch_verify_with_config(
    key: &Path,
    images: &[String],
    flags: &[&str],
    docker_config: Option<&Path>,
) -> (i32, Value) {
    let home = TempDir::new().unwrap();
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"));
    if let Some(config) = docker_config {
        command.env("DOCKER_CONFIG", config.parent().unwrap());
    } else {
        command.env_remove("DOCKER_CONFIG");
    }
    let output = command
        .arg("verify")
        .arg("--key")
        .arg(key)
        .args(flags)
        .args(["--output", "json"])
        .args(images)
        .env("HOME", home.path())
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("COSIGN_REPOSITORY")
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

/// What vouch must say about a scenario, with each key and by tag and by digest: the same
/// verdict as skopeo's, and for a rejection the exit code and category that say why.
fn check_with_vouch(s: &Scenario, rejected_with_a: (i32, Option<&str>)) {
    for (key, expected) in [(&s.key_a, s.accepted_with_a), (&s.key_b, s.accepted_with_b)] {
        for image in [s.image.reference(), s.image.pinned()] {
            let (code, report) = vouch_verify(
                &key.public,
                std::slice::from_ref(&image),
                &["--insecure-ignore-tlog"],
            );
            let entry = &report["images"][0];
            assert_eq!(
                code == 0,
                expected,
                "scenario {}: vouch with {} on {image}: exit {code}\n{report:#}",
                s.name,
                key.public.display()
            );
            assert_eq!(entry["verified"], expected, "{report:#}");
            assert_eq!(entry["digest"], s.image.digest, "{report:#}");
            if expected {
                let signatures = entry["signatures"].as_array().unwrap();
                assert!(!signatures.is_empty(), "{report:#}");
                for signature in signatures {
                    assert_eq!(signature["source"], "legacy-tag", "{report:#}");
                    assert_eq!(signature["kind"], "simple-signing", "{report:#}");
                    assert_eq!(signature["tlog_verified"], false, "{report:#}");
                }
            }
        }
    }
    if !s.accepted_with_a {
        let (code, report) = vouch_verify(
            &s.key_a.public,
            &[s.image.reference()],
            &["--insecure-ignore-tlog"],
        );
        let (expected_code, category) = rejected_with_a;
        assert_eq!(code, expected_code, "scenario {}: {report:#}", s.name);
        let rejected = report["images"][0]["rejected"].as_array().unwrap();
        match category {
            Some(category) => assert!(
                !rejected.is_empty() && rejected.iter().all(|r| r["category"] == category),
                "scenario {}: expected every rejection to be `{category}`: {report:#}",
                s.name
            ),
            None => assert!(rejected.is_empty(), "{report:#}"),
        }
    }
    // Without --insecure-ignore-tlog, skopeo's signatures (no Rekor bundle) are refused, as
    // cosign refuses them offline: exit 1 with the reason, never 0.
    if s.accepted_with_a {
        let (code, report) = vouch_verify(&s.key_a.public, &[s.image.reference()], &[]);
        assert_eq!(code, 12, "scenario {}: {report:#}", s.name);
        let rejected = report["images"][0]["rejected"].as_array().unwrap();
        assert!(
            rejected
                .iter()
                .any(|r| r["category"] == "log-entry-missing"),
            "{report:#}"
        );
    }
}

fn run_scenario(make: MakeScenario, reason_with_a: &str, vouch_with_a: (i32, Option<&str>)) {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let s = make(&registry, work.path());
    check_with_skopeo(&registry, &s, reason_with_a);
    check_with_vouch(&s, vouch_with_a);
}

/// vouch's exit code and rejection category for a scenario that key A must not verify.
const NO_SIGNATURES: (i32, Option<&str>) = (10, None);
const BAD_SIGNATURE: (i32, Option<&str>) = (12, Some("signature"));
const OTHER_IMAGE: (i32, Option<&str>) = (12, Some("payload-mismatch"));
const ACCEPTED: (i32, Option<&str>) = (0, None);

#[test]
fn a_unsigned_is_rejected() {
    run_scenario(
        unsigned,
        "A signature was required, but no signature exists",
        NO_SIGNATURES,
    );
}

#[test]
fn b_signed_by_a_is_accepted_with_a_only() {
    run_scenario(signed_by_a, "", ACCEPTED);
}

#[test]
fn c_signed_by_a_and_b_is_accepted_with_either() {
    run_scenario(signed_by_a_and_b, "", ACCEPTED);
}

#[test]
fn d_bad_signature_is_rejected() {
    run_scenario(
        bad_signature,
        "cryptographic signature verification failed",
        BAD_SIGNATURE,
    );
}

#[test]
fn e_signature_of_other_image_is_rejected() {
    run_scenario(signature_of_other_image, "does not match", OTHER_IMAGE);
}

#[test]
fn f_signed_by_other_key_is_rejected_with_a() {
    run_scenario(
        signed_by_other_key,
        "cryptographic signature verification failed",
        BAD_SIGNATURE,
    );
}

/// Every scenario in one registry, side by side (repositories `test/<name>` keep them apart).
#[test]
fn all_scenarios_share_one_registry() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let scenarios: Vec<Scenario> = SCENARIOS
        .iter()
        .map(|make| make(&registry, work.path()))
        .collect();
    let names: Vec<&str> = scenarios.iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "unsigned",
            "signed-by-a",
            "signed-by-a-and-b",
            "bad-signature",
            "signature-of-other-image",
            "signed-by-other-key"
        ]
    );
    for s in &scenarios {
        assert_eq!(
            skopeo_policy_verdict(&registry, &s.image.repo_tag(), &s.key_a.public),
            s.accepted_with_a,
            "scenario {} with key A",
            s.name
        );
    }
    // One vouch invocation over all six images with signed-by-a's key A (every scenario has
    // keys of its own): only that image verifies, the verdicts come in the order given, and
    // the exit code is the worst outcome (12: a signature that does not verify, over 10, the
    // unsigned image).
    let images: Vec<String> = scenarios.iter().map(|s| s.image.reference()).collect();
    let key = &scenarios[1].key_a.public;
    let (code, report) = vouch_verify(key, &images, &["--insecure-ignore-tlog"]);
    assert_eq!(code, 12, "{report:#}");
    assert_eq!(report["total"], 6, "{report:#}");
    assert_eq!(report["verified"], 1, "{report:#}");
    let entries = report["images"].as_array().unwrap();
    for (entry, s) in entries.iter().zip(&scenarios) {
        assert_eq!(entry["image"], s.image.reference(), "{report:#}");
        assert_eq!(
            entry["verified"],
            s.name == "signed-by-a",
            "scenario {}: {report:#}",
            s.name
        );
    }
}

/// What a client without credentials sees at `/v2/`, then a push and a signed scenario with the
/// credentials (given to skopeo, in a Docker config file, and as raw HTTP requests).
fn check_auth_mode(auth: &Auth) {
    let registry = Registry::start(auth.clone());
    let work = TempDir::new().unwrap();
    let anonymous = http("GET", registry.host(), "/v2/", &[], b"").unwrap();
    let challenge = anonymous.header("Www-Authenticate").unwrap_or("");
    match auth {
        Auth::None => assert_eq!(anonymous.status, 200, "{anonymous:?}"),
        Auth::Htpasswd { .. } => {
            assert_eq!(anonymous.status, 401, "{anonymous:?}");
            assert_eq!(challenge, r#"Basic realm="vouch-basic-realm""#);
        }
        Auth::Bearer { .. } => {
            assert_eq!(anonymous.status, 401, "{anonymous:?}");
            let realm = registry.token_realm().unwrap();
            assert_eq!(
                challenge,
                format!(r#"Bearer realm="{realm}",service="{TOKEN_SERVICE}""#)
            );
        }
    }
    // The registry accepts our credentials (for Bearer: a token from our token server).
    let authorization = registry.authorization("repository:test/app:pull");
    let headers: Vec<(&str, &str)> = authorization
        .as_deref()
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    let authed = http("GET", registry.host(), "/v2/", &headers, b"").unwrap();
    assert_eq!(authed.status, 200, "{authed:?}\n{}", registry.log_text());

    let layout = build_image(work.path(), "auth", b"vouch test image: auth\n");
    if let Some((user, _)) = auth.credentials() {
        let err = push_with_creds(&layout, &registry, "test/app:v1", None).unwrap_err();
        assert!(
            err.contains("authentication required") || err.contains("unauthorized"),
            "{err}"
        );
        let err =
            push_with_creds(&layout, &registry, "test/app:v1", Some((user, "wrong"))).unwrap_err();
        assert!(
            err.contains("authentication required") || err.contains("unauthorized"),
            "{err}"
        );
    }
    let pushed = push(&layout, &registry, "test/app:v1");

    // The Docker config file works for a real client.
    let config = registry.docker_config(&work.path().join("docker"));
    let inspected = run_ok(
        skopeo()
            .args(["inspect", "--raw", "--tls-verify=false", "--authfile"])
            .arg(&config)
            .arg(format!("docker://{}", pushed.pinned())),
    );
    let manifest: Value = serde_json::from_slice(&inspected.stdout).unwrap();
    assert_eq!(manifest["schemaVersion"], 2);

    // Signing, re-signing, tampering and verifying all go through the auth.
    let s = signed_by_a_and_b(&registry, work.path());
    assert!(skopeo_policy_verdict(
        &registry,
        &s.image.repo_tag(),
        &s.key_a.public
    ));
    assert!(skopeo_policy_verdict(
        &registry,
        &s.image.repo_tag(),
        &s.key_b.public
    ));
    // vouch, with the credentials from the Docker config file only (DOCKER_CONFIG).
    let images = [s.image.reference()];
    let (code, report) = vouch_verify_with_config(
        &s.key_b.public,
        &images,
        &["--insecure-ignore-tlog"],
        Some(&config),
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["images"][0]["signatures"].as_array().unwrap().len(),
        1,
        "{report:#}"
    );
    if auth.credentials().is_some() {
        // Without credentials the registry refuses: a lookup failure (11), never "unsigned".
        let (code, report) = vouch_verify(&s.key_b.public, &images, &["--insecure-ignore-tlog"]);
        assert_eq!(code, 13, "{report:#}");
        let error = report["images"][0]["error"].as_str().unwrap();
        assert!(
            error.contains("401") || error.to_lowercase().contains("unauthorized"),
            "{error}"
        );
    }
    let s = bad_signature(&registry, work.path());
    assert!(!skopeo_policy_verdict(
        &registry,
        &s.image.repo_tag(),
        &s.key_a.public
    ));
    let (code, report) = vouch_verify_with_config(
        &s.key_a.public,
        &[s.image.reference()],
        &["--insecure-ignore-tlog"],
        Some(&config),
    );
    assert_eq!(code, 12, "{report:#}");
}

#[test]
fn auth_none() {
    check_auth_mode(&Auth::None);
}

#[test]
fn auth_htpasswd() {
    check_auth_mode(&Auth::htpasswd("vouch-user", "basic-s3cret"));
}

#[test]
fn auth_bearer() {
    check_auth_mode(&Auth::bearer("vouch-user", "token-s3cret"));
}

/// The token server refuses wrong credentials, and its tokens carry the claims the registry needs.
#[test]
fn token_server_checks_credentials() {
    let registry = Registry::start(Auth::bearer("vouch-user", "token-s3cret"));
    let realm = registry.token_realm().unwrap();
    let (host, path) = realm
        .strip_prefix("http://")
        .unwrap()
        .split_once('/')
        .unwrap();
    let wrong = STANDARD.encode("vouch-user:wrong");
    let response = http(
        "GET",
        host,
        &format!("/{path}?service={TOKEN_SERVICE}&scope=repository:test/app:pull"),
        &[("Authorization", &format!("Basic {wrong}"))],
        b"",
    )
    .unwrap();
    assert_eq!(response.status, 401);
    let response = http("GET", host, &format!("/{path}?service=x"), &[], b"").unwrap();
    assert_eq!(response.status, 401);

    let token = registry
        .authorization("repository:test/app:pull,push")
        .unwrap();
    let jwt = token.strip_prefix("Bearer ").unwrap();
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |part: &str| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
    };
    let header = decode(parts[0]);
    assert_eq!(header["alg"], "ES256");
    assert_eq!(header["x5c"].as_array().unwrap().len(), 1);
    let claims = decode(parts[1]);
    for claim in ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"] {
        assert!(!claims[claim].is_null(), "no {claim} in {claims}");
    }
    assert_eq!(claims["sub"], "vouch-user");
    assert_eq!(claims["aud"], TOKEN_SERVICE);
    assert_eq!(
        claims["access"],
        serde_json::json!([{"type": "repository", "name": "test/app", "actions": ["pull", "push"]}])
    );
}
