//! The image-reference, annotation, lookup and registry flags shared by the image commands
//! (`verify`, `tree`, `triangulate`, `sign`), turned into the library's types.

use std::fs;
use std::time::Duration;

use vouch_keys::Zeroizing;

use vouch_oci::{
    Credentials, ImageRef, LookupOptions, Platform, RegistryClient, RegistryOptions, Repository,
};

use crate::args::{LookupArgs, RegistryArgs};
use crate::error::{InputError, Role};
use crate::input;

/// Registry passwords and tokens are short; this catches a wrong file.
const MAX_PASSWORD_LEN: u64 = 64 << 10;

/// Every reference parsed before anything is fetched, so a typo fails at once.
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
/// cosign's default for `--timeout`, for the commands that look images up and sign them.
const DEFAULT_DEADLINE: Duration = Duration::from_secs(180);

/// A client for the verifying and signing commands: `--timeout` bounds the run, 3 minutes by
/// default as in cosign.
pub(crate) fn registry_client(args: &RegistryArgs) -> anyhow::Result<RegistryClient> {
    client(args, Some(args.timeout.unwrap_or(DEFAULT_DEADLINE)))
}

/// A client for copies: only a `--timeout` given bounds the run (moving a large image takes
/// what it takes; each request has its own limit).
pub(crate) fn transfer_client(args: &RegistryArgs) -> anyhow::Result<RegistryClient> {
    client(args, args.timeout)
}

fn client(args: &RegistryArgs, deadline: Option<Duration>) -> anyhow::Result<RegistryClient> {
    let mut options = RegistryOptions::from_env()
        .allow_http(args.allow_http_registry)
        .deadline(deadline)
        .user_agent(concat!("vouch/", env!("CARGO_PKG_VERSION")));
    if !args.registry_cacert.is_empty() {
        let mut pems = Vec::new();
        for path in &args.registry_cacert {
            pems.push(fs::read(path).map_err(|source| InputError::Read {
                path: input::display(path),
                role: Role::CaCertificates,
                source,
            })?);
        }
        options = options.ca_certificates(pems);
    }
    if let (Some(cert), Some(key)) = (&args.registry_client_cert, &args.registry_client_key) {
        let read = |path: &std::path::Path| {
            fs::read(path).map_err(|source| InputError::Read {
                path: input::display(path),
                role: Role::ClientCertificate,
                source,
            })
        };
        let key = Zeroizing::new(read(key)?);
        options = options.client_certificate(&read(cert)?, &key);
    }
    if let Some(user) = &args.registry_username {
        let password = registry_password(args)?;
        options = options.credentials(Credentials::basic(user, password.as_str()));
    } else if let Some(token) = &args.registry_token {
        options = options.credentials(Credentials::bearer(token));
    }
    Ok(RegistryClient::new(options)?)
}

/// The password for --registry-username, from whichever of its three flags was given.
fn registry_password(args: &RegistryArgs) -> anyhow::Result<Zeroizing<String>> {
    let bytes = if let Some(password) = &args.registry_password {
        Zeroizing::new(password.clone().into_bytes())
    } else if let Some(path) = &args.registry_password_file {
        input::read_secret(path, Role::RegistryPassword, MAX_PASSWORD_LEN, "password")?
    } else if args.registry_password_stdin {
        input::read_secret_stdin(MAX_PASSWORD_LEN, "registry password")?
    } else {
        return Err(InputError::Usage {
            message: "--registry-username needs a password: --registry-password-stdin, \
                      --registry-password-file FILE or --registry-password"
                .to_owned(),
        }
        .into());
    };
    let mut bytes = bytes;
    if bytes.last() == Some(&b'\n') {
        bytes.pop();
        if bytes.last() == Some(&b'\r') {
            bytes.pop();
        }
    }
    let password = String::from_utf8(bytes.to_vec()).map_err(|_| InputError::Usage {
        message: "the registry password is not UTF-8 text".to_owned(),
    })?;
    Ok(Zeroizing::new(password))
}
