//! Running `vouch verify --output json` and checking that it verified every image: a benchmark
//! over failures would be worthless.
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use serde_json::Value;

use super::{Image, VERIFY_FLAGS};

/// Peak RSS and CPU time of one run, from `/usr/bin/time -v`.
#[derive(Debug)]
pub(crate) struct Usage {
    pub(crate) rss_kib: u64,
    /// User + system.
    pub(crate) cpu: Duration,
}

/// `vouch verify --key KEY VERIFY_FLAGS --output json` against one registry address.
#[derive(Debug)]
pub(crate) struct Verifier<'a> {
    pub(crate) vouch: &'a Path,
    pub(crate) key: &'a Path,
    /// The registry ("127.0.0.1:PORT"), or the counting proxy in front of it.
    pub(crate) host: &'a str,
}

impl Verifier<'_> {
    fn command(&self, images: &[Image]) -> Command {
        let mut cmd = Command::new(self.vouch);
        cmd.arg("verify")
            .arg("--key")
            .arg(self.key)
            .args(VERIFY_FLAGS)
            .args(["--output", "json"])
            .args(images.iter().map(|i| i.reference(self.host)))
            .stdin(Stdio::null());
        cmd
    }

    /// One invocation over `images`, checked: the wall time and the request count vouch
    /// reports (`registry_requests`), if it does.
    pub(crate) fn once(&self, images: &[Image]) -> anyhow::Result<(Duration, Option<u64>)> {
        let mut cmd = self.command(images);
        let start = Instant::now();
        let out = cmd.output().context("running vouch verify")?;
        let elapsed = start.elapsed();
        let requests = self.check(&cmd, &out, images)?;
        Ok((elapsed, requests))
    }

    /// One invocation per image, sequentially: the total wall time and reported requests.
    pub(crate) fn each(&self, images: &[Image]) -> anyhow::Result<(Duration, Option<u64>)> {
        let (mut total, mut requests) = (Duration::ZERO, Some(0));
        for image in images {
            let (elapsed, reported) = self.once(std::slice::from_ref(image))?;
            total += elapsed;
            requests = requests.zip(reported).map(|(a, b)| a + b);
        }
        Ok((total, requests))
    }

    /// The CPU time (user + system) of one invocation per image, averaged over one invocation
    /// for each of `images`, one after the other. `/usr/bin/time` counts in hundredths of a
    /// second, too coarse for one invocation of a few ms; so it times one `sh` running them
    /// all, whose children's time it includes. Each invocation must exit 0 (the timed runs
    /// already checked their reports).
    pub(crate) fn cpu_per_invocation(
        &self,
        time: &Path,
        images: &[Image],
    ) -> anyhow::Result<Duration> {
        let mut script = String::from("set -e\n");
        for image in images {
            let cmd = self.command(std::slice::from_ref(image));
            let quoted: Vec<String> = std::iter::once(cmd.get_program())
                .chain(cmd.get_args())
                .map(|a| format!("'{}'", a.to_string_lossy().replace('\'', "'\\''")))
                .collect();
            script.push_str(&quoted.join(" "));
            script.push_str(" >/dev/null\n");
        }
        let out = Command::new(time)
            .args(["-f", "%U %S", "sh", "-c", &script])
            .stdin(Stdio::null())
            .output()
            .context("running /usr/bin/time sh")?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        anyhow::ensure!(out.status.success(), "an invocation failed: {stderr}");
        let mut fields = stderr.lines().last().unwrap_or_default().split(' ');
        let mut seconds = || -> anyhow::Result<f64> {
            Ok(fields
                .next()
                .context("no CPU times from /usr/bin/time")?
                .parse()?)
        };
        let total = seconds()? + seconds()?;
        Ok(Duration::from_secs_f64(total / images.len().max(1) as f64))
    }

    /// One invocation over `images` under `/usr/bin/time -v`, checked.
    pub(crate) fn usage(&self, time: &Path, images: &[Image]) -> anyhow::Result<Usage> {
        let cmd = self.command(images);
        let mut timed = Command::new(time);
        timed
            .arg("-v")
            .arg(cmd.get_program())
            .args(cmd.get_args())
            .stdin(Stdio::null());
        let out = timed.output().context("running /usr/bin/time -v")?;
        self.check(&timed, &out, images)?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let field = |name: &str| {
            stderr
                .lines()
                .find_map(|l| l.trim().strip_prefix(name))
                .map(str::trim)
                .with_context(|| {
                    format!("no `{name}` in the output of /usr/bin/time -v:\n{stderr}")
                })
        };
        let seconds = |name: &str| -> anyhow::Result<Duration> {
            Ok(Duration::from_secs_f64(field(name)?.parse()?))
        };
        Ok(Usage {
            rss_kib: field("Maximum resident set size (kbytes):")?.parse()?,
            cpu: seconds("User time (seconds):")? + seconds("System time (seconds):")?,
        })
    }

    /// Checks that a run verified every one of `images`: exit 0, and for each image an entry
    /// with `verified: true`, its digest, and at least one signature. Returns the
    /// `registry_requests` vouch reports, if it does.
    fn check(&self, cmd: &Command, out: &Output, images: &[Image]) -> anyhow::Result<Option<u64>> {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let problem = match serde_json::from_str::<Value>(&stdout) {
            Err(err) => format!("stdout is not JSON ({err})"),
            Ok(report) if out.status.success() => match self.unverified(&report, images) {
                None => return Ok(report["registry_requests"].as_u64()),
                Some(problem) => problem,
            },
            Ok(_) => format!("vouch ended with {}", out.status),
        };
        let mut shown = format!("{cmd:?}");
        if shown.len() > 600 {
            shown.truncate(600);
            shown.push_str(" …");
        }
        bail!(
            "vouch verify did not verify every image: {problem}\n  {shown}\n  stdout: {}\n  \
             stderr: {}",
            tail_chars(&stdout, 2000),
            tail_chars(&String::from_utf8_lossy(&out.stderr), 2000)
        )
    }

    /// What is wrong with the JSON report of a run over `images`, if anything.
    fn unverified(&self, report: &Value, images: &[Image]) -> Option<String> {
        let Some(entries) = report["images"].as_array() else {
            return Some("no `images` array in the JSON report".to_owned());
        };
        if entries.len() != images.len() {
            return Some(format!(
                "{} images in the report, {} expected",
                entries.len(),
                images.len()
            ));
        }
        for image in images {
            let reference = image.reference(self.host);
            let Some(entry) = entries
                .iter()
                .find(|e| e["image"].as_str() == Some(reference.as_str()))
            else {
                return Some(format!("{reference} is missing from the report"));
            };
            let signatures = entry["signatures"].as_array().map_or(0, Vec::len);
            if entry["verified"] != Value::Bool(true)
                || entry["digest"].as_str() != Some(image.digest.as_str())
                || signatures == 0
            {
                return Some(format!(
                    "{reference} (digest {}) is not verified: {entry}",
                    image.digest
                ));
            }
        }
        None
    }
}

/// The last `max` characters of `text`, trimmed.
fn tail_chars(text: &str, max: usize) -> String {
    let text = text.trim();
    let skip = text.chars().count().saturating_sub(max);
    if skip == 0 {
        text.to_owned()
    } else {
        format!("… {}", text.chars().skip(skip).collect::<String>())
    }
}

/// `cargo build --release -p vouch-cli --bin vouch`: the binary.
pub(crate) fn build(root: &Path) -> anyhow::Result<PathBuf> {
    eprintln!("bench: cargo build --release -p vouch-cli --bin vouch");
    let status = Command::new("cargo")
        .args(["build", "--release", "-p", "vouch-cli", "--bin", "vouch"])
        .current_dir(root)
        .status()
        .context("running cargo")?;
    anyhow::ensure!(
        status.success(),
        "cargo build --release -p vouch-cli failed (--vouch PATH measures a binary built before)"
    );
    Ok(root.join("target/release/vouch"))
}

/// Checks that `vouch` has a working `verify` command.
pub(crate) fn check(vouch: &Path) -> anyhow::Result<()> {
    let help = Command::new(vouch)
        .args(["verify", "--help"])
        .output()
        .with_context(|| format!("running {}", vouch.display()))?;
    anyhow::ensure!(
        help.status.success(),
        "{} has no working `verify` command (--dry-run checks the harness alone):\n{}",
        vouch.display(),
        String::from_utf8_lossy(&help.stderr)
    );
    Ok(())
}
