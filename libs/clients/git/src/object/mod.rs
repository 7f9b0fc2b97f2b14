//! git objects (`gitformat-pack(5)`, "Object types"): their kinds, their
//! ids, and the formats of [`tree`]s and [`commit`]s.
//!
//! An object's id is the SHA-1 of `"<kind> <size>\0"` followed by its
//! contents; [`compute_id`] computes it.

pub mod commit;
pub mod tree;

use core::fmt;
use sha1::{Digest, Sha1};

use crate::oid::ObjectId;

pub use commit::{Commit, CommitRef, Signature, SignatureRef, Time};
pub use tree::{Entry, EntryMode, EntryRef};

/// The four object kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// A commit: a tree, parents, author, committer and message.
    Commit,
    /// A tree: a sorted directory listing.
    Tree,
    /// A blob: file contents.
    Blob,
    /// An annotated tag.
    Tag,
}

impl Kind {
    /// The name used in object headers (`blob`, `tree`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Commit => "commit",
            Kind::Tree => "tree",
            Kind::Blob => "blob",
            Kind::Tag => "tag",
        }
    }

    /// The type number of a non-delta pack entry (1–4).
    pub fn pack_type(self) -> u8 {
        match self {
            Kind::Commit => 1,
            Kind::Tree => 2,
            Kind::Blob => 3,
            Kind::Tag => 4,
        }
    }

    /// The kind of a non-delta pack entry type number.
    pub fn from_pack_type(t: u8) -> Option<Kind> {
        match t {
            1 => Some(Kind::Commit),
            2 => Some(Kind::Tree),
            3 => Some(Kind::Blob),
            4 => Some(Kind::Tag),
            _ => None,
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The id of an object of `kind` with contents `data`.
pub fn compute_id(kind: Kind, data: &[u8]) -> ObjectId {
    let mut h = Sha1::new();
    h.update(kind.as_str().as_bytes());
    h.update(b" ");
    let mut digits = [0u8; 20];
    h.update(decimal(data.len() as u64, &mut digits));
    h.update(b"\0");
    h.update(data);
    ObjectId::from_bytes(h.finalize().into())
}

/// The decimal digits of `n`, written at the end of `buf`.
pub(crate) fn decimal(mut n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_blob_and_tree() {
        // `git hash-object -t blob /dev/null`, `git hash-object -t tree /dev/null`
        assert_eq!(
            compute_id(Kind::Blob, b"").to_hex(),
            *b"e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
        );
        assert_eq!(
            compute_id(Kind::Tree, b"").to_hex(),
            *b"4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
        // `printf 'hello\n' | git hash-object --stdin`
        assert_eq!(
            compute_id(Kind::Blob, b"hello\n").to_hex(),
            *b"ce013625030ba8dba906f756967f9e9ca394464a"
        );
    }

    #[test]
    fn decimal_digits() {
        let mut b = [0u8; 20];
        assert_eq!(decimal(0, &mut b), b"0");
        assert_eq!(decimal(1234567890, &mut b), b"1234567890");
        assert_eq!(decimal(u64::MAX, &mut b), b"18446744073709551615");
    }
}
