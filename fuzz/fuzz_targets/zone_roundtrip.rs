//! Parse → print → parse: a zone that parses prints to text that parses
//! back to the same zone (same records, same TTLs, same RDATA).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let origin: dns_zone::Name = "example.com.".parse().expect("origin");
    let Ok((zone, _)) = dns_zone::Zone::parse(data, origin.clone()) else {
        return;
    };
    let text = dns_zone::print_zone(&zone);
    match dns_zone::Zone::parse(text.as_bytes(), origin) {
        Ok((again, _)) => assert!(again == zone, "reparsed zone differs:\n{text}"),
        Err(e) => panic!("printed zone does not parse: {:?}\n{text}", e.errors),
    }
});
