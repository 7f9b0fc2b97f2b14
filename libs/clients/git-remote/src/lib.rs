//! A git remote reached over SSH, driven from a netstack event loop: the
//! piece between `primary-git`'s boot arguments and the sans-IO `git` and
//! `ssh` crates.
//!
//! - [`RemoteUrl`]: `ssh://user@host[:port]/path.git[#branch]`, the
//!   OCaml-DNS primary's `--remote` syntax.
//! - [`SshSession`]: a TCP connection (netstack) carrying an SSH exec
//!   channel (`ssh::ExecClient`); the caller reads and writes the remote
//!   command's stdout and stdin.
//! - [`Sync`]: keeps a shallow copy of one branch: fetches on demand,
//!   retries with exponential backoff while the remote is unreachable, and
//!   hands over the files of each new commit; commits a changed file on
//!   the current head and pushes it ([`Sync::push`]).
#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

mod exchange;
mod session;
mod sync;
mod url;

pub use session::{SessionError, SshSession};
pub use sync::{Commit, GitError, Identity, ObjectsError, RepoFile, Sync, SyncError, SyncEvent};
pub use url::{RemoteUrl, UrlError};
