//! containers/image's `policy.json` (as skopeo, podman and CRI-O read it), read into vouch's
//! model.
//!
//! # What is read, and how strictly
//!
//! - The file is read as strictly as containers/image reads it: an unknown field, a field given
//!   twice, a value of the wrong type, an unknown requirement `type` or `signedIdentity` type
//!   refuses the whole file, with the line and column. `default` is mandatory; `transports` is
//!   optional. A requirement list may not be empty (containers/image refuses that too).
//! - Every transport is read and checked, but only the `docker` transport's scopes become rules:
//!   vouch verifies images in registries. The scopes of other transports (`docker-daemon`,
//!   `oci`, `dir`, `containers-storage`, `atomic`, …) and any transport name are accepted as
//!   containers/image accepts them; their requirements are checked as containers/image checks
//!   them when it reads the file (one key source, valid `signedIdentity`, …), but no key files
//!   they name are read and nothing in them is refused for being unsupported, since they never
//!   apply to a registry image.
//! - A `docker` scope must be one containers/image can match: a repository with a tag or a
//!   digest, a repository, a namespace or a host (with its port), all in the fully expanded form
//!   (`docker.io/library/busybox`, not `busybox`), or `*.domain`. containers/image accepts any
//!   string and a scope in another form silently never matches; vouch refuses it, and says the
//!   expanded form to write.
//!
//! # Rules
//!
//! The most specific scope decides, as in containers/image: the rules are tried in order and
//! the first whose scope matches the image decides (rules never combine). The `docker` scopes
//! come first, most specific first: exact images, repositories, namespaces and hosts by length,
//! longest first (every one of them that matches an image is a prefix of its name, so the
//! longer is the more specific); then the `*.domain` wildcards, longest first; then the
//! `docker` transport's default (`""`); then `default`, which matches every image. Within a
//! rule every requirement must pass. Rules are named `transports.docker["<scope>"]` and
//! `default`.
//!
//! An image named with both a tag and a digest is matched by its digest, as podman does (it
//! drops the tag); containers/image itself refuses such a name.
//!
//! # Requirements
//!
//! - `insecureAcceptAnything` accepts every image; `reject` refuses every image.
//! - `sigstoreSigned` with `keyPath`, `keyPaths`, `keyData` or `keyDatas` requires a signature
//!   by one of those keys (any one is enough). Relative key paths are read from the working
//!   directory, as containers/image does. Without a `rekorPublicKey*` field no
//!   transparency-log entry is required, as containers/image requires none; with one (at most
//!   one of `rekorPublicKeyPath`, `rekorPublicKeyPaths`, `rekorPublicKeyData`,
//!   `rekorPublicKeyDatas`), a log entry is required and its keys must be part of the trust
//!   root in use.
//! - `sigstoreSigned` with `fulcio` requires a keyless signature whose certificate names
//!   `subjectEmail`, issued for `oidcIssuer`, with a transparency-log entry. `caPath` or
//!   `caData` (PEM certificates) must be part of the trust root in use, and a `rekorPublicKey*`
//!   field is mandatory, as in containers/image.
//! - `signedIdentity` says what the signature's claimed identity must be; it is
//!   `matchRepoDigestOrExact` when absent, as in containers/image.
//! - Refused, with the field named: `sigstoreSigned` with `pki` (X.509 CA-signed keys),
//!   `signedBy` (GPG simple signing: vouch verifies sigstore signatures, not GPG ones) and
//!   `signedBaseLayer` (containers/image rejects every image with it: not implemented).
//!   Refusing them in the `docker` transport or `default` refuses the file: vouch never
//!   ignores a requirement it cannot honour.

use std::cmp::Reverse;

use serde::de::DeserializeSeed as _;

use crate::{
    Combine, FileReader, Format, ImageMatch, Matching, Mode, NoMatch, PolicyError, Requirement,
    Rule, TrustPolicy,
};

mod build;
mod matching;
mod raw;
mod read;
#[cfg(test)]
mod tests;
mod text;

pub use matching::{identity_matches, scope_matches};
use read::{Parsed, PolicySeed};

/// Reads a containers `policy.json`; key and certificate files it names in the `docker`
/// transport and `default` are read through `files`.
pub(crate) fn parse(text: &str, files: &dyn FileReader) -> Result<TrustPolicy, PolicyError> {
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let parsed = PolicySeed { files }
        .deserialize(&mut deserializer)
        .map_err(|err| PolicyError::from_json(&err))?;
    deserializer
        .end()
        .map_err(|err| PolicyError::from_json(&err))?;
    Ok(TrustPolicy {
        format: Format::Containers,
        matching: Matching::First,
        rules: rules(parsed),
        no_match: NoMatch::Deny,
    })
}

/// The rules, most specific scope first (see the module documentation).
fn rules(parsed: Parsed) -> Vec<Rule> {
    let mut plain = Vec::new();
    let mut wildcards = Vec::new();
    let mut transport_default = None;
    for (scope, requirements) in parsed.docker {
        if scope.is_empty() {
            transport_default = Some(requirements);
        } else if scope.starts_with("*.") {
            wildcards.push((scope, requirements));
        } else {
            plain.push((scope, requirements));
        }
    }
    // Ties cannot match the same image (two prefixes of one name of equal length are equal);
    // the text breaks them only so that the order never depends on the file's.
    let by_specificity =
        |(scope, _): &(String, Vec<Requirement>)| (Reverse(scope.len()), scope.clone());
    plain.sort_by_key(by_specificity);
    wildcards.sort_by_key(by_specificity);
    let mut rules: Vec<Rule> = plain
        .into_iter()
        .chain(wildcards)
        .chain(transport_default.map(|requirements| (String::new(), requirements)))
        .map(|(scope, requirements)| Rule {
            // Never shortened: scopes are validated, so bounded, and names must stay distinct.
            name: format!("transports.docker[{scope:?}]"),
            images: ImageMatch::Scope(scope),
            combine: Combine::AllOf,
            requirements,
            mode: Mode::Enforce,
        })
        .collect();
    rules.push(Rule {
        name: "default".to_owned(),
        images: ImageMatch::Everything,
        combine: Combine::AllOf,
        requirements: parsed.default,
        mode: Mode::Enforce,
    });
    rules
}
