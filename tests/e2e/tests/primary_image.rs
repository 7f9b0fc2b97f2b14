//! The primary-git image boots on both tenders and answers DNS over UDP and
//! TCP through its own network stack while its git remote is unreachable
//! (it keeps retrying): with no zone loaded, every question is REFUSED,
//! without AA, question echoed.

use e2e::net::{Guest, TestNet};
use e2e::{image, Tender};
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Duration;

const IMAGE: &str = "primary-git";
const SERVER: &str = "10.53.0.2:53";

/// `www.Example.com. IN A`, ID 0x1234, RD set.
fn query() -> Vec<u8> {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
    for label in ["www", "Example", "com"] {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    q
}

fn assert_refused(answer: &[u8], query: &[u8]) {
    assert!(answer.len() >= query.len(), "answer too short: {answer:?}");
    assert_eq!(&answer[..2], &query[..2], "same ID");
    assert_eq!(answer[2] & 0x80, 0x80, "QR set");
    assert_eq!(answer[2] & 0x04, 0, "AA clear for a zone we do not serve");
    assert_eq!(answer[3] & 0x0f, 5, "REFUSED");
    assert_eq!(
        &answer[12..query.len()],
        &query[12..],
        "question echoed, case preserved"
    );
}

/// Nothing answers at 10.53.0.9: the clone keeps failing and retrying.
const UNREACHABLE_REMOTE: [&str; 3] = [
    "--remote=ssh://git@10.53.0.9/zones.git",
    "--ssh-key=ed25519:BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=",
    "--ssh-authenticator=SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
];

fn boot(net: &TestNet, tender: Tender) -> Guest {
    let mut args = vec!["--ipv4=10.53.0.2/24", "--ipv6=fd53::2/64"];
    args.extend(UNREACHABLE_REMOTE);
    net.boot(tender, &image(IMAGE, tender), "tap0", &args)
}

fn ask_udp(limit: Duration) -> Vec<u8> {
    let socket = UdpSocket::bind("10.53.0.1:0").expect("bind");
    socket
        .set_read_timeout(Some(Duration::from_millis(500)))
        .expect("timeout");
    let deadline = std::time::Instant::now() + limit;
    let mut buf = [0u8; 4096];
    loop {
        socket.send_to(&query(), SERVER).expect("send");
        if let Ok((n, _)) = socket.recv_from(&mut buf) {
            return buf[..n].to_vec();
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no UDP answer within {limit:?}"
        );
    }
}

fn ask_tcp_twice() -> Vec<Vec<u8>> {
    let mut stream =
        TcpStream::connect_timeout(&SERVER.parse().expect("literal"), Duration::from_secs(10))
            .expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // Two queries in one write: RFC 7766 pipelining.
    let q = query();
    let mut both = Vec::new();
    for _ in 0..2 {
        both.extend_from_slice(&(q.len() as u16).to_be_bytes());
        both.extend_from_slice(&q);
    }
    stream.write_all(&both).expect("write");
    (0..2)
        .map(|_| {
            let mut len = [0u8; 2];
            stream.read_exact(&mut len).expect("length prefix");
            let mut answer = vec![0u8; u16::from_be_bytes(len) as usize];
            stream.read_exact(&mut answer).expect("answer");
            answer
        })
        .collect()
}

#[test]
fn spt_image_answers_over_udp_and_tcp() {
    let net = TestNet::up(1);
    let _guest = boot(&net, Tender::Spt);
    let q = query();
    net.run(|| {
        assert_refused(&ask_udp(Duration::from_secs(10)), &q);
        for answer in ask_tcp_twice() {
            assert_refused(&answer, &q);
        }
    });
}

#[test]
fn hvt_image_answers_over_udp_and_tcp() {
    let net = TestNet::up(1);
    let _guest = boot(&net, Tender::Hvt);
    let q = query();
    net.run(|| {
        assert_refused(&ask_udp(Duration::from_secs(60)), &q);
        for answer in ask_tcp_twice() {
            assert_refused(&answer, &q);
        }
    });
}

#[test]
fn image_rejects_bad_boot_arguments_with_one_line() {
    let net = TestNet::up(1);
    for (args, message) in [
        (
            vec!["--ipv4=10.53.0.2/24", "--zone=x"],
            "primary-git: unknown argument `--zone=…`",
        ),
        (vec!["--ipv4=10.53.0.2/24"], "primary-git: --remote="),
        (
            vec![
                "--ipv4=10.53.0.2/24",
                "--remote=ssh://git@10.53.0.1/x.git",
                "--ssh-key=ed25519:AAAA",
            ],
            "primary-git: --ssh-key: expected 32 bytes",
        ),
    ] {
        let mut guest = net.boot(Tender::Spt, &image(IMAGE, Tender::Spt), "tap0", &args);
        assert_eq!(guest.wait_exit(Duration::from_secs(20)), 2, "{args:?}");
        assert!(
            guest.output().contains(message),
            "{args:?}: {}",
            guest.output()
        );
    }
}
