//! `cargo xtask bench serve`: `vouch serve`, the admission webhook, on a loopback registry whose
//! images skopeo 1.18 pushed and signed (the `bench oci` harness).
//!
//! 1. **Cold**: a burst of N AdmissionReviews at once (curl `--parallel`), each naming another
//!    image, to a freshly started server: latency of each review, wall time of the burst, every
//!    answer allowed, each image looked up once (`/metrics` and the registry's access log).
//! 2. **Cached**: then a sustained load of reviews of one image, its verdict cached (`wrk`):
//!    reviews per second and latency percentiles, no error, every decision allowed and cached.
//! 3. **Memory**: the server's peak RSS (`VmHWM`) after both.
//!
//! The load generators run on the same machine as the server (and the registry): their CPU
//! time is reported beside the server's. A measurement, not a test: it fails only when a run
//! fails, an answer is not `allowed`, or a request goes wrong.
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufRead as _, BufReader, ErrorKind, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use serde_json::Value;

use crate::bench_oci::registry::proc_cpu_ticks;
use crate::bench_oci::registry::{Registry, Traffic};
use crate::bench_oci::skopeo::{self, Skopeo};
use crate::bench_oci::{Image, layout, push_all, vouch};

/// Targets (docs/performance.md, "Admission webhook").
const COLD_P99_TARGET: Duration = Duration::from_secs(2);
const CACHED_RATE_TARGET: f64 = 2000.0;
const CACHED_P99_TARGET: Duration = Duration::from_millis(10);
const RSS_TARGET_KIB: u64 = 64 * 1024;

/// skopeo pushes at the same time during setup.
const PUSH_JOBS: u32 = 3;
/// wrk's threads.
const WRK_THREADS: u32 = 2;
/// How long the server may take to say it listens.
const START_TIMEOUT: Duration = Duration::from_secs(30);
const INSTALL: &str = "apt-get install wrk curl";

/// Options of `cargo xtask bench serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// Signed images in the registry; the cold burst sends one review for each, at once.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u32).range(1..=300))]
    images: u32,
    /// Seconds of cached load (wrk's `-d`).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    duration: u32,
    /// Connections open during the cached load (wrk's `-c`).
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(2..))]
    connections: u32,
    /// Measure this vouch binary instead of building target/release/vouch.
    #[arg(long, value_name = "PATH")]
    vouch: Option<PathBuf>,
}

pub(crate) fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    let curl = tool("curl")?;
    let wrk = tool("wrk")?;
    let openssl = super::require("openssl", "apt-get install openssl")?;
    let registry_program = super::require("docker-registry", "apt-get install docker-registry")?;
    let skopeo_program = skopeo::find()?;
    let time = PathBuf::from("/usr/bin/time");
    ensure!(
        time.is_file(),
        "/usr/bin/time not found: apt-get install time"
    );
    let built = match &options.vouch {
        Some(path) => path.clone(),
        None => vouch::build(root)?,
    };

    let work = root.join("target/bench/serve");
    if work.exists() {
        fs::remove_dir_all(&work).with_context(|| format!("removing {}", work.display()))?;
    }
    fs::create_dir_all(work.join("registry"))?;
    // A copy, so that a build running meanwhile cannot swap the binary.
    let vouch = work.join("vouch");
    fs::copy(&built, &vouch).with_context(|| format!("copying {}", built.display()))?;
    check_serve(&vouch)?;

    let registry = Registry::start(&registry_program, &work.join("registry"), None)?;
    // No counting proxy here: skopeo's configuration names one, nothing listens there.
    let skopeo = Skopeo::setup(skopeo_program, &work, registry.host(), "127.0.0.1:9")?;
    layout::write(&work.join("layout"), options.images)?;
    eprintln!(
        "bench: pushing and signing {} images with skopeo, {PUSH_JOBS} at a time",
        options.images
    );
    let start = Instant::now();
    let images = push_all(&skopeo, &registry, &work, options.images, PUSH_JOBS)?;
    let push_time = start.elapsed();

    let tls = certificate(&openssl, &work.join("tls"))?;
    let policy = work.join("policy.yaml");
    fs::write(&policy, policy_text(&skopeo.public_key)?)?;
    let template: Value = serde_json::from_slice(&fs::read(
        root.join("testdata/interop/kubernetes/reviews/pod-nginx.json"),
    )?)?;

    let load_start = super::load_average();
    let server = Server::start(&vouch, &policy, &tls, &work)?;
    let client = Client {
        curl: &curl,
        cacert: &tls.cert,
        base: format!("https://{}", server.addr),
    };
    let host = registry.host();
    let cold = cold_burst(&client, &server, &registry, &template, &images, host, &work)?;
    let cached = cached_load(
        &wrk, &time, &server, &template, &images[0], host, options, &work,
    )?;
    let misses_after = metric(&client.get("/metrics")?, "vouch_verdict_cache_misses_total")?;
    let memory = server.memory()?;
    let figures = Figures {
        images: images.len(),
        push_time,
        connections: options.connections,
        duration: options.duration,
        cold,
        cached,
        misses_after,
        memory,
        version: crate::bench_oci::command_output(&vouch, &["--version"])
            .lines()
            .take(2)
            .collect::<Vec<_>>()
            .join(", "),
        load_start,
        load_end: super::load_average(),
    };
    server.stop();
    print!("{}", figures.render());
    Ok(())
}

/// `program --version` runs; "apt-get install wrk curl" otherwise.
fn tool(program: &str) -> anyhow::Result<PathBuf> {
    match Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
    {
        Err(e) if e.kind() == ErrorKind::NotFound => bail!("{program} not found: {INSTALL}"),
        Err(e) => Err(e).with_context(|| format!("running {program}")),
        Ok(_) => Ok(PathBuf::from(program)),
    }
}

/// Checks that `vouch` has a working `serve` command.
fn check_serve(vouch: &Path) -> anyhow::Result<()> {
    let help = Command::new(vouch)
        .args(["serve", "--help"])
        .output()
        .with_context(|| format!("running {}", vouch.display()))?;
    ensure!(
        help.status.success(),
        "{} has no working `serve` command:\n{}",
        vouch.display(),
        String::from_utf8_lossy(&help.stderr)
    );
    Ok(())
}

/// The server's certificate and key.
#[derive(Debug)]
struct Tls {
    cert: PathBuf,
    key: PathBuf,
}

/// A self-signed P-256 certificate for IP:127.0.0.1 (openssl), which curl checks.
fn certificate(openssl: &Path, dir: &Path) -> anyhow::Result<Tls> {
    fs::create_dir_all(dir)?;
    let tls = Tls {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    let out = Command::new(openssl)
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .arg("ec_paramgen_curve:P-256")
        .args(["-nodes", "-keyout"])
        .arg(&tls.key)
        .arg("-out")
        .arg(&tls.cert)
        .args(["-days", "2", "-subj", "/CN=127.0.0.1"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .stdin(Stdio::null())
        .output()
        .context("running openssl req")?;
    ensure!(
        out.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(tls)
}

/// vouch's policy: every image signed by skopeo's key; no transparency log (skopeo's
/// signatures carry no Rekor entry).
fn policy_text(key: &Path) -> anyhow::Result<String> {
    let key = serde_json::to_string(&key.to_str().context("the key's path is not UTF-8")?)?;
    Ok(format!(
        "apiVersion: vouch.dev/v1\nkind: TrustPolicy\nmatch: first\nrules:\n  - name: bench\n    \
         images: [\"**\"]\n    authorities:\n      - key: {{path: {key}}}\n        tlog: false\n"
    ))
}

/// The review of a pod running `image`, with `uid`, compact.
fn review(template: &Value, uid: &str, image: &str) -> anyhow::Result<String> {
    let mut review = template.clone();
    review["request"]["uid"] = Value::from(uid);
    let container = review
        .pointer_mut("/request/object/spec/containers/0")
        .context("the review template has no container")?;
    container["image"] = Value::from(image);
    Ok(serde_json::to_string(&review)?)
}

/// A running `vouch serve`; stopped when dropped. Its stdout (the decision log) goes to a file.
#[derive(Debug)]
struct Server {
    child: Child,
    /// "127.0.0.1:PORT".
    addr: String,
    log: PathBuf,
    errors: PathBuf,
}

impl Server {
    fn start(vouch: &Path, policy: &Path, tls: &Tls, work: &Path) -> anyhow::Result<Self> {
        let log = work.join("serve.log");
        let errors = work.join("serve.err");
        let child = Command::new(vouch)
            .arg("serve")
            .arg("--policy")
            .arg(policy)
            .arg("--tls-cert")
            .arg(&tls.cert)
            .arg("--tls-key")
            .arg(&tls.key)
            .args(["--listen", "127.0.0.1:0"])
            // No verdict expires during a run.
            .args(["--cache-ttl", "1h"])
            .stdin(Stdio::null())
            .stdout(fs::File::create(&log)?)
            .stderr(fs::File::create(&errors)?)
            .spawn()
            .context("starting vouch serve")?;
        let mut server = Self {
            child,
            addr: String::new(),
            log,
            errors,
        };
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                bail!("vouch serve exited ({status}): {}", server.stderr());
            }
            let text = fs::read_to_string(&server.log).unwrap_or_default();
            if let Some(first) = text.lines().next().filter(|_| text.contains('\n')) {
                let line: Value = serde_json::from_str(first)
                    .with_context(|| format!("vouch serve's first line: {first}"))?;
                let addr = line["event"]
                    .as_str()
                    .and_then(|e| e.strip_prefix("listening on https://"))
                    .with_context(|| format!("vouch serve's first line: {first}"))?;
                server.addr = addr.to_owned();
                return Ok(server);
            }
            ensure!(
                Instant::now() < deadline,
                "vouch serve did not listen within {START_TIMEOUT:?}: {}",
                server.stderr()
            );
            thread::sleep(Duration::from_millis(10));
        }
    }

    fn stderr(&self) -> String {
        fs::read_to_string(&self.errors).unwrap_or_default()
    }

    /// Calls `each` on every decision line of the log from byte `from` on, one at a time
    /// (under load the log grows by about 20 MB a second); returns how many there were.
    fn decisions(
        &self,
        from: u64,
        mut each: impl FnMut(&Value) -> anyhow::Result<()>,
    ) -> anyhow::Result<u64> {
        let mut file = fs::File::open(&self.log)?;
        file.seek(SeekFrom::Start(from))?;
        let mut count = 0;
        for line in BufReader::new(file).lines() {
            let line = line?;
            let value: Value = serde_json::from_str(&line)
                .with_context(|| format!("vouch serve's log line: {line}"))?;
            if value.get("uid").is_some() {
                each(&value)?;
                count += 1;
            }
        }
        Ok(count)
    }

    fn log_len(&self) -> anyhow::Result<u64> {
        Ok(fs::metadata(&self.log)?.len())
    }

    /// User + system CPU time (/proc/PID/stat fields 14 and 15), in clock ticks.
    fn cpu_ticks(&self) -> anyhow::Result<u64> {
        proc_cpu_ticks(self.child.id())
    }

    fn memory(&self) -> anyhow::Result<Memory> {
        let status = fs::read_to_string(format!("/proc/{}/status", self.child.id()))?;
        let kib = |name: &str| -> anyhow::Result<u64> {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|v| v.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .with_context(|| format!("no {name} in /proc/PID/status"))
        };
        Ok(Memory {
            peak_kib: kib("VmHWM:")?,
            now_kib: kib("VmRSS:")?,
            threads: kib("Threads:")?,
        })
    }

    /// SIGTERM, as the kubelet sends; SIGKILL if it has not exited 5 s later.
    fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        eprintln!("bench: vouch serve did not stop within 5 s of SIGTERM");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Best effort: it may have exited already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Busy and total clock ticks of all CPUs, from the first line of /proc/stat.
fn machine_ticks() -> anyhow::Result<(u64, u64)> {
    let stat = fs::read_to_string("/proc/stat")?;
    let values: Vec<u64> = stat
        .lines()
        .next()
        .context("empty /proc/stat")?
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    ensure!(values.len() >= 5, "unexpected /proc/stat");
    let total: u64 = values.iter().take(8).sum();
    // idle + iowait
    Ok((total - values[3] - values[4], total))
}

fn ticks_to_duration(ticks: u64) -> Duration {
    // CLK_TCK is 100 on every Linux this runs on.
    Duration::from_millis(ticks * 10)
}

/// curl against the server, checking its certificate.
#[derive(Debug)]
struct Client<'a> {
    curl: &'a Path,
    cacert: &'a Path,
    /// "https://127.0.0.1:PORT".
    base: String,
}

impl Client<'_> {
    /// The body of `GET path`, which must answer 200.
    fn get(&self, path: &str) -> anyhow::Result<String> {
        let out = Command::new(self.curl)
            .args(["-sS", "--fail", "--cacert"])
            .arg(self.cacert)
            .arg(format!("{}{path}", self.base))
            .stdin(Stdio::null())
            .output()
            .context("running curl")?;
        ensure!(
            out.status.success(),
            "curl GET {path}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }
}

/// The value of a counter in `/metrics`'s text.
fn metric(text: &str, name: &str) -> anyhow::Result<f64> {
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no `{name}` in /metrics:\n{text}"))
}

/// What the cold burst measured.
#[derive(Debug)]
struct Cold {
    /// curl's whole run: start to the last answer.
    wall: Duration,
    /// curl's `time_total` of each review, sorted.
    latencies: Vec<Duration>,
    /// curl's `time_appconnect` (TCP + TLS) of each review, sorted.
    connect: Vec<Duration>,
    /// The server's own `milliseconds` of each decision, sorted.
    server: Vec<Duration>,
    /// HTTP versions curl used, and connections it opened.
    protocols: BTreeMap<String, usize>,
    connections: u64,
    misses: f64,
    hits: f64,
    traffic: Traffic,
    /// The server's CPU time over the burst.
    cpu: Duration,
}

fn cold_burst(
    client: &Client<'_>,
    server: &Server,
    registry: &Registry,
    template: &Value,
    images: &[Image],
    host: &str,
    work: &Path,
) -> anyhow::Result<Cold> {
    let dir = work.join("cold");
    fs::create_dir_all(&dir)?;
    let mut config = String::new();
    for (i, image) in images.iter().enumerate() {
        let body = dir.join(format!("review-{i}.json"));
        fs::write(
            &body,
            review(template, &format!("cold-{i}"), &image.reference(host))?,
        )?;
        let quoted = |p: &Path| serde_json::to_string(&p.to_string_lossy());
        if i > 0 {
            config.push_str("next\n");
        }
        writeln!(config, "url = \"{}/validate\"", client.base)?;
        writeln!(config, "cacert = {}", quoted(client.cacert)?)?;
        writeln!(
            config,
            "data-binary = {}",
            quoted(Path::new(&format!("@{}", body.display())))?
        )?;
        config.push_str("header = \"Content-Type: application/json\"\n");
        writeln!(
            config,
            "output = {}",
            quoted(&dir.join(format!("answer-{i}.json")))?
        )?;
        config.push_str(
            "write-out = \"%{http_code} %{time_total} %{time_appconnect} %{http_version} \
             %{num_connects}\\n\"\n",
        );
    }
    let config_file = dir.join("curl.config");
    fs::write(&config_file, &config)?;
    let metrics_before = client.get("/metrics")?;
    ensure!(
        metric(&metrics_before, "vouch_verdict_cache_misses_total")? == 0.0,
        "the server's cache is not empty before the cold burst"
    );
    let log_from = server.log_len()?;
    let mark = registry.mark()?;
    let cpu_before = server.cpu_ticks()?;
    eprintln!(
        "bench: cold burst: {} reviews at once, each of another image",
        images.len()
    );
    let start = Instant::now();
    let out = Command::new(client.curl)
        .args(["-sS", "--parallel", "--parallel-max"])
        .arg(images.len().to_string())
        .arg("-K")
        .arg(&config_file)
        .stdin(Stdio::null())
        .output()
        .context("running curl --parallel")?;
    let wall = start.elapsed();
    let cpu = ticks_to_duration(server.cpu_ticks()?.saturating_sub(cpu_before));
    ensure!(
        out.status.success(),
        "curl --parallel failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let traffic = registry.traffic_since(mark)?;
    let mut cold = Cold {
        wall,
        latencies: Vec::new(),
        connect: Vec::new(),
        server: Vec::new(),
        protocols: BTreeMap::new(),
        connections: 0,
        misses: 0.0,
        hits: 0.0,
        traffic,
        cpu,
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    for line in stdout.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [code, total, connect, version, connects] = fields[..] else {
            bail!("unexpected curl --write-out line: {line}");
        };
        ensure!(code == "200", "a review was answered {code}");
        cold.latencies.push(Duration::from_secs_f64(total.parse()?));
        cold.connect.push(Duration::from_secs_f64(connect.parse()?));
        *cold.protocols.entry(format!("HTTP/{version}")).or_default() += 1;
        cold.connections += connects.parse::<u64>()?;
    }
    ensure!(
        cold.latencies.len() == images.len(),
        "curl reported {} transfers for {} reviews",
        cold.latencies.len(),
        images.len()
    );
    for (i, image) in images.iter().enumerate() {
        let answer: Value =
            serde_json::from_slice(&fs::read(dir.join(format!("answer-{i}.json")))?)
                .with_context(|| format!("the answer to review {i} is not JSON"))?;
        let response = &answer["response"];
        ensure!(
            response["uid"].as_str() == Some(format!("cold-{i}").as_str())
                && response["allowed"] == Value::Bool(true),
            "review {i} ({}) was not allowed: {answer}",
            image.reference(host)
        );
    }
    let mut server_times = Vec::new();
    let logged = server.decisions(log_from, |decision| {
        let ms = decision["milliseconds"]
            .as_f64()
            .with_context(|| format!("no milliseconds in {decision}"))?;
        server_times.push(Duration::from_secs_f64(ms / 1000.0));
        let image = &decision["images"][0];
        let name = image["image"].as_str().unwrap_or_default();
        let expected = images
            .iter()
            .find(|i| i.reference(host) == name)
            .with_context(|| format!("a decision on an image not sent: {decision}"))?;
        ensure!(
            image["allowed"] == Value::Bool(true)
                && image["digest"].as_str() == Some(expected.digest.as_str()),
            "decision on {name} (digest {}): {decision}",
            expected.digest
        );
        Ok(())
    })?;
    ensure!(
        logged == images.len() as u64,
        "{logged} decisions logged for {} reviews",
        images.len()
    );
    cold.server = server_times;
    let metrics = client.get("/metrics")?;
    cold.misses = metric(&metrics, "vouch_verdict_cache_misses_total")?;
    cold.hits = metric(&metrics, "vouch_verdict_cache_hits_total")?;
    cold.latencies.sort();
    cold.connect.sort();
    cold.server.sort();
    Ok(cold)
}

/// What the cached load measured (wrk's report).
#[derive(Debug)]
struct Cached {
    requests: u64,
    rate: f64,
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
    non_2xx: u64,
    socket_errors: String,
    /// Decisions the server logged meanwhile, all allowed and cached.
    decisions: u64,
    /// CPU time over the load: the server's, wrk's, and the whole machine's busy time.
    server_cpu: Duration,
    wrk_cpu: Duration,
    machine_busy: f64,
    image: String,
}

#[expect(clippy::too_many_arguments, reason = "one call, the pieces of the run")]
fn cached_load(
    wrk: &Path,
    time: &Path,
    server: &Server,
    template: &Value,
    image: &Image,
    host: &str,
    options: &Options,
    work: &Path,
) -> anyhow::Result<Cached> {
    let name = image.reference(host);
    let body = review(template, "cached", &name)?;
    ensure!(
        !body.contains("]==]"),
        "the review cannot be a Lua long string"
    );
    let script = work.join("post.lua");
    fs::write(
        &script,
        format!(
            "wrk.method = \"POST\"\nwrk.headers[\"Content-Type\"] = \"application/json\"\n\
             wrk.body = [==[{body}]==]\n"
        ),
    )?;
    let log_from = server.log_len()?;
    let cpu_before = server.cpu_ticks()?;
    let machine_before = machine_ticks()?;
    eprintln!(
        "bench: cached load: wrk -t{WRK_THREADS} -c{} -d{}s, reviews of {name}",
        options.connections, options.duration
    );
    let out = Command::new(time)
        .args(["-f", "wrk-cpu %U %S"])
        .arg(wrk)
        .arg(format!("-t{WRK_THREADS}"))
        .arg(format!("-c{}", options.connections))
        .arg(format!("-d{}s", options.duration))
        .arg("--latency")
        .arg("-s")
        .arg(&script)
        .arg(format!("https://{}/validate", server.addr))
        .stdin(Stdio::null())
        .output()
        .context("running wrk")?;
    let server_cpu = ticks_to_duration(server.cpu_ticks()?.saturating_sub(cpu_before));
    let machine_after = machine_ticks()?;
    let report = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    ensure!(
        out.status.success(),
        "wrk failed ({}): {report}{stderr}",
        out.status
    );
    fs::write(work.join("wrk.txt"), report.as_bytes())?;
    eprint!("{report}");
    let wrk_cpu = stderr
        .lines()
        .find_map(|l| l.strip_prefix("wrk-cpu "))
        .and_then(|l| {
            let mut parts = l.split(' ').map(|p| p.parse::<f64>().ok());
            Some(parts.next()?? + parts.next()??)
        })
        .map(Duration::from_secs_f64)
        .with_context(|| format!("no CPU times from /usr/bin/time: {stderr}"))?;
    let busy = machine_after.0.saturating_sub(machine_before.0) as f64;
    let total = machine_after.1.saturating_sub(machine_before.1).max(1) as f64;
    let percentile = |p: &str| -> anyhow::Result<Duration> {
        report
            .lines()
            .find_map(|l| l.trim().strip_prefix(p))
            .map(str::trim)
            .and_then(wrk_duration)
            .with_context(|| format!("no {p} latency in wrk's report:\n{report}"))
    };
    let max = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Latency"))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(wrk_duration)
        .with_context(|| format!("no latency line in wrk's report:\n{report}"))?;
    let requests = report
        .lines()
        .find(|l| l.contains(" requests in "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .with_context(|| format!("no request count in wrk's report:\n{report}"))?;
    let rate = report
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .with_context(|| format!("no Requests/sec in wrk's report:\n{report}"))?;
    let non_2xx = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Non-2xx or 3xx responses:"))
        .map_or(Ok(0), |v| v.trim().parse())?;
    let socket_errors = report
        .lines()
        .find_map(|l| l.trim().strip_prefix("Socket errors:"))
        .map_or_else(|| "none".to_owned(), |v| v.trim().to_owned());
    // Answers still in flight when wrk stops are logged too: wait for them.
    thread::sleep(Duration::from_millis(200));
    let decisions = server.decisions(log_from, |d| {
        ensure!(
            d["allowed"] == Value::Bool(true)
                && d["images"][0]["cached"] == Value::Bool(true)
                && d["images"][0]["digest"].as_str() == Some(image.digest.as_str()),
            "a review under load was not allowed from the cache: {d}"
        );
        Ok(())
    })?;
    ensure!(
        decisions >= requests,
        "wrk counted {requests} answers, the server logged {decisions} decisions"
    );
    Ok(Cached {
        requests,
        rate,
        p50: percentile("50%")?,
        p90: percentile("90%")?,
        p99: percentile("99%")?,
        max,
        non_2xx,
        socket_errors,
        decisions,
        server_cpu,
        wrk_cpu,
        machine_busy: busy / total,
        image: name,
    })
}

/// A wrk duration: `812.00us`, `1.23ms`, `2.00s`, `1.50m`.
fn wrk_duration(text: &str) -> Option<Duration> {
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let seconds = match unit {
        "us" => number / 1e6,
        "ms" => number / 1e3,
        "s" => number,
        "m" => number * 60.0,
        "h" => number * 3600.0,
        _ => return None,
    };
    Some(Duration::from_secs_f64(seconds))
}

#[derive(Debug)]
struct Memory {
    peak_kib: u64,
    now_kib: u64,
    threads: u64,
}

#[derive(Debug)]
struct Figures {
    images: usize,
    push_time: Duration,
    connections: u32,
    duration: u32,
    cold: Cold,
    cached: Cached,
    misses_after: f64,
    memory: Memory,
    version: String,
    load_start: String,
    load_end: String,
}

/// The nearest-rank percentile `p` (of 100) of `sorted`.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len()).div_ceil(100);
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "met" } else { "missed" }
}

impl Figures {
    fn render(&self) -> String {
        let mut s = String::new();
        // Writing to a String cannot fail.
        let _ = self.write(&mut s);
        s
    }

    fn write(&self, s: &mut String) -> std::fmt::Result {
        let (cold, cached, n) = (&self.cold, &self.cached, self.images);
        let (cpu, _) = super::cpu_model();
        writeln!(s)?;
        writeln!(
            s,
            "machine: {cpu}, nproc {}",
            super::command_output("nproc", &[])
        )?;
        writeln!(
            s,
            "date: {}",
            super::command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"])
        )?;
        writeln!(s, "vouch: {}", self.version)?;
        writeln!(
            s,
            "load average: {} before the server started, {} after",
            self.load_start, self.load_end
        )?;
        writeln!(
            s,
            "setup: {n} images pushed and signed by skopeo in {:.1} s",
            self.push_time.as_secs_f64()
        )?;
        writeln!(s)?;
        writeln!(
            s,
            "cold: {n} reviews at once (curl --parallel --parallel-max {n}), each of another \
             image, to a fresh server"
        )?;
        writeln!(
            s,
            "  burst wall time {}; all {n} answers 200 and allowed, with the pushed digests",
            ms(cold.wall)
        )?;
        let row = |s: &mut String, name: &str, v: &[Duration]| {
            writeln!(
                s,
                "  {name:<40} p50 {:>9}  p99 {:>9}  max {:>9}",
                ms(percentile(v, 50)),
                ms(percentile(v, 99)),
                ms(v.last().copied().unwrap_or_default())
            )
        };
        row(
            s,
            "latency at the client (curl time_total)",
            &cold.latencies,
        )?;
        row(s, "  of which TCP + TLS (time_appconnect)", &cold.connect)?;
        row(s, "latency in the server (its log)", &cold.server)?;
        let protocols: Vec<String> = cold
            .protocols
            .iter()
            .map(|(p, count)| format!("{p} x{count}"))
            .collect();
        writeln!(
            s,
            "  curl: {}, {} connections",
            protocols.join(", "),
            cold.connections
        )?;
        writeln!(
            s,
            "  cache: {} misses, {} hits (/metrics); server CPU {}, registry CPU {}",
            cold.misses,
            cold.hits,
            ms(cold.cpu),
            ms(cold.traffic.cpu)
        )?;
        writeln!(s, "  registry requests: {}", cold.traffic.requests)?;
        for (kind, count) in &cold.traffic.by_kind {
            writeln!(s, "    {kind:<44} {count:>5}")?;
        }
        let by_tag: u64 = cold
            .traffic
            .by_kind
            .iter()
            .filter(|(k, _)| k.contains("manifest by tag"))
            .map(|(_, c)| c)
            .sum();
        writeln!(
            s,
            "  each image looked up once: {} ({} misses, {by_tag} manifest-by-tag requests, \
             {n} images)",
            if cold.misses == n as f64 && by_tag == n as u64 {
                "yes"
            } else {
                "NO"
            },
            cold.misses
        )?;
        writeln!(s)?;
        writeln!(
            s,
            "cached: wrk -t{WRK_THREADS} -c{} -d{}s --latency, POST /validate of {} (HTTP/1.1, \
             keep-alive)",
            self.connections, self.duration, cached.image
        )?;
        writeln!(
            s,
            "  {} reviews, {:.0} reviews/s; latency p50 {}, p90 {}, p99 {}, max {}",
            cached.requests,
            cached.rate,
            ms(cached.p50),
            ms(cached.p90),
            ms(cached.p99),
            ms(cached.max)
        )?;
        writeln!(
            s,
            "  non-2xx answers {}; socket errors: {}; {} decisions logged, all allowed from \
             the cache; cache misses still {}",
            cached.non_2xx, cached.socket_errors, cached.decisions, self.misses_after
        )?;
        let secs = f64::from(self.duration);
        writeln!(
            s,
            "  CPU over the load: vouch serve {:.2} cores ({:.0} us per review), wrk {:.2} \
             cores; the machine {:.0}% busy",
            cached.server_cpu.as_secs_f64() / secs,
            cached.server_cpu.as_secs_f64() * 1e6 / cached.requests.max(1) as f64,
            cached.wrk_cpu.as_secs_f64() / secs,
            cached.machine_busy * 100.0
        )?;
        writeln!(s, "  note: wrk runs on the same cores as the server")?;
        writeln!(s)?;
        writeln!(
            s,
            "memory: vouch serve peak RSS (VmHWM) {:.1} MiB, now {:.1} MiB, {} threads",
            self.memory.peak_kib as f64 / 1024.0,
            self.memory.now_kib as f64 / 1024.0,
            self.memory.threads
        )?;
        writeln!(s)?;
        writeln!(
            s,
            "{:<36} {:>12} {:>14}  result",
            "target", "measured", "threshold"
        )?;
        let target = |s: &mut String, name: &str, measured: String, threshold: &str, ok: bool| {
            writeln!(
                s,
                "{name:<36} {measured:>12} {threshold:>14}  {}",
                verdict(ok)
            )
        };
        let cold_p99 = percentile(&cold.latencies, 99);
        target(
            s,
            "cold review latency p99",
            ms(cold_p99),
            "<= 2 s",
            cold_p99 <= COLD_P99_TARGET,
        )?;
        target(
            s,
            "cached reviews per second",
            format!("{:.0}/s", cached.rate),
            ">= 2,000/s",
            cached.rate >= CACHED_RATE_TARGET,
        )?;
        target(
            s,
            "cached review latency p99",
            ms(cached.p99),
            "<= 10 ms",
            cached.p99 <= CACHED_P99_TARGET,
        )?;
        target(
            s,
            "peak RSS",
            format!("{:.1} MiB", self.memory.peak_kib as f64 / 1024.0),
            "<= 64 MiB",
            self.memory.peak_kib <= RSS_TARGET_KIB,
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_wrk_durations() {
        assert_eq!(wrk_duration("812.00us"), Some(Duration::from_micros(812)));
        assert_eq!(wrk_duration("1.50ms"), Some(Duration::from_micros(1500)));
        assert_eq!(wrk_duration("2.00s"), Some(Duration::from_secs(2)));
        assert_eq!(wrk_duration("fast"), None);
    }

    #[test]
    fn nearest_rank_percentiles() {
        let v: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(percentile(&v, 50), Duration::from_millis(50));
        assert_eq!(percentile(&v, 99), Duration::from_millis(99));
        assert_eq!(percentile(&v[..1], 99), Duration::from_millis(1));
    }

    #[test]
    fn reads_counters() {
        let text =
            "# TYPE vouch_verdict_cache_misses counter\nvouch_verdict_cache_misses_total 100\n";
        assert_eq!(
            metric(text, "vouch_verdict_cache_misses_total").unwrap(),
            100.0
        );
    }
}
