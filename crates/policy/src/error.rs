//! Why a policy file is refused: what was expected, what was found, and where.

use std::fmt;

/// A policy file that cannot be used. Every problem is reported with its place in the file
/// when the parser knows it (syntax, types, unknown fields, and checks made as each rule or
/// authority is read, which are placed at the end of that item).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PolicyError {
    /// 1-based line and column, if known.
    pub location: Option<(usize, usize)>,
    /// What is wrong, and what to write instead.
    pub message: String,
}

impl PolicyError {
    /// A problem without a place in the file.
    #[must_use]
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            location: None,
            message: message.into(),
        }
    }

    /// A problem at `line`, `column` (1-based).
    #[must_use]
    pub fn at(line: usize, column: usize, message: impl Into<String>) -> Self {
        Self {
            location: Some((line, column)),
            message: message.into(),
        }
    }

    /// From serde_json's error, which knows its line and column.
    #[must_use]
    pub fn from_json(err: &serde_json::Error) -> Self {
        // serde_json's message already ends in " at line L column C": keep the message alone.
        let text = err.to_string();
        let message = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(message, _)| message)
            .to_owned();
        if err.line() == 0 {
            Self::new(message)
        } else {
            Self::at(err.line(), err.column(), message)
        }
    }

    /// From yaml_serde's error, which knows its place when the parser had one.
    #[must_use]
    pub fn from_yaml(err: &yaml_serde::Error) -> Self {
        let text = err.to_string();
        let message = text
            .rsplit_once(" at line ")
            .map_or(text.as_str(), |(message, _)| message)
            .to_owned();
        match err.location() {
            Some(location) => Self::at(location.line(), location.column(), message),
            None => Self::new(message),
        }
    }
}

impl fmt::Display for PolicyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location {
            Some((line, column)) => write!(f, "line {line} column {column}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}
