//! Transfer requests: AXFR (RFC 5936 §2.1) and IXFR (RFC 1995 §3) queries,
//! parsed on the server and built on the client.

use alloc::vec::Vec;

use dns_wire::{
    class, opcode, BuildError, Header, Message, MessageBuilder, Name, RecordType, Section,
};
use dns_zone::zone::diff::soa_serial;
use dns_zone::{Serial, Zone};

/// The kind of transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Full zone transfer.
    Axfr,
    /// Incremental zone transfer.
    Ixfr,
}

impl Kind {
    /// The QTYPE.
    pub fn qtype(self) -> RecordType {
        match self {
            Self::Axfr => RecordType::AXFR,
            Self::Ixfr => RecordType::IXFR,
        }
    }
}

/// The transport a request came on or a transfer runs over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP: IXFR only, one message (RFC 1995 §2).
    Udp,
    /// TCP: any number of messages.
    Tcp,
}

/// A transfer request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// Message ID.
    pub id: u16,
    /// Flags word of the request.
    pub flags: u16,
    /// The zone (QNAME).
    pub zone: Name,
    /// AXFR or IXFR.
    pub kind: Kind,
    /// IXFR: the serial of the client's SOA (authority section).
    pub client_serial: Option<Serial>,
    /// The UDP payload size of the request's OPT record (RFC 6891), if any.
    pub udp_payload: Option<u16>,
}

/// Why a message is not a transfer request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// Not worth an answer: shorter than a header, or a response.
    Drop,
    /// Not a query for AXFR or IXFR (the query engine answers it).
    NotTransfer,
    /// Malformed, or an IXFR without the client's SOA (RFC 1995 §3): FORMERR.
    FormErr,
    /// QCLASS other than IN: NOTAUTH, we serve no other class.
    NotIn,
}

impl TransferRequest {
    /// Parses a request (without its TSIG record).
    pub fn parse(msg: &[u8]) -> Result<Self, RequestError> {
        let h = Header::parse(msg).map_err(|_| RequestError::Drop)?;
        if h.is_response() {
            return Err(RequestError::Drop);
        }
        if h.opcode() != opcode::QUERY {
            return Err(RequestError::NotTransfer);
        }
        let m = Message::parse(msg).map_err(|_| RequestError::FormErr)?;
        let [q] = m.questions.as_slice() else {
            return Err(RequestError::FormErr);
        };
        let kind = match q.qtype {
            RecordType::AXFR => Kind::Axfr,
            RecordType::IXFR => Kind::Ixfr,
            _ => return Err(RequestError::NotTransfer),
        };
        if q.qclass != class::IN {
            return Err(RequestError::NotIn);
        }
        let client_serial = match kind {
            Kind::Axfr => None,
            Kind::Ixfr => {
                let soa = m
                    .authority
                    .iter()
                    .find(|r| r.rtype == RecordType::SOA && r.owner == q.name)
                    .ok_or(RequestError::FormErr)?;
                Some(soa_serial(&soa.rdata).ok_or(RequestError::FormErr)?)
            }
        };
        let udp_payload = m
            .additional
            .iter()
            .find(|r| r.rtype == RecordType::OPT && r.owner.is_root())
            .map(|r| r.class);
        Ok(Self {
            id: h.id,
            flags: h.flags,
            zone: q.name.clone(),
            kind,
            client_serial,
            udp_payload,
        })
    }
}

/// An AXFR query for `zone` with ID `id` (unsigned; sign it with
/// `tsig::sign_request`).
pub fn axfr_query(zone: &Name, id: u16) -> Vec<u8> {
    let mut b = MessageBuilder::new(id, 0);
    b.question(zone, RecordType::AXFR, class::IN)
        .expect("a question fits an empty message");
    b.finish()
}

/// An IXFR query for the zone `current` is a version of (RFC 1995 §3: the
/// client's SOA in the authority section).
pub fn ixfr_query(current: &Zone, id: u16) -> Result<Vec<u8>, BuildError> {
    let mut b = MessageBuilder::new(id, 0);
    b.question(current.origin(), RecordType::IXFR, class::IN)?;
    let soa = current.soa();
    b.record(
        Section::Authority,
        current.origin(),
        RecordType::SOA,
        class::IN,
        soa.ttl(),
        soa.first().as_bytes(),
    )?;
    Ok(b.finish())
}
