//! OCI image layouts as they arrive from outside: an archive (tar, gzip or zstd, told by its
//! first bytes) read in one pass, or an `index.json` alone (input starting with `{`); the same
//! bytes read as a `docker save` archive. No input may panic or hang; a layout read from any
//! bytes answers the signature lookup of its only image without panicking, and an archive is
//! never read past its byte budget.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vouch_oci::layout::{ArchiveLimits, DockerArchive, LayoutIndex};
use vouch_oci::{Layout, LookupOptions};

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&b'{') {
        if let Ok(index) = LayoutIndex::parse(data, "fuzz") {
            let _ = index.resolve(None, "fuzz");
            let _ = index.resolve(Some("latest"), "fuzz");
        }
        return;
    }
    let mut limits = ArchiveLimits::for_archive_of(0);
    // Small enough for the fuzzer's memory limit, large enough for real layouts.
    limits.max_stream_bytes = 64 << 20;
    limits.max_kept_bytes = 16 << 20;
    if let Ok(layout) = Layout::read_archive(data, "fuzz", limits) {
        let _ = layout.lookup(None, LookupOptions::new().with_attestations());
    }
    if let Ok(archive) = DockerArchive::read(data, "fuzz", limits) {
        let _ = archive.image(None);
        let _ = archive.image(Some("registry.example/app:v1"));
    }
});
