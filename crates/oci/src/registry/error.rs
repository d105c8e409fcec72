//! The registry driver's error: opaque, with a kind to match on and a message that says what
//! was expected, what was found and what to try.

use std::fmt;

/// What went wrong talking to a registry. Match on this, not on messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RegistryErrorKind {
    /// The connection failed (DNS, refused, reset), after retries.
    Network,
    /// No answer within the timeout, after retries.
    Timeout,
    /// The TLS handshake failed: an untrusted or invalid certificate, or no TLS at all.
    Tls,
    /// A target was refused as unsafe: plain HTTP where it is not allowed (a registry
    /// without TLS, a redirect from HTTPS to HTTP, a token service over HTTP), or a
    /// link-local or cloud metadata address as token service or redirect target.
    InsecureRefused,
    /// 401: the registry or its token service refused the credentials, or wants some and
    /// none were found.
    Unauthorized,
    /// 403: the credentials were accepted but do not grant access.
    Forbidden,
    /// 429 after every retry.
    Throttled,
    /// 5xx after every retry.
    ServerError,
    /// Another unexpected status (400, 405, …).
    UnexpectedStatus,
    /// A redirect that is not followed: too many hops, no or a malformed `Location`.
    Redirect,
    /// The registry or its token service answered something malformed (a challenge, a token
    /// response).
    Protocol,
    /// A credential file or credential helper failed.
    Credentials,
    /// The options are unusable (a CA certificate that does not parse).
    Configuration,
}

/// An error of the registry driver. Transport failures never look like "no signatures": the
/// lookup stops with this error.
#[derive(Debug)]
pub struct RegistryError {
    kind: RegistryErrorKind,
    status: Option<u16>,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

impl RegistryError {
    pub(crate) fn new(kind: RegistryErrorKind, message: impl Into<String>) -> Self {
        Self {
            kind,
            status: None,
            message: message.into(),
            source: None,
        }
    }

    #[must_use]
    pub(crate) fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    #[must_use]
    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Self {
        self.source = Some(Box::new(source));
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> RegistryErrorKind {
        self.kind
    }

    /// The HTTP status of the answer that caused the error, if there was one.
    pub fn status(&self) -> Option<u16> {
        self.status
    }
}

impl fmt::Display for RegistryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for RegistryError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}
