//! Trust policies for container images.
//!
//! A policy says, for every image, who must have signed it and what they must have attested:
//! rules matched by image name, each with requirements (a key, a keyless identity, attestations
//! with Rego, or a plain allow or reject). Three formats are read into one model
//! ([`TrustPolicy`]):
//!
//! - vouch's own (`apiVersion: vouch.dev/v1`, `kind: TrustPolicy`, YAML or JSON);
//! - containers/image's `policy.json`, as skopeo, podman and CRI-O read it;
//! - sigstore policy-controller's `ClusterImagePolicy` documents.
//!
//! What a format says that vouch cannot honour is refused with the field named, never ignored.
//! Judging an image ([`Judge::judge`]) is pure: it takes what a signature lookup found
//! (`vouch_oci::Lookup`) and returns a [`Decision`]; fetching is the caller's.

pub mod admission;
mod certificates;
mod cluster_image_policy;
mod containers;
mod error;
mod files;
mod glob;
mod judge;
mod model;
mod select;
mod text;
mod vouch_format;

pub use containers::{identity_matches, scope_matches};
pub use error::PolicyError;
pub use files::{FileReader, MAX_NAMED_FILE, NoFiles};
pub use glob::{Glob, MAX_GLOB_LEN};
pub use judge::{Decision, Judge, RegoRunner, RequirementOutcome, RuleOutcome, TimeLimited};
pub use model::{
    AttestationRequirement, Authority, Combine, Format, ImageMatch, Matching, Mode, NamedTrust,
    NoMatch, Requirement, Rule, SignedIdentity, TrustPolicy,
};
pub use select::{Matched, Selection};

/// The largest policy file read, in bytes.
pub const MAX_POLICY_FILE: usize = 4 << 20;

/// Reads a policy in any of the three formats, told apart by their content: a JSON object
/// with `default` is a containers `policy.json`; otherwise `apiVersion` says (`vouch.dev/v1`,
/// `policy.sigstore.dev/v1beta1` or `v1alpha1`). Files it names are read through `files`.
///
/// # Errors
///
/// [`PolicyError`] with the line and column when known, for anything not understood: syntax,
/// unknown fields, a requirement vouch cannot honour, a key that does not parse.
pub fn parse(text: &[u8], files: &dyn FileReader) -> Result<TrustPolicy, PolicyError> {
    let text = policy_text(text)?;
    match detect(text)? {
        Format::Containers => containers::parse(text, files),
        Format::ClusterImagePolicy => cluster_image_policy::parse(text, files),
        Format::Vouch => vouch_format::parse(text, files),
    }
}

/// The format [`parse`] would read `text` in. A caller decides with it where relative paths
/// in the file point: containers/image reads them from the working directory, vouch from the
/// policy file's folder.
///
/// # Errors
///
/// As [`parse`], when the text is no policy at all.
pub fn format_of(text: &[u8]) -> Result<Format, PolicyError> {
    detect(policy_text(text)?)
}

/// The text of a policy file: at most [`MAX_POLICY_FILE`] bytes of UTF-8, without a BOM.
fn policy_text(text: &[u8]) -> Result<&str, PolicyError> {
    if text.len() > MAX_POLICY_FILE {
        return Err(PolicyError::new(format!(
            "a policy file of {} bytes; at most {} MiB is read",
            text.len(),
            MAX_POLICY_FILE >> 20
        )));
    }
    let text = std::str::from_utf8(text).map_err(|err| {
        PolicyError::new(format!(
            "a policy file is UTF-8 text; this one is not ({err})"
        ))
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// Which format `text` is in, from its first document's `apiVersion` (or containers' `default`).
fn detect(text: &str) -> Result<Format, PolicyError> {
    let first = yaml_serde::Deserializer::from_str(text)
        .next()
        .ok_or_else(|| PolicyError::new("the policy file is empty"))?;
    let value: yaml_serde::Value =
        serde::Deserialize::deserialize(first).map_err(|err| PolicyError::from_yaml(&err))?;
    let api_version = value.get("apiVersion").and_then(yaml_serde::Value::as_str);
    match api_version {
        Some(version) if version.starts_with("vouch.dev/") => Ok(Format::Vouch),
        Some(version) if version.starts_with("policy.sigstore.dev/") => {
            Ok(Format::ClusterImagePolicy)
        }
        Some(version) => Err(PolicyError::new(format!(
            "apiVersion `{}`: expected `vouch.dev/v1` (vouch's policy), \
             `policy.sigstore.dev/v1beta1` or `v1alpha1` (policy-controller's \
             ClusterImagePolicy), or a containers policy.json (a JSON object with `default`)",
            version.escape_debug()
        ))),
        None if value.get("default").is_some() => Ok(Format::Containers),
        None => Err(PolicyError::new(
            "not a policy vouch reads: expected `apiVersion: vouch.dev/v1` (vouch's policy), \
             `apiVersion: policy.sigstore.dev/v1beta1` (a ClusterImagePolicy), or a containers \
             policy.json (a JSON object with `default`)",
        )),
    }
}
