//! Query workers: more threads answering UDP queries (the host-process
//! build's `--workers`, see the `query-workers` crate). Each has a socket
//! of its own bound to the served address (`SO_REUSEPORT`, the queries
//! spread among the workers at random) and answers plain queries from a
//! snapshot of the engine; whatever needs the
//! service's state — UPDATE, NOTIFY, transfers, signed queries (TSIG
//! replay window, NOTIFY subscriptions), the root SOA of a subscription —
//! it hands to the [`crate::DnsService`], which answers it from its own
//! socket, with the same source address.
//!
//! A worker is a [`Service`] like the others, so it runs on any
//! [`Sockets`] and is tested in process.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::SocketAddr;

use dns_server::{Server, Transport};
use netstack::{Poll, Service, Sockets, UdpHandle};

use crate::service::{answer_unsigned, needs_control};

/// What a worker does with a received message.
#[derive(Debug, PartialEq, Eq)]
pub enum Stateless {
    /// Send this answer.
    Answer(Vec<u8>),
    /// Send nothing (a response, a message shorter than a header).
    Nothing,
    /// The service must handle it (see the module documentation).
    ForService,
}

/// Answers `msg` from `server` if no state of the service is involved:
/// as the service answers it (the same code), or not at all.
pub fn answer_stateless(server: &Server, msg: &[u8]) -> Stateless {
    if needs_control(msg) {
        return Stateless::ForService;
    }
    match answer_unsigned(server, msg, Transport::Udp) {
        Some(Some(answer)) => Stateless::Answer(answer),
        Some(None) => Stateless::Nothing,
        // Possibly signed, or malformed with records the TSIG code reads.
        None => Stateless::ForService,
    }
}

/// Messages a worker handles per poll before it lets its stack look at
/// other sockets (it is polled again at once while there is more).
const MESSAGES_PER_POLL: usize = 256;

/// One query worker: binds UDP `port`, answers from the engine `snapshot`
/// gives (asked once per poll), passes the rest to `to_service`.
pub struct QueryWorker<S, F> {
    port: u16,
    udp: Option<UdpHandle>,
    snapshot: S,
    to_service: F,
    buf: Vec<u8>,
}

impl<S, F> QueryWorker<S, F>
where
    S: FnMut() -> Arc<Server>,
    F: FnMut(SocketAddr, &[u8]),
{
    /// A worker for `port`.
    pub fn new(port: u16, snapshot: S, to_service: F) -> Self {
        Self {
            port,
            udp: None,
            snapshot,
            to_service,
            buf: alloc::vec![0; 65_535],
        }
    }
}

impl<S, F> Service for QueryWorker<S, F>
where
    S: FnMut() -> Arc<Server>,
    F: FnMut(SocketAddr, &[u8]),
{
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        let udp = match self.udp {
            Some(udp) => udp,
            None => match net.udp_bind(self.port) {
                Ok(udp) => *self.udp.insert(udp),
                // The service binds the same port and reports the error.
                Err(_) => return Poll::Exit(1),
            },
        };
        let server = (self.snapshot)();
        for _ in 0..MESSAGES_PER_POLL {
            let Ok(Some((len, from))) = net.udp_recv(udp, &mut self.buf) else {
                break;
            };
            let msg = &self.buf[..len];
            match answer_stateless(&server, msg) {
                Stateless::Answer(answer) => {
                    // A full transmit queue drops the answer; the client retries.
                    let _ = net.udp_send(udp, from, &answer);
                }
                Stateless::Nothing => {}
                Stateless::ForService => (self.to_service)(from, msg),
            }
        }
        Poll::Until(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dns_server::Catalog;

    fn server() -> Server {
        let text =
            b"$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n NS ns\nns A 192.0.2.1\n";
        let (zone, _) = dns_zone::Zone::parse(text, "example.com.".parse().unwrap()).unwrap();
        let mut catalog = Catalog::new();
        catalog.insert(zone);
        Server::new(catalog)
    }

    fn query(flags: u16, name: &[u8], qtype: u16, additional: &[u8], arcount: u16) -> Vec<u8> {
        let mut q = alloc::vec![0x12, 0x34];
        q.extend_from_slice(&flags.to_be_bytes());
        q.extend_from_slice(&[0, 1, 0, 0, 0, 0]);
        q.extend_from_slice(&arcount.to_be_bytes());
        q.extend_from_slice(name);
        q.extend_from_slice(&qtype.to_be_bytes());
        q.extend_from_slice(&[0, 1]);
        q.extend_from_slice(additional);
        q
    }

    const NS_NAME: &[u8] = b"\x02ns\x07example\x03com\x00";

    #[test]
    fn plain_queries_are_answered_as_the_engine_answers_them() {
        let server = server();
        let q = query(0x0100, NS_NAME, 1, &[], 0);
        assert_eq!(
            answer_stateless(&server, &q),
            Stateless::Answer(server.handle(&q, Transport::Udp).unwrap())
        );
        // EDNS (an OPT record) is no reason to pass it on.
        let opt = [0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0];
        let q = query(0, NS_NAME, 1, &opt, 1);
        assert!(matches!(
            answer_stateless(&server, &q),
            Stateless::Answer(_)
        ));
        // Malformed: FORMERR from the engine, no state involved.
        let q = query(0, b"\x02ns", 1, &[], 0);
        assert!(matches!(
            answer_stateless(&server, &q),
            Stateless::Answer(_)
        ));
        assert_eq!(answer_stateless(&server, &[0; 5]), Stateless::Nothing);
    }

    #[test]
    fn what_needs_the_service_goes_to_it() {
        let server = server();
        let update = query(5 << 11, b"\x07example\x03com\x00", 6, &[], 0);
        let notify = query(4 << 11, b"\x07example\x03com\x00", 6, &[], 0);
        let response = query(0x8000, NS_NAME, 1, &[], 0);
        let axfr = query(0, b"\x07example\x03com\x00", 252, &[], 0);
        let ixfr = query(0, b"\x07example\x03com\x00", 251, &[], 0);
        let root_soa = query(0, b"\x00", 6, &[], 0);
        // A TSIG record (its content is the service's to check).
        let mut tsig = b"\x03key\x00".to_vec();
        tsig.extend_from_slice(&[0, 250, 0, 255, 0, 0, 0, 0, 0, 0]);
        let signed = query(0, NS_NAME, 1, &tsig, 1);
        // An additional record cut short: the service's TSIG code reads it.
        let cut_short = query(0, NS_NAME, 1, b"\x03key", 1);
        for (what, msg) in [
            ("UPDATE", update),
            ("NOTIFY", notify),
            ("a response", response),
            ("AXFR", axfr),
            ("IXFR", ixfr),
            ("root SOA", root_soa),
            ("signed", signed),
            ("malformed additional section", cut_short),
        ] {
            assert_eq!(
                answer_stateless(&server, &msg),
                Stateless::ForService,
                "{what}"
            );
        }
    }
}
