//! Rego policies over verified in-toto statements, in one of two conventions
//! ([`RegoConvention`]). Either way the input is the whole statement (the decoded DSSE
//! payload: `_type`, `subject`, `predicateType` and `predicate`), the module is read as Rego
//! v0 (a module with `import rego.v1` reads as v1), and evaluation is bounded in wall-clock
//! time. Evaluated by regorus, a pure-Rust Rego interpreter.
//!
//! * **cosign CLI** (`cosign verify-attestation --policy`, [`RegoPolicy::new`]): `package
//!   signature`, query `data.signature.allow`, which must be `true`. vouch adds one thing:
//!   when `allow` is not true, the messages of a `deny` rule in the same package (a set of
//!   strings, as conftest and Gatekeeper policies write them) say why.
//! * **policy-controller** (a `ClusterImagePolicy`'s `attestations[].policy`): `package
//!   sigstore`, query `data.sigstore.isCompliant`, read as cosign v3.0.5's `pkg/cosign/rego`
//!   reads it for policy-controller. The value is either a boolean (`true` passes) or a set (or
//!   array) of objects `{"result": bool, "error": "…", "warning": "…"}`, as
//!   `isCompliant[response] { … response := {"result": r, "error": e, "warning": w} }` writes
//!   it: the statement passes if any object's `result` is `true`, carrying that object's
//!   `warning`; otherwise the objects' `error`s say why, and their `warning`s are carried too.
//!   A lone object (`isCompliant := {"result": true}`) is not compliant, as there: write the
//!   set form. An undefined, empty or other value is not compliant; an object whose `result` is
//!   not a boolean, or whose `error` or `warning` is not a string, fails closed.
//!
//!   The input is what policy-controller passes (`AttestationToPayloadJSON`, cosign v3.0.5
//!   `pkg/policy/attestation.go`): the decoded in-toto statement, whole, the same input as the
//!   CLI convention. cosign first re-marshals the statements of predicate types it knows
//!   through Go structs, which can drop fields those structs lack; vouch passes the statement
//!   as signed.

use std::num::NonZeroU32;
use std::time::Duration;

/// The package cosign's CLI convention queries.
const PACKAGE: &str = "data.signature";
const ALLOW: &str = "data.signature.allow";
const DENY: &str = "data.signature.deny";
/// The package and rule policy-controller's convention queries.
const SIGSTORE_PACKAGE: &str = "data.sigstore";
const IS_COMPLIANT: &str = "data.sigstore.isCompliant";
/// Most deny messages kept, and characters of each.
const MAX_MESSAGES: usize = 32;
const MAX_MESSAGE_CHARS: usize = 500;

/// Which rule of which package a policy is evaluated by, and how its value is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum RegoConvention {
    /// `cosign verify-attestation --policy`: `package signature`, `allow` must be `true`
    /// (with vouch's `deny` messages).
    #[default]
    CosignCli,
    /// sigstore policy-controller: `package sigstore`, `isCompliant` a boolean or a set of
    /// `{"result", "error", "warning"}` objects.
    PolicyController,
}

impl RegoConvention {
    /// The package a module must declare (`signature`, `sigstore`).
    #[must_use]
    pub fn package(self) -> &'static str {
        match self {
            Self::CosignCli => "signature",
            Self::PolicyController => "sigstore",
        }
    }

    /// The rule evaluated (`data.signature.allow`, `data.sigstore.isCompliant`).
    #[must_use]
    pub fn query(self) -> &'static str {
        match self {
            Self::CosignCli => ALLOW,
            Self::PolicyController => IS_COMPLIANT,
        }
    }

    /// The package's path as regorus names it.
    fn data_package(self) -> &'static str {
        match self {
            Self::CosignCli => PACKAGE,
            Self::PolicyController => SIGSTORE_PACKAGE,
        }
    }
}

/// A Rego policy, parsed and ready to evaluate (`Send`, cloned per evaluation).
#[derive(Clone)]
pub struct RegoPolicy {
    name: String,
    engine: regorus::Engine,
    has_deny: bool,
    convention: RegoConvention,
}

impl std::fmt::Debug for RegoPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegoPolicy")
            .field("name", &self.name)
            .field("convention", &self.convention)
            .finish_non_exhaustive()
    }
}

/// What a policy said of one statement.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct PolicyVerdict {
    allowed: bool,
    messages: Vec<String>,
    warnings: Vec<String>,
}

impl PolicyVerdict {
    /// Whether the policy passed: `data.signature.allow` is `true` (cosign CLI), or
    /// `data.sigstore.isCompliant` is `true` or holds an object whose `result` is `true`
    /// (policy-controller).
    #[must_use]
    pub fn allowed(&self) -> bool {
        self.allowed
    }
    /// Why not: the `deny` rule's messages or what `allow` was (cosign CLI), the `error`s of
    /// `isCompliant`'s objects or what it was (policy-controller); empty when allowed.
    #[must_use]
    pub fn messages(&self) -> &[String] {
        &self.messages
    }
    /// The `warning`s of `isCompliant`'s objects (policy-controller), whether it passed or not;
    /// always empty in the cosign CLI convention. Note that policy-controller's webhook counts
    /// an attestation whose policy passed with a warning as not satisfying its authority
    /// (`pkg/webhook/validator.go`); what a warning costs is the caller's to decide.
    #[must_use]
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
}

/// A policy that cannot be used, or an evaluation that did not finish.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The module does not parse, or is not in its convention's package.
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
    /// Parses `source`, named `name` in messages (its file name), in cosign CLI's convention.
    ///
    /// # Errors
    ///
    /// [`PolicyError::Invalid`] if it does not parse or its package is not `signature`.
    pub fn new(name: &str, source: &str) -> Result<Self, PolicyError> {
        Self::with_convention(name, source, RegoConvention::CosignCli)
    }

    /// Parses `source`, named `name` in messages, to be evaluated in `convention`.
    ///
    /// # Errors
    ///
    /// [`PolicyError::Invalid`] if it does not parse or its package is not the convention's
    /// (`signature` or `sigstore`).
    pub fn with_convention(
        name: &str,
        source: &str,
        convention: RegoConvention,
    ) -> Result<Self, PolicyError> {
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
        if package != convention.data_package() {
            return Err(invalid(wrong_package(&package, convention)));
        }
        // `deny` messages are vouch's addition to the CLI convention only.
        let has_deny = convention == RegoConvention::CosignCli
            && engine
                .has_declared_rule_rooted_at(name, "deny")
                .unwrap_or(false);
        Ok(Self {
            name: name.to_owned(),
            engine,
            has_deny,
            convention,
        })
    }

    /// The convention it is evaluated in.
    #[must_use]
    pub fn convention(&self) -> RegoConvention {
        self.convention
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
        match self.convention {
            RegoConvention::CosignCli => self.evaluate_cli(&mut engine),
            RegoConvention::PolicyController => {
                let value = engine
                    .eval_rule(IS_COMPLIANT.to_owned())
                    .map_err(|err| failed(err.to_string()))?;
                Ok(is_compliant_verdict(&value))
            }
        }
    }

    /// cosign CLI: `allow` must be `true`; `deny` says why not.
    fn evaluate_cli(&self, engine: &mut regorus::Engine) -> Result<PolicyVerdict, PolicyError> {
        let failed = |detail: String| PolicyError::Evaluation {
            name: self.name.clone(),
            detail,
        };
        let allow = engine
            .eval_rule(ALLOW.to_owned())
            .map_err(|err| failed(err.to_string()))?;
        if allow == regorus::Value::from(true) {
            return Ok(PolicyVerdict::passed(Vec::new()));
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
            warnings: Vec::new(),
        })
    }
}

impl PolicyVerdict {
    fn passed(warnings: Vec<String>) -> Self {
        Self {
            allowed: true,
            messages: Vec::new(),
            warnings,
        }
    }

    fn refused(message: String) -> Self {
        Self {
            allowed: false,
            messages: vec![message],
            warnings: Vec::new(),
        }
    }
}

/// Why a module's package is refused, naming the convention's.
fn wrong_package(package: &str, convention: RegoConvention) -> String {
    let found = package.strip_prefix("data.").unwrap_or(package);
    match convention {
        RegoConvention::CosignCli => format!(
            "its package is `{found}`; cosign's convention (which vouch follows) evaluates \
             `{ALLOW}`: write `package signature` with an `allow` rule"
        ),
        RegoConvention::PolicyController => format!(
            "its package is `{found}`; policy-controller's convention evaluates \
             `{IS_COMPLIANT}`: write `package sigstore` with an `isCompliant` rule"
        ),
    }
}

/// policy-controller's reading of `isCompliant` (cosign v3.0.5 `pkg/cosign/rego`): `true`, or
/// a set or array of result objects any one of which has `result: true`.
fn is_compliant_verdict(value: &regorus::Value) -> PolicyVerdict {
    let items: Vec<&regorus::Value> = match value {
        regorus::Value::Bool(true) => return PolicyVerdict::passed(Vec::new()),
        regorus::Value::Set(set) => set.iter().collect(),
        regorus::Value::Array(items) => items.iter().collect(),
        regorus::Value::Undefined => {
            return PolicyVerdict::refused(format!("`{IS_COMPLIANT}` is undefined"));
        }
        regorus::Value::Object(_) => {
            return PolicyVerdict::refused(format!(
                "`{IS_COMPLIANT}` is a single object; policy-controller reads a set of \
                 {{\"result\", \"error\", \"warning\"}} objects: write \
                 `isCompliant[response] {{ … }}`"
            ));
        }
        other => {
            return PolicyVerdict::refused(format!(
                "`{IS_COMPLIANT}` is {}, not true",
                shorten(&other.to_string())
            ));
        }
    };
    if items.is_empty() {
        return PolicyVerdict::refused(format!(
            "`{IS_COMPLIANT}` is an empty set: no result is true"
        ));
    }
    // Any passing object is enough, wherever it is (Go returns at the first in its order).
    for item in &items {
        if let Ok(result) = ComplianceResult::read(item)
            && result.passed
        {
            return PolicyVerdict::passed(result.warning.into_iter().collect());
        }
    }
    let mut messages = Vec::new();
    let mut warnings = Vec::new();
    for item in items.iter().take(MAX_MESSAGES) {
        match ComplianceResult::read(item) {
            Ok(result) => {
                messages.push(result.error.unwrap_or_else(|| {
                    format!("`{IS_COMPLIANT}` holds a false result, with no error")
                }));
                warnings.extend(result.warning);
            }
            // A malformed object fails closed, as a Go unmarshalling error does there.
            Err(message) => messages.push(message),
        }
    }
    if items.len() > MAX_MESSAGES {
        messages.push(format!("and {} more", items.len() - MAX_MESSAGES));
    }
    PolicyVerdict {
        allowed: false,
        messages,
        warnings,
    }
}

/// One `{"result", "error", "warning"}` object.
struct ComplianceResult {
    passed: bool,
    error: Option<String>,
    warning: Option<String>,
}

impl ComplianceResult {
    /// Reads an object as Go's `json.Unmarshal` into cosign's struct would: `result` a
    /// boolean, `error` and `warning` strings, each optional (null is absent); other keys
    /// ignored.
    fn read(item: &regorus::Value) -> Result<Self, String> {
        let regorus::Value::Object(fields) = item else {
            return Err(format!(
                "`{IS_COMPLIANT}` holds {}, not a {{\"result\", \"error\", \"warning\"}} object",
                shorten(&item.to_string())
            ));
        };
        let field = |key: &str| fields.get(&regorus::Value::from(key));
        let passed = match field("result") {
            None | Some(regorus::Value::Null) => false,
            Some(regorus::Value::Bool(passed)) => *passed,
            Some(other) => {
                return Err(format!(
                    "`{IS_COMPLIANT}`: `result` is {}, not a boolean",
                    shorten(&other.to_string())
                ));
            }
        };
        let text = |key: &str| match field(key) {
            None | Some(regorus::Value::Null) => Ok(None),
            Some(regorus::Value::String(text)) if text.is_empty() => Ok(None),
            Some(regorus::Value::String(text)) => Ok(Some(shorten(text))),
            Some(other) => Err(format!(
                "`{IS_COMPLIANT}`: `{key}` is {}, not a string",
                shorten(&other.to_string())
            )),
        };
        Ok(Self {
            passed,
            error: text("error")?,
            warning: text("warning")?,
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

#[cfg(test)]
mod policy_controller_tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    const SECOND: Duration = Duration::from_secs(5);

    fn custom(data: &str) -> serde_json::Value {
        serde_json::json!({
            "_type": "https://in-toto.io/Statement/v0.1",
            "predicateType": "https://cosign.sigstore.dev/attestation/v1",
            "subject": [{"name": "a", "digest": {"sha256": "ab"}}],
            "predicate": {"Data": data, "Timestamp": "2022-01-01T00:00:00Z"},
        })
    }

    fn policy(source: &str) -> RegoPolicy {
        RegoPolicy::with_convention("p.rego", source, RegoConvention::PolicyController).unwrap()
    }

    /// policy-controller's e2e example (`cip-keyless-with-attestations-rego.yaml`): a boolean.
    const BOOLEAN: &str = r#"
package sigstore
default isCompliant = false
isCompliant {
  input.predicateType == "https://cosign.sigstore.dev/attestation/v1"
  input.predicate.Data == "foobar e2e test"
}
"#;

    /// The object form policy-controller documents: a set of result objects.
    const OBJECTS: &str = r#"
package sigstore
isCompliant[response] {
  ok := input.predicate.Data == "good"
  response := {
    "result": ok,
    "error": sprintf("Data is %v", [input.predicate.Data]),
    "warning": "checked by a test policy",
  }
}
"#;

    #[test]
    fn a_boolean_passes_and_fails() {
        let policy = policy(BOOLEAN);
        assert_eq!(policy.convention(), RegoConvention::PolicyController);
        let ok = policy.evaluate(&custom("foobar e2e test"), SECOND).unwrap();
        assert!(ok.allowed() && ok.messages().is_empty() && ok.warnings().is_empty());
        let no = policy.evaluate(&custom("other"), SECOND).unwrap();
        assert!(!no.allowed());
        assert!(
            no.messages()[0].contains("data.sigstore.isCompliant"),
            "{no:?}"
        );
    }

    #[test]
    fn result_objects_pass_with_their_warning_and_fail_with_their_error() {
        let policy = policy(OBJECTS);
        let ok = policy.evaluate(&custom("good"), SECOND).unwrap();
        assert!(ok.allowed(), "{ok:?}");
        assert_eq!(ok.warnings(), ["checked by a test policy"]);
        let no = policy.evaluate(&custom("bad"), SECOND).unwrap();
        assert!(!no.allowed());
        assert_eq!(no.messages(), ["Data is bad"]);
        assert_eq!(no.warnings(), ["checked by a test policy"]);
    }

    #[test]
    fn any_passing_object_is_enough() {
        let source = r#"
package sigstore
isCompliant[r] { r := {"result": false, "error": "first"} }
isCompliant[r] { r := {"result": true} }
"#;
        let verdict = policy(source).evaluate(&custom("x"), SECOND).unwrap();
        assert!(
            verdict.allowed() && verdict.warnings().is_empty(),
            "{verdict:?}"
        );
    }

    #[test]
    fn undefined_empty_lone_objects_and_malformed_results_are_not_compliant() {
        let cases = [
            ("package sigstore\nisCompliant { false }\n", "undefined"),
            (
                "package sigstore\nisCompliant[r] { false; r := 1 }\n",
                "empty set",
            ),
            (
                "package sigstore\nisCompliant := {\"result\": true}\n",
                "single object",
            ),
            ("package sigstore\nisCompliant := \"yes\"\n", "not true"),
            (
                "package sigstore\nisCompliant[r] { r := {\"result\": \"true\"} }\n",
                "not a boolean",
            ),
            (
                "package sigstore\nisCompliant[r] { r := {\"result\": true, \"error\": 1} }\n",
                "not a string",
            ),
            (
                "package sigstore\nisCompliant[r] { r := true }\n",
                "not a {",
            ),
        ];
        for (source, expected) in cases {
            let verdict = policy(source).evaluate(&custom("x"), SECOND).unwrap();
            assert!(!verdict.allowed(), "{source}: {verdict:?}");
            assert!(
                verdict.messages().iter().any(|m| m.contains(expected)),
                "{source}: {verdict:?}"
            );
        }
    }

    #[test]
    fn the_wrong_package_is_refused_in_either_convention() {
        let err = RegoPolicy::with_convention(
            "p.rego",
            "package signature\nallow = true\n",
            RegoConvention::PolicyController,
        )
        .unwrap_err();
        assert!(err.to_string().contains("package sigstore"), "{err}");
        let err = RegoPolicy::new("p.rego", BOOLEAN).unwrap_err();
        assert!(err.to_string().contains("package signature"), "{err}");
        assert_eq!(RegoConvention::default(), RegoConvention::CosignCli);
        assert_eq!(RegoConvention::PolicyController.package(), "sigstore");
        assert_eq!(
            RegoConvention::PolicyController.query(),
            "data.sigstore.isCompliant"
        );
    }

    #[test]
    fn a_deny_rule_means_nothing_to_policy_controller() {
        let source = "package sigstore\nisCompliant = false\ndeny[\"no\"] { true }\n";
        let verdict = policy(source).evaluate(&custom("x"), SECOND).unwrap();
        assert!(!verdict.allowed());
        assert!(verdict.messages()[0].contains("false"), "{verdict:?}");
    }
}
