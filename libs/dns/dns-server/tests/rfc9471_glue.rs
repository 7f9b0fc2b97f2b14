//! RFC 9471 §3: glue in referral responses. "If message size constraints
//! prevent the inclusion of all in-domain glue records over the chosen
//! transport, the server MUST set the TC (Truncated) flag"; sibling glue is
//! included when it fits, without TC when it does not. (Knot 3.2 does
//! this; found by tests/e2e/tests/differential_answers.rs.)

mod common;
use common::*;
use dns_server::Transport;
use dns_zone::RecordType as T;

/// A zone with `big` delegated to 13 in-domain servers (A and AAAA glue
/// each: more than fits in 512 octets) and `sib` delegated to 13 servers
/// that are glue of `big`, i.e. sibling glue for `sib`.
fn zone() -> String {
    let mut z = String::from(
        "$TTL 300\n@ SOA ns hostmaster 1 3600 900 604800 60\n  NS ns\nns A 192.0.2.1\n",
    );
    for i in 0..13 {
        z += &format!("big NS ns{i:02}.big\nns{i:02}.big A 192.0.2.{}\n", 200 + i);
        z += &format!("ns{i:02}.big AAAA 2001:db8::{:x}\n", 0x200 + i);
        z += &format!("sib NS ns{i:02}.big\n");
    }
    z
}

fn referral(name: &str, transport: Transport) -> Resp {
    let s = server(&[("example.", &zone())]);
    decode(
        s.handle(&query(name, T::A, None), transport)
            .expect("a response"),
    )
}

#[test]
fn in_domain_glue_that_does_not_fit_sets_tc() {
    let r = referral("www.big.example.", Transport::Udp);
    assert!(r.tc(), "TC=1 when in-domain glue is left out");
    assert!(!r.aa());
    assert_eq!(r.authority().len(), 13, "the NS RRset is whole");
    assert!(r.additional().len() < 26, "{:?}", r.additional());
    assert!(r.raw.len() <= 512);
    // Over TCP everything fits.
    let r = referral("www.big.example.", Transport::Tcp);
    assert!(!r.tc());
    assert_eq!((r.authority().len(), r.additional().len()), (13, 26));
}

#[test]
fn sibling_glue_that_does_not_fit_is_left_out_without_tc() {
    let r = referral("www.sib.example.", Transport::Udp);
    assert!(!r.tc(), "no TC for sibling glue");
    assert_eq!(r.authority().len(), 13);
    assert!(r.additional().len() < 26, "{:?}", r.additional());
    assert!(r.raw.len() <= 512);
}
