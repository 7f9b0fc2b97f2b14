//! Real DNS servers as *primaries* of our secondary, in a test network:
//! BIND `named`, Knot and NSD serving one zone with a TSIG transfer key,
//! notifying the secondary, changed by `nsupdate` (BIND, Knot) or by
//! rewriting the zone file and reloading (NSD has no UPDATE); `dig` to
//! compare what they serve; a TCP proxy that can flip a byte of a
//! transfer in flight.

use crate::dns::{require_program, Process};
use crate::net::TestNet;
use crate::TempDir;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A primary implementation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PeerKind {
    /// ISC BIND 9 `named` (Debian package `bind9`).
    Bind,
    /// CZ.NIC Knot DNS `knotd` (Debian package `knot`).
    Knot,
    /// NLnet Labs NSD (Debian package `nsd`).
    Nsd,
}

/// A TSIG key as the peers' configurations and `dig -y` take it.
#[derive(Clone, Debug)]
pub struct TsigKey {
    /// The key name without the final dot.
    pub name: String,
    /// Base64 secret (hmac-sha256).
    pub secret: String,
}

impl TsigKey {
    /// The test-only key `name` of `zones-example/_keys`.
    pub fn example(name: &str) -> TsigKey {
        let absolute = format!("{}.", name.trim_end_matches('.'));
        TsigKey {
            name: name.trim_end_matches('.').to_string(),
            secret: crate::example_key_secret(&absolute),
        }
    }

    /// `hmac-sha256:NAME:SECRET` (`dig -y`, `nsupdate -y`).
    pub fn bind_arg(&self) -> String {
        format!("hmac-sha256:{}:{}", self.name, self.secret)
    }

    /// `NAME:SHA256:SECRET` (our boot arguments and CLI).
    pub fn solodns_arg(&self) -> String {
        format!("{}:SHA256:{}", self.name, self.secret)
    }
}

/// What a peer primary serves and to whom it sends NOTIFY.
#[derive(Clone, Debug)]
pub struct PrimarySetup {
    /// The zone's origin without the final dot.
    pub zone: String,
    /// The zone file's text.
    pub zone_text: String,
    /// The address it listens on (port 53).
    pub listen: String,
    /// The transfer key (also signs its NOTIFYs).
    pub transfer_key: TsigKey,
    /// The key `nsupdate` signs with.
    pub update_key: TsigKey,
    /// The secondary to notify.
    pub notify: String,
}

/// A peer primary running in a test network; stopped on drop.
pub struct PeerPrimary {
    kind: PeerKind,
    setup: PrimarySetup,
    // Before `dir`: the process stops before its files go.
    process: Option<Process>,
    dir: TempDir,
    /// NSD: serial of the last zone file written.
    serial: u32,
}

/// BIND's nsupdate, run by `command` (`Command::new("nsupdate")`, or
/// `TestNet::command("nsupdate")` inside a namespace), signed with `key`
/// (`hmac-sha256:NAME:SECRET`) if given, waiting at most `timeout_secs`:
/// `script` is sent to `server` (`IP [PORT]`). Returns (success, stderr).
pub fn nsupdate(
    mut command: std::process::Command,
    server: &str,
    key: Option<&str>,
    timeout_secs: u32,
    script: &str,
) -> (bool, String) {
    if let Some(key) = key {
        command.args(["-y", key]);
    }
    let mut child = command
        .args(["-t", &timeout_secs.to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run nsupdate (package bind9-dnsutils)");
    let full = format!("server {server}\n{script}\nsend\n");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(full.as_bytes())
        .expect("write script");
    let output = child.wait_with_output().expect("nsupdate finishes");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Runs `program args` in `net` with `stdin`; its stdout. Panics with
/// stderr when it fails.
pub fn run_in(net: &TestNet, program: &str, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = net
        .command(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(text.as_bytes())
            .expect("write");
    }
    drop(child.stdin.take());
    let output = child.wait_with_output().expect("finishes");
    assert!(
        output.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The serial `server` answers for `zone` (one UDP try of one second), if
/// it answers NOERROR.
pub fn soa_serial(net: &TestNet, server: &str, zone: &str) -> Option<u32> {
    // Not `run_in`: dig fails while nothing listens yet.
    let output = net
        .command("dig")
        .args([
            "+short",
            "+norec",
            "+time=1",
            "+tries=1",
            &format!("@{server}"),
            zone,
            "SOA",
        ])
        .output()
        .expect("run dig");
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace().nth(2)?.parse().ok()
}

/// The RCODE mnemonic `server` answers `name TYPE` with (`NOERROR`,
/// `SERVFAIL`, …), or `None` without an answer within a second.
pub fn status(net: &TestNet, server: &str, name: &str, qtype: &str) -> Option<String> {
    let output = net
        .command("dig")
        .args([
            "+norec",
            "+time=1",
            "+tries=1",
            &format!("@{server}"),
            name,
            qtype,
        ])
        .output()
        .expect("run dig");
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text.lines().find(|l| l.contains("status: "))?;
    let status = line.split("status: ").nth(1)?.split(',').next()?;
    Some(status.to_string())
}

/// The answer records `server` gives for `name TYPE`, dig `+short` style.
pub fn short(net: &TestNet, server: &str, name: &str, qtype: &str) -> Vec<String> {
    run_in(
        net,
        "dig",
        &[
            "+short",
            "+norec",
            "+time=1",
            "+tries=2",
            &format!("@{server}"),
            name,
            qtype,
        ],
        None,
    )
    .lines()
    .map(str::to_string)
    .collect()
}

/// The zone as `dig AXFR` (signed with `key`) prints it: one normalised
/// record per line, sorted, without the TSIG and the closing SOA.
pub fn axfr_records(net: &TestNet, server: &str, zone: &str, key: &TsigKey) -> Vec<String> {
    let text = run_in(
        net,
        "dig",
        &[
            "+nocomments",
            "+nostats",
            "+nocmd",
            "+time=5",
            "-y",
            &key.bind_arg(),
            &format!("@{server}"),
            zone,
            "AXFR",
        ],
        None,
    );
    let mut records: Vec<String> = text
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with(';'))
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|fields| fields.get(3) != Some(&"TSIG"))
        .map(|fields| fields.join(" ").to_lowercase())
        .collect();
    records.sort();
    records.dedup(); // the SOA comes first and last
    records
}

/// Waits (at most `limit`) until `server` answers serial `wanted` for
/// `zone`; `context` is called for the panic message.
pub fn wait_for_serial(
    net: &TestNet,
    server: &str,
    zone: &str,
    wanted: u32,
    limit: Duration,
    context: impl FnOnce() -> String,
) -> Duration {
    let started = Instant::now();
    while soa_serial(net, server, zone) != Some(wanted) {
        if started.elapsed() > limit {
            panic!(
                "{server} did not serve serial {wanted} of {zone} within {limit:?}:\n{}",
                context()
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    started.elapsed()
}

/// The serial in the SOA of a zone file written as `zones-example` does
/// (`NNN ; serial` on a line of its own).
pub fn zone_text_serial(text: &str) -> u32 {
    text.lines()
        .find(|l| l.contains("; serial"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("a `NNN ; serial` line")
}

/// `text` with its serial line set to `serial`.
pub fn with_serial(text: &str, serial: u32) -> String {
    let old = zone_text_serial(text);
    text.replacen(&format!("{old} ; serial"), &format!("{serial} ; serial"), 1)
}

/// `text` (a zone file written as `zones-example` does) with the SOA
/// refresh, retry and expire set (seconds).
pub fn with_soa_timers(text: &str, refresh: u32, retry: u32, expire: u32) -> String {
    text.lines()
        .map(|l| {
            let value = |n: u32, what: &str| format!("                        {n} ; {what}");
            if l.contains("; refresh") {
                value(refresh, "refresh")
            } else if l.contains("; retry") {
                value(retry, "retry")
            } else if l.contains("; expire") {
                value(expire, "expire")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

impl PeerPrimary {
    /// Starts `kind` as the primary of `setup` in `net` and waits until it
    /// serves the zone.
    pub fn start(net: &TestNet, kind: PeerKind, setup: PrimarySetup) -> PeerPrimary {
        let serial = zone_text_serial(&setup.zone_text);
        let mut peer = PeerPrimary {
            kind,
            setup,
            process: None,
            dir: TempDir::new(&format!("peer-{kind:?}").to_lowercase()),
            serial,
        };
        std::fs::write(peer.zone_file(), &peer.setup.zone_text).expect("write the zone file");
        peer.restart(net);
        peer
    }

    fn zone_file(&self) -> std::path::PathBuf {
        self.dir.path().join(format!("{}.zone", self.setup.zone))
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        self.process.as_ref().map(Process::log).unwrap_or_default()
    }

    /// Which implementation it is.
    pub fn kind(&self) -> PeerKind {
        self.kind
    }

    /// Stops it (the zone and its state stay for [`PeerPrimary::restart`]).
    pub fn stop(&mut self) {
        self.process = None;
    }

    /// Starts it (again) and waits until it answers for the zone.
    pub fn restart(&mut self, net: &TestNet) {
        self.process = None;
        let (program, package, args, conf_name, conf) = self.config();
        let conf_path = self.dir.path().join(conf_name);
        std::fs::write(&conf_path, conf).expect("write the peer's configuration");
        let mut command = net.command(require_program(program, package));
        command.args(args).arg(&conf_path);
        let log = self.dir.path().join(format!(
            "{}.log",
            program.rsplit('/').next().unwrap_or(program)
        ));
        self.process = Some(Process::spawn(command, &log));
        let deadline = Instant::now() + Duration::from_secs(30);
        while soa_serial(net, &self.setup.listen, &self.setup.zone).is_none() {
            assert!(
                Instant::now() < deadline,
                "{:?} did not serve {} within 30 s:\n{}",
                self.kind,
                self.setup.zone,
                self.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn config(
        &self,
    ) -> (
        &'static str,
        &'static str,
        Vec<&'static str>,
        &'static str,
        String,
    ) {
        let d = self.dir.path().display();
        let s = &self.setup;
        let (t, u) = (&s.transfer_key, &s.update_key);
        let zone_file = self.zone_file();
        let zone_file = zone_file.display();
        match self.kind {
            PeerKind::Bind => (
                "named",
                "bind9",
                vec!["-g", "-c"],
                "named.conf",
                format!(
                    r#"options {{ directory "{d}"; pid-file "{d}/named.pid"; listen-on port 53 {{ {listen}; }};
  listen-on-v6 {{ none; }}; recursion no; notify explicit; notify-delay 0; also-notify {{ {notify} key "{tn}"; }};
  allow-transfer {{ key "{tn}"; }}; session-keyfile "{d}/session.key"; }};
controls {{ }};
key "{tn}" {{ algorithm hmac-sha256; secret "{ts}"; }};
key "{un}" {{ algorithm hmac-sha256; secret "{us}"; }};
zone "{zone}" {{ type primary; file "{zone_file}"; allow-update {{ key "{un}"; }}; }};
"#,
                    listen = s.listen,
                    notify = s.notify,
                    tn = t.name,
                    ts = t.secret,
                    un = u.name,
                    us = u.secret,
                    zone = s.zone,
                ),
            ),
            PeerKind::Knot => (
                "knotd",
                "knot",
                vec!["-c"],
                "knot.conf",
                format!(
                    "server:\n  listen: {listen}@53\n  rundir: {d}\n  udp-workers: 1\n  tcp-workers: 1\n  background-workers: 1\n\
                     log:\n  - target: stderr\n    any: info\n\
                     database:\n  storage: {d}\n\
                     key:\n  - id: {tn}\n    algorithm: hmac-sha256\n    secret: {ts}\n  - id: {un}\n    algorithm: hmac-sha256\n    secret: {us}\n\
                     remote:\n  - id: secondary\n    address: {notify}@53\n    key: {tn}\n\
                     acl:\n  - id: transfer\n    key: {tn}\n    action: transfer\n  - id: update\n    key: {un}\n    action: update\n\
                     zone:\n  - domain: {zone}\n    storage: {d}\n    file: {zone_file}\n    notify: secondary\n    acl: [transfer, update]\n    \
                     zonefile-sync: -1\n    journal-content: changes\n",
                    listen = s.listen,
                    notify = s.notify,
                    tn = t.name,
                    ts = t.secret,
                    un = u.name,
                    us = u.secret,
                    zone = s.zone,
                ),
            ),
            PeerKind::Nsd => (
                "nsd",
                "nsd",
                vec!["-d", "-c"],
                "nsd.conf",
                format!(
                    "server:\n  ip-address: {listen}@53\n  do-ip6: no\n  zonesdir: \"{d}\"\n  pidfile: \"{d}/nsd.pid\"\n  \
                     xfrdfile: \"{d}/xfrd.state\"\n  zonelistfile: \"{d}/zone.list\"\n  database: \"\"\n  username: \"\"\n  \
                     chroot: \"\"\n  verbosity: 2\n  server-count: 1\n  rrl-ratelimit: 0\n\
                     remote-control:\n  control-enable: no\n\
                     key:\n  name: \"{tn}\"\n  algorithm: hmac-sha256\n  secret: \"{ts}\"\n\
                     zone:\n  name: {zone}\n  zonefile: \"{zone_file}\"\n  notify: {notify} {tn}\n  \
                     provide-xfr: 0.0.0.0/0 {tn}\n",
                    listen = s.listen,
                    notify = s.notify,
                    tn = t.name,
                    ts = t.secret,
                    zone = s.zone,
                ),
            ),
        }
    }

    /// One change on the primary, as its operator makes it: `nsupdate`
    /// adding `step<N>.<zone> TXT` (BIND, Knot: the serial goes up by one,
    /// and they NOTIFY), or for NSD the zone file rewritten with the
    /// record and the serial plus one, then SIGHUP (reload; NSD notifies).
    /// Returns the new serial.
    #[allow(unsafe_code)] // each unsafe block below says why (SAFETY)
    pub fn change(&mut self, net: &TestNet, step: u32) -> u32 {
        let zone = &self.setup.zone;
        match self.kind {
            PeerKind::Bind | PeerKind::Knot => {
                let script = format!(
                    "server {} 53\nzone {zone}\nupdate add step{step}.{zone} 300 TXT \"change {step}\"\nsend\n",
                    self.setup.listen
                );
                run_in(
                    net,
                    "nsupdate",
                    &["-y", &self.setup.update_key.bind_arg(), "-t", "5"],
                    Some(&script),
                );
                self.serial += 1;
            }
            PeerKind::Nsd => {
                self.serial += 1;
                let mut text = std::fs::read_to_string(self.zone_file()).expect("zone file");
                text = with_serial(&text, self.serial);
                text += &format!("step{step}.{zone}. 300 IN TXT \"change {step}\"\n");
                std::fs::write(self.zone_file(), text).expect("write the zone file");
                let pid: i32 = std::fs::read_to_string(self.dir.path().join("nsd.pid"))
                    .expect("nsd.pid")
                    .trim()
                    .parse()
                    .expect("a PID");
                // SAFETY: kill(2) on the NSD we started.
                unsafe {
                    libc::kill(pid, libc::SIGHUP);
                }
            }
        }
        self.serial
    }
}

/// Runs `f` on a new thread inside `net`'s namespace and returns at once.
#[allow(unsafe_code)] // each unsafe block below says why (SAFETY)
pub fn spawn_in(net: &TestNet, f: impl FnOnce() + Send + 'static) {
    let path = format!("/run/netns/{}", net.name());
    std::thread::spawn(move || {
        let namespace = File::open(&path).expect("open the namespace");
        // SAFETY: setns on this thread only, with a namespace fd.
        let rc = unsafe { libc::setns(namespace.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(rc, 0, "setns into {path}");
        f()
    });
}

/// A TCP proxy for DNS over TCP that can flip one octet in the middle of
/// the second message a server sends on a connection (the first message of
/// a transfer after the SOA answer). Stops accepting on drop.
pub struct TamperingProxy {
    /// Flip octets from now on.
    pub tamper: Arc<AtomicBool>,
    /// Messages tampered with so far.
    pub tampered: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
}

/// How long a proxied connection may stay silent.
const PROXY_IDLE: Duration = Duration::from_secs(30);

impl TamperingProxy {
    /// Listens on `listen` in `net` and forwards to `upstream`.
    pub fn start(net: &TestNet, listen: SocketAddr, upstream: SocketAddr) -> TamperingProxy {
        let proxy = TamperingProxy {
            tamper: Arc::new(AtomicBool::new(false)),
            tampered: Arc::new(AtomicUsize::new(0)),
            stop: Arc::new(AtomicBool::new(false)),
        };
        let (tamper, tampered, stop) = (
            proxy.tamper.clone(),
            proxy.tampered.clone(),
            proxy.stop.clone(),
        );
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        spawn_in(net, move || {
            let listener = TcpListener::bind(listen).expect("bind the proxy");
            listener.set_nonblocking(true).expect("nonblocking");
            let _ = ready_tx.send(());
            while !stop.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let Ok(server) =
                            TcpStream::connect_timeout(&upstream, Duration::from_secs(5))
                        else {
                            continue;
                        };
                        let _ = client.set_nonblocking(false);
                        forward(client, server, tamper.clone(), tampered.clone());
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        ready_rx
            .recv_timeout(Duration::from_secs(5))
            .expect("the proxy listens");
        proxy
    }
}

impl Drop for TamperingProxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// Copies both ways; the server's messages are framed so the second one
/// can be altered.
fn forward(
    client: TcpStream,
    server: TcpStream,
    tamper: Arc<AtomicBool>,
    tampered: Arc<AtomicUsize>,
) {
    for stream in [&client, &server] {
        let _ = stream.set_read_timeout(Some(PROXY_IDLE));
    }
    let (mut client_read, mut server_write) = (
        client.try_clone().expect("clone"),
        server.try_clone().expect("clone"),
    );
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = client_read.read(&mut buf) {
            if n == 0 || server_write.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = server_write.shutdown(std::net::Shutdown::Write);
    });
    let (mut server_read, mut client_write) = (server, client);
    std::thread::spawn(move || {
        let mut index = 0usize;
        loop {
            let mut prefix = [0u8; 2];
            if server_read.read_exact(&mut prefix).is_err() {
                break;
            }
            let mut message = vec![0u8; usize::from(u16::from_be_bytes(prefix))];
            if server_read.read_exact(&mut message).is_err() {
                break;
            }
            if index == 1 && tamper.load(Ordering::Relaxed) && !message.is_empty() {
                let middle = message.len() / 2;
                message[middle] ^= 0x01;
                tampered.fetch_add(1, Ordering::Relaxed);
            }
            index += 1;
            if client_write.write_all(&prefix).is_err() || client_write.write_all(&message).is_err()
            {
                break;
            }
        }
        let _ = client_write.shutdown(std::net::Shutdown::Both);
    });
}
