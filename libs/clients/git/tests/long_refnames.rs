//! A remote that advertises a ref name near the 64 KiB pkt-line limit
//! (issue 12 §8): no input from a remote may panic. Such names are
//! skipped in advertisements, refused as a branch to push, and a push
//! command that would not fit a pkt-line is an error, not a panic.

// Host tests: std is fine here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

use git::pktline;
use git::protocol::advertisement::MAX_REFNAME_LEN;
use git::protocol::fetch::{Event, FetchParams};
use git::protocol::Error;
use git::{Fetch, ObjectId, Push, PushParams};

const A: &str = "1111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222";

fn id(hex: &str) -> ObjectId {
    hex.parse().unwrap()
}

/// `refs/heads/aaa…` of `len` bytes.
fn long_ref(len: usize) -> String {
    let mut name = String::from("refs/heads/");
    name.extend(std::iter::repeat_n('a', len - name.len()));
    name
}

/// One advertisement line per ref, capabilities on the first.
fn advertisement(first: &str, caps: &str, refs: &[&str]) -> Vec<u8> {
    let mut out = Vec::new();
    pktline::write_data(&mut out, format!("{A} {first}\0{caps}\n").as_bytes()).unwrap();
    for r in refs {
        pktline::write_data(&mut out, format!("{A} {r}\n").as_bytes()).unwrap();
    }
    pktline::write_flush(&mut out);
    out
}

#[test]
fn a_push_to_a_ref_name_of_the_remote_near_64_kib_is_an_error() {
    // The longest name whose advertisement line (id, space, name, NUL,
    // capabilities, newline) still fits a pkt-line.
    let caps = "report-status side-band-64k ofs-delta agent=git/2.47.3";
    let name = long_ref(pktline::MAX_DATA_LEN - A.len() - 3 - caps.len());
    let input = advertisement(&name, caps, &[]);
    // A name learnt from the remote's HEAD, given back to push to.
    match Push::new(PushParams::new(&name, Some(id(A)), id(B), b"PACK".to_vec())) {
        Err(e) => assert!(matches!(e, Error::InvalidRefname { .. }), "{e}"),
        Ok(mut push) => {
            push.input(&input);
            push.input_eof();
            let result = push.progress();
            assert!(result.is_err(), "{result:?}");
        }
    }
    let shown = Error::InvalidRefname { refname: name }.to_string();
    assert!(
        shown.len() < 200,
        "the message names the length, not 64 KiB: {shown}"
    );
}

#[test]
fn a_fetch_skips_ref_names_too_long_to_be_ours() {
    let name = long_ref(MAX_REFNAME_LEN + 1);
    let caps =
        format!("multi_ack side-band-64k ofs-delta shallow symref=HEAD:{name} object-format=sha1");
    let input = advertisement("HEAD", &caps, &[&name, "refs/heads/main"]);
    let mut fetch = Fetch::new(FetchParams::shallow_clone(None));
    fetch.input(&input);
    fetch.input_eof();
    match fetch.progress() {
        Err(Error::NoHead) => {}
        other => panic!("HEAD points at a ref we skip: {other:?}"),
    }
    // Asked for by name, the normal branch beside it still works.
    let mut fetch = Fetch::new(FetchParams::shallow_clone(Some("main")));
    fetch.input(&input);
    let progressed = fetch.progress();
    assert!(
        matches!(progressed, Ok(Event::NeedInput) | Ok(_)),
        "{progressed:?}"
    );
    let sent = String::from_utf8_lossy(fetch.output()).into_owned();
    assert!(sent.contains(&format!("want {A}")), "{sent}");
}
