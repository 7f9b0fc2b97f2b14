//! BIND's own zone files as a corpus for our loader: the master files of
//! its unit tests (`tests/dns/testdata/master/*.data`, origin `test.` as
//! `master_test.c` loads them) and of its system tests (every zone a
//! `bin/tests/system/*/*/named*.conf*` names with a `file`, the file or its
//! `.in` template). The sources are MPL-2.0, read at test time from the
//! `bind9` Debian source package ([`e2e::debsrc`]), not copied here.
//!
//! `named-checkzone` decides which files are valid (run in the file's
//! directory, as named runs there, so `$INCLUDE` resolves as in BIND; the
//! checks that are policy rather than zone syntax or structure — name
//! syntax, MX/SRV/NS target checks, SPF and DNSSEC warnings — are turned
//! off, as they are not errors for us either). We load each file with its
//! directory as the `$INCLUDE` tree and count: valid files we load, invalid
//! files we refuse. The test prints the counts, lists the disagreements,
//! and fails if a count falls below what we reach today.

use dns_zone::{IncludeError, IncludeFiles, Name, Zone};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Valid files we load, at least (measured 2026-12 with BIND 9.18.49:
/// 437 of 445). The rest, printed by the test, we refuse on purpose: data
/// outside the zone (BIND ignores it, we report it), data below a DNAME
/// (NSD and Knot refuse it), an origin with a `/` in a label, and two
/// corner cases of RDATA text (an NXT bitmap naming type 127, a `\#`
/// form with a non-numeric length).
const LOADED_AT_LEAST: usize = 437;
/// Invalid files we refuse, at least (measured 2026-12: 25 of 29). The
/// four we load: master15.data and master16.data, a TXT of 65 513 and
/// 65 512 octets: within RDLENGTH (RFC 1035 §3.2.1), over a limit of
/// BIND's own database ("ran out of space"); master17.data and
/// nsec3-fails-to-load.kasp.db.in, an apex NS target in the zone without
/// address: BIND's check-integrity refuses it, NSD and knotd load it, so
/// we load it with a warning (libs/dns/dns-zone's check table).
const REFUSED_AT_LEAST: usize = 25;

/// A directory as the `$INCLUDE` tree.
struct Directory<'a>(&'a Path);

impl IncludeFiles for Directory<'_> {
    fn read(&mut self, path: &str) -> Result<Vec<u8>, IncludeError> {
        let at = self.0.join(path);
        if at.is_dir() {
            return Err(IncludeError::Refused("a directory".into()));
        }
        std::fs::read(&at).map_err(|_| IncludeError::NotFound)
    }
}

/// One zone file to judge: the directory BIND runs in, the zone, the file
/// (relative to that directory).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Case {
    dir: PathBuf,
    origin: String,
    file: String,
}

/// `zone "NAME" … { … file "FILE"; … }` statements of a named.conf.
fn zones_of_conf(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("zone \"") {
        rest = &rest[at + 6..];
        let Some(end) = rest.find('"') else { break };
        let name = rest[..end].to_string();
        // The zone's block: up to the next `zone "` statement.
        let block_end = rest.find("zone \"").unwrap_or(rest.len());
        let block = &rest[..block_end];
        let is_primary = !block.contains("type secondary")
            && !block.contains("type slave")
            && !block.contains("type forward")
            && !block.contains("type hint")
            && !block.contains("type redirect")
            && !block.contains("in-view");
        if let Some(f) = block.find("file \"") {
            let f = &block[f + 6..];
            if let Some(e) = f.find('"') {
                if is_primary && !name.contains('@') && !f[..e].contains('@') {
                    out.push((name, f[..e].to_string()));
                }
            }
        }
    }
    out
}

fn cases(source: &Path) -> Vec<Case> {
    let mut cases = BTreeSet::new();
    let unit = source.join("tests/dns");
    if let Ok(entries) = std::fs::read_dir(unit.join("testdata/master")) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".data") {
                cases.insert(Case {
                    dir: unit.clone(),
                    origin: "test".into(),
                    file: format!("testdata/master/{name}"),
                });
            }
        }
    }
    let system = source.join("bin/tests/system");
    for test in std::fs::read_dir(&system)
        .expect("bin/tests/system")
        .flatten()
    {
        let Ok(servers) = std::fs::read_dir(test.path()) else {
            continue;
        };
        for server in servers.flatten() {
            let dir = server.path();
            let Ok(files) = std::fs::read_dir(&dir) else {
                continue;
            };
            for conf in files.flatten() {
                let name = conf.file_name().to_string_lossy().into_owned();
                if !name.starts_with("named") || !name.contains(".conf") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(conf.path()) else {
                    continue;
                };
                for (origin, file) in zones_of_conf(&text) {
                    let file = if dir.join(&file).is_file() {
                        file
                    } else if dir.join(format!("{file}.in")).is_file() {
                        format!("{file}.in")
                    } else {
                        continue;
                    };
                    let origin = origin.trim_end_matches('.').to_string();
                    let origin = if origin.is_empty() {
                        ".".to_string()
                    } else {
                        origin
                    };
                    cases.insert(Case {
                        dir: dir.clone(),
                        origin,
                        file,
                    });
                }
            }
        }
    }
    cases.into_iter().collect()
}

/// Whether BIND loads the file (syntax and structure; policy checks off).
fn bind_loads(case: &Case) -> bool {
    let output = Command::new("named-checkzone")
        .args([
            "-q", "-i", "local", "-k", "ignore", "-n", "ignore", "-m", "ignore", "-M", "ignore",
            "-S", "ignore", "-T", "ignore", "-W", "ignore", "-r", "ignore",
        ])
        .arg(&case.origin)
        .arg(&case.file)
        .current_dir(&case.dir)
        .output()
        .expect("run named-checkzone (package bind9-utils)");
    output.status.success()
}

/// Whether we load it; the first error when not.
fn we_load(case: &Case) -> Result<(), String> {
    let text = std::fs::read(case.dir.join(&case.file)).map_err(|e| e.to_string())?;
    let origin: Name = format!("{}.", case.origin.trim_end_matches('.'))
        .parse()
        .map_err(|e| format!("origin: {e}"))?;
    let mut tree = Directory(&case.dir);
    Zone::parse_with_includes(&text, origin, &mut tree, &case.file)
        .map(|_| ())
        .map_err(|e| {
            e.errors
                .first()
                .map(|d| d.display_in(&case.file).to_string())
                .unwrap_or_default()
        })
}

#[test]
fn bind_zone_files_load_as_named_checkzone_judges_them() {
    let source = e2e::debsrc::source_members(
        "bind9",
        "bind9-zones",
        &["*/tests/dns/testdata/master/*", "*/bin/tests/system/*"],
    );
    let cases = cases(&source);
    assert!(cases.len() > 200, "only {} zone files found", cases.len());
    let (mut valid, mut loaded, mut invalid, mut refused) = (0, 0, 0, 0);
    let mut disagreements = Vec::new();
    for case in &cases {
        let shown = format!(
            "{}/{} ({})",
            case.dir
                .strip_prefix(&source)
                .unwrap_or(&case.dir)
                .display(),
            case.file,
            case.origin
        );
        match (bind_loads(case), we_load(case)) {
            (true, Ok(())) => {
                valid += 1;
                loaded += 1;
            }
            (true, Err(e)) => {
                valid += 1;
                disagreements.push(format!("valid for BIND, refused by us: {shown}: {e}"));
            }
            (false, Err(_)) => {
                invalid += 1;
                refused += 1;
            }
            (false, Ok(())) => {
                invalid += 1;
                disagreements.push(format!("invalid for BIND, loaded by us: {shown}"));
            }
        }
    }
    for d in &disagreements {
        println!("  {d}");
    }
    println!(
        "BIND zone corpus: {} files; {valid} valid for named-checkzone, of which we load \
         {loaded}; {invalid} invalid, of which we refuse {refused}",
        cases.len()
    );
    assert!(
        loaded >= LOADED_AT_LEAST,
        "we load {loaded} valid files, fewer than {LOADED_AT_LEAST}"
    );
    assert!(
        refused >= REFUSED_AT_LEAST,
        "we refuse {refused} invalid files, fewer than {REFUSED_AT_LEAST}"
    );
}
