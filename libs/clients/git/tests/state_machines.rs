//! The fetch and push state machines against hand-written remotes: each
//! way a remote can refuse, fail or misbehave maps to its typed result.

// Host tests: std is fine here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

use git::pktline::{self, sideband};
use git::protocol::fetch::{Event, FetchParams};
use git::protocol::push::{self, Outcome, PushParams, Rejection};
use git::protocol::Error;
use git::{Fetch, ObjectId, Push};

const A: &str = "1111111111111111111111111111111111111111";
const B: &str = "2222222222222222222222222222222222222222";
const C: &str = "3333333333333333333333333333333333333333";

fn id(hex: &str) -> ObjectId {
    hex.parse().unwrap()
}

/// A remote's bytes, built from text lines ("0000" for a flush).
fn remote(lines: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![];
    for l in lines {
        if *l == b"0000" {
            pktline::write_flush(&mut out);
        } else {
            pktline::write_data(&mut out, l).unwrap();
        }
    }
    out
}

fn band(n: u8, data: &[u8]) -> Vec<u8> {
    let mut v = vec![n];
    v.extend_from_slice(data);
    v
}

const UPLOAD_CAPS: &str = "multi_ack thin-pack side-band side-band-64k ofs-delta shallow no-progress multi_ack_detailed symref=HEAD:refs/heads/main object-format=sha1 agent=git/2.47.3";

fn advertisement(caps: &str) -> Vec<u8> {
    remote(&[
        format!("{A} HEAD\0{caps}\n").as_bytes(),
        format!("{A} refs/heads/main\n").as_bytes(),
        format!("{B} refs/heads/other\n").as_bytes(),
        b"0000",
    ])
}

fn run_fetch(params: FetchParams, input: &[u8]) -> (Result<Event, Error>, Vec<u8>) {
    let mut f = Fetch::new(params);
    f.input(input);
    f.input_eof();
    let r = f.progress();
    let out = f.output().to_vec();
    (r, out)
}

#[test]
fn fetch_sends_only_advertised_capabilities() {
    let mut f = Fetch::new(FetchParams::shallow_clone(None));
    assert_eq!(f.protocol_version(), None);
    f.input(&advertisement("side-band shallow"));
    assert_eq!(f.progress().unwrap(), Event::NeedInput);
    assert_eq!(f.protocol_version(), Some(0));
    let out = String::from_utf8(f.output().to_vec()).unwrap();
    assert_eq!(
        out,
        format!("0044want {A} side-band shallow\n000ddeepen 1\n00000009done\n")
    );
    assert_eq!(f.advertisement().unwrap().refs.len(), 3);
}

#[test]
fn fetch_refusals() {
    let mut ad_err = vec![];
    pktline::write_text(&mut ad_err, b"ERR access denied or repository not exported").unwrap();
    assert_eq!(
        run_fetch(FetchParams::shallow_clone(None), &ad_err).0,
        Err(Error::Remote {
            message: "access denied or repository not exported".into()
        })
    );
    assert_eq!(
        run_fetch(FetchParams::shallow_clone(None), &advertisement("shallow")).0,
        Err(Error::MissingCapability {
            name: "side-band-64k"
        })
    );
    assert_eq!(
        run_fetch(
            FetchParams::shallow_clone(None),
            &advertisement("side-band-64k")
        )
        .0,
        Err(Error::MissingCapability { name: "shallow" })
    );
    assert_eq!(
        run_fetch(
            FetchParams::shallow_clone(None),
            &advertisement("side-band-64k shallow object-format=sha256")
        )
        .0,
        Err(Error::ObjectFormat {
            format: "sha256".into()
        })
    );
    // No symref, and HEAD's id matches no branch.
    let no_head = remote(&[
        format!("{C} HEAD\0side-band-64k shallow\n").as_bytes(),
        format!("{A} refs/heads/x\n").as_bytes(),
        b"0000",
    ]);
    assert_eq!(
        run_fetch(FetchParams::shallow_clone(None), &no_head).0,
        Err(Error::NoHead)
    );
    // Named branch still works there.
    let mut f = Fetch::new(FetchParams::shallow_clone(Some("x")));
    f.input(&no_head);
    assert_eq!(f.progress().unwrap(), Event::NeedInput);
    assert!(f.output()[4..].starts_with(format!("want {A} side-band-64k shallow\n").as_bytes()));
    let (r, _) = run_fetch(
        FetchParams::shallow_clone(Some("bad name")),
        &advertisement(UPLOAD_CAPS),
    );
    assert!(matches!(r, Err(Error::InvalidRefname { .. })));
    // The channel closes in the middle of the advertisement.
    let ad = advertisement(UPLOAD_CAPS);
    assert_eq!(
        run_fetch(FetchParams::shallow_clone(None), &ad[..30]).0,
        Err(Error::UnexpectedEof {
            expected: "the ref advertisement"
        })
    );
}

fn after_request(extra: &[&[u8]]) -> Vec<u8> {
    let mut input = advertisement(UPLOAD_CAPS);
    input.extend(remote(extra));
    input
}

#[test]
fn fetch_errors_after_the_request() {
    let p = || FetchParams::shallow_clone(None);
    let e = run_fetch(p(), &after_request(&[b"ERR upload-pack: not our ref 1111"])).0;
    assert_eq!(
        e,
        Err(Error::Remote {
            message: "upload-pack: not our ref 1111".into()
        })
    );

    let e = run_fetch(
        p(),
        &after_request(&[format!("shallow {A}").as_bytes(), b"0000", b"ACK nonsense"]),
    )
    .0;
    assert!(matches!(e, Err(Error::Unexpected { .. })), "{e:?}");

    let e = run_fetch(p(), &after_request(&[b"bogus", b"0000"])).0;
    assert!(matches!(e, Err(Error::Unexpected { expected, .. }) if expected.contains("shallow")));

    let err_band = band(3, b"fatal: the remote end hung up\n");
    let e = run_fetch(
        p(),
        &after_request(&[b"0000", b"NAK\n", &band(1, b"PACK"), &err_band]),
    )
    .0;
    assert_eq!(
        e,
        Err(Error::Remote {
            message: "fatal: the remote end hung up".into()
        })
    );

    let e = run_fetch(p(), &after_request(&[b"0000", b"NAK\n", b"\x09oops"])).0;
    assert_eq!(
        e,
        Err(Error::Sideband(sideband::Error::UnknownBand { band: 9 }))
    );

    let e = run_fetch(p(), &after_request(&[b"0000", b"NAK\n", &band(1, b"PACK")])).0;
    assert_eq!(
        e,
        Err(Error::UnexpectedEof {
            expected: "the pack"
        })
    );

    let mut small = p();
    small.max_pack_size = 10;
    let e = run_fetch(
        small,
        &after_request(&[b"0000", b"NAK\n", &band(1, &[0; 8]), &band(1, &[0; 8])]),
    )
    .0;
    assert_eq!(e, Err(Error::PackTooLarge { limit: 10 }));

    // Done, with progress messages kept; then the machine is finished.
    let mut f = Fetch::new(p());
    f.input(&after_request(&[
        format!("shallow {A}").as_bytes(),
        b"0000",
        b"NAK\n",
        &band(2, b"Enumerating objects: 3, done.\nCounting objects:  50% (1/2)\rCounting objects: 100% (2/2), done.\n"),
        &band(1, b"PACK"),
        &band(1, b"rest"),
        b"0000",
    ]));
    let Event::Done(r) = f.progress().unwrap() else {
        panic!()
    };
    assert_eq!(r.pack, b"PACKrest");
    assert_eq!(r.shallow, vec![id(A)]);
    assert_eq!(r.messages.len(), 3);
    assert_eq!(f.progress(), Err(Error::Finished));

    let e = run_fetch(p(), &remote(&[b"\x00\x01"])).0;
    assert!(matches!(e, Err(Error::Advertisement(_))), "{e:?}");
    let e = run_fetch(p(), b"00zz").0;
    assert!(matches!(e, Err(Error::PktLine(_))), "{e:?}");
}

#[test]
fn fetch_acks_with_haves() {
    let mut params = FetchParams::update(None, id(C));
    params.depth = None;
    params.shallow.clear();
    let mut f = Fetch::new(params);
    f.input(&after_request(&[
        format!("ACK {C} common\n").as_bytes(),
        format!("ACK {C} ready\n").as_bytes(),
        format!("ACK {C}\n").as_bytes(),
        &band(1, b"PACK"),
        b"0000",
    ]));
    let Event::Done(r) = f.progress().unwrap() else {
        panic!()
    };
    assert_eq!(r.common, vec![id(C)]);
    let sent = String::from_utf8(f.output().to_vec()).unwrap();
    assert!(
        sent.contains(" thin-pack")
            && !sent.contains("deepen")
            && sent.contains(&format!("have {C}")),
        "{sent}"
    );
}

const RECEIVE_CAPS: &str = "report-status report-status-v2 delete-refs side-band-64k quiet atomic ofs-delta object-format=sha1 agent=git/2.47.3";

fn receive_ad(caps: &str, main: &str) -> Vec<u8> {
    remote(&[
        format!("{main} refs/heads/main\0{caps}\n").as_bytes(),
        b"0000",
    ])
}

fn run_push(input: &[u8]) -> (Result<push::Event, Error>, Vec<u8>) {
    let mut p = Push::new(PushParams::new(
        "main",
        Some(id(A)),
        id(B),
        b"PACK".to_vec(),
    ))
    .unwrap();
    p.input(input);
    p.input_eof();
    let r = p.progress();
    let out = p.output().to_vec();
    (r, out)
}

/// A report-status wrapped in side-band 1, split across two packets.
fn report(lines: &[&[u8]]) -> Vec<u8> {
    let inner = remote(lines);
    let (a, b) = inner.split_at(inner.len() / 2);
    remote(&[&band(1, a), &band(1, b), b"0000"])
}

fn outcome(r: Result<push::Event, Error>) -> Outcome {
    match r {
        Ok(push::Event::Done(r)) => r.outcome,
        other => panic!("{other:?}"),
    }
}

#[test]
fn push_command_line() {
    let mut p = Push::new(PushParams::new(
        "main",
        Some(id(A)),
        id(B),
        b"PACK".to_vec(),
    ))
    .unwrap();
    p.input(&receive_ad(RECEIVE_CAPS, A));
    assert_eq!(p.progress().unwrap(), push::Event::NeedInput);
    let out = p.output().to_vec();
    let mut expected = vec![];
    pktline::write_text(
        &mut expected,
        format!("{A} {B} refs/heads/main\0 report-status side-band-64k agent=solodns").as_bytes(),
    )
    .unwrap();
    expected.extend_from_slice(b"0000PACK");
    assert_eq!(out, expected);
}

#[test]
fn push_reports() {
    let mut input = receive_ad(RECEIVE_CAPS, A);
    input.extend(report(&[b"unpack ok\n", b"ok refs/heads/main\n", b"0000"]));
    assert_eq!(outcome(run_push(&input).0), Outcome::Updated);

    for (reason, rejection) in [
        (
            &b"fetch first"[..],
            Rejection::FetchFirst {
                current: Some(id(A)),
            },
        ),
        (b"non-fast-forward", Rejection::NonFastForward),
        (
            b"failed to update ref",
            Rejection::RefUpdateFailed {
                reason: "failed to update ref".into(),
            },
        ),
        (
            b"hook declined",
            Rejection::Other {
                reason: "hook declined".into(),
            },
        ),
    ] {
        let mut input = receive_ad(RECEIVE_CAPS, A);
        let ng = [&b"ng refs/heads/main "[..], reason, b"\n"].concat();
        input.extend(report(&[b"unpack ok\n", &ng, b"0000"]));
        let o = outcome(run_push(&input).0);
        assert_eq!(o, Outcome::Rejected(rejection.clone()));
        assert_eq!(rejection.fetch_and_retry(), reason != b"hook declined");
    }

    // Without side-band the report comes as plain pkt-lines.
    let mut input = receive_ad("report-status", A);
    input.extend(remote(&[
        b"unpack ok\n",
        b"ok refs/heads/main\n",
        b"option refname refs/heads/main\n",
        b"0000",
    ]));
    assert_eq!(outcome(run_push(&input).0), Outcome::Updated);

    let mut input = receive_ad(RECEIVE_CAPS, A);
    input.extend(report(&[
        b"unpack index-pack abnormal exit\n",
        b"ng refs/heads/main unpacker error\n",
        b"0000",
    ]));
    assert_eq!(
        run_push(&input).0,
        Err(Error::Unpack {
            reason: "index-pack abnormal exit".into()
        })
    );

    let mut input = receive_ad(RECEIVE_CAPS, A);
    input.extend(report(&[b"unpack ok\n", b"ok refs/heads/other\n", b"0000"]));
    assert_eq!(
        run_push(&input).0,
        Err(Error::MissingStatus {
            refname: "refs/heads/main".into()
        })
    );

    let mut input = receive_ad(RECEIVE_CAPS, A);
    input.extend(remote(&[&band(3, b"fatal: disk full\n")]));
    assert_eq!(
        run_push(&input).0,
        Err(Error::Remote {
            message: "fatal: disk full".into()
        })
    );

    let mut input = receive_ad(RECEIVE_CAPS, A);
    input.extend(remote(&[&band(2, b"remote: hello\n")]));
    assert_eq!(
        run_push(&input).0,
        Err(Error::UnexpectedEof {
            expected: "the report-status"
        })
    );
}

#[test]
fn push_decided_from_the_advertisement() {
    // The branch moved: nothing but a flush is sent.
    let (r, out) = run_push(&receive_ad(RECEIVE_CAPS, C));
    assert_eq!(
        outcome(r),
        Outcome::Rejected(Rejection::FetchFirst {
            current: Some(id(C))
        })
    );
    assert_eq!(out, b"0000");
    let (r, out) = run_push(&receive_ad(RECEIVE_CAPS, B));
    assert_eq!(outcome(r), Outcome::UpToDate);
    assert_eq!(out, b"0000");
    let (r, out) = run_push(&receive_ad("side-band-64k", A));
    assert_eq!(
        r,
        Err(Error::MissingCapability {
            name: "report-status"
        })
    );
    assert_eq!(out, b"0000");
    assert!(matches!(
        Push::new(PushParams::new("has space", None, id(A), vec![])),
        Err(Error::InvalidRefname { .. })
    ));
}
