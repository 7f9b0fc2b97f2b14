//! RFC 4592 §2.2.1: the example zone and its example queries.

mod common;
use common::*;
use dns_zone::RecordType as T;

const ZONE: &str = r#"$ORIGIN example.
example.                 3600 IN  SOA   ns.example.com. hostmaster.example. 1 3600 600 86400 300
example.                 3600     NS    ns.example.com.
example.                 3600     NS    ns.example.net.
*.example.               3600     TXT   "this is a wildcard"
*.example.               3600     MX    10 host1.example.
sub.*.example.           3600     TXT   "this is not a wildcard"
host1.example.           3600     A     192.0.2.1
_ssh._tcp.host1.example. 3600     SRV   0 0 22 host1.example.
_ssh._tcp.host2.example. 3600     SRV   0 0 22 host2.example.
subdel.example.          3600     NS    ns.example.com.
subdel.example.          3600     NS    ns.example.net.
"#;

const SOA: &str = "example. 300 in soa ns.example.com. hostmaster.example. 1 3600 600 86400 300";

#[test]
fn synthesized_from_the_wildcard() {
    let s = server(&[("example.", ZONE)]);
    // "QNAME=host3.example. QTYPE=MX … the answer will be a host3.example. IN MX"
    let r = ask(&s, "host3.example.", T::MX);
    assert_eq!((r.rcode(), r.aa()), (NOERROR, true));
    assert_eq!(
        r.answer(),
        rrs(&["host3.example. 3600 IN MX 10 host1.example."])
    );
    assert_eq!(r.additional(), rrs(&["host1.example. 3600 IN A 192.0.2.1"]));
    // "QNAME=host3.example. QTYPE=A … no error, but no data"
    let r = ask(&s, "host3.example.", T::A);
    assert_eq!((r.rcode(), r.answer().len()), (NOERROR, 0));
    assert_eq!(r.authority(), rrs(&[SOA]));
    // "QNAME=foo.bar.example. QTYPE=TXT … foo.bar.example. IN TXT"
    let r = ask(&s, "foo.bar.example.", T::TXT);
    assert_eq!(
        r.answer(),
        rrs(&["foo.bar.example. 3600 IN TXT this is a wildcard"])
    );
}

#[test]
fn not_synthesized() {
    let s = server(&[("example.", ZONE)]);
    // "host1.example. exists": NODATA.
    let r = ask(&s, "host1.example.", T::MX);
    assert_eq!(
        (r.rcode(), r.answer().len(), r.authority()),
        (NOERROR, 0, rrs(&[SOA]))
    );
    // "sub.*.example. exists": NODATA.
    let r = ask(&s, "sub.*.example.", T::MX);
    assert_eq!((r.rcode(), r.answer().len()), (NOERROR, 0));
    // "_tcp.host1.example. exists (without data)": the empty non-terminal is
    // the closest encloser, and *._tcp.host1.example. does not exist.
    let r = ask(&s, "_telnet._tcp.host1.example.", T::SRV);
    assert_eq!((r.rcode(), r.authority()), (NXDOMAIN, rrs(&[SOA])));
    // "subdel.example. exists (and is a zone cut)": a referral.
    let r = ask(&s, "host.subdel.example.", T::A);
    assert_eq!((r.rcode(), r.aa(), r.answer().len()), (NOERROR, false, 0));
    assert_eq!(
        r.authority(),
        rrs(&[
            "subdel.example. 3600 IN NS ns.example.com.",
            "subdel.example. 3600 IN NS ns.example.net."
        ])
    );
    // "*.example. exists": ghost.*.example. is NXDOMAIN.
    let r = ask(&s, "ghost.*.example.", T::MX);
    assert_eq!(r.rcode(), NXDOMAIN);
}

#[test]
fn empty_non_terminals_block_the_wildcard() {
    let s = server(&[("example.", ZONE)]);
    // _tcp.host1.example. is an empty non-terminal: NODATA, not the wildcard.
    let r = ask(&s, "_tcp.host1.example.", T::TXT);
    assert_eq!(
        (r.rcode(), r.answer().len(), r.authority()),
        (NOERROR, 0, rrs(&[SOA]))
    );
    // host2.example. is an ENT too (only _ssh._tcp.host2 exists).
    let r = ask(&s, "host2.example.", T::MX);
    assert_eq!((r.rcode(), r.answer().len()), (NOERROR, 0));
}

#[test]
fn wildcard_owner_takes_the_question_case() {
    let s = server(&[("example.", ZONE)]);
    let q = query("HoSt3.example.", T::TXT, None);
    let raw = s.handle(&q, dns_server::Transport::Udp).unwrap();
    let r = decode(raw);
    assert_eq!(
        r.msg.answers[0].name.to_string(),
        "HoSt3.example.",
        "{:?}",
        r.raw
    );
    assert_eq!(r.msg.queries[0].name().to_string(), "HoSt3.example.");
}

#[test]
fn wildcard_cname_is_followed() {
    let zone = "$TTL 300\n@ SOA ns host 1 2 3 4 60\n NS ns\nns A 192.0.2.53\n*.w CNAME target\ntarget A 192.0.2.7\n";
    let s = server(&[("example.com.", zone)]);
    let r = ask(&s, "x.w.example.com.", T::A);
    assert_eq!(
        r.answer(),
        rrs(&[
            "x.w.example.com. 300 IN CNAME target.example.com.",
            "target.example.com. 300 IN A 192.0.2.7"
        ])
    );
}
