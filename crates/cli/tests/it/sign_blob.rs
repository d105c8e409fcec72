//! `vouch sign-blob` and `vouch sign-dir`, checked by independent verifiers in the same run:
//! the real `openssl` binary (keys made by `openssl genpkey`, signatures checked by
//! `openssl dgst -verify` and `openssl pkeyutl -verify`), sigstore-js (`@sigstore/verify`,
//! looking the key up by the bundle's hint), and vouch's own `verify-blob` and `verify-dir`.
//!
//! Needs `openssl`, and Node.js with the sigstore-js peer (`npm ci --prefix
//! testdata/peers/sigstore-js`); without them the tests fail and say what to install.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use base64::Engine as _;

use crate::openssl_interop::openssl;
use crate::verify_blob::vouch;

const INSTALL_NODE: &str = "apt-get install nodejs npm";
const INSTALL_PEER: &str = "npm ci --prefix testdata/peers/sigstore-js";

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(Stdio::null()).output().unwrap()
}

fn run_ok(cmd: &mut Command) -> Output {
    let output = run(cmd);
    assert!(
        output.status.success(),
        "{cmd:?} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A key pair made by `openssl genpkey` in `dir`: `NAME.pem` (unencrypted PKCS#8) and
/// `NAME.pub` (SPKI PEM).
struct KeyPair {
    private: PathBuf,
    public: PathBuf,
}

fn openssl_key(dir: &Path, name: &str, genpkey_args: &[&str]) -> KeyPair {
    let private = dir.join(format!("{name}.pem"));
    let public = dir.join(format!("{name}.pub"));
    run_ok(
        openssl()
            .arg("genpkey")
            .args(genpkey_args)
            .arg("-out")
            .arg(&private),
    );
    run_ok(
        openssl()
            .args(["pkey", "-pubout", "-in"])
            .arg(&private)
            .arg("-out")
            .arg(&public),
    );
    KeyPair { private, public }
}

fn p256(dir: &Path) -> KeyPair {
    openssl_key(
        dir,
        "p256",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
    )
}

fn p384(dir: &Path) -> KeyPair {
    openssl_key(
        dir,
        "p384",
        &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
    )
}

fn rsa(dir: &Path) -> KeyPair {
    openssl_key(
        dir,
        "rsa",
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    )
}

fn ed25519(dir: &Path) -> KeyPair {
    openssl_key(dir, "ed25519", &["-algorithm", "ED25519"])
}

/// Bytes over several of vouch's 1 MiB read-ahead chunks, different at every offset.
fn artifact(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    let data: Vec<u8> = (0..(2 << 20) + 4097_u32)
        .map(|i| u8::try_from(i.wrapping_mul(2_654_435_761) >> 24).unwrap())
        .collect();
    fs::write(&path, data).unwrap();
    path
}

fn flip_byte(path: &Path, offset: usize) {
    let mut bytes = fs::read(path).unwrap();
    bytes[offset] ^= 0x01;
    fs::write(path, bytes).unwrap();
}

fn sign_blob(dir: &Path, key: &Path) -> Command {
    let mut cmd = vouch(dir);
    cmd.arg("sign-blob").arg("--key").arg(key);
    cmd
}

/// `openssl dgst -DIGEST -verify PUB -signature SIG FILE`: `Verified OK` (true), `Verification
/// failure` (false); anything else fails the test.
fn openssl_dgst_verifies(digest: &str, public: &Path, signature: &Path, file: &Path) -> bool {
    let output = run(openssl()
        .arg("dgst")
        .arg(format!("-{digest}"))
        .arg("-verify")
        .arg(public)
        .arg("-signature")
        .arg(signature)
        .arg(file));
    match (output.status.code(), stdout(&output).trim()) {
        (Some(0), "Verified OK") => true,
        (Some(1), "Verification failure" | "Verification Failure") => false,
        other => panic!("unexpected openssl result {other:?}: {}", stderr(&output)),
    }
}

#[test]
fn openssl_verifies_der_signatures_and_rejects_tampering() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    for (keys, digest) in [
        (p256(dir), "sha256"),
        (p384(dir), "sha384"),
        (rsa(dir), "sha256"),
    ] {
        let file = artifact(dir, "bundle.tar.zst");
        let signature = dir.join("bundle.tar.sig.bin");
        let output = run_ok(
            sign_blob(dir, &keys.private)
                .args(["--digest", digest, "--output-signature"])
                .arg(&signature)
                .arg(&file),
        );
        assert_eq!(stdout(&output), "", "the signature went to the file");
        assert!(
            stderr(&output).starts_with(&format!("Signature written to {}", signature.display())),
            "{}",
            stderr(&output)
        );
        let name = keys.private.display();
        assert!(
            openssl_dgst_verifies(digest, &keys.public, &signature, &file),
            "{name}"
        );
        // Another digest than the one signed over: rejected.
        assert!(!openssl_dgst_verifies(
            "sha512",
            &keys.public,
            &signature,
            &file
        ));

        // Any byte of the data changed: rejected (first, middle, last).
        let len = fs::read(&file).unwrap().len();
        for offset in [0, len / 2, len - 1] {
            flip_byte(&file, offset);
            assert!(
                !openssl_dgst_verifies(digest, &keys.public, &signature, &file),
                "{name}: data byte {offset} flipped"
            );
            flip_byte(&file, offset);
        }
        // Any byte of the signature changed: openssl rejects it (as a failure or as unreadable
        // DER, both exit 1), and so does vouch.
        let signature_len = fs::read(&signature).unwrap().len();
        // Every byte of an ECDSA signature; every 7th (and the last) of RSA's 256.
        let step = if signature_len > 128 { 7 } else { 1 };
        let offsets = (0..signature_len).step_by(step).chain([signature_len - 1]);
        for offset in offsets {
            flip_byte(&signature, offset);
            let output = run(openssl()
                .arg("dgst")
                .arg(format!("-{digest}"))
                .arg("-verify")
                .arg(&keys.public)
                .arg("-signature")
                .arg(&signature)
                .arg(&file));
            assert_eq!(
                output.status.code(),
                Some(1),
                "{name}: signature byte {offset} flipped: {}",
                stdout(&output)
            );
            let output = run(vouch(dir)
                .args(["verify-blob", "--digest", digest, "--key"])
                .arg(&keys.public)
                .arg("--signature")
                .arg(&signature)
                .arg(&file));
            assert_ne!(output.status.code(), Some(0), "{name}: byte {offset}");
            flip_byte(&signature, offset);
        }
        assert!(openssl_dgst_verifies(
            digest,
            &keys.public,
            &signature,
            &file
        ));
    }
}

#[test]
fn openssl_verifies_ed25519_signatures() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let keys = ed25519(dir);
    let file = artifact(dir, "disk.iso");
    let signature = dir.join("disk.iso.sig.bin");
    run_ok(
        sign_blob(dir, &keys.private)
            .arg("--output-signature")
            .arg(&signature)
            .arg(&file),
    );
    assert_eq!(fs::read(&signature).unwrap().len(), 64, "raw Ed25519");
    let pkeyutl = |file: &Path| {
        run(openssl()
            .args(["pkeyutl", "-verify", "-pubin", "-inkey"])
            .arg(&keys.public)
            .arg("-rawin")
            .arg("-in")
            .arg(file)
            .arg("-sigfile")
            .arg(&signature))
    };
    let output = pkeyutl(&file);
    assert_eq!(stdout(&output).trim(), "Signature Verified Successfully");
    flip_byte(&file, 1000);
    let output = pkeyutl(&file);
    assert_ne!(output.status.code(), Some(0), "{}", stdout(&output));
    // DER does not exist for Ed25519: refused before anything is read or written.
    let output = run(sign_blob(dir, &keys.private)
        .args(["--signature-format", "der", "--output-signature"])
        .arg(dir.join("x.sig"))
        .arg(&file));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("Ed25519 signatures have no DER encoding"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.join("x.sig").exists());
    // From standard input, Ed25519 input is held in memory, up to 64 MiB: refused beyond.
    let mut child = sign_blob(dir, &keys.private)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || {
        use std::io::Write as _;
        let chunk = vec![0_u8; 1 << 20];
        for _ in 0..65 {
            // vouch stops reading after the limit; a closed pipe is expected then.
            if stdin.write_all(&chunk).is_err() {
                break;
            }
        }
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert!(
        stderr(&output).contains("inputs over 67108864 bytes are refused")
            && stderr(&output).contains("hint: name the file instead of piping it"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn base64_on_stdout_and_in_files_verifies_with_vouch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let keys = p256(dir);
    let file = artifact(dir, "app.tar.gz");
    // Without --output-signature: base64 and a newline on stdout, as cosign prints it.
    let output = run_ok(sign_blob(dir, &keys.private).arg(&file));
    let printed = stdout(&output);
    assert!(printed.ends_with('\n') && !printed.trim_end().contains('\n'));
    let der = base64::engine::general_purpose::STANDARD
        .decode(printed.trim_end())
        .unwrap();
    assert_eq!(der.first(), Some(&0x30), "base64 of DER");
    fs::write(dir.join("stdout.sig"), &printed).unwrap();
    // An OUT not ending in .sig.bin: base64 (cosign's `.sig`), no newline.
    run_ok(
        sign_blob(dir, &keys.private)
            .arg("--output-signature")
            .arg(dir.join("app.tar.gz.sig"))
            .arg(&file),
    );
    let written = fs::read_to_string(dir.join("app.tar.gz.sig")).unwrap();
    assert!(!written.contains('\n'), "{written:?}");
    // Standard input, pinned to raw r‖s.
    let output = sign_blob(dir, &keys.private)
        .args(["--signature-format", "raw", "--output-signature"])
        .arg(dir.join("stdin.raw"))
        .arg("-")
        .stdin(fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(fs::read(dir.join("stdin.raw")).unwrap().len(), 64);
    for (signature, format) in [
        ("stdout.sig", "base64"),
        ("app.tar.gz.sig", "base64"),
        ("stdin.raw", "raw"),
    ] {
        let output = run(vouch(dir)
            .args(["verify-blob", "--signature-format", format, "--key"])
            .arg(&keys.public)
            .arg("--signature")
            .arg(dir.join(signature))
            .arg(&file));
        assert_eq!(
            (output.status.code(), stdout(&output).as_str()),
            (Some(0), "Verified OK\n"),
            "{signature}: {}",
            stderr(&output)
        );
    }
}

fn peer_dir() -> PathBuf {
    vouch_testdata::root().join("peers/sigstore-js")
}

/// Verifies a key-signed bundle offline with `@sigstore/verify`, as a verifier holding the key
/// does: the key is registered under the hint sigstore-js computes itself from the public key
/// (base64 of SHA-256 of the SPKI DER), so a bundle whose hint is anything else is "key not
/// found"; no log entry or timestamp is required (thresholds 0), as for `--insecure-ignore-tlog`.
const VERIFY_KEY_BUNDLE: &str = r"
import crypto from 'node:crypto';
import fs from 'node:fs';
import bundlePkg from '@sigstore/bundle';
import verifyPkg from '@sigstore/verify';
import specsPkg from '@sigstore/protobuf-specs';
const [bundlePath, artifactPath, keyPath] = process.argv.slice(1);
const { bundleFromJSON } = bundlePkg;
const { Verifier, toSignedEntity, toTrustMaterial } = verifyPkg;
const { TrustedRoot } = specsPkg;
const spki = crypto.createPublicKey(fs.readFileSync(keyPath)).export({ format: 'der', type: 'spki' });
const hint = crypto.createHash('sha256').update(spki).digest('base64');
const root = TrustedRoot.fromJSON({
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [], certificateAuthorities: [], ctlogs: [], timestampAuthorities: [],
});
const keys = { [hint]: { rawBytes: spki, validFor: { start: new Date(0) } } };
try {
  const bundle = bundleFromJSON(JSON.parse(fs.readFileSync(bundlePath, 'utf8')));
  const verifier = new Verifier(toTrustMaterial(root, keys), { tlogThreshold: 0, timestampThreshold: 0, ctlogThreshold: 0 });
  verifier.verify(toSignedEntity(bundle, fs.readFileSync(artifactPath)));
  process.stdout.write('OK\n');
} catch (e) {
  process.stdout.write(`FAIL ${e.code || e.name}: ${e.message}\n`);
  process.exitCode = 1;
}
";

/// `OK`, or `FAIL <code>: <message>`.
pub(crate) fn sigstore_js_verify(bundle: &Path, artifact: &Path, public: &Path) -> String {
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "`node` is not installed: run `{INSTALL_NODE}`, then `{INSTALL_PEER}` (from the \
             workspace root) to install sigstore-js, which verifies the bundles vouch writes"
        ),
    }
    let dir = peer_dir();
    assert!(
        dir.join("node_modules/@sigstore/verify").is_dir(),
        "sigstore-js is not installed in {}: run `{INSTALL_PEER}` from the workspace root",
        dir.display()
    );
    // Run from the peer's folder, whose node_modules the script's imports resolve in.
    let output = Command::new("node")
        .current_dir(&dir)
        .args(["--input-type=module", "-e", VERIFY_KEY_BUNDLE])
        .arg(bundle)
        .arg(artifact)
        .arg(public)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let verdict = stdout(&output).trim().to_owned();
    assert!(
        verdict == "OK" || verdict.starts_with("FAIL "),
        "node failed: {verdict}{}",
        stderr(&output)
    );
    verdict
}

#[test]
fn bundles_verify_with_sigstore_js_and_vouch() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let other_dir = dir.join("other");
    fs::create_dir(&other_dir).unwrap();
    let other = p256(&other_dir);
    // Ed25519 is left out: sigstore-js verifies message signatures with the bundle's digest
    // algorithm, which Node.js refuses for Ed25519 ("invalid digest"), whoever signed.
    // P-384 signs over SHA-384, as cosign v3 does: the bundle declares it, and both verifiers
    // follow the declaration.
    for (keys, digest, declared) in [
        (p256(dir), "sha256", "SHA2_256"),
        (p384(dir), "sha384", "SHA2_384"),
        (rsa(dir), "sha256", "SHA2_256"),
    ] {
        let name = keys
            .private
            .file_name()
            .unwrap()
            .to_string_lossy()
            .into_owned();
        let file = artifact(dir, "app.tar.gz");
        let bundle = dir.join("app.tar.gz.sigstore.json");
        let output = run_ok(
            sign_blob(dir, &keys.private)
                .arg("--bundle")
                .arg(&bundle)
                .args(["--digest", digest])
                .arg(&file),
        );
        assert_eq!(stdout(&output), "", "{name}: only the bundle was asked for");

        let json: serde_json::Value = serde_json::from_slice(&fs::read(&bundle).unwrap()).unwrap();
        assert_eq!(
            json["mediaType"],
            "application/vnd.dev.sigstore.bundle.v0.3+json"
        );
        assert_eq!(
            json["verificationMaterial"]["tlogEntries"],
            serde_json::json!([])
        );
        assert_eq!(
            json["messageSignature"]["messageDigest"]["algorithm"],
            declared
        );

        assert_eq!(
            sigstore_js_verify(&bundle, &file, &keys.public),
            "OK",
            "{name}"
        );
        let vouch_verify = |key: &Path, insecure: bool| {
            let mut cmd = vouch(dir);
            cmd.arg("verify-blob")
                .arg("--bundle")
                .arg(&bundle)
                .arg("--key")
                .arg(key);
            if insecure {
                cmd.arg("--insecure-ignore-tlog");
            }
            run(cmd.arg(&file))
        };
        let output = vouch_verify(&keys.public, true);
        assert_eq!(
            (output.status.code(), stdout(&output).as_str()),
            (Some(0), "Verified OK\n"),
            "{name}: {}",
            stderr(&output)
        );
        // No log entry: refused without --insecure-ignore-tlog (exit 4).
        assert_eq!(vouch_verify(&keys.public, false).status.code(), Some(4));
        // Another key: sigstore-js does not find it by the hint; vouch says not verified.
        assert!(
            sigstore_js_verify(&bundle, &file, &other.public).starts_with("FAIL PUBLIC_KEY_ERROR"),
            "{name}"
        );
        assert_eq!(vouch_verify(&other.public, true).status.code(), Some(1));
        // Another artifact: both refuse.
        flip_byte(&file, 12345);
        assert!(
            sigstore_js_verify(&bundle, &file, &keys.public).starts_with("FAIL SIGNATURE_ERROR"),
            "{name}"
        );
        assert_eq!(vouch_verify(&keys.public, true).status.code(), Some(1));
    }
}

#[test]
fn signature_and_bundle_from_one_run_carry_the_same_signature() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let keys = p256(dir);
    let file = artifact(dir, "a.bin");
    let output = run_ok(
        sign_blob(dir, &keys.private)
            .arg("--output-signature")
            .arg(dir.join("a.bin.sig.bin"))
            .arg("--bundle")
            .arg(dir.join("a.bin.sigstore.json"))
            .arg(&file),
    );
    assert!(
        stderr(&output).contains("Sigstore bundle written to"),
        "{}",
        stderr(&output)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.join("a.bin.sigstore.json")).unwrap()).unwrap();
    let in_bundle = base64::engine::general_purpose::STANDARD
        .decode(json["messageSignature"]["signature"].as_str().unwrap())
        .unwrap();
    assert_eq!(in_bundle, fs::read(dir.join("a.bin.sig.bin")).unwrap());
}

#[test]
fn bad_input_exits_2_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let keys = p256(dir);
    let file = artifact(dir, "a.bin");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--key".into(), keys.public.display().to_string()],
            "expected a private key, found a public key",
        ),
        (
            vec![
                "--key".into(),
                keys.private.display().to_string(),
                "--output-signature".into(),
                "a.bin".into(),
            ],
            "is also an input",
        ),
        (
            vec![
                "--key".into(),
                keys.private.display().to_string(),
                "--output-signature".into(),
                "missing/a.bin.sig.bin".into(),
            ],
            "missing/a.bin.sig.bin: cannot write the signature file",
        ),
    ];
    let before = listing(dir);
    for (args, expected) in cases {
        let output = run(vouch(dir).arg("sign-blob").args(&args).arg(&file));
        assert_eq!(
            output.status.code(),
            Some(2),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(stdout(&output), "", "{args:?}");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
        assert_eq!(listing(dir), before, "{args:?} left files behind");
    }
    // An unreadable data file.
    let output = run(sign_blob(dir, &keys.private).arg("missing.bin"));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing.bin: cannot read the file to sign"),
        "{}",
        stderr(&output)
    );
}

fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn sign_dir_then_verify_dir_round_trip() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = p256(tmp.path());
    let dir = tmp.path().join("release");
    fs::create_dir(&dir).unwrap();
    for name in ["bundle.tar.zst", "disk.iso", "notes.txt"] {
        artifact(&dir, name);
    }
    fs::write(dir.join(".hidden"), "not signed").unwrap();
    fs::write(dir.join("vendor.pub"), fs::read(&keys.public).unwrap()).unwrap();
    // Signed already, by openssl, as `bundle.tar.sig.bin` (data file `bundle.tar.zst`).
    run_ok(
        openssl()
            .args(["dgst", "-sha256", "-sign"])
            .arg(&keys.private)
            .arg("-out")
            .arg(dir.join("bundle.tar.sig.bin"))
            .arg(dir.join("bundle.tar.zst")),
    );
    let sign_dir = || {
        let mut cmd = vouch(tmp.path());
        cmd.args(["sign-dir", "release", "--key"])
            .arg(&keys.private);
        cmd
    };
    let output = run_ok(&mut sign_dir());
    assert_eq!(
        stdout(&output),
        "bundle.tar.zst: SKIPPED Already signed (bundle.tar.sig.bin), skipped\n\
         disk.iso: OK Signed (disk.iso.sig.bin)\n\
         notes.txt: OK Signed (notes.txt.sig.bin)\n\
         2 signed, 1 already signed, 0 failed\n"
    );
    assert_eq!(
        listing(&dir),
        [
            ".hidden",
            "bundle.tar.sig.bin",
            "bundle.tar.zst",
            "disk.iso",
            "disk.iso.sig.bin",
            "notes.txt",
            "notes.txt.sig.bin",
            "vendor.pub"
        ]
    );
    for name in ["disk.iso", "notes.txt"] {
        let signature = dir.join(format!("{name}.sig.bin"));
        assert!(openssl_dgst_verifies(
            "sha256",
            &keys.public,
            &signature,
            &dir.join(name)
        ));
    }
    let verify_dir = || {
        let mut cmd = vouch(tmp.path());
        cmd.args(["verify-dir", "release", "--require-signed", "--key"])
            .arg(&keys.public);
        run(&mut cmd)
    };
    let output = verify_dir();
    assert_eq!(
        (output.status.code(), stdout(&output).as_str()),
        (
            Some(0),
            "bundle.tar.zst: OK Signature valid\n\
             disk.iso: OK Signature valid\n\
             notes.txt: OK Signature valid\n\
             3 valid, 0 invalid, 0 missing data, 0 unsigned\n"
        ),
        "{}",
        stderr(&output)
    );

    // One byte of one file changed: that file, and only it, fails.
    flip_byte(&dir.join("disk.iso"), 77);
    let output = verify_dir();
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.contains("disk.iso: FAILED Signature invalid"),
        "{text}"
    );
    assert!(text.contains("notes.txt: OK Signature valid"), "{text}");
    assert!(
        text.ends_with("2 valid, 1 invalid, 0 missing data, 0 unsigned\n"),
        "{text}"
    );

    // Signing again skips everything; --force re-signs everything, into the same files.
    let output = run_ok(&mut sign_dir());
    assert!(stdout(&output).ends_with("0 signed, 3 already signed, 0 failed\n"));
    let output = run_ok(sign_dir().arg("--force").args(["--jobs", "2"]));
    assert_eq!(
        stdout(&output),
        "bundle.tar.zst: OK Signed (bundle.tar.sig.bin)\n\
         disk.iso: OK Signed (disk.iso.sig.bin)\n\
         notes.txt: OK Signed (notes.txt.sig.bin)\n\
         3 signed, 0 already signed, 0 failed\n"
    );
    assert_eq!(verify_dir().status.code(), Some(0));
}

#[test]
fn sign_dir_signs_with_ed25519_and_warns_about_orphan_signatures() {
    let tmp = tempfile::tempdir().unwrap();
    let keys = ed25519(tmp.path());
    let dir = tmp.path().join("release");
    fs::create_dir(&dir).unwrap();
    artifact(&dir, "a.bin");
    // verify-dir will fail on this one; sign-dir cannot fix it, and says so.
    fs::write(dir.join("orphan.sig.bin"), b"x").unwrap();
    let mut cmd = vouch(tmp.path());
    cmd.args(["sign-dir", "release", "--key"])
        .arg(&keys.private);
    let output = run_ok(&mut cmd);
    assert_eq!(
        stdout(&output),
        "a.bin: OK Signed (a.bin.sig.bin)\n\
         orphan.sig.bin: WARNING Signature without a data file (looked for orphan and orphan.zst); \
         verify-dir will report it\n\
         1 signed, 0 already signed, 0 failed\n"
    );
    assert_eq!(fs::read(dir.join("a.bin.sig.bin")).unwrap().len(), 64);

    // A signature that cannot be put in place (a folder has its name): that file fails, exit 1,
    // the others are signed, no temporary file is left.
    artifact(&dir, "b.bin");
    artifact(&dir, "c.bin");
    fs::create_dir(dir.join("b.bin.sig.bin")).unwrap();
    let output = run(&mut cmd);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        text.contains("b.bin: FAILED Not signed (")
            && text.contains("b.bin.sig.bin: cannot write the signature file")
            && text.contains("c.bin: OK Signed (c.bin.sig.bin)")
            && text.ends_with("1 signed, 1 already signed, 1 failed\n"),
        "{text}"
    );
    assert!(
        listing(&dir).iter().all(|name| !name.ends_with(".tmp")),
        "{:?}",
        listing(&dir)
    );
}

/// `vouch` without the password variables of the environment the tests run in.
fn vouch_clean(dir: &Path) -> Command {
    let mut cmd = vouch(dir);
    cmd.env_remove("VOUCH_PASSWORD")
        .env_remove("COSIGN_PASSWORD");
    cmd
}

#[test]
fn encrypted_keys_sign_with_the_password_from_each_source() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let file = artifact(dir, "a.bin");
    // A cosign-format key (scrypt + secretbox) from vouch, and an encrypted PKCS#8 key
    // (PBES2, AES-256-CBC) from openssl.
    run_ok(
        vouch_clean(dir)
            .args(["generate-key-pair", "--output-key-prefix", "cosign"])
            .env("VOUCH_PASSWORD", "correct horse"),
    );
    run_ok(
        openssl()
            .args([
                "genpkey",
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-384",
                "-aes-256-cbc",
                "-pass",
                "pass:correct horse",
                "-out",
            ])
            .arg(dir.join("enc.pem")),
    );
    run_ok(
        openssl()
            .args(["pkey", "-passin", "pass:correct horse", "-pubout", "-in"])
            .arg(dir.join("enc.pem"))
            .arg("-out")
            .arg(dir.join("enc.pub")),
    );
    fs::write(dir.join("password.txt"), "correct horse\n").unwrap();

    let sign = |key: &str, signature: &str| {
        let mut cmd = vouch_clean(dir);
        cmd.args([
            "sign-blob",
            "--key",
            key,
            "--output-signature",
            signature,
            "a.bin",
        ]);
        cmd
    };
    // COSIGN_PASSWORD, as cosign scripts set it.
    run_ok(sign("cosign.key", "1.sig.bin").env("COSIGN_PASSWORD", "correct horse"));
    // --password-file (one trailing newline dropped).
    run_ok(sign("enc.pem", "2.sig.bin").args(["--password-file", "password.txt"]));
    // All of standard input, as cosign reads it.
    let mut child = sign("cosign.key", "3.sig.bin")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(b"correct horse")
            .unwrap();
    }
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    for (signature, public) in [
        ("1.sig.bin", "cosign.pub"),
        ("2.sig.bin", "enc.pub"),
        ("3.sig.bin", "cosign.pub"),
    ] {
        assert!(
            openssl_dgst_verifies("sha256", &dir.join(public), &dir.join(signature), &file),
            "{signature}"
        );
    }

    // A wrong password: exit 2, the source named, nothing written.
    let output = run(sign("cosign.key", "4.sig.bin").env("VOUCH_PASSWORD", "wrong"));
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("wrong password") && stderr(&output).contains("VOUCH_PASSWORD"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.join("4.sig.bin").exists());
    // The data on standard input and the password too: refused before anything is read.
    let output = vouch_clean(dir)
        .args(["sign-blob", "--key", "cosign.key", "-"])
        .stdin(fs::File::open(&file).unwrap())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("pass --password-file, or set VOUCH_PASSWORD"),
        "{}",
        stderr(&output)
    );
}
