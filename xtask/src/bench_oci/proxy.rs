//! A counting TCP proxy in front of the registry, for the untimed counting runs: how many TCP
//! connections a client opens, and how many of them start with a TLS handshake (record type
//! 0x16), which a plain-HTTP registry refuses (the client then falls back to HTTP). Neither
//! shows in the registry's logs: Go answers a TLS hello with a 400 before any handler runs.
use std::io::{self, Read as _, Write as _};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::thread;

/// The proxy's counters.
#[derive(Debug, Default)]
struct Counters {
    connections: AtomicU64,
    tls: AtomicU64,
}

/// Connections accepted and TLS handshakes seen, at some point.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Count {
    pub(crate) connections: u64,
    pub(crate) tls: u64,
}

impl Count {
    /// What happened between `earlier` and `self`.
    #[must_use]
    pub(crate) fn since(self, earlier: Self) -> Self {
        Self {
            connections: self.connections.saturating_sub(earlier.connections),
            tls: self.tls.saturating_sub(earlier.tls),
        }
    }
}

/// A running proxy on 127.0.0.1; dropping it stops accepting.
#[derive(Debug)]
pub(crate) struct Proxy {
    host: String,
    counters: Arc<Counters>,
    stop: Arc<AtomicBool>,
}

impl Proxy {
    /// Listens on a free 127.0.0.1 port and forwards every connection to `target`.
    pub(crate) fn start(target: &str) -> io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let host = listener.local_addr()?.to_string();
        let counters = Arc::new(Counters::default());
        let stop = Arc::new(AtomicBool::new(false));
        let (c, s, target) = (Arc::clone(&counters), Arc::clone(&stop), target.to_owned());
        thread::spawn(move || {
            for client in listener.incoming() {
                if s.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                c.connections.fetch_add(1, Ordering::SeqCst);
                let (c, target) = (Arc::clone(&c), target.clone());
                thread::spawn(move || {
                    // A connection that fails midway is the client's business, not ours.
                    let _ = forward(&client, &target, &c);
                });
            }
        });
        Ok(Self {
            host,
            counters,
            stop,
        })
    }

    /// "127.0.0.1:PORT".
    pub(crate) fn host(&self) -> &str {
        &self.host
    }

    /// The counters now.
    pub(crate) fn count(&self) -> Count {
        Count {
            connections: self.counters.connections.load(Ordering::SeqCst),
            tls: self.counters.tls.load(Ordering::SeqCst),
        }
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so that it sees the flag.
        let _ = TcpStream::connect(&self.host);
    }
}

/// Copies both ways until both sides are done; counts a TLS hello.
fn forward(client: &TcpStream, target: &str, counters: &Counters) -> io::Result<()> {
    let server = TcpStream::connect(target)?;
    let mut first = [0_u8; 1];
    if client.peek(&mut first)? == 1 && first[0] == 0x16 {
        counters.tls.fetch_add(1, Ordering::SeqCst);
    }
    let (mut from_client, mut to_server) = (client.try_clone()?, server.try_clone()?);
    let upstream = thread::spawn(move || {
        let _ = copy(&mut from_client, &mut to_server);
        let _ = to_server.shutdown(Shutdown::Write);
    });
    let (mut from_server, mut to_client) = (server, client.try_clone()?);
    let _ = copy(&mut from_server, &mut to_client);
    let _ = to_client.shutdown(Shutdown::Write);
    let _ = upstream.join();
    Ok(())
}

/// `io::copy` that flushes every chunk (the peer is waiting for it).
fn copy(from: &mut TcpStream, to: &mut TcpStream) -> io::Result<()> {
    let mut buffer = [0_u8; 64 * 1024];
    loop {
        let n = from.read(&mut buffer)?;
        if n == 0 {
            return Ok(());
        }
        to.write_all(&buffer[..n])?;
    }
}
