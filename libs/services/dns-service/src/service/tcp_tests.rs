//! The service on a real smoltcp stack (loopback device, simulated clock),
//! with clients on the same stack: the TCP protections and the streamed
//! transfer, end to end through the socket API.

use super::*;
use crate::subscriptions::SUBSCRIPTION_LIFETIME;
use alloc::format;
use core::net::SocketAddr;
use netstack::{IpConfig, SmolStack, StackConfig};
use smoltcp::phy::{Loopback, Medium};

const NOW: u64 = 1_700_000_000;
const SERVER: &str = "10.53.0.2:53";
/// Simulated time per step.
const STEP: Duration = Duration::from_millis(10);

fn quiet(_: core::fmt::Arguments<'_>) {}

fn name(text: &str) -> Name {
    let mut wire = Vec::new();
    dns_zone::name::parse_name(text.as_bytes(), &Name::root(), &mut wire).expect("name")
}

fn zone(hosts: usize) -> Zone {
    zone_with_serial(1, hosts)
}

fn zone_with_serial(serial: u32, hosts: usize) -> Zone {
    zone_named("example.com.", serial, hosts)
}

fn zone_named(apex: &str, serial: u32, hosts: usize) -> Zone {
    let mut text = format!(
        "$TTL 300\n@ SOA ns hostmaster {serial} 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n",
    );
    for i in 0..hosts {
        text.push_str(&format!(
            "host{i} A 10.{}.{}.{}\nhost{i} TXT \"host number {i}, with some padding text\"\n",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        ));
    }
    Zone::parse(text.as_bytes(), name(apex)).expect("zone").0
}

fn transfer_key() -> tsig::Key {
    tsig::Key::new(
        name("10.53.0.2.10.53.0.3._transfer.example.com."),
        tsig::Algorithm::HmacSha256,
        vec![5; 32],
    )
}

struct Harness {
    stack: SmolStack<Loopback>,
    service: DnsService,
    now: netstack::Instant,
}

impl Harness {
    fn new(config: ServiceConfig, hosts: usize) -> Harness {
        let ip = IpConfig {
            ipv4: Some("10.53.0.2/24".parse().expect("cidr")),
            ..IpConfig::default()
        };
        let now = netstack::Instant(0);
        let mut stack = SmolStack::new(
            Loopback::new(Medium::Ethernet),
            [2, 0, 0, 0, 0, 2],
            &ip,
            StackConfig::default(),
            7,
            now,
        );
        stack.set_unix_time(NOW);
        let mut catalog = Catalog::new();
        catalog.insert(zone(hosts));
        let mut service = DnsService::new(catalog, config, quiet);
        let mut keys = KeyStore::new();
        keys.insert(transfer_key());
        service.set_keys(keys, 1, Vec::new());
        let mut harness = Harness {
            stack,
            service,
            now,
        };
        harness.step();
        harness
    }

    /// One step of the simulated clock: frames, then the service.
    fn step(&mut self) {
        self.now = self.now.after(STEP);
        self.stack.poll_network(self.now);
        let _ = self.service.poll(&mut self.stack);
        self.stack.poll_network(self.now);
    }

    fn run_for(&mut self, time: Duration) {
        let end = self.now.after(time);
        while self.now < end {
            self.step();
        }
    }

    /// Runs for `time` in steps of `step` (long spans of idle time).
    fn run_coarse(&mut self, time: Duration, step: Duration) {
        let end = self.now.after(time);
        while self.now < end {
            self.now = self.now.after(step - STEP);
            self.step();
        }
    }

    fn connect(&mut self) -> TcpHandle {
        let server: SocketAddr = SERVER.parse().expect("address");
        let handle = self
            .stack
            .tcp_connect(server, Duration::from_secs(600))
            .expect("connect");
        for _ in 0..100 {
            if self.stack.tcp_status(handle) == TcpStatus::Open {
                self.step();
                return handle;
            }
            self.step();
        }
        panic!("no connection");
    }

    fn is_open(&self, client: TcpHandle) -> bool {
        matches!(self.stack.tcp_status(client), TcpStatus::Open)
    }

    fn send(&mut self, client: TcpHandle, data: &[u8]) {
        assert_eq!(self.stack.tcp_write(client, data), Ok(data.len()));
    }

    /// Reads what the client has received.
    fn receive(&mut self, client: TcpHandle) -> Vec<u8> {
        let mut out = Vec::new();
        let mut buf = vec![0; 65536];
        while let Ok(n @ 1..) = self.stack.tcp_read(client, &mut buf) {
            out.extend_from_slice(&buf[..n]);
        }
        out
    }

    /// Octets the service holds for its TCP clients, beyond the sockets.
    fn buffered(&self) -> usize {
        self.service.clients.iter().map(|c| c.out.len()).sum()
    }
}

fn query(id: u16) -> Vec<u8> {
    let mut q = id.to_be_bytes().to_vec();
    q.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
    q.extend_from_slice(b"\x02ns\x07example\x03com\x00\x00\x01\x00\x01");
    frame(&q).expect("small")
}

/// Sends a query on `client` and waits for the answer's ID.
fn answered(h: &mut Harness, client: TcpHandle, id: u16) -> bool {
    h.send(client, &query(id));
    h.run_for(Duration::from_millis(200));
    let got = h.receive(client);
    got.len() > 4 && got[2..4] == id.to_be_bytes()
}

/// A client that trickles one octet a second is closed once the I/O
/// timeout has passed since the first octet of its query, although the
/// idle timeout (10 s) never passes between two octets. (Before the
/// deadline per message it stayed for as long as it trickled.)
#[test]
fn a_trickling_client_is_closed_at_the_message_deadline() {
    let mut h = Harness::new(ServiceConfig::default(), 0);
    let slow = h.connect();
    let q = query(1);
    let mut closed_after = None;
    for (second, octet) in q.iter().enumerate().take(12) {
        if !h.is_open(slow) {
            closed_after = Some(second);
            break;
        }
        let _ = h.stack.tcp_write(slow, core::slice::from_ref(octet));
        h.run_for(Duration::from_secs(1));
    }
    // Octets went at 0, 1 and 2 s; the deadline, 2 s after the first,
    // passed before the fourth.
    assert_eq!(closed_after, Some(3), "closed 2 s after the first octet");
    // A prompt client on the same source is answered.
    let prompt = h.connect();
    assert!(answered(&mut h, prompt, 2));
}

/// With every slot taken, a new client takes the place of the one idle
/// longest and is answered. (Before, the new one was closed at once.)
#[test]
fn a_new_client_evicts_the_longest_idle_when_full() {
    let config = ServiceConfig {
        max_tcp_clients: 3,
        ..ServiceConfig::default()
    };
    let mut h = Harness::new(config, 0);
    let oldest = h.connect();
    h.run_for(Duration::from_secs(1));
    let talker = h.connect();
    let trickler = h.connect();
    h.run_for(Duration::from_secs(1));
    // The talker's query makes it the most recently active; the
    // trickler's partial query does not count as activity.
    assert!(answered(&mut h, talker, 3));
    h.send(trickler, &query(4)[..3]);
    h.run_for(Duration::from_millis(500));
    let newcomer = h.connect();
    h.run_for(Duration::from_millis(100));
    assert!(!h.is_open(oldest), "the longest idle was evicted");
    assert!(h.is_open(talker) && h.is_open(trickler));
    assert!(answered(&mut h, newcomer, 5));
    let next = h.connect();
    h.run_for(Duration::from_millis(100));
    assert!(
        !h.is_open(trickler),
        "then the trickler, idle since it opened"
    );
    assert!(answered(&mut h, next, 6));
}

/// One source holds at most `tcp_clients_per_source` connections; more
/// are closed at once, those it holds keep working.
#[test]
fn connections_beyond_the_per_source_limit_are_refused() {
    let config = ServiceConfig {
        tcp_clients_per_source: 2,
        ..ServiceConfig::default()
    };
    let mut h = Harness::new(config, 0);
    let first = h.connect();
    let second = h.connect();
    let third = h.connect();
    h.run_for(Duration::from_millis(100));
    assert!(!h.is_open(third), "over the per-source limit");
    assert!(answered(&mut h, first, 7));
    assert!(answered(&mut h, second, 8));
}

/// A zone transfer to a client that does not read holds one message
/// beyond the socket's buffers, not the zone (a 2 MB zone here; before,
/// the whole transfer was encoded into the client's buffer at once);
/// when it reads, the whole zone arrives with every message's TSIG
/// verifying as one stream (RFC 8945 §5.3.1).
#[test]
fn a_zone_transfer_is_streamed_as_the_socket_drains() {
    let mut h = Harness::new(ServiceConfig::default(), 20_000);
    let client = h.connect();
    let (mut xfr, request) = dns_xfr::XfrClient::axfr(
        name("example.com."),
        0x4242,
        None,
        Some(&transfer_key()),
        NOW,
    );
    h.send(client, &frame(&request).expect("small"));
    let mut most = 0;
    for _ in 0..100 {
        h.step();
        most = most.max(h.buffered());
    }
    assert!(
        most <= MAX_TCP_MESSAGE + 2,
        "a reader that does not read holds {most} octets of the transfer"
    );
    let mut framer = TcpFramer::new(MAX_TCP_MESSAGE);
    let mut outcome = None;
    for _ in 0..20_000 {
        let got = h.receive(client);
        framer.push(&got);
        while let Some(message) = framer.next_message().expect("framing") {
            match xfr.handle_message(&message, NOW).expect("valid stream") {
                dns_xfr::Progress::More => {}
                dns_xfr::Progress::Done(done) => outcome = Some(done),
            }
        }
        if outcome.is_some() {
            break;
        }
        h.step();
        most = most.max(h.buffered());
    }
    assert!(most <= MAX_TCP_MESSAGE + 2, "held {most} octets");
    let Some(dns_xfr::Outcome::Full(zone)) = outcome else {
        panic!("transfer did not complete");
    };
    assert_eq!(zone.record_count(), 2 + 2 * 20_000 + 1);
    assert!(xfr.messages() > 20, "{} messages", xfr.messages());
}

// NOTIFY subscriptions (OCaml-DNS; see `subscriptions.rs`).

/// An SOA query for example.com., signed with `key` if given.
fn soa_query(id: u16, key: Option<&tsig::Key>) -> Vec<u8> {
    let mut b = dns_wire::MessageBuilder::new(id, 0);
    b.question(
        &name("example.com."),
        dns_wire::RecordType::SOA,
        dns_wire::class::IN,
    )
    .expect("fits");
    let mut query = b.finish();
    if let Some(key) = key {
        tsig::sign_request(&mut query, key, NOW);
    }
    query
}

/// The messages the client has received in whole.
fn messages(h: &mut Harness, client: TcpHandle, framer: &mut TcpFramer) -> Vec<Vec<u8>> {
    framer.push(&h.receive(client));
    core::iter::from_fn(|| framer.next_message().expect("framing")).collect()
}

/// A NOTIFY for example.com. signed with the transfer key; its signed
/// NOERROR answer.
fn verified_notify(msg: &[u8]) -> Vec<u8> {
    let mut keys = KeyStore::new();
    keys.insert(transfer_key());
    let notify = dns_notify::parse_notify(msg).expect("a NOTIFY request");
    assert_eq!(notify.zone, name("example.com."));
    let signed = tsig::verify_request(msg, &keys, NOW)
        .expect("its TSIG verifies")
        .expect("signed");
    let mut answer = dns_notify::notify_response(msg, dns_wire::rcode::NOERROR);
    signed.response_signer().sign(&mut answer, NOW);
    answer
}

/// Sends a signed SOA query on `client` and takes its answer.
fn subscribe_tcp(h: &mut Harness, client: TcpHandle, framer: &mut TcpFramer, id: u16) {
    h.send(
        client,
        &frame(&soa_query(id, Some(&transfer_key()))).expect("small"),
    );
    h.run_for(Duration::from_millis(200));
    let got = messages(h, client, framer);
    assert_eq!(got.len(), 1, "one answer");
    let header = dns_wire::Header::parse(&got[0]).expect("a header");
    assert_eq!((header.id, header.rcode()), (id, dns_wire::rcode::NOERROR));
}

/// A change of the zone, as an UPDATE or a transfer makes it.
fn change(h: &mut Harness, serial: u32) {
    let now = h.now;
    h.service.install_zone(zone_with_serial(serial, 0), now);
}

/// A signed SOA query over TCP subscribes the connection: when the zone
/// changes, the NOTIFY comes on it, signed with the query's key; the
/// answer sent back on the stream is matched (no retransmission follows,
/// which an unmatched answer would leave to come 2 s later) and taken
/// as no query (nothing answers it). Meanwhile the connection outlives
/// the service's 10 s idle timeout.
#[test]
fn a_signed_soa_query_over_tcp_is_notified_on_its_connection() {
    let mut h = Harness::new(ServiceConfig::default(), 0);
    let client = h.connect();
    let mut framer = TcpFramer::new(MAX_TCP_MESSAGE);
    subscribe_tcp(&mut h, client, &mut framer, 21);
    let subscribers = h.service.subscribers();
    assert_eq!(subscribers.len(), 1);
    assert!(subscribers[0].over_tcp);
    assert_eq!(subscribers[0].key, *transfer_key().name());
    h.run_coarse(Duration::from_secs(30), Duration::from_millis(500));
    assert!(
        h.is_open(client),
        "a NOTIFY channel outlives the idle timeout"
    );
    change(&mut h, 2);
    h.run_for(Duration::from_millis(100));
    let got = messages(&mut h, client, &mut framer);
    assert_eq!(got.len(), 1, "one NOTIFY on the connection");
    assert_eq!(
        dns_notify::parse_notify(&got[0]).expect("a NOTIFY").serial,
        Some(dns_zone::Serial(2))
    );
    let answer = verified_notify(&got[0]);
    h.send(client, &frame(&answer).expect("small"));
    h.run_for(Duration::from_secs(5));
    assert!(
        messages(&mut h, client, &mut framer).is_empty(),
        "neither a retransmission nor an answer to the answer"
    );
    assert!(h.is_open(client));

    // Unanswered, the NOTIFY is sent again on the stream.
    change(&mut h, 3);
    h.run_for(Duration::from_millis(100));
    assert_eq!(messages(&mut h, client, &mut framer).len(), 1);
    h.run_for(Duration::from_millis(2100));
    let again = messages(&mut h, client, &mut framer);
    assert_eq!(again.len(), 1, "a retransmission");
    verified_notify(&again[0]);
}

/// A signed SOA query over UDP subscribes its source address and port:
/// the NOTIFY leaves from the service's port 53 (the way back through the
/// querier's NAT) to exactly that port, and the answer sent there is
/// matched.
#[test]
fn a_signed_soa_query_over_udp_is_notified_where_it_came_from() {
    let mut h = Harness::new(ServiceConfig::default(), 0);
    let server: SocketAddr = SERVER.parse().expect("address");
    let socket = h.stack.udp_bind(0).expect("a UDP socket");
    h.stack
        .udp_send(socket, server, &soa_query(22, Some(&transfer_key())))
        .expect("sent");
    h.run_for(Duration::from_millis(100));
    let mut buf = vec![0; 4096];
    let (len, from) = h
        .stack
        .udp_recv(socket, &mut buf)
        .expect("receive")
        .expect("the answer");
    assert_eq!(
        (from, dns_wire::Header::parse(&buf[..len]).unwrap().id),
        (server, 22)
    );
    let subscribers = h.service.subscribers();
    assert_eq!(subscribers.len(), 1);
    assert!(!subscribers[0].over_tcp);
    change(&mut h, 2);
    h.run_for(Duration::from_millis(100));
    let (len, from) = h
        .stack
        .udp_recv(socket, &mut buf)
        .expect("receive")
        .expect("a NOTIFY");
    assert_eq!(from, server, "from the service's port");
    let answer = verified_notify(&buf[..len]);
    h.stack.udp_send(socket, server, &answer).expect("sent");
    h.run_for(Duration::from_secs(5));
    assert_eq!(
        h.stack.udp_recv(socket, &mut buf).expect("receive"),
        None,
        "no retransmission, no answer to the answer"
    );
}

/// Unsigned SOA queries, and those signed with a key that may not
/// transfer the zone, with a wrong secret or with an unknown key,
/// subscribe nobody: a change sends nothing on their connection.
#[test]
fn unsigned_and_wrongly_keyed_soa_queries_subscribe_nobody() {
    let mut h = Harness::new(ServiceConfig::default(), 0);
    let other_zone = tsig::Key::new(
        name("10.53.0.2._transfer.example.org."),
        tsig::Algorithm::HmacSha256,
        vec![6; 32],
    );
    let update_other = tsig::Key::new(
        name("admin._update.example.org."),
        tsig::Algorithm::HmacSha256,
        vec![7; 32],
    );
    let mut keys = KeyStore::new();
    for key in [transfer_key(), other_zone.clone(), update_other.clone()] {
        keys.insert(key);
    }
    h.service.replace_keys(keys, NOW);
    let wrong_secret = tsig::Key::new(
        transfer_key().name().clone(),
        tsig::Algorithm::HmacSha256,
        vec![9; 32],
    );
    let unknown = tsig::Key::new(
        name("10.53.0.2._transfer.example.com.x."),
        tsig::Algorithm::HmacSha256,
        vec![5; 32],
    );
    let client = h.connect();
    let mut framer = TcpFramer::new(MAX_TCP_MESSAGE);
    let queries = [
        soa_query(31, None),
        soa_query(32, Some(&other_zone)),
        soa_query(33, Some(&update_other)),
        soa_query(34, Some(&wrong_secret)),
        soa_query(35, Some(&unknown)),
    ];
    for query in &queries {
        h.send(client, &frame(query).expect("small"));
    }
    h.run_for(Duration::from_millis(200));
    assert_eq!(messages(&mut h, client, &mut framer).len(), queries.len());
    assert!(h.service.subscribers().is_empty());
    change(&mut h, 2);
    h.run_for(Duration::from_millis(500));
    assert!(messages(&mut h, client, &mut framer).is_empty());
}

/// A NOTIFY channel lives while its owner sends an SOA query every
/// minute, well past the channel idle timeout; when the owner stops, it
/// closes after NOTIFY_CHANNEL_IDLE_TIMEOUT and its subscription ends.
#[test]
fn a_channel_lives_while_its_owner_keeps_it_alive() {
    let mut h = Harness::new(ServiceConfig::default(), 0);
    let client = h.connect();
    let mut framer = TcpFramer::new(MAX_TCP_MESSAGE);
    subscribe_tcp(&mut h, client, &mut framer, 40);
    let minutes = NOTIFY_CHANNEL_IDLE_TIMEOUT.as_secs() / 60 + 3;
    for minute in 0..minutes {
        h.run_coarse(Duration::from_secs(60), Duration::from_secs(1));
        assert!(h.is_open(client), "closed after {minute} minutes");
        subscribe_tcp(&mut h, client, &mut framer, 41 + minute as u16);
    }
    assert_eq!(h.service.subscribers().len(), 1, "refreshed, not doubled");
    h.run_coarse(
        NOTIFY_CHANNEL_IDLE_TIMEOUT - Duration::from_secs(2),
        Duration::from_secs(1),
    );
    // Seen from the service: the client learns of the close only when it
    // next sends (the RST goes out while the idle stack has forgotten its
    // neighbour, and nothing retransmits a RST).
    assert_eq!(
        h.service.clients.len(),
        1,
        "idle, but not for the channel timeout yet"
    );
    h.run_coarse(Duration::from_secs(4), Duration::from_millis(100));
    assert!(
        h.service.clients.is_empty(),
        "closed after the channel idle timeout"
    );
    assert!(h.service.subscribers().is_empty());
}

/// A subscription ends when its connection closes (a change then sends
/// nothing anywhere for it), and a UDP one SUBSCRIPTION_LIFETIME after
/// its last query.
#[test]
fn subscriptions_end_with_their_connection_or_their_lifetime() {
    let mut h = Harness::new(ServiceConfig::default(), 0);
    let client = h.connect();
    let mut framer = TcpFramer::new(MAX_TCP_MESSAGE);
    subscribe_tcp(&mut h, client, &mut framer, 50);
    h.stack.tcp_close(client);
    h.run_for(Duration::from_millis(300));
    assert!(
        h.service.subscribers().is_empty(),
        "gone with its connection"
    );

    let server: SocketAddr = SERVER.parse().expect("address");
    let socket = h.stack.udp_bind(0).expect("a UDP socket");
    let mut buf = vec![0; 4096];
    h.stack
        .udp_send(socket, server, &soa_query(51, Some(&transfer_key())))
        .expect("sent");
    h.run_for(Duration::from_millis(100));
    assert!(h
        .stack
        .udp_recv(socket, &mut buf)
        .expect("receive")
        .is_some());
    h.run_coarse(
        SUBSCRIPTION_LIFETIME - Duration::from_secs(60),
        Duration::from_secs(30),
    );
    assert_eq!(h.service.subscribers().len(), 1, "within its lifetime");
    h.run_coarse(Duration::from_secs(61), Duration::from_secs(1));
    assert!(h.service.subscribers().is_empty(), "past its lifetime");
    change(&mut h, 2);
    h.run_for(Duration::from_millis(200));
    assert_eq!(h.stack.udp_recv(socket, &mut buf).expect("receive"), None);
}

/// A NOTIFY due while a zone transfer streams on the channel (another
/// zone's) waits for the transfer's end: a message in the middle would
/// break the stream.
#[test]
fn a_notify_waits_for_a_transfer_on_its_connection() {
    let mut h = Harness::new(ServiceConfig::default(), 0);
    let now = h.now;
    h.service
        .install_zone(zone_named("example.org.", 1, 5_000), now);
    let org_key = tsig::Key::new(
        name("10.53.0.2._transfer.example.org."),
        tsig::Algorithm::HmacSha256,
        vec![6; 32],
    );
    let mut keys = KeyStore::new();
    keys.insert(transfer_key());
    keys.insert(org_key.clone());
    h.service.replace_keys(keys, NOW);
    let client = h.connect();
    let mut framer = TcpFramer::new(MAX_TCP_MESSAGE);
    subscribe_tcp(&mut h, client, &mut framer, 60);
    let (mut xfr, request) =
        dns_xfr::XfrClient::axfr(name("example.org."), 61, None, Some(&org_key), NOW);
    h.send(client, &frame(&request).expect("small"));
    // The transfer has started streaming, not finished.
    h.step();
    h.step();
    assert!(
        h.service.clients.iter().any(|c| c.transfer.is_some()),
        "streaming"
    );
    change(&mut h, 2);
    let mut done = false;
    let mut after = Vec::new();
    for _ in 0..20_000 {
        for message in messages(&mut h, client, &mut framer) {
            if done {
                after.push(message);
                continue;
            }
            match xfr
                .handle_message(&message, NOW)
                .expect("an unbroken stream")
            {
                dns_xfr::Progress::More => {}
                dns_xfr::Progress::Done(_) => done = true,
            }
        }
        if done && !after.is_empty() {
            break;
        }
        h.step();
    }
    assert!(done, "the transfer completed");
    assert!(!after.is_empty(), "then the NOTIFY");
    for notify in &after {
        verified_notify(notify);
    }
}
