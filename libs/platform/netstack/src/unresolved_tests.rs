//! A neighbour that never answers ARP/NDP must cost the others nothing
//! (issue 12 §1): datagrams to live hosts leave at once, from the same
//! socket or any other, and the dead one is given up after a few probes.

use crate::api::{Instant, NetError, Sockets, StackConfig};
use crate::config::{Cidr, IpConfig};
use crate::fake_lan::{classify, FakeLan, Seen};
use crate::SmolStack;
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;

const OURS_V4: &str = "10.53.0.2";
const LIVE_V4: &str = "10.53.0.3";
const LIVE2_V4: &str = "10.53.0.4";
const DEAD_V4: &str = "10.53.0.9";
const OURS_V6: &str = "fd00:53::2";
const LIVE_V6: &str = "fd00:53::3";
const DEAD_V6: &str = "fd00:53::9";
const STEP: Duration = Duration::from_millis(10);

fn ip(text: &str) -> IpAddr {
    text.parse().expect("address")
}

fn dns(text: &str) -> SocketAddr {
    SocketAddr::new(ip(text), 53)
}

/// Our stack on a segment where the hosts in `up` answer and every other
/// address is silent.
struct Segment {
    stack: SmolStack<FakeLan>,
    now: Instant,
    up: Vec<IpAddr>,
    seen: Vec<(Instant, Seen)>,
}

impl Segment {
    fn new(up: &[&str]) -> Segment {
        let ip_config = IpConfig {
            ipv4: Some(Cidr {
                address: ip(OURS_V4),
                prefix_len: 24,
            }),
            ipv4_gateway: None,
            ipv6: Some(Cidr {
                address: ip(OURS_V6),
                prefix_len: 64,
            }),
            ipv6_gateway: None,
        };
        let now = Instant(1_000_000_000);
        Segment {
            stack: SmolStack::new(
                FakeLan::default(),
                [2, 0, 0, 0, 0, 2],
                &ip_config,
                StackConfig::default(),
                7,
                now,
            ),
            now,
            up: up.iter().map(|a| ip(a)).collect(),
            seen: Vec::new(),
        }
    }

    /// Polls the stack at the current time until the wire is quiet, the
    /// live neighbours answering what is asked of them.
    fn poll(&mut self) {
        for _ in 0..16 {
            self.stack.poll_network(self.now);
            let frames = core::mem::take(&mut self.stack.device_mut().sent);
            if frames.is_empty() {
                return;
            }
            for frame in frames {
                let (seen, answer) = classify(&frame, &self.up);
                self.seen.push((self.now, seen));
                if let Some(answer) = answer {
                    self.stack.device_mut().inbox.push_back(answer);
                }
            }
        }
    }

    /// Runs for `duration` of simulated time in small steps.
    fn run_for(&mut self, duration: Duration) {
        let until = self.now.after(duration);
        while self.now < until {
            self.now = self.now.after(STEP);
            self.poll();
        }
    }

    /// When the first UDP datagram to `to` went out.
    fn first_udp_to(&self, to: &str) -> Option<Instant> {
        let to = ip(to);
        self.seen
            .iter()
            .find(|(_, s)| *s == Seen::Udp(to))
            .map(|(at, _)| *at)
    }

    fn udp_count(&self, to: &str) -> usize {
        let to = ip(to);
        self.seen
            .iter()
            .filter(|(_, s)| *s == Seen::Udp(to))
            .count()
    }

    fn asked(&self, for_: &str) -> usize {
        let for_ = ip(for_);
        self.seen
            .iter()
            .filter(|(_, s)| *s == Seen::Asked(for_))
            .count()
    }
}

/// One socket, a datagram to a dead host queued first: the datagram to
/// the live host behind it still leaves at once (smoltcp alone keeps the
/// socket's ring stuck at its head for ever).
#[test]
fn a_dead_neighbour_does_not_hold_up_the_same_socket() {
    for (dead, live) in [(DEAD_V4, LIVE_V4), (DEAD_V6, LIVE_V6)] {
        let mut lan = Segment::new(&[live]);
        let socket = lan.stack.udp_bind(0).expect("bind");
        let start = lan.now;
        lan.stack
            .udp_send(socket, dns(dead), b"to dead")
            .expect("queued");
        lan.stack
            .udp_send(socket, dns(live), b"to live")
            .expect("queued");
        lan.run_for(Duration::from_millis(200));
        let sent = lan.first_udp_to(live);
        assert!(
            sent.is_some_and(|at| at.since(start) < Duration::from_millis(50)),
            "{live}: datagram left at {sent:?}, started at {start:?}"
        );
    }
}

/// Two sockets: one keeps sending to a dead host (its neighbour discovery
/// going on), the other starts talking to a live host that is not yet in
/// the neighbour cache. smoltcp rate-limits discovery for the whole
/// interface, so the dead one's ARPs can starve the live one's.
#[test]
fn a_dead_neighbour_does_not_starve_discovery_of_others() {
    let mut lan = Segment::new(&[LIVE_V4, LIVE2_V4]);
    let to_dead = lan.stack.udp_bind(0).expect("bind");
    let to_live = lan.stack.udp_bind(0).expect("bind");
    for round in 0..6u32 {
        let _ = lan.stack.udp_send(to_dead, dns(DEAD_V4), b"to dead");
        lan.run_for(Duration::from_millis(250));
        let live = if round % 2 == 0 { LIVE_V4 } else { LIVE2_V4 };
        let asked_at = lan.now;
        let before = lan.udp_count(live);
        lan.stack
            .udp_send(to_live, dns(live), b"to live")
            .expect("queued");
        lan.run_for(Duration::from_millis(100));
        assert_eq!(
            lan.udp_count(live),
            before + 1,
            "round {round}: the datagram to {live} queued at {asked_at:?} did not leave within 100 ms"
        );
        lan.run_for(Duration::from_millis(150));
    }
}

/// An address nobody answers for is asked a bounded number of times, its
/// datagrams are then dropped, and the stack goes quiet (no deadline, no
/// more ARP) instead of asking once a second for ever.
#[test]
fn an_unresolvable_neighbour_is_given_up() {
    let mut lan = Segment::new(&[LIVE_V4]);
    let socket = lan.stack.udp_bind(0).expect("bind");
    lan.stack
        .udp_send(socket, dns(DEAD_V4), b"x")
        .expect("queued");
    lan.run_for(Duration::from_secs(10));
    let asked = lan.asked(DEAD_V4);
    assert!((1..=3).contains(&asked), "asked {asked} times");
    assert_eq!(lan.udp_count(DEAD_V4), 0);
    assert_eq!(lan.stack.unresolved_drops(), 1);
    assert_eq!(lan.stack.next_deadline(), None, "the stack keeps waking up");
    // A new datagram starts a new (bounded) round of asking.
    lan.stack
        .udp_send(socket, dns(DEAD_V4), b"y")
        .expect("queued");
    lan.run_for(Duration::from_secs(10));
    assert!(lan.asked(DEAD_V4) <= 2 * 3);
    assert_eq!(lan.stack.unresolved_drops(), 2);
}

/// Datagrams waiting for one neighbour are bounded: beyond the bound the
/// caller hears `WouldBlock` at once instead of memory growing.
#[test]
fn datagrams_waiting_for_a_neighbour_are_bounded() {
    let mut lan = Segment::new(&[]);
    let socket = lan.stack.udp_bind(0).expect("bind");
    let results: Vec<_> = (0..1000)
        .map(|_| lan.stack.udp_send(socket, dns(DEAD_V4), b"x"))
        .collect();
    assert!(results.contains(&Ok(())));
    assert!(results.contains(&Err(NetError::WouldBlock)));
}

/// Once resolved, a neighbour is remembered: later datagrams go out with
/// no new question, in the order they were sent.
#[test]
fn a_resolved_neighbour_is_not_asked_again() {
    let mut lan = Segment::new(&[LIVE_V4]);
    let socket = lan.stack.udp_bind(0).expect("bind");
    for _ in 0..5 {
        lan.stack
            .udp_send(socket, dns(LIVE_V4), b"x")
            .expect("queued");
        lan.run_for(Duration::from_millis(100));
    }
    assert_eq!(lan.udp_count(LIVE_V4), 5);
    assert_eq!(lan.asked(LIVE_V4), 1);
}

/// A neighbour that asked for our address is known (smoltcp learned it
/// from the request): answers to it leave with no question of ours. One
/// not heard from for longer than smoltcp keeps it is asked again.
#[test]
fn neighbours_are_learned_from_their_requests_and_forgotten_in_time() {
    let mut lan = Segment::new(&[LIVE_V4]);
    let socket = lan.stack.udp_bind(53).expect("bind");
    let request = crate::neighbor::arp_request(
        crate::fake_lan::mac_of(ip(LIVE_V4)),
        LIVE_V4.parse().expect("v4"),
        OURS_V4.parse().expect("v4"),
    );
    lan.stack.device_mut().inbox.push_back(request);
    lan.poll();
    lan.stack
        .udp_send(socket, dns(LIVE_V4), b"answer")
        .expect("queued");
    lan.poll();
    assert_eq!(lan.udp_count(LIVE_V4), 1);
    assert_eq!(lan.asked(LIVE_V4), 0);
    lan.run_for(crate::neighbor::SMOLTCP_ENTRY_LIFETIME);
    lan.stack
        .udp_send(socket, dns(LIVE_V4), b"later")
        .expect("queued");
    lan.run_for(Duration::from_millis(100));
    assert_eq!(lan.udp_count(LIVE_V4), 2);
    assert_eq!(lan.asked(LIVE_V4), 1);
}

/// The host-process build: the kernel queues per neighbour itself, and a
/// send that fails (here: to port 0) leaves the socket usable for the next.
#[cfg(feature = "std")]
#[test]
fn os_sockets_a_failed_send_does_not_stop_the_next() {
    extern crate std;
    let receiver = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    receiver
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut stack =
        crate::OsStack::new(Some("127.0.0.1:0".parse().expect("address"))).expect("stack");
    let socket = stack.udp_bind(0).expect("bind");
    assert!(stack
        .udp_send(socket, "127.0.0.1:0".parse().expect("address"), b"lost")
        .is_err());
    let to = receiver.local_addr().expect("address");
    stack.udp_send(socket, to, b"delivered").expect("send");
    // Datagrams go out in batches, after each poll of the service.
    stack.flush_udp();
    let mut buf = [0u8; 16];
    let (len, _) = receiver.recv_from(&mut buf).expect("received");
    assert_eq!(&buf[..len], b"delivered");
}
