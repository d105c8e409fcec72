//! Image references: docker's normalisation, what is rejected, and Display round-trips.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly, outside #[test] functions too"
)]

use vouch_oci::{Error, ImageRef, Repository};

const HEX: &str = "4c1e0a3b5f6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f";

#[test]
fn docker_normalisation() {
    let digest = format!("sha256:{HEX}");
    // (input, registry, name, tag, digest?, Display)
    type Row<'a> = (String, &'a str, &'a str, Option<&'a str>, bool, String);
    let table: Vec<Row<'_>> = vec![
        (
            "alpine".into(),
            "docker.io",
            "library/alpine",
            Some("latest"),
            false,
            "docker.io/library/alpine:latest".into(),
        ),
        (
            "alpine:3.20".into(),
            "docker.io",
            "library/alpine",
            Some("3.20"),
            false,
            "docker.io/library/alpine:3.20".into(),
        ),
        (
            "org/app".into(),
            "docker.io",
            "org/app",
            Some("latest"),
            false,
            "docker.io/org/app:latest".into(),
        ),
        (
            "docker.io/alpine".into(),
            "docker.io",
            "library/alpine",
            Some("latest"),
            false,
            "docker.io/library/alpine:latest".into(),
        ),
        (
            "index.docker.io/library/alpine:1".into(),
            "docker.io",
            "library/alpine",
            Some("1"),
            false,
            "docker.io/library/alpine:1".into(),
        ),
        (
            "index.docker.io/alpine".into(),
            "docker.io",
            "library/alpine",
            Some("latest"),
            false,
            "docker.io/library/alpine:latest".into(),
        ),
        (
            "registry-1.docker.io/org/app".into(),
            "docker.io",
            "org/app",
            Some("latest"),
            false,
            "docker.io/org/app:latest".into(),
        ),
        (
            "localhost/app".into(),
            "localhost",
            "app",
            Some("latest"),
            false,
            "localhost/app:latest".into(),
        ),
        (
            "localhost:5000/a/b:1".into(),
            "localhost:5000",
            "a/b",
            Some("1"),
            false,
            "localhost:5000/a/b:1".into(),
        ),
        (
            "ghcr.io/org/team/app:v1.2.3-rc_1".into(),
            "ghcr.io",
            "org/team/app",
            Some("v1.2.3-rc_1"),
            false,
            "ghcr.io/org/team/app:v1.2.3-rc_1".into(),
        ),
        (
            format!("registry.example:5000/app@{digest}"),
            "registry.example:5000",
            "app",
            None,
            true,
            format!("registry.example:5000/app@{digest}"),
        ),
        (
            format!("alpine:3.20@{digest}"),
            "docker.io",
            "library/alpine",
            Some("3.20"),
            true,
            format!("docker.io/library/alpine:3.20@{digest}"),
        ),
        (
            format!("alpine@{digest}"),
            "docker.io",
            "library/alpine",
            None,
            true,
            format!("docker.io/library/alpine@{digest}"),
        ),
        (
            "[::1]:5000/x".into(),
            "[::1]:5000",
            "x",
            Some("latest"),
            false,
            "[::1]:5000/x:latest".into(),
        ),
        (
            "[fe80::1]/x:2".into(),
            "[fe80::1]",
            "x",
            Some("2"),
            false,
            "[fe80::1]/x:2".into(),
        ),
        (
            "127.0.0.1:5000/a_b/c__d/e--f:_tag".into(),
            "127.0.0.1:5000",
            "a_b/c__d/e--f",
            Some("_tag"),
            false,
            "127.0.0.1:5000/a_b/c__d/e--f:_tag".into(),
        ),
        // docker: an upper-case first component is a registry, not a Hub namespace.
        (
            "Registry/app".into(),
            "Registry",
            "app",
            Some("latest"),
            false,
            "Registry/app:latest".into(),
        ),
    ];
    for (input, registry, name, tag, has_digest, shown) in table {
        let image = ImageRef::parse(&input).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(image.repository().registry(), registry, "{input}");
        assert_eq!(image.repository().name(), name, "{input}");
        assert_eq!(image.tag(), tag, "{input}");
        assert_eq!(image.digest().is_some(), has_digest, "{input}");
        assert_eq!(image.to_string(), shown, "{input}");
        let again = ImageRef::parse(&shown).unwrap_or_else(|e| panic!("{shown}: {e}"));
        assert_eq!(again, image, "Display round-trip of {input}");
        assert_eq!(again.to_string(), shown);
        let from_str: ImageRef = input.parse().unwrap();
        assert_eq!(from_str, image);
    }
}

#[test]
fn manifest_reference_prefers_the_digest() {
    let digest = format!("sha256:{HEX}");
    assert_eq!(
        ImageRef::parse("alpine").unwrap().manifest_reference(),
        "latest"
    );
    assert_eq!(
        ImageRef::parse("alpine:3").unwrap().manifest_reference(),
        "3"
    );
    assert_eq!(
        ImageRef::parse(&format!("alpine:3@{digest}"))
            .unwrap()
            .manifest_reference(),
        digest
    );
    let pinned = ImageRef::parse("alpine:3")
        .unwrap()
        .with_digest(vouch_oci::OciDigest::parse(&digest).unwrap());
    assert_eq!(
        pinned.to_string(),
        format!("docker.io/library/alpine:3@{digest}")
    );
}

#[test]
fn rejected_references() {
    let long_name = format!("registry.example/{}", "a".repeat(250));
    let long_tag = format!("alpine:{}", "t".repeat(129));
    let too_long = "a".repeat(5000);
    let rejected: Vec<(&str, &str)> = vec![
        ("", "empty"),
        ("Alpine", "upper-case repository"),
        ("docker.io/Library/alpine", "upper-case path component"),
        ("a@sha256:short", "short digest"),
        ("a@sha256:", "empty digest"),
        (
            "a@md5:d41d8cd98f00b204e9800998ecf8427e",
            "unknown algorithm",
        ),
        (
            "a@sha256:4C1E0A3B5F6D7E8F9A0B1C2D3E4F5A6B7C8D9E0F1A2B3C4D5E6F7A8B9C0D1E2F",
            "upper-case hex",
        ),
        ("a:", "empty tag"),
        ("a:-x", "tag starting with -"),
        ("a:.x", "tag starting with ."),
        ("a:x y", "space in tag"),
        (&long_tag, "tag over 128"),
        ("a..b", "double dot"),
        ("a___b", "triple underscore"),
        ("a-", "trailing dash"),
        ("-a", "leading dash"),
        ("a/", "empty component"),
        ("/a", "leading slash"),
        ("a//b", "empty middle component"),
        ("registry.example/", "registry without name"),
        ("registry.example:/a", "empty port"),
        ("registry.example:99999/a", "port out of range"),
        ("registry.example:5x/a", "non-numeric port"),
        ("reg..example/a", "empty label"),
        ("-reg.example/a", "label starting with -"),
        ("[::1/x", "unclosed bracket"),
        ("[::1]x/y", "junk after bracket"),
        ("[::1]", "bare IPv6"),
        ("[zz::1]:5000/x", "non-hex IPv6"),
        ("ré.example/a", "non-ASCII registry"),
        ("alpine\n", "newline"),
        (&long_name, "name over 255"),
        (&too_long, "over 4096"),
    ];
    for (text, why) in rejected {
        match ImageRef::parse(text) {
            Err(Error::InvalidReference { .. }) => {}
            other => panic!("{why} (`{text}`): {other:?}"),
        }
    }
}

#[test]
fn repositories() {
    let repo = Repository::parse("alpine").unwrap();
    assert_eq!(repo.to_string(), "docker.io/library/alpine");
    assert_eq!(repo.api_host(), "registry-1.docker.io");
    let repo = Repository::parse("registry.example:5000/sigs/app").unwrap();
    assert_eq!(
        (repo.registry(), repo.name()),
        ("registry.example:5000", "sigs/app")
    );
    assert_eq!(repo.api_host(), "registry.example:5000");
    assert_eq!(Repository::parse(&repo.to_string()).unwrap(), repo);
    assert!(matches!(
        Repository::parse("alpine:1"),
        Err(Error::InvalidReference { .. })
    ));
    assert!(matches!(
        Repository::parse(&format!("alpine@sha256:{HEX}")),
        Err(Error::InvalidReference { .. })
    ));
    assert!(matches!(
        Repository::parse(""),
        Err(Error::InvalidReference { .. })
    ));
}

#[test]
fn any_text_parses_or_fails_without_panicking() {
    let pieces = [
        "a",
        "/",
        ":",
        "@",
        "sha256:",
        HEX,
        ".",
        "-",
        "_",
        "[",
        "]",
        "::1",
        "5000",
        "A",
        "é",
        "",
        "localhost",
    ];
    // Every 4-piece combination: 17^4 ≈ 83k strings.
    for a in pieces {
        for b in pieces {
            for c in pieces {
                for d in pieces {
                    let text = format!("{a}{b}{c}{d}");
                    if let Ok(image) = ImageRef::parse(&text) {
                        let shown = image.to_string();
                        assert_eq!(
                            ImageRef::parse(&shown).ok().as_ref(),
                            Some(&image),
                            "{text}"
                        );
                    }
                }
            }
        }
    }
}
