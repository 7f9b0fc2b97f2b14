//! Finding the certificate signing requests of a zone and deciding what to
//! do about each, in OCaml-DNS's conventions (`Dns_certify`):
//!
//! - at `_letsencrypt._tcp.<host>`, a CSR is `TLSA 3 255 0 <DER CSR>`
//!   (usage domain-issued certificate, selector private, no hash);
//! - the certificate is `TLSA 3 0 0 <DER>` at the same name, each issuing
//!   certificate of its chain `TLSA 2 0 0 <DER>`, TTL 3600.
//!
//! [`assess`] decides for one name: order when there is no certificate,
//! when the published one does not certify the CSR's key or exactly its
//! names, or when less than a third of its lifetime is left; else the
//! certificate is valid until its renewal time (two thirds of its
//! lifetime). Several CSRs at one name, or a CSR we cannot read, are
//! skipped with the reason.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use dns_zone::{Name, RecordType, Zone};

use crate::x509::{self, CertificateError, CertificateInfo, CsrError, SigningRequest};

/// The first label of a name holding CSRs.
pub const LETSENCRYPT_LABEL: &[u8] = b"_letsencrypt";
/// The second label of a name holding CSRs.
pub const TCP_LABEL: &[u8] = b"_tcp";
/// TTL of the certificate and chain records we publish (OCaml-DNS's).
pub const CERTIFICATE_TTL: u32 = 3600;

/// What a TLSA record at a `_letsencrypt._tcp` name is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsaRole {
    /// `3 255 0`: a certificate signing request.
    SigningRequest,
    /// `3 0 0`: the certificate.
    Certificate,
    /// `2 0 0`: a certificate of the issuing chain.
    CaCertificate,
    /// Anything else (left alone).
    Other,
}

impl TlsaRole {
    /// The role of TLSA RDATA `rdata` (wire form: usage, selector,
    /// matching type, data).
    pub fn of(rdata: &[u8]) -> Self {
        match rdata {
            [3, 255, 0, ..] => Self::SigningRequest,
            [3, 0, 0, ..] => Self::Certificate,
            [2, 0, 0, ..] => Self::CaCertificate,
            _ => Self::Other,
        }
    }

    /// The usage, selector and matching type of the role.
    pub fn fields(self) -> Option<[u8; 3]> {
        match self {
            Self::SigningRequest => Some([3, 255, 0]),
            Self::Certificate => Some([3, 0, 0]),
            Self::CaCertificate => Some([2, 0, 0]),
            Self::Other => None,
        }
    }
}

/// TLSA RDATA of `role` holding `der`.
///
/// # Panics
///
/// Never for the three roles with fields; [`TlsaRole::Other`] has none
/// and gives the data alone (a caller mistake, not reachable from input).
pub fn tlsa_rdata(role: TlsaRole, der: &[u8]) -> Vec<u8> {
    let mut rdata = Vec::with_capacity(der.len() + 3);
    rdata.extend_from_slice(&role.fields().unwrap_or_default());
    rdata.extend_from_slice(der);
    rdata
}

/// Whether `name` is `_letsencrypt._tcp.<host>`.
pub fn is_letsencrypt_name(name: &Name) -> bool {
    let mut labels = name.iter();
    matches!(
        (labels.next(), labels.next(), labels.next()),
        (Some(a), Some(b), Some(_))
            if a.eq_ignore_ascii_case(LETSENCRYPT_LABEL) && b.eq_ignore_ascii_case(TCP_LABEL)
    )
}

/// `_letsencrypt._tcp.<host>`.
pub fn letsencrypt_name(host: &Name) -> Option<Name> {
    host.prepend_label(TCP_LABEL)
        .ok()?
        .prepend_label(LETSENCRYPT_LABEL)
        .ok()
}

/// The TLSA records at the `_letsencrypt._tcp` names of one zone: all the
/// letsencrypt secondary keeps of a zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneRequests {
    /// The zone's apex.
    pub origin: Name,
    /// Its SOA serial, for the log.
    pub serial: u32,
    /// TLSA RDATA by `_letsencrypt._tcp.<host>` name.
    pub names: BTreeMap<Name, Vec<Vec<u8>>>,
}

impl ZoneRequests {
    /// Collects them from `zone`.
    pub fn from_zone(zone: &Zone) -> Self {
        let names = zone
            .nodes()
            .filter_map(|node| {
                let rrset = node.rrset(RecordType::TLSA)?;
                let name = node.owner();
                if !is_letsencrypt_name(&name) {
                    return None;
                }
                let rdatas = rrset.rdatas().map(|r| r.as_bytes().to_vec());
                Some((name, rdatas.collect()))
            })
            .collect();
        ZoneRequests {
            origin: zone.origin().clone(),
            serial: zone.serial().0,
            names,
        }
    }
}

/// Why a certificate is ordered.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OrderReason {
    /// No `TLSA 3 0 0` at the name.
    NoCertificate,
    /// The published certificates cannot be read (the first reason).
    UnreadableCertificate(CertificateError),
    /// No published certificate is for the CSR's key.
    KeyMismatch,
    /// The certificate for the key names other hosts than the CSR.
    NamesMismatch {
        /// The certificate's names.
        certificate: Vec<String>,
    },
    /// Less than a third of the lifetime is left (or it expired).
    Renewal {
        /// Its `notAfter`, seconds since 1970.
        not_after: u64,
        /// When two thirds of its lifetime had passed.
        renew_at: u64,
    },
}

impl fmt::Display for OrderReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoCertificate => f.write_str("no certificate is published"),
            Self::UnreadableCertificate(e) => {
                write!(f, "the published certificate cannot be read ({e})")
            }
            Self::KeyMismatch => {
                f.write_str("the published certificate is not for the CSR's public key")
            }
            Self::NamesMismatch { certificate } => write!(
                f,
                "the published certificate names {}, not the CSR's names",
                certificate.join(", ")
            ),
            Self::Renewal {
                not_after,
                renew_at,
            } => write!(
                f,
                "less than a third of the certificate's lifetime is left (expires {}, renewal due since {})",
                crate::time::Rfc3339(*not_after),
                crate::time::Rfc3339(*renew_at)
            ),
        }
    }
}

/// Why a name is left alone.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// More than one CSR at the name (OCaml-DNS skips these too).
    SeveralRequests(usize),
    /// The CSR cannot be used.
    Malformed(CsrError),
    /// A name of the CSR is outside the zone, where its dns-01 record
    /// cannot be added.
    OutsideZone {
        /// The name.
        name: String,
    },
}

/// What to do about one `_letsencrypt._tcp` name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Decision {
    /// Order a certificate for `request`.
    Order {
        /// The CSR.
        request: SigningRequest,
        /// Why.
        reason: OrderReason,
    },
    /// The published certificate certifies the CSR until `renew_at`.
    Valid {
        /// The certificate.
        certificate: CertificateInfo,
        /// When to look again (seconds since 1970).
        renew_at: u64,
    },
    /// Leave the name alone.
    Skip(SkipReason),
    /// No CSR at the name (only certificates, or other TLSA records).
    NoRequest,
}

/// Decides for the TLSA records `tlsas` at `tlsa_name` in the zone
/// `origin`, at `now` (seconds since 1970).
pub fn assess(origin: &Name, tlsas: &[Vec<u8>], now: u64) -> Decision {
    let csrs: Vec<&Vec<u8>> = tlsas
        .iter()
        .filter(|r| TlsaRole::of(r) == TlsaRole::SigningRequest)
        .collect();
    let csr = match csrs.as_slice() {
        [] => return Decision::NoRequest,
        [one] => &one[3..],
        several => return Decision::Skip(SkipReason::SeveralRequests(several.len())),
    };
    let request = match x509::parse_csr(csr) {
        Ok(r) => r,
        Err(e) => return Decision::Skip(SkipReason::Malformed(e)),
    };
    for name in &request.names {
        let host = name.strip_prefix("*.").unwrap_or(name);
        if !crate::parse_name(host).is_some_and(|n| origin.zone_of(&n)) {
            return Decision::Skip(SkipReason::OutsideZone { name: name.clone() });
        }
    }
    let mut unreadable = None;
    let mut certificates = Vec::new();
    for rdata in tlsas {
        if TlsaRole::of(rdata) != TlsaRole::Certificate {
            continue;
        }
        match x509::parse_certificate(&rdata[3..]) {
            Ok(c) => certificates.push(c),
            Err(e) => {
                unreadable.get_or_insert(e);
            }
        }
    }
    // The best certificate: one for the key and the names, the latest to
    // expire; else tell the closest miss.
    let best = certificates
        .iter()
        .filter(|c| c.matches(&request))
        .max_by_key(|c| c.not_after);
    let reason = match best {
        Some(c) if now < c.renewal_time() => {
            return Decision::Valid {
                certificate: c.clone(),
                renew_at: c.renewal_time(),
            }
        }
        Some(c) => OrderReason::Renewal {
            not_after: c.not_after,
            renew_at: c.renewal_time(),
        },
        None => match certificates
            .iter()
            .find(|c| c.public_key == request.public_key)
        {
            Some(c) => OrderReason::NamesMismatch {
                certificate: c.names.clone(),
            },
            None if !certificates.is_empty() => OrderReason::KeyMismatch,
            None => match unreadable {
                Some(e) => OrderReason::UnreadableCertificate(e),
                None => OrderReason::NoCertificate,
            },
        },
    };
    Decision::Order { request, reason }
}

impl SkipReason {
    /// The log line for skipping `name` (zone `origin`).
    pub fn log_line(&self, name: &Name, origin: &Name) -> String {
        let name = name.to_ascii();
        match self {
            Self::SeveralRequests(2) => alloc::format!(
                "two CSRs at {name}: skipped (publish exactly one TLSA 3 255 0 per name)"
            ),
            Self::SeveralRequests(n) => alloc::format!(
                "{n} CSRs at {name}: skipped (publish exactly one TLSA 3 255 0 per name)"
            ),
            Self::Malformed(e) => alloc::format!("malformed CSR at {name}: skipped: {e}"),
            Self::OutsideZone { name: host } => alloc::format!(
                "the CSR at {name} names {host}, outside zone {}: skipped (its dns-01 record cannot be added)",
                origin.to_ascii()
            ),
        }
    }
}
