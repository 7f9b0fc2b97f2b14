//! Pack files (`gitformat-pack(5)`): `PACK`, a version (2 or 3), an object
//! count, that many entries (a type-and-size header, for deltas a base
//! reference, then zlib-deflated contents), and the SHA-1 of everything
//! before it.
//!
//! [`decode()`] checks the trailer, inflates every entry, resolves
//! `OFS_DELTA` and `REF_DELTA` entries (bases of a thin pack come from a
//! lookup function, usually [`crate::ObjectStore::get`]) and computes every
//! object's id, within [`Limits`]. [`write()`] produces a non-delta pack.

mod decode;
mod write;

use alloc::vec::Vec;
use core::fmt;

use crate::delta;
use crate::object::Kind;
use crate::oid::ObjectId;

pub use decode::decode;
pub use write::write;

/// The four bytes a pack starts with.
pub const SIGNATURE: &[u8; 4] = b"PACK";
/// Bytes of the pack header: signature, version, object count.
pub const HEADER_LEN: usize = 12;
/// Bytes of the trailing SHA-1.
pub const TRAILER_LEN: usize = 20;

/// Entry type of a delta against an entry earlier in the same pack.
pub const OFS_DELTA: u8 = 6;
/// Entry type of a delta against an object named by id.
pub const REF_DELTA: u8 = 7;

/// Bounds on what a pack from the network may make us allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Most entries a pack may declare.
    pub max_objects: u32,
    /// Largest object (or delta), inflated, in bytes.
    pub max_object_size: usize,
    /// Largest sum of inflated entry sizes, and separately of resolved
    /// object sizes: decoding needs up to twice this much memory.
    pub max_total_size: usize,
    /// Longest chain of deltas from an entry to its non-delta base.
    pub max_delta_depth: u32,
}

impl Default for Limits {
    /// Generous for a zone repository (a 100 000-record zone is a few MB):
    /// a million objects, 64 MiB per object, 256 MiB in all, and git's own
    /// largest `pack.depth` (4095).
    fn default() -> Self {
        Limits {
            max_objects: 1_000_000,
            max_object_size: 64 << 20,
            max_total_size: 256 << 20,
            max_delta_depth: 4095,
        }
    }
}

/// An object decoded from a pack.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackObject {
    /// Its id, computed from kind and data.
    pub id: ObjectId,
    /// Its kind (for deltas, the kind of the base).
    pub kind: Kind,
    /// Its contents.
    pub data: Vec<u8>,
}

/// Where a delta's base was to be found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseRef {
    /// An earlier entry at this pack offset.
    Offset(u64),
    /// An object with this id, in the pack or (thin pack) already held.
    Id(ObjectId),
}

/// A pack that is malformed, fails its checksums, or exceeds the [`Limits`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Shorter than a header and a trailer.
    TooShort {
        /// Bytes received.
        len: usize,
    },
    /// Does not start with `PACK`.
    Signature,
    /// A version other than 2 or 3.
    Version {
        /// The version.
        version: u32,
    },
    /// More entries than [`Limits::max_objects`].
    TooManyObjects {
        /// Entries declared.
        count: u32,
        /// The limit.
        limit: u32,
    },
    /// The trailing SHA-1 does not match the contents.
    Checksum {
        /// The trailer.
        expected: ObjectId,
        /// SHA-1 of the contents.
        actual: ObjectId,
    },
    /// An entry header is truncated or its size overflows.
    EntryHeader {
        /// Offset of the entry.
        offset: u64,
    },
    /// An entry type other than 1–4, 6, 7.
    EntryType {
        /// Offset of the entry.
        offset: u64,
        /// The type number.
        kind: u8,
    },
    /// An object or delta larger than [`Limits::max_object_size`].
    ObjectTooLarge {
        /// Offset of the entry.
        offset: u64,
        /// Its declared size.
        size: u64,
        /// The limit.
        limit: usize,
    },
    /// The objects add up to more than [`Limits::max_total_size`].
    TotalTooLarge {
        /// The limit.
        limit: usize,
    },
    /// An `OFS_DELTA` points before the first entry, at itself, or between
    /// entries.
    OffsetBase {
        /// Offset of the entry.
        offset: u64,
    },
    /// An entry's zlib stream is corrupt or truncated.
    Inflate {
        /// Offset of the entry.
        offset: u64,
    },
    /// An entry inflates to a size other than its header says.
    InflatedSize {
        /// Offset of the entry.
        offset: u64,
        /// Size from the header.
        expected: u64,
    },
    /// Bytes between the last entry and the trailer.
    TrailingData {
        /// Offset of the first extra byte.
        offset: u64,
    },
    /// A delta does not apply to its base.
    Delta {
        /// Offset of the entry.
        offset: u64,
        /// What is wrong.
        error: delta::Error,
    },
    /// A delta chain longer than [`Limits::max_delta_depth`].
    DeltaTooDeep {
        /// Offset of the entry.
        offset: u64,
        /// The limit.
        limit: u32,
    },
    /// A delta's base is neither in the pack nor among the objects held.
    MissingBase {
        /// Offset of the entry.
        offset: u64,
        /// The base.
        base: BaseRef,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::TooShort { len } => write!(
                f,
                "a pack should have a {HEADER_LEN}-byte header and a {TRAILER_LEN}-byte trailer, got {len} bytes"
            ),
            Error::Signature => f.write_str("a pack should start with 'PACK'"),
            Error::Version { version } => write!(f, "a pack should be version 2 or 3, got {version}"),
            Error::TooManyObjects { count, limit } => {
                write!(f, "a pack should hold at most {limit} objects, this one declares {count}")
            }
            Error::Checksum { expected, actual } => write!(
                f,
                "a pack's trailer should be the SHA-1 of its contents: trailer {expected}, contents {actual}"
            ),
            Error::EntryHeader { offset } => write!(
                f,
                "a pack entry should start with a type and a size that fits in 64 bits (entry at {offset})"
            ),
            Error::EntryType { offset, kind } => write!(
                f,
                "a pack entry type should be 1-4, 6 (OFS_DELTA) or 7 (REF_DELTA), got {kind} (entry at {offset})"
            ),
            Error::ObjectTooLarge { offset, size, limit } => write!(
                f,
                "a pack entry should be at most {limit} bytes inflated, got {size} (entry at {offset})"
            ),
            Error::TotalTooLarge { limit } => {
                write!(f, "a pack's objects should add up to at most {limit} bytes")
            }
            Error::OffsetBase { offset } => write!(
                f,
                "an OFS_DELTA base should be an earlier entry of the pack (entry at {offset})"
            ),
            Error::Inflate { offset } => write!(
                f,
                "a pack entry should be a complete zlib stream (entry at {offset})"
            ),
            Error::InflatedSize { offset, expected } => write!(
                f,
                "a pack entry should inflate to the {expected} bytes its header says (entry at {offset})"
            ),
            Error::TrailingData { offset } => write!(
                f,
                "a pack's trailer should follow its last entry, found extra bytes at {offset}"
            ),
            Error::Delta { offset, error } => write!(f, "delta entry at {offset}: {error}"),
            Error::DeltaTooDeep { offset, limit } => write!(
                f,
                "a delta chain should be at most {limit} deltas deep (entry at {offset})"
            ),
            Error::MissingBase { offset, base } => match base {
                BaseRef::Offset(b) => write!(
                    f,
                    "a delta's base should be resolvable: entry at {offset} needs the entry at {b}, whose own base is missing"
                ),
                BaseRef::Id(id) => write!(
                    f,
                    "a REF_DELTA base should be in the pack or already held: entry at {offset} needs {id}"
                ),
            },
        }
    }
}

impl core::error::Error for Error {}

/// The object count of a pack header, after checking signature and version.
pub fn parse_header(pack: &[u8]) -> Result<u32, Error> {
    let header = pack
        .get(..HEADER_LEN)
        .ok_or(Error::TooShort { len: pack.len() })?;
    if &header[..4] != SIGNATURE {
        return Err(Error::Signature);
    }
    let version = u32::from_be_bytes([header[4], header[5], header[6], header[7]]);
    if version != 2 && version != 3 {
        return Err(Error::Version { version });
    }
    Ok(u32::from_be_bytes([
        header[8], header[9], header[10], header[11],
    ]))
}
