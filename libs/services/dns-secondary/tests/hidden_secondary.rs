//! A hidden secondary and our primary on two smoltcp stacks joined by a
//! simulated Ethernet wire, on a simulated clock. The wire is a NAT as
//! seen from the primary: nothing reaches the secondary by UDP, and the
//! secondary's key names an address the primary cannot reach it at
//! (192.0.2.77), so the primary's usual NOTIFYs never arrive. What does
//! arrive comes on the TCP connection the secondary keeps open (issue 14
//! item 5, the OCaml-DNS behaviour). The secondary runs inside an
//! embedding service that also uses sockets of its own, as the
//! letsencrypt unikernel will.

extern crate alloc;

use alloc::collections::VecDeque;
use core::cell::RefCell;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;

use dns_keys::KeyStore;
use dns_secondary::{sooner, zones_from_keys, Secondary, SecondaryConfig};
use dns_server::catalog::Catalog;
use dns_service::{DnsService, ServiceConfig};
use dns_xfr::Limits;
use dns_zone::{Name, Zone};
use netstack::{Instant, IpConfig, Poll, Service, SmolStack, Sockets, StackConfig, UdpHandle};
use smoltcp::phy::{self, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant as SmolInstant;

const NOW: u64 = 1_700_000_000;
const STEP: Duration = Duration::from_millis(10);
const KEY: &str =
    "10.53.0.1.192.0.2.77._transfer.example.com:SHA256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
/// Where the embedder reports the zones it saw change (a socket of its
/// own, on the primary's side of the wire).
const REPORT: &str = "10.53.0.1:9999";

thread_local! {
    /// The secondary's log lines (each test runs on a thread of its own).
    static LOG: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn log(args: core::fmt::Arguments<'_>) {
    LOG.with(|lines| lines.borrow_mut().push(args.to_string()));
}

fn quiet(_: core::fmt::Arguments<'_>) {}

fn logged(text: &str) -> bool {
    LOG.with(|lines| lines.borrow().iter().any(|l| l.contains(text)))
}

fn name(text: &str) -> Name {
    text.parse().expect("a name")
}

fn zone(serial: u32) -> Zone {
    zone_of("example.com.", serial)
}

fn zone_of(apex: &str, serial: u32) -> Zone {
    // Refresh an hour: no timer refreshes the zone within these tests.
    let text = format!(
        "$TTL 300\n@ SOA ns hostmaster {serial} 3600 600 86400 300\n@ NS ns\nns A 10.53.0.1\nv TXT \"version {serial}\"\n"
    );
    Zone::parse(text.as_bytes(), name(apex)).expect("a zone").0
}

/// One end of the wire.
#[derive(Default)]
struct Port {
    sent: Vec<Vec<u8>>,
    inbox: VecDeque<Vec<u8>>,
}

struct Rx(Vec<u8>);
struct Tx<'a>(&'a mut Vec<Vec<u8>>);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut frame = vec![0; len];
        let result = f(&mut frame);
        self.0.push(frame);
        result
    }
}

impl Device for Port {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _: SmolInstant) -> Option<(Rx, Tx<'_>)> {
        let frame = self.inbox.pop_front()?;
        Some((Rx(frame), Tx(&mut self.sent)))
    }

    fn transmit(&mut self, _: SmolInstant) -> Option<Tx<'_>> {
        Some(Tx(&mut self.sent))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = 1514;
        caps
    }
}

/// Whether an Ethernet frame carries IPv4 UDP.
fn is_udp(frame: &[u8]) -> bool {
    frame.get(12..14) == Some(&[0x08, 0x00]) && frame.get(14 + 9) == Some(&17)
}

/// The secondary inside a service of the embedder's, which reports every
/// zone change from a UDP socket of its own.
struct Embedder {
    secondary: Secondary,
    report: Option<UdpHandle>,
    /// (zone, serial) of every change seen.
    seen: Vec<(Name, u32)>,
    /// What the secondary asked for at its last poll.
    wanted: Poll,
}

impl Service for Embedder {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        let wanted = self.secondary.poll(net);
        self.wanted = wanted;
        let socket = match self.report {
            Some(socket) => socket,
            None => *self
                .report
                .insert(net.udp_bind(0).expect("the embedder's own socket")),
        };
        for apex in self.secondary.take_changed_zones() {
            let serial = self
                .secondary
                .zone(&apex)
                .expect("a changed zone is held")
                .serial()
                .0;
            let line = format!("{} {serial}", apex.to_ascii());
            let to: SocketAddr = REPORT.parse().expect("address");
            net.udp_send(socket, to, line.as_bytes())
                .expect("the report is sent");
            self.seen.push((apex, serial));
        }
        sooner(wanted, Poll::Until(None))
    }
}

struct Pair {
    primary_stack: SmolStack<Port>,
    primary: DnsService,
    secondary_stack: SmolStack<Port>,
    embedder: Embedder,
    now: Instant,
    /// The link is down: every frame is lost.
    cut: bool,
    /// The NAT: no UDP reaches the secondary.
    nat: bool,
    report: UdpHandle,
}

impl Pair {
    fn new(hidden: bool) -> Pair {
        Pair::with_key(KEY, hidden)
    }

    fn with_key(key: &str, hidden: bool) -> Pair {
        let now = Instant(0);
        let stack = |ip: &str, last: u8| {
            let ip = IpConfig {
                ipv4: Some(ip.parse().expect("cidr")),
                ..IpConfig::default()
            };
            let mut stack = SmolStack::new(
                Port::default(),
                [2, 0, 0, 0, 0x53, last],
                &ip,
                StackConfig::default(),
                u64::from(last),
                now,
            );
            stack.set_unix_time(NOW);
            stack
        };
        let mut primary_stack = stack("10.53.0.1/24", 1);
        let secondary_stack = stack("10.53.0.2/24", 2);
        let warned = key.contains("192.0.2.77");
        let key = dns_keys::parse_cli_key(key).expect("a key");
        let mut keys = KeyStore::new();
        keys.insert(key);
        let mut catalog = Catalog::new();
        catalog.insert(zone(1));
        catalog.insert(zone_of("example.org.", 1));
        let mut primary = DnsService::new(catalog, ServiceConfig::default(), quiet);
        primary.set_keys(keys.clone(), 1, vec!["10.53.0.1".parse().unwrap()]);
        let ours = ["10.53.0.2".parse().unwrap()];
        let sources = zones_from_keys(&keys, 53, &ours).expect("the key names a zone");
        assert_eq!(
            sources.warnings.len(),
            usize::from(warned),
            "192.0.2.77 is not ours"
        );
        let config = SecondaryConfig {
            zones: sources.zones,
            roots: sources.roots,
            keys,
            limits: Limits::NONE,
            hidden,
        };
        let dns = DnsService::new(Catalog::new(), ServiceConfig::default(), log);
        let secondary = Secondary::new(dns, config, ours.to_vec(), 7);
        let report = primary_stack.udp_bind(9999).expect("the report socket");
        Pair {
            primary_stack,
            primary,
            secondary_stack,
            embedder: Embedder {
                secondary,
                report: None,
                seen: Vec::new(),
                wanted: Poll::Until(None),
            },
            now,
            cut: false,
            nat: true,
            report,
        }
    }

    /// Moves the frames each side sent to the other (NAT: no UDP in).
    fn carry(&mut self) {
        let to_secondary = core::mem::take(&mut self.primary_stack.device_mut().sent);
        let to_primary = core::mem::take(&mut self.secondary_stack.device_mut().sent);
        if self.cut {
            return;
        }
        let inbox = &mut self.secondary_stack.device_mut().inbox;
        let nat = self.nat;
        inbox.extend(to_secondary.into_iter().filter(|f| !(nat && is_udp(f))));
        self.primary_stack.device_mut().inbox.extend(to_primary);
    }

    fn step_by(&mut self, step: Duration) {
        self.now = self.now.after(step);
        self.primary_stack.poll_network(self.now);
        let _ = self.primary.poll(&mut self.primary_stack);
        self.primary_stack.poll_network(self.now);
        self.carry();
        self.secondary_stack.poll_network(self.now);
        let _ = self.embedder.poll(&mut self.secondary_stack);
        self.secondary_stack.poll_network(self.now);
        self.carry();
    }

    /// Runs until `done` holds, for at most `limit`; whether it held.
    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Pair) -> bool) -> bool {
        let end = self.now.after(limit);
        while self.now < end {
            if done(self) {
                return true;
            }
            self.step_by(STEP);
        }
        done(self)
    }

    /// Runs for `time` in steps of a second (long quiet spans).
    fn idle_for(&mut self, time: Duration) {
        let end = self.now.after(time);
        while self.now < end {
            self.step_by(Duration::from_secs(1));
            // Let the round trips of this second finish.
            for _ in 0..5 {
                self.step_by(STEP);
            }
        }
    }

    fn serial(&self) -> Option<u32> {
        self.serial_of("example.com.")
    }

    fn serial_of(&self, apex: &str) -> Option<u32> {
        self.embedder
            .secondary
            .zone(&name(apex))
            .map(|z| z.serial().0)
    }

    /// The secondary, idle, wants to be polled later than now (not at once,
    /// which would spin the event loop).
    fn assert_idle(&self) {
        match self.embedder.wanted {
            Poll::Until(Some(at)) => assert!(at > self.now, "{at:?} is not after {:?}", self.now),
            other => panic!("{other:?}"),
        }
    }

    /// The primary's subscribers on a TCP connection from the secondary.
    fn channels(&self) -> usize {
        self.primary
            .subscribers()
            .iter()
            .filter(|s| s.over_tcp && s.peer.ip() == "10.53.0.2".parse::<IpAddr>().unwrap())
            .count()
    }

    fn change(&mut self, serial: u32) {
        let now = self.now;
        self.primary.install_zone(zone(serial), now);
    }

    /// The embedder's reports that reached the primary's side.
    fn reports(&mut self) -> Vec<String> {
        let mut buf = [0u8; 512];
        let mut out = Vec::new();
        while let Ok(Some((len, _))) = self.primary_stack.udp_recv(self.report, &mut buf) {
            out.push(String::from_utf8_lossy(&buf[..len]).into_owned());
        }
        out
    }
}

/// Loaded at boot (AXFR), subscribed on the kept connection, which lives
/// past the primary's 10 s TCP idle timeout; a change is NOTIFYed on it
/// and transferred, and the embedder reads the new zone and reports it
/// from its own socket. Ten quiet minutes later (keepalives only), the
/// channel still carries the next change.
#[test]
fn a_hidden_secondary_hears_of_a_change_on_its_kept_connection() {
    let mut pair = Pair::new(true);
    assert!(
        pair.run_until(Duration::from_secs(10), |p| p.serial() == Some(1)
            && p.embedder.secondary.channels_up()
            && p.channels() == 1)
    );
    pair.idle_for(Duration::from_secs(30));
    assert_eq!(pair.channels(), 1, "the channel outlived the idle timeout");
    pair.change(2);
    assert!(
        pair.run_until(Duration::from_secs(10), |p| p.serial() == Some(2)),
        "the change arrived"
    );
    assert!(logged(
        "example.com.: NOTIFY from 10.53.0.1:53 on the kept connection"
    ));
    let v2 = pair.embedder.secondary.zone(&name("example.com.")).unwrap();
    assert_eq!(v2, &zone(2), "the whole zone, as the primary has it");
    pair.run_until(Duration::from_millis(200), |_| false);
    assert_eq!(pair.reports(), ["example.com. 1", "example.com. 2"]);
    assert_eq!(
        pair.embedder.seen,
        [(name("example.com."), 1), (name("example.com."), 2)]
    );

    pair.idle_for(Duration::from_secs(600));
    assert_eq!(pair.channels(), 1, "kept alive, one subscription");
    pair.assert_idle();
    pair.change(3);
    assert!(pair.run_until(Duration::from_secs(10), |p| p.serial() == Some(3)));
}

/// The same secondary without hidden mode: the primary's NOTIFY goes to
/// the address its key names and never arrives, so the change waits for
/// the refresh timer (an hour). What the hidden test sees is the channel.
#[test]
fn without_hidden_mode_the_change_waits_for_the_refresh_timer() {
    let mut pair = Pair::new(false);
    assert!(pair.run_until(Duration::from_secs(10), |p| p.serial() == Some(1)));
    pair.change(2);
    pair.idle_for(Duration::from_secs(60));
    assert_eq!(pair.serial(), Some(1));
    assert_eq!(pair.channels(), 0);
}

/// The link goes down for longer than a keepalive: the unanswered SOA
/// query marks the kept connection dead, and attempts to make it again
/// fail until the link is back; then the secondary reconnects, subscribes
/// again, and the next change arrives on the new connection.
#[test]
fn a_dropped_kept_connection_is_made_again() {
    let mut pair = Pair::new(true);
    assert!(
        pair.run_until(Duration::from_secs(10), |p| p.serial() == Some(1)
            && p.embedder.secondary.channels_up())
    );
    pair.cut = true;
    pair.idle_for(Duration::from_secs(90));
    assert!(!pair.embedder.secondary.channels_up(), "noticed the loss");
    assert!(logged("an SOA query got no answer within 10 s"));
    pair.cut = false;
    // Backoff: 5 s, then 10 s, 20 s, ... at most 300 s between attempts.
    let mut up = false;
    for _ in 0..400 {
        pair.idle_for(Duration::from_secs(1));
        if pair.embedder.secondary.channels_up() {
            up = true;
            break;
        }
    }
    assert!(up, "connected again");
    pair.change(2);
    assert!(pair.run_until(Duration::from_secs(10), |p| p.serial() == Some(2)));
    assert!(logged(
        "example.com.: NOTIFY from 10.53.0.1:53 on the kept connection"
    ));
}

/// With a root key (`<primary>.<secondary>._transfer.`), the kept
/// connection carries the SOA query for the root: the primary NOTIFYs
/// every zone on it, the secondary follows both, and a later change of
/// one arrives the same way. No subscription goes over a connection of
/// its own (the primary's NOTIFYs to such would go nowhere).
#[test]
fn a_hidden_secondary_with_a_root_key_follows_every_zone() {
    let root = "10.53.0.1.192.0.2.77._transfer.:SHA256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
    let mut pair = Pair::with_key(root, true);
    assert!(pair.run_until(Duration::from_secs(20), |p| {
        p.serial_of("example.com.") == Some(1) && p.serial_of("example.org.") == Some(1)
    }));
    // The refreshes' own connections subscribed too, until they closed.
    assert!(
        pair.run_until(Duration::from_secs(1), |p| p.channels() == 1),
        "one subscription left, for the root"
    );
    assert!(logged("a new zone of 10.53.0.1:53"));
    pair.idle_for(Duration::from_secs(120));
    pair.assert_idle();
    let now = pair.now;
    pair.primary.install_zone(zone_of("example.org.", 2), now);
    assert!(
        pair.run_until(Duration::from_secs(10), |p| p.serial_of("example.org.")
            == Some(2))
    );
    assert!(logged(
        "example.org.: NOTIFY from 10.53.0.1:53 on the kept connection"
    ));
    for line in [
        "took our SOA query for the root",
        "SOA query for the root to",
    ] {
        assert!(!logged(line), "no subscription on a connection of its own");
    }
}

/// Not hidden, with a root key naming the secondary's real address and no
/// NAT (the OCaml-DNS deployment, and `secondary_keys.rs` in the e2e
/// tests): the subscription goes on a connection of its own, closed at
/// once; the NOTIFYs of every zone the primary queued on it go to the
/// secondary's DNS port instead, and it follows both zones.
#[test]
fn a_root_key_subscription_on_a_closed_connection_is_notified_by_udp() {
    let root = "10.53.0.1.10.53.0.2._transfer.:SHA256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
    let mut pair = Pair::with_key(root, false);
    pair.nat = false;
    assert!(pair.run_until(Duration::from_secs(20), |p| {
        p.serial_of("example.com.") == Some(1) && p.serial_of("example.org.") == Some(1)
    }));
    assert!(logged("took our SOA query for the root"));
    assert!(logged("a new zone of 10.53.0.1:53"));
    pair.assert_idle();
}
