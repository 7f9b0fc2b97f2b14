//! Master-file parser (RFC 1035 §5; `$TTL` from RFC 2308 §4; unknown types
//! from RFC 3597 §5; BIND's `$GENERATE`).
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
//!
//! `$INCLUDE file [origin]` reads `file` through the caller's
//! [`IncludeFiles`] ([`ZoneParser::with_includes`]; the path rules are in
//! [`include`]). As RFC 1035 §5.1 says, the included file starts with
//! `origin` (or the current origin) and the origin reverts afterwards. As
//! in BIND (and NSD), a `$TTL` set in the included file stays in force
//! after it; an indented first line there continues the including file's
//! owner, which is the owner again after the include. Records and errors
//! from an included file carry its path ([`Entry::file`], [`ParseError::file`]).
//!
//! Line ends: LF or CR LF (a CR is a blank, as in BIND, so files edited on
//! Windows load). A UTF-8 byte-order mark at the start is refused with its
//! own error: BIND does not recognise it either (it reads it as part of
//! the first token, so a `$TTL` or `@` there fails), nor NSD.

pub(crate) mod error;
pub mod generate;
pub mod include;
pub(crate) mod lexer;

use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

use hickory_proto::rr::{DNSClass, Name, RecordType};

pub use error::{ParseError, ParseErrorKind};
pub use include::{IncludeError, IncludeFiles, IncludeProblem};
use lexer::{LexState, Lexer, Token, TokenKind};

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
    /// The `$INCLUDE`d file the record is in (its path in the tree), or
    /// `None` for the file being parsed.
    pub file: Option<Arc<str>>,
}

/// Streaming master-file parser: an iterator of entries or errors.
pub struct ZoneParser<'a> {
    lx: Lexer<'a>,
    /// Included files being read, innermost last.
    frames: Vec<Frame>,
    state: State<'a>,
    /// An error about the file as a whole, reported first (a byte-order mark).
    start_error: Option<ParseError>,
    done: bool,
}

/// An `$INCLUDE`d file being read.
struct Frame {
    text: Vec<u8>,
    lexer: LexState,
    path: Arc<str>,
    /// The including file's origin and owner, restored after this file.
    origin: Name,
    last_owner: Option<Name>,
}

/// What the parser knows between records, whichever file it reads.
struct State<'a> {
    origin: Name,
    class: DNSClass,
    default_ttl: Option<u32>,
    last_ttl: Option<u32>,
    last_owner: Option<Name>,
    warnings: Vec<Warning>,
    scratch: Vec<u8>,
    name_buf: Vec<u8>,
    rdata_buf: Vec<u8>,
    includes: Option<&'a mut dyn IncludeFiles>,
    /// The path of the file being parsed in the include tree.
    own_path: Arc<str>,
    /// The file being read (`None`: the file being parsed).
    file: Option<Arc<str>>,
    include_count: usize,
    generating: Option<Generator>,
    generated: u64,
}

/// A `$GENERATE` being expanded, one record per call.
struct Generator {
    lhs: Vec<u8>,
    rhs: Vec<u8>,
    rtype: RecordType,
    ttl: u32,
    next: u64,
    stop: u64,
    step: u64,
    line: u32,
    column: u32,
    /// Where the `rhs` token starts, for errors in the generated RDATA.
    rhs_at: (u32, u32),
}

/// What reading a line produced.
enum Step {
    Record(Entry),
    Include {
        path: Vec<u8>,
        origin: Option<Name>,
        at: (u32, u32),
    },
    /// A directive that changed the state, or a `$GENERATE` to expand.
    Directive,
    End,
}

const TTL_CLASS_OR_TYPE: &str = "a TTL or a class or a type";

/// The UTF-8 encoding of U+FEFF, the byte-order mark.
const BYTE_ORDER_MARK: &[u8] = b"\xef\xbb\xbf";

impl<'a> ZoneParser<'a> {
    /// A parser for `text` with `origin` as the initial `$ORIGIN`; records
    /// must be of class IN.
    pub fn new(text: &'a [u8], origin: Name) -> Self {
        Self {
            lx: Lexer::new(text),
            frames: Vec::new(),
            state: State {
                origin,
                class: DNSClass::IN,
                default_ttl: None,
                last_ttl: None,
                last_owner: None,
                warnings: Vec::new(),
                scratch: Vec::new(),
                name_buf: Vec::new(),
                rdata_buf: Vec::new(),
                includes: None,
                own_path: Arc::from(""),
                file: None,
                include_count: 0,
                generating: None,
                generated: 0,
            },
            start_error: text
                .starts_with(BYTE_ORDER_MARK)
                .then(|| ParseError::new(1, 1, ParseErrorKind::ByteOrderMark)),
            done: false,
        }
    }

    /// Sets a TTL for records without one, as if the file started with
    /// `$TTL ttl` (OCaml-DNS `_keys` files carry no TTLs).
    pub fn with_default_ttl(mut self, ttl: u32) -> Self {
        self.state.default_ttl = Some(ttl);
        self
    }

    /// Lets `$INCLUDE` read from `files`; `own_path` is the path of the
    /// file being parsed in that tree (for paths relative to its directory
    /// and for loops).
    pub fn with_includes(mut self, files: &'a mut dyn IncludeFiles, own_path: &str) -> Self {
        self.state.includes = Some(files);
        self.state.own_path = Arc::from(own_path);
        self
    }

    /// Warnings collected so far (e.g. a TTL taken from the SOA MINIMUM).
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        core::mem::take(&mut self.state.warnings)
    }

    /// Reads the next step from the innermost open file.
    fn step(&mut self) -> Result<Step, ParseError> {
        match self.frames.last_mut() {
            None => self.state.record(&mut self.lx),
            Some(frame) => {
                let mut lx = Lexer::resume(&frame.text, core::mem::take(&mut frame.lexer));
                let step = self.state.record(&mut lx);
                if step.is_err() {
                    lx.skip_line();
                }
                frame.lexer = lx.suspend();
                step
            }
        }
    }

    /// Opens the file an `$INCLUDE` names, or says why not.
    fn open(&mut self, path: &[u8], origin: Option<Name>) -> Result<(), IncludeProblem> {
        let st = &mut self.state;
        let Some(files) = st.includes.as_deref_mut() else {
            return Err(IncludeProblem::NoTree);
        };
        let path = String::from_utf8_lossy(path);
        let including = self.frames.last().map_or(&st.own_path, |f| &f.path);
        let readings = include::candidates(including, &path)?;
        let mut found = None;
        for reading in &readings {
            let chain = || {
                let mut chain: Vec<String> = core::iter::once(&st.own_path)
                    .chain(self.frames.iter().map(|f| &f.path))
                    .map(|p| String::from(&**p))
                    .collect();
                chain.push(reading.clone());
                chain
            };
            if *reading == *st.own_path || self.frames.iter().any(|f| *f.path == **reading) {
                return Err(IncludeProblem::Loop(chain()));
            }
            match files.read(reading) {
                Ok(text) if text.starts_with(BYTE_ORDER_MARK) => {
                    return Err(IncludeProblem::Refused(alloc::format!(
                        "{reading}: {}",
                        ParseErrorKind::ByteOrderMark
                    )))
                }
                Ok(text) => {
                    found = Some((reading.clone(), text));
                    break;
                }
                Err(IncludeError::NotFound) => {}
                Err(IncludeError::Refused(why)) => {
                    return Err(IncludeProblem::Refused(alloc::format!("{reading}: {why}")))
                }
            }
        }
        let Some((reading, text)) = found else {
            return Err(IncludeProblem::NotFound(readings));
        };
        if self.frames.len() >= include::MAX_INCLUDE_DEPTH {
            return Err(IncludeProblem::TooDeep);
        }
        if st.include_count >= include::MAX_INCLUDES {
            return Err(IncludeProblem::TooMany);
        }
        st.include_count += 1;
        let path: Arc<str> = Arc::from(reading.as_str());
        let origin = origin.unwrap_or_else(|| st.origin.clone());
        self.frames.push(Frame {
            lexer: LexState::start(),
            path: path.clone(),
            origin: core::mem::replace(&mut st.origin, origin),
            last_owner: st.last_owner.clone(),
            text,
        });
        st.file = Some(path);
        Ok(())
    }

    /// Closes the innermost included file: the including file's origin and
    /// owner come back.
    fn close(&mut self) {
        let frame = self.frames.pop().expect("an included file is open");
        self.state.origin = frame.origin;
        self.state.last_owner = frame.last_owner;
        self.state.file = self.frames.last().map(|f| f.path.clone());
    }

    fn next_item(&mut self) -> Option<Result<Entry, ParseError>> {
        loop {
            if self.state.generating.is_some() {
                match self.state.generate_next() {
                    Some(item) => return Some(item),
                    None => continue,
                }
            }
            let pending = match self.frames.last_mut() {
                None => self.lx.take_pending(),
                Some(f) => f.lexer.take_pending(),
            };
            if let Some(e) = pending {
                // An unbalanced parenthesis found while skipping a bad line:
                // nothing sensible follows in this file.
                let e = self.state.locate(e);
                if self.frames.is_empty() {
                    self.done = true;
                } else {
                    self.close();
                }
                return Some(Err(e));
            }
            match self.step() {
                Ok(Step::Record(e)) => return Some(Ok(e)),
                Ok(Step::Directive) => {}
                Ok(Step::Include { path, origin, at }) => {
                    if let Err(problem) = self.open(&path, origin) {
                        let kind = ParseErrorKind::Include {
                            path: String::from_utf8_lossy(&path).into(),
                            problem,
                        };
                        return Some(Err(self.state.locate(ParseError::new(at.0, at.1, kind))));
                    }
                }
                Ok(Step::End) if self.frames.is_empty() => {
                    self.done = true;
                    return None;
                }
                Ok(Step::End) => self.close(),
                Err(e) => {
                    let e = self.state.locate(e);
                    if e.kind == ParseErrorKind::UnbalancedParenthesis {
                        // Nothing sensible follows an unbalanced parenthesis. (An
                        // unterminated string ends with its line, or with the
                        // file inside parentheses: parsing goes on after it.)
                        if self.frames.is_empty() {
                            self.done = true;
                        } else {
                            self.close();
                        }
                    } else if self.frames.is_empty() {
                        self.lx.skip_line();
                    }
                    return Some(Err(e));
                }
            }
        }
    }
}

impl<'a> State<'a> {
    /// `e` with the file it is in.
    fn locate(&self, mut e: ParseError) -> ParseError {
        if e.file.is_none() {
            e.file = self.file.clone();
        }
        e
    }

    fn name(&mut self, t: &Token<'_>) -> Result<Name, ParseError> {
        parse_name(t.text(), &self.origin, &mut self.name_buf)
            .map_err(|e| crate::rdata::text::name_error(t, e))
    }

    fn expect_end(&mut self, lx: &mut Lexer<'_>) -> Result<(), ParseError> {
        let t = lx.next_token()?;
        if t.is_end() {
            Ok(())
        } else {
            Err(expected(&t, "end of line"))
        }
    }

    fn directive<'t>(&mut self, lx: &mut Lexer<'t>, t: Token<'t>) -> Result<Step, ParseError> {
        let word = t.text();
        if word.eq_ignore_ascii_case(b"$ORIGIN") {
            let n = lx.next_token()?;
            if !matches!(n.kind, TokenKind::Word(_)) {
                return Err(expected(&n, "a domain name after $ORIGIN"));
            }
            self.origin = self.name(&n)?;
            self.expect_end(lx)?;
            Ok(Step::Directive)
        } else if word.eq_ignore_ascii_case(b"$TTL") {
            let n = lx.next_token()?;
            let ttl = parse_ttl(n.text()).filter(|_| matches!(n.kind, TokenKind::Word(_)));
            self.default_ttl = Some(ttl.ok_or_else(|| expected(&n, "a TTL after $TTL"))?);
            self.expect_end(lx)?;
            Ok(Step::Directive)
        } else if word.eq_ignore_ascii_case(b"$INCLUDE") {
            let p = lx.next_token()?;
            if p.is_end() {
                return Err(expected(&p, "a file name after $INCLUDE"));
            }
            let mut path = Vec::new();
            crate::rdata::text::unescape_into(p.text(), &mut path)
                .ok_or_else(|| expected(&p, "a file name (with valid escapes)"))?;
            let o = lx.next_token()?;
            let origin = if o.is_end() {
                None
            } else {
                if !matches!(o.kind, TokenKind::Word(_)) {
                    return Err(expected(&o, "a domain name (the included file's origin)"));
                }
                let origin = self.name(&o)?;
                self.expect_end(lx)?;
                Some(origin)
            };
            Ok(Step::Include {
                path,
                origin,
                at: (p.line, p.col),
            })
        } else if word.eq_ignore_ascii_case(b"$GENERATE") {
            self.generate(lx, t)
        } else {
            Err(expected(&t, "$ORIGIN, $TTL, $INCLUDE or $GENERATE"))
        }
    }

    /// `$GENERATE range lhs [ttl] [class] type rhs`, read as BIND reads it
    /// (class and TTL in either order).
    fn generate<'t>(&mut self, lx: &mut Lexer<'t>, t: Token<'t>) -> Result<Step, ParseError> {
        let word = |lx: &mut Lexer<'t>, what: &'static str| -> Result<Token<'t>, ParseError> {
            let w = lx.next_token()?;
            match w.kind {
                TokenKind::Word(_) => Ok(w),
                _ => Err(expected(&w, what)),
            }
        };
        let range = word(lx, "a range start-stop[/step] after $GENERATE")?;
        let (start, stop, step) =
            generate::parse_range(range.text()).map_err(|what| expected(&range, what))?;
        let lhs = word(lx, "an owner name template after the $GENERATE range")?;
        let mut ttl = None;
        let mut class_seen = false;
        let mut next = word(lx, TTL_CLASS_OR_TYPE)?;
        let rtype = loop {
            let w = next.text();
            if w[0].is_ascii_digit() && ttl.is_none() {
                ttl = Some(
                    parse_ttl(w)
                        .ok_or_else(|| expected(&next, "a TTL (seconds, or units like 1h30m)"))?,
                );
            } else if let Some(class) = class_from_mnemonic(w).filter(|_| !class_seen) {
                class_seen = true;
                if class != self.class {
                    return Err(ParseError::new(
                        next.line,
                        next.col,
                        ParseErrorKind::ClassMismatch {
                            found: crate::rdata::text::describe(&next),
                        },
                    ));
                }
            } else if let Some(rtype) = type_from_mnemonic(w) {
                break rtype;
            } else {
                return Err(expected(&next, "a type"));
            }
            next = word(lx, "a type")?;
        };
        if is_meta_type(rtype) {
            return Err(expected(
                &next,
                "a type that can appear in a zone (not a meta-type)",
            ));
        }
        let rhs = lx.next_token()?;
        if rhs.is_end() {
            return Err(expected(&rhs, "an RDATA template after the $GENERATE type"));
        }
        self.expect_end(lx)?;
        let n = generate::count(start, stop, step);
        if n > generate::MAX_GENERATE || self.generated + n > generate::MAX_GENERATED_PER_ZONE {
            return Err(ParseError::new(
                range.line,
                range.col,
                ParseErrorKind::TooManyGenerated {
                    count: n,
                    limit: if n > generate::MAX_GENERATE {
                        generate::MAX_GENERATE
                    } else {
                        generate::MAX_GENERATED_PER_ZONE - self.generated
                    },
                },
            ));
        }
        let ttl = match ttl.or(self.default_ttl).or(self.last_ttl) {
            Some(ttl) => ttl,
            None => return Err(ParseError::new(t.line, t.col, ParseErrorKind::NoTtl)),
        };
        // As in BIND, the TTL holds for later records without one.
        self.last_ttl = Some(ttl);
        self.generated += n;
        self.generating = Some(Generator {
            lhs: lhs.text().to_vec(),
            rhs: rhs.text().to_vec(),
            rtype,
            ttl,
            next: start,
            stop,
            step,
            line: t.line,
            column: t.col,
            rhs_at: (rhs.line, rhs.col),
        });
        Ok(Step::Directive)
    }

    /// The next record of the `$GENERATE` being expanded; `None` once done.
    /// After an error the rest of that `$GENERATE` is dropped (the same
    /// error would repeat for every value).
    fn generate_next(&mut self) -> Option<Result<Entry, ParseError>> {
        let g = self.generating.as_mut()?;
        if g.next > g.stop {
            self.generating = None;
            return None;
        }
        let value = g.next;
        g.next += g.step;
        let (lhs_t, rhs_t) = (g.lhs.clone(), g.rhs.clone());
        let (rtype, ttl, line, column, rhs_at) = (g.rtype, g.ttl, g.line, g.column, g.rhs_at);
        let file = self.file.clone();
        let at = |kind| {
            let mut e = ParseError::new(line, column, kind);
            e.file = file.clone();
            e
        };
        let mut lhs = Vec::new();
        let mut rhs = Vec::new();
        let substituted = generate::substitute(&lhs_t, value, &mut lhs)
            .and_then(|()| generate::substitute(&rhs_t, value, &mut rhs));
        if let Err(what) = substituted {
            self.generating = None;
            return Some(Err(at(ParseErrorKind::Generate {
                problem: String::from(what),
            })));
        }
        let owner = match parse_name(&lhs, &self.origin, &mut self.name_buf) {
            Ok(owner) => owner,
            Err(error) => {
                self.generating = None;
                return Some(Err(at(ParseErrorKind::Name {
                    error,
                    found: describe_bytes(&lhs),
                })));
            }
        };
        let mut lx = Lexer::new(&rhs);
        let mut rdata = core::mem::take(&mut self.rdata_buf);
        let parsed = RdataText {
            lx: &mut lx,
            origin: &self.origin,
            scratch: &mut self.scratch,
            name_buf: &mut self.name_buf,
        }
        .parse(rtype, &mut rdata);
        let result = parsed.and_then(|()| self.expect_end(&mut lx));
        let rd = Rdata::from_validated(rdata.clone());
        self.rdata_buf = rdata;
        if let Err(e) = result {
            self.generating = None;
            // Positions inside the generated text mean nothing to the
            // reader: point at the template, and say what it made.
            let kind = ParseErrorKind::Generate {
                problem: alloc::format!(
                    "for {value}, the RDATA {} gives: {}",
                    describe_bytes(&rhs),
                    e.kind
                ),
            };
            return Some(Err(self.locate(ParseError::new(rhs_at.0, rhs_at.1, kind))));
        }
        Some(Ok(Entry {
            owner,
            ttl,
            rtype,
            rdata: rd,
            line,
            column,
            file: self.file.clone(),
        }))
    }

    /// Reads the next record or directive of `lx`.
    fn record<'t>(&mut self, lx: &mut Lexer<'t>) -> Result<Step, ParseError> {
        let mut t = loop {
            let t = lx.next_token()?;
            match t.kind {
                TokenKind::Eof => return Ok(Step::End),
                TokenKind::Eol => continue,
                TokenKind::Word(w) if t.first && !t.indented && w.first() == Some(&b'$') => {
                    return self.directive(lx, t)
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
            t = lx.next_token()?;
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
            t = lx.next_token()?;
        };
        if is_meta_type(rtype) {
            return Err(expected(
                &t,
                "a type that can appear in a zone (not a meta-type)",
            ));
        }

        let mut rdata = core::mem::take(&mut self.rdata_buf);
        let parsed = RdataText {
            lx,
            origin: &self.origin,
            scratch: &mut self.scratch,
            name_buf: &mut self.name_buf,
        }
        .parse(rtype, &mut rdata);
        let result = parsed.and_then(|()| self.expect_end(lx));
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
                    file: self.file.as_deref().map(String::from),
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
                file: self.file.as_deref().map(String::from),
            });
            0
        } else {
            ttl
        };
        self.last_ttl = Some(ttl);
        Ok(Step::Record(Entry {
            owner,
            ttl,
            rtype,
            rdata: rd,
            line,
            column,
            file: self.file.clone(),
        }))
    }
}

impl Iterator for ZoneParser<'_> {
    type Item = Result<Entry, ParseError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.start_error.take() {
            // Nothing is read after a byte-order mark (see the module doc).
            self.done = true;
            return Some(Err(e));
        }
        if self.done {
            return None;
        }
        self.next_item()
    }
}

/// `bytes` quoted for an error message, non-printable bytes escaped.
fn describe_bytes(bytes: &[u8]) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        if (0x20..0x7f).contains(&b) {
            s.push(char::from(b));
        } else {
            crate::name::push_decimal_escape(&mut s, b);
        }
    }
    s.push('"');
    s
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
