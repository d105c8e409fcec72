//! Step 5: cosign's legacy tag `sha256-<hex>.sig` and its simple-signing payload blobs.

// A part of the lookup's state machine: it uses the parent's types, constants and helpers.
use super::*;

impl SignatureLookup {
    /// Step 5: the legacy `.sig` manifest.
    pub(super) fn on_legacy_manifest(
        &mut self,
        fetch: &Fetch,
        response: Response<'_>,
    ) -> Result<()> {
        let subject = self.target_digest()?;
        let tag = format!("{}.sig", subject.tag_form());
        let what = format!("signature manifest {tag} in {}", self.signature_repository);
        let Some(Found {
            body,
            content_type,
            docker_content_digest: header,
        }) = found(response, &what, fetch)?
        else {
            self.legacy = Stage::Absent;
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
        self.legacy = Stage::Listed;
        let manifest_digest = OciDigest::sha256_of(body);
        let rank = source_rank(Source::LegacyTag);
        for (position, layer) in manifest.layers.into_iter().enumerate() {
            let order = (rank, 0, position);
            let label = format!("{tag} layer {position} ({})", layer.digest);
            if layer.media_type != SIMPLE_SIGNING {
                self.skip(
                    order,
                    format!(
                        "{label}: media type {}, not {SIMPLE_SIGNING}",
                        truncate(&layer.media_type, 100)
                    ),
                );
                continue;
            }
            if !layer.annotations.contains_key(ANNOTATION_SIGNATURE) {
                self.skip(
                    order,
                    format!("{label}: no {ANNOTATION_SIGNATURE} annotation"),
                );
                continue;
            }
            if layer.size > MAX_PAYLOAD_BYTES {
                self.unchecked(
                    order,
                    Source::LegacyTag,
                    manifest_digest.clone(),
                    SignatureKind::SimpleSigning,
                    format!(
                        "{label}: payload declared {} bytes, over the limit of {MAX_PAYLOAD_BYTES} bytes for one signature; not fetched",
                        layer.size
                    ),
                );
                continue;
            }
            // Every layer keeps its own copy of the payload, so a payload shared by several
            // layers counts once for each.
            if !Self::take_budget(&mut self.legacy_bytes, layer.size) {
                self.unchecked(
                    order,
                    Source::LegacyTag,
                    manifest_digest.clone(),
                    SignatureKind::SimpleSigning,
                    over_budget(&label, layer.size, Source::LegacyTag),
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
                    manifest_digest: manifest_digest.clone(),
                    layer,
                    order,
                },
            );
        }
        Ok(())
    }

    /// Step 5: one simple-signing payload.
    pub(super) fn on_legacy_blob(
        &mut self,
        fetch: &Fetch,
        response: Response<'_>,
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
                    "legacy-tag layer {} of {manifest_digest}: the payload blob is missing (404)",
                    layer.digest
                ),
            );
            return Ok(());
        };
        check_digest(&what, &layer.digest, body)?;
        check_header(&what, docker_content_digest, body)?;
        check_size(&what, layer.size, body)?;
        let annotation = |key: &str| layer.annotations.get(key).cloned();
        let content = SimpleSigningLayer {
            payload: body.to_vec(),
            signature: annotation(ANNOTATION_SIGNATURE).unwrap_or_default(),
            certificate: annotation(ANNOTATION_CERTIFICATE),
            chain: annotation(ANNOTATION_CHAIN),
            rekor_bundle: annotation(ANNOTATION_REKOR_BUNDLE),
            rfc3161_timestamp: annotation(ANNOTATION_RFC3161_TIMESTAMP),
        };
        self.candidates.push((
            order,
            SignatureCandidate {
                source: Source::LegacyTag,
                manifest_digest,
                content: CandidateContent::SimpleSigning(content),
            },
        ));
        Ok(())
    }
}
