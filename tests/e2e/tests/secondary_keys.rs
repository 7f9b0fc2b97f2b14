//! The OCaml-DNS key conventions a migrating user relies on (issue 12 §3)
//! and transfer limits (§7), with our spt images against real OpenSSH +
//! git, dig and solodns in a namespace of the test's own:
//! - a root transfer key `<primary>.<secondary>._transfer.` makes our
//!   secondary follow every zone of primary-git, including a zone added
//!   to git later (with its own `<zone>._keys`, announced by a NOTIFY
//!   signed with the new zone's key), without a restart;
//! - a secondary started with `<primary>.<secondary>._update.<zone>`, as in
//!   the OCaml-DNS deployment tutorial, transfers the zone;
//! - a configured zone not loaded yet answers SERVFAIL;
//! - a transfer over `--transfer-max-records` is logged and dropped, and
//!   the old copy keeps serving.

use e2e::gitserver::GitServer;
use e2e::net::{Guest, TestNet};
use e2e::peers::{run_in, short, status, wait_for_serial, with_serial, zone_text_serial, TsigKey};
use e2e::{host_binary, image, repo_root, Tender};
use ssh::ClientKey;
use std::time::Duration;

const PRIMARY: &str = "10.53.0.3";
const SECONDARY: &str = "10.53.0.2";
const READY: Duration = Duration::from_secs(30);
/// A test-only secret for the keys this file makes.
const SECRET: &str = "xzyoukAHZxArnGzChaWHOSXn0OD5uY/TiF7MVz3KjvI=";

/// primary-git (spt) at 10.53.0.3 on a repository whose `_keys` hold the
/// example update keys and `extra_key` (a DNSKEY line's key name) instead
/// of the example transfer keys.
fn primary(net: &TestNet, server: &GitServer, client_key: &ClientKey, extra_key: &str) -> Guest {
    let keys: String = std::fs::read_to_string(repo_root().join("zones-example/_keys"))
        .expect("_keys")
        .lines()
        .filter(|line| !line.contains("._transfer."))
        .map(|line| format!("{line}\n"))
        .collect::<String>()
        + &format!("{extra_key} DNSKEY 0 3 163 {SECRET}\n");
    server.push_file("_keys", &keys, "the key of our secondary");
    let mut args = server.primary_git_args(client_key);
    args.push(format!("--ipv4={PRIMARY}/24"));
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

/// The secondary image at 10.53.0.2 with `key` and `extra` arguments.
fn secondary(net: &TestNet, key: &str, extra: &[&str]) -> Guest {
    let keys = format!("--keys={key}:SHA256:{SECRET}");
    let mut args = vec!["--ipv4=10.53.0.2/24", keys.as_str(), "--log-level=debug"];
    args.extend_from_slice(extra);
    net.boot(Tender::Spt, &image("secondary", Tender::Spt), "tap1", &args)
}

fn notify(net: &TestNet, zone: &str, key: &TsigKey) {
    let solodns = host_binary("solodns");
    run_in(
        net,
        solodns.to_str().expect("UTF-8 path"),
        &["notify", PRIMARY, zone, "--key", &key.solodns_arg()],
        None,
    );
}

fn example_zone() -> String {
    std::fs::read_to_string(repo_root().join("zones-example/example.com")).expect("example.com")
}

#[test]
fn a_root_transfer_key_follows_every_zone_including_new_ones() {
    let net = TestNet::up(2);
    let client_key = ClientKey::from_seed([12u8; 32]);
    let server = GitServer::in_testnet(&net, &client_key);
    let root_key = "10.53.0.3.10.53.0.2._transfer.";
    let mut primary = primary(&net, &server, &client_key, root_key);
    let mut secondary = secondary(&net, root_key, &[]);
    secondary.wait_for("took our SOA query for the root", READY);
    let both = |p: &mut Guest, s: &mut Guest| {
        format!("primary:\n{}\nsecondary:\n{}", p.output(), s.output())
    };
    for zone in ["example.com", "example.org"] {
        wait_for_serial(&net, SECONDARY, zone, 2026112301, READY, || {
            both(&mut primary, &mut secondary)
        });
    }

    // A new zone and its key, pushed; the NOTIFY is signed with the new
    // zone's key, which the primary learns from the commit it fetches.
    let new_key = TsigKey {
        name: "admin._update.example.net".into(),
        secret: SECRET.into(),
    };
    server.push_file(
        "example.net._keys",
        &format!("{}. DNSKEY 0 3 163 {SECRET}\n", new_key.name),
        "the key of example.net",
    );
    server.push_file(
        "example.net",
        "$TTL 300\n@ SOA ns1.example.com. hostmaster 7 7200 3600 1209600 300\n@ NS ns1.example.com.\nwww A 192.0.2.130\n",
        "a new zone",
    );
    notify(&net, "example.net", &new_key);
    primary.wait_for("a key we do not know", READY);
    wait_for_serial(&net, PRIMARY, "example.net", 7, READY, || {
        both(&mut primary, &mut secondary)
    });
    // Our secondary follows it without a restart.
    wait_for_serial(&net, SECONDARY, "example.net", 7, READY, || {
        both(&mut primary, &mut secondary)
    });
    assert_eq!(
        short(&net, SECONDARY, "www.example.net", "A"),
        ["192.0.2.130"]
    );
    let line = secondary.wait_for("example.net.: NOTIFY from", READY);
    assert!(line.contains("a new zone of 10.53.0.3:53"), "{line}");
    // And its changes, by IXFR with the root key.
    server.push_file(
        "example.net",
        "$TTL 300\n@ SOA ns1.example.com. hostmaster 8 7200 3600 1209600 300\n@ NS ns1.example.com.\nwww A 192.0.2.131\n",
        "a change",
    );
    notify(&net, "example.net", &new_key);
    wait_for_serial(&net, SECONDARY, "example.net", 8, READY, || {
        both(&mut primary, &mut secondary)
    });
}

#[test]
fn a_secondary_with_an_update_key_as_in_the_tutorial_transfers_the_zone() {
    let net = TestNet::up(2);
    let client_key = ClientKey::from_seed([13u8; 32]);
    let server = GitServer::in_testnet(&net, &client_key);
    let update_key = "10.53.0.3.10.53.0.2._update.example.com";
    let mut primary = primary(&net, &server, &client_key, &format!("{update_key}."));
    let mut secondary = secondary(&net, update_key, &[]);
    let line = secondary.wait_for("loaded serial", READY);
    assert!(line.contains("example.com."), "{line}");
    // The primary notifies the secondary the key names, signed with it.
    let zone = example_zone();
    let serial = zone_text_serial(&zone) + 1;
    server.push_file(
        "example.com",
        &format!("{}fresh A 192.0.2.77\n", with_serial(&zone, serial)),
        "fresh",
    );
    notify(
        &net,
        "example.com",
        &TsigKey::example("admin._update.example.com"),
    );
    wait_for_serial(&net, SECONDARY, "example.com", serial, READY, || {
        format!(
            "primary:\n{}\nsecondary:\n{}",
            primary.output(),
            secondary.output()
        )
    });
    secondary.wait_for("by IXFR", READY);
}

#[test]
fn a_zone_not_loaded_yet_answers_servfail() {
    // No primary at all: the zone is configured and never arrives.
    let net = TestNet::up(1);
    let mut secondary = net.boot(
        Tender::Spt,
        &image("secondary", Tender::Spt),
        "tap0",
        &[
            "--ipv4=10.53.0.2/24",
            &format!("--keys=10.53.0.3.10.53.0.2._transfer.example.com:SHA256:{SECRET}"),
        ],
    );
    secondary.wait_for("refresh from 10.53.0.3:53 failed", READY);
    assert_eq!(
        status(&net, SECONDARY, "www.example.com", "A").as_deref(),
        Some("SERVFAIL")
    );
    assert_eq!(
        status(&net, SECONDARY, "www.example.org", "A").as_deref(),
        Some("REFUSED"),
        "not a zone of ours"
    );
}

#[test]
fn a_transfer_over_the_limit_is_dropped_and_the_old_copy_serves() {
    let net = TestNet::up(2);
    let client_key = ClientKey::from_seed([14u8; 32]);
    let server = GitServer::in_testnet(&net, &client_key);
    let transfer_key = "10.53.0.3.10.53.0.2._transfer.example.com";
    let mut primary = primary(&net, &server, &client_key, &format!("{transfer_key}."));
    let mut secondary = secondary(&net, transfer_key, &["--transfer-max-records=100"]);
    secondary.wait_for("loaded serial", READY);
    let zone = example_zone();
    let serial = zone_text_serial(&zone);
    let mut big = with_serial(&zone, serial + 1);
    for i in 0..200 {
        big.push_str(&format!("bulk{i} A 192.0.2.{}\n", i % 250));
    }
    server.push_file("example.com", &big, "200 more records");
    notify(
        &net,
        "example.com",
        &TsigKey::example("admin._update.example.com"),
    );
    let line = secondary.wait_for("more than 100 records", READY);
    assert!(line.contains("keeping the zone we have"), "{line}");
    // The primary has the new version; the secondary keeps the old one.
    wait_for_serial(&net, PRIMARY, "example.com", serial + 1, READY, || {
        primary.output()
    });
    assert_eq!(
        e2e::peers::soa_serial(&net, SECONDARY, "example.com"),
        Some(serial)
    );
    assert!(short(&net, SECONDARY, "bulk7.example.com", "A").is_empty());
    assert_eq!(
        short(&net, SECONDARY, "mail.example.com", "A"),
        ["192.0.2.25"]
    );
}
