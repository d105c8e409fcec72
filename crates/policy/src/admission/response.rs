//! The answer half of an `AdmissionReview`.

use base64::Engine as _;
use serde_json::{Value, json};

/// Longest message and warning sent back: `kubectl` prints them whole, and the API server
/// recommends warnings of at most 120 characters.
const MAX_MESSAGE: usize = 4096;
const MAX_WARNING: usize = 256;
const MAX_WARNINGS: usize = 32;

/// What the webhook decided about one request.
#[derive(Debug, Clone, Default)]
pub struct Verdict {
    /// Whether the object may be admitted.
    pub allowed: bool,
    /// Why not (shown by `kubectl`); for an allowed object, unused.
    pub message: String,
    /// Warnings `kubectl` shows even when the object is admitted.
    pub warnings: Vec<String>,
    /// Images to pin (mutating webhook), when allowed.
    pub patch: Vec<ImagePatch>,
}

/// One image field replaced (`repo:tag` → `repo:tag@sha256:…`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImagePatch {
    /// The JSON pointer of the field.
    pub pointer: String,
    /// The new value.
    pub image: String,
}

/// The `AdmissionReview` answering `uid` (in the request's `api_version`): `allowed`, a
/// `status` with code 403 and the message when denied, `warnings`, and a base64 JSON Patch
/// when there are images to pin.
#[must_use]
pub fn answer(api_version: &str, uid: &str, verdict: &Verdict) -> Vec<u8> {
    let mut response = json!({
        "uid": uid,
        "allowed": verdict.allowed,
    });
    if !verdict.allowed {
        response["status"] = json!({
            "code": 403,
            "reason": "Forbidden",
            "message": bounded(&verdict.message, MAX_MESSAGE),
        });
    }
    if !verdict.warnings.is_empty() {
        let warnings: Vec<String> = verdict
            .warnings
            .iter()
            .take(MAX_WARNINGS)
            .map(|warning| bounded(warning, MAX_WARNING))
            .collect();
        response["warnings"] = json!(warnings);
    }
    if verdict.allowed && !verdict.patch.is_empty() {
        let operations: Vec<Value> = verdict
            .patch
            .iter()
            .map(|patch| json!({"op": "replace", "path": patch.pointer, "value": patch.image}))
            .collect();
        let patch = serde_json::to_vec(&operations).unwrap_or_default();
        response["patchType"] = json!("JSONPatch");
        response["patch"] = json!(base64::engine::general_purpose::STANDARD.encode(patch));
    }
    let review = json!({
        "apiVersion": api_version,
        "kind": "AdmissionReview",
        "response": response,
    });
    serde_json::to_vec(&review).unwrap_or_default()
}

/// At most `max` bytes of `text`, cut at a character boundary, with `…` when cut.
fn bounded(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max.saturating_sub(3);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &text[..end])
}
