//! `cargo xtask bench oci`: `vouch verify` over N signed images in one invocation against N
//! invocations of one image each, on a local registry (distribution 2.8.2) whose images skopeo
//! 1.18 pushed and signed; skopeo's own `sigstoreSigned` policy check as a baseline. Counts the
//! registry's requests (its access log) and the TCP connections and TLS attempts (a counting
//! proxy, in separate untimed runs). A measurement, not a test: it fails only when a run fails,
//! and every `vouch verify` run must have verified every image.
pub(crate) mod layout;
mod proxy;
pub(crate) mod registry;
mod report;
pub(crate) mod skopeo;
pub(crate) mod vouch;

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};

use proxy::{Count, Proxy};
use registry::{Registry, Traffic};
use skopeo::Skopeo;
use vouch::{Usage, Verifier};

/// How to install the registry peers.
pub(crate) const INSTALL: &str =
    "bash scripts/test.sh (as root or with sudo; it runs testdata/peers/registry/install-peers.sh)";

/// Flags of every `vouch verify` in this benchmark (after `--key`): skopeo's signatures carry no
/// Rekor bundle, so there is no transparency-log entry to check.
const VERIFY_FLAGS: &[&str] = &["--insecure-ignore-tlog"];

/// Options of `cargo xtask bench oci`.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// Signed images in the registry; each timed run verifies all of them.
    #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u32).range(1..))]
    images: u32,
    /// Timed runs of each measurement (one invocation and one per image alternate).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Images in the skopeo baseline and in the connection-counting runs of one invocation
    /// per image.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..))]
    sample: u32,
    /// skopeo pushes at the same time during setup.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=16))]
    push_jobs: u32,
    /// Set up the registry and the images and run the skopeo baseline, without building or
    /// running vouch (checks the harness itself).
    #[arg(long, conflicts_with = "vouch")]
    dry_run: bool,
    /// Measure this vouch binary instead of building target/release/vouch.
    #[arg(long, value_name = "PATH")]
    vouch: Option<PathBuf>,
    /// Run the registry with this Go `GOGC` (garbage-collector target percentage; Go's
    /// default is 100). distribution 2.8.2 allocates about 0.5 MB per request, so on a small
    /// machine much of its CPU is garbage collection; a higher value stands in for a registry
    /// on its own hardware. Reported with the figures.
    #[arg(long, value_name = "PERCENT")]
    registry_gogc: Option<u32>,
}

/// An image pushed and signed during setup.
#[derive(Debug, Clone)]
pub(crate) struct Image {
    /// `bench/app-<i>:1`.
    path: String,
    /// Manifest digest, `sha256:<hex>`.
    pub(crate) digest: String,
}

impl Image {
    /// `HOST/bench/app-<i>:1`.
    pub(crate) fn reference(&self, host: &str) -> String {
        format!("{host}/{}", self.path)
    }
}

/// Median and minimum of the timed runs, with what the registry saw in each.
#[derive(Debug)]
pub(crate) struct Series {
    pub(crate) median: Duration,
    pub(crate) min: Duration,
    pub(crate) traffic: Vec<Traffic>,
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

/// What the vouch runs measured.
#[derive(Debug)]
pub(crate) struct VouchFigures {
    /// (a) one invocation over all images.
    pub(crate) one: Series,
    /// (b) one invocation per image, sequentially.
    pub(crate) each: Series,
    pub(crate) one_usage: Usage,
    pub(crate) each_usage: Usage,
    /// CPU per invocation of (b), averaged over one invocation per image.
    pub(crate) each_cpu: Duration,
    /// Connections of (a) over all images, through the proxy.
    pub(crate) one_count: Count,
    /// Connections of (b) over the sample.
    pub(crate) each_count: Count,
    pub(crate) version: String,
}

/// What the skopeo runs measured, over the sample.
#[derive(Debug)]
pub(crate) struct SkopeoFigures {
    /// (c) `skopeo copy` with the `sigstoreSigned` policy.
    pub(crate) verify: Series,
    /// (d) the same copy with `insecureAcceptAnything`: the copy alone.
    pub(crate) copy: Series,
    pub(crate) verify_count: Count,
    pub(crate) copy_count: Count,
}

pub(crate) fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    let registry_program = on_path("docker-registry")?;
    let skopeo_program = skopeo::find()?;
    let time = PathBuf::from("/usr/bin/time");
    ensure!(
        time.is_file(),
        "/usr/bin/time not found: apt-get install time"
    );
    let built = match (&options.vouch, options.dry_run) {
        (_, true) => None,
        (Some(path), false) => Some(path.clone()),
        (None, false) => Some(vouch::build(root)?),
    };

    let work = root.join("target/bench/oci");
    if work.exists() {
        fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    fs::create_dir_all(work.join("registry"))?;
    // A copy, so that a build running meanwhile cannot swap the binary between runs.
    let vouch = match built {
        Some(built) => {
            let copy = work.join("vouch");
            fs::copy(&built, &copy).with_context(|| format!("copying {}", built.display()))?;
            vouch::check(&copy)?;
            Some(copy)
        }
        None => None,
    };
    let registry = Registry::start(
        &registry_program,
        &work.join("registry"),
        options.registry_gogc,
    )?;
    let proxy = Proxy::start(registry.host()).context("starting the counting proxy")?;
    let skopeo = Skopeo::setup(skopeo_program, &work, registry.host(), proxy.host())?;
    let start = Instant::now();
    layout::write(&work.join("layout"), options.images)?;
    let layout_time = start.elapsed();
    eprintln!(
        "bench: pushing and signing {} images with skopeo, {} at a time",
        options.images, options.push_jobs
    );
    let start = Instant::now();
    let images = push_all(&skopeo, &registry, &work, options.images, options.push_jobs)?;
    let push_time = start.elapsed();
    let sample = &images[..usize::try_from(options.sample)?.min(images.len())];

    let load_start = load_average();
    let vouch_figures = match &vouch {
        Some(vouch) => {
            let bench = VouchBench {
                direct: Verifier {
                    vouch,
                    key: &skopeo.public_key,
                    host: registry.host(),
                },
                proxied: Verifier {
                    vouch,
                    key: &skopeo.public_key,
                    host: proxy.host(),
                },
                registry: &registry,
                proxy: &proxy,
            };
            Some(bench.measure(&time, &images, sample, options.runs)?)
        }
        None => None,
    };
    let skopeo_figures = measure_skopeo(&skopeo, &registry, &proxy, sample, &work, options.runs)?;
    let figures = report::Figures {
        images: images.len(),
        sample: sample.len(),
        runs: options.runs,
        push_jobs: options.push_jobs,
        registry_gogc: options.registry_gogc,
        layout_time,
        push_time,
        vouch: vouch_figures,
        skopeo: skopeo_figures,
        load_start,
        load_end: load_average(),
    };
    print!("{}", figures.render());
    Ok(())
}

/// Pushes and signs the first `images` images of the layout in `work/layout` as
/// `HOST/bench/app-<i>:1`, `push_jobs` at a time.
pub(crate) fn push_all(
    skopeo: &Skopeo,
    registry: &Registry,
    work: &Path,
    images: u32,
    push_jobs: u32,
) -> anyhow::Result<Vec<Image>> {
    let count = usize::try_from(images)?;
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
        for _ in 0..push_jobs {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= count {
                        break;
                    }
                    let tag = layout::tag(u32::try_from(i).unwrap_or(u32::MAX));
                    let path = format!("bench/{tag}:1");
                    let result = skopeo
                        .push_and_sign(
                            &format!("oci:{layout}:{tag}"),
                            &format!("{}/{path}", registry.host()),
                            &digests.join(&tag),
                        )
                        .map(|digest| Image { path, digest });
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

/// vouch against the registry directly (timed) and through the counting proxy (untimed).
#[derive(Debug)]
struct VouchBench<'a> {
    direct: Verifier<'a>,
    proxied: Verifier<'a>,
    registry: &'a Registry,
    proxy: &'a Proxy,
}

impl VouchBench<'_> {
    fn measure(
        &self,
        time: &Path,
        images: &[Image],
        sample: &[Image],
        runs: u32,
    ) -> anyhow::Result<VouchFigures> {
        eprintln!("bench: untimed run of one vouch verify over all images");
        self.direct.once(images)?;
        let (mut one_times, mut one_traffic) = (Vec::new(), Vec::new());
        let (mut each_times, mut each_traffic) = (Vec::new(), Vec::new());
        for run in 1..=runs {
            eprintln!("bench: run {run} of {runs}: one invocation, then one per image");
            let mark = self.registry.mark()?;
            let (elapsed, reported) = self.direct.once(images)?;
            one_times.push(elapsed);
            one_traffic.push(self.registry.traffic_since(mark)?.reported(reported));
            let mark = self.registry.mark()?;
            let (elapsed, reported) = self.direct.each(images)?;
            each_times.push(elapsed);
            each_traffic.push(self.registry.traffic_since(mark)?.reported(reported));
        }
        eprintln!("bench: connections (through the counting proxy), peak RSS and CPU time");
        let before = self.proxy.count();
        self.proxied.once(images)?;
        let one_count = self.proxy.count().since(before);
        let before = self.proxy.count();
        self.proxied.each(sample)?;
        let each_count = self.proxy.count().since(before);
        Ok(VouchFigures {
            one: Series::new(one_times, one_traffic),
            each: Series::new(each_times, each_traffic),
            one_usage: self.direct.usage(time, images)?,
            each_usage: self.direct.usage(time, &images[..1])?,
            each_cpu: self.direct.cpu_per_invocation(time, images)?,
            one_count,
            each_count,
            version: command_output(self.direct.vouch, &["--version"]),
        })
    }
}

/// skopeo's policy check (and the bare copy) over `sample`, one image after the other, into a
/// throwaway OCI layout.
fn measure_skopeo(
    skopeo: &Skopeo,
    registry: &Registry,
    proxy: &Proxy,
    sample: &[Image],
    work: &Path,
    runs: u32,
) -> anyhow::Result<SkopeoFigures> {
    let out = work.join("skopeo-out");
    let dest = out
        .to_str()
        .context("the work folder's path is not UTF-8")?;
    let pull_all = |host: &str, verify: bool| -> anyhow::Result<Duration> {
        if out.exists() {
            fs::remove_dir_all(&out)?;
        }
        let start = Instant::now();
        for (i, image) in sample.iter().enumerate() {
            skopeo.pull(
                &image.reference(host),
                &format!("oci:{dest}:img-{i}"),
                verify,
            )?;
        }
        Ok(start.elapsed())
    };
    let timed = |verify: bool| -> anyhow::Result<(Duration, Traffic)> {
        let mark = registry.mark()?;
        let elapsed = pull_all(registry.host(), verify)?;
        Ok((elapsed, registry.traffic_since(mark)?))
    };
    let counted = |verify: bool| -> anyhow::Result<Count> {
        let before = proxy.count();
        pull_all(proxy.host(), verify)?;
        Ok(proxy.count().since(before))
    };
    eprintln!(
        "bench: skopeo baseline, {} images one after the other, {runs} runs",
        sample.len()
    );
    pull_all(registry.host(), true)?;
    let (mut verify, mut copy) = ((Vec::new(), Vec::new()), (Vec::new(), Vec::new()));
    for _ in 0..runs {
        let (t, traffic) = timed(true)?;
        verify.0.push(t);
        verify.1.push(traffic);
        let (t, traffic) = timed(false)?;
        copy.0.push(t);
        copy.1.push(traffic);
    }
    Ok(SkopeoFigures {
        verify: Series::new(verify.0, verify.1),
        copy: Series::new(copy.0, copy.1),
        verify_count: counted(true)?,
        copy_count: counted(false)?,
    })
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

/// The three load averages from /proc/loadavg, or "unknown".
fn load_average() -> String {
    fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// Trimmed stdout of a small command, or "unknown".
pub(crate) fn command_output(program: &Path, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .map_or_else(
            |_| "unknown".to_owned(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        )
}
