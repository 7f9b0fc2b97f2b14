//! The echo service, written once against `netstack::Sockets`: UDP and TCP
//! echo servers, or a TCP client that sends a pattern and reports its
//! checksum.

use alloc::vec;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;
use netstack::{ListenHandle, Poll, Service, Sockets, TcpHandle, TcpStatus, UdpHandle};

/// Connections accepted concurrently at the protocol level.
const BACKLOG: usize = 80;
/// How long the client waits for its connection to be established.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const CHUNK: usize = 16 * 1024;

/// A line printer: the console in images, stdout on the host.
pub type Log = fn(core::fmt::Arguments<'_>);

/// FNV-1a, 64 bits, continued from `state` (start with [`FNV_OFFSET`]).
pub fn fnv1a64(mut state: u64, bytes: &[u8]) -> u64 {
    for &b in bytes {
        state ^= b as u64;
        state = state.wrapping_mul(0x0000_0100_0000_01b3);
    }
    state
}

/// FNV-1a 64 offset basis.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// The client's byte stream: xorshift64 words from a seed.
struct Pattern(u64);

impl Pattern {
    fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            chunk.copy_from_slice(&self.0.to_le_bytes()[..chunk.len()]);
        }
    }
}

struct Connection {
    handle: TcpHandle,
    /// Read but not yet echoed back.
    pending: Vec<u8>,
}

/// What the service does.
pub enum Mode {
    /// Echo UDP and TCP on `port`.
    Server {
        /// Port for both protocols.
        port: u16,
        /// TCP idle timeout.
        idle_timeout: Duration,
    },
    /// Send `bytes` bytes of the pattern seeded with `seed` to `to`.
    Client {
        /// Where to connect.
        to: SocketAddr,
        /// How much to send.
        bytes: u64,
        /// Pattern seed (non-zero).
        seed: u64,
    },
}

/// The echo service.
pub struct Echo {
    mode: Mode,
    log: Log,
    buf: Vec<u8>,
    udp: Option<UdpHandle>,
    listener: Option<ListenHandle>,
    connections: Vec<Connection>,
    client: Option<Client>,
}

struct Client {
    handle: TcpHandle,
    started: netstack::Instant,
    pattern: Pattern,
    chunk: Vec<u8>,
    chunk_sent: usize,
    sent: u64,
    checksum: u64,
    closed: bool,
}

impl Echo {
    /// A service in `mode`, printing through `log`.
    pub fn new(mode: Mode, log: Log) -> Echo {
        Echo {
            mode,
            log,
            buf: vec![0; 65536],
            udp: None,
            listener: None,
            connections: Vec::new(),
            client: None,
        }
    }

    fn serve(&mut self, net: &mut dyn Sockets, port: u16, idle_timeout: Duration) -> Poll {
        if self.udp.is_none() {
            let bound = net
                .udp_bind(port)
                .and_then(|udp| Ok((udp, net.tcp_listen(port, BACKLOG, idle_timeout)?)));
            match bound {
                Ok((udp, listener)) => {
                    self.udp = Some(udp);
                    self.listener = Some(listener);
                    (self.log)(format_args!("echo: serving UDP and TCP on port {port}"));
                }
                Err(error) => {
                    (self.log)(format_args!("echo: cannot bind port {port}: {error}"));
                    return Poll::Exit(1);
                }
            }
        }
        let (Some(udp), Some(listener)) = (self.udp, self.listener) else {
            return Poll::Exit(1);
        };
        while let Ok(Some((len, from))) = net.udp_recv(udp, &mut self.buf) {
            // A full transmit queue drops the echo, as a busy server would.
            let _ = net.udp_send(udp, from, &self.buf[..len]);
        }
        while let Ok(Some((handle, _peer))) = net.tcp_accept(listener) {
            self.connections.push(Connection {
                handle,
                pending: Vec::new(),
            });
        }
        let buf = &mut self.buf;
        self.connections
            .retain_mut(|connection| echo_tcp(net, connection, buf));
        Poll::Until(None)
    }

    fn send(&mut self, net: &mut dyn Sockets, to: SocketAddr, bytes: u64, seed: u64) -> Poll {
        if self.client.is_none() {
            match net.tcp_connect(to, Duration::from_secs(30)) {
                Ok(handle) => {
                    self.client = Some(Client {
                        handle,
                        started: net.now(),
                        pattern: Pattern(seed.max(1)),
                        chunk: vec![0; CHUNK],
                        chunk_sent: CHUNK,
                        sent: 0,
                        checksum: FNV_OFFSET,
                        closed: false,
                    })
                }
                Err(error) => {
                    (self.log)(format_args!("client: cannot connect to {to}: {error}"));
                    return Poll::Exit(1);
                }
            }
        }
        let log = self.log;
        let client = self.client.as_mut().expect("client set above");
        let status = net.tcp_status(client.handle);
        match status {
            TcpStatus::Connecting => {
                let deadline = client.started.after(CONNECT_TIMEOUT);
                if net.now() >= deadline {
                    log(format_args!(
                        "client: no connection to {to} after {CONNECT_TIMEOUT:?}"
                    ));
                    return Poll::Exit(1);
                }
                return Poll::Until(Some(deadline));
            }
            TcpStatus::Closed | TcpStatus::PeerClosed if !client.closed => {
                log(format_args!(
                    "client: connection to {to} lost after {} bytes",
                    client.sent
                ));
                return Poll::Exit(1);
            }
            _ => {}
        }
        while client.sent < bytes {
            if client.chunk_sent == CHUNK {
                client.pattern.fill(&mut client.chunk);
                client.chunk_sent = 0;
            }
            let want = (CHUNK - client.chunk_sent).min((bytes - client.sent) as usize);
            let piece = &client.chunk[client.chunk_sent..client.chunk_sent + want];
            match net.tcp_write(client.handle, piece) {
                Ok(0) => break,
                Ok(n) => {
                    client.checksum = fnv1a64(client.checksum, &piece[..n]);
                    client.chunk_sent += n;
                    client.sent += n as u64;
                }
                Err(error) => {
                    log(format_args!(
                        "client: write failed after {} bytes: {error}",
                        client.sent
                    ));
                    return Poll::Exit(1);
                }
            }
        }
        // Whatever the server sends back is not part of the check.
        while let Ok(n) = net.tcp_read(client.handle, &mut self.buf) {
            if n == 0 {
                break;
            }
        }
        if client.sent == bytes && !client.closed {
            net.tcp_close(client.handle);
            client.closed = true;
        }
        if client.closed && status != TcpStatus::Open && net.tcp_unsent(client.handle) == 0 {
            log(format_args!(
                "client: sent {} bytes fnv1a64={:016x}",
                client.sent, client.checksum
            ));
            net.tcp_release(client.handle);
            return Poll::Exit(0);
        }
        Poll::Until(None)
    }
}

/// Echoes what arrived; false when the connection is finished.
fn echo_tcp(net: &mut dyn Sockets, connection: &mut Connection, buf: &mut [u8]) -> bool {
    loop {
        if !connection.pending.is_empty() {
            match net.tcp_write(connection.handle, &connection.pending) {
                Ok(n) => {
                    connection.pending.drain(..n);
                    if !connection.pending.is_empty() {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        match net.tcp_read(connection.handle, buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => match net.tcp_write(connection.handle, &buf[..n]) {
                Ok(written) => connection.pending.extend_from_slice(&buf[written..n]),
                Err(_) => break,
            },
        }
    }
    match net.tcp_status(connection.handle) {
        TcpStatus::PeerClosed if connection.pending.is_empty() => {
            net.tcp_close(connection.handle);
            true
        }
        TcpStatus::Closed => {
            net.tcp_release(connection.handle);
            false
        }
        _ => true,
    }
}

impl Service for Echo {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        match self.mode {
            Mode::Server { port, idle_timeout } => self.serve(net, port, idle_timeout),
            Mode::Client { to, bytes, seed } => self.send(net, to, bytes, seed),
        }
    }
}
