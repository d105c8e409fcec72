//! End-to-end tests of the `vouch` binary. One test binary, one module per area.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly, outside #[test] functions too"
)]

mod attest_image_e2e;
mod attestations;
mod conventions;
mod cosign_blob_attestations;
mod deploy_manifests;
mod hostile;
mod keys;
mod layouts;
mod man_pages;
mod mock_registry;
mod openssl_interop;
mod policies;
mod registry_harness;
mod registry_tls;
mod serve;
mod sign_blob;
mod sign_image_e2e;
mod sigstore_conformance;
mod sigstore_js;
mod transfer;
mod verify_blob;
mod verify_bundle;
mod verify_dir;
mod verify_image_bundles;
mod verify_image_e2e;
mod verify_image_mock;
