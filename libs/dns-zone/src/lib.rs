//! DNS zones for an authoritative server: model, master-file parser,
//! validation and printer. `no_std` + `alloc`.
//!
//! # Layers
//!
//! 1. [`name`]: domain names in presentation and uncompressed wire format,
//!    on top of [`hickory_proto::rr::Name`] (case-insensitive, canonically
//!    ordered, RFC 4034 §6.1).
//! 2. [`rdata`]: [`Rdata`] is wire-format RDATA; a per-type schema drives the
//!    presentation-format parser and printer, validation and the canonical
//!    form (RFC 4034 §6.2). Types without a schema use RFC 3597's generic
//!    form. hickory's own text parser needs `std`, so this one is written
//!    here; hickory supplies the types and a typed view ([`Rdata::to_hickory`]).
//! 3. [`parser`]: [`ZoneParser`], a streaming master-file parser
//!    (RFC 1035 §5, RFC 2308 `$TTL`, RFC 3597) over a borrowed byte slice,
//!    with errors carrying line, column, the offending token and what was
//!    expected.
//! 4. [`zone`]: [`Zone`] (nodes in a `BTreeMap` keyed by owner in canonical
//!    order, RRsets sorted by type, RDATA in canonical order), built and
//!    validated by [`Zone::from_entries`]; [`Serial`] (RFC 1982);
//!    [`ZoneEdit`], record-by-record changes for UPDATE and IXFR, checked
//!    like the loader checks; [`ZoneDiff`], the changes between two versions.
//! 5. [`printer`]: [`print_zone`], the inverse of the parser.
//!
//! # Panics
//!
//! Zone files come from users and from git: nothing here panics on any input
//! text or wire RDATA. The `expect`s that remain state invariants of a
//! validated [`Zone`] (it has an SOA and apex NS).
//!
//! # Example
//!
//! ```
//! use dns_zone::{Zone, print_zone};
//! let text = b"$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\nns A 192.0.2.1\n";
//! let origin = "example.com.".parse().unwrap();
//! let (zone, warnings) = Zone::parse(text, origin).unwrap();
//! assert!(warnings.is_empty());
//! assert_eq!(zone.serial().0, 1);
//! assert_eq!(zone.record_count(), 3);
//! let again = Zone::parse(print_zone(&zone).as_bytes(), zone.origin().clone()).unwrap().0;
//! assert_eq!(again, zone);
//! ```

#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod name;
pub mod parser;
pub mod printer;
pub mod rdata;
pub mod zone;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use hickory_proto::rr::{DNSClass, Name, RecordType};
pub use parser::{Entry, IncludeError, IncludeFiles, ParseError, ParseErrorKind, ZoneParser};
pub use printer::print_zone;
pub use rdata::text::parse_ttl;
pub use rdata::{type_from_mnemonic, type_mnemonic, Rdata, RdataError};
pub use zone::diff::{Record, ZoneDiff};
pub use zone::edit::{EditError, ZoneEdit};
pub use zone::model::{Node, RRset, Zone};
pub use zone::serial::Serial;

/// A message about a place in a zone file (line 0: about the whole zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line, or 0 when the message is about the zone as a whole.
    pub line: u32,
    /// 1-based column, or 0.
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// The `$INCLUDE`d file the message is about (its path in the tree),
    /// or `None` for the zone's own file.
    pub file: Option<String>,
}

/// Warnings are diagnostics that do not reject the zone.
pub type Warning = Diagnostic;

impl Diagnostic {
    pub(crate) fn at(line: u32, column: u32, message: String) -> Self {
        Self {
            line,
            column,
            message,
            file: None,
        }
    }

    /// A message about the record `entry`, in its file.
    pub(crate) fn of(entry: &Entry, message: String) -> Self {
        Self {
            line: entry.line,
            column: entry.column,
            message,
            file: entry.file.as_deref().map(String::from),
        }
    }

    pub(crate) fn zone(message: String) -> Self {
        Self {
            line: 0,
            column: 0,
            message,
            file: None,
        }
    }

    /// Formats as `file:line:column: message` (or `file: message` for the
    /// whole zone), where `file` is the included file the message is about,
    /// or else `file`.
    pub fn display_in<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        struct In<'a>(&'a Diagnostic, &'a str);
        impl fmt::Display for In<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let file = self.0.file.as_deref().unwrap_or(self.1);
                if self.0.line == 0 {
                    write!(f, "{file}: {}", self.0.message)
                } else {
                    write!(f, "{file}:{}", self.0)
                }
            }
        }
        In(self, file)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl From<ParseError> for Diagnostic {
    fn from(e: ParseError) -> Self {
        use alloc::string::ToString;
        Self {
            line: e.line,
            column: e.column,
            message: e.kind.to_string(),
            file: e.file.as_deref().map(String::from),
        }
    }
}

/// A zone was rejected: every error found, and the warnings so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneErrors {
    /// The errors, in file order.
    pub errors: Vec<Diagnostic>,
    /// Warnings found on the way.
    pub warnings: Vec<Diagnostic>,
}

impl Zone {
    /// Parses master-file `text` for the zone `origin` and validates it.
    ///
    /// Syntax errors are all reported (the parser resynchronises at the next
    /// line); validation runs only on a syntactically clean file, so that a
    /// broken SOA line is not also reported as a missing SOA.
    pub fn parse(text: &[u8], origin: Name) -> Result<(Zone, Vec<Warning>), ZoneErrors> {
        Self::parse_from(ZoneParser::new(text, origin.clone()), origin)
    }

    /// As [`Zone::parse`], with `$INCLUDE` reading from `files`, in which
    /// the zone's own file is at `own_path` (see [`parser::include`]).
    /// Diagnostics about included files name them ([`Diagnostic::file`]).
    pub fn parse_with_includes(
        text: &[u8],
        origin: Name,
        files: &mut dyn IncludeFiles,
        own_path: &str,
    ) -> Result<(Zone, Vec<Warning>), ZoneErrors> {
        let parser = ZoneParser::new(text, origin.clone()).with_includes(files, own_path);
        Self::parse_from(parser, origin)
    }

    fn parse_from(
        mut parser: ZoneParser<'_>,
        origin: Name,
    ) -> Result<(Zone, Vec<Warning>), ZoneErrors> {
        let mut entries = Vec::new();
        let mut errors = Vec::new();
        for item in parser.by_ref() {
            match item {
                Ok(e) => entries.push(e),
                Err(e) => errors.push(Diagnostic::from(e)),
            }
        }
        let mut warnings = parser.take_warnings();
        if !errors.is_empty() {
            return Err(ZoneErrors { errors, warnings });
        }
        match Zone::from_entries(origin, entries) {
            Ok((zone, w)) => {
                warnings.extend(w);
                Ok((zone, warnings))
            }
            Err(mut e) => {
                warnings.append(&mut e.warnings);
                e.warnings = warnings;
                Err(e)
            }
        }
    }
}
