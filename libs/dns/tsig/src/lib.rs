//! TSIG, secret key transaction authentication for DNS (RFC 8945), over
//! raw message bytes. `no_std` + `alloc`.
//!
//! The MAC covers the message as sent with the TSIG record removed,
//! ARCOUNT decremented and the original ID in the header, followed by the
//! TSIG variables with the key and algorithm names in canonical form
//! (§4.3); a response's MAC also covers the request's MAC, and every later
//! message of a zone transfer covers the previous MAC, any unsigned
//! messages since, and only the timers (§5.3.1).
//!
//! # Use
//!
//! - Client: [`sign_request`] appends the TSIG record and returns the
//!   request MAC; a [`ResponseVerifier`] checks the response, message by
//!   message for a zone transfer, then [`ResponseVerifier::finish`].
//! - Server: [`verify_request`] returns `None` for an unsigned request,
//!   the [`SignedRequest`] (key, TSIG) when it verifies, or a
//!   [`RequestError`] whose [`RequestError::response`] is the answer to
//!   send (FORMERR; unsigned BADKEY/BADSIG; signed BADTIME with our time;
//!   signed BADTRUNC). [`SignedRequest::response_signer`] signs the answer,
//!   or every message of a transfer.
//!
//! Time is passed in as seconds since the epoch; keys are found through
//! [`KeyLookup`]. MACs are compared in constant time (`hmac`'s
//! `verify_truncated_left`).
//!
//! ```
//! use tsig::{sign_request, verify_request, Algorithm, Key, ResponseVerifier};
//! let key = Key::new("k.example.".parse().unwrap(), Algorithm::HmacSha256, b"secret".to_vec());
//! // A NOTIFY-like request: ID 7, opcode 4, no records.
//! let mut request = vec![0, 7, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0];
//! let request_mac = sign_request(&mut request, &key, 1_700_000_000);
//!
//! // The server verifies it and signs its answer.
//! let signed = verify_request(&request, &key, 1_700_000_010).unwrap().unwrap();
//! let mut response = vec![0, 7, 0xa4, 0, 0, 0, 0, 0, 0, 0, 0, 0];
//! signed.response_signer().sign(&mut response, 1_700_000_011);
//!
//! // The client checks the answer.
//! let mut v = ResponseVerifier::new(key, &request_mac);
//! v.verify(&response, 1_700_000_012).unwrap();
//! v.finish().unwrap();
//! ```
//!
//! # Panics
//!
//! Nothing here panics on a received message; the one `expect` states that
//! HMAC accepts keys of any length.

#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]
// Errors carry names and records (a hickory `Name` is about 80 octets)
// and travel on cold paths; boxing them would only obscure the API.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

extern crate alloc;

pub mod algorithm;
pub mod key;
pub mod record;
pub mod replay;
pub mod sign;
pub mod verify;

pub use algorithm::Algorithm;
pub use key::{Key, KeyLookup};
pub use record::{strip, FormatError, Located, Tsig, TYPE_TSIG};
pub use replay::{ReplayCache, Seen, MAX_FUDGE};
pub use sign::{sign_request, sign_request_with, StreamSigner, DEFAULT_FUDGE};
pub use verify::{
    verify_request, verify_request_with, Policy, RequestError, ResponseError, ResponseVerifier,
    SignedRequest, Verified, MAX_UNSIGNED,
};
