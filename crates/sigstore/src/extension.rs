//! Fulcio's certificate extensions about the CI workload a keyless certificate was issued to,
//! which a policy can require beside the identity: the repository, ref, commit and workflow of a
//! GitHub Actions run, as cosign's `--certificate-github-workflow-*` flags and `gh attestation
//! verify`'s `--owner` / `--repo` / `--signer-workflow` match them.
//!
//! OIDs and meanings: Fulcio's `docs/oid-info.md`. The values are read from the verified
//! certificate by sigstore-verify (`CertificateInfo::ci_claims`).

use std::fmt;

/// One extension of the arc `1.3.6.1.4.1.57264.1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Extension {
    /// `.1.2`, deprecated by Fulcio but still issued: the event that triggered the workflow
    /// (`push`); cosign's `--certificate-github-workflow-trigger`.
    GithubWorkflowTrigger,
    /// `.1.3`: the commit the workflow ran on; `--certificate-github-workflow-sha`.
    GithubWorkflowSha,
    /// `.1.4`: the workflow's name; `--certificate-github-workflow-name`.
    GithubWorkflowName,
    /// `.1.5`: `owner/repo`; `--certificate-github-workflow-repository`.
    GithubWorkflowRepository,
    /// `.1.6`: the ref (`refs/heads/main`); `--certificate-github-workflow-ref`.
    GithubWorkflowRef,
    /// `.1.9`: the build configuration that signed, with its ref (the SAN's source).
    BuildSignerUri,
    /// `.1.11`: where the workflow ran, `github-hosted` or `self-hosted`.
    RunnerEnvironment,
    /// `.1.12`: the source repository's URL (`https://github.com/owner/repo`).
    SourceRepositoryUri,
    /// `.1.13`: the source commit.
    SourceRepositoryDigest,
    /// `.1.14`: the source ref.
    SourceRepositoryRef,
    /// `.1.16`: the repository owner's URL (`https://github.com/owner`).
    SourceRepositoryOwnerUri,
}

impl Extension {
    /// The extension's OID.
    #[must_use]
    pub fn oid(self) -> &'static str {
        match self {
            Self::GithubWorkflowTrigger => "1.3.6.1.4.1.57264.1.2",
            Self::GithubWorkflowSha => "1.3.6.1.4.1.57264.1.3",
            Self::GithubWorkflowName => "1.3.6.1.4.1.57264.1.4",
            Self::GithubWorkflowRepository => "1.3.6.1.4.1.57264.1.5",
            Self::GithubWorkflowRef => "1.3.6.1.4.1.57264.1.6",
            Self::BuildSignerUri => "1.3.6.1.4.1.57264.1.9",
            Self::RunnerEnvironment => "1.3.6.1.4.1.57264.1.11",
            Self::SourceRepositoryUri => "1.3.6.1.4.1.57264.1.12",
            Self::SourceRepositoryDigest => "1.3.6.1.4.1.57264.1.13",
            Self::SourceRepositoryRef => "1.3.6.1.4.1.57264.1.14",
            Self::SourceRepositoryOwnerUri => "1.3.6.1.4.1.57264.1.16",
        }
    }

    /// Fulcio's name for it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::GithubWorkflowTrigger => "GitHub Workflow Trigger",
            Self::GithubWorkflowSha => "GitHub Workflow SHA",
            Self::GithubWorkflowName => "GitHub Workflow Name",
            Self::GithubWorkflowRepository => "GitHub Workflow Repository",
            Self::GithubWorkflowRef => "GitHub Workflow Ref",
            Self::BuildSignerUri => "Build Signer URI",
            Self::RunnerEnvironment => "Runner Environment",
            Self::SourceRepositoryUri => "Source Repository URI",
            Self::SourceRepositoryDigest => "Source Repository Digest",
            Self::SourceRepositoryRef => "Source Repository Ref",
            Self::SourceRepositoryOwnerUri => "Source Repository Owner URI",
        }
    }

    /// Its value in a verified certificate, if the certificate has it.
    pub(crate) fn value(self, certificate: &sigstore_crypto::CertificateInfo) -> Option<&str> {
        let claims = &certificate.ci_claims;
        let github = &claims.deprecated_github;
        match self {
            Self::GithubWorkflowTrigger => github.workflow_trigger.as_deref(),
            Self::GithubWorkflowSha => github.workflow_sha.as_deref(),
            Self::GithubWorkflowName => github.workflow_name.as_deref(),
            Self::GithubWorkflowRepository => github.workflow_repository.as_deref(),
            Self::GithubWorkflowRef => github.workflow_ref.as_deref(),
            Self::BuildSignerUri => claims.build_signer_uri.as_deref(),
            Self::RunnerEnvironment => claims.runner_environment.as_deref(),
            Self::SourceRepositoryUri => claims.source_repository_uri.as_deref(),
            Self::SourceRepositoryDigest => claims.source_repository_digest.as_deref(),
            Self::SourceRepositoryRef => claims.source_repository_ref.as_deref(),
            Self::SourceRepositoryOwnerUri => claims.source_repository_owner_uri.as_deref(),
        }
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.oid())
    }
}
