//! Differential answers: NSD, Knot and primary-git serve the same corpus
//! (`zones-example/` and `tests/e2e/fixtures/zones/`) on loopback, and get
//! the same questions over UDP and over TCP. Our answer is compared with
//! each peer's section by section: header flags (QR AA TC RD RA AD CD), the
//! RCODE (with its extended bits), the question (case as sent), the answer,
//! authority and additional sections as RRsets (order within an RRset and
//! the message ID ignored; TTLs and RDATA compared), and the OPT record.
//!
//! Every difference must be listed in [`allowed_differences`] with its RFC
//! reason; anything else fails the test, with both answers printed. Where
//! NSD and Knot differ from each other (the additional section above all:
//! NSD adds the zone's NS and their addresses to positive answers, Knot does
//! not), "equal" means equal to the peer on everything the table does not
//! name, peer by peer: we follow the RFC where one of them does not.
//!
//! `alltypes.test` has every record type any of BIND, NSD and Knot reads;
//! each peer gets the records of types it has no presentation format for
//! in the RFC 3597 generic form (`support/peer_types.rs`), so all three
//! serve the same octets and the answers are compared as for every zone.
//!
//! The test prints a summary: questions, answers compared, and per peer
//! how many were equal and how often each allowed difference applied. Set
//! `DIFFERENTIAL_REPORT=FILE` to get every unexplained difference in FILE.

use e2e::dns::{
    build_query, corpus, parse_reply, server_addr, Client, CorpusZone, DnsServer, EdnsOptions,
    QueryOptions, Question, Reply, Rr, ServerKind, AA, AD, CD, QR, RA, RD, TC,
};
use std::collections::BTreeMap;
use std::fmt::Write as _;

#[path = "support/peer_types.rs"]
mod peer_types;

/// A seeded xorshift: the same questions on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Types asked about besides those a name owns.
const TYPE_POOL: &[u16] = &[
    1,     // A
    2,     // NS
    5,     // CNAME
    6,     // SOA
    12,    // PTR
    13,    // HINFO
    15,    // MX
    16,    // TXT
    28,    // AAAA
    33,    // SRV
    35,    // NAPTR
    39,    // DNAME
    43,    // DS
    44,    // SSHFP
    46,    // RRSIG
    47,    // NSEC
    48,    // DNSKEY
    52,    // TLSA
    64,    // SVCB
    65,    // HTTPS
    99,    // SPF
    257,   // CAA
    65280, // private use, unknown to everyone
];

const ANY: u16 = 255;
const DS: u16 = 43;

/// EDNS variants: none, payloads around the limits (below 512 is treated
/// as 512), the DO bit, and version 1 (BADVERS).
fn edns_variant(rng: &mut Rng) -> Option<EdnsOptions> {
    let e = |payload, version, dnssec_ok| {
        Some(EdnsOptions {
            payload,
            version,
            dnssec_ok,
        })
    };
    match rng.below(10) {
        0 | 1 => None,
        2 => e(512, 0, false),
        3 => e(1232, 0, false),
        4 => e(4096, 0, false),
        5 => e(100, 0, false),
        6 => e(1232, 0, true),
        7 => e(65535, 0, true),
        8 => e(1232, 1, false),
        _ => e(600, 0, false),
    }
}

fn mixed_case(rng: &mut Rng, labels: &[Vec<u8>]) -> Vec<Vec<u8>> {
    labels
        .iter()
        .map(|l| {
            l.iter()
                .map(|&b| {
                    if b.is_ascii_alphabetic() && rng.chance(50) {
                        b ^ 0x20
                    } else {
                        b
                    }
                })
                .collect()
        })
        .collect()
}

/// One question with its header options.
#[derive(Clone)]
struct Asked {
    question: Question,
    options: QueryOptions,
}

/// The questions: every name of every zone (owners, empty non-terminals,
/// a name below each that does not exist, names a wildcard synthesizes),
/// names outside every zone; for each, A, ANY, DS, the types it owns and a
/// few more; random case, RD, CD and EDNS.
fn questions(zones: &[CorpusZone]) -> Vec<Asked> {
    // `alltypes.test` gets questions from a generator of its own, so that
    // the questions about the rest of the corpus stay what they were.
    let (all_types, rest): (Vec<CorpusZone>, Vec<CorpusZone>) = zones
        .iter()
        .cloned()
        .partition(|z| z.origin == ALL_TYPES_ZONE);
    let mut asked = questions_from(&rest, Rng(0x5eed_d1ff_0001), true);
    let first_id = asked.len() as u16 + 1;
    let mut more = questions_from(&all_types, Rng(0x5eed_d1ff_0013), false);
    // Every owner x type of the all-types zone also without EDNS (issue 13:
    // UDP, TCP and no EDNS for each), beside its random EDNS variant.
    let without_edns: Vec<Asked> = more
        .iter()
        .filter(|a| a.options.edns.is_some())
        .cloned()
        .map(|mut a| {
            a.options.edns = None;
            a
        })
        .collect();
    more.extend(without_edns);
    for (i, a) in more.iter_mut().enumerate() {
        a.options.id = first_id.wrapping_add(i as u16);
    }
    asked.extend(more);
    asked
}

/// The zone with every record type (issue 13).
const ALL_TYPES_ZONE: &str = "alltypes.test";

fn questions_from(zones: &[CorpusZone], mut rng: Rng, outside_names: bool) -> Vec<Asked> {
    let mut names: Vec<(Vec<Vec<u8>>, Vec<u16>)> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut add = |names: &mut Vec<(Vec<Vec<u8>>, Vec<u16>)>, labels: Vec<Vec<u8>>, types| {
        let key: Vec<Vec<u8>> = labels.iter().map(|l| l.to_ascii_lowercase()).collect();
        if seen.insert(key) {
            names.push((labels, types));
        }
    };
    for zone in zones {
        let z = zone.parse();
        let apex_labels = z.origin().iter().count();
        let mut i = 0;
        for node in z.nodes() {
            let name = node.owner();
            i += 1;
            if node
                .rrsets()
                .all(|s| matches!(u16::from(s.rtype()), 50 | 46))
            {
                // A name that owns only NSEC3 (and RRSIG) records: NSD and
                // Knot keep NSEC3 records out of the zone's name tree and
                // answer NXDOMAIN for their owner (RFC 5155 §7.2.8); our
                // query engine serves them like any RRset. Not compared
                // until the engine follows RFC 5155 there (a known gap).
                continue;
            }
            let labels: Vec<Vec<u8>> = name.iter().map(|l| l.to_vec()).collect();
            let types = node.rrsets().map(|s| u16::from(s.rtype())).collect();
            add(&mut names, labels.clone(), types);
            for k in 1..labels.len().saturating_sub(apex_labels) {
                add(&mut names, labels[k..].to_vec(), Vec::new());
            }
            let mut nx = vec![format!("nx{i}").into_bytes()];
            nx.extend_from_slice(&labels);
            add(&mut names, nx, Vec::new());
            if labels.first().is_some_and(|l| l == b"*") {
                let mut one = vec![format!("w{i}").into_bytes()];
                one.extend_from_slice(&labels[1..]);
                add(&mut names, one.clone(), Vec::new());
                let mut two = vec![b"deeper".to_vec()];
                two.extend_from_slice(&one);
                add(&mut names, two, Vec::new());
            }
        }
    }
    let outside_list: &[&str] = if outside_names {
        &[
            "www.example.net",
            "test",
            "",
            "unserved.invalid",
            "com",
            "example",
            "xexample.com",
        ]
    } else {
        &[]
    };
    for &outside in outside_list {
        add(&mut names, Question::new(outside, 1).labels, Vec::new());
    }
    let mut asked = Vec::new();
    let mut id: u16 = 1;
    for (labels, owned) in names {
        let mut types = vec![1, ANY, DS];
        types.extend(owned);
        for _ in 0..3 {
            types.push(TYPE_POOL[rng.below(TYPE_POOL.len())]);
        }
        types.sort_unstable();
        types.dedup();
        for qtype in types {
            let labels = if rng.chance(50) {
                mixed_case(&mut rng, &labels)
            } else {
                labels.clone()
            };
            let options = QueryOptions {
                id,
                rd: rng.chance(50),
                cd: rng.chance(10),
                edns: edns_variant(&mut rng),
            };
            id = id.wrapping_add(1);
            // Mostly IN; a few QCLASS ANY (RFC 1035 §3.2.5) and CH.
            let qclass = match rng.below(100) {
                0..=2 => 255,
                3 => 3,
                _ => 1,
            };
            asked.push(Asked {
                question: Question {
                    labels,
                    qtype,
                    qclass,
                },
                options,
            });
        }
    }
    asked
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Transport {
    Udp,
    Tcp,
}

/// What a difference rule sees.
pub struct Ctx<'a> {
    asked: &'a Asked,
    transport: Transport,
    peer: ServerKind,
    /// The apex of every zone served, lower-case wire form.
    apexes: &'a [Vec<u8>],
    /// Our answer to the same question over TCP (complete: no truncation,
    /// every RRset for ANY).
    ours_tcp: &'a Reply,
}

impl Ctx<'_> {
    fn is_apex(&self, name: &[u8]) -> bool {
        self.apexes.contains(&e2e::dns::lowercase_wire_name(name))
    }
}

/// Every difference between our answers and NSD's or Knot's that the test
/// accepts, with the reason. A rule recognises one difference precisely and
/// rewrites the peer's answer (or ours) into the form it is compared in; a
/// difference no rule explains fails the test.
pub mod allowed_differences {
    use super::*;

    /// One allowed difference.
    pub struct Allowed {
        /// Short name used in the summary.
        pub id: &'static str,
        /// The RFC sections the reason rests on, for the summary.
        pub rfc: &'static str,
        /// The peers that differ this way.
        pub peers: &'static [ServerKind],
        /// Why it is allowed (the RFC and what it says).
        pub reason: &'static str,
        /// Recognises the difference and removes it; true if it applied.
        pub apply: fn(&Ctx<'_>, &mut Reply, &mut Reply) -> bool,
    }

    const BOTH: &[ServerKind] = &[ServerKind::Nsd, ServerKind::Knot];
    const NSD: &[ServerKind] = &[ServerKind::Nsd];
    const KNOT: &[ServerKind] = &[ServerKind::Knot];
    const ANY: u16 = 255;

    /// The table. Rules are tried in this order; each one that applies is
    /// counted.
    pub const ALLOWED: &[Allowed] = &[
        Allowed {
            id: "name-case",
            rfc: "RFC 4343 §3, §4.1",
            peers: BOTH,
            reason: "RFC 4343 §3, §4.1: names compare without regard to case, and name \
                     compression may spell a label in the case of an earlier occurrence. \
                     NSD and Knot store names in lower case and compress only exact \
                     matches; we keep the case of the zone file and compress \
                     case-insensitively against the question. The question itself is \
                     compared exactly.",
            apply: name_case,
        },
        Allowed {
            id: "truncated-content",
            rfc: "RFC 2181 §9",
            peers: BOTH,
            reason: "RFC 2181 §9, RFC 1035 §4.2.1: a response with TC=1 is incomplete; \
                     the requester discards it and asks again over TCP. When both set TC, \
                     only the header, question and OPT are compared.",
            apply: truncated_content,
        },
        Allowed {
            id: "ede-not-authoritative",
            rfc: "RFC 8914 §4.21, §4.22",
            peers: BOTH,
            reason: "RFC 8914 §4.21, §4.22: NSD and Knot add Extended DNS Error 20 (Not \
                     Authoritative) to REFUSED for names outside their zones, NSD adds 21 \
                     (Not Supported) for classes other than IN; extended errors are \
                     optional and we send none.",
            apply: ede_not_authoritative,
        },
        Allowed {
            id: "nsd-apex-ns-in-authority",
            rfc: "RFC 1034 §4.3.2, RFC 2181 §9",
            peers: NSD,
            reason: "RFC 1034 §4.3.2 step 3.a puts the matching RRset in the answer and \
                     nothing in the authority section of a positive answer; the zone's NS \
                     RRset there is extra information (RFC 2181 §9). NSD \
                     (minimal-responses: no) adds it, with the name servers' addresses in \
                     the additional section; Knot and we send minimal answers, as BIND's \
                     minimal-responses does.",
            apply: nsd_apex_ns,
        },
        Allowed {
            id: "any-one-rrset",
            rfc: "RFC 8482 §4.1, §4.2",
            peers: BOTH,
            reason: "RFC 8482 §4.1, §4.2: an ANY answer may be any one RRset of the name, \
                     and over TCP a responder may give all of them. NSD and Knot give one \
                     RRset on both transports (NSD the SOA at an apex, Knot the lowest \
                     type); we give the lowest type over UDP and every RRset over TCP. The \
                     peer's RRset must be one of ours (after the same DNAME/CNAME chain, if \
                     any); the additional section follows the \
                     RRset chosen and is not compared.",
            apply: any_one_rrset,
        },
        Allowed {
            id: "nsd-glue-without-tc",
            rfc: "RFC 9471 §3.1",
            peers: NSD,
            reason: "RFC 9471 §3.1: a referral whose in-domain glue does not all fit MUST \
                     set TC. NSD 4.6 predates it and leaves glue out (A records first) \
                     without TC; Knot and we set TC. NSD's glue must be a subset of ours.",
            apply: nsd_glue_without_tc,
        },
        Allowed {
            id: "knot-chain-inside-zone",
            rfc: "RFC 1034 §4.3.2, §5.3.3",
            peers: KNOT,
            reason: "RFC 1034 §4.3.2 step 3.a restarts at step 1 with the CNAME target, \
                     which NSD (and BIND) and we do across all zones served; Knot follows a \
                     CNAME (or DNAME-synthesized CNAME) only inside the zone of the question \
                     and leaves the rest to the resolver (RFC 1034 §5.3.3, RFC 6672 §3.4). \
                     Our extra records must all belong to the target's zone.",
            apply: knot_chain_inside_zone,
        },
        Allowed {
            id: "nsd-badvers-keeps-cd",
            rfc: "RFC 4035 §3.1.6",
            peers: NSD,
            reason: "RFC 4035 §3.1.6: an authoritative server SHOULD clear CD; NSD copies \
                     it into BADVERS errors (RFC 6891 §6.1.3), Knot and we do not.",
            apply: nsd_badvers_keeps_cd,
        },
        Allowed {
            id: "knot-qclass-any-authoritative",
            rfc: "RFC 1034 §6.2",
            peers: KNOT,
            reason: "RFC 1034 §6.2: a response to QCLASS=* \"should never be \
                     authoritative unless the server can guarantee that the response \
                     covers all classes\"; NSD and we clear AA (and so send no SOA for \
                     negative caching), Knot answers as for class IN.",
            apply: knot_qclass_any_authoritative,
        },
        Allowed {
            id: "knot-cname-chain-limit",
            rfc: "RFC 1034 §4.3.2, §5.3.3",
            peers: KNOT,
            reason: "RFC 1034 §4.3.2 sets no limit on a CNAME chain inside a zone; Knot \
                     stops after 5 CNAMEs and leaves the rest to the resolver (RFC 1034 \
                     §5.3.3), NSD and we follow up to our limits. Knot's answer must be a \
                     prefix of ours.",
            apply: knot_cname_chain_limit,
        },
        Allowed {
            id: "knot-dname-loop-repeats",
            rfc: "RFC 6672 §3.2",
            peers: KNOT,
            reason: "RFC 6672 §3.2 and RFC 1034 §3.6.2 leave a looping chain undefined \
                     (an error in the zone); Knot repeats the synthesized CNAMEs until its \
                     chain limit, NSD and we stop when a name comes back. The distinct \
                     records must be the same.",
            apply: knot_dname_loop_repeats,
        },
        Allowed {
            id: "nsd-additional-fill-order",
            rfc: "RFC 2181 §9",
            peers: NSD,
            reason: "RFC 2181 §9, RFC 1035 §4.2.1: additional records that do not fit are \
                     left out without TC, and which ones is the server's choice. When not \
                     all fit, NSD adds the A records of every target before any AAAA, Knot \
                     and we add each target's addresses together. Both must be subsets \
                     of the complete additional section (ours over TCP).",
            apply: nsd_additional_fill_order,
        },
        Allowed {
            id: "nsd-no-svcb-additional",
            rfc: "RFC 9460 §4.2",
            peers: NSD,
            reason: "RFC 9460 §4.2: authoritative servers SHOULD add the addresses of an \
                     in-zone SVCB/HTTPS TargetName to the additional section; Knot and we \
                     do, NSD 4.6 does not.",
            apply: nsd_no_svcb_additional,
        },
        Allowed {
            id: "knot-rrsig-nsec-at-cname",
            rfc: "RFC 2181 §10.1.1, RFC 4035 §2.5",
            peers: KNOT,
            reason: "RFC 2181 §10.1.1, RFC 4035 §2.5: RRSIG and NSEC may live next to a \
                     CNAME, so Knot answers a question for them at the CNAME's owner \
                     itself (NODATA in an unsigned zone); NSD and we restart at the CNAME \
                     target as RFC 1034 §3.6.2 says for every type but CNAME.",
            apply: knot_rrsig_nsec_at_cname,
        },
    ];

    fn nsd_additional_fill_order(ctx: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        let complete = lower(&ctx.ours_tcp.additional);
        let (o, t) = (lower(&ours.additional), lower(&theirs.additional));
        let partial =
            |x: &[Rr]| x.len() < complete.len() && x.iter().all(|rr| complete.contains(rr));
        if ctx.transport != Transport::Udp || !partial(&o) || !partial(&t) {
            return false;
        }
        ours.additional.clear();
        theirs.additional.clear();
        true
    }

    fn nsd_no_svcb_additional(_: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        let targets: Vec<Vec<u8>> = ours
            .answer
            .iter()
            .filter(|rr| matches!(rr.rtype, 64 | 65))
            .filter_map(|rr| e2e::dns::read_name(&rr.rdata, 2).ok())
            .map(|(name, _)| e2e::dns::lowercase_wire_name(&name))
            .collect();
        let t = lower(&theirs.additional);
        let before = ours.additional.len();
        ours.additional.retain(|rr| {
            let extra = matches!(rr.rtype, 1 | 28)
                && targets.contains(&e2e::dns::lowercase_wire_name(&rr.owner))
                && !t.contains(&e2e::dns::lowercase_names(rr));
            !extra
        });
        ours.additional.len() != before
    }

    fn knot_rrsig_nsec_at_cname(ctx: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        let q = &ctx.asked.question;
        let qname = e2e::dns::lowercase_wire_name(&q.name_wire());
        let starts_with_cname = ours
            .answer
            .first()
            .is_some_and(|rr| rr.rtype == 5 && e2e::dns::lowercase_wire_name(&rr.owner) == qname);
        let nodata = theirs.rcode == 0
            && theirs.answer.is_empty()
            && theirs.authority.len() == 1
            && theirs.authority[0].rtype == 6;
        if !matches!(q.qtype, 46 | 47) || !starts_with_cname || !nodata {
            return false;
        }
        // Compare Knot's NODATA with the SOA of our answer's zone.
        ours.answer.clear();
        ours.additional.clear();
        ours.rcode = 0;
        ours.authority = theirs.authority.clone();
        true
    }

    fn lower(section: &[Rr]) -> Vec<Rr> {
        section.iter().map(e2e::dns::lowercase_names).collect()
    }

    /// Whether `name` is `apex` or below it (both lower-case wire form).
    fn is_within(name: &[u8], apex: &[u8]) -> bool {
        let mut pos = 0;
        loop {
            if name[pos..] == *apex {
                return true;
            }
            match name.get(pos) {
                Some(&len) if len > 0 => pos += 1 + usize::from(len),
                _ => return false,
            }
        }
    }

    fn zone_of<'a>(ctx: &'a Ctx<'_>, name: &[u8]) -> Option<&'a [u8]> {
        let name = e2e::dns::lowercase_wire_name(name);
        ctx.apexes
            .iter()
            .filter(|apex| is_within(&name, apex))
            .max_by_key(|apex| apex.len())
            .map(|a| a.as_slice())
    }

    fn any_one_rrset(ctx: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        if ctx.asked.question.qtype != ANY || theirs.rcode != 0 || theirs.answer.is_empty() {
            return false;
        }
        // A DNAME/CNAME chain may lead to the name asked about (ANY is
        // answered at the end of a chain, also in another zone we serve).
        let chain = theirs
            .answer
            .iter()
            .take_while(|rr| rr.rtype == 5 || rr.rtype == 39)
            .count();
        let Some(at) = theirs.answer.get(chain) else {
            return false;
        };
        let first = (e2e::dns::lowercase_wire_name(&at.owner), at.rtype);
        let one_set = theirs.answer[chain..]
            .iter()
            .all(|rr| (e2e::dns::lowercase_wire_name(&rr.owner), rr.rtype) == first);
        let complete = lower(&ctx.ours_tcp.answer);
        let in_ours = lower(&theirs.answer).iter().all(|rr| complete.contains(rr));
        let whole = complete
            .iter()
            .filter(|rr| (rr.owner.clone(), rr.rtype) == first)
            .count()
            == theirs.answer.len() - chain;
        if !(one_set && in_ours && whole) {
            return false;
        }
        ours.answer = theirs.answer.clone();
        ours.additional.clear();
        theirs.additional.clear();
        true
    }

    fn is_referral(r: &Reply) -> bool {
        r.flags & AA == 0 && r.answer.is_empty() && r.authority.iter().any(|rr| rr.rtype == 2)
    }

    fn nsd_glue_without_tc(ctx: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        if ctx.transport != Transport::Udp
            || ours.flags & TC == 0
            || theirs.flags & TC != 0
            || !is_referral(ours)
            || !is_referral(theirs)
        {
            return false;
        }
        let complete = lower(&ctx.ours_tcp.additional);
        if !lower(&theirs.additional)
            .iter()
            .all(|rr| complete.contains(rr))
        {
            return false;
        }
        ours.flags &= !TC;
        ours.additional.clear();
        theirs.additional.clear();
        true
    }

    fn knot_chain_inside_zone(ctx: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        let (o, t) = (lower(&ours.answer), lower(&theirs.answer));
        let Some(last) = t.last() else {
            return false;
        };
        if last.rtype != 5 || o.len() < t.len() || o[..t.len()] != t[..] {
            return false;
        }
        if !theirs.authority.is_empty() {
            return false;
        }
        let question = ctx.asked.question.name_wire();
        let (Some(here), Some(there)) = (zone_of(ctx, &question), zone_of(ctx, &last.rdata)) else {
            return false;
        };
        if here == there {
            return false;
        }
        let extra_inside = o[t.len()..]
            .iter()
            .chain(&lower(&ours.authority))
            .chain(&lower(&ours.additional))
            .all(|rr| is_within(&rr.owner, there));
        if !extra_inside {
            return false;
        }
        ours.answer.truncate(t.len());
        ours.authority.clear();
        ours.additional.clear();
        theirs.additional.clear();
        ours.rcode = theirs.rcode;
        true
    }

    fn nsd_badvers_keeps_cd(_: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        if theirs.rcode == 16 && theirs.flags & CD != 0 && ours.flags & CD == 0 {
            theirs.flags &= !CD;
            return true;
        }
        false
    }

    fn knot_qclass_any_authoritative(ctx: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        if ctx.asked.question.qclass != 255 || theirs.flags & AA == 0 || ours.flags & AA != 0 {
            return false;
        }
        theirs.flags &= !AA;
        theirs.authority.retain(|rr| rr.rtype != 6);
        true
    }

    fn knot_cname_chain_limit(_: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        let (o, t) = (lower(&ours.answer), lower(&theirs.answer));
        let cnames = t.iter().filter(|rr| rr.rtype == 5).count();
        let ends_with_cname = t.last().is_some_and(|rr| rr.rtype == 5);
        if !ends_with_cname
            || cnames < 5
            || theirs.rcode != 0
            || !theirs.authority.is_empty()
            || o.len() <= t.len()
            || o[..t.len()] != t[..]
        {
            return false;
        }
        ours.answer.truncate(t.len());
        ours.authority.clear();
        ours.additional.clear();
        ours.rcode = theirs.rcode;
        true
    }

    fn knot_dname_loop_repeats(_: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        let t = lower(&theirs.answer);
        let mut distinct: Vec<Rr> = Vec::new();
        for rr in &t {
            if !distinct.contains(rr) {
                distinct.push(rr.clone());
            }
        }
        if distinct.len() == t.len() || distinct != lower(&ours.answer) {
            return false;
        }
        theirs.answer = distinct;
        true
    }

    fn name_case(_: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        let lower = |r: &mut Reply| {
            for section in [&mut r.answer, &mut r.authority, &mut r.additional] {
                for rr in section.iter_mut() {
                    *rr = e2e::dns::lowercase_names(rr);
                }
            }
        };
        let before = (ours.clone(), theirs.clone());
        lower(ours);
        lower(theirs);
        (ours.clone(), theirs.clone()) != before
    }

    fn truncated_content(_: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        if ours.flags & TC == 0 || theirs.flags & TC == 0 {
            return false;
        }
        for r in [ours, theirs] {
            r.answer.clear();
            r.authority.clear();
            r.additional.clear();
        }
        true
    }

    /// EDNS option 15 (Extended DNS Error) with INFO-CODE 20 (Not
    /// Authoritative) or 21 (Not Supported), no EXTRA-TEXT.
    const EDE_REFUSED: [[u8; 6]; 2] = [[0, 15, 0, 2, 0, 20], [0, 15, 0, 2, 0, 21]];

    fn ede_not_authoritative(_: &Ctx<'_>, _ours: &mut Reply, theirs: &mut Reply) -> bool {
        match &mut theirs.opt {
            Some(opt) if theirs.rcode == 5 && EDE_REFUSED.iter().any(|e| opt.options == e) => {
                opt.options.clear();
                true
            }
            _ => false,
        }
    }

    fn nsd_apex_ns(ctx: &Ctx<'_>, ours: &mut Reply, theirs: &mut Reply) -> bool {
        if theirs.flags & AA == 0 || ours.authority.iter().any(|rr| rr.rtype == 2) {
            return false;
        }
        let apex_ns: Vec<Rr> = theirs
            .authority
            .iter()
            .filter(|rr| rr.rtype == 2 && ctx.is_apex(&rr.owner))
            .cloned()
            .collect();
        if apex_ns.is_empty() {
            return false;
        }
        theirs.authority.retain(|rr| !apex_ns.contains(rr));
        let targets: Vec<Vec<u8>> = apex_ns
            .iter()
            .map(|rr| e2e::dns::lowercase_wire_name(&rr.rdata))
            .collect();
        let in_ours = |rr: &Rr| {
            ours.additional.iter().any(|o| {
                o.rtype == rr.rtype
                    && e2e::dns::lowercase_wire_name(&o.owner)
                        == e2e::dns::lowercase_wire_name(&rr.owner)
            })
        };
        let extra: Vec<Rr> = theirs
            .additional
            .iter()
            .filter(|rr| {
                matches!(rr.rtype, 1 | 28)
                    && targets.contains(&e2e::dns::lowercase_wire_name(&rr.owner))
                    && !in_ours(rr)
            })
            .cloned()
            .collect();
        theirs.additional.retain(|rr| !extra.contains(rr));
        true
    }
}

/// An RRset as compared: owner (case kept), type, class, then TTLs and
/// RDATA sorted.
type RRsetKey = (Vec<u8>, u16, u16);

fn rrsets(section: &[Rr]) -> BTreeMap<RRsetKey, (Vec<u32>, Vec<Vec<u8>>)> {
    let mut sets: BTreeMap<RRsetKey, (Vec<u32>, Vec<Vec<u8>>)> = BTreeMap::new();
    for rr in section {
        let e = sets
            .entry((rr.owner.clone(), rr.rtype, rr.class))
            .or_default();
        e.0.push(rr.ttl);
        e.1.push(rr.rdata.clone());
    }
    for (ttls, rdatas) in sets.values_mut() {
        ttls.sort_unstable();
        ttls.dedup();
        rdatas.sort();
    }
    sets
}

const COMPARED_FLAGS: u16 = QR | AA | TC | RD | RA | AD | CD;

/// The differences between two answers, one line each; empty if equal.
fn differences(ours: &Reply, theirs: &Reply) -> Vec<String> {
    let mut out = Vec::new();
    if ours.flags & COMPARED_FLAGS != theirs.flags & COMPARED_FLAGS {
        out.push(format!(
            "flags: ours [{}], theirs [{}]",
            e2e::dns::flags_text(ours.flags & COMPARED_FLAGS),
            e2e::dns::flags_text(theirs.flags & COMPARED_FLAGS)
        ));
    }
    if ours.flags & 0x7800 != theirs.flags & 0x7800 {
        out.push("opcode differs".into());
    }
    if ours.rcode != theirs.rcode {
        out.push(format!(
            "rcode: ours {}, theirs {}",
            e2e::dns::rcode_text(ours.rcode),
            e2e::dns::rcode_text(theirs.rcode)
        ));
    }
    if ours.question != theirs.question {
        out.push("question section differs".into());
    }
    for (title, a, b) in [
        ("answer", &ours.answer, &theirs.answer),
        ("authority", &ours.authority, &theirs.authority),
        ("additional", &ours.additional, &theirs.additional),
    ] {
        let (sa, sb) = (rrsets(a), rrsets(b));
        if sa != sb {
            for (key, value) in &sa {
                match sb.get(key) {
                    None => out.push(format!(
                        "{title}: only ours has {} {}",
                        e2e::dns::name_to_text(&key.0),
                        e2e::dns::type_text(key.1)
                    )),
                    Some(v) if v != value => out.push(format!(
                        "{title}: {} {} differs",
                        e2e::dns::name_to_text(&key.0),
                        e2e::dns::type_text(key.1)
                    )),
                    Some(_) => {}
                }
            }
            for key in sb.keys().filter(|k| !sa.contains_key(*k)) {
                out.push(format!(
                    "{title}: only theirs has {} {}",
                    e2e::dns::name_to_text(&key.0),
                    e2e::dns::type_text(key.1)
                ));
            }
        }
    }
    let opt = |r: &Reply| {
        r.opt
            .as_ref()
            .map(|o| (o.payload, o.version, o.flags & 0x8000, o.options.clone()))
    };
    if opt(ours) != opt(theirs) {
        out.push(format!(
            "OPT: ours {:?}, theirs {:?}",
            opt(ours),
            opt(theirs)
        ));
    }
    out
}

/// How one comparison ended.
enum Verdict {
    Equal,
    Allowed(Vec<&'static str>),
    Different(Vec<String>),
}

fn judge(ctx: &Ctx<'_>, ours: &Reply, theirs: &Reply) -> Verdict {
    if differences(ours, theirs).is_empty() {
        return Verdict::Equal;
    }
    let (mut ours, mut theirs) = (ours.clone(), theirs.clone());
    let mut used = Vec::new();
    for rule in allowed_differences::ALLOWED {
        if rule.peers.contains(&ctx.peer) && (rule.apply)(ctx, &mut ours, &mut theirs) {
            used.push(rule.id);
            if differences(&ours, &theirs).is_empty() {
                return Verdict::Allowed(used);
            }
        }
    }
    Verdict::Different(differences(&ours, &theirs))
}

/// Sends `query` to `server` over `transport` and parses the answer; every
/// answer must also parse with hickory.
fn exchange(
    server: &DnsServer,
    client: &mut Client,
    transport: Transport,
    a: &Asked,
    query: &[u8],
    failures: &mut Vec<String>,
) -> Reply {
    let raw = match transport {
        Transport::Udp => client.udp(query),
        Transport::Tcp => client.tcp(query),
    }
    .unwrap_or_else(|| {
        panic!(
            "{}: no {transport:?} answer to {} {}\nlog:\n{}",
            server.kind(),
            a.question,
            a.options,
            server.log()
        )
    });
    let reply = parse_reply(&raw).unwrap_or_else(|e| {
        panic!(
            "{}: malformed {transport:?} answer to {} {}: {e}\n{raw:02x?}",
            server.kind(),
            a.question,
            a.options
        )
    });
    // hickory 0.26 rejects records with empty RDATA outside UPDATE
    // messages, which RFC 3597 allows for unknown types: not checked there.
    let empty_rdata = [&reply.answer, &reply.authority, &reply.additional]
        .iter()
        .any(|section| section.iter().any(|rr| rr.rdata.is_empty()));
    // hickory also takes every SIG (type 24) for a SIG(0) transaction
    // signature, allowed only in the additional section (RFC 2931 §3);
    // a zone's SIG RRset (RFC 2535) in an answer is not checked there.
    let zone_sig = [&reply.answer, &reply.authority]
        .iter()
        .any(|section| section.iter().any(|rr| rr.rtype == 24));
    if let (Err(e), false) = (e2e::dns::hickory_parses(&raw), empty_rdata || zone_sig) {
        failures.push(format!(
            "{}: hickory cannot parse the {transport:?} answer to {} {}: {e}",
            server.kind(),
            a.question,
            a.options
        ));
    }
    reply
}

/// Counts for the summary.
#[derive(Default)]
struct Tally {
    equal: usize,
    allowed: usize,
    different: usize,
    by_rule: BTreeMap<&'static str, usize>,
}

#[test]
fn answers_equal_nsd_and_knot() {
    let zones = corpus();
    let kinds = [ServerKind::PrimaryGit, ServerKind::Nsd, ServerKind::Knot];
    let adapted_dir = e2e::TempDir::new("differential-zones");
    let servers: Vec<DnsServer> = kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| {
            let peer = match kind {
                ServerKind::Nsd => Some(peer_types::Peer::Nsd),
                ServerKind::Knot => Some(peer_types::Peer::Knot),
                _ => None,
            };
            let served: Vec<CorpusZone> = zones
                .iter()
                .map(|z| {
                    peer.and_then(|p| peer_types::for_peer(z, p, adapted_dir.path()))
                        .unwrap_or_else(|| z.clone())
                })
                .collect();
            DnsServer::start(kind, &served, server_addr(i as u16))
        })
        .collect();
    let mut clients: Vec<Client> = servers.iter().map(|s| Client::new(s.addr())).collect();
    let asked = questions(&zones);
    let apexes: Vec<Vec<u8>> = zones
        .iter()
        .map(|z| e2e::dns::lowercase_wire_name(&Question::new(&z.origin, 6).name_wire()))
        .collect();

    let mut tally: BTreeMap<ServerKind, Tally> = BTreeMap::new();
    let mut peers_agree = 0usize;
    let mut failures: Vec<String> = Vec::new();
    for a in &asked {
        let query = build_query(&a.question, &a.options);
        // replies[transport][server]
        let replies: Vec<Vec<Reply>> = [Transport::Udp, Transport::Tcp]
            .iter()
            .map(|&t| {
                servers
                    .iter()
                    .zip(clients.iter_mut())
                    .map(|(server, client)| exchange(server, client, t, a, &query, &mut failures))
                    .collect()
            })
            .collect();
        for (t, transport) in [Transport::Udp, Transport::Tcp].into_iter().enumerate() {
            let ours = &replies[t][0];
            if differences(&replies[t][1], &replies[t][2]).is_empty() {
                peers_agree += 1;
            }
            for (server, theirs) in servers.iter().zip(&replies[t]).skip(1) {
                let peer = server.kind();
                let ctx = Ctx {
                    asked: a,
                    transport,
                    peer,
                    apexes: &apexes,
                    ours_tcp: &replies[1][0],
                };
                let counts = tally.entry(peer).or_default();
                match judge(&ctx, ours, theirs) {
                    Verdict::Equal => counts.equal += 1,
                    Verdict::Allowed(ids) => {
                        counts.allowed += 1;
                        for id in ids {
                            *counts.by_rule.entry(id).or_default() += 1;
                        }
                    }
                    Verdict::Different(diffs) => {
                        counts.different += 1;
                        let mut text = format!(
                            "{} {} over {transport:?}: differs from {peer}\n",
                            a.question, a.options
                        );
                        for d in diffs {
                            let _ = writeln!(text, "  - {d}");
                        }
                        let _ = write!(text, "--- ours\n{ours}--- {peer}\n{theirs}");
                        failures.push(text);
                    }
                }
            }
        }
    }

    let exchanges = asked.len() * 2;
    println!(
        "differential answers: {} zones, {} questions, each over UDP and over TCP: \
         {exchanges} answers from each of {}",
        zones.len(),
        asked.len(),
        kinds.map(|k| k.name()).join(", ")
    );
    for (peer, t) in &tally {
        println!(
            "  ours vs {peer}: {} equal, {} equal but for allowed differences, {} different",
            t.equal, t.allowed, t.different
        );
        for (id, n) in &t.by_rule {
            let rfc = allowed_differences::ALLOWED
                .iter()
                .find(|a| a.id == *id)
                .map_or("", |a| a.rfc);
            println!("      {n:5} × {id} ({rfc})");
        }
    }
    println!("  nsd vs knot (for reference): {peers_agree} of {exchanges} equal");
    if let Some(path) = std::env::var_os("DIFFERENTIAL_REPORT") {
        std::fs::write(path, failures.join("\n")).expect("write the report");
    }
    if !failures.is_empty() {
        let shown: Vec<&str> = failures.iter().take(30).map(|s| s.as_str()).collect();
        panic!(
            "{} answers differ without an allowed reason (first {}); the allowed \
             differences are in `allowed_differences::ALLOWED`:\n\n{}",
            failures.len(),
            shown.len(),
            shown.join("\n")
        );
    }
}
