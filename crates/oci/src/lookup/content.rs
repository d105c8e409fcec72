//! What every answer goes through before it is used: the 404 / over-the-limit / body split, and
//! the checks that the bytes are the ones asked for (digest, `Docker-Content-Digest`, size).

use super::MAX_MANIFEST_COST;
use crate::manifest::{self, Document, truncate};
use crate::{Error, Fetch, OciDigest, Response, Result};

/// A 200 answer: the body and the headers the lookup reads.
pub(super) struct Found<'a> {
    pub(super) body: &'a [u8],
    pub(super) content_type: Option<&'a str>,
    pub(super) docker_content_digest: Option<&'a str>,
}

/// Every answer's first step, the same for each document the lookup fetches so that none can
/// forget the limit: a body to read (`Some`), a 404 for the caller to interpret (`None`: what
/// a missing document means depends on the step), or a body over its limit (an error naming
/// `what`, since the registry sent more than the descriptor or the limit allows).
pub(super) fn found<'a>(
    response: Response<'a>,
    what: &str,
    fetch: &Fetch,
) -> Result<Option<Found<'a>>> {
    match response {
        Response::NotFound => Ok(None),
        Response::TooLarge => Err(too_large(what, fetch)),
        Response::Found {
            body,
            content_type,
            docker_content_digest,
        } => Ok(Some(Found {
            body,
            content_type,
            docker_content_digest,
        })),
    }
}

/// [`manifest::parse_document`], after a check that the body has no duplicate key (a
/// manifest two readers could read differently is refused) and costs at most
/// [`MAX_MANIFEST_COST`] as a tree.
pub(super) fn parse_document(
    body: &[u8],
    content_type: Option<&str>,
) -> std::result::Result<Document, String> {
    vouch_sigstore::check_json(body, MAX_MANIFEST_COST).map_err(|err| err.to_string())?;
    manifest::parse_document(body, content_type)
}

pub(super) fn describe_fetch(fetch: &Fetch) -> String {
    match fetch {
        Fetch::Manifest {
            repository,
            reference,
        } => format!("manifest {reference} of {repository}"),
        Fetch::ManifestHead {
            repository,
            reference,
        } => format!("the headers of manifest {reference} of {repository}"),
        Fetch::Referrers { repository, digest } => {
            format!("the referrers of {digest} in {repository}")
        }
        Fetch::Blob {
            repository, digest, ..
        } => format!("blob {digest} of {repository}"),
    }
}

fn too_large(what: &str, fetch: &Fetch) -> Error {
    let limit = match fetch {
        Fetch::Blob { size, .. } if *size <= fetch.max_len() => {
            format!("{size} bytes (the size its descriptor declares)")
        }
        _ => format!("{} bytes", fetch.max_len()),
    };
    Error::TooLarge {
        what: what.to_owned(),
        limit,
    }
}

/// `body` must hash to `digest`.
pub(super) fn check_digest(what: &str, digest: &OciDigest, body: &[u8]) -> Result<()> {
    let found = digest.same_algorithm_of(body);
    if found == *digest {
        Ok(())
    } else {
        Err(Error::DigestMismatch {
            what: what.to_owned(),
            expected: digest.to_string(),
            found: found.to_string(),
        })
    }
}

/// A `Docker-Content-Digest` header, if present, must be a digest and name `body` (recomputed
/// with the header's algorithm).
pub(super) fn check_header(what: &str, header: Option<&str>, body: &[u8]) -> Result<()> {
    let Some(header) = header else {
        return Ok(());
    };
    match OciDigest::parse(header.trim()) {
        Ok(announced) => check_digest(what, &announced, body),
        Err(_) => Err(Error::DigestMismatch {
            what: what.to_owned(),
            expected: format!(
                "`{}` (Docker-Content-Digest, not a digest)",
                truncate(header, 200)
            ),
            found: OciDigest::sha256_of(body).to_string(),
        }),
    }
}

/// `body` must be as long as its descriptor says.
pub(super) fn check_size(what: &str, size: u64, body: &[u8]) -> Result<()> {
    let found = u64::try_from(body.len()).unwrap_or(u64::MAX);
    if found == size {
        Ok(())
    } else {
        Err(Error::SizeMismatch {
            what: what.to_owned(),
            expected: size,
            found,
        })
    }
}
