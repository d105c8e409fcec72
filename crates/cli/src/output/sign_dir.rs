//! `sign-dir` output: the rows it reports, one line each.

use super::{Mark, stdout};
use crate::escape;
use crate::folder::{MissingData, Name};

/// One output line.
#[derive(Debug)]
pub(crate) struct SignEntry {
    /// The data file, or for [`SignStatus::MissingData`] the signature file.
    pub(crate) name: Name,
    pub(crate) status: SignStatus,
}

/// What happened to one data file.
#[derive(Debug)]
pub(crate) enum SignStatus {
    /// Signed now, into this signature file.
    Signed { signature: Name },
    /// It has this signature file already (and `--force` was not given).
    AlreadySigned { signature: Name },
    /// Could not be signed (unreadable, or the signature could not be written).
    Failed(anyhow::Error),
    /// A signature file in the folder without a data file: `verify-dir` will report it.
    MissingData(MissingData),
}

/// The count line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SignTotals {
    pub(crate) signed: usize,
    pub(crate) skipped: usize,
    pub(crate) failed: usize,
}

/// `sign-dir`'s lines and count line.
pub(crate) fn sign_dir_text(entries: &[SignEntry], totals: SignTotals) -> anyhow::Result<()> {
    let mut text = String::new();
    for entry in entries {
        let name = escape::bytes(&entry.name);
        let line = match &entry.status {
            SignStatus::Signed { signature } => {
                format!("{name}: {} Signed ({})", Mark::Ok, escape::bytes(signature))
            }
            SignStatus::AlreadySigned { signature } => format!(
                "{name}: {} Already signed ({}), skipped",
                Mark::Skipped,
                escape::bytes(signature)
            ),
            SignStatus::Failed(err) => format!(
                "{name}: {} Not signed ({})",
                Mark::Failed,
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
                    "{name}: {} Signature without a data file (looked for {} and {}{found}); \
                     verify-dir will report it",
                    Mark::Warning,
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
