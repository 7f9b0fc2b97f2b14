//! `solodns certify` against primary-git's host-process build
//! (`--zones-dir` mode) on loopback, with BIND's `dig` and `nsupdate` and
//! an openssl test CA (issue 14).
//!
//! The letsencrypt service of issue 14, which watches the zone for CSRs
//! and publishes certificates, is not part of this test: a thread stands in
//! for it ([`StandInLetsencryptService`]). It does what the service's
//! contract says (OCaml-DNS conventions, DESIGN.md §7) with real tools of
//! other people: it reads the CSR at `_letsencrypt._tcp.HOST` with `dig`,
//! has it signed by an intermediate of a test CA with `openssl x509 -req`,
//! and publishes the certificate (`TLSA 3 0 0`) and the chain (`TLSA 2 0
//! 0`, the intermediate and the root) with `nsupdate -y`.

use e2e::net::Guest;
use e2e::TempDir;
use std::net::UdpSocket;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const HOST: &str = "www.example.com";
const OWNER: &str = "_letsencrypt._tcp.www.example.com";

/// Whether the Debian programs the test talks to are there; prints why
/// the test is skipped when not.
fn peers_missing() -> bool {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for (program, package) in [
        ("openssl", "openssl"),
        ("nsupdate", "bind9-dnsutils"),
        ("dig", "bind9-dnsutils"),
    ] {
        if !std::env::split_paths(&path).any(|dir| dir.join(program).is_file()) {
            eprintln!("skipped: `{program}` (Debian package {package}) is not installed");
            return true;
        }
    }
    false
}

/// primary-git serving a copy of zones-example on a free loopback port.
struct Server {
    _primary: Guest,
    _zones: TempDir,
    port: u16,
}

fn start() -> Server {
    let zones = TempDir::with_zones_example("certify-zones");
    let port = UdpSocket::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let mut command = Command::new(e2e::host_binary("primary-git"));
    command
        .arg(format!("--zones-dir={}", zones.path().display()))
        .arg(format!("--listen=127.0.0.1:{port}"));
    let mut primary = Guest::spawn(command);
    primary.wait_for("serving 2 zones", Duration::from_secs(20));
    Server {
        _primary: primary,
        _zones: zones,
        port,
    }
}

/// The update key of example.com, in solodns's form.
fn admin_key() -> String {
    format!(
        "admin._update.example.com:SHA256:{}",
        e2e::example_key_secret("admin._update.example.com.")
    )
}

/// The same key in nsupdate's `-y` form.
fn admin_key_nsupdate() -> String {
    format!(
        "hmac-sha256:admin._update.example.com:{}",
        e2e::example_key_secret("admin._update.example.com.")
    )
}

/// A TLSA record as dig shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Tlsa {
    usage: u8,
    selector: u8,
    matching: u8,
    data: Vec<u8>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02X}")).collect()
}

fn unhex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex from dig"))
        .collect()
}

/// The TLSA records at OWNER, asked with dig over TCP.
fn dig_tlsa(port: u16) -> Vec<Tlsa> {
    let output = Command::new("dig")
        .args([
            "+short",
            "+norec",
            "+tcp",
            "+time=2",
            "+tries=2",
            "-p",
            &port.to_string(),
            "@127.0.0.1",
            OWNER,
            "TLSA",
        ])
        .output()
        .expect("run dig");
    assert!(output.status.success(), "dig: {output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let mut words = line.split_whitespace();
            let mut number = || {
                words
                    .next()
                    .expect("a TLSA field")
                    .parse::<u8>()
                    .expect("a number")
            };
            let (usage, selector, matching) = (number(), number(), number());
            Tlsa {
                usage,
                selector,
                matching,
                data: unhex(&words.collect::<String>()),
            }
        })
        .collect()
}

/// Runs nsupdate with `script` against the server.
fn nsupdate(port: u16, script: &str) {
    let server = format!("127.0.0.1 {port}");
    let key = admin_key_nsupdate();
    let script = format!("zone example.com\n{script}");
    let (ok, stderr) =
        e2e::peers::nsupdate(Command::new("nsupdate"), &server, Some(&key), 5, &script);
    assert!(ok, "nsupdate: {stderr}");
}

fn openssl(args: &[&str]) -> String {
    let output = Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        output.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// A test CA made by openssl: a root and an intermediate that signs.
struct TestCa {
    dir: TempDir,
}

impl TestCa {
    fn new() -> TestCa {
        let ca = TestCa {
            dir: TempDir::new("certify-ca"),
        };
        let p = |n: &str| ca.path(n);
        let ec = [
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
        ];
        openssl(
            &[
                &["req", "-x509"][..],
                &ec,
                &[
                    "-keyout",
                    &p("root.key"),
                    "-out",
                    &p("root.pem"),
                    "-days",
                    "2",
                ],
                &["-subj", "/CN=solodns test root"],
            ]
            .concat(),
        );
        std::fs::write(
            p("ca.ext"),
            "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\n",
        )
        .expect("write ca.ext");
        openssl(
            &[
                &["req", "-new"][..],
                &ec,
                &["-keyout", &p("int.key"), "-out", &p("int.req")],
                &["-subj", "/CN=solodns test intermediate"],
            ]
            .concat(),
        );
        openssl(&[
            "x509",
            "-req",
            "-in",
            &p("int.req"),
            "-CA",
            &p("root.pem"),
            "-CAkey",
            &p("root.key"),
            "-days",
            "2",
            "-extfile",
            &p("ca.ext"),
            "-out",
            &p("int.pem"),
        ]);
        ca
    }

    fn path(&self, name: &str) -> String {
        self.dir
            .path()
            .join(name)
            .to_str()
            .expect("UTF-8")
            .to_owned()
    }

    /// A certificate file as DER.
    fn der(&self, name: &str) -> Vec<u8> {
        let out = self.path(&format!("{name}.der"));
        openssl(&[
            "x509",
            "-in",
            &self.path(&format!("{name}.pem")),
            "-outform",
            "DER",
            "-out",
            &out,
        ]);
        std::fs::read(out).expect("read DER")
    }

    /// Signs a DER CSR with the intermediate (the CSR's SAN copied); the
    /// DER certificate.
    fn sign(&self, csr_der: &[u8], name: &str) -> Vec<u8> {
        let der_req = self.path(&format!("{name}.req.der"));
        std::fs::write(&der_req, csr_der).expect("write CSR");
        let req = self.path(&format!("{name}.req"));
        openssl(&["req", "-inform", "DER", "-in", &der_req, "-out", &req]);
        let out = self.path(&format!("{name}.der"));
        openssl(&[
            "x509",
            "-req",
            "-in",
            &req,
            "-CA",
            &self.path("int.pem"),
            "-CAkey",
            &self.path("int.key"),
            "-copy_extensions",
            "copy",
            "-days",
            "1",
            "-outform",
            "DER",
            "-out",
            &out,
        ]);
        std::fs::read(out).expect("read the certificate")
    }
}

/// Stands in for issue 14's letsencrypt service, which is not part of
/// this test: waits for a CSR at OWNER other than `old_csr`, signs it with
/// the test CA, publishes the certificate and the chain. Returns the
/// records it saw when the CSR came.
struct StandInLetsencryptService;

impl StandInLetsencryptService {
    fn start(
        port: u16,
        ca: std::sync::Arc<TestCa>,
        old_csr: Option<Vec<u8>>,
    ) -> std::thread::JoinHandle<Vec<Tlsa>> {
        std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(60);
            let (csr, seen) = loop {
                let records = dig_tlsa(port);
                let csrs: Vec<&Tlsa> = records
                    .iter()
                    .filter(|t| (t.usage, t.selector, t.matching) == (3, 255, 0))
                    .collect();
                if let [csr] = csrs[..] {
                    if Some(&csr.data) != old_csr.as_ref() {
                        break (csr.data.clone(), records.clone());
                    }
                }
                assert!(
                    Instant::now() < deadline,
                    "no new CSR at {OWNER} within 60 s: {records:?}"
                );
                std::thread::sleep(Duration::from_millis(200));
            };
            let cert = ca.sign(&csr, "issued");
            nsupdate(
                port,
                &format!(
                    "update add {OWNER} 3600 TLSA 3 0 0 {}\nupdate add {OWNER} 3600 TLSA 2 0 0 {}\nupdate add {OWNER} 3600 TLSA 2 0 0 {}",
                    hex(&cert),
                    // The root first: certify orders the chain itself.
                    hex(&ca.der("root")),
                    hex(&ca.der("int")),
                ),
            );
            seen
        })
    }
}

/// Runs `solodns certify HOST` against the server with `extra` arguments.
fn certify(port: u16, out: &Path, key: &str, extra: &[&str]) -> Output {
    let output = Command::new(e2e::host_binary("solodns"))
        .args(["certify", HOST, "--dns-server"])
        .arg(format!("127.0.0.1:{port}"))
        .args(["--key", key, "--out"])
        .arg(out)
        .args(extra)
        .env_remove("SOLODNS_KEY")
        .stdin(Stdio::null())
        .output()
        .expect("run solodns");
    eprintln!(
        "solodns certify {extra:?}: {:?}\n{}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn file(dir: &Path, name: &str) -> PathBuf {
    dir.join(name)
}

/// The public key of a certificate (PEM), with openssl.
fn certificate_public_key(pem: &Path) -> String {
    openssl(&[
        "x509",
        "-in",
        pem.to_str().expect("UTF-8"),
        "-noout",
        "-pubkey",
    ])
}

/// The whole path: a stale certificate (another key) and an old CSR are
/// at the name; certify replaces the CSR, keeps the stale certificate,
/// passes it over, and writes the certificate the stand-in service issues
/// for its own key, with its chain, which openssl verifies to the test
/// root. A second run reuses the key and takes the certificate from DNS.
#[test]
fn certify_gets_the_certificate_for_its_key() {
    if peers_missing() {
        return;
    }
    let server = start();
    let ca = std::sync::Arc::new(TestCa::new());
    let out = TempDir::new("certify-out");

    // A stale certificate for another key and that key's CSR, as left by
    // an earlier key of this host.
    let old = TempDir::new("certify-old");
    let old_key = old.path().join("old.key");
    let old_req = old.path().join("old.req");
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-keyout",
        old_key.to_str().unwrap(),
        "-out",
        old_req.to_str().unwrap(),
        "-subj",
        "/CN=www.example.com",
        "-addext",
        "subjectAltName=DNS:www.example.com,DNS:example.com",
        "-outform",
        "DER",
    ]);
    let old_csr = std::fs::read(&old_req).expect("old CSR");
    let stale = ca.sign(&old_csr, "stale");
    nsupdate(
        server.port,
        &format!(
            "update add {OWNER} 3600 TLSA 3 255 0 {}\nupdate add {OWNER} 3600 TLSA 3 0 0 {}",
            hex(&old_csr),
            hex(&stale)
        ),
    );

    let service = StandInLetsencryptService::start(server.port, ca.clone(), Some(old_csr.clone()));
    let output = certify(
        server.port,
        out.path(),
        &admin_key(),
        &["--san", "example.com", "--timeout", "60"],
    );
    let seen = service.join().expect("the stand-in service");
    let (stdout, stderr) = (text(&output.stdout), text(&output.stderr));
    assert!(output.status.success(), "{stdout}{stderr}");

    // certify replaced the CSR and kept the stale certificate.
    let csrs: Vec<&Tlsa> = seen.iter().filter(|t| t.selector == 255).collect();
    assert_eq!(csrs.len(), 1, "{seen:?}");
    assert!(
        seen.iter()
            .any(|t| t.usage == 3 && t.selector == 0 && t.data == stale),
        "the stale certificate was deleted: {seen:?}"
    );
    assert!(stderr.contains("replacing the CSR there"), "{stderr}");
    assert!(stderr.contains("is for another key"), "{stderr}");

    let key = file(out.path(), "www.example.com.key");
    let pem = file(out.path(), "www.example.com.pem");
    let req = file(out.path(), "www.example.com.req");
    let mode = std::fs::metadata(&key)
        .expect("key file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "mode of the key file");
    // The published CSR is the one in HOST.req.
    let published = csrs[0].data.clone();
    let req_file_der = {
        let d = out.path().join("req.der");
        openssl(&[
            "req",
            "-in",
            req.to_str().unwrap(),
            "-outform",
            "DER",
            "-out",
            d.to_str().unwrap(),
        ]);
        std::fs::read(d).expect("DER CSR")
    };
    assert_eq!(published, req_file_der);

    // openssl verifies the certificate to the root with the chain of the
    // file, and not without it.
    let pem_s = pem.to_str().unwrap();
    let verified = openssl(&[
        "verify",
        "-CAfile",
        &ca.path("root.pem"),
        "-untrusted",
        pem_s,
        pem_s,
    ]);
    assert!(verified.contains(": OK"), "{verified}");
    let alone = Command::new("openssl")
        .args(["verify", "-CAfile", &ca.path("root.pem"), pem_s])
        .output()
        .expect("openssl");
    assert!(!alone.status.success(), "verified without its chain");
    // The file: the certificate, then the intermediate, then the root.
    let subjects: Vec<String> = text(
        &Command::new("openssl")
            .args(["crl2pkcs7", "-nocrl", "-certfile", pem_s])
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|c| {
                Command::new("openssl")
                    .args(["pkcs7", "-print_certs", "-noout"])
                    .stdin(c.stdout.expect("piped"))
                    .output()
            })
            .expect("openssl pkcs7")
            .stdout,
    )
    .lines()
    .filter_map(|l| l.strip_prefix("subject=").map(str::to_owned))
    .collect();
    assert_eq!(
        subjects,
        [
            "CN = www.example.com",
            "CN = solodns test intermediate",
            "CN = solodns test root"
        ]
    );
    // The key matches the certificate (and not the stale one's).
    let key_public = openssl(&["pkey", "-in", key.to_str().unwrap(), "-pubout"]);
    assert_eq!(certificate_public_key(&pem), key_public);
    let names = openssl(&["x509", "-in", pem_s, "-noout", "-ext", "subjectAltName"]);
    assert!(
        names.contains("DNS:www.example.com, DNS:example.com"),
        "{names}"
    );
    // What it prints.
    for want in [
        "subject:     CN=www.example.com",
        "issuer:      CN=solodns test intermediate",
        "not before:  ",
        "not after:   ",
        "expires in ",
        pem_s,
        key.to_str().unwrap(),
    ] {
        assert!(stdout.contains(want), "{want:?} not in:\n{stdout}");
    }

    // Again: the key is reused, and the certificate in DNS is taken as it
    // is (no UPDATE: the CSR record stays the one published before).
    std::fs::remove_file(&pem).expect("remove the certificate");
    let key_before = std::fs::read(&key).expect("the key");
    let again = certify(
        server.port,
        out.path(),
        &admin_key(),
        &["--san", "example.com", "--timeout", "10"],
    );
    let stderr = text(&again.stderr);
    assert!(again.status.success(), "{stderr}");
    assert!(
        stderr.contains("reusing the existing private key"),
        "{stderr}"
    );
    assert!(stderr.contains("already at"), "{stderr}");
    assert!(!stderr.contains("published the CSR"), "{stderr}");
    assert_eq!(certificate_public_key(&pem), key_public);
    assert_eq!(
        std::fs::read(&key).expect("the key"),
        key_before,
        "the key was overwritten"
    );
}

/// A CSR of the user's own (RSA, from openssl): no key is made; the
/// certificate is the one for the CSR's key.
#[test]
fn certify_publishes_a_csr_given_to_it() {
    if peers_missing() {
        return;
    }
    let server = start();
    let ca = std::sync::Arc::new(TestCa::new());
    let out = TempDir::new("certify-csr-out");
    let own = TempDir::new("certify-own");
    let key = own.path().join("own.key");
    let req = own.path().join("own.req");
    openssl(&[
        "req",
        "-new",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        key.to_str().unwrap(),
        "-out",
        req.to_str().unwrap(),
        "-subj",
        "/CN=www.example.com",
        "-addext",
        "subjectAltName=DNS:www.example.com,DNS:*.www.example.com",
    ]);
    let service = StandInLetsencryptService::start(server.port, ca.clone(), None);
    let output = certify(
        server.port,
        out.path(),
        &admin_key(),
        &[
            "--csr",
            req.to_str().unwrap(),
            "--san",
            "*.www.example.com",
            "--timeout",
            "60",
        ],
    );
    service.join().expect("the stand-in service");
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        !file(out.path(), "www.example.com.key").exists(),
        "a key was made"
    );
    let pem = file(out.path(), "www.example.com.pem");
    assert_eq!(
        certificate_public_key(&pem),
        openssl(&["pkey", "-in", key.to_str().unwrap(), "-pubout"])
    );
    let pem_s = pem.to_str().unwrap();
    let verified = openssl(&[
        "verify",
        "-CAfile",
        &ca.path("root.pem"),
        "-untrusted",
        pem_s,
        pem_s,
    ]);
    assert!(verified.contains(": OK"), "{verified}");
}

/// Without a service to issue the certificate, certify gives up after
/// --timeout with exit code 1 and says so; the CSR stays published.
#[test]
fn certify_times_out() {
    if peers_missing() {
        return;
    }
    let server = start();
    let out = TempDir::new("certify-timeout");
    let started = Instant::now();
    let output = certify(server.port, out.path(), &admin_key(), &["--timeout", "4"]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(output.stdout.is_empty(), "{}", text(&output.stdout));
    assert!(
        stderr.contains("waiting for the certificate of www.example.com ("),
        "{stderr}"
    );
    assert!(stderr.contains("s of 4)"), "{stderr}");
    assert!(
        stderr.contains("no certificate for the key of www.example.com appeared at _letsencrypt._tcp.www.example.com within 4 s"),
        "{stderr}"
    );
    assert!(started.elapsed() >= Duration::from_secs(4));
    assert!(!file(out.path(), "www.example.com.pem").exists());
    let csrs: Vec<Tlsa> = dig_tlsa(server.port)
        .into_iter()
        .filter(|t| t.selector == 255)
        .collect();
    assert_eq!(csrs.len(), 1, "the CSR is published");
}

/// A key the server does not take: a wrong secret (BADSIG) and the key of
/// another zone (REFUSED). The key file is written before anything is
/// sent; nothing is published.
#[test]
fn a_refused_update_names_the_rcode() {
    if peers_missing() {
        return;
    }
    let server = start();
    let out = TempDir::new("certify-refused");
    let wrong_secret =
        "admin._update.example.com:SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    let other_zone = format!(
        "admin._update.example.org:SHA256:{}",
        e2e::example_key_secret("admin._update.example.org.")
    );
    for (key, rcode) in [(wrong_secret.to_owned(), "BADSIG"), (other_zone, "REFUSED")] {
        let output = certify(server.port, out.path(), &key, &["--timeout", "5"]);
        let stderr = text(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains(rcode), "{rcode} not in: {stderr}");
        assert!(stderr.contains("the UPDATE of example.com"), "{stderr}");
        assert!(!stderr.contains("waiting for"), "{stderr}");
    }
    let key = file(out.path(), "www.example.com.key");
    let mode = std::fs::metadata(&key)
        .expect("the key file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
    assert!(dig_tlsa(server.port).is_empty(), "nothing published");
}
