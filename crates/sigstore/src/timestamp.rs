//! RFC 3161 timestamps, verified by vouch itself.
//!
//! sigstore-tsa 0.15.1 decodes `TSTInfo.genTime` with `der`'s `GeneralizedTime`, which refuses
//! fractional seconds (`…ss.123Z`), valid DER that sigstore-js's and many other timestamp
//! authorities write. So vouch verifies every token itself, with the checks of sigstore-tsa's
//! `verify_timestamp_for_authority` (read, not copied), each against one authority of the
//! trust root at a time (TOB-SIGSTORE-11: the time must be in the window of the authority that
//! signed it):
//!
//! 1. the token is a CMS `ContentInfo` (or a `TimeStampResp` wrapping one, status granted)
//!    holding `SignedData` whose eContentType is id-ct-TSTInfo; `TSTInfo` decodes (`tst_info`);
//! 2. `messageImprint` is SHA-256/384/512 of the timestamped signature's bytes;
//! 3. exactly one `SignerInfo` (RFC 3161 §2.4.2), identified (issuer and serial, or subject key
//!    identifier) as the authority's leaf certificate from the trust root. Certificates the
//!    token embeds are never used; each must be one of the authority's chain, byte for byte;
//! 4. signed attributes: `contentType` is id-ct-TSTInfo (RFC 5652 §11.1) and `messageDigest`
//!    is the hash of the eContent with the signer's digest algorithm (SHA-256/384/512);
//! 5. the signature over the DER of the signed attributes (as a SET OF) verifies with the
//!    leaf's key, ECDSA P-256 or P-384 (sigstore-tsa supports nothing else);
//! 6. the chain, leaf → intermediates → root of the trust root, holds at genTime (`chain`);
//! 7. genTime is inside the authority's `validFor` window.
//!
//! The nonce is not checked: the signer chose it, nobody here sent one.

mod chain;
mod gen_time;
mod in_bundle;
mod signer;
mod tst_info;

use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use sigstore_types::TsaAuthority;
use vouch_blob::{Digest, DigestAlgorithm};
use x509_cert::der::asn1::ObjectIdentifier;
use x509_cert::der::{Decode, Reader, SliceReader};

use signer::{Failure, verify_for_authority};

pub(crate) use gen_time::GenTime;
pub(crate) use in_bundle::Stamped;

const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");
const ID_CT_TST_INFO: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.9.16.1.4");

/// Why a token was refused; the detail of `Error::TimestampInvalid`.
pub(crate) type Refusal = String;

/// Verifies one RFC 3161 token over `signature` (the bytes the bundle's signature holds)
/// against the trust root's `authorities`; returns its genTime.
pub(crate) fn verify(
    token: &[u8],
    signature: &[u8],
    authorities: &[TsaAuthority],
) -> Result<GenTime, Refusal> {
    let content_info = content_info(token)?;
    if content_info.content_type != ID_SIGNED_DATA {
        return Err(format!(
            "the token's content type is {}, expected SignedData ({ID_SIGNED_DATA})",
            content_info.content_type
        ));
    }
    let signed_data: SignedData = content_info
        .content
        .decode_as()
        .map_err(|err| format!("the token's SignedData does not decode: {err}"))?;
    let encap = &signed_data.encap_content_info;
    if encap.econtent_type != ID_CT_TST_INFO {
        return Err(format!(
            "the token's eContentType is {}, expected id-ct-TSTInfo ({ID_CT_TST_INFO})",
            encap.econtent_type
        ));
    }
    let econtent = tst_info::octets(
        encap
            .econtent
            .as_ref()
            .ok_or("the token has no TSTInfo (eContent absent)")?,
    )?;
    let info = tst_info::decode(econtent)?;
    let imprint_digest = digest_algorithm(&info.imprint_algorithm, "messageImprint")?;
    let expected = Digest::of(imprint_digest, signature);
    if expected.as_bytes() != info.imprint {
        return Err(format!(
            "the token's message imprint ({imprint_digest}) is {}, expected {} (the signature's digest): it timestamps another signature",
            hex::encode(info.imprint),
            expected.to_hex()
        ));
    }
    let signer = match signed_data.signer_infos.0.as_slice() {
        [signer] => signer,
        others => {
            return Err(format!(
                "the token has {} signer infos, expected exactly one (RFC 3161 §2.4.2)",
                others.len()
            ));
        }
    };
    if authorities.is_empty() {
        return Err("the trust root has no timestamp authority (in force now)".to_owned());
    }
    let mut outside_window = None;
    let mut last = String::new();
    for authority in authorities {
        match verify_for_authority(&signed_data, signer, econtent, info.gen_time, authority) {
            Ok(()) => return Ok(info.gen_time),
            Err(Failure::OutsideWindow(why)) => outside_window = Some(why),
            Err(Failure::Other(why)) => last = why,
        }
    }
    // The authority that signed it, if any, says more than the others' "not my signer".
    Err(outside_window.unwrap_or(last))
}

/// Accepts a `TimeStampToken` (`ContentInfo`), as bundles carry it, or a whole
/// `TimeStampResp` with status granted (0) or grantedWithMods (1), as sigstore-tsa does.
fn content_info(token: &[u8]) -> Result<ContentInfo, Refusal> {
    if let Ok(info) = ContentInfo::from_der(token) {
        return Ok(info);
    }
    let response = |r: &mut SliceReader<'_>| -> x509_cert::der::Result<(u8, Option<ContentInfo>)> {
        r.sequence(|r| {
            let status = r.sequence(|r| {
                let status = u8::decode(r)?;
                // statusString and failInfo: read, not needed.
                while !r.is_finished() {
                    let _ = r.tlv_bytes()?;
                }
                Ok(status)
            })?;
            Ok((status, Option::<ContentInfo>::decode(r)?))
        })
    };
    let parsed = SliceReader::new(token).and_then(|mut r| {
        let value = response(&mut r)?;
        r.finish(value)
    });
    match parsed {
        Ok((0 | 1, Some(info))) => Ok(info),
        Ok((status, _)) => Err(format!(
            "the timestamp response has status {status} (0 or 1 is granted) or no token"
        )),
        Err(_) => ContentInfo::from_der(token)
            .map_err(|err| format!("the token is not a CMS ContentInfo: {err}")),
    }
}

fn digest_algorithm(oid: &ObjectIdentifier, what: &str) -> Result<DigestAlgorithm, Refusal> {
    match oid.to_string().as_str() {
        "2.16.840.1.101.3.4.2.1" => Ok(DigestAlgorithm::Sha256),
        "2.16.840.1.101.3.4.2.2" => Ok(DigestAlgorithm::Sha384),
        "2.16.840.1.101.3.4.2.3" => Ok(DigestAlgorithm::Sha512),
        other => Err(format!(
            "{what} is {other}, expected SHA-256, SHA-384 or SHA-512"
        )),
    }
}

#[cfg(test)]
mod tests;
