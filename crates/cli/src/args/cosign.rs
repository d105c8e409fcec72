//! cosign's flags that vouch does not implement, taken so that a cosign script gets a message
//! saying so and why, instead of a bare "unexpected argument" or, worse, silence.
//!
//! The flags are hidden from `--help`; docs/cli.md lists them ("cosign compatibility").

use clap::Args;

// Flags of `cosign verify` / `verify-blob` / `sign` / `sign-blob` that vouch refuses.
#[derive(Debug, Args)]
pub(crate) struct CosignOnly {
    #[arg(long, hide = true, value_name = "URL")]
    rekor_url: Option<String>,
    #[arg(long, hide = true, value_name = "URL")]
    fulcio_url: Option<String>,
    #[arg(long, hide = true, value_name = "FILE")]
    certificate_chain: Option<String>,
    #[arg(long, hide = true, value_name = "FILE")]
    ca_roots: Option<String>,
    #[arg(long, hide = true, value_name = "FILE")]
    ca_intermediates: Option<String>,
    #[arg(long, hide = true, value_name = "FILE")]
    timestamp_certificate_chain: Option<String>,
    #[arg(long, hide = true, value_name = "TYPE")]
    attachment: Option<String>,
    #[arg(long, hide = true, value_name = "TOKEN")]
    identity_token: Option<String>,
    #[arg(long, hide = true, value_name = "SLOT")]
    slot: Option<String>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = super::go_bool)]
    sk: Option<bool>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = super::go_bool)]
    k8s_keychain: Option<bool>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = super::go_bool)]
    insecure_ignore_sct: Option<bool>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = super::go_bool)]
    private_infrastructure: Option<bool>,
    #[arg(long, hide = true, num_args = 0..=1, require_equals = true, default_missing_value = "true", value_parser = super::go_bool)]
    allow_insecure_registry: Option<bool>,
}

impl CosignOnly {
    /// The first cosign-only flag given, with why vouch does not take it and what to do.
    pub(crate) fn refusal(&self) -> Option<String> {
        let offline = "vouch verifies offline against the trust root and never contacts a \
                       transparency log or certificate authority; give --trusted-root FILE \
                       (trusted_root.json) for a private Sigstore";
        let given: [(&str, bool, &str); 14] = [
            ("--rekor-url", self.rekor_url.is_some(), offline),
            ("--fulcio-url", self.fulcio_url.is_some(), offline),
            (
                "--certificate-chain",
                self.certificate_chain.is_some(),
                offline,
            ),
            ("--ca-roots", self.ca_roots.is_some(), offline),
            (
                "--ca-intermediates",
                self.ca_intermediates.is_some(),
                offline,
            ),
            (
                "--timestamp-certificate-chain",
                self.timestamp_certificate_chain.is_some(),
                offline,
            ),
            (
                "--attachment",
                self.attachment.is_some(),
                "vouch verifies signatures with `verify` and in-toto attestations with \
                 `verify-attestation`; cosign's SBOM attachments are not verified",
            ),
            (
                "--identity-token",
                self.identity_token.is_some(),
                "vouch signs with keys only (no keyless signing): use --key",
            ),
            (
                "--slot",
                self.slot.is_some(),
                "keys on security keys and HSMs are not supported yet: use a key file",
            ),
            (
                "--sk",
                self.sk == Some(true),
                "keys on security keys and HSMs are not supported yet: use a key file",
            ),
            (
                "--k8s-keychain",
                self.k8s_keychain == Some(true),
                "vouch reads docker and podman credential files and helpers; pass \
                 --registry-username with --registry-password-stdin otherwise",
            ),
            (
                "--insecure-ignore-sct",
                self.insecure_ignore_sct == Some(true),
                "vouch checks the certificate's transparency proof (SCT) against the trust root; a private \
                 Sigstore's CT log keys go in its trusted_root.json (--trusted-root)",
            ),
            (
                "--private-infrastructure",
                self.private_infrastructure == Some(true),
                offline,
            ),
            (
                "--allow-insecure-registry",
                self.allow_insecure_registry == Some(true),
                "vouch never skips TLS verification: trust the registry's CA with \
                 --registry-cacert FILE, or use --allow-http-registry for plain HTTP",
            ),
        ];
        given.iter().find(|(_, set, _)| *set).map(|(flag, _, why)| {
            format!("{flag} is a cosign flag vouch does not implement: {why}")
        })
    }
}
