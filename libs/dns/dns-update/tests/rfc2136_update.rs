//! RFC 2136 (dynamic update): the zone section (§3.1), prerequisites
//! (§2.4, §3.2), the prescan (§3.4.1) and the changes (§3.4.2), each
//! built with our client-side builder, sent through the wire format and
//! applied to a zone (builder → message → parse → apply).

#![allow(clippy::type_complexity, clippy::result_large_err)]

use dns_update::{
    apply, Applied, Prerequisite as P, Refusal, Update as U, UpdateBuilder, UpdateRequest,
};
use dns_wire::{rcode, RecordType as T};
use dns_zone::{print_zone, Name, Rdata, Zone};

const ZONE: &str = "$TTL 300
@ SOA ns hostmaster 1 7200 3600 1209600 300
@ NS ns
@ NS ns2
@ TXT \"apex\"
ns A 192.0.2.1
ns2 A 192.0.2.2
www A 192.0.2.10
www A 192.0.2.11
www TXT \"hello\"
alias CNAME www
x.ent A 192.0.2.20
sub NS ns.sub
ns.sub A 192.0.2.53
";

fn zone() -> Zone {
    Zone::parse(ZONE.as_bytes(), n("example.com.")).unwrap().0
}

fn n(s: &str) -> Name {
    let mut w = Vec::new();
    dns_zone::name::parse_name(
        s.as_bytes(),
        &Name::parse("example.com.", None).unwrap(),
        &mut w,
    )
    .unwrap()
}

fn a(ip: &str) -> Rdata {
    let ip: core::net::Ipv4Addr = ip.parse().unwrap();
    Rdata::from_wire(T::A, &ip.octets()).unwrap()
}

fn txt(s: &str) -> Rdata {
    let mut v = vec![s.len() as u8];
    v.extend_from_slice(s.as_bytes());
    Rdata::from_wire(T::TXT, &v).unwrap()
}

fn name_rd(t: T, target: &str) -> Rdata {
    let mut v = Vec::new();
    dns_zone::name::name_to_wire(&n(target), &mut v);
    Rdata::from_wire(t, &v).unwrap()
}

fn soa(serial: u32) -> Rdata {
    let mut v = Vec::new();
    dns_zone::name::name_to_wire(&n("ns"), &mut v);
    dns_zone::name::name_to_wire(&n("hostmaster"), &mut v);
    for x in [serial, 7200, 3600, 1209600, 300] {
        v.extend_from_slice(&x.to_be_bytes());
    }
    Rdata::from_wire(T::SOA, &v).unwrap()
}

/// Builds the UPDATE, sends it through the wire format and applies it.
fn run(prereqs: Vec<P>, updates: Vec<U>) -> Result<Applied, Refusal> {
    let mut b = UpdateBuilder::new(n("example.com."));
    b.prerequisites = prereqs;
    b.updates = updates;
    let msg = b.build(1).unwrap();
    apply(&zone(), &UpdateRequest::parse(&msg).unwrap())
}

fn changed(r: Result<Applied, Refusal>) -> (Zone, dns_zone::ZoneDiff) {
    match r {
        Ok(Applied::Changed { new, diff }) => (new, diff),
        other => panic!("expected a change, got {other:?}"),
    }
}

fn rcode_of(r: &Result<Applied, Refusal>) -> u16 {
    match r {
        Ok(_) => rcode::NOERROR,
        Err(e) => e.rcode(),
    }
}

fn rrset(z: &Zone, name: &str, t: T) -> Option<(u32, Vec<Vec<u8>>)> {
    z.node(&n(name))
        .and_then(|node| node.rrset(t))
        .map(|s| (s.ttl(), s.rdatas().map(|r| r.as_bytes().to_vec()).collect()))
}

/// §2.4 / §3.2.5: every prerequisite form, met and not met, with the
/// RCODE the pseudo-code returns.
#[test]
fn rfc2136_3_2_prerequisites() {
    let cases: Vec<(&str, Vec<P>, u16)> = vec![
        // §2.4.1 "RRset exists (value independent)": NXRRSET if not.
        (
            "yxrrset www A",
            vec![P::RrsetExists(n("www"), T::A)],
            rcode::NOERROR,
        ),
        (
            "yxrrset www MX",
            vec![P::RrsetExists(n("www"), T::MX)],
            rcode::NXRRSET,
        ),
        (
            "yxrrset nothing A",
            vec![P::RrsetExists(n("nothing"), T::A)],
            rcode::NXRRSET,
        ),
        // §2.4.2 "RRset exists (value dependent)": the whole set, TTL ignored.
        (
            "yxrrset www A both",
            vec![P::RrsetEquals(
                n("www"),
                T::A,
                vec![a("192.0.2.11"), a("192.0.2.10")],
            )],
            rcode::NOERROR,
        ),
        (
            "yxrrset www A one of two",
            vec![P::RrsetEquals(n("www"), T::A, vec![a("192.0.2.10")])],
            rcode::NXRRSET,
        ),
        (
            "yxrrset www A three",
            vec![P::RrsetEquals(
                n("www"),
                T::A,
                vec![a("192.0.2.10"), a("192.0.2.11"), a("192.0.2.12")],
            )],
            rcode::NXRRSET,
        ),
        (
            "yxrrset alias CNAME, other case",
            vec![P::RrsetEquals(
                n("alias"),
                T::CNAME,
                vec![name_rd(T::CNAME, "WWW")],
            )],
            rcode::NOERROR,
        ),
        // §2.4.3 "RRset does not exist": YXRRSET if it does.
        (
            "nxrrset www MX",
            vec![P::RrsetAbsent(n("www"), T::MX)],
            rcode::NOERROR,
        ),
        (
            "nxrrset www A",
            vec![P::RrsetAbsent(n("www"), T::A)],
            rcode::YXRRSET,
        ),
        // §2.4.4 "Name is in use" — "not satisfied by empty nonterminals".
        ("yxdomain www", vec![P::NameInUse(n("www"))], rcode::NOERROR),
        (
            "yxdomain nothing",
            vec![P::NameInUse(n("nothing"))],
            rcode::NXDOMAIN,
        ),
        (
            "yxdomain ent",
            vec![P::NameInUse(n("ent"))],
            rcode::NXDOMAIN,
        ),
        // §2.4.5 "Name is not in use".
        (
            "nxdomain nothing",
            vec![P::NameNotInUse(n("nothing"))],
            rcode::NOERROR,
        ),
        (
            "nxdomain ent",
            vec![P::NameNotInUse(n("ent"))],
            rcode::NOERROR,
        ),
        (
            "nxdomain www",
            vec![P::NameNotInUse(n("www"))],
            rcode::YXDOMAIN,
        ),
        // §3.2.5: "if (zone_of(rr.name) != ZNAME) return (NOTZONE)".
        (
            "outside",
            vec![P::NameInUse(n("www.example.org."))],
            rcode::NOTZONE,
        ),
        // In order: the first failing prerequisite decides.
        (
            "first fails",
            vec![P::NameInUse(n("nothing")), P::RrsetAbsent(n("www"), T::A)],
            rcode::NXDOMAIN,
        ),
        (
            "second fails",
            vec![P::NameInUse(n("www")), P::RrsetAbsent(n("www"), T::A)],
            rcode::YXRRSET,
        ),
    ];
    for (what, prereqs, want) in cases {
        // With an update that would change the zone: a failing
        // prerequisite must leave it unchanged (all or nothing).
        let r = run(prereqs, vec![U::Add(n("new"), 60, T::A, a("192.0.2.99"))]);
        assert_eq!(rcode_of(&r), want, "{what}: {r:?}");
        if want == rcode::NOERROR {
            let (z, _) = changed(r);
            assert!(z.node(&n("new")).is_some(), "{what}");
        }
    }
}

/// A raw UPDATE: zone section, then prerequisite and update records
/// given as (owner, type, class, ttl, rdata).
fn raw(
    zone_count: u16,
    ztype: u16,
    zclass: u16,
    prereqs: &[(&str, u16, u16, u32, &[u8])],
    updates: &[(&str, u16, u16, u32, &[u8])],
) -> Vec<u8> {
    let mut m = vec![0, 1, 0x28, 0];
    m.extend_from_slice(&zone_count.to_be_bytes());
    m.extend_from_slice(&(prereqs.len() as u16).to_be_bytes());
    m.extend_from_slice(&(updates.len() as u16).to_be_bytes());
    m.extend_from_slice(&[0, 0]);
    for _ in 0..zone_count {
        dns_zone::name::name_to_wire(&n("example.com."), &mut m);
        m.extend_from_slice(&ztype.to_be_bytes());
        m.extend_from_slice(&zclass.to_be_bytes());
    }
    for (owner, t, c, ttl, rd) in prereqs.iter().chain(updates) {
        dns_zone::name::name_to_wire(&n(owner), &mut m);
        m.extend_from_slice(&t.to_be_bytes());
        m.extend_from_slice(&c.to_be_bytes());
        m.extend_from_slice(&ttl.to_be_bytes());
        m.extend_from_slice(&(rd.len() as u16).to_be_bytes());
        m.extend_from_slice(rd);
    }
    m
}

fn raw_rcode(msg: &[u8]) -> u16 {
    match UpdateRequest::parse(msg) {
        Err(dns_update::RequestError::Refused(r)) => r.rcode(),
        Err(e) => panic!("{e:?}"),
        Ok(req) => rcode_of(&apply(&zone(), &req)),
    }
}

/// §3.1.1: "The Zone Section is checked to see that there is exactly one
/// RR therein and that the RR's ZTYPE is SOA, else signal FORMERR";
/// §3.1.2: a zone we do not serve (here: another class) is NOTAUTH.
/// §3.2.5 and §3.4.1.3: the malformed prerequisite and update forms.
#[test]
fn rfc2136_3_1_and_3_4_1_formerr_and_notzone() {
    let ip = [192, 0, 2, 1];
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("two zones", raw(2, 6, 1, &[], &[]), rcode::FORMERR),
        ("no zone", raw(0, 6, 1, &[], &[]), rcode::FORMERR),
        ("ztype A", raw(1, 1, 1, &[], &[]), rcode::FORMERR),
        ("zclass CH", raw(1, 6, 3, &[], &[]), rcode::NOTAUTH),
        (
            "prereq ttl",
            raw(1, 6, 1, &[("www", 1, 255, 1, &[])], &[]),
            rcode::FORMERR,
        ),
        (
            "prereq ANY with rdata",
            raw(1, 6, 1, &[("www", 1, 255, 0, &ip)], &[]),
            rcode::FORMERR,
        ),
        (
            "prereq NONE with rdata",
            raw(1, 6, 1, &[("www", 1, 254, 0, &ip)], &[]),
            rcode::FORMERR,
        ),
        (
            "prereq class CH",
            raw(1, 6, 1, &[("www", 1, 3, 0, &[])], &[]),
            rcode::FORMERR,
        ),
        (
            "prereq bad rdata",
            raw(1, 6, 1, &[("www", 1, 1, 0, &[1, 2])], &[]),
            rcode::FORMERR,
        ),
        (
            "prereq notzone",
            raw(1, 6, 1, &[("www.example.org.", 1, 255, 0, &[])], &[]),
            rcode::NOTZONE,
        ),
        (
            "update notzone",
            raw(1, 6, 1, &[], &[("a.example.org.", 1, 1, 60, &ip)]),
            rcode::NOTZONE,
        ),
        (
            "add type ANY",
            raw(1, 6, 1, &[], &[("www", 255, 1, 60, &[])]),
            rcode::FORMERR,
        ),
        (
            "add AXFR",
            raw(1, 6, 1, &[], &[("www", 252, 1, 60, &[])]),
            rcode::FORMERR,
        ),
        (
            "add bad rdata",
            raw(1, 6, 1, &[], &[("www", 1, 1, 60, &[1, 2, 3])]),
            rcode::FORMERR,
        ),
        (
            "delete rrset ttl",
            raw(1, 6, 1, &[], &[("www", 1, 255, 60, &[])]),
            rcode::FORMERR,
        ),
        (
            "delete rrset rdata",
            raw(1, 6, 1, &[], &[("www", 1, 255, 0, &ip)]),
            rcode::FORMERR,
        ),
        (
            "delete rrset MAILA",
            raw(1, 6, 1, &[], &[("www", 254, 255, 0, &[])]),
            rcode::FORMERR,
        ),
        (
            "delete rr ttl",
            raw(1, 6, 1, &[], &[("www", 1, 254, 60, &ip)]),
            rcode::FORMERR,
        ),
        (
            "delete rr ANY",
            raw(1, 6, 1, &[], &[("www", 255, 254, 0, &[])]),
            rcode::FORMERR,
        ),
        (
            "update class CH",
            raw(1, 6, 1, &[], &[("www", 1, 3, 60, &ip)]),
            rcode::FORMERR,
        ),
        // The prescan runs before any change: a valid first update does
        // not survive a bad second one.
        (
            "all or nothing",
            raw(
                1,
                6,
                1,
                &[],
                &[("new", 1, 1, 60, &ip), ("a.example.org.", 1, 1, 60, &ip)],
            ),
            rcode::NOTZONE,
        ),
        (
            "fine",
            raw(
                1,
                6,
                1,
                &[("www", 1, 255, 0, &[])],
                &[("new", 1, 1, 60, &ip)],
            ),
            rcode::NOERROR,
        ),
    ];
    for (what, msg, want) in cases {
        assert_eq!(raw_rcode(&msg), want, "{what}");
    }
}

/// §3.4.2.2 additions, §3.4.2.3 RRset/name deletions, §3.4.2.4 RR
/// deletions, and the serial.
#[test]
fn rfc2136_3_4_2_changes() {
    // Add to a new name: serial 1 → 2, one record added.
    let (z, d) = changed(run(
        vec![],
        vec![U::Add(n("new"), 60, T::A, a("192.0.2.99"))],
    ));
    assert_eq!(z.serial().0, 2);
    assert_eq!((d.from_serial().0, d.to_serial().0), (1, 2));
    assert_eq!((d.deleted.len(), d.added.len()), (0, 1));
    assert_eq!(d.added[0].owner, n("new"));
    assert_eq!(z.record_count(), zone().record_count() + 1);

    // A duplicate is a no-op: nothing changes, not even the serial.
    assert_eq!(
        run(vec![], vec![U::Add(n("www"), 300, T::A, a("192.0.2.10"))]),
        Ok(Applied::Unchanged)
    );
    assert_eq!(run(vec![], vec![]), Ok(Applied::Unchanged));

    // Another TTL: the RRset takes it as a whole (RFC 2181 §5.2).
    let (z, d) = changed(run(
        vec![],
        vec![U::Add(n("www"), 60, T::A, a("192.0.2.12"))],
    ));
    assert_eq!(rrset(&z, "www", T::A).unwrap().0, 60);
    assert_eq!(rrset(&z, "www", T::A).unwrap().1.len(), 3);
    assert_eq!((d.deleted.len(), d.added.len()), (2, 3));

    // Delete an RRset, a name, a record.
    let (z, _) = changed(run(vec![], vec![U::DeleteRrset(n("www"), T::A)]));
    assert!(rrset(&z, "www", T::A).is_none());
    assert!(rrset(&z, "www", T::TXT).is_some());
    let (z, d) = changed(run(vec![], vec![U::DeleteName(n("www"))]));
    assert!(z.node(&n("www")).is_none());
    assert_eq!(d.deleted.len(), 3);
    let (z, _) = changed(run(
        vec![],
        vec![U::DeleteRecord(n("www"), T::A, a("192.0.2.10"))],
    ));
    assert_eq!(rrset(&z, "www", T::A).unwrap().1, vec![vec![192, 0, 2, 11]]);
    // Deleting what is not there changes nothing.
    assert_eq!(
        run(
            vec![],
            vec![U::DeleteRecord(n("www"), T::A, a("192.0.2.99"))]
        ),
        Ok(Applied::Unchanged)
    );
    assert_eq!(
        run(vec![], vec![U::DeleteRrset(n("www"), T::MX)]),
        Ok(Applied::Unchanged)
    );
    assert_eq!(
        run(vec![], vec![U::DeleteName(n("nothing"))]),
        Ok(Applied::Unchanged)
    );

    // Changes that cancel out leave the zone and serial alone.
    assert_eq!(
        run(
            vec![],
            vec![
                U::Add(n("tmp"), 60, T::A, a("192.0.2.5")),
                U::DeleteName(n("tmp"))
            ]
        ),
        Ok(Applied::Unchanged)
    );
    // Updates apply in order: delete the set, then add to it.
    let (z, _) = changed(run(
        vec![],
        vec![
            U::DeleteRrset(n("www"), T::A),
            U::Add(n("www"), 300, T::A, a("192.0.2.77")),
        ],
    ));
    assert_eq!(rrset(&z, "www", T::A).unwrap().1, vec![vec![192, 0, 2, 77]]);
}

/// §3.4.2.3: "If the zone's apex ... the SOA and NS RRs [are] not
/// deleted" by delete-RRset or delete-name; §3.4.2.4: "SOA RRs ... are
/// never deleted" and the last apex NS stays.
#[test]
fn rfc2136_3_4_2_apex_soa_and_ns_stay() {
    let apex = || n("example.com.");
    // Delete all RRsets of the apex: only the TXT goes.
    let (z, d) = changed(run(vec![], vec![U::DeleteName(apex())]));
    assert_eq!(z.apex().rrsets().count(), 2, "SOA and NS");
    assert_eq!((d.deleted.len(), d.added.len()), (1, 0));
    assert_eq!(d.deleted[0].rtype, T::TXT);
    for u in [
        U::DeleteRrset(apex(), T::NS),
        U::DeleteRrset(apex(), T::SOA),
        U::DeleteRecord(apex(), T::SOA, soa(1)),
    ] {
        assert_eq!(
            run(vec![], vec![u.clone()]),
            Ok(Applied::Unchanged),
            "{u:?}"
        );
    }
    // NS records deleted one by one: the last one is kept.
    let (z, d) = changed(run(
        vec![],
        vec![
            U::DeleteRecord(apex(), T::NS, name_rd(T::NS, "ns")),
            U::DeleteRecord(apex(), T::NS, name_rd(T::NS, "ns2")),
        ],
    ));
    assert_eq!(z.apex_ns().len(), 1);
    assert_eq!(d.deleted.len(), 1);
    // Below the apex, the last NS of a delegation may go.
    let (z, _) = changed(run(
        vec![],
        vec![U::DeleteRecord(n("sub"), T::NS, name_rd(T::NS, "ns.sub"))],
    ));
    assert!(rrset(&z, "sub", T::NS).is_none());
}

/// §3.4.2.2: "a CNAME ... is ignored if the name has other data, and
/// other data is ignored if the name has a CNAME"; a new CNAME replaces
/// the old one.
#[test]
fn rfc2136_3_4_2_2_cname_rules() {
    assert_eq!(
        run(vec![], vec![U::Add(n("alias"), 60, T::A, a("192.0.2.1"))]),
        Ok(Applied::Unchanged)
    );
    assert_eq!(
        run(
            vec![],
            vec![U::Add(n("www"), 60, T::CNAME, name_rd(T::CNAME, "ns"))]
        ),
        Ok(Applied::Unchanged)
    );
    let (z, d) = changed(run(
        vec![],
        vec![U::Add(n("alias"), 300, T::CNAME, name_rd(T::CNAME, "ns"))],
    ));
    assert_eq!(rrset(&z, "alias", T::CNAME).unwrap().1.len(), 1);
    assert_eq!((d.deleted.len(), d.added.len()), (1, 1));
    // A CNAME at a new name is fine; data after it in the same update is not.
    let (z, _) = changed(run(
        vec![],
        vec![
            U::Add(n("c"), 60, T::CNAME, name_rd(T::CNAME, "www")),
            U::Add(n("c"), 60, T::TXT, txt("x")),
        ],
    ));
    assert!(rrset(&z, "c", T::TXT).is_none());
}

/// §3.4.2.2: "If the TYPE is SOA and there is no Zone SOA RR, or the new
/// SOA.SERIAL is lower (according to [RFC1982]) than or equal to the
/// current Zone SOA RR's SOA.SERIAL, the Update RR is ignored"; otherwise
/// it replaces the SOA, and the server does not add one to its serial.
#[test]
fn rfc2136_3_4_2_2_soa_replacement() {
    let apex = n("example.com.");
    assert_eq!(
        run(vec![], vec![U::Add(apex.clone(), 300, T::SOA, soa(1))]),
        Ok(Applied::Unchanged)
    );
    assert_eq!(
        run(vec![], vec![U::Add(apex.clone(), 300, T::SOA, soa(0))]),
        Ok(Applied::Unchanged)
    );
    // 2^31 + 1 is "lower" than 1 in RFC 1982 arithmetic.
    assert_eq!(
        run(
            vec![],
            vec![U::Add(apex.clone(), 300, T::SOA, soa((1 << 31) + 1))]
        ),
        Ok(Applied::Unchanged)
    );
    assert_eq!(
        run(vec![], vec![U::Add(n("www"), 300, T::SOA, soa(9))]),
        Ok(Applied::Unchanged),
        "not at the apex"
    );
    let (z, d) = changed(run(
        vec![],
        vec![U::Add(apex.clone(), 300, T::SOA, soa(2026))],
    ));
    assert_eq!(z.serial().0, 2026);
    assert!(d.is_empty());
    // Explicit serial with other changes: no extra increment.
    let (z, _) = changed(run(
        vec![],
        vec![
            U::Add(apex.clone(), 300, T::SOA, soa(50)),
            U::Add(n("new"), 60, T::A, a("192.0.2.9")),
        ],
    ));
    assert_eq!(z.serial().0, 50);
}

/// RFC 1982 addition when the serial wraps.
#[test]
fn serial_increment_wraps() {
    let text = ZONE.replace("hostmaster 1 ", "hostmaster 4294967295 ");
    let z = Zone::parse(text.as_bytes(), n("example.com.")).unwrap().0;
    let mut b = UpdateBuilder::new(n("example.com."));
    b.update(U::Add(n("new"), 60, T::A, a("192.0.2.1")));
    let req = UpdateRequest::parse(&b.build(1).unwrap()).unwrap();
    let Ok(Applied::Changed { new, .. }) = apply(&z, &req) else {
        panic!()
    };
    assert_eq!(new.serial().0, 0);
}

/// The result must load again (the zone loader's checks): an in-zone NS
/// target needs an address; a loader would reject the zone otherwise.
#[test]
fn changes_that_break_the_zone_are_refused() {
    let r = run(
        vec![],
        vec![U::Add(n("child"), 60, T::NS, name_rd(T::NS, "ns.child"))],
    );
    assert!(matches!(r, Err(Refusal::Invalid(_))), "{r:?}");
    assert_eq!(rcode_of(&r), rcode::REFUSED);
    let r = run(vec![], vec![U::DeleteName(n("ns2"))]);
    assert!(matches!(r, Err(Refusal::Invalid(_))), "{r:?}");
    // With its glue in the same update it is fine.
    let (z, _) = changed(run(
        vec![],
        vec![
            U::Add(n("child"), 60, T::NS, name_rd(T::NS, "ns.child")),
            U::Add(n("ns.child"), 60, T::A, a("192.0.2.60")),
        ],
    ));
    // And the printed zone parses back to the same zone.
    let again = Zone::parse(print_zone(&z).as_bytes(), n("example.com."))
        .unwrap()
        .0;
    assert_eq!(again, z);
}

/// The diff of an update turns the old zone into the new one.
#[test]
fn diff_applies_to_the_old_zone() {
    let (z, d) = changed(run(
        vec![P::RrsetExists(n("www"), T::TXT)],
        vec![
            U::DeleteRecord(n("www"), T::A, a("192.0.2.10")),
            U::Add(n("www"), 300, T::A, a("192.0.2.30")),
            U::Add(n("mail"), 300, T::MX, {
                let mut v = vec![0, 10];
                dns_zone::name::name_to_wire(&n("ns"), &mut v);
                Rdata::from_wire(T::MX, &v).unwrap()
            }),
            U::DeleteName(n("x.ent")),
        ],
    ));
    assert_eq!(zone().apply_diff(&d).unwrap(), z);
    assert_eq!(zone().diff(&z), d);
}
