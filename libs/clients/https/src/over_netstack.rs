//! The client over a netstack TCP connection (feature `netstack`): what a
//! unikernel's service calls on every poll of its event loop, as
//! libs/clients/git-remote's `SshSession::pump` does for SSH.

use alloc::string::ToString;
use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;

use netstack::{Instant, Sockets, TcpHandle, TcpStatus};

use crate::{Host, HttpsClient};

/// Bytes read from TCP per call.
const READ_CHUNK: usize = 16 * 1024;
/// Reads per pump: bounds the work of one poll (16 × 16 KiB).
const MAX_READS: usize = 16;
/// Connections closed by us, waiting for their FIN exchange to finish
/// before their buffers are freed; beyond this the oldest is reset.
const MAX_LINGERING: usize = 4;

/// Moves bytes between an [`HttpsClient`] and netstack TCP connections.
#[derive(Debug)]
pub struct NetstackTransport {
    tcp: Option<TcpHandle>,
    /// The connection was seen established (told to the client).
    established: bool,
    /// Closed by us (FIN queued after the last bytes): freed once gone.
    lingering: Vec<TcpHandle>,
    idle_timeout: Duration,
    buf: Vec<u8>,
    connections: u32,
}

impl NetstackTransport {
    /// A transport whose connections close after `idle_timeout` without
    /// traffic (the stack's idle timer).
    pub fn new(idle_timeout: Duration) -> Self {
        NetstackTransport {
            tcp: None,
            established: false,
            lingering: Vec::new(),
            idle_timeout,
            buf: vec![0; READ_CHUNK],
            connections: 0,
        }
    }

    /// TCP connections opened so far.
    pub fn connections_opened(&self) -> u32 {
        self.connections
    }

    /// Does what can be done now: connects where the client asks (names
    /// through `resolve`, the caller's DNS), moves bytes both ways, tells
    /// the client about the connection's state and the time. Returns when
    /// to be polled again at the latest (the request's deadline).
    pub fn pump(
        &mut self,
        net: &mut dyn Sockets,
        client: &mut HttpsClient,
        resolve: &mut dyn FnMut(&Host) -> Option<IpAddr>,
    ) -> Option<Instant> {
        let now = Duration::from_nanos(net.now().0);
        client.set_unix_time(net.unix_time());
        self.lingering.retain(|&tcp| {
            let gone = net.tcp_status(tcp) == TcpStatus::Closed;
            if gone {
                net.tcp_release(tcp);
            }
            !gone
        });
        for _ in 0..4 {
            if !self.step(net, client, resolve) {
                break;
            }
        }
        client.handle_timeout(Duration::from_nanos(net.now().0).max(now));
        if client.wants_close() {
            self.close(net, client);
        }
        client
            .deadline()
            .map(|d| Instant(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)))
    }

    /// One round; whether anything changed.
    fn step(
        &mut self,
        net: &mut dyn Sockets,
        client: &mut HttpsClient,
        resolve: &mut dyn FnMut(&Host) -> Option<IpAddr>,
    ) -> bool {
        let Some(tcp) = self.tcp else {
            if client.wants_close() {
                // The client still holds a connection we lost track of.
                client.connection_closed();
                return true;
            }
            let Some((host, port)) = client.wants_connection() else {
                return false;
            };
            let address = match host {
                Host::Ip(ip) => Some(*ip),
                Host::Dns(_) => resolve(host),
            };
            let Some(address) = address else {
                let reason = alloc::format!("{host} has no address");
                client.connect_failed(&reason);
                return true;
            };
            match net.tcp_connect(SocketAddr::new(address, port), self.idle_timeout) {
                Ok(tcp) => {
                    self.tcp = Some(tcp);
                    self.established = false;
                    self.connections += 1;
                }
                Err(error) => client.connect_failed(&error.to_string()),
            }
            return true;
        };
        match net.tcp_status(tcp) {
            TcpStatus::Connecting => {
                if client.wants_connection().is_none() {
                    // The request ended (timed out) before TCP came up.
                    net.tcp_release(tcp);
                    self.tcp = None;
                    return true;
                }
                false
            }
            TcpStatus::Closed => {
                net.tcp_release(tcp);
                self.tcp = None;
                if self.established {
                    client.connection_closed();
                } else {
                    client.connect_failed("connection refused or no answer");
                }
                true
            }
            status @ (TcpStatus::Open | TcpStatus::PeerClosed) => {
                let mut progress = false;
                if !self.established {
                    self.established = true;
                    client.connected();
                    progress = true;
                }
                progress |= self.flush(net, client, tcp);
                for _ in 0..MAX_READS {
                    match net.tcp_read(tcp, &mut self.buf) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => {
                            client.received(&self.buf[..n]);
                            progress = true;
                        }
                    }
                }
                progress |= self.flush(net, client, tcp);
                if status == TcpStatus::PeerClosed && !client.wants_close() {
                    // Everything the peer sent has been read.
                    client.connection_closed();
                    self.close(net, client);
                    progress = true;
                }
                progress
            }
        }
    }

    /// Writes what the client has for TCP; whether anything went.
    fn flush(&mut self, net: &mut dyn Sockets, client: &mut HttpsClient, tcp: TcpHandle) -> bool {
        let output = client.pending_output();
        if output.is_empty() {
            return false;
        }
        match net.tcp_write(tcp, output) {
            Ok(n) if n > 0 => {
                client.consume_output(n);
                true
            }
            _ => false,
        }
    }

    /// Closes the connection after its last bytes and tells the client.
    fn close(&mut self, net: &mut dyn Sockets, client: &mut HttpsClient) {
        if let Some(tcp) = self.tcp.take() {
            self.flush(net, client, tcp);
            net.tcp_close(tcp);
            if self.lingering.len() == MAX_LINGERING {
                net.tcp_release(self.lingering.remove(0));
            }
            self.lingering.push(tcp);
        }
        // Whatever did not fit in the send buffer (a close_notify at
        // most) goes with the connection.
        client.connection_closed();
    }
}
