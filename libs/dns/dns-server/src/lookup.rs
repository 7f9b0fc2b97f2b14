//! The authoritative lookup inside one zone: RFC 1034 §4.3.2 steps 3 and 4,
//! with RFC 2308 negative answers, RFC 4592 wildcards, RFC 6672 DNAME,
//! referrals and DS at a delegation (RFC 4035 §3.1.4.1), CNAME chains, and
//! RFC 8482 for ANY.
//!
//! A CNAME (or DNAME-synthesized CNAME) whose target is in another zone we
//! serve is followed there: RFC 1034 §4.3.2 step 3.a goes "back to step
//! 1", which searches all the zones available. NSD and BIND do so; Knot
//! follows chains only inside the zone of the question (checked with NSD
//! 4.6 and Knot 3.2: see tests/e2e/tests/differential_cname_zones.rs). We
//! follow NSD and BIND, the servers operators move from, and save the
//! resolver a query per zone. The rcode and the authority section are the
//! last name's (RFC 6604 §2.1), AA stays set: every record is ours.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use dns_zone::name::{name_from_wire, name_to_wire, MAX_NAME_WIRE_LEN};
use dns_zone::{KeyBuf, Name, Node, RRsetRef, RecordType, Zone};

/// Longest CNAME/DNAME chain followed, across zones; NSD and Knot stop
/// well before this on real zones, and loops are cut off earlier by
/// remembering the names seen.
pub const MAX_CHAIN: usize = 16;

/// RCODEs used by the engine.
pub(crate) mod rcode {
    pub const NOERROR: u8 = 0;
    pub const FORMERR: u8 = 1;
    pub const SERVFAIL: u8 = 2;
    pub const NXDOMAIN: u8 = 3;
    pub const NOTIMP: u8 = 4;
    pub const REFUSED: u8 = 5;
    pub const YXDOMAIN: u8 = 6;
}

/// How to answer QTYPE ANY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum AnyPolicy {
    /// RFC 8482 §4.1: over UDP, one RRset of the name (the one with the
    /// lowest type number, so answers are stable); over TCP, every RRset.
    #[default]
    Rfc8482,
    /// Every RRset of the name on every transport: NSD's and Knot's
    /// defaults (`refuse-any: no`, `disable-any: off`).
    Full,
}

/// One record of a response section.
#[derive(Debug, Clone)]
pub(crate) struct Rr<'z> {
    pub owner: Cow<'z, Name>,
    pub rtype: RecordType,
    pub ttl: u32,
    pub rdata: Cow<'z, [u8]>,
}

/// The sections and flags of an answer, before encoding.
#[derive(Debug, Default)]
pub(crate) struct Answer<'z> {
    pub rcode: u8,
    pub aa: bool,
    pub answer: Vec<Rr<'z>>,
    pub authority: Vec<Rr<'z>>,
    pub additional: Vec<Rr<'z>>,
    /// For a referral, the delegation point: additional records at or
    /// below it are in-domain glue, which must all fit or the response is
    /// truncated (RFC 9471 §3.1).
    pub cut: Option<Name>,
}

enum Step {
    Done,
    Follow(Name),
}

fn push_set<'z>(section: &mut Vec<Rr<'z>>, owner: Cow<'z, Name>, set: RRsetRef<'z>) {
    for rd in set.rdatas() {
        section.push(Rr {
            owner: owner.clone(),
            rtype: set.rtype(),
            ttl: set.ttl(),
            rdata: Cow::Borrowed(rd.as_bytes()),
        });
    }
}

/// Answers `qname`/`qtype` from `zone` (which contains `qname`; its key is
/// `qname_key`, as the caller found the zone with it); a chain leaving it
/// goes on in the zone `other_zone` gives for the target, if any.
pub(crate) fn answer<'z>(
    mut zone: &'z Zone,
    qname: &Name,
    qname_key: &KeyBuf,
    qtype: RecordType,
    full_any: bool,
    other_zone: &dyn Fn(&Name) -> Option<&'z Zone>,
) -> Answer<'z> {
    let mut ans = Answer {
        aa: true,
        ..Answer::default()
    };
    let mut name = qname.clone();
    // The key of `name`: the caller's for the question, one per target.
    let mut target_key: Option<KeyBuf> = None;
    let mut seen: Vec<Name> = Vec::new();
    let mut referral = false;
    for _ in 0..=MAX_CHAIN {
        let key = target_key.as_ref().unwrap_or(qname_key);
        match step(zone, &name, key, qtype, full_any, &mut ans, &mut referral) {
            Step::Done => break,
            Step::Follow(target) => {
                if seen.contains(&target) || target == name {
                    break;
                }
                if !zone.contains(&target) {
                    match other_zone(&target) {
                        Some(next) => zone = next,
                        None => break,
                    }
                }
                target_key = Some(KeyBuf::from_name(&target));
                seen.push(core::mem::replace(&mut name, target));
            }
        }
    }
    if !referral {
        let targets: Vec<Name> = ans.answer.iter().filter_map(additional_target).collect();
        add_addresses(zone, &targets, &mut ans.additional);
    }
    ans
}

/// The name whose addresses go to the additional section (RFC 1035 §3.3.9,
/// §3.3.11; RFC 2782; RFC 9460 §4.2 for the TargetName of SVCB and HTTPS,
/// unless it is "." — as Knot does).
fn additional_target(rr: &Rr<'_>) -> Option<Name> {
    let at = match rr.rtype {
        RecordType::NS => 0,
        RecordType::MX | RecordType::SVCB | RecordType::HTTPS => 2,
        RecordType::SRV => 6,
        _ => return None,
    };
    name_from_wire(&rr.rdata, at)
        .map(|(n, _)| n)
        .filter(|n| !n.is_root())
}

fn add_addresses<'z>(zone: &'z Zone, targets: &[Name], additional: &mut Vec<Rr<'z>>) {
    let mut done: Vec<&Name> = Vec::new();
    for target in targets {
        if done.contains(&target) || !zone.contains(target) {
            continue;
        }
        done.push(target);
        if let Some(node) = zone.node(target) {
            let owner: Cow<'z, Name> = Cow::Owned(node.owner());
            for t in [RecordType::A, RecordType::AAAA] {
                if let Some(set) = node.rrset(t) {
                    push_set(additional, owner.clone(), set);
                }
            }
        }
    }
}

fn negative<'z>(zone: &'z Zone, ans: &mut Answer<'z>, rcode: u8) {
    ans.rcode = rcode;
    let soa = zone.soa();
    let ttl = zone.negative_ttl();
    ans.authority.push(Rr {
        owner: Cow::Borrowed(zone.origin()),
        rtype: RecordType::SOA,
        ttl,
        rdata: Cow::Borrowed(soa.first().as_bytes()),
    });
}

fn referral<'z>(zone: &'z Zone, node: Node<'z>, ans: &mut Answer<'z>) {
    let ns = node.rrset(RecordType::NS).expect("a zone cut has NS");
    if ans.answer.is_empty() {
        ans.aa = false;
    }
    let cut = node.owner();
    let owner: Cow<'z, Name> = Cow::Owned(cut.clone());
    ans.cut = Some(cut);
    push_set(&mut ans.authority, owner.clone(), ns);
    let targets: Vec<Name> = ans.authority.iter().filter_map(additional_target).collect();
    add_addresses(zone, &targets, &mut ans.additional);
}

/// One step of [`answer`] for `name`, whose key is `key`.
fn step<'z>(
    zone: &'z Zone,
    name: &Name,
    key: &KeyBuf,
    qtype: RecordType,
    full_any: bool,
    ans: &mut Answer<'z>,
    is_referral: &mut bool,
) -> Step {
    let apex_labels = zone.origin().iter().len();
    let labels = key.labels();
    // Top-down over the proper ancestors: the highest cut or DNAME wins.
    for n in apex_labels..labels {
        let Some(node) = zone.node_by_key(key.ancestor(n)) else {
            continue;
        };
        if n > apex_labels && node.has(RecordType::NS) {
            referral(zone, node, ans);
            *is_referral = true;
            return Step::Done;
        }
        if let Some(dname) = node.rrset(RecordType::DNAME) {
            return substitute(name, &node.owner(), dname, qtype, ans);
        }
    }
    if let Some(node) = zone.node_by_key(key.as_bytes()) {
        // `name` is in the zone: as many labels as the apex means the apex.
        if labels > apex_labels && node.has(RecordType::NS) && qtype != RecordType::DS {
            referral(zone, node, ans);
            *is_referral = true;
            return Step::Done;
        }
        return matched(zone, Cow::Owned(node.owner()), node, qtype, full_any, ans);
    }
    if zone.has_descendants_by_key(key.as_bytes()) {
        // An empty non-terminal: the name exists, with no data (RFC 8020).
        negative(zone, ans, rcode::NOERROR);
        return Step::Done;
    }
    // RFC 4592 §3.3.1: the source of synthesis is "*." + closest encloser.
    let encloser = (apex_labels..labels)
        .rev()
        .find(|&n| zone.name_exists_by_key(key.ancestor(n)))
        .unwrap_or(apex_labels);
    let Some(wild) = key.child_of_ancestor(encloser, b"*") else {
        negative(zone, ans, rcode::NXDOMAIN);
        return Step::Done;
    };
    if let Some(node) = zone.node_by_key(wild.as_bytes()) {
        return matched(zone, Cow::Owned(name.clone()), node, qtype, full_any, ans);
    }
    if zone.has_descendants_by_key(wild.as_bytes()) {
        // The wildcard is an empty non-terminal: it matches, with no data.
        negative(zone, ans, rcode::NOERROR);
        return Step::Done;
    }
    negative(zone, ans, rcode::NXDOMAIN);
    Step::Done
}

/// RFC 1034 §4.3.2 step 3.a (or a wildcard match, with `owner` = QNAME).
fn matched<'z>(
    zone: &'z Zone,
    owner: Cow<'z, Name>,
    node: Node<'z>,
    qtype: RecordType,
    full_any: bool,
    ans: &mut Answer<'z>,
) -> Step {
    if qtype == RecordType::ANY {
        let take = if full_any { usize::MAX } else { 1 };
        let mut any = false;
        for set in node.rrsets().take(take) {
            push_set(&mut ans.answer, owner.clone(), set);
            any = true;
        }
        if !any {
            negative(zone, ans, rcode::NOERROR);
        }
        return Step::Done;
    }
    if let Some(set) = node.rrset(qtype) {
        push_set(&mut ans.answer, owner.clone(), set);
        return Step::Done;
    }
    if let Some(cname) = node.rrset(RecordType::CNAME) {
        push_set(&mut ans.answer, owner.clone(), cname);
        return match name_from_wire(cname.first().as_bytes(), 0) {
            Some((target, _)) => Step::Follow(target),
            None => Step::Done,
        };
    }
    negative(zone, ans, rcode::NOERROR);
    Step::Done
}

/// RFC 6672 §3.3: answer the DNAME, synthesize the CNAME, follow it —
/// unless the question is for type CNAME, which the synthesized CNAME
/// answers (RFC 1034 §3.6.2: "queries which match the CNAME type are not
/// restarted"; NSD and Knot stop there too).
fn substitute<'z>(
    name: &Name,
    owner: &Name,
    dname: RRsetRef<'z>,
    qtype: RecordType,
    ans: &mut Answer<'z>,
) -> Step {
    push_set(&mut ans.answer, Cow::Owned(owner.clone()), dname);
    let Some((target, _)) = name_from_wire(dname.first().as_bytes(), 0) else {
        return Step::Done;
    };
    let keep = name.iter().len() - owner.iter().len();
    let mut wire = Vec::with_capacity(MAX_NAME_WIRE_LEN);
    for label in name.iter().take(keep) {
        wire.push(label.len() as u8);
        wire.extend_from_slice(label);
    }
    name_to_wire(&target, &mut wire);
    if wire.len() > MAX_NAME_WIRE_LEN {
        // RFC 6672 §2.2: the substituted name would be too long.
        ans.rcode = rcode::YXDOMAIN;
        return Step::Done;
    }
    let Some((new_name, _)) = name_from_wire(&wire, 0) else {
        return Step::Done;
    };
    ans.answer.push(Rr {
        owner: Cow::Owned(name.clone()),
        rtype: RecordType::CNAME,
        ttl: dname.ttl(),
        rdata: Cow::Owned(wire),
    });
    if qtype == RecordType::CNAME {
        return Step::Done;
    }
    Step::Follow(new_name)
}
