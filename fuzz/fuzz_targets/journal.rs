//! A zone journal (primary-git --zones-dir) on any bytes: reading never
//! panics, stops at the first entry it cannot read with an offset inside
//! the input, and every entry read applies to a zone or is refused with an
//! error, as the replay at start does. With the first byte odd, each
//! entry's checksum is made right first, so that the bodies get explored.
#![no_main]

use libfuzzer_sys::fuzz_target;

const ZONE: &[u8] = b"$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\nwww A 192.0.2.2\nsub NS ns.sub\nns.sub A 192.0.2.3\n";

/// Rewrites the checksum of every entry whose header is whole.
fn fix_checksums(data: &mut [u8]) {
    let mut at = 0;
    while at + 16 <= data.len() {
        let length = u32::from_be_bytes([data[at + 4], data[at + 5], data[at + 6], data[at + 7]]) as usize;
        let end = (at + 16).saturating_add(length).min(data.len());
        let sum = data[at + 16..end].iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
        data[at + 8..at + 16].copy_from_slice(&sum.to_be_bytes());
        at = end;
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&mode, rest)) = input.split_first() else {
        return;
    };
    let mut owned = rest.to_vec();
    if mode & 1 == 1 {
        fix_checksums(&mut owned);
    }
    let data = &owned[..];
    let origin: dns_zone::Name = "example.com.".parse().expect("origin");
    let (mut zone, _) = dns_zone::Zone::parse(ZONE, origin).expect("the base zone");
    let (diffs, error) = dns_zone::read_journal(data);
    if let Some(error) = error {
        assert!(error.offset < data.len(), "{error}");
    }
    for diff in &diffs {
        // Written back, an entry reads as itself.
        let mut bytes = Vec::new();
        dns_zone::write_journal_entry(diff, &mut bytes);
        assert_eq!(dns_zone::read_journal(&bytes), (vec![diff.clone()], None));
        if let Ok(next) = zone.apply_diff(diff) {
            assert_eq!(next.serial(), diff.to_serial());
            zone = next;
        }
    }
});
