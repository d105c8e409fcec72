//! Errors of references, digests and the lookup. Verification verdicts are in `verify`.

use thiserror::Error;

/// Why a reference could not be parsed or a lookup could not complete.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// The image reference is malformed.
    #[error("invalid image reference `{found}`: {reason}")]
    InvalidReference {
        /// The text given.
        found: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A digest is malformed.
    #[error(
        "invalid digest `{found}`: expected sha256: with 64 or sha512: with 128 lower-case hex digits"
    )]
    InvalidDigest {
        /// The text found.
        found: String,
    },
    /// The image's manifest does not exist (404 on the tag or digest).
    #[error("image not found: {image} (the registry answered 404 for its manifest)")]
    ImageNotFound {
        /// The reference looked up.
        image: String,
    },
    /// Bytes from the registry do not hash to the digest they were fetched by or announced
    /// with: a broken or hostile registry. Nothing from it is used.
    #[error("the registry sent {what} whose digest is {found}, not {expected}")]
    DigestMismatch {
        /// What was fetched.
        what: String,
        /// The digest asked for or announced.
        expected: String,
        /// The digest of the bytes received.
        found: String,
    },
    /// A manifest, index or descriptor could not be parsed.
    #[error("malformed {what} from the registry: {detail}")]
    Malformed {
        /// What was being parsed.
        what: String,
        /// The parser's complaint.
        detail: String,
    },
    /// The image manifest is Docker's schema 1 (pre-2017, signed by the registry itself), which
    /// no cosign signature can name: neither signed nor verified.
    #[error(
        "the {what} is a Docker schema 1 manifest, which cannot be signed or verified (only schema 2 and OCI manifests can)"
    )]
    SchemaV1Manifest {
        /// What was being read.
        what: String,
    },
    /// Signing: the signature tag holds something vouch does not write there (another tool's
    /// document); it is left as it is rather than rewritten.
    #[error(
        "the {what} under the signature tag is not what vouch writes there: {detail}; refusing to rewrite it"
    )]
    ForeignSignatureTag {
        /// What vouch expected there.
        what: String,
        /// What is there instead.
        detail: String,
    },
    /// A body or list exceeded a limit.
    #[error("{what} exceeds the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: String,
        /// The limit, with its unit.
        limit: String,
    },
    /// `--platform` named a platform the index does not have.
    #[error("the index has no image for platform {platform}; it has: {available}")]
    PlatformNotFound {
        /// The platform asked for.
        platform: String,
        /// The platforms the index lists.
        available: String,
    },
    /// A body's length differs from the size its descriptor declares: a broken or hostile
    /// registry. Nothing from it is used.
    #[error("the registry sent {what} of {found} bytes, but its descriptor says {expected} bytes")]
    SizeMismatch {
        /// What was fetched.
        what: String,
        /// The size the descriptor declares.
        expected: u64,
        /// The length of the body received.
        found: u64,
    },
    /// A platform (`--platform`) is malformed.
    #[error(
        "invalid platform `{found}`: expected os/architecture[/variant], such as linux/amd64 or linux/arm64/v8"
    )]
    InvalidPlatform {
        /// The text given.
        found: String,
    },
    /// A [`crate::SignatureLookup`] was driven out of order: answered a fetch it did not ask
    /// for (or twice), finished before it was done, or used after it failed. A bug in the
    /// driver, not in the registry.
    #[error("signature lookup driven out of order: {detail}")]
    LookupOutOfOrder {
        /// What happened.
        detail: String,
    },
}

/// Shorthand for results of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
