//! `vouch verify --policy FILE IMAGE...`: every image judged by the rules of a trust policy.
//!
//! The policy is read (and every key and Rego module it names) before any image is looked up.
//! Images are judged concurrently (`--jobs`); arguments naming the same image share one
//! lookup, made with attestations when a rule for any of them needs them, and dropped once
//! they are judged, so that at most `--jobs` lookups are held at once. A rule of `allow` or
//! `reject` alone decides without contacting the registry.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context as _;
use tokio::sync::Semaphore;
use vouch_attest::{PolicyVerdict, RegoPolicy};
use vouch_oci::{ImageRef, LookupOptions, RegistryClient};
use vouch_policy::{Judge, RegoRunner, TrustPolicy};
use vouch_sigstore::Verifier;

use crate::args::{OutputFormat, VerifyImageArgs};
use crate::error::InputError;
use crate::exit::{self, Outcome};
use crate::image_target::{self, Target};
use crate::output::{self, policy::Judged};
use crate::registry_flags::{lookup_options, registry_client};
use crate::{policy_memory, signer, trust_policy};

/// Wall time of one Rego evaluation, as `verify-attestation --policy-timeout`'s default.
const REGO_TIME: Duration = Duration::from_secs(10);
/// Heap of one Rego evaluation, as `verify-attestation --policy-memory`'s default.
const REGO_MEMORY: usize = 512 << 20;
/// Memory one statement may take once parsed, as `--statement-memory`'s default.
const STATEMENT_COST: u64 = 1024 << 20;

/// Runs `vouch verify --policy`.
pub(crate) fn run(args: &VerifyImageArgs) -> anyhow::Result<Outcome> {
    let Some(path) = args.policy.as_deref() else {
        return Err(InputError::Usage {
            message: "internal error: --policy missing".to_owned(),
        }
        .into());
    };
    let policy = trust_policy::load(path)?;
    let root = signer::trust_root(args.trusted_root.as_deref())?;
    trust_policy::check_named_trust(&policy, &root, path)?;
    let verifier = signer::verifier_of(&root, args.trusted_root.as_deref())?;
    let images = args
        .images
        .iter()
        .map(|given| Ok((given.clone(), trust_policy::registry_image(given)?)))
        .collect::<anyhow::Result<Vec<(String, ImageRef)>>>()?;
    let options = lookup_options(&args.lookup)?;
    let client = registry_client(&args.lookup.registry)?;
    let shared = Arc::new(Shared {
        policy,
        verifier,
        options,
        client,
        rego: Bounded::default(),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let judged = runtime.block_on(judge_all(&shared, images, args.jobs.get()));
    let requests = shared.client.request_count();
    match args.output.format {
        OutputFormat::Text => output::policy::verify_text(&judged)?,
        OutputFormat::Json => output::policy::verify_json(&judged, requests)?,
    }
    for result in &judged {
        for warning in &result.decision.warnings {
            output::warning(&format!("{}: {warning}", result.image));
        }
        if let Some(err) = &result.lookup_error {
            let hints = crate::hints::hints(err);
            output::error(&anyhow::anyhow!("{}: {err:#}", result.given), &hints);
        }
    }
    let code = judged
        .iter()
        .map(Judged::exit_code)
        .fold(exit::VERIFIED, exit::worst);
    Ok(Outcome::Code(code))
}

/// Everything the per-image tasks share.
struct Shared {
    policy: TrustPolicy,
    verifier: Verifier,
    options: LookupOptions,
    client: RegistryClient,
    rego: Bounded,
}

/// The arguments that name one image (normalised), with their positions on the command line.
struct Group {
    image: ImageRef,
    members: Vec<(usize, String)>,
}

/// The images named, each once, in the order first named.
fn groups(images: Vec<(String, ImageRef)>) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    for (index, (given, image)) in images.into_iter().enumerate() {
        match by_name.get(&image.to_string()) {
            Some(&group) => groups[group].members.push((index, given)),
            None => {
                by_name.insert(image.to_string(), groups.len());
                groups.push(Group {
                    image,
                    members: vec![(index, given)],
                });
            }
        }
    }
    groups
}

async fn judge_all(
    shared: &Arc<Shared>,
    images: Vec<(String, ImageRef)>,
    jobs: usize,
) -> Vec<Judged> {
    let count = images.len();
    let permits = Arc::new(Semaphore::new(jobs));
    let mut tasks = tokio::task::JoinSet::new();
    let groups = groups(images);
    let mut fallback = Vec::new();
    for group in groups {
        for (index, given) in &group.members {
            fallback.push((*index, given.clone(), group.image.clone()));
        }
        let shared = Arc::clone(shared);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _permit = permits.acquire_owned().await.ok();
            judge_group(&shared, group).await
        });
    }
    let mut results: Vec<Option<Judged>> = (0..count).map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        for (index, result) in joined.into_iter().flatten() {
            if let Some(slot) = results.get_mut(index) {
                *slot = Some(result);
            }
        }
    }
    // A result is missing only if its task panicked: the image is reported as refused, never
    // dropped from the report.
    fallback.sort_by_key(|(index, _, _)| *index);
    results
        .into_iter()
        .zip(fallback)
        .map(|(result, (_, given, image))| {
            result.unwrap_or_else(|| {
                Judged::failed(
                    given,
                    &image,
                    "internal error: the verification task failed",
                )
            })
        })
        .collect()
}

/// One image, looked up once (if a rule needs it, with attestations if one needs them), and
/// judged for each argument that names it; its lookup is dropped before the next image's.
async fn judge_group(shared: &Shared, group: Group) -> Vec<(usize, Judged)> {
    let image = &group.image;
    let selections: Vec<_> = group
        .members
        .iter()
        .map(|(_, given)| shared.policy.select(image, given))
        .collect();
    let lookup = if selections.iter().any(|s| s.needs_lookup()) {
        let mut options = shared.options.clone();
        if selections.iter().any(|s| s.needs_attestations()) {
            options = options.with_attestations().with_attestation_sizes();
        }
        let target = Target::Registry(image.clone());
        Some(
            image_target::look_up(&shared.client, &target, options)
                .await
                .map_err(Arc::new),
        )
    } else {
        None
    };
    let judge = Judge {
        verifier: &shared.verifier,
        rego: &shared.rego,
        statement_cost: STATEMENT_COST,
    };
    let (found, lookup_error) = match &lookup {
        Some(Ok(lookup)) => (Ok(lookup), None),
        Some(Err(err)) => (Err(format!("{err:#}")), Some(Arc::clone(err))),
        None => (Err("not looked up".to_owned()), None),
    };
    group
        .members
        .into_iter()
        .zip(&selections)
        .map(|((index, given), selection)| {
            let decision = judge.judge(
                selection,
                image,
                found.as_ref().map(|l| *l).map_err(String::as_str),
            );
            let judged = Judged {
                given,
                image: image.to_string(),
                digest: found.as_ref().ok().map(|lookup| lookup.digest.to_string()),
                decision,
                lookup_error: lookup_error.clone(),
            };
            (index, judged)
        })
        .collect()
}

/// Rego evaluations one at a time, each bounded in time and heap (`policy_memory` counts one
/// evaluation's allocations for the whole process).
#[derive(Default)]
struct Bounded {
    one_at_a_time: Mutex<()>,
}

impl RegoRunner for Bounded {
    fn evaluate(
        &self,
        policy: &RegoPolicy,
        input: &serde_json::Value,
    ) -> Result<PolicyVerdict, vouch_attest::PolicyError> {
        // A poisoned lock only means another evaluation panicked; the guard protects nothing
        // but the order of evaluations.
        let _turn = self
            .one_at_a_time
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        policy_memory::with_limit(REGO_MEMORY, || policy.evaluate(input, REGO_TIME))
    }
}
