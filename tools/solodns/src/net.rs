//! Sockets for the signed requests: the SERVER argument, one UDP exchange
//! with retransmissions, DNS over TCP (RFC 1035 §4.2.2, RFC 7766), the
//! clock and random numbers. Every wait is bounded.

use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream, ToSocketAddrs, UdpSocket};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use dns_wire::{flags, Header};

/// The DNS port.
pub const PORT: u16 = 53;

/// Largest message sent over UDP without EDNS (RFC 1035 §4.2.1); larger
/// ones go over TCP, as nsupdate does.
pub const UDP_LIMIT: usize = 512;

/// `SERVER`: `IP`, `IP:PORT`, `[IPv6]`, `[IPv6]:PORT`, or a host name with
/// an optional `:PORT` (the system resolver's first address). Port 53 by
/// default.
pub fn parse_server(s: &str) -> Result<SocketAddr, String> {
    if let Ok(a) = s.parse::<SocketAddr>() {
        if a.port() == 0 {
            return Err(format!(
                "port 0 in '{s}': give a port number from 1 to 65535"
            ));
        }
        return Ok(a);
    }
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, PORT));
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner
            .parse::<Ipv6Addr>()
            .map(|ip| SocketAddr::new(ip.into(), PORT))
            .map_err(|_| format!("'{inner}' is not an IPv6 address"));
    }
    let usage = || format!("'{s}' is not IP[:PORT] (IPv6 as [ADDRESS]:PORT) or HOST[:PORT]");
    let (host, port) = match s.rsplit_once(':') {
        None => (s, PORT),
        Some((h, p)) if !h.contains(':') && !h.starts_with('[') => (
            h,
            p.parse::<u16>()
                .ok()
                .filter(|&p| p != 0)
                .ok_or_else(|| format!("'{p}' is not a port number (1-65535)"))?,
        ),
        Some(_) => return Err(usage()),
    };
    let is_host_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_');
    if host.is_empty() || !host.chars().all(is_host_char) {
        return Err(usage());
    }
    (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("cannot resolve '{host}': {e}"))?
        .next()
        .ok_or_else(|| format!("'{host}' has no address"))
}

/// Seconds since the epoch, shifted by `offset` (tests of BADTIME).
pub fn unix_time(offset: i64) -> u64 {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    now.saturating_add_signed(offset)
}

/// Fills `buf` from the operating system's random source.
pub fn random_bytes(buf: &mut [u8]) -> Result<(), String> {
    getrandom::fill(buf).map_err(|e| format!("no random numbers from the system: {e}"))
}

/// A random message ID (RFC 5452 §4.3: unpredictable).
pub fn random_id() -> Result<u16, String> {
    let mut b = [0u8; 2];
    random_bytes(&mut b)?;
    Ok(u16::from_be_bytes(b))
}

/// Whether `msg` is a response with ID `id` and opcode `opcode`.
pub fn answers(msg: &[u8], id: u16, opcode: u8) -> bool {
    Header::parse(msg).is_ok_and(|h| h.id == id && h.is_response() && h.opcode() == opcode)
}

/// Whether the TC bit is set.
pub fn truncated(msg: &[u8]) -> bool {
    Header::parse(msg).is_ok_and(|h| h.flags & flags::TC != 0)
}

/// Sends `msg` over UDP and returns the first datagram from the server
/// that `is_answer` accepts; sends again after each `timeout` without one,
/// `1 + retries` times in all.
pub fn udp_exchange(
    server: SocketAddr,
    msg: &[u8],
    timeout: Duration,
    retries: u32,
    is_answer: impl Fn(&[u8]) -> bool,
) -> Result<Vec<u8>, String> {
    let local: SocketAddr = if server.is_ipv4() {
        (Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let io = |e: std::io::Error| format!("{server} (UDP): {e}");
    let sock = UdpSocket::bind(local).map_err(io)?;
    // Connected: the kernel drops datagrams from other addresses.
    sock.connect(server).map_err(io)?;
    let mut buf = vec![0u8; 65535];
    for _ in 0..=retries {
        sock.send(msg).map_err(io)?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            sock.set_read_timeout(Some(left)).map_err(io)?;
            match sock.recv(&mut buf) {
                Ok(n) if is_answer(&buf[..n]) => return Ok(buf[..n].to_vec()),
                Ok(_) => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => break,
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                    return Err(format!(
                        "{server}: connection refused (nothing listens on UDP port {})",
                        server.port()
                    ))
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) => return Err(io(e)),
            }
        }
    }
    Err(format!(
        "no answer from {server} over UDP ({} tries, {} s each)",
        retries + 1,
        timeout.as_secs()
    ))
}

/// A DNS-over-TCP connection: two-octet length before each message.
pub struct Tcp {
    stream: TcpStream,
    server: SocketAddr,
    timeout: Duration,
}

impl Tcp {
    /// Connects within `timeout`; every later read and write is bounded
    /// by it too.
    pub fn connect(server: SocketAddr, timeout: Duration) -> Result<Tcp, String> {
        let stream = TcpStream::connect_timeout(&server, timeout).map_err(|e| match e.kind() {
            ErrorKind::ConnectionRefused => format!(
                "{server}: connection refused (nothing listens on TCP port {})",
                server.port()
            ),
            ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                format!("{server}: no TCP connection within {} s", timeout.as_secs())
            }
            _ => format!("{server} (TCP): {e}"),
        })?;
        let _ = stream.set_nodelay(true);
        stream
            .set_read_timeout(Some(timeout))
            .and_then(|()| stream.set_write_timeout(Some(timeout)))
            .map_err(|e| format!("{server} (TCP): {e}"))?;
        Ok(Tcp {
            stream,
            server,
            timeout,
        })
    }

    fn error(&self, e: std::io::Error) -> String {
        match e.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
                "{}: nothing received over TCP for {} s",
                self.server,
                self.timeout.as_secs()
            ),
            ErrorKind::UnexpectedEof | ErrorKind::ConnectionReset => {
                format!("{}: the server closed the TCP connection", self.server)
            }
            _ => format!("{} (TCP): {e}", self.server),
        }
    }

    /// Sends one message.
    pub fn send(&mut self, msg: &[u8]) -> Result<(), String> {
        let len = u16::try_from(msg.len())
            .map_err(|_| format!("the message is too large for DNS ({} octets)", msg.len()))?;
        let mut framed = Vec::with_capacity(msg.len() + 2);
        framed.extend_from_slice(&len.to_be_bytes());
        framed.extend_from_slice(msg);
        self.stream.write_all(&framed).map_err(|e| self.error(e))
    }

    /// Receives one message; `None` when the server closed the connection
    /// between messages.
    pub fn recv(&mut self) -> Result<Option<Vec<u8>>, String> {
        let mut len = [0u8; 2];
        let mut got = 0;
        while got < 2 {
            match self.stream.read(&mut len[got..]) {
                Ok(0) if got == 0 => return Ok(None),
                Ok(0) => return Err(self.error(ErrorKind::UnexpectedEof.into())),
                Ok(n) => got += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset && got == 0 => return Ok(None),
                Err(e) => return Err(self.error(e)),
            }
        }
        let mut msg = vec![0u8; usize::from(u16::from_be_bytes(len))];
        self.stream
            .read_exact(&mut msg)
            .map_err(|e| self.error(e))?;
        Ok(Some(msg))
    }
}

/// Sends `msg` over TCP and returns the first message `is_answer` accepts.
pub fn tcp_exchange(
    server: SocketAddr,
    msg: &[u8],
    timeout: Duration,
    is_answer: impl Fn(&[u8]) -> bool,
) -> Result<Vec<u8>, String> {
    let mut conn = Tcp::connect(server, timeout)?;
    conn.send(msg)?;
    loop {
        match conn.recv()? {
            Some(m) if is_answer(&m) => return Ok(m),
            Some(_) => {}
            None => {
                return Err(format!(
                    "{server}: the server closed the TCP connection without an answer"
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_forms() {
        let ok =
            |s: &str, want: &str| assert_eq!(parse_server(s).unwrap().to_string(), want, "{s}");
        ok("192.0.2.1", "192.0.2.1:53");
        ok("192.0.2.1:5353", "192.0.2.1:5353");
        ok("2001:db8::1", "[2001:db8::1]:53");
        ok("[2001:db8::1]", "[2001:db8::1]:53");
        ok("[2001:db8::1]:5353", "[2001:db8::1]:5353");
        ok(
            "localhost:5300",
            &parse_server("localhost:5300").unwrap().to_string(),
        );
        assert_eq!(parse_server("localhost:5300").unwrap().port(), 5300);
        for bad in [
            "",
            "192.0.2.1:",
            "192.0.2.1:0",
            "192.0.2.1:65536",
            "192.0.2.1:port",
            "[2001:db8::1",
            "[nonsense]",
            "[2001:db8::1]:x",
            "a b",
            "host:53:53",
        ] {
            assert!(parse_server(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn clock_and_ids() {
        let now = unix_time(0);
        assert!(now > 1_700_000_000);
        assert!(unix_time(-300) <= now - 299);
        assert!(unix_time(300) >= now + 300);
        // 64 IDs, not all equal.
        let ids: std::collections::BTreeSet<u16> = (0..64).map(|_| random_id().unwrap()).collect();
        assert!(ids.len() > 1);
    }

    #[test]
    fn tcp_framing_and_udp_timeout() {
        use std::net::TcpListener;
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            let (mut s, _) = listener.accept().unwrap();
            let mut len = [0u8; 2];
            s.read_exact(&mut len).unwrap();
            let mut m = vec![0; usize::from(u16::from_be_bytes(len))];
            s.read_exact(&mut m).unwrap();
            // An unrelated message first, then the answer, split in pieces.
            s.write_all(&[0, 3, 9, 9, 9]).unwrap();
            s.write_all(&[0]).unwrap();
            s.flush().unwrap();
            std::thread::sleep(Duration::from_millis(20));
            let mut answer = vec![0u8, m.len() as u8];
            answer.extend_from_slice(&m);
            s.write_all(&answer[1..]).unwrap();
        });
        let got = tcp_exchange(addr, b"hello", Duration::from_secs(5), |m| m == b"hello").unwrap();
        assert_eq!(got, b"hello");
        server.join().unwrap();

        // A UDP socket that never answers: bounded, with the count of tries.
        let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
        let start = Instant::now();
        let e = udp_exchange(
            silent.local_addr().unwrap(),
            b"x",
            Duration::from_secs(1),
            1,
            |_| true,
        )
        .unwrap_err();
        assert!(e.contains("2 tries"), "{e}");
        assert!(start.elapsed() < Duration::from_secs(4));
    }
}
