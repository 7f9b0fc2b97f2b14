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
//! - [`ZoneSet`]: the zones of a repository in the OCaml-DNS layout (one
//!   file per zone, named after the zone; `_keys` and `<zone>._keys` files
//!   never served), reloaded file by file: a file that fails to parse is
//!   reported with `file:line:column` and its last good version keeps
//!   serving; a zone that never loaded is not served.
#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

mod control;
mod log;
mod replay;
mod repository;
mod service;

pub use control::{ControlEvent, UpdateId};
pub use log::{Log, LogLevel, Logger, Timestamp, LOG_LEVEL_ARG};
pub use repository::{is_key_file, load_keys, LoadReport, ZoneFile, ZoneSet};
pub use service::{DnsService, ServiceConfig, SERVICE_ARGS};
