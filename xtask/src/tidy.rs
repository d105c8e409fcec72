//! `cargo xtask tidy`: the architecture invariants of `docs/architecture.md`, checked.
//!
//! The source checks also run as a plain `#[test]`, so `cargo test --workspace` enforces them;
//! the dependency-graph check needs `cargo tree` and runs from `cargo xtask tidy` (in `.ci/run`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// Library crates: synchronous, pure, quiet.
const PURE_CRATES: [(&str, &str); 3] = [
    ("vouch-keys", "crates/keys"),
    ("vouch-blob", "crates/blob"),
    ("vouch-sigstore", "crates/sigstore"),
];

/// Crates a pure library must not depend on (runtime, HTTP stack, OpenSSL).
const FORBIDDEN_IN_PURE: [&str; 6] = [
    "tokio",
    "reqwest",
    "hyper",
    "async-std",
    "openssl-sys",
    "openssl",
];

/// Calls a pure library must not make: I/O of its own, the environment, the clock, printing.
const FORBIDDEN_CALLS: [&str; 11] = [
    "std::fs",
    "std::net",
    "std::env",
    "SystemTime::now",
    "Instant::now",
    "println!",
    "eprintln!",
    "print!(",
    "eprint!(",
    "dbg!(",
    "std::process",
];

/// The one CLI module that writes to stdout and stderr.
const CLI_OUTPUT_MODULE: &str = "crates/cli/src/output.rs";

pub(crate) fn check(root: &Path) -> anyhow::Result<()> {
    let mut problems = source_problems(root)?;
    problems.extend(dependency_problems(root)?);
    if problems.is_empty() {
        println!("tidy: all architecture invariants hold");
        return Ok(());
    }
    for problem in &problems {
        eprintln!("tidy: {problem}");
    }
    bail!(
        "{} architecture invariant violation(s); see docs/architecture.md",
        problems.len()
    )
}

/// Checks that need only the sources.
pub(crate) fn source_problems(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for (_, dir) in PURE_CRATES {
        for file in rust_files(&root.join(dir).join("src"))? {
            let text = fs::read_to_string(&file)?;
            for (number, line) in code_lines(&text) {
                for call in FORBIDDEN_CALLS {
                    if line.contains(call) {
                        problems.push(format!(
                            "{}:{number}: `{call}` in a pure library (libraries do no I/O of their own, read no environment or clock, and never print)",
                            relative(root, &file)
                        ));
                    }
                }
            }
        }
    }
    for file in rust_files(&root.join("crates/cli/src"))? {
        if relative(root, &file) == CLI_OUTPUT_MODULE {
            continue;
        }
        let text = fs::read_to_string(&file)?;
        for (number, line) in code_lines(&text) {
            for call in [
                "println!",
                "eprintln!",
                "print!(",
                "eprint!(",
                "io::stdout()",
                "io::stderr()",
            ] {
                if line.contains(call) {
                    problems.push(format!(
                        "{}:{number}: `{call}` outside {CLI_OUTPUT_MODULE} (the CLI prints in one place)",
                        relative(root, &file)
                    ));
                }
            }
        }
    }
    for dir in ["crates", "xtask"] {
        for file in rust_files(&root.join(dir))? {
            let text = fs::read_to_string(&file)?;
            for (number, line) in code_lines(&text) {
                if line.starts_with("#[ignore") {
                    problems.push(format!(
                        "{}:{number}: an #[ignore]d test checks nothing; fix it or assert the current behaviour",
                        relative(root, &file)
                    ));
                }
            }
        }
    }
    let interop = root.join("testdata/interop");
    if interop.is_dir() {
        for entry in fs::read_dir(&interop)? {
            let dir = entry?.path();
            if !dir.is_dir() {
                continue;
            }
            for required in ["PROVENANCE.md", "SHA256SUMS"] {
                if !dir.join(required).is_file() {
                    problems.push(format!(
                        "{}: interop vectors need a {required} (where they come from, and their checksums)",
                        relative(root, &dir)
                    ));
                }
            }
        }
    }
    Ok(problems)
}

/// The pure crates' normal dependency graphs (all features) contain no runtime or HTTP stack.
fn dependency_problems(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for (package, _) in PURE_CRATES {
        let output = Command::new(env!("CARGO"))
            .current_dir(root)
            .args([
                "tree",
                "--locked",
                "--all-features",
                "-e",
                "normal",
                "--prefix",
                "none",
                "-p",
                package,
            ])
            .output()
            .context("running cargo tree")?;
        if !output.status.success() {
            bail!(
                "cargo tree -p {package} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let tree = String::from_utf8_lossy(&output.stdout);
        for line in tree.lines() {
            let name = line.split_whitespace().next().unwrap_or_default();
            if FORBIDDEN_IN_PURE.contains(&name) {
                problems.push(format!(
                    "{package} depends on {name} ({line}); pure libraries must not pull a runtime, an HTTP stack or OpenSSL"
                ));
            }
        }
    }
    Ok(problems)
}

/// Lines of code with their 1-based numbers, without comments and without `#[cfg(test)]`
/// modules (tests may read files and print).
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let test_start = text.find("#[cfg(test)]").unwrap_or(text.len());
    text[..test_start]
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim_start()))
        .filter(|(_, line)| !line.starts_with("//"))
}

fn rust_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    if !dir.exists() {
        return Ok(files);
    }
    for entry in fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            if path
                .file_name()
                .is_some_and(|n| n == "snapshots" || n == "target")
            {
                continue;
            }
            files.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .to_string_lossy()
        .replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_invariants_hold() {
        let problems = source_problems(&crate::project_root()).unwrap();
        assert!(
            problems.is_empty(),
            "architecture invariants violated:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn the_checks_can_fail() {
        let scratch = std::env::temp_dir().join(format!("vouch-tidy-{}", std::process::id()));
        let src = scratch.join("crates/keys/src");
        fs::create_dir_all(&src).unwrap();
        fs::create_dir_all(scratch.join("testdata/interop/sometool")).unwrap();
        fs::write(
            src.join("lib.rs"),
            "fn f() { println!(\"hi\"); let _ = std::fs::read(\"x\"); }\n#[ignore]\nfn g() {}\n",
        )
        .unwrap();
        let problems = source_problems(&scratch).unwrap();
        fs::remove_dir_all(&scratch).unwrap();
        let joined = problems.join("\n");
        for expected in [
            "`println!`",
            "`std::fs`",
            "#[ignore]",
            "PROVENANCE.md",
            "SHA256SUMS",
        ] {
            assert!(
                joined.contains(expected),
                "{expected} not reported in:\n{joined}"
            );
        }
    }
}
