//! The one model every policy file is read into: rules that match images, each with the
//! requirements an image must meet.

use vouch_attest::{PredicateType, RegoPolicy};
use vouch_sigstore::Policy;

use crate::glob::Glob;

/// A whole policy: its rules, how they combine, and what happens to images no rule matches.
#[derive(Debug, Clone)]
pub struct TrustPolicy {
    /// The format the file was written in.
    pub format: Format,
    /// Whether the first matching rule decides, or every matching rule must pass.
    pub matching: Matching,
    /// The rules, in the order they are tried.
    pub rules: Vec<Rule>,
    /// What happens to an image no rule matches.
    pub no_match: NoMatch,
}

/// The format a policy was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Format {
    /// vouch's own (`apiVersion: vouch.dev/v1`, `kind: TrustPolicy`).
    Vouch,
    /// containers/image's `policy.json` (skopeo, podman, CRI-O).
    Containers,
    /// sigstore policy-controller's `ClusterImagePolicy` documents.
    ClusterImagePolicy,
}

impl Format {
    /// A stable name for output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vouch => "vouch",
            Self::Containers => "containers-policy.json",
            Self::ClusterImagePolicy => "ClusterImagePolicy",
        }
    }
}

/// How matching rules combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Matching {
    /// The first rule whose images match decides (containers' "most specific scope wins" is
    /// this, over scopes ordered most specific first).
    First,
    /// Every rule whose images match must pass (policy-controller).
    All,
}

/// What happens to an image no rule matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NoMatch {
    /// Refused (the default everywhere).
    Deny,
    /// Accepted, and reported as matched by no rule.
    Allow,
    /// Accepted with a warning (policy-controller's `no-match-policy: warn`).
    Warn,
}

/// Whether a failing rule refuses the image or only warns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Mode {
    /// A failure refuses the image.
    Enforce,
    /// A failure is reported as a warning; the image is not refused for it.
    Warn,
}

/// One rule: the images it applies to and what they must meet.
#[derive(Debug, Clone)]
pub struct Rule {
    /// Its name in reports (given, or made from its position: `rules[2]`, a scope).
    pub name: String,
    /// The images it applies to.
    pub images: ImageMatch,
    /// Whether its requirements must all pass or one is enough.
    pub combine: Combine,
    /// What an image must meet. Never empty.
    pub requirements: Vec<Requirement>,
    /// Enforced or only warned about.
    pub mode: Mode,
}

/// Which images a rule applies to.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ImageMatch {
    /// Any of these globs matches the image's full name (policy-controller's glob syntax).
    Globs(Vec<Glob>),
    /// A containers policy.json scope of the `docker` transport: a repository with a tag or
    /// digest, a repository, a namespace, a host (with port), or a `*.domain` wildcard; `""`
    /// is the transport's default. Scopes are matched as containers/image does.
    Scope(String),
    /// Every image (a `default` entry).
    Everything,
}

/// How a rule's requirements combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Combine {
    /// At least one must pass (policy-controller's authorities).
    AnyOf,
    /// All must pass (containers' requirement arrays).
    AllOf,
}

/// One requirement of a rule.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Requirement {
    /// Passes for every image (`insecureAcceptAnything`, `static: pass`, `allow: true`).
    Allow,
    /// Fails for every image, with this message (`reject`, `static: fail`).
    Reject(String),
    /// A signature (and attestations) from this authority.
    Signed(Box<Authority>),
}

/// Who must have signed the image, and what else they must have attested.
#[derive(Debug, Clone)]
pub struct Authority {
    /// Its name in reports.
    pub name: String,
    /// The signers, any one of which is enough (containers' `keyPaths` name several keys): a
    /// key or a keyless identity, and whether a transparency-log entry is required. Never
    /// empty.
    pub signers: Vec<Policy>,
    /// What a simple-signing payload's `docker-reference` must say (containers policies);
    /// `None` when it is not checked (as cosign does not).
    pub identity: Option<SignedIdentity>,
    /// Attestations the same signer must have made over the image; every one required.
    pub attestations: Vec<AttestationRequirement>,
    /// Whether the image must also carry a signature by the signer. policy-controller checks
    /// an authority that lists attestations on those alone (each is itself signed over the
    /// image's digest); everywhere else the image signature is required.
    pub signature_required: bool,
    /// Trust material the file itself names (containers' `rekorPublicKey*` and `fulcio.ca*`).
    /// vouch checks signatures against one trust root (`--trusted-root`, or Sigstore's
    /// public-good root), so each must be part of it: checked before anything is verified.
    pub named_trust: NamedTrust,
}

/// Trust material a policy names, which must be part of the trust root in use.
#[derive(Debug, Clone, Default)]
pub struct NamedTrust {
    /// Rekor public keys (any one: a log entry signed by one of them).
    pub rekor_keys: Vec<vouch_keys::PublicKey>,
    /// Fulcio CA certificates, DER.
    pub fulcio_cas: Vec<Vec<u8>>,
}

/// An attestation an authority must have signed.
#[derive(Debug, Clone)]
pub struct AttestationRequirement {
    /// Its name in reports.
    pub name: String,
    /// The predicate type.
    pub predicate_type: PredicateType,
    /// A Rego policy the statement must pass, if any.
    pub policy: Option<RegoPolicy>,
}

/// containers/image's `signedIdentity`: how the identity a signature claims
/// (`critical.identity.docker-reference`) must relate to the image.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignedIdentity {
    /// The same reference, tag or digest included.
    MatchExact,
    /// For a tag, the same reference; for a digest, the same repository (the default).
    MatchRepoDigestOrExact,
    /// The same repository.
    MatchRepository,
    /// Exactly this reference, whatever the image is called.
    ExactReference(String),
    /// This repository, whatever the image is called.
    ExactRepository(String),
    /// The image's name with `prefix` replaced by `signed_prefix`, then
    /// [`Self::MatchRepoDigestOrExact`].
    RemapIdentity {
        /// The prefix of the image's name.
        prefix: String,
        /// What it stands for in signatures.
        signed_prefix: String,
    },
}

impl Requirement {
    /// What the requirement asks, in one line for `vouch policy explain`.
    #[must_use]
    pub fn describe(&self) -> String {
        match self {
            Self::Allow => "allow: every image is accepted".to_owned(),
            Self::Reject(message) => format!("reject: {message}"),
            Self::Signed(authority) => authority.describe(),
        }
    }
}

impl Authority {
    /// Who must have signed and what they must have attested, in one line.
    #[must_use]
    pub fn describe(&self) -> String {
        let signers: Vec<String> = self.signers.iter().map(describe_signer).collect();
        let mut text = format!("{}: signed by {}", self.name, signers.join(" or "));
        if let Some(identity) = &self.identity {
            text.push_str(&format!(", naming the image as {identity:?} requires"));
        }
        for attestation in &self.attestations {
            text.push_str(&format!(", attested {}", attestation.predicate_type));
            if let Some(policy) = &attestation.policy {
                text.push_str(&format!(" passing Rego policy {}", policy.name()));
            }
        }
        text
    }
}

fn describe_signer(signer: &Policy) -> String {
    let mut text = match signer.signer() {
        vouch_sigstore::Signer::Key(key) => format!("key {}", key.fingerprint()),
        vouch_sigstore::Signer::Identity { identity, issuer } => {
            format!("identity {identity} from issuer {issuer}")
        }
        _ => "a signer".to_owned(),
    };
    for (extension, value) in signer.extensions() {
        text.push_str(&format!(" with {extension} {value}"));
    }
    text.push_str(if signer.requires_tlog() {
        " (transparency-log entry required)"
    } else {
        " (no transparency-log entry required)"
    });
    text
}
