//! `vouch sign-dir`: the vendor side of `verify-dir`. Every data file of a folder that has no
//! `X.sig.bin` gets one (DER for ECDSA, as `openssl dgst -sign` writes it), in parallel.
//!
//! The folder is read and paired by `verify-dir`'s own code ([`verify_dir::list_files`],
//! [`verify_dir::Plan`]), so a file is a data file, and a signature belongs to a file, exactly
//! when `verify-dir` says so; `verify-dir` afterwards finds every data file signed.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::thread;

use vouch_blob::DigestAlgorithm;
use vouch_keys::PrivateKey;

use crate::cli::SignDirArgs;
use crate::error::Role;
use crate::exit::{self, Outcome};
use crate::input;
use crate::output;
use crate::sign_blob::{self, Staged};
use crate::verify::{Data, Progress};
use crate::verify_dir::{self, Plan, Status};

/// The signature files `sign-dir` writes and looks for.
const SIGNATURE_SUFFIX: &str = ".sig.bin";

/// One output line.
#[derive(Debug)]
pub(crate) struct SignEntry {
    /// The data file, or for [`SignStatus::MissingData`] the signature file.
    pub(crate) name: String,
    pub(crate) status: SignStatus,
}

/// What happened to one data file.
#[derive(Debug)]
pub(crate) enum SignStatus {
    /// Signed now, into this signature file.
    Signed { signature: String },
    /// It has this signature file already (and `--force` was not given).
    AlreadySigned { signature: String },
    /// Could not be signed (unreadable, or the signature could not be written).
    Failed(anyhow::Error),
    /// A signature file in the folder without a data file: `verify-dir` will report it.
    MissingData { looked_for: [String; 2] },
}

/// The count line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SignTotals {
    pub(crate) signed: usize,
    pub(crate) skipped: usize,
    pub(crate) failed: usize,
}

/// A data file to sign into `signature` (a new `X.sig.bin`, or the existing one with --force).
#[derive(Debug)]
struct Task {
    data: (String, PathBuf),
    signature: String,
}

/// Runs the command.
pub(crate) fn run(args: &SignDirArgs) -> anyhow::Result<Outcome> {
    // The key (and its password) come first: a bad key fails before anything is read or written.
    let key = crate::password::read_private_key(&args.key, &args.password)?;
    let digest = args.digest.map(DigestAlgorithm::from);
    input::check_digest_applies(&key.public_key(), digest)?;
    let digest = digest.unwrap_or_default();
    let files = verify_dir::list_files(&args.dir, &args.key)?;
    let (tasks, mut entries) = plan(&files, &Plan::new(&files), args.force);
    let workers = args
        .jobs
        .or_else(|| thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let results =
        verify_dir::in_parallel(&tasks, workers, |task| sign_one(&key, digest, args, task));
    entries.extend(
        tasks
            .into_iter()
            .zip(results)
            .map(|(task, result)| SignEntry {
                name: task.data.0,
                status: match result {
                    Ok(()) => SignStatus::Signed {
                        signature: task.signature,
                    },
                    Err(err) => SignStatus::Failed(err),
                },
            }),
    );
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let totals = totals(&entries);
    output::sign_dir_text(&entries, totals)?;
    Ok(if totals.failed == 0 {
        Outcome::Verified
    } else {
        Outcome::Code(exit::NOT_SIGNED)
    })
}

/// What to sign, and the lines for what is not signed now: data files with an `X.sig.bin`
/// (unless `force`), and signatures without a data file.
fn plan(
    files: &BTreeMap<String, PathBuf>,
    plan: &Plan,
    force: bool,
) -> (Vec<Task>, Vec<SignEntry>) {
    // Every data file verify-dir would check or list as unsigned, with its `.sig.bin`, if any.
    let mut data: BTreeMap<&str, (&PathBuf, Option<&str>)> = BTreeMap::new();
    let mut entries = Vec::new();
    for check in &plan.checks {
        let (name, path) = &check.data;
        let slot = data.entry(name).or_insert((path, None));
        let signature = check.signature.0.as_str();
        if signature.ends_with(SIGNATURE_SUFFIX) {
            slot.1 = Some(signature);
        }
    }
    for entry in &plan.others {
        match (&entry.status, &entry.data, &entry.signature) {
            (Status::Unsigned, Some(name), _) => {
                if let Some(path) = files.get(name) {
                    data.entry(name).or_insert((path, None));
                }
            }
            (Status::MissingData { looked_for }, _, Some(signature)) => entries.push(SignEntry {
                name: signature.clone(),
                status: SignStatus::MissingData {
                    looked_for: looked_for.clone(),
                },
            }),
            _ => {}
        }
    }
    let mut tasks = Vec::new();
    for (name, (path, existing)) in data {
        match existing {
            Some(signature) if !force => entries.push(SignEntry {
                name: name.to_owned(),
                status: SignStatus::AlreadySigned {
                    signature: signature.to_owned(),
                },
            }),
            _ => tasks.push(Task {
                data: (name.to_owned(), path.clone()),
                signature: existing
                    .map_or_else(|| format!("{name}{SIGNATURE_SUFFIX}"), str::to_owned),
            }),
        }
    }
    (tasks, entries)
}

/// Signs one data file and puts its signature in place.
fn sign_one(
    key: &PrivateKey,
    digest: DigestAlgorithm,
    args: &SignDirArgs,
    task: &Task,
) -> anyhow::Result<()> {
    let signed = sign_blob::sign_data(key, Data::File(&task.data.1), digest, Progress::Never)?;
    let signature_path = args.dir.join(&task.signature);
    Staged::write(&signature_path, signed.signature(), Role::Signature)?.commit()?;
    Ok(())
}

fn totals(entries: &[SignEntry]) -> SignTotals {
    let mut totals = SignTotals::default();
    for entry in entries {
        match entry.status {
            SignStatus::Signed { .. } => totals.signed += 1,
            SignStatus::AlreadySigned { .. } => totals.skipped += 1,
            SignStatus::Failed(_) => totals.failed += 1,
            SignStatus::MissingData { .. } => {}
        }
    }
    totals
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(names: &[&str], force: bool) -> (Vec<String>, Vec<String>) {
        let files: BTreeMap<String, PathBuf> = names
            .iter()
            .map(|name| ((*name).to_owned(), PathBuf::from(name)))
            .collect();
        let (tasks, entries) = plan(&files, &Plan::new(&files), force);
        let tasks = tasks
            .iter()
            .map(|t| format!("{} -> {}", t.data.0, t.signature))
            .collect();
        let mut others: Vec<String> = entries
            .iter()
            .map(|e| match &e.status {
                SignStatus::AlreadySigned { signature } => format!("{} has {signature}", e.name),
                SignStatus::MissingData { .. } => format!("{} has no data", e.name),
                other => format!("unexpected {other:?}"),
            })
            .collect();
        others.sort();
        (tasks, others)
    }

    #[test]
    fn signs_what_verify_dir_lists_as_unsigned_and_skips_what_has_a_sig_bin() {
        let (tasks, others) = lines(
            &[
                "bundle.tar.sig.bin",
                "bundle.tar.zst",
                "disk.iso",
                "notes.txt",
                "notes.txt.sig",
                "readme.txt",
                "vendor.pub",
                "x.sigstore.json",
                "orphan.sig.bin",
            ],
            false,
        );
        // notes.txt has only a cosign `.sig`: it gets its `.sig.bin` too.
        assert_eq!(
            tasks,
            [
                "disk.iso -> disk.iso.sig.bin",
                "notes.txt -> notes.txt.sig.bin",
                "readme.txt -> readme.txt.sig.bin"
            ]
        );
        assert_eq!(
            others,
            [
                "bundle.tar.zst has bundle.tar.sig.bin",
                "orphan.sig.bin has no data"
            ]
        );
    }

    #[test]
    fn force_re_signs_into_the_existing_signature_file() {
        let (tasks, others) = lines(&["bundle.tar.sig.bin", "bundle.tar.zst", "a"], true);
        assert_eq!(
            tasks,
            ["a -> a.sig.bin", "bundle.tar.zst -> bundle.tar.sig.bin"]
        );
        assert!(others.is_empty(), "{others:?}");
    }

    #[test]
    fn x_zst_next_to_a_signed_x_gets_its_own_signature() {
        let (tasks, others) = lines(&["a", "a.zst", "a.sig.bin"], false);
        assert_eq!(tasks, ["a.zst -> a.zst.sig.bin"]);
        assert_eq!(others, ["a has a.sig.bin"]);
    }
}
