//! Attestation output: one line per attestation, the JSON report, and `--print-predicate`.

use serde::Serialize;
use vouch_blob::Digest;

use super::{DigestJson, Mark, line, signer_and_log, stdout};
use crate::attestations::{Checked, Entry};

/// One line per attestation: `OK FILE: …` only for one that passed every check.
pub(crate) fn text(file: &str, entries: &[Entry]) -> anyhow::Result<()> {
    let mut text = String::new();
    for entry in entries {
        let at = entry
            .position
            .map(|n| format!(" (line {n})"))
            .unwrap_or_default();
        let written = match &entry.checked {
            Checked::Accepted(verified) => format!(
                "{} {file}: attestation{at} of type {} verified: {}",
                Mark::Ok,
                verified.statement().predicate_type(),
                signer_and_log(verified.bundle())
            ),
            Checked::Denied {
                attestation,
                reasons,
            } => format!(
                "{} {file}: attestation{at} of type {} [policy-denied]: {}",
                Mark::Failed,
                attestation.statement().predicate_type(),
                reasons.join("; ")
            ),
            other => format!(
                "{} {file}: attestation{at} rejected [{}]: {}",
                Mark::Failed,
                other.category(),
                other.reason().unwrap_or_default()
            ),
        };
        line(&mut text, &written);
    }
    stdout(&text)
}

/// `--print-predicate`: the predicate of each attestation that passed every check, one JSON
/// document per line. Nothing else is ever printed here.
pub(crate) fn predicates(entries: &[Entry]) -> anyhow::Result<()> {
    let mut text = String::new();
    for verified in entries.iter().filter_map(|e| e.checked.accepted()) {
        text.push_str(&serde_json::to_string(verified.statement().predicate())?);
        text.push('\n');
    }
    stdout(&text)
}

/// `verify-blob-attestation --output json`.
#[derive(Debug, Serialize)]
pub(crate) struct Report<'a> {
    file: &'a str,
    bundle_file: &'a str,
    digests: Vec<DigestJson>,
    verified: bool,
    exit_code: u8,
    attestations: Vec<AttestationJson<'a>>,
}

#[derive(Debug, Serialize)]
struct AttestationJson<'a> {
    /// Its line in a JSON Lines file.
    line: Option<usize>,
    /// `accepted`, `policy-denied`, or why it was rejected.
    outcome: &'static str,
    predicate_type: Option<&'a str>,
    /// `algorithm:hex` of each subject digest (verified statements only).
    subjects: Vec<String>,
    key: Option<String>,
    identity: Option<&'a str>,
    issuer: Option<&'a str>,
    tlog_verified: bool,
    log_index: Option<u64>,
    integrated_time: Option<i64>,
    reason: Option<String>,
}

impl<'a> Report<'a> {
    pub(crate) fn new(
        file: &'a str,
        bundle_file: &'a str,
        digests: &[Digest],
        entries: &'a [Entry],
        exit_code: u8,
    ) -> Self {
        Self {
            file,
            bundle_file,
            digests: digests.iter().map(DigestJson::from).collect(),
            verified: exit_code == crate::exit::VERIFIED,
            exit_code,
            attestations: entries.iter().map(AttestationJson::new).collect(),
        }
    }
}

impl<'a> AttestationJson<'a> {
    fn new(entry: &'a Entry) -> Self {
        let verified = match &entry.checked {
            Checked::Accepted(verified) => Some(verified.as_ref()),
            Checked::Denied { attestation, .. } => Some(attestation.as_ref()),
            Checked::Rejected(_) | Checked::Unreadable(_) => None,
        };
        let bundle = verified.map(vouch_attest::VerifiedAttestation::bundle);
        Self {
            line: entry.position,
            outcome: entry.checked.category(),
            predicate_type: verified.map(|v| v.statement().predicate_type()),
            subjects: verified
                .map(|v| v.statement().named_digests())
                .unwrap_or_default(),
            key: bundle
                .and_then(|b| b.key_fingerprint())
                .map(|k| k.to_string()),
            identity: bundle.and_then(vouch_sigstore::VerifiedBundle::identity),
            issuer: bundle.and_then(vouch_sigstore::VerifiedBundle::issuer),
            tlog_verified: bundle.is_some_and(vouch_sigstore::VerifiedBundle::tlog_verified),
            log_index: bundle.and_then(vouch_sigstore::VerifiedBundle::log_index),
            integrated_time: bundle.and_then(vouch_sigstore::VerifiedBundle::integrated_time),
            reason: entry.checked.reason(),
        }
    }
}

/// `Attestation written to OUT (…)` on stderr.
pub(crate) fn wrote(path: &std::path::Path, predicate_type: &vouch_attest::PredicateType) {
    super::status(&crate::escape::text(&format!(
        "Attestation of type {predicate_type} written to {} (Sigstore bundle v0.3, DSSE, \
         public-key hint, no transparency-log entry)",
        crate::input::display(path)
    )));
}
