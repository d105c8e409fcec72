//! cosign's encrypted private key format (`ENCRYPTED SIGSTORE PRIVATE KEY`, and
//! `ENCRYPTED COSIGN PRIVATE KEY` as older cosign and skopeo label it).
//!
//! The PEM body is the base64 of a JSON document (go-securesystemslib's `encrypted` package, Go
//! field order):
//!
//! ```json
//! {"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"<base64, 32 bytes>"},
//!  "cipher":{"name":"nacl/secretbox","nonce":"<base64, 24 bytes>"},
//!  "ciphertext":"<base64 of the secretbox output: 16-byte Poly1305 tag ‖ encrypted PKCS#8 DER>"}
//! ```
//!
//! The secretbox key is `scrypt(password, salt, N, r, p, 32)`. Readers accept exactly the three
//! parameter sets cosign has written or reads (`N` = 2^15, 2^16, 2^17 with `r` = 8, `p` = 1) and
//! refuse others *before* running scrypt, so a crafted key cannot make us allocate gigabytes.

use crypto_secretbox::aead::{AeadInPlace as _, KeyInit as _};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{Error, Result};

/// The label cosign ≥ 1.x writes (and vouch writes).
pub(crate) const LABEL_SIGSTORE: &str = "ENCRYPTED SIGSTORE PRIVATE KEY";
/// The label older cosign and skopeo write; read as the same format.
pub(crate) const LABEL_COSIGN: &str = "ENCRYPTED COSIGN PRIVATE KEY";
/// How errors name this format.
pub(crate) const FORMAT: &str = "cosign encrypted";

const KDF_NAME: &str = "scrypt";
const CIPHER_NAME: &str = "nacl/secretbox";
const SALT_LEN: usize = 32;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
const KEY_LEN: usize = 32;

/// The scrypt parameters of a cosign encrypted private key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct ScryptParams {
    /// The cost parameter `N` (a power of two).
    pub n: u64,
    /// The block size `r`.
    pub r: u64,
    /// The parallelization `p`.
    pub p: u64,
}

impl ScryptParams {
    /// `N` = 32768: what cosign ≤ 2.1 (and sigstore-rs) write.
    pub const LEGACY: Self = Self::new(32_768);
    /// `N` = 65536: what cosign ≥ 2.2 and skopeo write, and what vouch writes.
    pub const STANDARD: Self = Self::new(65_536);
    /// `N` = 131072: go-securesystemslib's "OWASP" set, accepted by cosign.
    pub const OWASP: Self = Self::new(131_072);

    const fn new(n: u64) -> Self {
        Self { n, r: 8, p: 1 }
    }

    /// Whether cosign (and vouch) read keys with these parameters: exactly [`Self::LEGACY`],
    /// [`Self::STANDARD`] or [`Self::OWASP`].
    #[must_use]
    pub fn is_supported(&self) -> bool {
        [Self::LEGACY, Self::STANDARD, Self::OWASP].contains(self)
    }

    fn to_scrypt(self) -> Result<scrypt::Params> {
        let unsupported = Error::UnsupportedKdfParameters {
            n: self.n,
            r: self.r,
            p: self.p,
        };
        if !self.is_supported() {
            return Err(unsupported);
        }
        let log_n = u8::try_from(self.n.trailing_zeros()).map_err(|_| unsupported)?;
        // The three supported sets are valid scrypt parameters.
        scrypt::Params::new(log_n, 8, 1).map_err(|_| Error::UnsupportedKdfParameters {
            n: self.n,
            r: self.r,
            p: self.p,
        })
    }
}

/// The JSON document, fields in Go's order (go-securesystemslib `encrypted.data`).
#[derive(Serialize, Deserialize)]
struct Envelope {
    kdf: Kdf,
    cipher: Cipher,
    #[serde(with = "base64_bytes")]
    ciphertext: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    name: String,
    params: Params,
    #[serde(with = "base64_bytes")]
    salt: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct Params {
    #[serde(rename = "N")]
    n: u64,
    r: u64,
    p: u64,
}

#[derive(Serialize, Deserialize)]
struct Cipher {
    name: String,
    #[serde(with = "base64_bytes")]
    nonce: Vec<u8>,
}

/// Go's `[]byte` in JSON: standard base64 with padding.
mod base64_bytes {
    use base64::Engine as _;
    use serde::{Deserialize as _, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&base64::engine::general_purpose::STANDARD.encode(bytes))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Vec<u8>, D::Error> {
        let text = String::deserialize(deserializer)?;
        base64::engine::general_purpose::STANDARD
            .decode(text.as_bytes())
            .map_err(serde::de::Error::custom)
    }
}

fn malformed(detail: impl Into<String>) -> Error {
    Error::MalformedPrivateKey {
        detail: detail.into(),
    }
}

fn parse(body: &[u8]) -> Result<Envelope> {
    let envelope: Envelope = serde_json::from_slice(body).map_err(|err| {
        malformed(format!(
            "the {FORMAT} key's PEM body is not the JSON cosign writes ({err})"
        ))
    })?;
    if envelope.kdf.name != KDF_NAME {
        return Err(Error::UnsupportedPrivateKey {
            what: format!(
                "{FORMAT} key with key derivation `{}` (cosign uses `{KDF_NAME}`)",
                envelope.kdf.name
            ),
        });
    }
    if envelope.cipher.name != CIPHER_NAME {
        return Err(Error::UnsupportedPrivateKey {
            what: format!(
                "{FORMAT} key with cipher `{}` (cosign uses `{CIPHER_NAME}`)",
                envelope.cipher.name
            ),
        });
    }
    Ok(envelope)
}

/// The scrypt parameters of a cosign encrypted key's PEM body (base64-decoded), without
/// decrypting it.
pub(crate) fn params_of(body: &[u8]) -> Result<ScryptParams> {
    let envelope = parse(body)?;
    Ok(ScryptParams {
        n: envelope.kdf.params.n,
        r: envelope.kdf.params.r,
        p: envelope.kdf.params.p,
    })
}

/// Decrypts a cosign encrypted key's PEM body (base64-decoded) to the PKCS#8 DER inside.
///
/// Order of checks: the JSON and its names, the scrypt parameters, the nonce and ciphertext
/// lengths, then the password (so a key that can never be read says so before a password is
/// asked for), and only then scrypt.
pub(crate) fn decrypt(body: &[u8], password: Option<&[u8]>) -> Result<Zeroizing<Vec<u8>>> {
    let envelope = parse(body)?;
    let params = ScryptParams {
        n: envelope.kdf.params.n,
        r: envelope.kdf.params.r,
        p: envelope.kdf.params.p,
    }
    .to_scrypt()?;
    let nonce: [u8; NONCE_LEN] = envelope.cipher.nonce.as_slice().try_into().map_err(|_| {
        malformed(format!(
            "the {FORMAT} key's nonce is {} bytes, not {NONCE_LEN}",
            envelope.cipher.nonce.len()
        ))
    })?;
    if envelope.ciphertext.len() < TAG_LEN {
        return Err(malformed(format!(
            "the {FORMAT} key's ciphertext is {} bytes, shorter than a secretbox tag",
            envelope.ciphertext.len()
        )));
    }
    let password = password.ok_or(Error::PasswordRequired { format: FORMAT })?;
    let key = derive_key(password, &envelope.kdf.salt, &params)?;
    let (tag, encrypted) = envelope.ciphertext.split_at(TAG_LEN);
    let mut plaintext = Zeroizing::new(encrypted.to_vec());
    crypto_secretbox::XSalsa20Poly1305::new(key.as_slice().into())
        .decrypt_in_place_detached(&nonce.into(), b"", &mut plaintext, tag.into())
        .map_err(|_| Error::WrongPassword { format: FORMAT })?;
    Ok(plaintext)
}

/// Encrypts PKCS#8 DER as cosign does, with the given salt, nonce and parameters; returns the
/// PEM text.
pub(crate) fn encrypt(
    pkcs8_der: &[u8],
    password: &[u8],
    salt: &[u8; SALT_LEN],
    nonce: &[u8; NONCE_LEN],
    params: ScryptParams,
) -> Result<String> {
    let scrypt_params = params.to_scrypt()?;
    let key = derive_key(password, salt, &scrypt_params)?;
    let mut encrypted = Zeroizing::new(pkcs8_der.to_vec());
    let tag = crypto_secretbox::XSalsa20Poly1305::new(key.as_slice().into())
        .encrypt_in_place_detached(&(*nonce).into(), b"", &mut encrypted)
        .map_err(|_| Error::Signing {
            detail: "secretbox encryption failed".to_owned(),
        })?;
    let mut ciphertext = Vec::with_capacity(TAG_LEN + encrypted.len());
    ciphertext.extend_from_slice(&tag);
    ciphertext.extend_from_slice(&encrypted);
    let envelope = Envelope {
        kdf: Kdf {
            name: KDF_NAME.to_owned(),
            params: Params {
                n: params.n,
                r: params.r,
                p: params.p,
            },
            salt: salt.to_vec(),
        },
        cipher: Cipher {
            name: CIPHER_NAME.to_owned(),
            nonce: nonce.to_vec(),
        },
        ciphertext,
    };
    let json = serde_json::to_vec(&envelope).map_err(|err| Error::Signing {
        detail: format!("encoding the {FORMAT} key: {err}"),
    })?;
    Ok(crate::encode::pem_encode(LABEL_SIGSTORE, &json).to_string())
}

/// A fresh salt and nonce, from the caller's generator.
pub(crate) fn fresh_salt_and_nonce<R: rand_core::CryptoRng + ?Sized>(
    rng: &mut R,
) -> ([u8; SALT_LEN], [u8; NONCE_LEN]) {
    let mut salt = [0_u8; SALT_LEN];
    let mut nonce = [0_u8; NONCE_LEN];
    rng.fill_bytes(&mut salt);
    rng.fill_bytes(&mut nonce);
    (salt, nonce)
}

fn derive_key(
    password: &[u8],
    salt: &[u8],
    params: &scrypt::Params,
) -> Result<Zeroizing<[u8; KEY_LEN]>> {
    let mut key = Zeroizing::new([0_u8; KEY_LEN]);
    scrypt::scrypt(password, salt, params, key.as_mut_slice())
        .map_err(|_| malformed("scrypt refused the output length"))?;
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DER: &[u8] = b"\x30\x03\x02\x01\x00";

    fn body_of(pem: &str) -> Vec<u8> {
        crate::pem_blocks(pem.as_bytes()).unwrap()[0]
            .contents()
            .to_vec()
    }

    #[test]
    fn json_is_in_go_field_order() {
        let pem = encrypt(DER, b"pw", &[1; 32], &[2; 24], ScryptParams::LEGACY).unwrap();
        let json = String::from_utf8(body_of(&pem)).unwrap();
        let prefix = r#"{"kdf":{"name":"scrypt","params":{"N":32768,"r":8,"p":1},"salt":"AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE="},"cipher":{"name":"nacl/secretbox","nonce":"AgICAgICAgICAgICAgICAgICAgICAgIC"},"ciphertext":""#;
        assert!(json.starts_with(prefix), "{json}");
        assert!(pem.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        assert!(pem.ends_with("-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"));
        assert!(pem.lines().all(|line| line.len() <= 64));
    }

    #[test]
    fn round_trip_and_wrong_password() {
        let pem = encrypt(DER, b"pw", &[1; 32], &[2; 24], ScryptParams::LEGACY).unwrap();
        let body = body_of(&pem);
        assert_eq!(decrypt(&body, Some(b"pw")).unwrap().as_slice(), DER);
        assert!(matches!(
            decrypt(&body, Some(b"pw\n")),
            Err(Error::WrongPassword { format: FORMAT })
        ));
        assert!(matches!(
            decrypt(&body, None),
            Err(Error::PasswordRequired { format: FORMAT })
        ));
    }

    #[test]
    fn only_the_three_parameter_sets_are_accepted() {
        for params in [
            ScryptParams::LEGACY,
            ScryptParams::STANDARD,
            ScryptParams::OWASP,
        ] {
            assert!(params.is_supported());
        }
        for (n, r, p) in [
            (16_384, 8, 1),
            (1 << 20, 8, 1),
            (1 << 40, 8, 1),
            (65_536, 16, 1),
            (65_536, 8, 2),
            (65_535, 8, 1),
            (0, 0, 0),
            (u64::MAX, u64::MAX, u64::MAX),
        ] {
            let params = ScryptParams { n, r, p };
            assert!(!params.is_supported());
            assert!(matches!(
                params.to_scrypt(),
                Err(Error::UnsupportedKdfParameters { .. })
            ));
        }
    }

    #[test]
    fn huge_parameters_are_refused_before_scrypt_runs() {
        // N = 2^40 would need 128 TiB; the guard answers at once, password or not.
        let json = br#"{"kdf":{"name":"scrypt","params":{"N":1099511627776,"r":8,"p":1},"salt":"AA=="},"cipher":{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},"ciphertext":"AAAAAAAAAAAAAAAAAAAAAA=="}"#;
        let err = decrypt(json, Some(b"pw")).unwrap_err();
        assert!(matches!(
            err,
            Error::UnsupportedKdfParameters {
                n: 1_099_511_627_776,
                r: 8,
                p: 1
            }
        ));
        assert_eq!(
            params_of(json).unwrap(),
            ScryptParams {
                n: 1 << 40,
                r: 8,
                p: 1
            }
        );
    }

    #[test]
    fn garbled_documents_are_errors() {
        for body in [
            &b""[..],
            b"{}",
            b"null",
            b"[1,2]",
            br#"{"kdf":{"name":"argon2","params":{"N":65536,"r":8,"p":1},"salt":""},"cipher":{"name":"nacl/secretbox","nonce":""},"ciphertext":""}"#,
            br#"{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":""},"cipher":{"name":"aes","nonce":""},"ciphertext":""}"#,
            br#"{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":""},"cipher":{"name":"nacl/secretbox","nonce":"AAAA"},"ciphertext":""}"#,
            br#"{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":""},"cipher":{"name":"nacl/secretbox","nonce":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},"ciphertext":"AAAA"}"#,
            br#"{"kdf":{"name":"scrypt","params":{"N":-1,"r":8,"p":1},"salt":""},"cipher":{"name":"nacl/secretbox","nonce":""},"ciphertext":""}"#,
            br#"{"kdf":{"name":"scrypt","params":{"N":65536,"r":8,"p":1},"salt":"!"},"cipher":{"name":"nacl/secretbox","nonce":""},"ciphertext":""}"#,
        ] {
            let err = decrypt(body, Some(b"pw")).unwrap_err();
            assert!(
                matches!(
                    err,
                    Error::MalformedPrivateKey { .. } | Error::UnsupportedPrivateKey { .. }
                ),
                "{}: {err:?}",
                String::from_utf8_lossy(body)
            );
        }
    }

    #[test]
    fn tampered_ciphertext_is_a_wrong_password() {
        let pem = encrypt(DER, b"pw", &[1; 32], &[2; 24], ScryptParams::LEGACY).unwrap();
        let mut envelope: Envelope = serde_json::from_slice(&body_of(&pem)).unwrap();
        if let Some(last) = envelope.ciphertext.last_mut() {
            *last ^= 1;
        }
        let body = serde_json::to_vec(&envelope).unwrap();
        assert!(matches!(
            decrypt(&body, Some(b"pw")),
            Err(Error::WrongPassword { .. })
        ));
    }
}
