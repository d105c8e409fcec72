//! `WWW-Authenticate` challenges (RFC 9110 11.6.1) as registries send them, and the token
//! service's answer (distribution's token authentication specification).

use std::time::Duration;

use serde::Deserialize;

/// What a registry asked for in its 401.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Challenge {
    /// `Basic realm="…"`: send the user name and password with every request.
    Basic,
    /// `Bearer realm="…",service="…",scope="…"`: get a token from `realm`.
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

/// The challenge to answer among those in the `WWW-Authenticate` headers: Bearer if offered
/// (it does not send the password to the registry), else Basic. `None` if neither is there.
pub(crate) fn parse_challenges<'a>(
    headers: impl IntoIterator<Item = &'a str>,
) -> Option<Challenge> {
    let mut basic = false;
    for header in headers {
        for (scheme, params) in split_challenges(header) {
            if scheme.eq_ignore_ascii_case("bearer") {
                let get = |name: &str| {
                    params
                        .iter()
                        .find(|(key, _)| key.eq_ignore_ascii_case(name))
                        .map(|(_, value)| value.clone())
                };
                if let Some(realm) = get("realm") {
                    return Some(Challenge::Bearer {
                        realm,
                        service: get("service"),
                        scope: get("scope"),
                    });
                }
            } else if scheme.eq_ignore_ascii_case("basic") {
                basic = true;
            }
        }
    }
    basic.then_some(Challenge::Basic)
}

/// Splits one header into challenges: `scheme param=value, param="quoted, value", scheme2 …`.
fn split_challenges(header: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut challenges: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut rest = header.trim();
    while !rest.is_empty() {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_whitespace());
        let token_end = rest
            .find(|c: char| c == '=' || c == ',' || c.is_whitespace())
            .unwrap_or(rest.len());
        let token = &rest[..token_end];
        if token.is_empty() {
            // Stray '=' (or the end): skip a character, so that the loop always advances.
            let skip = rest.chars().next().map_or(0, char::len_utf8);
            rest = &rest[skip..];
            continue;
        }
        let after = rest[token_end..].trim_start_matches(|c: char| c.is_whitespace());
        if let Some(value_start) = after.strip_prefix('=')
            && !value_start.starts_with('=')
        {
            // An auth-param of the current challenge.
            let (value, remaining) = parse_value(value_start.trim_start());
            if let Some((_, params)) = challenges.last_mut() {
                params.push((token.to_owned(), value));
            }
            rest = remaining;
        } else {
            // A new challenge (its scheme), possibly followed by a token68 (`Negotiate abc==`),
            // which no registry challenge uses: skipped.
            challenges.push((token.to_owned(), Vec::new()));
            rest = after;
            let word_end = rest
                .find(|c: char| c == ',' || c.is_whitespace())
                .unwrap_or(rest.len());
            let word = &rest[..word_end];
            if !word.trim_end_matches('=').contains('=') && !word.contains('"') {
                rest = &rest[word_end..];
            }
        }
    }
    challenges
}

/// A token or quoted-string value, and what follows it.
fn parse_value(text: &str) -> (String, &str) {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, escaped)) = chars.next() {
                        value.push(escaped);
                    }
                }
                '"' => return (value, &quoted[i + 1..]),
                _ => value.push(c),
            }
        }
        (value, "")
    } else {
        let end = text
            .find(|c: char| c == ',' || c.is_whitespace())
            .unwrap_or(text.len());
        (text[..end].to_owned(), &text[end..])
    }
}

/// A token service's answer: `token` (distribution) or `access_token` (OAuth 2), with its
/// lifetime.
#[derive(Deserialize)]
struct TokenResponse {
    token: Option<String>,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

/// A bearer token and how long it may be cached.
pub(crate) struct Token {
    pub(crate) token: String,
    pub(crate) lifetime: Duration,
}

/// Default token lifetime when the service does not say (the token specification's 60 s).
const DEFAULT_TOKEN_LIFETIME: u64 = 60;

/// Parses a token response; the error says what was wrong, never the token.
pub(crate) fn parse_token_response(body: &[u8]) -> Result<Token, String> {
    let response: TokenResponse = serde_json::from_slice(body)
        .map_err(|e| format!("the answer is not a token response ({e})"))?;
    let token = response
        .token
        .filter(|t| !t.is_empty())
        .or(response.access_token.filter(|t| !t.is_empty()))
        .ok_or("the answer has neither `token` nor `access_token`")?;
    let seconds = response.expires_in.unwrap_or(DEFAULT_TOKEN_LIFETIME);
    // Renew a little early, so that a token does not expire in flight.
    let lifetime = Duration::from_secs(seconds.saturating_sub(seconds / 10));
    Ok(Token { token, lifetime })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bearer(realm: &str, service: Option<&str>, scope: Option<&str>) -> Option<Challenge> {
        Some(Challenge::Bearer {
            realm: realm.into(),
            service: service.map(Into::into),
            scope: scope.map(Into::into),
        })
    }

    #[test]
    fn docker_hub_challenge() {
        let header = r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#;
        assert_eq!(
            parse_challenges([header]),
            bearer(
                "https://auth.docker.io/token",
                Some("registry.docker.io"),
                Some("repository:library/alpine:pull")
            )
        );
    }

    #[test]
    fn unquoted_spaces_and_case() {
        let header = "bearer  Realm=https://ghcr.io/token , service=ghcr.io";
        assert_eq!(
            parse_challenges([header]),
            bearer("https://ghcr.io/token", Some("ghcr.io"), None)
        );
    }

    #[test]
    fn quoted_commas_and_escapes() {
        let header =
            r#"Bearer realm="https://a.example/t",scope="repository:a:pull,push",service="x\"y""#;
        assert_eq!(
            parse_challenges([header]),
            bearer(
                "https://a.example/t",
                Some("x\"y"),
                Some("repository:a:pull,push")
            )
        );
    }

    #[test]
    fn basic_and_several_challenges() {
        assert_eq!(
            parse_challenges([r#"Basic realm="Registry Realm""#]),
            Some(Challenge::Basic)
        );
        assert_eq!(
            parse_challenges([r#"Basic realm="r", Bearer realm="https://t.example/""#]),
            bearer("https://t.example/", None, None)
        );
        assert_eq!(
            parse_challenges(["Negotiate abc==", r#"Bearer realm="https://t.example/""#]),
            bearer("https://t.example/", None, None)
        );
        assert_eq!(parse_challenges(["Negotiate"]), None);
        assert_eq!(parse_challenges([""]), None);
        assert_eq!(parse_challenges(["Bearer service=x"]), None);
    }

    #[test]
    fn token_responses() {
        let t = parse_token_response(br#"{"token":"abc","expires_in":300}"#).unwrap();
        assert_eq!(
            (t.token.as_str(), t.lifetime),
            ("abc", Duration::from_secs(270))
        );
        let t = parse_token_response(br#"{"access_token":"xyz"}"#).unwrap();
        assert_eq!(
            (t.token.as_str(), t.lifetime),
            ("xyz", Duration::from_secs(54))
        );
        let t = parse_token_response(br#"{"token":"","access_token":"xyz"}"#).unwrap();
        assert_eq!(t.token, "xyz");
        assert!(parse_token_response(b"{}").is_err());
        assert!(parse_token_response(b"<html>").is_err());
    }
}
