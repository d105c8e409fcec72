//! Writing attestations: the in-toto Statement v1 a signer signs.

use serde_json::{Value, json};

use crate::PredicateType;
use crate::statement::algorithm_name;

/// An in-toto Statement v1 about one artifact: `name` (a file name; not trusted by verifiers)
/// and its digest as the one subject, with `predicate_type` and `predicate`.
#[must_use]
pub fn statement_v1(
    name: &str,
    digest: &vouch_blob::Digest,
    predicate_type: &PredicateType,
    predicate: &Value,
) -> Vec<u8> {
    let statement = json!({
        "_type": crate::STATEMENT_TYPES[0],
        "subject": [{
            "name": name,
            "digest": { algorithm_name(digest.algorithm()): digest.to_hex() },
        }],
        "predicateType": predicate_type.as_str(),
        "predicate": predicate,
    });
    statement.to_string().into_bytes()
}

/// The predicate cosign writes for `--type custom`: the input text, unparsed, and when it was
/// attested (RFC 3339).
#[must_use]
pub fn custom_predicate(data: &str, timestamp: &str) -> Value {
    json!({ "Data": data, "Timestamp": timestamp })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::Statement;

    #[test]
    fn what_is_written_reads_back() {
        let digest = vouch_blob::Digest::of(vouch_blob::DigestAlgorithm::Sha256, b"app");
        let kind = PredicateType::parse("slsaprovenance1").unwrap();
        let bytes = statement_v1("app.tar", &digest, &kind, &json!({"buildDefinition": {}}));
        let statement = Statement::parse(&bytes).unwrap();
        assert_eq!(
            statement.statement_type(),
            "https://in-toto.io/Statement/v1"
        );
        assert_eq!(statement.predicate_type(), "https://slsa.dev/provenance/v1");
        assert!(statement.subjects()[0].names_digest(&digest));
        assert_eq!(statement.subjects()[0].name(), Some("app.tar"));
    }
}
