//! RRsets and nodes in the byte form the zone store keeps them in, and
//! the borrowed views ([`RRsetRef`], [`Node`]) the zone hands out.
//!
//! An RRset is one run of bytes (integers big-endian):
//!
//! ```text
//! u16 type, u32 TTL, u16 record count, u32 length of what follows,
//! then per record, in canonical order (RFC 4034 §6.3): u16 RDLENGTH, RDATA
//! ```
//!
//! and a node is its RRsets one after the other, by type number. RDATA is
//! uncompressed wire format, so an answer copies it as it is. Compared with
//! a `Vec` of RRsets each holding a `Vec` of boxed RDATA, a typical host
//! (one A record) takes 18 bytes instead of about 150 in four allocations.
//! The bytes are written only by this module, from checked RDATA, so
//! reading them cannot fail.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use hickory_proto::rr::{Name, RecordType};

use crate::name::{key_to_wire, key_to_wire_into, name_from_wire, MAX_NAME_WIRE_LEN};
use crate::rdata::{Rdata, RdataRef};

/// Bytes before an RRset's first record.
const HEADER: usize = 12;
/// Most records an RRset holds (its count is 16 bits); the loader refuses
/// a zone with more and an edit does not add beyond ([`EditError::RRsetFull`]).
///
/// [`EditError::RRsetFull`]: crate::EditError::RRsetFull
pub const MAX_RRSET_RECORDS: usize = u16::MAX as usize;

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// Writes an RRset of `rdatas`, which must be in canonical order without
/// duplicates.
fn encode<'r>(
    out: &mut Vec<u8>,
    rtype: RecordType,
    ttl: u32,
    rdatas: impl IntoIterator<Item = &'r [u8]>,
) {
    let start = out.len();
    out.extend_from_slice(&u16::from(rtype).to_be_bytes());
    out.extend_from_slice(&ttl.to_be_bytes());
    out.extend_from_slice(&[0; 6]);
    let mut count: u16 = 0;
    for rd in rdatas {
        // RDATA is at most 65535 octets (checked when it was made).
        out.extend_from_slice(&(rd.len() as u16).to_be_bytes());
        out.extend_from_slice(rd);
        count += 1;
    }
    let size = (out.len() - start - HEADER) as u32;
    out[start + 6..start + 8].copy_from_slice(&count.to_be_bytes());
    out[start + 8..start + 12].copy_from_slice(&size.to_be_bytes());
}

/// All records of one owner, type and class, with one TTL (RFC 2181 §5),
/// owned (to build an edit); the zone hands out [`RRsetRef`] views.
#[derive(Clone, PartialEq, Eq)]
pub struct RRset {
    bytes: Vec<u8>,
}

impl RRset {
    /// A set from RDATA in any order; sorts canonically and drops
    /// duplicates (and records beyond [`MAX_RRSET_RECORDS`]).
    pub fn new(rtype: RecordType, ttl: u32, mut rdatas: Vec<Rdata>) -> Self {
        if rdatas.len() > 1 {
            rdatas.sort_by(|a, b| a.canonical_cmp(b, rtype));
            rdatas.dedup_by(|a, b| a.canonical(rtype) == b.canonical(rtype));
        }
        rdatas.truncate(MAX_RRSET_RECORDS);
        Self::from_canonical(rtype, ttl, rdatas.iter().map(Rdata::as_bytes))
    }

    /// A set from RDATA already in canonical order without duplicates.
    pub(crate) fn from_canonical<'r>(
        rtype: RecordType,
        ttl: u32,
        rdatas: impl IntoIterator<Item = &'r [u8]>,
    ) -> Self {
        let mut bytes = Vec::new();
        encode(&mut bytes, rtype, ttl, rdatas);
        Self { bytes }
    }

    /// The borrowed view.
    pub fn view(&self) -> RRsetRef<'_> {
        RRsetRef(&self.bytes)
    }

    /// The record type.
    pub fn rtype(&self) -> RecordType {
        self.view().rtype()
    }

    /// The TTL shared by all records of the set.
    pub fn ttl(&self) -> u32 {
        self.view().ttl()
    }

    /// The RDATA, in canonical order.
    pub fn rdatas(&self) -> Rdatas<'_> {
        self.view().rdatas()
    }

    /// The first RDATA in canonical order ([`RRsetRef::first`]).
    pub fn first(&self) -> RdataRef<'_> {
        self.view().first()
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.view().len()
    }

    /// Whether the set has no records (never true inside a [`crate::Zone`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Gives the set another TTL.
    pub(crate) fn set_ttl(&mut self, ttl: u32) {
        self.bytes[2..6].copy_from_slice(&ttl.to_be_bytes());
    }

    /// Whether the set holds [`MAX_RRSET_RECORDS`] records.
    pub(crate) fn is_full(&self) -> bool {
        self.len() >= MAX_RRSET_RECORDS
    }

    /// Adds `rdata` in its canonical place; false if an equal record
    /// (canonical form) is there already, or the set is full.
    pub(crate) fn insert(&mut self, rdata: RdataRef<'_>) -> bool {
        if self.is_full() {
            return false;
        }
        let rtype = self.rtype();
        let key = rdata.canonical(rtype);
        let rdatas: Vec<RdataRef<'_>> = self.rdatas().collect();
        // Canonical order: the first greater record is where it goes.
        let Err(at) = rdatas.binary_search_by(|r| r.canonical(rtype).as_ref().cmp(&key)) else {
            return false;
        };
        let (before, after) = rdatas.split_at(at);
        let bytes = before
            .iter()
            .chain([&rdata])
            .chain(after)
            .map(|r| r.as_bytes());
        *self = Self::from_canonical(rtype, self.ttl(), bytes);
        true
    }

    /// Removes the record equal to `rdata` (canonical form); false if
    /// there is none.
    pub(crate) fn remove(&mut self, rdata: RdataRef<'_>) -> bool {
        let rtype = self.rtype();
        let key = rdata.canonical(rtype);
        let Some(gone) = self.rdatas().position(|r| r.canonical(rtype) == key) else {
            return false;
        };
        let kept = self
            .rdatas()
            .enumerate()
            .filter(|&(i, _)| i != gone)
            .map(|(_, r)| r.as_bytes());
        *self = Self::from_canonical(rtype, self.ttl(), kept);
        true
    }
}

impl fmt::Debug for RRset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.view().fmt(f)
    }
}

/// One RRset of a zone, borrowed (see the module docs for its bytes).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RRsetRef<'a>(&'a [u8]);

impl<'a> RRsetRef<'a> {
    /// The record type.
    pub fn rtype(self) -> RecordType {
        RecordType::from(u16_at(self.0, 0))
    }

    /// The TTL shared by all records of the set.
    pub fn ttl(self) -> u32 {
        u32_at(self.0, 2)
    }

    /// Number of records.
    pub fn len(self) -> usize {
        usize::from(u16_at(self.0, 6))
    }

    /// Whether the set has no records (never true inside a zone).
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The RDATA, in canonical order.
    pub fn rdatas(self) -> Rdatas<'a> {
        Rdatas {
            rest: &self.0[HEADER..],
            left: self.len(),
        }
    }

    /// The first RDATA in canonical order: the only one of an SOA, CNAME
    /// or DNAME (empty for an empty set, which a zone never holds).
    pub fn first(self) -> RdataRef<'a> {
        self.rdatas().next().unwrap_or(RdataRef(&[]))
    }

    /// An owned copy.
    pub fn to_owned(self) -> RRset {
        RRset {
            bytes: self.0.to_vec(),
        }
    }
}

impl fmt::Debug for RRsetRef<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RRset")
            .field("rtype", &self.rtype())
            .field("ttl", &self.ttl())
            .field("rdatas", &self.rdatas().collect::<Vec<_>>())
            .finish()
    }
}

/// The RDATA of an RRset, in canonical order.
#[derive(Clone)]
pub struct Rdatas<'a> {
    rest: &'a [u8],
    left: usize,
}

impl<'a> Iterator for Rdatas<'a> {
    type Item = RdataRef<'a>;

    fn next(&mut self) -> Option<RdataRef<'a>> {
        if self.left == 0 {
            return None;
        }
        let len = usize::from(u16_at(self.rest, 0));
        let (rd, rest) = self.rest[2..].split_at(len);
        self.rest = rest;
        self.left -= 1;
        Some(RdataRef(rd))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl ExactSizeIterator for Rdatas<'_> {}

/// The RRsets of one owner, by type number, borrowed from a zone, with
/// the owner.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    key: &'a [u8],
    /// The owner's wire form as written, or empty when it is the
    /// lowercase form of `key`.
    owner: &'a [u8],
    sets: &'a [u8],
}

impl<'a> Node<'a> {
    /// A node from the store's parts.
    pub(crate) fn from_parts(key: &'a [u8], owner: &'a [u8], sets: &'a [u8]) -> Self {
        Node { key, owner, sets }
    }

    /// The owner's key ([`crate::NameKey`] bytes).
    pub fn key(self) -> &'a [u8] {
        self.key
    }

    /// The owner name, its case as written in the zone.
    pub fn owner(self) -> Name {
        let decoded = if self.owner.is_empty() {
            // On the stack: answers make one per matched node.
            let mut wire = [0u8; MAX_NAME_WIRE_LEN];
            key_to_wire_into(self.key, &mut wire).and_then(|len| name_from_wire(&wire[..len], 0))
        } else {
            name_from_wire(self.owner, 0)
        };
        decoded.map(|(name, _)| name).unwrap_or_else(Name::root)
    }

    /// Writes the owner's uncompressed wire form, case as written, into
    /// `out`; returns its length (no allocation: transfers make one per
    /// node).
    pub fn write_owner_wire(self, out: &mut [u8; MAX_NAME_WIRE_LEN]) -> usize {
        if self.owner.is_empty() {
            key_to_wire_into(self.key, out).unwrap_or(0)
        } else {
            out[..self.owner.len()].copy_from_slice(self.owner);
            self.owner.len()
        }
    }

    /// The owner's uncompressed wire form, case as written.
    pub fn owner_wire(self) -> Cow<'a, [u8]> {
        if self.owner.is_empty() {
            let mut wire = Vec::with_capacity(self.key.len() + 1);
            key_to_wire(self.key, &mut wire);
            Cow::Owned(wire)
        } else {
            Cow::Borrowed(self.owner)
        }
    }

    /// The RRset of `rtype`, if any.
    pub fn rrset(self, rtype: RecordType) -> Option<RRsetRef<'a>> {
        let code = u16::from(rtype);
        self.rrsets()
            .take_while(|s| u16::from(s.rtype()) <= code)
            .find(|s| u16::from(s.rtype()) == code)
    }

    /// All RRsets, by type number.
    pub fn rrsets(self) -> RRsets<'a> {
        RRsets { rest: self.sets }
    }

    /// Whether there is an RRset of `rtype`.
    pub fn has(self, rtype: RecordType) -> bool {
        self.rrset(rtype).is_some()
    }

    /// The RRsets' bytes, as stored: equal bytes, equal RRsets.
    pub(crate) fn sets_bytes(self) -> &'a [u8] {
        self.sets
    }

    /// Key, owner as stored (empty: the key's lowercase form) and RRsets'
    /// bytes: what the store copies when it moves the node.
    pub(crate) fn stored_parts(self) -> (&'a [u8], &'a [u8], &'a [u8]) {
        (self.key, self.owner, self.sets)
    }
}

impl fmt::Debug for Node<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Node")
            .field("owner", &self.owner())
            .field("rrsets", &self.rrsets().collect::<Vec<_>>())
            .finish()
    }
}

/// The RRsets of a node, by type number.
#[derive(Clone)]
pub struct RRsets<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for RRsets<'a> {
    type Item = RRsetRef<'a>;

    fn next(&mut self) -> Option<RRsetRef<'a>> {
        if self.rest.is_empty() {
            return None;
        }
        let size = HEADER + u32_at(self.rest, 8) as usize;
        let (set, rest) = self.rest.split_at(size);
        self.rest = rest;
        Some(RRsetRef(set))
    }
}

/// A node's RRsets taken out of the store to be changed (an edit), then
/// written back with [`NodeBuf::to_bytes`].
#[derive(Clone, Debug, Default)]
pub(crate) struct NodeBuf {
    /// By type number.
    pub(crate) sets: Vec<RRset>,
}

impl NodeBuf {
    /// The RRsets of `node`.
    pub(crate) fn from_node(node: Option<Node<'_>>) -> Self {
        NodeBuf {
            sets: node
                .map(|n| n.rrsets().map(RRsetRef::to_owned).collect())
                .unwrap_or_default(),
        }
    }

    /// Position of the set of `rtype`, or where it would go.
    pub(crate) fn find(&self, rtype: RecordType) -> Result<usize, usize> {
        let code = u16::from(rtype);
        self.sets
            .binary_search_by_key(&code, |s| u16::from(s.rtype()))
    }

    /// The node's bytes, as the store keeps them.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.sets.iter().map(|s| s.bytes.len()).sum());
        for s in &self.sets {
            out.extend_from_slice(&s.bytes);
        }
        out
    }
}

/// Appends an RRset of `rdatas` (canonical order, no duplicates) to the
/// bytes of a node being built (the loader's path, with no [`RRset`] made).
pub(crate) fn push_rrset<'r>(
    node: &mut Vec<u8>,
    rtype: RecordType,
    ttl: u32,
    rdatas: impl IntoIterator<Item = &'r [u8]>,
) {
    encode(node, rtype, ttl, rdatas);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn a(last: u8) -> Rdata {
        Rdata::from_wire(RecordType::A, &[192, 0, 2, last]).unwrap()
    }

    #[test]
    fn an_rrset_keeps_canonical_order_through_inserts_and_removes() {
        let mut set = RRset::new(RecordType::A, 300, vec![a(9), a(1), a(5), a(1)]);
        assert_eq!(set.len(), 3);
        assert_eq!(set.ttl(), 300);
        assert_eq!(set.rtype(), RecordType::A);
        assert!(set.insert(a(3).view()));
        assert!(!set.insert(a(5).view()));
        assert!(set.insert(a(10).view()));
        assert!(set.insert(a(0).view()));
        let lasts: Vec<u8> = set.rdatas().map(|r| r.as_bytes()[3]).collect();
        assert_eq!(lasts, [0, 1, 3, 5, 9, 10]);
        assert!(set.remove(a(5).view()));
        assert!(!set.remove(a(5).view()));
        set.set_ttl(60);
        let lasts: Vec<u8> = set.rdatas().map(|r| r.as_bytes()[3]).collect();
        assert_eq!(lasts, [0, 1, 3, 9, 10]);
        assert_eq!(set.ttl(), 60);
        assert_eq!(set.view().first().as_bytes(), [192, 0, 2, 0]);
    }

    #[test]
    fn a_node_finds_its_sets_by_type() {
        let buf = NodeBuf {
            sets: vec![
                RRset::new(RecordType::A, 1, vec![a(1)]),
                RRset::new(
                    RecordType::TXT,
                    2,
                    vec![Rdata::from_wire(RecordType::TXT, b"\x02hi").unwrap()],
                ),
                RRset::new(
                    RecordType::AAAA,
                    3,
                    vec![Rdata::from_wire(RecordType::AAAA, &[1; 16]).unwrap()],
                ),
            ],
        };
        let bytes = buf.to_bytes();
        let key = b"example\0www\0";
        let node = Node::from_parts(key, &[], &bytes);
        assert_eq!(node.owner(), "www.example.".parse::<Name>().unwrap());
        assert_eq!(node.rrset(RecordType::TXT).unwrap().ttl(), 2);
        assert_eq!(node.rrset(RecordType::AAAA).unwrap().ttl(), 3);
        assert!(!node.has(RecordType::MX));
        assert_eq!(node.rrsets().count(), 3);
        let back = NodeBuf::from_node(Some(node));
        assert_eq!(back.to_bytes(), bytes);
    }
}
