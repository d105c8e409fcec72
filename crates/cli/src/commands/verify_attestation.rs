//! `vouch verify-attestation IMAGE...`: in-toto attestations attached to images as Sigstore
//! bundles (OCI referrers: cosign v3, `@sigstore/oci`, GitHub's `actions/attest`) or as layers
//! of cosign ≤ 2's `.att` tag, found by the signature lookup and verified offline.
//!
//! Images are verified one after the other: a policy's memory is counted by one allocator for
//! the whole process (`policy_memory`), so two policies must never run at once.

use anyhow::Context as _;
use vouch_attest::{AttestationError, PredicateType};
use vouch_oci::{CandidateContent, Lookup, SignatureKind};
use vouch_sigstore::Verifier;

use crate::args::{OutputFormat, VerifyAttestationArgs};
use crate::attestation_flags::{self, Setup};
use crate::attestations::{self, Checked, Entry, Position};
use crate::exit::{self, Outcome};
use crate::image_target;
use crate::output::{self, attestation::ImageAttestations};
use crate::registry_flags;
use crate::signer::{self, Keyless};

/// Runs the command. Prints one line per attestation; the verdict is the exit code.
pub(crate) fn run(args: &VerifyAttestationArgs) -> anyhow::Result<Outcome> {
    if args.insecure_ignore_tlog {
        output::warning(
            "--insecure-ignore-tlog: the transparency log is not checked, and attestations \
             without a log entry are accepted; nothing shows they were ever published",
        );
    }
    let keyless = &args.keyless;
    let setup = attestation_flags::setup(
        args.key.as_deref(),
        Keyless {
            identity: keyless.certificate_identity.as_deref(),
            identity_regexp: keyless.certificate_identity_regexp.as_deref(),
            issuer: keyless.certificate_oidc_issuer.as_deref(),
            issuer_regexp: keyless.certificate_oidc_issuer_regexp.as_deref(),
            extensions: &[],
        },
        &keyless.workflow,
        &args.github,
        args.insecure_ignore_tlog,
        &args.attestation,
        "verify-attestation",
    )?;
    let verifier = signer::verifier(args.trusted_root.as_deref())?;
    let images = image_target::parse_targets(&args.images, args.lookup.local_image)?;
    let options = registry_flags::lookup_options(&args.lookup)?
        .with_attestations()
        .with_attestation_sizes()
        .without_signature_tag();
    image_target::warn_unused_signature_repository(&images, &options);
    let client = registry_flags::registry_client(&args.lookup.registry)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut results = Vec::new();
    for (given, target) in images {
        let result =
            match runtime.block_on(image_target::look_up(&client, &target, options.clone())) {
                Ok(lookup) => check_image(given, &lookup, &verifier, &setup),
                Err(err) => ImageAttestations {
                    given,
                    digest: None,
                    entries: Vec::new(),
                    code: exit::code(&err),
                    error: Some(err),
                },
            };
        results.push(result);
    }
    if args.attestation.print_predicate {
        let entries: Vec<&Entry> = results.iter().flat_map(|r| &r.entries).collect();
        output::attestation::predicates(entries)?;
    } else {
        match args.output.format {
            OutputFormat::Text => output::attestation::image_text(&results)?,
            OutputFormat::Json => output::attestation::image_json(&results)?,
        }
    }
    for result in &results {
        if let Some(err) = &result.error {
            let hints = crate::hints::hints(err);
            output::error(&anyhow::anyhow!("{}: {err:#}", result.given), &hints);
        } else if let Some(summary) =
            attestations::failure_summary(&result.entries, setup.policy.predicate_type())
        {
            output::error(&anyhow::anyhow!("{}: {summary}", result.given), &[]);
        }
    }
    let code = results
        .iter()
        .map(|r| r.code)
        .fold(exit::VERIFIED, exit::worst);
    Ok(Outcome::Code(code))
}

/// Every attestation the lookup found (bundle referrers, `.att` layers), checked; legacy
/// signatures (`.sig`) are not attestations and are left out.
fn check_image(
    given: String,
    lookup: &Lookup,
    verifier: &Verifier,
    setup: &Setup,
) -> ImageAttestations {
    let digests: Vec<vouch_blob::Digest> =
        vouch_blob::Digest::new(lookup.digest.algorithm(), &lookup.digest.to_bytes())
            .into_iter()
            .collect();
    let mut entries = Vec::new();
    for candidate in &lookup.candidates {
        let position = Position::Attached {
            source: candidate.source,
            manifest: candidate.manifest_digest.clone(),
        };
        if let CandidateContent::Unchecked {
            kind: SignatureKind::Bundle | SignatureKind::LegacyAttestation,
            reason,
        } = &candidate.content
        {
            let checked = Checked::Unchecked(reason.clone());
            entries.push(Entry { position, checked });
            continue;
        }
        let Some(parsed) = candidate.content.attestation_bundle(setup.statement_cost) else {
            continue;
        };
        let checked = match parsed {
            Ok(bundle) => not_a_signature(
                attestations::check(
                    verifier,
                    &bundle,
                    &digests,
                    &setup.policy,
                    &setup.policies,
                    setup.limits,
                ),
                setup.policy.predicate_type(),
            ),
            Err(err) => Checked::Unreadable(err.to_string()),
        };
        entries.push(Entry { position, checked });
    }
    let code = image_code(&entries);
    tracing::info!(
        "{}: {} ({} attestation(s) checked)",
        lookup.image,
        lookup.digest,
        entries.len()
    );
    ImageAttestations {
        given,
        digest: Some(lookup.digest.clone()),
        entries,
        code,
        error: None,
    }
}

/// cosign v3's image signature is an in-toto statement too; without --type it does not count
/// as an attestation (asking for its type by name does).
fn not_a_signature(checked: Checked, predicate_type: Option<&PredicateType>) -> Checked {
    let statement_type = match &checked {
        Checked::Accepted(verified) => verified.statement().predicate_type(),
        Checked::Denied { attestation, .. } => attestation.statement().predicate_type(),
        _ => return checked,
    };
    if predicate_type.is_none() && statement_type == vouch_oci::COSIGN_SIGN_PREDICATE_TYPE {
        return Checked::Rejected(AttestationError::OtherType {
            found: statement_type.to_owned(),
            expected: "an attestation (an image signature is not one: ask for its type with \
                       --type to count it)"
                .to_owned(),
        });
    }
    checked
}

/// cosign's image codes: 0 accepted, 10 nothing found, 12 none verifies, 14 some could not be
/// checked; and the attestation codes 15 (none of the type) and 16 (policy denied).
fn image_code(entries: &[Entry]) -> u8 {
    if entries.is_empty() {
        return exit::NO_SIGNATURES;
    }
    match attestations::exit_code(entries) {
        code @ (exit::VERIFIED | exit::NONE_OF_TYPE | exit::POLICY_DENIED) => code,
        _ if entries
            .iter()
            .any(|e| matches!(e.checked, Checked::Unchecked(_))) =>
        {
            exit::UNCHECKED
        }
        _ => exit::NONE_VALID,
    }
}

#[cfg(test)]
mod tests {
    use vouch_oci::OciDigest;

    use super::*;

    #[test]
    fn no_attestations_is_its_own_code() {
        assert_eq!(image_code(&[]), exit::NO_SIGNATURES);
        let unchecked = Entry {
            position: Position::Whole,
            checked: Checked::Unchecked("over a limit".to_owned()),
        };
        assert_eq!(image_code(&[unchecked]), exit::UNCHECKED);
        let malformed = Entry {
            position: Position::Whole,
            checked: Checked::Unreadable("not a bundle".to_owned()),
        };
        assert_eq!(image_code(&[malformed]), exit::NONE_VALID);
    }

    /// The image's digest, as a file digest: the same enum, the same bytes.
    #[test]
    fn image_digests_convert() {
        let digest = OciDigest::sha256_of(b"manifest");
        let blob = vouch_blob::Digest::new(digest.algorithm(), &digest.to_bytes()).unwrap();
        assert_eq!(blob.to_hex(), digest.hex());
    }
}
