//! `vouch serve`: a Kubernetes admission webhook over HTTPS (rustls, hyper), judging every
//! image of a workload by the trust policy (docs/kubernetes.md).
//!
//! Bounded whatever arrives: at most [`MAX_CONNECTIONS`] connections, a TLS handshake and a
//! request's headers within [`HANDSHAKE_TIMEOUT`], a body of at most 8 MiB within 10 s and
//! 32 MiB of bodies held at once (over every connection and HTTP/2 stream), at most 200,000
//! JSON values in a review, 64 registry lookups at once, a review answered within
//! `--review-timeout`, and at most 10,000 cached verdicts.

mod metrics;
mod routes;
mod tls;
mod verdicts;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_rustls::TlsAcceptor;
use vouch_policy::admission::Verdict;

pub(crate) use tls::ReloadingCertificate;

use crate::args::FailurePolicy;
use crate::output;
use crate::policy_runtime::PolicyRuntime;
use metrics::Metrics;
use verdicts::Verdicts;

/// Most connections served at once (the API server keeps a few open per replica).
const MAX_CONNECTIONS: usize = 1024;
/// Time allowed for a TLS handshake, and for a request's headers.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// How the server behaves, from the flags.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Settings {
    pub(crate) listen: SocketAddr,
    pub(crate) failure_policy: FailurePolicy,
    pub(crate) cache_ttl: Duration,
    pub(crate) review_timeout: Duration,
    pub(crate) mutate: bool,
}

/// What every connection shares.
struct State {
    settings: Settings,
    verdicts: Verdicts,
    metrics: Metrics,
    /// Bytes of request bodies held at once, in units of [`routes::BODY_UNIT`].
    bodies: Arc<Semaphore>,
}

/// Serves until SIGTERM or SIGINT, then lets the reviews in flight finish (within
/// `--review-timeout`).
pub(crate) async fn serve(
    runtime: Arc<PolicyRuntime>,
    certificate: ReloadingCertificate,
    settings: Settings,
) -> anyhow::Result<()> {
    let listener = TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::aws_lc_rs::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .context("the TLS configuration")?
    .with_no_client_auth()
    .with_cert_resolver(Arc::new(certificate));
    let mut config = config;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let state = Arc::new(State {
        settings,
        verdicts: Verdicts::new(runtime, settings.cache_ttl),
        metrics: Metrics::new(),
        bodies: Arc::new(Semaphore::new(routes::BODY_UNITS)),
    });
    let local = listener.local_addr().unwrap_or(settings.listen);
    output::serve::event(&format!("listening on https://{local}"));
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut tasks = tokio::task::JoinSet::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => accepted,
        };
        // Reap finished connections so the set does not grow.
        while tasks.try_join_next().is_some() {}
        let Ok((stream, _peer)) = accepted else {
            // Out of file descriptors, say: wait a little rather than spin.
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            // Over the limit: the connection is closed at once.
            continue;
        };
        let acceptor = acceptor.clone();
        let state = Arc::clone(&state);
        tasks.spawn(async move {
            let _permit = permit;
            let Ok(Ok(tls)) =
                tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
            else {
                return;
            };
            let service = service_fn(move |request| routes::handle(Arc::clone(&state), request));
            let mut builder = auto::Builder::new(TokioExecutor::new());
            builder
                .http1()
                .timer(TokioTimer::new())
                .header_read_timeout(HANDSHAKE_TIMEOUT);
            // A connection that ends badly (a client gone) concerns no one else.
            let _ = builder.serve_connection(TokioIo::new(tls), service).await;
        });
    }
    output::serve::event("stopping: answering the reviews in flight");
    let drain = settings.review_timeout + Duration::from_secs(1);
    let _ = tokio::time::timeout(drain, async { while tasks.join_next().await.is_some() {} }).await;
    Ok(())
}

/// The answer when a review takes longer than `--review-timeout`.
fn timed_out(limit: Duration, policy: FailurePolicy) -> Verdict {
    let why = format!(
        "the images could not be judged within {} s (the registry is slow or unreachable)",
        limit.as_secs_f64()
    );
    match policy {
        FailurePolicy::Fail => Verdict {
            allowed: false,
            message: format!("vouch: {why}; failing closed (--failure-policy fail)"),
            ..Verdict::default()
        },
        FailurePolicy::Ignore => Verdict {
            allowed: true,
            warnings: vec![format!(
                "vouch: {why}; admitted without verification (--failure-policy ignore)"
            )],
            ..Verdict::default()
        },
    }
}

/// SIGTERM (the kubelet stopping the pod) or SIGINT.
async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let Ok(mut term) = signal(SignalKind::terminate()) else {
        // No signal handling: serve until killed.
        return std::future::pending().await;
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
