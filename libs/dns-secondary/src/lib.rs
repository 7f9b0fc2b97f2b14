//! The secondary service: serves copies of zones transferred from their
//! primaries and keeps them fresh (RFC 1034 §4.3.5, RFC 1995, RFC 1996,
//! RFC 5936), every transfer TSIG-signed (RFC 8945).
//!
//! Which zones and which primaries come from the TSIG keys, in the
//! OCaml-DNS convention: a key `<primary-ip>.<secondary-ip>._transfer.<zone>`
//! means "serve `<zone>`, transferred from `<primary-ip>`, signed with this
//! key" ([`zones_from_keys`]).
//!
//! Layers:
//! - [`timers`]: the SOA refresh / retry / expire timers of one zone, with
//!   jitter (sans-IO).
//! - [`session`]: one refresh of one zone over one TCP stream: signed SOA
//!   query, then IXFR from our copy (AXFR when we have none), verified
//!   message by message (sans-IO).
//! - [`Secondary`]: the [`netstack::Service`] that owns a
//!   [`dns_service::DnsService`] (queries, NOTIFY in, AXFR/IXFR out to our
//!   own secondaries), opens the connections, bounds every wait, installs
//!   what the sessions bring and marks zones expired.
//!
//! A failed or rejected transfer (bad signature, serial going backwards,
//! malformed stream, unreachable primary) is logged and the last good copy
//! keeps serving until its SOA expire time has passed without a successful
//! check; from then on the zone answers SERVFAIL until a check succeeds.
#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]
// Errors carry names (a hickory `Name` is about 80 octets) and travel on
// cold paths; boxing them would only obscure the API.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

extern crate alloc;

pub mod session;
pub mod timers;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;

use bootargs::{ArgKind, ArgSpec, Args};
use dns_keys::{KeyRole, KeyStore, Operation};
pub use dns_service::LogLevel;
use dns_service::{ControlEvent, DnsService, Logger};
use dns_xfr::{Kind, Outcome};
use dns_zone::{Name, Zone};
use netstack::{Instant, NetError, Poll, Service, Sockets, TcpHandle, TcpStatus};
use tsig::Key;

pub use session::{Session, SessionError, Step};
pub use timers::{Jitter, RefreshTimer, SoaTimers};

/// How long a TCP connection to a primary may take to be established.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a transfer may go without receiving anything.
pub const TRANSFER_IDLE_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one refresh (SOA query and transfer) may take in all: a
/// primary that sends a byte every few seconds must not hold a zone
/// forever. A 1 000 000-record zone transfers in seconds on a LAN.
pub const TRANSFER_TIME_LIMIT: Duration = Duration::from_secs(15 * 60);
/// Bytes read from a connection per call.
const READ_CHUNK: usize = 16 * 1024;

/// The secondary's boot arguments (besides the network ones).
pub const SECONDARY_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "keys",
        kind: ArgKind::Repeated {
            metavar: "NAME:ALG:SECRET[,…]",
        },
        help: "TSIG keys (repeatable, or comma-separated); `<primary-ip>.<secondary-ip>._transfer.<zone>:SHA256:BASE64` makes this a secondary of <zone> transferring from <primary-ip>",
    },
    ArgSpec {
        name: "primary-port",
        kind: ArgKind::Value {
            metavar: "PORT",
            default: Some("53"),
        },
        help: "port the primaries serve DNS on (tests run them elsewhere)",
    },
];

/// One zone this secondary serves: where it comes from and the key that
/// signs its transfers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ZoneSource {
    /// The zone's apex.
    pub zone: Name,
    /// The primary's DNS address (TCP).
    pub primary: SocketAddr,
    /// The transfer key.
    pub key: Key,
}

/// Everything [`Secondary::new`] needs.
#[derive(Clone, Debug)]
pub struct SecondaryConfig {
    /// The zones and their primaries.
    pub zones: Vec<ZoneSource>,
    /// Every key given (the transfer keys also authorise NOTIFYs from the
    /// primary and transfers from us to the key's holders).
    pub keys: KeyStore,
}

/// The zones named by the transfer keys of `keys`: each key
/// `<primary-ip>[.<secondary-ip>]._transfer.<zone>` adds `<zone>` from
/// `<primary-ip>` on `primary_port`. Keys for the root zone (every zone)
/// name no zone to transfer and are skipped. Errors name a zone given twice
/// with different primaries; the second line of the result holds warnings
/// (a secondary address that is not one of `ours`).
pub fn zones_from_keys(
    keys: &KeyStore,
    primary_port: u16,
    ours: &[IpAddr],
) -> Result<(Vec<ZoneSource>, Vec<String>), String> {
    let mut zones: Vec<ZoneSource> = Vec::new();
    let mut warnings = Vec::new();
    for key in keys.iter() {
        let Some(role) = KeyRole::of(key.name()) else {
            continue;
        };
        let Some(primary) = role
            .primary
            .filter(|_| role.operation == Operation::Transfer)
        else {
            continue;
        };
        if role.zone.is_root() {
            warnings.push(alloc::format!(
                "key {}: a transfer key for the root names no zone to transfer; ignored",
                key.name().to_ascii()
            ));
            continue;
        }
        if let Some(secondary) = role.secondary {
            if !ours.is_empty() && !ours.contains(&secondary) {
                warnings.push(alloc::format!(
                    "key {}: {secondary} is not one of our addresses",
                    key.name().to_ascii()
                ));
            }
        }
        let primary = SocketAddr::new(primary, primary_port);
        if let Some(other) = zones.iter().find(|z| z.zone == role.zone) {
            if other.primary != primary {
                return Err(alloc::format!(
                    "zone {} has two primaries, {} and {primary}: give one transfer key per zone",
                    role.zone.to_ascii(),
                    other.primary
                ));
            }
            continue;
        }
        zones.push(ZoneSource {
            zone: role.zone,
            primary,
            key: key.clone(),
        });
    }
    Ok((zones, warnings))
}

/// Reads [`SECONDARY_ARGS`]: the keys (each `--keys` value may hold several,
/// comma-separated), the zones they name (at least one), and `--log-level`
/// of [`dns_service::SERVICE_ARGS`].
/// `ours` are our addresses, to check the secondary part of key names.
/// Returns the configuration and warnings to log; an error is a usage
/// error naming the argument.
pub fn config_from_args(
    args: &Args<'_>,
    ours: &[IpAddr],
) -> Result<(SecondaryConfig, Vec<String>), String> {
    let mut keys = KeyStore::new();
    let values = args.values("keys").map_err(|e| alloc::format!("{e}"))?;
    for value in values {
        for text in value.split(',').filter(|t| !t.trim().is_empty()) {
            let key = dns_keys::parse_cli_key(text.trim())
                .map_err(|e| alloc::format!("--keys={}: {e}", dns_keys::without_secret(text)))?;
            keys.insert(key);
        }
    }
    let port: u16 = args
        .parse_required("primary-port")
        .map_err(|e| alloc::format!("{e}"))?;
    let (zones, warnings) = zones_from_keys(&keys, port, ours)?;
    if zones.is_empty() {
        return Err(String::from(
            "no zone to serve: give --keys=<primary-ip>.<secondary-ip>._transfer.<zone>:SHA256:BASE64",
        ));
    }
    Ok((SecondaryConfig { zones, keys }, warnings))
}

/// Why a refresh did not complete, at the connection level or in the
/// session.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RefreshError {
    /// The connection could not be started.
    Connect(NetError),
    /// No connection within [`CONNECT_TIMEOUT`].
    ConnectTimeout,
    /// Nothing received for [`TRANSFER_IDLE_TIMEOUT`], or the refresh took
    /// longer than [`TRANSFER_TIME_LIMIT`].
    Timeout,
    /// The primary closed the connection before the answer was complete.
    ConnectionLost,
    /// The answer was refused (signature, serial, format).
    Session(SessionError),
}

impl fmt::Display for RefreshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "cannot connect: {e}"),
            Self::ConnectTimeout => write!(f, "no connection within {CONNECT_TIMEOUT:?}"),
            Self::Timeout => f.write_str("the primary stopped answering"),
            Self::ConnectionLost => f.write_str("the primary closed the connection early"),
            Self::Session(e) => e.fmt(f),
        }
    }
}

/// A refresh in flight.
struct Fetch {
    tcp: TcpHandle,
    session: Session,
    started: Instant,
    /// When the connection was established: transfer times count from
    /// here (the first connection after boot also waits for ARP).
    connected: Option<Instant>,
    last_input: Instant,
    /// The AXFR after a failed IXFR: never falls back again.
    fallback: bool,
}

/// One zone's state.
struct SecondaryZone {
    source: ZoneSource,
    timer: RefreshTimer,
    fetch: Option<Fetch>,
    /// A NOTIFY came while a refresh was running: check again after it
    /// (RFC 1996 §4.4).
    notified_meanwhile: bool,
    expired: bool,
}

/// The secondary service (see the crate documentation). Poll it from the
/// stack's event loop; it polls the DNS service it owns.
pub struct Secondary {
    dns: DnsService,
    zones: Vec<SecondaryZone>,
    jitter: Jitter,
    log: Logger,
    buf: Vec<u8>,
    started: bool,
}

impl Secondary {
    /// A secondary serving through `dns` the zones of `config`. `seed`
    /// (from the platform's randomness) varies jitter and message IDs;
    /// `ours` are our own addresses (never notified). Lines go to `dns`'s
    /// log at its level.
    pub fn new(
        mut dns: DnsService,
        config: SecondaryConfig,
        ours: Vec<IpAddr>,
        seed: u64,
    ) -> Secondary {
        dns.set_keys(config.keys, seed, ours);
        for source in &config.zones {
            dns.accept_notify(source.zone.clone(), source.primary.ip());
        }
        let log = dns.logger();
        Secondary {
            dns,
            zones: config
                .zones
                .into_iter()
                .map(|source| SecondaryZone {
                    source,
                    timer: RefreshTimer::new(Instant(0)),
                    fetch: None,
                    notified_meanwhile: false,
                    expired: false,
                })
                .collect(),
            jitter: Jitter::new(seed ^ 0x5ec0_4da7),
            log,
            buf: vec![0; READ_CHUNK],
            started: false,
        }
    }

    /// The DNS service (to inspect what is served).
    pub fn dns(&self) -> &DnsService {
        &self.dns
    }

    fn notified(&mut self, zone: &Name, from: SocketAddr, now: Instant) {
        let log = self.log;
        for z in self
            .zones
            .iter_mut()
            .filter(|z| zone.is_root() || z.source.zone == *zone)
        {
            log.at(
                LogLevel::Debug,
                format_args!(
                    "secondary: {}: NOTIFY from {from}",
                    z.source.zone.to_ascii()
                ),
            );
            if z.fetch.is_some() {
                z.notified_meanwhile = true;
            } else {
                z.timer.notified(now);
            }
        }
    }

    /// Starts a refresh of zone `index`: a new connection, an SOA check
    /// (or an AXFR for the fallback).
    fn start(&mut self, index: usize, net: &mut dyn Sockets, axfr: bool) {
        let now = net.now();
        let unix_time = net.unix_time();
        let (id, transfer_id) = (self.jitter.next_u64() as u16, self.jitter.next_u64() as u16);
        let zone = &self.zones[index];
        let apex = zone.source.zone.clone();
        let key = zone.source.key.clone();
        let current = self.dns.catalog().get(&apex).map(Zone::serial);
        let session = if axfr {
            Session::axfr(apex, key, id, current, unix_time)
        } else {
            Session::check(apex, key, id, transfer_id, unix_time)
        };
        match net.tcp_connect(zone.source.primary, TRANSFER_IDLE_TIMEOUT) {
            Ok(tcp) => {
                self.zones[index].fetch = Some(Fetch {
                    tcp,
                    session,
                    started: now,
                    connected: None,
                    last_input: now,
                    fallback: axfr,
                });
            }
            Err(error) => self.failed(index, now, RefreshError::Connect(error)),
        }
    }

    /// Moves bytes for the refresh of zone `index`; finishes it when done.
    fn pump(&mut self, index: usize, net: &mut dyn Sockets) {
        let now = net.now();
        let unix_time = net.unix_time();
        let Some(fetch) = self.zones[index].fetch.as_mut() else {
            return;
        };
        let status = net.tcp_status(fetch.tcp);
        if status == TcpStatus::Connecting {
            if now.since(fetch.started) >= CONNECT_TIMEOUT {
                self.end(index, net, Err(RefreshError::ConnectTimeout));
            }
            return;
        }
        fetch.connected.get_or_insert(now);
        let apex = fetch.session.zone().clone();
        let mut step = Step::Wait;
        loop {
            let n = match net.tcp_read(fetch.tcp, &mut self.buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            fetch.last_input = now;
            step = fetch
                .session
                .input(&self.buf[..n], self.dns.catalog().get(&apex), unix_time);
            if !matches!(step, Step::Wait) {
                break;
            }
        }
        if matches!(step, Step::Wait) {
            while !fetch.session.output().is_empty() {
                match net.tcp_write(fetch.tcp, fetch.session.output()) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => fetch.session.consume_output(n),
                }
            }
            let gone = matches!(status, TcpStatus::Closed | TcpStatus::PeerClosed);
            if gone {
                self.end(index, net, Err(RefreshError::ConnectionLost));
            } else if now.since(fetch.last_input) >= TRANSFER_IDLE_TIMEOUT
                || now.since(fetch.started) >= TRANSFER_TIME_LIMIT
            {
                self.end(index, net, Err(RefreshError::Timeout));
            }
            return;
        }
        self.end(index, net, Ok(step));
    }

    /// Closes the refresh of zone `index` and acts on its result.
    fn end(&mut self, index: usize, net: &mut dyn Sockets, result: Result<Step, RefreshError>) {
        let now = net.now();
        let Some(fetch) = self.zones[index].fetch.take() else {
            return;
        };
        net.tcp_release(fetch.tcp);
        let elapsed = now.since(fetch.connected.unwrap_or(fetch.started));
        match result {
            Ok(Step::UpToDate { serial }) => {
                let apex = self.zones[index].source.zone.clone();
                self.log.at(
                    LogLevel::Debug,
                    format_args!("secondary: {}: serial {serial} is current", apex.to_ascii()),
                );
                self.succeeded(index, now);
            }
            Ok(Step::Transferred {
                kind,
                outcome,
                messages,
            }) => self.install(index, net, kind, outcome, messages, elapsed, fetch.fallback),
            Ok(Step::Failed(error)) => {
                if error.axfr_may_help() && !fetch.fallback {
                    self.fall_back(index, net, &error);
                } else {
                    self.failed(index, now, RefreshError::Session(error));
                }
            }
            Ok(Step::Wait) => {}
            Err(error) => self.failed(index, now, error),
        }
        if core::mem::take(&mut self.zones[index].notified_meanwhile)
            && self.zones[index].fetch.is_none()
        {
            self.zones[index].timer.notified(now);
        }
    }

    fn fall_back(&mut self, index: usize, net: &mut dyn Sockets, error: &SessionError) {
        let apex = self.zones[index].source.zone.to_ascii();
        self.log.at(
            LogLevel::Info,
            format_args!("secondary: {apex}: {error}; trying AXFR"),
        );
        self.start(index, net, true);
    }

    #[allow(clippy::too_many_arguments)]
    fn install(
        &mut self,
        index: usize,
        net: &mut dyn Sockets,
        kind: Kind,
        outcome: Outcome,
        messages: usize,
        elapsed: Duration,
        fallback: bool,
    ) {
        let now = net.now();
        let apex = self.zones[index].source.zone.clone();
        let how = match (&outcome, kind) {
            (Outcome::Incremental(diffs), _) => alloc::format!("IXFR ({} diffs)", diffs.len()),
            (Outcome::Full(_), Kind::Ixfr) => String::from("IXFR answered with the whole zone"),
            _ => String::from("AXFR"),
        };
        let base = self.dns.catalog().get(&apex);
        let old_serial = base.map(Zone::serial);
        let new = match outcome.into_zone(base) {
            Ok(Some(zone)) => zone,
            Ok(None) => {
                self.succeeded(index, now);
                return;
            }
            Err(error) => {
                let error = SessionError::Transfer { kind, error };
                if error.axfr_may_help() && !fallback {
                    self.fall_back(index, net, &error);
                } else {
                    self.failed(index, now, RefreshError::Session(error));
                }
                return;
            }
        };
        if let Some(ours) = old_serial {
            if new.serial() < ours || new.serial() == ours {
                let error = SessionError::SerialBackwards {
                    ours,
                    theirs: new.serial(),
                };
                self.failed(index, now, RefreshError::Session(error));
                return;
            }
        }
        let (serial, records) = (new.serial(), new.record_count());
        self.dns.install_zone(new, now);
        self.zones[index].expired = false;
        match old_serial {
            Some(old) => self.log.at(
                LogLevel::Info,
                format_args!(
                    "secondary: {}: serial {old} -> {serial} by {how}: {records} records, {messages} messages, {} ms",
                    apex.to_ascii(),
                    elapsed.as_millis()
                ),
            ),
            None => self.log.at(
                LogLevel::Info,
                format_args!(
                    "secondary: {}: loaded serial {serial} by {how}: {records} records, {messages} messages, {} ms",
                    apex.to_ascii(),
                    elapsed.as_millis()
                ),
            ),
        }
        self.succeeded(index, now);
    }

    fn succeeded(&mut self, index: usize, now: Instant) {
        let apex = self.zones[index].source.zone.clone();
        let Some(timers) = self
            .dns
            .catalog()
            .get(&apex)
            .map(|z| SoaTimers::from_fields(z.soa_timers()))
        else {
            return;
        };
        let zone = &mut self.zones[index];
        zone.timer.succeeded(now, timers, &mut self.jitter);
        if zone.expired {
            zone.expired = false;
            self.dns.set_expired(&apex, false);
            self.log.at(
                LogLevel::Warn,
                format_args!(
                    "secondary: {}: the primary answers again; serving",
                    apex.to_ascii()
                ),
            );
        }
    }

    fn failed(&mut self, index: usize, now: Instant, error: RefreshError) {
        let apex = self.zones[index].source.zone.clone();
        let primary = self.zones[index].source.primary;
        let timers = self
            .dns
            .catalog()
            .get(&apex)
            .map(|z| SoaTimers::from_fields(z.soa_timers()));
        let zone = &mut self.zones[index];
        zone.timer.failed(now, timers, &mut self.jitter);
        let retry = zone.timer.next_check().since(now).as_millis();
        let keeping = match timers {
            Some(_) => "keeping the zone we have",
            None => "not serving it yet",
        };
        self.log.at(
            LogLevel::Warn,
            format_args!(
                "secondary: {}: refresh from {primary} failed: {error}; {keeping}; retrying in {retry} ms",
                apex.to_ascii()
            ),
        );
    }

    /// Marks zones expired whose copy outlived the SOA expire time.
    fn expire(&mut self, now: Instant) {
        for index in 0..self.zones.len() {
            let zone = &mut self.zones[index];
            if zone.expired || !zone.timer.expired(now) {
                continue;
            }
            zone.expired = true;
            let apex = zone.source.zone.clone();
            self.dns.set_expired(&apex, true);
            self.log.at(
                LogLevel::Warn,
                format_args!(
                    "secondary: {}: expired (no answer from the primary within the SOA expire time); answering SERVFAIL",
                    apex.to_ascii()
                ),
            );
        }
    }

    fn deadline(&self, now: Instant) -> Option<Instant> {
        self.zones
            .iter()
            .map(|z| match &z.fetch {
                // Connect timeout, idle timeout and the overall limit.
                Some(fetch) => fetch
                    .last_input
                    .after(TRANSFER_IDLE_TIMEOUT)
                    .min(fetch.started.after(CONNECT_TIMEOUT).max(now))
                    .min(fetch.started.after(TRANSFER_TIME_LIMIT)),
                None => z.timer.deadline(now),
            })
            .min()
    }
}

impl Service for Secondary {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        let now = net.now();
        if !self.started {
            // Timers start at the first poll: the clock is the stack's.
            self.started = true;
            for zone in &mut self.zones {
                zone.timer = RefreshTimer::new(now);
            }
        }
        let mut result = self.dns.poll(net);
        for event in self.dns.take_events() {
            if let ControlEvent::Notified { zone, from } = event {
                self.notified(&zone, from, now);
            }
        }
        let mut changed = false;
        for index in 0..self.zones.len() {
            if self.zones[index].fetch.is_some() {
                self.pump(index, net);
                changed = true;
            }
            if self.zones[index].fetch.is_none() && self.zones[index].timer.check_due(now) {
                self.start(index, net, false);
                self.pump(index, net);
                changed = true;
            }
        }
        self.expire(now);
        if changed {
            // NOTIFYs to our own secondaries after an install leave now.
            result = self.dns.poll(net);
        }
        match result {
            Poll::Exit(status) => Poll::Exit(status),
            Poll::Until(deadline) => Poll::Until(match (deadline, self.deadline(now)) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        dns_keys::parse_cli_key(text).expect("a key")
    }

    /// A bad key argument is reported without its secret (issue 12 §8).
    #[test]
    fn a_bad_key_argument_never_shows_its_secret() {
        use alloc::format;
        use alloc::string::ToString;
        let secret = "c2VjcmV0c2VjcmV0c2VjcmV0";
        for bad in [
            format!("10.53.0.1.10.53.0.2._transfer.example.com:SHA999:{secret}"),
            format!("hmac-md5:10.53.0.1.10.53.0.2._transfer.example.com:{secret}"),
            format!("bad..name:SHA256:{secret}"),
            format!("x._transfer.example.com:SHA256:{secret}!"),
            secret.to_string(),
        ] {
            let cmdline = format!("--keys={bad}");
            let Ok(bootargs::Parsed::Args(args)) =
                bootargs::parse("secondary", SECONDARY_ARGS, &cmdline)
            else {
                panic!("{cmdline} parses as arguments");
            };
            let error = config_from_args(&args, &[]).expect_err(&cmdline);
            assert!(error.starts_with("--keys="), "{error}");
            assert!(!error.contains(secret), "{error}");
        }
    }

    #[test]
    fn transfer_keys_name_the_zones_and_their_primaries() {
        let mut keys = KeyStore::new();
        keys.insert(key(
            "10.53.0.1.10.53.0.2._transfer.example.com:SHA256:AAAAAAAAAAAAAAAAAAAAAA==",
        ));
        keys.insert(key(
            "10.53.0.9.10.53.0.2._transfer.example.org:SHA256:AAAAAAAAAAAAAAAAAAAAAA==",
        ));
        keys.insert(key(
            "admin._update.example.com:SHA256:AAAAAAAAAAAAAAAAAAAAAA==",
        ));
        let ours = ["10.53.0.2".parse().unwrap()];
        let (zones, warnings) = zones_from_keys(&keys, 5353, &ours).unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let found: Vec<(String, SocketAddr)> = zones
            .iter()
            .map(|z| (z.zone.to_ascii(), z.primary))
            .collect();
        assert_eq!(
            found,
            [
                (
                    String::from("example.com."),
                    "10.53.0.1:5353".parse().unwrap()
                ),
                (
                    String::from("example.org."),
                    "10.53.0.9:5353".parse().unwrap()
                ),
            ]
        );
    }

    #[test]
    fn a_key_for_another_secondary_is_a_warning_and_two_primaries_an_error() {
        let mut keys = KeyStore::new();
        keys.insert(key(
            "10.53.0.1.10.53.0.3._transfer.example.com:SHA256:AAAAAAAAAAAAAAAAAAAAAA==",
        ));
        let ours = ["10.53.0.2".parse().unwrap()];
        let (zones, warnings) = zones_from_keys(&keys, 53, &ours).unwrap();
        assert_eq!(zones.len(), 1);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        keys.insert(key(
            "10.53.0.7.10.53.0.2._transfer.example.com:SHA256:AAAAAAAAAAAAAAAAAAAAAA==",
        ));
        assert!(zones_from_keys(&keys, 53, &ours).is_err());
    }
}
