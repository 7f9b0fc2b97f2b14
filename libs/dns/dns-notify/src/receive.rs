//! Receiving a NOTIFY: TSIG, authorisation, the answer.

use alloc::vec::Vec;
use core::fmt;

use dns_keys::{Denied, KeyStore, Operation};
use dns_wire::{rcode, Name};
use tsig::RequestError as TsigError;

use crate::message::{notify_response, parse_notify, Notify, NotifyError};

/// What to do with a received NOTIFY.
#[derive(Debug)]
#[non_exhaustive]
pub enum Handled {
    /// Send nothing.
    Drop,
    /// Not a NOTIFY: not for this handler.
    NotNotify,
    /// Send this refusal.
    Respond {
        /// The response (signed when the request verified).
        response: Vec<u8>,
        /// Why.
        reason: HandleError,
    },
    /// A valid NOTIFY: send `response` (NOERROR) and act on it (refresh
    /// the zone: a secondary asks its primary; a git primary fetches).
    Notified {
        /// The notification.
        notify: Notify,
        /// The key that signed it (`None` if unsigned ones are allowed).
        key: Option<Name>,
        /// The answer.
        response: Vec<u8>,
    },
}

/// Why a NOTIFY was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum HandleError {
    /// The TSIG did not verify.
    Tsig(TsigError),
    /// Unsigned, and unsigned NOTIFYs are not accepted: REFUSED.
    Unsigned,
    /// Malformed: FORMERR.
    FormErr,
    /// A zone we do not serve: NOTAUTH.
    NotAuth(Name),
    /// The key may not notify this zone: REFUSED.
    Denied(Denied),
}

impl fmt::Display for HandleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Tsig(e) => write!(f, "TSIG: {e}"),
            Self::Unsigned => f.write_str("unsigned NOTIFY"),
            Self::FormErr => f.write_str("malformed NOTIFY"),
            Self::NotAuth(z) => write!(
                f,
                "NOTIFY for {}, a zone we do not serve",
                dns_zone::name::name_to_string(z)
            ),
            Self::Denied(d) => write!(f, "{d}"),
        }
    }
}

/// Handles a received NOTIFY at `now`. `serves` says whether we hold the
/// zone. With `allow_unsigned` false (the default of our servers), an
/// unsigned NOTIFY is REFUSED; a signed one needs a key that grants
/// [`Operation::Notify`] for the zone (update, transfer and notify keys
/// do). Answers to verified requests are signed.
pub fn handle(
    msg: &[u8],
    now: u64,
    keys: &KeyStore,
    allow_unsigned: bool,
    serves: impl FnOnce(&Name) -> bool,
) -> Handled {
    match parse_notify(msg) {
        Err(NotifyError::Drop) => return Handled::Drop,
        Err(NotifyError::NotNotify) => return Handled::NotNotify,
        _ => {}
    }
    let signed = match tsig::verify_request(msg, keys, now) {
        Ok(s) => s,
        Err(e) => {
            return Handled::Respond {
                response: e.response(msg, now),
                reason: HandleError::Tsig(e),
            }
        }
    };
    let respond = |rc: u16| {
        let mut r = notify_response(msg, rc);
        if let Some(s) = &signed {
            s.response_signer().sign(&mut r, now);
        }
        r
    };
    let stripped = match &signed {
        Some(s) => s.stripped(msg),
        None if allow_unsigned => msg.to_vec(),
        None => {
            return Handled::Respond {
                response: respond(rcode::REFUSED),
                reason: HandleError::Unsigned,
            }
        }
    };
    let notify = match parse_notify(&stripped) {
        Ok(n) => n,
        Err(_) => {
            return Handled::Respond {
                response: respond(rcode::FORMERR),
                reason: HandleError::FormErr,
            }
        }
    };
    if !serves(&notify.zone) {
        return Handled::Respond {
            response: respond(rcode::NOTAUTH),
            reason: HandleError::NotAuth(notify.zone),
        };
    }
    if let Some(s) = &signed {
        if let Err(d) = keys.authorise(s.key_name(), Operation::Notify, &notify.zone) {
            return Handled::Respond {
                response: respond(d.rcode()),
                reason: HandleError::Denied(d),
            };
        }
    }
    Handled::Notified {
        key: signed.as_ref().map(|s| s.key_name().clone()),
        response: respond(rcode::NOERROR),
        notify,
    }
}
