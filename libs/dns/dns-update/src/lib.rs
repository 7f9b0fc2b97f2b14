//! Dynamic updates (RFC 2136), signed (RFC 3007, TSIG RFC 8945).
//! `no_std` + `alloc`, sans-IO.
//!
//! # Server
//!
//! [`handle`] takes a received UPDATE, the time, the [`dns_keys::KeyStore`]
//! and a way to find zones, and returns what to do: drop it, answer at
//! once (every refusal, signed when the request was), or
//! [`Handled::Changed`] with a [`server::Change`] — the new zone and the
//! diff (old SOA, deleted, new SOA, added) that the caller makes durable
//! (commit and push) before it sends [`server::Change::response`].
//!
//! The rules, in RFC order: zone section (§3.1: FORMERR, NOTAUTH),
//! prerequisites (§3.2: NOTZONE, NXDOMAIN, YXDOMAIN, NXRRSET, YXRRSET),
//! prescan (§3.4.1: NOTZONE, FORMERR), changes (§3.4.2: SOA only newer
//! and only at the apex, CNAME exclusive, the apex SOA and NS never
//! deleted by a delete-RRset or delete-name, the last apex NS kept),
//! then the serial is incremented (RFC 1982) unless the update set a
//! newer one, and the result must pass the zone loader's checks (else
//! REFUSED). All or nothing: [`apply()`] works on a copy.
//!
//! # Client
//!
//! [`UpdateBuilder`] collects prerequisites and changes (typed, or from an
//! nsupdate script with [`parse_script`]) and builds the message, signed
//! with [`UpdateBuilder::build_signed`]; [`check_response`] verifies the
//! answer.
//!
//! ```
//! use dns_update::{apply, parse_script, Applied, UpdateRequest};
//! let text = b"$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n NS ns\nns A 192.0.2.1\n";
//! let (zone, _) = dns_zone::Zone::parse(text, "example.com.".parse().unwrap()).unwrap();
//! let script = "zone example.com.\nprereq nxdomain www.example.com.\nupdate add www.example.com. 60 A 192.0.2.7\nsend\n";
//! let update = &parse_script(script).unwrap()[0];
//! let msg = update.build(42).unwrap();
//! let Applied::Changed { new, diff } = apply(&zone, &UpdateRequest::parse(&msg).unwrap()).unwrap() else {
//!     panic!("changed")
//! };
//! assert_eq!(new.serial().0, 2);
//! assert_eq!(diff.added.len(), 1);
//! ```
//!
//! # Panics
//!
//! Nothing here panics on a received message.

#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]
// Errors carry names and records (a hickory `Name` is about 80 octets)
// and travel on cold paths; boxing them would only obscure the API.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

extern crate alloc;

pub mod apply;
pub mod client;
pub mod error;
pub mod request;
pub mod server;

pub use apply::{apply, Applied};
pub use client::{
    check_response, parse_script, Prerequisite, ResponseFailure, ScriptError, Update, UpdateBuilder,
};
pub use error::Refusal;
pub use request::{RequestError, UpdateRequest};
pub use server::{handle, Change, HandleError, Handled, Rebased};
