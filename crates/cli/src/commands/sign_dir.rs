//! `vouch sign-dir`: the vendor side of `verify-dir`. Every data file of a folder that has no
//! `X.sig.bin` gets one (DER for ECDSA, as `openssl dgst -sign` writes it), in parallel.
//!
//! The folder is read and paired as `verify-dir` reads it ([`folder::list`], [`folder::Plan`]),
//! so a file is a data file, and a signature belongs to a file, exactly when `verify-dir` says
//! so; `verify-dir` afterwards finds every data file signed.

use std::collections::BTreeMap;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::thread;

use vouch_blob::DigestAlgorithm;
use vouch_keys::PrivateKey;

use crate::args::SignDirArgs;
use crate::data::{Data, Progress};
use crate::error::Role;
use crate::exit::{self, Outcome};
use crate::folder::{self, Name, Plan};
use crate::input;
use crate::output::{self, SignEntry, SignStatus, SignTotals};
use crate::signing;
use crate::write::{self, PUBLIC_MODE};

/// A data file to sign into `signature` (a new `X.sig.bin`, or the existing one with --force).
#[derive(Debug)]
struct Task {
    data: (Name, PathBuf),
    signature: (Name, PathBuf),
}

/// Runs the command.
pub(crate) fn run(args: &SignDirArgs) -> anyhow::Result<Outcome> {
    // The key (and its password) come first: a bad key fails before anything is read or written.
    let key = crate::password::read_private_key(&args.key, &args.password)?;
    let digest = args.digest.map(DigestAlgorithm::from);
    input::check_digest_applies(&key.public_key(), digest)?;
    let digest = digest.unwrap_or_default();
    let listing = folder::list(&args.dir, &args.key)?;
    let (tasks, mut entries) = plan(Plan::new(&listing), args.force);
    let workers = args
        .jobs
        .or_else(|| thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let results = folder::in_parallel(&tasks, workers, |task| sign_one(&key, digest, task));
    entries.extend(
        tasks
            .into_iter()
            .zip(results)
            .map(|(task, result)| SignEntry {
                name: task.data.0,
                status: match result {
                    Ok(()) => SignStatus::Signed {
                        signature: task.signature.0,
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
fn plan(plan: Plan, force: bool) -> (Vec<Task>, Vec<SignEntry>) {
    // Every data file verify-dir would check or list as unsigned, with its `.sig.bin`, if any.
    let mut data: BTreeMap<Name, (PathBuf, Option<(Name, PathBuf)>)> = BTreeMap::new();
    for check in plan.checks {
        let (name, path) = check.data;
        let slot = data.entry(name).or_insert((path, None));
        if check
            .signature
            .0
            .ends_with(vouch_blob::folder::SIGNATURE_SUFFIX)
        {
            slot.1 = Some(check.signature);
        }
    }
    for (name, path) in plan.unsigned {
        data.entry(name).or_insert((path, None));
    }
    let mut entries: Vec<SignEntry> = plan
        .orphans
        .into_iter()
        .map(|orphan| SignEntry {
            name: orphan.signature,
            status: SignStatus::MissingData(orphan.missing),
        })
        .collect();
    let mut tasks = Vec::new();
    for (name, (path, existing)) in data {
        match existing {
            Some((signature, _)) if !force => entries.push(SignEntry {
                name,
                status: SignStatus::AlreadySigned { signature },
            }),
            existing => {
                let signature = existing.unwrap_or_else(|| new_signature(&path));
                tasks.push(Task {
                    data: (name, path),
                    signature,
                });
            }
        }
    }
    (tasks, entries)
}

/// `X.sig.bin` beside `X`, with its name.
fn new_signature(data: &Path) -> (Name, PathBuf) {
    let path = folder::signature_path_for(data);
    let name = path
        .file_name()
        .map(|name| name.as_encoded_bytes().to_vec())
        .unwrap_or_default();
    (name, path)
}

/// Signs one data file and puts its signature in place.
fn sign_one(key: &PrivateKey, digest: DigestAlgorithm, task: &Task) -> anyhow::Result<()> {
    let signed = signing::sign_data(key, Data::File(&task.data.1), digest, Progress::Never)?;
    let signature_path = &task.signature.1;
    write::stage(
        signature_path,
        signed.signature(),
        Role::Signature,
        PUBLIC_MODE,
    )?
    .commit()?;
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
        let listing = folder::Listing {
            files: names
                .iter()
                .map(|name| (name.as_bytes().to_vec(), PathBuf::from(name)))
                .collect(),
            others: BTreeMap::new(),
        };
        let show = |name: &[u8]| String::from_utf8_lossy(name).into_owned();
        let (tasks, entries) = plan(Plan::new(&listing), force);
        let tasks = tasks
            .iter()
            .map(|t| format!("{} -> {}", show(&t.data.0), show(&t.signature.0)))
            .collect();
        let mut others: Vec<String> = entries
            .iter()
            .map(|e| match &e.status {
                SignStatus::AlreadySigned { signature } => {
                    format!("{} has {}", show(&e.name), show(signature))
                }
                SignStatus::MissingData(_) => format!("{} has no data", show(&e.name)),
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
