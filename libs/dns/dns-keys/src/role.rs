//! What a key name says about its holder (the OCaml-DNS convention).
//!
//! A key is named `<anything>.<operation>.<zone>` where the operation
//! label is `_update`, `_transfer` or `_notify` (the rightmost such label
//! counts; case-insensitive). The zone is everything to its right; the
//! root zone means every zone.
//!
//! Transfer keys name the servers: `<primary>.<secondary>._transfer.<zone>`
//! with IPv4 addresses as four labels each (`10.53.0.1.10.53.0.2`), or
//! one address only, which is then the primary's. As an extension, an
//! IPv6 address may stand as a single label (`2001:db8::1`). Update keys
//! may name the servers the same way (`<primary>.<secondary>._update.<zone>`):
//! an update key grants transfers too, so such a key serves a secondary
//! as its transfer key (OCaml-DNS: update covers transfer covers notify).

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use dns_zone::Name;

/// What a request wants to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// A dynamic update (RFC 2136).
    Update,
    /// A zone transfer, AXFR or IXFR.
    Transfer,
    /// A NOTIFY (RFC 1996).
    Notify,
}

impl Operation {
    /// The label that grants it in a key name.
    pub fn label(self) -> &'static str {
        match self {
            Self::Update => "_update",
            Self::Transfer => "_transfer",
            Self::Notify => "_notify",
        }
    }

    /// Whether a key for `self` may do `wanted` (OCaml-DNS
    /// `access_granted`): update keys may also transfer and notify,
    /// transfer keys may also notify.
    pub fn grants(self, wanted: Operation) -> bool {
        matches!(
            (wanted, self),
            (Operation::Update, Operation::Update)
                | (Operation::Transfer, Operation::Update | Operation::Transfer)
                | (Operation::Notify, _)
        )
    }

    fn from_label(label: &[u8]) -> Option<Self> {
        [Self::Update, Self::Transfer, Self::Notify]
            .into_iter()
            .find(|op| op.label().as_bytes().eq_ignore_ascii_case(label))
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Update => "update",
            Self::Transfer => "transfer",
            Self::Notify => "notify",
        })
    }
}

/// The role a key name describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRole {
    /// The operation label of the name.
    pub operation: Operation,
    /// The zone the key is for (the root: every zone).
    pub zone: Name,
    /// Transfer and update keys: the primary's address.
    pub primary: Option<IpAddr>,
    /// Transfer and update keys: the secondary's address (to notify).
    pub secondary: Option<IpAddr>,
}

impl KeyRole {
    /// The role of `key_name`, if it has an operation label.
    pub fn of(key_name: &Name) -> Option<Self> {
        let labels: alloc::vec::Vec<&[u8]> = key_name.iter().collect();
        let (idx, operation) = labels
            .iter()
            .enumerate()
            .rev()
            .find_map(|(i, l)| Operation::from_label(l).map(|op| (i, op)))?;
        let zone = key_name.trim_to(labels.len() - idx - 1);
        let (mut primary, mut secondary) = (None, None);
        if operation.grants(Operation::Transfer) {
            let left = &labels[..idx];
            if let Some((ip, rest)) = ip_suffix(left) {
                match ip_suffix(rest) {
                    Some((first, _)) => {
                        primary = Some(first);
                        secondary = Some(ip);
                    }
                    None => primary = Some(ip),
                }
            }
        }
        Some(Self {
            operation,
            zone,
            primary,
            secondary,
        })
    }

    /// Whether this role covers `zone` (at or below the key's zone).
    pub fn covers(&self, zone: &Name) -> bool {
        self.zone.zone_of(zone)
    }
}

/// An address at the end of `labels`: four IPv4 labels, or one IPv6 label.
/// Returns it and the labels before it.
fn ip_suffix<'a, 'b>(labels: &'b [&'a [u8]]) -> Option<(IpAddr, &'b [&'a [u8]])> {
    let (&last, rest) = labels.split_last()?;
    if last.contains(&b':') {
        let v6: Ipv6Addr = core::str::from_utf8(last).ok()?.parse().ok()?;
        return Some((IpAddr::V6(v6), rest));
    }
    let start = labels.len().checked_sub(4)?;
    let mut octets = [0u8; 4];
    for (o, l) in octets.iter_mut().zip(&labels[start..]) {
        let s = core::str::from_utf8(l).ok()?;
        // Decimal without leading zeros, as Ipaddr.V4.of_string and
        // `Ipv4Addr::from_str` take it.
        if s.is_empty() || s.len() > 3 || (s.len() > 1 && s.starts_with('0')) {
            return None;
        }
        *o = s.parse().ok()?;
    }
    Some((IpAddr::V4(Ipv4Addr::from(octets)), &labels[..start]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn n(s: &str) -> Name {
        let mut w = alloc::vec::Vec::new();
        dns_zone::name::parse_name(s.as_bytes(), &Name::root(), &mut w).unwrap()
    }

    #[test]
    fn roles_from_names() {
        let r = KeyRole::of(&n("10.53.0.1.10.53.0.2._transfer.example.com.")).unwrap();
        assert_eq!(r.operation, Operation::Transfer);
        assert_eq!(r.zone, n("example.com."));
        assert_eq!(r.primary, Some("10.53.0.1".parse().unwrap()));
        assert_eq!(r.secondary, Some("10.53.0.2".parse().unwrap()));

        let r = KeyRole::of(&n("foo.10.53.0.1._transfer.example.com.")).unwrap();
        assert_eq!(
            (r.primary, r.secondary),
            (Some("10.53.0.1".parse().unwrap()), None)
        );

        let r = KeyRole::of(&n("2001:db8::1.2001:db8::2._transfer.example.")).unwrap();
        assert_eq!(r.primary, Some("2001:db8::1".parse().unwrap()));
        assert_eq!(r.secondary, Some("2001:db8::2".parse().unwrap()));

        // An update key names its servers the same way (it may transfer).
        let r = KeyRole::of(&n("10.0.42.2.10.0.42.3._update.mirage.")).unwrap();
        assert_eq!(r.operation, Operation::Update);
        assert_eq!(r.primary, Some("10.0.42.2".parse().unwrap()));
        assert_eq!(r.secondary, Some("10.0.42.3".parse().unwrap()));
        let r = KeyRole::of(&n("10.0.42.2.10.0.42.3._notify.mirage.")).unwrap();
        assert_eq!(
            (r.primary, r.secondary),
            (None, None),
            "notify keys may not transfer"
        );

        let r = KeyRole::of(&n("secondary._transfer.example.")).unwrap();
        assert_eq!((r.primary, r.secondary), (None, None));

        let r = KeyRole::of(&n("admin._UPDATE.Example.COM.")).unwrap();
        assert_eq!(r.operation, Operation::Update);
        assert_eq!(r.zone, n("example.com."));
        assert!(r.covers(&n("example.com.")));
        assert!(r.covers(&n("sub.example.com.")));
        assert!(!r.covers(&n("example.org.")));
        assert!(!r.covers(&n("com.")));

        // The rightmost operation label counts.
        let r = KeyRole::of(&n("x._transfer.y._update.example.")).unwrap();
        assert_eq!(r.operation, Operation::Update);
        assert_eq!(r.zone, n("example."));

        // Root zone: every zone.
        let r = KeyRole::of(&n("ops._update.")).unwrap();
        assert!(r.covers(&n("example.org.")));

        assert_eq!(KeyRole::of(&n("plain.example.")), None);
        // Not quite addresses.
        let r = KeyRole::of(&n("10.53.0.256._transfer.example.")).unwrap();
        assert_eq!(r.primary, None);
        let r = KeyRole::of(&n("10.053.0.1._transfer.example.")).unwrap();
        assert_eq!(r.primary, None);
    }

    #[test]
    fn grants() {
        use Operation::*;
        let table = [
            (Update, Update, true),
            (Update, Transfer, true),
            (Update, Notify, true),
            (Transfer, Update, false),
            (Transfer, Transfer, true),
            (Transfer, Notify, true),
            (Notify, Update, false),
            (Notify, Transfer, false),
            (Notify, Notify, true),
        ];
        for (key, wanted, ok) in table {
            assert_eq!(key.grants(wanted), ok, "{key} key, {wanted}");
        }
    }
}
