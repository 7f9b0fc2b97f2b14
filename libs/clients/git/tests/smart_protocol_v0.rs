//! Our fetch and push state machines against the real `git upload-pack`
//! and `git receive-pack`, spoken to over pipes exactly as over an SSH
//! exec channel (protocol v0, stateful).

// Host tests: std is fine here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use common::*;
use git::pack::{self, Limits};
use git::protocol::fetch::Event;
use git::protocol::Error;
use git::{
    Change, Fetch, FetchParams, FetchResult, ObjectId, ObjectStore, Outcome, Push, PushParams,
    Rejection, Signature, Time,
};
use std::path::Path;

fn fetch(repo: &Path, params: FetchParams, chunk: usize) -> Result<Event, Error> {
    let mut f = Fetch::new(params);
    let s = drive(&mut f, "upload-pack", repo, chunk, || {});
    s.result
}

fn fetch_done(repo: &Path, params: FetchParams) -> FetchResult {
    match fetch(repo, params, 65536).unwrap() {
        Event::Done(r) => r,
        other => panic!("expected a pack, got {other:?}"),
    }
}

fn push(repo: &Path, params: PushParams) -> (Result<git::PushResult, Error>, Vec<u8>, String) {
    let mut p = Push::new(params).unwrap();
    let s = drive(&mut p, "receive-pack", repo, 65536, || {});
    (s.result, s.sent, s.stderr)
}

fn me() -> Signature {
    Signature::new(
        "solodns primary",
        "dns@example.com",
        Time::new(1_700_000_100, 60),
    )
    .unwrap()
}

/// Files of `rev` per `git ls-tree -r` and `git cat-file`.
fn git_files(repo: &Path, rev: &str) -> Vec<(String, Vec<u8>)> {
    git(repo, &["ls-tree", "-r", "--format=%(path)", rev])
        .lines()
        .map(|path| {
            (
                path.to_string(),
                git_bytes(repo, &["cat-file", "blob", &format!("{rev}:{path}")]),
            )
        })
        .collect()
}

fn our_files(store: &ObjectStore, commit: &ObjectId) -> Vec<(String, Vec<u8>)> {
    store
        .files(commit)
        .unwrap()
        .into_iter()
        .map(|f| (f.path_str().unwrap().to_string(), f.data.to_vec()))
        .collect()
}

/// Commits `changes` in the working repo and pushes them to the bare one
/// with the real git client.
fn someone_else_pushes(work: &Path, bare: &Path, file: &str, data: &[u8], msg: &str) -> ObjectId {
    write_file(work, file, data);
    git(work, &["add", "-A"]);
    git(work, &["commit", "-q", "-m", msg]);
    git(work, &["push", "-q", bare.to_str().unwrap(), "main"]);
    rev_parse(bare, "main")
}

#[test]
fn shallow_clone_of_head_branch() {
    let work = make_work_repo("clone");
    let bare = make_bare(&work, "clone-bare");
    let head = rev_parse(&bare, "main");
    // Read in small pieces to exercise the incremental decoders.
    for chunk in [65536, 7] {
        let r = match fetch(&bare, FetchParams::shallow_clone(None), chunk).unwrap() {
            Event::Done(r) => r,
            other => panic!("{other:?}"),
        };
        assert_eq!(r.refname, "refs/heads/main");
        assert_eq!(r.head, head);
        assert_eq!(r.shallow, vec![head], "the tip's parent is cut off");
        assert!(r.common.is_empty());
        let mut store = ObjectStore::new();
        let n = store.add_pack(&r.pack, &Limits::default()).unwrap();
        // commit + every tree and blob of its snapshot, nothing more.
        let entries = git(&bare, &["ls-tree", "-r", "-t", "main"]).lines().count();
        assert_eq!(n, entries + 2);
        assert_eq!(our_files(&store, &head), git_files(&bare, "main"));
        let c = store.commit(&head).unwrap();
        assert_eq!(c.author.name, b"A U Thor");
        assert_eq!(c.message, b"second\n");
    }
}

#[test]
fn clone_named_branch_and_errors() {
    let work = make_work_repo("branch");
    git(&work, &["branch", "zones", "HEAD~1"]);
    let bare = make_bare(&work, "branch-bare");
    let r = fetch_done(&bare, FetchParams::shallow_clone(Some("zones")));
    assert_eq!(r.refname, "refs/heads/zones");
    assert_eq!(r.head, rev_parse(&bare, "zones"));
    // git marks the depth boundary shallow even for a root commit.
    assert_eq!(r.shallow, vec![r.head]);

    // Full history: no deepen.
    let mut params = FetchParams::shallow_clone(None);
    params.depth = None;
    let r = fetch_done(&bare, params);
    let mut store = ObjectStore::new();
    store.add_pack(&r.pack, &Limits::default()).unwrap();
    let parent = store.commit(&r.head).unwrap().parents[0];
    assert!(store.commit(&parent).is_ok());

    assert_eq!(
        fetch(&bare, FetchParams::shallow_clone(Some("nope")), 65536),
        Err(Error::BranchNotFound {
            refname: "refs/heads/nope".into()
        })
    );

    let empty = scratch("empty");
    git(&empty, &["init", "-q", "--bare", "e.git"]);
    assert_eq!(
        fetch(
            &empty.join("e.git"),
            FetchParams::shallow_clone(None),
            65536
        ),
        Err(Error::EmptyRepository)
    );
}

#[test]
fn incremental_fetch_gets_a_thin_pack_then_up_to_date() {
    let work = make_work_repo("incr");
    let bare = make_bare(&work, "incr-bare");
    let r = fetch_done(&bare, FetchParams::shallow_clone(None));
    let mut store = ObjectStore::new();
    store.add_pack(&r.pack, &Limits::default()).unwrap();
    let old = r.head;

    // A one-line change in a large file: the remote sends a delta against
    // the blob we have (a thin pack).
    let mut big = zone("example.com", 3);
    for i in 0..400 {
        big.push_str(&format!(
            "extra{i} TXT \"some text to make the zone larger {i}\"\n"
        ));
    }
    someone_else_pushes(&work, &bare, "example.com", big.as_bytes(), "big");
    let r = fetch_done(&bare, FetchParams::update(None, old));
    store.add_pack(&r.pack, &Limits::default()).unwrap();
    let mid = r.head;
    store.retain_reachable(&[mid]).unwrap();

    let changed = big.replace("extra200 TXT", "changed200 TXT");
    let new = someone_else_pushes(
        &work,
        &bare,
        "example.com",
        changed.as_bytes(),
        "small change",
    );
    let r = fetch_done(&bare, FetchParams::update(None, mid));
    assert_eq!(r.head, new);
    assert_eq!(r.common, vec![mid]);
    assert!(
        r.pack.len() < changed.len() / 4,
        "pack of {} bytes is not a delta",
        r.pack.len()
    );
    // Thin: a base is outside the pack.
    assert!(matches!(
        pack::decode(&r.pack, &Limits::default(), |_| None),
        Err(pack::Error::MissingBase {
            base: pack::BaseRef::Id(_),
            ..
        })
    ));
    assert_eq!(store.add_pack(&r.pack, &Limits::default()).unwrap(), 3);
    assert_eq!(our_files(&store, &new), git_files(&bare, "main"));
    store.retain_reachable(&[new]).unwrap();
    assert_eq!(our_files(&store, &new), git_files(&bare, "main"));

    match fetch(&bare, FetchParams::update(None, new), 65536).unwrap() {
        Event::UpToDate { refname, head } => {
            assert_eq!(refname, "refs/heads/main");
            assert_eq!(head, new);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn push_a_commit() {
    let work = make_work_repo("push");
    let bare = make_bare(&work, "push-bare");
    let r = fetch_done(&bare, FetchParams::shallow_clone(None));
    let mut store = ObjectStore::new();
    store.add_pack(&r.pack, &Limits::default()).unwrap();

    let data = zone("example.com", 99);
    let c = store
        .commit_changes(
            Some(r.head),
            &[
                Change::Write {
                    path: "example.com",
                    data: data.as_bytes(),
                },
                Change::Write {
                    path: "sub/dir/new.zone",
                    data: b"; new\n",
                },
            ],
            &me(),
            &me(),
            "UPDATE example.com by update._update.example.com.",
        )
        .unwrap();
    let pack = store.write_pack(&c.new_objects).unwrap();
    let (result, _, stderr) = push(&bare, PushParams::new("main", Some(r.head), c.id, pack));
    let result = result.unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(result.outcome, Outcome::Updated, "{result:?}");
    assert_eq!(result.refname, "refs/heads/main");

    assert_eq!(rev_parse(&bare, "main"), c.id);
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%an|%ae|%at|%cn|%s|%P"]).trim(),
        format!(
            "solodns primary|dns@example.com|1700000100|solodns primary|UPDATE example.com by update._update.example.com.|{}",
            r.head
        )
    );
    assert_eq!(
        git_bytes(&bare, &["show", "main:example.com"]),
        data.as_bytes()
    );
    git(&bare, &["fsck", "--strict", "--no-dangling"]);

    // Pushing the same commit again: nothing to do.
    let pack = store.write_pack(&c.new_objects).unwrap();
    let (result, sent, _) = push(&bare, PushParams::new("main", Some(r.head), c.id, pack));
    assert_eq!(result.unwrap().outcome, Outcome::UpToDate);
    assert_eq!(sent, b"0000");
}

#[test]
fn push_after_the_remote_moved_is_fetch_first_then_retry_succeeds() {
    let work = make_work_repo("moved");
    let bare = make_bare(&work, "moved-bare");
    let r = fetch_done(&bare, FetchParams::shallow_clone(None));
    let mut store = ObjectStore::new();
    store.add_pack(&r.pack, &Limits::default()).unwrap();
    let ours = store
        .commit_changes(
            Some(r.head),
            &[Change::Write {
                path: "example.org",
                data: zone("example.org", 7).as_bytes(),
            }],
            &me(),
            &me(),
            "ours",
        )
        .unwrap();

    let theirs = someone_else_pushes(
        &work,
        &bare,
        "example.com",
        zone("example.com", 50).as_bytes(),
        "theirs",
    );

    let pack = store.write_pack(&ours.new_objects).unwrap();
    let (result, sent, _) = push(&bare, PushParams::new("main", Some(r.head), ours.id, pack));
    let result = result.unwrap();
    let Outcome::Rejected(rejection) = result.outcome else {
        panic!("{result:?}")
    };
    assert_eq!(
        rejection,
        Rejection::FetchFirst {
            current: Some(theirs)
        }
    );
    assert!(rejection.fetch_and_retry());
    assert_eq!(sent, b"0000", "nothing uploaded");
    assert_eq!(rev_parse(&bare, "main"), theirs);

    // Fetch, redo the change on the new head, push again.
    let f = fetch_done(&bare, FetchParams::update(None, r.head));
    assert_eq!(f.head, theirs);
    store.add_pack(&f.pack, &Limits::default()).unwrap();
    store.retain_reachable(&[theirs]).unwrap();
    let again = store
        .commit_changes(
            Some(theirs),
            &[Change::Write {
                path: "example.org",
                data: zone("example.org", 7).as_bytes(),
            }],
            &me(),
            &me(),
            "ours, again",
        )
        .unwrap();
    let pack = store.write_pack(&again.new_objects).unwrap();
    let (result, _, _) = push(&bare, PushParams::new("main", Some(theirs), again.id, pack));
    assert_eq!(result.unwrap().outcome, Outcome::Updated);
    assert_eq!(
        git(&bare, &["log", "--format=%s", "-3"])
            .lines()
            .collect::<Vec<_>>(),
        ["ours, again", "theirs", "second"]
    );
    assert_eq!(
        git_bytes(&bare, &["show", "main:example.com"]),
        zone("example.com", 50).as_bytes()
    );
    git(&bare, &["fsck", "--strict", "--no-dangling"]);
}

#[test]
fn push_racing_another_update_is_rejected_by_the_remote() {
    let work = make_work_repo("race");
    let bare = make_bare(&work, "race-bare");
    let r = fetch_done(&bare, FetchParams::shallow_clone(None));
    let mut store = ObjectStore::new();
    store.add_pack(&r.pack, &Limits::default()).unwrap();
    let ours = store
        .commit_changes(
            Some(r.head),
            &[Change::Write {
                path: "x",
                data: b"x\n",
            }],
            &me(),
            &me(),
            "ours",
        )
        .unwrap();
    let pack = store.write_pack(&ours.new_objects).unwrap();

    // Between the advertisement and our command, main moves.
    let tree = git(&bare, &["rev-parse", "main^{tree}"]);
    let mut p = Push::new(PushParams::new("main", Some(r.head), ours.id, pack)).unwrap();
    let bare2 = bare.clone();
    let head = r.head.to_string();
    let s = drive(&mut p, "receive-pack", &bare, 65536, move || {
        let other = git(
            &bare2,
            &["commit-tree", "-p", &head, "-m", "racer", tree.trim()],
        );
        git(&bare2, &["update-ref", "refs/heads/main", other.trim()]);
    });
    let result = s.result.unwrap();
    let Outcome::Rejected(rejection) = &result.outcome else {
        panic!("{result:?}")
    };
    assert!(
        matches!(rejection, Rejection::RefUpdateFailed { .. }),
        "{rejection:?}"
    );
    assert!(rejection.fetch_and_retry());
    assert!(
        result
            .messages
            .iter()
            .any(|m| m.contains("cannot lock ref") || m.contains("failed")),
        "{:?}",
        result.messages
    );
    assert_eq!(
        git(&bare, &["log", "-1", "--format=%s", "main"]).trim(),
        "racer"
    );
}

#[test]
fn push_creates_a_branch_in_an_empty_repository() {
    let dir = scratch("create");
    git(&dir, &["init", "-q", "--bare", "e.git"]);
    let bare = dir.join("e.git");
    let mut store = ObjectStore::new();
    let c = store
        .commit_changes(
            None,
            &[
                Change::Write {
                    path: "example.com",
                    data: zone("example.com", 1).as_bytes(),
                },
                Change::Write {
                    path: "_keys",
                    data: b"k\n",
                },
            ],
            &me(),
            &me(),
            "initial",
        )
        .unwrap();
    let pack = store.write_pack(&c.new_objects).unwrap();
    let (result, _, stderr) = push(&bare, PushParams::new("main", None, c.id, pack));
    assert_eq!(
        result.unwrap_or_else(|e| panic!("{e}: {stderr}")).outcome,
        Outcome::Updated
    );
    assert_eq!(rev_parse(&bare, "main"), c.id);
    git(&bare, &["fsck", "--strict", "--no-dangling"]);
    // And it clones back.
    let r = fetch_done(&bare, FetchParams::shallow_clone(Some("main")));
    let mut again = ObjectStore::new();
    again.add_pack(&r.pack, &Limits::default()).unwrap();
    assert_eq!(our_files(&again, &c.id), our_files(&store, &c.id));

    // Creating it again: it exists now.
    let pack = store.write_pack(&c.new_objects).unwrap();
    let (result, _, _) = push(&bare, PushParams::new("other", Some(c.id), c.id, pack));
    assert_eq!(
        result.unwrap().outcome,
        Outcome::Rejected(Rejection::FetchFirst { current: None })
    );
}

#[test]
fn hook_rejection_is_not_retryable() {
    let work = make_work_repo("hook");
    let bare = make_bare(&work, "hook-bare");
    let hook = bare.join("hooks/pre-receive");
    std::fs::write(&hook, "#!/bin/sh\necho 'zones are frozen' >&2\nexit 1\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755)).unwrap();

    let r = fetch_done(&bare, FetchParams::shallow_clone(None));
    let mut store = ObjectStore::new();
    store.add_pack(&r.pack, &Limits::default()).unwrap();
    let c = store
        .commit_changes(
            Some(r.head),
            &[Change::Write {
                path: "x",
                data: b"x",
            }],
            &me(),
            &me(),
            "x",
        )
        .unwrap();
    let pack = store.write_pack(&c.new_objects).unwrap();
    let (result, _, _) = push(&bare, PushParams::new("main", Some(r.head), c.id, pack));
    let result = result.unwrap();
    let Outcome::Rejected(rejection) = &result.outcome else {
        panic!("{result:?}")
    };
    assert_eq!(
        rejection,
        &Rejection::Other {
            reason: "pre-receive hook declined".into()
        }
    );
    assert!(!rejection.fetch_and_retry());
    // As the primary logs it: the remote's reason, no Rust debug syntax.
    assert_eq!(rejection.to_string(), "pre-receive hook declined");
    assert_eq!(
        Rejection::FetchFirst { current: None }.to_string(),
        "fetch first: the branch moved"
    );
    assert!(
        result
            .messages
            .iter()
            .any(|m| m.contains("zones are frozen")),
        "{:?}",
        result.messages
    );
}
