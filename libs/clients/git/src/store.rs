//! An in-memory object database: id → (kind, contents), filled from packs
//! and by the writers in [`crate::edit`], read as commits, trees and files.

use alloc::collections::{BTreeMap, BTreeSet};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::object::{commit, compute_id, tree, CommitRef, EntryMode, EntryRef, Kind};
use crate::oid::ObjectId;
use crate::pack::{self, Limits};

/// Deepest directory nesting [`ObjectStore::files`] follows. Zone
/// repositories are flat; the bound keeps path buffers small when a remote
/// sends absurdly nested trees.
pub const MAX_TREE_DEPTH: usize = 64;

/// An object held in the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Object {
    /// Its kind.
    pub kind: Kind,
    /// Its contents.
    pub data: Vec<u8>,
}

/// A file (blob or symbolic link) of a tree, with its path from the root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File<'a> {
    /// Path components joined by `/`, as bytes (git does not require UTF-8).
    pub path: Vec<u8>,
    /// Mode: a regular or executable file, or a symbolic link.
    pub mode: EntryMode,
    /// The blob id.
    pub id: ObjectId,
    /// The blob contents (for a link, its target).
    pub data: &'a [u8],
}

impl File<'_> {
    /// The path, if it is UTF-8.
    pub fn path_str(&self) -> Option<&str> {
        core::str::from_utf8(&self.path).ok()
    }
}

/// An object that is missing, of the wrong kind, or malformed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The object is not in the store.
    Missing {
        /// Its id.
        id: ObjectId,
    },
    /// The object is not of the kind its referrer says.
    WrongKind {
        /// Its id.
        id: ObjectId,
        /// The kind expected.
        expected: Kind,
        /// The kind it has.
        actual: Kind,
    },
    /// A commit does not parse.
    Commit {
        /// Its id.
        id: ObjectId,
        /// What is wrong.
        error: commit::Error,
    },
    /// A tree does not parse.
    Tree {
        /// Its id.
        id: ObjectId,
        /// What is wrong.
        error: tree::Error,
    },
    /// Trees nested deeper than [`MAX_TREE_DEPTH`].
    TooDeep {
        /// Path of the directory where the limit was hit.
        path: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Missing { id } => write!(f, "object {id} should be present, it is not"),
            Error::WrongKind {
                id,
                expected,
                actual,
            } => {
                write!(f, "object {id} should be a {expected}, it is a {actual}")
            }
            Error::Commit { id, error } => write!(f, "commit {id}: {error}"),
            Error::Tree { id, error } => write!(f, "tree {id}: {error}"),
            Error::TooDeep { path } => write!(
                f,
                "directories should nest at most {MAX_TREE_DEPTH} deep, '{path}' is deeper"
            ),
        }
    }
}

impl core::error::Error for Error {}

/// The object store.
#[derive(Debug, Clone, Default)]
pub struct ObjectStore {
    objects: BTreeMap<ObjectId, Object>,
    bytes: usize,
}

impl ObjectStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of objects.
    pub fn len(&self) -> usize {
        self.objects.len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.objects.is_empty()
    }

    /// Sum of the contents' sizes.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Whether the object is present.
    pub fn contains(&self, id: &ObjectId) -> bool {
        self.objects.contains_key(id)
    }

    /// The object with this id.
    pub fn get(&self, id: &ObjectId) -> Option<&Object> {
        self.objects.get(id)
    }

    /// All objects, in id order.
    pub fn iter(&self) -> impl Iterator<Item = (&ObjectId, &Object)> {
        self.objects.iter()
    }

    /// Adds an object and returns its id (already present: unchanged).
    pub fn insert(&mut self, kind: Kind, data: Vec<u8>) -> ObjectId {
        let id = compute_id(kind, &data);
        self.insert_with_id(id, kind, data);
        id
    }

    fn insert_with_id(&mut self, id: ObjectId, kind: Kind, data: Vec<u8>) {
        if let alloc::collections::btree_map::Entry::Vacant(v) = self.objects.entry(id) {
            self.bytes += data.len();
            v.insert(Object { kind, data });
        }
    }

    /// Decodes a pack (thin-pack bases come from this store) and adds its
    /// objects. On error the store is unchanged. Returns how many objects
    /// the pack held.
    pub fn add_pack(&mut self, pack: &[u8], limits: &Limits) -> Result<usize, pack::Error> {
        let objects = pack::decode(pack, limits, |id| {
            self.objects.get(id).map(|o| (o.kind, o.data.as_slice()))
        })?;
        let n = objects.len();
        for o in objects {
            self.insert_with_id(o.id, o.kind, o.data);
        }
        Ok(n)
    }

    /// The contents of an object that must be of `kind`.
    pub fn get_kind(&self, id: &ObjectId, kind: Kind) -> Result<&[u8], Error> {
        let o = self.objects.get(id).ok_or(Error::Missing { id: *id })?;
        if o.kind != kind {
            return Err(Error::WrongKind {
                id: *id,
                expected: kind,
                actual: o.kind,
            });
        }
        Ok(&o.data)
    }

    /// A parsed commit.
    pub fn commit(&self, id: &ObjectId) -> Result<CommitRef<'_>, Error> {
        let data = self.get_kind(id, Kind::Commit)?;
        CommitRef::parse(data).map_err(|error| Error::Commit { id: *id, error })
    }

    /// A parsed tree.
    pub fn tree(&self, id: &ObjectId) -> Result<Vec<EntryRef<'_>>, Error> {
        let data = self.get_kind(id, Kind::Tree)?;
        tree::parse(data).map_err(|error| Error::Tree { id: *id, error })
    }

    /// A blob's contents.
    pub fn blob(&self, id: &ObjectId) -> Result<&[u8], Error> {
        self.get_kind(id, Kind::Blob)
    }

    /// Every file under the root tree of `commit`, with its path, in tree
    /// order (subdirectories included; submodules skipped).
    pub fn files(&self, commit: &ObjectId) -> Result<Vec<File<'_>>, Error> {
        let tree = self.commit(commit)?.tree;
        self.tree_files(&tree)
    }

    /// Every file under `tree`, with its path, in tree order.
    pub fn tree_files(&self, tree: &ObjectId) -> Result<Vec<File<'_>>, Error> {
        let mut out = Vec::new();
        // Depth-first with an explicit stack: (directory path, entries left).
        let mut stack: Vec<(Vec<u8>, alloc::vec::IntoIter<EntryRef<'_>>)> =
            alloc::vec![(Vec::new(), self.tree(tree)?.into_iter())];
        while let Some((dir, entries)) = stack.last_mut() {
            let Some(entry) = entries.next() else {
                stack.pop();
                continue;
            };
            let mut path = dir.clone();
            if !path.is_empty() {
                path.push(b'/');
            }
            path.extend_from_slice(entry.name);
            if entry.mode.is_tree() {
                if stack.len() >= MAX_TREE_DEPTH {
                    return Err(Error::TooDeep {
                        path: String::from_utf8_lossy(&path).into(),
                    });
                }
                let sub = self.tree(&entry.id)?.into_iter();
                stack.push((path, sub));
            } else if entry.mode.is_file() || entry.mode.is_link() {
                let data = self.blob(&entry.id)?;
                out.push(File {
                    path,
                    mode: entry.mode,
                    id: entry.id,
                    data,
                });
            }
        }
        Ok(out)
    }

    /// The ids of `commit`, its tree and everything under it (not its
    /// parents). Fails if any of them is missing.
    pub fn reachable(&self, commit: &ObjectId) -> Result<BTreeSet<ObjectId>, Error> {
        let mut seen = BTreeSet::new();
        seen.insert(*commit);
        let mut trees = alloc::vec![self.commit(commit)?.tree];
        while let Some(t) = trees.pop() {
            if !seen.insert(t) {
                continue;
            }
            for e in self.tree(&t)? {
                if e.mode.is_tree() {
                    trees.push(e.id);
                } else if e.mode.is_file() || e.mode.is_link() {
                    self.blob(&e.id)?;
                    seen.insert(e.id);
                }
            }
        }
        Ok(seen)
    }

    /// Drops every object not reachable from `commits` (following trees,
    /// not parents): after a fetch, keeps memory to one snapshot. On error
    /// nothing is dropped.
    pub fn retain_reachable(&mut self, commits: &[ObjectId]) -> Result<(), Error> {
        let mut keep = BTreeSet::new();
        for c in commits {
            keep.append(&mut self.reachable(c)?);
        }
        self.objects.retain(|id, _| keep.contains(id));
        self.bytes = self.objects.values().map(|o| o.data.len()).sum();
        Ok(())
    }

    /// A pack of the objects `ids` (for a push).
    pub fn write_pack(&self, ids: &[ObjectId]) -> Result<Vec<u8>, Error> {
        let mut objects = Vec::with_capacity(ids.len());
        for id in ids {
            let o = self.objects.get(id).ok_or(Error::Missing { id: *id })?;
            objects.push((o.kind, o.data.as_slice()));
        }
        Ok(pack::write(objects))
    }
}
