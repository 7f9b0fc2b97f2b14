//! BIND `named` as a secondary of primary-git (host-process build in a
//! namespace of the test's own), with the transfer key of the OCaml-DNS
//! layout: AXFR at start, then three nsupdate changes reach it after our
//! NOTIFY, by IXFR; after each step its zone equals ours.

use e2e::net::{Guest, TestNet};
use e2e::peers::run_in as run;
use e2e::TempDir;
use std::time::{Duration, Instant};

const TRANSFER_KEY: &str = "10.53.0.1.10.53.0.2._transfer.example.com.";

/// The zone as `dig AXFR` prints it, one normalised record per line,
/// sorted, without the TSIG and the closing SOA.
fn axfr(net: &TestNet, server: &str) -> Vec<String> {
    let key = format!(
        "hmac-sha256:{}:{}",
        TRANSFER_KEY.trim_end_matches('.'),
        e2e::example_key_secret(TRANSFER_KEY)
    );
    let text = run(
        net,
        "dig",
        &[
            "+nocomments",
            "+nostats",
            "+nocmd",
            "-y",
            &key,
            &format!("@{server}"),
            "example.com",
            "AXFR",
        ],
        None,
    );
    let mut records: Vec<String> = text
        .lines()
        .filter(|l| {
            !l.is_empty() && !l.starts_with(';') && !l.contains("\tTSIG\t") && !l.contains(" TSIG ")
        })
        .map(|l| {
            l.split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
                .to_lowercase()
        })
        .collect();
    records.sort();
    records.dedup(); // the SOA comes first and last
    records
}

fn serial(net: &TestNet, server: &str) -> Option<u32> {
    // Not `run`: dig fails ("connection refused") until the peer listens.
    e2e::peers::soa_serial(net, server, "example.com")
}

fn wait_for_serial(net: &TestNet, server: &str, wanted: u32, named: &mut Guest) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while serial(net, server) != Some(wanted) {
        assert!(
            Instant::now() < deadline,
            "{server} did not reach serial {wanted}; named:\n{}",
            named.output()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A secondary implementation under test.
#[derive(Clone, Copy, Debug)]
enum Peer {
    Bind,
    Knot,
    Nsd,
}

/// Starts `peer` as secondary of 10.53.0.1 for example.com on 10.53.0.2,
/// configured in `dir`.
fn start_secondary(net: &TestNet, peer: Peer, dir: &std::path::Path) -> Guest {
    let (name, secret) = (
        TRANSFER_KEY.trim_end_matches('.'),
        e2e::example_key_secret(TRANSFER_KEY),
    );
    let d = dir.display();
    let (program, args, conf_name, conf) = match peer {
        Peer::Bind => (
            "/usr/sbin/named",
            vec!["-g", "-c"],
            "named.conf",
            format!(
                r#"options {{ directory "{d}"; pid-file "{d}/named.pid"; listen-on port 53 {{ 10.53.0.2; }};
  listen-on-v6 {{ none; }}; recursion no; notify no; allow-transfer {{ any; }}; allow-notify {{ 10.53.0.1; }};
  session-keyfile "{d}/session.key"; }};
key "{name}" {{ algorithm hmac-sha256; secret "{secret}"; }};
server 10.53.0.1 {{ keys {{ "{name}"; }}; request-ixfr yes; }};
zone "example.com" {{ type secondary; primaries {{ 10.53.0.1 key "{name}"; }}; file "example.com.db"; }};
"#
            ),
        ),
        Peer::Knot => (
            "/usr/sbin/knotd",
            vec!["-c"],
            "knot.conf",
            format!(
                "server:\n  listen: 10.53.0.2@53\n  rundir: {d}\n  udp-workers: 1\n  tcp-workers: 1\n  background-workers: 1\n\
                 log:\n  - target: stderr\n    any: info\n\
                 database:\n  storage: {d}\n\
                 key:\n  - id: {name}\n    algorithm: hmac-sha256\n    secret: {secret}\n\
                 remote:\n  - id: primary\n    address: 10.53.0.1@53\n    key: {name}\n\
                 acl:\n  - id: from_primary\n    address: 10.53.0.1\n    key: {name}\n    action: notify\n  - id: transfer\n    address: 10.53.0.0/24\n    key: {name}\n    action: transfer\n\
                 zone:\n  - domain: example.com\n    storage: {d}\n    file: example.com.zone\n    master: primary\n    acl: [from_primary, transfer]\n"
            ),
        ),
        Peer::Nsd => (
            "/usr/sbin/nsd",
            vec!["-d", "-c"],
            "nsd.conf",
            format!(
                "server:\n  ip-address: 10.53.0.2@53\n  zonesdir: \"{d}\"\n  pidfile: \"{d}/nsd.pid\"\n  xfrdfile: \"{d}/xfrd.state\"\n  \
                 zonelistfile: \"{d}/zone.list\"\n  database: \"\"\n  username: \"\"\n  chroot: \"\"\n  verbosity: 2\n  \
                 server-count: 1\n\
                 remote-control:\n  control-enable: no\n\
                 key:\n  name: \"{name}\"\n  algorithm: hmac-sha256\n  secret: \"{secret}\"\n\
                 zone:\n  name: example.com\n  zonefile: example.com.zone\n  request-xfr: 10.53.0.1 {name}\n  \
                 allow-notify: 10.53.0.1 {name}\n  provide-xfr: 10.53.0.0/24 {name}\n"
            ),
        ),
    };
    std::fs::write(dir.join(conf_name), conf).expect("write the peer's config");
    let mut command = net.command(program);
    command.args(args).arg(dir.join(conf_name));
    Guest::spawn(command)
}

/// The whole scenario against one peer implementation.
fn secondary_follows(peer: Peer) {
    let net = TestNet::up(0);
    run(
        &net,
        "ip",
        &["addr", "add", "10.53.0.2/24", "dev", "br0"],
        None,
    );
    let zones = TempDir::with_zones_example("primary-zones");
    let target = e2e::target_dir();
    let mut primary = net.command(target.join("debug/primary-git"));
    primary
        .arg(format!("--zones-dir={}", zones.path().display()))
        .arg("--listen=10.53.0.1:53");
    let mut primary = Guest::spawn(primary);
    primary.wait_for("serving 2 zones", Duration::from_secs(20));

    let dir = TempDir::new("secondary");
    let mut secondary = start_secondary(&net, peer, dir.path());
    let first = serial(&net, "10.53.0.1").expect("our serial");
    wait_for_serial(&net, "10.53.0.2", first, &mut secondary);
    assert_eq!(
        axfr(&net, "10.53.0.2"),
        axfr(&net, "10.53.0.1"),
        "{peer:?} after the initial transfer"
    );

    let update_key = format!(
        "hmac-sha256:admin._update.example.com:{}",
        e2e::example_key_secret("admin._update.example.com.")
    );
    for step in 1..=3u32 {
        let script = format!(
            "server 10.53.0.1 53\nzone example.com\nupdate add step{step}.example.com 300 TXT \"change {step}\"\nsend\n"
        );
        run(
            &net,
            "nsupdate",
            &["-y", &update_key, "-t", "5"],
            Some(&script),
        );
        wait_for_serial(&net, "10.53.0.2", first + step, &mut secondary);
        assert_eq!(
            axfr(&net, "10.53.0.2"),
            axfr(&net, "10.53.0.1"),
            "{peer:?} after update {step}"
        );
    }
    // Our log: the first transfer is the whole zone, each change then goes
    // as an IXFR of one diff (RFC 1995), asked for after our NOTIFY.
    let log = primary.output();
    let transfers: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("transfer of example.com. to "))
        .collect();
    let incremental = transfers
        .iter()
        .filter(|l| l.ends_with("IXFR, 1 diffs"))
        .count();
    assert!(
        incremental >= 3,
        "{peer:?}: three IXFRs expected, our log:\n{log}\n{peer:?} log:\n{}",
        secondary.output()
    );
}

#[test]
fn bind_secondary_follows_by_axfr_then_ixfr_after_notify() {
    secondary_follows(Peer::Bind);
}

#[test]
fn knot_secondary_follows_by_axfr_then_ixfr_after_notify() {
    secondary_follows(Peer::Knot);
}

#[test]
fn nsd_secondary_follows_by_axfr_then_ixfr_after_notify() {
    secondary_follows(Peer::Nsd);
}
