//! Signed control requests (UPDATE, NOTIFY, AXFR/IXFR) are acted on once:
//! the MAC of every verified one is remembered for its time window
//! ([`tsig::ReplayCache`]), so that a captured request played again
//! changes nothing.
//!
//! The same MAC again is either a client's retransmission (nsupdate resends
//! an UPDATE over UDP after 3 s with the same bytes, BIND its NOTIFY) or a
//! replay. From the address and port the first copy came from it is taken
//! as a retransmission: dropped while the first is still being handled
//! (its answer follows), else answered with the answer the first got,
//! byte for byte, so the client sees its change acknowledged once.
//! From anywhere else it is a replay: NOTAUTH/BADTIME, signed, as RFC 8945
//! §5.2.3 answers a request not signed later than one already seen.
//! Either way nothing is applied twice. (BIND and Knot keep no such cache:
//! within the fudge they accept the same request again.)

use alloc::format;
use alloc::vec::Vec;
use core::net::SocketAddr;

use dns_keys::KeyStore;
use dns_wire::rcode;
use tsig::{ReplayCache, Seen};

/// Answers larger than this are not kept for retransmissions (UPDATE and
/// NOTIFY answers are a header, the zone and a TSIG: ~150 octets).
const MAX_KEPT_ANSWER: usize = 512;

/// What became of a request whose MAC was seen.
enum Answered {
    /// Still being handled (an UPDATE waiting to be made durable).
    Pending,
    /// Answered with this (a retransmission gets it again).
    Kept(Vec<u8>),
    /// Answered with several messages or a large one (a transfer): not
    /// kept, a retransmission is refused like a replay.
    NotKept,
}

struct First {
    from: SocketAddr,
    id: u16,
    answered: Answered,
}

/// What to do with a control request.
pub(crate) enum Verdict {
    /// Not seen before (or unsigned, or failing TSIG: its handler answers).
    Fresh,
    /// A retransmission: send the first answer again.
    Answer(Vec<u8>),
    /// A replay, or too many requests: send this refusal, log why.
    Refuse(Vec<u8>, alloc::string::String),
    /// A retransmission of a request still being handled: ignore it.
    Drop,
}

/// The signed BADTIME for a replay of `signed`, and the log line.
fn replay(signed: &tsig::SignedRequest, msg: &[u8], from: SocketAddr, now: u64) -> Verdict {
    let error = signed.replayed();
    Verdict::Refuse(error.response(msg, now), format!("from {from}: {error}"))
}

/// The replay cache of the control plane.
#[derive(Default)]
pub(crate) struct ReplayGuard {
    cache: ReplayCache<First>,
}

impl ReplayGuard {
    /// Checks the request `msg` from `from` at `now` and remembers it.
    pub(crate) fn check(
        &mut self,
        keys: &KeyStore,
        msg: &[u8],
        from: SocketAddr,
        now: u64,
    ) -> Verdict {
        let Ok(Some(signed)) = tsig::verify_request(msg, keys, now) else {
            return Verdict::Fresh;
        };
        let first = First {
            from,
            id: signed.tsig().original_id,
            answered: Answered::Pending,
        };
        match self
            .cache
            .check(&signed, tsig::replay::window(&signed), now, first)
        {
            Ok(Seen::New) => Verdict::Fresh,
            Ok(Seen::Again(first)) if first.from == from => match &first.answered {
                Answered::Pending => Verdict::Drop,
                Answered::Kept(answer) => Verdict::Answer(answer.clone()),
                Answered::NotKept => replay(&signed, msg, from, now),
            },
            Ok(Seen::Again(_)) => replay(&signed, msg, from, now),
            Err(full) => Verdict::Refuse(
                signed.error_response(msg, rcode::REFUSED, now),
                format!(
                    "refused a request from {from} signed by {}: {full}",
                    signed.key_name().to_ascii()
                ),
            ),
        }
    }

    /// Records the answers sent to a request (all of them: the first
    /// message of a transfer, or the one answer of an UPDATE or NOTIFY),
    /// found by the key and message ID its TSIG carries and, when known
    /// (UDP), the address it goes to.
    pub(crate) fn answered(&mut self, answers: &[Vec<u8>], to: Option<SocketAddr>) {
        let Some(first) = answers.first() else {
            return;
        };
        let Ok(Some(located)) = tsig::Tsig::locate(first) else {
            return;
        };
        let id = located.tsig.original_id;
        let kept = match answers {
            [one] if one.len() <= MAX_KEPT_ANSWER => Answered::Kept(one.clone()),
            _ => Answered::NotKept,
        };
        if let Some(first) = self.cache.find_mut(&located.tsig.key_name, |f| {
            f.id == id
                && matches!(f.answered, Answered::Pending)
                && to.is_none_or(|to| to == f.from)
        }) {
            first.answered = kept;
        }
    }

    /// Records that the request `msg` is answered by a streamed transfer:
    /// its answer is not kept, a retransmission is refused like a replay.
    pub(crate) fn streamed(&mut self, msg: &[u8], from: SocketAddr) {
        let Ok(Some(located)) = tsig::Tsig::locate(msg) else {
            return;
        };
        let id = located.tsig.original_id;
        if let Some(first) = self.cache.find_mut(&located.tsig.key_name, |f| {
            f.id == id && matches!(f.answered, Answered::Pending) && f.from == from
        }) {
            first.answered = Answered::NotKept;
        }
    }

    /// Forgets `msg` (it was dropped unhandled: a retransmission is new).
    pub(crate) fn forget(&mut self, keys: &KeyStore, msg: &[u8], now: u64) {
        if let Ok(Some(signed)) = tsig::verify_request(msg, keys, now) {
            self.cache.forget(&signed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    const NOW: u64 = 1_700_000_000;

    fn keys() -> (KeyStore, tsig::Key) {
        let key = dns_keys::parse_cli_key("admin._update.example.com:SHA256:c2VjcmV0c2VjcmV0")
            .expect("key");
        let mut keys = KeyStore::new();
        keys.insert(key.clone());
        (keys, key)
    }

    #[test]
    fn retransmissions_get_the_first_answer_replays_a_badtime() {
        let (keys, key) = keys();
        let mut msg = vec![0x12, 0x34, 0x28, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        tsig::sign_request(&mut msg, &key, NOW);
        let client: SocketAddr = "192.0.2.1:5000".parse().unwrap();
        let other: SocketAddr = "192.0.2.1:5001".parse().unwrap();
        let mut guard = ReplayGuard::default();
        assert!(matches!(
            guard.check(&keys, &msg, client, NOW),
            Verdict::Fresh
        ));
        // Still being handled: the retransmission is dropped.
        assert!(matches!(
            guard.check(&keys, &msg, client, NOW + 3),
            Verdict::Drop
        ));
        let answer = vec![0x12, 0x34, 0xa8, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let mut signed_answer = answer.clone();
        let signed = tsig::verify_request(&msg, &keys, NOW).unwrap().unwrap();
        signed.response_signer().sign(&mut signed_answer, NOW + 4);
        guard.answered(core::slice::from_ref(&signed_answer), Some(client));
        match guard.check(&keys, &msg, client, NOW + 6) {
            Verdict::Answer(a) => assert_eq!(a, signed_answer),
            _ => panic!("the first answer again"),
        }
        match guard.check(&keys, &msg, other, NOW + 7) {
            Verdict::Refuse(a, why) => {
                assert_eq!(a[3] & 0x0f, rcode::NOTAUTH as u8);
                assert!(why.contains("replay"), "{why}");
            }
            _ => panic!("a replay is refused"),
        }
        // Once the window closed the time check refuses it; the cache
        // forgot it.
        assert!(matches!(
            guard.check(&keys, &msg, other, NOW + 301),
            Verdict::Fresh
        ));
        guard.cache.expire(NOW + 301);
        assert!(guard.cache.is_empty());
    }
}
