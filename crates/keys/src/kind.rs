//! Naming what a key file is, so a wrong `--key` gets an error that says what was passed.

use std::fmt;

use der::{Decode as _, Reader as _, SliceReader, Tag, Tagged as _};

/// What a file given as a public key turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyFileKind {
    /// An X.509 certificate (PEM `CERTIFICATE` or DER).
    Certificate,
    /// A private key; `format` names its encoding, e.g. `PKCS#8` or `cosign encrypted`.
    PrivateKey {
        /// The encoding, for messages.
        format: &'static str,
    },
    /// An OpenSSH public key line (`ssh-ed25519 AAAA…`).
    SshPublicKey,
    /// An OpenPGP key, armored (`-----BEGIN PGP PUBLIC KEY BLOCK-----`, as `gpg --armor
    /// --export` writes it).
    OpenPgp,
    /// A PEM block with a label that is not a key.
    OtherPem {
        /// The label found.
        label: String,
    },
    /// An empty file.
    Empty,
}

impl fmt::Display for KeyFileKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Certificate => f.write_str("an X.509 certificate"),
            Self::PrivateKey { format } => {
                // "an OpenSSH", "an encrypted PKCS#8", "a PKCS#1 RSA" private key.
                let article = if format.starts_with(['O', 'e', 'E', 'A', 'I', 'U']) {
                    "an"
                } else {
                    "a"
                };
                write!(f, "{article} {format} private key")
            }
            Self::OpenPgp => f.write_str("an OpenPGP key"),
            Self::SshPublicKey => f.write_str("an OpenSSH public key"),
            Self::OtherPem { label } => write!(f, "a PEM block labelled `{label}`"),
            Self::Empty => f.write_str("an empty file"),
        }
    }
}

/// Classifies a PEM label that is not `PUBLIC KEY` / `RSA PUBLIC KEY`.
pub(crate) fn from_pem_label(label: &str) -> KeyFileKind {
    let format = match label {
        "CERTIFICATE" | "X509 CERTIFICATE" | "TRUSTED CERTIFICATE" => {
            return KeyFileKind::Certificate;
        }
        "PRIVATE KEY" => "PKCS#8",
        "ENCRYPTED PRIVATE KEY" => "encrypted PKCS#8",
        "EC PRIVATE KEY" => "SEC1 EC",
        "RSA PRIVATE KEY" => "PKCS#1 RSA",
        "ENCRYPTED SIGSTORE PRIVATE KEY" | "ENCRYPTED COSIGN PRIVATE KEY" => "cosign encrypted",
        "OPENSSH PRIVATE KEY" => "OpenSSH",
        other if other.starts_with("PGP ") => return KeyFileKind::OpenPgp,
        other => {
            return KeyFileKind::OtherPem {
                label: other.to_owned(),
            };
        }
    };
    KeyFileKind::PrivateKey { format }
}

/// Recognises DER certificates and private keys by their outer structure.
///
/// * Certificate: `SEQUENCE { SEQUENCE { [0] version, … }, … }`.
/// * PKCS#8: `SEQUENCE { INTEGER 0|1, SEQUENCE algorithm, OCTET STRING, … }`.
/// * SEC1: `SEQUENCE { INTEGER 1, OCTET STRING, … }`.
/// * PKCS#1 RSA: `SEQUENCE { INTEGER 0, INTEGER n, … }`.
pub(crate) fn from_der_structure(der: &[u8]) -> Option<KeyFileKind> {
    let outer = der::asn1::AnyRef::from_der(der).ok()?;
    if outer.tag() != Tag::Sequence {
        return None;
    }
    let mut reader = SliceReader::new(outer.value()).ok()?;
    let first = der::asn1::AnyRef::decode(&mut reader).ok()?;
    let second = der::asn1::AnyRef::decode(&mut reader).ok()?;
    match (first.tag(), second.tag()) {
        (Tag::Sequence, _) => {
            let tbs_first = der::asn1::AnyRef::from_der(first.value()).ok();
            let is_versioned_tbs = first.value().first() == Some(&0xa0) || tbs_first.is_some();
            is_versioned_tbs.then_some(KeyFileKind::Certificate)
        }
        (Tag::Integer, Tag::Sequence) => Some(KeyFileKind::PrivateKey { format: "PKCS#8" }),
        (Tag::Integer, Tag::OctetString) => Some(KeyFileKind::PrivateKey { format: "SEC1 EC" }),
        (Tag::Integer, Tag::Integer) if reader.is_finished() => None,
        (Tag::Integer, Tag::Integer) => Some(KeyFileKind::PrivateKey {
            format: "PKCS#1 RSA",
        }),
        _ => None,
    }
}
