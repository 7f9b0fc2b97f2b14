//! The client side: a state machine that consumes the messages of an AXFR
//! or IXFR response and yields the new zone or the diffs to it.
//!
//! Feed every received message to [`XfrClient::handle_message`] until it
//! returns [`Progress::Done`]. Which form the answer has is decided by the
//! records, as RFC 1995 §4 describes: after the first SOA (the server's
//! serial), an IXFR answer that goes on with an SOA of our serial is
//! incremental; anything else is a full zone (AXFR-style), which ends at
//! the SOA seen again. A single SOA not newer than ours means "up to
//! date"; over UDP, a single newer SOA means "ask again over TCP".

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use dns_wire::{class, opcode, rcode, Header, Message, Name, RecordType};
use dns_zone::parser::Entry;
use dns_zone::zone::diff::soa_serial;
use dns_zone::{EditError, Rdata, Record, Serial, Zone, ZoneDiff};
use tsig::{Key, ResponseError, ResponseVerifier};

use crate::request::{axfr_query, ixfr_query, Kind, Transport};

/// What a transfer brought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The server has nothing newer than our serial.
    UpToDate {
        /// The server's serial.
        serial: Serial,
    },
    /// Over UDP, the server has a newer serial but the answer did not fit:
    /// transfer over TCP.
    NeedTcp {
        /// The server's serial.
        serial: Serial,
    },
    /// A complete zone (AXFR, or IXFR answered AXFR-style), validated.
    Full(Zone),
    /// The diffs from our version to the server's, in order.
    Incremental(Vec<ZoneDiff>),
}

impl Outcome {
    /// The new version of `base` (our current zone), if there is one:
    /// the full zone, or `base` with every diff applied.
    pub fn into_zone(self, base: Option<&Zone>) -> Result<Option<Zone>, XfrError> {
        match self {
            Self::UpToDate { .. } | Self::NeedTcp { .. } => Ok(None),
            Self::Full(z) => Ok(Some(z)),
            Self::Incremental(diffs) => {
                let mut zone = base
                    .ok_or(XfrError::Malformed(
                        "incremental answer without a base zone",
                    ))?
                    .clone();
                for d in &diffs {
                    zone = zone.apply_diff(d).map_err(XfrError::Diverged)?;
                }
                Ok(Some(zone))
            }
        }
    }
}

/// How much one transfer may bring: a primary (or whoever holds its key)
/// must not make us hold more than the memory we have. A transfer that
/// goes over either bound fails with [`XfrError::TooLarge`] as soon as it
/// does, before the rest is received, and our copy stays as it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Records in the answer (every record of an AXFR, every SOA, deleted
    /// and added record of an IXFR).
    pub records: usize,
    /// Octets of DNS messages in the answer (without TCP length prefixes).
    pub bytes: usize,
}

impl Limits {
    /// No bounds.
    pub const NONE: Limits = Limits {
        records: usize::MAX,
        bytes: usize::MAX,
    };
}

impl Default for Limits {
    fn default() -> Limits {
        Limits::NONE
    }
}

/// Which bound of [`Limits`] a transfer went over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// More records than [`Limits::records`].
    Records(usize),
    /// More octets than [`Limits::bytes`].
    Bytes(usize),
}

/// Where the transfer stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// More messages are expected.
    More,
    /// The transfer is complete.
    Done(Outcome),
}

/// Why a transfer failed. The caller closes the connection and, for an
/// IXFR, may retry with AXFR.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum XfrError {
    /// Not a response to our request (ID, QR, opcode or question differ).
    NotOurs,
    /// The server answered with an error RCODE (NOTAUTH, REFUSED, …).
    Rcode(u16),
    /// A message's TSIG failed, or the server refused ours.
    Tsig(ResponseError),
    /// The stream breaks the rules of RFC 5936 / RFC 1995; says how.
    Malformed(&'static str),
    /// A record outside the zone, or of another class.
    OutOfZone(Name),
    /// The server's serial is older than ours (RFC 1982).
    SerialBackwards {
        /// Our serial.
        ours: Serial,
        /// The server's.
        theirs: Serial,
    },
    /// The transferred zone does not validate; the loader's messages.
    BadZone(Vec<String>),
    /// An incremental diff does not apply to our zone.
    Diverged(EditError),
    /// A message after the transfer was complete.
    AfterEnd,
    /// The answer is larger than the configured [`Limits`].
    TooLarge(Bound),
}

impl fmt::Display for XfrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOurs => f.write_str("a message that does not answer our transfer request"),
            Self::Rcode(rc) => write!(
                f,
                "the server refused the transfer: {}",
                rcode::name(*rc)
                    .map(String::from)
                    .unwrap_or_else(|| format!("RCODE {rc}"))
            ),
            Self::Tsig(e) => write!(f, "TSIG: {e}"),
            Self::Malformed(what) => write!(f, "malformed transfer: {what}"),
            Self::OutOfZone(n) => write!(
                f,
                "record for {} outside the zone",
                dns_zone::name::name_to_string(n)
            ),
            Self::SerialBackwards { ours, theirs } => {
                write!(
                    f,
                    "the server's serial {theirs} is older than ours ({ours})"
                )
            }
            Self::BadZone(errors) => {
                write!(f, "the transferred zone is invalid: {}", errors.join("; "))
            }
            Self::Diverged(e) => write!(f, "the diff does not apply to our copy: {e}"),
            Self::AfterEnd => f.write_str("a message after the end of the transfer"),
            Self::TooLarge(Bound::Records(limit)) => write!(
                f,
                "the transfer has more than {limit} records, the limit (--transfer-max-records); dropped"
            ),
            Self::TooLarge(Bound::Bytes(limit)) => write!(
                f,
                "the transfer has more than {limit} bytes, the limit (--transfer-max-bytes); dropped"
            ),
        }
    }
}

#[derive(Debug)]
enum State {
    /// Waiting for the first SOA.
    Start,
    /// Seen the first SOA (the server's version); the next record decides.
    AfterFirst,
    /// A full zone, collecting records until the SOA comes again.
    Full(Vec<Entry>),
    /// An incremental answer: in the deletions of `current`.
    Deleting(ZoneDiff),
    /// An incremental answer: in the additions of `current`.
    Adding(ZoneDiff),
    /// Finished.
    Done,
}

/// The client side of one transfer.
#[derive(Debug)]
pub struct XfrClient {
    zone: Name,
    kind: Kind,
    transport: Transport,
    id: u16,
    /// Our serial (IXFR, or an AXFR refreshing a zone we have).
    ours: Option<Serial>,
    verifier: Option<ResponseVerifier>,
    first_soa: Option<Record>,
    diffs: Vec<ZoneDiff>,
    full: Option<Zone>,
    state: State,
    messages: usize,
    limits: Limits,
    /// Records and octets received so far, against `limits`.
    records: usize,
    bytes: usize,
}

fn record_to_entry(r: Record) -> Entry {
    Entry {
        owner: r.owner,
        ttl: r.ttl,
        rtype: r.rtype,
        rdata: r.rdata,
        line: 0,
        column: 0,
        file: None,
    }
}

impl XfrClient {
    /// An AXFR of `zone` with ID `id`, signed with `key` at `now` if given;
    /// `current` is our serial if we have a copy (a server going backwards
    /// is then an error). Returns the client and the request to send over
    /// TCP.
    pub fn axfr(
        zone: Name,
        id: u16,
        current: Option<Serial>,
        key: Option<&Key>,
        now: u64,
    ) -> (Self, Vec<u8>) {
        let mut msg = axfr_query(&zone, id);
        let verifier =
            key.map(|k| ResponseVerifier::new(k.clone(), &tsig::sign_request(&mut msg, k, now)));
        (
            Self::new(zone, Kind::Axfr, Transport::Tcp, id, current, verifier),
            msg,
        )
    }

    /// An IXFR from our copy `current` with ID `id` over `transport`,
    /// signed with `key` at `now` if given. Returns the client and the
    /// request.
    pub fn ixfr(
        current: &Zone,
        id: u16,
        transport: Transport,
        key: Option<&Key>,
        now: u64,
    ) -> (Self, Vec<u8>) {
        let mut msg = ixfr_query(current, id).expect("a question and an SOA fit an empty message");
        let verifier =
            key.map(|k| ResponseVerifier::new(k.clone(), &tsig::sign_request(&mut msg, k, now)));
        let client = Self::new(
            current.origin().clone(),
            Kind::Ixfr,
            transport,
            id,
            Some(current.serial()),
            verifier,
        );
        (client, msg)
    }

    /// A client for a request built elsewhere (already signed with `key`
    /// if one is given): the zone, kind and ID come from the request, the
    /// request MAC from its TSIG record. `current` is our serial.
    pub fn from_request(
        request: &[u8],
        transport: Transport,
        current: Option<Serial>,
        key: Option<&Key>,
    ) -> Result<Self, XfrError> {
        let bad = XfrError::Malformed("not a transfer request");
        let m = Message::parse(request).map_err(|_| bad.clone())?;
        let q = m.questions.first().ok_or(bad.clone())?;
        let kind = match q.qtype {
            RecordType::AXFR => Kind::Axfr,
            RecordType::IXFR => Kind::Ixfr,
            _ => return Err(bad),
        };
        let verifier = match key {
            None => None,
            Some(k) => {
                let located = tsig::Tsig::locate(request)
                    .ok()
                    .flatten()
                    .ok_or(XfrError::Malformed("the request is not signed"))?;
                Some(ResponseVerifier::new(k.clone(), &located.tsig.mac))
            }
        };
        Ok(Self::new(
            q.name.clone(),
            kind,
            transport,
            m.header.id,
            current,
            verifier,
        ))
    }

    fn new(
        zone: Name,
        kind: Kind,
        transport: Transport,
        id: u16,
        ours: Option<Serial>,
        verifier: Option<ResponseVerifier>,
    ) -> Self {
        Self {
            zone,
            kind,
            transport,
            id,
            ours,
            verifier,
            first_soa: None,
            diffs: Vec::new(),
            full: None,
            state: State::Start,
            messages: 0,
            limits: Limits::NONE,
            records: 0,
            bytes: 0,
        }
    }

    /// Bounds the size of the answer (no bounds by default).
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.set_limits(limits);
        self
    }

    /// Bounds the size of the rest of the answer.
    pub fn set_limits(&mut self, limits: Limits) {
        self.limits = limits;
    }

    /// Messages handled so far.
    pub fn messages(&self) -> usize {
        self.messages
    }

    /// Consumes the next message of the response, at `now`.
    pub fn handle_message(&mut self, msg: &[u8], now: u64) -> Result<Progress, XfrError> {
        if matches!(self.state, State::Done) {
            return Err(XfrError::AfterEnd);
        }
        let h = Header::parse(msg).map_err(|_| XfrError::Malformed("unreadable message"))?;
        if h.id != self.id || !h.is_response() || h.opcode() != opcode::QUERY {
            return Err(XfrError::NotOurs);
        }
        if let Some(v) = self.verifier.as_mut() {
            v.verify(msg, now).map_err(XfrError::Tsig)?;
        }
        self.bytes = self.bytes.saturating_add(msg.len());
        if self.bytes > self.limits.bytes {
            self.state = State::Done;
            return Err(XfrError::TooLarge(Bound::Bytes(self.limits.bytes)));
        }
        if h.rcode() != rcode::NOERROR {
            return Err(XfrError::Rcode(h.rcode()));
        }
        let m = Message::parse(msg).map_err(|_| XfrError::Malformed("unreadable message"))?;
        // RFC 5936 §2.2.1: the first message copies the question, later
        // ones may; a missing question is accepted.
        if let Some(q) = m.questions.first() {
            if q.name != self.zone || q.qtype != self.kind.qtype() || m.questions.len() > 1 {
                return Err(XfrError::NotOurs);
            }
        }
        self.messages += 1;
        if m.answers.is_empty() {
            return Err(XfrError::Malformed("a message without answer records"));
        }
        self.records = self.records.saturating_add(m.answers.len());
        if self.records > self.limits.records {
            // Drop what was collected at once: it is what the limit guards.
            self.state = State::Done;
            return Err(XfrError::TooLarge(Bound::Records(self.limits.records)));
        }
        for r in m.answers {
            if matches!(self.state, State::Done) {
                return Err(XfrError::Malformed("records after the final SOA"));
            }
            self.record(r)?;
        }
        if let State::Done = self.state {
            if let Some(v) = self.verifier.as_ref() {
                v.finish().map_err(XfrError::Tsig)?;
            }
            return self.outcome().map(Progress::Done);
        }
        if self.transport == Transport::Udp {
            // One message only: a lone newer SOA means "use TCP".
            if let State::AfterFirst = self.state {
                self.state = State::Done;
                let serial = self.first_serial();
                return Ok(Progress::Done(Outcome::NeedTcp { serial }));
            }
            return Err(XfrError::Malformed("incomplete answer over UDP"));
        }
        Ok(Progress::More)
    }

    fn first_serial(&self) -> Serial {
        self.first_soa
            .as_ref()
            .and_then(|s| soa_serial(s.rdata.as_bytes()))
            .unwrap_or(Serial(0))
    }

    /// One answer record.
    fn record(&mut self, r: dns_wire::Record) -> Result<(), XfrError> {
        if r.class != class::IN {
            return Err(XfrError::OutOfZone(r.owner));
        }
        if !self.zone.zone_of(&r.owner) {
            return Err(XfrError::OutOfZone(r.owner));
        }
        let rdata = Rdata::from_wire(r.rtype, &r.rdata)
            .map_err(|_| XfrError::Malformed("RDATA does not fit its type"))?;
        let is_soa = r.rtype == RecordType::SOA;
        if is_soa && r.owner != self.zone {
            return Err(XfrError::Malformed("an SOA record below the apex"));
        }
        let serial = if is_soa {
            soa_serial(rdata.as_bytes())
        } else {
            None
        };
        let rec = Record {
            owner: r.owner,
            ttl: r.ttl,
            rtype: r.rtype,
            rdata,
        };
        let target = self.first_serial();
        self.state = match core::mem::replace(&mut self.state, State::Done) {
            State::Start => {
                let Some(theirs) = serial else {
                    return Err(XfrError::Malformed(
                        "the first record is not the zone's SOA",
                    ));
                };
                self.first_soa = Some(rec);
                match self.ours {
                    Some(ours)
                        if self.kind == Kind::Ixfr
                            && theirs.partial_cmp(&ours) != Some(Ordering::Greater) =>
                    {
                        if theirs < ours {
                            return Err(XfrError::SerialBackwards { ours, theirs });
                        }
                        // RFC 1995 §4 up to date. Anything after it is
                        // ignored: the transfer ends here.
                        State::Done
                    }
                    Some(ours) if theirs < ours => {
                        return Err(XfrError::SerialBackwards { ours, theirs })
                    }
                    _ => State::AfterFirst,
                }
            }
            State::AfterFirst => match serial {
                Some(s) if self.kind == Kind::Ixfr && Some(s) == self.ours && s != target => {
                    State::Deleting(ZoneDiff {
                        old_soa: rec.clone(),
                        new_soa: rec,
                        deleted: Vec::new(),
                        added: Vec::new(),
                    })
                }
                Some(s) if s == target => {
                    // SOA, SOA: a zone of an SOA alone; the loader rejects it.
                    let first = self.first_soa.clone().expect("first SOA seen");
                    self.finish_full(alloc::vec![record_to_entry(first)])?;
                    State::Done
                }
                Some(_) => return Err(XfrError::Malformed("an unexpected SOA as second record")),
                None => {
                    let first = self.first_soa.clone().expect("first SOA seen");
                    State::Full(alloc::vec![record_to_entry(first), record_to_entry(rec)])
                }
            },
            State::Full(mut entries) => match serial {
                Some(s) if s == target => {
                    self.finish_full(entries)?;
                    State::Done
                }
                Some(_) => return Err(XfrError::Malformed("an SOA inside a full transfer")),
                None => {
                    entries.push(record_to_entry(rec));
                    State::Full(entries)
                }
            },
            State::Deleting(mut d) => match serial {
                Some(_) => {
                    d.new_soa = rec;
                    State::Adding(d)
                }
                None => {
                    d.deleted.push(rec);
                    State::Deleting(d)
                }
            },
            State::Adding(mut d) => match serial {
                Some(s) => {
                    let to = d.to_serial();
                    self.diffs.push(d);
                    if s == target && to == target {
                        State::Done
                    } else if s == to {
                        State::Deleting(ZoneDiff {
                            old_soa: rec.clone(),
                            new_soa: rec,
                            deleted: Vec::new(),
                            added: Vec::new(),
                        })
                    } else {
                        return Err(XfrError::Malformed(
                            "a diff that does not start where the last one ended",
                        ));
                    }
                }
                None => {
                    d.added.push(rec);
                    State::Adding(d)
                }
            },
            State::Done => return Err(XfrError::Malformed("records after the final SOA")),
        };
        Ok(())
    }

    fn finish_full(&mut self, entries: Vec<Entry>) -> Result<(), XfrError> {
        let (zone, _warnings) = Zone::from_entries(self.zone.clone(), entries)
            .map_err(|e| XfrError::BadZone(e.errors.into_iter().map(|d| d.message).collect()))?;
        self.full = Some(zone);
        Ok(())
    }

    fn outcome(&mut self) -> Result<Outcome, XfrError> {
        if let Some(z) = self.full.take() {
            return Ok(Outcome::Full(z));
        }
        if !self.diffs.is_empty() {
            let diffs = core::mem::take(&mut self.diffs);
            if Some(diffs[0].from_serial()) != self.ours {
                return Err(XfrError::Malformed(
                    "the first diff does not start at our serial",
                ));
            }
            return Ok(Outcome::Incremental(diffs));
        }
        Ok(Outcome::UpToDate {
            serial: self.first_serial(),
        })
    }
}
