//! Detached signatures.
