//! primary-git (spt image) follows its repository both ways, against real
//! OpenSSH + git-shell, git, nsupdate, dig and ldns-notify in a namespace of
//! the test's own: pushes announced by NOTIFY are served within seconds,
//! signed UPDATEs are acknowledged only once committed and pushed (also
//! when someone else pushed meanwhile), broken pushes are reported and do
//! not stop the last good zone, and a restart serves what git holds.

use e2e::gitserver::GitServer;
use e2e::net::{Guest, TestNet};
use e2e::peers::{short, status, with_serial, TsigKey};
use e2e::{host_binary, image, Tender};
use ssh::ClientKey;
use std::time::{Duration, Instant};

const READY: Duration = Duration::from_secs(30);
const PRIMARY: &str = "10.53.0.2";
const UPDATE_KEY: &str = "admin._update.example.com";
/// As boot arguments (no spaces there) and as git prints them.
const AUTHOR: (&str, &str) = (
    "Zone%20Robot<robot@example.org>",
    "Zone Robot <robot@example.org>",
);
const COMMITTER: (&str, &str) = (
    "DNS%20Primary<primary@example.org>",
    "DNS Primary <primary@example.org>",
);

/// A git server in a fresh namespace and primary-git booted on it.
struct Setup {
    net: TestNet,
    server: GitServer,
    key: ClientKey,
    /// None only while restarting.
    primary: Option<Guest>,
}

impl Setup {
    fn start() -> Setup {
        let key = ClientKey::from_seed([9u8; 32]);
        let net = TestNet::up(1);
        let server = GitServer::in_testnet(&net, &key);
        let primary = Some(boot(&net, &server, &key));
        Setup {
            net,
            server,
            key,
            primary,
        }
    }

    /// Stops the unikernel and boots it again on the same repository.
    fn restart(&mut self) {
        // The old one lets go of the tap first.
        self.primary = None;
        self.primary = Some(boot(&self.net, &self.server, &self.key));
    }

    fn log(&mut self) -> &mut Guest {
        self.primary.as_mut().expect("booted")
    }

    /// `dig +short` of `name` `qtype` from the primary, one line a record.
    fn dig(&self, name: &str, qtype: &str) -> String {
        short(&self.net, PRIMARY, name, qtype).join("\n")
    }

    /// Asks until the answer is `expected`; returns how long that took.
    fn wait_answer(&self, name: &str, qtype: &str, expected: &str, limit: Duration) -> Duration {
        let start = Instant::now();
        loop {
            let answer = self.dig(name, qtype);
            if answer == expected {
                return start.elapsed();
            }
            assert!(
                start.elapsed() < limit,
                "{name} {qtype} is {answer:?}, not {expected:?}, after {limit:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// nsupdate (signed with `key` as `hmac-sha256:NAME:SECRET`, if given)
    /// sending `script` to the primary; (success, stderr).
    fn nsupdate(&self, key: Option<&str>, script: &str) -> (bool, String) {
        let script = format!("zone example.com\n{script}");
        e2e::peers::nsupdate(self.net.command("nsupdate"), PRIMARY, key, 20, &script)
    }

    /// `solodns notify` for example.com, signed with the update key.
    fn solodns_notify(&self) {
        let key = TsigKey::example(UPDATE_KEY).solodns_arg();
        let output = self
            .net
            .command(host_binary("solodns"))
            .args(["notify", PRIMARY, "example.com", "--key", &key])
            .output()
            .expect("run solodns notify");
        assert!(
            output.status.success(),
            "solodns notify: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

fn boot(net: &TestNet, server: &GitServer, key: &ClientKey) -> Guest {
    let mut args = server.primary_git_args(key);
    args.extend([
        format!("--ipv4={PRIMARY}/24"),
        format!("--git-author={}", AUTHOR.0),
        format!("--git-committer={}", COMMITTER.0),
    ]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut guest = net.boot(
        Tender::Spt,
        &image("primary-git", Tender::Spt),
        "tap0",
        &args,
    );
    guest.wait_for("serving 2 zones from commit", READY);
    guest
}

/// The update key as nsupdate's `-y` takes it.
fn update_key() -> String {
    TsigKey::example(UPDATE_KEY).bind_arg()
}

/// A zone file whose SOA is on one line (example.org's) with its serial
/// one higher: a changed zone needs a greater serial to be served.
fn next_soa_serial(zone: &str) -> String {
    let mut out = String::new();
    for line in zone.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.iter().position(|f| *f == "SOA") {
            Some(at) if fields.len() > at + 3 => {
                let serial: u32 = fields[at + 3].parse().expect("a serial");
                let mut fields: Vec<String> = fields.iter().map(|f| f.to_string()).collect();
                fields[at + 3] = (serial + 1).to_string();
                out.push_str(&fields.join(" "));
            }
            _ => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// example.com's file with `serial` and an extra `line`.
fn with_serial_and(zone: &str, serial: u32, line: &str) -> String {
    format!("{}\n{line}\n", with_serial(zone, serial).trim_end())
}

#[test]
fn pushes_announced_by_notify_are_served_and_broken_ones_reported() {
    let setup = Setup::start();
    assert_eq!(setup.dig("mail.example.com", "A"), "192.0.2.25");

    // Our own client.
    setup.server.edit_file(
        "example.com",
        |zone| with_serial_and(zone, 2026112302, "pushed1 A 192.0.2.101"),
        "add pushed1",
    );
    let asked = Instant::now();
    setup.solodns_notify();
    setup.wait_answer("pushed1.example.com", "A", "192.0.2.101", READY);
    println!(
        "NOTIFY to new answer (solodns notify): {:?}",
        asked.elapsed()
    );
    assert!(asked.elapsed() < Duration::from_secs(10), "within seconds");

    // A third party's signed NOTIFY: ldns-notify.
    setup.server.edit_file(
        "example.com",
        |zone| with_serial_and(zone, 2026112303, "pushed2 A 192.0.2.102"),
        "add pushed2",
    );
    let asked = Instant::now();
    let output = setup
        .net
        .command("ldns-notify")
        .args([
            "-z",
            "example.com",
            "-y",
            &{
                let key = TsigKey::example(UPDATE_KEY);
                format!("{}:{}:hmac-sha256", key.name, key.secret)
            },
            "-r",
            "3",
            PRIMARY,
        ])
        .output()
        .expect("run ldns-notify (package ldnsutils)");
    assert!(
        output.status.success(),
        "ldns-notify: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    setup.wait_answer("pushed2.example.com", "A", "192.0.2.102", READY);
    println!("NOTIFY to new answer (ldns-notify): {:?}", asked.elapsed());

    // A zone added to the repository is served after the NOTIFY (for the
    // root: every zone), one removed is not any more.
    setup.server.push_file(
        "example.net",
        "$TTL 300\n@ SOA ns1.example.com. hostmaster 1 7200 3600 1209600 300\n@ NS ns1.example.com.\nwww A 192.0.2.130\n",
        "a new zone",
    );
    setup.solodns_notify();
    setup.wait_answer("www.example.net", "A", "192.0.2.130", READY);
    setup.server.remove_file("example.net", "the zone goes");
    setup.solodns_notify();
    let start = Instant::now();
    while status(&setup.net, PRIMARY, "www.example.net", "A").as_deref() != Some("REFUSED") {
        assert!(start.elapsed() < READY, "example.net still served");
        std::thread::sleep(Duration::from_millis(50));
    }

    // A broken zone: reported with file:line:column and the commit; the
    // last good version keeps answering.
    let mut setup = setup;
    setup.server.edit_file(
        "example.com",
        |zone| with_serial_and(zone, 2026112304, "broken A 192.0.2.300"),
        "a typo",
    );
    let commit = setup.server.last_commit("%H");
    let broken_line = setup.server.file("example.com").lines().count();
    setup.solodns_notify();
    let line = setup.log().wait_for("example.com:", READY);
    assert!(
        line.contains(&format!("example.com:{broken_line}:"))
            && line.contains(commit.trim())
            && line.contains("192.0.2.300"),
        "file:line:column, commit and the bad value: {line}"
    );
    setup
        .log()
        .wait_for("example.com keeps serving its last good version", READY);
    assert_eq!(setup.dig("pushed2.example.com", "A"), "192.0.2.102");
    assert_eq!(setup.dig("broken.example.com", "A"), "");
}

#[test]
fn signed_updates_are_pushed_before_they_are_acknowledged() {
    let mut setup = Setup::start();
    let commits = setup.server.commit_count();

    let (ok, stderr) = setup.nsupdate(
        Some(&update_key()),
        "update add dyn.example.com. 300 IN A 192.0.2.99",
    );
    assert!(ok, "nsupdate: {stderr}");
    // Acknowledged means in git: the commit is there already.
    assert_eq!(setup.server.commit_count(), commits + 1);
    let who = setup.server.last_commit("%an <%ae>|%cn <%ce>");
    assert_eq!(who.trim(), format!("{}|{}", AUTHOR.1, COMMITTER.1));
    let message = setup.server.last_commit("%B");
    assert!(
        message.starts_with(
            "UPDATE example.com. by admin._update.example.com.: serial 2026112301 -> 2026112302"
        ) && message.contains("+dyn.example.com. 300 IN A 192.0.2.99"),
        "names the key and the change: {message}"
    );
    assert!(setup
        .server
        .file("example.com")
        .contains("dyn.example.com. 300 IN A 192.0.2.99"));
    assert_eq!(setup.dig("dyn.example.com", "A"), "192.0.2.99");

    // Unsigned and wrongly signed: refused, no commit, no change.
    let (ok, stderr) = setup.nsupdate(None, "update add unsigned.example.com. 300 IN A 192.0.2.98");
    assert!(!ok && stderr.contains("REFUSED"), "unsigned: {stderr}");
    // The right name with another key's secret.
    let wrong = TsigKey {
        secret: TsigKey::example("admin._update.example.org").secret,
        ..TsigKey::example(UPDATE_KEY)
    }
    .bind_arg();
    let (ok, stderr) = setup.nsupdate(
        Some(&wrong),
        "update add forged.example.com. 300 IN A 192.0.2.97",
    );
    assert!(!ok, "wrongly signed: {stderr}");
    assert_eq!(setup.server.commit_count(), commits + 1, "no commit");
    assert_eq!(setup.dig("unsigned.example.com", "A"), "");
    assert_eq!(setup.dig("forged.example.com", "A"), "");

    // A push the remote refuses for good (a hook): SERVFAIL, nothing
    // committed, nothing served.
    setup
        .server
        .set_hook("pre-receive", Some("echo 'zones are frozen' >&2; exit 1"));
    let (ok, stderr) = setup.nsupdate(
        Some(&update_key()),
        "update add frozen.example.com. 300 IN A 192.0.2.96",
    );
    assert!(!ok && stderr.contains("SERVFAIL"), "refused push: {stderr}");
    let line = setup
        .log()
        .wait_for("answered SERVFAIL: the remote refused", READY);
    assert!(
        line.contains("UPDATE of example.com. by admin._update.example.com."),
        "{line}"
    );
    assert_eq!(setup.server.commit_count(), commits + 1, "no commit");
    assert_eq!(setup.dig("frozen.example.com", "A"), "");
    setup.server.set_hook("pre-receive", None);

    // git is the only state: a restarted primary serves the update.
    setup.restart();
    assert_eq!(setup.dig("dyn.example.com", "A"), "192.0.2.99");
    assert_eq!(setup.dig("mail.example.com", "A"), "192.0.2.25");
}

#[test]
fn an_update_racing_a_git_push_loses_neither() {
    let mut setup = Setup::start();
    // Someone pushes a change the primary has not fetched (no NOTIFY): the
    // primary's push is refused, it fetches, applies the UPDATE again on
    // the new head and pushes that.
    setup.server.edit_file(
        "example.com",
        |zone| with_serial_and(zone, 2026112350, "by-git A 192.0.2.81"),
        "add by-git",
    );
    let (ok, stderr) = setup.nsupdate(
        Some(&update_key()),
        "update add by-update.example.com. 300 IN A 192.0.2.82",
    );
    assert!(ok, "nsupdate: {stderr}");
    let refused = setup.log().wait_for("failed (push rejected", READY);
    assert!(refused.contains("push rejected: fetch first"), "{refused}");
    setup.log().wait_for("applying it again there", READY);
    let file = setup.server.file("example.com");
    assert!(
        file.contains("by-git") && file.contains("by-update"),
        "{file}"
    );
    assert!(
        setup
            .server
            .last_commit("%s")
            .contains("serial 2026112350 -> 2026112351"),
        "built on the pushed head"
    );
    assert_eq!(setup.dig("by-git.example.com", "A"), "192.0.2.81");
    assert_eq!(setup.dig("by-update.example.com", "A"), "192.0.2.82");

    // Truly concurrent: an operator pushes a change to the other zone
    // while an UPDATE is being made durable, a few rounds. Whoever loses
    // the race at the remote fetches and tries again (git pull --rebase,
    // the primary by applying the UPDATE again): both land.
    for round in 0..3u32 {
        let git_name = format!("git{round}.example.org.");
        let dns_name = format!("dns{round}.example.com.");
        std::thread::scope(|scope| {
            let pusher = scope.spawn(|| {
                setup.server.edit_file(
                    "example.org",
                    |zone| {
                        format!(
                            "{}\n{git_name} A 192.0.2.{}\n",
                            next_soa_serial(zone).trim_end(),
                            10 + round
                        )
                    },
                    "concurrent change",
                );
            });
            let (ok, stderr) = setup.nsupdate(
                Some(&update_key()),
                &format!("update add {dns_name} 300 A 192.0.2.{}", 20 + round),
            );
            assert!(ok, "nsupdate round {round}: {stderr}");
            pusher.join().expect("git push");
        });
        assert!(
            setup.server.file("example.com").contains(&dns_name),
            "round {round}: the acknowledged UPDATE is in git"
        );
        assert!(setup.server.file("example.org").contains(&git_name));
        setup.solodns_notify();
        setup.wait_answer(&git_name, "A", &format!("192.0.2.{}", 10 + round), READY);
        assert_eq!(setup.dig(&dns_name, "A"), format!("192.0.2.{}", 20 + round));
    }
}
