//! `vouch generate-key-pair`, `vouch import-key-pair` and `vouch public-key`.

use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

use crate::signing::os_rng;
use vouch_keys::{PrivateKey, Zeroizing};

use crate::args::{GenerateKeyPairArgs, ImportKeyPairArgs, KeyFormat, PublicKeyArgs};
use crate::error::{InputError, Role};
use crate::exit::Outcome;
use crate::input;
use crate::output::keys::{self as out, KeyPairReport};
use crate::password::{self, Passwords};
use crate::write::{self, PRIVATE_KEY_MODE, PUBLIC_MODE};
/// What the prompt asks the password of, for a key being written (cosign's wording).
const NEW_KEY_PURPOSE: &str = "private key";

/// `vouch generate-key-pair`.
pub(crate) fn generate(args: &GenerateKeyPairArgs) -> anyhow::Result<Outcome> {
    let (key_path, pub_path) = pair_paths(&args.output_key_prefix);
    refuse_existing(&key_path, Role::NewPrivateKey, args.force)?;
    refuse_existing(&pub_path, Role::NewPublicKey, args.force)?;
    let mut rng = os_rng();
    let key = PrivateKey::generate(args.algorithm.into(), &mut rng)?;
    let (text, format) = match args.key_format {
        KeyFormat::Cosign => {
            let password = password::read_password(NEW_KEY_PURPOSE, true, &args.password)?;
            (
                Zeroizing::new(key.to_cosign_pem(&password, &mut rng)?),
                "cosign",
            )
        }
        KeyFormat::Pkcs8 => (key.to_pkcs8_pem(), "pkcs8"),
    };
    write_pair(&key_path, &text, &pub_path, &key)?;
    out::key_pair_written(
        &KeyPairReport::new(&key_path, format, &pub_path, &key.public_key()),
        args.output.format,
    )?;
    Ok(Outcome::Verified)
}

/// `vouch import-key-pair`.
pub(crate) fn import(args: &ImportKeyPairArgs) -> anyhow::Result<Outcome> {
    let (key_path, pub_path) = pair_paths(&args.output_key_prefix);
    refuse_existing(&key_path, Role::NewPrivateKey, args.force)?;
    refuse_existing(&pub_path, Role::NewPublicKey, args.force)?;
    // Whatever --force says: a prefix naming the input must not replace it.
    for output in [&key_path, &pub_path] {
        write::refuse_input_as_output(output, &[&args.key])?;
    }
    let mut passwords = Passwords::new(&args.password);
    let key = password::read_private_key_with(&args.key, &mut passwords)?;
    let password = passwords.read(NEW_KEY_PURPOSE, true)?;
    let mut rng = os_rng();
    let text = Zeroizing::new(key.to_cosign_pem(&password, &mut rng)?);
    write_pair(&key_path, &text, &pub_path, &key)?;
    out::key_pair_written(
        &KeyPairReport::new(&key_path, "cosign", &pub_path, &key.public_key()),
        args.output.format,
    )?;
    Ok(Outcome::Verified)
}

/// `vouch public-key`.
pub(crate) fn public_key(args: &PublicKeyArgs) -> anyhow::Result<Outcome> {
    if let Some(path) = &args.output_file {
        refuse_existing(path, Role::NewPublicKey, args.force)?;
        // Whatever --force says: the public key must not replace the private key.
        write::refuse_input_as_output(path, &[&args.key])?;
    }
    let key = password::read_private_key(&args.key, &args.password)?;
    let public = key.public_key();
    let pem = public.to_pem();
    match &args.output_file {
        Some(path) => {
            write::stage(path, pem.as_bytes(), Role::NewPublicKey, PUBLIC_MODE)?.commit()?;
            out::public_key_written(path, &public);
        }
        None => out::public_key_pem(&pem)?,
    }
    Ok(Outcome::Verified)
}

/// `PREFIX.key` and `PREFIX.pub`.
fn pair_paths(prefix: &Path) -> (PathBuf, PathBuf) {
    let with = |extension: &str| {
        let mut name = OsString::from(prefix.as_os_str());
        name.push(extension);
        PathBuf::from(name)
    };
    (with(".key"), with(".pub"))
}

/// Refuses to go on if `path` exists and --force was not given (checked before any password is
/// asked for or key made).
fn refuse_existing(path: &Path, role: Role, force: bool) -> Result<(), InputError> {
    if !force && fs::symlink_metadata(path).is_ok() {
        return Err(InputError::Exists {
            path: input::display(path),
            role,
        });
    }
    Ok(())
}

/// Writes the private and the public key in full beside their targets, then puts both in
/// place: a failure while writing (a full disk) leaves the old pair, if any, as it was.
fn write_pair(
    key_path: &Path,
    key_text: &str,
    pub_path: &Path,
    key: &PrivateKey,
) -> Result<(), InputError> {
    let private = write::stage(
        key_path,
        key_text.as_bytes(),
        Role::NewPrivateKey,
        PRIVATE_KEY_MODE,
    )?;
    let public = key.public_key().to_pem();
    let public = write::stage(pub_path, public.as_bytes(), Role::NewPublicKey, PUBLIC_MODE)?;
    write::commit_all(vec![private, public])
}
