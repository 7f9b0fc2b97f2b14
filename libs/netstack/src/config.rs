//! Network configuration from boot arguments: `--ipv4=ADDR/LEN`,
//! `--ipv4-gateway=ADDR`, `--ipv6=ADDR/LEN`, `--ipv6-gateway=ADDR`.

use bootargs::{ArgKind, ArgSpec, Args};
use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::str::FromStr;

/// The network boot arguments every unikernel accepts (add them to its own).
pub const NET_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "ipv4",
        kind: ArgKind::Value {
            metavar: "ADDR/LEN",
            default: None,
        },
        help: "IPv4 address and prefix length of the service interface",
    },
    ArgSpec {
        name: "ipv4-gateway",
        kind: ArgKind::Value {
            metavar: "ADDR",
            default: None,
        },
        help: "IPv4 default gateway",
    },
    ArgSpec {
        name: "ipv6",
        kind: ArgKind::Value {
            metavar: "ADDR/LEN",
            default: None,
        },
        help: "IPv6 address and prefix length of the service interface",
    },
    ArgSpec {
        name: "ipv6-gateway",
        kind: ArgKind::Value {
            metavar: "ADDR",
            default: None,
        },
        help: "IPv6 default gateway",
    },
];

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

/// A network configuration the arguments describe but we cannot use.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A value did not parse (the message names the argument).
    Argument(bootargs::Error),
    /// Neither `--ipv4` nor `--ipv6` was given.
    NoAddress,
    /// `--ipv4` holds an IPv6 address or the other way round.
    WrongFamily(&'static str),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConfigError::Argument(error) => error.fmt(f),
            ConfigError::NoAddress => {
                f.write_str("no address: give --ipv4=ADDR/LEN and/or --ipv6=ADDR/LEN")
            }
            ConfigError::WrongFamily(name) => {
                write!(f, "--{name} has an address of the other IP family")
            }
        }
    }
}

impl From<bootargs::Error> for ConfigError {
    fn from(error: bootargs::Error) -> Self {
        ConfigError::Argument(error)
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

    /// Reads the [`NET_ARGS`] from parsed arguments.
    pub fn from_args(args: &Args<'_>) -> Result<IpConfig, ConfigError> {
        let config = IpConfig {
            ipv4: args.parse_value::<Cidr>("ipv4")?,
            ipv4_gateway: args.parse_value::<Ipv4Addr>("ipv4-gateway")?,
            ipv6: args.parse_value::<Cidr>("ipv6")?,
            ipv6_gateway: args.parse_value::<Ipv6Addr>("ipv6-gateway")?,
        };
        config.check()?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    extern crate alloc;
    use alloc::string::ToString;

    fn config(cmdline: &str) -> Result<IpConfig, ConfigError> {
        match bootargs::parse("t", NET_ARGS, cmdline).expect("parses") {
            bootargs::Parsed::Args(args) => IpConfig::from_args(&args),
            bootargs::Parsed::Help(_) => panic!("no help asked"),
        }
    }

    #[test]
    fn addresses_and_gateways() {
        let c = config("--ipv4=10.53.0.2/24 --ipv4-gateway=10.53.0.1 --ipv6=fd53::2/64")
            .expect("valid");
        assert_eq!(
            c.ipv4.map(|c| c.to_string()).as_deref(),
            Some("10.53.0.2/24")
        );
        assert_eq!(c.ipv4_gateway, Some(Ipv4Addr::new(10, 53, 0, 1)));
        assert_eq!(c.ipv6.map(|c| c.prefix_len), Some(64));
        assert_eq!(c.ipv6_gateway, None);
        let addresses: alloc::vec::Vec<IpAddr> = c.addresses().collect();
        assert_eq!(
            addresses,
            [
                IpAddr::from([10, 53, 0, 2]),
                "fd53::2".parse::<IpAddr>().expect("address")
            ]
        );
        assert!(config("--ipv6=fd53::2/64").is_ok(), "IPv6 alone is fine");
    }

    #[test]
    fn missing_address_is_a_clear_error() {
        let error = config("").expect_err("no address");
        assert_eq!(error, ConfigError::NoAddress);
        assert!(error.to_string().contains("--ipv4=ADDR/LEN"));
    }

    #[test]
    fn malformed_addresses_name_the_argument() {
        for (cmdline, needle) in [
            ("--ipv4=10.53.0.2", "--ipv4"),
            ("--ipv4=10.53.0.300/24", "10.53.0.300/24"),
            ("--ipv4=10.53.0.2/33", "--ipv4"),
            ("--ipv4=0.0.0.0/8", "--ipv4"),
            ("--ipv6=fd53::2/129", "--ipv6"),
            ("--ipv4=10.0.0.1/8 --ipv4-gateway=nope", "--ipv4-gateway"),
        ] {
            let message = config(cmdline).expect_err(cmdline).to_string();
            assert!(message.contains(needle), "{cmdline}: {message}");
        }
        assert_eq!(
            config("--ipv4=fd53::2/64"),
            Err(ConfigError::WrongFamily("ipv4"))
        );
    }
}
