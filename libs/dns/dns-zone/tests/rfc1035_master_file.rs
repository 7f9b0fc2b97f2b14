//! Master-file syntax (RFC 1035 §5, RFC 2308 §4, RFC 3597 §5) and the
//! presentation formats of every supported type, each checked against its
//! wire form and printed back.

use dns_zone::{print_zone, Name, ParseErrorKind, RecordType, Zone, ZoneParser};

fn origin() -> Name {
    "example.com.".parse().unwrap()
}

fn parse_one(line: &str) -> (RecordType, Vec<u8>, String) {
    let text = format!("$TTL 300\n{line}\n");
    let mut p = ZoneParser::new(text.as_bytes(), origin());
    let e = p
        .next()
        .expect("one record")
        .unwrap_or_else(|e| panic!("{line}: {e}"));
    assert!(p.next().is_none(), "{line}: more than one record");
    let printed = e.rdata.to_text(e.rtype);
    (e.rtype, e.rdata.as_bytes().to_vec(), printed)
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// (record line, expected wire RDATA in hex, expected printed RDATA).
const TYPES: &[(&str, &str, &str)] = &[
    ("@ A 192.0.2.1", "c0000201", "192.0.2.1"),
    ("@ AAAA 2001:db8::1", "20010db8000000000000000000000001", "2001:db8::1"),
    ("@ NS ns1", "036e7331076578616d706c6503636f6d00", "ns1.example.com."),
    ("@ CNAME a.example.", "0161076578616d706c6500", "a.example."),
    ("@ DNAME b.example.", "0162076578616d706c6500", "b.example."),
    ("@ PTR a.example.", "0161076578616d706c6500", "a.example."),
    ("@ MX 10 mail.example.", "000a046d61696c076578616d706c6500", "10 mail.example."),
    (
        "@ SOA ns.example. host.example. ( 2026112301 1h 15m 1w 300 )",
        "026e73076578616d706c6500 04686f7374076578616d706c6500 78c4052d 00000e10 00000384 00093a80 0000012c",
        "ns.example. host.example. 2026112301 3600 900 604800 300",
    ),
    ("@ TXT \"v=spf1 -all\" plain", "0b763d73706631202d616c6c05706c61696e", "\"v=spf1 -all\" \"plain\""),
    ("@ SPF \"v=spf1 -all\"", "0b763d73706631202d616c6c", "\"v=spf1 -all\""),
    ("@ TXT \"a\\\"b\\\\c\\010\"", "06612262 5c630a", "\"a\\\"b\\\\c\\010\""),
    ("@ HINFO \"PC\" Linux", "0250430 54c696e7578", "\"PC\" \"Linux\""),
    ("_sip._tcp SRV 10 60 5060 sip.example.", "000a003c13c4037369 70076578616d706c6500", "10 60 5060 sip.example."),
    (
        "@ NAPTR 100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.",
        "0064000a 0153 075349502b443255 00 045f736970045f756470076578616d706c6500",
        "100 10 \"S\" \"SIP+D2U\" \"\" _sip._udp.example.",
    ),
    ("@ CAA 0 issue \"letsencrypt.org\"", "0005 6973737565 6c657473656e63727970742e6f7267", "0 issue \"letsencrypt.org\""),
    ("@ CAA 128 tbs \"\"", "8003746273", "128 tbs \"\""),
    ("@ SSHFP 4 2 ( 0123456789abcdef 0123456789abcdef 0123456789abcdef 0123456789abcdef )", "0402 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", "4 2 0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF"),
    ("_443._tcp TLSA 3 1 1 ABCDEF", "030101abcdef", "3 1 1 ABCDEF"),
    ("x._smimecert SMIMEA 3 0 0 0102", "0300000102", "3 0 0 0102"),
    ("@ OPENPGPKEY AQID BA==", "01020304", "AQIDBA=="),
    ("@ DS 60485 RSASHA256 2 ( D4B7D520E7BB5F0F 67674A0CCEB1E3E0 614B93C4F9E99B83 83F6A1E4469DA50A )", "ec4508 02 d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a", "60485 8 2 D4B7D520E7BB5F0F67674A0CCEB1E3E0614B93C4F9E99B8383F6A1E4469DA50A"),
    ("@ DNSKEY 257 3 ED25519 AQID", "0101030f010203", "257 3 15 AQID"),
    ("@ CDS 1 13 99 00ff", "0001 0d 63 00ff", "1 13 99 00FF"),
    ("@ CERT PKIX 0 0 AQID", "0001 0000 00 010203", "PKIX 0 0 AQID"),
    ("@ CERT 65 12 8 AQID", "0041 000c 08 010203", "65 12 8 AQID"),
    ("@ IPSECKEY 10 1 2 192.0.2.38 AQID", "0a 01 02 c0000226 010203", "10 1 2 192.0.2.38 AQID"),
    ("@ IPSECKEY 10 0 2 . AQID", "0a 00 02 010203", "10 0 2 . AQID"),
    ("@ IPSECKEY 10 3 2 gw.example. AQID", "0a 03 02 026777076578616d706c6500 010203", "10 3 2 gw.example. AQID"),
    ("@ IPSECKEY 10 2 0 2001:db8::1", "0a 02 00 20010db8000000000000000000000001", "10 2 0 2001:db8::1"),
    ("@ RP mbox.example. txt.example.", "046d626f78076578616d706c6500 03747874076578616d706c6500", "mbox.example. txt.example."),
    ("@ URI 10 1 \"https://example.com/\"", "000a0001 68747470733a2f2f6578616d706c652e636f6d2f", "10 1 \"https://example.com/\""),
    ("@ TYPE65280 \\# 3 abcdef", "abcdef", "\\# 3 ABCDEF"),
    ("@ TYPE65280 \\# 0", "", "\\# 0"),
    ("@ TYPE1 \\# 4 C0000201", "c0000201", "192.0.2.1"),
    ("@ a \\# 4 C0 00 02 01", "c0000201", "192.0.2.1"),
    // RFC 9460 Appendix D test vectors.
    ("@ SVCB 0 foo.example.com.", "0000 03666f6f076578616d706c6503636f6d00", "0 foo.example.com."),
    ("@ SVCB 1 .", "0001 00", "1 ."),
    ("@ SVCB 16 foo.example.com. port=53", "0010 03666f6f076578616d706c6503636f6d00 0003 0002 0035", "16 foo.example.com. port=53"),
    (
        "@ SVCB 1 foo.example.com. key667=hello",
        "0001 03666f6f076578616d706c6503636f6d00 029b 0005 68656c6c6f",
        "1 foo.example.com. key667=\"hello\"",
    ),
    (
        "@ SVCB 1 foo.example.com. key667=\"hello\\210qoo\"",
        "0001 03666f6f076578616d706c6503636f6d00 029b 0009 68656c6c6fd271 6f6f",
        "1 foo.example.com. key667=\"hello\\210qoo\"",
    ),
    (
        "@ SVCB 1 foo.example.com. ipv6hint=\"2001:db8::1,2001:db8::53:1\"",
        "0001 03666f6f076578616d706c6503636f6d00 0006 0020 20010db8000000000000000000000001 20010db8000000000000000000530001",
        "1 foo.example.com. ipv6hint=2001:db8::1,2001:db8::53:1",
    ),
    (
        "@ SVCB 16 foo.example.org. alpn=h2,h3-19 mandatory=ipv4hint,alpn ipv4hint=192.0.2.1",
        "0010 03666f6f076578616d706c65036f726700 0000 0004 00010004 0001 0009 02683205 68332d3139 0004 0004 c0000201",
        "16 foo.example.org. mandatory=alpn,ipv4hint alpn=\"h2,h3-19\" ipv4hint=192.0.2.1",
    ),
    (
        "@ SVCB 16 foo.example.org. alpn=\"f\\\\\\\\oo\\\\,bar,h2\"",
        "0010 03666f6f076578616d706c65036f726700 0001 000c 08 665c6f6f2c626172 02 6832",
        "16 foo.example.org. alpn=\"f\\\\\\\\oo\\\\,bar,h2\"",
    ),
    (
        "@ HTTPS 1 . alpn=h3 no-default-alpn ech=AQID key65535",
        "0001 00 0001 0003 026833 0002 0000 0005 0003 010203 ffff 0000",
        "1 . alpn=\"h3\" no-default-alpn ech=\"AQID\" key65535",
    ),
];

#[test]
fn presentation_formats_to_wire_and_back() {
    for &(line, wire, printed) in TYPES {
        let (rtype, got, text) = parse_one(line);
        assert_eq!(got, hex(wire), "{line}: wire form");
        assert_eq!(text, printed, "{line}: printed form");
        // The printed form parses back to the same wire form.
        let mnemonic = dns_zone::type_mnemonic(rtype);
        let (_, again, _) = parse_one(&format!("@ {mnemonic} {text}"));
        assert_eq!(again, got, "{line}: reparse of {text}");
    }
}

/// (zone text, expected error "line:column: message").
const ERRORS: &[(&str, &str)] = &[
    (
        "@ 3600 IM A 192.0.2.1",
        "2:8: expected a class or a type, found \"IM\"",
    ),
    (
        "@ IM A 192.0.2.1",
        "2:3: expected a TTL or a class or a type, found \"IM\"",
    ),
    (
        "@ A 192.0.2",
        "2:5: expected an IPv4 address, found \"192.0.2\"",
    ),
    ("@ A", "2:4: expected an IPv4 address, found end of line"),
    (
        "@ A 192.0.2.1 extra",
        "2:15: expected end of line, found \"extra\"",
    ),
    (
        "@ MX 65536 mx",
        "2:6: expected a number from 0 to 65535, found \"65536\"",
    ),
    ("@ TXT \"open", "2:7: unterminated quoted string"),
    ("@ SOA ( ns host 1 2 3 4 5", "2:7: unbalanced parenthesis"),
    ("@ A 192.0.2.1 )", "2:15: unbalanced parenthesis"),
    (
        "$INCLUDE other.zone",
        "2:10: $INCLUDE other.zone: there is no file tree to include from here",
    ),
    (
        "$FOO bar",
        "2:1: expected $ORIGIN, $TTL, $INCLUDE or $GENERATE, found \"$FOO\"",
    ),
    (
        "a..b A 192.0.2.1",
        "2:1: empty label in domain name, found \"a..b\"",
    ),
    (
        "@ CH A 192.0.2.1",
        "2:3: expected the zone's class IN, found \"CH\"",
    ),
    (
        "@ TYPE65280 abcd",
        "2:13: expected RFC 3597 generic RDATA (\\# length hex) for this type, found \"abcd\"",
    ),
    (
        "@ TYPE65280 \\# 2 abcdef",
        "2:18: expected as many hex octets as the \\# length says, found \"abcdef\"",
    ),
    ("@ A \\# 3 c00002", "2:5: RDATA ends inside a field"),
    (
        "@ SSHFP 1 1 xyz",
        "2:13: expected hexadecimal data, found \"xyz\"",
    ),
    (
        "@ CAA 0 is-sue \"x\"",
        "2:9: expected a CAA tag (letters and digits), found \"is-sue\"",
    ),
    (
        "@ SVCB 1 . port=1 port=2",
        "2:19: expected each SvcParamKey at most once, found \"port=2\"",
    ),
    (
        "@ SVCB 1 . mandatory=port",
        "2:12: bad RDATA value: a key listed in mandatory is missing",
    ),
    (
        "@ AXFR 1",
        "2:3: expected a type that can appear in a zone (not a meta-type), found \"AXFR\"",
    ),
];

#[test]
fn errors_say_line_column_token_and_expectation() {
    for &(line, want) in ERRORS {
        let text = format!("$TTL 300\n{line}\n");
        let errs: Vec<_> = ZoneParser::new(text.as_bytes(), origin())
            .filter_map(Result::err)
            .collect();
        assert!(!errs.is_empty(), "{line}: no error");
        assert_eq!(errs[0].to_string(), want, "{line}");
        assert_eq!(
            format!("{}", errs[0].display_in("example.com")),
            format!("example.com:{want}")
        );
    }
}

#[test]
fn error_recovery_reports_every_bad_line() {
    let text = "$TTL 300\na A 1\nb A 192.0.2.1\nc IM A 192.0.2.1\n";
    let results: Vec<_> = ZoneParser::new(text.as_bytes(), origin()).collect();
    assert_eq!(results.len(), 3);
    assert!(results[0].is_err() && results[1].is_ok() && results[2].is_err());
    assert!(matches!(
        results[2].as_ref().unwrap_err().kind,
        ParseErrorKind::Expected { .. }
    ));
}

#[test]
fn inheritance_origin_ttl_and_escapes() {
    let text = br#"
$ORIGIN example.com.
$TTL 1h
@       IN  SOA ns hostmaster (
                2026112301 ; serial
                7200 3600 1209600 300 )
        NS  ns
ns      A   192.0.2.53
        600 AAAA 2001:db8::53
$ORIGIN sub.example.com.
www     IN 60 A 192.0.2.80
        TXT "inherits owner and the $TTL"
a\.b    TXT x
\065    TXT y
$TTL 30
*       TXT wild
"#;
    let (zone, warnings) = Zone::parse(text, origin()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    let get = |n: &str, t| {
        zone.node(&n.parse::<Name>().unwrap())
            .and_then(|node| node.rrset(t))
            .map(|set| set.to_owned())
    };
    assert_eq!(get("ns.example.com.", RecordType::A).unwrap().ttl(), 3600);
    assert_eq!(get("ns.example.com.", RecordType::AAAA).unwrap().ttl(), 600);
    assert_eq!(
        get("www.sub.example.com.", RecordType::A).unwrap().ttl(),
        60
    );
    assert_eq!(
        get("www.sub.example.com.", RecordType::TXT).unwrap().ttl(),
        3600
    );
    assert!(zone
        .node(&Name::from_labels([&b"a.b"[..], b"sub", b"example", b"com"]).unwrap())
        .is_some());
    assert!(
        get("A.sub.example.com.", RecordType::TXT).is_some(),
        "\\065 is A, names are case-insensitive"
    );
    assert_eq!(
        get("*.sub.example.com.", RecordType::TXT).unwrap().ttl(),
        30
    );
    assert_eq!(zone.record_count(), 9);
    assert_eq!(zone.serial().0, 2026112301);
}

#[test]
fn ttl_defaults_without_dollar_ttl() {
    // No $TTL: the SOA takes its MINIMUM (with a warning), later records the previous TTL.
    let text = b"@ SOA ns host 1 2 3 4 500\n NS ns\nns 77 A 192.0.2.1\nx A 192.0.2.2\n";
    let (zone, warnings) = Zone::parse(text, origin()).unwrap();
    assert_eq!(warnings.len(), 1);
    assert_eq!(zone.soa().ttl(), 500);
    assert_eq!(zone.apex_ns().ttl(), 500);
    let x = zone.node(&"x.example.com.".parse().unwrap()).unwrap();
    assert_eq!(x.rrset(RecordType::A).unwrap().ttl(), 77);
}

#[test]
fn print_then_parse_is_identity() {
    let text = br#"$TTL 300
@ SOA ns hostmaster 5 7200 3600 1209600 300
@ NS ns
@ NS ns.other.example.
@ MX 10 mail
@ TXT "v=spf1 ip4:192.0.2.0/24 -all" "second \"quoted\" \\ string\255"
ns A 192.0.2.1
ns AAAA 2001:db8::1
mail A 192.0.2.25
Www CNAME ns
*.wild TXT "wildcard"
a.b.c.ent A 192.0.2.9
sub NS ns.sub
ns.sub A 192.0.2.10
dn DNAME example.net.
_443._tcp TLSA 3 1 1 ABCDEF0123
@ CAA 0 issuewild ";"
@ HTTPS 1 . alpn="h2,h3" ipv4hint=192.0.2.1,192.0.2.2 port=8443 key9999="\000x"
@ TYPE65300 \# 2 0001
odd\.label\032x TXT x
"#;
    let (zone, _) = Zone::parse(text, origin()).unwrap();
    let printed = print_zone(&zone);
    let (again, _) = Zone::parse(printed.as_bytes(), zone.origin().clone())
        .unwrap_or_else(|e| panic!("{printed}\n{e:?}"));
    assert_eq!(again, zone, "{printed}");
    // Printing is stable.
    assert_eq!(print_zone(&again), printed);
}

/// A `(` that is never closed makes the next line part of the record; the
/// error there is reported, and then the parenthesis itself, which the
/// parser met while skipping to the end (it was lost before).
#[test]
fn unclosed_parenthesis_is_reported_after_the_error_it_causes() {
    let text = "$TTL 300\nwww A ( 192.0.2.2\nmail A 192.0.2.3\n";
    let errs: Vec<String> = ZoneParser::new(text.as_bytes(), origin())
        .map(|r| r.expect_err("every item is an error").to_string())
        .collect();
    assert_eq!(
        errs,
        [
            "3:1: expected end of line, found \"mail\"",
            "2:7: unbalanced parenthesis"
        ]
    );
}
