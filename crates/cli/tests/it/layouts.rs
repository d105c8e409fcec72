//! Images carried on disk: OCI layouts and archives of them, written by skopeo 1.18 from the
//! real registry (the image, and its `.sig` manifest copied beside it by tag), verified by vouch
//! with no network (`unshare --net`), tampered with and refused.

use std::path::Path;
use std::process::Command;

use tempfile::TempDir;

use crate::registry_harness::{Auth, Image, Registry, build_image, push, run_ok, system_peer};
use crate::sign_image_e2e::{PASSWORD, vouch_key};
use crate::verify_image_e2e::{bad_signature, signed_by_a, unsigned, vouch_verify};

/// `skopeo copy docker://IMAGE oci:DIR:TAG` without its signatures (an `oci:` destination
/// holds none), then its `.sig` manifest by tag beside it, as issue 14 describes.
fn copy_to_layout(registry: &Registry, image: &Image, dir: &Path, with_signature: bool) {
    let source = format!("docker://{}", image.reference());
    run_ok(
        registry
            .skopeo_copy()
            .args(["--src-tls-verify=false", "--remove-signatures"])
            .arg(&source)
            .arg(format!("oci:{}:{}", dir.display(), image.tag)),
    );
    if with_signature {
        run_ok(
            registry
                .skopeo_copy()
                .args(["--src-tls-verify=false", "--remove-signatures"])
                .arg(format!(
                    "docker://{}/{}:{}",
                    image.host,
                    image.repo,
                    image.sig_tag()
                ))
                .arg(format!("oci:{}:{}", dir.display(), image.sig_tag())),
        );
    }
}

/// `vouch ARGS…`, its exit code and standard output.
pub(crate) fn vouch(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .env_remove("COSIGN_REPOSITORY")
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

pub(crate) fn tar_of(dir: &Path, archive: &Path) {
    run_ok(
        system_peer("tar")
            .arg("-C")
            .arg(dir)
            .arg("-cf")
            .arg(archive)
            .arg("."),
    );
}

#[test]
fn skopeo_layouts_and_archives_verify_offline() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let signed = signed_by_a(&registry, work.path());
    let image = &signed.image;
    let dir = work.path().join("carried");
    copy_to_layout(&registry, image, &dir, true);
    let key_a = signed.key_a.public.to_str().unwrap();
    let key_b = signed.key_b.public.to_str().unwrap();
    let layout = format!("oci:{}:{}", dir.display(), image.tag);
    let flags = ["--insecure-ignore-tlog"];

    let (code, report) = vouch_verify(&signed.key_a.public, std::slice::from_ref(&layout), &flags);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["images"][0]["digest"], image.digest.as_str());
    assert_eq!(report["images"][0]["reference"], layout.as_str());
    assert_eq!(
        report["images"][0]["signatures"].as_array().unwrap().len(),
        1
    );
    let (code, report) = vouch_verify(&signed.key_b.public, std::slice::from_ref(&layout), &flags);
    assert_eq!(code, 12, "{report:#}");

    // No network at all: the registry is gone from this namespace.
    let output = Command::new(system_peer("unshare").get_program())
        .args(["--net", "--"])
        .arg(env!("CARGO_BIN_EXE_vouch"))
        .args(["verify", "--insecure-ignore-tlog", "--key", key_a, &layout])
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "under unshare --net: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(String::from_utf8_lossy(&output.stdout).contains(": verified"));

    // The only image, found without naming it; cosign's --local-image.
    let bare = format!("oci:{}", dir.display());
    assert_eq!(
        vouch(&["verify", "--insecure-ignore-tlog", "--key", key_a, &bare]).0,
        0
    );
    let path = dir.to_str().unwrap();
    assert_eq!(
        vouch(&[
            "verify",
            "--insecure-ignore-tlog",
            "--key",
            key_a,
            "--local-image",
            path
        ])
        .0,
        0
    );
    // --signature-repository points at registries: warned about, and the layout still read.
    let (code, out, err) = vouch(&[
        "verify",
        "--insecure-ignore-tlog",
        "--key",
        key_a,
        "--signature-repository",
        "registry.example/signatures",
        &layout,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("applies to images in registries only"),
        "{err}"
    );

    // The same content in `cosign save`'s shape: entries told apart by `kind`, no names.
    let cosign_dir = work.path().join("cosign-save");
    copy_to_layout(&registry, image, &cosign_dir, true);
    to_cosign_save_index(&cosign_dir);
    let cosign_path = cosign_dir.to_str().unwrap();
    let (code, out, err) = vouch(&[
        "verify",
        "--insecure-ignore-tlog",
        "--key",
        key_a,
        "--local-image",
        cosign_path,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, _, _) = vouch(&[
        "verify",
        "--insecure-ignore-tlog",
        "--key",
        key_b,
        "--local-image",
        cosign_path,
    ]);
    assert_eq!(code, 12);
    // cosign save's layout loaded back into a registry: the .sig found by its kind goes to
    // its tag there.
    let loaded = format!("{}/test/from-cosign-layout", registry.host());
    let (code, out, err) = vouch(&["load", cosign_path, &loaded]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = vouch(&[
        "verify",
        "--insecure-ignore-tlog",
        "--key",
        key_a,
        &format!("{loaded}@{}", image.digest),
    ]);
    assert_eq!(code, 0, "{out}{err}");

    let (code, out, _) = vouch(&["tree", &layout]);
    assert_eq!(code, 0);
    assert!(
        out.contains(&format!("oci:{}:{}", dir.display(), image.sig_tag())),
        "{out}"
    );

    // Archives of the folder, plain, zstd and gzip.
    let tar = work.path().join("carried.tar");
    tar_of(&dir, &tar);
    run_ok(system_peer("zstd").args(["-q", "-k", "-f"]).arg(&tar));
    run_ok(
        Command::new(system_peer("gzip").get_program())
            .args(["-k", "-f"])
            .arg(&tar),
    );
    for archive in ["carried.tar", "carried.tar.zst", "carried.tar.gz"] {
        let reference = format!(
            "oci-archive:{}:{}",
            work.path().join(archive).display(),
            image.tag
        );
        let (code, out, err) = vouch(&[
            "verify",
            "--insecure-ignore-tlog",
            "--key",
            key_a,
            &reference,
        ]);
        assert_eq!(code, 0, "{archive}: {out}{err}");
        let (code, _, _) = vouch(&[
            "verify",
            "--insecure-ignore-tlog",
            "--key",
            key_b,
            &reference,
        ]);
        assert_eq!(code, 12, "{archive}");
    }

    // skopeo's own oci-archive holds the image alone: read, and unsigned.
    let skopeo_archive = work.path().join("skopeo.tar");
    run_ok(
        registry
            .skopeo_copy()
            .args(["--src-tls-verify=false", "--remove-signatures"])
            .arg(format!("docker://{}", image.reference()))
            .arg(format!(
                "oci-archive:{}:{}",
                skopeo_archive.display(),
                image.tag
            )),
    );
    let reference = format!("oci-archive:{}", skopeo_archive.display());
    let (code, out, err) = vouch(&[
        "verify",
        "--insecure-ignore-tlog",
        "--key",
        key_a,
        &reference,
    ]);
    assert_eq!(code, 10, "{out}{err}");

    // A name the layout does not hold is "image not found".
    let missing = format!("oci:{}:v9", dir.display());
    let (code, _, err) = vouch(&["verify", "--insecure-ignore-tlog", "--key", key_a, &missing]);
    assert_eq!(code, 11, "{err}");
}

#[test]
fn bundle_referrers_carried_by_skopeo_verify_offline() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let (private, public) = vouch_key(work.path(), "vouch");
    let (_, other) = vouch_key(work.path(), "other");
    let image = push(
        &build_image(work.path(), "bundle", b"signed with a bundle referrer\n"),
        &registry,
        "test/bundle:v1",
    );
    // A cosign v3 bundle referrer; distribution 2.8 has no referrers API, so it is listed in
    // the tag-schema index `sha256-<hex>`, which skopeo copies with its manifests (--all).
    let signed = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .arg("sign")
        .arg("--key")
        .arg(&private)
        .arg(image.reference())
        .env("VOUCH_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(signed.status.success(), "{signed:?}");
    let dir = work.path().join("carried");
    copy_to_layout(&registry, &image, &dir, false);
    let schema_tag = image.digest.replace(':', "-");
    run_ok(
        registry
            .skopeo_copy()
            .args(["--src-tls-verify=false", "--remove-signatures", "--all"])
            .arg(format!(
                "docker://{}/{}:{schema_tag}",
                image.host, image.repo
            ))
            .arg(format!("oci:{}:{schema_tag}", dir.display())),
    );
    let reference = format!("oci:{}:{}", dir.display(), image.tag);
    let (code, report) = vouch_verify(
        &public,
        std::slice::from_ref(&reference),
        &["--insecure-ignore-tlog"],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(
        report["images"][0]["signatures"].as_array().unwrap().len(),
        1
    );
    let (code, report) = vouch_verify(
        &other,
        std::slice::from_ref(&reference),
        &["--insecure-ignore-tlog"],
    );
    assert_eq!(code, 12, "{report:#}");
}

#[test]
fn attestations_carried_in_layouts_verify_offline() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let (private, public) = vouch_key(work.path(), "vouch");
    let (_, other) = vouch_key(work.path(), "other");
    let image = push(
        &build_image(work.path(), "attested", b"attested image\n"),
        &registry,
        "test/attested:v1",
    );
    let predicate = work.path().join("provenance.json");
    std::fs::write(
        &predicate,
        r#"{"buildDefinition":{"buildType":"https://vouch.invalid/build/v1","externalParameters":{}},"runDetails":{"builder":{"id":"https://vouch.invalid/builder"}}}"#,
    )
    .unwrap();
    // cosign 2's `.att` tag, as vouch attest --signature-format legacy writes it.
    let attested = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args([
            "attest",
            "--signature-format",
            "legacy",
            "--type",
            "slsaprovenance1",
        ])
        .arg("--key")
        .arg(&private)
        .arg("--predicate")
        .arg(&predicate)
        .arg(image.reference())
        .env("VOUCH_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert!(attested.status.success(), "{attested:?}");
    let dir = work.path().join("carried");
    copy_to_layout(&registry, &image, &dir, false);
    let att_tag = format!("{}.att", image.digest.replace(':', "-"));
    run_ok(
        registry
            .skopeo_copy()
            .args(["--src-tls-verify=false", "--remove-signatures"])
            .arg(format!("docker://{}/{}:{att_tag}", image.host, image.repo))
            .arg(format!("oci:{}:{att_tag}", dir.display())),
    );
    let tar = work.path().join("carried.tar");
    tar_of(&dir, &tar);
    for reference in [
        format!("oci:{}:{}", dir.display(), image.tag),
        format!("oci-archive:{}:{}", tar.display(), image.tag),
    ] {
        let verify = |key: &Path| {
            vouch(&[
                "verify-attestation",
                "--insecure-ignore-tlog",
                "--type",
                "slsaprovenance1",
                "--key",
                key.to_str().unwrap(),
                &reference,
            ])
        };
        let (code, out, err) = verify(&public);
        assert_eq!(code, 0, "{reference}: {out}{err}");
        let (code, out, err) = verify(&other);
        assert_eq!(code, 12, "{reference}: {out}{err}");
        assert!(!out.contains(": verified"), "{out}");
    }
}

#[test]
fn a_layout_changed_after_signing_is_refused() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let signed = signed_by_a(&registry, work.path());
    let key_a = signed.key_a.public.to_str().unwrap().to_owned();
    let verify = |reference: &str| {
        vouch(&[
            "verify",
            "--insecure-ignore-tlog",
            "--key",
            &key_a,
            reference,
        ])
    };

    // A layer's bytes changed (the manifest, and so the signed digest, unchanged).
    let dir = work.path().join("layer");
    copy_to_layout(&registry, &signed.image, &dir, true);
    let layer = layer_blob(&dir, &signed.image.tag);
    let mut bytes = std::fs::read(&layer).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&layer, &bytes).unwrap();
    let (code, out, err) = verify(&format!("oci:{}:{}", dir.display(), signed.image.tag));
    assert_eq!(code, 13, "{out}{err}");
    assert!(err.contains("changed"), "{err}");
    assert!(!out.contains("verified"), "{out}");
    // The same, carried in an archive.
    let tar = work.path().join("layer.tar");
    tar_of(&dir, &tar);
    let (code, out, err) = verify(&format!(
        "oci-archive:{}:{}",
        tar.display(),
        signed.image.tag
    ));
    assert_eq!(code, 13, "{out}{err}");

    // A signature that does not verify (its signature bytes changed in the registry, then
    // carried): refused as in the registry, exit 12.
    let bad = bad_signature(&registry, work.path());
    let dir = work.path().join("bad");
    copy_to_layout(&registry, &bad.image, &dir, true);
    let key = bad.key_a.public.to_str().unwrap();
    let reference = format!("oci:{}:{}", dir.display(), bad.image.tag);
    let (code, out, err) = vouch(&["verify", "--insecure-ignore-tlog", "--key", key, &reference]);
    assert_eq!(code, 12, "{out}{err}");

    // An image carried without its signature is unsigned, exit 10.
    let plain = unsigned(&registry, work.path());
    let dir = work.path().join("unsigned");
    copy_to_layout(&registry, &plain.image, &dir, false);
    let key = plain.key_a.public.to_str().unwrap();
    let reference = format!("oci:{}:{}", dir.display(), plain.image.tag);
    let (code, out, err) = vouch(&["verify", "--insecure-ignore-tlog", "--key", key, &reference]);
    assert_eq!(code, 10, "{out}{err}");
}

#[test]
fn hostile_archives_are_refused() {
    let work = TempDir::new().unwrap();
    let dir = work.path().join("layout");
    std::fs::create_dir_all(dir.join("blobs/sha256")).unwrap();
    std::fs::write(dir.join("oci-layout"), br#"{"imageLayoutVersion":"1.0.0"}"#).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("index.json")).unwrap();
    let tar = work.path().join("link.tar");
    tar_of(&dir, &tar);
    let reference = format!("oci-archive:{}", tar.display());
    let key = crate::registry_harness::generate_key(work.path(), "k", "p");
    let key = key.public.to_str().unwrap();
    let (code, out, err) = vouch(&["verify", "--insecure-ignore-tlog", "--key", key, &reference]);
    assert_eq!(code, 13, "{out}{err}");
    assert!(err.contains("link"), "{err}");

    // --check-identity needs a registry repository; a layout has none.
    let (code, _, err) = vouch(&["verify", "--key", key, "--check-identity", &reference]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--check-identity"), "{err}");

    // Not a layout at all.
    let (code, _, err) = vouch(&[
        "verify",
        "--key",
        key,
        &format!("oci:{}", work.path().display()),
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("oci-layout"), "{err}");
}

/// Rewrites a skopeo layout's `index.json` (entries named by `ref.name`) as `cosign save`
/// writes it (cosign v2.6 `pkg/oci/layout`): the image annotated `kind:
/// dev.cosignproject.cosign/image`, its `.sig` manifest `kind: dev.cosignproject.cosign/sigs`,
/// no names, three-space indent.
fn to_cosign_save_index(dir: &Path) {
    let path = dir.join("index.json");
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    for entry in index["manifests"].as_array_mut().unwrap() {
        let name = entry["annotations"]["org.opencontainers.image.ref.name"]
            .as_str()
            .unwrap()
            .to_owned();
        let kind = if name.ends_with(".sig") {
            "sigs"
        } else {
            "image"
        };
        entry["annotations"] =
            serde_json::json!({ "kind": format!("dev.cosignproject.cosign/{kind}") });
    }
    let mut text = Vec::new();
    let formatter = serde_json::ser::PrettyFormatter::with_indent(b"   ");
    let mut serializer = serde_json::Serializer::with_formatter(&mut text, formatter);
    serde::Serialize::serialize(&index, &mut serializer).unwrap();
    std::fs::write(&path, text).unwrap();
}

/// The file of the first layer of the image tagged `tag` in the layout `dir`.
pub(crate) fn layer_blob(dir: &Path, tag: &str) -> std::path::PathBuf {
    let blob = |digest: &str| {
        dir.join("blobs/sha256")
            .join(digest.trim_start_matches("sha256:"))
    };
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let entry = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["annotations"]["org.opencontainers.image.ref.name"] == tag)
        .unwrap();
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(blob(entry["digest"].as_str().unwrap())).unwrap())
            .unwrap();
    blob(manifest["layers"][0]["digest"].as_str().unwrap())
}

/// `skopeo copy docker://IMAGE docker-archive:FILE:NAME` (the image alone, layers
/// uncompressed, as `docker save` writes them).
fn docker_archive(registry: &Registry, image: &Image, file: &Path) {
    run_ok(
        registry
            .skopeo_copy()
            .args(["--src-tls-verify=false", "--remove-signatures"])
            .arg(format!("docker://{}", image.reference()))
            .arg(format!(
                "docker-archive:{}:{}",
                file.display(),
                image.reference()
            )),
    );
}

#[test]
fn docker_archives_verify_through_the_signed_image() {
    let registry = Registry::start(Auth::None);
    let work = TempDir::new().unwrap();
    let signed = signed_by_a(&registry, work.path());
    let image = &signed.image;
    let key_a = signed.key_a.public.to_str().unwrap();
    let key_b = signed.key_b.public.to_str().unwrap();
    let archive = work.path().join("app.tar");
    docker_archive(&registry, image, &archive);
    let given = format!("docker-archive:{}", archive.display());
    let verify = |key: &str, signed_image: &str, given: &str| {
        vouch(&[
            "verify",
            "--insecure-ignore-tlog",
            "--key",
            key,
            "--signed-image",
            signed_image,
            given,
        ])
    };

    let (code, out, err) = verify(key_a, &image.reference(), &given);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains(&given) && out.contains(&image.digest), "{out}");
    assert_eq!(verify(key_b, &image.reference(), &given).0, 12);
    let named = format!("{given}:{}", image.reference());
    assert_eq!(verify(key_a, &image.reference(), &named).0, 0);
    // No signed image named: nothing to verify against.
    let (code, _, err) = vouch(&["verify", "--insecure-ignore-tlog", "--key", key_a, &given]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--signed-image"), "{err}");

    // The signed image carried in a layout: checked with no network at all.
    let dir = work.path().join("signed");
    let (code, out, err) = vouch(&["save", "--dir", dir.to_str().unwrap(), &image.reference()]);
    assert_eq!(code, 0, "{out}{err}");
    let output = Command::new(system_peer("unshare").get_program())
        .args(["--net", "--"])
        .arg(env!("CARGO_BIN_EXE_vouch"))
        .args([
            "verify",
            "--insecure-ignore-tlog",
            "--key",
            key_a,
            "--signed-image",
        ])
        .arg(format!("oci:{}", dir.display()))
        .arg(&given)
        .output()
        .unwrap();
    assert!(output.status.success(), "under unshare --net: {output:?}");

    // Another image's archive is not the signed image, whatever its signatures.
    let other = push(
        &build_image(work.path(), "other", b"another image\n"),
        &registry,
        "test/other:v1",
    );
    let other_archive = work.path().join("other.tar");
    docker_archive(&registry, &other, &other_archive);
    let (code, out, err) = verify(
        key_a,
        &image.reference(),
        &format!("docker-archive:{}", other_archive.display()),
    );
    assert_eq!(code, 12, "{out}{err}");
    assert!(err.contains("is not the signed image"), "{err}");

    // A layer changed in the archive: its config's diff_ids no longer match.
    let unpacked = work.path().join("unpacked");
    std::fs::create_dir(&unpacked).unwrap();
    run_ok(
        system_peer("tar")
            .arg("-C")
            .arg(&unpacked)
            .arg("-xf")
            .arg(&archive),
    );
    let layer = std::fs::read_dir(&unpacked)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "tar"))
        .max_by_key(|path| std::fs::metadata(path).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&layer).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    std::fs::write(&layer, &bytes).unwrap();
    let tampered = work.path().join("tampered.tar");
    tar_of(&unpacked, &tampered);
    let (code, out, err) = verify(
        key_a,
        &image.reference(),
        &format!("docker-archive:{}", tampered.display()),
    );
    assert_eq!(code, 13, "{out}{err}");
    assert!(err.contains("a layer was changed"), "{err}");
    assert!(!out.contains("verified"), "{out}");
}
