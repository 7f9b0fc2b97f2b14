//! Packs written by the real git (`git repack`, `git pack-objects`, with
//! OFS_DELTA, REF_DELTA and thin packs) decode to exactly the objects git
//! has, with the ids git computes; commits and trees parse as git shows them.

// Host tests: std is fine here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

mod common;

use common::*;
use git::pack::{self, Limits};
use git::{Kind, ObjectId, ObjectStore};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// A repository with 60 revisions of a growing file (so that `repack`
/// makes long delta chains), a second file and a subdirectory.
fn make_history(name: &str) -> PathBuf {
    let dir = scratch(name);
    git(&dir, &["init", "-q"]);
    // Each revision rewrites one more line: a revision is closest to its
    // neighbours, so git chains the deltas.
    let mut lines: Vec<String> = (0..100)
        .map(|i| format!("host{i} A 192.0.2.{i} ; padding padding"))
        .collect();
    for rev in 0..60 {
        lines[rev] = format!("host{rev} AAAA 2001:db8::{rev} ; changed in revision {rev}");
        let text = lines.join("\n");
        write_file(&dir, "example.com", text.as_bytes());
        if rev % 7 == 0 {
            write_file(
                &dir,
                &format!("sub/file{rev}"),
                format!("file {rev}\n").as_bytes(),
            );
        }
        git(&dir, &["add", "-A"]);
        let out = git_cmd(&dir)
            .args([
                "commit",
                "-q",
                "-m",
                &format!("revision {rev}\n\nbody {rev}"),
            ])
            .env(
                "GIT_AUTHOR_DATE",
                format!("{} +0530", 1_700_000_000 + rev * 60),
            )
            .env(
                "GIT_COMMITTER_DATE",
                format!("{} -0800", 1_700_000_000 + rev * 61),
            )
            .output()
            .unwrap();
        assert!(out.status.success());
    }
    dir
}

/// Every object of the repository per `git cat-file --batch-all-objects`.
fn git_objects(dir: &Path) -> BTreeMap<ObjectId, (Kind, Vec<u8>)> {
    let out = git_bytes(dir, &["cat-file", "--batch-all-objects", "--batch"]);
    let mut map = BTreeMap::new();
    let mut rest = &out[..];
    while !rest.is_empty() {
        let nl = rest.iter().position(|&b| b == b'\n').unwrap();
        let header = std::str::from_utf8(&rest[..nl]).unwrap();
        let mut parts = header.split(' ');
        let id: ObjectId = parts.next().unwrap().parse().unwrap();
        let kind = match parts.next().unwrap() {
            "commit" => Kind::Commit,
            "tree" => Kind::Tree,
            "blob" => Kind::Blob,
            "tag" => Kind::Tag,
            k => panic!("{k}"),
        };
        let size: usize = parts.next().unwrap().parse().unwrap();
        let data = rest[nl + 1..nl + 1 + size].to_vec();
        rest = &rest[nl + 1 + size + 1..];
        map.insert(id, (kind, data));
    }
    map
}

fn the_pack(dir: &Path) -> Vec<u8> {
    let packdir = dir.join(".git/objects/pack");
    let packs: Vec<_> = std::fs::read_dir(&packdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pack"))
        .collect();
    assert_eq!(packs.len(), 1);
    std::fs::read(&packs[0]).unwrap()
}

fn decoded_map(objects: Vec<pack::PackObject>) -> BTreeMap<ObjectId, (Kind, Vec<u8>)> {
    objects
        .into_iter()
        .map(|o| (o.id, (o.kind, o.data)))
        .collect()
}

/// Entry types of a pack per `git verify-pack -v`: how many are deltas
/// and the longest chain.
fn delta_stats(dir: &Path) -> (usize, usize) {
    let packdir = dir.join(".git/objects/pack");
    let idx = std::fs::read_dir(&packdir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "idx"))
        .unwrap();
    let out = git(dir, &["verify-pack", "-v", idx.to_str().unwrap()]);
    let mut deltas = 0;
    let mut max_chain = 0;
    for line in out.lines() {
        let f: Vec<&str> = line.split_whitespace().collect();
        // "<id> <type> <size> <size-in-pack> <offset> <depth> <base-id>"
        if f.len() == 7 && f[0].len() == 40 {
            deltas += 1;
            max_chain = max_chain.max(f[5].parse().unwrap());
        }
    }
    (deltas, max_chain)
}

#[test]
fn repacked_ofs_deltas_decode_to_gits_objects() {
    let dir = make_history("ofs");
    git(&dir, &["repack", "-adf", "--depth=50", "--window=50", "-q"]);
    let (deltas, max_chain) = delta_stats(&dir);
    assert!(
        deltas > 50 && max_chain >= 20,
        "{deltas} deltas, longest chain {max_chain}"
    );
    let pack_bytes = the_pack(&dir);
    // git repack writes OFS_DELTA (type 6) entries.
    let decoded = pack::decode(&pack_bytes, &Limits::default(), |_| None).unwrap();
    assert_eq!(decoded_map(decoded), git_objects(&dir));

    // Limits.
    let limited = |l: Limits| pack::decode(&pack_bytes, &l, |_| None).unwrap_err();
    let d = Limits::default();
    assert!(matches!(
        limited(Limits {
            max_delta_depth: 5,
            ..d
        }),
        pack::Error::DeltaTooDeep { limit: 5, .. }
    ));
    assert!(matches!(
        limited(Limits {
            max_objects: 10,
            ..d
        }),
        pack::Error::TooManyObjects { limit: 10, .. }
    ));
    assert!(matches!(
        limited(Limits {
            max_object_size: 100,
            ..d
        }),
        pack::Error::ObjectTooLarge { limit: 100, .. }
    ));
    assert!(matches!(
        limited(Limits {
            max_total_size: 10_000,
            ..d
        }),
        pack::Error::TotalTooLarge { limit: 10_000 }
    ));
}

#[test]
fn ref_delta_pack_decodes() {
    let dir = make_history("refdelta");
    // Without --delta-base-offset, pack-objects writes REF_DELTA.
    let out = git_stdin(
        &dir,
        &[
            "pack-objects",
            "--revs",
            "--stdout",
            "--depth=50",
            "--window=50",
            "-q",
        ],
        b"main\n",
    );
    assert!(out.status.success());
    let decoded = pack::decode(&out.stdout, &Limits::default(), |_| None).unwrap();
    assert_eq!(decoded_map(decoded), git_objects(&dir));
}

#[test]
fn thin_pack_needs_and_uses_the_objects_we_hold() {
    let dir = make_history("thin");
    let base = git_stdin(
        &dir,
        &["pack-objects", "--revs", "--stdout", "-q"],
        b"main~10\n",
    );
    let mut store = ObjectStore::new();
    store.add_pack(&base.stdout, &Limits::default()).unwrap();
    let before = store.len();

    let thin = git_stdin(
        &dir,
        &[
            "pack-objects",
            "--revs",
            "--thin",
            "--stdout",
            "--delta-base-offset",
            "-q",
        ],
        b"main\n^main~10\n",
    );
    assert!(thin.status.success());
    let err = pack::decode(&thin.stdout, &Limits::default(), |_| None).unwrap_err();
    assert!(
        matches!(
            err,
            pack::Error::MissingBase {
                base: pack::BaseRef::Id(_),
                ..
            }
        ),
        "{err}"
    );

    let n = store.add_pack(&thin.stdout, &Limits::default()).unwrap();
    let wanted: Vec<ObjectId> = git(&dir, &["rev-list", "--objects", "main~10..main"])
        .lines()
        .map(|l| l[..40].parse().unwrap())
        .collect();
    assert_eq!(n, wanted.len());
    assert_eq!(store.len(), before + wanted.len());
    let all = git_objects(&dir);
    for id in &wanted {
        let o = store.get(id).unwrap();
        assert_eq!((o.kind, &o.data), (all[id].0, &all[id].1));
    }
    // A failed thin pack leaves the store unchanged.
    let mut empty = ObjectStore::new();
    assert!(empty.add_pack(&thin.stdout, &Limits::default()).is_err());
    assert!(empty.is_empty());
}

#[test]
fn commits_parse_as_git_log_shows_them() {
    let dir = make_history("commits");
    let pack_out = git_stdin(
        &dir,
        &["pack-objects", "--revs", "--stdout", "-q"],
        b"main\n",
    );
    let mut store = ObjectStore::new();
    store
        .add_pack(&pack_out.stdout, &Limits::default())
        .unwrap();
    let log = git(
        &dir,
        &[
            "log",
            "--format=%H|%T|%P|%an|%ae|%at|%ai|%cn|%ce|%ct|%ci|%B%x00",
        ],
    );
    let mut count = 0;
    for entry in log.split("\0\n").filter(|e| !e.is_empty()) {
        let f: Vec<&str> = entry.splitn(12, '|').collect();
        let c = store.commit(&f[0].parse().unwrap()).unwrap();
        assert_eq!(c.tree.to_string(), f[1]);
        assert_eq!(
            c.parents
                .iter()
                .map(|p| p.to_string())
                .collect::<Vec<_>>()
                .join(" "),
            f[2]
        );
        assert_eq!(c.author.name, f[3].as_bytes());
        assert_eq!(c.author.email, f[4].as_bytes());
        assert_eq!(c.author.time.seconds.to_string(), f[5]);
        assert_eq!(c.author.time.offset_minutes, 330, "{}", f[6]);
        assert_eq!(c.committer.name, f[7].as_bytes());
        assert_eq!(c.committer.email, f[8].as_bytes());
        assert_eq!(c.committer.time.seconds.to_string(), f[9]);
        assert_eq!(c.committer.time.offset_minutes, -480, "{}", f[10]);
        assert_eq!(
            std::str::from_utf8(c.message).unwrap().trim_end(),
            f[11].trim_end()
        );
        count += 1;
    }
    assert_eq!(count, 60);

    // Files of the tip, subdirectories included, as `git ls-tree -r`.
    let head = rev_parse(&dir, "main");
    let ours: Vec<(String, String, String)> = store
        .files(&head)
        .unwrap()
        .iter()
        .map(|f| {
            (
                format!("{:o}", f.mode.0),
                f.id.to_string(),
                f.path_str().unwrap().to_string(),
            )
        })
        .collect();
    let theirs: Vec<(String, String, String)> = git(&dir, &["ls-tree", "-r", "main"])
        .lines()
        .map(|l| {
            let (meta, path) = l.split_once('\t').unwrap();
            let m: Vec<&str> = meta.split(' ').collect();
            (m[0].to_string(), m[2].to_string(), path.to_string())
        })
        .collect();
    assert_eq!(ours, theirs);
    assert!(ours.iter().any(|(_, _, p)| p.starts_with("sub/")));
}
