//! Parser differential: for every zone of the corpus (`zones-example/` and
//! `tests/e2e/fixtures/zones/`), the records our parser reads equal those
//! that BIND (`named-checkzone -D`) and NSD (`nsd-checkzone -p`) read, as
//! sets of (owner, class, TTL, type, RDATA), owner and RDATA in canonical
//! form (RFC 4034 §6.2: names in lower case where the type says so).
//!
//! The peers print the zone back in their own presentation style (fully
//! qualified names, their own escapes, quoting and spacing, `$ORIGIN`
//! blocks); that output is read with our parser, so the test also checks
//! that we read their styles.
//!
//! `alltypes.test` has every type any of BIND, NSD and Knot reads; a peer
//! gets the records of types it has no presentation format for in the
//! RFC 3597 generic form, and none of the types it refuses (BIND: MD, MF),
//! see `support/peer_types.rs`; the comparison leaves the refused out.

#[path = "support/peer_types.rs"]
mod peer_types;

use peer_types::{Peer, Reading};

use dns_zone::{Entry, Name, RecordType, Zone, ZoneParser};
use e2e::dns::{corpus, name_to_text, rdata_text, require_program, type_text, CorpusZone};
use std::collections::BTreeSet;
use std::process::Command;

/// (owner, class, TTL, type, canonical RDATA); the owner in canonical
/// (lower-case) wire form.
type Record = (Vec<u8>, u16, u32, u16, Vec<u8>);

fn canonical_owner(name: &Name) -> Vec<u8> {
    let mut wire = Vec::new();
    dns_zone::name::name_to_wire(name, &mut wire);
    e2e::dns::lowercase_wire_name(&wire)
}

fn record(owner: &Name, ttl: u32, rtype: RecordType, rdata: dns_zone::RdataRef<'_>) -> Record {
    (
        canonical_owner(owner),
        1,
        ttl,
        u16::from(rtype),
        rdata.canonical(rtype).into_owned(),
    )
}

/// Our reading of a corpus zone: parsed and validated, as we serve it;
/// without the records of types `peer` refuses.
fn ours(zone: &CorpusZone, peer: Peer) -> BTreeSet<Record> {
    let z: Zone = zone.parse();
    z.records()
        .filter(|(_, set, _)| peer_types::reading(peer, u16::from(set.rtype())) != Reading::Refused)
        .map(|(owner, set, rdata)| record(&owner, set.ttl(), set.rtype(), rdata))
        .collect()
}

/// A peer's printed zone, read with our parser (no validation: the records
/// only).
fn read_printed(zone: &CorpusZone, peer: &str, text: &str) -> BTreeSet<Record> {
    let mut records = BTreeSet::new();
    let mut errors = Vec::new();
    for item in ZoneParser::new(text.as_bytes(), zone.origin_name()) {
        match item {
            Ok(Entry {
                owner,
                ttl,
                rtype,
                rdata,
                ..
            }) => {
                records.insert(record(&owner, ttl, rtype, rdata.view()));
            }
            Err(e) => errors.push(e.display_in(peer).to_string()),
        }
    }
    assert!(
        errors.is_empty(),
        "{}: we cannot read {peer}'s output:\n{}\n--- output\n{text}",
        zone.origin,
        errors.join("\n")
    );
    records
}

fn show(r: &Record) -> String {
    format!(
        "{} {} IN {} {}",
        name_to_text(&r.0),
        r.2,
        type_text(r.3),
        rdata_text(r.3, &r.4)
    )
}

/// Compares and returns one message per zone that differs.
fn compare(zone: &CorpusZone, who: Peer, peer: &str, theirs: &BTreeSet<Record>) -> Option<String> {
    let ours = ours(zone, who);
    if &ours == theirs {
        return None;
    }
    let mut text = format!("{}: our records differ from {peer}'s\n", zone.origin);
    for r in ours.difference(theirs) {
        text += &format!("  only ours:   {}\n", show(r));
    }
    for r in theirs.difference(&ours) {
        text += &format!("  only {peer}: {}\n", show(r));
    }
    Some(text)
}

fn run(mut command: Command, what: &str) -> String {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("run {what}: {e}"));
    assert!(
        output.status.success(),
        "{what} failed ({}):\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap_or_else(|e| panic!("{what}: output is not UTF-8: {e}"))
}

#[test]
fn records_equal_named_checkzone() {
    let program = require_program("named-checkzone", "bind9-utils");
    let mut failures = Vec::new();
    let zones = corpus();
    let dir = e2e::TempDir::new("parser-bind");
    for zone in &zones {
        let adapted = peer_types::for_peer(zone, Peer::Bind, dir.path());
        let file = adapted.as_ref().unwrap_or(zone);
        let mut command = Command::new(&program);
        // -D: dump the zone; -o -: to stdout; -q: no other output there.
        // -k/-n ignore: our corpus has owner names that are not host names.
        command
            .args(["-q", "-k", "ignore", "-n", "ignore", "-D", "-o", "-"])
            .arg(&zone.origin)
            .arg(&file.path);
        let printed = run(command, &format!("named-checkzone {}", zone.origin));
        let theirs = read_printed(zone, "named-checkzone", &printed);
        failures.extend(compare(zone, Peer::Bind, "named-checkzone", &theirs));
    }
    println!(
        "parser differential: {} zones, {} equal to named-checkzone -D",
        zones.len(),
        zones.len() - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn records_equal_nsd_checkzone() {
    let program = require_program("nsd-checkzone", "nsd");
    let mut failures = Vec::new();
    let zones = corpus();
    let dir = e2e::TempDir::new("parser-nsd");
    for zone in &zones {
        let adapted = peer_types::for_peer(zone, Peer::Nsd, dir.path());
        let file = adapted.as_ref().unwrap_or(zone);
        let mut command = Command::new(&program);
        command.arg("-p").arg(&zone.origin).arg(&file.path);
        let printed = run(command, &format!("nsd-checkzone {}", zone.origin));
        let theirs = read_printed(zone, "nsd-checkzone", &printed);
        failures.extend(compare(zone, Peer::Nsd, "nsd-checkzone", &theirs));
    }
    println!(
        "parser differential: {} zones, {} equal to nsd-checkzone -p",
        zones.len(),
        zones.len() - failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
