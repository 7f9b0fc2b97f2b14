//! libs/clients/acme's handling of what an ACME server sends, through its public
//! API: any bytes as a problem document and as a PEM chain, and as a
//! sequence of HTTP responses (parsed by libs/clients/https, separated by a NUL
//! byte) answering the requests of an order from its start, so that
//! `Client::handle_response` meets them in whatever state the earlier
//! ones reached. Never a panic, and the client never asks for more than
//! it was given.
#![no_main]

use std::sync::OnceLock;

use acme::{pem_chain_to_der, AccountKey, Client, ClientConfig, Instant, KeyType, Poll, Problem};
use https::{Method, ResponseParser};
use libfuzzer_sys::fuzz_target;

/// The key derivation is slow: once per process.
fn key() -> AccountKey {
    static KEY: OnceLock<AccountKey> = OnceLock::new();
    KEY.get_or_init(|| AccountKey::from_seed(b"fuzz", KeyType::EcdsaP256).unwrap())
        .clone()
}

/// One response as libs/clients/https would hand it over, or `None` if the
/// bytes are not one.
fn response(method: Method, bytes: &[u8]) -> Option<acme::Response> {
    let mut parser = ResponseParser::new(method);
    parser.push(bytes).ok()?;
    if !parser.is_complete() {
        parser.end_of_input().ok()?;
    }
    Some(parser.take()?.response.into())
}

fuzz_target!(|data: &[u8]| {
    if let Some(problem) = Problem::parse(data) {
        let _ = problem.to_string();
        let _ = problem.is_acme("badNonce");
    }
    if let Ok(chain) = pem_chain_to_der(data) {
        assert!(chain.iter().map(Vec::len).sum::<usize>() <= data.len());
    }

    let mut client = Client::new(ClientConfig::new("https://acme.test/dir", key()));
    let mut answers = data.split(|&b| b == 0);
    if client
        .start_order(&["www.example.org"], vec![0x30, 0])
        .is_err()
    {
        return;
    }
    let mut now = 0u64;
    for _ in 0..64 {
        now += 1_000;
        match client.poll(Instant::from_millis(now)) {
            Poll::Send(request) => {
                let Some(bytes) = answers.next() else { return };
                let method = match request.method {
                    acme::Method::Head => Method::Head,
                    _ => Method::Get,
                };
                let Some(answer) = response(method, bytes) else {
                    return;
                };
                if client
                    .handle_response(&answer, Instant::from_millis(now))
                    .is_err()
                {
                    assert!(client.is_idle());
                    return;
                }
            }
            Poll::WaitUntil(at) => now = now.max(at.millis()),
            Poll::Publish(records) => {
                assert!(!records.is_empty());
                if client
                    .challenges_published(Instant::from_millis(now))
                    .is_err()
                {
                    return;
                }
            }
            Poll::Certificate(certificate) => {
                assert!(!certificate.chain.is_empty());
                return;
            }
            _ => return,
        }
    }
});
