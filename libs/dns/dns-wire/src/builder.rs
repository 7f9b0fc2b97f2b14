//! Writing messages section by section, with name compression
//! (RFC 1035 §4.1.4) and a size limit.

use alloc::vec::Vec;
use core::fmt;

use dns_rr::{Name, RecordType};

use crate::compress::NameCompressor;
use crate::header::Header;
use crate::rdata::compressible;

/// A section of a message, in the order they are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Section {
    /// Question (UPDATE: zone).
    Question = 0,
    /// Answer (UPDATE: prerequisites).
    Answer = 1,
    /// Authority (UPDATE: updates).
    Authority = 2,
    /// Additional.
    Additional = 3,
}

/// Why a record was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum BuildError {
    /// The record would make the message longer than its limit; nothing
    /// was written.
    Full,
    /// A record for a section before the one being written (a caller
    /// mistake); nothing was written.
    OutOfOrder,
    /// A section already holds 65535 entries.
    TooManyRecords,
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Full => "the record does not fit into the message",
            Self::OutOfOrder => "sections must be written in order",
            Self::TooManyRecords => "more than 65535 entries in a section",
        })
    }
}

/// A message being written.
///
/// Names are compressed case-insensitively against every name written
/// before (owners, and names in the RDATA of the RFC 1035 types, RFC 3597
/// §4). A record that would cross the size limit is rolled back and
/// [`BuildError::Full`] returned, so a zone transfer can start the next
/// message with it.
#[derive(Debug, Clone)]
pub struct MessageBuilder {
    buf: Vec<u8>,
    /// The names written, to compress later ones against.
    names: NameCompressor,
    counts: [u16; 4],
    section: Section,
    limit: usize,
    scratch: Vec<u8>,
}

impl MessageBuilder {
    /// A message with this ID and flags word, at most 65535 octets.
    pub fn new(id: u16, flags: u16) -> Self {
        let mut buf = Vec::with_capacity(512);
        Header {
            id,
            flags,
            counts: [0; 4],
        }
        .write(&mut buf);
        Self {
            buf,
            names: NameCompressor::new(false),
            counts: [0; 4],
            section: Section::Question,
            limit: 65_535,
            scratch: Vec::with_capacity(256),
        }
    }

    /// Compresses a name only against names of the same case, so that
    /// every name arrives exactly as given (zone transfers: the secondary
    /// serves the case the primary has, as BIND's xfrout does). The
    /// default matches case-insensitively, which compresses more.
    pub fn case_sensitive(mut self, yes: bool) -> Self {
        self.names = NameCompressor::new(yes);
        self
    }

    /// Sets the size limit (at most 65535; at least the header).
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit.clamp(Header::LEN, 65_535);
        self
    }

    /// Changes the size limit (at most 65535; at least the header), e.g.
    /// to add the OPT record into the room reserved for it.
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit.clamp(Header::LEN, 65_535);
    }

    /// The size limit.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Octets written so far.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether only the header is written.
    pub fn is_empty(&self) -> bool {
        self.buf.len() == Header::LEN
    }

    /// Entries per section so far.
    pub fn counts(&self) -> [u16; 4] {
        self.counts
    }

    /// Replaces the flags word.
    pub fn set_flags(&mut self, flags: u16) {
        self.buf[2..4].copy_from_slice(&flags.to_be_bytes());
    }

    /// Appends a question (UPDATE: the zone).
    pub fn question(
        &mut self,
        name: &Name,
        qtype: RecordType,
        qclass: u16,
    ) -> Result<(), BuildError> {
        self.enter(Section::Question)?;
        let mark = self.buf.len();
        self.scratch.clear();
        dns_rr::name::name_to_wire(name, &mut self.scratch);
        let wire = core::mem::take(&mut self.scratch);
        self.name(&wire, true);
        self.scratch = wire;
        self.u16(u16::from(qtype));
        self.u16(qclass);
        self.commit(mark, Section::Question)
    }

    /// Appends a record to `section` (not before the current one). `rdata`
    /// is uncompressed wire format; names in it are compressed for the
    /// RFC 1035 types.
    pub fn record(
        &mut self,
        section: Section,
        owner: &Name,
        rtype: RecordType,
        class: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Result<(), BuildError> {
        self.scratch.clear();
        dns_rr::name::name_to_wire(owner, &mut self.scratch);
        let wire = core::mem::take(&mut self.scratch);
        let r = self.record_wire(section, &wire, rtype, class, ttl, rdata);
        self.scratch = wire;
        r
    }

    /// As [`MessageBuilder::record`], with the owner as an uncompressed wire
    /// name.
    pub fn record_wire(
        &mut self,
        section: Section,
        owner: &[u8],
        rtype: RecordType,
        class: u16,
        ttl: u32,
        rdata: &[u8],
    ) -> Result<(), BuildError> {
        if section == Section::Question {
            return Err(BuildError::OutOfOrder);
        }
        self.enter(section)?;
        let mark = self.buf.len();
        self.name(owner, true);
        self.u16(u16::from(rtype));
        self.u16(class);
        self.buf.extend_from_slice(&ttl.to_be_bytes());
        let len_at = self.buf.len();
        self.u16(0);
        self.rdata(u16::from(rtype), rdata);
        let rdlen = self.buf.len() - len_at - 2;
        if rdlen > usize::from(u16::MAX) {
            self.rollback(mark);
            return Err(BuildError::Full);
        }
        self.buf[len_at..len_at + 2].copy_from_slice(&(rdlen as u16).to_be_bytes());
        self.commit(mark, section)
    }

    /// The finished message.
    pub fn finish(self) -> Vec<u8> {
        self.buf
    }

    fn enter(&mut self, section: Section) -> Result<(), BuildError> {
        if section < self.section {
            return Err(BuildError::OutOfOrder);
        }
        if self.counts[section as usize] == u16::MAX {
            return Err(BuildError::TooManyRecords);
        }
        self.section = section;
        Ok(())
    }

    fn commit(&mut self, mark: usize, section: Section) -> Result<(), BuildError> {
        if self.buf.len() > self.limit {
            self.rollback(mark);
            return Err(BuildError::Full);
        }
        let i = section as usize;
        self.counts[i] += 1;
        self.buf[4 + 2 * i..6 + 2 * i].copy_from_slice(&self.counts[i].to_be_bytes());
        Ok(())
    }

    fn rollback(&mut self, mark: usize) {
        self.buf.truncate(mark);
        self.names.forget_from(mark);
    }

    fn u16(&mut self, v: u16) {
        self.buf.extend_from_slice(&v.to_be_bytes());
    }

    fn rdata(&mut self, rtype: u16, rd: &[u8]) {
        let Some((prefix, names)) = compressible(rtype) else {
            self.buf.extend_from_slice(rd);
            return;
        };
        let Some(fixed) = rd.get(..prefix) else {
            self.buf.extend_from_slice(rd);
            return;
        };
        self.buf.extend_from_slice(fixed);
        let mut p = prefix;
        for _ in 0..names {
            match dns_rr::name::wire_name_len(rd, p) {
                Some(l) => {
                    self.name(&rd[p..p + l], true);
                    p += l;
                }
                None => break,
            }
        }
        self.buf.extend_from_slice(&rd[p..]);
    }

    /// Writes an uncompressed wire name, compressed against earlier names
    /// if `compress`, and remembers its suffixes.
    fn name(&mut self, wire: &[u8], compress: bool) {
        self.names.write(&mut self.buf, wire, compress);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Message;

    fn n(s: &str) -> Name {
        // from_ascii keeps the case (FromStr applies IDNA, which lowercases).
        Name::from_ascii(s).unwrap()
    }

    #[test]
    fn compresses_owners_and_rdata_names() {
        let mut b = MessageBuilder::new(7, 0x8400);
        b.question(&n("Example.com."), RecordType::SOA, 1).unwrap();
        b.record(
            Section::Answer,
            &n("www.example.com."),
            RecordType::CNAME,
            1,
            60,
            b"\x03web\x07example\x03com\x00",
        )
        .unwrap();
        b.record(
            Section::Answer,
            &n("example.com."),
            RecordType::MX,
            1,
            60,
            b"\x00\x0a\x04mail\x07EXAMPLE\x03com\x00",
        )
        .unwrap();
        let msg = b.finish();
        // Question name at 12; "www" + pointer to 12; "web" + pointer to 12.
        assert_eq!(&msg[12 + 17..12 + 17 + 6], b"\x03www\xc0\x0c");
        let m = Message::parse(&msg).unwrap();
        assert_eq!(m.answers[0].rdata, b"\x03web\x07Example\x03com\x00");
        assert_eq!(m.answers[1].owner, n("example.com."));
        // Case of the compressed-against name wins (case-insensitive match).
        assert_eq!(
            m.answers[1].rdata,
            b"\x00\x0a\x04mail\x07Example\x03com\x00"
        );
        assert_eq!(m.header.counts, [1, 2, 0, 0]);
    }

    #[test]
    fn case_sensitive_compression_keeps_case() {
        let mut b = MessageBuilder::new(7, 0x8400).case_sensitive(true);
        b.question(&n("Example.com."), RecordType::SOA, 1).unwrap();
        b.record(
            Section::Answer,
            &n("www.example.com."),
            RecordType::A,
            1,
            60,
            &[1, 2, 3, 4],
        )
        .unwrap();
        b.record(
            Section::Answer,
            &n("ftp.Example.com."),
            RecordType::A,
            1,
            60,
            &[1, 2, 3, 4],
        )
        .unwrap();
        let m = Message::parse(&b.finish()).unwrap();
        let labels = |n: &Name| n.iter().map(|l| l.to_vec()).collect::<Vec<_>>();
        assert_eq!(labels(&m.answers[0].owner)[1], b"example");
        assert_eq!(labels(&m.answers[1].owner)[1], b"Example");
    }

    #[test]
    fn limit_rolls_back() {
        let mut b = MessageBuilder::new(1, 0).with_limit(60);
        b.question(&n("example.com."), RecordType::AXFR, 1).unwrap();
        let mut written = 0;
        loop {
            match b.record(
                Section::Answer,
                &n("a.example.com."),
                RecordType::A,
                1,
                1,
                &[1, 2, 3, 4],
            ) {
                Ok(()) => written += 1,
                Err(e) => {
                    assert_eq!(e, BuildError::Full);
                    break;
                }
            }
        }
        assert!(b.len() <= 60);
        let msg = b.finish();
        let m = Message::parse(&msg).unwrap();
        assert_eq!(m.answers.len(), written);
    }

    #[test]
    fn sections_in_order() {
        let mut b = MessageBuilder::new(1, 0);
        b.record(
            Section::Authority,
            &n("a."),
            RecordType::A,
            1,
            1,
            &[1, 2, 3, 4],
        )
        .unwrap();
        assert_eq!(
            b.record(
                Section::Answer,
                &n("a."),
                RecordType::A,
                1,
                1,
                &[1, 2, 3, 4]
            ),
            Err(BuildError::OutOfOrder)
        );
        assert_eq!(
            b.question(&n("a."), RecordType::A, 1),
            Err(BuildError::OutOfOrder)
        );
    }
}
