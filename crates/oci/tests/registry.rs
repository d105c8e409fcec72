//! The registry driver (`registry` feature) against wiremock registries on loopback: how it
//! talks (requests, headers, retries, authentication), not only what it returns.
#![cfg(feature = "registry")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly, outside #[test] functions too"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use vouch_oci::{
    Credentials, Fetch, FetchStatus, MANIFEST_ACCEPT, OciDigest, RegistryClient, RegistryErrorKind,
    RegistryOptions, Repository, Response,
};
use wiremock::matchers::{body_string_contains, header, headers, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// Fast retries, no environment.
fn options() -> RegistryOptions {
    RegistryOptions::new().retry_backoff(Duration::from_millis(10))
}

fn client(options: RegistryOptions) -> RegistryClient {
    RegistryClient::new(options).unwrap()
}

fn repository(server: &MockServer, name: &str) -> Repository {
    Repository::parse(&format!("{}/{name}", server.address())).unwrap()
}

fn manifest(server: &MockServer, name: &str, reference: &str) -> Fetch {
    Fetch::Manifest {
        repository: repository(server, name),
        reference: reference.to_owned(),
    }
}

fn manifest_ok() -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_raw(MANIFEST, OCI_MANIFEST)
        .insert_header(
            "Docker-Content-Digest",
            OciDigest::sha256_of(MANIFEST).to_string(),
        )
}

/// The requests a server received: method, path and query, and the Authorization scheme
/// (credentials redacted).
async fn request_log(server: &MockServer) -> String {
    let requests = server.received_requests().await.unwrap();
    requests
        .iter()
        .map(|r| {
            let query = r.url.query().map(|q| format!("?{q}")).unwrap_or_default();
            let auth = r
                .headers
                .get("authorization")
                .map(|v| {
                    let scheme = v.to_str().unwrap().split(' ').next().unwrap();
                    format!("  [Authorization: {scheme} <redacted>]")
                })
                .unwrap_or_default();
            format!("{} {}{query}{auth}", r.method, r.url.path())
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `f` with the server's address replaced by `[REGISTRY]` in snapshots.
fn with_registry_filter<R>(server: &MockServer, f: impl FnOnce() -> R) -> R {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&server.address().to_string()), "[REGISTRY]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "[OTHER]");
    settings.bind(f)
}

fn regex_escape(text: &str) -> String {
    text.replace('.', r"\.")
        .replace('[', r"\[")
        .replace(']', r"\]")
}

#[tokio::test]
async fn manifest_fetch_sends_accept_and_keeps_headers() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/v1"))
        .and(headers("accept", MANIFEST_ACCEPT.to_vec()))
        .and(header(
            "user-agent",
            concat!("vouch/", env!("CARGO_PKG_VERSION")),
        ))
        .respond_with(manifest_ok())
        .expect(2)
        .mount(&server)
        .await;
    let client = client(options());
    let body = client.fetch(&manifest(&server, "app", "v1")).await.unwrap();
    assert_eq!(body.status(), FetchStatus::Found);
    assert_eq!(
        body.as_response(),
        Response::Found {
            body: MANIFEST,
            content_type: Some(OCI_MANIFEST),
            docker_content_digest: Some(OciDigest::sha256_of(MANIFEST).to_string().as_str()),
        }
    );
    // Loopback without TLS: the first HTTPS attempt fails and plain HTTP is remembered, so
    // a second fetch goes straight to HTTP.
    client.fetch(&manifest(&server, "app", "v1")).await.unwrap();
    assert_eq!(client.request_count(), 2);
}

#[tokio::test]
async fn not_found_is_an_answer_not_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404).set_body_string(
            r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#,
        ))
        .mount(&server)
        .await;
    let client = client(options());
    let referrers = Fetch::Referrers {
        repository: repository(&server, "app"),
        digest: OciDigest::sha256_of(b"x"),
    };
    let body = client.fetch(&referrers).await.unwrap();
    assert_eq!(body.as_response(), Response::NotFound);
    let log = request_log(&server).await;
    assert_eq!(
        log,
        format!("GET /v2/app/referrers/{}", OciDigest::sha256_of(b"x"))
    );
    let requests = server.received_requests().await.unwrap();
    assert_eq!(
        requests[0].headers.get("accept").unwrap(),
        "application/vnd.oci.image.index.v1+json"
    );
}

#[tokio::test]
async fn paginated_referrers_listings_are_followed_and_merged() {
    let server = MockServer::start().await;
    let subject = OciDigest::sha256_of(b"x");
    let entry = |n: u8| {
        format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{}","size":{n},"artifactType":"application/spdx+json"}}"#,
            OciDigest::sha256_of(&[n])
        )
    };
    let page = |entries: &[String]| {
        format!(
            r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{}]}}"#,
            entries.join(",")
        )
    };
    let path_first = format!("/v2/app/referrers/{subject}");
    Mock::given(method("GET"))
        .and(path(path_first.clone()))
        .and(query_param("last", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(page(&[entry(3)]), "application/vnd.oci.image.index.v1+json"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(path_first.clone()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(
                    page(&[entry(1), entry(2)]),
                    "application/vnd.oci.image.index.v1+json",
                )
                .insert_header(
                    "Link",
                    format!(r#"<{path_first}?n=2&last=2>; rel="next""#).as_str(),
                ),
        )
        .mount(&server)
        .await;
    let referrers = Fetch::Referrers {
        repository: repository(&server, "app"),
        digest: subject.clone(),
    };
    let client = client(options());
    let body = client.fetch(&referrers).await.unwrap();
    let merged: serde_json::Value = serde_json::from_slice(body.body()).unwrap();
    let sizes: Vec<u64> = merged["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["size"].as_u64().unwrap())
        .collect();
    assert_eq!(sizes, [1, 2, 3]);
    assert_eq!(client.request_count(), 2);

    // A next page on another origin is refused, not followed.
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(path_first.clone()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(page(&[entry(1)]), "application/vnd.oci.image.index.v1+json")
                .insert_header(
                    "Link",
                    format!(r#"<http://{}/next>; rel="next""#, server.address()).as_str(),
                ),
        )
        .mount(&other)
        .await;
    let referrers = Fetch::Referrers {
        repository: repository(&other, "app"),
        digest: subject,
    };
    let err = client.fetch(&referrers).await.unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::InsecureRefused, "{err}");
}

#[tokio::test]
async fn throttling_is_retried_after_the_time_the_registry_asks() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("Retry-After", "1")
                .set_body_string(
                    r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#,
                ),
        )
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(manifest_ok())
        .mount(&server)
        .await;
    let client = client(options());
    let started = Instant::now();
    let body = client.fetch(&manifest(&server, "app", "v1")).await.unwrap();
    assert_eq!(body.status(), FetchStatus::Found);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(client.request_count(), 2);
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn throttling_that_does_not_end_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).set_body_string(
            r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"You have reached your pull rate limit"}]}"#,
        ))
        .mount(&server)
        .await;
    let client = client(options().max_retries(1));
    let err = client
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::Throttled);
    assert_eq!(err.status(), Some(429));
    assert_eq!(client.request_count(), 2);
    with_registry_filter(&server, || {
        insta::assert_snapshot!(err, @"GET http://[REGISTRY]/v2/app/manifests/v1 answered 429 TOOMANYREQUESTS: You have reached your pull rate limit after 1 retry: the registry is rate-limiting; try again later, or authenticate for a higher limit");
    });
}

#[tokio::test]
async fn server_errors_are_retried_then_reported() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(503))
        .expect(3)
        .mount(&server)
        .await;
    let client = client(options().max_retries(2));
    let err = client
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::ServerError);
    assert_eq!(err.status(), Some(503));
    with_registry_filter(&server, || {
        insta::assert_snapshot!(err, @"GET http://[REGISTRY]/v2/app/manifests/v1 answered 503 Service Unavailable after 2 retries: the registry is failing; try again later");
    });
}

#[tokio::test]
async fn other_client_errors_carry_the_registry_message() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(400).set_body_string(
            r#"{"errors":[{"code":"NAME_INVALID","message":"invalid repository name"}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(options())
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::UnexpectedStatus);
    with_registry_filter(&server, || {
        insta::assert_snapshot!(err, @"GET http://[REGISTRY]/v2/app/manifests/v1 answered 400 NAME_INVALID: invalid repository name; expected 200 or 404");
    });
}

/// Mounts a registry that wants a bearer token from its own `/token` endpoint.
async fn mount_token_registry(server: &MockServer, token: &str) {
    let challenge = format!(
        r#"Bearer realm="{}/token",service="test-registry",scope="repository:app:pull""#,
        server.uri()
    );
    // The lookup asks for the image's headers (HEAD); a fetch of the manifest GETs it.
    for verb in ["GET", "HEAD"] {
        Mock::given(method(verb))
            .and(path("/v2/app/manifests/v1"))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(manifest_ok())
            .mount(server)
            .await;
        Mock::given(method(verb))
            .and(path("/v2/app/manifests/v1"))
            .respond_with(
                ResponseTemplate::new(401)
                    .insert_header("WWW-Authenticate", challenge.as_str())
                    .set_body_string(
                        r#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}"#,
                    ),
            )
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn bearer_challenge_gets_an_anonymous_token_once() {
    let server = MockServer::start().await;
    mount_token_registry(&server, "anonymous-token").await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(query_param("service", "test-registry"))
        .and(query_param("scope", "repository:app:pull"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"token":"anonymous-token","expires_in":300}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let client = client(options());
    for _ in 0..3 {
        let body = client.fetch(&manifest(&server, "app", "v1")).await.unwrap();
        assert_eq!(body.status(), FetchStatus::Found);
    }
    // One 401, one token, then the cached token for every request.
    insta::assert_snapshot!(request_log(&server).await, @r"
    GET /v2/app/manifests/v1
    GET /token?service=test-registry&scope=repository%3Aapp%3Apull
    GET /v2/app/manifests/v1  [Authorization: Bearer <redacted>]
    GET /v2/app/manifests/v1  [Authorization: Bearer <redacted>]
    GET /v2/app/manifests/v1  [Authorization: Bearer <redacted>]
    ");
    assert_eq!(client.request_count(), 5);
}

#[tokio::test]
async fn a_known_challenge_is_answered_up_front_for_other_repositories() {
    let server = MockServer::start().await;
    mount_token_registry(&server, "t").await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"t"}"#))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/other/manifests/v1"))
        .and(header("authorization", "Bearer t"))
        .respond_with(manifest_ok())
        .mount(&server)
        .await;
    let client = client(options());
    client.fetch(&manifest(&server, "app", "v1")).await.unwrap();
    client
        .fetch(&manifest(&server, "other", "v1"))
        .await
        .unwrap();
    insta::assert_snapshot!(request_log(&server).await, @r"
    GET /v2/app/manifests/v1
    GET /token?service=test-registry&scope=repository%3Aapp%3Apull
    GET /v2/app/manifests/v1  [Authorization: Bearer <redacted>]
    GET /token?service=test-registry&scope=repository%3Aother%3Apull
    GET /v2/other/manifests/v1  [Authorization: Bearer <redacted>]
    ");
}

#[tokio::test]
async fn basic_challenge_with_explicit_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Basic dXNlcjpwYXNz"))
        .respond_with(manifest_ok())
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", r#"Basic realm="test""#),
        )
        .mount(&server)
        .await;
    let client = client(options().credentials(Credentials::basic("user", "pass")));
    client.fetch(&manifest(&server, "app", "v1")).await.unwrap();
    client.fetch(&manifest(&server, "app", "v1")).await.unwrap();
    insta::assert_snapshot!(request_log(&server).await, @r"
    GET /v2/app/manifests/v1
    GET /v2/app/manifests/v1  [Authorization: Basic <redacted>]
    GET /v2/app/manifests/v1  [Authorization: Basic <redacted>]
    ");
}

#[tokio::test]
async fn basic_challenge_without_credentials_says_where_it_looked() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", r#"Basic realm="test""#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let err = client(options().docker_config("/nonexistent/config.json"))
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::Unauthorized);
    with_registry_filter(&server, || {
        insta::assert_snapshot!(err, @"[REGISTRY] requires authentication for app (401 Unauthorized) and no credentials were found for it (no credential file found; looked for /nonexistent/config.json); log in with `docker login [REGISTRY]`, or pass credentials");
    });
}

#[tokio::test]
async fn explicit_bearer_token_is_sent_up_front() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header("authorization", "Bearer given"))
        .respond_with(manifest_ok())
        .expect(1)
        .mount(&server)
        .await;
    client(options().credentials(Credentials::bearer("given")))
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap();
}

/// A temporary docker config.json.
fn docker_config(json: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("config.json");
    std::fs::write(&file, json).unwrap();
    (dir, file)
}

#[tokio::test]
async fn docker_config_credentials_go_to_the_token_service() {
    let server = MockServer::start().await;
    mount_token_registry(&server, "user-token").await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .and(header("authorization", "Basic aHViOnNlY3JldA=="))
        .respond_with(
            ResponseTemplate::new(200).set_body_string(r#"{"access_token":"user-token"}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (_dir, config) = docker_config(&format!(
        r#"{{"auths": {{"{}": {{"auth": "aHViOnNlY3JldA=="}}}}}}"#,
        server.address()
    ));
    client(options().docker_config(&config))
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap();
}

#[tokio::test]
async fn refused_credentials_name_their_source() {
    let server = MockServer::start().await;
    mount_token_registry(&server, "never").await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(401).set_body_string(
            r#"{"errors":[{"code":"UNAUTHORIZED","message":"incorrect username or password"}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let (dir, config) = docker_config(&format!(
        r#"{{"auths": {{"{}": {{"auth": "aHViOnNlY3JldA=="}}}}}}"#,
        server.address()
    ));
    let err = client(options().docker_config(&config))
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::Unauthorized);
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(&regex_escape(&dir.path().display().to_string()), "[CONFIG]");
    settings.bind(|| {
        with_registry_filter(&server, || {
            insta::assert_snapshot!(err, @r#"the token service http://[REGISTRY]/token of [REGISTRY] refused a token for repository:app:pull with the credentials from auths["[REGISTRY]"] in [CONFIG]/config.json (401 UNAUTHORIZED: incorrect username or password); check `docker login [REGISTRY]`, or pass other credentials"#);
        });
    });
}

#[tokio::test]
async fn identity_token_is_exchanged_with_a_refresh_grant() {
    let server = MockServer::start().await;
    mount_token_registry(&server, "access").await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=refresh-me"))
        .and(body_string_contains("service=test-registry"))
        .and(body_string_contains("scope=repository%3Aapp%3Apull"))
        .and(body_string_contains("client_id=vouch"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_string(r#"{"access_token":"access","expires_in":60}"#),
        )
        .expect(1)
        .mount(&server)
        .await;
    let (_dir, config) = docker_config(&format!(
        r#"{{"auths": {{"{}": {{"username": "00000000-0000-0000-0000-000000000000", "identitytoken": "refresh-me"}}}}}}"#,
        server.address()
    ));
    client(options().docker_config(&config))
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap();
    insta::assert_snapshot!(request_log(&server).await, @r"
    GET /v2/app/manifests/v1
    POST /token
    GET /v2/app/manifests/v1  [Authorization: Bearer <redacted>]
    ");
}

#[tokio::test]
async fn identity_token_falls_back_to_get_when_oauth_is_missing() {
    let server = MockServer::start().await;
    mount_token_registry(&server, "plain").await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(404))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"plain"}"#))
        .expect(1)
        .mount(&server)
        .await;
    let (_dir, config) = docker_config(&format!(
        r#"{{"auths": {{"{}": {{"identitytoken": "refresh-me"}}}}}}"#,
        server.address()
    ));
    client(options().docker_config(&config))
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap();
}

#[cfg(unix)]
#[tokio::test]
async fn credential_helpers_named_in_the_config_are_run() {
    use std::os::unix::fs::PermissionsExt as _;

    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(header(
            "authorization",
            "Basic aGVscGVyLXVzZXI6aGVscGVyLXBhc3M=",
        ))
        .respond_with(manifest_ok())
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", r#"Basic realm="test""#),
        )
        .mount(&server)
        .await;
    let bin = tempfile::tempdir().unwrap();
    let helper = bin.path().join("docker-credential-test");
    // docker's protocol: `get`, the server on stdin (no newline), JSON on stdout.
    std::fs::write(
        &helper,
        format!(
            "#!/bin/sh\nread -r server\nif [ \"$1\" = get ] && [ \"$server\" = '{}' ]; then\n  \
             echo '{{\"ServerURL\":\"x\",\"Username\":\"helper-user\",\"Secret\":\"helper-pass\"}}'\nelse\n  \
             echo 'credentials not found in native keychain'; exit 1\nfi\n",
            server.address()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_dir, config) = docker_config(&format!(
        r#"{{"auths": {{"{0}": {{}}}}, "credHelpers": {{"{0}": "test"}}}}"#,
        server.address()
    ));
    let client = client(
        options()
            .docker_config(&config)
            .credential_helper_path(bin.path().as_os_str()),
    );
    client.fetch(&manifest(&server, "app", "v1")).await.unwrap();

    // A registry the helper knows nothing about: anonymous, then a clear error.
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).insert_header("WWW-Authenticate", r#"Basic realm="test""#),
        )
        .mount(&other)
        .await;
    let (_dir2, config) = docker_config(r#"{"credsStore": "test"}"#);
    let err = RegistryClient::new(
        options()
            .docker_config(&config)
            .credential_helper_path(bin.path().as_os_str()),
    )
    .unwrap()
    .fetch(&manifest(&other, "app", "v1"))
    .await
    .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::Unauthorized);
}

#[tokio::test]
async fn blob_redirect_to_another_host_drops_the_credentials() {
    let registry = MockServer::start().await;
    let storage = MockServer::start().await;
    let blob = b"payload".to_vec();
    let digest = OciDigest::sha256_of(&blob);
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/blobs/{digest}")))
        .respond_with(ResponseTemplate::new(307).insert_header(
            "Location",
            format!("{}/bucket/object?sig=abc", storage.uri()),
        ))
        .expect(1)
        .mount(&registry)
        .await;
    Mock::given(method("GET"))
        .and(path("/bucket/object"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(blob.clone()))
        .expect(1)
        .mount(&storage)
        .await;
    let client = client(options().credentials(Credentials::bearer("secret-token")));
    let fetch = Fetch::Blob {
        repository: repository(&registry, "app"),
        digest,
        size: 7,
    };
    let body = client.fetch(&fetch).await.unwrap();
    assert_eq!(body.body(), b"payload");
    assert_eq!(
        request_log(&registry).await,
        format!(
            "GET /v2/app/blobs/{}  [Authorization: Bearer <redacted>]",
            OciDigest::sha256_of(b"payload")
        )
    );
    // The storage got no Authorization header.
    assert_eq!(request_log(&storage).await, "GET /bucket/object?sig=abc");
}

#[tokio::test]
async fn redirect_within_the_registry_keeps_the_credentials() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/v1"))
        .respond_with(ResponseTemplate::new(302).insert_header("Location", "/moved/manifest"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/moved/manifest"))
        .and(header("authorization", "Bearer t"))
        .respond_with(manifest_ok())
        .expect(1)
        .mount(&server)
        .await;
    client(options().credentials(Credentials::bearer("t")))
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap();
}

#[tokio::test]
async fn redirects_to_metadata_addresses_and_loops_are_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/v1"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", "http://169.254.169.254/latest/meta-data/"),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/app/manifests/loop"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("Location", "/v2/app/manifests/loop"),
        )
        .mount(&server)
        .await;
    let client = client(options());
    let err = client
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::InsecureRefused);
    let err = client
        .fetch(&manifest(&server, "app", "loop"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::Redirect);
    with_registry_filter(&server, || {
        insta::assert_snapshot!(err, @"GET http://[REGISTRY]/v2/app/manifests/loop was redirected more than 10 times");
    });
}

#[tokio::test]
async fn redirect_to_plain_http_elsewhere_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", "http://storage.example.invalid/blob"),
        )
        .mount(&server)
        .await;
    let err = client(options())
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::InsecureRefused);
}

#[tokio::test]
async fn token_service_over_plain_http_or_at_metadata_addresses_is_refused() {
    for realm in [
        "http://auth.example.invalid/token",
        "https://169.254.169.254/token",
        "file:///etc/passwd",
    ] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(401).insert_header(
                "WWW-Authenticate",
                format!(r#"Bearer realm="{realm}",service="s""#).as_str(),
            ))
            .expect(1)
            .mount(&server)
            .await;
        let err = client(options())
            .fetch(&manifest(&server, "app", "v1"))
            .await
            .unwrap_err();
        let expected = if realm.starts_with("file") {
            RegistryErrorKind::Protocol
        } else {
            RegistryErrorKind::InsecureRefused
        };
        assert_eq!(err.kind(), expected, "{realm}: {err}");
        assert!(
            err.to_string().starts_with("refusing the token service"),
            "{err}"
        );
    }
}

#[tokio::test]
async fn plain_http_is_refused_for_registries_that_are_not_loopback() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(manifest_ok())
        .mount(&server)
        .await;
    let host = format!("registry.test:{}", server.address().port());
    let fetch = Fetch::Manifest {
        repository: Repository::parse(&format!("{host}/app")).unwrap(),
        reference: "v1".into(),
    };
    let resolved = || options().resolve("registry.test", *server.address());

    let err = client(resolved()).fetch(&fetch).await.unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::InsecureRefused);
    let message = err
        .to_string()
        .replace(&server.address().port().to_string(), "[PORT]");
    with_registry_filter(&server, || {
        insta::assert_snapshot!(message, @"registry.test:[PORT] did not complete a TLS handshake (it may serve plain HTTP); plain HTTP is used only for loopback registries or when explicitly allowed");
    });
    assert!(server.received_requests().await.unwrap().is_empty());

    let body = client(resolved().allow_http(true))
        .fetch(&fetch)
        .await
        .unwrap();
    assert_eq!(body.status(), FetchStatus::Found);
}

#[tokio::test]
async fn content_length_over_the_limit_is_too_large_without_reading() {
    let server = MockServer::start().await;
    let digest = OciDigest::sha256_of(b"0123456789");
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_bytes(vec![b'x'; 100_000]))
        .mount(&server)
        .await;
    let fetch = Fetch::Blob {
        repository: repository(&server, "app"),
        digest,
        size: 10,
    };
    let body = client(options()).fetch(&fetch).await.unwrap();
    assert_eq!(body.status(), FetchStatus::TooLarge);
    assert_eq!(body.as_response(), Response::TooLarge);
    assert!(body.body().is_empty());
}

/// A registry on a raw socket that answers every request with an endless chunked body (or,
/// to a TLS ClientHello, a plain-HTTP 400). Stops after 256 MiB or when the client hangs
/// up; returns the bytes of body it managed to send.
async fn endless_registry() -> (std::net::SocketAddr, Arc<AtomicU64>) {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let sent = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&sent);
    tokio::spawn(async move {
        for _ in 0..4 {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut request = Vec::new();
            let mut buffer = [0_u8; 4096];
            while !request.windows(4).any(|w| w == b"\r\n\r\n") {
                match socket.read(&mut buffer).await {
                    Ok(0) | Err(_) => break,
                    Ok(n) => request.extend_from_slice(&buffer[..n]),
                }
                if request.first() == Some(&0x16) {
                    break; // a TLS ClientHello
                }
            }
            if request.first() == Some(&0x16) {
                let _ = socket
                    .write_all(b"HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n")
                    .await;
                continue;
            }
            let head = "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.oci.image.manifest.v1+json\r\nTransfer-Encoding: chunked\r\n\r\n";
            if socket.write_all(head.as_bytes()).await.is_err() {
                continue;
            }
            let chunk = [b' '; 64 * 1024];
            let frame = [b"10000\r\n".as_slice(), &chunk, b"\r\n"].concat();
            for _ in 0..4096 {
                if socket.write_all(&frame).await.is_err() {
                    break;
                }
                counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
            }
            return;
        }
    });
    (address, sent)
}

#[tokio::test]
async fn endless_body_stops_at_the_limit() {
    let (address, sent) = endless_registry().await;
    let fetch = Fetch::Manifest {
        repository: Repository::parse(&format!("{address}/app")).unwrap(),
        reference: "v1".into(),
    };
    let body = client(options()).fetch(&fetch).await.unwrap();
    assert_eq!(body.status(), FetchStatus::TooLarge);
    // The client read about 4 MiB (the manifest limit) and hung up: what the server could
    // push is that plus socket buffers, far from the 256 MiB it would send.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = sent.load(Ordering::Relaxed);
    assert!(sent >= vouch_oci::MAX_MANIFEST_BYTES, "{sent}");
    assert!(
        sent < 64 * 1024 * 1024,
        "{sent} bytes sent: the client kept reading"
    );
}

#[tokio::test]
async fn slow_registries_time_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(manifest_ok().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let client = client(options().timeout(Duration::from_millis(300)).max_retries(1));
    let started = Instant::now();
    let err = client
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::Timeout);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn forbidden_is_not_retried_and_says_who_asked() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(403).set_body_string(
            r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
        ))
        .expect(1)
        .mount(&server)
        .await;
    let err = client(options().credentials(Credentials::basic("u", "p")))
        .fetch(&manifest(&server, "app", "v1"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::Forbidden);
    with_registry_filter(&server, || {
        insta::assert_snapshot!(err, @"[REGISTRY] denied access to app with the credentials from the explicit credentials (403 DENIED: requested access to the resource is denied); the account may lack pull permission");
    });
}

#[test]
fn unusable_ca_certificates_are_refused_up_front() {
    let err = RegistryClient::new(
        RegistryOptions::new().ca_certificates(vec![b"not a certificate".to_vec()]),
    )
    .unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::Configuration);
    insta::assert_snapshot!(err, @"CA certificate bundle 1 holds no PEM `CERTIFICATE` that parses");
}

#[test]
fn malformed_credential_files_are_refused_up_front() {
    let (_dir, config) = docker_config("{\"auths\": ");
    let err = RegistryClient::new(RegistryOptions::new().docker_config(&config)).unwrap_err();
    assert_eq!(err.kind(), RegistryErrorKind::Credentials);
}

#[test]
fn debug_output_never_shows_secrets() {
    let options = RegistryOptions::new().credentials(Credentials::basic("user", "hunter2"));
    assert!(!format!("{options:?}").contains("hunter2"));
    let token = Credentials::bearer("s3cr3t");
    assert_eq!(format!("{token:?}"), r#"Bearer("<redacted>")"#);
}

/// A registry holding image `app:v1` with one legacy `.sig` signature, no referrers API, and
/// bearer-token authentication. Returns the image digest and the payload digest.
async fn mount_signed_image(server: &MockServer) -> (OciDigest, OciDigest) {
    let digest = OciDigest::sha256_of(MANIFEST);
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"{}/app"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"cosign container image signature"}},"optional":null}}"#,
        server.address()
    );
    let payload_digest = OciDigest::sha256_of(payload.as_bytes());
    let signature_manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2}},"layers":[{{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"{payload_digest}","size":{},"annotations":{{"dev.cosignproject.cosign/signature":"MEUCIQDsignature"}}}}]}}"#,
        payload.len()
    );
    mount_token_registry(server, "lookup-token").await;
    Mock::given(method("GET"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_string(r#"{"token":"lookup-token"}"#))
        .mount(server)
        .await;
    let authorized = || header("authorization", "Bearer lookup-token");
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/manifests/{}.sig", digest.tag_form())))
        .and(authorized())
        .respond_with(ResponseTemplate::new(200).set_body_raw(signature_manifest, OCI_MANIFEST))
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v2/app/blobs/{payload_digest}")))
        .and(authorized())
        .respond_with(ResponseTemplate::new(200).set_body_string(payload))
        .mount(server)
        .await;
    // Everything else (the referrers API, the referrers tag): 404.
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(server)
        .await;
    (digest, payload_digest)
}

#[tokio::test]
async fn full_lookup_request_log() {
    let server = MockServer::start().await;
    let (digest, payload) = mount_signed_image(&server).await;
    let image = vouch_oci::ImageRef::parse(&format!("{}/app:v1", server.address())).unwrap();
    let client = client(options().max_concurrency(1));
    let lookup = client
        .lookup(&image, vouch_oci::LookupOptions::new())
        .await
        .unwrap();
    assert_eq!(lookup.digest, digest);
    assert_eq!(lookup.candidates.len(), 1);
    assert_eq!(lookup.candidates[0].source, vouch_oci::Source::LegacyTag);
    assert_eq!(
        lookup.sources,
        vec![
            (
                vouch_oci::Source::Referrers,
                vouch_oci::SourceStatus::Unsupported
            ),
            (
                vouch_oci::Source::ReferrersTagSchema,
                vouch_oci::SourceStatus::Absent
            ),
            (
                vouch_oci::Source::LegacyTag,
                vouch_oci::SourceStatus::Found(1)
            ),
        ]
    );
    // The tag's headers (HEAD, no manifest GET), then everything by digest: one 401 and one
    // token for the lookup.
    let log = request_log(&server)
        .await
        .replace(digest.hex(), "<image>")
        .replace(payload.hex(), "<payload>");
    with_registry_filter(&server, || {
        insta::assert_snapshot!(log, @r"
        HEAD /v2/app/manifests/v1
        GET /token?service=test-registry&scope=repository%3Aapp%3Apull
        HEAD /v2/app/manifests/v1  [Authorization: Bearer <redacted>]
        GET /v2/app/referrers/sha256:<image>  [Authorization: Bearer <redacted>]
        GET /v2/app/manifests/sha256-<image>.sig  [Authorization: Bearer <redacted>]
        GET /v2/app/manifests/sha256-<image>  [Authorization: Bearer <redacted>]
        GET /v2/app/blobs/sha256:<payload>  [Authorization: Bearer <redacted>]
        ");
    });
    assert_eq!(client.request_count(), 7);
}

#[tokio::test]
async fn a_registry_without_referrers_api_is_not_asked_again() {
    let server = MockServer::start().await;
    let (digest, payload) = mount_signed_image(&server).await;
    let image = vouch_oci::ImageRef::parse(&format!("{}/app:v1", server.address())).unwrap();
    let client = client(options().max_concurrency(1));
    let first = client
        .lookup(&image, vouch_oci::LookupOptions::new())
        .await
        .unwrap();
    let after_first = client.request_count();
    // Another lookup with a clone of the client: the 404 is remembered for the registry.
    let second = client
        .clone()
        .lookup(&image, vouch_oci::LookupOptions::new())
        .await
        .unwrap();
    assert_eq!(
        format!("{:?}", second.candidates),
        format!("{:?}", first.candidates)
    );
    assert_eq!(second.sources, first.sources);
    let log = request_log(&server)
        .await
        .replace(digest.hex(), "<image>")
        .replace(payload.hex(), "<payload>");
    let second_log: Vec<&str> = log
        .lines()
        .skip(usize::try_from(after_first).unwrap())
        .collect();
    assert_eq!(
        second_log,
        [
            "HEAD /v2/app/manifests/v1  [Authorization: Bearer <redacted>]",
            "GET /v2/app/manifests/sha256-<image>  [Authorization: Bearer <redacted>]",
            "GET /v2/app/manifests/sha256-<image>.sig  [Authorization: Bearer <redacted>]",
            "GET /v2/app/blobs/sha256:<payload>  [Authorization: Bearer <redacted>]",
        ]
    );
}

#[tokio::test]
async fn concurrent_lookup_finds_the_same() {
    let server = MockServer::start().await;
    let (digest, _) = mount_signed_image(&server).await;
    let image = vouch_oci::ImageRef::parse(&format!("{}/app:v1", server.address())).unwrap();
    let client = client(options());
    let lookup = client
        .lookup(&image, vouch_oci::LookupOptions::new())
        .await
        .unwrap();
    assert_eq!(lookup.digest, digest);
    assert_eq!(lookup.candidates.len(), 1);
    assert_eq!(client.request_count(), 7);
}

#[tokio::test]
async fn lookup_failures_say_which_side_failed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let image = vouch_oci::ImageRef::parse(&format!("{}/app:v1", server.address())).unwrap();
    let err = client(options())
        .lookup(&image, vouch_oci::LookupOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            vouch_oci::LookupFailure::Lookup(vouch_oci::Error::ImageNotFound { .. })
        ),
        "{err:?}"
    );

    let throttled = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(429))
        .mount(&throttled)
        .await;
    let image = vouch_oci::ImageRef::parse(&format!("{}/app:v1", throttled.address())).unwrap();
    let err = client(options().max_retries(0))
        .lookup(&image, vouch_oci::LookupOptions::new())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, vouch_oci::LookupFailure::Registry(e) if e.kind() == RegistryErrorKind::Throttled),
        "{err:?}"
    );
}
