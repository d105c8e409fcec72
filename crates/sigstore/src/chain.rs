//! Checks on a bundle's own certificate chain that sigstore-verify leaves out.

use sigstore_types::bundle::VerificationMaterialContent;
use x509_cert::Certificate;
use x509_cert::der::Decode as _;

use crate::{Bundle, Error};

/// Refuses a bundle whose `x509CertificateChain` carries a root certificate.
///
/// The bundle spec says the chain "MUST NOT contain the root": roots come from the trust root
/// alone, so a bundle cannot smuggle in the anchor its own chain is checked against.
/// sigstore-verify builds the chain from the trust root and ignores what the bundle appends,
/// so it accepts such bundles (the conformance case `bundle-with-root-cert_fail` fails there
/// only for another reason). sigstore-python and sigstore-go refuse them; so do we.
///
/// A root is recognised as a self-issued certificate (issuer equals subject, compared as DER).
///
/// Legacy cosign bundles are exempt: cosign's `dev.sigstore.cosign/chain` annotation, which
/// callers put after the leaf, ends with the root by design, and the conversion to v0.1 keeps
/// it. The trust decision does not depend on it either way: sigstore-verify builds the chain
/// from the trust root's certificates only.
pub(crate) fn refuse_root_in_chain(bundle: &Bundle) -> Result<(), Error> {
    if matches!(
        bundle.format(),
        crate::BundleFormat::LegacyCosign | crate::BundleFormat::CosignAttestation
    ) {
        return Ok(());
    }
    let VerificationMaterialContent::X509CertificateChain { certificates } =
        &bundle.inner.verification_material.content
    else {
        return Ok(());
    };
    for (position, certificate) in certificates.iter().enumerate() {
        // Unparseable certificates are left to sigstore-verify, which explains them better.
        let Ok(parsed) = Certificate::from_der(certificate.raw_bytes.as_bytes()) else {
            continue;
        };
        let tbs = &parsed.tbs_certificate;
        if tbs.issuer == tbs.subject {
            return Err(Error::UntrustedRoot {
                detail: format!(
                    "the bundle's certificate chain includes a self-signed root certificate \
                     (position {position}, subject {}); a bundle must not carry its own root: \
                     roots come only from the trust root",
                    tbs.subject
                ),
            });
        }
    }
    Ok(())
}
