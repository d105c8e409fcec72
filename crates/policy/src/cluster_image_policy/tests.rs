//! Tests of reading ClusterImagePolicy documents, policy-controller's own examples among them.

#![allow(clippy::unwrap_used, clippy::expect_used, reason = "tests")]

use vouch_attest::{PredicateType, RegoConvention};
use vouch_sigstore::Policy;

use super::*;
use crate::NoFiles;
use crate::model::{Authority, Requirement};

const KEY: &str = include_str!("../../../../testdata/generated/p256-der/key.pub");
const FULCIO_ROOT: &str =
    include_str!("../../../../testdata/interop/containers-image-cosign/fulcio_v1.crt.pem");
const FIXTURES: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../testdata/interop/policy-controller"
);

fn indent(text: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    text.lines().map(|line| format!("{pad}{line}\n")).collect()
}

/// A document with one authority, given as YAML lines under `authorities:`.
fn with_authority(authority: &str) -> String {
    format!(
        "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  \
             name: p\nspec:\n  images:\n  - glob: \"ghcr.io/acme/**\"\n  authorities:\n{}",
        indent(authority, 2)
    )
}

fn key_authority(extra: &str) -> String {
    format!("- key:\n    data: |\n{}{extra}", indent(KEY, 6))
}

const KEYLESS: &str = "- keyless:\n    identities:\n    - issuer: https://accounts.google.com\n      subjectRegExp: .*@acme.example\n";

fn ok(text: &str) -> TrustPolicy {
    parse(text, &NoFiles).unwrap_or_else(|err| panic!("{err}\n{text}"))
}

fn refused(text: &str, field: &str) -> PolicyError {
    let err = parse(text, &NoFiles).expect_err(text);
    assert!(err.message.contains(field), "expected {field} in: {err}");
    err
}

fn authority(policy: &TrustPolicy) -> &Authority {
    match &policy.rules[0].requirements[0] {
        Requirement::Signed(authority) => authority,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_key_authority_maps_to_a_rule() {
    let policy = ok(&with_authority(&key_authority("")));
    assert_eq!(policy.format, Format::ClusterImagePolicy);
    assert_eq!(policy.matching, Matching::All);
    assert_eq!(policy.no_match, NoMatch::Deny);
    let rule = &policy.rules[0];
    assert_eq!(rule.name, "p");
    assert_eq!(rule.combine, Combine::AnyOf);
    assert_eq!(rule.mode, Mode::Enforce);
    assert!(
        matches!(&rule.images, ImageMatch::Globs(globs) if globs[0].as_str() == "ghcr.io/acme/**")
    );
    let authority = authority(&policy);
    assert_eq!(authority.name, "authority-0");
    assert!(authority.identity.is_none());
    assert!(matches!(
        authority.signers[0].signer(),
        vouch_sigstore::Signer::Key(_)
    ));
}

#[test]
fn key_authorities_need_a_log_entry_only_when_ctlog_names_one() {
    let without = ok(&with_authority(&key_authority("")));
    assert!(!authority(&without).signers[0].requires_tlog());
    let empty = ok(&with_authority(&key_authority("  ctlog: {}\n")));
    assert!(!authority(&empty).signers[0].requires_tlog());
    let with = ok(&with_authority(&key_authority(
        "  ctlog:\n    url: https://rekor.sigstore.dev\n",
    )));
    assert!(authority(&with).signers[0].requires_tlog());
    refused(
        &with_authority(&key_authority(
            "  ctlog:\n    url: http://rekor.rekor-system.svc\n",
        )),
        "spec.authorities[0].ctlog.url",
    );
    refused(
        &with_authority(&key_authority("  ctlog:\n    trustRootRef: mine\n")),
        "spec.authorities[0].ctlog.trustRootRef",
    );
}

#[test]
fn keyless_identities_map_to_signers_with_a_log_entry() {
    let text = "- name: ci\n  keyless:\n    url: https://fulcio.sigstore.dev/\n    identities:\n    - issuer: https://token.actions.githubusercontent.com\n      subject: https://github.com/acme/app/.github/workflows/release.yml@refs/heads/main\n    - issuerRegExp: .*google.*\n      subjectRegExp: .*@acme.example\n";
    let policy = ok(&with_authority(text));
    let authority = authority(&policy);
    assert_eq!(authority.name, "ci");
    assert_eq!(authority.signers.len(), 2);
    assert!(authority.signers.iter().all(Policy::requires_tlog));
    let vouch_sigstore::Signer::Identity { identity, issuer } = authority.signers[1].signer()
    else {
        panic!("not keyless");
    };
    // Anchored: policy-controller's unanchored match would take the second.
    assert!(identity.matches("alice@acme.example"));
    assert!(!identity.matches("alice@acme.example.evil.net"));
    assert!(issuer.matches("https://accounts.google.com"));
}

#[test]
fn keyless_refusals_name_their_field() {
    let cases = [
        ("    url: http://fulcio.fulcio-system.svc\n", "keyless.url"),
        ("    trustRootRef: private\n", "keyless.trustRootRef"),
        ("    insecureIgnoreSCT: true\n", "keyless.insecureIgnoreSCT"),
        (
            "    ca-cert:\n      kms: awskms:///x\n",
            "keyless.ca-cert.kms",
        ),
        (
            "    ca-cert:\n      secretRef:\n        name: s\n",
            "keyless.ca-cert.secretRef",
        ),
    ];
    for (extra, field) in cases {
        let text = KEYLESS.replacen("- keyless:\n", &format!("- keyless:\n{extra}"), 1);
        refused(&with_authority(&text), field);
    }
    refused(
        &with_authority("- keyless:\n    identities: []\n"),
        "keyless.identities",
    );
    let both =
        "- keyless:\n    identities:\n    - issuer: a\n      issuerRegExp: b\n      subject: c\n";
    refused(
        &with_authority(both),
        "identities[0]: expected one of `issuer`",
    );
    let no_subject = "- keyless:\n    identities:\n    - issuer: a\n";
    refused(&with_authority(no_subject), "missing `subject`");
    let bad_regex = "- keyless:\n    identities:\n    - issuer: a\n      subjectRegExp: \"(\"\n";
    refused(&with_authority(bad_regex), "identities[0].subjectRegExp");
    let ok_false = KEYLESS.replacen(
        "- keyless:\n",
        "- keyless:\n    insecureIgnoreSCT: false\n",
        1,
    );
    ok(&with_authority(&ok_false));
}

#[test]
fn a_ca_cert_is_named_trust() {
    let text = format!(
        "- keyless:\n    ca-cert:\n      data: |\n{}    identities:\n    - issuer: a\n      subject: b\n",
        indent(FULCIO_ROOT, 8)
    );
    let policy = ok(&with_authority(&text));
    let trust = &authority(&policy).named_trust;
    assert_eq!(trust.fulcio_cas.len(), 1);
    assert_eq!(trust.fulcio_cas[0].first(), Some(&0x30));
    let both = text.replacen(
        "- keyless:\n",
        "- keyless:\n    url: https://fulcio.sigstore.dev\n",
        1,
    );
    refused(
        &with_authority(&both),
        "keyless: expected one of `url` or `ca-cert`",
    );
    let not_cert = format!(
        "- keyless:\n    ca-cert:\n      data: |\n{}    identities:\n    - issuer: a\n      subject: b\n",
        indent(KEY, 8)
    );
    refused(&with_authority(&not_cert), "keyless.ca-cert.data");
}

#[test]
fn key_refusals_name_their_field() {
    refused(
        &with_authority("- key:\n    kms: awskms:///alias/k\n"),
        "key.kms",
    );
    refused(
        &with_authority("- key:\n    secretRef:\n      name: k\n"),
        "key.secretRef",
    );
    refused(
        &with_authority("- key: {}\n"),
        "spec.authorities[0].key: expected `data`",
    );
    refused(&with_authority("- key:\n    data: not a key\n"), "key.data");
    refused(
        &with_authority("- key:\n    data: x\n    kms: y\n"),
        "expected exactly one of `data`",
    );
    refused(
        &with_authority(&key_authority(""))
            .replace("- key:", "- key:\n      hashAlgorithm: sha512"),
        "key.hashAlgorithm",
    );
    refused(
        &with_authority(&key_authority("")).replace("- key:", "- key:\n      hashAlgorithm: md5"),
        "key.hashAlgorithm",
    );
    ok(&with_authority(&key_authority(""))
        .replace("- key:", "- key:\n      hashAlgorithm: SHA256"));
}

#[test]
fn authorities_need_exactly_one_kind() {
    refused(
        &with_authority("- name: none\n"),
        "spec.authorities[0]: expected exactly one",
    );
    let two = format!("{}  static:\n    action: pass\n", key_authority(""));
    refused(&with_authority(&two), "found several");
    let empty = with_authority("").replace("  authorities:\n", "");
    refused(&empty, "spec.authorities");
}

#[test]
fn static_authorities() {
    let pass = ok(&with_authority("- static:\n    action: pass\n"));
    assert!(matches!(pass.rules[0].requirements[0], Requirement::Allow));
    let fail = ok(&with_authority(
        "- static:\n    action: fail\n    message: frozen\n",
    ));
    assert!(
        matches!(&fail.rules[0].requirements[0], Requirement::Reject(m) if m.contains("frozen"))
    );
    let bare = ok(&with_authority("- static:\n    action: fail\n"));
    assert!(matches!(&bare.rules[0].requirements[0], Requirement::Reject(m) if !m.is_empty()));
    refused(
        &with_authority("- static:\n    action: maybe\n"),
        "static.action",
    );
    for (extra, field) in [
        (
            "  ctlog:\n    url: https://rekor.sigstore.dev\n",
            "authorities[0].ctlog",
        ),
        (
            "  rfc3161timestamp: {}\n",
            "authorities[0].rfc3161timestamp",
        ),
        (
            "  source:\n  - oci: r.example/sigs\n",
            "authorities[0].source",
        ),
        (
            "  attestations:\n  - name: a\n    predicateType: spdx\n",
            "authorities[0].attestations",
        ),
    ] {
        let text = format!("- static:\n    action: pass\n{extra}");
        let err = refused(&with_authority(&text), field);
        assert!(err.message.contains("static"), "{err}");
    }
}

#[test]
fn other_authority_fields() {
    refused(
        &with_authority(&format!("{KEYLESS}  source:\n  - oci: r.example/sigs\n")),
        "authorities[0].source",
    );
    refused(
        &with_authority(&format!(
            "{KEYLESS}  rfc3161timestamp:\n    trustRootRef: t\n"
        )),
        "authorities[0].rfc3161timestamp",
    );
    ok(&with_authority(&format!(
        "{KEYLESS}  source: []\n  signatureFormat: bundle\n"
    )));
    refused(
        &with_authority(&format!("{KEYLESS}  signatureFormat: sigstore\n")),
        "authorities[0].signatureFormat",
    );
}

#[test]
fn attestations_with_rego_in_policy_controllers_convention() {
    let text = format!(
        "{KEYLESS}  attestations:\n  - name: prov\n    predicateType: https://slsa.dev/provenance/v1\n    policy:\n      type: rego\n      data: |\n        package sigstore\n        default isCompliant = false\n        isCompliant {{ input.predicateType == \"https://slsa.dev/provenance/v1\" }}\n  - name: sbom\n    predicateType: spdxjson\n"
    );
    let policy = ok(&with_authority(&text));
    let attestations = &authority(&policy).attestations;
    assert_eq!(attestations.len(), 2);
    assert_eq!(attestations[0].name, "prov");
    let rego = attestations[0].policy.as_ref().unwrap();
    assert_eq!(rego.convention(), RegoConvention::PolicyController);
    assert_eq!(
        attestations[1].predicate_type,
        PredicateType::parse("spdx").unwrap()
    );
    assert!(attestations[1].policy.is_none());
}

#[test]
fn attestation_refusals_name_their_field() {
    let with_policy = |policy: &str| {
        with_authority(&format!(
            "{KEYLESS}  attestations:\n  - name: a\n    predicateType: custom\n    policy:\n{}",
            indent(policy, 6)
        ))
    };
    let err = refused(
        &with_policy("type: cue\ndata: 'a: 1'\n"),
        "attestations[0].policy.type",
    );
    assert!(err.message.contains("CUE is not supported"), "{err}");
    refused(&with_policy("type: opa\ndata: x\n"), "policy.type");
    refused(
        &with_policy("type: rego\nremote:\n  url: https://x.example/p.rego\n  sha256sum: ab\n"),
        "policy.remote",
    );
    refused(
        &with_policy("type: rego\nconfigMapRef:\n  name: c\n  key: k\n"),
        "policy.configMapRef",
    );
    refused(
        &with_policy("type: rego\ndata: x\nincludeSpec: true\n"),
        "policy.includeSpec",
    );
    refused(&with_policy("type: rego\n"), "policy.data");
    let err = refused(
        &with_policy("type: rego\ndata: \"package signature\\nallow = true\\n\"\n"),
        "policy.data",
    );
    assert!(err.message.contains("package sigstore"), "{err}");
    let no_type = with_authority(&format!(
        "{KEYLESS}  attestations:\n  - name: a\n    predicateType: \"not a type\"\n"
    ));
    refused(&no_type, "attestations[0].predicateType");
    let no_name = with_authority(&format!(
        "{KEYLESS}  attestations:\n  - predicateType: custom\n"
    ));
    refused(&no_name, "attestations[0].name");
}

#[test]
fn spec_level_refusals_and_checks() {
    let base = with_authority(KEYLESS);
    refused(
        &format!("{base}  policy:\n    type: rego\n    data: x\n"),
        "spec.policy",
    );
    refused(
        &base.replace(
            "spec:\n",
            "spec:\n  match:\n  - resource: pods\n    version: v1\n",
        ),
        "spec.match",
    );
    ok(&base.replace("spec:\n", "spec:\n  match: []\n"));
    let warn = ok(&base.replace("spec:\n", "spec:\n  mode: warn\n"));
    assert_eq!(warn.rules[0].mode, Mode::Warn);
    refused(
        &base.replace("spec:\n", "spec:\n  mode: audit\n"),
        "spec.mode",
    );
    refused(
        &base.replace("  - glob: \"ghcr.io/acme/**\"\n", ""),
        "spec.images",
    );
    refused(
        &base.replace("ghcr.io/acme/**", "a***"),
        "spec.images[0].glob: `a***`",
    );
}

#[test]
fn documents_must_be_cluster_image_policies_with_names() {
    let base = with_authority(KEYLESS);
    let err = refused(
        &base.replace("v1beta1", "v1"),
        "document 1: apiVersion `policy.sigstore.dev/v1`",
    );
    assert!(err.message.contains("v1alpha1"), "{err}");
    ok(&base.replace("v1beta1", "v1alpha1"));
    refused(
        &base.replace("kind: ClusterImagePolicy", "kind: ImagePolicy"),
        "kind `ImagePolicy`",
    );
    refused(
        &base.replace("  name: p\n", "  labels: {}\n"),
        "metadata.name",
    );
    let meta = base.replace(
        "  name: p\n",
        "  name: p\n  namespace: x\n  labels:\n    a: b\n  annotations:\n    c: d\n",
    );
    ok(&format!("{meta}status:\n  conditions: []\n"));
    let unknown = refused(
        &base
            .replace("  mode", "")
            .replace("spec:\n", "spec:\n  imagez: []\n"),
        "imagez",
    );
    assert!(unknown.location.is_some(), "{unknown:?}");
    let wrong_type = refused(
        &base.replace("spec:\n", "spec:\n  mode: [1]\n"),
        "document 1",
    );
    assert!(wrong_type.location.is_some(), "{wrong_type:?}");
}

#[test]
fn many_documents_are_many_rules() {
    let first = with_authority(KEYLESS);
    let second = with_authority("- static:\n    action: pass\n").replace("name: p", "name: q");
    let policy = ok(&format!("---\n{first}---\n{second}---\n"));
    let names: Vec<&str> = policy.rules.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["p", "q"]);
    let err = refused(
        &format!("{first}---\n{first}"),
        "document 2 (name: p): metadata.name",
    );
    assert!(err.message.contains("same name"), "{err}");
    let bad_second = with_authority("- static:\n    action: maybe\n").replace("name: p", "name: q");
    refused(
        &format!("{first}---\n{bad_second}"),
        "document 2 (name: q): spec.authorities[0].static.action",
    );
    refused(
        &format!("{first}---\napiVersion: v1\nkind: ConfigMap\n"),
        "document 2: apiVersion",
    );
    refused("---\n", "no ClusterImagePolicy");
}

#[test]
fn json_reads_too() {
    let json = r#"{"apiVersion": "policy.sigstore.dev/v1beta1", "kind": "ClusterImagePolicy",
            "metadata": {"name": "j"}, "spec": {"images": [{"glob": "**"}],
            "authorities": [{"static": {"action": "pass"}}]}}"#;
    assert_eq!(ok(json).rules[0].name, "j");
}

#[test]
fn yaml_syntax_errors_carry_their_line() {
    let text = "apiVersion: policy.sigstore.dev/v1beta1\nkind: ClusterImagePolicy\nmetadata:\n  name: p\nspec:\n  images: [\n";
    let err = parse(text, &NoFiles).unwrap_err();
    let (line, _) = err.location.expect("a location");
    assert!(line >= 6, "{err:?}");
}

#[test]
fn untrusted_text_is_escaped_and_shortened() {
    let text = with_authority(KEYLESS).replace(
        "spec:\n",
        &format!("spec:\n  mode: \"\\x1b[31m{}\"\n", "x".repeat(1000)),
    );
    let err = refused(&text, "spec.mode");
    assert!(!err.message.contains('\u{1b}'), "{err}");
    assert!(err.message.len() < 600, "{}", err.message.len());
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!("{FIXTURES}/{name}")).unwrap()
}

#[test]
fn policy_controllers_own_examples_that_vouch_honours() {
    let keyless = ok(&fixture("cip-public-keyless.yaml"));
    assert_eq!(keyless.rules[0].name, "demo");
    assert!(authority(&keyless).signers[0].requires_tlog());
    let key = ok(&fixture("cip-key-no-rekor.yaml"));
    assert!(!authority(&key).signers[0].requires_tlog());
    let fail = ok(&fixture("cip-static-fail.yaml"));
    assert!(matches!(
        fail.rules[0].requirements[0],
        Requirement::Reject(_)
    ));
}

#[test]
fn policy_controllers_own_examples_that_vouch_refuses() {
    refused(
        &fixture("cip-keyless-with-attestations-rego.yaml"),
        "spec.authorities[0].keyless.url",
    );
    refused(&fixture("cip-match-resource-label.yaml"), "spec.match");
    refused(
        &fixture("cip-key-with-attestations-no-rekor.yaml"),
        "spec.authorities[0].attestations[0].policy.type",
    );
}

#[test]
fn the_e2e_rego_policy_reads_once_its_fulcio_is_public() {
    let text = fixture("cip-keyless-with-attestations-rego.yaml")
        .replace(
            "http://fulcio.fulcio-system.svc",
            "https://fulcio.sigstore.dev",
        )
        .replace(
            "http://rekor.rekor-system.svc",
            "https://rekor.sigstore.dev",
        );
    let policy = ok(&text);
    let attestation = &authority(&policy).attestations[0];
    assert_eq!(attestation.name, "custom-match-predicate");
    assert!(attestation.policy.is_some());
}
