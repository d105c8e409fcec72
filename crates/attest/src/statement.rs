//! in-toto statements (v0.1 and v1), read from a DSSE payload that may not be signed yet.
//!
//! Read strictly: a key twice in any object is refused, and so is a key that Go's
//! case-insensitive field matching (cosign, in-toto-golang) reads as one of the statement's own
//! (`PredicateType` beside `predicateType`), so no two readers can see different statements in
//! the same bytes. Unknown fields are ignored, as the specification requires. The statement's
//! parts are kept as their JSON text, not as a tree: a large SBOM predicate costs its size, and
//! a tree ([`Statement::as_value`], for policies) is built only when asked for, bounded
//! ([`vouch_sigstore::MAX_STATEMENT_COST`] or the caller's limit).

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{Map, Value};

/// The `_type`s of an in-toto statement.
pub const STATEMENT_TYPES: [&str; 2] = [
    "https://in-toto.io/Statement/v1",
    "https://in-toto.io/Statement/v0.1",
];

/// The digest algorithms a subject may be matched on; others are ignored, as the in-toto
/// digest-set rules allow.
const MATCHED_ALGORITHMS: [&str; 2] = ["sha256", "sha512"];

/// A parsed in-toto statement.
#[derive(Debug, Clone)]
pub struct Statement {
    statement_type: String,
    predicate_type: String,
    subjects: Vec<Subject>,
    /// Every top-level field, as written (duplicates were refused before).
    fields: BTreeMap<String, Box<RawValue>>,
}

/// One `subject` of a statement.
#[derive(Debug, Clone)]
pub struct Subject {
    name: Option<String>,
    digests: Vec<(String, String)>,
    annotations: Option<Map<String, Value>>,
}

impl Subject {
    /// `name`, as written (not trusted: only digests are matched).
    #[must_use]
    pub fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    /// `digest`: algorithm and lowercase hex value, in order.
    #[must_use]
    pub fn digests(&self) -> &[(String, String)] {
        &self.digests
    }
    /// `annotations`, if any.
    #[must_use]
    pub fn annotations(&self) -> Option<&Map<String, Value>> {
        self.annotations.as_ref()
    }
    /// Whether this subject records `digest` (sha256 or sha512).
    #[must_use]
    pub fn names_digest(&self, digest: &vouch_blob::Digest) -> bool {
        let algorithm = algorithm_name(digest.algorithm());
        let hex = digest.to_hex();
        self.digests
            .iter()
            .any(|(a, h)| a == algorithm && *h == hex)
    }
}

/// The in-toto name of a digest algorithm.
pub(crate) fn algorithm_name(algorithm: vouch_blob::DigestAlgorithm) -> &'static str {
    match algorithm {
        vouch_blob::DigestAlgorithm::Sha256 => "sha256",
        vouch_blob::DigestAlgorithm::Sha384 => "sha384",
        vouch_blob::DigestAlgorithm::Sha512 => "sha512",
    }
}

/// Why a payload is not an in-toto statement vouch reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StatementError(String);

impl Statement {
    /// Parses a DSSE payload as an in-toto statement.
    ///
    /// # Errors
    ///
    /// [`StatementError`] saying what is wrong: not JSON, a duplicate or ambiguous key, too
    /// costly to hold, another `_type`, no `predicateType`, no subject with a digest.
    pub fn parse(bytes: &[u8]) -> Result<Self, StatementError> {
        Self::parse_with_cost(bytes, vouch_sigstore::MAX_STATEMENT_COST)
    }

    /// [`Statement::parse`], holding a tree of at most `max_cost` bytes of memory
    /// ([`vouch_sigstore::json_cost`]).
    ///
    /// # Errors
    ///
    /// As [`Statement::parse`].
    pub fn parse_with_cost(bytes: &[u8], max_cost: u64) -> Result<Self, StatementError> {
        check(bytes, max_cost)?;
        Parts::split(bytes)?.into_statement()
    }

    fn from_parts(parts: Parts<'_>) -> Result<Self, StatementError> {
        let err = |text: String| StatementError(text);
        let fields = parts.fields;
        refuse_case_variants(
            fields.keys(),
            &["_type", "subject", "predicateType", "predicate"],
            "",
        )?;
        // The small parts as trees; the predicate stays text.
        let small = |key: &str| -> Result<Option<Value>, StatementError> {
            fields
                .get(key)
                .map(|raw| serde_json::from_str(raw.get()))
                .transpose()
                .map_err(|e| err(format!("`{key}`: {e}")))
        };
        let top: Map<String, Value> = ["_type", "predicateType", "subject"]
            .into_iter()
            .filter_map(|key| Some(small(key).transpose()?.map(|v| (key.to_owned(), v))))
            .collect::<Result<_, _>>()?;
        let statement_type = string(&top, "_type", "")?
            .ok_or_else(|| err("the in-toto statement has no `_type`".to_owned()))?;
        if !STATEMENT_TYPES.contains(&statement_type) {
            return Err(err(format!(
                "`_type` is `{}`, not an in-toto statement (`{}`)",
                truncate(statement_type),
                STATEMENT_TYPES.join("` or `")
            )));
        }
        let predicate_type = string(&top, "predicateType", "")?
            .filter(|t| !t.is_empty())
            .ok_or_else(|| err("the in-toto statement has no `predicateType`".to_owned()))?;
        if let Some(raw) = fields.get("predicate") {
            match raw_kind(raw.get()) {
                "an object" | "null" => {}
                other => return Err(err(format!("`predicate` is {other}, not an object"))),
            }
        }
        let subjects = match top.get("subject") {
            Some(Value::Array(items)) if !items.is_empty() => items,
            Some(Value::Array(_)) | None => {
                return Err(err("the in-toto statement has no subject".to_owned()));
            }
            Some(other) => return Err(err(format!("`subject` is {}, not an array", kind(other)))),
        };
        let subjects = subjects
            .iter()
            .enumerate()
            .map(|(i, subject)| read_subject(i, subject))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            statement_type: statement_type.to_owned(),
            predicate_type: predicate_type.to_owned(),
            subjects,
            fields: fields
                .into_iter()
                .map(|(key, raw)| (key, raw.to_owned()))
                .collect(),
        })
    }

    /// `_type`.
    #[must_use]
    pub fn statement_type(&self) -> &str {
        &self.statement_type
    }
    /// `predicateType`, as written.
    #[must_use]
    pub fn predicate_type(&self) -> &str {
        &self.predicate_type
    }
    /// `subject`, in order.
    #[must_use]
    pub fn subjects(&self) -> &[Subject] {
        &self.subjects
    }
    /// `predicate` as written (`null` if absent): its JSON text, which may span lines.
    #[must_use]
    pub fn predicate_json(&self) -> &str {
        self.fields.get("predicate").map_or("null", |raw| raw.get())
    }
    /// `predicate` (`null` if absent), built as a tree now.
    #[must_use]
    pub fn predicate(&self) -> Value {
        serde_json::from_str(self.predicate_json()).unwrap_or(Value::Null)
    }
    /// The whole statement as a tree, built now: the input of a policy.
    #[must_use]
    pub fn as_value(&self) -> Value {
        Value::Object(
            self.fields
                .iter()
                .map(|(key, raw)| {
                    let value = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                    (key.clone(), value)
                })
                .collect(),
        )
    }
    /// Every subject digest, `algorithm:hex`, for messages.
    #[must_use]
    pub fn named_digests(&self) -> Vec<String> {
        self.subjects
            .iter()
            .flat_map(|s| s.digests.iter())
            .map(|(a, h)| truncate(&format!("{a}:{h}")))
            .collect()
    }
}

/// The digests each subject of `payload` names (algorithm, lowercase hex), read without
/// building the rest of the statement (the predicate is skipped, not held): for choosing what
/// to verify, or which digests of the artifact to compute, before anything is verified.
/// Unverified, and not checked as [`Statement::parse`] checks; empty if `payload` does not
/// read.
#[must_use]
pub fn subject_digests(payload: &[u8]) -> Vec<Vec<(String, String)>> {
    Parts::split(payload).map_or_else(|_| Vec::new(), |parts| parts.subject_digests())
}

/// Checks `bytes` as [`Statement::parse_with_cost`] does before reading them: JSON with no key
/// twice in any object, costing at most `max_cost` as a tree.
pub(crate) fn check(bytes: &[u8], max_cost: u64) -> Result<(), StatementError> {
    vouch_sigstore::check_json(bytes, max_cost)
        .map_err(|e| StatementError(format!("the in-toto statement: {e}")))
}

/// A statement's top-level fields, each as its JSON text borrowed from the payload: one pass
/// that skips the predicate, for the subjects before the signature is verified and the whole
/// statement after, without reading the payload again.
#[derive(Debug)]
pub(crate) struct Parts<'a> {
    /// The last of two equal keys: read only what [`check`] (or the bundle's reading) passed.
    fields: BTreeMap<String, &'a RawValue>,
}

impl<'a> Parts<'a> {
    /// Splits `bytes`, a JSON object.
    pub(crate) fn split(bytes: &'a [u8]) -> Result<Self, StatementError> {
        let fields = serde_json::from_slice(bytes).map_err(|e| {
            match serde_json::from_slice::<serde::de::IgnoredAny>(bytes) {
                Ok(_) => StatementError(format!(
                    "the in-toto statement is {}, not a JSON object",
                    raw_kind(&String::from_utf8_lossy(&bytes[..bytes.len().min(64)]))
                )),
                Err(_) => StatementError(format!("the in-toto statement is not JSON: {e}")),
            }
        })?;
        Ok(Self { fields })
    }

    /// As [`subject_digests`]: whatever reads of `subject[].digest`, unchecked.
    pub(crate) fn subject_digests(&self) -> Vec<Vec<(String, String)>> {
        #[derive(serde::Deserialize)]
        struct Digests {
            #[serde(default)]
            digest: BTreeMap<String, String>,
        }
        self.fields
            .get("subject")
            .and_then(|raw| serde_json::from_str::<Vec<Digests>>(raw.get()).ok())
            .unwrap_or_default()
            .into_iter()
            .map(|d| {
                d.digest
                    .into_iter()
                    .map(|(a, h)| (a, h.to_ascii_lowercase()))
                    .collect()
            })
            .collect()
    }

    /// The statement, read strictly (see [`Statement::parse`]); the predicate's text is copied.
    pub(crate) fn into_statement(self) -> Result<Statement, StatementError> {
        Statement::from_parts(self)
    }
}

fn read_subject(i: usize, subject: &Value) -> Result<Subject, StatementError> {
    let path = format!("subject[{i}].");
    let Value::Object(subject) = subject else {
        return Err(StatementError(format!(
            "`subject[{i}]` is {}, not an object",
            kind(subject)
        )));
    };
    refuse_case_variants(subject.keys(), &["name", "digest", "annotations"], &path)?;
    let name = string(subject, "name", &path)?.map(str::to_owned);
    let digests = match subject.get("digest") {
        Some(Value::Object(set)) => set
            .iter()
            .map(|(algorithm, value)| match value {
                Value::String(hex) => Ok((algorithm.clone(), hex.to_ascii_lowercase())),
                other => Err(StatementError(format!(
                    "`{path}digest.{}` is {}, not a string",
                    truncate(algorithm),
                    kind(other)
                ))),
            })
            .collect::<Result<Vec<_>, _>>()?,
        None => Vec::new(),
        Some(other) => {
            return Err(StatementError(format!(
                "`{path}digest` is {}, not an object",
                kind(other)
            )));
        }
    };
    if !digests
        .iter()
        .any(|(a, _)| MATCHED_ALGORITHMS.contains(&a.as_str()))
    {
        return Err(StatementError(format!(
            "`{path}digest` has no sha256 or sha512 digest"
        )));
    }
    let annotations = match subject.get("annotations") {
        Some(Value::Object(map)) => Some(map.clone()),
        None | Some(Value::Null) => None,
        Some(other) => {
            return Err(StatementError(format!(
                "`{path}annotations` is {}, not an object",
                kind(other)
            )));
        }
    };
    Ok(Subject {
        name,
        digests,
        annotations,
    })
}

/// Refuses an object holding a key that equals one of `fields` ignoring ASCII case without
/// being it: Go would read it as that field (or instead of it).
fn refuse_case_variants<'a>(
    keys: impl IntoIterator<Item = &'a String>,
    fields: &[&str],
    path: &str,
) -> Result<(), StatementError> {
    for key in keys {
        if let Some(field) = fields
            .iter()
            .find(|f| f.eq_ignore_ascii_case(key) && **f != key)
        {
            return Err(StatementError(format!(
                "the key `{path}{}` is read as `{path}{field}` by Go's JSON decoder (cosign): \
                 refused as ambiguous",
                truncate(key)
            )));
        }
    }
    Ok(())
}

fn string<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    path: &str,
) -> Result<Option<&'a str>, StatementError> {
    match object.get(key) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(other) => Err(StatementError(format!(
            "`{path}{key}` is {}, not a string",
            kind(other)
        ))),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What kind of JSON value `text` (one valid value) is, from its first character.
fn raw_kind(text: &str) -> &'static str {
    match text.trim_start().as_bytes().first() {
        Some(b'{') => "an object",
        Some(b'[') => "an array",
        Some(b'"') => "a string",
        Some(b't' | b'f') => "a boolean",
        Some(b'n') => "null",
        _ => "a number",
    }
}

/// At most 200 characters of untrusted text, for messages.
pub(crate) fn truncate(text: &str) -> String {
    let mut out: String = text.chars().take(200).collect();
    if out.len() < text.len() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn subject_digests_skip_the_predicate() {
        let payload = br#"{"_type":"x","subject":[{"name":"a","digest":{"sha512":"0A"}},{"digest":{"sha256":"11","gitCommit":"22"}}],"predicate":{"deep":[[[[1]]]]}}"#;
        let pair = |a: &str, h: &str| (a.to_owned(), h.to_owned());
        assert_eq!(
            subject_digests(payload),
            [
                vec![pair("sha512", "0a")],
                vec![pair("gitCommit", "22"), pair("sha256", "11")]
            ]
        );
        assert!(subject_digests(b"not json").is_empty());
        assert!(subject_digests(br#"{"subject":"x"}"#).is_empty());
    }

    const V1: &str = r#"{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":"a","digest":{"sha256":"AB12"}}],"predicateType":"https://slsa.dev/provenance/v1","predicate":{"k":1}}"#;

    #[test]
    fn reads_v1_and_v01() {
        let s = Statement::parse(V1.as_bytes()).unwrap();
        assert_eq!(s.predicate_type(), "https://slsa.dev/provenance/v1");
        assert_eq!(
            s.subjects()[0].digests(),
            [("sha256".to_owned(), "ab12".to_owned())]
        );
        assert_eq!(s.predicate()["k"], 1);
        let v01 = V1.replace("Statement/v1", "Statement/v0.1");
        assert!(Statement::parse(v01.as_bytes()).is_ok());
    }

    #[test]
    fn refuses_what_two_readers_could_read_differently_or_is_not_a_statement() {
        for bad in [
            V1.replace("Statement/v1", "Statement/v2"),
            V1.replacen(
                "\"predicateType\"",
                "\"PredicateType\":\"x\",\"predicateType\"",
                1,
            ),
            V1.replacen(
                "\"predicateType\"",
                "\"predicateType\":\"x\",\"predicateType\"",
                1,
            ),
            V1.replace(
                "\"digest\":{\"sha256\":\"AB12\"}",
                "\"Digest\":{\"sha256\":\"AB12\"}",
            ),
            V1.replace(
                "\"digest\":{\"sha256\":\"AB12\"}",
                "\"digest\":{\"md5\":\"AB12\"}",
            ),
            V1.replace("[{\"name\":\"a\",\"digest\":{\"sha256\":\"AB12\"}}]", "[]"),
            V1.replace("{\"k\":1}", "[1]"),
            "[]".to_owned(),
            String::new(),
        ] {
            assert!(Statement::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn takes_any_bytes_without_panicking() {
        for cut in 0..V1.len() {
            let _ = Statement::parse(&V1.as_bytes()[..cut]);
            let _ = Statement::parse(&V1.as_bytes()[cut..]);
        }
    }
}
