//! A sans-IO HTTPS/1.1 client for solodns unikernels: `no_std` + `alloc`,
//! in the rustls / quinn-proto shape. [`HttpsClient`] holds no socket and
//! no clock: the caller opens the TCP connection it asks for, moves bytes
//! both ways, and passes the time in. It carries libs/clients/acme's exchanges
//! (feature `acme`: `Request::from(acme::Request)`,
//! `acme::Response::from(Response)`).
//!
//! Layers, bottom up:
//! - [`Url`] (`url`): `https://host[:port]/path`, DNS names, IPv4 and
//!   bracketed IPv6 literals;
//! - HTTP/1.1 (`http1`, RFC 9112): [`encode_request`] writes `Host`,
//!   `User-Agent` (`solodns-letsencrypt` by default), `Connection:
//!   keep-alive`, `Content-Length` and the request's own fields (ACME's
//!   `Content-Type: application/jose+json`); [`ResponseParser`] reads the
//!   status line, header fields (compared without case), `Content-Length`
//!   and `chunked` bodies (extensions ignored, trailer fields kept apart),
//!   bodies delimited by the end of the connection, and skips 1xx;
//! - TLS: rustls 0.23 through its unbuffered API
//!   (`UnbufferedClientConnection`), TLS 1.3 and 1.2, ALPN `http/1.1`, SNI
//!   for DNS names only (an IP URL sends none and is checked against the
//!   certificate's IP addresses), no session resumption;
//! - server authentication ([`Authenticator`]): OCaml-DNS's
//!   `--tls-authenticator` strings `key-fp:…`, `cert-fp:…`,
//!   `trust-anchor:…`, by default the Let's Encrypt roots ISRG Root X1 and
//!   X2 (DER files in `roots/`, from Debian's ca-certificates). With a
//!   fingerprint the chain is not verified, only the pinned leaf (its
//!   validity period and name too), as OCaml's X509 does. A refusal says
//!   what did not match, e.g. `certificate of 10.0.0.1 does not match
//!   key-fp:SHA256:…: its key is SHA256:…`;
//! - [`HttpsClient`]: one request at a time, one connection kept alive
//!   per host and port, replaced when the host changes or the server
//!   closed it; a request that meets a kept-alive connection closed under
//!   it before any response byte is sent once more on a new connection;
//! - drivers: `NetstackTransport` (feature `netstack`) pumps it over
//!   libs/platform/netstack's `Sockets` from a unikernel's event loop;
//!   `BlockingClient` (feature `std`) over `std::net::TcpStream`.
//!
//! # Crypto: whose code
//!
//! All of it is crates; none is ours except the glue in `provider.rs`:
//! - TLS: `rustls` 0.23.46 (pinned: later majors may drop `no_std`),
//!   certificate paths and names: `rustls-webpki` 0.103 through rustls.
//! - Algorithms: `rustls-rustcrypto` 0.0.2-alpha, i.e. RustCrypto's
//!   `aes-gcm` 0.10, `chacha20poly1305` 0.10, `p256`/`p384` 0.13 (ECDH and
//!   ECDSA verification), `rsa` 0.9 (PKCS#1 v1.5 and PSS verification),
//!   `ed25519-dalek` 2, `sha2` 0.10, `hmac` 0.12 — the same generation as
//!   libs/clients/acme (p256 0.13, rsa 0.9, sha2 0.10), so an image holds one copy.
//! - Ours on top: randomness from `getrandom` 0.2 (the host's OS; in a
//!   unikernel the custom backend libs/platform/solo5 registers, its ChaCha20
//!   DRBG); X25519 with `x25519-dalek` 2 directly, refusing the all-zero
//!   shared secret (RFC 8446 §7.4.2), which rustls-rustcrypto does not
//!   check; ChaCha20-Poly1305 offered before AES-GCM (software AES and
//!   GHASH are the slow ones without AES-NI, which the images do not use).
//!
//! Evaluation of rustls-rustcrypto (2026-12): it builds for
//! `x86_64-unknown-none` with the workspace's soft-float configuration
//! (`.cargo/config.toml`, DESIGN.md §5; checked by `tests/no_std_build.rs`)
//! and interoperates with OpenSSL 3 and pebble over TLS 1.3 and 1.2 (the
//! tests here), so it is used rather than a provider of our own. Its
//! weaknesses, none of which matters for this client: it is an alpha
//! release; its key exchanges draw from `rand_core::OsRng` (getrandom 0.2,
//! the same source as ours) rather than the provider's `SecureRandom`; it
//! sets no confidentiality limit on AES-GCM keys (u64::MAX records; our
//! connections carry a few requests); `extract_keys` reports AES-128 keys
//! as AES-256 (only used for kernel TLS offload); RSA keys above 4096 bits
//! are refused by `rsa` 0.9 (no public CA uses them); it pulls
//! `rustls-webpki` 0.102 for its algorithm identifiers beside rustls'
//! 0.103 (constants only). RSA verification does not touch the timing
//! side channel of `rsa` 0.9 (RUSTSEC-2023-0071 concerns private-key
//! operations).
//!
//! # Cost (measured 2026-12)
//!
//! In a release Solo5 hvt image (`opt-level = "s"`, LTO): the echo test
//! unikernel has 147 KB of text; the same with an `HttpsClient` started
//! and fed (so the handshake, certificate checks and every cipher suite
//! are linked in) has 916 KB: about 770 KB for TLS, webpki, RSA, P-256,
//! P-384, Ed25519, X25519, AES-GCM and ChaCha20-Poly1305 together.
//!
//! # Retrying
//!
//! A request is sent a second time only when it went out on a reused
//! connection that then closed before any byte of the response came
//! (the server's idle timeout racing our request). For ACME's POSTs this
//! is safe: a JWS whose nonce the server did see is refused with
//! `badNonce`, which libs/clients/acme retries.
//!
//! # Limits
//!
//! Header block [`MAX_HEADER_BYTES`] (16 KiB), body [`MAX_BODY_BYTES`]
//! (1 MiB), [`MAX_HEADER_FIELDS`], [`MAX_CHUNK_LINE_BYTES`],
//! [`MAX_INTERIM_RESPONSES`], TLS bytes buffered [`MAX_TLS_BUFFER`]; each
//! exceeded limit is its own error. Nothing panics on what the peer sends:
//! every malformed input is an [`HttpsError`] (the response parser is
//! fuzzed: `fuzz/fuzz_targets/http_response.rs`).

#![no_std]
#![warn(missing_docs)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(feature = "acme")]
mod acme_glue;
mod authenticator;
#[cfg(feature = "std")]
mod blocking;
mod client;
mod error;
mod http1;
#[cfg(feature = "netstack")]
mod over_netstack;
mod provider;
mod url;
mod x509;

pub use authenticator::{
    Authenticator, AuthenticatorError, CertificateRefusal, FingerprintHash, RefusalReason,
    ISRG_ROOT_X1, ISRG_ROOT_X2,
};
#[cfg(feature = "std")]
pub use blocking::BlockingClient;
pub use client::{
    ClientConfig, HttpsClient, DEFAULT_REQUEST_TIMEOUT, DEFAULT_USER_AGENT, MAX_TLS_BUFFER,
};
pub use error::HttpsError;
pub use http1::{
    encode_request, HttpError, Method, Parsed, Request, RequestError, Response, ResponseParser,
    MAX_BODY_BYTES, MAX_CHUNK_LINE_BYTES, MAX_HEADER_BYTES, MAX_HEADER_FIELDS,
    MAX_INTERIM_RESPONSES,
};
#[cfg(feature = "netstack")]
pub use over_netstack::NetstackTransport;
pub use url::{Host, Url, UrlError, DEFAULT_PORT, MAX_URL_LEN};
