//! TSIG verification: any bytes as a signed request (server side) and as
//! the messages of a signed response stream (client side, a zone transfer
//! of several messages), with keys of every algorithm. Never a panic; an
//! error response to a request is a header with the request's ID.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tsig::{verify_request, Algorithm, Key, ReplayCache, ResponseVerifier};

const NOW: u64 = 1_700_000_000;

fn keys() -> Vec<Key> {
    [Algorithm::HmacSha1, Algorithm::HmacSha256, Algorithm::HmacSha512]
        .into_iter()
        .enumerate()
        .map(|(i, alg)| {
            Key::new(
                format!("k{i}.example.").parse().expect("name"),
                alg,
                b"fuzz-secret".to_vec(),
            )
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let keys = keys();
    // Server side.
    let mut cache = ReplayCache::<()>::new(4, 8);
    match verify_request(data, &keys, NOW) {
        Ok(Some(signed)) => {
            let _ = signed.stripped(data);
            let _ = cache.check(&signed, tsig::replay::window(&signed), NOW, ());
            let _ = signed.replayed().response(data, NOW);
        }
        Ok(None) => {}
        Err(e) => {
            let r = e.response(data, NOW);
            assert!(r.len() >= 12);
            // The request's ID once it has a header (a shorter message
            // has none to echo: fuzzed.rs, `a_two_octet_request`).
            if data.len() >= 12 {
                assert_eq!(r[..2], data[..2]);
            }
            let _ = e.to_string();
        }
    }
    // Client side: the bytes as a stream of messages split at 0xff 0xff.
    for key in keys {
        let mut v = ResponseVerifier::new(key, &data[..data.len().min(32)]);
        for msg in data.split(|&b| b == 0xff).take(8) {
            if v.verify(msg, NOW).is_err() {
                break;
            }
        }
        let _ = v.finish();
    }
});
