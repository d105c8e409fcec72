//! Attaching signatures (`RegistryClient::attach_*`) against wiremock registries, for what
//! the real registry in the CLI's end-to-end tests cannot show: the referrers API (no
//! fallback index is written), tags that hold something else (never overwritten), refusals
//! of push, and uploads sent elsewhere.
#![cfg(feature = "registry")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly, outside #[test] functions too"
)]

use std::time::Duration;

use vouch_oci::attach::referrer::BundleReferrer;
use vouch_oci::attach::{ImageSubject, legacy};
use vouch_oci::{
    Attached, ImageRef, LookupFailure, OciDigest, RegistryClient, RegistryErrorKind,
    RegistryOptions, Repository,
};
use wiremock::matchers::{method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const IMAGE: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

fn client() -> RegistryClient {
    RegistryClient::new(RegistryOptions::new().retry_backoff(Duration::from_millis(10))).unwrap()
}

fn repository(server: &MockServer) -> Repository {
    Repository::parse(&format!("{}/app", server.address())).unwrap()
}

fn subject() -> ImageSubject {
    ImageSubject::from_manifest(IMAGE, None, None).unwrap()
}

/// Content HEADs answer 404, uploads start at a relative Location and finish with 201.
async fn mount_uploads(server: &MockServer) {
    Mock::given(method("HEAD"))
        .and(path_regex("^/v2/app/blobs/sha256:[0-9a-f]{64}$"))
        .respond_with(ResponseTemplate::new(404))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v2/app/blobs/uploads/"))
        .respond_with(
            ResponseTemplate::new(202).insert_header("Location", "/v2/app/blobs/uploads/u1?s=1"),
        )
        .mount(server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/v2/app/blobs/uploads/u1"))
        .and(query_param("s", "1"))
        .respond_with(ResponseTemplate::new(201))
        .mount(server)
        .await;
}

async fn methods_and_paths(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| format!("{} {}", r.method, r.url.path()))
        .collect()
}

fn referrer() -> BundleReferrer {
    BundleReferrer::new(&subject(), b"{}".to_vec(), "2026-12-01T00:00:00Z").unwrap()
}

#[tokio::test]
async fn with_the_referrers_api_no_fallback_index_is_written() {
    let server = MockServer::start().await;
    mount_uploads(&server).await;
    let referrer = referrer();
    let digest = referrer.manifest().digest().to_string();
    Mock::given(method("PUT"))
        .and(path(format!("/v2/app/manifests/{digest}")))
        .respond_with(
            ResponseTemplate::new(201)
                .insert_header("Docker-Content-Digest", digest.as_str())
                .insert_header("OCI-Subject", subject().digest().to_string().as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let outcome = client()
        .attach_bundle(&repository(&server), &subject(), &referrer)
        .await
        .unwrap();
    assert_eq!(
        outcome.attached,
        Attached::Referrer {
            manifest: referrer.manifest().digest().clone()
        }
    );
    let requests = methods_and_paths(&server).await;
    // Two blobs (empty config, bundle): HEAD, POST, PUT each; then the manifest.
    assert_eq!(requests.len(), 7, "{requests:#?}");
    assert!(
        !requests.iter().any(|r| r.contains("sha256-")),
        "touched the fallback tag: {requests:#?}"
    );
}

#[tokio::test]
async fn without_it_the_fallback_index_keeps_what_it_listed() {
    let server = MockServer::start().await;
    mount_uploads(&server).await;
    let referrer = referrer();
    let digest = referrer.manifest().digest().to_string();
    Mock::given(method("PUT"))
        .and(path(format!("/v2/app/manifests/{digest}")))
        .respond_with(ResponseTemplate::new(201))
        .mount(&server)
        .await;
    let tag = subject().digest().tag_form();
    let existing = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:1111111111111111111111111111111111111111111111111111111111111111","size":7,"artifactType":"application/spdx+json"}]}"#;
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/manifests/{tag}")))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(&existing[..], "application/vnd.oci.image.index.v1+json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/v2/app/manifests/{tag}")))
        .respond_with(ResponseTemplate::new(201))
        .expect(1)
        .mount(&server)
        .await;
    let outcome = client()
        .attach_bundle(&repository(&server), &subject(), &referrer)
        .await
        .unwrap();
    assert!(matches!(
        outcome.attached,
        Attached::ReferrerWithFallbackTag { .. }
    ));
    let requests = server.received_requests().await.unwrap();
    let put = requests
        .iter()
        .find(|r| r.method.as_str() == "PUT" && r.url.path().ends_with(&tag))
        .unwrap();
    let index: serde_json::Value = serde_json::from_slice(&put.body).unwrap();
    let before: serde_json::Value = serde_json::from_slice(existing).unwrap();
    assert_eq!(index["manifests"][0], before["manifests"][0]);
    assert_eq!(index["manifests"][1]["digest"], digest);
    assert_eq!(
        put.headers.get("content-type").unwrap(),
        "application/vnd.oci.image.index.v1+json"
    );
}

#[tokio::test]
async fn a_tag_holding_something_else_is_not_overwritten() {
    let server = MockServer::start().await;
    mount_uploads(&server).await;
    let tag = format!("{}.sig", subject().digest().tag_form());
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/manifests/{tag}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            &br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#[..],
            "application/vnd.oci.image.index.v1+json",
        ))
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    let payload = legacy::payload_blob(legacy::simple_signing_payload(
        "r/app",
        subject().digest(),
        &[],
    ));
    let err = client()
        .attach_legacy_signature(&repository(&server), &subject(), &payload, "c2ln")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            LookupFailure::Lookup(vouch_oci::Error::ForeignSignatureTag { .. })
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("refusing to rewrite"), "{err}");
}

#[tokio::test]
async fn a_refused_push_says_push_permission() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(403).set_body_raw(
            &br#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#[..],
            "application/json",
        ))
        .mount(&server)
        .await;
    let referrer = referrer();
    let err = client()
        .attach_bundle(&repository(&server), &subject(), &referrer)
        .await
        .unwrap_err();
    let LookupFailure::Registry(err) = err else {
        panic!("{err}")
    };
    assert_eq!(err.kind(), RegistryErrorKind::Forbidden);
    assert!(err.to_string().contains("push permission"), "{err}");
}

#[tokio::test]
async fn uploads_are_not_sent_to_another_origin() {
    let server = MockServer::start().await;
    Mock::given(method("HEAD"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(
            ResponseTemplate::new(202).insert_header("Location", "https://storage.example/u1"),
        )
        .mount(&server)
        .await;
    let err = client()
        .attach_bundle(&repository(&server), &subject(), &referrer())
        .await
        .unwrap_err();
    let LookupFailure::Registry(err) = err else {
        panic!("{err}")
    };
    assert_eq!(err.kind(), RegistryErrorKind::InsecureRefused, "{err}");
}

#[tokio::test]
async fn the_subject_is_resolved_once_and_checked() {
    let server = MockServer::start().await;
    let digest = OciDigest::sha256_of(IMAGE);
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/v1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(IMAGE, OCI_MANIFEST)
                .insert_header("Docker-Content-Digest", digest.to_string().as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    let image = ImageRef::parse(&format!("{}/app:v1", server.address())).unwrap();
    let subject = client().resolve_subject(&image).await.unwrap();
    assert_eq!(subject.digest(), &digest);
    assert_eq!(subject.media_type(), OCI_MANIFEST);
    // Pinned to another digest: the same bytes are refused.
    let other = OciDigest::sha256_of(b"other");
    let pinned = ImageRef::parse(&format!("{}/app@{other}", server.address())).unwrap();
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/manifests/{other}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(IMAGE, OCI_MANIFEST))
        .mount(&server)
        .await;
    assert!(client().resolve_subject(&pinned).await.is_err());
}
