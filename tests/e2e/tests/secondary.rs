//! The secondary image (spt, in a namespace of the test's own) replicating
//! from real primaries: BIND, Knot and NSD with TSIG (AXFR at boot, then
//! each change after the primary's NOTIFY), through primary outages (keeps
//! serving, SERVFAIL after the SOA expire time, recovers), and refusing
//! transfers that do not verify (a wrong key, a byte flipped in flight).

use e2e::net::{Guest, TestNet};
use e2e::peers::{
    axfr_records, short, soa_serial, status, wait_for_serial, with_soa_timers, PeerKind,
    PeerPrimary, PrimarySetup, TamperingProxy, TsigKey,
};
use e2e::{image, repo_root, Tender};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

const PRIMARY: &str = "10.53.0.1";
const SECONDARY: &str = "10.53.0.2";
const ZONE: &str = "example.com";
const TRANSFER_KEY: &str = "10.53.0.1.10.53.0.2._transfer.example.com";
const UPDATE_KEY: &str = "admin._update.example.com";
/// How long a change may take to reach the secondary after NOTIFY.
const PROPAGATION: Duration = Duration::from_secs(10);
const BOOT: Duration = Duration::from_secs(30);

fn example_zone() -> String {
    std::fs::read_to_string(repo_root().join("zones-example/example.com")).expect("example zone")
}

fn setup(zone_text: String) -> PrimarySetup {
    PrimarySetup {
        zone: ZONE.into(),
        zone_text,
        listen: PRIMARY.into(),
        transfer_key: TsigKey::example(TRANSFER_KEY),
        update_key: TsigKey::example(UPDATE_KEY),
        notify: SECONDARY.into(),
    }
}

/// A network with the bridge at 10.53.0.1 (where the peer primary
/// listens) and one tap for the secondary.
fn network() -> TestNet {
    TestNet::up(1)
}

/// Boots the secondary image at 10.53.0.2 with `key` (and `extra`
/// arguments).
fn boot_secondary(net: &TestNet, tender: Tender, key: &TsigKey, extra: &[&str]) -> Guest {
    let keys = format!("--keys={}", key.solodns_arg());
    let mut args = vec!["--ipv4=10.53.0.2/24", keys.as_str(), "--log-level=debug"];
    args.extend_from_slice(extra);
    net.boot(tender, &image("secondary", tender), "tap0", &args)
}

fn context(secondary: &mut Guest, primary: &PeerPrimary) -> String {
    format!(
        "secondary:\n{}\n{:?}:\n{}",
        secondary.output(),
        primary.kind(),
        primary.log()
    )
}

fn assert_same_zone(net: &TestNet, what: &str) {
    let key = TsigKey::example(TRANSFER_KEY);
    let ours = axfr_records(net, SECONDARY, ZONE, &key);
    let theirs = axfr_records(net, PRIMARY, ZONE, &key);
    assert!(ours.len() > 10, "{what}: a whole zone: {ours:?}");
    assert_eq!(ours, theirs, "{what}: our copy differs from the primary's");
}

/// AXFR at boot, then three changes on the peer that arrive after its
/// NOTIFY; after each, our copy equals the primary's.
fn follows(kind: PeerKind) {
    let net = network();
    let mut primary = PeerPrimary::start(&net, kind, setup(example_zone()));
    let mut secondary = boot_secondary(&net, Tender::Spt, &TsigKey::example(TRANSFER_KEY), &[]);
    secondary.wait_for("loaded serial", BOOT);
    let first = soa_serial(&net, PRIMARY, ZONE).expect("the primary's serial");
    wait_for_serial(&net, SECONDARY, ZONE, first, PROPAGATION, || {
        context(&mut secondary, &primary)
    });
    assert_same_zone(&net, "after the first transfer");
    let mut latencies = Vec::new();
    for step in 1..=3 {
        let serial = primary.change(&net, step);
        let took = wait_for_serial(&net, SECONDARY, ZONE, serial, PROPAGATION, || {
            context(&mut secondary, &primary)
        });
        latencies.push(took);
        assert_same_zone(&net, &format!("after change {step}"));
        assert_eq!(
            short(&net, SECONDARY, &format!("step{step}.{ZONE}"), "TXT"),
            [format!("\"change {step}\"")]
        );
    }
    // A secondary takes no UPDATE: REFUSED, and the copy stays the
    // primary's.
    let mut nsupdate = net
        .command("nsupdate")
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("nsupdate");
    std::io::Write::write_all(
        nsupdate.stdin.as_mut().expect("stdin"),
        format!(
            "server {SECONDARY}\nzone {ZONE}\nupdate add refused.{ZONE} 60 A 192.0.2.1\nsend\n"
        )
        .as_bytes(),
    )
    .expect("script");
    drop(nsupdate.stdin.take());
    let refused = nsupdate.wait_with_output().expect("nsupdate ends");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(
        !refused.status.success() && stderr.contains("REFUSED"),
        "{stderr}"
    );
    assert_same_zone(&net, "after a refused UPDATE");
    let log = secondary.output();
    let how = match kind {
        // NSD 4.6 serves no IXFR: it answers an IXFR with the whole zone,
        // as RFC 1995 §4 allows.
        PeerKind::Nsd => "by IXFR answered with the whole zone",
        _ => "by IXFR (1 diffs)",
    };
    let changes = log.lines().filter(|l| l.contains(how)).count();
    assert!(changes >= 3, "three changes {how}:\n{log}");
    println!("{kind:?}: change to served after NOTIFY: {latencies:?}");
}

#[test]
fn follows_bind_by_axfr_then_ixfr_after_notify() {
    follows(PeerKind::Bind);
}

#[test]
fn follows_knot_by_axfr_then_ixfr_after_notify() {
    follows(PeerKind::Knot);
}

#[test]
fn follows_nsd_by_axfr_then_transfers_after_notify() {
    follows(PeerKind::Nsd);
}

/// The primary goes away: the zone keeps being served until the SOA expire
/// time, then answers SERVFAIL; back when the primary returns.
#[test]
fn keeps_serving_while_the_primary_is_away_then_expires_and_recovers() {
    let net = network();
    // Refresh every 2 s, retry every second, expire after 8 s.
    let zone = with_soa_timers(&example_zone(), 2, 1, 8);
    let mut primary = PeerPrimary::start(&net, PeerKind::Knot, setup(zone));
    let mut secondary = boot_secondary(&net, Tender::Spt, &TsigKey::example(TRANSFER_KEY), &[]);
    secondary.wait_for("loaded serial", BOOT);
    let serial = soa_serial(&net, SECONDARY, ZONE).expect("served");
    primary.stop();
    let stopped = Instant::now();
    // Refreshes fail from now on; the copy is served for 8 s after the
    // last successful one (at most 2 s before the stop).
    while stopped.elapsed() < Duration::from_secs(5) {
        assert_eq!(
            status(&net, SECONDARY, &format!("mail.{ZONE}"), "A").as_deref(),
            Some("NOERROR"),
            "{} s after the stop:\n{}",
            stopped.elapsed().as_secs_f32(),
            secondary.output()
        );
        assert_eq!(soa_serial(&net, SECONDARY, ZONE), Some(serial));
        std::thread::sleep(Duration::from_millis(250));
    }
    secondary.wait_for("refresh from 10.53.0.1:53 failed", Duration::from_secs(5));
    secondary.wait_for("expired", Duration::from_secs(10));
    let expired_after = stopped.elapsed();
    assert!(
        expired_after <= Duration::from_secs(11),
        "{expired_after:?}"
    );
    assert_eq!(
        status(&net, SECONDARY, &format!("mail.{ZONE}"), "A").as_deref(),
        Some("SERVFAIL"),
        "{}",
        secondary.output()
    );
    primary.restart(&net);
    secondary.wait_for("the primary answers again", Duration::from_secs(10));
    assert_eq!(
        status(&net, SECONDARY, &format!("mail.{ZONE}"), "A").as_deref(),
        Some("NOERROR")
    );
    println!("expired {expired_after:?} after the primary stopped");
}

/// A secondary holding another secret for the transfer key: the primary
/// refuses it, we log it and serve nothing (SERVFAIL: the zone is ours
/// but not loaded).
#[test]
fn a_wrong_key_is_refused_and_logged() {
    let net = network();
    let mut primary = PeerPrimary::start(&net, PeerKind::Bind, setup(example_zone()));
    let wrong = TsigKey {
        name: TRANSFER_KEY.into(),
        secret: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".into(),
    };
    let mut secondary = boot_secondary(&net, Tender::Spt, &wrong, &[]);
    let line = secondary.wait_for("failed", BOOT);
    assert!(
        line.contains("TSIG"),
        "{line}\n{}",
        context(&mut secondary, &primary)
    );
    println!("{line}");
    assert!(!secondary.output().contains("loaded serial"));
    assert_eq!(
        status(&net, SECONDARY, ZONE, "SOA").as_deref(),
        Some("SERVFAIL"),
        "a configured zone we do not hold yet (as BIND, Knot and NSD answer)"
    );
    let _ = &mut primary;
}

/// A transfer with one octet flipped in flight is rejected and logged; the
/// zone we have keeps serving; the next clean transfer goes through.
#[test]
fn a_tampered_transfer_is_rejected_and_the_old_zone_serves_on() {
    let net = network();
    let mut primary = PeerPrimary::start(&net, PeerKind::Bind, setup(example_zone()));
    let proxy = TamperingProxy::start(
        &net,
        "10.53.0.1:5399".parse().expect("addr"),
        "10.53.0.1:53".parse().expect("addr"),
    );
    let mut secondary = boot_secondary(
        &net,
        Tender::Spt,
        &TsigKey::example(TRANSFER_KEY),
        &["--primary-port=5399"],
    );
    secondary.wait_for("loaded serial", BOOT);
    let first = soa_serial(&net, SECONDARY, ZONE).expect("served");
    let before = axfr_records(&net, SECONDARY, ZONE, &TsigKey::example(TRANSFER_KEY));

    proxy.tamper.store(true, Ordering::Relaxed);
    let changed = primary.change(&net, 1);
    let line = secondary.wait_for("refresh from 10.53.0.1:5399 failed", PROPAGATION);
    assert!(
        line.contains("IXFR") && line.contains("TSIG"),
        "rejected for its signature: {line}"
    );
    println!("{line}");
    assert!(proxy.tampered.load(Ordering::Relaxed) >= 1);
    assert_eq!(soa_serial(&net, SECONDARY, ZONE), Some(first));
    assert_eq!(
        axfr_records(&net, SECONDARY, ZONE, &TsigKey::example(TRANSFER_KEY)),
        before,
        "served data unchanged"
    );

    proxy.tamper.store(false, Ordering::Relaxed);
    let serial = primary.change(&net, 2);
    assert_eq!(serial, changed + 1);
    wait_for_serial(&net, SECONDARY, ZONE, serial, PROPAGATION, || {
        context(&mut secondary, &primary)
    });
    assert_same_zone(&net, "after a clean transfer");
}

/// hvt (slow here: emulated KVM, DESIGN.md §3): boot, transfer the small
/// example.org from primary-git (host process), answer one query.
#[test]
fn hvt_boots_transfers_from_primary_git_and_answers() {
    let net = network();
    let zones = e2e::TempDir::with_zones_example("secondary-hvt-zones");
    let mut primary = net.command(e2e::host_binary("primary-git"));
    primary
        .arg(format!("--zones-dir={}", zones.path().display()))
        .arg("--listen=10.53.0.1:53");
    let mut primary = Guest::spawn(primary);
    primary.wait_for("serving 2 zones", Duration::from_secs(20));
    let key = TsigKey::example("10.53.0.1.10.53.0.2._transfer.example.org");
    let mut secondary = boot_secondary(&net, Tender::Hvt, &key, &[]);
    let line = secondary.wait_for("loaded serial", Duration::from_secs(300));
    println!("{line}");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(serial) = soa_serial(&net, SECONDARY, "example.org") {
            assert_eq!(Some(serial), soa_serial(&net, PRIMARY, "example.org"));
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no answer from the hvt secondary:\n{}",
            secondary.output()
        );
    }
}
