//! The letsencrypt unikernel's [`netstack::Service`]: the composition of
//! a hidden [`Secondary`] of the update key's zone (transferred from
//! `--dns-server` with that key; the kept TCP connection carries the
//! primary's NOTIFYs), the sans-IO [`Manager`] that decides and runs the
//! orders, and the I/O the manager asks for:
//!
//! - its HTTPS requests to the ACME server through an [`HttpsClient`] over
//!   netstack TCP ([`NetstackTransport`]); a host name in the directory
//!   URL is first resolved by the stub resolver ([`letsencrypt::resolver`])
//!   over UDP to `--resolver` (port 53; default: the primary, at its
//!   port), A first, AAAA if the name has no A record; an IP literal needs
//!   no lookup;
//! - its UPDATEs over TCP to the primary (a certificate and its chain
//!   do not fit a 512-octet datagram), one connection per message;
//! - its TXT queries over UDP to the primary, again over TCP when the
//!   answer comes truncated;
//! - its log lines, at the service's log level, through the service's log.
//!
//! Every transferred copy of the zone goes to [`Manager::zone_changed`].
//! Nothing here decides anything about certificates; every wait is
//! bounded ([`DNS_TCP_TIMEOUT`], the resolver's retries, the HTTPS
//! client's request timeout, the manager's own timers).
#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

extern crate alloc;

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;

use dns_keys::KeyStore;
use dns_secondary::{sooner, Secondary, SecondaryConfig, ZoneSource};
use dns_service::{DnsService, LogLevel, Logger};
use dns_wire::{flags, Header};
use dns_xfr::Limits;
use https::{Authenticator, ClientConfig, Host, HttpsClient, NetstackTransport, Url};
use letsencrypt::resolver::{Family, Lookup, ResolveError, MAX_ATTEMPTS, RETRY_INTERVAL};
use letsencrypt::{Action, Config, Level, Manager, ManagerConfig, Now, OrderId};
use netstack::{Instant, Poll, Service, Sockets, TcpHandle, TcpStatus, UdpHandle};

/// The longest one DNS-over-TCP exchange with the primary (an UPDATE, or
/// a query whose UDP answer was truncated) may take, connection included.
/// The manager sends an unanswered UPDATE again after its own timeout.
pub const DNS_TCP_TIMEOUT: Duration = Duration::from_secs(30);
/// How long a resolved address of the ACME server is used before it is
/// looked up again (the stub resolver does not see TTLs).
pub const ADDRESS_LIFETIME: Duration = Duration::from_secs(3600);
/// The largest zone transferred: a zone of CSRs and certificates is small.
pub const TRANSFER_LIMITS: Limits = Limits {
    records: 100_000,
    bytes: 64 * 1024 * 1024,
};
/// Idle timeout of the HTTPS connection to the ACME server.
const HTTPS_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// Most DNS-over-TCP exchanges at once (the manager has one order, with
/// one UPDATE, in flight; resends may overlap).
const MAX_TCP_EXCHANGES: usize = 8;
/// Recently sent UDP queries remembered for a TCP retry after a
/// truncated answer.
const MAX_REMEMBERED_QUERIES: usize = 16;
/// Rounds of "act on the manager, pump HTTPS" in one poll.
const MAX_ROUNDS: usize = 4;
/// Manager actions taken in one round.
const MAX_ACTIONS: usize = 64;
/// Datagrams read per poll.
const MAX_DATAGRAMS: usize = 64;

/// One DNS message to the primary over its own TCP connection.
struct TcpExchange {
    tcp: TcpHandle,
    /// The message with its two-octet length prefix.
    out: Vec<u8>,
    written: usize,
    input: Vec<u8>,
    deadline: Instant,
}

/// An address lookup of the ACME server in flight.
struct PendingLookup {
    lookup: Lookup,
    family: Family,
    host: String,
    attempts: u32,
    next_send: Instant,
}

/// The HTTPS request of an order.
struct HttpJob {
    order: OrderId,
    /// Held while the server's address is looked up.
    held: Option<acme::Request>,
}

/// The letsencrypt service (see the crate documentation).
pub struct LetsencryptService {
    secondary: Secondary,
    /// Made at the first poll (it needs the clock).
    manager: Option<Manager>,
    manager_config: Option<ManagerConfig>,
    seed: [u8; 32],
    dns_server: SocketAddr,
    resolver: SocketAddr,
    https: HttpsClient,
    transport: NetstackTransport,
    http: Option<HttpJob>,
    lookup: Option<PendingLookup>,
    /// The ACME server's address: host, address, good until.
    resolved: Option<(String, IpAddr, Instant)>,
    udp: Option<UdpHandle>,
    exchanges: Vec<TcpExchange>,
    /// (ID, message) of recent UDP queries to the primary.
    queries: Vec<(u16, Vec<u8>)>,
    lookup_ids: u64,
    log: Logger,
    buf: Vec<u8>,
}

/// A [`Config`] the service cannot run with.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum ConfigError {
    /// [`Config::tls_authenticator`] does not parse.
    TlsAuthenticator(https::AuthenticatorError),
    /// The account key cannot be derived from [`Config::account_key_seed`].
    AccountKey(acme::KeyError),
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ConfigError::TlsAuthenticator(error) => error.fmt(f),
            ConfigError::AccountKey(error) => write!(f, "account key: {error}"),
        }
    }
}

impl LetsencryptService {
    /// The service for `config`: `dns` serves our copy of the zone and
    /// logs; `ours` are our own addresses; `seed` (from the platform's
    /// randomness) seeds message IDs and jitter. Derives the account key
    /// from its seed (RSA takes a while). Errors: what in `config` cannot
    /// be used ([`ConfigError`]).
    pub fn new(
        config: &Config,
        dns: DnsService,
        ours: Vec<IpAddr>,
        seed: [u8; 32],
    ) -> Result<LetsencryptService, ConfigError> {
        let authenticator = match &config.tls_authenticator {
            Some(text) => Authenticator::parse(text).map_err(ConfigError::TlsAuthenticator)?,
            None => Authenticator::lets_encrypt(),
        };
        let account_key = config.account_key().map_err(ConfigError::AccountKey)?;
        let mut keys = KeyStore::new();
        keys.insert(config.key.clone());
        let secondary_config = SecondaryConfig {
            zones: vec![ZoneSource {
                zone: config.zone.clone(),
                primary: config.dns_server,
                key: config.key.clone(),
            }],
            roots: Vec::new(),
            keys,
            limits: TRANSFER_LIMITS,
            hidden: true,
        };
        let log = dns.logger();
        let seed64 = u64::from_le_bytes(seed[..8].try_into().expect("eight octets"));
        let secondary = Secondary::new(dns, secondary_config, ours, seed64);
        let resolver = match config.resolver {
            Some(ip) => SocketAddr::new(ip, 53),
            None => config.dns_server,
        };
        Ok(LetsencryptService {
            secondary,
            manager: None,
            manager_config: Some(config.manager_config(account_key)),
            seed,
            dns_server: config.dns_server,
            resolver,
            https: HttpsClient::new(ClientConfig::new(authenticator)),
            transport: NetstackTransport::new(HTTPS_IDLE_TIMEOUT),
            http: None,
            lookup: None,
            resolved: None,
            udp: None,
            exchanges: Vec::new(),
            queries: Vec::new(),
            lookup_ids: seed64.rotate_left(17) ^ 0x1e75_e4c7,
            log,
            buf: vec![0; 65_535],
        })
    }

    /// The manager (`None` before the first poll).
    pub fn manager(&self) -> Option<&Manager> {
        self.manager.as_ref()
    }

    /// The hidden secondary (our copy of the zone).
    pub fn secondary(&self) -> &Secondary {
        &self.secondary
    }

    /// Where the ACME server's name is looked up.
    pub fn resolver(&self) -> SocketAddr {
        self.resolver
    }

    fn now(net: &dyn Sockets) -> Now {
        Now::new(
            acme::Instant::from_millis(net.now().0 / 1_000_000),
            net.unix_time(),
        )
    }

    fn say(&self, level: LogLevel, args: core::fmt::Arguments<'_>) {
        self.log.at(level, format_args!("letsencrypt: {args}"));
    }

    fn next_lookup_id(&mut self) -> u16 {
        // xorshift64: IDs vary between lookups and runs (the seed).
        let mut x = self.lookup_ids;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.lookup_ids = x;
        x as u16
    }

    fn udp(&mut self, net: &mut dyn Sockets) -> Option<UdpHandle> {
        if self.udp.is_none() {
            match net.udp_bind(0) {
                Ok(handle) => self.udp = Some(handle),
                Err(e) => self.say(LogLevel::Error, format_args!("UDP socket: {e}")),
            }
        }
        self.udp
    }

    /// Reads the datagrams that came: the resolver's answers and the
    /// primary's answers to our TXT queries.
    fn receive_udp(&mut self, net: &mut dyn Sockets, now: Now) {
        let Some(udp) = self.udp else { return };
        for _ in 0..MAX_DATAGRAMS {
            let (n, from) = match net.udp_recv(udp, &mut self.buf) {
                Ok(Some(got)) => got,
                Ok(None) => break,
                Err(e) => {
                    self.say(LogLevel::Warn, format_args!("UDP receive: {e}"));
                    break;
                }
            };
            let message = self.buf[..n].to_vec();
            if from == self.resolver
                && self.lookup.is_some()
                && self.take_lookup_answer(&message, net, now)
            {
                continue;
            }
            if from != self.dns_server {
                continue;
            }
            let truncated = Header::parse(&message).is_ok_and(|h| h.flags & flags::TC != 0);
            if truncated {
                let id = Header::parse(&message).map(|h| h.id).unwrap_or(0);
                if let Some(at) = self.queries.iter().position(|(q, _)| *q == id) {
                    let (_, query) = self.queries.remove(at);
                    self.send_tcp(net, query);
                    continue;
                }
            }
            if let Some(manager) = &mut self.manager {
                manager.handle_dns_message(&message, now);
            }
        }
    }

    /// Whether `message` was (or is now) dealt with as the resolver's answer.
    fn take_lookup_answer(&mut self, message: &[u8], net: &mut dyn Sockets, now: Now) -> bool {
        let Some(pending) = &self.lookup else {
            return false;
        };
        let result = pending.lookup.answer(message);
        let host = pending.host.clone();
        match result {
            Err(ResolveError::NotOurs) => false,
            Ok(addresses) if !addresses.is_empty() => {
                self.lookup = None;
                let address = addresses[0];
                self.say(
                    LogLevel::Info,
                    format_args!("{host} is at {address} (resolver {})", self.resolver),
                );
                self.resolved = Some((host, address, net.now().after(ADDRESS_LIFETIME)));
                if let Some(job) = &mut self.http {
                    if let Some(request) = job.held.take() {
                        let order = job.order;
                        self.start_request(net, order, request, now);
                    }
                }
                true
            }
            Ok(_) | Err(ResolveError::NoAddress) if pending.family == Family::V4 => {
                // No A record: try AAAA.
                let id = self.next_lookup_id();
                match Lookup::new(&host, Family::V6, id) {
                    Ok(lookup) => {
                        self.lookup = Some(PendingLookup {
                            lookup,
                            family: Family::V6,
                            host,
                            attempts: 0,
                            next_send: net.now(),
                        });
                    }
                    Err(e) => self.lookup_failed(&host, &e.to_string(), now),
                }
                true
            }
            Ok(_) => {
                self.lookup_failed(&host, "no address", now);
                true
            }
            Err(e) => {
                self.lookup_failed(&host, &e.to_string(), now);
                true
            }
        }
    }

    fn lookup_failed(&mut self, host: &str, reason: &str, now: Now) {
        self.lookup = None;
        let why = format!("looking up {host} at resolver {}: {reason}", self.resolver);
        if let Some(job) = self.http.take() {
            if let Some(manager) = &mut self.manager {
                manager.handle_http_failure(job.order, &why, now);
            }
        } else {
            self.say(LogLevel::Warn, format_args!("{why}"));
        }
    }

    /// Sends the lookup's query when due; gives up after the attempts.
    fn drive_lookup(&mut self, net: &mut dyn Sockets, now: Now) -> Option<Instant> {
        let pending = self.lookup.as_ref()?;
        if net.now() < pending.next_send {
            return Some(pending.next_send);
        }
        if pending.attempts >= MAX_ATTEMPTS {
            let host = pending.host.clone();
            self.lookup_failed(&host, &format!("no answer to {MAX_ATTEMPTS} queries"), now);
            return None;
        }
        let query = pending.lookup.query();
        let udp = self.udp(net)?;
        if let Err(e) = net.udp_send(udp, self.resolver, &query) {
            self.say(
                LogLevel::Warn,
                format_args!("query to resolver {}: {e}", self.resolver),
            );
        }
        let pending = self.lookup.as_mut()?;
        pending.attempts += 1;
        pending.next_send = net.now().after(RETRY_INTERVAL);
        Some(pending.next_send)
    }

    /// The manager's request for `order`: starts it, or first looks up
    /// the server's name.
    fn http_action(
        &mut self,
        net: &mut dyn Sockets,
        order: OrderId,
        request: acme::Request,
        now: Now,
    ) {
        let host = match Url::parse(&request.url) {
            Ok(url) => url.host,
            Err(e) => {
                if let Some(manager) = &mut self.manager {
                    manager.handle_http_failure(order, &format!("URL {}: {e}", request.url), now);
                }
                return;
            }
        };
        if let Host::Dns(name) = &host {
            let known = self
                .resolved
                .as_ref()
                .is_some_and(|(h, _, until)| h == name && net.now() < *until);
            if !known {
                self.http = Some(HttpJob {
                    order,
                    held: Some(request),
                });
                let id = self.next_lookup_id();
                match Lookup::new(name, Family::V4, id) {
                    Ok(lookup) => {
                        self.lookup = Some(PendingLookup {
                            lookup,
                            family: Family::V4,
                            host: name.clone(),
                            attempts: 0,
                            next_send: net.now(),
                        });
                        self.drive_lookup(net, now);
                    }
                    Err(e) => {
                        let name = name.clone();
                        self.lookup_failed(&name, &e.to_string(), now);
                    }
                }
                return;
            }
        }
        self.start_request(net, order, request, now);
    }

    fn start_request(
        &mut self,
        net: &mut dyn Sockets,
        order: OrderId,
        request: acme::Request,
        now: Now,
    ) {
        let started = self.https.start(
            https::Request::from(request),
            Duration::from_nanos(net.now().0),
            net.unix_time(),
        );
        match started {
            Ok(()) => self.http = Some(HttpJob { order, held: None }),
            Err(e) => {
                self.http = None;
                if let Some(manager) = &mut self.manager {
                    manager.handle_http_failure(order, &e.to_string(), now);
                }
            }
        }
    }

    /// Moves HTTPS bytes; hands a finished response to the manager.
    /// Returns the client's deadline and whether a response was handed on.
    fn pump_https(&mut self, net: &mut dyn Sockets, now: Now) -> (Option<Instant>, bool) {
        let resolved = self.resolved.clone();
        let mut resolve = |host: &Host| match (host, &resolved) {
            (Host::Dns(name), Some((h, address, _))) if h == name => Some(*address),
            _ => None,
        };
        let deadline = self.transport.pump(net, &mut self.https, &mut resolve);
        let Some(outcome) = self.https.response() else {
            return (deadline, false);
        };
        let Some(job) = self.http.take() else {
            return (deadline, false);
        };
        if let Some(manager) = &mut self.manager {
            match outcome {
                Ok(response) => {
                    manager.handle_http_response(job.order, &acme::Response::from(response), now)
                }
                Err(e) => manager.handle_http_failure(job.order, &e.to_string(), now),
            }
        }
        (deadline, true)
    }

    fn send_tcp(&mut self, net: &mut dyn Sockets, message: Vec<u8>) {
        if self.exchanges.len() >= MAX_TCP_EXCHANGES {
            let oldest = self.exchanges.remove(0);
            net.tcp_release(oldest.tcp);
        }
        let Ok(length) = u16::try_from(message.len()) else {
            self.say(
                LogLevel::Error,
                format_args!(
                    "a DNS message of {} octets does not fit TCP framing",
                    message.len()
                ),
            );
            return;
        };
        match net.tcp_connect(self.dns_server, DNS_TCP_TIMEOUT) {
            Ok(tcp) => {
                let mut out = Vec::with_capacity(message.len() + 2);
                out.extend_from_slice(&length.to_be_bytes());
                out.extend_from_slice(&message);
                self.exchanges.push(TcpExchange {
                    tcp,
                    out,
                    written: 0,
                    input: Vec::new(),
                    deadline: net.now().after(DNS_TCP_TIMEOUT),
                });
            }
            Err(e) => self.say(
                LogLevel::Warn,
                format_args!("TCP to the primary {}: {e}", self.dns_server),
            ),
        }
    }

    /// Moves the TCP exchanges on; hands answers to the manager. Returns
    /// the earliest deadline.
    fn pump_tcp(&mut self, net: &mut dyn Sockets, now: Now) -> Option<Instant> {
        let mut answers: Vec<Vec<u8>> = Vec::new();
        let mut earliest: Option<Instant> = None;
        let t = net.now();
        let buf = &mut self.buf;
        let log = self.log;
        let server = self.dns_server;
        self.exchanges.retain_mut(|x| {
            if t >= x.deadline {
                log.at(
                    LogLevel::Warn,
                    format_args!(
                        "letsencrypt: no answer from the primary {server} over TCP in {} s",
                        DNS_TCP_TIMEOUT.as_secs()
                    ),
                );
                net.tcp_release(x.tcp);
                return false;
            }
            match net.tcp_status(x.tcp) {
                TcpStatus::Connecting => {}
                TcpStatus::Closed => {
                    net.tcp_release(x.tcp);
                    return false;
                }
                TcpStatus::Open | TcpStatus::PeerClosed => {
                    if x.written < x.out.len() {
                        if let Ok(n) = net.tcp_write(x.tcp, &x.out[x.written..]) {
                            x.written += n;
                        }
                    }
                    for _ in 0..8 {
                        match net.tcp_read(x.tcp, buf) {
                            Ok(0) | Err(_) => break,
                            Ok(n) => x.input.extend_from_slice(&buf[..n]),
                        }
                    }
                    if x.input.len() >= 2 {
                        let length = usize::from(u16::from_be_bytes([x.input[0], x.input[1]]));
                        if x.input.len() >= 2 + length {
                            answers.push(x.input[2..2 + length].to_vec());
                            net.tcp_close(x.tcp);
                            net.tcp_release(x.tcp);
                            return false;
                        }
                    }
                    if net.tcp_status(x.tcp) == TcpStatus::PeerClosed {
                        net.tcp_release(x.tcp);
                        return false;
                    }
                }
            }
            earliest = Some(earliest.map_or(x.deadline, |e: Instant| e.min(x.deadline)));
            true
        });
        if let Some(manager) = &mut self.manager {
            for answer in &answers {
                manager.handle_dns_message(answer, now);
            }
        }
        earliest
    }

    /// Does what the manager asks until it sleeps; returns its wake time
    /// and whether it started an HTTPS request.
    fn run_manager(&mut self, net: &mut dyn Sockets, now: Now) -> (Option<Instant>, bool) {
        let mut started_http = false;
        for _ in 0..MAX_ACTIONS {
            let Some(manager) = &mut self.manager else {
                return (None, false);
            };
            match manager.poll(now) {
                Action::SleepUntil(at) => {
                    return (
                        Some(Instant(at.millis().saturating_mul(1_000_000))),
                        started_http,
                    )
                }
                Action::Http { order, request } => {
                    self.http_action(net, order, request, now);
                    started_http = true;
                }
                Action::SendUpdate { message, .. } => self.send_tcp(net, message),
                Action::SendQuery { id, message } => {
                    if self.queries.len() >= MAX_REMEMBERED_QUERIES {
                        self.queries.remove(0);
                    }
                    if let Some(udp) = self.udp(net) {
                        if let Err(e) = net.udp_send(udp, self.dns_server, &message) {
                            self.say(
                                LogLevel::Warn,
                                format_args!("query to the primary {}: {e}", self.dns_server),
                            );
                        }
                    }
                    self.queries.push((id, message));
                }
                Action::Log(line) => {
                    let level = match line.level {
                        Level::Error => LogLevel::Error,
                        Level::Warn => LogLevel::Warn,
                        Level::Info => LogLevel::Info,
                        Level::Debug => LogLevel::Debug,
                    };
                    self.say(level, format_args!("{}", line.message));
                }
                _ => {}
            }
        }
        // More to do: come back at once.
        (Some(net.now()), started_http)
    }
}

fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

impl Service for LetsencryptService {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        let secondary_wants = self.secondary.poll(net);
        let now = Self::now(net);
        if self.manager.is_none() {
            if let Some(config) = self.manager_config.take() {
                self.manager = Some(Manager::new(config, self.seed, now));
            }
        }
        for apex in self.secondary.take_changed_zones() {
            if let (Some(zone), Some(manager)) = (self.secondary.zone(&apex), &mut self.manager) {
                manager.zone_changed(zone, now);
            }
        }
        self.udp(net);
        self.receive_udp(net, now);
        self.pump_tcp(net, now);
        let mut manager_wake = None;
        let mut http_deadline = None;
        for _ in 0..MAX_ROUNDS {
            let now = Self::now(net);
            let (wake, started) = self.run_manager(net, now);
            let (deadline, answered) = self.pump_https(net, now);
            manager_wake = wake;
            http_deadline = deadline;
            if answered {
                // The manager has a response to act on.
                manager_wake = Some(net.now());
            } else if !started {
                break;
            }
        }
        let now = Self::now(net);
        let mut wake = earliest(manager_wake, http_deadline);
        wake = earliest(wake, self.drive_lookup(net, now));
        wake = earliest(wake, self.pump_tcp(net, now));
        sooner(secondary_wants, Poll::Until(wake))
    }
}
