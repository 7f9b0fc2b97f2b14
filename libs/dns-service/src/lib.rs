//! Authoritative DNS service for solodns unikernels, written once against
//! `netstack`'s socket API so the same code runs in images and host
//! processes:
//!
//! - [`DnsService`]: UDP and TCP on one port; TCP per RFC 7766 (length
//!   framing, several queries per connection, pipelined answers in order,
//!   idle timeout), answers from `dns_server::Server`.
//! - [`ZoneSet`]: the zones of a repository in the OCaml-DNS layout (one
//!   file per zone, named after the zone; `_keys` and `<zone>._keys` files
//!   never served), reloaded file by file: a file that fails to parse is
//!   reported with `file:line:column` and its last good version keeps
//!   serving; a zone that never loaded is not served.
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

mod repository;
mod service;

pub use repository::{is_key_file, LoadReport, ZoneFile, ZoneSet};
pub use service::{DnsService, ServiceConfig};
