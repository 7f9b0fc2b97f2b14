//! Authoritative DNS service for solodns unikernels, written once against
//! `netstack`'s socket API so the same code runs in images and host
//! processes:
//!
//! - [`DnsService`]: UDP and TCP on one port; TCP per RFC 7766 (length
//!   framing, several queries per connection, pipelined answers in order,
//!   idle timeout), answers from `dns_server::Server`.
//! - the signed control plane: TSIG (RFC 8945) on queries, UPDATE (RFC
//!   2136/3007, answered only after the owner made the change durable, see
//!   [`ControlEvent`]), NOTIFY in and out (RFC 1996), AXFR/IXFR (RFC 5936,
//!   1995) for holders of transfer keys, in the OCaml-DNS key layout;
//!   each signed request is acted on once (a replay of its MAC within the
//!   TSIG window changes nothing, see `replay.rs`).
//! - NOTIFY subscriptions (OCaml-DNS): a client whose SOA query is signed
//!   with a key that may transfer the zone (a root `_transfer.` key: every
//!   zone) is notified of the zone's changes too, on the TCP connection it
//!   asked over while that stays open, else by UDP to where it asked from;
//!   at most [`MAX_SUBSCRIPTIONS`], each forgotten [`SUBSCRIPTION_LIFETIME`]
//!   after its last SOA query or when its connection closes. Such a
//!   connection stays open while idle up to [`NOTIFY_CHANNEL_IDLE_TIMEOUT`]
//!   (the subscriber's keepalive). This is how a hidden secondary, named
//!   by no NS record and no key, maybe behind NAT, hears of changes.
//! - [`ZoneSet`]: the zones of a repository in the OCaml-DNS layout (one
//!   file per zone, named after the zone; `_keys` and `<zone>._keys` files
//!   never served), reloaded file by file: a file that fails to parse is
//!   reported with `file:line:column` and its last good version keeps
//!   serving; a zone that never loaded is not served.
//! - [`worker`]: query workers, more threads answering plain UDP queries
//!   from a snapshot of the engine (the host build's `--workers`).
#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

mod control;
mod log;
mod replay;
mod repository;
mod service;
mod subscriptions;
pub mod worker;

pub use control::{ControlEvent, UpdateId};
pub use log::{Log, LogLevel, Logger, Timestamp};
pub use repository::{is_key_file, load_keys, FileDigest, LoadReport, ZoneFile, ZoneSet};
pub use service::{DnsService, ServiceConfig};
pub use subscriptions::{
    Subscriber, MAX_SUBSCRIPTIONS, NOTIFY_CHANNEL_IDLE_TIMEOUT, SUBSCRIPTION_LIFETIME,
};
