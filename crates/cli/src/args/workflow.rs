//! Flags that match a keyless certificate's GitHub Actions extensions: cosign's
//! `--certificate-github-workflow-*`, and `gh attestation verify`'s `--owner`, `--repo`,
//! `--signer-repo`, `--signer-workflow`, `--source-ref`, `--source-digest`,
//! `--deny-self-hosted-runners`.

use clap::Args;

// cosign's `--certificate-github-workflow-*`: each, when given, must equal the certificate's
// extension exactly.
#[derive(Debug, Args)]
pub(crate) struct WorkflowArgs {
    /// Keyless: the event that triggered the signing workflow (`push`, `release`; Fulcio
    /// extension 1.3.6.1.4.1.57264.1.2), exactly.
    #[arg(long, value_name = "EVENT")]
    pub(crate) certificate_github_workflow_trigger: Option<String>,

    /// Keyless: the commit the signing workflow ran on (extension …57264.1.3), exactly.
    #[arg(long, value_name = "SHA")]
    pub(crate) certificate_github_workflow_sha: Option<String>,

    /// Keyless: the signing workflow's name (extension …57264.1.4), exactly.
    #[arg(long, value_name = "NAME")]
    pub(crate) certificate_github_workflow_name: Option<String>,

    /// Keyless: the repository the workflow ran in, `owner/repo` (extension …57264.1.5),
    /// exactly.
    #[arg(long, value_name = "OWNER/REPO")]
    pub(crate) certificate_github_workflow_repository: Option<String>,

    /// Keyless: the ref the workflow ran on, `refs/heads/main` (extension …57264.1.6), exactly.
    #[arg(long, value_name = "REF")]
    pub(crate) certificate_github_workflow_ref: Option<String>,
}

// `gh attestation verify`'s flags for attestations made by GitHub Actions.
#[derive(Debug, Args)]
pub(crate) struct GithubArgs {
    /// GitHub: the attestation was made in a repository of this owner (organization or user);
    /// implies keyless verification with GitHub Actions as the issuer.
    #[arg(long, value_name = "OWNER", conflicts_with = "repo")]
    pub(crate) owner: Option<String>,

    /// GitHub: the attestation was made in this repository (`owner/repo`); implies keyless
    /// verification with GitHub Actions as the issuer.
    #[arg(long, short = 'R', value_name = "OWNER/REPO")]
    pub(crate) repo: Option<String>,

    /// GitHub: the signing workflow lives in this repository (`owner/repo`), when it is not
    /// the source repository (reusable workflows).
    #[arg(long, value_name = "OWNER/REPO", conflicts_with = "signer_workflow")]
    pub(crate) signer_repo: Option<String>,

    /// GitHub: the signing workflow, `[host/]owner/repo/.github/workflows/file.yml`, at any
    /// ref.
    #[arg(long, value_name = "WORKFLOW")]
    pub(crate) signer_workflow: Option<String>,

    /// GitHub: the ref the artifact was built from (`refs/heads/main`, `refs/tags/v1.2.3`).
    #[arg(long, value_name = "REF")]
    pub(crate) source_ref: Option<String>,

    /// GitHub: the commit the artifact was built from.
    #[arg(long, value_name = "SHA")]
    pub(crate) source_digest: Option<String>,

    /// GitHub: refuse attestations made on self-hosted runners.
    #[arg(long)]
    pub(crate) deny_self_hosted_runners: bool,
}
