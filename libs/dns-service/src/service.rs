//! DNS over UDP and TCP on the netstack socket API.

use crate::repository::{LoadReport, ZoneFile, ZoneSet};
use alloc::vec;
use alloc::vec::Vec;
use core::time::Duration;
use dns_server::catalog::Catalog;
use dns_server::tcp::{frame, TcpFramer, MAX_TCP_MESSAGE};
use dns_server::{Server, Transport};
use netstack::{ListenHandle, Poll, Service, Sockets, TcpHandle, TcpStatus, UdpHandle};

/// Settings of a [`DnsService`].
#[derive(Clone, Copy, Debug)]
pub struct ServiceConfig {
    /// Port for UDP and TCP (53; the host-process build binds `--listen`).
    pub port: u16,
    /// Close TCP connections idle this long (RFC 7766 §6.2.3 suggests
    /// seconds, not minutes, for a busy server).
    pub tcp_idle_timeout: Duration,
    /// TCP connections accepted concurrently at the protocol level.
    pub tcp_backlog: usize,
    /// Most open TCP clients; beyond it new ones are closed at once.
    pub max_tcp_clients: usize,
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            port: 53,
            tcp_idle_timeout: Duration::from_secs(10),
            tcp_backlog: 32,
            max_tcp_clients: 256,
        }
    }
}

struct Client {
    handle: TcpHandle,
    framer: TcpFramer,
    /// Framed answers not yet accepted by the socket.
    out: Vec<u8>,
}

/// A line printer: the console in images, stdout on the host.
pub type Log = fn(core::fmt::Arguments<'_>);

/// An authoritative DNS server on one port, UDP and TCP.
pub struct DnsService {
    config: ServiceConfig,
    server: Server,
    log: Log,
    udp: Option<UdpHandle>,
    listener: Option<ListenHandle>,
    clients: Vec<Client>,
    buf: Vec<u8>,
}

impl DnsService {
    /// A service answering from `catalog`.
    pub fn new(catalog: Catalog, config: ServiceConfig, log: Log) -> DnsService {
        DnsService {
            config,
            server: Server::new(catalog),
            log,
            udp: None,
            listener: None,
            clients: Vec::new(),
            buf: vec![0; MAX_TCP_MESSAGE],
        }
    }

    /// Reloads the served zones from a repository's `files` (see
    /// [`ZoneSet::reload`]); queries see the new zones at once.
    pub fn reload(&mut self, zones: &mut ZoneSet, files: &[ZoneFile]) -> LoadReport {
        zones.reload(self.server.catalog_mut(), files)
    }

    /// The zones being served.
    pub fn catalog(&self) -> &Catalog {
        self.server.catalog()
    }

    fn bind(&mut self, net: &mut dyn Sockets) -> Result<(), netstack::NetError> {
        let udp = net.udp_bind(self.config.port)?;
        let listener = net.tcp_listen(
            self.config.port,
            self.config.tcp_backlog,
            self.config.tcp_idle_timeout,
        )?;
        self.udp = Some(udp);
        self.listener = Some(listener);
        Ok(())
    }

    fn serve_udp(&mut self, net: &mut dyn Sockets, udp: UdpHandle) {
        while let Ok(Some((len, from))) = net.udp_recv(udp, &mut self.buf) {
            if let Some(answer) = self.server.handle(&self.buf[..len], Transport::Udp) {
                // A full transmit queue drops the answer; the client retries.
                let _ = net.udp_send(udp, from, &answer);
            }
        }
    }

    fn accept(&mut self, net: &mut dyn Sockets, listener: ListenHandle) {
        while let Ok(Some((handle, _peer))) = net.tcp_accept(listener) {
            if self.clients.len() >= self.config.max_tcp_clients {
                net.tcp_release(handle);
                continue;
            }
            self.clients.push(Client {
                handle,
                framer: TcpFramer::new(MAX_TCP_MESSAGE),
                out: Vec::new(),
            });
        }
    }
}

/// Reads queries, queues answers, writes; false when the client is gone.
fn serve_tcp(net: &mut dyn Sockets, server: &Server, client: &mut Client, buf: &mut [u8]) -> bool {
    loop {
        match net.tcp_read(client.handle, buf) {
            Ok(0) => break,
            Ok(n) => client.framer.push(&buf[..n]),
            Err(_) => break,
        }
        // Answer in order; stop reading while answers pile up unsent.
        loop {
            match client.framer.next_message() {
                Ok(Some(query)) => {
                    // The engine never produces more than a length prefix can carry.
                    if let Some(framed) = server
                        .handle(&query, Transport::Tcp)
                        .and_then(|a| frame(&a))
                    {
                        client.out.extend_from_slice(&framed);
                    }
                }
                Ok(None) => break,
                Err(_) => {
                    // A length we cannot accept: the stream is lost.
                    net.tcp_release(client.handle);
                    return false;
                }
            }
        }
        if client.out.len() > MAX_TCP_MESSAGE {
            break;
        }
    }
    if !client.out.is_empty() {
        if let Ok(written) = net.tcp_write(client.handle, &client.out) {
            client.out.drain(..written);
        }
    }
    match net.tcp_status(client.handle) {
        TcpStatus::PeerClosed if client.out.is_empty() => {
            net.tcp_close(client.handle);
            true
        }
        TcpStatus::Closed => {
            net.tcp_release(client.handle);
            false
        }
        _ => true,
    }
}

impl Service for DnsService {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        if self.udp.is_none() {
            if let Err(error) = self.bind(net) {
                (self.log)(format_args!(
                    "dns: cannot serve on port {}: {error}",
                    self.config.port
                ));
                return Poll::Exit(1);
            }
        }
        let (Some(udp), Some(listener)) = (self.udp, self.listener) else {
            return Poll::Exit(1);
        };
        self.serve_udp(net, udp);
        self.accept(net, listener);
        let (server, buf) = (&self.server, &mut self.buf);
        self.clients
            .retain_mut(|client| serve_tcp(net, server, client, buf));
        Poll::Until(None)
    }
}
