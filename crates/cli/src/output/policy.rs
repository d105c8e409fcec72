//! Output of `vouch policy check`, `vouch policy explain` and `vouch verify --policy`.

use std::sync::Arc;

use serde::Serialize;
use vouch_policy::{Decision, Mode, Selection, TrustPolicy};

use super::{Mark, json, line, stdout};
use crate::exit;

/// One policy file checked.
#[derive(Debug)]
pub(crate) struct Checked {
    pub(crate) path: String,
    pub(crate) policy: anyhow::Result<TrustPolicy>,
}

/// `✅ FILE: valid (FORMAT, N rules, …)` or `❌ FILE: invalid`, one line per file (the
/// problem itself goes to stderr).
pub(crate) fn check_text(results: &[Checked]) -> anyhow::Result<()> {
    let mut text = String::new();
    for result in results {
        match &result.policy {
            Ok(policy) => line(
                &mut text,
                &format!("{} {}: valid ({})", Mark::Ok, result.path, summary(policy)),
            ),
            Err(_) => line(
                &mut text,
                &format!("{} {}: invalid", Mark::Failed, result.path),
            ),
        }
    }
    stdout(&text)
}

fn summary(policy: &TrustPolicy) -> String {
    format!(
        "{}, {} rule(s), {}, images no rule matches are {}",
        policy.format.as_str(),
        policy.rules.len(),
        match policy.matching {
            vouch_policy::Matching::First => "the first matching rule decides",
            _ => "every matching rule must pass",
        },
        match policy.no_match {
            vouch_policy::NoMatch::Allow => "allowed",
            vouch_policy::NoMatch::Warn => "allowed with a warning",
            _ => "refused",
        }
    )
}

#[derive(Serialize)]
struct CheckJson<'a> {
    exit_code: u8,
    files: Vec<FileJson<'a>>,
}

#[derive(Serialize)]
struct FileJson<'a> {
    path: &'a str,
    valid: bool,
    format: Option<&'static str>,
    rules: Option<Vec<&'a str>>,
    error: Option<String>,
}

pub(crate) fn check_json(results: &[Checked]) -> anyhow::Result<()> {
    let files: Vec<FileJson<'_>> = results
        .iter()
        .map(|result| match &result.policy {
            Ok(policy) => FileJson {
                path: &result.path,
                valid: true,
                format: Some(policy.format.as_str()),
                rules: Some(policy.rules.iter().map(|r| r.name.as_str()).collect()),
                error: None,
            },
            Err(err) => FileJson {
                path: &result.path,
                valid: false,
                format: None,
                rules: None,
                error: Some(format!("{err:#}")),
            },
        })
        .collect();
    let exit_code = if files.iter().all(|f| f.valid) {
        exit::VERIFIED
    } else {
        exit::BAD_INPUT
    };
    json(&CheckJson { exit_code, files })
}

/// One image explained.
#[derive(Debug)]
pub(crate) struct Explained<'p> {
    pub(crate) given: &'p str,
    pub(crate) image: String,
    pub(crate) selection: Selection<'p>,
}

/// Per image: a line naming it, then one line per rule that applies and one per requirement.
pub(crate) fn explain_text(
    policy: &TrustPolicy,
    explained: &[Explained<'_>],
) -> anyhow::Result<()> {
    let mut text = String::new();
    for entry in explained {
        line(&mut text, &format!("{} ({})", entry.given, entry.image));
        if entry.selection.matched.is_empty() {
            line(
                &mut text,
                &format!(
                    "   no rule applies: the image is {}",
                    match entry.selection.no_match {
                        vouch_policy::NoMatch::Allow => "allowed",
                        vouch_policy::NoMatch::Warn => "allowed with a warning",
                        _ => "refused",
                    }
                ),
            );
            continue;
        }
        for matched in &entry.selection.matched {
            let rule = matched.rule;
            line(
                &mut text,
                &format!(
                    "   rule {:?} applies ({} matches){}: {}",
                    rule.name,
                    matched.by,
                    if rule.mode == Mode::Warn {
                        " in warn mode"
                    } else {
                        ""
                    },
                    match (rule.combine, rule.requirements.len()) {
                        (_, 1) => "requires",
                        (vouch_policy::Combine::AllOf, _) => "requires all of",
                        _ => "requires one of",
                    }
                ),
            );
            for requirement in &rule.requirements {
                line(&mut text, &format!("      - {}", requirement.describe()));
            }
        }
        if policy.matching == vouch_policy::Matching::All && entry.selection.matched.len() > 1 {
            line(&mut text, "   every rule above must pass");
        }
    }
    stdout(&text)
}

#[derive(Serialize)]
struct ExplainJson<'a> {
    format: &'static str,
    images: Vec<ExplainedJson<'a>>,
}

#[derive(Serialize)]
struct ExplainedJson<'a> {
    image: &'a str,
    reference: &'a str,
    no_rule: Option<&'static str>,
    rules: Vec<ExplainedRuleJson>,
}

#[derive(Serialize)]
struct ExplainedRuleJson {
    rule: String,
    matched_by: String,
    mode: &'static str,
    combine: &'static str,
    requirements: Vec<String>,
}

pub(crate) fn explain_json(
    policy: &TrustPolicy,
    explained: &[Explained<'_>],
) -> anyhow::Result<()> {
    let images =
        explained
            .iter()
            .map(|entry| ExplainedJson {
                image: entry.given,
                reference: &entry.image,
                no_rule: entry.selection.matched.is_empty().then_some(
                    match entry.selection.no_match {
                        vouch_policy::NoMatch::Allow => "allow",
                        vouch_policy::NoMatch::Warn => "warn",
                        _ => "deny",
                    },
                ),
                rules: entry
                    .selection
                    .matched
                    .iter()
                    .map(|matched| ExplainedRuleJson {
                        rule: matched.rule.name.clone(),
                        matched_by: matched.by.clone(),
                        mode: mode_name(matched.rule.mode),
                        combine: match matched.rule.combine {
                            vouch_policy::Combine::AllOf => "all",
                            _ => "any",
                        },
                        requirements: matched
                            .rule
                            .requirements
                            .iter()
                            .map(vouch_policy::Requirement::describe)
                            .collect(),
                    })
                    .collect(),
            })
            .collect();
    json(&ExplainJson {
        format: policy.format.as_str(),
        images,
    })
}

fn mode_name(mode: Mode) -> &'static str {
    match mode {
        Mode::Warn => "warn",
        _ => "enforce",
    }
}

/// One image judged by `verify --policy`.
#[derive(Debug)]
pub(crate) struct Judged {
    pub(crate) given: String,
    pub(crate) image: String,
    pub(crate) digest: Option<String>,
    pub(crate) decision: Decision,
    /// The lookup's error, when the policy needed a lookup and it failed.
    pub(crate) lookup_error: Option<Arc<anyhow::Error>>,
}

impl Judged {
    /// A result for an image whose task failed.
    pub(crate) fn failed(given: String, image: &vouch_oci::ImageRef, why: &str) -> Self {
        Self {
            given,
            image: image.to_string(),
            digest: None,
            decision: Decision {
                allowed: false,
                rules: Vec::new(),
                warnings: Vec::new(),
                summary: why.to_owned(),
            },
            lookup_error: None,
        }
    }

    /// 0 allowed; refused: 11 or 13 when the lookup it needed failed so, else 12.
    pub(crate) fn exit_code(&self) -> u8 {
        if self.decision.allowed {
            return exit::VERIFIED;
        }
        match self.lookup_error.as_deref().map(exit::code) {
            Some(code @ (exit::IMAGE_NOT_FOUND | exit::LOOKUP_FAILED)) => code,
            _ => exit::NONE_VALID,
        }
    }
}

/// One line per image: `✅ IMAGE (DIGEST): allowed by rule …` or `❌ IMAGE (DIGEST): rule …
/// refuses the image: …`.
pub(crate) fn verify_text(judged: &[Judged]) -> anyhow::Result<()> {
    let mut text = String::new();
    for result in judged {
        let digest = result
            .digest
            .as_ref()
            .map(|digest| format!(" ({digest})"))
            .unwrap_or_default();
        let (mark, detail) = if result.decision.allowed {
            (Mark::Ok, allowed_detail(&result.decision))
        } else {
            (Mark::Failed, result.decision.summary.clone())
        };
        line(
            &mut text,
            &format!("{mark} {}{digest}: {detail}", result.image),
        );
    }
    stdout(&text)
}

/// The rule that allowed the image and what met it.
fn allowed_detail(decision: &Decision) -> String {
    let met: Vec<String> = decision
        .rules
        .iter()
        .filter(|rule| rule.passed)
        .map(|rule| {
            let requirement = rule
                .requirements
                .iter()
                .find(|r| r.passed)
                .map(|r| format!(": {} {}", r.name, r.detail))
                .unwrap_or_default();
            format!("rule {:?}{requirement}", rule.rule)
        })
        .collect();
    if met.is_empty() {
        decision.summary.clone()
    } else {
        format!("allowed by {}", met.join("; "))
    }
}

#[derive(Serialize)]
struct VerifyJson<'a> {
    exit_code: u8,
    allowed: usize,
    total: usize,
    registry_requests: u64,
    images: Vec<JudgedJson<'a>>,
}

#[derive(Serialize)]
struct JudgedJson<'a> {
    image: &'a str,
    reference: &'a str,
    allowed: bool,
    exit_code: u8,
    digest: Option<&'a str>,
    summary: &'a str,
    warnings: &'a [String],
    rules: Vec<RuleJson<'a>>,
}

#[derive(Serialize)]
struct RuleJson<'a> {
    rule: &'a str,
    matched_by: &'a str,
    mode: &'static str,
    passed: bool,
    requirements: Vec<RequirementJson<'a>>,
}

#[derive(Serialize)]
struct RequirementJson<'a> {
    name: &'a str,
    passed: bool,
    detail: &'a str,
}

pub(crate) fn verify_json(judged: &[Judged], registry_requests: u64) -> anyhow::Result<()> {
    let images: Vec<JudgedJson<'_>> = judged
        .iter()
        .map(|result| JudgedJson {
            image: &result.given,
            reference: &result.image,
            allowed: result.decision.allowed,
            exit_code: result.exit_code(),
            digest: result.digest.as_deref(),
            summary: &result.decision.summary,
            warnings: &result.decision.warnings,
            rules: result
                .decision
                .rules
                .iter()
                .map(|rule| RuleJson {
                    rule: &rule.rule,
                    matched_by: &rule.matched_by,
                    mode: mode_name(rule.mode),
                    passed: rule.passed,
                    requirements: rule
                        .requirements
                        .iter()
                        .map(|r| RequirementJson {
                            name: &r.name,
                            passed: r.passed,
                            detail: &r.detail,
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect();
    json(&VerifyJson {
        exit_code: images
            .iter()
            .map(|i| i.exit_code)
            .fold(exit::VERIFIED, exit::worst),
        allowed: images.iter().filter(|i| i.allowed).count(),
        total: images.len(),
        registry_requests,
        images,
    })
}
