//! Entry points for the fuzz targets in `fuzz/`: the parsers of what a registry, a token
//! service or a credential file sends, which are private to the driver. Not an API: hidden from
//! the documentation, and may change with any release.

use super::{challenge, docker_config, pages};

/// `WWW-Authenticate` headers, as the driver reads a 401: the challenge it would answer.
pub fn www_authenticate<'a>(headers: impl IntoIterator<Item = &'a str>) -> Option<String> {
    challenge::parse_challenges(headers).map(|c| format!("{c:?}"))
}

/// A token service's answer: whether it yields a token.
pub fn token_response(body: &[u8]) -> bool {
    challenge::parse_token_response(body).is_ok()
}

/// A `Link` header value: the target of its `rel="next"` link.
pub fn link_next(header: &str) -> Option<&str> {
    pages::next_link(header)
}

/// A docker `config.json` / podman `auth.json`: the number of `auths` entries that yield a
/// credential (entries that do not decode are errors, counted out).
pub fn docker_config(bytes: &[u8]) -> Option<usize> {
    docker_config::fuzz_entries(bytes)
}
