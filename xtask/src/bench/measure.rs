//! Timing: commands run in turn, wall clock around `std::process::Command`, every
//! run checked for success; peak RSS through `/usr/bin/time -v`.
use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};

/// What a successful run prints on stdout.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Expect {
    /// Exactly `Verified OK`.
    VerifiedOk,
    /// Exactly this many `✅` lines and no `❌` or `⚠` anywhere.
    AllValid(usize),
    /// Anything (exit status 0 only).
    Success,
}

/// One command to time.
#[derive(Debug)]
pub(crate) struct Invocation {
    pub(crate) program: PathBuf,
    pub(crate) args: Vec<OsString>,
    pub(crate) env: Vec<(OsString, OsString)>,
    pub(crate) expect: Expect,
}

impl Invocation {
    pub(crate) fn new(program: &Path, expect: Expect) -> Self {
        Self {
            program: program.to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
            expect,
        }
    }

    #[must_use]
    pub(crate) fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_os_string());
        self
    }

    /// Sets an environment variable for every run.
    #[must_use]
    pub(crate) fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.into(), value.into()));
        self
    }

    fn describe(&self) -> String {
        let env: Vec<_> = self
            .env
            .iter()
            .map(|(k, v)| format!("{}={} ", k.to_string_lossy(), v.to_string_lossy()))
            .collect();
        let args: Vec<_> = self.args.iter().map(|a| a.to_string_lossy()).collect();
        format!(
            "{}{} {}",
            env.concat(),
            self.program.display(),
            args.join(" ")
        )
    }

    fn command(&self, program: &Path) -> Command {
        let mut command = Command::new(program);
        command
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        command
    }

    /// Checks that a run succeeded and printed what a successful verification prints.
    fn check(&self, out: &Output) -> anyhow::Result<()> {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let ok = out.status.success()
            && match self.expect {
                Expect::VerifiedOk => stdout == "Verified OK\n",
                Expect::AllValid(n) => {
                    stdout.lines().filter(|l| l.contains('✅')).count() == n
                        && !stdout.contains('❌')
                        && !stdout.contains('⚠')
                }
                Expect::Success => true,
            };
        ensure!(
            ok,
            "run failed: {}\n  {}\n  stdout: {}\n  stderr: {}",
            self.describe(),
            out.status,
            stdout.trim(),
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Ok(())
    }

    /// Runs once; returns the wall-clock time from spawn to exit.
    fn time_once(&self) -> anyhow::Result<Duration> {
        let start = Instant::now();
        let out = self
            .command(&self.program)
            .args(&self.args)
            .output()
            .with_context(|| format!("running {}", self.describe()))?;
        let elapsed = start.elapsed();
        self.check(&out)?;
        Ok(elapsed)
    }
}

/// Median and minimum of a series of runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Stats {
    pub(crate) median: Duration,
    pub(crate) min: Duration,
}

impl Stats {
    fn of(mut times: Vec<Duration>) -> Self {
        times.sort();
        let mid = times.len() / 2;
        let median = if times.len().is_multiple_of(2) {
            (times[mid - 1] + times[mid]) / 2
        } else {
            times[mid]
        };
        Self {
            median,
            min: times[0],
        }
    }

    /// Throughput in GB/s (10⁹ bytes) at the median time.
    pub(crate) fn gb_per_s(&self, bytes: u64) -> f64 {
        bytes as f64 / self.median.as_secs_f64() / 1e9
    }
}

/// Times every command in turn, `runs` rounds, after one untimed run of each: a machine that
/// gets busier or quieter during the rounds affects them all alike.
pub(crate) fn rotate(invocations: &[&Invocation], runs: u32) -> anyhow::Result<Vec<Stats>> {
    for invocation in invocations {
        invocation.time_once()?;
    }
    let mut times = vec![Vec::new(); invocations.len()];
    for _ in 0..runs {
        for (invocation, times) in invocations.iter().zip(&mut times) {
            times.push(invocation.time_once()?);
        }
    }
    Ok(times.into_iter().map(Stats::of).collect())
}

/// SHA-256 over bytes already in memory, with sha2's runtime choice of implementation (SHA-NI
/// where the CPU has it), timed in this process: the limit for any way of reading a file.
/// Returns the time per `bytes`, measured on a 256 MiB buffer.
pub(crate) fn hash_in_memory(bytes: u64, runs: u32) -> Stats {
    use sha2::Digest as _;
    const BUFFER: usize = 256 << 20;
    let buffer: Vec<u8> = (0..BUFFER).map(|i| (i % 251).to_le_bytes()[0]).collect();
    let scale = bytes as f64 / BUFFER as f64;
    let times = (0..=runs)
        .map(|_| {
            let start = Instant::now();
            std::hint::black_box(sha2::Sha256::digest(&buffer));
            start.elapsed().mul_f64(scale)
        })
        .skip(1)
        .collect();
    Stats::of(times)
}

/// Peak resident set size in KiB, from `/usr/bin/time -v`.
pub(crate) fn peak_rss_kib(time: &Path, inv: &Invocation) -> anyhow::Result<u64> {
    let out = inv
        .command(time)
        .arg("-v")
        .arg(&inv.program)
        .args(&inv.args)
        .output()
        .with_context(|| format!("running {} -v", time.display()))?;
    inv.check(&out)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in stderr.lines() {
        if let Some(value) = line
            .trim()
            .strip_prefix("Maximum resident set size (kbytes):")
        {
            return value.trim().parse().context("parsing the peak RSS");
        }
    }
    bail!("no `Maximum resident set size` in the output of /usr/bin/time -v:\n{stderr}")
}

/// `vouch generate-key-pair --format pkcs8 --output-key-prefix PREFIX`: an unencrypted key
/// pair, `PREFIX.key` and `PREFIX.pub`, for the benchmarks to sign with.
pub(crate) fn pkcs8_key(vouch: &Path, prefix: &Path) -> anyhow::Result<()> {
    run_ok(
        Command::new(vouch)
            .args([
                "generate-key-pair",
                "--format",
                "pkcs8",
                "--output-key-prefix",
            ])
            .arg(prefix),
    )
}

/// Runs a setup command (not timed), failing with its standard error if it fails.
pub(crate) fn run_ok(command: &mut Command) -> anyhow::Result<()> {
    let out = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    ensure!(
        out.status.success(),
        "{command:?} failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}
