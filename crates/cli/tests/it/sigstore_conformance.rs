//! The Sigstore conformance suite's 70 `bundle-verify` cases, through `vouch verify-blob
//! --bundle`, offline, as the suite's harness drives a client: identity and issuer (or
//! `key.pub`), an optional custom `trusted_root.json`, else the embedded production root.
//! Cases ending in `_fail` must be rejected; every other case must verify. Vectors and their
//! provenance: testdata/interop/sigstore-conformance/.

use std::path::Path;
use std::process::Command;

/// The suite's defaults (bundle-verify/README.md).
const DEFAULT_IDENTITY: &str = "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main";
const DEFAULT_ISSUER: &str = "https://token.actions.githubusercontent.com";

fn vouch_for_case(dir: &Path) -> Command {
    let read = |name: &str| {
        std::fs::read_to_string(dir.join(name))
            .ok()
            .map(|s| s.trim().to_owned())
    };
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
    cmd.arg("verify-blob")
        .arg("--bundle")
        .arg(dir.join("bundle.sigstore.json"));
    if dir.join("key.pub").exists() {
        cmd.arg("--key").arg(dir.join("key.pub"));
    } else {
        cmd.args([
            "--certificate-identity",
            &read("identity").unwrap_or_else(|| DEFAULT_IDENTITY.to_owned()),
        ]);
        cmd.args([
            "--certificate-oidc-issuer",
            &read("issuer").unwrap_or_else(|| DEFAULT_ISSUER.to_owned()),
        ]);
    }
    if dir.join("trusted_root.json").exists() {
        cmd.arg("--trusted-root").arg(dir.join("trusted_root.json"));
    }
    let artifact = dir.join("artifact");
    cmd.arg(if artifact.exists() {
        artifact
    } else {
        dir.parent().unwrap().join("../a.txt")
    });
    cmd
}

#[test]
fn all_70_bundle_verify_cases() {
    let suite = vouch_testdata::interop("sigstore-conformance/bundle-verify");
    let mut cases: Vec<_> = std::fs::read_dir(&suite)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    assert_eq!(cases.len(), 70, "the suite has 70 cases");
    let mut wrong = Vec::new();
    for dir in &cases {
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let output = vouch_for_case(dir).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let code = output.status.code().unwrap_or(-1);
        let should_fail = name.ends_with("_fail");
        let right = if should_fail {
            code != 0 && !stdout.contains("Verified OK")
        } else {
            code == 0 && stdout == "Verified OK\n"
        };
        if !right {
            wrong.push(format!(
                "{name}: exit {code}, stdout {stdout:?}, stderr {stderr}"
            ));
        }
    }
    let score = cases.len() - wrong.len();
    assert!(
        wrong.is_empty(),
        "{score} of 70 conformance cases right; wrong:\n{}",
        wrong.join("\n")
    );
}

/// Verification never touches the network: every passing case verifies inside a network
/// namespace with no interfaces up (`unshare --net`), where any connection attempt fails. A
/// TUF refresh or Rekor lookup would turn these into failures.
#[test]
fn verification_needs_no_network() {
    let probe = Command::new("unshare")
        .args(["--net", "--map-root-user", "cat", "/proc/net/route"])
        .output();
    let probe = probe.unwrap_or_else(|err| {
        panic!("this test runs vouch in an empty network namespace and needs `unshare` (Debian package util-linux): {err}")
    });
    assert!(
        probe.status.success(),
        "`unshare --net --map-root-user` failed (needs root or unprivileged user namespaces): {}",
        String::from_utf8_lossy(&probe.stderr)
    );
    // No routes at all: nothing can be reached, not even loopback.
    let routes = String::from_utf8_lossy(&probe.stdout)
        .lines()
        .skip(1)
        .count();
    assert_eq!(routes, 0, "routes exist in the namespace");

    let suite = vouch_testdata::interop("sigstore-conformance/bundle-verify");
    let mut checked = 0;
    for entry in std::fs::read_dir(&suite).unwrap() {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        if !dir.is_dir() || name.ends_with("_fail") {
            continue;
        }
        let inner = vouch_for_case(&dir);
        let mut cmd = Command::new("unshare");
        cmd.args(["--net", "--map-root-user"])
            .arg(inner.get_program())
            .args(inner.get_args());
        let output = cmd.output().unwrap();
        assert!(
            output.status.success() && output.stdout == b"Verified OK\n",
            "{name} did not verify without network: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        checked += 1;
    }
    assert_eq!(checked, 21, "the suite has 21 cases that must verify");
}
