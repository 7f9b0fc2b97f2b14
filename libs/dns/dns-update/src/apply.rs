//! Applying an UPDATE to a zone (RFC 2136 §3.2–§3.4), all or nothing.

use alloc::vec;
use alloc::vec::Vec;

use dns_wire::{class, Record};
use dns_zone::zone::diff::soa_serial;
use dns_zone::{EditError, Name, RRset, Rdata, RecordType, Serial, Zone, ZoneDiff, ZoneEdit};

use crate::error::Refusal;
use crate::request::UpdateRequest;

/// What an UPDATE did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// The prerequisites held but the updates changed nothing (all were
    /// no-ops or ignored by the rules of §3.4.2): the zone and its serial
    /// stay as they are.
    Unchanged,
    /// The zone changed.
    Changed {
        /// The new version (its serial newer than the old one's).
        new: Zone,
        /// The changes from the old version, as an IXFR carries them.
        diff: ZoneDiff,
    },
}

/// Types no zone can hold (see [`dns_zone::is_meta_type`]): 0, OPT, the
/// QTYPE/meta range 128–255 (TKEY, TSIG, IXFR, AXFR, MAILB, MAILA, ANY…)
/// and 65535. BIND refuses a zone file holding one ("invalid use of a
/// meta type"), so an UPDATE adding one is FORMERR (RFC 2136 §3.4.1.2).
fn is_meta(t: RecordType) -> bool {
    dns_zone::is_meta_type(t)
}

/// The prerequisite section (§3.2), checked in order against `zone`.
fn check_prerequisites(zone: &Zone, req: &UpdateRequest) -> Result<(), Refusal> {
    let zname = zone.origin();
    // "temp": the value-dependent RRsets, by owner and type.
    let mut temp: Vec<(&Name, RecordType, Vec<Rdata>)> = Vec::new();
    for rr in &req.prerequisites {
        if rr.ttl != 0 {
            return Err(Refusal::FormErr("a prerequisite's TTL must be 0"));
        }
        if !zname.zone_of(&rr.owner) {
            return Err(Refusal::NotZone(rr.owner.clone()));
        }
        let node = zone.node(&rr.owner);
        match rr.class {
            class::ANY => {
                if !rr.rdata.is_empty() {
                    return Err(Refusal::FormErr(
                        "a class ANY prerequisite must have no RDATA",
                    ));
                }
                if rr.rtype == RecordType::ANY {
                    // §2.4.4 Name Is In Use (not satisfied by an empty
                    // non-terminal).
                    if node.is_none() {
                        return Err(Refusal::NxDomain(rr.owner.clone()));
                    }
                } else if !node.is_some_and(|n| n.has(rr.rtype)) {
                    // §2.4.1 RRset Exists (Value Independent).
                    return Err(Refusal::NxRrset(rr.owner.clone(), rr.rtype));
                }
            }
            class::NONE => {
                if !rr.rdata.is_empty() {
                    return Err(Refusal::FormErr(
                        "a class NONE prerequisite must have no RDATA",
                    ));
                }
                if rr.rtype == RecordType::ANY {
                    // §2.4.5 Name Is Not In Use.
                    if node.is_some() {
                        return Err(Refusal::YxDomain(rr.owner.clone()));
                    }
                } else if node.is_some_and(|n| n.has(rr.rtype)) {
                    // §2.4.3 RRset Does Not Exist.
                    return Err(Refusal::YxRrset(rr.owner.clone(), rr.rtype));
                }
            }
            c if c == req.zone_class => {
                // §2.4.2 RRset Exists (Value Dependent).
                if is_meta(rr.rtype) {
                    return Err(Refusal::FormErr(
                        "a value-dependent prerequisite needs a real type",
                    ));
                }
                let rd = Rdata::from_wire(rr.rtype, &rr.rdata)
                    .map_err(|_| Refusal::FormErr("prerequisite RDATA does not fit its type"))?;
                match temp
                    .iter_mut()
                    .find(|(n, t, _)| *n == &rr.owner && *t == rr.rtype)
                {
                    Some((_, _, v)) => v.push(rd),
                    None => temp.push((&rr.owner, rr.rtype, vec![rd])),
                }
            }
            _ => {
                return Err(Refusal::FormErr(
                    "a prerequisite's class must be ANY, NONE or the zone's",
                ))
            }
        }
    }
    for (name, rtype, rdatas) in temp {
        // Compared as sets of canonical RDATA, TTL ignored (§1.1.1).
        let wanted = RRset::new(rtype, 0, rdatas);
        let equal = zone
            .node(name)
            .and_then(|n| n.rrset(rtype))
            .is_some_and(|have| {
                have.len() == wanted.len()
                    && have
                        .rdatas()
                        .zip(wanted.rdatas())
                        .all(|(a, b)| a.canonical(rtype) == b.canonical(rtype))
            });
        if !equal {
            return Err(Refusal::NxRrset(name.clone(), rtype));
        }
    }
    Ok(())
}

/// One change of the update section, checked (§3.4.1).
enum Op<'a> {
    Add(&'a Name, u32, RecordType, Rdata),
    DeleteRrset(&'a Name, RecordType),
    DeleteName(&'a Name),
    DeleteRecord(&'a Name, RecordType, Rdata),
}

/// The prescan of the update section (§3.4.1).
fn prescan<'a>(zname: &Name, req: &'a UpdateRequest) -> Result<Vec<Op<'a>>, Refusal> {
    let mut ops = Vec::with_capacity(req.updates.len());
    for rr in &req.updates {
        let Record {
            owner,
            rtype,
            class: c,
            ttl,
            rdata,
        } = rr;
        if !zname.zone_of(owner) {
            return Err(Refusal::NotZone(owner.clone()));
        }
        let rdata_of = |t: RecordType| {
            Rdata::from_wire(t, rdata)
                .map_err(|_| Refusal::FormErr("update RDATA does not fit its type"))
        };
        let op = match *c {
            c if c == req.zone_class => {
                if is_meta(*rtype) {
                    return Err(Refusal::FormErr("cannot add records of a meta type"));
                }
                Op::Add(owner, *ttl, *rtype, rdata_of(*rtype)?)
            }
            class::ANY => {
                if *ttl != 0 || !rdata.is_empty() || (is_meta(*rtype) && *rtype != RecordType::ANY)
                {
                    return Err(Refusal::FormErr(
                        "an RRset deletion needs TTL 0, no RDATA and a real type or ANY",
                    ));
                }
                if *rtype == RecordType::ANY {
                    Op::DeleteName(owner)
                } else {
                    Op::DeleteRrset(owner, *rtype)
                }
            }
            class::NONE => {
                if *ttl != 0 || is_meta(*rtype) {
                    return Err(Refusal::FormErr(
                        "a record deletion needs TTL 0 and a real type",
                    ));
                }
                Op::DeleteRecord(owner, *rtype, rdata_of(*rtype)?)
            }
            _ => {
                return Err(Refusal::FormErr(
                    "an update's class must be ANY, NONE or the zone's",
                ))
            }
        };
        ops.push(op);
    }
    Ok(ops)
}

/// Types that may share a name with a CNAME (RFC 2181 §10.1, RFC 4035
/// §2.5).
fn allowed_with_cname(t: RecordType) -> bool {
    matches!(t, RecordType::CNAME | RecordType::RRSIG | RecordType::NSEC)
}

/// §3.4.2.2: an addition.
fn add(e: &mut ZoneEdit, zname: &Name, name: &Name, ttl: u32, rtype: RecordType, rd: Rdata) {
    let node = e.node(name);
    if rtype == RecordType::CNAME {
        if node.is_some_and(|n| n.rrsets().any(|s| !allowed_with_cname(s.rtype()))) {
            return;
        }
    } else if !allowed_with_cname(rtype) && node.is_some_and(|n| n.has(RecordType::CNAME)) {
        return;
    }
    match rtype {
        RecordType::SOA => {
            // Only at the apex, and only a newer serial (RFC 1982).
            let current = node.and_then(|n| n.rrset(RecordType::SOA));
            let (Some(current), true) = (current, name == zname) else {
                return;
            };
            let old = soa_serial(current.first().as_bytes());
            let new = soa_serial(rd.as_bytes());
            if !matches!((old, new), (Some(o), Some(n)) if n > o) {
                return;
            }
            e.replace_rrset(name, RRset::new(rtype, ttl, vec![rd]));
        }
        // Singletons: the new record replaces the old (DNAME like CNAME,
        // RFC 6672 §2.4).
        RecordType::CNAME | RecordType::DNAME => {
            let same = e.rrset(name, rtype).is_some_and(|s| {
                s.ttl() == ttl && s.first().canonical(rtype) == rd.canonical(rtype)
            });
            if !same {
                e.replace_rrset(name, RRset::new(rtype, ttl, vec![rd]));
            }
        }
        // WKS: same address and protocol replaces (§3.4.2.2).
        t if u16::from(t) == 11 && rd.as_bytes().len() >= 5 => {
            let key = &rd.as_bytes()[..5];
            let old: Option<Rdata> = e.rrset(name, rtype).and_then(|s| {
                s.rdatas()
                    .find(|r| r.as_bytes().get(..5) == Some(key))
                    .map(|r| r.to_owned())
            });
            if let Some(old) = old {
                if old == rd {
                    e.add(name, ttl, rtype, rd);
                    return;
                }
                e.remove_record(name, rtype, &old);
            }
            e.add(name, ttl, rtype, rd);
        }
        _ => {
            e.add(name, ttl, rtype, rd);
        }
    }
}

/// Applies `req` to `zone`: prerequisites (§3.2), prescan (§3.4.1), the
/// changes (§3.4.2) on a copy, the serial increment, and the checks of a
/// zone loader on the result. Nothing changes unless everything succeeds.
///
/// The zone section must name `zone` (the caller found it by
/// [`UpdateRequest::zone`]); its class must be IN (else NOTAUTH).
pub fn apply(zone: &Zone, req: &UpdateRequest) -> Result<Applied, Refusal> {
    let zname = zone.origin();
    if req.zone != *zname || req.zone_class != class::IN {
        return Err(Refusal::NotAuth(req.zone.clone()));
    }
    check_prerequisites(zone, req)?;
    let ops = prescan(zname, req)?;
    if ops.is_empty() {
        return Ok(Applied::Unchanged);
    }
    let mut e = zone.edit();
    for op in ops {
        match op {
            Op::Add(name, ttl, rtype, rd) => add(&mut e, zname, name, ttl, rtype, rd),
            Op::DeleteName(name) => {
                if name == zname {
                    e.remove_rrsets_where(name, |t| !matches!(t, RecordType::SOA | RecordType::NS));
                } else {
                    e.remove_rrsets_where(name, |_| true);
                }
            }
            Op::DeleteRrset(name, rtype) => {
                if !(name == zname && matches!(rtype, RecordType::SOA | RecordType::NS)) {
                    e.remove_rrset(name, rtype);
                }
            }
            Op::DeleteRecord(name, rtype, rd) => {
                if rtype == RecordType::SOA {
                    continue;
                }
                if rtype == RecordType::NS && name == zname {
                    // §3.4.2.4: the last apex NS stays.
                    let last = e.rrset(name, rtype).is_some_and(|s| {
                        s.len() == 1 && s.first().canonical(rtype) == rd.canonical(rtype)
                    });
                    if last {
                        continue;
                    }
                }
                e.remove_record(name, rtype, &rd);
            }
        }
    }
    if e.touched().next().is_none() {
        return Ok(Applied::Unchanged);
    }
    let explicit_soa = bump_serial(&mut e, zone)?;
    let (new, diff) = e.finish_with_diff(zone).map_err(Refusal::Invalid)?;
    if diff.is_empty() && !explicit_soa {
        // Changes that cancel out (a record added, then deleted).
        return Ok(Applied::Unchanged);
    }
    Ok(Applied::Changed { new, diff })
}

/// Serial maintenance (RFC 2136 §3.6: the serial must go up after an
/// update): unless the update installed a newer SOA itself, the serial
/// goes up by one (RFC 1982 addition, BIND's default method). Returns whether the update set the
/// SOA itself.
fn bump_serial(e: &mut ZoneEdit, old: &Zone) -> Result<bool, Refusal> {
    let zname = old.origin().clone();
    let soa = e
        .rrset(&zname, RecordType::SOA)
        .map(|s| s.to_owned())
        .ok_or(Refusal::Invalid(EditError::ApexSoa))?;
    let current = soa_serial(soa.first().as_bytes()).unwrap_or(Serial(0));
    if current > old.serial() {
        return Ok(true);
    }
    // RFC 1982 addition of 1 is always defined (it wraps past 2^32 - 1).
    let next = Serial(old.serial().0.wrapping_add(1));
    let mut rd = soa.first().as_bytes().to_vec();
    let at = rd.len() - 20;
    rd[at..at + 4].copy_from_slice(&next.0.to_be_bytes());
    // The same fields with another serial: still a valid SOA.
    let rd =
        Rdata::from_wire(RecordType::SOA, &rd).map_err(|_| Refusal::Invalid(EditError::ApexSoa))?;
    e.replace_rrset(&zname, RRset::new(RecordType::SOA, soa.ttl(), vec![rd]));
    Ok(false)
}
