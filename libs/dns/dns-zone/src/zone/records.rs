//! [`Records`]: parsed records held compactly while a zone is built.
//!
//! A parser's [`Entry`] is 128 bytes, and the loader needs every record
//! before it can sort them into nodes: for a 1 000 000-record zone that was
//! the peak of a load. Here each record is a 32-byte [`Rec`], its owner key
//! and owner in one byte arena (~50 bytes for a typical host name), and its
//! RDATA as parsed (moved into the zone later, not copied), taken from each
//! entry as the parser yields it, so the entries are never all held at
//! once.

use alloc::sync::Arc;
use alloc::vec::Vec;

use hickory_proto::rr::{Name, RecordType};

use crate::name::{canonical_key, name_from_wire, name_to_wire};
use crate::parser::Entry;
use crate::rdata::Rdata;

/// One record: where its bytes are in the arena, and what the checks and
/// messages need.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rec {
    /// Start of the owner key in the arena; the owner's wire form follows.
    at: u64,
    key_len: u16,
    owner_len: u16,
    /// Type code.
    pub(crate) rtype: u16,
    /// Index of the RDATA in [`Records::rdatas`].
    rdata: u32,
    pub(crate) ttl: u32,
    pub(crate) line: u32,
    pub(crate) column: u32,
    /// 0: the zone's own file; n: `files[n - 1]`.
    file: u16,
}

/// Records in a byte arena, in the order they came, then sorted.
#[derive(Debug, Default)]
pub(crate) struct Records {
    arena: Vec<u8>,
    recs: Vec<Rec>,
    /// The RDATA of every record, in the order they came.
    rdatas: Vec<Rdata>,
    /// The `$INCLUDE`d files records came from.
    files: Vec<Arc<str>>,
    scratch: Vec<u8>,
}

impl Records {
    /// Takes `entry` in.
    pub(crate) fn push(&mut self, entry: Entry) {
        let at = self.arena.len() as u64;
        canonical_key(&entry.owner, &mut self.scratch);
        self.arena.extend_from_slice(&self.scratch);
        let key_len = self.scratch.len() as u16;
        self.scratch.clear();
        name_to_wire(&entry.owner, &mut self.scratch);
        self.arena.extend_from_slice(&self.scratch);
        let owner_len = self.scratch.len() as u16;
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
            at,
            key_len,
            owner_len,
            rtype: u16::from(entry.rtype),
            rdata: self.rdatas.len() as u32,
            ttl: entry.ttl,
            line: entry.line,
            column: entry.column,
            file: u16::try_from(file).unwrap_or(u16::MAX),
        });
        self.rdatas.push(entry.rdata);
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
        &self.arena[r.at as usize..r.at as usize + usize::from(r.key_len)]
    }

    fn owner_wire(&self, r: &Rec) -> &[u8] {
        let start = r.at as usize + usize::from(r.key_len);
        &self.arena[start..start + usize::from(r.owner_len)]
    }

    /// The owner of record `i`, as written.
    pub(crate) fn owner(&self, i: usize) -> Name {
        name_from_wire(self.owner_wire(&self.recs[i]), 0)
            .map(|(name, _)| name)
            .unwrap_or_else(Name::root)
    }

    /// Moves every record's RDATA out, to be taken with
    /// [`Records::take_rdata`] (the records keep their indices).
    pub(crate) fn take_rdatas(&mut self) -> Vec<Rdata> {
        core::mem::take(&mut self.rdatas)
    }

    /// Moves the RDATA of record `i` out of `rdatas` (from
    /// [`Records::take_rdatas`]).
    pub(crate) fn take_rdata(&self, rdatas: &mut [Rdata], i: usize) -> Rdata {
        core::mem::take(&mut rdatas[self.recs[i].rdata as usize])
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
    /// comes first). `common` is the length of the key prefix every
    /// record shares (the apex's key): the sort compares the next eight
    /// key bytes as one number first.
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
                let (x, y) = (a.1 as usize, b.1 as usize);
                self.key(x)
                    .cmp(self.key(y))
                    .then(self.recs[x].rtype.cmp(&self.recs[y].rtype))
                    .then(x.cmp(&y))
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
