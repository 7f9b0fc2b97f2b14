//! The git smart protocol as a client sees it: any bytes as what the
//! remote sends to our fetch (upload-pack, v0 and v2) and to our push
//! (receive-pack): the ref advertisement and everything after it, fed in
//! two pieces. Never a panic; the state machines end in a result or an
//! error.
#![no_main]

use git::protocol::advertisement;
use git::{Fetch, FetchParams, ObjectId, Push, PushParams};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let cut = data.first().map_or(0, |&b| usize::from(b)).min(data.len());
    let (a, b) = data.split_at(cut);

    let mut parser = advertisement::Parser::new();
    let mut rest = data;
    while let Ok(git::pktline::Stream::Complete { line, consumed }) = git::pktline::decode(rest) {
        rest = &rest[consumed..];
        if !matches!(parser.line(line), Ok(None)) {
            break;
        }
    }

    for params in [FetchParams::shallow_clone(None), FetchParams::shallow_clone(Some("main"))] {
        let mut fetch = Fetch::new(params);
        fetch.input(a);
        let _ = fetch.progress();
        fetch.input(b);
        fetch.input_eof();
        for _ in 0..16 {
            if fetch.progress().is_err() {
                break;
            }
            let n = fetch.output().len();
            fetch.consume_output(n);
        }
    }

    let old: ObjectId = "1111111111111111111111111111111111111111".parse().expect("hex");
    let new: ObjectId = "2222222222222222222222222222222222222222".parse().expect("hex");
    if let Ok(mut push) = Push::new(PushParams::new("main", Some(old), new, b"PACK".to_vec())) {
        push.input(a);
        let _ = push.progress();
        push.input(b);
        push.input_eof();
        for _ in 0..16 {
            if push.progress().is_err() {
                break;
            }
            let n = push.output().len();
            push.consume_output(n);
        }
    }
});
