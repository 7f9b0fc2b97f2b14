//! The `--zones-dir` primary in process: a [`DirectoryPrimary`] on a
//! smoltcp stack (loopback device, simulated clock) over a scratch zone
//! directory, with a client on the same stack. A signed UPDATE is
//! answered once journaled, served at once, written to the zone file in
//! the background after the quiet spell, and found again by a primary
//! started afresh on the directory; a refused one changes nothing.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dns_server::catalog::Catalog;
use dns_service::{DnsService, ServiceConfig};
use dns_update::client::{check_response, Update, UpdateBuilder};
use dns_wire::{rcode, Header, Message};
use dns_zone::{Name, Rdata, RecordType};
use netstack::{Instant, IpConfig, Service, SmolStack, Sockets, StackConfig, UdpHandle};
use smoltcp::phy::{Loopback, Medium};
use zones_dir::DirectoryPrimary;

const NOW: u64 = 1_700_000_000;
const SERVER: &str = "10.53.0.2:53";
/// Simulated time per step.
const STEP: Duration = Duration::from_millis(10);
const ZONE: &str =
    "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n";
/// The update key, with a secret of 32 octets of 1 (base64).
const KEYS: &str =
    "admin._update.example.com. DNSKEY 0 3 163 AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=\n";

fn quiet(_: core::fmt::Arguments<'_>) {}

fn name(text: &str) -> Name {
    Name::from_ascii(text).expect("a name")
}

fn key(secret: u8) -> tsig::Key {
    tsig::Key::new(
        name("admin._update.example.com."),
        tsig::Algorithm::HmacSha256,
        vec![secret; 32],
    )
}

/// A directory of its own under the system's temporary directory, with
/// the zone and its key; removed when dropped.
struct ScratchDir(PathBuf);

impl ScratchDir {
    fn new(test: &str) -> ScratchDir {
        let dir = std::env::temp_dir().join(format!("zones-dir-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        std::fs::write(dir.join("example.com"), ZONE).expect("zone file");
        std::fs::write(dir.join("_keys"), KEYS).expect("keys file");
        ScratchDir(dir)
    }

    fn path(&self) -> &Path {
        &self.0
    }

    fn journal_len(&self) -> u64 {
        std::fs::metadata(self.0.join(".journal").join("example.com")).map_or(0, |m| m.len())
    }

    fn zone_file(&self) -> String {
        std::fs::read_to_string(self.0.join("example.com")).expect("zone file")
    }
}

impl Drop for ScratchDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

struct Harness {
    stack: SmolStack<Loopback>,
    primary: DirectoryPrimary,
    client: UdpHandle,
    now: Instant,
}

impl Harness {
    fn start(dir: &Path) -> Harness {
        let ip = IpConfig {
            ipv4: Some("10.53.0.2/24".parse().expect("cidr")),
            ..IpConfig::default()
        };
        let now = Instant(0);
        let mut stack = SmolStack::new(
            Loopback::new(Medium::Ethernet),
            [2, 0, 0, 0, 0, 2],
            &ip,
            StackConfig::default(),
            7,
            now,
        );
        stack.set_unix_time(NOW);
        let dns = DnsService::new(Catalog::new(), ServiceConfig::default(), quiet);
        let primary = DirectoryPrimary::start(dns, dir.into(), quiet, "test", now, NOW)
            .expect("the directory loads");
        let client = stack.udp_bind(0).expect("a client socket");
        let mut harness = Harness {
            stack,
            primary,
            client,
            now,
        };
        harness.step();
        harness
    }

    /// One step of the simulated clock, and a millisecond of real time
    /// for the background writer: frames, then the primary.
    fn step(&mut self) {
        self.now = self.now.after(STEP);
        self.stack.poll_network(self.now);
        let _ = self.primary.poll(&mut self.stack);
        self.stack.poll_network(self.now);
        std::thread::sleep(Duration::from_millis(1));
    }

    fn run_for(&mut self, time: Duration) {
        let end = self.now.after(time);
        while self.now < end {
            self.step();
        }
    }

    /// Sends `msg` and steps until an answer comes (at most 2 s of
    /// simulated time).
    fn exchange(&mut self, msg: &[u8]) -> Vec<u8> {
        let server: SocketAddr = SERVER.parse().expect("address");
        self.stack.udp_send(self.client, server, msg).expect("sent");
        let mut buf = vec![0; 65_535];
        for _ in 0..200 {
            self.step();
            if let Ok(Some((len, _))) = self.stack.udp_recv(self.client, &mut buf) {
                return buf[..len].to_vec();
            }
        }
        panic!("no answer");
    }

    /// The A records of `owner` as served.
    fn addresses(&mut self, owner: &str, id: u16) -> Vec<Vec<u8>> {
        let mut query = id.to_be_bytes().to_vec();
        query.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
        dns_zone::name::name_to_wire(&name(owner), &mut query);
        query.extend_from_slice(&[0, 1, 0, 1]);
        let answer = self.exchange(&query);
        let message = Message::parse(&answer).expect("an answer");
        message
            .answers
            .iter()
            .filter(|r| r.rtype == RecordType::A)
            .map(|r| r.rdata.clone())
            .collect()
    }
}

/// An UPDATE adding `www2 A 192.0.2.2`, signed with `key`.
fn add_www2(id: u16, key: &tsig::Key) -> (Vec<u8>, tsig::ResponseVerifier) {
    let mut update = UpdateBuilder::new(name("example.com."));
    update.update(Update::Add(
        name("www2.example.com."),
        60,
        RecordType::A,
        Rdata::from_wire(RecordType::A, &[192, 0, 2, 2]).expect("rdata"),
    ));
    update.build_signed(id, key, NOW).expect("a message")
}

#[test]
fn an_update_is_journaled_served_written_and_found_again_after_a_restart() {
    let dir = ScratchDir::new("update");
    let mut h = Harness::start(dir.path());
    assert!(h.addresses("www2.example.com.", 1).is_empty());

    let (msg, mut verifier) = add_www2(7, &key(1));
    let answer = h.exchange(&msg);
    assert_eq!(check_response(&answer, 7, Some(&mut verifier), NOW), Ok(()));
    // Acknowledged: in the journal, and served at once.
    assert!(dir.journal_len() > 0, "journaled before the answer");
    assert_eq!(h.addresses("www2.example.com.", 2), [vec![192, 0, 2, 2]]);
    assert!(!dir.zone_file().contains("www2"), "the file waits");
    // Written to the zone file after the quiet spell, serial 1 + 1.
    h.run_for(Duration::from_secs(2));
    let text = dir.zone_file();
    assert!(text.contains("www2.example.com."), "{text}");
    assert!(text.contains(" 2 7200 3600 1209600 300"), "{text}");

    // A primary started afresh on the directory serves it.
    drop(h);
    let mut again = Harness::start(dir.path());
    assert_eq!(
        again.addresses("www2.example.com.", 3),
        [vec![192, 0, 2, 2]]
    );
}

#[test]
fn an_update_with_a_wrong_key_changes_nothing() {
    let dir = ScratchDir::new("refused");
    let mut h = Harness::start(dir.path());
    let (msg, _) = add_www2(8, &key(2));
    let answer = h.exchange(&msg);
    // A wrong MAC: BADSIG with NOTAUTH (RFC 8945 §5.2.2).
    assert_eq!(
        Header::parse(&answer).expect("a header").rcode(),
        rcode::NOTAUTH
    );
    h.run_for(Duration::from_secs(1));
    assert!(h.addresses("www2.example.com.", 9).is_empty());
    assert_eq!(dir.journal_len(), 0);
    assert_eq!(dir.zone_file(), ZONE);
}
