//! Rule parse errors, with enough position to fix the file.

use std::fmt;
use std::sync::Arc;

/// Where a rule came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<str>,
    /// 1-based line of the rule's first line in the file.
    pub line: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// A problem with one rule: the rule is skipped, the others still load.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    /// 1-based column (byte offset) in the rule text where the problem is.
    pub column: u32,
    pub kind: ErrorKind,
    pub message: String,
}

/// Broad classes of problems, for summaries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// The text is not a rule (bad header, unbalanced parentheses...).
    Syntax,
    /// A keyword we do not know.
    UnknownKeyword,
    /// A keyword whose value is invalid.
    InvalidValue,
    /// A known keyword that this build cannot honour.
    Unsupported,
    /// The rule needs an application-layer parser.
    NeedsAppLayer,
    /// Another rule has the same gid:sid.
    Duplicate,
}

impl ErrorKind {
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::Syntax => "syntax",
            ErrorKind::UnknownKeyword => "unknown_keyword",
            ErrorKind::InvalidValue => "invalid_value",
            ErrorKind::Unsupported => "unsupported",
            ErrorKind::NeedsAppLayer => "needs_app_layer",
            ErrorKind::Duplicate => "duplicate",
        }
    }
}

impl RuleError {
    pub fn new(column: usize, kind: ErrorKind, message: impl Into<String>) -> Self {
        RuleError { column: column as u32 + 1, kind, message: message.into() }
    }

    pub fn syntax(column: usize, message: impl Into<String>) -> Self {
        Self::new(column, ErrorKind::Syntax, message)
    }

    pub fn invalid(column: usize, message: impl Into<String>) -> Self {
        Self::new(column, ErrorKind::InvalidValue, message)
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "column {}: {}", self.column, self.message)
    }
}

impl std::error::Error for RuleError {}
