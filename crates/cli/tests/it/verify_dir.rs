//! Placeholder, written by the verify_dir work.
