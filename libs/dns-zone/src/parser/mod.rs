//! Master-file parser (RFC 1035 §5; `$TTL` from RFC 2308 §4; unknown types
//! from RFC 3597 §5).
//!
//! [`ZoneParser`] is an iterator over the records of a file, one
//! [`Entry`] at a time, so a caller can stream a large zone into its own
//! structure; [`crate::Zone::parse`] collects and validates in one call.
//! After an error the parser skips to the end of the logical line and goes
//! on, so one run reports every syntax error.
//!
//! Defaults, as BIND and NSD apply them:
//! - A record without TTL takes `$TTL`; without `$TTL`, the TTL of the
//!   previous record; for a first record that is an SOA, its MINIMUM field
//!   (with a warning). Otherwise it is an error.
//! - A record without class takes the zone's class; another class is an error.
//! - An indented line repeats the previous owner.
//! - `$INCLUDE` is reported as unsupported: this crate has no file system.

pub(crate) mod error;
pub(crate) mod lexer;

use alloc::string::String;
use alloc::vec::Vec;

use hickory_proto::rr::{DNSClass, Name, RecordType};

pub use error::{ParseError, ParseErrorKind};
use lexer::{Lexer, Token, TokenKind};

use crate::name::parse_name;
use crate::rdata::text::{expected, parse_ttl, RdataText};
use crate::rdata::{type_from_mnemonic, Rdata};
use crate::Warning;

/// One record as read from a master file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Owner name (absolute).
    pub owner: Name,
    /// Time to live in seconds.
    pub ttl: u32,
    /// Record type.
    pub rtype: RecordType,
    /// RDATA in wire format.
    pub rdata: Rdata,
    /// Line of the first token of the record (1-based).
    pub line: u32,
    /// Column of the first token of the record (1-based).
    pub column: u32,
}

/// Streaming master-file parser: an iterator of entries or errors.
pub struct ZoneParser<'a> {
    lx: Lexer<'a>,
    origin: Name,
    class: DNSClass,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
    last_owner: Option<Name>,
    warnings: Vec<Warning>,
    scratch: Vec<u8>,
    name_buf: Vec<u8>,
    rdata_buf: Vec<u8>,
    done: bool,
}

const TTL_CLASS_OR_TYPE: &str = "a TTL or a class or a type";

impl<'a> ZoneParser<'a> {
    /// A parser for `text` with `origin` as the initial `$ORIGIN`; records
    /// must be of class IN.
    pub fn new(text: &'a [u8], origin: Name) -> Self {
        Self {
            lx: Lexer::new(text),
            origin,
            class: DNSClass::IN,
            default_ttl: None,
            last_ttl: None,
            last_owner: None,
            warnings: Vec::new(),
            scratch: Vec::new(),
            name_buf: Vec::new(),
            rdata_buf: Vec::new(),
            done: false,
        }
    }

    /// Sets a TTL for records without one, as if the file started with
    /// `$TTL ttl` (OCaml-DNS `_keys` files carry no TTLs).
    pub fn with_default_ttl(mut self, ttl: u32) -> Self {
        self.default_ttl = Some(ttl);
        self
    }

    /// Warnings collected so far (e.g. a TTL taken from the SOA MINIMUM).
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        core::mem::take(&mut self.warnings)
    }

    fn name(&mut self, t: &Token<'_>) -> Result<Name, ParseError> {
        parse_name(t.text(), &self.origin, &mut self.name_buf)
            .map_err(|e| crate::rdata::text::name_error(t, e))
    }

    fn expect_end(&mut self) -> Result<(), ParseError> {
        let t = self.lx.next_token()?;
        if t.is_end() {
            Ok(())
        } else {
            Err(expected(&t, "end of line"))
        }
    }

    fn directive(&mut self, t: Token<'a>) -> Result<(), ParseError> {
        let word = t.text();
        if word.eq_ignore_ascii_case(b"$ORIGIN") {
            let n = self.lx.next_token()?;
            if !matches!(n.kind, TokenKind::Word(_)) {
                return Err(expected(&n, "a domain name after $ORIGIN"));
            }
            self.origin = self.name(&n)?;
            self.expect_end()
        } else if word.eq_ignore_ascii_case(b"$TTL") {
            let n = self.lx.next_token()?;
            let ttl = parse_ttl(n.text()).filter(|_| matches!(n.kind, TokenKind::Word(_)));
            self.default_ttl = Some(ttl.ok_or_else(|| expected(&n, "a TTL after $TTL"))?);
            self.expect_end()
        } else if word.eq_ignore_ascii_case(b"$INCLUDE") {
            Err(ParseError::new(
                t.line,
                t.col,
                ParseErrorKind::Unsupported("$INCLUDE (no file system here)"),
            ))
        } else if word.eq_ignore_ascii_case(b"$GENERATE") {
            Err(ParseError::new(
                t.line,
                t.col,
                ParseErrorKind::Unsupported("$GENERATE (a BIND extension)"),
            ))
        } else {
            Err(expected(&t, "$ORIGIN, $TTL or $INCLUDE"))
        }
    }

    /// Reads the next record; `Ok(None)` at the end of the input.
    fn record(&mut self) -> Result<Option<Entry>, ParseError> {
        let mut t = loop {
            let t = self.lx.next_token()?;
            match t.kind {
                TokenKind::Eof => return Ok(None),
                TokenKind::Eol => continue,
                TokenKind::Word(w) if t.first && !t.indented && w.first() == Some(&b'$') => {
                    self.directive(t)?
                }
                _ => break t,
            }
        };
        let (line, column) = (t.line, t.col);
        let owner = if t.indented {
            self.last_owner
                .clone()
                .ok_or_else(|| ParseError::new(t.line, t.col, ParseErrorKind::NoOwner))?
        } else {
            if !matches!(t.kind, TokenKind::Word(_)) {
                return Err(expected(&t, "an owner name"));
            }
            let n = self.name(&t)?;
            self.last_owner = Some(n.clone());
            t = self.lx.next_token()?;
            n
        };

        // [<TTL>] [<class>] <type>, TTL and class in either order.
        let mut ttl = None;
        let mut class_seen = false;
        let rtype = loop {
            let TokenKind::Word(w) = t.kind else {
                return Err(expected(&t, TTL_CLASS_OR_TYPE));
            };
            if w[0].is_ascii_digit() {
                if ttl.is_some() {
                    return Err(expected(&t, "a class or a type"));
                }
                ttl = Some(
                    parse_ttl(w)
                        .ok_or_else(|| expected(&t, "a TTL (seconds, or units like 1h30m)"))?,
                );
            } else if let Some(class) = class_from_mnemonic(w) {
                if class_seen {
                    return Err(expected(&t, "a TTL or a type"));
                }
                class_seen = true;
                if class != self.class {
                    return Err(ParseError::new(
                        t.line,
                        t.col,
                        ParseErrorKind::ClassMismatch {
                            found: crate::rdata::text::describe(&t),
                        },
                    ));
                }
            } else if let Some(rtype) = type_from_mnemonic(w) {
                break rtype;
            } else {
                let what = match (ttl.is_some(), class_seen) {
                    (false, false) => TTL_CLASS_OR_TYPE,
                    (true, false) => "a class or a type",
                    (false, true) => "a TTL or a type",
                    (true, true) => "a type",
                };
                return Err(expected(&t, what));
            }
            t = self.lx.next_token()?;
        };
        if is_meta_type(rtype) {
            return Err(expected(
                &t,
                "a type that can appear in a zone (not a meta-type)",
            ));
        }

        let mut rdata = core::mem::take(&mut self.rdata_buf);
        let parsed = RdataText {
            lx: &mut self.lx,
            origin: &self.origin,
            scratch: &mut self.scratch,
            name_buf: &mut self.name_buf,
        }
        .parse(rtype, &mut rdata);
        let result = parsed.and_then(|()| self.expect_end());
        let rd = Rdata::from_validated(rdata.clone());
        self.rdata_buf = rdata;
        result?;
        // The checks that span fields (a digest's length by its type).
        crate::rdata::validate(rtype, rd.as_bytes())
            .map_err(|e| ParseError::new(line, column, ParseErrorKind::Rdata(e)))?;

        let ttl = match ttl.or(self.default_ttl).or(self.last_ttl) {
            Some(ttl) => ttl,
            None if rtype == RecordType::SOA => {
                let b = rd.as_bytes();
                let min = u32::from_be_bytes([
                    b[b.len() - 4],
                    b[b.len() - 3],
                    b[b.len() - 2],
                    b[b.len() - 1],
                ]);
                self.warnings.push(Warning {
                    line,
                    column,
                    message: String::from("no TTL given and no $TTL: using the SOA MINIMUM field"),
                });
                min
            }
            None => return Err(ParseError::new(line, column, ParseErrorKind::NoTtl)),
        };
        let ttl = if ttl > MAX_TTL {
            // RFC 2181 §8: a TTL with the top bit set counts as 0; BIND
            // loads it so, with a warning ("> MAXTTL, setting TTL to 0").
            self.warnings.push(Warning {
                line,
                column,
                message: alloc::format!(
                    "TTL {ttl} is above 2147483647 (RFC 2181 section 8): using 0"
                ),
            });
            0
        } else {
            ttl
        };
        self.last_ttl = Some(ttl);
        Ok(Some(Entry {
            owner,
            ttl,
            rtype,
            rdata: rd,
            line,
            column,
        }))
    }
}

impl Iterator for ZoneParser<'_> {
    type Item = Result<Entry, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some(e) = self.lx.take_pending() {
            // An unbalanced parenthesis found while skipping a bad line.
            self.done = true;
            return Some(Err(e));
        }
        match self.record() {
            Ok(Some(e)) => Some(Ok(e)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                if e.kind == ParseErrorKind::UnbalancedParenthesis {
                    // Nothing sensible follows an unbalanced parenthesis. (An
                    // unterminated string ends with its line, or with the
                    // file inside parentheses: parsing goes on after it.)
                    self.done = true;
                } else {
                    self.lx.skip_line();
                }
                Some(Err(e))
            }
        }
    }
}

/// The largest TTL (RFC 2181 §8: 2^31 - 1).
pub const MAX_TTL: u32 = 0x7fff_ffff;

/// Whether no zone can hold records of type `t`: 0 (reserved), OPT (41),
/// the QTYPE and meta range 128–255 of RFC 6895 §3.1 (TKEY, TSIG, IXFR,
/// AXFR, MAILB, MAILA, ANY, …) and 65535 (reserved). BIND refuses a
/// master file with one ("invalid use of a meta type"), NSD does not know
/// TYPE0, so neither a zone file nor an UPDATE may bring one in.
pub fn is_meta_type(t: RecordType) -> bool {
    matches!(u16::from(t), 0 | 41 | 128..=255 | 65535)
}

/// `IN`, `CH`, `HS`, `CS`, or `CLASSnnn` (RFC 3597 §5).
fn class_from_mnemonic(w: &[u8]) -> Option<DNSClass> {
    match w {
        _ if w.eq_ignore_ascii_case(b"IN") => Some(DNSClass::IN),
        _ if w.eq_ignore_ascii_case(b"CH") => Some(DNSClass::CH),
        _ if w.eq_ignore_ascii_case(b"HS") => Some(DNSClass::HS),
        _ if w.eq_ignore_ascii_case(b"CS") => Some(DNSClass::Unknown(2)),
        _ => {
            let digits = crate::rdata::schema::strip_prefix_ignore_case(w, b"CLASS")?;
            crate::rdata::schema::parse_u16_strict(digits).map(DNSClass::from)
        }
    }
}
