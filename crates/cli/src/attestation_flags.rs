//! What the attestation commands read from their flags before anything is verified: who must
//! have signed (a key, an identity, GitHub's convention), the predicate type, the Rego policies
//! and their bounds; and, for the attesting commands, the predicate.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context as _;
use vouch_attest::{AttestationPolicy, PredicateType, RegoPolicy};

use crate::args::{AttestationArgs, GithubArgs, WorkflowArgs};
use crate::attestations::Limits;
use crate::error::{InputError, Role};
use crate::github;
use crate::input;
use crate::signer::{self, Keyless};

/// Policies are text someone wrote.
const MAX_POLICY_LEN: u64 = 1 << 20;
/// A predicate is a document someone wrote or a build produced; SBOMs run to tens of MiB.
const MAX_PREDICATE_LEN: u64 = 256 << 20;

/// Everything an attestation is checked against.
pub(crate) struct Setup {
    pub(crate) policy: AttestationPolicy,
    /// The most memory a statement may take as a tree, in bytes (bundles are read with it).
    pub(crate) statement_cost: u64,
    pub(crate) policies: Vec<RegoPolicy>,
    pub(crate) limits: Limits,
}

/// The signer (key, identity flags, cosign's workflow flags, gh's flags), the type and the
/// policies. `keyless` comes without extensions; `command` names the command in errors.
pub(crate) fn setup(
    key: Option<&Path>,
    given: Keyless<'_>,
    workflow: &WorkflowArgs,
    github_args: &GithubArgs,
    insecure_ignore_tlog: bool,
    attestation: &AttestationArgs,
    command: &str,
) -> anyhow::Result<Setup> {
    let mut extensions = signer::workflow_extensions(workflow);
    let github = github::requirements(github_args)?;
    // Shorter-lived than `given`: it borrows what this function derives.
    let mut keyless = given;
    if let Some(github) = &github {
        if key.is_some() {
            return Err(InputError::Usage {
                message: "--owner, --repo and the other GitHub flags verify attestations signed \
                          keylessly by GitHub Actions; drop --key"
                    .to_owned(),
            }
            .into());
        }
        if keyless.identity.is_none() && keyless.identity_regexp.is_none() {
            keyless.identity_regexp = Some(&github.identity_regexp);
        }
        if keyless.issuer.is_none() && keyless.issuer_regexp.is_none() {
            keyless.issuer = Some(github::ACTIONS_ISSUER);
        }
        extensions.extend(github.extensions.iter().cloned());
    }
    keyless.extensions = &extensions;
    let signer = signer::policy(key, keyless, insecure_ignore_tlog, command)?;
    let statement_cost = attestation.statement_memory.saturating_mul(1 << 20);
    let mut policy = AttestationPolicy::new(signer).with_max_statement_cost(statement_cost);
    if let Some(given) = &attestation.predicate_type {
        policy = policy.with_predicate_type(PredicateType::parse(given).map_err(|err| {
            InputError::Usage {
                message: format!("--type: {err}"),
            }
        })?);
    }
    Ok(Setup {
        policy,
        statement_cost,
        policies: read_policies(&attestation.policy)?,
        limits: Limits {
            time: Duration::from_secs(attestation.policy_timeout.max(1)),
            memory: usize::try_from(attestation.policy_memory.saturating_mul(1 << 20))
                .unwrap_or(usize::MAX),
        },
    })
}

fn read_policies(paths: &[PathBuf]) -> Result<Vec<RegoPolicy>, InputError> {
    paths
        .iter()
        .map(|path| {
            if path.extension().and_then(|e| e.to_str()) != Some("rego") {
                return Err(InputError::Usage {
                    message: format!(
                        "--policy {}: vouch evaluates Rego policies (`.rego`); CUE policies \
                         (`.cue`), which cosign also takes, are not supported",
                        input::display(path)
                    ),
                });
            }
            let bytes = input::read_small(path, Role::Policy, MAX_POLICY_LEN, "Rego policy")?;
            let text = String::from_utf8(bytes).map_err(|_| InputError::Usage {
                message: format!("--policy {}: not UTF-8 text", input::display(path)),
            })?;
            RegoPolicy::new(&input::display(path), &text).map_err(|err| InputError::Usage {
                message: format!("--policy: {err}"),
            })
        })
        .collect()
}

/// The predicate: JSON, one object, read strictly; for `custom`, any UTF-8 text, wrapped.
pub(crate) fn read_predicate(
    path: &Path,
    predicate_type: &PredicateType,
) -> anyhow::Result<serde_json::Value> {
    let bytes = input::read_small(path, Role::Predicate, MAX_PREDICATE_LEN, "predicate")?;
    let shown = input::display(path);
    if predicate_type.as_str() == "https://cosign.sigstore.dev/attestation/v1" {
        let text = String::from_utf8(bytes).map_err(|_| InputError::Usage {
            message: format!("--predicate {shown}: not UTF-8 text"),
        })?;
        let now = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
            .context("reading the clock")?;
        return Ok(vouch_attest::custom_predicate(&text, &now.to_string()));
    }
    let invalid = |detail: String| InputError::Usage {
        message: format!(
            "--predicate {shown}: {detail}; a predicate of type {predicate_type} is a JSON object \
             (use --type custom for other text)"
        ),
    };
    vouch_sigstore::check_json(&bytes, u64::MAX).map_err(|err| invalid(err.to_string()))?;
    match serde_json::from_slice(&bytes) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        Ok(_) => Err(invalid("not a JSON object".to_owned()).into()),
        Err(err) => Err(invalid(format!("not JSON: {err}")).into()),
    }
}
