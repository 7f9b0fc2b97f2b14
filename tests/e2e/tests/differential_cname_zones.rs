//! Issue 13: CNAME chains from one zone into another zone the same server
//! serves. NSD, Knot and primary-git serve the same two zones on loopback
//! and get the same questions. NSD (like BIND) follows the chain into the
//! other zone (RFC 1034 §4.3.2 step 3.a: "go back to step 1", which
//! searches all zones); Knot stops at the zone's edge and leaves the rest
//! to the resolver. We follow NSD: our answer, rcode and AA must equal
//! NSD's, and the authority section too except for the zone's NS RRset NSD
//! adds to positive answers (minimal-responses: no, see
//! differential_answers.rs); Knot's answer must be the start of ours, the
//! CNAME that leaves its zone last. The test prints each server's answer.

use e2e::dns::{
    build_query, parse_reply, server_addr, Client, CorpusZone, DnsServer, QueryOptions, Question,
    Reply, Rr, ServerKind, AA,
};
use e2e::TempDir;

const A: &str = "$TTL 300
@ SOA ns.a.test. h.a.test. 1 7200 3600 1209600 300
@ NS ns.a.test.
ns A 192.0.2.1
www CNAME www.b.test.
chain CNAME c1.b.test.
loop CNAME loop.b.test.
back A 192.0.2.7
tonx CNAME nx.b.test.
tonodata CNAME nodata.b.test.
toref CNAME x.sub.b.test.
away CNAME www.elsewhere.example.
inside CNAME back
old DNAME b.test.
mx MX 10 mail.b.test.
";

const B: &str = "$TTL 300
@ SOA ns.b.test. h.b.test. 1 7200 3600 1209600 300
@ NS ns.b.test.
ns A 192.0.2.2
www A 192.0.2.3
c1 CNAME back.a.test.
loop CNAME loop.a.test.
nodata TXT \"x\"
sub NS ns.other.
mail A 192.0.2.9
";

const QUESTIONS: &[(&str, u16)] = &[
    ("www.a.test", 1),
    ("www.a.test", 28),
    ("www.a.test", 5),
    ("chain.a.test", 1),
    ("loop.a.test", 1),
    ("tonx.a.test", 1),
    ("tonodata.a.test", 1),
    ("toref.a.test", 1),
    ("away.a.test", 1),
    ("inside.a.test", 1),
    ("www.old.a.test", 1),
    ("mx.a.test", 15),
    ("c1.b.test", 1),
];

fn lower(rrs: &[Rr]) -> Vec<String> {
    let mut v: Vec<String> = rrs
        .iter()
        .map(|r| r.to_string().to_ascii_lowercase())
        .collect();
    v.sort();
    v
}

/// The authority section without the apex NS RRset NSD adds to positive
/// answers.
fn authority_but_apex_ns(reply: &Reply) -> Vec<String> {
    let positive = reply.rcode == 0 && !reply.answer.is_empty();
    let apexes = [
        Question::new("a.test", 2).name_wire(),
        Question::new("b.test", 2).name_wire(),
    ];
    let kept: Vec<Rr> = reply
        .authority
        .iter()
        .filter(|r| {
            !(positive
                && r.rtype == 2
                && apexes
                    .iter()
                    .any(|a| e2e::dns::lowercase_wire_name(&r.owner) == *a))
        })
        .cloned()
        .collect();
    lower(&kept)
}

#[test]
fn chains_into_our_other_zone_answer_as_nsd() {
    let dir = TempDir::new("cname-zones");
    let zones: Vec<CorpusZone> = [("a.test", A), ("b.test", B)]
        .iter()
        .map(|(origin, text)| {
            let path = dir.path().join(origin);
            std::fs::write(&path, text).expect("write the zone");
            CorpusZone {
                origin: origin.to_string(),
                path,
            }
        })
        .collect();
    let kinds = [ServerKind::PrimaryGit, ServerKind::Nsd, ServerKind::Knot];
    let servers: Vec<DnsServer> = kinds
        .iter()
        .enumerate()
        .map(|(i, &kind)| DnsServer::start(kind, &zones, server_addr(20 + i as u16)))
        .collect();
    let mut clients: Vec<Client> = servers.iter().map(|s| Client::new(s.addr())).collect();
    let mut failures = Vec::new();
    let (mut knot_stopped, mut followed) = (0, 0);
    for (i, &(name, qtype)) in QUESTIONS.iter().enumerate() {
        let question = Question::new(name, qtype);
        let query = build_query(&question, &QueryOptions::plain(i as u16 + 1));
        let replies: Vec<Reply> = clients
            .iter_mut()
            .zip(&servers)
            .map(|(client, server)| {
                let raw = client
                    .udp(&query)
                    .unwrap_or_else(|| panic!("{}: no answer to {question}", server.kind()));
                parse_reply(&raw).expect("a well-formed answer")
            })
            .collect();
        let (ours, nsd, knot) = (&replies[0], &replies[1], &replies[2]);
        println!("{question}:");
        for (kind, r) in kinds.iter().zip(&replies) {
            println!(
                "  {kind}: rcode {} aa {} answer [{}] authority [{}]",
                r.rcode,
                r.flags & AA != 0,
                lower(&r.answer).join("; "),
                lower(&r.authority).join("; ")
            );
        }
        if (
            ours.rcode,
            ours.flags & AA,
            lower(&ours.answer),
            authority_but_apex_ns(ours),
        ) != (
            nsd.rcode,
            nsd.flags & AA,
            lower(&nsd.answer),
            authority_but_apex_ns(nsd),
        ) {
            failures.push(format!(
                "{question}: differs from NSD\n--- ours\n{ours}--- nsd\n{nsd}"
            ));
        }
        // Knot's answer is where ours starts.
        let knot_answer = lower(&knot.answer);
        if !knot_answer
            .iter()
            .all(|rr| lower(&ours.answer).contains(rr))
        {
            failures.push(format!(
                "{question}: Knot's answer is not part of ours\n--- ours\n{ours}--- knot\n{knot}"
            ));
        }
        if knot.answer.len() < ours.answer.len() {
            knot_stopped += 1;
        }
        if ours.answer.len() > 1 {
            followed += 1;
        }
    }
    println!(
        "{} questions: NSD and we follow the chain into the other zone in {followed}; Knot \
         stops at its zone's edge in {knot_stopped}",
        QUESTIONS.len()
    );
    assert!(knot_stopped >= 5, "the chains cross zones");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
