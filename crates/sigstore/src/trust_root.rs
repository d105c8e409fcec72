use crate::{Error, Result};

/// The public-good production root, compiled in: see `data/PROVENANCE.md`.
const PRODUCTION: &str = include_str!("../data/production-trusted-root.json");

/// Trust material: Fulcio CAs, Rekor and CT log keys, timestamp authorities, with their
/// validity periods (a Sigstore `trusted_root.json`).
#[derive(Debug)]
pub struct TrustRoot {
    inner: sigstore_trust_root::TrustedRoot,
}

impl TrustRoot {
    /// The Sigstore public-good production root embedded in this crate. No network access.
    ///
    /// # Errors
    ///
    /// Never in practice; [`Error::InvalidTrustRoot`] if the embedded file were damaged.
    pub fn production() -> Result<Self> {
        Self::from_json(PRODUCTION)
    }

    /// A `trusted_root.json` (a private Sigstore instance, or a newer production root).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTrustRoot`] if it does not parse.
    pub fn from_json(json: &str) -> Result<Self> {
        sigstore_trust_root::TrustedRoot::from_json(json)
            .map(|inner| Self { inner })
            .map_err(|err| Error::InvalidTrustRoot {
                detail: err.to_string(),
            })
    }

    /// Whether `spki_der` (a DER SubjectPublicKeyInfo) is the key of one of the root's
    /// transparency logs: a policy that names a Rekor key (containers' `rekorPublicKeyPath`)
    /// is honoured only when the log entries it means are the ones this root checks.
    #[must_use]
    pub fn has_tlog_key(&self, spki_der: &[u8]) -> bool {
        self.inner
            .tlogs
            .iter()
            .any(|log| log.public_key.raw_bytes.as_bytes() == spki_der)
    }

    /// Whether `certificate_der` is one of the certificates of the root's certificate
    /// authorities (a Fulcio root or intermediate).
    #[must_use]
    pub fn has_ca_certificate(&self, certificate_der: &[u8]) -> bool {
        self.inner.certificate_authorities.iter().any(|ca| {
            ca.cert_chain
                .certificates
                .iter()
                .any(|certificate| certificate.raw_bytes.as_bytes() == certificate_der)
        })
    }

    pub(crate) fn inner(&self) -> &sigstore_trust_root::TrustedRoot {
        &self.inner
    }
}
