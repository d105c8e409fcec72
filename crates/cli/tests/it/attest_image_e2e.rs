//! `vouch attest` and `vouch verify-attestation` end to end: images in a real registry
//! (distribution 2.8.2, no referrers API, so the tag-schema fallback), attested by vouch with a
//! key, the bundle checked by sigstore-js's `@sigstore/verify`, and verified by vouch beside
//! the image's signature; cosign 2's `.att` layout, written by `vouch attest --signature-format
//! legacy` and, keylessly, laid out from a sigstore-js bundle's parts. Keyless attestations made
//! by sigstore-js and attached by `@sigstore/cli` as referrers are verified in
//! `verify_image_bundles.rs`.
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
}

/// A keyless cosign ≤ 2 `.att` layer for `image`, made from a sigstore-js bundle's parts as
/// cosign lays them out: the DSSE envelope as the blob; the leaf certificate (PEM), the Rekor
/// bundle (`SignedEntryTimestamp` and the entry: body, integrated time, index, log ID in hex)
/// and the predicate type as annotations. Pushed as the `.att` manifest (an OCI image manifest
/// with an empty config); returns that manifest's digest.
fn push_keyless_att(
    registry: &Registry,
    image: &Image,
    bundle: &Path,
    predicate_type: &str,
) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bundle: Value = serde_json::from_slice(&std::fs::read(bundle).unwrap()).unwrap();
    let material = &bundle["verificationMaterial"];
    let der = b64
        .decode(material["certificate"]["rawBytes"].as_str().unwrap())
        .unwrap();
    let pem = format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        b64.encode(der)
    );
    let entry = &material["tlogEntries"][0];
    let rekor = json!({
        "SignedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],
        "Payload": {
            "body": entry["canonicalizedBody"],
            "integratedTime": entry["integratedTime"].as_str().unwrap().parse::<i64>().unwrap(),
            "logIndex": entry["logIndex"].as_str().unwrap().parse::<i64>().unwrap(),
            "logID": hex::encode(b64.decode(entry["logId"]["keyId"].as_str().unwrap()).unwrap()),
        },
    });
    let envelope = serde_json::to_vec(&bundle["dsseEnvelope"]).unwrap();
    let config = br#"{"architecture":"","os":"","config":{}}"#;
    let layer_digest = registry.put_blob(&image.repo, &envelope);
    let config_digest = registry.put_blob(&image.repo, config);
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": config_digest,
            "size": config.len(),
        },
        "layers": [{
            "mediaType": "application/vnd.dsse.envelope.v1+json",
            "digest": layer_digest,
            "size": envelope.len(),
            "annotations": {
                "dev.cosignproject.cosign/signature": "",
                "predicateType": predicate_type,
                "dev.sigstore.cosign/certificate": pem,
                "dev.sigstore.cosign/bundle": rekor.to_string(),
            },
        }],
    });
    registry.put_manifest(
        &image.repo,
        &format!("{}.att", image.digest.replace(':', "-")),
        "application/vnd.oci.image.manifest.v1+json",
        manifest.to_string().as_bytes(),
    )
}

#[test]
fn cosign_2_att_layers_are_read_and_written() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let (private, public) = vouch_key(dir, "vendor");
    let legacy = image(&registry, dir, "legacy-att");
    let keyless = image(&registry, dir, "keyless-att");
    let predicate = dir.join("provenance.json");
    std::fs::write(
        &predicate,
        r#"{"builder":{"id":"https://vouch.invalid/b"}}"#,
    )
    .unwrap();
    let sbom = dir.join("sbom.json");
    std::fs::write(&sbom, r#"{"spdxVersion":"SPDX-2.3","name":"app"}"#).unwrap();

    // `vouch attest --signature-format legacy`: one `.att` layer per attestation, as cosign 2.
    for (kind, file) in [("slsaprovenance", &predicate), ("spdxjson", &sbom)] {
        expect(
            &[
                "attest",
                "--key",
                path(&private),
                "--signature-format",
                "legacy",
                "--type",
                kind,
                "--predicate",
                path(file),
                &legacy.reference(),
            ],
            0,
        );
    }
    let (_, manifest) = registry.get_manifest(
        &legacy.repo,
        &format!("{}.att", legacy.digest.replace(':', "-")),
    );
    let manifest: Value = serde_json::from_slice(&manifest).unwrap();
    let layers = manifest["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2, "{manifest:#}");
    assert_eq!(
        layers[0]["mediaType"],
        "application/vnd.dsse.envelope.v1+json"
    );
    assert_eq!(
        layers[0]["annotations"]["predicateType"],
        "https://slsa.dev/provenance/v0.2"
    );
    assert_eq!(
        layers[0]["annotations"]["dev.cosignproject.cosign/signature"],
        ""
    );
    let envelope: Value = serde_json::from_slice(
        &registry.get_blob(&legacy.repo, layers[1]["digest"].as_str().unwrap()),
    )
    .unwrap();
    assert_eq!(envelope["payloadType"], "application/vnd.in-toto+json");

    let (code, report) = verify_json(&public, &legacy.reference(), &["--type", "spdx"]);
    assert_eq!(code, 0, "{report:#}");
    let found = report["images"][0]["attestations"].as_array().unwrap();
    assert_eq!(found.len(), 2, "{report:#}");
    assert!(
        found
            .iter()
            .all(|a| a["source"] == "legacy-attestation-tag"),
        "{report:#}"
    );
    let accepted: Vec<&Value> = found
        .iter()
        .filter(|a| a["outcome"] == "accepted")
        .collect();
    assert_eq!(accepted.len(), 1, "{report:#}");
    assert_eq!(accepted[0]["predicate_type"], "https://spdx.dev/Document");
    let (code, report) = verify_json(&public, &legacy.reference(), &["--type", "cyclonedx"]);
    assert_eq!(code, 15, "{report:#}");
    // `vouch verify` does not read attestations: the image has no signature.
    let verify = vouch(&[
        "verify",
        "--key",
        path(&public),
        "--insecure-ignore-tlog",
        &legacy.reference(),
    ]);
    assert_eq!(verify.status.code(), Some(10), "{}", text(&verify.stderr));
    // `vouch tree` lists the `.att` place and its layers.
    let tree = text(&expect(&["tree", &legacy.reference()], 0).stdout);
    assert!(tree.contains(".att"), "{tree}");
    assert!(tree.contains("of type https://spdx.dev/Document"), "{tree}");

    // A keyless `.att` layer, its Rekor bundle from sigstore-js's log entry.
    let signed = crate::attestations::keyless_attestations_about(
        dir,
        &keyless.repo,
        &keyless.digest,
        &[(
            "keyless-att",
            SLSA_V1,
            json!({"builder": {"id": "https://github.com/actions/runner"}}),
        )],
        &json!({"repository": "vouch-peer/sigstore-js", "repository_owner": "vouch-peer"}),
    );
    push_keyless_att(&registry, &keyless, &signed.bundle("keyless-att"), SLSA_V1);
    let keyless_verify = |flags: &[&str]| {
        let mut args = vec![
            "verify-attestation",
            "--trusted-root",
            path(&signed.trusted_root),
            "--output",
            "json",
        ];
        args.extend_from_slice(flags);
        let reference = keyless.reference();
        args.push(&reference);
        let output = vouch(&args);
        let report: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|err| panic!("no JSON ({err}): {}", text(&output.stderr)));
        (output.status.code().unwrap(), report)
    };
    let (code, report) = keyless_verify(&[
        "--certificate-identity",
        &signed.identity,
        "--certificate-oidc-issuer",
        &signed.issuer,
        "--type",
        "slsaprovenance1",
    ]);
    assert_eq!(code, 0, "{report:#}");
    let found = &report["images"][0]["attestations"][0];
    assert_eq!(found["source"], "legacy-attestation-tag", "{report:#}");
    assert_eq!(found["tlog_verified"], true, "{report:#}");
    let (code, report) = keyless_verify(&["--owner", "vouch-peer", "--type", "slsaprovenance1"]);
    assert_eq!(code, 0, "{report:#}");
    let (code, report) = keyless_verify(&[
        "--certificate-identity",
        &signed.wrong_identity,
        "--certificate-oidc-issuer",
        &signed.issuer,
    ]);
    assert_eq!(code, 12, "{report:#}");
}

/// An SBOM attestation of a few MB, over the 1 MiB a signature may take: `verify-attestation`
/// fetches it (up to 64 MiB each), as a referrer and as an `.att` layer.
#[test]
fn sbom_attestations_over_a_mib_are_verified() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let dir = work.path();
    let (private, public) = vouch_key(dir, "vendor");
    let packages: Vec<Value> = (0..30_000)
        .map(|n| json!({"SPDXID": format!("SPDXRef-{n}"), "name": format!("package-{n}"), "versionInfo": "1.0.0", "downloadLocation": "NOASSERTION"}))
        .collect();
    let sbom = json!({"spdxVersion": "SPDX-2.3", "name": "app", "packages": packages});
    let predicate = dir.join("sbom.spdx.json");
    std::fs::write(&predicate, sbom.to_string()).unwrap();
    assert!(std::fs::metadata(&predicate).unwrap().len() > 2 << 20);
    for format in ["bundle", "legacy"] {
        let image = image(&registry, dir, &format!("sbom-{format}"));
        expect(
            &[
                "attest",
                "--key",
                path(&private),
                "--signature-format",
                format,
                "--type",
                "spdxjson",
                "--predicate",
                path(&predicate),
                &image.reference(),
            ],
            0,
        );
        let printed = expect(
            &[
                "verify-attestation",
                "--key",
                path(&public),
                "--insecure-ignore-tlog",
                "--type",
                "spdx",
                "--print-predicate",
                &image.reference(),
            ],
            0,
        );
        let printed: Value = serde_json::from_slice(&printed.stdout).unwrap();
        assert_eq!(printed, sbom, "{format}");
        // `tree` lists it, within the signature limits: not fetched, said so.
        let tree = text(&expect(&["tree", &image.reference()], 0).stdout);
        assert!(tree.contains("not checked"), "{format}: {tree}");
    }
}
