//! `vouch verify-dir`: every signed file in a folder, verified in parallel.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::num::NonZeroUsize;
use std::panic;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;

use vouch_blob::{DigestAlgorithm, VerifiedBlob};
use vouch_keys::PublicKey;

use crate::cli::{OutputFormat, VerifyDirArgs};
use crate::error::{Failure, InputError, Role};
use crate::exit::Outcome;
use crate::input;
use crate::output::{self, DirReport};
use crate::verify::{self, Data, Progress};

/// Signature file suffixes, longest first: `X.sig.bin` and `X.sig` sign `X` (or `X.zst`).
const SIGNATURE_SUFFIXES: [&str; 2] = [".sig.bin", ".sig"];
/// Files that are never data: signatures, keys, certificates and bundles.
const NOT_DATA_SUFFIXES: [&str; 7] = [
    ".sig",
    ".sig.bin",
    ".pub",
    ".key",
    ".pem",
    ".sigstore.json",
    ".bundle",
];

/// One output line: a signature and its data file, or an unsigned data file.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The data file's name, if there is one.
    pub(crate) data: Option<String>,
    /// The signature file's name, if there is one.
    pub(crate) signature: Option<String>,
    pub(crate) status: Status,
}

impl Entry {
    /// The name the line starts with: the data file, else the signature.
    pub(crate) fn name(&self) -> &str {
        self.data
            .as_deref()
            .or(self.signature.as_deref())
            .unwrap_or_default()
    }
}

/// What was found for one entry.
#[derive(Debug)]
pub(crate) enum Status {
    Valid(VerifiedBlob),
    /// Checked and not valid, or could not be checked (unreadable, malformed signature).
    Invalid(anyhow::Error),
    /// The signature's data file does not exist; these names were looked for.
    MissingData {
        looked_for: [String; 2],
    },
    Unsigned,
}

/// The count line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    pub(crate) valid: usize,
    pub(crate) invalid: usize,
    pub(crate) missing_data: usize,
    pub(crate) unsigned: usize,
}

impl Totals {
    fn of(entries: &[Entry]) -> Self {
        let mut totals = Self::default();
        for entry in entries {
            match entry.status {
                Status::Valid(_) => totals.valid += 1,
                Status::Invalid(_) => totals.invalid += 1,
                Status::MissingData { .. } => totals.missing_data += 1,
                Status::Unsigned => totals.unsigned += 1,
            }
        }
        totals
    }

    /// Exit 0 only if every signature checked is valid, at least one was checked, and (with
    /// `--require-signed`) nothing is unsigned.
    pub(crate) fn verified(self, require_signed: bool) -> bool {
        self.valid > 0
            && self.invalid == 0
            && self.missing_data == 0
            && (!require_signed || self.unsigned == 0)
    }
}

/// Runs the command.
pub(crate) fn run(args: &VerifyDirArgs) -> anyhow::Result<Outcome> {
    // The key is parsed once, and a bad key fails before any file is read.
    let key = input::read_key(&args.key)?;
    input::check_digest_applies(&key, args.digest.value.map(Into::into))?;
    let files = list_files(&args.dir, &args.key)?;
    let plan = Plan::new(&files);
    let workers = args
        .jobs
        .or_else(|| thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let results = verify_all(&key, args.digest.algorithm(), &plan.checks, workers);

    let mut entries = plan.entries(results);
    entries.sort_by(|a, b| (a.name(), &a.signature).cmp(&(b.name(), &b.signature)));
    let totals = Totals::of(&entries);
    match args.output.format {
        OutputFormat::Text => output::dir_text(&entries, totals, args.require_signed)?,
        OutputFormat::Json => output::json(&DirReport::new(
            args,
            &key,
            &entries,
            totals,
            args.require_signed,
        ))?,
    }
    if entries.iter().all(|e| e.signature.is_none()) {
        return Err(Failure::NoSignatures {
            dir: input::display(&args.dir),
        }
        .into());
    }
    Ok(if totals.verified(args.require_signed) {
        Outcome::Verified
    } else {
        Outcome::NotVerified
    })
}

/// Regular, non-hidden files at the top of `dir`, by name, without the key file itself.
/// Shared with `sign-dir`, which signs what this command would list as unsigned.
pub(crate) fn list_files(dir: &Path, key: &Path) -> Result<BTreeMap<String, PathBuf>, InputError> {
    let read_error = |source| InputError::Read {
        path: input::display(dir),
        role: Role::Dir,
        source,
    };
    let key = KeyIdentity::of(key);
    let mut files = BTreeMap::new();
    for entry in fs::read_dir(dir).map_err(read_error)? {
        let entry = entry.map_err(read_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        // `fs::metadata` follows links: a link to a file counts, a broken link is skipped.
        let Ok(metadata) = fs::metadata(&path) else {
            continue;
        };
        if name.starts_with('.') || !metadata.is_file() || key.is(&path, &metadata) {
            continue;
        }
        files.insert(name, path);
    }
    Ok(files)
}

/// The `--key` file, to leave it out of the unsigned files when it sits in the folder.
struct KeyIdentity(Option<(PathBuf, u64)>);

impl KeyIdentity {
    fn of(key: &Path) -> Self {
        Self(
            fs::canonicalize(key)
                .ok()
                .zip(fs::metadata(key).ok().map(|m| m.len())),
        )
    }

    fn is(&self, path: &Path, metadata: &fs::Metadata) -> bool {
        self.0.as_ref().is_some_and(|(key, len)| {
            *len == metadata.len() && fs::canonicalize(path).is_ok_and(|p| p == *key)
        })
    }
}

/// A signature whose data file exists.
#[derive(Debug)]
pub(crate) struct Check {
    pub(crate) signature: (String, PathBuf),
    pub(crate) data: (String, PathBuf),
}

/// What the folder holds: signatures to check, signatures without data, unsigned files.
/// `sign-dir` reads the same plan, so that both commands pair files alike.
pub(crate) struct Plan {
    pub(crate) checks: Vec<Check>,
    /// Signatures without a data file ([`Status::MissingData`]) and unsigned data files
    /// ([`Status::Unsigned`]).
    pub(crate) others: Vec<Entry>,
}

impl Plan {
    pub(crate) fn new(files: &BTreeMap<String, PathBuf>) -> Self {
        let mut checks = Vec::new();
        let mut others = Vec::new();
        let mut signed = BTreeSet::new();
        for (name, path) in files {
            let Some(stem) = SIGNATURE_SUFFIXES.iter().find_map(|s| name.strip_suffix(s)) else {
                continue;
            };
            let looked_for = [stem.to_owned(), format!("{stem}.zst")];
            match looked_for.iter().find_map(|n| files.get_key_value(n)) {
                Some((data_name, data_path)) => {
                    signed.insert(data_name.clone());
                    checks.push(Check {
                        signature: (name.clone(), path.clone()),
                        data: (data_name.clone(), data_path.clone()),
                    });
                }
                None => others.push(Entry {
                    data: None,
                    signature: Some(name.clone()),
                    status: Status::MissingData { looked_for },
                }),
            }
        }
        others.extend(
            files
                .keys()
                .filter(|name| !signed.contains(*name) && is_data_name(name))
                .map(|name| Entry {
                    data: Some(name.clone()),
                    signature: None,
                    status: Status::Unsigned,
                }),
        );
        Self { checks, others }
    }

    /// All entries, with `results` in the order of `checks`.
    fn entries(self, results: Vec<anyhow::Result<VerifiedBlob>>) -> Vec<Entry> {
        let checked = self
            .checks
            .into_iter()
            .zip(results)
            .map(|(check, result)| Entry {
                data: Some(check.data.0),
                signature: Some(check.signature.0),
                status: match result {
                    Ok(verified) => Status::Valid(verified),
                    Err(err) => Status::Invalid(err),
                },
            });
        checked.chain(self.others).collect()
    }
}

fn is_data_name(name: &str) -> bool {
    !NOT_DATA_SUFFIXES
        .iter()
        .any(|suffix| name.ends_with(suffix))
}

/// Verifies every check on `workers` threads pulling from a shared index; results in order.
fn verify_all(
    key: &PublicKey,
    digest: DigestAlgorithm,
    checks: &[Check],
    workers: usize,
) -> Vec<anyhow::Result<VerifiedBlob>> {
    in_parallel(checks, workers, |check| verify_one(key, digest, check))
}

/// `run` on every item, on `workers` threads pulling from a shared index; results in order.
/// Shared with `sign-dir`.
pub(crate) fn in_parallel<T: Sync, R: Send>(
    items: &[T],
    workers: usize,
    run: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let workers = workers.clamp(1, items.len().max(1));
    let mut results: Vec<(usize, R)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let index = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(index) else {
                            return done;
                        };
                        done.push((index, run(item)));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|handle| {
                handle
                    .join()
                    .unwrap_or_else(|panic| panic::resume_unwind(panic))
            })
            .collect()
    });
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

fn verify_one(
    key: &PublicKey,
    digest: DigestAlgorithm,
    check: &Check,
) -> anyhow::Result<VerifiedBlob> {
    let (_, signature_path) = &check.signature;
    let signature = input::read_signature(signature_path, None, digest)?;
    verify::verify_data(
        key,
        &signature,
        signature_path,
        Data::File(&check.data.1),
        Progress::Never,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(names: &[&str]) -> Plan {
        let files = names
            .iter()
            .map(|name| ((*name).to_owned(), PathBuf::from(name)))
            .collect();
        Plan::new(&files)
    }

    fn pairs(plan: &Plan) -> Vec<(&str, &str)> {
        plan.checks
            .iter()
            .map(|c| (c.signature.0.as_str(), c.data.0.as_str()))
            .collect()
    }

    fn others(plan: &Plan) -> Vec<String> {
        plan.others
            .iter()
            .map(|e| match &e.status {
                Status::MissingData { .. } => format!("missing {}", e.name()),
                Status::Unsigned => format!("unsigned {}", e.name()),
                other => format!("unexpected {other:?}"),
            })
            .collect()
    }

    #[test]
    fn data_file_is_x_else_x_zst() {
        let plan = plan(&[
            "bundle.tar.sig.bin",
            "bundle.tar.zst",
            "disk.iso",
            "disk.iso.sig.bin",
            "pack.sig.bin",
            "pack.zst",
            "notes.txt",
            "notes.txt.sig",
        ]);
        assert_eq!(
            pairs(&plan),
            [
                ("bundle.tar.sig.bin", "bundle.tar.zst"),
                ("disk.iso.sig.bin", "disk.iso"),
                ("notes.txt.sig", "notes.txt"),
                ("pack.sig.bin", "pack.zst"),
            ]
        );
        assert!(others(&plan).is_empty());
    }

    #[test]
    fn x_wins_over_x_zst_which_is_then_unsigned() {
        let plan = plan(&["a", "a.zst", "a.sig.bin"]);
        assert_eq!(pairs(&plan), [("a.sig.bin", "a")]);
        assert_eq!(others(&plan), ["unsigned a.zst"]);
    }

    #[test]
    fn both_signature_kinds_are_checked() {
        let plan = plan(&["a", "a.sig", "a.sig.bin"]);
        assert_eq!(pairs(&plan), [("a.sig", "a"), ("a.sig.bin", "a")]);
    }

    #[test]
    fn signatures_keys_and_bundles_are_never_unsigned() {
        let plan = plan(&[
            "orphan.sig.bin",
            "vendor.pub",
            "cert.pem",
            "x.sigstore.json",
            "x.bundle",
            "readme.txt",
            "data.json",
        ]);
        assert!(pairs(&plan).is_empty());
        assert_eq!(
            others(&plan),
            [
                "missing orphan.sig.bin",
                "unsigned data.json",
                "unsigned readme.txt"
            ]
        );
    }

    #[test]
    fn verdict_needs_one_valid_and_no_failure() {
        let totals = |valid, invalid, missing_data, unsigned| Totals {
            valid,
            invalid,
            missing_data,
            unsigned,
        };
        assert!(totals(1, 0, 0, 3).verified(false));
        assert!(!totals(1, 0, 0, 3).verified(true));
        assert!(!totals(0, 0, 0, 0).verified(false));
        assert!(!totals(5, 1, 0, 0).verified(false));
        assert!(!totals(5, 0, 1, 0).verified(false));
    }
}
