//! The client side: building an UPDATE from nsupdate-like operations
//! (RFC 2136 §2.4, §2.5) and checking the response.

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use dns_wire::{
    class, flags, opcode, rcode, BuildError, Header, MessageBuilder, Name, RecordType, Section,
};
use dns_zone::{Rdata, ZoneParser};
use tsig::{Key, ResponseError, ResponseVerifier};

/// A prerequisite (RFC 2136 §2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prerequisite {
    /// §2.4.1 RRset exists (value independent): nsupdate `yxrrset NAME TYPE`.
    RrsetExists(Name, RecordType),
    /// §2.4.2 RRset exists (value dependent): nsupdate `yxrrset NAME TYPE
    /// RDATA` (all records of the set, one entry each).
    RrsetEquals(Name, RecordType, Vec<Rdata>),
    /// §2.4.3 RRset does not exist: nsupdate `nxrrset NAME TYPE`.
    RrsetAbsent(Name, RecordType),
    /// §2.4.4 Name is in use: nsupdate `yxdomain NAME`.
    NameInUse(Name),
    /// §2.4.5 Name is not in use: nsupdate `nxdomain NAME`.
    NameNotInUse(Name),
}

/// An entry of the update section (RFC 2136 §2.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Update {
    /// §2.5.1 Add to an RRset: nsupdate `add NAME TTL TYPE RDATA`.
    Add(Name, u32, RecordType, Rdata),
    /// §2.5.2 Delete an RRset: nsupdate `delete NAME TYPE`.
    DeleteRrset(Name, RecordType),
    /// §2.5.3 Delete all RRsets from a name: nsupdate `delete NAME`.
    DeleteName(Name),
    /// §2.5.4 Delete an RR from an RRset: nsupdate `delete NAME TYPE RDATA`.
    DeleteRecord(Name, RecordType, Rdata),
}

/// An UPDATE being put together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateBuilder {
    /// The zone (ZNAME).
    pub zone: Name,
    /// Prerequisites, in order.
    pub prerequisites: Vec<Prerequisite>,
    /// Updates, in order.
    pub updates: Vec<Update>,
}

impl UpdateBuilder {
    /// An empty UPDATE of `zone`.
    pub fn new(zone: Name) -> Self {
        Self {
            zone,
            prerequisites: Vec::new(),
            updates: Vec::new(),
        }
    }

    /// Adds a prerequisite.
    pub fn require(&mut self, p: Prerequisite) -> &mut Self {
        self.prerequisites.push(p);
        self
    }

    /// Adds an update.
    pub fn update(&mut self, u: Update) -> &mut Self {
        self.updates.push(u);
        self
    }

    /// The unsigned message with ID `id`.
    pub fn build(&self, id: u16) -> Result<Vec<u8>, BuildError> {
        let mut b = MessageBuilder::new(id, flags::with_opcode(opcode::UPDATE));
        b.question(&self.zone, RecordType::SOA, class::IN)?;
        let p = Section::Answer;
        for pr in &self.prerequisites {
            match pr {
                Prerequisite::RrsetExists(n, t) => b.record(p, n, *t, class::ANY, 0, &[])?,
                Prerequisite::RrsetAbsent(n, t) => b.record(p, n, *t, class::NONE, 0, &[])?,
                Prerequisite::NameInUse(n) => {
                    b.record(p, n, RecordType::ANY, class::ANY, 0, &[])?
                }
                Prerequisite::NameNotInUse(n) => {
                    b.record(p, n, RecordType::ANY, class::NONE, 0, &[])?
                }
                Prerequisite::RrsetEquals(n, t, rds) => {
                    for rd in rds {
                        b.record(p, n, *t, class::IN, 0, rd.as_bytes())?;
                    }
                }
            }
        }
        let u = Section::Authority;
        for c in &self.updates {
            match c {
                Update::Add(n, ttl, t, rd) => b.record(u, n, *t, class::IN, *ttl, rd.as_bytes())?,
                Update::DeleteRrset(n, t) => b.record(u, n, *t, class::ANY, 0, &[])?,
                Update::DeleteName(n) => b.record(u, n, RecordType::ANY, class::ANY, 0, &[])?,
                Update::DeleteRecord(n, t, rd) => {
                    b.record(u, n, *t, class::NONE, 0, rd.as_bytes())?
                }
            }
        }
        Ok(b.finish())
    }

    /// The message signed with `key` at `now`, and the verifier of its
    /// response.
    pub fn build_signed(
        &self,
        id: u16,
        key: &Key,
        now: u64,
    ) -> Result<(Vec<u8>, ResponseVerifier), BuildError> {
        let mut msg = self.build(id)?;
        let mac = tsig::sign_request(&mut msg, key, now);
        Ok((msg, ResponseVerifier::new(key.clone(), &mac)))
    }
}

/// Why the server did not accept an UPDATE (or its answer is unusable).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseFailure {
    /// Not a response to our request (ID, QR or opcode differ), or
    /// unreadable.
    NotOurs,
    /// The response's TSIG failed, or the server refused our TSIG.
    Tsig(ResponseError),
    /// The server answered with this RCODE.
    Rcode(u16),
}

impl fmt::Display for ResponseFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOurs => f.write_str("the answer is not a response to our UPDATE"),
            Self::Tsig(e) => write!(f, "TSIG: {e}"),
            Self::Rcode(rc) => {
                let what = match *rc {
                    rcode::FORMERR => "the server could not read the update",
                    rcode::SERVFAIL => "the server failed to apply or store the update",
                    rcode::NOTIMP => "the server does not implement UPDATE",
                    rcode::REFUSED => "the server refused the update (policy or key permissions)",
                    rcode::NXDOMAIN => "a 'name is in use' prerequisite failed",
                    rcode::YXDOMAIN => "a 'name is not in use' prerequisite failed",
                    rcode::YXRRSET => "an 'RRset does not exist' prerequisite failed",
                    rcode::NXRRSET => "an 'RRset exists' prerequisite failed",
                    rcode::NOTAUTH => {
                        "the server is not authoritative for the zone (or rejected the TSIG)"
                    }
                    rcode::NOTZONE => "a name is outside the zone",
                    _ => "error",
                };
                let name = rcode::name(*rc)
                    .map(String::from)
                    .unwrap_or_else(|| format!("RCODE {rc}"));
                write!(f, "{name}: {what}")
            }
        }
    }
}

/// Checks the response to our UPDATE with ID `id`: the TSIG first when
/// the request was signed (`verifier`), then the RCODE.
pub fn check_response(
    response: &[u8],
    id: u16,
    verifier: Option<&mut ResponseVerifier>,
    now: u64,
) -> Result<(), ResponseFailure> {
    let h = Header::parse(response).map_err(|_| ResponseFailure::NotOurs)?;
    if h.id != id || !h.is_response() || h.opcode() != opcode::UPDATE {
        return Err(ResponseFailure::NotOurs);
    }
    if let Some(v) = verifier {
        v.verify(response, now).map_err(ResponseFailure::Tsig)?;
    }
    match h.rcode() {
        rcode::NOERROR => Ok(()),
        rc => Err(ResponseFailure::Rcode(rc)),
    }
}

/// A line of an nsupdate script that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ScriptError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Reads an nsupdate-style script into UPDATEs, one per `send` (or one at
/// the end). Commands, as BIND's `nsupdate`:
///
/// - `zone NAME`; `origin NAME` (for relative names; default the root);
///   `ttl SECONDS` (default TTL of `add`);
/// - `update add NAME [TTL] [IN] TYPE RDATA` (also `add`);
/// - `update delete NAME [[IN] TYPE [RDATA]]` (also `del`, `delete`);
/// - `prereq nxdomain NAME`, `prereq yxdomain NAME`,
///   `prereq nxrrset NAME [IN] TYPE`, `prereq yxrrset NAME [IN] TYPE [RDATA]`;
/// - `send` ends an UPDATE; `server`, `key`, `local`, `show`, `answer`,
///   `debug`, `class IN` and comments (`;`, `#`) are accepted and ignored
///   (the caller handles servers and keys).
///
/// Without a `zone` command, the zone is the name of the first change.
pub fn parse_script(text: &str) -> Result<Vec<UpdateBuilder>, ScriptError> {
    let mut out = Vec::new();
    let mut origin = Name::root();
    let mut default_ttl: Option<u32> = None;
    let mut zone: Option<Name> = None;
    let mut current: Option<UpdateBuilder> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let err = |message: String| ScriptError {
            line: line_no,
            message,
        };
        let line = raw.trim();
        if line.is_empty() || line.starts_with(';') || line.starts_with('#') {
            continue;
        }
        let (cmd, rest) = split_word(line);
        let cmd = cmd.to_ascii_lowercase();
        let (cmd, rest) = match cmd.as_str() {
            "update" => {
                let (sub, rest) = split_word(rest);
                (sub.to_ascii_lowercase(), rest)
            }
            _ => (cmd, rest),
        };
        match cmd.as_str() {
            "zone" => {
                let z = parse_name(rest.trim(), &origin).map_err(&err)?;
                zone = Some(z.clone());
                match current.as_mut() {
                    Some(b) if b.prerequisites.is_empty() && b.updates.is_empty() => b.zone = z,
                    Some(_) => return Err(err(String::from("'zone' after changes: 'send' first"))),
                    None => current = Some(UpdateBuilder::new(z)),
                }
            }
            "origin" => origin = parse_name(rest.trim(), &Name::root()).map_err(&err)?,
            "ttl" => {
                default_ttl = Some(
                    dns_zone::parse_ttl(rest.trim().as_bytes())
                        .ok_or_else(|| err(format!("'{}' is not a TTL", rest.trim())))?,
                )
            }
            "send" => {
                if let Some(b) = current.take() {
                    out.push(b);
                }
            }
            "server" | "local" | "key" | "show" | "answer" | "debug" | "gsstsig" | "oldgsstsig"
            | "realm" => {}
            "class" => {
                if !rest.trim().eq_ignore_ascii_case("IN") {
                    return Err(err(String::from("only class IN is supported")));
                }
            }
            "add" => {
                let (name, ttl, rtype, rdata) =
                    parse_record(rest, &origin, default_ttl).map_err(&err)?;
                let rdata = rdata.ok_or_else(|| err(String::from("'add' needs RDATA")))?;
                builder(&mut current, &zone, &name).update(Update::Add(name, ttl, rtype, rdata));
            }
            "del" | "delete" => {
                let (name, rest2) = split_word(rest);
                let name = parse_name(name, &origin).map_err(&err)?;
                let change = if rest2.trim().is_empty() {
                    Update::DeleteName(name.clone())
                } else {
                    let (_, _, rtype, rdata) =
                        parse_record(rest, &origin, Some(0)).map_err(&err)?;
                    match rdata {
                        Some(rd) => Update::DeleteRecord(name.clone(), rtype, rd),
                        None => Update::DeleteRrset(name.clone(), rtype),
                    }
                };
                builder(&mut current, &zone, &name).update(change);
            }
            "prereq" => {
                let (kind, rest) = split_word(rest);
                let kind = kind.to_ascii_lowercase();
                let (name_text, after_name) = split_word(rest);
                let name = parse_name(name_text, &origin).map_err(&err)?;
                let p = match kind.as_str() {
                    "nxdomain" => Prerequisite::NameNotInUse(name.clone()),
                    "yxdomain" => Prerequisite::NameInUse(name.clone()),
                    "nxrrset" | "yxrrset" => {
                        if after_name.trim().is_empty() {
                            return Err(err(format!("'prereq {kind}' needs a type")));
                        }
                        let (_, _, rtype, rdata) =
                            parse_record(rest, &origin, Some(0)).map_err(&err)?;
                        match (kind.as_str(), rdata) {
                            ("nxrrset", None) => Prerequisite::RrsetAbsent(name.clone(), rtype),
                            ("nxrrset", Some(_)) => {
                                return Err(err(String::from("'prereq nxrrset' takes no RDATA")))
                            }
                            (_, None) => Prerequisite::RrsetExists(name.clone(), rtype),
                            (_, Some(rd)) => {
                                Prerequisite::RrsetEquals(name.clone(), rtype, alloc::vec![rd])
                            }
                        }
                    }
                    _ => {
                        return Err(err(format!(
                            "unknown prerequisite '{kind}': nxdomain, yxdomain, nxrrset or yxrrset"
                        )))
                    }
                };
                let b = builder(&mut current, &zone, &name);
                // Consecutive value-dependent lines for one RRset form one set.
                if let Prerequisite::RrsetEquals(n, t, rds) = &p {
                    if let Some(Prerequisite::RrsetEquals(pn, pt, prds)) =
                        b.prerequisites.last_mut()
                    {
                        if pn == n && pt == t {
                            prds.extend(rds.iter().cloned());
                            continue;
                        }
                    }
                }
                b.require(p);
            }
            other => return Err(err(format!("unknown command '{other}'"))),
        }
    }
    if let Some(b) = current {
        if !b.prerequisites.is_empty() || !b.updates.is_empty() {
            out.push(b);
        }
    }
    Ok(out)
}

fn builder<'a>(
    current: &'a mut Option<UpdateBuilder>,
    zone: &Option<Name>,
    first: &Name,
) -> &'a mut UpdateBuilder {
    current.get_or_insert_with(|| UpdateBuilder::new(zone.clone().unwrap_or_else(|| first.clone())))
}

fn split_word(s: &str) -> (&str, &str) {
    let s = s.trim_start();
    match s.find(char::is_whitespace) {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

fn parse_name(text: &str, origin: &Name) -> Result<Name, String> {
    if text.is_empty() {
        return Err(String::from("a domain name is missing"));
    }
    let mut wire = Vec::new();
    dns_zone::name::parse_name(text.as_bytes(), origin, &mut wire)
        .map_err(|e| format!("'{text}': {e}"))
}

/// The words of `text` with their byte offsets.
fn words(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        match (c.is_whitespace(), start) {
            (true, Some(s)) => {
                out.push((s, &text[s..i]));
                start = None;
            }
            (false, None) => start = Some(i),
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, &text[s..]));
    }
    out
}

/// `NAME [TTL] [IN] TYPE [RDATA]`, the RDATA read with the zone-file
/// parser (so it has the master-file syntax of every type `dns_zone`
/// knows). A TTL is optional where `default_ttl` is given.
fn parse_record(
    text: &str,
    origin: &Name,
    default_ttl: Option<u32>,
) -> Result<(Name, u32, RecordType, Option<Rdata>), String> {
    let words = words(text);
    let name = parse_name(words.first().map_or("", |w| w.1), origin)?;
    let mut i = 1;
    let mut ttl = None;
    if let Some(t) = words
        .get(i)
        .and_then(|w| dns_zone::parse_ttl(w.1.as_bytes()))
    {
        ttl = Some(t);
        i += 1;
    }
    if words.get(i).is_some_and(|w| w.1.eq_ignore_ascii_case("IN")) {
        i += 1;
    }
    let type_text = words
        .get(i)
        .ok_or_else(|| String::from("a record type is missing"))?
        .1;
    let rtype = dns_zone::type_from_mnemonic(type_text.as_bytes())
        .ok_or_else(|| format!("unknown record type '{type_text}'"))?;
    i += 1;
    let ttl = ttl
        .or(default_ttl)
        .ok_or_else(|| String::from("a TTL is missing (give one, or 'ttl SECONDS' first)"))?;
    let Some(&(rdata_at, _)) = words.get(i) else {
        return Ok((name, ttl, rtype, None));
    };
    // Hand the record to the master-file parser, owner absolute.
    let line = format!(
        "{} {} IN {} {}\n",
        dns_zone::name::name_to_string(&name),
        ttl,
        type_text,
        text[rdata_at..].trim()
    );
    let mut parser = ZoneParser::new(line.as_bytes(), origin.clone());
    match parser.next() {
        Some(Ok(e)) if parser.next().is_none() => Ok((name, ttl, rtype, Some(e.rdata))),
        Some(Err(e)) => Err(format!("{}", e.kind)),
        _ => Err(String::from("one record expected")),
    }
}
