//! The socket API over operating-system sockets (through mio), for the
//! host-process build of every unikernel: same services, same boot
//! arguments, plus `--listen=IP:PORT` for the address to serve on.

extern crate std;

use crate::api::{
    Instant, ListenHandle, NetError, Poll, Service, Sockets, TcpHandle, TcpStatus, UdpHandle,
};
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::time::Duration;
use mio::net::{TcpListener, TcpStream, UdpSocket};
use mio::{Events, Interest, Token};
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::{mpsc, Arc};

use crate::os_batch::UdpBatch;

/// Events taken from the OS per wait.
const EVENTS: usize = 1024;
/// The token of the waker of [`UdpForwarder`]s (others count up from 1).
const WAKER: Token = Token(usize::MAX);

/// One UDP socket with its batches and its address (asked once: a
/// `getsockname` per answer showed in the profile).
struct OsUdp {
    socket: UdpSocket,
    batch: UdpBatch,
    local: SocketAddr,
}

/// Hands datagrams received elsewhere (a query worker's socket, bound to
/// the same address with `SO_REUSEPORT`) to an [`OsStack`]'s service, as if
/// its own UDP socket of the served port had received them: its answers
/// leave from that socket, with the same source address. `Send` and
/// `Clone`, one per worker thread.
#[derive(Clone)]
pub struct UdpForwarder {
    to_stack: mpsc::Sender<(SocketAddr, Vec<u8>)>,
    waker: Arc<mio::Waker>,
}

impl UdpForwarder {
    /// Queues `datagram` from `from` for the stack and wakes its event loop.
    /// Lost (as a datagram may be) if that stack has stopped.
    pub fn forward(&self, from: SocketAddr, datagram: &[u8]) {
        if self.to_stack.send((from, datagram.to_vec())).is_ok() {
            let _ = self.waker.wake();
        }
    }
}

struct Connection {
    stream: TcpStream,
    generation: u32,
    idle_timeout: Duration,
    last_activity: Instant,
    connecting: bool,
    peer_closed: bool,
    /// We sent FIN (`tcp_close`).
    write_shut: bool,
    closed: bool,
}

/// OS sockets behind the [`Sockets`] API, with a mio event loop.
pub struct OsStack {
    poll: mio::Poll,
    listen: Option<SocketAddr>,
    start: std::time::Instant,
    now: Instant,
    /// Something was read, written or accepted since the last wait: poll the
    /// service again before sleeping (mio readiness is edge-triggered).
    progress: bool,
    udp: Vec<OsUdp>,
    /// Bind served ports with `SO_REUSEPORT` (query workers share them).
    reuse_port: bool,
    /// Send the served UDP port's datagrams to the group's other sockets,
    /// this many, at random ([`OsStack::steer_to_workers`]); 0: no.
    steer_to: usize,
    /// Datagrams forwarded by [`UdpForwarder`]s, delivered to `served_udp`.
    forwarded: Option<mpsc::Receiver<(SocketAddr, Vec<u8>)>>,
    /// The first UDP socket bound to a non-ephemeral port: the served one.
    served_udp: Option<usize>,
    listeners: Vec<(TcpListener, Duration)>,
    connections: Vec<Option<Connection>>,
    generations: Vec<u32>,
    next_token: usize,
}

fn os_error(error: io::Error) -> NetError {
    match error.kind() {
        io::ErrorKind::AddrInUse => NetError::AddressInUse,
        io::ErrorKind::WouldBlock => NetError::WouldBlock,
        _ => NetError::Os(error.raw_os_error().unwrap_or(0)),
    }
}

impl OsStack {
    /// A stack whose sockets bind `listen` (every bind, whatever port the
    /// service asks for: a host process serves one address) or, without it,
    /// `0.0.0.0:<port>`.
    pub fn new(listen: Option<SocketAddr>) -> io::Result<OsStack> {
        Ok(OsStack {
            poll: mio::Poll::new()?,
            listen,
            start: std::time::Instant::now(),
            now: Instant(0),
            progress: false,
            udp: Vec::new(),
            reuse_port: false,
            steer_to: 0,
            forwarded: None,
            served_udp: None,
            listeners: Vec::new(),
            connections: Vec::new(),
            generations: Vec::new(),
            next_token: 0,
        })
    }

    fn bind_address(&self, port: u16) -> SocketAddr {
        match (self.listen, port) {
            // Ephemeral: the listen address's IP, any port.
            (Some(listen), 0) => SocketAddr::new(listen.ip(), 0),
            (Some(listen), _) => listen,
            (None, port) => SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port),
        }
    }

    /// Binds the UDP sockets of non-ephemeral ports with `SO_REUSEPORT`, so
    /// that query workers (other stacks, in other threads) can bind the
    /// same address and the kernel spreads clients across them. Call before
    /// the service binds.
    pub fn set_reuse_port(&mut self, on: bool) {
        self.reuse_port = on;
    }

    /// With [`OsStack::set_reuse_port`]: the datagrams of the served UDP
    /// port go at random to the `workers` sockets that join its group
    /// after this stack's (query workers in other threads, binding after
    /// the service has bound), none to this stack's: its service answers
    /// only what the workers forward (UPDATE, NOTIFY, signed queries) and
    /// TCP. Left to itself the kernel hashes each client to one socket of
    /// the group, and dnsperf's four clients gave one thread four times
    /// the work of the other. Call before the service binds.
    pub fn steer_to_workers(&mut self, workers: usize) {
        self.steer_to = workers;
    }

    /// A forwarder into this stack (see [`UdpForwarder`]).
    pub fn udp_forwarder(&mut self) -> io::Result<UdpForwarder> {
        let waker = Arc::new(mio::Waker::new(self.poll.registry(), WAKER)?);
        let (to_stack, from_workers) = mpsc::channel();
        self.forwarded = Some(from_workers);
        Ok(UdpForwarder { to_stack, waker })
    }

    fn token(&mut self) -> Token {
        self.next_token += 1;
        Token(self.next_token)
    }

    fn clock(&self) -> Instant {
        Instant(self.start.elapsed().as_nanos() as u64)
    }

    fn connection_mut(&mut self, handle: TcpHandle) -> Option<&mut Connection> {
        self.connections
            .get_mut(handle.0)?
            .as_mut()
            .filter(|c| c.generation == handle.1)
    }

    fn add_connection(
        &mut self,
        mut stream: TcpStream,
        idle_timeout: Duration,
        connecting: bool,
    ) -> Result<TcpHandle, NetError> {
        let token = self.token();
        self.poll
            .registry()
            .register(&mut stream, token, Interest::READABLE | Interest::WRITABLE)
            .map_err(os_error)?;
        let _ = stream.set_nodelay(true);
        let now = self.now;
        let make = |generation| Connection {
            stream,
            generation,
            idle_timeout,
            last_activity: now,
            connecting,
            peer_closed: false,
            write_shut: false,
            closed: false,
        };
        Ok(match self.connections.iter().position(Option::is_none) {
            Some(index) => {
                self.connections[index] = Some(make(self.generations[index]));
                TcpHandle(index, self.generations[index])
            }
            None => {
                self.connections.push(Some(make(0)));
                self.generations.push(0);
                TcpHandle(self.connections.len() - 1, 0)
            }
        })
    }

    fn expire_idle(&mut self) -> Option<Instant> {
        let now = self.now;
        let mut next: Option<Instant> = None;
        for connection in self.connections.iter_mut().flatten().filter(|c| !c.closed) {
            let deadline = connection.last_activity.after(connection.idle_timeout);
            if deadline <= now {
                let _ = connection.stream.shutdown(std::net::Shutdown::Both);
                connection.closed = true;
                self.progress = true;
            } else {
                next = Some(next.map_or(deadline, |n| n.min(deadline)));
            }
        }
        next
    }

    /// Sends the datagrams queued by [`Sockets::udp_send`]; the event loop
    /// does so after every poll of the service (they go out in batches).
    pub fn flush_udp(&mut self) {
        for udp in &mut self.udp {
            if udp.batch.has_queued() {
                udp.batch.flush(udp.socket.as_raw_fd());
            }
        }
    }

    /// Runs `service` until it exits; returns its exit status.
    pub fn run(&mut self, service: &mut dyn Service) -> io::Result<i32> {
        let mut events = Events::with_capacity(EVENTS);
        loop {
            self.now = self.clock();
            let idle_deadline = self.expire_idle();
            self.progress = false;
            let polled = service.poll(self);
            self.flush_udp();
            let wanted = match polled {
                Poll::Exit(status) => return Ok(status),
                Poll::Until(deadline) => deadline,
            };
            let timeout = if self.progress {
                Some(Duration::ZERO)
            } else {
                let deadline = match (wanted, idle_deadline) {
                    (Some(a), Some(b)) => Some(a.min(b)),
                    (a, b) => a.or(b),
                };
                deadline.map(|d| d.since(self.clock()))
            };
            match self.poll.poll(&mut events, timeout) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }
}

impl Sockets for OsStack {
    fn now(&self) -> Instant {
        self.now
    }

    fn unix_time(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    }

    fn udp_bind(&mut self, port: u16) -> Result<UdpHandle, NetError> {
        let address = self.bind_address(port);
        let mut socket = if self.reuse_port && port != 0 {
            let socket = bind_reuse_port(address).map_err(os_error)?;
            if self.steer_to > 0 && self.served_udp.is_none() {
                crate::os_batch::steer_past_first(&socket, self.steer_to).map_err(os_error)?;
            }
            UdpSocket::from_std(socket)
        } else {
            UdpSocket::bind(address).map_err(os_error)?
        };
        let local = socket.local_addr().map_err(os_error)?;
        let token = self.token();
        self.poll
            .registry()
            .register(&mut socket, token, Interest::READABLE)
            .map_err(os_error)?;
        if port != 0 && self.served_udp.is_none() {
            self.served_udp = Some(self.udp.len());
        }
        self.udp.push(OsUdp {
            socket,
            batch: UdpBatch::new(),
            local,
        });
        Ok(UdpHandle(self.udp.len() - 1))
    }

    fn udp_recv(
        &mut self,
        handle: UdpHandle,
        buf: &mut [u8],
    ) -> Result<Option<(usize, SocketAddr)>, NetError> {
        if self.served_udp == Some(handle.0) {
            if let Some((from, datagram)) = self.forwarded.as_ref().and_then(|r| r.try_recv().ok())
            {
                self.progress = true;
                let n = datagram.len().min(buf.len());
                buf[..n].copy_from_slice(&datagram[..n]);
                return Ok(Some((n, from)));
            }
        }
        let udp = self.udp.get_mut(handle.0).ok_or(NetError::InvalidHandle)?;
        match udp.batch.recv(udp.socket.as_raw_fd(), buf) {
            Ok(Some(received)) => {
                self.progress = true;
                Ok(Some(received))
            }
            Ok(None) => Ok(None),
            Err(error) => Err(os_error(error)),
        }
    }

    fn udp_send(&mut self, handle: UdpHandle, to: SocketAddr, data: &[u8]) -> Result<(), NetError> {
        let udp = self.udp.get_mut(handle.0).ok_or(NetError::InvalidHandle)?;
        if data.len() > u16::MAX as usize {
            return Err(NetError::TooLarge);
        }
        // Family mismatches are refused now, as send_to would; other
        // refusals surface at the flush, where they count as loss.
        if udp.local.is_ipv4() != to.is_ipv4() || to.port() == 0 || to.ip().is_unspecified() {
            return Err(NetError::Unreachable);
        }
        udp.batch.send(udp.socket.as_raw_fd(), to, data);
        Ok(())
    }

    fn tcp_listen(
        &mut self,
        port: u16,
        _backlog: usize,
        idle_timeout: Duration,
    ) -> Result<ListenHandle, NetError> {
        // The kernel keeps its own accept queue.
        let mut listener = TcpListener::bind(self.bind_address(port)).map_err(os_error)?;
        let token = self.token();
        self.poll
            .registry()
            .register(&mut listener, token, Interest::READABLE)
            .map_err(os_error)?;
        self.listeners.push((listener, idle_timeout));
        Ok(ListenHandle(self.listeners.len() - 1))
    }

    fn tcp_accept(
        &mut self,
        handle: ListenHandle,
    ) -> Result<Option<(TcpHandle, SocketAddr)>, NetError> {
        let (listener, idle_timeout) = self
            .listeners
            .get(handle.0)
            .ok_or(NetError::InvalidHandle)?;
        let idle_timeout = *idle_timeout;
        match listener.accept() {
            Ok((stream, peer)) => {
                self.progress = true;
                Ok(Some((
                    self.add_connection(stream, idle_timeout, false)?,
                    peer,
                )))
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(None),
            Err(error) => Err(os_error(error)),
        }
    }

    fn tcp_connect(
        &mut self,
        to: SocketAddr,
        idle_timeout: Duration,
    ) -> Result<TcpHandle, NetError> {
        let stream = TcpStream::connect(to).map_err(os_error)?;
        self.add_connection(stream, idle_timeout, true)
    }

    fn tcp_status(&self, handle: TcpHandle) -> TcpStatus {
        let Some(connection) = self
            .connections
            .get(handle.0)
            .and_then(Option::as_ref)
            .filter(|c| c.generation == handle.1)
        else {
            return TcpStatus::Closed;
        };
        if connection.closed || (connection.peer_closed && connection.write_shut) {
            TcpStatus::Closed
        } else if connection.connecting {
            match (
                connection.stream.take_error(),
                connection.stream.peer_addr(),
            ) {
                (Ok(None), Ok(_)) => TcpStatus::Open,
                (Ok(None), Err(e)) if e.kind() == io::ErrorKind::NotConnected => {
                    TcpStatus::Connecting
                }
                _ => TcpStatus::Closed,
            }
        } else if connection.peer_closed {
            TcpStatus::PeerClosed
        } else {
            TcpStatus::Open
        }
    }

    fn tcp_read(&mut self, handle: TcpHandle, buf: &mut [u8]) -> Result<usize, NetError> {
        if self.tcp_status(handle) == TcpStatus::Connecting {
            return Ok(0);
        }
        let now = self.now;
        let connection = self.connection_mut(handle).ok_or(NetError::InvalidHandle)?;
        connection.connecting = false;
        if connection.closed || connection.peer_closed || buf.is_empty() {
            return Ok(0);
        }
        match connection.stream.read(buf) {
            Ok(0) => {
                connection.peer_closed = true;
                self.progress = true;
                Ok(0)
            }
            Ok(n) => {
                connection.last_activity = now;
                self.progress = true;
                Ok(n)
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(_) => {
                connection.closed = true;
                Ok(0)
            }
        }
    }

    fn tcp_write(&mut self, handle: TcpHandle, data: &[u8]) -> Result<usize, NetError> {
        if self.tcp_status(handle) == TcpStatus::Connecting {
            return Ok(0);
        }
        let now = self.now;
        let connection = self.connection_mut(handle).ok_or(NetError::InvalidHandle)?;
        connection.connecting = false;
        if connection.closed {
            return Err(NetError::NotConnected);
        }
        match connection.stream.write(data) {
            Ok(n) => {
                if n > 0 {
                    connection.last_activity = now;
                    self.progress = true;
                }
                Ok(n)
            }
            Err(error) if error.kind() == io::ErrorKind::WouldBlock => Ok(0),
            Err(_) => {
                connection.closed = true;
                Err(NetError::NotConnected)
            }
        }
    }

    fn tcp_unsent(&self, _handle: TcpHandle) -> usize {
        // The kernel owns written data and delivers it even after close.
        0
    }

    fn tcp_close(&mut self, handle: TcpHandle) {
        if let Some(connection) = self.connection_mut(handle) {
            let _ = connection.stream.shutdown(std::net::Shutdown::Write);
            connection.write_shut = true;
        }
    }

    fn tcp_release(&mut self, handle: TcpHandle) {
        if let Some(mut connection) = self
            .connection_mut(handle)
            .map(|_| ())
            .and_then(|_| self.connections[handle.0].take())
        {
            let _ = self.poll.registry().deregister(&mut connection.stream);
            self.generations[handle.0] = self.generations[handle.0].wrapping_add(1);
        }
    }
}

/// A non-blocking UDP socket bound to `address` with `SO_REUSEPORT`.
fn bind_reuse_port(address: SocketAddr) -> io::Result<std::net::UdpSocket> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(address), Type::DGRAM, None)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&address.into())?;
    Ok(socket.into())
}
