//! Trust policy files as they arrive: any bytes read as vouch's format, a containers
//! `policy.json` or `ClusterImagePolicy` documents (told apart by their content), with no
//! files to read. No input may panic or hang (YAML aliases and nesting are bounded by the
//! parser); a policy that parses selects rules for a few images and describes every
//! requirement without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_oci::ImageRef;
use vouch_policy::NoFiles;

const IMAGES: [&str; 4] = [
    "registry.example/app:v1",
    "alpine",
    "localhost:5000/a/b/c@sha256:6c3c624b58dbbcd3c0dd82b4c53f04194d1247c6eebdaab7c610cf7d66709b3b",
    "ghcr.io/acme/app:1.2.3",
];

fuzz_target!(|data: &[u8]| {
    match vouch_policy::parse(data, &NoFiles) {
        Ok(policy) => {
            for given in IMAGES {
                let Ok(image) = ImageRef::parse(given) else {
                    continue;
                };
                let selection = policy.select(&image, given);
                let _ = selection.needs_attestations();
                let _ = selection.needs_lookup();
                for matched in &selection.matched {
                    for requirement in &matched.rule.requirements {
                        let _ = requirement.describe();
                    }
                }
            }
        }
        Err(err) => {
            let _ = err.to_string();
        }
    }
});
