//! Building vouch's requirements from the requirements as written (the `docker` transport and
//! `default` only): keys and certificates read, identities mapped to the model.

use base64::Engine as _;
use vouch_keys::PublicKey;
use vouch_sigstore::{Matcher, Policy};

use super::raw::{RawFulcio, RawIdentity, RawRequirement, RawSigstore};
use super::text::{escaped, shown};
use crate::{Authority, FileReader, NamedTrust, Requirement, SignedIdentity};

pub(super) fn build_requirement(
    raw: RawRequirement,
    files: &dyn FileReader,
    path: &str,
) -> Result<Requirement, String> {
    match raw {
        RawRequirement::InsecureAcceptAnything {} => Ok(Requirement::Allow),
        RawRequirement::Reject {} => Ok(Requirement::Reject(
            "the policy rejects every image here (`reject`)".to_owned(),
        )),
        RawRequirement::SignedBy { .. } => Err(format!(
            "{path}: `signedBy` (simple signing with GPG keys) is not supported by vouch: vouch \
             verifies sigstore signatures, not GPG ones; sign the images with cosign or \
             `vouch sign` and write `sigstoreSigned` with keyPath, or check these images with \
             skopeo or podman"
        )),
        RawRequirement::SignedBaseLayer { .. } => Err(format!(
            "{path}: `signedBaseLayer` is not supported by vouch (containers/image does not \
             implement it either and rejects every image with it); write {{\"type\": \"reject\"}} \
             if that is what is meant"
        )),
        RawRequirement::SigstoreSigned(sigstore) => build_sigstore(*sigstore, files, path),
    }
}

fn build_sigstore(
    raw: RawSigstore,
    files: &dyn FileReader,
    path: &str,
) -> Result<Requirement, String> {
    if raw.pki.is_some() {
        return Err(format!(
            "{path}.pki: `pki` (X.509 CA-signed keys) is not supported by vouch; sign with a key \
             (keyPath) or keylessly with Fulcio (fulcio), or check these images with skopeo or \
             podman"
        ));
    }
    let rekor_keys = rekor_keys(&raw, files, path)?;
    let needs_tlog = !rekor_keys.is_empty();
    let mut named_trust = NamedTrust {
        rekor_keys,
        fulcio_cas: Vec::new(),
    };
    let (name, signers) = if let Some(fulcio) = raw.fulcio {
        named_trust.fulcio_cas = fulcio_cas(&fulcio, files, &format!("{path}.fulcio"))?;
        keyless_signer(fulcio)
    } else {
        let (name, keys) = signing_keys(&raw, files, path)?;
        let signers = keys
            .into_iter()
            .map(|key| {
                let policy = Policy::key(key);
                if needs_tlog {
                    policy
                } else {
                    policy.insecure_ignore_tlog()
                }
            })
            .collect();
        (name, signers)
    };
    Ok(Requirement::Signed(Box::new(Authority {
        name,
        signers,
        identity: Some(
            raw.signed_identity
                .map_or(SignedIdentity::MatchRepoDigestOrExact, identity),
        ),
        attestations: Vec::new(),
        signature_required: true,
        named_trust,
    })))
}

/// The authority's name and the keys of `keyPath`, `keyPaths`, `keyData` or `keyDatas`.
fn signing_keys(
    raw: &RawSigstore,
    files: &dyn FileReader,
    path: &str,
) -> Result<(String, Vec<PublicKey>), String> {
    if let Some(key_path) = &raw.key_path {
        let key = key_from_file(files, key_path, &format!("{path}.keyPath"))?;
        return Ok((
            format!("sigstoreSigned(keyPath={})", escaped(key_path)),
            vec![key],
        ));
    }
    if let Some(key_paths) = &raw.key_paths {
        let keys = key_paths
            .iter()
            .enumerate()
            .map(|(i, key_path)| key_from_file(files, key_path, &format!("{path}.keyPaths[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        let names: Vec<String> = key_paths.iter().map(|key_path| escaped(key_path)).collect();
        return Ok((
            format!("sigstoreSigned(keyPaths={})", names.join(",")),
            keys,
        ));
    }
    if let Some(key_data) = &raw.key_data {
        let key = key_from_data(key_data, &format!("{path}.keyData"))?;
        return Ok(("sigstoreSigned(keyData)".to_owned(), vec![key]));
    }
    if let Some(key_datas) = &raw.key_datas {
        let keys = key_datas
            .iter()
            .enumerate()
            .map(|(i, data)| key_from_data(data, &format!("{path}.keyDatas[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok((format!("sigstoreSigned(keyDatas[{}])", keys.len()), keys));
    }
    // check_sigstore has made sure one key source is given.
    Err(format!(
        "{path}: expected one of keyPath, keyPaths, keyData, keyDatas or fulcio"
    ))
}

/// The name and signer of a `fulcio` requirement (its fields are checked by `check_fulcio`).
fn keyless_signer(fulcio: RawFulcio) -> (String, Vec<Policy>) {
    let email = fulcio.subject_email.unwrap_or_default();
    let issuer = fulcio.oidc_issuer.unwrap_or_default();
    let name = format!(
        "sigstoreSigned(fulcio subjectEmail={} oidcIssuer={})",
        escaped(&email),
        escaped(&issuer)
    );
    (
        name,
        vec![Policy::identity(
            Matcher::exact(email),
            Matcher::exact(issuer),
        )],
    )
}

/// The Rekor keys named by the one `rekorPublicKey*` field given, if any.
fn rekor_keys(
    raw: &RawSigstore,
    files: &dyn FileReader,
    path: &str,
) -> Result<Vec<PublicKey>, String> {
    if let Some(key_path) = &raw.rekor_public_key_path {
        return Ok(vec![key_from_file(
            files,
            key_path,
            &format!("{path}.rekorPublicKeyPath"),
        )?]);
    }
    if let Some(key_paths) = &raw.rekor_public_key_paths {
        return key_paths
            .iter()
            .enumerate()
            .map(|(i, key_path)| {
                key_from_file(files, key_path, &format!("{path}.rekorPublicKeyPaths[{i}]"))
            })
            .collect();
    }
    if let Some(data) = &raw.rekor_public_key_data {
        return Ok(vec![key_from_data(
            data,
            &format!("{path}.rekorPublicKeyData"),
        )?]);
    }
    if let Some(datas) = &raw.rekor_public_key_datas {
        return datas
            .iter()
            .enumerate()
            .map(|(i, data)| key_from_data(data, &format!("{path}.rekorPublicKeyDatas[{i}]")))
            .collect();
    }
    Ok(Vec::new())
}

/// The DER certificates of `caPath` or `caData`.
fn fulcio_cas(
    fulcio: &RawFulcio,
    files: &dyn FileReader,
    path: &str,
) -> Result<Vec<Vec<u8>>, String> {
    let (bytes, field) = match (&fulcio.ca_path, &fulcio.ca_data) {
        (Some(ca_path), _) => {
            let field = format!("{path}.caPath");
            (read_named(files, ca_path, &field)?, field)
        }
        (None, Some(data)) => {
            let field = format!("{path}.caData");
            (decode_data(data, &field)?, field)
        }
        (None, None) => return Err(format!("{path}: expected caPath or caData")),
    };
    crate::certificates::pem_certificates(&bytes).map_err(|err| format!("{field}: {err}"))
}

fn key_from_file(files: &dyn FileReader, key_path: &str, field: &str) -> Result<PublicKey, String> {
    let bytes = read_named(files, key_path, field)?;
    PublicKey::from_bytes(&bytes).map_err(|err| {
        format!(
            "{field}: {:?} is not a public key vouch reads: {err}",
            shown(key_path)
        )
    })
}

fn key_from_data(data: &str, field: &str) -> Result<PublicKey, String> {
    let bytes = decode_data(data, field)?;
    PublicKey::from_bytes(&bytes)
        .map_err(|err| format!("{field}: the decoded data is not a public key vouch reads: {err}"))
}

fn read_named(files: &dyn FileReader, file: &str, field: &str) -> Result<Vec<u8>, String> {
    if file.is_empty() {
        return Err(format!("{field}: an empty path; name the file"));
    }
    files
        .read(file)
        .map_err(|err| format!("{field}: cannot use {:?}: {}", shown(file), escaped(&err)))
}

/// `…Data` fields hold the file's bytes in base64, as Go's JSON writes a byte string (which
/// skips line breaks).
fn decode_data(data: &str, field: &str) -> Result<Vec<u8>, String> {
    let compact: String = data.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|err| {
            format!(
                "{field}: expected the file's bytes in base64 (e.g. the output of \
                 `base64 -w0 key.pub`), found invalid base64 ({err})"
            )
        })?;
    if bytes.is_empty() {
        return Err(format!(
            "{field}: empty; put the file's bytes here, in base64"
        ));
    }
    Ok(bytes)
}

fn identity(raw: RawIdentity) -> SignedIdentity {
    match raw {
        RawIdentity::MatchExact {} => SignedIdentity::MatchExact,
        RawIdentity::MatchRepoDigestOrExact {} => SignedIdentity::MatchRepoDigestOrExact,
        RawIdentity::MatchRepository {} => SignedIdentity::MatchRepository,
        RawIdentity::ExactReference { docker_reference } => {
            SignedIdentity::ExactReference(docker_reference)
        }
        RawIdentity::ExactRepository { docker_repository } => {
            SignedIdentity::ExactRepository(docker_repository)
        }
        RawIdentity::RemapIdentity {
            prefix,
            signed_prefix,
        } => SignedIdentity::RemapIdentity {
            prefix,
            signed_prefix,
        },
    }
}
