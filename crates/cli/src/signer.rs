//! Who must have signed, from the flags: a key, or a keyless identity and issuer; and the
//! trust root that keyless signatures and log entries are checked against. Shared by
//! `verify-blob --bundle` and `verify`.

use std::path::Path;

use vouch_sigstore::{Extension, Matcher, Policy, TrustRoot, Verifier};

use crate::args::WorkflowArgs;
use crate::error::{InputError, Role};
use crate::input;

const MAX_TRUSTED_ROOT_LEN: u64 = 16 << 20;

/// The keyless flags, as cosign names them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keyless<'a> {
    pub(crate) identity: Option<&'a str>,
    pub(crate) identity_regexp: Option<&'a str>,
    pub(crate) issuer: Option<&'a str>,
    pub(crate) issuer_regexp: Option<&'a str>,
    /// Certificate extensions that must match as well.
    pub(crate) extensions: &'a [(Extension, Matcher)],
}

/// The extensions cosign's `--certificate-github-workflow-*` flags require, each exactly.
pub(crate) fn workflow_extensions(args: &WorkflowArgs) -> Vec<(Extension, Matcher)> {
    [
        (
            Extension::GithubWorkflowTrigger,
            &args.certificate_github_workflow_trigger,
        ),
        (
            Extension::GithubWorkflowSha,
            &args.certificate_github_workflow_sha,
        ),
        (
            Extension::GithubWorkflowName,
            &args.certificate_github_workflow_name,
        ),
        (
            Extension::GithubWorkflowRepository,
            &args.certificate_github_workflow_repository,
        ),
        (
            Extension::GithubWorkflowRef,
            &args.certificate_github_workflow_ref,
        ),
    ]
    .into_iter()
    .filter_map(|(extension, value)| Some((extension, Matcher::exact(value.as_deref()?))))
    .collect()
}

/// The policy the flags describe: a key, or an identity and issuer (exact or regex).
pub(crate) fn policy(
    key: Option<&Path>,
    keyless: Keyless<'_>,
    insecure_ignore_tlog: bool,
    command: &str,
) -> anyhow::Result<Policy> {
    let matcher = |exact: Option<&str>, pattern: Option<&str>| -> anyhow::Result<_> {
        Ok(match (exact, pattern) {
            (Some(exact), None) => Some(Matcher::exact(exact)),
            (None, Some(pattern)) => Some(Matcher::regex(pattern)?),
            _ => None,
        })
    };
    let identity = matcher(keyless.identity, keyless.identity_regexp)?;
    let issuer = matcher(keyless.issuer, keyless.issuer_regexp)?;
    if let (Some(_), Some((extension, _))) = (key, keyless.extensions.first()) {
        return Err(InputError::Usage {
            message: format!(
                "certificate extension {extension}: only a keyless certificate carries \
                 extensions, and --key verifies key signatures; drop --key and give the \
                 signer's identity and issuer"
            ),
        }
        .into());
    }
    let policy = match (key, identity, issuer) {
        (Some(key), None, None) => Policy::key(input::read_key(key)?),
        (None, Some(identity), Some(issuer)) => Policy::identity(identity, issuer),
        (None, Some(_), None) | (None, None, Some(_)) => {
            return Err(InputError::Usage {
                message: "keyless verification needs both an identity (--certificate-identity or \
                          --certificate-identity-regexp) and an issuer (--certificate-oidc-issuer or \
                          --certificate-oidc-issuer-regexp)"
                    .to_owned(),
            }
            .into());
        }
        _ => {
            return Err(InputError::Usage {
                message: format!(
                    "{command} needs --key, or --certificate-identity[-regexp] with \
                     --certificate-oidc-issuer[-regexp]"
                ),
            }
            .into());
        }
    };
    let policy = keyless
        .extensions
        .iter()
        .fold(policy, |policy, (extension, value)| {
            policy.require_extension(*extension, value.clone())
        });
    Ok(if insecure_ignore_tlog {
        policy.insecure_ignore_tlog()
    } else {
        policy
    })
}

/// A verifier for `--trusted-root FILE`, or for the embedded production root.
pub(crate) fn verifier(trusted_root: Option<&Path>) -> anyhow::Result<Verifier> {
    verifier_of(&trust_root(trusted_root)?, trusted_root)
}

/// `--trusted-root FILE`, or the embedded production root.
pub(crate) fn trust_root(trusted_root: Option<&Path>) -> anyhow::Result<TrustRoot> {
    Ok(match trusted_root {
        Some(path) => {
            let bytes =
                input::read_small(path, Role::TrustRoot, MAX_TRUSTED_ROOT_LEN, "trusted root")?;
            TrustRoot::from_json(&String::from_utf8_lossy(&bytes)).map_err(|source| {
                InputError::TrustRoot {
                    path: input::display(path),
                    source,
                }
            })?
        }
        None => TrustRoot::production()?,
    })
}

/// A verifier for `root`, read from `trusted_root` (none: the embedded root).
pub(crate) fn verifier_of(
    root: &TrustRoot,
    trusted_root: Option<&Path>,
) -> anyhow::Result<Verifier> {
    Ok(Verifier::new(root).map_err(|source| InputError::TrustRoot {
        path: trusted_root.map_or_else(
            || "the embedded production trusted root".to_owned(),
            input::display,
        ),
        source,
    })?)
}
