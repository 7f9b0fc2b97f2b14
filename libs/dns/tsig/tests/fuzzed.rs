//! Inputs found by `scripts/fuzz` (fuzz/fuzz_targets/tsig_verify.rs), kept
//! as regression tests.

use dns_wire::rcode;
use tsig::{verify_request, Algorithm, Key, RequestError};

fn key() -> Key {
    Key::new(
        "k.example.".parse().unwrap(),
        Algorithm::HmacSha256,
        b"fuzz-secret".to_vec(),
    )
}

/// crash-147d7b358aa809d99ed8206d3c81d4f1b5d06298: two octets, shorter
/// than a header. FORMERR, and the error response is a well-formed
/// header (ID 0: there is no ID to echo), not a panic.
#[test]
fn a_two_octet_request() {
    let msg = [0x0a, 0x24];
    let e = verify_request(&msg[..], &key(), 1_700_000_000).unwrap_err();
    assert!(matches!(e, RequestError::FormErr(_)), "{e}");
    let r = e.response(&msg, 1_700_000_000);
    assert_eq!(r.len(), 12);
    assert_eq!(&r[..2], &[0, 0]);
    assert_eq!(u16::from(r[3] & 0x0f), rcode::FORMERR);
}
