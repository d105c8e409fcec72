//! One authority mapped to vouch's model: a key, a keyless identity or a static verdict, the
//! transparency log it requires, and its attestations with their Rego.

use vouch_attest::{PredicateType, RegoConvention, RegoPolicy};
use vouch_keys::{Algorithm, PublicKey};
use vouch_sigstore::{Matcher, Policy};

use super::place::{Place, shown};
use super::raw::{
    KeyRef, KeylessRef, RawAttestation, RawAuthority, RawIdentity, RawPolicy, StaticRef, TLog,
    given,
};
use crate::PolicyError;
use crate::model::{AttestationRequirement, Authority, NamedTrust, Requirement};

/// The only Fulcio and Rekor a policy may name: the public-good instances, whose keys are in
/// vouch's embedded trust root.
const PUBLIC_FULCIO: &str = "https://fulcio.sigstore.dev";
const PUBLIC_REKOR: &str = "https://rekor.sigstore.dev";

/// What one authority asks for.
pub(super) fn requirement(
    place: &Place,
    index: usize,
    raw: RawAuthority,
) -> Result<Requirement, PolicyError> {
    let path = format!("spec.authorities[{index}]");
    let field = |name: &str| format!("{path}.{name}");
    let kinds = usize::from(raw.key.is_some())
        + usize::from(raw.keyless.is_some())
        + usize::from(raw.static_ref.is_some());
    if kinds != 1 {
        return Err(place.error(
            &path,
            format!(
                "expected exactly one of `key`, `keyless` or `static`, found {}",
                if kinds == 0 { "none" } else { "several" }
            ),
        ));
    }
    refuse_authority_fields(place, &path, &raw)?;
    if let Some(static_ref) = raw.static_ref {
        return static_requirement(place, &path, &static_ref);
    }
    let name = given(raw.name.as_ref()).map_or_else(|| format!("authority-{index}"), str::to_owned);
    let mut named_trust = NamedTrust::default();
    let is_key = raw.key.is_some();
    let signers = match (raw.key, raw.keyless) {
        (Some(key), _) => vec![key_policy(place, &field("key"), &key)?],
        (None, Some(keyless)) => {
            keyless_policies(place, &field("keyless"), &keyless, &mut named_trust)?
        }
        (None, None) => Vec::new(),
    };
    let requires_tlog = requires_tlog(place, &field("ctlog"), is_key, raw.ctlog.as_ref())?;
    let signers = signers
        .into_iter()
        .map(|signer| {
            if requires_tlog {
                signer
            } else {
                signer.insecure_ignore_tlog()
            }
        })
        .collect();
    let attestations = raw
        .attestations
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, attestation)| {
            attestation_requirement(
                place,
                &format!("{path}.attestations[{i}]"),
                &format!("{}/{name}", place.name),
                attestation,
            )
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Requirement::Signed(Box::new(Authority {
        name,
        signers,
        identity: None,
        // As policy-controller: an authority with attestations is judged by them alone.
        signature_required: attestations.is_empty(),
        attestations,
        named_trust,
    })))
}

/// Fields vouch cannot honour in any authority.
fn refuse_authority_fields(
    place: &Place,
    path: &str,
    raw: &RawAuthority,
) -> Result<(), PolicyError> {
    if raw.static_ref.is_some() {
        // policy-controller's validation: a static authority checks nothing else.
        let extra = [
            (
                "attestations",
                raw.attestations.as_ref().is_some_and(|a| !a.is_empty()),
            ),
            ("source", raw.source.as_ref().is_some_and(|s| !s.is_empty())),
            ("ctlog", raw.ctlog.is_some()),
            ("rfc3161timestamp", raw.rfc3161timestamp.is_some()),
        ];
        if let Some((name, _)) = extra.iter().find(|(_, present)| *present) {
            return Err(place.error(
                &format!("{path}.{name}"),
                "a `static` authority passes or fails every image by itself: it cannot have \
                 `attestations`, `source`, `ctlog` or `rfc3161timestamp`",
            ));
        }
    }
    if raw.source.as_ref().is_some_and(|s| !s.is_empty()) {
        return Err(place.error(
            &format!("{path}.source"),
            "signatures stored in another repository are not read from a policy yet: vouch \
             looks for them beside the image; drop `source` and copy the signatures there",
        ));
    }
    if raw.rfc3161timestamp.is_some() {
        return Err(place.error(
            &format!("{path}.rfc3161timestamp"),
            "vouch checks RFC 3161 timestamps against the timestamp authorities of its trust \
             root: drop `rfc3161timestamp`, and give a private authority's trust root with \
             `--trusted-root`",
        ));
    }
    match given(raw.signature_format.as_ref()) {
        None | Some("legacy" | "bundle") => Ok(()),
        Some(other) => Err(place.error(
            &format!("{path}.signatureFormat"),
            format!(
                "{}: expected `legacy` or `bundle` (vouch finds both kinds of signature \
                 either way)",
                shown(other)
            ),
        )),
    }
}

fn static_requirement(
    place: &Place,
    path: &str,
    static_ref: &StaticRef,
) -> Result<Requirement, PolicyError> {
    match static_ref.action.as_str() {
        "pass" => Ok(Requirement::Allow),
        "fail" => Ok(Requirement::Reject(
            match given(static_ref.message.as_ref()) {
                Some(message) => format!(
                    "disallowed by static policy: {}",
                    crate::text::shortened(message)
                ),
                None => "disallowed by static policy".to_owned(),
            },
        )),
        other => Err(place.error(
            &format!("{path}.static.action"),
            format!("{}: expected `pass` or `fail`", shown(other)),
        )),
    }
}

/// Whether a transparency-log entry is required, as policy-controller decides it: a key
/// authority only when `ctlog.url` names a log, a keyless authority always (vouch needs the
/// entry's time to check the certificate at).
fn requires_tlog(
    place: &Place,
    path: &str,
    is_key: bool,
    ctlog: Option<&TLog>,
) -> Result<bool, PolicyError> {
    let Some(ctlog) = ctlog else {
        return Ok(!is_key);
    };
    if given(ctlog.trust_root_ref.as_ref()).is_some() {
        return Err(place.error(
            &format!("{path}.trustRootRef"),
            "vouch does not read policy-controller's TrustRoot resources: give the log's \
             trust root (a trusted_root.json) with `--trusted-root` and drop `trustRootRef`",
        ));
    }
    match given(ctlog.url.as_ref()) {
        None => Ok(!is_key),
        Some(url) if url.trim_end_matches('/') == PUBLIC_REKOR => Ok(true),
        Some(url) => Err(place.error(
            &format!("{path}.url"),
            format!(
                "{}: vouch checks log entries offline against the logs of its trust root, \
                 which names the public-good Rekor ({PUBLIC_REKOR}); for a private log, give \
                 its trusted_root.json with `--trusted-root` and drop `url`",
                shown(url)
            ),
        )),
    }
}

fn key_policy(place: &Place, path: &str, key: &KeyRef) -> Result<Policy, PolicyError> {
    let data = inline_data(place, path, key, "key")?;
    let public = PublicKey::from_pem(data).map_err(|err| {
        place.error(
            &format!("{path}.data"),
            format!("expected a PEM public key (`-----BEGIN PUBLIC KEY-----`): {err}"),
        )
    })?;
    check_hash_algorithm(place, &format!("{path}.hashAlgorithm"), key, Some(&public))?;
    Ok(Policy::key(public))
}

/// `data` from a `key` or `ca-cert`, refusing keys held elsewhere.
fn inline_data<'a>(
    place: &Place,
    path: &str,
    key: &'a KeyRef,
    what: &str,
) -> Result<&'a str, PolicyError> {
    let data = given(key.data.as_ref());
    let kms = given(key.kms.as_ref());
    let sources = usize::from(data.is_some())
        + usize::from(kms.is_some())
        + usize::from(key.secret_ref.is_some());
    if sources > 1 {
        return Err(place.error(
            path,
            "expected exactly one of `data`, `kms` or `secretRef`, found several",
        ));
    }
    let elsewhere = format!("vouch reads a {what} given inline as `data`; put the PEM in `data`");
    if kms.is_some() {
        return Err(place.error(&format!("{path}.kms"), elsewhere));
    }
    if key.secret_ref.is_some() {
        return Err(place.error(&format!("{path}.secretRef"), elsewhere));
    }
    data.ok_or_else(|| place.error(path, format!("expected `data` holding the PEM {what}")))
}

/// `hashAlgorithm` is accepted when it is the hash vouch verifies the key's signatures with.
fn check_hash_algorithm(
    place: &Place,
    path: &str,
    key: &KeyRef,
    public: Option<&PublicKey>,
) -> Result<(), PolicyError> {
    let Some(given_name) = given(key.hash_algorithm.as_ref()) else {
        return Ok(());
    };
    // policy-controller reads it trimmed and case-insensitively.
    let name = given_name.trim().to_ascii_lowercase();
    if !["sha224", "sha256", "sha384", "sha512"].contains(&name.as_str()) {
        return Err(place.error(
            path,
            format!(
                "{}: expected `sha256` (the default), `sha384` or `sha512`",
                shown(given_name)
            ),
        ));
    }
    let Some(public) = public else {
        // A `ca-cert`'s hash algorithm has no use: certificates say how they are signed.
        return Ok(());
    };
    let used = match public.algorithm() {
        Algorithm::EcdsaP384 => "sha384",
        // Ed25519 signs the message itself: no hash to choose.
        Algorithm::Ed25519 => return Ok(()),
        _ => "sha256",
    };
    if name == used {
        return Ok(());
    }
    Err(place.error(
        path,
        format!(
            "{}: vouch verifies signatures by a{} {} key with {used}, and cannot be told \
             another hash, so signatures made with {name} would never verify; sign with {used} \
             and drop `hashAlgorithm`",
            shown(given_name),
            if public.algorithm() == Algorithm::Rsa {
                "n"
            } else {
                ""
            },
            public.algorithm()
        ),
    ))
}

fn keyless_policies(
    place: &Place,
    path: &str,
    keyless: &KeylessRef,
    named_trust: &mut NamedTrust,
) -> Result<Vec<Policy>, PolicyError> {
    if given(keyless.trust_root_ref.as_ref()).is_some() {
        return Err(place.error(
            &format!("{path}.trustRootRef"),
            "vouch does not read policy-controller's TrustRoot resources: give the trust root \
             (a trusted_root.json) with `--trusted-root` and drop `trustRootRef`",
        ));
    }
    if keyless.insecure_ignore_sct == Some(true) {
        return Err(place.error(
            &format!("{path}.insecureIgnoreSCT"),
            "vouch always checks a certificate's signed certificate timestamp; drop \
             `insecureIgnoreSCT`",
        ));
    }
    let url = given(keyless.url.as_ref());
    if url.is_some() && keyless.ca_cert.is_some() {
        return Err(place.error(path, "expected one of `url` or `ca-cert`, found both"));
    }
    if let Some(url) = url
        && url.trim_end_matches('/') != PUBLIC_FULCIO
    {
        return Err(place.error(
            &format!("{path}.url"),
            format!(
                "{}: vouch checks certificates offline against the certificate authorities of \
                 its trust root, which holds the public-good Fulcio ({PUBLIC_FULCIO}); for a \
                 private Fulcio, give its trusted_root.json with `--trusted-root` and drop \
                 `url`",
                shown(url)
            ),
        ));
    }
    if let Some(ca_cert) = &keyless.ca_cert {
        named_trust
            .fulcio_cas
            .extend(certificates(place, &format!("{path}.ca-cert"), ca_cert)?);
    }
    let identities = keyless.identities.as_deref().unwrap_or_default();
    if identities.is_empty() {
        return Err(place.error(
            &format!("{path}.identities"),
            "missing: list the signers accepted, each with `issuer` (or `issuerRegExp`) and \
             `subject` (or `subjectRegExp`)",
        ));
    }
    identities
        .iter()
        .enumerate()
        .map(|(index, identity)| {
            identity_policy(place, &format!("{path}.identities[{index}]"), identity)
        })
        .collect()
}

/// The DER certificates of a `ca-cert`.
fn certificates(place: &Place, path: &str, ca_cert: &KeyRef) -> Result<Vec<Vec<u8>>, PolicyError> {
    let data = inline_data(place, path, ca_cert, "certificate")?;
    check_hash_algorithm(place, &format!("{path}.hashAlgorithm"), ca_cert, None)?;
    crate::certificates::pem_certificates(data.as_bytes())
        .map_err(|err| place.error(&format!("{path}.data"), err))
}

fn identity_policy(
    place: &Place,
    path: &str,
    identity: &RawIdentity,
) -> Result<Policy, PolicyError> {
    let issuer = matcher(
        place,
        path,
        ("issuer", identity.issuer.as_ref()),
        ("issuerRegExp", identity.issuer_regexp.as_ref()),
    )?;
    let subject = matcher(
        place,
        path,
        ("subject", identity.subject.as_ref()),
        ("subjectRegExp", identity.subject_regexp.as_ref()),
    )?;
    Ok(Policy::identity(subject, issuer))
}

/// An exact value or an anchored regular expression: exactly one of the two fields.
fn matcher(
    place: &Place,
    path: &str,
    (exact_name, exact): (&str, Option<&String>),
    (regex_name, regex): (&str, Option<&String>),
) -> Result<Matcher, PolicyError> {
    match (given(exact), given(regex)) {
        (Some(_), Some(_)) => Err(place.error(
            path,
            format!("expected one of `{exact_name}` or `{regex_name}`, found both"),
        )),
        (Some(value), None) => Ok(Matcher::exact(value)),
        (None, Some(pattern)) => Matcher::regex(pattern).map_err(|err| {
            place.error(
                &format!("{path}.{regex_name}"),
                format!("{}: not a regular expression: {err}", shown(pattern)),
            )
        }),
        (None, None) => {
            Err(place.error(path, format!("missing `{exact_name}` (or `{regex_name}`)")))
        }
    }
}

fn attestation_requirement(
    place: &Place,
    path: &str,
    authority: &str,
    raw: RawAttestation,
) -> Result<AttestationRequirement, PolicyError> {
    let Some(name) = given(raw.name.as_ref()).map(str::to_owned) else {
        return Err(place.error(&format!("{path}.name"), "missing: name the attestation"));
    };
    let Some(given_type) = given(raw.predicate_type.as_ref()) else {
        return Err(place.error(
            &format!("{path}.predicateType"),
            "missing: give a URI (`https://slsa.dev/provenance/v1`) or a cosign short name",
        ));
    };
    let predicate_type = PredicateType::parse(given_type)
        .map_err(|err| place.error(&format!("{path}.predicateType"), err))?;
    let policy = match raw.policy {
        None => None,
        Some(policy) => Some(rego_policy(
            place,
            &format!("{path}.policy"),
            &format!("{authority}/{name}"),
            &policy,
        )?),
    };
    Ok(AttestationRequirement {
        name,
        predicate_type,
        policy,
    })
}

fn rego_policy(
    place: &Place,
    path: &str,
    name: &str,
    raw: &RawPolicy,
) -> Result<RegoPolicy, PolicyError> {
    // policy-controller allows these in `spec.policy` only.
    let spec_only = [
        ("fetchConfigFile", raw.fetch_config_file.is_some()),
        ("includeSpec", raw.include_spec.is_some()),
        ("includeObjectMeta", raw.include_object_meta.is_some()),
        ("includeTypeMeta", raw.include_type_meta.is_some()),
    ];
    if let Some((field, _)) = spec_only.iter().find(|(_, present)| *present) {
        return Err(place.error(
            &format!("{path}.{field}"),
            "not allowed in an attestation's policy (policy-controller allows it in \
             `spec.policy` only)",
        ));
    }
    match given(raw.policy_type.as_ref()) {
        Some("rego") => {}
        Some("cue") => {
            return Err(place.error(
                &format!("{path}.type"),
                "CUE is not supported by vouch; write the policy in Rego (`type: rego`, \
                 `package sigstore` with an `isCompliant` rule)",
            ));
        }
        other => {
            return Err(place.error(
                &format!("{path}.type"),
                format!(
                    "{}: expected `rego` (or `cue`, which vouch does not support)",
                    shown(other.unwrap_or_default())
                ),
            ));
        }
    }
    let elsewhere = "vouch reads policies given inline as `data` only; put the Rego in `data`";
    if raw.remote.is_some() {
        return Err(place.error(&format!("{path}.remote"), elsewhere));
    }
    if raw.config_map_ref.is_some() {
        return Err(place.error(&format!("{path}.configMapRef"), elsewhere));
    }
    let Some(source) = given(raw.data.as_ref()) else {
        return Err(place.error(&format!("{path}.data"), "missing: the Rego module"));
    };
    RegoPolicy::with_convention(name, source, RegoConvention::PolicyController)
        .map_err(|err| place.error(&format!("{path}.data"), err))
}
