//! The UPDATE path: any bytes as an UPDATE, unsigned straight to
//! `apply` (what runs after TSIG) on zones-example's example.com, and
//! through the signed server flow `dns_update::handle` with the example
//! keys. Never a panic; a changed zone prints as text that parses back to
//! the same records (what the primary writes to git loads again).
#![no_main]

use dns_keys::KeyStore;
use dns_update::{apply, Applied, Handled, UpdateRequest};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const NOW: u64 = 1_700_000_000;

fn zone() -> &'static dns_zone::Zone {
    static ZONE: OnceLock<dns_zone::Zone> = OnceLock::new();
    ZONE.get_or_init(|| {
        let text = include_bytes!("../../zones-example/example.com");
        dns_zone::Zone::parse(text, "example.com.".parse().expect("origin"))
            .expect("zones-example is valid")
            .0
    })
}

fn keys() -> &'static KeyStore {
    static KEYS: OnceLock<KeyStore> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys = KeyStore::new();
        keys.load_keys_file("_keys", include_bytes!("../../zones-example/_keys"))
            .expect("zones-example keys");
        keys
    })
}

fuzz_target!(|data: &[u8]| {
    let zone = zone();
    if let Ok(request) = UpdateRequest::parse(data) {
        if let Ok(Applied::Changed { new, diff }) = apply(zone, &request) {
            assert!(new.serial() > zone.serial(), "the serial goes up");
            assert!(!diff.is_empty() || new.serial() != zone.serial());
            let text = dns_zone::print_zone(&new);
            let (again, _) = dns_zone::Zone::parse(text.as_bytes(), new.origin().clone())
                .unwrap_or_else(|e| panic!("the printed zone does not load: {e:?}\n{text}"));
            assert_eq!(again.record_count(), new.record_count(), "{text}");
        }
    }
    match dns_update::handle(data, NOW, keys(), |apex| (apex == zone.origin()).then_some(zone)) {
        Handled::Respond { response, .. } => {
            assert!(response.len() >= 12);
            assert_eq!(response[..2], data[..2], "the request's ID");
        }
        Handled::Changed(change) => {
            let _ = change.response(NOW);
        }
        _ => {}
    }
});
