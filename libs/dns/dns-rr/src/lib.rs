//! DNS names for the wire codec and the zone model, split from the
//! master-file crate (`dns-zone`) so that `dns-wire` depends on names only.
//! `no_std` + `alloc`.
//!
//! - [`name`]: names in presentation format (RFC 1035 §5.1) and
//!   uncompressed wire format, on top of [`hickory_proto::rr::Name`].
//! - [`key`]: [`NameKey`] and [`KeyBuf`], names as byte strings in
//!   canonical order (RFC 4034 §6.1), the keys of the zone store.
#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod key;
pub mod name;

pub use hickory_proto::rr::{DNSClass, Name, RecordType};
pub use key::{KeyBuf, NameKey};
