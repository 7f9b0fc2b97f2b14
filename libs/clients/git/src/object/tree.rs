//! Tree objects: a sequence of `<octal mode> SP <name> NUL <20-byte id>`
//! entries, sorted by name where a subtree's name compares as if it ended
//! in `/` (git's `base_name_compare`).

use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use crate::object::Kind;
use crate::oid::{ObjectId, SHA1_LEN};

/// The mode of a tree entry (the octal number git writes).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EntryMode(pub u32);

impl EntryMode {
    /// A regular file.
    pub const BLOB: EntryMode = EntryMode(0o100644);
    /// An executable file.
    pub const BLOB_EXECUTABLE: EntryMode = EntryMode(0o100755);
    /// A symbolic link (the blob holds the target).
    pub const LINK: EntryMode = EntryMode(0o120000);
    /// A subtree.
    pub const TREE: EntryMode = EntryMode(0o40000);
    /// A submodule (gitlink): the id names a commit of another repository.
    pub const COMMIT: EntryMode = EntryMode(0o160000);

    /// Whether the entry is a subtree.
    pub fn is_tree(self) -> bool {
        self.0 & 0o170000 == 0o040000
    }

    /// Whether the entry is a file (regular or executable; old git also
    /// wrote group-writable modes such as 100664).
    pub fn is_file(self) -> bool {
        self.0 & 0o170000 == 0o100000
    }

    /// Whether the entry is a symbolic link.
    pub fn is_link(self) -> bool {
        self.0 & 0o170000 == 0o120000
    }

    /// Whether the entry is a submodule commit.
    pub fn is_commit(self) -> bool {
        self.0 & 0o170000 == 0o160000
    }

    /// The kind of object the entry names, or `None` for an unknown mode.
    pub fn kind(self) -> Option<Kind> {
        if self.is_tree() {
            Some(Kind::Tree)
        } else if self.is_file() || self.is_link() {
            Some(Kind::Blob)
        } else if self.is_commit() {
            Some(Kind::Commit)
        } else {
            None
        }
    }

    /// Appends the octal digits git writes (no leading zero: `40000`).
    pub fn write_octal(self, out: &mut Vec<u8>) {
        let mut digits = [0u8; 11];
        let mut n = self.0;
        let mut i = digits.len();
        loop {
            i -= 1;
            digits[i] = b'0' + (n & 7) as u8;
            n >>= 3;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(&digits[i..]);
    }
}

impl fmt::Debug for EntryMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EntryMode({:o})", self.0)
    }
}

/// One entry of a tree, borrowing the tree's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef<'a> {
    /// File mode.
    pub mode: EntryMode,
    /// File name: no `/`, no NUL.
    pub name: &'a [u8],
    /// Id of the blob, tree or commit.
    pub id: ObjectId,
}

/// An owned tree entry, for writing trees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// File mode.
    pub mode: EntryMode,
    /// File name: no `/`, no NUL, not empty, not `.` or `..`.
    pub name: Vec<u8>,
    /// Id of the blob, tree or commit.
    pub id: ObjectId,
}

impl From<EntryRef<'_>> for Entry {
    fn from(e: EntryRef<'_>) -> Self {
        Entry {
            mode: e.mode,
            name: e.name.to_vec(),
            id: e.id,
        }
    }
}

/// A malformed tree (from the remote) or an invalid entry (when writing).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// An entry's mode is not octal digits followed by a space.
    Mode {
        /// Offset of the entry in the tree.
        offset: usize,
    },
    /// An entry's name is not terminated by NUL.
    Name {
        /// Offset of the entry in the tree.
        offset: usize,
    },
    /// The tree ends inside an entry's id.
    TruncatedId {
        /// Offset of the entry in the tree.
        offset: usize,
    },
    /// A name is empty, `.`, `..`, `.git`, or contains `/` or NUL.
    InvalidName {
        /// The name.
        name: Vec<u8>,
    },
    /// Two entries have the same name.
    DuplicateName {
        /// The name.
        name: Vec<u8>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Mode { offset } => write!(
                f,
                "a tree entry should start with an octal mode and a space (entry at byte {offset})"
            ),
            Error::Name { offset } => write!(
                f,
                "a tree entry's name should end with NUL (entry at byte {offset})"
            ),
            Error::TruncatedId { offset } => write!(
                f,
                "a tree entry should end with a {SHA1_LEN}-byte id (entry at byte {offset})"
            ),
            Error::InvalidName { name } => write!(
                f,
                "a tree entry name should be non-empty, not '.', '..' or '.git', without '/' or NUL, got {:?}",
                alloc::string::String::from_utf8_lossy(name)
            ),
            Error::DuplicateName { name } => write!(
                f,
                "tree entry names should be unique, {:?} appears twice",
                alloc::string::String::from_utf8_lossy(name)
            ),
        }
    }
}

impl core::error::Error for Error {}

/// Iterates over the entries of a tree; yields an error (and then nothing)
/// at the first malformed entry.
#[derive(Debug, Clone)]
pub struct TreeRefIter<'a> {
    data: &'a [u8],
    offset: usize,
    failed: bool,
}

impl<'a> TreeRefIter<'a> {
    /// An iterator over the tree `data`.
    pub fn new(data: &'a [u8]) -> Self {
        TreeRefIter {
            data,
            offset: 0,
            failed: false,
        }
    }

    fn next_entry(&mut self) -> Result<EntryRef<'a>, Error> {
        let offset = self.offset;
        let rest = &self.data[offset..];
        let space = rest
            .iter()
            .position(|&b| b == b' ')
            .ok_or(Error::Mode { offset })?;
        let digits = &rest[..space];
        // 0o177777 fits in 6 digits; git writes at most 6.
        if digits.is_empty() || digits.len() > 7 {
            return Err(Error::Mode { offset });
        }
        let mut mode = 0u32;
        for &d in digits {
            if !(b'0'..=b'7').contains(&d) {
                return Err(Error::Mode { offset });
            }
            mode = (mode << 3) | u32::from(d - b'0');
        }
        let rest = &rest[space + 1..];
        let nul = rest
            .iter()
            .position(|&b| b == 0)
            .ok_or(Error::Name { offset })?;
        let name = &rest[..nul];
        if name.is_empty() || name.contains(&b'/') {
            return Err(Error::InvalidName {
                name: name.to_vec(),
            });
        }
        let id = rest
            .get(nul + 1..nul + 1 + SHA1_LEN)
            .and_then(ObjectId::from_slice)
            .ok_or(Error::TruncatedId { offset })?;
        self.offset = offset + space + 1 + nul + 1 + SHA1_LEN;
        Ok(EntryRef {
            mode: EntryMode(mode),
            name,
            id,
        })
    }
}

impl<'a> Iterator for TreeRefIter<'a> {
    type Item = Result<EntryRef<'a>, Error>;
    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.offset >= self.data.len() {
            return None;
        }
        let r = self.next_entry();
        self.failed = r.is_err();
        Some(r)
    }
}

/// Parses a whole tree.
pub fn parse(data: &[u8]) -> Result<Vec<EntryRef<'_>>, Error> {
    TreeRefIter::new(data).collect()
}

/// git's tree order: bytewise on the name, a subtree's name followed by `/`.
pub fn entry_order(a_name: &[u8], a_is_tree: bool, b_name: &[u8], b_is_tree: bool) -> Ordering {
    let a = a_name.iter().copied().chain(a_is_tree.then_some(b'/'));
    let b = b_name.iter().copied().chain(b_is_tree.then_some(b'/'));
    a.cmp(b)
}

/// Whether `name` may be a tree entry name that git accepts without a
/// `fsck` warning and that is safe to check out.
pub fn is_valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name != b"."
        && name != b".."
        && !name.eq_ignore_ascii_case(b".git")
        && !name.contains(&b'/')
        && !name.contains(&0)
}

/// Serialises entries as a tree: validates names, sorts them in git's
/// order, rejects duplicates.
pub fn write(entries: &mut [Entry]) -> Result<Vec<u8>, Error> {
    for e in entries.iter() {
        if !is_valid_name(&e.name) {
            return Err(Error::InvalidName {
                name: e.name.clone(),
            });
        }
    }
    entries.sort_by(|a, b| entry_order(&a.name, a.mode.is_tree(), &b.name, b.mode.is_tree()));
    // A file and a subtree of the same name sort apart ("a" < "a.b" < "a/"),
    // so compare every pair of names that could collide.
    let mut names: Vec<&[u8]> = entries.iter().map(|e| e.name.as_slice()).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::DuplicateName {
            name: w[0].to_vec(),
        });
    }
    let mut out = Vec::with_capacity(entries.iter().map(|e| e.name.len() + 28).sum());
    for e in entries.iter() {
        e.mode.write_octal(&mut out);
        out.push(b' ');
        out.extend_from_slice(&e.name);
        out.push(0);
        out.extend_from_slice(e.id.as_bytes());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes([n; 20])
    }

    #[test]
    fn write_sorts_like_git_and_parses_back() {
        let mut entries = vec![
            Entry {
                mode: EntryMode::TREE,
                name: b"a".to_vec(),
                id: id(1),
            },
            Entry {
                mode: EntryMode::BLOB,
                name: b"a.b".to_vec(),
                id: id(2),
            },
            Entry {
                mode: EntryMode::BLOB_EXECUTABLE,
                name: b"a-".to_vec(),
                id: id(3),
            },
            Entry {
                mode: EntryMode::BLOB,
                name: b"Z".to_vec(),
                id: id(4),
            },
        ];
        let bytes = write(&mut entries).unwrap();
        let parsed = parse(&bytes).unwrap();
        let names: Vec<&[u8]> = parsed.iter().map(|e| e.name).collect();
        // "a/" sorts after "a.b" and "a-" ('/' = 0x2f > '.' = 0x2e > '-').
        assert_eq!(names, vec![&b"Z"[..], b"a-", b"a.b", b"a"]);
        assert_eq!(parsed[3].mode, EntryMode::TREE);
        assert!(bytes.starts_with(b"100644 Z\0"));
        assert!(bytes[bytes.len() - 20 - 8..].starts_with(b"40000 a\0"));
    }

    #[test]
    fn rejects_bad_names_and_duplicates() {
        for bad in [&b""[..], b".", b"..", b".GIT", b"a/b", b"a\0b"] {
            let mut e = vec![Entry {
                mode: EntryMode::BLOB,
                name: bad.to_vec(),
                id: id(1),
            }];
            assert!(
                matches!(write(&mut e), Err(Error::InvalidName { .. })),
                "{bad:?}"
            );
        }
        let mut e = vec![
            Entry {
                mode: EntryMode::BLOB,
                name: b"a".to_vec(),
                id: id(1),
            },
            Entry {
                mode: EntryMode::BLOB,
                name: b"a.b".to_vec(),
                id: id(1),
            },
            Entry {
                mode: EntryMode::TREE,
                name: b"a".to_vec(),
                id: id(2),
            },
        ];
        assert!(matches!(write(&mut e), Err(Error::DuplicateName { .. })));
    }

    #[test]
    fn malformed() {
        assert!(matches!(
            parse(b"10064x a\0"),
            Err(Error::Mode { offset: 0 })
        ));
        assert!(matches!(parse(b"100644 a"), Err(Error::Name { offset: 0 })));
        assert!(matches!(
            parse(b"100644 a\0abc"),
            Err(Error::TruncatedId { offset: 0 })
        ));
        assert!(matches!(
            parse(b"100644 \0aaaaaaaaaaaaaaaaaaaa"),
            Err(Error::InvalidName { .. })
        ));
        assert_eq!(parse(b"").unwrap(), vec![]);
    }

    #[test]
    fn modes() {
        assert!(EntryMode(0o100664).is_file());
        assert_eq!(EntryMode::LINK.kind(), Some(Kind::Blob));
        assert_eq!(EntryMode::COMMIT.kind(), Some(Kind::Commit));
        assert_eq!(EntryMode(0o777).kind(), None);
        let mut v = vec![];
        EntryMode::TREE.write_octal(&mut v);
        assert_eq!(v, b"40000");
    }
}
