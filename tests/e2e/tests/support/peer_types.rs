//! Which record types each peer reads in its presentation format, and a
//! copy of a corpus zone that a peer can load.
//!
//! `alltypes.test` holds every type that BIND 9.18, NSD 4.6 or Knot 3.2
//! reads; none of them reads all. For a peer, each record of a type it has
//! no presentation format for is rewritten in the RFC 3597 generic form
//! (`TYPEnnn \# len hex`, which every peer reads, so it serves the same
//! octets), and a record of a type it refuses outright is dropped (BIND
//! refuses MD and MF: "type 'MD': obsolete"). Everything else stays as
//! written, so the peer reads our fixture text, not our printer's output.
//!
//! The tables come from the peers' sources: BIND `lib/dns/rdata/` at
//! v9.18.49, NSD `dns.c` at NSD_4_6_1_REL, Knot
//! `src/libzscanner/scanner_body.rl` at v3.2.6.

#![allow(dead_code)]

use dns_zone::{Entry, RecordType, ZoneParser};
use e2e::dns::CorpusZone;
use std::path::Path;

/// What a peer does with a record type in a zone file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reading {
    /// Reads the type's own presentation format.
    Presentation,
    /// Reads only the RFC 3597 generic form.
    Generic,
    /// Refuses the type (the zone does not load).
    Refused,
}

/// The peers whose zone-file reading is modelled here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Peer {
    Bind,
    Nsd,
    Knot,
}

/// Types NSD 4.6.1 has a presentation format for (`dns.c`).
const NSD: &[u16] = &[
    1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 24, 25, 26, 28, 29,
    30, 33, 35, 36, 37, 39, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 59, 60, 61, 62, 63, 64,
    65, 99, 104, 105, 106, 107, 108, 109, 256, 257, 258, 32769,
];

/// Types Knot 3.2.6's zone scanner has a presentation format for.
const KNOT: &[u16] = &[
    1, 2, 5, 6, 12, 13, 14, 15, 16, 17, 18, 21, 25, 28, 29, 33, 35, 36, 37, 39, 42, 43, 44, 45, 46,
    47, 48, 49, 50, 51, 52, 53, 59, 60, 61, 62, 63, 64, 65, 99, 104, 105, 106, 107, 108, 109, 256,
    257,
];

/// How `peer` reads `rtype` in a zone file.
pub fn reading(peer: Peer, rtype: u16) -> Reading {
    match peer {
        // BIND knows every type our schema has; MD and MF it refuses
        // ("obsolete"), NULL it reads only in the generic form.
        Peer::Bind => match rtype {
            3 | 4 => Reading::Refused,
            10 => Reading::Generic,
            _ if dns_zone::type_mnemonic(RecordType::from(rtype)).starts_with("TYPE") => {
                Reading::Generic
            }
            _ => Reading::Presentation,
        },
        Peer::Nsd if NSD.contains(&rtype) => Reading::Presentation,
        Peer::Knot if KNOT.contains(&rtype) => Reading::Presentation,
        Peer::Nsd | Peer::Knot => Reading::Generic,
    }
}

/// The line (1-based) on which the record starting on `start` ends: where
/// its parentheses close (quotes and comments skipped).
fn record_end_line(text: &str, start: u32) -> u32 {
    let mut line = 1u32;
    let mut depth = 0i32;
    let (mut quoted, mut comment, mut escaped) = (false, false, false);
    for c in text.chars() {
        if line >= start {
            if escaped {
                escaped = false;
            } else if comment {
                comment = c != '\n';
            } else {
                match c {
                    '\\' => escaped = true,
                    '"' => quoted = !quoted,
                    ';' if !quoted => comment = true,
                    '(' if !quoted => depth += 1,
                    ')' if !quoted => depth -= 1,
                    _ => {}
                }
            }
        }
        if c == '\n' {
            if line >= start && depth <= 0 && !quoted {
                return line;
            }
            line += 1;
            comment = false;
        }
    }
    line
}

/// `zone` as `peer` can load it, written to `dir`, or `None` if the file
/// needs no change; and whether each (type) record was kept.
pub fn for_peer(zone: &CorpusZone, peer: Peer, dir: &Path) -> Option<CorpusZone> {
    let text = String::from_utf8(zone.text()).expect("corpus zones are UTF-8");
    let entries: Vec<Entry> = ZoneParser::new(text.as_bytes(), zone.origin_name())
        .map(|e| e.expect("corpus zones parse"))
        .collect();
    if entries
        .iter()
        .all(|e| reading(peer, u16::from(e.rtype)) == Reading::Presentation)
    {
        return None;
    }
    let mut lines: Vec<Option<String>> = text.lines().map(|l| Some(l.to_string())).collect();
    for (i, e) in entries.iter().enumerate() {
        let rtype = u16::from(e.rtype);
        let replacement = match reading(peer, rtype) {
            Reading::Presentation => continue,
            Reading::Generic => {
                let rd = e.rdata.as_bytes();
                let hex: String = rd.iter().map(|b| format!("{b:02X}")).collect();
                format!(
                    "{} {} IN TYPE{rtype} \\# {} {hex}",
                    dns_zone::name::name_to_string(&e.owner),
                    e.ttl,
                    rd.len()
                )
            }
            Reading::Refused => {
                let next_inherits = entries.get(i + 1).is_some_and(|n| n.owner == e.owner);
                assert!(
                    !next_inherits,
                    "{}:{}: a record {peer:?} refuses must not be followed by one that \
                     inherits its owner: give the next record its owner",
                    zone.origin, e.line
                );
                format!("; dropped for {peer:?}: type {rtype}")
            }
        };
        let start = e.line as usize - 1;
        let end = record_end_line(&text, e.line) as usize;
        assert!(
            lines[start].as_deref().is_some_and(|l| {
                let first = l.trim_start();
                !first.starts_with('$')
            }),
            "{}:{}: record lines to rewrite hold a directive",
            zone.origin,
            e.line
        );
        lines[start] = Some(replacement);
        for l in &mut lines[start + 1..end.min(text.lines().count())] {
            *l = None;
        }
    }
    let mut out = String::new();
    for l in lines.into_iter().flatten() {
        out.push_str(&l);
        out.push('\n');
    }
    let path = dir.join(format!("{}.{peer:?}", zone.origin));
    std::fs::write(&path, out).expect("write the adapted zone");
    Some(CorpusZone {
        origin: zone.origin.clone(),
        path,
    })
}
