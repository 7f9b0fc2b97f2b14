//! The message header (RFC 1035 §4.1.1) and the registered values of its
//! fields that the control plane uses.

use alloc::vec::Vec;

use crate::name::WireError;

/// Opcodes (RFC 1035 §4.1.1, RFC 1996, RFC 2136).
pub mod opcode {
    /// A standard query.
    pub const QUERY: u8 = 0;
    /// A zone change notification (RFC 1996).
    pub const NOTIFY: u8 = 4;
    /// A dynamic update (RFC 2136).
    pub const UPDATE: u8 = 5;
}

/// RCODEs, including the extended ones that only appear in the TSIG error
/// field (RFC 8945 §3).
pub mod rcode {
    /// No error.
    pub const NOERROR: u16 = 0;
    /// The message could not be interpreted.
    pub const FORMERR: u16 = 1;
    /// The server failed.
    pub const SERVFAIL: u16 = 2;
    /// The name does not exist (UPDATE: a "name in use" prerequisite failed).
    pub const NXDOMAIN: u16 = 3;
    /// Not implemented.
    pub const NOTIMP: u16 = 4;
    /// Refused by policy.
    pub const REFUSED: u16 = 5;
    /// UPDATE: a name exists that should not (RFC 2136 §2.2).
    pub const YXDOMAIN: u16 = 6;
    /// UPDATE: an RRset exists that should not.
    pub const YXRRSET: u16 = 7;
    /// UPDATE: an RRset does not exist that should.
    pub const NXRRSET: u16 = 8;
    /// Not authoritative for the zone (RFC 2136), or not authorised
    /// (TSIG failures, RFC 8945 §5.2).
    pub const NOTAUTH: u16 = 9;
    /// UPDATE: a name outside the zone of the zone section.
    pub const NOTZONE: u16 = 10;
    /// TSIG: the MAC does not verify.
    pub const BADSIG: u16 = 16;
    /// TSIG: the key is not known (or not for this algorithm).
    pub const BADKEY: u16 = 17;
    /// TSIG: the signature is outside the time window.
    pub const BADTIME: u16 = 18;
    /// TSIG: the MAC is truncated below the local policy.
    pub const BADTRUNC: u16 = 22;

    /// The mnemonic of an RCODE or TSIG error (`"NOTAUTH"`, `"BADSIG"`),
    /// `None` for values without one here.
    pub fn name(code: u16) -> Option<&'static str> {
        Some(match code {
            NOERROR => "NOERROR",
            FORMERR => "FORMERR",
            SERVFAIL => "SERVFAIL",
            NXDOMAIN => "NXDOMAIN",
            NOTIMP => "NOTIMP",
            REFUSED => "REFUSED",
            YXDOMAIN => "YXDOMAIN",
            YXRRSET => "YXRRSET",
            NXRRSET => "NXRRSET",
            NOTAUTH => "NOTAUTH",
            NOTZONE => "NOTZONE",
            BADSIG => "BADSIG",
            BADKEY => "BADKEY",
            BADTIME => "BADTIME",
            BADTRUNC => "BADTRUNC",
            _ => return None,
        })
    }
}

/// Header flag bits (the second 16-bit word of the header).
pub mod flags {
    /// This is a response.
    pub const QR: u16 = 0x8000;
    /// Authoritative answer.
    pub const AA: u16 = 0x0400;
    /// Truncated.
    pub const TC: u16 = 0x0200;
    /// Recursion desired.
    pub const RD: u16 = 0x0100;
    /// Recursion available.
    pub const RA: u16 = 0x0080;
    /// Authentic data.
    pub const AD: u16 = 0x0020;
    /// Checking disabled.
    pub const CD: u16 = 0x0010;
    /// The opcode field.
    pub const OPCODE_MASK: u16 = 0x7800;
    /// The RCODE field.
    pub const RCODE_MASK: u16 = 0x000f;

    /// The flags word with `opcode` in its field.
    pub const fn with_opcode(opcode: u8) -> u16 {
        ((opcode as u16) & 0xf) << 11
    }
}

/// CLASS values (RFC 1035 §3.2.4, §3.2.5; RFC 2136 §1.3).
pub mod class {
    /// The Internet.
    pub const IN: u16 = 1;
    /// NONE (UPDATE: delete an RR; prerequisite: does not exist).
    pub const NONE: u16 = 254;
    /// ANY (UPDATE: delete an RRset; prerequisite: exists; TSIG's class).
    pub const ANY: u16 = 255;
}

/// The 12-octet message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Message ID.
    pub id: u16,
    /// QR, opcode, AA, TC, RD, RA, Z, AD, CD and RCODE.
    pub flags: u16,
    /// QDCOUNT, ANCOUNT, NSCOUNT, ARCOUNT (in UPDATE: ZOCOUNT, PRCOUNT,
    /// UPCOUNT, ADCOUNT).
    pub counts: [u16; 4],
}

impl Header {
    /// Length of the header on the wire.
    pub const LEN: usize = 12;

    /// Reads the header at the start of `msg`.
    pub fn parse(msg: &[u8]) -> Result<Self, WireError> {
        let h = msg.get(..Self::LEN).ok_or(WireError::Truncated)?;
        let w = |i: usize| u16::from_be_bytes([h[i], h[i + 1]]);
        Ok(Self {
            id: w(0),
            flags: w(2),
            counts: [w(4), w(6), w(8), w(10)],
        })
    }

    /// Appends the header in wire format.
    pub fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_be_bytes());
        out.extend_from_slice(&self.flags.to_be_bytes());
        for c in self.counts {
            out.extend_from_slice(&c.to_be_bytes());
        }
    }

    /// The opcode.
    pub fn opcode(&self) -> u8 {
        ((self.flags & flags::OPCODE_MASK) >> 11) as u8
    }

    /// The 4-bit RCODE of the header.
    pub fn rcode(&self) -> u16 {
        self.flags & flags::RCODE_MASK
    }

    /// Whether QR is set.
    pub fn is_response(&self) -> bool {
        self.flags & flags::QR != 0
    }

    /// Total number of records after the question section.
    pub fn record_count(&self) -> usize {
        self.counts[1..].iter().map(|&c| usize::from(c)).sum()
    }
}

/// Reads a big-endian u16 at `at`.
pub(crate) fn be16(b: &[u8], at: usize) -> Result<u16, WireError> {
    match b.get(at..at.wrapping_add(2)) {
        Some(s) => Ok(u16::from_be_bytes([s[0], s[1]])),
        None => Err(WireError::Truncated),
    }
}

/// Reads a big-endian u32 at `at`.
pub(crate) fn be32(b: &[u8], at: usize) -> Result<u32, WireError> {
    match b.get(at..at.wrapping_add(4)) {
        Some(s) => Ok(u32::from_be_bytes([s[0], s[1], s[2], s[3]])),
        None => Err(WireError::Truncated),
    }
}
