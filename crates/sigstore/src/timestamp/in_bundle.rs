//! A bundle's RFC 3161 timestamps: all verified by vouch, before sigstore-verify runs.
//!
//! sigstore-verify 0.15.1 refuses the whole bundle if any token has a fractional genTime, so
//! those tokens are taken out of the copy it is given; tokens with a whole-second genTime stay
//! in, and sigstore-verify checks them a second time and uses them as it always has (for a
//! keyless bundle they are the times its certificate chain is validated at: a Rekor v2 bundle
//! has no other). Every token is therefore verified by vouch, and by sigstore-verify too where
//! it can read it; none is skipped. What sigstore-verify would have done with the tokens it no
//! longer sees, the caller does: [`Stamped::check_certificate`] (a keyless certificate at those
//! times) and reporting their times.

use std::borrow::Cow;

use sigstore_types::bundle::SignatureContent;
use sigstore_types::{Bundle as Inner, TsaAuthority};

use super::GenTime;
use crate::{Bundle, Error, Result};

/// The verified times of a bundle's timestamps, and the bundle sigstore-verify may read.
#[derive(Debug)]
pub(crate) struct Stamped<'a> {
    /// Every token's genTime, in the bundle's order.
    times: Vec<GenTime>,
    /// The bundle without the tokens sigstore-verify cannot decode (borrowed if none).
    handed: Cow<'a, Bundle>,
}

impl<'a> Stamped<'a> {
    /// Verifies every RFC 3161 token of `bundle` against `authorities`.
    ///
    /// # Errors
    ///
    /// [`Error::TimestampInvalid`] naming the first token that does not verify, and why.
    pub(crate) fn verify(bundle: &'a Bundle, authorities: &[TsaAuthority]) -> Result<Self> {
        let tokens = &bundle
            .inner
            .verification_material
            .timestamp_verification_data
            .rfc3161_timestamps;
        if tokens.is_empty() {
            return Ok(Self {
                times: Vec::new(),
                handed: Cow::Borrowed(bundle),
            });
        }
        let signature = match &bundle.inner.content {
            SignatureContent::MessageSignature(message) => message.signature.as_bytes(),
            SignatureContent::DsseEnvelope(envelope) => envelope.signature.sig.as_bytes(),
            _ => {
                return Err(Error::MalformedBundle {
                    detail: "the bundle has neither a message signature nor a DSSE envelope"
                        .to_owned(),
                });
            }
        };
        let mut times = Vec::with_capacity(tokens.len());
        for (index, token) in tokens.iter().enumerate() {
            let time = super::verify(token.signed_timestamp.as_bytes(), signature, authorities)
                .map_err(|why| Error::TimestampInvalid {
                    detail: format!("RFC 3161 timestamp {}: {why}", index + 1),
                })?;
            times.push(time);
        }
        let handed = if times.iter().any(|t| t.has_fraction()) {
            let mut inner: Inner = bundle.inner.clone();
            let mut whole = times.iter().map(|t| !t.has_fraction());
            inner
                .verification_material
                .timestamp_verification_data
                .rfc3161_timestamps
                .retain(|_| whole.next().unwrap_or(false));
            Cow::Owned(bundle.with_inner(inner))
        } else {
            Cow::Borrowed(bundle)
        };
        Ok(Self { times, handed })
    }

    /// The bundle to give sigstore-verify.
    pub(crate) fn handed(&self) -> &Bundle {
        &self.handed
    }

    /// Every verified genTime.
    pub(crate) fn times(&self) -> &[GenTime] {
        &self.times
    }

    /// The genTimes sigstore-verify does not see (their tokens were taken out).
    pub(crate) fn hidden_times(&self) -> impl Iterator<Item = GenTime> + '_ {
        self.times.iter().copied().filter(|t| t.has_fraction())
    }

    /// Whether sigstore-verify, given [`Stamped::handed`], has no verified time to check a
    /// keyless certificate at although the bundle has one: every timestamp was taken out and
    /// no log entry carries an integrated time with a signed promise (its other source).
    pub(crate) fn keyless_time_hidden(&self) -> bool {
        let material = &self.handed.inner.verification_material;
        self.hidden_times().next().is_some()
            && material
                .timestamp_verification_data
                .rfc3161_timestamps
                .is_empty()
            && !material
                .tlog_entries
                .iter()
                .any(|e| e.integrated_time.is_some() && e.inclusion_promise.is_some())
    }

    /// A keyless certificate must be valid at every verified time: sigstore-verify checked it
    /// at the times it saw, this checks it at the genTimes it did not (to the nanosecond).
    ///
    /// # Errors
    ///
    /// [`Error::CertificateExpired`] naming the certificate's validity and the genTime.
    pub(crate) fn check_certificate(
        &self,
        result: &sigstore_verify::VerificationResult,
    ) -> Result<()> {
        for time in self.hidden_times() {
            let Some(cert) = result.certificate() else {
                return Err(Error::CertificateExpired {
                    detail: "no verified certificate to check at the RFC 3161 genTime".to_owned(),
                });
            };
            let nanos = time.unix_nanos();
            if nanos < cert.not_before.as_nanosecond() || nanos > cert.not_after.as_nanosecond() {
                return Err(Error::CertificateExpired {
                    detail: format!(
                        "the signing certificate is valid from {} to {}, not at the RFC 3161 \
                         timestamp's genTime ({time})",
                        cert.not_before, cert.not_after
                    ),
                });
            }
        }
        Ok(())
    }
}
