//! pkt-line decoding (and side-band demultiplexing of its data): any bytes
//! as a stream of packet lines, decoded one after the other as the git
//! state machines do. Never a panic; `consumed` always advances within
//! the input.
#![no_main]

use git::pktline::{self, sideband, PacketLineRef, Stream};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut rest = data;
    for _ in 0..10_000 {
        match pktline::decode(rest) {
            Ok(Stream::Complete { line, consumed }) => {
                assert!(consumed > 0 && consumed <= rest.len());
                if let PacketLineRef::Data(d) = line {
                    let _ = line.as_text();
                    let _ = line.as_error();
                    let _ = sideband::decode(d);
                }
                rest = &rest[consumed..];
            }
            Ok(Stream::Incomplete { .. }) | Err(_) => break,
        }
    }
    // Writing what we read back never fails for data within the limit.
    let mut out = Vec::new();
    let take = data.len().min(pktline::MAX_DATA_LEN);
    pktline::write_data(&mut out, &data[..take]).expect("within the limit");
});
