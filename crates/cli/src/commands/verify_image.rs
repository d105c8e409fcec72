//! `vouch verify IMAGE...`: signatures found in the registry, verified offline.
//!
//! Every reference is parsed before anything is fetched. Images are then looked up
//! concurrently (`--jobs`) with one shared registry client (one connection pool, one token
//! cache), and each lookup is verified as soon as it is complete.

use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::Semaphore;
use vouch_oci::{ImagePolicy, LookupOptions, RegistryClient, VerifiedImage};
use vouch_sigstore::{Policy, Verifier};

use crate::args::{OutputFormat, VerifyImageArgs};
use crate::docker_archive;
use crate::error::InputError;
use crate::exit::{self, Outcome};
use crate::image_target::{self, Target};
use crate::output::{self, image::ImageResult};
use crate::registry_flags::{lookup_options, parse_annotations, registry_client};
use crate::signer::{self, Keyless};

/// Runs `vouch verify`. Prints the verdicts on stdout; errors of single images on stderr.
pub(crate) fn run(args: &VerifyImageArgs) -> anyhow::Result<Outcome> {
    if args.insecure_ignore_tlog {
        output::warning(
            "--insecure-ignore-tlog: the transparency log is not checked, and signatures \
             without a log entry are accepted; nothing shows they were ever published",
        );
    }
    let keyless = &args.keyless;
    let policy = signer::policy(
        args.key.as_deref(),
        Keyless {
            identity: keyless.certificate_identity.as_deref(),
            identity_regexp: keyless.certificate_identity_regexp.as_deref(),
            issuer: keyless.certificate_oidc_issuer.as_deref(),
            issuer_regexp: keyless.certificate_oidc_issuer_regexp.as_deref(),
            extensions: &signer::workflow_extensions(&keyless.workflow),
        },
        args.insecure_ignore_tlog,
        "verify",
    )?;
    let verifier = Arc::new(signer::verifier(args.trusted_root.as_deref())?);
    let annotations = parse_annotations(&args.annotations)?;
    let images = image_target::parse_targets(&args.images, args.lookup.local_image)?;
    if args.check_identity
        && let Some((given, _)) = images
            .iter()
            .find(|(_, target)| target.registry().is_none())
    {
        return Err(InputError::Usage {
            message: format!(
                "--check-identity compares the signed docker-reference with the image's \
                 repository, and `{given}` is a layout, which has none"
            ),
        }
        .into());
    }
    let signed_image = signed_image(
        args.signed_image.as_deref(),
        &images,
        args.lookup.local_image,
    )?;
    let options = lookup_options(&args.lookup)?;
    image_target::warn_unused_signature_repository(&images, &options);
    let client = registry_client(&args.lookup.registry)?;
    let shared = Arc::new(Shared {
        policy,
        annotations,
        check_identity: args.check_identity,
        verifier,
        options,
        client,
        signed_image,
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let results = runtime.block_on(verify_all(&shared, images, args.jobs.get()));
    let requests = shared.client.request_count();
    match args.output.format {
        OutputFormat::Text => output::image::text(&results)?,
        OutputFormat::Json => output::image::json_report(&results, requests)?,
    }
    for result in &results {
        if let Err(err) = &result.verdict {
            let hints = crate::hints::hints(err);
            output::error(&anyhow::anyhow!("{}: {err:#}", result.given), &hints);
        }
    }
    let code = results
        .iter()
        .map(ImageResult::exit_code)
        .fold(exit::VERIFIED, exit::worst);
    Ok(Outcome::Code(code))
}

/// Everything the per-image tasks share.
struct Shared {
    policy: Policy,
    annotations: Vec<(String, String)>,
    check_identity: bool,
    verifier: Arc<Verifier>,
    options: LookupOptions,
    client: RegistryClient,
    /// `--signed-image`: where the signatures of `docker-archive:` images are.
    signed_image: Option<Target>,
}

/// `--signed-image`, parsed: given exactly when some image is a docker archive, and not one
/// itself.
fn signed_image(
    given: Option<&str>,
    images: &[(String, Target)],
    local_image: bool,
) -> anyhow::Result<Option<Target>> {
    let archives = images
        .iter()
        .any(|(_, target)| matches!(target, Target::DockerArchive { .. }));
    match given {
        None if archives => Err(image_target::docker_archive_needs_signed_image()),
        None => Ok(None),
        Some(_) if !archives => Err(InputError::Usage {
            message: "--signed-image names the signed image of a `docker-archive:FILE` \
                      argument, and none is given"
                .to_owned(),
        }
        .into()),
        Some(given) => match image_target::parse_target(given, local_image)? {
            Target::DockerArchive { .. } => Err(InputError::Usage {
                message: format!(
                    "--signed-image {given}: a docker archive holds no signatures; give the \
                     image in a registry or an OCI layout"
                ),
            }
            .into()),
            target => Ok(Some(target)),
        },
    }
}

async fn verify_all(
    shared: &Arc<Shared>,
    images: Vec<(String, Target)>,
    jobs: usize,
) -> Vec<ImageResult> {
    let permits = Arc::new(Semaphore::new(jobs));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, (given, image)) in images.iter().cloned().enumerate() {
        let shared = Arc::clone(shared);
        let permits = Arc::clone(&permits);
        tasks.spawn(async move {
            // The semaphore is never closed, so acquiring cannot fail.
            let _permit = permits.acquire_owned().await.ok();
            (index, verify_one(&shared, given, image).await)
        });
    }
    let mut results: Vec<Option<ImageResult>> = images.iter().map(|_| None).collect();
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, result)) = joined
            && let Some(slot) = results.get_mut(index)
        {
            *slot = Some(result);
        }
    }
    // A task is missing only if it panicked: its image is reported as not verified, never
    // dropped from the report.
    results
        .into_iter()
        .zip(images)
        .map(|(result, (given, target))| {
            result.unwrap_or_else(|| ImageResult {
                image: target.shown(&given),
                given,
                lookup: None,
                verdict: Err(anyhow::anyhow!(
                    "internal error: the verification task failed"
                )),
            })
        })
        .collect()
}

async fn verify_one(shared: &Shared, given: String, target: Target) -> ImageResult {
    let image = target.shown(&given);
    // A docker archive's signatures are those of the signed image it was saved from.
    let (target, docker_archive) = match (target, &shared.signed_image) {
        (Target::DockerArchive { path, reference }, Some(signed)) => {
            (signed.clone(), Some((path, reference)))
        }
        (target, _) => (target, None),
    };
    let mut lookup =
        match image_target::look_up(&shared.client, &target, shared.options.clone()).await {
            Ok(lookup) => lookup,
            Err(err) => {
                return ImageResult {
                    given,
                    image,
                    lookup: None,
                    verdict: Err(err),
                };
            }
        };
    let mut policy =
        ImagePolicy::new(shared.policy.clone()).with_annotations(shared.annotations.clone());
    if shared.check_identity
        && let Some(registry_image) = target.registry()
    {
        policy = policy.check_identity(registry_image.repository().clone());
    }
    tracing::info!(
        "{image}: {} ({} signature candidate(s) found)",
        lookup.digest,
        lookup.candidates.len()
    );
    let mut verdict: anyhow::Result<VerifiedImage> =
        vouch_oci::verify_image(&lookup, &policy, &shared.verifier).map_err(Into::into);
    if let (Ok(_), Some((path, reference))) = (&verdict, docker_archive)
        && let Err(err) =
            docker_archive::check(&shared.client, &target, &lookup.digest, path, reference).await
    {
        verdict = Err(err);
    }
    trace_verdict(&image, &verdict);
    // The signatures' bytes are not needed for the report: freed now, so that a run over many
    // images holds at most `--jobs` lookups' worth of them (docs/oci.md, "Limits").
    lookup.candidates = Vec::new();
    ImageResult {
        given,
        image,
        lookup: Some(lookup),
        verdict,
    }
}

/// `-v`: each signature tried, and why it was accepted or rejected.
fn trace_verdict(image: &str, verdict: &anyhow::Result<VerifiedImage>) {
    if let Ok(verified) = verdict {
        for signature in verified.verified() {
            tracing::info!(
                "{image}: accepted {}",
                output::image::signature_line(signature)
            );
        }
    }
    // Those of a valid verdict, and of one that is not.
    for rejection in output::image::rejections_of(verdict) {
        tracing::info!(
            "{image}: rejected the {} signature in {} ({}): {}",
            rejection.kind(),
            rejection.manifest_digest(),
            rejection.source().as_str(),
            rejection.reason()
        );
    }
}
