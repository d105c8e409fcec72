//! `vouch save`, `load` and `copy` on real registries (docker-registry): an image signed by
//! skopeo 1.18 and attested by vouch is saved into an oci-archive, verified there with no
//! network, loaded into a fresh registry, and accepted there by vouch and by skopeo's policy
//! engine; a tampered archive is refused by both; registry-to-registry copies keep signatures
//! and refuse what does not verify.

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};
use tempfile::TempDir;

use crate::layouts::{layer_blob, tar_of, vouch};
use crate::registry_harness::{
    Auth, Image, Registry, sign_pushed, skopeo_policy_check, skopeo_policy_check_with, system_peer,
};
use crate::sign_image_e2e::PASSWORD;
use crate::verify_image_e2e::signed_by_a;

/// `vouch verify --key KEY --insecure-ignore-tlog IMAGE`: exit code, stdout + stderr.
fn verify(key: &Path, image: &str) -> (i32, String) {
    let (code, out, err) = vouch(&[
        "verify",
        "--insecure-ignore-tlog",
        "--key",
        key.to_str().unwrap(),
        image,
    ]);
    (code, format!("{out}{err}"))
}

fn verify_attestation(key: &Path, image: &str) -> (i32, String) {
    let (code, out, err) = vouch(&[
        "verify-attestation",
        "--insecure-ignore-tlog",
        "--type",
        "slsaprovenance1",
        "--key",
        key.to_str().unwrap(),
        image,
    ]);
    (code, format!("{out}{err}"))
}

/// Attaches a SLSA provenance attestation as a bundle referrer (`vouch attest`), signed with
/// `private` (a vouch key, password [`PASSWORD`]).
fn attest(work: &Path, private: &Path, image: &str) {
    let predicate = work.join("provenance.json");
    std::fs::write(
        &predicate,
        r#"{"buildDefinition":{"buildType":"https://vouch.invalid/build/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://vouch.invalid/builder"}}}"#,
    )
    .unwrap();
    let attested = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["attest", "--type", "slsaprovenance1", "--key"])
        .arg(private)
        .arg("--predicate")
        .arg(&predicate)
        .arg(image)
        .env("VOUCH_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(attested.status.success(), "{attested:?}");
}

#[test]
fn save_carry_load_verify_on_real_registries() {
    let source = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let signed = signed_by_a(&source, work.path());
    let image = &signed.image;
    let key_a = &signed.key_a.public;
    let key_b = &signed.key_b.public;
    let (private, public) = crate::sign_image_e2e::vouch_key(work.path(), "attester");
    attest(work.path(), &private, &image.reference());

    // Saved with its signature and its attestation; refused with the wrong key, nothing
    // written.
    let archive = work.path().join("release.tar.zst");
    let archive_arg = archive.to_str().unwrap();
    let save_verified = |key: &Path| {
        vouch(&[
            "save",
            "--verify-with",
            key.to_str().unwrap(),
            "--insecure-ignore-tlog",
            "--archive",
            archive_arg,
            &image.reference(),
        ])
    };
    let (code, out, err) = save_verified(key_b);
    assert_eq!(code, 12, "{out}{err}");
    assert!(!archive.exists());
    let (code, out, err) = save_verified(key_a);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&image.digest), "{out}");
    assert!(
        out.contains("1 signature manifest(s), 1 attestation manifest(s)"),
        "{out}"
    );
    assert_eq!(
        std::fs::read(&archive).unwrap()[..4],
        [0x28, 0xb5, 0x2f, 0xfd]
    );
    // No working folder left beside it.
    let left: Vec<_> = std::fs::read_dir(work.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_name().to_string_lossy().starts_with(".vouch"))
        .collect();
    assert!(left.is_empty(), "{left:?}");

    // Verified offline, by the name it was saved under and as the only image.
    let carried = format!("oci-archive:{archive_arg}:{}", image.reference());
    let output = Command::new(system_peer("unshare").get_program())
        .args(["--net", "--"])
        .arg(env!("CARGO_BIN_EXE_vouch"))
        .args(["verify", "--insecure-ignore-tlog", "--key"])
        .arg(key_a)
        .arg(&carried)
        .output()
        .unwrap();
    assert!(output.status.success(), "under unshare --net: {output:?}");
    assert_eq!(verify(key_b, &carried).0, 12);
    let (code, report) = verify_attestation(&public, &format!("oci-archive:{archive_arg}"));
    assert_eq!(code, 0, "{report}");

    // The layout is cosign's (kinds, 3-space indentation) with skopeo's names.
    let folder = work.path().join("saved");
    let (code, out, err) = vouch(&[
        "save",
        "--dir",
        folder.to_str().unwrap(),
        &image.reference(),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let index_text = std::fs::read_to_string(folder.join("index.json")).unwrap();
    assert!(index_text.contains("\n   \"manifests\": ["), "{index_text}");
    let index: Value = serde_json::from_str(&index_text).unwrap();
    let kinds: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|entry| entry["annotations"]["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "dev.cosignproject.cosign/image",
            "dev.cosignproject.cosign/sigs"
        ]
    );
    assert_eq!(
        std::fs::read(folder.join("oci-layout")).unwrap(),
        br#"{"imageLayoutVersion": "1.0.0"}"#
    );
    // skopeo reads the image by its name in the layout, and it is byte for byte the original.
    let inspected = Command::new(crate::registry_harness::skopeo_path())
        .args(["inspect", "--raw"])
        .arg(format!("oci:{}:{}", folder.display(), image.reference()))
        .output()
        .unwrap();
    assert!(inspected.status.success(), "{inspected:?}");
    assert_eq!(
        format!("sha256:{}", sha256_hex(&inspected.stdout)),
        image.digest
    );

    // Loaded into a fresh registry: vouch and skopeo's policy engine accept it there.
    let target = Registry::start(Auth::None);
    let destination = format!("{}/test/app", target.host());
    let (code, out, err) = vouch(&["load", archive_arg, &destination]);
    assert_eq!(code, 0, "{out}{err}");
    let loaded = format!("{destination}:{}", image.tag);
    let (code, report) = verify(key_a, &loaded);
    assert_eq!(code, 0, "{report}");
    assert!(report.contains(&image.digest), "{report}");
    assert_eq!(verify(key_b, &loaded).0, 12);
    assert_eq!(verify_attestation(&public, &loaded).0, 0);
    // skopeo signed for the source's repository: a mirror's policy maps it (remapIdentity).
    let mirror = json!({
        "type": "remapIdentity",
        "prefix": destination,
        "signedPrefix": format!("{}/{}", image.host, image.repo),
    });
    skopeo_policy_check_with(&target, &format!("test/app:{}", image.tag), key_a, &mirror)
        .unwrap_or_else(|reason| panic!("skopeo refused the loaded image: {reason}"));
    assert!(
        skopeo_policy_check_with(&target, &format!("test/app:{}", image.tag), key_b, &mirror)
            .is_err()
    );
    // Again, from the folder, as `cosign load --dir DIR IMAGE` is spelt: everything is
    // there, nothing is sent twice.
    let (code, out, err) = vouch(&["load", "--dir", folder.to_str().unwrap(), &loaded]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(" 0 blob(s) written"), "{out}");

    // A layer changed in the carried layout: the load stops before the image exists there,
    // so vouch and skopeo both refuse it at the destination.
    let layer = layer_blob(&folder, &image.reference());
    let mut bytes = std::fs::read(&layer).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&layer, &bytes).unwrap();
    let tampered = work.path().join("tampered.tar");
    tar_of(&folder, &tampered);
    let other = Registry::start(Auth::None);
    let destination = format!("{}/test/app", other.host());
    let (code, out, err) = vouch(&["load", tampered.to_str().unwrap(), &destination]);
    assert_eq!(code, 13, "{out}{err}");
    assert!(!out.contains("Copied"), "{out}");
    let refused = format!("{destination}:{}", image.tag);
    assert_eq!(verify(key_a, &refused).0, 11);
    let (code, out, err) = vouch(&["load", &format!("oci:{}", folder.display()), &destination]);
    assert_eq!(code, 13, "{out}{err}");
    assert!(err.contains("not what it names"), "{err}");
    assert_eq!(verify(key_a, &refused).0, 11);
}

#[test]
fn copies_between_registries_keep_signatures_and_refuse_what_does_not_verify() {
    let source = Registry::start(Auth::None);
    let target = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let signed = signed_by_a(&source, work.path());
    let image = &signed.image;
    let key_a = &signed.key_a.public;
    let key_b = &signed.key_b.public;

    let copied = format!("{}/mirror/app:v2", target.host());
    let (code, out, err) = vouch(&[
        "copy",
        "--verify-with",
        key_b.to_str().unwrap(),
        "--insecure-ignore-tlog",
        &image.reference(),
        &copied,
    ]);
    assert_eq!(code, 12, "{out}{err}");
    assert_eq!(verify(key_a, &copied).0, 11);
    let (code, out, err) = vouch(&[
        "copy",
        "--verify-with",
        key_a.to_str().unwrap(),
        "--insecure-ignore-tlog",
        &format!("docker://{}", image.reference()),
        &format!("docker://{copied}"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(verify(key_a, &copied).0, 0);
    // skopeo signs for a repository: its signature names the source, so skopeo's
    // matchRepository refuses it at the mirror, as it refuses a `skopeo copy` of it.
    assert!(skopeo_policy_check(&target, "mirror/app:v2", key_a).is_err());

    // The image alone carries no signature; the signatures alone then complete it.
    let bare = format!("{}/bare/app:v1", target.host());
    assert_eq!(
        vouch(&["copy", "--only", "image", &image.reference(), &bare]).0,
        0
    );
    assert_eq!(verify(key_a, &bare).0, 10);
    let (code, out, err) = vouch(&["copy", "--only", "sig", &image.reference(), &bare]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(verify(key_a, &bare).0, 0);

    // The mirror's .sig tag gains B's signature (skopeo appends a layer): a copy of the
    // source's signatures would drop it, so it stops unless --force.
    let mirrored = Image {
        host: target.host().to_owned(),
        repo: "bare/app".to_owned(),
        tag: "v1".to_owned(),
        digest: image.digest.clone(),
    };
    sign_pushed(&target, &mirrored, &signed.key_b);
    assert_eq!(verify(key_b, &bare).0, 0);
    let (code, out, err) = vouch(&["copy", "--only", "sig", &image.reference(), &bare]);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("--force"), "{err}");
    assert_eq!(verify(key_b, &bare).0, 0);
    assert_eq!(
        vouch(&[
            "copy",
            "--force",
            "--only",
            "sig",
            &image.reference(),
            &bare
        ])
        .0,
        0
    );
    assert_eq!(verify(key_a, &bare).0, 0);
    assert_eq!(verify(key_b, &bare).0, 12);
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}
