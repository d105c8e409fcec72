use std::fmt;

use der::{Decode as _, Encode as _};
use rsa::pkcs1::DecodeRsaPublicKey as _;
use rsa::traits::PublicKeyParts as _;
use spki::{EncodePublicKey as _, ObjectIdentifier, SubjectPublicKeyInfoRef};

use crate::kind::{self, KeyFileKind};
use crate::{Error, Fingerprint, Result, pem};

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 4096;

/// The signature algorithms vouch verifies with: one closed list, so adding one is a reviewed
/// change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// ECDSA over NIST P-256 (secp256r1).
    EcdsaP256,
    /// ECDSA over NIST P-384 (secp384r1).
    EcdsaP384,
    /// Pure Ed25519 (RFC 8032).
    Ed25519,
    /// RSA, PKCS#1 v1.5 signatures, 2048 to 4096 bits.
    Rsa,
}

impl Algorithm {
    /// Stable lower-case identifier, used in JSON output: `ecdsa-p256`, `ecdsa-p384`, `ed25519`,
    /// `rsa`.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "ecdsa-p256",
            Self::EcdsaP384 => "ecdsa-p384",
            Self::Ed25519 => "ed25519",
            Self::Rsa => "rsa",
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::EcdsaP256 => "ECDSA P-256",
            Self::EcdsaP384 => "ECDSA P-384",
            Self::Ed25519 => "Ed25519",
            Self::Rsa => "RSA",
        })
    }
}

/// The parsed key, for the verifier of its algorithm.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum KeyMaterial<'a> {
    /// ECDSA P-256.
    EcdsaP256(&'a p256::ecdsa::VerifyingKey),
    /// ECDSA P-384.
    EcdsaP384(&'a p384::ecdsa::VerifyingKey),
    /// Ed25519.
    Ed25519(&'a ed25519_dalek::VerifyingKey),
    /// RSA.
    Rsa(&'a rsa::RsaPublicKey),
}

#[derive(Clone)]
enum Material {
    EcdsaP256(p256::ecdsa::VerifyingKey),
    EcdsaP384(p384::ecdsa::VerifyingKey),
    Ed25519(ed25519_dalek::VerifyingKey),
    Rsa(rsa::RsaPublicKey),
}

/// A public key of one of the supported [`Algorithm`]s, with its DER `SubjectPublicKeyInfo`
/// and [`Fingerprint`].
#[derive(Clone)]
pub struct PublicKey {
    material: Material,
    spki_der: Vec<u8>,
    fingerprint: Fingerprint,
}

impl PublicKey {
    /// Reads a public key from PEM or DER, detected, as `openssl pkey -pubin` does.
    ///
    /// PEM may have text around the block and any line endings; `PUBLIC KEY` (SPKI) and
    /// `RSA PUBLIC KEY` (PKCS#1) blocks are read, `EC PARAMETERS` blocks skipped.
    ///
    /// # Errors
    ///
    /// [`Error::NotAPublicKey`] names a certificate, private key, SSH key or empty file;
    /// other variants say why a key-shaped input was refused.
    pub fn from_bytes(input: &[u8]) -> Result<Self> {
        let blocks = pem::pem_blocks(input)?;
        if let Some(block) = blocks.iter().find(|b| b.label() != "EC PARAMETERS") {
            return match block.label() {
                "PUBLIC KEY" => Self::from_der(block.contents()),
                "RSA PUBLIC KEY" => Self::from_pkcs1_rsa_der(block.contents()),
                label => Err(Error::NotAPublicKey {
                    found: kind::from_pem_label(label),
                }),
            };
        }
        let trimmed = input.trim_ascii_start();
        if trimmed.is_empty() {
            return Err(Error::NotAPublicKey {
                found: KeyFileKind::Empty,
            });
        }
        if trimmed.starts_with(b"ssh-") || trimmed.starts_with(b"ecdsa-sha2-") {
            return Err(Error::NotAPublicKey {
                found: KeyFileKind::SshPublicKey,
            });
        }
        if input.first() == Some(&0x30) {
            return Self::from_der(input);
        }
        Err(unrecognised(input))
    }

    /// Reads a PEM public key (`PUBLIC KEY` or `RSA PUBLIC KEY`).
    ///
    /// # Errors
    ///
    /// As [`PublicKey::from_bytes`]; input without a PEM block is [`Error::Unrecognised`].
    pub fn from_pem(pem: &str) -> Result<Self> {
        if pem::pem_blocks(pem.as_bytes())?.is_empty() {
            return Err(unrecognised(pem.as_bytes()));
        }
        Self::from_bytes(pem.as_bytes())
    }

    /// Reads a DER `SubjectPublicKeyInfo`.
    ///
    /// # Errors
    ///
    /// [`Error::NotAPublicKey`] for DER certificates and private keys, [`Error::MalformedSpki`]
    /// for other invalid DER, and the algorithm errors of [`PublicKey::from_bytes`].
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let spki = match SubjectPublicKeyInfoRef::from_der(der) {
            Ok(spki) => spki,
            Err(err) => {
                return Err(match kind::from_der_structure(der) {
                    Some(found) => Error::NotAPublicKey { found },
                    None => Error::MalformedSpki {
                        detail: err.to_string(),
                    },
                });
            }
        };
        let material = material_from_spki(&spki)?;
        Ok(Self::new(material, der.to_vec()))
    }

    fn from_pkcs1_rsa_der(der: &[u8]) -> Result<Self> {
        let key = rsa::RsaPublicKey::from_pkcs1_der(der).map_err(|err| Error::InvalidKey {
            algorithm: "RSA",
            detail: err.to_string(),
        })?;
        check_rsa_size(&key)?;
        // The fingerprint is defined over SPKI, so re-encode the PKCS#1 key in that form.
        let spki_der = key
            .to_public_key_der()
            .map_err(|err| Error::InvalidKey {
                algorithm: "RSA",
                detail: err.to_string(),
            })?
            .into_vec();
        Ok(Self::new(Material::Rsa(key), spki_der))
    }

    fn new(material: Material, spki_der: Vec<u8>) -> Self {
        let fingerprint = Fingerprint::of_spki_der(&spki_der);
        Self {
            material,
            spki_der,
            fingerprint,
        }
    }

    /// The key's algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        match self.material {
            Material::EcdsaP256(_) => Algorithm::EcdsaP256,
            Material::EcdsaP384(_) => Algorithm::EcdsaP384,
            Material::Ed25519(_) => Algorithm::Ed25519,
            Material::Rsa(_) => Algorithm::Rsa,
        }
    }

    /// Key size in bits (the curve size, or the RSA modulus size).
    #[must_use]
    pub fn bits(&self) -> usize {
        match &self.material {
            Material::EcdsaP256(_) | Material::Ed25519(_) => 256,
            Material::EcdsaP384(_) => 384,
            Material::Rsa(key) => key.size() * 8,
        }
    }

    /// SHA-256 of the DER `SubjectPublicKeyInfo`.
    #[must_use]
    pub fn fingerprint(&self) -> Fingerprint {
        self.fingerprint
    }

    /// The DER `SubjectPublicKeyInfo`, as read (compressed points stay compressed).
    #[must_use]
    pub fn spki_der(&self) -> &[u8] {
        &self.spki_der
    }

    /// The parsed key, for verification.
    #[must_use]
    pub fn material(&self) -> KeyMaterial<'_> {
        match &self.material {
            Material::EcdsaP256(key) => KeyMaterial::EcdsaP256(key),
            Material::EcdsaP384(key) => KeyMaterial::EcdsaP384(key),
            Material::Ed25519(key) => KeyMaterial::Ed25519(key),
            Material::Rsa(key) => KeyMaterial::Rsa(key),
        }
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PublicKey")
            .field("algorithm", &self.algorithm())
            .field("bits", &self.bits())
            .field("fingerprint", &self.fingerprint)
            .finish()
    }
}

impl PartialEq for PublicKey {
    /// Keys are equal when their SPKI DER is; compare keys, never their PEM text.
    fn eq(&self, other: &Self) -> bool {
        self.spki_der == other.spki_der
    }
}

impl Eq for PublicKey {}

impl TryFrom<SubjectPublicKeyInfoRef<'_>> for PublicKey {
    type Error = Error;

    fn try_from(spki: SubjectPublicKeyInfoRef<'_>) -> Result<Self> {
        let der = spki.to_der().map_err(|err| Error::MalformedSpki {
            detail: err.to_string(),
        })?;
        Ok(Self::new(material_from_spki(&spki)?, der))
    }
}

fn material_from_spki(spki: &SubjectPublicKeyInfoRef<'_>) -> Result<Material> {
    let point = spki.subject_public_key.raw_bytes();
    match spki.algorithm.oid {
        ID_EC_PUBLIC_KEY => {
            let curve =
                spki.algorithm
                    .parameters_oid()
                    .map_err(|_| Error::UnsupportedAlgorithm {
                        what: "EC key without a named curve".to_owned(),
                    })?;
            match curve {
                SECP256R1 => p256::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map(Material::EcdsaP256)
                    .map_err(|_| invalid_point("ECDSA P-256", point)),
                SECP384R1 => p384::ecdsa::VerifyingKey::from_sec1_bytes(point)
                    .map(Material::EcdsaP384)
                    .map_err(|_| invalid_point("ECDSA P-384", point)),
                SECP521R1 => Err(Error::UnsupportedAlgorithm {
                    what: "ECDSA P-521".to_owned(),
                }),
                other => Err(Error::UnsupportedAlgorithm {
                    what: format!("EC curve {other}"),
                }),
            }
        }
        ID_ED25519 => {
            let bytes: [u8; 32] = point.try_into().map_err(|_| Error::InvalidKey {
                algorithm: "Ed25519",
                detail: format!("expected 32 key bytes, found {}", point.len()),
            })?;
            ed25519_dalek::VerifyingKey::from_bytes(&bytes)
                .map(Material::Ed25519)
                .map_err(|_| Error::InvalidKey {
                    algorithm: "Ed25519",
                    detail: "not a point on the curve".to_owned(),
                })
        }
        RSA_ENCRYPTION => {
            let key =
                rsa::RsaPublicKey::from_pkcs1_der(point).map_err(|err| Error::InvalidKey {
                    algorithm: "RSA",
                    detail: err.to_string(),
                })?;
            check_rsa_size(&key)?;
            Ok(Material::Rsa(key))
        }
        other => Err(Error::UnsupportedAlgorithm {
            what: algorithm_name(other),
        }),
    }
}

fn check_rsa_size(key: &rsa::RsaPublicKey) -> Result<()> {
    let bits = key.size() * 8;
    if (RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
        Ok(())
    } else {
        Err(Error::RsaKeySize { bits })
    }
}

fn invalid_point(algorithm: &'static str, point: &[u8]) -> Error {
    Error::InvalidKey {
        algorithm,
        detail: format!(
            "{} point bytes are not a point on the curve (tag {:#04x})",
            point.len(),
            point.first().copied().unwrap_or_default()
        ),
    }
}

pub(crate) fn algorithm_name(oid: ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.113549.1.1.10" => "RSASSA-PSS",
        "1.3.101.113" => "Ed448",
        "1.2.840.10040.4.1" => "DSA",
        "1.2.156.10197.1.301" => "SM2",
        _ => return format!("OID {oid}"),
    };
    format!("{name} (OID {oid})")
}

fn unrecognised(input: &[u8]) -> Error {
    let prefix = input
        .iter()
        .take(16)
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        })
        .collect();
    Error::Unrecognised {
        len: input.len(),
        prefix,
    }
}
