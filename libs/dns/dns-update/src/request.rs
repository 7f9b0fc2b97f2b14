//! The UPDATE message (RFC 2136 §2): header, zone section, prerequisite
//! and update sections as received.

use alloc::vec::Vec;

use dns_wire::{opcode, Header, Message, Name, Record, RecordType};

use crate::error::Refusal;

/// A received UPDATE, its sections not yet interpreted (the checks of
/// RFC 2136 §3.2 and §3.4.1 need the zone and happen in [`crate::apply()`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpdateRequest {
    /// Message ID.
    pub id: u16,
    /// Flags word of the request.
    pub flags: u16,
    /// The zone (ZNAME).
    pub zone: Name,
    /// The zone class (ZCLASS).
    pub zone_class: u16,
    /// The prerequisite section.
    pub prerequisites: Vec<Record>,
    /// The update section.
    pub updates: Vec<Record>,
}

/// Why a message is not an UPDATE request this crate handles.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// Not worth an answer: shorter than a header, or a response.
    Drop,
    /// Another opcode: NOTIMP.
    NotUpdate,
    /// Malformed (RFC 2136 §3.1.1: ZOCOUNT must be 1 and ZTYPE SOA): answer
    /// with the refusal's RCODE.
    Refused(Refusal),
}

impl UpdateRequest {
    /// Parses an UPDATE (without its TSIG record: see
    /// `tsig::SignedRequest::stripped`).
    pub fn parse(msg: &[u8]) -> Result<Self, RequestError> {
        let header = Header::parse(msg).map_err(|_| RequestError::Drop)?;
        if header.is_response() {
            return Err(RequestError::Drop);
        }
        if header.opcode() != opcode::UPDATE {
            return Err(RequestError::NotUpdate);
        }
        let m = Message::parse(msg)
            .map_err(|_| RequestError::Refused(Refusal::FormErr("the message cannot be read")))?;
        if m.questions.len() != 1 {
            return Err(RequestError::Refused(Refusal::FormErr(
                "the zone section must hold exactly one entry",
            )));
        }
        let z = &m.questions[0];
        if z.qtype != RecordType::SOA {
            return Err(RequestError::Refused(Refusal::FormErr(
                "the zone section's type must be SOA",
            )));
        }
        Ok(Self {
            id: header.id,
            flags: header.flags,
            zone: z.name.clone(),
            zone_class: z.qclass,
            prerequisites: m.answers.into_iter().map(rfc2181_ttl).collect(),
            updates: m.authority.into_iter().map(rfc2181_ttl).collect(),
        })
    }
}

/// RFC 2181 §8: "Implementations should treat a TTL value received which
/// has the most significant bit set as if the entire value received was
/// zero." BIND does the same when it loads such a TTL from a file
/// ("TTL 2147483653 > MAXTTL, setting TTL to 0").
fn rfc2181_ttl(mut record: Record) -> Record {
    if record.ttl & 0x8000_0000 != 0 {
        record.ttl = 0;
    }
    record
}
