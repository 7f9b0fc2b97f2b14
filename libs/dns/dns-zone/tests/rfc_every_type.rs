//! Every record type that BIND 9.18, NSD 4.6 or Knot 3.2 reads from a zone
//! file (issue 13): presentation format to wire and back, the RFC examples
//! where the RFC gives one (RFC 1183, 1706, 1712, 1876, 2163, 2535, 2874,
//! 3123, 4034, 4701, 5155, 6742, 7043, 7477, 8005, 8777, 9606), the
//! canonical form (RFC 4034 §6.2, RFC 6840 §5.1), and `line:column` errors
//! naming the field for malformed text.
//!
//! The wire forms below are the ones `named-checkzone -D` and
//! `nsd-checkzone -p` read from the same text (the parser differential on
//! `tests/e2e/fixtures/zones/alltypes.test` checks that); printing them
//! back and parsing again must give the same octets.

use dns_zone::{Name, Rdata, RecordType, ZoneParser};

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

fn first_error(line: &str) -> String {
    let text = format!("$TTL 300\n{line}\n");
    match ZoneParser::new(text.as_bytes(), origin()).next() {
        Some(Err(e)) => e.to_string(),
        other => panic!("{line}: expected an error, got {other:?}"),
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// (record line, wire RDATA in hex, printed RDATA).
const TYPES: &[(&str, &str, &str)] = &[
    ("@ MD Mail-Host.example.", "094d61696c2d486f7374076578616d706c6500", "Mail-Host.example."),
    ("@ MF mailhost", "086d61696c686f7374076578616d706c6503636f6d00", "mailhost.example.com."),
    ("@ MB Mailbox.example.", "074d61696c626f78076578616d706c6500", "Mailbox.example."),
    ("@ MG member.example.", "066d656d626572076578616d706c6500", "member.example."),
    ("@ MR renamed.example.", "0772656e616d6564076578616d706c6500", "renamed.example."),
    ("@ MINFO Rmailbx.example. emailbx.example.", "07526d61696c6278076578616d706c650007656d61696c6278076578616d706c6500", "Rmailbx.example. emailbx.example."),
    ("@ WKS 192.0.2.10 TCP 21 25 53 80 443", "c000020a060000044000000400000080000000000000000000000000000000000000000000000000000000000000000000000000000000000000000010", "192.0.2.10 6 21 25 53 80 443"),
    ("@ WKS 192.0.2.10 17 53", "c000020a1100000000000004", "192.0.2.10 17 53"),
    ("@ WKS 192.0.2.10 6", "c000020a06", "192.0.2.10 6"),
    ("@ X25 311061700956", "0c333131303631373030393536", "\"311061700956\""),
    ("@ ISDN 150862028003217 004", "0f31353038363230323830303332313703303034", "\"150862028003217\" \"004\""),
    ("@ ISDN 150862028003217", "0f313530383632303238303033323137", "\"150862028003217\""),
    ("@ RT 2 Relay.Prime.COM.", "00020552656c6179055072696d6503434f4d00", "2 Relay.Prime.COM."),
    ("@ NSAP 0x47.0005.80.005a00.0000.0001.e133.ffffff000161.00", "47000580005a0000000001e133ffffff00016100", "0x47000580005a0000000001e133ffffff00016100"),
    ("@ NSAP-PTR foo.example.", "03666f6f076578616d706c6500", "foo.example."),
    ("@ SIG NXT 1 3 3600 20261231000000 20261201000000 2143 Foo.example. AQID", "001e010300000e106b359b006b0e0e00085f03466f6f076578616d706c6500010203", "NXT 1 3 3600 20261231000000 20261201000000 2143 Foo.example. AQID"),
    ("@ KEY 256 3 13 AQID", "0100030d010203", "256 3 13 AQID"),
    ("@ KEY 49152 3 0", "c0000300", "49152 3 0"),
    ("@ PX 50 Ab.net2.it. O-ab.PRMD-net2.ADMDb.C-it.", "0032024162046e65743202697400044f2d61620950524d442d6e6574320541444d446204432d697400", "50 Ab.net2.it. O-ab.PRMD-net2.ADMDb.C-it."),
    ("@ GPOS -32.6882 116.8652 10.0", "082d33322e36383832083131362e383635320431302e30", "\"-32.6882\" \"116.8652\" \"10.0\""),
    ("@ LOC 42 21 54 N 71 06 18 W -24m 30m", "0033161389172dd070be15f000988d20", "42 21 54.000 N 71 6 18.000 W -24.00m 30.00m 10000.00m 10.00m"),
    ("@ LOC 52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m", "000016138b3cf018810cbce0009895b8", "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000.00m 10.00m"),
    ("@ LOC 0 S 0 W 0", "00121613800000008000000000989680", "0 0 0.000 N 0 0 0.000 E 0.00m 1.00m 10000.00m 10.00m"),
    ("@ LOC 90 0 0.000 S 180 W 42849672.95m 90000000m 0.01m 1m", "009910126cb0270059604e00ffffffff", "90 0 0.000 S 180 0 0.000 W 42849672.95m 90000000.00m 0.01m 1.00m"),
    ("@ NXT Medium.example. A MX SIG NXT", "064d656469756d076578616d706c650040010082", "Medium.example. A MX SIG NXT"),
    ("@ EID 0123456789ABCDEF", "0123456789abcdef", "0123456789ABCDEF"),
    ("@ NIMLOC 32142254", "32142254", "32142254"),
    ("@ ATMA 39.246f.000e7c9c031200010001.000102030405.00", "0039246f000e7c9c03120001000100010203040500", "39246f000e7c9c03120001000100010203040500"),
    ("@ ATMA +358400123456", "01333538343030313233343536", "+358400123456"),
    ("@ A6 0 2001:db8::1", "0020010db8000000000000000000000001", "0 2001:db8::1"),
    ("@ A6 64 ::1234:5678:9abc:def0 Subnet-1.example.", "40123456789abcdef0085375626e65742d31076578616d706c6500", "64 ::1234:5678:9abc:def0 Subnet-1.example."),
    ("@ A6 128 Prefix.example.", "8006507265666978076578616d706c6500", "128 Prefix.example."),
    ("@ A6 60 ::e:1234:5678:9abc:def0 subnet-2.example.", "3c0e123456789abcdef0087375626e65742d32076578616d706c6500", "60 ::e:1234:5678:9abc:def0 subnet-2.example."),
    ("@ SINK 1 0 0 AQIDBA==", "01000001020304", "1 0 0 AQIDBA=="),
    ("@ SINK 1 0 0", "010000", "1 0 0"),
    ("@ APL 1:192.168.32.0/21 !1:192.168.38.0/28", "00011503c0a82000011c83c0a826", "1:192.168.32.0/21 !1:192.168.38.0/28"),
    ("@ APL 1:224.0.0.0/4 2:FF00:0:0:0:0:0:0:0/8", "00010401e000020801ff", "1:224.0.0.0/4 2:ff00::/8"),
    ("@ APL", "", ""),
    ("@ RRSIG A 13 3 3600 20261231000000 20261201000000 12345 Example. AQID", "00010d0300000e106b359b006b0e0e003039074578616d706c6500010203", "A 13 3 3600 20261231000000 20261201000000 12345 Example. AQID"),
    ("@ RRSIG TYPE65280 15 3 0 1796083200 1764547200 1 example. AQID", "ff000f03000000006b0e0e00692cda800001076578616d706c6500010203", "TYPE65280 15 3 0 20261201000000 20251201000000 1 example. AQID"),
    ("@ NSEC last.example.", "046c617374076578616d706c6500", "last.example."),
    ("@ NSEC Host.example. A MX RRSIG NSEC TYPE1234", "04486f7374076578616d706c65000006400100000003041b000000000000000000000000000000000000000000000000000020", "Host.example. A MX RRSIG NSEC TYPE1234"),
    ("@ DHCID AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA=", "000201636fc0b8271c82825bb1ac5c41cf5351aa69b4febd94e8f17cdb95000da48c40", "AAIBY2/AuCccgoJbsaxcQc9TUapptP69lOjxfNuVAA2kjEA="),
    ("@ NSEC3 1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG", "0101000c04aabbccdd14174eb2409fe28bcb4887a1836f957f0a8425e27b000722010000000290", "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA MX RRSIG DNSKEY NSEC3PARAM"),
    ("@ NSEC3 1 0 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S", "01000000001417f3df17b2b2adaef615257de4d2020b80ac6c7c", "1 0 0 - 2VPTU5TIMAMQTTGL4LUU9KG21E0AOR3S"),
    ("@ NSEC3PARAM 1 0 12 aabbccdd", "0100000c04aabbccdd", "1 0 12 AABBCCDD"),
    ("@ NSEC3PARAM 1 0 0 -", "0100000000", "1 0 0 -"),
    ("@ HIP 2 200100107B1A74DF365639CC39F1D578 AwEAAQ== rvs1.example.com. Rvs2.example.com.", "10020004200100107b1a74df365639cc39f1d578030100010472767331076578616d706c6503636f6d000452767332076578616d706c6503636f6d00", "2 200100107B1A74DF365639CC39F1D578 AwEAAQ== rvs1.example.com. Rvs2.example.com."),
    ("@ HIP 2 200100107B1A74DF365639CC39F1D578 AwEAAQ==", "10020004200100107b1a74df365639cc39f1d57803010001", "2 200100107B1A74DF365639CC39F1D578 AwEAAQ=="),
    ("@ NINFO \"Some information\" \"more\"", "10536f6d6520696e666f726d6174696f6e046d6f7265", "\"Some information\" \"more\""),
    ("@ RKEY 0 3 13 AQID", "0000030d010203", "0 3 13 AQID"),
    ("@ TALINK Prev.example. next.example.", "0450726576076578616d706c6500046e657874076578616d706c6500", "Prev.example. next.example."),
    ("@ CSYNC 66 3 A NS AAAA", "000000420003000460000008", "66 3 A NS AAAA"),
    ("@ CSYNC 0 0", "000000000000", "0 0"),
    ("@ DSYNC CDS NOTIFY 5359 Notify.example.", "003b0114ef064e6f74696679076578616d706c6500", "CDS NOTIFY 5359 Notify.example."),
    ("@ DSYNC TYPE65280 2 53 .", "ff0002003500", "TYPE65280 2 53 ."),
    ("@ HHIT AQID", "010203", "AQID"),
    ("@ BRID AQIDBA==", "01020304", "AQIDBA=="),
    ("@ NID 10 0014:4fff:ff20:ee64", "000a00144fffff20ee64", "10 0014:4fff:ff20:ee64"),
    ("@ L32 10 10.1.2.0", "000a0a010200", "10 10.1.2.0"),
    ("@ L64 10 2001:0DB8:1140:1000", "000a20010db811401000", "10 2001:0db8:1140:1000"),
    ("@ LP 10 L64-subnet1.example.", "000a0b4c36342d7375626e657431076578616d706c6500", "10 L64-subnet1.example."),
    ("@ EUI48 00-00-5e-00-53-2a", "00005e00532a", "00-00-5e-00-53-2a"),
    ("@ EUI64 00-00-5E-EF-10-00-00-2A", "00005eef1000002a", "00-00-5e-ef-10-00-00-2a"),
    ("@ AVC \"app-name:WOLFGANG|app-class:OAM|business=yes\"", "2c6170702d6e616d653a574f4c4647414e477c6170702d636c6173733a4f414d7c627573696e6573733d796573", "\"app-name:WOLFGANG|app-class:OAM|business=yes\""),
    ("@ DOA 0 1 2 \"\" aHR0cHM6Ly93d3cuaXNjLm9yZy8=", "0000000000000001020068747470733a2f2f7777772e6973632e6f72672f", "0 1 2 \"\" aHR0cHM6Ly93d3cuaXNjLm9yZy8="),
    ("@ DOA 1234567890 1234567890 1 \"image/png\" -", "499602d2499602d20109696d6167652f706e67", "1234567890 1234567890 1 \"image/png\" -"),
    ("@ AMTRELAY 10 0 1 203.0.113.15", "0a01cb00710f", "10 0 1 203.0.113.15"),
    ("@ AMTRELAY 10 0 2 2001:db8::15", "0a0220010db8000000000000000000000015", "10 0 2 2001:db8::15"),
    ("@ AMTRELAY 128 1 3 Amtrelays.example.com.", "808309416d7472656c617973076578616d706c6503636f6d00", "128 1 3 Amtrelays.example.com."),
    ("@ AMTRELAY 0 0 0 .", "0000", "0 0 0 ."),
    ("@ RESINFO qnamemin exterr=15,16,17 infourl=https://resolver.example.com/guide", "08716e616d656d696e0f6578746572723d31352c31362c31372a696e666f75726c3d68747470733a2f2f7265736f6c7665722e6578616d706c652e636f6d2f6775696465", "\"qnamemin\" \"exterr=15,16,17\" \"infourl=https://resolver.example.com/guide\""),
    ("@ WALLET \"BTC\" \"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\"", "034254432a62633171617230737272723778666b7679356c3634336c79646e77397265353967747a7a7766356d6471", "\"BTC\" \"bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\""),
    ("@ TA 30795 1 1 310D27F4D82C1FC2400704EA9939FE6E1CEAA3B9", "784b0101310d27f4d82c1fc2400704ea9939fe6e1ceaa3b9", "30795 1 1 310D27F4D82C1FC2400704EA9939FE6E1CEAA3B9"),
    ("@ DLV 30795 1 1 310D27F4D82C1FC2400704EA9939FE6E1CEAA3B9", "784b0101310d27f4d82c1fc2400704ea9939fe6e1ceaa3b9", "30795 1 1 310D27F4D82C1FC2400704EA9939FE6E1CEAA3B9"),
    ("@ NULL \\# 3 010203", "010203", "\\# 3 010203"),
];

#[test]
fn every_type_text_to_wire_and_back() {
    for &(line, wire, printed) in TYPES {
        let (rtype, got, text) = parse_one(line);
        assert_eq!(got, hex(wire), "{line}: wire form");
        assert_eq!(text, printed, "{line}: printed form");
        let mnemonic = dns_zone::type_mnemonic(rtype);
        let (_, again, _) = parse_one(&format!("@ {mnemonic} {text}"));
        assert_eq!(again, got, "{line}: reparse of {text}");
        // The wire form passes the wire checks (AXFR, UPDATE) as it is.
        let rd = Rdata::from_wire(rtype, &got).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(rd.to_text(rtype), printed, "{line}: from wire");
    }
}

/// RFC 4034 §6.2 as amended by RFC 6840 §5.1: names are lowercased in the
/// canonical form of MD, MF, MB, MG, MR, MINFO, RT, SIG, PX, NXT, A6 and
/// RRSIG among the new types, and kept in NSEC, NSAP-PTR, HIP, TALINK,
/// LP, DSYNC and AMTRELAY (defined after RFC 3597, or NSEC per RFC 6840).
#[test]
fn canonical_form_lowercases_the_listed_types_only() {
    let lowered = [
        ("@ MD Mail-Host.example.", "@ MD mail-host.example."),
        ("@ MB Mailbox.example.", "@ MB mailbox.example."),
        ("@ MG Member.example.", "@ MG member.example."),
        ("@ MR Renamed.example.", "@ MR renamed.example."),
        (
            "@ MINFO Rmailbx.example. Emailbx.example.",
            "@ MINFO rmailbx.example. emailbx.example.",
        ),
        ("@ RT 2 Relay.Prime.COM.", "@ RT 2 relay.prime.com."),
        (
            "@ SIG NXT 1 3 3600 20261231000000 20261201000000 2143 Foo.example. AQID",
            "@ SIG NXT 1 3 3600 20261231000000 20261201000000 2143 foo.example. AQID",
        ),
        (
            "@ PX 50 Ab.net2.it. O-ab.PRMD-net2.ADMDb.C-it.",
            "@ PX 50 ab.net2.it. o-ab.prmd-net2.admdb.c-it.",
        ),
        (
            "@ NXT Medium.example. A MX SIG NXT",
            "@ NXT medium.example. A MX SIG NXT",
        ),
        (
            "@ A6 64 ::1234:5678:9abc:def0 Subnet-1.example.",
            "@ A6 64 ::1234:5678:9abc:def0 subnet-1.example.",
        ),
        (
            "@ RRSIG A 13 3 3600 20261231000000 20261201000000 12345 Example. AQID",
            "@ RRSIG A 13 3 3600 20261231000000 20261201000000 12345 example. AQID",
        ),
    ];
    for (line, lower) in lowered {
        let (rtype, wire, _) = parse_one(line);
        let (_, want, _) = parse_one(lower);
        let rd = Rdata::from_wire(rtype, &wire).unwrap();
        assert_ne!(wire, want, "{line}: the test needs upper case");
        assert_eq!(&*rd.canonical(rtype), &want[..], "{line}: canonical form");
    }
    let kept = [
        "@ NSEC Host.example. A",
        "@ NSAP-PTR Foo.example.",
        "@ HIP 2 200100107B1A74DF365639CC39F1D578 AwEAAQ== Rvs.example.",
        "@ TALINK Prev.example. Next.example.",
        "@ LP 10 L64-subnet1.example.",
        "@ DSYNC CDS NOTIFY 5359 Notify.example.",
        "@ AMTRELAY 128 1 3 Amtrelays.example.com.",
    ];
    for line in kept {
        let (rtype, wire, _) = parse_one(line);
        let rd = Rdata::from_wire(rtype, &wire).unwrap();
        assert_eq!(&*rd.canonical(rtype), &wire[..], "{line}: lowercased");
    }
}

/// (record line, expected error "line:column: message").
const ERRORS: &[(&str, &str)] = &[
    ("@ LOC 91 N 0 E 0", "2:7: expected a LOC latitude: degrees (0-90) [minutes [seconds]] N or S, found \"91\""),
    ("@ LOC 90 0 0.001 S 0 E 0", "2:7: expected a LOC latitude: degrees (0-90) [minutes [seconds]] N or S, found \"90\""),
    ("@ LOC 0 N 0 E 0 90000000.01", "2:17: expected a LOC size or precision in metres (0 to 90000000.00, optional m), found \"90000000.01\""),
    ("@ LOC 42 21 54 X 71 06 18 W 0", "2:16: expected a LOC latitude: degrees (0-90) [minutes [seconds]] N or S, found \"X\""),
    ("@ LOC 42 N 181 E 0", "2:12: expected a LOC longitude: degrees (0-180) [minutes [seconds]] E or W, found \"181\""),
    ("@ LOC 42 N 71 W -100000.01m", "2:17: expected a LOC altitude in metres (-100000.00 to 42849672.95, optional m), found \"-100000.01m\""),
    ("@ LOC 42 N 71 W 0 1.001m", "2:19: expected a LOC size or precision in metres (0 to 90000000.00, optional m), found \"1.001m\""),
    ("@ LOC 42 N 71 W 0 100000000m", "2:19: expected a LOC size or precision in metres (0 to 90000000.00, optional m), found \"100000000m\""),
    ("@ APL 3:192.0.2.0/24", "2:7: expected an APL item ([!]1:IPv4/prefix or [!]2:IPv6/prefix), found \"3:192.0.2.0/24\""),
    ("@ APL 1:192.0.2.0/33", "2:7: expected an APL item ([!]1:IPv4/prefix or [!]2:IPv6/prefix), found \"1:192.0.2.0/33\""),
    ("@ APL 1:192.0.2.0", "2:7: expected an APL item ([!]1:IPv4/prefix or [!]2:IPv6/prefix), found \"1:192.0.2.0\""),
    ("@ WKS 192.0.2.1 tcp 65536", "2:21: expected a WKS service (a port number or a service name), found \"65536\""),
    ("@ WKS 192.0.2.1 sctp 80", "2:17: expected a WKS protocol (a number, tcp or udp), found \"sctp\""),
    ("@ NSAP 47.0005", "2:8: expected an NSAP address (0x and hex digits, dots allowed), found \"47.0005\""),
    ("@ NSAP 0x470", "2:8: expected an NSAP address (0x and hex digits, dots allowed), found \"0x470\""),
    ("@ EUI48 00-00-5e-00-53", "2:9: expected an EUI-48 address (xx-xx-xx-xx-xx-xx), found \"00-00-5e-00-53\""),
    ("@ EUI64 00:00:5e:ef:10:00:00:2a", "2:9: expected an EUI-64 address (xx-xx-xx-xx-xx-xx-xx-xx), found \"00:00:5e:ef:10:00:00:2a\""),
    ("@ NID 10 0014:4fff:ff20", "2:10: expected a 64-bit ILNP value (four 16-bit hex groups, xxxx:xxxx:xxxx:xxxx), found \"0014:4fff:ff20\""),
    ("@ L64 10 2001:0DB8:1140:10000", "2:10: expected a 64-bit ILNP value (four 16-bit hex groups, xxxx:xxxx:xxxx:xxxx), found \"2001:0DB8:1140:10000\""),
    ("@ L32 10 10.1.2", "2:10: expected an IPv4 address, found \"10.1.2\""),
    ("@ RRSIG A 13 3 3600 20261331000000 20261201000000 1 example. AQID", "2:21: expected a signature time (YYYYMMDDHHmmSS or seconds since 1970), found \"20261331000000\""),
    ("@ RRSIG BOGUS 13 3 3600 20261231000000 20261201000000 1 example. AQID", "2:9: expected a record type (mnemonic or TYPEnnn), found \"BOGUS\""),
    ("@ NXT next.example.", "2:20: expected at least one record type in the NXT bitmap, found end of line"),
    ("@ NSEC next.example. A BOGUS", "2:24: expected a record type (mnemonic or TYPEnnn), found \"BOGUS\""),
    ("@ NXT next.example. A TYPE128", "2:23: expected a record type from 1 to 127 (NXT bitmap), found \"TYPE128\""),
    ("@ NSEC3 1 1 12 xyz 2t7b4g4vsa5smi47k61mv5bv1a22bojr A", "2:16: expected an NSEC3 salt (hex, or - for none), found \"xyz\""),
    ("@ NSEC3 1 1 12 - 2t7b4g4vsa5smi47k61mv5bv1a22boj! A", "2:18: expected an NSEC3 next hashed owner name (base32hex), found \"2t7b4g4vsa5smi47k61mv5bv1a22boj!\""),
    ("@ A6 129 ::1", "2:6: expected an A6 prefix length from 0 to 128, found \"129\""),
    ("@ A6 64 1.2.3.4 p.example.", "2:9: expected an A6 address suffix (an IPv6 address), found \"1.2.3.4\""),
    ("@ A6 64 ::1", "2:12: expected an A6 prefix name, found end of line"),
    ("@ HIP 2 XYZ AwEAAQ==", "2:9: expected a HIP HIT in hex (1 to 255 octets), found \"XYZ\""),
    ("@ HIP 2 2001 AwEA!", "2:14: expected a HIP public key in base64, found \"AwEA!\""),
    ("@ AMTRELAY 10 2 1 203.0.113.15", "2:15: expected an AMTRELAY discovery optional bit (0 or 1), found \"2\""),
    ("@ AMTRELAY 10 0 1 2001:db8::1", "2:19: expected an IPv4 gateway, found \"2001:db8::1\""),
    ("@ AMTRELAY 10 0 0 relay.example.", "2:19: expected \".\" for gateway type 0, found \"relay.example.\""),
    ("@ DSYNC CDS PUSH 53 n.example.", "2:13: expected a DSYNC scheme (NOTIFY or a number from 0 to 255), found \"PUSH\""),
    ("@ ATMA +12a", "2:8: expected an ATM address (hex digits for AESA, +digits for E.164), found \"+12a\""),
    ("@ DOA 0 1 256 \"\" -", "2:11: expected a number from 0 to 255, found \"256\""),
    ("@ ISDN \"1\" \"2\" \"3\"", "2:16: expected end of line, found \"3\""),
    ("@ X25", "2:6: expected a character string, found end of line"),
    ("@ GPOS \"1\" \"2\"", "2:15: expected a character string, found end of line"),
    ("@ DHCID AAIB!", "2:9: expected base64 data, found \"AAIB!\""),
    ("@ NULL 010203", "2:8: expected RFC 3597 generic RDATA (\\# length hex) for this type, found \"010203\""),
];

#[test]
fn malformed_fields_are_named_with_line_and_column() {
    let wrong: Vec<String> = ERRORS
        .iter()
        .filter(|(line, want)| first_error(line) != *want)
        .map(|(line, want)| format!("{line}\n  want {want}\n  got  {}", first_error(line)))
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Wire data that does not fit a type is refused on the wire path too
/// (AXFR, UPDATE): the same checks as the text parser's output.
#[test]
fn malformed_wire_is_refused() {
    let cases: &[(u16, &str)] = &[
        (29, "0100000000000000000000000000000000"), // LOC version 1
        (29, "00"),                                 // LOC truncated
        (42, "000315000102"),                       // APL family 3
        (42, "00011503c0a80000"),                   // APL trailing zero
        (47, "000000"),                             // window of length 0
        (47, "00010040020140"),                     // windows out of order
        (50, "01000000000000"),                     // NSEC3 empty hash
        (38, "81"),                                 // A6 prefix 129
        (55, "0002000420010010"),                   // HIP HIT cut short
        (260, "0a05"),                              // AMTRELAY type 5
        (108, "00005e0053"),                        // EUI48 short
        (34, "02aa"),                               // ATMA format 2
        (29, "00a01613800000008000000000989680"),   // LOC size mantissa 10
        (11, "c000020a0600"),                       // WKS trailing zero
    ];
    for &(code, data) in cases {
        assert!(
            Rdata::from_wire(RecordType::from(code), &hex(data)).is_err(),
            "TYPE{code} {data} accepted"
        );
    }
}

/// Mutated wire forms of every example: whatever `Rdata::from_wire`
/// accepts prints without panicking and reads back to the same octets
/// (the printer is the inverse of the parser on all valid data).
#[test]
fn accepted_wire_prints_and_reads_back() {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut accepted = 0;
    for &(line, wire, _) in TYPES {
        let (rtype, _, _) = parse_one(line);
        let base = hex(wire);
        for _ in 0..400 {
            let mut data = base.clone();
            match next() % 4 {
                0 if !data.is_empty() => {
                    let i = (next() as usize) % data.len();
                    data[i] = next() as u8;
                }
                1 if !data.is_empty() => {
                    data.truncate((next() as usize) % data.len());
                }
                2 => data.push(next() as u8),
                _ => {
                    let i = (next() as usize) % (data.len() + 1);
                    data.insert(i, next() as u8);
                }
            }
            let Ok(rd) = Rdata::from_wire(rtype, &data) else {
                continue;
            };
            accepted += 1;
            let text = rd.to_text(rtype);
            let mnemonic = dns_zone::type_mnemonic(rtype);
            let (_, again, _) = parse_one(&format!("@ {mnemonic} {text}"));
            assert_eq!(again, data, "{line}: {data:02x?} printed as {text}");
        }
    }
    assert!(accepted > 1000, "{accepted} mutations accepted");
}
