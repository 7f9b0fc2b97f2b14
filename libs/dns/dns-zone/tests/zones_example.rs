//! Every zone of the repository's `zones-example/` parses and validates
//! without warnings, prints and reads back equal; `_keys` parses as records.

use std::path::Path;

use dns_zone::{print_zone, Name, RecordType, Zone, ZoneParser};

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../zones-example")
}

#[test]
fn every_example_zone_is_clean() {
    let mut zones = 0;
    for entry in std::fs::read_dir(dir()).unwrap() {
        let path = entry.unwrap().path();
        let file = path.file_name().unwrap().to_str().unwrap().to_owned();
        if file.starts_with('_') || file.ends_with("._keys") || file.starts_with('.') {
            continue;
        }
        let text = std::fs::read(&path).unwrap();
        let origin: Name = format!("{file}.").parse().unwrap();
        let (zone, warnings) = Zone::parse(&text, origin.clone()).unwrap_or_else(|e| {
            panic!(
                "{file}: {:#?}",
                e.errors
                    .iter()
                    .map(|d| d.display_in(&file).to_string())
                    .collect::<Vec<_>>()
            )
        });
        assert!(warnings.is_empty(), "{file}: {warnings:?}");
        let (again, _) = Zone::parse(print_zone(&zone).as_bytes(), origin).unwrap();
        assert_eq!(again, zone, "{file}: print/parse round trip");
        zones += 1;
    }
    assert!(zones >= 2, "at least two example zones");
}

#[test]
fn keys_file_has_test_only_tsig_keys() {
    let text = std::fs::read(dir().join("_keys")).unwrap();
    let head = String::from_utf8_lossy(&text[..200]).to_string();
    assert!(head.contains("TEST-ONLY"), "{head}");
    let mut n = 0;
    for e in ZoneParser::new(&text, Name::root()).with_default_ttl(0) {
        let e = e.unwrap();
        assert_eq!(e.rtype, RecordType::DNSKEY);
        let rd = e.rdata.as_bytes();
        assert_eq!(
            &rd[..4],
            &[0, 0, 3, 163],
            "flags 0, protocol 3, hmac-sha256"
        );
        assert_eq!(rd.len() - 4, 32, "32-octet secret");
        n += 1;
    }
    assert!(n >= 3);
}
