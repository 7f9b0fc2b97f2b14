//! BIND's nsupdate against primary-git's host-process build (`--zones-dir`
//! mode: an update is durable once written to the zone file): adds,
//! replaces and deletes change the answers; a failing prerequisite, a
//! wrong MAC, an unknown key and an out-of-scope name are refused with
//! the right rcode and change nothing.

use e2e::net::Guest;
use e2e::{repo_root, TempDir};
use std::net::UdpSocket;
use std::process::Command;
use std::time::Duration;

struct Server {
    _primary: Guest,
    dir: TempDir,
    port: u16,
}

fn start() -> Server {
    let dir = TempDir::new("nsupdate");
    for entry in std::fs::read_dir(repo_root().join("zones-example")).expect("zones-example") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), dir.path().join(entry.file_name())).expect("copy");
    }
    let port = UdpSocket::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let target = e2e::target_dir();
    let mut command = Command::new(target.join("debug/primary-git"));
    command
        .arg(format!("--zones-dir={}", dir.path().display()))
        .arg(format!("--listen=127.0.0.1:{port}"));
    let mut primary = Guest::spawn(command);
    primary.wait_for("serving 2 zones", Duration::from_secs(20));
    Server {
        _primary: primary,
        dir,
        port,
    }
}

/// Runs nsupdate with `script`, signed with `key`; returns (success, stderr).
fn nsupdate(server: &Server, key: &str, script: &str) -> (bool, String) {
    let at = format!("127.0.0.1 {}", server.port);
    e2e::peers::nsupdate(Command::new("nsupdate"), &at, Some(key), 5, script)
}

fn dig(server: &Server, name: &str, qtype: &str) -> String {
    let output = Command::new("dig")
        .args([
            "+short",
            "+norec",
            "+time=2",
            "+tries=2",
            "-p",
            &server.port.to_string(),
            "@127.0.0.1",
            name,
            qtype,
        ])
        .output()
        .expect("run dig");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

fn admin() -> String {
    format!(
        "hmac-sha256:admin._update.example.com:{}",
        e2e::example_key_secret("admin._update.example.com.")
    )
}

#[test]
fn nsupdate_adds_replaces_and_deletes() {
    let server = start();
    let serial = |s: &Server| {
        dig(s, "example.com", "SOA")
            .split_whitespace()
            .nth(2)
            .expect("serial")
            .parse::<u32>()
            .expect("number")
    };
    let before = serial(&server);
    let (ok, err) = nsupdate(
        &server,
        &admin(),
        "zone example.com\nupdate add new.example.com 300 A 192.0.2.99",
    );
    assert!(ok, "{err}");
    assert_eq!(dig(&server, "new.example.com", "A"), "192.0.2.99");
    assert_eq!(serial(&server), before + 1, "serial incremented");
    let file = std::fs::read_to_string(server.dir.path().join("example.com")).expect("zone file");
    assert!(file.contains("192.0.2.99"), "durable in the zone file");
    let (ok, err) = nsupdate(
        &server,
        &admin(),
        "zone example.com\nupdate delete new.example.com A\nupdate add new.example.com 300 A 192.0.2.100",
    );
    assert!(ok, "{err}");
    assert_eq!(dig(&server, "new.example.com", "A"), "192.0.2.100");
    let (ok, err) = nsupdate(
        &server,
        &admin(),
        "zone example.com\nupdate delete new.example.com",
    );
    assert!(ok, "{err}");
    assert_eq!(dig(&server, "new.example.com", "A"), "");
}

#[test]
fn refused_updates_leave_the_zone_unchanged() {
    let server = start();
    let soa = dig(&server, "example.com", "SOA");
    for (key, script, rcode) in [
        // A prerequisite that does not hold.
        (admin(), "zone example.com\nprereq yxdomain nothere.example.com\nupdate add x.example.com 300 A 192.0.2.1", "NXDOMAIN"),
        (admin(), "zone example.com\nprereq nxrrset mail.example.com A\nupdate add x.example.com 300 A 192.0.2.1", "YXRRSET"),
        // A name outside the zone of the update.
        (admin(), "zone example.com\nupdate add x.example.org 300 A 192.0.2.1", "NOTZONE"),
        // A wrong MAC.
        ("hmac-sha256:admin._update.example.com:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_string(), "zone example.com\nupdate add x.example.com 300 A 192.0.2.1", "BADSIG"),
        // A key we do not know.
        ("hmac-sha256:stranger._update.example.com:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_string(), "zone example.com\nupdate add x.example.com 300 A 192.0.2.1", "BADKEY"),
        // A key of another zone.
        (
            format!("hmac-sha256:admin._update.example.org:{}", e2e::example_key_secret("admin._update.example.org.")),
            "zone example.com\nupdate add x.example.com 300 A 192.0.2.1",
            "REFUSED",
        ),
    ] {
        let (ok, err) = nsupdate(&server, &key, script);
        assert!(!ok, "{script} with {key} must fail");
        assert!(err.contains(rcode), "{script}: expected {rcode} in: {err}");
    }
    assert_eq!(dig(&server, "x.example.com", "A"), "");
    assert_eq!(dig(&server, "example.com", "SOA"), soa, "serial unchanged");
}

#[test]
fn a_stale_signature_time_is_refused_with_badtime() {
    let server = start();
    let soa = dig(&server, "example.com", "SOA");
    let target = e2e::target_dir();
    let key = format!(
        "admin._update.example.com:SHA256:{}",
        e2e::example_key_secret("admin._update.example.com.")
    );
    // The request is signed 1000 s in the past (TSIG fudge is 300 s).
    let output = Command::new(target.join("debug/solodns"))
        .args([
            "update",
            &format!("127.0.0.1:{}", server.port),
            "--key",
            &key,
            "--clock-offset=-1000",
        ])
        .arg("add late.example.com 300 A 192.0.2.1")
        .output()
        .expect("run solodns");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("BADTIME"), "{stderr}");
    assert_eq!(dig(&server, "late.example.com", "A"), "");
    assert_eq!(dig(&server, "example.com", "SOA"), soa, "serial unchanged");
}
