//! `vouch attest IMAGE...`: an in-toto attestation about each image's digest, signed with a
//! private key and attached as cosign v3 attaches it: a Sigstore bundle as an OCI referrer.

use anyhow::Context as _;
use vouch_attest::{IN_TOTO_PAYLOAD_TYPE, PredicateType};
use vouch_blob::DigestAlgorithm;
use vouch_oci::attach::referrer::BundleReferrer;
use vouch_oci::attach::{legacy, signed_identity};

use crate::args::{AttestImageArgs, ImageSignatureFormat};
use crate::attestation_flags;
use crate::error::InputError;
use crate::exit::Outcome;
use crate::output::{self, signed_image::SignedImage};
use crate::password;
use crate::registry_flags;
use crate::signing;

/// Runs the command: every image is resolved to its digest and attested on its own.
pub(crate) fn run(args: &AttestImageArgs) -> anyhow::Result<Outcome> {
    let predicate_type =
        PredicateType::parse(&args.statement.predicate_type).map_err(|err| InputError::Usage {
            message: format!("--type: {err}"),
        })?;
    let predicate = attestation_flags::read_predicate(&args.statement.predicate, &predicate_type)?;
    let images = registry_flags::parse_images(&args.images)?;
    let key = password::read_private_key(&args.key, &args.password)?;
    let client = registry_flags::registry_client(&args.registry)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let mut results = Vec::new();
    for (given, image) in images {
        let repository = image.repository().clone();
        let outcome = runtime.block_on(async {
            let subject = client.resolve_subject(&image).await?;
            let digest =
                vouch_blob::Digest::new(subject.digest().algorithm(), &subject.digest().to_bytes())
                    .context("the image digest")?;
            let statement = vouch_attest::statement_v1(
                &signed_identity(image.repository()),
                &digest,
                &predicate_type,
                &predicate,
            );
            let pae = vouch_sigstore::dsse_pae(IN_TOTO_PAYLOAD_TYPE, &statement);
            let signed =
                vouch_blob::sign(&key, &pae, DigestAlgorithm::Sha256, &mut signing::os_rng())?;
            let bundle = vouch_sigstore::key_dsse_bundle_v03(
                &key.public_key(),
                IN_TOTO_PAYLOAD_TYPE,
                &statement,
                signed.signature(),
            );
            let outcome = match args.signature_format {
                ImageSignatureFormat::Bundle => {
                    let created = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
                        .context("reading the clock")?
                        .to_string();
                    let referrer = BundleReferrer::attestation(
                        &subject,
                        bundle.into_bytes(),
                        &created,
                        predicate_type.as_str(),
                    )?;
                    client
                        .attach_bundle(&repository, &subject, &referrer)
                        .await?
                }
                ImageSignatureFormat::Legacy => {
                    let envelope = legacy::envelope_blob(dsse_envelope(&bundle)?);
                    client
                        .attach_legacy_attestation(
                            &repository,
                            &subject,
                            &envelope,
                            predicate_type.as_str(),
                        )
                        .await?
                }
            };
            anyhow::Ok((subject.digest().clone(), outcome))
        });
        let (pinned, outcome) = match outcome {
            Ok((digest, outcome)) => (image.with_digest(digest), Ok(outcome)),
            Err(err) => (image, Err(err)),
        };
        results.push(SignedImage {
            given,
            image: pinned,
            repository,
            format: args.signature_format,
            outcome,
        });
    }
    Ok(Outcome::Code(output::signed_image::report(
        &results,
        args.output.format,
    )?))
}

/// The DSSE envelope of a bundle vouch just wrote: the blob of an `.att` layer.
fn dsse_envelope(bundle: &str) -> anyhow::Result<Vec<u8>> {
    let bundle: serde_json::Value =
        serde_json::from_str(bundle).context("reading the bundle just written")?;
    Ok(serde_json::to_vec(&bundle["dsseEnvelope"])?)
}
