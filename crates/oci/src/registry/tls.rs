//! The TLS client configuration: the platform's trust store, read when the first certificate
//! is checked rather than when the client is built.
//!
//! Reading the system's roots (`/etc/ssl/certs`: over a hundred PEM files) costs a few ms of
//! CPU, about a fifth of a one-image `vouch verify` against a plain-HTTP registry, which never
//! needs them. Go's `crypto/x509`, behind cosign and skopeo, reads them lazily too. The
//! certificates and client identity given in [`crate::RegistryOptions`] are parsed up front, so
//! that a bad one is an error before any request.

use std::sync::{Arc, OnceLock};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject as _;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{ClientConfig, DigitallySignedStruct, SignatureScheme};

use super::error::{RegistryError, RegistryErrorKind};

/// A client configuration trusting the platform's roots plus `extra_roots` (PEM bundles), with
/// `identity` (PEM certificates and key) as client certificate, offering HTTP/2 and 1.1.
pub(crate) fn client_config(
    extra_roots: &[Vec<u8>],
    identity: Option<&[u8]>,
) -> Result<ClientConfig, RegistryError> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = Vec::new();
    for (i, pem) in extra_roots.iter().enumerate() {
        let parsed: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
            .collect::<Result<_, _>>()
            .unwrap_or_default();
        if parsed.is_empty() {
            return Err(configuration(format!(
                "CA certificate bundle {} holds no PEM `CERTIFICATE` that parses",
                i + 1
            )));
        }
        roots.extend(parsed);
    }
    let verifier = Arc::new(LazyPlatformVerifier {
        provider: Arc::clone(&provider),
        extra_roots: roots,
        verifier: OnceLock::new(),
    });
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| configuration("cannot set up TLS".to_owned()).with_source(e))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut config = match identity {
        None => builder.with_no_client_auth(),
        Some(pem) => {
            let bad = || {
                configuration(
                    "the client certificate and key do not parse: expected PEM `CERTIFICATE` \
                     blocks and one PEM private key (PKCS#8, `EC PRIVATE KEY` or `RSA PRIVATE \
                     KEY`)"
                        .to_owned(),
                )
            };
            let certificates: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(pem)
                .collect::<Result<_, _>>()
                .map_err(|e| bad().with_source(e))?;
            let key = PrivateKeyDer::from_pem_slice(pem).map_err(|e| bad().with_source(e))?;
            if certificates.is_empty() {
                return Err(bad());
            }
            builder
                .with_client_auth_cert(certificates, key)
                .map_err(|e| bad().with_source(e))?
        }
    };
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn configuration(message: String) -> RegistryError {
    RegistryError::new(RegistryErrorKind::Configuration, message)
}

/// rustls-platform-verifier's verifier (the system's roots, plus ours), made on first use.
#[derive(Debug)]
struct LazyPlatformVerifier {
    provider: Arc<CryptoProvider>,
    extra_roots: Vec<CertificateDer<'static>>,
    verifier: OnceLock<Result<rustls_platform_verifier::Verifier, rustls::Error>>,
}

impl LazyPlatformVerifier {
    fn verifier(&self) -> Result<&rustls_platform_verifier::Verifier, rustls::Error> {
        self.verifier
            .get_or_init(|| {
                if self.extra_roots.is_empty() {
                    rustls_platform_verifier::Verifier::new(Arc::clone(&self.provider))
                } else {
                    rustls_platform_verifier::Verifier::new_with_extra_roots(
                        self.extra_roots.iter().cloned(),
                        Arc::clone(&self.provider),
                    )
                }
            })
            .as_ref()
            .map_err(Clone::clone)
    }
}

impl ServerCertVerifier for LazyPlatformVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.verifier()?.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )
    }

    // Handshake signatures need no roots: the provider's algorithms check them, as the
    // platform verifier does.
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
