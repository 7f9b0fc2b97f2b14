//! What can go wrong in an order, for the log.

use alloc::string::String;
use core::fmt;

use crate::key::KeyError;
use crate::pem::PemError;
use crate::problem::Problem;

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
        reason: String,
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
    /// The account exists but is not usable.
    AccountStatus(String),
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
        status: String,
        /// The challenge's problem, if the server gave one.
        problem: Option<Problem>,
    },
    /// The order failed.
    OrderFailed {
        /// Its status.
        status: String,
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
