//! RFC 4035 §3.1 rules for authoritative servers that apply to unsigned
//! zones too, found by the differential tests against NSD and Knot
//! (tests/e2e/tests/differential_answers.rs).

mod common;
use common::*;
use dns_server::Transport;
use dns_zone::RecordType as T;

const PARENT: &str = "$TTL 3600
@        SOA   ns hostmaster 7 3600 900 604800 600
         NS    ns
ns       A     192.0.2.1
child    NS    ns.child
         DS    60485 8 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A
ns.child A     192.0.2.17
";

const CHILD: &str = "$TTL 1800
@        SOA   ns hostmaster 3 3600 900 604800 60
         NS    ns
ns       A     192.0.2.17
";

/// §3.1.4.1: "the DS RRset ... is authoritative data in the parent zone":
/// a server that serves both parent and child answers DS at the child's
/// apex from the parent.
#[test]
fn ds_at_a_child_apex_comes_from_the_parent() {
    let s = server(&[("deleg.test.", PARENT), ("child.deleg.test.", CHILD)]);
    let r = ask(&s, "child.deleg.test.", T::DS);
    assert_eq!((r.rcode(), r.aa()), (NOERROR, true));
    // (hickory prints the digest oddly: compare the start of the record.)
    assert_eq!(r.answer().len(), 1, "{:?}", r.answer());
    assert!(
        r.answer()[0].starts_with("child.deleg.test. 3600 in ds "),
        "{:?}",
        r.answer()
    );
    assert!(r.authority().is_empty());
    // Everything else at the child's apex comes from the child.
    let r = ask(&s, "child.deleg.test.", T::SOA);
    assert_eq!(r.answer().len(), 1);
    assert!(
        r.answer()[0].contains(" 3 3600 900 604800 60"),
        "{:?}",
        r.answer()
    );
    // Without the parent, the child answers NODATA for its own DS.
    let s = server(&[("child.deleg.test.", CHILD)]);
    let r = ask(&s, "child.deleg.test.", T::DS);
    assert_eq!((r.rcode(), r.aa(), r.answer().len()), (NOERROR, true, 0));
    assert_eq!(r.authority().len(), 1);
}

/// §3.1.6: "A security-aware name server SHOULD clear the CD bit when
/// composing an authoritative response." (RD is still copied.)
#[test]
fn cd_is_not_copied_into_responses() {
    let s = server(&[("deleg.test.", PARENT)]);
    for (name, rcode) in [
        ("ns.deleg.test.", NOERROR),
        ("nx.deleg.test.", NXDOMAIN),
        ("example.net.", REFUSED),
    ] {
        let mut q = query(name, T::A, Some((1232, 0, true)));
        q[2] |= 0x01; // RD
        q[3] |= 0x10; // CD
        let r = decode(s.handle(&q, Transport::Udp).expect("a response"));
        assert_eq!(r.rcode(), rcode, "{name}");
        assert!(!r.msg.metadata.checking_disabled, "{name}: CD copied");
        assert!(r.msg.metadata.recursion_desired, "{name}: RD not copied");
    }
}
