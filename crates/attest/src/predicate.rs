//! Predicate types: cosign's short names (`--type slsaprovenance1`) and full URIs.

use std::fmt;

/// cosign's short names and the URIs they stand for (`cmd/cosign/cli/options/predicate.go`).
pub const SHORT_NAMES: [(&str, &str); 10] = [
    ("custom", "https://cosign.sigstore.dev/attestation/v1"),
    ("slsaprovenance", "https://slsa.dev/provenance/v0.2"),
    ("slsaprovenance02", "https://slsa.dev/provenance/v0.2"),
    ("slsaprovenance1", "https://slsa.dev/provenance/v1"),
    ("spdx", "https://spdx.dev/Document"),
    ("spdxjson", "https://spdx.dev/Document"),
    ("cyclonedx", "https://cyclonedx.org/bom"),
    ("link", "https://in-toto.io/Link/v1"),
    ("vuln", "https://cosign.sigstore.dev/attestation/vuln/v1"),
    ("openvex", "https://openvex.dev/ns"),
];

/// A predicate type, always held as its URI.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PredicateType(String);

/// A `--type` that is neither a short name nor a URI.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{given}` is not a predicate type: give a URI (`https://slsa.dev/provenance/v1`) or one of \
     cosign's short names ({})",
    short_names()
)]
pub struct UnknownPredicateType {
    given: String,
}

fn short_names() -> String {
    SHORT_NAMES
        .iter()
        .map(|(name, _)| *name)
        .collect::<Vec<_>>()
        .join(", ")
}

impl PredicateType {
    /// A short name as cosign maps it, or a URI as given (a scheme, `:`, and no white space or
    /// control character, as Go's `url.ParseRequestURI` requires of cosign's `--type`).
    ///
    /// # Errors
    ///
    /// [`UnknownPredicateType`] for anything else.
    pub fn parse(given: &str) -> Result<Self, UnknownPredicateType> {
        if let Some((_, uri)) = SHORT_NAMES.iter().find(|(name, _)| *name == given) {
            return Ok(Self((*uri).to_owned()));
        }
        if is_uri(given) {
            Ok(Self(given.to_owned()))
        } else {
            Err(UnknownPredicateType {
                given: given.chars().take(200).collect(),
            })
        }
    }

    /// The URI.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PredicateType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// `scheme:rest`, the scheme a letter then letters, digits, `+`, `-`, `.` (RFC 3986), the rest
/// non-empty, and nothing that is white space or a control character.
fn is_uri(text: &str) -> bool {
    let Some((scheme, rest)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !text.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn short_names_map_as_cosign_maps_them() {
        for (name, uri) in SHORT_NAMES {
            assert_eq!(PredicateType::parse(name).unwrap().as_str(), uri);
        }
        assert_eq!(
            PredicateType::parse("https://example.com/p/v1")
                .unwrap()
                .as_str(),
            "https://example.com/p/v1"
        );
    }

    #[test]
    fn other_words_are_refused_listing_the_names() {
        for bad in [
            "SPDX",
            "provenance",
            "",
            ":x",
            "https:",
            "https://a b",
            "1http://x",
        ] {
            let err = PredicateType::parse(bad).unwrap_err().to_string();
            assert!(err.contains("slsaprovenance1"), "{bad}: {err}");
        }
    }
}
