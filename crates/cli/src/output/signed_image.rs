//! Output of `vouch sign`: one line (or JSON object) per image, saying where its signature
//! now is. A line starts with `✅` only for a signature the registry accepted.

use serde::Serialize;
use vouch_oci::{AttachOutcome, Attached, ImageRef, Repository};

use super::{Mark, json, line, stdout};
use crate::args::ImageSignatureFormat;
use crate::exit;

/// What signing one image did.
#[derive(Debug)]
pub(crate) struct SignedImage {
    /// The reference as given on the command line.
    pub(crate) given: String,
    /// The image, pinned to the digest signed (when it was resolved).
    pub(crate) image: ImageRef,
    /// The repository the signature went to.
    pub(crate) repository: Repository,
    pub(crate) format: ImageSignatureFormat,
    pub(crate) outcome: anyhow::Result<AttachOutcome>,
}

/// `✅ IMAGE@DIGEST: signed (where)` or `❌ IMAGE: not signed`, then a count line for
/// several images.
/// The report in `format`, then each failure on stderr; the exit code they add up to.
pub(crate) fn report(
    results: &[SignedImage],
    format: crate::args::OutputFormat,
) -> anyhow::Result<u8> {
    match format {
        crate::args::OutputFormat::Text => text(results)?,
        crate::args::OutputFormat::Json => json_report(results)?,
    }
    let mut code = exit::VERIFIED;
    for result in results {
        if let Err(err) = &result.outcome {
            let hints = crate::hints::hints(err);
            super::error(&anyhow::anyhow!("{}: {err:#}", result.given), &hints);
            code = exit::worst(code, exit::code(err));
        }
    }
    Ok(code)
}

pub(crate) fn text(results: &[SignedImage]) -> anyhow::Result<()> {
    let mut text = String::new();
    for result in results {
        match &result.outcome {
            Ok(outcome) => {
                let verb = if outcome.already_present {
                    "already signed with this signature"
                } else {
                    "signed"
                };
                line(
                    &mut text,
                    &format!(
                        "{} {}: {verb}, {}",
                        Mark::Ok,
                        result.image,
                        place(&result.repository.to_string(), &outcome.attached)
                    ),
                );
            }
            Err(_) => line(
                &mut text,
                &format!(
                    "{} {}: not signed (see the error below)",
                    Mark::Failed,
                    result.image
                ),
            ),
        }
    }
    if results.len() > 1 {
        let signed = results.iter().filter(|r| r.outcome.is_ok()).count();
        line(
            &mut text,
            &format!("{signed} of {} images signed", results.len()),
        );
    }
    stdout(&text)
}

fn place(repository: &str, attached: &Attached) -> String {
    match attached {
        Attached::LegacyTag { tag, manifest } => {
            format!("layer of {repository}:{tag} (now {manifest})")
        }
        Attached::Referrer { manifest } => {
            format!("bundle referrer {repository}@{manifest} (referrers API)")
        }
        Attached::ReferrerWithFallbackTag { manifest, tag } => format!(
            "bundle referrer {repository}@{manifest}, listed in the tag-schema index \
             {repository}:{tag} (no referrers API)"
        ),
        _ => format!("{attached:?}"),
    }
}

#[derive(Serialize)]
struct SignReport<'a> {
    /// The exit code, as in every report.
    exit_code: u8,
    signed: usize,
    total: usize,
    images: Vec<SignedJson<'a>>,
}

#[derive(Serialize)]
struct SignedJson<'a> {
    image: String,
    given: &'a str,
    signed: bool,
    format: &'static str,
    repository: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    location: Option<LocationJson>,
    #[serde(skip_serializing_if = "Option::is_none")]
    already_present: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Serialize)]
struct LocationJson {
    /// `legacy-tag`, `referrers-api` or `referrers-tag-schema`.
    kind: &'static str,
    manifest: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    tag: Option<String>,
}

/// `{"images": [...]}`, one object per image in the order given.
pub(crate) fn json_report(results: &[SignedImage]) -> anyhow::Result<()> {
    let images: Vec<SignedJson<'_>> = results
        .iter()
        .map(|result| {
            let (location, already_present, error) = match &result.outcome {
                Ok(outcome) => (
                    Some(location(&outcome.attached)),
                    Some(outcome.already_present),
                    None,
                ),
                Err(err) => (None, None, Some(format!("{err:#}"))),
            };
            SignedJson {
                image: result.image.to_string(),
                given: &result.given,
                signed: result.outcome.is_ok(),
                format: match result.format {
                    ImageSignatureFormat::Bundle => "bundle",
                    ImageSignatureFormat::Legacy => "legacy",
                },
                repository: result.repository.to_string(),
                location,
                already_present,
                error,
            }
        })
        .collect();
    json(&SignReport {
        exit_code: results
            .iter()
            .filter_map(|r| r.outcome.as_ref().err())
            .map(exit::code)
            .fold(exit::VERIFIED, exit::worst),
        signed: images.iter().filter(|i| i.signed).count(),
        total: images.len(),
        images,
    })
}

fn location(attached: &Attached) -> LocationJson {
    match attached {
        Attached::LegacyTag { tag, manifest } => LocationJson {
            kind: "legacy-tag",
            manifest: manifest.to_string(),
            tag: Some(tag.clone()),
        },
        Attached::Referrer { manifest } => LocationJson {
            kind: "referrers-api",
            manifest: manifest.to_string(),
            tag: None,
        },
        Attached::ReferrerWithFallbackTag { manifest, tag } => LocationJson {
            kind: "referrers-tag-schema",
            manifest: manifest.to_string(),
            tag: Some(tag.clone()),
        },
        _ => LocationJson {
            kind: "unknown",
            manifest: String::new(),
            tag: None,
        },
    }
}
