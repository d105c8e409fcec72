//! `vouch attest` and `vouch verify-attestation` end to end: images in a real registry
//! (distribution 2.8.2, no referrers API, so the tag-schema fallback), attested by vouch with a
//! key, the bundle checked by sigstore-js's `@sigstore/verify`, and verified by vouch beside
//! the image's signature. Keyless attestations made by sigstore-js and attached by
//! `@sigstore/cli` are verified in `verify_image_bundles.rs`.
//!
//! Install the peers with `bash scripts/test.sh` (which runs
//! `testdata/peers/registry/install-peers.sh` as root, and `npm ci` for sigstore-js).

use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::registry_harness::{Auth, Image, Registry, build_image, push};
use crate::sign_blob::sigstore_js_verify;
use crate::sign_image_e2e::{PASSWORD, vouch_key};

const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
const COSIGN_SIGN: &str = "https://sigstore.dev/cosign/sign/v1";

/// `vouch SUBCOMMAND ARGS...` with no credentials from the environment.
fn vouch(args: &[&str]) -> Output {
    let home = TempDir::new().unwrap();
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .env("VOUCH_PASSWORD", PASSWORD)
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

fn expect(args: &[&str], code: i32) -> Output {
    let output = vouch(args);
    assert_eq!(
        output.status.code(),
        Some(code),
        "vouch {args:?}:\nstdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn image(registry: &Registry, work: &Path, name: &str) -> Image {
    let layout = build_image(
        work,
        name,
        format!("vouch attest test: {name}\n").as_bytes(),
    );
    push(&layout, registry, &format!("test/{name}:v1"))
}

/// `verify-attestation --key PUB --insecure-ignore-tlog FLAGS IMAGE --output json`: the exit
/// code and the report.
fn verify_json(public: &Path, image: &str, flags: &[&str]) -> (i32, Value) {
    let mut args = vec![
        "verify-attestation",
        "--key",
        path(public),
        "--insecure-ignore-tlog",
        "--output",
        "json",
    ];
    args.extend_from_slice(flags);
    args.push(image);
    let output = vouch(&args);
    let report = serde_json::from_slice(&output.stdout).unwrap_or_else(|err| {
        panic!(
            "no JSON report ({err}): {}{}",
            text(&output.stdout),
            text(&output.stderr)
        )
    });
    (output.status.code().unwrap(), report)
}

#[test]
fn vouch_attests_images_and_verifies_what_it_finds_beside_signatures() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let (private, public) = vouch_key(dir, "vendor");
    let (_, other_public) = vouch_key(dir, "other");
    let attested = image(&registry, dir, "attested");
    let signed_only = image(&registry, dir, "signed-only");
    let bare = image(&registry, dir, "bare");
    let provenance = json!({
        "buildDefinition": {"buildType": "https://vouch.invalid/build/v1", "externalParameters": {}},
        "runDetails": {"builder": {"id": "https://vouch.invalid/builder"}},
    });
    let predicate = dir.join("provenance.json");
    std::fs::write(&predicate, provenance.to_string()).unwrap();

    let wrote = expect(
        &[
            "attest",
            "--key",
            path(&private),
            "--type",
            "slsaprovenance1",
            "--predicate",
            path(&predicate),
            &attested.reference(),
        ],
        0,
    );
    assert!(
        text(&wrote.stdout).contains(&attested.digest),
        "{}",
        text(&wrote.stdout)
    );
    // Signatures too: a cosign v3 signature is an in-toto statement of its own type.
    for image in [&attested, &signed_only] {
        expect(&["sign", "--key", path(&private), &image.reference()], 0);
    }

    // What the registry holds: the fallback index lists the attestation's referrer, annotated
    // with its predicate type as cosign v3 writes it; its bundle verifies with sigstore-js.
    let (_, index) = registry.get_manifest(&attested.repo, &attested.digest.replace(':', "-"));
    let index: Value = serde_json::from_slice(&index).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 2, "{index:#}");
    let attestation = entries
        .iter()
        .find(|e| e["annotations"]["dev.sigstore.bundle.predicateType"] == SLSA_V1)
        .unwrap_or_else(|| panic!("no attestation referrer: {index:#}"));
    let (_, manifest) =
        registry.get_manifest(&attested.repo, attestation["digest"].as_str().unwrap());
    let manifest: Value = serde_json::from_slice(&manifest).unwrap();
    assert_eq!(manifest["subject"]["digest"], attested.digest.as_str());
    let bundle = registry.get_blob(
        &attested.repo,
        manifest["layers"][0]["digest"].as_str().unwrap(),
    );
    let bundle_file = dir.join("attestation.sigstore.json");
    std::fs::write(&bundle_file, &bundle).unwrap();
    assert_eq!(sigstore_js_verify(&bundle_file, &predicate, &public), "OK");
    let bundle: Value = serde_json::from_slice(&bundle).unwrap();
    let statement: Value = serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(bundle["dsseEnvelope"]["payload"].as_str().unwrap())
            .unwrap(),
    )
    .unwrap();
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["predicateType"], SLSA_V1);
    assert_eq!(statement["predicate"], provenance);
    assert_eq!(
        statement["subject"][0]["digest"]["sha256"],
        attested.digest.trim_start_matches("sha256:")
    );

    // Verified: by tag and by digest; the signature beside it is not an attestation.
    for reference in [attested.reference(), attested.pinned()] {
        let (code, report) = verify_json(&public, &reference, &["--type", "slsaprovenance1"]);
        assert_eq!(code, 0, "{report:#}");
        let found = report["images"][0]["attestations"].as_array().unwrap();
        assert_eq!(found.len(), 2, "{report:#}");
        let accepted: Vec<&Value> = found
            .iter()
            .filter(|a| a["outcome"] == "accepted")
            .collect();
        assert_eq!(accepted.len(), 1, "{report:#}");
        assert_eq!(accepted[0]["predicate_type"], SLSA_V1);
        assert_eq!(accepted[0]["source"], "referrers-tag-schema");
        assert_eq!(report["images"][0]["digest"], attested.digest.as_str());
    }
    let (code, report) = verify_json(&public, &attested.reference(), &[]);
    assert_eq!(code, 0, "without --type, any attestation: {report:#}");
    // One line per attestation found.
    let lines = text(
        &expect(
            &[
                "verify-attestation",
                "--key",
                path(&public),
                "--insecure-ignore-tlog",
                &attested.reference(),
            ],
            0,
        )
        .stdout,
    );
    let ok = format!(
        "OK {}: attestation (referrers-tag-schema sha256:",
        attested.reference()
    );
    assert!(
        lines.lines().any(|l| l.starts_with(&ok)
            && l.contains(&format!(") of type {SLSA_V1} verified: key sha256:"))),
        "{lines}"
    );
    assert!(
        lines.lines().any(|l| l.starts_with("FAILED ")
            && l.contains("[other-type]")
            && l.contains(COSIGN_SIGN)),
        "{lines}"
    );
    assert_eq!(lines.lines().count(), 2, "{lines}");
    let printed = expect(
        &[
            "verify-attestation",
            "--key",
            path(&public),
            "--insecure-ignore-tlog",
            "--print-predicate",
            &attested.reference(),
        ],
        0,
    );
    let printed: Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(
        printed, provenance,
        "only the attestation's predicate, not the signature's"
    );

    // None of the type: 15. A signature only: no attestation (15, naming the signature's type),
    // unless its type is asked for. Nothing attached: 10. Another key: 12.
    let (code, report) = verify_json(&public, &attested.reference(), &["--type", "spdx"]);
    assert_eq!(code, 15, "{report:#}");
    let only_signed = expect(
        &[
            "verify-attestation",
            "--key",
            path(&public),
            "--insecure-ignore-tlog",
            &signed_only.reference(),
        ],
        15,
    );
    assert!(
        text(&only_signed.stderr).contains(COSIGN_SIGN),
        "{}",
        text(&only_signed.stderr)
    );
    let (code, report) = verify_json(&public, &signed_only.reference(), &["--type", COSIGN_SIGN]);
    assert_eq!(code, 0, "{report:#}");
    let (code, report) = verify_json(&public, &bare.reference(), &[]);
    assert_eq!(code, 10, "{report:#}");
    let (code, report) = verify_json(
        &other_public,
        &attested.reference(),
        &["--type", "slsaprovenance1"],
    );
    assert_eq!(code, 12, "{report:#}");
    // Several images: the worst outcome.
    let (code, report) = verify_json(
        &public,
        &attested.reference(),
        &["--type", "slsaprovenance1", &bare.reference()],
    );
    assert_eq!(code, 10, "{report:#}");
    assert_eq!(report["images"].as_array().unwrap().len(), 2, "{report:#}");

    // A policy over the statement.
    let deny = dir.join("deny.rego");
    std::fs::write(
        &deny,
        "package signature\n\ndefault allow = false\n\nallow {\n  input.predicate.runDetails.builder.id == \"https://github.com/actions/runner\"\n}\n",
    )
    .unwrap();
    let (code, report) = verify_json(
        &public,
        &attested.reference(),
        &["--type", "slsaprovenance1", "--policy", path(&deny)],
    );
    assert_eq!(code, 16, "{report:#}");

    // cosign 2's `.att` tag is not written.
    expect(
        &[
            "attest",
            "--key",
            path(&private),
            "--signature-format",
            "legacy",
            "--predicate",
            path(&predicate),
            &attested.reference(),
        ],
        2,
    );
}
