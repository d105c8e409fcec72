//! Private keys' passwords, and reading private keys that may need one.
//!
//! Sources, first one present wins (docs/cli.md, "Passwords"):
//!
//! 1. `--password-file FILE`: the file's contents without one trailing newline (`\n` or `\r\n`);
//! 2. `VOUCH_PASSWORD`, then `COSIGN_PASSWORD` (cosign's variable, so cosign scripts work
//!    unchanged); set but empty is the empty password, as in cosign;
//! 3. a prompt on the terminal when standard input is one (asked twice when creating a key);
//! 4. all of standard input, as cosign reads it (`io.ReadAll`): a trailing newline is part of
//!    the password, so `echo pw | vouch …` uses `pw\n`, exactly as `echo pw | cosign …` does.
//!
//! Passwords live in [`Zeroizing`] buffers and are never printed.

use std::io::{self, IsTerminal as _, Read as _};
use std::path::Path;

use vouch_keys::{PrivateKey, Zeroizing};

use crate::args::PasswordArgs;
use crate::error::{InputError, Role};
use crate::{input, output};

/// Passwords are short; a larger file or input is a mistake (a key or data file).
const MAX_PASSWORD_LEN: u64 = 64 << 10;

/// vouch's own password variable, read first.
pub(crate) const VOUCH_PASSWORD: &str = "VOUCH_PASSWORD";
/// cosign's password variable, read when `VOUCH_PASSWORD` is not set.
pub(crate) const COSIGN_PASSWORD: &str = "COSIGN_PASSWORD";

/// The order [`Passwords`] tries its sources in, for messages.
pub(crate) const SOURCE_ORDER: &str = "--password-file, else VOUCH_PASSWORD, else \
                                       COSIGN_PASSWORD, else a prompt on a terminal, else all \
                                       of standard input";

/// Reads passwords from the configured source. Standard input can be read only once, so what
/// it gave is kept for a second password of the same command (import-key-pair's input and
/// output keys).
pub(crate) struct Passwords<'a> {
    args: &'a PasswordArgs,
    stdin: Option<Zeroizing<Vec<u8>>>,
}

/// Never shows the password.
impl std::fmt::Debug for Passwords<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Passwords")
            .field("args", self.args)
            .field("stdin", &self.stdin.as_ref().map(|_| "[redacted]"))
            .finish()
    }
}

impl<'a> Passwords<'a> {
    pub(crate) fn new(args: &'a PasswordArgs) -> Self {
        Self { args, stdin: None }
    }

    /// Whether the password would be read from standard input (which `-` data then needs).
    pub(crate) fn reads_stdin(&self) -> bool {
        matches!(self.source_kind(), Source::Stdin)
    }

    /// Where the password comes from: the one list of sources, in order ([`SOURCE_ORDER`]).
    fn source_kind(&self) -> Source<'a> {
        if let Some(path) = &self.args.password_file {
            return Source::File(path);
        }
        for name in [VOUCH_PASSWORD, COSIGN_PASSWORD] {
            if env_password(name).is_some() {
                return Source::Variable(name);
            }
        }
        if io::stdin().is_terminal() {
            Source::Terminal
        } else {
            Source::Stdin
        }
    }

    /// A password for `purpose` (as in "Enter password for `purpose`: "); `confirm` asks twice
    /// on a terminal (when creating a key). A new key's password read from standard input must
    /// not be empty: an empty standard input is a script that forgot the password, not one
    /// that asked for none (an empty variable or file asks for none explicitly).
    pub(crate) fn read(
        &mut self,
        purpose: &str,
        confirm: bool,
    ) -> Result<Zeroizing<Vec<u8>>, InputError> {
        match self.source_kind() {
            Source::File(path) => read_password_file(path),
            Source::Variable(name) => env_password(name).ok_or_else(|| InputError::Usage {
                message: format!("{name} changed while vouch ran"),
            }),
            Source::Terminal => prompt(purpose, confirm),
            Source::Stdin => {
                let password = match &self.stdin {
                    Some(password) => password.clone(),
                    None => {
                        let password = read_all_stdin()?;
                        self.stdin = Some(password.clone());
                        password
                    }
                };
                if confirm && password.is_empty() {
                    return Err(InputError::Usage {
                        message: format!(
                            "no password for the new {purpose}: standard input is not a terminal \
                             and gave nothing. Set COSIGN_PASSWORD or VOUCH_PASSWORD, or pass \
                             --password-file; to write the key without a password, say so \
                             explicitly with an empty variable (COSIGN_PASSWORD=) or an empty file"
                        ),
                    });
                }
                Ok(password)
            }
        }
    }

    /// Where [`Passwords::read`] takes the password from, for hints.
    fn source(&self) -> String {
        match self.source_kind() {
            Source::File(path) => format!("--password-file {}", input::display(path)),
            Source::Variable(name) => name.to_owned(),
            Source::Terminal => "the terminal".to_owned(),
            Source::Stdin => {
                "standard input (all of it, a trailing newline included, as cosign reads it)"
                    .to_owned()
            }
        }
    }
}

/// The sources of a password, in the order they are tried.
enum Source<'a> {
    File(&'a Path),
    Variable(&'static str),
    Terminal,
    Stdin,
}

/// A password for `purpose`, from the first source present (see the module documentation).
/// `confirm` asks twice on a terminal, for a key being created.
pub(crate) fn read_password(
    purpose: &str,
    confirm: bool,
    args: &PasswordArgs,
) -> Result<Zeroizing<Vec<u8>>, InputError> {
    Passwords::new(args).read(purpose, confirm)
}

/// Reads a private key file (`--key` of the signing and key commands), asking for its password
/// only if it is encrypted.
pub(crate) fn read_private_key(path: &Path, args: &PasswordArgs) -> Result<PrivateKey, InputError> {
    read_private_key_with(path, &mut Passwords::new(args))
}

/// [`read_private_key`] with a shared [`Passwords`].
pub(crate) fn read_private_key_with(
    path: &Path,
    passwords: &mut Passwords<'_>,
) -> Result<PrivateKey, InputError> {
    let bytes = input::read_key_bytes(path, "private key")?;
    let key_error = |source, password_from| InputError::PrivateKey {
        path: input::display(path),
        source,
        password_from,
    };
    match PrivateKey::from_bytes(&bytes, None) {
        Err(vouch_keys::Error::PasswordRequired { .. }) => {}
        other => return other.map_err(|source| key_error(source, None)),
    }
    let password = passwords.read(&input::display(path), false)?;
    PrivateKey::from_bytes(&bytes, Some(&password))
        .map_err(|source| key_error(source, Some(passwords.source())))
}

fn read_password_file(path: &Path) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let mut password = input::read_secret(path, Role::PasswordFile, MAX_PASSWORD_LEN, "password")?;
    if password.last() == Some(&b'\n') {
        password.pop();
        if password.last() == Some(&b'\r') {
            password.pop();
        }
    }
    Ok(password)
}

#[expect(
    clippy::disallowed_methods,
    reason = "the CLI reads the environment: VOUCH_PASSWORD and cosign's COSIGN_PASSWORD"
)]
fn env_password(name: &str) -> Option<Zeroizing<Vec<u8>>> {
    std::env::var_os(name).map(|value| Zeroizing::new(value.into_encoded_bytes()))
}

fn prompt(purpose: &str, confirm: bool) -> Result<Zeroizing<Vec<u8>>, InputError> {
    let failed = |err: io::Error| InputError::Password {
        reason: format!("the terminal prompt failed ({err})"),
    };
    let first = output::keys::prompt_password(&format!("Enter password for {purpose}: "))
        .map_err(failed)?;
    if confirm {
        let again = output::keys::prompt_password(&format!("Enter password for {purpose} again: "))
            .map_err(failed)?;
        if *again != *first {
            return Err(InputError::PasswordMismatch);
        }
    }
    Ok(Zeroizing::new(first.as_bytes().to_vec()))
}

fn read_all_stdin() -> Result<Zeroizing<Vec<u8>>, InputError> {
    let mut password = Zeroizing::new(Vec::with_capacity(256));
    io::stdin()
        .lock()
        .take(MAX_PASSWORD_LEN + 1)
        .read_to_end(&mut password)
        .map_err(|err| InputError::Password {
            reason: format!("reading standard input failed ({err})"),
        })?;
    if u64::try_from(password.len()).map_or(true, |len| len > MAX_PASSWORD_LEN) {
        return Err(InputError::Password {
            reason: format!(
                "standard input is over {MAX_PASSWORD_LEN} bytes, too long for a password"
            ),
        });
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    #[test]
    fn one_trailing_newline_is_stripped_from_password_files() {
        let dir = tempfile::tempdir().unwrap();
        for (contents, expected) in [
            (&b"secret"[..], &b"secret"[..]),
            (b"secret\n", b"secret"),
            (b"secret\r\n", b"secret"),
            (b"secret\n\n", b"secret\n"),
            (b"", b""),
            (b"\n", b""),
            (b" pass word \n", b" pass word "),
        ] {
            let path: PathBuf = dir.path().join("pw");
            std::fs::write(&path, contents).unwrap();
            assert_eq!(read_password_file(&path).unwrap().as_slice(), expected);
        }
    }
}
