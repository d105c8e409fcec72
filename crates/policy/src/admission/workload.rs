//! Where the pod spec sits in each kind of workload, and its containers.

use serde_json::Value;

/// The three lists of containers a pod spec holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ContainerKind {
    /// `containers`.
    Container,
    /// `initContainers`.
    Init,
    /// `ephemeralContainers` (debug containers).
    Ephemeral,
}

impl ContainerKind {
    /// The field of the pod spec.
    #[must_use]
    pub fn field(self) -> &'static str {
        match self {
            Self::Container => "containers",
            Self::Init => "initContainers",
            Self::Ephemeral => "ephemeralContainers",
        }
    }
}

/// The JSON pointer of the pod spec in an object of `kind` (API group and kind), or `None` for
/// a kind that runs no containers of its own.
pub(super) fn pod_spec_pointer(group: &str, kind: &str) -> Option<&'static str> {
    match (group, kind) {
        ("", "Pod") => Some("/spec"),
        ("apps", "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet")
        | ("", "ReplicationController")
        | ("batch", "Job") => Some("/spec/template/spec"),
        ("batch", "CronJob") => Some("/spec/jobTemplate/spec/template/spec"),
        _ => None,
    }
}

/// Every container image of the pod spec at `pointer` in `object`: (kind, container name,
/// image as written, JSON pointer of the image field). A spec that is absent has none.
pub(super) fn images_of(
    object: &Value,
    pointer: &str,
) -> Result<Vec<(ContainerKind, String, Value, String)>, String> {
    let Some(spec) = object.pointer(pointer) else {
        return Ok(Vec::new());
    };
    if !spec.is_object() {
        return Err(format!("{pointer} is not an object"));
    }
    let mut images = Vec::new();
    for kind in [
        ContainerKind::Init,
        ContainerKind::Container,
        ContainerKind::Ephemeral,
    ] {
        let Some(list) = spec.get(kind.field()) else {
            continue;
        };
        let Some(list) = list.as_array() else {
            return Err(format!("{pointer}/{} is not a list", kind.field()));
        };
        for (index, container) in list.iter().enumerate() {
            let name = container
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let image = container.get("image").cloned().unwrap_or(Value::Null);
            images.push((
                kind,
                name,
                image,
                format!("{pointer}/{}/{index}/image", kind.field()),
            ));
        }
    }
    Ok(images)
}
