//! `cargo xtask bench offline`: `vouch verify` of a signed image inside a `.tar.zst` archive of
//! an OCI layout, against `zstd -dc FILE > /dev/null` (decompression alone, the floor of any
//! reader of the archive); prints the time ratio and vouch's peak RSS (targets in
//! docs/performance.md: ≤ 1.3× and ≤ 64 MiB for 2 GiB). Then `vouch save` and `load` against
//! skopeo copy (`transfer.rs`).
//!
//! The layout is generated: one layer of incompressible bytes (real layers are gzip streams
//! already), its config and manifest, and a `.sig` manifest beside it by tag holding a
//! simple-signing payload signed by `vouch sign-blob`, as skopeo would have copied it.

use std::fmt::Write as _;
use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, ensure};
use sha2::{Digest as _, Sha256};

use super::measure::{self, Expect, Invocation, run_ok};

const TIME_TARGET: f64 = 1.3;
const RSS_TARGET_MIB: f64 = 64.0;

#[derive(Debug, clap::Args)]
pub(crate) struct Options {
    /// Timed runs of each command (alternating zstd, vouch, …).
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    runs: u32,
    /// Size of the image's layer in MiB.
    #[arg(long, default_value_t = 2048)]
    size: u64,
    /// Size of the layer of the image saved and loaded, in MiB (0: no save/load rows).
    #[arg(long, default_value_t = 1024)]
    transfer_size: u64,
}

pub(crate) fn run(root: &Path, options: &Options) -> anyhow::Result<()> {
    let zstd = super::require("zstd", "apt-get install zstd")?;
    let time = PathBuf::from("/usr/bin/time");
    ensure!(
        time.is_file(),
        "/usr/bin/time not found: apt-get install time"
    );
    let vouch = super::build_vouch(root)?;
    let work = root.join("target/bench/offline");
    let layout = work.join("layout");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(layout.join("blobs/sha256"))
        .with_context(|| format!("creating {}", layout.display()))?;
    let key = work.join("key");
    measure::pkcs8_key(&vouch, &key)?;
    write_signed_layout(&layout, &vouch, &key, &work, options.size)?;
    let archive = work.join("image.tar.zst");
    eprintln!("bench: tar | zstd -1 > {}", archive.display());
    run_ok(Command::new("sh").arg("-c").arg(format!(
        "tar -C '{}' -cf - . | '{}' -q -1 -T0 -o '{}'",
        layout.display(),
        zstd.display(),
        archive.display()
    )))?;
    fs::remove_dir_all(&layout)?;
    let archive_len = fs::metadata(&archive)?.len();

    let decompress = Invocation::new(Path::new("sh"), Expect::Success)
        .arg("-c")
        .arg(format!("'{}' -dc \"$0\" > /dev/null", zstd.display()))
        .arg(&archive);
    let verify = Invocation::new(&vouch, Expect::Success)
        .arg("verify")
        .arg("--key")
        .arg(key.with_extension("pub"))
        .arg("--insecure-ignore-tlog")
        .arg(format!("oci-archive:{}:v1", archive.display()));
    let load_start = super::load_average();
    eprintln!("bench: {} runs of each command in turn", options.runs);
    let stats = measure::rotate(&[&decompress, &verify], options.runs)?;
    let rss_kib = measure::peak_rss_kib(&time, &verify)?;
    let hash = measure::hash_in_memory(options.size << 20, options.runs);
    let (cpu, sha_ni) = super::cpu_model();
    let ratio = stats[1].median.as_secs_f64() / stats[0].median.as_secs_f64();
    // Every byte of the layer is hashed (a layer changed after signing is refused): no reader
    // that checks it can beat SHA-256 of the layer, whatever zstd's speed.
    let floor = stats[0].median.max(hash.median).as_secs_f64();
    let rss_mib = rss_kib as f64 / 1024.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nvouch verify of a signed image in a .tar.zst OCI layout archive, against zstd -dc FILE > /dev/null"
    );
    let _ = writeln!(
        out,
        "CPU: {cpu} ({} cores, SHA extensions: {}); medians of {} runs; load {load_start} -> {}",
        std::thread::available_parallelism().map_or(0, usize::from),
        if sha_ni { "yes" } else { "no" },
        options.runs,
        super::load_average()
    );
    let _ = writeln!(
        out,
        "{:>10}  {:>12}  {:>10}  {:>12}  {:>10}  {:>12}  {:>14}  {:>10}",
        "layer",
        "archive",
        "zstd -dc",
        "SHA-256 only",
        "vouch",
        "vouch÷zstd",
        "vouch÷floor",
        "peak RSS"
    );
    let _ = writeln!(
        out,
        "{:>6} MiB  {:>8.1} MiB  {:>7.0} ms  {:>9.0} ms  {:>7.0} ms  {:>11.2}×{}  {:>13.2}×  {:>6.1} MiB{}",
        options.size,
        archive_len as f64 / f64::from(1 << 20),
        stats[0].median.as_secs_f64() * 1e3,
        hash.median.as_secs_f64() * 1e3,
        stats[1].median.as_secs_f64() * 1e3,
        ratio,
        if ratio <= TIME_TARGET { " " } else { "!" },
        stats[1].median.as_secs_f64() / floor,
        rss_mib,
        if rss_mib <= RSS_TARGET_MIB { " " } else { "!" },
    );
    let _ = writeln!(
        out,
        "targets: vouch ≤ {TIME_TARGET}× zstd's time, peak RSS ≤ {RSS_TARGET_MIB} MiB (`!` marks a miss); \
         floor: the slower of zstd -dc and SHA-256 of the layer in memory (one core each)"
    );
    print!("{out}");
    if options.transfer_size > 0 {
        print!(
            "{}",
            super::transfer::run(&work, &vouch, &time, options.transfer_size, options.runs)?
        );
    }
    Ok(())
}

/// Writes into `layout` (its `blobs/sha256` made) an image of one `size` MiB layer, tagged
/// `v1`, and its `.sig` manifest beside it by tag, signed with `key` (`KEY.key`, PKCS#8).
pub(super) fn write_signed_layout(
    layout: &Path,
    vouch: &Path,
    key: &Path,
    work: &Path,
    size: u64,
) -> anyhow::Result<()> {
    eprintln!("bench: writing a {size} MiB layer");
    let layer = write_layer(layout, size << 20)?;
    let config = blob(
        layout,
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#,
    )?;
    let manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{}","size":{}}}]}}"#,
        config.0, config.1, layer.0, layer.1
    );
    let image = blob(layout, manifest.as_bytes())?;
    let payload = format!(
        r#"{{"critical":{{"identity":{{"docker-reference":"registry.example/app"}},"image":{{"docker-manifest-digest":"{}"}},"type":"cosign container image signature"}},"optional":null}}"#,
        image.0
    );
    let payload_file = work.join("payload.json");
    fs::write(&payload_file, &payload)?;
    let signature = Command::new(vouch)
        .arg("sign-blob")
        .arg("--key")
        .arg(key.with_extension("key"))
        .arg(&payload_file)
        .output()
        .context("running vouch sign-blob")?;
    ensure!(
        signature.status.success(),
        "vouch sign-blob failed: {signature:?}"
    );
    let signature = String::from_utf8(signature.stdout)?.trim().to_owned();
    let payload_blob = blob(layout, payload.as_bytes())?;
    let empty = blob(layout, b"{}")?;
    let sig_manifest = format!(
        r#"{{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"{}","size":{}}},"layers":[{{"mediaType":"application/vnd.dev.cosign.simplesigning.v1+json","digest":"{}","size":{},"annotations":{{"dev.cosignproject.cosign/signature":"{signature}"}}}}]}}"#,
        empty.0, empty.1, payload_blob.0, payload_blob.1
    );
    let sig = blob(layout, sig_manifest.as_bytes())?;
    let entry = |digest: &str, size: u64, name: &str| {
        format!(
            r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{digest}","size":{size},"annotations":{{"org.opencontainers.image.ref.name":"{name}"}}}}"#
        )
    };
    fs::write(
        layout.join("index.json"),
        format!(
            r#"{{"schemaVersion":2,"manifests":[{},{}]}}"#,
            entry(&image.0, image.1, "v1"),
            entry(&sig.0, sig.1, &format!("{}.sig", image.0.replace(':', "-")))
        ),
    )?;
    fs::write(
        layout.join("oci-layout"),
        br#"{"imageLayoutVersion":"1.0.0"}"#,
    )?;
    Ok(())
}

/// Writes `bytes` as a blob of the layout; its digest and size.
fn blob(layout: &Path, bytes: &[u8]) -> anyhow::Result<(String, u64)> {
    let hex = hex::encode(Sha256::digest(bytes));
    fs::write(layout.join("blobs/sha256").join(&hex), bytes)?;
    Ok((format!("sha256:{hex}"), bytes.len() as u64))
}

/// Writes `len` incompressible bytes (xorshift) as a blob; its digest and size.
fn write_layer(layout: &Path, len: u64) -> anyhow::Result<(String, u64)> {
    let temporary = layout.join("blobs/sha256/layer.partial");
    let mut file = std::io::BufWriter::new(fs::File::create(&temporary)?);
    let mut hasher = Sha256::new();
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut chunk = vec![0u8; 1 << 20];
    let mut left = len;
    while left > 0 {
        for word in chunk.chunks_exact_mut(8) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        let take = usize::try_from(left.min(chunk.len() as u64))?;
        hasher.update(&chunk[..take]);
        file.write_all(&chunk[..take])?;
        left -= take as u64;
    }
    file.flush()?;
    drop(file);
    let hex = hex::encode(hasher.finalize());
    fs::rename(&temporary, layout.join("blobs/sha256").join(&hex))?;
    Ok((format!("sha256:{hex}"), len))
}
