//! Hidden mode: one TCP connection kept open to a primary, sans-IO. A
//! hidden secondary is in no NS record and no transfer key names an
//! address the primary could reach it at (it may be behind NAT), so the
//! primary cannot NOTIFY it the usual way. Instead it subscribes, as
//! OCaml-DNS secondaries do: it sends its signed SOA queries over a
//! connection it keeps, and the primary NOTIFYs it on that connection
//! (`dns_service` keeps such subscriptions).
//!
//! On the connection:
//! - at the start, a signed SOA query for every zone of the primary (and
//!   for the root with a root key); then every [`KEEPALIVE_INTERVAL`] the
//!   queries not sent for [`RESUBSCRIBE_INTERVAL`], or else the one sent
//!   longest ago. The primary closes a quiet channel after
//!   `dns_service::NOTIFY_CHANNEL_IDLE_TIMEOUT` (5 minutes) and forgets a
//!   subscription an hour after its query: both are well beyond these.
//!   Each verified answer reports the primary's serial
//!   ([`ChannelEvent::Serial`]): the SOA check of the refresh timers, for
//!   free.
//! - a NOTIFY from the primary is verified (TSIG with a key that may
//!   notify the zone, a zone of ours) and answered on the same stream
//!   ([`ChannelEvent::Notified`]); the refresh itself runs on a fresh
//!   connection, as any refresh.
//! - an answer missing for [`ANSWER_TIMEOUT`] means the connection is
//!   dead (a NAT that forgot it, a primary that restarted):
//!   [`ChannelError::NoAnswer`]; the owner reconnects with backoff.
//!
//! Feed what the connection delivers to [`Channel::input`], send
//! [`Channel::output`] and report it with [`Channel::consume_output`];
//! call [`Channel::poll`] at [`Channel::deadline`].

use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;

use dns_keys::KeyStore;
use dns_server::tcp::{frame, FrameError, TcpFramer, MAX_TCP_MESSAGE};
use dns_wire::{opcode, Header, Name};
use dns_zone::Serial;
use netstack::Instant;
use tsig::{Key, ResponseVerifier};

use crate::session::{root_answer, soa_answer_serial, soa_query, SessionError, Step};

/// How often something is sent on a quiet channel: well under the
/// primary's idle timeout for channels (5 minutes), and short enough that
/// a NAT keeps its mapping (RFC 5382 asks for at least 2 h 4 min for TCP;
/// cheap home routers keep less).
pub const KEEPALIVE_INTERVAL: Duration = Duration::from_secs(60);
/// Every subscription's SOA query is sent again after this, well inside
/// the primary's `SUBSCRIPTION_LIFETIME` (an hour).
pub const RESUBSCRIBE_INTERVAL: Duration = Duration::from_secs(20 * 60);
/// An SOA query not answered within this marks the connection dead.
pub const ANSWER_TIMEOUT: Duration = Duration::from_secs(10);
/// SOA queries waiting for their answers at once, at most: the first
/// sweep over many zones goes out in batches.
const MAX_OUTSTANDING: usize = 64;

/// Something the owner acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelEvent {
    /// A verified SOA answer: the primary has `serial` of `zone`.
    Serial {
        /// The zone.
        zone: Name,
        /// The primary's serial.
        serial: Serial,
    },
    /// The primary took our SOA query for the root (a root key): it
    /// notifies us of every zone.
    Subscribed,
    /// A verified NOTIFY for `zone`, answered: refresh it.
    Notified {
        /// The zone.
        zone: Name,
    },
    /// The primary refused or botched the SOA query for `zone` (the root:
    /// the subscription); the connection stays.
    Refused {
        /// The zone.
        zone: Name,
        /// Why.
        error: SessionError,
    },
    /// A NOTIFY we refused (bad signature, a zone not ours), answered so.
    NotifyRefused {
        /// Why.
        reason: dns_notify::HandleError,
    },
}

/// Why the connection is to be dropped (and made again).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ChannelError {
    /// A TCP length prefix we cannot accept.
    Framing(FrameError),
    /// An SOA query was not answered within [`ANSWER_TIMEOUT`].
    NoAnswer,
}

impl fmt::Display for ChannelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Framing(error) => write!(f, "TCP framing: {error}"),
            Self::NoAnswer => write!(
                f,
                "an SOA query got no answer within {} s",
                ANSWER_TIMEOUT.as_secs()
            ),
        }
    }
}

/// One zone (the root: every zone) subscribed on the channel.
struct Subscription {
    zone: Name,
    key: Key,
    /// When its SOA query last went out.
    sent: Option<Instant>,
}

struct Outstanding {
    id: u16,
    /// Index into the subscriptions.
    subscription: usize,
    verifier: ResponseVerifier,
    sent: Instant,
}

/// One kept connection to a primary (see the module documentation).
pub struct Channel {
    subscriptions: Vec<Subscription>,
    outstanding: Vec<Outstanding>,
    framer: TcpFramer,
    output: Vec<u8>,
    next_keepalive: Instant,
    /// Message IDs (xorshift64*; seeded from the platform's randomness).
    rng: u64,
}

impl Channel {
    /// A channel for `zones` (each with its transfer key; the root for a
    /// root key) on a connection established at `now`: the first SOA
    /// queries are queued at the first [`Channel::poll`]. `seed` varies
    /// the message IDs.
    pub fn new(zones: impl IntoIterator<Item = (Name, Key)>, now: Instant, seed: u64) -> Channel {
        Channel {
            subscriptions: zones
                .into_iter()
                .map(|(zone, key)| Subscription {
                    zone,
                    key,
                    sent: None,
                })
                .collect(),
            outstanding: Vec::new(),
            framer: TcpFramer::new(MAX_TCP_MESSAGE),
            output: Vec::new(),
            next_keepalive: now,
            rng: seed | 1,
        }
    }

    fn next_id(&mut self) -> u16 {
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        (self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 48) as u16
    }

    /// Whether a NOTIFY for `zone` is for us: a zone subscribed, or any
    /// with a root subscription.
    fn serves(&self, zone: &Name) -> bool {
        self.subscriptions
            .iter()
            .any(|s| s.zone.is_root() || s.zone == *zone)
    }

    /// Queues the SOA query of subscription `index`.
    fn query(&mut self, index: usize, now: Instant, unix_time: u64) {
        let mut id = self.next_id();
        // IDs in flight on this connection are distinct.
        while self.outstanding.iter().any(|o| o.id == id) {
            id = self.next_id();
        }
        let subscription = &mut self.subscriptions[index];
        let (query, verifier) = soa_query(&subscription.zone, &subscription.key, id, unix_time);
        subscription.sent = Some(now);
        self.output
            .extend_from_slice(&frame(&query).expect("an SOA query is far below 64 KiB"));
        self.outstanding.push(Outstanding {
            id,
            subscription: index,
            verifier,
            sent: now,
        });
    }

    /// Checks the answers' deadline and sends the SOA queries due at `now`.
    pub fn poll(&mut self, now: Instant, unix_time: u64) -> Result<(), ChannelError> {
        if self
            .outstanding
            .iter()
            .any(|o| now.since(o.sent) >= ANSWER_TIMEOUT)
        {
            return Err(ChannelError::NoAnswer);
        }
        if now < self.next_keepalive {
            return Ok(());
        }
        let waiting = |s: &Subscription| {
            s.sent
                .is_none_or(|at| now.since(at) >= RESUBSCRIBE_INTERVAL)
        };
        let mut sent = false;
        for index in 0..self.subscriptions.len() {
            if self.outstanding.len() >= MAX_OUTSTANDING {
                break;
            }
            let busy = self.outstanding.iter().any(|o| o.subscription == index);
            if !busy && waiting(&self.subscriptions[index]) {
                self.query(index, now, unix_time);
                sent = true;
            }
        }
        if !sent && self.outstanding.is_empty() {
            // Nothing due: the query sent longest ago keeps the channel alive.
            let oldest = (0..self.subscriptions.len()).min_by_key(|i| self.subscriptions[*i].sent);
            if let Some(index) = oldest {
                self.query(index, now, unix_time);
            }
        }
        // A sweep cut short by MAX_OUTSTANDING goes on as answers come.
        let more = self.subscriptions.iter().any(waiting);
        self.next_keepalive = match more {
            true => now.after(Duration::from_millis(100)),
            false => now.after(KEEPALIVE_INTERVAL),
        };
        Ok(())
    }

    /// When [`Channel::poll`] has something to do next.
    pub fn deadline(&self) -> Instant {
        self.outstanding
            .iter()
            .map(|o| o.sent.after(ANSWER_TIMEOUT))
            .fold(self.next_keepalive, Instant::min)
    }

    /// Bytes to send.
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// `n` bytes of [`Channel::output`] were sent.
    pub fn consume_output(&mut self, n: usize) {
        self.output.drain(..n.min(self.output.len()));
    }

    /// Takes bytes received at `unix_time`; `keys` verify NOTIFYs.
    /// Messages that are neither answers to our queries nor NOTIFYs are
    /// ignored.
    pub fn input(
        &mut self,
        data: &[u8],
        keys: &KeyStore,
        unix_time: u64,
    ) -> Result<Vec<ChannelEvent>, ChannelError> {
        self.framer.push(data);
        let mut events = Vec::new();
        while let Some(message) = self.framer.next_message().map_err(ChannelError::Framing)? {
            let Ok(header) = Header::parse(&message) else {
                continue;
            };
            let event = match (header.is_response(), header.opcode()) {
                (true, opcode::QUERY) => self.answer(&message, header.id, unix_time),
                (false, opcode::NOTIFY) => self.notify(&message, keys, unix_time),
                _ => None,
            };
            events.extend(event);
        }
        Ok(events)
    }

    fn answer(&mut self, message: &[u8], id: u16, unix_time: u64) -> Option<ChannelEvent> {
        let at = self.outstanding.iter().position(|o| o.id == id)?;
        let mut outstanding = self.outstanding.swap_remove(at);
        let zone = self.subscriptions[outstanding.subscription].zone.clone();
        if zone.is_root() {
            return Some(
                match root_answer(message, id, &mut outstanding.verifier, unix_time) {
                    Step::Failed(error) => ChannelEvent::Refused { zone, error },
                    _ => ChannelEvent::Subscribed,
                },
            );
        }
        Some(
            match soa_answer_serial(message, &zone, &mut outstanding.verifier, unix_time) {
                Ok(serial) => ChannelEvent::Serial { zone, serial },
                Err(error) => ChannelEvent::Refused { zone, error },
            },
        )
    }

    fn notify(&mut self, message: &[u8], keys: &KeyStore, unix_time: u64) -> Option<ChannelEvent> {
        let (response, event) =
            match dns_notify::handle(message, unix_time, keys, false, |zone| self.serves(zone)) {
                dns_notify::Handled::Notified {
                    notify, response, ..
                } => (response, ChannelEvent::Notified { zone: notify.zone }),
                dns_notify::Handled::Respond { response, reason } => {
                    (response, ChannelEvent::NotifyRefused { reason })
                }
                _ => return None,
            };
        // NOTIFY answers are a header, a question and a TSIG.
        if let Some(framed) = frame(&response) {
            self.output.extend_from_slice(&framed);
        }
        Some(event)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use dns_wire::{class, flags, MessageBuilder, RecordType};
    use tsig::Algorithm;

    const NOW: u64 = 1_700_000_000;

    fn name(text: &str) -> Name {
        text.parse().expect("a name")
    }

    fn key() -> Key {
        Key::new(
            name("10.53.0.1._transfer.example.com."),
            Algorithm::HmacSha256,
            vec![4; 32],
        )
    }

    fn keys() -> KeyStore {
        let mut keys = KeyStore::new();
        keys.insert(key());
        keys
    }

    fn at(seconds: u64) -> Instant {
        Instant(seconds * 1_000_000_000)
    }

    /// The framed messages in `bytes`.
    fn messages(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut framer = TcpFramer::new(MAX_TCP_MESSAGE);
        framer.push(bytes);
        core::iter::from_fn(|| framer.next_message().expect("framing")).collect()
    }

    /// Takes the channel's output: the messages it sent.
    fn sent(channel: &mut Channel) -> Vec<Vec<u8>> {
        let out = channel.output().to_vec();
        channel.consume_output(out.len());
        messages(&out)
    }

    /// The primary's signed, authoritative answer to an SOA query.
    fn soa_answer(query: &[u8], serial: u32) -> Vec<u8> {
        let signed = tsig::verify_request(query, &keys(), NOW)
            .expect("verifies")
            .expect("signed");
        let header = Header::parse(query).unwrap();
        let mut b = MessageBuilder::new(header.id, flags::QR | flags::AA);
        b.question(&name("example.com."), RecordType::SOA, class::IN)
            .unwrap();
        let soa = alloc::format!("ns hostmaster {serial} 3600 600 86400 300");
        let text = alloc::format!("$TTL 300\n@ SOA {soa}\n@ NS ns\nns A 10.53.0.1\n");
        let zone = dns_zone::Zone::parse(text.as_bytes(), name("example.com."))
            .unwrap()
            .0;
        b.record(
            dns_wire::Section::Answer,
            &name("example.com."),
            RecordType::SOA,
            class::IN,
            300,
            zone.soa().first().as_bytes(),
        )
        .unwrap();
        let mut answer = b.finish();
        signed.response_signer().sign(&mut answer, NOW);
        frame(&answer).unwrap()
    }

    fn notify(zone: &str, key: &Key) -> Vec<u8> {
        let mut msg = dns_notify::notify_query(&name(zone), 77);
        tsig::sign_request(&mut msg, key, NOW);
        frame(&msg).unwrap()
    }

    #[test]
    fn soa_queries_are_answered_into_serials_and_keep_the_channel_alive() {
        let mut channel = Channel::new([(name("example.com."), key())], at(0), 1);
        channel.poll(at(0), NOW).unwrap();
        let queries = sent(&mut channel);
        assert_eq!(queries.len(), 1, "the first query at once");
        assert_eq!(channel.deadline(), at(0).after(ANSWER_TIMEOUT));
        let events = channel
            .input(&soa_answer(&queries[0], 7), &keys(), NOW)
            .unwrap();
        assert_eq!(
            events,
            [ChannelEvent::Serial {
                zone: name("example.com."),
                serial: Serial(7)
            }]
        );
        // The same answer again: no query waits for it any more.
        let again = channel
            .input(&soa_answer(&queries[0], 7), &keys(), NOW)
            .unwrap();
        assert!(again.is_empty());
        assert_eq!(channel.deadline(), at(60));
        channel.poll(at(59), NOW).unwrap();
        assert!(sent(&mut channel).is_empty());
        channel.poll(at(60), NOW).unwrap();
        assert_eq!(sent(&mut channel).len(), 1, "the keepalive");
    }

    #[test]
    fn an_unanswered_query_marks_the_connection_dead() {
        let mut channel = Channel::new([(name("example.com."), key())], at(0), 2);
        channel.poll(at(0), NOW).unwrap();
        assert_eq!(channel.poll(at(9), NOW), Ok(()));
        assert_eq!(channel.poll(at(10), NOW), Err(ChannelError::NoAnswer));
    }

    #[test]
    fn a_signed_notify_is_answered_on_the_stream_and_reported() {
        let mut channel = Channel::new([(name("example.com."), key())], at(0), 3);
        let events = channel
            .input(&notify("example.com.", &key()), &keys(), NOW)
            .unwrap();
        assert_eq!(
            events,
            [ChannelEvent::Notified {
                zone: name("example.com.")
            }]
        );
        let answers = sent(&mut channel);
        assert_eq!(answers.len(), 1);
        let header = Header::parse(&answers[0]).unwrap();
        assert!(header.is_response());
        assert_eq!(
            (header.id, header.opcode(), header.rcode()),
            (77, opcode::NOTIFY, 0)
        );
        assert!(tsig::Tsig::locate(&answers[0]).unwrap().is_some(), "signed");
    }

    #[test]
    fn a_notify_with_a_wrong_key_or_for_another_zone_is_refused() {
        let mut channel = Channel::new([(name("example.com."), key())], at(0), 4);
        let stranger = Key::new(key().name().clone(), Algorithm::HmacSha256, vec![9; 32]);
        let other = Key::new(
            name("10.53.0.1._transfer.example.org."),
            Algorithm::HmacSha256,
            vec![5; 32],
        );
        let mut store = keys();
        store.insert(other.clone());
        for msg in [
            notify("example.com.", &stranger),
            notify("example.org.", &other),
            notify("example.org.", &key()),
        ] {
            let events = channel.input(&msg, &store, NOW).unwrap();
            assert!(
                matches!(events.as_slice(), [ChannelEvent::NotifyRefused { .. }]),
                "{events:?}"
            );
            let answers = sent(&mut channel);
            assert_ne!(Header::parse(&answers[0]).unwrap().rcode(), 0);
        }
        // Unsigned: refused too.
        let unsigned = frame(&dns_notify::notify_query(&name("example.com."), 5)).unwrap();
        let events = channel.input(&unsigned, &store, NOW).unwrap();
        assert!(matches!(
            events.as_slice(),
            [ChannelEvent::NotifyRefused { .. }]
        ));
    }

    #[test]
    fn every_subscription_is_queried_again_within_the_resubscribe_interval() {
        let zones: Vec<(Name, Key)> = (0..3)
            .map(|i| (name(&alloc::format!("z{i}.example.")), key()))
            .collect();
        let mut channel = Channel::new(zones, at(0), 5);
        let mut last: alloc::collections::BTreeMap<Vec<u8>, u64> = Default::default();
        let mut longest = 0;
        for minute in 0..60 {
            let now = at(minute * 60);
            channel.poll(now, NOW).unwrap();
            for query in sent(&mut channel) {
                let parsed = dns_wire::Message::parse(&query).unwrap();
                let zone = parsed.questions[0].name.to_ascii().into_bytes();
                if let Some(before) = last.insert(zone, minute * 60) {
                    longest = longest.max(minute * 60 - before);
                }
                // Answered (an error answer is an answer too).
                let header = Header::parse(&query).unwrap();
                let mut b = MessageBuilder::new(header.id, flags::QR | 5);
                b.question(&parsed.questions[0].name, RecordType::SOA, class::IN)
                    .unwrap();
                let refused = frame(&b.finish()).unwrap();
                channel.input(&refused, &keys(), NOW).unwrap();
            }
        }
        assert_eq!(last.len(), 3);
        assert!(
            longest <= RESUBSCRIBE_INTERVAL.as_secs(),
            "a zone waited {longest} s"
        );
    }

    #[test]
    fn a_bad_length_prefix_drops_the_connection() {
        let mut channel = Channel::new([(name("example.com."), key())], at(0), 6);
        assert!(matches!(
            channel.input(&[0, 0], &keys(), NOW),
            Err(ChannelError::Framing(_))
        ));
    }
}
