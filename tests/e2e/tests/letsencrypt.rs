//! The letsencrypt unikernel (issue 14) end to end, with real peers:
//! primary-git's host-process build (`--zones-dir`) on loopback, Debian's
//! `pebble` as the CA (its dns-01 checks sent to our primary), the
//! letsencrypt host-process build (a hidden secondary of example.com with
//! an `_update` key, talking ACME to pebble), and `solodns certify` as the
//! service that wants a certificate; BIND's `dig` and `openssl` check the
//! results. Each test has loopback addresses of its own (127.0.N.x), so
//! the tests run in parallel.

use e2e::net::Guest;
use e2e::pebble::{Pebble, PebbleConfig};
use e2e::{repo_root, TempDir};
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The update key letsencrypt runs with (test-only secret).
const LE_KEY_NAME: &str = "le._update.example.com";
const LE_SECRET: &str = "bGV0c2VuY3J5cHQgdGVzdCBrZXkgb25seSEhISEhISE=";
/// certify's `--timeout`: a certificate arrives well within it (pebble
/// validates at once; an order takes seconds).
const CERTIFY_TIMEOUT: &str = "120";

/// Whether the Debian programs the test talks to are there; prints why
/// the test is skipped when not.
fn peers_missing() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for (program, package) in [
        ("openssl", "openssl"),
        ("dig", "bind9-dnsutils"),
        ("pebble", "pebble"),
        ("curl", "curl"),
    ] {
        if !std::env::split_paths(&path).any(|dir| dir.join(program).is_file()) {
            eprintln!("skipped: `{program}` (Debian package {package}) is not installed");
            return true;
        }
    }
    false
}

fn free_port(ip: &str) -> u16 {
    UdpSocket::bind((ip, 0))
        .expect("a free port")
        .local_addr()
        .expect("address")
        .port()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The suite of one test: primary, pebble, letsencrypt.
struct Suite {
    net: u8,
    zones: TempDir,
    _primary: Guest,
    primary_port: u16,
    pebble: Pebble,
    letsencrypt: Option<Guest>,
    out: TempDir,
}

impl Suite {
    fn ip(&self, host: u8) -> String {
        format!("127.0.{}.{host}", self.net)
    }

    /// The primary on 127.0.N.1, pebble on 127.0.N.2 (certificates valid
    /// `validity` seconds, if given).
    fn start(net: u8, validity: Option<u64>) -> Suite {
        Suite::start_with(net, validity, None)
    }

    /// Like [`Suite::start`], pebble's HTTPS certificate also naming
    /// `pebble_name`.
    fn start_with(net: u8, validity: Option<u64>, pebble_name: Option<&str>) -> Suite {
        let zones = TempDir::with_zones_example("letsencrypt-zones");
        // zones-example has a placeholder `_acme-challenge` TXT record at
        // the apex; a challenge left behind is what these tests look for.
        let zone_file = zones.path().join("example.com");
        let zone_text = std::fs::read_to_string(&zone_file).expect("example.com");
        let zone_text: String = zone_text
            .lines()
            .filter(|l| !l.starts_with("_acme-challenge"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&zone_file, zone_text).expect("write example.com");
        let keys = zones.path().join("_keys");
        let mut keys_text = std::fs::read_to_string(&keys).expect("_keys");
        keys_text.push_str(&format!("{LE_KEY_NAME}. DNSKEY 0 3 163 {LE_SECRET}\n"));
        std::fs::write(&keys, keys_text).expect("write _keys");
        let primary_ip = format!("127.0.{net}.1");
        let primary_port = free_port(&primary_ip);
        let mut command = Command::new(e2e::host_binary("primary-git"));
        command
            .arg(format!("--zones-dir={}", zones.path().display()))
            .arg(format!("--listen={primary_ip}:{primary_port}"));
        let mut primary = Guest::spawn(command);
        primary.wait_for("serving 2 zones", Duration::from_secs(20));
        let mut config = PebbleConfig::new(
            format!("127.0.{net}.2").parse().unwrap(),
            SocketAddr::new(primary_ip.parse().unwrap(), primary_port),
        );
        config.certificate_validity = validity;
        config.dns_name = pebble_name.map(String::from);
        let pebble = Pebble::start(None, &config);
        Suite {
            net,
            zones,
            _primary: primary,
            primary_port,
            pebble,
            letsencrypt: None,
            out: TempDir::new("letsencrypt-out"),
        }
    }

    /// The boot arguments of the letsencrypt host process.
    fn letsencrypt_args(&self, seed: &str) -> Vec<String> {
        vec![
            format!("--listen={}:{}", self.ip(3), free_port(&self.ip(3))),
            format!("--dns-key={LE_KEY_NAME}:SHA256:{LE_SECRET}"),
            format!("--dns-server={}", self.ip(1)),
            format!("--port={}", self.primary_port),
            format!("--account-key-seed={seed}"),
            format!("--acme-server={}", self.pebble.directory_url),
            format!(
                "--tls-authenticator=trust-anchor:{}",
                base64(&self.pebble.https_ca_der)
            ),
            "--email=hostmaster@example.com".into(),
            "--log-level=debug".into(),
        ]
    }

    fn start_letsencrypt_with(&mut self, args: &[String]) -> &mut Guest {
        let mut command = Command::new(e2e::host_binary("letsencrypt"));
        command.args(args);
        println!("letsencrypt {}", args.join(" "));
        let mut guest = Guest::spawn(command);
        guest.wait_for("loaded serial", Duration::from_secs(20));
        self.letsencrypt = Some(guest);
        self.letsencrypt.as_mut().unwrap()
    }

    fn start_letsencrypt(&mut self) -> &mut Guest {
        let args = self.letsencrypt_args("the-test-account");
        self.start_letsencrypt_with(&args)
    }

    fn le(&mut self) -> &mut Guest {
        self.letsencrypt.as_mut().expect("letsencrypt started")
    }

    fn server(&self) -> String {
        format!("{}:{}", self.ip(1), self.primary_port)
    }

    /// `solodns certify HOST` with `extra` arguments.
    fn certify(&self, host: &str, extra: &[&str]) -> Output {
        let started = Instant::now();
        let output = Command::new(e2e::host_binary("solodns"))
            .args(["certify", host, "--dns-server", &self.server()])
            .args([
                "--key",
                &format!(
                    "admin._update.example.com:SHA256:{}",
                    e2e::example_key_secret("admin._update.example.com.")
                ),
            ])
            .arg("--out")
            .arg(self.out.path())
            .args(extra)
            .env_remove("SOLODNS_KEY")
            .stdin(Stdio::null())
            .output()
            .expect("run solodns");
        eprintln!(
            "solodns certify {host} {extra:?} ({:?}): {:?}\n{}{}",
            started.elapsed(),
            output.status,
            text(&output.stdout),
            text(&output.stderr)
        );
        output
    }

    fn dig(&self, name: &str, qtype: &str) -> Vec<String> {
        let output = Command::new("dig")
            .args(["+short", "+norec", "+tcp", "+time=2", "+tries=2", "-p"])
            .arg(self.primary_port.to_string())
            .arg(format!("@{}", self.ip(1)))
            .args([name, qtype])
            .output()
            .expect("run dig");
        assert!(output.status.success(), "dig: {output:?}");
        text(&output.stdout)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(String::from)
            .collect()
    }

    /// The TLSA records at `_letsencrypt._tcp.HOST`: (usage, selector, matching, DER).
    fn tlsa(&self, host: &str) -> Vec<(u8, u8, u8, Vec<u8>)> {
        self.dig(&format!("_letsencrypt._tcp.{host}"), "TLSA")
            .iter()
            .map(|line| {
                let mut words = line.split_whitespace();
                let mut number = || words.next().unwrap().parse::<u8>().unwrap();
                let (u, s, m) = (number(), number(), number());
                (u, s, m, unhex(&words.collect::<String>()))
            })
            .collect()
    }

    /// Waits (bounded) until no `_acme-challenge` TXT record is left at
    /// the names; panics with what is left.
    fn wait_no_challenges(&self, names: &[&str]) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let left: Vec<(String, Vec<String>)> = names
                .iter()
                .map(|n| {
                    let owner = format!("_acme-challenge.{}", n.trim_start_matches("*."));
                    let txt = self.dig(&owner, "TXT");
                    (owner, txt)
                })
                .filter(|(_, txt)| !txt.is_empty())
                .collect();
            if left.is_empty() {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "challenge TXT records left: {left:?}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    fn file(&self, name: &str) -> PathBuf {
        self.out.path().join(name)
    }
}

fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex from dig"))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn openssl(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl")
}

fn openssl_ok(args: &[&str]) -> String {
    let output = openssl(args);
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        text(&output.stderr)
    );
    text(&output.stdout)
}

fn path(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// The DER of the first certificate in a PEM file.
fn leaf_der(pem: &Path) -> Vec<u8> {
    let output = Command::new("openssl")
        .args(["x509", "-in", path(pem), "-outform", "DER"])
        .output()
        .expect("openssl");
    assert!(output.status.success());
    output.stdout
}

/// Checks what certify wrote for `host` and what is in DNS: the
/// certificate (`TLSA 3 0 0`) and chain (`TLSA 2 0 0`) beside the CSR,
/// the chain verifying to pebble's root, the certificate's key the
/// private key's, its names the asked ones, no challenge left, and the
/// records in the primary's zone file.
fn check_issued(suite: &Suite, host: &str, names: &[&str], root: &Path) {
    let pem = suite.file(&format!("{host}.pem"));
    let key = suite.file(&format!("{host}.key"));
    let verify = openssl_ok(&[
        "verify",
        "-CAfile",
        path(root),
        "-untrusted",
        path(&pem),
        path(&pem),
    ]);
    assert!(verify.contains(": OK"), "{verify}");
    let certificate_key = openssl_ok(&["x509", "-in", path(&pem), "-noout", "-pubkey"]);
    let private_key = openssl_ok(&["pkey", "-in", path(&key), "-pubout"]);
    assert_eq!(
        certificate_key, private_key,
        "the certificate is for the key"
    );
    let sans = openssl_ok(&[
        "x509",
        "-in",
        path(&pem),
        "-noout",
        "-ext",
        "subjectAltName",
    ]);
    for name in names {
        assert!(sans.contains(&format!("DNS:{name}")), "{name} in {sans}");
    }
    let records = suite.tlsa(host);
    let leaf = leaf_der(&pem);
    assert!(
        records.iter().any(|r| (r.0, r.1, r.2) == (3, 255, 0)),
        "the CSR stays: {records:?}"
    );
    let certificates: Vec<_> = records
        .iter()
        .filter(|r| (r.0, r.1, r.2) == (3, 0, 0))
        .collect();
    assert_eq!(certificates.len(), 1, "one certificate: {records:?}");
    assert_eq!(
        certificates[0].3, leaf,
        "the certificate in DNS is certify's"
    );
    assert!(
        records.iter().any(|r| (r.0, r.1, r.2) == (2, 0, 0)),
        "the chain: {records:?}"
    );
    suite.wait_no_challenges(names);
    let owner = format!(
        "_letsencrypt._tcp.{}",
        host.trim_end_matches(".example.com")
    );
    let leaf_hex = hex(&leaf);
    let has_certificate = |zone_file: &str| {
        let flat: String = zone_file
            .split_whitespace()
            .collect::<String>()
            .to_uppercase();
        flat.contains(&leaf_hex)
    };
    // The UPDATE is durable in the journal when acknowledged; the zone
    // file is rewritten in the background at most 5 s after a change.
    let path = suite.zones.path().join("example.com");
    let read = || std::fs::read_to_string(&path).expect("zone file");
    let written = Instant::now();
    let mut zone_file = read();
    let done =
        |zone_file: &str| has_certificate(zone_file) && !zone_file.contains("_acme-challenge");
    while !done(&zone_file) && written.elapsed() < Duration::from_secs(15) {
        std::thread::sleep(Duration::from_millis(100));
        zone_file = read();
    }
    assert!(
        zone_file
            .lines()
            .any(|l| l.contains(&owner) || l.contains(&format!("_letsencrypt._tcp.{host}"))),
        "the zone file has the records at {owner}"
    );
    assert!(
        has_certificate(&zone_file),
        "the zone file has the certificate"
    );
    assert!(
        !zone_file.contains("_acme-challenge"),
        "no challenge left in the zone file"
    );
}

/// certify for one name, then for a name with two SANs and a wildcard.
#[test]
fn certificates_for_one_name_and_for_sans_with_a_wildcard() {
    if peers_missing() {
        return;
    }
    let mut suite = Suite::start(41, None);
    suite.start_letsencrypt();
    let root = suite
        .pebble
        .issuing_root(format!("{}:15000", suite.ip(2)).parse().unwrap());

    let started = Instant::now();
    let output = suite.certify("www.example.com", &["--timeout", CERTIFY_TIMEOUT]);
    let elapsed = started.elapsed();
    assert!(output.status.success(), "certify www.example.com");
    println!(
        "measured: certify www.example.com (CSR UPDATE to certificate TLSA, host) {elapsed:?}"
    );
    check_issued(&suite, "www.example.com", &["www.example.com"], &root);

    let started = Instant::now();
    let output = suite.certify(
        "mail.example.com",
        &[
            "--san",
            "smtp.example.com",
            "--san",
            "*.example.com",
            "--timeout",
            CERTIFY_TIMEOUT,
        ],
    );
    let elapsed = started.elapsed();
    assert!(output.status.success(), "certify mail.example.com");
    println!("measured: certify mail.example.com + 2 SANs (host) {elapsed:?}");
    check_issued(
        &suite,
        "mail.example.com",
        &["mail.example.com", "smtp.example.com", "*.example.com"],
        &root,
    );
    let log = suite.le().output();
    assert!(log.contains("order #"), "{log}");
    println!("letsencrypt:\n{log}");
}

/// The DER of the certificate (`TLSA 3 0 0`) at `host`, if exactly one.
fn certificate_in_dns(suite: &Suite, host: &str) -> Option<Vec<u8>> {
    let certificates: Vec<Vec<u8>> = suite
        .tlsa(host)
        .into_iter()
        .filter(|r| (r.0, r.1, r.2) == (3, 0, 0))
        .map(|r| r.3)
        .collect();
    (certificates.len() == 1).then(|| certificates[0].clone())
}

/// pebble issuing for 120 s: the certificate is replaced before a third
/// of its lifetime is left, with the same CSR (certify runs once).
#[test]
fn a_short_lived_certificate_is_renewed_without_a_new_csr() {
    if peers_missing() {
        return;
    }
    const VALIDITY: u64 = 120;
    let mut suite = Suite::start(42, Some(VALIDITY));
    suite.start_letsencrypt();
    let output = suite.certify("www.example.com", &["--timeout", CERTIFY_TIMEOUT]);
    assert!(output.status.success(), "certify");
    let first = leaf_der(&suite.file("www.example.com.pem"));
    let csr_before: Vec<_> = suite
        .tlsa("www.example.com")
        .into_iter()
        .filter(|r| (r.0, r.1, r.2) == (3, 255, 0))
        .collect();
    let issued_at = Instant::now();
    // Renewal is due 80 s after issuance (a third of 120 s left); allow
    // generously more, bounded.
    suite
        .le()
        .try_wait_for(
            "order #2: published the certificate",
            Duration::from_secs(240),
        )
        .unwrap_or_else(|| panic!("no renewal:\n{}", suite.le().output()));
    let renewed_after = issued_at.elapsed();
    let second = certificate_in_dns(&suite, "www.example.com").expect("one certificate");
    assert_ne!(second, first, "a new certificate");
    assert!(
        renewed_after < Duration::from_secs(VALIDITY),
        "renewed before the old one expired ({renewed_after:?})"
    );
    let csr_after: Vec<_> = suite
        .tlsa("www.example.com")
        .into_iter()
        .filter(|r| (r.0, r.1, r.2) == (3, 255, 0))
        .collect();
    assert_eq!(csr_before, csr_after, "the same CSR");
    let log = suite.le().output();
    let order_line = log
        .lines()
        .find(|l| l.contains("needs a certificate") && !l.contains("no certificate is published"))
        .unwrap_or_default()
        .to_string();
    println!("renewal reason: {order_line}\nrenewed {renewed_after:?} after the first issuance");
    suite.wait_no_challenges(&["www.example.com"]);
}

/// certify again with a new key: the CSR changes, so does the certificate.
#[test]
fn a_csr_with_a_new_key_gets_a_new_certificate() {
    if peers_missing() {
        return;
    }
    let mut suite = Suite::start(43, None);
    suite.start_letsencrypt();
    let output = suite.certify("www.example.com", &["--timeout", CERTIFY_TIMEOUT]);
    assert!(output.status.success(), "certify");
    let first_key = openssl_ok(&[
        "pkey",
        "-in",
        path(&suite.file("www.example.com.key")),
        "-pubout",
    ]);
    std::fs::remove_file(suite.file("www.example.com.key")).expect("remove the key");
    let output = suite.certify("www.example.com", &["--timeout", CERTIFY_TIMEOUT]);
    assert!(output.status.success(), "certify with a new key");
    let second_key = openssl_ok(&[
        "pkey",
        "-in",
        path(&suite.file("www.example.com.key")),
        "-pubout",
    ]);
    assert_ne!(first_key, second_key, "certify made a new key");
    let root = suite
        .pebble
        .issuing_root(format!("{}:15000", suite.ip(2)).parse().unwrap());
    check_issued(&suite, "www.example.com", &["www.example.com"], &root);
    let log = suite.le().output();
    assert!(log.contains("order #2: published"), "{log}");
}

/// Runs nsupdate with the admin key against the suite's primary.
fn nsupdate(suite: &Suite, script: &str) {
    let key = format!(
        "hmac-sha256:admin._update.example.com:{}",
        e2e::example_key_secret("admin._update.example.com.")
    );
    let server = format!("{} {}", suite.ip(1), suite.primary_port);
    let script = format!("zone example.com\n{script}");
    let (ok, stderr) =
        e2e::peers::nsupdate(Command::new("nsupdate"), &server, Some(&key), 5, &script);
    assert!(ok, "nsupdate: {stderr}");
}

/// A CSR for `host` made by openssl (DER, hex).
fn openssl_csr(dir: &Path, host: &str, label: &str) -> String {
    let key = dir.join(format!("{label}.key"));
    let csr = dir.join(format!("{label}.der"));
    openssl_ok(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        path(&key),
        "-subj",
        &format!("/CN={host}"),
        "-outform",
        "DER",
        "-out",
        path(&csr),
    ]);
    hex(&std::fs::read(&csr).expect("CSR"))
}

/// Two CSRs at one name: refused and logged; a malformed CSR: logged and
/// skipped; neither is ordered, and a good CSR beside them still is.
#[test]
fn two_csrs_at_a_name_and_a_malformed_csr_are_logged_and_skipped() {
    if peers_missing() {
        return;
    }
    let mut suite = Suite::start(44, None);
    suite.start_letsencrypt();
    let dir = TempDir::new("letsencrypt-csrs");
    let one = openssl_csr(dir.path(), "two.example.com", "one");
    let two = openssl_csr(dir.path(), "two.example.com", "two");
    nsupdate(
        &suite,
        &format!(
            "update add _letsencrypt._tcp.two.example.com 3600 TLSA 3 255 0 {one}\n\
             update add _letsencrypt._tcp.two.example.com 3600 TLSA 3 255 0 {two}\n\
             update add _letsencrypt._tcp.bad.example.com 3600 TLSA 3 255 0 3082DEADBEEF0102"
        ),
    );
    let line = suite.le().wait_for(
        "two CSRs at _letsencrypt._tcp.two.example.com",
        Duration::from_secs(30),
    );
    assert!(line.contains("skipped"), "{line}");
    let line = suite.le().wait_for(
        "malformed CSR at _letsencrypt._tcp.bad.example.com",
        Duration::from_secs(30),
    );
    assert!(line.contains("skipped"), "{line}");
    // A good CSR beside them is served as usual.
    let output = suite.certify("www.example.com", &["--timeout", CERTIFY_TIMEOUT]);
    assert!(output.status.success(), "certify beside the bad CSRs");
    let log = suite.le().output();
    for name in ["two.example.com", "bad.example.com"] {
        assert!(
            !log.lines()
                .any(|l| l.contains("ordering a certificate") && l.contains(name)),
            "no order for {name}:\n{log}"
        );
        assert!(
            certificate_in_dns(&suite, name).is_none(),
            "no certificate for {name}"
        );
    }
}

/// A CA certificate that does not match `--tls-authenticator`: refused,
/// with a log line saying so; no certificate.
#[test]
fn a_wrong_tls_authenticator_is_refused_with_a_clear_log_line() {
    if peers_missing() {
        return;
    }
    let mut suite = Suite::start(45, None);
    let mut args = suite.letsencrypt_args("the-test-account");
    // Pin a key fingerprint that is not the server's.
    let wrong = base64(&[7u8; 32]);
    for arg in &mut args {
        if arg.starts_with("--tls-authenticator=") {
            *arg = format!("--tls-authenticator=key-fp:SHA256:{wrong}");
        }
    }
    suite.start_letsencrypt_with(&args);
    let output = suite.certify("www.example.com", &["--timeout", "20"]);
    assert!(
        !output.status.success(),
        "no certificate without a trusted CA"
    );
    let line = suite
        .le()
        .wait_for("does not match key-fp", Duration::from_secs(30));
    println!("refusal: {line}");
    assert!(
        line.contains(&wrong) || line.contains("key-fp:SHA256"),
        "{line}"
    );
    assert!(certificate_in_dns(&suite, "www.example.com").is_none());
}

/// pebble down: the order fails, the failure is logged with the backoff,
/// no tight loop; once pebble is back, the order completes.
#[test]
fn pebble_down_backs_off_and_the_order_completes_when_it_is_back() {
    if peers_missing() {
        return;
    }
    let mut suite = Suite::start(46, None);
    suite.start_letsencrypt();
    suite.pebble.stop();
    std::thread::sleep(Duration::from_millis(500));
    let server = suite.server();
    let out = suite.out.path().to_path_buf();
    let certify = std::thread::spawn(move || {
        Command::new(e2e::host_binary("solodns"))
            .args(["certify", "www.example.com", "--dns-server", &server])
            .args([
                "--key",
                &format!(
                    "admin._update.example.com:SHA256:{}",
                    e2e::example_key_secret("admin._update.example.com.")
                ),
            ])
            .arg("--out")
            .arg(out)
            .args(["--timeout", "300"])
            .env_remove("SOLODNS_KEY")
            .stdin(Stdio::null())
            .output()
            .expect("run solodns")
    });
    let line = suite
        .le()
        .wait_for("next attempt in", Duration::from_secs(60));
    println!("backoff: {line}");
    // Quiet while backing off: watch for 20 s.
    let watched = Instant::now();
    while watched.elapsed() < Duration::from_secs(20) {
        let _ = suite
            .le()
            .try_wait_for("never printed", Duration::from_secs(1));
    }
    let log = suite.le().output();
    let orders = log
        .lines()
        .filter(|l| l.contains("ordering a certificate"))
        .count();
    let total = log.lines().count();
    assert_eq!(orders, 1, "one attempt while pebble is down:\n{log}");
    assert!(total < 200, "no tight loop of log lines ({total}):\n{log}");
    suite.pebble.resume();
    let output = certify.join().expect("certify thread");
    println!(
        "certify: {}\n{}",
        text(&output.stdout),
        text(&output.stderr)
    );
    assert!(
        output.status.success(),
        "certify after pebble is back:\n{}",
        suite.le().output()
    );
    let root = suite
        .pebble
        .issuing_root(format!("{}:15000", suite.ip(2)).parse().unwrap());
    check_issued(&suite, "www.example.com", &["www.example.com"], &root);
}

/// How many accounts pebble says it has (its "There are now N accounts
/// in memory" lines), the largest N seen.
fn pebble_accounts(pebble: &Pebble) -> usize {
    pebble
        .log()
        .lines()
        .filter_map(|l| {
            let rest = l.split("There are now ").nth(1)?;
            let count = rest.strip_suffix(" accounts in memory")?;
            count.trim().parse().ok()
        })
        .max()
        .unwrap_or(0)
}

/// The account key from one seed is one account across restarts; another
/// seed is another account.
#[test]
fn the_same_seed_is_the_same_account_across_restarts() {
    if peers_missing() {
        return;
    }
    let mut suite = Suite::start(47, None);
    suite.start_letsencrypt();
    let output = suite.certify("www.example.com", &["--timeout", CERTIFY_TIMEOUT]);
    assert!(output.status.success());
    assert_eq!(pebble_accounts(&suite.pebble), 1, "{}", suite.pebble.log());
    suite.letsencrypt = None; // killed
    suite.start_letsencrypt();
    let output = suite.certify("mail.example.com", &["--timeout", CERTIFY_TIMEOUT]);
    assert!(output.status.success());
    assert_eq!(
        pebble_accounts(&suite.pebble),
        1,
        "no second account after a restart:\n{}",
        suite.pebble.log()
    );
    // The control: another seed registers another account.
    suite.letsencrypt = None;
    let args = suite.letsencrypt_args("another-account");
    suite.start_letsencrypt_with(&args);
    let output = suite.certify("smtp.example.com", &["--timeout", CERTIFY_TIMEOUT]);
    assert!(output.status.success());
    assert_eq!(pebble_accounts(&suite.pebble), 2, "{}", suite.pebble.log());
}

/// The images in a namespace of the test's own: primary-git (spt or hvt)
/// serving a git repository over SSH, the letsencrypt image beside it,
/// pebble on the host side of the namespace; one `solodns certify`.
mod images {
    use super::*;
    use e2e::gitserver::GitServer;
    use e2e::net::TestNet;
    use e2e::peers::short;
    use e2e::{image, Tender};
    use ssh::ClientKey;

    const PEBBLE: &str = "10.53.0.1";
    const PRIMARY: &str = "10.53.0.2";
    const LETSENCRYPT: &str = "10.53.0.3";
    /// The letsencrypt image's memory, MiB (`SOLODNS_LETSENCRYPT_MEM`
    /// overrides it, to measure the smallest that works). Measured on spt
    /// (2026-12): 10 issues a certificate; 9 dies during the order, 8 at
    /// boot (an allocation of 64 KiB fails).
    const MEM_MIB: u32 = 64;

    fn in_net(net: &TestNet, program: &Path, args: &[String]) -> Output {
        net.command(program)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run in the namespace")
    }

    /// Runs the whole flow, primary-git on spt, letsencrypt on `tender`;
    /// `ready` bounds each wait for a guest, `issue` the order.
    pub fn one_certificate(tender: Tender, ready: Duration, issue: Duration) {
        if peers_missing() {
            return;
        }
        let git_config = TempDir::new("letsencrypt-gitconfig");
        let global = git_config.path().join("gitconfig");
        std::fs::write(&global, "[safe]\n\tdirectory = *\n").expect("write gitconfig");
        std::env::set_var("GIT_CONFIG_GLOBAL", &global);
        let net = TestNet::up(2);
        let client_key = ClientKey::from_seed([9u8; 32]);
        let server = GitServer::in_testnet(&net, &client_key);
        let keys: String = std::fs::read_to_string(repo_root().join("zones-example/_keys"))
            .expect("_keys")
            .lines()
            .filter(|line| !line.contains("._transfer."))
            .map(|line| format!("{line}\n"))
            .collect::<String>()
            + &format!("{LE_KEY_NAME}. DNSKEY 0 3 163 {LE_SECRET}\n");
        server.push_file("_keys", &keys, "the letsencrypt update key");
        let zone: String = std::fs::read_to_string(repo_root().join("zones-example/example.com"))
            .expect("example.com")
            .lines()
            .filter(|l| !l.starts_with("_acme-challenge"))
            .map(|l| format!("{l}\n"))
            .collect();
        server.push_file("example.com", &zone, "no placeholder challenge");
        let commits_before = server.commit_count();

        let mut primary_args = server.primary_git_args(&client_key);
        primary_args.push(format!("--ipv4={PRIMARY}/24"));
        let primary_args: Vec<&str> = primary_args.iter().map(String::as_str).collect();
        // On spt always: its UPDATEs commit and push to git before they
        // are answered, which on emulated hvt outlasts certify's 5 s wait.
        let mut primary = net.boot(
            Tender::Spt,
            &image("primary-git", Tender::Spt),
            "tap0",
            &primary_args,
        );
        primary.wait_for("serving 2 zones from commit", Duration::from_secs(30));

        let pebble = Pebble::start(
            Some(&net),
            &PebbleConfig::new(
                PEBBLE.parse().unwrap(),
                SocketAddr::new(PRIMARY.parse().unwrap(), 53),
            ),
        );
        let mem = std::env::var("SOLODNS_LETSENCRYPT_MEM")
            .ok()
            .and_then(|m| m.parse().ok())
            .unwrap_or(MEM_MIB);
        let args = [
            format!("--ipv4={LETSENCRYPT}/24"),
            format!("--dns-key={LE_KEY_NAME}:SHA256:{LE_SECRET}"),
            format!("--dns-server={PRIMARY}"),
            "--account-key-seed=the-image-account".into(),
            format!("--acme-server={}", pebble.directory_url),
            format!(
                "--tls-authenticator=trust-anchor:{}",
                base64(&pebble.https_ca_der)
            ),
            "--email=hostmaster@example.com".into(),
            "--log-level=info".into(),
        ];
        println!(
            "solo5-{} --mem={mem} --net:service=tap1 -- letsencrypt.{} {}",
            tender.name(),
            tender.name(),
            args.join(" ")
        );
        let mut command = net.command(tender.program());
        command
            .args([
                format!("--mem={mem}"),
                "--net:service=tap1".into(),
                "--".into(),
            ])
            .arg(image("letsencrypt", tender))
            .args(&args);
        let booted = Instant::now();
        let mut letsencrypt = Guest::spawn(command);
        letsencrypt
            .try_wait_for("loaded serial", ready)
            .unwrap_or_else(|| panic!("no transfer:\n{}", letsencrypt.output()));
        println!(
            "measured ({}): boot to first transfer {:?}",
            tender.name(),
            booted.elapsed()
        );

        let out = TempDir::new("letsencrypt-image-out");
        let started = Instant::now();
        let output = in_net(
            &net,
            &e2e::host_binary("solodns"),
            &[
                "certify".into(),
                "www.example.com".into(),
                "--dns-server".into(),
                format!("{PRIMARY}:53"),
                "--key".into(),
                format!(
                    "admin._update.example.com:SHA256:{}",
                    e2e::example_key_secret("admin._update.example.com.")
                ),
                "--out".into(),
                path(out.path()).into(),
                "--timeout".into(),
                issue.as_secs().to_string(),
            ],
        );
        let took = started.elapsed();
        assert!(
            output.status.success(),
            "certify: {}{}\nletsencrypt:\n{}\nprimary:\n{}",
            text(&output.stdout),
            text(&output.stderr),
            letsencrypt.output(),
            primary.output()
        );
        println!(
            "measured ({}): certify (CSR UPDATE to certificate TLSA) {took:?}\n{}",
            tender.name(),
            text(&output.stdout)
        );
        let pem = out.path().join("www.example.com.pem");
        let root = pebble.issuing_root(format!("{PEBBLE}:15000").parse().unwrap());
        let verify = openssl_ok(&[
            "verify",
            "-CAfile",
            path(&root),
            "-untrusted",
            path(&pem),
            path(&pem),
        ]);
        assert!(verify.contains(": OK"), "{verify}");
        assert_eq!(
            openssl_ok(&["x509", "-in", path(&pem), "-noout", "-pubkey"]),
            openssl_ok(&[
                "pkey",
                "-in",
                path(&out.path().join("www.example.com.key")),
                "-pubout"
            ]),
        );
        let tlsa = short(&net, PRIMARY, "_letsencrypt._tcp.www.example.com", "TLSA");
        assert!(tlsa.iter().any(|l| l.starts_with("3 0 0 ")), "{tlsa:?}");
        assert!(tlsa.iter().any(|l| l.starts_with("2 0 0 ")), "{tlsa:?}");
        assert!(tlsa.iter().any(|l| l.starts_with("3 255 0 ")), "{tlsa:?}");
        let deadline = Instant::now() + issue;
        while !short(&net, PRIMARY, "_acme-challenge.www.example.com", "TXT").is_empty() {
            assert!(Instant::now() < deadline, "the challenge TXT record stays");
            std::thread::sleep(Duration::from_millis(500));
        }
        // The primary's git remote has the commits: the CSR, the
        // challenge added and removed, the certificate.
        let leaf = hex(&leaf_der(&pem));
        let deadline = Instant::now() + ready;
        loop {
            let committed = server.file("example.com");
            let flat: String = committed
                .split_whitespace()
                .collect::<String>()
                .to_uppercase();
            if flat.contains(&leaf) && !committed.contains("_acme-challenge") {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "git has no certificate:\n{committed}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
        assert!(server.commit_count() >= commits_before + 4, "commits");
        println!("letsencrypt:\n{}", letsencrypt.output());
    }
}

#[test]
fn spt_images_issue_a_certificate_in_a_namespace() {
    images::one_certificate(
        e2e::Tender::Spt,
        Duration::from_secs(30),
        Duration::from_secs(120),
    );
}

/// The letsencrypt image on hvt (primary-git on spt), as a smoke test:
/// boot, transfer, one order. hvt
/// emulates instructions here (about 1 µs each, DESIGN.md §3): the bounds
/// are wide and the timings printed are not those of real hardware.
#[test]
fn hvt_images_boot_transfer_and_issue_one_certificate() {
    if !Path::new("/dev/kvm").exists() {
        eprintln!("skipped: no /dev/kvm for solo5-hvt");
        return;
    }
    images::one_certificate(
        e2e::Tender::Hvt,
        Duration::from_secs(600),
        Duration::from_secs(1200),
    );
}

/// The ACME server by name: `--acme-server=https://acme.pebble.test:14000/dir`
/// and `--resolver` at a BIND `named` the test starts, authoritative for
/// pebble.test. In a namespace of the test's own, so that named can have
/// port 53 of an address (10.53.0.1) to itself; the host-process builds
/// of primary-git and letsencrypt run there too.
#[test]
fn the_acme_server_is_found_through_the_resolver() {
    if peers_missing() {
        return;
    }
    let named = e2e::dns::require_program("named", "bind9");
    let host = "10.53.0.1";
    let net = e2e::net::TestNet::up(0);
    let dir = TempDir::new("letsencrypt-named");
    let zone_file = dir.path().join("pebble.test.zone");
    std::fs::write(
        &zone_file,
        format!(
            "$TTL 300\n@ SOA ns.pebble.test. hostmaster.pebble.test. 1 3600 600 86400 300\n\
             @ NS ns\nns A {host}\nacme A {host}\n"
        ),
    )
    .unwrap();
    let d = dir.path().display();
    std::fs::write(
        dir.path().join("named.conf"),
        format!(
            "options {{ directory \"{d}\"; pid-file \"{d}/named.pid\"; listen-on port 53 {{ {host}; }};\n\
             listen-on-v6 {{ none; }}; recursion no; session-keyfile \"{d}/session.key\"; }};\n\
             controls {{ }};\nzone \"pebble.test\" {{ type primary; file \"{}\"; }};\n",
            zone_file.display()
        ),
    )
    .unwrap();
    let mut command = net.command(named);
    command
        .args(["-g", "-u", "root", "-c"])
        .arg(dir.path().join("named.conf"));
    let mut named = Guest::spawn(command);
    named.wait_for("running", Duration::from_secs(20));

    let zones = TempDir::with_zones_example("letsencrypt-zones");
    let keys = zones.path().join("_keys");
    let mut keys_text = std::fs::read_to_string(&keys).expect("_keys");
    keys_text.push_str(&format!("{LE_KEY_NAME}. DNSKEY 0 3 163 {LE_SECRET}\n"));
    std::fs::write(&keys, keys_text).expect("write _keys");
    let mut command = net.command(e2e::host_binary("primary-git"));
    command
        .arg(format!("--zones-dir={}", zones.path().display()))
        .arg(format!("--listen={host}:5353"));
    let mut primary = Guest::spawn(command);
    primary.wait_for("serving 2 zones", Duration::from_secs(20));

    let mut config = PebbleConfig::new(
        host.parse().unwrap(),
        SocketAddr::new(host.parse().unwrap(), 5353),
    );
    config.dns_name = Some("acme.pebble.test".into());
    let pebble = Pebble::start(Some(&net), &config);
    let args = [
        format!("--listen={host}:5354"),
        format!("--dns-key={LE_KEY_NAME}:SHA256:{LE_SECRET}"),
        format!("--dns-server={host}"),
        "--port=5353".into(),
        "--account-key-seed=the-test-account".into(),
        "--acme-server=https://acme.pebble.test:14000/dir".into(),
        format!("--resolver={host}"),
        format!(
            "--tls-authenticator=trust-anchor:{}",
            base64(&pebble.https_ca_der)
        ),
        "--log-level=debug".into(),
    ];
    let mut command = net.command(e2e::host_binary("letsencrypt"));
    command.args(&args);
    let mut letsencrypt = Guest::spawn(command);
    letsencrypt.wait_for("loaded serial", Duration::from_secs(20));

    let out = TempDir::new("letsencrypt-resolver-out");
    let output = net
        .command(e2e::host_binary("solodns"))
        .args([
            "certify",
            "www.example.com",
            "--dns-server",
            &format!("{host}:5353"),
        ])
        .args([
            "--key",
            &format!(
                "admin._update.example.com:SHA256:{}",
                e2e::example_key_secret("admin._update.example.com.")
            ),
        ])
        .arg("--out")
        .arg(out.path())
        .args(["--timeout", CERTIFY_TIMEOUT])
        .stdin(Stdio::null())
        .output()
        .expect("run solodns");
    assert!(
        output.status.success(),
        "certify: {}{}\nletsencrypt:\n{}",
        text(&output.stdout),
        text(&output.stderr),
        letsencrypt.output()
    );
    let line = letsencrypt.wait_for("acme.pebble.test is at", Duration::from_secs(5));
    assert!(
        line.contains(&format!("is at {host} (resolver {host}:53)")),
        "{line}"
    );
    let pem = out.path().join("www.example.com.pem");
    let root = pebble.issuing_root(format!("{host}:15000").parse().unwrap());
    let verify = openssl_ok(&[
        "verify",
        "-CAfile",
        path(&root),
        "-untrusted",
        path(&pem),
        path(&pem),
    ]);
    assert!(verify.contains(": OK"), "{verify}");
}
