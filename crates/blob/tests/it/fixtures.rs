//! Table-driven over testdata/generated: placeholder until the testdata crate lands.
