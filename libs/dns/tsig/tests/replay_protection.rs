//! Replay protection on the server side: a claimed fudge is capped at
//! 300 s, and a [`ReplayCache`] remembers accepted MACs per key until
//! their request could no longer pass the time check.

use dns_wire::rcode;
use tsig::replay::{window, Full};
use tsig::{
    sign_request_with, verify_request, Algorithm, Key, ReplayCache, RequestError, ResponseError,
    ResponseVerifier, Seen, MAX_FUDGE,
};

const T0: u64 = 1_700_000_000;

fn key(name: &str) -> Key {
    Key::new(
        name.parse().unwrap(),
        Algorithm::HmacSha256,
        b"0123456789abcdef".to_vec(),
    )
}

/// A signed NOTIFY-like request with ID `id`, signed at `at` with `fudge`.
fn request(k: &Key, id: u16, at: u64, fudge: u16) -> (Vec<u8>, Vec<u8>) {
    let mut msg = vec![0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    msg[..2].copy_from_slice(&id.to_be_bytes());
    let mac = sign_request_with(&mut msg, k, at, fudge);
    (msg, mac)
}

#[test]
fn a_claimed_fudge_above_300_s_is_capped() {
    let k = key("k.example.");
    let (msg, _) = request(&k, 1, T0, u16::MAX);
    // Before the cap, 65 535 s of fudge let this verify an hour later.
    assert!(matches!(
        verify_request(&msg, &k, T0 + 3600),
        Err(RequestError::BadTime { .. })
    ));
    assert!(verify_request(&msg, &k, T0 + u64::from(MAX_FUDGE))
        .unwrap()
        .is_some());
    assert!(verify_request(&msg, &k, T0 + 301).is_err());
}

#[test]
fn a_mac_is_remembered_until_its_window_closes() {
    let k = key("k.example.");
    let (msg, _) = request(&k, 1, T0, 300);
    let signed = verify_request(&msg, &k, T0 + 5).unwrap().unwrap();
    assert_eq!(window(&signed), 300);
    let mut cache = ReplayCache::<u32>::new(4, 8);
    assert_eq!(
        cache.check(&signed, window(&signed), T0 + 5, 7),
        Ok(Seen::New)
    );
    // The same bytes again, within the window: found, with the value.
    let again = verify_request(&msg, &k, T0 + 200).unwrap().unwrap();
    assert_eq!(
        cache.check(&again, 300, T0 + 200, 0),
        Ok(Seen::Again(&mut 7))
    );
    // The last second the request would verify, it is still remembered...
    assert!(matches!(
        cache.check(&again, 300, T0 + 300, 0),
        Ok(Seen::Again(_))
    ));
    // ...and after it the time check refuses it anyway: forgotten.
    cache.expire(T0 + 301);
    assert!(cache.is_empty());
    // Another request of the same key is new; so is the same MAC value
    // under another key name (MACs are per key).
    let (other, _) = request(&k, 2, T0, 300);
    let other = verify_request(&other, &k, T0).unwrap().unwrap();
    assert_eq!(cache.check(&other, 300, T0, 1), Ok(Seen::New));
    cache.forget(&other);
    assert!(cache.is_empty());
}

#[test]
fn memory_is_bounded_per_key_and_in_total() {
    let (a, b) = (key("a.example."), key("b.example."));
    let mut cache = ReplayCache::<()>::new(2, 3);
    let mut accept = |k: &Key, id: u16| {
        let (msg, _) = request(k, id, T0, 300);
        let signed = verify_request(&msg, k, T0).unwrap().unwrap();
        cache.check(&signed, 300, T0, ()).map(|s| s == Seen::New)
    };
    assert_eq!(accept(&a, 1), Ok(true));
    assert_eq!(accept(&a, 2), Ok(true));
    assert_eq!(accept(&a, 3), Err(Full), "per key");
    assert_eq!(accept(&b, 1), Ok(true));
    assert_eq!(accept(&b, 2), Err(Full), "in total");
}

/// A replay is answered BADTIME, signed with the request's key, which the
/// client can verify (RFC 8945 §5.2.3).
#[test]
fn a_replay_is_answered_a_signed_badtime() {
    let k = key("k.example.");
    let (msg, mac) = request(&k, 9, T0, 300);
    let signed = verify_request(&msg, &k, T0).unwrap().unwrap();
    let error = signed.replayed();
    assert_eq!(
        (error.rcode(), error.tsig_error()),
        (rcode::NOTAUTH, Some(rcode::BADTIME))
    );
    assert!(error.to_string().contains("replay"), "{error}");
    let response = error.response(&msg, T0 + 1);
    assert_eq!(&response[..2], &msg[..2]);
    let mut v = ResponseVerifier::new(k.clone(), &mac);
    assert_eq!(
        v.verify(&response, T0 + 1),
        Err(ResponseError::Server {
            error: rcode::BADTIME,
            server_time: Some(T0 + 1)
        })
    );
    // The signed REFUSED for a full cache verifies as an answer.
    let refused = signed.error_response(&msg, rcode::REFUSED, T0 + 1);
    let mut v = ResponseVerifier::new(k, &mac);
    assert!(v.verify(&refused, T0 + 1).is_ok());
    assert_eq!(refused[3] & 0x0f, rcode::REFUSED as u8);
}
