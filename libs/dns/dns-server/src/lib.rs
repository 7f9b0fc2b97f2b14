//! Sans-IO authoritative DNS query engine. `no_std` + `alloc`.
//!
//! Give [`Server::handle`] the bytes of a received message and the
//! transport it came on; it returns the bytes of the response, or `None`
//! when the message deserves none. No sockets, no clock: the caller owns
//! both (a unikernel's netstack, or OS sockets in the host build).
//!
//! # Layers
//!
//! 1. [`wire`]: reading (possibly compressed) names from untrusted
//!    messages; writing responses with case-insensitive name compression.
//! 2. [`query`]: the header, the one question and the OPT record of a
//!    query ([`edns`]: RFC 6891).
//! 3. [`catalog`]: the zones served, longest-match selection.
//! 4. `lookup` (private): RFC 1034 §4.3.2 inside one zone, with RFC 2308
//!    negative answers, RFC 4592 wildcards, RFC 6672 DNAME, referrals, CNAME
//!    chains inside the zone, additional addresses for NS/MX/SRV targets.
//! 5. `response` (private): encoding, truncation (TC=1) for UDP.
//! 6. [`tcp`]: RFC 7766 length framing.
//!
//! # Panics
//!
//! Every message comes from the network: no input makes the engine panic.
//! Malformed queries (truncated, compression loops, bad label types,
//! overlong names, wrong section counts) get FORMERR or are dropped;
//! see [`query`] for the exact rules. The `expect`s left are invariants of
//! a validated [`dns_zone::Zone`].
//!
//! # Example
//!
//! ```
//! use dns_server::{Catalog, Server, Transport};
//! let text = b"$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n NS ns\nns A 192.0.2.1\n";
//! let (zone, _) = dns_zone::Zone::parse(text, "example.com.".parse().unwrap()).unwrap();
//! let mut catalog = Catalog::new();
//! catalog.insert(zone);
//! let server = Server::new(catalog);
//! // A query for ns.example.com. A, ID 0x1234, RD set.
//! let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0];
//! q.extend_from_slice(b"\x02ns\x07example\x03com\x00\x00\x01\x00\x01");
//! let r = server.handle(&q, Transport::Udp).unwrap();
//! assert_eq!(&r[..4], &[0x12, 0x34, 0x85, 0x00]); // QR AA RD, NOERROR
//! assert_eq!(&r[6..8], &[0, 1]); // one answer
//! ```

#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub mod catalog;
pub mod edns;
mod lookup;
pub mod query;
mod response;
pub mod tcp;
pub mod wire;

use alloc::vec::Vec;

pub use catalog::Catalog;
pub use lookup::{AnyPolicy, MAX_CHAIN};
pub use query::{Query, QueryError};
pub use tcp::{frame, FrameError, TcpFramer};

use dns_zone::{KeyBuf, RecordType};
use edns::{BADVERS_HIGH, MIN_UDP_PAYLOAD};
use lookup::rcode;

/// The transport a query came on; it decides the size limit of the response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// UDP: at most 512 octets, or the EDNS payload size of the query
    /// (at least 512, at most [`edns::OUR_UDP_PAYLOAD`]); larger answers set TC.
    Udp,
    /// TCP: up to 65535 octets.
    Tcp,
}

/// Behaviour switches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Config {
    /// How QTYPE ANY is answered.
    pub any: AnyPolicy,
}

/// The query engine: a catalog of zones and a configuration.
#[derive(Debug, Clone, Default)]
pub struct Server {
    catalog: Catalog,
    config: Config,
    /// Counts [`Server::catalog_mut`] calls: a copy of the engine (a query
    /// worker's snapshot) is current while the numbers agree.
    generation: u64,
}

/// QCLASS ANY (RFC 1035 §3.2.5).
const CLASS_ANY: u16 = 255;
/// Flags kept in a FORMERR: opcode and RD (NSD keeps RD only).
const FORMERR_KEEP: u16 = 0x7800 | 0x0100;
/// Flags kept in a NOTIMP: opcode, RD, CD.
const NOTIMP_KEEP: u16 = 0x7800 | 0x0100 | 0x0010;

impl Server {
    /// An engine serving `catalog` with the default configuration.
    pub fn new(catalog: Catalog) -> Self {
        Self::with_config(catalog, Config::default())
    }

    /// An engine with an explicit configuration.
    pub fn with_config(catalog: Catalog, config: Config) -> Self {
        Self {
            catalog,
            config,
            generation: 0,
        }
    }

    /// The zones served.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// The zones served, for reloads and updates.
    pub fn catalog_mut(&mut self) -> &mut Catalog {
        self.generation = self.generation.wrapping_add(1);
        &mut self.catalog
    }

    /// Changes whenever the catalog may have changed (see [`Server::catalog_mut`]).
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Answers one received message; `None` means send nothing.
    pub fn handle(&self, msg: &[u8], transport: Transport) -> Option<Vec<u8>> {
        match query::parse(msg) {
            Ok(q) => Some(self.answer(&q, transport)),
            Err(QueryError::Drop) => None,
            Err(QueryError::FormErr { id, flags }) => Some(response::header_only(
                id,
                flags,
                FORMERR_KEEP,
                rcode::FORMERR,
            )),
            Err(QueryError::NotImp { id, flags }) => {
                Some(response::header_only(id, flags, NOTIMP_KEEP, rcode::NOTIMP))
            }
            Err(QueryError::BadVers(q)) => {
                Some(response::question_only(&q, rcode::NOERROR, BADVERS_HIGH))
            }
        }
    }

    /// Answers a parsed standard query.
    ///
    /// Zone transfers (AXFR, IXFR) are not answered here: the transfer code
    /// intercepts them before; reaching this point they are REFUSED, as
    /// NSD refuses transfers to clients outside its ACLs.
    pub fn answer(&self, q: &Query, transport: Transport) -> Vec<u8> {
        let limit = match (transport, q.edns) {
            (Transport::Tcp, _) => tcp::MAX_TCP_MESSAGE,
            (Transport::Udp, Some(edns)) => edns.udp_limit(),
            (Transport::Udp, None) => usize::from(MIN_UDP_PAYLOAD),
        };
        let class_ok = q.qclass == 1 || q.qclass == CLASS_ANY;
        let transfer = matches!(q.qtype, RecordType::AXFR | RecordType::IXFR);
        let qname_key = KeyBuf::from_name(&q.qname);
        let zone = if class_ok && !transfer {
            self.catalog.find_by_key(&qname_key)
        } else {
            None
        };
        if class_ok && !transfer && self.catalog.unavailable_by_key(&qname_key).is_some() {
            // Configured, but not loaded yet or expired (RFC 1035 §4.3.5).
            return response::question_only(q, rcode::SERVFAIL, 0);
        }
        let Some(mut zone) = zone else {
            return response::question_only(q, rcode::REFUSED, 0);
        };
        if q.qtype == RecordType::DS && *zone.origin() == q.qname && !q.qname.is_root() {
            // The DS RRset of a zone lives in its parent: when we serve the
            // parent too, answer from there (RFC 4035 §3.1.4.1).
            if let Some(parent) = self.catalog.find(&q.qname.base_name()) {
                zone = parent;
            }
        }
        let full_any = match self.config.any {
            AnyPolicy::Full => true,
            AnyPolicy::Rfc8482 => transport == Transport::Tcp,
        };
        // A chain goes on in another zone we serve, unless that one expired.
        let other_zone = |target: &dns_zone::Name| {
            self.catalog
                .find(target)
                .filter(|z| !self.catalog.is_expired(z.origin()))
        };
        let mut ans = lookup::answer(zone, &q.qname, &qname_key, q.qtype, full_any, &other_zone);
        if q.qclass == CLASS_ANY {
            // "When processing queries with QCLASS=*, ... the response
            // should never be authoritative unless the server can guarantee
            // that the response covers all classes" (RFC 1034 §6.2): no AA,
            // and so no SOA for negative caching (RFC 2308 §5), as NSD does.
            ans.aa = false;
            ans.authority.retain(|rr| rr.rtype != RecordType::SOA);
        }
        response::encode(q, &ans, limit)
    }
}
