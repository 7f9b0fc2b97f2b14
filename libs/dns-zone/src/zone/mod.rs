//! The zone model ([`model`]), its validation ([`validate`]) and SOA serial
//! arithmetic ([`serial`]).

pub mod model;
pub mod serial;
pub mod validate;
