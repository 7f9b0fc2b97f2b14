//! Never two contents under one serial (issue 12 §2), with our spt images
//! against real OpenSSH + git, dig and nsupdate in a namespace of the
//! test's own:
//! - a push that changes a zone without increasing its serial is not
//!   served: the primary keeps the last good version and logs the file,
//!   the commit and "changed but serial N not increased"; our secondary
//!   stays equal to the primary after the next real bump;
//! - an UPDATE while the branch head holds a broken version of its zone
//!   is answered SERVFAIL and logged; the operator's file stays as pushed;
//! - a zone file that never loaded answers SERVFAIL, not REFUSED.

use e2e::gitserver::GitServer;
use e2e::net::{Guest, TestNet};
use e2e::peers::{
    axfr_records, run_in, short, status, wait_for_serial, with_serial, zone_text_serial, TsigKey,
};
use e2e::{host_binary, image, repo_root, Tender};
use ssh::ClientKey;
use std::time::{Duration, Instant};

const PRIMARY: &str = "10.53.0.3";
const SECONDARY: &str = "10.53.0.2";
const TRANSFER_KEY: &str = "10.53.0.3.10.53.0.2._transfer.example.com";
const UPDATE_KEY: &str = "admin._update.example.com";
const READY: Duration = Duration::from_secs(30);

/// A git server whose `_keys` name our secondary, and primary-git on it.
struct Setup {
    net: TestNet,
    server: GitServer,
    primary: Guest,
    transfer: TsigKey,
}

impl Setup {
    fn start(taps: usize) -> Setup {
        let net = TestNet::up(taps);
        let client_key = ClientKey::from_seed([11u8; 32]);
        let server = GitServer::in_testnet(&net, &client_key);
        let secret = e2e::example_key_secret("10.53.0.1.10.53.0.2._transfer.example.com.");
        let keys: String = std::fs::read_to_string(repo_root().join("zones-example/_keys"))
            .expect("_keys")
            .lines()
            .filter(|line| !line.contains("._transfer."))
            .map(|line| format!("{line}\n"))
            .collect::<String>()
            + &format!("{TRANSFER_KEY}. DNSKEY 0 3 163 {secret}\n");
        server.push_file("_keys", &keys, "the transfer key of our secondary");
        let mut args = server.primary_git_args(&client_key);
        args.push(format!("--ipv4={PRIMARY}/24"));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut primary = net.boot(
            Tender::Spt,
            &image("primary-git", Tender::Spt),
            "tap0",
            &args,
        );
        primary.wait_for("serving 2 zones from commit", READY);
        Setup {
            net,
            server,
            primary,
            transfer: TsigKey {
                name: TRANSFER_KEY.into(),
                secret,
            },
        }
    }

    fn notify(&self, zone: &str) {
        let key = TsigKey::example(UPDATE_KEY).solodns_arg();
        let solodns = host_binary("solodns");
        run_in(
            &self.net,
            solodns.to_str().expect("UTF-8 path"),
            &["notify", PRIMARY, zone, "--key", &key],
            None,
        );
    }

    /// nsupdate signed with the update key; (success, stderr).
    fn nsupdate(&self, script: &str) -> (bool, String) {
        let key = TsigKey::example(UPDATE_KEY).bind_arg();
        let script = format!("zone example.com\n{script}");
        e2e::peers::nsupdate(
            self.net.command("nsupdate"),
            PRIMARY,
            Some(&key),
            20,
            &script,
        )
    }
}

fn example_zone() -> String {
    std::fs::read_to_string(repo_root().join("zones-example/example.com")).expect("example.com")
}

#[test]
fn a_change_without_a_new_serial_is_not_served_and_the_secondary_stays_equal() {
    let mut setup = Setup::start(2);
    let keys_arg = format!("--keys={}", setup.transfer.solodns_arg());
    let mut secondary = setup.net.boot(
        Tender::Spt,
        &image("secondary", Tender::Spt),
        "tap1",
        &[&format!("--ipv4={SECONDARY}/24"), &keys_arg],
    );
    secondary.wait_for("loaded serial", READY);
    let zone = example_zone();
    let serial = zone_text_serial(&zone);

    // The operator forgets the serial.
    let unbumped = format!("{zone}sneaky A 192.0.2.66\n");
    setup
        .server
        .push_file("example.com", &unbumped, "sneaky, same serial");
    let commit = setup.server.last_commit("%H").trim().to_string();
    setup.notify("example.com");
    let line = setup
        .primary
        .wait_for(&format!("changed but serial {serial} not increased"), READY);
    assert!(
        line.contains(&commit) && line.contains("example.com: "),
        "the commit and the file: {line}"
    );
    setup
        .primary
        .wait_for("example.com keeps serving its last good version", READY);
    assert!(short(&setup.net, PRIMARY, "sneaky.example.com", "A").is_empty());

    // A serial going backwards is the same mistake.
    let backwards = with_serial(&unbumped, serial - 1);
    setup
        .server
        .push_file("example.com", &backwards, "sneaky, older serial");
    setup.notify("example.com");
    setup.primary.wait_for(
        &format!(
            "changed but serial {} not increased from {serial}",
            serial - 1
        ),
        READY,
    );
    assert!(short(&setup.net, PRIMARY, "sneaky.example.com", "A").is_empty());

    // The next real bump: served, and the secondary's copy (by IXFR) is
    // the primary's, sneaky included.
    let bumped = format!("{}fresh A 192.0.2.67\n", with_serial(&unbumped, serial + 1));
    setup
        .server
        .push_file("example.com", &bumped, "serial increased");
    setup.notify("example.com");
    wait_for_serial(
        &setup.net,
        SECONDARY,
        "example.com",
        serial + 1,
        READY,
        || secondary.output(),
    );
    assert_eq!(
        short(&setup.net, SECONDARY, "sneaky.example.com", "A"),
        ["192.0.2.66"]
    );
    assert_eq!(
        axfr_records(&setup.net, SECONDARY, "example.com", &setup.transfer),
        axfr_records(&setup.net, PRIMARY, "example.com", &setup.transfer),
        "the secondary holds what the primary serves"
    );
}

#[test]
fn an_update_while_the_head_is_broken_is_refused_and_never_replaces_the_file() {
    let mut setup = Setup::start(1);
    let zone = example_zone();
    let serial = zone_text_serial(&zone);
    let broken = format!("{}typo A 192.0.2.300\n", with_serial(&zone, serial + 1));
    setup.server.push_file("example.com", &broken, "a typo");
    let commit = setup.server.last_commit("%H").trim().to_string();
    let commits = setup.server.commit_count();
    setup.notify("example.com");
    setup
        .primary
        .wait_for("example.com keeps serving its last good version", READY);

    let (ok, stderr) = setup.nsupdate("update add dyn.example.com. 300 IN A 192.0.2.99");
    assert!(!ok && stderr.contains("SERVFAIL"), "refused: {stderr}");
    let line = setup
        .primary
        .wait_for("answered SERVFAIL: the zone's file at commit", READY);
    assert!(
        line.contains(&commit) && line.contains("192.0.2.300"),
        "names the commit and the problem: {line}"
    );
    assert_eq!(setup.server.commit_count(), commits, "nothing pushed");
    assert_eq!(
        setup.server.file("example.com"),
        broken,
        "the file as pushed"
    );
    assert!(short(&setup.net, PRIMARY, "dyn.example.com", "A").is_empty());

    // Fixed: UPDATEs work again, on top of the operator's version.
    let fixed = format!("{}typo A 192.0.2.30\n", with_serial(&zone, serial + 2));
    setup.server.push_file("example.com", &fixed, "fixed");
    setup.notify("example.com");
    let start = Instant::now();
    while short(&setup.net, PRIMARY, "typo.example.com", "A") != ["192.0.2.30"] {
        assert!(start.elapsed() < READY, "the fixed zone is not served");
        std::thread::sleep(Duration::from_millis(100));
    }
    let (ok, stderr) = setup.nsupdate("update add dyn.example.com. 300 IN A 192.0.2.99");
    assert!(ok, "nsupdate: {stderr}");
    let file = setup.server.file("example.com");
    assert!(file.contains("192.0.2.30") && file.contains("dyn.example.com."));

    // A zone file that never loaded is configured: SERVFAIL, not REFUSED.
    setup.server.push_file(
        "example.net",
        "$TTL 300\n@ SOA ns1.example.com. hostmaster 1 7200 3600 1209600 300\n@ NS ns1.example.com.\nwww A 192.0.2.400\n",
        "a broken new zone",
    );
    setup.notify("example.net");
    setup.primary.wait_for("example.net:4:", READY);
    assert_eq!(
        status(&setup.net, PRIMARY, "www.example.net", "A").as_deref(),
        Some("SERVFAIL")
    );
    assert_eq!(
        status(&setup.net, PRIMARY, "www.example.invalid", "A").as_deref(),
        Some("REFUSED"),
        "not configured at all"
    );
}
