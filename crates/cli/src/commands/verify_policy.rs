//! `vouch verify --policy FILE IMAGE...`: every image judged by the rules of a trust policy.
//!
//! The policy is read (and every key and Rego module it names) before any image is looked up.
//! Images are judged concurrently (`--jobs`); arguments naming the same image share one
//! lookup, made with attestations when a rule for any of them needs them, and dropped once
//! they are judged, so that at most `--jobs` lookups are held at once. A rule of `allow` or
//! `reject` alone decides without contacting the registry.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::Semaphore;
use vouch_oci::ImageRef;

use crate::args::{OutputFormat, VerifyImageArgs};
use crate::error::InputError;
use crate::exit::{self, Outcome};
use crate::output::{self, policy::Judged};
use crate::policy_runtime::PolicyRuntime;
use crate::registry_flags::registry_client;
use crate::trust_policy;

/// Runs `vouch verify --policy`.
pub(crate) fn run(args: &VerifyImageArgs) -> anyhow::Result<Outcome> {
    let Some(path) = args.policy.as_deref() else {
        return Err(InputError::Usage {
            message: "internal error: --policy missing".to_owned(),
        }
        .into());
    };
    let shared = Arc::new(PolicyRuntime::new(
        path,
        args.trusted_root.as_deref(),
        &args.lookup,
        registry_client(&args.lookup.registry)?,
    )?);
    let images = args
        .images
        .iter()
        .map(|given| Ok((given.clone(), trust_policy::registry_image(given)?)))
        .collect::<anyhow::Result<Vec<(String, ImageRef)>>>()?;
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
    shared: &Arc<PolicyRuntime>,
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
            shared.judge(&group.image, group.members).await
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
