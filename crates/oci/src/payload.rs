//! What image signatures sign: the simple-signing payload of a legacy signature (cosign's
//! `SIGNATURE_SPEC.md`) and the in-toto statement in a Sigstore bundle's DSSE envelope
//! (`BUNDLE_SPEC.md`).
//!
//! Both parsers take any bytes and never panic. A payload two JSON readers could read
//! differently is refused rather than read one way here and another way elsewhere: a key twice
//! in any object (`vouch_sigstore::check_json`, which also bounds the memory the tree may
//! take), or two keys that Go's case-insensitive field matching reads as one.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value whose objects keep every key, in order, duplicates included.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Self>),
    Object(Vec<(String, Self)>),
}

/// The most memory the tree of a payload may take: a simple-signing payload or an in-toto
/// statement of an image signature is well under a KiB of JSON.
const MAX_PAYLOAD_COST: u64 = vouch_sigstore::MAX_STATEMENT_COST;

impl Json {
    /// Parses `bytes` as one JSON document (serde_json's grammar and nesting limit) in which no
    /// object has a key twice, and whose tree costs at most [`MAX_PAYLOAD_COST`].
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        vouch_sigstore::check_json(bytes, MAX_PAYLOAD_COST).map_err(|err| err.to_string())?;
        serde_json::from_slice(bytes).map_err(|err| format!("not JSON: {err}"))
    }

    /// As [`Self::parse`] for a JSON object, with the values of the keys in `skipped` read as
    /// `null` without being built: an in-toto predicate is not read, and may be large.
    fn parse_object_skipping(
        bytes: &[u8],
        skipped: &'static [&'static str],
    ) -> Result<Self, String> {
        vouch_sigstore::check_json(bytes, MAX_PAYLOAD_COST).map_err(|err| err.to_string())?;
        let mut deserializer = serde_json::Deserializer::from_slice(bytes);
        let value = de::DeserializeSeed::deserialize(Skipping(skipped), &mut deserializer)
            .and_then(|value| deserializer.end().map(|()| value))
            .map_err(|err| format!("not JSON: {err}"))?;
        Ok(value)
    }

    fn kind(&self) -> &'static str {
        match self {
            Self::Null => "null",
            Self::Bool(_) => "a boolean",
            Self::Number(_) => "a number",
            Self::String(_) => "a string",
            Self::Array(_) => "an array",
            Self::Object(_) => "an object",
        }
    }

    /// The same value as serde_json's (for a duplicated key, the last one wins, as in Go).
    pub(crate) fn to_value(&self) -> serde_json::Value {
        match self {
            Self::Null => serde_json::Value::Null,
            Self::Bool(b) => serde_json::Value::Bool(*b),
            Self::Number(n) => serde_json::Value::Number(n.clone()),
            Self::String(s) => serde_json::Value::String(s.clone()),
            Self::Array(items) => {
                serde_json::Value::Array(items.iter().map(Self::to_value).collect())
            }
            Self::Object(entries) => serde_json::Value::Object(to_map(entries)),
        }
    }
}

/// An object's entries as a map (for a duplicated key, the last one wins).
pub(crate) fn to_map(entries: &[(String, Json)]) -> serde_json::Map<String, serde_json::Value> {
    entries
        .iter()
        .map(|(key, value)| (key.clone(), value.to_value()))
        .collect()
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("a number JSON cannot hold"))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

/// A top-level value whose object entries under the given keys are not built.
struct Skipping(&'static [&'static str]);

impl<'de> de::DeserializeSeed<'de> for Skipping {
    type Value = Json;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Skipping {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Json, E> {
        JsonVisitor.visit_i64(v)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Json, E> {
        JsonVisitor.visit_u64(v)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        JsonVisitor.visit_f64(v)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Json, A::Error> {
        JsonVisitor.visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = if self.0.contains(&key.as_str()) {
                map.next_value::<de::IgnoredAny>()?;
                Json::Null
            } else {
                map.next_value::<Json>()?
            };
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

/// How object keys are matched to field names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keys {
    /// As Go's `encoding/json` matches struct fields: ignoring case, where `ſ` (U+017F) folds
    /// to `s` and the Kelvin sign (U+212A) to `k`.
    GoFold,
    /// Byte for byte (in-toto statements, read by serde in sigstore-verify).
    Exact,
}

/// Whether `key` names the field `name` (ASCII lower case, digits, `-`, `_`).
fn key_matches(key: &str, name: &str, keys: Keys) -> bool {
    if keys == Keys::Exact {
        return key == name;
    }
    let mut key_chars = key.chars();
    for n in name.chars() {
        let Some(k) = key_chars.next() else {
            return false;
        };
        let same = k.to_ascii_lowercase() == n
            || (n == 's' && k == '\u{17F}')
            || (n == 'k' && k == '\u{212A}');
        if !same {
            return false;
        }
    }
    key_chars.next().is_none()
}

/// The value of field `name` in `object`, `None` if absent (or null, which Go treats alike).
/// A field present more than once (exactly, or under keys that fold to the same name) is
/// refused: Go would take the last, another reader the first.
fn field<'a>(
    object: &'a [(String, Json)],
    name: &str,
    keys: Keys,
    path: &str,
) -> Result<Option<&'a Json>, String> {
    let mut found = object
        .iter()
        .filter(|(key, _)| key_matches(key, name, keys));
    let first = found.next();
    if found.next().is_some() {
        return Err(format!("`{path}{name}` appears more than once"));
    }
    Ok(first.map(|(_, value)| value).filter(|v| **v != Json::Null))
}

fn object_field<'a>(
    object: &'a [(String, Json)],
    name: &str,
    keys: Keys,
    path: &str,
) -> Result<Option<&'a [(String, Json)]>, String> {
    match field(object, name, keys, path)? {
        None => Ok(None),
        Some(Json::Object(entries)) => Ok(Some(entries)),
        Some(other) => Err(format!("`{path}{name}` is {}, not an object", other.kind())),
    }
}

fn string_field<'a>(
    object: &'a [(String, Json)],
    name: &str,
    keys: Keys,
    path: &str,
) -> Result<Option<&'a str>, String> {
    match field(object, name, keys, path)? {
        None => Ok(None),
        Some(Json::String(s)) => Ok(Some(s)),
        Some(other) => Err(format!("`{path}{name}` is {}, not a string", other.kind())),
    }
}

/// Whether every wanted annotation is, as a JSON string, the value of its key in `have`: the
/// check of cosign's `correctAnnotations` (Go `!=` on `interface{}`, so only string values
/// can match). A key present twice does not match.
pub(crate) fn annotations_match(
    wanted: &[(String, String)],
    have: Option<&[(String, Json)]>,
) -> bool {
    wanted.iter().all(|(key, value)| {
        let mut found = have
            .unwrap_or_default()
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v);
        matches!((found.next(), found.next()), (Some(Json::String(s)), None) if s == value)
    })
}

/// A simple-signing payload: `{"critical": {"identity": {"docker-reference"}, "image":
/// {"docker-manifest-digest"}, "type"}, "optional": {…}}`, read as cosign reads it (Go's
/// `encoding/json` into `payload.SimpleContainerImage`): struct field names ignore case,
/// unknown keys are ignored, a known field of the wrong JSON type is an error, and
/// `optional`'s keys are exact (a Go map).
#[derive(Debug, Clone)]
pub(crate) struct SimpleSigning {
    /// `critical.image.docker-manifest-digest`, as written.
    pub(crate) manifest_digest: String,
    /// `critical.identity.docker-reference`.
    pub(crate) docker_reference: Option<String>,
    /// `critical.type` (recorded, not checked, as by cosign).
    pub(crate) critical_type: Option<String>,
    /// `optional`: the signer's `-a` annotations and whatever else the signing tool added.
    pub(crate) optional: Option<Vec<(String, Json)>>,
}

impl SimpleSigning {
    /// Parses a payload blob.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        let go = Keys::GoFold;
        let Json::Object(top) = Json::parse(bytes)? else {
            return Err("the payload is not a JSON object".to_owned());
        };
        let critical = object_field(&top, "critical", go, "")?.unwrap_or_default();
        let identity = object_field(critical, "identity", go, "critical.")?.unwrap_or_default();
        let image = object_field(critical, "image", go, "critical.")?.unwrap_or_default();
        let docker_reference =
            string_field(identity, "docker-reference", go, "critical.identity.")?;
        let manifest_digest = string_field(image, "docker-manifest-digest", go, "critical.image.")?
            .filter(|d| !d.is_empty())
            .ok_or("the payload has no `critical.image.docker-manifest-digest`")?;
        let critical_type = string_field(critical, "type", go, "critical.")?;
        let optional = object_field(&top, "optional", go, "")?;
        Ok(Self {
            manifest_digest: manifest_digest.to_owned(),
            docker_reference: docker_reference.map(str::to_owned),
            critical_type: critical_type.map(str::to_owned),
            optional: optional.map(<[_]>::to_vec),
        })
    }
}

/// The in-toto statement `_type`s accepted.
pub(crate) const STATEMENT_TYPES: [&str; 2] = [
    "https://in-toto.io/Statement/v1",
    "https://in-toto.io/Statement/v0.1",
];

/// An in-toto statement (`_type`, `subject`, `predicateType`; the predicate is not read).
#[derive(Debug, Clone)]
pub(crate) struct Statement {
    /// `predicateType`.
    pub(crate) predicate_type: String,
    /// `subject`, in order.
    pub(crate) subjects: Vec<Subject>,
}

/// One `subject` of a statement.
#[derive(Debug, Clone)]
pub(crate) struct Subject {
    /// `digest`: algorithm name (`sha256`) and hex value, as written.
    pub(crate) digests: Vec<(String, String)>,
    /// `annotations` (cosign v3 puts the signer's `-a` annotations here).
    pub(crate) annotations: Option<Vec<(String, Json)>>,
}

impl Subject {
    /// The digest this subject records for `algorithm` (`sha256`), if exactly one.
    pub(crate) fn digest(&self, algorithm: &str) -> Option<&str> {
        let mut found = self.digests.iter().filter(|(a, _)| a == algorithm);
        match (found.next(), found.next()) {
            (Some((_, hex)), None) => Some(hex),
            _ => None,
        }
    }
}

impl Statement {
    /// Parses a DSSE payload. Keys are exact (as serde reads them in sigstore-verify). The
    /// predicate is checked (no duplicate key, bounded cost) but not built: it is not read.
    pub(crate) fn parse(bytes: &[u8]) -> Result<Self, String> {
        let exact = Keys::Exact;
        let Json::Object(top) = Json::parse_object_skipping(bytes, &["predicate"])? else {
            return Err("the in-toto statement is not a JSON object".to_owned());
        };
        let statement_type = string_field(&top, "_type", exact, "")?
            .ok_or("the in-toto statement has no `_type`")?;
        if !STATEMENT_TYPES.contains(&statement_type) {
            return Err(format!(
                "`_type` is `{}`, not an in-toto statement (`{}`)",
                truncate(statement_type),
                STATEMENT_TYPES.join("` or `")
            ));
        }
        let predicate_type = string_field(&top, "predicateType", exact, "")?
            .ok_or("the in-toto statement has no `predicateType`")?;
        let subjects = match field(&top, "subject", exact, "")? {
            Some(Json::Array(items)) if !items.is_empty() => items,
            Some(Json::Array(_)) | None => {
                return Err("the in-toto statement has no subject".to_owned());
            }
            Some(other) => return Err(format!("`subject` is {}, not an array", other.kind())),
        };
        let subjects = subjects
            .iter()
            .enumerate()
            .map(|(i, subject)| {
                let path = format!("subject[{i}].");
                let Json::Object(subject) = subject else {
                    return Err(format!(
                        "`subject[{i}]` is {}, not an object",
                        subject.kind()
                    ));
                };
                let digests = object_field(subject, "digest", exact, &path)?
                    .unwrap_or_default()
                    .iter()
                    .map(|(algorithm, value)| match value {
                        Json::String(hex) => Ok((algorithm.clone(), hex.clone())),
                        other => Err(format!(
                            "`{path}digest.{algorithm}` is {}, not a string",
                            other.kind()
                        )),
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let annotations =
                    object_field(subject, "annotations", exact, &path)?.map(<[_]>::to_vec);
                Ok(Subject {
                    digests,
                    annotations,
                })
            })
            .collect::<Result<Vec<_>, String>>()?;
        Ok(Self {
            predicate_type: predicate_type.to_owned(),
            subjects,
        })
    }
}

/// At most 200 characters of text from a payload, for messages.
pub(crate) fn truncate(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic, reason = "tests")]

    use super::*;

    const DIGEST: &str = "sha256:634a8f35b5f16dcf4aaa0822adc0b1964bb786fca12f6831de8ddc45e5986a00";

    #[test]
    fn reads_cosign_payloads() {
        let payload = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"example.com/app"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image signature"}},"optional":null}}"#
        );
        let parsed = SimpleSigning::parse(payload.as_bytes()).unwrap();
        assert_eq!(parsed.manifest_digest, DIGEST);
        assert_eq!(parsed.docker_reference.as_deref(), Some("example.com/app"));
        assert_eq!(
            parsed.critical_type.as_deref(),
            Some("cosign container image signature")
        );
        assert!(parsed.optional.is_none());
    }

    #[test]
    fn struct_keys_ignore_case_as_in_go_but_optional_keys_do_not() {
        let payload = format!(
            r#"{{"Critical":{{"Image":{{"Docker-manifest-digest":"{DIGEST}"}},"IDENTITY":{{"docker-REFERENCE":"x"}}}},"Optional":{{"Team":"a"}}}}"#
        );
        let parsed = SimpleSigning::parse(payload.as_bytes()).unwrap();
        assert_eq!(parsed.manifest_digest, DIGEST);
        assert_eq!(parsed.docker_reference.as_deref(), Some("x"));
        let wanted = |k: &str| vec![(k.to_owned(), "a".to_owned())];
        assert!(annotations_match(
            &wanted("Team"),
            parsed.optional.as_deref()
        ));
        assert!(!annotations_match(
            &wanted("team"),
            parsed.optional.as_deref()
        ));
        // Go folds the long s and the Kelvin sign too.
        let folded = format!(
            r#"{{"critical":{{"image":{{"doc\u212Aer-manifest-digest":"{DIGEST}"}}}},"optional":null}}"#
        );
        let folded = folded.replace("\\u212A", "\u{212A}");
        assert_eq!(
            SimpleSigning::parse(folded.as_bytes())
                .unwrap()
                .manifest_digest,
            DIGEST
        );
    }

    #[test]
    fn ambiguous_or_mistyped_fields_are_refused() {
        for payload in [
            format!(
                r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}","Docker-Manifest-Digest":"sha256:00"}}}}}}"#
            ),
            format!(
                r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}"}}}},"Critical":{{}}}}"#
            ),
            format!(
                r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":7}}}}"#
            ),
            format!(
                r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}"}}}},"optional":[]}}"#
            ),
            r#"{"critical":{"image":{"docker-manifest-digest":7}}}"#.to_owned(),
            r#"{"critical":{"image":{}}}"#.to_owned(),
            r#"{"critical":[]}"#.to_owned(),
            "null".to_owned(),
            "[]".to_owned(),
        ] {
            assert!(
                SimpleSigning::parse(payload.as_bytes()).is_err(),
                "{payload}"
            );
        }
    }

    #[test]
    fn annotations_must_be_strings_and_present_once() {
        let parsed = |optional: &str| {
            let payload = format!(
                r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}"}}}},"optional":{optional}}}"#
            );
            SimpleSigning::parse(payload.as_bytes()).unwrap().optional
        };
        let wanted = vec![("n".to_owned(), "1".to_owned())];
        assert!(annotations_match(
            &wanted,
            parsed(r#"{"n":"1"}"#).as_deref()
        ));
        assert!(!annotations_match(&wanted, parsed(r#"{"n":1}"#).as_deref()));
        assert!(!annotations_match(
            &wanted,
            parsed(r#"{"m":"1"}"#).as_deref()
        ));
        assert!(!annotations_match(&wanted, parsed("null").as_deref()));
        assert!(annotations_match(&[], parsed("null").as_deref()));
    }

    #[test]
    fn duplicate_keys_anywhere_are_refused_naming_the_key() {
        let twice = format!(
            r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}"}}}},"optional":{{"env":"prod","env":"dev"}}}}"#
        );
        let err = SimpleSigning::parse(twice.as_bytes()).unwrap_err();
        assert!(err.contains("`env`") && err.contains("`optional`"), "{err}");
        // In a field vouch does not read, too: another reader may read it.
        let unread = format!(
            r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}"}}}},"x":{{"a":1,"a":2}}}}"#
        );
        assert!(
            SimpleSigning::parse(unread.as_bytes())
                .unwrap_err()
                .contains("`a`")
        );
        let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"ab","sha256":"cd"}}],"predicateType":"p"}"#;
        assert!(
            Statement::parse(statement)
                .unwrap_err()
                .contains("`sha256`")
        );
        let in_predicate = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"ab"}}],"predicateType":"p","predicate":{"k":1,"k":2}}"#;
        assert!(Statement::parse(in_predicate).unwrap_err().contains("`k`"));
    }

    #[test]
    fn payloads_that_would_take_too_much_memory_are_refused() {
        let dense = format!(
            r#"{{"critical":{{"image":{{"docker-manifest-digest":"{DIGEST}"}}}},"x":[{}]}}"#,
            vec![r#"{"a":0}"#; 200_000].join(",")
        );
        let err = SimpleSigning::parse(dense.as_bytes()).unwrap_err();
        assert!(err.contains("memory"), "{err}");
    }

    #[test]
    fn reads_in_toto_statements() {
        let statement = br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":"ab"},"annotations":{"k":"v"}}],"predicateType":"https://sigstore.dev/cosign/sign/v1","predicate":{}}"#;
        let parsed = Statement::parse(statement).unwrap();
        assert_eq!(parsed.predicate_type, "https://sigstore.dev/cosign/sign/v1");
        assert_eq!(parsed.subjects.len(), 1);
        assert_eq!(parsed.subjects[0].digest("sha256"), Some("ab"));
        assert!(annotations_match(
            &[("k".to_owned(), "v".to_owned())],
            parsed.subjects[0].annotations.as_deref()
        ));
        for bad in [
            &br#"{"_type":"x","subject":[{"digest":{"sha256":"ab"}}],"predicateType":"p"}"#[..],
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[],"predicateType":"p"}"#,
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":1}}],"predicateType":"p"}"#,
            br#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{}}]}"#,
            br#"{"_type":"https://in-toto.io/Statement/v1","_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{}}],"predicateType":"p"}"#,
        ] {
            assert!(Statement::parse(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn any_bytes_parse_without_panicking() {
        let seed = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"r"}},"image":{{"docker-manifest-digest":"{DIGEST}"}},"type":"t"}},"optional":{{"a":"b"}},"_type":"https://in-toto.io/Statement/v1","subject":[{{"digest":{{"sha256":"ab"}}}}],"predicateType":"p"}}"#
        );
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for _ in 0..2000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let mut bytes = seed.clone().into_bytes();
            let at = usize::try_from(state % bytes.len() as u64).unwrap();
            bytes[at] ^= 1 << (state % 8);
            let _ = SimpleSigning::parse(&bytes);
            let _ = Statement::parse(&bytes);
            let _ = SimpleSigning::parse(&bytes[..at]);
            let _ = Statement::parse(&bytes[at..]);
        }
        let deep = "[".repeat(100_000);
        assert!(SimpleSigning::parse(deep.as_bytes()).is_err());
        assert!(Statement::parse(deep.as_bytes()).is_err());
    }
}
