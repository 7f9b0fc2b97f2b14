//! The DNS messages of an order: the UPDATEs that add and remove the
//! dns-01 TXT records and publish the certificate, and the TXT query that
//! checks the primary serves a challenge.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use acme::Dns01Challenge;
use dns_update::{Update, UpdateBuilder};
use dns_wire::{class, flags, opcode, rcode, Header, Message, MessageBuilder};
use dns_zone::{Name, Rdata, RecordType};

use crate::scan::{tlsa_rdata, TlsaRole, CERTIFICATE_TTL};

/// TTL of the dns-01 TXT records: short, as they live for minutes and a
/// resolver must not keep a stale value across a retry.
pub const CHALLENGE_TTL: u32 = 60;

/// Why a message could not be built.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MessageError {
    /// A challenge's name is not a domain name (a server bug): the name
    /// as the server sent it.
    BadName(String),
    /// A name is outside the zone the UPDATE is for.
    OutsideZone(Name),
    /// A TXT value longer than one character string (255 octets): the
    /// value.
    LongValue(String),
    /// A certificate does not fit into a TLSA record.
    LargeCertificate(usize),
    /// The certificate chain is empty.
    EmptyChain,
}

impl fmt::Display for MessageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadName(name) => write!(f, "'{name}' is not a domain name"),
            Self::OutsideZone(name) => write!(f, "{} is outside the zone", name.to_ascii()),
            Self::LongValue(value) => {
                write!(f, "the TXT value '{value}' is longer than 255 octets")
            }
            Self::LargeCertificate(len) => {
                write!(
                    f,
                    "a certificate of {len} octets does not fit in a TLSA record"
                )
            }
            Self::EmptyChain => f.write_str("the CA sent an empty certificate chain"),
        }
    }
}

/// The owner of a challenge's TXT record, checked to be in `zone`.
pub fn challenge_name(zone: &Name, challenge: &Dns01Challenge) -> Result<Name, MessageError> {
    let name = crate::parse_name(&challenge.name)
        .ok_or_else(|| MessageError::BadName(challenge.name.clone()))?;
    if !zone.zone_of(&name) {
        return Err(MessageError::OutsideZone(name));
    }
    Ok(name)
}

/// TXT RDATA holding `value` as one character string.
pub fn txt_rdata(value: &str) -> Result<Rdata, MessageError> {
    let len = u8::try_from(value.len()).map_err(|_| MessageError::LongValue(value.into()))?;
    let mut wire = Vec::with_capacity(value.len() + 1);
    wire.push(len);
    wire.extend_from_slice(value.as_bytes());
    Rdata::from_wire(RecordType::TXT, &wire).map_err(|_| MessageError::LongValue(value.into()))
}

fn tlsa(role: TlsaRole, der: &[u8]) -> Result<Rdata, MessageError> {
    Rdata::from_wire(RecordType::TLSA, &tlsa_rdata(role, der))
        .map_err(|_| MessageError::LargeCertificate(der.len()))
}

/// The UPDATE of `zone` adding every challenge's TXT record (TTL
/// [`CHALLENGE_TTL`]; a wildcard and its base name share one owner with
/// two values).
pub fn add_challenges(
    zone: &Name,
    challenges: &[Dns01Challenge],
) -> Result<UpdateBuilder, MessageError> {
    let mut update = UpdateBuilder::new(zone.clone());
    for challenge in challenges {
        let name = challenge_name(zone, challenge)?;
        update.update(Update::Add(
            name,
            CHALLENGE_TTL,
            RecordType::TXT,
            txt_rdata(&challenge.value)?,
        ));
    }
    Ok(update)
}

/// The UPDATE of `zone` deleting exactly those TXT records (not the whole
/// RRset: another client may be validating at the same name).
pub fn remove_challenges(
    zone: &Name,
    challenges: &[Dns01Challenge],
) -> Result<UpdateBuilder, MessageError> {
    let mut update = UpdateBuilder::new(zone.clone());
    for challenge in challenges {
        let name = challenge_name(zone, challenge)?;
        update.update(Update::DeleteRecord(
            name,
            RecordType::TXT,
            txt_rdata(&challenge.value)?,
        ));
    }
    Ok(update)
}

/// The UPDATE of `zone` publishing the certificate `chain` (leaf first) at
/// `tlsa_name`, whose TLSA records are now `current`: every `TLSA 3 0 0`
/// and `TLSA 2 0 0` not in the new chain is deleted, then the leaf is
/// added as `3 0 0` and each issuer as `2 0 0`, TTL
/// [`CERTIFICATE_TTL`]. The CSR and any other TLSA record stay.
pub fn publish_certificate(
    zone: &Name,
    tlsa_name: &Name,
    current: &[Vec<u8>],
    chain: &[Vec<u8>],
) -> Result<UpdateBuilder, MessageError> {
    let (leaf, issuers) = chain.split_first().ok_or(MessageError::EmptyChain)?;
    let mut new = alloc::vec![tlsa(TlsaRole::Certificate, leaf)?];
    for issuer in issuers {
        let rdata = tlsa(TlsaRole::CaCertificate, issuer)?;
        if !new.contains(&rdata) {
            new.push(rdata);
        }
    }
    let mut update = UpdateBuilder::new(zone.clone());
    for rdata in current {
        let superseded = matches!(
            TlsaRole::of(rdata),
            TlsaRole::Certificate | TlsaRole::CaCertificate
        ) && !new.iter().any(|n| n.as_bytes() == rdata.as_slice());
        if superseded {
            let rdata = Rdata::from_wire(RecordType::TLSA, rdata)
                .map_err(|_| MessageError::LargeCertificate(rdata.len()))?;
            update.update(Update::DeleteRecord(
                tlsa_name.clone(),
                RecordType::TLSA,
                rdata,
            ));
        }
    }
    for rdata in new {
        update.update(Update::Add(
            tlsa_name.clone(),
            CERTIFICATE_TTL,
            RecordType::TLSA,
            rdata,
        ));
    }
    Ok(update)
}

/// A query for the TXT records at `name` with ID `id`, without recursion
/// (it goes to the primary, which is authoritative).
pub fn txt_query(id: u16, name: &Name) -> Vec<u8> {
    let mut message = MessageBuilder::new(id, flags::with_opcode(opcode::QUERY));
    message
        .question(name, RecordType::TXT, class::IN)
        .expect("a question always fits an empty message");
    message.finish()
}

/// Why an answer to a TXT query cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AnswerError {
    /// Not the answer to our query (ID, QR, opcode or question differ),
    /// or unreadable: keep waiting for the real one.
    NotOurs,
    /// The answer was truncated.
    Truncated,
    /// The server answered with this RCODE.
    Rcode(u16),
}

impl fmt::Display for AnswerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotOurs => f.write_str("not an answer to our query"),
            Self::Truncated => f.write_str("the answer is truncated"),
            Self::Rcode(rc) => match rcode::name(*rc) {
                Some(name) => write!(f, "the server answered {name}"),
                None => write!(f, "the server answered RCODE {rc}"),
            },
        }
    }
}

/// Whether `message` answers the question `name` / `qtype` (class IN)
/// with ID `id`: a response to a standard query with exactly that
/// question.
pub(crate) fn answers(message: &Message, id: u16, name: &Name, qtype: RecordType) -> bool {
    let header = &message.header;
    header.id == id
        && header.is_response()
        && header.opcode() == opcode::QUERY
        && matches!(message.questions.as_slice(), [q] if q.name == *name && q.qtype == qtype && q.qclass == class::IN)
}

/// The TXT values (character strings joined) at `name` in the answer
/// `message` to our query `id`. NXDOMAIN is an error; a NOERROR answer
/// without TXT records gives no values.
pub fn txt_answer(message: &[u8], id: u16, name: &Name) -> Result<Vec<Vec<u8>>, AnswerError> {
    let header = Header::parse(message).map_err(|_| AnswerError::NotOurs)?;
    if header.id != id {
        return Err(AnswerError::NotOurs);
    }
    let message = Message::parse(message).map_err(|_| AnswerError::NotOurs)?;
    if !answers(&message, id, name, RecordType::TXT) {
        return Err(AnswerError::NotOurs);
    }
    if message.header.flags & flags::TC != 0 {
        return Err(AnswerError::Truncated);
    }
    match message.header.rcode() {
        rcode::NOERROR => {}
        rc => return Err(AnswerError::Rcode(rc)),
    }
    let mut values = Vec::new();
    for record in &message.answers {
        if record.owner != *name || record.rtype != RecordType::TXT || record.class != class::IN {
            continue;
        }
        let mut value = Vec::new();
        let mut rest = record.rdata.as_slice();
        while let Some((&len, tail)) = rest.split_first() {
            let Some((string, tail)) = tail.split_at_checked(usize::from(len)) else {
                return Err(AnswerError::NotOurs);
            };
            value.extend_from_slice(string);
            rest = tail;
        }
        values.push(value);
    }
    Ok(values)
}

/// `name` in presentation form without the final dot, for log lines.
pub(crate) fn show(name: &Name) -> String {
    let text = name.to_ascii();
    match text.strip_suffix('.') {
        Some(t) if !t.is_empty() => String::from(t),
        _ => text,
    }
}

/// `names` joined by commas, for log lines.
pub(crate) fn list(names: &[String]) -> String {
    names.join(", ")
}

/// The challenges' TXT owners with their values, each owner once.
pub(crate) fn expected_txt(
    zone: &Name,
    challenges: &[Dns01Challenge],
) -> Result<Vec<(Name, Vec<String>)>, MessageError> {
    let mut expected: Vec<(Name, Vec<String>)> = Vec::new();
    for challenge in challenges {
        let name = challenge_name(zone, challenge)?;
        match expected.iter_mut().find(|(n, _)| *n == name) {
            Some((_, values)) => values.push(challenge.value.clone()),
            None => expected.push((name, alloc::vec![challenge.value.clone()])),
        }
    }
    Ok(expected)
}
