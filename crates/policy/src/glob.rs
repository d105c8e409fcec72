//! Image globs as sigstore policy-controller matches them (`pkg/apis/glob/glob.go`): `*` is
//! any run of characters other than `/`, `**` is anything, and the glob must match the whole
//! fully qualified name (`index.docker.io/library/alpine`); a lone `*` means the Docker Hub
//! official images and `*/*` every Docker Hub image.

use std::fmt;

use vouch_oci::{DOCKER_HUB, ImageRef};

/// Longest glob accepted, in bytes: matching is O(glob × name), and a glob is written by hand.
pub const MAX_GLOB_LEN: usize = 1024;

/// One image glob.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Glob {
    given: String,
    /// The glob that is matched, after Docker Hub's short forms are expanded.
    pattern: Vec<Token>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    /// `*`: any run without `/`.
    Segment,
    /// `**`: anything.
    Any,
}

impl Glob {
    /// Parses a glob.
    ///
    /// # Errors
    ///
    /// What is wrong with it: empty, too long, `***`, or characters no image name has.
    pub fn parse(given: &str) -> Result<Self, String> {
        if given.is_empty() {
            return Err("an empty glob matches no image; write `**` for every image".to_owned());
        }
        if given.len() > MAX_GLOB_LEN {
            return Err(format!("a glob of more than {MAX_GLOB_LEN} bytes"));
        }
        if given.contains("***") {
            return Err(format!("`{given}`: `***` is not a glob; write `**`"));
        }
        if let Some(bad) = given.chars().find(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!(
                "`{}` holds {bad:?}, which no image name holds",
                given.escape_debug()
            ));
        }
        // policy-controller's short forms for Docker Hub.
        let expanded = match given {
            "*" => "index.docker.io/library/*".to_owned(),
            "*/*" => "index.docker.io/*/*".to_owned(),
            other => other.to_owned(),
        };
        let mut pattern = Vec::new();
        let mut chars = expanded.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '*' {
                if chars.peek() == Some(&'*') {
                    chars.next();
                    pattern.push(Token::Any);
                } else {
                    pattern.push(Token::Segment);
                }
            } else {
                pattern.push(Token::Literal(c));
            }
        }
        Ok(Self {
            given: given.to_owned(),
            pattern,
        })
    }

    /// The glob as written.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.given
    }

    /// Whether the glob matches `image`: its full name (registry, repository, and tag or
    /// digest as written), with Docker Hub spelled both as `docker.io` and as
    /// `index.docker.io`, or the name `given` as the user wrote it.
    #[must_use]
    pub fn matches(&self, image: &ImageRef, given: &str) -> bool {
        let repository = image.repository();
        let mut names = vec![repository.to_string()];
        if repository.registry() == DOCKER_HUB {
            names.push(format!("index.{DOCKER_HUB}/{}", repository.name()));
        }
        let suffixes: Vec<String> = [
            image.tag().map(|tag| format!(":{tag}")),
            image.digest().map(|digest| format!("@{digest}")),
        ]
        .into_iter()
        .flatten()
        .collect();
        let mut candidates = Vec::new();
        for name in names {
            for suffix in &suffixes {
                candidates.push(format!("{name}{suffix}"));
            }
            candidates.push(name);
        }
        candidates.push(given.to_owned());
        candidates
            .iter()
            .any(|candidate| matches_tokens(&self.pattern, candidate))
    }
}

impl fmt::Display for Glob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.given)
    }
}

/// Glob matching by dynamic programming over (token, character): O(tokens × characters), no
/// backtracking blow-up whatever the glob.
fn matches_tokens(pattern: &[Token], text: &str) -> bool {
    let text: Vec<char> = text.chars().collect();
    // reachable[j]: the tokens so far can consume exactly text[..j].
    let mut reachable = vec![false; text.len() + 1];
    reachable[0] = true;
    for token in pattern {
        let mut next = vec![false; text.len() + 1];
        match token {
            Token::Literal(c) => {
                for j in 0..text.len() {
                    if reachable[j] && text[j] == *c {
                        next[j + 1] = true;
                    }
                }
            }
            Token::Segment => {
                for j in 0..=text.len() {
                    if reachable[j] {
                        next[j] = true;
                        let mut k = j;
                        while k < text.len() && text[k] != '/' {
                            k += 1;
                            next[k] = true;
                        }
                    }
                }
            }
            Token::Any => {
                if let Some(first) = reachable.iter().position(|r| *r) {
                    for slot in next.iter_mut().skip(first) {
                        *slot = true;
                    }
                }
            }
        }
        reachable = next;
    }
    reachable[text.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(glob: &str, image: &str) -> bool {
        let parsed = ImageRef::parse(image).unwrap();
        Glob::parse(glob).unwrap().matches(&parsed, image)
    }

    #[test]
    fn stars_stop_at_slashes_and_double_stars_do_not() {
        assert!(matches("ghcr.io/acme/*", "ghcr.io/acme/app:1"));
        assert!(!matches("ghcr.io/acme/*", "ghcr.io/acme/team/app:1"));
        assert!(matches("ghcr.io/acme/**", "ghcr.io/acme/team/app:1"));
        assert!(!matches("ghcr.io/acme/**", "ghcr.io/acmeevil/app"));
        assert!(!matches("ghcr.io/acme/app", "ghcr.io/acme/app-evil"));
        assert!(matches("**", "anything.example/x/y:z"));
    }

    #[test]
    fn docker_hub_short_forms() {
        assert!(matches("*", "alpine"));
        assert!(matches("*", "docker.io/library/alpine:3"));
        assert!(!matches("*", "acme/app"));
        assert!(matches("*/*", "acme/app"));
        assert!(matches("index.docker.io/library/alpine", "alpine"));
        assert!(matches("docker.io/library/alpine", "alpine:3"));
    }

    #[test]
    fn tags_and_digests_can_be_named() {
        assert!(matches("ghcr.io/acme/app:1.*", "ghcr.io/acme/app:1.4"));
        assert!(!matches("ghcr.io/acme/app:1.*", "ghcr.io/acme/app:2.0"));
    }

    #[test]
    fn bad_globs_are_refused() {
        assert!(Glob::parse("").is_err());
        assert!(Glob::parse("a***").is_err());
        assert!(Glob::parse("a b").is_err());
        assert!(Glob::parse(&"a".repeat(MAX_GLOB_LEN + 1)).is_err());
    }

    #[test]
    fn many_stars_stay_fast() {
        let glob = Glob::parse(&"*a".repeat(400)).unwrap();
        let name = format!("r.example/{}", "a".repeat(120));
        let image = ImageRef::parse(&name).unwrap();
        let _ = glob.matches(&image, &name);
    }
}
