//! vouch
fn main() {}
