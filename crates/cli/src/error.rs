//! The CLI's own error types: they add the file a library error is about, and carry what
//! [`crate::exit`] maps to an exit code and [`crate::hints`] turns into `hint:` lines.

use std::fmt;
use std::io;

use vouch_blob::{Digest, DigestAlgorithm, SignatureEncoding};
use vouch_keys::{Algorithm, Fingerprint};

/// What a file named on the command line is for, in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Key,
    Signature,
    Data,
    Dir,
    Bundle,
    TrustRoot,
    CaCertificates,
    ClientCertificate,
    /// `sign-blob` / `sign-dir`: the file being signed.
    SignData,
    /// `--password-file`.
    PasswordFile,
    /// A private key file being written.
    NewPrivateKey,
    /// A public key file being written.
    NewPublicKey,
    /// `--output-file`.
    Report,
    /// `--registry-password-file`.
    RegistryPassword,
    /// `--policy`.
    Policy,
    /// `attest-blob --predicate`.
    Predicate,
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Key => "the key file",
            Self::Signature => "the signature file",
            Self::Data => "the file to verify",
            Self::Bundle => "the bundle file",
            Self::TrustRoot => "the trusted root file",
            Self::CaCertificates => "the registry CA certificate file",
            Self::ClientCertificate => "the registry client certificate or key file",
            Self::SignData => "the file to sign",
            Self::PasswordFile => "the password file",
            Self::NewPrivateKey => "the private key file",
            Self::NewPublicKey => "the public key file",
            Self::Dir => "the folder",
            Self::Report => "the report file",
            Self::RegistryPassword => "the registry password file",
            Self::Policy => "the policy file",
            Self::Predicate => "the predicate file",
        })
    }
}

/// Input that could not be read or used: exit code 2.
#[derive(Debug, thiserror::Error)]
pub(crate) enum InputError {
    /// Opening or reading a file failed (missing, permissions, a folder).
    #[error("{path}: cannot read {role}")]
    Read {
        path: String,
        role: Role,
        #[source]
        source: io::Error,
    },
    /// A file is much larger than any file of its role can be.
    #[error("{path}: {role} is over {max} bytes, too large to be a {what}")]
    TooLarge {
        path: String,
        role: Role,
        max: u64,
        what: &'static str,
    },
    /// `--key` is not a usable public key.
    #[error("{path}")]
    Key {
        path: String,
        #[source]
        source: vouch_keys::Error,
    },
    /// The signature file cannot be decoded for the key.
    #[error("{path}")]
    Signature {
        path: String,
        #[source]
        source: vouch_blob::Error,
    },
    /// Reading the data failed part-way.
    #[error("{path}")]
    Data {
        path: String,
        #[source]
        source: vouch_blob::Error,
    },
    /// Flags that do not fit together, beyond what clap checks.
    #[error("{message}")]
    Usage { message: String },
    /// A bundle file that cannot be read as a bundle.
    #[error("{path}")]
    Bundle {
        path: String,
        #[source]
        source: vouch_sigstore::Error,
    },
    /// A trust policy file that cannot be used.
    #[error("{path}")]
    TrustPolicy {
        path: String,
        #[source]
        source: vouch_policy::PolicyError,
    },
    /// A `--trusted-root` that is not a usable trusted root.
    #[error("{path}")]
    TrustRoot {
        path: String,
        #[source]
        source: vouch_sigstore::Error,
    },
    /// `--digest` was given for a key that signs no digest.
    #[error(
        "--digest {} does not apply to {algorithm} keys, which sign the whole file", digest.id()
    )]
    DigestNotApplicable {
        digest: DigestAlgorithm,
        algorithm: Algorithm,
    },
    /// Writing an output file failed; nothing was left behind.
    #[error("{path}: cannot write {role}")]
    Write {
        path: String,
        role: Role,
        #[source]
        source: io::Error,
    },
    /// Of several files written together, some are in place and one failed.
    #[error(
        "{} written, but {failed} was not ({untouched} more left as they were): the files \
         no longer belong together; run the command again",
        written.join(", ")
    )]
    PartlyWritten {
        written: Vec<String>,
        failed: String,
        untouched: usize,
        #[source]
        source: Box<Self>,
    },
    /// Signing failed, or the signature cannot be written in the encoding asked for.
    #[error("{path}")]
    Sign {
        path: String,
        #[source]
        source: vouch_blob::Error,
    },
    /// A private key (`--key` of the signing and key commands) that cannot be read or used.
    #[error("{path}")]
    PrivateKey {
        path: String,
        #[source]
        source: vouch_keys::Error,
        /// Where the password came from, if one was used (for hints).
        password_from: Option<String>,
    },
    /// A key file to write exists, and --force was not given.
    #[error("{path}: {role} already exists")]
    Exists { path: String, role: Role },
    /// No password could be read (no terminal to prompt on, a prompt that failed).
    #[error("cannot read the password: {reason}")]
    Password { reason: String },
    /// The password and its confirmation differ.
    #[error("the two passwords entered do not match")]
    PasswordMismatch,
}

/// Input that was read and checked, and is not verified: exit code 1.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Failure {
    /// A well-formed signature that does not verify.
    #[error("{0}")]
    Mismatch(Mismatch),
    /// `verify-dir` found nothing to verify.
    #[error(
        "no signatures found in {dir} (looked for X.sig.bin and X.sig files next to the data files)"
    )]
    NoSignatures { dir: String },
}

/// Why a well-formed signature does not verify, as far as vouch can tell.
///
/// Displayed without the file name or "signature does not verify"; callers add what fits.
#[derive(Debug, Clone)]
pub(crate) struct Mismatch {
    pub(crate) key: Fingerprint,
    pub(crate) algorithm: Algorithm,
    /// The digest algorithm the signature was checked over.
    pub(crate) digest: DigestAlgorithm,
    /// The input's digest that was checked (`None` for Ed25519, which signs the input itself).
    pub(crate) computed: Option<Digest>,
    /// The encoding the signature decoded from.
    pub(crate) encoding: SignatureEncoding,
    /// Another digest of the same input that the signature does verify over.
    pub(crate) signed_over: Option<DigestAlgorithm>,
    /// Whether the other digests were tried (not possible for standard input).
    pub(crate) rechecked: bool,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(other) = self.signed_over {
            return write!(
                f,
                "the signature was made over {other} of this file, not {}; pass --digest {}",
                self.digest,
                other.id()
            );
        }
        write!(
            f,
            "the file was modified after signing, or it was signed with a different key than \
             {} ({})",
            self.key, self.algorithm
        )?;
        if !self.rechecked && self.algorithm != Algorithm::Ed25519 {
            write!(
                f,
                ", or over another digest than {} (standard input cannot be re-read to check)",
                self.digest
            )?;
        }
        Ok(())
    }
}

impl Mismatch {
    /// The mismatch behind `err`, if that is what it is.
    pub(crate) fn of(err: &anyhow::Error) -> Option<&Self> {
        err.chain()
            .find_map(|cause| match cause.downcast_ref::<Failure>() {
                Some(Failure::Mismatch(mismatch)) => Some(mismatch),
                _ => None,
            })
    }
}
