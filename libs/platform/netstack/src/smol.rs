//! The socket API over smoltcp, on any smoltcp `Device`: the Solo5 net
//! device in images, smoltcp's loopback in host unit tests.

use crate::api::{
    Instant, ListenHandle, NetError, Sockets, StackConfig, TcpHandle, TcpStatus, UdpHandle,
};
use crate::config::IpConfig;
use crate::neighbor::{self, Observed, Resolver, Route, Waiting};
use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv6Addr, SocketAddr};
use core::time::Duration;
use smoltcp::iface::{Config, Interface, PollResult, SocketHandle, SocketSet};
use smoltcp::phy::Device;
use smoltcp::socket::{tcp, udp};
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpCidr};

/// How long a connection we closed may take to finish the FIN exchange
/// before it is reset.
const CLOSE_GRACE: Duration = Duration::from_secs(10);
/// Egress passes per poll: up to this many segments per socket go out
/// before frames are read again.
const EGRESS_PASSES: usize = 64;
/// First ephemeral port for outbound connections (IANA dynamic range).
const EPHEMERAL_FIRST: u16 = 49152;

struct Listener {
    port: u16,
    idle_timeout: Duration,
    /// Listening sockets; one is replaced each time a connection is accepted.
    sockets: Vec<SocketHandle>,
}

struct Connection {
    socket: SocketHandle,
    generation: u32,
    idle_timeout: Duration,
    last_activity: Instant,
    /// Set when we closed it for idleness: reported as `Closed` from then on.
    expired: bool,
}

/// A smoltcp interface and its sockets behind the [`Sockets`] API.
pub struct SmolStack<D: Device> {
    device: Observed<D>,
    iface: Interface,
    sockets: SocketSet<'static>,
    config: StackConfig,
    now: Instant,
    udp: Vec<Option<SocketHandle>>,
    listeners: Vec<Option<Listener>>,
    connections: Vec<Option<Connection>>,
    generations: Vec<u32>,
    tcp_sockets: usize,
    next_port: u16,
    /// Sockets released by the service, removed after the next poll.
    released: Vec<SocketHandle>,
    /// Wall-clock seconds at this poll, from the platform.
    unix_time: u64,
    /// UDP datagrams waiting for their neighbour (see `neighbor`).
    resolver: Resolver,
    ipv4_gateway: Option<core::net::Ipv4Addr>,
    ipv6_gateway: Option<Ipv6Addr>,
}

fn smol_instant(now: Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros((now.0 / 1000) as i64)
}

fn smol_duration(duration: Duration) -> smoltcp::time::Duration {
    smoltcp::time::Duration::from_micros(duration.as_micros().min(u64::MAX as u128) as u64)
}

/// The IPv6 link-local address (RFC 4862 §5.3) formed from the MAC (EUI-64).
fn link_local(mac: [u8; 6]) -> Ipv6Addr {
    Ipv6Addr::from([
        0xfe,
        0x80,
        0,
        0,
        0,
        0,
        0,
        0,
        mac[0] ^ 0x02,
        mac[1],
        mac[2],
        0xff,
        0xfe,
        mac[3],
        mac[4],
        mac[5],
    ])
}

impl<D: Device> SmolStack<D> {
    /// An interface with `mac` and the addresses of `ip` on `device`.
    /// `random_seed` varies TCP initial sequence numbers and ports per boot.
    pub fn new(
        mut device: D,
        mac: [u8; 6],
        ip: &IpConfig,
        config: StackConfig,
        random_seed: u64,
        now: Instant,
    ) -> Self {
        let mut iface_config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        iface_config.random_seed = random_seed;
        let mut iface = Interface::new(iface_config, &mut device, smol_instant(now));
        iface.update_ip_addrs(|addrs| {
            for cidr in [ip.ipv4, ip.ipv6].into_iter().flatten() {
                // Capacity is 4 (set in .cargo/config.toml): v4, v6, link-local.
                let _ = addrs.push(IpCidr::new(cidr.address.into(), cidr.prefix_len));
            }
            if ip.ipv6.is_some() {
                let _ = addrs.push(IpCidr::new(IpAddr::V6(link_local(mac)).into(), 64));
            }
        });
        if let Some(gateway) = ip.ipv4_gateway {
            let _ = iface.routes_mut().add_default_ipv4_route(gateway);
        }
        if let Some(gateway) = ip.ipv6_gateway {
            let _ = iface.routes_mut().add_default_ipv6_route(gateway);
        }
        SmolStack {
            device: Observed {
                inner: device,
                mac: EthernetAddress(mac),
                sightings: Vec::new(),
            },
            iface,
            sockets: SocketSet::new(Vec::new()),
            config,
            now,
            udp: Vec::new(),
            listeners: Vec::new(),
            connections: Vec::new(),
            generations: Vec::new(),
            tcp_sockets: 0,
            released: Vec::new(),
            unix_time: 0,
            next_port: EPHEMERAL_FIRST + (random_seed % 16384) as u16,
            resolver: Resolver::default(),
            ipv4_gateway: ip.ipv4_gateway,
            ipv6_gateway: ip.ipv6_gateway,
        }
    }

    /// Sets the wall-clock time (seconds since the epoch) services see.
    pub fn set_unix_time(&mut self, seconds: u64) {
        self.unix_time = seconds;
    }

    /// The device, for the event loop.
    pub fn device_mut(&mut self) -> &mut D {
        &mut self.device.inner
    }

    /// UDP datagrams dropped so far because their next hop never answered
    /// ARP/NDP.
    pub fn unresolved_drops(&self) -> u64 {
        self.resolver.dropped
    }

    /// Processes frames in and out at `now`; true when socket state may have
    /// changed (the service should be polled).
    pub fn poll_network(&mut self, now: Instant) -> bool {
        self.now = now;
        let at = smol_instant(now);
        let mut changed = self.iface.poll(at, &mut self.device, &mut self.sockets)
            == PollResult::SocketStateChanged;
        changed |= self.resolve_neighbours();
        // smoltcp sends one segment per socket per pass: keep going while
        // there is something to send (bounded, so ingress gets its turn).
        for _ in 0..EGRESS_PASSES {
            if self
                .iface
                .poll_egress(at, &mut self.device, &mut self.sockets)
                == PollResult::None
            {
                break;
            }
            changed = true;
        }
        for socket in self.released.drain(..) {
            self.sockets.remove(socket);
            self.tcp_sockets -= 1;
        }
        self.expire_idle();
        changed
    }

    /// The next time the stack needs `poll_network` if no frame arrives:
    /// retransmissions, delayed ACKs, idle timeouts.
    pub fn next_deadline(&mut self) -> Option<Instant> {
        let smol = self
            .iface
            .poll_delay(smol_instant(self.now), &self.sockets)
            .map(|delay| self.now.after(Duration::from_micros(delay.total_micros())));
        let smol = match (smol, self.resolver.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let idle = self
            .connections
            .iter()
            .flatten()
            .filter(|c| !c.expired)
            .map(|c| c.last_activity.after(c.idle_timeout))
            .min();
        match (smol, idle) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn expire_idle(&mut self) {
        for connection in self.connections.iter_mut().flatten() {
            if connection.expired
                || self.now.since(connection.last_activity) < connection.idle_timeout
            {
                continue;
            }
            connection.expired = true;
            let socket = self.sockets.get_mut::<tcp::Socket>(connection.socket);
            socket.close();
            socket.set_timeout(Some(smol_duration(CLOSE_GRACE)));
        }
    }

    fn new_tcp_socket(&mut self) -> Result<tcp::Socket<'static>, NetError> {
        if self.tcp_sockets >= self.config.max_tcp_sockets {
            return Err(NetError::Exhausted);
        }
        self.tcp_sockets += 1;
        let rx = tcp::SocketBuffer::new(vec![0; self.config.tcp_rx_bytes]);
        let tx = tcp::SocketBuffer::new(vec![0; self.config.tcp_tx_bytes]);
        let mut socket = tcp::Socket::new(rx, tx);
        // Request/response traffic (DNS) wants segments out at once.
        socket.set_nagle_enabled(false);
        socket.set_ack_delay(None);
        Ok(socket)
    }

    fn listening_socket(&mut self, port: u16) -> Result<SocketHandle, NetError> {
        let mut socket = self.new_tcp_socket()?;
        if socket.listen(port).is_err() {
            self.tcp_sockets -= 1;
            return Err(NetError::AddressInUse);
        }
        Ok(self.sockets.add(socket))
    }

    fn add_connection(&mut self, socket: SocketHandle, idle_timeout: Duration) -> TcpHandle {
        let connection = |generation| Connection {
            socket,
            generation,
            idle_timeout,
            last_activity: self.now,
            expired: false,
        };
        match self.connections.iter().position(Option::is_none) {
            Some(index) => {
                let generation = self.generations[index];
                self.connections[index] = Some(connection(generation));
                TcpHandle(index, generation)
            }
            None => {
                self.connections.push(Some(connection(0)));
                self.generations.push(0);
                TcpHandle(self.connections.len() - 1, 0)
            }
        }
    }

    fn connection(&self, handle: TcpHandle) -> Option<&Connection> {
        self.connections
            .get(handle.0)?
            .as_ref()
            .filter(|c| c.generation == handle.1)
    }

    fn connection_mut(&mut self, handle: TcpHandle) -> Option<&mut Connection> {
        self.connections
            .get_mut(handle.0)?
            .as_mut()
            .filter(|c| c.generation == handle.1)
    }

    fn udp_socket(&mut self, handle: UdpHandle) -> Result<&mut udp::Socket<'static>, NetError> {
        let socket = self
            .udp
            .get(handle.0)
            .copied()
            .flatten()
            .ok_or(NetError::InvalidHandle)?;
        Ok(self.sockets.get_mut::<udp::Socket>(socket))
    }

    fn ephemeral_port(&mut self) -> u16 {
        let port = self.next_port;
        self.next_port = if port == u16::MAX {
            EPHEMERAL_FIRST
        } else {
            port + 1
        };
        port
    }
}

/// Hands one datagram to its smoltcp socket.
fn send_now(
    socket: &mut udp::Socket<'static>,
    to: SocketAddr,
    data: &[u8],
) -> Result<(), NetError> {
    socket.send_slice(data, to).map_err(|error| match error {
        udp::SendError::BufferFull => NetError::WouldBlock,
        udp::SendError::Unaddressable => NetError::Unreachable,
    })
}

/// Neighbour resolution for UDP (the `neighbor` module holds the why).
impl<D: Device> SmolStack<D> {
    /// Whether frames to `to` need no neighbour (multicast, broadcast).
    fn needs_no_neighbour(&self, to: IpAddr) -> bool {
        let subnet_broadcast = |cidr: &IpCidr| match (cidr, to) {
            (IpCidr::Ipv4(cidr), IpAddr::V4(to)) => cidr.broadcast() == Some(to),
            _ => false,
        };
        to.is_multicast()
            || to == IpAddr::V4(core::net::Ipv4Addr::BROADCAST)
            || self.iface.ip_addrs().iter().any(subnet_broadcast)
    }

    /// The neighbour a datagram to `to` goes through: `to` itself on one of
    /// our subnets, else the gateway of its family; `None`: no route.
    fn next_hop(&self, to: IpAddr) -> Option<IpAddr> {
        let on_link = self
            .iface
            .ip_addrs()
            .iter()
            .any(|cidr| cidr.contains_addr(&to.into()));
        if on_link {
            return Some(to);
        }
        match to {
            IpAddr::V4(_) => self.ipv4_gateway.map(IpAddr::V4),
            IpAddr::V6(_) => self.ipv6_gateway.map(IpAddr::V6),
        }
    }

    /// Asks for the neighbour of `to` ahead of smoltcp (see
    /// `Resolver::prime`).
    fn prime_neighbour(&mut self, to: IpAddr) {
        if self.needs_no_neighbour(to) {
            return;
        }
        if let Some(next_hop) = self.next_hop(to) {
            self.resolver.prime(next_hop, self.now);
        }
    }

    /// Learns from the frames just received, hands datagrams whose
    /// neighbour is now known to smoltcp, asks the questions that are due
    /// and gives up on neighbours that never answered. True when datagrams
    /// were handed over.
    fn resolve_neighbours(&mut self) -> bool {
        let now = self.now;
        let sightings = core::mem::take(&mut self.device.sightings);
        if !sightings.is_empty() {
            let addrs = self.iface.ip_addrs();
            self.resolver.learn(
                sightings,
                |ip| addrs.iter().any(|cidr| IpAddr::from(cidr.address()) == ip),
                |ip| addrs.iter().any(|cidr| cidr.contains_addr(&ip.into())),
                now,
            );
        }
        let mut released = self.resolver.take_released(now);
        let handed_over = !released.is_empty();
        let mut index = 0;
        while index < released.len() {
            let datagram = &released[index];
            let handle = datagram.socket;
            let result = match self.udp_socket(handle) {
                Ok(socket) => send_now(socket, datagram.to, &datagram.data),
                Err(error) => Err(error),
            };
            if result == Err(NetError::WouldBlock) {
                // The socket's ring is full: the rest waits for the next poll.
                let rest = released.split_off(index);
                for datagram in rest {
                    let hop = self.next_hop(datagram.to.ip()).unwrap_or(datagram.to.ip());
                    self.resolver.put_back(hop, alloc::vec![datagram], now);
                }
                break;
            }
            index += 1;
        }
        for probe in self.resolver.due_probes(now) {
            let frame = match probe.target {
                IpAddr::V4(target) => {
                    let Some(source) = self.iface.get_source_address_ipv4(&target) else {
                        continue;
                    };
                    neighbor::arp_request(self.device.mac, source, target)
                }
                IpAddr::V6(target) => {
                    let source = self.iface.get_source_address_ipv6(&target);
                    neighbor::neighbor_solicitation(self.device.mac, source, target)
                }
            };
            if let Some(token) = self.device.inner.transmit(smol_instant(now)) {
                smoltcp::phy::TxToken::consume(token, frame.len(), |buf| {
                    buf.copy_from_slice(&frame)
                });
            }
        }
        handed_over
    }
}

impl<D: Device> Sockets for SmolStack<D> {
    fn now(&self) -> Instant {
        self.now
    }

    fn unix_time(&self) -> u64 {
        self.unix_time
    }

    fn udp_bind(&mut self, port: u16) -> Result<UdpHandle, NetError> {
        let buffer = || {
            udp::PacketBuffer::new(
                vec![udp::PacketMetadata::EMPTY; self.config.udp_packets],
                vec![0; self.config.udp_bytes],
            )
        };
        let mut socket = udp::Socket::new(buffer(), buffer());
        let port = if port == 0 {
            self.ephemeral_port()
        } else {
            port
        };
        let taken = self
            .udp
            .iter()
            .flatten()
            .any(|&h| self.sockets.get::<udp::Socket>(h).endpoint().port == port);
        if taken || socket.bind(port).is_err() {
            return Err(NetError::AddressInUse);
        }
        self.udp.push(Some(self.sockets.add(socket)));
        Ok(UdpHandle(self.udp.len() - 1))
    }

    fn udp_recv(
        &mut self,
        handle: UdpHandle,
        buf: &mut [u8],
    ) -> Result<Option<(usize, SocketAddr)>, NetError> {
        let socket = self.udp_socket(handle)?;
        match socket.recv() {
            Ok((data, meta)) => {
                let len = data.len().min(buf.len());
                buf[..len].copy_from_slice(&data[..len]);
                let from = SocketAddr::new(meta.endpoint.addr.into(), meta.endpoint.port);
                Ok(Some((len, from)))
            }
            Err(udp::RecvError::Exhausted) => Ok(None),
            Err(_) => Ok(None),
        }
    }

    fn udp_send(&mut self, handle: UdpHandle, to: SocketAddr, data: &[u8]) -> Result<(), NetError> {
        // No address of the destination's family: smoltcp would keep the
        // datagram queued for ever, holding up the socket's later ones.
        let family = self
            .iface
            .ip_addrs()
            .iter()
            .any(|cidr| IpAddr::from(cidr.address()).is_ipv4() == to.is_ipv4());
        let socket = self.udp_socket(handle)?;
        if to.ip().is_unspecified() || to.port() == 0 || !family {
            return Err(NetError::Unreachable);
        }
        if data.len() > socket.payload_send_capacity() {
            return Err(NetError::TooLarge);
        }
        if self.needs_no_neighbour(to.ip()) {
            return send_now(self.udp_socket(handle)?, to, data);
        }
        let Some(next_hop) = self.next_hop(to.ip()) else {
            return Err(NetError::Unreachable);
        };
        let datagram = Waiting {
            socket: handle,
            to,
            data: data.to_vec(),
        };
        match self.resolver.route(next_hop, datagram, self.now)? {
            Route::Queued => Ok(()),
            Route::Direct => send_now(self.udp_socket(handle)?, to, data),
        }
    }

    fn tcp_listen(
        &mut self,
        port: u16,
        backlog: usize,
        idle_timeout: Duration,
    ) -> Result<ListenHandle, NetError> {
        if self.listeners.iter().flatten().any(|l| l.port == port) {
            return Err(NetError::AddressInUse);
        }
        let mut sockets = Vec::new();
        for _ in 0..backlog.max(1) {
            match self.listening_socket(port) {
                Ok(socket) => sockets.push(socket),
                Err(error) => {
                    for socket in sockets {
                        self.sockets.remove(socket);
                        self.tcp_sockets -= 1;
                    }
                    return Err(error);
                }
            }
        }
        self.listeners.push(Some(Listener {
            port,
            idle_timeout,
            sockets,
        }));
        Ok(ListenHandle(self.listeners.len() - 1))
    }

    fn tcp_accept(
        &mut self,
        handle: ListenHandle,
    ) -> Result<Option<(TcpHandle, SocketAddr)>, NetError> {
        let listener = self
            .listeners
            .get(handle.0)
            .and_then(Option::as_ref)
            .ok_or(NetError::InvalidHandle)?;
        let ready = listener
            .sockets
            .iter()
            .enumerate()
            .find_map(|(slot, &socket)| {
                let s = self.sockets.get::<tcp::Socket>(socket);
                let established =
                    !matches!(s.state(), tcp::State::Listen | tcp::State::SynReceived);
                established.then(|| (slot, socket, s.remote_endpoint()))
            });
        let Some((slot, socket, remote)) = ready else {
            return Ok(None);
        };
        let (port, idle_timeout) = (listener.port, listener.idle_timeout);
        // Refill the backlog; if no socket is left, the listener shrinks by one.
        let replacement = self.listening_socket(port).ok();
        let listener = self.listeners[handle.0]
            .as_mut()
            .expect("listener checked above");
        match replacement {
            Some(fresh) => listener.sockets[slot] = fresh,
            None => {
                listener.sockets.swap_remove(slot);
            }
        }
        let connection = self.add_connection(socket, idle_timeout);
        let remote = remote.map(|e| SocketAddr::new(e.addr.into(), e.port));
        // A connection reset before we took it has no remote: hand it out
        // anyway, it reports Closed and the service releases it.
        Ok(Some((
            connection,
            remote.unwrap_or(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)),
        )))
    }

    fn tcp_connect(
        &mut self,
        to: SocketAddr,
        idle_timeout: Duration,
    ) -> Result<TcpHandle, NetError> {
        self.prime_neighbour(to.ip());
        let mut socket = self.new_tcp_socket()?;
        let local_port = self.ephemeral_port();
        if socket
            .connect(self.iface.context(), to, local_port)
            .is_err()
        {
            self.tcp_sockets -= 1;
            return Err(NetError::Unreachable);
        }
        let handle = self.sockets.add(socket);
        Ok(self.add_connection(handle, idle_timeout))
    }

    fn tcp_status(&self, handle: TcpHandle) -> TcpStatus {
        let Some(connection) = self.connection(handle) else {
            return TcpStatus::Closed;
        };
        let socket = self.sockets.get::<tcp::Socket>(connection.socket);
        if socket.can_recv() {
            return TcpStatus::Open;
        }
        if connection.expired {
            return TcpStatus::Closed;
        }
        match socket.state() {
            tcp::State::SynSent | tcp::State::SynReceived => TcpStatus::Connecting,
            tcp::State::Established | tcp::State::FinWait1 | tcp::State::FinWait2 => {
                TcpStatus::Open
            }
            tcp::State::CloseWait => TcpStatus::PeerClosed,
            _ => TcpStatus::Closed,
        }
    }

    fn tcp_read(&mut self, handle: TcpHandle, buf: &mut [u8]) -> Result<usize, NetError> {
        let now = self.now;
        let connection = self.connection_mut(handle).ok_or(NetError::InvalidHandle)?;
        let socket = connection.socket;
        let read = match self.sockets.get_mut::<tcp::Socket>(socket).recv_slice(buf) {
            Ok(n) => n,
            Err(tcp::RecvError::Finished) => 0,
            Err(tcp::RecvError::InvalidState) => return Err(NetError::NotConnected),
        };
        if read > 0 {
            if let Some(connection) = self.connection_mut(handle) {
                connection.last_activity = now;
            }
        }
        Ok(read)
    }

    fn tcp_write(&mut self, handle: TcpHandle, data: &[u8]) -> Result<usize, NetError> {
        let now = self.now;
        let connection = self.connection_mut(handle).ok_or(NetError::InvalidHandle)?;
        if connection.expired {
            return Err(NetError::NotConnected);
        }
        let socket = connection.socket;
        let written = self
            .sockets
            .get_mut::<tcp::Socket>(socket)
            .send_slice(data)
            .map_err(|_| NetError::NotConnected)?;
        if written > 0 {
            if let Some(connection) = self.connection_mut(handle) {
                connection.last_activity = now;
            }
        }
        Ok(written)
    }

    fn tcp_unsent(&self, handle: TcpHandle) -> usize {
        self.connection(handle).map_or(0, |c| {
            self.sockets.get::<tcp::Socket>(c.socket).send_queue()
        })
    }

    fn tcp_close(&mut self, handle: TcpHandle) {
        if let Some(connection) = self.connection(handle) {
            let socket = self.sockets.get_mut::<tcp::Socket>(connection.socket);
            socket.close();
            socket.set_timeout(Some(smol_duration(CLOSE_GRACE)));
        }
    }

    fn tcp_release(&mut self, handle: TcpHandle) {
        let Some(connection) = self.connection(handle) else {
            return;
        };
        let socket = connection.socket;
        let index = handle.0;
        let tcp = self.sockets.get_mut::<tcp::Socket>(socket);
        if !matches!(tcp.state(), tcp::State::Closed | tcp::State::TimeWait) {
            tcp.abort();
        }
        // Removed after the next interface poll has sent the RST.
        self.released.push(socket);
        self.connections[index] = None;
        self.generations[index] = self.generations[index].wrapping_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Cidr;
    use smoltcp::phy::{Loopback, Medium};

    /// An IPv4-only stack refuses datagrams to IPv6 addresses at once
    /// (rather than queueing them for ever) and takes IPv4 ones.
    #[test]
    fn udp_to_a_family_without_an_address_is_unreachable() {
        let ip = IpConfig {
            ipv4: Some(Cidr {
                address: "10.53.0.2".parse().expect("address"),
                prefix_len: 24,
            }),
            ipv4_gateway: None,
            ipv6: None,
            ipv6_gateway: None,
        };
        let mut stack = SmolStack::new(
            Loopback::new(Medium::Ethernet),
            [2, 0, 0, 0, 0, 1],
            &ip,
            StackConfig::default(),
            1,
            Instant(0),
        );
        let socket = stack.udp_bind(0).expect("bind");
        let v6: SocketAddr = "[2001:db8:53::1]:53".parse().expect("address");
        assert_eq!(stack.udp_send(socket, v6, b"x"), Err(NetError::Unreachable));
        let v4: SocketAddr = "10.53.0.3:53".parse().expect("address");
        assert_eq!(stack.udp_send(socket, v4, b"x"), Ok(()));
    }
}
