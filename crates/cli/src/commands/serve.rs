//! `vouch serve`: the admission webhook (docs/kubernetes.md). Everything is read and checked
//! before the server listens: the policy and what it names, the trust root, the certificate
//! and its key.

use std::sync::Arc;

use anyhow::Context as _;

use crate::args::ServeArgs;
use crate::error::InputError;
use crate::exit::{self, Outcome};
use crate::policy_runtime::PolicyRuntime;
use crate::registry_flags::transfer_client;
use crate::webhook::{self, ReloadingCertificate, Settings};

/// Runs the server until SIGTERM or SIGINT.
pub(crate) fn run(args: &ServeArgs) -> anyhow::Result<Outcome> {
    if args.lookup.local_image {
        return Err(InputError::Usage {
            message: "--local-image: vouch serve judges images in registries, as pods name them"
                .to_owned(),
        }
        .into());
    }
    // No deadline for the whole run, which never ends: each review has --review-timeout.
    let client = transfer_client(&args.lookup.registry)?;
    let runtime = Arc::new(PolicyRuntime::new(
        &args.policy,
        args.trusted_root.as_deref(),
        &args.lookup,
        client,
    )?);
    let certificate = ReloadingCertificate::load(&args.tls_cert, &args.tls_key).map_err(|err| {
        InputError::Usage {
            message: format!("{err:#}"),
        }
    })?;
    let settings = Settings {
        listen: args.listen,
        failure_policy: args.failure_policy,
        cache_ttl: args.cache_ttl,
        review_timeout: args.review_timeout,
        mutate: args.mutate,
    };
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    tokio
        .block_on(webhook::serve(runtime, certificate, settings))
        .map_err(|err| InputError::Usage {
            message: format!("{err:#}"),
        })?;
    Ok(Outcome::Code(exit::VERIFIED))
}
