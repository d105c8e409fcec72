//! Exit codes: 0 verified, 1 not verified, 2 bad input or usage (clap exits 2 on its own);
//! 3–8 bundle reasons; for images cosign's 10–12, 13 for a lookup that failed and 14 for
//! signatures that could not be checked.
//!
//! [`code`] is the one place an error becomes an exit code.

use std::io;
use std::process::ExitCode;

use crate::error::{Failure, InputError};

/// Every signature checked is valid.
pub(crate) const VERIFIED: u8 = 0;
/// Input was read and checked, and is not verified.
pub(crate) const NOT_VERIFIED: u8 = 1;
/// Input could not be read or used, or the command line is wrong.
pub(crate) const BAD_INPUT: u8 = 2;
/// `--bundle`: the certificate is for another identity or issuer.
pub(crate) const IDENTITY_MISMATCH: u8 = 3;
/// `--bundle`: no transparency-log entry, and --insecure-ignore-tlog not given.
pub(crate) const LOG_ENTRY_MISSING: u8 = 4;
/// `--bundle`: the log entry or its proofs do not verify, or describe another signature.
pub(crate) const LOG_PROOF_INVALID: u8 = 5;
/// `--bundle`: the certificate was not valid when the signature was logged or stamped.
pub(crate) const CERTIFICATE_EXPIRED: u8 = 6;
/// `--bundle`: the certificate does not chain to the trust root (or its SCT is invalid).
pub(crate) const UNTRUSTED_ROOT: u8 = 7;
/// `--bundle`: an RFC 3161 timestamp does not verify.
pub(crate) const TIMESTAMP_INVALID: u8 = 8;

/// Attestations: some verify, and none is of the type asked (`--type`). Its own code, so that
/// "attested, but not with what you require" is never read as "attested".
pub(crate) const NONE_OF_TYPE: u8 = 15;
/// Attestations: some of the type verify, and a policy denies each of them.
pub(crate) const POLICY_DENIED: u8 = 16;

/// `sign-dir`: some files could not be signed; the others were.
pub(crate) const NOT_SIGNED: u8 = 1;

/// Image commands: no signature found for the image, in any place signatures live (cosign's
/// 10, "no signature").
pub(crate) const NO_SIGNATURES: u8 = 10;
/// Image commands: the registry has no such image or tag (cosign's 11, "non-existent tag").
pub(crate) const IMAGE_NOT_FOUND: u8 = 11;
/// Image commands: signatures were found and none is valid for the key or identity (cosign's
/// 12, "no matching signature").
pub(crate) const NONE_VALID: u8 = 12;
/// Image commands: the registry could not be asked, or its answers could not be trusted
/// (network, TLS, authentication, throttling, bytes not matching their digest). Outside
/// cosign's range, so that a cosign script never reads an outage as a verdict.
pub(crate) const LOOKUP_FAILED: u8 = 13;
/// Image commands: no signature is valid, and some could not be checked because they are over
/// vouch's limits: not known to be unsigned, nor signed only by others.
pub(crate) const UNCHECKED: u8 = 14;

/// Of two image outcomes, the one a run over several images exits with: a verdict about an
/// image outranks failing to reach one, and a signature that does not verify (possible
/// tampering) outranks everything.
pub(crate) fn worst(a: u8, b: u8) -> u8 {
    fn rank(code: u8) -> u8 {
        match code {
            VERIFIED => 0,
            LOOKUP_FAILED => 1,
            BAD_INPUT => 2,
            IMAGE_NOT_FOUND => 3,
            NO_SIGNATURES => 4,
            UNCHECKED => 6,
            NONE_VALID => 7,
            // Anything else (a bundle reason, 1) is a failed verification too.
            _ => 5,
        }
    }
    if rank(b) > rank(a) { b } else { a }
}

/// What a command concluded, when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Verified,
    NotVerified,
    /// A command over several items that reported each itself: the exit code they add up to.
    Code(u8),
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        Self::from(match outcome {
            Outcome::Verified => VERIFIED,
            Outcome::NotVerified => NOT_VERIFIED,
            Outcome::Code(code) => code,
        })
    }
}

/// The exit code for an error, from the first cause in its chain that we know.
///
/// Only a signature that was decoded and checked and did not verify (or a folder with nothing
/// to verify) is "not verified"; everything else is bad input.
pub(crate) fn code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.is::<Failure>() {
            return NOT_VERIFIED;
        }
        if cause.is::<InputError>() || cause.is::<vouch_keys::Error>() || cause.is::<io::Error>() {
            return BAD_INPUT;
        }
        if let Some(err) = cause.downcast_ref::<vouch_sigstore::Error>() {
            return bundle_code(err);
        }
        if let Some(code) = image_code(cause) {
            return code;
        }
        if let Some(err) = cause.downcast_ref::<vouch_blob::Error>() {
            return match err {
                vouch_blob::Error::SignatureMismatch { .. } => NOT_VERIFIED,
                _ => BAD_INPUT,
            };
        }
    }
    BAD_INPUT
}

/// The exit code for a bundle that was checked and not accepted, by reason.
pub(crate) fn bundle_code(err: &vouch_sigstore::Error) -> u8 {
    use vouch_sigstore::Error as E;
    match err {
        E::SignatureInvalid { .. } | E::MaterialMismatch { .. } => NOT_VERIFIED,
        E::IdentityMismatch { .. } => IDENTITY_MISMATCH,
        E::LogEntryMissing => LOG_ENTRY_MISSING,
        E::LogProofInvalid { .. } => LOG_PROOF_INVALID,
        E::CertificateExpired { .. } => CERTIFICATE_EXPIRED,
        E::UntrustedRoot { .. } => UNTRUSTED_ROOT,
        E::TimestampInvalid { .. } => TIMESTAMP_INVALID,
        _ => BAD_INPUT,
    }
}

/// The exit code for an image lookup or verification error, if `cause` is one.
fn image_code(cause: &(dyn std::error::Error + 'static)) -> Option<u8> {
    use vouch_oci::{
        Error as Lookup, ImageVerifyError, LayoutError, LayoutLookupFailure, LookupFailure,
        RegistryError,
    };
    let lookup_code = |err: &Lookup| match err {
        Lookup::ImageNotFound { .. } => IMAGE_NOT_FOUND,
        Lookup::InvalidReference { .. } | Lookup::PlatformNotFound { .. } => BAD_INPUT,
        // What the registry sent cannot be trusted or used: a failed lookup, never "unsigned".
        _ => LOOKUP_FAILED,
    };
    if let Some(err) = cause.downcast_ref::<ImageVerifyError>() {
        return Some(match err {
            ImageVerifyError::NoSignatures { .. } => NO_SIGNATURES,
            // Signatures found, none valid; with some over vouch's limits, not known to be signed
            // only by others: its own code. Never "unsigned".
            ImageVerifyError::Unchecked { .. } => UNCHECKED,
            _ => NONE_VALID,
        });
    }
    if let Some(err) = cause.downcast_ref::<LookupFailure>() {
        return Some(match err {
            LookupFailure::Lookup(err) => lookup_code(err),
            _ => LOOKUP_FAILED,
        });
    }
    if cause.is::<RegistryError>() {
        return Some(LOOKUP_FAILED);
    }
    if let Some(err) = cause.downcast_ref::<LayoutLookupFailure>() {
        return Some(match err {
            LayoutLookupFailure::Lookup(err) => lookup_code(err),
            LayoutLookupFailure::Layout(err) => layout_code(err),
            _ => LOOKUP_FAILED,
        });
    }
    if let Some(err) = cause.downcast_ref::<LayoutError>() {
        return Some(layout_code(err));
    }
    if cause.is::<crate::docker_archive::NotTheSignedImage>() {
        return Some(NONE_VALID);
    }
    if let Some(err) = cause.downcast_ref::<vouch_oci::copy::CopyError>() {
        use vouch_oci::copy::CopyError as C;
        return Some(match err {
            C::Layout(err) => layout_code(err),
            C::Lookup(err) => lookup_code(err),
            C::Conflict(_) | C::Unsupported(_) => BAD_INPUT,
            _ => LOOKUP_FAILED,
        });
    }
    cause.downcast_ref::<Lookup>().map(lookup_code)
}

/// A layout that cannot be read or is no layout is bad input; an image it does not hold is
/// "not found", as in a registry; a layout whose bytes are not what they claim, or a hostile
/// archive, is a failed lookup, never "unsigned".
fn layout_code(err: &vouch_oci::LayoutError) -> u8 {
    use vouch_oci::LayoutError as E;
    match err {
        E::Io { .. } | E::NotALayout { .. } => BAD_INPUT,
        E::ImageNotFound { .. } => IMAGE_NOT_FOUND,
        _ => LOOKUP_FAILED,
    }
}

/// Whether an error means "checked, and not verified" rather than "could not check".
pub(crate) fn is_not_verified(err: &anyhow::Error) -> bool {
    code(err) != BAD_INPUT
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Role;

    #[test]
    fn io_errors_are_bad_input_even_under_context() {
        let err = anyhow::Error::new(io::Error::from(io::ErrorKind::BrokenPipe))
            .context("writing to standard output");
        assert_eq!(code(&err), BAD_INPUT);
    }

    #[test]
    fn no_signatures_is_not_verified() {
        let err = anyhow::Error::new(Failure::NoSignatures { dir: "d".into() });
        assert!(is_not_verified(&err));
    }

    #[test]
    fn input_errors_are_bad_input() {
        let err = anyhow::Error::new(InputError::Read {
            path: "k".into(),
            role: Role::Key,
            source: io::Error::from(io::ErrorKind::NotFound),
        });
        assert_eq!(code(&err), BAD_INPUT);
    }

    #[test]
    fn the_worst_image_outcome_wins_whatever_the_order() {
        let codes = [
            VERIFIED,
            LOOKUP_FAILED,
            BAD_INPUT,
            IMAGE_NOT_FOUND,
            NO_SIGNATURES,
            NONE_VALID,
        ];
        for (i, &a) in codes.iter().enumerate() {
            for &b in &codes[i..] {
                assert_eq!(worst(a, b), b, "{a} then {b}");
                assert_eq!(worst(b, a), b, "{b} then {a}");
            }
        }
    }

    #[test]
    fn unknown_errors_are_bad_input() {
        assert_eq!(code(&anyhow::anyhow!("something else")), BAD_INPUT);
    }
}
