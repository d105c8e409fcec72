//! The checks that depend on the timestamp authority tried: the token's signer, its signed
//! attributes and signature, the authority's chain and window (steps 3 to 7 of the parent
//! module).

use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use sigstore_types::TsaAuthority;
use vouch_blob::{Digest, DigestAlgorithm, SignatureEncoding};
use vouch_keys::{Algorithm, PublicKey};
use x509_cert::Certificate;
use x509_cert::der::asn1::{ObjectIdentifier, OctetStringRef};
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::SubjectKeyIdentifier;

use super::{GenTime, ID_CT_TST_INFO, Refusal, chain, digest_algorithm};

const ID_CONTENT_TYPE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.3");
const ID_MESSAGE_DIGEST: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.4");
const ID_SUBJECT_KEY_IDENTIFIER: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");

/// Why one authority did not accept the token.
pub(super) enum Failure {
    /// Signed by this authority, but not at a time its `validFor` window covers.
    OutsideWindow(String),
    /// Anything else (most often: another authority signed it).
    Other(String),
}

impl From<String> for Failure {
    fn from(why: String) -> Self {
        Self::Other(why)
    }
}

pub(super) fn verify_for_authority(
    signed_data: &SignedData,
    signer: &SignerInfo,
    econtent: &[u8],
    time: GenTime,
    authority: &TsaAuthority,
) -> Result<(), Failure> {
    let leaf = chain::parse(authority.leaf.as_bytes(), "leaf certificate")?;
    if !is_signer(&signer.sid, &leaf) {
        return Err(format!(
            "the token's signer ({}) is not the leaf certificate of a timestamp authority in the trust root",
            describe_sid(&signer.sid)
        )
        .into());
    }
    check_embedded_certificates(signed_data, authority)?;
    let digest = digest_algorithm(&signer.digest_alg.oid, "the signer's digest algorithm")?;
    let attributes = signer
        .signed_attrs
        .as_ref()
        .ok_or("the token's signer info has no signed attributes".to_owned())?;
    let content_type = single_value(attributes, ID_CONTENT_TYPE, "contentType")?;
    if content_type.decode_as::<ObjectIdentifier>().ok() != Some(ID_CT_TST_INFO) {
        return Err("the token's contentType attribute is not id-ct-TSTInfo"
            .to_owned()
            .into());
    }
    let message_digest = single_value(attributes, ID_MESSAGE_DIGEST, "messageDigest")?;
    let message_digest = message_digest
        .decode_as::<OctetStringRef<'_>>()
        .map_err(|err| format!("the token's messageDigest attribute: {err}"))?;
    let expected = Digest::of(digest, econtent);
    if message_digest.as_bytes() != expected.as_bytes() {
        return Err(format!(
            "the token's messageDigest attribute ({digest}) is {}, expected {} (the TSTInfo's digest)",
            hex::encode(message_digest.as_bytes()),
            expected.to_hex()
        )
        .into());
    }
    // The signature covers the attributes' DER as a SET OF (RFC 5652 §5.4), not their [0]
    // IMPLICIT form: re-encoded, as sigstore-tsa does. `der` sorts a SET OF it decodes, so
    // attributes a TSA did not write in DER order fail here (refused, never accepted).
    let signed = attributes
        .to_der()
        .map_err(|err| format!("the token's signed attributes: {err}"))?;
    verify_cms_signature(&leaf, digest, &signed, signer.signature.as_bytes())?;
    chain::validate(authority, &leaf, time)?;
    let in_window = authority.valid_for.as_ref().is_none_or(|window| {
        time.unix_nanos() >= window.start.as_nanosecond()
            && window
                .end
                .is_none_or(|end| time.unix_nanos() <= end.as_nanosecond())
    });
    if !in_window {
        return Err(Failure::OutsideWindow(format!(
            "the token's genTime ({time}) is outside the validFor window of the timestamp authority that signed it"
        )));
    }
    Ok(())
}

/// The one value of the one attribute `oid` (RFC 5652 §11: single-valued, present once).
fn single_value<'a>(
    attributes: &'a x509_cert::attr::Attributes,
    oid: ObjectIdentifier,
    name: &str,
) -> Result<&'a x509_cert::der::Any, Refusal> {
    let mut found = attributes.iter().filter(|a| a.oid == oid);
    match (found.next(), found.next()) {
        (Some(attribute), None) => match attribute.values.as_slice() {
            [value] => Ok(value),
            values => Err(format!(
                "the token's {name} attribute has {} values, expected one",
                values.len()
            )),
        },
        (None, _) => Err(format!("the token has no signed {name} attribute")),
        (Some(_), Some(_)) => Err(format!("the token has two {name} attributes")),
    }
}

fn is_signer(sid: &SignerIdentifier, leaf: &Certificate) -> bool {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(id) => {
            id.issuer == leaf.tbs_certificate.issuer
                && id.serial_number == leaf.tbs_certificate.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => leaf
            .tbs_certificate
            .extensions
            .iter()
            .flatten()
            .filter(|e| e.extn_id == ID_SUBJECT_KEY_IDENTIFIER)
            .any(|e| {
                SubjectKeyIdentifier::from_der(e.extn_value.as_bytes()).is_ok_and(|k| &k == ski)
            }),
    }
}

fn describe_sid(sid: &SignerIdentifier) -> String {
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(id) => {
            format!(
                "certificate serial {} issued by `{}`",
                id.serial_number, id.issuer
            )
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => {
            format!("subject key identifier {}", hex::encode(ski.0.as_bytes()))
        }
    }
}

/// Certificates in the token are untrusted input and never used; but one that is not part of
/// the authority's chain means the token claims another signer path than the trust root's.
fn check_embedded_certificates(
    signed_data: &SignedData,
    authority: &TsaAuthority,
) -> Result<(), Refusal> {
    let chain: Vec<&[u8]> = std::iter::once(&authority.leaf)
        .chain(&authority.intermediates)
        .chain(std::iter::once(&authority.root))
        .map(|c| c.as_bytes())
        .collect();
    for choice in signed_data.certificates.iter().flat_map(|set| set.0.iter()) {
        let der = choice
            .to_der()
            .map_err(|err| format!("a certificate embedded in the token: {err}"))?;
        if !chain.contains(&der.as_slice()) {
            return Err(
                "the token embeds a certificate that is not in the trust root's chain for its timestamp authority"
                    .to_owned(),
            );
        }
    }
    Ok(())
}

/// ECDSA P-256 or P-384, DER signature, over `signed` hashed with `digest`.
fn verify_cms_signature(
    leaf: &Certificate,
    digest: DigestAlgorithm,
    signed: &[u8],
    signature: &[u8],
) -> Result<(), Refusal> {
    let spki = leaf
        .tbs_certificate
        .subject_public_key_info
        .to_der()
        .map_err(|err| format!("the TSA certificate's key: {err}"))?;
    let key =
        PublicKey::from_der(&spki).map_err(|err| format!("the TSA certificate's key: {err}"))?;
    if !matches!(key.algorithm(), Algorithm::EcdsaP256 | Algorithm::EcdsaP384) {
        return Err(format!(
            "the TSA certificate's key is {}, expected ECDSA P-256 or P-384",
            key.algorithm()
        ));
    }
    let signature = vouch_blob::Signature::from_bytes(signature.to_vec())
        .with_encoding(SignatureEncoding::Der)
        .with_digest(digest);
    vouch_blob::verify(&key, signed, &signature)
        .map(|_| ())
        .map_err(|err| {
            format!("the token's signature does not verify with the TSA certificate's key: {err}")
        })
}
