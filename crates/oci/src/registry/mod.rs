//! The async registry driver (feature `registry`): performs the lookup's [`crate::Fetch`]es
//! over HTTPS with docker-compatible authentication, and attaches signatures (`vouch sign`:
//! blob uploads and manifest PUTs, never a delete). Every decision about
//! the bytes stays in the pure [`crate::SignatureLookup`].
//!
//! * HTTPS by default; plain HTTP only to hosts that do not speak TLS and are loopback or
//!   explicitly allowed ([`RegistryOptions::allow_http`]); never a silent downgrade.
//! * Authentication on demand, no `/v2/` ping: the first 401's challenge is answered (HTTP
//!   Basic, or a bearer token from the named token service, anonymous or with credentials,
//!   identity tokens through an OAuth 2 refresh grant), then remembered per registry; tokens
//!   are cached per registry and scope. Credentials come from [`Credentials`] given
//!   explicitly, else docker's `config.json` / podman's `auth.json` and credential helpers.
//! * Redirects (registries send blobs to storage) are followed by hand: credentials never
//!   go to another host, HTTPS never turns into HTTP, link-local targets are refused.
//! * Bodies are streamed and abandoned past [`crate::Fetch::max_len`].
//! * A paginated referrers listing (`Link: <…>; rel="next"`, same origin only) is followed and
//!   handed to the lookup as one index, up to 32 pages or [`crate::MAX_REFERRERS`] entries.
//! * 408, 429 and 5xx answers and connection failures are retried with exponential backoff
//!   and jitter, honouring `Retry-After`. A 404 is an answer ([`FetchStatus::NotFound`]),
//!   everything else an error ([`RegistryError`]) that never looks like "no signatures".

mod auth;
mod challenge;
mod client;
mod docker_config;
mod download;
mod endpoint;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod options;
mod pages;
mod push;
mod retry;
mod sign;
mod tls;
mod transport;

pub use client::{FetchStatus, FetchedBody, LookupFailure, RegistryClient};
pub use download::BlobDownload;
pub use error::{RegistryError, RegistryErrorKind};
pub use options::{
    Credentials, DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RETRY_BACKOFF, DEFAULT_TIMEOUT, RegistryOptions,
};
pub use push::{BlobPush, PutManifest};
pub use sign::{AttachOutcome, Attached};
pub(crate) use transport::StreamFault;
pub use transport::{BlobBody, ByteStream};
