//! File-name pairing in a download folder (`vouch_blob::folder::pair`), as `verify-dir` and
//! `sign-dir` use it. The input is a list of names separated by `/` (the one byte, with NUL,
//! that a Unix file name cannot hold), so names hold any other byte, UTF-8 or not. No input may
//! panic, and the pairing keeps its promises: no name is lost or invented, every pair's
//! signature names its data file by the `X.sig.bin`/`X.sig` → `X`/`X.zst` rule, and no
//! signature is paired while its data file is missing.
#![no_main]

use std::collections::BTreeSet;

use libfuzzer_sys::fuzz_target;
use vouch_blob::folder::{self, Pairing};

fuzz_target!(|data: &[u8]| {
    let names: BTreeSet<&[u8]> = data.split(|b| *b == b'/').collect();
    let pairing = folder::pair(data.split(|b| *b == b'/'));
    check(&names, &pairing);
});

fn check(names: &BTreeSet<&[u8]>, pairing: &Pairing<'_>) {
    let mut seen = BTreeSet::new();
    for pair in &pairing.pairs {
        assert!(names.contains(pair.signature) && names.contains(pair.data));
        let stem = folder::signature_stem(pair.signature).expect("a pair's signature is one");
        assert!(
            pair.data == stem || pair.data == [stem, b".zst"].concat(),
            "a signature paired with a file it does not name"
        );
        // `X` wins over `X.zst`.
        assert!(pair.data == stem || !names.contains(stem));
        seen.insert(pair.signature);
        seen.insert(pair.data);
    }
    for orphan in &pairing.orphans {
        assert!(names.contains(orphan.signature));
        assert!(
            orphan
                .looked_for
                .iter()
                .all(|n| !names.contains(n.as_slice()))
        );
        seen.insert(orphan.signature);
    }
    for name in &pairing.unsigned {
        assert!(names.contains(name) && folder::is_data_name(name));
        assert!(
            !pairing.pairs.iter().any(|p| p.data == *name),
            "signed and unsigned"
        );
        seen.insert(name);
    }
    for name in names {
        // Every signature and every data file is somewhere: only never-data names that sign
        // nothing (keys, bundles, a bare `.sig`) may be left out.
        if folder::signature_stem(name).is_some() || folder::is_data_name(name) {
            assert!(seen.contains(name), "a name was lost");
        }
    }
}
