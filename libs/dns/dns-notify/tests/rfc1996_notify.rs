//! RFC 1996 (NOTIFY): the message (§3.7), the receiving side (§3.8–§4),
//! and the sender's retransmissions (§3.6) on a simulated clock.

#![allow(clippy::type_complexity, clippy::result_large_err)]

use core::net::IpAddr;
use core::time::Duration;
use std::path::Path;

use dns_keys::KeyStore;
use dns_notify::{
    handle, notify_message, notify_query, notify_targets, parse_notify, Config, Event, HandleError,
    Handled, Instant, Notifier,
};
use dns_wire::{flags, opcode, rcode, Header, Message, RecordType as T};
use dns_zone::{Name, Serial, Zone};
use tsig::{Algorithm, Key, Tsig};

const NOW: u64 = 1_700_000_000;

fn n(s: &str) -> Name {
    let mut w = Vec::new();
    dns_zone::name::parse_name(s.as_bytes(), &Name::root(), &mut w).unwrap()
}

fn zone(serial: u32) -> Zone {
    let t = format!(
        "$TTL 300\n@ SOA ns1 hostmaster {serial} 7200 3600 1209600 300\n@ NS ns1\n@ NS ns2\n@ NS ns.example.net.\nns1 A 10.53.0.1\nns2 A 10.53.0.4\nns2 AAAA 2001:db8::4\n"
    );
    Zone::parse(t.as_bytes(), n("example.com.")).unwrap().0
}

fn xfr_key() -> Key {
    Key::new(
        n("10.53.0.1.10.53.0.2._transfer.example.com."),
        Algorithm::HmacSha256,
        vec![1; 32],
    )
}

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(xfr_key());
    k.insert(Key::new(
        n("admin._update.example.com."),
        Algorithm::HmacSha256,
        vec![2; 32],
    ));
    k.insert(Key::new(
        n("admin._update.example.org."),
        Algorithm::HmacSha256,
        vec![3; 32],
    ));
    k
}

/// §3.7: "QR=0, OPCODE=NOTIFY, AA=1, QDCOUNT=1 (SOA of the zone), ANCOUNT
/// 0 or 1 (the new SOA)".
#[test]
fn rfc1996_3_7_message() {
    let msg = notify_message(&zone(5), 0x1234);
    let m = Message::parse(&msg).unwrap();
    assert_eq!(m.header.id, 0x1234);
    assert_eq!(m.header.opcode(), opcode::NOTIFY);
    assert!(!m.header.is_response());
    assert_eq!(m.header.flags & flags::AA, flags::AA);
    assert_eq!(m.header.counts, [1, 1, 0, 0]);
    assert_eq!((m.questions[0].qtype, m.questions[0].qclass), (T::SOA, 1));
    let p = parse_notify(&msg).unwrap();
    assert_eq!((p.zone, p.serial), (n("example.com."), Some(Serial(5))));
    // ANCOUNT 0: a sender without the zone (the CLI).
    let msg = notify_query(&n("example.com."), 0x4321);
    let m = Message::parse(&msg).unwrap();
    assert_eq!(m.header.opcode(), opcode::NOTIFY);
    assert_eq!(m.header.flags & flags::AA, flags::AA);
    assert_eq!(m.header.counts, [1, 0, 0, 0]);
    let p = parse_notify(&msg).unwrap();
    assert_eq!((p.id, p.zone, p.serial), (0x4321, n("example.com."), None));
}

fn receive(msg: &[u8], allow_unsigned: bool) -> Handled {
    handle(msg, NOW, &keys(), allow_unsigned, |z| {
        *z == n("example.com.")
    })
}

/// §3.8–§4: the receiver answers with the question and QR set; we also
/// require a key that may notify the zone.
#[test]
fn rfc1996_receiving() {
    for key in [
        xfr_key(),
        Key::new(
            n("admin._update.example.com."),
            Algorithm::HmacSha256,
            vec![2; 32],
        ),
    ] {
        let mut msg = notify_message(&zone(5), 7);
        let mac = tsig::sign_request(&mut msg, &key, NOW);
        let Handled::Notified {
            notify,
            key: by,
            response,
        } = receive(&msg, false)
        else {
            panic!()
        };
        assert_eq!(notify.serial, Some(Serial(5)));
        assert_eq!(by.as_ref(), Some(key.name()));
        let h = Header::parse(&response).unwrap();
        assert_eq!(
            (h.id, h.opcode(), h.is_response(), h.rcode()),
            (7, opcode::NOTIFY, true, rcode::NOERROR)
        );
        let mut v = tsig::ResponseVerifier::new(key, &mac);
        v.verify(&response, NOW).unwrap();
    }
    let mut other_zone = notify_message(&zone(5), 8);
    tsig::sign_request(
        &mut other_zone,
        &Key::new(
            n("admin._update.example.org."),
            Algorithm::HmacSha256,
            vec![3; 32],
        ),
        NOW,
    );
    let unsigned = notify_message(&zone(5), 9);
    let stranger = {
        let mut m = notify_message(&zone(5), 10);
        tsig::sign_request(
            &mut m,
            &Key::new(
                n("x._notify.example.com."),
                Algorithm::HmacSha256,
                vec![4; 32],
            ),
            NOW,
        );
        m
    };
    let cases: Vec<(&str, Vec<u8>, u16)> = vec![
        ("key of another zone", other_zone, rcode::REFUSED),
        ("unsigned", unsigned.clone(), rcode::REFUSED),
        ("unknown key", stranger, rcode::NOTAUTH),
    ];
    for (what, msg, want) in cases {
        let Handled::Respond { response, reason } = receive(&msg, false) else {
            panic!("{what}")
        };
        assert_eq!(
            Header::parse(&response).unwrap().rcode(),
            want,
            "{what}: {reason:?}"
        );
    }
    assert!(matches!(
        receive(&unsigned, true),
        Handled::Notified { key: None, .. }
    ));
    // A zone we do not serve.
    let z = Zone::parse(
        b"$TTL 1\n@ SOA a b 1 1 1 1 1\n@ NS a\na A 192.0.2.1\n",
        n("example.net."),
    )
    .unwrap()
    .0;
    let mut other = notify_message(&z, 11);
    tsig::sign_request(&mut other, &xfr_key(), NOW);
    let Handled::Respond { reason, .. } = receive(&other, false) else {
        panic!()
    };
    assert_eq!(reason, HandleError::NotAuth(n("example.net.")));
    // Queries and responses are not for this handler.
    assert!(matches!(
        receive(&dns_wire::MessageBuilder::new(1, 0).finish(), false),
        Handled::NotNotify
    ));
    let mut resp = notify_message(&zone(5), 12);
    resp[2] |= 0x80;
    assert!(matches!(receive(&resp, false), Handled::Drop));
}

/// The secondary side of a target: answers every NOTIFY it gets.
fn ack(msg: &[u8]) -> Vec<u8> {
    match receive(msg, true) {
        Handled::Notified { response, .. } => response,
        other => panic!("{other:?}"),
    }
}

/// §3.6: retransmit "until a response is received or the retry limit is
/// reached", here with exponential backoff: 0, 2, 6, 14, 30 s, then give
/// up at 62 s.
#[test]
fn rfc1996_3_6_retransmission() {
    let mut notifier: Notifier<&str> = Notifier::new(Config::default(), 42);
    let t0 = Instant::from_millis(1_000);
    notifier.notify(&zone(5), [("a", Some(xfr_key())), ("b", None)], t0);
    assert_eq!(notifier.next_deadline(), Some(t0));
    let first_a = notifier.poll_transmit(t0, NOW).unwrap();
    let first_b = notifier.poll_transmit(t0, NOW).unwrap();
    assert_eq!((first_a.destination, first_b.destination), ("a", "b"));
    assert!(
        Tsig::locate(&first_a.payload).unwrap().is_some(),
        "signed with a's key"
    );
    assert_eq!(Tsig::locate(&first_b.payload).unwrap(), None);
    assert_eq!(notifier.poll_transmit(t0, NOW), None);
    assert_eq!(notifier.next_deadline(), Some(t0 + Duration::from_secs(2)));

    let mut sent_b = vec![0u64];
    let mut last_a = first_a.payload.clone();
    let mut t = t0;
    while let Some(d) = notifier.next_deadline() {
        t = d;
        while let Some(tx) = notifier.poll_transmit(t, NOW + (t.millis() - t0.millis()) / 1000) {
            match tx.destination {
                "b" => sent_b.push((t.millis() - t0.millis()) / 1000),
                _ => last_a = tx.payload,
            }
        }
        if t >= t0 + Duration::from_secs(14) && notifier.pending() == 2 {
            // a answers the first transmission late: it still counts.
            assert!(notifier.handle_response(&"a", &ack(&first_a.payload), NOW + 14));
        }
    }
    assert_eq!(sent_b, [0, 2, 6, 14, 30]);
    assert_eq!(t, t0 + Duration::from_secs(62));
    let events: Vec<Event<&str>> = core::iter::from_fn(|| notifier.poll_event()).collect();
    assert_eq!(
        events,
        [
            Event::Acknowledged {
                zone: n("example.com."),
                serial: Serial(5),
                target: "a"
            },
            Event::GaveUp {
                zone: n("example.com."),
                serial: Serial(5),
                target: "b"
            },
        ]
    );
    assert_ne!(
        last_a, first_a.payload,
        "each retransmission is signed afresh"
    );
    assert_eq!(notifier.pending(), 0);
}

#[test]
fn answers_that_do_not_count() {
    let mut notifier: Notifier<u8> = Notifier::new(Config::default().with_max_attempts(2), 7);
    let t0 = Instant::from_millis(0);
    notifier.notify(&zone(5), [(1, Some(xfr_key()))], t0);
    let tx = notifier.poll_transmit(t0, NOW).unwrap();
    let good = ack(&tx.payload);
    // From another address, with another ID, unsigned, tampered.
    assert!(!notifier.handle_response(&2, &good, NOW));
    let mut wrong_id = good.clone();
    wrong_id[1] ^= 1;
    assert!(!notifier.handle_response(&1, &wrong_id, NOW));
    let unsigned = dns_notify::notify_response(&tx.payload, rcode::NOERROR);
    assert!(!notifier.handle_response(&1, &unsigned, NOW));
    let mut tampered = good.clone();
    tampered[3] |= 5;
    assert!(!notifier.handle_response(&1, &tampered, NOW));
    assert_eq!(notifier.pending(), 1);
    assert!(notifier.handle_response(&1, &good, NOW));
    assert!(matches!(
        notifier.poll_event(),
        Some(Event::Acknowledged { target: 1, .. })
    ));

    // An error answer ends the retries with Refused.
    notifier.notify(&zone(6), [(1, None)], t0);
    let tx = notifier.poll_transmit(t0, NOW).unwrap();
    let refused = dns_notify::notify_response(&tx.payload, rcode::NOTAUTH);
    assert!(notifier.handle_response(&1, &refused, NOW));
    assert!(matches!(
        notifier.poll_event(),
        Some(Event::Refused {
            rcode: 9,
            serial: Serial(6),
            ..
        })
    ));

    // A newer serial replaces a pending NOTIFY.
    notifier.notify(&zone(7), [(1, None)], t0);
    notifier.notify(&zone(8), [(1, None)], t0);
    assert_eq!(notifier.pending(), 1);
    let tx = notifier.poll_transmit(t0, NOW).unwrap();
    assert_eq!(parse_notify(&tx.payload).unwrap().serial, Some(Serial(8)));
    notifier.cancel(&n("example.com."));
    assert_eq!(notifier.pending(), 0);
    assert_eq!(notifier.next_deadline(), None);
}

/// §3.3 (and OCaml-DNS): the secondaries of the transfer keys and the
/// apex NS addresses known in the zone, minus ourselves.
#[test]
fn targets() {
    let text =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../zones-example/_keys"))
            .unwrap();
    let mut store = KeyStore::new();
    store.load_keys_file("_keys", &text).unwrap();
    let ours: Vec<IpAddr> = vec!["10.53.0.1".parse().unwrap()];
    let t = notify_targets(&zone(1), &store, &ours);
    let got: Vec<(String, bool)> = t
        .iter()
        .map(|(ip, k)| (ip.to_string(), k.is_some()))
        .collect();
    assert_eq!(
        got,
        [
            ("10.53.0.2".to_string(), true),
            ("10.53.0.3".to_string(), true),
            ("10.53.0.4".to_string(), false),
            ("2001:db8::4".to_string(), false),
        ]
    );
}

/// Two keys name one secondary (the demo's repository holds
/// zones-example's `10.53.0.1.10.53.0.3._transfer` key and its own
/// `10.53.0.2.10.53.0.3._transfer` one): the NOTIFY is signed with the key
/// that names us as the primary, the one the secondary knows, whichever
/// sorts first.
#[test]
fn the_key_naming_us_as_primary_signs_the_notify() {
    let text =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../zones-example/_keys"))
            .unwrap();
    let mut store = KeyStore::new();
    store.load_keys_file("_keys", &text).unwrap();
    let ours_key = "10.53.0.2.10.53.0.3._transfer.example.com. DNSKEY 0 3 163 K7plqnfQyLnMb9nPAA6gWOnNFGIa82+VbbZZBHqqOpo=\n";
    store
        .load_keys_file("example.com._keys", ours_key.as_bytes())
        .unwrap();
    for (ours, expected) in [
        ("10.53.0.2", "10.53.0.2.10.53.0.3._transfer.example.com."),
        ("10.53.0.1", "10.53.0.1.10.53.0.3._transfer.example.com."),
    ] {
        let ours: Vec<IpAddr> = vec![ours.parse().unwrap()];
        let targets = notify_targets(&zone(1), &store, &ours);
        let to_secondary: Vec<_> = targets
            .iter()
            .filter(|(ip, _)| ip.to_string() == "10.53.0.3")
            .collect();
        assert_eq!(to_secondary.len(), 1, "{targets:?}");
        let key = to_secondary[0].1.as_ref().expect("signed");
        assert_eq!(key.name().to_string(), expected);
    }
}

/// Every target on its own: one that never answers is retried and given
/// up alone, while the others are acknowledged at once; and a target left
/// out of the zone's next NOTIFY (its transfer key removed) is notified no
/// more, neither retried nor reported.
#[test]
fn a_silent_target_costs_the_others_nothing_and_can_be_dropped() {
    let mut notifier: Notifier<&str> = Notifier::new(Config::default(), 9);
    let t0 = Instant::from_millis(0);
    notifier.notify(&zone(5), [("dead", None), ("live", None)], t0);
    let mut sent = Vec::new();
    while let Some(tx) = notifier.poll_transmit(t0, NOW) {
        sent.push(tx.destination);
        if tx.destination == "live" {
            assert!(notifier.handle_response(&"live", &ack(&tx.payload), NOW));
        }
    }
    assert_eq!(sent, ["dead", "live"]);
    assert!(matches!(
        notifier.poll_event(),
        Some(Event::Acknowledged { target: "live", .. })
    ));
    assert_eq!(notifier.pending(), 1);

    // The next change no longer lists "dead".
    let t1 = t0 + Duration::from_secs(1);
    notifier.notify(&zone(6), [("live", None)], t1);
    let mut later = Vec::new();
    let mut t = t1;
    for _ in 0..100 {
        while let Some(tx) = notifier.poll_transmit(t, NOW) {
            later.push(tx.destination);
        }
        match notifier.next_deadline() {
            Some(d) => t = d,
            None => break,
        }
    }
    assert!(!later.contains(&"dead"), "{later:?}");
    assert_eq!(later.iter().filter(|d| **d == "live").count(), 5);
    let events: Vec<_> = core::iter::from_fn(|| notifier.poll_event()).collect();
    assert_eq!(
        events,
        [Event::GaveUp {
            zone: n("example.com."),
            serial: Serial(6),
            target: "live"
        }]
    );
}

/// `retain` stops the NOTIFYs whose key is gone and keeps the rest.
#[test]
fn notifies_signed_with_a_removed_key_stop() {
    let mut notifier: Notifier<&str> = Notifier::new(Config::default(), 3);
    let t0 = Instant::from_millis(0);
    notifier.notify(&zone(5), [("keyed", Some(xfr_key())), ("ns", None)], t0);
    notifier.retain(|_, _, key| key.is_none_or(|k| *k != xfr_key()));
    assert_eq!(notifier.pending(), 1);
    let tx = notifier.poll_transmit(t0, NOW).expect("one left");
    assert_eq!(tx.destination, "ns");
}

/// `notify_also` adds a target for one zone without touching the zone's
/// other pending NOTIFYs (`notify` replaces them all): a subscriber asking
/// for the zones must not cancel a change being notified to the others.
#[test]
fn a_notify_for_one_more_target_leaves_the_others_pending() {
    let mut notifier: Notifier<&str> = Notifier::new(Config::default(), 5);
    let t0 = Instant::from_millis(0);
    notifier.notify(&zone(5), [("a", None), ("b", None)], t0);
    notifier.notify_also(&zone(5), [("c", Some(xfr_key()))], t0);
    assert_eq!(notifier.pending(), 3);
    // Again for "c": replaced, not doubled.
    notifier.notify_also(&zone(5), [("c", Some(xfr_key()))], t0);
    assert_eq!(notifier.pending(), 3);
    let mut sent: Vec<&str> = core::iter::from_fn(|| notifier.poll_transmit(t0, NOW))
        .map(|tx| tx.destination)
        .collect();
    sent.sort_unstable();
    assert_eq!(sent, ["a", "b", "c"]);
}

/// `redirect` moves pending NOTIFYs to another target, sent there at once
/// with their attempts counted afresh; an answer to the old transmission
/// no longer counts, one to the new does. A NOTIFY already pending at the
/// new target is not doubled.
#[test]
fn a_redirected_notify_starts_again_at_its_new_target() {
    let config = Config::default().with_max_attempts(2);
    let mut notifier: Notifier<&str> = Notifier::new(config, 6);
    let t0 = Instant::from_millis(0);
    notifier.notify(&zone(5), [("stream", Some(xfr_key()))], t0);
    // Both transmissions to "stream" spent.
    let first = notifier.poll_transmit(t0, NOW).expect("first");
    let t1 = t0 + Duration::from_secs(2);
    assert!(
        notifier.poll_transmit(t1, NOW).is_some(),
        "the retransmission"
    );
    let t2 = t1 + Duration::from_secs(1);
    let moved = notifier.redirect(|t| (*t == "stream").then_some("udp"), t2);
    assert_eq!(moved, 1);
    assert!(!notifier.handle_response(&"stream", &ack(&first.payload), NOW));
    let tx = notifier.poll_transmit(t2, NOW).expect("sent again at once");
    assert_eq!(tx.destination, "udp");
    // Its second attempt is still to come: the count started again.
    let t3 = t2 + Duration::from_secs(2);
    let again = notifier.poll_transmit(t3, NOW).expect("a retransmission");
    assert!(notifier.handle_response(&"udp", &ack(&again.payload), NOW));
    assert!(matches!(
        notifier.poll_event(),
        Some(Event::Acknowledged { target: "udp", .. })
    ));
    // Already pending at the new target: dropped, not doubled.
    notifier.notify(&zone(6), [("stream", None), ("udp", None)], t3);
    assert_eq!(
        notifier.redirect(|t| (*t == "stream").then_some("udp"), t3),
        0
    );
    assert_eq!(notifier.pending(), 1);
}
