//! Signing: every algorithm and encoding verifies with `verify*`; streaming gives the very
//! signature signing in memory gives (ECDSA per RFC 6979 and Ed25519 are deterministic), so no
//! byte is lost or added on the way; the Ed25519 paths and their limits.

use std::cell::Cell;
use std::io::{self, Read};

use sha2::Digest as _;
use vouch_blob::{
    Digest, DigestAlgorithm, ED25519_MAX_MESSAGE_LEN, Error, Signature, SignatureEncoding, sign,
    sign_digest, sign_reader, sign_reopen, verify, verify_digest,
};
use vouch_keys::rand_core::{TryCryptoRng, TryRng, UnwrapErr};
use vouch_keys::{Algorithm, PrivateKey};

/// SHA-256 in counter mode over a label: the keys it makes are public, and the same every run.
struct SeededRng {
    seed: [u8; 32],
    counter: u64,
}

impl TryRng for SeededRng {
    type Error = std::convert::Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        let mut bytes = [0; 4];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u32::from_le_bytes(bytes))
    }

    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        let mut bytes = [0; 8];
        self.try_fill_bytes(&mut bytes)?;
        Ok(u64::from_le_bytes(bytes))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(32) {
            let block = sha2::Sha256::new()
                .chain_update(self.seed)
                .chain_update(self.counter.to_be_bytes())
                .finalize();
            self.counter += 1;
            chunk.copy_from_slice(&block[..chunk.len()]);
        }
        Ok(())
    }
}

impl TryCryptoRng for SeededRng {}

/// Randomness for RSA blinding (which does not change a PKCS#1 v1.5 signature).
fn rng() -> UnwrapErr<SeededRng> {
    UnwrapErr(SeededRng {
        seed: [7; 32],
        counter: 0,
    })
}

fn key(algorithm: Algorithm) -> PrivateKey {
    if algorithm == Algorithm::Rsa {
        let pem =
            std::fs::read(vouch_testdata::generated().join("keys/private-rsa-pkcs1.test-only.pem"))
                .unwrap();
        return PrivateKey::from_pem(&pem, None).unwrap();
    }
    let mut rng = UnwrapErr(SeededRng {
        seed: sha2::Sha256::digest(format!("vouch-blob sign test {}", algorithm.id())).into(),
        counter: 0,
    });
    PrivateKey::generate(algorithm, &mut rng).unwrap()
}

const ALGORITHMS: [Algorithm; 4] = [
    Algorithm::EcdsaP256,
    Algorithm::EcdsaP384,
    Algorithm::Ed25519,
    Algorithm::Rsa,
];

/// Bytes that differ at every offset, across several read-ahead chunks (1 MiB each).
fn pattern(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from(i * 31 % 251).unwrap())
        .collect()
}

fn is_ecdsa(algorithm: Algorithm) -> bool {
    matches!(algorithm, Algorithm::EcdsaP256 | Algorithm::EcdsaP384)
}

#[test]
fn every_algorithm_and_encoding_verifies() {
    let message = b"vouch signs what vouch, openssl and cosign verify";
    for algorithm in ALGORITHMS {
        let key = key(algorithm);
        for digest in DigestAlgorithm::ALL {
            if algorithm == Algorithm::Ed25519 && digest != DigestAlgorithm::Sha256 {
                continue;
            }
            let signed = sign(&key, message, digest, &mut rng()).unwrap();
            assert_eq!(signed.key_algorithm(), algorithm);
            assert_eq!(signed.key_fingerprint(), key.public_key().fingerprint());
            assert_eq!(signed.digest(), &Digest::of(digest, message));
            assert_eq!(signed.message_len(), Some(message.len() as u64));
            let native = if is_ecdsa(algorithm) {
                SignatureEncoding::Der
            } else {
                SignatureEncoding::Raw
            };
            assert_eq!(signed.native_encoding(), native, "{algorithm}");
            for encoding in [
                SignatureEncoding::Der,
                SignatureEncoding::Base64,
                SignatureEncoding::Raw,
            ] {
                let bytes = match signed.encode(encoding) {
                    Ok(bytes) => bytes,
                    Err(Error::AlgorithmMismatch { .. })
                        if encoding == SignatureEncoding::Der && !is_ecdsa(algorithm) =>
                    {
                        continue;
                    }
                    Err(err) => panic!("{algorithm} {encoding}: {err}"),
                };
                let signature = Signature::from_bytes(bytes)
                    .with_encoding(encoding)
                    .with_digest(digest);
                let verified = verify(&key.public_key(), message, &signature)
                    .unwrap_or_else(|err| panic!("{algorithm} {digest} {encoding}: {err}"));
                assert_eq!(verified.encoding(), encoding);
                // The same signature over another message is refused.
                assert!(matches!(
                    verify(&key.public_key(), b"another message", &signature),
                    Err(Error::SignatureMismatch { .. })
                ));
            }
        }
    }
}

#[test]
fn ecdsa_encodings_have_their_shapes() {
    let key = key(Algorithm::EcdsaP384);
    let signed = sign(&key, b"shapes", DigestAlgorithm::Sha384, &mut rng()).unwrap();
    let der = signed.encode(SignatureEncoding::Der).unwrap();
    assert_eq!(der, signed.signature());
    assert_eq!(der.first(), Some(&0x30));
    assert_eq!(signed.encode(SignatureEncoding::Raw).unwrap().len(), 96);
    let base64 = String::from_utf8(signed.encode(SignatureEncoding::Base64).unwrap()).unwrap();
    assert!(!base64.contains('\n'), "{base64}");
    use base64::Engine as _;
    assert_eq!(
        base64::engine::general_purpose::STANDARD
            .decode(&base64)
            .unwrap(),
        der
    );
}

#[test]
fn streaming_signs_exactly_the_bytes_read() {
    let message = pattern(3 * (1 << 20) + 17);
    for algorithm in ALGORITHMS {
        let key = key(algorithm);
        let whole = sign(&key, &message, DigestAlgorithm::Sha256, &mut rng()).unwrap();
        // Uneven reads, across the read-ahead chunk boundaries.
        let streamed = sign_reader(
            &key,
            Trickle::new(message.clone()),
            DigestAlgorithm::Sha256,
            &mut rng(),
        )
        .unwrap();
        let reopened = sign_reopen(
            &key,
            || Ok(Trickle::new(message.clone())),
            DigestAlgorithm::Sha256,
            &mut rng(),
        )
        .unwrap();
        for signed in [&streamed, &reopened] {
            assert_eq!(signed.signature(), whole.signature(), "{algorithm}");
            assert_eq!(signed.digest(), whole.digest(), "{algorithm}");
            assert_eq!(signed.message_len(), Some(message.len() as u64));
        }
    }
}

#[test]
fn ed25519_reopen_reads_twice_then_once_more_to_check() {
    let key = key(Algorithm::Ed25519);
    let opens = Cell::new(0);
    let signed = sign_reopen(
        &key,
        || {
            opens.set(opens.get() + 1);
            Ok(&b"read me twice"[..])
        },
        DigestAlgorithm::Sha256,
        &mut rng(),
    )
    .unwrap();
    assert_eq!(opens.get(), 3);
    assert_eq!(
        signed.digest(),
        &Digest::of(DigestAlgorithm::Sha256, b"read me twice")
    );
    let ecdsa_key = self::key(Algorithm::EcdsaP256);
    let ecdsa_opens = Cell::new(0);
    let _signed = sign_reopen(
        &ecdsa_key,
        || {
            ecdsa_opens.set(ecdsa_opens.get() + 1);
            Ok(&b"read me once"[..])
        },
        DigestAlgorithm::Sha256,
        &mut rng(),
    )
    .unwrap();
    assert_eq!(ecdsa_opens.get(), 1);
}

#[test]
fn ed25519_refuses_a_message_that_changes_between_passes() {
    let key = key(Algorithm::Ed25519);
    let opens = Cell::new(0_u8);
    let err = sign_reopen(
        &key,
        || {
            opens.set(opens.get() + 1);
            Ok(io::Cursor::new(vec![opens.get(); 100]))
        },
        DigestAlgorithm::Sha256,
        &mut rng(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::Signing(vouch_keys::Error::MessageChanged)),
        "{err:?}"
    );
}

#[test]
fn ed25519_from_a_single_reader_is_capped() {
    assert_eq!(ED25519_MAX_MESSAGE_LEN, 64 << 20);
    let key = key(Algorithm::Ed25519);
    // One byte over the cap: refused after reading cap + 1 bytes, without signing.
    let err = sign_reader(
        &key,
        io::repeat(0).take(ED25519_MAX_MESSAGE_LEN + 1),
        DigestAlgorithm::Sha256,
        &mut rng(),
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::MessageTooLarge { algorithm: Algorithm::Ed25519, max } if max == ED25519_MAX_MESSAGE_LEN),
        "{err:?}"
    );
    assert!(err.to_string().contains("67108864 bytes"), "{err}");
}

#[test]
fn digests_are_signed_as_given() {
    let key = key(Algorithm::EcdsaP256);
    let digest = Digest::of(DigestAlgorithm::Sha512, b"hashed elsewhere");
    let signed = sign_digest(&key, &digest, &mut rng()).unwrap();
    assert_eq!(signed.message_len(), None);
    let signature = Signature::from_bytes(signed.signature()).with_digest(DigestAlgorithm::Sha512);
    let _proof = verify_digest(&key.public_key(), &digest, &signature).unwrap();
    assert!(matches!(
        sign_digest(&self::key(Algorithm::Ed25519), &digest, &mut rng()),
        Err(Error::PrehashUnsupported {
            algorithm: Algorithm::Ed25519
        })
    ));
}

#[test]
fn read_errors_are_reported_and_nothing_is_signed() {
    for algorithm in [Algorithm::EcdsaP256, Algorithm::Ed25519] {
        let key = key(algorithm);
        let failing = Trickle {
            fail_at_end: true,
            ..Trickle::new(pattern(5000))
        };
        let err = sign_reader(&key, failing, DigestAlgorithm::Sha256, &mut rng()).unwrap_err();
        assert!(
            matches!(err, Error::ReadArtifact(_)),
            "{algorithm}: {err:?}"
        );
        let err = sign_reopen(
            &key,
            || Err::<&[u8], _>(io::Error::other("gone")),
            DigestAlgorithm::Sha256,
            &mut rng(),
        )
        .unwrap_err();
        assert!(
            matches!(err, Error::ReadArtifact(_)),
            "{algorithm}: {err:?}"
        );
    }
}

/// Returns data in uneven pieces, then fails if asked to.
struct Trickle {
    data: Vec<u8>,
    pos: usize,
    fail_at_end: bool,
}

impl Trickle {
    fn new(data: Vec<u8>) -> Self {
        Self {
            data,
            pos: 0,
            fail_at_end: false,
        }
    }
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.pos == self.data.len() {
            return if self.fail_at_end {
                Err(io::Error::other("disk on fire"))
            } else {
                Ok(0)
            };
        }
        let n = buf.len().min(7919).min(self.data.len() - self.pos);
        buf[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
