//! Hostile input: the disk and the outputs. A user's key or file is never lost: not on a full
//! disk, not when an output names an input, not when an output is a device, a FIFO or a link;
//! and a new key never gets an empty password by accident.

use std::fs;
use std::io::Read as _;
use std::os::unix::fs::FileTypeExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use crate::verify_blob::vouch;

/// `vouch ARGS` in `dir`, with no password variables and standard input empty.
fn run(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = vouch(dir);
    cmd.args(args)
        .env_remove("VOUCH_PASSWORD")
        .env_remove("COSIGN_PASSWORD")
        .stdin(Stdio::null());
    for (name, value) in env {
        cmd.env(name, value);
    }
    cmd.output().unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// An unencrypted P-256 pair `NAME.key`/`NAME.pub` made by vouch in `dir`.
fn pair(dir: &Path, name: &str) -> (PathBuf, PathBuf) {
    let out = run(
        dir,
        &[
            "generate-key-pair",
            "--format",
            "pkcs8",
            "--output-key-prefix",
            name,
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    (
        dir.join(format!("{name}.key")),
        dir.join(format!("{name}.pub")),
    )
}

/// A small tmpfs, unmounted when dropped. CI runs as root, where `mount` works.
struct SmallDisk(tempfile::TempDir);

impl SmallDisk {
    fn new(size: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let status = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "the full-disk tests mount a small tmpfs: run them as root (CI does), or in a user \
             and mount namespace (`unshare -rm cargo test`)"
        );
        Self(dir)
    }

    fn path(&self) -> &Path {
        self.0.path()
    }

    /// Fills the disk to the last byte.
    fn fill(&self) {
        let mut filler = fs::File::create(self.path().join("filler")).unwrap();
        let chunk = vec![0_u8; 4096];
        while std::io::Write::write_all(&mut filler, &chunk).is_ok() {}
        // Whatever is left below one chunk, byte by byte.
        while std::io::Write::write_all(&mut filler, &[0]).is_ok() {}
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ignored = Command::new("umount").arg(self.0.path()).status();
    }
}

/// `generate-key-pair --force` on a full disk keeps the old pair whole (it deleted the old key
/// first, then left no `.key` and a 0-byte `.pub`).
#[test]
fn generate_key_pair_force_on_a_full_disk_keeps_the_old_pair() {
    let disk = SmallDisk::new("256k");
    let (key, public) = pair(disk.path(), "release");
    let (old_key, old_pub) = (fs::read(&key).unwrap(), fs::read(&public).unwrap());
    disk.fill();
    let out = run(
        disk.path(),
        &[
            "generate-key-pair",
            "--format",
            "pkcs8",
            "--force",
            "--output-key-prefix",
            "release",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("No space left"), "{}", stderr(&out));
    assert_eq!(fs::read(&key).unwrap(), old_key);
    assert_eq!(fs::read(&public).unwrap(), old_pub);
    let names: Vec<_> = fs::read_dir(disk.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names.len(), 3, "no temporary file left: {names:?}");
}

/// `import-key-pair` whose output prefix names its input is refused, and the input kept (it
/// was deleted when `.pub` could not be written).
#[test]
fn import_key_pair_never_replaces_its_input() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = pair(tmp.path(), "release");
    let before = fs::read(&key).unwrap();
    let out = run(
        tmp.path(),
        &[
            "import-key-pair",
            "--key",
            "release.key",
            "--output-key-prefix",
            "release",
            "--force",
        ],
        &[("COSIGN_PASSWORD", "pw")],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("is also an input"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fs::read(&key).unwrap(), before);
}

/// `public-key --output-file` naming the private key is refused even with `--force` (it
/// replaced the private key with the public key and exited 0).
#[test]
fn public_key_never_replaces_the_private_key() {
    let tmp = tempfile::tempdir().unwrap();
    let (key, _) = pair(tmp.path(), "k");
    let before = fs::read(&key).unwrap();
    for extra in [&[][..], &["--force"]] {
        let mut args = vec!["public-key", "--key", "k.key", "--output-file", "k.key"];
        args.extend_from_slice(extra);
        let out = run(tmp.path(), &args, &[]);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert_eq!(fs::read(&key).unwrap(), before);
    }
    // Through a hard link, too.
    fs::hard_link(&key, tmp.path().join("alias.pem")).unwrap();
    let out = run(
        tmp.path(),
        &[
            "public-key",
            "--key",
            "k.key",
            "--output-file",
            "alias.pem",
            "--force",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(fs::read(&key).unwrap(), before);
}

/// A FIFO, a device and a link as `--output-signature` are written through, never replaced by
/// a regular file; `-` is standard output.
#[test]
fn sign_blob_writes_through_fifos_devices_and_links() {
    let tmp = tempfile::tempdir().unwrap();
    pair(tmp.path(), "k");
    fs::write(tmp.path().join("data"), b"release").unwrap();
    let sign = |output: &str| {
        run(
            tmp.path(),
            &[
                "sign-blob",
                "--key",
                "k.key",
                "--output-signature",
                output,
                "data",
            ],
            &[],
        )
    };

    // A FIFO that a script reads.
    let fifo = tmp.path().join("sig.fifo");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            fs::File::open(fifo)
                .unwrap()
                .read_to_end(&mut bytes)
                .unwrap();
            bytes
        })
    };
    let out = sign("sig.fifo");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let through_fifo = reader.join().unwrap();
    assert!(!through_fifo.is_empty());
    assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());

    // A full device: the error says so, and the device stays a device.
    let out = sign("/dev/full");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("No space left"), "{}", stderr(&out));
    assert!(
        fs::metadata("/dev/full")
            .unwrap()
            .file_type()
            .is_char_device()
    );

    // A link: kept, and the file it points to holds the signature.
    fs::write(tmp.path().join("real.sig"), b"old").unwrap();
    std::os::unix::fs::symlink("real.sig", tmp.path().join("link.sig")).unwrap();
    let out = sign("link.sig");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let link = fs::symlink_metadata(tmp.path().join("link.sig")).unwrap();
    assert!(link.file_type().is_symlink());
    assert_eq!(
        fs::read(tmp.path().join("real.sig")).unwrap(),
        through_fifo,
        "same key, same data, deterministic ECDSA: the same signature"
    );

    // `-`: standard output, and no file named `-`.
    let out = sign("-");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(out.stdout.trim_ascii(), through_fifo.trim_ascii());
    assert!(!tmp.path().join("-").exists());
}

/// `generate-key-pair` with no terminal and no password source is refused (it wrote a key with
/// an empty password, silently); an empty `COSIGN_PASSWORD` asks for none explicitly.
#[test]
fn a_new_key_gets_no_empty_password_by_accident() {
    let tmp = tempfile::tempdir().unwrap();
    let out = run(
        tmp.path(),
        &["generate-key-pair", "--output-key-prefix", "k"],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("COSIGN_PASSWORD="),
        "{}",
        stderr(&out)
    );
    assert!(!tmp.path().join("k.key").exists());
    assert!(!tmp.path().join("k.pub").exists());

    let out = run(
        tmp.path(),
        &["generate-key-pair", "--output-key-prefix", "k"],
        &[("COSIGN_PASSWORD", "")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(tmp.path().join("k.key").exists());
}

/// A public key with 10,000 RFC 1421 headers is refused (it verified; openssl refuses it).
#[test]
fn a_key_with_thousands_of_pem_headers_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, public) = pair(tmp.path(), "k");
    let pem = fs::read_to_string(&public).unwrap();
    let mut headers = String::new();
    for i in 0..10_000 {
        headers.push_str(&format!("X-Pad-{i}: v\n"));
    }
    let padded = pem.replacen("-----\n", &format!("-----\n{headers}\n"), 1);
    fs::write(tmp.path().join("padded.pub"), padded).unwrap();
    fs::write(tmp.path().join("data"), b"x").unwrap();
    let out = run(
        tmp.path(),
        &[
            "sign-blob",
            "--key",
            "k.key",
            "--output-signature",
            "data.sig.bin",
            "data",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(
        tmp.path(),
        &[
            "verify-blob",
            "--key",
            "padded.pub",
            "--signature",
            "data.sig.bin",
            "data",
        ],
        &[],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("10000 header lines"),
        "{}",
        stderr(&out)
    );
}

/// Key files that are not what `--key` needs are named for what they are: an OpenPGP key (its
/// armor is not PEM, and was reported as "invalid base64"), "an OpenSSH" key, an oversized
/// private key as a private key.
#[test]
fn wrong_key_files_are_named_for_what_they_are() {
    let tmp = tempfile::tempdir().unwrap();
    let files: [(&str, &[u8]); 3] = [
        (
            "vendor.asc",
            b"-----BEGIN PGP PUBLIC KEY BLOCK-----\nComment: gpg\n\nmQINBGN\n=oKu2\n-----END PGP PUBLIC KEY BLOCK-----\n",
        ),
        (
            "id_ed25519",
            b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n",
        ),
        ("data.key", &[0x30; (1 << 20) + 1]),
    ];
    for (name, bytes) in files {
        fs::write(tmp.path().join(name), bytes).unwrap();
    }
    fs::write(tmp.path().join("data"), b"x").unwrap();
    fs::write(tmp.path().join("data.sig"), b"x").unwrap();
    let verify = |key: &str| {
        let args = [
            "verify-blob",
            "--key",
            key,
            "--signature",
            "data.sig",
            "data",
        ];
        stderr(&run(tmp.path(), &args, &[]))
    };
    let sign = |key: &str| stderr(&run(tmp.path(), &["sign-blob", "--key", key, "data"], &[]));
    assert!(verify("vendor.asc").contains("found an OpenPGP key"));
    assert!(sign("vendor.asc").contains("found an OpenPGP key"));
    assert!(verify("id_ed25519").contains("found an OpenSSH private key"));
    let oversized = sign("data.key");
    assert!(
        oversized.contains("too large to be a private key"),
        "{oversized}"
    );
    assert!(
        oversized.contains("names the private key file"),
        "{oversized}"
    );
}
