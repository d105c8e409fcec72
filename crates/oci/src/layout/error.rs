//! Why a layout or an archive of one could not be read, or its image found.

use thiserror::Error;

/// What went wrong reading an OCI image layout (a folder or an archive of one).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LayoutError {
    /// The folder or file could not be read.
    #[error("{what}: {source}")]
    Io {
        /// What was being read.
        what: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The folder or archive is not an OCI image layout, or its `oci-layout` / `index.json`
    /// is malformed.
    #[error("{what} is not a usable OCI image layout: {detail}")]
    NotALayout {
        /// The folder or archive.
        what: String,
        /// What is wrong.
        detail: String,
    },
    /// No image in the layout answers to the reference (exit code "image not found").
    #[error("{what}: {detail}")]
    ImageNotFound {
        /// The layout and reference.
        what: String,
        /// What the layout holds instead.
        detail: String,
    },
    /// A blob's bytes do not hash to its name, or its size differs from its descriptor's: the
    /// layout was changed after it was written. Nothing from it is used.
    #[error("{what}: {detail}")]
    Corrupt {
        /// The blob or entry.
        what: String,
        /// Expected and found.
        detail: String,
    },
    /// The archive is hostile or beyond a limit (a link or a path out of the folder, a name
    /// twice, more bytes than the budget).
    #[error("{what}: {detail}")]
    Refused {
        /// The archive or entry.
        what: String,
        /// Why, and what to try.
        detail: String,
    },
}

impl LayoutError {
    pub(crate) fn io(what: impl Into<String>, source: std::io::Error) -> Self {
        Self::Io {
            what: what.into(),
            source,
        }
    }

    pub(crate) fn corrupt(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Corrupt {
            what: what.into(),
            detail: detail.into(),
        }
    }

    pub(crate) fn refused(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::Refused {
            what: what.into(),
            detail: detail.into(),
        }
    }

    pub(crate) fn not_a_layout(what: impl Into<String>, detail: impl Into<String>) -> Self {
        Self::NotALayout {
            what: what.into(),
            detail: detail.into(),
        }
    }
}

/// Why [`crate::Layout::lookup`] failed: reading the layout, or what it holds.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LayoutLookupFailure {
    /// The layout could not be read, or the image is not in it, or it is corrupt.
    #[error(transparent)]
    Layout(#[from] LayoutError),
    /// The lookup refused what the layout holds (a malformed manifest, a blob of the wrong
    /// size, …).
    #[error("in the layout: {0}")]
    Lookup(#[from] crate::Error),
}
