//! `vouch sign-blob`: one file signed with a private key, as cosign and openssl write
//! signatures; and what `sign-dir` shares with it (reading the key, signing a file, writing
//! files atomically).

use std::path::Path;

use vouch_blob::{DigestAlgorithm, SignatureEncoding};
use vouch_keys::{Algorithm, PrivateKey};

use crate::args::{SignBlobArgs, SignFormat};
use crate::data::{Data, Progress};
use crate::error::{InputError, Role};
use crate::exit::Outcome;
use crate::input;
use crate::output;
use crate::password;
use crate::signing::sign_data;
use crate::write::{self, PUBLIC_MODE};

/// How every encrypted PEM private key starts (PKCS#8 and cosign's).
const ENCRYPTED_LABEL: &[u8] = b"-----BEGIN ENCRYPTED ";

/// Runs the command: signs, then writes every output or none.
pub(crate) fn run(args: &SignBlobArgs) -> anyhow::Result<Outcome> {
    let digest = args.digest.map(DigestAlgorithm::from);
    let data = Data::from_arg(&args.file);
    if matches!(data, Data::Stdin) && password_from_stdin(args)? {
        return Err(InputError::Usage {
            message: format!(
                "{} is encrypted and its password would be read from standard input, which \
                 `-` needs for the data: pass --password-file, or set VOUCH_PASSWORD",
                input::display(&args.key)
            ),
        }
        .into());
    }
    let key = password::read_private_key(&args.key, &args.password)?;
    input::check_digest_applies(&key.public_key(), digest)?;
    let digest = digest.unwrap_or_default();
    // `-` and `/dev/stdout` mean standard output, as if no file were named.
    let output_signature = args
        .output_signature
        .as_deref()
        .filter(|path| !is_stdout(path));
    let encoding = encoding(args.signature_format, output_signature, &key);
    if encoding == SignatureEncoding::Der && !is_ecdsa(key.algorithm()) {
        // Before reading a possibly large input.
        return Err(InputError::Sign {
            path: input::display(&args.key),
            source: vouch_blob::Error::AlgorithmMismatch {
                algorithm: key.algorithm(),
                encoding,
            },
        }
        .into());
    }
    for output in [output_signature, args.bundle.as_deref()]
        .into_iter()
        .flatten()
    {
        write::refuse_input_as_output(output, &[&args.key, &args.file])?;
    }
    if let (Some(signature), Some(bundle)) = (output_signature, args.bundle.as_deref())
        && signature == bundle
    {
        return Err(InputError::Usage {
            message: "--output-signature and --bundle name the same file".to_owned(),
        }
        .into());
    }

    let signed = sign_data(&key, data, digest, Progress::IfLarge)?;
    let signature = signed.encode(encoding).map_err(|source| InputError::Sign {
        path: input::display(&args.key),
        source,
    })?;
    // Both files are complete on disk before either is put in place.
    let mut staged = Vec::new();
    if let Some(out) = output_signature {
        staged.push(write::stage(out, &signature, Role::Signature, PUBLIC_MODE)?);
    }
    if let Some(out) = &args.bundle {
        let bundle = vouch_sigstore::key_bundle_v03(
            signed.public_key(),
            signed.digest(),
            signed.signature(),
        );
        staged.push(write::stage(
            out,
            bundle.as_bytes(),
            Role::Bundle,
            PUBLIC_MODE,
        )?);
    }
    write::commit_all(staged)?;
    if let Some(out) = output_signature {
        output::wrote_signature(out, encoding, signature.len());
    }
    if let Some(out) = &args.bundle {
        output::wrote_bundle(out);
    }
    if output_signature.is_none() && (args.bundle.is_none() || args.output_signature.is_some()) {
        output::signature(&signature, encoding)?;
    }
    Ok(Outcome::Verified)
}

fn is_stdout(path: &Path) -> bool {
    path == Path::new("-") || path == Path::new("/dev/stdout")
}

/// The encoding to write: `--signature-format`, else binary for an `X.sig.bin` file (DER for
/// ECDSA as openssl writes it, raw for Ed25519 and RSA), else base64 (cosign).
fn encoding(
    format: Option<SignFormat>,
    output: Option<&Path>,
    key: &PrivateKey,
) -> SignatureEncoding {
    if let Some(format) = format {
        return format.encoding();
    }
    let binary =
        output.is_some_and(|path| path.as_os_str().to_string_lossy().ends_with(".sig.bin"));
    match (binary, is_ecdsa(key.algorithm())) {
        (true, true) => SignatureEncoding::Der,
        (true, false) => SignatureEncoding::Raw,
        (false, _) => SignatureEncoding::Base64,
    }
}

fn is_ecdsa(algorithm: Algorithm) -> bool {
    matches!(algorithm, Algorithm::EcdsaP256 | Algorithm::EcdsaP384)
}

/// Whether an encrypted `--key` would take its password from standard input, which `-` (the
/// data) needs.
fn password_from_stdin(args: &SignBlobArgs) -> Result<bool, InputError> {
    if !password::Passwords::new(&args.password).reads_stdin() {
        return Ok(false);
    }
    let bytes = input::read_key_bytes(&args.key, "private key")?;
    Ok(bytes
        .windows(ENCRYPTED_LABEL.len())
        .any(|w| w == ENCRYPTED_LABEL))
}
