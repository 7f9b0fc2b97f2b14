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
use dns_zone::{Zone, ZoneDiff};

use crate::subscriptions::{NotifyTarget, Subscriptions};

/// Diffs kept per zone for IXFR, and their total size in bytes.
const JOURNAL_DIFFS: usize = 64;
const JOURNAL_BYTES: usize = 4 << 20;
/// UPDATEs held while another is made durable; more are dropped (the
/// client retries).
const MAX_DEFERRED_UPDATES: usize = 64;
/// NOTIFYs signed with a key we do not know yet, held until the fetch
/// they start brings the repository's keys; more are answered BADKEY.
const MAX_HELD_NOTIFIES: usize = 16;
/// Seconds between fetches started by NOTIFYs with unknown keys: anyone
/// can send those, and they must not keep the primary fetching. In
/// between, such a NOTIFY is answered BADKEY at once (unless a fetch for
/// one is running: then it waits for that fetch too).
const UNKNOWN_KEY_FETCH_INTERVAL: u64 = 10;

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
    pub(crate) notifier: Notifier<NotifyTarget>,
    /// Clients notified because they asked for a zone's SOA, signed.
    pub(crate) subscriptions: Subscriptions,
    /// The monotonic time of the service's current poll.
    pub(crate) now: netstack::Instant,
    pub(crate) pending: BTreeMap<UpdateId, Pending>,
    /// UPDATEs received while another was pending, in order.
    deferred: VecDeque<(Vec<u8>, ReplyTo, SocketAddr)>,
    pub(crate) events: Vec<ControlEvent>,
    next_id: u64,
    /// Our own addresses, never notified.
    pub(crate) ours: Vec<IpAddr>,
    /// Port secondaries listen on (53; tests use others).
    pub(crate) notify_port: u16,
    /// Lines for the operator's log (transfers served), drained by the service.
    pub(crate) log: Vec<alloc::string::String>,
    /// (zone, primary) pairs of a secondary: NOTIFYs for the zone are
    /// accepted even before it is loaded, and unsigned ones from the
    /// primary. The root stands for any zone (signed) from that primary.
    pub(crate) notify_sources: Vec<(Name, IpAddr)>,
    /// A primary that fetches from its source of truth on NOTIFY: any
    /// NOTIFY signed with a key we know makes it fetch, whatever the zone.
    pub(crate) fetch_on_notify: bool,
    /// NOTIFYs signed with a key we do not know (yet): (message, sender,
    /// where to answer). Verified again once the fetch they started
    /// brought the repository's keys.
    held: Vec<(Vec<u8>, SocketAddr, ReplyTo)>,
    /// When (unix time) a NOTIFY with an unknown key last started a fetch.
    unknown_key_fetch: Option<u64>,
    /// MACs of the signed requests acted on, so none is acted on twice.
    pub(crate) replay: crate::replay::ReplayGuard,
}

/// What a message needs.
pub(crate) enum Outcome {
    /// Send these messages now.
    Now(Vec<Vec<u8>>),
    /// Send this zone transfer's messages as the connection takes them.
    Transfer(alloc::boxed::Box<dns_xfr::Transfer>),
    /// Nothing to send (yet).
    Nothing,
}

impl Control {
    pub(crate) fn new(keys: KeyStore, seed: u64, ours: Vec<IpAddr>, notify_port: u16) -> Control {
        Control {
            keys,
            journals: BTreeMap::new(),
            notifier: Notifier::new(dns_notify::Config::default(), seed),
            subscriptions: Subscriptions::default(),
            now: netstack::Instant(0),
            pending: BTreeMap::new(),
            deferred: VecDeque::new(),
            events: Vec::new(),
            next_id: 0,
            ours,
            notify_port,
            log: Vec::new(),
            notify_sources: Vec::new(),
            fetch_on_notify: false,
            held: Vec::new(),
            unknown_key_fetch: None,
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
            // Answers to our NOTIFYs: on a subscriber's connection, from a
            // UDP subscriber, or from a secondary answering at our port.
            let target = match from {
                ReplyTo::Tcp(handle) => NotifyTarget::Connection { handle, peer },
                ReplyTo::Udp(addr) => NotifyTarget::Querier(addr),
            };
            if !self.notifier.handle_response(&target, msg, unix_time) {
                let secondary = NotifyTarget::Secondary(peer);
                self.notifier.handle_response(&secondary, msg, unix_time);
            }
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
            opcode::UPDATE => Some(self.update(catalog, msg, from, peer, unix_time)),
            opcode::NOTIFY if self.fetch_on_notify => {
                Some(self.notify_primary(msg, peer, from, unix_time, true))
            }
            opcode::NOTIFY => Some(self.notify(catalog, msg, peer, unix_time)),
            opcode::QUERY => match self.root_soa(catalog, msg, from, peer, unix_time) {
                Some(outcome) => Some(outcome),
                None => self.transfer(catalog, msg, peer, tcp, unix_time),
            },
            _ => None,
        };
        match &outcome {
            Some(Outcome::Now(answers)) => self.replay.answered(answers, Some(peer)),
            Some(Outcome::Transfer(_)) => self.replay.streamed(msg, peer),
            _ => {}
        }
        outcome
    }

    /// A NOTIFY to a primary that fetches ([`Control::fetch_on_notify`]):
    /// a fetch only reads the source of truth, so any key we know may ask
    /// for one, for any zone, including one the repository does not have
    /// yet. A NOTIFY signed with a key we do not know is held (when
    /// `may_hold`) and answered after the fetch, verified with the keys it
    /// brought: a new zone's key pushed together with it works at once.
    fn notify_primary(
        &mut self,
        msg: &[u8],
        peer: SocketAddr,
        from: ReplyTo,
        unix_time: u64,
        may_hold: bool,
    ) -> Outcome {
        let notify = match dns_notify::parse_notify(msg) {
            Err(dns_notify::NotifyError::FormErr) => {
                return Outcome::Now(alloc::vec![dns_notify::notify_response(
                    msg,
                    dns_wire::rcode::FORMERR
                )])
            }
            Err(_) => return Outcome::Nothing,
            Ok(notify) => notify,
        };
        let zone = notify.zone.to_ascii();
        let signed = match tsig::verify_request(msg, &self.keys, unix_time) {
            Ok(Some(signed)) => signed,
            Ok(None) => {
                self.log.push(alloc::format!(
                    "NOTIFY for {zone} from {peer}: unsigned; refused (sign it with a key of the repository)"
                ));
                return Outcome::Now(alloc::vec![dns_notify::notify_response(
                    msg,
                    dns_wire::rcode::REFUSED
                )]);
            }
            Err(tsig::RequestError::BadKey(tsig)) if may_hold => {
                let recently = self
                    .unknown_key_fetch
                    .is_some_and(|at| unix_time < at.saturating_add(UNKNOWN_KEY_FETCH_INTERVAL));
                let full = self.held.len() >= MAX_HELD_NOTIFIES;
                if full || (self.held.is_empty() && recently) {
                    let error = tsig::RequestError::BadKey(tsig);
                    return Outcome::Now(alloc::vec![error.response(msg, unix_time)]);
                }
                self.log.push(alloc::format!(
                    "NOTIFY for {zone} from {peer} signed with {}, a key we do not know: fetching, then verifying it with the keys of the new head",
                    tsig.key_name.to_ascii()
                ));
                if self.held.is_empty() {
                    self.unknown_key_fetch = Some(unix_time);
                    self.events.push(ControlEvent::Notified {
                        zone: notify.zone,
                        from: peer,
                    });
                }
                self.held.push((msg.to_vec(), peer, from));
                return Outcome::Nothing;
            }
            Err(error) => {
                self.log.push(alloc::format!(
                    "NOTIFY for {zone} from {peer}: TSIG: {error}"
                ));
                return Outcome::Now(alloc::vec![error.response(msg, unix_time)]);
            }
        };
        let mut response = dns_notify::notify_response(msg, dns_wire::rcode::NOERROR);
        signed.response_signer().sign(&mut response, unix_time);
        if may_hold {
            self.events.push(ControlEvent::Notified {
                zone: notify.zone,
                from: peer,
            });
        }
        Outcome::Now(alloc::vec![response])
    }

    /// Answers the NOTIFYs held for a fetch, verified with the keys we have
    /// now (call after the fetch, whatever it brought).
    pub(crate) fn release_held(&mut self, unix_time: u64) -> Vec<(ReplyTo, Vec<u8>)> {
        let mut answers = Vec::new();
        for (msg, peer, from) in core::mem::take(&mut self.held) {
            if let Outcome::Now(messages) = self.notify_primary(&msg, peer, from, unix_time, false)
            {
                answers.extend(messages.into_iter().map(|m| (from, m)));
            }
        }
        answers
    }

    /// A signed SOA query for the root with a key that may transfer every
    /// zone (`<primary>.<secondary>._transfer.`): OCaml-DNS secondaries
    /// send it to learn all zones of their primary. Answered NOERROR, not
    /// authoritative, no records; the sender is subscribed to every zone
    /// (see `subscriptions.rs`), and when the subscription is new every
    /// zone we serve is NOTIFYed to it, signed with that key (on its TCP
    /// connection, or by UDP where it asked from; a connection that closes
    /// before the answer sends them to its DNS port instead). `None` for
    /// anything else.
    fn root_soa(
        &mut self,
        catalog: &Catalog,
        msg: &[u8],
        from: ReplyTo,
        peer: SocketAddr,
        unix_time: u64,
    ) -> Option<Outcome> {
        let parsed = dns_wire::Message::parse(msg).ok()?;
        let [question] = parsed.questions.as_slice() else {
            return None;
        };
        let is_root_soa = question.name.is_root()
            && question.qtype == dns_wire::RecordType::SOA
            && question.qclass == dns_wire::class::IN;
        if !is_root_soa {
            return None;
        }
        let signed = tsig::verify_request(msg, &self.keys, unix_time).ok()??;
        let key_name = signed.key_name().clone();
        let root = Name::root();
        self.keys
            .authorise(&key_name, dns_keys::Operation::Transfer, &root)
            .ok()?;
        let key = self.keys.get(&key_name)?.clone();
        let mut answer = dns_wire::MessageBuilder::new(parsed.header.id, flags::QR);
        answer
            .question(&root, dns_wire::RecordType::SOA, dns_wire::class::IN)
            .ok()?;
        let mut answer = answer.finish();
        signed.response_signer().sign(&mut answer, unix_time);
        let target = subscriber(from, peer);
        if !self.subscriptions.subscribe(&root, target, &key, self.now) {
            // A subscriber keeping its subscription: it has the zones.
            return Some(Outcome::Now(alloc::vec![answer]));
        }
        for zone in catalog.zones() {
            self.notifier.notify_also(
                zone,
                [(target, Some(key.clone()))],
                dns_notify::Instant::from_millis(0),
            );
        }
        self.log.push(alloc::format!(
            "SOA query for the root from {peer} with key {}: notifying {target} of our {} zones, and of every change",
            key_name.to_ascii(),
            catalog.len()
        ));
        Some(Outcome::Now(alloc::vec![answer]))
    }

    fn update(
        &mut self,
        catalog: &Catalog,
        msg: &[u8],
        from: ReplyTo,
        peer: SocketAddr,
        unix_time: u64,
    ) -> Outcome {
        if !self.pending.is_empty() {
            // One change at a time: the next applies to the zone the
            // previous one left (RFC 2136 §3.7), so it waits.
            if self.deferred.len() < MAX_DEFERRED_UPDATES {
                self.deferred.push_back((msg.to_vec(), from, peer));
            } else {
                // Dropped unhandled: the client's retry must count as new.
                self.replay.forget(&self.keys, msg, unix_time);
            }
            return Outcome::Nothing;
        }
        self.update_now(catalog, msg, from, peer, unix_time)
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
            let Some((msg, from, peer)) = self.deferred.pop_front() else {
                break;
            };
            if let Outcome::Now(messages) = self.update_now(catalog, &msg, from, peer, unix_time) {
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
        peer: SocketAddr,
        unix_time: u64,
    ) -> Outcome {
        match dns_update::handle(msg, unix_time, &self.keys, |apex| catalog.get(apex)) {
            dns_update::Handled::Drop => Outcome::Nothing,
            dns_update::Handled::Respond { response, reason } => {
                if let Some(reason) = reason {
                    self.log.push(alloc::format!(
                        "UPDATE for {} from {peer} refused: {reason}",
                        question_name(msg)
                    ));
                }
                Outcome::Now(alloc::vec![response])
            }
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
        // The root stands for every zone (OCaml-DNS); a root source takes
        // NOTIFYs for any zone from its primary (signed: see below).
        let sources = &self.notify_sources;
        let serves = |zone: &Name| {
            zone.is_root()
                || catalog.get(zone).is_some()
                || sources
                    .iter()
                    .any(|(z, ip)| z == zone || (z.is_root() && *ip == peer.ip()))
        };
        let from_a_primary = sources.iter().any(|(_, ip)| *ip == peer.ip());
        match dns_notify::handle(msg, unix_time, &self.keys, from_a_primary, serves) {
            dns_notify::Handled::Respond {
                response, reason, ..
            } => {
                let zone = dns_notify::parse_notify(msg)
                    .map(|n| n.zone.to_ascii())
                    .unwrap_or_default();
                self.log.push(match reason {
                    dns_notify::HandleError::Unsigned => alloc::format!(
                        "NOTIFY for {zone} from {peer}: unsigned, and {} is no primary of ours; refused (BIND notifies from its default source address unless notify-source says otherwise)",
                        peer.ip()
                    ),
                    reason => alloc::format!("NOTIFY for {zone} from {peer} refused: {reason}"),
                });
                Outcome::Now(alloc::vec![response])
            }
            dns_notify::Handled::Notified {
                notify, key: None, ..
            } if !sources
                .iter()
                .any(|(zone, ip)| *zone == notify.zone && *ip == peer.ip()) =>
            {
                // Unsigned, from the primary of another zone.
                let primaries: Vec<alloc::string::String> = sources
                    .iter()
                    .filter(|(zone, _)| *zone == notify.zone)
                    .map(|(_, ip)| alloc::format!("{ip}"))
                    .collect();
                self.log.push(alloc::format!(
                    "NOTIFY for {} from {peer}: unsigned, and not from the zone's primary ({}); refused (BIND notifies from its default source address unless notify-source says otherwise)",
                    notify.zone.to_ascii(),
                    if primaries.is_empty() { alloc::string::String::from("none: sign it") } else { primaries.join(", ") }
                ));
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
            dns_xfr::Handled::Respond { response, reason } => {
                if let Some(reason) = reason {
                    self.log.push(alloc::format!(
                        "transfer of {} to {peer} refused: {reason}",
                        question_name(msg)
                    ));
                }
                Some(Outcome::Now(alloc::vec![response]))
            }
            dns_xfr::Handled::Transfer(responder) => {
                let what = match responder.plan() {
                    dns_xfr::Plan::Full => alloc::string::String::from("full zone"),
                    dns_xfr::Plan::Incremental { diffs } => alloc::format!("IXFR, {diffs} diffs"),
                    _ => alloc::string::String::from("up to date"),
                };
                self.log.push(alloc::format!(
                    "transfer of {} to {peer}: {what}",
                    question_name(msg)
                ));
                Some(Outcome::Transfer(alloc::boxed::Box::new(
                    responder.into_transfer(),
                )))
            }
            _ => Some(Outcome::Nothing),
        }
    }

    /// Records a new version of `zone` (after an UPDATE or a reload):
    /// journal the diff for IXFR, notify the secondaries.
    pub(crate) fn changed(&mut self, old: Option<&Zone>, new: &Zone, now_ms: u64) {
        self.changed_by(old, new, None, now_ms);
    }

    /// [`Control::changed`], with the difference from `old` to `new` when
    /// the caller has it (an UPDATE's): walking two large zones to find it
    /// again took most of an UPDATE's time on a 1 M-record zone.
    pub(crate) fn changed_by(
        &mut self,
        old: Option<&Zone>,
        new: &Zone,
        diff: Option<ZoneDiff>,
        now_ms: u64,
    ) {
        let apex = new.origin().clone();
        let journal = self
            .journals
            .entry(apex)
            .or_insert_with(|| Journal::new(JOURNAL_DIFFS, JOURNAL_BYTES));
        match old {
            Some(old) if new.serial() > old.serial() => journal.push(match diff {
                Some(diff)
                    if diff.from_serial() == old.serial() && diff.to_serial() == new.serial() =>
                {
                    diff
                }
                _ => old.diff(new),
            }),
            _ => journal.clear(),
        }
        let port = self.notify_port;
        let ours = &self.ours;
        // Only addresses we can reach: with no IPv6 address of our own, a
        // NOTIFY to an AAAA glue address could never leave, and the
        // network stack would hold the datagrams queued behind it too.
        let reachable =
            |ip: &IpAddr| ours.is_empty() || ours.iter().any(|o| o.is_ipv4() == ip.is_ipv4());
        let configured: Vec<(IpAddr, Option<tsig::Key>)> = notify_targets(new, &self.keys, ours)
            .into_iter()
            .filter(|(ip, _)| reachable(ip))
            .collect();
        // A subscriber that is also a configured secondary is notified
        // once, as the configured one (see `subscriptions.rs`).
        let subscribers: Vec<(NotifyTarget, Option<tsig::Key>)> = self
            .subscriptions
            .targets(new.origin())
            .into_iter()
            .filter(|(target, _)| !configured.iter().any(|(ip, _)| *ip == target.peer().ip()))
            .map(|(target, key)| (target, Some(key)))
            .collect();
        let targets = configured
            .into_iter()
            .map(|(ip, key)| (NotifyTarget::Secondary(SocketAddr::new(ip, port)), key))
            .chain(subscribers);
        self.notifier
            .notify(new, targets, dns_notify::Instant::from_millis(now_ms));
    }

    /// A signed SOA query for `zone` (not the root) that the engine
    /// answered: subscribes its sender to the zone if the key may transfer
    /// it and we serve it (see `subscriptions.rs`). True if the sender is
    /// subscribed now (newly or again).
    pub(crate) fn soa_queried(
        &mut self,
        catalog: &Catalog,
        stripped: &[u8],
        key_name: &Name,
        from: ReplyTo,
        peer: SocketAddr,
    ) -> bool {
        let Some(zone) = soa_question(stripped) else {
            return false;
        };
        if zone.is_root() || catalog.get(&zone).is_none() {
            return false;
        }
        if self
            .keys
            .authorise(key_name, dns_keys::Operation::Transfer, &zone)
            .is_err()
        {
            return false;
        }
        let Some(key) = self.keys.get(key_name).cloned() else {
            return false;
        };
        // A configured secondary is notified as such; its SOA queries are
        // its refresh checks.
        let configured = self.keys.secondaries(&zone);
        if configured.iter().any(|(_, ip)| *ip == peer.ip()) {
            return false;
        }
        self.subscriptions
            .subscribe(&zone, subscriber(from, peer), &key, self.now);
        true
    }

    /// A TCP connection is gone: its subscriptions end, and the NOTIFYs
    /// still waiting for an answer on it go to its peer's DNS port instead
    /// (an OCaml-DNS secondary subscribes with a root key over a
    /// connection it closes at once, and listens on its port 53).
    pub(crate) fn connection_closed(&mut self, handle: netstack::TcpHandle) {
        self.subscriptions.forget_connection(handle);
        let port = self.notify_port;
        let ours = &self.ours;
        self.notifier.redirect(
            |target| match target {
                NotifyTarget::Connection { handle: h, peer }
                    if *h == handle && !ours.contains(&peer.ip()) =>
                {
                    Some(NotifyTarget::Secondary(SocketAddr::new(peer.ip(), port)))
                }
                _ => None,
            },
            dns_notify::Instant::from_millis(self.now.0 / 1_000_000),
        );
        // A NOTIFY to the connection that could not be redirected stops.
        self.notifier.retain(|_, target, _| {
            !matches!(target, NotifyTarget::Connection { handle: h, .. } if *h == handle)
        });
    }
}

/// Where a subscriber who asked through `from` is notified.
fn subscriber(from: ReplyTo, peer: SocketAddr) -> NotifyTarget {
    match from {
        ReplyTo::Tcp(handle) => NotifyTarget::Connection { handle, peer },
        ReplyTo::Udp(addr) => NotifyTarget::Querier(addr),
    }
}

/// The zone of a standard query with one question, `zone SOA IN`.
fn soa_question(msg: &[u8]) -> Option<Name> {
    let parsed = dns_wire::Message::parse(msg).ok()?;
    let header = &parsed.header;
    if header.is_response() || header.opcode() != opcode::QUERY {
        return None;
    }
    let [question] = parsed.questions.as_slice() else {
        return None;
    };
    (question.qtype == dns_wire::RecordType::SOA && question.qclass == dns_wire::class::IN)
        .then(|| question.name.clone())
}

/// The zone (first question) a request names, for the log; empty if it
/// names none.
fn question_name(msg: &[u8]) -> alloc::string::String {
    dns_wire::Message::parse(msg)
        .ok()
        .and_then(|m| m.questions.first().map(|q| q.name.to_ascii()))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dns_wire::rcode;
    use tsig::{Algorithm, Key};

    const NOW: u64 = 1_700_000_000;

    fn name(text: &str) -> Name {
        text.parse().expect("a name")
    }

    fn key(text: &str, fill: u8) -> Key {
        Key::new(name(text), Algorithm::HmacSha256, alloc::vec![fill; 32])
    }

    fn catalog() -> Catalog {
        let mut catalog = Catalog::new();
        for apex in ["example.com.", "example.org."] {
            let text =
                "$TTL 300\n@ SOA ns hostmaster 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.1\n";
            let (zone, _) = Zone::parse(text.as_bytes(), name(apex)).expect("a zone");
            catalog.insert(zone);
        }
        catalog
    }

    fn control(keys: &[Key]) -> Control {
        let mut store = KeyStore::new();
        for key in keys {
            store.insert(key.clone());
        }
        Control::new(store, 1, Vec::new(), 53)
    }

    fn peer() -> SocketAddr {
        "10.53.0.9:5300".parse().unwrap()
    }

    fn notify(zone: &str, key: Option<&Key>) -> Vec<u8> {
        let mut msg = dns_notify::notify_query(&name(zone), 7);
        if let Some(key) = key {
            tsig::sign_request(&mut msg, key, NOW);
        }
        msg
    }

    fn rcode_of(answer: &[u8]) -> u16 {
        Header::parse(answer).expect("a header").rcode()
    }

    fn answers(outcome: Option<Outcome>) -> Vec<Vec<u8>> {
        match outcome {
            Some(Outcome::Now(answers)) => answers,
            Some(Outcome::Nothing) => Vec::new(),
            Some(Outcome::Transfer(_)) => panic!("a transfer, not an answer"),
            None => panic!("not for the control plane"),
        }
    }

    fn handle(control: &mut Control, msg: &[u8]) -> Vec<Vec<u8>> {
        let outcome = control.handle(&catalog(), msg, ReplyTo::Udp(peer()), peer(), false, NOW);
        answers(outcome)
    }

    fn notified(control: &mut Control) -> Vec<Name> {
        core::mem::take(&mut control.events)
            .into_iter()
            .filter_map(|e| match e {
                ControlEvent::Notified { zone, .. } => Some(zone),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn refused_updates_and_transfers_are_logged_with_peer_key_and_reason() {
        let known = key("admin._update.example.com.", 1);
        let stranger = key("stranger._update.example.com.", 2);
        let mut control = control(core::slice::from_ref(&known));
        let update = dns_update::UpdateBuilder::new(name("example.com."))
            .build_signed(9, &stranger, NOW)
            .expect("an update")
            .0;
        let answers = handle(&mut control, &update);
        assert_eq!(rcode_of(&answers[0]), rcode::NOTAUTH);
        let mut axfr = dns_xfr::axfr_query(&name("example.com."), 10);
        tsig::sign_request(&mut axfr, &stranger, NOW);
        let outcome = control.handle(&catalog(), &axfr, ReplyTo::Udp(peer()), peer(), true, NOW);
        assert!(matches!(outcome, Some(Outcome::Now(_))), "refused at once");
        let log = control.log.join("\n");
        for wanted in [
            "UPDATE for example.com. from 10.53.0.9:5300 refused: TSIG: unknown TSIG key stranger._update.example.com.",
            "transfer of example.com. to 10.53.0.9:5300 refused: TSIG: unknown TSIG key stranger._update.example.com.",
        ] {
            assert!(log.contains(wanted), "{wanted} not in:\n{log}");
        }
    }

    #[test]
    fn a_fetching_primary_takes_a_notify_signed_with_any_key_it_knows() {
        let other = key("admin._update.example.org.", 1);
        let mut control = control(core::slice::from_ref(&other));
        control.fetch_on_notify = true;
        // A zone the repository does not have yet, signed with the key of
        // another zone: fetch, NOERROR (it was NOTAUTH).
        let answers = handle(&mut control, &notify("new.example.", Some(&other)));
        assert_eq!(answers.len(), 1);
        assert_eq!(rcode_of(&answers[0]), rcode::NOERROR);
        assert!(tsig::Tsig::locate(&answers[0]).unwrap().is_some(), "signed");
        assert_eq!(notified(&mut control), [name("new.example.")]);
        // Unsigned: refused, logged, no fetch.
        let answers = handle(&mut control, &notify("example.com.", None));
        assert_eq!(rcode_of(&answers[0]), rcode::REFUSED);
        assert!(notified(&mut control).is_empty());
        assert!(
            control.log.iter().any(|l| l.contains("unsigned")),
            "{:?}",
            control.log
        );
    }

    #[test]
    fn a_notify_with_a_key_not_known_yet_waits_for_the_fetch() {
        let mut control = control(&[key("admin._update.example.org.", 1)]);
        control.fetch_on_notify = true;
        let new = key("admin._update.new.example.", 2);
        // Held: nothing answered yet, one fetch asked for (BADKEY before).
        assert!(handle(&mut control, &notify("new.example.", Some(&new))).is_empty());
        assert!(handle(&mut control, &notify("new.example.", Some(&new))).is_empty());
        assert_eq!(notified(&mut control), [name("new.example.")], "one fetch");
        // The fetch brought the key: NOERROR, signed, to both.
        control.keys.insert(new.clone());
        let released = control.release_held(NOW);
        assert_eq!(released.len(), 2);
        for (to, answer) in &released {
            assert_eq!(*to, ReplyTo::Udp(peer()));
            assert_eq!(rcode_of(answer), rcode::NOERROR);
        }
        assert!(notified(&mut control).is_empty(), "no second fetch");
        // Right after that fetch, another unknown key does not start one:
        // BADKEY (NOTAUTH) at once.
        let stranger = key("who.knows.", 3);
        let at_once = handle(&mut control, &notify("example.com.", Some(&stranger)));
        assert_eq!(rcode_of(&at_once[0]), rcode::NOTAUTH);
        assert!(notified(&mut control).is_empty(), "no fetch");
        // Later it does; a key the fetch did not bring: BADKEY after it.
        let later = NOW + UNKNOWN_KEY_FETCH_INTERVAL;
        let msg = {
            let mut msg = dns_notify::notify_query(&name("example.com."), 8);
            tsig::sign_request(&mut msg, &stranger, later);
            msg
        };
        let outcome = control.handle(&catalog(), &msg, ReplyTo::Udp(peer()), peer(), false, later);
        assert!(answers(outcome).is_empty(), "held");
        assert_eq!(notified(&mut control).len(), 1, "a fetch");
        let released = control.release_held(later);
        assert_eq!(rcode_of(&released[0].1), rcode::NOTAUTH);
    }

    #[test]
    fn a_secondary_logs_an_unsigned_notify_from_another_address() {
        let mut control = control(&[]);
        control
            .notify_sources
            .push((name("example.com."), "10.53.0.1".parse().unwrap()));
        let answers = handle(&mut control, &notify("example.com.", None));
        assert_eq!(rcode_of(&answers[0]), rcode::REFUSED);
        assert!(
            control.log.iter().any(|l| l.contains("unsigned")
                && l.contains("10.53.0.9")
                && l.contains("notify-source")),
            "{:?}",
            control.log
        );
    }

    #[test]
    fn a_secondary_with_a_root_key_takes_signed_notifies_for_new_zones_of_its_primary() {
        let root = key("10.53.0.9.10.53.0.2._transfer.", 4);
        let mut control = control(core::slice::from_ref(&root));
        control
            .notify_sources
            .push((Name::root(), "10.53.0.9".parse().unwrap()));
        let answers = handle(&mut control, &notify("brand.new.", Some(&root)));
        assert_eq!(rcode_of(&answers[0]), rcode::NOERROR);
        assert_eq!(notified(&mut control), [name("brand.new.")]);
        // Unsigned for a zone we do not have: refused.
        let answers = handle(&mut control, &notify("other.new.", None));
        assert_eq!(rcode_of(&answers[0]), rcode::REFUSED);
        assert!(notified(&mut control).is_empty());
    }

    #[test]
    fn a_signed_soa_query_for_the_root_notifies_every_zone_to_its_sender() {
        let root = key("10.53.0.1.10.53.0.9._transfer.", 5);
        let zone_key = key("10.53.0.1.10.53.0.9._transfer.example.com.", 6);
        let mut control = control(&[root.clone(), zone_key.clone()]);
        let query = |key: Option<&Key>| {
            let mut b = dns_wire::MessageBuilder::new(11, 0);
            b.question(
                &Name::root(),
                dns_wire::RecordType::SOA,
                dns_wire::class::IN,
            )
            .unwrap();
            let mut msg = b.finish();
            if let Some(key) = key {
                tsig::sign_request(&mut msg, key, NOW);
            }
            msg
        };
        // A key for one zone only: not a subscription (the engine answers).
        let outcome = control.handle(
            &catalog(),
            &query(Some(&zone_key)),
            ReplyTo::Udp(peer()),
            peer(),
            true,
            NOW,
        );
        assert!(outcome.is_none());
        let outcome = control.handle(
            &catalog(),
            &query(None),
            ReplyTo::Udp(peer()),
            peer(),
            true,
            NOW,
        );
        assert!(outcome.is_none());
        assert_eq!(control.notifier.pending(), 0);
        let answers = answers(control.handle(
            &catalog(),
            &query(Some(&root)),
            ReplyTo::Udp(peer()),
            peer(),
            true,
            NOW,
        ));
        let header = Header::parse(&answers[0]).unwrap();
        assert_eq!(header.rcode(), rcode::NOERROR);
        assert_eq!(
            header.flags & flags::AA,
            0,
            "not authoritative for the root"
        );
        assert!(tsig::Tsig::locate(&answers[0]).unwrap().is_some(), "signed");
        assert_eq!(control.notifier.pending(), 2, "both zones");
        let mut targets = Vec::new();
        while let Some(t) = control
            .notifier
            .poll_transmit(dns_notify::Instant::from_millis(1), NOW)
        {
            assert!(tsig::Tsig::locate(&t.payload).unwrap().is_some());
            targets.push(t.destination);
        }
        // Asked by UDP: to where it asked from (its NAT's way back).
        assert_eq!(targets, [NotifyTarget::Querier(peer()); 2]);
        // Asked again: a subscriber keeping its subscription, not new
        // NOTIFYs of every zone.
        let mut b = dns_wire::MessageBuilder::new(12, 0);
        b.question(
            &Name::root(),
            dns_wire::RecordType::SOA,
            dns_wire::class::IN,
        )
        .unwrap();
        let mut later = b.finish();
        tsig::sign_request(&mut later, &root, NOW + 1);
        let again = self::answers(control.handle(
            &catalog(),
            &later,
            ReplyTo::Udp(peer()),
            peer(),
            true,
            NOW + 1,
        ));
        assert_eq!(rcode_of(&again[0]), rcode::NOERROR);
        assert_eq!(control.notifier.pending(), 2, "the first two, unanswered");
        assert_eq!(control.subscriptions.len(), 1);
    }

    /// A signed SOA query for a zone subscribes its sender when the key may
    /// transfer the zone and we serve it; changes are then notified to it,
    /// signed with its key, unless a transfer key names its address (then
    /// once, as that configured secondary).
    #[test]
    fn a_signed_soa_query_with_a_transfer_key_subscribes_its_sender() {
        let transfer = key("10.53.0.1._transfer.example.com.", 7);
        let update = key("admin._update.example.com.", 8);
        let other = key("10.53.0.1._transfer.example.org.", 9);
        let notify_only = key("x._notify.example.com.", 10);
        let mut control = control(&[
            transfer.clone(),
            update.clone(),
            other.clone(),
            notify_only.clone(),
        ]);
        let soa = |zone: &str| {
            let mut b = dns_wire::MessageBuilder::new(13, 0);
            b.question(&name(zone), dns_wire::RecordType::SOA, dns_wire::class::IN)
                .unwrap();
            b.finish()
        };
        let catalog = catalog();
        let from = ReplyTo::Udp(peer());
        // Another zone's key, a notify key, a zone we do not serve: no.
        assert!(!control.soa_queried(&catalog, &soa("example.com."), other.name(), from, peer()));
        assert!(!control.soa_queried(
            &catalog,
            &soa("example.com."),
            notify_only.name(),
            from,
            peer()
        ));
        assert!(!control.soa_queried(
            &catalog,
            &soa("example.net."),
            transfer.name(),
            from,
            peer()
        ));
        assert!(!control.soa_queried(
            &catalog,
            &soa("example.com.")[..11],
            transfer.name(),
            from,
            peer()
        ));
        assert_eq!(control.subscriptions.len(), 0);
        // The transfer key, and an update key (it may transfer too): yes.
        assert!(control.soa_queried(
            &catalog,
            &soa("example.com."),
            transfer.name(),
            from,
            peer()
        ));
        let second: SocketAddr = "10.53.0.10:4000".parse().unwrap();
        assert!(control.soa_queried(
            &catalog,
            &soa("example.com."),
            update.name(),
            ReplyTo::Udp(second),
            second
        ));
        assert_eq!(control.subscriptions.len(), 2);
        let zone = catalog.get(&name("example.com.")).unwrap();
        control.changed(None, zone, 0);
        let mut sent = Vec::new();
        while let Some(t) = control
            .notifier
            .poll_transmit(dns_notify::Instant::from_millis(0), NOW)
        {
            let signed = tsig::Tsig::locate(&t.payload).unwrap();
            sent.push((t.destination, signed.map(|s| s.tsig.key_name.clone())));
        }
        sent.sort_by_key(|(t, _)| t.peer());
        assert_eq!(
            sent,
            [
                (NotifyTarget::Querier(peer()), Some(transfer.name().clone())),
                (NotifyTarget::Querier(second), Some(update.name().clone())),
                // The zone's NS, as before.
                (ns_address(), None),
            ]
        );
        // A transfer key naming 10.53.0.9 as a secondary: notified once,
        // at its DNS port, not also as a subscriber.
        let named = key("10.53.0.1.10.53.0.9._transfer.example.com.", 11);
        control.keys.insert(named.clone());
        control.changed(None, zone, 0);
        let mut sent: Vec<NotifyTarget> = core::iter::from_fn(|| {
            control
                .notifier
                .poll_transmit(dns_notify::Instant::from_millis(0), NOW)
        })
        .map(|t| t.destination)
        .collect();
        sent.sort_by_key(|t| t.peer());
        assert_eq!(
            sent,
            [
                NotifyTarget::Secondary("10.53.0.9:53".parse().unwrap()),
                NotifyTarget::Querier(second),
                ns_address(),
            ]
        );
        // Its next SOA query does not subscribe it again: it is configured.
        let again: SocketAddr = "10.53.0.9:5301".parse().unwrap();
        let from = ReplyTo::Udp(again);
        let soa = soa("example.com.");
        assert!(!control.soa_queried(&catalog, &soa, named.name(), from, again));
        assert!(!control.soa_queried(&catalog, &soa, transfer.name(), from, again));
    }

    /// The address of the test zones' NS.
    fn ns_address() -> NotifyTarget {
        NotifyTarget::Secondary("192.0.2.1:53".parse().unwrap())
    }
}
