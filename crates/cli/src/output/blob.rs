//! `verify-blob` and `sign-blob` output: openssl's verdict lines, the signature, and the JSON
//! reports of a signature and of a Sigstore bundle.

use std::io::{self, Write as _};
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;
use vouch_blob::{SignatureEncoding, VerifiedBlob};
use vouch_keys::PublicKey;

use super::{DigestJson, KeyJson, SignatureJson, Verdict, digest_and_encoding, status, stdout};
use crate::args::VerifyBlobArgs;
use crate::exit;
use crate::input;

/// openssl's success line.
pub(crate) fn verified_ok() -> anyhow::Result<()> {
    stdout("Verified OK\n")
}

/// openssl's failure line.
pub(crate) fn verification_failure() -> anyhow::Result<()> {
    stdout("Verification failure\n")
}

/// `sign-blob`'s signature on stdout: base64 with a final newline (as cosign prints it), binary
/// encodings byte for byte.
pub(crate) fn signature(bytes: &[u8], encoding: SignatureEncoding) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(bytes)
        .and_then(|()| {
            if encoding == SignatureEncoding::Base64 {
                out.write_all(b"\n")
            } else {
                Ok(())
            }
        })
        .and_then(|()| out.flush())
        .context("writing to standard output")
}

/// `Signature written to OUT (DER, 71 bytes)` on stderr, as cosign reports its files there.
pub(crate) fn wrote_signature(path: &Path, encoding: SignatureEncoding, len: usize) {
    status(&format!(
        "Signature written to {} ({encoding}, {len} bytes)",
        input::display(path)
    ));
}

/// `Sigstore bundle written to OUT (…)` on stderr.
pub(crate) fn wrote_bundle(path: &Path) {
    status(&format!(
        "Sigstore bundle written to {} (v0.3, public-key hint, no transparency-log entry)",
        input::display(path)
    ));
}

/// `verify-blob --output json`.
#[derive(Debug, Serialize)]
pub(crate) struct BlobReport {
    file: String,
    verdict: Verdict,
    /// The exit code, as in every report.
    exit_code: u8,
    digest: Option<DigestJson>,
    key: Option<KeyJson>,
    signature: SignatureJson,
    reason: Option<String>,
}

impl BlobReport {
    pub(crate) fn new(
        args: &VerifyBlobArgs,
        key_path: &Path,
        signature_path: &Path,
        key: Option<&PublicKey>,
        result: &anyhow::Result<VerifiedBlob>,
    ) -> Self {
        let (digest, encoding) = digest_and_encoding(result);
        Self {
            file: input::exact(&args.file),
            verdict: Verdict::of(result),
            exit_code: result.as_ref().map_or_else(exit::code, |_| exit::VERIFIED),
            // `null` unless valid, as documented: never a digest beside a failed verdict.
            digest: digest.filter(|_| result.is_ok()),
            key: key.map(|key| KeyJson::new(key_path, key)),
            signature: SignatureJson {
                file: input::exact(signature_path),
                file_base64: None,
                encoding,
            },
            reason: result.as_ref().err().map(|err| format!("{err:#}")),
        }
    }
}

/// `verify-blob --bundle … --output json`.
#[derive(Debug, Serialize)]
pub(crate) struct BundleReport {
    file: String,
    verdict: Verdict,
    /// The exit code, so scripts reading JSON see the same reason.
    exit_code: u8,
    bundle: BundleJson,
    /// The key the bundle names (by its hint), as every report shows a key; `file` is null.
    key: Option<KeyJson>,
    identity: Option<String>,
    issuer: Option<String>,
    log_index: Option<u64>,
    integrated_time: Option<i64>,
    verified_timestamps: Vec<i64>,
    timestamp_sources: Vec<&'static str>,
    tlog_verified: bool,
    reason: Option<String>,
}

/// `{"file": "…", "format": "…"}`.
#[derive(Debug, Serialize)]
pub(crate) struct BundleJson {
    file: String,
    format: Option<String>,
}

impl BundleReport {
    pub(crate) fn new(
        args: &VerifyBlobArgs,
        bundle_path: &Path,
        result: &anyhow::Result<vouch_sigstore::VerifiedBundle>,
    ) -> Self {
        let verified = result.as_ref().ok();
        Self {
            file: input::exact(&args.file),
            verdict: Verdict::of(result),
            exit_code: result.as_ref().map_or_else(exit::code, |_| exit::VERIFIED),
            bundle: BundleJson {
                file: input::exact(bundle_path),
                format: verified.map(|v| v.format().to_string()),
            },
            key: verified
                .and_then(|v| v.key_fingerprint())
                .map(|f| KeyJson::fingerprint_only(f.to_string())),
            identity: verified.and_then(|v| v.identity().map(str::to_owned)),
            issuer: verified.and_then(|v| v.issuer().map(str::to_owned)),
            log_index: verified.and_then(vouch_sigstore::VerifiedBundle::log_index),
            integrated_time: verified.and_then(vouch_sigstore::VerifiedBundle::integrated_time),
            verified_timestamps: verified
                .map(|v| v.verified_timestamps().to_vec())
                .unwrap_or_default(),
            timestamp_sources: verified
                .map(|v| v.timestamp_sources().to_vec())
                .unwrap_or_default(),
            tlog_verified: verified.is_some_and(vouch_sigstore::VerifiedBundle::tlog_verified),
            reason: result.as_ref().err().map(|err| format!("{err:#}")),
        }
    }
}
