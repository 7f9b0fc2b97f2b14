//! `--workers=N`: primary-git's host-process build answering UDP on N
//! sockets bound to one address (SO_REUSEPORT), each query going to one at
//! random. Whatever socket a query lands on: plain
//! queries are answered, signed queries are answered signed, nsupdate's
//! UPDATEs are applied and acknowledged, and the change shows through every
//! socket at once.

use e2e::net::Guest;
use e2e::TempDir;
use std::net::UdpSocket;
use std::process::Command;
use std::time::Duration;

const WORKERS: usize = 3;

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
}

fn start(workers: usize) -> (Guest, TempDir, u16) {
    let dir = TempDir::with_zones_example("workers");
    let port = free_port();
    let mut command = Command::new(e2e::target_dir().join("debug/primary-git"));
    command
        .arg(format!("--zones-dir={}", dir.path().display()))
        .arg(format!("--listen=127.0.0.1:{port}"))
        .arg(format!("--workers={workers}"));
    let mut primary = Guest::spawn(command);
    primary.wait_for("serving 2 zones", Duration::from_secs(20));
    (primary, dir, port)
}

/// UDP sockets bound to 127.0.0.1:`port` (from /proc/net/udp), once
/// `expected` are there or after 10 s.
fn sockets_on(port: u16, expected: usize) -> usize {
    let local = format!("0100007F:{port:04X}");
    let count = || {
        std::fs::read_to_string("/proc/net/udp")
            .expect("/proc/net/udp")
            .lines()
            .filter(|l| l.split_whitespace().nth(1) == Some(local.as_str()))
            .count()
    };
    for _ in 0..100 {
        if count() >= expected {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    count()
}

/// `dig +short` (each run from a new source port); `key` signs it.
fn dig(port: u16, name: &str, qtype: &str, key: Option<&str>) -> (bool, String) {
    let mut command = Command::new("dig");
    command.args([
        "+short",
        "+norec",
        "+time=2",
        "+tries=1",
        "-p",
        &port.to_string(),
    ]);
    if let Some(key) = key {
        command.args(["-y", key]);
    }
    let output = command
        .args(["@127.0.0.1", name, qtype])
        .output()
        .expect("run dig");
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_string();
    (output.status.success() && !stdout.contains(";;"), stdout)
}

fn admin() -> String {
    format!(
        "hmac-sha256:admin._update.example.com:{}",
        e2e::example_key_secret("admin._update.example.com.")
    )
}

fn nsupdate(port: u16, script: &str) -> (bool, String) {
    let server = format!("127.0.0.1 {port}");
    e2e::peers::nsupdate(Command::new("nsupdate"), &server, Some(&admin()), 5, script)
}

#[test]
fn every_socket_answers_and_updates_show_through_all() {
    let (_primary, _dir, port) = start(WORKERS);
    assert_eq!(
        sockets_on(port, WORKERS + 1),
        WORKERS + 1,
        "one UDP socket per worker, and the service's (which the queries skip)"
    );
    // Enough queries that each worker gets some (each goes to one at
    // random; 24 queries miss one of 3 workers with p < 1e-4).
    for _ in 0..24 {
        let (ok, out) = dig(port, "ns1.example.com", "A", None);
        assert!(ok && out == "10.53.0.1", "plain query: {out}");
    }
    for _ in 0..12 {
        let (ok, out) = dig(port, "example.com", "SOA", Some(&admin()));
        assert!(
            ok && out.contains("hostmaster.example.com."),
            "signed query: {out}"
        );
    }
    for n in 0..8 {
        let name = format!("w{n}.example.com");
        let (ok, err) = nsupdate(
            port,
            &format!("zone example.com\nupdate add {name} 300 A 192.0.2.{n}"),
        );
        assert!(ok, "UPDATE {n}: {err}");
        for _ in 0..6 {
            let (ok, out) = dig(port, &name, "A", None);
            assert!(
                ok && out == format!("192.0.2.{n}"),
                "{name} after its UPDATE: {out}"
            );
        }
    }
}

#[test]
fn out_of_range_worker_counts_are_refused() {
    for bad in ["0", "65", "many"] {
        let output = Command::new(e2e::target_dir().join("debug/primary-git"))
            .args(["--zones-dir=/nonexistent", "--listen=127.0.0.1:1"])
            .arg(format!("--workers={bad}"))
            .output()
            .expect("run primary-git");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(output.status.code(), Some(2), "--workers={bad}: {stdout}");
        assert!(stdout.contains("workers"), "--workers={bad}: {stdout}");
    }
}
