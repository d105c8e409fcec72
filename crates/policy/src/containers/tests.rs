//! Tests of reading containers `policy.json` files and of matching scopes and identities.

use std::collections::HashMap;

use base64::Engine as _;
use vouch_keys::PublicKey;
use vouch_oci::ImageRef;
use vouch_sigstore::Signer;

use super::*;
use crate::{Authority, SignedIdentity};

const DIGEST: &str = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const OTHER_DIGEST: &str =
    "sha256:fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210";

/// Files by the path the policy names.
struct Files(HashMap<String, Vec<u8>>);

impl FileReader for Files {
    fn read(&self, path: &str) -> Result<Vec<u8>, String> {
        self.0
            .get(path)
            .cloned()
            .ok_or_else(|| "no such file".to_owned())
    }
}

fn interop(path: &str) -> Vec<u8> {
    std::fs::read(vouch_testdata::interop(path)).unwrap()
}

fn files() -> Files {
    let mut files = HashMap::new();
    files.insert(
        "/etc/keys/a.pub".to_owned(),
        vouch_testdata::case("p256-der").key_bytes(),
    );
    files.insert(
        "/etc/keys/b.pub".to_owned(),
        interop("containers-image-cosign/cosign.pub"),
    );
    files.insert(
        "/etc/keys/rekor.pub".to_owned(),
        interop("containers-image-cosign/rekor.pub"),
    );
    files.insert(
        "/etc/keys/fulcio.pem".to_owned(),
        interop("containers-image-cosign/fulcio_v1.crt.pem"),
    );
    files.insert("/etc/keys/garbage".to_owned(), b"not a key".to_vec());
    Files(files)
}

fn read(json: &str) -> Result<TrustPolicy, PolicyError> {
    parse(json, &files())
}

fn ok(json: &str) -> TrustPolicy {
    read(json).unwrap_or_else(|err| panic!("{err}\n{json}"))
}

/// The error, which must mention every one of `needles` and carry a place in the file.
fn refused(json: &str, needles: &[&str]) -> PolicyError {
    let Err(err) = read(json) else {
        panic!("accepted: {json}");
    };
    for needle in needles {
        assert!(err.message.contains(needle), "{needle:?} not in {err}");
    }
    assert!(err.location.is_some(), "no line in {err}");
    err
}

/// A policy whose `docker` scope `ghcr.io/acme` has these requirements.
fn scoped(requirements: &str) -> String {
    format!(
        r#"{{"default": [{{"type": "reject"}}],
                "transports": {{"docker": {{"ghcr.io/acme": {requirements}}}}}}}"#
    )
}

/// The one authority of a `scoped` policy with this requirement.
fn authority(requirement: &str) -> Authority {
    let policy = ok(&scoped(&format!("[{requirement}]")));
    match policy
        .rules
        .first()
        .map(|rule| rule.requirements.as_slice())
    {
        Some([Requirement::Signed(authority)]) => (**authority).clone(),
        _ => panic!("not one signed requirement: {:?}", policy.rules),
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn image(text: &str) -> ImageRef {
    ImageRef::parse(text).unwrap()
}

// --- Real files ----------------------------------------------------------------------------

fn shipped(name: &str) -> TrustPolicy {
    let path = vouch_testdata::root()
        .join("interop/containers-policy-json")
        .join(name);
    let text = std::fs::read_to_string(path).unwrap();
    parse(&text, &crate::NoFiles).unwrap()
}

#[test]
fn debians_default_policy_accepts_everything() {
    let policy = shipped("debian-bookworm-policy.json");
    assert_eq!(policy.format, Format::Containers);
    assert_eq!(policy.matching, Matching::First);
    assert_eq!(policy.no_match, NoMatch::Deny);
    assert_eq!(policy.rules.len(), 1);
    let rule = &policy.rules[0];
    assert_eq!(rule.name, "default");
    assert!(matches!(rule.images, ImageMatch::Everything));
    assert!(matches!(rule.requirements.as_slice(), [Requirement::Allow]));
    assert_eq!(rule.combine, Combine::AllOf);
    assert_eq!(rule.mode, Mode::Enforce);
}

#[test]
fn upstream_default_policy_makes_no_rule_of_docker_daemon() {
    let policy = shipped("containers-image-default-policy.json");
    let names: Vec<&str> = policy.rules.iter().map(|rule| rule.name.as_str()).collect();
    assert_eq!(names, ["default"]);
}

// --- Rules -------------------------------------------------------------------------------

#[test]
fn scopes_are_ordered_most_specific_first() {
    let reject = r#"[{"type": "reject"}]"#;
    let scopes = [
        "",
        "*.com",
        "docker.io",
        "*.sub.example.com",
        "docker.io/library",
        "docker.io/library/busybox:latest",
        "*.example.com",
        "localhost:5000",
        "docker.io/library/busybox",
        "quay.io/org/app",
    ];
    let body: Vec<String> = scopes
        .iter()
        .map(|scope| format!("{scope:?}: {reject}"))
        .collect();
    let json = format!(
        r#"{{"default": [{{"type": "insecureAcceptAnything"}}],
                "transports": {{"docker": {{{}}}, "oci": {{"": {reject}}}}}}}"#,
        body.join(",")
    );
    let policy = ok(&json);
    let names: Vec<&str> = policy.rules.iter().map(|rule| rule.name.as_str()).collect();
    assert_eq!(
        names,
        [
            r#"transports.docker["docker.io/library/busybox:latest"]"#,
            r#"transports.docker["docker.io/library/busybox"]"#,
            r#"transports.docker["docker.io/library"]"#,
            r#"transports.docker["quay.io/org/app"]"#,
            r#"transports.docker["localhost:5000"]"#,
            r#"transports.docker["docker.io"]"#,
            r#"transports.docker["*.sub.example.com"]"#,
            r#"transports.docker["*.example.com"]"#,
            r#"transports.docker["*.com"]"#,
            r#"transports.docker[""]"#,
            "default",
        ]
    );
    let scopes: Vec<Option<&str>> = policy
        .rules
        .iter()
        .map(|rule| match &rule.images {
            ImageMatch::Scope(scope) => Some(scope.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(scopes[0], Some("docker.io/library/busybox:latest"));
    assert_eq!(scopes[9], Some(""));
    assert_eq!(scopes[10], None);
    assert!(
        policy
            .rules
            .iter()
            .all(|rule| rule.combine == Combine::AllOf && rule.mode == Mode::Enforce)
    );
}

#[test]
fn the_first_matching_rule_is_the_one_containers_image_picks() {
    let policy = ok(&format!(
        r#"{{"default": [{{"type": "reject"}}], "transports": {{"docker": {{
                "": [{{"type": "reject"}}],
                "*.example.com": [{{"type": "reject"}}],
                "registry.example.com:5000": [{{"type": "reject"}}],
                "registry.example.com:5000/team": [{{"type": "reject"}}],
                "registry.example.com:5000/team/app@{DIGEST}": [{{"type": "reject"}}]
            }}}}}}"#
    ));
    let first = |name: &str| {
        let image = image(name);
        policy
            .rules
            .iter()
            .find(|rule| match &rule.images {
                ImageMatch::Scope(scope) => scope_matches(scope, &image),
                ImageMatch::Everything => true,
                _ => false,
            })
            .map(|rule| rule.name.clone())
            .unwrap()
    };
    let digest_name = format!("registry.example.com:5000/team/app@{DIGEST}");
    assert_eq!(
        first(&digest_name),
        format!("transports.docker[{digest_name:?}]")
    );
    assert_eq!(
        first("registry.example.com:5000/team/app:v1"),
        r#"transports.docker["registry.example.com:5000/team"]"#
    );
    assert_eq!(
        first("registry.example.com:5000/other"),
        r#"transports.docker["registry.example.com:5000"]"#
    );
    assert_eq!(
        first("registry.example.com/team/app"),
        r#"transports.docker["*.example.com"]"#
    );
    assert_eq!(first("busybox"), r#"transports.docker[""]"#);
}

// --- Requirements ------------------------------------------------------------------------

#[test]
fn accept_anything_and_reject() {
    let policy = ok(&scoped(
        r#"[{"type": "insecureAcceptAnything"}, {"type": "reject"}]"#,
    ));
    match policy.rules[0].requirements.as_slice() {
        [Requirement::Allow, Requirement::Reject(message)] => {
            assert!(message.contains("reject"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_key_path_without_rekor_needs_no_log_entry() {
    let authority = authority(r#"{"type": "sigstoreSigned", "keyPath": "/etc/keys/a.pub"}"#);
    assert_eq!(authority.name, "sigstoreSigned(keyPath=/etc/keys/a.pub)");
    assert_eq!(authority.signers.len(), 1);
    assert!(!authority.signers[0].requires_tlog());
    let Signer::Key(key) = authority.signers[0].signer() else {
        panic!("not a key signer");
    };
    let expected = PublicKey::from_bytes(&vouch_testdata::case("p256-der").key_bytes()).unwrap();
    assert_eq!(key.spki_der(), expected.spki_der());
    assert_eq!(
        authority.identity,
        Some(SignedIdentity::MatchRepoDigestOrExact)
    );
    assert!(authority.attestations.is_empty());
    assert!(authority.named_trust.rekor_keys.is_empty());
    assert!(authority.named_trust.fulcio_cas.is_empty());
}

#[test]
fn key_paths_are_alternatives() {
    let authority = authority(
        r#"{"type": "sigstoreSigned", "keyPaths": ["/etc/keys/a.pub", "/etc/keys/b.pub"]}"#,
    );
    assert_eq!(
        authority.name,
        "sigstoreSigned(keyPaths=/etc/keys/a.pub,/etc/keys/b.pub)"
    );
    assert_eq!(authority.signers.len(), 2);
    assert!(
        authority
            .signers
            .iter()
            .all(|signer| !signer.requires_tlog())
    );
}

#[test]
fn key_data_is_base64() {
    let key = b64(&vouch_testdata::case("p256-der").key_bytes());
    let single = authority(&format!(
        r#"{{"type": "sigstoreSigned", "keyData": "{key}"}}"#
    ));
    assert_eq!(single.name, "sigstoreSigned(keyData)");
    assert_eq!(single.signers.len(), 1);
    let other = b64(&interop("containers-image-cosign/cosign.pub"));
    let several = authority(&format!(
        r#"{{"type": "sigstoreSigned", "keyDatas": ["{key}", "{other}"]}}"#
    ));
    assert_eq!(several.name, "sigstoreSigned(keyDatas[2])");
    assert_eq!(several.signers.len(), 2);
}

#[test]
fn a_rekor_key_requires_a_log_entry_and_is_named_trust() {
    let rekor = b64(&interop("containers-image-cosign/rekor.pub"));
    for rekor_field in [
        r#""rekorPublicKeyPath": "/etc/keys/rekor.pub""#.to_owned(),
        r#""rekorPublicKeyPaths": ["/etc/keys/rekor.pub", "/etc/keys/a.pub"]"#.to_owned(),
        format!(r#""rekorPublicKeyData": "{rekor}""#),
        format!(r#""rekorPublicKeyDatas": ["{rekor}"]"#),
    ] {
        let authority = authority(&format!(
            r#"{{"type": "sigstoreSigned", "keyPath": "/etc/keys/a.pub", {rekor_field}}}"#
        ));
        assert!(authority.signers[0].requires_tlog(), "{rekor_field}");
        assert!(
            !authority.named_trust.rekor_keys.is_empty(),
            "{rekor_field}"
        );
    }
}

#[test]
fn fulcio_is_a_keyless_identity() {
    let ca = b64(&interop("containers-image-cosign/fulcio_v1.crt.pem"));
    for ca_field in [
        r#""caPath": "/etc/keys/fulcio.pem""#.to_owned(),
        format!(r#""caData": "{ca}""#),
    ] {
        let authority = authority(&format!(
            r#"{{"type": "sigstoreSigned",
                    "fulcio": {{{ca_field}, "oidcIssuer": "https://github.com/login/oauth",
                               "subjectEmail": "dev@example.com"}},
                    "rekorPublicKeyPath": "/etc/keys/rekor.pub",
                    "signedIdentity": {{"type": "matchRepository"}}}}"#
        ));
        assert_eq!(
            authority.name,
            "sigstoreSigned(fulcio subjectEmail=dev@example.com \
                 oidcIssuer=https://github.com/login/oauth)"
        );
        let [signer] = authority.signers.as_slice() else {
            panic!("{:?}", authority.signers);
        };
        assert!(signer.requires_tlog());
        let Signer::Identity { identity, issuer } = signer.signer() else {
            panic!("not keyless");
        };
        assert!(identity.matches("dev@example.com") && !identity.matches("x@example.com"));
        assert!(issuer.matches("https://github.com/login/oauth"));
        assert_eq!(authority.named_trust.fulcio_cas.len(), 1);
        assert_eq!(authority.named_trust.fulcio_cas[0].first(), Some(&0x30));
        assert_eq!(authority.named_trust.rekor_keys.len(), 1);
        assert_eq!(authority.identity, Some(SignedIdentity::MatchRepository));
    }
}

#[test]
fn every_signed_identity_is_read() {
    let cases = [
        (r#"{"type": "matchExact"}"#, SignedIdentity::MatchExact),
        (
            r#"{"type": "matchRepoDigestOrExact"}"#,
            SignedIdentity::MatchRepoDigestOrExact,
        ),
        (
            r#"{"type": "matchRepository"}"#,
            SignedIdentity::MatchRepository,
        ),
        (
            r#"{"type": "exactReference", "dockerReference": "quay.io/a/b:v1"}"#,
            SignedIdentity::ExactReference("quay.io/a/b:v1".to_owned()),
        ),
        (
            r#"{"type": "exactRepository", "dockerRepository": "quay.io/a/b"}"#,
            SignedIdentity::ExactRepository("quay.io/a/b".to_owned()),
        ),
        (
            r#"{"type": "remapIdentity", "prefix": "mirror.local/acme",
                    "signedPrefix": "ghcr.io/acme"}"#,
            SignedIdentity::RemapIdentity {
                prefix: "mirror.local/acme".to_owned(),
                signed_prefix: "ghcr.io/acme".to_owned(),
            },
        ),
        (
            r#"{"type": "remapIdentity", "prefix": "mirror.local:5000",
                    "signedPrefix": "docker.io"}"#,
            SignedIdentity::RemapIdentity {
                prefix: "mirror.local:5000".to_owned(),
                signed_prefix: "docker.io".to_owned(),
            },
        ),
    ];
    for (json, expected) in cases {
        let authority = authority(&format!(
            r#"{{"type": "sigstoreSigned", "keyPath": "/etc/keys/a.pub",
                    "signedIdentity": {json}}}"#
        ));
        assert_eq!(authority.identity, Some(expected), "{json}");
    }
}

// --- Errors ------------------------------------------------------------------------------

#[test]
fn syntax_errors_carry_their_line() {
    let err = refused(
        "{\n  \"default\": [\n    {\"type\": \"reject\"},\n  ]\n}",
        &[],
    );
    assert_eq!(err.location.map(|(line, _)| line), Some(4));
    let err = refused("{\"default\": [{\"type\": \"reject\"}]} trailing", &[]);
    assert_eq!(err.location.map(|(line, _)| line), Some(1));
}

#[test]
fn structure_errors() {
    refused(r#"{"transports": {}}"#, &["`default`"]);
    refused(
        r#"{"default": [{"type": "reject"}], "extra": 1}"#,
        &["unknown field", "extra"],
    );
    refused(
        r#"{"default": [{"type": "reject"}], "default": [{"type": "reject"}]}"#,
        &["duplicate field `default`"],
    );
    refused(
        r#"{"default": [{"type": "reject"}], "transports": {"docker": {}, "docker": {}}}"#,
        &["\"docker\"", "twice"],
    );
    refused(
        &scoped(r#"[{"type": "reject"}], "ghcr.io/acme": [{"type": "reject"}]"#),
        &[r#"transports.docker["ghcr.io/acme"]"#, "twice"],
    );
    refused(r#"{"default": {"type": "reject"}}"#, &["invalid type"]);
    refused(r#"{"default": [{"type": 1}]}"#, &["invalid type"]);
    refused(
        r#"{"default": [{"type": "reject", "keyPath": "/a"}]}"#,
        &["keyPath"],
    );
    refused(
        r#"{"default": [{"type": "insecureAcceptAnything", "x": 1}]}"#,
        &["unknown field"],
    );
    refused(
        r#"{"default": [{"type": "sigstoreSigned", "keyPath": "/etc/keys/a.pub",
                             "keyPath": "/etc/keys/a.pub"}]}"#,
        &["duplicate field `keyPath`"],
    );
    refused(
        r#"{"default": [{"type": "sigstoreSigned", "keyPath": 7}]}"#,
        &["invalid type"],
    );
    refused(r#"{"default": [{"type": "trustMe"}]}"#, &["trustMe"]);
    refused(
        r#"{"default": [{"type": "sigstoreSigned", "keyPath": "/etc/keys/a.pub",
                             "bogus": true}]}"#,
        &["unknown field", "bogus"],
    );
    refused(
        r#"{"default": [{"type": "reject", "type": "reject"}]}"#,
        &["duplicate field `type`"],
    );
    refused(r#"{"default": [{}]}"#, &["type"]);
}

#[test]
fn an_empty_requirement_list_is_refused() {
    refused(r#"{"default": []}"#, &["default", "empty list"]);
    refused(
        &scoped("[]"),
        &[r#"transports.docker["ghcr.io/acme"]"#, "empty list"],
    );
}

#[test]
fn checks_made_while_reading_carry_a_place() {
    let json = "{\"default\": [{\"type\": \"reject\"}],\n\"transports\": {\"docker\": \
                    {\"ghcr.io/acme\": [\n{\"type\": \"reject\"},\n{\"type\": \"sigstoreSigned\"}\n]}}}";
    let err = refused(
        json,
        &[r#"transports.docker["ghcr.io/acme"][1]"#, "exactly one of"],
    );
    // Placed at the end of the list holding the requirement (serde_json places an error
    // raised while reading a list once the list is closed); the message names the item.
    assert_eq!(err.location.map(|(line, _)| line), Some(5));
}

#[test]
fn sigstore_key_sources() {
    let path = r#"transports.docker["ghcr.io/acme"][0]"#;
    refused(
        &scoped(r#"[{"type": "sigstoreSigned"}]"#),
        &[
            path,
            "exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio, pki",
            "none",
        ],
    );
    refused(
        &scoped(r#"[{"type": "sigstoreSigned", "keyPath": "/etc/keys/a.pub", "keyData": "AA=="}]"#),
        &[path, "keyPath and keyData"],
    );
    refused(
        &scoped(r#"[{"type": "sigstoreSigned", "keyPaths": []}]"#),
        &[&format!("{path}.keyPaths"), "empty list"],
    );
    refused(
        &scoped(r#"[{"type": "sigstoreSigned", "keyDatas": []}]"#),
        &[&format!("{path}.keyDatas"), "empty list"],
    );
    refused(
        &scoped(
            r#"[{"type": "sigstoreSigned", "keyPath": "/etc/keys/a.pub",
                     "rekorPublicKeyPath": "/etc/keys/rekor.pub", "rekorPublicKeyData": "AA=="}]"#,
        ),
        &[path, "rekorPublicKeyPath and rekorPublicKeyData"],
    );
    refused(
        &scoped(
            r#"[{"type": "sigstoreSigned", "keyPath": "/etc/keys/a.pub",
                     "rekorPublicKeyPaths": []}]"#,
        ),
        &[&format!("{path}.rekorPublicKeyPaths"), "empty list"],
    );
}

#[test]
fn key_files_and_data_that_do_not_serve() {
    let path = r#"transports.docker["ghcr.io/acme"][0]"#;
    refused(
        &scoped(r#"[{"type": "sigstoreSigned", "keyPath": "/etc/keys/missing.pub"}]"#),
        &[
            &format!("{path}.keyPath"),
            "/etc/keys/missing.pub",
            "no such file",
        ],
    );
    refused(
        &scoped(r#"[{"type": "sigstoreSigned", "keyPath": "/etc/keys/garbage"}]"#),
        &[
            &format!("{path}.keyPath"),
            "/etc/keys/garbage",
            "not a public key",
        ],
    );
    refused(
        &scoped(
            r#"[{"type": "sigstoreSigned", "keyPaths": ["/etc/keys/a.pub", "/etc/keys/nope"]}]"#,
        ),
        &[&format!("{path}.keyPaths[1]"), "/etc/keys/nope"],
    );
    refused(
        &scoped(r#"[{"type": "sigstoreSigned", "keyData": "not base64!"}]"#),
        &[&format!("{path}.keyData"), "base64"],
    );
    refused(
        &scoped(r#"[{"type": "sigstoreSigned", "keyData": ""}]"#),
        &[&format!("{path}.keyData"), "empty"],
    );
    refused(
        &scoped(&format!(
            r#"[{{"type": "sigstoreSigned", "keyData": "{}"}}]"#,
            b64(b"hello")
        )),
        &[&format!("{path}.keyData"), "not a public key"],
    );
    refused(
        &scoped(
            r#"[{"type": "sigstoreSigned", "keyPath": "/etc/keys/a.pub",
                     "rekorPublicKeyPath": "/etc/keys/gone"}]"#,
        ),
        &[&format!("{path}.rekorPublicKeyPath"), "/etc/keys/gone"],
    );
    // A key given where a certificate is expected.
    refused(
        &scoped(
            r#"[{"type": "sigstoreSigned", "fulcio": {"caPath": "/etc/keys/a.pub",
                     "oidcIssuer": "https://issuer", "subjectEmail": "a@b"},
                     "rekorPublicKeyPath": "/etc/keys/rekor.pub"}]"#,
        ),
        &[&format!("{path}.fulcio.caPath"), "CERTIFICATE"],
    );
}

#[test]
fn fulcio_fields() {
    let path = r#"transports.docker["ghcr.io/acme"][0].fulcio"#;
    let fulcio = |fields: &str, rekor: bool| {
        let rekor = if rekor {
            r#", "rekorPublicKeyPath": "/etc/keys/rekor.pub""#
        } else {
            ""
        };
        scoped(&format!(
            r#"[{{"type": "sigstoreSigned", "fulcio": {{{fields}}}{rekor}}}]"#
        ))
    };
    let ca = r#""caPath": "/etc/keys/fulcio.pem""#;
    refused(
        &fulcio(
            &format!(r#"{ca}, "oidcIssuer": "https://i", "subjectEmail": "a@b""#),
            false,
        ),
        &[path, "rekorPublicKeyPath"],
    );
    refused(
        &fulcio(&format!(r#"{ca}, "oidcIssuer": "https://i""#), true),
        &[&format!("{path}.subjectEmail"), "missing"],
    );
    refused(
        &fulcio(&format!(r#"{ca}, "subjectEmail": "a@b""#), true),
        &[&format!("{path}.oidcIssuer"), "missing"],
    );
    refused(
        &fulcio(
            &format!(r#"{ca}, "caData": "AA==", "oidcIssuer": "https://i", "subjectEmail": "a@b""#),
            true,
        ),
        &[path, "caPath and caData"],
    );
    refused(
        &fulcio(r#""oidcIssuer": "https://i", "subjectEmail": "a@b""#, true),
        &[path, "exactly one of caPath, caData"],
    );
    refused(
        &fulcio(
            &format!(r#"{ca}, "oidcIssuer": "https://i", "subjectEmail": "a@b", "url": "x""#),
            true,
        ),
        &["unknown field", "url"],
    );
}

#[test]
fn unsupported_requirements_are_refused_with_the_field_named() {
    let path = r#"transports.docker["ghcr.io/acme"][0]"#;
    refused(
        &scoped(
            r#"[{"type": "sigstoreSigned", "pki": {"caRootsPath": "/etc/keys/roots.pem",
                     "subjectEmail": "a@b"}}]"#,
        ),
        &[
            &format!("{path}.pki"),
            "`pki` (X.509 CA-signed keys) is not supported by vouch",
        ],
    );
    refused(
        &scoped(r#"[{"type": "signedBy", "keyType": "GPGKeys", "keyPath": "/etc/pki/key.gpg"}]"#),
        &[path, "`signedBy`", "GPG", "sigstoreSigned"],
    );
    refused(
        &scoped(
            r#"[{"type": "signedBaseLayer",
                     "baseLayerIdentity": {"type": "exactRepository", "dockerRepository": "a/b"}}]"#,
        ),
        &[path, "`signedBaseLayer`"],
    );
    refused(
        r#"{"default": [{"type": "signedBy", "keyType": "GPGKeys", "keyData": "AA=="}]}"#,
        &["default[0]", "`signedBy`"],
    );
}

#[test]
fn pki_is_checked_as_containers_image_does_before_it_is_refused() {
    refused(
        &scoped(
            r#"[{"type": "sigstoreSigned", "pki": {"caRootsPath": "/r", "subjectEmail": "a@b"},
                     "rekorPublicKeyPath": "/etc/keys/rekor.pub"}]"#,
        ),
        &["cannot be used with pki"],
    );
    refused(
        &scoped(r#"[{"type": "sigstoreSigned", "pki": {"caRootsPath": "/r"}}]"#),
        &["subjectEmail or subjectHostname"],
    );
}

#[test]
fn other_transports_are_checked_but_make_no_rules() {
    // signedBy and unreadable keys are fine where vouch never looks...
    let policy = ok(r#"{"default": [{"type": "reject"}], "transports": {
            "docker-daemon": {"": [{"type": "signedBy", "keyType": "GPGKeys",
                                    "keyPath": "/nowhere"}]},
            "atomic": {"whatever scope": [{"type": "sigstoreSigned", "keyPath": "/nowhere"}]},
            "some-future-transport": {"": [{"type": "insecureAcceptAnything"}]}
        }}"#);
    assert_eq!(policy.rules.len(), 1);
    // ...but what containers/image refuses when it reads the file is refused there too.
    refused(
        r#"{"default": [{"type": "reject"}], "transports": {
                "oci": {"": [{"type": "sigstoreSigned", "keyPath": "/a", "keyData": "AA=="}]}}}"#,
        &[r#"transports.oci[""][0]"#, "keyPath and keyData"],
    );
    refused(
        r#"{"default": [{"type": "reject"}], "transports": {
                "oci": {"": [{"type": "signedBy", "keyType": "PGP", "keyPath": "/a"}]}}}"#,
        &[r#"transports.oci[""][0].keyType"#, "GPGKeys"],
    );
    refused(
        r#"{"default": [{"type": "reject"}], "transports": {"dir": {"/a": []}}}"#,
        &[r#"transports.dir["/a"]"#, "empty list"],
    );
    refused(
        r#"{"default": [{"type": "reject"}], "transports": {"dir": {"/a": [{"type": "x"}]}}}"#,
        &["unknown variant"],
    );
}

#[test]
fn docker_scopes_that_never_match_are_refused() {
    let digest_ref = format!("docker.io/library/busybox:1@{DIGEST}");
    let cases: [(&str, &[&str]); 8] = [
        ("busybox", &["never matches", "\"docker.io/busybox\""]),
        (
            "busybox:latest",
            &["never matches", "\"docker.io/library/busybox:latest\""],
        ),
        ("index.docker.io/library", &["\"docker.io/library\""]),
        ("docker.io/Library", &["expected an image"]),
        ("*.example.com:5000", &["wildcard"]),
        ("ex*ample.com", &["`*`"]),
        ("*", &["`*`"]),
        (&digest_ref, &["never matches"]),
    ];
    for (scope, needles) in cases {
        let json = format!(
            r#"{{"default": [{{"type": "reject"}}],
                    "transports": {{"docker": {{{scope:?}: [{{"type": "reject"}}]}}}}}}"#
        );
        let mut all = vec![format!("transports.docker[{scope:?}]")];
        all.extend(needles.iter().map(|needle| (*needle).to_owned()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        refused(&json, &all);
    }
    for scope in [
        "docker.io",
        "docker.io/busybox",
        "localhost",
        "localhost:5000/a",
        "[::1]:5000",
        "Registry.Example.com/team",
        "*.internal",
    ] {
        ok(&format!(
            r#"{{"default": [{{"type": "reject"}}],
                    "transports": {{"docker": {{{scope:?}: [{{"type": "reject"}}]}}}}}}"#
        ));
    }
}

#[test]
fn signed_identities_that_containers_image_refuses() {
    let path = r#"transports.docker["ghcr.io/acme"][0].signedIdentity"#;
    let with = |identity: &str| {
        scoped(&format!(
            r#"[{{"type": "sigstoreSigned", "keyPath": "/etc/keys/a.pub",
                      "signedIdentity": {identity}}}]"#
        ))
    };
    refused(
        &with(r#"{"type": "exactReference", "dockerReference": "quay.io/a/b"}"#),
        &[
            &format!("{path}.dockerReference"),
            "neither a tag nor a digest",
        ],
    );
    refused(
        &with(r#"{"type": "exactReference", "dockerReference": "Not A Ref"}"#),
        &[&format!("{path}.dockerReference"), "not an image reference"],
    );
    refused(&with(r#"{"type": "exactReference"}"#), &["dockerReference"]);
    refused(
        &with(r#"{"type": "exactRepository", "dockerRepository": "UPPER/x/"}"#),
        &[&format!("{path}.dockerRepository")],
    );
    refused(
        &with(r#"{"type": "remapIdentity", "prefix": "a__b/c", "signedPrefix": "ghcr.io"}"#),
        &[&format!("{path}.prefix"), "a__b/c"],
    );
    refused(
        &with(r#"{"type": "remapIdentity", "prefix": "ghcr.io", "signedPrefix": "ghcr.io/a:v1"}"#),
        &[&format!("{path}.signedPrefix")],
    );
    refused(
        &with(r#"{"type": "remapIdentity", "prefix": "ghcr.io"}"#),
        &["signedPrefix"],
    );
    refused(
        &with(r#"{"type": "matchExact", "x": 1}"#),
        &["unknown field"],
    );
    refused(&with(r#"{"type": "matchSomething"}"#), &["matchSomething"]);
}

#[test]
fn long_and_odd_strings_are_escaped_and_shortened() {
    let scope = serde_json::to_string(&format!("a\u{1b}{}", "b".repeat(500))).unwrap();
    let json = format!(
        r#"{{"default": [{{"type": "reject"}}],
                "transports": {{"docker": {{{scope}: [{{"type": "reject"}}]}}}}}}"#
    );
    let err = refused(&json, &["\\u{1b}", "…"]);
    assert!(!err.message.contains('\u{1b}'));
    assert!(err.message.len() < 1000, "{}", err.message);
}

// --- identity_matches --------------------------------------------------------------------

#[test]
fn match_exact() {
    let id = SignedIdentity::MatchExact;
    assert!(identity_matches(
        &id,
        &image("busybox:1"),
        "docker.io/library/busybox:1"
    ));
    assert!(identity_matches(&id, &image("busybox"), "busybox:latest"));
    assert!(identity_matches(
        &id,
        &image("index.docker.io/library/busybox"),
        "busybox:latest"
    ));
    assert!(!identity_matches(&id, &image("busybox:1"), "busybox:2"));
    // A bare name is not exact: no `latest` is assumed in a signature.
    assert!(!identity_matches(
        &id,
        &image("busybox"),
        "docker.io/library/busybox"
    ));
    let by_digest = image(&format!("busybox@{DIGEST}"));
    assert!(identity_matches(
        &id,
        &by_digest,
        &format!("busybox@{DIGEST}")
    ));
    assert!(!identity_matches(&id, &by_digest, "busybox:latest"));
    assert!(!identity_matches(
        &id,
        &image("busybox"),
        "not a reference!"
    ));
}

#[test]
fn match_repo_digest_or_exact() {
    let id = SignedIdentity::MatchRepoDigestOrExact;
    assert!(identity_matches(
        &id,
        &image("quay.io/a/b:v1"),
        "quay.io/a/b:v1"
    ));
    assert!(!identity_matches(
        &id,
        &image("quay.io/a/b:v1"),
        "quay.io/a/b:v2"
    ));
    assert!(!identity_matches(
        &id,
        &image("quay.io/a/b:v1"),
        "quay.io/a/b"
    ));
    let by_digest = image(&format!("quay.io/a/b@{DIGEST}"));
    assert!(identity_matches(&id, &by_digest, "quay.io/a/b:v1"));
    assert!(identity_matches(
        &id,
        &by_digest,
        &format!("quay.io/a/b@{OTHER_DIGEST}")
    ));
    assert!(!identity_matches(&id, &by_digest, "quay.io/a/c:v1"));
    assert!(!identity_matches(&id, &by_digest, "quay.io/a/b"));
    // A tag and a digest: the digest decides, as podman does.
    let both = image(&format!("quay.io/a/b:v1@{DIGEST}"));
    assert!(identity_matches(&id, &both, "quay.io/a/b:v9"));
    // Docker Hub names are normalised on both sides.
    assert!(identity_matches(
        &id,
        &image("alpine:3"),
        "docker.io/library/alpine:3"
    ));
    assert!(identity_matches(
        &id,
        &image("docker.io/library/alpine:3"),
        "alpine:3"
    ));
}

#[test]
fn match_repository() {
    let id = SignedIdentity::MatchRepository;
    assert!(identity_matches(&id, &image("alpine:3"), "alpine"));
    assert!(identity_matches(
        &id,
        &image("alpine:3"),
        "index.docker.io/library/alpine:4"
    ));
    assert!(identity_matches(
        &id,
        &image(&format!("alpine@{DIGEST}")),
        "alpine:edge"
    ));
    assert!(!identity_matches(
        &id,
        &image("alpine:3"),
        "someone/alpine:3"
    ));
    assert!(!identity_matches(&id, &image("alpine:3"), ""));
}

#[test]
fn exact_reference() {
    let id = SignedIdentity::ExactReference("quay.io/a/b:v1".to_owned());
    assert!(identity_matches(
        &id,
        &image("mirror.local/x:anything"),
        "quay.io/a/b:v1"
    ));
    assert!(!identity_matches(
        &id,
        &image("quay.io/a/b:v1"),
        "quay.io/a/b:v2"
    ));
    assert!(!identity_matches(
        &id,
        &image("quay.io/a/b:v1"),
        "quay.io/a/b"
    ));
    let digest_id = SignedIdentity::ExactReference(format!("busybox@{DIGEST}"));
    assert!(identity_matches(
        &digest_id,
        &image("x"),
        &format!("docker.io/library/busybox@{DIGEST}")
    ));
    assert!(!identity_matches(
        &digest_id,
        &image("x"),
        &format!("busybox@{OTHER_DIGEST}")
    ));
    let name_only = SignedIdentity::ExactReference("quay.io/a/b".to_owned());
    assert!(!identity_matches(&name_only, &image("x"), "quay.io/a/b"));
}

#[test]
fn exact_repository() {
    let id = SignedIdentity::ExactRepository("busybox".to_owned());
    assert!(identity_matches(
        &id,
        &image("mirror.local/x:1"),
        "docker.io/library/busybox"
    ));
    assert!(identity_matches(&id, &image("x"), "busybox:any"));
    assert!(identity_matches(
        &id,
        &image("x"),
        &format!("busybox@{DIGEST}")
    ));
    assert!(!identity_matches(&id, &image("x"), "quay.io/busybox"));
    let bad = SignedIdentity::ExactRepository("NOT VALID".to_owned());
    assert!(!identity_matches(&bad, &image("x"), "busybox"));
}

#[test]
fn remap_identity() {
    let id = SignedIdentity::RemapIdentity {
        prefix: "mirror.local/acme".to_owned(),
        signed_prefix: "ghcr.io/acme".to_owned(),
    };
    assert!(identity_matches(
        &id,
        &image("mirror.local/acme/app:v1"),
        "ghcr.io/acme/app:v1"
    ));
    assert!(!identity_matches(
        &id,
        &image("mirror.local/acme/app:v1"),
        "ghcr.io/acme/app:v2"
    ));
    assert!(!identity_matches(
        &id,
        &image("mirror.local/acme/app:v1"),
        "mirror.local/acme/app:v1"
    ));
    // The prefix applies at a `/` boundary only; otherwise the name is kept.
    assert!(identity_matches(
        &id,
        &image("mirror.local/acmecorp/app:v1"),
        "mirror.local/acmecorp/app:v1"
    ));
    // By digest: the remapped repository is enough.
    assert!(identity_matches(
        &id,
        &image(&format!("mirror.local/acme/app@{DIGEST}")),
        "ghcr.io/acme/app:v1"
    ));
    // Remapped onto Docker Hub, in the expanded form.
    let hub = SignedIdentity::RemapIdentity {
        prefix: "mirror.local:5000".to_owned(),
        signed_prefix: "docker.io".to_owned(),
    };
    assert!(identity_matches(
        &hub,
        &image("mirror.local:5000/library/busybox:1"),
        "busybox:1"
    ));
    // A remapped name that is not canonical (`docker.io/busybox`) matches nothing.
    assert!(!identity_matches(
        &hub,
        &image("mirror.local:5000/busybox:1"),
        "busybox:1"
    ));
}

// --- scope_matches -----------------------------------------------------------------------

#[test]
fn scopes_match_as_in_containers_image() {
    let busybox = image("busybox");
    for scope in [
        "",
        "docker.io/library/busybox:latest",
        "docker.io/library/busybox",
        "docker.io/library",
        "docker.io",
        "*.io",
    ] {
        assert!(scope_matches(scope, &busybox), "{scope}");
    }
    for scope in [
        "busybox",
        "busybox:latest",
        "docker.io/library/busybox:1",
        "docker.io/library/busy",
        "docker.io/lib",
        "*.docker.io",
        "*",
        "quay.io",
    ] {
        assert!(!scope_matches(scope, &busybox), "{scope}");
    }
    let ported = image(&format!("registry.example.com:5000/team/app@{DIGEST}"));
    for scope in [
        format!("registry.example.com:5000/team/app@{DIGEST}"),
        "registry.example.com:5000/team/app".to_owned(),
        "registry.example.com:5000".to_owned(),
        "*.example.com".to_owned(),
        "*.com".to_owned(),
    ] {
        assert!(scope_matches(&scope, &ported), "{scope}");
    }
    for scope in [
        "registry.example.com:5000/team/app:latest",
        "registry.example.com",
        "*.example.com:5000",
        "*.registry.example.com",
    ] {
        assert!(!scope_matches(scope, &ported), "{scope}");
    }
    // A tag and a digest: the identity is by digest.
    let both = image(&format!("quay.io/a/b:v1@{DIGEST}"));
    assert!(scope_matches(&format!("quay.io/a/b@{DIGEST}"), &both));
    assert!(!scope_matches("quay.io/a/b:v1", &both));
    assert!(scope_matches("localhost:5000", &image("localhost:5000/x")));
    assert!(!scope_matches("*.localhost", &image("localhost:5000/x")));
}
