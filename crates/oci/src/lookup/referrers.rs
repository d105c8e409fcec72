//! Steps 2–4: the OCI 1.1 referrers API, its tag-schema fallback (`sha256-<hex>`), the referrer
//! manifests they list, and the Sigstore bundles those carry.

// A part of the lookup's state machine: it uses the parent's types, constants and helpers.
use super::*;

impl SignatureLookup {
    /// Step 2: the referrers API.
    pub(super) fn on_referrers(&mut self, fetch: &Fetch, response: Response<'_>) -> Result<()> {
        let subject = self.target_digest()?;
        let what = format!(
            "referrers listing of {subject} in {}",
            self.signature_repository
        );
        let Some(Found {
            body, content_type, ..
        }) = found(response, &what, fetch)?
        else {
            self.referrers = Stage::Unsupported;
            self.ask_tag_schema(&subject);
            return Ok(());
        };
        let listing = match parse_document(body, content_type) {
            Ok(Document::Index(index)) if index.media_type == OCI_INDEX => index,
            Ok(Document::Index(index)) => {
                return Err(Error::Malformed {
                    what,
                    detail: format!("expected an OCI image index, found {}", index.media_type),
                });
            }
            Ok(Document::Manifest(manifest)) => {
                return Err(Error::Malformed {
                    what,
                    detail: format!("expected an OCI image index, found {}", manifest.media_type),
                });
            }
            Err(detail) => return Err(Error::Malformed { what, detail }),
        };
        self.referrers = Stage::Listed;
        self.queue_referrers(Source::Referrers, listing.manifests);
        Ok(())
    }

    /// Queues step 3, the tag-schema index of `subject`.
    pub(super) fn ask_tag_schema(&mut self, subject: &OciDigest) {
        self.tag_schema = Stage::Asked;
        self.enqueue(
            Fetch::Manifest {
                repository: self.signature_repository.clone(),
                reference: subject.tag_form(),
            },
            Step::TagSchema,
        );
    }

    /// Step 3: the referrers tag schema, after a 404 from the referrers API.
    pub(super) fn on_tag_schema(&mut self, fetch: &Fetch, response: Response<'_>) -> Result<()> {
        let subject = self.target_digest()?;
        let tag = subject.tag_form();
        let what = format!("referrers tag {tag} in {}", self.signature_repository);
        let Some(Found {
            body,
            content_type,
            docker_content_digest,
        }) = found(response, &what, fetch)?
        else {
            self.tag_schema = Stage::Absent;
            return Ok(());
        };
        check_header(&what, docker_content_digest, body)?;
        let document = parse_document(body, content_type)
            .map_err(|detail| Error::Malformed { what, detail })?;
        self.tag_schema = Stage::Listed;
        let order = (source_rank(Source::ReferrersTagSchema), 0, 0);
        match document {
            Document::Index(index) if index.media_type == OCI_INDEX => {
                self.queue_referrers(Source::ReferrersTagSchema, index.manifests);
            }
            other => {
                let media_type = match other {
                    Document::Index(index) => index.media_type,
                    Document::Manifest(manifest) => manifest.media_type,
                };
                self.skip(
                        order,
                        format!(
                            "tag {tag} holds a {media_type}, not an OCI image index: not a referrers tag-schema index"
                        ),
                    );
            }
        }
        Ok(())
    }

    /// The referrer manifests a listing names (steps 2 and 3 → 4).
    fn queue_referrers(&mut self, source: Source, descriptors: Vec<Descriptor>) {
        let rank = source_rank(source);
        let total = descriptors.len();
        let mut seen: Vec<OciDigest> = Vec::new();
        for (position, descriptor) in descriptors.into_iter().enumerate() {
            let order = (rank, position, 0);
            if seen.contains(&descriptor.digest) {
                continue;
            }
            if seen.len() == MAX_REFERRERS {
                // Whatever they are, they may hold a signature: one that could not be checked,
                // never nothing.
                let rest = total - position;
                self.unchecked(
                    order,
                    source,
                    descriptor.digest.clone(),
                    SignatureKind::Bundle,
                    format!(
                        "{} lists {rest} more referrer{} after the first {MAX_REFERRERS} (from {} on): not examined",
                        source_name(source),
                        if rest == 1 { "" } else { "s" },
                        descriptor.digest
                    ),
                );
                break;
            }
            seen.push(descriptor.digest.clone());
            let label = referrer_label(source, &descriptor);
            if !manifest::is_image_manifest(&descriptor.media_type) {
                self.skip(
                    order,
                    format!(
                        "{label}: media type {}, not an image manifest: not a signature",
                        truncate(&descriptor.media_type, 100)
                    ),
                );
                continue;
            }
            if descriptor.size > MAX_MANIFEST_BYTES {
                self.unchecked(
                    order,
                    source,
                    descriptor.digest.clone(),
                    SignatureKind::Bundle,
                    format!(
                        "{label}: declared {} bytes, over the manifest limit of {MAX_MANIFEST_BYTES} bytes; not fetched",
                        descriptor.size
                    ),
                );
                continue;
            }
            if !Self::take_budget(&mut self.referrer_bytes, descriptor.size, self.max_place) {
                self.unchecked(
                    order,
                    source,
                    descriptor.digest.clone(),
                    SignatureKind::Bundle,
                    over_budget(&label, descriptor.size, source, self.max_place),
                );
                continue;
            }
            self.referrer_manifests_pending += 1;
            let fetch = Fetch::Manifest {
                repository: self.signature_repository.clone(),
                reference: descriptor.digest.to_string(),
            };
            self.enqueue(
                fetch,
                Step::ReferrerManifest {
                    source,
                    descriptor,
                    order,
                },
            );
        }
    }

    /// Step 4: one referrer manifest.
    pub(super) fn on_referrer_manifest(
        &mut self,
        fetch: &Fetch,
        response: Response<'_>,
        source: Source,
        descriptor: &Descriptor,
        order: Order,
    ) -> Result<()> {
        let subject = self.target_digest()?;
        let label = referrer_label(source, descriptor);
        let what = format!(
            "referrer manifest {} in {}",
            descriptor.digest, self.signature_repository
        );
        let Some(Found {
            body,
            content_type,
            docker_content_digest: header,
        }) = found(response, &what, fetch)?
        else {
            self.skip(
                order,
                format!("{label}: listed, but the manifest is missing (404)"),
            );
            return Ok(());
        };
        check_digest(&what, &descriptor.digest, body)?;
        check_header(&what, header, body)?;
        check_size(&what, descriptor.size, body)?;
        let manifest = match parse_document(body, content_type) {
            Ok(Document::Manifest(manifest)) => manifest,
            Ok(Document::Index(index)) => {
                self.skip(
                    order,
                    format!(
                        "{label}: media type {}, not an image manifest: not a signature",
                        index.media_type
                    ),
                );
                return Ok(());
            }
            Err(detail) => {
                self.skip(order, format!("{label}: not a valid manifest: {detail}"));
                return Ok(());
            }
        };
        if let Some(other) = &manifest.subject
            && other.digest != subject
        {
            self.skip(
                order,
                format!("{label}: its subject is {}, not {subject}", other.digest),
            );
            return Ok(());
        }
        let kind = manifest
            .artifact_type
            .as_deref()
            .unwrap_or(&manifest.config.media_type);
        let layer = match manifest.layers.as_slice() {
            [layer] => layer,
            layers => {
                self.skip(
                    order,
                    format!(
                        "{label}: artifact type {} with {} layers: not a Sigstore bundle (one layer)",
                        truncate(kind, 100),
                        layers.len()
                    ),
                );
                return Ok(());
            }
        };
        match manifest::bundle_media_type(&layer.media_type) {
            BundleMediaType::Supported => {}
            BundleMediaType::TooOld => {
                self.skip(
                    order,
                    format!(
                        "{label}: a Sigstore bundle of media type {}: image signatures are v0.3 or later",
                        layer.media_type
                    ),
                );
                return Ok(());
            }
            BundleMediaType::NotABundle => {
                self.skip(
                    order,
                    format!(
                        "{label}: artifact type {}, layer {}: not a Sigstore bundle",
                        truncate(kind, 100),
                        truncate(&layer.media_type, 100)
                    ),
                );
                return Ok(());
            }
        }
        self.held_bundles.push(HeldBundle {
            source,
            manifest_digest: descriptor.digest.clone(),
            digest: layer.digest.clone(),
            size: layer.size,
            label,
            order,
        });
        Ok(())
    }

    /// Step 4, once every referrer manifest is in: their bundle layers, in listing order, as
    /// far as the payload and place limits ([`MAX_PAYLOAD_BYTES`], [`MAX_SIGNATURE_BYTES`], or
    /// the attestation limits) allow.
    pub(super) fn release_bundles(&mut self) {
        let mut held = std::mem::take(&mut self.held_bundles);
        held.sort_by_key(|bundle| bundle.order);
        for bundle in held {
            let HeldBundle {
                source,
                manifest_digest,
                digest,
                size,
                label,
                order,
            } = bundle;
            if size > self.max_payload {
                self.unchecked(
                    order,
                    source,
                    manifest_digest,
                    SignatureKind::Bundle,
                    format!(
                        "{label}: its bundle is declared {size} bytes, over the limit of {} bytes for one signature; not fetched",
                        self.max_payload
                    ),
                );
                continue;
            }
            if !Self::take_budget(&mut self.referrer_bytes, size, self.max_place) {
                self.unchecked(
                    order,
                    source,
                    manifest_digest,
                    SignatureKind::Bundle,
                    over_budget(&label, size, source, self.max_place),
                );
                continue;
            }
            self.enqueue(
                Fetch::Blob {
                    repository: self.signature_repository.clone(),
                    digest,
                    size,
                },
                Step::BundleBlob {
                    source,
                    manifest_digest,
                    order,
                },
            );
        }
    }

    /// Step 4: a bundle layer.
    pub(super) fn on_bundle_blob(
        &mut self,
        fetch: &Fetch,
        response: Response<'_>,
        source: Source,
        manifest_digest: OciDigest,
        order: Order,
    ) -> Result<()> {
        let Fetch::Blob { digest, size, .. } = fetch else {
            return Err(Error::LookupOutOfOrder {
                detail: "a bundle answered by something other than a blob".to_owned(),
            });
        };
        let what = format!("bundle blob {digest} in {}", self.signature_repository);
        let Some(Found {
            body,
            docker_content_digest,
            ..
        }) = found(response, &what, fetch)?
        else {
            self.skip(
                    order,
                    format!(
                        "referrer {manifest_digest} (from {}): its bundle blob {digest} is missing (404)",
                        source_name(source)
                    ),
                );
            return Ok(());
        };
        check_digest(&what, digest, body)?;
        check_header(&what, docker_content_digest, body)?;
        check_size(&what, *size, body)?;
        self.candidates.push((
            order,
            SignatureCandidate {
                source,
                manifest_digest,
                content: CandidateContent::Bundle {
                    json: body.to_vec(),
                },
            },
        ));
        Ok(())
    }
}

/// `referrer sha256:… (artifactType …, from the referrers API)`, for skip reasons.
fn referrer_label(source: Source, descriptor: &Descriptor) -> String {
    let from = source_name(source);
    match &descriptor.artifact_type {
        Some(artifact_type) => format!(
            "referrer {} (artifactType {}, from {from})",
            descriptor.digest,
            truncate(artifact_type, 100)
        ),
        None => format!("referrer {} (from {from})", descriptor.digest),
    }
}

/// Why a signature within the size limit was not fetched: the place's budget is spent.
pub(super) fn over_budget(label: &str, size: u64, source: Source, limit: u64) -> String {
    format!(
        "{label}: {size} bytes, not fetched: with it, this image's signatures from {} would exceed {limit} bytes",
        source_name(source)
    )
}
