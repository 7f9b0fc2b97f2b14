//! DNS messages on the wire (RFC 1035 §4) for the control plane: UPDATE,
//! NOTIFY, zone transfers and TSIG. `no_std` + `alloc`.
//!
//! # Layers
//!
//! 1. [`header`]: the 12-octet header, opcodes, RCODEs (RFC 1035, 2136,
//!    8945) and flags.
//! 2. [`name`]: reading possibly compressed names from untrusted messages.
//! 3. [`message`]: [`Message::parse`] reads every section of a message into
//!    owned records whose names (owner and, for the types that allow it,
//!    inside RDATA) are decompressed; [`Layout::walk`] only finds where each
//!    record starts and ends (TSIG needs the offset of the last record).
//! 4. [`builder`]: [`MessageBuilder`] writes a message section by section
//!    with case-insensitive name compression and a size limit, rolling back
//!    a record that does not fit.
//!
//! The query engine (`dns-server`) has its own, narrower query parser; this
//! crate reads any message, including responses and UPDATEs whose records
//! have CLASS ANY or NONE and empty RDATA (RFC 2136 §2.5).
//!
//! # Panics
//!
//! Messages come from the network: no input makes anything here panic.
//! Every read is bounds-checked; compression pointers must point strictly
//! backwards, so name decoding ends on every input.

#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]
// Errors carry names and records (a hickory `Name` is about 80 octets)
// and travel on cold paths; boxing them would only obscure the API.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

extern crate alloc;

pub mod builder;
pub mod compress;
pub mod header;
pub mod message;
pub mod name;
mod rdata;

pub use builder::{BuildError, MessageBuilder, Section};
pub use compress::NameCompressor;
pub use header::{class, flags, opcode, rcode, Header};
pub use message::{Layout, Message, Question, Record, RecordPos};
pub use name::{read_name, WireError};

pub use dns_rr::{Name, RecordType};
