//! Which rules apply to an image.

use vouch_oci::ImageRef;

use crate::model::{ImageMatch, Matching, NoMatch, Requirement, Rule, TrustPolicy};

/// The rules that apply to one image, and why each does.
#[derive(Debug, Clone)]
pub struct Selection<'p> {
    /// The rules that apply, in order, each with what matched (for `explain` and reports).
    pub matched: Vec<Matched<'p>>,
    /// What happens to the image when no rule applies.
    pub no_match: NoMatch,
}

/// A rule that applies, and the pattern that made it apply.
#[derive(Debug, Clone)]
pub struct Matched<'p> {
    /// The rule.
    pub rule: &'p Rule,
    /// What matched: `glob "ghcr.io/acme/**"`, `scope "ghcr.io/acme"`, `default`.
    pub by: String,
}

impl Selection<'_> {
    /// Whether any rule that applies requires attestations (the lookup must then fetch them).
    #[must_use]
    pub fn needs_attestations(&self) -> bool {
        self.matched.iter().any(|matched| {
            matched.rule.requirements.iter().any(|requirement| {
                matches!(requirement, Requirement::Signed(authority)
                    if !authority.attestations.is_empty())
            })
        })
    }

    /// Whether any rule that applies needs a signature lookup at all (a rule of `allow` or
    /// `reject` alone decides without one).
    #[must_use]
    pub fn needs_lookup(&self) -> bool {
        self.matched.iter().any(|matched| {
            matched
                .rule
                .requirements
                .iter()
                .any(|requirement| matches!(requirement, Requirement::Signed(_)))
        })
    }
}

impl TrustPolicy {
    /// The rules that apply to `image` (`given` is the name as the user wrote it, which
    /// globs may also match): the first that matches, or all, as the policy says.
    #[must_use]
    pub fn select(&self, image: &ImageRef, given: &str) -> Selection<'_> {
        let mut matched = Vec::new();
        for rule in &self.rules {
            if let Some(by) = matches(&rule.images, image, given) {
                matched.push(Matched { rule, by });
                if self.matching == Matching::First {
                    break;
                }
            }
        }
        Selection {
            matched,
            no_match: self.no_match,
        }
    }
}

/// What in `images` matches the image, if anything.
fn matches(images: &ImageMatch, image: &ImageRef, given: &str) -> Option<String> {
    match images {
        ImageMatch::Globs(globs) => globs
            .iter()
            .find(|glob| glob.matches(image, given))
            .map(|glob| format!("glob {}", crate::text::quoted(glob.as_str()))),
        ImageMatch::Scope(scope) => crate::containers::scope_matches(scope, image).then(|| {
            if scope.is_empty() {
                "the docker transport's default scope \"\"".to_owned()
            } else {
                format!("scope {}", crate::text::quoted(scope))
            }
        }),
        ImageMatch::Everything => Some("default".to_owned()),
    }
}
