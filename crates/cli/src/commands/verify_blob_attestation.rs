//! `vouch verify-blob-attestation`: in-toto attestations about one file, from a Sigstore
//! bundle or JSON Lines of bundles, verified offline.

use std::io;
use std::path::Path;

use vouch_attest::{AttestationError, Unverified};
use vouch_blob::{Digest, DigestAlgorithm};
use vouch_sigstore::Bundle;

use crate::args::{OutputFormat, VerifyBlobAttestationArgs};
use crate::attestation_flags::{self, Setup};
use crate::attestations::{self, Checked, Entry, Position};
use crate::data::Data;
use crate::error::{InputError, Role};
use crate::exit::Outcome;
use crate::input;
use crate::output::{
    self,
    attestation::{AttestationSource, Report},
};
use crate::signer::{self, Keyless};

/// A JSON Lines file of bundles: `gh attestation download` fetches at most 1,000.
const MAX_BUNDLES_FILE: u64 = 256 << 20;

/// Runs the command. Prints one line per attestation; the verdict is the exit code.
pub(crate) fn run(args: &VerifyBlobAttestationArgs) -> anyhow::Result<Outcome> {
    let flags = &args.sigstore;
    if args.signature.is_some() && args.key.is_none() {
        return Err(InputError::Usage {
            message: "--signature (a DSSE envelope) verifies with --key only: an envelope \
                      carries no certificate; verify keyless attestations from their bundle \
                      (--bundle)"
                .to_owned(),
        }
        .into());
    }
    if flags.insecure_ignore_tlog {
        output::warning(
            "--insecure-ignore-tlog: the transparency log is not checked, and attestations \
             without a log entry are accepted; nothing shows they were ever published",
        );
    }
    let Setup {
        policy,
        statement_cost,
        policies,
        limits,
    } = attestation_flags::setup(
        args.key.as_deref(),
        Keyless {
            identity: flags.certificate_identity.as_deref(),
            identity_regexp: flags.certificate_identity_regexp.as_deref(),
            issuer: flags.certificate_oidc_issuer.as_deref(),
            issuer_regexp: flags.certificate_oidc_issuer_regexp.as_deref(),
            extensions: &[],
        },
        &flags.workflow,
        &args.github,
        flags.insecure_ignore_tlog,
        &args.attestation,
        "--bundle",
    )?;
    let verifier = signer::verifier(flags.trusted_root.as_deref())?;
    let (source, source_path, bundles) = match (flags.bundle.as_deref(), args.signature.as_deref())
    {
        (Some(path), _) => (
            AttestationSource::Bundle,
            path,
            read_bundles(path, statement_cost)?,
        ),
        (None, Some(path)) => (
            AttestationSource::Envelope,
            path,
            vec![(Position::Whole, Ok(read_envelope(path, statement_cost)?))],
        ),
        (None, None) => {
            return Err(InputError::Usage {
                message: "--bundle or --signature is required".to_owned(),
            }
            .into());
        }
    };
    // Each bundle's statement is checked and split once, here: its subjects say which digests
    // of the file to compute, and its verification goes on from there.
    let read: Vec<(&Position, ReadAttestation<'_>)> = bundles
        .iter()
        .map(|(position, parsed)| {
            let read = parsed
                .as_ref()
                .map(|bundle| Unverified::read(bundle, &policy));
            (position, read)
        })
        .collect();
    let algorithms = algorithms_named(&read);
    let data = Data::from_arg(&args.file);
    let digests = digest(&data, &algorithms)?;
    let entries: Vec<Entry> = read
        .into_iter()
        .map(|(position, read)| {
            let checked = match read {
                Ok(read) => {
                    attestations::check_read(&verifier, read, &digests, &policy, &policies, limits)
                }
                Err(err) => Checked::Unreadable(err.to_string()),
            };
            Entry {
                position: position.clone(),
                checked,
            }
        })
        .collect();
    let code = attestations::exit_code(&entries);
    let file = data.display();
    if args.attestation.print_predicate {
        output::attestation::predicates(&entries)?;
    } else {
        match args.output.format {
            OutputFormat::Text => output::attestation::text(&file, &entries)?,
            OutputFormat::Json => output::json(&Report::new(
                &input::exact(&args.file),
                (source, &input::exact(source_path)),
                &digests,
                &entries,
                code,
            ))?,
        }
    }
    if let Some(summary) = attestations::failure_summary(&entries, policy.predicate_type()) {
        output::error(&anyhow::anyhow!("{file}: {summary}"), &[]);
    }
    Ok(Outcome::Code(code))
}

/// A DSSE envelope (`--signature`), read as a bundle of a key-signed attestation with no log
/// entry: cosign reads `attest-blob --output-signature` the same way. One that does not read is
/// an unusable input, as a bundle file is.
fn read_envelope(path: &Path, statement_cost: u64) -> Result<Bundle, InputError> {
    let bytes = input::read_small(path, Role::Signature, MAX_BUNDLES_FILE, "DSSE envelope")?;
    Bundle::from_cosign_attestation(&bytes, None, None, MAX_BUNDLES_FILE, statement_cost).map_err(
        |source| InputError::Bundle {
            path: input::display(path),
            source,
        },
    )
}

/// A bundle from the file, where it was, or why it could not be read.
type ReadBundle = (Position, Result<Bundle, vouch_sigstore::Error>);

/// An attestation read from its bundle (or why it is not one), or why the bundle could not be
/// read.
type ReadAttestation<'b> =
    Result<Result<Unverified<'b>, AttestationError>, &'b vouch_sigstore::Error>;

/// The bundles of a `.sigstore.json` (one bundle) or a JSON Lines file (one per line).
fn read_bundles(path: &Path, statement_cost: u64) -> Result<Vec<ReadBundle>, InputError> {
    let bytes = input::read_small(path, Role::Bundle, MAX_BUNDLES_FILE, "file of bundles")?;
    let mut start = 0;
    let lines: Vec<(usize, &[u8])> = memchr::memchr_iter(b'\n', &bytes)
        .chain([bytes.len()])
        .enumerate()
        .map(|(i, end)| {
            let line = &bytes[start..end];
            start = end + 1;
            (i + 1, line.trim_ascii())
        })
        .filter(|(_, line)| !line.is_empty())
        .collect();
    let is_lines = lines.len() > 1
        && lines
            .iter()
            .all(|(_, line)| line.starts_with(b"{") && line.ends_with(b"}"));
    if !is_lines {
        let bundle = Bundle::from_json_with_limits(&bytes, MAX_BUNDLES_FILE, statement_cost)
            .map_err(|source| InputError::Bundle {
                path: input::display(path),
                source,
            })?;
        return Ok(vec![(Position::Whole, Ok(bundle))]);
    }
    Ok(lines
        .into_iter()
        .map(|(line, text)| {
            let bundle = Bundle::from_json_with_limits(text, MAX_BUNDLES_FILE, statement_cost);
            (Position::Line(line), bundle)
        })
        .collect())
}

/// SHA-256 always; SHA-512 too when a subject is named by it only. Read from the statements
/// before they are verified: it decides only which hashes to compute.
fn algorithms_named(read: &[(&Position, ReadAttestation<'_>)]) -> Vec<DigestAlgorithm> {
    let sha512 = read
        .iter()
        .filter_map(|(_, read)| read.as_ref().ok()?.as_ref().ok())
        .flat_map(Unverified::subject_digests)
        .any(|digests| {
            digests.iter().any(|(a, _)| a == "sha512")
                && !digests.iter().any(|(a, _)| a == "sha256")
        });
    let mut algorithms = vec![DigestAlgorithm::Sha256];
    if sha512 {
        algorithms.push(DigestAlgorithm::Sha512);
    }
    algorithms
}

fn digest(data: &Data<'_>, algorithms: &[DigestAlgorithm]) -> anyhow::Result<Vec<Digest>> {
    let read_error = |source: io::Error| -> anyhow::Error {
        InputError::Read {
            path: data.display(),
            role: Role::Data,
            source,
        }
        .into()
    };
    match data {
        Data::Stdin => {
            vouch_blob::digest_reader(io::stdin().lock(), algorithms).map_err(read_error)
        }
        Data::File(path) => {
            let file = input::open_data(path)?;
            vouch_blob::digest_file(&file, algorithms, crate::file_reading::choose()?)
                .map_err(read_error)
        }
    }
}
