//! The benchmark's inputs under `target/bench/blob/`: a P-256 key pair, one 2 GiB file and a
//! vendor-style folder of 32 × 64 MiB files, each signed with `openssl dgst -sha256 -sign`.
//! Everything is reused on the next run when it is already there with the right size.
use std::ffi::OsStr;
use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};

const MIB: u64 = 1 << 20;
/// Size of the single file.
pub(crate) const BLOB_SIZE: u64 = 2048 * MIB;
/// Number of files in the folder.
pub(crate) const DIR_FILES: usize = 32;
/// Size of each file in the folder.
pub(crate) const DIR_FILE_SIZE: u64 = 64 * MIB;
/// Write and read granularity.
const CHUNK: usize = 1 << 20;

/// Paths of the prepared inputs.
#[derive(Debug)]
pub(crate) struct Inputs {
    /// `pub.pem`, the verification key.
    pub(crate) public_key: PathBuf,
    /// The 2 GiB file.
    pub(crate) blob: PathBuf,
    /// Its DER signature.
    pub(crate) blob_sig: PathBuf,
    /// The folder of `bundle-NN.tar.zst` + `bundle-NN.tar.sig.bin`.
    pub(crate) dir: PathBuf,
    /// Every data file (the 2 GiB one first), for warming the page cache.
    pub(crate) data_files: Vec<PathBuf>,
}

#[derive(Debug)]
struct DataFile {
    data: PathBuf,
    sig: PathBuf,
    size: u64,
    seed: u64,
}

/// Creates (or reuses) every input under `work`.
pub(crate) fn prepare(work: &Path, openssl: &Path) -> anyhow::Result<Inputs> {
    let dir = work.join("folder");
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut files = vec![DataFile {
        data: work.join("big.img"),
        sig: work.join("big.img.sig.bin"),
        size: BLOB_SIZE,
        seed: 0,
    }];
    for n in 0..DIR_FILES {
        files.push(DataFile {
            data: dir.join(format!("bundle-{n:02}.tar.zst")),
            sig: dir.join(format!("bundle-{n:02}.tar.sig.bin")),
            size: DIR_FILE_SIZE,
            seed: 1 + n as u64,
        });
    }
    remove_strangers(&dir, &files)?;

    let private_key = work.join("key.pem");
    let public_key = work.join("pub.pem");
    if !has_content(&private_key) || !has_content(&public_key) {
        eprintln!("bench: generating a P-256 key pair");
        run(
            openssl,
            &[
                "genpkey".as_ref(),
                "-algorithm".as_ref(),
                "EC".as_ref(),
                "-pkeyopt".as_ref(),
                "ec_paramgen_curve:P-256".as_ref(),
                "-out".as_ref(),
                private_key.as_os_str(),
            ],
        )?;
        run(
            openssl,
            &[
                "pkey".as_ref(),
                "-in".as_ref(),
                private_key.as_os_str(),
                "-pubout".as_ref(),
                "-out".as_ref(),
                public_key.as_os_str(),
            ],
        )?;
        for file in &files {
            remove_if_present(&file.sig)?;
        }
    }

    let stale: Vec<&DataFile> = files
        .iter()
        .filter(|f| fs::metadata(&f.data).map(|m| m.len()).ok() != Some(f.size))
        .collect();
    let missing: u64 = stale.iter().map(|f| f.size).sum();
    if missing > 0 {
        check_free_space(work, missing + 256 * MIB)?;
    }
    for file in stale {
        eprintln!(
            "bench: writing {} ({} MiB of pseudo-random bytes)",
            file.data.display(),
            file.size / MIB
        );
        remove_if_present(&file.sig)?;
        write_random(&file.data, file.size, file.seed)?;
    }
    for file in &files {
        if !has_content(&file.sig) {
            let tmp = file.sig.with_extension("partial");
            run(
                openssl,
                &[
                    "dgst".as_ref(),
                    "-sha256".as_ref(),
                    "-sign".as_ref(),
                    private_key.as_os_str(),
                    "-out".as_ref(),
                    tmp.as_os_str(),
                    file.data.as_os_str(),
                ],
            )?;
            fs::rename(&tmp, &file.sig)?;
        }
    }
    Ok(Inputs {
        public_key,
        blob: files[0].data.clone(),
        blob_sig: files[0].sig.clone(),
        dir,
        data_files: files.into_iter().map(|f| f.data).collect(),
    })
}

/// Reads every file once so that the timed runs measure hashing, not the disk.
pub(crate) fn warm(files: &[PathBuf]) -> anyhow::Result<()> {
    let mut buf = vec![0u8; CHUNK];
    for path in files {
        let mut file = File::open(path).with_context(|| format!("reading {}", path.display()))?;
        while file.read(&mut buf)? > 0 {}
    }
    Ok(())
}

/// Deletes anything in the folder that is not one of ours (left by an older layout), so that
/// neither tool sees extra files.
fn remove_strangers(dir: &Path, files: &[DataFile]) -> anyhow::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if !files.iter().any(|f| f.data == path || f.sig == path) {
            fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}

fn check_free_space(dir: &Path, needed: u64) -> anyhow::Result<()> {
    let out = Command::new("df")
        .arg("-Pk")
        .arg(dir)
        .output()
        .context("running df")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let available_kib: u64 = text
        .lines()
        .nth(1)
        .and_then(|line| line.split_whitespace().nth(3))
        .and_then(|field| field.parse().ok())
        .with_context(|| format!("cannot read free space from `df -Pk {}`", dir.display()))?;
    let available = available_kib * 1024;
    if available < needed {
        bail!(
            "not enough disk space for the benchmark inputs: need {:.1} GiB free under {}, have {:.1} GiB \
             (free some space, then rerun)",
            gib(needed),
            dir.display(),
            gib(available)
        );
    }
    Ok(())
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// Writes `size` bytes of xorshift64* output (incompressible, deterministic per seed), through a
/// temporary name so that an interrupted run never leaves a file with the right size.
fn write_random(path: &Path, size: u64, seed: u64) -> anyhow::Result<()> {
    let tmp = path.with_extension("partial");
    let mut file = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    // An odd multiplier keeps every state non-zero, as xorshift needs.
    let mut state = (seed + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    let mut buf = vec![0u8; CHUNK];
    let mut written = 0;
    while written < size {
        for word in buf.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes());
        }
        file.write_all(&buf)?;
        written += CHUNK as u64;
    }
    file.sync_all()?;
    fs::rename(&tmp, path)?;
    Ok(())
}

fn run(program: &Path, args: &[&OsStr]) -> anyhow::Result<()> {
    let out = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running {}", program.display()))?;
    ensure!(
        out.status.success(),
        "{} {:?} failed: {}",
        program.display(),
        args,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    Ok(())
}

fn has_content(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.len() > 0)
}

fn remove_if_present(path: &Path) -> anyhow::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing {}", path.display()))
        }
        _ => Ok(()),
    }
}
