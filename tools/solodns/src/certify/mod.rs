//! `solodns certify HOST --dns-server IP --key K`: a TLS certificate
//! through DNS, the way OCaml-DNS's `ocertify` gets one from its
//! letsencrypt service.
//!
//! The convention (OCaml-DNS `dns-certify`, DESIGN.md §7): a certificate
//! signing request is published as `_letsencrypt._tcp.HOST. 3600 TLSA 3
//! 255 0 <DER CSR>` (usage domain-issued, selector "private", no hash); the
//! service that watches the zone orders the certificate and publishes it
//! at the same name as `TLSA 3 0 0 <DER certificate>`, with the issuing
//! chain as `TLSA 2 0 0 <DER certificate>` records. One CSR per name.
//!
//! The steps, each with its own error:
//! 1. the private key (made and written before anything is sent, mode
//!    0600, or `HOST.key` reused) and the CSR; or a CSR of the user's
//!    (`--csr`), whose public key is then the one the certificate must
//!    have;
//! 2. a look at the name: a valid certificate for the key that covers
//!    the names is taken as it is, as ocertify takes a "cached
//!    certificate" (`--force` publishes the CSR all the same);
//! 3. a TSIG-signed UPDATE that deletes the name's CSR records, keeps
//!    its certificates, and adds ours;
//! 4. polling the name until a certificate for the key, valid now,
//!    covering the names, appears with its chain; certificates for other
//!    keys (stale ones) are passed over;
//! 5. `HOST.pem`: the certificate, then its chain from the issuer up.
//!
//! The checks of the records found (step 4) are pure functions
//! ([`find_certificate`]), tested on their own.
//!
//! This module is the command and its flow (arguments, the queries and
//! the UPDATE, the files written, what is printed); [`keys`] holds the
//! private key and the CSR, [`records`] the TLSA records and the look
//! through them.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use dns_update::{check_response, ResponseFailure, UpdateBuilder};
use dns_wire::{class, opcode, rcode, Header, MessageBuilder, Name, RecordType};
use tsig::Key;
use x509_cert::der::pem::LineEnding;
use x509_cert::der::{Encode, EncodePem};
use x509_cert::request::CertReq;
use x509_cert::Certificate;

use crate::explain::{self, Request};
use crate::{net, show_name};

mod keys;
mod records;
#[cfg(test)]
mod test_support;

pub use keys::{certificate_names, csr_names, make_csr, read_csr, same_public_key, PrivateKey};
pub use records::{csr_update, find_certificate, tlsa_from_answer, Found, Tlsa, Wanted};
/// Time between two looks for the certificate: often enough that a
/// certificate issued in seconds is seen in seconds, rarely enough not to
/// load the server.
const POLL_INTERVAL: Duration = Duration::from_secs(3);

/// The longest wait for one DNS answer.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// Arguments of `certify`.
#[derive(Debug, Args)]
pub struct CertifyArgs {
    /// The host name the certificate is for: its subject CN and first SAN
    /// (a wildcard `*.example.com` is allowed). The CSR goes to
    /// `_letsencrypt._tcp.HOST`.
    #[arg(value_parser = parse_host)]
    pub host: String,
    /// The authoritative server that takes the UPDATE and answers the
    /// queries: IP[:PORT] (IPv6 as [ADDRESS]:PORT), port 53 by default.
    #[arg(long, value_name = "IP[:PORT]", value_parser = net::parse_server)]
    pub dns_server: SocketAddr,
    /// The TSIG key that may update the zone, as `NAME:ALG:SECRET` (what
    /// `solodns keygen` prints; `NAME._update.ZONE` names the zone).
    /// Read from $SOLODNS_KEY when not given.
    #[arg(long, env = "SOLODNS_KEY", hide_env_values = true, value_parser = crate::KeyParser)]
    pub key: Key,
    /// Another name for the certificate (a subject alternative name);
    /// repeat for more. Wildcards are allowed.
    #[arg(long = "san", value_name = "NAME", value_parser = parse_host)]
    pub sans: Vec<String>,
    /// The kind of private key to make (default ecdsa-p256). An existing
    /// HOST.key is reused whatever its kind, unless this asks for another.
    #[arg(long, value_enum, value_name = "TYPE")]
    pub key_type: Option<KeyType>,
    /// Publish this CSR (PEM or DER) instead of making a key and a CSR;
    /// the certificate must then have the CSR's public key.
    #[arg(long, value_name = "FILE", conflicts_with = "key_type")]
    pub csr: Option<PathBuf>,
    /// The directory of HOST.key, HOST.req (the CSR) and HOST.pem (the
    /// certificate and its chain); made if missing.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub out: PathBuf,
    /// Seconds to wait for the certificate after publishing the CSR.
    #[arg(long, value_name = "SECONDS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,
    /// Publish the CSR even when a valid certificate for the key is
    /// already in DNS.
    #[arg(long)]
    pub force: bool,
}

/// The kinds of private key `certify` makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KeyType {
    /// ECDSA on NIST P-256, signing with SHA-256 (ES256).
    EcdsaP256,
    /// RSA with a 2048-bit modulus, PKCS #1 v1.5 signatures with SHA-256.
    Rsa2048,
}

/// Runs `certify`.
pub fn run(args: CertifyArgs) -> ExitCode {
    match certify(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("solodns certify: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A host name argument: ASCII letters, digits, hyphens (and underscores,
/// which some CAs refuse but DNS allows), a leftmost `*` label for a
/// wildcard; no final dot; lower case.
pub fn parse_host(s: &str) -> Result<String, String> {
    let name = s.strip_suffix('.').unwrap_or(s).to_ascii_lowercase();
    if name.is_empty() {
        return Err(String::from("the host name is empty"));
    }
    if name.len() > 253 {
        return Err(format!(
            "'{s}' is longer than a domain name may be (253 characters)"
        ));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err(format!(
            "'{s}' has one label: give the full name (www.example.com)"
        ));
    }
    for (i, label) in labels.iter().enumerate() {
        if label.is_empty() {
            return Err(format!("'{s}' has an empty label"));
        }
        if label.len() > 63 {
            return Err(format!("'{s}': the label '{label}' is longer than 63"));
        }
        if *label == "*" {
            if i == 0 {
                continue;
            }
            return Err(format!("'{s}': a wildcard '*' may only be the first label"));
        }
        let ok = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if !label.chars().all(ok) {
            return Err(format!(
                "'{s}': '{label}' is not a host name label (letters, digits, '-'; internationalised names in their xn-- form)"
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!(
                "'{s}': the label '{label}' starts or ends with '-'"
            ));
        }
    }
    Ok(name)
}

/// The DNS name the CSR and the certificates of `host` are published at.
pub fn letsencrypt_name(host: &str) -> Result<Name, String> {
    crate::parse_name(&format!("_letsencrypt._tcp.{host}."))
}

/// The file name stem of `host`'s files: the host name, with a wildcard
/// label written `_wildcard` (no `*` in file names; no host is named
/// with an underscore label, so it cannot collide).
pub fn file_stem(host: &str) -> String {
    match host.strip_prefix("*.") {
        Some(rest) => format!("_wildcard.{rest}"),
        None => host.to_owned(),
    }
}

/// Asks `server` over TCP for the TLSA records at `owner` (TCP because
/// certificates do not fit in 512 octets).
fn query_tlsa(
    server: SocketAddr,
    owner: &Name,
    wait: Duration,
) -> Result<(Vec<Tlsa>, Vec<String>), String> {
    let id = net::random_id()?;
    let mut b = MessageBuilder::new(id, 0);
    b.question(owner, RecordType::TLSA, class::IN)
        .map_err(|e| format!("{e:?}"))?;
    let query = b.finish();
    let answer = net::tcp_exchange(server, &query, wait, |m| net::answers(m, id, opcode::QUERY))?;
    tlsa_from_answer(&answer, id, owner)
}

/// The zone to update: the one the key names (`NAME._update.ZONE`) when
/// it holds `owner`, else the zone the server has for `owner` (its SOA).
fn zone_for(args: &CertifyArgs, owner: &Name) -> Result<Name, String> {
    if let Some(role) = dns_keys::KeyRole::of(args.key.name()) {
        if !role.zone.is_root() && role.covers(owner) {
            return Ok(role.zone);
        }
        if !role.zone.is_root() {
            eprintln!(
                "note: key {} is for zone {}, which does not hold {}; asking {} for the zone",
                show_name(args.key.name()),
                show_name(&role.zone),
                show_name(owner),
                args.dns_server
            );
        }
    }
    let id = net::random_id()?;
    let mut b = MessageBuilder::new(id, 0);
    b.question(owner, RecordType::SOA, class::IN)
        .map_err(|e| format!("{e:?}"))?;
    let query = b.finish();
    let answer = net::tcp_exchange(args.dns_server, &query, ANSWER_WAIT, |m| {
        net::answers(m, id, opcode::QUERY)
    })
    .map_err(|e| format!("finding the zone of {}: {e}", show_name(owner)))?;
    crate::update::zone_from_soa_answer(&answer, owner).map_err(|why| {
        format!(
            "cannot tell the zone of {} from {}: {why}",
            show_name(owner),
            args.dns_server
        )
    })
}

/// Sends the signed UPDATE over TCP and checks the signed answer.
fn send_update(args: &CertifyArgs, u: &UpdateBuilder) -> Result<(), String> {
    let key = &args.key;
    let id = net::random_id()?;
    let (msg, verifier) = u
        .build_signed(id, key, net::unix_time(0))
        .map_err(|e| format!("the update does not fit in a DNS message: {e:?}"))?;
    let answer = net::tcp_exchange(args.dns_server, &msg, ANSWER_WAIT, |m| {
        net::answers(m, id, opcode::UPDATE)
    })?;
    let now = net::unix_time(0);
    let rc = Header::parse(&answer).map_or(rcode::NOERROR, |h| h.rcode());
    match check_response(&answer, id, Some(&mut verifier.clone()), now) {
        Ok(()) => Ok(()),
        Err(ResponseFailure::Tsig(e)) => Err(explain::tsig(&e, key, now, rc)),
        Err(ResponseFailure::Rcode(rc)) => {
            Err(explain::rcode(Request::Update, rc, &u.zone, key, &|_| {
                Vec::new()
            }))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The key and CSR of this run, and what the certificate must be.
struct Prepared {
    csr: CertReq,
    wanted: Wanted,
    key_path: Option<PathBuf>,
    csr_path: PathBuf,
}

/// Step 1: the key (reused or made and written) and the CSR, or the
/// user's CSR.
fn key_and_csr(args: &CertifyArgs, names: &[String]) -> Result<Prepared, String> {
    let stem = file_stem(&args.host);
    if let Some(path) = &args.csr {
        let shown = path.display();
        let bytes = std::fs::read(path).map_err(|e| format!("--csr {shown}: {e}"))?;
        let csr = read_csr(&bytes).map_err(|e| format!("--csr {shown}: {e}"))?;
        let in_csr = csr_names(&csr).map_err(|e| format!("--csr {shown}: {e}"))?;
        let missing: Vec<&str> = names
            .iter()
            .filter(|n| !in_csr.contains(n))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "--csr {shown} does not ask for {} (it names: {})",
                missing.join(", "),
                if in_csr.is_empty() {
                    String::from("nothing")
                } else {
                    in_csr.join(", ")
                }
            ));
        }
        let mut all: Vec<String> = names.to_vec();
        all.extend(in_csr.into_iter().filter(|n| !names.contains(n)));
        return Ok(Prepared {
            wanted: Wanted {
                public_key: csr.info.public_key.clone(),
                names: all,
            },
            csr,
            key_path: None,
            csr_path: path.clone(),
        });
    }
    let key_path = args.out.join(format!("{stem}.key"));
    let shown = key_path.display();
    let key = if key_path.exists() {
        let text = std::fs::read(&key_path).map_err(|e| format!("{shown}: {e}"))?;
        let key = PrivateKey::from_pem(&text).map_err(|e| format!("{shown}: {e}"))?;
        if let Some(asked) = args.key_type {
            if key.kind() != Some(asked) {
                return Err(format!(
                    "{shown} holds an {} key, and --key-type asks for {}: remove the file for a new key, or drop --key-type",
                    key.describe(),
                    asked.to_possible_value().expect("no skipped variants").get_name()
                ));
            }
        }
        let mode = std::fs::metadata(&key_path)
            .map(|m| m.permissions().mode() & 0o777)
            .unwrap_or(0o600);
        eprintln!(
            "reusing the existing private key {shown} ({})",
            key.describe()
        );
        if mode & 0o077 != 0 {
            eprintln!("warning: {shown} is readable by others (mode {mode:o}); chmod 600 it");
        }
        key
    } else {
        let key = PrivateKey::generate(args.key_type.unwrap_or(KeyType::EcdsaP256))?;
        key.write_new(&key_path)?;
        eprintln!("made a new {} private key: {shown}", key.describe());
        key
    };
    let csr = make_csr(&key, names)?;
    let csr_path = args.out.join(format!("{stem}.req"));
    let pem = csr
        .to_pem(LineEnding::LF)
        .map_err(|e| format!("cannot encode the CSR: {e}"))?;
    std::fs::write(&csr_path, pem).map_err(|e| format!("{}: {e}", csr_path.display()))?;
    Ok(Prepared {
        wanted: Wanted {
            public_key: key.public_key_info()?,
            names: names.to_vec(),
        },
        csr,
        key_path: Some(key_path),
        csr_path,
    })
}

/// Writes the certificate and its chain as PEM to `path` (through a
/// temporary file, so a reader never sees half of it).
fn write_certificates(
    path: &Path,
    leaf: &Certificate,
    chain: &[Certificate],
) -> Result<(), String> {
    let mut pem = String::new();
    for cert in std::iter::once(leaf).chain(chain) {
        pem.push_str(
            &cert
                .to_pem(LineEnding::LF)
                .map_err(|e| format!("cannot encode a certificate: {e}"))?,
        );
    }
    let mut temporary = path.as_os_str().to_owned();
    temporary.push(".new");
    let temporary = PathBuf::from(temporary);
    std::fs::write(&temporary, pem)
        .and_then(|()| std::fs::rename(&temporary, path))
        .map_err(|e| format!("{}: {e}", path.display()))
}

/// A time span for people: days, or hours, or minutes when shorter.
fn in_words(seconds: u64) -> String {
    let plural = |n: u64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    match seconds {
        s if s >= 2 * 86_400 => plural(s / 86_400, "day"),
        s if s >= 2 * 3600 => plural(s / 3600, "hour"),
        s => plural(s / 60, "minute"),
    }
}

/// Prints each note once.
fn note_once(seen: &mut BTreeSet<String>, notes: &[String]) {
    for n in notes {
        if seen.insert(n.clone()) {
            eprintln!("note: {n}");
        }
    }
}

fn certify(args: &CertifyArgs) -> Result<(), String> {
    let mut names = vec![args.host.clone()];
    for san in &args.sans {
        if !names.contains(san) {
            names.push(san.clone());
        }
    }
    let owner = letsencrypt_name(&args.host)?;
    std::fs::create_dir_all(&args.out).map_err(|e| format!("--out {}: {e}", args.out.display()))?;
    let request = key_and_csr(args, &names)?;
    let csr_der = request
        .csr
        .to_der()
        .map_err(|e| format!("cannot encode the CSR: {e}"))?;
    let shown_owner = show_name(&owner);
    let server = args.dns_server;

    let mut seen = BTreeSet::new();
    let (existing, notes) = query_tlsa(server, &owner, ANSWER_WAIT)
        .map_err(|e| format!("cannot query TLSA {shown_owner} at {server}: {e}"))?;
    note_once(&mut seen, &notes);
    let mut found = None;
    if !args.force {
        if let Found::Issued { leaf, chain } =
            find_certificate(&existing, &request.wanted, net::unix_time(0))
        {
            eprintln!(
                "a valid certificate for this key is already at {shown_owner}: taking it without publishing the CSR again (--force publishes it)"
            );
            found = Some((leaf, chain));
        }
    }
    let started = Instant::now();
    if found.is_none() {
        let zone = zone_for(args, &owner)?;
        let update = csr_update(zone.clone(), &owner, &existing, &csr_der)?;
        send_update(args, &update)
            .map_err(|e| format!("the UPDATE of {}: {e}", show_name(&zone)))?;
        let replaced = existing.iter().filter(|t| t.is_csr()).count();
        eprintln!(
            "published the CSR at {shown_owner} (zone {}{})",
            show_name(&zone),
            match replaced {
                0 => String::new(),
                1 => String::from(", replacing the CSR there"),
                n => format!(", replacing the {n} CSRs there"),
            }
        );
    }
    let timeout = Duration::from_secs(args.timeout);
    let (leaf, chain) = loop {
        if let Some(f) = found.take() {
            break f;
        }
        let left = timeout.saturating_sub(started.elapsed());
        let wait = left.clamp(Duration::from_secs(1), ANSWER_WAIT);
        // What this look found instead of the certificate.
        let (error, notes) = match query_tlsa(server, &owner, wait) {
            Ok((records, mut notes)) => {
                match find_certificate(&records, &request.wanted, net::unix_time(0)) {
                    Found::Issued { leaf, chain } => found = Some((leaf, chain)),
                    Found::NotYet(more) => notes.extend(more),
                }
                note_once(&mut seen, &notes);
                (None, notes)
            }
            Err(e) => {
                let e = format!("TLSA {shown_owner} at {server}: {e}");
                note_once(&mut seen, &[format!("{e} (trying again)")]);
                (Some(e), Vec::new())
            }
        };
        if found.is_some() {
            continue;
        }
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            let mut why = format!(
                "no certificate for the key of {} appeared at {shown_owner} within {} s",
                args.host, args.timeout
            );
            if let Some(e) = error {
                why.push_str(&format!("; the last query failed: {e}"));
            }
            for n in &notes {
                why.push_str(&format!("; {n}"));
            }
            why.push_str(
                ". The CSR stays published: run certify again later to fetch the certificate (is the letsencrypt service watching this zone?)",
            );
            return Err(why);
        }
        eprintln!(
            "waiting for the certificate of {} ({} s of {})",
            args.host,
            elapsed.as_secs(),
            args.timeout
        );
        std::thread::sleep(POLL_INTERVAL.min(timeout - elapsed));
    };

    // The certificate was chosen for this public key; say it again where
    // the key itself is at hand (the file could have been changed).
    if let Some(path) = &request.key_path {
        let text = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let key = PrivateKey::from_pem(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        if !same_public_key(
            &key.public_key_info()?,
            &leaf.tbs_certificate.subject_public_key_info,
        ) {
            return Err(format!(
                "the certificate's public key is not the one of {} (was the key file replaced?)",
                path.display()
            ));
        }
    }
    let pem_path = args.out.join(format!("{}.pem", file_stem(&args.host)));
    write_certificates(&pem_path, &leaf, &chain)?;
    let tbs = &leaf.tbs_certificate;
    let names = certificate_names(&leaf)?;
    let not_after = tbs.validity.not_after.to_unix_duration().as_secs();
    let left = in_words(not_after.saturating_sub(net::unix_time(0)));
    println!("certificate of {} ({})", args.host, names.join(", "));
    println!("  subject:     {}", tbs.subject);
    println!("  issuer:      {}", tbs.issuer);
    println!("  serial:      {}", tbs.serial_number);
    println!("  not before:  {}", tbs.validity.not_before);
    println!(
        "  not after:   {} (expires in {left})",
        tbs.validity.not_after
    );
    println!(
        "  certificate: {} (the certificate and {} chain certificate{})",
        pem_path.display(),
        chain.len(),
        if chain.len() == 1 { "" } else { "s" }
    );
    match &request.key_path {
        Some(p) => println!("  private key: {}", p.display()),
        None => println!(
            "  CSR:         {} (its private key is yours)",
            request.csr_path.display()
        ),
    }
    if request.key_path.is_some() {
        println!("  CSR:         {}", request.csr_path.display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn spans_in_words() {
        assert_eq!(in_words(90 * 86_400 + 5), "90 days");
        assert_eq!(in_words(2 * 86_400), "2 days");
        assert_eq!(in_words(86_399), "23 hours");
        assert_eq!(in_words(7199), "119 minutes");
        assert_eq!(in_words(60), "1 minute");
        assert_eq!(in_words(0), "0 minutes");
    }

    #[test]
    fn host_names() {
        assert_eq!(parse_host("WWW.Example.COM.").unwrap(), "www.example.com");
        assert_eq!(parse_host("*.example.com").unwrap(), "*.example.com");
        for bad in [
            "",
            "localhost",
            "www..example.com",
            "www.*.example.com",
            "-www.example.com",
            "www-.example.com",
            "a b.example.com",
            "bücher.example",
            &format!("{}.example.com", "a".repeat(64)),
            &format!("{}com", "a.".repeat(130)),
        ] {
            assert!(parse_host(bad).is_err(), "{bad:?} accepted");
        }
        assert_eq!(file_stem("*.example.com"), "_wildcard.example.com");
        assert_eq!(
            show_name(&letsencrypt_name("www.example.com").unwrap()),
            "_letsencrypt._tcp.www.example.com"
        );
    }
}
