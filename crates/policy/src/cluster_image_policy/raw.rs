//! The documents' fields as written, read strictly by serde (but for the lenient [`Header`]),
//! and how an empty string among them is read.

use serde::Deserialize;
use serde::de::IgnoredAny;

/// Just enough of a document to say what it is, read leniently so that a document of
/// another kind is named as such rather than refused for its unknown fields.
#[derive(Deserialize)]
pub(super) struct Header {
    #[serde(rename = "apiVersion")]
    pub(super) api_version: Option<String>,
    pub(super) kind: Option<String>,
    pub(super) metadata: Option<HeaderMetadata>,
}

#[derive(Deserialize)]
pub(super) struct HeaderMetadata {
    pub(super) name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Document {
    #[serde(rename = "apiVersion")]
    pub(super) _api_version: String,
    pub(super) kind: String,
    /// Only `name` is used (checked in [`Header`]); the rest of Kubernetes' object metadata is
    /// accepted whatever it holds.
    #[serde(rename = "metadata")]
    pub(super) _metadata: IgnoredAny,
    pub(super) spec: Spec,
    /// What the cluster reports (`kubectl get -o yaml` writes it); never read.
    #[serde(rename = "status", default)]
    pub(super) _status: Option<IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Spec {
    #[serde(default)]
    pub(super) images: Vec<ImagePattern>,
    #[serde(default)]
    pub(super) authorities: Vec<RawAuthority>,
    #[serde(default)]
    pub(super) policy: Option<IgnoredAny>,
    #[serde(default)]
    pub(super) mode: Option<String>,
    #[serde(rename = "match", default)]
    pub(super) match_resources: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ImagePattern {
    pub(super) glob: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAuthority {
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(default)]
    pub(super) key: Option<KeyRef>,
    #[serde(default)]
    pub(super) keyless: Option<KeylessRef>,
    #[serde(rename = "static", default)]
    pub(super) static_ref: Option<StaticRef>,
    #[serde(default)]
    pub(super) source: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    pub(super) ctlog: Option<TLog>,
    #[serde(default)]
    pub(super) attestations: Option<Vec<RawAttestation>>,
    #[serde(default)]
    pub(super) rfc3161timestamp: Option<IgnoredAny>,
    #[serde(rename = "signatureFormat", default)]
    pub(super) signature_format: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct KeyRef {
    #[serde(rename = "secretRef", default)]
    pub(super) secret_ref: Option<IgnoredAny>,
    #[serde(default)]
    pub(super) data: Option<String>,
    #[serde(default)]
    pub(super) kms: Option<String>,
    #[serde(rename = "hashAlgorithm", default)]
    pub(super) hash_algorithm: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct KeylessRef {
    #[serde(default)]
    pub(super) url: Option<String>,
    #[serde(default)]
    pub(super) identities: Option<Vec<RawIdentity>>,
    #[serde(rename = "ca-cert", default)]
    pub(super) ca_cert: Option<KeyRef>,
    #[serde(rename = "trustRootRef", default)]
    pub(super) trust_root_ref: Option<String>,
    #[serde(rename = "insecureIgnoreSCT", default)]
    pub(super) insecure_ignore_sct: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawIdentity {
    #[serde(default)]
    pub(super) issuer: Option<String>,
    #[serde(default)]
    pub(super) subject: Option<String>,
    #[serde(rename = "issuerRegExp", default)]
    pub(super) issuer_regexp: Option<String>,
    #[serde(rename = "subjectRegExp", default)]
    pub(super) subject_regexp: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StaticRef {
    pub(super) action: String,
    #[serde(default)]
    pub(super) message: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TLog {
    #[serde(default)]
    pub(super) url: Option<String>,
    #[serde(rename = "trustRootRef", default)]
    pub(super) trust_root_ref: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawAttestation {
    #[serde(default)]
    pub(super) name: Option<String>,
    #[serde(rename = "predicateType", default)]
    pub(super) predicate_type: Option<String>,
    #[serde(default)]
    pub(super) policy: Option<RawPolicy>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPolicy {
    #[serde(rename = "type", default)]
    pub(super) policy_type: Option<String>,
    #[serde(default)]
    pub(super) data: Option<String>,
    #[serde(default)]
    pub(super) remote: Option<IgnoredAny>,
    #[serde(rename = "configMapRef", default)]
    pub(super) config_map_ref: Option<IgnoredAny>,
    #[serde(rename = "fetchConfigFile", default)]
    pub(super) fetch_config_file: Option<bool>,
    #[serde(rename = "includeSpec", default)]
    pub(super) include_spec: Option<bool>,
    #[serde(rename = "includeObjectMeta", default)]
    pub(super) include_object_meta: Option<bool>,
    #[serde(rename = "includeTypeMeta", default)]
    pub(super) include_type_meta: Option<bool>,
}

/// Go's `omitempty` strings: an empty string is the same as no value.
pub(super) fn given(value: Option<&String>) -> Option<&str> {
    value.map(String::as_str).filter(|text| !text.is_empty())
}
