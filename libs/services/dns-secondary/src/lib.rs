//! The secondary service: serves copies of zones transferred from their
//! primaries and keeps them fresh (RFC 1034 §4.3.5, RFC 1995, RFC 1996,
//! RFC 5936), every transfer TSIG-signed (RFC 8945).
//!
//! Which zones and which primaries come from the TSIG keys, in the
//! OCaml-DNS convention: a key `<primary-ip>.<secondary-ip>._transfer.<zone>`
//! means "serve `<zone>`, transferred from `<primary-ip>`, signed with this
//! key" ([`zones_from_keys`]); an `_update` key named the same way does too
//! (an update key may transfer). A key for the root,
//! `<primary-ip>.<secondary-ip>._transfer.`, means "serve every zone of
//! `<primary-ip>`": the secondary sends the primary a signed SOA query for
//! `.`, the primary NOTIFYs it for each zone it has (and for zones it gets
//! later), and a NOTIFY signed with the root key for a zone we do not have
//! yet adds that zone (OCaml-DNS `Dns_server.Secondary`).
//!
//! Hidden mode ([`SecondaryConfig::hidden`], boot argument `--hidden`):
//! for a secondary in no NS record and at no address a key names (the
//! letsencrypt unikernel; maybe behind NAT), which the primary cannot
//! NOTIFY the usual way. It keeps one TCP connection per primary open and
//! sends its signed SOA queries over it: an OCaml-DNS primary, and ours,
//! then NOTIFYs it on that connection ([`channel`]). The refresh a NOTIFY
//! starts runs on a fresh connection, as any; the SOA timers go on as a
//! fallback. A connection that drops is made again with backoff
//! ([`CHANNEL_RETRY`] doubling up to [`CHANNEL_RETRY_MAX`]); one the
//! primary closes after answering on it, after [`CHANNEL_RETRY`]. Only a
//! primary that notifies subscribers makes this worth it (ours and
//! OCaml-DNS do; BIND, Knot and NSD close the idle connection within
//! seconds to minutes and never send a NOTIFY on it).
//!
//! Embedding (the letsencrypt service wraps a [`Secondary`]): it is a
//! [`netstack::Service`], so the embedder's own `Service::poll` calls
//! [`Secondary::poll`](netstack::Service::poll) with the same
//! `&mut dyn Sockets` it got, opens and drives its own sockets on that
//! same `Sockets` (handles never clash: the stack hands them out), and
//! returns the earlier of both deadlines ([`sooner`]). After each poll,
//! [`Secondary::take_changed_zones`] names the zones whose new serial was
//! installed since the last call and [`Secondary::zone`] gives their
//! contents.
//!
//! Layers:
//! - [`timers`]: the SOA refresh / retry / expire timers of one zone, with
//!   jitter (sans-IO).
//! - [`session`]: one refresh of one zone over one TCP stream: signed SOA
//!   query, then IXFR from our copy (AXFR when we have none), verified
//!   message by message (sans-IO).
//! - [`channel`]: hidden mode's kept connection to one primary: SOA
//!   queries as keepalive and subscription, NOTIFYs answered (sans-IO).
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

pub mod channel;
pub mod session;
pub mod timers;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;

use dns_keys::{KeyRole, KeyStore, Operation};
pub use dns_service::LogLevel;
use dns_service::{ControlEvent, DnsService, Logger};
use dns_xfr::{Kind, Limits, Outcome};
use dns_zone::{Name, Zone};
use netstack::{Instant, NetError, Poll, Service, Sockets, TcpHandle, TcpStatus};
use tsig::Key;

pub use channel::{Channel, ChannelError, ChannelEvent};
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
/// How often a root key's subscription (the SOA query for `.`) is sent
/// again once it succeeded: it picks up zones whose NOTIFYs were lost.
pub const ROOT_RECHECK: Duration = Duration::from_secs(3600);
/// The first retry of a failed subscription; it doubles up to
/// [`ROOT_RETRY_MAX`].
pub const ROOT_RETRY: Duration = Duration::from_secs(5);
/// The longest wait between failed subscriptions.
pub const ROOT_RETRY_MAX: Duration = Duration::from_secs(300);
/// Zones a root key may add: a primary that NOTIFYs without end must not
/// make us hold zones without end.
pub const MAX_FOLLOWED_ZONES: usize = 10_000;
/// The first wait before a hidden secondary makes its kept connection to
/// a primary again; it doubles up to [`CHANNEL_RETRY_MAX`], and starts
/// again once the primary answers on a new connection.
pub const CHANNEL_RETRY: Duration = Duration::from_secs(5);
/// The longest wait between attempts at a hidden secondary's kept
/// connection.
pub const CHANNEL_RETRY_MAX: Duration = Duration::from_secs(300);
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

/// A primary all of whose zones this secondary serves (a root key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RootSource {
    /// The primary's DNS address (TCP).
    pub primary: SocketAddr,
    /// The root transfer key: signs the subscription, the NOTIFYs and the
    /// transfers of every zone learnt from this primary.
    pub key: Key,
}

/// Everything [`Secondary::new`] needs.
#[derive(Clone, Debug)]
pub struct SecondaryConfig {
    /// The zones and their primaries.
    pub zones: Vec<ZoneSource>,
    /// The primaries followed for every zone (root keys).
    pub roots: Vec<RootSource>,
    /// Every key given (the transfer keys also authorise NOTIFYs from the
    /// primary and transfers from us to the key's holders).
    pub keys: KeyStore,
    /// The largest transfer taken.
    pub limits: Limits,
    /// Hidden mode (see the crate documentation): a kept connection to
    /// each primary carries our SOA queries and its NOTIFYs.
    pub hidden: bool,
}

/// The zones and primaries the keys name ([`zones_from_keys`]).
#[derive(Clone, Debug, Default)]
pub struct Sources {
    /// Zones named by zone keys.
    pub zones: Vec<ZoneSource>,
    /// Primaries named by root keys.
    pub roots: Vec<RootSource>,
    /// Warnings to log.
    pub warnings: Vec<String>,
}

/// The zones named by the transfer (or update) keys of `keys`: each key
/// `<primary-ip>[.<secondary-ip>]._transfer.<zone>` (or `._update.<zone>`)
/// adds `<zone>` from `<primary-ip>` on `primary_port`; a key for the root
/// adds `<primary-ip>` as a primary followed for every zone. Errors name a
/// zone given twice with different primaries; warnings name a secondary
/// address that is not one of `ours`.
pub fn zones_from_keys(
    keys: &KeyStore,
    primary_port: u16,
    ours: &[IpAddr],
) -> Result<Sources, String> {
    let mut found = Sources::default();
    for key in keys.iter() {
        let Some(role) = KeyRole::of(key.name()) else {
            continue;
        };
        let Some(primary) = role
            .primary
            .filter(|_| role.operation.grants(Operation::Transfer))
        else {
            continue;
        };
        if let Some(secondary) = role.secondary {
            if !ours.is_empty() && !ours.contains(&secondary) {
                found.warnings.push(alloc::format!(
                    "key {}: {secondary} is not one of our addresses",
                    key.name().to_ascii()
                ));
            }
        }
        let primary = SocketAddr::new(primary, primary_port);
        if role.zone.is_root() {
            if !found.roots.iter().any(|r| r.primary == primary) {
                found.roots.push(RootSource {
                    primary,
                    key: key.clone(),
                });
            }
            continue;
        }
        if let Some(other) = found.zones.iter().find(|z| z.zone == role.zone) {
            if other.primary != primary {
                return Err(alloc::format!(
                    "zone {} has two primaries, {} and {primary}: give one transfer key per zone",
                    role.zone.to_ascii(),
                    other.primary
                ));
            }
            // A transfer key is preferred to an update key of the zone.
            continue;
        }
        found.zones.push(ZoneSource {
            zone: role.zone,
            primary,
            key: key.clone(),
        });
    }
    Ok(found)
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
    /// Nothing received for [`TRANSFER_IDLE_TIMEOUT`]: the transfer stalled.
    Stalled,
    /// The refresh took longer than [`TRANSFER_TIME_LIMIT`].
    TookTooLong,
    /// A hidden secondary's kept connection failed.
    Channel(ChannelError),
    /// The primary closed the connection before the answer was complete.
    ConnectionLost,
    /// The answer was refused (signature, serial, format).
    Session(SessionError),
}

impl fmt::Display for RefreshError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Connect(e) => write!(f, "cannot connect: {e}"),
            Self::ConnectTimeout => write!(
                f,
                "timed out: no connection within {} s (primary down or unreachable)",
                CONNECT_TIMEOUT.as_secs()
            ),
            Self::Stalled => write!(
                f,
                "no data from the primary for {} s",
                TRANSFER_IDLE_TIMEOUT.as_secs()
            ),
            Self::TookTooLong => write!(
                f,
                "the transfer took longer than {} s",
                TRANSFER_TIME_LIMIT.as_secs()
            ),
            Self::ConnectionLost => f.write_str("the primary closed the connection early"),
            Self::Channel(e) => e.fmt(f),
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

/// A root key's subscription to its primary.
struct Root {
    source: RootSource,
    fetch: Option<Fetch>,
    /// When the next subscription goes out (none while one is running).
    next: Instant,
    /// The wait after the next failure.
    retry: Duration,
}

/// Hidden mode's kept connection to one primary.
struct Hidden {
    primary: SocketAddr,
    /// What is subscribed on it: zones with their keys, the root with a
    /// root key.
    zones: Vec<(Name, Key)>,
    tcp: Option<TcpHandle>,
    /// When the connection was started.
    started: Instant,
    /// The protocol on it, once established.
    channel: Option<Channel>,
    /// When to connect again (while `tcp` is `None`).
    next_attempt: Instant,
    /// The wait after the next failure.
    retry: Duration,
    /// The primary answered on this connection (logged once).
    answered: bool,
}

/// The earlier of two services' wishes (an exit wins): what an embedder
/// that polls a [`Secondary`] besides its own sockets returns.
pub fn sooner(a: Poll, b: Poll) -> Poll {
    match (a, b) {
        (Poll::Exit(status), _) | (_, Poll::Exit(status)) => Poll::Exit(status),
        (Poll::Until(a), Poll::Until(b)) => Poll::Until(match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }),
    }
}

/// The secondary service (see the crate documentation). Poll it from the
/// stack's event loop; it polls the DNS service it owns.
pub struct Secondary {
    dns: DnsService,
    zones: Vec<SecondaryZone>,
    roots: Vec<Root>,
    /// Hidden mode: one kept connection per primary.
    hidden: Vec<Hidden>,
    /// The keys, to verify NOTIFYs on kept connections.
    keys: KeyStore,
    /// Zones whose new serial was installed since the embedder last asked.
    changed: Vec<Name>,
    limits: Limits,
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
        let keys = config.keys.clone();
        let mut hidden: Vec<Hidden> = Vec::new();
        if config.hidden {
            let zones = config
                .zones
                .iter()
                .map(|z| (z.primary, z.zone.clone(), z.key.clone()));
            let roots = config
                .roots
                .iter()
                .map(|r| (r.primary, Name::root(), r.key.clone()));
            for (primary, zone, key) in zones.chain(roots) {
                let at = match hidden.iter().position(|h| h.primary == primary) {
                    Some(at) => at,
                    None => {
                        hidden.push(Hidden {
                            primary,
                            zones: Vec::new(),
                            tcp: None,
                            started: Instant(0),
                            channel: None,
                            next_attempt: Instant(0),
                            retry: CHANNEL_RETRY,
                            answered: false,
                        });
                        hidden.len() - 1
                    }
                };
                hidden[at].zones.push((zone, key));
            }
        }
        dns.set_keys(config.keys, seed, ours);
        for source in &config.zones {
            dns.accept_notify(source.zone.clone(), source.primary.ip());
            // Configured, no data yet: SERVFAIL, not REFUSED.
            dns.set_unloaded(&source.zone, true);
        }
        for root in &config.roots {
            // The root: NOTIFYs for any zone from this primary.
            dns.accept_notify(Name::root(), root.primary.ip());
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
            roots: config
                .roots
                .into_iter()
                .map(|source| Root {
                    source,
                    fetch: None,
                    next: Instant(0),
                    retry: ROOT_RETRY,
                })
                .collect(),
            hidden,
            keys,
            changed: Vec::new(),
            limits: config.limits,
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

    /// The copy of the zone at `apex` we hold (also while it is expired:
    /// see [`dns_server::catalog::Catalog::is_expired`]), if one was
    /// transferred.
    pub fn zone(&self, apex: &Name) -> Option<&Zone> {
        self.dns.catalog().get(apex)
    }

    /// The zones whose new serial (or first copy) was installed since the
    /// last call, each once, in the order they changed; read them with
    /// [`Secondary::zone`].
    pub fn take_changed_zones(&mut self) -> Vec<Name> {
        core::mem::take(&mut self.changed)
    }

    /// Whether every kept connection of hidden mode has been answered by
    /// its primary since it was last made (true when not hidden).
    pub fn channels_up(&self) -> bool {
        self.hidden.iter().all(|h| h.answered)
    }

    /// A NOTIFY for a zone we do not serve from the primary of a root key
    /// (the control plane took it only signed with a key that may notify
    /// the zone): serve that zone too, from that primary, with the root key.
    fn follow(&mut self, zone: &Name, from: SocketAddr, now: Instant) {
        let Some(root) = self
            .roots
            .iter()
            .find(|r| r.source.primary.ip() == from.ip())
        else {
            return;
        };
        if self.zones.len() >= MAX_FOLLOWED_ZONES {
            self.log.at(
                LogLevel::Warn,
                format_args!(
                    "secondary: NOTIFY for {} from {from}: already {MAX_FOLLOWED_ZONES} zones; not following it",
                    zone.to_ascii()
                ),
            );
            return;
        }
        let source = ZoneSource {
            zone: zone.clone(),
            primary: root.source.primary,
            key: root.source.key.clone(),
        };
        self.log.at(
            LogLevel::Info,
            format_args!(
                "secondary: {}: NOTIFY from {from}: a new zone of {}, following it with key {}",
                zone.to_ascii(),
                source.primary,
                source.key.name().to_ascii()
            ),
        );
        self.dns.accept_notify(zone.clone(), source.primary.ip());
        self.dns.set_unloaded(zone, true);
        let mut timer = RefreshTimer::new(now);
        timer.notified(now);
        self.zones.push(SecondaryZone {
            source,
            timer,
            fetch: None,
            notified_meanwhile: false,
            expired: false,
        });
    }

    fn notified(&mut self, zone: &Name, from: SocketAddr, now: Instant) {
        if !zone.is_root() && !self.zones.iter().any(|z| z.source.zone == *zone) {
            self.follow(zone, from, now);
        }
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
        }
        .with_limits(self.limits);
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
        let Some(fetch) = self.zones[index].fetch.as_mut() else {
            return;
        };
        let apex = fetch.session.zone().clone();
        let current = self.dns.catalog().get(&apex);
        if let Some(result) = pump_fetch(fetch, net, &mut self.buf, current) {
            self.end(index, net, result);
        }
    }

    /// Starts the subscriptions of root keys that are due, moves the
    /// running ones on.
    fn poll_roots(&mut self, net: &mut dyn Sockets) {
        let now = net.now();
        for index in 0..self.roots.len() {
            if self.roots[index].fetch.is_none() && self.roots[index].next <= now {
                let id = self.jitter.next_u64() as u16;
                let root = &mut self.roots[index];
                let session = Session::subscribe(root.source.key.clone(), id, net.unix_time());
                match net.tcp_connect(root.source.primary, TRANSFER_IDLE_TIMEOUT) {
                    Ok(tcp) => {
                        root.fetch = Some(Fetch {
                            tcp,
                            session,
                            started: now,
                            connected: None,
                            last_input: now,
                            fallback: true,
                        })
                    }
                    Err(error) => self.root_done(index, now, Err(RefreshError::Connect(error))),
                }
            }
            let Some(fetch) = self.roots[index].fetch.as_mut() else {
                continue;
            };
            if let Some(result) = pump_fetch(fetch, net, &mut self.buf, None) {
                if let Some(fetch) = self.roots[index].fetch.take() {
                    net.tcp_release(fetch.tcp);
                }
                self.root_done(index, now, result);
            }
        }
    }

    fn root_done(&mut self, index: usize, now: Instant, result: Result<Step, RefreshError>) {
        let root = &mut self.roots[index];
        let (primary, key) = (root.source.primary, root.source.key.name().to_ascii());
        match result {
            Ok(Step::Subscribed) => {
                root.next = now.after(ROOT_RECHECK);
                root.retry = ROOT_RETRY;
                self.log.at(
                    LogLevel::Info,
                    format_args!(
                        "secondary: {primary} took our SOA query for the root (key {key}): following every zone it NOTIFYs us for"
                    ),
                );
            }
            Ok(Step::Failed(error)) => self.root_failed(index, now, RefreshError::Session(error)),
            Err(error) => self.root_failed(index, now, error),
            Ok(_) => self.root_failed(
                index,
                now,
                RefreshError::Session(SessionError::Malformed("an unexpected answer")),
            ),
        }
    }

    fn root_failed(&mut self, index: usize, now: Instant, error: RefreshError) {
        let root = &mut self.roots[index];
        root.next = now.after(root.retry);
        let wait = root.retry;
        root.retry = (root.retry * 2).min(ROOT_RETRY_MAX);
        self.log.at(
            LogLevel::Warn,
            format_args!(
                "secondary: SOA query for the root to {} (key {}) failed: {error}; retrying in {} ms",
                root.source.primary,
                root.source.key.name().to_ascii(),
                wait.as_millis()
            ),
        );
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
            Ok(Step::Wait | Step::Subscribed) => {}
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
        if !self.changed.contains(&apex) {
            self.changed.push(apex.clone());
        }
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
        // Connect timeout, idle timeout and the overall limit.
        let fetching = |fetch: &Fetch| {
            fetch
                .last_input
                .after(TRANSFER_IDLE_TIMEOUT)
                .min(fetch.started.after(CONNECT_TIMEOUT).max(now))
                .min(fetch.started.after(TRANSFER_TIME_LIMIT))
        };
        let zones = self.zones.iter().map(|z| match &z.fetch {
            Some(fetch) => fetching(fetch),
            None => z.timer.deadline(now),
        });
        // Hidden, the roots' subscriptions are the kept connections'.
        let roots = self.roots.iter().filter(|_| self.hidden.is_empty());
        let roots = roots.map(|r| match &r.fetch {
            Some(fetch) => fetching(fetch),
            None => r.next,
        });
        let hidden = self.hidden.iter().map(|h| match (&h.tcp, &h.channel) {
            (None, _) => h.next_attempt,
            (Some(_), Some(channel)) => channel.deadline(),
            (Some(_), None) => h.started.after(CONNECT_TIMEOUT).max(now),
        });
        zones.chain(roots).chain(hidden).min()
    }

    /// Moves hidden mode's kept connections on: connects, reads, answers
    /// NOTIFYs, sends the SOA queries due; acts on what they bring.
    fn poll_hidden(&mut self, net: &mut dyn Sockets) {
        let now = net.now();
        for index in 0..self.hidden.len() {
            let seed = self.jitter.next_u64();
            let hidden = &mut self.hidden[index];
            match pump_hidden(hidden, net, &mut self.buf, &self.keys, seed) {
                Ok(events) => {
                    let primary = hidden.primary;
                    for event in events {
                        self.channel_event(index, primary, event, now);
                    }
                }
                Err(error) => self.channel_failed(index, net, error),
            }
        }
    }

    fn channel_event(
        &mut self,
        index: usize,
        primary: SocketAddr,
        event: ChannelEvent,
        now: Instant,
    ) {
        if matches!(
            event,
            ChannelEvent::Serial { .. } | ChannelEvent::Subscribed
        ) {
            let hidden = &mut self.hidden[index];
            hidden.retry = CHANNEL_RETRY;
            if !hidden.answered {
                hidden.answered = true;
                self.log.at(
                    LogLevel::Info,
                    format_args!(
                        "secondary: kept connection to {primary} up (hidden mode): its NOTIFYs for {} come on it",
                        subscribed(&hidden.zones)
                    ),
                );
            }
        }
        match event {
            ChannelEvent::Serial { zone, serial } => self.primary_serial(&zone, serial, now),
            ChannelEvent::Notified { zone } => {
                self.log.at(
                    LogLevel::Info,
                    format_args!(
                        "secondary: {}: NOTIFY from {primary} on the kept connection",
                        zone.to_ascii()
                    ),
                );
                self.notified(&zone, primary, now);
            }
            ChannelEvent::Refused { zone, error } => self.log.at(
                LogLevel::Warn,
                format_args!(
                    "secondary: {}: SOA query on the kept connection to {primary}: {error}",
                    zone.to_ascii()
                ),
            ),
            ChannelEvent::NotifyRefused { reason } => self.log.at(
                LogLevel::Warn,
                format_args!(
                    "secondary: NOTIFY from {primary} on the kept connection refused: {reason}"
                ),
            ),
            _ => {}
        }
    }

    /// The primary's serial of `apex`, from a keepalive SOA query: a newer
    /// one starts a refresh, the same one counts as a successful check.
    fn primary_serial(&mut self, apex: &Name, theirs: dns_zone::Serial, now: Instant) {
        let Some(index) = self.zones.iter().position(|z| z.source.zone == *apex) else {
            return;
        };
        if self.zones[index].fetch.is_some() {
            return;
        }
        let ours = self.dns.catalog().get(apex).map(Zone::serial);
        match ours.map(|ours| theirs.partial_cmp(&ours)) {
            Some(Some(core::cmp::Ordering::Equal)) => self.succeeded(index, now),
            // Newer, or we have none yet: refresh now.
            None | Some(Some(core::cmp::Ordering::Greater)) => {
                self.zones[index].timer.notified(now)
            }
            // Older or undefined: the refresh timers' check will say so.
            _ => {}
        }
    }

    fn channel_failed(&mut self, index: usize, net: &mut dyn Sockets, error: RefreshError) {
        let now = net.now();
        let hidden = &mut self.hidden[index];
        if let Some(tcp) = hidden.tcp.take() {
            net.tcp_release(tcp);
        }
        hidden.channel = None;
        // A primary that answered and then closed the connection (one
        // with a short TCP idle timeout: BIND 30 s, Knot 10 s; ours keeps
        // channels 5 minutes) is no failure: connect again, no backoff.
        let closed = error == RefreshError::ConnectionLost && hidden.answered;
        hidden.answered = false;
        let wait = hidden.retry;
        hidden.next_attempt = now.after(wait);
        if !closed {
            hidden.retry = (hidden.retry * 2).min(CHANNEL_RETRY_MAX);
        }
        let level = if closed {
            LogLevel::Info
        } else {
            LogLevel::Warn
        };
        self.log.at(
            level,
            format_args!(
                "secondary: kept connection to {} (hidden mode): {error}; connecting again in {} ms",
                hidden.primary,
                wait.as_millis()
            ),
        );
    }
}

/// The zones of a kept connection, for the log.
fn subscribed(zones: &[(Name, Key)]) -> String {
    if zones.iter().any(|(zone, _)| zone.is_root()) {
        return String::from("every zone");
    }
    let names: Vec<String> = zones.iter().map(|(zone, _)| zone.to_ascii()).collect();
    names.join(", ")
}

/// Moves one kept connection of hidden mode on; what it brought, or why
/// it is to be made again.
fn pump_hidden(
    hidden: &mut Hidden,
    net: &mut dyn Sockets,
    buf: &mut [u8],
    keys: &KeyStore,
    seed: u64,
) -> Result<Vec<ChannelEvent>, RefreshError> {
    let now = net.now();
    let unix_time = net.unix_time();
    let tcp = match hidden.tcp {
        Some(tcp) => tcp,
        None if now < hidden.next_attempt => return Ok(Vec::new()),
        None => {
            // The primary closes a channel idle this long; so may we.
            let idle = dns_service::NOTIFY_CHANNEL_IDLE_TIMEOUT;
            let tcp = net
                .tcp_connect(hidden.primary, idle)
                .map_err(RefreshError::Connect)?;
            hidden.tcp = Some(tcp);
            hidden.started = now;
            tcp
        }
    };
    match net.tcp_status(tcp) {
        TcpStatus::Connecting if now.since(hidden.started) >= CONNECT_TIMEOUT => {
            return Err(RefreshError::ConnectTimeout)
        }
        TcpStatus::Connecting => return Ok(Vec::new()),
        TcpStatus::Closed | TcpStatus::PeerClosed => return Err(RefreshError::ConnectionLost),
        TcpStatus::Open => {}
    }
    let zones = &hidden.zones;
    let channel = hidden
        .channel
        .get_or_insert_with(|| Channel::new(zones.iter().cloned(), now, seed));
    let mut events = Vec::new();
    // Bounded by what the socket holds: it is drained in one poll.
    loop {
        let n = match net.tcp_read(tcp, buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        let more = channel
            .input(&buf[..n], keys, unix_time)
            .map_err(RefreshError::Channel)?;
        events.extend(more);
    }
    channel
        .poll(now, unix_time)
        .map_err(RefreshError::Channel)?;
    while !channel.output().is_empty() {
        match net.tcp_write(tcp, channel.output()) {
            Ok(0) | Err(_) => break,
            Ok(n) => channel.consume_output(n),
        }
    }
    Ok(events)
}

/// Moves bytes of one refresh (or subscription); its result once it has
/// one. `current` is the copy we serve.
fn pump_fetch(
    fetch: &mut Fetch,
    net: &mut dyn Sockets,
    buf: &mut [u8],
    current: Option<&Zone>,
) -> Option<Result<Step, RefreshError>> {
    let now = net.now();
    let unix_time = net.unix_time();
    let status = net.tcp_status(fetch.tcp);
    if status == TcpStatus::Connecting {
        if now.since(fetch.started) >= CONNECT_TIMEOUT {
            return Some(Err(RefreshError::ConnectTimeout));
        }
        return None;
    }
    fetch.connected.get_or_insert(now);
    let mut step = Step::Wait;
    loop {
        let n = match net.tcp_read(fetch.tcp, buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        fetch.last_input = now;
        step = fetch.session.input(&buf[..n], current, unix_time);
        if !matches!(step, Step::Wait) {
            break;
        }
    }
    if !matches!(step, Step::Wait) {
        return Some(Ok(step));
    }
    while !fetch.session.output().is_empty() {
        match net.tcp_write(fetch.tcp, fetch.session.output()) {
            Ok(0) | Err(_) => break,
            Ok(n) => fetch.session.consume_output(n),
        }
    }
    // The idle check comes first: the stack closes the socket after the
    // same idle time, and a stall must not read as a closed connection.
    if now.since(fetch.last_input) >= TRANSFER_IDLE_TIMEOUT {
        Some(Err(RefreshError::Stalled))
    } else if now.since(fetch.started) >= TRANSFER_TIME_LIMIT {
        Some(Err(RefreshError::TookTooLong))
    } else if matches!(status, TcpStatus::Closed | TcpStatus::PeerClosed) {
        Some(Err(RefreshError::ConnectionLost))
    } else {
        None
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
        // Hidden, a root key's subscription goes on the kept connection.
        if !self.roots.is_empty() && self.hidden.is_empty() {
            self.poll_roots(net);
            changed = true;
        }
        if !self.hidden.is_empty() {
            self.poll_hidden(net);
            changed = true;
        }
        self.expire(now);
        if changed {
            // NOTIFYs to our own secondaries after an install leave now.
            result = self.dns.poll(net);
        }
        sooner(result, Poll::Until(self.deadline(now)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(text: &str) -> Key {
        dns_keys::parse_cli_key(text).expect("a key")
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
        let Sources {
            zones,
            roots,
            warnings,
        } = zones_from_keys(&keys, 5353, &ours).unwrap();
        assert!(warnings.is_empty() && roots.is_empty(), "{warnings:?}");
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
        let found = zones_from_keys(&keys, 53, &ours).unwrap();
        assert_eq!(found.zones.len(), 1);
        assert_eq!(found.warnings.len(), 1, "{:?}", found.warnings);
        keys.insert(key(
            "10.53.0.7.10.53.0.2._transfer.example.com:SHA256:AAAAAAAAAAAAAAAAAAAAAA==",
        ));
        assert!(zones_from_keys(&keys, 53, &ours).is_err());
    }

    #[test]
    fn update_keys_and_root_keys_name_what_to_serve() {
        let mut keys = KeyStore::new();
        // The OCaml-DNS tutorial's secondary key: an update key naming the
        // primary and the secondary.
        keys.insert(key(
            "10.0.42.2.10.0.42.3._update.mirage:SHA256:AAAAAAAAAAAAAAAAAAAAAA==",
        ));
        keys.insert(key(
            "10.0.42.9.10.0.42.3._transfer.:SHA256:AAAAAAAAAAAAAAAAAAAAAA==",
        ));
        keys.insert(key(
            "10.0.42.8.10.0.42.3._notify.example:SHA256:AAAAAAAAAAAAAAAAAAAAAA==",
        ));
        let found = zones_from_keys(&keys, 53, &["10.0.42.3".parse().unwrap()]).unwrap();
        assert!(found.warnings.is_empty(), "{:?}", found.warnings);
        assert_eq!(found.zones.len(), 1, "the notify key names no zone");
        assert_eq!(found.zones[0].zone.to_ascii(), "mirage.");
        assert_eq!(found.zones[0].primary, "10.0.42.2:53".parse().unwrap());
        assert_eq!(found.roots.len(), 1);
        assert_eq!(found.roots[0].primary, "10.0.42.9:53".parse().unwrap());
    }

    fn quiet(_: core::fmt::Arguments<'_>) {}

    #[test]
    fn a_notify_from_a_root_keys_primary_adds_the_zone_unloaded_until_transferred() {
        let mut keys = KeyStore::new();
        keys.insert(key(
            "10.53.0.1.10.53.0.2._transfer.:SHA256:AAAAAAAAAAAAAAAAAAAAAA==",
        ));
        let sources = zones_from_keys(&keys, 53, &[]).expect("a root key");
        let config = SecondaryConfig {
            zones: sources.zones,
            roots: sources.roots,
            keys,
            limits: Limits::NONE,
            hidden: false,
        };
        let dns = DnsService::new(
            dns_server::catalog::Catalog::new(),
            dns_service::ServiceConfig::default(),
            quiet,
        );
        let mut secondary = Secondary::new(dns, config, Vec::new(), 1);
        let zone: Name = "new.example.".parse().unwrap();
        // From another address: not followed.
        secondary.notified(&zone, "10.53.0.9:53".parse().unwrap(), Instant(0));
        assert!(secondary.zones.is_empty());
        secondary.notified(&zone, "10.53.0.1:4711".parse().unwrap(), Instant(0));
        assert_eq!(secondary.zones.len(), 1);
        let followed = &secondary.zones[0];
        assert_eq!(followed.source.zone, zone);
        assert_eq!(followed.source.primary, "10.53.0.1:53".parse().unwrap());
        assert!(followed.timer.check_due(Instant(0)), "checked at once");
        assert!(
            secondary.dns.catalog().is_unloaded(&zone),
            "SERVFAIL until it arrives"
        );
        // Once only.
        secondary.notified(&zone, "10.53.0.1:4711".parse().unwrap(), Instant(0));
        assert_eq!(secondary.zones.len(), 1);
    }
}
