//! Integration tests of vouch-blob. One test binary, one module per area.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test helpers fail loudly, outside #[test] functions too"
)]

mod encodings;
mod fixtures;
mod sign;
