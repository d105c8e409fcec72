//! cosign ≤ 2's image attestations: one layer of the `sha256-<hex>.att` manifest per
//! attestation, the layer's blob a DSSE envelope, the certificate (keyless) and the Rekor bundle
//! in the layer's annotations (`dev.sigstore.cosign/certificate`, `dev.sigstore.cosign/bundle`).
//! Read as the v0.1 Sigstore bundle holding the same material, as legacy blob bundles are.

use crate::bundle::{RekorBundle, certificate_material, malformed, rekor_entry};
use crate::{Bundle, BundleFormat, Result, json};

impl Bundle {
    /// The bundle of one `.att` layer: `envelope` (the layer's blob, a DSSE envelope),
    /// `certificate_pem` (the certificate annotation, for keyless attestations; the chain
    /// annotation is not needed: the certificate must chain to the trust root's authorities) and
    /// `rekor_bundle` (the Rekor bundle annotation, which becomes a log entry with its inclusion
    /// promise). Read as strictly as any bundle, with the limits of
    /// [`Bundle::from_json_with_limits`].
    ///
    /// # Errors
    ///
    /// [`crate::Error::MalformedBundle`] if the envelope is not one JSON object of a DSSE
    /// envelope, the certificate not PEM, or the Rekor bundle not one.
    pub fn from_cosign_attestation(
        envelope: &[u8],
        certificate_pem: Option<&str>,
        rekor_bundle: Option<&str>,
        max_bytes: u64,
        max_statement_cost: u64,
    ) -> Result<Self> {
        let what = "cosign attestation";
        if u64::try_from(envelope.len()).map_or(true, |len| len > max_bytes) {
            return Err(malformed(format!(
                "{what}: a {} byte envelope, over the limit of {max_bytes} bytes",
                envelope.len()
            )));
        }
        json::check_json(envelope, u64::MAX)
            .map_err(|err| malformed(format!("{what}: the DSSE envelope: {err}")))?;
        let envelope: sigstore_types::DsseEnvelope = serde_json::from_slice(envelope)
            .map_err(|err| malformed(format!("{what}: not a DSSE envelope: {err}")))?;
        let mut material = match certificate_pem.filter(|c| !c.trim().is_empty()) {
            Some(pem) => certificate_material(pem.as_bytes(), &format!("{what}: the certificate"))?,
            None => serde_json::json!({ "publicKey": { "hint": "" } }),
        };
        let entries = match rekor_bundle.filter(|r| !r.trim().is_empty()) {
            Some(text) => {
                json::check_json(text.as_bytes(), u64::MAX)
                    .map_err(|err| malformed(format!("{what}: the Rekor bundle: {err}")))?;
                let rekor: RekorBundle = serde_json::from_str(text)
                    .map_err(|err| malformed(format!("{what}: the Rekor bundle: {err}")))?;
                vec![rekor_entry(&rekor)?.0]
            }
            None => Vec::new(),
        };
        material["tlogEntries"] = serde_json::json!(entries);
        let bundle = serde_json::json!({
            "mediaType": "application/vnd.dev.sigstore.bundle+json;version=0.1",
            "verificationMaterial": material,
            "dsseEnvelope": envelope,
        });
        let json = bundle.to_string();
        // The certificate and log entry add a few KiB to the envelope.
        let mut bundle = Self::from_json_with_limits(
            json.as_bytes(),
            max_bytes.saturating_add(1 << 20),
            max_statement_cost,
        )?;
        bundle.format = BundleFormat::CosignAttestation;
        Ok(bundle)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MAX_BUNDLE_BYTES, MAX_STATEMENT_COST};

    #[test]
    fn refuses_what_is_not_an_envelope() {
        for bad in [
            &b"[]"[..],
            b"{}",
            b"{\"payload\":\"e30=\"}",
            b"not json",
            b"",
        ] {
            assert!(
                Bundle::from_cosign_attestation(
                    bad,
                    None,
                    None,
                    MAX_BUNDLE_BYTES,
                    MAX_STATEMENT_COST
                )
                .is_err()
            );
        }
        let envelope = br#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[{"keyid":"","sig":"AAAA"}]}"#;
        let bundle = Bundle::from_cosign_attestation(
            envelope,
            None,
            None,
            MAX_BUNDLE_BYTES,
            MAX_STATEMENT_COST,
        )
        .unwrap();
        assert_eq!(bundle.format(), &BundleFormat::CosignAttestation);
        assert_eq!(bundle.dsse_payload(), Some(&b"{}"[..]));
        assert!(
            Bundle::from_cosign_attestation(
                envelope,
                Some("not pem"),
                None,
                MAX_BUNDLE_BYTES,
                MAX_STATEMENT_COST
            )
            .is_err()
        );
        assert!(
            Bundle::from_cosign_attestation(
                envelope,
                None,
                Some("{\"a\":1}"),
                MAX_BUNDLE_BYTES,
                MAX_STATEMENT_COST
            )
            .is_err()
        );
        let twice = br#"{"payloadType":"a","payloadType":"b","payload":"e30=","signatures":[]}"#;
        assert!(
            Bundle::from_cosign_attestation(
                twice,
                None,
                None,
                MAX_BUNDLE_BYTES,
                MAX_STATEMENT_COST
            )
            .is_err()
        );
    }
}
