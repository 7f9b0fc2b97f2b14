//! `https://` URLs (RFC 3986 §3, RFC 9110 §4.2.2): the host to connect to,
//! its port and the request target. Nothing else is accepted: no other
//! scheme, no user information, no character that could end a request line.

use alloc::string::{String, ToString};
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The port of `https` when a URL names none (RFC 9110 §4.2.2).
pub const DEFAULT_PORT: u16 = 443;

/// Longest URL accepted, in bytes: ACME URLs are well under 200; the bound
/// keeps a hostile `Location` from growing the request line.
pub const MAX_URL_LEN: usize = 4096;

/// A server: a DNS name (lower case, without a trailing dot) or an IP
/// address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Host {
    /// A DNS name: sent as SNI and checked against the certificate's DNS
    /// names.
    Dns(String),
    /// An IP address: no SNI (RFC 6066 §3 allows only DNS names); checked
    /// against the certificate's IP addresses.
    Ip(IpAddr),
}

impl fmt::Display for Host {
    /// The host as in a URL authority (IPv6 in brackets).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Host::Dns(name) => f.write_str(name),
            Host::Ip(IpAddr::V4(ip)) => write!(f, "{ip}"),
            Host::Ip(IpAddr::V6(ip)) => write!(f, "[{ip}]"),
        }
    }
}

/// A parsed `https://` URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// Where to connect.
    pub host: Host,
    /// The TCP port.
    pub port: u16,
    /// The request target: path and query, at least `/`; no fragment.
    pub target: String,
}

/// Why a URL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum UrlError {
    /// Longer than [`MAX_URL_LEN`].
    TooLong(usize),
    /// Not `https://…` (the scheme it has, if any).
    NotHttps(String),
    /// A space, control character or non-ASCII byte (at this offset).
    BadCharacter(usize),
    /// `user@host` is not allowed.
    UserInfo,
    /// The host is empty.
    EmptyHost,
    /// The host is neither a DNS name nor an IP address.
    BadHost(String),
    /// The port is not a number from 1 to 65535.
    BadPort(String),
}

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UrlError::TooLong(len) => {
                write!(f, "URL of {len} bytes is longer than {MAX_URL_LEN}")
            }
            UrlError::NotHttps(scheme) if scheme.is_empty() => {
                f.write_str("URL has no scheme: it should start with https://")
            }
            UrlError::NotHttps(scheme) => {
                write!(f, "URL scheme is {scheme:?}: only https is supported")
            }
            UrlError::BadCharacter(at) => write!(
                f,
                "URL has a space, control or non-ASCII character at byte {at}"
            ),
            UrlError::UserInfo => f.write_str("URL has user information (user@host)"),
            UrlError::EmptyHost => f.write_str("URL has no host"),
            UrlError::BadHost(host) => {
                write!(
                    f,
                    "URL host {host:?} is neither a DNS name nor an IP address"
                )
            }
            UrlError::BadPort(port) => {
                write!(f, "URL port {port:?} is not a number from 1 to 65535")
            }
        }
    }
}

impl Url {
    /// Parses an absolute `https://` URL; the scheme and host are case
    /// insensitive, an empty path is `/`, a fragment is dropped.
    pub fn parse(text: &str) -> Result<Url, UrlError> {
        if text.len() > MAX_URL_LEN {
            return Err(UrlError::TooLong(text.len()));
        }
        if let Some(at) = text.bytes().position(|b| !(0x21..0x7f).contains(&b)) {
            return Err(UrlError::BadCharacter(at));
        }
        let Some((scheme, rest)) = text.split_once("://") else {
            return Err(UrlError::NotHttps(String::new()));
        };
        if !scheme.eq_ignore_ascii_case("https") {
            return Err(UrlError::NotHttps(scheme.to_string()));
        }
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        if authority.contains('@') {
            return Err(UrlError::UserInfo);
        }
        let (host_text, port_text) = split_host_port(authority)?;
        let host = parse_host(host_text)?;
        let port = match port_text {
            None | Some("") => DEFAULT_PORT,
            Some(p) => match p.parse::<u16>() {
                Ok(port) if port != 0 && p.bytes().all(|b| b.is_ascii_digit()) => port,
                _ => return Err(UrlError::BadPort(p.to_string())),
            },
        };
        let tail = tail.split('#').next().unwrap_or("");
        let target = if tail.is_empty() || tail.starts_with('?') {
            alloc::format!("/{tail}")
        } else {
            tail.to_string()
        };
        Ok(Url { host, port, target })
    }

    /// The `Host` header field value (RFC 9110 §7.2): the port only when
    /// it is not 443.
    pub fn authority(&self) -> String {
        if self.port == DEFAULT_PORT {
            self.host.to_string()
        } else {
            alloc::format!("{}:{}", self.host, self.port)
        }
    }
}

/// Splits `host[:port]`, with `[v6]` literals.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), UrlError> {
    if let Some(rest) = authority.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return Err(UrlError::BadHost(authority.to_string()));
        };
        return match after {
            "" => Ok((&authority[..v6.len() + 2], None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((&authority[..v6.len() + 2], Some(port))),
                None => Err(UrlError::BadHost(authority.to_string())),
            },
        };
    }
    Ok(match authority.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (authority, None),
    })
}

fn parse_host(text: &str) -> Result<Host, UrlError> {
    if text.is_empty() {
        return Err(UrlError::EmptyHost);
    }
    if let Some(v6) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        // Zone identifiers (RFC 6874) name a local interface: meaningless here.
        return v6
            .parse::<Ipv6Addr>()
            .map(|ip| Host::Ip(IpAddr::V6(ip)))
            .map_err(|_| UrlError::BadHost(text.to_string()));
    }
    if let Ok(ip) = text.parse::<Ipv4Addr>() {
        return Ok(Host::Ip(IpAddr::V4(ip)));
    }
    let name = text.strip_suffix('.').unwrap_or(text).to_ascii_lowercase();
    if is_dns_name(&name) {
        Ok(Host::Dns(name))
    } else {
        Err(UrlError::BadHost(text.to_string()))
    }
}

/// Letters, digits, hyphens and underscores in labels of 1 to 63 bytes,
/// at most 253 bytes, not all-numeric in the last label (that would be a
/// malformed IPv4 address).
fn is_dns_name(name: &str) -> bool {
    if name.is_empty() || name.len() > 253 {
        return false;
    }
    let labels_ok = name.split('.').all(|label| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    });
    let last_numeric = name
        .rsplit('.')
        .next()
        .is_some_and(|l| l.bytes().all(|b| b.is_ascii_digit()));
    labels_ok && !last_numeric
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn hosts_ports_and_targets() {
        let u = url("https://ACME-v02.api.LetsEncrypt.org/directory");
        assert_eq!(u.host, Host::Dns("acme-v02.api.letsencrypt.org".into()));
        assert_eq!((u.port, u.target.as_str()), (443, "/directory"));
        assert_eq!(u.authority(), "acme-v02.api.letsencrypt.org");

        let u = url("https://10.0.0.1:14000/dir");
        assert_eq!(u.host, Host::Ip("10.0.0.1".parse().unwrap()));
        assert_eq!((u.port, u.target.as_str()), (14000, "/dir"));
        assert_eq!(u.authority(), "10.0.0.1:14000");

        let u = url("HTTPS://[2001:db8::1]:8443?x=1#frag");
        assert_eq!(u.host, Host::Ip("2001:db8::1".parse().unwrap()));
        assert_eq!((u.port, u.target.as_str()), (8443, "/?x=1"));
        assert_eq!(u.authority(), "[2001:db8::1]:8443");

        let u = url("https://[::1]/a/b?c#d");
        assert_eq!((u.port, u.target.as_str()), (443, "/a/b?c"));
        assert_eq!(u.authority(), "[::1]");

        assert_eq!(
            url("https://example.org.").host,
            Host::Dns("example.org".into())
        );
        assert_eq!(url("https://example.org").target, "/");
        assert_eq!(url("https://example.org:/x").port, 443);
    }

    #[test]
    fn refusals() {
        let cases: &[(&str, UrlError)] = &[
            ("http://example.org/", UrlError::NotHttps("http".into())),
            ("example.org/", UrlError::NotHttps("".into())),
            ("https://user@example.org/", UrlError::UserInfo),
            ("https:///dir", UrlError::EmptyHost),
            ("https://:443/dir", UrlError::EmptyHost),
            ("https://example.org:0/", UrlError::BadPort("0".into())),
            (
                "https://example.org:65536/",
                UrlError::BadPort("65536".into()),
            ),
            ("https://example.org:+1/", UrlError::BadPort("+1".into())),
            ("https://exa mple.org/", UrlError::BadCharacter(11)),
            ("https://example.org/\r\nX: y", UrlError::BadCharacter(20)),
            ("https://[::1/", UrlError::BadHost("[::1".into())),
            ("https://[::1]x/", UrlError::BadHost("[::1]x".into())),
            (
                "https://[fe80::1%25eth0]/",
                UrlError::BadHost("[fe80::1%25eth0]".into()),
            ),
            ("https://1.2.3/", UrlError::BadHost("1.2.3".into())),
            ("https://-a.org/", UrlError::BadHost("-a.org".into())),
            ("https://a..org/", UrlError::BadHost("a..org".into())),
        ];
        for (text, expected) in cases {
            assert_eq!(Url::parse(text).as_ref(), Err(expected), "{text}");
        }
        let long = alloc::format!("https://a.org/{}", "x".repeat(MAX_URL_LEN));
        assert!(matches!(Url::parse(&long), Err(UrlError::TooLong(_))));
        assert!(Url::parse("https://é.org/").is_err());
    }
}
