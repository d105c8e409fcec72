//! Files a policy names (keys, Rego modules), read through one door the caller provides: the
//! library reads no files of its own, so parsing stays testable and fuzzable.

/// The largest file a policy may name (a key, a certificate, a Rego module).
pub const MAX_NAMED_FILE: u64 = 1 << 20;

/// Reads the files a policy names.
pub trait FileReader {
    /// The bytes of `path` (as written in the policy).
    ///
    /// # Errors
    ///
    /// Why it cannot be read, in words for the user.
    fn read(&self, path: &str) -> Result<Vec<u8>, String>;
}

/// No files: every path named is an error (for fuzzing, and for policies given inline only).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoFiles;

impl FileReader for NoFiles {
    fn read(&self, _path: &str) -> Result<Vec<u8>, String> {
        Err("no files are read here".to_owned())
    }
}
