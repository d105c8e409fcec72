//! Blobs read as a stream (a layer on its way to disk or to another registry): never whole in
//! memory, whatever their size.

use reqwest::{Method, StatusCode};

use super::auth::Access;
use super::client::{RegistryClient, unexpected_status};
use super::error::{RegistryError, RegistryErrorKind};
use super::transport::{Request, shown};
use crate::{OciDigest, Repository};

/// A blob being downloaded: its bytes as they arrive. The caller checks them against the
/// digest (a registry is not trusted to serve what it names).
#[derive(Debug)]
pub struct BlobDownload {
    response: reqwest::Response,
    shown: String,
}

impl BlobDownload {
    /// The length the registry announces, if it does.
    pub fn content_length(&self) -> Option<u64> {
        self.response.content_length()
    }

    /// The next bytes, `None` at the end.
    ///
    /// # Errors
    ///
    /// [`RegistryErrorKind::Network`] if the connection fails or stalls (longer than the
    /// client's timeout between two chunks).
    pub async fn chunk(&mut self) -> Result<Option<bytes::Bytes>, RegistryError> {
        self.response.chunk().await.map_err(|error| {
            let kind = if error.is_timeout() {
                RegistryErrorKind::Timeout
            } else {
                RegistryErrorKind::Network
            };
            RegistryError::new(
                kind,
                format!("GET {} broke off while the blob was read", self.shown),
            )
            .with_source(error.without_url())
        })
    }
}

impl RegistryClient {
    /// Starts reading the blob `digest` of `repository`; `None` if the registry answers 404.
    ///
    /// # Errors
    ///
    /// A [`RegistryError`] for any other answer than 200 and 404, after retries.
    pub async fn download_blob(
        &self,
        repository: &Repository,
        digest: &OciDigest,
    ) -> Result<Option<BlobDownload>, RegistryError> {
        let path = format!("/v2/{}/blobs/{digest}", repository.name());
        let url = self.registry_url(repository, &path)?;
        let answer = self
            .send_authorized(repository, Access::Pull, |authorization| Request {
                method: Method::GET,
                url: url.clone(),
                accept: Some("*/*".to_owned()),
                authorization,
                body: None,
                max_len: u64::MAX,
                registry_host: Some(repository.api_host().to_owned()),
                stream_answer: true,
            })
            .await?;
        match answer.status {
            StatusCode::OK => {
                let shown = shown(&answer.url);
                let response = answer.response.ok_or_else(|| {
                    RegistryError::new(
                        RegistryErrorKind::Protocol,
                        format!("GET {shown} answered 200 without a body"),
                    )
                })?;
                Ok(Some(BlobDownload { response, shown }))
            }
            StatusCode::NOT_FOUND => Ok(None),
            _ => Err(unexpected_status(&Method::GET, &answer, "200 or 404")),
        }
    }
}
