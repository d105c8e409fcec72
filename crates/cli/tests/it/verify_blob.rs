//! Placeholder, written by the verify_blob work.
