//! `vouch sign IMAGE...`: a signature by a private key, pushed to the image's registry.
//!
//! Every reference is parsed and the key read before anything is fetched. Images are signed
//! one after the other with one registry client; a failure on one image is reported and the
//! others are still signed (the highest exit code wins, as for `verify`). With `--recursive`,
//! an index is signed, then each image it lists, each reported on its own line.

use anyhow::Context as _;
use vouch_blob::{DigestAlgorithm, SignatureEncoding};
use vouch_keys::PrivateKey;
use vouch_oci::attach::referrer::{BundleReferrer, IN_TOTO_PAYLOAD_TYPE, sign_statement};
use vouch_oci::attach::{ImageSubject, legacy, signed_identity};
use vouch_oci::{AttachOutcome, ImageRef, RegistryClient, Repository};

use crate::args::{ImageSignatureFormat, SignImageArgs};
use crate::exit::Outcome;
use crate::output::{self, signed_image::SignedImage};
use crate::password;
use crate::registry_flags;
use crate::signing;

/// Runs `vouch sign`.
pub(crate) fn run(args: &SignImageArgs) -> anyhow::Result<Outcome> {
    let annotations = registry_flags::parse_annotations(&args.annotations)?;
    let images = registry_flags::parse_images(&args.images)?;
    let signature_repository =
        registry_flags::signature_repository(args.signature_repository.as_deref())?;
    let key = password::read_private_key(&args.key, &args.password)?;
    let client = registry_flags::registry_client(&args.registry)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let request = Request {
        key: &key,
        format: args.signature_format,
        annotations: &annotations,
        client: &client,
    };
    let mut results = Vec::new();
    for (given, image) in images {
        let repository = signature_repository
            .clone()
            .unwrap_or_else(|| image.repository().clone());
        let subject = match runtime.block_on(client.resolve_subject(&image)) {
            Ok(subject) => subject,
            Err(err) => {
                results.push(SignedImage {
                    given,
                    image,
                    repository,
                    format: args.signature_format,
                    outcome: Err(err.into()),
                });
                continue;
            }
        };
        // The reference given first, then (with --recursive) each image of an index.
        let mut subjects = vec![subject.clone()];
        if args.recursive {
            subjects.extend(subject.children().iter().cloned());
        } else if !subject.children().is_empty() {
            output::warning(&format!(
                "{given} is an index of {} images: only the index is signed, so `vouch verify \
                 --platform` (which verifies one of them) will not find this signature; \
                 --recursive signs each image too",
                subject.children().len()
            ));
        }
        for subject in subjects {
            let pinned = image.with_digest(subject.digest().clone());
            let outcome = runtime.block_on(request.sign(&image, &subject, &repository));
            results.push(SignedImage {
                given: given.clone(),
                image: pinned,
                repository: repository.clone(),
                format: args.signature_format,
                outcome,
            });
        }
    }
    Ok(Outcome::Code(output::signed_image::report(
        &results,
        args.output.format,
    )?))
}

/// What every image is signed with.
struct Request<'a> {
    key: &'a PrivateKey,
    format: ImageSignatureFormat,
    annotations: &'a [(String, String)],
    client: &'a RegistryClient,
}

impl Request<'_> {
    /// Signs `subject` (an image of `image`'s repository, resolved) and attaches the
    /// signature in `repository`.
    async fn sign(
        &self,
        image: &ImageRef,
        subject: &ImageSubject,
        repository: &Repository,
    ) -> anyhow::Result<AttachOutcome> {
        let identity = signed_identity(image.repository());
        let outcome = match self.format {
            ImageSignatureFormat::Legacy => {
                let payload = legacy::payload_blob(legacy::simple_signing_payload(
                    &identity,
                    subject.digest(),
                    self.annotations,
                ));
                let signed = vouch_blob::sign(
                    self.key,
                    payload.bytes(),
                    DigestAlgorithm::Sha256,
                    &mut signing::os_rng(),
                )?;
                let signature = String::from_utf8(signed.encode(SignatureEncoding::Base64)?)
                    .context("encoding the signature")?;
                self.client
                    .attach_legacy_signature(repository, subject, &payload, &signature)
                    .await?
            }
            ImageSignatureFormat::Bundle => {
                let statement = sign_statement(&identity, subject.digest(), self.annotations);
                let pae = vouch_sigstore::dsse_pae(IN_TOTO_PAYLOAD_TYPE, &statement);
                let signed = vouch_blob::sign(
                    self.key,
                    &pae,
                    DigestAlgorithm::Sha256,
                    &mut signing::os_rng(),
                )?;
                let bundle = vouch_sigstore::key_dsse_bundle_v03(
                    &self.key.public_key(),
                    IN_TOTO_PAYLOAD_TYPE,
                    &statement,
                    signed.signature(),
                );
                let created = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
                    .context("reading the clock")?
                    .to_string();
                let referrer = BundleReferrer::new(subject, bundle.into_bytes(), &created)?;
                self.client
                    .attach_bundle(repository, subject, &referrer)
                    .await?
            }
        };
        Ok(outcome)
    }
}
