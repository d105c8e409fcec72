//! Placeholder, written by the openssl_interop work.
