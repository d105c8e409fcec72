use std::fmt;

use base64::Engine as _;
use sha2::{Digest as _, Sha256};

/// SHA-256 of a key's DER `SubjectPublicKeyInfo`.
///
/// Displayed as `sha256:<hex>`. The same bytes, base64-encoded, are the key hint that cosign puts
/// in Sigstore bundles signed with a key ([`Fingerprint::to_base64`]).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fingerprint([u8; 32]);

impl Fingerprint {
    /// Fingerprint of the given DER `SubjectPublicKeyInfo`.
    #[must_use]
    pub fn of_spki_der(spki_der: &[u8]) -> Self {
        Self(Sha256::digest(spki_der).into())
    }

    /// The raw 32 bytes.
    #[must_use]
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex, without prefix.
    #[must_use]
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Standard padded base64, as in cosign's `publicKey.hint`.
    #[must_use]
    pub fn to_base64(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0)
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256:{}", self.to_hex())
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}
