//! The sans-I/O signature lookup: a state machine that says what to fetch and checks every
//! answer against its digest before parsing it.
//!
//! # Steps
//!
//! 1. The image manifest, by the reference's digest if it has one, else by its tag. With a
//!    [`Platform`] and an index, the matching child's digest is the one whose signatures are
//!    looked up (the child manifest itself is not fetched).
//! 2. The OCI 1.1 referrers API for that digest, in the signature repository.
//! 3. Only if 2 answered 404 (no referrers API), or the driver already knows the registry has
//!    none ([`LookupOptions::referrers_api_absent`]): the referrers tag schema, tag
//!    `sha256-<hex>`.
//! 4. Every referrer manifest 2 or 3 listed (up to [`MAX_REFERRERS`]); those whose single layer
//!    is a Sigstore bundle (v0.3 or later) have that layer fetched.
//! 5. cosign's legacy tag `sha256-<hex>.sig`, and its simple-signing payload blobs.
//!
//! Steps 2 and 5 are independent once step 1 is answered. [`SignatureLookup::next_fetch`]
//! hands out one fetch at a time in the order above, which costs a tag-addressed image with one
//! legacy signature on a registry without the referrers API exactly five requests: manifest,
//! referrers (404), `sha256-<hex>` (404), `sha256-<hex>.sig`, payload blob; four when the
//! registry is known to lack the referrers API.
//! [`SignatureLookup::next_fetches`] hands out everything that can be fetched now, for drivers
//! that run requests concurrently; answers are accepted in any order, and the result does not
//! depend on it.
//!
//! # What is an error, and what is only skipped
//!
//! * Anything that shows the registry (or a proxy) serving other bytes than it claims is an
//!   error, and nothing from the lookup is used: a body that does not hash to the digest it was
//!   fetched by, a `Docker-Content-Digest` header that disagrees with the body, a body whose
//!   length differs from its descriptor's `size`, a body longer than its limit.
//! * So is anything that makes the answer to "is it signed?" unknowable: a missing image, an
//!   unparseable image manifest, referrers listing, referrers tag-schema index or `.sig`
//!   manifest, a `.sig` manifest over [`crate::MAX_SIGNATURE_LAYERS`] layers (as cosign). A
//!   registry that answers the referrers API with something that is not an OCI index is broken,
//!   not "unsigned".
//! * Content that hashes correctly but is not a signature we can use is skipped, with a reason
//!   in [`Lookup::skipped`]: referrers that are SBOMs, attestations of other kinds, indexes,
//!   unparseable manifests, bundles older than v0.3, referrers naming another subject,
//!   manifests or blobs listed but missing (404), legacy layers of other media types or
//!   without a signature annotation. Anyone who can push to the repository can add such
//!   content; skipping it keeps them from blocking verification, and listing it keeps anything
//!   from disappearing silently.
//! * What may be a signature but is over a limit is not fetched, and is reported as a
//!   candidate that could not be checked ([`CandidateContent::Unchecked`]), never dropped: a
//!   signature layer declared larger than [`crate::MAX_PAYLOAD_BYTES`], a referrer manifest
//!   larger than [`MAX_MANIFEST_BYTES`], referrers beyond [`MAX_REFERRERS`] (one candidate for
//!   all of them), and whatever would take one place's signatures (the referrer manifests with
//!   their bundles; the legacy payloads) beyond [`crate::MAX_SIGNATURE_BYTES`]. An image is
//!   then never "unsigned" because of a limit. The budget goes in listing order: bundle layers
//!   are fetched once every referrer manifest is in, so that the result does not depend on
//!   the order answers arrive in. With these bounds, a lookup holds at most
//!   2 × [`crate::MAX_SIGNATURE_BYTES`] of signatures, whatever the registry lists.
//!
//! # Decisions
//!
//! * **Referrers are not filtered on `artifactType`.** Writers record it inconsistently: ggcr
//!   (cosign, GHCR's tag-schema fallback) writes the config media type there, so a bundle
//!   referrer is listed as `application/vnd.oci.empty.v1+json` (sigstore/cosign#4641). Like
//!   cosign's `GetBundles`, every listed manifest is fetched and judged by its layer media type.
//!   The cost is one manifest request per referrer, bounded by [`MAX_REFERRERS`]; a denylist of
//!   known non-signature types would save little (images have few referrers) and is one more
//!   thing that could hide a signature. Listing entries whose `mediaType` is not an image
//!   manifest (an index, say) are skipped without fetching: a bundle referrer is always an
//!   image manifest, and a lying entry could not pass the digest check anyway.
//! * The tag schema is only consulted when the referrers API answers 404, as ggcr does.
//! * Referrers API pagination (`Link` headers) is the driver's: a [`crate::Response`] carries
//!   one listing, so a driver hands over the entries of every page as one index (the
//!   `registry` feature's driver does, up to a bound).
//! * A referrer without `subject` is accepted (the listing already ties it to the image); one
//!   whose `subject` names another digest is skipped.
//! * The legacy `.sig` tag is always read, even when bundles were found: every signature found
//!   is reported, and the policy decides which to trust.
//! * With a platform but an image that is a single manifest, the platform is ignored (as
//!   `docker pull --platform` does for single-platform images): the manifest is what the
//!   reference names, and its digest is what signatures must name.
//! * Identical blob fetches (legacy layers of several signatures over one payload) are made
//!   once and serve every layer that needs them.
//! * After [`SignatureLookup::on_response`] returns an error the lookup is over: nothing more is
//!   fetched and [`SignatureLookup::finish`] fails.

use std::fmt;
use std::str::FromStr;

use crate::manifest::{
    self, BundleMediaType, Descriptor, Document, ImageIndex, OCI_INDEX, SIMPLE_SIGNING, truncate,
};
use crate::{
    CandidateContent, Error, Fetch, ImageRef, Lookup, MAX_MANIFEST_BYTES, MAX_PAYLOAD_BYTES,
    MAX_SIGNATURE_BYTES, MAX_SIGNATURE_LAYERS, OciDigest, Repository, Response, Result,
    SignatureCandidate, SignatureKind, SimpleSigningLayer, Source, SourceStatus,
};

/// Most referrer manifests examined per source (referrers API or tag schema). Further
/// entries are reported in [`Lookup::skipped`] and not fetched.
pub const MAX_REFERRERS: usize = 100;

const ANNOTATION_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
const ANNOTATION_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
const ANNOTATION_CHAIN: &str = "dev.sigstore.cosign/chain";
const ANNOTATION_REKOR_BUNDLE: &str = "dev.sigstore.cosign/bundle";
const ANNOTATION_RFC3161_TIMESTAMP: &str = "dev.sigstore.cosign/rfc3161timestamp";
/// The annotations of a legacy layer that are read.
const COSIGN_ANNOTATIONS: [&str; 5] = [
    ANNOTATION_SIGNATURE,
    ANNOTATION_CERTIFICATE,
    ANNOTATION_CHAIN,
    ANNOTATION_REKOR_BUNDLE,
    ANNOTATION_RFC3161_TIMESTAMP,
];

/// The most memory a manifest, index or referrers listing may take as a tree (the estimate of
/// `vouch_sigstore::json_cost`), checked before it is parsed. A real one costs about its size
/// (its bulk is digests and annotation values); 4 MiB of tiny annotations would cost 50 MiB.
pub(crate) const MAX_MANIFEST_COST: u64 = 16 << 20;

/// An image platform, as in an index entry: `linux/amd64`, `linux/arm64/v8`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Platform {
    /// The operating system (`linux`, `windows`).
    pub os: String,
    /// The CPU architecture (`amd64`, `arm64`, `arm`, `ppc64le`, `s390x`).
    pub architecture: String,
    /// The architecture variant (`v7`, `v8`), if any.
    pub variant: Option<String>,
}

impl Platform {
    /// A platform from its parts, taken as given.
    pub fn new(
        os: impl Into<String>,
        architecture: impl Into<String>,
        variant: Option<String>,
    ) -> Self {
        Self {
            os: os.into(),
            architecture: architecture.into(),
            variant,
        }
    }

    /// Parses `os/architecture[/variant]`, as `docker --platform` takes it: case-insensitive,
    /// with the common architecture aliases (`x86_64` → `amd64`, `aarch64` → `arm64`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidPlatform`] unless there are two or three non-empty parts of
    /// `[A-Za-z0-9._-]`.
    pub fn parse(text: &str) -> Result<Self> {
        let invalid = || Error::InvalidPlatform {
            found: truncate(text, 100),
        };
        let part_ok = |part: &str| {
            !part.is_empty()
                && part.len() <= 64
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        };
        let parts: Vec<&str> = text.split('/').collect();
        if !(2..=3).contains(&parts.len()) || !parts.iter().all(|part| part_ok(part)) {
            return Err(invalid());
        }
        let lower = |i: usize| parts.get(i).map(|part| part.to_ascii_lowercase());
        let os = lower(0).ok_or_else(invalid)?;
        let architecture = match lower(1).ok_or_else(invalid)?.as_str() {
            "x86_64" | "x86-64" => "amd64".to_owned(),
            "aarch64" => "arm64".to_owned(),
            other => other.to_owned(),
        };
        Ok(Self {
            os,
            architecture,
            variant: lower(2),
        })
    }

    /// Whether an index entry's platform is this one. A variant left out matches any variant;
    /// `arm64` without a variant and `arm64/v8` are the same platform.
    fn matches(&self, os: &str, architecture: &str, variant: Option<&str>) -> bool {
        let normalise = |variant: Option<&str>| match (architecture, variant) {
            (_, Some("")) | ("arm64", Some("v8")) => None,
            (_, variant) => variant.map(str::to_owned),
        };
        if self.os != os || self.architecture != architecture {
            return false;
        }
        match normalise(self.variant.as_deref()) {
            None => self.variant.is_none() || normalise(variant).is_none(),
            wanted => wanted == normalise(variant),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if let Some(variant) = &self.variant {
            write!(f, "/{variant}")?;
        }
        Ok(())
    }
}

impl FromStr for Platform {
    type Err = Error;

    fn from_str(text: &str) -> Result<Self> {
        Self::parse(text)
    }
}

/// Where to look, beyond the image itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct LookupOptions {
    /// Where signatures are stored when not next to the image (cosign's `COSIGN_REPOSITORY`):
    /// the referrers API, the tag schema and the `.sig` tag are all read there.
    pub signature_repository: Option<Repository>,
    /// With an index, verify this platform's image rather than the index.
    pub platform: Option<Platform>,
    /// The signature repository's registry is known to have no referrers API (it answered
    /// 404 to an earlier listing): the tag schema is read without asking again. A registry
    /// with the API never answers 404 there (distribution spec 1.1), so a driver that saw one
    /// may remember it per registry, as [`crate::RegistryClient`] does within one client.
    pub referrers_api_absent: bool,
}

impl LookupOptions {
    /// No signature repository override and no platform.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads signatures from `repository` instead of the image's repository.
    #[must_use]
    pub fn with_signature_repository(mut self, repository: Repository) -> Self {
        self.signature_repository = Some(repository);
        self
    }

    /// Selects `platform` from an index.
    #[must_use]
    pub fn with_platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// Skips the referrers API, known to be absent (see [`Self::referrers_api_absent`]).
    #[must_use]
    pub fn with_referrers_api_absent(mut self) -> Self {
        self.referrers_api_absent = true;
        self
    }
}

/// The sans-I/O lookup of an image's signatures (module docs: the steps and what is an error).
///
/// A driver is a loop over [`SignatureLookup::next_fetch`]; here an in-memory registry that
/// holds one unsigned image and answers 404 to everything else.
///
/// ```
/// use vouch_oci::{Fetch, ImageRef, LookupOptions, Response, SignatureLookup};
///
/// const MANIFEST: &[u8] = br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;
///
/// /// Your HTTP stack: the body and content type, or `None` for a 404.
/// fn get(fetch: &Fetch) -> Option<(&'static [u8], Option<&'static str>)> {
///     match fetch {
///         Fetch::Manifest { reference, .. } if reference == "1.0" => {
///             Some((MANIFEST, Some("application/vnd.oci.image.manifest.v1+json")))
///         }
///         _ => None,
///     }
/// }
///
/// let image = ImageRef::parse("registry.example/org/app:1.0")?;
/// let mut lookup = SignatureLookup::new(image, LookupOptions::new());
/// while let Some(fetch) = lookup.next_fetch() {
///     let response = match get(&fetch) {
///         Some((body, content_type)) => Response::Found {
///             body,
///             content_type,
///             docker_content_digest: None,
///         },
///         None => Response::NotFound,
///     };
///     lookup.on_response(&fetch, response)?;
/// }
/// let found = lookup.finish()?;
/// assert!(found.candidates.is_empty(), "the image is unsigned");
/// # Ok::<(), vouch_oci::Error>(())
/// ```
#[derive(Debug)]
pub struct SignatureLookup {
    image: ImageRef,
    platform: Option<Platform>,
    signature_repository: Repository,
    referrers_api_absent: bool,
    /// Fetches not yet handed out.
    queue: Vec<Pending>,
    /// Fetches handed out and not yet answered.
    outstanding: Vec<Pending>,
    next_seq: u64,
    target: Option<Target>,
    referrers: Stage,
    tag_schema: Stage,
    legacy: Stage,
    candidates: Vec<(Order, SignatureCandidate)>,
    skipped: Vec<(Order, String)>,
    failed: bool,
    /// Bytes of referrer manifests and bundles asked for so far ([`MAX_SIGNATURE_BYTES`]).
    referrer_bytes: u64,
    /// Bytes of legacy payloads asked for so far ([`MAX_SIGNATURE_BYTES`]).
    legacy_bytes: u64,
    /// Referrer manifests asked for and not yet answered: bundle layers wait until all are in,
    /// so that the byte budget goes to them in listing order, whatever order answers come in.
    referrer_manifests_pending: usize,
    /// Bundle layers found in referrer manifests, waiting for the others (see above).
    held_bundles: Vec<HeldBundle>,
}

/// A bundle layer to fetch once every referrer manifest is in.
#[derive(Debug)]
struct HeldBundle {
    source: Source,
    manifest_digest: OciDigest,
    digest: OciDigest,
    size: u64,
    label: String,
    order: Order,
}

/// What step 1 established.
#[derive(Debug)]
struct Target {
    digest: OciDigest,
    index_digest: Option<OciDigest>,
    media_type: String,
    children: Vec<(OciDigest, String)>,
}

/// The progress of one signature source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    NotAsked,
    Asked,
    Listed,
    Absent,
    Unsupported,
}

/// A position in discovery order: (source, entry in its listing, layer), so that results do
/// not depend on the order answers arrive in.
type Order = (u8, usize, usize);

/// One fetch and everything waiting for its answer.
#[derive(Debug)]
struct Pending {
    fetch: Fetch,
    seq: u64,
    steps: Vec<Step>,
}

impl Pending {
    fn rank(&self) -> (u8, u64) {
        let rank = self.steps.iter().map(Step::rank).min().unwrap_or(u8::MAX);
        (rank, self.seq)
    }
}

/// Why a fetch was made.
#[derive(Debug)]
enum Step {
    Image,
    Referrers,
    TagSchema,
    ReferrerManifest {
        source: Source,
        descriptor: Descriptor,
        order: Order,
    },
    BundleBlob {
        source: Source,
        manifest_digest: OciDigest,
        order: Order,
    },
    LegacyManifest,
    LegacyBlob {
        manifest_digest: OciDigest,
        layer: Descriptor,
        order: Order,
    },
}

impl Step {
    /// The order `next_fetch` hands fetches out in (module docs, "Steps").
    fn rank(&self) -> u8 {
        match self {
            Self::Image => 0,
            Self::Referrers => 1,
            Self::TagSchema => 2,
            Self::ReferrerManifest { .. } => 3,
            Self::BundleBlob { .. } => 4,
            Self::LegacyManifest => 5,
            Self::LegacyBlob { .. } => 6,
        }
    }
}

fn source_rank(source: Source) -> u8 {
    match source {
        Source::Referrers => 0,
        Source::ReferrersTagSchema => 1,
        Source::LegacyTag => 2,
    }
}

impl SignatureLookup {
    /// A lookup of `image`'s signatures. Nothing happens until [`Self::next_fetch`].
    pub fn new(image: ImageRef, options: LookupOptions) -> Self {
        let signature_repository = options
            .signature_repository
            .unwrap_or_else(|| image.repository().clone());
        let mut lookup = Self {
            platform: options.platform,
            signature_repository,
            referrers_api_absent: options.referrers_api_absent,
            queue: Vec::new(),
            outstanding: Vec::new(),
            next_seq: 0,
            target: None,
            referrers: Stage::NotAsked,
            tag_schema: Stage::NotAsked,
            legacy: Stage::NotAsked,
            candidates: Vec::new(),
            skipped: Vec::new(),
            failed: false,
            referrer_bytes: 0,
            legacy_bytes: 0,
            referrer_manifests_pending: 0,
            held_bundles: Vec::new(),
            image,
        };
        let fetch = Fetch::Manifest {
            repository: lookup.image.repository().clone(),
            reference: lookup.image.manifest_reference(),
        };
        lookup.enqueue(fetch, Step::Image);
        lookup
    }

    /// The next request to make, or `None` when the lookup is done (or stopped at an error).
    /// Answer each with [`Self::on_response`] before asking again: while a fetch is
    /// unanswered, the next one may depend on it, so `None` can then also mean "nothing until
    /// you answer".
    pub fn next_fetch(&mut self) -> Option<Fetch> {
        if self.failed {
            return None;
        }
        let (index, _) = self
            .queue
            .iter()
            .enumerate()
            .min_by_key(|(_, pending)| pending.rank())?;
        let pending = self.queue.swap_remove(index);
        let fetch = pending.fetch.clone();
        self.outstanding.push(pending);
        Some(fetch)
    }

    /// Every request that can be made now, to run concurrently; answer them with
    /// [`Self::on_response`] in any order, then ask again. Empty when nothing can be fetched
    /// now: the lookup is done, stopped at an error, or waits for answers to fetches already
    /// handed out. A driver that answers each batch before asking again is done when this is
    /// empty.
    pub fn next_fetches(&mut self) -> Vec<Fetch> {
        let mut fetches = Vec::new();
        while let Some(fetch) = self.next_fetch() {
            fetches.push(fetch);
        }
        fetches
    }

    /// The digest whose signatures are looked up, once the image manifest has been answered.
    pub fn digest(&self) -> Option<&OciDigest> {
        self.target.as_ref().map(|target| &target.digest)
    }

    /// Takes the answer to `fetch`, which must have come from [`Self::next_fetch`] or
    /// [`Self::next_fetches`] and not been answered yet. Checks the body against its digest,
    /// its descriptor's size and the `Docker-Content-Digest` header before parsing it.
    ///
    /// # Errors
    ///
    /// * [`Error::LookupOutOfOrder`] if `fetch` was not asked for or was already answered (a
    ///   driver bug: the lookup is then over too), or the lookup already failed.
    /// * [`Error::ImageNotFound`] on a 404 for the image manifest.
    /// * [`Error::DigestMismatch`], [`Error::SizeMismatch`], [`Error::TooLarge`] when the
    ///   registry's bytes are not what was asked for.
    /// * [`Error::Malformed`] when the image manifest, the referrers listing, the tag-schema
    ///   index or the `.sig` manifest cannot be parsed.
    /// * [`Error::PlatformNotFound`] when a platform was asked for and the index lacks it.
    ///
    /// After an error the lookup is over.
    pub fn on_response(&mut self, fetch: &Fetch, response: Response<'_>) -> Result<()> {
        if self.failed {
            return Err(Error::LookupOutOfOrder {
                detail: "on_response after the lookup failed".to_owned(),
            });
        }
        let Some(index) = self.outstanding.iter().position(|p| p.fetch == *fetch) else {
            self.failed = true;
            return Err(Error::LookupOutOfOrder {
                detail: format!(
                    "on_response for {}, which was not asked for or was already answered",
                    describe_fetch(fetch)
                ),
            });
        };
        let pending = self.outstanding.swap_remove(index);
        // A driver that does not stop reading at `max_len` must not get more accepted.
        let response = match response {
            Response::Found { body, .. }
                if u64::try_from(body.len()).map_or(true, |len| len > fetch.max_len()) =>
            {
                Response::TooLarge
            }
            other => other,
        };
        for step in pending.steps {
            if let Err(error) = self.on_step(step, fetch, response) {
                self.failed = true;
                return Err(error);
            }
        }
        Ok(())
    }

    /// What the lookup found.
    ///
    /// # Errors
    ///
    /// [`Error::LookupOutOfOrder`] if fetches remain to be made or answered (call
    /// [`Self::next_fetch`] until it returns `None`), or if the lookup failed.
    pub fn finish(self) -> Result<Lookup> {
        if self.failed {
            return Err(Error::LookupOutOfOrder {
                detail: "finish after the lookup failed".to_owned(),
            });
        }
        let remaining = self.queue.len() + self.outstanding.len();
        let target = match self.target {
            Some(target) if remaining == 0 => target,
            _ => {
                return Err(Error::LookupOutOfOrder {
                    detail: format!(
                        "finish before the lookup was done (fetches: {} not yet made, {} not answered)",
                        self.queue.len(),
                        self.outstanding.len()
                    ),
                });
            }
        };
        let mut candidates = self.candidates;
        candidates.sort_by_key(|(order, _)| *order);
        let mut skipped = self.skipped;
        skipped.sort_by_key(|(order, _)| *order);
        let candidates: Vec<SignatureCandidate> = candidates.into_iter().map(|(_, c)| c).collect();
        let count = |source: Source| candidates.iter().filter(|c| c.source == source).count();
        let status = |stage: Stage, source: Source| match stage {
            Stage::Listed => SourceStatus::Found(count(source)),
            Stage::Absent => SourceStatus::Absent,
            Stage::Unsupported => SourceStatus::Unsupported,
            Stage::NotAsked | Stage::Asked => SourceStatus::Skipped,
        };
        let sources = vec![
            (Source::Referrers, status(self.referrers, Source::Referrers)),
            (
                Source::ReferrersTagSchema,
                status(self.tag_schema, Source::ReferrersTagSchema),
            ),
            (Source::LegacyTag, status(self.legacy, Source::LegacyTag)),
        ];
        Ok(Lookup {
            image: self.image,
            digest: target.digest,
            index_digest: target.index_digest,
            media_type: target.media_type,
            children: target.children,
            candidates,
            sources,
            skipped: skipped.into_iter().map(|(_, reason)| reason).collect(),
        })
    }

    fn enqueue(&mut self, fetch: Fetch, step: Step) {
        if let Some(pending) = self
            .queue
            .iter_mut()
            .chain(self.outstanding.iter_mut())
            .find(|pending| pending.fetch == fetch)
        {
            pending.steps.push(step);
            return;
        }
        self.queue.push(Pending {
            fetch,
            seq: self.next_seq,
            steps: vec![step],
        });
        self.next_seq += 1;
    }

    fn skip(&mut self, order: Order, reason: String) {
        self.skipped.push((order, reason));
    }

    /// Records something that may be a signature and is not fetched because of a limit.
    fn unchecked(
        &mut self,
        order: Order,
        source: Source,
        manifest_digest: OciDigest,
        kind: SignatureKind,
        reason: String,
    ) {
        self.candidates.push((
            order,
            SignatureCandidate {
                source,
                manifest_digest,
                content: CandidateContent::Unchecked { kind, reason },
            },
        ));
    }

    /// Takes `size` bytes from `used` if they fit in [`MAX_SIGNATURE_BYTES`].
    fn take_budget(used: &mut u64, size: u64) -> bool {
        match used.checked_add(size) {
            Some(total) if total <= MAX_SIGNATURE_BYTES => {
                *used = total;
                true
            }
            _ => false,
        }
    }

    fn on_step(&mut self, step: Step, fetch: &Fetch, response: Response<'_>) -> Result<()> {
        match step {
            Step::Image => self.on_image(fetch, response),
            Step::Referrers => self.on_referrers(fetch, response),
            Step::TagSchema => self.on_tag_schema(fetch, response),
            Step::ReferrerManifest {
                source,
                descriptor,
                order,
            } => {
                self.on_referrer_manifest(fetch, response, source, &descriptor, order)?;
                self.referrer_manifests_pending = self.referrer_manifests_pending.saturating_sub(1);
                if self.referrer_manifests_pending == 0 {
                    self.release_bundles();
                }
                Ok(())
            }
            Step::BundleBlob {
                source,
                manifest_digest,
                order,
            } => self.on_bundle_blob(fetch, response, source, manifest_digest, order),
            Step::LegacyManifest => self.on_legacy_manifest(fetch, response),
            Step::LegacyBlob {
                manifest_digest,
                layer,
                order,
            } => self.on_legacy_blob(fetch, response, manifest_digest, &layer, order),
        }
    }

    /// Step 1: the image manifest or index.
    fn on_image(&mut self, fetch: &Fetch, response: Response<'_>) -> Result<()> {
        let what = format!("image manifest {}", self.image);
        let (body, content_type, header) = match response {
            Response::NotFound => {
                return Err(Error::ImageNotFound {
                    image: self.image.to_string(),
                });
            }
            Response::TooLarge => return Err(too_large(&what, fetch)),
            Response::Found {
                body,
                content_type,
                docker_content_digest,
            } => (body, content_type, docker_content_digest),
        };
        if let Some(digest) = self.image.digest() {
            check_digest(&what, digest, body)?;
        }
        check_header(&what, header, body)?;
        let digest = match self.image.digest() {
            Some(digest) => digest.clone(),
            None => OciDigest::sha256_of(body),
        };
        let document = parse_document(body, content_type)
            .map_err(|detail| Error::Malformed { what, detail })?;
        let target = match document {
            Document::Manifest(manifest) => Target {
                digest,
                index_digest: None,
                media_type: manifest.media_type,
                children: Vec::new(),
            },
            Document::Index(index) => self.select_platform(digest, index)?,
        };
        let subject = target.digest.clone();
        self.target = Some(target);
        if self.referrers_api_absent {
            self.referrers = Stage::Unsupported;
            self.ask_tag_schema(&subject);
        } else {
            self.referrers = Stage::Asked;
            self.enqueue(
                Fetch::Referrers {
                    repository: self.signature_repository.clone(),
                    digest: subject.clone(),
                },
                Step::Referrers,
            );
        }
        self.legacy = Stage::Asked;
        self.enqueue(
            Fetch::Manifest {
                repository: self.signature_repository.clone(),
                reference: format!("{}.sig", subject.tag_form()),
            },
            Step::LegacyManifest,
        );
        Ok(())
    }

    fn select_platform(&self, digest: OciDigest, index: ImageIndex) -> Result<Target> {
        let children: Vec<(OciDigest, String)> = index
            .manifests
            .iter()
            .map(|child| {
                let platform = child
                    .platform
                    .as_ref()
                    .map_or_else(|| "unknown".to_owned(), manifest::PlatformJson::display);
                (child.digest.clone(), platform)
            })
            .collect();
        let Some(wanted) = &self.platform else {
            return Ok(Target {
                digest,
                index_digest: None,
                media_type: index.media_type,
                children,
            });
        };
        let candidates: Vec<&Descriptor> = index
            .manifests
            .iter()
            .filter(|child| {
                child
                    .platform
                    .as_ref()
                    .is_some_and(|p| wanted.matches(&p.os, &p.architecture, p.variant.as_deref()))
            })
            .collect();
        // An exact variant match wins over "any variant" (linux/arm asked, v6 and v7 listed:
        // the first; linux/arm/v7 asked: v7).
        let exact = candidates.iter().find(|child| {
            child
                .platform
                .as_ref()
                .is_some_and(|p| p.variant == wanted.variant)
        });
        let Some(chosen) = exact.or(candidates.first()) else {
            return Err(Error::PlatformNotFound {
                platform: wanted.to_string(),
                available: available_platforms(&children),
            });
        };
        Ok(Target {
            digest: chosen.digest.clone(),
            index_digest: Some(digest),
            media_type: chosen.media_type.clone(),
            children,
        })
    }

    /// Step 2: the referrers API.
    fn on_referrers(&mut self, fetch: &Fetch, response: Response<'_>) -> Result<()> {
        let subject = self.target_digest()?;
        let what = format!(
            "referrers listing of {subject} in {}",
            self.signature_repository
        );
        match response {
            Response::NotFound => {
                self.referrers = Stage::Unsupported;
                self.ask_tag_schema(&subject);
                Ok(())
            }
            Response::TooLarge => Err(too_large(&what, fetch)),
            Response::Found {
                body, content_type, ..
            } => {
                let listing = match parse_document(body, content_type) {
                    Ok(Document::Index(index)) if index.media_type == OCI_INDEX => index,
                    Ok(Document::Index(index)) => {
                        return Err(Error::Malformed {
                            what,
                            detail: format!(
                                "expected an OCI image index, found {}",
                                index.media_type
                            ),
                        });
                    }
                    Ok(Document::Manifest(manifest)) => {
                        return Err(Error::Malformed {
                            what,
                            detail: format!(
                                "expected an OCI image index, found {}",
                                manifest.media_type
                            ),
                        });
                    }
                    Err(detail) => return Err(Error::Malformed { what, detail }),
                };
                self.referrers = Stage::Listed;
                self.queue_referrers(Source::Referrers, listing.manifests);
                Ok(())
            }
        }
    }

    /// Queues step 3, the tag-schema index of `subject`.
    fn ask_tag_schema(&mut self, subject: &OciDigest) {
        self.tag_schema = Stage::Asked;
        self.enqueue(
            Fetch::Manifest {
                repository: self.signature_repository.clone(),
                reference: subject.tag_form(),
            },
            Step::TagSchema,
        );
    }

    /// Step 3: the referrers tag schema, after a 404 from the referrers API.
    fn on_tag_schema(&mut self, fetch: &Fetch, response: Response<'_>) -> Result<()> {
        let subject = self.target_digest()?;
        let tag = subject.tag_form();
        let what = format!("referrers tag {tag} in {}", self.signature_repository);
        match response {
            Response::NotFound => {
                self.tag_schema = Stage::Absent;
                Ok(())
            }
            Response::TooLarge => Err(too_large(&what, fetch)),
            Response::Found {
                body,
                content_type,
                docker_content_digest,
            } => {
                check_header(&what, docker_content_digest, body)?;
                let document = parse_document(body, content_type)
                    .map_err(|detail| Error::Malformed { what, detail })?;
                self.tag_schema = Stage::Listed;
                let order = (source_rank(Source::ReferrersTagSchema), 0, 0);
                match document {
                    Document::Index(index) if index.media_type == OCI_INDEX => {
                        self.queue_referrers(Source::ReferrersTagSchema, index.manifests);
                    }
                    other => {
                        let media_type = match other {
                            Document::Index(index) => index.media_type,
                            Document::Manifest(manifest) => manifest.media_type,
                        };
                        self.skip(
                            order,
                            format!(
                                "tag {tag} holds a {media_type}, not an OCI image index: not a referrers tag-schema index"
                            ),
                        );
                    }
                }
                Ok(())
            }
        }
    }

    /// The referrer manifests a listing names (steps 2 and 3 → 4).
    fn queue_referrers(&mut self, source: Source, descriptors: Vec<Descriptor>) {
        let rank = source_rank(source);
        let total = descriptors.len();
        let mut seen: Vec<OciDigest> = Vec::new();
        for (position, descriptor) in descriptors.into_iter().enumerate() {
            let order = (rank, position, 0);
            if seen.contains(&descriptor.digest) {
                continue;
            }
            if seen.len() == MAX_REFERRERS {
                // Whatever they are, they may hold a signature: one that could not be checked,
                // never nothing.
                let rest = total - position;
                self.unchecked(
                    order,
                    source,
                    descriptor.digest.clone(),
                    SignatureKind::Bundle,
                    format!(
                        "{} lists {rest} more referrer{} after the first {MAX_REFERRERS} (from {} on): not examined",
                        source_name(source),
                        if rest == 1 { "" } else { "s" },
                        descriptor.digest
                    ),
                );
                break;
            }
            seen.push(descriptor.digest.clone());
            let label = referrer_label(source, &descriptor);
            if !manifest::is_image_manifest(&descriptor.media_type) {
                self.skip(
                    order,
                    format!(
                        "{label}: media type {}, not an image manifest: not a signature",
                        truncate(&descriptor.media_type, 100)
                    ),
                );
                continue;
            }
            if descriptor.size > MAX_MANIFEST_BYTES {
                self.unchecked(
                    order,
                    source,
                    descriptor.digest.clone(),
                    SignatureKind::Bundle,
                    format!(
                        "{label}: declared {} bytes, over the manifest limit of {MAX_MANIFEST_BYTES} bytes; not fetched",
                        descriptor.size
                    ),
                );
                continue;
            }
            if !Self::take_budget(&mut self.referrer_bytes, descriptor.size) {
                self.unchecked(
                    order,
                    source,
                    descriptor.digest.clone(),
                    SignatureKind::Bundle,
                    over_budget(&label, descriptor.size, source),
                );
                continue;
            }
            self.referrer_manifests_pending += 1;
            let fetch = Fetch::Manifest {
                repository: self.signature_repository.clone(),
                reference: descriptor.digest.to_string(),
            };
            self.enqueue(
                fetch,
                Step::ReferrerManifest {
                    source,
                    descriptor,
                    order,
                },
            );
        }
    }

    /// Step 4: one referrer manifest.
    fn on_referrer_manifest(
        &mut self,
        fetch: &Fetch,
        response: Response<'_>,
        source: Source,
        descriptor: &Descriptor,
        order: Order,
    ) -> Result<()> {
        let subject = self.target_digest()?;
        let label = referrer_label(source, descriptor);
        let what = format!(
            "referrer manifest {} in {}",
            descriptor.digest, self.signature_repository
        );
        let (body, content_type, header) = match response {
            Response::NotFound => {
                self.skip(
                    order,
                    format!("{label}: listed, but the manifest is missing (404)"),
                );
                return Ok(());
            }
            Response::TooLarge => return Err(too_large(&what, fetch)),
            Response::Found {
                body,
                content_type,
                docker_content_digest,
            } => (body, content_type, docker_content_digest),
        };
        check_digest(&what, &descriptor.digest, body)?;
        check_header(&what, header, body)?;
        check_size(&what, descriptor.size, body)?;
        let manifest = match parse_document(body, content_type) {
            Ok(Document::Manifest(manifest)) => manifest,
            Ok(Document::Index(index)) => {
                self.skip(
                    order,
                    format!(
                        "{label}: media type {}, not an image manifest: not a signature",
                        index.media_type
                    ),
                );
                return Ok(());
            }
            Err(detail) => {
                self.skip(order, format!("{label}: not a valid manifest: {detail}"));
                return Ok(());
            }
        };
        if let Some(other) = &manifest.subject
            && other.digest != subject
        {
            self.skip(
                order,
                format!("{label}: its subject is {}, not {subject}", other.digest),
            );
            return Ok(());
        }
        let kind = manifest
            .artifact_type
            .as_deref()
            .unwrap_or(&manifest.config.media_type);
        let layer = match manifest.layers.as_slice() {
            [layer] => layer,
            layers => {
                self.skip(
                    order,
                    format!(
                        "{label}: artifact type {} with {} layers: not a Sigstore bundle (one layer)",
                        truncate(kind, 100),
                        layers.len()
                    ),
                );
                return Ok(());
            }
        };
        match manifest::bundle_media_type(&layer.media_type) {
            BundleMediaType::Supported => {}
            BundleMediaType::TooOld => {
                self.skip(
                    order,
                    format!(
                        "{label}: a Sigstore bundle of media type {}: image signatures are v0.3 or later",
                        layer.media_type
                    ),
                );
                return Ok(());
            }
            BundleMediaType::NotABundle => {
                self.skip(
                    order,
                    format!(
                        "{label}: artifact type {}, layer {}: not a Sigstore bundle",
                        truncate(kind, 100),
                        truncate(&layer.media_type, 100)
                    ),
                );
                return Ok(());
            }
        }
        self.held_bundles.push(HeldBundle {
            source,
            manifest_digest: descriptor.digest.clone(),
            digest: layer.digest.clone(),
            size: layer.size,
            label,
            order,
        });
        Ok(())
    }

    /// Step 4, once every referrer manifest is in: their bundle layers, in listing order, as
    /// far as [`MAX_PAYLOAD_BYTES`] and [`MAX_SIGNATURE_BYTES`] allow.
    fn release_bundles(&mut self) {
        let mut held = std::mem::take(&mut self.held_bundles);
        held.sort_by_key(|bundle| bundle.order);
        for bundle in held {
            let HeldBundle {
                source,
                manifest_digest,
                digest,
                size,
                label,
                order,
            } = bundle;
            if size > MAX_PAYLOAD_BYTES {
                self.unchecked(
                    order,
                    source,
                    manifest_digest,
                    SignatureKind::Bundle,
                    format!(
                        "{label}: its bundle is declared {size} bytes, over the limit of {MAX_PAYLOAD_BYTES} bytes for one signature; not fetched"
                    ),
                );
                continue;
            }
            if !Self::take_budget(&mut self.referrer_bytes, size) {
                self.unchecked(
                    order,
                    source,
                    manifest_digest,
                    SignatureKind::Bundle,
                    over_budget(&label, size, source),
                );
                continue;
            }
            self.enqueue(
                Fetch::Blob {
                    repository: self.signature_repository.clone(),
                    digest,
                    size,
                },
                Step::BundleBlob {
                    source,
                    manifest_digest,
                    order,
                },
            );
        }
    }

    /// Step 4: a bundle layer.
    fn on_bundle_blob(
        &mut self,
        fetch: &Fetch,
        response: Response<'_>,
        source: Source,
        manifest_digest: OciDigest,
        order: Order,
    ) -> Result<()> {
        let Fetch::Blob { digest, size, .. } = fetch else {
            return Err(Error::LookupOutOfOrder {
                detail: "a bundle answered by something other than a blob".to_owned(),
            });
        };
        let what = format!("bundle blob {digest} in {}", self.signature_repository);
        match response {
            Response::NotFound => {
                self.skip(
                    order,
                    format!(
                        "referrer {manifest_digest} (from {}): its bundle blob {digest} is missing (404)",
                        source_name(source)
                    ),
                );
                Ok(())
            }
            Response::TooLarge => Err(too_large(&what, fetch)),
            Response::Found {
                body,
                docker_content_digest,
                ..
            } => {
                check_digest(&what, digest, body)?;
                check_header(&what, docker_content_digest, body)?;
                check_size(&what, *size, body)?;
                self.candidates.push((
                    order,
                    SignatureCandidate {
                        source,
                        manifest_digest,
                        content: CandidateContent::Bundle {
                            json: body.to_vec(),
                        },
                    },
                ));
                Ok(())
            }
        }
    }

    /// Step 5: the legacy `.sig` manifest.
    fn on_legacy_manifest(&mut self, fetch: &Fetch, response: Response<'_>) -> Result<()> {
        let subject = self.target_digest()?;
        let tag = format!("{}.sig", subject.tag_form());
        let what = format!("signature manifest {tag} in {}", self.signature_repository);
        let (body, content_type, header) = match response {
            Response::NotFound => {
                self.legacy = Stage::Absent;
                return Ok(());
            }
            Response::TooLarge => return Err(too_large(&what, fetch)),
            Response::Found {
                body,
                content_type,
                docker_content_digest,
            } => (body, content_type, docker_content_digest),
        };
        check_header(&what, header, body)?;
        let manifest = match parse_document(body, content_type) {
            Ok(Document::Manifest(manifest)) => manifest,
            Ok(Document::Index(index)) => {
                return Err(Error::Malformed {
                    what,
                    detail: format!("expected an image manifest, found {}", index.media_type),
                });
            }
            Err(detail) => return Err(Error::Malformed { what, detail }),
        };
        if manifest.layers.len() > MAX_SIGNATURE_LAYERS {
            return Err(Error::TooLarge {
                what: format!("{what}, with {} layers,", manifest.layers.len()),
                limit: format!("{MAX_SIGNATURE_LAYERS} layers"),
            });
        }
        self.legacy = Stage::Listed;
        let manifest_digest = OciDigest::sha256_of(body);
        let rank = source_rank(Source::LegacyTag);
        for (position, layer) in manifest.layers.into_iter().enumerate() {
            let order = (rank, 0, position);
            let label = format!("{tag} layer {position} ({})", layer.digest);
            if layer.media_type != SIMPLE_SIGNING {
                self.skip(
                    order,
                    format!(
                        "{label}: media type {}, not {SIMPLE_SIGNING}",
                        truncate(&layer.media_type, 100)
                    ),
                );
                continue;
            }
            if !layer.annotations.contains_key(ANNOTATION_SIGNATURE) {
                self.skip(
                    order,
                    format!("{label}: no {ANNOTATION_SIGNATURE} annotation"),
                );
                continue;
            }
            if layer.size > MAX_PAYLOAD_BYTES {
                self.unchecked(
                    order,
                    Source::LegacyTag,
                    manifest_digest.clone(),
                    SignatureKind::SimpleSigning,
                    format!(
                        "{label}: payload declared {} bytes, over the limit of {MAX_PAYLOAD_BYTES} bytes for one signature; not fetched",
                        layer.size
                    ),
                );
                continue;
            }
            // Every layer keeps its own copy of the payload, so a payload shared by several
            // layers counts once for each.
            if !Self::take_budget(&mut self.legacy_bytes, layer.size) {
                self.unchecked(
                    order,
                    Source::LegacyTag,
                    manifest_digest.clone(),
                    SignatureKind::SimpleSigning,
                    over_budget(&label, layer.size, Source::LegacyTag),
                );
                continue;
            }
            // Only cosign's annotations are kept while the payload is fetched: the others may
            // be most of a 4 MiB manifest, and a lookup may wait for a thousand layers.
            let mut layer = layer;
            layer
                .annotations
                .retain(|key, _| COSIGN_ANNOTATIONS.contains(&key.as_str()));
            self.enqueue(
                Fetch::Blob {
                    repository: self.signature_repository.clone(),
                    digest: layer.digest.clone(),
                    size: layer.size,
                },
                Step::LegacyBlob {
                    manifest_digest: manifest_digest.clone(),
                    layer,
                    order,
                },
            );
        }
        Ok(())
    }

    /// Step 5: one simple-signing payload.
    fn on_legacy_blob(
        &mut self,
        fetch: &Fetch,
        response: Response<'_>,
        manifest_digest: OciDigest,
        layer: &Descriptor,
        order: Order,
    ) -> Result<()> {
        let what = format!(
            "signature payload {} in {}",
            layer.digest, self.signature_repository
        );
        match response {
            Response::NotFound => {
                self.skip(
                    order,
                    format!(
                        "legacy-tag layer {} of {manifest_digest}: the payload blob is missing (404)",
                        layer.digest
                    ),
                );
                Ok(())
            }
            Response::TooLarge => Err(too_large(&what, fetch)),
            Response::Found {
                body,
                docker_content_digest,
                ..
            } => {
                check_digest(&what, &layer.digest, body)?;
                check_header(&what, docker_content_digest, body)?;
                check_size(&what, layer.size, body)?;
                let annotation = |key: &str| layer.annotations.get(key).cloned();
                let content = SimpleSigningLayer {
                    payload: body.to_vec(),
                    signature: annotation(ANNOTATION_SIGNATURE).unwrap_or_default(),
                    certificate: annotation(ANNOTATION_CERTIFICATE),
                    chain: annotation(ANNOTATION_CHAIN),
                    rekor_bundle: annotation(ANNOTATION_REKOR_BUNDLE),
                    rfc3161_timestamp: annotation(ANNOTATION_RFC3161_TIMESTAMP),
                };
                self.candidates.push((
                    order,
                    SignatureCandidate {
                        source: Source::LegacyTag,
                        manifest_digest,
                        content: CandidateContent::SimpleSigning(content),
                    },
                ));
                Ok(())
            }
        }
    }

    fn target_digest(&self) -> Result<OciDigest> {
        self.target
            .as_ref()
            .map(|target| target.digest.clone())
            .ok_or_else(|| Error::LookupOutOfOrder {
                detail: "a signature fetch answered before the image manifest".to_owned(),
            })
    }
}

/// [`manifest::parse_document`], after a check that the body has no duplicate key (a
/// manifest two readers could read differently is refused) and costs at most
/// [`MAX_MANIFEST_COST`] as a tree.
fn parse_document(
    body: &[u8],
    content_type: Option<&str>,
) -> std::result::Result<Document, String> {
    vouch_sigstore::check_json(body, MAX_MANIFEST_COST).map_err(|err| err.to_string())?;
    manifest::parse_document(body, content_type)
}

/// The distinct platforms of an index's children, in order, for [`Error::PlatformNotFound`]:
/// without buildx's attestation entries (`unknown/unknown`), and at most 30 of them.
fn available_platforms(children: &[(OciDigest, String)]) -> String {
    const SHOWN: usize = 30;
    let mut seen = std::collections::BTreeSet::new();
    let distinct: Vec<&str> = children
        .iter()
        .map(|(_, platform)| platform.as_str())
        .filter(|platform| *platform != "unknown/unknown" && seen.insert(*platform))
        .collect();
    match distinct.len() {
        0 => "no platforms".to_owned(),
        n if n <= SHOWN => distinct.join(", "),
        n => format!(
            "{}, and {} more",
            distinct.get(..SHOWN).unwrap_or_default().join(", "),
            n - SHOWN
        ),
    }
}

/// `referrer sha256:… (artifactType …, from the referrers API)`, for skip reasons.
fn referrer_label(source: Source, descriptor: &Descriptor) -> String {
    let from = source_name(source);
    match &descriptor.artifact_type {
        Some(artifact_type) => format!(
            "referrer {} (artifactType {}, from {from})",
            descriptor.digest,
            truncate(artifact_type, 100)
        ),
        None => format!("referrer {} (from {from})", descriptor.digest),
    }
}

/// Why a signature within the size limit was not fetched: the place's budget is spent.
fn over_budget(label: &str, size: u64, source: Source) -> String {
    format!(
        "{label}: {size} bytes, not fetched: with it, this image's signatures from {} would exceed {MAX_SIGNATURE_BYTES} bytes",
        source_name(source)
    )
}

fn source_name(source: Source) -> &'static str {
    match source {
        Source::Referrers => "the referrers API",
        Source::ReferrersTagSchema => "the referrers tag schema",
        Source::LegacyTag => "the legacy tag",
    }
}

fn describe_fetch(fetch: &Fetch) -> String {
    match fetch {
        Fetch::Manifest {
            repository,
            reference,
        } => format!("manifest {reference} of {repository}"),
        Fetch::Referrers { repository, digest } => {
            format!("the referrers of {digest} in {repository}")
        }
        Fetch::Blob {
            repository, digest, ..
        } => format!("blob {digest} of {repository}"),
    }
}

fn too_large(what: &str, fetch: &Fetch) -> Error {
    let limit = match fetch {
        Fetch::Blob { size, .. } if *size < MAX_PAYLOAD_BYTES => {
            format!("{size} bytes (the size its descriptor declares)")
        }
        _ => format!("{} bytes", fetch.max_len()),
    };
    Error::TooLarge {
        what: what.to_owned(),
        limit,
    }
}

/// `body` must hash to `digest`.
fn check_digest(what: &str, digest: &OciDigest, body: &[u8]) -> Result<()> {
    let found = digest.same_algorithm_of(body);
    if found == *digest {
        Ok(())
    } else {
        Err(Error::DigestMismatch {
            what: what.to_owned(),
            expected: digest.to_string(),
            found: found.to_string(),
        })
    }
}

/// A `Docker-Content-Digest` header, if present, must be a digest and name `body` (recomputed
/// with the header's algorithm).
fn check_header(what: &str, header: Option<&str>, body: &[u8]) -> Result<()> {
    let Some(header) = header else {
        return Ok(());
    };
    match OciDigest::parse(header.trim()) {
        Ok(announced) => check_digest(what, &announced, body),
        Err(_) => Err(Error::DigestMismatch {
            what: what.to_owned(),
            expected: format!(
                "`{}` (Docker-Content-Digest, not a digest)",
                truncate(header, 200)
            ),
            found: OciDigest::sha256_of(body).to_string(),
        }),
    }
}

/// `body` must be as long as its descriptor says.
fn check_size(what: &str, size: u64, body: &[u8]) -> Result<()> {
    let found = u64::try_from(body.len()).unwrap_or(u64::MAX);
    if found == size {
        Ok(())
    } else {
        Err(Error::SizeMismatch {
            what: what.to_owned(),
            expected: size,
            found,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platforms_parse_and_display() {
        for (text, shown) in [
            ("linux/amd64", "linux/amd64"),
            ("linux/arm64/v8", "linux/arm64/v8"),
            ("Linux/X86_64", "linux/amd64"),
            ("linux/aarch64", "linux/arm64"),
            ("windows/amd64", "windows/amd64"),
        ] {
            let platform = Platform::parse(text);
            assert_eq!(
                platform.map(|p| p.to_string()).ok().as_deref(),
                Some(shown),
                "{text}"
            );
        }
        for bad in [
            "",
            "linux",
            "linux/",
            "/amd64",
            "linux/amd64/",
            "a/b/c/d",
            "linux/am d64",
        ] {
            assert!(
                matches!(Platform::parse(bad), Err(Error::InvalidPlatform { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn platform_matching() {
        let p = |text: &str| Platform::parse(text).ok();
        let arm64 = p("linux/arm64");
        let arm64_v8 = p("linux/arm64/v8");
        let arm = p("linux/arm");
        let arm_v7 = p("linux/arm/v7");
        assert!(
            arm64
                .as_ref()
                .is_some_and(|p| p.matches("linux", "arm64", Some("v8")))
        );
        assert!(
            arm64
                .as_ref()
                .is_some_and(|p| p.matches("linux", "arm64", None))
        );
        assert!(
            arm64_v8
                .as_ref()
                .is_some_and(|p| p.matches("linux", "arm64", None))
        );
        assert!(
            arm.as_ref()
                .is_some_and(|p| p.matches("linux", "arm", Some("v6")))
        );
        assert!(
            arm_v7
                .as_ref()
                .is_some_and(|p| p.matches("linux", "arm", Some("v7")))
        );
        assert!(
            !arm_v7
                .as_ref()
                .is_some_and(|p| p.matches("linux", "arm", Some("v6")))
        );
        assert!(
            !arm_v7
                .as_ref()
                .is_some_and(|p| p.matches("linux", "arm", None))
        );
        assert!(
            !arm64
                .as_ref()
                .is_some_and(|p| p.matches("windows", "arm64", None))
        );
    }
}
