//! Copies from hostile registries (wiremock), for what a real registry cannot show: blobs
//! whose bytes are not their digest's, or longer than declared. Nothing of them is kept.
#![cfg(feature = "copy")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly, outside #[test] functions too"
)]

use std::time::Duration;

use vouch_oci::copy::{CopyDestination, CopyOptions, CopySource, Plan};
use vouch_oci::layout::LayoutWriter;
use vouch_oci::{ImageRef, OciDigest, Platform, RegistryClient, RegistryOptions};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const LAYER: &[u8] = b"the layer that was signed";

fn manifest() -> (Vec<u8>, OciDigest) {
    let layer = OciDigest::sha256_of(LAYER);
    let body = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer}","size":{}}}]}}"#,
        LAYER.len()
    );
    (body.into_bytes(), layer)
}

/// A registry holding the image `app:v1` whose layer is served as `served`.
async fn registry(served: &[u8]) -> (MockServer, OciDigest) {
    let server = MockServer::start().await;
    let (body, layer) = manifest();
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/v1"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Content-Type", OCI_MANIFEST)
                .set_body_bytes(body),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(
            "/v2/app/blobs/sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(b"{}".to_vec()))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/blobs/{layer}")))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(served.to_vec()))
        .mount(&server)
        .await;
    // No signatures: every other manifest and the referrers listing answer 404.
    (server, layer)
}

async fn save(
    server: &MockServer,
    dir: &std::path::Path,
) -> Result<(), vouch_oci::copy::CopyError> {
    save_with(server, dir, CopyOptions::new()).await
}

async fn save_with(
    server: &MockServer,
    dir: &std::path::Path,
    options: CopyOptions,
) -> Result<(), vouch_oci::copy::CopyError> {
    let client = RegistryClient::new(
        RegistryOptions::new()
            .max_retries(0)
            .retry_backoff(Duration::ZERO),
    )
    .unwrap();
    let source = CopySource::Registry {
        client,
        image: ImageRef::parse(&format!("{}/app:v1", server.address())).unwrap(),
    };
    let plan = Plan::gather(&source, &options).await?;
    let mut destination = CopyDestination::Layout {
        writer: LayoutWriter::create(dir).unwrap(),
        name: None,
        archive: None,
    };
    plan.copy(&source, &mut destination, None).await?;
    destination.finish()
}

#[tokio::test]
async fn an_honest_registry_is_saved() {
    let (server, layer) = registry(LAYER).await;
    let dir = tempfile::tempdir().unwrap();
    save(&server, dir.path()).await.unwrap();
    let saved = dir.path().join("blobs/sha256").join(layer.hex());
    assert_eq!(std::fs::read(saved).unwrap(), LAYER);
    let layout = vouch_oci::Layout::open(dir.path()).unwrap();
    assert_eq!(
        layout.resolve(None).unwrap().digest(),
        &OciDigest::sha256_of(&manifest().0)
    );
}

#[tokio::test]
async fn a_layer_that_is_not_its_digest_is_never_saved() {
    let changed = b"the layer that was altered".as_slice();
    let longer = b"the layer that was signed, and more".as_slice();
    for served in [&changed[..LAYER.len()], longer] {
        let (server, layer) = registry(served).await;
        let dir = tempfile::tempdir().unwrap();
        let err = save(&server, dir.path()).await.unwrap_err();
        assert!(
            err.to_string().contains(&layer.to_string()),
            "the message names the blob: {err}"
        );
        let blobs: Vec<String> = std::fs::read_dir(dir.path().join("blobs/sha256"))
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert!(!blobs.contains(&layer.hex().to_owned()), "{blobs:?}");
        assert!(
            blobs.iter().all(|name| !name.contains("partial")),
            "{blobs:?}"
        );
        assert!(!dir.path().join("index.json").exists());
    }
}

/// Serves `body` (with `content_type`, if any) to GETs of `path`.
async fn serve(server: &MockServer, at: &str, content_type: Option<&str>, body: &[u8]) {
    let mut answer = ResponseTemplate::new(200).set_body_bytes(body.to_vec());
    if let Some(content_type) = content_type {
        answer = answer.insert_header("Content-Type", content_type);
    }
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(answer)
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_index_is_saved_whole_or_one_platform_alone() {
    const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
    let server = MockServer::start().await;
    let mut children = Vec::new();
    for (architecture, layer) in [
        ("amd64", b"amd64 layer".as_slice()),
        ("arm64", b"arm64 layer"),
    ] {
        let layer_digest = OciDigest::sha256_of(layer);
        serve(
            &server,
            &format!("/v2/app/blobs/{layer_digest}"),
            None,
            layer,
        )
        .await;
        let body = format!(
            r#"{{"schemaVersion":2,"mediaType":"{OCI_MANIFEST}","config":{{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{layer_digest}","size":{}}}]}}"#,
            layer.len()
        );
        let digest = OciDigest::sha256_of(body.as_bytes());
        serve(
            &server,
            &format!("/v2/app/manifests/{digest}"),
            Some(OCI_MANIFEST),
            body.as_bytes(),
        )
        .await;
        children.push((architecture, digest, body.len(), layer_digest));
    }
    serve(
        &server,
        "/v2/app/blobs/sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a",
        None,
        b"{}",
    )
    .await;
    let entries: Vec<String> = children
        .iter()
        .map(|(architecture, digest, size, _)| {
            format!(
                r#"{{"mediaType":"{OCI_MANIFEST}","digest":"{digest}","size":{size},"platform":{{"os":"linux","architecture":"{architecture}"}}}}"#
            )
        })
        .collect();
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{OCI_INDEX}","manifests":[{}]}}"#,
        entries.join(",")
    );
    serve(
        &server,
        "/v2/app/manifests/v1",
        Some(OCI_INDEX),
        index.as_bytes(),
    )
    .await;

    let whole = tempfile::tempdir().unwrap();
    save(&server, whole.path()).await.unwrap();
    let layout = vouch_oci::Layout::open(whole.path()).unwrap();
    let entry = layout.resolve(None).unwrap();
    assert_eq!(entry.digest(), &OciDigest::sha256_of(index.as_bytes()));
    assert_eq!(
        entry.cosign_kind(),
        Some("dev.cosignproject.cosign/imageIndex")
    );
    for (_, digest, _, layer) in &children {
        for blob in [digest, layer] {
            assert!(whole.path().join("blobs/sha256").join(blob.hex()).is_file());
        }
    }

    let one = tempfile::tempdir().unwrap();
    let options = CopyOptions::new().with_platform(Platform::parse("linux/arm64").unwrap());
    save_with(&server, one.path(), options).await.unwrap();
    let layout = vouch_oci::Layout::open(one.path()).unwrap();
    let entry = layout.resolve(None).unwrap();
    assert_eq!(entry.digest(), &children[1].1);
    assert_eq!(entry.cosign_kind(), Some("dev.cosignproject.cosign/image"));
    assert!(
        !one.path()
            .join("blobs/sha256")
            .join(children[0].3.hex())
            .exists()
    );
    assert!(
        !one.path()
            .join("blobs/sha256")
            .join(OciDigest::sha256_of(index.as_bytes()).hex())
            .exists()
    );
}
