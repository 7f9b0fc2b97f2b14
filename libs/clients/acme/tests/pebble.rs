//! The client against the real ACME server from Debian, `pebble`, on
//! loopback: every dns-01 challenge really validated by pebble's VA, which
//! asks a small DNS responder run by this test for the TXT records the
//! client computed. pebble rejects 5 % of nonces (its default, kept), so
//! the badNonce retry runs too.

use std::collections::HashMap;
use std::io::Read;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant as StdInstant};

use acme::{
    pem_chain_to_der, AccountKey, Client, ClientConfig, Instant, KeyType, Method, Poll, Request,
    Response,
};
use x509_cert::der::{Decode, Encode};

/// Longest an order may take here: pebble with `PEBBLE_VA_NOSLEEP`
/// validates in milliseconds.
const ORDER_DEADLINE: Duration = Duration::from_secs(120);
/// Longest pebble may take to start listening.
const START_DEADLINE: Duration = Duration::from_secs(20);

fn run(command: &mut Command) {
    let output = command.output().expect("run a command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A scratch directory, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("acme-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A test CA and a certificate for 127.0.0.1 that pebble's HTTPS
/// listener serves (pebble ships none).
fn make_tls_certificate(dir: &Path) {
    let ec = [
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
    ];
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["req", "-x509"])
        .args(ec)
        .args([
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=acme test CA",
        ]));
    run(Command::new("openssl")
        .current_dir(dir)
        .arg("req")
        .args(ec)
        .args([
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
            "-subj",
            "/CN=127.0.0.1",
        ]));
    std::fs::write(dir.join("server.ext"), "subjectAltName=IP:127.0.0.1\n").unwrap();
    run(Command::new("openssl").current_dir(dir).args([
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]));
}

/// A DNS responder on loopback that answers TXT queries from a table
/// (name → values) and everything else with an empty NOERROR.
struct TxtServer {
    address: String,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
    queries: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TxtServer {
    fn start() -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let address = socket.local_addr().unwrap().to_string();
        let records = Arc::new(Mutex::new(HashMap::<String, Vec<String>>::new()));
        let queries = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (records, queries, stop) = (records.clone(), queries.clone(), stop.clone());
            thread::spawn(move || {
                let mut buf = [0u8; 1500];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((len, peer)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    queries.fetch_add(1, Ordering::Relaxed);
                    if let Some(answer) = answer(&buf[..len], &records.lock().unwrap()) {
                        let _ = socket.send_to(&answer, peer);
                    }
                }
            })
        };
        TxtServer {
            address,
            records,
            queries,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for TxtServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The response to one query (RFC 1035 §4.1), or `None` if it is not one.
fn answer(query: &[u8], records: &HashMap<String, Vec<String>>) -> Option<Vec<u8>> {
    if query.len() < 12 || query[2] & 0x80 != 0 || u16::from_be_bytes([query[4], query[5]]) != 1 {
        return None;
    }
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = *query.get(at)? as usize;
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(query.get(at..at + len)?).to_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*query.get(at)?, *query.get(at + 1)?]);
    let question_end = at + 4;
    query.get(..question_end)?;
    let name = labels.join(".");
    let values = match qtype {
        16 => records.get(&name).cloned().unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut response = query[..question_end].to_vec();
    response[2] = 0x84 | (query[2] & 0x01); // QR, AA, RD copied
    response[3] = 0; // NOERROR
    response[6..8].copy_from_slice(&(values.len() as u16).to_be_bytes());
    response[8..12].fill(0); // no authority, no additional
    for value in values {
        response.extend([0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 0]); // name ptr, TXT, IN, TTL 0
        response.extend(((value.len() + 1) as u16).to_be_bytes());
        response.push(value.len() as u8);
        response.extend(value.as_bytes());
    }
    Some(response)
}

/// pebble on loopback, stopped on drop.
struct Pebble {
    child: Child,
    directory: String,
    management: String,
    _dir: TempDir,
}

impl Pebble {
    fn start(name: &str, dns: &str, extra_env: &[(&str, &str)]) -> Self {
        let dir = TempDir::new(name);
        make_tls_certificate(&dir.0);
        let (acme_port, management_port) = (free_tcp_port(), free_tcp_port());
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": format!("127.0.0.1:{acme_port}"),
                "managementListenAddress": format!("127.0.0.1:{management_port}"),
                "certificate": dir.0.join("server.pem"),
                "privateKey": dir.0.join("server.key"),
                "httpPort": free_tcp_port(),
                "tlsPort": free_tcp_port(),
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false
            }
        });
        std::fs::write(dir.0.join("pebble.json"), config.to_string()).unwrap();
        let log = std::fs::File::create(dir.0.join("pebble.log")).unwrap();
        let child = Command::new("pebble")
            .arg("-config")
            .arg(dir.0.join("pebble.json"))
            .args(["-dnsserver", dns])
            .env("PEBBLE_VA_NOSLEEP", "1")
            // Every order validates afresh (no reuse of valid authorisations).
            .env("PEBBLE_AUTHZREUSE", "0")
            .envs(extra_env.iter().copied())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("pebble is installed (scripts/setup)");
        let pebble = Pebble {
            child,
            directory: format!("https://127.0.0.1:{acme_port}/dir"),
            management: format!("https://127.0.0.1:{management_port}"),
            _dir: dir,
        };
        let started = StdInstant::now();
        while TcpStream::connect(("127.0.0.1", acme_port)).is_err() {
            assert!(
                started.elapsed() < START_DEADLINE,
                "pebble did not start: {}",
                pebble.log()
            );
            thread::sleep(Duration::from_millis(50));
        }
        pebble
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self._dir.0.join("pebble.log")).unwrap_or_default()
    }

    fn ca_pem(&self) -> Vec<u8> {
        std::fs::read(self._dir.0.join("ca.pem")).unwrap()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The std HTTPS side of the sans-IO client: ureq over rustls (ring),
/// trusting only the test's CA.
struct Https {
    agent: ureq::Agent,
    bad_nonces: u32,
    requests: u32,
}

impl Https {
    fn new(ca_pem: &[u8]) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for der in pem_chain_to_der(ca_pem).unwrap() {
            roots
                .add(rustls::pki_types::CertificateDer::from(der))
                .unwrap();
        }
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
        let agent = ureq::AgentBuilder::new()
            .tls_config(Arc::new(tls))
            .timeout(Duration::from_secs(10))
            .build();
        Https {
            agent,
            bad_nonces: 0,
            requests: 0,
        }
    }

    fn call(&mut self, request: &Request) -> Response {
        self.requests += 1;
        let mut call = self.agent.request(request.method.as_str(), &request.url);
        for (name, value) in &request.headers {
            call = call.set(name, value);
        }
        let result = match request.method {
            Method::Post => call.send_bytes(&request.body),
            Method::Get | Method::Head => call.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(e) => panic!("{} {}: {e}", request.method, request.url),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .flat_map(|name| {
                response
                    .all(&name)
                    .into_iter()
                    .map(|v| (name.clone(), v.to_string()))
                    .collect::<Vec<_>>()
            })
            .collect();
        let mut body = Vec::new();
        if request.method != Method::Head {
            response
                .into_reader()
                .take(1 << 20)
                .read_to_end(&mut body)
                .unwrap();
        }
        if String::from_utf8_lossy(&body).contains("urn:ietf:params:acme:error:badNonce") {
            self.bad_nonces += 1;
        }
        Response {
            status,
            headers,
            body,
        }
    }
}

fn now(origin: StdInstant) -> Instant {
    Instant::from_millis(origin.elapsed().as_millis() as u64)
}

/// Drives `client` to its end: the certificate chain of an order, or
/// `None` for a registration.
fn drive(client: &mut Client, https: &mut Https, dns: &TxtServer) -> Option<Vec<Vec<u8>>> {
    let origin = StdInstant::now();
    loop {
        assert!(origin.elapsed() < ORDER_DEADLINE, "the order took too long");
        match client.poll(now(origin)) {
            Poll::Send(request) => {
                let response = https.call(&request);
                if let Err(e) = client.handle_response(&response, now(origin)) {
                    panic!("{} {}: {e}", request.method, request.url);
                }
            }
            Poll::WaitUntil(at) => {
                let wait = at.millis().saturating_sub(now(origin).millis());
                thread::sleep(Duration::from_millis(wait.min(10_000)));
            }
            Poll::Publish(records) => {
                let mut table = dns.records.lock().unwrap();
                for record in records {
                    table.entry(record.name).or_default().push(record.value);
                }
                drop(table);
                client.challenges_published(now(origin)).unwrap();
            }
            Poll::Certificate(certificate) => return Some(certificate.chain),
            Poll::Idle => return None,
            Poll::Failed(e) => panic!("{e}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

/// A P-256 key and CSR (DER) for `names`, the first as CN, all as SANs.
fn make_csr(dir: &Path, names: &[&str]) -> Vec<u8> {
    let san = names
        .iter()
        .map(|n| format!("DNS:{n}"))
        .collect::<Vec<_>>()
        .join(",");
    run(Command::new("openssl").current_dir(dir).args([
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-outform",
        "DER",
        "-out",
        "leaf.csr",
        "-subj",
        &format!("/CN={}", names[0]),
        "-addext",
        &format!("subjectAltName={san}"),
    ]));
    std::fs::read(dir.join("leaf.csr")).unwrap()
}

/// The chain parses, the leaf certifies the CSR's key, its issuer is the
/// next certificate, and `openssl verify` accepts it under pebble's root.
fn check_chain(chain: &[Vec<u8>], csr: &[u8], pebble: &Pebble, https: &mut Https, dir: &Path) {
    assert!(chain.len() >= 2, "leaf and at least one issuer");
    let certificates: Vec<x509_cert::Certificate> = chain
        .iter()
        .map(|der| x509_cert::Certificate::from_der(der).expect("a DER certificate"))
        .collect();
    let request = x509_cert::request::CertReq::from_der(csr).unwrap();
    let leaf = &certificates[0].tbs_certificate;
    assert_eq!(
        leaf.subject_public_key_info.to_der().unwrap(),
        request.info.public_key.to_der().unwrap(),
        "the certificate's key is the CSR's"
    );
    assert_eq!(leaf.issuer, certificates[1].tbs_certificate.subject);

    let root = https.call(&Request {
        method: Method::Get,
        url: format!("{}/roots/0", pebble.management),
        headers: vec![],
        body: vec![],
    });
    assert_eq!(root.status, 200);
    std::fs::write(dir.join("root.pem"), &root.body).unwrap();
    let pem = |der: &[u8]| {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|l| std::str::from_utf8(l).unwrap())
            .collect();
        format!(
            "-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n",
            lines.join("\n")
        )
    };
    std::fs::write(dir.join("leaf.pem"), pem(&chain[0])).unwrap();
    let issuers: String = chain[1..].iter().map(|der| pem(der)).collect();
    std::fs::write(dir.join("issuers.pem"), issuers).unwrap();
    run(Command::new("openssl").current_dir(dir).args([
        "verify",
        "-CAfile",
        "root.pem",
        "-untrusted",
        "issuers.pem",
        "leaf.pem",
    ]));
}

/// The leaf's DNS SANs, sorted.
fn dns_names(leaf: &[u8]) -> Vec<String> {
    use x509_cert::ext::pkix::{name::GeneralName, SubjectAltName};
    let certificate = x509_cert::Certificate::from_der(leaf).unwrap();
    let mut names = Vec::new();
    for extension in certificate.tbs_certificate.extensions.unwrap_or_default() {
        if extension.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME {
            let san = SubjectAltName::from_der(extension.extn_value.as_bytes()).unwrap();
            for name in san.0 {
                if let GeneralName::DnsName(name) = name {
                    names.push(name.to_string());
                }
            }
        }
    }
    names.sort();
    names
}

#[test]
fn dns01_orders_validated_by_pebble() {
    let dns = TxtServer::start();
    let pebble = Pebble::start("dns01", &dns.address, &[]);
    let mut https = Https::new(&pebble.ca_pem());
    let key = AccountKey::from_seed(b"pebble dns-01 test", KeyType::EcdsaP256).unwrap();
    let mut config = ClientConfig::new(&pebble.directory, key).with_email("hostmaster@example.org");
    config.poll_interval = Duration::from_millis(200);
    let mut client = Client::new(config);
    let scratch = TempDir::new("dns01-csr");

    let started = StdInstant::now();
    let csr = make_csr(&scratch.0, &["www.example.org"]);
    client
        .start_order(&["www.example.org"], csr.clone())
        .unwrap();
    let chain = drive(&mut client, &mut https, &dns).expect("a certificate");
    check_chain(&chain, &csr, &pebble, &mut https, &scratch.0);
    assert_eq!(dns_names(&chain[0]), ["www.example.org"]);
    let one_name = started.elapsed();

    let started = StdInstant::now();
    let names = ["example.org", "mail.example.org", "*.example.org"];
    let csr = make_csr(&scratch.0, &names);
    client.start_order(&names, csr.clone()).unwrap();
    let chain = drive(&mut client, &mut https, &dns).expect("a certificate");
    check_chain(&chain, &csr, &pebble, &mut https, &scratch.0);
    assert_eq!(
        dns_names(&chain[0]),
        ["*.example.org", "example.org", "mail.example.org"]
    );
    let three_names = started.elapsed();

    let table = dns.records.lock().unwrap();
    // The wildcard and the bare name share one TXT name, with two values.
    assert_eq!(table["_acme-challenge.example.org"].len(), 2);
    assert_eq!(table.len(), 3);
    drop(table);
    assert!(
        dns.queries.load(Ordering::Relaxed) >= 4,
        "pebble validated through our DNS"
    );
    eprintln!(
        "pebble: one name {one_name:?}, three names {three_names:?}, {} requests, \
         {} badNonce refusals retried, {} DNS queries",
        https.requests,
        https.bad_nonces,
        dns.queries.load(Ordering::Relaxed)
    );
}

#[test]
fn one_seed_is_one_account_across_runs() {
    let dns = TxtServer::start();
    let pebble = Pebble::start("account", &dns.address, &[("PEBBLE_VA_ALWAYS_VALID", "1")]);
    let mut https = Https::new(&pebble.ca_pem());
    let register = |seed: &[u8], https: &mut Https| {
        let key = AccountKey::from_seed(seed, KeyType::EcdsaP256).unwrap();
        let mut client = Client::new(ClientConfig::new(&pebble.directory, key));
        client.register().unwrap();
        assert_eq!(drive(&mut client, https, &dns), None);
        client.account_url().expect("an account").to_string()
    };
    let first = register(b"account seed", &mut https);
    let again = register(b"account seed", &mut https);
    let other = register(b"another seed", &mut https);
    assert_eq!(first, again);
    assert_ne!(first, other);
    assert!(first.starts_with("https://127.0.0.1:"), "{first}");
}

/// The check is real: a TXT value that is not the client's fails pebble's
/// validation, and the client reports pebble's problem document.
#[test]
fn wrong_txt_value_fails_validation_with_pebbles_problem() {
    let dns = TxtServer::start();
    let pebble = Pebble::start("wrong-txt", &dns.address, &[]);
    let mut https = Https::new(&pebble.ca_pem());
    let key = AccountKey::from_seed(b"pebble wrong txt", KeyType::EcdsaP256).unwrap();
    let mut config = ClientConfig::new(&pebble.directory, key);
    config.poll_interval = Duration::from_millis(200);
    let mut client = Client::new(config);
    let scratch = TempDir::new("wrong-txt-csr");
    let csr = make_csr(&scratch.0, &["bad.example.org"]);
    client.start_order(&["bad.example.org"], csr).unwrap();
    let origin = StdInstant::now();
    let error = loop {
        assert!(origin.elapsed() < ORDER_DEADLINE, "the order took too long");
        match client.poll(now(origin)) {
            Poll::Send(request) => {
                let response = https.call(&request);
                if let Err(e) = client.handle_response(&response, now(origin)) {
                    break e;
                }
            }
            Poll::WaitUntil(at) => {
                let wait = at.millis().saturating_sub(now(origin).millis());
                thread::sleep(Duration::from_millis(wait.min(10_000)));
            }
            Poll::Publish(records) => {
                let mut table = dns.records.lock().unwrap();
                for record in records {
                    // One character off.
                    let mut value = record.value.into_bytes();
                    value[0] = if value[0] == b'A' { b'B' } else { b'A' };
                    table.insert(record.name, vec![String::from_utf8(value).unwrap()]);
                }
                drop(table);
                client.challenges_published(now(origin)).unwrap();
            }
            other => panic!("unexpected {other:?}"),
        }
    };
    let acme::Error::AuthorizationFailed {
        identifier,
        status,
        problem,
    } = &error
    else {
        panic!("expected a failed authorisation, got: {error}")
    };
    assert_eq!(
        (identifier.as_str(), status),
        ("bad.example.org", &acme::Status::Invalid)
    );
    let problem = problem.as_ref().expect("pebble says why");
    assert!(problem.is_acme("unauthorized"), "{problem}");
    eprintln!("pebble refused as expected: {error}");
    assert!(client.is_idle());
}

/// RS256: an RSA-2048 account key from a seed is accepted by pebble and
/// orders a certificate. Ignored by default: generating the key takes one
/// to two minutes in an unoptimised build (`cargo nextest run -p acme
/// --run-ignored all` runs it).
#[test]
#[ignore = "RSA-2048 key generation takes minutes in a debug build"]
fn rs256_account_orders_from_pebble() {
    let dns = TxtServer::start();
    let pebble = Pebble::start("rs256", &dns.address, &[]);
    let mut https = Https::new(&pebble.ca_pem());
    let key = AccountKey::from_seed(b"pebble rs256", KeyType::Rsa { bits: 2048 }).unwrap();
    assert_eq!(key.alg(), "RS256");
    let mut config = ClientConfig::new(&pebble.directory, key);
    config.poll_interval = Duration::from_millis(200);
    let mut client = Client::new(config);
    let scratch = TempDir::new("rs256-csr");
    let csr = make_csr(&scratch.0, &["rsa.example.org"]);
    client
        .start_order(&["rsa.example.org"], csr.clone())
        .unwrap();
    let chain = drive(&mut client, &mut https, &dns).expect("a certificate");
    check_chain(&chain, &csr, &pebble, &mut https, &scratch.0);
}
