//! The server's certificate, read again when its files change (cert-manager rotates the
//! Secret's files in place; the kubelet swaps the mounted folder atomically).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use anyhow::Context as _;
use rustls::crypto::aws_lc_rs;
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};

use crate::output;

/// How often the files' modification times are looked at, at most.
const RECHECK: Duration = Duration::from_secs(1);
/// Largest certificate chain or key file read.
const MAX_PEM: u64 = 1 << 20;

/// The certificate served, and where it comes from.
#[derive(Debug)]
pub(crate) struct ReloadingCertificate {
    cert: PathBuf,
    key: PathBuf,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    current: Arc<CertifiedKey>,
    stamps: (Option<SystemTime>, Option<SystemTime>),
    checked: Instant,
}

impl ReloadingCertificate {
    /// Reads the chain and key once; an error stops the server before it listens.
    pub(crate) fn load(cert: &Path, key: &Path) -> anyhow::Result<Self> {
        let current = Arc::new(read(cert, key)?);
        Ok(Self {
            cert: cert.to_owned(),
            key: key.to_owned(),
            state: Mutex::new(State {
                current,
                stamps: (modified(cert), modified(key)),
                checked: Instant::now(),
            }),
        })
    }

    /// The certificate to serve now: read again if either file changed since the last look
    /// (at most once a second). A pair that does not load (a half-written rotation) keeps the
    /// previous certificate, and is tried again at the next look.
    fn current(&self) -> Arc<CertifiedKey> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if state.checked.elapsed() >= RECHECK {
            state.checked = Instant::now();
            let stamps = (modified(&self.cert), modified(&self.key));
            if stamps != state.stamps {
                match read(&self.cert, &self.key) {
                    Ok(loaded) => {
                        state.current = Arc::new(loaded);
                        state.stamps = stamps;
                        output::serve::event("tls certificate reloaded");
                    }
                    Err(err) => output::warning(&format!(
                        "the TLS certificate or key changed and cannot be used ({err:#}); \
                         serving the previous one"
                    )),
                }
            }
        }
        Arc::clone(&state.current)
    }
}

impl ResolvesServerCert for ReloadingCertificate {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current())
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// A chain and its key, checked to belong together.
fn read(cert: &Path, key: &Path) -> anyhow::Result<CertifiedKey> {
    let chain_pem = read_small(cert)?;
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&chain_pem)
        .collect::<Result<_, _>>()
        .with_context(|| format!("{}: not a PEM certificate chain", cert.display()))?;
    if chain.is_empty() {
        anyhow::bail!(
            "{}: no certificate (expected PEM CERTIFICATE blocks)",
            cert.display()
        );
    }
    let key_pem = read_small(key)?;
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
        .with_context(|| format!("{}: not a PEM private key", key.display()))?;
    let signing = aws_lc_rs::sign::any_supported_type(&key_der)
        .with_context(|| format!("{}: a key rustls cannot sign with", key.display()))?;
    let certified = CertifiedKey::new(chain, signing);
    certified.keys_match().with_context(|| {
        format!(
            "{} is not the key of the first certificate in {}",
            key.display(),
            cert.display()
        )
    })?;
    Ok(certified)
}

fn read_small(path: &Path) -> anyhow::Result<Vec<u8>> {
    use std::io::Read as _;
    let file = fs::File::open(path).with_context(|| format!("{}: cannot open", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_PEM + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("{}: cannot read", path.display()))?;
    if bytes.len() as u64 > MAX_PEM {
        anyhow::bail!(
            "{}: over {MAX_PEM} bytes, too large for PEM",
            path.display()
        );
    }
    Ok(bytes)
}
