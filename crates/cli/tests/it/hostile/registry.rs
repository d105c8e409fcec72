//! Hostile input: registries that answer too slowly, never, or only "come back tomorrow". Time
//! is bounded whatever a registry does: `--timeout` (cosign's flag, 3 minutes by default) bounds
//! the run, each request gets a bounded time with its body, a `Retry-After` longer than vouch
//! waits fails at once, and the error names the request. Each test ends in seconds.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// How the registry misbehaves.
#[derive(Debug, Clone, Copy)]
enum Misbehaviour {
    /// A 200 announcing 1000 bytes, then one byte a second (never silent for 30 s); to a HEAD,
    /// the headers alone.
    Drip,
    /// Reads the request, then says nothing.
    Stall,
    /// 429 with `Retry-After: 100000`.
    Throttle,
}

/// A registry on 127.0.0.1 that misbehaves on every request; each connection on a thread that
/// ends within a minute whatever the client does.
fn start(misbehaviour: Misbehaviour) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let host = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(32) {
            let Ok(stream) = stream else { return };
            std::thread::spawn(move || serve(stream, misbehaviour));
        }
    });
    host
}

fn serve(mut stream: TcpStream, misbehaviour: Misbehaviour) {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0_u8; 1];
    // A TLS ClientHello (vouch tries HTTPS first): closed at once, so vouch falls back to plain
    // HTTP, as for any loopback registry without TLS.
    if stream.peek(&mut byte).is_ok_and(|n| n == 1) && byte[0] == 0x16 {
        return;
    }
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    match misbehaviour {
        // A HEAD answer has no body to drip (a client would read the drip as the next answer):
        // headers that name no digest, so that vouch GETs the manifest, which drips.
        Misbehaviour::Drip if head.starts_with(b"HEAD ") => {
            let headers = "HTTP/1.1 200 OK\r\nContent-Type: \
                           application/vnd.oci.image.manifest.v1+json\r\nContent-Length: \
                           1000\r\nConnection: close\r\n\r\n";
            let _ignored = stream.write_all(headers.as_bytes());
        }
        Misbehaviour::Drip => {
            let headers = "HTTP/1.1 200 OK\r\nContent-Type: \
                           application/vnd.oci.image.manifest.v1+json\r\nContent-Length: 1000\r\n\r\n";
            if stream.write_all(headers.as_bytes()).is_err() {
                return;
            }
            for _ in 0..60 {
                if stream.write_all(b" ").is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
        Misbehaviour::Stall => std::thread::sleep(Duration::from_secs(60)),
        Misbehaviour::Throttle => {
            let body = r#"{"errors":[{"code":"TOOMANYREQUESTS","message":"slow down"}]}"#;
            let answer = format!(
                "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 100000\r\nContent-Type: \
                 application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            );
            let _ignored = stream.write_all(answer.as_bytes());
        }
    }
}

/// `vouch verify --key … --timeout 3s HOST/app:v1`, timed.
fn verify(host: &str, extra: &[&str]) -> (Output, Duration) {
    let key = vouch_testdata::generated().join("p256-der/key.pub");
    let home = tempfile::tempdir().unwrap();
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["verify", "--insecure-ignore-tlog", "--key"])
        .arg(key)
        .args(extra)
        .arg(format!("{host}/app:v1"))
        .env("HOME", home.path())
        .env_remove("DOCKER_CONFIG")
        .env_remove("REGISTRY_AUTH_FILE")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out, start.elapsed())
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A body dripped a byte a second kept `vouch verify` running past 400 s; `--timeout 3s` ends
/// it in about 3 s, naming the image and the request, with the lookup-failed exit code.
#[test]
fn a_dripping_registry_is_cut_off_by_the_timeout() {
    let host = start(Misbehaviour::Drip);
    let (out, elapsed) = verify(&host, &["--timeout", "3s"]);
    assert!(elapsed < Duration::from_secs(15), "took {elapsed:?}");
    assert_eq!(out.status.code(), Some(13), "{}", stderr(&out));
    let stderr = stderr(&out);
    assert!(stderr.contains(&format!("{host}/app:v1")), "{stderr}");
    assert!(
        stderr.contains(&format!("GET http://{host}/v2/app/manifests/v1")),
        "{stderr}"
    );
    assert!(stderr.contains("--timeout"), "{stderr}");
}

/// A registry that accepts and never answers is cut off by `--timeout` (cosign's Go duration
/// spelling accepted), not after minutes of retries.
#[test]
fn a_stalling_registry_is_cut_off_by_the_timeout() {
    let host = start(Misbehaviour::Stall);
    let (out, elapsed) = verify(&host, &["--timeout=0m2s"]);
    assert!(elapsed < Duration::from_secs(12), "took {elapsed:?}");
    assert_eq!(out.status.code(), Some(13), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("no complete answer within"),
        "{}",
        stderr(&out)
    );
}

/// `429` with `Retry-After: 100000` waited 3 minutes in silence; now it fails at once and says
/// the registry is throttling.
#[test]
fn a_throttling_registry_fails_at_once_and_says_so() {
    let host = start(Misbehaviour::Throttle);
    let (out, elapsed) = verify(&host, &[]);
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert_eq!(out.status.code(), Some(13), "{}", stderr(&out));
    let stderr = stderr(&out);
    assert!(stderr.contains("429"), "{stderr}");
    assert!(stderr.contains("asked to wait 100000 s"), "{stderr}");
    assert!(stderr.contains("throttling"), "{stderr}");
}

/// A timeout that is not a duration is a usage error that shows cosign's spelling.
#[test]
fn a_bad_timeout_is_a_usage_error() {
    let (out, _) = verify("127.0.0.1:9", &["--timeout", "soon"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("3m0s"), "{}", stderr(&out));
}
