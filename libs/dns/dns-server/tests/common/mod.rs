//! Helpers: build zones and queries, decode responses with hickory.
#![allow(dead_code)]

use dns_server::{Catalog, Server, Transport};
use dns_zone::{RecordType, Zone};
use hickory_proto::op::Message;

pub fn zone(text: &str, origin: &str) -> Zone {
    match Zone::parse(text.as_bytes(), origin.parse().unwrap()) {
        Ok((z, _)) => z,
        Err(e) => panic!("{:?}", e.errors),
    }
}

pub fn server(zones: &[(&str, &str)]) -> Server {
    let mut c = Catalog::new();
    for (origin, text) in zones {
        c.insert(zone(text, origin));
    }
    Server::new(c)
}

/// A query; `edns` = (payload, version, DO).
pub fn query(name: &str, qtype: RecordType, edns: Option<(u16, u8, bool)>) -> Vec<u8> {
    let mut q = vec![
        0xab,
        0xcd,
        0x01,
        0x00,
        0,
        1,
        0,
        0,
        0,
        0,
        0,
        u8::from(edns.is_some()),
    ];
    let mut wire = Vec::new();
    let n = dns_zone::name::parse_name(name.as_bytes(), &dns_zone::Name::root(), &mut Vec::new())
        .unwrap();
    dns_zone::name::name_to_wire(&n, &mut wire);
    q.extend_from_slice(&wire);
    q.extend_from_slice(&u16::from(qtype).to_be_bytes());
    q.extend_from_slice(&[0, 1]);
    if let Some((payload, version, dnssec_ok)) = edns {
        q.push(0);
        q.extend_from_slice(&[0, 41]);
        q.extend_from_slice(&payload.to_be_bytes());
        q.extend_from_slice(&[0, version, if dnssec_ok { 0x80 } else { 0 }, 0, 0, 0]);
    }
    q
}

#[derive(Debug)]
pub struct Resp {
    pub msg: Message,
    pub raw: Vec<u8>,
}

impl Resp {
    pub fn rcode(&self) -> u16 {
        u16::from(self.msg.metadata.response_code)
    }
    pub fn aa(&self) -> bool {
        self.msg.metadata.authoritative
    }
    pub fn tc(&self) -> bool {
        self.msg.metadata.truncation
    }
    fn section(records: &[hickory_proto::rr::Record]) -> Vec<String> {
        let mut v: Vec<String> = records
            .iter()
            .map(|r| r.to_string().to_ascii_lowercase())
            .collect();
        v.sort();
        v
    }
    pub fn answer(&self) -> Vec<String> {
        Self::section(&self.msg.answers)
    }
    pub fn authority(&self) -> Vec<String> {
        Self::section(&self.msg.authorities)
    }
    pub fn additional(&self) -> Vec<String> {
        Self::section(&self.msg.additionals)
    }
}

pub fn decode(raw: Vec<u8>) -> Resp {
    let msg =
        Message::from_vec(&raw).unwrap_or_else(|e| panic!("undecodable response {raw:?}: {e}"));
    Resp { msg, raw }
}

pub fn ask(s: &Server, name: &str, qtype: RecordType) -> Resp {
    decode(
        s.handle(&query(name, qtype, None), Transport::Tcp)
            .expect("a response"),
    )
}

/// Normalises an expected record line the way `Resp` sections print.
pub fn rr(s: &str) -> String {
    s.to_ascii_lowercase()
}

pub fn rrs(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| rr(s)).collect();
    v.sort();
    v
}

pub const NOERROR: u16 = 0;
pub const FORMERR: u16 = 1;
pub const NXDOMAIN: u16 = 3;
pub const NOTIMP: u16 = 4;
pub const REFUSED: u16 = 5;
pub const YXDOMAIN: u16 = 6;
