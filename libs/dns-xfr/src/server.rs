//! The server side: answering AXFR (RFC 5936) and IXFR (RFC 1995) from a
//! zone and its journal, message by message, each TSIG-signed.

use alloc::boxed::Box;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;
use core::iter;

use dns_keys::{Denied, KeyStore, Operation};
use dns_wire::{
    class, flags, rcode, BuildError, Header, Layout, MessageBuilder, Name, RecordType, Section,
};
use dns_zone::{Record, Zone, ZoneDiff};
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

/// One record of a transfer, borrowed from the zone or the journal.
#[derive(Clone, Copy)]
struct Rec<'z> {
    owner: &'z Name,
    ttl: u32,
    rtype: RecordType,
    rdata: &'z [u8],
}

impl<'z> From<&'z Record> for Rec<'z> {
    fn from(r: &'z Record) -> Self {
        Self {
            owner: &r.owner,
            ttl: r.ttl,
            rtype: r.rtype,
            rdata: r.rdata.as_bytes(),
        }
    }
}

/// The messages of one transfer, produced on demand so that a large zone
/// is never encoded at once. Call [`Responder::next_message`] until it
/// returns `None`, framing each message for TCP; or, for an IXFR over UDP,
/// take [`Responder::udp_message`].
pub struct Responder<'z> {
    id: u16,
    flags: u16,
    zone_name: Name,
    qtype: RecordType,
    edns: bool,
    soa: Rec<'z>,
    plan: Plan,
    records: Box<dyn Iterator<Item = Rec<'z>> + 'z>,
    pending: Option<Rec<'z>>,
    signer: Option<StreamSigner>,
    first: bool,
    done: bool,
}

impl fmt::Debug for Responder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Responder")
            .field("zone", &self.zone_name)
            .field("plan", &self.plan)
            .field("done", &self.done)
            .finish()
    }
}

fn diff_records<'z>(d: &'z ZoneDiff) -> impl Iterator<Item = Rec<'z>> + 'z {
    iter::once(Rec::from(&d.old_soa))
        .chain(d.deleted.iter().map(Rec::from))
        .chain(iter::once(Rec::from(&d.new_soa)))
        .chain(d.added.iter().map(Rec::from))
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
        let soa_set = zone.soa();
        let soa = Rec {
            owner: zone.origin(),
            ttl: soa_set.ttl(),
            rtype: RecordType::SOA,
            rdata: soa_set.rdatas()[0].as_bytes(),
        };
        let current = zone.serial();
        let incremental = match (req.kind, req.client_serial) {
            (Kind::Ixfr, Some(client)) if client.partial_cmp(&current) != Some(Ordering::Less) => {
                Some(Vec::new())
            }
            (Kind::Ixfr, Some(client)) => journal
                .and_then(|j| j.diffs_from(client))
                .filter(|d| d.last().is_some_and(|l| l.to_serial() == current)),
            _ => None,
        };
        let (plan, records): (Plan, Box<dyn Iterator<Item = Rec<'z>> + 'z>) = match incremental {
            Some(d) if d.is_empty() => (Plan::UpToDate, Box::new(iter::once(soa))),
            Some(d) => (
                Plan::Incremental { diffs: d.len() },
                Box::new(
                    iter::once(soa)
                        .chain(d.into_iter().flat_map(diff_records))
                        .chain(iter::once(soa)),
                ),
            ),
            None => (
                Plan::Full,
                Box::new(
                    iter::once(soa)
                        .chain(
                            zone.records()
                                .filter(|r| r.1.rtype() != RecordType::SOA)
                                .map(|(owner, set, rd)| Rec {
                                    owner,
                                    ttl: set.ttl(),
                                    rtype: set.rtype(),
                                    rdata: rd.as_bytes(),
                                }),
                        )
                        .chain(iter::once(soa)),
                ),
            ),
        };
        Self {
            id: req.id,
            flags: req.flags,
            zone_name: req.zone.clone(),
            qtype: req.kind.qtype(),
            edns: req.udp_payload.is_some(),
            soa,
            plan,
            records,
            pending: None,
            signer,
            first: true,
            done: false,
        }
    }

    /// How the request is answered.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    /// Whether every message has been produced.
    pub fn is_done(&self) -> bool {
        self.done
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

    /// The next TCP message, signed at `now`; `None` when the transfer is
    /// complete. Messages are packed up to 65535 octets.
    pub fn next_message(&mut self, now: u64) -> Option<Vec<u8>> {
        if self.done {
            return None;
        }
        let mut b = self.builder(MAX_TCP);
        loop {
            let Some(r) = self.pending.take().or_else(|| self.records.next()) else {
                self.done = true;
                break;
            };
            match b.record(Section::Answer, r.owner, r.rtype, class::IN, r.ttl, r.rdata) {
                Ok(()) => {}
                Err(BuildError::Full) if b.counts()[1] > 0 => {
                    self.pending = Some(r);
                    break;
                }
                Err(_) => {
                    // A record too large for a message of its own: the
                    // transfer cannot be done; end it with SERVFAIL.
                    self.done = true;
                    let mut e = self.builder(MAX_TCP);
                    e.set_flags(
                        flags::QR
                            | flags::AA
                            | (self.flags & (flags::OPCODE_MASK | flags::RD))
                            | rcode::SERVFAIL,
                    );
                    return Some(self.seal(e, MAX_TCP, now));
                }
            }
        }
        Some(self.seal(b, MAX_TCP, now))
    }

    /// The one UDP message of an IXFR (RFC 1995 §2): the incremental (or
    /// up-to-date) answer if it fits into `limit` octets; otherwise, and
    /// always for a full transfer, the current SOA alone, which tells the
    /// client to retry over TCP.
    pub fn udp_message(mut self, limit: usize, now: u64) -> Vec<u8> {
        let limit = limit.clamp(512, MAX_TCP);
        if self.plan != Plan::Full {
            let mut b = self.builder(limit);
            let mut fits = true;
            for r in self.records.by_ref() {
                if b.record(Section::Answer, r.owner, r.rtype, class::IN, r.ttl, r.rdata)
                    .is_err()
                {
                    fits = false;
                    break;
                }
            }
            if fits {
                return self.seal(b, limit, now);
            }
        }
        let mut b = self.builder(limit);
        let soa = self.soa;
        let _ = b.record(
            Section::Answer,
            soa.owner,
            soa.rtype,
            class::IN,
            soa.ttl,
            soa.rdata,
        );
        self.seal(b, limit, now)
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
