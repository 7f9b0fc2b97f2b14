//! [`NodeMap`]: a zone's nodes in canonical order, shared between versions.
//!
//! A sorted sequence cut into chunks of at most [`MAX_CHUNK`] nodes, each
//! chunk behind an [`Arc`]. Cloning the map copies one pointer per chunk
//! (a 1 000 000-record zone: ~8 000 chunks, ~100 KB), and a change copies
//! only the chunk it touches: an UPDATE or an IXFR builds its new version
//! in time proportional to the change, while queries keep reading the old
//! one, and two versions hold their unchanged chunks once. [`Cursor`] lets
//! a walk over two versions skip the chunks they share (a diff of
//! versions costs the change, not the zone).
//!
//! A chunk is one byte buffer holding its nodes one after the other, and
//! the offset of each: per node a 7-byte header, the owner's key, the
//! owner's wire form only when it is not all lowercase (the key gives it
//! otherwise), and the RRsets in the form of [`super::rrset`]. A host with
//! one address takes about 50 bytes and no allocation of its own (it took
//! about 250 in five allocations as a map of `Name` to a `Vec` of RRsets),
//! a lookup is one binary search over the chunks' first keys and one over
//! a chunk's offsets, each comparing bytes, and the walk in canonical
//! order (RFC 4034 §6.1) that printing, transfers and a future NSEC chain
//! need reads contiguous memory. No crate offers this in `no_std` (`imbl`
//! and `rpds` hold one allocated value per entry), so it is written here.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use super::rrset::Node;

/// Most nodes a chunk holds; a chunk that grows beyond is split in two.
pub(crate) const MAX_CHUNK: usize = 128;
/// Nodes per chunk when a map is built from sorted nodes: room to grow
/// by an UPDATE without splitting, little slack.
const BUILD_CHUNK: usize = 96;
/// A chunk that shrinks below this is merged with its right neighbour when
/// the two fit in one.
const MIN_CHUNK: usize = 16;
/// Bytes before a node's key: u16 key length, u8 owner length, u32 length
/// of the RRsets.
const NODE_HEADER: usize = 7;

/// The owner as a chunk stores it: nothing when the key gives it (an
/// owner without capital letters; the key is lowercase).
pub(crate) fn stored_owner(owner_wire: &[u8]) -> &[u8] {
    if owner_wire.iter().any(u8::is_ascii_uppercase) {
        owner_wire
    } else {
        &[]
    }
}

/// Sorted nodes in one buffer (see the module docs).
#[derive(Clone, Default)]
struct Chunk {
    bytes: Vec<u8>,
    /// Where each node starts in `bytes`.
    starts: Vec<u32>,
}

impl Chunk {
    fn len(&self) -> usize {
        self.starts.len()
    }

    /// Node `i`.
    fn node(&self, i: usize) -> Node<'_> {
        let b = &self.bytes[self.starts[i] as usize..];
        let key_len = usize::from(u16::from_le_bytes([b[0], b[1]]));
        let owner_len = usize::from(b[2]);
        let sets_len = u32::from_le_bytes([b[3], b[4], b[5], b[6]]) as usize;
        let key = &b[NODE_HEADER..NODE_HEADER + key_len];
        let owner = &b[NODE_HEADER + key_len..NODE_HEADER + key_len + owner_len];
        let at = NODE_HEADER + key_len + owner_len;
        Node::from_parts(key, owner, &b[at..at + sets_len])
    }

    fn key(&self, i: usize) -> &[u8] {
        self.node(i).key()
    }

    fn first_key(&self) -> &[u8] {
        self.key(0)
    }

    /// Appends a node (`owner` as stored: see [`stored_owner`]).
    fn push(&mut self, key: &[u8], owner: &[u8], sets: &[u8]) {
        self.starts.push(self.bytes.len() as u32);
        self.bytes
            .extend_from_slice(&(key.len() as u16).to_le_bytes());
        self.bytes.push(owner.len() as u8);
        self.bytes
            .extend_from_slice(&(sets.len() as u32).to_le_bytes());
        self.bytes.extend_from_slice(key);
        self.bytes.extend_from_slice(owner);
        self.bytes.extend_from_slice(sets);
    }

    fn push_node(&mut self, node: Node<'_>) {
        let (key, owner, sets) = node.stored_parts();
        self.push(key, owner, sets);
    }

    /// Binary search for `key`.
    fn search(&self, key: &[u8]) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.len());
        while low < high {
            let mid = (low + high) / 2;
            match self.key(mid).cmp(key) {
                core::cmp::Ordering::Less => low = mid + 1,
                core::cmp::Ordering::Greater => high = mid,
                core::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(low)
    }

    fn shrink(&mut self) {
        self.bytes.shrink_to_fit();
        self.starts.shrink_to_fit();
    }
}

/// The first key of every chunk, side by side in one buffer: a lookup's
/// binary search over the chunks reads this contiguous memory instead of
/// following pointers per probe, and a clone of the map copies two
/// buffers, not a key per chunk.
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

    /// Replaces the keys in `at` by `keys` (chunks inserted, removed, or
    /// with a new first key).
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
#[derive(Clone, Default)]
pub(crate) struct NodeMap {
    /// Non-empty chunks, in key order, not overlapping. A clone shares
    /// every chunk.
    chunks: Vec<Arc<Chunk>>,
    /// The first key of each chunk.
    firsts: FirstKeys,
    len: usize,
}

/// Appends nodes in strictly increasing key order (the loader's order).
pub(crate) struct NodeMapBuilder {
    map: NodeMap,
    open: Chunk,
    last_key: Vec<u8>,
}

impl NodeMapBuilder {
    /// An empty map to fill.
    pub(crate) fn new() -> Self {
        Self {
            map: NodeMap::default(),
            open: Chunk::default(),
            last_key: Vec::new(),
        }
    }

    /// Appends a node: its key, which must be greater than every key so
    /// far, its owner's wire form as written, and its RRsets' bytes.
    pub(crate) fn push(&mut self, key: &[u8], owner_wire: &[u8], sets: &[u8]) {
        debug_assert!(self.map.len + self.open.len() == 0 || self.last_key.as_slice() < key);
        self.last_key.clear();
        self.last_key.extend_from_slice(key);
        self.open.push(key, stored_owner(owner_wire), sets);
        if self.open.len() == BUILD_CHUNK {
            self.close_chunk();
        }
    }

    fn close_chunk(&mut self) {
        let mut full = core::mem::take(&mut self.open);
        full.shrink();
        self.map.len += full.len();
        let n = self.map.chunks.len();
        self.map.firsts.splice(n..n, &[full.first_key()]);
        self.map.chunks.push(Arc::new(full));
    }

    /// The nodes pushed so far, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Node<'_>> {
        self.map
            .iter()
            .chain((0..self.open.len()).map(|i| self.open.node(i)))
    }

    /// The finished map.
    pub(crate) fn finish(mut self) -> NodeMap {
        if self.open.len() > 0 {
            self.close_chunk();
        }
        self.map.chunks.shrink_to_fit();
        self.map.firsts.bytes.shrink_to_fit();
        self.map.firsts.ends.shrink_to_fit();
        self.map
    }
}

impl NodeMap {
    /// Number of nodes.
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
            Some(c) => (c, self.chunks[c].search(key)),
            None => (0, Err(0)),
        }
    }

    /// The node of `key`.
    pub(crate) fn get(&self, key: &[u8]) -> Option<Node<'_>> {
        match self.find(key) {
            (c, Ok(i)) => Some(self.chunks[c].node(i)),
            _ => None,
        }
    }

    /// Whether `key` has a node.
    pub(crate) fn contains_key(&self, key: &[u8]) -> bool {
        self.get(key).is_some()
    }

    /// Sets the node of `key`: its owner's wire form as written and its
    /// RRsets' bytes, or removes it when `sets` is empty. Only the chunk
    /// that holds it is copied.
    pub(crate) fn set(&mut self, key: &[u8], owner_wire: &[u8], sets: &[u8]) {
        let (c, found) = self.find(key);
        if sets.is_empty() {
            if let Ok(i) = found {
                self.remove_at(c, i);
            }
            return;
        }
        let owner = stored_owner(owner_wire);
        if self.chunks.is_empty() {
            let mut chunk = Chunk::default();
            chunk.push(key, owner, sets);
            self.chunks.push(Arc::new(chunk));
            self.firsts.splice(0..0, &[key]);
            self.len = 1;
            return;
        }
        let old = &self.chunks[c];
        let mut new = Chunk {
            bytes: Vec::with_capacity(old.bytes.len() + key.len() + sets.len() + NODE_HEADER),
            starts: Vec::with_capacity(old.len() + 1),
        };
        let (at, replaced) = match found {
            Ok(i) => (i, 1),
            Err(i) => (i, 0),
        };
        for i in 0..at {
            new.push_node(old.node(i));
        }
        new.push(key, owner, sets);
        for i in at + replaced..old.len() {
            new.push_node(old.node(i));
        }
        self.len += 1 - replaced;
        if at == 0 {
            self.firsts.splice(c..c + 1, &[key]);
        }
        if new.len() > MAX_CHUNK {
            let half = new.len() / 2;
            let (left, right) = split(&new, half);
            self.firsts.splice(c + 1..c + 1, &[right.first_key()]);
            self.chunks[c] = Arc::new(left);
            self.chunks.insert(c + 1, Arc::new(right));
        } else {
            self.chunks[c] = Arc::new(new);
        }
    }

    /// Removes node `i` of chunk `c`, merging a small chunk with the next.
    fn remove_at(&mut self, c: usize, i: usize) {
        let old = &self.chunks[c];
        let mut new = Chunk::default();
        for j in (0..old.len()).filter(|&j| j != i) {
            new.push_node(old.node(j));
        }
        self.len -= 1;
        if new.len() == 0 {
            self.chunks.remove(c);
            self.firsts.splice(c..c + 1, &[]);
            return;
        }
        if new.len() < MIN_CHUNK
            && self
                .chunks
                .get(c + 1)
                .is_some_and(|next| new.len() + next.len() <= MAX_CHUNK)
        {
            let next = self.chunks.remove(c + 1);
            self.firsts.splice(c + 1..c + 2, &[]);
            for j in 0..next.len() {
                new.push_node(next.node(j));
            }
        }
        new.shrink();
        if i == 0 {
            self.firsts.splice(c..c + 1, &[new.first_key()]);
        }
        self.chunks[c] = Arc::new(new);
    }

    /// The first node whose key is greater than `key`.
    pub(crate) fn first_after(&self, key: &[u8]) -> Option<Node<'_>> {
        let (c, at) = self.find(key);
        let i = match at {
            Ok(i) => i + 1,
            Err(i) => i,
        };
        let chunk = self.chunks.get(c)?;
        if i < chunk.len() {
            Some(chunk.node(i))
        } else {
            self.chunks.get(c + 1).map(|n| n.node(0))
        }
    }

    /// The nodes from `key` on (itself included), in key order.
    pub(crate) fn range_from<'a>(&'a self, key: &[u8]) -> impl Iterator<Item = Node<'a>> {
        let (c, at) = self.find(key);
        let i = at.unwrap_or_else(|i| i);
        self.chunks
            .get(c..)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .flat_map(move |(n, chunk)| {
                (if n == 0 { i } else { 0 }..chunk.len()).map(move |j| chunk.node(j))
            })
    }

    /// All nodes, in key order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = Node<'_>> {
        self.chunks
            .iter()
            .flat_map(|c| (0..c.len()).map(move |j| c.node(j)))
    }

    /// A cursor at the first node.
    pub(crate) fn cursor(&self) -> Cursor<'_> {
        Cursor {
            map: self,
            chunk: 0,
            index: 0,
        }
    }

    /// Bytes the nodes take (the chunks' buffers and offsets), for the
    /// memory bounds in the docs and the benchmark.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.chunks
            .iter()
            .map(|c| c.bytes.capacity() + 4 * c.starts.capacity() + core::mem::size_of::<Chunk>())
            .sum::<usize>()
            + self.firsts.bytes.capacity()
            + 4 * self.firsts.ends.capacity()
            + core::mem::size_of::<usize>() * self.chunks.capacity()
    }

    /// Chunks this map shares with `other` (same allocation): a measure of
    /// structural sharing, for tests.
    #[cfg(test)]
    pub(crate) fn shared_chunks(&self, other: &NodeMap) -> usize {
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
            assert!(chunk.len() > 0 && chunk.len() <= MAX_CHUNK);
            assert_eq!(&self.firsts.bytes[self.firsts.range(i)], chunk.first_key());
        }
        let keys: Vec<&[u8]> = self.iter().map(|n| n.key()).collect();
        assert!(keys.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(keys.len(), self.len);
    }

    #[cfg(test)]
    fn chunk_lengths(&self) -> Vec<usize> {
        self.chunks.iter().map(|c| c.len()).collect()
    }
}

/// Chunk `chunk` cut before node `at`.
fn split(chunk: &Chunk, at: usize) -> (Chunk, Chunk) {
    let (mut left, mut right) = (Chunk::default(), Chunk::default());
    for i in 0..chunk.len() {
        let half = if i < at { &mut left } else { &mut right };
        half.push_node(chunk.node(i));
    }
    left.shrink();
    right.shrink();
    (left, right)
}

/// A position in a [`NodeMap`], for walking two versions side by side.
pub(crate) struct Cursor<'a> {
    map: &'a NodeMap,
    chunk: usize,
    index: usize,
}

impl<'a> Cursor<'a> {
    /// The node at the cursor.
    pub(crate) fn peek(&self) -> Option<Node<'a>> {
        self.map.chunks.get(self.chunk).map(|c| c.node(self.index))
    }

    /// Moves to the next node; returns the one it was at.
    pub(crate) fn next_node(&mut self) -> Option<Node<'a>> {
        let node = self.peek()?;
        self.index += 1;
        if self.index == self.map.chunks[self.chunk].len() {
            self.chunk += 1;
            self.index = 0;
        }
        Some(node)
    }

    /// If both cursors stand at the start of one shared chunk, moves both
    /// past it and returns true: the nodes in it are the same in both.
    pub(crate) fn skip_shared(&mut self, other: &mut Cursor<'_>) -> bool {
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

/// Same nodes: keys and RRsets (owners compared without case, as names
/// are in DNS).
impl PartialEq for NodeMap {
    fn eq(&self, other: &Self) -> bool {
        if self.len != other.len {
            return false;
        }
        let (mut a, mut b) = (self.cursor(), other.cursor());
        loop {
            if a.skip_shared(&mut b) {
                continue;
            }
            match (a.next_node(), b.next_node()) {
                (None, None) => return true,
                (Some(x), Some(y)) if x.key() == y.key() && x.sets_bytes() == y.sets_bytes() => {}
                _ => return false,
            }
        }
    }
}

impl Eq for NodeMap {}

impl fmt::Debug for NodeMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::name::name_to_wire;
    use alloc::format;
    use dns_rr::{Name, NameKey};

    fn name(i: usize) -> Name {
        format!("n{i:06}.example.").parse().unwrap()
    }

    fn key(i: usize) -> NameKey {
        NameKey::new(&name(i))
    }

    fn set(map: &mut NodeMap, i: usize) {
        let mut owner = Vec::new();
        name_to_wire(&name(i), &mut owner);
        map.set(key(i).as_bytes(), &owner, &(i as u32).to_be_bytes());
    }

    fn remove(map: &mut NodeMap, i: usize) -> bool {
        let had = map.contains_key(key(i).as_bytes());
        map.set(key(i).as_bytes(), &[], &[]);
        had
    }

    fn built(count: usize) -> NodeMap {
        let mut b = NodeMapBuilder::new();
        let mut owner = Vec::new();
        for i in 0..count {
            owner.clear();
            name_to_wire(&name(i * 2), &mut owner);
            b.push(
                key(i * 2).as_bytes(),
                &owner,
                &((i * 2) as u32).to_be_bytes(),
            );
        }
        let map = b.finish();
        map.assert_consistent();
        map
    }

    fn keys(map: &NodeMap) -> Vec<Vec<u8>> {
        map.iter().map(|n| n.key().to_vec()).collect()
    }

    #[test]
    fn lookups_find_every_key_and_only_those() {
        let map = built(1000);
        assert_eq!(map.len(), 1000);
        for i in 0..2000 {
            assert_eq!(map.contains_key(key(i).as_bytes()), i % 2 == 0, "{i}");
        }
        let node = map.get(key(10).as_bytes()).unwrap();
        assert_eq!(node.owner(), name(10));
        assert_eq!(node.sets_bytes(), 10u32.to_be_bytes());
        let before_all = NameKey::new(&"a.example.".parse().unwrap());
        assert!(map.get(before_all.as_bytes()).is_none());
        assert_eq!(
            map.first_after(before_all.as_bytes()).unwrap().key(),
            key(0).as_bytes()
        );
        assert!(map.first_after(key(1998).as_bytes()).is_none());
        // Across a chunk boundary: the node after the last of a chunk.
        assert_eq!(
            map.first_after(key((BUILD_CHUNK - 1) * 2).as_bytes())
                .unwrap()
                .key(),
            key(BUILD_CHUNK * 2).as_bytes()
        );
        let from: Vec<_> = map
            .range_from(key(21).as_bytes())
            .map(|n| n.key().to_vec())
            .collect();
        assert_eq!(from.len(), 1000 - 11);
        assert_eq!(from[0], key(22).as_bytes());
    }

    #[test]
    fn an_owner_with_capitals_is_kept_as_written() {
        let mut map = NodeMap::default();
        let mut wire = Vec::new();
        let owner = crate::name::parse_name(b"WWW.Example.", &Name::root(), &mut wire).unwrap();
        wire.clear();
        name_to_wire(&owner, &mut wire);
        map.set(NameKey::new(&owner).as_bytes(), &wire, &[1]);
        let node = map.get(NameKey::new(&owner).as_bytes()).unwrap();
        assert_eq!(crate::name::name_to_string(&node.owner()), "WWW.Example.");
        assert_eq!(node.owner_wire().as_ref(), wire.as_slice());
    }

    #[test]
    fn inserts_and_removes_keep_order_split_and_merge() {
        let mut map = built(300);
        for i in 0..300 {
            set(&mut map, i * 2 + 1);
        }
        assert_eq!(map.len(), 600);
        map.assert_consistent();
        assert!(map.chunk_lengths().iter().all(|&n| n > 0 && n <= MAX_CHUNK));
        for i in (0..600).filter(|i| i % 3 != 0) {
            assert!(remove(&mut map, i), "{i}");
        }
        assert!(!remove(&mut map, 1));
        assert_eq!(map.len(), 200);
        map.assert_consistent();
        assert_eq!(
            keys(&map),
            (0..600)
                .step_by(3)
                .map(|i| key(i).as_bytes().to_vec())
                .collect::<Vec<_>>()
        );
        for i in (0..600).step_by(3) {
            remove(&mut map, i);
        }
        assert_eq!(map.len(), 0);
        map.assert_consistent();
        assert!(map.iter().next().is_none());
        set(&mut map, 7);
        assert_eq!(keys(&map), [key(7).as_bytes().to_vec()]);
        // Before every key: a new first key of the first chunk.
        set(&mut map, 3);
        map.assert_consistent();
        assert!(map.contains_key(key(3).as_bytes()));
        remove(&mut map, 3);
        map.assert_consistent();
        assert!(map.contains_key(key(7).as_bytes()));
    }

    #[test]
    fn a_change_copies_one_chunk_and_shares_the_rest() {
        let old = built(100_000);
        let chunks = old.chunk_lengths().len();
        let mut new = old.clone();
        assert_eq!(new.shared_chunks(&old), chunks);
        set(&mut new, 50_001);
        remove(&mut new, 70_000);
        new.assert_consistent();
        assert_eq!(new.shared_chunks(&old), chunks - 2);
        // The old version is untouched.
        assert_eq!(old.len(), 100_000);
        assert!(!old.contains_key(key(50_001).as_bytes()));
        assert!(old.contains_key(key(70_000).as_bytes()));
        assert_ne!(old, new);
        let mut back = new.clone();
        remove(&mut back, 50_001);
        set(&mut back, 70_000);
        assert_eq!(back, old);
    }

    #[test]
    fn a_cursor_skips_shared_chunks_and_sees_the_rest() {
        let old = built(10_000);
        let mut new = old.clone();
        set(&mut new, 5_001);
        let (mut a, mut b) = (old.cursor(), new.cursor());
        let (mut skipped, mut differing) = (0, Vec::new());
        loop {
            if a.skip_shared(&mut b) {
                skipped += 1;
                continue;
            }
            match (a.peek(), b.peek()) {
                (None, None) => break,
                (Some(x), Some(y)) if x.key() == y.key() => {
                    a.next_node();
                    b.next_node();
                }
                (Some(x), Some(y)) if x.key() < y.key() => {
                    differing.push(a.next_node().unwrap().key().to_vec())
                }
                _ => differing.push(b.next_node().unwrap().key().to_vec()),
            }
        }
        assert_eq!(differing, [key(5_001).as_bytes().to_vec()]);
        assert_eq!(skipped, old.chunk_lengths().len() - 1);
    }

    #[test]
    fn random_inserts_and_removes_agree_with_a_btree() {
        let mut map = built(500);
        let mut model: alloc::collections::BTreeSet<Vec<u8>> =
            (0..500).map(|i| key(i * 2).as_bytes().to_vec()).collect();
        // A fixed xorshift sequence: repeatable.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for step in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let i = (x % 1500) as usize;
            let k = key(i).as_bytes().to_vec();
            if x & (1 << 40) == 0 {
                set(&mut map, i);
                model.insert(k);
            } else {
                assert_eq!(remove(&mut map, i), model.remove(&k), "{step}");
            }
            if step % 1000 == 0 {
                map.assert_consistent();
            }
        }
        map.assert_consistent();
        assert_eq!(keys(&map), model.iter().cloned().collect::<Vec<_>>());
        for i in 0..1500 {
            let k = key(i).as_bytes().to_vec();
            let after = map.first_after(&k).map(|n| n.key().to_vec());
            let expected = model.iter().find(|m| **m > k).cloned();
            assert_eq!(after, expected, "{i}");
        }
    }
}
