//! Attestation output: one line per attestation, the JSON report, and `--print-predicate`.

use serde::Serialize;
use vouch_blob::Digest;

use super::{DigestJson, Mark, line, signer_and_log, stdout};
use crate::attestations::{Checked, Entry, Position};

/// One line per attestation: `OK FILE: …` only for one that passed every check.
pub(crate) fn text(file: &str, entries: &[Entry]) -> anyhow::Result<()> {
    let mut text = String::new();
    lines(&mut text, file, entries);
    stdout(&text)
}

/// The lines of [`text`] about `subject` (a file or an image), appended to `text`.
pub(crate) fn lines(text: &mut String, subject: &str, entries: &[Entry]) {
    let file = subject;
    for entry in entries {
        let at = entry.position.suffix();
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
        line(text, &written);
    }
}

/// `--print-predicate`: the predicate of each attestation that passed every check, one JSON
/// document per line. Nothing else is ever printed here.
pub(crate) fn predicates<'a>(entries: impl IntoIterator<Item = &'a Entry>) -> anyhow::Result<()> {
    let mut text = String::new();
    for verified in entries.into_iter().filter_map(|e| e.checked.accepted()) {
        // Re-serialised: one document per line, whatever whitespace the statement had.
        text.push_str(&serde_json::to_string(&verified.statement().predicate())?);
        text.push('\n');
    }
    stdout(&text)
}

/// What `verify-blob-attestation` read its attestations from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum AttestationSource {
    /// `--bundle`: a bundle, or JSON Lines of bundles.
    Bundle,
    /// `--signature`: a DSSE envelope.
    Envelope,
}

/// `verify-blob-attestation --output json`.
#[derive(Debug, Serialize)]
pub(crate) struct Report<'a> {
    file: &'a str,
    /// `--bundle`, or `--signature` (a DSSE envelope).
    #[serde(skip_serializing_if = "Option::is_none")]
    bundle_file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature_file: Option<&'a str>,
    digests: Vec<DigestJson>,
    verified: bool,
    exit_code: u8,
    attestations: Vec<AttestationJson<'a>>,
}

#[derive(Debug, Serialize)]
struct AttestationJson<'a> {
    /// Its line in a JSON Lines file.
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<usize>,
    /// Where on an image it was found: `referrers`, `referrers-tag-schema`.
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<&'static str>,
    /// The manifest that carried it.
    #[serde(skip_serializing_if = "Option::is_none")]
    manifest_digest: Option<String>,
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
        (source, source_file): (AttestationSource, &'a str),
        digests: &[Digest],
        entries: &'a [Entry],
        exit_code: u8,
    ) -> Self {
        let (bundle_file, signature_file) = match source {
            AttestationSource::Bundle => (Some(source_file), None),
            AttestationSource::Envelope => (None, Some(source_file)),
        };
        Self {
            file,
            bundle_file,
            signature_file,
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
            Checked::Rejected(_) | Checked::Unreadable(_) | Checked::Unchecked(_) => None,
        };
        let bundle = verified.map(vouch_attest::VerifiedAttestation::bundle);
        Self {
            line: match entry.position {
                Position::Line(line) => Some(line),
                _ => None,
            },
            source: match &entry.position {
                Position::Attached { source, .. } => Some(source.as_str()),
                _ => None,
            },
            manifest_digest: match &entry.position {
                Position::Attached { manifest, .. } => Some(manifest.to_string()),
                _ => None,
            },
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

/// What `verify-attestation` found on one image.
pub(crate) struct ImageAttestations {
    /// The reference as given.
    pub(crate) given: String,
    /// The digest the attestations must name, once looked up.
    pub(crate) digest: Option<vouch_oci::OciDigest>,
    pub(crate) entries: Vec<Entry>,
    pub(crate) code: u8,
    /// Why the image could not be looked up.
    pub(crate) error: Option<anyhow::Error>,
}

/// `verify-attestation`: one line per attestation of every image; an image without any, or
/// whose lookup failed, gets one `FAILED` line.
pub(crate) fn image_text(images: &[ImageAttestations]) -> anyhow::Result<()> {
    let mut text = String::new();
    for image in images {
        if let Some(err) = &image.error {
            line(
                &mut text,
                &format!("{} {}: not checked: {err:#}", Mark::Failed, image.given),
            );
        } else if image.entries.is_empty() {
            line(
                &mut text,
                &format!("{} {}: no attestations found", Mark::Failed, image.given),
            );
        } else {
            lines(&mut text, &image.given, &image.entries);
        }
    }
    stdout(&text)
}

/// `verify-attestation --output json`.
pub(crate) fn image_json(images: &[ImageAttestations]) -> anyhow::Result<()> {
    #[derive(Serialize)]
    struct ImageJson<'a> {
        image: &'a str,
        digest: Option<String>,
        verified: bool,
        exit_code: u8,
        error: Option<String>,
        attestations: Vec<AttestationJson<'a>>,
    }
    #[derive(Serialize)]
    struct Report<'a> {
        verified: bool,
        exit_code: u8,
        images: Vec<ImageJson<'a>>,
    }
    let code = images
        .iter()
        .map(|i| i.code)
        .fold(crate::exit::VERIFIED, crate::exit::worst);
    super::json(&Report {
        verified: code == crate::exit::VERIFIED,
        exit_code: code,
        images: images
            .iter()
            .map(|image| ImageJson {
                image: &image.given,
                digest: image.digest.as_ref().map(ToString::to_string),
                verified: image.code == crate::exit::VERIFIED,
                exit_code: image.code,
                error: image.error.as_ref().map(|err| format!("{err:#}")),
                attestations: image.entries.iter().map(AttestationJson::new).collect(),
            })
            .collect(),
    })
}

/// `Attestation written to OUT (…)` on stderr.
pub(crate) fn wrote(path: &std::path::Path, predicate_type: &vouch_attest::PredicateType) {
    super::status(&crate::escape::text(&format!(
        "Attestation of type {predicate_type} written to {} (Sigstore bundle v0.3, DSSE, \
         public-key hint, no transparency-log entry)",
        crate::input::display(path)
    )));
}
