//! The manager without a CA: what it does with zones (valid certificates
//! scheduled, the daily look, skipped names, zones outside the key), and
//! HTTPS requests that fail or get no response.

// Host-side test code: std is what it runs on.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use std::time::Duration;

use acme::Instant;
use common::*;
use letsencrypt::manager::{HTTP_TIMEOUT, RESCAN_INTERVAL};
use letsencrypt::{x509, Action, Config, Level, Manager, Now};

const WWW: &str = "_letsencrypt._tcp.www.example.org.";

/// A manager from a configuration, as the unikernel makes it.
fn manager(directory: &str, now: Now) -> Manager {
    let config = Config {
        key: key(),
        zone: name("example.org"),
        dns_server: "127.0.0.1:53".parse().unwrap(),
        directory_url: directory.to_string(),
        production: false,
        account_key_seed: b"offline".to_vec(),
        account_key_type: acme::KeyType::EcdsaP256,
        email: None,
        tls_authenticator: None,
        resolver: None,
    };
    let key = config.account_key().unwrap();
    Manager::new(config.manager_config(key), [1; 32], now)
}

/// Polls until the manager sleeps; returns what it did and the instant.
fn drain(m: &mut Manager, now: Now) -> (Vec<Action>, Instant) {
    let mut actions = Vec::new();
    for _ in 0..1000 {
        match m.poll(now) {
            Action::SleepUntil(at) => return (actions, at),
            other => actions.push(other),
        }
    }
    panic!("the manager never sleeps: {actions:#?}");
}

fn at(now: Now, later: Duration) -> Now {
    Now::new(now.instant + later, now.unix + later.as_secs())
}

#[test]
fn valid_certificates_wait_for_renewal_and_the_daily_look() {
    if !have("openssl") {
        return;
    }
    let dir = TempDir::new("offline");
    make_ca(&dir.0);
    make_key(&dir.0, "k.pem", KeyKind::P256);
    let sans = ["DNS:www.example.org"];
    let csr = make_csr(&dir.0, "k.pem", Some("www.example.org"), &sans);
    let cert = sign(&dir.0, &csr, &sans, 90);
    let info = x509::parse_certificate(&cert).unwrap();
    make_key(&dir.0, "b.pem", KeyKind::P256);
    let second = make_csr(&dir.0, "b.pem", Some("mail.example.org"), &[]);
    let zone = zone(&[
        tlsa(WWW, [3, 255, 0], &csr),
        tlsa(WWW, [3, 0, 0], &cert),
        tlsa("_letsencrypt._tcp.mail.example.org.", [3, 255, 0], &csr),
        tlsa("_letsencrypt._tcp.mail.example.org.", [3, 255, 0], &second),
        tlsa(
            "_letsencrypt._tcp.bad.example.org.",
            [3, 255, 0],
            b"\x30\x00",
        ),
    ]);
    let now = Now::new(Instant::from_millis(1_000), info.not_before + 10);
    let mut m = manager("https://ca.invalid/dir", now);
    assert_eq!(m.acme_server(), Some(("ca.invalid", 443)));
    m.zone_changed(&zone, now);
    let (actions, wake) = drain(&mut m, now);
    assert!(
        !actions.iter().any(|a| matches!(a, Action::Http { .. })),
        "nothing to order"
    );
    let warnings = logs(&actions, Level::Warn);
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0]
            .starts_with("malformed CSR at _letsencrypt._tcp.bad.example.org.: skipped: not a DER"),
        "{}",
        warnings[0]
    );
    assert!(
        warnings[1].starts_with("two CSRs at _letsencrypt._tcp.mail.example.org."),
        "{}",
        warnings[1]
    );
    let info_lines = logs(&actions, Level::Info);
    assert!(
        info_lines.iter().any(|l| l.contains("is valid until")),
        "{info_lines:#?}"
    );
    // The renewal (60 days on) is after the daily look.
    assert_eq!(wake, now.instant + RESCAN_INTERVAL);
    assert_eq!(
        m.next_check(&name(WWW)),
        Some(now.instant_at(info.renewal_time()))
    );

    // A day later: every name looked at again.
    let later = at(now, RESCAN_INTERVAL);
    let (actions, wake) = drain(&mut m, later);
    let info_lines = logs(&actions, Level::Info);
    assert!(
        info_lines[0].starts_with("daily look at 3 _letsencrypt._tcp names"),
        "{info_lines:#?}"
    );
    assert_eq!(logs(&actions, Level::Warn).len(), 2);
    assert_eq!(wake, later.instant + RESCAN_INTERVAL);

    // A zone the key does not cover is ignored.
    let other = dns_zone::Zone::parse(
        b"$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n NS ns\nns A 192.0.2.1\n",
        name("example.net"),
    )
    .unwrap()
    .0;
    m.zone_changed(&other, later);
    let (actions, _) = drain(&mut m, later);
    let warnings = logs(&actions, Level::Warn);
    assert_eq!(
        warnings,
        ["zone example.net is not at or below example.org, the zone of key letsencrypt._update.example.org: ignored"]
    );
}

#[test]
fn https_failures_and_silence_end_the_order() {
    if !have("openssl") {
        return;
    }
    let dir = TempDir::new("https");
    make_key(&dir.0, "k.pem", KeyKind::P256);
    let csr = make_csr(
        &dir.0,
        "k.pem",
        Some("www.example.org"),
        &["DNS:www.example.org"],
    );
    let zone = zone(&[tlsa(WWW, [3, 255, 0], &csr)]);
    let now = Now::new(Instant::from_millis(0), 1_750_000_000);
    let mut m = manager("https://ca.invalid/dir", now);
    m.zone_changed(&zone, now);

    // The directory request cannot be made.
    let (actions, _) = drain(&mut m, now);
    let Some(Action::Http { order, request }) =
        actions.iter().find(|a| matches!(a, Action::Http { .. }))
    else {
        panic!("{actions:#?}")
    };
    assert_eq!(request.url, "https://ca.invalid/dir");
    m.handle_http_failure(*order, "ca.invalid: no address", now);
    let (actions, wake) = drain(&mut m, now);
    let errors = logs(&actions, Level::Error);
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].starts_with("order #1 for www.example.org: GET https://ca.invalid/dir failed: ca.invalid: no address; failure 1 in a row"),
        "{}",
        errors[0]
    );
    let (failures, retry_at) = m.backoff(&name(WWW));
    assert_eq!(failures, 1);
    assert_eq!(Some(wake), retry_at);
    // A response that comes after all is not taken.
    m.handle_http_response(*order, &acme::Response::default(), now);
    let (actions, _) = drain(&mut m, now);
    assert!(logs(&actions, Level::Debug)
        .iter()
        .any(|l| l.contains("which waits for none: ignored")));
    assert!(m.order_in_flight().is_none());

    // After the backoff: the request gets no response at all.
    let retry = Now::new(retry_at.unwrap(), now.unix + 60);
    let (actions, wake) = drain(&mut m, retry);
    assert!(
        matches!(actions.iter().find(|a| matches!(a, Action::Http { .. })), Some(Action::Http { order, .. }) if order.0 == 2)
    );
    assert_eq!(wake, retry.instant + HTTP_TIMEOUT);
    let (actions, _) = drain(&mut m, at(retry, HTTP_TIMEOUT));
    let errors = logs(&actions, Level::Error);
    assert!(
        errors[0]
            .contains("no response to GET https://ca.invalid/dir within 90 s; failure 2 in a row"),
        "{errors:#?}"
    );
    assert_eq!(m.backoff(&name(WWW)).0, 2);
}
