//! DNS over UDP and TCP on the netstack socket API.

use crate::control::{Control, ControlEvent, Outcome, ReplyTo, UpdateId};
use crate::log::{Log, LogLevel, Logger};
use crate::repository::{LoadReport, ZoneFile, ZoneSet};
use crate::subscriptions::{NotifyTarget, Subscriber, NOTIFY_CHANNEL_IDLE_TIMEOUT};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::net::IpAddr;
use core::time::Duration;
use dns_keys::KeyStore;
use dns_server::catalog::Catalog;
use dns_server::tcp::{
    admit, frame, Admission, Occupant, TcpClock, TcpFramer, TcpLimits, MAX_TCP_MESSAGE,
};
use dns_server::{Server, Transport};
use dns_update::{Rebased, Refusal};
use dns_zone::{Name, Zone, ZoneDiff};
use netstack::{ListenHandle, Poll, Service, Sockets, TcpHandle, TcpStatus, UdpHandle};

/// Settings of a [`DnsService`].
#[derive(Clone, Copy, Debug)]
pub struct ServiceConfig {
    /// Port for UDP and TCP (53; the host-process build binds `--listen`).
    pub port: u16,
    /// Close TCP connections idle this long between messages (RFC 7766
    /// §6.2.3 suggests seconds, not minutes, for a busy server); a
    /// connection carrying a NOTIFY subscription is kept for
    /// [`crate::NOTIFY_CHANNEL_IDLE_TIMEOUT`] instead.
    pub tcp_idle_timeout: Duration,
    /// A TCP message must arrive whole, and each answer (each message of
    /// a zone transfer) be taken, within this; zero: no limit.
    pub tcp_io_timeout: Duration,
    /// TCP connections accepted concurrently at the protocol level.
    pub tcp_backlog: usize,
    /// Most open TCP clients; a new one beyond takes the place of the one
    /// idle longest.
    pub max_tcp_clients: usize,
    /// Most open TCP clients from one IPv4 address or IPv6 /64.
    pub tcp_clients_per_source: usize,
    /// Port our NOTIFYs go to (53; tests run secondaries elsewhere).
    pub notify_port: u16,
    /// How much the service and its owner log.
    pub log_level: LogLevel,
}

impl ServiceConfig {
    /// The limits on TCP clients these settings make.
    pub fn tcp_limits(&self) -> TcpLimits {
        TcpLimits {
            max_clients: self.max_tcp_clients,
            max_per_source: self.tcp_clients_per_source,
            idle_timeout: self.tcp_idle_timeout,
            io_timeout: self.tcp_io_timeout,
        }
    }
}

impl Default for ServiceConfig {
    fn default() -> Self {
        ServiceConfig {
            port: 53,
            tcp_idle_timeout: Duration::from_secs(10),
            tcp_io_timeout: dns_server::tcp::DEFAULT_IO_TIMEOUT,
            tcp_backlog: 32,
            max_tcp_clients: 256,
            tcp_clients_per_source: dns_server::tcp::DEFAULT_MAX_PER_SOURCE,
            notify_port: 53,
            log_level: LogLevel::Info,
        }
    }
}

struct Client {
    handle: TcpHandle,
    peer: core::net::SocketAddr,
    framer: TcpFramer,
    /// Framed answers not yet accepted by the socket.
    out: Vec<u8>,
    /// Its timers (RFC 7766 §6.2.3).
    clock: TcpClock,
    /// A zone transfer in progress: its next message is made when the
    /// socket has taken the last one (queries after it wait).
    transfer: Option<dns_xfr::Transfer>,
    /// Framed NOTIFYs for this connection held while a transfer goes on
    /// (they would split its stream); queued when it ends.
    notifies: Vec<u8>,
    /// It carries a NOTIFY subscription: the longer idle timeout, never
    /// evicted (see `subscriptions.rs`).
    channel: bool,
}

impl Client {
    /// The limits of this connection: a NOTIFY channel may stay idle for
    /// [`NOTIFY_CHANNEL_IDLE_TIMEOUT`].
    fn limits(&self, limits: &TcpLimits) -> TcpLimits {
        match self.channel {
            true => TcpLimits {
                idle_timeout: limits.idle_timeout.max(NOTIFY_CHANNEL_IDLE_TIMEOUT),
                ..*limits
            },
            false => *limits,
        }
    }
}

/// Most transfer messages made for one connection in one poll: a poll
/// stays short, so that one transfer over a fast socket does not hold up
/// other clients, and the poll's time, which starts each message's I/O
/// timer, stays close to when the message was really queued.
const TRANSFER_MESSAGES_PER_POLL: usize = 1;

/// A netstack time as the duration since boot, for [`TcpClock`].
fn since_boot(now: netstack::Instant) -> Duration {
    Duration::from_nanos(now.0)
}

/// An authoritative DNS server on one port, UDP and TCP.
pub struct DnsService {
    config: ServiceConfig,
    server: Server,
    log: Log,
    udp: Option<UdpHandle>,
    listener: Option<ListenHandle>,
    clients: Vec<Client>,
    buf: Vec<u8>,
    control: Control,
    /// Answers decided outside a poll (completed updates), sent at the next.
    outbox: Vec<(ReplyTo, Vec<u8>)>,
    /// The socket our NOTIFYs leave from and their answers arrive at.
    notify_socket: Option<UdpHandle>,
}

impl DnsService {
    /// A service answering from `catalog`.
    pub fn new(catalog: Catalog, config: ServiceConfig, log: Log) -> DnsService {
        DnsService {
            config,
            server: Server::new(catalog),
            log,
            udp: None,
            listener: None,
            clients: Vec::new(),
            buf: vec![0; MAX_TCP_MESSAGE],
            control: Control::new(KeyStore::new(), 0, Vec::new(), config.notify_port),
            outbox: Vec::new(),
            notify_socket: None,
        }
    }

    /// Accepts the TSIG keys of `keys` (OCaml-DNS roles: `_update`,
    /// `_transfer`); `seed` varies NOTIFY message IDs; `ours` are our own
    /// addresses (never notified).
    pub fn set_keys(&mut self, keys: KeyStore, seed: u64, ours: Vec<IpAddr>) {
        let sources = core::mem::take(&mut self.control.notify_sources);
        self.control = Control::new(keys, seed, ours, self.config.notify_port);
        self.control.notify_sources = sources;
    }

    /// Our own addresses: NOTIFYs never go there.
    pub fn set_own_addresses(&mut self, ours: Vec<IpAddr>) {
        self.control.ours = ours;
    }

    /// Makes this a secondary of `zone` whose primary is `primary`: NOTIFYs
    /// for the zone are taken before it is first loaded, and unsigned ones
    /// from `primary` too (BIND and NSD notify unsigned unless told a key).
    /// The root as `zone`: signed NOTIFYs for any zone from `primary` are
    /// taken (a root key's secondary learns its zones that way).
    pub fn accept_notify(&mut self, zone: Name, primary: IpAddr) {
        if !self
            .control
            .notify_sources
            .contains(&(zone.clone(), primary))
        {
            self.control.notify_sources.push((zone, primary));
        }
    }

    /// Replaces the TSIG keys (after a reload of the `_keys` files), keeping
    /// journals and NOTIFYs in flight; NOTIFYs held for a key we did not
    /// know are answered now, verified with the new keys.
    pub fn replace_keys(&mut self, keys: KeyStore, unix_time: u64) {
        // A NOTIFY signed with a key that is gone (a secondary removed)
        // stops; unsigned ones (to the zone's NS) go on.
        // Subscribers' NOTIFYs stop with their key, or when it may no
        // longer transfer the zone.
        self.control
            .notifier
            .retain(|zone, target, key| match target {
                NotifyTarget::Secondary(_) => {
                    key.is_none_or(|key| keys.secondaries(zone).iter().any(|(k, _)| *k == key))
                }
                _ => key.is_some_and(|key| {
                    keys.get(key.name()) == Some(key)
                        && keys
                            .authorise(key.name(), dns_keys::Operation::Transfer, zone)
                            .is_ok()
                }),
            });
        self.control.subscriptions.retain_keys(&keys);
        self.control.keys = keys;
        self.release_held_notifies(unix_time);
    }

    /// Makes this a primary that fetches its zones on NOTIFY (primary-git):
    /// a NOTIFY signed with any key we know is taken for any zone, even one
    /// we do not serve yet (a fetch only reads the source of truth); one
    /// signed with a key we do not know is held, reported as
    /// [`ControlEvent::Notified`], and answered after the next
    /// [`DnsService::replace_keys`] or [`DnsService::release_held_notifies`],
    /// verified with the keys we have then. Unsigned ones are REFUSED.
    pub fn fetch_on_notify(&mut self) {
        self.control.fetch_on_notify = true;
    }

    /// Answers the NOTIFYs held for a fetch (after a fetch that brought
    /// nothing new, or failed), verified with the keys we have now.
    pub fn release_held_notifies(&mut self, unix_time: u64) {
        let answers = self.control.release_held(unix_time);
        self.outbox.extend(answers);
    }

    /// Seeds the NOTIFY message IDs (pass randomness: RFC 5452 wants IDs an
    /// off-path attacker cannot guess); drops NOTIFYs in flight.
    pub fn seed_notify_ids(&mut self, seed: u64) {
        self.control.notifier = dns_notify::Notifier::new(dns_notify::Config::default(), seed);
    }

    /// The service's log, at its configured level (owners log through it
    /// too).
    pub fn logger(&self) -> Logger {
        Logger::new(self.log, self.config.log_level)
    }

    /// Whether answers or events wait for the next poll: a completed
    /// UPDATE's answer, or the next UPDATE taken up after it.
    pub fn has_output(&self) -> bool {
        !self.outbox.is_empty() || !self.control.events.is_empty()
    }

    /// What the owner has to act on (updates to make durable, NOTIFYs).
    pub fn take_events(&mut self) -> Vec<ControlEvent> {
        core::mem::take(&mut self.control.events)
    }

    /// The change the UPDATE `id` makes (its [`dns_update::Change::new`]
    /// is the zone to make durable), while it waits for
    /// [`DnsService::complete_update`].
    pub fn pending_change(&self, id: UpdateId) -> Option<&dns_update::Change> {
        self.control.pending.get(&id).map(|pending| &pending.change)
    }

    /// Applies the UPDATE `id` again on the zone served now (a reload moved
    /// it while the change was being made durable), prerequisites checked
    /// again. On [`Rebased::Changed`] the new version is in
    /// [`DnsService::pending_change`] and still waits for
    /// `complete_update`; otherwise the client has been answered (NOERROR
    /// with nothing to change, or the refusal) and the update is over.
    pub fn rebase_update(&mut self, id: UpdateId, unix_time: u64) -> Option<Rebased> {
        let pending = self.control.pending.get_mut(&id)?;
        let rebased = match self.server.catalog().get(&pending.change.zone) {
            Some(zone) => pending.change.rebase(zone),
            None => Rebased::Refused(Refusal::NotAuth(pending.change.zone.clone())),
        };
        let response = match &rebased {
            Rebased::Changed => return Some(rebased),
            Rebased::Unchanged => pending.change.response(unix_time),
            Rebased::Refused(why) => pending.change.refusal_response(why, unix_time),
        };
        let reply_to = pending.reply_to;
        self.control.pending.remove(&id);
        self.answer_update(reply_to, response, unix_time);
        Some(rebased)
    }

    /// Finishes the UPDATE `id`: when `durable`, its change is served from
    /// now on (journaled for IXFR, secondaries notified) and the client gets
    /// NOERROR; otherwise SERVFAIL and nothing changes.
    pub fn complete_update(
        &mut self,
        id: UpdateId,
        durable: bool,
        now: netstack::Instant,
        unix_time: u64,
    ) {
        let Some(pending) = self.control.pending.remove(&id) else {
            return;
        };
        let response = if durable {
            pending.change.response(unix_time)
        } else {
            pending.change.failure_response(unix_time)
        };
        if durable {
            let change = pending.change;
            self.serve_changed(change.new, Some(change.diff), now);
        }
        self.answer_update(pending.reply_to, response, unix_time);
    }

    /// Sends an UPDATE's answer and takes up the UPDATEs that waited for it.
    fn answer_update(&mut self, reply_to: ReplyTo, response: Vec<u8>, unix_time: u64) {
        // The replay cache keeps the answer for a retransmission.
        let udp = |to: &ReplyTo| match to {
            ReplyTo::Udp(addr) => Some(*addr),
            ReplyTo::Tcp(_) => None,
        };
        let replay = &mut self.control.replay;
        replay.answered(core::slice::from_ref(&response), udp(&reply_to));
        self.outbox.push((reply_to, response));
        let answers = self
            .control
            .resume_deferred(self.server.catalog(), unix_time);
        for (to, answer) in &answers {
            let replay = &mut self.control.replay;
            replay.answered(core::slice::from_ref(answer), udp(to));
        }
        self.outbox.extend(answers);
    }

    /// Serves `zone` in place of the version with its apex (returned):
    /// journaled for IXFR, its secondaries notified.
    fn serve(&mut self, zone: Zone, now: netstack::Instant) -> Option<Arc<Zone>> {
        self.serve_changed(zone, None, now)
    }

    /// [`DnsService::serve`], with the difference from the version served
    /// if known.
    fn serve_changed(
        &mut self,
        zone: Zone,
        diff: Option<ZoneDiff>,
        now: netstack::Instant,
    ) -> Option<Arc<Zone>> {
        let apex = zone.origin().clone();
        let old = self.server.catalog_mut().insert(zone);
        if let Some(new) = self.server.catalog().get(&apex) {
            self.control
                .changed_by(old.as_deref(), new, diff, now.0 / 1_000_000);
        }
        old
    }

    /// Reloads the served zones from a repository's `files` (see
    /// [`ZoneSet::reload`]); queries see the new zones at once.
    pub fn reload(&mut self, zones: &mut ZoneSet, files: &mut [ZoneFile]) -> LoadReport {
        let report = zones.reload(self.server.catalog_mut(), files);
        for (old, apex) in core::mem::take(&mut zones.replaced) {
            if let Some(new) = self.server.catalog().get(&apex) {
                self.control.changed(old.as_deref(), new, 0);
            }
        }
        report
    }

    /// Serves `zone` from now on (a secondary's completed transfer),
    /// replacing the version with the same apex, which it returns; the
    /// change is journaled for IXFR and the zone's own secondaries are
    /// notified. An expired mark on the zone is lifted.
    pub fn install_zone(&mut self, zone: Zone, now: netstack::Instant) -> Option<Arc<Zone>> {
        self.server.catalog_mut().set_expired(zone.origin(), false);
        self.serve(zone, now)
    }

    /// Stops serving the zone of `apex`; returns it.
    pub fn remove_zone(&mut self, apex: &Name) -> Option<Arc<Zone>> {
        self.control.journals.remove(apex);
        self.server.catalog_mut().remove(apex)
    }

    /// Marks the zone of `apex` expired (a secondary that could not refresh
    /// it within the SOA expire time): queries for it get SERVFAIL until
    /// [`DnsService::install_zone`] or `set_expired(apex, false)`.
    pub fn set_expired(&mut self, apex: &Name, expired: bool) {
        self.server.catalog_mut().set_expired(apex, expired);
    }

    /// Declares the zone of `apex` configured but without data yet
    /// (queries get SERVFAIL until [`DnsService::install_zone`]), or
    /// forgets that.
    pub fn set_unloaded(&mut self, apex: &Name, unloaded: bool) {
        self.server.catalog_mut().set_unloaded(apex, unloaded);
    }

    /// The zones being served.
    pub fn catalog(&self) -> &Catalog {
        self.server.catalog()
    }

    /// The query engine, as it answers now (query workers answer from a
    /// clone of it, taken again whenever [`Server::generation`] changes).
    pub fn server(&self) -> &Server {
        &self.server
    }

    /// The clients subscribed to NOTIFYs by their signed SOA queries (see
    /// [`crate::MAX_SUBSCRIPTIONS`] and the crate documentation).
    pub fn subscribers(&self) -> Vec<Subscriber> {
        self.control.subscriptions.subscribers()
    }

    fn bind(&mut self, net: &mut dyn Sockets) -> Result<(), netstack::NetError> {
        let udp = net.udp_bind(self.config.port)?;
        // The service closes idle connections itself (`expire_tcp`), each
        // after its own timeout; the stack's only has to outlast the
        // longest, a NOTIFY channel's.
        let listener = net.tcp_listen(
            self.config.port,
            self.config.tcp_backlog,
            self.config
                .tcp_idle_timeout
                .max(NOTIFY_CHANNEL_IDLE_TIMEOUT),
        )?;
        self.udp = Some(udp);
        self.listener = Some(listener);
        Ok(())
    }

    fn serve_udp(&mut self, net: &mut dyn Sockets, udp: UdpHandle) {
        let unix_time = net.unix_time();
        while let Ok(Some((len, from))) = net.udp_recv(udp, &mut self.buf) {
            let msg = &self.buf[..len];
            let answers = match needs_control(msg) {
                true => self.control.handle(
                    self.server.catalog(),
                    msg,
                    ReplyTo::Udp(from),
                    from,
                    false,
                    unix_time,
                ),
                false => None,
            };
            let answers = match answers {
                Some(Outcome::Now(answers)) => answers,
                // Transfers over UDP are answered in one message.
                Some(Outcome::Nothing | Outcome::Transfer(_)) => continue,
                None => answer_query(
                    &self.server,
                    &mut self.control,
                    msg,
                    (ReplyTo::Udp(from), from),
                    Transport::Udp,
                    unix_time,
                )
                .0
                .into_iter()
                .collect(),
            };
            for answer in answers {
                // A full transmit queue drops the answer; the client retries.
                let _ = net.udp_send(udp, from, &answer);
            }
        }
    }

    /// Sends completed updates' answers and due NOTIFYs.
    fn send_pending(&mut self, net: &mut dyn Sockets, udp: UdpHandle) {
        for (to, answer) in core::mem::take(&mut self.outbox) {
            match to {
                ReplyTo::Udp(addr) => {
                    let _ = net.udp_send(udp, addr, &answer);
                }
                ReplyTo::Tcp(handle) => {
                    if let (Some(client), Some(framed)) = (
                        self.clients.iter_mut().find(|c| c.handle == handle),
                        frame(&answer),
                    ) {
                        client.out.extend_from_slice(&framed);
                    }
                }
            }
        }
        let now_ms = dns_notify::Instant::from_millis(net.now().0 / 1_000_000);
        // NOTIFYs leave from a socket of their own: smoltcp sends a socket's
        // datagrams in order, and one to a secondary whose address does not
        // resolve would hold up every answer queued behind it.
        let notify = match self.notify_socket {
            Some(socket) => socket,
            None => match net.udp_bind(0) {
                Ok(socket) => *self.notify_socket.insert(socket),
                Err(_) => return,
            },
        };
        while let Ok(Some((len, from))) = net.udp_recv(notify, &mut self.buf) {
            self.control.notifier.handle_response(
                &NotifyTarget::Secondary(from),
                &self.buf[..len],
                net.unix_time(),
            );
        }
        while let Some(transmit) = self.control.notifier.poll_transmit(now_ms, net.unix_time()) {
            match transmit.destination {
                NotifyTarget::Secondary(to) => {
                    let _ = net.udp_send(notify, to, &transmit.payload);
                }
                NotifyTarget::Querier(to) => {
                    let _ = net.udp_send(udp, to, &transmit.payload);
                }
                NotifyTarget::Connection { handle, .. } => {
                    let client = self.clients.iter_mut().find(|c| c.handle == handle);
                    // Gone: `connection_closed` redirected or dropped it.
                    if let (Some(client), Some(framed)) = (client, frame(&transmit.payload)) {
                        match client.transfer {
                            Some(_) => client.notifies.extend_from_slice(&framed),
                            None => client.out.extend_from_slice(&framed),
                        }
                    }
                }
            }
        }
        while let Some(event) = self.control.notifier.poll_event() {
            if let dns_notify::Event::GaveUp {
                zone,
                serial,
                target,
            } = event
            {
                self.logger().at(
                    LogLevel::Warn,
                    format_args!(
                        "dns: NOTIFY of {} serial {serial} to {target}: no answer, gave up",
                        zone.to_ascii()
                    ),
                );
            }
        }
    }

    /// Takes new connections: within the per-source limit, and when every
    /// slot is taken in place of the connection idle longest.
    fn accept(&mut self, net: &mut dyn Sockets, listener: ListenHandle) {
        let limits = self.config.tcp_limits();
        let now = since_boot(net.now());
        while let Ok(Some((handle, peer))) = net.tcp_accept(listener) {
            let pending = &self.control.pending;
            let occupants = self.clients.iter().map(|client| Occupant {
                key: client.handle,
                source: client.peer.ip(),
                // A client waiting for its UPDATE to be made durable is
                // busy; a NOTIFY channel is kept by its owner.
                idle_since: client.clock.idle_since().filter(|_| {
                    !client.channel
                        && !pending
                            .values()
                            .any(|p| p.reply_to == ReplyTo::Tcp(client.handle))
                }),
            });
            match admit(&limits, peer.ip(), occupants) {
                Admission::Accept => {}
                Admission::Evict(victim) => {
                    net.tcp_release(victim);
                    self.clients.retain(|client| client.handle != victim);
                    self.control.connection_closed(victim);
                }
                Admission::Refuse(why) => {
                    self.logger().at(
                        LogLevel::Debug,
                        format_args!("dns: TCP connection from {peer} refused: {why}"),
                    );
                    net.tcp_release(handle);
                    continue;
                }
            }
            self.clients.push(Client {
                handle,
                peer,
                framer: TcpFramer::new(MAX_TCP_MESSAGE),
                out: Vec::new(),
                clock: TcpClock::new(now),
                transfer: None,
                notifies: Vec::new(),
                channel: false,
            });
        }
    }

    /// Closes the TCP connections whose timers ran out.
    fn expire_tcp(&mut self, net: &mut dyn Sockets) {
        let limits = self.config.tcp_limits();
        let now = since_boot(net.now());
        let logger = self.logger();
        let control = &mut self.control;
        self.clients.retain(|client| {
            let Some(why) = client.clock.expiry(now, &client.limits(&limits)) else {
                return true;
            };
            logger.at(
                LogLevel::Debug,
                format_args!("dns: TCP connection from {} closed: {why}", client.peer),
            );
            net.tcp_release(client.handle);
            control.connection_closed(client.handle);
            false
        });
        // Subscriptions past their lifetime end; their connections go back
        // to the usual idle timeout.
        if self.control.subscriptions.expire(net.now()) {
            let subscriptions = &self.control.subscriptions;
            for client in &mut self.clients {
                client.channel = subscriptions.is_channel(client.handle);
            }
        }
    }
}

/// Whether a message is for the control plane: another opcode than QUERY
/// (UPDATE, NOTIFY), a response (to our NOTIFYs), or a zone transfer.
/// Other queries, signed or not, go straight to the engine.
pub(crate) fn needs_control(msg: &[u8]) -> bool {
    if msg.len() < 12 {
        return false;
    }
    let opcode = (msg[2] >> 3) & 0x0f;
    let response = msg[2] & 0x80 != 0;
    if opcode != 0 || response {
        return true;
    }
    // SOA for the root: a root transfer key's subscription (OCaml-DNS).
    if msg.get(12..15) == Some(&[0, 0, 6]) {
        return true;
    }
    // QTYPE after the question name: AXFR (252) and IXFR (251). A pointer
    // in the question is malformed: the engine answers FORMERR.
    let mut at = 12;
    while let Some(&len) = msg.get(at) {
        if len == 0 || len & 0xc0 != 0 {
            break;
        }
        at += 1 + len as usize;
    }
    matches!(msg.get(at + 1..at + 3), Some([0, 251 | 252]))
}

/// The engine's answer (or `Some(None)`: none is due) to a query that
/// carries no TSIG, from one parse; `None` when it may carry one, for
/// [`answer_query`] (the service) to verify. Shared with the query workers,
/// so that they answer exactly what the service would.
pub(crate) fn answer_unsigned(
    server: &Server,
    msg: &[u8],
    transport: Transport,
) -> Option<Option<Vec<u8>>> {
    // A TSIG is the last additional record: none without any.
    let additional = msg
        .get(10..12)
        .map_or(0, |c| u16::from_be_bytes([c[0], c[1]]));
    if additional == 0 {
        return Some(server.handle(msg, transport));
    }
    // An OPT record is no reason to look for a TSIG (the common case: every
    // resolver sends EDNS): a query without one is answered from this
    // parse, not parsed once more by the TSIG code and once by the engine.
    match dns_server::query::parse(msg) {
        Ok(q) if !q.has_tsig => Some(Some(server.answer(&q, transport))),
        _ => None,
    }
}

/// A query for the engine; signed ones are verified and answered signed.
/// A signed SOA query with a transfer key subscribes its sender (`from`:
/// where it asked, and its address) to NOTIFYs of the zone; the flag says
/// whether it did.
fn answer_query(
    server: &Server,
    control: &mut Control,
    msg: &[u8],
    from: (ReplyTo, core::net::SocketAddr),
    transport: Transport,
    unix_time: u64,
) -> (Option<Vec<u8>>, bool) {
    if let Some(answer) = answer_unsigned(server, msg, transport) {
        return (answer, false);
    }
    match tsig::verify_request(msg, &control.keys, unix_time) {
        Ok(None) => (server.handle(msg, transport), false),
        Ok(Some(signed)) => {
            let stripped = signed.stripped(msg);
            let Some(mut answer) = server.handle(&stripped, transport) else {
                return (None, false);
            };
            let subscribed = control.soa_queried(
                server.catalog(),
                &stripped,
                signed.key_name(),
                from.0,
                from.1,
            );
            signed.response_signer().sign(&mut answer, unix_time);
            (Some(answer), subscribed)
        }
        Err(error) => (Some(error.response(msg, unix_time)), false),
    }
}

/// Answers one query from a TCP client: queued framed answers, or the
/// transfer it starts.
fn answer_tcp(
    server: &Server,
    control: &mut Control,
    client: &mut Client,
    query: &[u8],
    unix_time: u64,
) {
    let answers = match needs_control(query) {
        true => control.handle(
            server.catalog(),
            query,
            ReplyTo::Tcp(client.handle),
            client.peer,
            true,
            unix_time,
        ),
        false => None,
    };
    // A root subscription (`Control::root_soa`) makes a channel too.
    if answers.is_some() && !client.channel {
        client.channel = control.subscriptions.is_channel(client.handle);
    }
    let answers = match answers {
        Some(Outcome::Now(answers)) => answers,
        Some(Outcome::Nothing) => Vec::new(),
        Some(Outcome::Transfer(transfer)) => {
            client.transfer = Some(*transfer);
            Vec::new()
        }
        None => {
            let from = (ReplyTo::Tcp(client.handle), client.peer);
            let (answer, subscribed) =
                answer_query(server, control, query, from, Transport::Tcp, unix_time);
            client.channel |= subscribed;
            answer.into_iter().collect()
        }
    };
    for answer in answers {
        // Engine answers always fit a length prefix.
        if let Some(framed) = frame(&answer) {
            client.out.extend_from_slice(&framed);
        }
    }
}

/// Writes what the socket takes; whenever all is taken, makes the next
/// message of a transfer in progress (at most a message and the socket's
/// buffer are held per connection, whatever the zone's size). True if
/// more transfer messages could be made now.
fn flush_tcp(
    net: &mut dyn Sockets,
    server: &Server,
    control: &Control,
    client: &mut Client,
    unix_time: u64,
) -> bool {
    let now = since_boot(net.now());
    let mut made = 0;
    loop {
        if !client.out.is_empty() {
            match net.tcp_write(client.handle, &client.out) {
                Ok(written) => {
                    client.out.drain(..written);
                }
                Err(_) => return false,
            }
        }
        if !client.out.is_empty() {
            client.clock.sending(now);
            return false;
        }
        client.clock.sent(now);
        let Some(transfer) = client.transfer.as_mut() else {
            return false;
        };
        if made == TRANSFER_MESSAGES_PER_POLL {
            return true;
        }
        let apex = transfer.apex();
        let (zone, journal) = (server.catalog().get(apex), control.journals.get(apex));
        match transfer.next_message(zone, journal, unix_time) {
            Some(message) => {
                made += 1;
                // Transfer messages are packed to fit a length prefix.
                if let Some(framed) = frame(&message) {
                    client.out.extend_from_slice(&framed);
                }
                client.clock.sending(now);
            }
            None => {
                client.transfer = None;
                if client.notifies.is_empty() {
                    return false;
                }
                client.out.append(&mut client.notifies);
            }
        }
    }
}

/// Reads queries, queues answers, writes; false when the client is gone.
/// Sets `more` when a transfer could go on at once.
fn serve_tcp(
    net: &mut dyn Sockets,
    server: &Server,
    control: &mut Control,
    client: &mut Client,
    buf: &mut [u8],
    more: &mut bool,
) -> bool {
    let unix_time = net.unix_time();
    let now = since_boot(net.now());
    flush_tcp(net, server, control, client, unix_time);
    // Answer in order: queries wait while a transfer goes on or answers
    // pile up unsent.
    let mut completed = false;
    let mut read = false;
    while client.transfer.is_none() && client.out.len() <= MAX_TCP_MESSAGE {
        match client.framer.next_message() {
            Ok(Some(query)) => {
                completed = true;
                answer_tcp(server, control, client, &query, unix_time);
                continue;
            }
            Ok(None) => {}
            Err(_) => {
                // A length we cannot accept: the stream is lost.
                net.tcp_release(client.handle);
                control.connection_closed(client.handle);
                return false;
            }
        }
        match net.tcp_read(client.handle, buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                read = true;
                client.framer.push(&buf[..n]);
            }
        }
    }
    if completed || read {
        client
            .clock
            .received(now, completed, client.framer.pending() > 0);
    }
    *more |= flush_tcp(net, server, control, client, unix_time);
    match net.tcp_status(client.handle) {
        TcpStatus::PeerClosed if client.out.is_empty() && client.transfer.is_none() => {
            // No answer to a NOTIFY can come any more.
            if client.channel {
                client.channel = false;
                control.connection_closed(client.handle);
            }
            net.tcp_close(client.handle);
            true
        }
        TcpStatus::Closed => {
            net.tcp_release(client.handle);
            control.connection_closed(client.handle);
            false
        }
        _ => true,
    }
}

impl Service for DnsService {
    fn poll(&mut self, net: &mut dyn Sockets) -> Poll {
        if self.udp.is_none() {
            if let Err(error) = self.bind(net) {
                self.logger().at(
                    LogLevel::Error,
                    format_args!("dns: cannot serve on port {}: {error}", self.config.port),
                );
                return Poll::Exit(1);
            }
        }
        let (Some(udp), Some(listener)) = (self.udp, self.listener) else {
            return Poll::Exit(1);
        };
        self.control.now = net.now();
        self.serve_udp(net, udp);
        self.accept(net, listener);
        self.send_pending(net, udp);
        let (server, control, buf) = (&self.server, &mut self.control, &mut self.buf);
        let mut more = false;
        self.clients
            .retain_mut(|client| serve_tcp(net, server, control, client, buf, &mut more));
        // After reading and writing: what the sockets took in this poll
        // counts before a timer is judged (a poll can take long while
        // transfer messages are made).
        self.expire_tcp(net);
        for line in core::mem::take(&mut self.control.log) {
            self.logger()
                .at(LogLevel::Info, format_args!("dns: {line}"));
        }
        let notify = self
            .control
            .notifier
            .next_deadline()
            .map(|ms| netstack::Instant(ms.millis().saturating_mul(1_000_000)));
        let limits = self.config.tcp_limits();
        let tcp = self
            .clients
            .iter()
            .filter_map(|client| client.clock.deadline(&client.limits(&limits)))
            .min()
            .map(|at| netstack::Instant(at.as_nanos().min(u128::from(u64::MAX)) as u64));
        let subscriptions = self.control.subscriptions.next_expiry();
        let deadline = [notify, tcp, subscriptions].into_iter().flatten().min();
        // A transfer that could go on now: poll again at once.
        Poll::Until(if more { Some(net.now()) } else { deadline })
    }
}

#[cfg(test)]
mod tcp_tests;
