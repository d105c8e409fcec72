//! Integration tests of vouch-blob. One test binary, one module per area.

mod encodings;
mod fixtures;
