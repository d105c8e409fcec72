//! Writes: blob uploads (`HEAD` to skip what is there, then `POST` + `PUT` as a monolithic
//! upload, which every distribution-spec registry takes) and manifest `PUT`s, authenticated
//! with push scope. Nothing is deleted, ever.

use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use url::Url;

use super::auth::Access;
use super::client::{RegistryClient, unexpected_status};
use super::endpoint::same_origin;
use super::error::{RegistryError, RegistryErrorKind};
use super::transport::{BlobBody, Body, Payload, Request};
use crate::attach::Content;
use crate::{OciDigest, Repository};

/// What a manifest `PUT` answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutManifest {
    /// `OCI-Subject`: present when the registry has the referrers API and indexed the
    /// manifest's subject, so no tag-schema fallback index is needed.
    pub oci_subject: Option<String>,
}

/// What [`RegistryClient::push_blob_stream`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BlobPush {
    /// The blob was uploaded.
    Uploaded,
    /// The repository had it already; nothing was sent.
    AlreadyThere,
}

impl RegistryClient {
    /// Uploads `blob` to `repository` unless it is there already.
    ///
    /// # Errors
    ///
    /// A [`RegistryError`] if the registry refuses (401/403: the credentials lack push
    /// permission) or answers anything the distribution spec does not allow.
    pub async fn push_blob(
        &self,
        repository: &Repository,
        blob: &Content,
    ) -> Result<(), RegistryError> {
        if self.has_blob(repository, blob.digest()).await? {
            return Ok(());
        }
        let payload = Payload::Bytes(bytes::Bytes::copy_from_slice(blob.bytes()));
        self.upload(repository, blob.digest(), payload).await
    }

    /// Uploads the `len` bytes `open` streams as the blob `digest`, unless the repository has
    /// it already (so a copy cut short resumes where it stopped). Each attempt opens the
    /// stream anew; the registry checks the bytes against `digest` (`PUT …?digest=`).
    ///
    /// # Errors
    ///
    /// As [`Self::push_blob`]; a stream that fails fails the upload.
    pub async fn push_blob_stream(
        &self,
        repository: &Repository,
        digest: &OciDigest,
        len: u64,
        open: BlobBody,
    ) -> Result<BlobPush, RegistryError> {
        if self.has_blob(repository, digest).await? {
            return Ok(BlobPush::AlreadyThere);
        }
        self.upload(repository, digest, Payload::Stream { len, open })
            .await?;
        Ok(BlobPush::Uploaded)
    }

    /// Whether `repository` holds the blob `digest` (`HEAD`, with push access: what is
    /// asked before an upload).
    ///
    /// # Errors
    ///
    /// A [`RegistryError`] for any answer but 200 and 404.
    pub async fn has_blob(
        &self,
        repository: &Repository,
        digest: &OciDigest,
    ) -> Result<bool, RegistryError> {
        let path = format!("/v2/{}/blobs/{digest}", repository.name());
        let url = self.registry_url(repository, &path)?;
        let head = self
            .send_authorized(repository, Access::Push, |authorization| {
                request(Method::HEAD, url.clone(), authorization, None, repository)
            })
            .await?;
        match head.status {
            StatusCode::OK => Ok(true),
            StatusCode::NOT_FOUND => Ok(false),
            _ => Err(unexpected_status(&Method::HEAD, &head, "200 or 404")),
        }
    }

    /// `POST` to start an upload, then one `PUT` with the whole body (a monolithic upload).
    async fn upload(
        &self,
        repository: &Repository,
        digest: &OciDigest,
        payload: Payload,
    ) -> Result<(), RegistryError> {
        let uploads = self.registry_url(
            repository,
            &format!("/v2/{}/blobs/uploads/", repository.name()),
        )?;
        let started = self
            .send_authorized(repository, Access::Push, |authorization| {
                request(
                    Method::POST,
                    uploads.clone(),
                    authorization,
                    None,
                    repository,
                )
            })
            .await?;
        if started.status != StatusCode::ACCEPTED {
            return Err(unexpected_status(&Method::POST, &started, "202"));
        }
        let location = upload_location(&started.url, started.location.as_deref())?;
        let mut put = location;
        put.query_pairs_mut()
            .append_pair("digest", &digest.to_string());
        let body = Body {
            content_type: "application/octet-stream".to_owned(),
            payload,
        };
        let done = self
            .send_authorized(repository, Access::Push, |authorization| {
                request(
                    Method::PUT,
                    put.clone(),
                    authorization,
                    Some(body.clone()),
                    repository,
                )
            })
            .await?;
        if done.status != StatusCode::CREATED {
            return Err(unexpected_status(&Method::PUT, &done, "201"));
        }
        check_digest(
            done.docker_content_digest.as_deref(),
            &digest.to_string(),
            "blob",
        )
    }

    /// Puts `manifest` under `reference` (a tag, or its own digest) in `repository`.
    ///
    /// # Errors
    ///
    /// A [`RegistryError`] if the registry refuses or stores it under another digest.
    pub async fn put_manifest(
        &self,
        repository: &Repository,
        reference: &str,
        manifest: &Content,
    ) -> Result<PutManifest, RegistryError> {
        let path = format!("/v2/{}/manifests/{reference}", repository.name());
        let url = self.registry_url(repository, &path)?;
        let body = Body {
            content_type: manifest.media_type().to_owned(),
            payload: Payload::Bytes(bytes::Bytes::copy_from_slice(manifest.bytes())),
        };
        let answer = self
            .send_authorized(repository, Access::Push, |authorization| {
                request(
                    Method::PUT,
                    url.clone(),
                    authorization,
                    Some(body.clone()),
                    repository,
                )
            })
            .await?;
        if answer.status != StatusCode::CREATED {
            return Err(unexpected_status(&Method::PUT, &answer, "201"));
        }
        check_digest(
            answer.docker_content_digest.as_deref(),
            &manifest.digest().to_string(),
            "manifest",
        )?;
        Ok(PutManifest {
            oci_subject: answer.oci_subject,
        })
    }
}

fn request(
    method: Method,
    url: Url,
    authorization: Option<HeaderValue>,
    body: Option<Body>,
    repository: &Repository,
) -> Request {
    Request {
        method,
        url,
        // Writes answer with an empty body or an error document: nothing to negotiate.
        accept: None,
        authorization,
        body,
        max_len: 0,
        registry_host: Some(repository.api_host().to_owned()),
        stream_answer: false,
    }
}

/// Where an upload continues: the `Location` of the `POST`'s answer, relative or absolute,
/// on the registry's own origin (credentials are not sent elsewhere, so an upload cannot go
/// elsewhere either).
fn upload_location(asked: &Url, location: Option<&str>) -> Result<Url, RegistryError> {
    let protocol = |detail: String| RegistryError::new(RegistryErrorKind::Protocol, detail);
    let location = location.ok_or_else(|| {
        protocol(format!(
            "POST {} started an upload (202) without a Location header",
            super::transport::shown(asked)
        ))
    })?;
    let url = asked.join(location).map_err(|_| {
        protocol(format!(
            "the upload Location `{}` is not a URL",
            location.chars().take(200).collect::<String>()
        ))
    })?;
    if !same_origin(&url, asked) {
        return Err(RegistryError::new(
            RegistryErrorKind::InsecureRefused,
            format!(
                "the registry {} sent the upload to another origin ({}); vouch uploads only to \
                 the registry it authenticated with",
                super::transport::shown(asked),
                super::transport::shown(&url)
            ),
        ));
    }
    Ok(url)
}

/// A `Docker-Content-Digest` in a write's answer must be the digest written.
fn check_digest(header: Option<&str>, expected: &str, what: &str) -> Result<(), RegistryError> {
    match header {
        Some(found) if found != expected => Err(RegistryError::new(
            RegistryErrorKind::Protocol,
            format!(
                "the registry stored the {what} as {}, not {expected}: it (or a proxy in \
                 between) changed the bytes, so a signature stored there would not match; push \
                 to the registry directly",
                found.chars().take(200).collect::<String>()
            ),
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_stay_on_the_registry() {
        let asked = Url::parse("https://r.example/v2/a/blobs/uploads/").unwrap();
        let relative = upload_location(&asked, Some("/v2/a/blobs/uploads/u1?_state=x")).unwrap();
        assert_eq!(
            relative.as_str(),
            "https://r.example/v2/a/blobs/uploads/u1?_state=x"
        );
        assert!(upload_location(&asked, Some("https://other.example/u")).is_err());
        assert!(upload_location(&asked, Some("http://r.example/u")).is_err());
        assert!(upload_location(&asked, None).is_err());
    }

    #[test]
    fn a_changed_digest_is_an_error() {
        assert!(check_digest(None, "sha256:a", "blob").is_ok());
        assert!(check_digest(Some("sha256:a"), "sha256:a", "blob").is_ok());
        assert!(check_digest(Some("sha256:b"), "sha256:a", "blob").is_err());
    }
}
