//! Trust policies for `vouch verify --policy` and `vouch policy`: the file read, the files it
//! names read beside it, and images named as policies match them.

use std::io::Read as _;
use std::path::Path;

use vouch_oci::ImageRef;
use vouch_policy::{FileReader, Format, MAX_NAMED_FILE, MAX_POLICY_FILE, Requirement, TrustPolicy};
use vouch_sigstore::TrustRoot;

use crate::error::{InputError, Role};
use crate::image_target::{self, Target};
use crate::input;

/// Reads a policy file and the keys and Rego modules it names.
pub(crate) fn load(path: &Path) -> anyhow::Result<TrustPolicy> {
    let bytes = input::read_small(path, Role::Policy, MAX_POLICY_FILE as u64, "trust policy")?;
    let refused = |source| InputError::TrustPolicy {
        path: input::display(path),
        source,
    };
    // containers/image reads a policy.json's relative paths from the working directory;
    // vouch's own formats from the policy file's folder.
    let folder = match vouch_policy::format_of(&bytes).map_err(refused)? {
        Format::Containers => Path::new("."),
        _ => path.parent().unwrap_or_else(|| Path::new(".")),
    };
    let files = Beside { folder };
    vouch_policy::parse(&bytes, &files).map_err(|source| {
        InputError::TrustPolicy {
            path: input::display(path),
            source,
        }
        .into()
    })
}

/// The files a policy names (keys, Rego modules), relative to its folder.
struct Beside<'a> {
    folder: &'a Path,
}

impl FileReader for Beside<'_> {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        let file = std::fs::File::open(self.folder.join(path))
            .map_err(|err| format!("cannot open it: {err}"))?;
        let mut bytes = Vec::new();
        file.take(MAX_NAMED_FILE + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| format!("cannot read it: {err}"))?;
        if bytes.len() as u64 > MAX_NAMED_FILE {
            return Err(format!(
                "it is larger than {} KiB, more than any key or Rego module",
                MAX_NAMED_FILE >> 10
            ));
        }
        Ok(bytes)
    }
}

/// An image a policy can judge: one in a registry, named as policies name images.
pub(crate) fn registry_image(given: &str) -> anyhow::Result<ImageRef> {
    match image_target::parse_target(given, false)? {
        Target::Registry(image) => Ok(image),
        Target::Layout { .. } | Target::DockerArchive { .. } => Err(InputError::Usage {
            message: format!(
                "{}: a policy matches images by their registry name, and an image on disk has \
                 none; verify it with --key or an identity, or judge the image in its registry",
                crate::escape::text(given)
            ),
        }
        .into()),
    }
}

/// Refuses a policy that names trust material (containers' `rekorPublicKey*`, `fulcio.ca*`)
/// outside the trust root in use: vouch checks log entries and certificates against that
/// root alone, so such a policy would be honoured in name only.
pub(crate) fn check_named_trust(
    policy: &TrustPolicy,
    root: &TrustRoot,
    path: &Path,
) -> anyhow::Result<()> {
    for rule in &policy.rules {
        for requirement in &rule.requirements {
            let Requirement::Signed(authority) = requirement else {
                continue;
            };
            let trust = &authority.named_trust;
            let unknown_key = trust
                .rekor_keys
                .iter()
                .any(|key| !root.has_tlog_key(key.spki_der()));
            let unknown_ca = trust
                .fulcio_cas
                .iter()
                .any(|certificate| !root.has_ca_certificate(certificate));
            if unknown_key || unknown_ca {
                let what = if unknown_key {
                    "a Rekor public key"
                } else {
                    "a Fulcio CA certificate"
                };
                return Err(InputError::Usage {
                    message: format!(
                        "{}: rule {}, {}: names {what} that is not in the trusted root vouch \
                         checks against; give that Sigstore instance's trusted_root.json with \
                         --trusted-root (vouch checks log entries and certificates against one \
                         root)",
                        input::display(path),
                        crate::escape::text(&rule.name),
                        crate::escape::text(&authority.name)
                    ),
                }
                .into());
            }
        }
    }
    Ok(())
}
