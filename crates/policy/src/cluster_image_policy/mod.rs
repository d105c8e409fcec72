//! sigstore policy-controller's `ClusterImagePolicy` (`apiVersion: policy.sigstore.dev/v1beta1`
//! or `v1alpha1`), as YAML or JSON, one document or many separated by `---`.
//!
//! vouch reads a ClusterImagePolicy the way policy-controller's admission webhook judges an
//! image, and refuses, with the field named, whatever it cannot honour offline. Errors name the
//! document and the field: `document 2 (name: my-policy): spec.authorities[0].keyless.url: …`.
//!
//! **Documents.** Every document must be `kind: ClusterImagePolicy` with `apiVersion:
//! policy.sigstore.dev/v1beta1` or `policy.sigstore.dev/v1alpha1`; the two versions have the
//! same fields, and both are read alike. Fields are checked strictly: an unknown field or a
//! value of the wrong type is refused. `metadata.name` is required and names the rule; two
//! documents may not share a name (the cluster keeps one policy per name). The rest of
//! `metadata` (labels, annotations, namespace, …) and a `status` are accepted and ignored.
//! Empty documents are skipped; a file needs at least one policy.
//!
//! **Which images, and how policies combine.** `spec.images[].glob` are policy-controller's
//! globs (`*` within a path segment, `**` across them, the whole name matched). Every policy
//! whose globs match an image must pass, and an image no policy matches is refused, as with
//! policy-controller's default `no-match-policy: deny`. `spec.mode: warn` reports a failing
//! policy as a warning instead of refusing the image; `enforce` is the default.
//!
//! **Authorities.** A policy passes when at least one of its `authorities` passes; a policy
//! without authorities is refused (policy-controller's default `fail-on-empty-authorities`).
//! An authority is named by its `name`, or `authority-<i>` from its position. It has exactly
//! one of `key`, `keyless` or `static`.
//!
//! - `key.data`: a PEM public key. Keys held elsewhere (`key.kms`, `key.secretRef`) are
//!   refused: put the PEM in `data`. `key.hashAlgorithm` is accepted when it is the hash vouch
//!   verifies that key's signatures with (`sha256` for P-256 and RSA keys, `sha384` for P-384,
//!   any for Ed25519, which hashes nothing first); vouch cannot be told another hash, so
//!   `sha512` with a P-256 or RSA key is refused rather than left to fail every signature.
//! - `keyless`: a Fulcio certificate for one of `identities` (any one suffices), each with
//!   `issuer` or `issuerRegExp` and `subject` or `subjectRegExp`. `url` must be the
//!   public-good Fulcio, `https://fulcio.sigstore.dev` (the default), whose roots vouch holds;
//!   for a private Fulcio, give vouch its `trusted_root.json` with `--trusted-root` and drop
//!   `url`. `ca-cert.data` (PEM certificates) names Fulcio certificates that must be part of
//!   the trust root in use; `ca-cert.kms` and `ca-cert.secretRef` are refused. `trustRootRef`
//!   is refused: `--trusted-root` does that in vouch. `insecureIgnoreSCT: true` is refused:
//!   vouch always checks a certificate's SCT.
//! - **Regular expressions are anchored.** policy-controller (through cosign) matches
//!   `issuerRegExp` and `subjectRegExp` anywhere in the value, so `.*@example.com` there also
//!   accepts `alice@example.com.attacker.net`. vouch matches them against the whole value
//!   (`^(?:…)$`): `.*kubernetes.default.*` means the same in both, but a pattern meant as a
//!   prefix needs a trailing `.*` (`https://github.com/acme/.*`). The syntax is Go's RE2, which
//!   Rust's `regex` shares.
//! - `static: {action: pass}` passes every image; `static: {action: fail, message}` refuses
//!   every image with the message. A static authority cannot also have `attestations`,
//!   `source`, `ctlog` or `rfc3161timestamp`.
//!
//! **Transparency log.** As in policy-controller, a `key` authority requires a Rekor entry
//! only when `ctlog.url` names a log: without `ctlog` (or with a `ctlog` without `url`), a
//! key-signed image passes without one. A `keyless` authority always requires one (the
//! certificate's time comes from it). `ctlog.url` must be the public-good Rekor,
//! `https://rekor.sigstore.dev`, whose key vouch holds; another log, or `ctlog.trustRootRef`,
//! is refused (give vouch the log's trust root with `--trusted-root` and drop the field).
//!
//! **Refused fields.** `source` (signatures stored in another repository: vouch looks for
//! them beside the image; not in a policy yet), `rfc3161timestamp` (a custom timestamp
//! authority: vouch checks timestamps against the trust root, so give it with
//! `--trusted-root`), `spec.policy` (a policy over all the authorities' results: not yet), and
//! `spec.match` (resource selectors: vouch applies a policy to images, not to Kubernetes
//! resources). An empty `source` or `match` list is accepted. `signatureFormat: legacy` or
//! `bundle` is accepted and changes nothing: vouch finds both kinds of signature.
//!
//! **Attestations.** `attestations[]` each need a `name` and a `predicateType` (cosign's short
//! names, or a URI); every one must be signed by the authority's signer. A `policy` with
//! `type: rego` and inline `data` is evaluated in policy-controller's convention: `package
//! sigstore`, rule `isCompliant`, a boolean or a set of `{"result", "error", "warning"}`
//! objects, read as Rego v0, over the whole in-toto statement. `type: cue` is refused (write
//! the policy in Rego), as are policies held elsewhere (`remote`, `configMapRef`).
//!
//! Signatures are checked as cosign checks them: the `docker-reference` a signature names is
//! not compared with the image's name.

use std::collections::BTreeSet;

use serde::Deserialize;

use crate::model::{Combine, Format, ImageMatch, Matching, Mode, NoMatch, Rule, TrustPolicy};
use crate::{FileReader, Glob, PolicyError};

mod authority;
mod place;
mod raw;
#[cfg(test)]
mod tests;

use authority::requirement;
use place::{Place, shown};
use raw::{Document, Header, ImagePattern, Spec, given};

const API_GROUP: &str = "policy.sigstore.dev";
const API_VERSIONS: [&str; 2] = [
    "policy.sigstore.dev/v1beta1",
    "policy.sigstore.dev/v1alpha1",
];
const KIND: &str = "ClusterImagePolicy";

/// Reads every `ClusterImagePolicy` document of `text` into one policy. Nothing is read from
/// `files`: a ClusterImagePolicy holds its keys and Rego inline.
pub(crate) fn parse(text: &str, _files: &dyn FileReader) -> Result<TrustPolicy, PolicyError> {
    let headers = read_headers(text)?;
    let mut rules = Vec::new();
    let mut names = BTreeSet::new();
    for (index, document) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let Some(name) = headers.get(index).cloned().flatten() else {
            continue;
        };
        let place = Place {
            document: index + 1,
            name: name.clone(),
        };
        if !names.insert(name.clone()) {
            return Err(place.error(
                "metadata.name",
                "another document has the same name; a cluster keeps one ClusterImagePolicy \
                 per name, so give each its own",
            ));
        }
        let parsed: Option<Document> = Deserialize::deserialize(document)
            .map_err(|err| in_document(index + 1, &PolicyError::from_yaml(&err)))?;
        let Some(parsed) = parsed else { continue };
        rules.push(rule(&place, parsed)?);
    }
    if rules.is_empty() {
        return Err(PolicyError::new(
            "the file holds no ClusterImagePolicy: expected at least one document with \
             `kind: ClusterImagePolicy`",
        ));
    }
    Ok(TrustPolicy {
        format: Format::ClusterImagePolicy,
        matching: Matching::All,
        rules,
        no_match: NoMatch::Deny,
    })
}

/// Each document's name (`None` for an empty document), once its `apiVersion` and `kind` are
/// known to be a ClusterImagePolicy's.
fn read_headers(text: &str) -> Result<Vec<Option<String>>, PolicyError> {
    let mut names = Vec::new();
    for (index, document) in yaml_serde::Deserializer::from_str(text).enumerate() {
        let number = index + 1;
        let header: Option<Header> = Deserialize::deserialize(document)
            .map_err(|err| in_document(number, &PolicyError::from_yaml(&err)))?;
        let Some(header) = header else {
            names.push(None);
            continue;
        };
        names.push(Some(check_header(number, header)?));
    }
    Ok(names)
}

fn check_header(number: usize, header: Header) -> Result<String, PolicyError> {
    let refuse = |message: String| PolicyError::new(format!("document {number}: {message}"));
    let version = header.api_version.unwrap_or_default();
    if !API_VERSIONS.contains(&version.as_str()) {
        let hint = if version.starts_with(API_GROUP) {
            "; policy-controller serves `policy.sigstore.dev/v1beta1` and `v1alpha1`"
        } else {
            ""
        };
        return Err(refuse(format!(
            "apiVersion {}: expected `policy.sigstore.dev/v1beta1` (or `v1alpha1`){hint}; a \
             file holds ClusterImagePolicy documents only",
            shown(&version)
        )));
    }
    let kind = header.kind.unwrap_or_default();
    if kind != KIND {
        return Err(refuse(format!(
            "kind {}: expected `ClusterImagePolicy` (vouch does not read policy-controller's \
             namespaced `ImagePolicy` or other kinds); a file holds ClusterImagePolicy \
             documents only",
            shown(&kind)
        )));
    }
    match header.metadata.and_then(|metadata| metadata.name) {
        Some(name) if !name.is_empty() => Ok(name),
        _ => Err(refuse(
            "metadata.name is missing: every ClusterImagePolicy needs a name, which vouch \
             reports as the rule's"
                .to_owned(),
        )),
    }
}

fn in_document(number: usize, err: &PolicyError) -> PolicyError {
    PolicyError {
        location: err.location,
        message: format!("document {number}: {}", err.message),
    }
}
fn rule(place: &Place, document: Document) -> Result<Rule, PolicyError> {
    // `kind` was checked leniently; the strict read must agree (it always does).
    if document.kind != KIND {
        return Err(place.error("kind", "expected `ClusterImagePolicy`"));
    }
    let spec = document.spec;
    refuse_spec_fields(place, &spec)?;
    let images = images(place, &spec.images)?;
    let mode = mode(place, spec.mode.as_ref())?;
    if spec.authorities.is_empty() {
        return Err(place.error(
            "spec.authorities",
            "a ClusterImagePolicy needs at least one authority (policy-controller refuses it \
             by default too); write `static: {action: pass}` for images that need no signature",
        ));
    }
    let requirements = spec
        .authorities
        .into_iter()
        .enumerate()
        .map(|(index, raw)| requirement(place, index, raw))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Rule {
        name: place.name.clone(),
        images,
        combine: Combine::AnyOf,
        requirements,
        mode,
    })
}

fn refuse_spec_fields(place: &Place, spec: &Spec) -> Result<(), PolicyError> {
    if spec.policy.is_some() {
        return Err(place.error(
            "spec.policy",
            "a policy over the authorities' results is not supported by vouch yet; put the \
             checks in each authority's `attestations[].policy`",
        ));
    }
    if spec.match_resources.as_ref().is_some_and(|m| !m.is_empty()) {
        return Err(place.error(
            "spec.match",
            "resource selectors choose Kubernetes resources at admission; vouch applies a \
             policy to images, not resources: drop `match` (the policy then applies to every \
             image its globs match)",
        ));
    }
    Ok(())
}

fn images(place: &Place, patterns: &[ImagePattern]) -> Result<ImageMatch, PolicyError> {
    if patterns.is_empty() {
        return Err(place.error(
            "spec.images",
            "missing: list the images the policy applies to, as `- glob: ghcr.io/acme/**`",
        ));
    }
    let globs = patterns
        .iter()
        .enumerate()
        .map(|(index, pattern)| {
            Glob::parse(&pattern.glob).map_err(|err| {
                place.error(
                    &format!("spec.images[{index}].glob"),
                    format!("{}: {err}", shown(&pattern.glob)),
                )
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ImageMatch::Globs(globs))
}

fn mode(place: &Place, mode: Option<&String>) -> Result<Mode, PolicyError> {
    match given(mode) {
        None | Some("enforce") => Ok(Mode::Enforce),
        Some("warn") => Ok(Mode::Warn),
        Some(other) => Err(place.error(
            "spec.mode",
            format!(
                "{}: expected `enforce` (the default) or `warn`",
                shown(other)
            ),
        )),
    }
}
