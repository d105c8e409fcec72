//! Writing Sigstore bundles: a key-signed message signature as a v0.3 bundle, what
//! `cosign sign-blob --key --bundle --tlog-upload=false` writes.
//!
//! The JSON is the protobuf-specs JSON mapping (`mediaType`, `verificationMaterial.publicKey.hint`,
//! `messageSignature.messageDigest{algorithm, digest}`, `messageSignature.signature`, bytes in
//! standard base64). It is built with `serde_json` rather than sigstore-types' structs so that
//! writing cannot fail; the tests read every bundle back with sigstore-types and verify it, and
//! the CLI tests have sigstore-js (`@sigstore/verify`) verify it.

use base64::Engine as _;
use serde_json::json;
use vouch_blob::{Digest, DigestAlgorithm};
use vouch_keys::PublicKey;

/// The v0.3 media type (`application/vnd.dev.sigstore.bundle.v0.3+json`), as cosign v3 writes it.
pub const BUNDLE_V03_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// A Sigstore bundle v0.3 for a signature made with `public_key`'s private key over a message
/// whose digest is `digest`.
///
/// The bundle names the key by its hint, the standard base64 of the SHA-256 of its DER
/// `SubjectPublicKeyInfo` (as cosign and sigstore-go write it; verifiers look the key up by it
/// and are given the key itself out of band). `signature` is stored as given: ASN.1 DER for
/// ECDSA, the raw 64 bytes for Ed25519, PKCS#1 v1.5 for RSA. The bundle has no
/// transparency-log entry and no timestamp, so verifiers accept it only when told to skip the
/// log (`vouch verify-blob --insecure-ignore-tlog`, `cosign verify-blob --insecure-ignore-tlog`,
/// `@sigstore/verify` with `tlogThreshold: 0, timestampThreshold: 0`).
///
/// For Ed25519, whose signature covers the message itself, `digest` is still recorded as the
/// bundle's `messageDigest`, which the format requires.
///
/// Returns pretty-printed JSON with a final newline.
///
/// ```
/// use vouch_blob::{Digest, DigestAlgorithm};
///
/// let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../testdata/generated/p256-der");
/// let key = vouch_keys::PublicKey::from_bytes(&std::fs::read(format!("{dir}/key.pub"))?)?;
/// let message = std::fs::read(format!("{dir}/artifact"))?;
/// let signature = std::fs::read(format!("{dir}/artifact.sig"))?;
/// let digest = Digest::of(DigestAlgorithm::Sha256, &message);
///
/// let json = vouch_sigstore::key_bundle_v03(&key, &digest, &signature);
/// let bundle = vouch_sigstore::Bundle::from_json(json.as_bytes())?;
/// assert_eq!(bundle.version(), Some((0, 3)));
/// assert_eq!(bundle.tlog_entry_count(), 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use]
pub fn key_bundle_v03(public_key: &PublicKey, digest: &Digest, signature: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let bundle = json!({
        "mediaType": BUNDLE_V03_MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": { "hint": public_key.fingerprint().to_base64() },
            "tlogEntries": [],
        },
        "messageSignature": {
            "messageDigest": {
                "algorithm": hash_algorithm(digest.algorithm()),
                "digest": b64.encode(digest.as_bytes()),
            },
            "signature": b64.encode(signature),
        },
    });
    format!("{bundle:#}\n")
}

/// The bytes a DSSE signature covers (the "pre-authentication encoding" of the DSSE spec:
/// `DSSEv1 <len> <payloadType> <len> <payload>`), for [`key_dsse_bundle_v03`].
#[must_use]
pub fn dsse_pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    sigstore_types::dsse::pae(payload_type, payload)
}

/// A Sigstore bundle v0.3 holding a DSSE envelope: `payload` of `payload_type`, signed with
/// `public_key`'s private key over [`dsse_pae`]`(payload_type, payload)`. What
/// `cosign sign --key --tlog-upload=false` attaches to an image in cosign v3 (the payload
/// is an in-toto statement). Like [`key_bundle_v03`], no log entry and no timestamp.
///
/// Returns compact JSON (it is stored as a registry blob, not read by people).
#[must_use]
pub fn key_dsse_bundle_v03(
    public_key: &PublicKey,
    payload_type: &str,
    payload: &[u8],
    signature: &[u8],
) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    json!({
        "mediaType": BUNDLE_V03_MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": { "hint": public_key.fingerprint().to_base64() },
            "tlogEntries": [],
        },
        "dsseEnvelope": {
            "payload": b64.encode(payload),
            "payloadType": payload_type,
            "signatures": [{ "sig": b64.encode(signature), "keyid": "" }],
        },
    })
    .to_string()
}

/// The protobuf-specs `HashAlgorithm` name.
fn hash_algorithm(algorithm: DigestAlgorithm) -> &'static str {
    match algorithm {
        DigestAlgorithm::Sha256 => "SHA2_256",
        DigestAlgorithm::Sha384 => "SHA2_384",
        DigestAlgorithm::Sha512 => "SHA2_512",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p256_fixture() -> (PublicKey, Vec<u8>, Vec<u8>) {
        let case = vouch_testdata::root().join("generated/p256-der");
        let key = PublicKey::from_bytes(&std::fs::read(case.join("key.pub")).unwrap()).unwrap();
        let message = std::fs::read(case.join("artifact")).unwrap();
        let signature = std::fs::read(case.join("artifact.sig")).unwrap();
        (key, message, signature)
    }

    #[test]
    fn bundle_has_the_protobuf_json_field_names_and_values() {
        let (key, message, signature) = p256_fixture();
        let digest = Digest::of(DigestAlgorithm::Sha256, &message);
        let json: serde_json::Value =
            serde_json::from_str(&key_bundle_v03(&key, &digest, &signature)).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD;
        assert_eq!(json["mediaType"], BUNDLE_V03_MEDIA_TYPE);
        assert_eq!(
            json["verificationMaterial"]["publicKey"]["hint"],
            b64.encode(key.fingerprint().as_bytes())
        );
        assert_eq!(json["verificationMaterial"]["tlogEntries"], json!([]));
        let message_signature = &json["messageSignature"];
        assert_eq!(message_signature["messageDigest"]["algorithm"], "SHA2_256");
        assert_eq!(
            message_signature["messageDigest"]["digest"],
            b64.encode(digest.as_bytes())
        );
        assert_eq!(message_signature["signature"], b64.encode(&signature));
        assert_eq!(json.as_object().unwrap().len(), 3, "{json:#}");
    }

    #[test]
    fn sigstore_types_reads_what_is_written() {
        let (key, message, signature) = p256_fixture();
        for algorithm in DigestAlgorithm::ALL {
            let digest = Digest::of(algorithm, &message);
            let json = key_bundle_v03(&key, &digest, &signature);
            let parsed = sigstore_types::Bundle::from_json(&json).unwrap();
            assert_eq!(parsed.media_type(), sigstore_types::MediaType::Bundle0_3);
            let sigstore_types::SignatureContent::MessageSignature(content) = &parsed.content
            else {
                panic!("not a message signature: {json}");
            };
            let claimed = content.message_digest.as_ref().unwrap();
            assert_eq!(claimed.algorithm.to_string(), hash_algorithm(algorithm));
            assert_eq!(claimed.digest.as_bytes(), digest.as_bytes());
            assert_eq!(content.signature.as_bytes(), signature.as_slice());
        }
    }

    #[test]
    fn dsse_bundle_verifies_over_its_statement_and_nothing_else() {
        let private = std::fs::read(
            vouch_testdata::root().join("generated/keys/private-pkcs8.test-only.pem"),
        )
        .unwrap();
        let key = vouch_keys::PrivateKey::from_bytes(&private, None).unwrap();
        let public = key.public_key();
        let digest = Digest::of(DigestAlgorithm::Sha256, b"image manifest");
        let statement = format!(
            r#"{{"_type":"https://in-toto.io/Statement/v1","subject":[{{"name":"r","digest":{{"sha256":"{}"}}}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{{}}}}"#,
            digest
                .as_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        );
        let payload_type = "application/vnd.in-toto+json";
        let pae = dsse_pae(payload_type, statement.as_bytes());
        let signed = vouch_blob::sign(
            &key,
            &pae,
            DigestAlgorithm::Sha256,
            &mut vouch_keys::rand_core::UnwrapErr(getrandom::SysRng),
        )
        .unwrap();
        let json = key_dsse_bundle_v03(
            &public,
            payload_type,
            statement.as_bytes(),
            signed.signature(),
        );
        let bundle = crate::Bundle::from_json(json.as_bytes()).unwrap();
        let verifier = crate::Verifier::new(&crate::TrustRoot::production().unwrap()).unwrap();
        let policy = crate::Policy::key(public.clone()).insecure_ignore_tlog();
        let verified = verifier.verify_digest(&digest, &bundle, &policy).unwrap();
        assert_eq!(verified.key_fingerprint(), Some(public.fingerprint()));
        let other = Digest::of(DigestAlgorithm::Sha256, b"another manifest");
        assert!(verifier.verify_digest(&other, &bundle, &policy).is_err());
    }

    #[test]
    fn written_bundle_verifies_with_the_key_when_the_log_is_skipped() {
        let (key, message, signature) = p256_fixture();
        let digest = Digest::of(DigestAlgorithm::Sha256, &message);
        let bundle =
            crate::Bundle::from_json(key_bundle_v03(&key, &digest, &signature).as_bytes()).unwrap();
        assert!(!bundle.has_certificate());
        let verifier = crate::Verifier::new(&crate::TrustRoot::production().unwrap()).unwrap();
        let policy = crate::Policy::key(key.clone()).insecure_ignore_tlog();
        let verified = verifier
            .verify_reader(message.as_slice(), &bundle, &policy)
            .unwrap();
        assert_eq!(verified.key_fingerprint(), Some(key.fingerprint()));
        assert!(!verified.tlog_verified());
        // Without the flag, the missing log entry is the answer.
        let strict = crate::Policy::key(key);
        assert!(matches!(
            verifier.verify_reader(message.as_slice(), &bundle, &strict),
            Err(crate::Error::LogEntryMissing)
        ));
        // Another message is refused.
        let err = verifier
            .verify_reader(&b"another message"[..], &bundle, &policy)
            .unwrap_err();
        assert!(err.is_verdict(), "{err}");
    }
}
