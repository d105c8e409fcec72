//! Exit codes: 0 verified, 1 not verified, 2 bad input or usage (clap exits 2 on its own).
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

/// What a command concluded, when it did not fail outright.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Verified,
    NotVerified,
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> Self {
        Self::from(match outcome {
            Outcome::Verified => VERIFIED,
            Outcome::NotVerified => NOT_VERIFIED,
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
        if let Some(err) = cause.downcast_ref::<vouch_blob::Error>() {
            return match err {
                vouch_blob::Error::SignatureMismatch { .. } => NOT_VERIFIED,
                _ => BAD_INPUT,
            };
        }
    }
    BAD_INPUT
}

/// Whether an error means "checked, and not verified" rather than "could not check".
pub(crate) fn is_not_verified(err: &anyhow::Error) -> bool {
    code(err) == NOT_VERIFIED
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
    fn unknown_errors_are_bad_input() {
        assert_eq!(code(&anyhow::anyhow!("something else")), BAD_INPUT);
    }
}
