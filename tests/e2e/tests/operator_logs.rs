//! What an operator reads in primary-git's log when its git server is not
//! there: every line of the service carries an RFC 3339 wall-clock time, a
//! refused connection and a host that does not answer are told apart, and
//! the retry delay is relative.

use e2e::net::{Guest, TestNet};
use e2e::{image, Tender};
use ssh::ClientKey;
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(40);
/// Any pinned fingerprint will do: no SSH handshake is reached.
const FINGERPRINT: &str = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

fn boot_with_remote(net: &TestNet, remote: &str) -> Guest {
    let key = ClientKey::from_seed([9u8; 32]).to_secret_text();
    let args = [
        "--ipv4=10.53.0.2/24".to_string(),
        format!("--remote={remote}"),
        format!("--ssh-key={key}"),
        format!("--ssh-authenticator={FINGERPRINT}"),
    ];
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    net.boot(
        Tender::Spt,
        &image("primary-git", Tender::Spt),
        "tap0",
        &args,
    )
}

/// `2026-12-02T12:34:56.789Z ` at the start of `line`.
fn starts_with_rfc3339(line: &str) -> bool {
    let b = line.as_bytes();
    let digits = |range: std::ops::Range<usize>| range.into_iter().all(|i| b[i].is_ascii_digit());
    b.len() > 25
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b'T'
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b'.'
        && digits(20..23)
        && &b[23..25] == b"Z "
}

fn assert_service_lines_are_timestamped(guest: &mut Guest) {
    let output = guest.output();
    let lines: Vec<&str> = output
        .lines()
        .filter(|l| l.contains("primary-git:"))
        .collect();
    assert!(!lines.is_empty(), "no service lines in {output}");
    for line in lines {
        assert!(starts_with_rfc3339(line), "no RFC 3339 time: {line}");
        assert!(!line.contains(" { "), "Debug syntax in: {line}");
    }
}

#[test]
fn a_git_server_that_refuses_is_reported_as_refused_with_a_relative_retry() {
    let net = TestNet::up(1);
    // The bridge address answers, but nothing listens on this port: RST.
    let mut guest = boot_with_remote(&net, "ssh://git@10.53.0.1:2/zones.git");
    let line = guest.wait_for("fetch failed", WAIT);
    assert!(line.contains("connection refused"), "{line}");
    assert!(
        line.contains("retrying in ") && line.ends_with(" s"),
        "{line}"
    );
    assert_service_lines_are_timestamped(&mut guest);
}

#[test]
fn a_git_server_that_is_down_is_reported_as_timed_out() {
    let net = TestNet::up(1);
    // No host has this address: no ARP answer, no TCP answer.
    let mut guest = boot_with_remote(&net, "ssh://git@10.53.0.77/zones.git");
    let line = guest.wait_for("fetch failed", WAIT);
    assert!(line.contains("timed out: no answer within"), "{line}");
    assert_service_lines_are_timestamped(&mut guest);
}

/// A primary that takes the connection and then sends nothing: the
/// secondary (host process) says the transfer stalled, not that the
/// primary closed the connection.
#[test]
fn a_stalled_transfer_is_reported_as_no_data() {
    use std::io::Read;
    use std::net::TcpListener;
    use std::process::Command;
    let primary = TcpListener::bind("127.0.0.1:0").expect("bind a port");
    let port = primary.local_addr().expect("address").port();
    // Accept every connection and read what comes, answering nothing.
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for mut stream in primary.incoming().flatten().take(8) {
            let mut buf = [0u8; 512];
            let _ = stream.set_read_timeout(Some(Duration::from_millis(100)));
            let _ = stream.read(&mut buf);
            held.push(stream);
        }
    });
    let listen = std::net::UdpSocket::bind("127.0.0.2:0")
        .expect("a port on 127.0.0.2")
        .local_addr()
        .expect("address");
    let key = "127.0.0.1.127.0.0.2._transfer.example.com:SHA256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";
    let mut command = Command::new(e2e::host_binary("secondary"));
    command.args([
        format!("--listen={listen}"),
        format!("--primary-port={port}"),
        format!("--keys={key}"),
    ]);
    let mut secondary = Guest::spawn(command);
    let line = secondary.wait_for("failed", Duration::from_secs(60));
    assert!(line.contains("no data from the primary for 30 s"), "{line}");
}
