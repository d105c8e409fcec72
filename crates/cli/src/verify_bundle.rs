//! `vouch verify-blob --bundle`: Sigstore and legacy cosign bundles, verified offline.

use std::io::{self, Read};
use std::path::Path;

use vouch_sigstore::{Bundle, Matcher, Policy, TrustRoot, VerifiedBundle, Verifier};

use crate::cli::{OutputFormat, VerifyBlobArgs};
use crate::error::{InputError, Role};
use crate::exit::{self, Outcome};
use crate::input;
use crate::output::{self, BundleReport};
use crate::verify::Data;

/// Bundles are kilobytes; a DSSE bundle with a large attestation stays far below this.
const MAX_BUNDLE_LEN: u64 = 16 << 20;
const MAX_TRUSTED_ROOT_LEN: u64 = 16 << 20;

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
    let policy = policy(args)?;
    let root = match &args.sigstore.trusted_root {
        Some(path) => {
            let bytes =
                input::read_small(path, Role::TrustRoot, MAX_TRUSTED_ROOT_LEN, "trusted root")?;
            TrustRoot::from_json(&String::from_utf8_lossy(&bytes)).map_err(|source| {
                InputError::TrustRoot {
                    path: input::display(path),
                    source,
                }
            })?
        }
        None => TrustRoot::production()?,
    };
    let verifier = Verifier::new(&root).map_err(|source| InputError::TrustRoot {
        path: args.sigstore.trusted_root.as_deref().map_or_else(
            || "the embedded production trusted root".to_owned(),
            input::display,
        ),
        source,
    })?;
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

/// The policy the flags describe: a key, or an identity and issuer (exact or regex).
fn policy(args: &VerifyBlobArgs) -> anyhow::Result<Policy> {
    let flags = &args.sigstore;
    let identity = match (
        &flags.certificate_identity,
        &flags.certificate_identity_regexp,
    ) {
        (Some(exact), None) => Some(Matcher::exact(exact)),
        (None, Some(pattern)) => Some(Matcher::regex(pattern)?),
        _ => None,
    };
    let issuer = match (
        &flags.certificate_oidc_issuer,
        &flags.certificate_oidc_issuer_regexp,
    ) {
        (Some(exact), None) => Some(Matcher::exact(exact)),
        (None, Some(pattern)) => Some(Matcher::regex(pattern)?),
        _ => None,
    };
    let policy = match (&args.key, identity, issuer) {
        (Some(key), None, None) => Policy::key(input::read_key(key)?),
        (None, Some(identity), Some(issuer)) => Policy::identity(identity, issuer),
        (None, Some(_), None) | (None, None, Some(_)) => {
            return Err(InputError::Usage {
                message: "keyless verification needs both an identity (--certificate-identity or \
                          --certificate-identity-regexp) and an issuer (--certificate-oidc-issuer or \
                          --certificate-oidc-issuer-regexp)"
                    .to_owned(),
            }
            .into());
        }
        _ => {
            return Err(InputError::Usage {
                message: "--bundle needs --key, or --certificate-identity[-regexp] with \
                          --certificate-oidc-issuer[-regexp]"
                    .to_owned(),
            }
            .into());
        }
    };
    Ok(if flags.insecure_ignore_tlog {
        policy.insecure_ignore_tlog()
    } else {
        policy
    })
}
