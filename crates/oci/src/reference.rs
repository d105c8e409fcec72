//! Image references, normalised as docker and cosign do (`x` → `docker.io/library/x:latest`).

use std::fmt;
use std::str::FromStr;

use crate::{Error, OciDigest};

/// The registry Docker Hub images live on, as written in references.
pub const DOCKER_HUB: &str = "docker.io";

/// A repository in a registry: `registry` (host, optionally `:port`) and `name`
/// (`library/alpine`, `org/team/app`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repository {
    registry: String,
    name: String,
}

impl Repository {
    /// Parses `registry/name` or a Docker Hub short name (`alpine`, `org/app`), normalised
    /// as [`ImageRef::parse`] does.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidReference`] as for [`ImageRef::parse`].
    pub fn parse(text: &str) -> Result<Self, Error> {
        let parsed = parse_reference(text)?;
        if parsed.tag.is_some() || parsed.digest.is_some() {
            return Err(Error::InvalidReference {
                found: text.chars().take(300).collect(),
                reason: "a repository has no tag or digest".into(),
            });
        }
        Ok(parsed.repository)
    }

    /// The registry as written in references (`docker.io`, `127.0.0.1:5000`).
    pub fn registry(&self) -> &str {
        &self.registry
    }

    /// The host the registry API is served from: `registry-1.docker.io` for Docker Hub.
    pub fn api_host(&self) -> &str {
        if self.registry == DOCKER_HUB {
            "registry-1.docker.io"
        } else {
            &self.registry
        }
    }

    /// The repository path (`library/alpine`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Display for Repository {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.registry, self.name)
    }
}

/// An image reference: repository plus tag, digest, or both (`repo:tag@sha256:…`, where the
/// digest wins and the tag is only informative).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImageRef {
    repository: Repository,
    tag: Option<String>,
    digest: Option<OciDigest>,
}

impl ImageRef {
    /// Parses a reference the way docker does (`distribution/reference`'s grammar and
    /// `ParseNormalizedNamed`): the first path component is a registry if it contains `.` or
    /// `:`, is `localhost`, or has upper-case letters; otherwise the image is on Docker Hub
    /// (`docker.io`; `index.docker.io` and `registry-1.docker.io` are spelled so too), and a
    /// single-component Hub name gets `library/`. No tag and no digest means `:latest`.
    ///
    /// A registry is a host name, an IPv4 address or a bracketed IPv6 address, with an
    /// optional `:port` (1 to 65535). Repository path components are lower-case
    /// `[a-z0-9]` runs joined by `.`, `_`, `__` or dashes; the normalised `registry/name` is
    /// at most 255 characters. A tag is `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidReference`] saying what is wrong (a malformed digest included).
    pub fn parse(text: &str) -> Result<Self, Error> {
        let parsed = parse_reference(text)?;
        let tag = match (&parsed.tag, &parsed.digest) {
            (None, None) => Some("latest".to_owned()),
            _ => parsed.tag,
        };
        Ok(Self {
            repository: parsed.repository,
            tag,
            digest: parsed.digest,
        })
    }

    /// The repository.
    pub fn repository(&self) -> &Repository {
        &self.repository
    }

    /// The tag, if one was given (or `latest` when neither tag nor digest was).
    pub fn tag(&self) -> Option<&str> {
        self.tag.as_deref()
    }

    /// The digest, if one was given.
    pub fn digest(&self) -> Option<&OciDigest> {
        self.digest.as_ref()
    }

    /// What to ask the registry for: the digest if there is one, else the tag.
    pub fn manifest_reference(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(digest), _) => digest.to_string(),
            (None, Some(tag)) => tag.clone(),
            (None, None) => "latest".to_owned(),
        }
    }

    /// The same image pinned to `digest` (the tag is kept for display).
    #[must_use]
    pub fn with_digest(&self, digest: OciDigest) -> Self {
        Self {
            digest: Some(digest),
            ..self.clone()
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl FromStr for ImageRef {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

impl FromStr for Repository {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self, Error> {
        Self::parse(text)
    }
}

/// The most characters of a reference accepted.
const MAX_REFERENCE_LEN: usize = 4096;
/// The most characters of a normalised `registry/name` (docker's `NameTotalLengthMax`).
const MAX_NAME_LEN: usize = 255;
/// The most characters of a tag.
const MAX_TAG_LEN: usize = 128;

/// A reference as written: the tag is `None` when none was given.
struct Parsed {
    repository: Repository,
    tag: Option<String>,
    digest: Option<OciDigest>,
}

fn parse_reference(text: &str) -> Result<Parsed, Error> {
    let invalid = |reason: &str| Error::InvalidReference {
        found: text.chars().take(300).collect(),
        reason: reason.to_owned(),
    };
    if text.is_empty() || text.len() > MAX_REFERENCE_LEN {
        return Err(invalid("a reference is 1 to 4096 characters"));
    }
    let (rest, digest) = match text.split_once('@') {
        Some((rest, digest)) => {
            let digest = OciDigest::parse(digest).map_err(|_| {
                invalid(
                    "the digest must be sha256: with 64 or sha512: with 128 lower-case hex digits",
                )
            })?;
            (rest, Some(digest))
        }
        None => (text, None),
    };
    // A tag is after the last ':' that follows the last '/' (a ':' before it is a port).
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match rest.get(last_slash..).and_then(|last| last.rfind(':')) {
        Some(i) => {
            let colon = last_slash + i;
            (
                rest.get(..colon).unwrap_or_default(),
                Some(rest.get(colon + 1..).unwrap_or_default()),
            )
        }
        None => (rest, None),
    };
    if let Some(tag) = tag
        && !is_tag(tag)
    {
        return Err(invalid(
            "a tag is 1 to 128 of [A-Za-z0-9_.-], not starting with . or -",
        ));
    }
    let (registry, name) = match path.split_once('/') {
        Some((first, rest))
            if first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase()) =>
        {
            (first, rest)
        }
        _ => (DOCKER_HUB, path),
    };
    if !is_registry(registry) {
        return Err(invalid(
            "the registry must be a host name, IPv4 address or [IPv6] address, with an optional :port",
        ));
    }
    let registry = match registry {
        "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB,
        _ => registry,
    };
    let name = if registry == DOCKER_HUB && !name.contains('/') {
        format!("library/{name}")
    } else {
        name.to_owned()
    };
    if !name.split('/').all(is_path_component) {
        return Err(invalid(
            "a repository name is lower-case components of [a-z0-9] joined by ., _, __ or -, separated by /",
        ));
    }
    if registry.len() + 1 + name.len() > MAX_NAME_LEN {
        return Err(invalid("registry/name is at most 255 characters"));
    }
    Ok(Parsed {
        repository: Repository {
            registry: registry.to_owned(),
            name,
        },
        tag: tag.map(str::to_owned),
        digest,
    })
}

/// `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`.
fn is_tag(tag: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    tag.len() <= MAX_TAG_LEN
        && tag.bytes().next().is_some_and(word)
        && tag.bytes().all(|b| word(b) || matches!(b, b'.' | b'-'))
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`.
fn is_path_component(component: &str) -> bool {
    let alnum = |b: &u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    if !bytes.first().is_some_and(alnum) || !bytes.last().is_some_and(alnum) {
        return false;
    }
    let mut separator = String::new();
    for &b in bytes {
        if alnum(&b) {
            let ok = separator.is_empty()
                || matches!(separator.as_str(), "." | "_" | "__")
                || separator.bytes().all(|s| s == b'-');
            if !ok {
                return false;
            }
            separator.clear();
        } else if matches!(b, b'.' | b'_' | b'-') {
            separator.push(char::from(b));
        } else {
            return false;
        }
    }
    true
}

/// `host[:port]`: a host name or IPv4 address (dot-separated labels of `[A-Za-z0-9-]`, not
/// starting or ending with `-`), or `[IPv6]`; a port is 1 to 65535.
fn is_registry(registry: &str) -> bool {
    let (host, port) = if let Some(after_bracket) = registry.strip_prefix('[') {
        let Some((address, after)) = after_bracket.split_once(']') else {
            return false;
        };
        let address_ok = address.len() >= 2
            && address.contains(':')
            && address
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b':' | b'.'));
        if !address_ok {
            return false;
        }
        match after.strip_prefix(':') {
            Some(port) => (None, Some(port)),
            None if after.is_empty() => (None, None),
            None => return false,
        }
    } else {
        match registry.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(registry), None),
        }
    };
    let label_ok = |label: &str| {
        !label.is_empty()
            && label.len() <= 63
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    let host_ok = host.is_none_or(|host| host.len() <= 253 && host.split('.').all(label_ok));
    let port_ok = port.is_none_or(|port| {
        !port.is_empty()
            && port.len() <= 5
            && port.bytes().all(|b| b.is_ascii_digit())
            && port.parse::<u32>().is_ok_and(|p| (1..=65535).contains(&p))
    });
    host_ok && port_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_components() {
        for ok in ["a", "a0", "a.b", "a_b", "a__b", "a-b", "a---b", "a.b_c-d"] {
            assert!(is_path_component(ok), "{ok}");
        }
        for bad in [
            "", "-a", "a-", ".a", "a.", "a..b", "a___b", "a._b", "a-_b", "A", "a b", "é",
        ] {
            assert!(!is_path_component(bad), "{bad}");
        }
    }

    #[test]
    fn registries() {
        for ok in [
            "localhost",
            "localhost:5000",
            "a.b.c",
            "127.0.0.1:65535",
            "[::1]",
            "[::1]:5000",
            "[fe80::1]",
            "Foo",
        ] {
            assert!(is_registry(ok), "{ok}");
        }
        for bad in [
            "", ":5000", "a:", "a:0", "a:65536", "a:123456", "a:b", "a..b", "-a.b", "a-.b", "[",
            "[]", "[::1", "[::1]x", "[g::1]", "a:1:2", "a_b.c",
        ] {
            assert!(!is_registry(bad), "{bad}");
        }
    }
}
