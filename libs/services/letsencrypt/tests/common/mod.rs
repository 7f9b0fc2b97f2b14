//! Shared by the tests: keys, CSRs and certificates made by `openssl`,
//! zones holding them, and a primary simulated with our real UPDATE and
//! query code (`dns_update::handle`, `dns_server::Server`).
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};

use dns_keys::KeyStore;
use dns_update::{Handled, UpdateRequest};
use dns_zone::{Name, Zone};
use letsencrypt::{Action, Level, LogLine};

pub mod pebble;

/// The TSIG key of the tests.
pub const KEY_NAME: &str = "letsencrypt._update.example.org";
pub const KEY_SECRET: &[u8] = b"a test secret of the letsencrypt tests";

pub fn name(text: &str) -> Name {
    letsencrypt::parse_name(text).unwrap()
}

pub fn key() -> tsig::Key {
    tsig::Key::new(
        name(KEY_NAME),
        tsig::Algorithm::HmacSha256,
        KEY_SECRET.to_vec(),
    )
}

/// Whether `openssl` is there (else the test says so and skips).
pub fn have(program: &str) -> bool {
    let found = Command::new(program)
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success())
        || Command::new("sh")
            .args(["-c", &format!("command -v {program}")])
            .output()
            .is_ok_and(|o| o.status.success());
    if !found {
        eprintln!("skipped: {program} is not installed");
    }
    found
}

pub fn run(command: &mut Command) {
    let output = command.output().expect("run a command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A scratch directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        static COUNT: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "letsencrypt-{name}-{}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Key kinds openssl makes.
#[derive(Clone, Copy, Debug)]
pub enum KeyKind {
    P256,
    P384,
    Rsa2048,
    Ed25519,
}

/// A private key in `dir/file` (PEM).
pub fn make_key(dir: &Path, file: &str, kind: KeyKind) {
    let args: &[&str] = match kind {
        KeyKind::P256 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        KeyKind::P384 => &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
        KeyKind::Rsa2048 => &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
        KeyKind::Ed25519 => &["-algorithm", "ED25519"],
    };
    run(Command::new("openssl")
        .current_dir(dir)
        .arg("genpkey")
        .args(args)
        .args(["-out", file]));
}

/// A DER CSR signed by the key in `dir/key_file`: CN `cn` (if any) and
/// subject alternative names `sans` (`DNS:…`, `IP:…`).
pub fn make_csr(dir: &Path, key_file: &str, cn: Option<&str>, sans: &[&str]) -> Vec<u8> {
    let mut command = Command::new("openssl");
    command
        .current_dir(dir)
        .args([
            "req", "-new", "-key", key_file, "-outform", "DER", "-out", "out.csr",
        ])
        .args([
            "-subj",
            &cn.map_or(String::from("/O=test"), |cn| format!("/CN={cn}")),
        ]);
    if !sans.is_empty() {
        command.args(["-addext", &format!("subjectAltName={}", sans.join(","))]);
    }
    run(&mut command);
    std::fs::read(dir.join("out.csr")).unwrap()
}

/// A test CA in `dir` (`ca.key`, `ca.pem`).
pub fn make_ca(dir: &Path) {
    run(Command::new("openssl").current_dir(dir).args([
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "30",
        "-subj",
        "/CN=letsencrypt test CA",
    ]));
}

/// A DER certificate from the CA in `dir` for the DER CSR `csr`, valid
/// for `days`, with subject alternative names `sans`.
pub fn sign(dir: &Path, csr: &[u8], sans: &[&str], days: u32) -> Vec<u8> {
    std::fs::write(dir.join("sign.csr"), csr).unwrap();
    std::fs::write(
        dir.join("sign.ext"),
        format!("subjectAltName={}\n", sans.join(",")),
    )
    .unwrap();
    run(Command::new("openssl").current_dir(dir).args([
        "x509",
        "-req",
        "-inform",
        "DER",
        "-in",
        "sign.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-outform",
        "DER",
        "-out",
        "sign.der",
        "-days",
        &days.to_string(),
        "-extfile",
        "sign.ext",
    ]));
    std::fs::read(dir.join("sign.der")).unwrap()
}

/// The CA certificate of `dir`, DER.
pub fn ca_der(dir: &Path) -> Vec<u8> {
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"]));
    std::fs::read(dir.join("ca.der")).unwrap()
}

pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `example.org` with `records` (zone-file lines) added.
pub fn zone_text(records: &[String]) -> String {
    let mut text = String::from(
        "$ORIGIN example.org.\n$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n  NS ns\nns A 192.0.2.53\n",
    );
    for record in records {
        text.push_str(record);
        text.push('\n');
    }
    text
}

pub fn zone(records: &[String]) -> Zone {
    Zone::parse(zone_text(records).as_bytes(), name("example.org"))
        .unwrap_or_else(|e| panic!("{:?}", e.errors))
        .0
}

/// A TLSA record line at `owner` (relative) with usage, selector, type.
pub fn tlsa(owner: &str, fields: [u8; 3], der: &[u8]) -> String {
    format!(
        "{owner} 3600 TLSA {} {} {} {}",
        fields[0],
        fields[1],
        fields[2],
        hex(der)
    )
}

/// The zone's TLSA records at `owner` as (usage, selector, type, data).
pub fn tlsas_at(zone: &Zone, owner: &str) -> Vec<([u8; 3], Vec<u8>)> {
    zone.node(&name(owner))
        .and_then(|n| n.rrset(dns_zone::RecordType::TLSA))
        .map(|rrset| {
            rrset
                .rdatas()
                .map(|r| {
                    let b = r.as_bytes();
                    ([b[0], b[1], b[2]], b[3..].to_vec())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The zone's TXT values at `owner`.
pub fn txt_at(zone: &Zone, owner: &str) -> Vec<String> {
    zone.node(&name(owner))
        .and_then(|n| n.rrset(dns_zone::RecordType::TXT))
        .map(|rrset| {
            rrset
                .rdatas()
                .map(|r| String::from_utf8_lossy(&r.as_bytes()[1..]).into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// The primary, simulated by our own server-side code: UPDATEs verified
/// and applied by `dns_update::handle`, queries answered by
/// `dns_server::Server`.
pub struct Primary {
    pub zone: Zone,
    pub keys: KeyStore,
    /// Every UPDATE received, parsed (TSIG stripped).
    pub updates: Vec<UpdateRequest>,
    /// Answer UPDATEs with this RCODE instead of applying them.
    pub refuse_with: Option<u16>,
    /// Answer TXT queries as if the zone had no TXT records this many
    /// more times (a primary slow to serve what it took).
    pub stale_txt_answers: u32,
    pub queries: u32,
}

impl Primary {
    pub fn new(zone: Zone) -> Self {
        let mut keys = KeyStore::new();
        keys.insert(key());
        Primary {
            zone,
            keys,
            updates: Vec::new(),
            refuse_with: None,
            stale_txt_answers: 0,
            queries: 0,
        }
    }

    /// The answer to an UPDATE; `true` if the zone changed.
    pub fn update(&mut self, message: &[u8], unix: u64) -> (Vec<u8>, bool) {
        let signed = tsig::verify_request(message, &self.keys, unix)
            .expect("our UPDATE verifies")
            .expect("our UPDATE is signed");
        let request = UpdateRequest::parse(&signed.stripped(message)).expect("an UPDATE");
        self.updates.push(request);
        if let Some(rcode) = self.refuse_with {
            // The header and zone section back with the RCODE, signed, as
            // servers answer a refused UPDATE.
            let request = self.updates.last().unwrap();
            let flags = dns_wire::flags::QR
                | dns_wire::flags::with_opcode(dns_wire::opcode::UPDATE)
                | rcode;
            let mut response = dns_wire::MessageBuilder::new(request.id, flags);
            response
                .question(
                    &request.zone,
                    dns_zone::RecordType::SOA,
                    dns_wire::class::IN,
                )
                .unwrap();
            let mut response = response.finish();
            signed.response_signer().sign(&mut response, unix);
            return (response, false);
        }
        let zone = self.zone.clone();
        match dns_update::handle(message, unix, &self.keys, |z| {
            (zone.origin() == z).then_some(&zone)
        }) {
            Handled::Changed(change) => {
                let response = change.response(unix);
                self.zone = change.new;
                (response, true)
            }
            Handled::Respond { response, reason } => {
                if let Some(reason) = reason {
                    eprintln!("primary refused an UPDATE: {reason}");
                }
                (response, false)
            }
            other => panic!("UPDATE dropped: {other:?}"),
        }
    }

    /// The answer to a query.
    pub fn query(&mut self, message: &[u8]) -> Vec<u8> {
        self.queries += 1;
        let mut zone = self.zone.clone();
        if self.stale_txt_answers > 0 {
            self.stale_txt_answers -= 1;
            zone = without_txt(&zone);
        }
        answer(&zone, message)
    }
}

/// `zone` answering `message` through our query engine.
pub fn answer(zone: &Zone, message: &[u8]) -> Vec<u8> {
    let mut catalog = dns_server::Catalog::new();
    catalog.insert(zone.clone());
    dns_server::Server::new(catalog)
        .handle(message, dns_server::Transport::Udp)
        .expect("an answer")
}

/// `zone` without its `_acme-challenge` TXT records.
pub fn without_txt(zone: &Zone) -> Zone {
    let text = dns_zone::print_zone(zone);
    let kept: Vec<&str> = text
        .lines()
        .filter(|l| !(l.starts_with("_acme-challenge") && l.contains("TXT")))
        .collect();
    Zone::parse(kept.join("\n").as_bytes(), zone.origin().clone())
        .unwrap()
        .0
}

/// Log lines of `actions` at `level` or more important.
pub fn logs(actions: &[Action], level: Level) -> Vec<String> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Log(LogLine { level: l, message }) if *l <= level => Some(message.clone()),
            _ => None,
        })
        .collect()
}
