//! NOTIFY subscriptions, as OCaml-DNS keeps them: a client that asks for a
//! zone's SOA signed with a key that may transfer the zone (or for the
//! root's SOA with a root transfer key, `…._transfer.`: every zone) is
//! notified when the zone changes, whether or not a transfer key names its
//! address. That is how a hidden secondary (not in the NS records, maybe
//! behind NAT) learns of changes at once.
//!
//! Where the NOTIFY goes:
//! - the query came over TCP and the connection is still open: on that
//!   connection (RFC 7766 framing; the answer comes back on it). This is
//!   the way through NAT: the client keeps the connection it opened.
//! - it came over UDP: by UDP from the service's port to the address and
//!   port the query came from (the NAT mapping the query made).
//!
//! Limits, so that subscribers cost bounded memory and NOTIFYs:
//! - at most [`MAX_SUBSCRIPTIONS`] (zone, client) pairs per service; a new
//!   one beyond that takes the place of the one refreshed longest ago;
//! - a subscription is forgotten [`SUBSCRIPTION_LIFETIME`] after its last
//!   SOA query (a new query refreshes it), and at once when its TCP
//!   connection closes;
//! - a connection carrying a subscription ("a NOTIFY channel") is closed
//!   when idle for [`NOTIFY_CHANNEL_IDLE_TIMEOUT`] instead of the service's
//!   short TCP idle timeout, and is never the one evicted to make room for
//!   a new client: the subscriber keeps it alive by sending a message
//!   (its SOA queries) at least that often. RFC 7828's edns-tcp-keepalive
//!   would say so in band; nothing sends it yet, so the rule is this
//!   constant.
//!
//! A subscriber at an address that is also a configured secondary of the
//! zone (a transfer key names it) is not notified as a subscriber: it gets
//! the configured NOTIFY at its DNS port, once. (Its TCP connections are
//! its refresh sessions: a NOTIFY in the middle of one of those would
//! break its transfer.)

use alloc::vec::Vec;
use core::fmt;
use core::net::SocketAddr;
use core::time::Duration;

use dns_keys::{KeyStore, Operation};
use dns_wire::Name;
use netstack::{Instant, TcpHandle};
use tsig::Key;

/// Most (zone, client) subscriptions a service keeps. A root key's
/// subscription is one for all zones; a handful of hidden secondaries
/// with a few dozen zone keys each fit. Each costs a name and a key
/// (about 300 octets): 256 are some 77 KiB.
pub const MAX_SUBSCRIPTIONS: usize = 256;
/// A subscription is forgotten this long after its last SOA query
/// (OCaml-DNS keeps them until the connection closes; a UDP querier has
/// no connection to close).
pub const SUBSCRIPTION_LIFETIME: Duration = Duration::from_secs(3600);
/// A TCP connection that carries a subscription is closed after this long
/// without a message from either side (other connections: the service's
/// `tcp_idle_timeout`). Subscribers send an SOA query more often than
/// this to keep it (the hidden secondary every minute).
pub const NOTIFY_CHANNEL_IDLE_TIMEOUT: Duration = Duration::from_secs(300);

/// Where a NOTIFY goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotifyTarget {
    /// A secondary's DNS port (a transfer key's address, an NS address):
    /// from the service's NOTIFY socket.
    Secondary(SocketAddr),
    /// The address and port a signed SOA query came from over UDP: from
    /// the service's own port, the way back through the querier's NAT.
    Querier(SocketAddr),
    /// The TCP connection a signed SOA query came over.
    Connection {
        /// The connection.
        handle: TcpHandle,
        /// Its peer.
        peer: SocketAddr,
    },
}

impl NotifyTarget {
    /// The address notified.
    pub(crate) fn peer(&self) -> SocketAddr {
        match self {
            NotifyTarget::Secondary(peer) | NotifyTarget::Querier(peer) => *peer,
            NotifyTarget::Connection { peer, .. } => *peer,
        }
    }
}

impl fmt::Display for NotifyTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NotifyTarget::Secondary(peer) => write!(f, "{peer}"),
            NotifyTarget::Querier(peer) => write!(f, "{peer} (UDP subscriber)"),
            NotifyTarget::Connection { peer, .. } => {
                write!(f, "{peer} (on its TCP connection)")
            }
        }
    }
}

/// A client's subscription to a zone, as [`crate::DnsService::subscribers`]
/// shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subscriber {
    /// The zone (the root: every zone).
    pub zone: Name,
    /// The client's address and port.
    pub peer: SocketAddr,
    /// Whether it is notified on its TCP connection (else by UDP).
    pub over_tcp: bool,
    /// The key that signed its SOA query, and signs its NOTIFYs.
    pub key: Name,
}

struct Subscription {
    zone: Name,
    target: NotifyTarget,
    key: Key,
    refreshed: Instant,
}

/// The subscriptions of one service (see the module documentation).
#[derive(Default)]
pub(crate) struct Subscriptions {
    list: Vec<Subscription>,
}

impl Subscriptions {
    /// Records (or refreshes) that `target` asked for `zone`'s SOA at
    /// `now`, signed with `key`. True if the subscription is new.
    pub(crate) fn subscribe(
        &mut self,
        zone: &Name,
        target: NotifyTarget,
        key: &Key,
        now: Instant,
    ) -> bool {
        if let Some(known) = self
            .list
            .iter_mut()
            .find(|s| s.zone == *zone && s.target == target)
        {
            known.refreshed = now;
            if known.key != *key {
                known.key = key.clone();
            }
            return false;
        }
        if self.list.len() >= MAX_SUBSCRIPTIONS {
            let oldest = self
                .list
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.refreshed)
                .map(|(at, _)| at);
            if let Some(at) = oldest {
                self.list.swap_remove(at);
            }
        }
        self.list.push(Subscription {
            zone: zone.clone(),
            target,
            key: key.clone(),
            refreshed: now,
        });
        true
    }

    /// Forgets the subscriptions carried by a closed connection.
    pub(crate) fn forget_connection(&mut self, handle: TcpHandle) {
        self.list.retain(
            |s| !matches!(s.target, NotifyTarget::Connection { handle: h, .. } if h == handle),
        );
    }

    /// Forgets the subscriptions not refreshed for [`SUBSCRIPTION_LIFETIME`];
    /// true if there were any.
    pub(crate) fn expire(&mut self, now: Instant) -> bool {
        let before = self.list.len();
        self.list
            .retain(|s| now.since(s.refreshed) < SUBSCRIPTION_LIFETIME);
        self.list.len() != before
    }

    /// When the next subscription expires.
    pub(crate) fn next_expiry(&self) -> Option<Instant> {
        self.list
            .iter()
            .map(|s| s.refreshed.after(SUBSCRIPTION_LIFETIME))
            .min()
    }

    /// Keeps the subscriptions whose key is still in `keys`, unchanged,
    /// and still allowed to transfer the zone (after a reload of the keys).
    pub(crate) fn retain_keys(&mut self, keys: &KeyStore) {
        self.list.retain(|s| {
            keys.get(s.key.name()) == Some(&s.key)
                && keys
                    .authorise(s.key.name(), Operation::Transfer, &s.zone)
                    .is_ok()
        });
    }

    /// The subscribers to notify about `zone` (those of the zone and those
    /// of every zone), with their keys; each target once.
    pub(crate) fn targets(&self, zone: &Name) -> Vec<(NotifyTarget, Key)> {
        let mut out: Vec<(NotifyTarget, Key)> = Vec::new();
        for s in self
            .list
            .iter()
            .filter(|s| s.zone == *zone || s.zone.is_root())
        {
            if !out.iter().any(|(t, _)| *t == s.target) {
                out.push((s.target, s.key.clone()));
            }
        }
        out
    }

    /// Whether `handle` carries a subscription.
    pub(crate) fn is_channel(&self, handle: TcpHandle) -> bool {
        self.list
            .iter()
            .any(|s| matches!(s.target, NotifyTarget::Connection { handle: h, .. } if h == handle))
    }

    /// What is subscribed, for the owner.
    pub(crate) fn subscribers(&self) -> Vec<Subscriber> {
        self.list
            .iter()
            .map(|s| Subscriber {
                zone: s.zone.clone(),
                peer: s.target.peer(),
                over_tcp: matches!(s.target, NotifyTarget::Connection { .. }),
                key: s.key.name().clone(),
            })
            .collect()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.list.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tsig::Algorithm;

    fn name(text: &str) -> Name {
        text.parse().expect("a name")
    }

    fn key(text: &str) -> Key {
        Key::new(name(text), Algorithm::HmacSha256, alloc::vec![3; 32])
    }

    fn querier(port: u16) -> NotifyTarget {
        NotifyTarget::Querier(SocketAddr::new([10, 53, 0, 9].into(), port))
    }

    fn at(seconds: u64) -> Instant {
        Instant(seconds * 1_000_000_000)
    }

    #[test]
    fn the_oldest_subscription_gives_way_when_full() {
        let mut subs = Subscriptions::default();
        let zone = name("example.com.");
        let k = key("10.53.0.1._transfer.example.com.");
        for port in 0..MAX_SUBSCRIPTIONS as u16 {
            assert!(subs.subscribe(&zone, querier(port), &k, at(u64::from(port))));
        }
        // Port 0 asks again: refreshed, the oldest is now port 1.
        assert!(!subs.subscribe(&zone, querier(0), &k, at(1000)));
        assert_eq!(subs.len(), MAX_SUBSCRIPTIONS);
        assert!(subs.subscribe(&zone, querier(9999), &k, at(1001)));
        assert_eq!(subs.len(), MAX_SUBSCRIPTIONS);
        let targets: Vec<NotifyTarget> = subs.targets(&zone).into_iter().map(|(t, _)| t).collect();
        assert!(targets.contains(&querier(0)) && targets.contains(&querier(9999)));
        assert!(!targets.contains(&querier(1)), "the oldest was forgotten");
    }

    #[test]
    fn a_subscription_lives_an_hour_after_its_last_query() {
        let mut subs = Subscriptions::default();
        let zone = name("example.com.");
        let k = key("10.53.0.1._transfer.example.com.");
        subs.subscribe(&zone, querier(1), &k, at(0));
        subs.subscribe(&zone, querier(2), &k, at(0));
        subs.subscribe(&zone, querier(2), &k, at(1800));
        assert_eq!(subs.next_expiry(), Some(at(3600)));
        assert!(!subs.expire(at(3599)));
        assert!(subs.expire(at(3600)));
        let left: Vec<NotifyTarget> = subs.targets(&zone).into_iter().map(|(t, _)| t).collect();
        assert_eq!(left, [querier(2)]);
        assert!(subs.expire(at(5400)));
        assert!(subs.targets(&zone).is_empty());
    }

    #[test]
    fn a_root_subscription_covers_every_zone_once_per_target() {
        let mut subs = Subscriptions::default();
        let root = key("10.53.0.1._transfer.");
        let zone_key = key("10.53.0.1._transfer.example.com.");
        subs.subscribe(&Name::root(), querier(1), &root, at(0));
        subs.subscribe(&name("example.com."), querier(1), &zone_key, at(0));
        assert_eq!(subs.targets(&name("example.com.")).len(), 1);
        assert_eq!(subs.targets(&name("example.org.")).len(), 1);
        // A key that is gone ends its subscriptions.
        let mut keys = KeyStore::new();
        keys.insert(zone_key.clone());
        subs.retain_keys(&keys);
        assert_eq!(subs.targets(&name("example.org.")).len(), 0);
        assert_eq!(subs.targets(&name("example.com."))[0].1, zone_key);
    }
}
