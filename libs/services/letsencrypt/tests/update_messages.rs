//! The UPDATEs an order sends, parsed back with dns-update's request
//! parser (what exactly each adds and deletes) and applied by its real
//! server flow (signed, RFC 2136 rules), and the TXT query and its answer
//! checks.

// Host-side test code: std is what it runs on.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use acme::Dns01Challenge;
use common::*;
use dns_wire::{class, Record};
use dns_zone::RecordType;
use letsencrypt::messages::{self, AnswerError, CHALLENGE_TTL};
use letsencrypt::scan::{TlsaRole, ZoneRequests, CERTIFICATE_TTL};

const UNIX: u64 = 1_750_000_000;

fn challenge(identifier: &str, value: &str) -> Dns01Challenge {
    Dns01Challenge {
        identifier: identifier.into(),
        name: format!("_acme-challenge.{}", identifier.trim_start_matches("*.")),
        value: value.into(),
        key_authorization: format!("token.{value}"),
    }
}

/// The update section of `builder` as the server reads it.
fn parsed(builder: &dns_update::UpdateBuilder) -> dns_update::UpdateRequest {
    let (message, _) = builder.build_signed(7, &key(), UNIX).unwrap();
    let signed = tsig::verify_request(&message, &key(), UNIX)
        .unwrap()
        .unwrap();
    let request = dns_update::UpdateRequest::parse(&signed.stripped(&message)).unwrap();
    assert_eq!(request.zone, name("example.org"));
    assert!(request.prerequisites.is_empty());
    request
}

/// (owner, type, class, ttl, rdata) of each update record.
fn entries(records: &[Record]) -> Vec<(String, RecordType, u16, u32, Vec<u8>)> {
    records
        .iter()
        .map(|r| (r.owner.to_ascii(), r.rtype, r.class, r.ttl, r.rdata.clone()))
        .collect()
}

fn txt(value: &str) -> Vec<u8> {
    let mut v = vec![value.len() as u8];
    v.extend_from_slice(value.as_bytes());
    v
}

#[test]
fn challenges_added_in_one_update_and_removed_exactly() {
    let challenges = [
        challenge("example.org", "Zm9vYmFyMQ"),
        challenge("*.example.org", "Zm9vYmFyMg"),
        challenge("www.example.org", "Zm9vYmFyMw"),
    ];
    let origin = name("example.org");
    let add = messages::add_challenges(&origin, &challenges).unwrap();
    let request = parsed(&add);
    assert_eq!(
        entries(&request.updates),
        [
            (
                "_acme-challenge.example.org.".into(),
                RecordType::TXT,
                class::IN,
                CHALLENGE_TTL,
                txt("Zm9vYmFyMQ")
            ),
            (
                "_acme-challenge.example.org.".into(),
                RecordType::TXT,
                class::IN,
                CHALLENGE_TTL,
                txt("Zm9vYmFyMg")
            ),
            (
                "_acme-challenge.www.example.org.".into(),
                RecordType::TXT,
                class::IN,
                CHALLENGE_TTL,
                txt("Zm9vYmFyMw")
            ),
        ]
    );

    // Applied by the server side: the base name and the wildcard share
    // one owner with two values.
    let mut primary = Primary::new(zone(&[String::from(
        "_acme-challenge TXT \"someone else's\"",
    )]));
    let (message, verifier) = add.build_signed(11, &key(), UNIX).unwrap();
    let (response, changed) = primary.update(&message, UNIX);
    let mut verifier = verifier;
    dns_update::check_response(&response, 11, Some(&mut verifier), UNIX).unwrap();
    assert!(changed);
    let mut values = txt_at(&primary.zone, "_acme-challenge.example.org.");
    values.sort();
    assert_eq!(values, ["Zm9vYmFyMQ", "Zm9vYmFyMg", "someone else's"]);

    // Removal deletes our values only (class NONE, RFC 2136 §2.5.4).
    let remove = messages::remove_challenges(&origin, &challenges).unwrap();
    let request = parsed(&remove);
    assert_eq!(
        entries(&request.updates),
        [
            (
                "_acme-challenge.example.org.".into(),
                RecordType::TXT,
                class::NONE,
                0,
                txt("Zm9vYmFyMQ")
            ),
            (
                "_acme-challenge.example.org.".into(),
                RecordType::TXT,
                class::NONE,
                0,
                txt("Zm9vYmFyMg")
            ),
            (
                "_acme-challenge.www.example.org.".into(),
                RecordType::TXT,
                class::NONE,
                0,
                txt("Zm9vYmFyMw")
            ),
        ]
    );
    let (message, _) = remove.build_signed(12, &key(), UNIX).unwrap();
    assert!(primary.update(&message, UNIX).1);
    assert_eq!(
        txt_at(&primary.zone, "_acme-challenge.example.org."),
        ["someone else's"]
    );
    assert!(txt_at(&primary.zone, "_acme-challenge.www.example.org.").is_empty());

    // A challenge outside the zone is refused before anything is sent.
    let outside = [challenge("www.example.net", "x")];
    assert!(matches!(
        messages::add_challenges(&origin, &outside),
        Err(messages::MessageError::OutsideZone(_))
    ));
}

#[test]
fn certificate_update_replaces_certificate_and_chain_and_keeps_the_csr() {
    let owner = "_letsencrypt._tcp.www.example.org.";
    let csr = b"the CSR".to_vec();
    let old_leaf = b"old leaf".to_vec();
    let old_ca = b"old intermediate".to_vec();
    let kept_ca = b"intermediate kept".to_vec();
    let other = [0xab_u8; 32];
    let zone = zone(&[
        tlsa(owner, [3, 255, 0], &csr),
        tlsa(owner, [3, 0, 0], &old_leaf),
        tlsa(owner, [2, 0, 0], &old_ca),
        tlsa(owner, [2, 0, 0], &kept_ca),
        tlsa(owner, [3, 1, 1], &other),
    ]);
    let current = ZoneRequests::from_zone(&zone).names[&name(owner)].clone();
    let new_leaf = b"new leaf".to_vec();
    let new_ca = b"new intermediate".to_vec();
    let chain = vec![new_leaf.clone(), kept_ca.clone(), new_ca.clone()];
    let builder =
        messages::publish_certificate(&name("example.org"), &name(owner), &current, &chain)
            .unwrap();
    let request = parsed(&builder);
    let rd = |role: TlsaRole, der: &[u8]| letsencrypt::scan::tlsa_rdata(role, der);
    assert_eq!(
        entries(&request.updates),
        [
            // Deletions in the zone's (canonical) order, then additions.
            (
                owner.into(),
                RecordType::TLSA,
                class::NONE,
                0,
                rd(TlsaRole::CaCertificate, &old_ca)
            ),
            (
                owner.into(),
                RecordType::TLSA,
                class::NONE,
                0,
                rd(TlsaRole::Certificate, &old_leaf)
            ),
            (
                owner.into(),
                RecordType::TLSA,
                class::IN,
                CERTIFICATE_TTL,
                rd(TlsaRole::Certificate, &new_leaf)
            ),
            (
                owner.into(),
                RecordType::TLSA,
                class::IN,
                CERTIFICATE_TTL,
                rd(TlsaRole::CaCertificate, &kept_ca)
            ),
            (
                owner.into(),
                RecordType::TLSA,
                class::IN,
                CERTIFICATE_TTL,
                rd(TlsaRole::CaCertificate, &new_ca)
            ),
        ]
    );

    let mut primary = Primary::new(zone);
    let (message, _) = builder.build_signed(3, &key(), UNIX).unwrap();
    assert!(primary.update(&message, UNIX).1);
    let mut after = tlsas_at(&primary.zone, owner);
    after.sort();
    let mut expected = vec![
        ([2, 0, 0], kept_ca),
        ([2, 0, 0], new_ca),
        ([3, 0, 0], new_leaf),
        ([3, 1, 1], other.to_vec()),
        ([3, 255, 0], csr),
    ];
    expected.sort();
    assert_eq!(after, expected);
    let ttl = primary
        .zone
        .node(&name(owner))
        .unwrap()
        .rrset(RecordType::TLSA)
        .unwrap()
        .ttl();
    assert_eq!(ttl, CERTIFICATE_TTL);

    assert_eq!(
        messages::publish_certificate(&name("example.org"), &name(owner), &current, &[]),
        Err(messages::MessageError::EmptyChain)
    );
}

#[test]
fn txt_answers_are_checked() {
    let owner = name("_acme-challenge.www.example.org");
    let query = messages::txt_query(0x4242, &owner);
    let parsed = dns_wire::Message::parse(&query).unwrap();
    assert_eq!(
        parsed.header.flags & dns_wire::flags::RD,
        0,
        "no recursion at the primary"
    );
    assert_eq!(parsed.questions[0].qtype, RecordType::TXT);

    let zone = zone(&[
        String::from("_acme-challenge.www TXT \"abc\" \"def\""),
        String::from("_acme-challenge.www TXT single"),
    ]);
    let answer = answer(&zone, &query);
    let mut values = messages::txt_answer(&answer, 0x4242, &owner).unwrap();
    values.sort();
    assert_eq!(values, [b"abcdef".to_vec(), b"single".to_vec()]);
    assert_eq!(
        messages::txt_answer(&answer, 0x4243, &owner),
        Err(AnswerError::NotOurs)
    );
    assert_eq!(
        messages::txt_answer(&answer, 0x4242, &name("_acme-challenge.example.org")),
        Err(AnswerError::NotOurs)
    );
    assert_eq!(
        messages::txt_answer(&query, 0x4242, &owner),
        Err(AnswerError::NotOurs)
    );

    // Not there yet: NXDOMAIN, or NOERROR without values (the name has
    // other records).
    let missing = name("_acme-challenge.mail.example.org");
    let query = messages::txt_query(1, &missing);
    assert_eq!(
        messages::txt_answer(&answer_zone(&zone, &query), 1, &missing),
        Err(AnswerError::Rcode(3))
    );
    let nodata = zone_with(&["_acme-challenge.mail A 192.0.2.1"]);
    assert_eq!(
        messages::txt_answer(&answer_zone(&nodata, &query), 1, &missing),
        Ok(vec![])
    );
}

fn answer_zone(zone: &dns_zone::Zone, query: &[u8]) -> Vec<u8> {
    answer(zone, query)
}

fn zone_with(lines: &[&str]) -> dns_zone::Zone {
    zone(&lines.iter().map(|l| l.to_string()).collect::<Vec<_>>())
}
