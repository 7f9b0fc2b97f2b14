//! The same fetches against `git upload-pack` speaking protocol v2
//! (`GIT_PROTOCOL=version=2`, what an SSH transport passes when the server
//! accepts the variable), and v1 (`version 1` before the advertisement).

// Host tests: std is fine here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use common::*;
use git::pack::{self, Limits};
use git::protocol::fetch::Event;
use git::protocol::Error;
use git::{Fetch, FetchParams, FetchResult, ObjectStore};
use std::path::Path;

fn fetch(
    repo: &Path,
    params: FetchParams,
    version: &str,
    chunk: usize,
) -> (Result<Event, Error>, Vec<u8>) {
    let mut f = Fetch::new(params);
    let s = drive_env(&mut f, "upload-pack", repo, chunk, Some(version), || {});
    (s.result, s.sent)
}

fn done(repo: &Path, params: FetchParams, version: &str) -> FetchResult {
    match fetch(repo, params, version, 65536).0.unwrap() {
        Event::Done(r) => r,
        other => panic!("{other:?}"),
    }
}

#[test]
fn v2_shallow_clone_incremental_fetch_and_up_to_date() {
    let work = make_work_repo("v2");
    let bare = make_bare(&work, "v2-bare");
    let head = rev_parse(&bare, "main");
    for chunk in [65536, 5] {
        let (ev, sent) = fetch(&bare, FetchParams::shallow_clone(None), "version=2", chunk);
        let Event::Done(r) = ev.unwrap() else {
            panic!()
        };
        let sent = String::from_utf8_lossy(&sent);
        assert!(
            sent.contains("command=ls-refs") && sent.contains("command=fetch"),
            "{sent}"
        );
        assert!(sent.ends_with("done\n00000000"), "{sent}");
        assert_eq!((r.refname.as_str(), r.head), ("refs/heads/main", head));
        assert_eq!(r.shallow, vec![head]);
        let mut store = ObjectStore::new();
        store.add_pack(&r.pack, &Limits::default()).unwrap();
        assert_eq!(store.files(&head).unwrap().len(), 4);
    }

    let r = done(&bare, FetchParams::shallow_clone(None), "version=2");
    let mut store = ObjectStore::new();
    store.add_pack(&r.pack, &Limits::default()).unwrap();
    let mut big = zone("example.com", 3);
    for i in 0..300 {
        big.push_str(&format!("t{i} TXT \"padding padding padding {i}\"\n"));
    }
    write_file(&work, "example.com", big.as_bytes());
    git(&work, &["commit", "-q", "-am", "big"]);
    write_file(
        &work,
        "example.com",
        big.replace("t100 ", "u100 ").as_bytes(),
    );
    git(&work, &["commit", "-q", "-am", "small"]);
    git(
        &work,
        &["push", "-q", bare.to_str().unwrap(), "main~1:main"],
    );
    let mid = rev_parse(&bare, "main");
    let r = done(&bare, FetchParams::update(None, head), "version=2");
    assert_eq!(r.head, mid);
    store.add_pack(&r.pack, &Limits::default()).unwrap();
    store.retain_reachable(&[mid]).unwrap();
    git(&work, &["push", "-q", bare.to_str().unwrap(), "main"]);
    let new = rev_parse(&bare, "main");
    let r = done(&bare, FetchParams::update(Some("main"), mid), "version=2");
    assert_eq!(r.head, new);
    // Thin against what we hold.
    assert!(matches!(
        pack::decode(&r.pack, &Limits::default(), |_| None),
        Err(pack::Error::MissingBase { .. })
    ));
    store.add_pack(&r.pack, &Limits::default()).unwrap();
    let ours: Vec<Vec<u8>> = store
        .files(&new)
        .unwrap()
        .iter()
        .map(|f| f.data.to_vec())
        .collect();
    assert!(ours.contains(&big.replace("t100 ", "u100 ").into_bytes()));

    let (ev, sent) = fetch(&bare, FetchParams::update(None, new), "version=2", 65536);
    assert_eq!(
        ev.unwrap(),
        Event::UpToDate {
            refname: "refs/heads/main".into(),
            head: new
        }
    );
    assert!(sent.ends_with(b"0000"));
}

#[test]
fn v2_errors() {
    let work = make_work_repo("v2err");
    let bare = make_bare(&work, "v2err-bare");
    assert_eq!(
        fetch(
            &bare,
            FetchParams::shallow_clone(Some("nope")),
            "version=2",
            65536
        )
        .0,
        Err(Error::BranchNotFound {
            refname: "refs/heads/nope".into()
        })
    );
    let empty = scratch("v2empty");
    git(&empty, &["init", "-q", "--bare", "e.git"]);
    assert_eq!(
        fetch(
            &empty.join("e.git"),
            FetchParams::shallow_clone(None),
            "version=2",
            65536
        )
        .0,
        Err(Error::EmptyRepository)
    );
}

#[test]
fn v1_is_v0_with_a_version_line() {
    let work = make_work_repo("v1");
    let bare = make_bare(&work, "v1-bare");
    let r = done(&bare, FetchParams::shallow_clone(None), "version=1");
    assert_eq!(r.head, rev_parse(&bare, "main"));
}
