/// Why a bundle was not accepted. The first group are verdicts about a well-formed bundle
/// (it was checked, and it is not valid for this policy); the second, input that could not be
/// checked. Messages come from sigstore-verify where it knows more; the variant is the category.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The signature does not verify over the artifact with the bundle's key or certificate.
    #[error("signature does not verify: {detail}")]
    SignatureInvalid {
        /// What sigstore-verify found.
        detail: String,
    },
    /// The certificate is valid, but for another identity or issuer than the policy requires.
    #[error("identity mismatch: expected {expected}, the certificate says {found}")]
    IdentityMismatch {
        /// The policy's identity and issuer.
        expected: String,
        /// The certificate's.
        found: String,
    },
    /// The policy requires a transparency-log entry and the bundle has none.
    #[error(
        "the bundle has no transparency-log entry, so nothing shows the signature was published"
    )]
    LogEntryMissing,
    /// The log entry, its inclusion proof, checkpoint or signed entry timestamp do not verify,
    /// or the entry does not describe this signature.
    #[error("transparency-log entry does not verify: {detail}")]
    LogProofInvalid {
        /// What sigstore-verify found.
        detail: String,
    },
    /// The signing certificate was not valid at the time the signature was logged or stamped.
    #[error("certificate was not valid at signing time: {detail}")]
    CertificateExpired {
        /// What sigstore-verify found.
        detail: String,
    },
    /// The certificate does not chain to a certificate authority of the trust root, or its
    /// SCT does not verify.
    #[error("certificate is not trusted: {detail}")]
    UntrustedRoot {
        /// What sigstore-verify found.
        detail: String,
    },
    /// An RFC 3161 timestamp does not verify or comes from no trusted authority.
    #[error("timestamp does not verify: {detail}")]
    TimestampInvalid {
        /// What sigstore-verify found.
        detail: String,
    },
    /// The bundle carries another kind of signer than the policy names (a certificate where a
    /// key was given, or the reverse).
    #[error("the bundle is signed with {found}, but {expected} was required")]
    MaterialMismatch {
        /// What the policy names.
        expected: &'static str,
        /// What the bundle has.
        found: &'static str,
    },
    /// Not a bundle vouch can read.
    #[error("malformed bundle: {detail}")]
    MalformedBundle {
        /// What is wrong.
        detail: String,
    },
    /// The trusted root is not valid.
    #[error("invalid trusted root: {detail}")]
    InvalidTrustRoot {
        /// What is wrong.
        detail: String,
    },
    /// An identity or issuer regular expression does not compile.
    #[error("invalid regular expression `{pattern}`: {detail}")]
    InvalidRegex {
        /// The pattern as given.
        pattern: String,
        /// The regex compiler's message.
        detail: String,
    },
    /// Reading the artifact failed.
    #[error("reading the input")]
    ReadArtifact(#[source] std::io::Error),
}

impl Error {
    /// Whether the bundle was checked and found not valid (as opposed to input that could not
    /// be checked).
    #[must_use]
    pub fn is_verdict(&self) -> bool {
        matches!(
            self,
            Self::SignatureInvalid { .. }
                | Self::IdentityMismatch { .. }
                | Self::LogEntryMissing
                | Self::LogProofInvalid { .. }
                | Self::CertificateExpired { .. }
                | Self::UntrustedRoot { .. }
                | Self::TimestampInvalid { .. }
                | Self::MaterialMismatch { .. }
        )
    }

    /// Sorts a sigstore-verify error into our categories.
    pub(crate) fn from_sigstore(err: sigstore_verify::Error) -> Self {
        use sigstore_verify::bundle::Error as B;
        use sigstore_verify::{CertificateError as Cert, Error as E};
        let detail = err.to_string();
        match err {
            // Structural checks of the log evidence are verdicts about the log, not about
            // the bundle's syntax.
            E::Bundle(
                B::MissingInclusionPromise(_)
                | B::MissingInclusionProof(_)
                | B::MissingCheckpoint
                | B::LogIndexOutOfRange { .. }
                | B::CheckpointRootMismatch,
            ) => Self::LogProofInvalid { detail },
            E::Bundle(B::MissingSigningTimeEvidence) => Self::LogEntryMissing,
            E::Bundle(B::MissingTimestamp) => Self::TimestampInvalid { detail },
            E::SignatureInvalid(_) | E::ArtifactMismatch(_) => Self::SignatureInvalid { detail },
            E::IdentityMismatch { ref actual, .. } => Self::IdentityMismatch {
                expected: "the policy's identity".to_owned(),
                found: actual.as_ref().map_or_else(
                    || "a certificate without an email or URI identity".to_owned(),
                    |san| format!("identity `{}`", san.as_str()),
                ),
            },
            E::IssuerMismatch { ref actual, .. } => Self::IdentityMismatch {
                expected: "the policy's identity".to_owned(),
                found: actual.as_ref().map_or_else(
                    || "a certificate without an OIDC issuer".to_owned(),
                    |issuer| format!("issuer `{issuer}`"),
                ),
            },
            E::TransparencyLog(_) => Self::LogProofInvalid { detail },
            E::Certificate(Cert::Expired { .. } | Cert::NotYetValid { .. }) => {
                Self::CertificateExpired { detail }
            }
            // sigstore-verify 0.15.1 reports webpki's validity errors (checked at the log or
            // timestamp time) only as `ChainInvalid` text; see docs/dependencies.md.
            E::Certificate(Cert::ChainInvalid(ref chain))
                if chain.contains("CertExpired") || chain.contains("CertNotValidYet") =>
            {
                Self::CertificateExpired { detail }
            }
            E::Certificate(_) | E::TrustedCertificate(_) => Self::UntrustedRoot { detail },
            E::Timestamp(_) => Self::TimestampInvalid { detail },
            E::ArtifactRead(io) => Self::ReadArtifact(io),
            E::InvalidTrustRoot(_) | E::TrustRoot(_) => Self::InvalidTrustRoot { detail },
            _ => Self::MalformedBundle { detail },
        }
    }
}

/// Result type of this crate.
pub type Result<T> = std::result::Result<T, Error>;
