//! Zone transfers: AXFR (RFC 5936) and IXFR (RFC 1995), TSIG-signed
//! (RFC 8945 §5.3.1). `no_std` + `alloc`, sans-IO.
//!
//! # Server
//!
//! [`handle`] checks a received request (TSIG, zone, key permission) and
//! returns a [`Responder`] that produces the messages of the transfer one
//! at a time (packed up to 64 KiB, each signed), so a large zone is never
//! encoded at once. A server that sends each message only when the
//! connection has taken the last one keeps the [`Transfer`] inside it
//! ([`Responder::into_transfer`]): it holds a cursor, not the zone, and is
//! given the zone as served at every step (a zone whose serial changed
//! meanwhile ends the stream with SERVFAIL). AXFR sends SOA, every record, SOA. IXFR answers from
//! the zone's [`Journal`] (a bounded history of [`dns_zone::ZoneDiff`]s):
//! the diffs from the client's serial if the journal reaches back that far,
//! else the whole zone AXFR-style; over UDP it sends the answer if it fits
//! and otherwise the SOA alone (RFC 1995 §2).
//!
//! # Client
//!
//! [`XfrClient::axfr`] / [`XfrClient::ixfr`] build the (signed) request;
//! [`XfrClient::handle_message`] consumes the answer message by message,
//! verifying TSIG on every one (a peer may leave up to 99 unsigned between
//! signed ones), and ends with an [`Outcome`]: up to date, a full validated
//! [`dns_zone::Zone`], or the diffs, which [`Outcome::into_zone`] applies
//! to our copy. Serials going backwards and malformed streams are errors.
//!
//! Journaling changes that arrive some other way (a git reload) uses
//! [`dns_zone::Zone::diff`].
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

pub mod client;
pub mod journal;
pub mod request;
pub mod server;

pub use client::{Bound, Limits, Outcome, Progress, XfrClient, XfrError};
pub use journal::Journal;
pub use request::{axfr_query, ixfr_query, Kind, RequestError, TransferRequest, Transport};
pub use server::{handle, HandleError, Handled, Plan, Responder, Transfer};
