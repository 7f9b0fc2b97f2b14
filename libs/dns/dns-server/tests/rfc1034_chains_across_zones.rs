//! RFC 1034 §4.3.2 step 3.a: a CNAME's target in another zone we serve is
//! looked up there ("go back to step 1", which searches every zone), as NSD
//! and BIND answer; the answers below are NSD 4.6's for the same zones,
//! without the NS RRset NSD adds to positive answers.

mod common;
use common::*;
use dns_zone::RecordType as T;

const A: &str = "$TTL 300
@ SOA ns.a.test. h.a.test. 1 7200 3600 1209600 300
@ NS ns.a.test.
ns A 192.0.2.1
www CNAME www.b.test.
chain CNAME c1.b.test.
loop CNAME loop.b.test.
back A 192.0.2.7
tonx CNAME nx.b.test.
tonodata CNAME nodata.b.test.
toref CNAME x.sub.b.test.
away CNAME www.c.test.
old DNAME b.test.
";

const B: &str = "$TTL 300
@ SOA ns.b.test. h.b.test. 1 7200 3600 1209600 300
@ NS ns.b.test.
ns A 192.0.2.2
www A 192.0.2.3
c1 CNAME back.a.test.
loop CNAME loop.a.test.
nodata TXT \"x\"
sub NS ns.other.
";

const B_SOA: &str = "b.test. 300 IN SOA ns.b.test. h.b.test. 1 7200 3600 1209600 300";

#[test]
fn cname_chains_go_on_in_the_other_zones_we_serve() {
    let s = server(&[("a.test.", A), ("b.test.", B)]);
    let r = ask(&s, "www.a.test.", T::A);
    assert_eq!(
        (r.rcode(), r.aa(), r.answer(), r.authority().len()),
        (
            NOERROR,
            true,
            rrs(&[
                "www.a.test. 300 IN CNAME www.b.test.",
                "www.b.test. 300 IN A 192.0.2.3"
            ]),
            0
        )
    );
    // There and back again.
    let r = ask(&s, "chain.a.test.", T::A);
    assert_eq!(
        r.answer(),
        rrs(&[
            "chain.a.test. 300 IN CNAME c1.b.test.",
            "c1.b.test. 300 IN CNAME back.a.test.",
            "back.a.test. 300 IN A 192.0.2.7",
        ])
    );
    // A loop across zones ends when a name comes again.
    let r = ask(&s, "loop.a.test.", T::A);
    assert_eq!(
        (r.rcode(), r.answer()),
        (
            NOERROR,
            rrs(&[
                "loop.a.test. 300 IN CNAME loop.b.test.",
                "loop.b.test. 300 IN CNAME loop.a.test."
            ])
        )
    );
    // The last name's rcode and SOA (RFC 6604 §2.1).
    let r = ask(&s, "tonx.a.test.", T::A);
    assert_eq!(
        (r.rcode(), r.aa(), r.answer().len(), r.authority()),
        (NXDOMAIN, true, 1, rrs(&[B_SOA]))
    );
    let r = ask(&s, "tonodata.a.test.", T::A);
    assert_eq!(
        (r.rcode(), r.answer().len(), r.authority()),
        (NOERROR, 1, rrs(&[B_SOA]))
    );
    // Into a delegation of the other zone: the CNAME and the referral.
    let r = ask(&s, "toref.a.test.", T::A);
    assert_eq!(
        (r.aa(), r.answer().len(), r.authority()),
        (true, 1, rrs(&["sub.b.test. 300 IN NS ns.other."]))
    );
    // Not ours: the CNAME only.
    let r = ask(&s, "away.a.test.", T::A);
    assert_eq!(
        (r.rcode(), r.answer().len(), r.authority().len()),
        (NOERROR, 1, 0)
    );
    // QTYPE CNAME is not restarted.
    let r = ask(&s, "www.a.test.", T::CNAME);
    assert_eq!(r.answer().len(), 1);
    // A DNAME-synthesized CNAME too.
    let r = ask(&s, "www.old.a.test.", T::A);
    let answer = r.answer();
    assert_eq!(answer.len(), 3, "{answer:?}");
    assert!(answer.contains(&rrs(&["www.old.a.test. 300 IN CNAME www.b.test."])[0]));
    assert!(answer.contains(&rrs(&["www.b.test. 300 IN A 192.0.2.3"])[0]));
}

#[test]
fn an_expired_target_zone_is_not_followed() {
    let mut s = server(&[("a.test.", A), ("b.test.", B)]);
    s.catalog_mut()
        .set_expired(&"b.test.".parse().expect("name"), true);
    let r = ask(&s, "www.a.test.", T::A);
    assert_eq!((r.rcode(), r.answer().len()), (NOERROR, 1));
}
