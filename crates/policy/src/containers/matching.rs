//! Matching, as containers/image does (`signature/policy_reference_match.go`,
//! `docker/policyconfiguration/naming.go`): scopes against images, signed identities against
//! the claims of signatures, and docker's name grammar for what `vouch_oci` does not parse.

use std::fmt;

use vouch_oci::{ImageRef, OciDigest, Repository};

use crate::SignedIdentity;

/// Whether a containers `docker` scope matches `image` (the image as the user named it):
/// its exact name (`docker.io/library/busybox:latest` or `…@sha256:…`, fully expanded), its
/// repository or any parent namespace up to the host (with its port), a `*.domain` wildcard
/// over the host without its port, or `""`, which matches every image.
#[must_use]
pub fn scope_matches(scope: &str, image: &ImageRef) -> bool {
    if scope.is_empty() {
        return true;
    }
    let intended = Named::from_image(image);
    if scope == intended.to_string() {
        return true;
    }
    let mut name = intended.repository.to_string();
    loop {
        if scope == name {
            return true;
        }
        match name.rfind('/') {
            Some(slash) => name.truncate(slash),
            None => break,
        }
    }
    // `name` is now the host with its port; wildcards match the host without it.
    let mut host = name.split(':').next().unwrap_or_default();
    while let Some((_, parent)) = host.split_once('.') {
        if scope.strip_prefix("*.") == Some(parent) {
            return true;
        }
        host = parent;
    }
    false
}

/// Whether a signature claiming `signed_reference` (a simple-signing payload's
/// `critical.identity.docker-reference`) is acceptable for `image` (the image as the user named
/// it, by tag or digest) under `identity`, as containers/image decides. Both are normalised as
/// docker does (`busybox` is `docker.io/library/busybox`); a claim that does not parse is never
/// acceptable. An image named with both a tag and a digest is taken by its digest.
#[must_use]
pub fn identity_matches(
    identity: &SignedIdentity,
    image: &ImageRef,
    signed_reference: &str,
) -> bool {
    let Some(signature) = Named::parse(signed_reference) else {
        return false;
    };
    let intended = Named::from_image(image);
    match identity {
        SignedIdentity::MatchExact => !signature.is_name_only() && signature == intended,
        SignedIdentity::MatchRepoDigestOrExact => repo_digest_or_exact(&intended, &signature),
        SignedIdentity::MatchRepository => signature.repository == intended.repository,
        SignedIdentity::ExactReference(reference) => {
            Named::parse(reference).is_some_and(|wanted| {
                !wanted.is_name_only() && !signature.is_name_only() && signature == wanted
            })
        }
        SignedIdentity::ExactRepository(repository) => {
            Named::parse(repository).is_some_and(|wanted| signature.repository == wanted.repository)
        }
        SignedIdentity::RemapIdentity {
            prefix,
            signed_prefix,
        } => remap(&intended, prefix, signed_prefix)
            .is_some_and(|remapped| repo_digest_or_exact(&remapped, &signature)),
    }
}

/// `matchRepoDigestOrExact`: a tagged image needs exactly its reference; an image by digest
/// needs its repository (the digest itself is checked against the signed manifest).
fn repo_digest_or_exact(intended: &Named, signature: &Named) -> bool {
    if signature.is_name_only() {
        return false;
    }
    if intended.tag.is_some() {
        signature == intended
    } else if intended.digest.is_some() {
        signature.repository == intended.repository
    } else {
        false
    }
}

/// The image's name with `prefix` (a host, repository or namespace, at a `/` boundary) replaced
/// by `signed_prefix`; the name itself when the prefix does not apply; `None` when the result
/// is not a reference in its canonical form.
fn remap(intended: &Named, prefix: &str, signed_prefix: &str) -> Option<Named> {
    let name = intended.repository.to_string();
    let applies = name
        .strip_prefix(prefix)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'));
    if !applies {
        return Some(intended.clone());
    }
    let full = intended.to_string();
    let remapped = full.replacen(prefix, signed_prefix, 1);
    let parsed = Named::parse(&remapped)?;
    (parsed.to_string() == remapped).then_some(parsed)
}

/// A reference as docker's `ParseNormalizedNamed` reads it: unlike [`ImageRef`], no `latest`
/// is added to a bare name, which the exact matches must tell apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Named {
    repository: Repository,
    tag: Option<String>,
    digest: Option<OciDigest>,
}

impl Named {
    fn parse(text: &str) -> Option<Self> {
        let image = ImageRef::parse(text).ok()?;
        let tag = if has_tag_or_digest(text) {
            image.tag().map(str::to_owned)
        } else {
            None
        };
        Some(Self {
            repository: image.repository().clone(),
            tag,
            digest: image.digest().cloned(),
        })
    }

    /// The image as the user named it; with both a tag and a digest, by its digest.
    pub(super) fn from_image(image: &ImageRef) -> Self {
        let digest = image.digest().cloned();
        let tag = match digest {
            Some(_) => None,
            None => Some(image.tag().unwrap_or("latest").to_owned()),
        };
        Self {
            repository: image.repository().clone(),
            tag,
            digest,
        }
    }

    fn is_name_only(&self) -> bool {
        self.tag.is_none() && self.digest.is_none()
    }
}

impl fmt::Display for Named {
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

/// Whether a reference as written has a tag or a digest (a `:` after the last `/` is a tag;
/// before it, a port).
pub(super) fn has_tag_or_digest(text: &str) -> bool {
    text.contains('@')
        || text
            .rsplit('/')
            .next()
            .is_some_and(|last| last.contains(':'))
}

// ---------------------------------------------------------------------------------------------
// Docker's name grammar, for what `vouch_oci` does not parse on its own (remapping prefixes and
// wildcard domains).

/// docker's `domain`: a host name, IPv4 address or `[IPv6]` address, with an optional `:port`.
pub(super) fn is_domain(text: &str) -> bool {
    let (host_ok, port) = match text.strip_prefix('[') {
        Some(bracketed) => {
            let Some((address, rest)) = bracketed.split_once(']') else {
                return false;
            };
            let address_ok =
                !address.is_empty() && address.bytes().all(|b| b.is_ascii_hexdigit() || b == b':');
            let port = match rest {
                "" => None,
                rest => match rest.strip_prefix(':') {
                    Some(port) => Some(port),
                    None => return false,
                },
            };
            (address_ok, port)
        }
        None => match text.split_once(':') {
            Some((host, port)) => (is_host_name(host), Some(port)),
            None => (is_host_name(text), None),
        },
    };
    let port_ok =
        port.is_none_or(|port| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()));
    host_ok && port_ok
}

/// Dot-separated labels of letters, digits and inner dashes.
pub(super) fn is_host_name(text: &str) -> bool {
    text.split('.').all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    })
}

/// docker's path component: `[a-z0-9]+` runs joined by `.`, `_`, `__` or dashes.
pub(super) fn is_path_component(component: &str) -> bool {
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = component.as_bytes();
    if !bytes.first().copied().is_some_and(alnum) || !bytes.last().copied().is_some_and(alnum) {
        return false;
    }
    bytes.split(|&b| alnum(b)).all(|separator| {
        separator.is_empty()
            || matches!(separator, b"." | b"_" | b"__")
            || separator.iter().all(|&b| b == b'-')
    })
}
