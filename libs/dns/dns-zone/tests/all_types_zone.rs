//! The zone with every record type (`tests/e2e/fixtures/zones/alltypes.test`,
//! issue 13) loads with only the missing-glue warning, and survives
//! parse → print → parse unchanged.

use dns_zone::{print_zone, Name, Zone};

const ALL_TYPES: &str = include_str!("../../../../tests/e2e/fixtures/zones/alltypes.test");

fn origin() -> Name {
    "alltypes.test.".parse().unwrap()
}

#[test]
fn loads_with_the_missing_glue_warning_only() {
    let (zone, warnings) = Zone::parse(ALL_TYPES.as_bytes(), origin()).unwrap_or_else(|e| {
        panic!("{:?}", e.errors);
    });
    let texts: Vec<String> = warnings.iter().map(|w| w.to_string()).collect();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(texts[0].contains("missing glue"), "{texts:?}");
    // Every type of the file has a mnemonic of its own (NULL too), so none
    // is printed as TYPEnnn but the private-use ones written that way.
    let mut types: Vec<u16> = zone
        .records()
        .map(|(_, set, _)| u16::from(set.rtype()))
        .collect();
    types.sort_unstable();
    types.dedup();
    // SOA, NS, A, AAAA and the 51 types issue 13 adds (the others are in
    // syntax.test).
    let new_types = [
        3, 4, 7, 8, 9, 10, 11, 14, 19, 20, 21, 22, 23, 24, 25, 26, 27, 29, 30, 31, 32, 34, 38, 40,
        42, 46, 47, 49, 50, 51, 55, 56, 57, 58, 62, 66, 67, 68, 104, 105, 106, 107, 108, 109, 258,
        259, 260, 261, 262, 32768, 32769,
    ];
    let mut want = vec![1, 2, 6, 28];
    want.extend(new_types);
    want.sort_unstable();
    assert_eq!(types, want);
    for t in types {
        let m = dns_zone::type_mnemonic(t.into());
        // NULL is printed TYPE10: Knot does not read the mnemonic.
        assert_eq!(m.starts_with("TYPE"), t == 10, "type {t} printed as {m}");
    }
}

#[test]
fn parse_print_parse_is_identity() {
    let (zone, _) = Zone::parse(ALL_TYPES.as_bytes(), origin()).unwrap();
    let printed = print_zone(&zone);
    let (again, _) = Zone::parse(printed.as_bytes(), origin())
        .unwrap_or_else(|e| panic!("{:?}\n{printed}", e.errors));
    assert_eq!(again, zone);
    assert_eq!(print_zone(&again), printed);
}
