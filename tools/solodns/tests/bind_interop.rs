//! `solodns update`, `axfr` and `notify` against a real BIND `named` (the
//! Debian package `bind9`), which proves our client-side TSIG, UPDATE and
//! transfer handling against another implementation (issue 6: "Our CLI's
//! notify, update and axfr work against BIND named as primary").
//!
//! Each test starts its own `named` in the foreground on 127.0.0.1 and a
//! free port, with its configuration, zone, journal, pid and session-key
//! files in a temporary directory, and stops it at the end.

mod common;

use std::net::{TcpListener, UdpSocket};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{fails, ok, require_program, run_bounded, TempDir};

const ZONE: &str = "$TTL 300
@ SOA ns hostmaster 1 7200 3600 1209600 300
  NS ns
ns A 192.0.2.1
www A 192.0.2.80
old A 192.0.2.90
old TXT \"going away\"
";

/// The update key (OCaml-DNS naming), allowed to update and transfer.
const ADMIN: &str = "admin._update.example.com:SHA256:mOXoBNOOlH8X0Fyj0uWbkqRQ6i/RDhhfLb6MRhYv4rE=";
/// A transfer key: may transfer, not update.
const XFR: &str =
    "127.0.0.1.127.0.0.2._transfer.example.com:SHA256:yqxNNKNCfm6+bTFnJRXsXvFP3bkmbJ/w8oTy2VgBKTw=";
/// A notify key: accepted for NOTIFY of the secondary zone example.net only.
const NOTIFIER: &str =
    "notifier._notify.example.net:SHA512:Jxl6yvhsvqWfmTlmbQw4rn4dVrl5ERIAP+AVu2APWFQ2y8d+rUSIEXu9W8dgUoDN4MDe0dlgsZZcw3MYvQMHMQ==";
/// The name of ADMIN with another secret.
const WRONG_SECRET: &str =
    "admin._update.example.com:SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
/// A key named nowhere in named.conf.
const UNKNOWN: &str =
    "stranger._update.example.com:SHA256:mOXoBNOOlH8X0Fyj0uWbkqRQ6i/RDhhfLb6MRhYv4rE=";

/// `key "…" { … };` of a CLI key.
fn key_clause(cli: &str) -> String {
    let key = dns_keys::parse_cli_key(cli).unwrap();
    let (name_alg, secret) = cli.rsplit_once(':').unwrap();
    let name = name_alg.rsplit_once(':').unwrap().0;
    format!(
        "key \"{name}\" {{ algorithm {}; secret \"{secret}\"; }};\n",
        key.algorithm().name().trim_end_matches('.')
    )
}

/// A `named` of this test; SIGTERM (then SIGKILL) on drop.
struct Named {
    child: Child,
    port: u16,
    dir: TempDir,
}

impl Named {
    /// Starts named with the zones: example.com primary (ADMIN may update
    /// and transfer it, XFR may transfer it), example.net secondary of an
    /// unreachable primary (NOTIFIER may notify it).
    fn start(test: &str) -> Named {
        let named = require_program("named", "bind9");
        require_program("dig", "bind9-dnsutils");
        let mut last_log = String::new();
        // A free port can be taken by someone else before named binds it:
        // try a few.
        for attempt in 0..5 {
            let dir = TempDir::new(&format!("named-{test}-{attempt}"));
            let port = free_port();
            write_config(dir.path(), port);
            let log = std::fs::File::create(dir.path().join("named.log")).unwrap();
            let child = Command::new(&named)
                .arg("-g")
                .arg("-n")
                .arg("1")
                .arg("-c")
                .arg(dir.path().join("named.conf"))
                .stdin(Stdio::null())
                .stdout(log.try_clone().unwrap())
                .stderr(log)
                .spawn()
                .expect("start named");
            let mut n = Named { child, port, dir };
            if n.wait_ready() {
                return n;
            }
            last_log = n.log();
        }
        panic!("named did not start:\n{last_log}");
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("named.log")).unwrap_or_default()
    }

    /// Whether it answers for example.com within 15 s.
    fn wait_ready(&mut self) -> bool {
        let deadline = Instant::now() + Duration::from_secs(15);
        while Instant::now() < deadline {
            if self.child.try_wait().expect("wait").is_some() {
                return false;
            }
            if self.dig("example.com", "SOA").contains("hostmaster") {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }

    fn server(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `dig +short NAME TYPE`, sorted lines.
    fn dig(&self, name: &str, rtype: &str) -> String {
        let o = run_bounded(
            Command::new("dig")
                .args(["+short", "+time=1", "+tries=1", "@127.0.0.1", "-p"])
                .arg(self.port.to_string())
                .args([name, rtype]),
            Duration::from_secs(10),
        );
        let text = String::from_utf8_lossy(&o.stdout);
        if text.contains(";;") {
            return String::new();
        }
        let mut lines: Vec<&str> = text.lines().collect();
        lines.sort_unstable();
        lines.join("\n")
    }

    /// The zone as named has it: its zone file with the journal of the
    /// updates applied, dumped by `named-checkzone -j -D`.
    fn zone_on_disk(&self) -> dns_zone::Zone {
        let checkzone = require_program("named-checkzone", "bind9-utils");
        let o = run_bounded(
            Command::new(checkzone)
                .args(["-q", "-j", "-D", "-o", "-", "example.com"])
                .arg(self.dir.path().join("example.com.db")),
            Duration::from_secs(20),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        parse_zone(&o.stdout)
    }

    /// Our `axfr` of example.com.
    fn axfr(&self, key: &str) -> dns_zone::Zone {
        parse_zone(ok(&["axfr", &self.server(), "example.com", "--key", key]).as_bytes())
    }
}

impl Drop for Named {
    fn drop(&mut self) {
        let pid = self.child.id() as i32;
        // SAFETY: kill(2) on our own child.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on 127.0.0.1 for both UDP and TCP just now.
fn free_port() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn write_config(dir: &Path, port: u16) {
    std::fs::write(dir.join("example.com.db"), ZONE).unwrap();
    let d = dir.display();
    let keys: String = [ADMIN, XFR, NOTIFIER].map(key_clause).concat();
    let conf = format!(
        r#"options {{
  directory "{d}";
  pid-file "{d}/named.pid";
  session-keyfile "{d}/session.key";
  managed-keys-directory "{d}";
  listen-on port {port} {{ 127.0.0.1; }};
  listen-on-v6 {{ none; }};
  recursion no;
  dnssec-validation no;
  notify no;
}};
controls {{ }};
{keys}
zone "example.com" {{
  type primary;
  file "{d}/example.com.db";
  allow-update {{ key admin._update.example.com; }};
  allow-transfer {{ key admin._update.example.com; key 127.0.0.1.127.0.0.2._transfer.example.com; }};
}};
zone "example.net" {{
  type secondary;
  file "{d}/example.net.db";
  primaries {{ 192.0.2.53; }};
  allow-notify {{ key notifier._notify.example.net; }};
}};
"#
    );
    std::fs::write(dir.join("named.conf"), conf).unwrap();
}

fn parse_zone(text: &[u8]) -> dns_zone::Zone {
    match dns_zone::Zone::parse(text, common::name("example.com")) {
        Ok((z, _)) => z,
        Err(e) => panic!(
            "zone does not parse: {:?}\n{}",
            e.errors,
            String::from_utf8_lossy(text)
        ),
    }
}

/// Asserts that two zones hold the same records, showing both if not.
#[track_caller]
fn assert_same_zone(ours: &dns_zone::Zone, theirs: &dns_zone::Zone) {
    let (a, b) = (dns_zone::print_zone(ours), dns_zone::print_zone(theirs));
    assert!(ours == theirs && a == b, "axfr:\n{a}\nnamed:\n{b}");
}

#[test]
fn update_changes_the_zone_and_axfr_shows_it() {
    let named = Named::start("update");
    let s = named.server();
    assert_same_zone(&named.axfr(ADMIN), &named.zone_on_disk());

    // Add, replace (delete an RR + add), delete a name; no --zone: found
    // from the SOA, as nsupdate does.
    assert_eq!(
        ok(&[
            "update",
            &s,
            "--key",
            ADMIN,
            "add new.example.com 60 A 192.0.2.9",
            "add new.example.com 60 TXT \"hello world\"",
            "delete www.example.com A 192.0.2.80",
            "add www.example.com 300 A 192.0.2.81",
            "delete old.example.com",
        ]),
        "NOERROR\n"
    );
    assert_eq!(named.dig("new.example.com", "A"), "192.0.2.9");
    assert_eq!(named.dig("new.example.com", "TXT"), "\"hello world\"");
    assert_eq!(named.dig("www.example.com", "A"), "192.0.2.81");
    assert_eq!(named.dig("old.example.com", "ANY"), "");
    assert_eq!(
        named.dig("example.com", "SOA"),
        "ns.example.com. hostmaster.example.com. 2 7200 3600 1209600 300"
    );

    // A file of two updates with prerequisites, over TCP; then delete an
    // RRset with --zone.
    let dir = TempDir::new("update-script");
    let script = dir.path().join("ops");
    std::fs::write(
        &script,
        "; two updates\nzone example.com\nprereq nxdomain a.example.com\nupdate add a.example.com 60 A 192.0.2.10\nsend\nprereq yxdomain a.example.com\nprereq yxrrset new.example.com A 192.0.2.9\nupdate add b.example.com 60 AAAA 2001:db8::1\nsend\n",
    )
    .unwrap();
    assert_eq!(
        ok(&[
            "update",
            &s,
            "--key",
            ADMIN,
            "--tcp",
            "--file",
            script.to_str().unwrap()
        ]),
        "update 1 of 2 (example.com): NOERROR\nupdate 2 of 2 (example.com): NOERROR\n"
    );
    assert_eq!(named.dig("b.example.com", "AAAA"), "2001:db8::1");
    assert_eq!(
        ok(&[
            "update",
            &s,
            "--key",
            ADMIN,
            "--zone",
            "example.com",
            "delete new.example.com TXT"
        ]),
        "NOERROR\n"
    );
    assert_eq!(named.dig("new.example.com", "TXT"), "");

    // An update larger than 512 octets goes over TCP by itself.
    let ops: Vec<String> = (0..30)
        .map(|i| format!("add big.example.com 60 TXT \"record number {i} of a big update\""))
        .collect();
    let mut args = vec!["update", &s, "--key", ADMIN, "--zone", "example.com"];
    args.extend(ops.iter().map(String::as_str));
    assert_eq!(ok(&args), "NOERROR\n");
    assert_eq!(named.dig("big.example.com", "TXT").lines().count(), 30);

    // Our AXFR equals named's zone after the updates, with either key.
    let theirs = named.zone_on_disk();
    assert_eq!(theirs.serial().0, 6);
    assert_same_zone(&named.axfr(ADMIN), &theirs);
    assert_same_zone(&named.axfr(XFR), &theirs);
}

#[test]
fn refusals_name_the_rcode_and_change_nothing() {
    let named = Named::start("refusals");
    let s = named.server();
    let before = named.axfr(ADMIN);
    let update = |ops: &[&str]| {
        let mut args = vec!["update", &s, "--key", ADMIN, "--zone", "example.com"];
        args.extend_from_slice(ops);
        fails(&args)
    };
    let cases: [(&[&str], &str); 7] = [
        (
            &["prereq nxdomain www.example.com", "add x.example.com 60 A 192.0.2.1"],
            "YXDOMAIN: a 'name is not in use' prerequisite (prereq nxdomain) failed: the name exists (prereq nxdomain www.example.com.)",
        ),
        (
            &["prereq yxdomain nowhere.example.com", "add x.example.com 60 A 192.0.2.1"],
            "NXDOMAIN: a 'name is in use' prerequisite (prereq yxdomain) failed: the name does not exist (prereq yxdomain nowhere.example.com.)",
        ),
        (
            &["prereq nxrrset www.example.com A", "add x.example.com 60 A 192.0.2.1"],
            "YXRRSET: an 'RRset does not exist' prerequisite (prereq nxrrset) failed: the RRset exists (prereq nxrrset www.example.com. A)",
        ),
        (
            &["prereq yxrrset www.example.com AAAA", "add x.example.com 60 A 192.0.2.1"],
            "NXRRSET: an 'RRset exists' prerequisite (prereq yxrrset) failed: the RRset does not exist, or its records differ (prereq yxrrset www.example.com. AAAA)",
        ),
        (
            &["prereq yxrrset www.example.com A 192.0.2.99", "add x.example.com 60 A 192.0.2.1"],
            "NXRRSET: an 'RRset exists' prerequisite (prereq yxrrset) failed: the RRset does not exist, or its records differ (prereq yxrrset www.example.com. A with 1 record(s))",
        ),
        (
            &["add x.example.org 60 A 192.0.2.1"],
            "NOTZONE: a name in the update is not in zone example.com",
        ),
        (
            // All or nothing: the valid first change is not applied either.
            &["add y.example.com 60 A 192.0.2.1", "prereq yxdomain nowhere.example.com"],
            "NXDOMAIN: ",
        ),
    ];
    for (ops, want) in cases {
        let e = update(ops);
        assert!(
            e.starts_with(&format!("solodns update: {want}")),
            "{ops:?}: {e}"
        );
    }
    // Another zone: NOTAUTH; a key without update rights: REFUSED.
    let e = fails(&[
        "update",
        &s,
        "--key",
        ADMIN,
        "--zone",
        "example.org",
        "add x.example.org 60 A 192.0.2.1",
    ]);
    assert_eq!(
        e,
        "solodns update: NOTAUTH: the server is not authoritative for example.org\n"
    );
    let e = fails(&[
        "update",
        &s,
        "--key",
        XFR,
        "--zone",
        "example.com",
        "add x.example.com 60 A 192.0.2.1",
    ]);
    assert_eq!(
        e,
        "solodns update: REFUSED: the server does not let key 127.0.0.1.127.0.0.2._transfer.example.com update example.com (or refuses every UPDATE)\n"
    );
    // A transfer with a key not in allow-transfer: REFUSED; of a zone
    // named does not have: NOTAUTH.
    let e = fails(&["axfr", &s, "example.com", "--key", NOTIFIER]);
    assert!(e.starts_with("solodns axfr: REFUSED: the server does not let key notifier._notify.example.net transfer example.com"), "{e}");
    let e = fails(&["axfr", &s, "example.org", "--key", ADMIN]);
    assert_eq!(
        e,
        "solodns axfr: NOTAUTH: the server is not authoritative for example.org\n"
    );

    assert_same_zone(&named.axfr(ADMIN), &before);
    assert_eq!(named.dig("x.example.com", "A"), "");
    assert_eq!(named.dig("y.example.com", "A"), "");
}

/// The number in "differ by N s".
fn clock_difference(e: &str) -> i64 {
    let rest = e
        .split("differ by ")
        .nth(1)
        .unwrap_or_else(|| panic!("{e}"));
    rest.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn tsig_errors_are_explained() {
    let named = Named::start("tsig");
    let s = named.server();
    let before = named.axfr(ADMIN);
    let add = "add x.example.com 60 A 192.0.2.1";
    let badsig = "BADSIG: the server says our MAC is wrong (wrong secret?) for key admin._update.example.com\n";
    assert_eq!(
        fails(&[
            "update",
            &s,
            "--key",
            WRONG_SECRET,
            "--zone",
            "example.com",
            add
        ]),
        format!("solodns update: {badsig}")
    );
    assert_eq!(
        fails(&["axfr", &s, "example.com", "--key", WRONG_SECRET]),
        format!("solodns axfr: {badsig}")
    );
    assert_eq!(
        fails(&["notify", &s, "example.com", "--key", WRONG_SECRET]),
        format!("solodns notify: {badsig}")
    );
    let badkey = "BADKEY: the server does not know key stranger._update.example.com with algorithm hmac-sha256 (key name or algorithm wrong?)\n";
    assert_eq!(
        fails(&["update", &s, "--key", UNKNOWN, "--zone", "example.com", add]),
        format!("solodns update: {badkey}")
    );
    assert_eq!(
        fails(&["axfr", &s, "example.com", "--key", UNKNOWN]),
        format!("solodns axfr: {badkey}")
    );
    // The same secret under another algorithm is another key to BIND.
    let e = fails(&[
        "notify",
        &s,
        "example.com",
        "--key",
        &ADMIN.replace("SHA256", "SHA512"),
    ]);
    assert!(e.starts_with("solodns notify: BADKEY: the server does not know key admin._update.example.com with algorithm hmac-sha512"), "{e}");

    // Our clock 1000 s behind, then 2000 s ahead: BIND answers BADTIME
    // with its time, signed.
    for (cmd, offset) in [("update", -1000i64), ("notify", 2000), ("axfr", -1000)] {
        let offset_arg = format!("--clock-offset={offset}");
        let mut args = vec![cmd, &s];
        match cmd {
            "update" => args.extend(["--zone", "example.com", add]),
            _ => args.push("example.com"),
        }
        args.extend(["--key", ADMIN, &offset_arg]);
        let e = fails(&args);
        assert!(
            e.starts_with(&format!(
                "solodns {cmd}: BADTIME: the server's clock and ours differ by "
            )),
            "{e}"
        );
        assert!((clock_difference(&e) + offset).abs() <= 2, "{e}");
    }
    // Within the fudge (300 s) it works.
    assert_eq!(
        ok(&[
            "notify",
            &s,
            "example.com",
            "--key",
            ADMIN,
            "--clock-offset=-200"
        ]),
        "NOERROR\n"
    );

    assert_same_zone(&named.axfr(ADMIN), &before);
}

#[test]
fn notify_is_answered_noerror() {
    let named = Named::start("notify");
    let s = named.server();
    // A primary zone: named acknowledges (and ignores) it.
    assert_eq!(
        ok(&["notify", &s, "example.com", "--key", ADMIN]),
        "NOERROR\n"
    );
    assert_eq!(
        ok(&["notify", &s, "example.com", "--key", ADMIN, "--tcp"]),
        "NOERROR\n"
    );
    // A secondary zone: the key of allow-notify is accepted (and named
    // queues a refresh), another key is refused.
    assert_eq!(
        ok(&["notify", &s, "example.net", "--key", NOTIFIER]),
        "NOERROR\n"
    );
    assert_eq!(
        ok(&["notify", &s, "example.net", "--key", NOTIFIER, "--tcp"]),
        "NOERROR\n"
    );
    assert_eq!(
        fails(&["notify", &s, "example.net", "--key", ADMIN]),
        "solodns notify: REFUSED: the server does not accept this key for example.net (or NOTIFY from this address)\n"
    );
    // A zone named does not serve.
    assert_eq!(
        fails(&["notify", &s, "example.org", "--key", ADMIN]),
        "solodns notify: NOTAUTH: the server is not authoritative for example.org, or not a secondary that takes NOTIFY for it\n"
    );
    let log = named.log();
    assert!(
        log.contains("received notify for zone 'example.net': TSIG 'notifier._notify.example.net'"),
        "{log}"
    );
}
