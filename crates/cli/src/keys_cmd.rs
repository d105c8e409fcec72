//! `vouch generate-key-pair`, `vouch import-key-pair` and `vouch public-key`.

use std::ffi::OsString;
use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use vouch_keys::rand_core::UnwrapErr;
use vouch_keys::{PrivateKey, Zeroizing};

use crate::cli::{GenerateKeyPairArgs, ImportKeyPairArgs, KeyFormat, PublicKeyArgs};
use crate::error::{InputError, Role};
use crate::exit::Outcome;
use crate::input;
use crate::output::keys::{self as out, KeyPairReport};
use crate::password::{self, Passwords};

/// Mode of private key files (cosign's): owner read and write only.
const PRIVATE_KEY_MODE: u32 = 0o600;
/// Mode of public key files.
const PUBLIC_KEY_MODE: u32 = 0o644;
/// What the prompt asks the password of, for a key being written (cosign's wording).
const NEW_KEY_PURPOSE: &str = "private key";

/// The operating system's random generator, for keys, salts and nonces.
///
/// `UnwrapErr` panics if the OS generator fails, which leaves nothing sensible to do.
pub(crate) fn os_rng() -> UnwrapErr<getrandom::SysRng> {
    UnwrapErr(getrandom::SysRng)
}

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
    write_pair(&key_path, &text, &pub_path, &key, args.force)?;
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
    let mut passwords = Passwords::new(&args.password);
    let key = password::read_private_key_with(&args.key, &mut passwords)?;
    let password = passwords.read(NEW_KEY_PURPOSE, true)?;
    let mut rng = os_rng();
    let text = Zeroizing::new(key.to_cosign_pem(&password, &mut rng)?);
    write_pair(&key_path, &text, &pub_path, &key, args.force)?;
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
    }
    let key = password::read_private_key(&args.key, &args.password)?;
    let public = key.public_key();
    let pem = public.to_pem();
    match &args.output_file {
        Some(path) => {
            write_file(
                path,
                pem.as_bytes(),
                PUBLIC_KEY_MODE,
                Role::NewPublicKey,
                args.force,
            )?;
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

/// Writes the private key, then the public key; if the public key cannot be written, the
/// private key just written is removed again, so a failure leaves no half pair.
fn write_pair(
    key_path: &Path,
    key_text: &str,
    pub_path: &Path,
    key: &PrivateKey,
    force: bool,
) -> Result<(), InputError> {
    write_file(
        key_path,
        key_text.as_bytes(),
        PRIVATE_KEY_MODE,
        Role::NewPrivateKey,
        force,
    )?;
    let public = key.public_key().to_pem();
    if let Err(err) = write_file(
        pub_path,
        public.as_bytes(),
        PUBLIC_KEY_MODE,
        Role::NewPublicKey,
        force,
    ) {
        let _ignored = fs::remove_file(key_path);
        return Err(err);
    }
    Ok(())
}

/// Creates `path` with `mode` (on Unix) and writes `contents`. With `force`, an existing file
/// is removed first, so the new file gets `mode` rather than keeping the old file's.
fn write_file(
    path: &Path,
    contents: &[u8],
    mode: u32,
    role: Role,
    force: bool,
) -> Result<(), InputError> {
    let write_error = |source| InputError::Write {
        path: input::display(path),
        role,
        source,
    };
    if force {
        match fs::remove_file(path) {
            Err(err) if err.kind() != io::ErrorKind::NotFound => return Err(write_error(err)),
            _ => {}
        }
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|err| {
        if err.kind() == io::ErrorKind::AlreadyExists {
            InputError::Exists {
                path: input::display(path),
                role,
            }
        } else {
            write_error(err)
        }
    })?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(write_error)
}
