//! Trust policies end to end: `vouch verify --policy`, `vouch policy check` and `vouch policy
//! explain` over the real-registry scenarios of `verify_image_e2e.rs` (distribution 2.8.2,
//! images signed by skopeo 1.18), with skopeo's own policy engine judging the same
//! `policy.json` as the reference: same verdict for every image, by tag and by digest.
//!
//! Install the peers with `bash scripts/test.sh` (which runs
//! `testdata/peers/registry/install-peers.sh` as root).

use std::fs;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::registry_harness::{Registry, skopeo};
use crate::verify_image_e2e::{SCENARIOS, Scenario};

/// `vouch ARGS...` with no credentials from the environment.
fn vouch(args: &[&str]) -> Output {
    let home = TempDir::new().unwrap();
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .env("HOME", home.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .env_remove("XDG_RUNTIME_DIR")
        .env_remove("COSIGN_REPOSITORY")
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// `vouch verify --policy POLICY --output json IMAGES...`: the exit code and the report.
fn verify(policy: &Path, images: &[String]) -> (i32, Value) {
    let mut args = vec![
        "verify",
        "--policy",
        policy.to_str().unwrap(),
        "--output",
        "json",
    ];
    args.extend(images.iter().map(String::as_str));
    let output = vouch(&args);
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "vouch {args:?} printed no JSON report ({err}):\nstdout: {}\nstderr: {}",
            text(&output.stdout),
            text(&output.stderr)
        )
    });
    (output.status.code().unwrap_or(-1), report)
}

/// Whether skopeo's policy engine accepts `image` (`HOST/REPO:TAG` or `@sha256:…`) under the
/// policy file: `false` only for a policy rejection; any other failure panics, so that a broken
/// setup never passes for a rejection.
fn skopeo_accepts(registry: &Registry, policy: &Path, image: &str) -> bool {
    let out = TempDir::new().unwrap();
    let mut cmd = skopeo();
    cmd.arg("--registries.d")
        .arg(registry.registries_d())
        .arg("--policy")
        .arg(policy)
        .args([
            "copy",
            "--retry-times=0",
            "--remove-signatures",
            "--src-tls-verify=false",
        ])
        .arg(format!("docker://{image}"))
        .arg(format!("dir:{}", out.path().join("image").display()));
    let output = cmd.stdin(Stdio::null()).output().unwrap();
    let stderr = text(&output.stderr);
    if output.status.success() {
        return true;
    }
    assert!(
        stderr.contains("Source image rejected"),
        "skopeo failed for a reason other than its policy ({}): {cmd:?}\n{stderr}",
        output.status
    );
    false
}

fn write_json(path: &Path, value: &Value) {
    fs::write(path, serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

/// Every scenario's image by tag and by digest, with the host.
fn references(registry: &Registry, scenarios: &[Scenario]) -> Vec<String> {
    scenarios
        .iter()
        .flat_map(|s| {
            [
                format!("{}/{}", registry.host(), s.image.repo_tag()),
                format!("{}/{}@{}", registry.host(), s.image.repo, s.image.digest),
            ]
        })
        .collect()
}

/// The same `policy.json` files judged by skopeo and by vouch: every image, by tag and by
/// digest, gets the same verdict, in one vouch run per policy.
#[test]
fn containers_policies_judge_as_skopeo_does() {
    let registry = Registry::start(crate::registry_harness::Auth::None);
    let work = TempDir::new().unwrap();
    let scenarios: Vec<Scenario> = SCENARIOS
        .iter()
        .map(|make| make(&registry, work.path()))
        .collect();
    let host = registry.host().to_owned();
    // Each image's repository scoped to its own key A (or B), everything else rejected.
    let scoped = |pick_b: bool, identity: Value| -> Value {
        let mut docker = serde_json::Map::new();
        for s in &scenarios {
            let key = if pick_b { &s.key_b } else { &s.key_a };
            docker.insert(
                format!("{host}/{}", s.image.repo),
                json!([{
                    "type": "sigstoreSigned",
                    "keyPath": key.public,
                    "signedIdentity": identity,
                }]),
            );
        }
        json!({"default": [{"type": "reject"}], "transports": {"docker": docker}})
    };
    let policies = [
        (
            "key-a-match-repository",
            scoped(false, json!({"type": "matchRepository"})),
        ),
        (
            "key-b-match-repository",
            scoped(true, json!({"type": "matchRepository"})),
        ),
        // signedIdentity omitted: matchRepoDigestOrExact.
        ("key-a-default-identity", {
            let mut policy = scoped(false, Value::Null);
            for requirements in policy["transports"]["docker"]
                .as_object_mut()
                .unwrap()
                .values_mut()
            {
                requirements[0]
                    .as_object_mut()
                    .unwrap()
                    .remove("signedIdentity");
            }
            policy
        }),
        // An identity no signature claims: nothing passes.
        (
            "key-a-exact-repository-elsewhere",
            scoped(
                false,
                json!({"type": "exactRepository", "dockerRepository": format!("{host}/elsewhere/app")}),
            ),
        ),
        // The namespace accepts anything, except one repository that needs key A: the most
        // specific scope wins.
        ("namespace-open-one-repository-signed", {
            let signed = &scenarios[1];
            json!({
                "default": [{"type": "reject"}],
                "transports": {"docker": {
                    format!("{host}/test"): [{"type": "insecureAcceptAnything"}],
                    format!("{host}/{}", scenarios[0].image.repo): [{
                        "type": "sigstoreSigned",
                        "keyPath": signed.key_a.public,
                    }],
                }},
            })
        }),
        // Both requirements of a scope must pass: key A of signed-by-a-and-b and its key B.
        ("two-requirements-all-must-pass", {
            let both = &scenarios[2];
            json!({
                "default": [{"type": "insecureAcceptAnything"}],
                "transports": {"docker": {
                    format!("{host}/test"): [
                        {"type": "sigstoreSigned", "keyPath": both.key_a.public},
                        {"type": "sigstoreSigned", "keyPath": both.key_b.public},
                    ],
                }},
            })
        }),
    ];
    let images = references(&registry, &scenarios);
    let mut accepted_somewhere = 0;
    for (name, policy) in &policies {
        let path = work.path().join(format!("{name}.json"));
        write_json(&path, policy);
        let (code, report) = verify(&path, &images);
        let entries = report["images"].as_array().unwrap();
        assert_eq!(entries.len(), images.len(), "{name}: {report:#}");
        let mut all_allowed = true;
        for (entry, image) in entries.iter().zip(&images) {
            let expected = skopeo_accepts(&registry, &path, image);
            assert_eq!(entry["image"], image.as_str(), "{name}: {report:#}");
            assert_eq!(
                entry["allowed"], expected,
                "policy {name}, image {image}: skopeo says {expected}; vouch: {entry:#}"
            );
            if expected {
                accepted_somewhere += 1;
            } else {
                all_allowed = false;
                assert_eq!(entry["exit_code"], 12, "{name}: {entry:#}");
            }
        }
        assert_eq!(code, if all_allowed { 0 } else { 12 }, "{name}: {report:#}");
    }
    // The policies tell images apart: some are accepted, some refused.
    assert!(accepted_somewhere > 4, "{accepted_somewhere}");
}

/// vouch's own format: rules tried in order, keys named relative to the policy file, `allow`
/// and `reject` rules deciding without a lookup, `policy check` and `policy explain`.
#[test]
fn vouch_policies_are_checked_explained_and_enforced() {
    let registry = Registry::start(crate::registry_harness::Auth::None);
    let work = TempDir::new().unwrap();
    let signed = crate::verify_image_e2e::signed_by_a(&registry, work.path());
    let unsigned = crate::verify_image_e2e::unsigned(&registry, work.path());
    let host = registry.host();
    let dir = work.path().join("policy");
    fs::create_dir_all(dir.join("keys")).unwrap();
    fs::copy(&signed.key_a.public, dir.join("keys/a.pub")).unwrap();
    fs::copy(&signed.key_b.public, dir.join("keys/b.pub")).unwrap();
    let policy = dir.join("policy.yaml");
    fs::write(
        &policy,
        format!(
            "apiVersion: vouch.dev/v1
kind: TrustPolicy
match: first
rules:
  - name: release
    images: [\"{host}/test/signed-*\"]
    authorities:
      - name: key-b
        key: {{path: keys/b.pub}}
        tlog: false
      - name: key-a
        key: {{path: keys/a.pub}}
        tlog: false
  - name: scratch
    images: [\"{host}/test/unsigned\"]
    allow: true
  - name: everything-else
    images: [\"**\"]
    reject: only release images run here
"
        ),
    )
    .unwrap();

    let checked = vouch(&["policy", "check", policy.to_str().unwrap()]);
    assert_eq!(checked.status.code(), Some(0), "{checked:?}");
    assert!(
        text(&checked.stdout).contains("valid (vouch, 3 rule(s)"),
        "{}",
        text(&checked.stdout)
    );

    let signed_ref = format!("{host}/{}", signed.image.repo_tag());
    let unsigned_ref = format!("{host}/{}", unsigned.image.repo_tag());
    let other = format!("{host}/other/app:1");
    let explained = vouch(&[
        "policy",
        "explain",
        policy.to_str().unwrap(),
        &signed_ref,
        &other,
    ]);
    assert_eq!(explained.status.code(), Some(0), "{explained:?}");
    let shown = text(&explained.stdout);
    assert!(shown.contains("rule \"release\" applies"), "{shown}");
    assert!(shown.contains("requires one of"), "{shown}");
    assert!(
        shown.contains("rule \"everything-else\" applies"),
        "{shown}"
    );

    let (code, report) = verify(&policy, &[signed_ref.clone(), unsigned_ref, other.clone()]);
    assert_eq!(code, 12, "{report:#}");
    let entries = report["images"].as_array().unwrap();
    assert_eq!(entries[0]["allowed"], true, "{report:#}");
    assert_eq!(entries[0]["rules"][0]["rule"], "release", "{report:#}");
    // Key B did not sign it, key A did: one authority of the rule is enough.
    assert_eq!(entries[0]["rules"][0]["requirements"][0]["passed"], false);
    assert_eq!(entries[0]["rules"][0]["requirements"][1]["passed"], true);
    assert_eq!(entries[1]["allowed"], true, "{report:#}");
    assert_eq!(entries[1]["rules"][0]["rule"], "scratch", "{report:#}");
    assert_eq!(entries[2]["allowed"], false, "{report:#}");
    assert!(
        entries[2]["summary"]
            .as_str()
            .unwrap()
            .contains("only release images run here"),
        "{report:#}"
    );
    // `allow` and `reject` decide without the registry: only the release image was looked up.
    assert!(entries[1]["digest"].is_null(), "{report:#}");
    assert!(entries[2]["digest"].is_null(), "{report:#}");

    // Text: one line per image, the verdict first.
    let output = vouch(&[
        "verify",
        "--policy",
        policy.to_str().unwrap(),
        &signed_ref,
        &other,
    ]);
    assert_eq!(output.status.code(), Some(12));
    let lines: Vec<String> = text(&output.stdout).lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with("OK ") && lines[0].contains("allowed by rule \"release\""));
    assert!(lines[1].starts_with("FAILED ") && lines[1].contains("everything-else"));

    // Key B alone: the release image is refused, and the report says which authority failed.
    fs::write(
        &policy,
        fs::read_to_string(&policy)
            .unwrap()
            .replace("keys/a.pub", "keys/b.pub"),
    )
    .unwrap();
    let (code, report) = verify(&policy, std::slice::from_ref(&signed_ref));
    assert_eq!(code, 12, "{report:#}");
    assert_eq!(report["images"][0]["allowed"], false, "{report:#}");
}

/// A policy that cannot be used is refused before anything is looked up, with its line.
#[test]
fn broken_policies_are_refused_with_their_line() {
    let work = TempDir::new().unwrap();
    let policy = work.path().join("policy.yaml");
    fs::write(
        &policy,
        "apiVersion: vouch.dev/v1
kind: TrustPolicy
match: first
rules:
  - images: [\"**\"]
    allow: true
    reject: both
",
    )
    .unwrap();
    let output = vouch(&["policy", "check", policy.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("line "), "{stderr}");
    assert!(stderr.contains("not several"), "{stderr}");

    fs::write(
        &policy,
        "apiVersion: vouch.dev/v1\nkind: TrustPolicy\nmatch: first\nrules:\n  - images: [\"**\"]\n    alow: true\n",
    )
    .unwrap();
    let output = vouch(&[
        "verify",
        "--policy",
        policy.to_str().unwrap(),
        "example.com/a:1",
    ]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    let stderr = text(&output.stderr);
    assert!(stderr.contains("line 6"), "{stderr}");
    assert!(stderr.contains("alow"), "{stderr}");
    assert!(output.stdout.is_empty(), "no verdict for a policy not read");

    // A key file that is missing is named.
    fs::write(
        &policy,
        "apiVersion: vouch.dev/v1\nkind: TrustPolicy\nmatch: all\nrules:\n  - images: [\"**\"]\n    authorities:\n      - key: {path: missing.pub}\n",
    )
    .unwrap();
    let output = vouch(&["policy", "check", policy.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(text(&output.stderr).contains("missing.pub"), "{output:?}");
}

/// A rule that asks for attestations: the image's signer must also have attested it, with the
/// type asked and a statement the Rego policy allows.
#[test]
fn attestations_required_by_a_policy() {
    let registry = Registry::start(crate::registry_harness::Auth::None);
    let work = TempDir::new().unwrap();
    let signed = crate::verify_image_e2e::signed_by_a(&registry, work.path());
    let image = format!("{}/{}", registry.host(), signed.image.repo_tag());
    let predicate = work.path().join("provenance.json");
    write_json(
        &predicate,
        &json!({"buildDefinition": {"buildType": "https://acme.example/build/v1"}}),
    );
    let attested = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["attest", "--key"])
        .arg(&signed.key_a.private)
        .args(["--type", "slsaprovenance1", "--predicate"])
        .arg(&predicate)
        .arg(&image)
        .env("VOUCH_PASSWORD", &signed.key_a.passphrase)
        .env("HOME", work.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(attested.status.success(), "{attested:?}");

    let policy = work.path().join("policy.yaml");
    let write_policy = |attestation: &str| {
        fs::write(
            &policy,
            format!(
                "apiVersion: vouch.dev/v1
kind: TrustPolicy
match: first
rules:
  - images: [\"**\"]
    authorities:
      - name: key-a
        key: {{path: {}}}
        tlog: false
        attestations:
{attestation}",
                signed.key_a.public.display()
            ),
        )
        .unwrap();
    };
    let allows = "package signature\n              allow { input.predicate.buildDefinition.buildType == \"https://acme.example/build/v1\" }";
    let denies = "package signature\n              allow { input.predicate.buildDefinition.buildType == \"https://other.example\" }\n              deny contains \"built elsewhere\" if { true }";
    for (attestation, allowed, says) in [
        (
            format!(
                "          - type: slsaprovenance1\n            rego: |\n              {allows}\n"
            ),
            true,
            "attested https://slsa.dev/provenance/v1",
        ),
        (
            format!(
                "          - type: slsaprovenance1\n            rego: |\n              {denies}\n"
            ),
            false,
            "built elsewhere",
        ),
        (
            "          - type: spdxjson\n".to_owned(),
            false,
            "of type https://spdx.dev/Document",
        ),
    ] {
        write_policy(&attestation);
        let (code, report) = verify(&policy, std::slice::from_ref(&image));
        let entry = &report["images"][0];
        assert_eq!(entry["allowed"], allowed, "{attestation}: {report:#}");
        assert_eq!(code, if allowed { 0 } else { 12 }, "{report:#}");
        let detail = entry["rules"][0]["requirements"][0]["detail"]
            .as_str()
            .unwrap();
        assert!(detail.contains(says), "{attestation}: {detail}");
    }

    // The same as policy-controller ClusterImagePolicy documents: a key authority without
    // `ctlog` needs no log entry; its attestations, with policy-controller's Rego convention.
    let pem = |path: &Path| {
        fs::read_to_string(path)
            .unwrap()
            .lines()
            .map(|line| format!("          {line}\n"))
            .collect::<String>()
    };
    let cip = |name: &str, key: &Path, attestations: &str| {
        format!(
            "apiVersion: policy.sigstore.dev/v1beta1
kind: ClusterImagePolicy
metadata:
  name: {name}
spec:
  images:
  - glob: \"{}/**\"
  authorities:
  - key:
      data: |
{}{attestations}",
            registry.host(),
            pem(key)
        )
    };
    let compliant = "    attestations:
    - name: provenance
      predicateType: slsaprovenance1
      policy:
        type: rego
        data: |
          package sigstore
          isCompliant { input.predicate.buildDefinition.buildType == \"https://acme.example/build/v1\" }
";
    for (text, allowed) in [
        (cip("key-a", &signed.key_a.public, ""), true),
        (cip("key-b", &signed.key_b.public, ""), false),
        (cip("key-a-attested", &signed.key_a.public, compliant), true),
        (
            cip(
                "key-a-attested-elsewhere",
                &signed.key_a.public,
                &compliant.replace("acme.example", "other.example"),
            ),
            false,
        ),
        // Two documents: every matching policy must pass.
        (
            format!(
                "{}---\n{}",
                cip("first", &signed.key_a.public, ""),
                cip("second", &signed.key_b.public, "")
            ),
            false,
        ),
    ] {
        let path = work.path().join("cip.yaml");
        fs::write(&path, &text).unwrap();
        let (code, report) = verify(&path, std::slice::from_ref(&image));
        assert_eq!(
            report["images"][0]["allowed"], allowed,
            "{text}\n{report:#}"
        );
        assert_eq!(code, if allowed { 0 } else { 12 }, "{report:#}");
    }
}
