//! Error or warning, as NSD and Knot decide it (issue 13 item 2; the table
//! is in the `zone::validate` module documentation): a name server inside
//! the zone without an address is a warning, the zone loads and serves.

use dns_zone::{Name, RecordType, Zone};

const HEAD: &str = "$TTL 300\n@ SOA ns h 1 2 3 4 5\n  NS ns\nns A 192.0.2.1\n";

fn load(body: &str) -> (Zone, Vec<String>) {
    let text = format!("{HEAD}{body}");
    match Zone::parse(text.as_bytes(), "example.com.".parse::<Name>().unwrap()) {
        Ok((z, w)) => (z, w.iter().map(|d| d.to_string()).collect()),
        Err(e) => panic!("{body:?} was refused: {:?}", e.errors),
    }
}

#[test]
fn delegation_without_glue_loads_with_a_warning() {
    let (zone, warnings) = load("child NS ns.child\n  NS ns.example.net.\n");
    assert_eq!(
        warnings,
        [
            "5:1: delegation child.example.com. NS ns.child.example.com.: missing glue (no A or \
          AAAA record for the in-bailiwick name server); resolvers cannot reach it through \
          this zone"
        ]
    );
    let child: Name = "child.example.com.".parse().unwrap();
    assert_eq!(
        zone.node(&child)
            .and_then(|n| n.rrset(RecordType::NS))
            .map(|s| s.rdatas().len()),
        Some(2)
    );
}

#[test]
fn apex_name_server_without_address_loads_with_a_warning() {
    let (_, warnings) = load("@ NS ns2\n");
    assert_eq!(
        warnings,
        [
            "3:3: example.com. NS ns2.example.com.: the name server is inside the zone but has no \
          A or AAAA record"
        ]
    );
}

/// What all three peers refuse stays an error.
#[test]
fn what_all_peers_refuse_stays_an_error() {
    for body in [
        "c CNAME ns\nc A 192.0.2.3\n",
        "c CNAME ns\nc CNAME ns2\n",
        "d DNAME a.\nd DNAME b.\n",
        "s SOA ns h 2 2 3 4 5\n",
        "t TXT \"\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\\255\"\n",
    ] {
        let text = format!("{HEAD}{body}");
        assert!(
            Zone::parse(text.as_bytes(), "example.com.".parse().unwrap()).is_err(),
            "{body:?} loaded"
        );
    }
    let no_soa = "$TTL 300\nns A 192.0.2.1\n";
    assert!(Zone::parse(no_soa.as_bytes(), "example.com.".parse().unwrap()).is_err());
}
