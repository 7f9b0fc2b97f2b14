//! RFC 1034 §4.3.2 answers, RFC 2308 negative answers, RFC 6672 DNAME,
//! referrals (with DS at the cut, RFC 4035 §3.1.4.1), CNAME chains and
//! additional-section addresses.

mod common;
use common::*;
use dns_zone::RecordType as T;

const ZONE: &str = r#"$TTL 3600
@        SOA   ns1 hostmaster 2026112301 7200 3600 1209600 300
         NS    ns1
         NS    ns2.example.net.
         MX    10 mail
ns1      A     192.0.2.53
         AAAA  2001:db8::53
mail     A     192.0.2.25
_imap._tcp SRV 0 1 993 mail
www      CNAME web
web      CNAME host
host     A     192.0.2.80
loop1    CNAME loop2
loop2    CNAME loop1
out      CNAME www.example.net.
dangling CNAME nothing
a.b.c    A     192.0.2.9
child    NS    ns.child
         NS    ns.example.net.
         DS    12345 13 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF
ns.child A     192.0.2.100
nods     NS    ns.example.net.
old      DNAME new
new      NS    ns1.example.com.
www.new  A     192.0.2.81
ext      DNAME example.net.
short    60 SOA ns1 hostmaster 1 2 3 4 5
"#;

fn srv() -> dns_server::Server {
    // The SOA at "short" is not allowed; the test zone leaves it out.
    let zone = ZONE.replace("short    60 SOA ns1 hostmaster 1 2 3 4 5\n", "");
    let zone = zone.replace("new      NS    ns1.example.com.\n", "");
    server(&[("example.com.", &zone)])
}

const SOA: &str = "example.com. 300 in soa ns1.example.com. hostmaster.example.com. 2026112301 7200 3600 1209600 300";

#[test]
fn positive_answer_with_additional_addresses() {
    let s = srv();
    let r = ask(&s, "example.com.", T::MX);
    assert_eq!((r.rcode(), r.aa()), (NOERROR, true));
    assert_eq!(
        r.answer(),
        rrs(&["example.com. 3600 IN MX 10 mail.example.com."])
    );
    assert_eq!(r.authority(), Vec::<String>::new());
    assert_eq!(
        r.additional(),
        rrs(&["mail.example.com. 3600 IN A 192.0.2.25"])
    );
    let r = ask(&s, "example.com.", T::NS);
    assert_eq!(r.answer().len(), 2);
    assert_eq!(
        r.additional(),
        rrs(&[
            "ns1.example.com. 3600 IN A 192.0.2.53",
            "ns1.example.com. 3600 IN AAAA 2001:db8::53"
        ])
    );
    let r = ask(&s, "_imap._tcp.example.com.", T::SRV);
    assert_eq!(
        r.additional(),
        rrs(&["mail.example.com. 3600 IN A 192.0.2.25"])
    );
}

#[test]
fn rfc2308_negative_answers() {
    let s = srv();
    // NXDOMAIN: SOA in authority with TTL min(SOA TTL, MINIMUM) = 300.
    let r = ask(&s, "nope.example.com.", T::A);
    assert_eq!(
        (r.rcode(), r.aa(), r.answer().len(), r.authority()),
        (NXDOMAIN, true, 0, rrs(&[SOA]))
    );
    // NODATA.
    let r = ask(&s, "mail.example.com.", T::AAAA);
    assert_eq!(
        (r.rcode(), r.aa(), r.answer().len(), r.authority()),
        (NOERROR, true, 0, rrs(&[SOA]))
    );
    // An empty non-terminal is NODATA, not NXDOMAIN (RFC 8020).
    let r = ask(&s, "b.c.example.com.", T::A);
    assert_eq!((r.rcode(), r.authority()), (NOERROR, rrs(&[SOA])));
    // SOA TTL below MINIMUM: the SOA TTL wins.
    let z = "@ 60 SOA ns hostmaster 1 2 3 4 900\n@ 60 NS ns\nns 60 A 192.0.2.1\n";
    let s2 = server(&[("example.org.", z)]);
    let r = ask(&s2, "x.example.org.", T::A);
    assert_eq!(
        r.authority(),
        rrs(&["example.org. 60 IN SOA ns.example.org. hostmaster.example.org. 1 2 3 4 900"])
    );
}

#[test]
fn cname_chains_inside_the_zone() {
    let s = srv();
    let r = ask(&s, "www.example.com.", T::A);
    assert_eq!(
        r.answer(),
        rrs(&[
            "www.example.com. 3600 IN CNAME web.example.com.",
            "web.example.com. 3600 IN CNAME host.example.com.",
            "host.example.com. 3600 IN A 192.0.2.80",
        ])
    );
    // QTYPE CNAME: just the CNAME.
    let r = ask(&s, "www.example.com.", T::CNAME);
    assert_eq!(
        r.answer(),
        rrs(&["www.example.com. 3600 IN CNAME web.example.com."])
    );
    // A loop ends; both CNAMEs are given once.
    let r = ask(&s, "loop1.example.com.", T::A);
    assert_eq!((r.rcode(), r.answer().len()), (NOERROR, 2));
    // Out of zone: the CNAME only, NOERROR, authoritative.
    let r = ask(&s, "out.example.com.", T::A);
    assert_eq!(
        (r.rcode(), r.aa(), r.answer().len(), r.authority().len()),
        (NOERROR, true, 1, 0)
    );
    // A CNAME to a missing name: NXDOMAIN for the target (RFC 6604).
    let r = ask(&s, "dangling.example.com.", T::A);
    assert_eq!(
        (r.rcode(), r.answer().len(), r.authority()),
        (NXDOMAIN, 1, rrs(&[SOA]))
    );
}

#[test]
fn referrals_and_ds_at_the_cut() {
    let s = srv();
    let r = ask(&s, "host.child.example.com.", T::A);
    assert_eq!((r.rcode(), r.aa(), r.answer().len()), (NOERROR, false, 0));
    assert_eq!(
        r.authority(),
        rrs(&[
            "child.example.com. 3600 IN NS ns.child.example.com.",
            "child.example.com. 3600 IN NS ns.example.net."
        ])
    );
    assert_eq!(
        r.additional(),
        rrs(&["ns.child.example.com. 3600 IN A 192.0.2.100"])
    );
    // NS at the cut itself is a referral too.
    let r = ask(&s, "child.example.com.", T::NS);
    assert_eq!(
        (r.aa(), r.answer().len(), r.authority().len()),
        (false, 0, 2)
    );
    // DS is the parent's: answered authoritatively.
    let r = ask(&s, "child.example.com.", T::DS);
    assert_eq!((r.rcode(), r.aa(), r.answer().len()), (NOERROR, true, 1));
    // No DS at the cut: NODATA from the parent.
    let r = ask(&s, "nods.example.com.", T::DS);
    assert_eq!(
        (r.rcode(), r.aa(), r.answer().len(), r.authority()),
        (NOERROR, true, 0, rrs(&[SOA]))
    );
    // Glue is never an answer.
    let r = ask(&s, "ns.child.example.com.", T::A);
    assert!(!r.aa());
}

#[test]
fn rfc6672_dname() {
    let s = srv();
    // In-zone target: DNAME, synthesized CNAME (TTL of the DNAME), answer.
    // (hickory prints DNAME RDATA as opaque data; the DNAME is checked by
    // owner, TTL and type.)
    let r = ask(&s, "www.old.example.com.", T::A);
    let a = r.answer();
    assert_eq!(a.len(), 3);
    assert!(a[0].starts_with("old.example.com. 3600 in dname "), "{a:?}");
    assert_eq!(
        a[1..],
        rrs(&[
            "www.new.example.com. 3600 IN A 192.0.2.81",
            "www.old.example.com. 3600 IN CNAME www.new.example.com."
        ])
    );
    // Out-of-zone target: DNAME and CNAME only.
    let r = ask(&s, "a.b.ext.example.com.", T::A);
    let a = r.answer();
    assert_eq!(a.len(), 2);
    assert_eq!(
        a[0],
        rr("a.b.ext.example.com. 3600 IN CNAME a.b.example.net.")
    );
    assert!(a[1].starts_with("ext.example.com. 3600 in dname "));
    assert_eq!((r.rcode(), r.aa()), (NOERROR, true));
    // The DNAME owner itself is not redirected.
    let r = ask(&s, "old.example.com.", T::A);
    assert_eq!((r.rcode(), r.answer().len()), (NOERROR, 0));
    let r = ask(&s, "old.example.com.", T::DNAME);
    assert_eq!(r.answer().len(), 1);
    // Substitution that overflows 255 octets: YXDOMAIN (RFC 6672 §2.2).
    let long_target = format!(
        "{}.example.net.",
        ["x".repeat(63), "y".repeat(63), "z".repeat(60)].join(".")
    );
    let z =
        format!("$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nd DNAME {long_target}\n");
    let s2 = server(&[("example.org.", &z)]);
    let qname = format!("{}.{}.d.example.org.", "a".repeat(30), "b".repeat(30));
    let r = ask(&s2, &qname, T::A);
    assert_eq!((r.rcode(), r.answer().len()), (YXDOMAIN, 1));
}

#[test]
fn refused_outside_our_zones_and_longest_match() {
    let parent = "$TTL 60\n@ SOA ns h 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nsub NS ns.sub\nns.sub A 192.0.2.2\n";
    let child = "$TTL 60\n@ SOA ns h 7 2 3 4 5\n@ NS ns\nns A 192.0.2.2\nwww A 192.0.2.3\n";
    let s = server(&[("example.com.", parent), ("sub.example.com.", child)]);
    let r = ask(&s, "www.example.org.", T::A);
    assert_eq!(
        (r.rcode(), r.aa(), r.msg.queries.len()),
        (REFUSED, false, 1)
    );
    // The child zone answers for its names.
    let r = ask(&s, "www.sub.example.com.", T::A);
    assert_eq!((r.rcode(), r.aa(), r.answer().len()), (NOERROR, true, 1));
}

#[test]
fn rfc8482_any() {
    let s = srv();
    let udp = |name: &str| {
        decode(
            s.handle(
                &query(name, T::ANY, Some((1232, 0, false))),
                dns_server::Transport::Udp,
            )
            .unwrap(),
        )
    };
    // UDP: one RRset (the lowest type: NS at the apex).
    let r = udp("example.com.");
    assert_eq!(r.answer().len(), 2);
    assert!(r.answer().iter().all(|a| a.contains(" ns ")));
    // TCP: everything.
    let r = ask(&s, "example.com.", T::ANY);
    assert_eq!(r.answer().len(), 4);
    // ANY below a cut is a referral; at a missing name NXDOMAIN.
    assert_eq!(udp("nope.example.com.").rcode(), NXDOMAIN);
}

/// RFC 1035 §4.3.5: a secondary whose copy expired "must not" answer from
/// it; SERVFAIL until it is current again.
#[test]
fn expired_zone_answers_servfail_until_current_again() {
    let mut s = srv();
    let apex: dns_zone::Name = "example.com.".parse().unwrap();
    s.catalog_mut().set_expired(&apex, true);
    let r = ask(&s, "mail.example.com.", T::A);
    assert_eq!((r.rcode(), r.aa(), r.answer().len()), (2, false, 0));
    s.catalog_mut().set_expired(&apex, false);
    let r = ask(&s, "mail.example.com.", T::A);
    assert_eq!((r.rcode(), r.aa()), (NOERROR, true));
}

/// A zone that is configured but has no data yet (a secondary before its
/// first transfer, a primary whose file never loaded) answers SERVFAIL,
/// as BIND, Knot and NSD do, not REFUSED; names of other zones stay
/// REFUSED, and a loaded zone below an unloaded one still answers.
#[test]
fn unloaded_zone_answers_servfail_until_it_loads() {
    let mut s = srv();
    let apex: dns_zone::Name = "example.org.".parse().unwrap();
    assert_eq!(ask(&s, "www.example.org.", T::A).rcode(), 5, "REFUSED");
    s.catalog_mut().set_unloaded(&apex, true);
    let r = ask(&s, "www.example.org.", T::A);
    assert_eq!((r.rcode(), r.aa(), r.answer().len()), (2, false, 0));
    assert_eq!(ask(&s, "example.org.", T::SOA).rcode(), 2);
    assert_eq!(ask(&s, "example.net.", T::SOA).rcode(), 5, "not configured");
    assert_eq!(ask(&s, "mail.example.com.", T::A).rcode(), NOERROR);
    // A zone with data is never marked unloaded.
    let served: dns_zone::Name = "example.com.".parse().unwrap();
    s.catalog_mut().set_unloaded(&served, true);
    assert_eq!(ask(&s, "mail.example.com.", T::A).rcode(), NOERROR);
    // The unloaded parent of a loaded zone does not hide it.
    let root_unloaded: dns_zone::Name = "com.".parse().unwrap();
    s.catalog_mut().set_unloaded(&root_unloaded, true);
    assert_eq!(ask(&s, "mail.example.com.", T::A).rcode(), NOERROR);
    assert_eq!(ask(&s, "other.com.", T::A).rcode(), 2);
    s.catalog_mut().set_unloaded(&apex, false);
    assert_eq!(ask(&s, "www.example.org.", T::A).rcode(), 5);
}
