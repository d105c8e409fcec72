//! `vouch verify IMAGE...`: signatures found in the registry, verified offline.
//!
//! Every reference is parsed before anything is fetched. Images are then looked up
//! concurrently (`--jobs`) with one shared registry client (one connection pool, one token
//! cache), and each lookup is verified as soon as it is complete.

use std::fs;
use std::sync::Arc;

use anyhow::Context as _;
use tokio::sync::Semaphore;
use vouch_oci::{
    Credentials, ImagePolicy, ImageRef, Lookup, LookupOptions, Platform, RegistryClient,
    RegistryOptions, Repository, VerifiedImage,
};
use vouch_sigstore::{Policy, Verifier};

use crate::cli::{LookupArgs, OutputFormat, RegistryArgs, VerifyImageArgs};
use crate::error::InputError;
use crate::exit::{self, Outcome};
use crate::output;
use crate::signer::{self, Keyless};

/// What happened to one image.
#[derive(Debug)]
pub(crate) struct ImageResult {
    /// The reference as given on the command line.
    pub(crate) given: String,
    pub(crate) image: ImageRef,
    /// The lookup, if it completed.
    pub(crate) lookup: Option<Lookup>,
    pub(crate) verdict: anyhow::Result<VerifiedImage>,
}

impl ImageResult {
    pub(crate) fn exit_code(&self) -> u8 {
        match &self.verdict {
            Ok(_) => exit::VERIFIED,
            Err(err) => exit::code(err),
        }
    }
}

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
        },
        args.insecure_ignore_tlog,
        "verify",
    )?;
    let verifier = Arc::new(signer::verifier(args.trusted_root.as_deref())?);
    let annotations = parse_annotations(&args.annotations)?;
    let images = parse_images(&args.images)?;
    let options = lookup_options(&args.lookup)?;
    let client = registry_client(&args.lookup.registry)?;
    let shared = Arc::new(Shared {
        policy,
        annotations,
        check_identity: args.check_identity,
        verifier,
        options,
        client,
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
            let hints = crate::error::hints(err);
            output::error(&anyhow::anyhow!("{}: {err:#}", result.given), &hints);
        }
    }
    let code = results
        .iter()
        .map(ImageResult::exit_code)
        .max()
        .unwrap_or(exit::VERIFIED);
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
}

async fn verify_all(
    shared: &Arc<Shared>,
    images: Vec<(String, ImageRef)>,
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
        .map(|(result, (given, image))| {
            result.unwrap_or_else(|| ImageResult {
                given,
                image,
                lookup: None,
                verdict: Err(anyhow::anyhow!(
                    "internal error: the verification task failed"
                )),
            })
        })
        .collect()
}

async fn verify_one(shared: &Shared, given: String, image: ImageRef) -> ImageResult {
    let mut lookup = match shared.client.lookup(&image, shared.options.clone()).await {
        Ok(lookup) => lookup,
        Err(err) => {
            return ImageResult {
                given,
                image,
                lookup: None,
                verdict: Err(err.into()),
            };
        }
    };
    let mut policy =
        ImagePolicy::new(shared.policy.clone()).with_annotations(shared.annotations.clone());
    if shared.check_identity {
        policy = policy.check_identity(image.repository().clone());
    }
    let verdict = vouch_oci::verify_image(&lookup, &policy, &shared.verifier).map_err(Into::into);
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

pub(crate) fn parse_images(images: &[String]) -> anyhow::Result<Vec<(String, ImageRef)>> {
    images
        .iter()
        .map(|given| {
            ImageRef::parse(given)
                .map(|image| (given.clone(), image))
                .map_err(|err| {
                    InputError::Usage {
                        message: format!("{err}"),
                    }
                    .into()
                })
        })
        .collect()
}

pub(crate) fn parse_annotations(annotations: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    annotations
        .iter()
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok((key.to_owned(), value.to_owned())),
            _ => Err(InputError::Usage {
                message: format!(
                    "-a/--annotations takes KEY=VALUE, found `{pair}` (e.g. -a env=prod)"
                ),
            }
            .into()),
        })
        .collect()
}

pub(crate) fn lookup_options(args: &LookupArgs) -> anyhow::Result<LookupOptions> {
    let mut options = LookupOptions::new();
    if let Some(platform) = &args.platform {
        let platform = Platform::parse(platform).map_err(|err| InputError::Usage {
            message: format!(
                "--platform: {err} (expected os/arch or os/arch/variant, e.g. linux/amd64)"
            ),
        })?;
        options = options.with_platform(platform);
    }
    if let Some(repository) = signature_repository(args.signature_repository.as_deref())? {
        options = options.with_signature_repository(repository);
    }
    Ok(options)
}

/// `--signature-repository` (or `COSIGN_REPOSITORY`, which clap reads into it); empty is unset.
pub(crate) fn signature_repository(given: Option<&str>) -> anyhow::Result<Option<Repository>> {
    given
        .filter(|r| !r.is_empty())
        .map(|r| {
            Repository::parse(r).map_err(|err| {
                InputError::Usage {
                    message: format!("--signature-repository (or COSIGN_REPOSITORY): {err}"),
                }
                .into()
            })
        })
        .transpose()
}

/// The registry client: docker and podman credentials from the environment, unless the
/// flags give some.
pub(crate) fn registry_client(args: &RegistryArgs) -> anyhow::Result<RegistryClient> {
    let mut options = RegistryOptions::from_env()
        .allow_http(args.allow_http_registry)
        .deadline(Some(args.timeout))
        .user_agent(concat!("vouch/", env!("CARGO_PKG_VERSION")));
    if !args.registry_cacert.is_empty() {
        let mut pems = Vec::new();
        for path in &args.registry_cacert {
            pems.push(fs::read(path).map_err(|source| InputError::Read {
                path: crate::input::display(path),
                role: crate::error::Role::CaCertificates,
                source,
            })?);
        }
        options = options.ca_certificates(pems);
    }
    if let (Some(cert), Some(key)) = (&args.registry_client_cert, &args.registry_client_key) {
        let read = |path: &std::path::Path| {
            fs::read(path).map_err(|source| InputError::Read {
                path: crate::input::display(path),
                role: crate::error::Role::ClientCertificate,
                source,
            })
        };
        let key = vouch_keys::Zeroizing::new(read(key)?);
        options = options.client_certificate(&read(cert)?, &key);
    }
    match (
        &args.registry_username,
        &args.registry_password,
        &args.registry_token,
    ) {
        (Some(user), Some(password), _) => {
            options = options.credentials(Credentials::basic(user, password));
        }
        (_, _, Some(token)) => options = options.credentials(Credentials::bearer(token)),
        _ => {}
    }
    Ok(RegistryClient::new(options)?)
}
