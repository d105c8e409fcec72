//! Hostile input: registry.
