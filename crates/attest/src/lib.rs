//! Verify in-toto attestations offline: a DSSE envelope in a Sigstore bundle, signed with a
//! key or keylessly ([`vouch_sigstore`]), whose statement names the artifact's digest as a
//! subject and has the predicate type asked for, then checked by Rego policies.
//!
//! * [`verify_attestation`] checks one bundle completely, the signature first; the caller
//!   decides what several attestations add up to. An attestation of another type, about
//!   another artifact, or unsigned never passes for the type asked (the class of
//!   CVE-2022-35929): each is its own [`AttestationError`].
//! * [`Statement`] reads in-toto statements v0.1 and v1 strictly (no duplicate or
//!   case-ambiguous keys, bounded memory), from any bytes, without panicking.
//! * [`PredicateType`] takes cosign's short names (`slsaprovenance1`, `spdxjson`, …) or URIs.
//! * [`RegoPolicy`] evaluates cosign's Rego convention (`package signature`, `allow`), or
//!   policy-controller's (`package sigstore`, `isCompliant`: [`RegoConvention`]), with regorus,
//!   bounded in time.
//!
//! * [`statement_v1`] writes the statement a signer signs (`vouch attest-blob`).
//!
//! The crate is synchronous and does no I/O.

mod predicate;
mod rego;
mod statement;
mod verify;
mod write;

pub use predicate::{PredicateType, SHORT_NAMES, UnknownPredicateType};
pub use rego::{PolicyError, PolicyVerdict, RegoConvention, RegoPolicy};
pub use statement::{STATEMENT_TYPES, Statement, StatementError, Subject, subject_digests};
pub use verify::{
    AttestationError, AttestationPolicy, IN_TOTO_PAYLOAD_TYPE, Unverified, VerifiedAttestation,
    signature_category, verify_attestation,
};
pub use write::{custom_predicate, statement_v1};
