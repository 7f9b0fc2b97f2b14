//! RFC 5936 (AXFR): our server's message stream consumed by our client
//! gives back the same zone; TSIG on every message (RFC 8945 §5.3.1);
//! refusals; and the client's checks of a stream.

#![allow(clippy::type_complexity, clippy::result_large_err)]

use core::fmt::Write;

use dns_keys::KeyStore;
use dns_wire::{class, flags, rcode, Header, Message, MessageBuilder, RecordType as T, Section};
use dns_xfr::{handle, Bound, Handled, Limits, Outcome, Progress, Transport, XfrClient, XfrError};
use dns_zone::{Name, Serial, Zone};
use tsig::{Algorithm, Key, ResponseError, Tsig};

const NOW: u64 = 1_700_000_000;

fn n(s: &str) -> Name {
    let mut w = Vec::new();
    dns_zone::name::parse_name(s.as_bytes(), &Name::root(), &mut w).unwrap()
}

/// A zone of `hosts` hosts with addresses and text, big enough for many
/// messages when `hosts` is in the thousands.
fn zone(serial: u32, hosts: usize) -> Zone {
    let mut t = format!("$TTL 300\n@ SOA ns hostmaster {serial} 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n@ MX 10 mail\nmail A 192.0.2.2\n");
    for i in 0..hosts {
        writeln!(
            t,
            "host{i} A 10.{}.{}.{}",
            (i >> 16) & 255,
            (i >> 8) & 255,
            i & 255
        )
        .unwrap();
        writeln!(
            t,
            "host{i} TXT \"host number {i} of the example zone, with some padding text\""
        )
        .unwrap();
    }
    Zone::parse(t.as_bytes(), n("example.com.")).unwrap().0
}

fn xfr_key() -> Key {
    Key::new(
        n("10.0.0.1.10.0.0.2._transfer.example.com."),
        Algorithm::HmacSha256,
        vec![5; 32],
    )
}

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(xfr_key());
    k.insert(Key::new(
        n("admin._update.example.com."),
        Algorithm::HmacSha256,
        vec![6; 32],
    ));
    k.insert(Key::new(
        n("10.0.0.1.10.0.0.2._transfer.example.org."),
        Algorithm::HmacSha256,
        vec![7; 32],
    ));
    k
}

/// All messages the server sends for `request`.
fn serve(z: &Zone, request: &[u8], transport: Transport) -> Result<Vec<Vec<u8>>, Vec<u8>> {
    let keys = keys();
    match handle(request, NOW, transport, &keys, |name| {
        (name == z.origin()).then_some((z, None))
    }) {
        Handled::Transfer(mut r) => {
            let mut out = Vec::new();
            while let Some(m) = r.next_message(NOW) {
                out.push(m);
            }
            Ok(out)
        }
        Handled::Respond { response, .. } => Err(response),
        other => panic!("{other:?}"),
    }
}

/// RFC 5936 §2.2: "the first and the last RR transmitted must be the SOA
/// record of the zone", every other RR once, across as many messages as
/// needed; our client rebuilds the same zone.
#[test]
fn rfc5936_round_trip_multi_message_signed() {
    let z = zone(7, 3000);
    let (mut client, request) =
        XfrClient::axfr(n("example.com."), 0x4242, None, Some(&xfr_key()), NOW);
    let msgs = serve(&z, &request, Transport::Tcp).unwrap();
    assert!(msgs.len() > 3, "{} messages", msgs.len());
    let mut total = 0;
    for (i, m) in msgs.iter().enumerate() {
        assert!(m.len() <= 65_535);
        let parsed = Message::parse(m).unwrap();
        assert_eq!(parsed.header.id, 0x4242);
        assert_eq!(
            parsed.header.flags & (flags::QR | flags::AA),
            flags::QR | flags::AA
        );
        assert_eq!(
            parsed.questions.len(),
            usize::from(i == 0),
            "question in the first message only"
        );
        assert!(Tsig::locate(m).unwrap().is_some(), "message {i} signed");
        total += parsed.answers.len();
        if i == 0 {
            assert_eq!(parsed.answers[0].rtype, T::SOA);
        }
        if i == msgs.len() - 1 {
            assert_eq!(parsed.answers.last().unwrap().rtype, T::SOA);
        }
    }
    assert_eq!(
        total,
        z.record_count() + 1,
        "SOA twice, every other record once"
    );
    let mut outcome = None;
    for (i, m) in msgs.iter().enumerate() {
        match client.handle_message(m, NOW).unwrap() {
            Progress::More => assert!(i < msgs.len() - 1),
            Progress::Done(o) => {
                assert_eq!(i, msgs.len() - 1);
                outcome = Some(o);
            }
        }
    }
    let Some(Outcome::Full(got)) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(got, z);
    assert_eq!(
        client.handle_message(&msgs[0], NOW),
        Err(XfrError::AfterEnd)
    );
}

/// RFC 8945 §5.3.1: a peer may leave messages unsigned; the next MAC
/// covers them. A stream from such a peer is accepted; one whose
/// unsigned message was altered, or that ends unsigned, is not.
#[test]
fn peers_that_skip_signatures() {
    let z = zone(7, 3000);
    let (_, request) = XfrClient::axfr(n("example.com."), 9, None, Some(&xfr_key()), NOW);
    let signed = serve(&z, &request, Transport::Tcp).unwrap();
    assert!(signed.len() >= 4);
    let plain: Vec<Vec<u8>> = signed
        .iter()
        .map(|m| tsig::strip(m, &Tsig::locate(m).unwrap().unwrap()))
        .collect();
    let request_mac = Tsig::locate(&request).unwrap().unwrap().tsig.mac;
    // Re-sign as a skipping peer: only the first and the last message.
    let resign = |tamper: bool, sign_last: bool| -> Vec<Vec<u8>> {
        let mut s = tsig::StreamSigner::new(xfr_key(), request_mac.clone());
        let last = plain.len() - 1;
        plain
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let mut m = m.clone();
                if i == 0 || (i == last && sign_last) {
                    s.sign(&mut m, NOW);
                } else {
                    s.skip(&m);
                    if tamper && i == 1 {
                        let at = m.len() - 1;
                        m[at] ^= 1;
                    }
                }
                m
            })
            .collect()
    };
    let run = |msgs: &[Vec<u8>]| -> Result<Progress, XfrError> {
        let mut c =
            XfrClient::from_request(&request, Transport::Tcp, None, Some(&xfr_key())).unwrap();
        let mut last = Ok(Progress::More);
        for m in msgs {
            last = c.handle_message(m, NOW);
            if last.is_err() {
                break;
            }
        }
        last
    };
    assert!(
        matches!(run(&resign(false, true)), Ok(Progress::Done(Outcome::Full(ref got))) if *got == z)
    );
    assert_eq!(
        run(&resign(true, true)),
        Err(XfrError::Tsig(ResponseError::BadSig))
    );
    assert_eq!(
        run(&resign(false, false)),
        Err(XfrError::Tsig(ResponseError::UnsignedEnd))
    );
    // A message dropped from a fully signed stream breaks the chain.
    let mut dropped = signed.clone();
    dropped.remove(1);
    assert_eq!(run(&dropped), Err(XfrError::Tsig(ResponseError::BadSig)));
}

/// Refusals: unsigned (REFUSED), another zone's key (REFUSED), a zone
/// we do not serve (NOTAUTH), AXFR over UDP (REFUSED); an update key may
/// transfer (OCaml-DNS semantics).
#[test]
fn refusals() {
    let z = zone(1, 2);
    let unsigned = dns_xfr::axfr_query(&n("example.com."), 3);
    let resp = serve(&z, &unsigned, Transport::Tcp).unwrap_err();
    assert_eq!(Header::parse(&resp).unwrap().rcode(), rcode::REFUSED);
    assert_eq!(Tsig::locate(&resp), Ok(None));

    let org = Key::new(
        n("10.0.0.1.10.0.0.2._transfer.example.org."),
        Algorithm::HmacSha256,
        vec![7; 32],
    );
    let upd = Key::new(
        n("admin._update.example.com."),
        Algorithm::HmacSha256,
        vec![6; 32],
    );
    let cases: Vec<(&str, &str, Key, Transport, Result<(), u16>)> = vec![
        (
            "other zone's key",
            "example.com.",
            org,
            Transport::Tcp,
            Err(rcode::REFUSED),
        ),
        (
            "not served",
            "example.net.",
            xfr_key(),
            Transport::Tcp,
            Err(rcode::NOTAUTH),
        ),
        (
            "over UDP",
            "example.com.",
            xfr_key(),
            Transport::Udp,
            Err(rcode::REFUSED),
        ),
        ("update key", "example.com.", upd, Transport::Tcp, Ok(())),
    ];
    for (what, zone_name, key, transport, want) in cases {
        let (mut c, req) = XfrClient::axfr(n(zone_name), 5, None, Some(&key), NOW);
        let got = match serve(&z, &req, transport) {
            Ok(msgs) => {
                let mut r = Ok(Progress::More);
                for m in &msgs {
                    r = c.handle_message(m, NOW);
                }
                assert!(
                    matches!(r, Ok(Progress::Done(Outcome::Full(_)))),
                    "{what}: {r:?}"
                );
                Ok(())
            }
            Err(resp) => {
                // The refusal is signed and the client reports the RCODE.
                match c.handle_message(&resp, NOW) {
                    Err(XfrError::Rcode(rc)) => Err(rc),
                    other => panic!("{what}: {other:?}"),
                }
            }
        };
        assert_eq!(got, want, "{what}");
    }
}

/// Builds one response message with the given answer records.
fn response(id: u16, records: &[(&str, T, &[u8])]) -> Vec<u8> {
    let mut b = MessageBuilder::new(id, flags::QR | flags::AA);
    b.question(&n("example.com."), T::AXFR, class::IN).unwrap();
    for (owner, t, rd) in records {
        b.record(Section::Answer, &n(owner), *t, class::IN, 300, rd)
            .unwrap();
    }
    b.finish()
}

fn soa_rd(serial: u32) -> Vec<u8> {
    let z = zone(serial, 0);
    z.soa().first().as_bytes().to_vec()
}

fn ns_rd() -> Vec<u8> {
    let mut v = Vec::new();
    dns_zone::name::name_to_wire(&n("ns.example.com."), &mut v);
    v
}

/// The client's checks of a stream (RFC 5936 §2.2, §6).
#[test]
fn client_rejects_malformed_streams() {
    let soa7 = soa_rd(7);
    let ns = ns_rd();
    let a = [192u8, 0, 2, 1];
    let good: Vec<(&str, T, &[u8])> = vec![
        ("example.com.", T::SOA, &soa7),
        ("example.com.", T::NS, &ns),
        ("ns.example.com.", T::A, &a),
        ("example.com.", T::SOA, &soa7),
    ];
    let run = |msgs: Vec<Vec<u8>>, current: Option<Serial>| {
        let (mut c, _) = XfrClient::axfr(n("example.com."), 1, current, None, NOW);
        let mut r = Ok(Progress::More);
        for m in &msgs {
            r = c.handle_message(m, NOW);
            if r.is_err() {
                break;
            }
        }
        r
    };
    assert!(matches!(
        run(vec![response(1, &good)], None),
        Ok(Progress::Done(Outcome::Full(_)))
    ));
    // Split across messages anywhere.
    assert!(matches!(
        run(
            vec![
                response(1, &good[..1]),
                response(1, &good[1..3]),
                response(1, &good[3..])
            ],
            None
        ),
        Ok(Progress::Done(Outcome::Full(_)))
    ));
    // Not ending: more expected.
    assert_eq!(run(vec![response(1, &good[..3])], None), Ok(Progress::More));
    let mut trailing = good.clone();
    trailing.push(("ns.example.com.", T::A, &a));
    let mut wrong_soa = good.clone();
    let soa8 = soa_rd(8);
    wrong_soa[3] = ("example.com.", T::SOA, &soa8);
    let cases: Vec<(&str, Vec<Vec<u8>>, Option<Serial>, XfrError)> = vec![
        (
            "wrong ID",
            vec![response(2, &good)],
            None,
            XfrError::NotOurs,
        ),
        (
            "not SOA first",
            vec![response(1, &good[1..])],
            None,
            XfrError::Malformed("the first record is not the zone's SOA"),
        ),
        (
            "records after the end",
            vec![response(1, &trailing)],
            None,
            XfrError::Malformed("records after the final SOA"),
        ),
        (
            "another SOA inside",
            vec![response(1, &wrong_soa)],
            None,
            XfrError::Malformed("an SOA inside a full transfer"),
        ),
        (
            "out of zone",
            vec![response(
                1,
                &[
                    ("example.com.", T::SOA, &soa7),
                    ("www.example.org.", T::A, &a),
                ],
            )],
            None,
            XfrError::OutOfZone(n("www.example.org.")),
        ),
        (
            "serial backwards",
            vec![response(1, &good)],
            Some(Serial(9)),
            XfrError::SerialBackwards {
                ours: Serial(9),
                theirs: Serial(7),
            },
        ),
        (
            "invalid zone (no NS)",
            vec![response(
                1,
                &[
                    ("example.com.", T::SOA, &soa7),
                    ("ns.example.com.", T::A, &a),
                    ("example.com.", T::SOA, &soa7),
                ],
            )],
            None,
            XfrError::BadZone(vec!["no NS records at the zone apex example.com.".into()]),
        ),
        (
            "empty answer",
            vec![response(1, &[])],
            None,
            XfrError::Malformed("a message without answer records"),
        ),
    ];
    for (what, msgs, current, want) in cases {
        assert_eq!(run(msgs, current), Err(want), "{what}");
    }
    // An error RCODE from the server.
    let mut refused = response(1, &[]);
    refused[3] |= rcode::NOTAUTH as u8;
    assert_eq!(
        run(vec![refused], None),
        Err(XfrError::Rcode(rcode::NOTAUTH))
    );
    // A signed transfer whose answer is unsigned.
    let (mut c, _) = XfrClient::axfr(n("example.com."), 1, None, Some(&xfr_key()), NOW);
    assert_eq!(
        c.handle_message(&response(1, &good), NOW),
        Err(XfrError::Tsig(ResponseError::Unsigned))
    );
}

/// Throughput of a large transfer, server and client together
/// (`SOLODNS_AXFR_RECORDS` records, default 200 000; run with
/// `cargo test --release -p dns-xfr --test rfc5936_axfr -- --ignored`).
#[test]
#[ignore = "a timing run, not a check"]
fn large_zone_throughput() {
    let hosts: usize = std::env::var("SOLODNS_AXFR_RECORDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000)
        / 2;
    let z = zone(1, hosts);
    let (mut client, request) = XfrClient::axfr(n("example.com."), 1, None, Some(&xfr_key()), NOW);
    let start = std::time::Instant::now();
    let msgs = serve(&z, &request, Transport::Tcp).unwrap();
    let served = start.elapsed();
    let mut done = None;
    for m in &msgs {
        if let Progress::Done(o) = client.handle_message(m, NOW).unwrap() {
            done = Some(o);
        }
    }
    let total = start.elapsed();
    let Some(Outcome::Full(got)) = done else {
        panic!()
    };
    assert_eq!(got.record_count(), z.record_count());
    eprintln!(
        "{} records, {} messages, {} octets: server {:?}, client {:?}",
        z.record_count(),
        msgs.len(),
        msgs.iter().map(Vec::len).sum::<usize>(),
        served,
        total - served
    );
}

/// A transfer larger than the limits fails as soon as it goes over them,
/// before the rest of the stream; within them it completes.
#[test]
fn transfers_over_the_limits_are_dropped_early() {
    let z = zone(7, 3000);
    let records = z.record_count() + 1;
    let (_, request) = XfrClient::axfr(n("example.com."), 9, None, Some(&xfr_key()), NOW);
    let msgs = serve(&z, &request, Transport::Tcp).unwrap();
    let bytes: usize = msgs.iter().map(Vec::len).sum();
    let run = |limits: Limits| {
        let (client, _) = XfrClient::axfr(n("example.com."), 9, None, Some(&xfr_key()), NOW);
        let mut client = client.with_limits(limits);
        for (i, m) in msgs.iter().enumerate() {
            match client.handle_message(m, NOW) {
                Ok(Progress::More) => continue,
                Ok(Progress::Done(_)) => return Ok(i),
                Err(e) => return Err((i, e)),
            }
        }
        panic!("no end");
    };
    let exact = Limits { records, bytes };
    assert_eq!(run(exact), Ok(msgs.len() - 1), "exactly at the limits");
    let (at, error) = run(Limits {
        records: 100,
        ..exact
    })
    .unwrap_err();
    assert_eq!(
        (at, error.clone()),
        (0, XfrError::TooLarge(Bound::Records(100)))
    );
    assert!(
        error.to_string().contains("more than 100 records"),
        "{error}"
    );
    let (at, error) = run(Limits {
        bytes: bytes / 2,
        ..exact
    })
    .unwrap_err();
    assert!(at < msgs.len() - 1, "stopped early, at message {at}");
    assert_eq!(error, XfrError::TooLarge(Bound::Bytes(bytes / 2)));
    assert!(run(Limits {
        records: records - 1,
        ..exact
    })
    .is_err());
}
