//! The socket API services are written against. Two implementations: the
//! smoltcp stack on a Solo5 net device ([`crate::SmolStack`]) and OS
//! sockets on the host ([`crate::OsStack`], feature `std`).
//!
//! Everything is non-blocking and single-threaded: a [`Service`] is polled
//! by the stack's event loop whenever something may have happened, does what
//! it can, and says when it next wants to be polled.

use core::fmt;
use core::net::SocketAddr;
use core::time::Duration;

/// Monotonic time in nanoseconds since an arbitrary start (boot).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub u64);

impl Instant {
    /// `self + duration`, saturating.
    pub fn after(self, duration: Duration) -> Instant {
        Instant(
            self.0
                .saturating_add(duration.as_nanos().min(u64::MAX as u128) as u64),
        )
    }

    /// Time from `earlier` to `self`, zero if `earlier` is later.
    pub fn since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

/// A bound UDP socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UdpHandle(pub(crate) usize);

/// A TCP listener (several listening sockets: a backlog).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ListenHandle(pub(crate) usize);

/// A TCP connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TcpHandle(pub(crate) usize, pub(crate) u32);

/// Where a TCP connection stands, from the service's point of view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpStatus {
    /// An outbound connection not yet established.
    Connecting,
    /// Established: may read and write.
    Open,
    /// The peer sent FIN and everything it sent has been read; may still write.
    PeerClosed,
    /// Gone (reset, timed out, idle too long, or fully closed): release it
    /// with [`Sockets::tcp_release`].
    Closed,
}

/// Errors of socket calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum NetError {
    /// The port is already bound (or listened on) by this stack.
    AddressInUse,
    /// No socket buffers left: the configured maximum of sockets is reached.
    Exhausted,
    /// The handle does not name a live socket (a caller mistake).
    InvalidHandle,
    /// The peer address cannot be used (unspecified, wrong family, no route).
    Unreachable,
    /// The datagram is larger than the socket's buffer.
    TooLarge,
    /// The transmit buffer is full now; try again after the next poll.
    WouldBlock,
    /// The connection is not in a state that allows this call.
    NotConnected,
    /// The operating system refused (host-process build), with `errno`.
    Os(i32),
}

impl fmt::Display for NetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NetError::AddressInUse => f.write_str("address already in use"),
            NetError::Exhausted => f.write_str("no socket left (raise the socket limit)"),
            NetError::InvalidHandle => f.write_str("invalid socket handle"),
            NetError::Unreachable => f.write_str("destination unreachable"),
            NetError::TooLarge => f.write_str("datagram larger than the socket buffer"),
            NetError::WouldBlock => f.write_str("transmit buffer full"),
            NetError::NotConnected => f.write_str("connection not open"),
            NetError::Os(errno) => write!(f, "operating system error {errno}"),
        }
    }
}

/// Buffer sizes and limits of a stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StackConfig {
    /// Receive buffer of each TCP connection, bytes.
    pub tcp_rx_bytes: usize,
    /// Transmit buffer of each TCP connection, bytes.
    pub tcp_tx_bytes: usize,
    /// Receive and transmit buffer of each UDP socket, bytes.
    pub udp_bytes: usize,
    /// Datagrams queued per UDP socket and direction.
    pub udp_packets: usize,
    /// Most TCP sockets (listening ones included) alive at once.
    pub max_tcp_sockets: usize,
}

impl Default for StackConfig {
    fn default() -> Self {
        StackConfig {
            // 64 KiB windows fill a LAN path; DNS over TCP needs at most 64 KiB a message.
            tcp_rx_bytes: 64 * 1024,
            tcp_tx_bytes: 64 * 1024,
            // A burst of 256 datagrams (dnsperf keeps 100 queries in flight and
            // sends them at once; with 64 the image dropped the rest), or of
            // 85 full-size ones: 192 KiB a direction, what a Linux socket
            // buffers by default (rmem_default 212 992).
            udp_bytes: 128 * 1536,
            udp_packets: 256,
            max_tcp_sockets: 512,
        }
    }
}

/// Non-blocking sockets. Calls never wait; "nothing now" is `Ok(None)` or
/// `Ok(0)`, and the service is polled again when something may have changed.
pub trait Sockets {
    /// Monotonic time of this poll.
    fn now(&self) -> Instant;
    /// Wall-clock time of this poll, seconds since the Unix epoch (TSIG).
    fn unix_time(&self) -> u64;

    /// Binds a UDP socket to `port` on every address of the interface (the
    /// host-process build binds its `--listen` address instead); port 0
    /// picks a free ephemeral port (for client traffic).
    fn udp_bind(&mut self, port: u16) -> Result<UdpHandle, NetError>;
    /// Receives one datagram into `buf` (truncated if longer); its length and sender.
    fn udp_recv(
        &mut self,
        socket: UdpHandle,
        buf: &mut [u8],
    ) -> Result<Option<(usize, SocketAddr)>, NetError>;
    /// Queues one datagram to `to`. Destinations are independent: on the
    /// smoltcp stack a datagram whose neighbour has not answered ARP/NDP
    /// yet waits in a queue of its own (dropped, with the neighbour given
    /// up, after 3 s of silence) and holds up nothing else; a full queue is
    /// `WouldBlock`, no route `Unreachable`.
    fn udp_send(&mut self, socket: UdpHandle, to: SocketAddr, data: &[u8]) -> Result<(), NetError>;

    /// Listens on TCP `port` with `backlog` connections accepted concurrently
    /// at the protocol level; connections close after `idle_timeout` without
    /// traffic.
    fn tcp_listen(
        &mut self,
        port: u16,
        backlog: usize,
        idle_timeout: Duration,
    ) -> Result<ListenHandle, NetError>;
    /// An established connection waiting to be taken, with its peer.
    fn tcp_accept(
        &mut self,
        listener: ListenHandle,
    ) -> Result<Option<(TcpHandle, SocketAddr)>, NetError>;
    /// Starts an outbound connection.
    fn tcp_connect(
        &mut self,
        to: SocketAddr,
        idle_timeout: Duration,
    ) -> Result<TcpHandle, NetError>;
    /// Where the connection stands.
    fn tcp_status(&self, connection: TcpHandle) -> TcpStatus;
    /// Reads what has arrived (0: nothing now; see [`Sockets::tcp_status`] for EOF).
    fn tcp_read(&mut self, connection: TcpHandle, buf: &mut [u8]) -> Result<usize, NetError>;
    /// Queues as much of `data` as fits; returns how much.
    fn tcp_write(&mut self, connection: TcpHandle, data: &[u8]) -> Result<usize, NetError>;
    /// Bytes written but not yet acknowledged or sent.
    fn tcp_unsent(&self, connection: TcpHandle) -> usize;
    /// Sends FIN after the queued data; the connection becomes `Closed` when
    /// both sides are done.
    fn tcp_close(&mut self, connection: TcpHandle);
    /// Forgets the connection (resetting it if still open) and frees its buffers.
    fn tcp_release(&mut self, connection: TcpHandle);
}

/// A network service driven by a stack's event loop.
pub trait Service {
    /// Does whatever is possible now; returns when it next needs polling if
    /// no network event comes first (`None`: only on network events), or
    /// [`Poll::Exit`] to end the event loop with a status.
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll;
}

/// What a [`Service`] wants after a poll.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Poll {
    /// Poll again at this time at the latest (or on the next network event).
    Until(Option<Instant>),
    /// Stop the event loop with this exit status.
    Exit(i32),
}
