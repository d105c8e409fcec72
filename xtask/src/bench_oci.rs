//! `cargo xtask bench oci`: `vouch verify` over N signed images in one invocation against N
//! invocations of one image each, on a local registry (distribution 2.8.2) with images pushed
//! and signed by skopeo 1.18; plus skopeo's own `sigstoreSigned` policy check as a baseline.
//! Counts the registry's requests per image from its access log. A measurement, not a test: it
//! fails only when a run fails (every `vouch verify` must exit 0 and name every image's digest).
mod layout;
mod registry;
mod skopeo;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::Value;

use registry::{Registry, Traffic};
use skopeo::Skopeo;

/// How to install the registry peers.
pub(crate) const INSTALL: &str = "sudo bash testdata/peers/registry/install-peers.sh";

/// Flags of every `vouch verify` in this benchmark (after `--key`): skopeo's signatures carry no
/// Rekor bundle, so the transparency log cannot be checked.
const VERIFY_FLAGS: &[&str] = &["--insecure-ignore-tlog"];

/// Issue 4: one invocation over all images at least this many times as fast as one per image.
const TARGET: f64 = 20.0;

/// Options of `cargo xtask bench oci`.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// Signed images in the registry, all verified by each timed run.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    images: u32,
    /// Timed runs of each measurement (alternating one invocation / one per image).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Images in the skopeo baseline (sequential `skopeo copy` with a sigstoreSigned policy).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    skopeo_images: u32,
    /// skopeo pushes at the same time during setup.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=16))]
    push_jobs: u32,
    /// Set up the registry and images, count requests and run the skopeo baseline, but do not
    /// build or run vouch (checks the harness itself).
    #[arg(long)]
    dry_run: bool,
}

/// An image pushed and signed during setup.
#[derive(Debug, Clone)]
struct Image {
    /// `127.0.0.1:PORT/bench/app-<i>:1`.
    reference: String,
    /// Manifest digest, `sha256:<hex>`.
    digest: String,
}

/// Median and minimum of the timed runs, with what the registry saw in each run.
#[derive(Debug)]
struct Series {
    median: Duration,
    min: Duration,
    traffic: Vec<Traffic>,
}

impl Series {
    fn new(mut times: Vec<Duration>, traffic: Vec<Traffic>) -> Self {
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
            traffic,
        }
    }
}

/// `/usr/bin/time -v` figures of one run.
#[derive(Debug)]
struct Usage {
    rss_kib: u64,
    cpu: Duration,
}

pub(crate) fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    let registry_program = on_path("docker-registry")?;
    let skopeo_program = skopeo::find()?;
    let time = PathBuf::from("/usr/bin/time");
    ensure!(
        time.is_file(),
        "/usr/bin/time not found: apt-get install time"
    );
    let vouch = if options.dry_run {
        None
    } else {
        Some(build_vouch(root)?)
    };

    let work = root.join("target/bench/oci");
    if work.exists() {
        fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    fs::create_dir_all(work.join("registry"))?;
    let registry = Registry::start(&registry_program, &work.join("registry"))?;
    let skopeo = Skopeo::setup(skopeo_program, &work, registry.host())?;
    let setup_start = Instant::now();
    layout::write(&work.join("layout"), options.images)?;
    let layout_time = setup_start.elapsed();
    eprintln!(
        "bench: pushing and signing {} images with skopeo, {} at a time",
        options.images, options.push_jobs
    );
    let push_start = Instant::now();
    let images = push_all(&skopeo, &registry, &work, options)?;
    let push_time = push_start.elapsed();

    let load_start = load_average();
    let vouch_figures = match &vouch {
        Some(vouch) => Some(measure_vouch(
            vouch,
            &time,
            &skopeo.public_key,
            &registry,
            &images,
            options.runs,
        )?),
        None => None,
    };
    let baseline = measure_skopeo(&skopeo, &registry, &images, &work, options)?;
    let report = Report {
        options,
        images: images.len(),
        layout_time,
        push_time,
        vouch: vouch_figures,
        skopeo: baseline,
        load_start,
        load_end: load_average(),
    };
    print!("{}", report.render());
    Ok(())
}

/// Pushes and signs image `i` of the layout as `HOST/bench/app-<i>:1`, `push_jobs` at a time.
fn push_all(
    skopeo: &Skopeo,
    registry: &Registry,
    work: &Path,
    options: &Options,
) -> anyhow::Result<Vec<Image>> {
    let count = usize::try_from(options.images)?;
    let layout = work.join("layout");
    let layout = layout
        .to_str()
        .context("the work folder's path is not UTF-8")?;
    let digests = work.join("digests");
    fs::create_dir_all(&digests)?;
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<anyhow::Result<Image>>>> =
        Mutex::new((0..count).map(|_| None).collect());
    thread::scope(|scope| {
        for _ in 0..options.push_jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= count {
                        break;
                    }
                    let tag = layout::tag(u32::try_from(i).unwrap_or(u32::MAX));
                    let reference = format!("{}/bench/{tag}:1", registry.host());
                    let result = skopeo
                        .push_and_sign(
                            &format!("oci:{layout}:{tag}"),
                            &reference,
                            &digests.join(&tag),
                        )
                        .map(|digest| Image { reference, digest });
                    let failed = result.is_err();
                    if let Ok(mut results) = results.lock() {
                        results[i] = Some(result);
                    }
                    if failed {
                        // Stop this worker; the error is reported below.
                        break;
                    }
                    if (i + 1).is_multiple_of(50) {
                        eprintln!("bench: {} of {count} pushed", i + 1);
                    }
                }
            });
        }
    });
    let results = results
        .into_inner()
        .map_err(|_| anyhow::anyhow!("a push thread panicked"))?;
    let mut images = Vec::with_capacity(count);
    for (i, result) in results.into_iter().enumerate() {
        match result {
            Some(Ok(image)) => images.push(image),
            Some(Err(err)) => {
                return Err(err.context(format!(
                    "pushing image {i}; registry log:\n{}",
                    registry.log_text()
                )));
            }
            None => bail!("image {i} was not pushed (another push failed first)"),
        }
    }
    Ok(images)
}

/// What vouch measured.
#[derive(Debug)]
struct VouchFigures {
    /// (a) one invocation over all images.
    one: Series,
    /// (b) one invocation per image, sequentially.
    each: Series,
    one_usage: Usage,
    each_usage: Usage,
    version: String,
}

fn verify_command(vouch: &Path, key: &Path, images: &[Image]) -> Command {
    let mut cmd = Command::new(vouch);
    cmd.arg("verify")
        .arg("--key")
        .arg(key)
        .args(VERIFY_FLAGS)
        .args(["--output", "json"])
        .args(images.iter().map(|i| &i.reference))
        .stdin(Stdio::null());
    cmd
}

/// Checks that a `vouch verify --output json` run verified every one of `images`: exit 0, and
/// for each image an entry with `verified: true`, its digest, and at least one signature.
/// Returns the `registry_requests` vouch reports, if it does.
fn check_verified(cmd: &Command, out: &Output, images: &[Image]) -> anyhow::Result<Option<u64>> {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let problem = match serde_json::from_str::<Value>(&stdout) {
        Err(err) => Some(format!("stdout is not JSON ({err})")),
        Ok(report) if out.status.success() => match unverified(&report, images) {
            None => return Ok(report["registry_requests"].as_u64()),
            problem => problem,
        },
        Ok(_) => Some(format!("exit status {}", out.status)),
    };
    let mut shown = format!("{cmd:?}");
    if shown.len() > 600 {
        shown.truncate(600);
        shown.push_str(" …");
    }
    bail!(
        "vouch verify did not verify every image: {}\n  {shown}\n  stdout: {}\n  stderr: {}",
        problem.unwrap_or_default(),
        tail_chars(&stdout, 2000),
        tail_chars(&String::from_utf8_lossy(&out.stderr), 2000)
    )
}

/// What is wrong with a JSON report of `images`, if anything.
fn unverified(report: &Value, images: &[Image]) -> Option<String> {
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
        let entry = entries
            .iter()
            .find(|e| e["image"].as_str() == Some(image.reference.as_str()));
        let Some(entry) = entry else {
            return Some(format!("{} is missing from the report", image.reference));
        };
        let signatures = entry["signatures"].as_array().map_or(0, Vec::len);
        if entry["verified"] != Value::Bool(true)
            || entry["digest"].as_str() != Some(image.digest.as_str())
            || signatures == 0
        {
            return Some(format!(
                "{} (digest {}) is not verified: {entry}",
                image.reference, image.digest
            ));
        }
    }
    None
}

fn tail_chars(text: &str, max: usize) -> String {
    let text = text.trim();
    let skip = text.chars().count().saturating_sub(max);
    if skip == 0 {
        text.to_owned()
    } else {
        format!("… {}", text.chars().skip(skip).collect::<String>())
    }
}

/// Runs `vouch verify` over `images` once, checked; returns the wall time and the request
/// count vouch reports, if it does.
fn verify_once(
    vouch: &Path,
    key: &Path,
    images: &[Image],
) -> anyhow::Result<(Duration, Option<u64>)> {
    let mut cmd = verify_command(vouch, key, images);
    let start = Instant::now();
    let out = cmd.output().context("running vouch verify")?;
    let elapsed = start.elapsed();
    let requests = check_verified(&cmd, &out, images)?;
    Ok((elapsed, requests))
}

/// One `vouch verify` per image, sequentially: the total wall time and reported requests.
fn verify_each(
    vouch: &Path,
    key: &Path,
    images: &[Image],
) -> anyhow::Result<(Duration, Option<u64>)> {
    let (mut total, mut requests) = (Duration::ZERO, Some(0));
    for image in images {
        let (elapsed, reported) = verify_once(vouch, key, std::slice::from_ref(image))?;
        total += elapsed;
        requests = requests.zip(reported).map(|(a, b)| a + b);
    }
    Ok((total, requests))
}

fn measure_vouch(
    vouch: &Path,
    time: &Path,
    key: &Path,
    registry: &Registry,
    images: &[Image],
    runs: u32,
) -> anyhow::Result<VouchFigures> {
    eprintln!("bench: untimed run of one vouch verify over all images");
    verify_once(vouch, key, images)?;
    let (mut one_times, mut one_traffic) = (Vec::new(), Vec::new());
    let (mut each_times, mut each_traffic) = (Vec::new(), Vec::new());
    for run in 1..=runs {
        eprintln!("bench: run {run} of {runs}: one invocation, then one per image");
        let mark = registry.mark()?;
        let (elapsed, reported) = verify_once(vouch, key, images)?;
        one_times.push(elapsed);
        one_traffic.push(registry.traffic_since(mark)?.reported(reported));
        let mark = registry.mark()?;
        let (elapsed, reported) = verify_each(vouch, key, images)?;
        each_times.push(elapsed);
        each_traffic.push(registry.traffic_since(mark)?.reported(reported));
    }
    eprintln!("bench: peak RSS and CPU time (/usr/bin/time -v)");
    let one_usage = usage(time, &verify_command(vouch, key, images), images)?;
    let each_usage = usage(
        time,
        &verify_command(vouch, key, &images[..1]),
        &images[..1],
    )?;
    Ok(VouchFigures {
        one: Series::new(one_times, one_traffic),
        each: Series::new(each_times, each_traffic),
        one_usage,
        each_usage,
        version: command_output(vouch, &["--version"]),
    })
}

/// Runs `cmd` under `/usr/bin/time -v`, checked; its peak RSS and user + system CPU time.
fn usage(time: &Path, cmd: &Command, images: &[Image]) -> anyhow::Result<Usage> {
    let mut timed = Command::new(time);
    timed
        .arg("-v")
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null());
    let out = timed.output().context("running /usr/bin/time -v")?;
    check_verified(&timed, &out, images)?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    let field = |name: &str| {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(name))
            .map(str::trim)
            .with_context(|| format!("no `{name}` in the output of /usr/bin/time -v:\n{stderr}"))
    };
    let seconds = |name: &str| -> anyhow::Result<Duration> {
        Ok(Duration::from_secs_f64(field(name)?.parse()?))
    };
    Ok(Usage {
        rss_kib: field("Maximum resident set size (kbytes):")?.parse()?,
        cpu: seconds("User time (seconds):")? + seconds("System time (seconds):")?,
    })
}

/// What the skopeo baseline measured, over its first `count` images.
#[derive(Debug)]
struct SkopeoFigures {
    count: usize,
    /// `skopeo copy` with the `sigstoreSigned` policy.
    verify: Series,
    /// The same copy with `insecureAcceptAnything`: the copy alone.
    copy: Series,
}

fn measure_skopeo(
    skopeo: &Skopeo,
    registry: &Registry,
    images: &[Image],
    work: &Path,
    options: &Options,
) -> anyhow::Result<SkopeoFigures> {
    let count = usize::try_from(options.skopeo_images)?.min(images.len());
    let sample = &images[..count];
    let out = work.join("skopeo-out");
    let pull_all = |verify: bool| -> anyhow::Result<(Duration, Traffic)> {
        if out.exists() {
            fs::remove_dir_all(&out)?;
        }
        let dest = out
            .to_str()
            .context("the work folder's path is not UTF-8")?;
        let mark = registry.mark()?;
        let start = Instant::now();
        for (i, image) in sample.iter().enumerate() {
            skopeo.pull(&image.reference, &format!("oci:{dest}:img-{i}"), verify)?;
        }
        let elapsed = start.elapsed();
        Ok((elapsed, registry.traffic_since(mark)?))
    };
    eprintln!(
        "bench: skopeo baseline, {count} images sequentially, {} runs",
        options.runs
    );
    pull_all(true)?;
    let (mut verify, mut copy) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    for _ in 0..options.runs {
        let (t, traffic) = pull_all(true)?;
        verify.0.push(t);
        verify.1.push(traffic);
        let (t, traffic) = pull_all(false)?;
        copy.0.push(t);
        copy.1.push(traffic);
    }
    Ok(SkopeoFigures {
        count,
        verify: Series::new(verify.0, verify.1),
        copy: Series::new(copy.0, copy.1),
    })
}

/// Everything one run of the benchmark measured.
#[derive(Debug)]
struct Report<'a> {
    options: &'a Options,
    images: usize,
    layout_time: Duration,
    push_time: Duration,
    vouch: Option<VouchFigures>,
    skopeo: SkopeoFigures,
    load_start: String,
    load_end: String,
}

impl Report<'_> {
    fn render(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = self.write(&mut s);
        s
    }

    fn write(&self, s: &mut String) -> std::fmt::Result {
        let n = self.images;
        writeln!(s)?;
        writeln!(
            s,
            "machine: {}, nproc {}",
            cpu_model(),
            command_output(Path::new("nproc"), &[])
        )?;
        writeln!(
            s,
            "date: {}",
            command_output(Path::new("date"), &["-u", "+%Y-%m-%d %H:%M UTC"])
        )?;
        writeln!(
            s,
            "load average: {} before, {} after the timed runs",
            self.load_start, self.load_end
        )?;
        if let Some(v) = &self.vouch {
            writeln!(s, "vouch: {}", v.version)?;
        }
        writeln!(
            s,
            "setup: {n} images written as an OCI layout in {:.2} s, pushed and signed by skopeo in \
             {:.1} s ({} at a time); registry: distribution (docker-registry), no auth, HTTP on \
             127.0.0.1",
            self.layout_time.as_secs_f64(),
            self.push_time.as_secs_f64(),
            self.options.push_jobs
        )?;
        writeln!(
            s,
            "{} timed runs of each; vouch verify --key KEY {}",
            self.options.runs,
            VERIFY_FLAGS.join(" ")
        )?;
        writeln!(s)?;
        writeln!(
            s,
            "{:<50} {:>9} {:>9} {:>10} {:>9} {:>9} {:>9}",
            "command", "median", "min", "per image", "req/img", "conn/img", "reg CPU"
        )?;
        let row = |s: &mut String, name: &str, series: &Series, count: usize| {
            let per = |d: Duration| d.as_secs_f64() / count as f64;
            let traffic = average(&series.traffic, count);
            writeln!(
                s,
                "{name:<50} {:>8.3}s {:>8.3}s {:>8.1}ms {:>9.2} {:>9.2} {:>7.1}ms",
                series.median.as_secs_f64(),
                series.min.as_secs_f64(),
                per(series.median) * 1e3,
                traffic.requests,
                traffic.connections,
                traffic.cpu_ms
            )
        };
        let labels = Labels::new(n, self.skopeo.count);
        if let Some(v) = &self.vouch {
            row(s, &labels.one, &v.one, n)?;
            row(s, &labels.each, &v.each, n)?;
        } else {
            writeln!(s, "{:<50} (dry run: vouch not built or run)", "(a), (b)")?;
        }
        row(
            s,
            &labels.skopeo_verify,
            &self.skopeo.verify,
            self.skopeo.count,
        )?;
        row(s, &labels.skopeo_copy, &self.skopeo.copy, self.skopeo.count)?;
        writeln!(
            s,
            "per image: median / images; req/img: registry requests per image (access log); \
             conn/img: client addresses per image (registry log); reg CPU: the registry's CPU \
             time per image"
        )?;
        writeln!(
            s,
            "(c) and (d) are a different operation: skopeo also copies each image (config and \
             layer) to a local OCI layout"
        )?;
        if let Some(v) = &self.vouch {
            writeln!(s)?;
            let median = v.each.median.as_secs_f64() / v.one.median.as_secs_f64();
            let best = v.each.min.as_secs_f64() / v.one.min.as_secs_f64();
            writeln!(
                s,
                "speed (b) / (a): {median:.1}x (medians), {best:.1}x (best runs); target >= \
                 {TARGET}x: {}",
                if median >= TARGET {
                    "PASS"
                } else {
                    "BELOW-TARGET"
                }
            )?;
            let reported = |series: &Series| -> Option<f64> {
                let total: Option<u64> = series.traffic.iter().map(|t| t.reported).sum();
                total.map(|t| t as f64 / (series.traffic.len() * n) as f64)
            };
            if let (Some(one), Some(each)) = (reported(&v.one), reported(&v.each)) {
                writeln!(
                    s,
                    "requests per image by vouch's own count (registry_requests): (a) {one:.2}, \
                     (b) {each:.2}"
                )?;
            }
            writeln!(
                s,
                "(a) per image vs skopeo's policy check per image (c): {:.0}x",
                (self.skopeo.verify.median.as_secs_f64() / self.skopeo.count as f64)
                    / (v.one.median.as_secs_f64() / n as f64)
            )?;
            writeln!(
                s,
                "(a) peak RSS {}, CPU {:.2} s (user + system) for {n} images; one invocation of \
                 (b): peak RSS {}, CPU {:.1} ms",
                mib(v.one_usage.rss_kib),
                v.one_usage.cpu.as_secs_f64(),
                mib(v.each_usage.rss_kib),
                v.each_usage.cpu.as_secs_f64() * 1e3
            )?;
        }
        writeln!(s)?;
        writeln!(s, "requests per image, by kind (first timed run):")?;
        let mut columns: Vec<(&str, &Series, usize)> = Vec::new();
        if let Some(v) = &self.vouch {
            columns.push(("(a)", &v.one, n));
            columns.push(("(b)", &v.each, n));
        }
        columns.push(("(c)", &self.skopeo.verify, self.skopeo.count));
        columns.push(("(d)", &self.skopeo.copy, self.skopeo.count));
        let mut kinds: Vec<&String> = columns
            .iter()
            .filter_map(|(_, series, _)| series.traffic.first())
            .flat_map(|t| t.by_kind.keys())
            .collect();
        kinds.sort();
        kinds.dedup();
        write!(s, "  {:<44}", "")?;
        for (name, _, _) in &columns {
            write!(s, " {name:>7}")?;
        }
        writeln!(s)?;
        for kind in kinds {
            write!(s, "  {kind:<44}")?;
            for (_, series, count) in &columns {
                let hits = series
                    .traffic
                    .first()
                    .and_then(|t| t.by_kind.get(kind))
                    .copied()
                    .unwrap_or(0);
                write!(s, " {:>7.2}", hits as f64 / *count as f64)?;
            }
            writeln!(s)?;
        }
        let mut protocols: BTreeMap<&str, ()> = BTreeMap::new();
        for (_, series, _) in &columns {
            for t in &series.traffic {
                for p in &t.protocols {
                    protocols.insert(p, ());
                }
            }
        }
        let protocols: Vec<&str> = protocols.into_keys().collect();
        writeln!(s, "  protocols: {}", protocols.join(", "))?;
        for (name, series, _) in &columns {
            let counts: Vec<u64> = series.traffic.iter().map(|t| t.requests).collect();
            if counts.iter().any(|&c| c != counts[0]) {
                writeln!(s, "  note: {name} made {counts:?} requests in its runs")?;
            }
        }
        Ok(())
    }
}

/// Row names.
#[derive(Debug)]
struct Labels {
    one: String,
    each: String,
    skopeo_verify: String,
    skopeo_copy: String,
}

impl Labels {
    fn new(n: usize, k: usize) -> Self {
        Self {
            one: format!("(a) vouch verify, 1 invocation x {n} images"),
            each: format!("(b) vouch verify, {n} invocations x 1 image"),
            skopeo_verify: format!("(c) skopeo copy, sigstoreSigned policy, {k} images"),
            skopeo_copy: format!("(d) skopeo copy, no policy (copy only), {k} images"),
        }
    }
}

/// Per-image averages over the runs of a series.
#[derive(Debug)]
struct PerImage {
    requests: f64,
    connections: f64,
    cpu_ms: f64,
}

fn average(traffic: &[Traffic], count: usize) -> PerImage {
    let runs = traffic.len().max(1) as f64 * count as f64;
    PerImage {
        requests: traffic.iter().map(|t| t.requests as f64).sum::<f64>() / runs,
        connections: traffic.iter().map(|t| t.connections as f64).sum::<f64>() / runs,
        cpu_ms: traffic
            .iter()
            .map(|t| t.cpu.as_secs_f64() * 1e3)
            .sum::<f64>()
            / runs,
    }
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// `program` if some folder on `PATH` has it; the install command otherwise.
fn on_path(program: &str) -> anyhow::Result<PathBuf> {
    #[expect(
        clippy::disallowed_methods,
        reason = "PATH is where Debian's programs are; a missing one must be reported"
    )]
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .with_context(|| format!("`{program}` is not installed (not on PATH): run `{INSTALL}`"))
}

/// `cargo build --release -p vouch-cli --bin vouch`; checks that it has `verify`.
fn build_vouch(root: &Path) -> anyhow::Result<PathBuf> {
    eprintln!("bench: cargo build --release -p vouch-cli --bin vouch");
    let status = Command::new("cargo")
        .args(["build", "--release", "-p", "vouch-cli", "--bin", "vouch"])
        .current_dir(root)
        .status()
        .context("running cargo")?;
    ensure!(
        status.success(),
        "cargo build --release -p vouch-cli failed"
    );
    let vouch = root.join("target/release/vouch");
    let help = Command::new(&vouch)
        .args(["verify", "--help"])
        .output()
        .with_context(|| format!("running {}", vouch.display()))?;
    ensure!(
        help.status.success(),
        "{} has no working `verify` command yet (use --dry-run to check the harness):\n{}",
        vouch.display(),
        String::from_utf8_lossy(&help.stderr)
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
fn command_output(program: &Path, args: &[&str]) -> String {
    Command::new(program).args(args).output().map_or_else(
        |_| "unknown".to_owned(),
        |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
    )
}

/// The CPU model from /proc/cpuinfo.
fn cpu_model() -> String {
    fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".to_owned())
}
