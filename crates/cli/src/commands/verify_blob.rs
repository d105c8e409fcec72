//! `vouch verify-blob`: one file, one signature, openssl-compatible output.

use std::path::Path;

use vouch_blob::VerifiedBlob;
use vouch_keys::PublicKey;

use crate::args::{OutputFormat, VerifyBlobArgs};
use crate::data::{self, Data, Progress};
use crate::error::{Failure, InputError};
use crate::exit::{self, Outcome};
use crate::file_reading;
use crate::input;
use crate::output::{self, BlobReport};

/// Runs the command. Prints the verdict on stdout; the caller prints the error, if any.
pub(crate) fn run(args: &VerifyBlobArgs) -> anyhow::Result<Outcome> {
    // clap requires both without --bundle.
    let (Some(key_path), Some(signature_path)) = (&args.key, &args.signature) else {
        return Err(InputError::Usage {
            message: "verify-blob needs --key and --signature, or --bundle".to_owned(),
        }
        .into());
    };
    if let Some((extension, _)) =
        crate::signer::workflow_extensions(&args.sigstore.workflow).first()
    {
        return Err(InputError::Usage {
            message: format!(
                "certificate extension {extension}: a detached --signature has no certificate; \
                 verify a keyless --bundle with it"
            ),
        }
        .into());
    }
    let mut key = None;
    let result = check(args, key_path, signature_path, &mut key);
    match args.output.format {
        OutputFormat::Text => match &result {
            Ok(_) => output::verified_ok()?,
            Err(err) if exit::is_not_verified(err) => output::verification_failure()?,
            Err(_) => {}
        },
        OutputFormat::Json => output::json(&BlobReport::new(
            args,
            key_path,
            signature_path,
            key.as_ref(),
            &result,
        ))?,
    }
    result.map(|_| Outcome::Verified)
}

/// Reads the key, then the signature, then streams the data. `key` is filled in as soon as
/// it is parsed, so the report can show it whatever happens next.
fn check(
    args: &VerifyBlobArgs,
    key_path: &Path,
    signature_path: &Path,
    key: &mut Option<PublicKey>,
) -> anyhow::Result<VerifiedBlob> {
    let key = key.insert(input::read_key(key_path)?);
    input::check_digest_applies(key, args.digest.value.map(Into::into))?;
    let signature = input::read_signature(
        signature_path,
        args.signature_format.encoding(),
        args.digest.algorithm(),
    )?;
    let data = Data::from_arg(&args.file);
    let reading = file_reading::choose()?;
    data::verify_data(
        key,
        &signature,
        signature_path,
        data,
        Progress::IfLarge,
        reading,
    )
    .map_err(|err| {
        // The other errors name their file already; a mismatch is about the data file.
        if err.is::<Failure>() {
            err.context(format!("{}: signature does not verify", data.display()))
        } else {
            err
        }
    })
}
