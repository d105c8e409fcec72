//! What the key commands write to the terminal: status lines on stderr (as cosign reports the
//! files it writes), the public key or JSON on stdout, and the password prompt on the terminal.

use std::io::{self, Write as _};
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use vouch_keys::{PublicKey, Zeroizing};

use crate::args::OutputFormat;
use crate::escape;
use crate::input;

/// What `generate-key-pair` and `import-key-pair` wrote.
#[derive(Debug, Serialize)]
pub(crate) struct KeyPairReport {
    private_key: PrivateKeyJson,
    public_key: PublicKeyJson,
}

/// `{"file": "cosign.key", "format": "cosign" | "pkcs8"}`.
#[derive(Debug, Serialize)]
struct PrivateKeyJson {
    file: String,
    format: &'static str,
}

/// `{"file": "cosign.pub", "algorithm": "ecdsa-p256", "fingerprint": "sha256:…"}`.
#[derive(Debug, Serialize)]
struct PublicKeyJson {
    file: String,
    algorithm: &'static str,
    fingerprint: String,
}

impl KeyPairReport {
    /// `format` is `cosign` or `pkcs8`.
    pub(crate) fn new(
        private_path: &Path,
        format: &'static str,
        public_path: &Path,
        key: &PublicKey,
    ) -> Self {
        Self {
            private_key: PrivateKeyJson {
                file: input::exact(private_path),
                format,
            },
            public_key: PublicKeyJson {
                file: input::exact(public_path),
                algorithm: key.algorithm().id(),
                fingerprint: key.fingerprint().to_string(),
            },
        }
    }
}

/// `Private key written to …` / `Public key written to …` on stderr, or the JSON report on
/// stdout.
pub(crate) fn key_pair_written(report: &KeyPairReport, format: OutputFormat) -> anyhow::Result<()> {
    match format {
        OutputFormat::Json => super::json(report),
        OutputFormat::Text => {
            let encryption = match report.private_key.format {
                "cosign" => "encrypted, cosign format",
                _ => "unencrypted PKCS#8",
            };
            status(&format!(
                "Private key written to {} ({encryption})\nPublic key written to {} ({}, {})\n",
                escape::text(&report.private_key.file),
                escape::text(&report.public_key.file),
                report.public_key.algorithm,
                report.public_key.fingerprint
            ));
            Ok(())
        }
    }
}

/// `public-key`: the PEM on stdout.
pub(crate) fn public_key_pem(pem: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(pem.as_bytes())
        .and_then(|()| out.flush())
        .context("writing to standard output")
}

/// `public-key --output-file`: `Public key written to …` on stderr.
pub(crate) fn public_key_written(path: &Path, key: &PublicKey) {
    status(&format!(
        "Public key written to {} ({}, {})\n",
        input::display(path),
        key.algorithm().id(),
        key.fingerprint()
    ));
}

/// Asks for a password on the terminal without echoing it (rpassword: the prompt goes to and
/// the answer comes from the terminal itself, not stdout or stdin).
pub(crate) fn prompt_password(prompt: &str) -> io::Result<Zeroizing<String>> {
    rpassword::prompt_password(prompt).map(Zeroizing::new)
}

fn status(text: &str) {
    // Nowhere left to report a failure to write to stderr.
    let _ignored = io::stderr().lock().write_all(text.as_bytes());
}
