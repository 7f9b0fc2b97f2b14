//! Whole orders against the real ACME server from Debian, `pebble`, on
//! loopback. pebble's validation really asks DNS: a UDP responder serves
//! it the zone of a primary simulated with our own server code, to which
//! the manager's signed UPDATEs are applied by `dns_update::handle`, and
//! every change is handed back to the manager as a transfer would.

// Host-side test code: std is what it runs on.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use std::time::Duration;

use common::pebble::{Harness, Serve};
use common::*;
use dns_zone::RecordType;
use letsencrypt::{x509, Action, Level};

const WWW: &str = "_letsencrypt._tcp.www.example.org.";
const LIMIT: Duration = Duration::from_secs(120);

fn http_requests(actions: &[Action]) -> usize {
    actions
        .iter()
        .filter(|a| matches!(a, Action::Http { .. }))
        .count()
}

fn count(lines: &[String], needle: &str) -> usize {
    lines.iter().filter(|l| l.contains(needle)).count()
}

/// The leaf (`3 0 0`) and the chain (`2 0 0`) at `owner`.
fn published(zone: &dns_zone::Zone, owner: &str) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let tlsas = tlsas_at(zone, owner);
    let of = |f: [u8; 3]| {
        tlsas
            .iter()
            .filter(|(g, _)| *g == f)
            .map(|(_, d)| d.clone())
            .collect()
    };
    (of([3, 0, 0]), of([2, 0, 0]))
}

fn pem(der: &[u8]) -> String {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = b64
        .as_bytes()
        .chunks(64)
        .map(|l| std::str::from_utf8(l).unwrap())
        .collect();
    format!(
        "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
        lines.join("\n")
    )
}

/// `openssl verify` accepts the leaf with the published chain under
/// pebble's root.
fn verify_chain(h: &mut Harness, leaf: &[u8], chain: &[Vec<u8>]) {
    let root = h
        .https
        .call(&acme::Request {
            method: acme::Method::Get,
            url: format!("{}/roots/0", h.pebble.management),
            headers: vec![],
            body: vec![],
        })
        .unwrap();
    assert_eq!(root.status, 200);
    let dir = &h.pebble.dir;
    std::fs::write(dir.path("root.pem"), &root.body).unwrap();
    std::fs::write(dir.path("leaf.pem"), pem(leaf)).unwrap();
    std::fs::write(
        dir.path("chain.pem"),
        chain.iter().map(|c| pem(c)).collect::<String>(),
    )
    .unwrap();
    run(std::process::Command::new("openssl")
        .current_dir(&dir.0)
        .args([
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "chain.pem",
            "leaf.pem",
        ]));
}

#[test]
fn order_published_then_renewed() {
    if !have("pebble") || !have("openssl") {
        return;
    }
    let scratch = TempDir::new("e2e");
    make_ca(&scratch.0);
    make_key(&scratch.0, "leaf.pem", KeyKind::P256);
    let sans = ["DNS:www.example.org", "DNS:*.www.example.org"];
    let csr = make_csr(&scratch.0, "leaf.pem", Some("www.example.org"), &sans);
    // What an old setup left: a certificate of another key and its CA.
    make_key(&scratch.0, "old.pem", KeyKind::P256);
    let old_csr = make_csr(&scratch.0, "old.pem", Some("www.example.org"), &sans);
    let old_leaf = sign(&scratch.0, &old_csr, &sans, 30);
    let old_ca = ca_der(&scratch.0);
    let other = [0xab_u8; 32];
    let zone = zone(&[
        tlsa(WWW, [3, 255, 0], &csr),
        tlsa(WWW, [3, 0, 0], &old_leaf),
        tlsa(WWW, [2, 0, 0], &old_ca),
        tlsa(WWW, [3, 1, 1], &other),
    ]);
    let before = zone.clone();

    let mut h = Harness::new("e2e", zone, Serve::Zone, 600, &[]);
    h.rescan_every_action = true;
    let request = x509::parse_csr(&csr).unwrap();
    let key = request.public_key.clone();
    let done = |h: &Harness| {
        let (leaves, _) = published(&h.zone(), WWW);
        h.manager.order_in_flight().is_none()
            && leaves.len() == 1
            && x509::parse_certificate(&leaves[0]).is_ok_and(|c| c.public_key == key)
    };
    h.run(LIMIT, done);

    let zone = h.zone();
    let (leaves, chain) = published(&zone, WWW);
    let leaf = x509::parse_certificate(&leaves[0]).unwrap();
    assert!(leaf.matches(&request), "{leaf:?}");
    assert_eq!(
        leaf.not_after - leaf.not_before + 1,
        600,
        "pebble's validity period"
    );
    assert!(
        !chain.is_empty() && !chain.contains(&old_ca),
        "the chain is pebble's"
    );
    verify_chain(&mut h, &leaves[0], &chain);
    let tlsas = tlsas_at(&zone, WWW);
    assert!(tlsas.contains(&([3, 255, 0], csr.clone())), "the CSR stays");
    assert!(
        tlsas.contains(&([3, 1, 1], other.to_vec())),
        "other TLSA records stay"
    );
    assert_eq!(tlsas.len(), 3 + chain.len());
    assert!(
        txt_at(&zone, "_acme-challenge.www.example.org.").is_empty(),
        "challenges removed"
    );
    let ttl = zone
        .node(&name(WWW))
        .unwrap()
        .rrset(RecordType::TLSA)
        .unwrap()
        .ttl();
    assert_eq!(ttl, 3600);

    // Three UPDATEs: both challenge values at one name, the certificate,
    // the removal of the challenge values.
    let updates = h.primary.lock().unwrap().updates.clone();
    assert_eq!(updates.len(), 3, "{updates:?}");
    let txt_adds: Vec<_> = updates[0]
        .updates
        .iter()
        .filter(|r| r.rtype == RecordType::TXT && r.class == 1)
        .collect();
    assert_eq!(txt_adds.len(), 2);
    assert!(txt_adds
        .iter()
        .all(|r| r.owner == name("_acme-challenge.www.example.org") && r.ttl == 60));
    assert!(updates[1]
        .updates
        .iter()
        .all(|r| r.rtype == RecordType::TLSA && r.owner == name(WWW)));
    assert!(updates[2]
        .updates
        .iter()
        .all(|r| r.rtype == RecordType::TXT && r.class == 254));
    assert_eq!(updates[2].updates.len(), 2);
    assert!(
        h._responder
            .queries
            .load(std::sync::atomic::Ordering::Relaxed)
            >= 2,
        "pebble asked our DNS"
    );
    let info = logs(&h.actions, Level::Info);
    assert_eq!(
        count(
            &info,
            "ordering a certificate for www.example.org, *.www.example.org"
        ),
        1,
        "{info:#?}"
    );
    assert_eq!(count(&info, "published the certificate"), 1);
    assert!(
        logs(&h.actions, Level::Warn).is_empty(),
        "{:#?}",
        logs(&h.actions, Level::Warn)
    );
    let first_order_requests = http_requests(&h.actions);

    // A stale copy of the zone (the transfer lags behind the UPDATE):
    // no second order.
    let now = h.now();
    h.manager.zone_changed(&before, now);
    h.rescan_every_action = false;
    let mark = h.actions.len();
    h.run(LIMIT, |_| true);
    assert_eq!(http_requests(&h.actions), first_order_requests);
    assert!(
        count(
            &logs(&h.actions[mark..], Level::Info),
            "waiting for the zone to show the certificate"
        ) == 1,
        "{:#?}",
        logs(&h.actions[mark..], Level::Info)
    );
    // The current zone: valid, next look at two thirds of the lifetime.
    h.manager.zone_changed(&zone, h.now());
    h.run(LIMIT, |_| true);
    assert_eq!(http_requests(&h.actions), first_order_requests);
    let renew_at = leaf.renewal_time();
    // (The wall clock has whole seconds: the instants agree within one.)
    let next = h.manager.next_check(&name(WWW)).unwrap().millis();
    let expected = h.now().instant_at(renew_at).millis();
    assert!(next.abs_diff(expected) <= 1000, "{next} vs {expected}");

    // Two thirds of the lifetime later: renewed, the old leaf replaced.
    let wait = renew_at.saturating_sub(h.now().unix) + 1;
    h.skip(Duration::from_secs(wait));
    let first = leaves[0].clone();
    h.run(LIMIT, |h| {
        let (leaves, _) = published(&h.zone(), WWW);
        h.manager.order_in_flight().is_none() && leaves.len() == 1 && leaves[0] != first
    });
    let zone = h.zone();
    let (leaves, chain) = published(&zone, WWW);
    let renewed = x509::parse_certificate(&leaves[0]).unwrap();
    assert!(renewed.matches(&request));
    assert_ne!(renewed.serial, leaf.serial);
    assert!(!chain.is_empty());
    assert!(tlsas_at(&zone, WWW).contains(&([3, 255, 0], csr.clone())));
    assert!(txt_at(&zone, "_acme-challenge.www.example.org.").is_empty());
    assert!(
        count(
            &logs(&h.actions, Level::Info),
            "less than a third of the certificate's lifetime is left"
        ) >= 1
    );
    // pebble's new certificate starts now by the real clock, so by ours
    // (moved forward) it is due at once: one warning, no third order.
    let warnings = logs(&h.actions, Level::Warn);
    assert_eq!(
        count(&warnings, "already due for renewal by our clock"),
        1,
        "{warnings:#?}"
    );
    let info = logs(&h.actions, Level::Info);
    assert_eq!(count(&info, ": ordering a certificate for"), 2, "{info:#?}");
    eprintln!(
        "pebble e2e: {} HTTPS requests for two orders, {} UPDATEs, {} transfers",
        h.https.requests,
        h.primary.lock().unwrap().updates.len(),
        h.transfers
    );
}

#[test]
fn slow_primary_is_waited_for_and_pebbles_problem_is_logged() {
    if !have("pebble") || !have("openssl") {
        return;
    }
    let scratch = TempDir::new("txt");
    make_key(&scratch.0, "k.pem", KeyKind::P256);
    // pebble takes the names from the subject alternative names only.
    let csr = make_csr(
        &scratch.0,
        "k.pem",
        Some("www.example.org"),
        &["DNS:www.example.org"],
    );

    // The primary takes the records but serves them only from its fourth
    // answer on: the manager keeps asking, then lets the CA validate.
    let mut h = Harness::new(
        "slow",
        zone(&[tlsa(WWW, [3, 255, 0], &csr)]),
        Serve::Zone,
        3600,
        &[],
    );
    h.primary.lock().unwrap().stale_txt_answers = 3;
    h.run(LIMIT, |h| {
        h.manager.order_in_flight().is_none() && !published(&h.zone(), WWW).0.is_empty()
    });
    let info = logs(&h.actions, Level::Info);
    let served = info
        .iter()
        .find(|l| l.contains("the primary serves every dns-01 record"))
        .unwrap();
    assert!(served.contains("(4 queries)"), "{served}");
    assert_eq!(h.primary.lock().unwrap().queries, 4);

    // pebble sees other TXT values than the ones the primary shows us:
    // validation fails, the problem is logged with its type and detail,
    // the records are removed, the name waits.
    let mut h = Harness::new(
        "wrongtxt",
        zone(&[tlsa(WWW, [3, 255, 0], &csr)]),
        Serve::WrongTxt,
        3600,
        &[],
    );
    h.run(LIMIT, |h| {
        h.manager.backoff(&name(WWW)).0 == 1 && h.manager.order_in_flight().is_none()
    });
    let errors = logs(&h.actions, Level::Error);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(errors[0].contains("acme:unauthorized"), "{}", errors[0]);
    assert!(
        errors[0].contains("Correct value not found for DNS challenge"),
        "pebble's detail: {}",
        errors[0]
    );
    assert!(
        errors[0].contains("failure 1 in a row, next attempt in"),
        "{}",
        errors[0]
    );
    let updates = h.primary.lock().unwrap().updates.clone();
    assert_eq!(updates.len(), 2, "challenges added, then removed");
    assert!(txt_at(&h.zone(), "_acme-challenge.www.example.org.").is_empty());
    let (_, retry_at) = h.manager.backoff(&name(WWW));
    let wait = retry_at.unwrap().millis() - h.now().instant.millis();
    assert!((44_000..=60_000).contains(&wait), "{wait} ms");
    // No tight loop: until then it only sleeps.
    let requests = http_requests(&h.actions);
    match h.manager.poll(h.now()) {
        Action::SleepUntil(at) => assert_eq!(Some(at), retry_at),
        other => panic!("{other:?}"),
    }
    assert_eq!(http_requests(&h.actions), requests);
}

#[test]
fn failures_back_off_per_name_one_order_at_a_time() {
    if !have("pebble") || !have("openssl") {
        return;
    }
    let scratch = TempDir::new("backoff");
    make_key(&scratch.0, "k.pem", KeyKind::P256);
    let blocked = make_csr(
        &scratch.0,
        "k.pem",
        Some("blocked.example.org"),
        &["DNS:blocked.example.org"],
    );
    let www = make_csr(
        &scratch.0,
        "k.pem",
        Some("www.example.org"),
        &["DNS:www.example.org"],
    );
    let blocked_name = "_letsencrypt._tcp.blocked.example.org.";
    let zone = zone(&[
        tlsa(blocked_name, [3, 255, 0], &blocked),
        tlsa(WWW, [3, 255, 0], &www),
    ]);
    let mut h = Harness::new("backoff", zone, Serve::Zone, 3600, &["blocked.example.org"]);
    // The primary refuses every UPDATE; the zone is re-examined after
    // every action, and still one order runs at a time, one per name.
    h.primary.lock().unwrap().refuse_with = Some(5);
    h.rescan_every_action = true;
    let both_failed = |n: u32| {
        move |h: &Harness| {
            h.manager.order_in_flight().is_none()
                && h.manager.backoff(&name(blocked_name)).0 == n
                && h.manager.backoff(&name(WWW)).0 == n
        }
    };
    h.run(LIMIT, both_failed(1));
    let info = logs(&h.actions, Level::Info);
    assert_eq!(count(&info, ": ordering a certificate for"), 2, "{info:#?}");
    let errors = logs(&h.actions, Level::Error);
    assert_eq!(errors.len(), 2, "{errors:#?}");
    assert!(
        errors[0].contains("acme:rejectedIdentifier"),
        "{}",
        errors[0]
    );
    assert!(
        errors[1].contains("the UPDATE adding the dns-01 records failed: REFUSED"),
        "{}",
        errors[1]
    );
    // The removal after the refused UPDATE was refused too: a warning.
    let warnings = logs(&h.actions, Level::Warn);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("may be left in the zone")),
        "{warnings:#?}"
    );
    // The blocked name never reached DNS: two UPDATEs, both for www.
    assert_eq!(h.primary.lock().unwrap().updates.len(), 2);

    // One order at a time: each order's lines come before the next starts.
    let lines = logs(&h.actions, Level::Debug);
    let start_2 = lines
        .iter()
        .position(|l| l.starts_with("order #2: ordering"))
        .unwrap();
    assert!(
        lines[start_2..].iter().all(|l| !l.starts_with("order #1")),
        "{lines:#?}"
    );

    // After the backoff both are tried again, and wait twice as long.
    for name_text in [blocked_name, WWW] {
        let (failures, retry_at) = h.manager.backoff(&name(name_text));
        assert_eq!(failures, 1);
        let wait = retry_at
            .unwrap()
            .millis()
            .saturating_sub(h.now().instant.millis());
        assert!(wait <= 60_000, "{wait}");
    }
    h.skip(Duration::from_secs(61));
    h.run(LIMIT, both_failed(2));
    for name_text in [blocked_name, WWW] {
        let (_, retry_at) = h.manager.backoff(&name(name_text));
        let wait = retry_at
            .unwrap()
            .millis()
            .saturating_sub(h.now().instant.millis());
        assert!((80_000..=120_000).contains(&wait), "{name_text}: {wait} ms");
    }
    let info = logs(&h.actions, Level::Info);
    assert_eq!(count(&info, ": ordering a certificate for"), 4, "{info:#?}");
}
