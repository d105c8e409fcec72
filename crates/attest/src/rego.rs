//! Rego policies over verified in-toto statements, as `cosign verify-attestation --policy`
//! evaluates them: the input is the whole statement, the query `data.signature.allow`, the
//! module read as Rego v0 (a module with `import rego.v1` reads as v1). Evaluated by regorus, a
//! pure-Rust Rego interpreter, with a wall-clock limit.
//!
//! vouch adds one thing to cosign's convention: when `allow` is not true, the messages of a
//! `deny` rule in the same package (a set of strings, as conftest and Gatekeeper policies
//! write them) say why.

use std::num::NonZeroU32;
use std::time::Duration;

/// The package cosign's convention queries.
const PACKAGE: &str = "data.signature";
const ALLOW: &str = "data.signature.allow";
const DENY: &str = "data.signature.deny";
/// Most deny messages kept, and characters of each.
const MAX_MESSAGES: usize = 32;
const MAX_MESSAGE_CHARS: usize = 500;

/// A Rego policy, parsed and ready to evaluate (`Send`, cloned per evaluation).
#[derive(Clone)]
pub struct RegoPolicy {
    name: String,
    engine: regorus::Engine,
    has_deny: bool,
}

impl std::fmt::Debug for RegoPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoPolicy")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// What a policy said of one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct PolicyVerdict {
    allowed: bool,
    messages: Vec<String>,
}

impl PolicyVerdict {
    /// Whether `data.signature.allow` is `true`.
    #[must_use]
    pub fn allowed(&self) -> bool {
        self.allowed
    }
    /// Why not: the `deny` rule's messages, or what `allow` was; empty when allowed.
    #[must_use]
    pub fn messages(&self) -> &[String] {
        &self.messages
    }
}

/// A policy that cannot be used, or an evaluation that did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The module does not parse, or is not `package signature`.
    #[error("policy {name}: {detail}")]
    Invalid {
        /// The policy's name (its file).
        name: String,
        /// What is wrong.
        detail: String,
    },
    /// Evaluation failed (a built-in's error, a conflict) or ran past its time limit.
    #[error("policy {name} could not be evaluated: {detail}")]
    Evaluation {
        /// The policy's name.
        name: String,
        /// What regorus said.
        detail: String,
    },
}

impl RegoPolicy {
    /// Parses `source`, named `name` in messages (its file name).
    ///
    /// # Errors
    ///
    /// [`PolicyError::Invalid`] if it does not parse or its package is not `signature`.
    pub fn new(name: &str, source: &str) -> Result<Self, PolicyError> {
        let invalid = |detail: String| PolicyError::Invalid {
            name: name.to_owned(),
            detail,
        };
        let mut engine = regorus::Engine::new();
        engine.set_rego_v0(true);
        engine.set_strict_builtin_errors(true);
        let package = engine
            .add_policy(name.to_owned(), source.to_owned())
            .map_err(|err| invalid(err.to_string()))?;
        if package != PACKAGE {
            return Err(invalid(format!(
                "its package is `{}`; cosign's convention (which vouch follows) evaluates \
                 `{ALLOW}`: write `package signature` with an `allow` rule",
                package.strip_prefix("data.").unwrap_or(&package)
            )));
        }
        let has_deny = engine
            .has_declared_rule_rooted_at(name, "deny")
            .unwrap_or(false);
        Ok(Self {
            name: name.to_owned(),
            engine,
            has_deny,
        })
    }

    /// The policy's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Evaluates the policy over `input` (a verified statement), for at most `limit` of wall
    /// time.
    ///
    /// # Errors
    ///
    /// [`PolicyError::Evaluation`] if a built-in fails, rules conflict, or time runs out: the
    /// statement is then not allowed.
    pub fn evaluate(
        &self,
        input: &serde_json::Value,
        limit: Duration,
    ) -> Result<PolicyVerdict, PolicyError> {
        let failed = |detail: String| PolicyError::Evaluation {
            name: self.name.clone(),
            detail,
        };
        let mut engine = self.engine.clone();
        engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
            limit,
            check_interval: NonZeroU32::MIN,
        });
        engine.set_input(regorus::Value::from(input.clone()));
        let allow = engine
            .eval_rule(ALLOW.to_owned())
            .map_err(|err| failed(err.to_string()))?;
        if allow == regorus::Value::from(true) {
            return Ok(PolicyVerdict {
                allowed: true,
                messages: Vec::new(),
            });
        }
        let mut messages = Vec::new();
        if self.has_deny {
            let deny = engine
                .eval_rule(DENY.to_owned())
                .map_err(|err| failed(err.to_string()))?;
            messages = deny_messages(&deny);
        }
        if messages.is_empty() {
            messages.push(match allow {
                regorus::Value::Undefined => format!("`{ALLOW}` is undefined"),
                other => format!("`{ALLOW}` is {}, not true", shorten(&other.to_string())),
            });
        }
        Ok(PolicyVerdict {
            allowed: false,
            messages,
        })
    }
}

/// The strings of a `deny` set or array (other values as JSON), bounded in number and length.
fn deny_messages(deny: &regorus::Value) -> Vec<String> {
    let items: Vec<regorus::Value> = match deny {
        regorus::Value::Set(set) => set.iter().cloned().collect(),
        regorus::Value::Array(items) => items.iter().cloned().collect(),
        regorus::Value::Undefined | regorus::Value::Null => Vec::new(),
        regorus::Value::Bool(false) => Vec::new(),
        other => vec![other.clone()],
    };
    let mut messages: Vec<String> = items
        .iter()
        .take(MAX_MESSAGES)
        .map(|item| match item {
            regorus::Value::String(text) => shorten(text),
            other => shorten(&other.to_string()),
        })
        .collect();
    if items.len() > MAX_MESSAGES {
        messages.push(format!("and {} more", items.len() - MAX_MESSAGES));
    }
    messages
}

fn shorten(text: &str) -> String {
    let mut out: String = text.chars().take(MAX_MESSAGE_CHARS).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    const SECOND: Duration = Duration::from_secs(5);

    fn statement(builder: &str) -> serde_json::Value {
        serde_json::json!({
            "_type": "https://in-toto.io/Statement/v1",
            "predicateType": "https://slsa.dev/provenance/v1",
            "subject": [{"name": "a", "digest": {"sha256": "ab"}}],
            "predicate": {"runDetails": {"builder": {"id": builder}}},
        })
    }

    /// cosign's documented example style (Rego v0: no `if`, `allow` with a body).
    const V0: &str = r#"
package signature

default allow = false

allow {
  input.predicateType == "https://slsa.dev/provenance/v1"
  startswith(input.predicate.runDetails.builder.id, "https://github.com/actions/")
}

deny[msg] {
  not startswith(input.predicate.runDetails.builder.id, "https://github.com/actions/")
  msg := sprintf("builder %v is not trusted", [input.predicate.runDetails.builder.id])
}
"#;

    #[test]
    fn allows_and_denies_with_the_policys_messages() {
        let policy = RegoPolicy::new("p.rego", V0).unwrap();
        let ok = policy
            .evaluate(&statement("https://github.com/actions/runner"), SECOND)
            .unwrap();
        assert!(ok.allowed() && ok.messages().is_empty());
        let denied = policy
            .evaluate(&statement("https://evil.example"), SECOND)
            .unwrap();
        assert!(!denied.allowed());
        assert_eq!(
            denied.messages(),
            ["builder https://evil.example is not trusted"]
        );
    }

    #[test]
    fn rego_v1_modules_read_too() {
        let v1 = "package signature\nimport rego.v1\ndefault allow := false\nallow if input.predicateType == \"https://slsa.dev/provenance/v1\"\n";
        let policy = RegoPolicy::new("v1.rego", v1).unwrap();
        assert!(policy.evaluate(&statement("x"), SECOND).unwrap().allowed());
    }

    #[test]
    fn undefined_allow_is_a_denial_that_says_so() {
        let policy = RegoPolicy::new("p.rego", "package signature\nallow { false }\n").unwrap();
        let verdict = policy.evaluate(&statement("x"), SECOND).unwrap();
        assert!(!verdict.allowed());
        assert!(verdict.messages()[0].contains("undefined"), "{verdict:?}");
    }

    #[test]
    fn other_packages_and_bad_syntax_are_refused() {
        let err = RegoPolicy::new("p.rego", "package other\nallow = true\n").unwrap_err();
        assert!(err.to_string().contains("package signature"), "{err}");
        assert!(RegoPolicy::new("p.rego", "package signature\nallow {{").is_err());
    }

    #[test]
    fn a_policy_that_runs_too_long_is_stopped() {
        let slow = r#"
package signature
allow {
  count([x | x := numbers.range(1, 100000)[_]; y := numbers.range(1, 100000)[_]; x == y]) > 0
}
"#;
        let policy = RegoPolicy::new("slow.rego", slow).unwrap();
        // (The CLI's test `hostile_policies_are_bounded` measures how soon.)
        let err = policy
            .evaluate(&statement("x"), Duration::from_millis(200))
            .unwrap_err();
        assert!(matches!(err, PolicyError::Evaluation { .. }), "{err}");
    }

    #[test]
    fn a_failing_builtin_fails_the_evaluation() {
        let policy = RegoPolicy::new(
            "p.rego",
            "package signature\nallow { to_number(\"x\") > 1 }\n",
        )
        .unwrap();
        assert!(policy.evaluate(&statement("x"), SECOND).is_err());
    }
}
