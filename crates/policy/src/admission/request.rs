//! The request half of an `AdmissionReview`: who asks about what, and the images it would run.

use serde::Deserialize;
use serde_json::Value;

use super::workload::{self, ContainerKind};
use super::{MAX_CONTAINERS, MAX_JSON_VALUES, MAX_REVIEW_BYTES};

/// The versions of `AdmissionReview` answered (the answer carries the request's).
const API_VERSIONS: [&str; 2] = ["admission.k8s.io/v1", "admission.k8s.io/v1beta1"];
/// Longest `uid` copied into an answer (they are UUIDs).
const MAX_UID: usize = 256;

/// A body that is not an `AdmissionReview` vouch can answer: the server replies 400 (or 413),
/// since without a request `uid` there is nothing to answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdmissionError {
    /// Larger than [`MAX_REVIEW_BYTES`].
    #[error("an AdmissionReview of {found} bytes; at most {max} are read")]
    TooLarge {
        /// The body's size.
        found: usize,
        /// The limit.
        max: usize,
    },
    /// Not JSON, or not an `AdmissionReview` with a request.
    #[error("not an AdmissionReview vouch can answer: {0}")]
    Malformed(String),
}

/// What is asked, and the images the object would run.
#[derive(Debug, Clone)]
pub struct AdmissionRequest {
    /// The review's `apiVersion`, which the answer repeats.
    pub api_version: String,
    /// The request's `uid`, which the answer repeats.
    pub uid: String,
    /// API group, version and kind of the object (`apps`, `v1`, `Deployment`).
    pub group: String,
    /// The object's API version.
    pub version: String,
    /// The object's kind.
    pub kind: String,
    /// `ephemeralcontainers`, `status`, … or none.
    pub sub_resource: Option<String>,
    /// The object's namespace, if any.
    pub namespace: Option<String>,
    /// The object's name, if any (a `generateName` object has none yet).
    pub name: Option<String>,
    /// What is done to the object.
    pub operation: Operation,
    /// Whether the request changes nothing (`kubectl --dry-run=server`).
    pub dry_run: bool,
    /// Every container image the object would run, in order; empty for a deletion.
    pub images: Vec<PodImage>,
    /// Why the object cannot be judged (a kind that is no workload, an image that is not a
    /// string, too many containers): the answer is then a denial that says so.
    pub problem: Option<String>,
}

/// The operation of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// `CREATE`.
    Create,
    /// `UPDATE`.
    Update,
    /// `DELETE`.
    Delete,
    /// `CONNECT`.
    Connect,
}

impl Operation {
    /// As Kubernetes spells it.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "CREATE",
            Self::Update => "UPDATE",
            Self::Delete => "DELETE",
            Self::Connect => "CONNECT",
        }
    }
}

/// One container's image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodImage {
    /// Which list the container is in.
    pub kind: ContainerKind,
    /// The container's name.
    pub container: String,
    /// The image, as written in the object.
    pub image: String,
    /// The JSON pointer of the `image` field (`/spec/template/spec/containers/0/image`), for a
    /// patch that pins it.
    pub pointer: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawReview {
    api_version: String,
    kind: String,
    request: Option<RawRequest>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRequest {
    uid: String,
    kind: RawKind,
    #[serde(default)]
    sub_resource: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    namespace: Option<String>,
    operation: String,
    #[serde(default)]
    object: Option<Value>,
    #[serde(default)]
    dry_run: Option<bool>,
}

#[derive(Deserialize)]
struct RawKind {
    #[serde(default)]
    group: String,
    version: String,
    kind: String,
}

/// Reads an `AdmissionReview` body.
///
/// # Errors
///
/// [`AdmissionError`] for a body too large, not JSON, or without a request to answer. Problems
/// of the object itself (a kind that is no workload, an image that is not a string, more than
/// [`MAX_CONTAINERS`] containers) are not errors: they are in [`AdmissionRequest::problem`],
/// to be answered with a denial.
pub fn read_review(body: &[u8]) -> Result<AdmissionRequest, AdmissionError> {
    if body.len() > MAX_REVIEW_BYTES {
        return Err(AdmissionError::TooLarge {
            found: body.len(),
            max: MAX_REVIEW_BYTES,
        });
    }
    if super::json_values(body, MAX_JSON_VALUES) > MAX_JSON_VALUES {
        return Err(AdmissionError::Malformed(format!(
            "more than {MAX_JSON_VALUES} JSON values; a review of a workload holds far fewer"
        )));
    }
    let raw: RawReview =
        serde_json::from_slice(body).map_err(|err| AdmissionError::Malformed(err.to_string()))?;
    if raw.kind != "AdmissionReview" || !API_VERSIONS.contains(&raw.api_version.as_str()) {
        return Err(AdmissionError::Malformed(format!(
            "expected kind AdmissionReview of {}, found {:?} of {:?}",
            API_VERSIONS.join(" or "),
            shown(&raw.kind),
            shown(&raw.api_version)
        )));
    }
    let request = raw
        .request
        .ok_or_else(|| AdmissionError::Malformed("the review has no `request`".to_owned()))?;
    if request.uid.is_empty() || request.uid.len() > MAX_UID {
        return Err(AdmissionError::Malformed(format!(
            "the request's uid must be 1 to {MAX_UID} characters"
        )));
    }
    let operation = match request.operation.as_str() {
        "CREATE" => Operation::Create,
        "UPDATE" => Operation::Update,
        "DELETE" => Operation::Delete,
        "CONNECT" => Operation::Connect,
        other => {
            return Err(AdmissionError::Malformed(format!(
                "operation {:?}: expected CREATE, UPDATE, DELETE or CONNECT",
                shown(other)
            )));
        }
    };
    let mut admission = AdmissionRequest {
        api_version: raw.api_version,
        uid: request.uid,
        group: request.kind.group,
        version: request.kind.version,
        kind: request.kind.kind,
        sub_resource: request.sub_resource.filter(|s| !s.is_empty()),
        namespace: request.namespace.filter(|s| !s.is_empty()),
        name: request.name.filter(|s| !s.is_empty()),
        operation,
        dry_run: request.dry_run.unwrap_or(false),
        images: Vec::new(),
        problem: None,
    };
    // Deleting or connecting runs nothing new.
    if matches!(operation, Operation::Delete | Operation::Connect) {
        return Ok(admission);
    }
    match images(&admission, request.object.as_ref()) {
        Ok(images) => admission.images = images,
        Err(problem) => admission.problem = Some(problem),
    }
    Ok(admission)
}

/// The images the object would run, or why it cannot be judged.
fn images(request: &AdmissionRequest, object: Option<&Value>) -> Result<Vec<PodImage>, String> {
    let Some(pointer) = workload::pod_spec_pointer(&request.group, &request.kind) else {
        return Err(format!(
            "vouch judges pods and the workloads that embed a pod template (Deployment, \
             StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job, CronJob); a {} \
             of group {:?} is none of them: the webhook's rules send it here by mistake",
            shown(&request.kind),
            shown(&request.group)
        ));
    };
    let Some(object) = object else {
        return Err(format!(
            "the {} to {} is missing",
            shown(&request.kind),
            request.operation.as_str().to_lowercase()
        ));
    };
    let found = workload::images_of(object, pointer)?;
    if found.len() > MAX_CONTAINERS {
        return Err(format!(
            "{} containers; vouch judges at most {MAX_CONTAINERS} in one object",
            found.len()
        ));
    }
    found
        .into_iter()
        .map(|(kind, container, image, pointer)| match image {
            Value::String(image) if !image.is_empty() => Ok(PodImage {
                kind,
                container,
                image,
                pointer,
            }),
            other => Err(format!(
                "container {:?} ({}) has no image name (found {})",
                shown(&container),
                kind.field(),
                kind_of(&other)
            )),
        })
        .collect()
}

fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "none",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "an empty string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// A string from the review, for a message: cut short, escaped.
pub(super) fn shown(text: &str) -> String {
    crate::text::shortened(text)
}
