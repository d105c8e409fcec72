//! `vouch verify-blob`: one file, one signature, openssl-compatible output.

use vouch_blob::VerifiedBlob;
use vouch_keys::PublicKey;

use crate::cli::{OutputFormat, VerifyBlobArgs};
use crate::error::Failure;
use crate::exit::{self, Outcome};
use crate::input;
use crate::output::{self, BlobReport};
use crate::verify::{self, Data, Progress};

/// Runs the command. Prints the verdict on stdout; the caller prints the error, if any.
pub(crate) fn run(args: &VerifyBlobArgs) -> anyhow::Result<Outcome> {
    let mut key = None;
    let result = check(args, &mut key);
    match args.output.format {
        OutputFormat::Text => match &result {
            Ok(_) => output::verified_ok()?,
            Err(err) if exit::is_not_verified(err) => output::verification_failure()?,
            Err(_) => {}
        },
        OutputFormat::Json => output::json(&BlobReport::new(args, key.as_ref(), &result))?,
    }
    result.map(|_| Outcome::Verified)
}

/// Reads the key, then the signature, then streams the data. `key` is filled in as soon as
/// it is parsed, so the report can show it whatever happens next.
fn check(args: &VerifyBlobArgs, key: &mut Option<PublicKey>) -> anyhow::Result<VerifiedBlob> {
    let key = key.insert(input::read_key(&args.key)?);
    input::check_digest_applies(key, args.digest.value.map(Into::into))?;
    let signature = input::read_signature(
        &args.signature,
        args.signature_format.encoding(),
        args.digest.algorithm(),
    )?;
    let data = Data::from_arg(&args.file);
    verify::verify_data(key, &signature, &args.signature, data, Progress::IfLarge).map_err(|err| {
        // The other errors name their file already; a mismatch is about the data file.
        if err.is::<Failure>() {
            err.context(format!("{}: signature does not verify", data.display()))
        } else {
            err
        }
    })
}
