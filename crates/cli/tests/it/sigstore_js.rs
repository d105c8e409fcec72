//! Sigstore bundles made during the test run by an independent implementation: sigstore-js
//! (`@sigstore/sign` 5.1) signing against `@sigstore/mock` 0.13's Fulcio (with CT log), Rekor v1
//! and RFC 3161 timestamp authority, served on 127.0.0.1 by
//! `testdata/peers/sigstore-js/make-bundles.mjs`. Fresh keys and a fresh `trusted_root.json` every
//! run. The script writes `cases.json`: each bundle, intact and tampered, with the exit code vouch
//! must give; this test runs `vouch verify-blob --bundle` on every case and checks the exit code and
//! stdout. See testdata/peers/sigstore-js/README.md for the cases and why each code is the right one.
//! Most of its RFC 3161 timestamps have a fractional genTime (`…ss.123Z`), which vouch verifies
//! itself (`crates/sigstore/src/timestamp.rs`): every case must give its expected answer.
//!
//! Needs Node.js and the peer's npm packages: `apt-get install nodejs npm` and
//! `npm ci --prefix testdata/peers/sigstore-js`. Without them the test fails and says so.
//! The table of results is printed for review (`cargo test -p vouch-cli --test it sigstore_js --
//! --nocapture`).
#![allow(
    clippy::print_stdout,
    reason = "the table of results is printed for review"
)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn peer_dir() -> PathBuf {
    vouch_testdata::root().join("peers/sigstore-js")
}

const INSTALL_NODE: &str = "apt-get install nodejs npm";
const INSTALL_PEER: &str = "npm ci --prefix testdata/peers/sigstore-js";

/// Runs make-bundles.mjs into `out` and returns its `cases.json`.
fn make_bundles(out: &Path) -> Value {
    let dir = peer_dir();
    match Command::new("node").arg("--version").output() {
        Ok(o) if o.status.success() => {}
        _ => panic!(
            "`node` is not installed: run `{INSTALL_NODE}`, then `{INSTALL_PEER}` (from the \
             workspace root) to install sigstore-js, which makes the bundles this test verifies"
        ),
    }
    assert!(
        dir.join("node_modules/@sigstore/sign").is_dir()
            && dir.join("node_modules/@sigstore/mock").is_dir(),
        "sigstore-js is not installed in {}: run `{INSTALL_PEER}` from the workspace root",
        dir.display()
    );
    let output = Command::new("node")
        .arg(dir.join("make-bundles.mjs"))
        .arg(out)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "make-bundles.mjs failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&std::fs::read(out.join("cases.json")).unwrap()).unwrap()
}

fn field<'a>(case: &'a Value, name: &str) -> Option<&'a str> {
    case.get(name).and_then(Value::as_str)
}

fn vouch_for(case: &Value, out: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vouch"));
    cmd.arg("verify-blob")
        .arg("--bundle")
        .arg(out.join(field(case, "bundle").unwrap()));
    if let Some(key) = field(case, "key") {
        cmd.arg("--key").arg(out.join(key));
    }
    for (json, flag) in [
        ("identity", "--certificate-identity"),
        ("issuer", "--certificate-oidc-issuer"),
        ("identity_regexp", "--certificate-identity-regexp"),
        ("issuer_regexp", "--certificate-oidc-issuer-regexp"),
    ] {
        if let Some(value) = field(case, json) {
            cmd.arg(flag).arg(value);
        }
    }
    if let Some(root) = field(case, "trusted_root") {
        cmd.arg("--trusted-root").arg(out.join(root));
    }
    if case["insecure_ignore_tlog"].as_bool().unwrap() {
        cmd.arg("--insecure-ignore-tlog");
    }
    cmd.arg(out.join(field(case, "artifact").unwrap()));
    cmd
}

/// The reason vouch gives on stderr (its `error:` line, after "does not verify: "), shortened.
fn reason(stderr: &str) -> String {
    let line = stderr
        .lines()
        .find(|l| l.starts_with("error:"))
        .unwrap_or("");
    let line = line
        .split_once("does not verify: ")
        .map_or(line, |(_, r)| r);
    let mut short: String = line.chars().take(100).collect();
    if short.len() < line.len() {
        short.push('…');
    }
    short
}

/// For a case that verifies: `--output json` must say so, name the identity that was asked for,
/// and list the time sources the bundle carries (a log entry, an RFC 3161 timestamp), so that a
/// key-signed bundle without a log is seen to be accepted on its timestamp. `None` if all is well.
fn check_json(case: &Value, out: &Path) -> Option<String> {
    let output = vouch_for(case, out)
        .args(["--output", "json"])
        .output()
        .unwrap();
    let json: Value = match serde_json::from_slice(&output.stdout) {
        Ok(json) => json,
        Err(err) => return Some(format!("not JSON ({err})")),
    };
    if output.status.code() != Some(0) || json["verdict"] != "valid" {
        return Some(format!(
            "exit {:?}, verdict {}",
            output.status.code(),
            json["verdict"]
        ));
    }
    if let Some(identity) = field(case, "identity")
        && json["identity"] != identity
    {
        return Some(format!("identity {}", json["identity"]));
    }
    let sorted = |v: &Value| {
        let mut names: Vec<String> = v
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names.dedup();
        names
    };
    let expected = sorted(&case["expect_timestamp_sources"]);
    let found = sorted(&json["timestamp_sources"]);
    if found != expected {
        return Some(format!(
            "timestamp_sources {found:?}, expected {expected:?}"
        ));
    }
    if expected.iter().any(|s| s == "tlog") && json["tlog_verified"] != true {
        return Some("tlog_verified is not true".to_owned());
    }
    None
}

#[test]
fn sigstore_js_bundles_verify_or_fail_for_the_right_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path();
    let manifest = make_bundles(out);
    let cases = manifest["cases"].as_array().unwrap();
    assert!(cases.len() >= 30, "cases.json lists {} cases", cases.len());

    let mut table = String::new();
    writeln!(
        table,
        "{:<54} {:>6} {:>4} {:<28} vouch's reason (stderr)",
        "case", "expect", "got", "sigstore-js"
    )
    .unwrap();
    let mut wrong = Vec::new();
    for case in cases {
        let name = field(case, "name").unwrap();
        let expect = case["expect_exit"].as_i64().unwrap();
        let output = vouch_for(case, out).output().unwrap();
        let code = output.status.code().map_or(-1, i64::from);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let expected_stdout = match expect {
            0 => "Verified OK\n",
            2 => "",
            _ => "Verification failure\n",
        };
        let mut right = code == expect && stdout == expected_stdout;
        let mut json_problem = None;
        if right && expect == 0 {
            json_problem = check_json(case, out);
            right = json_problem.is_none();
        }
        writeln!(
            table,
            "{:<54} {:>6} {:>4} {:<28} {}{}",
            name,
            expect,
            code,
            field(case, "sigstore_js").unwrap_or("-"),
            if right { "" } else { "WRONG: " },
            json_problem
                .as_deref()
                .map_or_else(|| reason(&stderr), str::to_owned)
        )
        .unwrap();
        if !right {
            wrong.push(format!(
                "{name} ({}): expected exit {expect}, got {code}; stdout {stdout:?}; {}stderr:\n{stderr}",
                field(case, "why").unwrap_or(""),
                json_problem.map_or_else(String::new, |p| format!("--output json: {p}; "))
            ));
        }
    }
    println!(
        "sigstore-js bundles ({}):\n{table}",
        manifest["generator"]["packages"]
    );
    assert!(
        wrong.is_empty(),
        "{} of {} sigstore-js cases right:\n{table}\nwrong:\n{}",
        cases.len() - wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
