//! Kubernetes AdmissionReview bodies as the webhook receives them (hostile until answered).
//! No input may panic; a review that is read yields at most `MAX_CONTAINERS` images, each
//! with the JSON pointer of its field, and its answer is JSON that echoes the uid.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_policy::admission::{self, ImagePatch, MAX_CONTAINERS, Verdict};

fuzz_target!(|data: &[u8]| {
    let Ok(request) = admission::read_review(data) else {
        return;
    };
    assert!(request.images.len() <= MAX_CONTAINERS);
    let patch: Vec<ImagePatch> = request
        .images
        .iter()
        .map(|image| {
            assert!(image.pointer.starts_with('/') && image.pointer.ends_with("/image"));
            ImagePatch {
                pointer: image.pointer.clone(),
                image: format!("{}@sha256:00", image.image),
            }
        })
        .collect();
    let verdict = Verdict {
        allowed: request.problem.is_none(),
        message: request.problem.clone().unwrap_or_default(),
        warnings: Vec::new(),
        patch,
    };
    let answer = admission::answer(&request.api_version, &request.uid, &verdict);
    let parsed: serde_json::Value =
        serde_json::from_slice(&answer).unwrap_or_else(|err| panic!("answer is no JSON: {err}"));
    assert_eq!(parsed["response"]["uid"], request.uid.as_str());
});
