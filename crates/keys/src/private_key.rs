//! Private keys: reading every form vendors keep them in, writing cosign's encrypted format and
//! openssl's PKCS#8, and signing.
//!
//! Key material lives in the RustCrypto key types (each zeroized on drop) and in one
//! [`Zeroizing`] copy of its PKCS#8 DER; intermediate buffers (decrypted DER, derived keys) are
//! zeroized too. Nothing here prints, and [`PrivateKey`]'s `Debug` shows the algorithm and the
//! public key's fingerprint only.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Read};

use der::Decode as _;
use ecdsa::elliptic_curve::Generate as _;
use pkcs8::EncodePrivateKey as _;
use rand_core::CryptoRng;
use sha2::Digest as _;
use signature::hazmat::PrehashSigner as _;
use spki::{EncodePublicKey as _, ObjectIdentifier};
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::cosign_key::{self, ScryptParams};
use crate::encode::pem_encode;
use crate::{Algorithm, Error, HashAlgorithm, PublicKey, Result, kind, pem};

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");
const RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");

const RSA_MIN_BITS: usize = 2048;
const RSA_MAX_BITS: usize = 4096;

/// PEM labels of the private key forms read here.
const LABEL_PKCS8: &str = "PRIVATE KEY";
const LABEL_ENCRYPTED_PKCS8: &str = "ENCRYPTED PRIVATE KEY";
const LABEL_SEC1: &str = "EC PRIVATE KEY";
const LABEL_PKCS1: &str = "RSA PRIVATE KEY";
const FORMAT_ENCRYPTED_PKCS8: &str = "encrypted PKCS#8";
const PRIVATE_LABELS: [&str; 6] = [
    LABEL_PKCS8,
    LABEL_ENCRYPTED_PKCS8,
    LABEL_SEC1,
    LABEL_PKCS1,
    cosign_key::LABEL_SIGSTORE,
    cosign_key::LABEL_COSIGN,
];

/// Encrypted PKCS#8 (PBES2) limits, checked before the key derivation runs. openssl writes
/// PBKDF2 with 2048 iterations and scrypt with N = 16384, r = 8, p = 1 (or 16); these bounds
/// leave room for stronger settings while refusing keys built to exhaust memory or time.
const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;
const MAX_SCRYPT_MEMORY: u64 = 256 << 20;
const MAX_SCRYPT_P: u16 = 16;

enum Secret {
    EcdsaP256(p256::ecdsa::SigningKey),
    EcdsaP384(p384::ecdsa::SigningKey),
    Ed25519(ed25519_dalek::SigningKey),
    Rsa(Box<rsa::RsaPrivateKey>),
}

/// A private key of one of the supported [`Algorithm`]s, for signing and for writing key files.
///
/// Read with [`PrivateKey::from_pem`] / [`PrivateKey::from_der`] / [`PrivateKey::from_bytes`]
/// (PKCS#8, SEC1, PKCS#1, encrypted PKCS#8 and cosign's encrypted format) or made with
/// [`PrivateKey::generate`]. Zeroized on drop; `Debug` prints the algorithm and the public
/// key's fingerprint, never key material. Not `Clone`, so key material is not copied around.
///
/// ```
/// use vouch_keys::{Algorithm, PrivateKey};
/// # let mut rng = rand_core::UnwrapErr(getrandom::SysRng);
/// let key = PrivateKey::generate(Algorithm::EcdsaP256, &mut rng)?;
/// let pem = key.to_cosign_pem(b"correct horse", &mut rng)?;
/// let read = PrivateKey::from_pem(pem.as_bytes(), Some(b"correct horse"))?;
/// assert_eq!(read.public_key(), key.public_key());
/// assert!(!format!("{key:?}").contains(&*key.to_pkcs8_pem()));
/// # Ok::<(), vouch_keys::Error>(())
/// ```
pub struct PrivateKey {
    secret: Secret,
    /// The key's PKCS#8 DER, as openssl and cosign write it.
    pkcs8_der: Zeroizing<Vec<u8>>,
    public: PublicKey,
}

/// Every field zeroizes itself on drop: the RustCrypto key types and the [`Zeroizing`] DER.
impl ZeroizeOnDrop for PrivateKey {}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey")
            .field("algorithm", &self.algorithm())
            .field("public_key", &self.public.fingerprint())
            .finish_non_exhaustive()
    }
}

impl PrivateKey {
    /// Reads a PEM private key: `PRIVATE KEY` (PKCS#8), `EC PRIVATE KEY` (SEC1), `RSA PRIVATE
    /// KEY` (PKCS#1), `ENCRYPTED PRIVATE KEY` (PKCS#8 with PBES2: PBKDF2 or scrypt, AES-CBC or
    /// AES-GCM), and cosign's `ENCRYPTED SIGSTORE PRIVATE KEY` / `ENCRYPTED COSIGN PRIVATE KEY`.
    ///
    /// Text around the block and `EC PARAMETERS` blocks (as `openssl ecparam -genkey` writes)
    /// are skipped. `password` is used only for the encrypted forms (an empty password is a
    /// password, as in cosign).
    ///
    /// # Errors
    ///
    /// [`Error::PasswordRequired`] for an encrypted key without a password,
    /// [`Error::WrongPassword`], [`Error::UnsupportedKdfParameters`] for a cosign key with scrypt
    /// parameters cosign does not accept (checked before scrypt runs),
    /// [`Error::NotAPrivateKey`] for public keys and certificates,
    /// [`Error::UnsupportedPrivateKey`] and [`Error::MalformedPrivateKey`].
    pub fn from_pem(text: &[u8], password: Option<&[u8]>) -> Result<Self> {
        let blocks = pem::pem_blocks(text)?;
        // The first private key block, as `openssl pkey` finds it among other blocks; else the
        // first other block, to say what the file is.
        let private = blocks.iter().find(|b| PRIVATE_LABELS.contains(&b.label()));
        let Some(block) = private.or_else(|| blocks.iter().find(|b| b.label() != "EC PARAMETERS"))
        else {
            return Err(Error::MalformedPrivateKey {
                detail: "no PEM block found".to_owned(),
            });
        };
        let body = block.contents();
        match block.label() {
            LABEL_PKCS8 => Self::from_pkcs8_der(body),
            LABEL_SEC1 | LABEL_PKCS1 if is_legacy_encrypted(text) => {
                Err(Error::UnsupportedPrivateKey {
                    what: format!(
                        "`{}` encrypted with OpenSSL's legacy PEM encryption (Proc-Type: \
                         4,ENCRYPTED); convert it to encrypted PKCS#8 with `openssl pkcs8 -topk8`",
                        block.label()
                    ),
                })
            }
            LABEL_SEC1 => Self::from_sec1_der(body),
            LABEL_PKCS1 => Self::from_pkcs1_der(body),
            LABEL_ENCRYPTED_PKCS8 => Self::from_encrypted_pkcs8_der(body, password),
            cosign_key::LABEL_SIGSTORE | cosign_key::LABEL_COSIGN => {
                let der = cosign_key::decrypt(body, password)?;
                Self::from_der(&der)
            }
            label => Err(not_a_private_key(label)),
        }
    }

    /// Reads a DER private key: PKCS#8 `PrivateKeyInfo`, SEC1 `ECPrivateKey` or PKCS#1
    /// `RSAPrivateKey`, detected.
    ///
    /// # Errors
    ///
    /// [`Error::PasswordRequired`] for an encrypted PKCS#8 key (use [`PrivateKey::from_bytes`]
    /// with a password), [`Error::NotAPrivateKey`] for a DER public key or certificate, and the
    /// errors of [`PrivateKey::from_pem`].
    pub fn from_der(der: &[u8]) -> Result<Self> {
        Self::from_der_with_password(der, None)
    }

    /// Reads a private key in PEM or DER, detected, as [`PrivateKey::from_pem`] and
    /// [`PrivateKey::from_der`] do; `password` decrypts encrypted keys of either form.
    ///
    /// # Errors
    ///
    /// As [`PrivateKey::from_pem`].
    pub fn from_bytes(input: &[u8], password: Option<&[u8]>) -> Result<Self> {
        if !pem::pem_blocks(input)?.is_empty() {
            return Self::from_pem(input, password);
        }
        if input.trim_ascii().is_empty() {
            return Err(Error::NotAPrivateKey {
                found: "an empty file".to_owned(),
            });
        }
        if input.first() == Some(&0x30) {
            return Self::from_der_with_password(input, password);
        }
        if input.trim_ascii_start().starts_with(b"ssh-") {
            return Err(Error::NotAPrivateKey {
                found: "an OpenSSH public key".to_owned(),
            });
        }
        Err(Error::MalformedPrivateKey {
            detail: format!("{} bytes that are neither PEM nor DER", input.len()),
        })
    }

    /// A new key from the caller's random generator: ECDSA P-256, ECDSA P-384 or Ed25519.
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedPrivateKey`] for RSA (vouch does not generate RSA keys).
    pub fn generate<R: CryptoRng + ?Sized>(algorithm: Algorithm, rng: &mut R) -> Result<Self> {
        let secret = match algorithm {
            Algorithm::EcdsaP256 => {
                Secret::EcdsaP256(p256::ecdsa::SigningKey::generate_from_rng(rng))
            }
            Algorithm::EcdsaP384 => {
                Secret::EcdsaP384(p384::ecdsa::SigningKey::generate_from_rng(rng))
            }
            Algorithm::Ed25519 => {
                let mut seed = Zeroizing::new([0_u8; 32]);
                rng.fill_bytes(seed.as_mut_slice());
                Secret::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
            }
            other => {
                return Err(Error::UnsupportedPrivateKey {
                    what: format!(
                        "generating {other} keys (vouch generates ECDSA P-256, ECDSA P-384 and \
                         Ed25519 keys)"
                    ),
                });
            }
        };
        Self::new(secret)
    }

    /// The key's algorithm.
    #[must_use]
    pub fn algorithm(&self) -> Algorithm {
        match self.secret {
            Secret::EcdsaP256(_) => Algorithm::EcdsaP256,
            Secret::EcdsaP384(_) => Algorithm::EcdsaP384,
            Secret::Ed25519(_) => Algorithm::Ed25519,
            Secret::Rsa(_) => Algorithm::Rsa,
        }
    }

    /// The matching public key (its SPKI is what `openssl pkey -pubout` writes).
    #[must_use]
    pub fn public_key(&self) -> PublicKey {
        self.public.clone()
    }

    /// The hash [`PrivateKey::sign_message`] signs a digest of: SHA-256 for P-256 and RSA,
    /// SHA-384 for P-384 (cosign's defaults); `None` for Ed25519, which signs the message.
    #[must_use]
    pub fn default_hash(&self) -> Option<HashAlgorithm> {
        match self.secret {
            Secret::EcdsaP256(_) | Secret::Rsa(_) => Some(HashAlgorithm::Sha256),
            Secret::EcdsaP384(_) => Some(HashAlgorithm::Sha384),
            Secret::Ed25519(_) => None,
        }
    }

    /// The unencrypted PKCS#8 DER (`PrivateKeyInfo`; for Ed25519 without the optional public
    /// key, as openssl and Go write it).
    #[must_use]
    pub fn to_pkcs8_der(&self) -> Zeroizing<Vec<u8>> {
        self.pkcs8_der.clone()
    }

    /// The unencrypted PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), as `openssl genpkey` writes
    /// it: 64-column lines, a final newline.
    #[must_use]
    pub fn to_pkcs8_pem(&self) -> Zeroizing<String> {
        pem_encode(LABEL_PKCS8, &self.pkcs8_der)
    }

    /// cosign's encrypted format (`ENCRYPTED SIGSTORE PRIVATE KEY`), as cosign ≥ 2.2 and
    /// skopeo write it: scrypt N = 65536, r = 8, p = 1 over a fresh 32-byte salt, NaCl secretbox
    /// with a fresh 24-byte nonce over the PKCS#8 DER, JSON in Go's field order, 64-column PEM.
    ///
    /// # Errors
    ///
    /// Only if encoding fails, which does not happen for keys this crate holds.
    pub fn to_cosign_pem<R: CryptoRng + ?Sized>(
        &self,
        password: &[u8],
        rng: &mut R,
    ) -> Result<String> {
        self.to_cosign_pem_with_params(password, ScryptParams::STANDARD, rng)
    }

    /// [`PrivateKey::to_cosign_pem`] with other scrypt parameters: only the three sets cosign
    /// reads are accepted ([`ScryptParams::LEGACY`] for cosign ≤ 2.1 and sigstore-rs readers,
    /// [`ScryptParams::OWASP`]).
    ///
    /// # Errors
    ///
    /// [`Error::UnsupportedKdfParameters`] for any other set.
    pub fn to_cosign_pem_with_params<R: CryptoRng + ?Sized>(
        &self,
        password: &[u8],
        params: ScryptParams,
        rng: &mut R,
    ) -> Result<String> {
        let (salt, nonce) = cosign_key::fresh_salt_and_nonce(rng);
        cosign_key::encrypt(&self.pkcs8_der, password, &salt, &nonce, params)
    }

    /// Signs a digest (`prehash`) made with `hash`.
    ///
    /// ECDSA: an ASN.1 DER signature (as `openssl dgst -sign` writes), deterministic (RFC 6979)
    /// and normalised to low S; any of SHA-256/384/512 with either curve, as openssl allows.
    /// RSA: PKCS#1 v1.5 with `hash`'s `DigestInfo`, without blinding; prefer
    /// [`PrivateKey::sign_prehash_with_rng`] for RSA keys.
    ///
    /// # Errors
    ///
    /// [`Error::PrehashUnsupported`] for Ed25519 (it signs the message:
    /// [`PrivateKey::sign_message`]), [`Error::PrehashLength`] if `prehash` is not a `hash`
    /// digest.
    pub fn sign_prehash(&self, hash: HashAlgorithm, prehash: &[u8]) -> Result<Vec<u8>> {
        self.sign_prehash_inner(hash, prehash, None::<&mut NoRng>)
    }

    /// [`PrivateKey::sign_prehash`], with RSA blinding from `rng` (ECDSA stays deterministic).
    ///
    /// # Errors
    ///
    /// As [`PrivateKey::sign_prehash`].
    pub fn sign_prehash_with_rng<R: CryptoRng + ?Sized>(
        &self,
        hash: HashAlgorithm,
        prehash: &[u8],
        rng: &mut R,
    ) -> Result<Vec<u8>> {
        self.sign_prehash_inner(hash, prehash, Some(rng))
    }

    /// Signs a whole message: pure Ed25519 over it (64 bytes), or ECDSA / RSA over its digest
    /// with [`PrivateKey::default_hash`].
    ///
    /// # Errors
    ///
    /// Only if the signing primitive fails, which does not happen for keys this crate holds.
    pub fn sign_message(&self, message: &[u8]) -> Result<Vec<u8>> {
        match (&self.secret, self.default_hash()) {
            (Secret::Ed25519(key), _) => Ok(ed25519_dalek::Signer::sign(key, message)
                .to_bytes()
                .to_vec()),
            (_, Some(hash)) => self.sign_prehash(hash, &hash.digest(message)),
            (_, None) => Err(Error::PrehashUnsupported {
                algorithm: self.algorithm(),
            }),
        }
    }

    /// Signs what `open` reads, as [`PrivateKey::sign_message`] signs a message, in constant
    /// memory: ECDSA and RSA hash one pass; Ed25519 needs two passes over the message, so `open`
    /// is called twice and must return the same bytes both times. If the two passes differ (the
    /// file changed while being signed), no signature is returned: [`Error::MessageChanged`].
    ///
    /// # Errors
    ///
    /// [`Error::Read`] if `open` or a read fails, [`Error::MessageChanged`].
    pub fn sign_reader<R: Read>(&self, mut open: impl FnMut() -> io::Result<R>) -> Result<Vec<u8>> {
        match (&self.secret, self.default_hash()) {
            (Secret::Ed25519(key), _) => sign_ed25519_twice(key, open),
            (_, Some(hash)) => {
                let digest = digest_reader(hash, open().map_err(Error::Read)?)?;
                self.sign_prehash(hash, &digest)
            }
            (_, None) => Err(Error::PrehashUnsupported {
                algorithm: self.algorithm(),
            }),
        }
    }

    fn sign_prehash_inner<R: CryptoRng + ?Sized>(
        &self,
        hash: HashAlgorithm,
        prehash: &[u8],
        rng: Option<&mut R>,
    ) -> Result<Vec<u8>> {
        if let Secret::Ed25519(_) = self.secret {
            return Err(Error::PrehashUnsupported {
                algorithm: Algorithm::Ed25519,
            });
        }
        if prehash.len() != hash.output_len() {
            return Err(Error::PrehashLength {
                hash,
                expected: hash.output_len(),
                found: prehash.len(),
            });
        }
        let failed = |err: &dyn fmt::Display| Error::Signing {
            detail: err.to_string(),
        };
        match &self.secret {
            Secret::EcdsaP256(key) => {
                let sig: p256::ecdsa::Signature =
                    key.sign_prehash(prehash).map_err(|e| failed(&e))?;
                Ok(sig.normalize_s().to_der().as_bytes().to_vec())
            }
            Secret::EcdsaP384(key) => {
                let sig: p384::ecdsa::Signature =
                    key.sign_prehash(prehash).map_err(|e| failed(&e))?;
                Ok(sig.normalize_s().to_der().as_bytes().to_vec())
            }
            Secret::Rsa(key) => {
                let scheme = match hash {
                    HashAlgorithm::Sha256 => rsa::Pkcs1v15Sign::new::<sha2::Sha256>(),
                    HashAlgorithm::Sha384 => rsa::Pkcs1v15Sign::new::<sha2::Sha384>(),
                    HashAlgorithm::Sha512 => rsa::Pkcs1v15Sign::new::<sha2::Sha512>(),
                };
                match rng {
                    Some(rng) => key.sign_with_rng(rng, scheme, prehash),
                    None => key.sign(scheme, prehash),
                }
                .map_err(|e| failed(&e))
            }
            Secret::Ed25519(_) => Err(Error::PrehashUnsupported {
                algorithm: Algorithm::Ed25519,
            }),
        }
    }

    fn new(secret: Secret) -> Result<Self> {
        let encoding_failed = |err: &dyn fmt::Display| Error::MalformedPrivateKey {
            detail: format!("cannot encode the key: {err}"),
        };
        let (pkcs8_der, spki) = match &secret {
            Secret::EcdsaP256(key) => (
                p256::SecretKey::from(key.as_nonzero_scalar())
                    .to_pkcs8_der()
                    .map_err(|e| encoding_failed(&e))?,
                key.verifying_key()
                    .to_public_key_der()
                    .map_err(|e| encoding_failed(&e))?,
            ),
            Secret::EcdsaP384(key) => (
                p384::SecretKey::from(key.as_nonzero_scalar())
                    .to_pkcs8_der()
                    .map_err(|e| encoding_failed(&e))?,
                key.verifying_key()
                    .to_public_key_der()
                    .map_err(|e| encoding_failed(&e))?,
            ),
            Secret::Ed25519(key) => {
                // Without the optional public key (PKCS#8 v1), as openssl and Go write it.
                let bytes = ed25519_dalek::pkcs8::KeypairBytes {
                    secret_key: key.to_bytes(),
                    public_key: None,
                };
                (
                    bytes.to_pkcs8_der().map_err(|e| encoding_failed(&e))?,
                    key.verifying_key()
                        .to_public_key_der()
                        .map_err(|e| encoding_failed(&e))?,
                )
            }
            Secret::Rsa(key) => (
                key.to_pkcs8_der().map_err(|e| encoding_failed(&e))?,
                key.to_public_key()
                    .to_public_key_der()
                    .map_err(|e| encoding_failed(&e))?,
            ),
        };
        let public = PublicKey::from_der(spki.as_bytes())?;
        Ok(Self {
            secret,
            pkcs8_der: Zeroizing::new(pkcs8_der.as_bytes().to_vec()),
            public,
        })
    }

    fn from_der_with_password(der: &[u8], password: Option<&[u8]>) -> Result<Self> {
        if pkcs8::PrivateKeyInfoRef::from_der(der).is_ok() {
            return Self::from_pkcs8_der(der);
        }
        if is_encrypted_pkcs8(der) {
            return Self::from_encrypted_pkcs8_der(der, password);
        }
        if sec1::EcPrivateKey::from_der(der).is_ok() {
            return Self::from_sec1_der(der);
        }
        {
            use rsa::pkcs1::DecodeRsaPrivateKey as _;
            if let Ok(key) = rsa::RsaPrivateKey::from_pkcs1_der(der) {
                return Self::new(Secret::Rsa(Box::new(checked_rsa(key)?)));
            }
        }
        if spki::SubjectPublicKeyInfoRef::from_der(der).is_ok() {
            return Err(Error::PublicKeyNotPrivate {
                form: "SubjectPublicKeyInfo".to_owned(),
            });
        }
        if let Some(kind::KeyFileKind::Certificate) = kind::from_der_structure(der) {
            return Err(Error::NotAPrivateKey {
                found: "an X.509 certificate".to_owned(),
            });
        }
        Err(Error::MalformedPrivateKey {
            detail: "DER that is not PKCS#8, SEC1 or PKCS#1".to_owned(),
        })
    }

    fn from_pkcs8_der(der: &[u8]) -> Result<Self> {
        let info =
            pkcs8::PrivateKeyInfoRef::from_der(der).map_err(|err| malformed("PKCS#8", &err))?;
        let secret = match info.algorithm.oid {
            ID_EC_PUBLIC_KEY => {
                let curve = match info.algorithm.parameters_oid() {
                    Ok(curve) => curve,
                    // Parameters may sit in the inner ECPrivateKey instead.
                    Err(_) => sec1::EcPrivateKey::from_der(info.private_key.as_bytes())
                        .ok()
                        .and_then(|key| key.parameters)
                        .and_then(|params| params.named_curve())
                        .ok_or_else(|| Error::UnsupportedPrivateKey {
                            what: "EC key without a named curve".to_owned(),
                        })?,
                };
                match curve {
                    SECP256R1 => Secret::EcdsaP256(
                        p256::SecretKey::from_sec1_der(info.private_key.as_bytes())
                            .map(|key| p256::ecdsa::SigningKey::from(&key))
                            .map_err(|err| malformed("PKCS#8 ECDSA P-256", &err))?,
                    ),
                    SECP384R1 => Secret::EcdsaP384(
                        p384::SecretKey::from_sec1_der(info.private_key.as_bytes())
                            .map(|key| p384::ecdsa::SigningKey::from(&key))
                            .map_err(|err| malformed("PKCS#8 ECDSA P-384", &err))?,
                    ),
                    other => return Err(unsupported_curve(other)),
                }
            }
            ID_ED25519 => Secret::Ed25519(
                ed25519_dalek::SigningKey::try_from(info)
                    .map_err(|err| malformed("PKCS#8 Ed25519", &err))?,
            ),
            RSA_ENCRYPTION => Secret::Rsa(Box::new(checked_rsa(
                rsa::RsaPrivateKey::try_from(info).map_err(|err| malformed("PKCS#8 RSA", &err))?,
            )?)),
            other => {
                return Err(Error::UnsupportedPrivateKey {
                    what: crate::public_key::algorithm_name(other),
                });
            }
        };
        Self::new(secret)
    }

    fn from_sec1_der(der: &[u8]) -> Result<Self> {
        let key = sec1::EcPrivateKey::from_der(der).map_err(|err| malformed("SEC1", &err))?;
        let curve = match key.parameters.and_then(|params| params.named_curve()) {
            Some(curve) => curve,
            // Without parameters, the scalar's length names the curve.
            None => match key.private_key.len() {
                32 => SECP256R1,
                48 => SECP384R1,
                66 => SECP521R1,
                len => {
                    return Err(Error::UnsupportedPrivateKey {
                        what: format!("SEC1 EC key of {len} bytes without a named curve"),
                    });
                }
            },
        };
        let secret = match curve {
            SECP256R1 => Secret::EcdsaP256(
                p256::SecretKey::try_from(key)
                    .map(|key| p256::ecdsa::SigningKey::from(&key))
                    .map_err(|err| malformed("SEC1 ECDSA P-256", &err))?,
            ),
            SECP384R1 => Secret::EcdsaP384(
                p384::SecretKey::try_from(key)
                    .map(|key| p384::ecdsa::SigningKey::from(&key))
                    .map_err(|err| malformed("SEC1 ECDSA P-384", &err))?,
            ),
            other => return Err(unsupported_curve(other)),
        };
        Self::new(secret)
    }

    fn from_pkcs1_der(der: &[u8]) -> Result<Self> {
        use rsa::pkcs1::DecodeRsaPrivateKey as _;
        let key =
            rsa::RsaPrivateKey::from_pkcs1_der(der).map_err(|err| malformed("PKCS#1 RSA", &err))?;
        Self::new(Secret::Rsa(Box::new(checked_rsa(key)?)))
    }

    fn from_encrypted_pkcs8_der(der: &[u8], password: Option<&[u8]>) -> Result<Self> {
        let info = match pkcs8::EncryptedPrivateKeyInfoRef::from_der(der) {
            Ok(info) => info,
            Err(err) => {
                return Err(match encryption_oid(der) {
                    Some(oid) => Error::UnsupportedPrivateKey {
                        what: format!(
                            "{FORMAT_ENCRYPTED_PKCS8} key encrypted with {} (vouch reads PBES2: \
                             PBKDF2 or scrypt with AES; re-encrypt it with `openssl pkcs8 \
                             -topk8 -v2 aes-256-cbc`)",
                            encryption_name(oid)
                        ),
                    },
                    None => malformed(FORMAT_ENCRYPTED_PKCS8, &err),
                });
            }
        };
        let pkcs5::EncryptionScheme::Pbes2(params) = &info.encryption_algorithm else {
            return Err(Error::UnsupportedPrivateKey {
                what: format!(
                    "{FORMAT_ENCRYPTED_PKCS8} key encrypted with {}; re-encrypt it with \
                     `openssl pkcs8 -topk8 -v2 aes-256-cbc`",
                    encryption_name(info.encryption_algorithm.oid())
                ),
            });
        };
        check_pbes2_limits(params)?;
        let password = password.ok_or(Error::PasswordRequired {
            format: FORMAT_ENCRYPTED_PKCS8,
        })?;
        let mut buffer = Zeroizing::new(info.encrypted_data.as_bytes().to_vec());
        let plaintext_len = match params.decrypt_in_place(password, &mut buffer) {
            Ok(plaintext) => plaintext.len(),
            Err(pkcs5::Error::DecryptFailed) => {
                return Err(Error::WrongPassword {
                    format: FORMAT_ENCRYPTED_PKCS8,
                });
            }
            Err(pkcs5::Error::UnsupportedAlgorithm { oid }) => {
                return Err(Error::UnsupportedPrivateKey {
                    what: format!(
                        "{FORMAT_ENCRYPTED_PKCS8} key using {} (vouch reads PBKDF2 with \
                         HMAC-SHA-1/224/256/384/512 or scrypt, and AES-CBC or AES-GCM)",
                        encryption_name(oid)
                    ),
                });
            }
            Err(err) => return Err(malformed(FORMAT_ENCRYPTED_PKCS8, &err)),
        };
        buffer.truncate(plaintext_len);
        // With a wrong password, CBC padding is still valid about once in 256 tries: the
        // garbage that results is not PKCS#8.
        if pkcs8::PrivateKeyInfoRef::from_der(&buffer).is_err() {
            return Err(Error::WrongPassword {
                format: FORMAT_ENCRYPTED_PKCS8,
            });
        }
        Self::from_pkcs8_der(&buffer)
    }
}

/// The scrypt parameters of a cosign encrypted private key (PEM), without decrypting it: to show
/// them, or to tell why a key is refused.
///
/// # Errors
///
/// [`Error::NotAPrivateKey`] if the PEM holds no cosign key, [`Error::MalformedPrivateKey`] if
/// its body is not cosign's JSON.
pub fn cosign_key_params(pem: &[u8]) -> Result<ScryptParams> {
    let blocks = pem::pem_blocks(pem)?;
    let block = blocks
        .iter()
        .find(|b| [cosign_key::LABEL_SIGSTORE, cosign_key::LABEL_COSIGN].contains(&b.label()))
        .ok_or_else(|| match blocks.first() {
            Some(block) => not_a_private_key(block.label()),
            None => Error::NotAPrivateKey {
                found: "no PEM block".to_owned(),
            },
        })?;
    cosign_key::params_of(block.contents())
}

/// An RNG type for `None` (never constructed).
enum NoRng {}

impl rand_core::TryRng for NoRng {
    type Error = core::convert::Infallible;

    fn try_next_u32(&mut self) -> core::result::Result<u32, Self::Error> {
        match *self {}
    }

    fn try_next_u64(&mut self) -> core::result::Result<u64, Self::Error> {
        match *self {}
    }

    fn try_fill_bytes(&mut self, _dst: &mut [u8]) -> core::result::Result<(), Self::Error> {
        match *self {}
    }
}

impl rand_core::TryCryptoRng for NoRng {}

fn malformed(format: &str, err: &dyn fmt::Display) -> Error {
    Error::MalformedPrivateKey {
        detail: format!("{format}: {err}"),
    }
}

fn unsupported_curve(curve: ObjectIdentifier) -> Error {
    Error::UnsupportedPrivateKey {
        what: if curve == SECP521R1 {
            "ECDSA P-521 (vouch signs with P-256, P-384, Ed25519 and RSA keys)".to_owned()
        } else {
            format!("EC curve {curve}")
        },
    }
}

fn checked_rsa(key: rsa::RsaPrivateKey) -> Result<rsa::RsaPrivateKey> {
    use rsa::traits::PublicKeyParts as _;
    let bits = key.size() * 8;
    if !(RSA_MIN_BITS..=RSA_MAX_BITS).contains(&bits) {
        return Err(Error::RsaKeySize { bits });
    }
    key.validate()
        .map_err(|err| malformed("RSA private key", &err))?;
    Ok(key)
}

/// The error for a PEM block that is not a private key, naming what it is.
fn not_a_private_key(label: &str) -> Error {
    match label {
        "PUBLIC KEY" | "RSA PUBLIC KEY" => Error::PublicKeyNotPrivate {
            form: format!("PEM `{label}`"),
        },
        other => Error::NotAPrivateKey {
            found: kind::from_pem_label(other).to_string(),
        },
    }
}

/// openssl's legacy PEM encryption: headers inside the block.
fn is_legacy_encrypted(text: &[u8]) -> bool {
    text.windows(b"Proc-Type: 4,ENCRYPTED".len())
        .any(|w| w == b"Proc-Type: 4,ENCRYPTED")
}

/// `SEQUENCE { SEQUENCE { OID, … }, OCTET STRING }`: the shape of `EncryptedPrivateKeyInfo`.
fn is_encrypted_pkcs8(der: &[u8]) -> bool {
    encryption_oid(der).is_some()
}

/// The encryption algorithm OID of something shaped like `EncryptedPrivateKeyInfo`.
fn encryption_oid(der: &[u8]) -> Option<ObjectIdentifier> {
    use der::{Reader as _, Tagged as _};
    let outer = der::asn1::AnyRef::from_der(der).ok()?;
    if outer.tag() != der::Tag::Sequence {
        return None;
    }
    let mut reader = der::SliceReader::new(outer.value()).ok()?;
    let algorithm = spki::AlgorithmIdentifierRef::decode(&mut reader).ok()?;
    let _data = <&der::asn1::OctetStringRef>::decode(&mut reader).ok()?;
    reader.is_finished().then_some(algorithm.oid)
}

fn encryption_name(oid: ObjectIdentifier) -> String {
    let name = match oid.to_string().as_str() {
        "1.2.840.113549.1.12.1.3" => "PKCS#12 pbeWithSHAAnd3-KeyTripleDES-CBC",
        "1.2.840.113549.1.12.1.6" => "PKCS#12 pbeWithSHAAnd40BitRC2-CBC",
        "1.2.840.113549.1.12.1.1" => "PKCS#12 pbeWithSHAAnd128BitRC4",
        "1.2.840.113549.3.7" => "DES-EDE3-CBC",
        "1.3.14.3.2.7" => "DES-CBC",
        "1.2.840.113549.2.7" => "HMAC-SHA-1",
        "1.2.840.113549.1.5.3" => "PBES1 pbeWithMD5AndDES-CBC",
        "1.2.840.113549.1.5.6" => "PBES1 pbeWithMD5AndRC2-CBC",
        "1.2.840.113549.1.5.10" => "PBES1 pbeWithSHA1AndDES-CBC",
        "1.2.840.113549.1.5.11" => "PBES1 pbeWithSHA1AndRC2-CBC",
        _ => return format!("OID {oid}"),
    };
    format!("{name} (OID {oid})")
}

/// Refuses PBES2 parameters that would take unbounded time or memory, before deriving a key.
fn check_pbes2_limits(params: &pkcs5::pbes2::Parameters) -> Result<()> {
    match &params.kdf {
        pkcs5::pbes2::Kdf::Pbkdf2(pbkdf2) if pbkdf2.iteration_count > MAX_PBKDF2_ITERATIONS => {
            Err(Error::UnsupportedPrivateKey {
                what: format!(
                    "{FORMAT_ENCRYPTED_PKCS8} key with {} PBKDF2 iterations (vouch reads at most \
                     {MAX_PBKDF2_ITERATIONS})",
                    pbkdf2.iteration_count
                ),
            })
        }
        pkcs5::pbes2::Kdf::Scrypt(scrypt) => {
            let n = scrypt.cost_parameter;
            let r = u64::from(scrypt.block_size);
            let memory = n.checked_mul(r).and_then(|nr| nr.checked_mul(128));
            let within = n.is_power_of_two()
                && n >= 2
                && r >= 1
                && (1..=MAX_SCRYPT_P).contains(&scrypt.parallelization)
                && memory.is_some_and(|m| m <= MAX_SCRYPT_MEMORY);
            if within {
                Ok(())
            } else {
                Err(Error::UnsupportedPrivateKey {
                    what: format!(
                        "{FORMAT_ENCRYPTED_PKCS8} key with scrypt N={n}, r={r}, p={} (vouch reads \
                         N a power of two, 128·N·r up to 256 MiB, p up to {MAX_SCRYPT_P})",
                        scrypt.parallelization
                    ),
                })
            }
        }
        _ => Ok(()),
    }
}

/// The `hash` digest of everything `reader` gives.
fn digest_reader(hash: HashAlgorithm, mut reader: impl Read) -> Result<Vec<u8>> {
    fn run<D: sha2::Digest>(mut reader: impl Read) -> Result<Vec<u8>> {
        let mut hasher = D::new();
        let mut buffer = vec![0_u8; 64 << 10];
        loop {
            match reader.read(&mut buffer) {
                Ok(0) => return Ok(hasher.finalize().to_vec()),
                Ok(n) => hasher.update(buffer.get(..n).unwrap_or_default()),
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(Error::Read(err)),
            }
        }
    }
    match hash {
        HashAlgorithm::Sha256 => run::<sha2::Sha256>(&mut reader),
        HashAlgorithm::Sha384 => run::<sha2::Sha384>(&mut reader),
        HashAlgorithm::Sha512 => run::<sha2::Sha512>(&mut reader),
    }
}

/// Pure Ed25519 over a reader, in two passes (the nonce hashes the message, then the challenge
/// does). A SHA-512 of each pass is compared: if the message changed between them, the
/// signature is dropped, since two signatures sharing a nonce would reveal the key.
fn sign_ed25519_twice<R: Read>(
    key: &ed25519_dalek::SigningKey,
    open: impl FnMut() -> io::Result<R>,
) -> Result<Vec<u8>> {
    struct Passes<F> {
        open: F,
        digests: Vec<Vec<u8>>,
        error: Option<io::Error>,
    }
    let passes = RefCell::new(Passes {
        open,
        digests: Vec::new(),
        error: None,
    });
    let feed =
        |hasher: &mut sha2::Sha512| -> core::result::Result<(), ed25519_dalek::SignatureError> {
            let mut passes = passes.borrow_mut();
            let result = (|| -> io::Result<Vec<u8>> {
                let mut reader = (passes.open)()?;
                let mut check = sha2::Sha512::new();
                let mut buffer = vec![0_u8; 64 << 10];
                loop {
                    match reader.read(&mut buffer) {
                        Ok(0) => return Ok(check.finalize().to_vec()),
                        Ok(n) => {
                            let chunk = buffer.get(..n).unwrap_or_default();
                            hasher.update(chunk);
                            check.update(chunk);
                        }
                        Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                        Err(err) => return Err(err),
                    }
                }
            })();
            match result {
                Ok(digest) => {
                    passes.digests.push(digest);
                    Ok(())
                }
                Err(err) => {
                    passes.error = Some(err);
                    Err(ed25519_dalek::SignatureError::new())
                }
            }
        };
    let expanded = ed25519_dalek::hazmat::ExpandedSecretKey::from(&*Zeroizing::new(key.to_bytes()));
    let signature = ed25519_dalek::hazmat::raw_sign_byupdate::<sha2::Sha512, _>(
        &expanded,
        feed,
        &key.verifying_key(),
    );
    let passes = passes.into_inner();
    if let Some(err) = passes.error {
        return Err(Error::Read(err));
    }
    let signature = signature.map_err(|err| Error::Signing {
        detail: err.to_string(),
    })?;
    match passes.digests.as_slice() {
        [first, second] if first == second => Ok(signature.to_bytes().to_vec()),
        _ => Err(Error::MessageChanged),
    }
}

#[cfg(test)]
mod tests;
