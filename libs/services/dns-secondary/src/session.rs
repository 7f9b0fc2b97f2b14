//! One refresh of one zone over one TCP connection, sans-IO: a signed SOA
//! query (RFC 1034 §4.3.5), then, when the primary's serial is newer, a
//! signed IXFR (RFC 1995) from our copy or an AXFR (RFC 5936) when we have
//! none. Every message of the answers is TSIG-verified (RFC 8945 §5.3.1).
//!
//! Feed what the connection delivers to [`Session::input`], send
//! [`Session::output`] and report what was sent with
//! [`Session::consume_output`], until `input` returns a final [`Step`].
//! The caller owns the connection and the clock, and with them the
//! connect and transfer timeouts.

use alloc::vec::Vec;
use core::cmp::Ordering;
use core::fmt;

use dns_server::tcp::{frame, FrameError, TcpFramer, MAX_TCP_MESSAGE};
use dns_wire::{class, flags, opcode, rcode, Header, Message, MessageBuilder, Name, RecordType};
use dns_xfr::{Kind, Limits, Outcome, Progress, Transport, XfrClient, XfrError};
use dns_zone::zone::diff::soa_serial;
use dns_zone::{Serial, Zone};
use tsig::{Key, ResponseError, ResponseVerifier};

/// Why a refresh failed. The caller closes the connection; the zone keeps
/// serving its last good copy.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionError {
    /// The SOA answer's TSIG failed, or the primary refused our signature.
    SoaTsig(ResponseError),
    /// The primary answered the SOA query with an error RCODE.
    SoaRcode(u16),
    /// The SOA answer is not authoritative (AA clear): not our primary for
    /// the zone.
    NotAuthoritative,
    /// The SOA answer holds no SOA record of the zone.
    NoSoa,
    /// A message that does not answer our query, or that does not parse.
    Malformed(&'static str),
    /// The primary's serial is older than ours (RFC 1982).
    SerialBackwards {
        /// Our serial.
        ours: Serial,
        /// The primary's.
        theirs: Serial,
    },
    /// The transfer failed (TSIG, RCODE, malformed stream, bad zone).
    Transfer {
        /// AXFR or IXFR.
        kind: Kind,
        /// How.
        error: XfrError,
    },
    /// A TCP length prefix we cannot accept.
    Framing(FrameError),
}

impl SessionError {
    /// Whether an AXFR may succeed where this IXFR failed: the primary
    /// does not implement or refuses IXFR (RFC 1995 §4 leaves that open),
    /// or sent diffs that do not fit our copy. Signature failures and
    /// serials going backwards are never retried by another route.
    pub fn axfr_may_help(&self) -> bool {
        match self {
            SessionError::Transfer {
                kind: Kind::Ixfr,
                error,
            } => matches!(
                error,
                XfrError::Rcode(rcode::NOTIMP | rcode::REFUSED | rcode::FORMERR | rcode::SERVFAIL)
                    | XfrError::Malformed(_)
                    | XfrError::Diverged(_)
            ),
            _ => false,
        }
    }
}

impl fmt::Display for SessionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::SoaTsig(e) => write!(f, "SOA query: TSIG: {e}"),
            // Our primaries (and BIND, Knot, NSD) answer SERVFAIL for a
            // zone they are configured for but have not loaded.
            Self::SoaRcode(rcode::SERVFAIL) => f.write_str(
                "SOA query answered SERVFAIL: the primary has not loaded the zone (yet), or it expired there",
            ),
            Self::SoaRcode(rc) => match rcode::name(*rc) {
                Some(name) => write!(f, "SOA query answered {name}"),
                None => write!(f, "SOA query answered RCODE {rc}"),
            },
            Self::NotAuthoritative => f.write_str("the SOA answer is not authoritative"),
            Self::NoSoa => f.write_str("the SOA answer holds no SOA of the zone"),
            Self::Malformed(what) => write!(f, "malformed answer: {what}"),
            Self::SerialBackwards { ours, theirs } => write!(
                f,
                "the primary's serial {theirs} is older than ours ({ours}); keeping ours"
            ),
            Self::Transfer { kind, error } => write!(f, "{}: {error}", kind_name(*kind)),
            Self::Framing(e) => write!(f, "TCP framing: {e}"),
        }
    }
}

/// `AXFR` or `IXFR`.
pub fn kind_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Axfr => "AXFR",
        Kind::Ixfr => "IXFR",
    }
}

/// Where a session stands after some input.
#[derive(Debug)]
pub enum Step {
    /// More bytes are needed.
    Wait,
    /// The primary's serial is not newer than ours: nothing to transfer.
    UpToDate {
        /// The primary's serial.
        serial: Serial,
    },
    /// A transfer completed and verified.
    Transferred {
        /// AXFR or IXFR (an IXFR may still have been answered with the
        /// whole zone: see the outcome).
        kind: Kind,
        /// The zone or the diffs.
        outcome: Outcome,
        /// Messages the transfer took.
        messages: usize,
    },
    /// The refresh failed.
    Failed(SessionError),
    /// The primary took our signed SOA query for the root
    /// ([`Session::subscribe`]): it NOTIFYs us for each of its zones.
    Subscribed,
}

enum Phase {
    /// Waiting for the answer to our SOA query.
    Soa {
        id: u16,
        verifier: ResponseVerifier,
        /// The ID the transfer request will carry.
        transfer_id: u16,
    },
    /// Receiving the transfer.
    Transfer { kind: Kind, client: XfrClient },
    /// Waiting for the answer to our SOA query for the root.
    Root { id: u16, verifier: ResponseVerifier },
    /// Finished; further input is ignored.
    Done,
}

/// One refresh of one zone (see the module documentation).
pub struct Session {
    zone: Name,
    key: Key,
    phase: Phase,
    framer: TcpFramer,
    /// Framed requests not yet taken by the connection.
    output: Vec<u8>,
    /// Bounds of the transfer.
    limits: Limits,
}

impl Session {
    /// Starts with a signed SOA query for `zone` with ID `id`; the transfer
    /// that may follow uses `transfer_id`.
    pub fn check(zone: Name, key: Key, id: u16, transfer_id: u16, unix_time: u64) -> Session {
        let (query, verifier) = soa_query(&zone, &key, id, unix_time);
        let mut session = Session::new(
            zone,
            key,
            Phase::Soa {
                id,
                verifier,
                transfer_id,
            },
        );
        session.queue(&query);
        session
    }

    /// Starts with a signed AXFR at once (the fallback after a failed
    /// IXFR); `current` is our serial, if we have a copy.
    pub fn axfr(zone: Name, key: Key, id: u16, current: Option<Serial>, unix_time: u64) -> Session {
        let (client, request) = XfrClient::axfr(zone.clone(), id, current, Some(&key), unix_time);
        let mut session = Session::new(
            zone,
            key,
            Phase::Transfer {
                kind: Kind::Axfr,
                client,
            },
        );
        session.queue(&request);
        session
    }

    /// A signed SOA query for the root with a root transfer key
    /// (`<primary>.<secondary>._transfer.`), as OCaml-DNS secondaries send
    /// it: the primary answers NOERROR (not authoritative) and NOTIFYs us,
    /// signed with the key, for every zone it serves.
    pub fn subscribe(key: Key, id: u16, unix_time: u64) -> Session {
        let root = Name::root();
        let (query, verifier) = soa_query(&root, &key, id, unix_time);
        let mut session = Session::new(root, key, Phase::Root { id, verifier });
        session.queue(&query);
        session
    }

    /// Bounds the transfer this session may start (none by default); a
    /// larger one fails with [`XfrError::TooLarge`].
    pub fn with_limits(mut self, limits: Limits) -> Session {
        self.limits = limits;
        // Started already (an AXFR fallback); otherwise `soa_answer`
        // applies them.
        if let Phase::Transfer { client, .. } = &mut self.phase {
            client.set_limits(limits);
        }
        self
    }

    fn new(zone: Name, key: Key, phase: Phase) -> Session {
        Session {
            zone,
            key,
            phase,
            framer: TcpFramer::new(MAX_TCP_MESSAGE),
            output: Vec::new(),
            limits: Limits::NONE,
        }
    }

    fn queue(&mut self, message: &[u8]) {
        let framed = frame(message).expect("our requests are far below 64 KiB");
        self.output.extend_from_slice(&framed);
    }

    /// The zone being refreshed.
    pub fn zone(&self) -> &Name {
        &self.zone
    }

    /// Bytes to send.
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// `n` bytes of [`Session::output`] were sent.
    pub fn consume_output(&mut self, n: usize) {
        self.output.drain(..n.min(self.output.len()));
    }

    /// Takes bytes received from the primary at `unix_time`. `current` is
    /// the copy we serve (an IXFR asks for the changes since it).
    pub fn input(&mut self, data: &[u8], current: Option<&Zone>, unix_time: u64) -> Step {
        if matches!(self.phase, Phase::Done) {
            return Step::Wait;
        }
        self.framer.push(data);
        loop {
            let message = match self.framer.next_message() {
                Ok(Some(message)) => message,
                Ok(None) => return Step::Wait,
                Err(error) => return self.finish(Step::Failed(SessionError::Framing(error))),
            };
            if is_notify_request(&message) {
                // A primary that notifies the clients of its signed SOA
                // queries (ours, OCaml-DNS) may send one on this very
                // connection, between its SOA answer and the transfer: the
                // transfer under way brings the change, so it is skipped.
                continue;
            }
            let step = match &mut self.phase {
                Phase::Soa { .. } => self.soa_answer(&message, current, unix_time),
                Phase::Root { id, verifier } => root_answer(&message, *id, verifier, unix_time),
                Phase::Transfer { kind, client } => {
                    let kind = *kind;
                    match client.handle_message(&message, unix_time) {
                        Ok(Progress::More) => Step::Wait,
                        Ok(Progress::Done(outcome)) => Step::Transferred {
                            kind,
                            outcome,
                            messages: client.messages(),
                        },
                        Err(error) => Step::Failed(SessionError::Transfer { kind, error }),
                    }
                }
                Phase::Done => Step::Wait,
            };
            if !matches!(step, Step::Wait) {
                return self.finish(step);
            }
        }
    }

    fn finish(&mut self, step: Step) -> Step {
        self.phase = Phase::Done;
        step
    }

    /// The answer to the SOA query: up to date, or the transfer request.
    fn soa_answer(&mut self, message: &[u8], current: Option<&Zone>, unix_time: u64) -> Step {
        let Phase::Soa {
            id,
            verifier,
            transfer_id,
        } = &mut self.phase
        else {
            return Step::Wait;
        };
        let Ok(header) = Header::parse(message) else {
            return Step::Failed(SessionError::Malformed("shorter than a header"));
        };
        if header.id != *id || !header.is_response() || header.opcode() != opcode::QUERY {
            // Not ours (RFC 7766 allows nothing else on this connection).
            return Step::Failed(SessionError::Malformed(
                "a message that does not answer our SOA query",
            ));
        }
        let theirs = match soa_answer_serial(message, &self.zone, verifier, unix_time) {
            Ok(serial) => serial,
            Err(error) => return Step::Failed(error),
        };
        let transfer_id = *transfer_id;
        let (kind, client, request) = match current {
            Some(zone) => {
                let ours = zone.serial();
                match theirs.partial_cmp(&ours) {
                    Some(Ordering::Greater) => {}
                    Some(Ordering::Equal) => return Step::UpToDate { serial: theirs },
                    // Older, or exactly 2^31 away (RFC 1982: undefined).
                    _ => return Step::Failed(SessionError::SerialBackwards { ours, theirs }),
                }
                let (client, request) = XfrClient::ixfr(
                    zone,
                    transfer_id,
                    Transport::Tcp,
                    Some(&self.key),
                    unix_time,
                );
                (Kind::Ixfr, client, request)
            }
            None => {
                let (client, request) = XfrClient::axfr(
                    self.zone.clone(),
                    transfer_id,
                    None,
                    Some(&self.key),
                    unix_time,
                );
                (Kind::Axfr, client, request)
            }
        };
        let client = client.with_limits(self.limits);
        self.phase = Phase::Transfer { kind, client };
        self.queue(&request);
        Step::Wait
    }
}

/// A signed SOA query for `zone` (the root: a root key's subscription)
/// with ID `id`, and the verifier of its answer.
pub fn soa_query(zone: &Name, key: &Key, id: u16, unix_time: u64) -> (Vec<u8>, ResponseVerifier) {
    let mut query = MessageBuilder::new(id, 0);
    query
        .question(zone, RecordType::SOA, class::IN)
        .expect("a question fits an empty message");
    let mut query = query.finish();
    let mac = tsig::sign_request(&mut query, key, unix_time);
    (query, ResponseVerifier::new(key.clone(), &mac))
}

/// The primary's serial of `zone` from the answer to our SOA query (its
/// ID already matched): signed (verified by `verifier`), NOERROR,
/// authoritative, for our question, with the zone's SOA.
pub fn soa_answer_serial(
    message: &[u8],
    zone: &Name,
    verifier: &mut ResponseVerifier,
    unix_time: u64,
) -> Result<Serial, SessionError> {
    let header =
        Header::parse(message).map_err(|_| SessionError::Malformed("shorter than a header"))?;
    verifier
        .verify(message, unix_time)
        .and_then(|_| verifier.finish())
        .map_err(SessionError::SoaTsig)?;
    if header.rcode() != rcode::NOERROR {
        return Err(SessionError::SoaRcode(header.rcode()));
    }
    if header.flags & flags::AA == 0 {
        return Err(SessionError::NotAuthoritative);
    }
    let parsed = Message::parse(message)
        .map_err(|_| SessionError::Malformed("the SOA answer does not parse"))?;
    let asked = parsed
        .questions
        .first()
        .is_some_and(|q| q.name == *zone && q.qtype == RecordType::SOA);
    if !asked {
        return Err(SessionError::Malformed(
            "the SOA answer is for another question",
        ));
    }
    parsed
        .answers
        .iter()
        .find(|r| r.rtype == RecordType::SOA && r.owner == *zone && r.class == class::IN)
        .and_then(|r| soa_serial(&r.rdata))
        .ok_or(SessionError::NoSoa)
}

/// The answer to our SOA query for the root: signed by the primary and
/// NOERROR (it is not authoritative for the root, and need not be).
pub(crate) fn root_answer(
    message: &[u8],
    id: u16,
    verifier: &mut ResponseVerifier,
    unix_time: u64,
) -> Step {
    let Ok(header) = Header::parse(message) else {
        return Step::Failed(SessionError::Malformed("shorter than a header"));
    };
    if header.id != id || !header.is_response() || header.opcode() != opcode::QUERY {
        return Step::Failed(SessionError::Malformed(
            "a message that does not answer our SOA query",
        ));
    }
    if let Err(error) = verifier
        .verify(message, unix_time)
        .and_then(|_| verifier.finish())
    {
        return Step::Failed(SessionError::SoaTsig(error));
    }
    match header.rcode() {
        rcode::NOERROR => Step::Subscribed,
        other => Step::Failed(SessionError::SoaRcode(other)),
    }
}

/// Whether `message` is a NOTIFY request (RFC 1996), not an answer.
fn is_notify_request(message: &[u8]) -> bool {
    Header::parse(message).is_ok_and(|h| !h.is_response() && h.opcode() == opcode::NOTIFY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use dns_keys::KeyStore;
    use dns_xfr::{Handled, Journal};
    use tsig::Algorithm;

    const NOW: u64 = 1_700_000_000;

    fn name(s: &str) -> Name {
        s.parse().expect("a name")
    }

    fn key() -> Key {
        Key::new(
            name("10.53.0.1.10.53.0.2._transfer.example.com."),
            Algorithm::HmacSha256,
            vec![7; 32],
        )
    }

    fn zone(serial: u32, extra: &str) -> Zone {
        let text = alloc::format!(
            "$TTL 300\n@ SOA ns1 host {serial} 10 2 30 60\n@ NS ns1\nns1 A 10.53.0.1\n{extra}"
        );
        Zone::parse(text.as_bytes(), name("example.com."))
            .expect("a valid zone")
            .0
    }

    /// A primary in memory: answers SOA queries from `zone` and transfers
    /// from it and its journal, signing with `key`, as our own server does.
    struct Primary {
        zone: Zone,
        journal: Journal,
        keys: KeyStore,
    }

    impl Primary {
        fn new(zone: Zone) -> Primary {
            let mut keys = KeyStore::new();
            keys.insert(key());
            Primary {
                zone,
                journal: Journal::default(),
                keys,
            }
        }

        fn change(&mut self, new: Zone) {
            self.journal.push(self.zone.diff(&new));
            self.zone = new;
        }

        /// Every framed answer to the framed requests in `requests`.
        fn answer(&self, requests: &[u8]) -> Vec<u8> {
            let mut framer = TcpFramer::new(MAX_TCP_MESSAGE);
            framer.push(requests);
            let mut out = Vec::new();
            while let Ok(Some(request)) = framer.next_message() {
                for message in self.answer_one(&request) {
                    out.extend_from_slice(&frame(&message).unwrap());
                }
            }
            out
        }

        fn answer_one(&self, request: &[u8]) -> Vec<Vec<u8>> {
            let find = |apex: &Name| {
                (apex == self.zone.origin()).then_some((&self.zone, Some(&self.journal)))
            };
            match dns_xfr::handle(request, NOW, Transport::Tcp, &self.keys, find) {
                Handled::Transfer(mut responder) => {
                    let mut out = Vec::new();
                    while let Some(m) = responder.next_message(NOW) {
                        out.push(m);
                    }
                    out
                }
                Handled::Respond { response, .. } => vec![response],
                Handled::NotTransfer => vec![self.soa_answer(request)],
                _ => Vec::new(),
            }
        }

        /// An authoritative SOA answer, signed.
        fn soa_answer(&self, request: &[u8]) -> Vec<u8> {
            let signed = tsig::verify_request(request, &self.keys, NOW)
                .expect("a valid signature")
                .expect("signed");
            let header = Header::parse(request).unwrap();
            let mut b = MessageBuilder::new(header.id, flags::QR | flags::AA);
            b.question(self.zone.origin(), RecordType::SOA, class::IN)
                .unwrap();
            let soa = self.zone.soa();
            b.record(
                dns_wire::Section::Answer,
                self.zone.origin(),
                RecordType::SOA,
                class::IN,
                soa.ttl(),
                soa.first().as_bytes(),
            )
            .unwrap();
            let mut answer = b.finish();
            signed.response_signer().sign(&mut answer, NOW);
            answer
        }
    }

    /// Runs `session` against `primary`, at most a few round trips.
    fn drive(session: &mut Session, primary: &Primary, current: Option<&Zone>) -> Step {
        for _ in 0..4 {
            let requests = session.output().to_vec();
            session.consume_output(requests.len());
            let answers = primary.answer(&requests);
            match session.input(&answers, current, NOW) {
                Step::Wait => continue,
                done => return done,
            }
        }
        panic!("no result after four round trips");
    }

    #[test]
    fn first_load_is_soa_then_axfr() {
        let primary = Primary::new(zone(5, "www A 192.0.2.1\n"));
        let mut s = Session::check(name("example.com."), key(), 1, 2, NOW);
        match drive(&mut s, &primary, None) {
            Step::Transferred {
                kind: Kind::Axfr,
                outcome: Outcome::Full(z),
                ..
            } => assert_eq!(z, primary.zone),
            other => panic!("{other:?}"),
        }
    }

    /// A NOTIFY that the primary sends on the refresh connection (it
    /// notifies the clients of signed SOA queries) between its SOA answer
    /// and the transfer is skipped, not taken for a broken transfer.
    #[test]
    fn a_notify_on_the_refresh_connection_is_skipped() {
        let primary = Primary::new(zone(5, "www A 192.0.2.1\n"));
        let mut s = Session::check(name("example.com."), key(), 1, 2, NOW);
        let notify = dns_notify::notify_message(&primary.zone, 0x4242);
        let mut framed_notify = (notify.len() as u16).to_be_bytes().to_vec();
        framed_notify.extend_from_slice(&notify);
        let mut result = None;
        for round in 0..4 {
            let requests = s.output().to_vec();
            s.consume_output(requests.len());
            let mut answers = primary.answer(&requests);
            if round == 0 {
                // After the SOA answer, before the AXFR's.
                answers.extend_from_slice(&framed_notify);
            } else {
                answers.splice(0..0, framed_notify.iter().copied());
            }
            match s.input(&answers, None, NOW) {
                Step::Wait => continue,
                done => {
                    result = Some(done);
                    break;
                }
            }
        }
        match result {
            Some(Step::Transferred {
                kind: Kind::Axfr,
                outcome: Outcome::Full(z),
                ..
            }) => assert_eq!(z, primary.zone),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn same_serial_is_up_to_date() {
        let primary = Primary::new(zone(5, ""));
        let ours = zone(5, "");
        let mut s = Session::check(name("example.com."), key(), 1, 2, NOW);
        assert!(matches!(
            drive(&mut s, &primary, Some(&ours)),
            Step::UpToDate { serial: Serial(5) }
        ));
    }

    #[test]
    fn a_newer_serial_comes_by_ixfr_from_the_journal() {
        let ours = zone(5, "");
        let mut primary = Primary::new(ours.clone());
        primary.change(zone(6, "a TXT \"one\"\n"));
        primary.change(zone(7, "a TXT \"one\"\nb TXT \"two\"\n"));
        let mut s = Session::check(name("example.com."), key(), 1, 2, NOW);
        match drive(&mut s, &primary, Some(&ours)) {
            Step::Transferred {
                kind: Kind::Ixfr,
                outcome: outcome @ Outcome::Incremental(_),
                ..
            } => {
                let new = outcome.into_zone(Some(&ours)).unwrap().unwrap();
                assert_eq!(new, primary.zone);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_ixfr_answered_with_the_whole_zone_is_taken() {
        // No journal: our server answers the IXFR AXFR-style (RFC 1995 §4).
        let ours = zone(5, "");
        let primary = Primary::new(zone(9, "c A 192.0.2.3\n"));
        let mut s = Session::check(name("example.com."), key(), 1, 2, NOW);
        match drive(&mut s, &primary, Some(&ours)) {
            Step::Transferred {
                kind: Kind::Ixfr,
                outcome: Outcome::Full(z),
                ..
            } => assert_eq!(z, primary.zone),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_older_serial_at_the_primary_is_refused() {
        let ours = zone(8, "");
        let primary = Primary::new(zone(7, ""));
        let mut s = Session::check(name("example.com."), key(), 1, 2, NOW);
        match drive(&mut s, &primary, Some(&ours)) {
            Step::Failed(e @ SessionError::SerialBackwards { .. }) => {
                assert!(!e.axfr_may_help())
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_wrong_key_fails_the_soa_check() {
        let primary = Primary::new(zone(5, ""));
        let wrong = Key::new(key().name().clone(), Algorithm::HmacSha256, vec![8; 32]);
        let mut s = Session::check(name("example.com."), wrong, 1, 2, NOW);
        // The primary refuses our signature: its BADSIG answer is unsigned.
        let requests = s.output().to_vec();
        let mut framer = TcpFramer::new(MAX_TCP_MESSAGE);
        framer.push(&requests);
        let request = framer.next_message().unwrap().unwrap();
        let refusal = match tsig::verify_request(&request, &primary.keys, NOW) {
            Err(error) => error.response(&request, NOW),
            Ok(_) => panic!("the primary should refuse the wrong key"),
        };
        match s.input(&frame(&refusal).unwrap(), None, NOW) {
            Step::Failed(SessionError::SoaTsig(_)) => {}
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_flipped_byte_of_a_transfer_is_rejected_or_harmless() {
        // A tampered message must never yield a zone other than the
        // primary's: TSIG covers every octet.
        let primary = Primary::new(zone(5, "www A 192.0.2.1\nmail MX 10 www\n"));
        let mut s = Session::check(name("example.com."), key(), 1, 2, NOW);
        let soa = primary.answer(s.output());
        let n = s.output().len();
        s.consume_output(n);
        assert!(matches!(s.input(&soa, None, NOW), Step::Wait));
        let transfer = primary.answer(s.output());
        for at in 2..transfer.len() {
            let mut s = Session::check(name("example.com."), key(), 1, 2, NOW);
            assert!(matches!(s.input(&soa, None, NOW), Step::Wait));
            let mut tampered = transfer.clone();
            tampered[at] ^= 0x20;
            match s.input(&tampered, None, NOW) {
                Step::Failed(_) | Step::Wait => {}
                Step::Transferred {
                    outcome: Outcome::Full(z),
                    ..
                } => assert_eq!(z, primary.zone, "a flip at {at} changed the zone"),
                other => panic!("flip at {at}: {other:?}"),
            }
        }
    }

    #[test]
    fn refusals_of_ixfr_allow_an_axfr_but_bad_signatures_do_not() {
        let refused = SessionError::Transfer {
            kind: Kind::Ixfr,
            error: XfrError::Rcode(rcode::NOTIMP),
        };
        assert!(refused.axfr_may_help());
        let bad_sig = SessionError::Transfer {
            kind: Kind::Ixfr,
            error: XfrError::Tsig(ResponseError::BadSig),
        };
        assert!(!bad_sig.axfr_may_help());
        let axfr = SessionError::Transfer {
            kind: Kind::Axfr,
            error: XfrError::Rcode(rcode::NOTIMP),
        };
        assert!(!axfr.axfr_may_help());
    }

    #[test]
    fn the_axfr_fallback_starts_with_the_transfer() {
        let primary = Primary::new(zone(6, "x A 192.0.2.6\n"));
        let mut s = Session::axfr(name("example.com."), key(), 3, Some(Serial(5)), NOW);
        match drive(&mut s, &primary, None) {
            Step::Transferred {
                kind: Kind::Axfr,
                outcome: Outcome::Full(z),
                ..
            } => assert_eq!(z, primary.zone),
            other => panic!("{other:?}"),
        }
    }
}
