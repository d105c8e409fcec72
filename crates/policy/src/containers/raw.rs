//! Requirements as written. Variants with no fields are written `{}` so that an unknown field in
//! them is refused too.

use serde::Deserialize;

#[derive(Deserialize)]
#[serde(tag = "type", deny_unknown_fields)]
pub(super) enum RawRequirement {
    #[serde(rename = "insecureAcceptAnything")]
    InsecureAcceptAnything {},
    #[serde(rename = "reject")]
    Reject {},
    #[serde(rename = "signedBy", rename_all = "camelCase")]
    SignedBy {
        key_type: String,
        key_path: Option<String>,
        key_paths: Option<Vec<String>>,
        key_data: Option<String>,
        signed_identity: Option<RawIdentity>,
    },
    #[serde(rename = "signedBaseLayer", rename_all = "camelCase")]
    SignedBaseLayer { base_layer_identity: RawIdentity },
    #[serde(rename = "sigstoreSigned")]
    SigstoreSigned(Box<RawSigstore>),
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawSigstore {
    pub(super) key_path: Option<String>,
    pub(super) key_paths: Option<Vec<String>>,
    pub(super) key_data: Option<String>,
    pub(super) key_datas: Option<Vec<String>>,
    pub(super) fulcio: Option<RawFulcio>,
    pub(super) pki: Option<RawPki>,
    pub(super) rekor_public_key_path: Option<String>,
    pub(super) rekor_public_key_paths: Option<Vec<String>>,
    pub(super) rekor_public_key_data: Option<String>,
    pub(super) rekor_public_key_datas: Option<Vec<String>>,
    pub(super) signed_identity: Option<RawIdentity>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawFulcio {
    pub(super) ca_path: Option<String>,
    pub(super) ca_data: Option<String>,
    pub(super) oidc_issuer: Option<String>,
    pub(super) subject_email: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawPki {
    pub(super) ca_roots_path: Option<String>,
    pub(super) ca_roots_data: Option<String>,
    pub(super) ca_intermediates_path: Option<String>,
    pub(super) ca_intermediates_data: Option<String>,
    pub(super) subject_email: Option<String>,
    pub(super) subject_hostname: Option<String>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "camelCase", deny_unknown_fields)]
pub(super) enum RawIdentity {
    MatchExact {},
    MatchRepoDigestOrExact {},
    MatchRepository {},
    #[serde(rename_all = "camelCase")]
    ExactReference {
        docker_reference: String,
    },
    #[serde(rename_all = "camelCase")]
    ExactRepository {
        docker_repository: String,
    },
    #[serde(rename_all = "camelCase")]
    RemapIdentity {
        prefix: String,
        signed_prefix: String,
    },
}
