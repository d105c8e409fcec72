//! `/metrics`: what Prometheus scrapes, in its text format (prometheus-client).

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

/// The labels of a decision.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(super) struct DecisionLabels {
    /// `validate` or `mutate`.
    pub(super) endpoint: &'static str,
    /// `true` or `false`.
    pub(super) allowed: &'static str,
}

/// Every metric the server keeps.
#[derive(Debug)]
pub(super) struct Metrics {
    registry: Registry,
    pub(super) requests: Family<DecisionLabels, Counter>,
    pub(super) duration: Histogram,
    pub(super) cache_hits: Counter,
    pub(super) cache_misses: Counter,
    pub(super) registry_errors: Counter,
    pub(super) bad_requests: Counter,
}

impl Metrics {
    pub(super) fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<DecisionLabels, Counter>::default();
        // 1 ms to about 16 s: cached verdicts, registry lookups, and the API server's timeout.
        let duration = Histogram::new(exponential_buckets(0.001, 2.0, 15));
        let cache_hits = Counter::default();
        let cache_misses = Counter::default();
        let registry_errors = Counter::default();
        let bad_requests = Counter::default();
        registry.register(
            "vouch_admission_requests",
            "AdmissionReviews answered, by endpoint and verdict",
            requests.clone(),
        );
        registry.register(
            "vouch_admission_duration_seconds",
            "Time to answer an AdmissionReview",
            duration.clone(),
        );
        registry.register(
            "vouch_verdict_cache_hits",
            "Images judged from a cached verdict, or joining a lookup in flight",
            cache_hits.clone(),
        );
        registry.register(
            "vouch_verdict_cache_misses",
            "Images judged anew (a registry lookup, unless the rule needs none)",
            cache_misses.clone(),
        );
        registry.register(
            "vouch_registry_errors",
            "Registry lookups that failed (network, TLS, authentication, throttling, timeouts)",
            registry_errors.clone(),
        );
        registry.register(
            "vouch_admission_bad_requests",
            "Requests that were not an AdmissionReview vouch can answer (4xx)",
            bad_requests.clone(),
        );
        Self {
            registry,
            requests,
            duration,
            cache_hits,
            cache_misses,
            registry_errors,
            bad_requests,
        }
    }

    /// The text exposition.
    pub(super) fn encode(&self) -> String {
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut text, &self.registry);
        text
    }
}
