//! NOTIFY messages (RFC 1996 §3): building, parsing, answering.

use alloc::vec::Vec;

use dns_wire::{
    class, flags, opcode, rcode, Header, Layout, Message, MessageBuilder, Name, RecordType, Section,
};
use dns_zone::zone::diff::soa_serial;
use dns_zone::{Serial, Zone};

/// A received NOTIFY.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notify {
    /// Message ID.
    pub id: u16,
    /// The zone (QNAME).
    pub zone: Name,
    /// The serial of the SOA in the answer section, if the sender put one
    /// there (RFC 1996 §3.7: a hint; the secondary asks for the SOA anyway).
    pub serial: Option<Serial>,
}

/// Why a message is not a NOTIFY request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NotifyError {
    /// Not worth an answer: shorter than a header, or a response.
    Drop,
    /// Another opcode.
    NotNotify,
    /// Malformed: not one question of type SOA (RFC 1996 §3.7), class not
    /// IN, or unreadable. FORMERR.
    FormErr,
}

/// A NOTIFY for `zone` with ID `id` (RFC 1996 §3.7): opcode NOTIFY, AA,
/// the question `zone SOA IN`, and the zone's current SOA in the answer
/// section, as BIND sends it.
pub fn notify_message(zone: &Zone, id: u16) -> Vec<u8> {
    let mut b = MessageBuilder::new(id, flags::with_opcode(opcode::NOTIFY) | flags::AA);
    let soa = zone.soa();
    b.question(zone.origin(), RecordType::SOA, class::IN)
        .expect("a question fits an empty message");
    b.record(
        Section::Answer,
        zone.origin(),
        RecordType::SOA,
        class::IN,
        soa.ttl(),
        soa.first().as_bytes(),
    )
    .expect("an SOA fits a message");
    b.finish()
}

/// A NOTIFY for `zone` with ID `id` without the SOA in the answer section
/// (RFC 1996 §3.7 makes it optional): what a client that does not hold the
/// zone sends (the `solodns notify` CLI). Opcode NOTIFY, AA, the question
/// `zone SOA IN`.
pub fn notify_query(zone: &Name, id: u16) -> Vec<u8> {
    let mut b = MessageBuilder::new(id, flags::with_opcode(opcode::NOTIFY) | flags::AA);
    b.question(zone, RecordType::SOA, class::IN)
        .expect("a question fits an empty message");
    b.finish()
}

/// Parses a NOTIFY request (without its TSIG record).
pub fn parse_notify(msg: &[u8]) -> Result<Notify, NotifyError> {
    let h = Header::parse(msg).map_err(|_| NotifyError::Drop)?;
    if h.is_response() {
        return Err(NotifyError::Drop);
    }
    if h.opcode() != opcode::NOTIFY {
        return Err(NotifyError::NotNotify);
    }
    let m = Message::parse(msg).map_err(|_| NotifyError::FormErr)?;
    let [q] = m.questions.as_slice() else {
        return Err(NotifyError::FormErr);
    };
    if q.qtype != RecordType::SOA || q.qclass != class::IN {
        return Err(NotifyError::FormErr);
    }
    let serial = m
        .answers
        .iter()
        .find(|r| r.rtype == RecordType::SOA && r.owner == q.name)
        .and_then(|r| soa_serial(&r.rdata));
    Ok(Notify {
        id: h.id,
        zone: q.name.clone(),
        serial,
    })
}

/// The answer to the NOTIFY `request` with `rc` (RFC 1996 §4.7: the
/// header and question of the request with QR set; AA as received),
/// unsigned.
pub fn notify_response(request: &[u8], rc: u16) -> Vec<u8> {
    let h = Header::parse(request).unwrap_or(Header {
        id: 0,
        flags: 0,
        counts: [0; 4],
    });
    let (qd, question): (u16, &[u8]) = match Layout::walk(request) {
        Ok(l) => (l.header.counts[0], &request[Header::LEN..l.question_end]),
        Err(_) => (0, &[]),
    };
    let mut out = Vec::with_capacity(Header::LEN + question.len() + 128);
    Header {
        id: h.id,
        flags: flags::QR
            | (h.flags & (flags::OPCODE_MASK | flags::AA | flags::RD))
            | (rc & flags::RCODE_MASK),
        counts: [qd, 0, 0, 0],
    }
    .write(&mut out);
    out.extend_from_slice(question);
    out
}

/// Whether `msg` answers the NOTIFY with ID `id`, and its RCODE.
pub(crate) fn response_rcode(msg: &[u8], id: u16) -> Option<u16> {
    let h = Header::parse(msg).ok()?;
    (h.id == id && h.is_response() && h.opcode() == opcode::NOTIFY).then(|| h.rcode())
}

/// RCODE of a successful NOTIFY answer.
pub(crate) const OK: u16 = rcode::NOERROR;
