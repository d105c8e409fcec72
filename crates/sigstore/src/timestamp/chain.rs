//! The timestamp authority's certificate chain, from the trust root: what sigstore-tsa 0.15.1
//! has webpki check (`verify_for_usage` with the timeStamping EKU, at genTime), done here over
//! the same three parts `TrustedRoot::tsa_authorities` splits the chain into.
//!
//! * the leaf and each intermediate is signed by the next certificate (leaf → intermediates →
//!   root; a one-certificate chain is its own issuer), and names it as issuer;
//! * the leaf and the intermediates are valid at genTime (the root is a trust anchor, whose
//!   dates and self-signature webpki does not check either);
//! * the intermediates are CAs; the leaf is not;
//! * the leaf has the `id-kp-timeStamping` extended key usage. RFC 3161 §2.3 wants that
//!   extension critical, but neither webpki nor sigstore-tsa requires it, and GitHub's
//!   timestamp authority marks it non-critical: requiring it would refuse its attestations.
//!
//! The chain is trust-root material: this guards against a broken or mis-assembled root, not
//! against the token (the token's own certificates are never trusted: see the parent module).

use sigstore_types::TsaAuthority;
use vouch_blob::{DigestAlgorithm, SignatureEncoding};
use vouch_keys::{Algorithm, PublicKey};
use x509_cert::Certificate;
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Encode, Header, Reader, SliceReader, Tag};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage};

use super::gen_time::GenTime;

const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const EXTENDED_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");

/// Parses a certificate of the trust root.
pub(super) fn parse(der: &[u8], what: &str) -> Result<Certificate, String> {
    Certificate::from_der(der).map_err(|err| format!("the trust root's TSA {what}: {err}"))
}

/// Checks `authority`'s chain, whose leaf is `leaf`, at `time`.
pub(super) fn validate(
    authority: &TsaAuthority,
    leaf: &Certificate,
    time: GenTime,
) -> Result<(), String> {
    // Leaf and intermediates are checked; the root is the trust anchor, whose own signature
    // and dates are not (as in webpki). A one-certificate chain is its own anchor.
    let mut path = vec![(authority.leaf.as_bytes(), leaf.clone())];
    for der in &authority.intermediates {
        path.push((
            der.as_bytes(),
            parse(der.as_bytes(), "intermediate certificate")?,
        ));
    }
    let single = authority.intermediates.is_empty()
        && authority.leaf.as_bytes() == authority.root.as_bytes();
    let anchor = if single {
        leaf.clone()
    } else {
        parse(authority.root.as_bytes(), "root certificate")?
    };
    let issuers = path
        .iter()
        .skip(1)
        .map(|(_, cert)| cert)
        .chain(std::iter::once(&anchor));
    for (index, ((der, cert), issuer)) in path.iter().zip(issuers).enumerate() {
        let name = cert.tbs_certificate.subject.to_string();
        if cert.tbs_certificate.issuer != issuer.tbs_certificate.subject {
            return Err(format!(
                "TSA certificate `{name}` names issuer `{}`, but the next certificate of the chain is `{}`",
                cert.tbs_certificate.issuer, issuer.tbs_certificate.subject
            ));
        }
        verify_signature(der, cert, issuer).map_err(|why| {
            format!("TSA certificate `{name}` is not signed by its issuer: {why}")
        })?;
        check_validity(cert, time)?;
        let is_ca = basic_constraints(cert)?.is_some_and(|bc| bc.ca);
        if index == 0 {
            if is_ca {
                return Err(format!("TSA leaf certificate `{name}` is a CA certificate"));
            }
            check_eku(cert)?;
        } else if !is_ca {
            return Err(format!(
                "TSA intermediate certificate `{name}` is not a CA certificate"
            ));
        }
    }
    Ok(())
}

/// Whether `cert` is valid at `time` (notBefore ≤ time ≤ notAfter, to the nanosecond).
fn check_validity(cert: &Certificate, time: GenTime) -> Result<(), String> {
    let validity = &cert.tbs_certificate.validity;
    let nanos = |t: x509_cert::time::Time| {
        i128::try_from(t.to_unix_duration().as_nanos()).unwrap_or(i128::MAX)
    };
    let (not_before, not_after) = (nanos(validity.not_before), nanos(validity.not_after));
    if time.unix_nanos() < not_before || time.unix_nanos() > not_after {
        return Err(format!(
            "TSA certificate `{}` is valid from {} to {}, not at genTime ({time})",
            cert.tbs_certificate.subject, validity.not_before, validity.not_after
        ));
    }
    Ok(())
}

fn basic_constraints(cert: &Certificate) -> Result<Option<BasicConstraints>, String> {
    extension(cert, BASIC_CONSTRAINTS)
}

fn check_eku(cert: &Certificate) -> Result<(), String> {
    let eku: Option<ExtendedKeyUsage> = extension(cert, EXTENDED_KEY_USAGE)?;
    if eku.is_some_and(|eku| eku.0.contains(&ID_KP_TIME_STAMPING)) {
        Ok(())
    } else {
        Err(format!(
            "TSA leaf certificate `{}` lacks the timeStamping extended key usage",
            cert.tbs_certificate.subject
        ))
    }
}

/// The extension `oid` of `cert`, decoded; an error if it appears twice or does not decode.
fn extension<'a, T: Decode<'a>>(
    cert: &'a Certificate,
    oid: ObjectIdentifier,
) -> Result<Option<T>, String> {
    let mut found = cert
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == oid);
    let Some(ext) = found.next() else {
        return Ok(None);
    };
    if found.next().is_some() {
        return Err(format!("TSA certificate has extension {oid} twice"));
    }
    T::from_der(ext.extn_value.as_bytes())
        .map(Some)
        .map_err(|err| format!("TSA certificate extension {oid}: {err}"))
}

/// Checks `cert`'s signature with `issuer`'s key: ECDSA (P-256, P-384) or RSA PKCS#1 v1.5 with
/// SHA-256/384/512, or Ed25519, the algorithms webpki accepts for a chain.
fn verify_signature(der: &[u8], cert: &Certificate, issuer: &Certificate) -> Result<(), String> {
    let oid = cert.signature_algorithm.oid.to_string();
    let (family, digest) = match oid.as_str() {
        "1.2.840.10045.4.3.2" => (Family::Ecdsa, DigestAlgorithm::Sha256),
        "1.2.840.10045.4.3.3" => (Family::Ecdsa, DigestAlgorithm::Sha384),
        "1.2.840.10045.4.3.4" => (Family::Ecdsa, DigestAlgorithm::Sha512),
        "1.2.840.113549.1.1.11" => (Family::Rsa, DigestAlgorithm::Sha256),
        "1.2.840.113549.1.1.12" => (Family::Rsa, DigestAlgorithm::Sha384),
        "1.2.840.113549.1.1.13" => (Family::Rsa, DigestAlgorithm::Sha512),
        "1.3.101.112" => (Family::Ed25519, DigestAlgorithm::Sha512),
        other => return Err(format!("unsupported signature algorithm {other}")),
    };
    let spki = issuer
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|err| err.to_string())?;
    let key = PublicKey::from_der(&spki).map_err(|err| format!("issuer key: {err}"))?;
    let (encoding, matches) = match (family, key.algorithm()) {
        (Family::Ecdsa, Algorithm::EcdsaP256 | Algorithm::EcdsaP384) => {
            (SignatureEncoding::Der, true)
        }
        (Family::Rsa, Algorithm::Rsa) | (Family::Ed25519, Algorithm::Ed25519) => {
            (SignatureEncoding::Raw, true)
        }
        _ => (SignatureEncoding::Raw, false),
    };
    if !matches {
        return Err(format!(
            "signature algorithm {oid} does not fit the issuer's {} key",
            key.algorithm()
        ));
    }
    let tbs = tbs_bytes(der).map_err(|err| err.to_string())?;
    let signature = vouch_blob::Signature::from_bytes(cert.signature.raw_bytes().to_vec())
        .with_encoding(encoding)
        .with_digest(digest);
    vouch_blob::verify(&key, tbs, &signature)
        .map(|_| ())
        .map_err(|err| err.to_string())
}

/// The signed part of a DER certificate, as it is (not re-encoded).
fn tbs_bytes(der: &[u8]) -> x509_cert::der::Result<&[u8]> {
    let mut reader = SliceReader::new(der)?;
    Header::decode(&mut reader)?.tag.assert_eq(Tag::Sequence)?;
    reader.tlv_bytes()
}

#[derive(Clone, Copy)]
enum Family {
    Ecdsa,
    Rsa,
    Ed25519,
}
