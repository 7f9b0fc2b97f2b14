//! Zone validation: what rejects a zone, what only warns.

use dns_zone::{Name, RecordType, Zone};

const HEAD: &str =
    "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n";

fn check(body: &str) -> Result<(Zone, Vec<String>), Vec<String>> {
    let text = format!("{HEAD}{body}");
    match Zone::parse(text.as_bytes(), "example.com.".parse::<Name>().unwrap()) {
        Ok((z, w)) => Ok((z, w.iter().map(|d| d.to_string()).collect())),
        Err(e) => Err(e.errors.iter().map(|d| d.to_string()).collect()),
    }
}

fn err(body: &str) -> String {
    let e = check(body).expect_err("an error");
    e.join("\n")
}

#[test]
fn errors() {
    let cases: &[(&str, &str)] = &[
        (
            "www.example.net. A 192.0.2.1\n",
            "5:1: www.example.net. is outside the zone example.com.",
        ),
        (
            "sub SOA ns h 1 2 3 4 5\n",
            "5:1: SOA record at sub.example.com., not at the zone apex",
        ),
        (
            "@ SOA ns h 2 2 3 4 5\n",
            "more than one SOA record at the apex",
        ),
        (
            "www CNAME ns\nwww A 192.0.2.2\n",
            "6:1: CNAME and other data (A) at www.example.com.",
        ),
        (
            "www CNAME ns\nwww CNAME ns2\n",
            "more than one CNAME record at www.example.com.",
        ),
        (
            "d DNAME a.\nd DNAME b.\n",
            "more than one DNAME record at d.example.com.",
        ),
    ];
    for (body, want) in cases {
        let got = err(body);
        assert!(got.contains(want), "{body:?}: {got}");
    }
    let text = "$TTL 300\nns A 192.0.2.1\n";
    let e = Zone::parse(text.as_bytes(), "example.com.".parse().unwrap()).unwrap_err();
    let msgs: Vec<_> = e
        .errors
        .iter()
        .map(|d| d.display_in("example.com").to_string())
        .collect();
    assert!(
        msgs.contains(&"example.com: no SOA record at the zone apex example.com.".to_string()),
        "{msgs:?}"
    );
    assert!(
        msgs.contains(&"example.com: no NS records at the zone apex example.com.".to_string()),
        "{msgs:?}"
    );
}

#[test]
fn warnings_and_collapsing() {
    // TTL mismatch: the first TTL wins, with a warning.
    let (z, w) = check("x 60 A 192.0.2.5\nx 120 A 192.0.2.6\n").unwrap();
    let set = z
        .node(&"x.example.com.".parse().unwrap())
        .unwrap()
        .rrset(RecordType::A)
        .unwrap();
    assert_eq!((set.ttl(), set.len()), (60, 2));
    assert!(w[0].starts_with("6:1: TTL 120 differs"), "{w:?}");
    // Duplicates (names compare case-insensitively) collapse silently.
    let (z, w) =
        check("x MX 10 MAIL\nx MX 10 mail\nX mx 10 mail.example.com.\nmail A 192.0.2.7\n").unwrap();
    assert!(w.is_empty());
    assert_eq!(z.record_count(), 5);
    // Occluded data below a delegation and beside it.
    let (_, w) = check("child NS ns.child\nns.child A 192.0.2.8\nwww.child A 192.0.2.9\nx.child TXT t\nchild MX 1 x\n").unwrap();
    assert_eq!(w.len(), 2, "{w:?}");
    assert!(w
        .iter()
        .any(|m| m.contains("x.child.example.com. TXT is occluded by the delegation")));
    assert!(w.iter().any(
        |m| m.contains("child.example.com. MX is occluded by the delegation at the same name")
    ));
    // Data below a DNAME: NSD and Knot refuse the zone, so do we.
    let e = check("d DNAME example.net.\na.d A 192.0.2.1\n").unwrap_err();
    assert!(e[0].contains("occluded by the DNAME"), "{e:?}");
    // A DNAME at a delegation: Knot refuses the zone.
    let e = check("d DNAME example.net.\nd NS ns.example.net.\n").unwrap_err();
    assert!(e[0].contains("DNAME beside a delegation"), "{e:?}");
    // NS at a wildcard: BIND refuses the zone.
    let e = check("*.w NS ns.example.net.\n").unwrap_err();
    assert!(e[0].contains("NS records at the wildcard"), "{e:?}");
    // CNAME beside RRSIG/NSEC is allowed (RFC 4035 §2.5).
    assert!(check("c CNAME ns\nc NSEC \\# 4 00000140\n").is_ok());
}

#[test]
fn canonical_order() {
    let (z, _) =
        check("b A 192.0.2.2\nZ A 192.0.2.3\na A 192.0.2.1\n*.z A 192.0.2.4\nb A 192.0.2.0\n")
            .unwrap();
    let names: Vec<String> = z
        .nodes()
        .map(|n| dns_zone::name::name_to_string(&n.owner()))
        .collect();
    assert_eq!(
        names,
        [
            "example.com.",
            "a.example.com.",
            "b.example.com.",
            "ns.example.com.",
            "Z.example.com.",
            "*.z.example.com."
        ]
    );
    let b = z
        .node(&"b.example.com.".parse().unwrap())
        .unwrap()
        .rrset(RecordType::A)
        .unwrap();
    let addrs: Vec<_> = b.rdatas().map(|r| r.to_text(RecordType::A)).collect();
    assert_eq!(addrs, ["192.0.2.0", "192.0.2.2"]);
}

/// An RRset's records are counted in 16 bits (as Knot counts them): a
/// zone with 65 536 records in one RRset is refused with the place of its
/// first record, one with 65 535 loads.
#[test]
fn an_rrset_of_more_than_65535_records_is_refused() {
    let addresses = |count: u32| -> String {
        (0..count)
            .map(|i| format!("big A 10.0.{}.{}\n", i >> 8, i & 255))
            .collect()
    };
    let (z, _) = check(&addresses(65_535)).expect("65 535 records load");
    let big = z.node(&"big.example.com.".parse().unwrap()).unwrap();
    assert_eq!(big.rrset(RecordType::A).unwrap().len(), 65_535);
    assert_eq!(
        err(&addresses(65_536)),
        "5:1: big.example.com. A has 65536 records, more than 65535"
    );
}
