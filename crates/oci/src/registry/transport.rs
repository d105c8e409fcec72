//! One request, answered: HTTPS (HTTP only where allowed), redirects followed by hand so that
//! credentials never leave their origin, bodies read within a limit, and retries with backoff
//! on 429, 5xx, timeouts and connection failures.

use reqwest::header::{self, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::Deserialize;
use std::fmt::Write as _;
use std::time::Duration;
use url::Url;

use super::client::Inner;
use super::endpoint::{http_allowed, is_forbidden_target, same_origin};
use super::error::{RegistryError, RegistryErrorKind};
use super::retry::{MAX_RETRY_WAIT, backoff, parse_retry_after};

/// Most redirects followed for one request (the same as Go's `net/http`).
const MAX_REDIRECTS: usize = 10;

/// Most bytes of an error answer read, for its message.
const ERROR_BODY_LIMIT: u64 = 64 * 1024;

/// A request to send.
#[derive(Debug, Clone)]
pub(crate) struct Request {
    pub(crate) method: Method,
    pub(crate) url: Url,
    pub(crate) accept: Option<String>,
    /// Sent only to `url`'s origin, never after a redirect to another one.
    pub(crate) authorization: Option<HeaderValue>,
    /// The body, with its `Content-Type` (a token form, a blob, a manifest).
    pub(crate) body: Option<Body>,
    /// Most body bytes accepted in a 200 answer.
    pub(crate) max_len: u64,
    /// A registry endpoint whose host may be reached over plain HTTP if it does not speak
    /// TLS (loopback, or `allow_http`); the scheme found is remembered for the host.
    pub(crate) registry_host: Option<String>,
    /// A 200's body is left unread for the caller ([`Answer::response`]): a blob streamed to
    /// disk or to another registry. The attempt's time limit then covers the headers only;
    /// the body is read with the client's read timeout between chunks.
    pub(crate) stream_answer: bool,
}

/// A request body, sent anew with each attempt.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    pub(crate) content_type: String,
    pub(crate) payload: Payload,
}

/// What a body holds: bytes in memory (forms, signatures, manifests; cheap to clone), or a
/// stream opened again for each attempt (a layer, from a file or another registry).
#[derive(Clone)]
pub(crate) enum Payload {
    Bytes(bytes::Bytes),
    Stream { len: u64, open: BlobBody },
}

impl std::fmt::Debug for Payload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Bytes(bytes) => write!(f, "Bytes({} bytes)", bytes.len()),
            Self::Stream { len, .. } => write!(f, "Stream({len} bytes)"),
        }
    }
}

/// Opens a blob's bytes as a stream, once per attempt at sending them.
pub type BlobBody = std::sync::Arc<dyn Fn() -> ByteStream + Send + Sync>;

/// A blob's bytes as they come (from a file, or from another registry).
pub type ByteStream = std::pin::Pin<
    Box<dyn futures_core::Stream<Item = Result<bytes::Bytes, std::io::Error>> + Send + 'static>,
>;

/// Why a body stream failed on its own account (its bytes are not what they claim): the
/// request fails at once, without retries, which would only read the same bytes again.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct StreamFault(pub(crate) String);

/// The slowest upload speed an attempt is given time for, beyond the request timeout: a
/// 1 GiB layer gets 17 more minutes.
const MIN_UPLOAD_BYTES_PER_SECOND: u64 = 1 << 20;

/// The answer to a [`Request`], body read.
#[derive(Debug)]
pub(crate) struct Answer {
    /// The URL asked (after the switch to plain HTTP where that happened), for messages.
    pub(crate) url: Url,
    pub(crate) status: StatusCode,
    /// Whether a redirect took the request to another origin (blob storage).
    pub(crate) left_origin: bool,
    pub(crate) content_type: Option<String>,
    pub(crate) docker_content_digest: Option<String>,
    pub(crate) www_authenticate: Vec<String>,
    /// `Location` (where an upload continues; redirects are followed before this).
    pub(crate) location: Option<String>,
    /// `OCI-Subject`: a registry with the referrers API names the subject of a manifest PUT.
    pub(crate) oci_subject: Option<String>,
    /// `Link` (a paginated referrers listing names its next page there).
    pub(crate) link: Option<String>,
    /// The body; for an error status, its first [`ERROR_BODY_LIMIT`] bytes.
    pub(crate) body: Vec<u8>,
    /// A 200 whose body exceeded [`Request::max_len`] (not read further).
    pub(crate) too_large: bool,
    /// A 200 to a [`Request::stream_answer`] request: its body, unread.
    pub(crate) response: Option<reqwest::Response>,
    retry_after: Option<String>,
}

impl Answer {
    /// The registry's error message (`{"errors":[{"code","message"}]}`), if the body has one.
    pub(crate) fn registry_message(&self) -> Option<String> {
        registry_message(&self.body)
    }

    /// `401 UNAUTHORIZED: authentication required` or `401 Unauthorized`.
    pub(crate) fn status_text(&self) -> String {
        let mut text = self.status.as_u16().to_string();
        match self.registry_message() {
            Some(message) => {
                let _ = write!(text, " {message}");
            }
            None => {
                if let Some(reason) = self.status.canonical_reason() {
                    let _ = write!(text, " {reason}");
                }
            }
        }
        text
    }
}

/// Why an attempt failed, and whether trying again may help.
enum Failure {
    Transient(RegistryError),
    Fatal(RegistryError),
    /// The server answered the TLS handshake with something that is not TLS: plain HTTP is
    /// tried where it is allowed.
    NoTls(RegistryError),
    /// The connection closed during the TLS handshake: a plain-HTTP server may do that, so
    /// plain HTTP is tried where it is allowed; elsewhere it is a transient failure.
    HandshakeReset(RegistryError),
}

impl Inner {
    /// Sends `request`, retrying transient failures; any final status is returned, except
    /// 408, 429 and 5xx after the last retry, which are errors.
    ///
    /// Time is bounded twice: each attempt, body included, by the request timeout (a registry
    /// dripping a body a byte at a time is never silent long enough for the read timeout), and
    /// everything by the client's deadline (`--timeout`), which no attempt or retry wait
    /// outlasts; the error then names the request.
    pub(crate) async fn send(&self, request: &Request) -> Result<Answer, RegistryError> {
        let mut retry = 0_u32;
        loop {
            let limit = self.attempt_limit(request)?;
            let started = tokio::time::Instant::now();
            let attempt = tokio::time::timeout(limit.0, self.attempt(request)).await;
            log_attempt(request, &attempt, started.elapsed(), retry);
            let (error, retry_after) = match attempt {
                Err(_elapsed) => (self.timed_out(request, limit), None),
                Ok(Ok(answer)) if is_retryable(answer.status) => {
                    let retry_after = answer.retry_after.as_deref().and_then(parse_retry_after);
                    (status_error(request, &answer, retry), retry_after)
                }
                Ok(Ok(answer)) => return Ok(answer),
                Ok(Err(Failure::Transient(error) | Failure::HandshakeReset(error))) => {
                    (error, None)
                }
                Ok(Err(Failure::Fatal(error) | Failure::NoTls(error))) => return Err(error),
            };
            if retry >= self.max_retries || limit.1 {
                return Err(error);
            }
            if let Some(asked) = retry_after.filter(|asked| *asked > MAX_RETRY_WAIT) {
                // A registry that asks for more than a minute will not answer this run: say
                // so now instead of waiting in silence.
                return Err(RegistryError::new(
                    error.kind(),
                    format!(
                        "{error}; it asked to wait {} s (Retry-After), longer than vouch waits \
                         ({} s): the registry is throttling, try again later",
                        asked.as_secs(),
                        MAX_RETRY_WAIT.as_secs()
                    ),
                ));
            }
            let wait = backoff(self.retry_backoff, retry, retry_after);
            if let Some(deadline) = self.deadline
                && tokio::time::Instant::now() + wait >= deadline
            {
                // Waiting would outlast --timeout: fail now, saying why, rather than sleep.
                return Err(RegistryError::new(
                    error.kind(),
                    format!(
                        "{error}; the next retry would wait {} s, past the --timeout deadline",
                        wait.as_secs()
                    ),
                ));
            }
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }

    /// How long the next attempt may take, and whether that is the deadline's remainder
    /// (then no retry follows). An error if the deadline has passed.
    fn attempt_limit(&self, request: &Request) -> Result<(Duration, bool), RegistryError> {
        let Some(deadline) = self.deadline else {
            return Ok((self.request_timeout + upload_allowance(request), false));
        };
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err(RegistryError::new(
                RegistryErrorKind::Timeout,
                format!(
                    "{} {} not sent: the --timeout deadline has passed; raise --timeout \
                     (cosign's default, 3m, is vouch's too)",
                    request.method,
                    shown(&request.url)
                ),
            ));
        }
        let limit = self.request_timeout + upload_allowance(request);
        Ok(if left < limit {
            (left, true)
        } else {
            (limit, false)
        })
    }

    fn timed_out(&self, request: &Request, (limit, deadline): (Duration, bool)) -> RegistryError {
        let why = if deadline {
            "the --timeout deadline was reached; raise --timeout if the registry is just slow"
        } else {
            "the registry answered too slowly or stalled (each request, its body included, \
             gets this long)"
        };
        // The URL asked: plain HTTP where the attempt fell back to it.
        let mut url = request.url.clone();
        if request
            .registry_host
            .as_deref()
            .is_some_and(|host| self.is_plain_http(host))
        {
            let _ignored = url.set_scheme("http");
        }
        RegistryError::new(
            RegistryErrorKind::Timeout,
            format!(
                "{} {}: no complete answer within {} s: {why}",
                request.method,
                shown(&url),
                limit.as_secs_f64().ceil()
            ),
        )
    }

    /// One attempt: the request and its redirects.
    async fn attempt(&self, request: &Request) -> Result<Answer, Failure> {
        // The URL asked: `request.url`, or its plain-HTTP form for a host without TLS.
        let mut origin = request.url.clone();
        let mut url = request.url.clone();
        let mut authorization = request.authorization.clone();
        let mut hops = 0;
        loop {
            let response = match self.exchange(request, &url, authorization.as_ref()).await {
                Err(failure @ (Failure::NoTls(_) | Failure::HandshakeReset(_))) if hops == 0 => {
                    self.http_fallback(request, &mut url, failure)?;
                    origin = url.clone();
                    continue;
                }
                other => other?,
            };
            let status = response.status();
            let redirect = matches!(
                status,
                StatusCode::MOVED_PERMANENTLY
                    | StatusCode::FOUND
                    | StatusCode::SEE_OTHER
                    | StatusCode::TEMPORARY_REDIRECT
                    | StatusCode::PERMANENT_REDIRECT
            );
            // Only reads follow redirects: an upload or manifest PUT answered by a redirect is
            // a registry error, not something to resend elsewhere.
            if redirect && matches!(request.method, Method::GET | Method::HEAD) {
                hops += 1;
                if hops > MAX_REDIRECTS {
                    return Err(Failure::Fatal(RegistryError::new(
                        RegistryErrorKind::Redirect,
                        format!(
                            "GET {} was redirected more than {MAX_REDIRECTS} times",
                            shown(&origin)
                        ),
                    )));
                }
                let next = self.redirect_target(&origin, &url, &response)?;
                if !same_origin(&next, &origin) {
                    // Credentials are for the registry only, never for the storage it
                    // redirects blobs to.
                    authorization = None;
                }
                url = next;
                continue;
            }
            let left_origin = !same_origin(&url, &origin);
            return read_answer(request, origin, response, left_origin).await;
        }
    }

    /// After a registry endpoint failed to speak TLS: plain HTTP where allowed (loopback or
    /// `allow_http`, as cosign and containerd do), remembered for the host; refused elsewhere.
    fn http_fallback(
        &self,
        request: &Request,
        url: &mut Url,
        failure: Failure,
    ) -> Result<(), Failure> {
        let (error, certain) = match failure {
            Failure::NoTls(error) => (error, true),
            Failure::HandshakeReset(error) => (error, false),
            other => return Err(other),
        };
        let Some(host) = &request.registry_host else {
            return Err(if certain {
                Failure::Fatal(error)
            } else {
                Failure::Transient(error)
            });
        };
        if url.scheme() != "https" {
            return Err(Failure::Transient(error));
        }
        if !http_allowed(url, self.allow_http) {
            if !certain {
                return Err(Failure::Transient(error));
            }
            return Err(Failure::Fatal(
                RegistryError::new(
                    RegistryErrorKind::InsecureRefused,
                    format!(
                        "{host} did not complete a TLS handshake (it may serve plain HTTP); \
                         plain HTTP is used only for loopback registries or when explicitly \
                         allowed"
                    ),
                )
                .with_source(error),
            ));
        }
        // Only the scheme changes, which `Url` always allows between http and https.
        let _ = url.set_scheme("http");
        self.remember_plain_http(host);
        Ok(())
    }

    /// Where a redirect leads, if it may be followed: absolute or relative `Location`, http or
    /// https, never from HTTPS down to HTTP unless HTTP is allowed for the target, never to a
    /// link-local or metadata address.
    fn redirect_target(
        &self,
        origin: &Url,
        url: &Url,
        response: &reqwest::Response,
    ) -> Result<Url, Failure> {
        let fatal = |kind, message: String| Err(Failure::Fatal(RegistryError::new(kind, message)));
        let Some(location) = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
        else {
            return fatal(
                RegistryErrorKind::Redirect,
                format!(
                    "GET {} was redirected ({}) without a usable Location header",
                    shown(origin),
                    response.status().as_u16()
                ),
            );
        };
        let next = match url.join(location) {
            Ok(next) if matches!(next.scheme(), "http" | "https") => next,
            _ => {
                return fatal(
                    RegistryErrorKind::Redirect,
                    format!(
                        "GET {} was redirected to `{}`, which is not an http(s) URL",
                        origin,
                        location.chars().take(200).collect::<String>()
                    ),
                );
            }
        };
        if is_forbidden_target(&next) {
            return fatal(
                RegistryErrorKind::InsecureRefused,
                format!(
                    "GET {} was redirected to {}, a link-local or cloud metadata address; refused",
                    shown(origin),
                    shown(&next)
                ),
            );
        }
        if next.scheme() == "http" && !http_allowed(&next, self.allow_http) {
            return fatal(
                RegistryErrorKind::InsecureRefused,
                format!(
                    "GET {} was redirected to plain HTTP ({}); refused, plain HTTP is used only \
                     for loopback hosts or when explicitly allowed",
                    shown(origin),
                    shown(&next)
                ),
            );
        }
        Ok(next)
    }

    /// One HTTP exchange, up to the response headers.
    async fn exchange(
        &self,
        request: &Request,
        url: &Url,
        authorization: Option<&HeaderValue>,
    ) -> Result<reqwest::Response, Failure> {
        let mut builder = self.http.request(request.method.clone(), url.clone());
        if let Some(accept) = &request.accept {
            builder = builder.header(header::ACCEPT, accept);
        }
        if let Some(authorization) = authorization {
            builder = builder.header(header::AUTHORIZATION, authorization.clone());
        }
        if let Some(body) = &request.body {
            builder = builder.header(header::CONTENT_TYPE, &body.content_type);
            builder = match &body.payload {
                Payload::Bytes(bytes) => builder.body(bytes.clone()),
                Payload::Stream { len, open } => builder
                    .header(header::CONTENT_LENGTH, *len)
                    .body(reqwest::Body::wrap_stream(open())),
            };
        }
        match tokio::time::timeout(self.timeout, builder.send()).await {
            Ok(Ok(response)) => {
                self.count_request();
                Ok(response)
            }
            Ok(Err(error)) => Err(classify(request, url, error)),
            Err(_) => Err(Failure::Transient(RegistryError::new(
                RegistryErrorKind::Timeout,
                format!(
                    "{} {} got no answer within {} s",
                    request.method,
                    shown(url),
                    self.timeout.as_secs_f32()
                ),
            ))),
        }
    }
}

/// The time an attempt gets beyond the request timeout for its body to go out.
fn upload_allowance(request: &Request) -> Duration {
    match request.body.as_ref().map(|body| &body.payload) {
        Some(Payload::Stream { len, .. }) => Duration::from_secs(len / MIN_UPLOAD_BYTES_PER_SECOND),
        _ => Duration::ZERO,
    }
}

/// Reads the body of the final response: at most `max_len` bytes of a 200 (Content-Length is
/// checked first; a longer body is abandoned, not buffered), a little of anything else.
async fn read_answer(
    request: &Request,
    url: Url,
    mut response: reqwest::Response,
    left_origin: bool,
) -> Result<Answer, Failure> {
    let status = response.status();
    let headers = response.headers();
    let text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let mut answer = Answer {
        url,
        status,
        left_origin,
        content_type: text(header::CONTENT_TYPE),
        docker_content_digest: text(header::HeaderName::from_static("docker-content-digest")),
        www_authenticate: headers
            .get_all(header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .map(str::to_owned)
            .collect(),
        location: text(header::LOCATION),
        oci_subject: text(header::HeaderName::from_static("oci-subject")),
        link: text(header::LINK),
        body: Vec::new(),
        too_large: false,
        response: None,
        retry_after: text(header::RETRY_AFTER),
    };
    // A HEAD answer has no body, whatever its Content-Length says (the GET's length).
    if request.method == Method::HEAD {
        return Ok(answer);
    }
    if request.stream_answer && status == StatusCode::OK {
        answer.response = Some(response);
        return Ok(answer);
    }
    let limit = if status == StatusCode::OK {
        request.max_len
    } else {
        ERROR_BODY_LIMIT
    };
    if status == StatusCode::OK && response.content_length().is_some_and(|len| len > limit) {
        answer.too_large = true;
        return Ok(answer);
    }
    let capacity = response
        .content_length()
        .unwrap_or(0)
        .min(limit)
        .min(1 << 20);
    answer.body = Vec::with_capacity(usize::try_from(capacity).unwrap_or(0));
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if answer.body.len().saturating_add(chunk.len()) > limit {
                    if status == StatusCode::OK {
                        answer.too_large = true;
                        answer.body = Vec::new();
                    } else {
                        let room = limit - answer.body.len();
                        answer.body.extend_from_slice(&chunk[..room]);
                    }
                    break;
                }
                answer.body.extend_from_slice(&chunk);
            }
            Ok(None) => break,
            Err(error) if status == StatusCode::OK => {
                return Err(classify(request, response.url(), error));
            }
            // A broken error body does not hide the status.
            Err(_) => break,
        }
    }
    Ok(answer)
}

/// Sorts a transport error: TLS failures and malformed answers are final; timeouts and
/// connection failures are worth a retry.
fn classify(request: &Request, url: &Url, error: reqwest::Error) -> Failure {
    let host = url.host_str().unwrap_or_default().to_owned();
    let host = match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host,
    };
    let method = &request.method;
    let shown = shown(url);
    let mut cause: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(&error);
    while let Some(current) = cause {
        // An `io::Error` hides the error it carries from `source()`: looked at directly.
        let carried = current
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            .and_then(|inner| inner.downcast_ref::<StreamFault>());
        if let Some(fault) = current.downcast_ref::<StreamFault>().or(carried) {
            return Failure::Fatal(RegistryError::new(
                RegistryErrorKind::Protocol,
                format!("{method} {shown}: {fault}"),
            ));
        }
        cause = current.source();
    }
    // Our messages name the URL without its query (storage URLs carry signatures there).
    let reset = error.is_connect() && url.scheme() == "https" && connect_phase_reset(&error);
    let builder = error.is_builder();
    let timeout = error.is_timeout();
    let tls = rustls_error(&error).map(|tls| matches!(tls, rustls::Error::InvalidMessage(_)));
    let error = error.without_url();
    if builder {
        return Failure::Fatal(
            RegistryError::new(
                RegistryErrorKind::Configuration,
                format!("cannot build the request {method} {shown}"),
            )
            .with_source(error),
        );
    }
    if timeout {
        return Failure::Transient(
            RegistryError::new(
                RegistryErrorKind::Timeout,
                format!("{method} {shown} timed out"),
            )
            .with_source(error),
        );
    }
    match tls {
        Some(true) => {
            return Failure::NoTls(
                RegistryError::new(
                    RegistryErrorKind::Tls,
                    format!(
                        "{host} does not speak TLS: its answer to the TLS handshake is not TLS"
                    ),
                )
                .with_source(error),
            );
        }
        Some(false) => {
            return Failure::Fatal(
                RegistryError::new(
                    RegistryErrorKind::Tls,
                    format!(
                        "the TLS handshake with {host} failed; if its certificate comes from a \
                         private CA, add that CA's certificate to the trusted ones"
                    ),
                )
                .with_source(error),
            );
        }
        None => {}
    }
    let network = RegistryError::new(
        RegistryErrorKind::Network,
        format!("{method} {shown} failed: could not reach {host}"),
    )
    .with_source(error);
    if reset {
        return Failure::HandshakeReset(network);
    }
    Failure::Transient(network)
}

/// `url` for messages: without its query and fragment, where storage URLs carry signatures.
/// One line per attempt for `vouch -v`: method, URL without its query (token requests carry
/// scopes there, never secrets, but the rule is simpler), status or failure, and time. No
/// header is logged: `Authorization` never is.
fn log_attempt(
    request: &Request,
    attempt: &Result<Result<Answer, Failure>, tokio::time::error::Elapsed>,
    elapsed: Duration,
    retry: u32,
) {
    let outcome = match attempt {
        Ok(Ok(answer)) => answer.status_text(),
        Ok(Err(
            Failure::Transient(error)
            | Failure::HandshakeReset(error)
            | Failure::Fatal(error)
            | Failure::NoTls(error),
        )) => format!("failed: {error}"),
        Err(_elapsed) => "timed out".to_owned(),
    };
    tracing::info!(
        "{} {} -> {outcome} ({} ms{})",
        request.method,
        shown(&request.url),
        elapsed.as_millis(),
        if retry > 0 {
            format!(", retry {retry}")
        } else {
            String::new()
        }
    );
}

pub(crate) fn shown(url: &Url) -> String {
    let mut url = url.clone();
    url.set_query(None);
    url.set_fragment(None);
    url.to_string()
}

/// The rustls error in a chain, if any. tokio-rustls wraps it in `io::Error`s (nested), whose
/// `source()` skips the wrapped error, hence the walk through `get_ref`.
fn rustls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut current = Some(error);
    while let Some(e) = current {
        let mut inner: &(dyn std::error::Error + 'static) = e;
        loop {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                return Some(tls);
            }
            match inner
                .downcast_ref::<std::io::Error>()
                .and_then(std::io::Error::get_ref)
            {
                Some(wrapped) => inner = wrapped,
                None => break,
            }
        }
        current = e.source();
    }
    None
}

/// Whether the chain holds a connection closed or reset (`io::Error`s nested as in
/// [`rustls_error`]).
fn connect_phase_reset(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(e) = current {
        let mut inner: &(dyn std::error::Error + 'static) = e;
        while let Some(io) = inner.downcast_ref::<std::io::Error>() {
            if matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
            ) {
                return true;
            }
            match io.get_ref() {
                Some(wrapped) => inner = wrapped,
                None => break,
            }
        }
        current = e.source();
    }
    false
}

/// 408, 429 and 5xx other than 501: worth another try (ggcr retries the same set).
fn is_retryable(status: StatusCode) -> bool {
    status == StatusCode::REQUEST_TIMEOUT
        || status == StatusCode::TOO_MANY_REQUESTS
        || (status.is_server_error() && status != StatusCode::NOT_IMPLEMENTED)
}

/// The error for a retryable status after the last retry.
fn status_error(request: &Request, answer: &Answer, retries: u32) -> RegistryError {
    let (kind, advice) = if answer.status == StatusCode::TOO_MANY_REQUESTS {
        (
            RegistryErrorKind::Throttled,
            "the registry is rate-limiting; try again later, or authenticate for a higher limit",
        )
    } else {
        (
            RegistryErrorKind::ServerError,
            "the registry is failing; try again later",
        )
    };
    let tries = match retries {
        0 => "no retry".to_owned(),
        1 => "1 retry".to_owned(),
        n => format!("{n} retries"),
    };
    RegistryError::new(
        kind,
        format!(
            "{} {} answered {} after {tries}: {advice}",
            request.method,
            shown(&answer.url),
            answer.status_text()
        ),
    )
    .with_status(answer.status.as_u16())
}

/// The messages of an OCI error body: `CODE: message; CODE: message`.
pub(crate) fn registry_message(body: &[u8]) -> Option<String> {
    #[derive(Deserialize)]
    struct Envelope {
        errors: Vec<Entry>,
    }
    #[derive(Deserialize)]
    struct Entry {
        #[serde(default)]
        code: String,
        #[serde(default)]
        message: String,
    }
    let envelope: Envelope = serde_json::from_slice(body).ok()?;
    let text = envelope
        .errors
        .iter()
        .map(|e| match (e.code.is_empty(), e.message.is_empty()) {
            (false, false) => format!("{}: {}", e.code, e.message),
            (false, true) => e.code.clone(),
            _ => e.message.clone(),
        })
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    (!text.is_empty()).then(|| text.chars().take(300).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_messages() {
        assert_eq!(
            registry_message(br#"{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}"#).as_deref(),
            Some("UNAUTHORIZED: authentication required")
        );
        assert_eq!(
            registry_message(br#"{"errors":[{"code":"DENIED"},{"message":"m"}]}"#).as_deref(),
            Some("DENIED; m")
        );
        assert_eq!(registry_message(b"<html>"), None);
        assert_eq!(registry_message(br#"{"errors":[]}"#), None);
    }

    #[test]
    fn urls_in_messages_lose_their_query() {
        let url = Url::parse("https://bucket.example/blob?X-Amz-Signature=secret#frag").unwrap();
        assert_eq!(shown(&url), "https://bucket.example/blob");
    }

    #[test]
    fn retryable_statuses() {
        for code in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
        for code in [200, 400, 401, 403, 404, 501] {
            assert!(!is_retryable(StatusCode::from_u16(code).unwrap()), "{code}");
        }
    }
}
