//! Why a request failed.

use alloc::string::String;
use core::fmt;
use core::time::Duration;

use crate::authenticator::CertificateRefusal;
use crate::http1::{HttpError, RequestError};
use crate::url::UrlError;

/// Why a request failed. Caller mistakes ([`HttpsError::Busy`],
/// [`HttpsError::Url`], [`HttpsError::Request`]) are returned by
/// [`crate::HttpsClient::start`]; the others come from
/// [`crate::HttpsClient::response`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum HttpsError {
    /// A request is already in flight (one at a time).
    Busy,
    /// The URL cannot be used.
    Url(UrlError),
    /// The request cannot be sent as it is.
    Request(RequestError),
    /// The caller could not open the TCP connection (its reason, in the
    /// words the caller gave [`crate::HttpsClient::connect_failed`]).
    Connect(String),
    /// The server's certificate was refused: what did not match.
    Certificate(CertificateRefusal),
    /// The TLS handshake or a record failed.
    Tls(rustls::Error),
    /// The wall-clock time was never set, so no certificate can be checked.
    ClockNotSet,
    /// The server sent more TLS bytes than [`crate::MAX_TLS_BUFFER`]
    /// without completing a record or handshake message.
    TlsBufferFull,
    /// The response is malformed or too large.
    Http(HttpError),
    /// The connection closed before any byte of the response.
    ClosedWithoutResponse,
    /// The body was delimited by the end of the connection, and the
    /// connection ended without TLS close_notify: it may be truncated.
    Truncated,
    /// No complete response within the request timeout.
    Timeout(Duration),
}

impl fmt::Display for HttpsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HttpsError::Busy => f.write_str("a request is already in flight"),
            HttpsError::Url(error) => error.fmt(f),
            HttpsError::Request(error) => error.fmt(f),
            HttpsError::Connect(reason) => write!(f, "cannot connect: {reason}"),
            HttpsError::Certificate(refusal) => refusal.fmt(f),
            HttpsError::Tls(error) => write!(f, "TLS: {error}"),
            HttpsError::ClockNotSet => {
                f.write_str("the wall-clock time is not set: certificates cannot be checked")
            }
            HttpsError::TlsBufferFull => write!(
                f,
                "the server sent more than {} bytes without completing a TLS record",
                crate::MAX_TLS_BUFFER
            ),
            HttpsError::Http(error) => error.fmt(f),
            HttpsError::ClosedWithoutResponse => {
                f.write_str("the server closed the connection without responding")
            }
            HttpsError::Truncated => f.write_str(
                "the connection ended without TLS close_notify inside a body delimited by \
                 the end of the connection: it may be truncated",
            ),
            HttpsError::Timeout(after) => {
                write!(f, "no complete response within {} s", after.as_secs())
            }
        }
    }
}

impl From<UrlError> for HttpsError {
    fn from(error: UrlError) -> Self {
        HttpsError::Url(error)
    }
}

impl From<RequestError> for HttpsError {
    fn from(error: RequestError) -> Self {
        HttpsError::Request(error)
    }
}

impl From<HttpError> for HttpsError {
    fn from(error: HttpError) -> Self {
        HttpsError::Http(error)
    }
}
