//! Command-line arguments (clap derive). Parsing only; no behaviour.

use std::num::NonZeroUsize;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use vouch_blob::{DigestAlgorithm, SignatureEncoding};

const EXIT_CODES: &str = "\
Exit codes:
  0  verified: every signature checked is valid
  1  not verified: a signature does not verify; for verify-dir also a missing data file, a
     signature or data file that cannot be checked, no signature at all, or an unsigned file
     with --require-signed
  2  bad input or usage: unreadable file, not a public key, malformed signature or bundle,
     bad arguments
  With --bundle, a bundle that does not verify exits with its reason:
  3  identity mismatch            4  transparency-log entry missing
  5  transparency-log proof invalid   6  certificate not valid at signing time
  7  certificate not trusted (chain or SCT)   8  timestamp invalid";

/// Verify detached signatures over files, Sigstore bundles, and container image signatures.
///
/// A drop-in for `openssl dgst -sha256 -verify KEY -signature SIG FILE` that also reads cosign
/// (base64) and raw r‖s signatures, verifies whole folders in parallel, and says why a file
/// failed; and a `cosign verify` for images in OCI registries that needs nothing but the
/// registry when given a key.
#[derive(Debug, Parser)]
#[command(name = "vouch", version, after_help = EXIT_CODES, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub(crate) command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Verify one file against a detached signature, like `openssl dgst -verify`.
    ///
    /// On success prints exactly `Verified OK` and exits 0; if the signature does not verify,
    /// prints `Verification failure`, says why on stderr and exits 1. Unreadable or malformed
    /// input (missing file, not a public key, malformed signature) exits 2 without printing a
    /// verdict.
    #[command(after_help = EXIT_CODES)]
    VerifyBlob(VerifyBlobArgs),
    /// Verify every signed file in a folder, in parallel.
    ///
    /// Pairs each `X.sig.bin` and `X.sig` with its data file `X`, or `X.zst` if `X` does not
    /// exist, and prints one line per signature and per data file without a signature, sorted
    /// by name, then a count line. Hidden files, subfolders, and signature, key and bundle files
    /// (`.sig`, `.sig.bin`, `.pub`, `.key`, `.pem`, `.sigstore.json`, `.bundle`) are never listed as
    /// unsigned.
    #[command(after_help = EXIT_CODES)]
    VerifyDir(VerifyDirArgs),
    /// Verify the signatures on container images in an OCI registry, like `cosign verify`.
    ///
    /// Resolves each tag to a digest once, finds signatures in the OCI 1.1 referrers API (or
    /// its tag-schema fallback) and in cosign's legacy `sha256-<hex>.sig` tag, and verifies
    /// them offline: with a key, nothing but the registry is contacted. Prints, per image, its
    /// digest and every signature that verified, with where it was found.
    #[command(after_help = IMAGE_EXIT_CODES)]
    Verify(VerifyImageArgs),
    /// Print where an image's signatures live, like `cosign triangulate`: the legacy
    /// signature tag and the referrers location, one per line.
    #[command(after_help = IMAGE_EXIT_CODES)]
    Triangulate(ImageLookupArgs),
    /// List every signature attached to an image, in all the places they live, without
    /// verifying them.
    #[command(after_help = IMAGE_EXIT_CODES)]
    Tree(ImageLookupArgs),
    /// Sign one file with a private key, like `cosign sign-blob` and `openssl dgst -sign`.
    ///
    /// Without --output-signature and --bundle, prints the base64 signature on stdout, as
    /// cosign does. A file is streamed: memory use does not depend on its size (Ed25519 input on
    /// standard input is held in memory, up to 64 MiB). Outputs are written whole or not at all
    /// (a temporary file renamed into place).
    #[command(after_help = SIGN_EXIT_CODES)]
    SignBlob(SignBlobArgs),
    /// Sign every data file in a folder that has no `X.sig.bin` yet, writing DER `X.sig.bin`
    /// files that `vouch verify-dir` and `openssl dgst -verify` check.
    ///
    /// Which files are data files, and which signature belongs to which file, is decided
    /// exactly as `verify-dir` decides it. Prints one line per data file and a count line.
    #[command(after_help = SIGN_EXIT_CODES)]
    SignDir(SignDirArgs),
    /// Sign container images in their registry with a private key, like `cosign sign --key`.
    ///
    /// Resolves each image to its digest once and signs that digest. `--signature-format
    /// bundle` (cosign v3's default) pushes a Sigstore bundle as an OCI referrer, and keeps
    /// the tag-schema fallback index (`sha256-<hex>`) when the registry has no referrers API;
    /// `legacy` appends a layer to the `sha256-<hex>.sig` manifest (cosign ≤ 2, skopeo).
    /// Signatures already there are kept as they are. No transparency-log entry is made:
    /// verify with `vouch verify --key PUB --insecure-ignore-tlog IMAGE`.
    #[command(after_help = SIGN_IMAGE_EXIT_CODES)]
    Sign(SignImageArgs),
    /// Generate a key pair, like `cosign generate-key-pair`.
    ///
    /// Writes `PREFIX.key` (private, encrypted as cosign encrypts it, mode 0600) and
    /// `PREFIX.pub` (public, PEM SubjectPublicKeyInfo).
    ///
    /// The private key's password comes from --password-file, VOUCH_PASSWORD, COSIGN_PASSWORD,
    /// a prompt (asked twice) on a terminal, or all of standard input. `--format pkcs8` writes an
    /// unencrypted PKCS#8 key instead, as `openssl genpkey` does. Existing files are never
    /// overwritten without --force.
    #[command(after_help = KEYS_EXIT_CODES)]
    GenerateKeyPair(GenerateKeyPairArgs),
    /// Convert a private key to cosign's encrypted format, like `cosign import-key-pair`.
    ///
    /// Reads PKCS#8, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` or encrypted PKCS#8. Writes `PREFIX.key` (mode 0600) and `PREFIX.pub`. An encrypted input key is decrypted
    /// with the same password sources (a terminal asks for each password separately).
    #[command(after_help = KEYS_EXIT_CODES)]
    ImportKeyPair(ImportKeyPairArgs),
    /// Print the public key of a private key, like `cosign public-key`.
    ///
    /// PEM SubjectPublicKeyInfo, as `openssl pkey -pubout` writes it.
    #[command(after_help = KEYS_EXIT_CODES)]
    PublicKey(PublicKeyArgs),
}

const SIGN_IMAGE_EXIT_CODES: &str = "\
Exit codes:
  0  every image was signed (or already carried this exact signature)
  2  bad input or usage: unreadable key, wrong password, bad reference or annotation
  11 registry failure: network, authentication, push permission, throttling; or the registry
     holds something under a signature tag that is not what vouch writes there (it is left
     as it is)
  12 image not found
  With several images, the highest code wins; the images before a failure stay signed.";

/// Arguments of `vouch sign`.
#[derive(Debug, Args)]
pub(crate) struct SignImageArgs {
    /// Private key, as for `sign-blob` (cosign's encrypted `cosign.key` included).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Where and how the signature is stored.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ImageSignatureFormat::Bundle)]
    pub(crate) signature_format: ImageSignatureFormat,

    /// An annotation (`key=value`) to sign with the image (cosign's `-a`), checked by
    /// `vouch verify -a` and `cosign verify -a`. Repeatable.
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE")]
    pub(crate) annotations: Vec<String>,

    /// Store the signature in this repository instead of the image's own (cosign's
    /// `COSIGN_REPOSITORY`, which is also read).
    #[arg(long, value_name = "REPO", env = "COSIGN_REPOSITORY")]
    pub(crate) signature_repository: Option<String>,

    #[command(flatten)]
    pub(crate) registry: RegistryArgs,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    /// Images: `registry/repo:tag`, `registry/repo@sha256:…`, or Docker Hub short names.
    #[arg(value_name = "IMAGE", required = true)]
    pub(crate) images: Vec<String>,
}

/// Values of `sign --signature-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ImageSignatureFormat {
    /// A Sigstore bundle (DSSE, in-toto statement) as an OCI 1.1 referrer (cosign v3).
    Bundle,
    /// A simple-signing layer of the `sha256-<hex>.sig` manifest (cosign ≤ 2, skopeo).
    Legacy,
}

const KEYS_EXIT_CODES: &str = "\
Exit codes:
  0  done: every file asked for was written
  2  bad input or usage: unreadable or unsupported key, wrong password, passwords that do not
     match, an output file that exists (without --force) or cannot be written, bad arguments";

/// Where a private key's password comes from, shared by every command that reads or writes an
/// encrypted private key. Without --password-file: `VOUCH_PASSWORD`, else `COSIGN_PASSWORD`,
/// else a prompt on a terminal, else all of standard input (see docs/cli.md, "Passwords").
#[derive(Debug, Args)]
pub(crate) struct PasswordArgs {
    /// Read the private key's password from this file (its contents, without one trailing
    /// newline).
    #[arg(long, value_name = "FILE")]
    pub(crate) password_file: Option<PathBuf>,
}

/// Arguments of `vouch generate-key-pair`.
#[derive(Debug, Args)]
pub(crate) struct GenerateKeyPairArgs {
    /// Write `PREFIX.key` and `PREFIX.pub`.
    #[arg(long, value_name = "PREFIX", default_value = "cosign")]
    pub(crate) output_key_prefix: PathBuf,

    /// The key's algorithm.
    #[arg(long, value_enum, value_name = "ALGORITHM", default_value_t = KeyAlgorithm::EcdsaP256)]
    pub(crate) algorithm: KeyAlgorithm,

    /// The private key's format: `cosign` (encrypted with a password, what cosign and skopeo
    /// read) or `pkcs8` (unencrypted PEM `PRIVATE KEY`, what openssl reads).
    #[arg(long = "format", value_enum, value_name = "FORMAT", default_value_t = KeyFormat::Cosign)]
    pub(crate) key_format: KeyFormat,

    /// Overwrite `PREFIX.key` and `PREFIX.pub` if they exist.
    #[arg(long)]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,
}

/// Arguments of `vouch import-key-pair`.
#[derive(Debug, Args)]
pub(crate) struct ImportKeyPairArgs {
    /// The PEM private key to import: PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA
    /// PRIVATE KEY`, encrypted PKCS#8 `ENCRYPTED PRIVATE KEY` (or DER of these).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Write `PREFIX.key` and `PREFIX.pub` (cosign's default name).
    #[arg(long, value_name = "PREFIX", default_value = "import-cosign")]
    pub(crate) output_key_prefix: PathBuf,

    /// Overwrite `PREFIX.key` and `PREFIX.pub` if they exist.
    #[arg(long)]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,
}

/// Arguments of `vouch public-key`.
#[derive(Debug, Args)]
pub(crate) struct PublicKeyArgs {
    /// The private key (any form `import-key-pair` reads, or cosign's encrypted `cosign.key`).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Write the public key to this file instead of standard output.
    #[arg(long, value_name = "FILE")]
    pub(crate) output_file: Option<PathBuf>,

    /// Overwrite --output-file if it exists.
    #[arg(long, requires = "output_file")]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,
}

/// Values of `generate-key-pair --algorithm`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyAlgorithm {
    /// ECDSA over NIST P-256 (cosign's default).
    EcdsaP256,
    /// ECDSA over NIST P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
}

impl From<KeyAlgorithm> for vouch_keys::Algorithm {
    fn from(value: KeyAlgorithm) -> Self {
        match value {
            KeyAlgorithm::EcdsaP256 => Self::EcdsaP256,
            KeyAlgorithm::EcdsaP384 => Self::EcdsaP384,
            KeyAlgorithm::Ed25519 => Self::Ed25519,
        }
    }
}

/// Values of `generate-key-pair --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum KeyFormat {
    /// cosign's encrypted format (`ENCRYPTED SIGSTORE PRIVATE KEY`: scrypt + NaCl secretbox).
    Cosign,
    /// Unencrypted PKCS#8 PEM (`PRIVATE KEY`), as `openssl genpkey` writes.
    Pkcs8,
}

const SIGN_EXIT_CODES: &str = "\
Exit codes:
  0  signed: every signature asked for was written (sign-dir: or was already there)
  1  sign-dir only: some files could not be signed (each says why); the others were signed
  2  bad input or usage: unreadable or wrong key, wrong password, unreadable file, a file
     that cannot be written, bad arguments; nothing was written";

/// Arguments of `vouch sign-blob`.
#[derive(Debug, Args)]
pub(crate) struct SignBlobArgs {
    /// Private key: PEM or DER PKCS#8 (`openssl genpkey`), SEC1 `EC PRIVATE KEY`, PKCS#1
    /// `RSA PRIVATE KEY`, encrypted PKCS#8, or cosign's encrypted key (`cosign.key`).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Write the signature to this file instead of printing it.
    #[arg(long, value_name = "OUT")]
    pub(crate) output_signature: Option<PathBuf>,

    /// Signature encoding [default: der for an OUT ending in `.sig.bin` (raw for Ed25519 and
    /// RSA keys, which have no DER form), else base64].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub(crate) signature_format: Option<SignFormat>,

    /// Digest to sign over, as openssl's `-sha256`/`-sha384`/`-sha512` [default: sha256].
    /// Not applicable to Ed25519 keys, which sign the whole file.
    #[arg(long = "digest", value_enum, value_name = "DIGEST")]
    pub(crate) digest: Option<DigestArgValue>,

    /// Also write a Sigstore bundle (v0.3, public-key hint, no transparency-log entry) to this
    /// file, signed over SHA-256; verify it with `vouch verify-blob --bundle OUT --key PUB
    /// --insecure-ignore-tlog FILE`.
    #[arg(long, value_name = "OUT")]
    pub(crate) bundle: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    /// The file to sign, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

/// Arguments of `vouch sign-dir`.
#[derive(Debug, Args)]
pub(crate) struct SignDirArgs {
    /// The folder to sign (its top level only).
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,

    /// Private key, as for `sign-blob`.
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Digest to sign over [default: sha256]; verify with the same `verify-dir --digest`.
    #[arg(long = "digest", value_enum, value_name = "DIGEST")]
    pub(crate) digest: Option<DigestArgValue>,

    /// Also sign files that already have an `X.sig.bin`, replacing it.
    #[arg(long)]
    pub(crate) force: bool,

    #[command(flatten)]
    pub(crate) password: PasswordArgs,

    /// Files signed at the same time [default: number of CPU cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<NonZeroUsize>,
}

/// Values of `sign-blob --signature-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SignFormat {
    /// ASN.1 DER, as `openssl dgst -sign` writes (ECDSA only).
    Der,
    /// Base64 of the DER (ECDSA) or raw (Ed25519, RSA) signature, as cosign writes.
    Base64,
    /// Raw bytes: ECDSA r‖s (IEEE P1363, as WebCrypto writes), Ed25519, or RSA PKCS#1 v1.5.
    Raw,
}

impl SignFormat {
    /// The encoding written.
    pub(crate) fn encoding(self) -> SignatureEncoding {
        match self {
            Self::Der => SignatureEncoding::Der,
            Self::Base64 => SignatureEncoding::Base64,
            Self::Raw => SignatureEncoding::Raw,
        }
    }
}

const IMAGE_EXIT_CODES: &str = "\
Exit codes:
  0   verified: at least one signature on each image verifies for the key or identity
  1   signatures found, but none verifies for this key or policy
  2   bad input or usage: unreadable key, malformed reference, bad arguments
  10  no signatures found for the image (after looking in every place they can live)
  11  registry lookup failed: network, TLS, authentication, throttling, or a registry that
      sent bytes not matching their digest
  12  image not found
  With several images, the highest code wins.";

/// Arguments of `vouch verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyImageArgs {
    /// Public key (PEM or DER SubjectPublicKeyInfo, as `cosign generate-key-pair` writes
    /// `cosign.pub`).
    #[arg(long, value_name = "KEY", conflicts_with_all = ["certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer", "certificate_oidc_issuer_regexp"])]
    pub(crate) key: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) keyless: KeylessArgs,

    /// A `trusted_root.json` to use instead of the embedded Sigstore production root.
    #[arg(long, value_name = "FILE")]
    pub(crate) trusted_root: Option<PathBuf>,

    /// Accept signatures without a transparency-log entry and skip log verification (needed
    /// for images signed with `--tlog-upload=false` or by skopeo without Rekor).
    #[arg(long)]
    pub(crate) insecure_ignore_tlog: bool,

    /// An annotation (`key=value`) that the verified signature itself must carry (cosign's
    /// `-a`). Repeatable; all must hold on the same signature.
    #[arg(short = 'a', long = "annotations", value_name = "KEY=VALUE")]
    pub(crate) annotations: Vec<String>,

    /// Also require the signed payload's docker-reference to name the image's repository
    /// (containers/image does; cosign does not).
    #[arg(long)]
    pub(crate) check_identity: bool,

    #[command(flatten)]
    pub(crate) lookup: LookupArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    /// Images verified at the same time.
    #[arg(long, short = 'j', value_name = "N", default_value = "16")]
    pub(crate) jobs: NonZeroUsize,

    /// Images: `registry/repo:tag`, `registry/repo@sha256:…`, or Docker Hub short names.
    #[arg(value_name = "IMAGE", required = true)]
    pub(crate) images: Vec<String>,
}

/// Keyless identity flags of `vouch verify` (cosign's names).
#[derive(Debug, Args)]
pub(crate) struct KeylessArgs {
    /// Keyless: the signer identity (certificate email or URI SAN) that must match exactly.
    #[arg(
        long,
        value_name = "IDENTITY",
        conflicts_with = "certificate_identity_regexp"
    )]
    pub(crate) certificate_identity: Option<String>,

    /// Keyless: a regular expression the signer identity must match, anchored at both ends
    /// (unlike cosign's: add `.*` yourself to match a prefix or suffix).
    #[arg(long, value_name = "REGEX")]
    pub(crate) certificate_identity_regexp: Option<String>,

    /// Keyless: the OIDC issuer that must have vouched for the identity, exactly.
    #[arg(
        long,
        value_name = "ISSUER",
        conflicts_with = "certificate_oidc_issuer_regexp"
    )]
    pub(crate) certificate_oidc_issuer: Option<String>,

    /// Keyless: a regular expression the OIDC issuer must match, anchored at both ends.
    #[arg(long, value_name = "REGEX")]
    pub(crate) certificate_oidc_issuer_regexp: Option<String>,
}

/// Arguments of `vouch triangulate` and `vouch tree`.
#[derive(Debug, Args)]
pub(crate) struct ImageLookupArgs {
    #[command(flatten)]
    pub(crate) lookup: LookupArgs,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    /// The image.
    #[arg(value_name = "IMAGE")]
    pub(crate) image: String,
}

/// Where to look and how to reach the registry.
#[derive(Debug, Args)]
pub(crate) struct LookupArgs {
    /// For an image index (multi-arch), verify the child for this platform (`os/arch` or
    /// `os/arch/variant`) instead of the index itself.
    #[arg(long, value_name = "OS/ARCH")]
    pub(crate) platform: Option<String>,

    /// Look for signatures in this repository instead of the image's own (cosign's
    /// `COSIGN_REPOSITORY`, which is also read).
    #[arg(long, value_name = "REPO", env = "COSIGN_REPOSITORY")]
    pub(crate) signature_repository: Option<String>,

    #[command(flatten)]
    pub(crate) registry: RegistryArgs,
}

/// How to reach and authenticate to registries.
#[derive(Debug, Args)]
pub(crate) struct RegistryArgs {
    /// Registry user name (Basic auth), overriding docker and podman credentials.
    #[arg(
        long,
        value_name = "USER",
        requires = "registry_password",
        conflicts_with = "registry_token"
    )]
    pub(crate) registry_username: Option<String>,

    /// Registry password, with --registry-username.
    #[arg(long, value_name = "PASSWORD", requires = "registry_username")]
    pub(crate) registry_password: Option<String>,

    /// A bearer token sent to the registry as is, overriding other credentials.
    #[arg(long, value_name = "TOKEN")]
    pub(crate) registry_token: Option<String>,

    /// Allow plain HTTP to registries that are not on this machine (loopback registries are
    /// always reached over HTTP).
    #[arg(long)]
    pub(crate) allow_http_registry: bool,

    /// PEM file of certificate authorities to trust for the registry's TLS certificate, in
    /// addition to the system's. Repeatable.
    #[arg(long, value_name = "FILE")]
    pub(crate) registry_cacert: Vec<PathBuf>,

    /// PEM client certificate (then any intermediates) for registries that require mutual
    /// TLS, with --registry-client-key.
    #[arg(long, value_name = "FILE", requires = "registry_client_key")]
    pub(crate) registry_client_cert: Option<PathBuf>,

    /// PEM private key of --registry-client-cert (PKCS#8, `EC PRIVATE KEY` or `RSA PRIVATE
    /// KEY`, unencrypted).
    #[arg(long, value_name = "FILE", requires = "registry_client_cert")]
    pub(crate) registry_client_key: Option<PathBuf>,
}

/// Arguments of `vouch verify-blob`.
#[derive(Debug, Args)]
pub(crate) struct VerifyBlobArgs {
    /// Public key, PEM or DER (SubjectPublicKeyInfo), as written by `openssl pkey -pubout` or
    /// `cosign generate-key-pair`.
    #[arg(long, value_name = "KEY", required_unless_present_any = ["bundle"])]
    pub(crate) key: Option<PathBuf>,

    /// Detached signature file: DER (openssl), base64 (cosign) or raw r‖s.
    #[arg(
        long,
        value_name = "SIG",
        required_unless_present = "bundle",
        conflicts_with = "bundle"
    )]
    pub(crate) signature: Option<PathBuf>,

    #[command(flatten)]
    pub(crate) sigstore: BundleArgs,

    /// Signature encoding; `auto` tries DER, then base64, then raw.
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = SignatureFormat::Auto)]
    pub(crate) signature_format: SignatureFormat,

    #[command(flatten)]
    pub(crate) digest: DigestArg,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    /// The file to verify, or `-` for standard input.
    #[arg(value_name = "FILE")]
    pub(crate) file: PathBuf,
}

/// `verify-blob --bundle`: Sigstore and legacy cosign bundles, cosign's flag names.
#[derive(Debug, Args)]
pub(crate) struct BundleArgs {
    /// Sigstore bundle (v0.1–v0.3, `.sigstore.json`) or legacy cosign bundle to verify FILE
    /// with, instead of --signature. Verified offline against the trust root.
    #[arg(long, value_name = "BUNDLE")]
    pub(crate) bundle: Option<PathBuf>,

    /// Keyless: the signer identity (certificate email or URI SAN) that must match exactly.
    #[arg(long, value_name = "IDENTITY", requires = "bundle", conflicts_with_all = ["key", "certificate_identity_regexp"])]
    pub(crate) certificate_identity: Option<String>,

    /// Keyless: a regular expression the signer identity must match, anchored at both ends
    /// (unlike cosign's: add `.*` yourself to match a prefix or suffix).
    #[arg(
        long,
        value_name = "REGEX",
        requires = "bundle",
        conflicts_with = "key"
    )]
    pub(crate) certificate_identity_regexp: Option<String>,

    /// Keyless: the OIDC issuer that must have vouched for the identity, exactly.
    #[arg(long, value_name = "ISSUER", requires = "bundle", conflicts_with_all = ["key", "certificate_oidc_issuer_regexp"])]
    pub(crate) certificate_oidc_issuer: Option<String>,

    /// Keyless: a regular expression the OIDC issuer must match, anchored at both ends.
    #[arg(
        long,
        value_name = "REGEX",
        requires = "bundle",
        conflicts_with = "key"
    )]
    pub(crate) certificate_oidc_issuer_regexp: Option<String>,

    /// A `trusted_root.json` to use instead of the embedded Sigstore production root.
    #[arg(long, value_name = "FILE", requires = "bundle")]
    pub(crate) trusted_root: Option<PathBuf>,

    /// Accept a bundle without a transparency-log entry and skip log verification. Nobody can
    /// then audit that the signature was ever published: use only for keys you control.
    #[arg(long, requires = "bundle")]
    pub(crate) insecure_ignore_tlog: bool,
}

/// Arguments of `vouch verify-dir`.
#[derive(Debug, Args)]
pub(crate) struct VerifyDirArgs {
    /// The folder to verify (its top level only).
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,

    /// Public key, PEM or DER (SubjectPublicKeyInfo).
    #[arg(long, value_name = "KEY")]
    pub(crate) key: PathBuf,

    /// Treat data files without a signature as failures (exit 1).
    #[arg(long)]
    pub(crate) require_signed: bool,

    #[command(flatten)]
    pub(crate) digest: DigestArg,

    #[command(flatten)]
    pub(crate) output: OutputArg,

    /// Files verified at the same time [default: number of CPU cores].
    #[arg(long, short = 'j', value_name = "N")]
    pub(crate) jobs: Option<NonZeroUsize>,
}

/// `--digest`, shared by both commands.
#[derive(Debug, Args)]
pub(crate) struct DigestArg {
    /// Digest the signature was made over, as openssl's `-sha256`/`-sha384`/`-sha512`
    /// [default: sha256]. Not applicable to Ed25519 keys, which sign the whole file.
    #[arg(long = "digest", value_enum, value_name = "DIGEST")]
    pub(crate) value: Option<DigestArgValue>,
}

impl DigestArg {
    /// The digest to verify over.
    pub(crate) fn algorithm(&self) -> DigestAlgorithm {
        self.value
            .map_or(DigestAlgorithm::Sha256, DigestAlgorithm::from)
    }
}

/// `--output`, shared by both commands.
#[derive(Debug, Args)]
pub(crate) struct OutputArg {
    /// Output on stdout: `text` for people and openssl-compatible scripts, `json` for programs.
    /// Errors and hints go to stderr either way.
    #[arg(long = "output", value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub(crate) format: OutputFormat,
}

/// Values of `--signature-format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum SignatureFormat {
    /// Detect: strict DER, then base64, then raw.
    Auto,
    /// ASN.1 DER, as `openssl dgst -sign` writes (ECDSA only).
    Der,
    /// Base64 of DER or raw bytes, with or without line breaks, as cosign writes.
    Base64,
    /// Raw bytes: ECDSA r‖s (IEEE P1363), Ed25519, or RSA PKCS#1 v1.5.
    Raw,
}

impl SignatureFormat {
    /// The pinned encoding, `None` for auto-detection.
    pub(crate) fn encoding(self) -> Option<SignatureEncoding> {
        match self {
            Self::Auto => None,
            Self::Der => Some(SignatureEncoding::Der),
            Self::Base64 => Some(SignatureEncoding::Base64),
            Self::Raw => Some(SignatureEncoding::Raw),
        }
    }
}

/// Values of `--digest`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum DigestArgValue {
    /// SHA-256 (openssl's `-sha256`).
    Sha256,
    /// SHA-384 (openssl's `-sha384`).
    Sha384,
    /// SHA-512 (openssl's `-sha512`).
    Sha512,
}

impl From<DigestArgValue> for DigestAlgorithm {
    fn from(value: DigestArgValue) -> Self {
        match value {
            DigestArgValue::Sha256 => Self::Sha256,
            DigestArgValue::Sha384 => Self::Sha384,
            DigestArgValue::Sha512 => Self::Sha512,
        }
    }
}

/// Values of `--output`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutputFormat {
    /// Human-readable lines; `verify-blob` prints openssl's `Verified OK`.
    Text,
    /// One JSON document.
    Json,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::Cli;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
