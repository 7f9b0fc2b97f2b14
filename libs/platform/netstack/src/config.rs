//! The interface's static addressing ([`IpConfig`]): addresses with their
//! prefix length ([`Cidr`]) and default gateways. The unikernels declare
//! the boot arguments that set it (libs/services/unikernel-args).

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

/// An address with its prefix length, as `10.0.0.2/24` or `fd00::2/64`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// The interface's address.
    pub address: IpAddr,
    /// Prefix length in bits.
    pub prefix_len: u8,
}

/// Why a `Cidr` did not parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CidrError {
    /// No `/LEN` part.
    MissingPrefix,
    /// The address part is not an IP address.
    BadAddress,
    /// The prefix length is not a number within the family's width.
    BadPrefix,
}

impl fmt::Display for CidrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CidrError::MissingPrefix => "missing /LEN",
            CidrError::BadAddress => "not an IP address",
            CidrError::BadPrefix => "prefix length out of range",
        })
    }
}

impl FromStr for Cidr {
    type Err = CidrError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (address, prefix) = text.split_once('/').ok_or(CidrError::MissingPrefix)?;
        let address: IpAddr = address.parse().map_err(|_| CidrError::BadAddress)?;
        let prefix_len: u8 = prefix.parse().map_err(|_| CidrError::BadPrefix)?;
        let max = if address.is_ipv4() { 32 } else { 128 };
        if prefix_len > max || address.is_unspecified() || address.is_multicast() {
            return Err(if prefix_len > max {
                CidrError::BadPrefix
            } else {
                CidrError::BadAddress
            });
        }
        Ok(Cidr {
            address,
            prefix_len,
        })
    }
}

impl fmt::Display for Cidr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address, self.prefix_len)
    }
}

/// The interface's static addressing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IpConfig {
    /// IPv4 address, if any.
    pub ipv4: Option<Cidr>,
    /// IPv4 default gateway.
    pub ipv4_gateway: Option<Ipv4Addr>,
    /// IPv6 address, if any.
    pub ipv6: Option<Cidr>,
    /// IPv6 default gateway.
    pub ipv6_gateway: Option<Ipv6Addr>,
}

impl IpConfig {
    /// The interface's addresses: IPv4, then IPv6, those configured.
    pub fn addresses(&self) -> impl Iterator<Item = IpAddr> {
        [self.ipv4, self.ipv6]
            .into_iter()
            .flatten()
            .map(|cidr| cidr.address)
    }
}

/// An addressing we cannot use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// Neither an IPv4 nor an IPv6 address.
    NoAddress,
    /// The field (`"ipv4"` or `"ipv6"`) holds an address of the other IP
    /// family.
    WrongFamily(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::NoAddress => f.write_str("no address: neither IPv4 nor IPv6"),
            ConfigError::WrongFamily(field) => {
                write!(f, "{field} has an address of the other IP family")
            }
        }
    }
}

impl IpConfig {
    /// Checks that the addressing is usable: at least one address, each
    /// of its field's family.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.ipv4.is_some_and(|c| !c.address.is_ipv4()) {
            return Err(ConfigError::WrongFamily("ipv4"));
        }
        if self.ipv6.is_some_and(|c| !c.address.is_ipv6()) {
            return Err(ConfigError::WrongFamily("ipv6"));
        }
        if self.ipv4.is_none() && self.ipv6.is_none() {
            return Err(ConfigError::NoAddress);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::string::ToString;

    fn cidr(text: &str) -> Cidr {
        text.parse().expect(text)
    }

    #[test]
    fn addresses_in_order_and_a_usable_config() {
        let c = IpConfig {
            ipv4: Some(cidr("10.53.0.2/24")),
            ipv4_gateway: Some(Ipv4Addr::new(10, 53, 0, 1)),
            ipv6: Some(cidr("fd53::2/64")),
            ipv6_gateway: None,
        };
        assert_eq!(c.check(), Ok(()));
        assert_eq!(
            c.ipv4.map(|c| c.to_string()).as_deref(),
            Some("10.53.0.2/24")
        );
        let addresses: alloc::vec::Vec<IpAddr> = c.addresses().collect();
        assert_eq!(
            addresses,
            [
                IpAddr::from([10, 53, 0, 2]),
                "fd53::2".parse::<IpAddr>().expect("address")
            ]
        );
        let v6_only = IpConfig {
            ipv6: Some(cidr("fd53::2/64")),
            ..IpConfig::default()
        };
        assert_eq!(v6_only.check(), Ok(()), "IPv6 alone is fine");
    }

    #[test]
    fn no_address_or_the_wrong_family_is_refused() {
        assert_eq!(IpConfig::default().check(), Err(ConfigError::NoAddress));
        let swapped = IpConfig {
            ipv4: Some(cidr("fd53::2/64")),
            ..IpConfig::default()
        };
        assert_eq!(swapped.check(), Err(ConfigError::WrongFamily("ipv4")));
        let swapped = IpConfig {
            ipv6: Some(cidr("10.53.0.2/24")),
            ..IpConfig::default()
        };
        assert_eq!(swapped.check(), Err(ConfigError::WrongFamily("ipv6")));
    }

    #[test]
    fn malformed_cidrs_say_what_is_wrong() {
        for (text, error) in [
            ("10.53.0.2", CidrError::MissingPrefix),
            ("10.53.0.300/24", CidrError::BadAddress),
            ("10.53.0.2/33", CidrError::BadPrefix),
            ("0.0.0.0/8", CidrError::BadAddress),
            ("fd53::2/129", CidrError::BadPrefix),
            ("ff02::1/64", CidrError::BadAddress),
        ] {
            assert_eq!(text.parse::<Cidr>(), Err(error), "{text}");
        }
    }
}
