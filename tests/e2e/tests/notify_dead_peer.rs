//! Issue 12 §1: a transfer key naming a host that is down (no ARP reply)
//! must cost the live secondaries nothing. primary-git (spt) serves
//! example.com and example.org from git; their transfer keys name our
//! secondary (spt, 10.53.0.2), BIND `named` (10.53.0.5, on the namespace's
//! bridge) and, for example.com, 10.53.0.99 where no host exists. Five
//! signed UPDATEs alternate between the zones; after each one is
//! acknowledged, both live secondaries serve the new serial within 1 s.

use e2e::gitserver::GitServer;
use e2e::net::{Guest, TestNet};
use e2e::peers::{run_in, soa_serial, wait_for_serial, TsigKey};
use e2e::{image, repo_root, TempDir, Tender};
use ssh::ClientKey;
use std::time::{Duration, Instant};

const PRIMARY: &str = "10.53.0.3";
const OUR_SECONDARY: &str = "10.53.0.2";
const BIND: &str = "10.53.0.5";
/// On the test network's subnet, but no host has it: ARP goes unanswered.
const DEAD: &str = "10.53.0.99";
const ZONES: [&str; 2] = ["example.com", "example.org"];
const READY: Duration = Duration::from_secs(30);
/// The issue's bound: a live secondary serves a change within 1 s of its
/// acknowledgement.
const WITHIN: Duration = Duration::from_secs(1);

fn transfer_key(secondary: &str, zone: &str) -> TsigKey {
    TsigKey {
        name: format!("{PRIMARY}.{secondary}._transfer.{zone}"),
        // Any secret will do; this one is the test-only one of zones-example.
        secret: e2e::example_key_secret("10.53.0.1.10.53.0.2._transfer.example.com."),
    }
}

/// BIND as a secondary of both zones, from 10.53.0.5.
fn start_bind(net: &TestNet, dir: &std::path::Path) -> Guest {
    let d = dir.display();
    let mut conf = format!(
        r#"options {{ directory "{d}"; pid-file "{d}/named.pid"; listen-on port 53 {{ {BIND}; }};
  listen-on-v6 {{ none; }}; recursion no; notify no; allow-transfer {{ any; }}; allow-notify {{ {PRIMARY}; }};
  query-source address {BIND}; transfer-source {BIND}; notify-source {BIND};
  session-keyfile "{d}/session.key"; }};
"#
    );
    for zone in ZONES {
        let key = transfer_key(BIND, zone);
        conf += &format!(
            r#"key "{name}" {{ algorithm hmac-sha256; secret "{secret}"; }};
zone "{zone}" {{ type secondary; primaries {{ {PRIMARY} key "{name}"; }}; file "{zone}.db"; }};
"#,
            name = key.name,
            secret = key.secret,
        );
    }
    std::fs::write(dir.join("named.conf"), conf).expect("write named.conf");
    let mut command = net.command("/usr/sbin/named");
    command.args(["-g", "-c"]).arg(dir.join("named.conf"));
    Guest::spawn(command)
}

#[test]
fn a_dead_transfer_key_address_costs_the_live_secondaries_nothing() {
    // The bare repository belongs to the git-shell account (see
    // secondary_primary_git.rs): this test's git configuration trusts it.
    let git_config = TempDir::new("dead-peer-gitconfig");
    let global = git_config.path().join("gitconfig");
    std::fs::write(&global, "[safe]\n\tdirectory = *\n").expect("write gitconfig");
    std::env::set_var("GIT_CONFIG_GLOBAL", &global);
    let net = TestNet::up(2);
    run_in(
        &net,
        "ip",
        &["addr", "add", &format!("{BIND}/24"), "dev", "br0"],
        None,
    );
    let client_key = ClientKey::from_seed([12u8; 32]);
    let server = GitServer::in_testnet(&net, &client_key);

    // zones-example's update keys; transfer keys for our secondary and
    // BIND in both zones, and one naming the dead address.
    let mut keys: String = std::fs::read_to_string(repo_root().join("zones-example/_keys"))
        .expect("_keys")
        .lines()
        .filter(|line| !line.contains("._transfer."))
        .map(|line| format!("{line}\n"))
        .collect();
    let mut transfer_keys = vec![transfer_key(DEAD, "example.com")];
    for zone in ZONES {
        transfer_keys.push(transfer_key(OUR_SECONDARY, zone));
        transfer_keys.push(transfer_key(BIND, zone));
    }
    for key in &transfer_keys {
        keys += &format!("{}. DNSKEY 0 3 163 {}\n", key.name, key.secret);
    }
    server.push_file(
        "_keys",
        &keys,
        "secondaries: ours, BIND, and one that is down",
    );

    let mut primary_args = server.primary_git_args(&client_key);
    primary_args.push(format!("--ipv4={PRIMARY}/24"));
    let primary_args: Vec<&str> = primary_args.iter().map(String::as_str).collect();
    let mut primary = net.boot(
        Tender::Spt,
        &image("primary-git", Tender::Spt),
        "tap0",
        &primary_args,
    );
    primary.wait_for("serving 2 zones from commit", READY);

    let key_args: Vec<String> = ZONES
        .iter()
        .map(|zone| format!("--keys={}", transfer_key(OUR_SECONDARY, zone).solodns_arg()))
        .collect();
    let mut secondary_args: Vec<&str> = key_args.iter().map(String::as_str).collect();
    let ipv4 = format!("--ipv4={OUR_SECONDARY}/24");
    secondary_args.push(&ipv4);
    let mut secondary = net.boot(
        Tender::Spt,
        &image("secondary", Tender::Spt),
        "tap1",
        &secondary_args,
    );
    let bind_dir = TempDir::new("dead-peer-named");
    let mut bind = start_bind(&net, bind_dir.path());
    for zone in ZONES {
        let serial = soa_serial(&net, PRIMARY, zone).expect("the primary's serial");
        for server in [OUR_SECONDARY, BIND] {
            wait_for_serial(&net, server, zone, serial, READY, || {
                format!("{server} never loaded {zone}")
            });
        }
    }

    let mut latencies: Vec<(String, Duration)> = Vec::new();
    for step in 0..5usize {
        let zone = ZONES[step % 2];
        let update_key = TsigKey::example(&format!("admin._update.{zone}"));
        let script = format!(
            "server {PRIMARY} 53\nzone {zone}\nupdate add step{step}.{zone} 300 TXT \"change {step}\"\nsend\n"
        );
        run_in(
            &net,
            "nsupdate",
            &["-y", &update_key.bind_arg(), "-t", "10"],
            Some(&script),
        );
        let acknowledged = Instant::now();
        let serial = soa_serial(&net, PRIMARY, zone).expect("the primary's new serial");
        let mut waiting = vec![OUR_SECONDARY, BIND];
        while !waiting.is_empty() {
            waiting.retain(|server| {
                if soa_serial(&net, server, zone) != Some(serial) {
                    return true;
                }
                latencies.push((
                    format!("{zone} {serial} at {server}"),
                    acknowledged.elapsed(),
                ));
                false
            });
            if acknowledged.elapsed() > WITHIN && !waiting.is_empty() {
                panic!(
                    "update {step}: {waiting:?} did not serve {zone} serial {serial} within {WITHIN:?}\n\
                     primary-git:\n{}\nsecondary:\n{}\nnamed:\n{}",
                    primary.output(),
                    secondary.output(),
                    bind.output()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
    for (what, took) in &latencies {
        println!("NOTIFY latency (acknowledged UPDATE to served): {what}: {took:?}");
    }
    let log = primary.output();
    for live in [OUR_SECONDARY, BIND] {
        assert!(
            !log.lines()
                .any(|l| l.contains("gave up") && l.contains(&format!("{live}:"))),
            "the primary gave up on live secondary {live}:\n{log}"
        );
    }
}
