//! `vouch attest-blob`: an in-toto attestation about one file, signed with a private key, as a
//! Sigstore bundle that `verify-blob-attestation`, cosign and sigstore-js verify.

use anyhow::Context as _;
use vouch_attest::{IN_TOTO_PAYLOAD_TYPE, PredicateType};
use vouch_blob::DigestAlgorithm;

use crate::args::AttestBlobArgs;
use crate::error::{InputError, Role};
use crate::exit::Outcome;
use crate::input;
use crate::output;
use crate::password;
use crate::signing;
use crate::write::{self, PUBLIC_MODE};

/// A predicate is a document someone wrote or a build produced; SBOMs run to tens of MiB.
const MAX_PREDICATE_LEN: u64 = 256 << 20;

/// Runs the command: hashes the file, signs the statement, writes the bundle whole or not at all.
pub(crate) fn run(args: &AttestBlobArgs) -> anyhow::Result<Outcome> {
    let predicate_type =
        PredicateType::parse(&args.predicate_type).map_err(|err| InputError::Usage {
            message: format!("--type: {err}"),
        })?;
    write::refuse_input_as_output(&args.bundle, &[&args.key, &args.file, &args.predicate])?;
    let predicate = read_predicate(args, &predicate_type)?;
    let key = password::read_private_key(&args.key, &args.password)?;
    let file = input::open_data(&args.file)?;
    let digest = vouch_blob::digest_file(
        &file,
        &[DigestAlgorithm::Sha256],
        crate::file_reading::choose()?,
    )
    .map_err(|source| InputError::Read {
        path: input::display(&args.file),
        role: Role::SignData,
        source,
    })?
    .remove(0);
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let statement = vouch_attest::statement_v1(&name, &digest, &predicate_type, &predicate);
    let pae = vouch_sigstore::dsse_pae(IN_TOTO_PAYLOAD_TYPE, &statement);
    let signed = vouch_blob::sign(&key, &pae, DigestAlgorithm::Sha256, &mut signing::os_rng())
        .map_err(|source| InputError::Sign {
            path: input::display(&args.key),
            source,
        })?;
    let bundle = vouch_sigstore::key_dsse_bundle_v03(
        &key.public_key(),
        IN_TOTO_PAYLOAD_TYPE,
        &statement,
        signed.signature(),
    );
    write::commit_all(vec![write::stage(
        &args.bundle,
        bundle.as_bytes(),
        Role::Bundle,
        PUBLIC_MODE,
    )?])?;
    output::attestation::wrote(&args.bundle, &predicate_type);
    Ok(Outcome::Verified)
}

/// The predicate: JSON, one object, read strictly; for `custom`, any UTF-8 text, wrapped.
fn read_predicate(
    args: &AttestBlobArgs,
    predicate_type: &PredicateType,
) -> anyhow::Result<serde_json::Value> {
    let bytes = input::read_small(
        &args.predicate,
        Role::Predicate,
        MAX_PREDICATE_LEN,
        "predicate",
    )?;
    let shown = input::display(&args.predicate);
    if predicate_type.as_str() == "https://cosign.sigstore.dev/attestation/v1" {
        let text = String::from_utf8(bytes).map_err(|_| InputError::Usage {
            message: format!("--predicate {shown}: not UTF-8 text"),
        })?;
        let now = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second())
            .context("reading the clock")?;
        return Ok(vouch_attest::custom_predicate(&text, &now.to_string()));
    }
    let invalid = |detail: String| InputError::Usage {
        message: format!(
            "--predicate {shown}: {detail}; a predicate of type {predicate_type} is a JSON object \
             (use --type custom for other text)"
        ),
    };
    vouch_sigstore::check_json(&bytes, u64::MAX).map_err(|err| invalid(err.to_string()))?;
    match serde_json::from_slice(&bytes) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        Ok(_) => Err(invalid("not a JSON object".to_owned()).into()),
        Err(err) => Err(invalid(format!("not JSON: {err}")).into()),
    }
}
