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
