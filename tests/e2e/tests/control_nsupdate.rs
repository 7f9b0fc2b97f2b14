//! BIND's nsupdate against primary-git's host-process build (`--zones-dir`
//! mode: an update is durable once journaled, and reaches the zone file
//! soon after): adds, replaces and deletes change the answers; a failing
//! prerequisite, a wrong MAC, an unknown key and an out-of-scope name are
//! refused with the right rcode and change nothing. The journal: a kill
//! right after the acknowledgement loses nothing, a torn tail is cut off,
//! entries that do not continue the zone file are set aside.

use e2e::net::Guest;
use e2e::{repo_root, TempDir};
use std::net::UdpSocket;
use std::process::Command;
use std::time::Duration;

struct Server {
    primary: Guest,
    dir: TempDir,
    port: u16,
}

/// A directory holding a copy of zones-example.
fn example_dir() -> TempDir {
    TempDir::with_zones_example("nsupdate")
}

fn start() -> Server {
    start_in(example_dir(), free_port())
}

/// Stops the primary at once (SIGKILL: no chance to write anything) and
/// starts it again on the same directory and port.
fn kill_and_restart(server: Server) -> Server {
    let Server { primary, dir, port } = server;
    drop(primary);
    start_in(dir, port)
}

fn start_in(dir: TempDir, port: u16) -> Server {
    let target = e2e::target_dir();
    let mut command = Command::new(target.join("debug/primary-git"));
    command
        .arg(format!("--zones-dir={}", dir.path().display()))
        .arg(format!("--listen=127.0.0.1:{port}"));
    let mut primary = Guest::spawn(command);
    primary.wait_for("serving 2 zones", Duration::from_secs(20));
    Server { primary, dir, port }
}

/// Waits (at most 10 s) until the zone file of example.com satisfies `ok`.
fn zone_file_becomes(server: &Server, ok: impl Fn(&str) -> bool) -> String {
    let path = server.dir.path().join("example.com");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let file = std::fs::read_to_string(&path).expect("zone file");
        if ok(&file) || std::time::Instant::now() > deadline {
            return file;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn journal_path(server: &Server) -> std::path::PathBuf {
    server.dir.path().join(".journal/example.com")
}

/// Waits (at most 10 s) until example.com has no journal file.
fn journal_gone(server: &Server) -> bool {
    let start = std::time::Instant::now();
    while journal_path(server).exists() && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(20));
    }
    !journal_path(server).exists()
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
    let file = zone_file_becomes(&server, |f| f.contains("192.0.2.99"));
    assert!(
        file.contains("192.0.2.99"),
        "in the zone file soon:\n{file}"
    );
    // The journal is cut once the loop sees the write end (just after).
    assert!(
        journal_gone(&server),
        "the journal drops what the file holds"
    );
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

#[test]
fn an_acknowledged_update_survives_a_kill_right_after_it() {
    let server = start();
    let (ok, err) = nsupdate(
        &server,
        &admin(),
        "zone example.com\nupdate add kept.example.com 300 A 192.0.2.61",
    );
    assert!(ok, "{err}");
    // Killed at once: the zone file is written 250 ms after the last
    // change, so the change is (almost always) only in the journal.
    let file = std::fs::read_to_string(server.dir.path().join("example.com")).expect("zone");
    let in_file_before = file.contains("192.0.2.61");
    let mut server = kill_and_restart(server);
    assert_eq!(dig(&server, "kept.example.com", "A"), "192.0.2.61");
    let replayed = server
        .primary
        .try_wait_for("replayed from the journal", Duration::from_secs(1));
    assert!(
        in_file_before || replayed.is_some(),
        "neither in the file nor replayed:\n{}",
        server.primary.output()
    );
    let file = zone_file_becomes(&server, |f| f.contains("192.0.2.61"));
    assert!(
        file.contains("192.0.2.61"),
        "in the zone file after the restart (replayed: {replayed:?}):\n{file}"
    );
    assert!(journal_gone(&server), "journal emptied once written");
}

/// zones-example's example.com, and the same with `extra` records and the
/// serial raised by `bump`.
fn example_versions(bump: u32, extra: &str) -> (dns_zone::Zone, dns_zone::Zone) {
    let text =
        std::fs::read_to_string(repo_root().join("zones-example/example.com")).expect("zone");
    let origin: dns_zone::Name = "example.com.".parse().expect("name");
    let old = dns_zone::Zone::parse(text.as_bytes(), origin.clone())
        .expect("parses")
        .0;
    let serial = old.serial().0;
    let new_text = text.replacen(&serial.to_string(), &(serial + bump).to_string(), 1) + extra;
    let new = dns_zone::Zone::parse(new_text.as_bytes(), origin)
        .expect("parses")
        .0;
    (old, new)
}

fn write_journal(dir: &TempDir, bytes: &[u8]) {
    std::fs::create_dir_all(dir.path().join(".journal")).expect("journal dir");
    std::fs::write(dir.path().join(".journal/example.com"), bytes).expect("journal");
}

fn free_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port()
}

#[test]
fn a_torn_journal_tail_is_cut_off_and_the_entries_before_it_replayed() {
    let dir = example_dir();
    let (old, new) = example_versions(1, "journaled.example.com. 300 IN A 192.0.2.77\n");
    let mut bytes = Vec::new();
    dns_zone::write_journal_entry(&old.diff(&new), &mut bytes);
    // The next entry's write cut short by a crash: never acknowledged.
    let mut next = Vec::new();
    let (_, newer) = example_versions(2, "");
    dns_zone::write_journal_entry(&new.diff(&newer), &mut next);
    bytes.extend_from_slice(&next[..next.len() / 3]);
    write_journal(&dir, &bytes);
    let mut server = start_in(dir, free_port());
    server.primary.wait_for("cut off", Duration::from_secs(5));
    server.primary.wait_for(
        "1 changes replayed from the journal",
        Duration::from_secs(5),
    );
    assert_eq!(dig(&server, "journaled.example.com", "A"), "192.0.2.77");
    let serial = dig(&server, "example.com", "SOA");
    assert!(serial.contains(&new.serial().0.to_string()), "{serial}");
    // New entries follow the good ones, not the torn bytes.
    let (ok, err) = nsupdate(
        &server,
        &admin(),
        "zone example.com\nupdate add after.example.com 300 A 192.0.2.78",
    );
    assert!(ok, "{err}");
    let server = kill_and_restart(server);
    assert_eq!(dig(&server, "journaled.example.com", "A"), "192.0.2.77");
    assert_eq!(dig(&server, "after.example.com", "A"), "192.0.2.78");
}

#[test]
fn a_journal_that_does_not_continue_the_zone_file_is_set_aside() {
    let dir = example_dir();
    // An entry from a serial the file never had (the file was replaced by
    // an older one while the server was stopped).
    let (_, later) = example_versions(5, "");
    let (_, latest) = example_versions(6, "lost.example.com. 300 IN A 192.0.2.79\n");
    let mut bytes = Vec::new();
    dns_zone::write_journal_entry(&later.diff(&latest), &mut bytes);
    write_journal(&dir, &bytes);
    let mut server = start_in(dir, free_port());
    let line = server.primary.wait_for(
        "journal does not continue the zone file",
        Duration::from_secs(5),
    );
    assert!(line.contains("set aside as"), "{line}");
    assert_eq!(dig(&server, "lost.example.com", "A"), "", "not applied");
    let aside: Vec<_> = std::fs::read_dir(server.dir.path().join(".journal"))
        .expect("journal dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        aside.len() == 1 && aside[0].starts_with("example.com.unused-"),
        "kept for the operator: {aside:?}"
    );
    // UPDATEs work and journal afresh.
    let (ok, err) = nsupdate(
        &server,
        &admin(),
        "zone example.com\nupdate add fresh.example.com 300 A 192.0.2.80",
    );
    assert!(ok, "{err}");
    let server = kill_and_restart(server);
    assert_eq!(dig(&server, "fresh.example.com", "A"), "192.0.2.80");
}

#[test]
fn a_zone_file_removed_with_changes_unwritten_is_not_brought_back() {
    let mut server = start();
    let (ok, err) = nsupdate(
        &server,
        &admin(),
        "zone example.com\nupdate add gone.example.com 300 A 192.0.2.81",
    );
    assert!(ok, "{err}");
    // The operator removes the zone at once, before the background write.
    let file = server.dir.path().join("example.com");
    let removed_before_write = !std::fs::read_to_string(&file)
        .expect("zone file")
        .contains("192.0.2.81");
    std::fs::remove_file(&file).expect("remove the zone file");
    if removed_before_write {
        server
            .primary
            .wait_for("the zone file was removed", Duration::from_secs(5));
    }
    std::thread::sleep(Duration::from_millis(600));
    assert!(!file.exists(), "not written back");
    let key = format!(
        "admin._update.example.com:SHA256:{}",
        e2e::example_key_secret("admin._update.example.com.")
    );
    let output = Command::new(e2e::target_dir().join("debug/solodns"))
        .args([
            "notify",
            &format!("127.0.0.1:{}", server.port),
            "example.com",
        ])
        .args(["--key", &key, "--timeout=10"])
        .output()
        .expect("run solodns notify");
    assert!(
        output.status.success(),
        "solodns notify: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    server.primary.wait_for("rereading", Duration::from_secs(5));
    let start = std::time::Instant::now();
    while !dig(&server, "example.com", "SOA").is_empty() && start.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(dig(&server, "example.com", "SOA"), "", "no longer served");
    assert!(!file.exists(), "still not written back");
    assert!(journal_gone(&server), "its journal went with it");
}

#[test]
fn an_update_that_cannot_be_journaled_is_refused_and_changes_nothing() {
    let dir = example_dir();
    // The journal's place is taken by a file: no journal can be written.
    std::fs::write(dir.path().join(".journal"), b"not a directory").expect("blocker");
    let mut server = start_in(dir, free_port());
    let soa = dig(&server, "example.com", "SOA");
    let (ok, err) = nsupdate(
        &server,
        &admin(),
        "zone example.com\nupdate add unjournaled.example.com 300 A 192.0.2.82",
    );
    assert!(!ok, "must not be acknowledged");
    assert!(err.contains("SERVFAIL"), "{err}");
    server
        .primary
        .wait_for("not durable", Duration::from_secs(5));
    assert_eq!(
        dig(&server, "unjournaled.example.com", "A"),
        "",
        "not served"
    );
    assert_eq!(dig(&server, "example.com", "SOA"), soa, "serial unchanged");
    // Once the journal can be written, UPDATEs work again.
    std::fs::remove_file(server.dir.path().join(".journal")).expect("unblock");
    let (ok, err) = nsupdate(
        &server,
        &admin(),
        "zone example.com\nupdate add journaled.example.com 300 A 192.0.2.83",
    );
    assert!(ok, "{err}");
    assert_eq!(dig(&server, "journaled.example.com", "A"), "192.0.2.83");
}
