//! Build facts for `vouch version`: the git commit and its date, and the target triple.
//!
//! The commit date stands in for a build date so that two builds of one commit are identical
//! (reproducible builds); `SOURCE_DATE_EPOCH`, when set, is used instead. Outside a git
//! checkout (a crates.io download) both say `unknown`.

#![expect(
    clippy::disallowed_methods,
    reason = "a build script reads cargo's environment (TARGET) and SOURCE_DATE_EPOCH"
)]

use std::path::Path;
use std::process::Command;

fn main() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|out| out.status.success())
            .and_then(|out| String::from_utf8(out.stdout).ok())
            .map(|text| text.trim().to_owned())
            .filter(|text| !text.is_empty())
    };
    // The commit checked out; uncommitted changes are not detected (that would rebuild
    // vouch on every edit).
    let commit = git(&["rev-parse", "HEAD"]);
    let date = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) => Some(format!("@{epoch}")),
        Err(_) => git(&["log", "-1", "--format=%cI", "HEAD"]),
    };
    let unknown = || "unknown".to_owned();
    println!(
        "cargo:rustc-env=VOUCH_GIT_COMMIT={}",
        commit.unwrap_or_else(unknown)
    );
    println!(
        "cargo:rustc-env=VOUCH_COMMIT_DATE={}",
        date.unwrap_or_else(unknown)
    );
    println!(
        "cargo:rustc-env=VOUCH_TARGET={}",
        std::env::var("TARGET").unwrap_or_else(|_| unknown())
    );
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
    // Rebuilt when HEAD moves or the index changes (a commit, a checkout, `git add`).
    if let Some(git_dir) = git(&["rev-parse", "--absolute-git-dir"]) {
        for file in ["HEAD", "index"] {
            let path = Path::new(&git_dir).join(file);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
        if let Some(reference) = git(&["symbolic-ref", "-q", "HEAD"]) {
            let path = Path::new(&git_dir).join(reference);
            if path.exists() {
                println!("cargo:rerun-if-changed={}", path.display());
            }
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
