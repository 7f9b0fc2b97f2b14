//! How the service sends NOTIFYs, on the host-process stack over loopback
//! and the real clock: removing a secondary's transfer key stops the
//! NOTIFYs to it that are still being retried (issue 12 §1: "removing the
//! key and notifying again did not help") while the other secondary's
//! retries go on; message IDs follow the seed the owner gives (§8).

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
    end: Duration,
}

const REMOVE_AT: Duration = Duration::from_millis(300);
/// After the first retransmission (2 s after the first NOTIFY).
const END: Duration = Duration::from_millis(3_000);

impl Service for Scenario {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        let now = Duration::from_nanos(net.now().0);
        if now >= self.end {
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
        let next = if self.removed { self.end } else { REMOVE_AT };
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
    let report = dns.reload(&mut ZoneSet::new(), &mut both.clone());
    assert_eq!(report.loaded.len(), 1, "{:?}", report.errors);
    let mut stack = OsStack::new(Some("127.0.0.1:0".parse().expect("address"))).expect("stack");
    let mut scenario = Scenario {
        dns,
        removed: false,
        end: END,
    };
    assert_eq!(stack.run(&mut scenario).expect("runs"), 0);
    assert_eq!(count(&kept), 2, "first NOTIFY and one retransmission");
    assert_eq!(count(&removed), 1, "the first NOTIFY only");
}

/// The first NOTIFY's message ID with `seed` (the service's only secondary
/// listening on 127.0.0.2).
fn first_notify_id(seed: Option<u64>) -> u16 {
    let secondary = UdpSocket::bind("127.0.0.2:0").expect("bind");
    secondary
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let config = ServiceConfig {
        notify_port: secondary.local_addr().expect("address").port(),
        ..ServiceConfig::default()
    };
    let mut dns = DnsService::new(Catalog::new(), config, log);
    if let Some(seed) = seed {
        dns.seed_notify_ids(seed);
    }
    dns.set_own_addresses(vec!["127.0.0.1".parse().expect("address")]);
    let one = files(&["127.0.0.2"]);
    dns.replace_keys(load_keys(&one).0, 0);
    dns.reload(&mut ZoneSet::new(), &mut one.clone());
    let mut stack = OsStack::new(Some("127.0.0.1:0".parse().expect("address"))).expect("stack");
    let mut scenario = Scenario {
        dns,
        removed: true,
        end: Duration::from_millis(200),
    };
    stack.run(&mut scenario).expect("runs");
    let mut buf = [0u8; 1024];
    let (len, _) = secondary.recv_from(&mut buf).expect("a NOTIFY");
    assert!(len >= 2);
    u16::from_be_bytes([buf[0], buf[1]])
}

/// NOTIFY message IDs follow the seed the owner gives (primary-git passes
/// DRBG output): different seeds, different IDs; the same seed, the same.
#[test]
fn notify_ids_come_from_the_given_seed() {
    let ids: Vec<u16> = [1, 2, 3, 4]
        .into_iter()
        .map(|seed| first_notify_id(Some(seed)))
        .collect();
    assert!(ids.windows(2).any(|w| w[0] != w[1]), "{ids:?}");
    assert_eq!(first_notify_id(Some(7)), first_notify_id(Some(7)));
}
