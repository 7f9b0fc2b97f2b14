//! RFC 9460 §4.2: "When replying to an SVCB query, authoritative DNS
//! servers SHOULD return A, AAAA, and SVCB records in the Additional
//! section for any TargetName that is in a zone for which they are
//! authoritative." We add the addresses, as Knot does (found by
//! tests/e2e/tests/differential_answers.rs); a TargetName of "." adds
//! nothing.

mod common;
use common::*;
use dns_zone::RecordType as T;

const ZONE: &str = "$TTL 3600
@        SOA   ns hostmaster 1 3600 900 604800 300
         NS    ns
         HTTPS 1 . alpn=h2
         A     192.0.2.1
ns       A     192.0.2.53
svc      SVCB  1 svc-backend port=8443
www      HTTPS 0 svc-backend
svc-backend A  192.0.2.101
         AAAA  2001:db8::101
";

#[test]
fn svcb_and_https_targets_get_their_addresses() {
    let s = server(&[("example.org.", ZONE)]);
    let want = rrs(&[
        "svc-backend.example.org. 3600 IN A 192.0.2.101",
        "svc-backend.example.org. 3600 IN AAAA 2001:db8::101",
    ]);
    assert_eq!(ask(&s, "svc.example.org.", T::SVCB).additional(), want);
    assert_eq!(ask(&s, "www.example.org.", T::HTTPS).additional(), want);
    let r = ask(&s, "example.org.", T::HTTPS);
    assert_eq!(r.answer().len(), 1);
    assert!(r.additional().is_empty(), "{:?}", r.additional());
}
