//! Reviews built from Kubernetes' own examples (testdata/interop/kubernetes), and hostile ones.

use base64::Engine as _;
use serde_json::{Value, json};

use super::*;

fn kubernetes(path: &str) -> Vec<u8> {
    std::fs::read(vouch_testdata::root().join("interop/kubernetes").join(path)).unwrap()
}

#[test]
fn every_review_of_kubernetes_examples_yields_its_images() {
    let expected: Value = serde_json::from_slice(&kubernetes("expected-images.json")).unwrap();
    let expected = expected.as_object().unwrap();
    assert!(expected.len() >= 12, "{}", expected.len());
    for (file, wanted) in expected {
        let request = read_review(&kubernetes(file)).unwrap_or_else(|err| panic!("{file}: {err}"));
        assert_eq!(request.kind, wanted["kind"]["kind"], "{file}");
        assert_eq!(request.operation.as_str(), wanted["operation"], "{file}");
        let found: Vec<Value> = request
            .images
            .iter()
            .map(|image| json!({"pointer": image.pointer, "image": image.image}))
            .collect();
        match request.operation {
            Operation::Delete | Operation::Connect => {
                assert!(found.is_empty() && request.problem.is_none(), "{file}");
            }
            _ if wanted["hasPodSpec"] == false => {
                let problem = request.problem.unwrap_or_else(|| panic!("{file}: judged"));
                assert!(problem.contains("vouch judges pods"), "{file}: {problem}");
            }
            _ => {
                assert_eq!(request.problem, None, "{file}");
                assert_eq!(Value::Array(found), wanted["object"], "{file}");
            }
        }
    }
}

fn review(object: &Value) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": "u-1",
            "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "operation": "CREATE",
            "object": object,
        },
    }))
    .unwrap()
}

#[test]
fn bodies_that_are_no_review_are_errors() {
    for body in [
        &b"not json"[..],
        b"{}",
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
        br#"{"apiVersion":"v1","kind":"Pod","request":{}}"#,
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"","kind":{"version":"v1","kind":"Pod"},"operation":"CREATE"}}"#,
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":{"uid":"x","kind":{"version":"v1","kind":"Pod"},"operation":"PATCH"}}"#,
    ] {
        assert!(
            matches!(read_review(body), Err(AdmissionError::Malformed(_))),
            "{}",
            String::from_utf8_lossy(body)
        );
    }
    // Tiny values by the million would make a tree many times the body's size.
    let mut bomb =
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","x":["#.to_vec();
    bomb.extend(b"0,".repeat(MAX_JSON_VALUES));
    bomb.extend(b"0]}");
    assert!(
        matches!(read_review(&bomb), Err(AdmissionError::Malformed(m)) if m.contains("JSON values"))
    );
    let huge = vec![b' '; MAX_REVIEW_BYTES + 1];
    assert!(matches!(
        read_review(&huge),
        Err(AdmissionError::TooLarge { .. })
    ));
}

#[test]
fn objects_that_cannot_be_judged_are_problems_not_admissions() {
    let many: Vec<Value> = (0..=MAX_CONTAINERS)
        .map(|i| json!({"name": format!("c{i}"), "image": "nginx"}))
        .collect();
    for (object, says) in [
        (json!({"spec": {"containers": many}}), "at most"),
        (
            json!({"spec": {"containers": [{"name": "a", "image": 7}]}}),
            "a number",
        ),
        (
            json!({"spec": {"containers": [{"name": "a"}]}}),
            "no image name",
        ),
        (json!({"spec": {"containers": {"name": "a"}}}), "not a list"),
        (json!({"spec": []}), "not an object"),
        (Value::Null, "missing"),
    ] {
        let request = read_review(&review(&object)).unwrap();
        let problem = request
            .problem
            .unwrap_or_else(|| panic!("{object}: judged"));
        assert!(problem.contains(says), "{object}: {problem}");
    }
}

#[test]
fn answers_echo_the_uid_and_carry_reasons_and_patches() {
    let denied = answer(
        "admission.k8s.io/v1",
        "u-1",
        &Verdict {
            allowed: false,
            message: "x".repeat(10_000),
            warnings: vec!["w".repeat(1000)],
            patch: vec![ImagePatch {
                pointer: "/spec/containers/0/image".into(),
                image: "nginx@sha256:00".into(),
            }],
        },
    );
    let denied: Value = serde_json::from_slice(&denied).unwrap();
    assert_eq!(denied["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(denied["kind"], "AdmissionReview");
    assert_eq!(denied["response"]["uid"], "u-1");
    assert_eq!(denied["response"]["allowed"], false);
    assert_eq!(denied["response"]["status"]["code"], 403);
    assert!(
        denied["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .len()
            <= 4096
    );
    assert!(denied["response"]["warnings"][0].as_str().unwrap().len() <= 256);
    // A denial pins nothing.
    assert!(denied["response"].get("patch").is_none());

    let pinned = answer(
        "admission.k8s.io/v1beta1",
        "u-2",
        &Verdict {
            allowed: true,
            patch: vec![ImagePatch {
                pointer: "/spec/containers/0/image".into(),
                image: "nginx:1@sha256:00".into(),
            }],
            ..Verdict::default()
        },
    );
    let pinned: Value = serde_json::from_slice(&pinned).unwrap();
    assert_eq!(pinned["apiVersion"], "admission.k8s.io/v1beta1");
    assert_eq!(pinned["response"]["patchType"], "JSONPatch");
    let patch = base64::engine::general_purpose::STANDARD
        .decode(pinned["response"]["patch"].as_str().unwrap())
        .unwrap();
    let patch: Value = serde_json::from_slice(&patch).unwrap();
    assert_eq!(
        patch,
        json!([{"op": "replace", "path": "/spec/containers/0/image", "value": "nginx:1@sha256:00"}])
    );
    assert!(pinned["response"].get("status").is_none());
}
