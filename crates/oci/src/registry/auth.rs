//! Authentication as docker and ggcr do it, but reactive: no `/v2/` ping; the first 401 says
//! what the registry wants (`WWW-Authenticate`), remembered per registry, so later requests
//! (other repositories included) authenticate up front. Bearer tokens are cached per
//! registry and scope for their lifetime.

use std::time::Instant;

use base64::Engine as _;
use reqwest::Method;
use reqwest::header::HeaderValue;
use url::Url;

use super::challenge::{Challenge, parse_token_response};
use super::client::Inner;
use super::docker_config::{Credential, Secret};
use super::endpoint::{http_allowed, is_forbidden_target};
use super::error::{RegistryError, RegistryErrorKind};
use super::transport::{Answer, Body, Payload, Request};
use crate::Repository;

/// Most bytes of a token response.
const MAX_TOKEN_RESPONSE: u64 = 1024 * 1024;

/// The `client_id` sent with OAuth 2 refresh-token grants.
const CLIENT_ID: &str = "vouch";

/// What a request does to a repository, and so the token scope it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Access {
    /// Reads (`repository:<name>:pull`).
    Pull,
    /// Uploads and manifest writes (`repository:<name>:pull,push`).
    Push,
}

impl Access {
    fn scope(self, repository: &Repository) -> String {
        match self {
            Self::Pull => format!("repository:{}:pull", repository.name()),
            Self::Push => format!("repository:{}:pull,push", repository.name()),
        }
    }

    fn permission(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "push",
        }
    }
}

/// An `Authorization` header value and what it came from.
pub(crate) struct Authorization {
    pub(crate) header: HeaderValue,
    /// Whether another one may be obtained after a 401 (a token, or a first try).
    pub(crate) renewable: bool,
}

impl Inner {
    /// The `Authorization` for a request to `repository`, from what the registry asked for
    /// before (nothing if it never did), explicit credentials and the credential store.
    pub(crate) async fn authorization(
        &self,
        repository: &Repository,
        access: Access,
    ) -> Result<Option<Authorization>, RegistryError> {
        if let Some(Credential {
            secret: Secret::RegistryToken(token),
            ..
        }) = &self.explicit
        {
            return Ok(Some(Authorization {
                header: bearer(token)?,
                renewable: false,
            }));
        }
        let Some(challenge) = self.challenge(repository.api_host()) else {
            return Ok(None);
        };
        let credential = self.credential(repository).await?;
        match (challenge, credential.as_ref().map(|c| &c.secret)) {
            (_, Some(Secret::RegistryToken(token))) => Ok(Some(Authorization {
                header: bearer(token)?,
                renewable: false,
            })),
            (Challenge::Basic, Some(Secret::Basic { username, password })) => {
                Ok(Some(Authorization {
                    header: basic(username, password)?,
                    renewable: false,
                }))
            }
            (Challenge::Basic, _) => Ok(None),
            (
                Challenge::Bearer {
                    realm,
                    service,
                    scope,
                },
                _,
            ) => {
                let ours = access.scope(repository);
                let key = (repository.api_host().to_owned(), ours.clone());
                if let Some(header) = self.cached_token(&key) {
                    return Ok(Some(Authorization {
                        header,
                        renewable: true,
                    }));
                }
                // The challenge's scope too, if it is about this repository but differs (ggcr
                // merges them likewise); a remembered challenge may be about another one.
                let about_this = format!("repository:{}:", repository.name());
                let mut scopes = vec![ours];
                scopes.extend(scope.filter(|s| s.starts_with(&about_this) && *s != scopes[0]));
                let token = self
                    .fetch_token(
                        repository,
                        &realm,
                        service.as_deref(),
                        &scopes,
                        credential.as_ref(),
                    )
                    .await?;
                let header = bearer(&token.token)?;
                self.cache_token(key, header.clone(), Instant::now() + token.lifetime);
                Ok(Some(Authorization {
                    header,
                    renewable: true,
                }))
            }
        }
    }

    /// The credential for `repository`: explicit ones, else the credential store's (a
    /// helper runs at most once per repository).
    pub(crate) async fn credential(
        &self,
        repository: &Repository,
    ) -> Result<Option<Credential>, RegistryError> {
        if let Some(explicit) = &self.explicit {
            return Ok(Some(explicit.clone()));
        }
        let key = repository.to_string();
        if let Some(known) = self.cached_credential(&key) {
            return Ok(known);
        }
        let found = self
            .store
            .lookup(repository.registry(), repository.name())
            .await?;
        self.cache_credential(key, found.clone());
        Ok(found)
    }

    /// A token from the token service at `realm` (distribution's token authentication, and
    /// OAuth 2 refresh-token grants for identity tokens, as ggcr does).
    async fn fetch_token(
        &self,
        repository: &Repository,
        realm: &str,
        service: Option<&str>,
        scopes: &[String],
        credential: Option<&Credential>,
    ) -> Result<super::challenge::Token, RegistryError> {
        let registry = repository.registry();
        let realm_url = self.checked_realm(registry, realm)?;
        let token_request =
            |method: Method, url: Url, form: Option<String>, authorization| Request {
                method,
                url,
                accept: Some("application/json".to_owned()),
                authorization,
                body: form.map(|form| Body {
                    content_type: "application/x-www-form-urlencoded".to_owned(),
                    payload: Payload::Bytes(form.into_bytes().into()),
                }),
                max_len: MAX_TOKEN_RESPONSE,
                registry_host: None,
                stream_answer: false,
            };
        let get = |authorization: Option<HeaderValue>| {
            let mut url = realm_url.clone();
            {
                let mut query = url.query_pairs_mut();
                if let Some(service) = service {
                    query.append_pair("service", service);
                }
                for scope in scopes {
                    query.append_pair("scope", scope);
                }
            }
            token_request(Method::GET, url, None, authorization)
        };
        let answer = match credential.map(|c| &c.secret) {
            Some(Secret::IdentityToken(token)) => {
                // Built in a block so the serializer (not Send) is gone before any await.
                let body = {
                    let mut form = url::form_urlencoded::Serializer::new(String::new());
                    form.append_pair("grant_type", "refresh_token")
                        .append_pair("refresh_token", token)
                        .append_pair("client_id", CLIENT_ID)
                        .append_pair("scope", &scopes.join(" "));
                    if let Some(service) = service {
                        form.append_pair("service", service);
                    }
                    form.finish()
                };
                let post = token_request(Method::POST, realm_url.clone(), Some(body), None);
                let answer = self.send(&post).await?;
                if answer.status == reqwest::StatusCode::NOT_FOUND {
                    // Not every token server implements OAuth 2 (ggcr falls back the same way).
                    self.send(&get(None)).await?
                } else {
                    answer
                }
            }
            Some(Secret::Basic { username, password }) => {
                self.send(&get(Some(basic(username, password)?))).await?
            }
            _ => self.send(&get(None)).await?,
        };
        let source = credential.map_or("anonymously".to_owned(), |c| {
            format!("with the credentials from {}", c.source)
        });
        match answer.status.as_u16() {
            200 => parse_token_response(&answer.body).map_err(|detail| {
                RegistryError::new(
                    RegistryErrorKind::Protocol,
                    format!("the token service {realm} of {registry}: {detail}"),
                )
            }),
            401 => Err(RegistryError::new(
                RegistryErrorKind::Unauthorized,
                format!(
                    "the token service {realm} of {registry} refused a token for {} {source} ({}); \
                     {}",
                    scopes.join(" "),
                    answer.status_text(),
                    login_advice(registry, credential.is_some())
                ),
            )
            .with_status(401)),
            403 => Err(RegistryError::new(
                RegistryErrorKind::Forbidden,
                format!(
                    "the token service {realm} of {registry} denied {} {source} ({})",
                    scopes.join(" "),
                    answer.status_text()
                ),
            )
            .with_status(403)),
            status => Err(RegistryError::new(
                RegistryErrorKind::UnexpectedStatus,
                format!(
                    "the token service {realm} of {registry} answered {} for {}",
                    answer.status_text(),
                    scopes.join(" ")
                ),
            )
            .with_status(status)),
        }
    }

    /// The realm as a URL we may send credentials to: http(s), HTTP only where allowed and
    /// only for a registry itself reached over HTTP, never a link-local or metadata address
    /// (ggcr refuses those too).
    fn checked_realm(&self, registry: &str, realm: &str) -> Result<Url, RegistryError> {
        let refused = |kind, why: &str| {
            Err(RegistryError::new(
                kind,
                format!(
                    "refusing the token service `{}` named by {registry}: {why}",
                    realm.chars().take(200).collect::<String>()
                ),
            ))
        };
        let Ok(url) = Url::parse(realm) else {
            return refused(RegistryErrorKind::Protocol, "not a URL");
        };
        match url.scheme() {
            "https" => {}
            // Credentials may cross the network in clear text only where the registry itself
            // is reached in clear text: an HTTPS registry never sends them to an HTTP realm.
            "http" if !self.is_plain_http(registry) => {
                return refused(
                    RegistryErrorKind::InsecureRefused,
                    "the registry is reached over HTTPS, and its credentials are never sent to a \
                     token service over plain HTTP (a downgrade anyone on the path could read)",
                );
            }
            "http" if http_allowed(&url, self.allow_http) => {}
            "http" => {
                return refused(
                    RegistryErrorKind::InsecureRefused,
                    "plain HTTP is used only for loopback hosts or when explicitly allowed",
                );
            }
            _ => return refused(RegistryErrorKind::Protocol, "not an http(s) URL"),
        }
        if is_forbidden_target(&url) {
            return refused(
                RegistryErrorKind::InsecureRefused,
                "a link-local or cloud metadata address",
            );
        }
        Ok(url)
    }

    /// The error for a 401 that authentication could not cure.
    pub(crate) async fn unauthorized(
        &self,
        repository: &Repository,
        answer: &Answer,
    ) -> RegistryError {
        let registry = repository.registry();
        let credential = self.credential(repository).await.ok().flatten();
        let message = match &credential {
            Some(credential) => format!(
                "{registry} refused the credentials from {} for {} ({}); {}",
                credential.source,
                repository.name(),
                answer.status_text(),
                login_advice(registry, true)
            ),
            None => format!(
                "{registry} requires authentication for {} ({}) and no credentials were found for \
                 it ({}); {}",
                repository.name(),
                answer.status_text(),
                self.store.searched(),
                login_advice(registry, false)
            ),
        };
        RegistryError::new(RegistryErrorKind::Unauthorized, message).with_status(401)
    }

    /// The error for a 403.
    pub(crate) async fn forbidden(
        &self,
        repository: &Repository,
        access: Access,
        answer: &Answer,
    ) -> RegistryError {
        let registry = repository.registry();
        let credential = self.credential(repository).await.ok().flatten();
        let with = credential.map_or("anonymously".to_owned(), |c| {
            format!("with the credentials from {}", c.source)
        });
        RegistryError::new(
            RegistryErrorKind::Forbidden,
            format!(
                "{registry} denied access to {} {with} ({}); the account may lack {} permission",
                repository.name(),
                answer.status_text(),
                access.permission()
            ),
        )
        .with_status(403)
    }
}

fn login_advice(registry: &str, had_credentials: bool) -> String {
    if had_credentials {
        format!("check `docker login {registry}`, or pass other credentials")
    } else {
        format!("log in with `docker login {registry}`, or pass credentials")
    }
}

fn basic(username: &str, password: &str) -> Result<HeaderValue, RegistryError> {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{username}:{password}"));
    sensitive(&format!("Basic {encoded}"))
}

fn bearer(token: &str) -> Result<HeaderValue, RegistryError> {
    sensitive(&format!("Bearer {token}"))
}

/// A header value marked sensitive (never shown by `Debug`); control characters in a secret
/// are refused.
fn sensitive(value: &str) -> Result<HeaderValue, RegistryError> {
    let mut header = HeaderValue::from_str(value).map_err(|_| {
        RegistryError::new(
            RegistryErrorKind::Credentials,
            "a credential contains characters that cannot be sent in an HTTP header",
        )
    })?;
    header.set_sensitive(true);
    Ok(header)
}
