//! The sans-I/O signature lookup: a state machine that says what to fetch and checks every
//! answer against its digest before parsing it.
//!
//! # Steps
//!
//! 1. The image manifest's headers (`HEAD`), by the reference's digest if it has one, else by
//!    its tag: its `Content-Type` and `Docker-Content-Digest` say what it is and which digest
//!    the signatures name. The manifest itself is fetched (`GET`) only when they do not say
//!    (no digest for a tag, a media type that is not an image manifest or index), or for an
//!    index when a [`Platform`] is asked for: then the matching child's digest is the one
//!    whose signatures are looked up (the child manifest itself is not fetched). Registries
//!    that count pulls count manifest GETs; cosign makes none for the image either.
//! 2. The OCI 1.1 referrers API for that digest, in the signature repository.
//! 3. Only if 2 answered 404 (no referrers API), or the driver already knows the registry has
//!    none ([`LookupOptions::referrers_api_absent`]): the referrers tag schema, tag
//!    `sha256-<hex>`.
//! 4. Every referrer manifest 2 or 3 listed (up to [`MAX_REFERRERS`]); those whose single layer
//!    is a Sigstore bundle (v0.3 or later) have that layer fetched.
//! 5. cosign's legacy tag `sha256-<hex>.sig`, and its simple-signing payload blobs.
//!
//! Steps 2 and 5 are independent once step 1 is answered. [`SignatureLookup::next_fetch`]
//! hands out one fetch at a time in the order above, which costs an image with one legacy signature on
//! a registry without the referrers API exactly five requests: `HEAD` of the image manifest,
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

mod content;
mod legacy;
mod platforms;
mod referrers;

pub use platforms::Platform;

use crate::manifest::{
    self, BundleMediaType, Descriptor, Document, OCI_INDEX, SIMPLE_SIGNING, truncate,
};
use crate::{
    AttestationLayer, CandidateContent, Error, Fetch, ImageRef, Lookup, MAX_MANIFEST_BYTES,
    MAX_PAYLOAD_BYTES, MAX_SIGNATURE_BYTES, MAX_SIGNATURE_LAYERS, OciDigest, Repository, Response,
    Result, SignatureCandidate, SignatureKind, SimpleSigningLayer, Source, SourceStatus,
};
use content::{
    Found, check_digest, check_header, check_size, describe_fetch, found, parse_document,
};
use referrers::over_budget;

/// Most referrer manifests examined per source (referrers API or tag schema). Further
/// entries are reported in [`Lookup::skipped`] and not fetched.
pub const MAX_REFERRERS: usize = 100;

const ANNOTATION_SIGNATURE: &str = "dev.cosignproject.cosign/signature";
const ANNOTATION_CERTIFICATE: &str = "dev.sigstore.cosign/certificate";
const ANNOTATION_CHAIN: &str = "dev.sigstore.cosign/chain";
const ANNOTATION_REKOR_BUNDLE: &str = "dev.sigstore.cosign/bundle";
const ANNOTATION_RFC3161_TIMESTAMP: &str = "dev.sigstore.cosign/rfc3161timestamp";
/// On an `.att` layer: the statement's predicate type, as cosign wrote it.
const ANNOTATION_PREDICATE_TYPE: &str = "predicateType";
/// The annotations of a legacy layer that are read.
const COSIGN_ANNOTATIONS: [&str; 6] = [
    ANNOTATION_SIGNATURE,
    ANNOTATION_CERTIFICATE,
    ANNOTATION_CHAIN,
    ANNOTATION_REKOR_BUNDLE,
    ANNOTATION_RFC3161_TIMESTAMP,
    ANNOTATION_PREDICATE_TYPE,
];

/// The most memory a manifest, index or referrers listing may take as a tree (the estimate of
/// `vouch_sigstore::json_cost`), checked before it is parsed. A real one costs about its size
/// (its bulk is digests and annotation values); 4 MiB of tiny annotations would cost 50 MiB.
pub(crate) const MAX_MANIFEST_COST: u64 = 16 << 20;

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
    /// Also read cosign ≤ 2's attestation tag `sha256-<hex>.att` (step 6): attestations are
    /// not image signatures, so only a lookup for attestations asks.
    pub attestations: bool,
    /// Fetch bundles and `.att` layers up to [`crate::MAX_ATTESTATION_BYTES`] each and
    /// [`crate::MAX_ATTESTATIONS_BYTES`] per place, instead of the limits for signatures.
    pub attestation_sizes: bool,
    /// Do not read cosign ≤ 2's signature tag `sha256-<hex>.sig` (step 5), which holds image
    /// signatures only: a lookup for attestations alone saves the request. Its source is then
    /// reported [`crate::SourceStatus::Skipped`].
    pub without_signature_tag: bool,
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

    /// Also reads the `.att` tag (see [`Self::attestations`]).
    #[must_use]
    pub fn with_attestations(mut self) -> Self {
        self.attestations = true;
        self
    }

    /// Takes attestations of their sizes (see [`Self::attestation_sizes`]).
    #[must_use]
    pub fn with_attestation_sizes(mut self) -> Self {
        self.attestation_sizes = true;
        self
    }

    /// Does not read the `.sig` tag (see [`Self::without_signature_tag`]).
    #[must_use]
    pub fn without_signature_tag(mut self) -> Self {
        self.without_signature_tag = true;
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
/// /// Your HTTP stack: the body and content type, or `None` for a 404. A HEAD has no body;
/// /// without a `Docker-Content-Digest` for the tag, the lookup then GETs the manifest.
/// fn get(fetch: &Fetch) -> Option<(&'static [u8], Option<&'static str>)> {
///     match fetch {
///         Fetch::ManifestHead { reference, .. } if reference == "1.0" => {
///             Some((b"", Some("application/vnd.oci.image.manifest.v1+json")))
///         }
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
    attestations: bool,
    signature_tag: bool,
    /// Most bytes of one payload, bundle or envelope fetched.
    max_payload: u64,
    /// Most bytes fetched from one place.
    max_place: u64,
    /// Fetches not yet handed out.
    queue: Vec<Pending>,
    /// Fetches handed out and not yet answered.
    outstanding: Vec<Pending>,
    next_seq: u64,
    target: Option<Target>,
    referrers: Stage,
    tag_schema: Stage,
    legacy: Stage,
    attestation_tag: Stage,
    candidates: Vec<(Order, SignatureCandidate)>,
    skipped: Vec<(Order, String)>,
    failed: bool,
    /// Bytes of referrer manifests and bundles asked for so far ([`MAX_SIGNATURE_BYTES`]).
    referrer_bytes: u64,
    /// Bytes of legacy payloads asked for so far ([`MAX_SIGNATURE_BYTES`]).
    legacy_bytes: u64,
    /// Bytes of `.att` envelopes asked for so far ([`MAX_SIGNATURE_BYTES`]).
    attestation_bytes: u64,
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
    ImageHead,
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
    LegacyManifest(Legacy),
    LegacyBlob {
        legacy: Legacy,
        manifest_digest: OciDigest,
        layer: Descriptor,
        order: Order,
    },
}

impl Step {
    /// The order `next_fetch` hands fetches out in (module docs, "Steps").
    fn rank(&self) -> u8 {
        match self {
            Self::ImageHead | Self::Image => 0,
            Self::Referrers => 1,
            Self::TagSchema => 2,
            Self::ReferrerManifest { .. } => 3,
            Self::BundleBlob { .. } => 4,
            Self::LegacyManifest(Legacy::Signatures) => 5,
            Self::LegacyBlob {
                legacy: Legacy::Signatures,
                ..
            } => 6,
            Self::LegacyManifest(Legacy::Attestations) => 7,
            Self::LegacyBlob {
                legacy: Legacy::Attestations,
                ..
            } => 8,
        }
    }
}

fn source_rank(source: Source) -> u8 {
    match source {
        Source::Referrers => 0,
        Source::ReferrersTagSchema => 1,
        Source::LegacyTag => 2,
        Source::LegacyAttestationTag => 3,
    }
}

/// cosign's two legacy tags: `.sig` (simple-signing layers) and `.att` (DSSE envelopes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Legacy {
    Signatures,
    Attestations,
}

impl Legacy {
    fn suffix(self) -> &'static str {
        match self {
            Self::Signatures => "sig",
            Self::Attestations => "att",
        }
    }

    fn source(self) -> Source {
        match self {
            Self::Signatures => Source::LegacyTag,
            Self::Attestations => Source::LegacyAttestationTag,
        }
    }

    fn media_type(self) -> &'static str {
        match self {
            Self::Signatures => SIMPLE_SIGNING,
            Self::Attestations => manifest::DSSE_ENVELOPE,
        }
    }

    fn kind(self) -> SignatureKind {
        match self {
            Self::Signatures => SignatureKind::SimpleSigning,
            Self::Attestations => SignatureKind::LegacyAttestation,
        }
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
            attestations: options.attestations,
            signature_tag: !options.without_signature_tag,
            max_payload: if options.attestation_sizes {
                crate::MAX_ATTESTATION_BYTES
            } else {
                MAX_PAYLOAD_BYTES
            },
            max_place: if options.attestation_sizes {
                crate::MAX_ATTESTATIONS_BYTES
            } else {
                MAX_SIGNATURE_BYTES
            },
            queue: Vec::new(),
            outstanding: Vec::new(),
            next_seq: 0,
            target: None,
            referrers: Stage::NotAsked,
            tag_schema: Stage::NotAsked,
            legacy: Stage::NotAsked,
            attestation_tag: Stage::NotAsked,
            candidates: Vec::new(),
            skipped: Vec::new(),
            failed: false,
            referrer_bytes: 0,
            legacy_bytes: 0,
            attestation_bytes: 0,
            referrer_manifests_pending: 0,
            held_bundles: Vec::new(),
            image,
        };
        let fetch = Fetch::ManifestHead {
            repository: lookup.image.repository().clone(),
            reference: lookup.image.manifest_reference(),
        };
        lookup.enqueue(fetch, Step::ImageHead);
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
        let mut sources = vec![
            (Source::Referrers, status(self.referrers, Source::Referrers)),
            (
                Source::ReferrersTagSchema,
                status(self.tag_schema, Source::ReferrersTagSchema),
            ),
            (Source::LegacyTag, status(self.legacy, Source::LegacyTag)),
        ];
        if self.attestations {
            sources.push((
                Source::LegacyAttestationTag,
                status(self.attestation_tag, Source::LegacyAttestationTag),
            ));
        }
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

    /// Takes `size` bytes from `used` if they fit in `limit` (one place's budget).
    fn take_budget(used: &mut u64, size: u64, limit: u64) -> bool {
        match used.checked_add(size) {
            Some(total) if total <= limit => {
                *used = total;
                true
            }
            _ => false,
        }
    }

    fn on_step(&mut self, step: Step, fetch: &Fetch, response: Response<'_>) -> Result<()> {
        match step {
            Step::ImageHead => self.on_image_head(response),
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
            Step::LegacyManifest(legacy) => self.on_legacy_manifest(fetch, response, legacy),
            Step::LegacyBlob {
                legacy,
                manifest_digest,
                layer,
                order,
            } => self.on_legacy_blob(fetch, response, legacy, manifest_digest, &layer, order),
        }
    }

    /// Step 1: the image manifest's headers. Enough when they name an image manifest, or an
    /// index with no platform to choose, and its digest; otherwise the manifest is fetched.
    fn on_image_head(&mut self, response: Response<'_>) -> Result<()> {
        let (content_type, header) = match response {
            Response::NotFound => {
                return Err(Error::ImageNotFound {
                    image: self.image.to_string(),
                });
            }
            Response::Found {
                content_type,
                docker_content_digest,
                ..
            } => (content_type, docker_content_digest),
            Response::TooLarge => (None, None),
        };
        let media_type = content_type.map(|t| t.split(';').next().unwrap_or_default().trim());
        // An unreadable header counts as none: the GET below checks it against the body.
        let announced = header.and_then(|header| OciDigest::parse(header).ok());
        let digest = match (self.image.digest(), announced) {
            (Some(wanted), Some(found)) if *wanted != found => {
                return Err(Error::DigestMismatch {
                    what: format!("image manifest {} (Docker-Content-Digest)", self.image),
                    expected: wanted.to_string(),
                    found: found.to_string(),
                });
            }
            (Some(wanted), _) if header.is_none() => Some(wanted.clone()),
            (_, found) => found,
        };
        let enough = match media_type {
            Some(manifest::OCI_MANIFEST | manifest::DOCKER_MANIFEST) => true,
            Some(OCI_INDEX | manifest::DOCKER_MANIFEST_LIST) => self.platform.is_none(),
            _ => false,
        };
        match (digest, media_type) {
            (Some(digest), Some(media_type)) if enough => {
                self.start_signature_lookups(Target {
                    digest,
                    index_digest: None,
                    media_type: media_type.to_owned(),
                    children: Vec::new(),
                });
            }
            _ => self.enqueue(
                Fetch::Manifest {
                    repository: self.image.repository().clone(),
                    reference: self.image.manifest_reference(),
                },
                Step::Image,
            ),
        }
        Ok(())
    }

    /// Step 1, when the headers were not enough: the image manifest or index.
    fn on_image(&mut self, fetch: &Fetch, response: Response<'_>) -> Result<()> {
        let what = format!("image manifest {}", self.image);
        let Some(Found {
            body,
            content_type,
            docker_content_digest: header,
        }) = found(response, &what, fetch)?
        else {
            return Err(Error::ImageNotFound {
                image: self.image.to_string(),
            });
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
            .map_err(|detail| manifest::image_manifest_error(what, detail, body))?;
        let target = match document {
            Document::Manifest(manifest) => Target {
                digest,
                index_digest: None,
                media_type: manifest.media_type,
                children: Vec::new(),
            },
            Document::Index(index) => self.select_platform(digest, index)?,
        };
        self.start_signature_lookups(target);
        Ok(())
    }

    /// Steps 2 to 5, once the digest whose signatures are looked up is known.
    fn start_signature_lookups(&mut self, target: Target) {
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
        let mut legacy = Vec::new();
        if self.signature_tag {
            legacy.push(Legacy::Signatures);
        }
        if self.attestations {
            legacy.push(Legacy::Attestations);
        }
        for legacy in legacy {
            *self.stage_mut(legacy) = Stage::Asked;
            self.enqueue(
                Fetch::Manifest {
                    repository: self.signature_repository.clone(),
                    reference: format!("{}.{}", subject.tag_form(), legacy.suffix()),
                },
                Step::LegacyManifest(legacy),
            );
        }
    }

    fn stage_mut(&mut self, legacy: Legacy) -> &mut Stage {
        match legacy {
            Legacy::Signatures => &mut self.legacy,
            Legacy::Attestations => &mut self.attestation_tag,
        }
    }

    fn bytes_mut(&mut self, legacy: Legacy) -> &mut u64 {
        match legacy {
            Legacy::Signatures => &mut self.legacy_bytes,
            Legacy::Attestations => &mut self.attestation_bytes,
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

fn source_name(source: Source) -> &'static str {
    match source {
        Source::Referrers => "the referrers API",
        Source::ReferrersTagSchema => "the referrers tag schema",
        Source::LegacyTag => "the legacy tag",
        Source::LegacyAttestationTag => "the legacy attestation tag",
    }
}
