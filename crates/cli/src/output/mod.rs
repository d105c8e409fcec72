//! Everything vouch writes to the terminal: verdict lines and JSON on stdout; errors, hints and
//! the progress bar on stderr. No other module writes to stdout or stderr.
//!
//! The JSON shapes are plain serde structs here, built from library types but separate from
//! them, so a library refactor cannot silently change what scripts parse.

use std::fs::File;
use std::io::{self, IsTerminal as _, Read, Write as _};
use std::path::Path;
use std::sync::{Mutex, OnceLock};

use anyhow::Context as _;
use base64::Engine as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use serde::Serialize;
use vouch_blob::{Digest, VerifiedBlob};
use vouch_keys::PublicKey;

use crate::args::{ColorChoice, GlobalArgs};
use crate::error::Mismatch;
use crate::escape;
use crate::exit;
use crate::input;

pub(crate) mod attestation;
pub(crate) mod blob;
pub(crate) mod dir;
pub(crate) mod image;
pub(crate) mod keys;
pub(crate) mod policy;
pub(crate) mod serve;
pub(crate) mod sign_dir;
pub(crate) mod signed_image;
pub(crate) mod trace;
pub(crate) mod transfer;
pub(crate) mod version;

pub(crate) use blob::*;
pub(crate) use dir::*;
pub(crate) use sign_dir::*;

/// How text output looks, set once from the global flags before any command runs.
#[derive(Debug, Clone, Copy)]
struct Settings {
    /// ✅ ❌ ⚠️ ⏭️, or the words OK FAILED WARNING SKIPPED.
    symbols: bool,
    /// `-q`: nothing but errors (and what a command was asked to produce, such as a signature).
    quiet: bool,
}

static SETTINGS: OnceLock<Settings> = OnceLock::new();

/// With `--output-file`: stdout's report, held until the command ends (then written whole).
static REPORT: Mutex<Option<Vec<u8>>> = Mutex::new(None);

/// Reads `--color`, `NO_COLOR` and `-q` once. Symbols only when asked for, or on a terminal
/// without NO_COLOR (<https://no-color.org>): scripts and logs get plain words to match.
pub(crate) fn configure(global: &GlobalArgs) {
    #[expect(
        clippy::disallowed_methods,
        reason = "the CLI reads the environment: NO_COLOR, the convention of no-color.org"
    )]
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let symbols = match global.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => !no_color && io::stdout().is_terminal(),
    };
    let _already = SETTINGS.set(Settings {
        symbols,
        quiet: global.quiet,
    });
}

fn settings() -> Settings {
    *SETTINGS.get_or_init(|| Settings {
        symbols: false,
        quiet: false,
    })
}

/// A status mark in text output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Ok,
    Failed,
    Warning,
    Skipped,
    /// A signature that verified, under its image's line.
    Accepted,
    /// A signature that did not, under its image's line.
    Rejected,
    /// `tree`: the image.
    Image,
    /// `tree`: a signature found.
    Signature,
}

impl Mark {
    /// The symbol (with the spacing a terminal needs after it) or the word.
    pub(crate) fn text(self) -> &'static str {
        match (self, settings().symbols) {
            (Self::Ok, true) => "✅",
            (Self::Failed, true) => "❌",
            // These two are narrow in most terminals: a second space keeps columns aligned.
            (Self::Warning, true) => "⚠️ ",
            (Self::Skipped, true) => "⏭️ ",
            (Self::Ok, false) => "OK",
            (Self::Failed, false) => "FAILED",
            (Self::Warning, false) => "WARNING",
            (Self::Skipped, false) => "SKIPPED",
            (Self::Accepted, true) => "✓",
            (Self::Rejected, true) => "✗",
            (Self::Image, true) => "📦",
            (Self::Signature, true) => "🔐",
            (Self::Accepted, false) => "valid",
            (Self::Rejected, false) => "rejected",
            (Self::Image, false) => "IMAGE",
            (Self::Signature, false) => "SIGNATURE",
        }
    }
}

impl std::fmt::Display for Mark {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.text())
    }
}

/// From now on, stdout's report is held for [`take_report`] instead of printed.
pub(crate) fn capture_report() {
    *REPORT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Vec::new());
}

/// The report held since [`capture_report`], if anything was printed.
pub(crate) fn take_report() -> Option<Vec<u8>> {
    REPORT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .take()
        .filter(|report| !report.is_empty())
}

/// The version of every `--output json` shape, in its `"schema"` field: raised when a field
/// changes meaning or disappears (new fields may appear without it).
pub(crate) const SCHEMA: u32 = 1;

/// Files above this size get a progress bar, when stderr is a terminal.
const PROGRESS_MIN_LEN: u64 = 64 << 20;

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
    if settings().quiet {
        return;
    }
    // Nowhere left to report a failure to write to stderr.
    let _ignored = io::stderr()
        .lock()
        .write_all(format!("warning: {}\n", escape::text(text)).as_bytes());
}

/// One JSON document on stdout, its first field `"schema"`: the version of every report's
/// shape, so that scripts can tell a report they understand.
pub(crate) fn json<T: Serialize>(value: &T) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct Versioned<'a, T> {
        schema: u32,
        #[serde(flatten)]
        report: &'a T,
    }
    let mut text = serde_json::to_string_pretty(&Versioned {
        schema: SCHEMA,
        report: value,
    })?;
    text.push('\n');
    stdout(&text)
}

/// `file`, wrapped in a progress bar on stderr if it is large and stderr is a terminal.
pub(crate) fn progress_reader(file: File, path: &Path) -> Box<dyn Read + Send> {
    match progress_bar(&file, path) {
        Some(bar) => Box::new(bar.wrap_read(file)),
        None => Box::new(file),
    }
}

/// A progress bar on stderr for `file`, when it is large and stderr a terminal (and not `-q`);
/// it clears itself when dropped.
pub(crate) fn progress_bar(file: &File, path: &Path) -> Option<ProgressBar> {
    let len = file.metadata().map_or(0, |m| m.len());
    if len <= PROGRESS_MIN_LEN || settings().quiet || !io::stderr().is_terminal() {
        return None;
    }
    let style = ProgressStyle::with_template(
        "{msg:.bold} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    let name = path.file_name().unwrap_or(path.as_os_str());
    Some(
        ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(escape::os(name).into_owned())
            .with_finish(ProgressFinish::AndClear),
    )
}

/// Appends one line of text output that quotes untrusted strings (image references, registry
/// fields, identities, annotations): escaped whole, so that it stays one line whatever they hold.
fn line(text: &mut String, line: &str) {
    text.push_str(&escape::text(line));
    text.push('\n');
}

/// `key sha256:… ; transparency log entry 12 verified`, or `identity … from issuer …; …`: who
/// signed and what the log showed, as every verified signature's line says it.
fn signer_and_log(bundle: &vouch_sigstore::VerifiedBundle) -> String {
    let signer = match (bundle.key_fingerprint(), bundle.identity(), bundle.issuer()) {
        (Some(key), _, _) => format!("key {key}"),
        (None, identity, issuer) => format!(
            "identity {} from issuer {}",
            identity.unwrap_or("(none)"),
            issuer.unwrap_or("(none)")
        ),
    };
    let log = match (bundle.tlog_verified(), bundle.log_index()) {
        (true, Some(index)) => format!("transparency log entry {index} verified"),
        (true, None) => "transparency log entry verified".to_owned(),
        (false, _) => "no transparency log entry (--insecure-ignore-tlog)".to_owned(),
    };
    format!("{signer}; {log}")
}

/// A line on stderr saying what was done.
pub(super) fn status(text: &str) {
    if settings().quiet {
        return;
    }
    // Nowhere left to report a failure to write to stderr.
    let _ignored = io::stderr()
        .lock()
        .write_all(format!("{text}\n").as_bytes());
}

pub(super) fn stdout(text: &str) -> anyhow::Result<()> {
    if let Some(report) = REPORT
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .as_mut()
    {
        report.extend_from_slice(text.as_bytes());
        return Ok(());
    }
    if settings().quiet {
        return Ok(());
    }
    let mut out = io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("writing to standard output")
}

/// `vouch completion`'s script on stdout (even with `-q`: it is what was asked for).
pub(crate) fn completion(
    shell: clap_complete::Shell,
    command: &mut clap::Command,
) -> anyhow::Result<()> {
    let mut script = Vec::new();
    clap_complete::generate(shell, command, "vouch", &mut script);
    let mut out = io::stdout().lock();
    out.write_all(&script)
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

/// `{"file": "…", "algorithm": "ecdsa-p256", "fingerprint": "sha256:…"}`, the same in every
/// report that names a key; `file` and `algorithm` are null where they are not known (a key
/// named by a bundle's hint).
#[derive(Debug, Serialize)]
pub(crate) struct KeyJson {
    file: Option<String>,
    algorithm: Option<&'static str>,
    fingerprint: String,
}

impl KeyJson {
    fn new(path: &Path, key: &PublicKey) -> Self {
        Self {
            file: Some(input::exact(path)),
            algorithm: Some(key.algorithm().id()),
            fingerprint: key.fingerprint().to_string(),
        }
    }

    fn fingerprint_only(fingerprint: String) -> Self {
        Self {
            file: None,
            algorithm: None,
            fingerprint,
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
pub(super) fn json_name(name: &[u8]) -> (String, Option<String>) {
    match std::str::from_utf8(name) {
        Ok(name) => (name.to_owned(), None),
        Err(_) => (
            escape::bytes(name).into_owned(),
            Some(base64::engine::general_purpose::STANDARD.encode(name)),
        ),
    }
}

/// The digest and signature encoding found, for a verified or a mismatching signature.
pub(super) fn digest_and_encoding(
    result: &anyhow::Result<VerifiedBlob>,
) -> (Option<DigestJson>, Option<&'static str>) {
    match result {
        Ok(verified) => details(verified),
        Err(err) => Mismatch::of(err).map_or((None, None), mismatch_details),
    }
}

pub(super) fn details(verified: &VerifiedBlob) -> (Option<DigestJson>, Option<&'static str>) {
    (
        verified.digest().map(DigestJson::from),
        Some(verified.encoding().id()),
    )
}

pub(super) fn mismatch_details(mismatch: &Mismatch) -> (Option<DigestJson>, Option<&'static str>) {
    (
        mismatch.computed.as_ref().map(DigestJson::from),
        Some(mismatch.encoding.id()),
    )
}
