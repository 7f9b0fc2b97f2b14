//! Pack files from a remote: any bytes as a pack (the trailer fixed up so
//! the fuzzer gets past the checksum), decoded with small limits and a
//! base lookup that knows one blob. Never a panic, nothing allocated
//! beyond the limits.
#![no_main]

use git::pack::{self, Limits};
use git::Kind;
use libfuzzer_sys::fuzz_target;
use sha1::{Digest, Sha1};

fuzz_target!(|data: &[u8]| {
    let mut bytes = data.to_vec();
    if data.first().is_some_and(|b| b & 1 == 1) {
        // Make the SHA-1 trailer right: the body is what is fuzzed.
        let body = &data[1..];
        bytes = body.to_vec();
        bytes.extend_from_slice(&Sha1::digest(body));
    }
    let limits = Limits {
        max_objects: 64,
        max_object_size: 1 << 20,
        max_total_size: 4 << 20,
        ..Limits::default()
    };
    let base: &[u8] = b"hello\n";
    let _ = pack::decode(&bytes, &limits, |_| Some((Kind::Blob, base)));
});
