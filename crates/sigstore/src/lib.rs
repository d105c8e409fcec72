//! Verify Sigstore bundles offline: signed with a key or keylessly, with their
//! transparency-log proofs and timestamps checked against trust material you hold.
//!
//! * Sigstore bundles v0.1, v0.2 and v0.3 (`messageSignature` and `dsseEnvelope`), and legacy
//!   cosign blob bundles (`{"base64Signature","cert","rekorBundle"}`), converted to v0.1.
//! * Key policies ([`Policy::key`]) and keyless identities ([`Policy::identity`]), exact or by
//!   anchored regular expression ([`Matcher::regex`]), and the Fulcio certificate extensions a
//!   keyless certificate must carry ([`Policy::require_extension`]).
//! * The public-good production trust root is embedded ([`TrustRoot::production`]); nothing
//!   is ever fetched. A transparency-log entry is required unless the policy says
//!   [`Policy::insecure_ignore_tlog`].
//! * Writing: [`key_bundle_v03`] puts a key-signed message signature (from `vouch-blob`'s
//!   signing functions) into a v0.3 bundle with a public-key hint and no log entry.
//!
//! The cryptographic checks are sigstore-verify's (sigstore-rust), built without its TUF
//! client, except RFC 3161 timestamps: vouch verifies those itself (`timestamp`), because
//! sigstore-tsa 0.15.1 cannot decode a `genTime` with fractional seconds. See
//! `docs/dependencies.md` for why, and for what else this crate adds.
//!
//! * Untrusted JSON is read strictly and with bounded memory ([`check_json`]): a key twice in
//!   any object is refused, as Go's protojson refuses it in cosign.
//!
//! The crate is synchronous and does no I/O other than through the caller's `Read`.

mod bundle;
mod chain;
mod cosign_attestation;
mod error;
mod extension;
mod json;
mod policy;
mod timestamp;
mod trust_root;
mod unlogged;
mod verify;
mod write;

// Public API
pub use bundle::{Bundle, BundleFormat, MAX_BUNDLE_BYTES};
pub use error::{Error, Result};
pub use extension::Extension;
pub use json::{JsonError, MAX_STATEMENT_COST, check_json, json_cost};
pub use policy::{Matcher, Policy, Signer};
pub use trust_root::TrustRoot;
pub use verify::{VerifiedBundle, Verifier};
pub use write::{BUNDLE_V03_MEDIA_TYPE, dsse_pae, key_bundle_v03, key_dsse_bundle_v03};
