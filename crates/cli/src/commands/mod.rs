//! One module per command. Commands never import each other: what two of them share lives in
//! a module of its own below them (`data`, `folder`, `signing`, `registry_flags`, `password`,
//! `write`), and what they print in `output` (checked by `cargo xtask tidy`).

mod attest_blob;
mod attest_image;
mod completion;
mod image_lookup;
mod keys;
mod manpages;
mod policy;
mod serve;
mod sign_blob;
mod sign_dir;
mod sign_image;
mod transfer;
mod verify_attestation;
mod verify_blob;
mod verify_blob_attestation;
mod verify_bundle;
mod verify_dir;
mod verify_image;
mod verify_policy;
mod version;

use crate::args::Command;
use crate::exit::Outcome;

/// Runs `command`; the caller prints the error, if any.
pub(crate) fn run(command: &Command) -> anyhow::Result<Outcome> {
    match command {
        Command::VerifyBlob(args) => match &args.sigstore.bundle {
            Some(bundle) => verify_bundle::run(args, bundle),
            None => verify_blob::run(args),
        },
        Command::VerifyBlobAttestation(args) => verify_blob_attestation::run(args),
        Command::AttestBlob(args) => attest_blob::run(args),
        Command::VerifyAttestation(args) => verify_attestation::run(args),
        Command::Attest(args) => attest_image::run(args),
        Command::VerifyDir(args) => verify_dir::run(args),
        Command::Verify(args) if args.policy.is_some() => verify_policy::run(args),
        Command::Verify(args) => verify_image::run(args),
        Command::Policy(args) => policy::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Triangulate(args) => image_lookup::triangulate(args),
        Command::Tree(args) => image_lookup::tree(args),
        Command::SignBlob(args) => sign_blob::run(args),
        Command::SignDir(args) => sign_dir::run(args),
        Command::Sign(args) => sign_image::run(args),
        Command::Save(args) => transfer::run_save(args),
        Command::Load(args) => transfer::run_load(args),
        Command::Copy(args) => transfer::run_copy(args),
        Command::GenerateKeyPair(args) => keys::generate(args),
        Command::ImportKeyPair(args) => keys::import(args),
        Command::PublicKey(args) => keys::public_key(args),
        Command::Completion(args) => completion::run(args),
        Command::Version(args) => version::run(args),
        Command::Manpages(args) => manpages::run(args),
    }
}
