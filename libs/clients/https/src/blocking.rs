//! A blocking driver over `std::net::TcpStream` (feature `std`): for host
//! tests and host tools. The unikernels drive [`HttpsClient`] from their
//! event loop instead.

use core::net::SocketAddr;
use core::time::Duration;
use std::boxed::Box;
use std::io::{self, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::string::ToString;
use std::time::{Instant, SystemTime, UNIX_EPOCH};
use std::vec;
use std::vec::Vec;

use crate::{ClientConfig, Host, HttpsClient, HttpsError, Request, Response};

/// Read size per call.
const READ_CHUNK: usize = 16 * 1024;

/// How a host name becomes addresses.
type Resolver = Box<dyn Fn(&Host, u16) -> io::Result<Vec<SocketAddr>> + Send>;

/// An [`HttpsClient`] on blocking sockets; one request at a time, the
/// connection kept between them.
pub struct BlockingClient {
    client: HttpsClient,
    stream: Option<TcpStream>,
    origin: Instant,
    resolver: Resolver,
    clock: Box<dyn Fn() -> u64 + Send>,
    connections: u32,
}

impl BlockingClient {
    /// A client with `config`, resolving names with the system resolver.
    pub fn new(config: ClientConfig) -> Self {
        BlockingClient {
            client: HttpsClient::new(config),
            stream: None,
            origin: Instant::now(),
            resolver: Box::new(|host, port| match host {
                Host::Ip(ip) => Ok(vec![SocketAddr::new(*ip, port)]),
                Host::Dns(name) => Ok((name.as_str(), port).to_socket_addrs()?.collect()),
            }),
            clock: Box::new(|| {
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs())
            }),
            connections: 0,
        }
    }

    /// Reads the wall clock (seconds since 1970) with `clock` instead of
    /// the system's (tests of certificate validity).
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + 'static) -> Self {
        self.clock = Box::new(clock);
        self
    }

    /// Resolves host names with `resolver` instead (e.g. a test's name
    /// for 127.0.0.1).
    pub fn with_resolver(
        mut self,
        resolver: impl Fn(&Host, u16) -> io::Result<Vec<SocketAddr>> + Send + 'static,
    ) -> Self {
        self.resolver = Box::new(resolver);
        self
    }

    /// TCP connections opened so far.
    pub fn connections_opened(&self) -> u32 {
        self.connections
    }

    /// Makes `request` and waits for its response.
    pub fn send(&mut self, request: Request) -> Result<Response, HttpsError> {
        let unix_time = (self.clock)();
        self.client
            .start(request, self.origin.elapsed(), unix_time)?;
        let mut buf = vec![0u8; READ_CHUNK];
        loop {
            if let Some(result) = self.client.response() {
                // A failed or non-persistent connection goes at once (its
                // alert or close_notify with it), not at the next request.
                if self.client.wants_close() {
                    self.close_stream();
                }
                return result;
            }
            if self.client.wants_close() {
                self.close_stream();
                continue;
            }
            if let Some((host, port)) = self.client.wants_connection() {
                let (host, port) = (host.clone(), port);
                match self.connect(&host, port) {
                    Ok(stream) => {
                        self.stream = Some(stream);
                        self.connections += 1;
                        self.client.connected();
                    }
                    Err(error) => self.client.connect_failed(&error.to_string()),
                }
                continue;
            }
            let Some(stream) = &mut self.stream else {
                // Nothing to drive with: only a timeout can end the request.
                self.client.handle_timeout(Duration::MAX);
                continue;
            };
            let output = self.client.pending_output();
            if !output.is_empty() {
                match stream.write(output) {
                    Ok(n) => self.client.consume_output(n),
                    Err(_) => self.close_stream(),
                }
                continue;
            }
            let now = self.origin.elapsed();
            let deadline = self.client.deadline().unwrap_or(now);
            let wait = deadline.saturating_sub(now).max(Duration::from_millis(1));
            let _ = stream.set_read_timeout(Some(wait));
            match stream.read(&mut buf) {
                Ok(0) => self.close_stream(),
                Ok(n) => self.client.received(&buf[..n]),
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    self.client.handle_timeout(self.origin.elapsed());
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => self.close_stream(),
            }
        }
    }

    /// Sends what is pending, closes the stream and tells the client.
    fn close_stream(&mut self) {
        if let Some(mut stream) = self.stream.take() {
            let output = self.client.pending_output();
            if !output.is_empty() {
                let _ = stream.write_all(output);
                let n = output.len();
                self.client.consume_output(n);
            }
            let _ = stream.shutdown(Shutdown::Both);
        }
        self.client.connection_closed();
    }

    fn connect(&self, host: &Host, port: u16) -> io::Result<TcpStream> {
        let now = self.origin.elapsed();
        let timeout = self
            .client
            .deadline()
            .unwrap_or(now)
            .saturating_sub(now)
            .max(Duration::from_millis(1));
        let mut last_error = io::Error::new(ErrorKind::NotFound, "the name has no address");
        for address in (self.resolver)(host, port)? {
            match TcpStream::connect_timeout(&address, timeout) {
                Ok(stream) => {
                    stream.set_nodelay(true)?;
                    return Ok(stream);
                }
                Err(error) => last_error = error,
            }
        }
        Err(last_error)
    }
}
