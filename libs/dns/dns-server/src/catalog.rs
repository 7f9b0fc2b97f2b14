//! The set of zones served, with longest-match zone selection.

use alloc::collections::BTreeMap;
use alloc::sync::Arc;

use dns_zone::{KeyBuf, Name, NameKey, Zone};

/// Zones by apex, keyed by [`NameKey`] so that finding the zone of a query
/// name compares bytes, once per label of the name. Zones are shared
/// (`Arc`): a clone of the catalog (a snapshot for query workers) copies
/// no zone data.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    zones: BTreeMap<NameKey, Arc<Zone>>,
    /// Zones a secondary holds but may no longer serve (SOA expire passed):
    /// queries for them get SERVFAIL (RFC 1035 §4.3.5).
    expired: BTreeMap<NameKey, Name>,
    /// Zones configured but not loaded yet (a secondary before its first
    /// transfer, a primary's zone file that never parsed): queries for
    /// them get SERVFAIL, as BIND, Knot and NSD answer, not REFUSED.
    unloaded: BTreeMap<NameKey, Name>,
}

fn key(apex: &Name) -> KeyBuf {
    KeyBuf::from_name(apex)
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the zone with the same apex; returns the old one.
    pub fn insert(&mut self, zone: Zone) -> Option<Arc<Zone>> {
        let apex = NameKey::new(zone.origin());
        self.unloaded.remove(&apex);
        self.zones.insert(apex, Arc::new(zone))
    }

    /// Removes the zone of `apex`.
    pub fn remove(&mut self, apex: &Name) -> Option<Arc<Zone>> {
        let apex = key(apex);
        self.expired.remove(apex.as_bytes());
        self.unloaded.remove(apex.as_bytes());
        self.zones.remove(apex.as_bytes())
    }

    /// Declares the zone of `apex` configured but without data (answered
    /// SERVFAIL) until [`Catalog::insert`] brings it; `false` forgets it.
    /// A zone that has data is not affected.
    pub fn set_unloaded(&mut self, apex: &Name, unloaded: bool) {
        if unloaded && !self.zones.contains_key(key(apex).as_bytes()) {
            self.unloaded.insert(NameKey::new(apex), apex.clone());
        } else if !unloaded {
            self.unloaded.remove(key(apex).as_bytes());
        }
    }

    /// Whether the zone of `apex` is configured but has no data yet.
    pub fn is_unloaded(&self, apex: &Name) -> bool {
        self.unloaded.contains_key(key(apex).as_bytes())
    }

    /// The apex of the closest enclosing zone of `name` that is
    /// configured but unavailable (unloaded, or expired), if that zone is
    /// closer than any zone with data: queries for `name` get SERVFAIL.
    pub fn unavailable(&self, name: &Name) -> Option<Name> {
        self.unavailable_by_key(&KeyBuf::from_name(name)).cloned()
    }

    /// [`Catalog::unavailable`] for the name whose key is `name`.
    pub fn unavailable_by_key(&self, name: &KeyBuf) -> Option<&Name> {
        (0..=name.labels()).rev().find_map(|n| {
            let apex = name.ancestor(n);
            if let Some(apex) = self.unloaded.get(apex).or_else(|| self.expired.get(apex)) {
                Some(Some(apex))
            } else if self.zones.contains_key(apex) {
                Some(None)
            } else {
                None
            }
        })?
    }

    /// Marks the zone of `apex` expired (answered SERVFAIL) or current.
    pub fn set_expired(&mut self, apex: &Name, expired: bool) {
        if expired {
            self.expired.insert(NameKey::new(apex), apex.clone());
        } else {
            self.expired.remove(key(apex).as_bytes());
        }
    }

    /// Whether the zone of `apex` is marked expired.
    pub fn is_expired(&self, apex: &Name) -> bool {
        self.expired.contains_key(key(apex).as_bytes())
    }

    /// The zone of `apex`.
    pub fn get(&self, apex: &Name) -> Option<&Zone> {
        self.zones.get(key(apex).as_bytes()).map(|zone| &**zone)
    }

    /// All zones, by apex in canonical order.
    pub fn zones(&self) -> impl Iterator<Item = &Zone> {
        self.zones.values().map(|zone| &**zone)
    }

    /// Number of zones.
    pub fn len(&self) -> usize {
        self.zones.len()
    }

    /// Whether there are no zones.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// The zone with the longest apex that `name` is at or below.
    pub fn find(&self, name: &Name) -> Option<&Zone> {
        self.find_by_key(&KeyBuf::from_name(name))
    }

    /// [`Catalog::find`] for the name whose key is `name`.
    pub fn find_by_key(&self, name: &KeyBuf) -> Option<&Zone> {
        (0..=name.labels())
            .rev()
            .find_map(|n| self.zones.get(name.ancestor(n)))
            .map(|zone| &**zone)
    }
}
