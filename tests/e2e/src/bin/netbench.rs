//! netbench: load generators and minimal echo servers for `scripts/bench-net`
//! and the network tests. Run it inside a test namespace with
//! `ip netns exec NAME netbench SUBCOMMAND ...`.
//!
//! ```text
//! netbench udp-rtt --server IP:PORT --seconds S [--size N] [--window W]
//! netbench tcp-throughput --server IP:PORT --seconds S [--conns C]
//! netbench udp-echo-server --listen IP:PORT
//! netbench tcp-echo-server --listen IP:PORT
//! netbench tcp-sink --listen IP:PORT [--expect BYTES] [--timeout S]
//! netbench tap-udp-echo --tap NAME --ipv4 ADDR
//! netbench wait-udp|wait-tcp --server IP:PORT [--timeout S]
//! ```
//! Options take `--name value` or `--name=value`. Servers run until killed;
//! everything else is bounded in time. Exit status 1 on a failed check
//! (udp-rtt: nothing echoed or an echo differs; lost datagrams are only
//! counted).

#![deny(unsafe_code)]
use std::collections::{HashMap, VecDeque};
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream, UdpSocket};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use e2e::{fnv1a64, FNV1A64_INIT};

const USAGE: &str = "usage: netbench udp-rtt --server IP:PORT --seconds S [--size N] [--window W]
       netbench tcp-throughput --server IP:PORT --seconds S [--conns C]
       netbench udp-echo-server --listen IP:PORT
       netbench tcp-echo-server --listen IP:PORT
       netbench tcp-sink --listen IP:PORT [--expect BYTES] [--timeout S]
       netbench tap-udp-echo --tap NAME --ipv4 ADDR
       netbench wait-udp|wait-tcp --server IP:PORT [--timeout S]";

/// A UDP datagram not echoed within this time counts as lost.
const UDP_TIMEOUT: Duration = Duration::from_secs(1);
/// A TCP connection that makes no progress for this long fails.
const TCP_STALL: Duration = Duration::from_secs(5);

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = argv.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = Opts::from_args(rest).and_then(|opts| match command.as_str() {
        "udp-rtt" => udp_rtt(
            opts.addr("server")?,
            opts.seconds("seconds", None)?,
            opts.num("size", 64)?,
            opts.num("window", 1)?,
        ),
        "tcp-throughput" => tcp_throughput(
            opts.addr("server")?,
            opts.seconds("seconds", None)?,
            opts.num("conns", 1)?,
        ),
        "udp-echo-server" => udp_echo_server(opts.addr("listen")?),
        "tcp-echo-server" => tcp_echo_server(opts.addr("listen")?),
        "tcp-sink" => tcp_sink(
            opts.addr("listen")?,
            opts.get("expect")
                .map(|_| opts.num("expect", 0))
                .transpose()?,
            opts.seconds("timeout", Some(60.0))?,
        ),
        "tap-udp-echo" => tap_udp_echo(opts.req("tap")?, opts.parse("ipv4")?),
        "wait-udp" => wait_udp(opts.addr("server")?, opts.seconds("timeout", Some(10.0))?),
        "wait-tcp" => wait_tcp(opts.addr("server")?, opts.seconds("timeout", Some(10.0))?),
        _ => Err(format!("unknown subcommand {command:?}\n{USAGE}")),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("netbench {command}: {message}");
            ExitCode::FAILURE
        }
    }
}

type Result<T> = std::result::Result<T, String>;

/// `--name value` / `--name=value` options.
struct Opts(HashMap<String, String>);

impl Opts {
    fn from_args(args: &[String]) -> Result<Opts> {
        let mut map = HashMap::new();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let Some(name) = arg.strip_prefix("--") else {
                return Err(format!("unexpected argument {arg:?}\n{USAGE}"));
            };
            let (name, value) = match name.split_once('=') {
                Some((name, value)) => (name, value.to_string()),
                None => (
                    name,
                    args.next()
                        .ok_or(format!("--{name} needs a value"))?
                        .clone(),
                ),
            };
            map.insert(name.to_string(), value);
        }
        Ok(Opts(map))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    fn req(&self, name: &str) -> Result<&str> {
        self.get(name)
            .ok_or(format!("--{name} is required\n{USAGE}"))
    }

    fn parse<T: std::str::FromStr>(&self, name: &str) -> Result<T> {
        let value = self.req(name)?;
        value.parse().map_err(|_| format!("bad --{name} {value:?}"))
    }

    fn addr(&self, name: &str) -> Result<SocketAddr> {
        self.parse(name)
    }

    fn num<T: std::str::FromStr>(&self, name: &str, default: T) -> Result<T> {
        match self.get(name) {
            None => Ok(default),
            Some(_) => self.parse(name),
        }
    }

    fn seconds(&self, name: &str, default: Option<f64>) -> Result<Duration> {
        let seconds = match (self.get(name), default) {
            (None, Some(default)) => default,
            _ => self.parse(name)?,
        };
        Duration::try_from_secs_f64(seconds).map_err(|_| format!("bad --{name} {seconds}"))
    }
}

fn err(context: &str) -> impl Fn(io::Error) -> String + '_ {
    move |e| format!("{context}: {e}")
}

fn timed_out(e: &io::Error) -> bool {
    matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut)
}

fn unspecified_for(addr: SocketAddr) -> SocketAddr {
    if addr.is_ipv4() {
        "0.0.0.0:0".parse().unwrap()
    } else {
        "[::]:0".parse().unwrap()
    }
}

/// xorshift64*: cheap deterministic filler for payloads.
fn fill_pseudorandom(seed: u64, out: &mut [u8]) {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    for chunk in out.chunks_mut(8) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        let word = x.wrapping_mul(0x2545_f491_4f6c_dd1d).to_le_bytes();
        chunk.copy_from_slice(&word[..chunk.len()]);
    }
}

/// Datagram `seq`: the sequence number (8 bytes, little-endian), then
/// filler derived from it, `size` bytes in all (at least 8).
fn udp_payload(seq: u64, out: &mut [u8]) {
    out[..8].copy_from_slice(&seq.to_le_bytes());
    fill_pseudorandom(seq, &mut out[8..]);
}

fn udp_rtt(server: SocketAddr, duration: Duration, size: usize, window: usize) -> Result<()> {
    if !(8..=65507).contains(&size) || window == 0 {
        return Err("--size must be 8..=65507 and --window at least 1".into());
    }
    let socket = UdpSocket::bind(unspecified_for(server)).map_err(err("bind"))?;
    socket.connect(server).map_err(err("connect"))?;
    // Short, so that expired datagrams are noticed within 50 ms of their 1 s.
    socket
        .set_read_timeout(Some(Duration::from_millis(50)))
        .map_err(err("set timeout"))?;
    let (mut tx, mut expect, mut rx) = (vec![0; size], vec![0; size], vec![0; 65536]);
    // In flight, oldest first: (sequence number, time sent).
    let mut in_flight: VecDeque<(u64, Instant)> = VecDeque::with_capacity(window);
    let (mut next_seq, mut echoed, mut lost, mut mismatched) = (0u64, 0u64, 0u64, 0u64);
    let start = Instant::now();
    let (end, mut last_echo) = (start + duration, start);
    loop {
        let now = Instant::now();
        while in_flight
            .front()
            .is_some_and(|&(_, sent)| now - sent >= UDP_TIMEOUT)
        {
            in_flight.pop_front();
            lost += 1;
        }
        while now < end && in_flight.len() < window {
            udp_payload(next_seq, &mut tx);
            // An error here is an earlier ICMP unreachable: ignore it, the
            // datagram counts as lost.
            let _ = socket.send(&tx);
            in_flight.push_back((next_seq, now));
            next_seq += 1;
        }
        if in_flight.is_empty() {
            break;
        }
        let n = match socket.recv(&mut rx) {
            Ok(n) => n,
            // ICMP port unreachable: the datagram will count as lost.
            Err(e) if timed_out(&e) || e.kind() == ErrorKind::ConnectionRefused => continue,
            Err(e) => return Err(format!("recv: {e}")),
        };
        let reply = &rx[..n];
        let seq = reply
            .get(..8)
            .map(|s| u64::from_le_bytes(s.try_into().unwrap()));
        let pos = seq.and_then(|seq| in_flight.iter().position(|&(s, _)| s == seq));
        match (seq, pos) {
            (Some(seq), Some(pos)) => {
                in_flight.remove(pos);
                udp_payload(seq, &mut expect);
                if reply == expect {
                    echoed += 1;
                    last_echo = Instant::now();
                } else {
                    mismatched += 1;
                }
            }
            // The echo of a datagram already counted as lost: late, not wrong.
            (Some(seq), None) if seq < next_seq => {}
            _ => mismatched += 1,
        }
    }
    let rate = echoed as f64 / (last_echo - start).as_secs_f64().max(1e-9);
    println!("udp-rtt: {rate:.0} rt/s, {lost} lost, {mismatched} mismatched");
    match (echoed, mismatched) {
        (0, _) => Err("nothing was echoed".into()),
        (_, 0) => Ok(()),
        _ => Err("some echoes differ from what was sent".into()),
    }
}

/// Length of the repeating pattern each TCP connection sends: a prime, so
/// that it does not line up with any buffer or segment size.
const PATTERN_LEN: usize = 65521;
const TCP_CHUNK: usize = 16384;

/// The byte stream of connection `id`: `pattern[i % PATTERN_LEN]`.
fn tcp_pattern(id: u64) -> Vec<u8> {
    let mut pattern = vec![0; PATTERN_LEN];
    fill_pseudorandom(0x7c90_0000 + id, &mut pattern);
    pattern
}

fn tcp_throughput(server: SocketAddr, duration: Duration, conns: usize) -> Result<()> {
    if conns == 0 {
        return Err("--conns must be at least 1".into());
    }
    let start = Instant::now();
    let end = start + duration;
    let workers: Vec<_> = (0..conns)
        .map(|id| thread::spawn(move || tcp_echo_conn(server, id as u64, end)))
        .collect();
    let mut total = 0u64;
    let mut failures = Vec::new();
    for (id, worker) in workers.into_iter().enumerate() {
        match worker.join().expect("connection thread panicked") {
            Ok(bytes) => total += bytes,
            Err(e) => failures.push(format!("connection {id}: {e}")),
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    if !failures.is_empty() {
        return Err(failures.join("; "));
    }
    let mib_s = total as f64 / elapsed / (1024.0 * 1024.0);
    println!("tcp-throughput: {mib_s:.1} MiB/s echoed ({total} bytes, {conns} connections)");
    Ok(())
}

/// One connection: a thread writes the pattern until `end` while this one
/// reads the echo back and checks it. Returns the bytes echoed. Does not
/// half-close: it stops once everything written has come back.
fn tcp_echo_conn(server: SocketAddr, id: u64, end: Instant) -> Result<u64> {
    let mut stream = TcpStream::connect_timeout(&server, TCP_STALL).map_err(err("connect"))?;
    stream
        .set_read_timeout(Some(Duration::from_millis(100)))
        .and_then(|()| stream.set_write_timeout(Some(TCP_STALL)))
        .map_err(err("set timeout"))?;
    let pattern = Arc::new(tcp_pattern(id));
    let written = Arc::new(AtomicU64::new(0));
    let done = Arc::new(AtomicBool::new(false));
    let writer = {
        let (mut stream, pattern) = (stream.try_clone().map_err(err("clone"))?, pattern.clone());
        let (written, done) = (written.clone(), done.clone());
        thread::spawn(move || -> Result<()> {
            let mut offset = 0;
            let result = loop {
                if Instant::now() >= end {
                    break Ok(());
                }
                let chunk = &pattern[offset..PATTERN_LEN.min(offset + TCP_CHUNK)];
                match stream.write(chunk) {
                    Ok(n) => {
                        offset = (offset + n) % PATTERN_LEN;
                        written.fetch_add(n as u64, Ordering::Release);
                    }
                    Err(e) => break Err(format!("write: {e}")),
                }
            };
            done.store(true, Ordering::Release);
            result
        })
    };
    let mut buf = vec![0; TCP_CHUNK];
    let (mut received, mut offset, mut progress) = (0u64, 0, Instant::now());
    let read_result = loop {
        // `done` first: after it, `written` is final.
        let finished = done.load(Ordering::Acquire);
        if finished && received == written.load(Ordering::Acquire) {
            break Ok(());
        }
        let n = match stream.read(&mut buf) {
            Ok(0) => break Err(format!("server closed after echoing {received} bytes")),
            Ok(n) => n,
            Err(e) if timed_out(&e) => {
                if progress.elapsed() > TCP_STALL {
                    break Err(format!("no echo for {TCP_STALL:?} after {received} bytes"));
                }
                continue;
            }
            Err(e) => break Err(format!("read: {e}")),
        };
        progress = Instant::now();
        // Compare with the pattern, which may wrap around inside `buf`.
        let mut data = &buf[..n];
        while !data.is_empty() {
            let take = data.len().min(PATTERN_LEN - offset);
            if data[..take] != pattern[offset..offset + take] {
                let _ = stream.shutdown(Shutdown::Both);
                let _ = writer.join();
                return Err(format!(
                    "echo differs from what was sent near byte {received}"
                ));
            }
            (data, offset) = (&data[take..], (offset + take) % PATTERN_LEN);
            received += take as u64;
        }
    };
    // Unblock the writer if the reader gave up.
    let _ = stream.shutdown(Shutdown::Both);
    let write_result = writer.join().expect("writer thread panicked");
    read_result.and(write_result).map(|()| received)
}

fn udp_echo_server(listen: SocketAddr) -> Result<()> {
    let socket = UdpSocket::bind(listen).map_err(err("bind"))?;
    let mut buf = vec![0; 65536];
    loop {
        let (n, peer) = socket.recv_from(&mut buf).map_err(err("recv"))?;
        // A peer that went away is its problem, not the server's.
        let _ = socket.send_to(&buf[..n], peer);
    }
}

fn tcp_echo_server(listen: SocketAddr) -> Result<()> {
    let listener = TcpListener::bind(listen).map_err(err("bind"))?;
    loop {
        let (stream, _) = match listener.accept() {
            Ok(accepted) => accepted,
            Err(e) if e.kind() == ErrorKind::ConnectionAborted => continue,
            Err(e) => return Err(format!("accept: {e}")),
        };
        thread::spawn(move || echo_stream(stream));
    }
}

/// Echoes until EOF, then half-closes; errors end the connection.
fn echo_stream(mut stream: TcpStream) {
    let mut buf = vec![0; 65536];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                if stream.write_all(&buf[..n]).is_err() {
                    return;
                }
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => return,
        }
    }
    let _ = stream.shutdown(Shutdown::Write);
}

/// Accepts one connection (within `timeout`), reads to EOF (failing after
/// `timeout` without data) and prints the byte count and FNV-1a hash.
fn tcp_sink(listen: SocketAddr, expect: Option<u64>, timeout: Duration) -> Result<()> {
    let listener = TcpListener::bind(listen).map_err(err("bind"))?;
    listener.set_nonblocking(true).map_err(err("nonblocking"))?;
    let deadline = Instant::now() + timeout;
    let mut stream = loop {
        match listener.accept() {
            Ok((stream, _)) => break stream,
            Err(e) if timed_out(&e) && Instant::now() < deadline => {
                thread::sleep(Duration::from_millis(5))
            }
            Err(e) if timed_out(&e) => return Err(format!("no connection within {timeout:?}")),
            Err(e) => return Err(format!("accept: {e}")),
        }
    };
    stream
        .set_nonblocking(false)
        .and_then(|()| stream.set_read_timeout(Some(timeout)))
        .map_err(err("set timeout"))?;
    let (mut buf, mut received, mut hash) = (vec![0; 65536], 0u64, FNV1A64_INIT);
    loop {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => {
                received += n as u64;
                hash = fnv1a64(hash, &buf[..n]);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read after {received} bytes: {e}")),
        }
    }
    println!("sink: received {received} bytes fnv1a64={hash:016x}");
    match expect {
        Some(expect) if expect != received => Err(format!("expected {expect} bytes")),
        _ => Ok(()),
    }
}

/// Sends a probe every 100 ms until it is echoed, for at most `timeout`.
fn wait_udp(server: SocketAddr, timeout: Duration) -> Result<()> {
    let socket = UdpSocket::bind(unspecified_for(server)).map_err(err("bind"))?;
    socket.connect(server).map_err(err("connect"))?;
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .map_err(err("set timeout"))?;
    let deadline = Instant::now() + timeout;
    let probe = b"netbench wait-udp";
    let mut buf = [0; 64];
    while Instant::now() < deadline {
        let _ = socket.send(probe);
        match socket.recv(&mut buf) {
            Ok(n) if &buf[..n] == probe => return Ok(()),
            Ok(_) => {}
            // Refused (nothing listening yet) returns at once: pace it.
            Err(_) => thread::sleep(Duration::from_millis(20)),
        }
    }
    Err(format!("no echo from {server} within {timeout:?}"))
}

/// Connects every 100 ms until a connection succeeds, for at most `timeout`.
fn wait_tcp(server: SocketAddr, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if TcpStream::connect_timeout(&server, Duration::from_millis(500)).is_ok() {
            return Ok(());
        }
        thread::sleep(Duration::from_millis(100));
    }
    Err(format!("cannot connect to {server} within {timeout:?}"))
}

/// A user process echoing UDP on a tap device of its own, the way a Solo5
/// tender moves frames (one read(2) or write(2) per frame): the ceiling for
/// a unikernel behind a tap. IPv4 only; answers ARP for `ip` and echoes
/// every UDP datagram sent to `ip`, any port.
fn tap_udp_echo(tap: &str, ip: Ipv4Addr) -> Result<()> {
    let mut tap_file = open_tap(tap).map_err(err("open tap"))?;
    const MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0xfe];
    let mut frame = vec![0u8; 65536];
    loop {
        let n = tap_file.read(&mut frame).map_err(err("read tap"))?;
        let f = &mut frame[..n];
        if n < 42 {
            continue;
        }
        // Ethernet: dst 0..6, src 6..12, type 12..14.
        match [f[12], f[13]] {
            // ARP request (htype 1, ptype IPv4, hlen 6, plen 4, op 1) for us:
            // turn it into the reply in place.
            [0x08, 0x06] if f[14..22] == [0, 1, 8, 0, 6, 4, 0, 1] && f[38..42] == ip.octets() => {
                let (sha, spa) = (
                    <[u8; 6]>::try_from(&f[22..28]).unwrap(),
                    [f[28], f[29], f[30], f[31]],
                );
                f[21] = 2;
                f[32..38].copy_from_slice(&sha);
                f[38..42].copy_from_slice(&spa);
                f[22..28].copy_from_slice(&MAC);
                f[28..32].copy_from_slice(&ip.octets());
                f[0..6].copy_from_slice(&sha);
                f[6..12].copy_from_slice(&MAC);
            }
            // IPv4, UDP, to us, not fragmented: swap the addresses and ports.
            // Both checksums stay valid, as swapping does not change the sums.
            [0x08, 0x00] => {
                let ihl = usize::from(f[14] & 0x0f) * 4;
                let udp = 14 + ihl;
                let fragmented = u16::from_be_bytes([f[20], f[21]]) & 0x3fff != 0;
                if f[14] >> 4 != 4
                    || f[23] != 17
                    || f[30..34] != ip.octets()
                    || fragmented
                    || n < udp + 8
                {
                    continue;
                }
                for (a, b) in [(0, 6), (26, 30), (udp, udp + 2)] {
                    let len = b - a;
                    let (head, tail) = f.split_at_mut(b);
                    head[a..].swap_with_slice(&mut tail[..len]);
                }
            }
            _ => continue,
        }
        // A frame the bridge cannot take now is simply lost, as on a wire.
        let _ = tap_file.write(f);
    }
}

/// Opens (attaches to) the existing tap device `name`, without packet info.
#[allow(unsafe_code)] // each unsafe block below says why (SAFETY)
fn open_tap(name: &str) -> io::Result<std::fs::File> {
    use std::os::fd::AsRawFd;
    const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
    const IFF_TAP: libc::c_short = 0x0002;
    const IFF_NO_PI: libc::c_short = 0x1000;
    #[repr(C)]
    struct IfReq {
        name: [u8; 16],
        flags: libc::c_short,
        _pad: [u8; 22],
    }
    if name.is_empty() || name.len() >= 16 {
        return Err(io::Error::new(
            ErrorKind::InvalidInput,
            "bad interface name",
        ));
    }
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/net/tun")?;
    let mut req = IfReq {
        name: [0; 16],
        flags: IFF_TAP | IFF_NO_PI,
        _pad: [0; 22],
    };
    req.name[..name.len()].copy_from_slice(name.as_bytes());
    // SAFETY: TUNSETIFF reads and writes a `struct ifreq`, which IfReq lays
    // out (40 bytes: name, then the flags of the union); the fd is open.
    if unsafe { libc::ioctl(file.as_raw_fd(), TUNSETIFF, &mut req) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(file)
}
