//! Why an UPDATE was not applied, with the RCODE it is answered with.

use core::fmt;

use dns_keys::Denied;
use dns_zone::EditError;

use dns_wire::{rcode, Name, RecordType};
use dns_zone::name::name_to_string;
use dns_zone::type_mnemonic;

/// An UPDATE refused or failed; [`Refusal::rcode`] is the answer's RCODE.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Malformed (FORMERR); says what.
    FormErr(&'static str),
    /// A name outside the zone of the zone section (NOTZONE).
    NotZone(Name),
    /// "Name is in use" failed (NXDOMAIN).
    NxDomain(Name),
    /// "Name is not in use" failed (YXDOMAIN).
    YxDomain(Name),
    /// "RRset exists" failed, value-independent or dependent (NXRRSET).
    NxRrset(Name, RecordType),
    /// "RRset does not exist" failed (YXRRSET).
    YxRrset(Name, RecordType),
    /// We are not authoritative for the zone, or not in that class (NOTAUTH).
    NotAuth(Name),
    /// Not permitted (REFUSED): the UPDATE is not signed.
    Unsigned,
    /// Not permitted (REFUSED): the key may not update the zone.
    Denied(Denied),
    /// The changed zone would not load again (REFUSED): why.
    Invalid(EditError),
}

impl Refusal {
    /// The RCODE of the response.
    pub fn rcode(&self) -> u16 {
        match self {
            Self::FormErr(_) => rcode::FORMERR,
            Self::NotZone(_) => rcode::NOTZONE,
            Self::NxDomain(_) => rcode::NXDOMAIN,
            Self::YxDomain(_) => rcode::YXDOMAIN,
            Self::NxRrset(..) => rcode::NXRRSET,
            Self::YxRrset(..) => rcode::YXRRSET,
            Self::NotAuth(_) => rcode::NOTAUTH,
            Self::Unsigned | Self::Denied(_) | Self::Invalid(_) => rcode::REFUSED,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FormErr(what) => write!(f, "FORMERR: {what}"),
            Self::NotZone(n) => write!(f, "NOTZONE: {} is outside the zone", name_to_string(n)),
            Self::NxDomain(n) => write!(f, "NXDOMAIN: {} is not in use", name_to_string(n)),
            Self::YxDomain(n) => write!(f, "YXDOMAIN: {} is in use", name_to_string(n)),
            Self::NxRrset(n, t) => write!(
                f,
                "NXRRSET: {} {} does not exist as required",
                name_to_string(n),
                type_mnemonic(*t)
            ),
            Self::YxRrset(n, t) => write!(
                f,
                "YXRRSET: {} {} exists",
                name_to_string(n),
                type_mnemonic(*t)
            ),
            Self::NotAuth(z) => write!(f, "NOTAUTH: not authoritative for {}", name_to_string(z)),
            Self::Unsigned => f.write_str("REFUSED: unsigned UPDATE"),
            Self::Denied(why) => write!(f, "REFUSED: {why}"),
            Self::Invalid(why) => write!(f, "REFUSED: the zone would be invalid: {why}"),
        }
    }
}
