//! The TSIG record (RFC 8945 §4.2) and finding it in a message.

use alloc::vec::Vec;

use dns_wire::name::read_name;
use dns_wire::{class, Header, Layout, Name};

/// TYPE TSIG.
pub const TYPE_TSIG: u16 = 250;

/// A TSIG record as received or about to be sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tsig {
    /// The key name (owner of the record).
    pub key_name: Name,
    /// The algorithm name in uncompressed wire format, as received.
    pub algorithm: Vec<u8>,
    /// Seconds since 1970-01-01 UTC, 48 bits.
    pub time_signed: u64,
    /// Permitted error in `time_signed`, in seconds.
    pub fudge: u16,
    /// The MAC (empty in unsigned error responses).
    pub mac: Vec<u8>,
    /// The message ID when the message was signed.
    pub original_id: u16,
    /// TSIG error (an extended RCODE: BADSIG, BADKEY, BADTIME, BADTRUNC).
    pub error: u16,
    /// Other data (the server's time in a BADTIME response).
    pub other: Vec<u8>,
    /// The record's TTL (0 when well formed).
    pub ttl: u32,
}

/// Largest value of the 48-bit time field.
pub const MAX_TIME: u64 = (1 << 48) - 1;

/// Why a message's TSIG record cannot be used: all of these are FORMERR
/// (RFC 8945 §5.1, §5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FormatError {
    /// The message itself cannot be read.
    Malformed,
    /// A TSIG record that is not the last record of the additional section.
    NotLast,
    /// More than one TSIG record.
    Multiple,
    /// The TSIG RDATA does not parse, or its CLASS is not ANY.
    BadRecord,
}

impl core::fmt::Display for FormatError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            Self::Malformed => "the message cannot be read",
            Self::NotLast => "the TSIG record is not the last record",
            Self::Multiple => "more than one TSIG record",
            Self::BadRecord => "the TSIG record does not parse",
        })
    }
}

/// A TSIG record and where it sits in the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The record.
    pub tsig: Tsig,
    /// Offset of the record (everything before it is what the MAC covers).
    pub start: usize,
    /// Offset after the question section.
    pub question_end: usize,
}

impl Tsig {
    /// Finds and parses the TSIG record of `msg`: `Ok(None)` if there is
    /// none, an error if it is misplaced, repeated or malformed.
    pub fn locate(msg: &[u8]) -> Result<Option<Located>, FormatError> {
        let layout = Layout::walk(msg).map_err(|_| FormatError::Malformed)?;
        let Some((last, rest)) = layout.records.split_last() else {
            return Ok(None);
        };
        if rest.iter().any(|r| r.rtype == TYPE_TSIG) {
            return Err(if last.rtype == TYPE_TSIG {
                FormatError::Multiple
            } else {
                FormatError::NotLast
            });
        }
        if last.rtype != TYPE_TSIG {
            return Ok(None);
        }
        if last.section != 3 {
            return Err(FormatError::NotLast);
        }
        if last.class != class::ANY {
            return Err(FormatError::BadRecord);
        }
        let tsig = Self::parse_at(msg, last.start, last.rdata, last.end)?;
        Ok(Some(Located {
            tsig,
            start: last.start,
            question_end: layout.question_end,
        }))
    }

    fn parse_at(msg: &[u8], start: usize, rdata: usize, end: usize) -> Result<Self, FormatError> {
        let bad = FormatError::BadRecord;
        let mut wire = Vec::with_capacity(64);
        read_name(msg, start, &mut wire).map_err(|_| bad)?;
        let key_name = dns_wire::name::name_from_wire(&wire, 0).ok_or(bad)?.0;
        let ttl_at = rdata - 6;
        let ttl = u32::from_be_bytes([
            msg[ttl_at],
            msg[ttl_at + 1],
            msg[ttl_at + 2],
            msg[ttl_at + 3],
        ]);
        let mut algorithm = Vec::with_capacity(16);
        // RFC 8945 §4.2 forbids compressing the algorithm name; a pointer
        // is still read rather than refused, as BIND does.
        let mut p = read_name(msg, rdata, &mut algorithm).map_err(|_| bad)?;
        if p > end {
            return Err(bad);
        }
        let r = &msg[p..end];
        let fixed = |at: usize, n: usize| r.get(at..at + n).ok_or(bad);
        let u16_at = |at: usize| fixed(at, 2).map(|b| u16::from_be_bytes([b[0], b[1]]));
        let time_signed = fixed(0, 6)?
            .iter()
            .fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        let fudge = u16_at(6)?;
        let mac_len = usize::from(u16_at(8)?);
        let mac = fixed(10, mac_len)?.to_vec();
        p = 10 + mac_len;
        let original_id = u16_at(p)?;
        let error = u16_at(p + 2)?;
        let other_len = usize::from(u16_at(p + 4)?);
        let other = fixed(p + 6, other_len)?.to_vec();
        if p + 6 + other_len != r.len() {
            return Err(bad);
        }
        Ok(Self {
            key_name,
            algorithm,
            time_signed,
            fudge,
            mac,
            original_id,
            error,
            other,
            ttl,
        })
    }

    /// Appends the record (owner uncompressed) to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        dns_wire::name::name_to_wire(&self.key_name, out);
        out.extend_from_slice(&TYPE_TSIG.to_be_bytes());
        out.extend_from_slice(&class::ANY.to_be_bytes());
        out.extend_from_slice(&self.ttl.to_be_bytes());
        let len_at = out.len();
        out.extend_from_slice(&[0, 0]);
        out.extend_from_slice(&self.algorithm);
        out.extend_from_slice(&self.time_signed.to_be_bytes()[2..]);
        out.extend_from_slice(&self.fudge.to_be_bytes());
        out.extend_from_slice(&(self.mac.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.mac);
        out.extend_from_slice(&self.original_id.to_be_bytes());
        out.extend_from_slice(&self.error.to_be_bytes());
        out.extend_from_slice(&(self.other.len() as u16).to_be_bytes());
        out.extend_from_slice(&self.other);
        let rdlen = (out.len() - len_at - 2) as u16;
        out[len_at..len_at + 2].copy_from_slice(&rdlen.to_be_bytes());
    }

    /// Appends the record to the message `msg` and counts it in ARCOUNT.
    pub fn append_to(&self, msg: &mut Vec<u8>) {
        self.write(msg);
        if let Ok(h) = Header::parse(msg) {
            let ar = h.counts[3].wrapping_add(1);
            msg[10..12].copy_from_slice(&ar.to_be_bytes());
        }
    }

    /// The server time of a BADTIME response's other data (RFC 8945
    /// §5.2.3), if it has the 6-octet form.
    pub fn other_time(&self) -> Option<u64> {
        (self.other.len() == 6).then(|| {
            self.other
                .iter()
                .fold(0u64, |acc, &b| (acc << 8) | u64::from(b))
        })
    }
}

/// The 6-octet big-endian form of a 48-bit time.
pub(crate) fn time48(t: u64) -> [u8; 6] {
    let b = t.min(MAX_TIME).to_be_bytes();
    [b[2], b[3], b[4], b[5], b[6], b[7]]
}

/// The message without its TSIG record, ARCOUNT decremented (the ID as
/// received): what the request parsers of UPDATE, NOTIFY and transfers read.
pub fn strip(msg: &[u8], located: &Located) -> Vec<u8> {
    let mut out = msg[..located.start].to_vec();
    let ar = u16::from_be_bytes([out[10], out[11]]).wrapping_sub(1);
    out[10..12].copy_from_slice(&ar.to_be_bytes());
    out
}

/// The header of `msg` as the MAC covers it when the TSIG record is
/// removed (RFC 8945 §4.3.1): the original ID, ARCOUNT decremented.
pub(crate) fn mac_header(msg: &[u8], original_id: u16) -> [u8; Header::LEN] {
    let mut h = [0u8; Header::LEN];
    h.copy_from_slice(&msg[..Header::LEN]);
    h[0..2].copy_from_slice(&original_id.to_be_bytes());
    let ar = u16::from_be_bytes([h[10], h[11]]).wrapping_sub(1);
    h[10..12].copy_from_slice(&ar.to_be_bytes());
    h
}
