//! The set of zones served, with longest-match zone selection.

use alloc::collections::{BTreeMap, BTreeSet};

use dns_zone::{Name, Zone};

/// Zones by apex name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    zones: BTreeMap<Name, Zone>,
    /// Zones a secondary holds but may no longer serve (SOA expire passed):
    /// queries for them get SERVFAIL (RFC 1035 §4.3.5).
    expired: BTreeSet<Name>,
    /// Zones configured but not loaded yet (a secondary before its first
    /// transfer, a primary's zone file that never parsed): queries for
    /// them get SERVFAIL, as BIND, Knot and NSD answer, not REFUSED.
    unloaded: BTreeSet<Name>,
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces the zone with the same apex; returns the old one.
    pub fn insert(&mut self, zone: Zone) -> Option<Zone> {
        self.unloaded.remove(zone.origin());
        self.zones.insert(zone.origin().clone(), zone)
    }

    /// Removes the zone of `apex`.
    pub fn remove(&mut self, apex: &Name) -> Option<Zone> {
        self.expired.remove(apex);
        self.unloaded.remove(apex);
        self.zones.remove(apex)
    }

    /// Declares the zone of `apex` configured but without data (answered
    /// SERVFAIL) until [`Catalog::insert`] brings it; `false` forgets it.
    /// A zone that has data is not affected.
    pub fn set_unloaded(&mut self, apex: &Name, unloaded: bool) {
        if unloaded && !self.zones.contains_key(apex) {
            self.unloaded.insert(apex.clone());
        } else if !unloaded {
            self.unloaded.remove(apex);
        }
    }

    /// Whether the zone of `apex` is configured but has no data yet.
    pub fn is_unloaded(&self, apex: &Name) -> bool {
        self.unloaded.contains(apex)
    }

    /// The apex of the closest enclosing zone of `name` that is
    /// configured but unavailable (unloaded, or expired), if that zone is
    /// closer than any zone with data: queries for `name` get SERVFAIL.
    pub fn unavailable(&self, name: &Name) -> Option<Name> {
        let labels = name.iter().len();
        (0..=labels)
            .rev()
            .map(|n| name.trim_to(n))
            .find_map(|apex| {
                if self.unloaded.contains(&apex) || self.expired.contains(&apex) {
                    Some(Some(apex))
                } else if self.zones.contains_key(&apex) {
                    Some(None)
                } else {
                    None
                }
            })?
    }

    /// Marks the zone of `apex` expired (answered SERVFAIL) or current.
    pub fn set_expired(&mut self, apex: &Name, expired: bool) {
        if expired {
            self.expired.insert(apex.clone());
        } else {
            self.expired.remove(apex);
        }
    }

    /// Whether the zone of `apex` is marked expired.
    pub fn is_expired(&self, apex: &Name) -> bool {
        self.expired.contains(apex)
    }

    /// The zone of `apex`.
    pub fn get(&self, apex: &Name) -> Option<&Zone> {
        self.zones.get(apex)
    }

    /// All zones, by apex in canonical order.
    pub fn zones(&self) -> impl Iterator<Item = &Zone> {
        self.zones.values()
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
        let labels = name.iter().len();
        (0..=labels)
            .rev()
            .find_map(|n| self.zones.get(&name.trim_to(n)))
    }
}
