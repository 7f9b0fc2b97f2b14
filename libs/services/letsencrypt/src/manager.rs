//! The [`Manager`]: every zone's CSRs, the orders, their DNS side, the
//! timers; sans-IO in the quinn-proto shape.
//!
//! # Driving it
//!
//! Tell it about zones with [`Manager::zone_changed`] (at start and after
//! every transfer). Then call [`Manager::poll`] until it returns
//! [`Action::SleepUntil`], doing what each [`Action`] asks:
//!
//! - [`Action::Http`]: make the HTTPS request; pass the response to
//!   [`Manager::handle_http_response`] with the same [`OrderId`], or say
//!   why there is none with [`Manager::handle_http_failure`];
//! - [`Action::SendUpdate`], [`Action::SendQuery`]: send the message to the
//!   primary (`--dns-server`), and pass every DNS message that comes back
//!   from it to [`Manager::handle_dns_message`] (answers are matched by ID
//!   and TSIG; anything else is ignored);
//! - [`Action::Log`]: write the line;
//! - [`Action::SleepUntil`]: nothing to do before then, unless an input
//!   arrives; call `poll` again after either.
//!
//! Every call takes [`Now`]: the monotonic clock that timers use and the
//! wall clock that certificate lifetimes and TSIG use.
//!
//! # What it does
//!
//! For each `_letsencrypt._tcp` name, [`crate::scan::assess`] decides.
//! A name due for a certificate is queued (at most once: one order per
//! name at any time); orders run one at a time through one
//! [`acme::Client`] (one account). An order: start it; publish the dns-01
//! TXT records in one signed UPDATE; query the primary until it serves
//! every value (bounded by [`PUBLICATION_TIMEOUT`]); let the CA validate;
//! when the chain arrives, publish it in one UPDATE
//! ([`crate::messages::publish_certificate`]); then delete the TXT records
//! in a second UPDATE (also after a failure, once they may have been
//! added). An UPDATE not answered NOERROR, an ACME error or a time-out
//! ends the order; the name then waits ([`crate::backoff`]). A valid
//! certificate is looked at again at its renewal time, and every name
//! daily ([`RESCAN_INTERVAL`]).

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use acme::{Certificate, Client, ClientConfig, Dns01Challenge, Instant, Poll};
use dns_update::{check_response, ResponseFailure, UpdateBuilder};
use dns_wire::Header;
use dns_zone::{Name, Zone};
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use tsig::ResponseVerifier;

use crate::backoff;
use crate::messages::{self, list, show};
use crate::scan::{assess, Decision, OrderReason, TlsaRole, ZoneRequests};
use crate::time::{Now, Rfc3339};
use crate::x509::{self, CertificateInfo, SigningRequest};

/// The longest wait for the response to one HTTPS request.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(90);
/// The wait for the answer to an UPDATE before it is sent again (freshly
/// signed: our UPDATEs only add and delete given records, so applying one
/// twice changes nothing, and a resent identical message would be a TSIG
/// replay). A primary that commits to git and pushes before it answers
/// takes seconds.
pub const UPDATE_TIMEOUT: Duration = Duration::from_secs(20);
/// How often an UPDATE is sent before the order fails.
pub const UPDATE_ATTEMPTS: usize = 3;
/// Between two rounds of TXT queries to the primary (also the wait for
/// their answers).
pub const QUERY_INTERVAL: Duration = Duration::from_secs(2);
/// The longest wait for the primary to serve every challenge record.
pub const PUBLICATION_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest an order may take in all.
pub const ORDER_TIME_LIMIT: Duration = Duration::from_secs(30 * 60);
/// Every name is looked at again this often (OCaml-DNS: daily).
pub const RESCAN_INTERVAL: Duration = Duration::from_secs(24 * 3600);
/// How long after publishing a certificate no new order starts for its
/// name (at most a third of its lifetime): the transfer follows the
/// UPDATE's NOTIFY within seconds, and ordering from a stale copy would
/// get a second certificate; a certificate due for renewal by our clock
/// the moment it was issued means our clock is ahead of the CA's, and
/// ordering again at once would loop.
pub const PUBLISHED_GRACE: Duration = Duration::from_secs(3600);
/// Steps taken in one [`Manager::poll`] before it says when to come back.
const MAX_STEPS: usize = 8;

/// Which order an HTTP request belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OrderId(pub u64);

impl fmt::Display for OrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// How important a log line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Something failed.
    Error,
    /// Something is wrong in the zone, or was given up.
    Warn,
    /// What is being done.
    Info,
    /// Details.
    Debug,
}

/// A line for the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    /// Its level.
    pub level: Level,
    /// The text.
    pub message: String,
}

/// What the caller should do next (from [`Manager::poll`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Action {
    /// Make this HTTPS request to the ACME server and pass the response to
    /// [`Manager::handle_http_response`] with `order`.
    Http {
        /// The order it belongs to.
        order: OrderId,
        /// The request.
        request: acme::Request,
    },
    /// Send this signed UPDATE to the primary (over TCP with the two-octet
    /// length prefix, or UDP when it fits the path) and pass its answer to
    /// [`Manager::handle_dns_message`].
    SendUpdate {
        /// Its DNS ID.
        id: u16,
        /// The message.
        message: Vec<u8>,
    },
    /// Send this query to the primary (UDP) and pass its answer to
    /// [`Manager::handle_dns_message`].
    SendQuery {
        /// Its DNS ID.
        id: u16,
        /// The message.
        message: Vec<u8>,
    },
    /// Log this.
    Log(LogLine),
    /// Nothing to do before this instant (unless an input arrives).
    SleepUntil(Instant),
}

/// What the manager needs to know.
#[derive(Debug, Clone)]
pub struct ManagerConfig {
    /// The update key (`…._update.<zone>`), signing every UPDATE.
    pub key: tsig::Key,
    /// The zone the key may update (and zones below it).
    pub zone: Name,
    /// The ACME client's configuration (directory, account key, contact).
    pub acme: ClientConfig,
}

/// What we know about one `_letsencrypt._tcp` name beyond the zone.
#[derive(Debug, Clone)]
struct Tracked {
    /// Failed orders in a row.
    failures: u32,
    /// No order before this (backoff).
    retry_at: Option<Instant>,
    /// Look at the name again then.
    check_at: Option<Instant>,
    /// The certificate we published, until the zone shows it.
    published: Option<Published>,
    /// In the queue.
    queued: bool,
}

impl Tracked {
    fn new() -> Self {
        Tracked {
            failures: 0,
            retry_at: None,
            check_at: None,
            published: None,
            queued: false,
        }
    }
}

#[derive(Debug, Clone)]
struct Published {
    leaf: Vec<u8>,
    /// The CSR it certifies.
    csr: Vec<u8>,
    until: Instant,
}

/// An UPDATE waiting for its answer.
#[derive(Debug)]
struct PendingUpdate {
    /// What it does, for the log.
    what: &'static str,
    builder: UpdateBuilder,
    /// Every copy sent: its ID and the verifier of its answer.
    attempts: Vec<(u16, ResponseVerifier)>,
    deadline: Instant,
}

/// Waiting for the primary to serve the challenge records.
#[derive(Debug)]
struct TxtWait {
    /// Each owner once, with its values.
    expected: Vec<(Name, Vec<String>)>,
    confirmed: Vec<bool>,
    /// Queries of the current round: ID and index into `expected`.
    outstanding: Vec<(u16, usize)>,
    next_round: Instant,
    deadline: Instant,
    queries: u32,
    last_problem: Option<String>,
}

#[derive(Debug)]
enum Stage {
    /// The ACME client has the order.
    Acme {
        /// A request is out (what it is, for the log) until this instant.
        http: Option<(String, Instant)>,
        /// The client asked to be polled again then.
        wake: Option<Instant>,
    },
    AddChallenges(PendingUpdate),
    AwaitTxt(TxtWait),
    PublishCertificate {
        update: PendingUpdate,
        certificate: CertificateInfo,
        leaf: Vec<u8>,
    },
    RemoveChallenges {
        update: PendingUpdate,
        outcome: Outcome,
    },
}

#[derive(Debug, Clone)]
enum Outcome {
    Issued {
        certificate: CertificateInfo,
        leaf: Vec<u8>,
    },
    Failed(String),
    /// Ended for a reason that is no failure of the name (its CSR changed).
    Abandoned(String),
}

#[derive(Debug)]
struct Order {
    id: OrderId,
    tlsa_name: Name,
    zone: Name,
    request: SigningRequest,
    started: Instant,
    challenges: Vec<Dns01Challenge>,
    /// The challenge UPDATE went out: the records may be in the zone.
    challenges_sent: bool,
    stage: Stage,
}

/// What a step decided about the order.
enum Next {
    Keep,
    Finish(Outcome),
    Conclude(Outcome, Option<String>),
}

/// The letsencrypt secondary's brain (see the module docs).
#[derive(Debug)]
pub struct Manager {
    key: tsig::Key,
    key_zone: Name,
    acme_config: ClientConfig,
    acme: Client,
    zones: BTreeMap<Name, ZoneRequests>,
    tracked: BTreeMap<Name, Tracked>,
    queue: VecDeque<Name>,
    order: Option<Order>,
    next_order: u64,
    rng: ChaCha20Rng,
    outbox: VecDeque<Action>,
    next_rescan: Instant,
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=119 => format!("{s} s"),
        120..=7199 => format!("{} min", s / 60),
        _ => format!("{} h", s / 3600),
    }
}

fn between(from: Instant, to: Instant) -> Duration {
    Duration::from_millis(to.millis().saturating_sub(from.millis()))
}

impl Manager {
    /// A manager for `config`, its DNS IDs and backoff jitter drawn from
    /// `seed` (give it fresh randomness: DNS IDs should be unpredictable).
    pub fn new(config: ManagerConfig, seed: [u8; 32], now: Now) -> Self {
        Manager {
            acme: Client::new(config.acme.clone()),
            key: config.key,
            key_zone: config.zone,
            acme_config: config.acme,
            zones: BTreeMap::new(),
            tracked: BTreeMap::new(),
            queue: VecDeque::new(),
            order: None,
            next_order: 1,
            rng: ChaCha20Rng::from_seed(seed),
            outbox: VecDeque::new(),
            next_rescan: now.instant + RESCAN_INTERVAL,
        }
    }

    /// The ACME directory URL.
    pub fn directory_url(&self) -> &str {
        &self.acme_config.directory_url
    }

    /// The host and port of the ACME server, for the caller to resolve
    /// (with [`crate::resolver`]) and connect to. Requests name their URL;
    /// Let's Encrypt and pebble keep every URL on the directory's host.
    pub fn acme_server(&self) -> Option<(&str, u16)> {
        crate::url_host_port(&self.acme_config.directory_url)
    }

    /// The order in flight: its `_letsencrypt._tcp` name and host names.
    pub fn order_in_flight(&self) -> Option<(&Name, &[String])> {
        self.order
            .as_ref()
            .map(|o| (&o.tlsa_name, o.request.names.as_slice()))
    }

    /// The names waiting for an order, in order.
    pub fn queued(&self) -> impl Iterator<Item = &Name> {
        self.queue.iter()
    }

    /// Failed orders in a row for `tlsa_name`, and when the next may start.
    pub fn backoff(&self, tlsa_name: &Name) -> (u32, Option<Instant>) {
        self.tracked
            .get(tlsa_name)
            .map_or((0, None), |t| (t.failures, t.retry_at))
    }

    /// When `tlsa_name` is looked at again (its renewal time, or the end
    /// of its backoff).
    pub fn next_check(&self, tlsa_name: &Name) -> Option<Instant> {
        self.tracked.get(tlsa_name).and_then(|t| t.check_at)
    }

    fn log(&mut self, level: Level, message: String) {
        self.outbox
            .push_back(Action::Log(LogLine { level, message }));
    }

    /// A zone was loaded or changed: look at every CSR in it.
    pub fn zone_changed(&mut self, zone: &Zone, now: Now) {
        let origin = zone.origin().clone();
        if !self.key_zone.zone_of(&origin) {
            self.log(
                Level::Warn,
                format!(
                    "zone {} is not at or below {}, the zone of key {}: ignored",
                    show(&origin),
                    show(&self.key_zone),
                    show(self.key.name())
                ),
            );
            return;
        }
        let requests = ZoneRequests::from_zone(zone);
        self.log(
            Level::Debug,
            format!(
                "zone {} serial {}: {} _letsencrypt._tcp names",
                show(&origin),
                requests.serial,
                requests.names.len()
            ),
        );
        let mut names: Vec<Name> = requests.names.keys().cloned().collect();
        if let Some(old) = self.zones.insert(origin, requests) {
            // Names that left the zone: forget them.
            names.extend(old.names.into_keys());
        }
        names.sort();
        names.dedup();
        for name in names {
            self.consider(&name, now);
        }
    }

    /// The zone holding `tlsa_name`, and its TLSA records there.
    fn tlsas(&self, tlsa_name: &Name) -> Option<(&Name, &Vec<Vec<u8>>)> {
        self.zones
            .values()
            .find_map(|z| z.names.get(tlsa_name).map(|t| (&z.origin, t)))
    }

    /// Looks at `tlsa_name` and queues it if it needs a certificate now.
    fn consider(&mut self, tlsa_name: &Name, now: Now) {
        if self.decide(tlsa_name, now, true).is_some() {
            let tracked = self
                .tracked
                .get_mut(tlsa_name)
                .expect("decide tracks what it orders");
            if !tracked.queued {
                tracked.queued = true;
                self.queue.push_back(tlsa_name.clone());
            }
        }
    }

    /// Decides about `tlsa_name`: the zone and CSR when an order is due
    /// now; else schedules the next look and logs why not.
    /// `announce`: log that the name needs a certificate (not again when
    /// its turn in the queue comes).
    fn decide(
        &mut self,
        tlsa_name: &Name,
        now: Now,
        announce: bool,
    ) -> Option<(Name, SigningRequest)> {
        if self
            .order
            .as_ref()
            .is_some_and(|o| o.tlsa_name == *tlsa_name)
        {
            return None;
        }
        let Some((origin, tlsas)) = self.tlsas(tlsa_name) else {
            self.forget(tlsa_name);
            return None;
        };
        let origin = origin.clone();
        let zone_has = |leaf: &[u8]| {
            tlsas
                .iter()
                .any(|r| TlsaRole::of(r) == TlsaRole::Certificate && &r[3..] == leaf)
        };
        let decision = assess(&origin, tlsas, now.unix);
        // Kept for PUBLISHED_GRACE even once the zone shows it: a copy of
        // the zone from before the UPDATE may still come.
        let shows_published = self
            .tracked
            .get(tlsa_name)
            .and_then(|t| t.published.as_ref())
            .filter(|p| now.instant < p.until)
            .map(|p| (zone_has(&p.leaf), p.csr.clone()));
        let name = show(tlsa_name);
        let (request, reason) = match decision {
            Decision::NoRequest => {
                self.forget(tlsa_name);
                return None;
            }
            Decision::Skip(reason) => {
                let line = reason.log_line(tlsa_name, &origin);
                self.forget(tlsa_name);
                self.log(Level::Warn, line);
                return None;
            }
            Decision::Valid {
                certificate,
                renew_at,
            } => {
                let tracked = self.track(tlsa_name);
                tracked.check_at = Some(now.instant_at(renew_at));
                self.log(
                    Level::Info,
                    format!(
                        "{name}: the certificate for {} (serial {}) is valid until {}; renewal from {}",
                        list(&certificate.names),
                        certificate.serial,
                        Rfc3339(certificate.not_after),
                        Rfc3339(renew_at)
                    ),
                );
                return None;
            }
            Decision::Order { request, reason } => (request, reason),
        };
        // Only for the CSR it was issued for: a CSR replaced since is a
        // new request.
        let shows_published = shows_published
            .filter(|(_, csr)| *csr == request.der)
            .map(|(shows, _)| shows);
        match shows_published {
            Some(false) => {
                let until = self
                    .tracked
                    .get(tlsa_name)
                    .and_then(|t| t.published.as_ref())
                    .map_or(now.instant, |p| p.until);
                self.track(tlsa_name).check_at = Some(until);
                self.log(
                    Level::Info,
                    format!(
                        "{name}: waiting for the zone to show the certificate we published (it shows: {reason})"
                    ),
                );
                return None;
            }
            Some(true) if matches!(reason, OrderReason::Renewal { .. }) => {
                // Issued moments ago and due already: our clock runs ahead
                // of the CA's (or the lifetime is tiny). Ordering again at
                // once would loop; wait out the grace period.
                let until = self
                    .tracked
                    .get(tlsa_name)
                    .and_then(|t| t.published.as_ref())
                    .map_or(now.instant, |p| p.until);
                self.track(tlsa_name).check_at = Some(until);
                self.log(
                    Level::Warn,
                    format!(
                        "{name}: the certificate we just published is already due for renewal by our clock ({reason}): is the clock right? Not ordering again for {}",
                        seconds(between(now.instant, until))
                    ),
                );
                return None;
            }
            Some(true) => {
                // The zone shows what the CA issued for this CSR and it
                // does not fit the CSR: ordering again would loop.
                self.track(tlsa_name).published = None;
                self.fail_name(
                    tlsa_name,
                    now,
                    format!("the certificate issued for {name} does not do: {reason}"),
                );
                return None;
            }
            _ => {}
        }
        let tracked = self.track(tlsa_name);
        tracked.published = None;
        if let Some(retry_at) = tracked.retry_at.filter(|r| now.instant < *r) {
            tracked.check_at = Some(retry_at);
            let failures = tracked.failures;
            self.log(
                Level::Info,
                format!(
                    "{name} needs a certificate ({reason}); after {failures} failed orders the next may start in {}",
                    seconds(between(now.instant, retry_at))
                ),
            );
            return None;
        }
        tracked.check_at = None;
        if announce && !tracked.queued {
            self.log(Level::Info, format!("{name} needs a certificate: {reason}"));
        }
        Some((origin, request))
    }

    fn track(&mut self, tlsa_name: &Name) -> &mut Tracked {
        self.tracked
            .entry(tlsa_name.clone())
            .or_insert_with(Tracked::new)
    }

    fn forget(&mut self, tlsa_name: &Name) {
        if self.tracked.remove(tlsa_name).is_some_and(|t| t.queued) {
            self.queue.retain(|n| n != tlsa_name);
        }
    }

    /// Counts a failure of `tlsa_name` and schedules its next attempt.
    fn fail_name(&mut self, tlsa_name: &Name, now: Now, reason: String) {
        let random = self.rng.next_u64();
        let tracked = self.track(tlsa_name);
        tracked.failures = tracked.failures.saturating_add(1);
        let failures = tracked.failures;
        let delay = backoff::retry_delay(failures, random);
        let retry_at = now.instant + delay;
        tracked.retry_at = Some(retry_at);
        tracked.check_at = Some(retry_at);
        self.log(
            Level::Error,
            format!(
                "{reason}; failure {failures} in a row, next attempt in {} at the earliest",
                seconds(delay)
            ),
        );
    }

    /// What to do next at `now` (see the module docs).
    pub fn poll(&mut self, now: Now) -> Action {
        for _ in 0..MAX_STEPS {
            if let Some(action) = self.outbox.pop_front() {
                return action;
            }
            self.step(now);
        }
        self.outbox
            .pop_front()
            .unwrap_or_else(|| Action::SleepUntil(self.next_wake(now)))
    }

    fn step(&mut self, now: Now) {
        if now.instant >= self.next_rescan {
            self.next_rescan = now.instant + RESCAN_INTERVAL;
            let names: Vec<Name> = self
                .zones
                .values()
                .flat_map(|z| z.names.keys().cloned())
                .collect();
            self.log(
                Level::Info,
                format!("daily look at {} _letsencrypt._tcp names", names.len()),
            );
            for name in names {
                self.consider(&name, now);
            }
        }
        let due: Vec<Name> = self
            .tracked
            .iter()
            .filter(|(_, t)| t.check_at.is_some_and(|at| at <= now.instant))
            .map(|(n, _)| n.clone())
            .collect();
        for name in due {
            if let Some(t) = self.tracked.get_mut(&name) {
                t.check_at = None;
            }
            self.consider(&name, now);
        }
        while self.order.is_none() {
            let Some(name) = self.queue.pop_front() else {
                break;
            };
            if let Some(t) = self.tracked.get_mut(&name) {
                t.queued = false;
            }
            if let Some((zone, request)) = self.decide(&name, now, false) {
                self.start(name, zone, request, now);
            }
        }
        if let Some(mut order) = self.order.take() {
            match self.advance(&mut order, now) {
                Next::Keep => self.order = Some(order),
                Next::Finish(outcome) => self.finish(order, outcome, now),
                Next::Conclude(outcome, cleanup) => self.conclude(order, outcome, cleanup, now),
            }
        }
    }

    fn start(&mut self, tlsa_name: Name, zone: Name, request: SigningRequest, now: Now) {
        if !self.acme.is_idle() {
            self.acme = Client::new(self.acme_config.clone());
        }
        let id = OrderId(self.next_order);
        self.next_order += 1;
        self.log(
            Level::Info,
            format!(
                "order {id}: ordering a certificate for {} (CSR at {}) from {}",
                list(&request.names),
                show(&tlsa_name),
                self.acme_config.directory_url
            ),
        );
        let names: Vec<&str> = request.names.iter().map(String::as_str).collect();
        let started = self.acme.start_order(&names, request.der.clone());
        let order = Order {
            id,
            tlsa_name,
            zone,
            request,
            started: now.instant,
            challenges: Vec::new(),
            challenges_sent: false,
            stage: Stage::Acme {
                http: None,
                wake: None,
            },
        };
        match started {
            Ok(()) => self.order = Some(order),
            Err(e) => self.conclude(order, Outcome::Failed(format!("ACME: {e}")), None, now),
        }
    }

    fn fresh_id(&mut self) -> u16 {
        (self.rng.next_u32() >> 16) as u16
    }

    /// Signs and queues one copy of `update`.
    fn send_update(&mut self, update: &mut PendingUpdate, now: Now) -> Result<(), String> {
        let id = self.fresh_id();
        let (message, verifier) = update
            .builder
            .build_signed(id, &self.key, now.unix)
            .map_err(|e| format!("the UPDATE {} cannot be built: {e}", update.what))?;
        update.attempts.push((id, verifier));
        update.deadline = now.instant + UPDATE_TIMEOUT;
        self.outbox.push_back(Action::SendUpdate { id, message });
        Ok(())
    }

    fn new_update(
        &mut self,
        what: &'static str,
        builder: UpdateBuilder,
        now: Now,
    ) -> Result<PendingUpdate, String> {
        let mut update = PendingUpdate {
            what,
            builder,
            attempts: Vec::new(),
            deadline: now.instant,
        };
        self.send_update(&mut update, now)?;
        Ok(update)
    }

    /// Resends `update` if its answer is overdue; `Err` when it has been
    /// sent [`UPDATE_ATTEMPTS`] times.
    fn retry_update(&mut self, update: &mut PendingUpdate, now: Now) -> Result<(), String> {
        if now.instant < update.deadline {
            return Ok(());
        }
        if update.attempts.len() >= UPDATE_ATTEMPTS {
            return Err(format!(
                "the primary did not answer the UPDATE {} ({} copies, {} apart)",
                update.what,
                update.attempts.len(),
                seconds(UPDATE_TIMEOUT)
            ));
        }
        self.log(
            Level::Info,
            format!(
                "no answer to the UPDATE {} within {}: sending it again",
                update.what,
                seconds(UPDATE_TIMEOUT)
            ),
        );
        self.send_update(update, now)
    }

    fn advance(&mut self, order: &mut Order, now: Now) -> Next {
        if now.instant >= order.started + ORDER_TIME_LIMIT
            && !matches!(order.stage, Stage::RemoveChallenges { .. })
        {
            return Next::Finish(Outcome::Failed(format!(
                "order {} for {}: not done within {}",
                order.id,
                list(&order.request.names),
                seconds(ORDER_TIME_LIMIT)
            )));
        }
        let failed = |order: &Order, why: String| {
            Next::Finish(Outcome::Failed(format!(
                "order {} for {}: {why}",
                order.id,
                list(&order.request.names)
            )))
        };
        match &mut order.stage {
            Stage::Acme {
                http: Some((what, deadline)),
                ..
            } => {
                if now.instant >= *deadline {
                    let why = format!("no response to {what} within {}", seconds(HTTP_TIMEOUT));
                    return failed(order, why);
                }
                Next::Keep
            }
            Stage::Acme { http: None, wake } => match self.acme.poll(now.instant) {
                Poll::Send(request) => {
                    let what = format!("{} {}", request.method, request.url);
                    order.stage = Stage::Acme {
                        http: Some((what, now.instant + HTTP_TIMEOUT)),
                        wake: None,
                    };
                    self.outbox.push_back(Action::Http {
                        order: order.id,
                        request,
                    });
                    Next::Keep
                }
                Poll::WaitUntil(at) => {
                    *wake = Some(at);
                    Next::Keep
                }
                Poll::Publish(challenges) => {
                    let builder = match messages::add_challenges(&order.zone, &challenges) {
                        Ok(b) => b,
                        Err(e) => return failed(order, format!("the challenges: {e}")),
                    };
                    let shown: Vec<String> = challenges.iter().map(|c| c.name.clone()).collect();
                    self.log(
                        Level::Info,
                        format!(
                            "order {}: adding the dns-01 TXT records {} by UPDATE of {}",
                            order.id,
                            list(&shown),
                            show(&order.zone)
                        ),
                    );
                    order.challenges = challenges;
                    match self.new_update("adding the dns-01 records", builder, now) {
                        Ok(update) => {
                            order.challenges_sent = true;
                            order.stage = Stage::AddChallenges(update);
                            Next::Keep
                        }
                        Err(e) => failed(order, e),
                    }
                }
                Poll::Certificate(certificate) => self.certificate_arrived(order, certificate, now),
                Poll::Failed(e) => failed(order, format!("ACME: {e}")),
                other => failed(
                    order,
                    format!("the ACME client stopped unexpectedly ({other:?})"),
                ),
            },
            Stage::AddChallenges(update) | Stage::PublishCertificate { update, .. } => {
                match self.retry_update(update, now) {
                    Ok(()) => Next::Keep,
                    Err(e) => failed(order, e),
                }
            }
            Stage::RemoveChallenges { update, outcome } => match self.retry_update(update, now) {
                Ok(()) => Next::Keep,
                Err(e) => Next::Conclude(outcome.clone(), Some(e)),
            },
            Stage::AwaitTxt(wait) => {
                if wait.confirmed.iter().all(|c| *c) {
                    let queries = wait.queries;
                    if let Err(e) = self.acme.challenges_published(now.instant) {
                        return failed(order, format!("ACME: {e}"));
                    }
                    self.log(
                        Level::Info,
                        format!(
                            "order {}: the primary serves every dns-01 record ({queries} queries); the CA validates",
                            order.id
                        ),
                    );
                    order.stage = Stage::Acme {
                        http: None,
                        wake: None,
                    };
                    return Next::Keep;
                }
                if now.instant >= wait.deadline {
                    let missing: Vec<String> = wait
                        .expected
                        .iter()
                        .zip(&wait.confirmed)
                        .filter(|(_, c)| !**c)
                        .map(|((n, _), _)| show(n))
                        .collect();
                    let why = format!(
                        "the primary did not serve the dns-01 records at {} within {} ({} queries; last: {})",
                        list(&missing),
                        seconds(PUBLICATION_TIMEOUT),
                        wait.queries,
                        wait.last_problem.as_deref().unwrap_or("no answer")
                    );
                    return failed(order, why);
                }
                if now.instant >= wait.next_round {
                    wait.outstanding.clear();
                    wait.next_round = now.instant + QUERY_INTERVAL;
                    for index in 0..wait.expected.len() {
                        if wait.confirmed[index] {
                            continue;
                        }
                        let id = (self.rng.next_u32() >> 16) as u16;
                        let message = messages::txt_query(id, &wait.expected[index].0);
                        wait.outstanding.push((id, index));
                        wait.queries += 1;
                        self.outbox.push_back(Action::SendQuery { id, message });
                    }
                }
                Next::Keep
            }
        }
    }

    /// The CA issued: check the leaf, then publish it unless the CSR
    /// changed meanwhile.
    fn certificate_arrived(
        &mut self,
        order: &mut Order,
        certificate: Certificate,
        now: Now,
    ) -> Next {
        let id = order.id;
        let failed = |why: String| Next::Finish(Outcome::Failed(format!("order {id}: {why}")));
        let Some(leaf) = certificate.chain.first() else {
            return failed(String::from("the CA sent an empty certificate chain"));
        };
        let info = match x509::parse_certificate(leaf) {
            Ok(info) => info,
            Err(e) => return failed(format!("the CA's certificate: {e}")),
        };
        if info.public_key != order.request.public_key {
            return failed(String::from(
                "the CA's certificate is not for the CSR's public key",
            ));
        }
        let current = self.tlsas(&order.tlsa_name).map(|(_, t)| t.clone());
        let still_asked = current.as_ref().is_some_and(|tlsas| {
            let mut csrs = tlsas
                .iter()
                .filter(|r| TlsaRole::of(r) == TlsaRole::SigningRequest);
            matches!((csrs.next(), csrs.next()), (Some(csr), None) if csr[3..] == order.request.der)
        });
        let current = match current {
            Some(current) if still_asked => current,
            _ => {
                return Next::Finish(Outcome::Abandoned(format!(
                    "order {id}: the CSR at {} changed during the order: the new certificate is not published",
                    show(&order.tlsa_name)
                )))
            }
        };
        let builder = match messages::publish_certificate(
            &order.zone,
            &order.tlsa_name,
            &current,
            &certificate.chain,
        ) {
            Ok(b) => b,
            Err(e) => return failed(format!("publishing the certificate: {e}")),
        };
        self.log(
            Level::Info,
            format!(
                "order {id}: certificate issued (serial {}, valid until {}); publishing it and {} issuer(s) at {}",
                info.serial,
                Rfc3339(info.not_after),
                certificate.chain.len() - 1,
                show(&order.tlsa_name)
            ),
        );
        match self.new_update("publishing the certificate", builder, now) {
            Ok(update) => {
                order.stage = Stage::PublishCertificate {
                    update,
                    certificate: info,
                    leaf: leaf.clone(),
                };
                Next::Keep
            }
            Err(e) => failed(e),
        }
    }

    /// Ends `order`: first removes the challenge records if they may have
    /// been added.
    fn finish(&mut self, mut order: Order, outcome: Outcome, now: Now) {
        if order.challenges_sent && !matches!(order.stage, Stage::RemoveChallenges { .. }) {
            let removal = messages::remove_challenges(&order.zone, &order.challenges)
                .map_err(|e| format!("{e}"))
                .and_then(|b| self.new_update("removing the dns-01 records", b, now));
            match removal {
                Ok(update) => {
                    order.stage = Stage::RemoveChallenges { update, outcome };
                    self.order = Some(order);
                }
                Err(e) => self.conclude(order, outcome, Some(e), now),
            }
            return;
        }
        self.conclude(order, outcome, None, now);
    }

    /// The order is over: record the outcome for its name.
    fn conclude(&mut self, order: Order, outcome: Outcome, cleanup: Option<String>, now: Now) {
        if !self.acme.is_idle() {
            // Abandon the client's half-done order; the next one finds the
            // account again.
            self.acme = Client::new(self.acme_config.clone());
        }
        let name = show(&order.tlsa_name);
        let cleanup_failed = cleanup.map(|e| {
            format!(
                "order {}: the dns-01 records at {} may be left in the zone: {e}",
                order.id,
                list(
                    &order
                        .challenges
                        .iter()
                        .map(|c| c.name.clone())
                        .collect::<Vec<_>>()
                )
            )
        });
        match outcome {
            Outcome::Issued { certificate, leaf } => {
                self.log(
                    Level::Info,
                    format!(
                        "order {}: published the certificate for {} at {name} (serial {}, valid {} to {}, renewal from {})",
                        order.id,
                        list(&certificate.names),
                        certificate.serial,
                        Rfc3339(certificate.not_before),
                        Rfc3339(certificate.not_after),
                        Rfc3339(certificate.renewal_time())
                    ),
                );
                let tracked = self.track(&order.tlsa_name);
                // A third of the lifetime at most, so that a short-lived
                // certificate's renewal is never held back.
                let third = certificate.not_after.saturating_sub(certificate.not_before) / 3;
                let grace = PUBLISHED_GRACE.min(Duration::from_secs(third));
                tracked.published = Some(Published {
                    leaf,
                    csr: order.request.der.clone(),
                    until: now.instant + grace,
                });
                tracked.check_at = Some(now.instant_at(certificate.renewal_time()));
                match cleanup_failed {
                    None => {
                        tracked.failures = 0;
                        tracked.retry_at = None;
                    }
                    Some(why) => self.fail_name(&order.tlsa_name, now, why),
                }
            }
            Outcome::Failed(why) => {
                if let Some(cleanup) = cleanup_failed {
                    self.log(Level::Warn, cleanup);
                }
                self.fail_name(&order.tlsa_name, now, why);
            }
            Outcome::Abandoned(why) => {
                if let Some(cleanup) = cleanup_failed {
                    self.log(Level::Warn, cleanup);
                }
                self.log(Level::Warn, why);
                self.track(&order.tlsa_name).check_at = Some(now.instant);
            }
        }
    }

    /// Takes the response to the [`Action::Http`] of `order`.
    pub fn handle_http_response(&mut self, order: OrderId, response: &acme::Response, now: Now) {
        let Some(mut current) = self.take_http_order(order) else {
            return;
        };
        current.stage = Stage::Acme {
            http: None,
            wake: None,
        };
        match self.acme.handle_response(response, now.instant) {
            Ok(()) => self.order = Some(current),
            Err(e) => {
                let why = format!(
                    "order {} for {}: ACME: {e}",
                    current.id,
                    list(&current.request.names)
                );
                self.finish(current, Outcome::Failed(why), now);
            }
        }
    }

    /// The [`Action::Http`] of `order` got no response: `reason` says why
    /// (connection refused, TLS failure, time-out). Ends the order.
    pub fn handle_http_failure(&mut self, order: OrderId, reason: &str, now: Now) {
        let Some(current) = self.take_http_order(order) else {
            return;
        };
        let Stage::Acme {
            http: Some((what, _)),
            ..
        } = &current.stage
        else {
            unreachable!("take_http_order checked the stage")
        };
        let why = format!(
            "order {} for {}: {what} failed: {reason}",
            current.id,
            list(&current.request.names)
        );
        self.finish(current, Outcome::Failed(why), now);
    }

    /// The order `id` if it is waiting for an HTTP response.
    fn take_http_order(&mut self, id: OrderId) -> Option<Order> {
        let waiting = self
            .order
            .as_ref()
            .is_some_and(|o| o.id == id && matches!(o.stage, Stage::Acme { http: Some(_), .. }));
        if !waiting {
            self.log(
                Level::Debug,
                format!("an HTTP response for order {id}, which waits for none: ignored"),
            );
            return None;
        }
        self.order.take()
    }

    /// Takes a DNS message from the primary: the answer to an UPDATE or a
    /// query we sent (anything else is ignored).
    pub fn handle_dns_message(&mut self, message: &[u8], now: Now) {
        let Ok(header) = Header::parse(message) else {
            return;
        };
        let id = header.id;
        let Some(mut order) = self.order.take() else {
            self.log(
                Level::Debug,
                format!("a DNS message (ID {id}) while no order waits: ignored"),
            );
            return;
        };
        let next = match &mut order.stage {
            Stage::AddChallenges(update)
            | Stage::PublishCertificate { update, .. }
            | Stage::RemoveChallenges { update, .. } => {
                match Self::check_update(update, message, id, now) {
                    None => Next::Keep,
                    Some(Ok(())) => self.update_done(&mut order, now),
                    Some(Err(e)) => {
                        let why = format!("the UPDATE {} failed: {e}", update.what);
                        match &order.stage {
                            Stage::RemoveChallenges { outcome, .. } => {
                                Next::Conclude(outcome.clone(), Some(why))
                            }
                            _ => Next::Finish(Outcome::Failed(format!(
                                "order {} for {}: {why}",
                                order.id,
                                list(&order.request.names)
                            ))),
                        }
                    }
                }
            }
            Stage::AwaitTxt(wait) => {
                if let Some(at) = wait.outstanding.iter().position(|(i, _)| *i == id) {
                    let index = wait.outstanding[at].1;
                    let (name, values) = &wait.expected[index];
                    match messages::txt_answer(message, id, name) {
                        Err(messages::AnswerError::NotOurs) => {}
                        Ok(served) => {
                            wait.outstanding.swap_remove(at);
                            let all = values
                                .iter()
                                .all(|v| served.iter().any(|s| s == v.as_bytes()));
                            if all {
                                wait.confirmed[index] = true;
                            } else {
                                wait.last_problem = Some(format!(
                                    "{} serves {} TXT values, not yet all of ours",
                                    show(name),
                                    served.len()
                                ));
                            }
                        }
                        Err(e) => {
                            wait.outstanding.swap_remove(at);
                            wait.last_problem = Some(format!("{}: {e}", show(name)));
                        }
                    }
                }
                Next::Keep
            }
            Stage::Acme { .. } => Next::Keep,
        };
        match next {
            Next::Keep => self.order = Some(order),
            Next::Finish(outcome) => self.finish(order, outcome, now),
            Next::Conclude(outcome, cleanup) => self.conclude(order, outcome, cleanup, now),
        }
    }

    /// Checks `message` against the copies of `update`: `None` if it
    /// answers none of them (or is not a verifiable answer).
    fn check_update(
        update: &mut PendingUpdate,
        message: &[u8],
        id: u16,
        now: Now,
    ) -> Option<Result<(), ResponseFailure>> {
        let (_, verifier) = update.attempts.iter_mut().find(|(i, _)| *i == id)?;
        match check_response(message, id, Some(verifier), now.unix) {
            Err(ResponseFailure::NotOurs) => None,
            result => Some(result),
        }
    }

    /// The UPDATE of the order's stage was answered NOERROR.
    fn update_done(&mut self, order: &mut Order, now: Now) -> Next {
        match &order.stage {
            Stage::AddChallenges(_) => {
                let expected = match messages::expected_txt(&order.zone, &order.challenges) {
                    Ok(e) => e,
                    Err(e) => {
                        return Next::Finish(Outcome::Failed(format!("order {}: {e}", order.id)))
                    }
                };
                self.log(
                    Level::Info,
                    format!(
                        "order {}: the primary took the dns-01 records; checking it serves them",
                        order.id
                    ),
                );
                order.stage = Stage::AwaitTxt(TxtWait {
                    confirmed: alloc::vec![false; expected.len()],
                    expected,
                    outstanding: Vec::new(),
                    next_round: now.instant,
                    deadline: now.instant + PUBLICATION_TIMEOUT,
                    queries: 0,
                    last_problem: None,
                });
                Next::Keep
            }
            Stage::PublishCertificate {
                certificate, leaf, ..
            } => Next::Finish(Outcome::Issued {
                certificate: certificate.clone(),
                leaf: leaf.clone(),
            }),
            Stage::RemoveChallenges { outcome, .. } => Next::Conclude(outcome.clone(), None),
            Stage::Acme { .. } | Stage::AwaitTxt(_) => Next::Keep,
        }
    }

    /// When [`Manager::poll`] has something to do next.
    fn next_wake(&self, now: Now) -> Instant {
        let mut wake = self.next_rescan;
        let mut at = |i: Instant| wake = wake.min(i);
        for tracked in self.tracked.values() {
            if let Some(i) = tracked.check_at {
                at(i);
            }
        }
        if self.order.is_none() && !self.queue.is_empty() {
            at(now.instant);
        }
        if let Some(order) = &self.order {
            if !matches!(order.stage, Stage::RemoveChallenges { .. }) {
                at(order.started + ORDER_TIME_LIMIT);
            }
            match &order.stage {
                Stage::Acme {
                    http: Some((_, deadline)),
                    ..
                } => at(*deadline),
                Stage::Acme { http: None, wake } => at(wake.unwrap_or(now.instant)),
                Stage::AddChallenges(update)
                | Stage::PublishCertificate { update, .. }
                | Stage::RemoveChallenges { update, .. } => at(update.deadline),
                Stage::AwaitTxt(wait) if wait.confirmed.iter().all(|c| *c) => at(now.instant),
                Stage::AwaitTxt(wait) => {
                    at(wait.next_round);
                    at(wait.deadline);
                }
            }
        }
        wake
    }
}
