//! An SSH client for one exec channel (`git-upload-pack '/repo.git'`),
//! sans-IO, on the `sunset` SSH implementation (curve25519-sha256,
//! ssh-ed25519, chacha20-poly1305): the only no_std SSH client we found;
//! thrussh and russh need tokio.
//!
//! What this crate adds to sunset is policy:
//! - the client key is ed25519, given as its 32-byte seed
//!   (`--ssh-key=ed25519:BASE64`, see [`ClientKey`]);
//! - the server's host key must match a pinned fingerprint as
//!   `ssh-keygen -l` prints it (`SHA256:BASE64`, see [`Authenticator`]); a
//!   mismatch refuses the connection and reports the fingerprint seen;
//! - one session channel running one command, whose stdout is the byte
//!   stream the caller reads and whose stdin it writes ([`ExecClient`]).
//!
//! The exit status may arrive before the last of the command's stdout: read
//! until [`ExecClient::stdout_ended`].
//!
//! Limit: sunset 0.6 fixes the channel window at 1000 bytes
//! (`sunset::config::DEFAULT_WINDOW`), so a transfer moves about 1000 bytes
//! per round trip: fine for zone repositories (a few MB take seconds on a
//! LAN), slow for big repositories.
//!
//! The caller moves bytes between the TCP connection and
//! [`ExecClient::input`] / [`ExecClient::output`], then calls
//! [`ExecClient::poll`] until it reports nothing new.
#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

mod client;
mod keys;

pub use client::{ExecClient, SshError, Status};
pub use keys::{fingerprint_of_blob, Authenticator, ClientKey, KeyError};
