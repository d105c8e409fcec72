//! Where a problem is (the document and its name), and untrusted text as messages show it.

use std::fmt;

use crate::PolicyError;

/// Where a problem is: the document and its name; the field is given with each error.
pub(super) struct Place {
    pub(super) document: usize,
    pub(super) name: String,
}

impl Place {
    pub(super) fn error(&self, path: &str, message: impl fmt::Display) -> PolicyError {
        PolicyError::new(format!(
            "document {} (name: {}): {path}: {message}",
            self.document,
            crate::text::shortened(&self.name)
        ))
    }
}

/// Untrusted text for a message: escaped and cut short, in backquotes.
pub(super) fn shown(text: &str) -> String {
    format!("`{}`", crate::text::shortened(text))
}
