//! The message path: any bytes as a query over UDP and over TCP (through
//! the RFC 7766 framer, in two pieces) to an engine serving the example
//! zones and the differential corpus, and to a query worker's path
//! (`--workers`), which must answer as the engine does or hand the message
//! to the service. Never a panic; a response is always a well-formed
//! header with the query's ID, within the UDP limit.
#![no_main]

use dns_server::{Catalog, Server, TcpFramer, Transport};
use dns_service::worker::{answer_stateless, Stateless};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// (origin, master file) of the zones served.
const ZONES: &[(&str, &[u8])] = &[
    ("example.com.", include_bytes!("../../zones-example/example.com")),
    ("example.org.", include_bytes!("../../zones-example/example.org")),
    ("wild.test.", include_bytes!("../../tests/e2e/fixtures/zones/wild.test")),
    ("deleg.test.", include_bytes!("../../tests/e2e/fixtures/zones/deleg.test")),
    ("child.deleg.test.", include_bytes!("../../tests/e2e/fixtures/zones/child.deleg.test")),
    ("chains.test.", include_bytes!("../../tests/e2e/fixtures/zones/chains.test")),
    ("big.test.", include_bytes!("../../tests/e2e/fixtures/zones/big.test")),
    ("case.test.", include_bytes!("../../tests/e2e/fixtures/zones/case.test")),
];

fn server() -> &'static Server {
    static SERVER: OnceLock<Server> = OnceLock::new();
    SERVER.get_or_init(|| {
        let mut catalog = Catalog::new();
        for (origin, text) in ZONES {
            let origin = origin.parse().expect("origin");
            let (zone, _) = dns_zone::Zone::parse(text, origin).expect("corpus zones are valid");
            catalog.insert(zone);
        }
        Server::new(catalog)
    })
}

fn check(query: &[u8], response: Option<Vec<u8>>, udp: bool) {
    let Some(r) = response else { return };
    assert!(r.len() >= 12, "a response has a header");
    assert_eq!(r[..2], query[..2], "the query's ID");
    assert_eq!(r[2] & 0x80, 0x80, "QR set");
    if udp {
        assert!(r.len() <= 1232, "UDP responses fit our payload size");
    }
}

fuzz_target!(|data: &[u8]| {
    let s = server();
    let udp = s.handle(data, Transport::Udp);
    match answer_stateless(s, data) {
        Stateless::Answer(answer) => assert_eq!(Some(answer), udp, "a worker answers as the engine"),
        Stateless::Nothing => assert_eq!(udp, None, "a worker drops what the engine drops"),
        Stateless::ForService => {}
    }
    check(data, udp, true);
    check(data, s.handle(data, Transport::Tcp), false);
    // The same bytes as a TCP stream, in two pieces.
    let mut framer = TcpFramer::new(65535);
    let cut = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    framer.push(&data[..cut]);
    framer.push(&data[cut..]);
    while let Ok(Some(msg)) = framer.next_message() {
        check(&msg, s.handle(&msg, Transport::Tcp), false);
    }
});
