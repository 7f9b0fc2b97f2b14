//! EDNS(0) (RFC 6891), truncation over UDP, header checks, and malformed
//! messages: FORMERR or silence, never a panic.

mod common;
use common::*;
use dns_server::Transport;
use dns_zone::RecordType as T;

fn big_zone() -> dns_server::Server {
    let mut z = String::from("$TTL 300\n@ SOA ns hostmaster 1 2 3 4 60\n NS ns\nns A 192.0.2.1\n");
    for i in 0..40 {
        z.push_str(&format!(
            "big TXT \"record number {i:02} with some padding to make it longer\"\n"
        ));
    }
    for i in 0..20 {
        z.push_str(&format!(
            "mx MX {i} m{i}\nm{i} A 192.0.2.{i}\nm{i} AAAA 2001:db8::{i}\n"
        ));
    }
    server(&[("example.com.", &z)])
}

#[test]
fn opt_is_echoed_with_our_payload() {
    let s = big_zone();
    let r = decode(
        s.handle(
            &query("ns.example.com.", T::A, Some((4096, 0, true))),
            Transport::Udp,
        )
        .unwrap(),
    );
    let edns = r.msg.edns.as_ref().expect("OPT in the response");
    assert_eq!(edns.max_payload(), 1232);
    assert_eq!(edns.version(), 0);
    assert!(edns.flags().dnssec_ok, "DO is echoed (RFC 3225)");
    // No OPT in the query: none in the response.
    let r = decode(
        s.handle(&query("ns.example.com.", T::A, None), Transport::Udp)
            .unwrap(),
    );
    assert!(r.msg.edns.is_none());
}

#[test]
fn badvers_for_version_above_zero() {
    let s = big_zone();
    let raw = s
        .handle(
            &query("ns.example.com.", T::A, Some((1232, 1, false))),
            Transport::Udp,
        )
        .unwrap();
    let r = decode(raw);
    assert_eq!(u16::from(r.msg.metadata.response_code), 16, "BADVERS");
    assert_eq!(r.msg.edns.as_ref().unwrap().version(), 0);
    assert_eq!(r.answer().len(), 0);
}

#[test]
fn truncation_over_udp() {
    let s = big_zone();
    // 40 TXT records (~2.4 KB) do not fit in 512 octets nor in 1232.
    for edns in [None, Some((512, 0, false)), Some((4096, 0, false))] {
        let raw = s
            .handle(&query("big.example.com.", T::TXT, edns), Transport::Udp)
            .unwrap();
        let limit = edns.map_or(512, |e| e.0.clamp(512, 1232));
        assert!(raw.len() <= usize::from(limit));
        let r = decode(raw);
        assert!(r.tc(), "{edns:?}");
        assert_eq!((r.answer().len(), r.msg.queries.len()), (0, 1));
        assert_eq!(r.msg.edns.is_some(), edns.is_some());
    }
    // Over TCP everything fits.
    let r = ask(&s, "big.example.com.", T::TXT);
    assert_eq!((r.tc(), r.answer().len()), (false, 40));
    // The additional section is cut first, without TC.
    let raw = s
        .handle(&query("mx.example.com.", T::MX, None), Transport::Udp)
        .unwrap();
    assert!(raw.len() <= 512);
    let r = decode(raw);
    assert_eq!((r.tc(), r.answer().len()), (false, 20));
    assert!(r.additional().len() < 40);
    // A requester payload below 512 counts as 512.
    let raw = s
        .handle(
            &query("mx.example.com.", T::MX, Some((100, 0, false))),
            Transport::Udp,
        )
        .unwrap();
    assert!(raw.len() > 100 && raw.len() <= 512);
}

#[test]
fn header_checks() {
    let s = big_zone();
    let good = query("ns.example.com.", T::A, None);
    // A response is dropped.
    let mut m = good.clone();
    m[2] |= 0x80;
    assert_eq!(s.handle(&m, Transport::Udp), None);
    // Shorter than a header: dropped.
    assert_eq!(s.handle(&good[..11], Transport::Udp), None);
    // Opcode NOTIFY/UPDATE/5: NOTIMP, header only.
    for opcode in [1u8, 2, 4, 5, 15] {
        let mut m = good.clone();
        m[2] = (m[2] & 0x87) | (opcode << 3);
        let r = s.handle(&m, Transport::Udp).unwrap();
        assert_eq!(r.len(), 12);
        assert_eq!(r[3] & 0xf, NOTIMP as u8);
        assert_eq!((r[2] >> 3) & 0xf, opcode);
    }
    // QDCOUNT 0 or 2, ANCOUNT 1, NSCOUNT 1, RCODE set: FORMERR.
    for (at, value) in [(5usize, 0u8), (5, 2), (7, 1), (9, 1), (3, 1)] {
        let mut m = good.clone();
        m[at] = value;
        let r = s.handle(&m, Transport::Udp).unwrap();
        assert_eq!(
            (r.len(), r[3] & 0xf, r[0], r[1]),
            (12, FORMERR as u8, 0xab, 0xcd),
            "byte {at} = {value}"
        );
    }
    // Two OPT records: FORMERR.
    let mut m = query("ns.example.com.", T::A, Some((1232, 0, false)));
    let opt = m[m.len() - 11..].to_vec();
    m.extend_from_slice(&opt);
    m[11] = 2;
    assert_eq!(
        s.handle(&m, Transport::Udp).unwrap()[3] & 0xf,
        FORMERR as u8
    );
    // Another class: REFUSED.
    let mut m = good.clone();
    let n = m.len();
    m[n - 1] = 3; // CH
    assert_eq!(
        s.handle(&m, Transport::Udp).unwrap()[3] & 0xf,
        REFUSED as u8
    );
    // AXFR reaching the engine: REFUSED.
    assert_eq!(
        s.handle(&query("example.com.", T::AXFR, None), Transport::Tcp)
            .unwrap()[3]
            & 0xf,
        REFUSED as u8
    );
}

#[test]
fn malformed_messages_get_formerr() {
    let s = big_zone();
    let good = query("ns.example.com.", T::A, None);
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated question", good[..good.len() - 3].to_vec()),
        ("truncated name", good[..15].to_vec()),
        (
            "compression loop",
            [&good[..12], &[0xc0, 12, 0, 1, 0, 1]].concat(),
        ),
        (
            "forward pointer",
            [&good[..12], &[0xc0, 14, 0, 0, 1, 0, 1]].concat(),
        ),
        (
            "label type 01",
            [&good[..12], &[0x40, 0, 0, 1, 0, 1]].concat(),
        ),
        (
            "label type 10",
            [&good[..12], &[0x80, 0, 0, 1, 0, 1]].concat(),
        ),
        (
            "label past the end",
            [&good[..12], &[63, b'a', b'b']].concat(),
        ),
        ("name over 255 octets", {
            let mut m = good[..12].to_vec();
            for _ in 0..5 {
                m.push(63);
                m.extend_from_slice(&[b'a'; 63]);
            }
            m.extend_from_slice(&[0, 0, 1, 0, 1]);
            m
        }),
        ("additional count without record", {
            let mut m = good.clone();
            m[11] = 1;
            m
        }),
        ("OPT with rdlength past the end", {
            let mut m = query("ns.example.com.", T::A, Some((1232, 0, false)));
            let n = m.len();
            m[n - 1] = 200;
            m
        }),
        ("OPT not owned by the root", {
            let mut m = good.clone();
            m[11] = 1;
            m.extend_from_slice(&[1, b'x', 0, 0, 41, 4, 208, 0, 0, 0, 0, 0, 0]);
            m
        }),
    ];
    for (what, m) in cases {
        let r = s
            .handle(&m, Transport::Udp)
            .unwrap_or_else(|| panic!("{what}: no response"));
        assert_eq!((r.len(), r[3] & 0xf), (12, FORMERR as u8), "{what}");
    }
}

/// Mutates a valid query many times (a deterministic xorshift): every
/// response must be well formed and within the UDP limit.
#[test]
fn mutated_queries_never_panic() {
    let s = big_zone();
    let seeds = [
        query("big.example.com.", T::TXT, Some((1232, 0, true))),
        query("x.mx.example.com.", T::MX, None),
        query("ns.example.com.", T::ANY, Some((600, 0, false))),
    ];
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..30_000 {
        let mut m = seeds[i % seeds.len()].clone();
        for _ in 0..(next() % 4 + 1) {
            let r = next();
            match r % 4 {
                0 if !m.is_empty() => {
                    let at = (r >> 8) as usize % m.len();
                    m[at] = (r >> 32) as u8;
                }
                1 => m.truncate((r >> 8) as usize % (m.len() + 1)),
                2 => m.push((r >> 8) as u8),
                _ if !m.is_empty() => {
                    let at = (r >> 8) as usize % m.len();
                    m[at] ^= 1 << ((r >> 16) % 8);
                }
                _ => {}
            }
        }
        for t in [Transport::Udp, Transport::Tcp] {
            if let Some(resp) = s.handle(&m, t) {
                assert!(resp.len() >= 12);
                if t == Transport::Udp {
                    assert!(resp.len() <= 1232);
                }
                hickory_proto::op::Message::from_vec(&resp)
                    .unwrap_or_else(|e| panic!("{m:?} -> {resp:?}: {e}"));
            }
        }
    }
}
