//! What `vouch save`, `load` and `copy` print: one line per image copied, and a progress bar
//! on a terminal.

use std::io::{self, IsTerminal as _};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressFinish, ProgressStyle};
use vouch_oci::copy::CopyReport;

use super::{line, settings, stdout};

/// `Copied SRC to DST: sha256:…; 1 signature manifest, 0 attestation manifests; 3 blobs
/// written (2.1 MiB), 0 already there`.
pub(crate) fn copied(source: &str, destination: &str, report: &CopyReport) -> anyhow::Result<()> {
    if settings().quiet {
        return Ok(());
    }
    let mut text = String::new();
    line(
        &mut text,
        &format!(
            "Copied {source} to {destination}: {}; {} signature manifest(s), {} attestation \
             manifest(s); {} blob(s) written ({}), {} already there",
            report.image,
            report.signature_manifests,
            report.attestation_manifests,
            report.blobs_copied,
            indicatif::BinaryBytes(report.bytes_copied),
            report.blobs_present,
        ),
    );
    stdout(&text)
}

/// A progress bar for `total` bytes on stderr, when it is a terminal (and not `-q`).
pub(crate) fn bar(total: u64, message: &str) -> Option<ProgressBar> {
    if settings().quiet || !io::stderr().is_terminal() {
        return None;
    }
    let style = ProgressStyle::with_template(
        "{msg:.bold} [{wide_bar}] {binary_bytes}/{binary_total_bytes} {binary_bytes_per_sec} eta {eta}",
    )
    .unwrap_or_else(|_| ProgressStyle::default_bar())
    .progress_chars("=> ");
    Some(
        ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(crate::escape::text(message).into_owned())
            .with_finish(ProgressFinish::AndClear),
    )
}
