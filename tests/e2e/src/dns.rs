//! DNS helpers for the differential tests: the zone corpus, the servers
//! compared (NSD, Knot and primary-git, run as processes on loopback), a
//! small client, queries built with hickory, and a wire-level view of
//! responses (names decompressed, case kept) for section-by-section
//! comparison.
//!
//! The peers come from Debian packages that `scripts/setup` installs; a
//! missing one is a test failure that names the package, never a skip.

use crate::{repo_root, TempDir};
use std::fmt;
use std::fs::File;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpStream, UdpSocket};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

// ---------------------------------------------------------------------------
// The corpus

/// One zone of the differential corpus: its origin and its master file.
#[derive(Debug, Clone)]
pub struct CorpusZone {
    /// The origin without the final dot (`example.com`), which is also the
    /// file name (the OCaml-DNS repository layout).
    pub origin: String,
    /// The master file.
    pub path: PathBuf,
}

impl CorpusZone {
    /// The file's contents.
    pub fn text(&self) -> Vec<u8> {
        std::fs::read(&self.path).unwrap_or_else(|e| panic!("read {}: {e}", self.path.display()))
    }

    /// The origin as a name.
    pub fn origin_name(&self) -> dns_zone::Name {
        format!("{}.", self.origin)
            .parse()
            .unwrap_or_else(|e| panic!("origin {}: {e}", self.origin))
    }

    /// The zone as our parser reads it (the corpus is valid: panics if not).
    pub fn parse(&self) -> dns_zone::Zone {
        match dns_zone::Zone::parse(&self.text(), self.origin_name()) {
            Ok((zone, _warnings)) => zone,
            Err(e) => panic!("corpus zone {} does not parse: {e:?}", self.origin),
        }
    }
}

/// The test fixtures directory (`tests/e2e/fixtures`).
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("tests/e2e/fixtures")
}

/// The corpus: every zone of `zones-example/` (not the `_keys` files) and
/// of `tests/e2e/fixtures/zones/`, sorted by origin.
pub fn corpus() -> Vec<CorpusZone> {
    let mut zones = Vec::new();
    for dir in [
        repo_root().join("zones-example"),
        fixtures_dir().join("zones"),
    ] {
        let entries =
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
        for entry in entries {
            let path = entry.expect("directory entry").path();
            let name = path
                .file_name()
                .and_then(|n| n.to_str())
                .expect("UTF-8 file name")
                .to_string();
            if name.ends_with("_keys") || name.ends_with(".md") || !path.is_file() {
                continue;
            }
            zones.push(CorpusZone { origin: name, path });
        }
    }
    zones.sort_by(|a, b| a.origin.cmp(&b.origin));
    zones
}

// ---------------------------------------------------------------------------
// Programs and processes

/// Finds `program` on `PATH` or in the sbin directories (where Debian puts
/// the daemons); panics naming the Debian `package` to install.
pub fn require_program(program: &str, package: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    let dirs = std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from));
    for dir in dirs {
        let candidate = dir.join(program);
        if candidate.is_file() {
            return candidate;
        }
    }
    panic!("`{program}` not found: run scripts/setup (it installs the Debian package `{package}`)")
}

/// A host binary of this workspace in `target/debug` (where
/// `cargo build --workspace --bins` puts it; under `$CARGO_TARGET_DIR` when
/// that is set); panics with the command to run when it has not been built.
pub fn workspace_binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let path = target.join("debug").join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p {name}` (scripts/test does)",
        path.display()
    );
    path
}

/// A process in a process group of its own, output to a log file; the whole
/// group is terminated on drop (NSD forks its server and xfrd children).
pub struct Process {
    child: Child,
    log: PathBuf,
}

impl Process {
    /// Starts `command` with stdout and stderr appended to `log`.
    pub fn spawn(mut command: Command, log: &Path) -> Process {
        let out = File::create(log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let err = out.try_clone().expect("clone the log file");
        command
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .process_group(0);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("start {:?}: {e}", command.get_program()));
        Process {
            child,
            log: log.to_path_buf(),
        }
    }

    /// Everything the process wrote so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Whether it has exited.
    pub fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    #[allow(unsafe_code)] // each unsafe block below says why (SAFETY)
    fn signal_group(&self, signal: i32) {
        let group = self.child.id() as i32;
        // SAFETY: kill(2) on our own child's process group.
        unsafe {
            libc::kill(-group, signal);
        }
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.signal_group(libc::SIGTERM);
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if self.exited() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // Children of the group that outlived their parent, or a parent
        // that ignored SIGTERM.
        self.signal_group(libc::SIGKILL);
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback address of this test process: `127.64.0.0/10` plus the
/// process ID, so that tests running in parallel (nextest runs each test in
/// a process of its own) never share an address.
pub fn loopback_for_this_process() -> Ipv4Addr {
    let pid = std::process::id() & 0x3f_ffff;
    Ipv4Addr::new(127, 64 | (pid >> 16) as u8, (pid >> 8) as u8, pid as u8)
}

// ---------------------------------------------------------------------------
// Servers

/// The implementations compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ServerKind {
    /// NLnet Labs NSD (Debian package `nsd`).
    Nsd,
    /// CZ.NIC Knot DNS (Debian package `knot`).
    Knot,
    /// Ours: the host-process build of `primary-git`.
    PrimaryGit,
}

impl ServerKind {
    /// A short name for reports.
    pub fn name(self) -> &'static str {
        match self {
            ServerKind::Nsd => "nsd",
            ServerKind::Knot => "knot",
            ServerKind::PrimaryGit => "primary-git",
        }
    }
}

impl fmt::Display for ServerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An authoritative server serving the corpus on a loopback address, with
/// its configuration and state in a temporary directory; stopped on drop.
pub struct DnsServer {
    kind: ServerKind,
    addr: SocketAddr,
    // Declared before `dir`: the process stops before its files go.
    process: Process,
    _dir: TempDir,
}

/// How long a server may take to load the corpus and answer.
const READY: Duration = Duration::from_secs(30);

impl DnsServer {
    /// Starts `kind` serving `zones` on `addr` (UDP and TCP) and waits until
    /// it answers an SOA question for every zone with AA set.
    pub fn start(kind: ServerKind, zones: &[CorpusZone], addr: SocketAddr) -> DnsServer {
        let dir = TempDir::new(&format!("dns-{}", kind.name()));
        let zones_dir = dir.path().join("zones");
        std::fs::create_dir_all(&zones_dir).expect("create the zones dir");
        for zone in zones {
            std::fs::copy(&zone.path, zones_dir.join(&zone.origin))
                .unwrap_or_else(|e| panic!("copy {}: {e}", zone.path.display()));
        }
        let log = dir.path().join("server.log");
        let command = match kind {
            ServerKind::Nsd => nsd_command(dir.path(), &zones_dir, zones, addr),
            ServerKind::Knot => knot_command(dir.path(), &zones_dir, zones, addr),
            ServerKind::PrimaryGit => {
                let mut command = Command::new(workspace_binary("primary-git"));
                command
                    .arg(format!("--zones-dir={}", zones_dir.display()))
                    .arg(format!("--listen={addr}"));
                command
            }
        };
        let mut server = DnsServer {
            kind,
            addr,
            process: Process::spawn(command, &log),
            _dir: dir,
        };
        server.wait_ready(zones);
        server
    }

    fn wait_ready(&mut self, zones: &[CorpusZone]) {
        let deadline = Instant::now() + READY;
        let mut client = Client::new(self.addr);
        client.udp_timeout = Duration::from_millis(200);
        for (i, zone) in zones.iter().enumerate() {
            let question = Question::new(&zone.origin, 6);
            let query = build_query(&question, &QueryOptions::plain(i as u16));
            loop {
                let ready = client
                    .udp(&query)
                    .and_then(|r| parse_reply(&r).ok())
                    .is_some_and(|r| r.rcode == 0 && r.flags & AA != 0 && r.answer.len() == 1);
                if ready {
                    break;
                }
                if self.process.exited() || Instant::now() > deadline {
                    panic!(
                        "{} did not serve {} on {} within {READY:?}:\n{}",
                        self.kind,
                        zone.origin,
                        self.addr,
                        self.process.log()
                    );
                }
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }

    /// Which implementation this is.
    pub fn kind(&self) -> ServerKind {
        self.kind
    }

    /// Where it listens (UDP and TCP).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// What it logged so far.
    pub fn log(&self) -> String {
        self.process.log()
    }
}

fn nsd_command(dir: &Path, zones_dir: &Path, zones: &[CorpusZone], addr: SocketAddr) -> Command {
    let d = dir.display();
    // Response-rate limiting is on by default (200 qps per source): off,
    // or a few thousand questions from one address get slipped answers.
    let mut conf = format!(
        "server:\n  ip-address: {ip}@{port}\n  do-ip6: no\n  server-count: 1\n  \
         username: \"\"\n  chroot: \"\"\n  zonesdir: \"{zones}\"\n  database: \"\"\n  \
         zonelistfile: \"{d}/zone.list\"\n  xfrdfile: \"{d}/xfrd.state\"\n  xfrdir: \"{d}\"\n  \
         pidfile: \"{d}/nsd.pid\"\n  verbosity: 1\n  rrl-ratelimit: 0\n  \
         rrl-whitelist-ratelimit: 0\nremote-control:\n  control-enable: no\n",
        ip = addr.ip(),
        port = addr.port(),
        zones = zones_dir.display(),
    );
    for zone in zones {
        conf += &format!("zone:\n  name: \"{0}\"\n  zonefile: \"{0}\"\n", zone.origin);
    }
    let path = dir.join("nsd.conf");
    std::fs::write(&path, conf).expect("write nsd.conf");
    let mut command = Command::new(require_program("nsd", "nsd"));
    command.arg("-d").arg("-c").arg(path);
    command
}

fn knot_command(dir: &Path, zones_dir: &Path, zones: &[CorpusZone], addr: SocketAddr) -> Command {
    let d = dir.display();
    let mut conf = format!(
        "server:\n  rundir: \"{d}\"\n  listen: {ip}@{port}\n  pidfile: \"{d}/knot.pid\"\n\
         database:\n  storage: \"{d}/db\"\n\
         control:\n  listen: \"{d}/knot.sock\"\n\
         log:\n  - target: stderr\n    any: info\n\
         template:\n  - id: default\n    storage: \"{zones}\"\n    zonefile-sync: -1\n    \
         zonefile-load: whole\n    journal-content: none\n\
         zone:\n",
        ip = addr.ip(),
        port = addr.port(),
        zones = zones_dir.display(),
    );
    for zone in zones {
        conf += &format!("  - domain: \"{0}\"\n    file: \"{0}\"\n", zone.origin);
    }
    let path = dir.join("knot.conf");
    std::fs::write(&path, conf).expect("write knot.conf");
    let mut command = Command::new(require_program("knotd", "knot"));
    command.arg("-c").arg(path);
    command
}

// ---------------------------------------------------------------------------
// Client

/// A client of one server: a UDP socket and a TCP connection (opened on
/// first use, reopened if the server closed it). Every wait is bounded.
pub struct Client {
    server: SocketAddr,
    udp: UdpSocket,
    tcp: Option<TcpStream>,
    /// How long to wait for a UDP answer before resending (3 tries).
    pub udp_timeout: Duration,
}

impl Client {
    /// A client of `server`.
    pub fn new(server: SocketAddr) -> Client {
        let udp = UdpSocket::bind(SocketAddr::new(server.ip(), 0)).expect("bind a UDP socket");
        Client {
            server,
            udp,
            tcp: None,
            udp_timeout: Duration::from_secs(1),
        }
    }

    /// Sends `query` over UDP; the response with the same ID, or `None`
    /// after three tries.
    pub fn udp(&mut self, query: &[u8]) -> Option<Vec<u8>> {
        let mut buf = vec![0u8; 65535];
        for _ in 0..3 {
            self.udp.send_to(query, self.server).expect("send");
            let deadline = Instant::now() + self.udp_timeout;
            loop {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    break;
                }
                self.udp.set_read_timeout(Some(left)).expect("timeout");
                match self.udp.recv_from(&mut buf) {
                    Ok((n, from)) if from == self.server && n >= 2 && buf[..2] == query[..2] => {
                        return Some(buf[..n].to_vec());
                    }
                    Ok(_) => continue, // a late answer to an earlier query
                    Err(_) => break,
                }
            }
        }
        None
    }

    /// Sends `query` over TCP (RFC 7766 framing) on the open connection;
    /// reconnects once if the server closed it.
    pub fn tcp(&mut self, query: &[u8]) -> Option<Vec<u8>> {
        for _ in 0..2 {
            if self.tcp.is_none() {
                let stream =
                    TcpStream::connect_timeout(&self.server, Duration::from_secs(5)).ok()?;
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .expect("timeout");
                stream.set_nodelay(true).expect("nodelay");
                self.tcp = Some(stream);
            }
            let stream = self.tcp.as_mut().expect("connected");
            let mut framed = (query.len() as u16).to_be_bytes().to_vec();
            framed.extend_from_slice(query);
            let result = stream.write_all(&framed).and_then(|()| {
                let mut len = [0u8; 2];
                stream.read_exact(&mut len)?;
                let mut answer = vec![0u8; usize::from(u16::from_be_bytes(len))];
                stream.read_exact(&mut answer)?;
                Ok(answer)
            });
            match result {
                Ok(answer) => return Some(answer),
                Err(_) => self.tcp = None,
            }
        }
        None
    }
}

// ---------------------------------------------------------------------------
// Queries

/// Header flag bits (RFC 1035 §4.1.1, RFC 4035 §3.2 for AD and CD).
pub const QR: u16 = 0x8000;
/// Authoritative answer.
pub const AA: u16 = 0x0400;
/// Truncated.
pub const TC: u16 = 0x0200;
/// Recursion desired.
pub const RD: u16 = 0x0100;
/// Recursion available.
pub const RA: u16 = 0x0080;
/// Authentic data.
pub const AD: u16 = 0x0020;
/// Checking disabled.
pub const CD: u16 = 0x0010;

/// A question: the name as labels (raw octets, case kept), type, class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// The labels, leftmost first, without the root.
    pub labels: Vec<Vec<u8>>,
    /// QTYPE.
    pub qtype: u16,
    /// QCLASS (1 = IN).
    pub qclass: u16,
}

impl Question {
    /// A question for a name in plain dotted form (no escapes), class IN.
    pub fn new(name: &str, qtype: u16) -> Question {
        let labels = name
            .trim_end_matches('.')
            .split('.')
            .filter(|l| !l.is_empty())
            .map(|l| l.as_bytes().to_vec())
            .collect();
        Question {
            labels,
            qtype,
            qclass: 1,
        }
    }

    /// The name in uncompressed wire form.
    pub fn name_wire(&self) -> Vec<u8> {
        let mut wire = Vec::new();
        for label in &self.labels {
            wire.push(label.len() as u8);
            wire.extend_from_slice(label);
        }
        wire.push(0);
        wire
    }
}

impl fmt::Display for Question {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {}",
            name_to_text(&self.name_wire()),
            class_text(self.qclass),
            type_text(self.qtype)
        )
    }
}

/// The EDNS(0) part of a query (RFC 6891).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EdnsOptions {
    /// Requester's UDP payload size (sent as is, even below 512).
    pub payload: u16,
    /// EDNS version (only 0 is defined; others get BADVERS).
    pub version: u8,
    /// The DO bit (RFC 3225).
    pub dnssec_ok: bool,
}

/// Header bits and EDNS of a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryOptions {
    /// Message ID.
    pub id: u16,
    /// RD.
    pub rd: bool,
    /// CD.
    pub cd: bool,
    /// The OPT record, if any.
    pub edns: Option<EdnsOptions>,
}

impl QueryOptions {
    /// No flags, no EDNS.
    pub fn plain(id: u16) -> QueryOptions {
        QueryOptions {
            id,
            rd: false,
            cd: false,
            edns: None,
        }
    }
}

impl fmt::Display for QueryOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.rd { "+rd" } else { "+nord" })?;
        if self.cd {
            f.write_str(" +cd")?;
        }
        match self.edns {
            None => f.write_str(" +noedns"),
            Some(e) => write!(
                f,
                " +edns={} +bufsize={}{}",
                e.version,
                e.payload,
                if e.dnssec_ok { " +dnssec" } else { "" }
            ),
        }
    }
}

/// Builds a query with hickory (an implementation independent of ours).
pub fn build_query(question: &Question, options: &QueryOptions) -> Vec<u8> {
    use hickory_proto::op::{Edns, Message, MessageType, OpCode, Query};
    use hickory_proto::rr::{DNSClass, Name, RecordType};
    let name = Name::from_labels(question.labels.iter().map(|l| l.as_slice()))
        .unwrap_or_else(|e| panic!("question name {question}: {e}"));
    let mut message = Message::new(options.id, MessageType::Query, OpCode::Query);
    message.metadata.recursion_desired = options.rd;
    message.metadata.checking_disabled = options.cd;
    let mut query = Query::query(name, RecordType::from(question.qtype));
    query.set_query_class(DNSClass::from(question.qclass));
    message.add_query(query);
    if let Some(e) = options.edns {
        let mut edns = Edns::new();
        edns.set_max_payload(e.payload.max(512))
            .set_version(e.version)
            .set_dnssec_ok(e.dnssec_ok);
        message.set_edns(edns);
    }
    let mut bytes = message.to_vec().expect("hickory encodes the query");
    if let Some(e) = options.edns {
        // hickory raises payloads below 512 to 512 (RFC 6891 §6.2.5 is about
        // how to treat them, not about sending them): patch the OPT CLASS,
        // which sits 8 octets from the end of an OPT without options.
        let at = bytes.len() - 8;
        bytes[at..at + 2].copy_from_slice(&e.payload.to_be_bytes());
    }
    bytes
}

// ---------------------------------------------------------------------------
// Responses

/// A resource record as received: names decompressed, case kept.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Rr {
    /// Owner name, uncompressed wire form.
    pub owner: Vec<u8>,
    /// TYPE.
    pub rtype: u16,
    /// CLASS.
    pub class: u16,
    /// TTL.
    pub ttl: u32,
    /// RDATA with embedded names decompressed (RFC 3597 §4 types).
    pub rdata: Vec<u8>,
}

impl fmt::Display for Rr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            name_to_text(&self.owner),
            self.ttl,
            class_text(self.class),
            type_text(self.rtype),
            rdata_text(self.rtype, &self.rdata)
        )
    }
}

/// The OPT record of a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opt {
    /// Responder's UDP payload size.
    pub payload: u16,
    /// Upper eight bits of the extended RCODE.
    pub ext_rcode: u8,
    /// EDNS version.
    pub version: u8,
    /// Flags (DO is 0x8000).
    pub flags: u16,
    /// The options, as received.
    pub options: Vec<u8>,
}

/// A parsed response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// Message ID.
    pub id: u16,
    /// The header flags word without the RCODE bits.
    pub flags: u16,
    /// The RCODE, with the OPT's upper bits (RFC 6891 §6.1.3).
    pub rcode: u16,
    /// The question section: (name as received, type, class).
    pub question: Vec<(Vec<u8>, u16, u16)>,
    /// The answer section.
    pub answer: Vec<Rr>,
    /// The authority section.
    pub authority: Vec<Rr>,
    /// The additional section without the OPT record.
    pub additional: Vec<Rr>,
    /// The OPT record.
    pub opt: Option<Opt>,
    /// Length of the message.
    pub len: usize,
}

/// Reads a possibly compressed name at `pos`; returns it uncompressed and
/// the position after it. Rejects loops, forward pointers that do not end,
/// and names over 255 octets.
pub fn read_name(msg: &[u8], mut pos: usize) -> Result<(Vec<u8>, usize), String> {
    let mut name = Vec::new();
    let mut end = None;
    let mut jumps = 0;
    loop {
        let len = *msg.get(pos).ok_or("name runs past the end")?;
        match len & 0xc0 {
            0x00 => {
                name.push(len);
                if len == 0 {
                    break;
                }
                let label = msg
                    .get(pos + 1..pos + 1 + usize::from(len))
                    .ok_or("label runs past the end")?;
                name.extend_from_slice(label);
                pos += 1 + usize::from(len);
            }
            0xc0 => {
                let low = *msg.get(pos + 1).ok_or("pointer runs past the end")?;
                end.get_or_insert(pos + 2);
                jumps += 1;
                if jumps > 127 {
                    return Err("compression loop".into());
                }
                pos = usize::from(u16::from_be_bytes([len & 0x3f, low]));
            }
            _ => return Err(format!("label type {len:#04x}")),
        }
        if name.len() > 255 {
            return Err("name longer than 255 octets".into());
        }
    }
    Ok((name, end.unwrap_or(pos + 1)))
}

/// Parts of the RDATA of types whose names may be compressed (RFC 3597 §4:
/// the RFC 1035 types, and those receivers decompress).
#[derive(Clone, Copy)]
enum Part {
    Name,
    Fixed(usize),
    CharString,
}

fn compressible_layout(rtype: u16) -> Option<&'static [Part]> {
    use Part::*;
    Some(match rtype {
        // NS MD MF CNAME MB MG MR PTR DNAME
        2 | 3 | 4 | 5 | 7 | 8 | 9 | 12 | 39 => &[Name],
        6 => &[Name, Name, Fixed(20)],          // SOA
        14 | 17 => &[Name, Name],               // MINFO, RP
        15 | 18 | 21 | 36 => &[Fixed(2), Name], // MX AFSDB RT KX
        26 => &[Fixed(2), Name, Name],          // PX
        33 => &[Fixed(6), Name],                // SRV
        35 => &[Fixed(4), CharString, CharString, CharString, Name], // NAPTR
        _ => return None,
    })
}

fn read_rdata(msg: &[u8], start: usize, len: usize, rtype: u16) -> Result<Vec<u8>, String> {
    let end = start + len;
    let raw = msg.get(start..end).ok_or("RDATA runs past the end")?;
    let Some(layout) = compressible_layout(rtype) else {
        return Ok(raw.to_vec());
    };
    let mut out = Vec::with_capacity(len);
    let mut pos = start;
    for part in layout {
        match *part {
            Part::Name => {
                let (name, next) = read_name(msg, pos)?;
                out.extend_from_slice(&name);
                pos = next;
            }
            Part::Fixed(n) => {
                out.extend_from_slice(msg.get(pos..pos + n).ok_or("short RDATA")?);
                pos += n;
            }
            Part::CharString => {
                let n = usize::from(*msg.get(pos).ok_or("short RDATA")?);
                out.extend_from_slice(msg.get(pos..pos + 1 + n).ok_or("short RDATA")?);
                pos += 1 + n;
            }
        }
    }
    if pos != end {
        return Err(format!(
            "RDATA of type {rtype} has {len} octets, read {}",
            pos - start
        ));
    }
    Ok(out)
}

/// `rr` with its owner and the names inside its RDATA (for the types whose
/// layout [`parse_reply`] knows) in lower case.
pub fn lowercase_names(rr: &Rr) -> Rr {
    let mut out = rr.clone();
    out.owner = lowercase_wire_name(&rr.owner);
    if let Some(layout) = compressible_layout(rr.rtype) {
        let mut pos = 0;
        for part in layout {
            match *part {
                Part::Name => {
                    let Ok((name, next)) = read_name(&rr.rdata, pos) else {
                        break;
                    };
                    out.rdata[pos..next].copy_from_slice(&lowercase_wire_name(&name));
                    pos = next;
                }
                Part::Fixed(n) => pos += n,
                Part::CharString => {
                    pos += 1 + usize::from(*rr.rdata.get(pos).unwrap_or(&0));
                }
            }
        }
    }
    out
}

/// An uncompressed wire name in lower case (labels only, not the lengths).
pub fn lowercase_wire_name(wire: &[u8]) -> Vec<u8> {
    let mut out = wire.to_vec();
    let mut pos = 0;
    while let Some(&len) = wire.get(pos) {
        if len == 0 || len & 0xc0 != 0 {
            break;
        }
        let end = (pos + 1 + usize::from(len)).min(wire.len());
        out[pos + 1..end].make_ascii_lowercase();
        pos = end;
    }
    out
}

fn be16(msg: &[u8], at: usize) -> Result<u16, String> {
    msg.get(at..at + 2)
        .map(|b| u16::from_be_bytes([b[0], b[1]]))
        .ok_or_else(|| format!("message ends at {at}"))
}

/// Parses a response with our own small reader (names and RFC 3597 §4
/// RDATA names decompressed, nothing else interpreted).
pub fn parse_reply(msg: &[u8]) -> Result<Reply, String> {
    if msg.len() < 12 {
        return Err(format!("{} octets: shorter than a header", msg.len()));
    }
    let id = be16(msg, 0)?;
    let flags_word = be16(msg, 2)?;
    let counts: Vec<u16> = (0..4)
        .map(|i| be16(msg, 4 + 2 * i))
        .collect::<Result<_, _>>()?;
    let mut pos = 12;
    let mut question = Vec::new();
    for _ in 0..counts[0] {
        let (name, next) = read_name(msg, pos)?;
        question.push((name, be16(msg, next)?, be16(msg, next + 2)?));
        pos = next + 4;
    }
    let mut sections: [Vec<Rr>; 3] = Default::default();
    let mut opt = None;
    for (i, section) in sections.iter_mut().enumerate() {
        for _ in 0..counts[i + 1] {
            let (owner, next) = read_name(msg, pos)?;
            let rtype = be16(msg, next)?;
            let class = be16(msg, next + 2)?;
            let ttl = (u32::from(be16(msg, next + 4)?) << 16) | u32::from(be16(msg, next + 6)?);
            let rdlen = usize::from(be16(msg, next + 8)?);
            let rdata = read_rdata(msg, next + 10, rdlen, rtype)?;
            pos = next + 10 + rdlen;
            if rtype == 41 && i == 2 {
                if opt.is_some() {
                    return Err("two OPT records".into());
                }
                opt = Some(Opt {
                    payload: class,
                    ext_rcode: (ttl >> 24) as u8,
                    version: (ttl >> 16) as u8,
                    flags: ttl as u16,
                    options: rdata,
                });
                continue;
            }
            section.push(Rr {
                owner,
                rtype,
                class,
                ttl,
                rdata,
            });
        }
    }
    if pos != msg.len() {
        return Err(format!("{} octets after the last record", msg.len() - pos));
    }
    let [answer, authority, additional] = sections;
    let ext = opt.as_ref().map_or(0, |o| u16::from(o.ext_rcode));
    Ok(Reply {
        id,
        flags: flags_word & !0x000f,
        rcode: (ext << 4) | (flags_word & 0xf),
        question,
        answer,
        authority,
        additional,
        opt,
        len: msg.len(),
    })
}

/// Checks that hickory (an independent implementation) parses `msg`.
pub fn hickory_parses(msg: &[u8]) -> Result<(), String> {
    hickory_proto::op::Message::from_vec(msg)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

// ---------------------------------------------------------------------------
// Presentation (for reports)

/// A wire name in master-file form, with `\.`, `\\` and `\DDD` escapes.
pub fn name_to_text(wire: &[u8]) -> String {
    let mut out = String::new();
    let mut pos = 0;
    while let Some(&len) = wire.get(pos) {
        if len == 0 {
            break;
        }
        for &b in wire.get(pos + 1..pos + 1 + usize::from(len)).unwrap_or(&[]) {
            match b {
                b'.' | b'\\' | b'"' | b'(' | b')' | b';' | b'@' | b'$' => {
                    out.push('\\');
                    out.push(b as char);
                }
                0x21..=0x7e => out.push(b as char),
                _ => out.push_str(&format!("\\{b:03}")),
            }
        }
        out.push('.');
        pos += 1 + usize::from(len);
    }
    if out.is_empty() {
        out.push('.');
    }
    out
}

/// A type mnemonic (ours), or `TYPEnnn`.
pub fn type_text(rtype: u16) -> String {
    dns_zone::type_mnemonic(dns_zone::RecordType::from(rtype)).into_owned()
}

/// `IN`, `CH`, `ANY` or `CLASSnnn`.
pub fn class_text(class: u16) -> String {
    match class {
        1 => "IN".into(),
        3 => "CH".into(),
        255 => "ANY".into(),
        n => format!("CLASS{n}"),
    }
}

/// RDATA in presentation form where our printer knows the type, else in
/// RFC 3597 generic form.
pub fn rdata_text(rtype: u16, rdata: &[u8]) -> String {
    let t = dns_zone::RecordType::from(rtype);
    match dns_zone::Rdata::from_wire(t, rdata) {
        Ok(rd) => rd.to_text(t),
        Err(_) => {
            let hex: String = rdata.iter().map(|b| format!("{b:02X}")).collect();
            format!("\\# {} {hex}", rdata.len())
        }
    }
}

/// An RCODE mnemonic (RFC 6895 §2.3).
pub fn rcode_text(rcode: u16) -> String {
    match rcode {
        0 => "NOERROR".into(),
        1 => "FORMERR".into(),
        2 => "SERVFAIL".into(),
        3 => "NXDOMAIN".into(),
        4 => "NOTIMP".into(),
        5 => "REFUSED".into(),
        6 => "YXDOMAIN".into(),
        9 => "NOTAUTH".into(),
        16 => "BADVERS".into(),
        n => format!("RCODE{n}"),
    }
}

/// The header flags set in `flags`, dig-style (`qr aa tc rd ra ad cd`).
pub fn flags_text(flags: u16) -> String {
    let names = [
        (QR, "qr"),
        (AA, "aa"),
        (TC, "tc"),
        (RD, "rd"),
        (RA, "ra"),
        (AD, "ad"),
        (CD, "cd"),
    ];
    let set: Vec<&str> = names
        .iter()
        .filter(|(bit, _)| flags & bit != 0)
        .map(|(_, n)| *n)
        .collect();
    set.join(" ")
}

impl fmt::Display for Reply {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            ";; {} flags: {} ({} octets)",
            rcode_text(self.rcode),
            flags_text(self.flags),
            self.len
        )?;
        if let Some(o) = &self.opt {
            writeln!(
                f,
                ";; OPT payload {} version {} flags {:#06x} options {:02x?}",
                o.payload, o.version, o.flags, o.options
            )?;
        }
        for (name, t, c) in &self.question {
            writeln!(
                f,
                ";{} {} {}",
                name_to_text(name),
                class_text(*c),
                type_text(*t)
            )?;
        }
        for (title, section) in [
            ("ANSWER", &self.answer),
            ("AUTHORITY", &self.authority),
            ("ADDITIONAL", &self.additional),
        ] {
            if !section.is_empty() {
                writeln!(f, ";; {title}")?;
                for rr in section {
                    writeln!(f, "{rr}")?;
                }
            }
        }
        Ok(())
    }
}

/// The address a test's server of index `slot` listens on: this process's
/// loopback address, port 5300 + slot.
pub fn server_addr(slot: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(loopback_for_this_process()), 5300 + slot)
}
