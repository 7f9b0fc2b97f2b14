//! DNS zones for an authoritative server: model, master-file parser,
//! validation and printer. `no_std` + `alloc`.
//!
//! # Layers
//!
//! 1. [`name`]: domain names in presentation and uncompressed wire format,
//!    on top of [`hickory_proto::rr::Name`] (case-insensitive, canonically
//!    ordered, RFC 4034 §6.1).
//! 2. [`rdata`]: [`Rdata`] is wire-format RDATA; a per-type schema drives the
//!    presentation-format parser and printer, validation and the canonical
//!    form (RFC 4034 §6.2). Types without a schema use RFC 3597's generic
//!    form. hickory's own text parser needs `std`, so this one is written
//!    here; hickory supplies the types and a typed view ([`Rdata::to_hickory`]).
//! 3. [`parser`]: [`ZoneParser`], a streaming master-file parser
//!    (RFC 1035 §5, RFC 2308 `$TTL`, RFC 3597) over a borrowed byte slice,
//!    with errors carrying line, column, the offending token and what was
//!    expected.
//! 4. [`zone`]: [`Zone`] (nodes in a persistent map of sorted chunks keyed
//!    by [`NameKey`], the owner as a byte string in canonical order, shared
//!    between versions; each chunk one buffer of nodes whose RRsets are in
//!    wire form, sorted by type, RDATA in canonical order, handed out as
//!    [`Node`], [`RRsetRef`] and [`RdataRef`] views), built and
//!    validated by [`Zone::from_entries`]; [`Serial`] (RFC 1982);
//!    [`ZoneEdit`], record-by-record changes for UPDATE and IXFR, checked
//!    like the loader checks; [`ZoneDiff`], the changes between two versions.
//! 5. [`printer`]: [`print_zone`], the inverse of the parser.
//!
//! # Memory
//!
//! Heap held by a built [`Zone`] (the `store_size` example, a counting
//! allocator; zones from `scripts/gen-zone big`, ~0.77 names per record,
//! mostly A and AAAA), without the allocator's own overhead, and the
//! peak of a load with [`Zone::parse_owned`] (file text included, freed
//! once parsed, as the servers load):
//!
//! | records | store, bytes per record | load peak, bytes per record |
//! | --- | --- | --- |
//! | 1 000 | 46.6 | 119 |
//! | 100 000 | 47.8 | 135 |
//! | 1 000 000 | 48.7 | 115 |
//!
//! Linear (the small rise is the chunks' first-key index and the slack
//! of the last chunk's growth). Per name, in its chunk's one buffer: a
//! 7-byte header, the owner's key (~23 bytes for `hostN.big.example`),
//! the owner's wire form only when it has capital letters, a 4-byte
//! offset; per RRset a 12-byte header; per record its RDATA and 2 bytes
//! of length (`zone::rrset`, `zone::nodes`). The store before (a map of
//! `Name` to `Vec`s of boxed RDATA) held 232 bytes per record, and its
//! load peaked at 356. While building, the parsed records wait in a
//! 24-byte index entry each, their owners (shared by consecutive records)
//! and RDATA in one arena (`zone::records`), beside the store being built.
//!
//! # Record types
//!
//! Every type that BIND 9.18, NSD 4.6 or Knot 3.2 reads from a zone file has
//! its presentation format here; every other type is read and written in
//! RFC 3597's generic form (`TYPEnnn \# len hex`), which all four accept for
//! any type. "generic only": the implementation reads the type only in that
//! form. Taken from BIND `lib/dns/rdata/` (v9.18.49), NSD `dns.c`
//! (4.6.1) and Knot `src/libzscanner/scanner_body.rl` (v3.2.6), and checked
//! with `named-checkzone -D` and `nsd-checkzone -p` on
//! `tests/e2e/fixtures/zones/alltypes.test`.
//!
//! | type | code | RFC | BIND 9.18 | NSD 4.6 | Knot 3.2 | us |
//! | --- | --- | --- | --- | --- | --- | --- |
//! | A | 1 | RFC 1035 | yes | yes | yes | yes |
//! | NS | 2 | RFC 1035 | yes | yes | yes | yes |
//! | MD | 3 | RFC 1035 (obsolete) | refused (obsolete) | yes | generic only | yes |
//! | MF | 4 | RFC 1035 (obsolete) | refused (obsolete) | yes | generic only | yes |
//! | CNAME | 5 | RFC 1035 | yes | yes | yes | yes |
//! | SOA | 6 | RFC 1035 | yes | yes | yes | yes |
//! | MB | 7 | RFC 1035 | yes | yes | generic only | yes |
//! | MG | 8 | RFC 1035 | yes | yes | generic only | yes |
//! | MR | 9 | RFC 1035 | yes | yes | generic only | yes |
//! | NULL | 10 | RFC 1035 | generic only | generic only | generic only | generic only |
//! | WKS | 11 | RFC 1035 | yes | yes | generic only | yes |
//! | PTR | 12 | RFC 1035 | yes | yes | yes | yes |
//! | HINFO | 13 | RFC 1035 | yes | yes | yes | yes |
//! | MINFO | 14 | RFC 1035 | yes | yes | yes | yes |
//! | MX | 15 | RFC 1035 | yes | yes | yes | yes |
//! | TXT | 16 | RFC 1035 | yes | yes | yes | yes |
//! | RP | 17 | RFC 1183 | yes | yes | yes | yes |
//! | AFSDB | 18 | RFC 1183 | yes | yes | yes | yes |
//! | X25 | 19 | RFC 1183 | yes | yes | generic only | yes |
//! | ISDN | 20 | RFC 1183 | yes | yes | generic only | yes |
//! | RT | 21 | RFC 1183 | yes | yes | yes | yes |
//! | NSAP | 22 | RFC 1706 | yes | yes | generic only | yes |
//! | NSAP-PTR | 23 | RFC 1348 | yes | generic only | generic only | yes |
//! | SIG | 24 | RFC 2535 | yes | yes | generic only | yes |
//! | KEY | 25 | RFC 2535 | yes | yes | yes | yes |
//! | PX | 26 | RFC 2163 | yes | yes | generic only | yes |
//! | GPOS | 27 | RFC 1712 | yes | generic only | generic only | yes |
//! | AAAA | 28 | RFC 3596 | yes | yes | yes | yes |
//! | LOC | 29 | RFC 1876 | yes | yes | yes | yes |
//! | NXT | 30 | RFC 2535 | yes | yes | generic only | yes |
//! | EID | 31 | Patton | yes | generic only | generic only | yes |
//! | NIMLOC | 32 | Patton | yes | generic only | generic only | yes |
//! | SRV | 33 | RFC 2782 | yes | yes | yes | yes |
//! | ATMA | 34 | ATM Forum | yes | generic only | generic only | yes |
//! | NAPTR | 35 | RFC 3403 | yes | yes | yes | yes |
//! | KX | 36 | RFC 2230 | yes | yes | yes | yes |
//! | CERT | 37 | RFC 4398 | yes | yes | yes | yes |
//! | A6 | 38 | RFC 2874 (historic) | yes | generic only | generic only | yes |
//! | DNAME | 39 | RFC 6672 | yes | yes | yes | yes |
//! | SINK | 40 | Eastlake draft | yes | generic only | generic only | yes |
//! | APL | 42 | RFC 3123 | yes | yes | yes | yes |
//! | DS | 43 | RFC 4034 | yes | yes | yes | yes |
//! | SSHFP | 44 | RFC 4255 | yes | yes | yes | yes |
//! | IPSECKEY | 45 | RFC 4025 | yes | yes | yes | yes |
//! | RRSIG | 46 | RFC 4034 | yes | yes | yes | yes |
//! | NSEC | 47 | RFC 4034 | yes | yes | yes | yes |
//! | DNSKEY | 48 | RFC 4034 | yes | yes | yes | yes |
//! | DHCID | 49 | RFC 4701 | yes | yes | yes | yes |
//! | NSEC3 | 50 | RFC 5155 | yes | yes | yes | yes |
//! | NSEC3PARAM | 51 | RFC 5155 | yes | yes | yes | yes |
//! | TLSA | 52 | RFC 6698 | yes | yes | yes | yes |
//! | SMIMEA | 53 | RFC 8162 | yes | yes | yes | yes |
//! | HIP | 55 | RFC 8005 | yes | generic only | generic only | yes |
//! | NINFO | 56 | Reid | yes | generic only | generic only | yes |
//! | RKEY | 57 | Reid | yes | generic only | generic only | yes |
//! | TALINK | 58 | Wijngaards | yes | generic only | generic only | yes |
//! | CDS | 59 | RFC 7344 | yes | yes | yes | yes |
//! | CDNSKEY | 60 | RFC 7344 | yes | yes | yes | yes |
//! | OPENPGPKEY | 61 | RFC 7929 | yes | yes | yes | yes |
//! | CSYNC | 62 | RFC 7477 | yes | yes | yes | yes |
//! | ZONEMD | 63 | RFC 8976 | yes | yes | yes | yes |
//! | SVCB | 64 | RFC 9460 | yes | yes | yes | yes |
//! | HTTPS | 65 | RFC 9460 | yes | yes | yes | yes |
//! | DSYNC | 66 | RFC 9859 | yes | generic only | generic only | yes |
//! | HHIT | 67 | RFC 9886 | yes | generic only | generic only | yes |
//! | BRID | 68 | RFC 9886 | yes | generic only | generic only | yes |
//! | SPF | 99 | RFC 7208 | yes | yes | yes | yes |
//! | NID | 104 | RFC 6742 | yes | yes | yes | yes |
//! | L32 | 105 | RFC 6742 | yes | yes | yes | yes |
//! | L64 | 106 | RFC 6742 | yes | yes | yes | yes |
//! | LP | 107 | RFC 6742 | yes | yes | yes | yes |
//! | EUI48 | 108 | RFC 7043 | yes | yes | yes | yes |
//! | EUI64 | 109 | RFC 7043 | yes | yes | yes | yes |
//! | URI | 256 | RFC 7553 | yes | yes | yes | yes |
//! | CAA | 257 | RFC 8659 | yes | yes | yes | yes |
//! | AVC | 258 | Cisco | yes | yes | generic only | yes |
//! | DOA | 259 | DOA draft | yes | generic only | generic only | yes |
//! | AMTRELAY | 260 | RFC 8777 | yes | generic only | generic only | yes |
//! | RESINFO | 261 | RFC 9606 | yes | generic only | generic only | yes |
//! | WALLET | 262 | IANA | yes | generic only | generic only | yes |
//! | TA | 32768 | Weiler | yes | generic only | generic only | yes |
//! | DLV | 32769 | RFC 4431 (historic) | yes | yes | generic only | yes |
//!
//! Where the peers disagree on a detail of the text form, we read what BIND
//! and NSD read (and print what all of them read):
//! - RRSIG/SIG times: `YYYYMMDDHHmmSS` or seconds (BIND; NSD and Knot take
//!   only the date); dates after 2106 wrap modulo 2^32 (RFC 4034 §3.2,
//!   BIND; NSD and Knot refuse them).
//! - NSEC with an empty type bitmap: read (NSD, Knot; BIND refuses it).
//! - NID/L64 groups of one to four hex digits (BIND, NSD; Knot wants four).
//! - LOC latitudes beyond 90° and longitudes beyond 180° are refused
//!   (BIND; Knot reads `90 59 59.999 S`).
//! - base64 split into pieces that are not multiples of 4 is joined (BIND,
//!   NSD; Knot decodes each piece alone); NSEC3 hashes take no `=` padding
//!   (all three).
//! - A6 suffix bits inside the prefix length are cleared (BIND).
//! - GPOS takes any three strings, as BIND does (RFC 1712 wants decimal
//!   numbers; NSD and Knot do not know the type).
//! - MD and MF are read (NSD); BIND refuses them as obsolete.
//!
//! The canonical form (RFC 4034 §6.2 as amended by RFC 6840 §5.1)
//! lowercases the names in NS, MD, MF, CNAME, SOA, MB, MG, MR, PTR, MINFO,
//! MX, RP, AFSDB, RT, SIG, PX, NXT, NAPTR, KX, SRV, DNAME, A6 and RRSIG; not
//! in NSEC (RFC 6840 §5.1) nor in any type defined after RFC 3597 (§7).
//!
//! # Panics
//!
//! Zone files come from users and from git: nothing here panics on any input
//! text or wire RDATA. The `expect`s that remain state invariants of a
//! validated [`Zone`] (it has an SOA and apex NS).
//!
//! # Example
//!
//! ```
//! use dns_zone::{Zone, print_zone};
//! let text = b"$TTL 3600\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\nns A 192.0.2.1\n";
//! let origin = "example.com.".parse().unwrap();
//! let (zone, warnings) = Zone::parse(text, origin).unwrap();
//! assert!(warnings.is_empty());
//! assert_eq!(zone.serial().0, 1);
//! assert_eq!(zone.record_count(), 3);
//! let again = Zone::parse(print_zone(&zone).as_bytes(), zone.origin().clone()).unwrap().0;
//! assert_eq!(again, zone);
//! ```

#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;

pub use dns_rr::name;
pub mod parser;
pub mod printer;
pub mod rdata;
pub mod zone;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

pub use dns_rr::{KeyBuf, NameKey};
pub use hickory_proto::rr::{DNSClass, Name, RecordType};
pub use parser::{
    is_meta_type, Entry, IncludeError, IncludeFiles, ParseError, ParseErrorKind, ZoneParser,
    MAX_TTL,
};
pub use printer::print_zone;
pub use rdata::text::parse_ttl;
pub use rdata::{type_from_mnemonic, type_mnemonic, Rdata, RdataError, RdataRef};
pub use zone::diff::{Record, SerialNotIncreased, ZoneDiff};
pub use zone::edit::{EditError, ZoneEdit};
pub use zone::journal::{read_journal, write_journal_entry, JournalError, JournalErrorKind};
pub use zone::model::{Node, RRset, RRsetRef, RRsets, Rdatas, Zone};
pub use zone::serial::Serial;

/// A message about a place in a zone file (line 0: about the whole zone).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// 1-based line, or 0 when the message is about the zone as a whole.
    pub line: u32,
    /// 1-based column, or 0.
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// The `$INCLUDE`d file the message is about (its path in the tree),
    /// or `None` for the zone's own file.
    pub file: Option<String>,
}

/// Warnings are diagnostics that do not reject the zone.
pub type Warning = Diagnostic;

impl Diagnostic {
    pub(crate) fn at(line: u32, column: u32, message: String) -> Self {
        Self {
            line,
            column,
            message,
            file: None,
        }
    }

    pub(crate) fn zone(message: String) -> Self {
        Self {
            line: 0,
            column: 0,
            message,
            file: None,
        }
    }

    /// Formats as `file:line:column: message` (or `file: message` for the
    /// whole zone), where `file` is the included file the message is about,
    /// or else `file`.
    pub fn display_in<'a>(&'a self, file: &'a str) -> impl fmt::Display + 'a {
        struct In<'a>(&'a Diagnostic, &'a str);
        impl fmt::Display for In<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                let file = self.0.file.as_deref().unwrap_or(self.1);
                if self.0.line == 0 {
                    write!(f, "{file}: {}", self.0.message)
                } else {
                    write!(f, "{file}:{}", self.0)
                }
            }
        }
        In(self, file)
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

impl From<ParseError> for Diagnostic {
    fn from(e: ParseError) -> Self {
        use alloc::string::ToString;
        Self {
            line: e.line,
            column: e.column,
            message: e.kind.to_string(),
            file: e.file.as_deref().map(String::from),
        }
    }
}

/// A zone was rejected: every error found, and the warnings so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZoneErrors {
    /// The errors, in file order.
    pub errors: Vec<Diagnostic>,
    /// Warnings found on the way.
    pub warnings: Vec<Diagnostic>,
}

impl Zone {
    /// Parses master-file `text` for the zone `origin` and validates it.
    ///
    /// Syntax errors are all reported (the parser resynchronises at the next
    /// line); validation runs only on a syntactically clean file, so that a
    /// broken SOA line is not also reported as a missing SOA.
    pub fn parse(text: &[u8], origin: Name) -> Result<(Zone, Vec<Warning>), ZoneErrors> {
        Self::parse_from(ZoneParser::new(text, origin.clone()), origin)
    }

    /// As [`Zone::parse`], with `$INCLUDE` reading from `files`, in which
    /// the zone's own file is at `own_path` (see [`parser::include`]).
    /// Diagnostics about included files name them ([`Diagnostic::file`]).
    pub fn parse_with_includes(
        text: &[u8],
        origin: Name,
        files: &mut dyn IncludeFiles,
        own_path: &str,
    ) -> Result<(Zone, Vec<Warning>), ZoneErrors> {
        let parser = ZoneParser::new(text, origin.clone()).with_includes(files, own_path);
        Self::parse_from(parser, origin)
    }

    /// As [`Zone::parse`], taking the text: it is freed once parsed, before
    /// the zone is built, which lowers the peak memory of a large load by
    /// the size of the file.
    pub fn parse_owned(text: Vec<u8>, origin: Name) -> Result<(Zone, Vec<Warning>), ZoneErrors> {
        let parsed = Self::collect(ZoneParser::new(&text, origin.clone()));
        drop(text);
        Self::build(parsed?, origin)
    }

    fn parse_from(
        parser: ZoneParser<'_>,
        origin: Name,
    ) -> Result<(Zone, Vec<Warning>), ZoneErrors> {
        Self::build(Self::collect(parser)?, origin)
    }

    /// Every record of `parser`, or every syntax error.
    fn collect(
        mut parser: ZoneParser<'_>,
    ) -> Result<(zone::records::Records, Vec<Warning>), ZoneErrors> {
        // Each entry goes into the compact records as it is parsed: the
        // entries are never all held at once.
        let mut records = zone::records::Records::default();
        let mut errors = Vec::new();
        for item in parser.by_ref() {
            match item {
                Ok(e) => records.push(e),
                Err(e) => errors.push(Diagnostic::from(e)),
            }
        }
        let warnings = parser.take_warnings();
        if records.too_large {
            errors.push(Diagnostic::zone(
                "the zone's records take more than 4 GiB: not loaded".into(),
            ));
        }
        if !errors.is_empty() {
            return Err(ZoneErrors { errors, warnings });
        }
        Ok((records, warnings))
    }

    /// Validates and builds the zone of `records`.
    fn build(
        (records, mut warnings): (zone::records::Records, Vec<Warning>),
        origin: Name,
    ) -> Result<(Zone, Vec<Warning>), ZoneErrors> {
        match Zone::from_records(origin, records) {
            Ok((zone, w)) => {
                warnings.extend(w);
                Ok((zone, warnings))
            }
            Err(mut e) => {
                warnings.append(&mut e.warnings);
                e.warnings = warnings;
                Err(e)
            }
        }
    }
}
