//! The DNS side of an order going wrong, against pebble: UPDATEs whose
//! answers are lost (sent again, freshly signed; a late answer still
//! counts; no answer at all ends the order), and a CSR replaced while its
//! order runs (the certificate for the old one is not published).

// Host-side test code: std is what it runs on.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use std::time::Duration;

use common::pebble::{Harness, Serve};
use common::*;
use letsencrypt::manager::{UPDATE_ATTEMPTS, UPDATE_TIMEOUT};
use letsencrypt::{x509, Level};

const WWW: &str = "_letsencrypt._tcp.www.example.org.";
const LIMIT: Duration = Duration::from_secs(120);

fn csr(dir: &TempDir, key: &str) -> Vec<u8> {
    make_key(&dir.0, key, KeyKind::P256);
    make_csr(
        &dir.0,
        key,
        Some("www.example.org"),
        &["DNS:www.example.org"],
    )
}

fn id(message: &[u8]) -> u16 {
    u16::from_be_bytes([message[0], message[1]])
}

fn leaf_key(h: &Harness) -> Option<Vec<u8>> {
    let leaves: Vec<_> = tlsas_at(&h.zone(), WWW)
        .into_iter()
        .filter(|(f, _)| *f == [3, 0, 0])
        .collect();
    match leaves.as_slice() {
        [(_, der)] => x509::parse_certificate(der).ok().map(|c| c.public_key),
        _ => None,
    }
}

#[test]
fn a_lost_update_answer_is_resent_and_a_late_answer_counts() {
    if !have("pebble") || !have("openssl") {
        return;
    }
    let scratch = TempDir::new("lost");
    let csr = csr(&scratch, "k.pem");
    let mut h = Harness::new(
        "lost",
        zone(&[tlsa(WWW, [3, 255, 0], &csr)]),
        Serve::Zone,
        3600,
        &[],
    );
    h.hold_updates = true;
    h.run(LIMIT, |h| h.held.len() == 1);
    // Not before its time-out, then once more, signed afresh.
    h.run(LIMIT, |h| h.held.len() == 1);
    h.skip(UPDATE_TIMEOUT);
    h.run(LIMIT, |h| h.held.len() == 2);
    let (first, second) = (h.held[0].clone(), h.held[1].clone());
    assert_ne!(id(&first), id(&second));
    assert_ne!(first, second);
    let info = logs(&h.actions, Level::Info);
    assert!(
        info.iter().any(|l| l.contains(
            "no answer to the UPDATE adding the dns-01 records within 20 s: sending it again"
        )),
        "{info:#?}"
    );

    // The first copy arrives late: its answer is taken; the second copy
    // changes nothing at the primary and its answer is ignored.
    h.deliver(&first);
    let serial = h.zone().serial();
    h.deliver(&second);
    assert_eq!(
        h.zone().serial(),
        serial,
        "the same additions again are no change"
    );
    h.hold_updates = false;
    let key = x509::parse_csr(&csr).unwrap().public_key;
    h.run(LIMIT, |h| {
        h.manager.order_in_flight().is_none() && leaf_key(h).as_ref() == Some(&key)
    });
    assert!(logs(&h.actions, Level::Warn).is_empty());
    assert!(txt_at(&h.zone(), "_acme-challenge.www.example.org.").is_empty());
}

#[test]
fn an_unanswered_update_ends_the_order() {
    if !have("pebble") || !have("openssl") {
        return;
    }
    let scratch = TempDir::new("silent");
    let csr = csr(&scratch, "k.pem");
    let mut h = Harness::new(
        "silent",
        zone(&[tlsa(WWW, [3, 255, 0], &csr)]),
        Serve::Zone,
        3600,
        &[],
    );
    h.hold_updates = true;
    // Three copies of the challenge UPDATE, then three of the removal.
    for copies in 1..=2 * UPDATE_ATTEMPTS {
        h.run(LIMIT, |h| h.held.len() == copies);
        h.skip(UPDATE_TIMEOUT);
    }
    h.run(LIMIT, |h| h.manager.order_in_flight().is_none());
    let errors = logs(&h.actions, Level::Error);
    assert_eq!(errors.len(), 1, "{errors:#?}");
    assert!(
        errors[0].contains("the primary did not answer the UPDATE adding the dns-01 records (3 copies, 20 s apart)"),
        "{}",
        errors[0]
    );
    let warnings = logs(&h.actions, Level::Warn);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("may be left in the zone")),
        "{warnings:#?}"
    );
    assert_eq!(h.held.len(), 2 * UPDATE_ATTEMPTS);
    assert_eq!(h.manager.backoff(&name(WWW)).0, 1);
}

#[test]
fn a_csr_replaced_during_its_order_gets_no_old_certificate() {
    if !have("pebble") || !have("openssl") {
        return;
    }
    let scratch = TempDir::new("replaced");
    let old = csr(&scratch, "old.pem");
    let new = csr(&scratch, "new.pem");
    let mut h = Harness::new(
        "replaced",
        zone(&[tlsa(WWW, [3, 255, 0], &old)]),
        Serve::Zone,
        3600,
        &[],
    );
    h.hold_updates = true;
    h.run(LIMIT, |h| h.held.len() == 1);
    // The operator replaces the CSR; the transfer brings it.
    let replaced = zone(&[tlsa(WWW, [3, 255, 0], &new)]);
    h.primary.lock().unwrap().zone = replaced.clone();
    h.manager.zone_changed(&replaced, h.now());
    let challenge = h.held.remove(0);
    h.hold_updates = false;
    h.deliver(&challenge);
    let new_key = x509::parse_csr(&new).unwrap().public_key;
    h.run(LIMIT, |h| {
        h.manager.order_in_flight().is_none() && leaf_key(h).as_ref() == Some(&new_key)
    });
    let warnings = logs(&h.actions, Level::Warn);
    assert_eq!(warnings.len(), 1, "{warnings:#?}");
    assert!(
        warnings[0].contains("order #1: the CSR at _letsencrypt._tcp.www.example.org changed during the order: the new certificate is not published"),
        "{}",
        warnings[0]
    );
    assert!(logs(&h.actions, Level::Error).is_empty());
    assert_eq!(h.manager.backoff(&name(WWW)).0, 0, "no failure of the name");
    let info = logs(&h.actions, Level::Info);
    assert!(
        info.iter()
            .any(|l| l.starts_with("order #2: published the certificate")),
        "{info:#?}"
    );
    assert!(txt_at(&h.zone(), "_acme-challenge.www.example.org.").is_empty());

    // Replaced again right after its certificate was published: a new
    // request, ordered at once (the guard against re-ordering from a
    // stale zone holds only for the CSR it was issued for).
    let third = csr(&scratch, "third.pem");
    let mut records = vec![tlsa(WWW, [3, 255, 0], &third)];
    for (fields, der) in tlsas_at(&h.zone(), WWW) {
        if fields != [3, 255, 0] {
            records.push(tlsa(WWW, fields, &der));
        }
    }
    let replaced = zone(&records);
    h.primary.lock().unwrap().zone = replaced.clone();
    h.manager.zone_changed(&replaced, h.now());
    let third_key = x509::parse_csr(&third).unwrap().public_key;
    h.run(LIMIT, |h| {
        h.manager.order_in_flight().is_none() && leaf_key(h).as_ref() == Some(&third_key)
    });
    assert!(
        logs(&h.actions, Level::Error).is_empty(),
        "{:#?}",
        logs(&h.actions, Level::Error)
    );
    let info = logs(&h.actions, Level::Info);
    assert!(info.iter().any(|l| l.starts_with("_letsencrypt._tcp.www.example.org needs a certificate: the published certificate is not for the CSR's public key")), "{info:#?}");
    assert!(
        info.iter()
            .any(|l| l.starts_with("order #3: published the certificate")),
        "{info:#?}"
    );
}
