//! `vouch verify-blob --bundle`: Sigstore and legacy cosign bundles, verified offline.

use std::io::{self, Read};
use std::path::Path;

use vouch_sigstore::{Bundle, VerifiedBundle};

use crate::args::{OutputFormat, VerifyBlobArgs};
use crate::data::Data;
use crate::error::{InputError, Role};
use crate::exit::{self, Outcome};
use crate::input;
use crate::output::{self, BundleReport};
use crate::signer::{self, Keyless};

/// Bundles are kilobytes; the library's limit, which its parser is bounded for.
const MAX_BUNDLE_LEN: u64 = vouch_sigstore::MAX_BUNDLE_BYTES;

/// Runs `verify-blob --bundle`. Prints the verdict on stdout; the caller prints the error.
pub(crate) fn run(args: &VerifyBlobArgs, bundle_path: &Path) -> anyhow::Result<Outcome> {
    if args.sigstore.insecure_ignore_tlog {
        output::warning(
            "--insecure-ignore-tlog: the transparency log is not checked, and a bundle without \
             a log entry is accepted; nothing shows this signature was ever published",
        );
    }
    let result = check(args, bundle_path);
    match args.output.format {
        OutputFormat::Text => match &result {
            Ok(_) => output::verified_ok()?,
            Err(err) if exit::is_not_verified(err) => output::verification_failure()?,
            Err(_) => {}
        },
        OutputFormat::Json => output::json(&BundleReport::new(args, bundle_path, &result))?,
    }
    result.map(|_| Outcome::Verified)
}

fn check(args: &VerifyBlobArgs, bundle_path: &Path) -> anyhow::Result<VerifiedBundle> {
    let flags = &args.sigstore;
    let policy = signer::policy(
        args.key.as_deref(),
        Keyless {
            identity: flags.certificate_identity.as_deref(),
            identity_regexp: flags.certificate_identity_regexp.as_deref(),
            issuer: flags.certificate_oidc_issuer.as_deref(),
            issuer_regexp: flags.certificate_oidc_issuer_regexp.as_deref(),
            extensions: &signer::workflow_extensions(&flags.workflow),
        },
        flags.insecure_ignore_tlog,
        "--bundle",
    )?;
    let verifier = signer::verifier(flags.trusted_root.as_deref())?;
    let bytes = input::read_small(bundle_path, Role::Bundle, MAX_BUNDLE_LEN, "bundle")?;
    let bundle = Bundle::from_json(&bytes).map_err(|source| InputError::Bundle {
        path: input::display(bundle_path),
        source,
    })?;
    let data = Data::from_arg(&args.file);
    let reader: Box<dyn Read + Send> = match data {
        Data::Stdin => Box::new(io::stdin()),
        Data::File(path) => Box::new(input::open_data(path)?),
    };
    verifier
        .verify_reader(reader, &bundle, &policy)
        .map_err(|err| {
            let described = format!(
                "{}: bundle {} does not verify",
                data.display(),
                input::display(bundle_path)
            );
            match err {
                vouch_sigstore::Error::ReadArtifact(source) => {
                    anyhow::Error::new(source).context(data.display())
                }
                err if err.is_verdict() => anyhow::Error::new(err).context(described),
                source => InputError::Bundle {
                    path: input::display(bundle_path),
                    source,
                }
                .into(),
            }
        })
}
