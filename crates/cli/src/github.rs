//! `gh attestation verify`'s convention for attestations made by GitHub Actions: `--owner`,
//! `--repo`, `--signer-repo`, `--signer-workflow`, `--source-ref`, `--source-digest`,
//! `--deny-self-hosted-runners`, turned into the identity, issuer and certificate extensions a
//! keyless policy requires.
//!
//! As gh does: the issuer defaults to GitHub Actions'; the signer identity (the certificate's
//! SAN, the signing workflow's URL with its ref) defaults to any workflow of the repository, or
//! of the owner; `--owner` and `--repo` also require the source repository's extensions.
//! Owner and repository names compare without regard to case, as GitHub treats them.

use vouch_sigstore::{Extension, Matcher};

use crate::args::GithubArgs;
use crate::error::InputError;

/// The OIDC issuer of GitHub Actions' tokens.
pub(crate) const ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// What the GitHub flags require of the certificate.
pub(crate) struct Requirements {
    /// A regex over the signer identity, when no --certificate-identity(-regexp) was given.
    pub(crate) identity_regexp: String,
    /// Extensions that must match.
    pub(crate) extensions: Vec<(Extension, Matcher)>,
}

/// `None` when no GitHub flag is given.
pub(crate) fn requirements(args: &GithubArgs) -> Result<Option<Requirements>, InputError> {
    let given = args.owner.is_some()
        || args.repo.is_some()
        || args.signer_repo.is_some()
        || args.signer_workflow.is_some()
        || args.source_ref.is_some()
        || args.source_digest.is_some()
        || args.deny_self_hosted_runners;
    if !given {
        return Ok(None);
    }
    let mut extensions = Vec::new();
    let source = match (&args.owner, &args.repo) {
        (Some(owner), None) => {
            let owner = name(owner, "--owner", 1)?;
            let url = format!("https://github.com/{owner}");
            extensions.push((Extension::SourceRepositoryOwnerUri, caseless(&url)?));
            Some(url)
        }
        (None, Some(repo)) => {
            let repo = name(repo, "--repo", 2)?;
            let url = format!("https://github.com/{repo}");
            extensions.push((Extension::SourceRepositoryUri, caseless(&url)?));
            Some(url)
        }
        _ => None,
    };
    let signer = match (&args.signer_repo, &args.signer_workflow) {
        (Some(repo), _) => {
            let url = format!("https://github.com/{}", name(repo, "--signer-repo", 2)?);
            format!("{}/.*", caseless_pattern(&url))
        }
        (None, Some(workflow)) => {
            format!("{}@.*", workflow_url_pattern(workflow)?)
        }
        (None, None) => match &source {
            Some(url) => format!("{}/.*", caseless_pattern(url)),
            None => {
                return Err(InputError::Usage {
                    message: "the GitHub flags need --owner or --repo (or --signer-repo / \
                              --signer-workflow) to say whose attestations count"
                        .to_owned(),
                });
            }
        },
    };
    if let Some(reference) = &args.source_ref {
        extensions.push((Extension::SourceRepositoryRef, Matcher::exact(reference)));
    }
    if let Some(digest) = &args.source_digest {
        extensions.push((Extension::SourceRepositoryDigest, Matcher::exact(digest)));
    }
    if args.deny_self_hosted_runners {
        extensions.push((
            Extension::RunnerEnvironment,
            Matcher::exact("github-hosted"),
        ));
    }
    Ok(Some(Requirements {
        identity_regexp: signer,
        extensions,
    }))
}

/// `owner` or `owner/repo`: `parts` path segments of GitHub's name characters.
fn name<'a>(value: &'a str, flag: &str, parts: usize) -> Result<&'a str, InputError> {
    let segments: Vec<&str> = value.split('/').collect();
    let valid = segments.len() == parts
        && segments.iter().all(|s| {
            !s.is_empty()
                && s.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if valid {
        Ok(value)
    } else {
        Err(InputError::Usage {
            message: format!(
                "{flag}: expected {}, found `{}`",
                if parts == 1 {
                    "an owner name"
                } else {
                    "`owner/repo`"
                },
                value.escape_debug()
            ),
        })
    }
}

/// `[host/]owner/repo/path/to/workflow.yml` as a regex over the workflow's URL, without its ref.
fn workflow_url_pattern(workflow: &str) -> Result<String, InputError> {
    let trimmed = workflow.trim_start_matches("https://");
    let (host, path) = match trimmed.split_once('/') {
        Some((first, rest)) if first.contains('.') => (first, rest),
        _ => ("github.com", trimmed),
    };
    let segments: Vec<&str> = path.split('/').collect();
    if segments.len() < 3 || segments.iter().any(|s| s.is_empty()) || workflow.contains('@') {
        return Err(InputError::Usage {
            message: format!(
                "--signer-workflow: expected `owner/repo/.github/workflows/file.yml` (no ref), \
                 found `{}`",
                workflow.escape_debug()
            ),
        });
    }
    let (repo, rest) = path.split_at(segments[0].len() + 1 + segments[1].len());
    Ok(format!(
        "{}{}",
        caseless_pattern(&format!("https://{host}/{repo}")),
        regex::escape(rest)
    ))
}

/// A case-insensitive regex matching exactly `text`.
fn caseless_pattern(text: &str) -> String {
    format!("(?i:{})", regex::escape(text))
}

fn caseless(text: &str) -> Result<Matcher, InputError> {
    Matcher::regex(&caseless_pattern(text)).map_err(|err| InputError::Usage {
        message: err.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> GithubArgs {
        GithubArgs {
            owner: None,
            repo: None,
            signer_repo: None,
            signer_workflow: None,
            source_ref: None,
            source_digest: None,
            deny_self_hosted_runners: false,
        }
    }

    fn identity(args: &GithubArgs) -> Matcher {
        Matcher::regex(&requirements(args).unwrap().unwrap().identity_regexp).unwrap()
    }

    #[test]
    fn repo_matches_its_workflows_at_any_ref_and_nothing_else() {
        let m = identity(&GithubArgs {
            repo: Some("Acme/app".into()),
            ..args()
        });
        assert!(
            m.matches("https://github.com/acme/APP/.github/workflows/release.yml@refs/tags/v1")
        );
        assert!(
            !m.matches("https://github.com/acme/app-evil/.github/workflows/r.yml@refs/heads/main")
        );
        assert!(!m.matches("https://github.com/acme/apps/x@y"));
        assert!(!m.matches("https://github.com.evil/acme/app/x"));
    }

    #[test]
    fn signer_workflow_is_literal_and_needs_a_ref() {
        let m = identity(&GithubArgs {
            owner: Some("acme".into()),
            signer_workflow: Some("acme/app/.github/workflows/release.yml".into()),
            ..args()
        });
        assert!(
            m.matches("https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main")
        );
        assert!(
            !m.matches("https://github.com/acme/app/.github/workflows/releaseXyml@refs/heads/main")
        );
        assert!(!m.matches("https://github.com/acme/app/.github/workflows/release.yml"));
        let hosted = identity(&GithubArgs {
            owner: Some("acme".into()),
            signer_workflow: Some("ghe.example.com/acme/app/.github/workflows/r.yml".into()),
            ..args()
        });
        assert!(
            hosted.matches("https://ghe.example.com/acme/app/.github/workflows/r.yml@refs/heads/x")
        );
    }

    #[test]
    fn names_are_checked() {
        for bad in ["", "a/b", "a b", "a/../b"] {
            assert!(
                requirements(&GithubArgs {
                    owner: Some(bad.into()),
                    ..args()
                })
                .is_err(),
                "{bad}"
            );
        }
        assert!(
            requirements(&GithubArgs {
                repo: Some("only-owner".into()),
                ..args()
            })
            .is_err()
        );
        assert!(
            requirements(&GithubArgs {
                source_ref: Some("refs/heads/main".into()),
                ..args()
            })
            .is_err(),
            "whose attestations is not said"
        );
        assert!(requirements(&args()).unwrap().is_none());
    }
}
