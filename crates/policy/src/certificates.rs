//! Certificates a policy gives inline or by file (containers' `fulcio.caPath`/`caData`,
//! policy-controller's `ca-cert.data`): PEM in, DER out.

/// The DER of every `CERTIFICATE` block of `pem`.
///
/// # Errors
///
/// What is wrong, without the field (the caller names it): text that is not PEM, or PEM
/// without a certificate.
pub(crate) fn pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let blocks =
        vouch_keys::pem_blocks(pem).map_err(|err| format!("expected PEM certificates: {err}"))?;
    let certificates: Vec<Vec<u8>> = blocks
        .iter()
        .filter(|block| block.label() == "CERTIFICATE")
        .map(|block| block.contents().to_vec())
        .collect();
    if certificates.is_empty() {
        return Err(
            "expected PEM certificates (`-----BEGIN CERTIFICATE-----`), found none".to_owned(),
        );
    }
    Ok(certificates)
}
