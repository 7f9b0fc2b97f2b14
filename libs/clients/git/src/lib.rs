//! git for a unikernel: fetch one branch of a repository over git's smart
//! protocol, read its files, commit changes and push them back. `no_std` +
//! `alloc`, and no IO: the transport (an SSH exec channel running
//! `git-upload-pack '<path>'` or `git-receive-pack '<path>'`) belongs to
//! the caller.
//!
//! # Layers
//!
//! From the wire up, each layer using only those before it:
//!
//! 1. [`pktline`]: pkt-line framing (`0000` flush, `0001` delim, `0002`
//!    response end) with an incremental decoder, and side-band
//!    demultiplexing (1 = data, 2 = progress, 3 = error).
//! 2. [`oid`] and [`object`]: SHA-1 [`ObjectId`]s, object [`Kind`]s, the
//!    [`tree`](object::tree) and [`commit`](object::commit) formats, parsed
//!    into views that borrow the object and written from owned values.
//! 3. [`delta`] and [`pack`]: applying deltas; decoding a pack (trailer
//!    checked, `OFS_DELTA` and `REF_DELTA` resolved, thin-pack bases looked
//!    up, every id computed) within [`pack::Limits`]; writing a pack.
//! 4. [`store`]: [`ObjectStore`], an in-memory object database with commit,
//!    tree and "all files of commit X" accessors; [`edit`] adds new blobs,
//!    trees and a commit from a list of [`Change`]s.
//! 5. [`protocol`]: the v0 ref advertisement, and the sans-IO
//!    [`Fetch`] (upload-pack: shallow, incremental with `have`; protocol
//!    v0/v1, or v2 if the remote answers with it) and [`Push`]
//!    (receive-pack with report-status, typed rejections) state machines.
//!
//! # Use in a primary that serves a repository
//!
//! - Boot: [`Fetch`] with [`FetchParams::shallow_clone`], then
//!   [`ObjectStore::add_pack`] and [`ObjectStore::files`] of
//!   [`FetchResult::head`]; keep [`FetchResult::refname`] for pushing.
//! - Reload: [`Fetch`] with [`FetchParams::update`] (`have` and `shallow`
//!   the current commit: the pack holds only what changed, possibly thin),
//!   [`ObjectStore::add_pack`], then [`ObjectStore::retain_reachable`] to
//!   drop the old snapshot.
//! - Change: [`ObjectStore::commit_changes`], [`ObjectStore::write_pack`] of
//!   [`NewCommit::new_objects`], [`Push`]. On
//!   [`Outcome::Rejected`] with [`Rejection::fetch_and_retry`], reload and
//!   redo the change on the new head.
//!
//! # Panics
//!
//! Nothing here panics on bytes from the remote: malformed pkt-lines,
//! advertisements, packs, deltas, trees and commits are errors that say
//! what was expected. The `expect`s that remain state invariants of our
//! own data (a pack trailer slice is 20 bytes; lines we format fit in a
//! pkt-line).
//!
//! # Example: clone, change a file, push
//!
//! ```
//! use git::{Change, ObjectStore, Signature, Time};
//! use git::pack::Limits;
//!
//! // What a fetch would have delivered: here, a pack we write ourselves.
//! let mut remote = ObjectStore::new();
//! let me = Signature::new("solodns", "dns@example.com", Time::new(1_700_000_000, 0)).unwrap();
//! let first = remote
//!     .commit_changes(None, &[Change::Write { path: "example.com", data: b"old\n" }], &me, &me, "init")
//!     .unwrap();
//! let pack = remote.write_pack(&first.new_objects).unwrap();
//!
//! let mut store = ObjectStore::new();
//! store.add_pack(&pack, &Limits::default()).unwrap();
//! let files = store.files(&first.id).unwrap();
//! assert_eq!(files[0].path, b"example.com");
//! assert_eq!(files[0].data, b"old\n");
//!
//! let next = store
//!     .commit_changes(Some(first.id), &[Change::Write { path: "example.com", data: b"new\n" }], &me, &me, "update")
//!     .unwrap();
//! // blob, root tree, commit: what `Push` must upload.
//! assert_eq!(next.new_objects.len(), 3);
//! let to_push = store.write_pack(&next.new_objects).unwrap();
//! let params = git::protocol::push::PushParams::new("main", Some(first.id), next.id, to_push);
//! # let _ = params;
//! ```

#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod delta;
pub mod edit;
pub mod object;
pub mod oid;
pub mod pack;
pub mod pktline;
pub mod protocol;
pub mod store;

pub use edit::{Change, NewCommit};
pub use object::{
    Commit, CommitRef, Entry, EntryMode, EntryRef, Kind, Signature, SignatureRef, Time,
};
pub use oid::ObjectId;
pub use protocol::fetch::{Fetch, FetchParams, FetchResult};
pub use protocol::push::{Outcome, Push, PushParams, PushResult, Rejection};
pub use store::{File, Object, ObjectStore};
