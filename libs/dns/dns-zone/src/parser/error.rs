//! Errors of the master-file parser.

use alloc::string::String;
use alloc::sync::Arc;
use core::fmt;

use super::include::IncludeProblem;

use crate::name::NameError;
use crate::rdata::RdataError;

/// A syntax or semantic error at a place in a zone file.
///
/// `Display` gives `line:column: message`; [`ParseError::display_in`] adds the
/// file name in front, the form compilers and `named-checkzone` users expect:
/// `example.com:12:17: expected a TTL or a class or a type, found "IM"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, counted in bytes.
    pub column: u32,
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// The `$INCLUDE`d file the error is in (its path in the tree), or
    /// `None` for the file being parsed.
    pub file: Option<Arc<str>>,
}

/// What went wrong while parsing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// A token that does not fit: what the grammar wanted, and what was there
    /// (the raw token, or "end of line").
    Expected {
        /// Description of the acceptable tokens, e.g. "a TTL or a class or a type".
        expected: &'static str,
        /// The offending token as written.
        found: String,
    },
    /// A bad domain name: what is wrong with it, and the token as written.
    Name {
        /// What is wrong.
        error: NameError,
        /// The offending token as written.
        found: String,
    },
    /// RDATA that does not fit its type.
    Rdata(RdataError),
    /// A `(` without `)`, or a `)` without `(`.
    UnbalancedParenthesis,
    /// A `"` without its closing `"`.
    UnterminatedString,
    /// A construct this parser does not support, e.g. `$INCLUDE` without a
    /// file system.
    Unsupported(&'static str),
    /// A record of another class than the zone's (IN).
    ClassMismatch {
        /// The class as written.
        found: String,
    },
    /// The line has no owner: the first record is indented.
    NoOwner,
    /// No TTL in the record, no `$TTL` and no earlier TTL to inherit.
    NoTtl,
    /// An `$INCLUDE` that cannot be followed.
    Include {
        /// The path as written.
        path: String,
        /// What is wrong with it.
        problem: IncludeProblem,
    },
    /// A `$GENERATE` template that does not expand, or expands to a bad
    /// record.
    Generate {
        /// What is wrong.
        problem: String,
    },
    /// A `$GENERATE` that would make more records than allowed
    /// ([`super::generate::MAX_GENERATE`] per directive,
    /// [`super::generate::MAX_GENERATED_PER_ZONE`] per zone).
    TooManyGenerated {
        /// Records the directive would make.
        count: u64,
        /// Records it may make.
        limit: u64,
    },
    /// The file starts with a UTF-8 byte-order mark.
    ByteOrderMark,
}

impl ParseError {
    pub(crate) fn new(line: u32, column: u32, kind: ParseErrorKind) -> Self {
        Self {
            line,
            column,
            kind,
            file: None,
        }
    }

    /// Formats as `file:line:column: message`, where `file` is the
    /// included file the error is in, or else `file`.
    pub fn display_in<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        struct In<'a>(&'a ParseError, &'a str);
        impl fmt::Display for In<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}:{}", self.0.file.as_deref().unwrap_or(self.1), self.0)
            }
        }
        In(self, file)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.kind)
    }
}

impl fmt::Display for ParseErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Expected { expected, found } => write!(f, "expected {expected}, found {found}"),
            Self::Name { error, found } => write!(f, "{error}, found {found}"),
            Self::Rdata(e) => e.fmt(f),
            Self::UnbalancedParenthesis => f.write_str("unbalanced parenthesis"),
            Self::UnterminatedString => f.write_str("unterminated quoted string"),
            Self::Unsupported(what) => write!(f, "unsupported: {what}"),
            Self::ClassMismatch { found } => {
                write!(f, "expected the zone's class IN, found {found}")
            }
            Self::NoOwner => f.write_str("no owner name: the first record must not be indented"),
            Self::NoTtl => f.write_str("no TTL: give one in the record or with $TTL"),
            Self::Include { path, problem } => write!(f, "$INCLUDE {path}: {problem}"),
            Self::Generate { problem } => write!(f, "$GENERATE: {problem}"),
            Self::TooManyGenerated { count, limit } => write!(
                f,
                "$GENERATE: the range makes {count} records, more than the {limit} allowed"
            ),
            Self::ByteOrderMark => f.write_str(
                "the file starts with a UTF-8 byte-order mark (bytes EF BB BF), which BIND and \
                 NSD do not accept either: save it without one",
            ),
        }
    }
}
