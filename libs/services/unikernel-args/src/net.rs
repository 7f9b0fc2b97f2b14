//! The network arguments: the service interface's addressing (images) and
//! the address a host-process build serves on.

use alloc::format;
use alloc::string::{String, ToString};
use bootargs::{ArgKind, ArgSpec, Args};
use core::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use netstack::{Cidr, ConfigError, IpConfig};

/// The network boot arguments of every unikernel, read by [`ip_config`].
/// Host-process builds accept them too (and serve on [`LISTEN_ARG`]).
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

/// The `--listen=IP:PORT` argument of host-process builds, read by
/// [`listen`].
pub const LISTEN_ARG: ArgSpec = ArgSpec {
    name: "listen",
    kind: ArgKind::Value {
        metavar: "IP:PORT",
        default: None,
    },
    help: "host-process build: address and port to serve on (instead of the interface address and standard port)",
};

/// The interface's addressing that [`NET_ARGS`] give; an error is a usage
/// error naming the argument.
pub fn ip_config(args: &Args<'_>) -> Result<IpConfig, String> {
    let arg = |e: bootargs::Error| e.to_string();
    let config = IpConfig {
        ipv4: args.parse_value::<Cidr>("ipv4").map_err(arg)?,
        ipv4_gateway: args.parse_value::<Ipv4Addr>("ipv4-gateway").map_err(arg)?,
        ipv6: args.parse_value::<Cidr>("ipv6").map_err(arg)?,
        ipv6_gateway: args.parse_value::<Ipv6Addr>("ipv6-gateway").map_err(arg)?,
    };
    config.check().map_err(|error| match error {
        ConfigError::NoAddress => {
            String::from("no address: give --ipv4=ADDR/LEN and/or --ipv6=ADDR/LEN")
        }
        // The arguments are named after the fields.
        ConfigError::WrongFamily(field) => {
            format!("--{field} has an address of the other IP family")
        }
        other => other.to_string(),
    })?;
    Ok(config)
}

/// `--listen` ([`LISTEN_ARG`]), if given.
pub fn listen(args: &Args<'_>) -> Result<Option<SocketAddr>, bootargs::Error> {
    args.parse_value("listen")
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::net::IpAddr;

    fn config(cmdline: &str) -> Result<IpConfig, String> {
        match bootargs::parse("t", NET_ARGS, cmdline).expect("parses") {
            bootargs::Parsed::Args(args) => ip_config(&args),
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
        assert_eq!(
            config("").expect_err("no address"),
            "no address: give --ipv4=ADDR/LEN and/or --ipv6=ADDR/LEN"
        );
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
            let message = config(cmdline).expect_err(cmdline);
            assert!(message.contains(needle), "{cmdline}: {message}");
        }
        assert_eq!(
            config("--ipv4=fd53::2/64").expect_err("IPv6 in --ipv4"),
            "--ipv4 has an address of the other IP family"
        );
        assert_eq!(
            config("--ipv6=10.0.0.1/8").expect_err("IPv4 in --ipv6"),
            "--ipv6 has an address of the other IP family"
        );
    }

    #[test]
    fn listen_is_an_address_and_port() {
        let specs = [LISTEN_ARG];
        let read = |cmdline| match bootargs::parse("t", &specs, cmdline).expect("parses") {
            bootargs::Parsed::Args(args) => listen(&args).map_err(|e| e.to_string()),
            bootargs::Parsed::Help(_) => panic!("no help asked"),
        };
        assert_eq!(read(""), Ok(None));
        assert_eq!(
            read("--listen=127.0.0.1:5353"),
            Ok(Some("127.0.0.1:5353".parse().expect("address")))
        );
        assert_eq!(
            read("--listen=nowhere"),
            Err(String::from(
                "invalid value for --listen: `nowhere` (expected IP:PORT)"
            ))
        );
    }
}
