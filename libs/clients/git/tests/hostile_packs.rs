//! Packs, deltas, trees and commits crafted by a hostile remote: every one
//! is an error that names what was expected, none panics, and the limits
//! hold before anything large is allocated. Ends with seeded mutation
//! fuzzing of packs, protocol transcripts and object parsers.

// Host tests: std is fine here.
#![allow(clippy::std_instead_of_core, clippy::std_instead_of_alloc)]

use git::delta;
use git::object::{tree, CommitRef};
use git::pack::{self, BaseRef, Limits};
use git::protocol::fetch::Event;
use git::{Fetch, FetchParams, Kind, ObjectId, ObjectStore, Push, PushParams};
use miniz_oxide::deflate::compress_to_vec_zlib;
use sha1::{Digest, Sha1};

/// Builds packs entry by entry.
struct PackBuilder {
    bytes: Vec<u8>,
    count: u32,
    offsets: Vec<u64>,
}

impl PackBuilder {
    fn new() -> Self {
        PackBuilder {
            bytes: b"PACK\0\0\0\x02\0\0\0\0".to_vec(),
            count: 0,
            offsets: vec![],
        }
    }

    fn header(&mut self, kind: u8, mut size: u64) {
        self.offsets.push(self.bytes.len() as u64);
        self.count += 1;
        let mut c = (kind << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size != 0 {
            self.bytes.push(c | 0x80);
            c = (size & 0x7f) as u8;
            size >>= 7;
        }
        self.bytes.push(c);
    }

    fn object(&mut self, kind: Kind, data: &[u8]) -> &mut Self {
        let t = match kind {
            Kind::Commit => 1,
            Kind::Tree => 2,
            Kind::Blob => 3,
            Kind::Tag => 4,
        };
        self.raw(t, data.len() as u64, data)
    }

    /// An entry whose header claims `size` but whose stream holds `data`.
    fn raw(&mut self, kind: u8, size: u64, data: &[u8]) -> &mut Self {
        self.header(kind, size);
        self.bytes.extend(compress_to_vec_zlib(data, 6));
        self
    }

    fn ofs_delta(&mut self, base_entry: usize, delta: &[u8]) -> &mut Self {
        let here = self.bytes.len() as u64;
        let distance = here - self.offsets[base_entry];
        self.ofs_delta_distance(distance, delta)
    }

    fn ofs_delta_distance(&mut self, distance: u64, delta: &[u8]) -> &mut Self {
        self.header(6, delta.len() as u64);
        // git's offset encoding.
        let mut d = distance;
        let mut enc = vec![(d & 0x7f) as u8];
        d >>= 7;
        while d != 0 {
            d -= 1;
            enc.push(0x80 | (d & 0x7f) as u8);
            d >>= 7;
        }
        enc.reverse();
        self.bytes.extend(enc);
        self.bytes.extend(compress_to_vec_zlib(delta, 6));
        self
    }

    fn ref_delta(&mut self, base: ObjectId, delta: &[u8]) -> &mut Self {
        self.header(7, delta.len() as u64);
        self.bytes.extend_from_slice(base.as_bytes());
        self.bytes.extend(compress_to_vec_zlib(delta, 6));
        self
    }

    fn finish(&mut self) -> Vec<u8> {
        let mut b = self.bytes.clone();
        b[8..12].copy_from_slice(&self.count.to_be_bytes());
        fix_trailer_appended(b)
    }
}

fn fix_trailer_appended(mut b: Vec<u8>) -> Vec<u8> {
    let t: [u8; 20] = Sha1::digest(&b).into();
    b.extend_from_slice(&t);
    b
}

fn fix_trailer(b: &mut [u8]) {
    let n = b.len() - 20;
    let t: [u8; 20] = Sha1::digest(&b[..n]).into();
    b[n..].copy_from_slice(&t);
}

fn varint(mut n: u64, out: &mut Vec<u8>) {
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

/// A delta that copies all of a `base_len`-byte base and appends `extra`.
fn append_delta(base_len: usize, extra: &[u8]) -> Vec<u8> {
    let mut d = vec![];
    varint(base_len as u64, &mut d);
    varint((base_len + extra.len()) as u64, &mut d);
    let mut off = 0;
    while off < base_len {
        let len = (base_len - off).min(0xffff);
        let mut op = 0x80u8;
        let mut args = vec![];
        for i in 0..4 {
            let b = ((off >> (8 * i)) & 0xff) as u8;
            if b != 0 {
                op |= 1 << i;
                args.push(b);
            }
        }
        for i in 0..2 {
            let b = ((len >> (8 * i)) & 0xff) as u8;
            if b != 0 {
                op |= 0x10 << i;
                args.push(b);
            }
        }
        d.push(op);
        d.extend(args);
        off += len;
    }
    for c in extra.chunks(127) {
        d.push(c.len() as u8);
        d.extend_from_slice(c);
    }
    d
}

fn decode(pack: &[u8]) -> Result<Vec<pack::PackObject>, pack::Error> {
    pack::decode(pack, &Limits::default(), |_| None)
}

#[test]
fn long_ofs_delta_chain_resolves_within_the_depth_limit() {
    let mut b = PackBuilder::new();
    let mut content = b"base\n".to_vec();
    b.object(Kind::Blob, &content);
    for i in 0..200 {
        let extra = format!("line {i}\n");
        b.ofs_delta(i, &append_delta(content.len(), extra.as_bytes()));
        content.extend_from_slice(extra.as_bytes());
    }
    let p = b.finish();
    let objects = decode(&p).unwrap();
    assert_eq!(objects.len(), 201);
    assert_eq!(objects[200].data, content);
    assert_eq!(
        objects[200].id,
        git::object::compute_id(Kind::Blob, &content)
    );
    let err = pack::decode(
        &p,
        &Limits {
            max_delta_depth: 199,
            ..Limits::default()
        },
        |_| None,
    )
    .unwrap_err();
    assert_eq!(
        err,
        pack::Error::DeltaTooDeep {
            offset: b.offsets[200],
            limit: 199
        }
    );
    assert!(err.to_string().contains("at most 199 deltas deep"), "{err}");
}

#[test]
fn ref_delta_to_a_later_entry_resolves_and_cycles_do_not() {
    let base = b"the base object\n";
    let base_id = git::object::compute_id(Kind::Blob, base);
    let mut b = PackBuilder::new();
    b.ref_delta(base_id, &append_delta(base.len(), b"more\n"));
    b.object(Kind::Blob, base);
    let objects = decode(&b.finish()).unwrap();
    assert_eq!(objects[0].data, b"the base object\nmore\n");

    // A and B each a delta of the other: neither can be built.
    let a = ObjectId::from_bytes([0xaa; 20]);
    let c = ObjectId::from_bytes([0xcc; 20]);
    let mut b = PackBuilder::new();
    b.ref_delta(c, &append_delta(3, b"x"));
    b.ref_delta(a, &append_delta(3, b"y"));
    assert!(matches!(
        decode(&b.finish()),
        Err(pack::Error::MissingBase {
            base: BaseRef::Id(_),
            ..
        })
    ));

    // An OFS_DELTA on an unresolvable REF_DELTA reports the chain.
    let mut b = PackBuilder::new();
    b.ref_delta(c, &append_delta(3, b"x"));
    b.ofs_delta(0, &append_delta(4, b"y"));
    let err = decode(&b.finish()).unwrap_err();
    assert!(matches!(err, pack::Error::MissingBase { .. }), "{err}");
}

#[test]
fn bad_ofs_delta_bases() {
    for distance in [0u64, 1, 5, 10_000] {
        let mut b = PackBuilder::new();
        b.object(Kind::Blob, b"abc");
        b.ofs_delta_distance(distance, &append_delta(3, b"x"));
        let err = decode(&b.finish()).unwrap_err();
        assert!(
            matches!(err, pack::Error::OffsetBase { .. }),
            "{distance}: {err}"
        );
    }
}

#[test]
fn sizes_that_lie() {
    // The header says 10 bytes, the stream has 1000 (a small zip bomb).
    let big = vec![b'a'; 1000];
    let mut b = PackBuilder::new();
    b.raw(3, 10, &big);
    assert!(matches!(
        decode(&b.finish()),
        Err(pack::Error::InflatedSize { expected: 10, .. })
    ));
    // The header says 1000, the stream has 10.
    let mut b = PackBuilder::new();
    b.raw(3, 1000, &big[..10]);
    assert!(matches!(
        decode(&b.finish()),
        Err(pack::Error::InflatedSize { expected: 1000, .. })
    ));
    // A terabyte: refused before allocating.
    let mut b = PackBuilder::new();
    b.raw(3, 1 << 40, b"x");
    assert!(
        matches!(decode(&b.finish()), Err(pack::Error::ObjectTooLarge { size, .. }) if size == 1 << 40)
    );
    // A delta whose result is huge.
    let mut d = vec![];
    varint(3, &mut d);
    varint(1 << 40, &mut d);
    let mut b = PackBuilder::new();
    b.object(Kind::Blob, b"abc");
    b.ofs_delta(0, &d);
    assert!(matches!(
        decode(&b.finish()),
        Err(pack::Error::Delta {
            error: delta::Error::TooLarge { .. },
            ..
        })
    ));
}

#[test]
fn structure_errors() {
    let mut b = PackBuilder::new();
    b.object(Kind::Blob, b"abc");
    let good = b.finish();
    decode(&good).unwrap();

    let mut bad = good.clone();
    bad[30] ^= 1;
    assert!(matches!(decode(&bad), Err(pack::Error::Checksum { .. })));

    assert!(matches!(
        decode(&good[..20]),
        Err(pack::Error::TooShort { len: 20 })
    ));

    let mut bad = good.clone();
    bad[0] = b'K';
    fix_trailer(&mut bad);
    assert_eq!(decode(&bad), Err(pack::Error::Signature));

    let mut bad = good.clone();
    bad[7] = 4;
    fix_trailer(&mut bad);
    assert_eq!(decode(&bad), Err(pack::Error::Version { version: 4 }));

    // Declares two objects, holds one.
    let mut bad = good.clone();
    bad[11] = 2;
    fix_trailer(&mut bad);
    assert!(decode(&bad).is_err());

    // Declares 4 billion objects.
    let mut bad = good.clone();
    bad[8..12].copy_from_slice(&u32::MAX.to_be_bytes());
    fix_trailer(&mut bad);
    assert!(matches!(
        decode(&bad),
        Err(pack::Error::TooManyObjects { .. })
    ));

    // Extra bytes before the trailer.
    let mut bad = good[..good.len() - 20].to_vec();
    bad.extend_from_slice(b"junk");
    let bad = fix_trailer_appended(bad);
    assert!(matches!(
        decode(&bad),
        Err(pack::Error::TrailingData { .. })
    ));

    // Type 5 is reserved, 0 invalid.
    for t in [0u8, 5] {
        let mut b = PackBuilder::new();
        b.raw(t, 3, b"abc");
        assert!(
            matches!(decode(&b.finish()), Err(pack::Error::EntryType { kind, .. }) if kind == t)
        );
    }
}

#[test]
fn store_rejects_commits_and_trees_that_do_not_parse() {
    let mut s = ObjectStore::new();
    let bad_tree = s.insert(Kind::Tree, b"100644 name-without-nul".to_vec());
    let commit = s.insert(
        Kind::Commit,
        format!("tree {bad_tree}\nauthor a <b> 1 +0000\ncommitter a <b> 1 +0000\n\nm\n")
            .into_bytes(),
    );
    let err = s.files(&commit).unwrap_err();
    assert!(err.to_string().contains("should end with NUL"), "{err}");
    let blob = s.insert(Kind::Blob, b"x".to_vec());
    let err = s.commit(&blob).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("object {blob} should be a commit, it is a blob")
    );
    // A tree that names itself cannot exist (it would need its own hash),
    // but deep nesting can: bounded.
    let mut t = s.insert(Kind::Tree, vec![]);
    for _ in 0..100 {
        let mut entry = b"40000 d\0".to_vec();
        entry.extend_from_slice(t.as_bytes());
        t = s.insert(Kind::Tree, entry);
    }
    assert!(matches!(
        s.tree_files(&t),
        Err(git::store::Error::TooDeep { .. })
    ));
}

/// xorshift64*: a seeded generator for reproducible fuzzing.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn mutate(rng: &mut Rng, input: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    for _ in 0..1 + rng.below(4) {
        if v.is_empty() {
            break;
        }
        let i = rng.below(v.len());
        match rng.below(5) {
            0 => v[i] ^= 1 << rng.below(8),
            1 => v[i] = rng.next() as u8,
            2 => {
                v.truncate(i);
            }
            3 => v.insert(i, rng.next() as u8),
            _ => {
                v.remove(i);
            }
        }
    }
    v
}

#[test]
fn fuzz_pack_decoding_never_panics() {
    let mut b = PackBuilder::new();
    let mut content = b"base contents of a zone file\n".to_vec();
    b.object(Kind::Blob, &content);
    for i in 0..8 {
        let extra = format!("line {i}\n");
        b.ofs_delta(i, &append_delta(content.len(), extra.as_bytes()));
        content.extend_from_slice(extra.as_bytes());
    }
    let base = b"the base object\n";
    b.ref_delta(
        git::object::compute_id(Kind::Blob, base),
        &append_delta(base.len(), b"more\n"),
    );
    b.object(Kind::Blob, base);
    let mut entries = vec![tree::Entry {
        mode: git::EntryMode::BLOB,
        name: b"f".to_vec(),
        id: ObjectId::from_bytes([1; 20]),
    }];
    b.object(Kind::Tree, &tree::write(&mut entries).unwrap());
    let seed = b.finish();
    decode(&seed).unwrap();

    let limits = Limits {
        max_object_size: 1 << 20,
        max_total_size: 4 << 20,
        ..Limits::default()
    };
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ok = 0;
    for _ in 0..20_000 {
        let mut p = mutate(&mut rng, &seed);
        if p.len() > 20 {
            fix_trailer(&mut p);
        }
        if pack::decode(&p, &limits, |_| None).is_ok() {
            ok += 1;
        }
    }
    // Some mutations (inside zlib literals' padding, etc.) still decode.
    assert!(ok < 20_000);
}

#[test]
fn fuzz_deltas_trees_and_commits_never_panic() {
    let mut rng = Rng(42);
    let delta_seed = append_delta(40, b"inserted text");
    let base = [7u8; 40];
    let mut tree_entries = vec![
        tree::Entry {
            mode: git::EntryMode::BLOB,
            name: b"example.com".to_vec(),
            id: ObjectId::from_bytes([1; 20]),
        },
        tree::Entry {
            mode: git::EntryMode::TREE,
            name: b"sub".to_vec(),
            id: ObjectId::from_bytes([2; 20]),
        },
    ];
    let tree_seed = tree::write(&mut tree_entries).unwrap();
    let commit_seed = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor A <a@b> 1700000000 +0100\ncommitter C <c@d> 1700000000 -0130\n\nmsg\n";
    for _ in 0..20_000 {
        let _ = delta::apply(&base, &mutate(&mut rng, &delta_seed), 1 << 16);
        let _ = tree::parse(&mutate(&mut rng, &tree_seed));
        let _ = CommitRef::parse(&mutate(&mut rng, commit_seed));
    }
}

#[test]
fn fuzz_protocol_transcripts_never_panic() {
    let clone = include_bytes!("fixtures/clone.response");
    let push = include_bytes!("fixtures/push-declined.response");
    let mut rng = Rng(7);
    for _ in 0..5_000 {
        let input = mutate(&mut rng, clone);
        let mut f = Fetch::new(FetchParams::shallow_clone(None));
        f.input(&input);
        f.input_eof();
        if let Ok(Event::Done(r)) = f.progress() {
            let _ = ObjectStore::new().add_pack(&r.pack, &Limits::default());
        }
        let input = mutate(&mut rng, push);
        let mut p = Push::new(PushParams::new("main", None, ObjectId::ZERO, vec![])).unwrap();
        p.input(&input);
        p.input_eof();
        let _ = p.progress();
    }
}
