//! Who must have signed: a key, or a keyless identity and its OIDC issuer.

use std::fmt;

use vouch_keys::PublicKey;

use crate::{Error, Extension};

/// How an identity or issuer string is matched.
#[derive(Clone)]
#[non_exhaustive]
pub enum Matcher {
    /// Equal, byte for byte.
    Exact(String),
    /// A regular expression over the whole value: anchored with `^(?:…)$` (cosign's
    /// `--certificate-identity-regexp` is unanchored; an unanchored `.*@example.com` would
    /// also accept `evil@example.com.attacker.net`).
    Regex(regex::Regex),
}

impl Matcher {
    /// Exact match.
    #[must_use]
    pub fn exact(value: impl Into<String>) -> Self {
        Self::Exact(value.into())
    }

    /// Regular expression, anchored at both ends.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidRegex`] if `pattern` does not compile.
    pub fn regex(pattern: &str) -> Result<Self, Error> {
        regex::Regex::new(&format!("^(?:{pattern})$"))
            .map(Self::Regex)
            .map_err(|err| Error::InvalidRegex {
                pattern: pattern.to_owned(),
                detail: err.to_string(),
            })
    }

    /// Whether `value` matches.
    #[must_use]
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Self::Exact(expected) => expected == value,
            Self::Regex(regex) => regex.is_match(value),
        }
    }
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Exact(value) => write!(f, "`{value}`"),
            Self::Regex(regex) => write!(f, "regex `{}`", regex.as_str()),
        }
    }
}

impl fmt::Debug for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Who must have signed.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Signer {
    /// The signature verifies with this key (bundle `publicKey` material).
    Key(PublicKey),
    /// A Fulcio certificate chaining to the trust root, whose SAN matches `identity` and whose
    /// OIDC issuer extension matches `issuer`.
    Identity {
        /// The certificate's email or URI SAN.
        identity: Matcher,
        /// The OIDC issuer recorded in the certificate.
        issuer: Matcher,
    },
}

/// What a bundle must prove. No `Default`: the signer is the security-relevant input.
#[derive(Debug, Clone)]
pub struct Policy {
    pub(crate) signer: Signer,
    pub(crate) require_tlog: bool,
    /// Certificate extensions a keyless certificate must carry, each matching.
    pub(crate) extensions: Vec<(Extension, Matcher)>,
}

impl Policy {
    /// Signed with `key`, with a transparency-log entry.
    #[must_use]
    pub fn key(key: PublicKey) -> Self {
        Self {
            signer: Signer::Key(key),
            require_tlog: true,
            extensions: Vec::new(),
        }
    }

    /// Signed keylessly by `identity` as vouched for by `issuer`, with a transparency-log entry.
    #[must_use]
    pub fn identity(identity: Matcher, issuer: Matcher) -> Self {
        Self {
            signer: Signer::Identity { identity, issuer },
            require_tlog: true,
            extensions: Vec::new(),
        }
    }

    /// Accept bundles without a transparency-log entry and skip log verification. The
    /// signature is then only as trustworthy as the key's secrecy: nobody can audit it.
    #[must_use]
    pub fn insecure_ignore_tlog(mut self) -> Self {
        self.require_tlog = false;
        self
    }

    /// Also require the keyless certificate's `extension` to match `value` (every required
    /// extension must). A certificate without the extension does not match. A key signer has no
    /// certificate: a policy with a key and extensions accepts nothing.
    #[must_use]
    pub fn require_extension(mut self, extension: Extension, value: Matcher) -> Self {
        self.extensions.push((extension, value));
        self
    }

    /// The certificate extensions required.
    #[must_use]
    pub fn extensions(&self) -> &[(Extension, Matcher)] {
        &self.extensions
    }

    /// The signer required.
    #[must_use]
    pub fn signer(&self) -> &Signer {
        &self.signer
    }

    /// Whether a transparency-log entry is required and verified.
    #[must_use]
    pub fn requires_tlog(&self) -> bool {
        self.require_tlog
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_are_anchored() {
        let m = Matcher::regex(".*@example.com").unwrap();
        assert!(m.matches("alice@example.com"));
        assert!(!m.matches("alice@example.com.attacker.net"));
        assert!(!m.matches("alice@example.comX"));
        let alternation = Matcher::regex("a|b").unwrap();
        assert!(alternation.matches("a") && !alternation.matches("ab"));
    }

    #[test]
    fn bad_regex_is_an_error_naming_it() {
        let Err(err) = Matcher::regex("(") else {
            panic!("accepted")
        };
        assert!(err.to_string().contains("`(`"), "{err}");
    }
}
