//! skopeo 1.18 (the peer install-peers.sh unpacks from Debian 13): key generation, push + sign
//! (`copy --sign-by-sigstore-private-key`, cosign `.sig` attachments), and its policy engine's
//! `sigstoreSigned` check as a baseline. Always with `--policy` and `--registries.d` of our own,
//! `--retry-times=0` and `--*-no-creds`, so that the developer's own configuration is never read.
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, bail, ensure};
use serde_json::json;

use super::INSTALL;

/// Where install-peers.sh puts skopeo 1.18 unless `VOUCH_PEERS_DIR` says otherwise.
const DEFAULT_DIR: &str = "/opt/vouch-peers/skopeo-1.18";

/// skopeo and the files it needs for one registry.
#[derive(Debug)]
pub(crate) struct Skopeo {
    program: PathBuf,
    /// registries.d with `use-sigstore-attachments: true` for the registry.
    registries_d: PathBuf,
    /// `insecureAcceptAnything`, for pushing.
    accept: PathBuf,
    /// `sigstoreSigned` with the key for everything on the registry, for the baseline.
    signed: PathBuf,
    /// `PREFIX.private` and its passphrase file.
    private_key: PathBuf,
    passphrase_file: PathBuf,
    /// `PREFIX.pub`.
    pub(crate) public_key: PathBuf,
}

/// The skopeo 1.18 wrapper, checked; the install command if it is missing or another version.
pub(crate) fn find() -> anyhow::Result<PathBuf> {
    #[expect(
        clippy::disallowed_methods,
        reason = "the peers' folder is the developer's choice, as in install-peers.sh"
    )]
    let dir =
        env::var_os("VOUCH_PEERS_DIR").map_or_else(|| PathBuf::from(DEFAULT_DIR), PathBuf::from);
    let program = dir.join("skopeo");
    ensure!(
        program.is_file(),
        "skopeo 1.18 is not installed at {}: run `{INSTALL}` from the workspace root",
        program.display()
    );
    let output = Command::new(&program)
        .arg("--version")
        .output()
        .with_context(|| format!("running {} --version", program.display()))?;
    let version = String::from_utf8_lossy(&output.stdout);
    ensure!(
        output.status.success() && version.starts_with("skopeo version 1.18."),
        "{} --version says `{}`, not 1.18.x: run `{INSTALL}`",
        program.display(),
        version.trim()
    );
    Ok(program)
}

impl Skopeo {
    /// Writes skopeo's configuration into `dir` for the registry at `host` and the counting
    /// proxy in front of it at `proxy`, and generates one sigstore key pair (`skopeo
    /// generate-sigstore-key`). Through the proxy, the images' names start with the proxy's
    /// address, not the one they were signed under: the policy maps one to the other.
    pub(crate) fn setup(
        program: PathBuf,
        dir: &Path,
        host: &str,
        proxy: &str,
    ) -> anyhow::Result<Self> {
        let registries_d = dir.join("registries.d");
        fs::create_dir_all(&registries_d)?;
        fs::write(
            registries_d.join("vouch-bench.yaml"),
            format!(
                "docker:\n  {host}:\n    use-sigstore-attachments: true\n  \
                 {proxy}:\n    use-sigstore-attachments: true\n"
            ),
        )?;
        let accept = dir.join("policy-accept.json");
        fs::write(
            &accept,
            r#"{"default":[{"type":"insecureAcceptAnything"}]}"#,
        )?;
        let passphrase_file = dir.join("key.passphrase");
        fs::write(&passphrase_file, "vouch-bench")?;
        let prefix = dir.join("key");
        run(Command::new(&program)
            .arg("generate-sigstore-key")
            .arg("--output-prefix")
            .arg(&prefix)
            .arg("--passphrase-file")
            .arg(&passphrase_file))?;
        let public_key = dir.join("key.pub");
        let signed = dir.join("policy-signed.json");
        fs::write(
            &signed,
            serde_json::to_vec_pretty(&json!({
                "default": [{"type": "reject"}],
                "transports": {"docker": {
                    host: [{
                        "type": "sigstoreSigned",
                        "keyPath": &public_key,
                        "signedIdentity": {"type": "matchRepository"},
                    }],
                    proxy: [{
                        "type": "sigstoreSigned",
                        "keyPath": &public_key,
                        "signedIdentity": {
                            "type": "remapIdentity",
                            "prefix": proxy,
                            "signedPrefix": host,
                        },
                    }],
                }},
            }))?,
        )?;
        Ok(Self {
            program,
            registries_d,
            accept,
            signed,
            private_key: dir.join("key.private"),
            passphrase_file,
            public_key,
        })
    }

    fn copy(&self, policy: &Path) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.arg("--registries.d")
            .arg(&self.registries_d)
            .arg("--policy")
            .arg(policy)
            .args(["copy", "--retry-times=0"]);
        cmd
    }

    /// Pushes `source` (a transport reference, `oci:LAYOUT:TAG`) to `docker://dest` and signs
    /// it; returns the pushed manifest's digest (`--digestfile`).
    pub(crate) fn push_and_sign(
        &self,
        source: &str,
        dest: &str,
        digest_file: &Path,
    ) -> anyhow::Result<String> {
        run(self
            .copy(&self.accept)
            .args(["--dest-tls-verify=false", "--dest-no-creds"])
            .arg("--sign-by-sigstore-private-key")
            .arg(&self.private_key)
            .arg("--sign-passphrase-file")
            .arg(&self.passphrase_file)
            .arg("--digestfile")
            .arg(digest_file)
            .arg(source)
            .arg(format!("docker://{dest}")))?;
        let digest = fs::read_to_string(digest_file)?.trim().to_owned();
        ensure!(
            digest.starts_with("sha256:"),
            "skopeo --digestfile wrote {digest:?}"
        );
        Ok(digest)
    }

    /// `skopeo copy docker://image oci:dest` with the `sigstoreSigned` policy (`verify`) or
    /// with none (`insecureAcceptAnything`: the copy alone); fails if skopeo does.
    pub(crate) fn pull(&self, image: &str, dest: &str, verify: bool) -> anyhow::Result<()> {
        let policy = if verify { &self.signed } else { &self.accept };
        run(self
            .copy(policy)
            .args([
                "--remove-signatures",
                "--src-tls-verify=false",
                "--src-no-creds",
            ])
            .arg(format!("docker://{image}"))
            .arg(dest))
    }
}

/// Runs `cmd`; its arguments and output in the error if it fails.
fn run(cmd: &mut Command) -> anyhow::Result<()> {
    let output = cmd
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {cmd:?}"))?;
    if !output.status.success() {
        bail!(
            "{cmd:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}
