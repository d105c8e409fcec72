use std::io::Read;

use sigstore_types::{Artifact, ArtifactDigest, DerPublicKey, HashAlgorithm};
use vouch_keys::Fingerprint;

use crate::{Bundle, BundleFormat, Error, Policy, Result, Signer, TrustRoot};

/// Checks bundles against one trust root. Build once, verify many; `Send + Sync`.
pub struct Verifier {
    inner: sigstore_verify::Verifier,
    /// The trust root's timestamp authorities (those in force when the verifier was built, as
    /// `TrustedRoot::tsa_authorities` selects them), for vouch's own RFC 3161 checks.
    authorities: Vec<sigstore_types::TsaAuthority>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

/// Proof that a bundle verified, and what it showed.
#[derive(Debug, Clone)]
#[must_use]
pub struct VerifiedBundle {
    format: BundleFormat,
    key: Option<Fingerprint>,
    identity: Option<String>,
    issuer: Option<String>,
    log_index: Option<u64>,
    integrated_time: Option<i64>,
    timestamps: Vec<i64>,
    timestamp_sources: Vec<&'static str>,
    tlog_verified: bool,
}

impl VerifiedBundle {
    /// A key-signed bundle verified without log or timestamp (see `unlogged`).
    pub(crate) fn unlogged(format: BundleFormat, key: Fingerprint) -> Self {
        Self {
            format,
            key: Some(key),
            identity: None,
            issuer: None,
            log_index: None,
            integrated_time: None,
            timestamps: Vec::new(),
            timestamp_sources: Vec::new(),
            tlog_verified: false,
        }
    }

    /// `self` with the genTimes of verified RFC 3161 timestamps added.
    pub(crate) fn with_rfc3161_times(mut self, times: &[crate::timestamp::GenTime]) -> Self {
        if !times.is_empty() {
            self.timestamps
                .extend(times.iter().map(|t| t.unix_seconds()));
            self.timestamp_sources.push("rfc3161");
        }
        self
    }

    /// The bundle format read.
    pub fn format(&self) -> &BundleFormat {
        &self.format
    }
    /// The key that verified (key policies).
    pub fn key_fingerprint(&self) -> Option<Fingerprint> {
        self.key
    }
    /// The certificate's identity (keyless).
    pub fn identity(&self) -> Option<&str> {
        self.identity.as_deref()
    }
    /// The certificate's OIDC issuer (keyless).
    pub fn issuer(&self) -> Option<&str> {
        self.issuer.as_deref()
    }
    /// The transparency-log entry's index.
    pub fn log_index(&self) -> Option<u64> {
        self.log_index
    }
    /// The log's integrated time, Unix seconds.
    pub fn integrated_time(&self) -> Option<i64> {
        self.integrated_time
    }
    /// Every verified time (log and RFC 3161 timestamps), Unix seconds.
    pub fn verified_timestamps(&self) -> &[i64] {
        &self.timestamps
    }
    /// Where the verified times come from: `"tlog"` (a log entry's integrated time) and/or
    /// `"rfc3161"` (timestamp authorities); empty when the signature carries no time.
    pub fn timestamp_sources(&self) -> &[&'static str] {
        &self.timestamp_sources
    }
    /// Whether a transparency-log entry was verified (false only with
    /// [`Policy::insecure_ignore_tlog`]).
    pub fn tlog_verified(&self) -> bool {
        self.tlog_verified
    }
}

impl Verifier {
    /// Prepares the trust root's keys and certificate authorities.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidTrustRoot`] if its keys or certificates are unusable.
    pub fn new(root: &TrustRoot) -> Result<Self> {
        sigstore_verify::Verifier::new(root.inner())
            .map(|inner| Self {
                inner,
                authorities: root.inner().tsa_authorities(),
            })
            .map_err(|err| Error::InvalidTrustRoot {
                detail: err.to_string(),
            })
    }

    /// Verifies `bundle` over everything `reader` yields, for `policy`.
    ///
    /// Steps: (1) a log entry is present when the policy requires one; (2) the bundle's signer
    /// kind matches the policy's; (3) vouch verifies every RFC 3161 timestamp itself (see
    /// `timestamp`); (4) sigstore-verify checks the certificate chain and SCT (keyless), the
    /// log entry and its proofs, the signature and the timestamps it can decode (a key-signed
    /// bundle left with no log entry and no timestamp, under `insecure_ignore_tlog`, is checked
    /// by vouch-blob instead: see `unlogged`); (5) a keyless certificate must be valid at every
    /// genTime sigstore-verify did not see; (6) regex identities are matched against the
    /// certificate's identity and issuer; (7) each extension the policy requires matches.
    ///
    /// # Errors
    ///
    /// A verdict variant (see [`Error::is_verdict`]) if the bundle does not verify for the
    /// policy; [`Error::ReadArtifact`] if reading fails.
    pub fn verify_reader<R: Read + Send>(
        &self,
        reader: R,
        bundle: &Bundle,
        policy: &Policy,
    ) -> Result<VerifiedBundle> {
        self.verify_input(Input::Reader(reader), bundle, policy)
    }

    /// Verifies `bundle` over an artifact known only by its digest, for `policy`: a container
    /// image's manifest digest, or a file hashed by the caller.
    ///
    /// The same steps as [`Verifier::verify_reader`]. A message signature must have been made
    /// over this digest (so Ed25519 keys, which sign the message itself, cannot be checked from
    /// a digest and are refused as input that cannot be checked); a DSSE envelope's in-toto
    /// statement must name it as one of its subjects.
    ///
    /// # Errors
    ///
    /// As [`Verifier::verify_reader`], without [`Error::ReadArtifact`].
    pub fn verify_digest(
        &self,
        digest: &vouch_blob::Digest,
        bundle: &Bundle,
        policy: &Policy,
    ) -> Result<VerifiedBundle> {
        self.verify_input(Input::<std::io::Empty>::Digest(digest), bundle, policy)
    }

    fn verify_input<R: Read + Send>(
        &self,
        input: Input<'_, R>,
        bundle: &Bundle,
        policy: &Policy,
    ) -> Result<VerifiedBundle> {
        // (1)
        if policy.require_tlog && bundle.tlog_entry_count() == 0 {
            return Err(Error::LogEntryMissing);
        }
        // (2)
        if let (Signer::Key(_), Some((extension, _))) = (&policy.signer, policy.extensions.first())
        {
            return Err(Error::IdentityMismatch {
                expected: format!("a Fulcio certificate with extension {extension}"),
                found: "a policy with a key, whose signatures carry no certificate".to_owned(),
            });
        }
        match &policy.signer {
            Signer::Key(_) if bundle.has_certificate() => {
                return Err(Error::MaterialMismatch {
                    expected: "a key",
                    found: "a certificate",
                });
            }
            Signer::Identity { .. } if !bundle.has_certificate() => {
                return Err(Error::MaterialMismatch {
                    expected: "a certificate",
                    found: "a key",
                });
            }
            Signer::Identity { .. } => crate::chain::refuse_root_in_chain(bundle)?,
            Signer::Key(_) => {}
        }
        // (3)
        let stamped = crate::timestamp::Stamped::verify(bundle, &self.authorities)?;
        let handed = stamped.handed();
        // (4)
        let result = match &policy.signer {
            Signer::Key(key) => {
                if !policy.require_tlog && crate::unlogged::has_no_evidence(handed) {
                    // Only what the timestamps add: unlogged's own verdict has no time.
                    return crate::unlogged::verify(input, handed, key)
                        .map(|verified| verified.with_rfc3161_times(stamped.times()));
                }
                let mut sigstore_policy = sigstore_verify::PublicKeyVerificationPolicy::new(
                    DerPublicKey::new(key.spki_der().to_vec()),
                );
                if !policy.require_tlog {
                    sigstore_policy = sigstore_policy.skip_tlog_unsafe();
                }
                self.run(input, handed, &sigstore_policy)
            }
            Signer::Identity { identity, issuer } => {
                if stamped.keyless_time_hidden() {
                    return Err(Error::TimestampInvalid {
                        detail: "the bundle's only signing time is an RFC 3161 timestamp with \
                                 fractional seconds, and vouch cannot yet check a keyless \
                                 certificate chain at such a time (sigstore-verify 0.15.1 cannot \
                                 decode it; see docs/dependencies.md)"
                            .to_owned(),
                    });
                }
                let mut sigstore_policy = match (identity, issuer) {
                    (crate::Matcher::Exact(identity), crate::Matcher::Exact(issuer)) => {
                        sigstore_verify::VerificationPolicy::new(identity.clone(), issuer.clone())
                    }
                    // Regexes are matched in (6), on the verified certificate.
                    _ => sigstore_verify::VerificationPolicy::any_identity(),
                };
                if !policy.require_tlog {
                    sigstore_policy = sigstore_policy.skip_tlog_unsafe();
                }
                self.run(input, handed, &sigstore_policy)
            }
        }
        .map_err(|err| match (Error::from_sigstore(err), &policy.signer) {
            (Error::IdentityMismatch { found, .. }, Signer::Identity { identity, issuer }) => {
                Error::IdentityMismatch {
                    expected: format!("identity {identity} from issuer {issuer}"),
                    found,
                }
            }
            (other, _) => other,
        })?;
        // (5)
        if let Signer::Identity { .. } = &policy.signer {
            stamped.check_certificate(&result)?;
        }
        let found_identity = result.identity().map(|san| san.as_str().to_owned());
        let found_issuer = result.issuer().map(str::to_owned);
        // (6)
        if let Signer::Identity { identity, issuer } = &policy.signer {
            let identity_ok = found_identity
                .as_deref()
                .is_some_and(|found| identity.matches(found));
            let issuer_ok = found_issuer
                .as_deref()
                .is_some_and(|found| issuer.matches(found));
            if !identity_ok || !issuer_ok {
                return Err(Error::IdentityMismatch {
                    expected: format!("identity {identity} from issuer {issuer}"),
                    found: format!(
                        "identity `{}` from issuer `{}`",
                        found_identity.as_deref().unwrap_or("(none)"),
                        found_issuer.as_deref().unwrap_or("(none)")
                    ),
                });
            }
        }
        // (7)
        for (extension, expected) in &policy.extensions {
            let found = result.certificate().and_then(|c| extension.value(c));
            if !found.is_some_and(|value| expected.matches(value)) {
                return Err(Error::IdentityMismatch {
                    expected: format!("certificate extension {extension} {expected}"),
                    found: found.map_or_else(
                        || "no such extension".to_owned(),
                        |value| format!("`{value}`"),
                    ),
                });
            }
        }
        let entry = bundle.inner.verification_material.tlog_entries.first();
        Ok(VerifiedBundle {
            format: bundle.format().clone(),
            key: match &policy.signer {
                Signer::Key(key) => Some(key.fingerprint()),
                Signer::Identity { .. } => None,
            },
            identity: found_identity,
            issuer: found_issuer,
            log_index: entry.map(|e| e.log_index.get()),
            integrated_time: result.integrated_time().map(|t| t.as_second()),
            timestamps: result
                .verified_timestamps()
                .iter()
                .map(|t| t.as_second())
                .chain(stamped.hidden_times().map(|t| t.unix_seconds()))
                .collect(),
            timestamp_sources: timestamp_sources(bundle, &result),
            tlog_verified: result.tlog_verified(),
        })
    }
}

/// What a bundle is verified over: the artifact's bytes, or its digest.
pub(crate) enum Input<'a, R> {
    /// Everything the reader yields.
    Reader(R),
    /// A digest the caller computed.
    Digest(&'a vouch_blob::Digest),
}

impl Verifier {
    /// sigstore-verify's checks over `input`.
    fn run<R: Read + Send>(
        &self,
        input: Input<'_, R>,
        bundle: &Bundle,
        policy: &(impl sigstore_verify::Policy + ?Sized),
    ) -> std::result::Result<sigstore_verify::VerificationResult, sigstore_verify::Error> {
        match input {
            Input::Reader(reader) => self.inner.verify_reader(reader, &bundle.inner, policy),
            Input::Digest(digest) => {
                let algorithm = match digest.algorithm() {
                    vouch_blob::DigestAlgorithm::Sha256 => HashAlgorithm::Sha2256,
                    vouch_blob::DigestAlgorithm::Sha384 => HashAlgorithm::Sha2384,
                    vouch_blob::DigestAlgorithm::Sha512 => HashAlgorithm::Sha2512,
                };
                let digest = ArtifactDigest::new(algorithm, digest.as_bytes().to_vec())
                    .map_err(|err| sigstore_verify::Error::UnsupportedArtifact(err.to_string()))?;
                self.inner
                    .verify(Artifact::from_digest(digest), &bundle.inner, policy)
            }
        }
    }
}

/// Which kinds of signing-time evidence the verified times come from.
fn timestamp_sources(
    bundle: &Bundle,
    result: &sigstore_verify::VerificationResult,
) -> Vec<&'static str> {
    let material = &bundle.inner.verification_material;
    let mut sources = Vec::new();
    if result.integrated_time().is_some() {
        sources.push("tlog");
    }
    if !material
        .timestamp_verification_data
        .rfc3161_timestamps
        .is_empty()
    {
        sources.push("rfc3161");
    }
    sources
}
