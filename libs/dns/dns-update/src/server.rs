//! The server side of a signed UPDATE (RFC 3007): TSIG, authorisation,
//! application, and the signed response sent once the change is durable.

use alloc::vec::Vec;

use dns_keys::{KeyStore, Operation};
use dns_wire::{flags, opcode, rcode, Header, Layout, Name};
use dns_zone::{Zone, ZoneDiff};
use tsig::{RequestError as TsigError, SignedRequest, StreamSigner};

use crate::apply::{apply, Applied};
use crate::error::Refusal;
use crate::request::{RequestError, UpdateRequest};

/// What to do with a received UPDATE.
#[derive(Debug)]
#[non_exhaustive]
pub enum Handled {
    /// Send nothing (not a request, or unreadable).
    Drop,
    /// Send this response now; the zone did not change. `reason` says why
    /// it was refused (`None`: NOERROR, nothing to change).
    Respond {
        /// The response (signed when the request was).
        response: Vec<u8>,
        /// Why it was refused, for the log.
        reason: Option<HandleError>,
    },
    /// The zone changed: make it durable (write, commit, push), install
    /// `change.new`, then send [`Change::response`]; if it could not be
    /// made durable, send [`Change::failure_response`] instead.
    Changed(Change),
}

/// Why an UPDATE was answered with an error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandleError {
    /// The TSIG did not verify (FORMERR or NOTAUTH with a TSIG error).
    Tsig(TsigError),
    /// Another opcode than UPDATE (NOTIMP).
    NotUpdate,
    /// Refused or failed by RFC 2136's rules, or by policy.
    Update(Refusal),
}

impl core::fmt::Display for HandleError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Tsig(e) => write!(f, "TSIG: {e}"),
            Self::NotUpdate => f.write_str("not an UPDATE"),
            Self::Update(refusal) => write!(f, "{refusal}"),
        }
    }
}

/// An applied change waiting to be made durable.
#[derive(Debug)]
pub struct Change {
    /// The zone's apex.
    pub zone: Name,
    /// The key that signed the update.
    pub key: Name,
    /// The new version of the zone (the old one is the zone the caller
    /// passed in; it is not copied).
    pub new: Zone,
    /// The changes, as an IXFR carries them (old SOA, deleted, new SOA,
    /// added).
    pub diff: ZoneDiff,
    /// The request, kept to apply it again on a newer zone ([`Change::rebase`]).
    request: UpdateRequest,
    skeleton: Vec<u8>,
    signer: StreamSigner,
}

/// What applying a pending change again on a newer zone gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rebased {
    /// The change applies: [`Change::new`] and [`Change::diff`] now build
    /// on the newer zone.
    Changed,
    /// The prerequisites hold but there is nothing left to change (the
    /// newer zone already has it): answer [`Change::response`].
    Unchanged,
    /// The prerequisites or rules now fail: answer
    /// [`Change::refusal_response`] with this.
    Refused(Refusal),
}

impl Change {
    /// The NOERROR response, signed at `now`.
    pub fn response(&self, now: u64) -> Vec<u8> {
        self.respond(rcode::NOERROR, now)
    }

    /// The SERVFAIL response for a change that could not be made durable.
    pub fn failure_response(&self, now: u64) -> Vec<u8> {
        self.respond(rcode::SERVFAIL, now)
    }

    /// The response for a change [`Rebased::Refused`] on a newer zone.
    pub fn refusal_response(&self, why: &Refusal, now: u64) -> Vec<u8> {
        self.respond(why.rcode(), now)
    }

    /// Applies the request again on `zone`, a newer version of the zone it
    /// was applied to (the copy in git moved while the change was being
    /// made durable): prerequisites are checked again, as if the request
    /// had arrived now (RFC 2136 §3.7 serialises updates this way).
    pub fn rebase(&mut self, zone: &Zone) -> Rebased {
        match apply(zone, &self.request) {
            Err(why) => Rebased::Refused(why),
            Ok(Applied::Unchanged) => Rebased::Unchanged,
            Ok(Applied::Changed { new, diff }) => {
                self.new = new;
                self.diff = diff;
                Rebased::Changed
            }
        }
    }

    fn respond(&self, rc: u16, now: u64) -> Vec<u8> {
        let mut out = self.skeleton.clone();
        set_rcode(&mut out, rc);
        self.signer.clone().sign(&mut out, now);
        out
    }
}

/// The response skeleton: ID, QR, opcode UPDATE, RD as received, the zone
/// section echoed, RCODE 0.
fn skeleton(msg: &[u8]) -> Vec<u8> {
    let (id, req_flags) = Header::parse(msg)
        .map(|h| (h.id, h.flags))
        .unwrap_or((0, 0));
    let flags = flags::QR | (req_flags & (flags::OPCODE_MASK | flags::RD));
    let (qd, zone): (u16, &[u8]) = match Layout::walk(msg) {
        Ok(l) => (l.header.counts[0], &msg[Header::LEN..l.question_end]),
        Err(_) => (0, &[]),
    };
    let mut out = Vec::with_capacity(Header::LEN + zone.len() + 128);
    Header {
        id,
        flags,
        counts: [qd, 0, 0, 0],
    }
    .write(&mut out);
    out.extend_from_slice(zone);
    out
}

fn set_rcode(msg: &mut [u8], rc: u16) {
    let f = u16::from_be_bytes([msg[2], msg[3]]) & !flags::RCODE_MASK | (rc & flags::RCODE_MASK);
    msg[2..4].copy_from_slice(&f.to_be_bytes());
}

fn respond(
    skel: &[u8],
    rc: u16,
    signed: Option<&SignedRequest>,
    now: u64,
    reason: Option<HandleError>,
) -> Handled {
    let mut response = skel.to_vec();
    set_rcode(&mut response, rc);
    if let Some(s) = signed {
        s.response_signer().sign(&mut response, now);
    }
    Handled::Respond { response, reason }
}

/// Handles one received UPDATE at `now` (seconds since the epoch):
///
/// 1. TSIG (RFC 8945): errors are answered as `tsig` prescribes; an
///    unsigned UPDATE is REFUSED (RFC 3007 §4: we accept signed updates
///    only).
/// 2. The zone section (FORMERR), the zone (`find_zone` by exact apex,
///    else NOTAUTH, RFC 2136 §3.1.2).
/// 3. Authorisation: the key must grant [`Operation::Update`] for the zone
///    (else REFUSED).
/// 4. [`apply`]: prerequisites, prescan, changes, serial.
///
/// Every answer to a verified request is signed with its key.
pub fn handle<'z>(
    msg: &[u8],
    now: u64,
    keys: &KeyStore,
    find_zone: impl FnOnce(&Name) -> Option<&'z Zone>,
) -> Handled {
    let Ok(header) = Header::parse(msg) else {
        return Handled::Drop;
    };
    if header.is_response() {
        return Handled::Drop;
    }
    let skel = skeleton(msg);
    if header.opcode() != opcode::UPDATE {
        return respond(
            &skel,
            rcode::NOTIMP,
            None,
            now,
            Some(HandleError::NotUpdate),
        );
    }
    let signed = match tsig::verify_request(msg, keys, now) {
        Ok(Some(s)) => s,
        Ok(None) => {
            let why = Refusal::Unsigned;
            return respond(
                &skel,
                why.rcode(),
                None,
                now,
                Some(HandleError::Update(why)),
            );
        }
        Err(e) => {
            let response = e.response(msg, now);
            return Handled::Respond {
                response,
                reason: Some(HandleError::Tsig(e)),
            };
        }
    };
    let refuse = |why: Refusal| {
        respond(
            &skel,
            why.rcode(),
            Some(&signed),
            now,
            Some(HandleError::Update(why)),
        )
    };
    let req = match UpdateRequest::parse(&signed.stripped(msg)) {
        Ok(r) => r,
        Err(RequestError::Refused(why)) => return refuse(why),
        Err(_) => return refuse(Refusal::FormErr("the message cannot be read")),
    };
    let Some(zone) = find_zone(&req.zone) else {
        return refuse(Refusal::NotAuth(req.zone.clone()));
    };
    if let Err(denied) = keys.authorise(signed.key_name(), Operation::Update, zone.origin()) {
        return refuse(Refusal::Denied(denied));
    }
    match apply(zone, &req) {
        Err(why) => refuse(why),
        Ok(Applied::Unchanged) => respond(&skel, rcode::NOERROR, Some(&signed), now, None),
        Ok(Applied::Changed { new, diff }) => Handled::Changed(Change {
            zone: zone.origin().clone(),
            key: signed.key_name().clone(),
            new,
            diff,
            request: req,
            skeleton: skel,
            signer: signed.response_signer(),
        }),
    }
}
