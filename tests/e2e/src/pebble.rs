//! Debian's ACME test server, `pebble`, started by a test: on an address of
//! the test's choosing (loopback, or inside a [`TestNet`] namespace), with an
//! HTTPS certificate the test makes (pebble ships none), its dns-01 checks
//! sent to a DNS server the test names, and its issuing root fetched from
//! its management port.

use crate::dns::Process;
use crate::net::TestNet;
use crate::TempDir;
use std::net::{IpAddr, SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Longest pebble may take to listen after it starts.
const START_DEADLINE: Duration = Duration::from_secs(20);

/// What the test wants of pebble.
pub struct PebbleConfig {
    /// Address the ACME and management listeners bind to.
    pub address: IpAddr,
    /// ACME directory port (pebble's default 14000).
    pub port: u16,
    /// Management port (root certificates; default 15000).
    pub management_port: u16,
    /// Where pebble's VA sends its dns-01 TXT queries (UDP).
    pub dns_server: SocketAddr,
    /// Lifetime of the certificates it issues, seconds (`None`: pebble's
    /// default, about five years).
    pub certificate_validity: Option<u64>,
    /// A DNS name in the HTTPS certificate besides the address, for tests
    /// that reach pebble by name.
    pub dns_name: Option<String>,
}

impl PebbleConfig {
    /// pebble on `address` (ports 14000/15000), checking dns-01 at `dns_server`.
    pub fn new(address: IpAddr, dns_server: SocketAddr) -> PebbleConfig {
        PebbleConfig {
            address,
            port: 14000,
            management_port: 15000,
            dns_server,
            certificate_validity: None,
            dns_name: None,
        }
    }
}

/// A running pebble; stopped on drop.
pub struct Pebble {
    process: Option<Process>,
    dir: TempDir,
    config_file: PathBuf,
    net: Option<String>,
    dns_server: SocketAddr,
    /// Its ACME directory URL.
    pub directory_url: String,
    /// The CA certificate its HTTPS listener's certificate chains to (PEM
    /// file): what a client's trust anchor must be.
    pub https_ca: PathBuf,
    /// The CA certificate in DER, for `trust-anchor:` authenticators.
    pub https_ca_der: Vec<u8>,
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a command");
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A P-256 test CA and an HTTPS certificate for `address` (and `dns_name`)
/// signed by it, in `dir`: `ca.pem`, `ca.der`, `server.pem`, `server.key`.
fn make_https_certificate(dir: &Path, address: IpAddr, dns_name: Option<&str>) {
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
        .args(["-keyout", "ca.key", "-out", "ca.pem", "-days", "2"])
        .args(["-subj", "/CN=solodns test HTTPS CA"]));
    run(Command::new("openssl")
        .current_dir(dir)
        .args(["x509", "-in", "ca.pem", "-outform", "DER", "-out", "ca.der"]));
    run(Command::new("openssl")
        .current_dir(dir)
        .arg("req")
        .args(ec)
        .args(["-keyout", "server.key", "-out", "server.csr"])
        .args(["-subj", &format!("/CN={address}")]));
    let mut san = format!("subjectAltName=IP:{address}");
    if let Some(name) = dns_name {
        san.push_str(&format!(",DNS:{name}"));
    }
    std::fs::write(dir.join("server.ext"), format!("{san}\n")).unwrap();
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

impl Pebble {
    /// Starts pebble (inside `net` if given) and waits until it listens.
    pub fn start(net: Option<&TestNet>, config: &PebbleConfig) -> Pebble {
        crate::dns::require_program("pebble", "pebble");
        let dir = TempDir::new("pebble");
        make_https_certificate(dir.path(), config.address, config.dns_name.as_deref());
        let host = match config.address {
            IpAddr::V6(v6) => format!("[{v6}]"),
            IpAddr::V4(v4) => v4.to_string(),
        };
        let mut settings = format!(
            concat!(
                "{{\"pebble\": {{\"listenAddress\": \"{host}:{port}\", ",
                "\"managementListenAddress\": \"{host}:{management}\", ",
                "\"certificate\": \"{dir}/server.pem\", \"privateKey\": \"{dir}/server.key\", ",
                "\"httpPort\": 5002, \"tlsPort\": 5001, \"ocspResponderURL\": \"\", ",
                "\"externalAccountBindingRequired\": false"
            ),
            host = host,
            port = config.port,
            management = config.management_port,
            dir = dir.path().display(),
        );
        if let Some(seconds) = config.certificate_validity {
            settings.push_str(&format!(", \"certificateValidityPeriod\": {seconds}"));
        }
        settings.push_str("}}\n");
        let config_file = dir.path().join("pebble-config.json");
        std::fs::write(&config_file, settings).unwrap();
        let https_ca_der = std::fs::read(dir.path().join("ca.der")).unwrap();
        let mut pebble = Pebble {
            process: None,
            https_ca: dir.path().join("ca.pem"),
            https_ca_der,
            directory_url: format!("https://{host}:{}/dir", config.port),
            config_file,
            net: net.map(|n| n.name().to_string()),
            dns_server: config.dns_server,
            dir,
        };
        pebble.resume();
        pebble.wait_listening(SocketAddr::new(config.address, config.port), net);
        pebble
    }

    fn command(&self) -> Command {
        let mut command = match &self.net {
            Some(name) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", name, "pebble"]);
                c
            }
            None => Command::new("pebble"),
        };
        command
            .arg("-config")
            .arg(&self.config_file)
            .args(["-dnsserver", &self.dns_server.to_string()])
            // Validate at once; keep the default 5 % nonce rejection.
            .env("PEBBLE_VA_NOSLEEP", "1");
        command
    }

    fn wait_listening(&self, addr: SocketAddr, net: Option<&TestNet>) {
        let deadline = Instant::now() + START_DEADLINE;
        let probe = || TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok();
        loop {
            let up = match net {
                Some(net) => net.run(probe),
                None => probe(),
            };
            if up {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "pebble did not listen on {addr} within {START_DEADLINE:?}: {}",
                self.log()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Stops pebble (an outage of the CA); [`Pebble::resume`] starts it again
    /// with the same configuration (pebble forgets its accounts and orders).
    pub fn stop(&mut self) {
        self.process = None;
    }

    /// Starts pebble again after [`Pebble::stop`].
    pub fn resume(&mut self) {
        if self.process.is_none() {
            let log = self.dir.path().join("pebble.log");
            self.process = Some(Process::spawn(self.command(), &log));
        }
    }

    /// pebble's output so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("pebble.log")).unwrap_or_default()
    }

    /// The root that pebble's issued chains end at (PEM), fetched from its
    /// management port into a file; `openssl verify -CAfile` takes it.
    pub fn issuing_root(&self, management: SocketAddr) -> PathBuf {
        let file = self.dir.path().join("issuing-root.pem");
        let url = match management.ip() {
            IpAddr::V6(v6) => format!("https://[{v6}]:{}/roots/0", management.port()),
            IpAddr::V4(v4) => format!("https://{v4}:{}/roots/0", management.port()),
        };
        let mut command = match &self.net {
            Some(name) => {
                let mut c = Command::new("ip");
                c.args(["netns", "exec", name, "curl"]);
                c
            }
            None => Command::new("curl"),
        };
        run(command
            .args(["--silent", "--show-error", "--fail", "--max-time", "10"])
            .arg("--cacert")
            .arg(&self.https_ca)
            .arg("--output")
            .arg(&file)
            .arg(url));
        file
    }
}
