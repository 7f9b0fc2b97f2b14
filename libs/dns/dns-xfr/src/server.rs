//! The server side: answering AXFR (RFC 5936) and IXFR (RFC 1995) from a
//! zone and its journal, message by message, each TSIG-signed.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;
use core::iter;

use dns_keys::{Denied, KeyStore, Operation};
use dns_wire::{
    class, flags, rcode, BuildError, Header, Layout, MessageBuilder, Name, RecordType, Section,
};
use dns_zone::name::{name_from_wire, MAX_NAME_WIRE_LEN};
use dns_zone::{NameKey, Record, Serial, Zone, ZoneDiff};
use tsig::{RequestError as TsigError, StreamSigner};

use crate::journal::Journal;
use crate::request::{Kind, RequestError, TransferRequest, Transport};

/// Largest DNS message over TCP.
const MAX_TCP: usize = 65_535;
/// Size of an OPT record without options.
const OPT_LEN: usize = 11;
/// The UDP payload we announce in our OPT (DNS Flag Day 2020).
const OUR_UDP_PAYLOAD: u16 = 1232;

/// How a transfer request is answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plan {
    /// The whole zone: SOA, every record, SOA (AXFR, or IXFR from a serial
    /// the journal does not reach).
    Full,
    /// The diffs from the client's serial (RFC 1995 §4): SOA, then per diff
    /// old SOA, deletions, new SOA, additions, then SOA.
    Incremental {
        /// How many diffs.
        diffs: usize,
    },
    /// The client is up to date: the SOA alone.
    UpToDate,
}

/// The owner of a transfer record: a name of the journal or the apex, or
/// the uncompressed wire form of a zone node's owner, made once per node
/// and shared by its records (the zone keeps no `Name` per node).
#[derive(Clone)]
enum Owner<'z> {
    Name(&'z Name),
    Wire(Rc<[u8]>),
}

impl Owner<'_> {
    /// The owner as a name (where a message ends, for its cursor).
    fn to_name(&self) -> Name {
        match self {
            Owner::Name(name) => (*name).clone(),
            Owner::Wire(wire) => name_from_wire(wire, 0).map_or_else(Name::root, |(n, _)| n),
        }
    }
}

/// One record of a transfer, borrowed from the zone or the journal.
#[derive(Clone)]
struct Rec<'z> {
    owner: Owner<'z>,
    ttl: u32,
    rtype: RecordType,
    rdata: &'z [u8],
}

impl Rec<'_> {
    /// Appends this record to the answer section of `b`.
    fn write_to(&self, b: &mut MessageBuilder) -> Result<(), BuildError> {
        let (rtype, ttl, rdata) = (self.rtype, self.ttl, self.rdata);
        match &self.owner {
            Owner::Name(name) => b.record(Section::Answer, name, rtype, class::IN, ttl, rdata),
            Owner::Wire(wire) => b.record_wire(Section::Answer, wire, rtype, class::IN, ttl, rdata),
        }
    }
}

impl<'z> From<&'z Record> for Rec<'z> {
    fn from(r: &'z Record) -> Self {
        Self {
            owner: Owner::Name(&r.owner),
            ttl: r.ttl,
            rtype: r.rtype,
            rdata: r.rdata.as_bytes(),
        }
    }
}

/// Where a transfer stands: the next record to send. `N` is the owner
/// name, borrowed while a message is built and owned between messages, so
/// that a [`Transfer`] holds no borrow of the zone.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Cursor<N> {
    /// The opening SOA.
    Opening,
    /// A full transfer's records: record `rdata` of RRset `set` (SOA
    /// skipped) of the node `owner`.
    Zone { owner: N, set: usize, rdata: usize },
    /// An incremental transfer's records: record `index` of `part` (0 old
    /// SOA, 1 deletions, 2 new SOA, 3 additions) of diff `diff` (counted
    /// from the client's serial).
    Diff { diff: usize, part: u8, index: usize },
    /// The closing SOA.
    Closing,
}

impl Cursor<()> {
    /// This cursor, with `owner` as the owner of a zone record.
    fn with_owner(self, owner: &Name) -> Cursor<Name> {
        match self {
            Cursor::Opening => Cursor::Opening,
            Cursor::Zone { set, rdata, .. } => Cursor::Zone {
                owner: owner.clone(),
                set,
                rdata,
            },
            Cursor::Diff { diff, part, index } => Cursor::Diff { diff, part, index },
            Cursor::Closing => Cursor::Closing,
        }
    }
}

/// The records of a stream, each with the cursor that names it.
/// A zone record's cursor leaves its owner out: it is the record's.
type Records<'z> = Box<dyn Iterator<Item = (Cursor<()>, Rec<'z>)> + 'z>;

/// The zone changed (or went away) since the transfer started: the rest of
/// the stream would mix two versions.
struct Stale;

/// The full zone's records from `owner`/`set`/`rdata` on, the SOA left out.
fn zone_records<'z>(zone: &'z Zone, owner: Name, set: usize, rdata: usize) -> Records<'z> {
    let owner_key = NameKey::new(&owner);
    Box::new(
        zone.nodes_from(&owner)
            .enumerate()
            .flat_map(move |(i, node)| {
                // Resuming inside the node where the last message ended: only the
                // first node of the walk can be it (the rest come after it).
                let mut wire = [0u8; MAX_NAME_WIRE_LEN];
                let len = node.write_owner_wire(&mut wire);
                let name: Rc<[u8]> = Rc::from(&wire[..len]);
                let (set, rdata) = if i == 0 && node.key() == owner_key.as_bytes() {
                    (set, rdata)
                } else {
                    (0, 0)
                };
                node.rrsets()
                    .enumerate()
                    .skip(set)
                    .filter(|(_, s)| s.rtype() != RecordType::SOA)
                    .flat_map(move |(si, s)| {
                        let name = name.clone();
                        let skip = if si == set { rdata } else { 0 };
                        s.rdatas().enumerate().skip(skip).map(move |(ri, rd)| {
                            let cursor = Cursor::Zone {
                                owner: (),
                                set: si,
                                rdata: ri,
                            };
                            let rec = Rec {
                                owner: Owner::Wire(name.clone()),
                                ttl: s.ttl(),
                                rtype: s.rtype(),
                                rdata: rd.as_bytes(),
                            };
                            (cursor, rec)
                        })
                    })
            }),
    )
}

/// The records of `diffs` (RFC 1995 §4: old SOA, deletions, new SOA,
/// additions, per diff) from `diff`/`part`/`index` on.
fn diff_records<'z>(diffs: Vec<&'z ZoneDiff>, diff: usize, part: u8, index: usize) -> Records<'z> {
    Box::new(
        diffs
            .into_iter()
            .enumerate()
            .skip(diff)
            .flat_map(move |(di, d)| {
                let parts: [&'z [Record]; 4] = [
                    core::slice::from_ref(&d.old_soa),
                    &d.deleted,
                    core::slice::from_ref(&d.new_soa),
                    &d.added,
                ];
                let first = di == diff;
                parts
                    .into_iter()
                    .enumerate()
                    .skip(if first { usize::from(part) } else { 0 })
                    .flat_map(move |(pi, records)| {
                        let skip = if first && pi == usize::from(part) {
                            index
                        } else {
                            0
                        };
                        records.iter().enumerate().skip(skip).map(move |(ri, r)| {
                            let cursor = Cursor::Diff {
                                diff: di,
                                part: pi as u8,
                                index: ri,
                            };
                            (cursor, Rec::from(r))
                        })
                    })
            }),
    )
}

/// The messages of one transfer, produced one at a time as the connection
/// takes them, so that a large zone is never encoded at once and a slow
/// reader holds one message, not the zone. Owns no part of the zone: every
/// call to [`Transfer::next_message`] is given the zone (and journal) as
/// served now, and resumes where the last message ended. If the zone got
/// another serial meanwhile (or is gone), the rest would mix two versions:
/// the stream ends with SERVFAIL and the client retries (RFC 5936 §2.2).
///
/// TSIG signing continues across the messages (RFC 8945 §5.3.1): each is
/// signed with the MAC of the one before.
pub struct Transfer {
    id: u16,
    flags: u16,
    /// The question's name, as asked (case kept).
    zone_name: Name,
    /// The zone's apex, for finding it again.
    apex: Name,
    qtype: RecordType,
    edns: bool,
    /// The zone's serial when the transfer started.
    serial: Serial,
    /// The client's serial (IXFR): where the diffs start.
    client_serial: Option<Serial>,
    plan: Plan,
    cursor: Option<Cursor<Name>>,
    signer: Option<StreamSigner>,
    first: bool,
}

impl fmt::Debug for Transfer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Transfer")
            .field("zone", &self.zone_name)
            .field("plan", &self.plan)
            .field("cursor", &self.cursor)
            .finish()
    }
}

fn soa_of(zone: &Zone) -> Rec<'_> {
    Rec {
        owner: Owner::Name(zone.origin()),
        ttl: zone.soa().ttl(),
        rtype: RecordType::SOA,
        rdata: zone.soa().first().as_bytes(),
    }
}

impl Transfer {
    /// The answer to `req` from `zone` (and for IXFR its `journal`),
    /// signed by `signer` (from the verified request) if given.
    pub fn new(
        zone: &Zone,
        journal: Option<&Journal>,
        req: &TransferRequest,
        signer: Option<StreamSigner>,
    ) -> Self {
        let current = zone.serial();
        let plan = match (req.kind, req.client_serial) {
            (Kind::Ixfr, Some(client)) if client.partial_cmp(&current) != Some(Ordering::Less) => {
                Plan::UpToDate
            }
            (Kind::Ixfr, Some(client)) => journal
                .and_then(|j| j.diffs_from(client))
                .filter(|d| d.last().is_some_and(|l| l.to_serial() == current))
                .map_or(Plan::Full, |d| Plan::Incremental { diffs: d.len() }),
            _ => Plan::Full,
        };
        Self {
            id: req.id,
            flags: req.flags,
            zone_name: req.zone.clone(),
            apex: zone.origin().clone(),
            qtype: req.kind.qtype(),
            edns: req.udp_payload.is_some(),
            serial: current,
            client_serial: req.client_serial,
            plan,
            cursor: Some(Cursor::Opening),
            signer,
            first: true,
        }
    }

    /// How the request is answered.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// The apex of the zone transferred: look it (and its journal) up for
    /// each [`Transfer::next_message`].
    pub fn apex(&self) -> &Name {
        &self.apex
    }

    /// Whether every message has been produced.
    pub fn is_done(&self) -> bool {
        self.cursor.is_none()
    }

    /// The records from the cursor on, from `zone` and `journal` as they
    /// are now; `Stale` if they are not the version the transfer started
    /// from.
    fn records<'z>(
        &self,
        zone: Option<&'z Zone>,
        journal: Option<&'z Journal>,
        cursor: &Cursor<Name>,
    ) -> Result<Records<'z>, Stale> {
        let zone = zone.filter(|z| z.serial() == self.serial && *z.origin() == self.apex);
        let zone = zone.ok_or(Stale)?;
        let soa = soa_of(zone);
        let opening = iter::once((Cursor::Opening, soa.clone()));
        let closing = iter::once((Cursor::Closing, soa));
        let diffs = || {
            let client = self.client_serial.ok_or(Stale)?;
            journal
                .and_then(|j| j.diffs_from(client))
                .filter(|d| d.last().is_some_and(|l| l.to_serial() == self.serial))
                .ok_or(Stale)
        };
        let body: Records<'z> = match (&self.plan, cursor) {
            (Plan::UpToDate, Cursor::Opening) => return Ok(Box::new(opening)),
            (Plan::UpToDate, _) => return Ok(Box::new(iter::empty())),
            (_, Cursor::Closing) => return Ok(Box::new(closing)),
            (Plan::Full, Cursor::Opening) => zone_records(zone, zone.origin().clone(), 0, 0),
            (Plan::Full, Cursor::Zone { owner, set, rdata }) => {
                zone_records(zone, owner.clone(), *set, *rdata)
            }
            (Plan::Incremental { .. }, Cursor::Opening) => diff_records(diffs()?, 0, 0, 0),
            (Plan::Incremental { .. }, Cursor::Diff { diff, part, index }) => {
                diff_records(diffs()?, *diff, *part, *index)
            }
            // A cursor of the other plan: cannot happen.
            _ => return Err(Stale),
        };
        let body = body.chain(closing);
        Ok(match cursor {
            Cursor::Opening => Box::new(opening.chain(body)),
            _ => Box::new(body),
        })
    }

    fn builder(&self, limit: usize) -> MessageBuilder {
        let f = flags::QR | flags::AA | (self.flags & (flags::OPCODE_MASK | flags::RD));
        let reserve = self.signer.as_ref().map_or(0, StreamSigner::reserve)
            + if self.edns { OPT_LEN } else { 0 };
        let mut b = MessageBuilder::new(self.id, f)
            .with_limit(limit.saturating_sub(reserve))
            .case_sensitive(true);
        if self.first {
            b.question(&self.zone_name, self.qtype, class::IN)
                .expect("a question fits an empty message");
        }
        b
    }

    fn seal(&mut self, mut b: MessageBuilder, limit: usize, now: u64) -> Vec<u8> {
        if self.edns {
            let reserve = self.signer.as_ref().map_or(0, StreamSigner::reserve);
            b.set_limit(limit.saturating_sub(reserve));
            // The room was reserved: this cannot fail.
            let _ = b.record(
                Section::Additional,
                &Name::root(),
                RecordType::OPT,
                OUR_UDP_PAYLOAD,
                0,
                &[],
            );
        }
        let mut msg = b.finish();
        if let Some(s) = self.signer.as_mut() {
            s.sign(&mut msg, now);
        }
        self.first = false;
        msg
    }

    /// The last message: SERVFAIL (a record too large for a message, or
    /// the zone changed under the transfer).
    fn fail(&mut self, now: u64) -> Vec<u8> {
        self.cursor = None;
        let mut e = self.builder(MAX_TCP);
        e.set_flags(
            flags::QR
                | flags::AA
                | (self.flags & (flags::OPCODE_MASK | flags::RD))
                | rcode::SERVFAIL,
        );
        self.seal(e, MAX_TCP, now)
    }

    /// The next TCP message from `zone` and `journal` as served now (the
    /// zone of [`Transfer::apex`], `None` if it is gone), signed at `now`;
    /// `None` when the transfer is complete. Messages are packed up to
    /// 65535 octets.
    pub fn next_message(
        &mut self,
        zone: Option<&Zone>,
        journal: Option<&Journal>,
        now: u64,
    ) -> Option<Vec<u8>> {
        let cursor = self.cursor.take()?;
        let Ok(records) = self.records(zone, journal, &cursor) else {
            return Some(self.fail(now));
        };
        let mut b = self.builder(MAX_TCP);
        for (at, r) in records {
            match r.write_to(&mut b) {
                Ok(()) => {}
                Err(BuildError::Full) if b.counts()[1] > 0 => {
                    self.cursor = Some(at.with_owner(&r.owner.to_name()));
                    break;
                }
                // A record too large for a message of its own: the
                // transfer cannot be done.
                Err(_) => return Some(self.fail(now)),
            }
        }
        Some(self.seal(b, MAX_TCP, now))
    }

    /// The one UDP message of an IXFR (RFC 1995 §2): the incremental (or
    /// up-to-date) answer if it fits into `limit` octets; otherwise, and
    /// always for a full transfer, the current SOA alone, which tells the
    /// client to retry over TCP.
    pub fn udp_message(
        mut self,
        zone: &Zone,
        journal: Option<&Journal>,
        limit: usize,
        now: u64,
    ) -> Vec<u8> {
        let limit = limit.clamp(512, MAX_TCP);
        if self.plan != Plan::Full {
            if let Ok(records) = self.records(Some(zone), journal, &Cursor::Opening) {
                let mut b = self.builder(limit);
                let fits = records.into_iter().all(|(_, r)| r.write_to(&mut b).is_ok());
                if fits {
                    return self.seal(b, limit, now);
                }
            }
        }
        let mut b = self.builder(limit);
        let _ = soa_of(zone).write_to(&mut b);
        self.seal(b, limit, now)
    }
}

/// A [`Transfer`] with the zone (and journal) it is answered from: for
/// callers that send the whole transfer at once. Call
/// [`Responder::next_message`] until it returns `None`, framing each
/// message for TCP; or, for an IXFR over UDP, take
/// [`Responder::udp_message`]. A server that sends as the connection
/// drains takes the [`Transfer`] out with [`Responder::into_transfer`].
pub struct Responder<'z> {
    zone: &'z Zone,
    journal: Option<&'z Journal>,
    transfer: Transfer,
}

impl fmt::Debug for Responder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.transfer.fmt(f)
    }
}

impl<'z> Responder<'z> {
    /// The answer to `req` from `zone` (and for IXFR its `journal`),
    /// signed by `signer` (from the verified request) if given.
    pub fn new(
        zone: &'z Zone,
        journal: Option<&'z Journal>,
        req: &TransferRequest,
        signer: Option<StreamSigner>,
    ) -> Self {
        Self {
            zone,
            journal,
            transfer: Transfer::new(zone, journal, req, signer),
        }
    }

    /// How the request is answered.
    pub fn plan(&self) -> &Plan {
        self.transfer.plan()
    }

    /// Whether every message has been produced.
    pub fn is_done(&self) -> bool {
        self.transfer.is_done()
    }

    /// The next TCP message, signed at `now`; `None` when the transfer is
    /// complete. Messages are packed up to 65535 octets.
    pub fn next_message(&mut self, now: u64) -> Option<Vec<u8>> {
        self.transfer
            .next_message(Some(self.zone), self.journal, now)
    }

    /// The one UDP message of an IXFR: see [`Transfer::udp_message`].
    pub fn udp_message(self, limit: usize, now: u64) -> Vec<u8> {
        self.transfer
            .udp_message(self.zone, self.journal, limit, now)
    }

    /// The transfer alone, to be continued with the zone as served at each
    /// step ([`Transfer::next_message`]).
    pub fn into_transfer(self) -> Transfer {
        self.transfer
    }
}

/// What to do with a received query.
#[non_exhaustive]
pub enum Handled<'z> {
    /// Send nothing.
    Drop,
    /// Not AXFR or IXFR: hand it to the query engine.
    NotTransfer,
    /// Send this one message (an error, or the UDP answer of an IXFR).
    Respond {
        /// The message.
        response: Vec<u8>,
        /// Why the transfer was refused (`None`: the UDP IXFR answer).
        reason: Option<HandleError>,
    },
    /// Send every message of this transfer over the TCP connection.
    Transfer(Responder<'z>),
}

impl fmt::Debug for Handled<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Drop => f.write_str("Drop"),
            Self::NotTransfer => f.write_str("NotTransfer"),
            Self::Respond { reason, .. } => {
                f.debug_struct("Respond").field("reason", reason).finish()
            }
            Self::Transfer(r) => f.debug_tuple("Transfer").field(r).finish(),
        }
    }
}

/// Why a transfer was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandleError {
    /// The TSIG did not verify.
    Tsig(TsigError),
    /// Unsigned: REFUSED (transfers need a transfer or update key).
    Unsigned,
    /// AXFR over UDP: REFUSED (RFC 5936 §4.2 wants TCP).
    AxfrOverUdp,
    /// Malformed request: FORMERR.
    FormErr,
    /// Not a zone we serve: NOTAUTH.
    NotAuth(Name),
    /// A class other than IN: NOTAUTH.
    NotIn,
    /// The key may not transfer this zone: REFUSED.
    Denied(Denied),
}

impl fmt::Display for HandleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tsig(e) => write!(f, "TSIG: {e}"),
            Self::Unsigned => f.write_str("unsigned zone transfer request"),
            Self::AxfrOverUdp => f.write_str("AXFR over UDP"),
            Self::FormErr => f.write_str("malformed transfer request"),
            Self::NotAuth(z) => write!(
                f,
                "not authoritative for {}",
                dns_zone::name::name_to_string(z)
            ),
            Self::NotIn => f.write_str("transfer of a class other than IN"),
            Self::Denied(d) => write!(f, "{d}"),
        }
    }
}

fn error_response<'z>(
    msg: &[u8],
    rc: u16,
    signer: Option<StreamSigner>,
    now: u64,
    reason: HandleError,
) -> Handled<'z> {
    let h = Header::parse(msg).unwrap_or(Header {
        id: 0,
        flags: 0,
        counts: [0; 4],
    });
    let (qd, question): (u16, &[u8]) = match Layout::walk(msg) {
        Ok(l) => (l.header.counts[0], &msg[Header::LEN..l.question_end]),
        Err(_) => (0, &[]),
    };
    let mut out = Vec::with_capacity(Header::LEN + question.len() + 128);
    Header {
        id: h.id,
        flags: flags::QR | (h.flags & (flags::OPCODE_MASK | flags::RD)) | (rc & flags::RCODE_MASK),
        counts: [qd, 0, 0, 0],
    }
    .write(&mut out);
    out.extend_from_slice(question);
    if let Some(mut s) = signer {
        s.sign(&mut out, now);
    }
    Handled::Respond {
        response: out,
        reason: Some(reason),
    }
}

/// Handles a query that may be a transfer request, at `now`:
///
/// 1. Not a query, or not AXFR/IXFR: [`Handled::Drop`] /
///    [`Handled::NotTransfer`].
/// 2. TSIG: errors as `tsig` prescribes; unsigned → REFUSED.
/// 3. AXFR over UDP → REFUSED; a zone we do not serve (exact apex, via
///    `find`) → NOTAUTH; a key that may not transfer it → REFUSED.
/// 4. TCP: [`Handled::Transfer`]; UDP (IXFR): the one message.
///
/// `find` returns the zone and, for IXFR, its journal. Answers to a
/// verified request are signed.
pub fn handle<'z>(
    msg: &[u8],
    now: u64,
    transport: Transport,
    keys: &KeyStore,
    find: impl FnOnce(&Name) -> Option<(&'z Zone, Option<&'z Journal>)>,
) -> Handled<'z> {
    // Is it a transfer request at all? (Parsed again without TSIG below.)
    match TransferRequest::parse(msg) {
        Err(RequestError::Drop) => return Handled::Drop,
        Err(RequestError::NotTransfer) => return Handled::NotTransfer,
        _ => {}
    }
    let signed = match tsig::verify_request(msg, keys, now) {
        Ok(Some(s)) => s,
        Ok(None) => return error_response(msg, rcode::REFUSED, None, now, HandleError::Unsigned),
        Err(e) => {
            return Handled::Respond {
                response: e.response(msg, now),
                reason: Some(HandleError::Tsig(e)),
            }
        }
    };
    let signer = signed.response_signer();
    let req = match TransferRequest::parse(&signed.stripped(msg)) {
        Ok(r) => r,
        Err(RequestError::NotIn) => {
            return error_response(msg, rcode::NOTAUTH, Some(signer), now, HandleError::NotIn)
        }
        Err(_) => {
            return error_response(msg, rcode::FORMERR, Some(signer), now, HandleError::FormErr)
        }
    };
    if req.kind == Kind::Axfr && transport == Transport::Udp {
        return error_response(
            msg,
            rcode::REFUSED,
            Some(signer),
            now,
            HandleError::AxfrOverUdp,
        );
    }
    let Some((zone, journal)) = find(&req.zone) else {
        let reason = HandleError::NotAuth(req.zone.clone());
        return error_response(msg, rcode::NOTAUTH, Some(signer), now, reason);
    };
    if let Err(d) = keys.authorise(signed.key_name(), Operation::Transfer, zone.origin()) {
        return error_response(msg, d.rcode(), Some(signer), now, HandleError::Denied(d));
    }
    let responder = Responder::new(zone, journal, &req, Some(signer));
    match transport {
        Transport::Tcp => Handled::Transfer(responder),
        Transport::Udp => {
            let limit = usize::from(req.udp_payload.unwrap_or(512));
            Handled::Respond {
                response: responder.udp_message(limit, now),
                reason: None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::{axfr_query, ixfr_query};
    use alloc::format;

    fn name(text: &str) -> Name {
        let mut wire = Vec::new();
        dns_zone::name::parse_name(text.as_bytes(), &Name::root(), &mut wire).expect("name")
    }

    fn zone(serial: u32, hosts: usize) -> Zone {
        let mut text = format!("$TTL 300\n@ SOA ns hostmaster {serial} 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n");
        for i in 0..hosts {
            text.push_str(&format!(
                "host{i} A 10.0.{}.{}\nhost{i} TXT \"host {i} of the zone, padded with some text\"\n",
                (i >> 8) & 255,
                i & 255
            ));
        }
        Zone::parse(text.as_bytes(), name("example.com."))
            .expect("zone")
            .0
    }

    fn request(msg: &[u8]) -> TransferRequest {
        TransferRequest::parse(msg).expect("a transfer request")
    }

    /// A transfer that is given the zone at each step, and so holds no
    /// borrow of it between messages, sends exactly what one over a
    /// borrowed zone sends; and it keeps only a cursor, whatever the zone's
    /// size (its memory is one message at a time, made on demand).
    #[test]
    fn resumed_transfer_equals_the_borrowed_one() {
        let z = zone(1, 5000);
        let req = request(&axfr_query(&name("example.com."), 7));
        let mut borrowed = Responder::new(&z, None, &req, None);
        let mut expected = Vec::new();
        while let Some(m) = borrowed.next_message(0) {
            expected.push(m);
        }
        assert!(expected.len() > 5, "{} messages", expected.len());
        let mut transfer = Transfer::new(&z, None, &req, None);
        let mut got = Vec::new();
        while let Some(m) = transfer.next_message(Some(&z), None, 0) {
            assert!(m.len() <= MAX_TCP);
            got.push(m);
        }
        assert_eq!(got, expected);
        assert!(transfer.is_done());
        // Records in: every one of the zone's, SOA twice.
        let answers: usize = got
            .iter()
            .map(|m| usize::from(Header::parse(m).expect("header").counts[1]))
            .sum();
        assert_eq!(answers, z.record_count() + 1);
    }

    /// A zone replaced by another serial halfway through: the rest would
    /// mix versions, so the stream ends with SERVFAIL; a zone gone, too.
    #[test]
    fn a_zone_changed_under_the_transfer_ends_it_with_servfail() {
        let old = zone(1, 3000);
        let new = zone(2, 3000);
        let req = request(&axfr_query(&name("example.com."), 7));
        for replacement in [Some(&new), None] {
            let mut transfer = Transfer::new(&old, None, &req, None);
            let first = transfer.next_message(Some(&old), None, 0).expect("first");
            assert_eq!(Header::parse(&first).expect("header").flags & 0xf, 0);
            let last = transfer
                .next_message(replacement, None, 0)
                .expect("an error message");
            assert_eq!(
                Header::parse(&last).expect("header").flags & flags::RCODE_MASK,
                rcode::SERVFAIL
            );
            assert_eq!(transfer.next_message(Some(&old), None, 0), None);
        }
    }

    /// IXFR resumes inside the diffs too (a journal diff bigger than a
    /// message), with the same stream as the borrowed responder.
    #[test]
    fn incremental_transfer_resumes_inside_a_diff() {
        let v1 = zone(1, 10);
        let v2 = zone(2, 4000);
        let mut journal = Journal::default();
        journal.push(v1.diff(&v2));
        let req = request(&ixfr_query(&v1, 9).expect("query"));
        let mut borrowed = Responder::new(&v2, Some(&journal), &req, None);
        assert_eq!(borrowed.plan(), &Plan::Incremental { diffs: 1 });
        let mut expected = Vec::new();
        while let Some(m) = borrowed.next_message(0) {
            expected.push(m);
        }
        assert!(expected.len() > 2, "{} messages", expected.len());
        let mut transfer = Transfer::new(&v2, Some(&journal), &req, None);
        let mut got = Vec::new();
        while let Some(m) = transfer.next_message(Some(&v2), Some(&journal), 0) {
            got.push(m);
        }
        assert_eq!(got, expected);
    }
}
