//! `vouch attest-blob`: an in-toto attestation about one file, signed with a private key, as a
//! Sigstore bundle that `verify-blob-attestation`, cosign and sigstore-js verify.

use vouch_attest::{IN_TOTO_PAYLOAD_TYPE, PredicateType};
use vouch_blob::DigestAlgorithm;

use crate::args::AttestBlobArgs;
use crate::attestation_flags;
use crate::error::{InputError, Role};
use crate::exit::Outcome;
use crate::input;
use crate::output;
use crate::password;
use crate::signing;
use crate::write::{self, PUBLIC_MODE};

/// Runs the command: hashes the file, signs the statement, writes the bundle whole or not at all.
pub(crate) fn run(args: &AttestBlobArgs) -> anyhow::Result<Outcome> {
    let predicate_type =
        PredicateType::parse(&args.statement.predicate_type).map_err(|err| InputError::Usage {
            message: format!("--type: {err}"),
        })?;
    write::refuse_input_as_output(
        &args.bundle,
        &[&args.key, &args.file, &args.statement.predicate],
    )?;
    let predicate = attestation_flags::read_predicate(&args.statement.predicate, &predicate_type)?;
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
