//! The master-file parser and zone validation on any bytes: never a panic,
//! every diagnostic has a position inside the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let origin: dns_zone::Name = "example.com.".parse().expect("origin");
    let lines = data.split(|&b| b == b'\n').count() as u32;
    match dns_zone::Zone::parse(data, origin) {
        Ok((zone, warnings)) => {
            assert!(zone.record_count() >= 2, "a valid zone has SOA and NS");
            for w in warnings {
                assert!(w.line <= lines, "warning past the end: {w}");
            }
        }
        Err(e) => {
            assert!(!e.errors.is_empty());
            for d in e.errors {
                assert!(d.line <= lines, "error past the end: {d}");
            }
        }
    }
});
