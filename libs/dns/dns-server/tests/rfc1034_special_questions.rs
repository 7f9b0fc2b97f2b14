//! Questions RFC 1034 treats specially, found by the differential tests
//! against NSD and Knot (tests/e2e/tests/differential_answers.rs):
//! QCLASS ANY, and QTYPE CNAME for a name below a DNAME.

mod common;
use common::*;
use dns_server::Transport;
use dns_zone::RecordType as T;

const ZONE: &str = "$TTL 3600
@        SOA   ns hostmaster 1 3600 900 604800 300
         NS    ns
ns       A     192.0.2.53
www      A     192.0.2.80
old      DNAME new
x.new    A     192.0.2.81
";

fn ask_class(s: &dns_server::Server, name: &str, qtype: T, qclass: u16) -> Resp {
    let mut q = query(name, qtype, None);
    let n = q.len();
    q[n - 2..].copy_from_slice(&qclass.to_be_bytes());
    decode(s.handle(&q, Transport::Udp).expect("a response"))
}

/// RFC 1034 §6.2: "When processing queries with QCLASS=*, or some other
/// QCLASS which matches multiple classes, the response should never be
/// authoritative unless the server can guarantee that the response covers
/// all classes." No AA, and no SOA for negative caching (as NSD does).
#[test]
fn qclass_any_is_answered_without_aa() {
    let s = server(&[("example.com.", ZONE)]);
    let r = ask_class(&s, "www.example.com.", T::A, 255);
    assert_eq!((r.rcode(), r.aa(), r.answer().len()), (NOERROR, false, 1));
    let r = ask_class(&s, "nx.example.com.", T::A, 255);
    assert_eq!((r.rcode(), r.aa()), (NXDOMAIN, false));
    assert!(r.authority().is_empty(), "{:?}", r.authority());
    let r = ask_class(&s, "www.example.com.", T::MX, 255);
    assert_eq!((r.rcode(), r.aa(), r.answer().len()), (NOERROR, false, 0));
    assert!(r.authority().is_empty(), "{:?}", r.authority());
    // Class IN is authoritative, with the SOA.
    let r = ask_class(&s, "nx.example.com.", T::A, 1);
    assert_eq!(
        (r.rcode(), r.aa(), r.authority().len()),
        (NXDOMAIN, true, 1)
    );
}

/// RFC 1034 §3.6.2: "queries which match the CNAME type are not
/// restarted" — that holds for the CNAME a DNAME synthesizes (RFC 6672
/// §3.3) too: the answer is the DNAME and the synthesized CNAME.
#[test]
fn qtype_cname_below_a_dname_is_not_restarted() {
    let s = server(&[("example.com.", ZONE)]);
    let r = ask(&s, "x.old.example.com.", T::CNAME);
    assert_eq!((r.rcode(), r.aa()), (NOERROR, true));
    // (hickory prints DNAME RDATA in base64: check the owner and type.)
    let answer = r.answer();
    assert_eq!(answer.len(), 2, "{answer:?}");
    assert!(
        answer[0].starts_with("old.example.com. 3600 in dname "),
        "{answer:?}"
    );
    assert_eq!(
        answer[1],
        rr("x.old.example.com. 3600 IN CNAME x.new.example.com.")
    );
    assert!(r.authority().is_empty(), "{:?}", r.authority());
}
