//! The zone: nodes keyed by owner name in canonical order, each with its
//! RRsets sorted by type, each RRset's RDATA in canonical order.

use hickory_proto::rr::{DNSClass, Name, RecordType};

use super::key::KeyBuf;
use super::nodes::NodeMap;
pub use super::rrset::{Node, RRset, RRsetRef, RRsets, Rdatas};
use super::serial::Serial;
use crate::name::name_from_wire;
use crate::rdata::RdataRef;

/// The nodes of a zone by owner key, each with its owner as written.
pub(crate) type Nodes = NodeMap;

/// An authoritative zone: validated, so it has exactly one SOA (at the apex)
/// and an NS RRset at the apex.
///
/// Nodes are keyed by [`NameKey`] (lowercase, canonical order by `memcmp`)
/// and keep their owner name as first written. [`Zone::nodes`] iterates in
/// canonical order (RFC 4034 §6.1), with every node's descendants right
/// after it, which is what empty-non-terminal checks and a future NSEC
/// chain rely on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Zone {
    pub(crate) origin: Name,
    pub(crate) class: DNSClass,
    pub(crate) nodes: Nodes,
    pub(crate) record_count: usize,
}

impl Zone {
    /// The apex name.
    pub fn origin(&self) -> &Name {
        &self.origin
    }

    /// The class (IN).
    pub fn class(&self) -> DNSClass {
        self.class
    }

    /// The apex node.
    pub fn apex(&self) -> Node<'_> {
        self.node(&self.origin)
            .expect("validated zone has an apex node")
    }

    /// The SOA RRset (one record).
    pub fn soa(&self) -> RRsetRef<'_> {
        self.apex()
            .rrset(RecordType::SOA)
            .expect("validated zone has an SOA")
    }

    /// The SOA RDATA fields after the two names: serial, refresh, retry,
    /// expire, minimum.
    pub fn soa_timers(&self) -> [u32; 5] {
        let b = self.soa().first().as_bytes();
        let t = &b[b.len() - 20..];
        core::array::from_fn(|i| {
            u32::from_be_bytes([t[4 * i], t[4 * i + 1], t[4 * i + 2], t[4 * i + 3]])
        })
    }

    /// The SOA serial.
    pub fn serial(&self) -> Serial {
        Serial(self.soa_timers()[0])
    }

    /// TTL of negative answers (RFC 2308 §5): min(SOA TTL, SOA MINIMUM).
    pub fn negative_ttl(&self) -> u32 {
        self.soa().ttl().min(self.soa_timers()[4])
    }

    /// The apex NS RRset.
    pub fn apex_ns(&self) -> RRsetRef<'_> {
        self.apex()
            .rrset(RecordType::NS)
            .expect("validated zone has apex NS")
    }

    /// The node of `name`, if it owns records; [`Node::owner`] is the
    /// owner as stored (its case as written in the zone file).
    pub fn node(&self, name: &Name) -> Option<Node<'_>> {
        self.node_by_key(KeyBuf::from_name(name).as_bytes())
    }

    /// The node whose owner has the key `key` ([`KeyBuf::as_bytes`],
    /// [`KeyBuf::ancestor`]).
    pub fn node_by_key(&self, key: &[u8]) -> Option<Node<'_>> {
        self.nodes.get(key)
    }

    /// Whether some node lies strictly below `name` (so `name`, if it has no
    /// node of its own, is an empty non-terminal, RFC 8020 / RFC 4592 §2.2.2).
    pub fn has_descendants(&self, name: &Name) -> bool {
        self.has_descendants_by_key(KeyBuf::from_name(name).as_bytes())
    }

    /// [`Zone::has_descendants`] of the name whose key is `key`: the next
    /// key in order starts with it (an ancestor's key is a prefix).
    pub fn has_descendants_by_key(&self, key: &[u8]) -> bool {
        self.nodes
            .first_after(key)
            .is_some_and(|n| n.key().starts_with(key))
    }

    /// Whether `name` exists in the zone: owns records or is an empty
    /// non-terminal.
    pub fn name_exists(&self, name: &Name) -> bool {
        self.name_exists_by_key(KeyBuf::from_name(name).as_bytes())
    }

    /// [`Zone::name_exists`] of the name whose key is `key`.
    pub fn name_exists_by_key(&self, key: &[u8]) -> bool {
        self.nodes.contains_key(key) || self.has_descendants_by_key(key)
    }

    /// Whether `name` is at or below the apex.
    pub fn contains(&self, name: &Name) -> bool {
        self.origin.zone_of(name)
    }

    /// All nodes, in canonical order.
    pub fn nodes(&self) -> impl Iterator<Item = Node<'_>> {
        self.nodes.iter()
    }

    /// The nodes from `name` on (itself included, if it owns records), in
    /// canonical order: resumes a walk of [`Zone::nodes`] (a streamed zone
    /// transfer) without starting from the apex again.
    pub fn nodes_from(&self, name: &Name) -> impl Iterator<Item = Node<'_>> {
        let key = KeyBuf::from_name(name);
        self.nodes.range_from(key.as_bytes())
    }

    /// All records as (owner, RRset, RDATA), in canonical order.
    pub fn records(&self) -> impl Iterator<Item = (Name, RRsetRef<'_>, RdataRef<'_>)> {
        self.nodes.iter().flat_map(|node| {
            let owner = node.owner();
            node.rrsets().flat_map(move |s| {
                let owner = owner.clone();
                s.rdatas().map(move |r| (owner.clone(), s, r))
            })
        })
    }

    /// Number of records (after duplicates were collapsed).
    pub fn record_count(&self) -> usize {
        self.record_count
    }

    /// Number of nodes (names that own records).
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// Bytes of memory the zone's records take (its store, not counting
    /// versions sharing it): the figure behind the memory bounds in the
    /// README.
    pub fn store_bytes(&self) -> usize {
        self.nodes.heap_bytes()
    }

    /// The lowest zone cut (a non-apex node with NS) at or above `name`
    /// inside this zone, if any: the delegation `name` falls under.
    pub fn zone_cut_above(&self, name: &Name) -> Option<Node<'_>> {
        if !self.contains(name) {
            return None;
        }
        let key = KeyBuf::from_name(name);
        // Walk down from just below the apex: the highest cut wins, since
        // everything below it belongs to the child.
        (self.origin.iter().len() + 1..=key.labels())
            .filter_map(|n| self.node_by_key(key.ancestor(n)))
            .find(|node| node.has(RecordType::NS))
    }

    /// The names in `ns` (an NS RRset of this zone) that lie inside the
    /// zone and own no A or AAAA record: missing glue, which the loader
    /// warns about and an edit refuses.
    pub(crate) fn targets_without_address<'a>(
        &'a self,
        ns: RRsetRef<'a>,
    ) -> impl Iterator<Item = Name> + 'a {
        ns.rdatas()
            .filter_map(|rd| name_from_wire(rd.as_bytes(), 0).map(|(target, _)| target))
            .filter(move |target| {
                self.contains(target)
                    && !self
                        .node(target)
                        .is_some_and(|n| n.has(RecordType::A) || n.has(RecordType::AAAA))
            })
    }
}
