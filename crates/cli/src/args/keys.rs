//! Arguments of the key commands and the password sources shared by everything that reads
//! or writes an encrypted private key.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

use super::OutputArg;

// Where a private key's password comes from, shared by every command that reads or writes an
// encrypted private key. Without --password-file: `VOUCH_PASSWORD`, else `COSIGN_PASSWORD`,
// else a prompt on a terminal, else all of standard input (see docs/cli.md, "Passwords").
#[derive(Debug, Args)]
pub(crate) struct PasswordArgs {
    /// Read the private key's password from this file (its contents, without one trailing
    /// newline).
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
}

// Arguments of `vouch generate-key-pair`.
#[derive(Debug, Args)]
pub(crate) struct GenerateKeyPairArgs {
    /// Write `PREFIX.key` and `PREFIX.pub`.
    #[arg(long, value_name = "PREFIX", default_value = "cosign")]
    pub(crate) output_key_prefix: PathBuf,

    /// The key's algorithm.
    #[arg(long, value_enum, value_name = "ALGORITHM", default_value_t = KeyAlgorithm::EcdsaP256)]
    pub(crate) algorithm: KeyAlgorithm,

    /// The private key's format: `cosign` (encrypted with a password, what cosign and skopeo
    /// read) or `pkcs8` (unencrypted PEM `PRIVATE KEY`, what openssl reads).
    #[arg(long = "format", value_enum, value_name = "FORMAT", default_value_t = KeyFormat::Cosign)]
    pub(crate) key_format: KeyFormat,

    /// Overwrite `PREFIX.key` and `PREFIX.pub` if they exist.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,
}

// Arguments of `vouch import-key-pair`.
#[derive(Debug, Args)]
pub(crate) struct ImportKeyPairArgs {
    /// The PEM private key to import: PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA
    /// PRIVATE KEY`, encrypted PKCS#8 `ENCRYPTED PRIVATE KEY` (or DER of these).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Write `PREFIX.key` and `PREFIX.pub` (cosign's default name).
    #[arg(long, value_name = "PREFIX", default_value = "import-cosign")]
    pub(crate) output_key_prefix: PathBuf,

    /// Overwrite `PREFIX.key` and `PREFIX.pub` if they exist.
    #[arg(long, value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,
}

// Arguments of `vouch public-key`.
#[derive(Debug, Args)]
pub(crate) struct PublicKeyArgs {
    /// The private key (any form `import-key-pair` reads, or cosign's encrypted `cosign.key`).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Write the public key to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) output_file: Option<PathBuf>,

    /// Overwrite --output-file if it exists.
    #[arg(long, requires = "output_file", value_name = "BOOL", num_args = 0..=1, require_equals = true, default_missing_value = "true", default_value = "false", hide_default_value = true, value_parser = super::go_bool)]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,
}

/// Values of `generate-key-pair --algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyAlgorithm {
    /// ECDSA over NIST P-256 (cosign's default).
    EcdsaP256,
    /// ECDSA over NIST P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

impl From<KeyAlgorithm> for vouch_keys::Algorithm {
    fn from(value: KeyAlgorithm) -> Self {
        match value {
            KeyAlgorithm::EcdsaP256 => Self::EcdsaP256,
            KeyAlgorithm::EcdsaP384 => Self::EcdsaP384,
            KeyAlgorithm::Ed25519 => Self::Ed25519,
        }
    }
}

/// Values of `generate-key-pair --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyFormat {
    /// cosign's encrypted format (`ENCRYPTED SIGSTORE PRIVATE KEY`: scrypt + NaCl secretbox).
    Cosign,
    /// Unencrypted PKCS#8 PEM (`PRIVATE KEY`), as `openssl genpkey` writes.
    Pkcs8,
}
