//! Steps 5 and 6: cosign's legacy tags, `sha256-<hex>.sig` and its simple-signing payload
//! blobs, and (for attestation lookups) `sha256-<hex>.att` and its DSSE envelope blobs.

// A part of the lookup's state machine: it uses the parent's types, constants and helpers.
use super::*;

impl SignatureLookup {
    /// Step 5 or 6: the legacy `.sig` or `.att` manifest.
    pub(super) fn on_legacy_manifest(
        &mut self,
        fetch: &Fetch,
        response: Response<'_>,
        legacy: Legacy,
    ) -> Result<()> {
        let subject = self.target_digest()?;
        let tag = format!("{}.{}", subject.tag_form(), legacy.suffix());
        let what = format!(
            "{} manifest {tag} in {}",
            match legacy {
                Legacy::Signatures => "signature",
                Legacy::Attestations => "attestation",
            },
            self.signature_repository
        );
        let Some(Found {
            body,
            content_type,
            docker_content_digest: header,
        }) = found(response, &what, fetch)?
        else {
            *self.stage_mut(legacy) = Stage::Absent;
            return Ok(());
        };
        check_header(&what, header, body)?;
        let manifest = match parse_document(body, content_type) {
            Ok(Document::Manifest(manifest)) => manifest,
            Ok(Document::Index(index)) => {
                return Err(Error::Malformed {
                    what,
                    detail: format!("expected an image manifest, found {}", index.media_type),
                });
            }
            Err(detail) => return Err(Error::Malformed { what, detail }),
        };
        if manifest.layers.len() > MAX_SIGNATURE_LAYERS {
            return Err(Error::TooLarge {
                what: format!("{what}, with {} layers,", manifest.layers.len()),
                limit: format!("{MAX_SIGNATURE_LAYERS} layers"),
            });
        }
        *self.stage_mut(legacy) = Stage::Listed;
        let manifest_digest = OciDigest::sha256_of(body);
        let source = legacy.source();
        let rank = source_rank(source);
        // `.sig` layers keep the signature limits in every lookup: an attestation lookup does
        // not use them, and a registry must not make it fetch 256 MiB of them.
        let (max_payload, max_place) = match legacy {
            Legacy::Signatures => (MAX_PAYLOAD_BYTES, MAX_SIGNATURE_BYTES),
            Legacy::Attestations => (self.max_payload, self.max_place),
        };
        for (position, layer) in manifest.layers.into_iter().enumerate() {
            let order = (rank, 0, position);
            let label = format!("{tag} layer {position} ({})", layer.digest);
            if layer.media_type != legacy.media_type() {
                self.skip(
                    order,
                    format!(
                        "{label}: media type {}, not {}",
                        truncate(&layer.media_type, 100),
                        legacy.media_type()
                    ),
                );
                continue;
            }
            // An attestation's signature is inside its envelope (cosign writes the annotation
            // empty).
            if legacy == Legacy::Signatures && !layer.annotations.contains_key(ANNOTATION_SIGNATURE)
            {
                self.skip(
                    order,
                    format!("{label}: no {ANNOTATION_SIGNATURE} annotation"),
                );
                continue;
            }
            if layer.size > max_payload {
                self.unchecked(
                    order,
                    source,
                    manifest_digest.clone(),
                    legacy.kind(),
                    format!(
                        "{label}: payload declared {} bytes, over the limit of {} bytes for one signature; not fetched",
                        layer.size,
                        max_payload
                    ),
                );
                continue;
            }
            // Every layer keeps its own copy of the payload, so a payload shared by several
            // layers counts once for each.
            let limit = max_place;
            if !Self::take_budget(self.bytes_mut(legacy), layer.size, limit) {
                self.unchecked(
                    order,
                    source,
                    manifest_digest.clone(),
                    legacy.kind(),
                    over_budget(&label, layer.size, source, limit),
                );
                continue;
            }
            // Only cosign's annotations are kept while the payload is fetched: the others may
            // be most of a 4 MiB manifest, and a lookup may wait for a thousand layers.
            let mut layer = layer;
            layer
                .annotations
                .retain(|key, _| COSIGN_ANNOTATIONS.contains(&key.as_str()));
            self.enqueue(
                Fetch::Blob {
                    repository: self.signature_repository.clone(),
                    digest: layer.digest.clone(),
                    size: layer.size,
                },
                Step::LegacyBlob {
                    legacy,
                    manifest_digest: manifest_digest.clone(),
                    layer,
                    order,
                },
            );
        }
        Ok(())
    }

    /// Step 5 or 6: one simple-signing payload or DSSE envelope.
    pub(super) fn on_legacy_blob(
        &mut self,
        fetch: &Fetch,
        response: Response<'_>,
        legacy: Legacy,
        manifest_digest: OciDigest,
        layer: &Descriptor,
        order: Order,
    ) -> Result<()> {
        let what = format!(
            "signature payload {} in {}",
            layer.digest, self.signature_repository
        );
        let Some(Found {
            body,
            docker_content_digest,
            ..
        }) = found(response, &what, fetch)?
        else {
            self.skip(
                order,
                format!(
                    "{} layer {} of {manifest_digest}: the payload blob is missing (404)",
                    legacy.source().as_str(),
                    layer.digest
                ),
            );
            return Ok(());
        };
        check_digest(&what, &layer.digest, body)?;
        check_header(&what, docker_content_digest, body)?;
        check_size(&what, layer.size, body)?;
        let annotation = |key: &str| layer.annotations.get(key).cloned();
        let content = match legacy {
            Legacy::Signatures => CandidateContent::SimpleSigning(SimpleSigningLayer {
                payload: body.to_vec(),
                signature: annotation(ANNOTATION_SIGNATURE).unwrap_or_default(),
                certificate: annotation(ANNOTATION_CERTIFICATE),
                chain: annotation(ANNOTATION_CHAIN),
                rekor_bundle: annotation(ANNOTATION_REKOR_BUNDLE),
                rfc3161_timestamp: annotation(ANNOTATION_RFC3161_TIMESTAMP),
            }),
            Legacy::Attestations => CandidateContent::LegacyAttestation(AttestationLayer {
                envelope: body.to_vec(),
                predicate_type: annotation(ANNOTATION_PREDICATE_TYPE),
                certificate: annotation(ANNOTATION_CERTIFICATE),
                chain: annotation(ANNOTATION_CHAIN),
                rekor_bundle: annotation(ANNOTATION_REKOR_BUNDLE),
                rfc3161_timestamp: annotation(ANNOTATION_RFC3161_TIMESTAMP),
            }),
        };
        self.candidates.push((
            order,
            SignatureCandidate {
                source: legacy.source(),
                manifest_digest,
                content,
            },
        ));
        Ok(())
    }
}
