//! `vouch attest-blob` and `vouch verify-blob-attestation`, against attestations made by other
//! implementations in the same run and checked by them:
//!
//! - key-signed: `vouch attest-blob` with a key made by `openssl genpkey`; the bundle is checked by
//!   `@sigstore/verify` (the DSSE signature under the key's hint) and its statement against the
//!   in-toto Statement v1 shape;
//! - keyless: sigstore-js (`@sigstore/sign` against `@sigstore/mock`'s Fulcio, Rekor and TSA,
//!   `testdata/peers/sigstore-js/make-image-bundle.mjs`) signs SLSA provenance v1 and SPDX
//!   statements about a file; the mock Fulcio sets GitHub's certificate extensions from the
//!   token's claims, as Fulcio does for GitHub Actions;
//! - JSON Lines of bundles, as `gh attestation download` writes them;
//! - Rego policies: cosign's documented example (allow and deny), a policy with `deny` messages,
//!   one whose built-in fails, one that runs too long, one that asks for too much memory.
//!
//! Each way an attestation can be wrong (another type, another file, a tampered statement, an
//! unlogged bundle, another signer) is checked to fail with its own outcome.
//!
//! Needs `openssl`, and Node.js with the sigstore-js peer (`npm ci --prefix
//! testdata/peers/sigstore-js`); without them the tests fail and say what to install.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::Digest as _;

use crate::openssl_interop::openssl;
use crate::sign_blob::sigstore_js_verify;
use crate::verify_blob::vouch;

const INSTALL_NODE: &str = "apt-get install nodejs npm";
const INSTALL_PEER: &str = "npm ci --prefix testdata/peers/sigstore-js";

const SLSA_V1: &str = "https://slsa.dev/provenance/v1";
const SPDX: &str = "https://spdx.dev/Document";
const COSIGN_CUSTOM: &str = "https://cosign.sigstore.dev/attestation/v1";

/// cosign's documented example policy for `verify-attestation --policy` (docs.sigstore.dev,
/// "In-Toto Attestations", "Validate In-Toto Attestations"; the same in cosign's
/// `doc/cosign_verify-attestation.md` convention): a custom predicate whose `Data`, itself JSON,
/// has `foo` = `bar`. Kept as written there, `import data.signature.verified` included.
const COSIGN_EXAMPLE_POLICY: &str = r#"package signature

import data.signature.verified

default allow = false

allow {
    input.predicateType == "https://cosign.sigstore.dev/attestation/v1"

    predicates := json.unmarshal(input.predicate.Data)
    predicates.foo == "bar"
}
"#;

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap()
}

pub(crate) fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs `cmd` and checks its exit code, showing everything it printed otherwise.
pub(crate) fn expect(cmd: &mut Command, code: i32) -> Output {
    let output = run(cmd);
    assert_eq!(
        output.status.code(),
        Some(code),
        "{cmd:?}:\nstdout: {}\nstderr: {}",
        text(&output.stdout),
        text(&output.stderr)
    );
    output
}

/// What `--print-predicate` printed: one JSON document per line.
fn printed_predicates(output: &Output) -> Vec<Value> {
    text(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(sha2::Sha256::digest(bytes))
}

/// A P-256 key pair from `openssl genpkey`: (private PKCS#8 PEM, public SPKI PEM).
fn openssl_p256(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub"));
    expect(
        openssl()
            .args(["genpkey", "-algorithm", "EC", "-pkeyopt"])
            .arg("ec_paramgen_curve:P-256")
            .arg("-out")
            .arg(&private),
        0,
    );
    expect(
        openssl()
            .args(["pkey", "-pubout", "-in"])
            .arg(&private)
            .arg("-out")
            .arg(&public),
        0,
    );
    (private, public)
}

fn slsa_predicate(builder: &str) -> Value {
    json!({
        "buildDefinition": {
            "buildType": "https://vouch.invalid/test-build/v1",
            "externalParameters": {"ref": "refs/heads/main"},
        },
        "runDetails": {"builder": {"id": builder}},
    })
}

fn spdx_predicate() -> Value {
    json!({
        "spdxVersion": "SPDX-2.3",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "release.tar.zst",
        "dataLicense": "CC0-1.0",
        "packages": [{"SPDXID": "SPDXRef-zstd", "name": "zstd", "versionInfo": "1.5.5"}],
    })
}

/// The statement inside a bundle's DSSE envelope.
fn statement_of(bundle: &Path) -> Value {
    let bundle: Value = serde_json::from_slice(&fs::read(bundle).unwrap()).unwrap();
    let payload = bundle["dsseEnvelope"]["payload"].as_str().unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::STANDARD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}

/// Rewrites a bundle's statement, keeping its signature: what an attacker who edits a file can do.
fn tamper_statement(bundle: &Path, out: &Path, edit: impl FnOnce(&mut Value)) {
    let mut json: Value = serde_json::from_slice(&fs::read(bundle).unwrap()).unwrap();
    let mut statement = statement_of(bundle);
    edit(&mut statement);
    json["dsseEnvelope"]["payload"] =
        json!(base64::engine::general_purpose::STANDARD.encode(statement.to_string()));
    fs::write(out, json.to_string()).unwrap();
}

/// Every value of the in-toto Statement v1 shape (in-toto/attestation `spec/v1/statement.md`)
/// that vouch writes, checked against the file it is about.
fn check_statement_v1(statement: &Value, file: &Path, predicate_type: &str, predicate: &Value) {
    let keys: Vec<&String> = statement.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["_type", "predicate", "predicateType", "subject"],
        "{statement}"
    );
    assert_eq!(statement["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(statement["predicateType"], predicate_type);
    assert_eq!(&statement["predicate"], predicate);
    let subjects = statement["subject"].as_array().unwrap();
    assert_eq!(subjects.len(), 1, "{statement}");
    assert_eq!(
        subjects[0]["name"],
        file.file_name().unwrap().to_str().unwrap()
    );
    assert_eq!(
        subjects[0]["digest"],
        json!({"sha256": sha256_hex(&fs::read(file).unwrap())})
    );
}

/// `vouch attest-blob --type TYPE --key KEY --predicate PREDICATE --bundle BUNDLE FILE`, which
/// must succeed.
fn attest_blob(dir: &Path, key: &Path, kind: &str, predicate: &Path, bundle: &Path, file: &Path) {
    expect(
        vouch(dir)
            .args(["attest-blob", "--type", kind, "--key"])
            .arg(key)
            .arg("--predicate")
            .arg(predicate)
            .arg("--bundle")
            .arg(bundle)
            .arg(file),
        0,
    );
}

/// `vouch verify-blob-attestation` with a key, offline, no log.
fn verify_with_key(dir: &Path, bundle: &Path, public: &Path, file: &Path) -> Command {
    let mut cmd = vouch(dir);
    cmd.arg("verify-blob-attestation")
        .arg("--bundle")
        .arg(bundle)
        .arg("--key")
        .arg(public)
        .arg("--insecure-ignore-tlog")
        .arg(name(file));
    cmd
}

/// The file's name, as the commands are given it (they run in its folder): the output names it so.
fn name(file: &Path) -> &std::ffi::OsStr {
    file.file_name().unwrap()
}

#[test]
fn key_attestations_verify_with_sigstore_js_and_vouch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (private, public) = openssl_p256(dir, "vendor");
    let (_, other_public) = openssl_p256(dir, "other");
    let file = dir.join("release.tar.zst");
    fs::write(&file, b"release contents\n").unwrap();
    let other_file = dir.join("other.tar.zst");
    fs::write(&other_file, b"other contents\n").unwrap();
    let predicate = slsa_predicate("https://vouch.invalid/builder");
    let predicate_file = dir.join("provenance.json");
    fs::write(&predicate_file, predicate.to_string()).unwrap();
    let bundle = dir.join("release.intoto.sigstore.json");

    let wrote = expect(
        vouch(dir)
            .args(["attest-blob", "--type", "slsaprovenance1", "--key"])
            .arg(&private)
            .arg("--predicate")
            .arg(&predicate_file)
            .arg("--bundle")
            .arg(&bundle)
            .arg(&file),
        0,
    );
    assert!(text(&wrote.stdout).is_empty(), "{}", text(&wrote.stdout));
    check_statement_v1(&statement_of(&bundle), &file, SLSA_V1, &predicate);
    let json: Value = serde_json::from_slice(&fs::read(&bundle).unwrap()).unwrap();
    assert_eq!(
        json["mediaType"],
        "application/vnd.dev.sigstore.bundle.v0.3+json"
    );
    assert_eq!(
        json["dsseEnvelope"]["payloadType"],
        "application/vnd.in-toto+json"
    );
    // sigstore-js checks the DSSE signature over PAE with the key it finds under the bundle's
    // hint; another key has another hint.
    assert_eq!(sigstore_js_verify(&bundle, &file, &public), "OK");
    assert!(sigstore_js_verify(&bundle, &file, &other_public).starts_with("FAIL "));

    let ok = expect(
        verify_with_key(dir, &bundle, &public, &file).args(["--type", "slsaprovenance1"]),
        0,
    );
    let line = text(&ok.stdout);
    assert!(
        line.starts_with("OK release.tar.zst: attestation of type https://slsa.dev/provenance/v1 verified: key sha256:"),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1, "{line}");
    // The full URI, and no --type at all, are the same attestation.
    expect(
        verify_with_key(dir, &bundle, &public, &file).args(["--type", SLSA_V1]),
        0,
    );
    expect(&mut verify_with_key(dir, &bundle, &public, &file), 0);
    let printed = expect(
        verify_with_key(dir, &bundle, &public, &file).args([
            "--type",
            "slsaprovenance1",
            "--print-predicate",
        ]),
        0,
    );
    let printed: Value = serde_json::from_slice(&printed.stdout).unwrap();
    assert_eq!(printed, predicate);

    // CVE-2022-35929's class: the attestation verifies, but is of another type. Its own code, 15,
    // and --print-predicate prints nothing.
    let other_type = expect(
        verify_with_key(dir, &bundle, &public, &file).args(["--type", "spdx", "--print-predicate"]),
        15,
    );
    assert!(other_type.stdout.is_empty());
    assert!(
        text(&other_type.stderr).contains(SLSA_V1),
        "names the types found: {}",
        text(&other_type.stderr)
    );
    // About another file.
    let other = expect(&mut verify_with_key(dir, &bundle, &public, &other_file), 1);
    assert!(
        text(&other.stdout)
            .starts_with("FAILED other.tar.zst: attestation rejected [payload-mismatch]"),
        "{}",
        text(&other.stdout)
    );
    // Signed by someone else.
    let other_key = expect(&mut verify_with_key(dir, &bundle, &other_public, &file), 1);
    assert!(
        text(&other_key.stdout).starts_with("FAILED "),
        "{}",
        text(&other_key.stdout)
    );
    // Without --insecure-ignore-tlog, an unlogged bundle is refused as verify-blob refuses it.
    let unlogged = expect(
        vouch(dir)
            .arg("verify-blob-attestation")
            .arg("--bundle")
            .arg(&bundle)
            .arg("--key")
            .arg(&public)
            .arg(name(&file)),
        4,
    );
    assert!(unlogged.stdout.is_empty() || text(&unlogged.stdout).starts_with("FAILED "));

    // A statement edited after signing: now about the other file, or of another type. The
    // signature covers the payload, so neither verifies, whatever the edit says.
    let retargeted = dir.join("retargeted.sigstore.json");
    let other_digest = sha256_hex(&fs::read(&other_file).unwrap());
    tamper_statement(&bundle, &retargeted, |s| {
        s["subject"][0]["digest"]["sha256"] = json!(other_digest);
    });
    expect(
        &mut verify_with_key(dir, &retargeted, &public, &other_file),
        1,
    );
    let retyped = dir.join("retyped.sigstore.json");
    tamper_statement(&bundle, &retyped, |s| s["predicateType"] = json!(SPDX));
    let tampered = expect(
        verify_with_key(dir, &retyped, &public, &file).args([
            "--type",
            "spdx",
            "--print-predicate",
        ]),
        1,
    );
    assert!(tampered.stdout.is_empty());
}

#[test]
fn custom_predicates_wrap_text_and_cosigns_example_policy_decides() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (private, public) = openssl_p256(dir, "vendor");
    let file = dir.join("tool.iso");
    fs::write(&file, b"iso image\n").unwrap();
    let policy = dir.join("cosign-example.rego");
    fs::write(&policy, COSIGN_EXAMPLE_POLICY).unwrap();
    let attest = |data: &str, bundle: &Path| {
        let predicate = dir.join("predicate.txt");
        fs::write(&predicate, data).unwrap();
        expect(
            vouch(dir)
                .args(["attest-blob", "--key"])
                .arg(&private)
                .arg("--predicate")
                .arg(&predicate)
                .arg("--bundle")
                .arg(bundle)
                .arg(&file),
            0,
        );
    };
    let good = dir.join("good.sigstore.json");
    attest(r#"{"foo":"bar"}"#, &good);
    let statement = statement_of(&good);
    assert_eq!(statement["predicateType"], COSIGN_CUSTOM);
    assert_eq!(statement["predicate"]["Data"], r#"{"foo":"bar"}"#);
    let stamp = statement["predicate"]["Timestamp"].as_str().unwrap();
    assert!(
        stamp.len() == 20 && stamp.ends_with('Z') && stamp.as_bytes()[10] == b'T',
        "RFC 3339 in UTC, to the second, as cosign writes it: {stamp}"
    );
    expect(
        verify_with_key(dir, &good, &public, &file)
            .args(["--type", "custom", "--policy"])
            .arg(&policy),
        0,
    );

    let bad = dir.join("bad.sigstore.json");
    attest(r#"{"foo":"baz"}"#, &bad);
    let denied = expect(
        verify_with_key(dir, &bad, &public, &file)
            .args(["--type", "custom", "--print-predicate", "--policy"])
            .arg(&policy),
        16,
    );
    assert!(denied.stdout.is_empty(), "never prints a denied predicate");
    let denied = expect(
        verify_with_key(dir, &bad, &public, &file)
            .args(["--type", "custom", "--policy"])
            .arg(name(&policy)),
        16,
    );
    assert!(
        text(&denied.stdout).starts_with("FAILED tool.iso: attestation of type https://cosign.sigstore.dev/attestation/v1 [policy-denied]: policy cosign-example.rego denies"),
        "{}",
        text(&denied.stdout)
    );
}

#[test]
fn policies_are_bounded_and_say_why_they_deny() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (private, public) = openssl_p256(dir, "vendor");
    let file = dir.join("release.tar.zst");
    fs::write(&file, b"release\n").unwrap();
    let predicate = dir.join("provenance.json");
    fs::write(
        &predicate,
        slsa_predicate("https://ci.attacker.invalid/builder").to_string(),
    )
    .unwrap();
    let bundle = dir.join("release.sigstore.json");
    attest_blob(dir, &private, "slsaprovenance1", &predicate, &bundle, &file);
    let write_policy = |name: &str, body: &str| {
        let path = dir.join(name);
        fs::write(&path, body).unwrap();
        path
    };
    let verify = |policy: &Path, extra: &[&str]| {
        let mut cmd = verify_with_key(dir, &bundle, &public, &file);
        cmd.args(["--type", "slsaprovenance1"])
            .args(extra)
            .arg("--policy")
            .arg(policy);
        cmd
    };

    let trusted = write_policy(
        "trusted-builder.rego",
        r#"package signature

default allow = false

allow {
  startswith(input.predicate.runDetails.builder.id, "https://github.com/actions/")
}

deny[msg] {
  not startswith(input.predicate.runDetails.builder.id, "https://github.com/actions/")
  msg := sprintf("builder %v is not trusted", [input.predicate.runDetails.builder.id])
}
"#,
    );
    let denied = expect(&mut verify(&trusted, &[]), 16);
    let out = text(&denied.stdout);
    assert!(
        out.contains("builder https://ci.attacker.invalid/builder is not trusted"),
        "{out}"
    );
    assert_eq!(out.lines().count(), 1, "{out}");
    // Every policy must allow: one that allows does not outvote one that denies.
    let anything = write_policy("anything.rego", "package signature\n\nallow = true\n");
    expect(&mut verify(&anything, &[]), 0);
    let mut both = verify(&anything, &[]);
    both.arg("--policy").arg(&trusted);
    expect(&mut both, 16);

    // A built-in that fails fails the evaluation, which denies.
    let erroring = write_policy(
        "erroring.rego",
        "package signature\n\nallow { to_number(\"not a number\") > 0 }\n",
    );
    expect(&mut verify(&erroring, &[]), 16);
    // Bounded in time...
    let slow = write_policy(
        "slow.rego",
        "package signature\n\nallow { count([1 | a := numbers.range(1, 20000)[_]; b := numbers.range(1, 20000)[_]; a * b == -1]) == 0 }\n",
    );
    let started = std::time::Instant::now();
    expect(&mut verify(&slow, &["--policy-timeout", "2"]), 16);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(60),
        "took {:?}",
        started.elapsed()
    );
    // ...and in memory: the evaluation is ended before the memory is taken.
    let greedy = write_policy(
        "greedy.rego",
        "package signature\n\nallow { count(numbers.range(1, 1000000000)) > 0 }\n",
    );
    let stopped = expect(&mut verify(&greedy, &["--policy-memory", "64"]), 16);
    assert!(stopped.stdout.is_empty(), "{}", text(&stopped.stdout));
    assert!(
        text(&stopped.stderr).contains("memory"),
        "{}",
        text(&stopped.stderr)
    );

    // Refused before anything is verified (exit 2): another package, not Rego, CUE.
    let other_package = write_policy("other.rego", "package sigstore\n\nisCompliant = true\n");
    let refused = expect(&mut verify(&other_package, &[]), 2);
    assert!(
        text(&refused.stderr).contains("signature"),
        "{}",
        text(&refused.stderr)
    );
    let broken = write_policy("broken.rego", "package signature\n\nallow {\n");
    expect(&mut verify(&broken, &[]), 2);
    let cue = write_policy("policy.cue", "predicate: {}\n");
    let refused = expect(&mut verify(&cue, &[]), 2);
    assert!(
        text(&refused.stderr).contains("CUE"),
        "{}",
        text(&refused.stderr)
    );
}

fn peer_dir() -> PathBuf {
    vouch_testdata::root().join("peers/sigstore-js")
}

/// Panics, saying what to install, unless node and sigstore-js are there.
fn require_peer() {
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "`node` is not installed: run `{INSTALL_NODE}`, then `{INSTALL_PEER}` (from the \
             workspace root) to install sigstore-js, which makes the attestations this test \
             verifies"
        ),
    }
    for package in ["@sigstore/sign", "@sigstore/mock", "@sigstore/verify"] {
        assert!(
            peer_dir().join("node_modules").join(package).is_dir(),
            "{package} is not installed: run `{INSTALL_PEER}` from the workspace root"
        );
    }
}

/// What make-image-bundle.mjs wrote.
pub(crate) struct Keyless {
    pub(crate) dir: PathBuf,
    pub(crate) trusted_root: PathBuf,
    pub(crate) identity: String,
    pub(crate) issuer: String,
    pub(crate) wrong_identity: String,
}

impl Keyless {
    pub(crate) fn bundle(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.sigstore.json"))
    }

    /// `verify-blob-attestation` of `bundle` over `file`, as the mock identity.
    fn verify(&self, work: &Path, bundle: &Path, file: &Path) -> Command {
        let mut cmd = vouch(work);
        cmd.arg("verify-blob-attestation")
            .arg("--bundle")
            .arg(bundle)
            .arg("--trusted-root")
            .arg(&self.trusted_root)
            .args(["--certificate-oidc-issuer", &self.issuer])
            .arg(name(file));
        cmd
    }
}

/// Keyless attestations by sigstore-js about `file`, each `(name, predicateType, predicate)`,
/// with `claims` added to the OIDC token (GitHub Actions' become certificate extensions).
fn keyless_attestations(
    work: &Path,
    file: &Path,
    specs: &[(&str, &str, Value)],
    claims: &Value,
) -> Keyless {
    let name = file.file_name().unwrap().to_str().unwrap();
    let digest = format!("sha256:{}", sha256_hex(&fs::read(file).unwrap()));
    keyless_attestations_about(work, name, &digest, specs, claims)
}

/// Keyless attestations by sigstore-js about the subject `name` with `digest` (`sha256:<hex>`).
pub(crate) fn keyless_attestations_about(
    work: &Path,
    name: &str,
    digest: &str,
    specs: &[(&str, &str, Value)],
    claims: &Value,
) -> Keyless {
    require_peer();
    let bundles: Vec<Value> = specs
        .iter()
        .map(|(bundle, predicate_type, predicate)| {
            json!({
                "name": bundle,
                "subject": name,
                "digest": digest,
                "predicateType": predicate_type,
                "predicate": predicate,
            })
        })
        .collect();
    let spec = work.join("spec.json");
    fs::write(
        &spec,
        json!({ "bundles": bundles, "claims": claims }).to_string(),
    )
    .unwrap();
    let dir = work.join(format!("keyless-{}", specs[0].0));
    let made = run(Command::new("node")
        .current_dir(peer_dir())
        .arg(peer_dir().join("make-image-bundle.mjs"))
        .arg(&spec)
        .arg(&dir));
    assert!(
        made.status.success(),
        "make-image-bundle.mjs failed: {}{}",
        text(&made.stdout),
        text(&made.stderr)
    );
    let signer: Value =
        serde_json::from_slice(&fs::read(dir.join("signer.json")).unwrap()).unwrap();
    let field = |key: &str| signer[key].as_str().unwrap().to_owned();
    Keyless {
        trusted_root: dir.join("trusted_root.json"),
        identity: field("identity"),
        issuer: field("issuer"),
        wrong_identity: field("wrong_identity"),
        dir,
    }
}

#[test]
fn keyless_attestations_from_sigstore_js_and_json_lines() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    let file = work.join("release.tar.zst");
    fs::write(&file, b"keyless release\n").unwrap();
    let other_file = work.join("other.tar.zst");
    fs::write(&other_file, b"other\n").unwrap();
    let provenance = slsa_predicate("https://github.com/actions/runner");
    let signed = keyless_attestations(
        work,
        &file,
        &[
            ("provenance", SLSA_V1, provenance),
            ("sbom", SPDX, spdx_predicate()),
        ],
        &json!({}),
    );
    let identity = signed.identity.clone();

    let ok = expect(
        signed
            .verify(work, &signed.bundle("provenance"), &file)
            .args([
                "--certificate-identity",
                &identity,
                "--type",
                "slsaprovenance1",
            ]),
        0,
    );
    let line = text(&ok.stdout);
    assert!(line.contains(&identity), "names the signer: {line}");
    assert!(
        line.contains("transparency log entry") && line.ends_with("verified\n"),
        "names the log entry: {line}"
    );
    expect(
        signed.verify(work, &signed.bundle("sbom"), &file).args([
            "--certificate-identity",
            &identity,
            "--type",
            "spdxjson",
        ]),
        0,
    );
    // Another identity, and a regex that must match the whole identity: verify-blob's code for
    // an identity mismatch, 3, as the file holds one attestation.
    let wrong = expect(
        signed
            .verify(work, &signed.bundle("provenance"), &file)
            .args(["--certificate-identity", &signed.wrong_identity]),
        3,
    );
    assert!(
        text(&wrong.stdout).contains("[identity]"),
        "{}",
        text(&wrong.stdout)
    );
    expect(
        signed
            .verify(work, &signed.bundle("provenance"), &file)
            .args([
                "--certificate-identity-regexp",
                "https://github.com/vouch-peer/",
            ]),
        3,
    );
    expect(
        signed
            .verify(work, &signed.bundle("provenance"), &file)
            .args([
                "--certificate-identity-regexp",
                "https://github.com/vouch-peer/.*",
            ]),
        0,
    );
    expect(
        signed
            .verify(work, &signed.bundle("provenance"), &other_file)
            .args(["--certificate-identity", &identity]),
        1,
    );

    // JSON Lines, as `gh attestation download` writes: one bundle per line, several predicates.
    let jsonl = work.join(format!(
        "sha256:{}.jsonl",
        sha256_hex(&fs::read(&file).unwrap())
    ));
    let mut lines = String::new();
    for name in ["provenance", "sbom"] {
        let bundle: Value =
            serde_json::from_slice(&fs::read(signed.bundle(name)).unwrap()).unwrap();
        lines.push_str(&bundle.to_string());
        lines.push('\n');
    }
    fs::write(&jsonl, &lines).unwrap();
    let sbom = expect(
        signed.verify(work, &jsonl, &file).args([
            "--certificate-identity",
            &identity,
            "--type",
            "spdx",
        ]),
        0,
    );
    let out = text(&sbom.stdout);
    assert_eq!(out.lines().count(), 2, "one line per attestation: {out}");
    assert!(
        out.lines().any(|l| l.starts_with(
            "OK release.tar.zst: attestation (line 2) of type https://spdx.dev/Document"
        )),
        "{out}"
    );
    assert!(
        out.lines().any(
            |l| l.starts_with("FAILED release.tar.zst: attestation (line 1)")
                && l.contains("[other-type]")
        ),
        "{out}"
    );
    let printed = expect(
        signed.verify(work, &jsonl, &file).args([
            "--certificate-identity",
            &identity,
            "--type",
            "spdx",
            "--print-predicate",
        ]),
        0,
    );
    let printed = printed_predicates(&printed);
    assert_eq!(printed, [spdx_predicate()]);
    let report = expect(
        signed.verify(work, &jsonl, &file).args([
            "--certificate-identity",
            &identity,
            "-o",
            "json",
        ]),
        0,
    );
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    let attestations = report["attestations"].as_array().unwrap();
    assert_eq!(attestations.len(), 2, "{report}");
    for (entry, predicate_type) in attestations.iter().zip([SLSA_V1, SPDX]) {
        assert_eq!(entry["outcome"], "accepted", "{report}");
        assert_eq!(entry["predicate_type"], predicate_type, "{report}");
        assert_eq!(entry["identity"], identity.as_str(), "{report}");
        assert_eq!(entry["tlog_verified"], true, "{report}");
    }
    expect(
        signed.verify(work, &jsonl, &file).args([
            "--certificate-identity",
            &identity,
            "--type",
            "cyclonedx",
        ]),
        15,
    );

    // A line that is not a bundle, and a line whose statement was edited, are each one
    // rejected line; the other attestations still count.
    let tampered = work.join("tampered.sigstore.json");
    tamper_statement(&signed.bundle("sbom"), &tampered, |s| {
        s["predicate"]["name"] = json!("something else");
    });
    let mixed = work.join("mixed.jsonl");
    fs::write(
        &mixed,
        format!(
            "{{\"not\": \"a bundle\"}}\n{}\n{}",
            fs::read_to_string(&tampered).unwrap().trim(),
            lines
        ),
    )
    .unwrap();
    let out = expect(
        signed.verify(work, &mixed, &file).args([
            "--certificate-identity",
            &identity,
            "--type",
            "spdx",
            "--print-predicate",
        ]),
        0,
    );
    let printed = printed_predicates(&out);
    assert_eq!(printed, [spdx_predicate()], "only the verified SBOM");
    let out = expect(
        signed.verify(work, &mixed, &file).args([
            "--certificate-identity",
            &identity,
            "--type",
            "spdx",
        ]),
        0,
    );
    let out = text(&out.stdout);
    assert!(
        out.lines()
            .any(|l| l.contains("(line 1)") && l.contains("[malformed]")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains("(line 2)") && l.starts_with("FAILED ")),
        "{out}"
    );
    let only_bad = work.join("only-bad.jsonl");
    fs::write(
        &only_bad,
        format!(
            "{{\"not\": \"a bundle\"}}\n{}\n",
            fs::read_to_string(&tampered).unwrap().trim()
        ),
    )
    .unwrap();
    expect(
        signed.verify(work, &only_bad, &file).args([
            "--certificate-identity",
            &identity,
            "--type",
            "spdx",
        ]),
        1,
    );
}

/// GitHub Actions' OIDC claims for a push to main of `vouch-peer/sigstore-js` (the mock identity's
/// repository), which Fulcio turns into certificate extensions.
fn github_claims() -> Value {
    json!({
        "repository": "vouch-peer/sigstore-js",
        "repository_owner": "vouch-peer",
        "ref": "refs/heads/main",
        "sha": "0123456789abcdef0123456789abcdef01234567",
        "event_name": "push",
        "workflow": "sign",
        "job_workflow_ref": "vouch-peer/sigstore-js/.github/workflows/sign.yml@refs/heads/main",
        "runner_environment": "github-hosted",
    })
}

#[test]
fn github_certificate_extensions_match_as_cosign_and_gh_match_them() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path();
    let file = work.join("release.tar.zst");
    fs::write(&file, b"built by actions\n").unwrap();
    let provenance = slsa_predicate("https://github.com/actions/runner");
    let github = keyless_attestations(
        work,
        &file,
        &[("github", SLSA_V1, provenance.clone())],
        &github_claims(),
    );
    let plain = keyless_attestations(work, &file, &[("plain", SLSA_V1, provenance)], &json!({}));
    let bundle = github.bundle("github");
    let verify = |flags: &[&str]| {
        let mut cmd = github.verify(work, &bundle, &file);
        cmd.args(["--certificate-identity", &github.identity])
            .args(flags);
        cmd
    };

    // cosign's flags, each exact.
    expect(
        &mut verify(&[
            "--certificate-github-workflow-repository",
            "vouch-peer/sigstore-js",
            "--certificate-github-workflow-ref",
            "refs/heads/main",
            "--certificate-github-workflow-sha",
            "0123456789abcdef0123456789abcdef01234567",
            "--certificate-github-workflow-trigger",
            "push",
            "--certificate-github-workflow-name",
            "sign",
        ]),
        0,
    );
    for (flag, wrong) in [
        (
            "--certificate-github-workflow-repository",
            "someone-else/sigstore-js",
        ),
        ("--certificate-github-workflow-ref", "refs/heads/dev"),
        (
            "--certificate-github-workflow-sha",
            "0123456789abcdef0123456789abcdef01234568",
        ),
        (
            "--certificate-github-workflow-trigger",
            "pull_request_target",
        ),
        ("--certificate-github-workflow-name", "Sign"),
    ] {
        let out = expect(&mut verify(&[flag, wrong]), 3);
        let line = text(&out.stdout);
        assert!(
            line.contains("[identity]") && line.contains("certificate extension GitHub Workflow"),
            "{flag}: {line}"
        );
    }
    // A certificate without the extensions never matches them.
    let out = expect(
        plain
            .verify(work, &plain.bundle("plain"), &file)
            .args(["--certificate-identity", &plain.identity])
            .args([
                "--certificate-github-workflow-repository",
                "vouch-peer/sigstore-js",
            ]),
        3,
    );
    assert!(
        text(&out.stdout).contains("no such extension"),
        "{}",
        text(&out.stdout)
    );

    // gh's convention: no identity or issuer flags; GitHub Actions' issuer, the owner's or
    // repository's workflows, the source repository's extensions.
    let gh = |flags: &[&str]| {
        let mut cmd = vouch(work);
        cmd.arg("verify-blob-attestation")
            .arg("--bundle")
            .arg(&bundle)
            .arg("--trusted-root")
            .arg(&github.trusted_root)
            .args(flags)
            .arg(name(&file));
        cmd
    };
    expect(&mut gh(&["--owner", "vouch-peer"]), 0);
    expect(
        &mut gh(&["--owner", "Vouch-Peer", "--type", "slsaprovenance1"]),
        0,
    );
    expect(&mut gh(&["--repo", "vouch-peer/sigstore-js"]), 0);
    expect(
        &mut gh(&[
            "--owner",
            "vouch-peer",
            "--signer-workflow",
            "vouch-peer/sigstore-js/.github/workflows/sign.yml",
            "--source-ref",
            "refs/heads/main",
            "--source-digest",
            "0123456789abcdef0123456789abcdef01234567",
            "--deny-self-hosted-runners",
        ]),
        0,
    );
    for flags in [
        &["--owner", "vouch"][..],
        &["--owner", "someone-else"],
        &["--repo", "vouch-peer/sigstore"],
        &[
            "--repo",
            "vouch-peer/sigstore-js",
            "--source-ref",
            "refs/heads/dev",
        ],
        &[
            "--repo",
            "vouch-peer/sigstore-js",
            "--signer-workflow",
            "vouch-peer/sigstore-js/.github/workflows/release.yml",
        ],
        &[
            "--repo",
            "vouch-peer/sigstore-js",
            "--signer-repo",
            "vouch-peer/reusable-workflows",
        ],
        // The issuer is GitHub Actions' unless said otherwise.
        &[
            "--owner",
            "vouch-peer",
            "--certificate-oidc-issuer",
            "https://accounts.google.com",
        ],
    ] {
        expect(&mut gh(flags), 3);
    }
    // --deny-self-hosted-runners needs the runner extension to say github-hosted.
    let out = expect(
        plain.verify(work, &plain.bundle("plain"), &file).args([
            "--signer-repo",
            "vouch-peer/sigstore-js",
            "--deny-self-hosted-runners",
        ]),
        3,
    );
    assert!(
        text(&out.stdout).contains("Runner Environment"),
        "{}",
        text(&out.stdout)
    );

    // Usage errors: with a key, without saying whose, a malformed name.
    let (_, public) = openssl_p256(work, "key");
    let mut with_key = gh(&["--owner", "vouch-peer", "--key"]);
    with_key.arg(&public);
    expect(&mut with_key, 2);
    expect(&mut gh(&["--source-ref", "refs/heads/main"]), 2);
    expect(&mut gh(&["--repo", "no-slash"]), 2);
    expect(&mut gh(&["--owner", "a b"]), 2);
    let detached = expect(
        vouch(work)
            .args(["verify-blob", "--key"])
            .arg(&public)
            .args([
                "--signature",
                "x.sig",
                "--certificate-github-workflow-ref",
                "refs/heads/main",
            ])
            .arg(name(&file)),
        2,
    );
    assert!(
        text(&detached.stderr).contains("certificate"),
        "{}",
        text(&detached.stderr)
    );
}

/// A statement is read as text; the trees still built (the policies' input) are bounded by
/// `--statement-memory`, checked before anything is built.
#[test]
fn large_statements_are_bounded_by_statement_memory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (private, public) = openssl_p256(dir, "vendor");
    let file = dir.join("app.tar.zst");
    fs::write(&file, b"app\n").unwrap();
    // About 2 MB of small objects: a tree of them costs well over 2 MiB.
    let packages: Vec<Value> = (0..20_000)
        .map(|n| json!({"SPDXID": format!("SPDXRef-{n}"), "name": format!("p{n}"), "versionInfo": "1.0"}))
        .collect();
    let sbom = json!({"spdxVersion": "SPDX-2.3", "packages": packages});
    let predicate = dir.join("sbom.json");
    fs::write(&predicate, sbom.to_string()).unwrap();
    let bundle = dir.join("sbom.sigstore.json");
    attest_blob(dir, &private, "spdxjson", &predicate, &bundle, &file);
    let printed = expect(
        verify_with_key(dir, &bundle, &public, &file).args(["--type", "spdx", "--print-predicate"]),
        0,
    );
    assert_eq!(printed_predicates(&printed), [sbom]);
    let refused = expect(
        verify_with_key(dir, &bundle, &public, &file).args(["--statement-memory", "2"]),
        2,
    );
    assert!(
        text(&refused.stderr).contains("bytes of memory to read"),
        "{}",
        text(&refused.stderr)
    );
}

/// A real attestation from GitHub Actions (npm provenance of `@playwright/cli` 0.1.1, signed by
/// the public-good Sigstore; `testdata/interop/npm-playwright-cli/PROVENANCE.md`), verified
/// offline against the embedded production trust root: its subject is named by SHA-512 only, and
/// its Fulcio certificate carries GitHub's extensions.
#[test]
fn a_real_github_attestation_verifies_offline() {
    let data = vouch_testdata::root().join("interop/npm-playwright-cli");
    let tarball = data.join("playwright-cli-0.1.1.tgz");
    let provenance = data.join("playwright-cli-0.1.1-provenance.sigstore.json");
    let publish = data.join("playwright-cli-0.1.1-publish.sigstore.json");
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let verify = |bundle: &Path, file: &Path, flags: &[&str]| {
        let mut cmd = vouch(dir);
        cmd.arg("verify-blob-attestation")
            .arg("--bundle")
            .arg(bundle)
            .args(flags)
            .arg(file);
        cmd
    };
    let ok = expect(
        &mut verify(
            &provenance,
            &tarball,
            &[
                "--repo",
                "microsoft/playwright-cli",
                "--type",
                "slsaprovenance1",
            ],
        ),
        0,
    );
    assert!(
        text(&ok.stdout).contains(
            "identity https://github.com/microsoft/playwright-cli/.github/workflows/publish.yml@refs/tags/v0.1.1 \
             from issuer https://token.actions.githubusercontent.com; transparency log entry 953297574 verified"
        ),
        "{}",
        text(&ok.stdout)
    );
    // gh's flags and cosign's extension flags, against what Fulcio recorded.
    for flags in [
        &[
            "--owner",
            "Microsoft",
            "--source-ref",
            "refs/tags/v0.1.1",
            "--deny-self-hosted-runners",
        ][..],
        &[
            "--repo",
            "microsoft/playwright-cli",
            "--signer-workflow",
            "microsoft/playwright-cli/.github/workflows/publish.yml",
        ],
        &[
            "--certificate-identity-regexp",
            "https://github.com/microsoft/playwright-cli/.*",
            "--certificate-oidc-issuer",
            "https://token.actions.githubusercontent.com",
            "--certificate-github-workflow-repository",
            "microsoft/playwright-cli",
            "--certificate-github-workflow-ref",
            "refs/tags/v0.1.1",
            "--certificate-github-workflow-trigger",
            "release",
        ],
    ] {
        expect(&mut verify(&provenance, &tarball, flags), 0);
    }
    for (flags, code) in [
        (&["--owner", "google"][..], 3),
        (
            &[
                "--repo",
                "microsoft/playwright-cli",
                "--source-ref",
                "refs/heads/main",
            ],
            3,
        ),
        (
            &[
                "--repo",
                "microsoft/playwright-cli",
                "--certificate-github-workflow-trigger",
                "push",
            ],
            3,
        ),
        (
            &["--repo", "microsoft/playwright-cli", "--type", "spdx"],
            15,
        ),
    ] {
        expect(&mut verify(&provenance, &tarball, flags), code);
    }
    // Another file: the subject's SHA-512 is the tarball's.
    let other = dir.join("playwright-cli-0.1.1.tgz");
    let mut bytes = fs::read(&tarball).unwrap();
    bytes[100] ^= 1;
    fs::write(&other, bytes).unwrap();
    expect(
        &mut verify(&provenance, &other, &["--repo", "microsoft/playwright-cli"]),
        1,
    );
    // Both of npm's attestations as JSON Lines (what `gh attestation download` writes): the
    // publish attestation is signed by npm's key, not by the workflow, and does not count.
    let jsonl = dir.join("attestations.jsonl");
    let line = |path: &Path| {
        let value: Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
        value.to_string() + "\n"
    };
    fs::write(&jsonl, line(&publish) + &line(&provenance)).unwrap();
    let out = expect(
        &mut verify(
            &jsonl,
            &tarball,
            &["--owner", "microsoft", "--print-predicate"],
        ),
        0,
    );
    let printed = printed_predicates(&out);
    assert_eq!(printed.len(), 1, "{printed:?}");
    assert_eq!(
        printed[0]["buildDefinition"]["externalParameters"]["workflow"]["repository"],
        "https://github.com/microsoft/playwright-cli"
    );
    let report = expect(
        &mut verify(&jsonl, &tarball, &["--owner", "microsoft", "-o", "json"]),
        0,
    );
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    let outcomes: Vec<&Value> = report["attestations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| &a["outcome"])
        .collect();
    assert_eq!(outcomes, ["signer-mismatch", "accepted"], "{report:#}");
}
