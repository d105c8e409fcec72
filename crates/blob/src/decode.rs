//! Turning signature bytes into a signature of the key's algorithm.
//!
//! Detection order, for the key's algorithm:
//! 1. strict DER (ECDSA only), what `openssl dgst -sign` writes;
//! 2. base64 text (cosign), whose content is DER or raw;
//! 3. raw bytes of exactly the algorithm's signature length.
//!
//! A DER signature with trailing bytes, non-minimal integers or a truncated body is refused,
//! as openssl refuses it: the bytes were changed after signing, or were never DER.

use base64::Engine as _;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use vouch_keys::{KeyMaterial, PublicKey};

use crate::{Error, Malformed, Result, Signature, SignatureEncoding};

/// A signature decoded for one algorithm.
pub(crate) enum Decoded {
    EcdsaP256(p256::ecdsa::Signature),
    EcdsaP384(p384::ecdsa::Signature),
    Ed25519(ed25519_dalek::Signature),
    Rsa(rsa::pkcs1v15::Signature),
}

const LENIENT: GeneralPurposeConfig =
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
const BASE64_STANDARD: GeneralPurpose = GeneralPurpose::new(&alphabet::STANDARD, LENIENT);
const BASE64_URL_SAFE: GeneralPurpose = GeneralPurpose::new(&alphabet::URL_SAFE, LENIENT);

/// Decodes `signature` for `key`, returning the encoding found.
pub(crate) fn decode(
    key: &PublicKey,
    signature: &Signature,
) -> Result<(Decoded, SignatureEncoding)> {
    let bytes = signature.as_bytes();
    let shape = Shape::of(key);
    let malformed = |finding: String| {
        Error::MalformedSignature(Malformed {
            pinned: signature.pinned_encoding(),
            len: bytes.len(),
            prefix: bytes.iter().take(4).copied().collect(),
            expected: shape.expected(),
            finding,
        })
    };
    if bytes.is_empty() {
        return Err(malformed("the signature is empty".to_owned()));
    }
    match signature.pinned_encoding() {
        Some(SignatureEncoding::Der) => {
            if !shape.has_der() {
                return Err(Error::AlgorithmMismatch {
                    algorithm: key.algorithm(),
                    encoding: SignatureEncoding::Der,
                });
            }
            shape
                .der(bytes)
                .map(|d| (d, SignatureEncoding::Der))
                .map_err(malformed)
        }
        Some(SignatureEncoding::Raw) => shape
            .raw(bytes)
            .map(|d| (d, SignatureEncoding::Raw))
            .map_err(malformed),
        Some(SignatureEncoding::Base64) => {
            let inner =
                base64_decode(bytes).ok_or_else(|| malformed("not base64 text".to_owned()))?;
            shape
                .binary(&inner)
                .map(|d| (d, SignatureEncoding::Base64))
                .map_err(|finding| malformed(format!("after base64 decoding: {finding}")))
        }
        None => detect(&shape, bytes).map_err(malformed),
    }
}

fn detect(
    shape: &Shape<'_>,
    bytes: &[u8],
) -> std::result::Result<(Decoded, SignatureEncoding), String> {
    // (1) DER. A raw r‖s can start with 0x30 too, so a DER failure at the raw length falls
    // through to (3).
    let der_finding = if shape.has_der() && bytes.first() == Some(&0x30) {
        match shape.der(bytes) {
            Ok(decoded) => return Ok((decoded, SignatureEncoding::Der)),
            Err(finding) if bytes.len() != shape.raw_len => return Err(finding),
            Err(finding) => Some(finding),
        }
    } else {
        None
    };
    // (2) base64 text.
    if let Some(inner) = base64_decode(bytes) {
        return shape
            .binary(&inner)
            .map(|d| (d, SignatureEncoding::Base64))
            .map_err(|finding| format!("after base64 decoding: {finding}"));
    }
    // (3) raw.
    if bytes.len() == shape.raw_len {
        return shape.raw(bytes).map(|d| (d, SignatureEncoding::Raw));
    }
    Err(der_finding
        .unwrap_or_else(|| "not DER, not base64 text, and not the raw signature length".to_owned()))
}

/// Base64 text (standard or URL-safe alphabet, padding optional, ASCII whitespace ignored).
fn base64_decode(bytes: &[u8]) -> Option<Vec<u8>> {
    let text: Vec<u8> = bytes
        .iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    if text.is_empty() {
        return None;
    }
    BASE64_STANDARD
        .decode(&text)
        .or_else(|_| BASE64_URL_SAFE.decode(&text))
        .ok()
}

/// What signatures of one key look like.
struct Shape<'k> {
    key: KeyMaterial<'k>,
    raw_len: usize,
}

impl<'k> Shape<'k> {
    fn of(key: &'k PublicKey) -> Self {
        let raw_len = match key.material() {
            KeyMaterial::EcdsaP384(_) => 96,
            KeyMaterial::Rsa(_) => key.bits() / 8,
            _ => 64,
        };
        Self {
            key: key.material(),
            raw_len,
        }
    }

    fn has_der(&self) -> bool {
        matches!(
            self.key,
            KeyMaterial::EcdsaP256(_) | KeyMaterial::EcdsaP384(_)
        )
    }

    fn expected(&self) -> String {
        match self.key {
            KeyMaterial::EcdsaP256(_) | KeyMaterial::EcdsaP384(_) => format!(
                "a DER ECDSA signature, base64 of one, or raw r‖s of {} bytes",
                self.raw_len
            ),
            _ => format!("{} signature bytes, or base64 of them", self.raw_len),
        }
    }

    /// Decoded bytes inside base64: DER (ECDSA) or raw.
    fn binary(&self, bytes: &[u8]) -> std::result::Result<Decoded, String> {
        if self.has_der() && bytes.len() != self.raw_len {
            self.der(bytes)
        } else {
            self.raw(bytes)
        }
    }

    fn der(&self, bytes: &[u8]) -> std::result::Result<Decoded, String> {
        let decoded = match self.key {
            KeyMaterial::EcdsaP256(_) => {
                p256::ecdsa::Signature::from_der(bytes).map(Decoded::EcdsaP256)
            }
            KeyMaterial::EcdsaP384(_) => {
                p384::ecdsa::Signature::from_der(bytes).map(Decoded::EcdsaP384)
            }
            _ => return Err("this algorithm has no DER signature form".to_owned()),
        };
        decoded.map_err(|_| der_finding(bytes))
    }

    fn raw(&self, bytes: &[u8]) -> std::result::Result<Decoded, String> {
        if bytes.len() != self.raw_len {
            return Err(format!(
                "{} bytes where a raw signature has {}",
                bytes.len(),
                self.raw_len
            ));
        }
        let invalid = |_| "the raw signature's values are out of range".to_owned();
        match self.key {
            KeyMaterial::EcdsaP256(_) => p256::ecdsa::Signature::from_slice(bytes)
                .map(Decoded::EcdsaP256)
                .map_err(invalid),
            KeyMaterial::EcdsaP384(_) => p384::ecdsa::Signature::from_slice(bytes)
                .map(Decoded::EcdsaP384)
                .map_err(invalid),
            KeyMaterial::Ed25519(_) => ed25519_dalek::Signature::from_slice(bytes)
                .map(Decoded::Ed25519)
                .map_err(invalid),
            KeyMaterial::Rsa(_) => rsa::pkcs1v15::Signature::try_from(bytes)
                .map(Decoded::Rsa)
                .map_err(invalid),
            _ => Err("unsupported key algorithm".to_owned()),
        }
    }
}

/// Says what is wrong with bytes that start like a DER SEQUENCE but do not decode.
fn der_finding(bytes: &[u8]) -> String {
    if bytes.first() != Some(&0x30) {
        return format!(
            "{} bytes that are not a DER SEQUENCE nor a raw signature",
            bytes.len()
        );
    }
    let declared = match bytes.get(1) {
        Some(&len) if len < 0x80 => Some(usize::from(len) + 2),
        Some(&0x81) => bytes.get(2).map(|&len| usize::from(len) + 3),
        _ => None,
    };
    match declared {
        Some(total) if bytes.len() > total => {
            let extra = bytes.len() - total;
            let newline = if bytes[total..] == *b"\n" || bytes[total..] == *b"\r\n" {
                " (a trailing newline: the file was edited or copied as text)"
            } else {
                ""
            };
            let plural = if extra == 1 { "" } else { "s" };
            format!("{extra} trailing byte{plural} after the DER SEQUENCE{newline}")
        }
        Some(total) if bytes.len() < total => format!(
            "the DER SEQUENCE declares {total} bytes but only {} are present (truncated)",
            bytes.len()
        ),
        _ => "not strict DER: the integers or lengths are not minimally encoded, or r or s is out of range".to_owned(),
    }
}
