//! Zone back to master-file text.
//!
//! The output uses absolute names, explicit TTLs and classes, one record per
//! line, the SOA first and the rest in canonical order, so that it reads back
//! to an equal [`Zone`] whatever `$ORIGIN` the reader starts with.

use alloc::string::String;
use core::fmt::Write;

use hickory_proto::rr::RecordType;

use crate::name::write_name;
use crate::rdata::print::write_rdata;
use crate::rdata::type_mnemonic;
use crate::zone::model::{RRsetRef, Zone};
use hickory_proto::rr::Name;

/// The zone as master-file text.
pub fn print_zone(zone: &Zone) -> String {
    let mut out = String::with_capacity(zone.record_count() * 48);
    out.push_str("$ORIGIN ");
    write_name(&mut out, zone.origin());
    out.push('\n');
    write_rrset(&mut out, zone.origin(), zone.soa());
    for node in zone.nodes() {
        let name = node.owner();
        for set in node.rrsets() {
            if set.rtype() != RecordType::SOA {
                write_rrset(&mut out, &name, set);
            }
        }
    }
    out
}

/// Appends the records of one RRset, one line each.
pub fn write_rrset(out: &mut String, owner: &Name, set: RRsetRef<'_>) {
    let mnemonic = type_mnemonic(set.rtype());
    for rd in set.rdatas() {
        write_name(out, owner);
        let _ = write!(out, " {} IN {} ", set.ttl(), mnemonic);
        write_rdata(out, set.rtype(), rd.as_bytes());
        out.push('\n');
    }
}
