//! An UPDATE may bring into the zone only what a zone file can hold:
//! meta and reserved types (RFC 6895 §3.1: 0, OPT, 128–255, 65535) are
//! FORMERR (RFC 2136 §3.4.1.2), and a TTL with the top bit set counts as 0
//! (RFC 2181 §8).

use dns_update::{apply, Applied, UpdateRequest};
use dns_wire::{rcode, RecordType};
use dns_zone::{Name, Zone};

const ZONE: &str =
    "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n NS ns\nns A 192.0.2.1\n";

fn zone() -> Zone {
    Zone::parse(ZONE.as_bytes(), Name::parse("example.com.", None).unwrap())
        .unwrap()
        .0
}

/// An UPDATE of example.com. with one update record at m.example.com.
fn update(rtype: u16, class: u16, ttl: u32, rdata: &[u8]) -> Vec<u8> {
    let mut m = vec![0, 1, 0x28, 0, 0, 1, 0, 0, 0, 1, 0, 0];
    m.extend_from_slice(b"\x07example\x03com\x00\x00\x06\x00\x01");
    m.extend_from_slice(b"\x01m\x07example\x03com\x00");
    m.extend_from_slice(&rtype.to_be_bytes());
    m.extend_from_slice(&class.to_be_bytes());
    m.extend_from_slice(&ttl.to_be_bytes());
    m.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
    m.extend_from_slice(rdata);
    m
}

fn outcome(msg: &[u8]) -> Result<Applied, u16> {
    apply(&zone(), &UpdateRequest::parse(msg).unwrap()).map_err(|r| r.rcode())
}

#[test]
fn adding_a_meta_or_reserved_type_is_formerr() {
    for t in [0u16, 41, 128, 200, 249, 250, 251, 252, 253, 254, 255, 65535] {
        assert_eq!(
            outcome(&update(t, 1, 300, &[0; 4])),
            Err(rcode::FORMERR),
            "TYPE{t}"
        );
        // Deleting one record of such a type is as malformed.
        assert_eq!(
            outcome(&update(t, 254, 0, &[0; 4])),
            Err(rcode::FORMERR),
            "TYPE{t}"
        );
    }
    // Deleting the RRset of a meta type other than ANY is malformed too;
    // ANY deletes the name.
    assert_eq!(outcome(&update(0, 255, 0, &[])), Err(rcode::FORMERR));
    assert!(outcome(&update(255, 255, 0, &[])).is_ok());
    // Type codes next to the meta ranges are data.
    for t in [127u16, 256, 65534] {
        assert!(
            matches!(
                outcome(&update(t, 1, 300, &[0; 4])),
                Ok(Applied::Changed { .. })
            ),
            "TYPE{t}"
        );
    }
}

#[test]
fn rfc2181_8_ttl_with_the_top_bit_set_is_stored_as_zero() {
    for (sent, stored) in [
        (0x8000_0005u32, 0),
        (u32::MAX, 0),
        (0x7fff_ffff, 0x7fff_ffff),
    ] {
        let Ok(Applied::Changed { new, .. }) = outcome(&update(1, 1, sent, &[192, 0, 2, 9])) else {
            panic!("TTL {sent}: not added");
        };
        let set = new
            .node(&Name::parse("m.example.com.", None).unwrap())
            .and_then(|n| n.rrset(RecordType::A))
            .unwrap();
        assert_eq!(set.ttl(), stored, "TTL {sent}");
        // What the primary writes to git loads back with the same TTL.
        let text = dns_zone::print_zone(&new);
        assert!(
            text.contains(&format!("m.example.com. {stored} IN A")),
            "{text}"
        );
    }
}
