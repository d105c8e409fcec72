use std::collections::BTreeSet;
use std::panic;

use super::{
    DigestAlgorithm, DirExpect, Expect, KeyAlgorithm, SignatureEncoding, case, cases, dir_case,
    generated, interop, key_rejections, root,
};

#[test]
fn root_is_the_workspace_testdata_directory() {
    let root = root();
    assert!(root.is_absolute());
    assert!(root.ends_with("testdata"));
    assert!(!root.components().any(|c| c.as_os_str() == ".."));
    assert!(root.join("generated").is_dir());
    assert!(root.join("interop").is_dir());
}

#[test]
fn every_case_is_complete_and_consistent() {
    let cases = cases();
    assert!(cases.len() >= 20, "only {} cases", cases.len());
    let names: Vec<&str> = cases.iter().map(|case| case.name.as_str()).collect();
    let mut sorted = names.clone();
    sorted.sort_unstable();
    assert_eq!(names, sorted, "cases() must be sorted");
    for case in &cases {
        for path in [case.key_path(), case.artifact_path(), case.sig_path()] {
            assert!(path.is_file(), "{case}: {} missing", path.display());
        }
        let meta = case.meta();
        assert!(!meta.description.is_empty(), "{case}: no description");
        assert_eq!(
            meta.digest.is_none(),
            meta.key_algorithm == KeyAlgorithm::Ed25519,
            "{case}: only Ed25519 cases have no digest"
        );
        if meta.expect == Expect::MalformedSignature {
            assert_eq!(meta.encoding, SignatureEncoding::Der, "{case}");
        }
    }
}

#[test]
fn p256_der_is_the_documented_example() {
    let case = case("p256-der");
    assert_eq!(case.dir, generated().join("p256-der"));
    let meta = case.meta();
    assert_eq!(meta.key_algorithm, KeyAlgorithm::EcdsaP256);
    assert_eq!(meta.digest, Some(DigestAlgorithm::Sha256));
    assert_eq!(meta.encoding, SignatureEncoding::Der);
    assert_eq!(meta.expect, Expect::Valid);
    assert!(
        case.key_bytes()
            .starts_with(b"-----BEGIN PUBLIC KEY-----\n")
    );
    assert_eq!(case.sig().first(), Some(&0x30), "a DER SEQUENCE");
    assert!(!case.artifact().is_empty());
}

#[test]
fn ids_match_case_json() {
    let meta = case("p256-sha384").meta();
    assert_eq!(meta.key_algorithm.id(), "ecdsa-p256");
    assert_eq!(meta.digest.map(DigestAlgorithm::id), Some("sha384"));
    assert_eq!(meta.encoding.id(), "der");
    assert_eq!(meta.expect.id(), "valid");
    assert_eq!(
        case("p256-truncated").meta().expect.id(),
        "malformed-signature"
    );
    assert_eq!(case("ed25519-base64").meta().encoding.id(), "base64");
    assert_eq!(case("rsa2048-pkcs1v15").meta().key_algorithm.id(), "rsa");
}

#[test]
fn a_missing_case_names_itself() {
    let result = panic::catch_unwind(|| case("no-such-case"));
    let payload = result.expect_err("a missing case must panic");
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .unwrap_or_default();
    assert!(message.contains("no-such-case"), "{message}");
}

#[test]
fn key_rejections_cover_every_outcome() {
    let rejections = key_rejections();
    let outcomes: BTreeSet<&str> = rejections.iter().map(|(_, o)| o.as_str()).collect();
    let expected = BTreeSet::from([
        "certificate",
        "empty",
        "private-key",
        "rsa-key-size",
        "ssh-public-key",
        "unrecognised",
        "unsupported-algorithm",
    ]);
    assert_eq!(outcomes, expected);
    for (path, _) in &rejections {
        assert!(
            path.is_file() && path.starts_with(root()),
            "{}",
            path.display()
        );
    }
    let (cert, _) = rejections
        .iter()
        .find(|(_, outcome)| outcome == "certificate")
        .expect("a certificate case");
    assert_eq!(cert, &interop("containers-image-cosign/fulcio_v1.crt.pem"));
    // Every file in keys/ is listed.
    let listed: BTreeSet<_> = rejections.iter().map(|(path, _)| path.clone()).collect();
    for entry in std::fs::read_dir(generated().join("keys")).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().is_some_and(|name| name != "expect.json") {
            assert!(
                listed.contains(&path),
                "{} not in expect.json",
                path.display()
            );
        }
    }
}

#[test]
fn dir_mixed_expectations_match_the_folder() {
    let (dir, key, entries) = dir_case("dir-mixed");
    assert!(key.is_file());
    assert!(!key.starts_with(&dir), "the key lives outside the folder");
    let mut named = BTreeSet::new();
    for entry in &entries {
        if let Some(sig) = &entry.signature {
            assert!(dir.join(sig).is_file(), "{sig}");
            named.insert(sig.clone());
        }
        match &entry.data {
            Some(data) => {
                assert!(dir.join(data).is_file(), "{data}");
                named.insert(data.clone());
            }
            None => assert_eq!(entry.expect, DirExpect::DataFileNotFound),
        }
        if entry.signature.is_none() {
            assert_eq!(entry.expect, DirExpect::Unsigned);
        }
    }
    let present: BTreeSet<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(
        present, named,
        "every file in the folder has an expectation"
    );
    let verdicts: BTreeSet<DirExpect> = entries.iter().map(|entry| entry.expect).collect();
    assert_eq!(verdicts.len(), 4, "all four verdicts appear: {verdicts:?}");
}
