//! `TSTInfo` (RFC 3161 §2.4.2), decoded by hand with `der` 0.7 so that `genTime` can be taken
//! as raw bytes (see `gen_time`). Every other field is decoded as RFC 3161 defines it, and the
//! whole value must be DER with nothing left over.
//!
//! ```text
//! TSTInfo ::= SEQUENCE {
//!    version        INTEGER { v1(1) },
//!    policy         TSAPolicyId,
//!    messageImprint MessageImprint,        -- SEQUENCE { AlgorithmIdentifier, OCTET STRING }
//!    serialNumber   INTEGER,
//!    genTime        GeneralizedTime,
//!    accuracy       Accuracy               OPTIONAL,
//!    ordering       BOOLEAN                DEFAULT FALSE,
//!    nonce          INTEGER                OPTIONAL,
//!    tsa            [0] GeneralName        OPTIONAL,
//!    extensions     [1] IMPLICIT Extensions OPTIONAL }
//! ```

use x509_cert::der::asn1::{AnyRef, ContextSpecific, IntRef, ObjectIdentifier, OctetStringRef};
use x509_cert::der::{Decode, Header, Reader, SliceReader, Tag, TagNumber};
use x509_cert::ext::Extension;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::spki::AlgorithmIdentifierRef;

use super::gen_time::{self, GenTime};

/// The fields of a `TSTInfo` that verification uses.
#[derive(Debug)]
pub(crate) struct TstInfo<'a> {
    /// `messageImprint.hashAlgorithm.algorithm`.
    pub(crate) imprint_algorithm: ObjectIdentifier,
    /// `messageImprint.hashedMessage`.
    pub(crate) imprint: &'a [u8],
    /// `genTime`.
    pub(crate) gen_time: GenTime,
}

/// Decodes a DER `TSTInfo`.
pub(crate) fn decode(der: &[u8]) -> Result<TstInfo<'_>, String> {
    let mut reader = SliceReader::new(der).map_err(|err| format!("TSTInfo: {err}"))?;
    let info = reader
        .sequence(decode_fields)
        .map_err(|err| format!("TSTInfo is not DER as RFC 3161 defines it: {err}"))?;
    reader
        .finish(info)
        .map_err(|err| format!("TSTInfo: {err}"))?
}

type Fields<'a> = Result<TstInfo<'a>, String>;

fn decode_fields<'a, R: Reader<'a>>(r: &mut R) -> x509_cert::der::Result<Fields<'a>> {
    let version = u8::decode(r)?;
    let _policy = ObjectIdentifier::decode(r)?;
    let (imprint_algorithm, imprint) = r.sequence(|r| {
        let algorithm = AlgorithmIdentifierRef::decode(r)?;
        let hashed = OctetStringRef::decode(r)?;
        Ok((algorithm.oid, hashed.as_bytes()))
    })?;
    let _serial = IntRef::decode(r)?;
    let gen_time = {
        let header = Header::decode(r)?;
        header.tag.assert_eq(Tag::GeneralizedTime)?;
        r.read_slice(header.length)?
    };
    if r.peek_tag().ok() == Some(Tag::Sequence) {
        decode_accuracy(r)?;
    }
    let _ordering = Option::<bool>::decode(r)?;
    let _nonce = Option::<IntRef<'a>>::decode(r)?;
    let _tsa = ContextSpecific::<GeneralName>::decode_explicit(r, TagNumber::N0)?;
    let extensions = ContextSpecific::<Vec<Extension>>::decode_implicit(r, TagNumber::N1)?;
    // Checked after the structure, so a malformed token reports its DER error first.
    Ok((|| {
        if version != 1 {
            return Err(format!("TSTInfo version is {version}, expected 1"));
        }
        if let Some(critical) = extensions
            .iter()
            .flat_map(|e| e.value.iter())
            .find(|e| e.critical)
        {
            // None is defined for TSTInfo; a critical one we do not know must not be ignored.
            return Err(format!(
                "TSTInfo has a critical extension {}, which vouch does not know",
                critical.extn_id
            ));
        }
        Ok(TstInfo {
            imprint_algorithm,
            imprint,
            gen_time: gen_time::parse(gen_time)?,
        })
    })())
}

/// `Accuracy ::= SEQUENCE { seconds INTEGER OPTIONAL, millis [0] INTEGER (1..999) OPTIONAL,
/// micros [1] INTEGER (1..999) OPTIONAL }`: decoded for well-formedness, not used (a verified
/// time is genTime itself, as in sigstore-tsa).
fn decode_accuracy<'a, R: Reader<'a>>(r: &mut R) -> x509_cert::der::Result<()> {
    r.sequence(|r| {
        let _seconds = Option::<IntRef<'a>>::decode(r)?;
        let _millis = ContextSpecific::<IntRef<'a>>::decode_implicit(r, TagNumber::N0)?;
        let _micros = ContextSpecific::<IntRef<'a>>::decode_implicit(r, TagNumber::N1)?;
        Ok(())
    })
}

/// The DER of `value`'s contents if it is an OCTET STRING (the eContent of the token).
pub(crate) fn octets<'a>(value: &'a x509_cert::der::Any) -> Result<&'a [u8], String> {
    AnyRef::from(value)
        .decode_as::<OctetStringRef<'a>>()
        .map(|octets| octets.as_bytes())
        .map_err(|err| format!("eContent is not an OCTET STRING: {err}"))
}
