//! A stub resolver for `--resolver=IP`: one A or AAAA query with
//! recursion desired, and the checks its answer needs (RFC 1035 §7.3:
//! the ID and the question must be ours), following CNAMEs inside the
//! answer (RFC 1034 §3.6.2), at most [`MAX_CNAME_CHAIN`] of them. Sans-IO:
//! the caller sends [`Lookup::query`] over UDP, passes what comes back to
//! [`Lookup::answer`], and retries or gives up on its own clock
//! ([`RETRY_INTERVAL`], [`MAX_ATTEMPTS`]).

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::time::Duration;

use dns_wire::{class, flags, opcode, rcode, Header, Message, MessageBuilder};
use dns_zone::{Name, RecordType};

/// The most CNAMEs followed: a longer chain is a loop or an abuse.
pub const MAX_CNAME_CHAIN: usize = 8;
/// How long to wait for an answer before sending the query again.
pub const RETRY_INTERVAL: Duration = Duration::from_secs(2);
/// How often to send a query before giving up.
pub const MAX_ATTEMPTS: u32 = 4;

/// Which address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// IPv4, type A.
    V4,
    /// IPv6, type AAAA.
    V6,
}

impl Family {
    fn rtype(self) -> RecordType {
        match self {
            Family::V4 => RecordType::A,
            Family::V6 => RecordType::AAAA,
        }
    }
}

/// Why a lookup has no address.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResolveError {
    /// The host is not a domain name.
    BadHost(String),
    /// The message is not the answer to our query (wrong ID, not a
    /// response, another question) or cannot be read: ignore it and keep
    /// waiting.
    NotOurs,
    /// The answer was truncated (ask again over TCP).
    Truncated,
    /// The name does not exist.
    NoSuchName,
    /// The resolver answered with another error RCODE.
    Rcode(u16),
    /// The name exists but has no address of the family.
    NoAddress,
    /// More than [`MAX_CNAME_CHAIN`] CNAMEs, or a loop.
    CnameChain,
}

impl fmt::Display for ResolveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::BadHost(host) => write!(f, "'{host}' is not a host name"),
            Self::NotOurs => f.write_str("not the answer to our query"),
            Self::Truncated => f.write_str("the answer is truncated"),
            Self::NoSuchName => f.write_str("no such name (NXDOMAIN)"),
            Self::Rcode(rc) => match rcode::name(*rc) {
                Some(name) => write!(f, "the resolver answered {name}"),
                None => write!(f, "the resolver answered RCODE {rc}"),
            },
            Self::NoAddress => f.write_str("the name has no address of that family"),
            Self::CnameChain => write!(
                f,
                "the answer's CNAME chain is longer than {MAX_CNAME_CHAIN} or loops"
            ),
        }
    }
}

/// One query for the addresses of a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    host: Name,
    family: Family,
    id: u16,
}

impl Lookup {
    /// A lookup of `host`'s addresses of `family`, with query ID `id`
    /// (random: it is what keeps off-path forgeries out).
    pub fn new(host: &str, family: Family, id: u16) -> Result<Self, ResolveError> {
        let host = crate::parse_name(host).ok_or_else(|| ResolveError::BadHost(host.into()))?;
        Ok(Lookup { host, family, id })
    }

    /// The host asked for.
    pub fn host(&self) -> &Name {
        &self.host
    }

    /// The query ID.
    pub fn id(&self) -> u16 {
        self.id
    }

    /// The query to send (RD set: it goes to a recursive resolver).
    pub fn query(&self) -> Vec<u8> {
        let mut message =
            MessageBuilder::new(self.id, flags::with_opcode(opcode::QUERY) | flags::RD);
        message
            .question(&self.host, self.family.rtype(), class::IN)
            .expect("a question always fits an empty message");
        message.finish()
    }

    /// The addresses in `message`, if it is the answer to our query.
    pub fn answer(&self, message: &[u8]) -> Result<Vec<IpAddr>, ResolveError> {
        let header = Header::parse(message).map_err(|_| ResolveError::NotOurs)?;
        if header.id != self.id {
            return Err(ResolveError::NotOurs);
        }
        let message = Message::parse(message).map_err(|_| ResolveError::NotOurs)?;
        let rtype = self.family.rtype();
        if !crate::messages::answers(&message, self.id, &self.host, rtype) {
            return Err(ResolveError::NotOurs);
        }
        if message.header.flags & flags::TC != 0 {
            return Err(ResolveError::Truncated);
        }
        match message.header.rcode() {
            rcode::NOERROR => {}
            rcode::NXDOMAIN => return Err(ResolveError::NoSuchName),
            rc => return Err(ResolveError::Rcode(rc)),
        }
        // Follow the chain from the question's name.
        let mut name = self.host.clone();
        let mut seen = alloc::vec![name.clone()];
        for _ in 0..=MAX_CNAME_CHAIN {
            let addresses: Vec<IpAddr> = message
                .answers
                .iter()
                .filter(|r| r.owner == name && r.class == class::IN && r.rtype == rtype)
                .filter_map(|r| address(rtype, &r.rdata))
                .collect();
            if !addresses.is_empty() {
                return Ok(addresses);
            }
            let cname = message
                .answers
                .iter()
                .find(|r| r.owner == name && r.class == class::IN && r.rtype == RecordType::CNAME);
            let Some(cname) = cname else {
                return Err(ResolveError::NoAddress);
            };
            let Some((target, _)) = dns_zone::name::name_from_wire(&cname.rdata, 0) else {
                return Err(ResolveError::NotOurs);
            };
            if seen.contains(&target) {
                return Err(ResolveError::CnameChain);
            }
            seen.push(target.clone());
            name = target;
        }
        Err(ResolveError::CnameChain)
    }
}

fn address(rtype: RecordType, rdata: &[u8]) -> Option<IpAddr> {
    match (rtype, rdata.len()) {
        (RecordType::A, 4) => Some(IpAddr::V4(Ipv4Addr::new(
            rdata[0], rdata[1], rdata[2], rdata[3],
        ))),
        (RecordType::AAAA, 16) => {
            let mut octets = [0u8; 16];
            octets.copy_from_slice(rdata);
            Some(IpAddr::V6(Ipv6Addr::from(octets)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dns_wire::Section;

    fn name(s: &str) -> Name {
        crate::parse_name(s).unwrap()
    }

    /// A response to `lookup` with these answer records (owner, type, RDATA).
    fn response(lookup: &Lookup, rc: u16, answers: &[(&str, RecordType, Vec<u8>)]) -> Vec<u8> {
        let flags = flags::QR | flags::RD | flags::RA | rc;
        let mut m = MessageBuilder::new(lookup.id, flags);
        m.question(&lookup.host, lookup.family.rtype(), class::IN)
            .unwrap();
        for (owner, rtype, rdata) in answers {
            m.record(Section::Answer, &name(owner), *rtype, class::IN, 300, rdata)
                .unwrap();
        }
        m.finish()
    }

    fn wire(s: &str) -> Vec<u8> {
        let mut w = Vec::new();
        dns_zone::name::name_to_wire(&name(s), &mut w);
        w
    }

    #[test]
    fn query_has_rd_and_the_question() {
        let lookup = Lookup::new("acme-v02.api.letsencrypt.org", Family::V4, 0x1234).unwrap();
        let q = Message::parse(&lookup.query()).unwrap();
        assert_eq!(q.header.id, 0x1234);
        assert_eq!(q.header.flags, flags::RD);
        assert_eq!(q.questions.len(), 1);
        assert_eq!(q.questions[0].name, name("acme-v02.api.letsencrypt.org"));
        assert_eq!(q.questions[0].qtype, RecordType::A);
        let v6 = Lookup::new("ca.example", Family::V6, 1).unwrap();
        assert_eq!(
            Message::parse(&v6.query()).unwrap().questions[0].qtype,
            RecordType::AAAA
        );
        assert!(matches!(
            Lookup::new("a..b", Family::V4, 1),
            Err(ResolveError::BadHost(_))
        ));
    }

    #[test]
    fn follows_cnames_in_the_answer() {
        let lookup = Lookup::new("acme.example", Family::V4, 7).unwrap();
        let msg = response(
            &lookup,
            0,
            &[
                ("acme.example", RecordType::CNAME, wire("edge.cdn.example")),
                (
                    "edge.cdn.example",
                    RecordType::CNAME,
                    wire("Node1.CDN.example"),
                ),
                (
                    "node1.cdn.example",
                    RecordType::A,
                    alloc::vec![192, 0, 2, 1],
                ),
                (
                    "node1.cdn.example",
                    RecordType::A,
                    alloc::vec![192, 0, 2, 2],
                ),
                ("other.example", RecordType::A, alloc::vec![198, 51, 100, 1]),
            ],
        );
        assert_eq!(
            lookup.answer(&msg).unwrap(),
            [
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)),
                IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2))
            ]
        );
        let v6 = Lookup::new("acme.example", Family::V6, 8).unwrap();
        let mut aaaa = alloc::vec![0u8; 16];
        aaaa[0] = 0x20;
        aaaa[1] = 0x01;
        aaaa[15] = 1;
        let msg = response(&v6, 0, &[("acme.example", RecordType::AAAA, aaaa)]);
        assert_eq!(
            v6.answer(&msg).unwrap(),
            [IpAddr::V6("2001::1".parse().unwrap())]
        );
    }

    #[test]
    fn refuses_what_is_not_the_answer() {
        let lookup = Lookup::new("acme.example", Family::V4, 7).unwrap();
        let good = response(
            &lookup,
            0,
            &[("acme.example", RecordType::A, alloc::vec![192, 0, 2, 1])],
        );
        // Another ID.
        let other = Lookup::new("acme.example", Family::V4, 8).unwrap();
        assert_eq!(other.answer(&good), Err(ResolveError::NotOurs));
        // Another question.
        let elsewhere = Lookup::new("evil.example", Family::V4, 7).unwrap();
        let forged = response(
            &elsewhere,
            0,
            &[("acme.example", RecordType::A, alloc::vec![6, 6, 6, 6])],
        );
        assert_eq!(lookup.answer(&forged), Err(ResolveError::NotOurs));
        // Our own query reflected (QR clear).
        assert_eq!(lookup.answer(&lookup.query()), Err(ResolveError::NotOurs));
        // Truncated, damaged.
        assert_eq!(
            lookup.answer(&good[..good.len() - 1]),
            Err(ResolveError::NotOurs)
        );
        assert_eq!(lookup.answer(&[0, 7]), Err(ResolveError::NotOurs));
        let mut tc = good.clone();
        tc[2] |= 0x02;
        assert_eq!(lookup.answer(&tc), Err(ResolveError::Truncated));
        // Errors and empty answers.
        assert_eq!(
            lookup.answer(&response(&lookup, 3, &[])),
            Err(ResolveError::NoSuchName)
        );
        assert_eq!(
            lookup.answer(&response(&lookup, 2, &[])),
            Err(ResolveError::Rcode(2))
        );
        assert_eq!(
            lookup.answer(&response(&lookup, 0, &[])),
            Err(ResolveError::NoAddress)
        );
        // An address for another owner is not ours.
        let beside = response(
            &lookup,
            0,
            &[("x.example", RecordType::A, alloc::vec![192, 0, 2, 9])],
        );
        assert_eq!(lookup.answer(&beside), Err(ResolveError::NoAddress));
        // A malformed A record is no address.
        let short = response(
            &lookup,
            0,
            &[("acme.example", RecordType::A, alloc::vec![1, 2, 3])],
        );
        assert_eq!(lookup.answer(&short), Err(ResolveError::NoAddress));
    }

    #[test]
    fn cname_loops_and_long_chains_end() {
        let lookup = Lookup::new("a.example", Family::V4, 1).unwrap();
        let looped = response(
            &lookup,
            0,
            &[
                ("a.example", RecordType::CNAME, wire("b.example")),
                ("b.example", RecordType::CNAME, wire("a.example")),
            ],
        );
        assert_eq!(lookup.answer(&looped), Err(ResolveError::CnameChain));
        let mut chain = Vec::new();
        let names: Vec<String> = (0..=MAX_CNAME_CHAIN + 1)
            .map(|i| alloc::format!("n{i}.example"))
            .collect();
        let lookup = Lookup::new(&names[0], Family::V4, 2).unwrap();
        for pair in names.windows(2) {
            chain.push((pair[0].as_str(), RecordType::CNAME, wire(&pair[1])));
        }
        chain.push((
            names.last().unwrap().as_str(),
            RecordType::A,
            alloc::vec![192, 0, 2, 1],
        ));
        assert_eq!(
            lookup.answer(&response(&lookup, 0, &chain)),
            Err(ResolveError::CnameChain)
        );
        // Exactly MAX_CNAME_CHAIN CNAMEs are followed.
        let lookup = Lookup::new(&names[1], Family::V4, 3).unwrap();
        assert_eq!(
            lookup.answer(&response(&lookup, 0, &chain[1..])).unwrap(),
            [IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1))]
        );
    }
}
