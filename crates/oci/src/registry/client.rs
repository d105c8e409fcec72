//! [`RegistryClient`]: performs [`Fetch`]es against registries and drives a
//! [`SignatureLookup`].

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use url::Url;

use super::auth::Access;
use super::challenge::{Challenge, parse_challenges};
use super::docker_config::{Credential, CredentialStore, Secret};
use super::error::{RegistryError, RegistryErrorKind};
use super::options::{Credentials, RegistryOptions};
use super::transport::{Answer, Request};
use crate::{
    Fetch, ImageRef, Lookup, LookupOptions, MANIFEST_ACCEPT, Repository, Response, SignatureLookup,
};

/// The media type a referrers listing is requested as.
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// An async registry client: performs [`Fetch`]es and drives a [`SignatureLookup`]
/// ([`RegistryClient::lookup`]). Cloning is cheap and shares the connection pool, the
/// remembered challenges and the token cache.
#[derive(Clone)]
pub struct RegistryClient {
    inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) allow_http: bool,
    pub(crate) timeout: Duration,
    /// One whole attempt at a request, body included.
    pub(crate) request_timeout: Duration,
    /// No request starts, and no retry waits, past this (`--timeout`).
    pub(crate) deadline: Option<tokio::time::Instant>,
    pub(crate) max_retries: u32,
    pub(crate) retry_backoff: Duration,
    max_concurrency: usize,
    pub(crate) explicit: Option<Credential>,
    pub(crate) store: CredentialStore,
    state: Mutex<State>,
    requests: AtomicU64,
}

/// What the client learnt from registries.
#[derive(Default)]
struct State {
    /// Registry hosts that do not speak TLS (loopback, or with `allow_http`).
    plain_http: HashSet<String>,
    /// What each registry host asked for in its last 401.
    challenges: HashMap<String, Challenge>,
    /// Bearer tokens by (registry host, scope), with their expiry.
    tokens: HashMap<(String, String), (HeaderValue, Instant)>,
    /// Credentials found, by `registry/name`.
    credentials: HashMap<String, Option<Credential>>,
    /// Registry hosts that answered 404 to a referrers listing: they have no referrers API
    /// (a registry with it never answers 404 there), so later lookups go to the tag schema.
    no_referrers_api: HashSet<String>,
}

impl fmt::Debug for RegistryClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegistryClient")
            .field("allow_http", &self.inner.allow_http)
            .field("requests", &self.request_count())
            .finish_non_exhaustive()
    }
}

/// The answer to a [`Fetch`], owned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchedBody {
    status: FetchStatus,
    body: Vec<u8>,
    content_type: Option<String>,
    docker_content_digest: Option<String>,
}

/// What a [`Fetch`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchStatus {
    /// 200, body read in full.
    Found,
    /// 404.
    NotFound,
    /// The body is longer than [`Fetch::max_len`]; it was not read.
    TooLarge,
}

impl FetchedBody {
    /// What was found.
    pub fn status(&self) -> FetchStatus {
        self.status
    }

    /// The body (empty unless [`FetchStatus::Found`]).
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.content_type.as_deref()
    }

    /// The `Docker-Content-Digest` header.
    pub fn docker_content_digest(&self) -> Option<&str> {
        self.docker_content_digest.as_deref()
    }

    /// The answer as [`crate::SignatureLookup::on_response`] takes it.
    pub fn as_response(&self) -> Response<'_> {
        match self.status {
            FetchStatus::Found => Response::Found {
                body: &self.body,
                content_type: self.content_type(),
                docker_content_digest: self.docker_content_digest(),
            },
            FetchStatus::NotFound => Response::NotFound,
            FetchStatus::TooLarge => Response::TooLarge,
        }
    }
}

/// Why [`RegistryClient::lookup`] failed: talking to the registry, or what it sent.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LookupFailure {
    /// The registry could not be reached or refused: nothing can be said about signatures.
    #[error(transparent)]
    Registry(#[from] RegistryError),
    /// The lookup rejected what the registry sent (image not found, digest mismatch,
    /// malformed manifest, …).
    #[error(transparent)]
    Lookup(#[from] crate::Error),
}

impl RegistryClient {
    /// A client with `options`. Reads the first credential file that exists, if any; runs
    /// no credential helper yet (they run when a registry asks for credentials).
    ///
    /// # Errors
    ///
    /// [`RegistryErrorKind::Configuration`] for a CA certificate that does not parse, or a
    /// TLS setup that fails; [`RegistryErrorKind::Credentials`] for an unreadable or
    /// malformed credential file.
    pub fn new(options: RegistryOptions) -> Result<Self, RegistryError> {
        let RegistryOptions {
            allow_http,
            ca_certificates,
            client_identity,
            credentials,
            credential_files,
            credential_helper_path,
            timeout,
            request_timeout,
            deadline,
            max_retries,
            retry_backoff,
            max_concurrency,
            user_agent,
            system_proxy,
            resolve,
        } = options;
        let deadline = deadline.map(|d| tokio::time::Instant::now() + d);
        let mut builder = reqwest::Client::builder()
            .user_agent(user_agent)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .read_timeout(timeout);
        if !system_proxy {
            builder = builder.no_proxy();
        }
        for (host, addr) in &resolve {
            builder = builder.resolve(host, *addr);
        }
        builder = builder.tls_backend_preconfigured(super::tls::client_config(
            &ca_certificates,
            client_identity.as_ref().map(|pem| pem.as_slice()),
        )?);
        let http = builder.build().map_err(|e| {
            RegistryError::new(
                RegistryErrorKind::Configuration,
                "cannot set up the HTTP client (TLS trust store)",
            )
            .with_source(e)
        })?;
        let explicit = credentials.map(|credentials| Credential {
            secret: match credentials {
                Credentials::Basic { username, password } => Secret::Basic { username, password },
                Credentials::Bearer(token) => Secret::RegistryToken(token),
            },
            source: "the explicit credentials".to_owned(),
        });
        let store = CredentialStore::load(&credential_files, credential_helper_path, timeout)?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                allow_http,
                timeout,
                request_timeout,
                deadline,
                max_retries,
                retry_backoff,
                max_concurrency: max_concurrency.max(1),
                explicit,
                store,
                state: Mutex::new(State::default()),
                requests: AtomicU64::new(0),
            }),
        })
    }

    /// Performs one fetch: authenticates as the registry asks, follows redirects (without
    /// credentials to other hosts), retries throttling and server errors, and reads at most
    /// [`Fetch::max_len`] bytes. A 404 is [`FetchStatus::NotFound`], not an error.
    ///
    /// # Errors
    ///
    /// A [`RegistryError`] for anything but 200 and 404 (after retries where they apply), and
    /// for transport failures.
    pub async fn fetch(&self, fetch: &Fetch) -> Result<FetchedBody, RegistryError> {
        let inner = &*self.inner;
        let repository = fetch.repository();
        let (path, accept) = match fetch {
            Fetch::Manifest {
                repository,
                reference,
            }
            | Fetch::ManifestHead {
                repository,
                reference,
            } => (
                format!("/v2/{}/manifests/{reference}", repository.name()),
                MANIFEST_ACCEPT.join(", "),
            ),
            Fetch::Referrers { repository, digest } => (
                format!("/v2/{}/referrers/{digest}", repository.name()),
                OCI_INDEX.to_owned(),
            ),
            Fetch::Blob {
                repository, digest, ..
            } => (
                format!("/v2/{}/blobs/{digest}", repository.name()),
                "*/*".to_owned(),
            ),
        };
        let host = repository.api_host();
        let url = inner.registry_url(host, &path)?;
        let method = match fetch {
            Fetch::ManifestHead { .. } => Method::HEAD,
            _ => Method::GET,
        };
        let answer = self
            .send_authorized(repository, Access::Pull, |authorization| Request {
                method: method.clone(),
                url: url.clone(),
                accept: Some(accept.clone()),
                authorization,
                body: None,
                max_len: fetch.max_len(),
                registry_host: Some(host.to_owned()),
                stream_answer: false,
            })
            .await?;
        match answer.status {
            StatusCode::OK if matches!(fetch, Fetch::Referrers { .. }) && !answer.too_large => {
                let whole = self
                    .follow_referrer_pages(repository, answer, &accept)
                    .await?;
                Ok(FetchedBody::from_answer(whole))
            }
            StatusCode::OK => Ok(FetchedBody::from_answer(answer)),
            StatusCode::NOT_FOUND => Ok(FetchedBody {
                status: FetchStatus::NotFound,
                body: Vec::new(),
                content_type: None,
                docker_content_digest: None,
            }),
            _ => Err(unexpected_status(&method, &answer, "200 or 404")),
        }
    }

    /// Sends the request `make` builds, authenticated for `access` to `repository`: after a
    /// 401 with a challenge, once more with what it asks for. Any other answer is returned,
    /// except 401 and 403 from the registry itself, which are errors.
    pub(crate) async fn send_authorized(
        &self,
        repository: &Repository,
        access: Access,
        make: impl Fn(Option<HeaderValue>) -> Request,
    ) -> Result<Answer, RegistryError> {
        let inner = &*self.inner;
        let host = repository.api_host();
        let mut authorization = inner.authorization(repository, access).await?;
        let mut renewed = false;
        loop {
            let request = make(authorization.as_ref().map(|a| a.header.clone()));
            let answer = inner.send(&request).await?;
            match answer.status {
                StatusCode::UNAUTHORIZED if !answer.left_origin => {
                    let retry = !renewed && authorization.as_ref().is_none_or(|a| a.renewable);
                    let challenge =
                        parse_challenges(answer.www_authenticate.iter().map(String::as_str));
                    let Some(challenge) = challenge.filter(|_| retry) else {
                        return Err(inner.unauthorized(repository, &answer).await);
                    };
                    inner.learn_challenge(host, challenge);
                    inner.forget_tokens(host);
                    authorization = inner.authorization(repository, access).await?;
                    if authorization.is_none() {
                        return Err(inner.unauthorized(repository, &answer).await);
                    }
                    renewed = true;
                }
                StatusCode::FORBIDDEN if !answer.left_origin => {
                    return Err(inner.forbidden(repository, access, &answer).await);
                }
                _ => return Ok(answer),
            }
        }
    }

    /// `https://host/path` (or `http://` for a host without TLS) of `repository`'s registry.
    pub(crate) fn registry_url(
        &self,
        repository: &Repository,
        path: &str,
    ) -> Result<Url, RegistryError> {
        self.inner.registry_url(repository.api_host(), path)
    }

    /// Looks up the signatures of `image`: drives a [`SignatureLookup`] with
    /// [`RegistryClient::fetch`] until it is done, running the fetches it allows at once
    /// concurrently (at most [`RegistryOptions::max_concurrency`]). Must run within a Tokio
    /// runtime, as all of the client does.
    ///
    /// A registry that answered 404 to one referrers listing is not asked again by this
    /// client (or its clones): later lookups there read the tag schema straight away
    /// ([`LookupOptions::referrers_api_absent`]), one request fewer per image.
    ///
    /// # Errors
    ///
    /// [`LookupFailure::Registry`] if a fetch failed (the first failure seen; the fetches
    /// still running are cancelled), [`LookupFailure::Lookup`] if the lookup rejected an
    /// answer.
    pub async fn lookup(
        &self,
        image: &ImageRef,
        options: LookupOptions,
    ) -> Result<Lookup, LookupFailure> {
        let signatures_host = options
            .signature_repository
            .as_ref()
            .unwrap_or(image.repository())
            .api_host()
            .to_owned();
        let options = if self
            .inner
            .state()
            .no_referrers_api
            .contains(&signatures_host)
        {
            options.with_referrers_api_absent()
        } else {
            options
        };
        let mut lookup = SignatureLookup::new(image.clone(), options);
        loop {
            let fetches = lookup.next_fetches();
            if fetches.is_empty() {
                break;
            }
            let answers = self.fetch_all(&fetches).await?;
            // Answered in the order asked, so that the first error is always the same one; each
            // body is dropped once the lookup has taken what it keeps of it.
            for (fetch, body) in fetches.iter().zip(answers) {
                if matches!(fetch, Fetch::Referrers { .. })
                    && body.status() == FetchStatus::NotFound
                {
                    self.inner
                        .state()
                        .no_referrers_api
                        .insert(signatures_host.clone());
                }
                lookup.on_response(fetch, body.as_response())?;
            }
        }
        Ok(lookup.finish()?)
    }

    /// Performs `fetches` concurrently (bounded), answers in the same order.
    async fn fetch_all(&self, fetches: &[Fetch]) -> Result<Vec<FetchedBody>, RegistryError> {
        if let [fetch] = fetches {
            return Ok(vec![self.fetch(fetch).await?]);
        }
        let mut answers: Vec<Option<FetchedBody>> = vec![None; fetches.len()];
        let mut running = tokio::task::JoinSet::new();
        let mut next = 0;
        while next < fetches.len() || !running.is_empty() {
            while next < fetches.len() && running.len() < self.inner.max_concurrency {
                let client = self.clone();
                let fetch = fetches[next].clone();
                let index = next;
                running.spawn(async move { (index, client.fetch(&fetch).await) });
                next += 1;
            }
            match running.join_next().await {
                Some(Ok((index, answer))) => answers[index] = Some(answer?),
                Some(Err(error)) if error.is_panic() => {
                    std::panic::resume_unwind(error.into_panic())
                }
                Some(Err(error)) => {
                    return Err(RegistryError::new(
                        RegistryErrorKind::Network,
                        "a concurrent fetch was cancelled",
                    )
                    .with_source(error));
                }
                None => break,
            }
        }
        Ok(answers.into_iter().flatten().collect())
    }

    /// HTTP exchanges so far (every response received: retries, redirects and token requests
    /// included), across clones.
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }
}

impl FetchedBody {
    fn from_answer(answer: Answer) -> Self {
        if answer.too_large {
            return Self {
                status: FetchStatus::TooLarge,
                body: Vec::new(),
                content_type: answer.content_type,
                docker_content_digest: answer.docker_content_digest,
            };
        }
        Self {
            status: FetchStatus::Found,
            body: answer.body,
            content_type: answer.content_type,
            docker_content_digest: answer.docker_content_digest,
        }
    }
}

/// The error for an answer a request did not expect: `GET https://… answered 500 …; expected
/// 200 or 404`.
pub(crate) fn unexpected_status(method: &Method, answer: &Answer, expected: &str) -> RegistryError {
    let at = if answer.left_origin {
        " (after a redirect to another host)"
    } else {
        ""
    };
    RegistryError::new(
        RegistryErrorKind::UnexpectedStatus,
        format!(
            "{method} {} answered {}{at}; expected {expected}",
            super::transport::shown(&answer.url),
            answer.status_text()
        ),
    )
    .with_status(answer.status.as_u16())
}

impl Inner {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state is a cache: one left half-updated by a panic is still usable.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn count_request(&self) {
        self.requests.fetch_add(1, Ordering::Relaxed);
    }

    /// `https://host/path`, or `http://` for a host known not to speak TLS.
    fn registry_url(&self, host: &str, path: &str) -> Result<Url, RegistryError> {
        let scheme = if self.state().plain_http.contains(host) {
            "http"
        } else {
            "https"
        };
        Url::parse(&format!("{scheme}://{host}{path}")).map_err(|e| {
            RegistryError::new(
                RegistryErrorKind::Configuration,
                format!("`{host}` does not make a valid registry URL"),
            )
            .with_source(e)
        })
    }

    /// Whether `host` was reached over plain HTTP (it does not speak TLS).
    pub(crate) fn is_plain_http(&self, host: &str) -> bool {
        self.state().plain_http.contains(host)
    }

    pub(crate) fn remember_plain_http(&self, host: &str) {
        self.state().plain_http.insert(host.to_owned());
    }

    pub(crate) fn challenge(&self, host: &str) -> Option<Challenge> {
        self.state().challenges.get(host).cloned()
    }

    fn learn_challenge(&self, host: &str, challenge: Challenge) {
        self.state().challenges.insert(host.to_owned(), challenge);
    }

    fn forget_tokens(&self, host: &str) {
        self.state().tokens.retain(|(h, _), _| h != host);
    }

    pub(crate) fn cached_token(&self, key: &(String, String)) -> Option<HeaderValue> {
        let state = self.state();
        let (header, expiry) = state.tokens.get(key)?;
        (Instant::now() < *expiry).then(|| header.clone())
    }

    pub(crate) fn cache_token(&self, key: (String, String), header: HeaderValue, expiry: Instant) {
        self.state().tokens.insert(key, (header, expiry));
    }

    pub(crate) fn cached_credential(&self, key: &str) -> Option<Option<Credential>> {
        self.state().credentials.get(key).cloned()
    }

    pub(crate) fn cache_credential(&self, key: String, credential: Option<Credential>) {
        self.state().credentials.insert(key, credential);
    }
}
