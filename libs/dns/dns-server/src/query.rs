//! Parsing a received query: header, the one question, and the OPT record.
//!
//! Checks follow NSD's `query_process`: responses (QR=1) and messages
//! shorter than a header are dropped; an opcode other than QUERY gets
//! NOTIMP; a non-zero RCODE, QDCOUNT ≠ 1, records in the answer or authority
//! section, a malformed question, a malformed additional section, a second
//! OPT or an OPT not owned by the root get FORMERR. A TSIG record is noted
//! and left to the caller (TSIG is verified before the engine sees a query).

use alloc::vec::Vec;

use dns_zone::{Name, RecordType};

use crate::edns::Edns;
use crate::wire::read_name;

/// Length of the DNS header.
pub const HEADER_LEN: usize = 12;

/// Opcode QUERY.
pub const OPCODE_QUERY: u8 = 0;

/// A well-formed standard query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// Message ID.
    pub id: u16,
    /// Header flags word as received (RD, CD, … are copied from it).
    pub flags: u16,
    /// The question name as received (case preserved), uncompressed wire form.
    pub qname_wire: Vec<u8>,
    /// The question name.
    pub qname: Name,
    /// QTYPE.
    pub qtype: RecordType,
    /// QCLASS.
    pub qclass: u16,
    /// The OPT record, if any.
    pub edns: Option<Edns>,
    /// Whether the additional section holds a TSIG record.
    pub has_tsig: bool,
}

impl Query {
    /// The RD bit.
    pub fn recursion_desired(&self) -> bool {
        self.flags & 0x0100 != 0
    }

    /// The opcode (always QUERY for a parsed `Query`).
    pub fn opcode(&self) -> u8 {
        ((self.flags >> 11) & 0xf) as u8
    }
}

/// Why a message is not a query the engine answers normally.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum QueryError {
    /// Not worth an answer: shorter than a header, or a response.
    Drop,
    /// Malformed: answer with FORMERR (header only, RD and opcode kept).
    FormErr {
        /// Message ID.
        id: u16,
        /// Flags word of the query.
        flags: u16,
    },
    /// An opcode other than QUERY: answer with NOTIMP (header only).
    NotImp {
        /// Message ID.
        id: u16,
        /// Flags word of the query.
        flags: u16,
    },
    /// EDNS version above 0: answer with BADVERS (RFC 6891 §6.1.3).
    BadVers(Query),
}

fn be16(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
}

/// Parses a received message as a query.
pub fn parse(msg: &[u8]) -> Result<Query, QueryError> {
    if msg.len() < HEADER_LEN {
        return Err(QueryError::Drop);
    }
    let id = u16::from_be_bytes([msg[0], msg[1]]);
    let flags = u16::from_be_bytes([msg[2], msg[3]]);
    if flags & 0x8000 != 0 {
        return Err(QueryError::Drop);
    }
    let opcode = ((flags >> 11) & 0xf) as u8;
    if opcode != OPCODE_QUERY {
        return Err(QueryError::NotImp { id, flags });
    }
    let formerr = QueryError::FormErr { id, flags };
    let count = |i: usize| u16::from_be_bytes([msg[4 + 2 * i], msg[5 + 2 * i]]);
    let (qd, an, ns, ar) = (count(0), count(1), count(2), count(3));
    if flags & 0x000f != 0 || qd != 1 || an != 0 || ns != 0 {
        return Err(formerr);
    }
    let mut qname_wire = Vec::with_capacity(32);
    let pos = read_name(msg, HEADER_LEN, &mut qname_wire).map_err(|_| formerr.clone())?;
    if pos != HEADER_LEN + qname_wire.len() {
        // A compression pointer in the question (it could only point into
        // the header).
        return Err(formerr);
    }
    let (Some(qtype), Some(qclass)) = (be16(msg, pos), be16(msg, pos + 2)) else {
        return Err(formerr);
    };
    let Some((qname, _)) = dns_zone::name::name_from_wire(&qname_wire, 0) else {
        return Err(formerr);
    };
    let mut pos = pos + 4;
    let mut edns = None;
    let mut has_tsig = false;
    let mut scratch = Vec::new();
    for _ in 0..ar {
        let owner_end = read_name(msg, pos, &mut scratch).map_err(|_| formerr.clone())?;
        let (Some(rtype), Some(class), Some(ttl_hi), Some(ttl_lo), Some(rdlen)) = (
            be16(msg, owner_end),
            be16(msg, owner_end + 2),
            be16(msg, owner_end + 4),
            be16(msg, owner_end + 6),
            be16(msg, owner_end + 8),
        ) else {
            return Err(formerr);
        };
        let end = owner_end + 10 + usize::from(rdlen);
        if end > msg.len() {
            return Err(formerr);
        }
        match rtype {
            41 => {
                if edns.is_some() || scratch != [0] {
                    return Err(formerr);
                }
                let [_ext_rcode, version] = ttl_hi.to_be_bytes();
                edns = Some(Edns {
                    payload: class,
                    version,
                    dnssec_ok: ttl_lo & 0x8000 != 0,
                });
            }
            250 => has_tsig = true,
            _ => return Err(formerr),
        }
        pos = end;
    }
    let query = Query {
        id,
        flags,
        qname_wire,
        qname,
        qtype: RecordType::from(qtype),
        qclass,
        edns,
        has_tsig,
    };
    if query.edns.is_some_and(|e| e.version > 0) {
        return Err(QueryError::BadVers(query));
    }
    Ok(query)
}
