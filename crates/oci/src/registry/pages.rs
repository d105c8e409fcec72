//! Paginated referrers listings (distribution spec 1.1: a registry may answer with part of the
//! list and a `Link: <url>; rel="next"` header). The driver follows the pages and hands the
//! lookup one OCI index with every entry, in order, as if the registry had sent it whole.

use reqwest::Method;
use reqwest::StatusCode;
use serde_json::Value;
use url::Url;

use super::auth::Access;
use super::client::{RegistryClient, unexpected_status};
use super::endpoint::same_origin;
use super::error::{RegistryError, RegistryErrorKind};
use super::transport::{Answer, Request};
use crate::{MAX_MANIFEST_BYTES, MAX_REFERRERS, Repository};

/// Most pages of one listing followed; a registry that has more is refused, not truncated.
pub(crate) const MAX_PAGES: usize = 32;

impl RegistryClient {
    /// `first` (a 200 answer to a referrers listing) with the entries of every following
    /// page appended. Stops early once more than [`MAX_REFERRERS`] entries are in hand: the
    /// lookup examines no more than that and says so.
    pub(crate) async fn follow_referrer_pages(
        &self,
        repository: &Repository,
        mut first: Answer,
        accept: &str,
    ) -> Result<Answer, RegistryError> {
        let Some(mut next) = next_page(&first)? else {
            return Ok(first);
        };
        let Some(mut merged) = listing(&first.body) else {
            // Not an index: the lookup says so about the first page.
            return Ok(first);
        };
        let mut pages = 1;
        loop {
            if entries(&merged) > MAX_REFERRERS {
                break;
            }
            if pages >= MAX_PAGES {
                return Err(RegistryError::new(
                    RegistryErrorKind::Protocol,
                    format!(
                        "the referrers listing {} has more than {MAX_PAGES} pages",
                        super::transport::shown(&first.url)
                    ),
                ));
            }
            let answer = self
                .send_authorized(repository, Access::Pull, |authorization| Request {
                    method: Method::GET,
                    url: next.clone(),
                    accept: Some(accept.to_owned()),
                    authorization,
                    body: None,
                    max_len: MAX_MANIFEST_BYTES,
                    registry_host: Some(repository.api_host().to_owned()),
                    stream_answer: false,
                })
                .await?;
            if answer.status != StatusCode::OK || answer.too_large {
                return Err(unexpected_status(&Method::GET, &answer, "200"));
            }
            let page = listing(&answer.body).ok_or_else(|| {
                RegistryError::new(
                    RegistryErrorKind::Protocol,
                    format!(
                        "page {} of the referrers listing ({}) is not an OCI index",
                        pages + 1,
                        super::transport::shown(&answer.url)
                    ),
                )
            })?;
            append(&mut merged, page);
            pages += 1;
            match next_page(&answer)? {
                Some(url) => next = url,
                None => break,
            }
        }
        first.body = serde_json::to_vec(&merged).unwrap_or_default();
        Ok(first)
    }
}

/// The next page named by `answer`'s `Link` header, on the registry's own origin.
fn next_page(answer: &Answer) -> Result<Option<Url>, RegistryError> {
    let Some(target) = answer.link.as_deref().and_then(next_link) else {
        return Ok(None);
    };
    let url = answer.url.join(target).map_err(|_| {
        RegistryError::new(
            RegistryErrorKind::Protocol,
            format!(
                "the referrers listing's next page `{}` is not a URL",
                target.chars().take(200).collect::<String>()
            ),
        )
    })?;
    if !same_origin(&url, &answer.url) {
        return Err(RegistryError::new(
            RegistryErrorKind::InsecureRefused,
            format!(
                "the referrers listing {} names its next page on another origin ({}); refused",
                super::transport::shown(&answer.url),
                super::transport::shown(&url)
            ),
        ));
    }
    Ok(Some(url))
}

/// The target of the first `rel="next"` link of a `Link` header value (RFC 8288).
pub(crate) fn next_link(header: &str) -> Option<&str> {
    header.split(',').find_map(|link| {
        let (target, params) = link.trim().strip_prefix('<')?.split_once('>')?;
        params
            .split(';')
            .filter_map(|param| param.trim().split_once('='))
            .any(|(name, value)| {
                name.trim().eq_ignore_ascii_case("rel")
                    && value
                        .trim()
                        .trim_matches('"')
                        .split_whitespace()
                        .any(|rel| rel.eq_ignore_ascii_case("next"))
            })
            .then_some(target)
    })
}

/// A page as a JSON object with a `manifests` array.
fn listing(body: &[u8]) -> Option<Value> {
    // Checked before the tree is built: a page of tiny entries costs a hundred times its size
    // as a tree. One that fails is not a listing vouch reads.
    vouch_sigstore::check_json(body, crate::lookup::MAX_MANIFEST_COST).ok()?;
    let value: Value = serde_json::from_slice(body).ok()?;
    value.get("manifests")?.as_array()?;
    Some(value)
}

fn entries(listing: &Value) -> usize {
    listing["manifests"].as_array().map_or(0, Vec::len)
}

fn append(merged: &mut Value, mut page: Value) {
    if let (Some(all), Some(more)) = (
        merged.get_mut("manifests").and_then(Value::as_array_mut),
        page.get_mut("manifests").and_then(Value::as_array_mut),
    ) {
        all.append(more);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers() {
        assert_eq!(
            next_link(r#"</v2/a/referrers/sha256:1?n=2&last=x>; rel="next""#),
            Some("/v2/a/referrers/sha256:1?n=2&last=x")
        );
        assert_eq!(
            next_link(r#"<https://r/prev>; rel="prev", <https://r/next>; rel=next"#),
            Some("https://r/next")
        );
        assert_eq!(next_link(r#"<https://r/x>; rel="prev""#), None);
        assert_eq!(next_link("garbage"), None);
        assert_eq!(next_link(""), None);
    }

    #[test]
    fn pages_are_appended_in_order() {
        let mut merged = listing(br#"{"schemaVersion":2,"manifests":[{"digest":"a"}]}"#).unwrap();
        append(
            &mut merged,
            listing(br#"{"manifests":[{"digest":"b"},{"digest":"c"}]}"#).unwrap(),
        );
        assert_eq!(entries(&merged), 3);
        assert_eq!(merged["manifests"][2]["digest"], "c");
        assert!(listing(b"[]").is_none());
        assert!(listing(br#"{"manifests":{}}"#).is_none());
    }
}
