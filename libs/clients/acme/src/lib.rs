//! A sans-IO ACME client (RFC 8555) for solodns unikernels: `no_std` +
//! `alloc`, in the rustls / quinn-proto shape. The [`Client`] holds no IO
//! object and no clock: it hands the caller HTTP [`Request`]s to make and
//! takes the [`Response`]s back, with `now` passed in; the caller publishes
//! the dns-01 TXT records it is given and says when they are served.
//!
//! What it does, in RFC 8555's order: fetch the directory (§7.1.1), get a
//! nonce with `HEAD newNonce` (§7.2) and keep the `Replay-Nonce` of every
//! response, retrying a `badNonce` refusal with the fresh nonce that refusal
//! carries (§6.5, bounded by [`MAX_BAD_NONCE_RETRIES`]); find the account
//! with `onlyReturnExisting` and create it only if there is none (§7.3,
//! §7.3.1), its URL (the JWS `kid`) taken from `Location`; place an order
//! with `dns` identifiers, wildcards as `*.name` (§7.4, §7.1.3); read each
//! authorisation and compute its dns-01 record (RFC 8555 §8.4: key
//! authorisation `token.base64url(JWK thumbprint)`, RFC 7638, TXT value
//! base64url(SHA-256(key authorisation)) at `_acme-challenge.<name>`);
//! respond to the challenges, poll the authorisations and the order honouring
//! `Retry-After` (§7.5.1, §8.2), finalise with the CSR (§7.4) and download
//! the certificate chain (§7.4.2) as DER. Every read is POST-as-GET (§6.3).
//! Refusals are RFC 7807 problem documents, parsed into [`Problem`].
//!
//! Requests are JWS in the flattened JSON serialisation (RFC 7515 §7.2.2,
//! RFC 8555 §6.2), signed ES256 (default) or RS256 by an [`AccountKey`]
//! that is derived from a seed, so that one seed is one account across
//! restarts (see [`AccountKey::from_seed`]).
//!
//! JSON is `serde_json` with only its `alloc` feature and `serde` derive:
//! both build for `x86_64-unknown-none` with the soft-float configuration of
//! `.cargo/config.toml` (checked by `tests/no_std_build.rs`), so no parser of
//! our own is needed. `serde_json` returns an error for any malformed input
//! and bounds nesting depth (128), so a hostile server cannot make us panic
//! or overflow the stack.
//!
//! Drive a [`Client`] like this (see [`Client`] for the details):
//! 1. [`Client::start_order`] (or [`Client::register`] for the account only);
//! 2. call [`Client::poll`] and act on what it returns: make the HTTP
//!    request and pass the response to [`Client::handle_response`]; sleep
//!    until the instant it names; publish the TXT records and call
//!    [`Client::challenges_published`]; take the certificate chain;
//! 3. an `Err` from [`Client::handle_response`] ends the order (log it,
//!    back off, start again); the account stays known.

#![no_std]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

extern crate alloc;

mod b64;
mod client;
mod error;
mod http;
mod jws;
mod key;
mod pem;
mod problem;
mod resources;
mod time;

pub use client::{
    Certificate, Client, ClientConfig, Dns01Challenge, Poll, MAX_BAD_NONCE_RETRIES,
    MAX_POLL_INTERVAL,
};
pub use error::{Error, JsonError, Malformation};
pub use http::{Method, Request, Response};
pub use key::{AccountKey, Jwk, KeyError, KeyType, MAX_RSA_BITS, MIN_RSA_BITS};
pub use pem::{pem_chain_to_der, PemError};
pub use problem::{Problem, Subproblem};
pub use resources::{Identifier, Status};
pub use time::Instant;
