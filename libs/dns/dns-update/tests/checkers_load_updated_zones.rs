//! Only what BIND, NSD and Knot can load goes into git: random UPDATEs
//! (random owners, types — meta and reserved ones included — RDATA, TTLs
//! with and without the top bit) are applied one after the other to a zone
//! as the primary does; after every change the zone is printed as the
//! primary writes it to git (`dns_zone::print_zone`) and must load in
//! `named-checkzone`, `nsd-checkzone` and `kzonecheck`.
//!
//! The checkers come from Debian (bind9-utils, nsd, knot-dnssecutils;
//! `scripts/setup` installs them). A missing one skips the test with a
//! message saying which.

use std::path::Path;
use std::process::Command;

use dns_update::{apply, Applied, UpdateRequest};
use dns_zone::{print_zone, Name, Zone};

const ORIGIN: &str = "example.com.";
const ZONE: &str = "$TTL 300
@ SOA ns hostmaster 1 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.1
www A 192.0.2.10
www TXT \"hello\"
alias CNAME www
";
/// Number of random UPDATEs (each zone that changed is checked by all three).
const UPDATES: usize = 300;

/// splitmix64: a fixed seed, so a failure is reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let len = self.below(max as u64 + 1) as usize;
        (0..len).map(|_| self.next() as u8).collect()
    }
}

fn name_wire(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    for label in s.trim_end_matches('.').split('.').filter(|l| !l.is_empty()) {
        out.push(label.len() as u8);
        out.extend_from_slice(label.as_bytes());
    }
    out.push(0);
    out
}

const OWNERS: &[&str] = &[
    "example.com.",
    "www.example.com.",
    "alias.example.com.",
    "new.example.com.",
    "a.b.example.com.",
    "*.wild.example.com.",
    "_443._tcp.www.example.com.",
    "ns.example.com.",
];

/// RDATA for `rtype`: mostly well-formed, sometimes random bytes (which
/// the server must refuse or store so that all three checkers load it).
fn rdata(rng: &mut Rng, rtype: u16) -> Vec<u8> {
    if rng.below(4) == 0 {
        return rng.bytes(24);
    }
    let target = name_wire(rng.pick(OWNERS));
    match rtype {
        1 => rng.bytes(4).into_iter().chain([0; 4]).take(4).collect(),
        28 => (0..16).map(|_| rng.next() as u8).collect(),
        2 | 5 | 12 | 39 => target,
        15 => [0, rng.next() as u8].into_iter().chain(target).collect(),
        16 | 99 => {
            let s = rng.bytes(40);
            let mut v = vec![s.len() as u8];
            v.extend(s);
            v
        }
        33 => [0, 1, 0, 2, 1, 187].into_iter().chain(target).collect(),
        44 => [rng.below(5) as u8, rng.below(3) as u8]
            .into_iter()
            .chain(rng.bytes(32))
            .collect(),
        52 => [3, rng.below(2) as u8, rng.below(3) as u8]
            .into_iter()
            .chain(rng.bytes(32))
            .collect(),
        257 => {
            let tags: [&[u8]; 4] = [b"issue", b"issuewild", b"iodef", b"x"];
            let tag = rng.pick(&tags);
            let mut v = vec![rng.below(2) as u8 * 128, tag.len() as u8];
            v.extend_from_slice(tag);
            v.extend(rng.bytes(20));
            v
        }
        _ => rng.bytes(24),
    }
}

/// Record types to try: common ones, meta and reserved ones, and any.
fn rtype(rng: &mut Rng) -> u16 {
    match rng.below(4) {
        0 => rng.pick(&[0, 41, 128, 249, 250, 251, 252, 253, 254, 255, 65535]),
        1 => rng.below(65536) as u16,
        _ => rng.pick(&[1, 28, 2, 5, 12, 15, 16, 33, 39, 44, 52, 99, 257, 13, 10, 6]),
    }
}

fn ttl(rng: &mut Rng) -> u32 {
    let any = rng.next() as u32;
    rng.pick(&[0, 300, 86_400, 0x7fff_ffff, 0x8000_0005, u32::MAX, any])
}

/// One random UPDATE of the zone as wire bytes (ID 1, unsigned: `apply`
/// is what the server runs after TSIG).
fn random_update(rng: &mut Rng) -> Vec<u8> {
    let count = 1 + rng.below(4) as u16;
    let mut m = vec![0, 1, 0x28, 0, 0, 1, 0, 0];
    m.extend_from_slice(&count.to_be_bytes());
    m.extend_from_slice(&[0, 0]);
    m.extend(name_wire(ORIGIN));
    m.extend_from_slice(&[0, 6, 0, 1]);
    for _ in 0..count {
        let rtype = rtype(rng);
        // Mostly additions; some deletions of a record or an RRset.
        let (class, ttl, rd) = match rng.below(6) {
            0 => (254u16, 0, rdata(rng, rtype)),
            1 => (255, 0, Vec::new()),
            _ => (1, ttl(rng), rdata(rng, rtype)),
        };
        m.extend(name_wire(rng.pick(OWNERS)));
        m.extend_from_slice(&rtype.to_be_bytes());
        m.extend_from_slice(&class.to_be_bytes());
        m.extend_from_slice(&ttl.to_be_bytes());
        m.extend_from_slice(&(rd.len() as u16).to_be_bytes());
        m.extend(rd);
    }
    m
}

/// The checkers: program, arguments before the file.
const CHECKERS: &[(&str, &[&str])] = &[
    ("named-checkzone", &["example.com"]),
    ("nsd-checkzone", &["example.com"]),
    ("kzonecheck", &["-o", "example.com"]),
];

fn installed(program: &str) -> bool {
    std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| dir.join(program).is_file())
            || ["/usr/sbin", "/usr/bin"]
                .iter()
                .any(|d| Path::new(d).join(program).is_file())
    })
}

fn program_path(program: &str) -> String {
    for dir in ["/usr/sbin", "/usr/bin"] {
        let p = Path::new(dir).join(program);
        if p.is_file() {
            return p.display().to_string();
        }
    }
    program.to_string()
}

/// Runs every checker on `file`; the failures, with their output.
fn check(file: &Path) -> Vec<String> {
    let mut failures = Vec::new();
    for (program, args) in CHECKERS {
        let out = Command::new(program_path(program))
            .args(*args)
            .arg(file)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {program}: {e}"));
        if !out.status.success() {
            failures.push(format!(
                "{program}: {}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
    }
    failures
}

#[test]
fn random_updates_leave_a_zone_bind_nsd_and_knot_load() {
    let missing: Vec<&str> = CHECKERS
        .iter()
        .map(|(p, _)| *p)
        .filter(|p| !installed(p))
        .collect();
    if !missing.is_empty() {
        eprintln!(
            "SKIPPED: {} not installed (scripts/setup installs bind9-utils, nsd, knot-dnssecutils)",
            missing.join(", ")
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("dns-update-checkers-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("example.com");
    // Seeds 0x14 and 0x17 found NS at a wildcard and data below a DNAME;
    // each seed runs from the same start zone.
    for seed in [
        0x5eed_0000_0000_0012u64,
        0x5eed_0000_0000_0014,
        0x5eed_0000_0000_0017,
    ] {
        let origin = Name::parse(ORIGIN, None).unwrap();
        let mut zone = Zone::parse(ZONE.as_bytes(), origin).unwrap().0;
        let mut rng = Rng(seed);
        let (mut changed, mut refused) = (0, 0);
        for i in 0..UPDATES {
            let msg = random_update(&mut rng);
            let request = match UpdateRequest::parse(&msg) {
                Ok(r) => r,
                Err(_) => {
                    refused += 1;
                    continue;
                }
            };
            match apply(&zone, &request) {
                Ok(Applied::Changed { new, .. }) => {
                    let text = print_zone(&new);
                    std::fs::write(&file, &text).unwrap();
                    let failures = check(&file);
                    assert!(
                        failures.is_empty(),
                        "seed {seed:#x}, UPDATE {i} ({}) left a zone the checkers refuse:\n{}\n--- zone ---\n{text}",
                        hex(&msg),
                        failures.join("\n")
                    );
                    zone = new;
                    changed += 1;
                }
                Ok(Applied::Unchanged) => {}
                Err(_) => refused += 1,
            }
        }
        eprintln!("seed {seed:#x}: {UPDATES} random UPDATEs: {changed} changed the zone, {refused} refused");
        assert!(
            changed > UPDATES / 10,
            "too few changes to mean anything: {changed}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
