//! A captured signed request played again changes nothing (issue 12 §5),
//! against primary-git's host-process build (`--zones-dir` mode):
//!
//! - UPDATE: add X, delete X, then the captured "add X" again from another
//!   address: answered NOTAUTH/BADTIME (signed, RFC 8945 §5.2.3), X stays
//!   deleted, in the answers and in the zone file. The same bytes from the
//!   client's own address and port (a UDP retransmission, as nsupdate
//!   sends after 3 s) get the first answer again, byte for byte, and
//!   change nothing either.
//! - A fudge of 65 535 s is capped at 300 s: a request signed 1000 s ago
//!   is BADTIME however much fudge it claims.
//! - NOTIFY and AXFR: the same bytes again from elsewhere get BADTIME.

use dns_update::{Update, UpdateBuilder};
use dns_wire::{rcode, Name, RecordType};
use e2e::net::Guest;
use e2e::TempDir;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::process::Command;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tsig::{Algorithm, Key, ResponseError, ResponseVerifier};

struct Server {
    primary: Guest,
    dir: TempDir,
    port: u16,
}

fn start() -> Server {
    let dir = TempDir::with_zones_example("tsig-replay");
    let port = UdpSocket::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut command = Command::new(e2e::target_dir().join("debug/primary-git"));
    command
        .arg(format!("--zones-dir={}", dir.path().display()))
        .arg(format!("--listen=127.0.0.1:{port}"));
    let mut primary = Guest::spawn(command);
    primary.wait_for("serving 2 zones", Duration::from_secs(20));
    Server { primary, dir, port }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn name(s: &str) -> Name {
    s.parse().expect("name")
}

fn key(key_name: &str) -> Key {
    let secret = e2e::example_key_secret(key_name);
    let secret = base64_decode(&secret);
    Key::new(name(key_name), Algorithm::HmacSha256, secret)
}

fn base64_decode(s: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|&c| c != b'=') {
        let v = ALPHABET.iter().position(|&a| a == c).expect("base64") as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn admin() -> Key {
    key("admin._update.example.com.")
}

/// A client socket of its own (its own port: another "address").
fn client() -> UdpSocket {
    let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    socket
}

/// Sends `msg` from `socket` and returns the answer with its ID; resends
/// the same bytes every second, as nsupdate does (at most 5 s): the server
/// must take such a retransmission for what it is.
fn exchange(server: &Server, socket: &UdpSocket, msg: &[u8]) -> Vec<u8> {
    socket
        .set_read_timeout(Some(Duration::from_secs(1)))
        .expect("timeout");
    let mut buf = vec![0; 65535];
    for _ in 0..5 {
        socket
            .send_to(msg, ("127.0.0.1", server.port))
            .expect("send");
        while let Ok((n, _)) = socket.recv_from(&mut buf) {
            if buf[..2] == msg[..2] {
                return buf[..n].to_vec();
            }
        }
    }
    panic!("no answer within 5 s");
}

fn rcode_of(answer: &[u8]) -> u16 {
    u16::from(answer[3] & 0x0f)
}

/// The signed UPDATE for `updates` with ID `id`, and its verifier.
fn update(id: u16, updates: Vec<Update>) -> (Vec<u8>, ResponseVerifier) {
    let mut b = UpdateBuilder::new(name("example.com."));
    b.updates = updates;
    b.build_signed(id, &admin(), now()).expect("build")
}

fn a_record(ip: [u8; 4]) -> dns_zone::Rdata {
    dns_zone::Rdata::from_wire(RecordType::A, &ip).expect("A")
}

fn dig(server: &Server, qname: &str) -> String {
    let output = Command::new("dig")
        .args(["+short", "+norec", "+time=2", "+tries=2", "-p"])
        .arg(server.port.to_string())
        .args(["@127.0.0.1", qname, "A"])
        .output()
        .expect("run dig (package bind9-dnsutils)");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// The answer verifies as the server's signed BADTIME for our request.
fn assert_badtime(answer: &[u8], mut verifier: ResponseVerifier) {
    assert_eq!(rcode_of(answer), rcode::NOTAUTH);
    match verifier.verify(answer, now()) {
        Err(ResponseError::Server { error, .. }) => assert_eq!(error, rcode::BADTIME),
        other => panic!("expected a signed BADTIME, got {other:?}"),
    }
}

#[test]
fn a_replayed_update_changes_nothing() {
    let server = start();
    let x = name("replayed.example.com.");
    let ip = [192, 0, 2, 55];
    let owner = client();

    let (add, mut add_verifier) = update(
        0x1001,
        vec![Update::Add(x.clone(), 300, RecordType::A, a_record(ip))],
    );
    let first = exchange(&server, &owner, &add);
    assert_eq!(rcode_of(&first), rcode::NOERROR);
    add_verifier.verify(&first, now()).expect("signed answer");
    assert_eq!(dig(&server, "replayed.example.com"), "192.0.2.55");

    let (delete, _) = update(0x1002, vec![Update::DeleteRrset(x.clone(), RecordType::A)]);
    assert_eq!(
        rcode_of(&exchange(&server, &owner, &delete)),
        rcode::NOERROR
    );
    assert_eq!(dig(&server, "replayed.example.com"), "");

    // The captured "add" from another address: a replay.
    let attacker = client();
    let replayed = exchange(&server, &attacker, &add);
    assert_badtime(
        &replayed,
        ResponseVerifier::new(admin(), &request_mac(&add)),
    );
    assert_eq!(dig(&server, "replayed.example.com"), "", "X stays deleted");

    // The same bytes from the client's own socket: a retransmission gets
    // the first answer again, and changes nothing.
    let again = exchange(&server, &owner, &add);
    assert_eq!(again, first, "the first answer, byte for byte");
    assert_eq!(dig(&server, "replayed.example.com"), "", "X stays deleted");

    let file = std::fs::read_to_string(server.dir.path().join("example.com")).expect("zone file");
    assert!(
        !file.contains("192.0.2.55"),
        "not in the zone file:\n{file}"
    );
    let mut server = server;
    let logged = server
        .primary
        .try_wait_for("a replay of a request", Duration::from_secs(5));
    assert!(
        logged.is_some(),
        "the replay is logged:\n{}",
        server.primary.output()
    );
}

/// A request signed 1000 s ago claiming 65 535 s of fudge is BADTIME: the
/// server caps the fudge at 300 s.
#[test]
fn a_huge_fudge_is_capped() {
    let server = start();
    let mut b = UpdateBuilder::new(name("example.com."));
    b.updates = vec![Update::Add(
        name("late.example.com."),
        300,
        RecordType::A,
        a_record([192, 0, 2, 56]),
    )];
    let mut msg = b.build(0x2001).expect("build");
    let mac = tsig::sign_request_with(&mut msg, &admin(), now() - 1000, u16::MAX);
    let answer = exchange(&server, &client(), &msg);
    assert_badtime(&answer, ResponseVerifier::new(admin(), &mac));
    assert_eq!(dig(&server, "late.example.com"), "");
}

#[test]
fn a_replayed_notify_or_transfer_request_is_refused() {
    let server = start();
    // NOTIFY for example.com, signed by a key that may notify it.
    let mut notify = vec![0x30, 0x01, 0x24, 0, 0, 1, 0, 0, 0, 0, 0, 0];
    notify.extend_from_slice(b"\x07example\x03com\x00\x00\x06\x00\x01");
    let mac = tsig::sign_request(&mut notify, &admin(), now());
    let first = exchange(&server, &client(), &notify);
    assert_eq!(rcode_of(&first), rcode::NOERROR);
    let replayed = exchange(&server, &client(), &notify);
    assert_badtime(&replayed, ResponseVerifier::new(admin(), &mac));

    // AXFR over TCP with a transfer key; the same request on a new
    // connection is a replay.
    let transfer = key("10.53.0.1.10.53.0.2._transfer.example.com.");
    let mut axfr = dns_xfr::axfr_query(&name("example.com."), 0x3001);
    let mac = tsig::sign_request(&mut axfr, &transfer, now());
    let first = tcp_first_answer(&server, &axfr);
    assert_eq!(rcode_of(&first), rcode::NOERROR);
    assert!(
        u16::from_be_bytes([first[6], first[7]]) > 0,
        "records transferred"
    );
    let replayed = tcp_first_answer(&server, &axfr);
    assert_badtime(&replayed, ResponseVerifier::new(transfer, &mac));
}

fn tcp_first_answer(server: &Server, msg: &[u8]) -> Vec<u8> {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mut framed = (msg.len() as u16).to_be_bytes().to_vec();
    framed.extend_from_slice(msg);
    stream.write_all(&framed).expect("send");
    let mut len = [0; 2];
    stream.read_exact(&mut len).expect("length");
    let mut answer = vec![0; usize::from(u16::from_be_bytes(len))];
    stream.read_exact(&mut answer).expect("answer");
    answer
}

/// The MAC of a signed request (its TSIG record's).
fn request_mac(msg: &[u8]) -> Vec<u8> {
    tsig::Tsig::locate(msg)
        .expect("well-formed")
        .expect("signed")
        .tsig
        .mac
}
