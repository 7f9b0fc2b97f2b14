//! The zone transfer client: any bytes as the TCP stream of messages
//! answering our AXFR or IXFR (two-octet length, then the message; the
//! ID set to ours so the fuzzer gets past the ID check), unsigned and
//! signed. Never a panic; a completed transfer gives a zone that loads.
#![no_main]

use dns_xfr::{Progress, Transport, XfrClient};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

const NOW: u64 = 1_700_000_000;
const ID: u16 = 0x4242;

fn zone() -> &'static dns_zone::Zone {
    static ZONE: OnceLock<dns_zone::Zone> = OnceLock::new();
    ZONE.get_or_init(|| {
        let text = include_bytes!("../../zones-example/example.com");
        dns_zone::Zone::parse(text, "example.com.".parse().expect("origin"))
            .expect("zones-example is valid")
            .0
    })
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, stream)) = data.split_first() else {
        return;
    };
    let zone = zone();
    let key = tsig::Key::new(
        "k.example.".parse().expect("name"),
        tsig::Algorithm::HmacSha256,
        b"fuzz-secret".to_vec(),
    );
    let key = (mode & 1 == 1).then_some(&key);
    let (mut client, _request) = if mode & 2 == 0 {
        XfrClient::axfr(zone.origin().clone(), ID, None, key, NOW)
    } else {
        XfrClient::ixfr(zone, ID, Transport::Tcp, key, NOW)
    };
    let mut rest = stream;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        let end = (2 + len).min(rest.len());
        let mut msg = rest[2..end].to_vec();
        rest = &rest[end..];
        if msg.len() >= 2 {
            msg[..2].copy_from_slice(&ID.to_be_bytes());
        }
        match client.handle_message(&msg, NOW) {
            Ok(Progress::More) => {}
            Ok(Progress::Done(outcome)) => {
                if let Ok(Some(new)) = outcome.into_zone(Some(zone)) {
                    let text = dns_zone::print_zone(&new);
                    dns_zone::Zone::parse(text.as_bytes(), new.origin().clone())
                        .unwrap_or_else(|e| panic!("a transferred zone does not load: {e:?}"));
                }
                return;
            }
            Err(_) => return,
        }
    }
});
