//! RFC 1995 (IXFR): the example of §7 served from our journal and read by
//! our client in every form the RFC shows (incremental, condensed, full,
//! UDP overflow); up-to-date and fall-back answers; the journal's bounds.

#![allow(clippy::type_complexity, clippy::result_large_err)]

use dns_keys::KeyStore;
use dns_wire::{class, flags, Message, MessageBuilder, RecordType as T, Section};
use dns_xfr::{handle, Handled, Journal, Outcome, Plan, Progress, Transport, XfrClient, XfrError};
use dns_zone::{Name, Serial, Zone};
use tsig::{Algorithm, Key};

const NOW: u64 = 1_700_000_000;

fn n(s: &str) -> Name {
    let mut w = Vec::new();
    dns_zone::name::parse_name(s.as_bytes(), &Name::root(), &mut w).unwrap()
}

/// The three generations of JAIN.AD.JP. of RFC 1995 §7.
fn generation(serial: u32) -> Zone {
    let head = format!(
        "$TTL 600\nJAIN.AD.JP. IN SOA NS.JAIN.AD.JP. mohta.jain.ad.jp. {serial} 600 600 3600000 604800\n\
         \tIN NS NS.JAIN.AD.JP.\nNS.JAIN.AD.JP. IN A 133.69.136.1\n"
    );
    let body = match serial {
        1 => "NEZU.JAIN.AD.JP. IN A 133.69.136.5\n",
        2 => "JAIN-BB.JAIN.AD.JP. IN A 133.69.136.4\n\tIN A 192.41.197.2\n",
        3 => "JAIN-BB.JAIN.AD.JP. IN A 133.69.136.3\n\tIN A 192.41.197.2\n",
        _ => unreachable!(),
    };
    Zone::parse(format!("{head}{body}").as_bytes(), n("jain.ad.jp."))
        .unwrap()
        .0
}

fn journal() -> Journal {
    let mut j = Journal::default();
    j.push(generation(1).diff(&generation(2)));
    j.push(generation(2).diff(&generation(3)));
    j
}

fn key() -> Key {
    Key::new(
        n("192.0.2.1.192.0.2.2._transfer.jain.ad.jp."),
        Algorithm::HmacSha256,
        vec![8; 32],
    )
}

fn keys() -> KeyStore {
    let mut k = KeyStore::new();
    k.insert(key());
    k
}

/// What our server sends for `request` (TCP: every message; UDP: one).
fn serve(
    z: &Zone,
    j: &Journal,
    request: &[u8],
    transport: Transport,
) -> (Option<Plan>, Vec<Vec<u8>>) {
    let keys = keys();
    match handle(request, NOW, transport, &keys, |name| {
        (name == z.origin()).then_some((z, Some(j)))
    }) {
        Handled::Transfer(mut r) => {
            let plan = r.plan().clone();
            let mut out = Vec::new();
            while let Some(m) = r.next_message(NOW) {
                out.push(m);
            }
            (Some(plan), out)
        }
        Handled::Respond {
            response,
            reason: None,
        } => (None, vec![response]),
        other => panic!("{other:?}"),
    }
}

fn consume(c: &mut XfrClient, msgs: &[Vec<u8>]) -> Result<Outcome, XfrError> {
    for m in msgs {
        if let Progress::Done(o) = c.handle_message(m, NOW)? {
            return Ok(o);
        }
    }
    panic!("transfer did not end")
}

/// Owner, type and RDATA of each answer record.
fn answers(msgs: &[Vec<u8>]) -> Vec<(Name, T, Vec<u8>)> {
    msgs.iter()
        .flat_map(|m| Message::parse(m).unwrap().answers)
        .map(|r| (r.owner, r.rtype, r.rdata))
        .collect()
}

fn soa(serial: u32) -> (Name, T, Vec<u8>) {
    (
        n("jain.ad.jp."),
        T::SOA,
        generation(serial).soa().first().as_bytes().to_vec(),
    )
}

fn a(owner: &str, ip: [u8; 4]) -> (Name, T, Vec<u8>) {
    (n(owner), T::A, ip.to_vec())
}

/// §7: "the following incremental message" (with the erratum in the
/// RFC's listing corrected: the deleted 133.69.136.4 is JAIN-BB's).
#[test]
fn rfc1995_7_incremental_answer() {
    let (v1, v3, j) = (generation(1), generation(3), journal());
    let (mut c, request) = XfrClient::ixfr(&v1, 1, Transport::Tcp, Some(&key()), NOW);
    let (plan, msgs) = serve(&v3, &j, &request, Transport::Tcp);
    assert_eq!(plan, Some(Plan::Incremental { diffs: 2 }));
    assert_eq!(
        answers(&msgs),
        vec![
            soa(3),
            soa(1),
            a("NEZU.JAIN.AD.JP.", [133, 69, 136, 5]),
            soa(2),
            a("JAIN-BB.JAIN.AD.JP.", [133, 69, 136, 4]),
            a("JAIN-BB.JAIN.AD.JP.", [192, 41, 197, 2]),
            soa(2),
            a("JAIN-BB.JAIN.AD.JP.", [133, 69, 136, 4]),
            soa(3),
            a("JAIN-BB.JAIN.AD.JP.", [133, 69, 136, 3]),
            soa(3),
        ]
    );
    let Outcome::Incremental(diffs) = consume(&mut c, &msgs).unwrap() else {
        panic!()
    };
    assert_eq!(diffs.len(), 2);
    assert_eq!(
        Outcome::Incremental(diffs).into_zone(Some(&v1)).unwrap(),
        Some(v3)
    );
}

/// Builds one IXFR response message with the given answers.
fn ixfr_response(id: u16, records: &[(Name, T, Vec<u8>)]) -> Vec<u8> {
    let mut b = MessageBuilder::new(id, flags::QR | flags::AA).case_sensitive(true);
    b.question(&n("jain.ad.jp."), T::IXFR, class::IN).unwrap();
    for (owner, t, rd) in records {
        b.record(Section::Answer, owner, *t, class::IN, 600, rd)
            .unwrap();
    }
    b.finish()
}

/// §7: the same query "could be replied to with the following full zone
/// transfer message", "the following condensed incremental message", or,
/// "if UDP packet overflow occurs", the SOA alone; our client turns each
/// into generation 3 (or asks for TCP).
#[test]
fn rfc1995_7_every_answer_form() {
    let (v1, v3) = (generation(1), generation(3));
    let full = vec![
        soa(3),
        (n("jain.ad.jp."), T::NS, {
            let mut v = Vec::new();
            dns_zone::name::name_to_wire(&n("NS.JAIN.AD.JP."), &mut v);
            v
        }),
        a("NS.JAIN.AD.JP.", [133, 69, 136, 1]),
        a("JAIN-BB.JAIN.AD.JP.", [133, 69, 136, 3]),
        a("JAIN-BB.JAIN.AD.JP.", [192, 41, 197, 2]),
        soa(3),
    ];
    let condensed = vec![
        soa(3),
        soa(1),
        a("NEZU.JAIN.AD.JP.", [133, 69, 136, 5]),
        soa(3),
        a("JAIN-BB.JAIN.AD.JP.", [133, 69, 136, 3]),
        a("JAIN-BB.JAIN.AD.JP.", [192, 41, 197, 2]),
        soa(3),
    ];
    for (what, records) in [("full", full), ("condensed", condensed)] {
        let (mut c, _) = XfrClient::ixfr(&v1, 7, Transport::Tcp, None, NOW);
        let o = consume(&mut c, &[ixfr_response(7, &records)]).unwrap();
        assert!(
            matches!(
                (what, &o),
                ("full", Outcome::Full(_)) | ("condensed", Outcome::Incremental(_))
            ),
            "{what}: {o:?}"
        );
        assert_eq!(
            o.into_zone(Some(&v1)).unwrap().as_ref(),
            Some(&v3),
            "{what}"
        );
        // Split after every record, it reads the same.
        let (mut c, _) = XfrClient::ixfr(&v1, 7, Transport::Tcp, None, NOW);
        let msgs: Vec<Vec<u8>> = records.chunks(1).map(|r| ixfr_response(7, r)).collect();
        assert_eq!(
            consume(&mut c, &msgs)
                .unwrap()
                .into_zone(Some(&v1))
                .unwrap()
                .as_ref(),
            Some(&v3),
            "{what} split"
        );
    }
    let (mut c, _) = XfrClient::ixfr(&v1, 7, Transport::Udp, None, NOW);
    assert_eq!(
        consume(&mut c, &[ixfr_response(7, &[soa(3)])]),
        Ok(Outcome::NeedTcp { serial: Serial(3) })
    );
}

/// §2, §4: up to date (SOA alone), a serial older than the journal (full
/// answer, AXFR-style), the last step only, and a client ahead of us.
#[test]
fn rfc1995_4_server_answers() {
    let (v3, j) = (generation(3), journal());
    // Up to date.
    let (mut c, request) = XfrClient::ixfr(&v3, 2, Transport::Tcp, Some(&key()), NOW);
    let (plan, msgs) = serve(&v3, &j, &request, Transport::Tcp);
    assert_eq!(plan, Some(Plan::UpToDate));
    assert_eq!(answers(&msgs), vec![soa(3)]);
    assert_eq!(
        consume(&mut c, &msgs),
        Ok(Outcome::UpToDate { serial: Serial(3) })
    );

    // From generation 2: one diff.
    let v2 = generation(2);
    let (mut c, request) = XfrClient::ixfr(&v2, 3, Transport::Tcp, Some(&key()), NOW);
    let (plan, msgs) = serve(&v3, &j, &request, Transport::Tcp);
    assert_eq!(plan, Some(Plan::Incremental { diffs: 1 }));
    assert_eq!(
        consume(&mut c, &msgs)
            .unwrap()
            .into_zone(Some(&v2))
            .unwrap(),
        Some(v3.clone())
    );

    // From a serial the journal does not know: the whole zone.
    let v0 = Zone::parse(
        b"$TTL 600\njain.ad.jp. SOA ns.jain.ad.jp. mohta.jain.ad.jp. 0 600 600 3600000 604800\n NS ns\nns A 133.69.136.1\n",
        n("jain.ad.jp."),
    )
    .unwrap()
    .0;
    let (mut c, request) = XfrClient::ixfr(&v0, 4, Transport::Tcp, Some(&key()), NOW);
    let (plan, msgs) = serve(&v3, &j, &request, Transport::Tcp);
    assert_eq!(plan, Some(Plan::Full));
    assert_eq!(consume(&mut c, &msgs), Ok(Outcome::Full(v3.clone())));

    // Without a journal at all, the same.
    let (mut c, request) = XfrClient::ixfr(&generation(1), 5, Transport::Tcp, Some(&key()), NOW);
    let (plan, msgs) = serve(&v3, &Journal::default(), &request, Transport::Tcp);
    assert_eq!(plan, Some(Plan::Full));
    assert_eq!(consume(&mut c, &msgs), Ok(Outcome::Full(v3.clone())));

    // A client ahead of us: we send our SOA; it sees our serial is older.
    let ahead = Zone::parse(
        b"$TTL 600\njain.ad.jp. SOA ns.jain.ad.jp. mohta.jain.ad.jp. 9 600 600 3600000 604800\n NS ns\nns A 133.69.136.1\n",
        n("jain.ad.jp."),
    )
    .unwrap()
    .0;
    let (mut c, request) = XfrClient::ixfr(&ahead, 6, Transport::Tcp, Some(&key()), NOW);
    let (plan, msgs) = serve(&v3, &j, &request, Transport::Tcp);
    assert_eq!(plan, Some(Plan::UpToDate));
    assert_eq!(
        consume(&mut c, &msgs),
        Err(XfrError::SerialBackwards {
            ours: Serial(9),
            theirs: Serial(3)
        })
    );
}

/// §2: "If an IXFR query with the same or newer version number than that
/// of the server is received, it is replied to with a single SOA record";
/// over UDP the answer goes in one message if it fits, else the SOA
/// alone tells the client to use TCP.
#[test]
fn rfc1995_2_udp() {
    let (v1, v3, j) = (generation(1), generation(3), journal());
    let (mut c, request) = XfrClient::ixfr(&v1, 8, Transport::Udp, Some(&key()), NOW);
    let (_, msgs) = serve(&v3, &j, &request, Transport::Udp);
    assert_eq!(msgs.len(), 1);
    assert!(msgs[0].len() <= 512);
    assert_eq!(
        consume(&mut c, &msgs)
            .unwrap()
            .into_zone(Some(&v1))
            .unwrap(),
        Some(v3.clone())
    );

    // With EDNS (RFC 6891) the client's payload size is the limit, and the
    // answer carries our OPT before the TSIG.
    let mut b = MessageBuilder::new(21, 0);
    b.question(&n("jain.ad.jp."), T::IXFR, class::IN).unwrap();
    b.record(
        Section::Authority,
        &n("jain.ad.jp."),
        T::SOA,
        class::IN,
        600,
        v1.soa().first().as_bytes(),
    )
    .unwrap();
    b.record(Section::Additional, &Name::root(), T::OPT, 1232, 0, &[])
        .unwrap();
    let mut request = b.finish();
    tsig::sign_request(&mut request, &key(), NOW);
    let mut c =
        XfrClient::from_request(&request, Transport::Udp, Some(v1.serial()), Some(&key())).unwrap();
    let (_, msgs) = serve(&v3, &j, &request, Transport::Udp);
    let m = Message::parse(&msgs[0]).unwrap();
    let types: Vec<T> = m.additional.iter().map(|r| r.rtype).collect();
    assert_eq!(types, [T::OPT, T::TSIG]);
    assert_eq!(
        consume(&mut c, &msgs)
            .unwrap()
            .into_zone(Some(&v1))
            .unwrap(),
        Some(v3.clone())
    );

    // A diff too large for 512 octets.
    let mut big = String::from(
        "$TTL 600\nJAIN.AD.JP. SOA NS.JAIN.AD.JP. mohta.jain.ad.jp. 4 600 600 3600000 604800\n NS NS.JAIN.AD.JP.\nNS.JAIN.AD.JP. A 133.69.136.1\n",
    );
    for i in 0..100 {
        big.push_str(&format!("host{i} A 10.0.0.{i}\n"));
    }
    let v4 = Zone::parse(big.as_bytes(), n("jain.ad.jp.")).unwrap().0;
    let mut j4 = journal();
    j4.push(v3.diff(&v4));
    let (mut c, request) = XfrClient::ixfr(&v3, 9, Transport::Udp, Some(&key()), NOW);
    let (_, msgs) = serve(&v4, &j4, &request, Transport::Udp);
    assert_eq!(answers(&msgs).len(), 1);
    assert_eq!(
        consume(&mut c, &msgs),
        Ok(Outcome::NeedTcp { serial: Serial(4) })
    );
    // Over TCP it comes.
    let (mut c, request) = XfrClient::ixfr(&v3, 10, Transport::Tcp, Some(&key()), NOW);
    let (_, msgs) = serve(&v4, &j4, &request, Transport::Tcp);
    assert_eq!(
        consume(&mut c, &msgs)
            .unwrap()
            .into_zone(Some(&v3))
            .unwrap(),
        Some(v4)
    );
}

/// A diff that does not apply to the client's copy is an error (the
/// caller falls back to AXFR), and so is a broken chain of diffs.
#[test]
fn diverged_copies_and_broken_chains() {
    let (v1, v3) = (generation(1), generation(3));
    // The client's copy lacks NEZU, which the diff deletes.
    let diverged = Zone::parse(
        b"$TTL 600\njain.ad.jp. SOA ns.jain.ad.jp. mohta.jain.ad.jp. 1 600 600 3600000 604800\n NS ns\nns A 133.69.136.1\n",
        n("jain.ad.jp."),
    )
    .unwrap()
    .0;
    let (mut c, request) = XfrClient::ixfr(&diverged, 11, Transport::Tcp, Some(&key()), NOW);
    let (_, msgs) = serve(&v3, &journal(), &request, Transport::Tcp);
    let o = consume(&mut c, &msgs).unwrap();
    assert!(matches!(
        o.into_zone(Some(&diverged)),
        Err(XfrError::Diverged(_))
    ));

    let broken = vec![
        soa(3),
        soa(1),
        a("NEZU.JAIN.AD.JP.", [133, 69, 136, 5]),
        soa(2),
        soa(1),
        soa(3),
    ];
    let (mut c, _) = XfrClient::ixfr(&v1, 7, Transport::Tcp, None, NOW);
    assert_eq!(
        consume(&mut c, &[ixfr_response(7, &broken)]),
        Err(XfrError::Malformed(
            "a diff that does not start where the last one ended"
        ))
    );
}

#[test]
fn journal_bounds() {
    let zones: Vec<Zone> = (1..=3).map(generation).collect();
    // Count bound: the oldest diff goes.
    let mut j = Journal::new(1, usize::MAX);
    j.push(zones[0].diff(&zones[1]));
    j.push(zones[1].diff(&zones[2]));
    assert_eq!(j.len(), 1);
    assert_eq!(j.first_serial(), Some(Serial(2)));
    assert!(j.diffs_from(Serial(1)).is_none());
    assert_eq!(j.diffs_from(Serial(2)).unwrap().len(), 1);
    // Size bound.
    let d = zones[0].diff(&zones[1]);
    let size = dns_xfr::journal::diff_size(&d);
    let mut j = Journal::new(10, size);
    j.push(d.clone());
    assert_eq!(j.len(), 1);
    j.push(zones[1].diff(&zones[2]));
    assert_eq!(j.len(), 1, "the older diff made room");
    assert!(j.bytes() <= size);
    let mut j = Journal::new(10, size - 1);
    j.push(d.clone());
    assert!(j.is_empty(), "a diff larger than the bound is not kept");
    // A diff that does not continue the last one starts afresh.
    let mut j = Journal::default();
    j.push(d);
    j.push(zones[1].diff(&zones[2]));
    j.push(zones[0].diff(&zones[2]));
    assert_eq!(j.len(), 1);
    assert_eq!(
        (j.first_serial(), j.last_serial()),
        (Some(Serial(1)), Some(Serial(3)))
    );
}
