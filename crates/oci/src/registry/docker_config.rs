//! Credentials as docker, podman and cosign find them: a docker `config.json` or podman
//! `auth.json` (`auths`, `credHelpers`, `credsStore`) and `docker-credential-<helper>`
//! programs.
//!
//! Written here rather than taken from the `docker_credential` crate (see
//! docs/dependencies.md, "Registry client"): that crate reads the environment itself, runs
//! helpers synchronously with no timeout and the inherited `PATH`, prints passwords in
//! `Debug`, knows neither `registrytoken` nor podman's per-repository keys, treats a helper's
//! "credentials not found" as an error, and pulls a second `base64`.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine as _;
use serde::Deserialize;
use tokio::io::AsyncWriteExt as _;

use super::error::{RegistryError, RegistryErrorKind};
use crate::DOCKER_HUB;

/// The key docker uses for Docker Hub in `auths` and when asking credential helpers.
const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// A secret for one registry, with where it came from (for messages; never the secret).
#[derive(Clone)]
pub(crate) struct Credential {
    pub(crate) secret: Secret,
    pub(crate) source: String,
}

impl fmt::Debug for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credential")
            .field("secret", &"<redacted>")
            .field("source", &self.source)
            .finish()
    }
}

/// The kinds of secret docker configurations hold.
#[derive(Clone)]
pub(crate) enum Secret {
    /// User name and password (HTTP Basic, also towards token services).
    Basic { username: String, password: String },
    /// An OAuth 2 refresh token (`identitytoken`, or a helper's `<token>` user name):
    /// exchanged for an access token with `grant_type=refresh_token`.
    IdentityToken(String),
    /// A registry bearer token, sent as is (`registrytoken`, `--registry-token`).
    RegistryToken(String),
}

/// docker's `config.json` / podman's `auth.json`, the parts that concern credentials.
#[derive(Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: HashMap<String, AuthEntry>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: HashMap<String, String>,
}

#[derive(Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
    #[serde(default)]
    registrytoken: Option<String>,
}

impl fmt::Debug for AuthEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthEntry(<redacted>)")
    }
}

/// The credential file in use (the first candidate that exists) and how to run helpers.
#[derive(Debug)]
pub(crate) struct CredentialStore {
    file: Option<(PathBuf, ConfigFile)>,
    candidates: Vec<PathBuf>,
    helper_path: Option<OsString>,
    timeout: Duration,
}

impl CredentialStore {
    /// Reads the first of `candidates` that exists.
    ///
    /// # Errors
    ///
    /// [`RegistryErrorKind::Credentials`] if that file cannot be read or parsed.
    pub(crate) fn load(
        candidates: &[PathBuf],
        helper_path: Option<OsString>,
        timeout: Duration,
    ) -> Result<Self, RegistryError> {
        let mut file = None;
        for path in candidates {
            let text = match std::fs::read(path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => {
                    return Err(RegistryError::new(
                        RegistryErrorKind::Credentials,
                        format!("cannot read the credential file {}", path.display()),
                    )
                    .with_source(e));
                }
            };
            let config = parse_config(&text).map_err(|e| {
                RegistryError::new(
                    RegistryErrorKind::Credentials,
                    format!(
                        "the credential file {} is not a docker config.json or podman auth.json",
                        path.display()
                    ),
                )
                .with_source(e)
            })?;
            file = Some((path.clone(), config));
            break;
        }
        Ok(Self {
            file,
            candidates: candidates.to_vec(),
            helper_path,
            timeout,
        })
    }

    /// Where credentials were looked for, for messages: the file used, or the candidates.
    pub(crate) fn searched(&self) -> String {
        match (&self.file, self.candidates.as_slice()) {
            (Some((path, _)), _) => path.display().to_string(),
            (None, []) => "no credential file configured".to_owned(),
            (None, candidates) => format!(
                "no credential file found; looked for {}",
                candidates
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The credential for `registry` (as in references: `docker.io`, `host:port`) and
    /// repository `name`, the way docker resolves it: a credential helper named for the
    /// registry in `credHelpers`, else the `credsStore` helper; if the helper has nothing for
    /// it, or there is none, the `auths` entry, the most specific key first (podman accepts
    /// `registry/namespace/repo` keys).
    ///
    /// # Errors
    ///
    /// [`RegistryErrorKind::Credentials`] if a helper cannot be run, fails, or answers
    /// something malformed, or an `auth` field does not decode.
    pub(crate) async fn lookup(
        &self,
        registry: &str,
        name: &str,
    ) -> Result<Option<Credential>, RegistryError> {
        let Some((path, config)) = &self.file else {
            return Ok(None);
        };
        let registry = normalize_registry(registry);
        let helper = config
            .cred_helpers
            .iter()
            .filter(|(key, helper)| normalize_key(key) == registry && !helper.is_empty())
            .min_by_key(|(key, _)| key.as_str())
            .map(|(_, helper)| (helper, "credHelpers"))
            .or_else(|| {
                config
                    .creds_store
                    .as_ref()
                    .filter(|h| !h.is_empty())
                    .map(|h| (h, "credsStore"))
            });
        if let Some((helper, field)) = helper {
            let server = if registry == DOCKER_HUB {
                DOCKER_HUB_KEY
            } else {
                registry
            };
            let source = format!(
                "credential helper docker-credential-{helper} ({field} in {})",
                path.display()
            );
            if let Some(secret) = self.run_helper(helper, server, &source).await? {
                return Ok(Some(Credential { secret, source }));
            }
        }
        // Most specific key first: registry/a/b/c, registry/a/b, registry/a, registry.
        let mut scope = format!("{registry}/{name}");
        loop {
            let mut keys: Vec<&String> = config
                .auths
                .keys()
                .filter(|key| normalize_key(key) == scope)
                .collect();
            keys.sort();
            for key in keys {
                let source = format!("auths[\"{key}\"] in {}", path.display());
                if let Some(secret) = entry_secret(&config.auths[key], &source)? {
                    return Ok(Some(Credential { secret, source }));
                }
            }
            match scope.rsplit_once('/') {
                Some((parent, _)) => scope = parent.to_owned(),
                None => return Ok(None),
            }
        }
    }

    /// Runs `docker-credential-<helper> get` with `server` on stdin (docker's protocol).
    /// `None` when the helper has no credential for it.
    async fn run_helper(
        &self,
        helper: &str,
        server: &str,
        source: &str,
    ) -> Result<Option<Secret>, RegistryError> {
        let program = format!("docker-credential-{helper}");
        let command = match &self.helper_path {
            Some(path) => find_program(&program, path).ok_or_else(|| {
                RegistryError::new(
                    RegistryErrorKind::Credentials,
                    format!(
                        "{program} was not found in the helper search path; install it, or remove \
                         it from the credential file ({source})"
                    ),
                )
            })?,
            None => PathBuf::from(&program),
        };
        let failed = |what: String| RegistryError::new(RegistryErrorKind::Credentials, what);
        let mut child = tokio::process::Command::new(&command)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| {
                failed(format!(
                    "cannot run {program}; install it, or remove it from the credential file ({source})"
                ))
                .with_source(e)
            })?;
        if let Some(mut stdin) = child.stdin.take() {
            // A helper that exits without reading is reported by its exit status below.
            let _ = stdin.write_all(server.as_bytes()).await;
        }
        let output = tokio::time::timeout(self.timeout, child.wait_with_output())
            .await
            .map_err(|_| {
                failed(format!(
                    "{program} did not answer within {} s ({source})",
                    self.timeout.as_secs()
                ))
            })?
            .map_err(|e| failed(format!("running {program} ({source})")).with_source(e))?;
        if !output.status.success() {
            let said = first_line(&output.stdout, &output.stderr);
            // docker's credentials package: "credentials not found in native keychain".
            if said.to_ascii_lowercase().contains("credentials not found") {
                return Ok(None);
            }
            return Err(failed(format!(
                "{program} failed for {server} ({}): {said}",
                output.status
            )));
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase")]
        struct HelperAnswer {
            #[serde(default)]
            username: String,
            #[serde(default)]
            secret: String,
        }
        let answer: HelperAnswer = serde_json::from_slice(&output.stdout).map_err(|e| {
            failed(format!(
                "{program} answered something other than {{\"Username\": …, \"Secret\": …}} for {server}"
            ))
            .with_source(e)
        })?;
        Ok(match (answer.username.as_str(), answer.secret) {
            (_, secret) if secret.is_empty() => None,
            ("<token>", token) => Some(Secret::IdentityToken(token)),
            (_, password) => Some(Secret::Basic {
                username: answer.username,
                password,
            }),
        })
    }
}

/// For the `docker_config` fuzz target: parses `text` and reads every `auths` entry as
/// [`CredentialStore::lookup`] does; the number that yield a credential.
pub(crate) fn fuzz_entries(text: &[u8]) -> Option<usize> {
    let config = parse_config(text).ok()?;
    let found = config
        .auths
        .iter()
        .filter(|(key, entry)| {
            let _normalized = normalize_key(key);
            matches!(entry_secret(entry, key), Ok(Some(_)))
        })
        .count();
    Some(found)
}

fn parse_config(text: &[u8]) -> Result<ConfigFile, serde_json::Error> {
    // An empty file is how some tools leave a config after `logout`.
    if text.iter().all(u8::is_ascii_whitespace) {
        return Ok(ConfigFile::default());
    }
    serde_json::from_slice(text)
}

/// The secret of one `auths` entry; `None` for an empty entry (docker writes `{}` entries
/// for registries whose credentials are in a helper).
fn entry_secret(entry: &AuthEntry, source: &str) -> Result<Option<Secret>, RegistryError> {
    let non_empty = |v: &Option<String>| v.as_ref().filter(|v| !v.is_empty()).cloned();
    if let Some(token) = non_empty(&entry.registrytoken) {
        return Ok(Some(Secret::RegistryToken(token)));
    }
    let decoded = match non_empty(&entry.auth) {
        Some(auth) => Some(decode_auth(&auth).ok_or_else(|| {
            RegistryError::new(
                RegistryErrorKind::Credentials,
                format!("the `auth` field of {source} is not base64 of `user:password`"),
            )
        })?),
        None => None,
    };
    if let Some(token) = non_empty(&entry.identitytoken) {
        return Ok(Some(Secret::IdentityToken(token)));
    }
    if let Some((username, password)) = decoded {
        return Ok(Some(Secret::Basic { username, password }));
    }
    match (non_empty(&entry.username), non_empty(&entry.password)) {
        (Some(username), Some(password)) => Ok(Some(Secret::Basic { username, password })),
        _ => Ok(None),
    }
}

/// `base64(user:password)`, padded or not.
fn decode_auth(auth: &str) -> Option<(String, String)> {
    let engine = base64::engine::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new()
            .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine.decode(auth.trim()).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_owned(), password.to_owned()))
}

/// A config key as a registry (or `registry/path`): docker's legacy keys carry a scheme and
/// a path (`https://index.docker.io/v1/`), which are dropped; Docker Hub's aliases become
/// `docker.io`.
fn normalize_key(key: &str) -> String {
    let (stripped, had_scheme) = match key
        .strip_prefix("https://")
        .or_else(|| key.strip_prefix("http://"))
    {
        Some(rest) => (rest, true),
        None => (key, false),
    };
    let stripped = stripped.trim_end_matches('/');
    let (host, path) = match stripped.split_once('/') {
        Some((host, _)) if had_scheme => (host, None),
        Some((host, path)) => (host, Some(path)),
        None => (stripped, None),
    };
    let host = normalize_registry(host);
    match path {
        Some(path) => format!("{host}/{path}"),
        None => host.to_owned(),
    }
}

fn normalize_registry(registry: &str) -> &str {
    match registry {
        "index.docker.io" | "registry-1.docker.io" | "docker.io" => DOCKER_HUB,
        other => other,
    }
}

/// `program` in one of the directories of `path` (`PATH` syntax).
fn find_program(program: &str, path: &OsString) -> Option<PathBuf> {
    std::env::split_paths(path).find_map(|dir| {
        let candidates = [dir.join(program), dir.join(format!("{program}.exe"))];
        candidates.into_iter().find(|c| is_file(c))
    })
}

fn is_file(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.is_file())
}

/// The helper's first non-empty line of output (helpers print errors to stdout), cut short:
/// enough to say what went wrong, too little to leak much.
fn first_line(stdout: &[u8], stderr: &[u8]) -> String {
    let text = [stdout, stderr]
        .into_iter()
        .map(String::from_utf8_lossy)
        .find_map(|t| {
            t.lines()
                .map(str::trim)
                .find(|l| !l.is_empty())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "no output".to_owned());
    text.chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> ConfigFile {
        parse_config(json.as_bytes()).unwrap()
    }

    fn store(json: &str) -> CredentialStore {
        CredentialStore {
            file: Some((PathBuf::from("/cfg/config.json"), config(json))),
            candidates: vec![PathBuf::from("/cfg/config.json")],
            helper_path: Some(OsString::new()),
            timeout: Duration::from_secs(5),
        }
    }

    fn basic(c: Option<Credential>) -> (String, String, String) {
        let c = c.expect("a credential");
        match c.secret {
            Secret::Basic { username, password } => (username, password, c.source),
            _ => panic!("not basic"),
        }
    }

    #[test]
    fn keys_normalise_like_docker() {
        assert_eq!(normalize_key("https://index.docker.io/v1/"), "docker.io");
        assert_eq!(normalize_key("index.docker.io"), "docker.io");
        assert_eq!(normalize_key("http://127.0.0.1:5000"), "127.0.0.1:5000");
        assert_eq!(normalize_key("https://ghcr.io/v2/"), "ghcr.io");
        assert_eq!(normalize_key("quay.io/org/app"), "quay.io/org/app");
        assert_eq!(
            normalize_key("docker.io/library/alpine"),
            "docker.io/library/alpine"
        );
    }

    #[tokio::test]
    async fn auths_by_host_and_by_repository() {
        let s = store(
            r#"{"auths": {
                "https://index.docker.io/v1/": {"auth": "aHViOnNlY3JldA=="},
                "quay.io": {"username": "u", "password": "p"},
                "quay.io/org": {"auth": "b3JnOm9yZ3Bhc3M"},
                "empty.example": {}
            }}"#,
        );
        let (user, pass, source) = basic(s.lookup("docker.io", "library/alpine").await.unwrap());
        assert_eq!((user.as_str(), pass.as_str()), ("hub", "secret"));
        assert_eq!(
            source,
            r#"auths["https://index.docker.io/v1/"] in /cfg/config.json"#
        );
        let (user, _, _) = basic(s.lookup("quay.io", "other/app").await.unwrap());
        assert_eq!(user, "u");
        let (user, pass, _) = basic(s.lookup("quay.io", "org/team/app").await.unwrap());
        assert_eq!((user.as_str(), pass.as_str()), ("org", "orgpass"));
        assert!(s.lookup("empty.example", "x").await.unwrap().is_none());
        assert!(s.lookup("ghcr.io", "x").await.unwrap().is_none());
    }

    #[tokio::test]
    async fn tokens_in_auths() {
        let s = store(
            r#"{"auths": {
                "acr.example": {"username": "00000000-0000-0000-0000-000000000000", "identitytoken": "refresh"},
                "tok.example": {"registrytoken": "bearer"}
            }}"#,
        );
        let c = s.lookup("acr.example", "x").await.unwrap().unwrap();
        assert!(matches!(c.secret, Secret::IdentityToken(ref token) if token == "refresh"));
        let c = s.lookup("tok.example", "x").await.unwrap().unwrap();
        assert!(matches!(c.secret, Secret::RegistryToken(ref t) if t == "bearer"));
    }

    #[tokio::test]
    async fn bad_auth_field_and_missing_helper_are_errors() {
        let s = store(r#"{"auths": {"bad.example": {"auth": "!!!"}}}"#);
        let err = s.lookup("bad.example", "x").await.unwrap_err();
        assert_eq!(err.kind(), RegistryErrorKind::Credentials);
        assert!(err.to_string().contains("not base64"), "{err}");

        let s = store(r#"{"credsStore": "nonexistent-vouch-test"}"#);
        let err = s.lookup("any.example", "x").await.unwrap_err();
        assert_eq!(err.kind(), RegistryErrorKind::Credentials);
        assert_eq!(
            err.to_string(),
            "docker-credential-nonexistent-vouch-test was not found in the helper search path; \
             install it, or remove it from the credential file (credential helper \
             docker-credential-nonexistent-vouch-test (credsStore in /cfg/config.json))"
        );
    }

    #[test]
    fn debug_never_shows_secrets() {
        let c = Credential {
            secret: Secret::Basic {
                username: "u".into(),
                password: "hunter2".into(),
            },
            source: "s".into(),
        };
        assert!(!format!("{c:?}").contains("hunter2"));
        let cfg = config(r#"{"auths": {"a": {"auth": "aHViOnNlY3JldA=="}}}"#);
        assert!(!format!("{cfg:?}").contains("aHVi"));
    }

    #[test]
    fn load_takes_the_first_existing_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.json");
        let present = dir.path().join("auth.json");
        std::fs::write(&present, r#"{"auths": {}}"#).unwrap();
        let s = CredentialStore::load(
            &[missing.clone(), present.clone()],
            None,
            Duration::from_secs(1),
        )
        .unwrap();
        assert_eq!(s.searched(), present.display().to_string());
        let s = CredentialStore::load(std::slice::from_ref(&missing), None, Duration::from_secs(1))
            .unwrap();
        assert!(
            s.searched()
                .starts_with("no credential file found; looked for ")
        );
        std::fs::write(&present, "{not json").unwrap();
        let err = CredentialStore::load(&[present], None, Duration::from_secs(1)).unwrap_err();
        assert_eq!(err.kind(), RegistryErrorKind::Credentials);
    }
}
