//! Signing requests and responses (RFC 8945 §4.3, §5.3).

use alloc::vec::Vec;

use dns_wire::name::canonical_wire;
use dns_wire::{class, Header};

use crate::algorithm::MacContext;
use crate::key::Key;
use crate::record::{time48, Tsig};

/// The fudge we sign with: 300 seconds, as BIND, Knot and RFC 8945 §10
/// recommend.
pub const DEFAULT_FUDGE: u16 = 300;

/// The TSIG variables of RFC 8945 §4.3.3, in the order the MAC covers them.
pub(crate) struct Variables<'a> {
    pub key_name: &'a [u8],
    pub ttl: u32,
    pub algorithm: &'a [u8],
    pub time_signed: u64,
    pub fudge: u16,
    pub error: u16,
    pub other: &'a [u8],
}

/// Feeds the prior MAC (request MAC or previous message's), with its
/// length (RFC 8945 §4.3.1, §4.3.2).
pub(crate) fn feed_prior(ctx: &mut MacContext, mac: &[u8]) {
    ctx.update(&(mac.len() as u16).to_be_bytes());
    ctx.update(mac);
}

/// Feeds all TSIG variables (requests, and the first message of a
/// response), names in canonical form.
pub(crate) fn feed_variables(ctx: &mut MacContext, v: &Variables<'_>) {
    let mut algorithm = v.algorithm.to_vec();
    algorithm.make_ascii_lowercase();
    ctx.update(v.key_name);
    ctx.update(&class::ANY.to_be_bytes());
    ctx.update(&v.ttl.to_be_bytes());
    ctx.update(&algorithm);
    feed_timers(ctx, v.time_signed, v.fudge);
    ctx.update(&v.error.to_be_bytes());
    ctx.update(&(v.other.len() as u16).to_be_bytes());
    ctx.update(v.other);
}

/// Feeds only the timers (later messages of a multi-message response,
/// RFC 8945 §4.3.3 "TSIG Timers").
pub(crate) fn feed_timers(ctx: &mut MacContext, time_signed: u64, fudge: u16) {
    ctx.update(&time48(time_signed));
    ctx.update(&fudge.to_be_bytes());
}

/// What to sign with.
pub(crate) struct SignParams<'a> {
    pub time_signed: u64,
    pub fudge: u16,
    pub error: u16,
    pub other: &'a [u8],
    /// Only the timers (not the first message of a response).
    pub timers_only: bool,
}

/// Signs `msg` (which has no TSIG record yet) and appends the record;
/// `ctx` already holds the prior MAC and any unsigned messages before.
/// Returns the MAC.
pub(crate) fn sign_into(
    mut ctx: MacContext,
    msg: &mut Vec<u8>,
    key: &Key,
    p: &SignParams<'_>,
) -> Vec<u8> {
    ctx.update(msg);
    let key_name = canonical_wire(key.name());
    if p.timers_only {
        feed_timers(&mut ctx, p.time_signed, p.fudge);
    } else {
        feed_variables(
            &mut ctx,
            &Variables {
                key_name: &key_name,
                ttl: 0,
                algorithm: key.algorithm().wire_name(),
                time_signed: p.time_signed,
                fudge: p.fudge,
                error: p.error,
                other: p.other,
            },
        );
    }
    let mac = ctx.finalize();
    let original_id = Header::parse(msg).map(|h| h.id).unwrap_or(0);
    Tsig {
        key_name: key.name().clone(),
        algorithm: key.algorithm().wire_name().to_vec(),
        time_signed: p.time_signed,
        fudge: p.fudge,
        mac: mac.clone(),
        original_id,
        error: p.error,
        other: p.other.to_vec(),
        ttl: 0,
    }
    .append_to(msg);
    mac
}

/// Signs a request with `key` at `now` (seconds since the epoch) and the
/// default fudge; appends the TSIG record. Returns the MAC, which the
/// response is verified against ([`crate::ResponseVerifier::new`]).
pub fn sign_request(msg: &mut Vec<u8>, key: &Key, now: u64) -> Vec<u8> {
    sign_request_with(msg, key, now, DEFAULT_FUDGE)
}

/// As [`sign_request`] with an explicit fudge.
pub fn sign_request_with(msg: &mut Vec<u8>, key: &Key, now: u64, fudge: u16) -> Vec<u8> {
    let ctx = key.algorithm().mac(key.secret());
    sign_into(
        ctx,
        msg,
        key,
        &SignParams {
            time_signed: now,
            fudge,
            error: 0,
            other: &[],
            timers_only: false,
        },
    )
}

/// Signs the messages of a response: the first one with the request MAC
/// and all variables, every later one (zone transfers, RFC 8945 §5.3.1)
/// with the previous MAC and the timers only. We sign every message.
///
/// Obtained from a verified request ([`crate::SignedRequest::response_signer`])
/// or built from the key and the request MAC.
#[derive(Clone)]
pub struct StreamSigner {
    key: Key,
    /// Running MAC over the prior MAC and the messages left unsigned since.
    ctx: MacContext,
    first: bool,
    fudge: u16,
}

impl core::fmt::Debug for StreamSigner {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("StreamSigner")
            .field("key", &self.key)
            .field("first", &self.first)
            .finish()
    }
}

impl StreamSigner {
    /// A signer for the response to a request whose MAC was `request_mac`
    /// (as received: truncated if the request's was).
    pub fn new(key: Key, request_mac: Vec<u8>) -> Self {
        let ctx = Self::primed(&key, &request_mac);
        Self {
            key,
            ctx,
            first: true,
            fudge: DEFAULT_FUDGE,
        }
    }

    fn primed(key: &Key, prior_mac: &[u8]) -> MacContext {
        let mut ctx = key.algorithm().mac(key.secret());
        feed_prior(&mut ctx, prior_mac);
        ctx
    }

    /// Sets the fudge of the signatures.
    pub fn with_fudge(mut self, fudge: u16) -> Self {
        self.fudge = fudge;
        self
    }

    /// The key.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Octets [`StreamSigner::sign`] appends: what a message builder must
    /// leave free below its limit.
    pub fn reserve(&self) -> usize {
        self.key.tsig_len(0)
    }

    /// Signs the next message of the response at `now`.
    pub fn sign(&mut self, msg: &mut Vec<u8>, now: u64) {
        self.sign_with_error(msg, now, 0, &[]);
    }

    /// Signs the next message with a TSIG error and other data (BADTIME,
    /// BADTRUNC responses are signed, RFC 8945 §5.3.2).
    pub fn sign_with_error(&mut self, msg: &mut Vec<u8>, now: u64, error: u16, other: &[u8]) {
        let params = SignParams {
            time_signed: now,
            fudge: self.fudge,
            error,
            other,
            timers_only: !self.first,
        };
        let ctx = self.ctx.clone();
        let mac = sign_into(ctx, msg, &self.key, &params);
        self.ctx = Self::primed(&self.key, &mac);
        self.first = false;
    }

    /// Leaves `msg` (a later message of the stream, not the first)
    /// unsigned: the next signature covers it (RFC 8945 §5.3.1 allows up
    /// to 99 in a row; the last message must be signed). We sign every
    /// message ourselves; this exists to test verifiers against peers that
    /// do not.
    pub fn skip(&mut self, msg: &[u8]) {
        self.ctx.update(msg);
    }

    /// Signs the first message with explicit timers (a BADTIME response
    /// carries the request's time signed and fudge, RFC 8945 §5.2.3).
    pub(crate) fn sign_first_with(
        &mut self,
        msg: &mut Vec<u8>,
        time_signed: u64,
        fudge: u16,
        error: u16,
        other: &[u8],
    ) {
        let params = SignParams {
            time_signed,
            fudge,
            error,
            other,
            timers_only: false,
        };
        let ctx = self.ctx.clone();
        let mac = sign_into(ctx, msg, &self.key, &params);
        self.ctx = Self::primed(&self.key, &mac);
        self.first = false;
    }
}
