//! What the scan decides for each `_letsencrypt._tcp` name, on real CSRs
//! and certificates made by `openssl`: no certificate, a certificate for
//! another key, for other names, with less than a third of its lifetime
//! left; two CSRs; malformed CSRs, each with its reason.

// Host-side test code: std is what it runs on.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use common::*;
use letsencrypt::scan::{assess, Decision, OrderReason, SkipReason, ZoneRequests};
use letsencrypt::x509::{self, CsrError, NotADnsName, UnsupportedKey};

const HOST: &str = "_letsencrypt._tcp.www.example.org.";
const NOW: fn() -> u64 = || {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
};

fn decide(records: &[String], unix: u64) -> Decision {
    let zone = zone(records);
    let requests = ZoneRequests::from_zone(&zone);
    let tlsas = requests
        .names
        .get(&name(HOST))
        .expect("the name has TLSA records");
    assess(zone.origin(), tlsas, unix)
}

#[test]
fn csr_names_are_cn_and_sans_with_wildcards_deduplicated() {
    if !have("openssl") {
        return;
    }
    let dir = TempDir::new("names");
    make_key(&dir.0, "k.pem", KeyKind::P256);
    let csr = make_csr(
        &dir.0,
        "k.pem",
        Some("WWW.example.org"),
        &[
            "DNS:www.example.org",
            "DNS:*.example.org",
            "DNS:example.org.",
            "DNS:*.example.org",
        ],
    );
    let request = x509::parse_csr(&csr).unwrap();
    assert_eq!(
        request.names,
        ["www.example.org", "*.example.org", "example.org"]
    );
    assert_eq!(request.der, csr);

    let decision = decide(&[tlsa(HOST, [3, 255, 0], &csr)], NOW());
    let Decision::Order { request, reason } = decision else {
        panic!("{decision:?}")
    };
    assert_eq!(reason, OrderReason::NoCertificate);
    assert_eq!(request.names.len(), 3);

    // Only SANs, no CN; P-384 and RSA keys verify too.
    for kind in [KeyKind::P384, KeyKind::Rsa2048] {
        make_key(&dir.0, "other.pem", kind);
        let csr = make_csr(&dir.0, "other.pem", None, &["DNS:mail.example.org"]);
        assert_eq!(
            x509::parse_csr(&csr).unwrap().names,
            ["mail.example.org"],
            "{kind:?}"
        );
    }
}

#[test]
fn certificate_decisions() {
    if !have("openssl") {
        return;
    }
    let dir = TempDir::new("decisions");
    make_ca(&dir.0);
    make_key(&dir.0, "k.pem", KeyKind::P256);
    let sans = ["DNS:www.example.org", "DNS:*.www.example.org"];
    let csr = make_csr(&dir.0, "k.pem", Some("www.example.org"), &sans);
    let good = sign(&dir.0, &csr, &sans, 90);
    let info = x509::parse_certificate(&good).unwrap();
    assert!(info.matches(&x509::parse_csr(&csr).unwrap()));
    assert_eq!(info.not_after - info.not_before, 90 * 86_400);
    let csr_record = tlsa(HOST, [3, 255, 0], &csr);

    // Valid: the next look is at two thirds of the lifetime.
    let now = NOW();
    let decision = decide(&[csr_record.clone(), tlsa(HOST, [3, 0, 0], &good)], now);
    let Decision::Valid {
        certificate,
        renew_at,
    } = decision
    else {
        panic!("{decision:?}")
    };
    assert_eq!(renew_at, certificate.not_before + 60 * 86_400);
    assert_eq!(certificate.names, ["www.example.org", "*.www.example.org"]);

    // A third left: order. Just before: still valid.
    let decision = decide(
        &[csr_record.clone(), tlsa(HOST, [3, 0, 0], &good)],
        renew_at,
    );
    assert!(
        matches!(decision, Decision::Order { reason: OrderReason::Renewal { renew_at: r, .. }, .. } if r == renew_at),
        "{decision:?}"
    );
    let decision = decide(
        &[csr_record.clone(), tlsa(HOST, [3, 0, 0], &good)],
        renew_at - 1,
    );
    assert!(matches!(decision, Decision::Valid { .. }), "{decision:?}");
    // Expired long ago: order.
    let decision = decide(
        &[csr_record.clone(), tlsa(HOST, [3, 0, 0], &good)],
        info.not_after + 10,
    );
    assert!(matches!(
        decision,
        Decision::Order {
            reason: OrderReason::Renewal { .. },
            ..
        }
    ));

    // The certificate of another key.
    make_key(&dir.0, "other.pem", KeyKind::P256);
    let other_csr = make_csr(&dir.0, "other.pem", Some("www.example.org"), &sans);
    let other_key = sign(&dir.0, &other_csr, &sans, 90);
    let decision = decide(
        &[csr_record.clone(), tlsa(HOST, [3, 0, 0], &other_key)],
        now,
    );
    assert!(
        matches!(
            decision,
            Decision::Order {
                reason: OrderReason::KeyMismatch,
                ..
            }
        ),
        "{decision:?}"
    );

    // The same key, but the certificate lacks the wildcard.
    let fewer = sign(&dir.0, &csr, &["DNS:www.example.org"], 90);
    let decision = decide(&[csr_record.clone(), tlsa(HOST, [3, 0, 0], &fewer)], now);
    let Decision::Order {
        reason: OrderReason::NamesMismatch { certificate },
        ..
    } = decision
    else {
        panic!("{decision:?}")
    };
    assert_eq!(certificate, ["www.example.org"]);

    // Among several certificates the matching one counts (the CA chain
    // records are not certificates of the name).
    let decision = decide(
        &[
            csr_record.clone(),
            tlsa(HOST, [3, 0, 0], &other_key),
            tlsa(HOST, [3, 0, 0], &good),
            tlsa(HOST, [2, 0, 0], &ca_der(&dir.0)),
        ],
        now,
    );
    assert!(matches!(decision, Decision::Valid { .. }), "{decision:?}");

    // A damaged certificate is as good as none, with the reason.
    let decision = decide(
        &[
            csr_record.clone(),
            tlsa(HOST, [3, 0, 0], b"\x30\x03\x02\x01\x01"),
        ],
        now,
    );
    assert!(
        matches!(
            decision,
            Decision::Order {
                reason: OrderReason::UnreadableCertificate(x509::CertificateError::Der(_)),
                ..
            }
        ),
        "{decision:?}"
    );
}

#[test]
fn skipped_names_say_why() {
    if !have("openssl") {
        return;
    }
    let dir = TempDir::new("skips");
    make_key(&dir.0, "a.pem", KeyKind::P256);
    make_key(&dir.0, "b.pem", KeyKind::P256);
    let a = make_csr(&dir.0, "a.pem", Some("www.example.org"), &[]);
    let b = make_csr(&dir.0, "b.pem", Some("www.example.org"), &[]);

    let decision = decide(
        &[tlsa(HOST, [3, 255, 0], &a), tlsa(HOST, [3, 255, 0], &b)],
        NOW(),
    );
    let Decision::Skip(reason) = decision else {
        panic!("{decision:?}")
    };
    assert_eq!(reason, SkipReason::SeveralRequests(2));
    let line = reason.log_line(&name(HOST), &name("example.org"));
    assert!(
        line.starts_with("two CSRs at _letsencrypt._tcp.www.example.org"),
        "{line}"
    );

    let malformed = |der: &[u8]| match decide(&[tlsa(HOST, [3, 255, 0], der)], NOW()) {
        Decision::Skip(SkipReason::Malformed(e)) => e,
        other => panic!("{other:?}"),
    };
    assert!(matches!(malformed(b"\x30\x05garbage"), CsrError::Der(_)));

    // The last octet of the signature changed: still DER, no longer signed.
    let mut forged = a.clone();
    let last = forged.len() - 1;
    forged[last] ^= 1;
    assert_eq!(malformed(&forged), CsrError::BadSignature);
    // A changed name inside the signed part: the signature breaks.
    let mut renamed = a.clone();
    let at = renamed.windows(3).position(|w| w == b"www").unwrap();
    renamed[at] = b'v';
    assert_eq!(malformed(&renamed), CsrError::BadSignature);

    let ip = make_csr(
        &dir.0,
        "a.pem",
        Some("www.example.org"),
        &["DNS:www.example.org", "IP:192.0.2.1"],
    );
    let error = malformed(&ip);
    assert_eq!(
        error,
        CsrError::NotADnsName(NotADnsName::IpAddress(Some([192, 0, 2, 1].into())))
    );
    assert_eq!(
        error.to_string(),
        "the CSR asks for the IP address 192.0.2.1: dns-01 validates DNS names only"
    );
    let underscore = make_csr(&dir.0, "a.pem", Some("under_score.example.org"), &[]);
    assert_eq!(
        malformed(&underscore),
        CsrError::BadName(String::from("under_score.example.org"))
    );
    let nameless = make_csr(&dir.0, "a.pem", None, &[]);
    assert_eq!(malformed(&nameless), CsrError::NoNames);
    make_key(&dir.0, "ed.pem", KeyKind::Ed25519);
    let ed = make_csr(&dir.0, "ed.pem", Some("www.example.org"), &[]);
    assert!(
        matches!(
            malformed(&ed),
            CsrError::UnsupportedKey(UnsupportedKey::Algorithm(_))
        ),
        "{:?}",
        malformed(&ed)
    );
    // Every reason reads as a sentence.
    let line =
        SkipReason::Malformed(CsrError::BadSignature).log_line(&name(HOST), &name("example.org"));
    assert_eq!(
        line,
        "malformed CSR at _letsencrypt._tcp.www.example.org.: skipped: the CSR's self-signature does not verify"
    );

    // A name outside the zone: its challenge record cannot be added.
    let outside = make_csr(
        &dir.0,
        "a.pem",
        Some("www.example.org"),
        &["DNS:www.example.net"],
    );
    let decision = decide(&[tlsa(HOST, [3, 255, 0], &outside)], NOW());
    assert_eq!(
        decision,
        Decision::Skip(SkipReason::OutsideZone {
            name: String::from("www.example.net")
        })
    );

    // Only certificates, no CSR: nothing to do.
    let decision = decide(&[tlsa(HOST, [3, 1, 1], &[0xab; 32])], NOW());
    assert_eq!(decision, Decision::NoRequest);
}

#[test]
fn only_letsencrypt_names_are_collected() {
    let records = [
        tlsa(HOST, [3, 255, 0], b"x"),
        tlsa("_letsencrypt._tcp.example.org.", [3, 255, 0], b"y"),
        tlsa("_443._tcp.www", [3, 1, 1], &[0xab; 32]),
        tlsa("_LetsEncrypt._TCP.Mail", [3, 255, 0], b"z"),
        String::from("_letsencrypt._tcp.txt TXT hello"),
    ];
    let requests = ZoneRequests::from_zone(&zone(&records));
    let names: Vec<String> = requests
        .names
        .keys()
        .map(|n| n.to_ascii().to_lowercase())
        .collect();
    assert_eq!(
        names,
        [
            "_letsencrypt._tcp.example.org.",
            "_letsencrypt._tcp.mail.example.org.",
            "_letsencrypt._tcp.www.example.org."
        ]
    );
    assert_eq!(requests.serial, 1);
}
