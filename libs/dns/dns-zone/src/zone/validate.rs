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
use alloc::string::String;
use alloc::vec::Vec;

use hickory_proto::rr::{DNSClass, Name, RecordType};

use super::key::NameKey;
use super::model::{Node, Zone};
use super::nodes::NodeMapBuilder;
use super::records::Records;
use super::rrset::{push_rrset, MAX_RRSET_RECORDS};
use crate::name::name_to_string;
use crate::parser::Entry;
use crate::rdata::RdataRef;
use crate::{Diagnostic, ZoneErrors};

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

/// Whether the name of `key` is a wildcard (its first label `*`): the key
/// ends with that label ([`crate::name::canonical_key`]).
fn key_is_wildcard(key: &[u8]) -> bool {
    key.ends_with(b"\0*\0") || key == b"*\0"
}

impl Zone {
    /// Validates `entries` (from [`crate::ZoneParser`] or built by hand) as
    /// the zone `origin` and builds it. Returns the warnings with the zone,
    /// or every error found with the warnings.
    pub fn from_entries(
        origin: Name,
        entries: Vec<Entry>,
    ) -> Result<(Zone, Vec<Diagnostic>), ZoneErrors> {
        let mut records = Records::default();
        for entry in entries {
            records.push(entry);
        }
        Self::from_records(origin, records)
    }

    /// [`Zone::from_entries`] of records taken in as they were parsed.
    pub(crate) fn from_records(
        origin: Name,
        mut records: Records,
    ) -> Result<(Zone, Vec<Diagnostic>), ZoneErrors> {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        let at = |records: &Records, i: usize, message: String| Diagnostic {
            line: records.rec(i).line,
            column: records.rec(i).column,
            message,
            file: records.file(i).map(String::from),
        };

        // Grouping, ordering and the checks below compare owner keys
        // (memcmp), not hickory names label by label, several times slower
        // on large zones.
        let origin_key = NameKey::new(&origin);
        let origin_bytes = origin_key.as_bytes();
        records.retain(|records, i| {
            let inside = records.key(i).starts_with(origin_bytes);
            if !inside {
                errors.push(at(
                    records,
                    i,
                    format!(
                        "{} is outside the zone {}",
                        name_to_string(&records.owner(i)),
                        name_to_string(&origin)
                    ),
                ));
            }
            inside
        });
        records.sort(origin_bytes.len());
        // The first record (in the file) of `key` and `rtype`, for messages.
        let position =
            |records: &Records, key: &[u8], rtype: RecordType, message: String| match records
                .first_of(key, rtype)
            {
                Some(i) => at(records, i, message),
                None => Diagnostic::at(0, 0, message),
            };

        // Built as the records are grouped (they are sorted), so the
        // nodes are never held twice.
        let mut nodes = NodeMapBuilder::new();
        // First record of every NS RRset, for glue errors.
        let mut ns_positions: Vec<(Name, usize)> = Vec::new();
        let mut record_count = 0;
        let mut soa_count = 0;
        // The node being built: its RRsets' bytes and types.
        let mut node = Vec::new();
        let mut types: Vec<RecordType> = Vec::new();
        let mut rdatas: Vec<RdataRef<'_>> = Vec::new();
        let mut i = 0;
        let n = records.len();
        while i < n {
            let node_start = i;
            // Made only for messages.
            let owner = || records.owner(node_start);
            let key = records.key(node_start);
            let at_apex = key == origin_bytes;
            node.clear();
            types.clear();
            while i < n && records.key(i) == key {
                let rtype = records.rtype(i);
                let start = i;
                while i < n && records.key(i) == key && records.rtype(i) == rtype {
                    i += 1;
                }
                let first_ttl = records.rec(start).ttl;
                for j in start..i {
                    let ttl = records.rec(j).ttl;
                    if ttl != first_ttl {
                        warnings.push(at(
                            &records,
                            j,
                            format!(
                                "TTL {ttl} differs from TTL {first_ttl} of the first {} record of {}; using {first_ttl}",
                                crate::type_mnemonic(rtype),
                                name_to_string(&owner()),
                            ),
                        ));
                    }
                }
                rdatas.clear();
                rdatas.extend((start..i).map(|j| RdataRef(records.rdata(j))));
                if rdatas.len() > 1 {
                    rdatas.sort_by(|a, b| a.canonical_cmp(*b, rtype));
                    rdatas.dedup_by(|a, b| a.canonical(rtype) == b.canonical(rtype));
                }
                let label = || name_to_string(&owner());
                if rdatas.len() > MAX_RRSET_RECORDS {
                    // The store counts an RRset's records in 16 bits, as
                    // Knot does; no message could carry more anyway.
                    errors.push(at(
                        &records,
                        start,
                        format!(
                            "{} {} has {} records, more than {MAX_RRSET_RECORDS}",
                            label(),
                            crate::type_mnemonic(rtype),
                            rdatas.len()
                        ),
                    ));
                    rdatas.truncate(MAX_RRSET_RECORDS);
                }
                match rtype {
                    RecordType::SOA => {
                        soa_count += rdatas.len();
                        if !at_apex {
                            errors.push(at(
                                &records,
                                start,
                                format!("SOA record at {}, not at the zone apex", label()),
                            ));
                        } else if rdatas.len() > 1 {
                            errors.push(at(
                                &records,
                                start + 1,
                                "more than one SOA record at the apex".into(),
                            ));
                        }
                    }
                    RecordType::CNAME if rdatas.len() > 1 => {
                        errors.push(at(
                            &records,
                            start,
                            format!("more than one CNAME record at {}", label()),
                        ));
                    }
                    RecordType::DNAME if rdatas.len() > 1 => {
                        errors.push(at(
                            &records,
                            start,
                            format!("more than one DNAME record at {}", label()),
                        ));
                    }
                    RecordType::NS => ns_positions.push((owner(), start)),
                    _ => {}
                }
                record_count += rdatas.len();
                push_rrset(
                    &mut node,
                    rtype,
                    first_ttl,
                    rdatas.iter().map(|r| r.as_bytes()),
                );
                types.push(rtype);
            }
            if types.contains(&RecordType::CNAME) {
                if let Some(&other) = types.iter().find(|&&t| !allowed_with_cname(t)) {
                    errors.push(position(
                        &records,
                        key,
                        other,
                        format!(
                            "CNAME and other data ({}) at {}",
                            crate::type_mnemonic(other),
                            name_to_string(&owner())
                        ),
                    ));
                }
            }
            nodes.push(key, &records.owner_wire(node_start), &node);
        }

        if soa_count == 0 {
            errors.push(Diagnostic::zone(format!(
                "no SOA record at the zone apex {}",
                name_to_string(&origin)
            )));
        }
        let apex_has_ns = nodes
            .iter()
            .any(|node| node.key() == origin_bytes && node.has(RecordType::NS));
        if !apex_has_ns {
            errors.push(Diagnostic::zone(format!(
                "no NS records at the zone apex {}",
                name_to_string(&origin)
            )));
        }

        // Occlusion: nodes come in canonical order, so everything below a
        // cut or DNAME follows it directly.
        let mut occluder: Option<(Node<'_>, RecordType)> = None;
        for node in nodes.iter() {
            let key = node.key();
            // Made only for messages.
            let name = || node.owner();
            if let Some((o, kind)) = occluder {
                if key.starts_with(o.key()) {
                    let bad = node.rrsets().find(|s| {
                        kind == RecordType::DNAME
                            || !matches!(s.rtype(), RecordType::A | RecordType::AAAA)
                    });
                    if let Some(s) = bad {
                        // NSD and Knot refuse a zone with data below a
                        // DNAME (RFC 6672 §2.3); occlusion by a
                        // delegation they load.
                        let list = if kind == RecordType::DNAME {
                            &mut errors
                        } else {
                            &mut warnings
                        };
                        list.push(position(
                            &records,
                            key,
                            s.rtype(),
                            format!(
                                "{} {} is occluded by the {} at {}",
                                name_to_string(&name()),
                                crate::type_mnemonic(s.rtype()),
                                if kind == RecordType::DNAME {
                                    "DNAME"
                                } else {
                                    "delegation"
                                },
                                name_to_string(&o.owner())
                            ),
                        ));
                    }
                    continue;
                }
                occluder = None;
            }
            let (has_ns, has_dname) = (node.has(RecordType::NS), node.has(RecordType::DNAME));
            let at_cut = key != origin_bytes && has_ns;
            if at_cut {
                if let Some(s) = node.rrsets().find(|s| !allowed_at_cut(s.rtype())) {
                    warnings.push(position(
                        &records,
                        key,
                        s.rtype(),
                        format!(
                            "{} {} is occluded by the delegation at the same name",
                            name_to_string(&name()),
                            crate::type_mnemonic(s.rtype())
                        ),
                    ));
                }
                occluder = Some((node, RecordType::NS));
            } else if has_dname {
                occluder = Some((node, RecordType::DNAME));
            }
            if has_ns && key_is_wildcard(key) {
                errors.push(position(
                    &records,
                    key,
                    RecordType::NS,
                    format!("NS records at the wildcard {}", name_to_string(&name())),
                ));
            }
            if at_cut && has_dname {
                errors.push(position(
                    &records,
                    key,
                    RecordType::DNAME,
                    format!(
                        "DNAME beside a delegation (NS) at {}",
                        name_to_string(&name())
                    ),
                ));
            }
        }

        let zone = Zone {
            origin: origin.clone(),
            class: DNSClass::IN,
            nodes: nodes.finish(),
            record_count,
        };

        // NS targets inside the zone need addresses (glue below a cut).
        if apex_has_ns {
            for (owner, first) in &ns_positions {
                let Some(node) = zone.node(owner) else {
                    continue;
                };
                let ns = node
                    .rrset(RecordType::NS)
                    .expect("NS position of an NS RRset");
                for target in zone.targets_without_address(ns) {
                    let below_cut = zone.zone_cut_above(&target).is_some();
                    // A warning, as NSD and Knot decide (see the table
                    // in the module documentation).
                    warnings.push(at(
                        &records,
                        *first,
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
        drop(records);

        if errors.is_empty() {
            Ok((zone, warnings))
        } else {
            errors.sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
            Err(ZoneErrors { errors, warnings })
        }
    }
}
