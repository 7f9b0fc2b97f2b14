//! The zone: nodes keyed by owner name in canonical order, each with its
//! RRsets sorted by type, each RRset's RDATA in canonical order.

use alloc::vec::Vec;

use hickory_proto::rr::{DNSClass, Name, RecordType};

use super::key::{KeyBuf, NameKey};
use super::nodes::NodeMap;
use super::serial::Serial;
use crate::name::name_from_wire;
use crate::rdata::Rdata;

/// All records of one owner, type and class, with one TTL (RFC 2181 §5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RRset {
    pub(crate) rtype: RecordType,
    pub(crate) ttl: u32,
    /// Canonical order (RFC 4034 §6.3), no duplicates.
    pub(crate) rdatas: Vec<Rdata>,
}

impl RRset {
    /// A set from RDATA in any order; sorts canonically and drops duplicates.
    pub fn new(rtype: RecordType, ttl: u32, mut rdatas: Vec<Rdata>) -> Self {
        rdatas.sort_by(|a, b| a.canonical_cmp(b, rtype));
        rdatas.dedup_by(|a, b| a.canonical(rtype) == b.canonical(rtype));
        Self { rtype, ttl, rdatas }
    }

    /// The record type.
    pub fn rtype(&self) -> RecordType {
        self.rtype
    }

    /// The TTL shared by all records of the set.
    pub fn ttl(&self) -> u32 {
        self.ttl
    }

    /// The RDATA, in canonical order.
    pub fn rdatas(&self) -> &[Rdata] {
        &self.rdatas
    }

    /// Number of records.
    pub fn len(&self) -> usize {
        self.rdatas.len()
    }

    /// Whether the set has no records (never true inside a [`Zone`]).
    pub fn is_empty(&self) -> bool {
        self.rdatas.is_empty()
    }
}

/// The RRsets of one owner name, sorted by type number.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub(crate) rrsets: Vec<RRset>,
}

impl Node {
    /// The RRset of `rtype`, if any.
    pub fn rrset(&self, rtype: RecordType) -> Option<&RRset> {
        let code = u16::from(rtype);
        self.rrsets
            .binary_search_by_key(&code, |s| u16::from(s.rtype))
            .ok()
            .map(|i| &self.rrsets[i])
    }

    /// All RRsets, by type number.
    pub fn rrsets(&self) -> &[RRset] {
        &self.rrsets
    }

    /// Whether there is an RRset of `rtype`.
    pub fn has(&self, rtype: RecordType) -> bool {
        self.rrset(rtype).is_some()
    }
}

/// The nodes of a zone by owner key, each with its owner as written.
pub(crate) type Nodes = NodeMap<Node>;

/// The node of `name` in `nodes`, to change it (a function of the map, not
/// of the zone, so that the zone's other fields stay free to borrow).
pub(crate) fn node_mut<'a>(nodes: &'a mut Nodes, name: &Name) -> Option<&'a mut Node> {
    nodes
        .get_mut(KeyBuf::from_name(name).as_bytes())
        .map(|(_, node)| node)
}

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
    pub fn apex(&self) -> &Node {
        self.node(&self.origin)
            .expect("validated zone has an apex node")
    }

    /// The SOA RRset (one record).
    pub fn soa(&self) -> &RRset {
        self.apex()
            .rrset(RecordType::SOA)
            .expect("validated zone has an SOA")
    }

    /// The SOA RDATA fields after the two names: serial, refresh, retry,
    /// expire, minimum.
    pub fn soa_timers(&self) -> [u32; 5] {
        let b = self.soa().rdatas[0].as_bytes();
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
        self.soa().ttl.min(self.soa_timers()[4])
    }

    /// The apex NS RRset.
    pub fn apex_ns(&self) -> &RRset {
        self.apex()
            .rrset(RecordType::NS)
            .expect("validated zone has apex NS")
    }

    /// The node of `name`, if it owns records.
    pub fn node(&self, name: &Name) -> Option<&Node> {
        self.node_entry(name).map(|(_, node)| node)
    }

    /// The node of `name` with the owner name as stored (its case as written
    /// in the zone file).
    pub fn node_entry(&self, name: &Name) -> Option<(&Name, &Node)> {
        self.node_by_key(KeyBuf::from_name(name).as_bytes())
    }

    /// The node whose owner has the key `key` ([`KeyBuf::as_bytes`],
    /// [`KeyBuf::ancestor`]), with the owner name as stored.
    pub fn node_by_key(&self, key: &[u8]) -> Option<(&Name, &Node)> {
        self.nodes.get(key).map(|(owner, node)| (owner, node))
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
            .is_some_and(|(k, _)| k.as_bytes().starts_with(key))
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
    pub fn nodes(&self) -> impl Iterator<Item = (&Name, &Node)> {
        self.nodes.values().map(|(owner, node)| (owner, node))
    }

    /// The nodes from `name` on (itself included, if it owns records), in
    /// canonical order: resumes a walk of [`Zone::nodes`] (a streamed zone
    /// transfer) without starting from the apex again.
    pub fn nodes_from(&self, name: &Name) -> impl Iterator<Item = (&Name, &Node)> {
        let key = KeyBuf::from_name(name);
        self.nodes
            .range_from(key.as_bytes())
            .map(|(_, (owner, node))| (owner, node))
    }

    /// All records as (owner, RRset, RDATA), in canonical order.
    pub fn records(&self) -> impl Iterator<Item = (&Name, &RRset, &Rdata)> {
        self.nodes.values().flat_map(|(n, node)| {
            node.rrsets
                .iter()
                .flat_map(move |s| s.rdatas.iter().map(move |r| (n, s, r)))
        })
    }

    /// Number of records (after duplicates were collapsed).
    pub fn record_count(&self) -> usize {
        self.record_count
    }

    /// The lowest zone cut (a non-apex node with NS) at or above `name`
    /// inside this zone, if any: the delegation `name` falls under.
    pub fn zone_cut_above(&self, name: &Name) -> Option<(&Name, &Node)> {
        if !self.contains(name) {
            return None;
        }
        let key = KeyBuf::from_name(name);
        // Walk down from just below the apex: the highest cut wins, since
        // everything below it belongs to the child.
        (self.origin.iter().len() + 1..=key.labels())
            .filter_map(|n| self.node_by_key(key.ancestor(n)))
            .find(|(_, node)| node.has(RecordType::NS))
    }

    /// The names in `ns` (an NS RRset of this zone) that lie inside the
    /// zone and own no A or AAAA record: missing glue, which the loader
    /// warns about and an edit refuses.
    pub(crate) fn targets_without_address<'a>(
        &'a self,
        ns: &'a RRset,
    ) -> impl Iterator<Item = Name> + 'a {
        ns.rdatas
            .iter()
            .filter_map(|rd| name_from_wire(rd.as_bytes(), 0).map(|(target, _)| target))
            .filter(move |target| {
                self.contains(target)
                    && !self
                        .node(target)
                        .is_some_and(|n| n.has(RecordType::A) || n.has(RecordType::AAAA))
            })
    }

    /// The node of `name`, made empty if there was none.
    pub(crate) fn node_or_insert(&mut self, name: &Name) -> &mut Node {
        &mut self
            .nodes
            .get_or_insert_with(NameKey::new(name), || (name.clone(), Node::default()))
            .1
    }

    /// Removes the node of `name`.
    pub(crate) fn remove_node(&mut self, name: &Name) {
        self.nodes.remove(KeyBuf::from_name(name).as_bytes());
    }
}
