//! Broken zone files (`tests/e2e/fixtures/malformed/*.zone`) and the exact
//! diagnostics each must give, `file:line:column: message` as
//! `solodns zone check` prints them, listed in
//! `tests/e2e/fixtures/malformed/EXPECTED` (all of them, in order).
//!
//! Each file says in its first line what is wrong with it. A new case is a
//! new file and its lines in EXPECTED.

use dns_zone::{IncludeError, IncludeFiles, Zone};
use e2e::dns::fixtures_dir;
use std::collections::BTreeMap;

const ORIGIN: &str = "example.test.";

/// The fixtures directory as the `$INCLUDE` tree, as `solodns zone check`
/// takes the zone file's directory.
struct Fixtures(std::path::PathBuf);

impl IncludeFiles for Fixtures {
    fn read(&mut self, path: &str) -> Result<Vec<u8>, IncludeError> {
        std::fs::read(self.0.join(path)).map_err(|_| IncludeError::NotFound)
    }
}

/// The diagnostics of one file, formatted as the CLI prints errors.
fn diagnostics(file: &str, text: &[u8]) -> Vec<String> {
    let mut tree = Fixtures(fixtures_dir().join("malformed"));
    match Zone::parse_with_includes(text, ORIGIN.parse().expect("origin"), &mut tree, file) {
        Ok(_) => Vec::new(),
        Err(e) => e
            .errors
            .iter()
            .map(|d| d.display_in(file).to_string())
            .collect(),
    }
}

#[test]
fn every_broken_file_gives_exactly_its_expected_errors() {
    let dir = fixtures_dir().join("malformed");
    let listing = std::fs::read_to_string(dir.join("EXPECTED")).expect("EXPECTED");
    let mut expected: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in listing
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let file = line.split(':').next().expect("a file name").to_string();
        expected.entry(file).or_default().push(line.to_string());
    }
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("read the fixtures")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".zone"))
        .collect();
    files.sort();
    assert!(files.len() >= 20, "only {} broken files", files.len());
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read(dir.join(file)).expect("read");
        let got = diagnostics(file, &text);
        let want = expected.remove(file).unwrap_or_default();
        if want.is_empty() {
            failures.push(format!("{file}: no expected errors in EXPECTED"));
        } else if got != want {
            failures.push(format!(
                "{file}:\n  expected:\n    {}\n  got:\n    {}",
                want.join("\n    "),
                got.join("\n    ")
            ));
        }
    }
    for file in expected.keys() {
        failures.push(format!("EXPECTED lists {file}, which does not exist"));
    }
    println!(
        "malformed zone files: {} files, {} differ",
        files.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// BIND rejects every one of these files too, and so does NSD except
/// where it is more lenient (listed with what it does instead).
#[test]
fn bind_and_nsd_reject_them_too() {
    // (file, the peer that loads it, what it makes of it)
    const ACCEPTED_BY_PEERS: &[(&str, &str, &str)] = &[
        ("ttl-overflow.zone", "nsd", "reads TTL 4294967296 as 0"),
        (
            "bad-escape.zone",
            "nsd",
            "warns about \\999 and reads the label as `a999b`",
        ),
        (
            "indented-first.zone",
            "nsd",
            "takes the origin as the owner of the first record",
        ),
    ];
    let named = e2e::dns::require_program("named-checkzone", "bind9-utils");
    let nsd = e2e::dns::require_program("nsd-checkzone", "nsd");
    let dir = fixtures_dir().join("malformed");
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("read the fixtures") {
        let path = entry.expect("entry").path();
        let file = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if !file.ends_with(".zone") {
            continue;
        }
        let lenient = ACCEPTED_BY_PEERS
            .iter()
            .find(|(f, _, _)| *f == file)
            .map_or("none", |(_, who, _)| *who);
        for (peer, program, args) in [
            ("bind", &named, vec!["-q", "-k", "fail", "-n", "ignore"]),
            ("nsd", &nsd, vec![]),
        ] {
            let status = std::process::Command::new(program)
                .args(&args)
                .arg("example.test")
                .arg(&path)
                .output()
                .expect("run the checker")
                .status;
            match (status.success(), lenient == peer) {
                (true, false) => failures.push(format!("{peer} accepts {file}")),
                (false, true) => failures.push(format!(
                    "{peer} rejects {file}: remove it from ACCEPTED_BY_PEERS"
                )),
                _ => {}
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
