//! The man pages in docs/man/ are what `vouch manpages` writes now: regenerate them with
//! `cargo xtask man` after changing a command's flags or help.

use std::fs;
use std::path::Path;
use std::process::Command;

#[test]
fn man_pages_are_fresh() {
    let fresh = tempfile::tempdir().unwrap();
    let status = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .arg("manpages")
        .arg(fresh.path())
        .status()
        .unwrap();
    assert!(status.success());
    let committed = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/man");
    let names = |dir: &Path| {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap_or_else(|err| panic!("{}: {err}; run `cargo xtask man`", dir.display()))
            .map(|entry| entry.unwrap().file_name().into_string().unwrap())
            .collect();
        names.sort();
        names
    };
    let expected = names(fresh.path());
    assert!(
        expected.contains(&"vouch-verify.1".to_owned()),
        "{expected:?}"
    );
    assert_eq!(
        names(&committed),
        expected,
        "docs/man/ lists other pages than vouch writes: run `cargo xtask man`"
    );
    for name in &expected {
        assert_eq!(
            fs::read_to_string(committed.join(name)).unwrap(),
            fs::read_to_string(fresh.path().join(name)).unwrap(),
            "docs/man/{name} is stale: run `cargo xtask man`"
        );
    }
}
