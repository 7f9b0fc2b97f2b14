//! The client against Debian's ACME server `pebble` (Go's TLS stack) on
//! loopback, with a certificate for `acme.test` and 127.0.0.1 the test
//! makes: the directory over TLS 1.3 at the IP address and at the DNS
//! name, keep-alive reuse of one connection, and a whole ACME order by
//! libs/clients/acme's client over this one, dns-01 validated by pebble through
//! a small DNS responder of the test.

mod common;

use std::collections::HashMap;
use std::net::UdpSocket;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant as StdInstant};

use acme::{AccountKey, Client, ClientConfig as AcmeConfig, Instant, KeyType as AcmeKey, Poll};
use common::*;
use https::{BlockingClient, Method, Request};

/// Longest an order may take: pebble with `PEBBLE_VA_NOSLEEP` validates
/// in milliseconds.
const ORDER_DEADLINE: Duration = Duration::from_secs(120);

/// pebble on loopback, stopped on drop.
struct Pebble {
    _server: Server,
    port: u16,
    dir: TempDir,
}

impl Pebble {
    fn start(name: &str, dns: &str) -> Pebble {
        let dir = TempDir::new(name);
        make_ca(&dir.0, "pebble-tls");
        make_leaf(
            &dir.0,
            "pebble-tls",
            "listener",
            "DNS:acme.test,IP:127.0.0.1",
            KeyType::P256,
        );
        let (port, management) = (free_tcp_port(), free_tcp_port());
        let config = format!(
            r#"{{"pebble": {{"listenAddress": "127.0.0.1:{port}",
                "managementListenAddress": "127.0.0.1:{management}",
                "certificate": "{cert}", "privateKey": "{key}",
                "httpPort": {http}, "tlsPort": {tls},
                "ocspResponderURL": "", "externalAccountBindingRequired": false}}}}"#,
            cert = dir.path("listener.pem").display(),
            key = dir.path("listener.key").display(),
            http = free_tcp_port(),
            tls = free_tcp_port(),
        );
        std::fs::write(dir.path("pebble.json"), config).unwrap();
        let log_path = dir.path("pebble.log");
        let log = std::fs::File::create(&log_path).unwrap();
        let mut child = Command::new("pebble")
            .arg("-config")
            .arg(dir.path("pebble.json"))
            .args(["-dnsserver", dns])
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_AUTHZREUSE", "0")
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .stdin(Stdio::null())
            .spawn()
            .expect("pebble runs");
        wait_for_listener(port, &mut child, &log_path);
        Pebble {
            _server: Server { child, port },
            port,
            dir,
        }
    }

    fn client(&self) -> BlockingClient {
        loopback_client(trust_anchor(&self.dir.0, "pebble-tls"))
    }
}

fn check_directory(response: &https::Response) {
    assert_eq!(response.status, 200);
    let body = String::from_utf8_lossy(&response.body);
    for field in ["newNonce", "newAccount", "newOrder"] {
        assert!(body.contains(field), "{body}");
    }
}

#[test]
fn directory_over_tls13_at_ip_and_name_on_one_connection() {
    if !have("pebble") || !have("openssl") {
        return;
    }
    let pebble = Pebble::start("directory", "127.0.0.1:1");
    let mut client = pebble.client();
    for _ in 0..3 {
        let response = client
            .send(Request::get(&format!(
                "https://127.0.0.1:{}/dir",
                pebble.port
            )))
            .unwrap();
        check_directory(&response);
    }
    let mut head = Request::get(&format!("https://127.0.0.1:{}/nonce-plz", pebble.port));
    head.method = Method::Head;
    let nonce = client.send(head).unwrap();
    assert!(nonce.header("replay-nonce").is_some_and(|n| !n.is_empty()));
    assert!(nonce.body.is_empty());
    assert_eq!(
        client.connections_opened(),
        1,
        "keep-alive reused the connection"
    );

    // Another host name (same address): a new connection, SNI acme.test.
    let response = client
        .send(Request::get(&format!(
            "https://acme.test:{}/dir",
            pebble.port
        )))
        .unwrap();
    check_directory(&response);
    assert_eq!(client.connections_opened(), 2);

    // pebble's certificate is not for other.test.
    let error = client
        .send(Request::get(&format!(
            "https://other.test:{}/dir",
            pebble.port
        )))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "certificate of other.test is not for other.test: its names are DNS:acme.test, IP:127.0.0.1"
    );
}

/// A DNS responder on loopback that answers TXT queries from a table
/// (name → values) and everything else with an empty NOERROR.
struct TxtServer {
    address: String,
    records: Arc<Mutex<HashMap<String, Vec<String>>>>,
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
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (records, stop) = (records.clone(), stop.clone());
            thread::spawn(move || {
                let mut buf = [0u8; 1500];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((len, peer)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    if let Some(answer) = answer(&buf[..len], &records.lock().unwrap()) {
                        let _ = socket.send_to(&answer, peer);
                    }
                }
            })
        };
        TxtServer {
            address,
            records,
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
    let values = match qtype {
        16 => records.get(&labels.join(".")).cloned().unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut response = query[..question_end].to_vec();
    response[2] = 0x84 | (query[2] & 0x01);
    response[3] = 0;
    response[6..8].copy_from_slice(&(values.len() as u16).to_be_bytes());
    response[8..12].fill(0);
    for value in values {
        response.extend([0xc0, 12, 0, 16, 0, 1, 0, 0, 0, 0]);
        response.extend(((value.len() + 1) as u16).to_be_bytes());
        response.push(value.len() as u8);
        response.extend(value.as_bytes());
    }
    Some(response)
}

/// A P-256 key and CSR (DER) for `name`, made by openssl.
fn make_csr(dir: &std::path::Path, name: &str) -> Vec<u8> {
    run(Command::new("openssl").current_dir(dir).args([
        "req",
        "-new",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        "order.key",
        "-outform",
        "DER",
        "-out",
        "order.csr",
        "-subj",
        &format!("/CN={name}"),
        "-addext",
        &format!("subjectAltName=DNS:{name}"),
    ]));
    std::fs::read(dir.join("order.csr")).unwrap()
}

/// libs/clients/acme's client over this one: account, order, dns-01 (pebble asks
/// our TXT server), finalisation and the certificate chain.
#[test]
fn acme_order_over_this_client() {
    if !have("pebble") || !have("openssl") {
        return;
    }
    let dns = TxtServer::start();
    let pebble = Pebble::start("order", &dns.address);
    let mut https = pebble.client();
    let key = AccountKey::from_seed(b"https crate pebble test", AcmeKey::EcdsaP256).unwrap();
    let mut config = AcmeConfig::new(&format!("https://acme.test:{}/dir", pebble.port), key)
        .with_email("hostmaster@example.org");
    config.poll_interval = Duration::from_millis(200);
    let mut client = Client::new(config);
    let csr = make_csr(&pebble.dir.0, "www.example.org");
    client.start_order(&["www.example.org"], csr).unwrap();

    let origin = StdInstant::now();
    let now = || Instant::from_millis(origin.elapsed().as_millis() as u64);
    let mut requests = 0;
    let chain = loop {
        assert!(origin.elapsed() < ORDER_DEADLINE, "the order took too long");
        match client.poll(now()) {
            Poll::Send(request) => {
                requests += 1;
                let (method, url) = (request.method, request.url.clone());
                let response = https
                    .send(request.into())
                    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
                client
                    .handle_response(&response.into(), now())
                    .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
            }
            Poll::WaitUntil(at) => {
                let wait = at.millis().saturating_sub(now().millis());
                thread::sleep(Duration::from_millis(wait.min(10_000)));
            }
            Poll::Publish(records) => {
                let mut table = dns.records.lock().unwrap();
                for record in records {
                    table.entry(record.name).or_default().push(record.value);
                }
                drop(table);
                client.challenges_published(now()).unwrap();
            }
            Poll::Certificate(certificate) => break certificate.chain,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(chain.len() >= 2, "leaf and issuer");
    // The leaf is for the ordered name (openssl reads it).
    std::fs::write(pebble.dir.path("leaf.der"), &chain[0]).unwrap();
    let text = run(Command::new("openssl").current_dir(&pebble.dir.0).args([
        "x509",
        "-inform",
        "DER",
        "-in",
        "leaf.der",
        "-noout",
        "-ext",
        "subjectAltName",
    ]));
    assert!(String::from_utf8_lossy(&text).contains("DNS:www.example.org"));
    eprintln!(
        "pebble order: {requests} requests on {} TLS connection(s) in {:?}",
        https.connections_opened(),
        origin.elapsed()
    );
    assert!(
        https.connections_opened() < requests / 2,
        "keep-alive carried most requests"
    );
}

/// The netstack transport, as a unikernel service drives it, over the
/// host-process stack (OS sockets, libs/platform/netstack `OsStack`): three GETs
/// of the directory at the DNS name (resolved by the service) on one
/// kept-alive connection.
#[test]
fn directory_over_the_netstack_transport() {
    use https::{HttpsClient, NetstackTransport, Response};
    use netstack::{OsStack, Service, Sockets};

    if !have("pebble") || !have("openssl") {
        return;
    }
    let pebble = Pebble::start("netstack", "127.0.0.1:1");
    struct Fetch {
        client: HttpsClient,
        transport: NetstackTransport,
        url: String,
        responses: Vec<Response>,
    }
    impl Service for Fetch {
        fn poll(&mut self, net: &mut dyn Sockets) -> netstack::Poll {
            match self.client.response() {
                Some(Ok(response)) => self.responses.push(response),
                Some(Err(error)) => panic!("{error}"),
                None => {}
            }
            if self.client.is_idle() {
                if self.responses.len() == 3 {
                    return netstack::Poll::Exit(0);
                }
                let now = Duration::from_nanos(net.now().0);
                self.client
                    .start(Request::get(&self.url), now, net.unix_time())
                    .unwrap();
            }
            let mut resolve = |_: &https::Host| Some(std::net::IpAddr::from([127, 0, 0, 1]));
            let deadline = self.transport.pump(net, &mut self.client, &mut resolve);
            netstack::Poll::Until(deadline)
        }
    }
    let mut config = https::ClientConfig::new(trust_anchor(&pebble.dir.0, "pebble-tls"));
    config.request_timeout = Duration::from_secs(20);
    let mut service = Fetch {
        client: HttpsClient::new(config),
        transport: NetstackTransport::new(Duration::from_secs(60)),
        url: format!("https://acme.test:{}/dir", pebble.port),
        responses: Vec::new(),
    };
    let mut stack = OsStack::new(None).unwrap();
    assert_eq!(stack.run(&mut service).unwrap(), 0);
    for response in &service.responses {
        check_directory(response);
    }
    assert_eq!(service.transport.connections_opened(), 1);
}
