//! [`Records`]: parsed records held compactly while a zone is built.
//!
//! The loader needs every record before it can sort them into nodes, so
//! what it holds per record is the peak of a load. Here each record is a
//! 24-byte [`Rec`]; its owner and RDATA are bytes in one arena. Records of
//! one owner written one after the other (the usual layout of a zone file)
//! share one copy of the owner: its key, and its wire form only when it
//! has capital letters (the key gives it otherwise). Each entry is taken in
//! as the parser yields it, so the entries are never all held at once, and
//! its RDATA is copied into the arena, so no allocation per record
//! outlives its entry. For a 1 000 000-record zone of hosts this is about
//! 50 MB, against 130 MB with a `Name` and a boxed RDATA per record.

use alloc::borrow::Cow;
use alloc::sync::Arc;
use alloc::vec::Vec;

use hickory_proto::rr::{Name, RecordType};

use super::nodes::stored_owner;
use super::rrset::Node;
use crate::name::{canonical_key, name_to_wire};
use crate::parser::Entry;

/// One record: where its owner and RDATA are in the arena, and what the
/// checks and messages need.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rec {
    /// Start of the owner in the arena: u16 key length, u8 length of the
    /// wire form kept (0: the key gives it), the key, the wire form.
    owner: u32,
    /// Start of the RDATA in the arena: u16 length, the RDATA.
    rdata: u32,
    pub(crate) ttl: u32,
    pub(crate) line: u32,
    pub(crate) column: u32,
    /// Type code.
    pub(crate) rtype: u16,
    /// 0: the zone's own file; n: `files[n - 1]`.
    file: u16,
}

/// Records in a byte arena, in the order they came, then sorted.
#[derive(Debug, Default)]
pub(crate) struct Records {
    arena: Vec<u8>,
    recs: Vec<Rec>,
    /// The `$INCLUDE`d files records came from.
    files: Vec<Arc<str>>,
    /// The key of the entry being taken in.
    scratch: Vec<u8>,
    /// Its owner's wire form.
    wire: Vec<u8>,
    /// Records were left out: the arena would pass 4 GiB.
    pub(crate) too_large: bool,
}

/// An arena offset; a zone whose records take 4 GiB is not loaded whole
/// anyway (the store would not fit in memory either), so this only
/// guards the arithmetic.
fn offset(at: usize) -> u32 {
    u32::try_from(at).unwrap_or(u32::MAX)
}

impl Records {
    /// Takes `entry` in (or, past 4 GiB of records, marks the records
    /// [`Records::too_large`]).
    pub(crate) fn push(&mut self, entry: Entry) {
        // An owner, its key and RDATA take less than 1 KiB + 64 KiB.
        if self.arena.len() > u32::MAX as usize - 0x2_0000 {
            self.too_large = true;
            return;
        }
        canonical_key(&entry.owner, &mut self.scratch);
        self.wire.clear();
        name_to_wire(&entry.owner, &mut self.wire);
        let same_owner = self.recs.last().is_some_and(|last| {
            self.key_of(last) == self.scratch.as_slice()
                && self.stored_wire(last) == stored_owner(&self.wire)
        });
        let owner = if same_owner {
            self.recs.last().map_or(0, |last| last.owner)
        } else {
            let at = offset(self.arena.len());
            let key_len = self.scratch.len() as u16;
            let kept = stored_owner(&self.wire);
            self.arena.extend_from_slice(&key_len.to_le_bytes());
            self.arena.push(kept.len() as u8);
            self.arena.extend_from_slice(&self.scratch);
            self.arena.extend_from_slice(kept);
            at
        };
        let rdata = offset(self.arena.len());
        let bytes = entry.rdata.as_bytes();
        // RDATA is at most 65535 octets (checked when it was made).
        self.arena
            .extend_from_slice(&(bytes.len() as u16).to_le_bytes());
        self.arena.extend_from_slice(bytes);
        let file = match &entry.file {
            None => 0,
            Some(path) => match self
                .files
                .iter()
                .position(|f| Arc::ptr_eq(f, path) || f == path)
            {
                Some(i) => i + 1,
                None => {
                    self.files.push(path.clone());
                    self.files.len()
                }
            },
        };
        self.recs.push(Rec {
            owner,
            rdata,
            ttl: entry.ttl,
            line: entry.line,
            column: entry.column,
            rtype: u16::from(entry.rtype),
            file: u16::try_from(file).unwrap_or(u16::MAX),
        });
    }

    /// Number of records.
    pub(crate) fn len(&self) -> usize {
        self.recs.len()
    }

    /// Record `i`.
    pub(crate) fn rec(&self, i: usize) -> &Rec {
        &self.recs[i]
    }

    /// The owner key of record `i`.
    pub(crate) fn key(&self, i: usize) -> &[u8] {
        self.key_of(&self.recs[i])
    }

    fn key_of(&self, r: &Rec) -> &[u8] {
        let at = r.owner as usize;
        let len = usize::from(u16::from_le_bytes([self.arena[at], self.arena[at + 1]]));
        &self.arena[at + 3..at + 3 + len]
    }

    /// The owner's wire form as kept (empty: the key gives it).
    fn stored_wire(&self, r: &Rec) -> &[u8] {
        let at = r.owner as usize;
        let key_len = usize::from(u16::from_le_bytes([self.arena[at], self.arena[at + 1]]));
        let len = usize::from(self.arena[at + 2]);
        let start = at + 3 + key_len;
        &self.arena[start..start + len]
    }

    /// The owner of record `i` as a node without RRsets: the store's one
    /// way to turn a key and a kept wire form into the owner.
    fn owner_node(&self, i: usize) -> Node<'_> {
        let r = &self.recs[i];
        Node::from_parts(self.key_of(r), self.stored_wire(r), &[])
    }

    /// The owner of record `i` in wire form, as written.
    pub(crate) fn owner_wire(&self, i: usize) -> Cow<'_, [u8]> {
        self.owner_node(i).owner_wire()
    }

    /// The owner of record `i`, as written.
    pub(crate) fn owner(&self, i: usize) -> Name {
        self.owner_node(i).owner()
    }

    /// The RDATA of record `i`.
    pub(crate) fn rdata(&self, i: usize) -> &[u8] {
        let at = self.recs[i].rdata as usize;
        let len = usize::from(u16::from_le_bytes([self.arena[at], self.arena[at + 1]]));
        &self.arena[at + 2..at + 2 + len]
    }

    /// The record type of record `i`.
    pub(crate) fn rtype(&self, i: usize) -> RecordType {
        RecordType::from(self.recs[i].rtype)
    }

    /// The included file record `i` is in, if any.
    pub(crate) fn file(&self, i: usize) -> Option<&str> {
        match self.recs[i].file {
            0 => None,
            n => self.files.get(usize::from(n) - 1).map(|f| &**f),
        }
    }

    /// Keeps the records `keep` accepts, in order.
    pub(crate) fn retain(&mut self, mut keep: impl FnMut(&Self, usize) -> bool) {
        let verdicts: Vec<bool> = (0..self.recs.len()).map(|i| keep(self, i)).collect();
        let mut verdict = verdicts.into_iter();
        self.recs.retain(|_| verdict.next().unwrap_or(false));
    }

    /// Sorts the records into canonical order of owners, then types, then
    /// the order they came in (so each RRset's first record in the file
    /// comes first: the RDATA offsets grow in that order). `common` is the
    /// length of the key prefix every record shares (the apex's key): the
    /// sort compares the next eight key bytes as one number first.
    pub(crate) fn sort(&mut self, common: usize) {
        let prefix = |key: &[u8]| {
            let mut eight = [0u8; 8];
            let rest = key.get(common..).unwrap_or_default();
            let n = rest.len().min(8);
            eight[..n].copy_from_slice(&rest[..n]);
            u64::from_be_bytes(eight)
        };
        let mut order: Vec<(u64, u32)> = (0..self.recs.len())
            .map(|i| (prefix(self.key(i)), i as u32))
            .collect();
        order.sort_unstable_by(|a, b| {
            a.0.cmp(&b.0).then_with(|| {
                let (x, y) = (&self.recs[a.1 as usize], &self.recs[b.1 as usize]);
                let key = if x.owner == y.owner {
                    core::cmp::Ordering::Equal
                } else {
                    self.key_of(x).cmp(self.key_of(y))
                };
                key.then(x.rtype.cmp(&y.rtype)).then(x.rdata.cmp(&y.rdata))
            })
        });
        self.recs = order.iter().map(|&(_, i)| self.recs[i as usize]).collect();
    }

    /// The record of `key` and `rtype` that comes first in its file (line,
    /// column), if there is one: where messages about that RRset point.
    pub(crate) fn first_of(&self, key: &[u8], rtype: RecordType) -> Option<usize> {
        let start = self.recs.partition_point(|r| self.key_of(r) < key);
        (start..self.recs.len())
            .take_while(|&i| self.key(i) == key)
            .filter(|&i| self.recs[i].rtype == u16::from(rtype))
            .min_by_key(|&i| (self.recs[i].line, self.recs[i].column))
    }
}
