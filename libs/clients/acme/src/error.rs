//! What can go wrong in an order, for the log.

use alloc::string::{String, ToString};
use alloc::sync::Arc;
use core::fmt;

use crate::key::KeyError;
use crate::pem::PemError;
use crate::problem::Problem;
use crate::resources::Status;

/// Why an order (or account registration) ended without a certificate.
/// Displayed, it is a log line for the operator.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The server refused a request with a problem document.
    Problem {
        /// What we asked for (e.g. `newOrder`).
        request: &'static str,
        /// HTTP status.
        status: u16,
        /// The server's problem document.
        problem: Problem,
    },
    /// The server answered with an error status and no problem document.
    Status {
        /// What we asked for.
        request: &'static str,
        /// HTTP status.
        status: u16,
    },
    /// A response could not be understood.
    Malformed {
        /// What we asked for.
        request: &'static str,
        /// What was wrong with it.
        reason: Malformation,
    },
    /// A response lacks a header field ACME requires.
    MissingHeader {
        /// What we asked for.
        request: &'static str,
        /// The header field.
        header: &'static str,
    },
    /// The server kept refusing our nonces.
    TooManyBadNonces(Problem),
    /// The account exists but is not usable (its status is not `valid`).
    AccountStatus(Status),
    /// An authorisation offers no dns-01 challenge.
    NoDns01Challenge {
        /// Its identifier.
        identifier: String,
    },
    /// An authorisation failed (the CA could not validate the name).
    AuthorizationFailed {
        /// Its identifier.
        identifier: String,
        /// Its status (`invalid`, `expired`, …).
        status: Status,
        /// The challenge's problem, if the server gave one.
        problem: Option<Problem>,
    },
    /// The order failed.
    OrderFailed {
        /// Its status.
        status: Status,
        /// The order's problem, if the server gave one.
        problem: Option<Problem>,
    },
    /// An authorisation or the order stayed pending for the whole polling
    /// budget ([`crate::ClientConfig::max_polls`]).
    PollLimit {
        /// What we polled.
        request: &'static str,
    },
    /// The certificate chain could not be read.
    Chain(PemError),
    /// The account key failed to sign.
    Key(KeyError),
    /// The caller used the client wrongly (a bug in the caller).
    Misuse(&'static str),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Problem {
                request,
                status,
                problem,
            } => write!(f, "{request} refused ({status}): {problem}"),
            Error::Status { request, status } => {
                write!(f, "{request} failed with HTTP status {status}")
            }
            Error::Malformed { request, reason } => {
                write!(f, "malformed response to {request}: {reason}")
            }
            Error::MissingHeader { request, header } => {
                write!(f, "the response to {request} has no {header} header")
            }
            Error::TooManyBadNonces(problem) => {
                write!(f, "the server refused every nonce we tried: {problem}")
            }
            Error::AccountStatus(status) => write!(f, "the ACME account is {status}"),
            Error::NoDns01Challenge { identifier } => {
                write!(
                    f,
                    "the authorisation of {identifier} offers no dns-01 challenge"
                )
            }
            Error::AuthorizationFailed {
                identifier,
                status,
                problem,
            } => {
                write!(f, "the authorisation of {identifier} is {status}")?;
                match problem {
                    Some(problem) => write!(f, ": {problem}"),
                    None => Ok(()),
                }
            }
            Error::OrderFailed { status, problem } => {
                write!(f, "the order is {status}")?;
                match problem {
                    Some(problem) => write!(f, ": {problem}"),
                    None => Ok(()),
                }
            }
            Error::PollLimit { request } => {
                write!(f, "gave up polling {request}: still not done")
            }
            Error::Chain(e) => write!(f, "bad certificate chain: {e}"),
            Error::Key(e) => write!(f, "account key: {e}"),
            Error::Misuse(what) => write!(f, "ACME client misused: {what}"),
        }
    }
}

impl From<KeyError> for Error {
    fn from(e: KeyError) -> Self {
        Error::Key(e)
    }
}

/// What was wrong with a response we could not understand.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Malformation {
    /// The body is not the JSON the request expects.
    Json(JsonError),
    /// A pending order lists no authorisation.
    PendingOrderWithoutAuthorizations,
    /// A valid order has no certificate URL.
    ValidOrderWithoutCertificate,
    /// The dns-01 challenge of an authorisation has no base64url token.
    NoToken {
        /// The identifier of the authorisation (`*.name` for a wildcard).
        identifier: String,
    },
    /// An order status that RFC 8555 does not give orders.
    UnknownOrderStatus(Status),
}

impl fmt::Display for Malformation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Malformation::Json(e) => e.fmt(f),
            Malformation::PendingOrderWithoutAuthorizations => {
                f.write_str("a pending order without authorisations")
            }
            Malformation::ValidOrderWithoutCertificate => {
                f.write_str("a valid order without a certificate URL")
            }
            Malformation::NoToken { identifier } => write!(
                f,
                "the dns-01 challenge of {identifier} has no base64url token"
            ),
            Malformation::UnknownOrderStatus(status) => {
                write!(f, "unknown order status \"{status}\"")
            }
        }
    }
}

/// A body that is not the JSON expected: `serde_json`'s error, shared so
/// that [`Error`] stays `Clone`. Two are equal when they say the same at
/// the same place.
#[derive(Debug, Clone)]
pub struct JsonError(Arc<serde_json::Error>);

impl JsonError {
    /// `serde_json`'s error.
    pub fn get(&self) -> &serde_json::Error {
        &self.0
    }
}

impl From<serde_json::Error> for JsonError {
    fn from(e: serde_json::Error) -> Self {
        JsonError(Arc::new(e))
    }
}

impl fmt::Display for JsonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for JsonError {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
            || (self.0.classify() == other.0.classify()
                && self.0.line() == other.0.line()
                && self.0.column() == other.0.column()
                && self.0.to_string() == other.0.to_string())
    }
}

impl Eq for JsonError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_responses_read_as_sentences() {
        let json: JsonError = serde_json::from_slice::<u32>(b"[1").unwrap_err().into();
        let error = Error::Malformed {
            request: "order",
            reason: Malformation::Json(json.clone()),
        };
        assert_eq!(
            error,
            Error::Malformed {
                request: "order",
                reason: Malformation::Json(json)
            }
        );
        assert!(error
            .to_string()
            .starts_with("malformed response to order: invalid type"));
        let unknown = Malformation::UnknownOrderStatus(Status::parse("revoked"));
        assert_eq!(unknown.to_string(), "unknown order status \"revoked\"");
        assert_eq!(Status::parse("weird"), Status::Other("weird".into()));
        assert_eq!(Status::parse("weird").to_string(), "weird");
        assert_eq!(
            Error::AccountStatus(Status::parse("deactivated")).to_string(),
            "the ACME account is deactivated"
        );
    }
}
