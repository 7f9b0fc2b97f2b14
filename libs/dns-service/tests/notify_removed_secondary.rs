//! Removing a secondary's transfer key stops the NOTIFYs to it that are
//! still being retried (issue 12 §1: "removing the key and notifying again
//! did not help"), while the other secondary's retries go on. Runs the
//! service on the host-process stack over loopback, on the real clock.

use dns_server::catalog::Catalog;
use dns_service::{load_keys, DnsService, ServiceConfig, ZoneFile, ZoneSet};
use netstack::{OsStack, Poll, Service, Sockets};
use std::net::UdpSocket;
use std::time::Duration;

const ZONE: &str =
    "$TTL 300\n@ SOA ns.example.net. hostmaster 1 7200 3600 1209600 300\n@ NS ns.example.net.\n";
const SECRET: &str = "xzyoukAHZxArnGzChaWHOSXn0OD5uY/TiF7MVz3KjvI=";

fn files(secondaries: &[&str]) -> Vec<ZoneFile> {
    let keys: String = secondaries
        .iter()
        .map(|ip| format!("127.0.0.1.{ip}._transfer.example.com. DNSKEY 0 3 163 {SECRET}\n"))
        .collect();
    vec![
        ZoneFile {
            name: "_keys".into(),
            contents: keys.into_bytes(),
        },
        ZoneFile {
            name: "example.com".into(),
            contents: ZONE.as_bytes().to_vec(),
        },
    ]
}

fn log(_: core::fmt::Arguments<'_>) {}

/// Polls the service; at `remove_at` the keys lose 127.0.0.3; stops at `end`.
struct Scenario {
    dns: DnsService,
    removed: bool,
}

const REMOVE_AT: Duration = Duration::from_millis(300);
/// After the first retransmission (2 s after the first NOTIFY).
const END: Duration = Duration::from_millis(3_000);

impl Service for Scenario {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        let now = Duration::from_nanos(net.now().0);
        if now >= END {
            return Poll::Exit(0);
        }
        if now >= REMOVE_AT && !self.removed {
            self.removed = true;
            self.dns
                .replace_keys(load_keys(&files(&["127.0.0.2"])).0, net.unix_time());
        }
        let wanted = match self.dns.poll(net) {
            Poll::Until(deadline) => deadline,
            exit => return exit,
        };
        let next = if self.removed { END } else { REMOVE_AT };
        let next = netstack::Instant(next.as_nanos() as u64);
        Poll::Until(Some(wanted.map_or(next, |w| w.min(next))))
    }
}

fn count(socket: &UdpSocket) -> usize {
    let mut buf = [0u8; 1024];
    let mut n = 0;
    while socket.recv_from(&mut buf).is_ok() {
        n += 1;
    }
    n
}

#[test]
fn a_removed_secondary_is_no_longer_notified() {
    let kept = UdpSocket::bind("127.0.0.2:0").expect("bind");
    let port = kept.local_addr().expect("address").port();
    let removed = UdpSocket::bind(("127.0.0.3", port)).expect("bind");
    for socket in [&kept, &removed] {
        socket.set_nonblocking(true).expect("non-blocking");
    }
    let config = ServiceConfig {
        notify_port: port,
        ..ServiceConfig::default()
    };
    let mut dns = DnsService::new(Catalog::new(), config, log);
    dns.set_own_addresses(vec!["127.0.0.1".parse().expect("address")]);
    let both = files(&["127.0.0.2", "127.0.0.3"]);
    dns.replace_keys(load_keys(&both).0, 0);
    let report = dns.reload(&mut ZoneSet::new(), &both);
    assert_eq!(report.loaded.len(), 1, "{:?}", report.errors);
    let mut stack = OsStack::new(Some("127.0.0.1:0".parse().expect("address"))).expect("stack");
    let mut scenario = Scenario {
        dns,
        removed: false,
    };
    assert_eq!(stack.run(&mut scenario).expect("runs"), 0);
    assert_eq!(count(&kept), 2, "first NOTIFY and one retransmission");
    assert_eq!(count(&removed), 1, "the first NOTIFY only");
}
