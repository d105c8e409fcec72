//! `hint:` lines: what to do next, naming flags and commands.
//!
//! Libraries say what is wrong; only the CLI knows its flags, so every hint lives here, chosen
//! by typed error variants (never by matching a library's message text, which a rewording would
//! silently break).

use vouch_keys::KeyFileKind;

use crate::error::{InputError, Role};
use crate::password;

/// `hint:` lines for an error: what to do next, naming flags and commands.
///
/// Libraries say what is wrong; only the CLI knows its flags, so hints live here.
pub(crate) fn hints(err: &anyhow::Error) -> Vec<String> {
    if let Some(input) = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<InputError>())
    {
        return input_hints(input);
    }
    if let Some(hints) = err.chain().find_map(image_hints) {
        return hints;
    }
    err.chain()
        .find_map(|cause| cause.downcast_ref::<vouch_sigstore::Error>())
        .map_or_else(Vec::new, bundle_hints)
}

/// Hints for `verify`, `tree` and `triangulate`.
fn image_hints(cause: &(dyn std::error::Error + 'static)) -> Option<Vec<String>> {
    use vouch_oci::{
        ImageVerifyError, RegistryError, RegistryErrorKind as Kind, RejectionCategory,
    };
    if let Some(err) = cause.downcast_ref::<ImageVerifyError>() {
        let mut hints = Vec::new();
        match err {
            ImageVerifyError::NoSignatures { hint, .. } => {
                hints.extend(hint.clone());
                hints.push(
                    "if the signatures are stored in another repository, pass \
                         --signature-repository (or set COSIGN_REPOSITORY)"
                        .to_owned(),
                );
            }
            ImageVerifyError::NoneValid { rejected, .. }
            | ImageVerifyError::Unchecked { rejected, .. } => {
                let has = |category| rejected.iter().any(|r| r.category() == category);
                if has(RejectionCategory::Unchecked) {
                    hints.push(
                        "an image signature is a few KiB; one over vouch's limits (1 MiB a \
                         signature, 2 MiB an image's from one place) is an attachment such as \
                         an SBOM, or comes from a broken or hostile registry: `vouch tree \
                         IMAGE` lists what is there"
                            .to_owned(),
                    );
                }
                if has(RejectionCategory::LogEntryMissing) {
                    hints.push(
                        "signatures made without a transparency-log upload (skopeo, cosign \
                         --tlog-upload=false) verify only with --insecure-ignore-tlog, if you \
                         accept unpublished signatures from this key"
                            .to_owned(),
                    );
                }
                if has(RejectionCategory::Signature) {
                    hints.push(
                        "check that --key is the signer's public key (`vouch tree IMAGE` lists \
                         the signatures found)"
                            .to_owned(),
                    );
                }
                if has(RejectionCategory::PayloadMismatch) {
                    hints.push(
                        "a signature names another image's digest: it was copied from another \
                         image, or the tag was moved after signing"
                            .to_owned(),
                    );
                }
                if has(RejectionCategory::SignerMismatch) {
                    hints.push(
                        "keyless signatures verify with --certificate-identity[-regexp] and \
                         --certificate-oidc-issuer[-regexp]; key-signed ones with --key"
                            .to_owned(),
                    );
                }
                if has(RejectionCategory::Identity) {
                    hints.push(
                        "check --certificate-identity and --certificate-oidc-issuer; vouch's \
                         *-regexp flags are anchored at both ends, so add `.*` to match a \
                         prefix or suffix"
                            .to_owned(),
                    );
                }
            }
            _ => {}
        }
        return Some(hints);
    }
    // `LookupFailure` is transparent: its `RegistryError` is not a separate link of the chain.
    let err = match cause.downcast_ref::<vouch_oci::LookupFailure>() {
        Some(vouch_oci::LookupFailure::Registry(err)) => err,
        Some(vouch_oci::LookupFailure::Lookup(err)) => return Some(lookup_hints(err)),
        Some(_) => return None,
        None => cause.downcast_ref::<RegistryError>()?,
    };
    let hint = match err.kind() {
        Kind::Unauthorized => {
            "log in with `docker login` or `podman login` (vouch reads their credential files \
             and helpers), or pass --registry-username and --registry-password"
        }
        Kind::Forbidden => {
            "the credentials are valid but lack access to this repository (pull to verify, \
             push to sign)"
        }
        Kind::Tls => {
            "for a registry with a private certificate authority pass --registry-cacert FILE; \
             for one that requires a client certificate, --registry-client-cert and \
             --registry-client-key; for one without TLS, --allow-http-registry"
        }
        Kind::InsecureRefused => {
            "plain HTTP is used only for loopback registries unless you pass \
             --allow-http-registry"
        }
        Kind::Throttled => "the registry is rate-limiting: try again later, or log in",
        _ => return Some(Vec::new()),
    };
    Some(vec![hint.to_owned()])
}

/// Hints for what a lookup refused in what the registry sent.
fn lookup_hints(err: &vouch_oci::Error) -> Vec<String> {
    match err {
        vouch_oci::Error::SchemaV1Manifest { .. } => {
            vec![
                "Docker schema 1 manifests cannot be signed or verified (cosign refuses them \
                 too): re-push the image with a current docker, podman or skopeo"
                    .to_owned(),
            ]
        }
        vouch_oci::Error::ForeignSignatureTag { .. } => {
            vec![
                "another tool wrote something else under that tag: look at it with `vouch tree \
                 IMAGE`, move it away, or sign in the other --signature-format"
                    .to_owned(),
            ]
        }
        vouch_oci::Error::DigestMismatch { .. } | vouch_oci::Error::SizeMismatch { .. } => vec![
            "the registry (or a proxy in between) served other bytes than it announced: \
             nothing from it was used"
                .to_owned(),
        ],
        _ => Vec::new(),
    }
}

fn bundle_hints(err: &vouch_sigstore::Error) -> Vec<String> {
    use vouch_sigstore::Error as E;
    let hint = match err {
        E::LogEntryMissing => {
            "the bundle was made without a transparency-log upload (e.g. cosign \
             --tlog-upload=false); if you accept unpublished signatures from this key, pass \
             --insecure-ignore-tlog"
        }
        E::MaterialMismatch {
            found: "a certificate",
            ..
        } => {
            "this bundle is keyless: verify it with --certificate-identity[-regexp] and \
             --certificate-oidc-issuer[-regexp] instead of --key"
        }
        E::MaterialMismatch { .. } => "this bundle is signed with a key: pass it with --key",
        E::IdentityMismatch { .. } => {
            "check --certificate-identity and --certificate-oidc-issuer; vouch's *-regexp flags \
             are anchored at both ends, so add `.*` to match a prefix or suffix"
        }
        E::UntrustedRoot { .. } | E::LogProofInvalid { .. } | E::TimestampInvalid { .. } => {
            "if the bundle comes from a private Sigstore instance, --trusted-root must name that \
             instance's trusted_root.json"
        }
        _ => return Vec::new(),
    };
    vec![hint.to_owned()]
}

fn input_hints(err: &InputError) -> Vec<String> {
    match err {
        InputError::Key { path, source } => key_hints(path, source),
        InputError::PrivateKey {
            path,
            source,
            password_from,
        } => private_key_hints(path, source, password_from.as_deref()),
        InputError::Exists { .. } => vec!["pass --force to overwrite it".to_owned()],
        InputError::PasswordMismatch => {
            vec!["run the command again and type the same password twice".to_owned()]
        }
        InputError::Signature { source, .. } => signature_hints(source),
        InputError::TooLarge {
            role: Role::Signature,
            ..
        } => vec!["check that --signature and FILE are not swapped".to_owned()],
        InputError::TooLarge {
            role: Role::Key,
            what,
            ..
        } => {
            vec![format!("check that --key names the {what} file")]
        }
        InputError::DigestNotApplicable { .. } => {
            vec!["leave out --digest for this key".to_owned()]
        }
        InputError::Sign { source, .. } => sign_hints(source),
        _ => Vec::new(),
    }
}

/// Hints for `sign-blob` and `sign-dir`.
fn sign_hints(err: &vouch_blob::Error) -> Vec<String> {
    match err {
        vouch_blob::Error::AlgorithmMismatch { .. } => {
            vec!["pass --signature-format raw or base64, or leave it out".to_owned()]
        }
        vouch_blob::Error::MessageTooLarge { .. } => vec![
            "name the file instead of piping it: a file is read twice, in constant memory, \
             instead of being held in memory"
                .to_owned(),
        ],
        _ => Vec::new(),
    }
}

fn key_hints(path: &str, err: &vouch_keys::Error) -> Vec<String> {
    let vouch_keys::Error::NotAPublicKey { found } = err else {
        return match err {
            vouch_keys::Error::Unrecognised { .. } => vec![
                "vouch reads public keys as PEM (`-----BEGIN PUBLIC KEY-----`) or DER \
                 SubjectPublicKeyInfo; check that --key names the public key file"
                    .to_owned(),
            ],
            _ => Vec::new(),
        };
    };
    let hint = match found {
        KeyFileKind::Certificate => {
            format!("extract its public key with `openssl x509 -pubkey -noout -in {path}`")
        }
        KeyFileKind::PrivateKey {
            format: "cosign encrypted",
        } => "pass the .pub file written next to it (`cosign generate-key-pair` writes cosign.key \
              and cosign.pub)"
            .to_owned(),
        KeyFileKind::PrivateKey { format: "OpenSSH" } | KeyFileKind::SshPublicKey => format!(
            "vouch reads PEM or DER public keys; convert this one with \
             `ssh-keygen -e -m PKCS8 -f {path}`"
        ),
        KeyFileKind::PrivateKey { .. } => {
            format!("pass the public key; derive it with `openssl pkey -pubout -in {path}`")
        }
        KeyFileKind::OtherPem { .. } => {
            "vouch reads PEM `PUBLIC KEY` blocks or DER SubjectPublicKeyInfo".to_owned()
        }
        KeyFileKind::OpenPgp => "an OpenPGP key verifies OpenPGP signatures (gpg --verify), \
                                 not these: ask the vendor for its PEM public key, which \
                                 `openssl dgst -verify` and cosign read too"
            .to_owned(),
        _ => return Vec::new(),
    };
    vec![hint]
}

fn signature_hints(err: &vouch_blob::Error) -> Vec<String> {
    match err {
        vouch_blob::Error::MalformedSignature(malformed) => match malformed.pinned {
            None => vec![
                "if you know how the signature is encoded, pin it with \
                 --signature-format der|base64|raw to see why it does not decode"
                    .to_owned(),
            ],
            Some(pinned) => vec![format!(
                "the encoding is pinned to {} by --signature-format; \
                 try --signature-format auto",
                pinned.id()
            )],
        },
        vouch_blob::Error::AlgorithmMismatch { .. } => {
            vec!["pass --signature-format raw or base64, or leave it out".to_owned()]
        }
        _ => Vec::new(),
    }
}

/// Hints for a private key that cannot be used.
fn private_key_hints(
    path: &str,
    err: &vouch_keys::Error,
    password_from: Option<&str>,
) -> Vec<String> {
    use vouch_keys::Error as E;
    match err {
        E::WrongPassword { .. } => {
            let mut hints = vec![];
            if let Some(source) = password_from {
                hints.push(format!("the password was read from {source}"));
            }
            hints.push(format!(
                "vouch reads the password from {}",
                password::SOURCE_ORDER
            ));
            hints
        }
        E::PublicKeyNotPrivate { .. } => vec![format!(
            "{path} is a public key: pass the private key (`cosign.key`, not `cosign.pub`)"
        )],
        E::UnsupportedKdfParameters { .. } => vec![
            "cosign writes N=65536 (cosign ≥ 2.2) or N=32768; a key with other parameters was \
             not written by cosign, and cosign refuses it too"
                .to_owned(),
        ],
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::hints;
    use crate::error::InputError;

    /// Hints hang on typed variants: these fail if a variant is renamed or its hint dropped.
    #[test]
    fn hints_follow_typed_errors() {
        let foreign = anyhow::Error::new(vouch_oci::LookupFailure::Lookup(
            vouch_oci::Error::ForeignSignatureTag {
                what: "signature manifest".to_owned(),
                detail: "it has no `layers` array".to_owned(),
            },
        ));
        assert!(
            hints(&foreign).concat().contains("another tool"),
            "{foreign}"
        );

        let public = anyhow::Error::new(InputError::PrivateKey {
            path: "cosign.pub".to_owned(),
            source: vouch_keys::Error::PublicKeyNotPrivate {
                form: "PEM `PUBLIC KEY`".to_owned(),
            },
            password_from: None,
        });
        assert!(
            hints(&public)
                .concat()
                .contains("cosign.pub is a public key: pass the private key"),
            "{public}"
        );
    }
}
