//! Command-line arguments (clap derive). Parsing only; no behaviour.
//!
//! The argument structs are described by `//` comments, not doc comments: a command's
//! arguments are built only when it runs (`defer`), after its own about text, and clap would
//! make a struct's doc comment the about text of every command that uses the struct.

use std::path::PathBuf;

use clap::{ArgAction, Args, Parser, Subcommand, ValueEnum};
use vouch_blob::DigestAlgorithm;

mod attest;
mod cosign;
mod files;
mod help;
mod images;
mod keys;
mod policy;
mod serve;
mod transfer;
mod workflow;

pub(crate) use attest::*;
pub(crate) use cosign::CosignOnly;
pub(crate) use files::*;
pub(crate) use images::*;
pub(crate) use keys::*;
pub(crate) use policy::*;
pub(crate) use serve::*;
pub(crate) use transfer::*;
pub(crate) use workflow::{GithubArgs, WorkflowArgs};

/// `vouch --version`: the version, commit, commit date, target and features. Set when parsing
/// the command line (in main), not in the definition, so that the man
/// pages generated from the definition do not change with every commit.
pub(crate) use help::LONG_VERSION;

/// Verify detached signatures over files, Sigstore bundles, and container image signatures.
///
/// A drop-in for `openssl dgst -sha256 -verify KEY -signature SIG FILE` that also reads cosign
/// (base64) and raw signatures, verifies whole folders in parallel, and says why a file
/// failed; and a `cosign verify` for images in OCI registries that needs nothing but the
/// registry when given a key.
#[derive(Debug, Parser)]
#[command(
    name = "vouch",
    version,
    after_help = help::ALL_EXIT_CODES,
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,

    #[command(subcommand)]
    pub(crate) command: Command,
}

// Flags every command takes.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Say what vouch does on stderr: which files, which registry requests (with status and
    /// time), which signature was tried and why it was rejected. `-vv` for more detail.
    /// Credentials are never shown.
    #[arg(short, long, global = true, action = ArgAction::Count, conflicts_with = "quiet", help_heading = "Global options")]
    pub(crate) verbose: u8,

    /// Print nothing but errors: no verdict lines, no count lines, no progress bars. The exit
    /// code says the outcome.
    #[arg(short, long, global = true, help_heading = "Global options")]
    pub(crate) quiet: bool,

    /// Status symbols (✅ ❌ ⚠️) in text output: `auto` uses them when stdout is a terminal and
    /// NO_COLOR is not set; otherwise the words OK, FAILED, WARNING, SKIPPED are printed.
    #[arg(long, global = true, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, help_heading = "Global options")]
    pub(crate) color: ColorChoice,
}

/// Values of `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Symbols on a terminal, unless NO_COLOR is set.
    Auto,
    /// Always symbols.
    Always,
    /// Always plain words.
    Never,
}

#[derive(Debug, Subcommand)]
// Each command's arguments are defined only when that command runs (clap's `defer`): building
// all of them took about a third of the CPU of a short run such as `vouch verify IMAGE`.
#[command(defer = true)]
#[allow(
    clippy::large_enum_variant,
    reason = "parsed once per run and never moved around; boxing would buy nothing"
)]
pub(crate) enum Command {
    /// Verify one file against a detached signature, like `openssl dgst -verify`.
    ///
    /// On success prints exactly `Verified OK` and exits 0; if the signature does not verify,
    /// prints `Verification failure`, says why on stderr and exits 1. Unreadable or malformed
    /// input (missing file, not a public key, malformed signature) exits 2 without printing a
    /// verdict.
    #[command(after_help = help::VERIFY_BLOB)]
    VerifyBlob(VerifyBlobArgs),
    /// Verify every signed file in a folder, in parallel.
    ///
    /// Pairs each `X.sig.bin` and `X.sig` with its data file `X`, or `X.zst` if `X` does not
    /// exist, and prints one line per signature and per data file without a signature, sorted
    /// by name, then a count line. Hidden files, subfolders, and signature, key and bundle files
    /// (`.sig`, `.sig.bin`, `.pub`, `.key`, `.pem`, `.sigstore.json`, `.bundle`) are never listed as
    /// unsigned.
    #[command(after_help = help::VERIFY_DIR)]
    VerifyDir(VerifyDirArgs),
    /// Verify the signatures on container images in an OCI registry, like `cosign verify`.
    ///
    /// Resolves each tag to a digest once, finds signatures wherever signers put them (attached
    /// to the image as "referrers" by cosign 3 and GitHub, or under cosign 2's
    /// `sha256-<hex>.sig` tag; docs/oci.md says where exactly), and verifies
    /// them offline: with a key, nothing but the registry is contacted. Prints, per image, its
    /// digest and every signature that verified, with where it was found.
    #[command(after_help = help::VERIFY)]
    Verify(VerifyImageArgs),
    /// Print where an image's signatures live, like `cosign triangulate`: the legacy
    /// signature tag and where attached signatures (referrers) are listed, one per line.
    #[command(after_help = help::TRIANGULATE)]
    Triangulate(ImageLookupArgs),
    /// List every signature attached to an image, in all the places they live, without
    /// verifying them.
    #[command(after_help = help::TREE)]
    Tree(ImageLookupArgs),
    /// Sign one file with a private key, like `cosign sign-blob` and `openssl dgst -sign`.
    ///
    /// Without --output-signature and --bundle, prints the base64 signature on stdout, as
    /// cosign does. A file is streamed: memory use does not depend on its size (Ed25519 input on
    /// standard input is held in memory, up to 64 MiB). Outputs are written whole or not at all
    /// (a temporary file renamed into place).
    #[command(after_help = help::SIGN_BLOB)]
    SignBlob(SignBlobArgs),
    /// Sign every data file in a folder that has no `X.sig.bin` yet, writing DER `X.sig.bin`
    /// files that `vouch verify-dir` and `openssl dgst -verify` check.
    ///
    /// Which files are data files, and which signature belongs to which file, is decided
    /// exactly as `verify-dir` decides it. Prints one line per data file and a count line.
    #[command(after_help = help::SIGN_DIR)]
    SignDir(SignDirArgs),
    /// Sign container images in their registry with a private key, like `cosign sign --key`.
    ///
    /// Resolves each image to its digest once and signs that digest. `--signature-format
    /// bundle` (cosign v3's default) attaches a Sigstore bundle to the image (an OCI
    /// "referrer"; on a registry that cannot list referrers, vouch also records it under the
    /// `sha256-<hex>` tag, as the OCI spec says); `legacy` adds it to the `sha256-<hex>.sig` tag
    /// (cosign ≤ 2, skopeo). docs/oci.md shows both layouts.
    /// Signatures already there are kept as they are. No transparency-log entry is made:
    /// verify with `vouch verify --key PUB --insecure-ignore-tlog IMAGE`.
    #[command(after_help = help::SIGN)]
    Sign(SignImageArgs),
    /// Save images from a registry, with every signature and attestation attached to them,
    /// into an OCI image layout or an oci-archive, like `cosign save`.
    ///
    /// Each image (every platform of an index, or --platform's) is written with its `.sig`
    /// and `.att` tags and its referrers, digests kept byte for byte, in the layout
    /// `cosign save` writes, with the names `skopeo copy … oci:DIR:NAME` reads: an image is
    /// named as given on the command line. `vouch verify oci:DIR:NAME` then needs no network.
    #[command(after_help = help::SAVE)]
    Save(SaveArgs),
    /// Push the images of a layout or oci-archive, with their signatures and attestations, to
    /// a registry, like `cosign load`.
    ///
    /// Blobs the registry has are skipped (a load cut short resumes); every blob is checked
    /// against its digest on the way, and an archive is extracted to a temporary folder
    /// ($TMPDIR, else /var/tmp) first.
    #[command(after_help = help::LOAD)]
    Load(LoadArgs),
    /// Copy an image with its signatures and attestations: registry to registry, layout to
    /// registry, registry to layout, like `cosign copy`.
    #[command(after_help = help::COPY)]
    Copy(CopyArgs),
    /// Check trust policies, and see which of their rules apply to an image.
    #[command(after_help = help::POLICY)]
    Policy(PolicyArgs),
    /// Serve a Kubernetes admission webhook that admits only images the trust policy allows.
    ///
    /// HTTPS endpoints: `POST /validate` answers `AdmissionReview` (admission.k8s.io/v1) for
    /// pods and every workload that embeds a pod template (containers, init and ephemeral
    /// containers), denying with the reason per image; `POST /mutate` (with --mutate) pins
    /// admitted tags to their verified digests; `GET /healthz`, `/readyz`, `/metrics`
    /// (Prometheus). Verdicts are cached per image name (--cache-ttl), and concurrent reviews
    /// of one image share one lookup. One JSON line per decision on stdout. docs/kubernetes.md.
    #[command(after_help = help::SERVE)]
    Serve(ServeArgs),
    /// Verify in-toto attestations about one file, like `cosign verify-blob-attestation`.
    ///
    /// Reads a Sigstore bundle with a DSSE envelope, JSON Lines of them (`gh attestation
    /// download`), or with --signature a bare DSSE envelope (`cosign attest-blob
    /// --output-signature`), and accepts the file when at least one attestation verifies (signature,
    /// certificate identity, transparency log), names the file's digest as a subject, has the
    /// --type asked and passes every --policy. Prints one line per attestation.
    #[command(after_help = help::VERIFY_BLOB_ATTESTATION)]
    VerifyBlobAttestation(VerifyBlobAttestationArgs),
    /// Attest a file with a private key, like `cosign attest-blob --key`: an in-toto statement
    /// about the file's SHA-256 with the predicate given, in a DSSE envelope in a Sigstore bundle.
    #[command(after_help = help::ATTEST_BLOB)]
    AttestBlob(AttestBlobArgs),
    /// Verify in-toto attestations on container images, like `cosign verify-attestation`.
    ///
    /// Finds the Sigstore bundles attached to each image (OCI referrers, as cosign 3,
    /// `@sigstore/oci` and GitHub's `actions/attest` with `push-to-registry` write them) and
    /// accepts the image when one verifies (signature, identity, transparency log), names the
    /// image's digest as a subject, has the --type asked and passes every --policy. Prints one
    /// line per attestation.
    #[command(after_help = help::VERIFY_ATTESTATION)]
    VerifyAttestation(VerifyAttestationArgs),
    /// Attest container images with a private key, like `cosign attest --key`: an in-toto
    /// statement about each image's digest, as a Sigstore bundle attached to the image.
    #[command(after_help = help::ATTEST)]
    Attest(AttestImageArgs),
    /// Generate a key pair, like `cosign generate-key-pair`.
    ///
    /// Writes `PREFIX.key` (private, encrypted as cosign encrypts it, mode 0600) and
    /// `PREFIX.pub` (public, PEM SubjectPublicKeyInfo).
    ///
    /// The private key's password comes from --password-file, VOUCH_PASSWORD, COSIGN_PASSWORD,
    /// a prompt (asked twice) on a terminal, or all of standard input. `--format pkcs8` writes an
    /// unencrypted PKCS#8 key instead, as `openssl genpkey` does. Existing files are never
    /// overwritten without --force.
    #[command(after_help = help::GENERATE_KEY_PAIR)]
    GenerateKeyPair(GenerateKeyPairArgs),
    /// Convert a private key to cosign's encrypted format, like `cosign import-key-pair`.
    ///
    /// Reads PKCS#8, SEC1 `EC PRIVATE KEY`, PKCS#1 `RSA PRIVATE KEY` or encrypted PKCS#8. Writes `PREFIX.key` (mode 0600) and `PREFIX.pub`. An encrypted input key is decrypted
    /// with the same password sources (a terminal asks for each password separately).
    #[command(after_help = help::IMPORT_KEY_PAIR)]
    ImportKeyPair(ImportKeyPairArgs),
    /// Print the public key of a private key, like `cosign public-key`.
    ///
    /// PEM SubjectPublicKeyInfo, as `openssl pkey -pubout` writes it.
    #[command(after_help = help::PUBLIC_KEY)]
    PublicKey(PublicKeyArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish) on stdout.
    #[command(after_help = help::COMPLETION)]
    Completion(CompletionArgs),
    /// Print the version, the git commit and its date, the target and the features built in.
    #[command(after_help = help::VERSION)]
    Version(VersionArgs),
    /// Write a man page per command (troff) into a folder: `cargo xtask man` keeps
    /// docs/man/ up to date with it.
    #[command(hide = true)]
    Manpages(ManpagesArgs),
}

impl Command {
    /// cosign's flags that vouch refuses, for the commands that share cosign's.
    pub(crate) fn cosign_only(&self) -> Option<&CosignOnly> {
        match self {
            Self::VerifyBlob(args) => Some(&args.cosign_only),
            Self::VerifyBlobAttestation(args) => Some(&args.cosign_only),
            Self::VerifyAttestation(args) => Some(&args.cosign_only),
            Self::Verify(args) => Some(&args.cosign_only),
            Self::SignBlob(args) => Some(&args.cosign_only),
            Self::Sign(args) => Some(&args.cosign_only),
            _ => None,
        }
    }

    /// `--tlog-upload`, for the signing commands.
    pub(crate) fn tlog_upload(&self) -> Option<bool> {
        match self {
            Self::SignBlob(args) => args.tlog_upload,
            Self::Sign(args) => args.tlog_upload,
            Self::Attest(args) => args.tlog_upload,
            _ => None,
        }
    }

    /// `--output` and `--output-file`, for the commands that print a report.
    pub(crate) fn output(&self) -> Option<&OutputArg> {
        match self {
            Self::VerifyBlob(args) => Some(&args.output),
            Self::VerifyBlobAttestation(args) => Some(&args.output),
            Self::VerifyAttestation(args) => Some(&args.output),
            Self::Attest(args) => Some(&args.output),
            Self::VerifyDir(args) => Some(&args.output),
            Self::Verify(args) => Some(&args.output),
            Self::Triangulate(args) | Self::Tree(args) => Some(&args.output),
            Self::Sign(args) => Some(&args.output),
            Self::GenerateKeyPair(args) => Some(&args.output),
            Self::ImportKeyPair(args) => Some(&args.output),
            Self::Version(args) => Some(&args.output),
            Self::Policy(args) => Some(match &args.command {
                PolicyCommand::Check(args) => &args.output,
                PolicyCommand::Explain(args) => &args.output,
            }),
            Self::SignBlob(_)
            | Self::Save(_)
            | Self::Load(_)
            | Self::Copy(_)
            | Self::Serve(_)
            | Self::AttestBlob(_)
            | Self::SignDir(_)
            | Self::PublicKey(_)
            | Self::Completion(_)
            | Self::Manpages(_) => None,
        }
    }
}

// Arguments of `vouch completion`.
#[derive(Debug, Args)]
pub(crate) struct CompletionArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub(crate) shell: clap_complete::Shell,
}

// Arguments of `vouch version`.
#[derive(Debug, Args)]
pub(crate) struct VersionArgs {
    #[command(flatten)]
    pub(crate) output: OutputArg,
}

// Arguments of `vouch manpages`.
#[derive(Debug, Args)]
pub(crate) struct ManpagesArgs {
    /// The folder to write `vouch.1` and `vouch-<command>.1` into (created if missing).
    #[arg(value_name = "DIR")]
    pub(crate) dir: PathBuf,
}

// `--digest`, shared by both commands.
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

// `--output` and `--output-file`, shared by the commands that print a report.
#[derive(Debug, Args)]
pub(crate) struct OutputArg {
    /// Output on stdout: `text` for people and openssl-compatible scripts, `json` for programs.
    /// Errors and hints go to stderr either way.
    #[arg(short = 'o', long = "output", value_enum, value_name = "FORMAT", default_value_t = OutputFormat::Text)]
    pub(crate) format: OutputFormat,

    /// Write the report to this file instead of stdout (cosign's --output-file). Written whole
    /// when the command ends, or not at all.
    #[arg(long = "output-file", value_name = "FILE")]
    pub(crate) output_file: Option<PathBuf>,
}

/// A boolean flag as Go's flag package (cosign) takes it: alone for `true`, or `=true`,
/// `=false`, `=1`, `=0`, `=t`, `=f` (strconv.ParseBool's spellings).
pub(crate) fn go_bool(text: &str) -> Result<bool, String> {
    match text {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Ok(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Ok(false),
        _ => Err(format!(
            "expected true or false (as --flag=true), found `{text}`"
        )),
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
