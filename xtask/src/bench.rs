//! `cargo xtask bench blob`: `vouch verify-blob` / `verify-dir` against `openssl dgst`, files in
//! page cache, alternating runs; prints ratios against the targets of docs/performance.md.
//! `cargo xtask bench attest` (`attest`): attestation verification against `sha256sum`.
//! It is a measurement, not a test: it fails only when a run fails.
mod attest;
mod inputs;
mod measure;
mod offline;
mod serve;
mod transfer;

use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};

use inputs::{BLOB_SIZE, DIR_FILE_SIZE, DIR_FILES};
use measure::{Expect, Invocation, Stats};

#[derive(Debug, clap::Subcommand)]
pub(crate) enum Which {
    /// vouch verify-blob / verify-dir against openssl dgst.
    Blob {
        /// Timed runs of each command (alternating openssl, vouch, openssl, vouch, …).
        #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
        runs: u32,
    },
    /// vouch verify over many images in one invocation against one invocation per image.
    Oci(crate::bench_oci::Options),
    /// vouch verify-blob-attestation of SBOM attestations against sha256sum reading the SBOM.
    Attest(attest::Options),
    /// vouch verify of a signed image in a .tar.zst layout archive against zstd -dc; vouch save
    /// and load of a signed image against skopeo copy.
    Offline(offline::Options),
    /// vouch serve, the admission webhook: a burst of reviews of uncached images, then a
    /// sustained load of cached ones (wrk), and the server's peak memory.
    Serve(serve::Options),
}

/// Targets (docs/performance.md): the default way on one file, on the machines we measure; no
/// way below openssl on any machine; the folder with both cores hashing.
const BLOB_TARGET: f64 = 1.15;
const BLOB_FLOOR: f64 = 1.0;
const DIR_TARGET: f64 = 2.3;
const RSS_TARGET_KIB: u64 = 16 * 1024;

pub(crate) fn run(root: &Path, which: &Which) -> anyhow::Result<()> {
    let runs = match which {
        Which::Blob { runs } => *runs,
        Which::Oci(options) => return crate::bench_oci::run(root, options),
        Which::Attest(options) => return attest::run(root, options),
        Which::Offline(options) => return offline::run(root, options),
        Which::Serve(options) => return serve::run(root, options),
    };
    let openssl = require("openssl", "apt-get install openssl")?;
    let time = PathBuf::from("/usr/bin/time");
    ensure!(
        time.is_file(),
        "/usr/bin/time not found: apt-get install time"
    );
    let vouch = build_vouch(root)?;
    let inputs = inputs::prepare(&root.join("target/bench/blob"), &openssl)?;
    eprintln!("bench: warming the page cache");
    inputs::warm(&inputs.data_files)?;
    let load_start = load_average();

    let key = &inputs.public_key;
    let openssl_blob = Invocation::new(&openssl, Expect::VerifiedOk)
        .arg("dgst")
        .arg("-sha256")
        .arg("-verify")
        .arg(key)
        .arg("-signature")
        .arg(&inputs.blob_sig)
        .arg(&inputs.blob);
    let vouch_blob = vouch_blob_args(&vouch, key, &inputs);
    let openssl_dir = Invocation::new(Path::new("bash"), Expect::AllValid(DIR_FILES))
        .arg("-c")
        .arg(shell_loop(&inputs.dir, key)?);
    let vouch_dir = vouch_dir_args(&vouch, &inputs.dir, key);
    let hash_only = Invocation::new(&openssl, Expect::Success)
        .arg("dgst")
        .arg("-sha256")
        .arg(&inputs.blob);
    // Each way of reading files (docs/performance.md, "Files"), chosen by VOUCH_FILE_READING.
    let blob_ways: Vec<Invocation> = OTHER_WAYS
        .iter()
        .map(|way| vouch_blob_args(&vouch, key, &inputs).env("VOUCH_FILE_READING", way))
        .collect();
    let vouch_dir_read = vouch_dir_args(&vouch, &inputs.dir, key).env("VOUCH_FILE_READING", "read");

    eprintln!("bench: 2 GiB file, {runs} runs of each command in turn");
    let mut blob = vec![&openssl_blob, &vouch_blob];
    blob.extend(&blob_ways);
    blob.push(&hash_only);
    let blob = measure::rotate(&blob, runs)?;
    eprintln!("bench: folder, {runs} runs of each command in turn");
    let dir = measure::rotate(&[&openssl_dir, &vouch_dir, &vouch_dir_read], runs)?;
    eprintln!("bench: SHA-256 over memory, and peak RSS");
    let figures = Figures {
        runs,
        blob_openssl: blob[0],
        blob_vouch: blob[1],
        blob_ways: OTHER_WAYS
            .iter()
            .copied()
            .zip(blob[2..2 + OTHER_WAYS.len()].iter().copied())
            .collect(),
        hash_only: blob[2 + OTHER_WAYS.len()],
        hash_in_memory: measure::hash_in_memory(BLOB_SIZE, runs),
        dir_openssl: dir[0],
        dir_vouch: dir[1],
        dir_vouch_read: dir[2],
        rss_openssl: measure::peak_rss_kib(&time, &openssl_blob)?,
        rss_vouch: measure::peak_rss_kib(&time, &vouch_blob)?,
        rss_vouch_dir: measure::peak_rss_kib(&time, &vouch_dir)?,
        load_start,
        load_end: load_average(),
    };
    print_report(&figures);
    Ok(())
}

/// The ways of reading a file measured beside vouch's default (`map`).
const OTHER_WAYS: [&str; 3] = ["read", "read-ahead", "map-ahead"];

fn vouch_blob_args(vouch: &Path, key: &Path, inputs: &inputs::Inputs) -> Invocation {
    Invocation::new(vouch, Expect::VerifiedOk)
        .arg("verify-blob")
        .arg("--key")
        .arg(key)
        .arg("--signature")
        .arg(&inputs.blob_sig)
        .arg(&inputs.blob)
}

/// `--color always`: the ✅ lines the check counts, as on a terminal (a pipe gets `OK`).
fn vouch_dir_args(vouch: &Path, dir: &Path, key: &Path) -> Invocation {
    Invocation::new(vouch, Expect::AllValid(DIR_FILES))
        .arg("--color")
        .arg("always")
        .arg("verify-dir")
        .arg(dir)
        .arg("--key")
        .arg(key)
}

/// Everything one run measured.
#[derive(Debug)]
struct Figures {
    runs: u32,
    blob_openssl: Stats,
    blob_vouch: Stats,
    blob_ways: Vec<(&'static str, Stats)>,
    hash_only: Stats,
    hash_in_memory: Stats,
    dir_openssl: Stats,
    dir_vouch: Stats,
    dir_vouch_read: Stats,
    rss_openssl: u64,
    rss_vouch: u64,
    rss_vouch_dir: u64,
    load_start: String,
    load_end: String,
}

fn print_report(f: &Figures) {
    let Figures {
        runs,
        load_start,
        load_end,
        rss_openssl,
        rss_vouch,
        rss_vouch_dir,
        ..
    } = f;
    let dir_bytes = DIR_FILE_SIZE * DIR_FILES as u64;
    let (cpu, sha_ni) = cpu_model();
    println!();
    println!(
        "machine: {cpu}, nproc {}, sha_ni {}",
        command_output("nproc", &[]),
        if sha_ni { "yes" } else { "no" }
    );
    println!(
        "date: {}",
        command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
    );
    println!("load average: {load_start} before, {load_end} after");
    if load_start
        .split(' ')
        .next()
        .and_then(|l| l.parse::<f64>().ok())
        .is_some_and(|l| l > 0.5)
    {
        println!(
            "note: the machine was busy before the run (1-minute load > 0.5); figures may be noisy"
        );
    }
    println!("{runs} timed runs per command, alternating, files in page cache");
    println!();
    println!(
        "{:<48} {:>8} {:>8} {:>6}",
        "command", "median", "min", "GB/s"
    );
    let row = |name: &str, s: &Stats, bytes: u64| {
        println!(
            "{name:<48} {:>7.3}s {:>7.3}s {:>6.2}",
            s.median.as_secs_f64(),
            s.min.as_secs_f64(),
            s.gb_per_s(bytes)
        );
    };
    row(
        "2 GiB file: openssl dgst -sha256 -verify",
        &f.blob_openssl,
        BLOB_SIZE,
    );
    row(
        "2 GiB file: vouch verify-blob (default)",
        &f.blob_vouch,
        BLOB_SIZE,
    );
    for (way, stats) in &f.blob_ways {
        row(
            &format!("2 GiB file: vouch verify-blob, {way}"),
            stats,
            BLOB_SIZE,
        );
    }
    row(
        "2 GiB file: openssl dgst -sha256 (hash only)",
        &f.hash_only,
        BLOB_SIZE,
    );
    row(
        "2 GiB: SHA-256 over memory (the limit)",
        &f.hash_in_memory,
        BLOB_SIZE,
    );
    row(
        "32 x 64 MiB: bash loop, openssl per file",
        &f.dir_openssl,
        dir_bytes,
    );
    row(
        "32 x 64 MiB: vouch verify-dir (default)",
        &f.dir_vouch,
        dir_bytes,
    );
    row(
        "32 x 64 MiB: vouch verify-dir, read",
        &f.dir_vouch_read,
        dir_bytes,
    );
    println!(
        "peak RSS, 2 GiB file: openssl {}, vouch verify-blob {}; vouch verify-dir {}",
        mib(*rss_openssl),
        mib(*rss_vouch),
        mib(*rss_vouch_dir)
    );
    println!();
    println!(
        "{:<40} {:>10} {:>10} {:>10}  result",
        "target", "measured", "best runs", "target"
    );
    let verdict = |ok: bool| if ok { "PASS" } else { "BELOW-TARGET" };
    let speed = |name: &str, openssl: &Stats, vouch: &Stats, target: f64| {
        let median = openssl.median.as_secs_f64() / vouch.median.as_secs_f64();
        let best = openssl.min.as_secs_f64() / vouch.min.as_secs_f64();
        println!(
            "{name:<40} {median:>9.2}x {best:>9.2}x {:>10}  {}",
            format!(">= {target}x"),
            verdict(median >= target)
        );
    };
    speed(
        "verify-blob speed, openssl / vouch",
        &f.blob_openssl,
        &f.blob_vouch,
        BLOB_TARGET,
    );
    speed(
        "limit: openssl / SHA-256 over memory",
        &f.blob_openssl,
        &f.hash_in_memory,
        BLOB_FLOOR,
    );
    for (way, stats) in &f.blob_ways {
        speed(
            &format!("  {way}: openssl / vouch"),
            &f.blob_openssl,
            stats,
            BLOB_FLOOR,
        );
    }
    speed(
        "verify-dir speed, openssl loop / vouch",
        &f.dir_openssl,
        &f.dir_vouch,
        DIR_TARGET,
    );
    println!(
        "{:<40} {:>10} {:>10} {:>10}  {}",
        "verify-blob peak RSS",
        mib(*rss_vouch),
        "",
        "<= 16 MiB",
        verdict(*rss_vouch <= RSS_TARGET_KIB)
    );
    println!(
        "measured: ratio of median times (decides the result); best runs: ratio of minimum times"
    );
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// The loop customers run today: one openssl process per signature, `X.sig.bin` paired with
/// `X` if it exists, else `X.zst`.
fn shell_loop(dir: &Path, key: &Path) -> anyhow::Result<String> {
    let (dir, key) = (dir.display().to_string(), key.display().to_string());
    ensure!(
        !dir.contains('\'') && !key.contains('\''),
        "the work directory path must not contain a single quote"
    );
    Ok(format!(
        r#"for s in '{dir}'/*.sig.bin; do d=${{s%.sig.bin}}.zst; [ -f "${{s%.sig.bin}}" ] && d=${{s%.sig.bin}}; if openssl dgst -sha256 -verify '{key}' -signature "$s" "$d" >/dev/null; then echo "$d: ✅"; else echo "$d: ❌"; fi; done"#
    ))
}

/// Checks that `program` runs at all; fails with how to install it otherwise.
fn require(program: &str, install: &str) -> anyhow::Result<PathBuf> {
    match Command::new(program).arg("version").output() {
        Err(e) if e.kind() == ErrorKind::NotFound => bail!("{program} not found: {install}"),
        Err(e) => Err(e).with_context(|| format!("running {program}")),
        Ok(_) => Ok(PathBuf::from(program)),
    }
}

fn build_vouch(root: &Path) -> anyhow::Result<PathBuf> {
    eprintln!("bench: cargo build --release -p vouch-cli");
    let status = Command::new("cargo")
        .args(["build", "--release", "-p", "vouch-cli"])
        .current_dir(root)
        .status()
        .context("running cargo")?;
    ensure!(
        status.success(),
        "cargo build --release -p vouch-cli failed"
    );
    let vouch = root.join("target/release/vouch");
    ensure!(
        vouch.is_file(),
        "{} not found after the build",
        vouch.display()
    );
    Ok(vouch)
}

/// The three load averages from /proc/loadavg, or "unknown".
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// Trimmed stdout of a small command, or "unknown".
fn command_output(program: &str, args: &[&str]) -> String {
    Command::new(program).args(args).output().map_or_else(
        |_| "unknown".to_owned(),
        |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
    )
}

/// CPU model name and whether the SHA extensions (`sha_ni`) are there, from /proc/cpuinfo.
fn cpu_model() -> (String, bool) {
    let info = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        info.lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
    };
    let sha_ni = field("flags").is_some_and(|f| f.split_whitespace().any(|x| x == "sha_ni"));
    (
        field("model name").unwrap_or_else(|| "unknown CPU".to_owned()),
        sha_ni,
    )
}
