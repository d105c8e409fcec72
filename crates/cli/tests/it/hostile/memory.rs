//! Hostile input: memory. Whatever a registry lists or a bundle file holds, a `vouch` process
//! peaks under 128 MiB (`VmHWM`, sampled while it runs): signature layers over the size limit
//! are not fetched, one image's signatures have a byte budget, bundles are parsed without an
//! untyped tree of their unknown fields, and an in-toto statement that would cost too much as a
//! tree is refused. What is not fetched because of a limit is a signature that could not be
//! checked (`unchecked`, exit 1), never "unsigned" (exit 10). And JSON with a key twice is
//! refused, as cosign's protojson refuses it.

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;
use tempfile::TempDir;
use vouch_oci::OciDigest;

use crate::mock_registry::{
    BUNDLE_V03, COSIGN_SIGN, MockRegistry, OCI_MANIFEST, Run, SIGNATURE_ANNOTATION, SIMPLE_SIGNING,
    TestKey, b64, simple_signing_payload, statement, vm_hwm_kib, vouch,
};

/// The promise: any command, any input, under 128 MiB.
const MAX_RSS_KIB: u64 = 128 * 1024;

const REPO: &str = "test/app";

/// `[{"a":0},{"a":0},…]` of about `len` bytes: the JSON that costs most memory as a tree.
fn small_objects(len: usize) -> String {
    let unit = r#"{"a":0},"#;
    format!("[{}{{\"a\":0}}]", unit.repeat(len / unit.len()))
}

fn assert_bounded(peak_rss_kib: u64, what: &str) {
    assert!(
        peak_rss_kib > 0 && peak_rss_kib < MAX_RSS_KIB,
        "{what}: vouch peaked at {peak_rss_kib} KiB (limit {MAX_RSS_KIB} KiB)"
    );
}

/// Not verified because signatures could not be checked: exit 14 and verdict `unchecked`, never
/// exit 10 or `unsigned`; at least one rejection of category `unchecked` whose reason has
/// `reason`.
fn assert_unchecked(run: &Run, reason: &str) {
    assert_eq!(run.code, 14, "{}", run.show());
    assert_eq!(run.image()["verdict"], "unchecked", "{}", run.show());
    assert_eq!(run.image()["verified"], false, "{}", run.show());
    let rejected = run.image()["rejected"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        rejected
            .iter()
            .any(|r| r["category"] == "unchecked" && r["reason"].as_str().unwrap().contains(reason)),
        "expected an `unchecked` rejection saying {reason:?}: {}",
        run.show()
    );
    assert!(
        run.error().contains("be checked (over vouch's limits)"),
        "{}",
        run.show()
    );
}

/// `vouch verify --key KEY --insecure-ignore-tlog test/app:v1`.
fn verify(registry: &MockRegistry, key: &Path) -> Run {
    vouch(
        &[
            "--key",
            key.to_str().unwrap(),
            "--insecure-ignore-tlog",
            &registry.image(&format!("{REPO}:v1")),
        ],
        &[],
    )
}

/// A `.sig` manifest of `layers` (descriptors as given, sizes included) at the image's tag.
fn legacy_manifest(registry: &MockRegistry, subject: &OciDigest, layers: &[serde_json::Value]) {
    let body = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "size": 233,
            "digest": OciDigest::sha256_of(b"cosign signature config").to_string(),
        },
        "layers": layers,
    })
    .to_string()
    .into_bytes();
    registry.manifest(
        REPO,
        &[&format!("{}.sig", subject.tag_form())],
        OCI_MANIFEST,
        &body,
    );
}

fn layer(digest: &OciDigest, size: u64, signature: &str) -> serde_json::Value {
    json!({
        "mediaType": SIMPLE_SIGNING,
        "digest": digest.to_string(),
        "size": size,
        "annotations": { SIGNATURE_ANNOTATION: signature },
    })
}

// --- Registries -------------------------------------------------------------------------------

#[test]
fn a_24_mb_bundle_referrer_is_not_fetched_and_could_not_be_checked() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    // A bundle whose unknown field is 24 MB of small objects: 3 GB as an untyped tree.
    let bundle = format!(
        r#"{{"mediaType":"{BUNDLE_V03}","verificationMaterial":{{"publicKey":{{"hint":""}}}},"x":{}}}"#,
        small_objects(24_000_000)
    );
    let referrer = registry.bundle_referrer(REPO, &digest, bundle.as_bytes());
    registry.referrers(REPO, &digest, &[(referrer, BUNDLE_V03)]);
    let run = verify(&registry, &key.public);
    assert_unchecked(
        &run,
        "over the limit of 1048576 bytes for one signature; not fetched",
    );
    assert_bounded(run.peak_rss_kib, "a 24 MB bundle referrer");
    assert!(
        !registry
            .request_log()
            .iter()
            .any(|r| r.contains(&OciDigest::sha256_of(bundle.as_bytes()).to_string())),
        "the bundle was fetched: {:?}",
        registry.request_log()
    );
}

#[test]
fn sixteen_big_genuine_layers_are_not_fetched_and_could_not_be_checked() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    // A genuine payload padded to 16 MiB, served under its digest: each layer would hold its
    // own copy (256 MiB for sixteen).
    let mut payload = simple_signing_payload("registry.example/test/app", &digest);
    payload.resize(16 << 20, b' ');
    let payload_digest = registry.blob(REPO, &payload);
    let signature = b64(&key.sign(&payload));
    let layers: Vec<_> = (0..16)
        .map(|_| layer(&payload_digest, payload.len() as u64, &signature))
        .collect();
    legacy_manifest(&registry, &digest, &layers);
    let run = verify(&registry, &key.public);
    assert_unchecked(
        &run,
        "payload declared 16777216 bytes, over the limit of 1048576 bytes",
    );
    assert_eq!(
        run.image()["rejected"].as_array().unwrap().len(),
        16,
        "{}",
        run.show()
    );
    assert_bounded(run.peak_rss_kib, "sixteen 16 MiB layers");
}

#[test]
fn a_layer_over_the_size_limit_is_not_reported_unsigned() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    // Over the old limit too (128 MiB), which skipped it and called the image unsigned.
    let declared = 200 * 1000 * 1000;
    legacy_manifest(
        &registry,
        &digest,
        &[layer(
            &OciDigest::sha256_of(b"never served"),
            declared,
            "c2ln",
        )],
    );
    let run = verify(&registry, &key.public);
    assert_ne!(run.code, 10, "{}", run.show());
    assert_unchecked(&run, "payload declared 200000000 bytes, over the limit");
    assert_eq!(
        run.image()["sources"][2]["status"],
        "1 found",
        "{}",
        run.show()
    );
    assert!(
        run.stderr
            .contains("could not be checked (over vouch's limits)"),
        "{}",
        run.show()
    );
}

#[test]
fn a_thousand_layers_within_the_limit_stop_at_the_image_budget() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    // One payload of 1 MiB (the most one signature may take) in a thousand layers: 1 GB if
    // each layer kept its copy; the budget fetches what fits in 2 MiB.
    let mut payload = simple_signing_payload("registry.example/test/app", &digest);
    payload.resize(1 << 20, b' ');
    let payload_digest = registry.blob(REPO, &payload);
    let layers: Vec<_> = (0..1000)
        .map(|_| layer(&payload_digest, payload.len() as u64, "c2ln"))
        .collect();
    legacy_manifest(&registry, &digest, &layers);
    let run = verify(&registry, &key.public);
    assert_unchecked(&run, "would exceed 2097152 bytes");
    let categories = run.rejected_categories();
    assert_eq!(categories.len(), 1000, "{}", run.show());
    assert_eq!(categories.iter().filter(|c| *c == "unchecked").count(), 998);
    assert_bounded(run.peak_rss_kib, "a thousand 1 MiB layers");
}

#[test]
fn a_bundle_referrer_with_a_key_twice_is_malformed_not_verified() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 1);
    let registry = MockRegistry::start();
    let (_, digest) = registry.image_manifest(REPO, "v1", "app");
    let bundle = String::from_utf8(key.dsse_bundle(&statement(&digest, COSIGN_SIGN))).unwrap();
    // The same value twice: serde_json (last wins) and protojson (refused) disagree on what
    // such a document is; vouch refuses it as cosign does.
    let media_type = format!(r#""mediaType":"{BUNDLE_V03}""#);
    assert!(bundle.contains(&media_type), "{bundle}");
    let twice = bundle.replacen(&media_type, &format!("{media_type},{media_type}"), 1);
    let referrer = registry.bundle_referrer(REPO, &digest, twice.as_bytes());
    registry.referrers(REPO, &digest, &[(referrer, BUNDLE_V03)]);
    let run = verify(&registry, &key.public);
    assert_eq!(run.code, 12, "{}", run.show());
    assert_eq!(run.image()["verdict"], "invalid", "{}", run.show());
    assert_eq!(run.rejected_categories(), ["malformed"], "{}", run.show());
    let reason = run.image()["rejected"][0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("the key `mediaType` appears more than once in the top-level object"),
        "{}",
        run.show()
    );
}

// --- Bundle files -----------------------------------------------------------------------------

/// A v0.3 bundle of `data`, signed with `key`, with a public-key hint and no log entry, as
/// `cosign sign-blob --key --tlog-upload=false --new-bundle-format` writes it; `extra` is
/// inserted first in the top-level object.
fn key_bundle(key: &TestKey, data: &[u8], extra: &str) -> String {
    let digest = OciDigest::sha256_of(data);
    let digest_bytes: Vec<u8> = (0..64)
        .step_by(2)
        .map(|i| u8::from_str_radix(&digest.hex()[i..i + 2], 16).unwrap())
        .collect();
    format!(
        r#"{{{extra}"mediaType":"{BUNDLE_V03}","verificationMaterial":{{"publicKey":{{"hint":"{}"}},"tlogEntries":[]}},"messageSignature":{{"messageDigest":{{"algorithm":"SHA2_256","digest":"{}"}},"signature":"{}"}}}}"#,
        key.hint(),
        b64(&digest_bytes),
        b64(&key.sign(data))
    )
}

/// What a `vouch` run left, with its peak resident set (`VmHWM`, KiB), sampled every 2 ms.
struct Measured {
    code: i32,
    stdout: String,
    stderr: String,
    peak_rss_kib: u64,
}

fn run_measured(args: &[&str]) -> Measured {
    let home = TempDir::new().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .env("HOME", home.path())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let out = std::thread::spawn(move || {
        let mut text = String::new();
        stdout.read_to_string(&mut text).unwrap();
        text
    });
    let err = std::thread::spawn(move || {
        let mut text = String::new();
        stderr.read_to_string(&mut text).unwrap();
        text
    });
    let status_file = format!("/proc/{}/status", child.id());
    let start = Instant::now();
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
        std::thread::sleep(Duration::from_millis(2));
    };
    Measured {
        code: status.code().unwrap_or(-1),
        stdout: out.join().unwrap(),
        stderr: err.join().unwrap(),
        peak_rss_kib,
    }
}

/// `vouch verify-blob --key KEY --insecure-ignore-tlog --bundle BUNDLE DATA`.
fn verify_blob_bundle(dir: &Path, key: &TestKey, bundle: &str, data: &[u8]) -> Measured {
    let (bundle_path, data_path) = (dir.join("data.sigstore.json"), dir.join("data"));
    std::fs::write(&bundle_path, bundle).unwrap();
    std::fs::write(&data_path, data).unwrap();
    run_measured(&[
        "verify-blob",
        "--key",
        key.public.to_str().unwrap(),
        "--insecure-ignore-tlog",
        "--bundle",
        bundle_path.to_str().unwrap(),
        data_path.to_str().unwrap(),
    ])
}

#[test]
fn a_16_7_mb_bundle_file_verifies_in_bounded_memory() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 2);
    let data = b"release notes\n";
    let plain = key_bundle(&key, data, "");
    // Just under the 16 MiB limit, with an unknown field of small objects: 2.3 GB as an
    // untyped tree; typed parsing skips it.
    let padding = 16_700_000 - plain.len() - 8;
    let bundle = key_bundle(&key, data, &format!(r#""x":{},"#, small_objects(padding)));
    assert!(
        bundle.len() > 16_600_000 && bundle.len() <= 16 << 20,
        "{}",
        bundle.len()
    );
    let run = verify_blob_bundle(tmp.path(), &key, &bundle, data);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "Verified OK\n");
    assert_bounded(run.peak_rss_kib, "a 16.7 MB bundle file");
}

#[test]
fn a_bundle_file_with_a_key_twice_is_refused_naming_the_key() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 2);
    let data = b"release notes\n";
    assert_eq!(
        verify_blob_bundle(tmp.path(), &key, &key_bundle(&key, data, ""), data).code,
        0
    );
    // A second `signature` before the real one: the last wins in serde_json, so this verified.
    let bundle = key_bundle(&key, data, "").replacen(
        r#""signature":"#,
        r#""signature":"MEUCIQ==","signature":"#,
        1,
    );
    let run = verify_blob_bundle(tmp.path(), &key, &bundle, data);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("the key `signature` appears more than once in `messageSignature`"),
        "{}",
        run.stderr
    );
}

#[test]
fn an_in_toto_statement_too_costly_to_read_is_refused() {
    let tmp = TempDir::new().unwrap();
    let key = TestKey::new(tmp.path(), 2);
    let data = b"release notes\n";
    let digest = OciDigest::sha256_of(data);
    // 1.5 MB of small objects in the predicate: about 160 MB as the verifier's tree.
    let statement = format!(
        r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"{}"}}}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{}}}"#,
        digest.hex(),
        small_objects(1_500_000)
    );
    let bundle = String::from_utf8(key.dsse_bundle(statement.as_bytes())).unwrap();
    let run = verify_blob_bundle(tmp.path(), &key, &bundle, data);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("in-toto statement: it would take more than 16777216 bytes of memory"),
        "{}",
        run.stderr
    );
    assert_bounded(run.peak_rss_kib, "a costly in-toto statement");
}
