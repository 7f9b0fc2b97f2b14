//! Changing a zone record by record ([`ZoneEdit`]), for dynamic updates
//! (RFC 2136) and incremental transfers (RFC 1995).
//!
//! An edit works on a copy of the zone; [`ZoneEdit::finish`] checks that
//! the result is still a zone the loader ([`Zone::from_entries`]) would
//! accept, looking only at the names the edit touched (plus one scan of
//! the delegations when addresses were removed), so that an edit of a large
//! zone costs the copy and not a full validation:
//! - exactly one SOA, at the apex; NS records at the apex;
//! - every owner at or below the apex;
//! - no CNAME beside other data (RRSIG and NSEC excepted), at most one
//!   CNAME and one DNAME per name;
//! - in-zone NS targets have A or AAAA records.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;
use core::fmt;

use hickory_proto::rr::{Name, RecordType};

use super::diff::{Record, ZoneDiff};
use super::key::KeyBuf;
use super::model::{Node, RRset, RRsetRef, Zone};
use super::rrset::NodeBuf;
use crate::name::{name_to_string, name_to_wire};
use crate::rdata::Rdata;

/// Why an edited zone was rejected, or a diff did not apply.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EditError {
    /// A record outside the zone.
    OutsideZone(Name),
    /// The apex has no SOA, or more than one.
    ApexSoa,
    /// An SOA record below the apex.
    SoaNotAtApex(Name),
    /// The apex NS RRset is gone.
    NoApexNs,
    /// A CNAME beside other data, or more than one CNAME or DNAME.
    CnameConflict(Name),
    /// An NS record names a server inside the zone that has no address.
    MissingGlue {
        /// Owner of the NS record.
        owner: Name,
        /// The name server without A or AAAA.
        target: Name,
    },
    /// Data at or below a name with a DNAME (RFC 6672 §2.3: NSD and Knot
    /// refuse such a zone).
    BelowDname {
        /// The owner of the DNAME.
        dname: Name,
        /// The name with data below it.
        name: Name,
    },
    /// A DNAME at a delegation (beside NS below the apex; Knot refuses
    /// such a zone).
    DnameAtCut(Name),
    /// An NS RRset at a wildcard name (RFC 4592 §4.2; BIND refuses such a
    /// zone: "invalid NS owner name (wildcard)").
    WildcardNs(Name),
    /// A diff deletes a record the zone does not have.
    MissingRecord(Record),
    /// A diff adds a record the zone already has.
    DuplicateRecord(Record),
    /// A diff starts from another SOA than the zone's.
    SerialMismatch,
    /// A record added to an RRset that holds the most records an RRset
    /// may ([`crate::zone::rrset::MAX_RRSET_RECORDS`]).
    RRsetFull {
        /// The RRset's owner.
        owner: Name,
        /// Its type.
        rtype: RecordType,
    },
}

impl fmt::Display for EditError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutsideZone(n) => write!(f, "{} is outside the zone", name_to_string(n)),
            Self::ApexSoa => f.write_str("the zone apex must have exactly one SOA record"),
            Self::SoaNotAtApex(n) => {
                write!(f, "SOA record at {}, not at the apex", name_to_string(n))
            }
            Self::NoApexNs => f.write_str("no NS records left at the zone apex"),
            Self::WildcardNs(n) => write!(f, "NS records at the wildcard {}", name_to_string(n)),
            Self::DnameAtCut(n) => {
                write!(f, "DNAME beside a delegation (NS) at {}", name_to_string(n))
            }
            Self::BelowDname { dname, name } => write!(
                f,
                "{} is below the DNAME at {}",
                name_to_string(name),
                name_to_string(dname)
            ),
            Self::CnameConflict(n) => write!(
                f,
                "CNAME and other data, or more than one CNAME or DNAME, at {}",
                name_to_string(n)
            ),
            Self::MissingGlue { owner, target } => write!(
                f,
                "{} NS {}: the name server is inside the zone but has no A or AAAA record",
                name_to_string(owner),
                name_to_string(target)
            ),
            Self::MissingRecord(r) => write!(
                f,
                "{} {} {}: no such record to delete",
                name_to_string(&r.owner),
                crate::type_mnemonic(r.rtype),
                r.rdata.to_text(r.rtype)
            ),
            Self::DuplicateRecord(r) => write!(
                f,
                "{} {} {}: record already present",
                name_to_string(&r.owner),
                crate::type_mnemonic(r.rtype),
                r.rdata.to_text(r.rtype)
            ),
            Self::SerialMismatch => f.write_str("the diff does not start at the zone's SOA"),
            Self::RRsetFull { owner, rtype } => write!(
                f,
                "{} {} already holds {} records, the most an RRset may",
                name_to_string(owner),
                crate::type_mnemonic(*rtype),
                super::rrset::MAX_RRSET_RECORDS
            ),
        }
    }
}

/// A copy of a zone being changed; [`ZoneEdit::finish`] validates it.
#[derive(Debug, Clone)]
pub struct ZoneEdit {
    zone: Zone,
    touched: BTreeSet<Name>,
    /// Whether some touched name lost its last address record.
    addresses_removed: bool,
    /// An RRset a record could not be added to: it was full.
    full: Option<(Name, RecordType)>,
}

fn is_address(t: RecordType) -> bool {
    matches!(t, RecordType::A | RecordType::AAAA)
}

impl Zone {
    /// Starts changing a copy of this zone.
    pub fn edit(&self) -> ZoneEdit {
        self.clone().into_edit()
    }

    /// Starts changing this zone.
    pub fn into_edit(self) -> ZoneEdit {
        ZoneEdit {
            zone: self,
            touched: BTreeSet::new(),
            addresses_removed: false,
            full: None,
        }
    }
}

impl ZoneEdit {
    /// The apex.
    pub fn origin(&self) -> &Name {
        &self.zone.origin
    }

    /// The node of `name` as edited so far.
    pub fn node(&self, name: &Name) -> Option<Node<'_>> {
        self.zone.node(name)
    }

    /// The RRset of `name` and `rtype` as edited so far.
    pub fn rrset(&self, name: &Name, rtype: RecordType) -> Option<RRsetRef<'_>> {
        self.node(name).and_then(|n| n.rrset(rtype))
    }

    /// Whether `name` owns records, as edited so far (empty non-terminals
    /// do not count).
    pub fn name_in_use(&self, name: &Name) -> bool {
        self.zone.node(name).is_some()
    }

    /// The names changed so far, in canonical order.
    pub fn touched(&self) -> impl Iterator<Item = &Name> {
        self.touched.iter()
    }

    /// Changes the node of `owner` with `change` (on its RRsets taken out
    /// of the store, empty if it has none) and writes it back: removed if
    /// left without RRsets, its chunk copied if shared. The owner keeps
    /// the case it was first written with.
    fn change_node<R>(&mut self, owner: &Name, change: impl FnOnce(&mut NodeBuf) -> R) -> R {
        let key = KeyBuf::from_name(owner);
        let old = self.zone.nodes.get(key.as_bytes());
        let mut owner_wire = Vec::new();
        match old {
            Some(node) => owner_wire.extend_from_slice(&node.owner_wire()),
            None => name_to_wire(owner, &mut owner_wire),
        }
        let mut buf = NodeBuf::from_node(old);
        let before: usize = buf.sets.iter().map(RRset::len).sum();
        let result = change(&mut buf);
        buf.sets.retain(|s| !s.is_empty());
        let after: usize = buf.sets.iter().map(RRset::len).sum();
        self.zone.record_count = self.zone.record_count + after - before;
        let sets = buf.to_bytes();
        // An edit that changed nothing leaves the chunk shared.
        if old.map_or(!sets.is_empty(), |node| {
            node.sets_bytes() != sets.as_slice()
        }) {
            self.zone.nodes.set(key.as_bytes(), &owner_wire, &sets);
        }
        result
    }

    /// Adds a record. An existing RRset of another TTL takes the new TTL
    /// as a whole (RFC 2181 §5.2). Returns whether the zone changed.
    pub fn add(&mut self, owner: &Name, ttl: u32, rtype: RecordType, rdata: Rdata) -> bool {
        let mut full = false;
        let changed = self.change_node(owner, |node| match node.find(rtype) {
            Ok(i) => {
                let set = &mut node.sets[i];
                let new_ttl = set.ttl() != ttl;
                set.set_ttl(ttl);
                let inserted = set.insert(rdata.view());
                // Not added for want of room, rather than already there.
                full = set.is_full()
                    && !set
                        .rdatas()
                        .any(|r| r.canonical(rtype) == rdata.canonical(rtype));
                inserted || new_ttl
            }
            Err(i) => {
                node.sets
                    .insert(i, RRset::new(rtype, ttl, alloc::vec![rdata]));
                true
            }
        });
        if full && self.full.is_none() {
            // Refused by `finish` (touched, so that an UPDATE gets there).
            self.full = Some((owner.clone(), rtype));
            self.touched.insert(owner.clone());
        }
        if changed {
            self.touched.insert(owner.clone());
        }
        changed
    }

    /// Removes one record (compared in canonical form, TTL ignored).
    /// Returns whether it was there.
    pub fn remove_record(&mut self, owner: &Name, rtype: RecordType, rdata: &Rdata) -> bool {
        if self.rrset(owner, rtype).is_none() {
            return false;
        }
        let removed = self.change_node(owner, |node| match node.find(rtype) {
            Ok(i) => node.sets[i].remove(rdata.view()),
            Err(_) => false,
        });
        if removed {
            self.after_removal(owner, rtype);
        }
        removed
    }

    /// Removes the RRset of `owner` and `rtype`; returns it.
    pub fn remove_rrset(&mut self, owner: &Name, rtype: RecordType) -> Option<RRset> {
        self.rrset(owner, rtype)?;
        let set = self.change_node(owner, |node| {
            node.find(rtype).ok().map(|i| node.sets.remove(i))
        });
        self.after_removal(owner, rtype);
        set
    }

    /// Removes every RRset of `owner` whose type `keep` does not accept;
    /// returns whether anything was removed.
    pub fn remove_rrsets_where(
        &mut self,
        owner: &Name,
        mut remove: impl FnMut(RecordType) -> bool,
    ) -> bool {
        let Some(node) = self.zone.node(owner) else {
            return false;
        };
        let types: Vec<RecordType> = node
            .rrsets()
            .map(|s| s.rtype())
            .filter(|&t| remove(t))
            .collect();
        for &t in &types {
            self.remove_rrset(owner, t);
        }
        !types.is_empty()
    }

    /// Replaces the RRset of `owner` and its type by `set` (an empty set
    /// removes it); returns the old one.
    pub fn replace_rrset(&mut self, owner: &Name, set: RRset) -> Option<RRset> {
        let rtype = set.rtype();
        let old = self.remove_rrset(owner, rtype);
        if !set.is_empty() {
            self.change_node(owner, |node| {
                let i = node.find(rtype).unwrap_or_else(|i| i);
                node.sets.insert(i, set);
            });
            self.touched.insert(owner.clone());
        }
        old
    }

    fn after_removal(&mut self, owner: &Name, rtype: RecordType) {
        self.touched.insert(owner.clone());
        // `change_node` removed the node if it was left empty.
        let has_address = self
            .zone
            .node(owner)
            .is_some_and(|node| node.rrsets().any(|s| is_address(s.rtype())));
        if is_address(rtype) && !has_address {
            self.addresses_removed = true;
        }
    }

    /// Checks the edited zone (see the module docs) and returns it.
    #[allow(clippy::result_large_err)] // names in errors; a cold path
    pub fn finish(self) -> Result<Zone, EditError> {
        self.check()?;
        Ok(self.zone)
    }

    /// As [`ZoneEdit::finish`], with the difference from `old` (the zone
    /// the edit started from) computed over the touched names only.
    #[allow(clippy::result_large_err)]
    pub fn finish_with_diff(self, old: &Zone) -> Result<(Zone, ZoneDiff), EditError> {
        self.check()?;
        let diff = old.diff_names(&self.zone, self.touched.iter());
        Ok((self.zone, diff))
    }

    #[allow(clippy::result_large_err)]
    fn check(&self) -> Result<(), EditError> {
        if let Some((owner, rtype)) = &self.full {
            return Err(EditError::RRsetFull {
                owner: owner.clone(),
                rtype: *rtype,
            });
        }
        let zone = &self.zone;
        let origin = &zone.origin;
        let apex = zone.node(origin);
        if apex
            .and_then(|n| n.rrset(RecordType::SOA))
            .map(RRsetRef::len)
            != Some(1)
        {
            return Err(EditError::ApexSoa);
        }
        if !apex.is_some_and(|n| n.has(RecordType::NS)) {
            return Err(EditError::NoApexNs);
        }
        for name in &self.touched {
            if !origin.zone_of(name) {
                return Err(EditError::OutsideZone(name.clone()));
            }
            let Some(node) = zone.node(name) else {
                continue;
            };
            if name != origin && node.has(RecordType::SOA) {
                return Err(EditError::SoaNotAtApex(name.clone()));
            }
            let cname = node.rrset(RecordType::CNAME);
            let conflict = cname.is_some_and(|c| c.len() > 1)
                || node.rrset(RecordType::DNAME).is_some_and(|d| d.len() > 1)
                || (cname.is_some()
                    && node.rrsets().any(|s| {
                        !matches!(
                            s.rtype(),
                            RecordType::CNAME | RecordType::RRSIG | RecordType::NSEC
                        )
                    }));
            if conflict {
                return Err(EditError::CnameConflict(name.clone()));
            }
            if let Some(ns) = node.rrset(RecordType::NS) {
                if name.is_wildcard() {
                    return Err(EditError::WildcardNs(name.clone()));
                }
                check_targets(zone, name, ns)?;
            }
            check_dname(zone, name, node)?;
        }
        if self.addresses_removed {
            // Some name lost its addresses: no NS in the zone may point at it.
            for node in zone.nodes() {
                if let Some(ns) = node.rrset(RecordType::NS) {
                    check_targets(zone, &node.owner(), ns)?;
                }
            }
        }
        Ok(())
    }
}

/// No data below a DNAME: neither below `name` when it has one, nor at
/// `name` when a name above it has one.
#[allow(clippy::result_large_err)]
fn check_dname(zone: &Zone, name: &Name, node: Node<'_>) -> Result<(), EditError> {
    if node.has(RecordType::DNAME) && node.has(RecordType::NS) && *name != zone.origin {
        return Err(EditError::DnameAtCut(name.clone()));
    }
    if node.has(RecordType::DNAME) {
        // Canonical order: the names below `name` follow it directly.
        let key = KeyBuf::from_name(name);
        if let Some(below) = zone.nodes.first_after(key.as_bytes()) {
            if below.key().starts_with(key.as_bytes()) {
                return Err(EditError::BelowDname {
                    dname: name.clone(),
                    name: below.owner(),
                });
            }
        }
    }
    let mut above = name.clone();
    while above != zone.origin && !above.is_root() {
        above = above.base_name();
        if zone.node(&above).is_some_and(|n| n.has(RecordType::DNAME)) {
            return Err(EditError::BelowDname {
                dname: above,
                name: name.clone(),
            });
        }
    }
    Ok(())
}

#[allow(clippy::result_large_err)]
fn check_targets(zone: &Zone, owner: &Name, ns: RRsetRef<'_>) -> Result<(), EditError> {
    match zone.targets_without_address(ns).next() {
        Some(target) => Err(EditError::MissingGlue {
            owner: owner.clone(),
            target,
        }),
        None => Ok(()),
    }
}
