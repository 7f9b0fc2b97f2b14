//! Knot DNS's zone-scanner test cases as golden tests for our master-file
//! parser.
//!
//! The cases (`tests/libzscanner/data/*.in` with the expected `*.out`) are
//! GPL, so they are not in this repository: the test fetches the `knot`
//! Debian source package with `apt-get source`, from a `deb-src` entry
//! derived from the machine's configured Debian mirror, with a private
//! sources list, list directory and cache (the system's apt configuration
//! and state are not touched), and keeps the extracted cases under
//! `target/knot-zscanner/` so that later runs are offline and fast.
//!
//! Knot's `zscanner-tool -m 2 . FILE` prints, for each record, its owner,
//! class, TTL, type and RDATA in hex, and for each rejected line `WARNG=`
//! (the scanner goes on with the next line) or `ERROR=` (it stops), each
//! block ended by `------`. We run our parser on the same input (origin
//! `.`, default TTL 0 as the tool has) and compare the sequence: the same
//! records with the same bytes, and an error wherever Knot reports one.
//! Error codes are not compared (ours are messages, not Knot's codes).

use dns_zone::{Name, ZoneParser};
use e2e::repo_root;
use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::Command;

const UNSUPPORTED_TYPE: &str = "a record type our parser does not support (it is not in \
     the list of issue 5, and the parser rejects its mnemonic rather than guessing)";

const INCLUDE: &str = "$INCLUDE of a file: the parser has no file system (a unikernel \
     reads zones from git), so it reports $INCLUDE as unsupported; the case's expected \
     output needs the included records";

/// Cases not run, each with the reason. Every other case must agree.
const SKIPPED: &[(&str, &str)] = &[
    (
        "00-2_general",
        "CR LF line ends: Knot stops at the first CR (ZS_DOS_NEWLINE); RFC 1035 \
      §5.1 says nothing of CR, and BIND and we read CR LF files",
    ),
    (
        "04-1_ORIGIN",
        "a relative $ORIGIN: Knot stops (ZS_BAD_ORIGIN); BIND and we append the \
      current origin, as RFC 1035 §5.1 says of every relative name",
    ),
    (
        "04-2_ORIGIN",
        "an unescaped `%` in $ORIGIN: Knot stops (ZS_BAD_ORIGIN); RFC 1035 \
      §5.1 does not reserve `%`, and BIND and we accept it",
    ),
    ("06-0_INCLUDE", INCLUDE),
    ("06-5_INCLUDE", INCLUDE),
    ("06-6_INCLUDE", INCLUDE),
    ("06-8_INCLUDE", INCLUDE),
    ("20_RT", UNSUPPORTED_TYPE),
    ("23_MINFO", UNSUPPORTED_TYPE),
    ("30_KEY", UNSUPPORTED_TYPE),
    ("32_APL", UNSUPPORTED_TYPE),
    (
        "36_RRSIG",
        "RRSIG (and the other DNSSEC-signing types) only in RFC 3597 generic form: \
      signatures are computed, not written in zone files, in this suite",
    ),
    (
        "37_NSEC",
        "NSEC only in RFC 3597 generic form (see 36_RRSIG)",
    ),
    ("38_DHCID", UNSUPPORTED_TYPE),
    (
        "39_NSEC3",
        "NSEC3 only in RFC 3597 generic form (see 36_RRSIG)",
    ),
    (
        "40_NSEC3PARAM",
        "NSEC3PARAM only in RFC 3597 generic form (see 36_RRSIG)",
    ),
    ("42_LOC", UNSUPPORTED_TYPE),
    ("43_EUI48", UNSUPPORTED_TYPE),
    ("44_EUI64", UNSUPPORTED_TYPE),
    ("45_NID", UNSUPPORTED_TYPE),
    ("46_L32", UNSUPPORTED_TYPE),
    ("47_L64", UNSUPPORTED_TYPE),
    ("48_LP", UNSUPPORTED_TYPE),
    ("55_CSYNC", UNSUPPORTED_TYPE),
];

/// Single outcomes where we knowingly decide otherwise than Knot: (case,
/// 1-based outcome, reason). A listed outcome that agrees fails the test,
/// so the list stays true.
const DEVIATIONS: &[(&str, usize, &str)] = &[
    (
        "00-0_general",
        13,
        "nested parentheses: RFC 1035 §5.1 does not define nesting; Knot \
      and NSD reject it, BIND and we accept it",
    ),
    (
        "01_owner",
        20,
        "an unescaped `&` in an owner: RFC 1035 §5.1 reserves only blank, \
      `.`, `\\`, `\"`, `(`, `)`, `;` and `@`/`$` in places; BIND, NSD and we accept it, \
      Knot wants it escaped",
    ),
    (
        "01_owner",
        21,
        "an owner-less line after the `&` line (outcome 20), which Knot \
      rejected and we did not",
    ),
    ("01_owner", 23, DOUBLE_AT),
    ("03_rrttl", 3, TTL_TOP_BIT),
    ("05-0_TTL", 3, TTL_TOP_BIT),
    (
        "28_TYPE",
        1,
        "TYPE0 (reserved, RFC 6895 §3.1): BIND refuses it in a master file \
      (\"invalid use of a meta type\") and NSD does not know it, so we refuse it; \
      Knot's scanner accepts it",
    ),
    (
        "28_TYPE",
        2,
        "TYPE65535 (reserved, RFC 6895 §3.1): BIND, NSD and Knot load it; we \
      refuse it like the other reserved and meta types, in files and in UPDATE",
    ),
    (
        "02_class",
        4,
        "CLASS1: RFC 3597 §5 defines the generic CLASSnnn form; BIND and we \
      accept it, Knot does not",
    ),
    (
        "12_TXT",
        19,
        "a quoted string over 255 octets: RFC 1035 §3.3 limits a \
      <character-string> to 255; BIND, NSD and we reject it, Knot splits it in two",
    ),
    (
        "12_TXT",
        20,
        "as outcome 19, with a decimal escape at the end",
    ),
    (
        "12_TXT",
        27,
        "`\"\"\"`: BIND, NSD and we read an empty string and then a string \
      up to the next quote (in the comment); Knot rejects a quote right after a string",
    ),
    ("14_NS", 24, UNRESERVED_CHARACTER),
    ("14_NS", 25, DOUBLE_AT),
    ("18_MX", 14, UNRESERVED_CHARACTER),
    ("26_SRV", 14, UNRESERVED_CHARACTER),
    ("29_CERT", 46, BASE64_BLOCKS),
    ("31_DNSKEY", 20, BASE64_BLOCKS),
    ("50_CDNSKEY", 20, BASE64_BLOCKS),
    (
        "35_IPSECKEY",
        19,
        "a public key with algorithm 0 (\"no key\", RFC 4025 §2.4): \
      Knot rejects it; BIND, NSD and we store what is written",
    ),
    (
        "52_CAA",
        8,
        "an empty CAA tag: RFC 8659 §4.1.1 requires at least one octet; BIND, \
      NSD and we reject it, Knot accepts it",
    ),
    (
        "52_CAA",
        9,
        "a quoted CAA tag: RFC 8659 §4.1.1 presents the tag as a bare word; \
      BIND and we reject quotes there, Knot and NSD accept them",
    ),
    (
        "57_SVCB",
        66,
        "`ech` without a value: BIND, NSD and we store an empty \
      SvcParamValue (RFC 9460 §2.1 allows a key alone), Knot rejects it",
    ),
    ("57_SVCB", 67, "`ech=` with an empty value: as outcome 66"),
    (
        "57_SVCB",
        9,
        "no-default-alpn without alpn is not self-consistent (RFC 9460 §7.1.1); \
      BIND and we reject it, Knot (and NSD) accept it",
    ),
];

const TTL_TOP_BIT: &str = "a TTL with the top bit set (4294967295): RFC 2181 §8 says \
     to treat it as 0, and BIND loads it as 0 (\"> MAXTTL, setting TTL to 0\"); so do we. \
     Knot's scanner keeps the value";

const DOUBLE_AT: &str = "`@@`: only a lone `@` stands for the origin (RFC 1035 §5.1); \
     BIND, NSD and we read `@@` as a label of two `@`, Knot rejects it";

const UNRESERVED_CHARACTER: &str = "an unescaped `&`, `$` or `%` in a domain name in RDATA: \
     RFC 1035 §5.1 does not reserve them there; BIND and we accept them, Knot wants them \
     escaped";

const BASE64_BLOCKS: &str = "base64 split into pieces that are not multiples of 4 \
     (`AA ==`): RFC 4034 §2.2 allows white space inside base64; BIND, NSD and we join the \
     pieces, Knot decodes each piece on its own";

/// One block of the expected output, or one item our parser produced.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// A record: owner (wire, case kept), class, TTL, type, RDATA.
    Record {
        owner: Vec<u8>,
        class: u16,
        ttl: u32,
        rtype: u16,
        rdata: Vec<u8>,
    },
    /// A rejected line; `fatal` when Knot stops reading there.
    Error { code: String, fatal: bool },
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Record {
                owner,
                class,
                ttl,
                rtype,
                rdata,
            } => write!(
                f,
                "{} {ttl} CLASS{class} {} \\# {} {}",
                e2e::dns::name_to_text(owner),
                e2e::dns::type_text(*rtype),
                rdata.len(),
                hex(rdata)
            ),
            Outcome::Error { code, fatal } => {
                write!(f, "{} {code}", if *fatal { "ERROR" } else { "WARNG" })
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex in the .out file"))
        .collect()
}

/// Parses a `.out` file of `zscanner-tool -m 2`.
fn expected(out: &str) -> Vec<Outcome> {
    let mut outcomes = Vec::new();
    for block in out.split("------\n").filter(|b| !b.trim().is_empty()) {
        let field = |key: &str| {
            block
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .unwrap_or_else(|| panic!("no {key} in block {block:?}"))
                .to_string()
        };
        if let Some(code) = block.strip_prefix("WARNG=") {
            outcomes.push(Outcome::Error {
                code: code.trim().to_string(),
                fatal: false,
            });
        } else if let Some(code) = block.strip_prefix("ERROR=") {
            outcomes.push(Outcome::Error {
                code: code.trim().to_string(),
                fatal: true,
            });
        } else {
            outcomes.push(Outcome::Record {
                owner: unhex(&field("OWNER=")),
                class: u16::from_str_radix(&field("CLASS="), 16).expect("class"),
                ttl: u32::from_str_radix(&field("RRTTL="), 16).expect("ttl"),
                rtype: u16::from_str_radix(&field("RTYPE="), 16).expect("type"),
                rdata: unhex(&field("RDATA=")),
            });
        }
    }
    outcomes
}

/// What our parser makes of an `.in` file, with the source line of each item.
fn ours(input: &[u8]) -> Vec<(Outcome, u32)> {
    let mut outcomes = Vec::new();
    for item in ZoneParser::new(input, Name::root()).with_default_ttl(0) {
        match item {
            Ok(entry) => {
                let mut owner = Vec::new();
                dns_zone::name::name_to_wire(&entry.owner, &mut owner);
                outcomes.push((
                    Outcome::Record {
                        owner,
                        class: 1,
                        ttl: entry.ttl,
                        rtype: u16::from(entry.rtype),
                        rdata: entry.rdata.as_bytes().to_vec(),
                    },
                    entry.line,
                ));
            }
            Err(e) => outcomes.push((
                Outcome::Error {
                    code: e.kind.to_string(),
                    fatal: false,
                },
                e.line,
            )),
        }
    }
    outcomes
}

/// Compares one case; `Ok` counts the outcomes compared and the
/// deviations used, `Err` describes the first disagreement.
fn check_case(name: &str, input: &[u8], out: &str) -> Result<(usize, usize), String> {
    let want = expected(out);
    let got = ours(input);
    let mut deviations = 0;
    for (i, w) in want.iter().enumerate() {
        let Some((g, line)) = got.get(i) else {
            return Err(format!(
                "{name}: Knot has {} outcomes, we stop after {}; next expected: {w}",
                want.len(),
                got.len()
            ));
        };
        let agree = match (w, g) {
            (Outcome::Error { .. }, Outcome::Error { .. }) => true,
            (a, b) => a == b,
        };
        let deviation = DEVIATIONS
            .iter()
            .any(|(case, outcome, _)| *case == name && *outcome == i + 1);
        if deviation {
            if agree {
                return Err(format!(
                    "{name}: outcome {} is listed in DEVIATIONS but agrees: remove it",
                    i + 1
                ));
            }
            deviations += 1;
            continue;
        }
        if !agree {
            return Err(format!(
                "{name}: outcome {} (our line {line}): Knot says\n    {w}\n  we say\n    {g}",
                i + 1
            ));
        }
        if matches!(w, Outcome::Error { fatal: true, .. }) {
            // Knot stops at a fatal error; what follows is not compared.
            return Ok((i + 1, deviations));
        }
    }
    if got.len() > want.len() {
        return Err(format!(
            "{name}: we produce {} outcomes, Knot {}; first extra: {} (line {})",
            got.len(),
            want.len(),
            got[want.len()].0,
            got[want.len()].1
        ));
    }
    Ok((want.len(), deviations))
}

// ---------------------------------------------------------------------------
// Fetching the cases

/// The Debian mirror and keyring of the machine's first `deb` source for
/// the main archive of its release, as a `deb-src` line for `main`.
fn deb_src_line() -> String {
    let os_release = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let codename = os_release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|c| c.trim_matches('"').to_string())
        .expect("VERSION_CODENAME in /etc/os-release (a Debian machine)");
    // (types, uris, suites, signed-by) of every configured source.
    type Source = (Vec<String>, Vec<String>, Vec<String>, Option<String>);
    let mut sources: Vec<Source> = Vec::new();
    let mut files = vec![PathBuf::from("/etc/apt/sources.list")];
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut more: Vec<PathBuf> = dir.filter_map(|e| e.ok().map(|e| e.path())).collect();
        more.sort();
        files.extend(more);
    }
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        let ext = file.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext == "sources" {
            // deb822 stanzas, separated by blank lines.
            for stanza in text.split("\n\n") {
                let field = |key: &str| {
                    stanza.lines().find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.trim()
                            .eq_ignore_ascii_case(key)
                            .then(|| v.split_whitespace().map(str::to_string).collect::<Vec<_>>())
                    })
                };
                if field("Enabled").is_some_and(|v| v.first().is_some_and(|v| v == "no")) {
                    continue;
                }
                sources.push((
                    field("Types").unwrap_or_default(),
                    field("URIs").unwrap_or_default(),
                    field("Suites").unwrap_or_default(),
                    field("Signed-By").and_then(|v| v.first().cloned()),
                ));
            }
        } else if ext == "list" || file.ends_with("sources.list") {
            for line in text.lines().map(str::trim) {
                if line.starts_with('#') || line.is_empty() {
                    continue;
                }
                let mut words: Vec<&str> = line.split_whitespace().collect();
                let kind = words.remove(0).to_string();
                let mut signed_by = None;
                if words.first().is_some_and(|w| w.starts_with('[')) {
                    while let Some(w) = (!words.is_empty()).then(|| words.remove(0)) {
                        let w = w.trim_start_matches('[');
                        if let Some(k) = w.strip_prefix("signed-by=") {
                            signed_by = Some(k.trim_end_matches(']').to_string());
                        }
                        if w.ends_with(']') {
                            break;
                        }
                    }
                }
                if words.len() >= 2 {
                    sources.push((
                        vec![kind],
                        vec![words[0].to_string()],
                        vec![words[1].to_string()],
                        signed_by,
                    ));
                }
            }
        }
    }
    let (uri, signed_by) = sources
        .iter()
        .filter(|(types, ..)| types.iter().any(|t| t == "deb" || t == "deb-src"))
        .find_map(|(_, uris, suites, signed_by)| {
            let uri = uris.first()?;
            suites
                .contains(&codename)
                .then(|| (uri.clone(), signed_by.clone()))
        })
        .unwrap_or_else(|| {
            panic!("no Debian source for `{codename}` in /etc/apt/sources.list{{,.d/*}}")
        });
    let keyring = signed_by
        .filter(|k| Path::new(k).exists())
        .unwrap_or_else(|| "/usr/share/keyrings/debian-archive-keyring.gpg".to_string());
    format!("deb-src [signed-by={keyring}] {uri} {codename} main\n")
}

fn run(command: &mut Command, what: &str) {
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
}

/// The `tests/libzscanner` directory of the knot source package, fetched
/// once into `target/knot-zscanner/`.
fn zscanner_cases() -> PathBuf {
    let cache = repo_root().join("target/knot-zscanner");
    std::fs::create_dir_all(&cache).expect("create the cache directory");
    // One fetch at a time, across test processes.
    let lock = File::create(cache.join(".lock")).expect("create the lock file");
    // SAFETY: flock on a file descriptor we own; released when `lock` drops.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    let done = cache.join("libzscanner");
    if done.join("data").is_dir() {
        return done;
    }
    let apt = cache.join("apt");
    let _ = std::fs::remove_dir_all(&apt);
    for dir in ["lists/partial", "cache/archives/partial", "download"] {
        std::fs::create_dir_all(apt.join(dir)).expect("create apt dirs");
    }
    let sources = apt.join("sources.list");
    std::fs::write(&sources, deb_src_line()).expect("write the private sources list");
    let options = [
        format!("Dir::Etc::SourceList={}", sources.display()),
        "Dir::Etc::SourceParts=/dev/null".to_string(),
        format!("Dir::State::Lists={}", apt.join("lists").display()),
        format!("Dir::Cache={}", apt.join("cache").display()),
        // Downloads go to our directory as root; apt's _apt user cannot
        // write there.
        "APT::Sandbox::User=root".to_string(),
    ];
    let apt_get = |args: &[&str]| {
        let mut command = Command::new("apt-get");
        command.arg("-q");
        for o in &options {
            command.arg("-o").arg(o);
        }
        command.args(args).current_dir(apt.join("download"));
        command
    };
    run(
        &mut apt_get(&["update"]),
        "apt-get update (private sources list)",
    );
    run(
        &mut apt_get(&["source", "--download-only", "knot"]),
        "apt-get source --download-only knot",
    );
    let orig = std::fs::read_dir(apt.join("download"))
        .expect("read the download dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".orig.tar."))
                && p.extension().and_then(|e| e.to_str()) != Some("asc")
        })
        .expect("the knot source package has an .orig tarball");
    let extract = cache.join("extract");
    let _ = std::fs::remove_dir_all(&extract);
    std::fs::create_dir_all(&extract).expect("create the extract dir");
    run(
        Command::new("tar")
            .arg("-xf")
            .arg(&orig)
            .arg("-C")
            .arg(&extract)
            .args(["--wildcards", "*/tests/libzscanner/*"]),
        "tar (extract tests/libzscanner)",
    );
    let source_dir = std::fs::read_dir(&extract)
        .expect("read the extract dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .next()
        .expect("the tarball has a top directory");
    std::fs::rename(source_dir.join("tests/libzscanner"), &done).expect("move the cases");
    let _ = std::fs::remove_dir_all(&extract);
    let _ = std::fs::remove_dir_all(&apt);
    done
}

#[test]
fn knot_zscanner_cases_agree() {
    let dir = zscanner_cases();
    let list = std::fs::read_to_string(dir.join("TESTS")).expect("the TESTS list");
    let cases: Vec<&str> = list.split_whitespace().collect();
    assert!(cases.len() > 50, "only {} cases in TESTS", cases.len());
    for (name, _) in SKIPPED {
        assert!(
            cases.contains(name),
            "skip list names an unknown case {name}"
        );
    }
    let (mut passed, mut skipped, mut outcomes, mut deviations) = (0, 0, 0, 0);
    let mut failures = Vec::new();
    for case in &cases {
        if let Some((_, reason)) = SKIPPED.iter().find(|(n, _)| n == case) {
            println!("skip {case}: {reason}");
            skipped += 1;
            continue;
        }
        let input = std::fs::read(dir.join("data").join(format!("{case}.in"))).expect("case .in");
        let out =
            std::fs::read_to_string(dir.join("data").join(format!("{case}.out"))).expect(".out");
        match check_case(case, &input, &out) {
            Ok((n, d)) => {
                passed += 1;
                outcomes += n;
                deviations += d;
            }
            Err(e) => failures.push(e),
        }
    }
    println!(
        "knot zscanner cases: {} in all, {passed} agree ({outcomes} records and rejected lines, \
         {deviations} of them listed deviations), {skipped} skipped, {} disagree",
        cases.len(),
        failures.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
