//! [`NameCompressor`]: name compression (RFC 1035 §4.1.4), the one
//! compression writer of the suite: the query engine's responses
//! (dns-server) and every message [`crate::MessageBuilder`] writes
//! (transfers, UPDATE, NOTIFY) use it.
//!
//! It remembers where each name and each of its suffixes starts in the
//! message, in a small open-addressing table keyed by a hash of the
//! suffix's (lowercased) bytes. A candidate is checked against the
//! message itself, following its pointers, so the table holds two numbers
//! per suffix and writing a name allocates nothing (the writers it
//! replaces copied every suffix into a `Vec`, in a `BTreeMap` or a list
//! searched linearly).

use alloc::vec;
use alloc::vec::Vec;

/// Offsets above this cannot be the target of a compression pointer.
const MAX_POINTER: usize = 0x3fff;
/// Slots of a new table (a power of two).
const INITIAL_SLOTS: usize = 32;

/// The names written so far into one message, to point back at.
#[derive(Debug, Clone)]
pub struct NameCompressor {
    /// (hash, offset) per slot; offset 0 marks an empty slot (no name
    /// starts inside the header).
    slots: Vec<(u32, u16)>,
    used: usize,
    case_sensitive: bool,
}

/// Most labels a name has (255 octets, the root's excluded).
const MAX_LABELS: usize = 127;

/// The hashes of every suffix of the uncompressed name `wire` (its
/// labels, lowercased unless `exact`), with where each starts: FNV-1a
/// over the labels from the last one to the first, so that one pass from
/// the end gives them all.
struct Suffixes {
    /// Offsets in the name (at most 255 octets).
    starts: [u8; MAX_LABELS],
    hashes: [u32; MAX_LABELS],
    count: usize,
}

impl Suffixes {
    fn of(wire: &[u8], exact: bool) -> Suffixes {
        let mut suffixes = Suffixes {
            starts: [0; MAX_LABELS],
            hashes: [0; MAX_LABELS],
            count: 0,
        };
        let mut p = 0;
        while p < wire.len().min(256) && wire[p] != 0 && suffixes.count < MAX_LABELS {
            suffixes.starts[suffixes.count] = p as u8;
            suffixes.count += 1;
            p += 1 + usize::from(wire[p]);
        }
        let mut h: u32 = 0x811c_9dc5;
        for i in (0..suffixes.count).rev() {
            let at = usize::from(suffixes.starts[i]);
            let end = (at + 1 + usize::from(wire[at])).min(wire.len());
            for &b in &wire[at..end] {
                let b = if exact { b } else { b.to_ascii_lowercase() };
                h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
            }
            suffixes.hashes[i] = h;
        }
        suffixes
    }
}

impl NameCompressor {
    /// An empty table. `case_sensitive`: a name is compressed only against
    /// names of the same case, so that every name arrives exactly as
    /// given; otherwise against any case (more compression).
    pub fn new(case_sensitive: bool) -> Self {
        Self {
            slots: vec![(0, 0); INITIAL_SLOTS],
            used: 0,
            case_sensitive,
        }
    }

    /// Appends the uncompressed name `wire` to `buf`, ending in a pointer
    /// to the longest suffix already in `buf` if `compress`, and remembers
    /// its suffixes written as labels.
    pub fn write(&mut self, buf: &mut Vec<u8>, wire: &[u8], compress: bool) {
        let start = buf.len();
        let suffixes = Suffixes::of(wire, self.case_sensitive);
        if compress {
            for i in 0..suffixes.count {
                let p = usize::from(suffixes.starts[i]);
                if let Some(off) = self.find(buf, &wire[p..], suffixes.hashes[i]) {
                    buf.extend_from_slice(&wire[..p]);
                    buf.extend_from_slice(&(0xc000 | off).to_be_bytes());
                    self.remember(buf, &suffixes, wire, start, i, false);
                    return;
                }
            }
        }
        buf.extend_from_slice(wire);
        // Suffixes that failed to match are new; uncompressed, they may
        // repeat earlier ones, which keep their place.
        self.remember(buf, &suffixes, wire, start, suffixes.count, !compress);
    }

    /// Forgets the names at or after `len` (the message was cut back to
    /// `len` octets).
    pub fn forget_from(&mut self, len: usize) {
        let kept: Vec<(u32, u16)> = self
            .slots
            .iter()
            .copied()
            .filter(|&(_, off)| off != 0 && usize::from(off) < len)
            .collect();
        self.slots.iter_mut().for_each(|s| *s = (0, 0));
        self.used = 0;
        for (h, off) in kept {
            self.insert(h, off);
        }
    }

    /// Records the first `until` suffixes of `wire` (written at `start` of
    /// `buf`; the rest was written as a pointer), unless `if_new` and an
    /// equal one is known.
    fn remember(
        &mut self,
        buf: &[u8],
        suffixes: &Suffixes,
        wire: &[u8],
        start: usize,
        until: usize,
        if_new: bool,
    ) {
        for i in 0..until {
            let p = usize::from(suffixes.starts[i]);
            let off = start + p;
            if off > MAX_POINTER || off == 0 {
                break;
            }
            let h = suffixes.hashes[i];
            if !(if_new && self.find(&buf[..start], &wire[p..], h).is_some()) {
                self.insert(h, off as u16);
            }
        }
    }

    fn insert(&mut self, h: u32, off: u16) {
        if 2 * (self.used + 1) > self.slots.len() {
            let grown = vec![(0, 0); 2 * self.slots.len()];
            let old = core::mem::replace(&mut self.slots, grown);
            self.used = 0;
            for (h, off) in old.into_iter().filter(|&(_, off)| off != 0) {
                self.insert(h, off);
            }
        }
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        while self.slots[i].1 != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = (h, off);
        self.used += 1;
    }

    /// An earlier name in `buf` equal to the uncompressed `suffix`, whose
    /// hash is `h`.
    fn find(&self, buf: &[u8], suffix: &[u8], h: u32) -> Option<u16> {
        let mask = self.slots.len() - 1;
        let mut i = h as usize & mask;
        loop {
            let (sh, off) = self.slots[i];
            if off == 0 {
                return None;
            }
            if sh == h && same_name(buf, usize::from(off), suffix, self.case_sensitive) {
                return Some(off);
            }
            i = (i + 1) & mask;
        }
    }
}

/// Whether the name at `at` in `buf` (which may end in pointers, all to
/// earlier offsets, as this writer makes them) is `wire`.
fn same_name(buf: &[u8], mut at: usize, wire: &[u8], exact: bool) -> bool {
    let mut p = 0;
    // Bounds the walk even if `buf` were not ours.
    for _ in 0..=wire.len() {
        let Some(&len) = buf.get(at) else {
            return false;
        };
        if len & 0xc0 == 0xc0 {
            let Some(&low) = buf.get(at + 1) else {
                return false;
            };
            let target = usize::from(u16::from_be_bytes([len & 0x3f, low]));
            if target >= at {
                return false;
            }
            at = target;
            continue;
        }
        let len = usize::from(len);
        if wire.get(p) != Some(&(len as u8)) {
            return false;
        }
        if len == 0 {
            return true;
        }
        let (Some(ours), Some(theirs)) =
            (buf.get(at + 1..at + 1 + len), wire.get(p + 1..p + 1 + len))
        else {
            return false;
        };
        let equal = if exact {
            ours == theirs
        } else {
            ours.eq_ignore_ascii_case(theirs)
        };
        if !equal {
            return false;
        }
        at += 1 + len;
        p += 1 + len;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header() -> Vec<u8> {
        vec![0; 12]
    }

    #[test]
    fn points_at_the_longest_suffix_in_any_case() {
        let (mut c, mut buf) = (NameCompressor::new(false), header());
        c.write(&mut buf, b"\x03WWW\x07Example\x03com\x00", false);
        c.write(&mut buf, b"\x04mail\x07example\x03COM\x00", true);
        assert_eq!(&buf[29..], b"\x04mail\xc0\x10");
        c.write(&mut buf, b"\x03www\x07example\x03com\x00", true);
        assert_eq!(&buf[36..], b"\xc0\x0c");
        // A suffix of a name that was itself compressed.
        c.write(&mut buf, b"\x01a\x04mail\x07example\x03com\x00", true);
        assert_eq!(&buf[38..], b"\x01a\xc0\x1d");
        c.write(&mut buf, b"\x03org\x00", true);
        assert_eq!(&buf[42..], b"\x03org\x00");
    }

    #[test]
    fn case_sensitive_compression_keeps_case() {
        let (mut c, mut buf) = (NameCompressor::new(true), header());
        c.write(&mut buf, b"\x03www\x07Example\x03com\x00", true);
        c.write(&mut buf, b"\x03ftp\x07example\x03com\x00", true);
        assert_eq!(&buf[29..], b"\x03ftp\x07example\xc0\x18");
        c.write(&mut buf, b"\x03ftp\x07Example\x03com\x00", true);
        assert_eq!(&buf[43..], b"\x03ftp\xc0\x10");
    }

    #[test]
    fn forgotten_names_are_not_pointed_at() {
        let (mut c, mut buf) = (NameCompressor::new(false), header());
        c.write(&mut buf, b"\x07example\x03com\x00", true);
        let mark = buf.len();
        c.write(&mut buf, b"\x03www\x07example\x03org\x00", true);
        buf.truncate(mark);
        c.forget_from(mark);
        c.write(&mut buf, b"\x07example\x03org\x00", true);
        assert_eq!(&buf[mark..], b"\x07example\x03org\x00");
        c.write(&mut buf, b"\x03www\x07example\x03com\x00", true);
        assert_eq!(&buf[mark + 13..], b"\x03www\xc0\x0c");
    }

    #[test]
    fn thousands_of_names_grow_the_table_and_still_match() {
        let (mut c, mut buf) = (NameCompressor::new(false), header());
        let mut wire = Vec::new();
        for i in 0..3000u32 {
            wire.clear();
            let label = alloc::format!("host{i}");
            wire.push(label.len() as u8);
            wire.extend_from_slice(label.as_bytes());
            wire.extend_from_slice(b"\x03big\x07example\x00");
            c.write(&mut buf, &wire, true);
        }
        // The first name in full, every later one as its label and a pointer.
        assert_eq!(&buf[12..12 + 19], b"\x05host0\x03big\x07example\x00");
        let end = buf.len();
        c.write(&mut buf, b"\x05host7\x03big\x07example\x00", true);
        assert_eq!(buf.len() - end, 2, "the whole name as one pointer");
    }
}
