//! The HTTP side: which path answers what, bodies read within bounds, and the status codes.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode, header};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use vouch_policy::admission::{self, AdmissionError, MAX_REVIEW_BYTES, Verdict};

use super::State;
use super::metrics::DecisionLabels;
use crate::output::serve::{DecisionLog, ImageLog};

/// Time allowed to receive a whole review body.
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Most bytes of a body too large read (and dropped) before its 413 is answered.
const MAX_DRAINED: usize = 32 << 20;
/// Bodies are held in units of 64 KiB, at most 32 MiB of them at once: a review past that
/// waits for others to be answered (within [`BODY_TIMEOUT`]).
pub(super) const BODY_UNIT: usize = 64 << 10;
pub(super) const BODY_UNITS: usize = 512;

/// Answers one request.
pub(super) async fn handle(
    state: Arc<State>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = request.uri().path().to_owned();
    let response = match (request.method(), path.as_str()) {
        (&Method::GET, "/healthz") => text(StatusCode::OK, "ok\n"),
        // Ready once listening: the policy and the certificate were read before.
        (&Method::GET, "/readyz") => text(StatusCode::OK, "ready\n"),
        (&Method::GET, "/metrics") => Response::builder()
            .header(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )
            .body(Full::new(Bytes::from(state.metrics.encode())))
            .unwrap_or_default(),
        (&Method::POST, "/validate") => review(&state, request, false).await,
        (&Method::POST, "/mutate") if state.settings.mutate => review(&state, request, true).await,
        (_, "/validate" | "/healthz" | "/readyz" | "/metrics") => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
        }
        (_, "/mutate") if state.settings.mutate => {
            text(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n")
        }
        _ => text(
            StatusCode::NOT_FOUND,
            "not found: vouch serves POST /validate, POST /mutate (with --mutate), GET \
             /healthz, /readyz and /metrics\n",
        ),
    };
    Ok(response)
}

/// `POST /validate` and `/mutate`: an AdmissionReview in, its answer out.
async fn review(state: &State, request: Request<Incoming>, mutate: bool) -> Response<Full<Bytes>> {
    let started = Instant::now();
    // The permit holds the body's share of the budget until the review is answered.
    let (body, _budget) = match read_body(request, &state.bodies).await {
        Ok(read) => read,
        Err((status, message)) => {
            state.metrics.bad_requests.inc();
            return text(status, &message);
        }
    };
    let request = match admission::read_review(&body) {
        Ok(request) => request,
        Err(err) => {
            state.metrics.bad_requests.inc();
            let status = match err {
                AdmissionError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                _ => StatusCode::BAD_REQUEST,
            };
            return text(status, &format!("{err}\n"));
        }
    };
    let settings = &state.settings;
    let decided = tokio::time::timeout(
        settings.review_timeout,
        state
            .verdicts
            .decide(&request, mutate, settings.failure_policy, &state.metrics),
    )
    .await;
    let (verdict, judgements) = decided.unwrap_or_else(|_| {
        state.metrics.registry_errors.inc();
        (
            super::timed_out(settings.review_timeout, settings.failure_policy),
            Vec::new(),
        )
    });
    let answer = admission::answer(&request.api_version, &request.uid, &verdict);
    let elapsed = started.elapsed();
    state.metrics.duration.observe(elapsed.as_secs_f64());
    state
        .metrics
        .requests
        .get_or_create(&DecisionLabels {
            endpoint: if mutate { "mutate" } else { "validate" },
            allowed: if verdict.allowed { "true" } else { "false" },
        })
        .inc();
    log(&request, &verdict, &judgements, mutate, elapsed);
    Response::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(Full::new(Bytes::from(answer)))
        .unwrap_or_default()
}

/// The body, whole, within [`MAX_REVIEW_BYTES`] and [`BODY_TIMEOUT`], with the share of the
/// body budget it holds (released when the review is answered). A larger one is read on, and
/// dropped, up to [`MAX_DRAINED`]: an HTTP/2 client still sending when the 413 is answered
/// would otherwise see its stream reset instead of the answer.
async fn read_body(
    request: Request<Incoming>,
    budget: &Arc<Semaphore>,
) -> Result<(Bytes, OwnedSemaphorePermit), (StatusCode, String)> {
    let mut body = request.into_body();
    let read = async {
        let mut kept = Vec::new();
        let mut held: Option<OwnedSemaphorePermit> = None;
        let mut total = 0_usize;
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|err| {
                (
                    StatusCode::BAD_REQUEST,
                    format!("reading the body: {err}\n"),
                )
            })?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            total = total.saturating_add(data.len());
            if total <= MAX_REVIEW_BYTES {
                let needed = total.div_ceil(BODY_UNIT).max(1);
                let have = held.as_ref().map_or(0, |p| p.num_permits());
                if needed > have {
                    let more = u32::try_from(needed - have).unwrap_or(u32::MAX);
                    // Never closed: acquiring fails only if it were.
                    let permit =
                        Arc::clone(budget)
                            .acquire_many_owned(more)
                            .await
                            .map_err(|_| {
                                (
                                    StatusCode::SERVICE_UNAVAILABLE,
                                    "shutting down\n".to_owned(),
                                )
                            })?;
                    match &mut held {
                        Some(held) => held.merge(permit),
                        None => held = Some(permit),
                    }
                }
                kept.extend_from_slice(&data);
            } else if total > MAX_DRAINED {
                break;
            }
        }
        if total > MAX_REVIEW_BYTES {
            return Err((
                StatusCode::PAYLOAD_TOO_LARGE,
                format!("an AdmissionReview of more than {MAX_REVIEW_BYTES} bytes\n"),
            ));
        }
        let held = match held {
            Some(held) => held,
            None => Arc::clone(budget).acquire_owned().await.map_err(|_| {
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    "shutting down\n".to_owned(),
                )
            })?,
        };
        Ok((Bytes::from(kept), held))
    };
    tokio::time::timeout(BODY_TIMEOUT, read)
        .await
        .unwrap_or_else(|_| {
            Err((
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the body did not arrive within {} s (or the server held too many bodies)\n",
                    BODY_TIMEOUT.as_secs()
                ),
            ))
        })
}

fn log(
    request: &admission::AdmissionRequest,
    verdict: &Verdict,
    judgements: &[super::verdicts::Judgement],
    mutate: bool,
    elapsed: Duration,
) {
    crate::output::serve::decision(&DecisionLog {
        uid: &request.uid,
        endpoint: if mutate { "mutate" } else { "validate" },
        operation: request.operation.as_str(),
        kind: &request.kind,
        namespace: request.namespace.as_deref(),
        name: request.name.as_deref(),
        dry_run: request.dry_run,
        allowed: verdict.allowed,
        message: (!verdict.allowed).then_some(verdict.message.as_str()),
        pinned: verdict.patch.len(),
        milliseconds: elapsed.as_secs_f64() * 1000.0,
        images: judgements
            .iter()
            .map(|j| ImageLog {
                image: &j.image,
                digest: j.judged.digest.as_deref(),
                allowed: j.judged.decision.allowed,
                rules: j
                    .judged
                    .decision
                    .rules
                    .iter()
                    .map(|r| r.rule.as_str())
                    .collect(),
                summary: &j.judged.decision.summary,
                cached: j.cached,
            })
            .collect(),
    });
}

fn text(status: StatusCode, body: &str) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, "text/plain; charset=utf-8")
        .body(Full::new(Bytes::from(body.to_owned())))
        .unwrap_or_default()
}
