//! vouch's own policy format (`apiVersion: vouch.dev/v1`, `kind: TrustPolicy`), YAML or
//! JSON. docs/policies.md describes it for users; this module reads it.
//!
//! Every field is checked as it is read, so that an error carries the line of the item it is
//! in: unknown fields, a rule with two actions, an authority with both a key and an identity,
//! a regular expression that does not compile, an inline key that does not parse. Files the
//! policy names (`key.path`, `regoFile`) are read afterwards, relative to the policy file's
//! folder, and their errors name the rule and authority.

use std::collections::BTreeMap;

use serde::Deserialize;
use vouch_attest::{PredicateType, RegoPolicy};
use vouch_keys::PublicKey;
use vouch_sigstore::{Extension, Matcher, Policy};

use crate::model::{
    AttestationRequirement, Authority, Combine, Format, ImageMatch, Matching, Mode, NamedTrust,
    NoMatch, Requirement, Rule, TrustPolicy,
};
use crate::text::quoted;
use crate::{FileReader, Glob, PolicyError};

/// The one version of the format.
pub(crate) const API_VERSION: &str = "vouch.dev/v1";
const KIND: &str = "TrustPolicy";
/// Most rules, authorities per rule and attestations per authority: a policy is written by
/// hand, and each costs verification work per image.
const MAX_ITEMS: usize = 1000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawFile {
    api_version: String,
    kind: String,
    #[serde(default)]
    metadata: Option<serde::de::IgnoredAny>,
    /// Required: how rules combine is a choice the author makes, never a default.
    #[serde(rename = "match")]
    matching: RawMatching,
    #[serde(default)]
    no_match: Option<RawNoMatch>,
    rules: Vec<RawRule>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum RawMatching {
    /// The first rule whose images match decides.
    First,
    /// Every rule whose images match must pass.
    All,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
enum RawNoMatch {
    Deny,
    Allow,
    Warn,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
enum RawRequire {
    Any,
    All,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase")]
enum RawMode {
    Enforce,
    Warn,
}

/// A rule as read, checked for shape (one action, globs that parse) as it is read.
#[derive(Deserialize)]
#[serde(try_from = "RuleFields")]
struct RawRule {
    name: Option<String>,
    images: Vec<Glob>,
    combine: Combine,
    mode: Mode,
    action: RawAction,
}

enum RawAction {
    Allow,
    Reject(String),
    Authorities(Vec<RawAuthority>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RuleFields {
    #[serde(default)]
    name: Option<String>,
    images: Vec<String>,
    #[serde(default)]
    require: Option<RawRequire>,
    #[serde(default)]
    mode: Option<RawMode>,
    #[serde(default)]
    allow: Option<bool>,
    #[serde(default)]
    reject: Option<String>,
    #[serde(default)]
    authorities: Option<Vec<RawAuthority>>,
}

impl TryFrom<RuleFields> for RawRule {
    type Error = String;

    fn try_from(fields: RuleFields) -> Result<Self, String> {
        let named = fields.name.as_deref().map_or_else(
            || "a rule".to_owned(),
            |name| format!("rule {}", quoted(name)),
        );
        if fields.images.is_empty() {
            return Err(format!(
                "{named}: `images` is empty, so the rule applies to nothing; give globs such \
                 as `registry.example/team/**`, or `**` for every image"
            ));
        }
        let images = fields
            .images
            .iter()
            .map(|glob| Glob::parse(glob).map_err(|err| format!("{named}: images: {err}")))
            .collect::<Result<Vec<_>, _>>()?;
        let action = match (fields.allow, fields.reject, fields.authorities) {
            (Some(true), None, None) => RawAction::Allow,
            (Some(false), None, None) => {
                return Err(format!(
                    "{named}: `allow: false` says nothing; write `reject: <why>` to refuse the \
                     images, or give `authorities`"
                ));
            }
            (None, Some(message), None) => RawAction::Reject(message),
            (None, None, Some(authorities)) if authorities.is_empty() => {
                return Err(format!(
                    "{named}: `authorities` is empty, so no image could pass; give at least \
                     one key or keyless identity, or write `reject: <why>`"
                ));
            }
            (None, None, Some(authorities)) if authorities.len() > MAX_ITEMS => {
                return Err(format!("{named}: more than {MAX_ITEMS} authorities"));
            }
            (None, None, Some(authorities)) => RawAction::Authorities(authorities),
            (None, None, None) => {
                return Err(format!(
                    "{named}: says nothing about its images; give `authorities` (who must have \
                     signed), `allow: true` or `reject: <why>`"
                ));
            }
            _ => {
                return Err(format!(
                    "{named}: give one of `authorities`, `allow` and `reject`, not several"
                ));
            }
        };
        if fields.require.is_some() && !matches!(action, RawAction::Authorities(_)) {
            return Err(format!(
                "{named}: `require` says how authorities combine, and the rule has none"
            ));
        }
        Ok(Self {
            name: fields.name,
            images,
            combine: match fields.require.unwrap_or(RawRequire::Any) {
                RawRequire::Any => Combine::AnyOf,
                RawRequire::All => Combine::AllOf,
            },
            mode: match fields.mode.unwrap_or(RawMode::Enforce) {
                RawMode::Enforce => Mode::Enforce,
                RawMode::Warn => Mode::Warn,
            },
            action,
        })
    }
}

/// An authority as read: the signer checked (one of key and keyless; matchers compiled; an
/// inline key parsed) as it is read.
#[derive(Deserialize)]
#[serde(try_from = "AuthorityFields")]
struct RawAuthority {
    name: Option<String>,
    signer: RawSigner,
    tlog: bool,
    attestations: Vec<RawAttestation>,
}

enum RawSigner {
    Key(PublicKey),
    KeyFile(String),
    Keyless(Policy),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AuthorityFields {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    key: Option<KeyFields>,
    #[serde(default)]
    keyless: Option<KeylessFields>,
    #[serde(default)]
    tlog: Option<bool>,
    #[serde(default)]
    attestations: Vec<RawAttestation>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFields {
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    pem: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct KeylessFields {
    #[serde(default)]
    identity: Option<String>,
    #[serde(default)]
    identity_reg_exp: Option<String>,
    #[serde(default)]
    issuer: Option<String>,
    #[serde(default)]
    issuer_reg_exp: Option<String>,
    #[serde(default)]
    extensions: BTreeMap<String, String>,
}

impl TryFrom<AuthorityFields> for RawAuthority {
    type Error = String;

    fn try_from(fields: AuthorityFields) -> Result<Self, String> {
        let named = fields.name.as_deref().map_or_else(
            || "an authority".to_owned(),
            |name| format!("authority {}", quoted(name)),
        );
        let signer = match (fields.key, fields.keyless) {
            (Some(key), None) => match (key.path, key.pem) {
                (Some(path), None) => RawSigner::KeyFile(path),
                (None, Some(pem)) => RawSigner::Key(
                    PublicKey::from_bytes(pem.as_bytes())
                        .map_err(|err| format!("{named}: key.pem: {err}"))?,
                ),
                _ => {
                    return Err(format!(
                        "{named}: `key` takes one of `path` (a PEM file) and `pem` (the key \
                         itself)"
                    ));
                }
            },
            (None, Some(keyless)) => RawSigner::Keyless(
                keyless_policy(keyless).map_err(|err| format!("{named}: keyless: {err}"))?,
            ),
            (None, None) => {
                return Err(format!("{named}: names no signer; give `key` or `keyless`"));
            }
            (Some(_), Some(_)) => {
                return Err(format!(
                    "{named}: give `key` or `keyless`, not both (two signers are two \
                     authorities)"
                ));
            }
        };
        if fields.attestations.len() > MAX_ITEMS {
            return Err(format!("{named}: more than {MAX_ITEMS} attestations"));
        }
        Ok(Self {
            name: fields.name,
            signer,
            tlog: fields.tlog.unwrap_or(true),
            attestations: fields.attestations,
        })
    }
}

/// A keyless identity: an identity and an issuer, each exact or an anchored regular
/// expression, and the certificate extensions required.
fn keyless_policy(fields: KeylessFields) -> Result<Policy, String> {
    let matcher =
        |exact: Option<String>, pattern: Option<String>, what: &str| match (exact, pattern) {
            (Some(exact), None) => Ok(Matcher::exact(exact)),
            (None, Some(pattern)) => {
                Matcher::regex(&pattern).map_err(|err| format!("{what}RegExp: {err}"))
            }
            (None, None) => Err(format!("give `{what}` (exact) or `{what}RegExp`")),
            (Some(_), Some(_)) => Err(format!("give `{what}` or `{what}RegExp`, not both")),
        };
    let identity = matcher(fields.identity, fields.identity_reg_exp, "identity")?;
    let issuer = matcher(fields.issuer, fields.issuer_reg_exp, "issuer")?;
    let mut policy = Policy::identity(identity, issuer);
    for (name, value) in fields.extensions {
        let extension = extension(&name)?;
        policy = policy.require_extension(extension, Matcher::exact(value));
    }
    Ok(policy)
}

/// The Fulcio extensions by the names the format gives them.
const EXTENSIONS: [(&str, Extension); 11] = [
    ("githubWorkflowTrigger", Extension::GithubWorkflowTrigger),
    ("githubWorkflowSha", Extension::GithubWorkflowSha),
    ("githubWorkflowName", Extension::GithubWorkflowName),
    (
        "githubWorkflowRepository",
        Extension::GithubWorkflowRepository,
    ),
    ("githubWorkflowRef", Extension::GithubWorkflowRef),
    ("buildSignerUri", Extension::BuildSignerUri),
    ("runnerEnvironment", Extension::RunnerEnvironment),
    ("sourceRepositoryUri", Extension::SourceRepositoryUri),
    ("sourceRepositoryDigest", Extension::SourceRepositoryDigest),
    ("sourceRepositoryRef", Extension::SourceRepositoryRef),
    (
        "sourceRepositoryOwnerUri",
        Extension::SourceRepositoryOwnerUri,
    ),
];

fn extension(name: &str) -> Result<Extension, String> {
    EXTENSIONS
        .iter()
        .find(|(known, _)| *known == name)
        .map(|(_, extension)| *extension)
        .ok_or_else(|| {
            let known: Vec<&str> = EXTENSIONS.iter().map(|(known, _)| *known).collect();
            format!(
                "extensions: {} is not a Fulcio extension vouch reads; expected one of {}",
                quoted(name),
                known.join(", ")
            )
        })
}

/// An attestation requirement as read: its type checked, an inline Rego module compiled.
#[derive(Deserialize)]
#[serde(try_from = "AttestationFields")]
struct RawAttestation {
    name: String,
    predicate_type: PredicateType,
    policy: RawRego,
}

enum RawRego {
    None,
    Inline(Box<RegoPolicy>),
    File(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct AttestationFields {
    #[serde(default)]
    name: Option<String>,
    #[serde(rename = "type")]
    predicate_type: String,
    #[serde(default)]
    rego: Option<String>,
    #[serde(default)]
    rego_file: Option<String>,
}

impl TryFrom<AttestationFields> for RawAttestation {
    type Error = String;

    fn try_from(fields: AttestationFields) -> Result<Self, String> {
        let predicate_type = PredicateType::parse(&fields.predicate_type)
            .map_err(|err| format!("attestations: type: {err}"))?;
        let name = fields
            .name
            .unwrap_or_else(|| predicate_type.as_str().to_owned());
        let policy = match (fields.rego, fields.rego_file) {
            (None, None) => RawRego::None,
            (Some(source), None) => RawRego::Inline(Box::new(
                RegoPolicy::new(&name, &source)
                    .map_err(|err| format!("attestation {}: rego: {err}", quoted(&name)))?,
            )),
            (None, Some(path)) => RawRego::File(path),
            (Some(_), Some(_)) => {
                return Err(format!(
                    "attestation {}: give `rego` or `regoFile`, not both",
                    quoted(&name)
                ));
            }
        };
        Ok(Self {
            name,
            predicate_type,
            policy,
        })
    }
}

/// Reads vouch's format. Files it names are read through `files` (the CLI reads them relative
/// to the policy file's folder).
pub(crate) fn parse(text: &str, files: &dyn FileReader) -> Result<TrustPolicy, PolicyError> {
    let mut documents = yaml_serde::Deserializer::from_str(text);
    let first = documents
        .next()
        .ok_or_else(|| PolicyError::new("the policy file is empty"))?;
    let raw = RawFile::deserialize(first).map_err(|err| PolicyError::from_yaml(&err))?;
    if documents.next().is_some() {
        return Err(PolicyError::new(
            "a vouch policy is one document; this file has more (`---`): put every rule in \
             one `rules` list",
        ));
    }
    if raw.api_version != API_VERSION || raw.kind != KIND {
        return Err(PolicyError::new(format!(
            "expected `apiVersion: {API_VERSION}` and `kind: {KIND}`; found {} and {}",
            quoted(&raw.api_version),
            quoted(&raw.kind)
        )));
    }
    if raw.rules.len() > MAX_ITEMS {
        return Err(PolicyError::new(format!("more than {MAX_ITEMS} rules")));
    }
    let _ = raw.metadata;
    check_conflicts(&raw.rules, matches!(raw.matching, RawMatching::First))?;
    let rules = raw
        .rules
        .into_iter()
        .enumerate()
        .map(|(index, rule)| resolve_rule(index, rule, files))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(TrustPolicy {
        format: Format::Vouch,
        matching: match raw.matching {
            RawMatching::First => Matching::First,
            RawMatching::All => Matching::All,
        },
        rules,
        no_match: match raw.no_match.unwrap_or(RawNoMatch::Deny) {
            RawNoMatch::Deny => NoMatch::Deny,
            RawNoMatch::Allow => NoMatch::Allow,
            RawNoMatch::Warn => NoMatch::Warn,
        },
    })
}

/// Rules that contradict the file's own intent: two rules of one name (reports and `explain`
/// would not tell them apart), and, when the first match decides, a rule after one that
/// matches every image (`**`), which can never apply.
fn check_conflicts(rules: &[RawRule], first_match: bool) -> Result<(), PolicyError> {
    let name = |index: usize, rule: &RawRule| {
        rule.name
            .as_deref()
            .map_or_else(|| format!("rules[{index}]"), quoted)
    };
    let mut seen = std::collections::HashSet::new();
    for (index, rule) in rules.iter().enumerate() {
        if let Some(given) = &rule.name
            && !seen.insert(given.as_str())
        {
            return Err(PolicyError::new(format!(
                "two rules are named {}; give each rule its own name",
                quoted(given)
            )));
        }
        let catches_all = rule.images.iter().any(|glob| glob.as_str() == "**");
        if first_match && catches_all && index + 1 < rules.len() {
            return Err(PolicyError::new(format!(
                "rule {} matches every image (`**`), so with `match: first` the {} after it \
                 can never apply ({} first); move it last, or use `match: all`",
                name(index, rule),
                if rules.len() - index - 1 == 1 {
                    "rule"
                } else {
                    "rules"
                },
                name(index + 1, &rules[index + 1])
            )));
        }
    }
    Ok(())
}

/// A rule with the files it names read.
fn resolve_rule(index: usize, raw: RawRule, files: &dyn FileReader) -> Result<Rule, PolicyError> {
    let name = raw.name.unwrap_or_else(|| format!("rules[{index}]"));
    let requirements = match raw.action {
        RawAction::Allow => vec![Requirement::Allow],
        RawAction::Reject(message) => vec![Requirement::Reject(message)],
        RawAction::Authorities(authorities) => authorities
            .into_iter()
            .enumerate()
            .map(|(position, authority)| {
                resolve_authority(&name, position, authority, files)
                    .map(|authority| Requirement::Signed(Box::new(authority)))
            })
            .collect::<Result<Vec<_>, _>>()?,
    };
    Ok(Rule {
        name,
        images: ImageMatch::Globs(raw.images),
        combine: raw.combine,
        requirements,
        mode: raw.mode,
    })
}

fn resolve_authority(
    rule: &str,
    position: usize,
    raw: RawAuthority,
    files: &dyn FileReader,
) -> Result<Authority, PolicyError> {
    let name = raw
        .name
        .unwrap_or_else(|| format!("authorities[{position}]"));
    let place = format!("rule {}, authority {}", quoted(rule), quoted(&name));
    let signer = match raw.signer {
        RawSigner::Key(key) => Policy::key(key),
        RawSigner::KeyFile(path) => {
            let bytes = files.read(&path).map_err(|err| {
                PolicyError::new(format!("{place}: key.path {}: {err}", quoted(&path)))
            })?;
            Policy::key(PublicKey::from_bytes(&bytes).map_err(|err| {
                PolicyError::new(format!("{place}: key.path {}: {err}", quoted(&path)))
            })?)
        }
        RawSigner::Keyless(policy) => policy,
    };
    let signer = if raw.tlog {
        signer
    } else {
        signer.insecure_ignore_tlog()
    };
    let attestations = raw
        .attestations
        .into_iter()
        .map(|attestation| resolve_attestation(&place, attestation, files))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Authority {
        name,
        signers: vec![signer],
        identity: None,
        attestations,
        signature_required: true,
        named_trust: NamedTrust::default(),
    })
}

fn resolve_attestation(
    place: &str,
    raw: RawAttestation,
    files: &dyn FileReader,
) -> Result<AttestationRequirement, PolicyError> {
    let policy = match raw.policy {
        RawRego::None => None,
        RawRego::Inline(policy) => Some(*policy),
        RawRego::File(path) => {
            let failed = |err: String| {
                PolicyError::new(format!(
                    "{place}, attestation {}: regoFile {}: {err}",
                    quoted(&raw.name),
                    quoted(&path)
                ))
            };
            let bytes = files.read(&path).map_err(failed)?;
            let source = String::from_utf8(bytes)
                .map_err(|_| failed("a Rego module is UTF-8 text; this is not".to_owned()))?;
            Some(RegoPolicy::new(&path, &source).map_err(|err| failed(err.to_string()))?)
        }
    };
    Ok(AttestationRequirement {
        name: raw.name,
        predicate_type: raw.predicate_type,
        policy,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::NoFiles;

    const KEY: &str = include_str!("../../../testdata/generated/p256-der/key.pub");

    struct OneFile;

    impl FileReader for OneFile {
        fn read(&self, path: &str) -> Result<Vec<u8>, String> {
            match path {
                "keys/a.pub" => Ok(KEY.as_bytes().to_vec()),
                "allow.rego" => Ok(b"package signature\nallow := true\n".to_vec()),
                _ => Err("no such file".to_owned()),
            }
        }
    }

    fn parse_text(text: &str) -> Result<TrustPolicy, PolicyError> {
        parse(text, &OneFile)
    }

    fn error(text: &str) -> PolicyError {
        match parse_text(text) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(err) => err,
        }
    }

    const HEAD: &str = "apiVersion: vouch.dev/v1\nkind: TrustPolicy\nmatch: first\nrules:\n";

    #[test]
    fn a_full_policy_reads() {
        let text = format!(
            "{HEAD}  - name: release
    images: [\"registry.example/**\"]
    require: all
    mode: warn
    authorities:
      - key: {{path: keys/a.pub}}
        tlog: false
        attestations:
          - type: slsaprovenance1
            regoFile: allow.rego
      - name: ci
        keyless:
          identityRegExp: 'https://github\\.com/acme/.*'
          issuer: https://token.actions.githubusercontent.com
          extensions: {{githubWorkflowRepository: acme/app}}
  - images: [\"**\"]
    reject: no
"
        );
        let policy = parse_text(&text).unwrap();
        assert_eq!(policy.format, Format::Vouch);
        assert_eq!(policy.matching, Matching::First);
        assert_eq!(policy.no_match, NoMatch::Deny);
        let release = &policy.rules[0];
        assert_eq!(release.name, "release");
        assert_eq!(release.combine, Combine::AllOf);
        assert_eq!(release.mode, Mode::Warn);
        let Requirement::Signed(key) = &release.requirements[0] else {
            panic!("{:?}", release.requirements[0]);
        };
        assert_eq!(key.name, "authorities[0]");
        assert!(!key.signers[0].requires_tlog());
        assert_eq!(
            key.attestations[0].predicate_type.as_str(),
            "https://slsa.dev/provenance/v1"
        );
        assert!(key.attestations[0].policy.is_some());
        let Requirement::Signed(ci) = &release.requirements[1] else {
            panic!("{:?}", release.requirements[1]);
        };
        assert!(ci.signers[0].requires_tlog());
        assert_eq!(ci.signers[0].extensions().len(), 1);
        assert_eq!(policy.rules[1].name, "rules[1]");
        assert!(matches!(&policy.rules[1].requirements[0], Requirement::Reject(m) if m == "no"));
    }

    #[test]
    fn json_is_read_too() {
        let text = r#"{"apiVersion": "vouch.dev/v1", "kind": "TrustPolicy", "match": "all",
            "noMatch": "allow", "rules": [{"images": ["**"], "allow": true}]}"#;
        let policy = parse_text(text).unwrap();
        assert_eq!(policy.matching, Matching::All);
        assert_eq!(policy.no_match, NoMatch::Allow);
    }

    #[test]
    fn mistakes_are_refused_with_their_place() {
        for (rule, expected, line) in [
            ("  - images: []\n    allow: true\n", "`images` is empty", 5),
            ("  - images: [\"**\"]\n", "says nothing about its images", 5),
            (
                "  - images: [\"**\"]\n    allow: false\n",
                "`allow: false` says nothing",
                5,
            ),
            (
                "  - images: [\"**\"]\n    allow: true\n    reject: x\n",
                "not several",
                5,
            ),
            (
                "  - images: [\"**\"]\n    authorities: []\n",
                "`authorities` is empty",
                5,
            ),
            (
                "  - images: [\"**\"]\n    require: all\n    allow: true\n",
                "has none",
                5,
            ),
            (
                "  - images: [\"a***\"]\n    allow: true\n",
                "`***` is not a glob",
                5,
            ),
            (
                "  - images: [\"**\"]\n    alow: true\n",
                "unknown field `alow`",
                6,
            ),
            (
                "  - images: [\"**\"]\n    authorities:\n      - tlog: true\n",
                "names no signer",
                7,
            ),
            (
                "  - images: [\"**\"]\n    authorities:\n      - key: {pem: nope}\n",
                "key.pem",
                7,
            ),
            (
                "  - images: [\"**\"]\n    authorities:\n      - key: {path: a, pem: b}\n",
                "one of `path`",
                7,
            ),
            (
                "  - images: [\"**\"]\n    authorities:\n      - keyless: {identity: a}\n",
                "give `issuer`",
                7,
            ),
            (
                "  - images: [\"**\"]\n    authorities:\n      - keyless: {identity: a, identityRegExp: b, issuer: c}\n",
                "not both",
                7,
            ),
            (
                "  - images: [\"**\"]\n    authorities:\n      - keyless: {identityRegExp: '(', issuer: c}\n",
                "identityRegExp",
                7,
            ),
            (
                "  - images: [\"**\"]\n    authorities:\n      - keyless: {identity: a, issuer: c, extensions: {nope: x}}\n",
                "not a Fulcio extension",
                7,
            ),
            (
                "  - images: [\"**\"]\n    authorities:\n      - key: {path: keys/a.pub}\n        attestations: [{type: 'not a type'}]\n",
                "not a predicate type",
                8,
            ),
            (
                "  - images: [\"**\"]\n    authorities:\n      - key: {path: keys/a.pub}\n        attestations: [{type: spdx, rego: 'package other'}]\n",
                "package signature",
                8,
            ),
        ] {
            let err = error(&format!("{HEAD}{rule}"));
            assert!(err.message.contains(expected), "{rule}: {err}");
            assert_eq!(
                err.location.map(|(line, _)| line),
                Some(line),
                "{rule}: {err}"
            );
        }
    }

    #[test]
    fn files_named_are_read_and_their_errors_named() {
        let err = error(&format!(
            "{HEAD}  - images: [\"**\"]\n    authorities:\n      - name: k\n        key: {{path: missing.pub}}\n"
        ));
        assert!(err.message.contains("authority \"k\""), "{err}");
        assert!(err.message.contains("missing.pub"), "{err}");
        let text = format!(
            "{HEAD}  - images: [\"**\"]\n    authorities:\n      - key: {{path: keys/a.pub}}\n"
        );
        assert!(parse(&text, &NoFiles).is_err());
        assert!(parse(&text, &OneFile).is_ok());
    }

    #[test]
    fn rules_that_conflict_are_refused() {
        let err = error(&format!(
            "{HEAD}  - name: a\n    images: [\"x/**\"]\n    allow: true\n  - name: a\n    images: [\"y/**\"]\n    allow: true\n"
        ));
        assert!(err.message.contains("two rules are named \"a\""), "{err}");
        let err = error(&format!(
            "{HEAD}  - name: all\n    images: [\"**\"]\n    allow: true\n  - name: late\n    images: [\"y/**\"]\n    reject: no\n"
        ));
        assert!(
            err.message.contains("can never apply (\"late\" first)"),
            "{err}"
        );
        // With `match: all`, a catch-all rule first is fine.
        let text = "apiVersion: vouch.dev/v1\nkind: TrustPolicy\nmatch: all\nrules:\n  - images: [\"**\"]\n    allow: true\n  - images: [\"y/**\"]\n    reject: no\n";
        assert!(parse_text(text).is_ok());
    }

    #[test]
    fn the_header_is_checked() {
        let err = error("apiVersion: vouch.dev/v1\nkind: Other\nmatch: first\nrules: []\n");
        assert!(err.message.contains("kind: TrustPolicy"), "{err}");
        let err = error("apiVersion: vouch.dev/v1\nkind: TrustPolicy\nrules: []\n");
        assert!(err.message.contains("match"), "{err}");
        let err = error(&format!(
            "{HEAD}  - images: [\"**\"]\n    allow: true\n---\n{HEAD}"
        ));
        assert!(err.message.contains("one document"), "{err}");
    }
}
