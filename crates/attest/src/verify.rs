//! One attestation checked completely: the DSSE signature first (key or keyless, log,
//! timestamps: `vouch-sigstore`), then what the now-authenticated statement says.

use vouch_sigstore::{Bundle, Policy, VerifiedBundle, Verifier};

use crate::PredicateType;
use crate::statement::{Parts, Statement, truncate};

/// The DSSE payload type of an in-toto statement.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";

/// What an attestation must prove. No `Default`: the signer is the security-relevant input.
#[derive(Debug, Clone)]
pub struct AttestationPolicy {
    signer: Policy,
    predicate_type: Option<PredicateType>,
    max_statement_cost: u64,
}

impl AttestationPolicy {
    /// Signed as `signer` requires, about the artifact, of any predicate type.
    #[must_use]
    pub fn new(signer: Policy) -> Self {
        Self {
            signer,
            predicate_type: None,
            max_statement_cost: vouch_sigstore::MAX_STATEMENT_COST,
        }
    }

    /// Also require this predicate type (cosign's `--type`).
    #[must_use]
    pub fn with_predicate_type(mut self, predicate_type: PredicateType) -> Self {
        self.predicate_type = Some(predicate_type);
        self
    }

    /// Read statements costing up to `cost` bytes of memory as a tree (default
    /// [`vouch_sigstore::MAX_STATEMENT_COST`]); give the bundle the same limit
    /// ([`vouch_sigstore::Bundle::from_json_with_limits`]).
    #[must_use]
    pub fn with_max_statement_cost(mut self, cost: u64) -> Self {
        self.max_statement_cost = cost;
        self
    }

    /// The signer required.
    #[must_use]
    pub fn signer(&self) -> &Policy {
        &self.signer
    }

    /// The predicate type required, if any.
    #[must_use]
    pub fn predicate_type(&self) -> Option<&PredicateType> {
        self.predicate_type.as_ref()
    }
}

/// An attestation whose signature verified, about the artifact, of the type required.
#[derive(Debug, Clone)]
#[must_use]
pub struct VerifiedAttestation {
    bundle: VerifiedBundle,
    statement: Statement,
}

impl VerifiedAttestation {
    /// What the signature verification showed (key or identity, log entry, times).
    pub fn bundle(&self) -> &VerifiedBundle {
        &self.bundle
    }
    /// The authenticated statement.
    pub fn statement(&self) -> &Statement {
        &self.statement
    }
}

/// Why an attestation was not accepted.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AttestationError {
    /// Not a DSSE envelope of an in-toto statement vouch reads (nothing was verified).
    #[error("{0}")]
    Malformed(String),
    /// The signature, certificate, identity, log entry or timestamps do not verify.
    #[error(transparent)]
    Signature(#[from] vouch_sigstore::Error),
    /// A valid signature over a statement about other artifacts.
    #[error("the attestation is about {named}, not {expected}")]
    OtherSubject {
        /// The subject digests the statement names.
        named: String,
        /// The artifact's digest.
        expected: String,
    },
    /// A valid attestation about the artifact, of another predicate type.
    #[error("an attestation of type `{found}`, not `{expected}`")]
    OtherType {
        /// Its predicate type (at most 200 characters).
        found: String,
        /// The type required.
        expected: String,
    },
}

impl AttestationError {
    /// A stable name for output: `malformed`, the signature verdict's own name
    /// (`signature`, `identity`, …, see [`signature_category`]), `payload-mismatch`,
    /// `other-type`.
    #[must_use]
    pub fn category(&self) -> &'static str {
        match self {
            Self::Malformed(_) => "malformed",
            Self::Signature(err) => signature_category(err),
            Self::OtherSubject { .. } => "payload-mismatch",
            Self::OtherType { .. } => "other-type",
        }
    }
}

/// The output name of a signature verdict: `signature`, `identity`, `signer-mismatch`,
/// `log-entry-missing`, `log-proof-invalid`, `certificate`, `timestamp`, `malformed`,
/// `unverifiable`.
#[must_use]
pub fn signature_category(err: &vouch_sigstore::Error) -> &'static str {
    use vouch_sigstore::Error as E;
    match err {
        E::SignatureInvalid { .. } => "signature",
        E::IdentityMismatch { .. } => "identity",
        E::MaterialMismatch { .. } => "signer-mismatch",
        E::LogEntryMissing => "log-entry-missing",
        E::LogProofInvalid { .. } => "log-proof-invalid",
        E::CertificateExpired { .. } | E::UntrustedRoot { .. } => "certificate",
        E::TimestampInvalid { .. } => "timestamp",
        E::MalformedBundle { .. } => "malformed",
        _ => "unverifiable",
    }
}

/// Verifies `bundle` as an attestation about the artifact whose digests are `artifact` (one
/// or more algorithms of the same bytes), for `policy`.
///
/// Steps: (1) the bundle holds a DSSE envelope whose payload type is in-toto's; (2) the
/// payload is JSON with no key twice, within the policy's bound as a tree, and the subjects'
/// digests are read from it; (3) the signature is verified, over the artifact's digest when a
/// subject names it, else over a digest the statement does name, so that "about another
/// artifact" is only said of a signed statement; then the payload must read as an in-toto
/// statement ([`Statement::parse_with_cost`]); (4) a subject
/// names the artifact (any subject; names are not trusted); (5) the predicate type is the one
/// required. Nothing the statement says counts before (3). Read `bundle` with
/// [`vouch_sigstore::Bundle::from_json_with_limits`] and the same bound for statements larger
/// than a signature's.
///
/// # Errors
///
/// An [`AttestationError`] saying which step refused it.
pub fn verify_attestation(
    verifier: &Verifier,
    bundle: &Bundle,
    artifact: &[vouch_blob::Digest],
    policy: &AttestationPolicy,
) -> Result<VerifiedAttestation, AttestationError> {
    Unverified::read(bundle, policy)?.verify(verifier, artifact, policy)
}

/// An attestation read from its bundle and not verified yet: steps (1) and (2) of
/// [`verify_attestation`] done, the statement split into its top-level fields (borrowed from the
/// bundle, not copied). Its subjects may choose which of the artifact's digests to compute;
/// nothing else it says counts before [`Unverified::verify`].
#[derive(Debug)]
pub struct Unverified<'b> {
    bundle: &'b Bundle,
    parts: Parts<'b>,
}

impl<'b> Unverified<'b> {
    /// Steps (1) and (2) of [`verify_attestation`].
    ///
    /// # Errors
    ///
    /// [`AttestationError::Malformed`]: not a DSSE envelope of in-toto's payload type, or a
    /// payload that is not a JSON object read strictly within the policy's bound.
    pub fn read(bundle: &'b Bundle, policy: &AttestationPolicy) -> Result<Self, AttestationError> {
        // (1)
        let (Some(payload_type), Some(payload)) =
            (bundle.dsse_payload_type(), bundle.dsse_payload())
        else {
            return Err(AttestationError::Malformed(
                "a message signature, not an attestation (a DSSE envelope of an in-toto statement)"
                    .to_owned(),
            ));
        };
        if !is_in_toto(payload_type) {
            return Err(AttestationError::Malformed(format!(
                "DSSE payload type `{}`, not `{IN_TOTO_PAYLOAD_TYPE}`",
                truncate(payload_type)
            )));
        }
        // (2) Checked (no key twice, its cost as a tree bounded) unless the bundle's reading did
        // it within the same bound, as it does for the usual payload type; then split once.
        if bundle
            .checked_statement_cost()
            .is_none_or(|cost| cost > policy.max_statement_cost)
        {
            crate::statement::check(payload, policy.max_statement_cost)
                .map_err(|err| AttestationError::Malformed(err.to_string()))?;
        }
        let parts =
            Parts::split(payload).map_err(|err| AttestationError::Malformed(err.to_string()))?;
        Ok(Self { bundle, parts })
    }

    /// The digests each subject names (algorithm, lowercase hex), unverified: as
    /// [`crate::subject_digests`].
    #[must_use]
    pub fn subject_digests(&self) -> Vec<Vec<(String, String)>> {
        self.parts.subject_digests()
    }

    /// Steps (3) to (5) of [`verify_attestation`], `artifact` being the artifact's digests (one
    /// or more algorithms of the same bytes).
    ///
    /// # Errors
    ///
    /// An [`AttestationError`] saying which step refused it.
    pub fn verify(
        self,
        verifier: &Verifier,
        artifact: &[vouch_blob::Digest],
        policy: &AttestationPolicy,
    ) -> Result<VerifiedAttestation, AttestationError> {
        let named = self.parts.subject_digests();
        // (3)
        let matching = artifact.iter().find(|digest| {
            let algorithm = crate::statement::algorithm_name(digest.algorithm());
            let hex = digest.to_hex();
            named
                .iter()
                .flatten()
                .any(|(a, h)| a == algorithm && *h == hex)
        });
        let signed = match matching {
            Some(digest) => digest.clone(),
            None => first_named_digest(&named).ok_or_else(|| {
                AttestationError::Malformed(
                    "the in-toto statement has no subject with a usable sha256 or sha512 digest"
                        .to_owned(),
                )
            })?,
        };
        let verified = verifier.verify_digest(&signed, self.bundle, policy.signer())?;
        let statement = self
            .parts
            .into_statement()
            .map_err(|err| AttestationError::Malformed(err.to_string()))?;
        // (4)
        if matching.is_none() {
            return Err(AttestationError::OtherSubject {
                named: statement.named_digests().join(", "),
                expected: artifact
                    .iter()
                    .map(|d| {
                        format!(
                            "{}:{}",
                            crate::statement::algorithm_name(d.algorithm()),
                            d.to_hex()
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(" / "),
            });
        }
        // (5)
        if let Some(expected) = policy.predicate_type()
            && statement.predicate_type() != expected.as_str()
        {
            return Err(AttestationError::OtherType {
                found: truncate(statement.predicate_type()),
                expected: expected.to_string(),
            });
        }
        Ok(VerifiedAttestation {
            bundle: verified,
            statement,
        })
    }
}

/// `application/vnd.in-toto+json`, or `application/vnd.in-toto.<predicate>+json` (in-toto's
/// envelope specification allows both).
fn is_in_toto(payload_type: &str) -> bool {
    payload_type == IN_TOTO_PAYLOAD_TYPE
        || payload_type
            .strip_prefix("application/vnd.in-toto.")
            .and_then(|rest| rest.strip_suffix("+json"))
            .is_some_and(|name| !name.is_empty())
}

fn first_named_digest(named: &[Vec<(String, String)>]) -> Option<vouch_blob::Digest> {
    named.iter().flatten().find_map(|(algorithm, hex)| {
        let algorithm = match algorithm.as_str() {
            "sha256" => vouch_blob::DigestAlgorithm::Sha256,
            "sha512" => vouch_blob::DigestAlgorithm::Sha512,
            _ => return None,
        };
        vouch_blob::Digest::new(algorithm, &hex::decode(hex).ok()?)
    })
}
