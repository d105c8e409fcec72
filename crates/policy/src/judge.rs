//! Judging one image: the rules that apply ([`Selection`]), over what its signature lookup
//! found. Pure and synchronous: the lookup is the caller's.
//!
//! A signed requirement passes when one of its signers has signed the image (checked as
//! `vouch verify` checks it: cryptography, the image's digest, the log entry unless waived,
//! then the `signedIdentity` of a containers policy) **and** that same signer has made every
//! attestation the requirement names, each passing its Rego policy. A `ClusterImagePolicy`
//! authority that lists attestations is judged by them alone, as policy-controller does.

use serde_json::Value;
use vouch_attest::{AttestationPolicy, PolicyVerdict, RegoConvention, RegoPolicy};
use vouch_oci::{CandidateContent, ImagePolicy, ImageRef, Lookup, SignatureKind};
use vouch_sigstore::{Policy, Verifier};

use crate::model::{AttestationRequirement, Authority, Combine, Mode, NoMatch, Requirement};
use crate::select::Selection;

/// Evaluates Rego policies over verified statements. The caller decides how (a memory bound,
/// one evaluation at a time); [`TimeLimited`] is the plain one.
pub trait RegoRunner {
    /// Evaluates `policy` over `input` (the verified in-toto statement).
    ///
    /// # Errors
    ///
    /// When the evaluation fails or runs out of its bounds: the statement is then not
    /// allowed.
    fn evaluate(
        &self,
        policy: &RegoPolicy,
        input: &Value,
    ) -> Result<PolicyVerdict, vouch_attest::PolicyError>;
}

/// Evaluates each policy for at most this long, with no memory bound of its own.
#[derive(Debug, Clone, Copy)]
pub struct TimeLimited(pub std::time::Duration);

impl RegoRunner for TimeLimited {
    fn evaluate(
        &self,
        policy: &RegoPolicy,
        input: &Value,
    ) -> Result<PolicyVerdict, vouch_attest::PolicyError> {
        policy.evaluate(input, self.0)
    }
}

/// What judging needs besides the image: the trust root, a Rego runner, and the most memory
/// one statement may take once parsed.
#[derive(Clone, Copy)]
pub struct Judge<'a> {
    /// Checks signatures, certificates and log entries against the trust root.
    pub verifier: &'a Verifier,
    /// Evaluates attestation policies.
    pub rego: &'a dyn RegoRunner,
    /// Most bytes an attestation's statement may take once parsed.
    pub statement_cost: u64,
}

impl std::fmt::Debug for Judge<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Judge")
            .field("statement_cost", &self.statement_cost)
            .finish_non_exhaustive()
    }
}

/// The verdict on one image.
#[derive(Debug, Clone)]
pub struct Decision {
    /// Whether the image may be used.
    pub allowed: bool,
    /// Each rule that applied and how it fared.
    pub rules: Vec<RuleOutcome>,
    /// Failures of rules in `warn` mode, and images no rule matched under `noMatch: warn`.
    pub warnings: Vec<String>,
    /// One line saying why, for reports.
    pub summary: String,
}

/// One rule and how it fared.
#[derive(Debug, Clone)]
pub struct RuleOutcome {
    /// The rule's name.
    pub rule: String,
    /// What made it apply.
    pub matched_by: String,
    /// Enforced or warned.
    pub mode: Mode,
    /// Whether its requirements were met (as its `combine` says).
    pub passed: bool,
    /// Each requirement, in order.
    pub requirements: Vec<RequirementOutcome>,
}

/// One requirement and how it fared.
#[derive(Debug, Clone)]
pub struct RequirementOutcome {
    /// `allow`, `reject`, or the authority's name.
    pub name: String,
    /// Whether it was met.
    pub passed: bool,
    /// What met it (the signature, the attestations), or why it was not met.
    pub detail: String,
}

impl Judge<'_> {
    /// Judges `image` (as the user named it: a `signedIdentity` compares against this) under
    /// the rules `selection` holds. `lookup` is what the signature lookup found, or why it
    /// failed: a signed requirement then fails with that reason, while `allow` and `reject`
    /// decide without it.
    #[must_use]
    pub fn judge(
        &self,
        selection: &Selection<'_>,
        image: &ImageRef,
        lookup: Result<&Lookup, &str>,
    ) -> Decision {
        if selection.matched.is_empty() {
            return no_rule(selection.no_match);
        }
        let mut rules = Vec::new();
        let mut warnings = Vec::new();
        let mut allowed = true;
        let mut first_failure = None;
        for matched in &selection.matched {
            let rule = matched.rule;
            let requirements: Vec<RequirementOutcome> = rule
                .requirements
                .iter()
                .map(|requirement| self.requirement(requirement, image, lookup))
                .collect();
            let passed = match rule.combine {
                Combine::AnyOf => requirements.iter().any(|r| r.passed),
                Combine::AllOf => requirements.iter().all(|r| r.passed),
            };
            if !passed {
                let why = failure(&rule.name, rule.combine, &requirements);
                match rule.mode {
                    Mode::Enforce => {
                        allowed = false;
                        first_failure.get_or_insert(why);
                    }
                    Mode::Warn => warnings.push(format!("{why} (warn mode: not enforced)")),
                }
            }
            rules.push(RuleOutcome {
                rule: rule.name.clone(),
                matched_by: matched.by.clone(),
                mode: rule.mode,
                passed,
                requirements,
            });
        }
        let summary = first_failure.unwrap_or_else(|| {
            let names: Vec<String> = rules
                .iter()
                .filter(|r| r.passed)
                .map(|r| crate::text::quoted(&r.rule))
                .collect();
            format!("allowed by rule {}", names.join(", "))
        });
        Decision {
            allowed,
            rules,
            warnings,
            summary,
        }
    }

    fn requirement(
        &self,
        requirement: &Requirement,
        image: &ImageRef,
        lookup: Result<&Lookup, &str>,
    ) -> RequirementOutcome {
        match requirement {
            Requirement::Allow => RequirementOutcome {
                name: "allow".to_owned(),
                passed: true,
                detail: "every image is accepted here".to_owned(),
            },
            Requirement::Reject(message) => RequirementOutcome {
                name: "reject".to_owned(),
                passed: false,
                detail: message.clone(),
            },
            Requirement::Signed(authority) => match lookup {
                Ok(lookup) => self.authority(authority, image, lookup),
                Err(reason) => RequirementOutcome {
                    name: authority.name.clone(),
                    passed: false,
                    detail: reason.to_owned(),
                },
            },
        }
    }

    /// One authority: some signer of it signed the image and made every attestation asked.
    fn authority(
        &self,
        authority: &Authority,
        image: &ImageRef,
        lookup: &Lookup,
    ) -> RequirementOutcome {
        let mut reasons = Vec::new();
        for signer in &authority.signers {
            let mut details = Vec::new();
            if authority.signature_required {
                match self.signature(signer, authority, image, lookup) {
                    Ok(signature) => details.push(signature),
                    Err(reason) => {
                        reasons.push(reason);
                        continue;
                    }
                }
            }
            let mut missing = Vec::new();
            for required in &authority.attestations {
                match self.attestation(signer, required, lookup) {
                    Ok(detail) => details.push(detail),
                    Err(reason) => missing.push(reason),
                }
            }
            if missing.is_empty() {
                return RequirementOutcome {
                    name: authority.name.clone(),
                    passed: true,
                    detail: details.join("; "),
                };
            }
            if details.is_empty() {
                reasons.push(missing.join("; "));
            } else {
                reasons.push(format!(
                    "{}, but {}",
                    details.join("; "),
                    missing.join("; ")
                ));
            }
        }
        RequirementOutcome {
            name: authority.name.clone(),
            passed: false,
            detail: reasons.join("; "),
        }
    }

    /// A signature of `signer` over the image, naming it as the authority's `signedIdentity`
    /// requires.
    fn signature(
        &self,
        signer: &Policy,
        authority: &Authority,
        image: &ImageRef,
        lookup: &Lookup,
    ) -> Result<String, String> {
        let verified =
            vouch_oci::verify_image(lookup, &ImagePolicy::new(signer.clone()), self.verifier)
                .map_err(|err| err.to_string())?;
        let signatures = verified.verified();
        let accepted = signatures.iter().find(|signature| {
            authority.identity.as_ref().is_none_or(|identity| {
                signature.docker_reference().is_some_and(|signed| {
                    crate::containers::identity_matches(identity, image, signed)
                })
            })
        });
        match accepted {
            Some(signature) => Ok(format!(
                "signed ({} in {} {})",
                signature.kind(),
                signature.source().as_str(),
                signature.manifest_digest()
            )),
            None => {
                let claimed: Vec<String> = signatures
                    .iter()
                    .map(|s| {
                        s.docker_reference().map_or_else(
                            || format!("a {} naming no image", s.kind()),
                            crate::text::quoted,
                        )
                    })
                    .collect();
                Err(format!(
                    "{} signature(s) verify, and none names the image as signedIdentity {:?} \
                     requires (they name {})",
                    signatures.len(),
                    authority.identity,
                    claimed.join(", ")
                ))
            }
        }
    }

    /// An attestation of the required type by `signer` over the image, passing its policy.
    fn attestation(
        &self,
        signer: &Policy,
        required: &AttestationRequirement,
        lookup: &Lookup,
    ) -> Result<String, String> {
        let digests: Vec<vouch_blob::Digest> =
            vouch_blob::Digest::new(lookup.digest.algorithm(), &lookup.digest.to_bytes())
                .into_iter()
                .collect();
        let policy = AttestationPolicy::new(signer.clone())
            .with_predicate_type(required.predicate_type.clone())
            .with_max_statement_cost(self.statement_cost);
        let mut reasons = Vec::new();
        for candidate in &lookup.candidates {
            if let CandidateContent::Unchecked {
                kind: SignatureKind::Bundle | SignatureKind::LegacyAttestation,
                reason,
            } = &candidate.content
            {
                reasons.push(format!("one could not be checked: {reason}"));
                continue;
            }
            let Some(parsed) = candidate.content.attestation_bundle(self.statement_cost) else {
                continue;
            };
            let Ok(bundle) = parsed else { continue };
            let Ok(verified) =
                vouch_attest::verify_attestation(self.verifier, &bundle, &digests, &policy)
            else {
                continue;
            };
            let Some(rego) = &required.policy else {
                return Ok(format!("attested {}", required.predicate_type));
            };
            match self.rego.evaluate(rego, &verified.statement().as_value()) {
                // policy-controller does not count an attestation whose policy passed with a
                // warning (its validator skips it): the same here, for its policies.
                Ok(verdict)
                    if verdict.allowed()
                        && rego.convention() == RegoConvention::PolicyController
                        && !verdict.warnings().is_empty() =>
                {
                    reasons.push(format!(
                        "policy {} passes with a warning, which policy-controller does not \
                         accept: {}",
                        rego.name(),
                        verdict.warnings().join("; ")
                    ));
                }
                Ok(verdict) if verdict.allowed() => {
                    return Ok(format!(
                        "attested {} (policy {} allows)",
                        required.predicate_type,
                        rego.name()
                    ));
                }
                Ok(verdict) => reasons.push(format!(
                    "policy {} denies: {}",
                    rego.name(),
                    verdict.messages().join("; ")
                )),
                Err(err) => reasons.push(err.to_string()),
            }
        }
        let mut why = format!(
            "no attestation {} of type {} by this signer passes",
            crate::text::quoted(&required.name),
            required.predicate_type
        );
        if !reasons.is_empty() {
            why.push_str(&format!(" ({})", reasons.join("; ")));
        }
        Err(why)
    }
}

/// The verdict when no rule applies.
fn no_rule(no_match: NoMatch) -> Decision {
    let what = "no rule of the policy applies to this image";
    let (allowed, warnings, summary) = match no_match {
        NoMatch::Allow => (
            true,
            Vec::new(),
            format!("{what}; the policy allows such images"),
        ),
        NoMatch::Warn => (
            true,
            vec![format!("{what} (noMatch: warn)")],
            format!("{what}; the policy lets such images through with a warning"),
        ),
        NoMatch::Deny => (
            false,
            Vec::new(),
            format!("{what}; such images are refused"),
        ),
    };
    Decision {
        allowed,
        rules: Vec::new(),
        warnings,
        summary,
    }
}

/// Why a rule failed, in one line.
fn failure(rule: &str, combine: Combine, requirements: &[RequirementOutcome]) -> String {
    let failed: Vec<String> = requirements
        .iter()
        .filter(|r| !r.passed)
        .map(|r| format!("{}: {}", r.name, r.detail))
        .collect();
    let how = match (combine, requirements.len()) {
        (_, 1) => "",
        (Combine::AnyOf, _) => "none of its requirements is met: ",
        (Combine::AllOf, _) => "not all of its requirements are met: ",
    };
    format!(
        "rule {} refuses the image: {how}{}",
        crate::text::quoted(rule),
        failed.join("; ")
    )
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use vouch_sigstore::TrustRoot;

    use super::*;
    use crate::NoFiles;
    use crate::model::TrustPolicy;

    const KEY: &str = include_str!("../../../testdata/generated/p256-der/key.pub");

    fn policy(matching: &str, no_match: &str, rules: &str) -> TrustPolicy {
        let text = format!(
            "apiVersion: vouch.dev/v1\nkind: TrustPolicy\nmatch: {matching}\nnoMatch: {no_match}\nrules:\n{rules}"
        );
        crate::parse(text.as_bytes(), &NoFiles).unwrap()
    }

    fn decide(policy: &TrustPolicy, image: &str) -> Decision {
        let root = TrustRoot::production().unwrap();
        let verifier = Verifier::new(&root).unwrap();
        let judge = Judge {
            verifier: &verifier,
            rego: &TimeLimited(Duration::from_secs(1)),
            statement_cost: 1 << 20,
        };
        let parsed = ImageRef::parse(image).unwrap();
        let selection = policy.select(&parsed, image);
        judge.judge(&selection, &parsed, Err("the registry is down"))
    }

    fn key_rule(images: &str, extra: &str) -> String {
        let pem = KEY.replace('\n', "\\n");
        format!(
            "  - name: signed\n    images: [\"{images}\"]\n{extra}    authorities:\n      - key: {{pem: \"{pem}\"}}\n"
        )
    }

    #[test]
    fn the_first_matching_rule_decides() {
        let rules = format!(
            "  - name: open\n    images: [\"r.example/open/**\"]\n    allow: true\n{}  - name: rest\n    images: [\"**\"]\n    reject: closed\n",
            key_rule("r.example/**", "")
        );
        let policy = policy("first", "deny", &rules);
        let open = decide(&policy, "r.example/open/app:1");
        assert!(open.allowed, "{open:?}");
        assert_eq!(open.rules.len(), 1);
        let signed = decide(&policy, "r.example/app:1");
        assert!(!signed.allowed);
        assert_eq!(signed.rules[0].rule, "signed");
        assert!(
            signed.summary.contains("the registry is down"),
            "{}",
            signed.summary
        );
        let rest = decide(&policy, "elsewhere.example/app:1");
        assert!(!rest.allowed);
        assert!(rest.summary.contains("closed"), "{}", rest.summary);
    }

    #[test]
    fn with_match_all_every_matching_rule_must_pass() {
        let rules = "  - name: open\n    images: [\"**\"]\n    allow: true\n  - name: closed\n    images: [\"r.example/**\"]\n    reject: no\n";
        let policy = policy("all", "deny", rules);
        assert!(decide(&policy, "other.example/app").allowed);
        let both = decide(&policy, "r.example/app");
        assert!(!both.allowed);
        assert_eq!(both.rules.len(), 2);
    }

    #[test]
    fn warn_mode_and_no_match() {
        let rules = key_rule("r.example/**", "    mode: warn\n");
        let warned = decide(&policy("first", "deny", &rules), "r.example/app");
        assert!(warned.allowed, "{warned:?}");
        assert_eq!(warned.warnings.len(), 1);
        assert!(!warned.rules[0].passed);
        assert!(!decide(&policy("first", "deny", &rules), "x.example/a").allowed);
        assert!(decide(&policy("first", "allow", &rules), "x.example/a").allowed);
        let warn = decide(&policy("first", "warn", &rules), "x.example/a");
        assert!(warn.allowed && warn.warnings.len() == 1);
    }

    #[test]
    fn any_of_passes_on_one_requirement_all_of_needs_all() {
        let pem = KEY.replace('\n', "\\n");
        let rules = |require: &str| {
            format!(
                "  - images: [\"**\"]\n    require: {require}\n    authorities:\n      - key: {{pem: \"{pem}\"}}\n      - key: {{pem: \"{pem}\"}}\n"
            )
        };
        // No lookup: both authorities fail either way, and the report lists both.
        let any = decide(&policy("first", "deny", &rules("any")), "r.example/a");
        assert!(!any.allowed);
        assert!(
            any.summary.contains("none of its requirements"),
            "{}",
            any.summary
        );
        let all = decide(&policy("first", "deny", &rules("all")), "r.example/a");
        assert!(
            all.summary.contains("not all of its requirements"),
            "{}",
            all.summary
        );
    }
}
