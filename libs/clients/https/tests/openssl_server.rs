//! The client against `openssl s_server` (OpenSSL 3, Debian) on loopback:
//! TLS 1.3 and TLS 1.2 with ECDSA and RSA certificates, IP address and
//! DNS name checks, and every authenticator right and wrong.
//! `s_server -WWW` answers `HTTP/1.0 200 ok` with the file and closes the
//! connection: a body delimited by the end of the connection.

mod common;

use common::*;
use https::{Authenticator, CertificateRefusal, HttpsError, RefusalReason, Request};

const PAGE: &str = "hello from openssl s_server\n";

fn setup(name: &str, key: KeyType) -> TempDir {
    let dir = TempDir::new(name);
    make_ca(&dir.0, "good");
    make_ca(&dir.0, "other");
    make_leaf(&dir.0, "good", "ip-leaf", "IP:127.0.0.1", key);
    make_leaf(&dir.0, "good", "dns-leaf", "DNS:acme.test", key);
    std::fs::write(dir.path("page.txt"), PAGE).unwrap();
    dir
}

fn get(client: &mut https::BlockingClient, url: &str) -> Result<https::Response, HttpsError> {
    client.send(Request::get(url))
}

fn check_page(response: https::Response) {
    assert_eq!(response.status, 200);
    assert_eq!(response.header("content-type"), Some("text/plain"));
    assert_eq!(response.body, PAGE.as_bytes());
}

fn tls_versions(key: KeyType, name: &str) {
    if !have("openssl") {
        return;
    }
    let dir = setup(name, key);
    for extra in [&["-tls1_3"][..], &["-tls1_2"][..]] {
        let server = s_server(&dir.0, "ip-leaf", &[&["-WWW"][..], extra].concat());
        let mut client = loopback_client(trust_anchor(&dir.0, "good"));
        let url = format!("https://127.0.0.1:{}/page.txt", server.port);
        check_page(get(&mut client, &url).unwrap_or_else(|e| panic!("{extra:?}: {e}")));
        // s_server closed the connection; the next request opens another.
        check_page(get(&mut client, &url).unwrap());
        assert_eq!(client.connections_opened(), 2);
    }
}

#[test]
fn tls13_and_tls12_with_ecdsa() {
    tls_versions(KeyType::P256, "versions-ecdsa");
}

#[test]
fn tls13_and_tls12_with_rsa() {
    tls_versions(KeyType::Rsa2048, "versions-rsa");
}

#[test]
fn trust_anchor_of_another_ca_is_refused() {
    if !have("openssl") {
        return;
    }
    let dir = setup("other-ca", KeyType::P256);
    let server = s_server(&dir.0, "ip-leaf", &["-WWW"]);
    let mut client = loopback_client(trust_anchor(&dir.0, "other"));
    let url = format!("https://127.0.0.1:{}/page.txt", server.port);
    let error = get(&mut client, &url).unwrap_err();
    let message = error.to_string();
    assert!(
        matches!(
            &error,
            HttpsError::Certificate(CertificateRefusal {
                reason: RefusalReason::UnknownIssuer { .. },
                ..
            })
        ),
        "{error:?}"
    );
    assert_eq!(
        message,
        "certificate of 127.0.0.1 (issued by CN=good test CA) does not chain to the trust \
         anchor CN=other test CA"
    );
    // The Let's Encrypt roots (the default) refuse it too.
    let mut client = loopback_client(Authenticator::lets_encrypt());
    let message = get(&mut client, &url).unwrap_err().to_string();
    assert!(message.contains("CN=ISRG Root X1"), "{message}");
}

/// An IP URL sends no SNI and is checked against the IP SANs; a DNS URL
/// sends its name and is checked against the DNS SANs.
#[test]
fn ip_and_dns_name_checks() {
    if !have("openssl") {
        return;
    }
    let dir = setup("names", KeyType::P256);
    let anchor = trust_anchor(&dir.0, "good");

    let ip_server = s_server(&dir.0, "ip-leaf", &["-WWW"]);
    let mut client = loopback_client(anchor.clone());
    check_page(
        get(
            &mut client,
            &format!("https://127.0.0.1:{}/page.txt", ip_server.port),
        )
        .unwrap(),
    );
    let error = get(
        &mut client,
        &format!("https://acme.test:{}/page.txt", ip_server.port),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "certificate of acme.test is not for acme.test: its names are IP:127.0.0.1"
    );

    // s_server serves dns-leaf only to a client whose SNI is acme.test,
    // ip-leaf to all others: success at acme.test proves the name is sent.
    let sni_server = s_server(
        &dir.0,
        "ip-leaf",
        &[
            "-WWW",
            "-servername",
            "acme.test",
            "-cert2",
            "dns-leaf.pem",
            "-key2",
            "dns-leaf.key",
        ],
    );
    check_page(
        get(
            &mut client,
            &format!("https://acme.test:{}/page.txt", sni_server.port),
        )
        .unwrap(),
    );
    // And an IP URL gets ip-leaf, checked against its IP address.
    check_page(
        get(
            &mut client,
            &format!("https://127.0.0.1:{}/page.txt", sni_server.port),
        )
        .unwrap(),
    );
    drop(sni_server);

    // A certificate for another address, and one with a DNS name only.
    make_leaf(
        &dir.0,
        "good",
        "other-ip-leaf",
        "IP:127.0.0.2,IP:::1",
        KeyType::P256,
    );
    for (leaf, names) in [
        ("other-ip-leaf", "IP:127.0.0.2, IP:::1"),
        ("dns-leaf", "DNS:acme.test"),
    ] {
        let server = s_server(&dir.0, leaf, &["-WWW"]);
        let error = get(
            &mut client,
            &format!("https://127.0.0.1:{}/page.txt", server.port),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("certificate of 127.0.0.1 is not for 127.0.0.1: its names are {names}")
        );
    }
}

#[test]
fn key_and_cert_fingerprints_right_and_wrong() {
    if !have("openssl") {
        return;
    }
    let dir = setup("fingerprints", KeyType::P256);
    make_leaf(&dir.0, "good", "other-leaf", "IP:127.0.0.1", KeyType::P256);
    let server = s_server(&dir.0, "ip-leaf", &["-WWW"]);
    let url = format!("https://127.0.0.1:{}/page.txt", server.port);
    let key_fp = openssl_key_fp(&dir.0, "ip-leaf.pem");
    let cert_fp = openssl_cert_fp(&dir.0, "ip-leaf.pem");
    let other_key_fp = openssl_key_fp(&dir.0, "other-leaf.pem");
    let other_cert_fp = openssl_cert_fp(&dir.0, "other-leaf.pem");

    for right in [
        format!("key-fp:SHA256:{key_fp}"),
        format!("cert-fp:SHA256:{cert_fp}"),
    ] {
        let mut client = loopback_client(right.parse().unwrap());
        check_page(get(&mut client, &url).unwrap_or_else(|e| panic!("{right}: {e}")));
    }

    let mut client = loopback_client(format!("key-fp:SHA256:{other_key_fp}").parse().unwrap());
    assert_eq!(
        get(&mut client, &url).unwrap_err().to_string(),
        format!(
            "certificate of 127.0.0.1 does not match key-fp:SHA256:{other_key_fp}: its key is SHA256:{key_fp}"
        )
    );
    let mut client = loopback_client(format!("cert-fp:SHA256:{other_cert_fp}").parse().unwrap());
    assert_eq!(
        get(&mut client, &url).unwrap_err().to_string(),
        format!(
            "certificate of 127.0.0.1 does not match cert-fp:SHA256:{other_cert_fp}: it is SHA256:{cert_fp}"
        )
    );

    // A pin skips the chain, not the name: the right key at a name the
    // certificate is not for is refused.
    let mut client = loopback_client(format!("key-fp:{key_fp}").parse().unwrap());
    let error = get(
        &mut client,
        &format!("https://acme.test:{}/page.txt", server.port),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "certificate of acme.test is not for acme.test: its names are IP:127.0.0.1"
    );
}

/// Validity is checked against the wall clock the caller gives, in every
/// mode; without one nothing is accepted.
#[test]
fn validity_period_against_the_given_clock() {
    use std::time::{SystemTime, UNIX_EPOCH};
    if !have("openssl") {
        return;
    }
    let dir = setup("validity", KeyType::P256);
    let server = s_server(&dir.0, "ip-leaf", &["-WWW"]);
    let url = format!("https://127.0.0.1:{}/page.txt", server.port);
    let key_fp = openssl_key_fp(&dir.0, "ip-leaf.pem");
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    // The test certificates are valid for 2 days from now.
    let later = now + 3 * 86_400;
    let pinned: Authenticator = format!("key-fp:{key_fp}").parse().unwrap();

    let mut client = loopback_client(pinned.clone()).with_clock(move || later);
    let message = get(&mut client, &url).unwrap_err().to_string();
    assert!(
        message.starts_with("certificate of 127.0.0.1 expired at ") && message.contains("(now "),
        "{message}"
    );
    let mut client = loopback_client(trust_anchor(&dir.0, "good")).with_clock(move || later);
    let message = get(&mut client, &url).unwrap_err().to_string();
    assert!(
        message.starts_with("certificate of 127.0.0.1 (or its chain) expired at "),
        "{message}"
    );
    let earlier = now - 86_400;
    let mut client = loopback_client(pinned.clone()).with_clock(move || earlier);
    let message = get(&mut client, &url).unwrap_err().to_string();
    assert!(
        message.starts_with("certificate of 127.0.0.1 is not valid before "),
        "{message}"
    );
    let mut client = loopback_client(pinned).with_clock(|| 0);
    let error = get(&mut client, &url).unwrap_err();
    assert!(matches!(error, HttpsError::ClockNotSet), "{error}");
}
