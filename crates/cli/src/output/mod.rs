//! Everything vouch writes to the terminal: verdict lines and JSON on stdout; errors, hints and
//! the progress bar on stderr. No other module writes to stdout or stderr.
//!
//! The JSON shapes are plain serde structs here, built from library types but separate from
//! them, so a library refactor cannot silently change what scripts parse.

use std::fs::File;
use std::io::{self, IsTerminal as _, Read, Write as _};
use std::path::Path;

use anyhow::Context as _;
use base64::Engine as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use serde::Serialize;
use vouch_blob::{Digest, SignatureEncoding, VerifiedBlob};
use vouch_keys::PublicKey;

use crate::cli::{VerifyBlobArgs, VerifyDirArgs};
use crate::error::Mismatch;
use crate::escape;
use crate::exit;
use crate::folder::MissingData;
use crate::input;
use crate::sign_dir::{SignEntry, SignStatus, SignTotals};
use crate::verify_dir::{Entry, Status, Totals};

pub(crate) mod image;
pub(crate) mod keys;
pub(crate) mod signed_image;

/// Files above this size get a progress bar, when stderr is a terminal.
const PROGRESS_MIN_LEN: u64 = 64 << 20;

/// openssl's success line.
pub(crate) fn verified_ok() -> anyhow::Result<()> {
    stdout("Verified OK\n")
}

/// openssl's failure line.
pub(crate) fn verification_failure() -> anyhow::Result<()> {
    stdout("Verification failure\n")
}

/// `error: …` and `hint: …` lines on stderr. Errors quote file names, registry answers and
/// certificate fields, so each line is escaped whole: one line each, whatever they hold.
pub(crate) fn error(err: &anyhow::Error, hints: &[String]) {
    let mut text = format!("error: {}\n", escape::text(&format!("{err:#}")));
    for hint in hints {
        text.push_str(&format!("hint: {}\n", escape::text(hint)));
    }
    // Nowhere left to report a failure to write to stderr.
    let _ignored = io::stderr().lock().write_all(text.as_bytes());
}

/// A `warning:` line on stderr, for something the user asked for that weakens a check.
pub(crate) fn warning(text: &str) {
    // Nowhere left to report a failure to write to stderr.
    let _ignored = io::stderr()
        .lock()
        .write_all(format!("warning: {}\n", escape::text(text)).as_bytes());
}

/// One JSON document on stdout.
pub(crate) fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    stdout(&text)
}

/// `verify-dir`'s lines and count line.
pub(crate) fn dir_text(
    entries: &[Entry],
    totals: Totals,
    require_signed: bool,
) -> anyhow::Result<()> {
    let mut text = String::new();
    for entry in entries {
        let name = escape::bytes(entry.name());
        let line = match &entry.status {
            Status::Valid(_) => format!("{name}: ✅ Signature valid"),
            Status::Invalid(err) => format!(
                "{name}: ❌ Signature invalid ({})",
                escape::text(&format!("{err:#}"))
            ),
            Status::MissingData(missing) => {
                format!("{name}: ❌ {}", missing_data_line(missing))
            }
            Status::Unsigned if require_signed => format!("{name}: ❌ Unsigned"),
            Status::Unsigned => format!("{name}: ⚠️  Unsigned"),
        };
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str(&format!(
        "{} valid, {} invalid, {} missing data, {} unsigned\n",
        totals.valid, totals.invalid, totals.missing_data, totals.unsigned
    ));
    stdout(&text)
}

/// `file`, wrapped in a progress bar on stderr if it is large and stderr is a terminal.
pub(crate) fn progress_reader(file: File, path: &Path) -> Box<dyn Read + Send> {
    let len = file.metadata().map_or(0, |m| m.len());
    if len <= PROGRESS_MIN_LEN || !io::stderr().is_terminal() {
        return Box::new(file);
    }
    let style = ProgressStyle::with_template(
        "{msg:.bold} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let name = path.file_name().unwrap_or(path.as_os_str());
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
        .with_style(style)
        .with_message(escape::os(name).into_owned())
        .with_finish(ProgressFinish::AndClear);
    Box::new(bar.wrap_read(file))
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

/// `sign-dir`'s lines and count line.
pub(crate) fn sign_dir_text(entries: &[SignEntry], totals: SignTotals) -> anyhow::Result<()> {
    let mut text = String::new();
    for entry in entries {
        let name = escape::bytes(&entry.name);
        let line = match &entry.status {
            SignStatus::Signed { signature } => {
                format!("{name}: ✅ Signed ({})", escape::bytes(signature))
            }
            SignStatus::AlreadySigned { signature } => format!(
                "{name}: ⏭️  Already signed ({}), skipped",
                escape::bytes(signature)
            ),
            SignStatus::Failed(err) => format!(
                "{name}: ❌ Not signed ({})",
                escape::text(&format!("{err:#}"))
            ),
            SignStatus::MissingData(missing) => {
                let [plain, zst] = &missing.looked_for;
                let found = missing
                    .not_regular
                    .as_ref()
                    .map_or_else(String::new, |(n, kind)| {
                        format!(", {} is {kind}", escape::bytes(n))
                    });
                format!(
                    "{name}: ⚠️  Signature without a data file (looked for {} and {}{found}); \
                     verify-dir will report it",
                    escape::bytes(plain),
                    escape::bytes(zst)
                )
            }
        };
        text.push_str(&line);
        text.push('\n');
    }
    text.push_str(&format!(
        "{} signed, {} already signed, {} failed\n",
        totals.signed, totals.skipped, totals.failed
    ));
    stdout(&text)
}

/// `data file not found (looked for X and X.zst)`, or what `X` is when it is not a regular
/// file (a FIFO, a directory, a device: never read, since it could block or never end). The
/// text lines start it with a capital.
fn missing_data(missing: &MissingData) -> String {
    let [plain, zst] = &missing.looked_for;
    let (plain, zst) = (escape::bytes(plain), escape::bytes(zst));
    match &missing.not_regular {
        Some((name, kind)) => format!(
            "data file not read: {} is {kind}, not a regular file (looked for {plain} and {zst})",
            escape::bytes(name)
        ),
        None => format!("data file not found (looked for {plain} and {zst})"),
    }
}

/// `missing_data` as a text line: `Data file …`.
fn missing_data_line(missing: &MissingData) -> String {
    let text = missing_data(missing);
    format!("D{}", text.strip_prefix('d').unwrap_or(&text))
}

/// Appends one line of text output that quotes untrusted strings (image references, registry
/// fields, identities, annotations): escaped whole, so that it stays one line whatever they hold.
fn line(text: &mut String, line: &str) {
    text.push_str(&escape::text(line));
    text.push('\n');
}

/// A line on stderr saying what was done.
fn status(text: &str) {
    // Nowhere left to report a failure to write to stderr.
    let _ignored = io::stderr()
        .lock()
        .write_all(format!("{text}\n").as_bytes());
}

fn stdout(text: &str) -> anyhow::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing to standard output")
}

/// `valid`, `invalid` (checked, not valid) or `error` (could not be checked).
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Verdict {
    Valid,
    Invalid,
    Error,
    /// `verify-dir` only: the signature's data file does not exist.
    MissingData,
    /// `verify-dir` only: a data file without a signature.
    Unsigned,
}

impl Verdict {
    fn of<T>(result: &anyhow::Result<T>) -> Self {
        match result {
            Ok(_) => Self::Valid,
            Err(err) if exit::is_not_verified(err) => Self::Invalid,
            Err(_) => Self::Error,
        }
    }
}

/// `{"algorithm": "sha256", "hex": "…"}`.
#[derive(Debug, Serialize)]
pub(crate) struct DigestJson {
    algorithm: &'static str,
    hex: String,
}

impl From<&Digest> for DigestJson {
    fn from(digest: &Digest) -> Self {
        Self {
            algorithm: digest.algorithm().id(),
            hex: digest.to_hex(),
        }
    }
}

/// `{"file": "…", "algorithm": "ecdsa-p256", "fingerprint": "sha256:…"}`.
#[derive(Debug, Serialize)]
pub(crate) struct KeyJson {
    file: String,
    algorithm: &'static str,
    fingerprint: String,
}

impl KeyJson {
    fn new(path: &Path, key: &PublicKey) -> Self {
        Self {
            file: input::exact(path),
            algorithm: key.algorithm().id(),
            fingerprint: key.fingerprint().to_string(),
        }
    }
}

/// `{"file": "…", "encoding": "der" | "base64" | "raw" | null}`; the encoding is known once a
/// signature decoded, whether or not it verified.
#[derive(Debug, Serialize)]
pub(crate) struct SignatureJson {
    file: String,
    /// `verify-dir` only, and only for a name that is not UTF-8: its exact bytes, in base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    file_base64: Option<String>,
    encoding: Option<&'static str>,
}

/// A folder entry's name for JSON: the name itself when it is UTF-8; otherwise the name with
/// its other bytes escaped as text output shows them, and its exact bytes in base64.
fn json_name(name: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(name) {
        Ok(name) => (name.to_owned(), None),
        Err(_) => (
            escape::bytes(name).into_owned(),
            Some(base64::engine::general_purpose::STANDARD.encode(name)),
        ),
    }
}

/// `verify-blob --output json`.
#[derive(Debug, Serialize)]
pub(crate) struct BlobReport {
    file: String,
    verdict: Verdict,
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
    key: Option<String>,
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
                .map(|f| f.to_string()),
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

/// `verify-dir --output json`.
#[derive(Debug, Serialize)]
pub(crate) struct DirReport {
    directory: String,
    key: KeyJson,
    require_signed: bool,
    verdict: Verdict,
    files: Vec<DirFileJson>,
    totals: TotalsJson,
}

/// One entry of `verify-dir --output json`; names are relative to the folder.
#[derive(Debug, Serialize)]
pub(crate) struct DirFileJson {
    file: Option<String>,
    /// Only for a name that is not UTF-8: its exact bytes, in base64.
    #[serde(skip_serializing_if = "Option::is_none")]
    file_base64: Option<String>,
    verdict: Verdict,
    digest: Option<DigestJson>,
    signature: Option<SignatureJson>,
    reason: Option<String>,
}

/// The count line, as JSON.
#[derive(Debug, Serialize)]
pub(crate) struct TotalsJson {
    valid: usize,
    invalid: usize,
    missing_data: usize,
    unsigned: usize,
}

impl DirReport {
    pub(crate) fn new(
        args: &VerifyDirArgs,
        key: &PublicKey,
        entries: &[Entry],
        totals: Totals,
        require_signed: bool,
    ) -> Self {
        Self {
            directory: input::exact(&args.dir),
            key: KeyJson::new(&args.key, key),
            require_signed,
            verdict: if totals.verified(require_signed) {
                Verdict::Valid
            } else {
                Verdict::Invalid
            },
            files: entries.iter().map(DirFileJson::new).collect(),
            totals: TotalsJson {
                valid: totals.valid,
                invalid: totals.invalid,
                missing_data: totals.missing_data,
                unsigned: totals.unsigned,
            },
        }
    }
}

impl DirFileJson {
    fn new(entry: &Entry) -> Self {
        let no_details = (None, None);
        let (verdict, (digest, encoding), reason) = match &entry.status {
            Status::Valid(verified) => (Verdict::Valid, details(verified), None),
            Status::Invalid(err) => {
                let verdict = if exit::is_not_verified(err) {
                    Verdict::Invalid
                } else {
                    Verdict::Error
                };
                let found = Mismatch::of(err).map_or(no_details, mismatch_details);
                (verdict, found, Some(format!("{err:#}")))
            }
            Status::MissingData(missing) => (
                Verdict::MissingData,
                no_details,
                Some(missing_data(missing)),
            ),
            Status::Unsigned => (Verdict::Unsigned, no_details, None),
        };
        let (file, file_base64) = entry.data.as_deref().map(json_name).unzip();
        Self {
            file,
            file_base64: file_base64.flatten(),
            verdict,
            // A digest only beside a valid verdict: a script must never find one next to a
            // failure.
            digest: if matches!(verdict, Verdict::Valid) {
                digest
            } else {
                None
            },
            signature: entry.signature.as_deref().map(|name| {
                let (file, file_base64) = json_name(name);
                SignatureJson {
                    file,
                    file_base64,
                    encoding,
                }
            }),
            reason,
        }
    }
}

/// The digest and signature encoding found, for a verified or a mismatching signature.
fn digest_and_encoding(
    result: &anyhow::Result<VerifiedBlob>,
) -> (Option<DigestJson>, Option<&'static str>) {
    match result {
        Ok(verified) => details(verified),
        Err(err) => Mismatch::of(err).map_or((None, None), mismatch_details),
    }
}

fn details(verified: &VerifiedBlob) -> (Option<DigestJson>, Option<&'static str>) {
    (
        verified.digest().map(DigestJson::from),
        Some(verified.encoding().id()),
    )
}

fn mismatch_details(mismatch: &Mismatch) -> (Option<DigestJson>, Option<&'static str>) {
    (
        mismatch.computed.as_ref().map(DigestJson::from),
        Some(mismatch.encoding.id()),
    )
}
