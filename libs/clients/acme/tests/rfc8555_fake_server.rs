//! The client against a scripted server whose bodies are RFC 8555's
//! examples (and pebble's, where the RFC has none): each step, badNonce,
//! Retry-After, problem documents, malformed responses.

use std::collections::VecDeque;
use std::time::Duration;

use acme::{
    AccountKey, Client, ClientConfig, Error, Instant, KeyType, Malformation, Method, Poll, Request,
    Response, Status, MAX_BAD_NONCE_RETRIES, MAX_POLL_INTERVAL,
};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use p256::ecdsa::signature::Verifier;
use serde_json::Value;
use sha2::{Digest, Sha256};

const DIRECTORY: &str = "https://example.com/acme/directory";
const ACCOUNT: &str = "https://example.com/acme/acct/evOfKhNU60wg";
const ORDER: &str = "https://example.com/acme/order/TOlocE8rfgo";
const AUTHZ: &str = "https://example.com/acme/authz/PAniVnsZcis";
const CHALLENGE: &str = "https://example.com/acme/chall/Rg5dV14Gh1Q";
const FINALIZE: &str = "https://example.com/acme/order/TOlocE8rfgo/finalize";
const CERT: &str = "https://example.com/acme/cert/mAt3xBGaobw";
const TOKEN: &str = "DGyRejmCefe7v4NfDGDKfA";

// RFC 8555 §7.1.1.
const DIRECTORY_BODY: &str = r#"{
  "newNonce": "https://example.com/acme/new-nonce",
  "newAccount": "https://example.com/acme/new-account",
  "newOrder": "https://example.com/acme/new-order",
  "newAuthz": "https://example.com/acme/new-authz",
  "revokeCert": "https://example.com/acme/revoke-cert",
  "keyChange": "https://example.com/acme/key-change",
  "meta": {
    "termsOfService": "https://example.com/acme/terms/2017-5-30",
    "website": "https://www.example.com/",
    "caaIdentities": ["example.com"],
    "externalAccountRequired": false
  }
}"#;
// Pebble 2.4's answer to onlyReturnExisting for an unknown key.
const NO_ACCOUNT: &str = r#"{
   "type": "urn:ietf:params:acme:error:accountDoesNotExist",
   "detail": "unable to find existing account for only-return-existing request",
   "status": 400
}"#;
// RFC 8555 §7.3.
const ACCOUNT_BODY: &str = r#"{
  "status": "valid",
  "contact": [
    "mailto:cert-admin@example.org",
    "mailto:admin@example.org"
  ],
  "orders": "https://example.com/acme/acct/evOfKhNU60wg/orders"
}"#;
// RFC 8555 §7.4, one authorisation.
const ORDER_BODY: &str = r#"{
  "status": "pending",
  "expires": "2016-01-05T14:09:07.99Z",
  "notBefore": "2016-01-01T00:00:00Z",
  "notAfter": "2016-01-08T00:00:00Z",
  "identifiers": [
    { "type": "dns", "value": "www.example.org" }
  ],
  "authorizations": [
    "https://example.com/acme/authz/PAniVnsZcis"
  ],
  "finalize": "https://example.com/acme/order/TOlocE8rfgo/finalize"
}"#;
// RFC 8555 §7.5 (its challenges carry no status).
const AUTHZ_PENDING: &str = r#"{
  "status": "pending",
  "expires": "2016-01-02T14:09:30Z",
  "identifier": {
    "type": "dns",
    "value": "www.example.org"
  },
  "challenges": [
    {
      "type": "http-01",
      "url": "https://example.com/acme/chall/prV_B7yEyA4",
      "token": "DGyRejmCefe7v4NfDGDKfA"
    },
    {
      "type": "dns-01",
      "url": "https://example.com/acme/chall/Rg5dV14Gh1Q",
      "token": "DGyRejmCefe7v4NfDGDKfA"
    }
  ]
}"#;
// RFC 8555 §7.5.1.
const CHALLENGE_PROCESSING: &str = r#"{
  "type": "dns-01",
  "url": "https://example.com/acme/chall/Rg5dV14Gh1Q",
  "status": "processing",
  "token": "DGyRejmCefe7v4NfDGDKfA"
}"#;
const AUTHZ_VALID: &str = r#"{
  "status": "valid",
  "expires": "2018-09-09T14:09:01.13Z",
  "identifier": {
    "type": "dns",
    "value": "www.example.org"
  },
  "challenges": [
    {
      "type": "dns-01",
      "url": "https://example.com/acme/chall/Rg5dV14Gh1Q",
      "status": "valid",
      "validated": "2014-12-01T12:05:13.72Z",
      "token": "DGyRejmCefe7v4NfDGDKfA"
    }
  ]
}"#;
// Pebble's invalid authorisation.
const AUTHZ_INVALID: &str = r#"{
   "status": "invalid",
   "identifier": {"type": "dns", "value": "www.example.org"},
   "challenges": [
      {
         "type": "dns-01",
         "url": "https://example.com/acme/chall/Rg5dV14Gh1Q",
         "token": "DGyRejmCefe7v4NfDGDKfA",
         "status": "invalid",
         "error": {
            "type": "urn:ietf:params:acme:error:unauthorized",
            "detail": "Correct value not found for DNS challenge",
            "status": 403
         }
      }
   ],
   "expires": "2026-12-03T12:00:00Z"
}"#;
const ORDER_READY: &str = r#"{
  "status": "ready",
  "identifiers": [{ "type": "dns", "value": "www.example.org" }],
  "authorizations": ["https://example.com/acme/authz/PAniVnsZcis"],
  "finalize": "https://example.com/acme/order/TOlocE8rfgo/finalize"
}"#;
const ORDER_PROCESSING: &str = r#"{
  "status": "processing",
  "identifiers": [{ "type": "dns", "value": "www.example.org" }],
  "authorizations": ["https://example.com/acme/authz/PAniVnsZcis"],
  "finalize": "https://example.com/acme/order/TOlocE8rfgo/finalize"
}"#;
// RFC 8555 §7.4 after finalisation.
const ORDER_VALID: &str = r#"{
  "status": "valid",
  "expires": "2016-01-20T14:09:07.99Z",
  "identifiers": [{ "type": "dns", "value": "www.example.org" }],
  "notBefore": "2016-01-01T00:00:00Z",
  "notAfter": "2016-01-08T00:00:00Z",
  "authorizations": ["https://example.com/acme/authz/PAniVnsZcis"],
  "finalize": "https://example.com/acme/order/TOlocE8rfgo/finalize",
  "certificate": "https://example.com/acme/cert/mAt3xBGaobw"
}"#;
const CHAIN: &str = "-----BEGIN CERTIFICATE-----\nMIIBAQ==\n-----END CERTIFICATE-----\n\
-----BEGIN CERTIFICATE-----\nMIIBAg==\n-----END CERTIFICATE-----\n";
const BAD_NONCE: &str = r#"{
   "type": "urn:ietf:params:acme:error:badNonce",
   "detail": "JWS has an invalid anti-replay nonce: \"zYGKkAfEs0xVnAj1mVV4Ug\"",
   "status": 400
}"#;

fn reply(status: u16, headers: &[(&str, &str)], body: &str) -> Response {
    Response {
        status,
        headers: headers
            .iter()
            .map(|(n, v)| ((*n).into(), (*v).into()))
            .collect(),
        body: body.as_bytes().to_vec(),
    }
}

fn b64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).expect("base64url")
}

/// A decoded and verified JWS request body.
struct Jws {
    protected: Value,
    payload: Vec<u8>,
}

/// The scripted CA: checks every JWS (signature, url, nonce freshness)
/// and gives every response a new nonce.
struct FakeCa {
    key: AccountKey,
    issued_nonces: u32,
    current_nonce: Option<String>,
    requests: Vec<(Method, String, Option<Jws>)>,
}

impl FakeCa {
    fn new(key: &AccountKey) -> Self {
        FakeCa {
            key: key.clone(),
            issued_nonces: 0,
            current_nonce: None,
            requests: Vec::new(),
        }
    }

    fn fresh_nonce(&mut self) -> String {
        self.issued_nonces += 1;
        let nonce = format!("nonce{}", self.issued_nonces);
        self.current_nonce = Some(nonce.clone());
        nonce
    }

    fn verify(&self, request: &Request) -> Jws {
        assert_eq!(
            request.headers,
            {
                let mut h = vec![("Content-Type", "application/jose+json".to_string())];
                if request.url == CERT {
                    h.push(("Accept", "application/pem-certificate-chain".to_string()));
                }
                h
            },
            "headers of {}",
            request.url
        );
        let body: Value = serde_json::from_slice(&request.body).unwrap();
        let field = |n: &str| body[n].as_str().unwrap().to_string();
        let protected: Value = serde_json::from_slice(&b64(&field("protected"))).unwrap();
        assert_eq!(protected["url"], request.url.as_str());
        assert_eq!(protected["alg"], "ES256");
        assert_eq!(
            protected["nonce"].as_str(),
            self.current_nonce.as_deref(),
            "stale nonce"
        );
        let acme::Jwk::EcP256 { x, y } = self.key.jwk() else {
            panic!("EC key")
        };
        if request.url.ends_with("/new-account") {
            assert_eq!(protected["jwk"]["x"], x.as_str());
            assert!(protected.get("kid").is_none());
        } else {
            assert_eq!(protected["kid"], ACCOUNT);
            assert!(protected.get("jwk").is_none());
        }
        let mut sec1 = vec![4u8];
        sec1.extend(b64(&x));
        sec1.extend(b64(&y));
        let verifier = p256::ecdsa::VerifyingKey::from_sec1_bytes(&sec1).unwrap();
        let signature = p256::ecdsa::Signature::from_slice(&b64(&field("signature"))).unwrap();
        verifier
            .verify(
                format!("{}.{}", field("protected"), field("payload")).as_bytes(),
                &signature,
            )
            .expect("the JWS signature verifies");
        Jws {
            protected,
            payload: b64(&field("payload")),
        }
    }

    #[allow(clippy::result_large_err)]
    /// Drives `client` until it is idle, has a certificate, fails or waits
    /// for publication; `script` answers each request (the harness adds
    /// the nonce). Returns the outcome and the instant reached.
    fn drive(
        &mut self,
        client: &mut Client,
        now: &mut Instant,
        script: &mut dyn FnMut(&Request, Option<&Jws>) -> Response,
    ) -> Result<Poll, Error> {
        for _ in 0..200 {
            match client.poll(*now) {
                Poll::Send(request) => {
                    let jws = match request.method {
                        Method::Post => Some(self.verify(&request)),
                        Method::Head => {
                            assert_eq!(request.url, "https://example.com/acme/new-nonce");
                            None
                        }
                        Method::Get => {
                            assert_eq!(request.url, DIRECTORY);
                            None
                        }
                    };
                    let mut response = if request.method == Method::Head {
                        reply(200, &[("Cache-Control", "no-store")], "")
                    } else {
                        script(&request, jws.as_ref())
                    };
                    // Like pebble: a nonce on every response but the
                    // directory's.
                    if request.method == Method::Get {
                    } else if !response
                        .headers
                        .iter()
                        .any(|(n, _)| n.eq_ignore_ascii_case("replay-nonce"))
                    {
                        let nonce = self.fresh_nonce();
                        response.headers.push(("Replay-Nonce".into(), nonce));
                    } else {
                        self.current_nonce = response.header("replay-nonce").map(String::from);
                    }
                    self.requests
                        .push((request.method, request.url.clone(), jws));
                    client.handle_response(&response, *now)?;
                }
                Poll::WaitUntil(at) => {
                    assert!(at > *now, "WaitUntil in the past");
                    *now = at;
                }
                Poll::AwaitingResponse => panic!("nothing is out"),
                other => return Ok(other),
            }
        }
        panic!("the client did not settle in 200 steps");
    }
}

thread_local! {
    /// Whether the order of this test's thread was finalised.
    static FINALIZED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The happy path's answers, by URL.
fn happy(request: &Request, _: Option<&Jws>) -> Response {
    match request.url.as_str() {
        "https://example.com/acme/new-order" => FINALIZED.set(false),
        FINALIZE => FINALIZED.set(true),
        _ => {}
    }
    match request.url.as_str() {
        DIRECTORY => reply(200, &[("Content-Type", "application/json")], DIRECTORY_BODY),
        "https://example.com/acme/new-account" => {
            reply(201, &[("Location", ACCOUNT)], ACCOUNT_BODY)
        }
        "https://example.com/acme/new-order" => reply(201, &[("Location", ORDER)], ORDER_BODY),
        CHALLENGE => reply(200, &[], CHALLENGE_PROCESSING),
        AUTHZ => reply(200, &[], AUTHZ_VALID),
        FINALIZE => reply(200, &[("Location", ORDER)], ORDER_PROCESSING),
        ORDER if FINALIZED.get() => reply(200, &[], ORDER_VALID),
        ORDER => reply(200, &[], ORDER_READY),
        CERT => reply(
            200,
            &[
                ("Content-Type", "application/pem-certificate-chain"),
                (
                    "Link",
                    r#"<https://example.com/acme/cert/mAt3xBGaobw/1>;rel="alternate""#,
                ),
            ],
            CHAIN,
        ),
        other => panic!("unexpected request to {other}"),
    }
}

fn key() -> AccountKey {
    AccountKey::from_seed(b"rfc8555 tests", KeyType::EcdsaP256).unwrap()
}

fn client(key: &AccountKey) -> Client {
    Client::new(ClientConfig::new(DIRECTORY, key.clone()).with_email("cert-admin@example.org"))
}

#[test]
fn every_step_of_an_order_new_account_dns01_finalize_chain() {
    let key = key();
    let mut ca = FakeCa::new(&key);
    let mut client = client(&key);
    let mut now = Instant::from_millis(1_000);
    client
        .start_order(&["www.example.org"], vec![0x30, 0x03, 1, 2, 3])
        .unwrap();
    let mut first_authz = true;
    let mut script = |request: &Request, jws: Option<&Jws>| match request.url.as_str() {
        "https://example.com/acme/new-account" => {
            let payload: Value = serde_json::from_slice(&jws.unwrap().payload).unwrap();
            if payload["onlyReturnExisting"] == true {
                reply(
                    400,
                    &[("Content-Type", "application/problem+json")],
                    NO_ACCOUNT,
                )
            } else {
                assert_eq!(payload["termsOfServiceAgreed"], true);
                assert_eq!(payload["contact"][0], "mailto:cert-admin@example.org");
                happy(request, jws)
            }
        }
        AUTHZ if first_authz => {
            first_authz = false;
            assert!(jws.unwrap().payload.is_empty(), "POST-as-GET");
            reply(200, &[], AUTHZ_PENDING)
        }
        _ => happy(request, jws),
    };
    let Poll::Publish(records) = ca.drive(&mut client, &mut now, &mut script).unwrap() else {
        panic!("expected challenges to publish")
    };
    assert_eq!(records.len(), 1);
    let record = &records[0];
    assert_eq!(record.identifier, "www.example.org");
    assert_eq!(record.name, "_acme-challenge.www.example.org");
    let thumbprint = key.jwk().thumbprint();
    assert_eq!(client.thumbprint(), thumbprint);
    assert_eq!(record.key_authorization, format!("{TOKEN}.{thumbprint}"));
    assert_eq!(
        record.value,
        URL_SAFE_NO_PAD.encode(Sha256::digest(format!("{TOKEN}.{thumbprint}")))
    );
    assert_eq!(client.poll(now), Poll::AwaitingPublication);
    assert_eq!(client.account_url(), Some(ACCOUNT));
    client.challenges_published(now).unwrap();
    let Poll::Certificate(certificate) = ca.drive(&mut client, &mut now, &mut script).unwrap()
    else {
        panic!("expected the certificate")
    };
    assert_eq!(
        certificate.chain,
        vec![vec![0x30, 0x82, 0x01, 0x01], vec![0x30, 0x82, 0x01, 0x02]]
    );
    assert_eq!(
        certificate.alternates,
        vec!["https://example.com/acme/cert/mAt3xBGaobw/1"]
    );
    assert_eq!(client.poll(now), Poll::Idle);

    let urls: Vec<&str> = ca.requests.iter().map(|(_, url, _)| url.as_str()).collect();
    assert_eq!(
        urls,
        [
            DIRECTORY,
            "https://example.com/acme/new-nonce",
            "https://example.com/acme/new-account",
            "https://example.com/acme/new-account",
            "https://example.com/acme/new-order",
            AUTHZ,
            CHALLENGE,
            AUTHZ,
            ORDER,
            FINALIZE,
            ORDER,
            CERT
        ]
    );
    let payload = |i: usize| -> Value {
        serde_json::from_slice(&ca.requests[i].2.as_ref().unwrap().payload).unwrap()
    };
    assert_eq!(payload(4)["identifiers"][0]["type"], "dns");
    assert_eq!(payload(4)["identifiers"][0]["value"], "www.example.org");
    assert_eq!(payload(6), serde_json::json!({}));
    assert_eq!(payload(9)["csr"], "MAMBAgM");
    assert!(ca.requests[11].2.as_ref().unwrap().payload.is_empty());
    assert_eq!(ca.requests[11].2.as_ref().unwrap().protected["url"], CERT);

    // A second order reuses directory, account and the last nonce.
    client
        .start_order(&["www.example.org"], vec![0x30, 0x00])
        .unwrap();
    ca.requests.clear();
    let mut script = |request: &Request, jws: Option<&Jws>| happy(request, jws);
    let outcome = ca.drive(&mut client, &mut now, &mut script).unwrap();
    assert!(matches!(outcome, Poll::Certificate(_)));
    assert_eq!(ca.requests[0].1, "https://example.com/acme/new-order");
}

#[test]
fn existing_account_is_found_not_created() {
    let key = key();
    let mut ca = FakeCa::new(&key);
    let mut client = client(&key);
    let mut now = Instant::default();
    client.register().unwrap();
    let mut script = |request: &Request, jws: Option<&Jws>| {
        if request.url.ends_with("/new-account") {
            let payload: Value = serde_json::from_slice(&jws.unwrap().payload).unwrap();
            assert_eq!(payload, serde_json::json!({"onlyReturnExisting": true}));
            reply(200, &[("Location", ACCOUNT)], ACCOUNT_BODY)
        } else {
            happy(request, jws)
        }
    };
    assert_eq!(
        ca.drive(&mut client, &mut now, &mut script).unwrap(),
        Poll::Idle
    );
    assert_eq!(client.account_url(), Some(ACCOUNT));
    assert_eq!(ca.requests.len(), 3, "directory, newNonce, one newAccount");
}

#[test]
fn bad_nonce_is_retried_with_the_nonce_of_the_refusal() {
    let key = key();
    let mut ca = FakeCa::new(&key);
    let mut client = client(&key);
    let mut now = Instant::default();
    client.register().unwrap();
    let mut refusals = 0;
    let mut script = |request: &Request, jws: Option<&Jws>| {
        if request.url.ends_with("/new-account") && refusals < 2 {
            refusals += 1;
            let nonce = format!("fresh{refusals}");
            return reply(400, &[("Replay-Nonce", nonce.as_str())], BAD_NONCE);
        }
        if request.url.ends_with("/new-account") {
            // The retry carries the nonce the last refusal handed out.
            assert_eq!(jws.unwrap().protected["nonce"], "fresh2");
        }
        happy(request, jws)
    };
    assert_eq!(
        ca.drive(&mut client, &mut now, &mut script).unwrap(),
        Poll::Idle
    );
    let new_accounts = ca
        .requests
        .iter()
        .filter(|r| r.1.ends_with("/new-account"))
        .count();
    assert_eq!(
        new_accounts, 3,
        "two refused, then onlyReturnExisting finds it"
    );
    let nonce_fetches = ca.requests.iter().filter(|r| r.0 == Method::Head).count();
    assert_eq!(
        nonce_fetches, 1,
        "refusals carried nonces: no newNonce needed"
    );
}

#[test]
fn order_ready_at_once_goes_straight_to_finalize() {
    let key = key();
    let mut ca = FakeCa::new(&key);
    let mut client = client(&key);
    let mut now = Instant::default();
    client
        .start_order(&["www.example.org"], vec![0x30, 0])
        .unwrap();
    let mut script = |request: &Request, jws: Option<&Jws>| match request.url.as_str() {
        "https://example.com/acme/new-order" => reply(201, &[("Location", ORDER)], ORDER_READY),
        _ => happy(request, jws),
    };
    let outcome = ca.drive(&mut client, &mut now, &mut script).unwrap();
    assert!(matches!(outcome, Poll::Certificate(_)));
    let urls: Vec<&str> = ca.requests.iter().map(|(_, url, _)| url.as_str()).collect();
    assert_eq!(
        &urls[3..],
        ["https://example.com/acme/new-order", FINALIZE, ORDER, CERT]
    );
}

#[test]
fn bad_nonces_without_end_give_up() {
    let key = key();
    let mut ca = FakeCa::new(&key);
    let mut client = client(&key);
    let mut now = Instant::default();
    client.register().unwrap();
    let mut script = |request: &Request, jws: Option<&Jws>| {
        if request.url.ends_with("/new-account") {
            reply(400, &[], BAD_NONCE)
        } else {
            happy(request, jws)
        }
    };
    let error = ca.drive(&mut client, &mut now, &mut script).unwrap_err();
    assert!(matches!(error, Error::TooManyBadNonces(_)), "{error}");
    let attempts = ca
        .requests
        .iter()
        .filter(|r| r.1.ends_with("/new-account"))
        .count();
    assert_eq!(attempts as u32, MAX_BAD_NONCE_RETRIES + 1);
    assert_eq!(
        error.to_string(),
        "the server refused every nonce we tried: acme:badNonce: JWS has an invalid \
         anti-replay nonce: \"zYGKkAfEs0xVnAj1mVV4Ug\""
    );
    assert!(client.is_idle());
}

/// Runs to the publication, publishes, and returns the client.
fn published(ca: &mut FakeCa, now: &mut Instant, name: &str) -> Client {
    let mut client = client(&ca.key);
    client.start_order(&[name], vec![0x30, 0x00]).unwrap();
    let mut script = |request: &Request, jws: Option<&Jws>| match request.url.as_str() {
        AUTHZ => reply(200, &[], AUTHZ_PENDING),
        _ => happy(request, jws),
    };
    let outcome = ca.drive(&mut client, now, &mut script).unwrap();
    assert!(matches!(outcome, Poll::Publish(_)));
    client.challenges_published(*now).unwrap();
    client
}

#[test]
fn retry_after_is_honoured_and_bounded() {
    let key = key();
    for (retry_after, expected) in [
        (Some("7"), Duration::from_secs(7)),
        (Some("86400"), MAX_POLL_INTERVAL),
        (None, Duration::from_secs(2)),
    ] {
        let mut ca = FakeCa::new(&key);
        let mut now = Instant::from_millis(5_000);
        let mut client = published(&mut ca, &mut now, "www.example.org");
        // The challenge answer.
        let Poll::Send(request) = client.poll(now) else {
            panic!("challenge POST")
        };
        assert_eq!(request.url, CHALLENGE);
        ca.verify(&request);
        let nonce = ca.fresh_nonce();
        let mut headers = vec![("Replay-Nonce", nonce.as_str())];
        if let Some(value) = retry_after {
            headers.push(("Retry-After", value));
        }
        client
            .handle_response(&reply(200, &headers, CHALLENGE_PROCESSING), now)
            .unwrap();
        assert_eq!(
            client.poll(now),
            Poll::WaitUntil(Instant::from_millis(5_000) + expected)
        );
    }
}

#[test]
fn polls_are_bounded() {
    let key = key();
    let mut ca = FakeCa::new(&key);
    let mut now = Instant::default();
    let mut client = published(&mut ca, &mut now, "www.example.org");
    let mut script = |request: &Request, jws: Option<&Jws>| match request.url.as_str() {
        AUTHZ => reply(200, &[("Retry-After", "1")], AUTHZ_PENDING),
        _ => happy(request, jws),
    };
    let error = ca.drive(&mut client, &mut now, &mut script).unwrap_err();
    assert_eq!(
        error,
        Error::PollLimit {
            request: "authorization"
        }
    );
    assert_eq!(
        error.to_string(),
        "gave up polling authorization: still not done"
    );
    // The wait after the challenge answer (no Retry-After: the default
    // 2 s) is the first of 60 polls; 59 more of one second each, then the
    // 61st gives up.
    assert_eq!(now, Instant::from_millis(61_000));
}

#[test]
fn failed_validation_reports_the_challenge_problem() {
    let key = key();
    let mut ca = FakeCa::new(&key);
    let mut now = Instant::default();
    let mut client = published(&mut ca, &mut now, "www.example.org");
    let mut script = |request: &Request, jws: Option<&Jws>| match request.url.as_str() {
        AUTHZ => reply(200, &[], AUTHZ_INVALID),
        _ => happy(request, jws),
    };
    let error = ca.drive(&mut client, &mut now, &mut script).unwrap_err();
    assert!(
        matches!(
            &error,
            Error::AuthorizationFailed {
                status: Status::Invalid,
                problem: Some(_),
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the authorisation of www.example.org is invalid: acme:unauthorized: \
         Correct value not found for DNS challenge"
    );
    assert!(client.is_idle());
    assert_eq!(client.account_url(), Some(ACCOUNT), "the account is kept");
}

#[test]
fn problem_document_with_subproblems_ends_the_order() {
    let key = key();
    let mut ca = FakeCa::new(&key);
    let mut client = client(&key);
    let mut now = Instant::default();
    client
        .start_order(&["_example.org", "example.net"], vec![0x30, 0])
        .unwrap();
    let mut script = |request: &Request, jws: Option<&Jws>| match request.url.as_str() {
        "https://example.com/acme/new-order" => reply(
            400,
            &[("Content-Type", "application/problem+json")],
            r#"{
    "type": "urn:ietf:params:acme:error:malformed",
    "detail": "Some of the identifiers requested were rejected",
    "subproblems": [
        {
            "type": "urn:ietf:params:acme:error:malformed",
            "detail": "Invalid underscore in DNS name \"_example.org\"",
            "identifier": {"type": "dns", "value": "_example.org"}
        },
        {
            "type": "urn:ietf:params:acme:error:rejectedIdentifier",
            "detail": "This CA will not issue for \"example.net\"",
            "identifier": {"type": "dns", "value": "example.net"}
        }
    ]
}"#,
        ),
        _ => happy(request, jws),
    };
    let error = ca.drive(&mut client, &mut now, &mut script).unwrap_err();
    let Error::Problem {
        request,
        status,
        problem,
    } = &error
    else {
        panic!("{error}")
    };
    assert_eq!((*request, *status), ("newOrder", 400));
    assert_eq!(problem.subproblems.len(), 2);
    assert_eq!(
        error.to_string(),
        "newOrder refused (400): acme:malformed: Some of the identifiers requested were \
         rejected (_example.org: acme:malformed: Invalid underscore in DNS name \
         \"_example.org\"; example.net: acme:rejectedIdentifier: This CA will not issue for \
         \"example.net\")"
    );
    // A status without a problem document.
    client
        .start_order(&["www.example.org"], vec![0x30, 0])
        .unwrap();
    let mut script = |request: &Request, jws: Option<&Jws>| match request.url.as_str() {
        "https://example.com/acme/new-order" => reply(503, &[], "<html>down</html>"),
        _ => happy(request, jws),
    };
    let error = ca.drive(&mut client, &mut now, &mut script).unwrap_err();
    assert_eq!(
        error,
        Error::Status {
            request: "newOrder",
            status: 503
        }
    );
}

#[test]
fn wildcard_identifier_and_txt_name() {
    let key = key();
    let mut ca = FakeCa::new(&key);
    let mut client = client(&key);
    let mut now = Instant::default();
    client
        .start_order(&["*.example.org"], vec![0x30, 0])
        .unwrap();
    let mut script = |request: &Request, jws: Option<&Jws>| match request.url.as_str() {
        "https://example.com/acme/new-order" => {
            let payload: Value = serde_json::from_slice(&jws.unwrap().payload).unwrap();
            assert_eq!(payload["identifiers"][0]["value"], "*.example.org");
            happy(request, jws)
        }
        AUTHZ => reply(
            200,
            &[],
            &AUTHZ_PENDING
                .replace("www.example.org", "example.org")
                .replace(
                    r#""status": "pending","#,
                    r#""status": "pending", "wildcard": true,"#,
                ),
        ),
        _ => happy(request, jws),
    };
    let Poll::Publish(records) = ca.drive(&mut client, &mut now, &mut script).unwrap() else {
        panic!("expected challenges")
    };
    assert_eq!(records[0].identifier, "*.example.org");
    assert_eq!(records[0].name, "_acme-challenge.example.org");
}

/// Every response of the happy path, cut short or garbled, is an error of
/// the order, never a panic.
#[test]
fn malformed_responses_are_errors_not_panics() {
    let key = key();
    let steps = [
        DIRECTORY,
        "https://example.com/acme/new-account",
        "https://example.com/acme/new-order",
        AUTHZ,
        CHALLENGE,
        ORDER,
        FINALIZE,
        CERT,
    ];
    let mut errors = 0;
    for broken_url in steps {
        let good = happy(
            &Request {
                method: Method::Post,
                url: broken_url.into(),
                headers: vec![],
                body: vec![],
            },
            None,
        );
        let body = String::from_utf8(good.body.clone()).unwrap();
        let mut variants: Vec<String> = (0..body.len())
            .step_by(19)
            .map(|n| body[..n].to_string())
            .collect();
        variants.push("[1, 2".into());
        variants.push("{\"status\": 5}".into());
        variants.push("\u{0}\u{1}".into());
        variants.push("[".repeat(10_000));
        for variant in variants {
            let mut ca = FakeCa::new(&key);
            let mut client = client(&key);
            let mut now = Instant::default();
            client
                .start_order(&["www.example.org"], vec![0x30, 0])
                .unwrap();
            let mut authz_seen = false;
            let mut script = |request: &Request, jws: Option<&Jws>| {
                if request.url == broken_url && (broken_url != AUTHZ || !authz_seen) {
                    let mut r = happy(request, jws);
                    r.body = variant.as_bytes().to_vec();
                    return r;
                }
                if request.url == AUTHZ && !authz_seen {
                    authz_seen = true;
                    return reply(200, &[], AUTHZ_PENDING);
                }
                happy(request, jws)
            };
            let mut outcome = ca.drive(&mut client, &mut now, &mut script);
            if let Ok(Poll::Publish(_)) = outcome {
                client.challenges_published(now).unwrap();
                outcome = ca.drive(&mut client, &mut now, &mut script);
            }
            match outcome {
                Err(
                    Error::Malformed {
                        reason: Malformation::Json(_),
                        ..
                    }
                    | Error::Chain(_),
                ) => errors += 1,
                Err(other) => panic!("{broken_url}: unexpected error {other}"),
                // A prefix of the certificate chain may still be a chain.
                Ok(Poll::Certificate(_)) if broken_url == CERT => {}
                Ok(other) => panic!("{broken_url} with {variant:?}: {other:?}"),
            }
            assert!(client.is_idle());
        }
    }
    assert!(errors > 40, "{errors}");
}

#[test]
fn caller_mistakes_are_misuse_errors() {
    let key = key();
    let mut client = client(&key);
    assert!(matches!(
        client.handle_response(&Response::default(), Instant::default()),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(
        client.challenges_published(Instant::default()),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(
        client.start_order(&[], vec![]),
        Err(Error::Misuse(_))
    ));
    client.start_order(&["a.example"], vec![]).unwrap();
    assert!(matches!(
        client.start_order(&["a.example"], vec![]),
        Err(Error::Misuse(_))
    ));
    assert!(matches!(client.register(), Err(Error::Misuse(_))));
    let mut queue = VecDeque::new();
    queue.push_back(client.poll(Instant::default()));
    assert!(matches!(queue.pop_front(), Some(Poll::Send(_))));
    assert_eq!(client.poll(Instant::default()), Poll::AwaitingResponse);
}
