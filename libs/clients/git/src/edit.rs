//! Writing: new blobs, the trees above them up to the root, and a commit,
//! from a list of [`Change`]s on top of a parent commit.
//!
//! The objects that are new relative to the parent (the changed blobs, the
//! trees on their paths, the commit) are listed in
//! [`NewCommit::new_objects`]: exactly what a push must send, whatever else
//! the store holds.

use alloc::collections::BTreeSet;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::object::{tree, Commit, Entry, EntryMode, Kind, Signature};
use crate::oid::ObjectId;
use crate::store::{self, ObjectStore, MAX_TREE_DEPTH};

/// One change to a tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change<'a> {
    /// Create or replace the file at `path` (`dir/name`) with `data`. A new
    /// file gets mode 100644; a replaced one keeps an executable bit.
    /// Missing directories are created; a file in the way of a directory
    /// (or the reverse) is replaced.
    Write {
        /// Slash-separated path from the root.
        path: &'a str,
        /// New contents.
        data: &'a [u8],
    },
    /// Remove the file or directory at `path`; directories left empty
    /// disappear (git does not store empty trees).
    Delete {
        /// Slash-separated path from the root.
        path: &'a str,
    },
}

impl<'a> Change<'a> {
    /// The path the change applies to.
    pub fn path(&self) -> &'a str {
        match self {
            Change::Write { path, .. } | Change::Delete { path } => path,
        }
    }
}

/// A commit built by [`ObjectStore::commit_changes`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCommit {
    /// The commit.
    pub id: ObjectId,
    /// Its root tree.
    pub tree: ObjectId,
    /// Objects the parent does not have: changed blobs, the trees on their
    /// paths, and the commit, in that order. What a push must send.
    pub new_objects: Vec<ObjectId>,
}

/// A change that cannot be applied (a caller mistake, or a broken parent).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A path is empty, has an empty, `.`, `..` or `.git` component, or is
    /// nested deeper than [`MAX_TREE_DEPTH`].
    InvalidPath {
        /// The path.
        path: String,
    },
    /// A path to delete does not exist.
    NotFound {
        /// The path.
        path: String,
    },
    /// The parent commit or one of its trees is missing or malformed.
    Store(store::Error),
    /// A tree could not be written.
    Tree(tree::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidPath { path } => write!(
                f,
                "a path should be 1 to {MAX_TREE_DEPTH} '/'-separated names, none empty, '.', '..' or '.git', got '{path}'"
            ),
            Error::NotFound { path } => write!(f, "'{path}' should exist to be deleted"),
            Error::Store(e) => write!(f, "{e}"),
            Error::Tree(e) => write!(f, "{e}"),
        }
    }
}

impl core::error::Error for Error {}

impl From<store::Error> for Error {
    fn from(e: store::Error) -> Self {
        Error::Store(e)
    }
}

impl From<tree::Error> for Error {
    fn from(e: tree::Error) -> Self {
        Error::Tree(e)
    }
}

/// A change with its path split into components.
struct Split<'a> {
    components: Vec<&'a [u8]>,
    /// `None` for a delete.
    data: Option<&'a [u8]>,
    path: &'a str,
}

struct Writer<'s> {
    store: &'s mut ObjectStore,
    new: Vec<ObjectId>,
    seen: BTreeSet<ObjectId>,
}

impl Writer<'_> {
    fn note_new(&mut self, id: ObjectId) {
        if self.seen.insert(id) {
            self.new.push(id);
        }
    }

    /// Applies `changes` (paths relative to this tree) to the tree `base`;
    /// returns the new tree's id, or `None` if it ended up empty and
    /// `keep_empty` is false.
    fn edit(
        &mut self,
        base: Option<ObjectId>,
        changes: &[Split<'_>],
        level: usize,
        keep_empty: bool,
    ) -> Result<Option<ObjectId>, Error> {
        let mut entries: Vec<Entry> = match base {
            Some(id) => self.store.tree(&id)?.into_iter().map(Entry::from).collect(),
            None => Vec::new(),
        };
        let mut done = alloc::vec![false; changes.len()];
        for first in 0..changes.len() {
            if done[first] {
                continue;
            }
            let name = changes[first].components[level];
            // All changes under this name, in order; deeper ones batched.
            let mut i = first;
            while i < changes.len() {
                if done[i] || changes[i].components[level] != name {
                    i += 1;
                    continue;
                }
                let pos = entries.iter().position(|e| e.name == name);
                if changes[i].components.len() == level + 1 {
                    done[i] = true;
                    match changes[i].data {
                        Some(data) => {
                            let id = self.store.insert(Kind::Blob, data.to_vec());
                            let mode = match pos.map(|p| entries[p].mode) {
                                Some(m) if m == EntryMode::BLOB_EXECUTABLE => m,
                                _ => EntryMode::BLOB,
                            };
                            match pos {
                                Some(p) => {
                                    if entries[p].id != id || entries[p].mode != mode {
                                        self.note_new(id);
                                    }
                                    entries[p] = Entry {
                                        mode,
                                        name: name.to_vec(),
                                        id,
                                    };
                                }
                                None => {
                                    self.note_new(id);
                                    entries.push(Entry {
                                        mode,
                                        name: name.to_vec(),
                                        id,
                                    });
                                }
                            }
                        }
                        None => match pos {
                            Some(p) => {
                                entries.remove(p);
                            }
                            None => {
                                return Err(Error::NotFound {
                                    path: changes[i].path.into(),
                                })
                            }
                        },
                    }
                    i += 1;
                } else {
                    // The consecutive run of deeper changes under `name`.
                    let mut batch = Vec::new();
                    let mut j = i;
                    while j < changes.len() {
                        if !done[j] && changes[j].components[level] == name {
                            if changes[j].components.len() == level + 1 {
                                break;
                            }
                            done[j] = true;
                            batch.push(j);
                        }
                        j += 1;
                    }
                    let sub_base = pos
                        .filter(|&p| entries[p].mode.is_tree())
                        .map(|p| entries[p].id);
                    let sub: Vec<Split<'_>> = batch
                        .iter()
                        .map(|&k| Split {
                            components: changes[k].components.clone(),
                            data: changes[k].data,
                            path: changes[k].path,
                        })
                        .collect();
                    match (self.edit(sub_base, &sub, level + 1, false)?, pos) {
                        (Some(id), Some(p)) => {
                            entries[p] = Entry {
                                mode: EntryMode::TREE,
                                name: name.to_vec(),
                                id,
                            }
                        }
                        (Some(id), None) => entries.push(Entry {
                            mode: EntryMode::TREE,
                            name: name.to_vec(),
                            id,
                        }),
                        (None, Some(p)) => {
                            entries.remove(p);
                        }
                        (None, None) => {}
                    }
                    i = j;
                }
            }
        }
        if entries.is_empty() && !keep_empty {
            return Ok(None);
        }
        let bytes = tree::write(&mut entries)?;
        let id = self.store.insert(Kind::Tree, bytes);
        if Some(id) != base {
            self.note_new(id);
        }
        Ok(Some(id))
    }
}

fn split<'a>(change: &Change<'a>) -> Result<Split<'a>, Error> {
    let path = change.path();
    let components: Vec<&[u8]> = path.split('/').map(str::as_bytes).collect();
    if components.len() > MAX_TREE_DEPTH || !components.iter().all(|c| tree::is_valid_name(c)) {
        return Err(Error::InvalidPath { path: path.into() });
    }
    let data = match change {
        Change::Write { data, .. } => Some(*data),
        Change::Delete { .. } => None,
    };
    Ok(Split {
        components,
        data,
        path,
    })
}

impl ObjectStore {
    /// Applies `changes` in order to the tree `base` (`None`: an empty
    /// tree), adding the new blobs and trees to the store. Returns the new
    /// root tree and the objects that `base` does not have.
    pub fn write_tree(
        &mut self,
        base: Option<ObjectId>,
        changes: &[Change<'_>],
    ) -> Result<(ObjectId, Vec<ObjectId>), Error> {
        let splits = changes.iter().map(split).collect::<Result<Vec<_>, _>>()?;
        let mut w = Writer {
            store: self,
            new: Vec::new(),
            seen: BTreeSet::new(),
        };
        let id = w
            .edit(base, &splits, 0, true)?
            .expect("the root tree is kept even if empty");
        Ok((id, w.new))
    }

    /// Builds a commit on `parent` (`None`: a root commit) whose tree is
    /// the parent's with `changes` applied, e.g. "replace file X's
    /// contents". The new objects are added to the store.
    pub fn commit_changes(
        &mut self,
        parent: Option<ObjectId>,
        changes: &[Change<'_>],
        author: &Signature,
        committer: &Signature,
        message: &str,
    ) -> Result<NewCommit, Error> {
        let base_tree = match parent {
            Some(p) => Some(self.commit(&p)?.tree),
            None => None,
        };
        let (tree, mut new_objects) = self.write_tree(base_tree, changes)?;
        let commit = Commit {
            tree,
            parents: parent.into_iter().collect(),
            author: author.clone(),
            committer: committer.clone(),
            message: message.into(),
        };
        let id = self.insert(Kind::Commit, commit.to_bytes());
        new_objects.push(id);
        Ok(NewCommit {
            id,
            tree,
            new_objects,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::object::Time;
    use alloc::string::ToString;

    fn sig() -> Signature {
        Signature::new("solodns", "dns@example.com", Time::new(1_700_000_000, 0)).unwrap()
    }

    fn files(store: &ObjectStore, commit: &ObjectId) -> Vec<(String, Vec<u8>)> {
        store
            .files(commit)
            .unwrap()
            .into_iter()
            .map(|f| (f.path_str().unwrap().into(), f.data.to_vec()))
            .collect()
    }

    #[test]
    fn build_edit_delete() {
        let mut s = ObjectStore::new();
        let c1 = s
            .commit_changes(
                None,
                &[
                    Change::Write {
                        path: "example.com",
                        data: b"zone 1\n",
                    },
                    Change::Write {
                        path: "sub/dir/a",
                        data: b"a\n",
                    },
                    Change::Write {
                        path: "sub/b",
                        data: b"b\n",
                    },
                    Change::Write {
                        path: "_keys",
                        data: b"keys\n",
                    },
                ],
                &sig(),
                &sig(),
                "initial",
            )
            .unwrap();
        // 4 blobs, 3 trees (root, sub, sub/dir), the commit.
        assert_eq!(c1.new_objects.len(), 8);
        assert_eq!(
            files(&s, &c1.id),
            alloc::vec![
                ("_keys".into(), b"keys\n".to_vec()),
                ("example.com".into(), b"zone 1\n".to_vec()),
                ("sub/b".into(), b"b\n".to_vec()),
                ("sub/dir/a".into(), b"a\n".to_vec()),
            ]
        );

        let c2 = s
            .commit_changes(
                Some(c1.id),
                &[Change::Write {
                    path: "example.com",
                    data: b"zone 2\n",
                }],
                &sig(),
                &sig(),
                "update",
            )
            .unwrap();
        // One blob, the root tree, the commit: the subtrees are unchanged.
        assert_eq!(c2.new_objects.len(), 3);
        assert_eq!(s.commit(&c2.id).unwrap().parents, alloc::vec![c1.id]);

        let c3 = s
            .commit_changes(
                Some(c2.id),
                &[
                    Change::Delete { path: "sub/dir/a" },
                    Change::Delete { path: "sub/b" },
                ],
                &sig(),
                &sig(),
                "delete",
            )
            .unwrap();
        let f = files(&s, &c3.id);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(
            s.tree(&c3.tree)
                .unwrap()
                .iter()
                .map(|e| e.name)
                .collect::<Vec<_>>(),
            alloc::vec![&b"_keys"[..], b"example.com"]
        );

        // Writing the same contents creates no new blob or tree.
        let c4 = s
            .commit_changes(
                Some(c3.id),
                &[Change::Write {
                    path: "example.com",
                    data: b"zone 2\n",
                }],
                &sig(),
                &sig(),
                "noop",
            )
            .unwrap();
        assert_eq!(c4.tree, c3.tree);
        assert_eq!(c4.new_objects, alloc::vec![c4.id]);

        s.retain_reachable(&[c4.id]).unwrap();
        assert_eq!(s.len(), 4); // commit, tree, two blobs
    }

    #[test]
    fn errors() {
        let mut s = ObjectStore::new();
        for bad in ["", "a//b", "/a", "a/", "a/../b", ".git/config", "a/./b"] {
            assert!(
                matches!(
                    s.write_tree(
                        None,
                        &[Change::Write {
                            path: bad,
                            data: b""
                        }]
                    ),
                    Err(Error::InvalidPath { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            s.write_tree(None, &[Change::Delete { path: "nope" }]),
            Err(Error::NotFound { .. })
        ));
        assert!(matches!(
            s.write_tree(None, &[Change::Delete { path: "a/nope" }]),
            Err(Error::NotFound { .. })
        ));
        let missing = ObjectId::from_bytes([1; 20]);
        assert!(matches!(
            s.commit_changes(Some(missing), &[], &sig(), &sig(), "x"),
            Err(Error::Store(store::Error::Missing { .. }))
        ));
    }

    #[test]
    fn file_and_directory_replace_each_other() {
        let mut s = ObjectStore::new();
        let (t1, _) = s
            .write_tree(
                None,
                &[Change::Write {
                    path: "a",
                    data: b"file",
                }],
            )
            .unwrap();
        let (t2, _) = s
            .write_tree(
                Some(t1),
                &[Change::Write {
                    path: "a/b",
                    data: b"x",
                }],
            )
            .unwrap();
        let e = s.tree(&t2).unwrap();
        assert_eq!(e.len(), 1);
        assert!(e[0].mode.is_tree());
        let (t3, _) = s
            .write_tree(
                Some(t2),
                &[Change::Write {
                    path: "a",
                    data: b"file",
                }],
            )
            .unwrap();
        assert_eq!(t3, t1);
        let (empty, _) = s
            .write_tree(Some(t1), &[Change::Delete { path: "a" }])
            .unwrap();
        assert_eq!(
            empty.to_string(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
    }
}
