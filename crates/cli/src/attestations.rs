//! What the attestation commands share: an attestation's outcome after every check, the policies
//! applied to a verified statement, and what a set of outcomes adds up to.

use std::time::Duration;

use vouch_attest::{
    AttestationError, AttestationPolicy, PredicateType, RegoPolicy, Unverified,
    VerifiedAttestation, verify_attestation,
};
use vouch_blob::Digest;
use vouch_sigstore::{Bundle, Verifier};

use crate::exit;

/// Where an attestation was found.
#[derive(Debug, Clone)]
pub(crate) enum Position {
    /// A file of one bundle.
    Whole,
    /// This line of a JSON Lines file.
    Line(usize),
    /// Attached to an image: where, and in which manifest.
    Attached {
        source: vouch_oci::Source,
        manifest: vouch_oci::OciDigest,
    },
}

impl Position {
    /// ` (line 2)`, ` (referrers sha256:…)`, or nothing: to follow "attestation" in a line.
    pub(crate) fn suffix(&self) -> String {
        match self {
            Self::Whole => String::new(),
            Self::Line(line) => format!(" (line {line})"),
            Self::Attached { source, manifest } => format!(" ({} {manifest})", source.as_str()),
        }
    }
}

/// One attestation and what became of it.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) position: Position,
    pub(crate) checked: Checked,
}

/// An attestation's outcome.
#[derive(Debug)]
pub(crate) enum Checked {
    /// Passed every check and every policy.
    Accepted(Box<VerifiedAttestation>),
    /// Verified, of the type asked, and a policy did not allow it (or failed).
    Denied {
        attestation: Box<VerifiedAttestation>,
        /// `policy: message`, each.
        reasons: Vec<String>,
    },
    /// Did not verify, or is about something else, or of another type.
    Rejected(AttestationError),
    /// Not a bundle vouch reads.
    Unreadable(String),
    /// Found on an image and over a size limit: not fetched, never valid.
    Unchecked(String),
}

impl Checked {
    /// The verified attestation, if it passed every check (policies included).
    pub(crate) fn accepted(&self) -> Option<&VerifiedAttestation> {
        match self {
            Self::Accepted(verified) => Some(verified),
            _ => None,
        }
    }

    /// A stable name for output: `accepted`, `policy-denied`, the rejection's category, or
    /// `malformed`.
    pub(crate) fn category(&self) -> &'static str {
        match self {
            Self::Accepted(_) => "accepted",
            Self::Denied { .. } => "policy-denied",
            Self::Rejected(err) => err.category(),
            Self::Unreadable(_) => "malformed",
            Self::Unchecked(_) => "unchecked",
        }
    }

    /// Why it was not accepted.
    pub(crate) fn reason(&self) -> Option<String> {
        match self {
            Self::Accepted(_) => None,
            Self::Denied { reasons, .. } => Some(reasons.join("; ")),
            Self::Rejected(err) => Some(err.to_string()),
            Self::Unreadable(reason) | Self::Unchecked(reason) => Some(reason.clone()),
        }
    }
}

/// How long and how much memory each policy may take over one statement.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub(crate) time: Duration,
    pub(crate) memory: usize,
}

/// One attestation, checked completely: signature, subject, type, then every policy.
pub(crate) fn check(
    verifier: &Verifier,
    bundle: &Bundle,
    digests: &[Digest],
    policy: &AttestationPolicy,
    policies: &[RegoPolicy],
    limits: Limits,
) -> Checked {
    match verify_attestation(verifier, bundle, digests, policy) {
        Ok(verified) => apply_policies(verified, policies, limits),
        Err(err) => Checked::Rejected(err),
    }
}

/// [`check`] of an attestation already read from its bundle.
pub(crate) fn check_read(
    verifier: &Verifier,
    read: Result<Unverified<'_>, AttestationError>,
    digests: &[Digest],
    policy: &AttestationPolicy,
    policies: &[RegoPolicy],
    limits: Limits,
) -> Checked {
    match read.and_then(|unverified| unverified.verify(verifier, digests, policy)) {
        Ok(verified) => apply_policies(verified, policies, limits),
        Err(err) => Checked::Rejected(err),
    }
}

/// Evaluates every policy over a verified statement; all must allow. A policy that fails or
/// runs out of time denies; one that runs out of memory ends the run (`policy_memory`).
pub(crate) fn apply_policies(
    verified: VerifiedAttestation,
    policies: &[RegoPolicy],
    limits: Limits,
) -> Checked {
    let mut reasons = Vec::new();
    // The statement as a tree only when a policy reads it (it is kept as text otherwise).
    let input = if policies.is_empty() {
        serde_json::Value::Null
    } else {
        verified.statement().as_value()
    };
    for policy in policies {
        let verdict = crate::policy_memory::with_limit(limits.memory, || {
            policy.evaluate(&input, limits.time)
        });
        match verdict {
            Ok(verdict) if verdict.allowed() => {}
            Ok(verdict) => reasons.extend(
                verdict
                    .messages()
                    .iter()
                    .map(|m| format!("policy {} denies: {m}", policy.name())),
            ),
            Err(err) => reasons.push(err.to_string()),
        }
    }
    if reasons.is_empty() {
        Checked::Accepted(Box::new(verified))
    } else {
        Checked::Denied {
            attestation: Box::new(verified),
            reasons,
        }
    }
}

/// 0 if one attestation was accepted; else 16 if one of the type was denied by a policy, 15 if
/// some verified but none is of the type, the bundle reason of a lone attestation (3–8), or 1.
pub(crate) fn exit_code(entries: &[Entry]) -> u8 {
    if entries.iter().any(|e| e.checked.accepted().is_some()) {
        return exit::VERIFIED;
    }
    if entries
        .iter()
        .any(|e| matches!(e.checked, Checked::Denied { .. }))
    {
        return exit::POLICY_DENIED;
    }
    if entries.iter().any(|e| {
        matches!(
            e.checked,
            Checked::Rejected(AttestationError::OtherType { .. })
        )
    }) {
        return exit::NONE_OF_TYPE;
    }
    match entries {
        [
            Entry {
                checked: Checked::Rejected(AttestationError::Signature(err)),
                ..
            },
        ] if err.is_verdict() => exit::bundle_code(err),
        _ => exit::NOT_VERIFIED,
    }
}

/// What to say on stderr when nothing was accepted.
pub(crate) fn failure_summary(
    entries: &[Entry],
    predicate_type: Option<&PredicateType>,
) -> Option<String> {
    if entries.iter().any(|e| e.checked.accepted().is_some()) {
        return None;
    }
    let count = match entries.len() {
        1 => "the attestation".to_owned(),
        n => format!("none of the {n} attestations"),
    };
    Some(match exit_code(entries) {
        exit::POLICY_DENIED => format!("{count} passes the policies"),
        exit::NONE_OF_TYPE => {
            let found: Vec<String> = entries
                .iter()
                .filter_map(|e| match &e.checked {
                    Checked::Rejected(AttestationError::OtherType { found, .. }) => {
                        Some(format!("`{found}`"))
                    }
                    _ => None,
                })
                .collect();
            format!(
                "no attestation of type `{}`; verified attestations found are of type {}",
                predicate_type.map_or("(any but an image signature)", PredicateType::as_str),
                found.join(", ")
            )
        }
        _ if entries.len() == 1 => "the attestation does not verify".to_owned(),
        _ => format!("{count} verifies"),
    })
}
