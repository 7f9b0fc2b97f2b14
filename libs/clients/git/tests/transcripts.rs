//! Golden wire transcripts recorded from the real `git upload-pack` and
//! `git receive-pack` by `tests/fixtures/make.sh`: replayed into our state
//! machines, which must send exactly the recorded requests and read the
//! recorded responses. Runs without git installed.

// Host tests: std is fine here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

use git::pack::Limits;
use git::protocol::fetch::Event;
use git::{
    Change, Fetch, FetchParams, ObjectId, ObjectStore, Outcome, Push, PushParams, Rejection,
    Signature, Time,
};

const IDS: &str = include_str!("fixtures/ids");
const CLONE_REQUEST: &[u8] = include_bytes!("fixtures/clone.request");
const CLONE_RESPONSE: &[u8] = include_bytes!("fixtures/clone.response");
const FETCH_REQUEST: &[u8] = include_bytes!("fixtures/fetch.request");
const FETCH_RESPONSE: &[u8] = include_bytes!("fixtures/fetch.response");
const PUSH_COMMAND: &[u8] = include_bytes!("fixtures/push.command");
const PUSH_RESPONSE: &[u8] = include_bytes!("fixtures/push.response");
const PUSH_DECLINED_RESPONSE: &[u8] = include_bytes!("fixtures/push-declined.response");

const ZONE_1: &[u8] = b"$ORIGIN example.com.\n@ 3600 SOA ns hostmaster 1 7200 3600 1209600 300\n@ 3600 NS ns\nns 3600 A 192.0.2.1\n";
const ZONE_2: &[u8] = b"$ORIGIN example.com.\n@ 3600 SOA ns hostmaster 2 7200 3600 1209600 300\n@ 3600 NS ns\nns 3600 A 192.0.2.1\nwww 3600 A 192.0.2.2\n";
const KEYS: &[u8] = b"update._update.example.com. DNSKEY 0 3 163 c2VjcmV0\n";

/// (head, parent, pushed commit) of the fixture repository.
fn ids() -> (ObjectId, ObjectId, ObjectId) {
    let v: Vec<ObjectId> = IDS.lines().map(|l| l.parse().unwrap()).collect();
    (v[0], v[1], v[2])
}

/// Feeds `response` in `chunk`-byte pieces; returns the final event and
/// everything the machine sent.
fn replay_fetch(params: FetchParams, response: &[u8], chunk: usize) -> (Event, Vec<u8>) {
    let mut f = Fetch::new(params);
    let mut sent = Vec::new();
    let mut pieces = response.chunks(chunk);
    loop {
        let ev = f.progress().unwrap();
        sent.extend_from_slice(f.output());
        f.consume_output(f.output().len());
        match ev {
            Event::NeedInput => match pieces.next() {
                Some(p) => f.input(p),
                None => f.input_eof(),
            },
            ev => return (ev, sent),
        }
    }
}

/// Builds the fixture's two commits with our writer, as make.sh did with git.
fn rebuild_history(store: &mut ObjectStore) -> (ObjectId, ObjectId) {
    let at = |secs| {
        (
            Signature::new("A U Thor", "author@example.com", Time::new(secs, 60)).unwrap(),
            Signature::new("C O Mitter", "committer@example.com", Time::new(secs, 60)).unwrap(),
        )
    };
    let (a, c) = at(1_700_000_000);
    let parent = store
        .commit_changes(
            None,
            &[
                Change::Write {
                    path: "example.com",
                    data: ZONE_1,
                },
                Change::Write {
                    path: "_keys",
                    data: KEYS,
                },
            ],
            &a,
            &c,
            "initial",
        )
        .unwrap();
    let (a, c) = at(1_700_000_060);
    let head = store
        .commit_changes(
            Some(parent.id),
            &[Change::Write {
                path: "example.com",
                data: ZONE_2,
            }],
            &a,
            &c,
            "serial 2",
        )
        .unwrap();
    (head.id, parent.id)
}

#[test]
fn our_writer_reproduces_gits_commit_ids() {
    let (head, parent, _) = ids();
    let mut store = ObjectStore::new();
    assert_eq!(rebuild_history(&mut store), (head, parent));
}

#[test]
fn shallow_clone_transcript() {
    let (head, _, _) = ids();
    for chunk in [1, 3, 64, 100_000] {
        let (ev, sent) = replay_fetch(FetchParams::shallow_clone(None), CLONE_RESPONSE, chunk);
        assert_eq!(sent, CLONE_REQUEST, "{}", String::from_utf8_lossy(&sent));
        let Event::Done(r) = ev else { panic!("{ev:?}") };
        assert_eq!(r.refname, "refs/heads/main");
        assert_eq!(r.head, head);
        assert_eq!(r.shallow, vec![head]);
        let mut store = ObjectStore::new();
        assert_eq!(store.add_pack(&r.pack, &Limits::default()).unwrap(), 4);
        let files: Vec<(Vec<u8>, Vec<u8>)> = store
            .files(&head)
            .unwrap()
            .into_iter()
            .map(|f| (f.path, f.data.to_vec()))
            .collect();
        assert_eq!(
            files,
            vec![
                (b"_keys".to_vec(), KEYS.to_vec()),
                (b"example.com".to_vec(), ZONE_2.to_vec())
            ]
        );
    }
}

#[test]
fn incremental_fetch_transcript() {
    let (head, parent, _) = ids();
    let mut store = ObjectStore::new();
    rebuild_history(&mut store);
    store.retain_reachable(&[parent]).unwrap();
    let (ev, sent) = replay_fetch(FetchParams::update(None, parent), FETCH_RESPONSE, 50);
    assert_eq!(sent, FETCH_REQUEST, "{}", String::from_utf8_lossy(&sent));
    let Event::Done(r) = ev else { panic!("{ev:?}") };
    assert_eq!(r.head, head);
    assert_eq!(r.common, vec![parent]);
    assert_eq!(r.shallow, vec![head]);
    // commit, root tree, example.com: _keys is unchanged.
    assert_eq!(store.add_pack(&r.pack, &Limits::default()).unwrap(), 3);
    assert_eq!(
        store.blob(&store.files(&head).unwrap()[1].id).unwrap(),
        ZONE_2
    );
}

#[test]
fn up_to_date_sends_a_flush() {
    let (head, _, _) = ids();
    let (ev, sent) = replay_fetch(FetchParams::update(None, head), FETCH_RESPONSE, 1000);
    assert_eq!(
        ev,
        Event::UpToDate {
            refname: "refs/heads/main".into(),
            head
        }
    );
    assert_eq!(sent, b"0000");
}

fn replay_push(response: &[u8], pack: &[u8]) -> (git::PushResult, Vec<u8>) {
    let (head, _, new) = ids();
    let mut p = Push::new(PushParams::new("main", Some(head), new, pack.to_vec())).unwrap();
    let mut sent = Vec::new();
    let mut pieces = response.chunks(17);
    loop {
        let ev = p.progress().unwrap();
        sent.extend_from_slice(p.output());
        p.consume_output(p.output().len());
        match ev {
            git::protocol::push::Event::NeedInput => match pieces.next() {
                Some(piece) => p.input(piece),
                None => p.input_eof(),
            },
            git::protocol::push::Event::Done(r) => return (r, sent),
        }
    }
}

#[test]
fn push_transcript() {
    let pack = b"PACK-placeholder";
    let (r, sent) = replay_push(PUSH_RESPONSE, pack);
    assert_eq!(
        &sent[..PUSH_COMMAND.len()],
        PUSH_COMMAND,
        "{}",
        String::from_utf8_lossy(&sent)
    );
    assert_eq!(&sent[PUSH_COMMAND.len()..], b"0000PACK-placeholder");
    assert_eq!(r.outcome, Outcome::Updated);
    assert_eq!(r.refname, "refs/heads/main");
}

#[test]
fn push_declined_by_hook_transcript() {
    let (r, _) = replay_push(PUSH_DECLINED_RESPONSE, b"PACK");
    assert_eq!(
        r.outcome,
        Outcome::Rejected(Rejection::Other {
            reason: "pre-receive hook declined".into()
        })
    );
    assert_eq!(r.messages, vec!["zones are frozen".to_string()]);
}
