//! The signed control plane around the query engine: TSIG on queries,
//! UPDATE (RFC 2136, applied only once the owner made it durable), NOTIFY
//! in (reported to the owner) and out (to the secondaries after every
//! change, retried), AXFR/IXFR (RFC 5936, 1995) from a journal of diffs.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};
use dns_keys::KeyStore;
use dns_notify::{notify_targets, Notifier};
use dns_server::catalog::Catalog;
use dns_wire::{flags, opcode, Header, Name};
use dns_xfr::Journal;
use dns_zone::Zone;

/// Diffs kept per zone for IXFR, and their total size in bytes.
const JOURNAL_DIFFS: usize = 64;
const JOURNAL_BYTES: usize = 4 << 20;
/// UPDATEs held while another is made durable; more are dropped (the
/// client retries).
const MAX_DEFERRED_UPDATES: usize = 64;

/// Identifies an UPDATE waiting for its change to be made durable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct UpdateId(pub(crate) u64);

/// Where to send an answer later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReplyTo {
    Udp(SocketAddr),
    Tcp(netstack::TcpHandle),
}

/// What the owner of the service has to act on.
#[derive(Debug)]
#[non_exhaustive]
pub enum ControlEvent {
    /// A signed UPDATE changed `zone`: make the new version
    /// ([`crate::DnsService::pending_change`]) durable, then call
    /// [`crate::DnsService::complete_update`] (the client waits for it).
    /// Further UPDATEs wait until this one is complete.
    Update {
        /// Pass back to `complete_update`.
        id: UpdateId,
        /// The zone.
        zone: Name,
        /// The key that signed the update.
        key: Name,
    },
    /// A verified NOTIFY for `zone` (a git primary fetches).
    Notified {
        /// The zone named in the NOTIFY (the root: all zones).
        zone: Name,
        /// Who sent it.
        from: SocketAddr,
    },
}

pub(crate) struct Pending {
    pub(crate) change: dns_update::Change,
    pub(crate) reply_to: ReplyTo,
}

/// Keys, journals, notifications and updates in flight.
pub(crate) struct Control {
    pub(crate) keys: KeyStore,
    pub(crate) journals: BTreeMap<Name, Journal>,
    pub(crate) notifier: Notifier<SocketAddr>,
    pub(crate) pending: BTreeMap<UpdateId, Pending>,
    /// UPDATEs received while another was pending, in order.
    deferred: VecDeque<(Vec<u8>, ReplyTo)>,
    pub(crate) events: Vec<ControlEvent>,
    next_id: u64,
    /// Our own addresses, never notified.
    pub(crate) ours: Vec<IpAddr>,
    /// Port secondaries listen on (53; tests use others).
    pub(crate) notify_port: u16,
    /// Lines for the operator's log (transfers served), drained by the service.
    pub(crate) log: Vec<alloc::string::String>,
    /// (zone, primary) pairs of a secondary: NOTIFYs for the zone are
    /// accepted even before it is loaded, and unsigned ones from the primary.
    pub(crate) notify_sources: Vec<(Name, IpAddr)>,
    /// MACs of the signed requests acted on, so none is acted on twice.
    pub(crate) replay: crate::replay::ReplayGuard,
}

/// What a message needs.
pub(crate) enum Outcome {
    /// Send these messages now (several for a zone transfer).
    Now(Vec<Vec<u8>>),
    /// Nothing to send (yet).
    Nothing,
}

impl Control {
    pub(crate) fn new(keys: KeyStore, seed: u64, ours: Vec<IpAddr>, notify_port: u16) -> Control {
        Control {
            keys,
            journals: BTreeMap::new(),
            notifier: Notifier::new(dns_notify::Config::default(), seed),
            pending: BTreeMap::new(),
            deferred: VecDeque::new(),
            events: Vec::new(),
            next_id: 0,
            ours,
            notify_port,
            log: Vec::new(),
            notify_sources: Vec::new(),
            replay: Default::default(),
        }
    }

    /// Handles a message that is not a plain unsigned query; `None` when the
    /// query engine should answer it.
    pub(crate) fn handle(
        &mut self,
        catalog: &Catalog,
        msg: &[u8],
        from: ReplyTo,
        peer: SocketAddr,
        tcp: bool,
        unix_time: u64,
    ) -> Option<Outcome> {
        let header = Header::parse(msg).ok()?;
        if header.flags & flags::QR != 0 {
            // Answers to our NOTIFYs.
            self.notifier.handle_response(&peer, msg, unix_time);
            return Some(Outcome::Nothing);
        }
        if matches!(
            header.opcode(),
            opcode::UPDATE | opcode::NOTIFY | opcode::QUERY
        ) {
            use crate::replay::Verdict;
            match self.replay.check(&self.keys, msg, peer, unix_time) {
                Verdict::Fresh => {}
                Verdict::Answer(answer) => return Some(Outcome::Now(alloc::vec![answer])),
                Verdict::Refuse(answer, why) => {
                    self.log.push(why);
                    return Some(Outcome::Now(alloc::vec![answer]));
                }
                Verdict::Drop => return Some(Outcome::Nothing),
            }
        }
        let outcome = match header.opcode() {
            opcode::UPDATE => Some(self.update(catalog, msg, from, unix_time)),
            opcode::NOTIFY => Some(self.notify(catalog, msg, peer, unix_time)),
            opcode::QUERY => self.transfer(catalog, msg, peer, tcp, unix_time),
            _ => None,
        };
        if let Some(Outcome::Now(answers)) = &outcome {
            self.replay.answered(answers, Some(peer));
        }
        outcome
    }

    fn update(&mut self, catalog: &Catalog, msg: &[u8], from: ReplyTo, unix_time: u64) -> Outcome {
        if !self.pending.is_empty() {
            // One change at a time: the next applies to the zone the
            // previous one left (RFC 2136 §3.7), so it waits.
            if self.deferred.len() < MAX_DEFERRED_UPDATES {
                self.deferred.push_back((msg.to_vec(), from));
            } else {
                // Dropped unhandled: the client's retry must count as new.
                self.replay.forget(&self.keys, msg, unix_time);
            }
            return Outcome::Nothing;
        }
        self.update_now(catalog, msg, from, unix_time)
    }

    /// Handles the UPDATEs that waited for the previous one, until one of
    /// them changes a zone; returns the answers to send.
    pub(crate) fn resume_deferred(
        &mut self,
        catalog: &Catalog,
        unix_time: u64,
    ) -> Vec<(ReplyTo, Vec<u8>)> {
        let mut answers = Vec::new();
        while self.pending.is_empty() {
            let Some((msg, from)) = self.deferred.pop_front() else {
                break;
            };
            if let Outcome::Now(messages) = self.update_now(catalog, &msg, from, unix_time) {
                answers.extend(messages.into_iter().map(|m| (from, m)));
            }
        }
        answers
    }

    fn update_now(
        &mut self,
        catalog: &Catalog,
        msg: &[u8],
        from: ReplyTo,
        unix_time: u64,
    ) -> Outcome {
        match dns_update::handle(msg, unix_time, &self.keys, |apex| catalog.get(apex)) {
            dns_update::Handled::Drop => Outcome::Nothing,
            dns_update::Handled::Respond { response, .. } => Outcome::Now(alloc::vec![response]),
            dns_update::Handled::Changed(change) => {
                let id = UpdateId(self.next_id);
                self.next_id += 1;
                self.events.push(ControlEvent::Update {
                    id,
                    zone: change.zone.clone(),
                    key: change.key.clone(),
                });
                self.pending.insert(
                    id,
                    Pending {
                        change,
                        reply_to: from,
                    },
                );
                Outcome::Nothing
            }
            _ => Outcome::Nothing,
        }
    }

    fn notify(
        &mut self,
        catalog: &Catalog,
        msg: &[u8],
        peer: SocketAddr,
        unix_time: u64,
    ) -> Outcome {
        // The root stands for every zone (OCaml-DNS).
        let sources = &self.notify_sources;
        let serves = |zone: &Name| {
            zone.is_root() || catalog.get(zone).is_some() || sources.iter().any(|(z, _)| z == zone)
        };
        let from_a_primary = sources.iter().any(|(_, ip)| *ip == peer.ip());
        match dns_notify::handle(msg, unix_time, &self.keys, from_a_primary, serves) {
            dns_notify::Handled::Respond { response, .. } => Outcome::Now(alloc::vec![response]),
            dns_notify::Handled::Notified {
                notify, key: None, ..
            } if !sources
                .iter()
                .any(|(zone, ip)| *zone == notify.zone && *ip == peer.ip()) =>
            {
                // Unsigned, from the primary of another zone.
                Outcome::Now(alloc::vec![dns_notify::notify_response(
                    msg,
                    dns_wire::rcode::REFUSED
                )])
            }
            dns_notify::Handled::Notified {
                notify, response, ..
            } => {
                self.events.push(ControlEvent::Notified {
                    zone: notify.zone,
                    from: peer,
                });
                Outcome::Now(alloc::vec![response])
            }
            _ => Outcome::Nothing,
        }
    }

    fn transfer(
        &mut self,
        catalog: &Catalog,
        msg: &[u8],
        peer: SocketAddr,
        tcp: bool,
        unix_time: u64,
    ) -> Option<Outcome> {
        let transport = if tcp {
            dns_xfr::Transport::Tcp
        } else {
            dns_xfr::Transport::Udp
        };
        let journals = &self.journals;
        let find = |apex: &Name| catalog.get(apex).map(|zone| (zone, journals.get(apex)));
        match dns_xfr::handle(msg, unix_time, transport, &self.keys, find) {
            dns_xfr::Handled::NotTransfer => None,
            dns_xfr::Handled::Drop => Some(Outcome::Nothing),
            dns_xfr::Handled::Respond { response, .. } => Some(Outcome::Now(alloc::vec![response])),
            dns_xfr::Handled::Transfer(mut responder) => {
                let what = match responder.plan() {
                    dns_xfr::Plan::Full => alloc::string::String::from("full zone"),
                    dns_xfr::Plan::Incremental { diffs } => alloc::format!("IXFR, {diffs} diffs"),
                    _ => alloc::string::String::from("up to date"),
                };
                let zone = dns_wire::Message::parse(msg)
                    .ok()
                    .and_then(|m| m.questions.first().map(|q| q.name.to_ascii()))
                    .unwrap_or_default();
                self.log
                    .push(alloc::format!("transfer of {zone} to {peer}: {what}"));
                let mut messages = Vec::new();
                while let Some(message) = responder.next_message(unix_time) {
                    messages.push(message);
                }
                Some(Outcome::Now(messages))
            }
            _ => Some(Outcome::Nothing),
        }
    }

    /// Records a new version of `zone` (after an UPDATE or a reload):
    /// journal the diff for IXFR, notify the secondaries.
    pub(crate) fn changed(&mut self, old: Option<&Zone>, new: &Zone, now_ms: u64) {
        let apex = new.origin().clone();
        let journal = self
            .journals
            .entry(apex)
            .or_insert_with(|| Journal::new(JOURNAL_DIFFS, JOURNAL_BYTES));
        match old {
            Some(old) if new.serial() > old.serial() => journal.push(old.diff(new)),
            _ => journal.clear(),
        }
        let port = self.notify_port;
        let ours = &self.ours;
        // Only addresses we can reach: with no IPv6 address of our own, a
        // NOTIFY to an AAAA glue address could never leave, and the
        // network stack would hold the datagrams queued behind it too.
        let reachable =
            |ip: &IpAddr| ours.is_empty() || ours.iter().any(|o| o.is_ipv4() == ip.is_ipv4());
        let targets = notify_targets(new, &self.keys, ours)
            .into_iter()
            .filter(|(ip, _)| reachable(ip))
            .map(|(ip, key)| (SocketAddr::new(ip, port), key));
        self.notifier
            .notify(new, targets, dns_notify::Instant::from_millis(now_ms));
    }
}
