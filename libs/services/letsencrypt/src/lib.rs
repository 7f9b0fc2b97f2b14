//! The brain of the letsencrypt unikernel (OCaml-DNS's
//! `dns-letsencrypt-secondary`), sans-IO, `no_std` + `alloc`: a hidden
//! secondary that finds certificate signing requests published in its
//! zones, orders certificates for them by ACME dns-01 and publishes the
//! certificates back into DNS by signed UPDATE.
//!
//! # Layers
//!
//! - [`x509`]: reading a CSR (its self-signature checked: P-256, P-384,
//!   RSA) and a certificate: key, host names, validity.
//! - [`scan`]: the OCaml-DNS TLSA conventions (`_letsencrypt._tcp.<host>`:
//!   CSR `TLSA 3 255 0`, certificate `TLSA 3 0 0`, chain `TLSA 2 0 0`,
//!   TTL 3600) and the decision per name ([`scan::assess`]).
//! - [`messages`]: the UPDATEs (add and remove the dns-01 TXT records,
//!   publish a certificate) and the TXT query that checks the primary
//!   serves a challenge.
//! - [`backoff`]: exponential backoff with jitter per name.
//! - [`manager`]: the [`Manager`], which drives one [`acme::Client`] and
//!   all of the above from the caller's inputs and clock; its module docs
//!   say how to drive it.
//! - [`resolver`]: a stub resolver (A/AAAA query and answer) for
//!   [`Config::resolver`], to find the ACME server.
//! - [`config`]: the [`Config`] (built by the unikernel from its boot
//!   arguments, OCaml-DNS's names) and the checks of its parts.
//!
//! The caller (the unikernel) owns the sockets, the HTTPS client, the
//! secondary that transfers the zones (it calls [`Manager::zone_changed`])
//! and the clocks.
//!
//! # Panics
//!
//! Zones, CSRs, certificates and every message come from outside: nothing
//! here panics on them. The remaining `expect`s state invariants.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]
// Errors and actions carry names (a hickory `Name` is about 80 octets)
// and requests; boxing them would only obscure the API.
#![allow(clippy::result_large_err, clippy::large_enum_variant)]

extern crate alloc;

pub mod backoff;
pub mod config;
pub mod manager;
pub mod messages;
pub mod resolver;
pub mod scan;
pub mod time;
pub mod x509;

pub use config::Config;
pub use manager::{Action, Level, LogLine, Manager, ManagerConfig, OrderId};
pub use time::Now;

use dns_zone::Name;

/// `text` as an absolute domain name (with or without the final dot).
pub fn parse_name(text: &str) -> Option<Name> {
    if text.is_empty() {
        return None;
    }
    let mut wire = alloc::vec::Vec::new();
    dns_zone::name::parse_name(text.as_bytes(), &Name::root(), &mut wire).ok()
}

/// The host and port of an `https://` URL (`[…]` around an IPv6 literal
/// is removed; the port defaults to 443).
pub fn url_host_port(url: &str) -> Option<(&str, u16)> {
    let rest = url.strip_prefix("https://")?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let authority = authority.rsplit('@').next()?;
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (host, after) = v6.split_once(']')?;
        match after.strip_prefix(':') {
            Some(port) => (host, port.parse().ok()?),
            None if after.is_empty() => (host, 443),
            None => return None,
        }
    } else {
        match authority.split_once(':') {
            Some((host, port)) => (host, port.parse().ok()?),
            None => (authority, 443),
        }
    };
    (!host.is_empty()).then_some((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host_port("https://acme-v02.api.letsencrypt.org/directory"),
            Some(("acme-v02.api.letsencrypt.org", 443))
        );
        assert_eq!(
            url_host_port("https://127.0.0.1:14000/dir"),
            Some(("127.0.0.1", 14000))
        );
        assert_eq!(
            url_host_port("https://[::1]:14000/dir"),
            Some(("::1", 14000))
        );
        assert_eq!(
            url_host_port("https://[2001:db8::1]/"),
            Some(("2001:db8::1", 443))
        );
        assert_eq!(
            url_host_port("https://ca.example"),
            Some(("ca.example", 443))
        );
        assert_eq!(url_host_port("http://ca.example/"), None);
        assert_eq!(url_host_port("https://ca.example:port/"), None);
        assert_eq!(url_host_port("https:///dir"), None);
        assert_eq!(url_host_port("https://[::1/"), None);
    }

    #[test]
    fn names() {
        assert_eq!(
            parse_name("www.example.com"),
            parse_name("www.example.com.")
        );
        assert!(parse_name("www.example.com").unwrap().is_fqdn());
        assert_eq!(parse_name(""), None);
        assert_eq!(parse_name("a..b"), None);
    }
}
