//! Reading whole messages: [`Message`] (decoded records) and [`Layout`]
//! (where each record is).

use alloc::vec::Vec;

use dns_rr::{Name, RecordType};

use crate::header::{be16, be32, Header};
use crate::name::{read_name, skip_name, to_name, WireError};
use crate::rdata::read_rdata;

/// An entry of the question section (in UPDATE: the zone section).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// QNAME (case as received).
    pub name: Name,
    /// QTYPE.
    pub qtype: RecordType,
    /// QCLASS.
    pub qclass: u16,
}

/// A resource record as received, names decompressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Owner name (case as received).
    pub owner: Name,
    /// TYPE.
    pub rtype: RecordType,
    /// CLASS (UPDATE uses ANY and NONE, RFC 2136 §2.5).
    pub class: u16,
    /// TTL.
    pub ttl: u32,
    /// RDATA, uncompressed (see the module docs of the crate for which
    /// types have their names expanded). Not yet checked against the
    /// schema of its type; may be empty.
    pub rdata: Vec<u8>,
}

/// A message with all sections decoded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The header as received (its counts match the sections).
    pub header: Header,
    /// The question (zone) section.
    pub questions: Vec<Question>,
    /// The answer (prerequisite) section.
    pub answers: Vec<Record>,
    /// The authority (update) section.
    pub authority: Vec<Record>,
    /// The additional section, the TSIG record included if present.
    pub additional: Vec<Record>,
}

impl Message {
    /// Reads a complete message. Fails on anything malformed, and on
    /// octets after the last record.
    pub fn parse(msg: &[u8]) -> Result<Self, WireError> {
        let header = Header::parse(msg)?;
        let mut pos = Header::LEN;
        let mut scratch = Vec::with_capacity(64);
        let mut questions = Vec::with_capacity(usize::from(header.counts[0]).min(4));
        for _ in 0..header.counts[0] {
            pos = read_name(msg, pos, &mut scratch)?;
            let qtype = be16(msg, pos)?;
            let qclass = be16(msg, pos + 2)?;
            pos += 4;
            questions.push(Question {
                name: to_name(&scratch)?,
                qtype: RecordType::from(qtype),
                qclass,
            });
        }
        let mut sections: [Vec<Record>; 3] = Default::default();
        for (i, section) in sections.iter_mut().enumerate() {
            // A record takes at least 11 octets: never reserve more than
            // the message could hold.
            let n = usize::from(header.counts[i + 1]);
            section.reserve(n.min(msg.len().saturating_sub(pos) / 11));
            for _ in 0..n {
                let (record, next) = read_record(msg, pos, &mut scratch)?;
                section.push(record);
                pos = next;
            }
        }
        if pos != msg.len() {
            return Err(WireError::TrailingData);
        }
        let [answers, authority, additional] = sections;
        Ok(Self {
            header,
            questions,
            answers,
            authority,
            additional,
        })
    }

    /// The first question, if any.
    pub fn question(&self) -> Option<&Question> {
        self.questions.first()
    }
}

/// Reads the record at `pos`; returns it and the position after it.
pub fn read_record(
    msg: &[u8],
    pos: usize,
    scratch: &mut Vec<u8>,
) -> Result<(Record, usize), WireError> {
    let p = read_name(msg, pos, scratch)?;
    let owner = to_name(scratch)?;
    let rtype = be16(msg, p)?;
    let class = be16(msg, p + 2)?;
    let ttl = be32(msg, p + 4)?;
    let rdlen = usize::from(be16(msg, p + 8)?);
    let start = p + 10;
    if start + rdlen > msg.len() {
        return Err(WireError::Truncated);
    }
    let mut rdata = Vec::with_capacity(rdlen);
    read_rdata(msg, start, rdlen, rtype, &mut rdata)?;
    Ok((
        Record {
            owner,
            rtype: RecordType::from(rtype),
            class,
            ttl,
            rdata,
        },
        start + rdlen,
    ))
}

/// Where one record lies in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordPos {
    /// Offset of the owner name.
    pub start: usize,
    /// Offset of the RDATA.
    pub rdata: usize,
    /// Offset after the RDATA.
    pub end: usize,
    /// TYPE.
    pub rtype: u16,
    /// CLASS.
    pub class: u16,
    /// Section: 1 answer, 2 authority, 3 additional.
    pub section: u8,
}

/// The positions of the records of a message, without decoding them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    /// The header.
    pub header: Header,
    /// Offset after the question section.
    pub question_end: usize,
    /// Every record after the question section, in order.
    pub records: Vec<RecordPos>,
}

impl Layout {
    /// Walks a message. Fails on anything truncated or malformed in the
    /// framing (names, lengths) and on trailing octets; RDATA is not looked
    /// into.
    pub fn walk(msg: &[u8]) -> Result<Self, WireError> {
        let header = Header::parse(msg)?;
        let mut pos = Header::LEN;
        for _ in 0..header.counts[0] {
            pos = skip_name(msg, pos)? + 4;
            if pos > msg.len() {
                return Err(WireError::Truncated);
            }
        }
        let question_end = pos;
        let total = header.record_count();
        let mut records = Vec::with_capacity(total.min(msg.len() / 11));
        for (i, &n) in header.counts[1..].iter().enumerate() {
            for _ in 0..n {
                let p = skip_name(msg, pos)?;
                let rtype = be16(msg, p)?;
                let class = be16(msg, p + 2)?;
                let rdlen = usize::from(be16(msg, p + 8)?);
                let end = p + 10 + rdlen;
                if end > msg.len() {
                    return Err(WireError::Truncated);
                }
                records.push(RecordPos {
                    start: pos,
                    rdata: p + 10,
                    end,
                    rtype,
                    class,
                    section: (i + 1) as u8,
                });
                pos = end;
            }
        }
        if pos != msg.len() {
            return Err(WireError::TrailingData);
        }
        Ok(Self {
            header,
            question_end,
            records,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn sample() -> Vec<u8> {
        // ID 1, response, one question, one answer (compressed owner and
        // CNAME target), one additional (A, owner "a.").
        let mut m = vec![0, 1, 0x84, 0, 0, 1, 0, 1, 0, 0, 0, 1];
        m.extend_from_slice(b"\x03www\x07example\x00\x00\x05\x00\x01");
        m.extend_from_slice(b"\xc0\x0c\x00\x05\x00\x01\x00\x00\x0e\x10\x00\x06\x03web\xc0\x10");
        m.extend_from_slice(b"\x01a\x00\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04\xc0\x00\x02\x01");
        m
    }

    #[test]
    fn parse_decompresses() {
        let m = Message::parse(&sample()).unwrap();
        assert_eq!(m.questions.len(), 1);
        assert_eq!(m.answers.len(), 1);
        let a = &m.answers[0];
        assert_eq!(a.owner, "www.example.".parse::<Name>().unwrap());
        assert_eq!(a.rtype, RecordType::CNAME);
        assert_eq!(a.ttl, 3600);
        assert_eq!(a.rdata, b"\x03web\x07example\x00");
        assert_eq!(m.additional[0].rdata, [192, 0, 2, 1]);
    }

    #[test]
    fn layout_positions() {
        let msg = sample();
        let l = Layout::walk(&msg).unwrap();
        assert_eq!(l.question_end, 12 + 13 + 4);
        assert_eq!(l.records.len(), 2);
        assert_eq!(l.records[0].start, l.question_end);
        assert_eq!(l.records[1].end, msg.len());
        assert_eq!(l.records[1].section, 3);
        assert_eq!(l.records[1].rtype, 1);
    }

    #[test]
    fn trailing_and_truncated() {
        let mut msg = sample();
        msg.push(0);
        assert_eq!(Message::parse(&msg), Err(WireError::TrailingData));
        assert_eq!(Layout::walk(&msg), Err(WireError::TrailingData));
        for cut in 0..msg.len() - 1 {
            assert!(Message::parse(&msg[..cut]).is_err(), "cut at {cut}");
            assert!(Layout::walk(&msg[..cut]).is_err(), "cut at {cut}");
        }
    }
}
