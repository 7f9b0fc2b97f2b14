//! The zone model ([`model`], its keys [`key`]), its validation ([`validate`]), SOA serial
//! arithmetic ([`serial`]), record-by-record changes ([`edit`]) and the
//! difference between two versions ([`diff`]).

pub mod diff;
pub mod edit;
pub mod journal;
pub use dns_rr::key;
pub mod model;
mod nodes;
pub(crate) mod records;
pub mod rrset;
pub mod serial;
pub mod validate;
