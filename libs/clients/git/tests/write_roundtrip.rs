//! Objects and packs we write are what git writes: `git index-pack` and
//! `git unpack-objects` accept our packs, `git fsck --strict` finds nothing
//! wrong, and our tree ids equal git's for the same files.

// Host tests: std is fine here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use common::*;
use git::pack::Limits;
use git::{Change, ObjectId, ObjectStore, Signature, Time};
use std::path::Path;

fn sig() -> Signature {
    Signature::new(
        "Zone Editor",
        "zones@example.net",
        Time::new(1_700_000_500, -300),
    )
    .unwrap()
}

/// Tricky names for git's tree order: a file and a directory sharing a
/// prefix with `.`, `-` and `/`, upper case, UTF-8.
const FILES: &[(&str, &[u8])] = &[
    ("example.com", b"; zone\n"),
    ("a", b"file a\n"),
    ("a.b", b"file a.b\n"),
    ("a-", b"file a-\n"),
    ("ab/c", b"in ab\n"),
    ("a0/x", b"in a0\n"),
    ("A", b"upper\n"),
    ("z\u{e9}ro.example", b"utf-8 name\n"),
    ("deep/er/and/deeper/file", b"deep\n"),
    ("empty", b""),
];

fn our_commit(store: &mut ObjectStore) -> git::NewCommit {
    let changes: Vec<Change<'_>> = FILES
        .iter()
        .map(|(p, d)| Change::Write { path: p, data: d })
        .collect();
    store
        .commit_changes(
            None,
            &changes,
            &sig(),
            &sig(),
            "zones: initial import\n\nwith a body",
        )
        .unwrap()
}

fn fsck(dir: &Path) {
    let out = git_cmd(dir)
        .args(["fsck", "--strict", "--no-dangling", "--full"])
        .output()
        .unwrap();
    assert!(
        out.status.success() && out.stderr.is_empty() && out.stdout.is_empty(),
        "fsck: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn tree_ids_match_git_for_the_same_files() {
    let dir = scratch("trees");
    git(&dir, &["init", "-q"]);
    for (p, d) in FILES {
        write_file(&dir, p, d);
    }
    git(&dir, &["add", "-A"]);
    let git_tree: ObjectId = git(&dir, &["write-tree"]).trim().parse().unwrap();
    let mut store = ObjectStore::new();
    let c = our_commit(&mut store);
    assert_eq!(c.tree, git_tree);
    // Every blob id as `git hash-object`.
    for f in store.files(&c.id).unwrap() {
        let theirs = git(&dir, &["hash-object", f.path_str().unwrap()]);
        assert_eq!(f.id.to_string(), theirs.trim());
    }
}

#[test]
fn index_pack_accepts_our_pack_and_fsck_is_clean() {
    let mut store = ObjectStore::new();
    let c1 = our_commit(&mut store);
    let c2 = store
        .commit_changes(
            Some(c1.id),
            &[
                Change::Write {
                    path: "example.com",
                    data: b"; zone v2\n",
                },
                Change::Delete {
                    path: "deep/er/and/deeper/file",
                },
                Change::Write {
                    path: "ab/new",
                    data: b"new\n",
                },
            ],
            &sig(),
            &sig(),
            "zones: update",
        )
        .unwrap();
    let mut all: Vec<ObjectId> = c1.new_objects.clone();
    all.extend(&c2.new_objects);
    let pack = store.write_pack(&all).unwrap();

    let dir = scratch("index-pack");
    git(&dir, &["init", "-q", "--bare", "r.git"]);
    let repo = dir.join("r.git");
    let out = git_stdin(
        &repo,
        &["index-pack", "--stdin", "--fix-thin", "--strict"],
        &pack,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(
        &repo,
        &["update-ref", "refs/heads/main", &c2.id.to_string()],
    );
    fsck(&repo);
    assert_eq!(
        git_bytes(&repo, &["cat-file", "commit", &c2.id.to_string()]),
        store.get(&c2.id).unwrap().data
    );
    assert_eq!(
        git(
            &repo,
            &["log", "--format=%an <%ae> %ad|%s", "--date=raw", "-1"]
        )
        .trim(),
        "Zone Editor <zones@example.net> 1700000500 -0500|zones: update"
    );
    assert_eq!(git(&repo, &["rev-list", "--count", "main"]).trim(), "2");
    // The deleted file's now-empty directories are gone.
    assert!(!git(&repo, &["ls-tree", "-r", "--name-only", "main"]).contains("deep/"));

    // unpack-objects too, into loose objects.
    let dir2 = scratch("unpack");
    git(&dir2, &["init", "-q", "--bare", "u.git"]);
    let repo2 = dir2.join("u.git");
    let out = git_stdin(&repo2, &["unpack-objects", "--strict"], &pack);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(
        &repo2,
        &["update-ref", "refs/heads/main", &c2.id.to_string()],
    );
    fsck(&repo2);

    // And our decoder reads our pack back.
    let mut again = ObjectStore::new();
    assert_eq!(
        again.add_pack(&pack, &Limits::default()).unwrap(),
        all.len()
    );
    assert_eq!(again.files(&c2.id).unwrap(), store.files(&c2.id).unwrap());
}

#[test]
fn a_change_on_top_of_a_git_commit_sends_only_new_objects() {
    let work = make_work_repo("ontop");
    let pack = git_stdin(
        &work,
        &["pack-objects", "--revs", "--stdout", "-q"],
        b"main\n",
    );
    let mut store = ObjectStore::new();
    store.add_pack(&pack.stdout, &Limits::default()).unwrap();
    let head = rev_parse(&work, "main");
    let c = store
        .commit_changes(
            Some(head),
            &[Change::Write {
                path: "sub/dir/nested.zone",
                data: b"; changed\n",
            }],
            &sig(),
            &sig(),
            "nested",
        )
        .unwrap();
    // blob, sub/dir, sub, root, commit.
    assert_eq!(c.new_objects.len(), 5);
    let ours = store.write_pack(&c.new_objects).unwrap();
    let out = git_stdin(
        &work,
        &["index-pack", "--stdin", "--fix-thin", "--strict"],
        &ours,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    git(&work, &["update-ref", "refs/heads/main", &c.id.to_string()]);
    fsck(&work);
    assert_eq!(
        git(&work, &["diff", "--name-only", "HEAD~1", "HEAD"]).trim(),
        "sub/dir/nested.zone"
    );
}
