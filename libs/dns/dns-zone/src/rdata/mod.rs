//! RDATA: stored in uncompressed wire format, described per type by a small
//! schema that drives parsing ([`text`]), printing ([`print`]), validation and
//! the canonical form (RFC 4034 §6.2).
//!
//! Keeping RDATA as bytes makes the query engine copy instead of re-encode,
//! makes the canonical RR ordering (RFC 4034 §6.3) a byte comparison, and
//! lets a zone keep every record of a chunk in one buffer ([`RdataRef`] is
//! a view into it; [`Rdata`] the owned form an edit is made of). A typed view as hickory's
//! [`RData`](hickory_proto::rr::RData) is available through
//! [`Rdata::to_hickory`].

pub(crate) mod print;
pub(crate) mod schema;
pub(crate) mod special;
pub(crate) mod svcb;
pub(crate) mod text;

use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use hickory_proto::rr::{RData, RecordType};
use hickory_proto::serialize::binary::{BinDecoder, Restrict};

pub use schema::{type_from_mnemonic, type_mnemonic};

/// Why RDATA in wire format does not fit its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RdataError {
    /// The data ends inside a field.
    Truncated,
    /// Bytes left over after the last field.
    TrailingData,
    /// A domain name field is malformed (or compressed).
    BadName,
    /// A field has a value the type does not allow; says which.
    BadValue(&'static str),
    /// RDATA longer than 65535 octets.
    TooLong,
}

impl fmt::Display for RdataError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Truncated => f.write_str("RDATA ends inside a field"),
            Self::TrailingData => f.write_str("trailing bytes after the RDATA fields"),
            Self::BadName => f.write_str("malformed domain name in RDATA"),
            Self::BadValue(what) => write!(f, "bad RDATA value: {what}"),
            Self::TooLong => f.write_str("RDATA longer than 65535 octets"),
        }
    }
}

/// The RDATA of one record, in uncompressed wire format, case as written.
/// The default is empty RDATA, without an allocation.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Rdata(Box<[u8]>);

impl Rdata {
    /// Wraps wire-format RDATA after checking it against the schema of
    /// `rtype` (unknown types accept any bytes, RFC 3597).
    pub fn from_wire(rtype: RecordType, bytes: &[u8]) -> Result<Self, RdataError> {
        validate(rtype, bytes)?;
        Ok(Self(bytes.into()))
    }

    /// Wraps bytes already validated by this crate.
    pub(crate) fn from_validated(bytes: Vec<u8>) -> Self {
        Self(bytes.into_boxed_slice())
    }

    /// The uncompressed wire form.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The canonical form (RFC 4034 §6.2): names in the RDATA of the types
    /// listed there (as amended by RFC 6840 §5.1) are lowercased.
    pub fn canonical(&self, rtype: RecordType) -> Cow<'_, [u8]> {
        schema::canonical(rtype, &self.0)
    }

    /// Canonical RR ordering inside an RRset (RFC 4034 §6.3): the canonical
    /// forms compared as left-justified octet strings.
    pub fn canonical_cmp(&self, other: &Self, rtype: RecordType) -> Ordering {
        self.canonical(rtype).cmp(&other.canonical(rtype))
    }

    /// Decodes into hickory's typed representation.
    pub fn to_hickory(&self, rtype: RecordType) -> Result<RData, RdataError> {
        self.view().to_hickory(rtype)
    }

    /// Presentation format (the RDATA part of a master-file line).
    pub fn to_text(&self, rtype: RecordType) -> String {
        self.view().to_text(rtype)
    }
}

impl Rdata {
    /// A borrowed view, as the zone hands out its RDATA.
    pub fn view(&self) -> RdataRef<'_> {
        RdataRef(&self.0)
    }
}

/// RDATA as stored in a zone, borrowed: uncompressed wire format, case as
/// written. The owned form is [`Rdata`].
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct RdataRef<'a>(pub(crate) &'a [u8]);

impl<'a> RdataRef<'a> {
    /// The uncompressed wire form.
    pub fn as_bytes(self) -> &'a [u8] {
        self.0
    }

    /// The canonical form (RFC 4034 §6.2); see [`Rdata::canonical`].
    pub fn canonical(self, rtype: RecordType) -> Cow<'a, [u8]> {
        schema::canonical(rtype, self.0)
    }

    /// Canonical RR ordering inside an RRset (RFC 4034 §6.3).
    pub fn canonical_cmp(self, other: RdataRef<'_>, rtype: RecordType) -> Ordering {
        self.canonical(rtype).cmp(&other.canonical(rtype))
    }

    /// An owned copy.
    pub fn to_owned(self) -> Rdata {
        Rdata(self.0.into())
    }

    /// Decodes into hickory's typed representation.
    pub fn to_hickory(self, rtype: RecordType) -> Result<RData, RdataError> {
        let len = u16::try_from(self.0.len()).map_err(|_| RdataError::TooLong)?;
        let mut decoder = BinDecoder::new(self.0);
        RData::read(&mut decoder, rtype, Restrict::new(len))
            .map_err(|_| RdataError::BadValue("rejected by hickory-proto"))
    }

    /// Presentation format (the RDATA part of a master-file line).
    pub fn to_text(self, rtype: RecordType) -> String {
        let mut s = String::new();
        print::write_rdata(&mut s, rtype, self.0);
        s
    }
}

impl fmt::Debug for RdataRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rdata({} octets)", self.0.len())
    }
}

impl fmt::Debug for Rdata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Rdata({} octets)", self.0.len())
    }
}

/// Checks wire RDATA against the schema of its type.
pub fn validate(rtype: RecordType, bytes: &[u8]) -> Result<(), RdataError> {
    if bytes.len() > usize::from(u16::MAX) {
        return Err(RdataError::TooLong);
    }
    match schema::info(u16::from(rtype)) {
        Some(info) => schema::walk(info, bytes, |_, _, _| {})?,
        None => return Ok(()),
    }
    digest_length(rtype, bytes)
}

/// Digests of a known type must have its length: BIND refuses a zone
/// file with an SSHFP or DS digest of another length ("unexpected end of
/// input"), NSD warns. Unknown digest types take any length.
fn digest_length(rtype: RecordType, bytes: &[u8]) -> Result<(), RdataError> {
    // (offset of the digest type, offset of the digest)
    let (at, digest) = match u16::from(rtype) {
        44 => (1, 2),      // SSHFP: algorithm, fingerprint type
        43 | 59 => (3, 4), // DS, CDS: key tag, algorithm, digest type
        _ => return Ok(()),
    };
    let want = match (u16::from(rtype), bytes[at]) {
        (44, 1) | (43 | 59, 1) => 20,
        (44, 2) | (43 | 59, 2 | 3) => 32,
        (43 | 59, 4) => 48,
        _ => return Ok(()),
    };
    if bytes.len() - digest == want {
        Ok(())
    } else {
        Err(RdataError::BadValue(
            "the digest's length does not match its digest type",
        ))
    }
}
