//! A zone's journal: its changes ([`ZoneDiff`]) in a binary form, appended
//! one entry per change, so that a change is durable once its entry is
//! written (cost of the change) and the zone file can be rewritten later
//! (cost of the zone), as BIND's `.jnl` and Knot's journal do.
//!
//! Entry layout (all integers big-endian):
//!
//! ```text
//! "SDJ1"  magic
//! u32     body length
//! u64     FNV-1a of the body
//! body:   old SOA record, new SOA record,
//!         u32 count, deleted records, u32 count, added records
//! record: owner (uncompressed wire), u16 type, u32 TTL, u16 RDLENGTH, RDATA
//! ```
//!
//! An entry is written whole or, after a crash in the middle of the write,
//! found torn: [`read_journal`] returns the entries before it and says why
//! the rest was not read. A torn entry was never acknowledged (the writer
//! syncs before it answers), so dropping it loses nothing.

use alloc::vec::Vec;
use core::fmt;

use hickory_proto::rr::RecordType;

use super::diff::{Record, ZoneDiff};
use crate::name::{name_from_wire, name_to_wire};
use crate::rdata::{Rdata, RdataError};

/// The first bytes of every entry.
pub const JOURNAL_MAGIC: [u8; 4] = *b"SDJ1";
const HEADER: usize = 4 + 4 + 8;

/// Why the journal's bytes stop being entries at `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JournalError {
    /// Byte offset of the entry that could not be read.
    pub offset: usize,
    /// What is wrong with it.
    pub kind: JournalErrorKind,
}

/// What is wrong with a journal entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum JournalErrorKind {
    /// The entry does not start with [`JOURNAL_MAGIC`].
    BadMagic,
    /// The file ends inside the entry (a write cut short).
    Truncated,
    /// The body does not match its checksum.
    Checksum,
    /// The body's checksum matches but a record in it is malformed.
    BadRecord,
    /// A record's RDATA does not fit its type.
    BadRdata(RdataError),
}

impl fmt::Display for JournalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "journal entry at byte {}: ", self.offset)?;
        match self.kind {
            JournalErrorKind::BadMagic => f.write_str("not an entry (bad magic)"),
            JournalErrorKind::Truncated => f.write_str("cut short (an unfinished write)"),
            JournalErrorKind::Checksum => f.write_str("checksum mismatch"),
            JournalErrorKind::BadRecord => f.write_str("malformed record"),
            JournalErrorKind::BadRdata(e) => write!(f, "bad RDATA: {e}"),
        }
    }
}

/// FNV-1a, 64 bits: detects a torn or overwritten body; not a defence
/// against someone who can write the file.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

fn put_record(out: &mut Vec<u8>, r: &Record) {
    name_to_wire(&r.owner, out);
    out.extend_from_slice(&u16::from(r.rtype).to_be_bytes());
    out.extend_from_slice(&r.ttl.to_be_bytes());
    let rdata = r.rdata.as_bytes();
    // RDATA in a zone is at most 65535 octets (checked where it is made).
    out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    out.extend_from_slice(rdata);
}

/// Appends the journal entry of `diff` to `out`.
pub fn write_journal_entry(diff: &ZoneDiff, out: &mut Vec<u8>) {
    let start = out.len();
    out.extend_from_slice(&JOURNAL_MAGIC);
    out.extend_from_slice(&[0; 12]);
    put_record(out, &diff.old_soa);
    put_record(out, &diff.new_soa);
    for list in [&diff.deleted, &diff.added] {
        out.extend_from_slice(&(list.len() as u32).to_be_bytes());
        list.iter().for_each(|r| put_record(out, r));
    }
    let body = start + HEADER;
    let length = (out.len() - body) as u32;
    let sum = fnv1a(&out[body..]);
    out[start + 4..start + 8].copy_from_slice(&length.to_be_bytes());
    out[start + 8..body].copy_from_slice(&sum.to_be_bytes());
}

/// Reads a body's records.
struct Body<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Body<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], JournalErrorKind> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.bytes.len());
        let end = end.ok_or(JournalErrorKind::BadRecord)?;
        let taken = &self.bytes[self.at..end];
        self.at = end;
        Ok(taken)
    }

    fn u16(&mut self) -> Result<u16, JournalErrorKind> {
        let b = self.take(2)?;
        Ok(u16::from_be_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, JournalErrorKind> {
        let b = self.take(4)?;
        Ok(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn record(&mut self) -> Result<Record, JournalErrorKind> {
        let (owner, length) =
            name_from_wire(self.bytes, self.at).ok_or(JournalErrorKind::BadRecord)?;
        self.at += length;
        let rtype = RecordType::from(self.u16()?);
        let ttl = self.u32()?;
        let length = usize::from(self.u16()?);
        let rdata =
            Rdata::from_wire(rtype, self.take(length)?).map_err(JournalErrorKind::BadRdata)?;
        Ok(Record {
            owner,
            ttl,
            rtype,
            rdata,
        })
    }

    fn records(&mut self) -> Result<Vec<Record>, JournalErrorKind> {
        let count = self.u32()? as usize;
        // Each record takes at least 11 bytes: a count beyond what is left
        // is malformed, not a reason to reserve gigabytes.
        if count > (self.bytes.len() - self.at) / 11 {
            return Err(JournalErrorKind::BadRecord);
        }
        (0..count).map(|_| self.record()).collect()
    }
}

fn read_body(bytes: &[u8]) -> Result<ZoneDiff, JournalErrorKind> {
    let mut body = Body { bytes, at: 0 };
    let old_soa = body.record()?;
    let new_soa = body.record()?;
    if old_soa.rtype != RecordType::SOA || new_soa.rtype != RecordType::SOA {
        return Err(JournalErrorKind::BadRecord);
    }
    let deleted = body.records()?;
    let added = body.records()?;
    if body.at != bytes.len() {
        return Err(JournalErrorKind::BadRecord);
    }
    Ok(ZoneDiff {
        old_soa,
        new_soa,
        deleted,
        added,
    })
}

/// The entries of a journal, in the order they were written, and, if its
/// bytes end in something that is not a whole entry, why.
pub fn read_journal(bytes: &[u8]) -> (Vec<ZoneDiff>, Option<JournalError>) {
    let mut diffs = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let fail = |kind| Some(JournalError { offset: at, kind });
        let rest = &bytes[at..];
        if rest.len() < HEADER {
            return (diffs, fail(JournalErrorKind::Truncated));
        }
        if rest[..4] != JOURNAL_MAGIC {
            return (diffs, fail(JournalErrorKind::BadMagic));
        }
        let length = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let Some(body) = rest.get(HEADER..HEADER + length) else {
            return (diffs, fail(JournalErrorKind::Truncated));
        };
        let mut sum = [0; 8];
        sum.copy_from_slice(&rest[8..HEADER]);
        if fnv1a(body) != u64::from_be_bytes(sum) {
            return (diffs, fail(JournalErrorKind::Checksum));
        }
        match read_body(body) {
            Ok(diff) => diffs.push(diff),
            Err(kind) => return (diffs, fail(kind)),
        }
        at += HEADER + length;
    }
    (diffs, None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Zone;

    fn zone(serial: u32, extra: &str) -> Zone {
        let text = alloc::format!(
            "$ORIGIN example.com.\n$TTL 300\n@ SOA ns hostmaster {serial} 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n{extra}"
        );
        Zone::parse(text.as_bytes(), "example.com.".parse().unwrap())
            .unwrap()
            .0
    }

    #[test]
    #[allow(clippy::result_large_err)] // the zone's own EditError
    fn entries_read_back_as_written_and_apply() {
        let (z1, z2, z3) = (
            zone(1, "www A 192.0.2.2\n"),
            zone(2, "www A 192.0.2.3\nmail MX 10 ns\n"),
            zone(3, "mail MX 10 ns\n"),
        );
        let mut bytes = Vec::new();
        write_journal_entry(&z1.diff(&z2), &mut bytes);
        write_journal_entry(&z2.diff(&z3), &mut bytes);
        let (diffs, error) = read_journal(&bytes);
        assert_eq!(error, None);
        assert_eq!(diffs, [z1.diff(&z2), z2.diff(&z3)]);
        let replayed = diffs.iter().try_fold(z1, |z, d| z.apply_diff(d)).unwrap();
        assert_eq!(replayed, z3);
    }

    #[test]
    fn a_torn_or_damaged_tail_keeps_the_entries_before_it() {
        let (z1, z2, z3) = (zone(1, ""), zone(2, "a A 192.0.2.9\n"), zone(3, ""));
        let mut bytes = Vec::new();
        write_journal_entry(&z1.diff(&z2), &mut bytes);
        let first = bytes.len();
        write_journal_entry(&z2.diff(&z3), &mut bytes);
        for cut in [first + 3, first + HEADER, bytes.len() - 1] {
            let (diffs, error) = read_journal(&bytes[..cut]);
            assert_eq!(diffs.len(), 1, "cut at {cut}");
            let error = error.unwrap();
            assert_eq!(
                (error.offset, error.kind),
                (first, JournalErrorKind::Truncated)
            );
        }
        let mut flipped = bytes.clone();
        *flipped.last_mut().unwrap() ^= 1;
        let (diffs, error) = read_journal(&flipped);
        assert_eq!(
            (diffs.len(), error.unwrap().kind),
            (1, JournalErrorKind::Checksum)
        );
        let mut zeroed = bytes.clone();
        zeroed[first..].fill(0);
        assert_eq!(
            read_journal(&zeroed).1.unwrap().kind,
            JournalErrorKind::BadMagic
        );
        // A body of garbage under a right checksum.
        let mut lying = Vec::new();
        write_journal_entry(&z1.diff(&z2), &mut lying);
        let body_len = lying.len() - HEADER;
        lying.truncate(HEADER);
        lying.extend(core::iter::repeat_n(0xff, body_len));
        let sum = fnv1a(&lying[HEADER..]);
        lying[8..HEADER].copy_from_slice(&sum.to_be_bytes());
        assert_eq!(
            read_journal(&lying).1.unwrap().kind,
            JournalErrorKind::BadRecord
        );
    }
}
