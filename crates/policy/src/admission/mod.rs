//! Kubernetes admission: the images of a workload read from an `AdmissionReview`
//! (`admission.k8s.io/v1`), and the review's answer written. Pure: the server is the caller's.
//!
//! Every kind that runs containers is read: `Pod` (and its `ephemeralcontainers`
//! subresource), and the workloads that embed a pod template (`Deployment`, `StatefulSet`,
//! `DaemonSet`, `ReplicaSet`, `ReplicationController`, `Job`, `CronJob`), with their
//! `containers`, `initContainers` and `ephemeralContainers`. A review is hostile input until it
//! is answered: its size, nesting and number of containers are bounded, and a body that is not
//! one vouch can judge is an error the caller answers with a 4xx, never "allowed".

mod request;
mod response;
mod values;
mod workload;

pub use request::{AdmissionError, AdmissionRequest, Operation, PodImage, read_review};
pub use response::{ImagePatch, Verdict, answer};
pub use values::json_values;
pub use workload::ContainerKind;

/// Most bytes of an `AdmissionReview` body: the API server sends objects of at most about
/// 3 MiB (etcd's request limit), with their old version beside them on an update.
pub const MAX_REVIEW_BYTES: usize = 8 << 20;

/// Most JSON values (objects, arrays, and the members and elements in them) in one review. A
/// review is parsed into a tree whose memory grows with its values, up to about 30 times its
/// bytes for a body of tiny elements (`[0,0,0,…]`); this bounds the tree to a few MiB. A pod
/// spec of a thousand containers has tens of thousands.
pub const MAX_JSON_VALUES: usize = 200_000;

/// Most containers (of every kind) in one object: a pod spec with more is refused as a whole.
pub const MAX_CONTAINERS: usize = 1000;

#[cfg(test)]
mod tests;
