//! `cargo xtask tidy`: the architecture invariants of `docs/architecture.md`, checked.
//!
//! The source checks also run as a plain `#[test]`, so `cargo test --workspace` enforces them;
//! the dependency-graph check needs `cargo tree` and runs from `cargo xtask tidy` (in `.ci/run`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// What a library crate under `crates/` is allowed to do. Every library crate must be listed
/// here, so a new crate is classified by a reviewed change rather than escaping the checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    /// Synchronous and pure: no I/O except through a caller's `std::io::Read`, no environment,
    /// no clock, no processes, never prints; no runtime, HTTP stack or OpenSSL in its graph.
    Pure,
    /// Pure, but for an I/O driver in one folder under `src/` compiled only with a
    /// non-default feature: the graph check sees the default features, so the driver's
    /// runtime and HTTP stack stay out of what pure users get.
    PureWithDriver {
        /// The drivers' folders, relative to the crate's `src/`.
        driver_dirs: &'static [&'static str],
    },
    /// Not held to the pure rules, for the stated reason.
    Exempt(&'static str),
}

/// The library crates, by folder under `crates/`. A listed folder that does not exist (yet) is
/// skipped; a library folder that is not listed is reported.
const LIBRARIES: [(&str, Role); 7] = [
    ("keys", Role::Pure),
    ("blob", Role::Pure),
    ("sigstore", Role::Pure),
    ("attest", Role::Pure),
    ("policy", Role::Pure),
    (
        "oci",
        // `registry`: HTTP; `layout`: layout folders and archives on disk; `copy`: images
        // streamed between the two.
        Role::PureWithDriver {
            driver_dirs: &["registry", "layout", "copy"],
        },
    ),
    (
        "testdata",
        Role::Exempt("test helper that reads testdata/ from disk; a dev-dependency only"),
    ),
];

/// Crates a pure library must not depend on (runtime, HTTP stack, OpenSSL).
const FORBIDDEN_IN_PURE: [&str; 9] = [
    "tokio",
    "async-std",
    "smol",
    "reqwest",
    "hyper",
    "ureq",
    "openssl-sys",
    "openssl",
    "native-tls",
];

/// Tokens a pure library must not use: I/O of its own, the environment, the clock, processes,
/// printing. Matched at a word boundary, so `fs::` also catches `use std::{fs, ...}` code.
const FORBIDDEN_IN_PURE_SOURCE: [&str; 22] = [
    "std::fs",
    "fs::",
    "File::open",
    "File::create",
    "std::net",
    "TcpStream",
    "UdpSocket",
    "std::env",
    "env::var",
    "SystemTime::now",
    "Instant::now",
    "std::process",
    "Command::new",
    "stdin()",
    "stdout()",
    "stderr()",
    "println!",
    "eprintln!",
    "print!",
    "eprint!",
    "dbg!",
    "tokio::",
];

/// Tokens that write to the terminal; in the CLI only [`CLI_OUTPUT_MODULE`] may use them.
const PRINTING: [&str; 7] = [
    "println!",
    "eprintln!",
    "print!",
    "eprint!",
    "dbg!",
    "stdout()",
    "stderr()",
];

/// An open file handed over by the caller: a pure library may read or map it, as it may read
/// a caller's `std::io::Read`, but never open one itself.
const CALLERS_FILE: &str = "std::fs::File";

/// The files that may allow `unsafe_code` (denied for the workspace): mapping a file, and
/// handling the SIGBUS a truncated mapping raises. Nothing else needs it.
const UNSAFE_ALLOWED: [&str; 4] = [
    "crates/blob/src/mapped.rs",
    "crates/blob/src/file.rs",
    "crates/cli/src/file_reading.rs",
    "crates/cli/src/policy_memory.rs",
];

/// The one CLI module (with its submodules) that writes to stdout and stderr.
const CLI_OUTPUT_MODULE: &str = "crates/cli/src/output";
const CLI_COMMANDS_MODULE: &str = "crates/cli/src/commands";

pub(crate) fn check(root: &Path) -> anyhow::Result<()> {
    let mut problems = source_problems(root)?;
    problems.extend(dependency_problems(root)?);
    if problems.is_empty() {
        println!("tidy: all architecture invariants hold (docs/architecture.md)");
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
    let libraries = libraries(root)?;
    for library in &libraries {
        match library.role {
            Some(Role::Pure) => pure_source_problems(root, &library.dir, &[], &mut problems)?,
            Some(Role::PureWithDriver { driver_dirs }) => {
                pure_source_problems(root, &library.dir, driver_dirs, &mut problems)?;
            }
            Some(Role::Exempt(_)) => {}
            None => problems.push(format!(
                "{}: library crate `{}` is not classified; add it to LIBRARIES in xtask/src/tidy.rs \
                 (pure, or exempt with a reason) and to docs/architecture.md",
                relative(root, &library.dir),
                library.package
            )),
        }
    }
    cli_printing_problems(root, &mut problems)?;
    cli_layering_problems(root, &mut problems)?;
    ignored_test_problems(root, &mut problems)?;
    unsafe_problems(root, &mut problems)?;
    interop_provenance_problems(root, &mut problems)?;
    Ok(problems)
}

/// A library crate found under `crates/`.
struct Library {
    dir: PathBuf,
    package: String,
    role: Option<Role>,
}

fn libraries(root: &Path) -> anyhow::Result<Vec<Library>> {
    let mut found = Vec::new();
    let crates = root.join("crates");
    if !crates.is_dir() {
        return Ok(found);
    }
    let mut dirs: Vec<PathBuf> = fs::read_dir(&crates)
        .with_context(|| format!("reading {}", crates.display()))?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    dirs.sort();
    for dir in dirs {
        if !dir.join("src/lib.rs").is_file() {
            continue;
        }
        let manifest = dir.join("Cargo.toml");
        let text = fs::read_to_string(&manifest)
            .with_context(|| format!("reading {}", manifest.display()))?;
        let package = package_name(&text)
            .with_context(|| format!("no `name = \"...\"` in {}", manifest.display()))?;
        let folder = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
        let role = LIBRARIES
            .iter()
            .find(|(name, _)| *name == folder)
            .map(|(_, role)| *role);
        found.push(Library { dir, package, role });
    }
    Ok(found)
}

/// The `name` of the `[package]` table of a manifest.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package
            && let Some(value) = line.strip_prefix("name")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_owned());
        }
    }
    None
}

fn pure_source_problems(
    root: &Path,
    dir: &Path,
    driver_dirs: &[&str],
    problems: &mut Vec<String>,
) -> anyhow::Result<()> {
    let drivers: Vec<_> = driver_dirs
        .iter()
        .map(|d| dir.join("src").join(d))
        .collect();
    for file in rust_files(&dir.join("src"))? {
        if is_test_file(&file) || drivers.iter().any(|d| file.starts_with(d)) {
            continue;
        }
        let text = fs::read_to_string(&file)?;
        for (number, line) in non_test_code_lines(&text) {
            let line = line.replace(CALLERS_FILE, "");
            for token in FORBIDDEN_IN_PURE_SOURCE {
                if contains_token(&line, token) {
                    problems.push(format!(
                        "{}:{number}: `{token}` in a pure library (libraries do no I/O of their own, \
                         read no environment or clock, start no processes, and never print)",
                        relative(root, &file)
                    ));
                }
            }
        }
    }
    Ok(())
}

fn cli_printing_problems(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    for file in rust_files(&root.join("crates/cli/src"))? {
        if relative(root, &file).starts_with(CLI_OUTPUT_MODULE) || is_test_file(&file) {
            continue;
        }
        let text = fs::read_to_string(&file)?;
        for (number, line) in non_test_code_lines(&text) {
            for token in PRINTING {
                if contains_token(line, token) {
                    problems.push(format!(
                        "{}:{number}: `{token}` outside {CLI_OUTPUT_MODULE} (the CLI prints in one place)",
                        relative(root, &file)
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The CLI's layers (docs/architecture.md): a command never imports another command (what two
/// share lives in a module below both), and nothing below the commands imports one.
fn cli_layering_problems(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let src = root.join("crates/cli/src");
    for file in rust_files(&src)? {
        let path = relative(root, &file);
        if is_test_file(&file) || path == "crates/cli/src/main.rs" {
            continue;
        }
        let in_commands = path.starts_with(CLI_COMMANDS_MODULE);
        if path == format!("{CLI_COMMANDS_MODULE}/mod.rs") {
            continue;
        }
        let text = fs::read_to_string(&file)?;
        for (number, line) in non_test_code_lines(&text) {
            let reaches_commands = line.contains("crate::commands");
            let reaches_sibling = in_commands && line.trim_start().starts_with("use super::");
            if reaches_commands || reaches_sibling {
                let rule = if in_commands {
                    "a command imports another command: move what they share into a module \
                     below both"
                } else {
                    "a module below the commands imports one: commands depend on it, not the \
                     other way round"
                };
                problems.push(format!("{path}:{number}: {rule}"));
            }
        }
    }
    Ok(())
}

fn ignored_test_problems(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    for dir in ["crates", "xtask"] {
        for file in rust_files(&root.join(dir))? {
            let text = fs::read_to_string(&file)?;
            // All lines, test modules included: that is where `#[ignore]` would be.
            for (number, line) in code_lines(&text) {
                let ignore = line.starts_with("#[ignore")
                    || (line.starts_with("#[cfg_attr(") && contains_token(line, "ignore"));
                if ignore {
                    problems.push(format!(
                        "{}:{number}: an #[ignore]d test checks nothing; fix it, or assert the \
                         current behaviour with a FIXME",
                        relative(root, &file)
                    ));
                }
            }
        }
    }
    Ok(())
}

fn unsafe_problems(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    for dir in ["crates", "xtask"] {
        for file in rust_files(&root.join(dir))? {
            let path = relative(root, &file);
            if UNSAFE_ALLOWED.contains(&path.as_str()) {
                continue;
            }
            let text = fs::read_to_string(&file)?;
            for (number, line) in code_lines(&text) {
                let attribute = line.trim_start_matches("#!").trim_start_matches('#');
                if attribute.starts_with("[allow(unsafe_code") {
                    problems.push(format!(
                        "{path}:{number}: unsafe code outside the files that map files \
                         (UNSAFE_ALLOWED in xtask/src/tidy.rs; docs/architecture.md)"
                    ));
                }
            }
        }
    }
    Ok(())
}

fn interop_provenance_problems(root: &Path, problems: &mut Vec<String>) -> anyhow::Result<()> {
    let interop = root.join("testdata/interop");
    if !interop.is_dir() {
        return Ok(());
    }
    let mut dirs: Vec<PathBuf> = fs::read_dir(&interop)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    dirs.sort();
    for dir in dirs.iter().filter(|d| d.is_dir()) {
        for required in ["PROVENANCE.md", "SHA256SUMS"] {
            if !dir.join(required).is_file() {
                problems.push(format!(
                    "{}: interop vectors need a {required} (where they come from, and their checksums)",
                    relative(root, dir)
                ));
            }
        }
    }
    Ok(())
}

/// The pure crates' normal dependency graphs (all features; default features for a crate with
/// a driver) contain no runtime, HTTP stack or OpenSSL.
fn dependency_problems(root: &Path) -> anyhow::Result<Vec<String>> {
    let mut problems = Vec::new();
    for library in libraries(root)? {
        let features = match library.role {
            Some(Role::Pure) => "--all-features",
            Some(Role::PureWithDriver { .. }) => "--features=",
            Some(Role::Exempt(_)) | None => continue,
        };
        let package = &library.package;
        let output = Command::new(env!("CARGO"))
            .current_dir(root)
            .args([
                "tree", "--locked", features, "-e", "normal", "--prefix", "none", "-p", package,
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
                    "{package} depends on {name} ({}); pure libraries must not pull a runtime, \
                     an HTTP stack or OpenSSL (`cargo tree -p {package} -i {name}` shows why)",
                    line.trim()
                ));
            }
        }
    }
    Ok(problems)
}

/// Whether `line` contains `token` starting at a word boundary (`fs::` matches in `std::fs::read`
/// and `fs::read`, not in `refs::x`; `print!` does not match inside `eprint!` or `println!`).
fn contains_token(line: &str, token: &str) -> bool {
    line.match_indices(token).any(|(at, _)| {
        let before_ok = line[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after_ok = !token.ends_with(|c: char| c.is_alphanumeric() || c == '_')
            || line[at + token.len()..]
                .chars()
                .next()
                .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        before_ok && after_ok
    })
}

/// Test-only source files inside `src/` (`tests.rs`, `tests/…`).
fn is_test_file(path: &Path) -> bool {
    path.file_name().is_some_and(|n| n == "tests.rs")
        || path.components().any(|c| c.as_os_str() == "tests")
}

/// Lines of code with their 1-based numbers, trimmed, without `//` comment lines.
fn code_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with("//"))
}

/// [`code_lines`] without the items under `#[cfg(test)]` (tests may read files and print).
fn non_test_code_lines(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut lines = code_lines(text).peekable();
    while let Some((number, line)) = lines.next() {
        if line != "#[cfg(test)]" {
            out.push((number, line));
            continue;
        }
        // Skip the attributed item: up to its `;`, or to the `}` that balances its first `{`.
        let mut depth = 0_usize;
        let mut opened = false;
        for (_, item_line) in lines.by_ref() {
            for c in item_line.chars() {
                match c {
                    '{' => {
                        depth += 1;
                        opened = true;
                    }
                    '}' => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
            let ends_without_body = !opened && item_line.ends_with(';');
            if ends_without_body || (opened && depth == 0) {
                break;
            }
        }
    }
    out
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
                .is_some_and(|n| n == "snapshots" || n == "target" || n == "fuzz")
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
            "architecture invariants violated (docs/architecture.md):\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn the_checks_can_fail() {
        let scratch = std::env::temp_dir().join(format!("vouch-tidy-{}", std::process::id()));
        let write = |path: &str, text: &str| {
            let path = scratch.join(path);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(path, text).unwrap();
        };
        write(
            "crates/keys/Cargo.toml",
            "[package]\nname = \"vouch-keys\"\n",
        );
        write(
            "crates/keys/src/lib.rs",
            "use std::{fs, io};\nfn f() { println!(\"hi\"); let _ = fs::read(\"x\"); }\n\
             #[cfg(test)]\nmod tests {\n    #[test]\n    #[ignore]\n    fn g() { println!(\"ok in tests\"); }\n}\n\
             fn h() { let _ = std::time::SystemTime::now(); }\n",
        );
        write(
            "crates/newlib/Cargo.toml",
            "[package]\nname = \"vouch-new\"\n",
        );
        write(
            "crates/newlib/src/lib.rs",
            "#![allow(unsafe_code)]\nfn f(file: &std::fs::File) {}\n",
        );
        write("crates/cli/src/verify.rs", "fn f() { eprintln!(\"x\"); }\n");
        write("crates/cli/src/output.rs", "fn f() { println!(\"x\"); }\n");
        write(
            "crates/cli/src/commands/sign.rs",
            "use crate::commands::verify;\nuse super::verify::Data;\n",
        );
        write(
            "crates/cli/src/output/rows.rs",
            "use crate::commands::verify::Row;\n",
        );
        fs::create_dir_all(scratch.join("testdata/interop/sometool")).unwrap();
        let problems = source_problems(&scratch).unwrap();
        fs::remove_dir_all(&scratch).unwrap();
        let joined = problems.join("\n");
        for expected in [
            "crates/keys/src/lib.rs:2: `println!`",
            "crates/keys/src/lib.rs:2: `fs::`",
            "crates/keys/src/lib.rs:6: an #[ignore]d test",
            "crates/keys/src/lib.rs:9: `SystemTime::now`",
            "library crate `vouch-new` is not classified",
            "crates/cli/src/verify.rs:1: `eprintln!` outside",
            "testdata/interop/sometool: interop vectors need a PROVENANCE.md",
            "testdata/interop/sometool: interop vectors need a SHA256SUMS",
            "crates/cli/src/commands/sign.rs:1: a command imports another command",
            "crates/cli/src/commands/sign.rs:2: a command imports another command",
            "crates/cli/src/output/rows.rs:1: a module below the commands imports one",
            "crates/newlib/src/lib.rs:1: unsafe code outside the files that map files",
        ] {
            assert!(
                joined.contains(expected),
                "{expected} not reported in:\n{joined}"
            );
        }
        assert!(
            !joined.contains("ok in tests") && !joined.contains(":7:"),
            "test modules may print:\n{joined}"
        );
        assert!(
            !joined.contains("crates/cli/src/output.rs:"),
            "output.rs may print:\n{joined}"
        );
        assert_eq!(problems.len(), 12, "{joined}");
    }

    #[test]
    fn tokens_match_at_word_boundaries() {
        assert!(contains_token("let _ = std::fs::read(p);", "fs::"));
        assert!(contains_token("fs::read(p)", "fs::"));
        assert!(!contains_token("refs::x", "fs::"));
        assert!(contains_token("print!(\"x\")", "print!"));
        assert!(!contains_token("eprint!(\"x\")", "print!"));
        assert!(!contains_token("println!(\"x\")", "print!"));
        assert!(contains_token("#[cfg_attr(miri, ignore)]", "ignore"));
        assert!(!contains_token("ignored", "ignore"));
    }

    #[test]
    fn package_names_come_from_the_package_table() {
        let manifest = "[lib]\nname = \"x\"\n\n[package]\nname = \"vouch-keys\"\nversion = \"1\"\n";
        assert_eq!(package_name(manifest).as_deref(), Some("vouch-keys"));
    }
}
