//! Peers and fixtures for the integration tests: certificates made with
//! the openssl command, `openssl s_server` and `pebble` on loopback.

#![allow(dead_code)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use https::{Authenticator, BlockingClient, ClientConfig, Host};

/// Longest a peer may take to start listening.
pub const START_DEADLINE: Duration = Duration::from_secs(20);

/// Whether `program` can run here; prints why a test is skipped if not.
pub fn have(program: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        eprintln!("skipped: {program} is not installed (scripts/setup installs it)");
    }
    found
}

pub fn run(command: &mut Command) -> Vec<u8> {
    let output = command.output().expect("run a command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

pub fn free_tcp_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A scratch directory, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let path = std::env::temp_dir().join(format!("https-{name}-{}", std::process::id()));
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

/// Key types of test certificates.
#[derive(Clone, Copy, Debug)]
pub enum KeyType {
    P256,
    Rsa2048,
}

impl KeyType {
    fn args(self) -> &'static [&'static str] {
        match self {
            KeyType::P256 => &["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"],
            KeyType::Rsa2048 => &["-newkey", "rsa:2048"],
        }
    }
}

/// A test CA (`NAME-ca.pem`/`.key`) in `dir`.
pub fn make_ca(dir: &Path, name: &str) {
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["req", "-x509", "-nodes"])
        .args(KeyType::P256.args())
        .args(["-keyout", &format!("{name}-ca.key")])
        .args(["-out", &format!("{name}-ca.pem")])
        .args(["-days", "2", "-subj", &format!("/CN={name} test CA")]));
}

/// A server certificate `LEAF.pem`/`.key` signed by CA `ca`, with the
/// subjectAltName `san` (e.g. `DNS:acme.test,IP:127.0.0.1`).
pub fn make_leaf(dir: &Path, ca: &str, leaf: &str, san: &str, key: KeyType) {
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["req", "-nodes"])
        .args(key.args())
        .args(["-keyout", &format!("{leaf}.key")])
        .args(["-out", &format!("{leaf}.csr")])
        .args(["-subj", &format!("/CN={leaf}")]));
    std::fs::write(
        dir.join(format!("{leaf}.ext")),
        format!("subjectAltName={san}\nextendedKeyUsage=serverAuth\n"),
    )
    .unwrap();
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["x509", "-req", "-in", &format!("{leaf}.csr")])
        .args([
            "-CA",
            &format!("{ca}-ca.pem"),
            "-CAkey",
            &format!("{ca}-ca.key"),
        ])
        .args(["-CAcreateserial", "-out", &format!("{leaf}.pem")])
        .args(["-days", "2", "-extfile", &format!("{leaf}.ext")]));
}

/// The DER of a PEM certificate file, by openssl.
pub fn der(dir: &Path, pem: &str) -> Vec<u8> {
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["x509", "-in", pem, "-outform", "DER"]))
}

/// base64 of SHA-256 of the certificate's DER, computed by openssl.
pub fn openssl_cert_fp(dir: &Path, pem: &str) -> String {
    let out = run(Command::new("sh").current_dir(dir).args([
        "-c",
        &format!("openssl x509 -in {pem} -outform DER | openssl dgst -sha256 -binary | base64 -w0"),
    ]));
    String::from_utf8(out).unwrap()
}

/// base64 of SHA-256 of the SubjectPublicKeyInfo DER, computed by openssl.
pub fn openssl_key_fp(dir: &Path, pem: &str) -> String {
    let out = run(Command::new("sh").current_dir(dir).args([
        "-c",
        &format!(
            "openssl x509 -in {pem} -noout -pubkey | openssl pkey -pubin -outform DER \
             | openssl dgst -sha256 -binary | base64 -w0"
        ),
    ]));
    String::from_utf8(out).unwrap()
}

/// `trust-anchor:<base64 DER>` of a CA made by [`make_ca`].
pub fn trust_anchor(dir: &Path, ca: &str) -> Authenticator {
    use base64::Engine;
    let der = der(dir, &format!("{ca}-ca.pem"));
    let text = format!(
        "trust-anchor:{}",
        base64::engine::general_purpose::STANDARD.encode(der)
    );
    text.parse().unwrap()
}

/// Waits until something listens on `port` of 127.0.0.1.
pub fn wait_for_listener(port: u16, child: &mut Child, log: &Path) {
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "the server exited ({status}): {}",
                std::fs::read_to_string(log).unwrap_or_default()
            );
        }
        assert!(
            started.elapsed() < START_DEADLINE,
            "the server did not start: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        thread::sleep(Duration::from_millis(50));
    }
}

/// A child process killed on drop.
pub struct Server {
    pub child: Child,
    pub port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `openssl s_server` with `LEAF.pem` on a free port of 127.0.0.1, in
/// `-WWW` mode (files of `dir`), with extra arguments (`-tls1_2`, …).
pub fn s_server(dir: &Path, leaf: &str, extra: &[&str]) -> Server {
    let port = free_tcp_port();
    let log_path = dir.join(format!("s_server-{port}.log"));
    let log = std::fs::File::create(&log_path).unwrap();
    let mut child = Command::new("openssl")
        .current_dir(dir)
        .args(["s_server", "-quiet", "-accept", &port.to_string()])
        .args([
            "-cert",
            &format!("{leaf}.pem"),
            "-key",
            &format!("{leaf}.key"),
        ])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("openssl runs");
    wait_for_listener(port, &mut child, &log_path);
    Server { child, port }
}

/// A blocking client that resolves every DNS name to 127.0.0.1.
pub fn loopback_client(authenticator: Authenticator) -> BlockingClient {
    let mut config = ClientConfig::new(authenticator);
    config.request_timeout = Duration::from_secs(20);
    BlockingClient::new(config).with_resolver(|host, port| {
        Ok(vec![match host {
            Host::Ip(ip) => SocketAddr::new(*ip, port),
            Host::Dns(_) => SocketAddr::from(([127, 0, 0, 1], port)),
        }])
    })
}
