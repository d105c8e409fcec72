//! Hostile input, as an attacker would send it: forged file names, name collisions, device
//! nodes as outputs, a full disk, dripping and stalling registries, oversized layers and
//! bundles with the child's peak memory measured. Each case is a regression test for a promise
//! in `docs/security.md`; the threat model names the test that shows it.

mod files;
mod memory;
mod names;
mod registry;
mod writes;
