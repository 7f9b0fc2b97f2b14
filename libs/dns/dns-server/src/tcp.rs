//! DNS over TCP framing (RFC 1035 §4.2.2, RFC 7766 §8): every message is
//! preceded by its length as two octets; a connection carries any number of
//! queries, possibly arriving in pieces or several in one segment.
//!
//! [`TcpFramer`] is sans-IO: feed it the bytes read from the connection with
//! [`TcpFramer::push`], take complete messages with
//! [`TcpFramer::next_message`], and frame responses with [`frame`].
//!
//! Connection management (RFC 7766 §6.2.2, §6.2.3: limits per client,
//! idle timeouts of seconds, closing idle connections under load) is
//! sans-IO too: a [`TcpClock`] per connection
//! says when it is to be closed under [`TcpLimits`] (an idle timeout
//! between messages, and a deadline for each whole message in either
//! direction that later octets of the message do not extend), and
//! [`admit`] decides about a new connection (a per-source limit; when
//! every slot is taken, the connection idle longest makes room). The
//! caller owns the clock: times are durations since any fixed start.

use alloc::vec::Vec;
use core::fmt;
use core::net::IpAddr;
use core::time::Duration;

/// The largest message a length prefix can announce.
pub const MAX_TCP_MESSAGE: usize = 65_535;

/// A framing error; the caller closes the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FrameError {
    /// The announced length is above the framer's limit.
    TooLarge {
        /// The announced length.
        announced: usize,
        /// The framer's limit.
        limit: usize,
    },
    /// A zero length prefix: no DNS message is empty.
    Empty,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLarge { announced, limit } => write!(
                f,
                "TCP message of {announced} octets exceeds the limit of {limit}"
            ),
            Self::Empty => f.write_str("TCP message of length 0"),
        }
    }
}

/// Reassembles length-prefixed messages from a TCP byte stream.
#[derive(Debug, Clone)]
pub struct TcpFramer {
    buf: Vec<u8>,
    start: usize,
    max_message: usize,
}

impl TcpFramer {
    /// A framer accepting messages of at most `max_message` octets.
    pub fn new(max_message: usize) -> Self {
        Self {
            buf: Vec::new(),
            start: 0,
            max_message: max_message.min(MAX_TCP_MESSAGE),
        }
    }

    /// Appends bytes read from the connection.
    pub fn push(&mut self, data: &[u8]) {
        if self.start > 0 && self.start == self.buf.len() {
            self.buf.clear();
            self.start = 0;
        }
        self.buf.extend_from_slice(data);
    }

    /// Octets buffered but not yet returned as messages.
    pub fn pending(&self) -> usize {
        self.buf.len() - self.start
    }

    /// The next complete message, `Ok(None)` if more bytes are needed.
    pub fn next_message(&mut self) -> Result<Option<Vec<u8>>, FrameError> {
        let rest = &self.buf[self.start..];
        if rest.len() < 2 {
            return Ok(None);
        }
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
        if len == 0 {
            return Err(FrameError::Empty);
        }
        if len > self.max_message {
            return Err(FrameError::TooLarge {
                announced: len,
                limit: self.max_message,
            });
        }
        if rest.len() < 2 + len {
            return Ok(None);
        }
        let msg = rest[2..2 + len].to_vec();
        self.start += 2 + len;
        if self.start > 4096 && self.start * 2 > self.buf.len() {
            self.buf.drain(..self.start);
            self.start = 0;
        }
        Ok(Some(msg))
    }
}

/// A message with its two-octet length prefix; `None` if it is longer than
/// 65535 octets.
pub fn frame(msg: &[u8]) -> Option<Vec<u8>> {
    let len = u16::try_from(msg.len()).ok()?;
    let mut out = Vec::with_capacity(msg.len() + 2);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(msg);
    Some(out)
}

/// Default of [`TcpLimits::max_per_source`]: an eighth of the default 256
/// slots, so that it takes eight sources to fill them, while a secondary
/// or resolver behind one address still has room for parallel transfers.
pub const DEFAULT_MAX_PER_SOURCE: usize = 32;
/// Default of [`TcpLimits::io_timeout`]: a query or a 64 KiB transfer
/// message crosses a continent in well under a second; a client slower
/// than this is stalling. (Knot's `tcp-io-timeout` is 500 ms.)
pub const DEFAULT_IO_TIMEOUT: Duration = Duration::from_secs(2);

/// How long DNS-over-TCP clients may hold a connection, and how many may.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpLimits {
    /// Most connections at once; when all are taken, a new one replaces
    /// the one idle longest ([`admit`]).
    pub max_clients: usize,
    /// Most connections from one source: an IPv4 address, or an IPv6 /64
    /// (what one host can be expected to hold).
    pub max_per_source: usize,
    /// Close a connection this long after its last complete message (or
    /// its opening) while no message is on its way in or out.
    pub idle_timeout: Duration,
    /// A message must arrive whole within this from its first octet, and
    /// an answer (each message of a zone transfer) be taken by the
    /// connection within this from being queued. Zero: no limit.
    pub io_timeout: Duration,
}

impl Default for TcpLimits {
    fn default() -> Self {
        TcpLimits {
            max_clients: 256,
            max_per_source: DEFAULT_MAX_PER_SOURCE,
            idle_timeout: Duration::from_secs(10),
            io_timeout: DEFAULT_IO_TIMEOUT,
        }
    }
}

/// Why a connection is to be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TcpExpiry {
    /// Nothing on its way for the idle timeout.
    Idle,
    /// A message did not arrive whole within the I/O timeout.
    SlowMessage,
    /// An answer was not taken by the connection within the I/O timeout.
    SlowReader,
}

impl fmt::Display for TcpExpiry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TcpExpiry::Idle => "idle",
            TcpExpiry::SlowMessage => "query not complete in time",
            TcpExpiry::SlowReader => "answer not taken in time",
        })
    }
}

/// The timers of one connection (RFC 7766 §6.2.3). Tell it what happened
/// with [`TcpClock::received`], [`TcpClock::sending`] and
/// [`TcpClock::sent`]; ask [`TcpClock::expiry`] at every poll and
/// [`TcpClock::deadline`] for when to poll next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpClock {
    /// The last complete message in or out, or the opening.
    idle_since: Duration,
    /// The first octet of a message not yet complete.
    reading_since: Option<Duration>,
    /// When output started waiting for the connection.
    writing_since: Option<Duration>,
}

impl TcpClock {
    /// A connection opened at `now`.
    pub fn new(now: Duration) -> Self {
        TcpClock {
            idle_since: now,
            reading_since: None,
            writing_since: None,
        }
    }

    /// Octets were read at `now` and the complete messages among them
    /// taken: `completed` whether there was one, `partial` whether octets
    /// of a further message are buffered. The message deadline starts with
    /// the first octet of a message and is not moved by later ones.
    pub fn received(&mut self, now: Duration, completed: bool, partial: bool) {
        if completed {
            self.idle_since = now;
            self.reading_since = None;
        }
        if !partial {
            self.reading_since = None;
        } else if self.reading_since.is_none() {
            self.reading_since = Some(now);
        }
    }

    /// Output waits for the connection at `now` (its timer starts unless
    /// it runs already).
    pub fn sending(&mut self, now: Duration) {
        self.writing_since.get_or_insert(now);
    }

    /// The connection took all output at `now` (the next message of a
    /// transfer, if any, gets a timer of its own).
    pub fn sent(&mut self, now: Duration) {
        if self.writing_since.take().is_some() {
            self.idle_since = now;
        }
    }

    /// Whether output waits for the connection.
    pub fn is_sending(&self) -> bool {
        self.writing_since.is_some()
    }

    /// Since when the connection has been idle for [`admit`]: since its
    /// last complete message (a message trickling in does not count), or
    /// `None` while it sends (never evicted then).
    pub fn idle_since(&self) -> Option<Duration> {
        (!self.is_sending()).then_some(self.idle_since)
    }

    /// When the connection is to be closed if nothing happens before.
    pub fn deadline(&self, limits: &TcpLimits) -> Option<Duration> {
        let io = |since: Duration| {
            (!limits.io_timeout.is_zero()).then(|| since.saturating_add(limits.io_timeout))
        };
        match (self.writing_since, self.reading_since) {
            (Some(since), _) => io(since),
            (None, Some(since)) => io(since),
            (None, None) => Some(self.idle_since.saturating_add(limits.idle_timeout)),
        }
    }

    /// Whether (and why) the connection is to be closed at `now`.
    pub fn expiry(&self, now: Duration, limits: &TcpLimits) -> Option<TcpExpiry> {
        if self.deadline(limits)? > now {
            return None;
        }
        Some(match (self.writing_since, self.reading_since) {
            (Some(_), _) => TcpExpiry::SlowReader,
            (None, Some(_)) => TcpExpiry::SlowMessage,
            (None, None) => TcpExpiry::Idle,
        })
    }
}

/// A connection already holding a slot, as [`admit`] sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Occupant<K> {
    /// The caller's name for the connection.
    pub key: K,
    /// Its peer's address.
    pub source: IpAddr,
    /// Since when it has been idle; `None` if it must not be evicted (it
    /// sends, or an answer is being prepared for it). See
    /// [`TcpClock::idle_since`].
    pub idle_since: Option<Duration>,
}

/// Why a new connection is turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refusal {
    /// Its source holds [`TcpLimits::max_per_source`] connections already.
    PerSource,
    /// Every slot is taken by a connection that is sending.
    Full,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Refusal::PerSource => "too many connections from this source",
            Refusal::Full => "every connection busy",
        })
    }
}

/// What to do with a new connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission<K> {
    /// Take it.
    Accept,
    /// Take it in place of this connection (the one idle longest), which
    /// is to be closed.
    Evict(K),
    /// Close it.
    Refuse(Refusal),
}

/// Whether two addresses count as one source: equal IPv4 addresses, or
/// IPv6 addresses in one /64.
pub fn same_source(a: IpAddr, b: IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a == b,
        (IpAddr::V6(a), IpAddr::V6(b)) => a.segments()[..4] == b.segments()[..4],
        _ => false,
    }
}

/// Decides about a new connection from `source` given the connections
/// holding slots. A source over its limit is refused (RFC 7766 §6.2.2
/// lets servers limit connections per client address or subnet). When
/// every slot is taken, the connection idle longest gives way (§6.2.3
/// lets a server under load close idle connections at once); NSD and
/// Knot stop accepting when full instead, which lets idle or trickling
/// clients lock everyone else out until their timeouts.
pub fn admit<K: Copy>(
    limits: &TcpLimits,
    source: IpAddr,
    occupants: impl IntoIterator<Item = Occupant<K>>,
) -> Admission<K> {
    let mut total = 0;
    let mut from_source = 0;
    let mut idlest: Option<(Duration, K)> = None;
    for occupant in occupants {
        total += 1;
        if same_source(occupant.source, source) {
            from_source += 1;
        }
        if let Some(since) = occupant.idle_since {
            if idlest.is_none_or(|(oldest, _)| since < oldest) {
                idlest = Some((since, occupant.key));
            }
        }
    }
    if from_source >= limits.max_per_source {
        return Admission::Refuse(Refusal::PerSource);
    }
    if total < limits.max_clients {
        return Admission::Accept;
    }
    match idlest {
        Some((_, key)) => Admission::Evict(key),
        None => Admission::Refuse(Refusal::Full),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7766_split_and_pipelined_messages() {
        let mut f = TcpFramer::new(512);
        let mut stream = frame(b"first").unwrap();
        stream.extend(frame(b"second").unwrap());
        // One byte at a time.
        let mut got = Vec::new();
        for b in &stream {
            f.push(core::slice::from_ref(b));
            while let Some(m) = f.next_message().unwrap() {
                got.push(m);
            }
        }
        assert_eq!(got, [b"first".to_vec(), b"second".to_vec()]);
        assert_eq!(f.pending(), 0);
        // Both in one segment.
        f.push(&stream);
        assert_eq!(f.next_message().unwrap().unwrap(), b"first");
        assert_eq!(f.next_message().unwrap().unwrap(), b"second");
        assert_eq!(f.next_message().unwrap(), None);
    }

    #[test]
    fn limits() {
        let mut f = TcpFramer::new(100);
        f.push(&[0, 101]);
        assert_eq!(
            f.next_message(),
            Err(FrameError::TooLarge {
                announced: 101,
                limit: 100
            })
        );
        let mut f = TcpFramer::new(100);
        f.push(&[0, 0]);
        assert_eq!(f.next_message(), Err(FrameError::Empty));
    }
}

#[cfg(test)]
mod limits_tests {
    use super::*;

    const fn s(seconds: u64) -> Duration {
        Duration::from_secs(seconds)
    }

    fn limits() -> TcpLimits {
        TcpLimits {
            max_clients: 3,
            max_per_source: 2,
            idle_timeout: s(10),
            io_timeout: s(2),
        }
    }

    /// A client that trickles one octet a second is closed two seconds
    /// after the first octet of its message, however often octets come
    /// (the deadline is per message, not per octet).
    #[test]
    fn message_deadline_is_not_moved_by_later_octets() {
        let limits = limits();
        let mut clock = TcpClock::new(s(0));
        for second in 1..=2 {
            assert_eq!(clock.expiry(s(second), &limits), None, "at {second} s");
            clock.received(s(second), false, true);
        }
        assert_eq!(
            clock.deadline(&limits),
            Some(s(3)),
            "2 s after the first octet"
        );
        assert_eq!(clock.expiry(s(3), &limits), Some(TcpExpiry::SlowMessage));
    }

    /// A complete message ends its deadline; the next message has its own;
    /// between messages the idle timeout applies from the last one.
    #[test]
    fn each_message_has_its_own_deadline_and_idle_follows() {
        let limits = limits();
        let mut clock = TcpClock::new(s(0));
        clock.received(s(1), false, true);
        clock.received(s(2), true, false);
        assert_eq!(clock.deadline(&limits), Some(s(12)), "idle after a message");
        assert_eq!(clock.expiry(s(11), &limits), None);
        // The end of one message and the start of the next in one read.
        clock.received(s(5), true, true);
        assert_eq!(clock.deadline(&limits), Some(s(7)));
        assert_eq!(clock.expiry(s(7), &limits), Some(TcpExpiry::SlowMessage));
        let mut idle = TcpClock::new(s(0));
        assert_eq!(idle.expiry(s(10), &limits), Some(TcpExpiry::Idle));
        idle.received(s(9), true, false);
        assert_eq!(idle.expiry(s(10), &limits), None);
    }

    /// An answer (each message of a transfer) must be taken within the I/O
    /// timeout of being queued; while it is, the idle and read timers do
    /// not apply and the connection is not evictable.
    #[test]
    fn answers_must_be_taken_in_time() {
        let limits = limits();
        let mut clock = TcpClock::new(s(0));
        clock.received(s(1), true, false);
        clock.sending(s(1));
        clock.sending(s(2));
        assert_eq!(clock.idle_since(), None);
        assert_eq!(clock.expiry(s(2), &limits), None);
        clock.sent(s(2));
        clock.sending(s(2));
        assert_eq!(
            clock.expiry(s(3), &limits),
            None,
            "a new message, a new timer"
        );
        assert_eq!(clock.expiry(s(4), &limits), Some(TcpExpiry::SlowReader));
        clock.sent(s(4));
        assert_eq!(clock.idle_since(), Some(s(4)));
        clock.sent(s(9));
        assert_eq!(
            clock.idle_since(),
            Some(s(4)),
            "sent without sending is no activity"
        );
    }

    #[test]
    fn no_io_timeout_when_zero() {
        let limits = TcpLimits {
            io_timeout: Duration::ZERO,
            ..limits()
        };
        let mut clock = TcpClock::new(s(0));
        clock.received(s(1), false, true);
        assert_eq!(clock.deadline(&limits), None);
        assert_eq!(clock.expiry(s(1000), &limits), None);
    }

    fn occupant(key: u32, source: &str, idle_since: Option<u64>) -> Occupant<u32> {
        Occupant {
            key,
            source: source.parse().expect("address"),
            idle_since: idle_since.map(s),
        }
    }

    #[test]
    fn per_source_limit() {
        let limits = limits();
        let two = [
            occupant(1, "192.0.2.1", Some(0)),
            occupant(2, "192.0.2.1", Some(0)),
        ];
        let v4 = "192.0.2.1".parse().expect("address");
        assert_eq!(
            admit(&limits, v4, two),
            Admission::Refuse(Refusal::PerSource)
        );
        let other = "192.0.2.2".parse().expect("address");
        assert_eq!(admit(&limits, other, two), Admission::Accept);
        // IPv6: one /64 is one source.
        let six = [
            occupant(1, "2001:db8:1:2::1", Some(0)),
            occupant(2, "2001:db8:1:2::ffff", Some(0)),
        ];
        let same = "2001:db8:1:2:aaaa::9".parse().expect("address");
        let next = "2001:db8:1:3::1".parse().expect("address");
        assert_eq!(
            admit(&limits, same, six),
            Admission::Refuse(Refusal::PerSource)
        );
        assert_eq!(admit(&limits, next, six), Admission::Accept);
    }

    /// When every slot is taken, the connection idle longest gives way —
    /// a trickling one counts as idle since it opened — but never one
    /// that is sending.
    #[test]
    fn full_evicts_the_longest_idle_but_not_a_sender() {
        let limits = limits();
        let new = "198.51.100.9".parse().expect("address");
        let full = [
            occupant(1, "192.0.2.1", Some(5)),
            occupant(2, "192.0.2.2", None),
            occupant(3, "192.0.2.3", Some(3)),
        ];
        assert_eq!(admit(&limits, new, full), Admission::Evict(3));
        let busy = [
            occupant(1, "192.0.2.1", None),
            occupant(2, "192.0.2.2", None),
            occupant(3, "192.0.2.3", None),
        ];
        assert_eq!(admit(&limits, new, busy), Admission::Refuse(Refusal::Full));

        let mut trickler = TcpClock::new(s(1));
        trickler.received(s(8), false, true);
        let mut talker = TcpClock::new(s(0));
        talker.received(s(7), true, false);
        let mut transfer = TcpClock::new(s(0));
        transfer.sending(s(0));
        let clocks = [(1, talker), (2, trickler), (3, transfer)];
        let occupants = clocks.iter().map(|(key, clock)| Occupant {
            key: *key,
            source: IpAddr::from([192, 0, 2, *key as u8]),
            idle_since: clock.idle_since(),
        });
        assert_eq!(admit(&limits, new, occupants), Admission::Evict(2));
    }
}
