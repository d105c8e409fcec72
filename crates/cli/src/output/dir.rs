//! `verify-dir` output: the rows it reports, one line each, and its JSON report.

use serde::Serialize;
use vouch_blob::VerifiedBlob;
use vouch_keys::PublicKey;

use super::{
    DigestJson, KeyJson, Mark, SignatureJson, Verdict, details, json_name, mismatch_details, stdout,
};
use crate::args::VerifyDirArgs;
use crate::error::Mismatch;
use crate::escape;
use crate::exit;
use crate::folder::{MissingData, Name};
use crate::input;

/// One output line: a signature and its data file, or an unsigned data file.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The data file's name, if there is one.
    pub(crate) data: Option<Name>,
    /// The signature file's name, if there is one.
    pub(crate) signature: Option<Name>,
    pub(crate) status: Status,
}

impl Entry {
    /// The name the line starts with: the data file, else the signature.
    pub(crate) fn name(&self) -> &[u8] {
        self.data
            .as_deref()
            .or(self.signature.as_deref())
            .unwrap_or_default()
    }
}

/// What was found for one entry.
#[derive(Debug)]
pub(crate) enum Status {
    Valid(VerifiedBlob),
    /// Checked and not valid, or could not be checked (unreadable, malformed signature).
    Invalid(anyhow::Error),
    /// The signature's data file does not exist (or is not a regular file).
    MissingData(MissingData),
    Unsigned,
}

/// The count line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) valid: usize,
    pub(crate) invalid: usize,
    pub(crate) missing_data: usize,
    pub(crate) unsigned: usize,
}

impl Totals {
    pub(crate) fn of(entries: &[Entry]) -> Self {
        let mut totals = Self::default();
        for entry in entries {
            match entry.status {
                Status::Valid(_) => totals.valid += 1,
                Status::Invalid(_) => totals.invalid += 1,
                Status::MissingData(_) => totals.missing_data += 1,
                Status::Unsigned => totals.unsigned += 1,
            }
        }
        totals
    }

    /// Exit 0 only if every signature checked is valid, at least one was checked, and (with
    /// `--require-signed`) nothing is unsigned.
    pub(crate) fn verified(self, require_signed: bool) -> bool {
        self.valid > 0
            && self.invalid == 0
            && self.missing_data == 0
            && (!require_signed || self.unsigned == 0)
    }
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
            Status::Valid(_) => format!("{name}: {} Signature valid", Mark::Ok),
            Status::Invalid(err) => format!(
                "{name}: {} Signature invalid ({})",
                Mark::Failed,
                escape::text(&format!("{err:#}"))
            ),
            Status::MissingData(missing) => {
                format!("{name}: {} {}", Mark::Failed, missing_data_line(missing))
            }
            Status::Unsigned if require_signed => format!("{name}: {} Unsigned", Mark::Failed),
            Status::Unsigned => format!("{name}: {} Unsigned", Mark::Warning),
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

/// `verify-dir --output json`.
#[derive(Debug, Serialize)]
pub(crate) struct DirReport {
    directory: String,
    key: KeyJson,
    require_signed: bool,
    verdict: Verdict,
    /// The exit code, as in every report.
    exit_code: u8,
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
            exit_code: if totals.verified(require_signed) {
                exit::VERIFIED
            } else {
                exit::NOT_VERIFIED
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
