//! The save and load half of `cargo xtask bench offline`: `vouch save` of a signed image from
//! a loopback docker-registry into a layout folder, against `skopeo copy docker://… oci:…`, and
//! `vouch load` of that folder into the registry, against `skopeo copy --preserve-digests oci:…
//! docker://…` (target in docs/performance.md: ≤ 1.3× skopeo's time for 1 GiB).
//!
//! Every run writes anew: the save folder is removed first (vouch keeps blobs already there),
//! and each load goes to a repository of its own, with skopeo's blob-info cache removed first
//! (else skopeo mounts the blobs from a repository it pushed them to before, sending nothing).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

use super::measure::{self, Expect, Invocation, run_ok};

const TIME_TARGET: f64 = 1.3;

/// Where root's skopeo keeps what it knows of blobs in registries (containers/image).
const BLOB_INFO_CACHE: &str = "/var/lib/containers/cache/blob-info-cache-v1.sqlite";

/// Measures save and load of an image with a `size_mib` MiB layer; returns the report lines.
pub(super) fn run(
    work: &Path,
    vouch: &Path,
    time: &Path,
    size_mib: u64,
    runs: u32,
) -> anyhow::Result<String> {
    let registry_program = super::require("docker-registry", "apt-get install docker-registry")?;
    let skopeo = crate::bench_oci::skopeo::find()?;
    let work = work.join("transfer");
    let _ = fs::remove_dir_all(&work);
    let source = work.join("source");
    fs::create_dir_all(source.join("blobs/sha256"))?;
    let key = work.join("key");
    measure::pkcs8_key(vouch, &key)?;
    super::offline::write_signed_layout(&source, vouch, &key, &work, size_mib)?;
    let registry_dir = work.join("registry");
    fs::create_dir_all(&registry_dir)?;
    let registry =
        crate::bench_oci::registry::Registry::start(&registry_program, &registry_dir, None)?;
    let host = registry.host().to_owned();
    let image = format!("{host}/bench/app:v1");
    run_ok(
        Command::new(vouch)
            .arg("load")
            .arg(&source)
            .arg(format!("{host}/bench/app")),
    )?;
    fs::remove_dir_all(&source)?;

    let saved = work.join("saved");
    let skopeo_saved = work.join("skopeo-saved");
    let counter = work.join("counter");
    fs::write(&counter, "0")?;
    let skopeo_copy = format!(
        "rm -f {BLOB_INFO_CACHE}; exec '{}' --insecure-policy copy --retry-times=0 --src-tls-verify=false --dest-tls-verify=false",
        skopeo.display()
    );
    let shell = |script: String| {
        Invocation::new(Path::new("sh"), Expect::Success)
            .arg("-c")
            .arg(script)
    };
    let skopeo_save = shell(format!(
        "rm -rf '{0}'; {skopeo_copy} docker://{image} oci:'{0}':v1",
        skopeo_saved.display()
    ));
    let vouch_save = shell(format!(
        "rm -rf '{0}'; exec '{1}' -q save --dir '{0}' {image}",
        saved.display(),
        vouch.display()
    ));
    // Loads read the layout vouch saved (image named as given, `.sig` beside it).
    run_ok(
        Command::new(vouch)
            .args(["-q", "save", "--dir"])
            .arg(&saved)
            .arg(&image),
    )?;
    let next = format!("n=$(cat '{0}'); echo $((n+1)) > '{0}';", counter.display());
    let skopeo_load = shell(format!(
        "{next} {skopeo_copy} --preserve-digests oci:'{}':{image} docker://{host}/skopeo$n/app:v1",
        saved.display()
    ));
    let vouch_load = shell(format!(
        "{next} exec '{}' -q load oci:'{}':{image} {host}/vouch$n/app",
        vouch.display(),
        saved.display()
    ));
    eprintln!("bench: {runs} runs of each save and load in turn");
    let save = measure::rotate(&[&skopeo_save, &vouch_save], runs)?;
    let load = measure::rotate(&[&skopeo_load, &vouch_load], runs)?;
    let save_rss = measure::peak_rss_kib(time, &vouch_save)?;
    let load_rss = measure::peak_rss_kib(time, &vouch_load)?;

    let mut out = String::new();
    let _ = writeln!(
        out,
        "\nvouch save / load of a signed image ({size_mib} MiB layer) with a loopback docker-registry, against skopeo copy of the image between the same endpoints"
    );
    let _ = writeln!(
        out,
        "{:>6}  {:>12}  {:>10}  {:>13}  {:>12}",
        "", "skopeo copy", "vouch", "vouch÷skopeo", "vouch RSS"
    );
    for (name, stats, rss) in [("save", &save, save_rss), ("load", &load, load_rss)] {
        let ratio = stats[1].median.as_secs_f64() / stats[0].median.as_secs_f64();
        let _ = writeln!(
            out,
            "{name:>6}  {:>9.0} ms  {:>7.0} ms  {:>12.2}×{}  {:>8.1} MiB",
            stats[0].median.as_secs_f64() * 1e3,
            stats[1].median.as_secs_f64() * 1e3,
            ratio,
            if ratio <= TIME_TARGET { " " } else { "!" },
            rss as f64 / 1024.0
        );
    }
    let _ = writeln!(
        out,
        "target: vouch ≤ {TIME_TARGET}× skopeo's time (`!` marks a miss); vouch also carries the \
         signature and looks for attestations and referrers, which skopeo does not"
    );
    drop(registry);
    Ok(out)
}
