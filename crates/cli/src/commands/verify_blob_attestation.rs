//! `vouch verify-blob-attestation`: in-toto attestations about one file, from a Sigstore
//! bundle or JSON Lines of bundles, verified offline.

use std::io;
use std::path::Path;
use std::time::Duration;

use vouch_attest::{AttestationPolicy, PredicateType, RegoPolicy, Statement, verify_attestation};
use vouch_blob::{Digest, DigestAlgorithm};
use vouch_sigstore::{Bundle, Verifier};

use crate::args::{OutputFormat, VerifyBlobAttestationArgs};
use crate::attestations::{self, Checked, Entry, Limits, Position};
use crate::data::Data;
use crate::error::{InputError, Role};
use crate::exit::Outcome;
use crate::github;
use crate::input;
use crate::output::{self, attestation::Report};
use crate::signer::{self, Keyless};

/// A JSON Lines file of bundles: `gh attestation download` fetches at most 1,000.
const MAX_BUNDLES_FILE: u64 = 256 << 20;
/// Policies are text someone wrote.
const MAX_POLICY_LEN: u64 = 1 << 20;

/// Runs the command. Prints one line per attestation; the verdict is the exit code.
pub(crate) fn run(args: &VerifyBlobAttestationArgs) -> anyhow::Result<Outcome> {
    let flags = &args.sigstore;
    if flags.insecure_ignore_tlog {
        output::warning(
            "--insecure-ignore-tlog: the transparency log is not checked, and attestations \
             without a log entry are accepted; nothing shows they were ever published",
        );
    }
    let mut extensions = signer::workflow_extensions(&flags.workflow);
    let github = github::requirements(&args.github)?;
    let mut keyless = Keyless {
        identity: flags.certificate_identity.as_deref(),
        identity_regexp: flags.certificate_identity_regexp.as_deref(),
        issuer: flags.certificate_oidc_issuer.as_deref(),
        issuer_regexp: flags.certificate_oidc_issuer_regexp.as_deref(),
        extensions: &[],
    };
    if let Some(github) = &github {
        if args.key.is_some() {
            return Err(InputError::Usage {
                message: "--owner, --repo and the other GitHub flags verify attestations signed \
                          keylessly by GitHub Actions; drop --key"
                    .to_owned(),
            }
            .into());
        }
        if keyless.identity.is_none() && keyless.identity_regexp.is_none() {
            keyless.identity_regexp = Some(&github.identity_regexp);
        }
        if keyless.issuer.is_none() && keyless.issuer_regexp.is_none() {
            keyless.issuer = Some(github::ACTIONS_ISSUER);
        }
        extensions.extend(github.extensions.iter().cloned());
    }
    keyless.extensions = &extensions;
    let signer = signer::policy(
        args.key.as_deref(),
        keyless,
        flags.insecure_ignore_tlog,
        "--bundle",
    )?;
    let mut policy = AttestationPolicy::new(signer);
    if let Some(given) = &args.attestation.predicate_type {
        policy = policy.with_predicate_type(PredicateType::parse(given).map_err(|err| {
            InputError::Usage {
                message: format!("--type: {err}"),
            }
        })?);
    }
    let policies = read_policies(&args.attestation.policy)?;
    let verifier = signer::verifier(flags.trusted_root.as_deref())?;
    let bundle_path = flags.bundle.as_deref().ok_or_else(|| InputError::Usage {
        message: "--bundle is required".to_owned(),
    })?;
    let bundles = read_bundles(bundle_path)?;
    let algorithms = algorithms_named(&bundles);
    let data = Data::from_arg(&args.file);
    let digests = digest(&data, &algorithms)?;
    let limits = Limits {
        time: Duration::from_secs(args.attestation.policy_timeout.max(1)),
        memory: usize::try_from(args.attestation.policy_memory.saturating_mul(1 << 20))
            .unwrap_or(usize::MAX),
    };
    let entries: Vec<Entry> = bundles
        .into_iter()
        .map(|(position, parsed)| {
            let checked = match parsed {
                Ok(bundle) => check(&verifier, &bundle, &digests, &policy, &policies, limits),
                Err(err) => Checked::Unreadable(err.to_string()),
            };
            Entry { position, checked }
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
                &input::exact(bundle_path),
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

/// One attestation, checked completely: signature, subject, type, then every policy.
fn check(
    verifier: &Verifier,
    bundle: &Bundle,
    digests: &[Digest],
    policy: &AttestationPolicy,
    policies: &[RegoPolicy],
    limits: Limits,
) -> Checked {
    match verify_attestation(verifier, bundle, digests, policy) {
        Ok(verified) => attestations::apply_policies(verified, policies, limits),
        Err(err) => Checked::Rejected(err),
    }
}

fn read_policies(paths: &[std::path::PathBuf]) -> Result<Vec<RegoPolicy>, InputError> {
    paths
        .iter()
        .map(|path| {
            if path.extension().and_then(|e| e.to_str()) != Some("rego") {
                return Err(InputError::Usage {
                    message: format!(
                        "--policy {}: vouch evaluates Rego policies (`.rego`); CUE policies \
                         (`.cue`), which cosign also takes, are not supported",
                        input::display(path)
                    ),
                });
            }
            let bytes = input::read_small(path, Role::Policy, MAX_POLICY_LEN, "Rego policy")?;
            let text = String::from_utf8(bytes).map_err(|_| InputError::Usage {
                message: format!("--policy {}: not UTF-8 text", input::display(path)),
            })?;
            RegoPolicy::new(&input::display(path), &text).map_err(|err| InputError::Usage {
                message: format!("--policy: {err}"),
            })
        })
        .collect()
}

/// A bundle from the file, where it was, or why it could not be read.
type ReadBundle = (Position, Result<Bundle, vouch_sigstore::Error>);

/// The bundles of a `.sigstore.json` (one bundle) or a JSON Lines file (one per line).
fn read_bundles(path: &Path) -> Result<Vec<ReadBundle>, InputError> {
    let bytes = input::read_small(path, Role::Bundle, MAX_BUNDLES_FILE, "file of bundles")?;
    let lines: Vec<(usize, &[u8])> = bytes
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_ascii()))
        .filter(|(_, line)| !line.is_empty())
        .collect();
    let is_lines = lines.len() > 1
        && lines
            .iter()
            .all(|(_, line)| line.starts_with(b"{") && line.ends_with(b"}"));
    if !is_lines {
        let bundle = Bundle::from_json(&bytes).map_err(|source| InputError::Bundle {
            path: input::display(path),
            source,
        })?;
        return Ok(vec![(None, Ok(bundle))]);
    }
    Ok(lines
        .into_iter()
        .map(|(line, text)| (Some(line), Bundle::from_json(text)))
        .collect())
}

/// SHA-256 always; SHA-512 too when a statement names its subjects by it only. Read from the
/// statements before they are verified: it decides only which hashes to compute.
fn algorithms_named(bundles: &[ReadBundle]) -> Vec<DigestAlgorithm> {
    let sha512 = bundles
        .iter()
        .filter_map(|(_, parsed)| parsed.as_ref().ok()?.dsse_payload())
        .filter_map(|payload| Statement::parse(payload).ok())
        .any(|statement| {
            statement.subjects().iter().any(|s| {
                s.digests().iter().any(|(a, _)| a == "sha512")
                    && !s.digests().iter().any(|(a, _)| a == "sha256")
            })
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
