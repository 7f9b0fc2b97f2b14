//! Verifying requests (RFC 8945 §5.2) and responses (§5.3.1, §5.4), and
//! the error responses a server sends (§5.3.2).

use alloc::vec::Vec;
use core::fmt;

use dns_wire::name::{canonical_wire, name_to_string};
use dns_wire::{flags, rcode, Header, Layout, Name};

use crate::algorithm::{Algorithm, MacContext};
use crate::key::{Key, KeyLookup};
use crate::record::{mac_header, time48, FormatError, Located, Tsig};
use crate::replay::MAX_FUDGE;
use crate::sign::{feed_prior, feed_timers, feed_variables, StreamSigner, Variables};

/// Local verification policy. The default accepts every truncation
/// RFC 8945 permits and the peer's fudge up to [`MAX_FUDGE`] (a peer
/// claiming more, up to 65 535 s, would otherwise widen the window in
/// which a captured message verifies again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Policy {
    /// Shortest MAC accepted, in octets; MACs that RFC 8945 §5.2.2.1
    /// permits but that are shorter than this (and than the full output)
    /// get BADTRUNC (§5.2.4). 0 accepts every permitted truncation.
    pub min_mac_len: usize,
    /// Upper bound on the fudge a peer may claim (`None`: the peer's fudge
    /// is taken as is, as RFC 8945 §5.2.3 says; default [`MAX_FUDGE`]).
    pub max_fudge: Option<u16>,
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            min_mac_len: 0,
            max_fudge: Some(MAX_FUDGE),
        }
    }
}

impl Policy {
    /// A policy refusing every truncated MAC (BADTRUNC).
    pub fn full_mac_only() -> Self {
        Self::default().with_min_mac_len(usize::MAX)
    }

    /// Sets [`Policy::min_mac_len`].
    pub fn with_min_mac_len(mut self, len: usize) -> Self {
        self.min_mac_len = len;
        self
    }

    /// Sets [`Policy::max_fudge`].
    pub fn with_max_fudge(mut self, fudge: u16) -> Self {
        self.max_fudge = Some(fudge);
        self
    }

    fn window(&self, fudge: u16) -> u64 {
        u64::from(self.max_fudge.map_or(fudge, |m| m.min(fudge)))
    }
}

/// Whether `now` is within `fudge` seconds of `time_signed`.
fn in_window(time_signed: u64, now: u64, window: u64) -> bool {
    now.abs_diff(time_signed) <= window
}

/// Feeds the message without its TSIG (original ID, ARCOUNT - 1).
fn feed_message(ctx: &mut MacContext, msg: &[u8], located: &Located) {
    ctx.update(&mac_header(msg, located.tsig.original_id));
    ctx.update(&msg[Header::LEN..located.start]);
}

fn full_variables<'a>(tsig: &'a Tsig, key_name: &'a [u8]) -> Variables<'a> {
    Variables {
        key_name,
        ttl: tsig.ttl,
        algorithm: &tsig.algorithm,
        time_signed: tsig.time_signed,
        fudge: tsig.fudge,
        error: tsig.error,
        other: &tsig.other,
    }
}

/// Whether the MAC length obeys RFC 8945 §5.2.2.1 (rules 1 and 3).
fn mac_len_allowed(alg: Algorithm, len: usize) -> bool {
    len <= alg.output_len() && len >= alg.min_mac_len()
}

/// A request whose TSIG verified.
#[derive(Debug, Clone)]
pub struct SignedRequest {
    key: Key,
    located: Located,
}

impl SignedRequest {
    /// The key that signed it.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The key name.
    pub fn key_name(&self) -> &Name {
        self.key.name()
    }

    /// The TSIG record of the request.
    pub fn tsig(&self) -> &Tsig {
        &self.located.tsig
    }

    /// The request without its TSIG record, ARCOUNT decremented.
    pub fn stripped(&self, msg: &[u8]) -> Vec<u8> {
        crate::record::strip(msg, &self.located)
    }

    /// The signer for the response (one message, or every message of a
    /// zone transfer).
    pub fn response_signer(&self) -> StreamSigner {
        StreamSigner::new(self.key.clone(), self.located.tsig.mac.clone())
    }

    /// A signed error answer to `request` (this request's bytes): its
    /// header (ID, opcode, RD) and question, QR and `rcode`, signed at `now`.
    pub fn error_response(&self, request: &[u8], rcode: u16, now: u64) -> Vec<u8> {
        let mut out = error_skeleton(request, rcode);
        self.response_signer().sign(&mut out, now);
        out
    }

    /// This request refused as a replay ([`RequestError::Replayed`]).
    pub fn replayed(&self) -> RequestError {
        RequestError::Replayed {
            key: self.key.clone(),
            tsig: self.located.tsig.clone(),
        }
    }
}

/// Why a request's TSIG was refused; [`RequestError::response`] is the
/// answer a server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum RequestError {
    /// Misplaced, repeated or malformed TSIG, or a MAC length outside the
    /// rules of RFC 8945 §5.2.2.1: FORMERR, no TSIG in the response.
    FormErr(FormatError),
    /// Unknown key, or an algorithm that is not the key's or not
    /// implemented: NOTAUTH/BADKEY, unsigned (§5.2.1).
    BadKey(Tsig),
    /// The MAC does not verify: NOTAUTH/BADSIG, unsigned (§5.2.2).
    BadSig(Tsig),
    /// Signed outside the time window: NOTAUTH/BADTIME, signed, with our
    /// time in the other data (§5.2.3).
    BadTime {
        /// The key (the MAC verified).
        key: Key,
        /// The request's TSIG.
        tsig: Tsig,
    },
    /// The MAC of a request already accepted within its time window (see
    /// [`crate::ReplayCache`]): NOTAUTH/BADTIME, signed, with our time, as
    /// for a request signed earlier than one already seen (§5.2.3).
    Replayed {
        /// The key (the MAC verified).
        key: Key,
        /// The request's TSIG.
        tsig: Tsig,
    },
    /// A truncated MAC shorter than our policy: NOTAUTH/BADTRUNC, signed
    /// (§5.2.4).
    BadTrunc {
        /// The key (the MAC verified).
        key: Key,
        /// The request's TSIG.
        tsig: Tsig,
    },
}

impl RequestError {
    /// The RCODE of the response.
    pub fn rcode(&self) -> u16 {
        match self {
            Self::FormErr(_) => rcode::FORMERR,
            _ => rcode::NOTAUTH,
        }
    }

    /// The TSIG error of the response, if it carries a TSIG record.
    pub fn tsig_error(&self) -> Option<u16> {
        match self {
            Self::FormErr(_) => None,
            Self::BadKey(_) => Some(rcode::BADKEY),
            Self::BadSig(_) => Some(rcode::BADSIG),
            Self::BadTime { .. } | Self::Replayed { .. } => Some(rcode::BADTIME),
            Self::BadTrunc { .. } => Some(rcode::BADTRUNC),
        }
    }

    /// The name of the key the request claimed, if it got that far.
    pub fn key_name(&self) -> Option<&Name> {
        match self {
            Self::FormErr(_) => None,
            Self::BadKey(t) | Self::BadSig(t) => Some(&t.key_name),
            Self::BadTime { tsig, .. }
            | Self::Replayed { tsig, .. }
            | Self::BadTrunc { tsig, .. } => Some(&tsig.key_name),
        }
    }

    /// The error response to `request` at `now`: the header (ID, opcode,
    /// RD) and question section of the request, QR, the RCODE, and the
    /// TSIG record the error calls for (none for FORMERR; unsigned for
    /// BADKEY and BADSIG; signed for BADTIME, with the request's time and
    /// fudge and our time as other data, and for BADTRUNC).
    pub fn response(&self, request: &[u8], now: u64) -> Vec<u8> {
        let mut out = error_skeleton(request, self.rcode());
        match self {
            Self::FormErr(_) => {}
            Self::BadKey(t) | Self::BadSig(t) => {
                let error = self.tsig_error().unwrap_or(rcode::BADSIG);
                Tsig {
                    key_name: t.key_name.clone(),
                    algorithm: t.algorithm.clone(),
                    time_signed: now,
                    fudge: t.fudge,
                    mac: Vec::new(),
                    original_id: t.original_id,
                    error,
                    other: Vec::new(),
                    ttl: 0,
                }
                .append_to(&mut out);
            }
            Self::BadTime { key, tsig } | Self::Replayed { key, tsig } => {
                let mut signer = StreamSigner::new(key.clone(), tsig.mac.clone());
                signer.sign_first_with(
                    &mut out,
                    tsig.time_signed,
                    tsig.fudge,
                    rcode::BADTIME,
                    &time48(now),
                );
            }
            Self::BadTrunc { key, tsig } => {
                let mut signer =
                    StreamSigner::new(key.clone(), tsig.mac.clone()).with_fudge(tsig.fudge);
                signer.sign_with_error(&mut out, now, rcode::BADTRUNC, &[]);
            }
        }
        out
    }
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FormErr(e) => write!(f, "malformed TSIG: {e}"),
            Self::BadKey(t) => write!(f, "unknown TSIG key {}", name_to_string(&t.key_name)),
            Self::BadSig(t) => write!(
                f,
                "TSIG MAC of key {} does not verify",
                name_to_string(&t.key_name)
            ),
            Self::BadTime { tsig, .. } => write!(
                f,
                "TSIG of key {} signed at {}, outside the fudge of {} s",
                name_to_string(&tsig.key_name),
                tsig.time_signed,
                tsig.fudge
            ),
            Self::Replayed { tsig, .. } => write!(
                f,
                "a replay of a request signed by key {} at {}, accepted before",
                name_to_string(&tsig.key_name),
                tsig.time_signed
            ),
            Self::BadTrunc { tsig, .. } => write!(
                f,
                "TSIG MAC of key {} truncated to {} octets",
                name_to_string(&tsig.key_name),
                tsig.mac.len()
            ),
        }
    }
}

/// The header and question of `request` as a response with `rcode`.
fn error_skeleton(request: &[u8], rc: u16) -> Vec<u8> {
    let (id, req_flags) = match Header::parse(request) {
        Ok(h) => (h.id, h.flags),
        Err(_) => (0, 0),
    };
    let flags =
        flags::QR | (req_flags & (flags::OPCODE_MASK | flags::RD)) | (rc & flags::RCODE_MASK);
    let (qd, question): (u16, &[u8]) = match Layout::walk(request) {
        Ok(l) => (l.header.counts[0], &request[Header::LEN..l.question_end]),
        Err(_) => (0, &[]),
    };
    let mut out = Vec::with_capacity(Header::LEN + question.len() + 128);
    Header {
        id,
        flags,
        counts: [qd, 0, 0, 0],
    }
    .write(&mut out);
    out.extend_from_slice(question);
    out
}

/// Verifies the TSIG of a request at `now` (seconds since the epoch) with
/// the default [`Policy`]. `Ok(None)`: the request is unsigned.
///
/// The checks run in the order of RFC 8945 §5.2: placement (FORMERR),
/// key (BADKEY), MAC length rules (FORMERR) and MAC (BADSIG), time
/// (BADTIME), truncation policy (BADTRUNC).
pub fn verify_request<K: KeyLookup + ?Sized>(
    msg: &[u8],
    keys: &K,
    now: u64,
) -> Result<Option<SignedRequest>, RequestError> {
    verify_request_with(msg, keys, now, &Policy::default())
}

/// As [`verify_request`] with an explicit policy.
pub fn verify_request_with<K: KeyLookup + ?Sized>(
    msg: &[u8],
    keys: &K,
    now: u64,
    policy: &Policy,
) -> Result<Option<SignedRequest>, RequestError> {
    let Some(located) = Tsig::locate(msg).map_err(RequestError::FormErr)? else {
        return Ok(None);
    };
    let tsig = &located.tsig;
    let alg = Algorithm::from_wire_name(&tsig.algorithm);
    let key = match (keys.find_key(&tsig.key_name), alg) {
        (Some(k), Some(a)) if k.algorithm() == a => k,
        _ => return Err(RequestError::BadKey(tsig.clone())),
    };
    let alg = key.algorithm();
    if !mac_len_allowed(alg, tsig.mac.len()) {
        return Err(RequestError::FormErr(FormatError::BadRecord));
    }
    let mut ctx = alg.mac(key.secret());
    feed_message(&mut ctx, msg, &located);
    let key_name = canonical_wire(&tsig.key_name);
    feed_variables(&mut ctx, &full_variables(tsig, &key_name));
    if !ctx.verify(&tsig.mac) {
        return Err(RequestError::BadSig(tsig.clone()));
    }
    if !in_window(tsig.time_signed, now, policy.window(tsig.fudge)) {
        return Err(RequestError::BadTime {
            key: key.clone(),
            tsig: tsig.clone(),
        });
    }
    if tsig.mac.len() < policy.min_mac_len.min(alg.output_len()) {
        return Err(RequestError::BadTrunc {
            key: key.clone(),
            tsig: tsig.clone(),
        });
    }
    Ok(Some(SignedRequest {
        key: key.clone(),
        located,
    }))
}

/// Why a response (or one message of a transfer) was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ResponseError {
    /// Misplaced, repeated or malformed TSIG, or a MAC length outside the
    /// rules.
    FormErr(FormatError),
    /// The first message of the response carries no TSIG (RFC 8945 §5.4).
    Unsigned,
    /// More than 99 unsigned messages in a row (RFC 8945 §5.3.1).
    TooManyUnsigned,
    /// The stream ended on an unsigned message.
    UnsignedEnd,
    /// Signed with another key or algorithm than the request.
    WrongKey,
    /// The MAC does not verify.
    BadSig,
    /// The response was signed outside the time window.
    BadTime {
        /// The time the response claims.
        time_signed: u64,
    },
    /// The server refused our request's TSIG: its TSIG error (BADKEY,
    /// BADSIG, BADTIME, BADTRUNC). BADKEY and BADSIG responses are
    /// unsigned, so this is unauthenticated information.
    Server {
        /// The TSIG error.
        error: u16,
        /// The server's time (BADTIME responses).
        server_time: Option<u64>,
    },
}

impl fmt::Display for ResponseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FormErr(e) => write!(f, "malformed TSIG in the response: {e}"),
            Self::Unsigned => f.write_str("the response is not signed"),
            Self::TooManyUnsigned => f.write_str("more than 99 unsigned messages in a row"),
            Self::UnsignedEnd => f.write_str("the last message of the response is not signed"),
            Self::WrongKey => f.write_str("the response is signed with another key"),
            Self::BadSig => f.write_str("the MAC of the response does not verify"),
            Self::BadTime { time_signed } => {
                write!(
                    f,
                    "the response was signed at {time_signed}, outside the time window"
                )
            }
            Self::Server { error, server_time } => {
                let name = rcode::name(*error).unwrap_or("unknown TSIG error");
                write!(f, "the server refused our signature: {name}")?;
                if let Some(t) = server_time {
                    write!(f, " (server time {t})")?;
                }
                Ok(())
            }
        }
    }
}

/// What [`ResponseVerifier::verify`] found in one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verified {
    /// The message is signed and verified.
    Signed,
    /// The message is unsigned; the next signed message covers it.
    Unsigned,
}

/// Most unsigned messages allowed between two signed ones (RFC 8945
/// §5.3.1: "at least every 100 envelopes").
pub const MAX_UNSIGNED: usize = 99;

/// Verifies the response to a signed request: one message, or every
/// message of a zone transfer, where a peer may leave up to 99 messages
/// unsigned between signed ones and the next MAC covers them
/// (RFC 8945 §5.3.1). Call [`ResponseVerifier::verify`] on each message in
/// order and [`ResponseVerifier::finish`] after the last.
#[derive(Clone)]
pub struct ResponseVerifier {
    key: Key,
    key_name: Vec<u8>,
    /// Running MAC over the prior MAC and the unsigned messages since.
    ctx: MacContext,
    first: bool,
    unsigned: usize,
    policy: Policy,
}

impl fmt::Debug for ResponseVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseVerifier")
            .field("key", &self.key)
            .field("first", &self.first)
            .field("unsigned", &self.unsigned)
            .finish()
    }
}

impl ResponseVerifier {
    /// A verifier for the response to a request signed by `key` with
    /// `request_mac` (what [`crate::sign_request`] returned).
    pub fn new(key: Key, request_mac: &[u8]) -> Self {
        let mut ctx = key.algorithm().mac(key.secret());
        feed_prior(&mut ctx, request_mac);
        Self {
            key_name: canonical_wire(key.name()),
            key,
            ctx,
            first: true,
            unsigned: 0,
            policy: Policy::default(),
        }
    }

    /// Sets the verification policy.
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Verifies the next message at `now`.
    pub fn verify(&mut self, msg: &[u8], now: u64) -> Result<Verified, ResponseError> {
        let Some(located) = Tsig::locate(msg).map_err(ResponseError::FormErr)? else {
            if self.first {
                return Err(ResponseError::Unsigned);
            }
            self.unsigned += 1;
            if self.unsigned > MAX_UNSIGNED {
                return Err(ResponseError::TooManyUnsigned);
            }
            self.ctx.update(msg);
            return Ok(Verified::Unsigned);
        };
        let tsig = &located.tsig;
        let alg = self.key.algorithm();
        if tsig.key_name != *self.key.name()
            || Algorithm::from_wire_name(&tsig.algorithm) != Some(alg)
        {
            if tsig.mac.is_empty() && tsig.error != 0 {
                return Err(ResponseError::Server {
                    error: tsig.error,
                    server_time: None,
                });
            }
            return Err(ResponseError::WrongKey);
        }
        if tsig.mac.is_empty() && tsig.error != 0 {
            // BADKEY / BADSIG: unsigned by design (RFC 8945 §5.3.2).
            return Err(ResponseError::Server {
                error: tsig.error,
                server_time: tsig.other_time(),
            });
        }
        if !mac_len_allowed(alg, tsig.mac.len()) {
            return Err(ResponseError::FormErr(FormatError::BadRecord));
        }
        let mut ctx = self.ctx.clone();
        feed_message(&mut ctx, msg, &located);
        if self.first {
            feed_variables(&mut ctx, &full_variables(tsig, &self.key_name));
        } else {
            feed_timers(&mut ctx, tsig.time_signed, tsig.fudge);
        }
        if !ctx.verify(&tsig.mac) {
            return Err(ResponseError::BadSig);
        }
        if tsig.error != 0 {
            return Err(ResponseError::Server {
                error: tsig.error,
                server_time: tsig.other_time(),
            });
        }
        if !in_window(tsig.time_signed, now, self.policy.window(tsig.fudge)) {
            return Err(ResponseError::BadTime {
                time_signed: tsig.time_signed,
            });
        }
        let mut next = alg.mac(self.key.secret());
        feed_prior(&mut next, &tsig.mac);
        self.ctx = next;
        self.first = false;
        self.unsigned = 0;
        Ok(Verified::Signed)
    }

    /// Checks that the stream ended on a signed message.
    pub fn finish(&self) -> Result<(), ResponseError> {
        if self.first {
            Err(ResponseError::Unsigned)
        } else if self.unsigned > 0 {
            Err(ResponseError::UnsignedEnd)
        } else {
            Ok(())
        }
    }

    /// Whether a signed message has been verified yet.
    pub fn started(&self) -> bool {
        !self.first
    }
}
