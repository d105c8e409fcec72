//! Typed access to the checked-in fixtures under `testdata/`, for tests only.
//!
//! The fixtures under `testdata/generated/` are written by `cargo xtask fixtures` from one table
//! (`xtask/src/fixtures/cases.rs`); the vectors under `testdata/interop/` were made by other tools
//! and are pinned by their `SHA256SUMS`. Tests find them through this crate, so none hard-codes a
//! `../../..` path, and a table-driven test that iterates over [`cases()`] picks up every case the
//! generator adds.
//!
//! ```
//! let case = vouch_testdata::case("p256-der");
//! assert_eq!(case.meta().expect, vouch_testdata::Expect::Valid);
//! assert!(case.key_bytes().starts_with(b"-----BEGIN PUBLIC KEY-----"));
//!
//! for case in vouch_testdata::cases() {
//!     let meta = case.meta();
//!     // verify case.artifact() against case.sig() with case.key_bytes(), expect meta.expect
//!     # let _ = meta;
//! }
//! ```
//!
//! Every function here panics, with a message naming the file, when a fixture is missing or
//! unreadable: a test without its fixture cannot do anything useful.
#![expect(
    clippy::panic,
    clippy::expect_used,
    reason = "a test-support crate: a missing fixture is a broken checkout, reported by panicking"
)]

use std::fmt;
use std::fs;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;

/// The absolute path of the workspace's `testdata/` directory.
#[must_use]
pub fn root() -> PathBuf {
    // crates/testdata → workspace root.
    normalize(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../../testdata"))
}

/// The absolute path of `testdata/generated/`.
#[must_use]
pub fn generated() -> PathBuf {
    root().join("generated")
}

fn read(path: &Path) -> Vec<u8> {
    fs::read(path).unwrap_or_else(|err| {
        panic!(
            "cannot read fixture {}: {err} (run `cargo xtask fixtures` to regenerate)",
            path.display()
        )
    })
}

fn read_json<T: for<'de> Deserialize<'de>>(path: &Path) -> T {
    serde_json::from_slice(&read(path))
        .unwrap_or_else(|err| panic!("fixture {} is not the expected JSON: {err}", path.display()))
}

/// One signature case: a directory `testdata/generated/<name>/` holding `key.pub`, `artifact`,
/// `artifact.sig` and `case.json`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// The directory name, e.g. `p256-der`.
    pub name: String,
    /// The absolute path of the case directory.
    pub dir: PathBuf,
}

/// The signature case `testdata/generated/<name>/`.
///
/// # Panics
///
/// If there is no such case (no `case.json` in that directory).
#[must_use]
pub fn case(name: &str) -> Case {
    let dir = generated().join(name);
    assert!(
        dir.join("case.json").is_file(),
        "no fixture case {name:?}: {} has no case.json (the cases are listed in \
         xtask/src/fixtures/cases.rs; run `cargo xtask fixtures` after adding one)",
        dir.display()
    );
    Case {
        name: name.to_owned(),
        dir,
    }
}

/// Every signature case (each directory of `testdata/generated/` with a `case.json`), sorted
/// by name.
///
/// # Panics
///
/// If `testdata/generated/` cannot be read, or holds no case at all.
#[must_use]
pub fn cases() -> Vec<Case> {
    let generated = generated();
    let entries = fs::read_dir(&generated)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", generated.display()));
    let mut cases: Vec<Case> = entries
        .map(|entry| entry.expect("reading testdata/generated/").path())
        .filter(|dir| dir.join("case.json").is_file())
        .map(|dir| Case {
            name: dir
                .file_name()
                .and_then(|name| name.to_str())
                .expect("case directory names are UTF-8")
                .to_owned(),
            dir,
        })
        .collect();
    assert!(
        !cases.is_empty(),
        "no fixture cases in {}",
        generated.display()
    );
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

impl Case {
    /// The path of a file in the case directory.
    #[must_use]
    pub fn path(&self, file: &str) -> PathBuf {
        self.dir.join(file)
    }

    /// `key.pub`: the public key to verify with (PEM SPKI, unless the case is about key form).
    #[must_use]
    pub fn key_path(&self) -> PathBuf {
        self.path("key.pub")
    }

    /// `artifact`: the signed data (possibly changed after signing).
    #[must_use]
    pub fn artifact_path(&self) -> PathBuf {
        self.path("artifact")
    }

    /// `artifact.sig`: the signature, in the encoding named by [`CaseMeta::encoding`].
    #[must_use]
    pub fn sig_path(&self) -> PathBuf {
        self.path("artifact.sig")
    }

    /// The bytes of `key.pub`.
    ///
    /// # Panics
    ///
    /// If the file cannot be read.
    #[must_use]
    pub fn key_bytes(&self) -> Vec<u8> {
        read(&self.key_path())
    }

    /// The bytes of `artifact`.
    ///
    /// # Panics
    ///
    /// If the file cannot be read.
    #[must_use]
    pub fn artifact(&self) -> Vec<u8> {
        read(&self.artifact_path())
    }

    /// The bytes of `artifact.sig`.
    ///
    /// # Panics
    ///
    /// If the file cannot be read.
    #[must_use]
    pub fn sig(&self) -> Vec<u8> {
        read(&self.sig_path())
    }

    /// `case.json`: what the case is and the verdict a verifier must reach.
    ///
    /// # Panics
    ///
    /// If `case.json` cannot be read or parsed.
    #[must_use]
    pub fn meta(&self) -> CaseMeta {
        read_json(&self.path("case.json"))
    }

    /// The verdict a verifier must reach: `self.meta().expect`.
    ///
    /// # Panics
    ///
    /// If `case.json` cannot be read or parsed.
    #[must_use]
    pub fn expect(&self) -> Expect {
        self.meta().expect
    }
}

impl fmt::Display for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

/// The contents of a case's `case.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaseMeta {
    /// What the case exercises, in one sentence.
    pub description: String,
    /// The algorithm of `key.pub`, as `vouch_keys::Algorithm::id` names it.
    pub key_algorithm: KeyAlgorithm,
    /// The digest the signature was made over (`--digest`); `None` for Ed25519, which signs the
    /// message itself.
    pub digest: Option<DigestAlgorithm>,
    /// What the signature file is (what a verifier should report); for a malformed signature,
    /// the encoding that was attempted.
    pub encoding: SignatureEncoding,
    /// The verdict a verifier must reach.
    pub expect: Expect,
}

#[expect(
    clippy::exhaustive_enums,
    reason = "tests match on these exhaustively, so a new variant must break them"
)]
mod enums {
    use serde::Deserialize;

    /// The public key algorithm of a fixture key.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum KeyAlgorithm {
        /// ECDSA on NIST P-256 (`ecdsa-p256`).
        EcdsaP256,
        /// ECDSA on NIST P-384 (`ecdsa-p384`).
        EcdsaP384,
        /// Ed25519 (`ed25519`).
        Ed25519,
        /// RSA with PKCS#1 v1.5 signatures (`rsa`).
        Rsa,
    }

    /// A message digest.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum DigestAlgorithm {
        /// SHA-256 (`sha256`).
        Sha256,
        /// SHA-384 (`sha384`).
        Sha384,
        /// SHA-512 (`sha512`).
        Sha512,
    }

    /// How a signature file is encoded.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum SignatureEncoding {
        /// Strict ASN.1 DER (`der`), as `openssl dgst -sign` writes it.
        Der,
        /// Base64 of the DER or raw signature, with or without line breaks (`base64`).
        Base64,
        /// Fixed-size `r ‖ s`, or the Ed25519/RSA signature itself (`raw`).
        Raw,
    }

    /// The verdict a verifier must reach on a case.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum Expect {
        /// The signature verifies (`valid`; `vouch verify-blob` exits 0).
        Valid,
        /// A well-formed signature that does not verify (`invalid`; exit 1).
        Invalid,
        /// The signature cannot be decoded (`malformed-signature`; exit 2).
        MalformedSignature,
    }

    /// The verdict for one entry of a folder case.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
    #[serde(rename_all = "kebab-case")]
    pub enum DirExpect {
        /// `✅ Signature valid`.
        Valid,
        /// `❌ Signature invalid`.
        Invalid,
        /// `❌ Data file not found`: a signature without its data file.
        DataFileNotFound,
        /// `⚠️  Unsigned`: a data file without a signature.
        Unsigned,
    }
}

pub use enums::{DigestAlgorithm, DirExpect, Expect, KeyAlgorithm, SignatureEncoding};

impl KeyAlgorithm {
    /// The id used in `case.json` and by `vouch_keys::Algorithm::id`.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::EcdsaP256 => "ecdsa-p256",
            Self::EcdsaP384 => "ecdsa-p384",
            Self::Ed25519 => "ed25519",
            Self::Rsa => "rsa",
        }
    }
}

impl DigestAlgorithm {
    /// The id used in `case.json` and by `--digest`.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::Sha256 => "sha256",
            Self::Sha384 => "sha384",
            Self::Sha512 => "sha512",
        }
    }
}

impl SignatureEncoding {
    /// The id used in `case.json` and by `--signature-format`.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::Der => "der",
            Self::Base64 => "base64",
            Self::Raw => "raw",
        }
    }
}

impl Expect {
    /// The id used in `case.json`.
    #[must_use]
    pub fn id(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Invalid => "invalid",
            Self::MalformedSignature => "malformed-signature",
        }
    }
}

/// The key files that must be refused as `--key`, from `testdata/generated/keys/expect.json`:
/// absolute path → expected outcome, sorted by path.
///
/// Outcomes: `certificate`, `private-key`, `ssh-public-key`, `empty`, `unrecognised`,
/// `rsa-key-size`, `unsupported-algorithm`. Most files live in `keys/`; the certificate is an
/// interop vector (`testdata/interop/containers-image-cosign/fulcio_v1.crt.pem`).
///
/// # Panics
///
/// If `keys/expect.json` cannot be read or parsed, or names a file that does not exist.
#[must_use]
pub fn key_rejections() -> Vec<(PathBuf, String)> {
    let keys = generated().join("keys");
    let expect: std::collections::BTreeMap<String, String> = read_json(&keys.join("expect.json"));
    let mut rejections: Vec<(PathBuf, String)> = expect
        .into_iter()
        .map(|(file, outcome)| {
            let path = normalize(&keys.join(&file));
            assert!(
                path.is_file(),
                "keys/expect.json lists {file}, which does not exist"
            );
            (path, outcome)
        })
        .collect();
    rejections.sort();
    rejections
}

/// Resolves `..` lexically, so paths in messages and snapshots stay short.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// The expected outcome for one entry of a folder case (`<name>.expect.json`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirEntryExpect {
    /// The signature file name, `None` for an unsigned data file.
    pub signature: Option<String>,
    /// The data file name (`X`, else `X.zst` for a signature `X.sig.bin`/`X.sig`), `None` when
    /// the data file is missing.
    pub data: Option<String>,
    /// The verdict.
    pub expect: DirExpect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DirExpectFile {
    #[expect(dead_code, reason = "documentation for people reading the JSON")]
    description: String,
    key: String,
    entries: Vec<DirEntryExpect>,
}

/// A folder case: `(directory, key path, expected outcome per entry)`.
///
/// `dir_case("dir-mixed")` is `testdata/generated/dir-mixed/`; its key sits outside the folder,
/// at `testdata/generated/dir-mixed.pub`, and the expectations come from
/// `testdata/generated/dir-mixed.expect.json`.
///
/// # Panics
///
/// If the folder, its key or its expectations are missing or unreadable.
#[must_use]
pub fn dir_case(name: &str) -> (PathBuf, PathBuf, Vec<DirEntryExpect>) {
    let generated = generated();
    let dir = generated.join(name);
    assert!(
        dir.is_dir(),
        "no folder fixture {name:?} ({} is not a directory)",
        dir.display()
    );
    let expect: DirExpectFile = read_json(&generated.join(format!("{name}.expect.json")));
    let key = generated.join(&expect.key);
    assert!(
        key.is_file(),
        "folder fixture {name}: key {} missing",
        key.display()
    );
    (dir, key, expect.entries)
}

/// The absolute path of an interop vector, e.g.
/// `interop("containers-image-cosign/fulcio_v1.crt.pem")`.
///
/// # Panics
///
/// If the file or directory does not exist.
#[must_use]
pub fn interop(path: &str) -> PathBuf {
    let full = root().join("interop").join(path);
    assert!(
        full.exists(),
        "no interop vector {} (vectors are copied in by hand, with PROVENANCE.md and SHA256SUMS)",
        full.display()
    );
    full
}

#[cfg(test)]
mod tests;
