//! `vouch verify-dir`: every signed file in a folder, verified in parallel.

use std::num::NonZeroUsize;
use std::thread;

use vouch_blob::{DigestAlgorithm, FileReading, VerifiedBlob};
use vouch_keys::PublicKey;

use crate::args::{OutputFormat, VerifyDirArgs};
use crate::data::{self, Data, Progress};
use crate::error::Failure;
use crate::exit::Outcome;
use crate::file_reading;
use crate::folder::{self, Check, Plan};
use crate::input;
use crate::output::{self, DirReport, Entry, Status, Totals};

/// Runs the command.
pub(crate) fn run(args: &VerifyDirArgs) -> anyhow::Result<Outcome> {
    // The key is parsed once, and a bad key fails before any file is read.
    let key = input::read_key(&args.key)?;
    input::check_digest_applies(&key, args.digest.value.map(Into::into))?;
    let listing = folder::list(&args.dir, &args.key)?;
    let plan = Plan::new(&listing);
    let workers = args
        .jobs
        .or_else(|| thread::available_parallelism().ok())
        .map_or(1, NonZeroUsize::get);
    let reading = file_reading::choose()?;
    let results = verify_all(
        &key,
        args.digest.algorithm(),
        &plan.checks,
        workers,
        reading,
    );

    let mut entries = entries(plan, results);
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

/// All entries, with `results` in the order of the plan's checks.
fn entries(plan: Plan, results: Vec<anyhow::Result<VerifiedBlob>>) -> Vec<Entry> {
    let checked = plan
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
    let orphans = plan.orphans.into_iter().map(|orphan| Entry {
        data: None,
        signature: Some(orphan.signature),
        status: Status::MissingData(orphan.missing),
    });
    let unsigned = plan.unsigned.into_iter().map(|(name, _)| Entry {
        data: Some(name),
        signature: None,
        status: Status::Unsigned,
    });
    checked.chain(orphans).chain(unsigned).collect()
}

/// Verifies every check on `workers` threads pulling from a shared index; results in order.
fn verify_all(
    key: &PublicKey,
    digest: DigestAlgorithm,
    checks: &[Check],
    workers: usize,
    reading: FileReading,
) -> Vec<anyhow::Result<VerifiedBlob>> {
    folder::in_parallel(checks, workers, |check| {
        verify_one(key, digest, check, reading)
    })
}

fn verify_one(
    key: &PublicKey,
    digest: DigestAlgorithm,
    check: &Check,
    reading: FileReading,
) -> anyhow::Result<VerifiedBlob> {
    let (_, signature_path) = &check.signature;
    let signature = input::read_signature(signature_path, None, digest)?;
    data::verify_data(
        key,
        &signature,
        signature_path,
        Data::File(&check.data.1),
        Progress::Never,
        reading,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

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
