//! Platforms (`os/arch[/variant]`), and choosing an index's child for one.

use std::fmt;
use std::str::FromStr;

use super::{SignatureLookup, Target};
use crate::manifest::{self, Descriptor, ImageIndex, truncate};
use crate::{Error, OciDigest, Result};

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
    pub(crate) fn matches(&self, os: &str, architecture: &str, variant: Option<&str>) -> bool {
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

impl SignatureLookup {
    pub(super) fn select_platform(&self, digest: OciDigest, index: ImageIndex) -> Result<Target> {
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
