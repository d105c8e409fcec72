//! End-to-end tests of the `vouch` binary. One test binary, one module per area.

mod openssl_interop;
mod verify_blob;
mod verify_dir;
