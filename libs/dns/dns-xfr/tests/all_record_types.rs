//! AXFR (RFC 5936) of the zone with every record type of issue 13
//! (`tests/e2e/fixtures/zones/alltypes.test`): our server's stream read by
//! our client gives the same zone, and it prints the same.

use dns_keys::KeyStore;
use dns_xfr::{handle, Handled, Outcome, Progress, Transport, XfrClient};
use dns_zone::{print_zone, Name, Zone};
use tsig::{Algorithm, Key};

const ALL_TYPES: &str = include_str!("../../../../tests/e2e/fixtures/zones/alltypes.test");
const NOW: u64 = 1_700_000_000;

fn n(s: &str) -> Name {
    s.parse().unwrap()
}

fn key() -> Key {
    Key::new(
        n("10.0.0.1.10.0.0.2._transfer.alltypes.test."),
        Algorithm::HmacSha256,
        vec![5; 32],
    )
}

#[test]
fn axfr_then_print_is_unchanged() {
    let (zone, _) = Zone::parse(ALL_TYPES.as_bytes(), n("alltypes.test.")).unwrap();
    let mut keys = KeyStore::new();
    keys.insert(key());
    let (mut client, request) = XfrClient::axfr(n("alltypes.test."), 7, None, Some(&key()), NOW);
    let Handled::Transfer(mut transfer) = handle(&request, NOW, Transport::Tcp, &keys, |name| {
        (name == zone.origin()).then_some((&zone, None))
    }) else {
        panic!("no transfer");
    };
    let mut messages = Vec::new();
    while let Some(m) = transfer.next_message(NOW) {
        messages.push(m);
    }
    let mut outcome = None;
    for m in &messages {
        if let Progress::Done(o) = client.handle_message(m, NOW).unwrap() {
            outcome = Some(o);
        }
    }
    let Some(Outcome::Full(got)) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(got, zone);
    assert_eq!(print_zone(&got), print_zone(&zone));
}
