//! `cargo xtask bench attest`: `vouch verify-blob-attestation` of an SPDX SBOM attestation,
//! against `sha256sum` reading the SBOM, at several SBOM sizes; prints the time ratio and the
//! peak RSS against the SBOM's size (targets in docs/performance.md: ≤ 2× and ≤ 3× at 50 MB).
//!
//! The SBOM is generated: an SPDX 2.3 document of packages with checksums, licences and purls,
//! grown until it reaches the size asked for. It is attested with `vouch attest-blob` (a key,
//! no log), and verified with `--key --insecure-ignore-tlog --type spdxjson`. A size vouch
//! refuses (a limit) is reported with vouch's reason, not timed.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, ensure};

use super::measure::{self, Expect, Invocation, Stats, run_ok};

/// Targets (docs/performance.md, "Attestations"), for SBOMs of [`TARGET_SIZE`] MB and more:
/// below it, the fixed cost of a run (start-up, the trust root) weighs more than the SBOM.
const TIME_TARGET: f64 = 2.0;
const RSS_TARGET: f64 = 3.0;
const TARGET_SIZE: u64 = 50;

#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// Timed runs of each command (alternating sha256sum, vouch, …).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// SBOM sizes in MB (10⁶ bytes), comma-separated.
    #[arg(long, value_delimiter = ',', default_values_t = [1u64, 8, 50])]
    sizes: Vec<u64>,
}

/// One size's results, or why vouch refused it.
struct Row {
    size: u64,
    outcome: Result<Measured, String>,
}

struct Measured {
    sha256sum: Stats,
    vouch: Stats,
    rss_kib: u64,
}

pub(crate) fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    let sha256sum = super::require("sha256sum", "apt-get install coreutils")?;
    let time = PathBuf::from("/usr/bin/time");
    ensure!(
        time.is_file(),
        "/usr/bin/time not found: apt-get install time"
    );
    let vouch = super::build_vouch(root)?;
    let work = root.join("target/bench/attest");
    fs::create_dir_all(&work).with_context(|| format!("creating {}", work.display()))?;
    let artifact = work.join("app.tar.zst");
    fs::write(&artifact, b"the release the SBOM describes\n")?;
    let key = work.join("key");
    if !key.with_extension("pub").is_file() {
        measure::pkcs8_key(&vouch, &key)?;
    }
    let load_start = super::load_average();
    let mut rows = Vec::new();
    for &size in &options.sizes {
        let sbom = work.join(format!("sbom-{size}mb.spdx.json"));
        let bytes = size * 1_000_000;
        fs::write(&sbom, spdx(bytes)).with_context(|| format!("writing {}", sbom.display()))?;
        let bundle = work.join(format!("sbom-{size}mb.sigstore.json"));
        run_ok(
            Command::new(&vouch)
                .args(["attest-blob", "--type", "spdxjson", "--key"])
                .arg(key.with_extension("key"))
                .arg("--predicate")
                .arg(&sbom)
                .arg("--bundle")
                .arg(&bundle)
                .arg(&artifact),
        )?;
        let verify = Invocation::new(&vouch, Expect::Success)
            .arg("verify-blob-attestation")
            .arg("--key")
            .arg(key.with_extension("pub"))
            .arg("--insecure-ignore-tlog")
            .arg("--type")
            .arg("spdxjson")
            .arg("--bundle")
            .arg(&bundle)
            .arg(&artifact);
        let probe = Command::new(&vouch)
            .args(&verify.args)
            .output()
            .context("running vouch")?;
        if !probe.status.success() {
            let reason = String::from_utf8_lossy(&probe.stderr);
            rows.push(Row {
                size,
                outcome: Err(format!(
                    "refused ({}): {}",
                    probe.status,
                    reason
                        .lines()
                        .find(|l| l.starts_with("error"))
                        .unwrap_or("")
                )),
            });
            continue;
        }
        let hash = Invocation::new(&sha256sum, Expect::Success).arg(&sbom);
        eprintln!(
            "bench: {size} MB SBOM, {} runs of each command in turn",
            options.runs
        );
        let stats = measure::rotate(&[&hash, &verify], options.runs)?;
        rows.push(Row {
            size,
            outcome: Ok(Measured {
                sha256sum: stats[0],
                vouch: stats[1],
                rss_kib: measure::peak_rss_kib(&time, &verify)?,
            }),
        });
    }
    print!("{}", report(&rows, options.runs, &load_start));
    Ok(())
}

fn report(rows: &[Row], runs: u32, load_start: &str) -> String {
    let (cpu, sha_ni) = super::cpu_model();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nvouch verify-blob-attestation of an SPDX SBOM attestation, against sha256sum reading the SBOM"
    );
    let _ = writeln!(
        out,
        "CPU: {cpu} ({} cores, SHA extensions: {}); medians of {runs} runs; load {load_start} -> {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        if sha_ni { "yes" } else { "no" },
        super::load_average()
    );
    let _ = writeln!(
        out,
        "{:>8}  {:>12}  {:>12}  {:>14}  {:>12}  {:>10}",
        "SBOM", "sha256sum", "vouch", "vouch÷sha256sum", "peak RSS", "RSS÷SBOM"
    );
    for row in rows {
        match &row.outcome {
            Ok(m) => {
                let ratio = m.vouch.median.as_secs_f64() / m.sha256sum.median.as_secs_f64();
                let rss = m.rss_kib as f64 * 1024.0 / (row.size as f64 * 1e6);
                let _ = writeln!(
                    out,
                    "{:>6} MB  {:>9.1} ms  {:>9.1} ms  {:>13.2}×{}  {:>8.1} MiB  {:>9.2}×{}",
                    row.size,
                    m.sha256sum.median.as_secs_f64() * 1e3,
                    m.vouch.median.as_secs_f64() * 1e3,
                    ratio,
                    if ratio <= TIME_TARGET || row.size < TARGET_SIZE {
                        " "
                    } else {
                        "!"
                    },
                    m.rss_kib as f64 / 1024.0,
                    rss,
                    if rss <= RSS_TARGET || row.size < TARGET_SIZE {
                        " "
                    } else {
                        "!"
                    },
                );
            }
            Err(reason) => {
                let _ = writeln!(out, "{:>6} MB  {reason}", row.size);
            }
        }
    }
    let _ = writeln!(
        out,
        "targets from {TARGET_SIZE} MB: vouch ≤ {TIME_TARGET}× sha256sum's time, peak RSS ≤ {RSS_TARGET}× the SBOM (`!` marks a miss)"
    );
    out
}

/// One package of the generated SBOM, `n`th.
fn package(n: u64) -> String {
    format!(
        r#"{{"SPDXID":"SPDXRef-Package-{n}","name":"package-{n}","versionInfo":"1.{}.{}","downloadLocation":"https://registry.example/pkg/package-{n}/-/package-{n}-1.{}.{}.tgz","filesAnalyzed":false,"licenseConcluded":"MIT","licenseDeclared":"MIT","copyrightText":"NOASSERTION","checksums":[{{"algorithm":"SHA256","checksumValue":"{:064x}"}}],"externalRefs":[{{"referenceCategory":"PACKAGE-MANAGER","referenceType":"purl","referenceLocator":"pkg:npm/package-{n}@1.{}.{}"}}]}}"#,
        n % 97,
        n % 13,
        n % 97,
        n % 13,
        u128::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15),
        n % 97,
        n % 13
    )
}

/// An SPDX 2.3 document of at least `bytes` bytes.
fn spdx(bytes: u64) -> String {
    let mut out = String::from(
        r#"{"spdxVersion":"SPDX-2.3","dataLicense":"CC0-1.0","SPDXID":"SPDXRef-DOCUMENT","name":"app","documentNamespace":"https://vouch.invalid/spdx/app","creationInfo":{"created":"2026-12-01T00:00:00Z","creators":["Tool: vouch-bench"]},"packages":["#,
    );
    let mut n = 0;
    while (out.len() as u64) < bytes {
        if n > 0 {
            out.push(',');
        }
        out.push_str(&package(n));
        n += 1;
    }
    out.push_str("]}");
    out
}
