//! pebble (Debian's ACME test server) on loopback, a UDP DNS responder
//! that serves the simulated primary's zone to pebble's validation, an
//! HTTPS client (ureq over rustls), and a driver that runs a
//! [`Manager`] against them on a clock the test may move forward.

use std::io::Read;
use std::net::{TcpListener, TcpStream, UdpSocket};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant as StdInstant, SystemTime, UNIX_EPOCH};

use acme::{
    pem_chain_to_der, AccountKey, ClientConfig, Instant, KeyType, Method, Request, Response,
};
use letsencrypt::{Action, Manager, ManagerConfig, Now};

use super::{name, run, Primary, TempDir};

/// Longest pebble may take to start listening.
const START_DEADLINE: Duration = Duration::from_secs(20);

fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A CA and a certificate for 127.0.0.1 for pebble's HTTPS listener.
fn make_tls_certificate(dir: &std::path::Path) {
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
            "tls-ca.key",
            "-out",
            "tls-ca.pem",
            "-days",
            "2",
            "-subj",
            "/CN=tls test CA",
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
        "tls-ca.pem",
        "-CAkey",
        "tls-ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "server.ext",
    ]));
}

/// What the responder serves to pebble.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Serve {
    /// The primary's zone as it is.
    Zone,
    /// The zone with every `_acme-challenge` TXT value changed by one
    /// character: pebble's validation must fail.
    WrongTxt,
}

/// A UDP DNS server answering from the primary's zone with our query
/// engine: what pebble's VA asks.
pub struct Responder {
    pub address: String,
    pub queries: Arc<AtomicU32>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Responder {
    pub fn start(primary: Arc<Mutex<Primary>>, serve: Serve) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(100)))
            .unwrap();
        let address = socket.local_addr().unwrap().to_string();
        let queries = Arc::new(AtomicU32::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (queries, stop) = (queries.clone(), stop.clone());
            thread::spawn(move || {
                let mut buf = [0u8; 1500];
                while !stop.load(Ordering::Relaxed) {
                    let Ok((len, peer)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    queries.fetch_add(1, Ordering::Relaxed);
                    let zone = primary.lock().unwrap().zone.clone();
                    let zone = match serve {
                        Serve::Zone => zone,
                        Serve::WrongTxt => wrong_txt(&zone),
                    };
                    let _ = socket.send_to(&super::answer(&zone, &buf[..len]), peer);
                }
            })
        };
        Responder {
            address,
            queries,
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// `zone` with each `_acme-challenge` TXT value one character off.
fn wrong_txt(zone: &dns_zone::Zone) -> dns_zone::Zone {
    let text = dns_zone::print_zone(zone);
    let lines: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("_acme-challenge") && l.contains("TXT") {
                let at = l.rfind('"').unwrap() - 1;
                let mut bytes = l.as_bytes().to_vec();
                bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
                String::from_utf8(bytes).unwrap()
            } else {
                l.to_string()
            }
        })
        .collect();
    dns_zone::Zone::parse(lines.join("\n").as_bytes(), zone.origin().clone())
        .unwrap()
        .0
}

/// pebble on loopback, stopped on drop.
pub struct Pebble {
    child: Child,
    pub directory: String,
    pub management: String,
    pub dir: TempDir,
}

impl Pebble {
    /// pebble validating through `dns`, certificates valid `validity`
    /// seconds, refusing `blocked` names.
    pub fn start(label: &str, dns: &str, validity: u64, blocked: &[&str]) -> Self {
        let dir = TempDir::new(label);
        make_tls_certificate(&dir.0);
        let (acme_port, management_port) = (free_tcp_port(), free_tcp_port());
        let config = serde_json::json!({
            "pebble": {
                "listenAddress": format!("127.0.0.1:{acme_port}"),
                "managementListenAddress": format!("127.0.0.1:{management_port}"),
                "certificate": dir.path("server.pem"),
                "privateKey": dir.path("server.key"),
                "httpPort": free_tcp_port(),
                "tlsPort": free_tcp_port(),
                "ocspResponderURL": "",
                "externalAccountBindingRequired": false,
                "certificateValidityPeriod": validity,
                "domainBlocklist": blocked,
            }
        });
        std::fs::write(dir.path("pebble.json"), config.to_string()).unwrap();
        let log = std::fs::File::create(dir.path("pebble.log")).unwrap();
        let child = Command::new("pebble")
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
        let pebble = Pebble {
            child,
            directory: format!("https://127.0.0.1:{acme_port}/dir"),
            management: format!("https://127.0.0.1:{management_port}"),
            dir,
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

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path("pebble.log")).unwrap_or_default()
    }
}

impl Drop for Pebble {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// HTTPS to pebble: ureq over rustls (ring), trusting the test's TLS CA.
pub struct Https {
    agent: ureq::Agent,
    pub requests: u32,
}

impl Https {
    pub fn new(pebble: &Pebble) -> Self {
        let mut roots = rustls::RootCertStore::empty();
        for der in pem_chain_to_der(&std::fs::read(pebble.dir.path("tls-ca.pem")).unwrap()).unwrap()
        {
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
        Https { agent, requests: 0 }
    }

    pub fn call(&mut self, request: &Request) -> Result<Response, String> {
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
            Err(e) => return Err(e.to_string()),
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
                .map_err(|e| e.to_string())?;
        }
        Ok(Response {
            status,
            headers,
            body,
        })
    }
}

/// A manager, the primary, pebble and the clock, driven together.
pub struct Harness {
    pub manager: Manager,
    pub primary: Arc<Mutex<Primary>>,
    pub https: Https,
    /// Everything `poll` returned, in order.
    pub actions: Vec<Action>,
    origin: StdInstant,
    unix_origin: u64,
    /// How far the test moved the clocks forward.
    pub skew: Duration,
    /// Transfers simulated (zone_changed calls after an UPDATE).
    pub transfers: u32,
    /// Also tell the manager the zone changed after every action: it
    /// must not order twice for a name.
    pub rescan_every_action: bool,
    /// Keep UPDATEs in `held` instead of sending them (a lost datagram,
    /// a primary that does not answer).
    pub hold_updates: bool,
    pub held: Vec<Vec<u8>>,
    pub _responder: Responder,
    pub pebble: Pebble,
}

impl Harness {
    pub fn new(
        label: &str,
        zone: dns_zone::Zone,
        serve: Serve,
        validity: u64,
        blocked: &[&str],
    ) -> Self {
        let primary = Arc::new(Mutex::new(Primary::new(zone)));
        let responder = Responder::start(primary.clone(), serve);
        let pebble = Pebble::start(label, &responder.address, validity, blocked);
        let https = Https::new(&pebble);
        let key = AccountKey::from_seed(b"letsencrypt pebble tests", KeyType::EcdsaP256).unwrap();
        let mut acme =
            ClientConfig::new(&pebble.directory, key).with_email("hostmaster@example.org");
        acme.poll_interval = Duration::from_millis(200);
        let config = ManagerConfig {
            key: super::key(),
            zone: name("example.org"),
            acme,
        };
        let origin = StdInstant::now();
        let unix_origin = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs();
        let now = Now::new(Instant::from_millis(0), unix_origin);
        let mut manager = Manager::new(config, [7; 32], now);
        let zone = primary.lock().unwrap().zone.clone();
        manager.zone_changed(&zone, now);
        Harness {
            manager,
            primary,
            https,
            actions: Vec::new(),
            origin,
            unix_origin,
            skew: Duration::ZERO,
            transfers: 0,
            rescan_every_action: false,
            hold_updates: false,
            held: Vec::new(),
            _responder: responder,
            pebble,
        }
    }

    pub fn now(&self) -> Now {
        let elapsed = self.origin.elapsed() + self.skew;
        Now::new(
            Instant::from_millis(elapsed.as_millis() as u64),
            self.unix_origin + elapsed.as_secs(),
        )
    }

    /// Drives until `done` holds when the manager has nothing to do but
    /// sleep (every log line out), or fails the test after `limit` of
    /// real time. Sleeps at most 200 ms at once.
    pub fn run(&mut self, limit: Duration, mut done: impl FnMut(&Harness) -> bool) {
        let started = StdInstant::now();
        loop {
            assert!(
                started.elapsed() < limit,
                "not done within {limit:?}; log:\n{}\npebble:\n{}",
                super::logs(&self.actions, letsencrypt::Level::Debug).join("\n"),
                self.pebble.log()
            );
            let now = self.now();
            let action = self.manager.poll(now);
            self.actions.push(action.clone());
            match action {
                Action::Http { order, request } => match self.https.call(&request) {
                    Ok(response) => self
                        .manager
                        .handle_http_response(order, &response, self.now()),
                    Err(e) => self.manager.handle_http_failure(order, &e, self.now()),
                },
                Action::SendUpdate { message, .. } if self.hold_updates => self.held.push(message),
                Action::SendUpdate { message, .. } => self.deliver(&message),
                Action::SendQuery { message, .. } => {
                    let response = self.primary.lock().unwrap().query(&message);
                    self.manager.handle_dns_message(&response, self.now());
                }
                Action::Log(_) => continue,
                Action::SleepUntil(at) => {
                    if done(self) {
                        return;
                    }
                    let wait = at.millis().saturating_sub(now.instant.millis());
                    thread::sleep(Duration::from_millis(wait.min(200)));
                    continue;
                }
                _ => panic!("an action this driver does not know"),
            }
            if self.rescan_every_action {
                let zone = self.zone();
                self.manager.zone_changed(&zone, self.now());
            }
        }
    }

    /// Sends `update` to the primary and its answer back; a change is
    /// transferred to the manager first, as the primary's NOTIFY would.
    pub fn deliver(&mut self, update: &[u8]) {
        let unix = self.now().unix;
        let (response, changed) = self.primary.lock().unwrap().update(update, unix);
        if changed {
            let zone = self.zone();
            self.transfers += 1;
            self.manager.zone_changed(&zone, self.now());
        }
        self.manager.handle_dns_message(&response, self.now());
    }

    /// Moves both clocks forward by `by`.
    pub fn skip(&mut self, by: Duration) {
        self.skew += by;
    }

    pub fn zone(&self) -> dns_zone::Zone {
        self.primary.lock().unwrap().zone.clone()
    }
}
