//! Interoperability with the real `openssl` binary, in the same run.
//!
//! Keys and signatures are made by openssl here (not by our fixtures generator), and every case
//! goes through both `openssl dgst -verify` and `vouch verify-blob`. On strict-DER signatures
//! vouch must reach openssl's verdict; on the encodings openssl refuses, vouch reaches the one
//! documented in docs/cli.md. The table is written straight to stderr (not through `print!`,
//! which the test harness captures), so it shows in every `cargo test` log, CI's included.

use std::fmt;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use base64::Engine as _;

/// What a verifier concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Verdict {
    /// `Verified OK`, exit 0.
    Verified,
    /// `Verification failure`, exit 1.
    Failure,
    /// Could not verify (bad input): openssl exit 1 with nothing on stdout; vouch exit 2.
    Error,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Verified => "Verified OK",
            Self::Failure => "Verification failure",
            Self::Error => "error",
        })
    }
}

/// The system's `openssl`; a test that needs it fails, saying how to install it, without it.
pub(crate) fn openssl() -> Command {
    let found = Command::new("openssl").arg("version").output();
    assert!(
        found.is_ok_and(|o| o.status.success()),
        "the openssl interop tests need the `openssl` binary: install it with `apt-get install openssl`"
    );
    Command::new("openssl")
}

fn run_ok(cmd: &mut Command) -> Output {
    let output = cmd.output().expect("spawning a command");
    assert!(
        output.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn openssl_verdict(output: &Output) -> Verdict {
    let stdout = String::from_utf8_lossy(&output.stdout);
    match (output.status.code(), stdout.trim()) {
        (Some(0), "Verified OK") => Verdict::Verified,
        (Some(1), "Verification failure" | "Verification Failure") => Verdict::Failure,
        (Some(1), "") => Verdict::Error,
        other => panic!("unexpected openssl result {other:?}"),
    }
}

fn vouch_verdict(output: &Output) -> Verdict {
    let stdout = String::from_utf8_lossy(&output.stdout);
    match (output.status.code(), stdout.as_ref()) {
        (Some(0), "Verified OK\n") => Verdict::Verified,
        (Some(1), "Verification failure\n") => Verdict::Failure,
        (Some(2), "") => Verdict::Error,
        other => panic!(
            "unexpected vouch result {other:?}, stderr: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

/// A key pair made by openssl, with its public key in PEM and DER.
struct KeyPair {
    private: PathBuf,
    public: PathBuf,
    public_der: PathBuf,
}

impl KeyPair {
    fn generate(dir: &Path, name: &str, genkey: &[&str]) -> Self {
        let private = dir.join(format!("{name}.key"));
        run_ok(openssl().args(genkey).arg("-out").arg(&private));
        let public = dir.join(format!("{name}.pub.pem"));
        let public_der = dir.join(format!("{name}.pub.der"));
        run_ok(
            openssl()
                .args(["pkey", "-pubout", "-in"])
                .arg(&private)
                .arg("-out")
                .arg(&public),
        );
        run_ok(
            openssl()
                .args(["pkey", "-pubout", "-outform", "DER", "-in"])
                .arg(&private)
                .arg("-out")
                .arg(&public_der),
        );
        Self {
            private,
            public,
            public_der,
        }
    }

    /// `openssl dgst -<digest> -sign` over `data`: DER for EC keys, PKCS#1 v1.5 for RSA.
    fn sign(&self, digest: &str, data: &Path, out: &Path) {
        run_ok(
            openssl()
                .args(["dgst", &format!("-{digest}"), "-sign"])
                .arg(&self.private)
                .arg("-out")
                .arg(out)
                .arg(data),
        );
    }
}

/// One row of the parity table.
struct Case {
    name: &'static str,
    key: PathBuf,
    signature: PathBuf,
    data: PathBuf,
    digest: &'static str,
    /// What vouch must conclude when openssl refuses the encoding; `None`: same as openssl.
    documented: Option<Verdict>,
}

impl Case {
    fn run(&self) -> (Verdict, Verdict) {
        let openssl_out = openssl()
            .args(["dgst", &format!("-{}", self.digest), "-verify"])
            .arg(&self.key)
            .arg("-signature")
            .arg(&self.signature)
            .arg(&self.data)
            .output()
            .unwrap();
        let vouch_out = Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args(["verify-blob", "--digest", self.digest, "--key"])
            .arg(&self.key)
            .arg("--signature")
            .arg(&self.signature)
            .arg(&self.data)
            .output()
            .unwrap();
        (openssl_verdict(&openssl_out), vouch_verdict(&vouch_out))
    }
}

/// Re-encodes a DER ECDSA signature with a superfluous leading zero in `r`.
fn non_minimal(der: &[u8]) -> Vec<u8> {
    assert_eq!(der[0], 0x30);
    assert_eq!(der[2], 0x02);
    let r_len = usize::from(der[3]);
    let mut out = vec![0x30, der[1] + 1, 0x02, der[3] + 1, 0x00];
    out.extend_from_slice(&der[4..4 + r_len]);
    out.extend_from_slice(&der[4 + r_len..]);
    out
}

#[test]
fn openssl_and_vouch_agree_on_every_strict_der_case() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let write = |name: &str, bytes: &[u8]| {
        let path = dir.join(name);
        fs::write(&path, bytes).unwrap();
        path
    };

    let pkcs8 = KeyPair::generate(
        dir,
        "p256-pkcs8",
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
        ],
    );
    let sec1 = KeyPair::generate(
        dir,
        "p256-sec1",
        &["ecparam", "-name", "prime256v1", "-genkey", "-noout"],
    );
    let p384 = KeyPair::generate(
        dir,
        "p384",
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-384",
        ],
    );
    let p384_sec1 = KeyPair::generate(
        dir,
        "p384-sec1",
        &["ecparam", "-name", "secp384r1", "-genkey", "-noout"],
    );
    let rsa = KeyPair::generate(
        dir,
        "rsa2048",
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
        ],
    );

    let data = dir.join("bundle.tar.zst");
    run_ok(openssl().args(["rand", "-out"]).arg(&data).arg("100000"));
    let tampered = write("tampered.tar.zst", &{
        let mut bytes = fs::read(&data).unwrap();
        bytes[5000] ^= 1;
        bytes
    });
    let empty_data = write("empty.bin", b"");

    let sig = |key: &KeyPair, digest: &str, over: &Path, name: &str| {
        let path = dir.join(name);
        key.sign(digest, over, &path);
        path
    };
    let good = sig(&pkcs8, "sha256", &data, "good.sig.bin");
    let der = fs::read(&good).unwrap();
    let parsed = p256::ecdsa::Signature::from_der(&der).unwrap();
    // openssl's s is high or low at random: negate a normalised (low) s to be sure it is high.
    let low = parsed.normalize_s();
    let (r, s) = low.split_scalars();
    let high_s = p256::ecdsa::Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
    assert_ne!(
        high_s.normalize_s(),
        high_s,
        "the high-S case must be high-S"
    );
    let high_s = write("high-s.sig.bin", high_s.to_der().as_bytes());
    let raw = write("raw.sig", &low.to_bytes());
    let b64 = base64::engine::general_purpose::STANDARD;
    let base64_sig = write("base64.sig", format!("{}\n", b64.encode(&der)).as_bytes());
    // openssl reads only the first 72 bytes of a P-256 signature file, so it would ignore a
    // byte appended to a 72-byte DER signature (vouch refuses it either way; docs/cli.md). A
    // low-S DER signature has at most 71 bytes, so openssl sees the appended byte too.
    let low_der = low.to_der().as_bytes().to_vec();
    assert!(low_der.len() <= 71);
    let trailing = write("trailing.sig.bin", &[low_der.as_slice(), b"\n"].concat());
    let truncated = write("truncated.sig.bin", &low_der[..low_der.len() - 1]);
    let empty_sig = write("empty.sig.bin", b"");
    let non_minimal_sig = write("non-minimal.sig.bin", &non_minimal(low.to_der().as_bytes()));

    let crlf_key = write(
        "crlf.pub.pem",
        format!(
            "Vendor signing key 2026\r\n{}",
            fs::read_to_string(&pkcs8.public)
                .unwrap()
                .replace('\n', "\r\n")
        )
        .as_bytes(),
    );
    let cert = dir.join("cert.pem");
    run_ok(
        openssl()
            .args([
                "req",
                "-new",
                "-x509",
                "-subj",
                "/CN=vouch test",
                "-days",
                "1",
                "-key",
            ])
            .arg(&pkcs8.private)
            .arg("-out")
            .arg(&cert),
    );

    let case = |name, key: &Path, signature: &Path, data: &Path, digest, documented| Case {
        name,
        key: key.to_path_buf(),
        signature: signature.to_path_buf(),
        data: data.to_path_buf(),
        digest,
        documented,
    };
    let cases = vec![
        case(
            "good (PKCS#8 key)",
            &pkcs8.public,
            &good,
            &data,
            "sha256",
            None,
        ),
        case(
            "good (SEC1 key)",
            &sec1.public,
            &sig(&sec1, "sha256", &data, "sec1.sig.bin"),
            &data,
            "sha256",
            None,
        ),
        case(
            "tampered data",
            &pkcs8.public,
            &good,
            &tampered,
            "sha256",
            None,
        ),
        case("wrong key", &sec1.public, &good, &data, "sha256", None),
        case("high-S", &pkcs8.public, &high_s, &data, "sha256", None),
        case(
            "signed -sha512, verified sha256",
            &pkcs8.public,
            &sig(&pkcs8, "sha512", &data, "s512.sig.bin"),
            &data,
            "sha256",
            None,
        ),
        case(
            "signed -sha384, verified sha384",
            &pkcs8.public,
            &sig(&pkcs8, "sha384", &data, "s384.sig.bin"),
            &data,
            "sha384",
            None,
        ),
        case(
            "empty file",
            &pkcs8.public,
            &sig(&pkcs8, "sha256", &empty_data, "empty-data.sig.bin"),
            &empty_data,
            "sha256",
            None,
        ),
        case(
            "DER public key",
            &pkcs8.public_der,
            &good,
            &data,
            "sha256",
            None,
        ),
        case(
            "CRLF key with preamble",
            &crlf_key,
            &good,
            &data,
            "sha256",
            None,
        ),
        case("certificate as key", &cert, &good, &data, "sha256", None),
        case(
            "P-384 (PKCS#8)",
            &p384.public,
            &sig(&p384, "sha384", &data, "p384.sig.bin"),
            &data,
            "sha384",
            None,
        ),
        case(
            "P-384 (SEC1), SHA-256",
            &p384_sec1.public,
            &sig(&p384_sec1, "sha256", &data, "p384s.sig.bin"),
            &data,
            "sha256",
            None,
        ),
        case(
            "RSA-2048 PKCS#1 v1.5",
            &rsa.public,
            &sig(&rsa, "sha256", &data, "rsa.sig.bin"),
            &data,
            "sha256",
            None,
        ),
        case(
            "RSA-2048 tampered",
            &rsa.public,
            &dir.join("rsa.sig.bin"),
            &tampered,
            "sha256",
            None,
        ),
        case(
            "base64 of DER (cosign)",
            &pkcs8.public,
            &base64_sig,
            &data,
            "sha256",
            Some(Verdict::Verified),
        ),
        case(
            "raw r‖s (P1363)",
            &pkcs8.public,
            &raw,
            &data,
            "sha256",
            Some(Verdict::Verified),
        ),
        case(
            "DER + trailing newline",
            &pkcs8.public,
            &trailing,
            &data,
            "sha256",
            Some(Verdict::Error),
        ),
        case(
            "non-minimal DER",
            &pkcs8.public,
            &non_minimal_sig,
            &data,
            "sha256",
            Some(Verdict::Error),
        ),
        case(
            "truncated signature",
            &pkcs8.public,
            &truncated,
            &data,
            "sha256",
            Some(Verdict::Error),
        ),
        case(
            "empty signature",
            &pkcs8.public,
            &empty_sig,
            &data,
            "sha256",
            Some(Verdict::Error),
        ),
    ];

    let mut table = vec![format!(
        "{:<34} | {:<22} | {:<22} | {}",
        "case", "openssl dgst", "vouch verify-blob", "rule"
    )];
    let mut disagreements = Vec::new();
    for case in &cases {
        let (openssl, vouch) = case.run();
        let (expected, rule) = match case.documented {
            None => (openssl, "same as openssl"),
            Some(documented) => {
                assert_eq!(
                    openssl,
                    Verdict::Error,
                    "{}: openssl was expected to refuse this encoding",
                    case.name
                );
                (documented, "documented")
            }
        };
        table.push(format!(
            "{:<34} | {:<22} | {:<22} | {rule}",
            case.name,
            openssl.to_string(),
            vouch.to_string()
        ));
        if vouch != expected {
            disagreements.push(format!(
                "{}: expected {expected}, vouch said {vouch}",
                case.name
            ));
        }
    }
    // Straight to the process's stderr: a reviewer sees the table even when the test passes.
    let _ = writeln!(
        std::io::stderr().lock(),
        "\nopenssl interop parity table ({}); \"error\": openssl exit 1 with nothing on \
         stdout, vouch exit 2\n{}\n",
        String::from_utf8_lossy(&run_ok(openssl().arg("version")).stdout).trim(),
        table.join("\n")
    );
    assert!(
        disagreements.is_empty(),
        "{}\n{}",
        table.join("\n"),
        disagreements.join("\n")
    );

    // The table covers both verdicts and the refusals, so a vouch that always said one thing fails.
    let openssl_verdicts: Vec<Verdict> = cases.iter().map(|c| c.run().0).collect();
    for verdict in [Verdict::Verified, Verdict::Failure, Verdict::Error] {
        assert!(
            openssl_verdicts.contains(&verdict),
            "no case where openssl says {verdict}"
        );
    }
}

#[test]
fn ed25519_signatures_from_openssl_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let key = KeyPair::generate(dir, "ed25519", &["genpkey", "-algorithm", "ed25519"]);
    let data = dir.join("disk.iso");
    run_ok(openssl().args(["rand", "-out"]).arg(&data).arg("3000000"));
    let signature = dir.join("disk.iso.sig.bin");
    run_ok(
        openssl()
            .args(["pkeyutl", "-sign", "-rawin", "-inkey"])
            .arg(&key.private)
            .arg("-in")
            .arg(&data)
            .arg("-out")
            .arg(&signature),
    );
    let verify = |data: &Path| {
        Command::new(env!("CARGO_BIN_EXE_vouch"))
            .args(["verify-blob", "--key"])
            .arg(&key.public)
            .arg("--signature")
            .arg(&signature)
            .arg(data)
            .output()
            .unwrap()
    };
    assert_eq!(vouch_verdict(&verify(&data)), Verdict::Verified);
    let mut bytes = fs::read(&data).unwrap();
    bytes[2_999_999] ^= 0x80;
    fs::write(&data, bytes).unwrap();
    assert_eq!(vouch_verdict(&verify(&data)), Verdict::Failure);
}
