//! Reading the file: the serde seeds that walk its structure, and the checks containers/image
//! makes when it reads the file, for every transport.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use vouch_oci::{ImageRef, Repository};

use super::build::build_requirement;
use super::matching::{Named, has_tag_or_digest, is_domain, is_host_name, is_path_component};
use super::raw::{RawFulcio, RawIdentity, RawPki, RawRequirement, RawSigstore};
use super::text::{escaped, reference_problem, shown};
use crate::{FileReader, Requirement};

/// The transport whose scopes become rules.
const DOCKER: &str = "docker";

/// What the file says that vouch applies: `default` and the `docker` transport's scopes.
pub(super) struct Parsed {
    pub(super) default: Vec<Requirement>,
    pub(super) docker: Vec<(String, Vec<Requirement>)>,
}

// ---------------------------------------------------------------------------------------------
// The file's structure. Maps are read by hand (not into a `HashMap`) so that a key given twice
// is refused, as containers/image refuses it, and so that checks that need the key files run
// while the parser still knows where it is.

/// The whole file.
pub(super) struct PolicySeed<'a> {
    pub(super) files: &'a dyn FileReader,
}

impl<'de> DeserializeSeed<'de> for PolicySeed<'_> {
    type Value = Parsed;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Parsed, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for PolicySeed<'_> {
    type Value = Parsed;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a policy.json object with `default` and optionally `transports`")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Parsed, A::Error> {
        let mut default = None;
        let mut docker = None;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "default" if default.is_some() => {
                    return Err(de::Error::duplicate_field("default"));
                }
                "default" => {
                    default = Some(map.next_value_seed(RequirementsSeed {
                        path: "default".to_owned(),
                        files: Some(self.files),
                    })?);
                }
                "transports" if docker.is_some() => {
                    return Err(de::Error::duplicate_field("transports"));
                }
                "transports" => {
                    docker = Some(map.next_value_seed(TransportsSeed { files: self.files })?)
                }
                other => {
                    return Err(de::Error::unknown_field(
                        &escaped(other),
                        &["default", "transports"],
                    ));
                }
            }
        }
        let default = default.ok_or_else(|| {
            de::Error::custom(
                "missing field `default`: containers/image requires the global default \
                 requirements, e.g. \"default\": [{\"type\": \"reject\"}]",
            )
        })?;
        Ok(Parsed {
            default,
            docker: docker.unwrap_or_default(),
        })
    }
}

/// `transports`: the `docker` transport's scopes are kept, the others checked and dropped.
struct TransportsSeed<'a> {
    files: &'a dyn FileReader,
}

impl<'de> DeserializeSeed<'de> for TransportsSeed<'_> {
    type Value = Vec<(String, Vec<Requirement>)>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TransportsSeed<'_> {
    type Value = Vec<(String, Vec<Requirement>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of transports (`docker`, …), each an object of scopes")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = HashSet::new();
        let mut docker = Vec::new();
        while let Some(transport) = map.next_key::<String>()? {
            if !seen.insert(transport.clone()) {
                return Err(de::Error::custom(format!(
                    "transports: the transport {:?} is given twice; merge its scopes into one object",
                    shown(&transport)
                )));
            }
            let is_docker = transport == DOCKER;
            let scopes = map.next_value_seed(ScopesSeed {
                path: transport_path(&transport),
                is_docker,
                files: self.files,
            })?;
            if is_docker {
                docker = scopes;
            }
        }
        Ok(docker)
    }
}

/// `transports.docker`, written as a path in messages (`transports["x y"]` for an odd name).
fn transport_path(transport: &str) -> String {
    let simple = !transport.is_empty()
        && transport
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if simple {
        format!("transports.{transport}")
    } else {
        format!("transports[{:?}]", shown(transport))
    }
}

/// One transport's scopes.
struct ScopesSeed<'a> {
    path: String,
    is_docker: bool,
    files: &'a dyn FileReader,
}

impl<'de> DeserializeSeed<'de> for ScopesSeed<'_> {
    type Value = Vec<(String, Vec<Requirement>)>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ScopesSeed<'_> {
    type Value = Vec<(String, Vec<Requirement>)>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object of scopes, each a list of requirements")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut seen = HashSet::new();
        let mut scopes = Vec::new();
        while let Some(scope) = map.next_key::<String>()? {
            let path = format!("{}[{:?}]", self.path, shown(&scope));
            if !seen.insert(scope.clone()) {
                return Err(de::Error::custom(format!(
                    "{path}: the scope is given twice; keep one list of requirements for it"
                )));
            }
            if self.is_docker && !scope.is_empty() {
                check_docker_scope(&scope)
                    .map_err(|why| de::Error::custom(format!("{path}: {why}")))?;
            }
            // Requirements of other transports never apply: checked, not built.
            let files = self.is_docker.then_some(self.files);
            let requirements = map.next_value_seed(RequirementsSeed { path, files })?;
            scopes.push((scope, requirements));
        }
        Ok(scopes)
    }
}

/// A list of requirements at `path`; built (key files read) only with `files`.
struct RequirementsSeed<'a> {
    path: String,
    files: Option<&'a dyn FileReader>,
}

impl<'de> DeserializeSeed<'de> for RequirementsSeed<'_> {
    type Value = Vec<Requirement>;

    fn deserialize<D: de::Deserializer<'de>>(
        self,
        deserializer: D,
    ) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RequirementsSeed<'_> {
    type Value = Vec<Requirement>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a list of requirements at {}", self.path)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut requirements = Vec::new();
        let mut count = 0_usize;
        while let Some(raw) = seq.next_element::<RawRequirement>()? {
            let path = format!("{}[{count}]", self.path);
            count += 1;
            check_requirement(&raw, &path).map_err(de::Error::custom)?;
            if let Some(files) = self.files {
                requirements.push(build_requirement(raw, files, &path).map_err(de::Error::custom)?);
            }
        }
        if count == 0 {
            return Err(de::Error::custom(format!(
                "{}: an empty list of requirements, which containers/image refuses too; write \
                 [{{\"type\": \"reject\"}}] to refuse these images or \
                 [{{\"type\": \"insecureAcceptAnything\"}}] to accept them unchecked",
                self.path
            )));
        }
        Ok(requirements)
    }
}

// ---------------------------------------------------------------------------------------------
// Checks containers/image makes when it reads the file, for every transport.

/// The `keyType`s containers/image knows (all of them GPG or X.509 simple signing).
const SIGNED_BY_KEY_TYPES: [&str; 4] = [
    "GPGKeys",
    "signedByGPGKeys",
    "X509Certificates",
    "signedByX509CAs",
];

fn check_requirement(raw: &RawRequirement, path: &str) -> Result<(), String> {
    match raw {
        RawRequirement::InsecureAcceptAnything {} | RawRequirement::Reject {} => Ok(()),
        RawRequirement::SignedBy {
            key_type,
            key_path,
            key_paths,
            key_data,
            signed_identity,
        } => {
            if !SIGNED_BY_KEY_TYPES.contains(&key_type.as_str()) {
                return Err(format!(
                    "{path}.keyType: expected one of {}, found {:?}",
                    SIGNED_BY_KEY_TYPES.join(", "),
                    shown(key_type)
                ));
            }
            let given = [
                ("keyPath", key_path.is_some()),
                ("keyPaths", key_paths.is_some()),
                ("keyData", key_data.is_some()),
            ];
            exactly_one(path, &given)?;
            check_optional_identity(signed_identity.as_ref(), path)
        }
        RawRequirement::SignedBaseLayer {
            base_layer_identity,
        } => check_identity(base_layer_identity, &format!("{path}.baseLayerIdentity")),
        RawRequirement::SigstoreSigned(sigstore) => check_sigstore(sigstore, path),
    }
}

fn check_sigstore(raw: &RawSigstore, path: &str) -> Result<(), String> {
    let keys = [
        ("keyPath", raw.key_path.is_some()),
        ("keyPaths", raw.key_paths.is_some()),
        ("keyData", raw.key_data.is_some()),
        ("keyDatas", raw.key_datas.is_some()),
        ("fulcio", raw.fulcio.is_some()),
        ("pki", raw.pki.is_some()),
    ];
    exactly_one(path, &keys)?;
    not_empty(path, "keyPaths", raw.key_paths.as_deref())?;
    not_empty(path, "keyDatas", raw.key_datas.as_deref())?;
    let rekor = [
        ("rekorPublicKeyPath", raw.rekor_public_key_path.is_some()),
        ("rekorPublicKeyPaths", raw.rekor_public_key_paths.is_some()),
        ("rekorPublicKeyData", raw.rekor_public_key_data.is_some()),
        ("rekorPublicKeyDatas", raw.rekor_public_key_datas.is_some()),
    ];
    let rekor_given: Vec<&str> = rekor
        .iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| *name)
        .collect();
    if rekor_given.len() > 1 {
        return Err(format!(
            "{path}: at most one of rekorPublicKeyPath, rekorPublicKeyPaths, rekorPublicKeyData \
             and rekorPublicKeyDatas, found {}; keep one",
            rekor_given.join(" and ")
        ));
    }
    not_empty(
        path,
        "rekorPublicKeyPaths",
        raw.rekor_public_key_paths.as_deref(),
    )?;
    not_empty(
        path,
        "rekorPublicKeyDatas",
        raw.rekor_public_key_datas.as_deref(),
    )?;
    if let Some(fulcio) = &raw.fulcio {
        check_fulcio(fulcio, &format!("{path}.fulcio"))?;
        if rekor_given.is_empty() {
            return Err(format!(
                "{path}.fulcio: needs the Rekor key its log entries are signed with, as \
                 containers/image does: add rekorPublicKeyPath (or rekorPublicKeyData)"
            ));
        }
    }
    if let Some(pki) = &raw.pki {
        check_pki(pki, &format!("{path}.pki"))?;
        if !rekor_given.is_empty() {
            return Err(format!(
                "{path}: {} cannot be used with pki (containers/image supports no Rekor key \
                 there); remove it",
                rekor_given.join(" and ")
            ));
        }
    }
    check_optional_identity(raw.signed_identity.as_ref(), path)
}

fn check_fulcio(raw: &RawFulcio, path: &str) -> Result<(), String> {
    exactly_one(
        path,
        &[
            ("caPath", raw.ca_path.is_some()),
            ("caData", raw.ca_data.is_some()),
        ],
    )?;
    if raw.oidc_issuer.as_deref().is_none_or(str::is_empty) {
        return Err(format!(
            "{path}.oidcIssuer: missing; name the OIDC issuer the certificates must record, \
             e.g. \"https://github.com/login/oauth\""
        ));
    }
    if raw.subject_email.as_deref().is_none_or(str::is_empty) {
        return Err(format!(
            "{path}.subjectEmail: missing; name the email address the certificates must be \
             issued to"
        ));
    }
    Ok(())
}

fn check_pki(raw: &RawPki, path: &str) -> Result<(), String> {
    let roots = [
        ("caRootsPath", raw.ca_roots_path.is_some()),
        ("caRootsData", raw.ca_roots_data.is_some()),
    ];
    exactly_one(path, &roots)?;
    if raw.ca_intermediates_path.is_some() && raw.ca_intermediates_data.is_some() {
        return Err(format!(
            "{path}: caIntermediatesPath and caIntermediatesData cannot both be given; keep one"
        ));
    }
    if raw.subject_email.is_none() && raw.subject_hostname.is_none() {
        return Err(format!("{path}: needs subjectEmail or subjectHostname"));
    }
    Ok(())
}

/// Exactly one of `fields` is given (`true`).
fn exactly_one(path: &str, fields: &[(&str, bool)]) -> Result<(), String> {
    let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
    let given: Vec<&str> = fields
        .iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| *name)
        .collect();
    match given.len() {
        1 => Ok(()),
        0 => Err(format!(
            "{path}: expected exactly one of {}, found none",
            names.join(", ")
        )),
        _ => Err(format!(
            "{path}: expected exactly one of {}, found {}; keep one",
            names.join(", "),
            given.join(" and ")
        )),
    }
}

fn not_empty(path: &str, field: &str, list: Option<&[String]>) -> Result<(), String> {
    match list {
        Some([]) => Err(format!(
            "{path}.{field}: an empty list; name at least one, or use the singular field"
        )),
        _ => Ok(()),
    }
}

fn check_optional_identity(raw: Option<&RawIdentity>, path: &str) -> Result<(), String> {
    raw.map_or(Ok(()), |identity| {
        check_identity(identity, &format!("{path}.signedIdentity"))
    })
}

fn check_identity(raw: &RawIdentity, path: &str) -> Result<(), String> {
    match raw {
        RawIdentity::MatchExact {}
        | RawIdentity::MatchRepoDigestOrExact {}
        | RawIdentity::MatchRepository {} => Ok(()),
        RawIdentity::ExactReference { docker_reference } => {
            let parsed = ImageRef::parse(docker_reference).map_err(|err| {
                format!(
                    "{path}.dockerReference: {:?} is not an image reference: {}",
                    shown(docker_reference),
                    reference_problem(&err)
                )
            })?;
            if !has_tag_or_digest(docker_reference) {
                return Err(format!(
                    "{path}.dockerReference: {:?} has neither a tag nor a digest; write e.g. {:?}",
                    shown(docker_reference),
                    shown(&format!("{}:latest", parsed.repository()))
                ));
            }
            Ok(())
        }
        RawIdentity::ExactRepository { docker_repository } => {
            ImageRef::parse(docker_repository).map(drop).map_err(|err| {
                format!(
                    "{path}.dockerRepository: {:?} is not a repository: {}",
                    shown(docker_repository),
                    reference_problem(&err)
                )
            })
        }
        RawIdentity::RemapIdentity {
            prefix,
            signed_prefix,
        } => {
            check_remap_prefix(prefix, &format!("{path}.prefix"))?;
            check_remap_prefix(signed_prefix, &format!("{path}.signedPrefix"))
        }
    }
}

/// A remapping prefix is a host, or a repository or namespace on an explicit host, as
/// containers/image requires.
fn check_remap_prefix(prefix: &str, path: &str) -> Result<(), String> {
    let valid = is_domain(prefix)
        || prefix
            .split_once('/')
            .is_some_and(|(host, rest)| is_domain(host) && rest.split('/').all(is_path_component));
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{path}: expected a host[:port], or a repository or namespace on a host \
             (e.g. \"registry.example.com/team\"), found {:?}",
            shown(prefix)
        ))
    }
}

/// A `docker` scope containers/image can match (see the module documentation).
fn check_docker_scope(scope: &str) -> Result<(), String> {
    if let Some(domain) = scope.strip_prefix("*.") {
        if is_host_name(domain) {
            return Ok(());
        }
        return Err(
            "a wildcard scope is `*.` and a domain without a port, e.g. \"*.example.com\""
                .to_owned(),
        );
    }
    if scope.contains('*') {
        return Err(
            "`*` is only valid as a leading `*.` before a domain, e.g. \"*.example.com\""
                .to_owned(),
        );
    }
    let last = scope.rsplit('/').next().unwrap_or(scope);
    // A `:` after the last `/` is a tag, except in a lone `host:port`.
    let tagged = if scope.contains('/') {
        last.contains(':')
    } else {
        !scope.starts_with('[')
            && scope.rsplit_once(':').is_some_and(|(_, after)| {
                after.is_empty() || !after.bytes().all(|b| b.is_ascii_digit())
            })
    };
    let names_an_image = scope.contains('@') || tagged;
    let expanded = if names_an_image {
        // An image's identity in containers/image has a tag or a digest, never both: the
        // expanded form is the one scope_matches compares with.
        ImageRef::parse(scope).map(|image| Named::from_image(&image).to_string())
    } else {
        // Any namespace or host is the prefix of some repository's name: expand one below it.
        Repository::parse(&format!("{scope}/x/x")).map(|repository| {
            let full = repository.to_string();
            full.strip_suffix("/x/x").unwrap_or(&full).to_owned()
        })
    };
    match expanded {
        Ok(expanded) if expanded == scope => Ok(()),
        Ok(expanded) => Err(format!(
            "never matches: scopes are matched against fully expanded names (Docker Hub's \
             official images are \"docker.io/library/NAME\"); write {:?}",
            shown(&expanded)
        )),
        Err(err) => Err(format!(
            "expected an image with a tag or digest, a repository, a namespace, a host[:port] \
             or \"*.domain\": {}",
            reference_problem(&err)
        )),
    }
}
