//! [`NodeMap`]: a zone's nodes in canonical order, shared between versions.
//!
//! A sorted sequence cut into chunks of at most [`MAX_CHUNK`] entries, each
//! chunk behind an [`Arc`]. Cloning the map copies one pointer per chunk
//! (a 1 000 000-record zone: ~12 000 chunks, ~100 KB), and a change copies
//! only the chunks it touches ([`Arc::make_mut`]): an UPDATE or an IXFR
//! builds its new version in time proportional to the change, while
//! queries keep reading the old one, and two versions hold their unchanged
//! chunks once. [`Cursor`] lets a walk over two versions skip the chunks
//! they share (a diff of versions costs the change, not the zone).
//! Generic over a node's value (a zone's is `model::Node`, its RRsets):
//! this module knows the keys and the sharing, nothing of DNS data.
//!
//! A sorted vector per chunk rather than a B-tree: no per-node slack of
//! half-empty tree nodes, a lookup is one binary search over the chunks'
//! first keys and one inside a chunk, and the walk in canonical order
//! (RFC 4034 §6.1) that printing, transfers and a future NSEC chain need is
//! a walk over contiguous memory. No crate offers this in `no_std` with
//! borrowed-slice lookups (`imbl` and `rpds` need `std` or key types
//! owned by the caller), so it is written here.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use hickory_proto::rr::Name;

use super::key::NameKey;

/// Most entries a chunk holds; a chunk that grows beyond is split in two.
pub(crate) const MAX_CHUNK: usize = 128;
/// Entries per chunk when a map is built from sorted entries: room to grow
/// by an UPDATE without splitting, little slack.
const BUILD_CHUNK: usize = 96;
/// A chunk that shrinks below this is merged with its right neighbour when
/// the two fit in one.
const MIN_CHUNK: usize = 16;

/// One node: its key, its owner as written, and its value (a zone's: its
/// RRsets, `model::Node`).
pub(crate) type NodeEntry<V> = (NameKey, (Name, V));

#[derive(Clone, PartialEq, Eq)]
struct Chunk<V>(Vec<NodeEntry<V>>);

impl<V> Chunk<V> {
    fn first_key(&self) -> &[u8] {
        self.0[0].0.as_bytes()
    }
}

/// The first key of every chunk, side by side in one buffer: a lookup's
/// binary search over the chunks reads this contiguous memory instead of
/// following three pointers per probe (the chunk, its entries, the key),
/// and a clone of the map copies two buffers, not a key per chunk.
#[derive(Clone, Default, Debug)]
struct FirstKeys {
    bytes: Vec<u8>,
    /// End of each key in `bytes`.
    ends: Vec<u32>,
}

impl FirstKeys {
    fn range(&self, i: usize) -> core::ops::Range<usize> {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        start..self.ends[i] as usize
    }

    /// Replaces the keys in `at` by `keys` (an insertion, a removal or a
    /// change of the first key of a chunk).
    fn splice(&mut self, at: core::ops::Range<usize>, keys: &[&[u8]]) {
        let start = if at.start == 0 {
            0
        } else {
            self.ends[at.start - 1] as usize
        };
        let end = if at.end == 0 {
            0
        } else {
            self.ends[at.end - 1] as usize
        };
        let added: usize = keys.iter().map(|k| k.len()).sum();
        self.bytes
            .splice(start..end, keys.iter().flat_map(|k| k.iter().copied()));
        let delta = added as i64 - (end - start) as i64;
        let mut new_ends = Vec::with_capacity(keys.len());
        let mut at_byte = start;
        for k in keys {
            at_byte += k.len();
            new_ends.push(at_byte as u32);
        }
        let tail = at.end;
        for e in &mut self.ends[tail..] {
            *e = (i64::from(*e) + delta) as u32;
        }
        self.ends.splice(at, new_ends);
    }

    /// Number of chunks whose first key is not greater than `key`.
    fn partition_point(&self, key: &[u8]) -> usize {
        let (mut low, mut high) = (0, self.ends.len());
        while low < high {
            let mid = (low + high) / 2;
            if &self.bytes[self.range(mid)] <= key {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        low
    }
}

/// The nodes of a zone by key, in key order; see the module docs.
pub(crate) struct NodeMap<V> {
    /// Non-empty chunks, in key order, not overlapping.
    chunks: Vec<Arc<Chunk<V>>>,
    /// The first key of each chunk.
    firsts: FirstKeys,
    len: usize,
}

/// Appends entries in strictly increasing key order (the loader's order)
/// without holding them twice.
pub(crate) struct NodeMapBuilder<V> {
    map: NodeMap<V>,
    open: Vec<NodeEntry<V>>,
}

impl<V> Default for NodeMap<V> {
    fn default() -> Self {
        Self {
            chunks: Vec::new(),
            firsts: FirstKeys::default(),
            len: 0,
        }
    }
}

/// A clone shares every chunk (see the module docs).
impl<V> Clone for NodeMap<V> {
    fn clone(&self) -> Self {
        Self {
            chunks: self.chunks.clone(),
            firsts: self.firsts.clone(),
            len: self.len,
        }
    }
}

impl<V> NodeMapBuilder<V> {
    /// An empty map to fill.
    pub(crate) fn new() -> Self {
        Self {
            map: NodeMap::default(),
            open: Vec::with_capacity(BUILD_CHUNK),
        }
    }

    /// Appends `entry`, whose key must be greater than every key so far.
    pub(crate) fn push(&mut self, entry: NodeEntry<V>) {
        debug_assert!(self
            .open
            .last()
            .or_else(|| self.map.chunks.last().and_then(|c| c.0.last()))
            .is_none_or(|last| last.0 < entry.0));
        self.open.push(entry);
        if self.open.len() == BUILD_CHUNK {
            self.close_chunk();
        }
    }

    fn close_chunk(&mut self) {
        let full = core::mem::replace(&mut self.open, Vec::with_capacity(BUILD_CHUNK));
        self.map.len += full.len();
        let n = self.map.chunks.len();
        self.map.firsts.splice(n..n, &[full[0].0.as_bytes()]);
        self.map.chunks.push(Arc::new(Chunk(full)));
    }

    /// The map built so far, entries in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &NodeEntry<V>> {
        self.map.iter().chain(self.open.iter())
    }

    /// The finished map.
    pub(crate) fn finish(mut self) -> NodeMap<V> {
        if !self.open.is_empty() {
            self.open.shrink_to_fit();
            self.close_chunk();
        }
        self.map.chunks.shrink_to_fit();
        self.map.firsts.bytes.shrink_to_fit();
        self.map.firsts.ends.shrink_to_fit();
        self.map
    }
}

impl<V> NodeMap<V> {
    /// Number of nodes.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Index of the chunk that holds `key` if any chunk does (the last
    /// chunk whose first key is not greater), or `None` when `key` comes
    /// before every key.
    fn chunk_of(&self, key: &[u8]) -> Option<usize> {
        self.firsts.partition_point(key).checked_sub(1)
    }

    /// (chunk, position) of `key`, or where it would be inserted.
    fn find(&self, key: &[u8]) -> (usize, Result<usize, usize>) {
        match self.chunk_of(key) {
            Some(c) => (
                c,
                self.chunks[c]
                    .0
                    .binary_search_by(|e| e.0.as_bytes().cmp(key)),
            ),
            None => (0, Err(0)),
        }
    }

    /// The owner and node of `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Option<&(Name, V)> {
        match self.find(key) {
            (c, Ok(i)) => Some(&self.chunks[c].0[i].1),
            _ => None,
        }
    }

    /// Whether `key` has a node.
    pub(crate) fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// The owner and node of `key`, to change (its chunk is copied first if
    /// another version shares it).
    pub(crate) fn get_mut(&mut self, key: &[u8]) -> Option<&mut (Name, V)>
    where
        V: Clone,
    {
        match self.find(key) {
            (c, Ok(i)) => Some(&mut Arc::make_mut(&mut self.chunks[c]).0[i].1),
            _ => None,
        }
    }

    /// The node of `key`, inserted by `make` if there is none.
    pub(crate) fn get_or_insert_with(
        &mut self,
        key: NameKey,
        make: impl FnOnce() -> (Name, V),
    ) -> &mut (Name, V)
    where
        V: Clone,
    {
        let (c, found) = self.find(key.as_bytes());
        let i = match found {
            Ok(i) => i,
            Err(i) => {
                if self.chunks.is_empty() {
                    self.chunks.push(Arc::new(Chunk(Vec::new())));
                    self.firsts.splice(0..0, &[key.as_bytes()]);
                } else if i == 0 {
                    // A new first key of its chunk (only the first chunk
                    // takes keys before its first one).
                    self.firsts.splice(c..c + 1, &[key.as_bytes()]);
                }
                Arc::make_mut(&mut self.chunks[c])
                    .0
                    .insert(i, (key, make()));
                self.len += 1;
                return self.split_if_full(c, i);
            }
        };
        &mut Arc::make_mut(&mut self.chunks[c]).0[i].1
    }

    /// Splits chunk `c` in two halves if it grew too large; returns the
    /// entry that was at position `i` of it.
    fn split_if_full(&mut self, c: usize, i: usize) -> &mut (Name, V)
    where
        V: Clone,
    {
        let (c, i) = if self.chunks[c].0.len() > MAX_CHUNK {
            let chunk = Arc::make_mut(&mut self.chunks[c]);
            let half = chunk.0.len() / 2;
            let right = chunk.0.split_off(half);
            chunk.0.shrink_to_fit();
            self.firsts.splice(c + 1..c + 1, &[right[0].0.as_bytes()]);
            self.chunks.insert(c + 1, Arc::new(Chunk(right)));
            if i < half {
                (c, i)
            } else {
                (c + 1, i - half)
            }
        } else {
            (c, i)
        };
        &mut Arc::make_mut(&mut self.chunks[c]).0[i].1
    }

    /// Removes the node of `key`; returns it.
    pub(crate) fn remove(&mut self, key: &[u8]) -> Option<NodeEntry<V>>
    where
        V: Clone,
    {
        let (c, Ok(i)) = self.find(key) else {
            return None;
        };
        let removed = Arc::make_mut(&mut self.chunks[c]).0.remove(i);
        self.len -= 1;
        let left = self.chunks[c].0.len();
        if left == 0 {
            self.chunks.remove(c);
            self.firsts.splice(c..c + 1, &[]);
            return Some(removed);
        }
        if i == 0 {
            let first = self.chunks[c].first_key();
            self.firsts.splice(c..c + 1, &[first]);
        }
        if left < MIN_CHUNK
            && self
                .chunks
                .get(c + 1)
                .is_some_and(|next| left + next.0.len() <= MAX_CHUNK)
        {
            let next = self.chunks.remove(c + 1);
            self.firsts.splice(c + 1..c + 2, &[]);
            let next = Arc::try_unwrap(next).unwrap_or_else(|shared| (*shared).clone());
            Arc::make_mut(&mut self.chunks[c]).0.extend(next.0);
        }
        Some(removed)
    }

    /// The first entry whose key is greater than `key`.
    pub(crate) fn first_after(&self, key: &[u8]) -> Option<&NodeEntry<V>> {
        let (c, at) = self.find(key);
        let i = match at {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        let chunk = self.chunks.get(c)?;
        chunk
            .0
            .get(i)
            .or_else(|| self.chunks.get(c + 1).map(|n| &n.0[0]))
    }

    /// The entries from `key` on (itself included), in key order.
    pub(crate) fn range_from<'a>(&'a self, key: &[u8]) -> impl Iterator<Item = &'a NodeEntry<V>> {
        let (c, at) = self.find(key);
        let i = at.unwrap_or_else(|i| i);
        self.chunks
            .get(c..)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .flat_map(move |(n, chunk)| chunk.0[if n == 0 { i } else { 0 }..].iter())
    }

    /// All entries, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &NodeEntry<V>> {
        self.chunks.iter().flat_map(|c| c.0.iter())
    }

    /// All owners and nodes, in key order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &(Name, V)> {
        self.iter().map(|(_, v)| v)
    }

    /// A cursor at the first entry.
    pub(crate) fn cursor(&self) -> Cursor<'_, V> {
        Cursor {
            map: self,
            chunk: 0,
            index: 0,
        }
    }

    /// Chunks this map shares with `other` (same allocation): a measure of
    /// structural sharing, for tests.
    #[cfg(test)]
    pub(crate) fn shared_chunks(&self, other: &NodeMap<V>) -> usize {
        self.chunks
            .iter()
            .filter(|c| other.chunks.iter().any(|o| Arc::ptr_eq(c, o)))
            .count()
    }

    /// Checks the invariants: chunks non-empty and in order, the first
    /// keys those of the chunks, the length their sum.
    #[cfg(test)]
    fn assert_consistent(&self) {
        assert_eq!(self.firsts.ends.len(), self.chunks.len());
        for (i, chunk) in self.chunks.iter().enumerate() {
            assert!(!chunk.0.is_empty() && chunk.0.len() <= MAX_CHUNK);
            assert_eq!(&self.firsts.bytes[self.firsts.range(i)], chunk.first_key());
        }
        let keys: Vec<&NameKey> = self.iter().map(|(k, _)| k).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(keys.len(), self.len);
    }

    #[cfg(test)]
    fn chunk_lengths(&self) -> Vec<usize> {
        self.chunks.iter().map(|c| c.0.len()).collect()
    }
}

/// A position in a [`NodeMap`], for walking two versions side by side.
pub(crate) struct Cursor<'a, V> {
    map: &'a NodeMap<V>,
    chunk: usize,
    index: usize,
}

impl<'a, V> Cursor<'a, V> {
    /// The entry at the cursor.
    pub(crate) fn peek(&self) -> Option<&'a NodeEntry<V>> {
        self.map.chunks.get(self.chunk).map(|c| &c.0[self.index])
    }

    /// Moves to the next entry; returns the one it was at.
    pub(crate) fn next_entry(&mut self) -> Option<&'a NodeEntry<V>> {
        let entry = self.peek()?;
        self.index += 1;
        if self.index == self.map.chunks[self.chunk].0.len() {
            self.chunk += 1;
            self.index = 0;
        }
        Some(entry)
    }

    /// If both cursors stand at the start of one shared chunk, moves both
    /// past it and returns true: the entries in it are the same in both.
    pub(crate) fn skip_shared(&mut self, other: &mut Cursor<'_, V>) -> bool {
        let shared = self.index == 0
            && other.index == 0
            && match (
                self.map.chunks.get(self.chunk),
                other.map.chunks.get(other.chunk),
            ) {
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            };
        if shared {
            self.chunk += 1;
            other.chunk += 1;
        }
        shared
    }
}

impl<V: PartialEq> PartialEq for NodeMap<V> {
    fn eq(&self, other: &Self) -> bool {
        if self.len != other.len {
            return false;
        }
        let (mut a, mut b) = (self.cursor(), other.cursor());
        loop {
            if a.skip_shared(&mut b) {
                continue;
            }
            match (a.next_entry(), b.next_entry()) {
                (None, None) => return true,
                (Some(x), Some(y)) if x == y => {}
                _ => return false,
            }
        }
    }
}

impl<V: Eq> Eq for NodeMap<V> {}

impl<V: fmt::Debug> fmt::Debug for NodeMap<V> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.iter().map(|(k, v)| (k, v)))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    fn name(i: usize) -> Name {
        format!("n{i:06}.example.").parse().unwrap()
    }

    fn entry(i: usize) -> NodeEntry<u32> {
        let n = name(i);
        (NameKey::new(&n), (n, i as u32))
    }

    fn built(count: usize) -> NodeMap<u32> {
        let mut b = NodeMapBuilder::new();
        (0..count).for_each(|i| b.push(entry(i * 2)));
        let map = b.finish();
        map.assert_consistent();
        map
    }

    fn keys(map: &NodeMap<u32>) -> Vec<NameKey> {
        map.iter().map(|(k, _)| k.clone()).collect()
    }

    #[test]
    fn lookups_find_every_key_and_only_those() {
        let map = built(1000);
        assert_eq!(map.len(), 1000);
        for i in 0..2000 {
            let key = NameKey::new(&name(i));
            assert_eq!(map.contains_key(key.as_bytes()), i % 2 == 0, "{i}");
        }
        let before_all = NameKey::new(&"a.example.".parse().unwrap());
        assert!(map.get(before_all.as_bytes()).is_none());
        assert_eq!(
            map.first_after(before_all.as_bytes()).unwrap().0,
            entry(0).0
        );
        let last = NameKey::new(&name(1998));
        assert!(map.first_after(last.as_bytes()).is_none());
        // Across a chunk boundary: the entry after the last of a chunk.
        let end_of_first = NameKey::new(&name((BUILD_CHUNK - 1) * 2));
        assert_eq!(
            map.first_after(end_of_first.as_bytes()).unwrap().0,
            entry(BUILD_CHUNK * 2).0
        );
        let from: Vec<_> = map
            .range_from(NameKey::new(&name(21)).as_bytes())
            .map(|(k, _)| k.clone())
            .collect();
        assert_eq!(from.len(), 1000 - 11);
        assert_eq!(from[0], entry(22).0);
    }

    #[test]
    fn inserts_and_removes_keep_order_split_and_merge() {
        let mut map = built(300);
        for i in 0..300 {
            let (k, v) = entry(i * 2 + 1);
            map.get_or_insert_with(k, || v);
        }
        assert_eq!(map.len(), 600);
        map.assert_consistent();
        let all = keys(&map);
        assert!(all.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(all.len(), 600);
        assert!(map.chunk_lengths().iter().all(|&n| n > 0 && n <= MAX_CHUNK));
        for i in (0..600).filter(|i| i % 3 != 0) {
            assert!(map.remove(entry(i).0.as_bytes()).is_some(), "{i}");
        }
        assert!(map.remove(entry(1).0.as_bytes()).is_none());
        assert_eq!(map.len(), 200);
        map.assert_consistent();
        assert_eq!(
            keys(&map),
            (0..600).step_by(3).map(|i| entry(i).0).collect::<Vec<_>>()
        );
        assert!(map.chunk_lengths().iter().all(|&n| n > 0 && n <= MAX_CHUNK));
        for i in (0..600).step_by(3) {
            map.remove(entry(i).0.as_bytes());
        }
        assert_eq!(map.len(), 0);
        map.assert_consistent();
        assert!(map.iter().next().is_none());
        let (k, v) = entry(7);
        map.get_or_insert_with(k, || v);
        assert_eq!(keys(&map), [entry(7).0]);
        // Before every key: a new first key of the first chunk.
        let (k, v) = entry(3);
        map.get_or_insert_with(k, || v);
        map.assert_consistent();
        assert!(map.contains_key(entry(3).0.as_bytes()));
        map.remove(entry(3).0.as_bytes());
        map.assert_consistent();
        assert!(map.contains_key(entry(7).0.as_bytes()));
    }

    #[test]
    fn a_change_copies_one_chunk_and_shares_the_rest() {
        let old = built(100_000);
        let chunks = old.chunk_lengths().len();
        let mut new = old.clone();
        assert_eq!(new.shared_chunks(&old), chunks);
        let (k, v) = entry(50_001);
        new.get_or_insert_with(k, || v);
        new.remove(entry(70_000).0.as_bytes());
        new.assert_consistent();
        assert_eq!(new.shared_chunks(&old), chunks - 2);
        // The old version is untouched.
        assert_eq!(old.len(), 100_000);
        assert!(!old.contains_key(entry(50_001).0.as_bytes()));
        assert!(old.contains_key(entry(70_000).0.as_bytes()));
        assert_ne!(old, new);
        let mut back = new.clone();
        back.remove(entry(50_001).0.as_bytes());
        let (k, v) = entry(70_000);
        back.get_or_insert_with(k, || v);
        assert_eq!(back, old);
    }

    #[test]
    fn a_cursor_skips_shared_chunks_and_sees_the_rest() {
        let old = built(10_000);
        let mut new = old.clone();
        let (k, v) = entry(5_001);
        new.get_or_insert_with(k, || v);
        let (mut a, mut b) = (old.cursor(), new.cursor());
        let (mut skipped, mut differing) = (0, Vec::new());
        loop {
            if a.skip_shared(&mut b) {
                skipped += 1;
                continue;
            }
            match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(x), Some(y)) if x.0 == y.0 => {
                    a.next_entry();
                    b.next_entry();
                }
                (Some(x), Some(y)) if x.0 < y.0 => {
                    differing.push(a.next_entry().unwrap().0.clone())
                }
                _ => differing.push(b.next_entry().unwrap().0.clone()),
            }
        }
        assert_eq!(differing, [entry(5_001).0]);
        assert_eq!(skipped, old.chunk_lengths().len() - 1);
    }

    #[test]
    fn random_inserts_and_removes_agree_with_a_btree() {
        let mut map = built(500);
        let mut model: alloc::collections::BTreeSet<NameKey> =
            (0..500).map(|i| entry(i * 2).0).collect();
        // A fixed xorshift sequence: repeatable.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x % 1500) as usize;
            let (k, v) = entry(i);
            if x & (1 << 40) == 0 {
                map.get_or_insert_with(k.clone(), || v);
                model.insert(k);
            } else {
                assert_eq!(
                    map.remove(k.as_bytes()).is_some(),
                    model.remove(&k),
                    "{step}"
                );
            }
            if step % 1000 == 0 {
                map.assert_consistent();
            }
        }
        map.assert_consistent();
        assert_eq!(keys(&map), model.into_iter().collect::<Vec<_>>());
        for i in 0..1500 {
            let k = entry(i).0;
            let after = map.first_after(k.as_bytes()).map(|(k, _)| k.clone());
            let expected = keys(&map).into_iter().find(|m| *m > k);
            assert_eq!(after, expected, "{i}");
        }
    }
}
