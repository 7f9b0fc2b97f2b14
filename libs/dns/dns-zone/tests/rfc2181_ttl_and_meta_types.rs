//! What BIND, NSD and Knot refuse to load is refused here too: meta and
//! reserved types (RFC 6895 §3.1) in a master file are an error at their
//! line, and a TTL with the top bit set counts as 0 (RFC 2181 §8), as BIND
//! loads it.

use dns_zone::{Name, RecordType, Zone};

const HEAD: &str =
    "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n NS ns\nns A 192.0.2.1\n";

fn origin() -> Name {
    Name::parse("example.com.", None).unwrap()
}

#[test]
fn meta_and_reserved_types_are_refused_at_their_line() {
    for t in [
        "TYPE0",
        "OPT",
        "TYPE128",
        "TKEY",
        "TSIG",
        "IXFR",
        "AXFR",
        "TYPE253",
        "ANY",
        "TYPE65535",
    ] {
        let text = format!("{HEAD}m {t} \\# 0\n");
        let errors = Zone::parse(text.as_bytes(), origin()).expect_err(t).errors;
        assert_eq!(errors.len(), 1, "{t}: {errors:?}");
        assert_eq!(errors[0].line, 5, "{t}");
        assert!(
            errors[0].message.contains("not a meta-type"),
            "{t}: {}",
            errors[0].message
        );
    }
    for t in [1u16, 127, 256, 65534] {
        assert!(!dns_zone::is_meta_type(RecordType::from(t)), "{t}");
    }
}

#[test]
fn rfc2181_8_ttl_with_the_top_bit_set_counts_as_zero() {
    let text = format!("{HEAD}big 2147483653 A 192.0.2.2\nmax 2147483647 A 192.0.2.3\n");
    let (zone, warnings) = Zone::parse(text.as_bytes(), origin()).unwrap();
    let ttl = |owner: &str| {
        zone.node(&Name::parse(owner, None).unwrap())
            .and_then(|n| n.rrset(RecordType::A))
            .map(|s| s.ttl())
    };
    assert_eq!(ttl("big.example.com."), Some(0));
    assert_eq!(ttl("max.example.com."), Some(dns_zone::MAX_TTL));
    assert!(
        warnings
            .iter()
            .any(|w| w.line == 5 && w.message.contains("2147483653")),
        "{warnings:?}"
    );
}
