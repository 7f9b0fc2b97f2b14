//! Building a [`Zone`] from parsed entries, with the checks of an
//! authoritative server's zone loader.
//!
//! # Errors and warnings
//!
//! An error rejects the zone (the last good version keeps serving); a
//! warning is reported and the zone loads. The rule: what NSD and Knot
//! both load, we load (a user moving from either must not find a working
//! zone refused), with a warning where one of the three peers complains;
//! what all three refuse stays an error; where NSD and Knot disagree, the
//! RFC decides. The peers' columns were measured on one-line test zones
//! with `named-checkzone` (BIND 9.18.49, default options, which include
//! `-i full`), `nsd-checkzone` (NSD 4.6.1) and `kzonecheck` (Knot 3.2.6,
//! every semantic check; `knotd` with its default `semantic-checks: off`
//! refuses only on the mandatory ones: SOA, CNAME, DNAME checks).
//!
//! | check | us | BIND | NSD | Knot |
//! | --- | --- | --- | --- | --- |
//! | syntax error in a record (bad token, bad RDATA, unknown type mnemonic) | error | error | error | error |
//! | `<character-string>` over 255 octets | error | error | error | splits it, loads |
//! | record of another class, or of a meta-type (OPT, TSIG, TKEY, IXFR, AXFR, ANY) | error | error | error | error |
//! | owner outside the zone | error (RFC 1035 §5.2: a zone file holds one zone) | ignores it, loads | error | ignores it, loads |
//! | no SOA at the apex | error | error | error | error |
//! | more than one SOA, or an SOA below the apex | error | error | error | loads |
//! | no NS at the apex | error (RFC 1034 §4.2.1) | error | loads | error |
//! | CNAME beside other data (RRSIG and NSEC excepted, RFC 2181 §10.1, RFC 4035 §2.5) | error | error (allows KEY) | error | error |
//! | more than one CNAME at a name | error | error | error | error |
//! | more than one DNAME at a name | error | error | error | error |
//! | delegation whose in-zone name server has no address (missing glue) | **warning** | loads | loads | "missing glue record" |
//! | apex NS target inside the zone without address | **warning** | error | loads | "missing glue record" |
//! | data below a DNAME (RFC 6672 §2.3) | error (NSD and Knot refuse it: an UPDATE must not write what they cannot load) | loads | error | error |
//! | DNAME beside the NS of a delegation | error | loads | loads | error |
//! | NS at a wildcard name (RFC 4592 §4.2) | error | error | loads | loads |
//! | data below a delegation, or beside NS at a cut (occluded) | warning | loads | loads | loads |
//! | records of one RRset with different TTLs (first TTL wins, RFC 2181 §5.2) | warning | loads | loads | loads |
//! | duplicate records | dropped silently | dropped | dropped | dropped |
//! | TTL taken from the SOA MINIMUM (no `$TTL`, first record) | warning | warning | warning | warning |
//!
//! Occluded data stays in the zone, like NSD keeps it, and is never served
//! as an answer: the query engine stops at the cut or the DNAME. Data
//! "occluded" means below a zone cut other than addresses that may serve as
//! glue, or at the cut other than NS, DS and addresses.

use alloc::format;
use alloc::vec::Vec;

use hickory_proto::rr::{DNSClass, Name, RecordType};

use super::key::NameKey;
use super::model::{Node, RRset, Zone};
use super::nodes::{NodeEntry, NodeMapBuilder};
use crate::name::{name_from_wire, name_to_string};
use crate::parser::Entry;
use crate::rdata::Rdata;
use crate::{Diagnostic, ZoneErrors};

fn code(t: RecordType) -> u16 {
    u16::from(t)
}

/// Types allowed beside a CNAME (RFC 4035 §2.5 for RRSIG and NSEC).
fn allowed_with_cname(t: RecordType) -> bool {
    matches!(t, RecordType::CNAME | RecordType::RRSIG | RecordType::NSEC)
}

/// Types that make sense at a delegation point (RFC 4035 §2.4: NS, DS,
/// their NSEC and RRSIG), plus addresses that may be glue for the cut's own name.
fn allowed_at_cut(t: RecordType) -> bool {
    matches!(
        t,
        RecordType::NS
            | RecordType::DS
            | RecordType::RRSIG
            | RecordType::NSEC
            | RecordType::A
            | RecordType::AAAA
    )
}

impl Zone {
    /// Validates `entries` (from [`crate::ZoneParser`] or built by hand) as
    /// the zone `origin` and builds it. Returns the warnings with the zone,
    /// or every error found with the warnings.
    pub fn from_entries(
        origin: Name,
        mut entries: Vec<Entry>,
    ) -> Result<(Zone, Vec<Diagnostic>), ZoneErrors> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();

        // Every owner's key, computed once: grouping, ordering and the
        // checks below compare keys (memcmp), not hickory names label by
        // label, several times slower on large zones.
        let origin_key = NameKey::new(&origin);
        let mut keys: Vec<NameKey> = Vec::with_capacity(entries.len());
        entries.retain(|e| {
            let key = NameKey::new(&e.owner);
            let inside = key.as_bytes().starts_with(origin_key.as_bytes());
            if inside {
                keys.push(key);
            } else {
                errors.push(Diagnostic::of(
                    e,
                    format!(
                        "{} is outside the zone {}",
                        name_to_string(&e.owner),
                        name_to_string(&origin)
                    ),
                ));
            }
            inside
        });
        sort_by_owner_and_type(&mut entries, &mut keys);

        // Built as the entries are grouped (they are sorted), so the
        // nodes are never held twice.
        let mut nodes = NodeMapBuilder::new();
        // Position of the first record of every NS RRset, for glue errors.
        let mut ns_positions: Vec<(Name, u32, u32)> = Vec::new();
        let mut record_count = 0;
        let mut soa_count = 0;
        let mut i = 0;
        while i < entries.len() {
            let owner = entries[i].owner.clone();
            let node_start = i;
            let at_apex = keys[node_start] == origin_key;
            let mut node = Node::default();
            while i < entries.len() && keys[i] == keys[node_start] {
                let rtype = entries[i].rtype;
                let start = i;
                while i < entries.len() && keys[i] == keys[node_start] && entries[i].rtype == rtype
                {
                    i += 1;
                }
                let group = &entries[start..i];
                let first = &group[0];
                for e in group {
                    if e.ttl != first.ttl {
                        warnings.push(Diagnostic::of(
                            e,
                            format!(
                                "TTL {} differs from TTL {} of the first {} record of {}; using {}",
                                e.ttl,
                                first.ttl,
                                crate::type_mnemonic(rtype),
                                name_to_string(&owner),
                                first.ttl
                            ),
                        ));
                    }
                }
                // Moved, not copied: the entries keep only their positions.
                let mut rdatas: Vec<Rdata> = entries[start..i]
                    .iter_mut()
                    .map(|e| core::mem::replace(&mut e.rdata, Rdata::empty()))
                    .collect();
                let group = &entries[start..i];
                let first = &group[0];
                if rdatas.len() > 1 {
                    rdatas.sort_by(|a, b| a.canonical_cmp(b, rtype));
                    rdatas.dedup_by(|a, b| a.canonical(rtype) == b.canonical(rtype));
                }
                let label = || name_to_string(&owner);
                match rtype {
                    RecordType::SOA => {
                        soa_count += rdatas.len();
                        if !at_apex {
                            errors.push(Diagnostic::of(
                                first,
                                format!("SOA record at {}, not at the zone apex", label()),
                            ));
                        } else if rdatas.len() > 1 {
                            errors.push(Diagnostic::of(
                                &group[1],
                                "more than one SOA record at the apex".into(),
                            ));
                        }
                    }
                    RecordType::CNAME if rdatas.len() > 1 => {
                        errors.push(Diagnostic::of(
                            first,
                            format!("more than one CNAME record at {}", label()),
                        ));
                    }
                    RecordType::DNAME if rdatas.len() > 1 => {
                        errors.push(Diagnostic::of(
                            first,
                            format!("more than one DNAME record at {}", label()),
                        ));
                    }
                    RecordType::NS => ns_positions.push((owner.clone(), first.line, first.column)),
                    _ => {}
                }
                record_count += rdatas.len();
                node.rrsets.push(RRset {
                    rtype,
                    ttl: first.ttl,
                    rdatas,
                });
            }
            if node.has(RecordType::CNAME) {
                if let Some(other) = node.rrsets.iter().find(|s| !allowed_with_cname(s.rtype)) {
                    let e = entries[..i]
                        .iter()
                        .rev()
                        .find(|e| e.owner == owner && e.rtype == other.rtype)
                        .expect("entry of the set");
                    errors.push(Diagnostic::of(
                        e,
                        format!(
                            "CNAME and other data ({}) at {}",
                            crate::type_mnemonic(other.rtype),
                            name_to_string(&owner)
                        ),
                    ));
                }
            }
            // Moved into the node: `keys` is not needed once the nodes are built.
            let owner_key = core::mem::replace(&mut keys[node_start], NameKey::empty());
            nodes.push((owner_key, (owner, node)));
        }

        drop(keys);

        if soa_count == 0 {
            errors.push(Diagnostic::zone(format!(
                "no SOA record at the zone apex {}",
                name_to_string(&origin)
            )));
        }
        let apex_has_ns = nodes
            .iter()
            .any(|(key, (_, node))| *key == origin_key && node.has(RecordType::NS));
        if !apex_has_ns {
            errors.push(Diagnostic::zone(format!(
                "no NS records at the zone apex {}",
                name_to_string(&origin)
            )));
        }

        // Occlusion: nodes come in canonical order, so everything below a
        // cut or DNAME follows it directly.
        let mut occluder: Option<(&NodeEntry, RecordType)> = None;
        for entry in nodes.iter() {
            let (key, (name, node)) = entry;
            if let Some((o, kind)) = occluder {
                if key.as_bytes().starts_with(o.0.as_bytes()) {
                    let bad = node.rrsets.iter().find(|s| {
                        kind == RecordType::DNAME
                            || !matches!(s.rtype, RecordType::A | RecordType::AAAA)
                    });
                    if let Some(s) = bad {
                        let e = position_of(&entries, key, s.rtype);
                        // NSD and Knot refuse a zone with data below a
                        // DNAME (RFC 6672 §2.3); occlusion by a
                        // delegation they load.
                        let list = if kind == RecordType::DNAME {
                            &mut errors
                        } else {
                            &mut warnings
                        };
                        list.push(Diagnostic::at(
                            e.0,
                            e.1,
                            format!(
                                "{} {} is occluded by the {} at {}",
                                name_to_string(name),
                                crate::type_mnemonic(s.rtype),
                                if kind == RecordType::DNAME {
                                    "DNAME"
                                } else {
                                    "delegation"
                                },
                                name_to_string(&o.1 .0)
                            ),
                        ));
                    }
                    continue;
                }
                occluder = None;
            }
            if *key != origin_key && node.has(RecordType::NS) {
                if let Some(s) = node.rrsets.iter().find(|s| !allowed_at_cut(s.rtype)) {
                    let e = position_of(&entries, key, s.rtype);
                    warnings.push(Diagnostic::at(
                        e.0,
                        e.1,
                        format!(
                            "{} {} is occluded by the delegation at the same name",
                            name_to_string(name),
                            crate::type_mnemonic(s.rtype)
                        ),
                    ));
                }
                occluder = Some((entry, RecordType::NS));
            } else if node.has(RecordType::DNAME) {
                occluder = Some((entry, RecordType::DNAME));
            }
            if name.is_wildcard() && node.has(RecordType::NS) {
                let e = position_of(&entries, key, RecordType::NS);
                errors.push(Diagnostic::at(
                    e.0,
                    e.1,
                    format!("NS records at the wildcard {}", name_to_string(name)),
                ));
            }
            if *key != origin_key && node.has(RecordType::NS) && node.has(RecordType::DNAME) {
                let e = position_of(&entries, key, RecordType::DNAME);
                errors.push(Diagnostic::at(
                    e.0,
                    e.1,
                    format!("DNAME beside a delegation (NS) at {}", name_to_string(name)),
                ));
            }
        }

        // Only positions are left in the entries, and they are not needed
        // any more.
        drop(entries);
        let zone = Zone {
            origin: origin.clone(),
            class: DNSClass::IN,
            nodes: nodes.finish(),
            record_count,
        };

        // NS targets inside the zone need addresses (glue below a cut).
        if apex_has_ns {
            for (owner, line, column) in &ns_positions {
                let (line, column) = (*line, *column);
                let Some(node) = zone.node(owner) else {
                    continue;
                };
                let ns = node
                    .rrset(RecordType::NS)
                    .expect("NS position of an NS RRset");
                for rd in &ns.rdatas {
                    let Some((target, _)) = name_from_wire(rd.as_bytes(), 0) else {
                        continue;
                    };
                    if !zone.contains(&target) {
                        continue;
                    }
                    let has_address = zone
                        .node(&target)
                        .is_some_and(|n| n.has(RecordType::A) || n.has(RecordType::AAAA));
                    if !has_address {
                        let below_cut = zone.zone_cut_above(&target).is_some();
                        // A warning, as NSD and Knot decide (see the table
                        // in the module documentation).
                        warnings.push(Diagnostic::at(
                            line,
                            column,
                            if below_cut {
                                format!(
                                    "delegation {} NS {}: missing glue (no A or AAAA record for the in-bailiwick name server); resolvers cannot reach it through this zone",
                                    name_to_string(owner),
                                    name_to_string(&target)
                                )
                            } else {
                                format!(
                                    "{} NS {}: the name server is inside the zone but has no A or AAAA record",
                                    name_to_string(owner),
                                    name_to_string(&target)
                                )
                            },
                        ));
                    }
                }
            }
        }

        if errors.is_empty() {
            Ok((zone, warnings))
        } else {
            errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
            Err(ZoneErrors { errors, warnings })
        }
    }
}

/// The first position (line, column) of the records of `key` and `rtype`,
/// in `entries` sorted as [`sort_by_owner_and_type`] leaves them. Only
/// for messages: a binary search computing a key per probe.
fn position_of(entries: &[Entry], key: &NameKey, rtype: RecordType) -> (u32, u32) {
    let start = entries.partition_point(|e| NameKey::new(&e.owner) < *key);
    entries[start..]
        .iter()
        .take_while(|e| NameKey::new(&e.owner) == *key)
        .filter(|e| e.rtype == rtype)
        .map(|e| (e.line, e.column))
        .min()
        .unwrap_or((0, 0))
}

/// Sorts `entries` (and `keys`, the owner key of each) into canonical
/// order of owners, then types, then file order (so the first record of
/// each RRset in the file comes first; entries come in file order,
/// included files in place). As `sort_by_cached_key` does: sort the keys
/// with their indices, then move each entry once, following the cycles of
/// the permutation.
fn sort_by_owner_and_type(entries: &mut [Entry], keys: &mut Vec<NameKey>) {
    let mut order: Vec<(NameKey, u16, u32)> = core::mem::take(keys)
        .into_iter()
        .zip(entries.iter())
        .enumerate()
        .map(|(i, (key, e))| (key, code(e.rtype), i as u32))
        .collect();
    // The index makes every element distinct: unstable is stable here.
    order.sort_unstable();
    let mut sources: Vec<u32> = order.iter().map(|&(_, _, i)| i).collect();
    *keys = order.into_iter().map(|(key, _, _)| key).collect();
    for i in 0..entries.len() {
        let mut source = sources[i] as usize;
        while source < i {
            source = sources[source] as usize;
        }
        sources[i] = source as u32;
        entries.swap(i, source);
    }
}
