//! A `docker-registry serve` (distribution 2.8.2, Debian 12) on a free 127.0.0.1 port, no auth,
//! with its access log on, so that the requests of each timed run can be counted: distribution
//! writes one combined-log-format line per HTTP request on stdout (`"GET /v2/... HTTP/1.1" 200
//! ...`), unknown routes (`/referrers/` on 2.8) included; its own log goes to stderr.
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

/// How long the registry may take to answer `GET /v2/`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The running registry; dropping it stops the process.
#[derive(Debug)]
pub(crate) struct Registry {
    child: Child,
    host: String,
    access_log: PathBuf,
    app_log: PathBuf,
}

/// Where the access log and the registry's CPU time stood before a run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Mark {
    access: u64,
    cpu_ticks: u64,
}

/// What the registry saw between a [`Mark`] and now.
#[derive(Debug, Clone, Default)]
pub(crate) struct Traffic {
    /// Requests by `METHOD kind status` (kind: `/v2/`, `manifest (tag)`, `blob`, …).
    pub(crate) by_kind: BTreeMap<String, u64>,
    /// All requests.
    pub(crate) requests: u64,
    /// HTTP versions seen in the access log.
    pub(crate) protocols: BTreeSet<String>,
    /// The registry's user + system CPU time.
    pub(crate) cpu: Duration,
    /// The requests the client says it made (`vouch verify --output json`'s
    /// `registry_requests`), when it says.
    pub(crate) reported: Option<u64>,
}

impl Traffic {
    /// With the client's own request count.
    #[must_use]
    pub(crate) fn reported(self, reported: Option<u64>) -> Self {
        Self { reported, ..self }
    }
}

impl Registry {
    /// Starts the registry with its storage, config and logs under `dir`; waits until it has
    /// logged `listening on 127.0.0.1:PORT` and answers `GET /v2/`.
    /// `gogc` sets the registry's `GOGC` (unset: Go's default).
    pub(crate) fn start(program: &Path, dir: &Path, gogc: Option<u32>) -> anyhow::Result<Self> {
        let mut last = String::new();
        // The port is free when picked but released before the registry binds it: if another
        // process takes it in between, the registry exits and we try another.
        for attempt in 0..5 {
            let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
            let host = format!("127.0.0.1:{port}");
            let config = dir.join("config.yml");
            let data = serde_json::to_string(&dir.join("data"))?;
            fs::write(
                &config,
                format!(
                    "version: 0.1\nlog:\n  level: info\n  accesslog: {{disabled: false}}\n\
                     storage:\n  filesystem: {{rootdirectory: {data}}}\n\
                     http:\n  addr: {host}\n  secret: vouch-bench-http-secret\n"
                ),
            )?;
            let access_log = dir.join(format!("access-{attempt}.log"));
            let app_log = dir.join(format!("registry-{attempt}.log"));
            let mut command = Command::new(program);
            match gogc {
                Some(percent) => command.env("GOGC", percent.to_string()),
                None => command.env_remove("GOGC"),
            };
            let child = command
                .arg("serve")
                .arg(&config)
                .current_dir(dir)
                .stdin(Stdio::null())
                .stdout(fs::File::create(&access_log)?)
                .stderr(fs::File::create(&app_log)?)
                .spawn()
                .with_context(|| format!("spawning {}", program.display()))?;
            let mut registry = Self {
                child,
                host,
                access_log,
                app_log,
            };
            match registry.wait_ready() {
                Ok(()) => return Ok(registry),
                Err(log) if log.contains("address already in use") => last = log,
                Err(log) => bail!("docker-registry did not start on {}:\n{log}", registry.host),
            }
        }
        bail!("docker-registry found no free port in 5 attempts:\n{last}")
    }

    fn wait_ready(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + START_TIMEOUT;
        let listening = format!("listening on {}", self.host);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited ({status}):\n{}", self.log_text()));
            }
            if self.log_text().contains(&listening) && ping(&self.host).is_ok() {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "no answer to GET /v2/ within {START_TIMEOUT:?}:\n{}",
                    self.log_text()
                ));
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// "127.0.0.1:PORT".
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The registry's own log (stderr), for error messages.
    pub(crate) fn log_text(&self) -> String {
        fs::read_to_string(&self.app_log).unwrap_or_default()
    }

    /// The current position of both logs and the registry's CPU time.
    pub(crate) fn mark(&self) -> anyhow::Result<Mark> {
        Ok(Mark {
            access: file_len(&self.access_log)?,
            cpu_ticks: self.cpu_ticks()?,
        })
    }

    /// The requests logged since `mark`. A log line is written when the handler returns, which
    /// can be just after the client has its answer and exits: wait until the access log has
    /// stopped growing for 100 ms first.
    pub(crate) fn traffic_since(&self, mark: Mark) -> anyhow::Result<Traffic> {
        let mut len = file_len(&self.access_log)?;
        loop {
            thread::sleep(Duration::from_millis(100));
            let now = file_len(&self.access_log)?;
            if now == len {
                break;
            }
            len = now;
        }
        let cpu_ticks = self.cpu_ticks()?.saturating_sub(mark.cpu_ticks);
        let mut traffic = Traffic {
            cpu: Duration::from_millis(cpu_ticks * 1000 / clock_ticks_per_second()),
            ..Traffic::default()
        };
        for line in tail(&self.access_log, mark.access)?.lines() {
            let Some(request) = AccessLine::parse(line) else {
                bail!("unexpected line in the registry's access log: {line}");
            };
            traffic.requests += 1;
            *traffic.by_kind.entry(request.kind()).or_default() += 1;
            traffic.protocols.insert(request.protocol.to_owned());
        }
        Ok(traffic)
    }

    /// utime + stime of the registry process, in clock ticks (/proc/PID/stat fields 14, 15).
    fn cpu_ticks(&self) -> anyhow::Result<u64> {
        proc_cpu_ticks(self.child.id()).context("reading the registry's CPU time")
    }
}

/// utime + stime of process `pid`, in clock ticks, from `/proc/PID/stat`.
pub(crate) fn proc_cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    // The command name (field 2) is in parentheses and may hold spaces: split after it.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // fields[0] is field 3 (state), so field 14 is fields[11].
    let field = |i: usize| -> anyhow::Result<u64> {
        fields
            .get(i)
            .and_then(|f| f.parse().ok())
            .with_context(|| format!("parsing /proc/{pid}/stat: {stat}"))
    };
    Ok(field(11)? + field(12)?)
}

impl Drop for Registry {
    fn drop(&mut self) {
        // Best effort: the process may have exited already.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One request in the access log: `IP - - [date] "METHOD URI PROTO" STATUS SIZE "ref" "agent"`.
#[derive(Debug)]
struct AccessLine<'a> {
    method: &'a str,
    uri: &'a str,
    protocol: &'a str,
    status: &'a str,
}

impl<'a> AccessLine<'a> {
    fn parse(line: &'a str) -> Option<Self> {
        let (_, rest) = line.split_once("] \"")?;
        let (request, rest) = rest.split_once('"')?;
        let mut parts = request.split(' ');
        let (method, uri, protocol) = (parts.next()?, parts.next()?, parts.next()?);
        let status = rest.split_whitespace().next()?;
        Some(Self {
            method,
            uri,
            protocol,
            status,
        })
    }

    /// `METHOD kind STATUS`, the kind being what the request was for, without names or digests.
    fn kind(&self) -> String {
        let path = self.uri.split('?').next().unwrap_or(self.uri);
        let kind = if path == "/v2/" || path == "/v2" {
            "/v2/ (ping)"
        } else if let Some((_, reference)) = path.split_once("/manifests/") {
            if reference.starts_with("sha256:") {
                "manifest by digest"
            } else if reference.ends_with(".sig") {
                "manifest, cosign .sig tag"
            } else if reference.starts_with("sha256-") {
                "manifest, other sha256- tag"
            } else {
                "manifest by tag"
            }
        } else if path.contains("/blobs/") {
            "blob"
        } else if path.contains("/referrers/") {
            "referrers"
        } else if path.ends_with("/tags/list") {
            "tags/list"
        } else {
            "other"
        };
        format!("{} {kind} → {}", self.method, self.status)
    }
}

/// `GET /v2/` over a fresh connection (HTTP/1.0: the server closes it after the answer).
fn ping(host: &str) -> std::io::Result<()> {
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        stream,
        "GET /v2/ HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )?;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer)?;
    if answer.starts_with(b"HTTP/") {
        Ok(())
    } else {
        Err(std::io::Error::other("not an HTTP answer"))
    }
}

fn file_len(path: &Path) -> anyhow::Result<u64> {
    Ok(fs::metadata(path)
        .with_context(|| format!("reading {}", path.display()))?
        .len())
}

/// The text of `path` from byte `from` on (whole lines: the logs are appended line by line).
fn tail(path: &Path, from: u64) -> anyhow::Result<String> {
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let from = usize::try_from(from)?.min(bytes.len());
    Ok(String::from_utf8_lossy(&bytes[from..]).into_owned())
}

/// `getconf CLK_TCK`, 100 on every Linux this runs on.
fn clock_ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_access_lines() {
        let line = r#"127.0.0.1 - - [01/Dec/2026:07:12:34 +0000] "HEAD /v2/bench/app-1/manifests/1 HTTP/1.1" 200 0 "" "vouch/0.1""#;
        let parsed = AccessLine::parse(line).unwrap();
        assert_eq!(parsed.protocol, "HTTP/1.1");
        assert_eq!(parsed.kind(), "HEAD manifest by tag → 200");
        let sig = r#"127.0.0.1 - - [01/Dec/2026:07:12:34 +0000] "GET /v2/bench/app-1/manifests/sha256-ab.sig HTTP/1.1" 200 9 "" "x""#;
        assert_eq!(
            AccessLine::parse(sig).unwrap().kind(),
            "GET manifest, cosign .sig tag → 200"
        );
    }
}
