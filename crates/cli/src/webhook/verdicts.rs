//! Verdicts on images, cached by the image's name as written in the pod (which names the
//! rules that apply, and, by tag or digest, the digest judged), for `--cache-ttl`; concurrent
//! reviews of one image wait for one lookup. A lookup that failed is never cached.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tokio::sync::{OnceCell, Semaphore};
use vouch_oci::ImageRef;
use vouch_policy::Decision;
use vouch_policy::admission::{AdmissionRequest, ImagePatch, Verdict};

use super::metrics::Metrics;
use crate::args::FailurePolicy;
use crate::exit;
use crate::output::policy::Judged;
use crate::policy_runtime::PolicyRuntime;

/// Most verdicts kept: past it, expired ones are dropped, and if none has expired, all.
const MAX_CACHED: usize = 10_000;
/// Most distinct images in one object: more are refused, not looked up.
const MAX_IMAGES: usize = 100;
/// Registry lookups at once, over every review.
const MAX_LOOKUPS: usize = 64;

type Slot = Arc<OnceCell<(Arc<Judged>, Instant)>>;

/// The verdict cache and what fills it.
pub(super) struct Verdicts {
    runtime: Arc<PolicyRuntime>,
    ttl: Duration,
    cache: Mutex<HashMap<String, Slot>>,
    lookups: Semaphore,
}

/// One image of a review, and how it was judged, for the decision log.
#[derive(Debug)]
pub(super) struct Judgement {
    pub(super) image: String,
    pub(super) judged: Arc<Judged>,
    pub(super) cached: bool,
}

impl Verdicts {
    pub(super) fn new(runtime: Arc<PolicyRuntime>, ttl: Duration) -> Self {
        Self {
            runtime,
            ttl,
            cache: Mutex::new(HashMap::new()),
            lookups: Semaphore::new(MAX_LOOKUPS),
        }
    }

    /// The verdict on one image named `given`, and whether it came from the cache (or a
    /// lookup another review started).
    async fn judge(&self, given: &str, metrics: &Metrics) -> (Arc<Judged>, bool) {
        // A name that is no reference is refused without a cache entry: only references
        // (at most a few hundred bytes) are kept, whatever names reviews carry.
        let image = match ImageRef::parse(given) {
            Ok(image) => image,
            Err(err) => return (Arc::new(not_a_reference(given, &err.to_string())), false),
        };
        let (slot, cached) = self.slot(given);
        if cached {
            metrics.cache_hits.inc();
        } else {
            metrics.cache_misses.inc();
        }
        let (judged, _) = slot
            .get_or_init(|| async {
                let judged = self.judge_anew(&image, given).await;
                (Arc::new(judged), Instant::now())
            })
            .await;
        let judged = Arc::clone(judged);
        if judged.lookup_error.is_some() {
            if !cached {
                metrics.registry_errors.inc();
            }
            self.forget(given, &slot);
        }
        (judged, cached)
    }

    /// The slot for `given`: a fresh or in-flight one (cached), or a new one.
    fn slot(&self, given: &str) -> (Slot, bool) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = cache.get(given) {
            let fresh = slot.get().is_none_or(|(_, at)| at.elapsed() < self.ttl);
            if fresh {
                return (Arc::clone(slot), true);
            }
        }
        if cache.len() >= MAX_CACHED {
            let ttl = self.ttl;
            cache.retain(|_, slot| slot.get().is_none_or(|(_, at)| at.elapsed() < ttl));
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
        }
        let slot: Slot = Arc::new(OnceCell::new());
        cache.insert(given.to_owned(), Arc::clone(&slot));
        (slot, false)
    }

    /// Drops a verdict that must not be reused (a failed lookup), unless a newer one took its
    /// place.
    fn forget(&self, given: &str, slot: &Slot) {
        let mut cache = self.cache.lock().unwrap_or_else(PoisonError::into_inner);
        if cache
            .get(given)
            .is_some_and(|current| Arc::ptr_eq(current, slot))
        {
            cache.remove(given);
        }
    }

    async fn judge_anew(&self, image: &ImageRef, given: &str) -> Judged {
        // Acquiring fails only if the semaphore is closed, which it never is.
        let _turn = self.lookups.acquire().await.ok();
        let mut judged = self.runtime.judge(image, vec![(0, given.to_owned())]).await;
        match judged.pop() {
            Some((_, judged)) => judged,
            None => not_a_reference(given, "internal error: no verdict"),
        }
    }

    /// The verdict on a whole review: every image allowed, or denied with each refused
    /// image's reason; images pinned to their digests for `mutate`.
    pub(super) async fn decide(
        &self,
        request: &AdmissionRequest,
        mutate: bool,
        failure_policy: FailurePolicy,
        metrics: &Metrics,
    ) -> (Verdict, Vec<Judgement>) {
        if let Some(problem) = &request.problem {
            return (denied(problem), Vec::new());
        }
        // Each image once, however many containers run it.
        let mut distinct: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for image in &request.images {
            distinct
                .entry(image.image.as_str())
                .or_default()
                .push(&image.container);
        }
        if distinct.len() > MAX_IMAGES {
            return (
                denied(&format!(
                    "{} distinct images; vouch judges at most {MAX_IMAGES} in one object",
                    distinct.len()
                )),
                Vec::new(),
            );
        }
        let judged =
            futures_util::future::join_all(distinct.keys().map(|given| self.judge(given, metrics)))
                .await;
        let mut verdict = Verdict {
            allowed: true,
            ..Verdict::default()
        };
        let mut refusals = Vec::new();
        let mut judgements = Vec::new();
        for ((given, containers), (judged, cached)) in distinct.iter().zip(judged) {
            let containers = containers.join(", ");
            verdict.warnings.extend(
                judged
                    .decision
                    .warnings
                    .iter()
                    .map(|warning| format!("{given}: {warning}")),
            );
            if !judged.decision.allowed {
                let outage = judged.exit_code() == exit::LOOKUP_FAILED;
                match (outage, failure_policy) {
                    (true, FailurePolicy::Ignore) => verdict.warnings.push(format!(
                        "{given}: admitted without verification, the registry could not be \
                         reached (--failure-policy ignore): {}",
                        judged.decision.summary
                    )),
                    _ => refusals.push(format!(
                        "image {given} (container {containers}): {}",
                        judged.decision.summary
                    )),
                }
            }
            judgements.push(Judgement {
                image: (*given).to_owned(),
                judged,
                cached,
            });
        }
        if !refusals.is_empty() {
            verdict.allowed = false;
            verdict.message = format!("vouch: {}", refusals.join("; "));
        } else if mutate {
            verdict.patch = pins(request, &judgements);
        }
        (verdict, judgements)
    }
}

/// `repo:tag` → `repo:tag@sha256:…` for every admitted image named without a digest.
fn pins(request: &AdmissionRequest, judgements: &[Judgement]) -> Vec<ImagePatch> {
    request
        .images
        .iter()
        .filter_map(|image| {
            let judgement = judgements.iter().find(|j| j.image == image.image)?;
            let digest = judgement.judged.digest.as_deref()?;
            let parsed = ImageRef::parse(&image.image).ok()?;
            if parsed.digest().is_some() || !judgement.judged.decision.allowed {
                return None;
            }
            Some(ImagePatch {
                pointer: image.pointer.clone(),
                image: format!("{}@{digest}", image.image),
            })
        })
        .collect()
}

fn denied(message: &str) -> Verdict {
    Verdict {
        allowed: false,
        message: format!("vouch: {message}"),
        ..Verdict::default()
    }
}

/// The verdict on a name that is no image reference.
fn not_a_reference(given: &str, why: &str) -> Judged {
    Judged {
        given: given.to_owned(),
        image: given.to_owned(),
        digest: None,
        decision: Decision {
            allowed: false,
            rules: Vec::new(),
            warnings: Vec::new(),
            summary: format!("not an image reference: {why}"),
        },
        lookup_error: None,
    }
}
