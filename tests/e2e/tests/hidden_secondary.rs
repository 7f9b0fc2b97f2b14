//! A hidden secondary (issue 14 item 5) with the host-process builds:
//! primary-git in `--zones-dir` mode on 127.0.0.1, our secondary with
//! `--hidden` on 127.0.0.2 and a transfer key that names 127.0.0.9 as the
//! secondary (an address nobody listens at: the primary's usual NOTIFY
//! goes nowhere, as to a secondary behind NAT). The zone's refresh time
//! is two hours. After BIND's nsupdate changes the zone, the secondary
//! hears of it on the TCP connection it keeps to the primary, transfers
//! it, and serves the new record.

use e2e::net::Guest;
use e2e::TempDir;
use std::net::UdpSocket;
use std::process::Command;
use std::time::Duration;

/// A test-only secret.
const SECRET: &str = "xzyoukAHZxArnGzChaWHOSXn0OD5uY/TiF7MVz3KjvI=";
/// Names the primary and an address that is not the secondary's.
const KEY: &str = "127.0.0.1.127.0.0.9._transfer.example.com";
/// The change must arrive within this (the refresh timer is 2 h).
const PROPAGATION: Duration = Duration::from_secs(20);

fn free_port(ip: &str) -> u16 {
    UdpSocket::bind((ip, 0))
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port()
}

fn dig(server: &str, port: u16, name: &str, qtype: &str) -> String {
    let output = Command::new(e2e::dns::require_program("dig", "bind9-dnsutils"))
        .args([
            "+short",
            "+norec",
            "+time=2",
            "+tries=2",
            "-p",
            &port.to_string(),
            &format!("@{server}"),
            name,
            qtype,
        ])
        .output()
        .expect("run dig");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn nsupdate(port: u16, script: &str) -> (bool, String) {
    let key = format!(
        "hmac-sha256:admin._update.example.com:{}",
        e2e::example_key_secret("admin._update.example.com.")
    );
    let program = e2e::dns::require_program("nsupdate", "bind9-dnsutils");
    let server = format!("127.0.0.1 {port}");
    e2e::peers::nsupdate(Command::new(program), &server, Some(&key), 5, script)
}

#[test]
fn a_hidden_secondary_gets_an_nsupdate_change_on_its_kept_connection() {
    let zones = TempDir::with_zones_example("hidden-secondary-zones");
    let keys = zones.path().join("_keys");
    let mut text = std::fs::read_to_string(&keys).expect("_keys");
    text.push_str(&format!("{KEY}. DNSKEY 0 3 163 {SECRET}\n"));
    std::fs::write(&keys, text).expect("write _keys");

    let primary_port = free_port("127.0.0.1");
    let mut primary = Command::new(e2e::host_binary("primary-git"));
    primary
        .arg(format!("--zones-dir={}", zones.path().display()))
        .arg(format!("--listen=127.0.0.1:{primary_port}"));
    let mut primary = Guest::spawn(primary);
    primary.wait_for("serving 2 zones", Duration::from_secs(20));

    let secondary_port = free_port("127.0.0.2");
    let mut secondary = Command::new(e2e::host_binary("secondary"));
    secondary.args([
        format!("--listen=127.0.0.2:{secondary_port}"),
        format!("--primary-port={primary_port}"),
        format!("--keys={KEY}:SHA256:{SECRET}"),
        "--hidden".into(),
        "--log-level=debug".into(),
    ]);
    let mut secondary = Guest::spawn(secondary);
    let line = secondary.wait_for("loaded serial", Duration::from_secs(20));
    assert!(line.contains("example.com."), "{line}");
    secondary.wait_for("kept connection to 127.0.0.1", Duration::from_secs(20));
    assert_eq!(
        dig("127.0.0.2", secondary_port, "hidden.example.com", "A"),
        ""
    );

    let (ok, err) = nsupdate(
        primary_port,
        "zone example.com\nupdate add hidden.example.com 300 A 192.0.2.55",
    );
    assert!(ok, "{err}");
    let line = secondary
        .try_wait_for("on the kept connection", PROPAGATION)
        .unwrap_or_else(|| {
            panic!(
                "no NOTIFY on the kept connection within {PROPAGATION:?}\nsecondary:\n{}\nprimary:\n{}",
                secondary.output(),
                primary.output()
            )
        });
    assert!(
        line.contains("example.com.: NOTIFY from 127.0.0.1"),
        "{line}"
    );
    secondary.wait_for("by IXFR", PROPAGATION);
    assert_eq!(
        dig("127.0.0.2", secondary_port, "hidden.example.com", "A"),
        "192.0.2.55"
    );
    println!("secondary:\n{}", secondary.output());
}
