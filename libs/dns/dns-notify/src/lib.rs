//! NOTIFY (RFC 1996): telling secondaries that a zone changed.
//! `no_std` + `alloc`, sans-IO.
//!
//! - [`notify_message`] builds a NOTIFY (question `zone SOA`, the SOA in
//!   the answer section), [`notify_query`] one without the SOA (for a
//!   client that does not hold the zone); [`parse_notify`] and
//!   [`notify_response`] are the receiving side's pieces, and [`handle`] the whole of it: TSIG,
//!   authorisation (a key granting notify for the zone), the signed answer.
//! - [`Notifier`] sends NOTIFYs and retransmits each with exponential
//!   backoff until the target answers or the attempts run out
//!   ([`Notifier::poll_transmit`], [`Notifier::handle_response`],
//!   [`Notifier::poll_event`], [`Notifier::next_deadline`]); every
//!   transmission is signed afresh with the target's key.
//! - [`notify_targets`] lists whom to notify: the secondaries of the
//!   transfer keys and the in-zone addresses of the apex NS names.
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

pub mod message;
pub mod receive;
pub mod sender;

pub use message::{
    notify_message, notify_query, notify_response, parse_notify, Notify, NotifyError,
};
pub use receive::{handle, HandleError, Handled};
pub use sender::{notify_targets, Config, Event, Instant, Notifier, Transmit};
