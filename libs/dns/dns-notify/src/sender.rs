//! Sending NOTIFYs until they are acknowledged (RFC 1996 §3.6: "the
//! NOTIFY request is retransmitted ... until a response is received or
//! the retry limit is reached"), sans-IO in the quinn-proto shape.
//!
//! Drive a [`Notifier`] like this:
//! 1. [`Notifier::notify`] when a zone changed (with its targets);
//! 2. send every [`Notifier::poll_transmit`] until it returns `None`;
//! 3. feed responses to [`Notifier::handle_response`];
//! 4. take [`Notifier::poll_event`]s (acknowledged, refused, gave up);
//! 5. wake up at [`Notifier::next_deadline`] and go to 2.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::net::IpAddr;
use core::ops::Add;
use core::time::Duration;

use dns_keys::{KeyRole, KeyStore};
use dns_wire::{Name, RecordType};
use dns_zone::name::name_from_wire;
use dns_zone::{Serial, Zone};
use tsig::{Key, ResponseVerifier};

use crate::message::{notify_message, response_rcode, OK};

/// A point on the caller's monotonic clock, in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The instant `millis` milliseconds after the clock's origin.
    pub const fn from_millis(millis: u64) -> Self {
        Self(millis)
    }

    /// Milliseconds since the clock's origin.
    pub const fn millis(self) -> u64 {
        self.0
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        Instant(
            self.0
                .saturating_add(u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        )
    }
}

/// Retry schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Wait before the first retransmission; doubled after each.
    pub initial_timeout: Duration,
    /// Longest wait between retransmissions.
    pub max_timeout: Duration,
    /// Transmissions per target before giving up (RFC 1996 §3.6 suggests
    /// 5 over UDP).
    pub max_attempts: u32,
}

impl Default for Config {
    /// 2 s, doubling up to 60 s, 5 transmissions (about a minute in all).
    fn default() -> Self {
        Self {
            initial_timeout: Duration::from_secs(2),
            max_timeout: Duration::from_secs(60),
            max_attempts: 5,
        }
    }
}

impl Config {
    /// Sets the first retransmission timeout.
    pub fn with_initial_timeout(mut self, d: Duration) -> Self {
        self.initial_timeout = d;
        self
    }

    /// Sets the longest retransmission timeout.
    pub fn with_max_timeout(mut self, d: Duration) -> Self {
        self.max_timeout = d;
        self
    }

    /// Sets the number of transmissions per target.
    pub fn with_max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }
}

/// A message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit<A> {
    /// Where to.
    pub destination: A,
    /// The NOTIFY (signed if the target has a key).
    pub payload: Vec<u8>,
}

/// What happened to a NOTIFY.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event<A> {
    /// The target answered NOERROR.
    Acknowledged {
        /// The zone.
        zone: Name,
        /// The serial notified.
        serial: Serial,
        /// The target.
        target: A,
    },
    /// The target answered with an error RCODE; no more retries.
    Refused {
        /// The zone.
        zone: Name,
        /// The serial notified.
        serial: Serial,
        /// The target.
        target: A,
        /// Its RCODE.
        rcode: u16,
    },
    /// No answer after every attempt.
    GaveUp {
        /// The zone.
        zone: Name,
        /// The serial notified.
        serial: Serial,
        /// The target.
        target: A,
    },
}

struct Pending<A> {
    zone: Name,
    serial: Serial,
    message: Vec<u8>,
    target: A,
    key: Option<Key>,
    id: u16,
    attempts: u32,
    next_send: Instant,
    timeout: Duration,
    /// One per signed transmission: a late answer to an earlier one counts.
    verifiers: Vec<ResponseVerifier>,
}

/// NOTIFYs in flight, per (zone, target).
pub struct Notifier<A> {
    pending: Vec<Pending<A>>,
    events: VecDeque<Event<A>>,
    config: Config,
    rng: u64,
}

impl<A> core::fmt::Debug for Notifier<A> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Notifier")
            .field("pending", &self.pending.len())
            .field("events", &self.events.len())
            .field("config", &self.config)
            .finish()
    }
}

impl<A: Clone + PartialEq> Notifier<A> {
    /// A notifier; `seed` seeds the message IDs (pass randomness: IDs
    /// should not be guessable).
    pub fn new(config: Config, seed: u64) -> Self {
        Self {
            pending: Vec::new(),
            events: VecDeque::new(),
            config,
            rng: seed | 1,
        }
    }

    fn next_id(&mut self) -> u16 {
        // xorshift64*
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 48) as u16
    }

    /// Schedules a NOTIFY of `zone`'s current version to each target (with
    /// the key to sign it, if any), to go out at `now`. `targets` is the
    /// zone's whole list: every NOTIFY still pending for the zone is
    /// replaced (a newer serial supersedes it; its attempts start again),
    /// and a target no longer listed (its transfer key removed) is no
    /// longer notified.
    pub fn notify(
        &mut self,
        zone: &Zone,
        targets: impl IntoIterator<Item = (A, Option<Key>)>,
        now: Instant,
    ) {
        self.pending.retain(|p| p.zone != *zone.origin());
        for (target, key) in targets {
            if self
                .pending
                .iter()
                .any(|p| p.zone == *zone.origin() && p.target == target)
            {
                continue;
            }
            let id = self.next_id();
            self.pending.push(Pending {
                zone: zone.origin().clone(),
                serial: zone.serial(),
                message: notify_message(zone, id),
                target,
                key,
                id,
                attempts: 0,
                next_send: now,
                timeout: self.config.initial_timeout,
                verifiers: Vec::new(),
            });
        }
    }

    /// Schedules a NOTIFY of `zone`'s current version to each of `targets`
    /// at `now`, like [`Notifier::notify`], but leaves the NOTIFYs pending
    /// for the zone's other targets alone: for a target that asks on its
    /// own (a subscription), not for a change of the zone. A NOTIFY still
    /// pending for the same zone and target is replaced.
    pub fn notify_also(
        &mut self,
        zone: &Zone,
        targets: impl IntoIterator<Item = (A, Option<Key>)>,
        now: Instant,
    ) {
        for (target, key) in targets {
            self.pending
                .retain(|p| !(p.zone == *zone.origin() && p.target == target));
            let id = self.next_id();
            self.pending.push(Pending {
                zone: zone.origin().clone(),
                serial: zone.serial(),
                message: notify_message(zone, id),
                target,
                key,
                id,
                attempts: 0,
                next_send: now,
                timeout: self.config.initial_timeout,
                verifiers: Vec::new(),
            });
        }
    }

    /// Sends the pending NOTIFYs whose target `redirect` maps to a new one
    /// there instead, from `now` and with their attempts counted afresh
    /// (the way they were to go is gone, e.g. a TCP connection closed
    /// before the answer came). A NOTIFY whose zone is already pending at
    /// the new target is dropped. Returns how many were redirected.
    pub fn redirect(&mut self, mut redirect: impl FnMut(&A) -> Option<A>, now: Instant) -> usize {
        let mut moved = 0;
        let mut i = 0;
        while i < self.pending.len() {
            let Some(to) = redirect(&self.pending[i].target) else {
                i += 1;
                continue;
            };
            let zone = self.pending[i].zone.clone();
            if self
                .pending
                .iter()
                .any(|p| p.zone == zone && p.target == to)
            {
                self.pending.swap_remove(i);
                continue;
            }
            let p = &mut self.pending[i];
            p.target = to;
            p.attempts = 0;
            p.next_send = now;
            p.timeout = self.config.initial_timeout;
            // Answers to the earlier transmissions cannot come by the new way.
            p.verifiers.clear();
            moved += 1;
            i += 1;
        }
        moved
    }

    /// Keeps only the pending NOTIFYs for which `keep(zone, target, key)`
    /// holds (e.g. after the keys changed: those whose key is gone stop).
    pub fn retain(&mut self, mut keep: impl FnMut(&Name, &A, Option<&Key>) -> bool) {
        self.pending
            .retain(|p| keep(&p.zone, &p.target, p.key.as_ref()));
    }

    /// Stops notifying about `zone`.
    pub fn cancel(&mut self, zone: &Name) {
        self.pending.retain(|p| p.zone != *zone);
    }

    /// The next message due at `now` (`unix_time`: seconds since the
    /// epoch, for TSIG), or `None`. Targets whose last attempt timed out
    /// are dropped with an [`Event::GaveUp`].
    pub fn poll_transmit(&mut self, now: Instant, unix_time: u64) -> Option<Transmit<A>> {
        let mut i = 0;
        while i < self.pending.len() {
            let p = &mut self.pending[i];
            if p.next_send > now {
                i += 1;
                continue;
            }
            if p.attempts >= self.config.max_attempts {
                let p = self.pending.swap_remove(i);
                self.events.push_back(Event::GaveUp {
                    zone: p.zone,
                    serial: p.serial,
                    target: p.target,
                });
                continue;
            }
            let mut payload = p.message.clone();
            if let Some(k) = &p.key {
                let mac = tsig::sign_request(&mut payload, k, unix_time);
                p.verifiers.push(ResponseVerifier::new(k.clone(), &mac));
            }
            p.attempts += 1;
            p.next_send = now + p.timeout;
            p.timeout = (p.timeout * 2).min(self.config.max_timeout);
            return Some(Transmit {
                destination: p.target.clone(),
                payload,
            });
        }
        None
    }

    /// A message received from `from`. Returns whether it answered one of
    /// our NOTIFYs (then an event follows). Answers whose TSIG does not
    /// verify are ignored (the retries go on).
    pub fn handle_response(&mut self, from: &A, msg: &[u8], unix_time: u64) -> bool {
        let Some(i) = self
            .pending
            .iter()
            .position(|p| p.target == *from && response_rcode(msg, p.id).is_some())
        else {
            return false;
        };
        let p = &self.pending[i];
        if p.key.is_some() {
            let verified = p
                .verifiers
                .iter()
                .any(|v| v.clone().verify(msg, unix_time).is_ok());
            if !verified {
                return false;
            }
        }
        let rc = response_rcode(msg, p.id).unwrap_or(OK);
        let p = self.pending.swap_remove(i);
        self.events.push_back(if rc == OK {
            Event::Acknowledged {
                zone: p.zone,
                serial: p.serial,
                target: p.target,
            }
        } else {
            Event::Refused {
                zone: p.zone,
                serial: p.serial,
                target: p.target,
                rcode: rc,
            }
        });
        true
    }

    /// The next event, if any.
    pub fn poll_event(&mut self) -> Option<Event<A>> {
        self.events.pop_front()
    }

    /// When [`Notifier::poll_transmit`] has something to do next.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.pending.iter().map(|p| p.next_send).min()
    }

    /// NOTIFYs not yet acknowledged or given up.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }
}

/// Whom a primary notifies about `zone` (RFC 1996 §3.3, OCaml-DNS): the
/// secondaries named by transfer keys (signed with that key), and the
/// addresses of the zone's apex NS names found in the zone itself
/// (signed with the transfer key of that address if there is one, else
/// unsigned), minus `ours`. NS names outside the zone need a lookup the
/// caller does. Each address appears once. When several keys name one
/// secondary, a key whose primary address is one of `ours` signs its
/// NOTIFY (that is the key the secondary knows us by; a repository may
/// hold keys of other primaries for the same secondary).
pub fn notify_targets(zone: &Zone, keys: &KeyStore, ours: &[IpAddr]) -> Vec<(IpAddr, Option<Key>)> {
    let ours_as_primary = |key: &Key| {
        KeyRole::of(key.name())
            .and_then(|role| role.primary)
            .is_some_and(|primary| ours.contains(&primary))
    };
    let mut out: Vec<(IpAddr, Option<Key>)> = Vec::new();
    for (key, ip) in keys.secondaries(zone.origin()) {
        if ours.contains(&ip) {
            continue;
        }
        match out.iter_mut().find(|(a, _)| *a == ip) {
            None => out.push((ip, Some(key.clone()))),
            Some((_, chosen)) => {
                let chosen_is_ours = chosen.as_ref().is_some_and(ours_as_primary);
                if !chosen_is_ours && ours_as_primary(key) {
                    *chosen = Some(key.clone());
                }
            }
        }
    }
    for rd in zone.apex_ns().rdatas() {
        let Some((target, _)) = name_from_wire(rd.as_bytes(), 0) else {
            continue;
        };
        let Some(node) = zone.node(&target) else {
            continue;
        };
        for t in [RecordType::A, RecordType::AAAA] {
            let Some(set) = node.rrset(t) else { continue };
            for a in set.rdatas() {
                let ip = match a.as_bytes() {
                    [a, b, c, d] => IpAddr::from([*a, *b, *c, *d]),
                    b if b.len() == 16 => {
                        let mut o = [0u8; 16];
                        o.copy_from_slice(b);
                        IpAddr::from(o)
                    }
                    _ => continue,
                };
                if !ours.contains(&ip) && !out.iter().any(|(x, _)| *x == ip) {
                    out.push((ip, None));
                }
            }
        }
    }
    out
}
