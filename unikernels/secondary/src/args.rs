//! The secondary's boot arguments, declared in one place: the network and
//! DNS-service tables every unikernel shares (libs/services/unikernel-args), the
//! secondary's own (its keys name its zones and primaries), and in the
//! host-process build `--listen` (it accepts the network arguments but
//! serves on `--listen`). [`BootArgs`] is what they say, in the
//! libraries' types.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use bootargs::{ArgKind, ArgSpec, Args};
use core::net::IpAddr;
use dns_keys::KeyStore;
use dns_secondary::{zones_from_keys, SecondaryConfig};
use dns_service::ServiceConfig;
use dns_xfr::Limits;
use unikernel_args::service_config;

/// Default of `--transfer-max-records`. Measured (scripts/bench-xfr,
/// spt): the first AXFR of 490 000 records from BIND needs `--mem=244`
/// (fails at 236), about 520 bytes a record; a refresh by a full transfer,
/// with the old copy serving beside the new one, needs `--mem=360` (fails
/// at 300), about 740 bytes a record. So 500 000 records stay inside
/// Solo5's default `--mem=512`. Unbounded, 3 000 000 records peaked at
/// 1.96 GB.
const DEFAULT_TRANSFER_MAX_RECORDS: &str = "500000";
/// Default of `--transfer-max-bytes`: 64 MiB of DNS messages.
const DEFAULT_TRANSFER_MAX_BYTES: &str = "67108864";

/// The secondary's own arguments.
const SECONDARY_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "keys",
        kind: ArgKind::Repeated {
            metavar: "NAME:ALG:SECRET[,…]",
        },
        help: "TSIG keys (repeatable, or comma-separated); `<primary-ip>.<secondary-ip>._transfer.<zone>:SHA256:BASE64` (or `._update.<zone>`) makes this a secondary of <zone> transferring from <primary-ip>; `<primary-ip>.<secondary-ip>._transfer.:SHA256:BASE64` (the root) of every zone <primary-ip> NOTIFYs us for",
    },
    ArgSpec {
        name: "transfer-max-records",
        kind: ArgKind::Value {
            metavar: "RECORDS",
            default: Some(DEFAULT_TRANSFER_MAX_RECORDS),
        },
        help: "largest zone transfer taken, in records; a larger one is logged and dropped, the old copy keeps serving (a refresh by full transfer needs about 740 bytes of memory a record)",
    },
    ArgSpec {
        name: "transfer-max-bytes",
        kind: ArgKind::Value {
            metavar: "BYTES",
            default: Some(DEFAULT_TRANSFER_MAX_BYTES),
        },
        help: "largest zone transfer taken, in bytes of DNS messages; a larger one is logged and dropped",
    },
    ArgSpec {
        name: "hidden",
        kind: ArgKind::Flag,
        help: "hidden secondary (in no NS record, maybe behind NAT; a key need not name our address): keep a TCP connection to each primary, send the SOA queries over it every minute, and take the NOTIFYs the primary sends on it",
    },
    ArgSpec {
        name: "primary-port",
        kind: ArgKind::Value {
            metavar: "PORT",
            default: Some("53"),
        },
        help: "port the primaries serve DNS on (tests run them elsewhere)",
    },
];

/// Every argument, in the order `--help` lists them (the host-process
/// build adds its own and `--listen`).
pub fn specs() -> Vec<ArgSpec> {
    unikernel_args::dns_specs(SECONDARY_ARGS, &[])
}

/// What the boot arguments say.
pub struct BootArgs {
    /// The service interface's addressing.
    #[cfg(target_os = "none")]
    pub ip: netstack::IpConfig,
    /// Where to serve (`None`: the standard port on every address).
    #[cfg(not(target_os = "none"))]
    pub listen: Option<core::net::SocketAddr>,
    /// Our addresses: the interface's, or `--listen`'s.
    pub ours: Vec<IpAddr>,
    /// The DNS service's settings.
    pub service: ServiceConfig,
    /// The zones, their primaries and keys.
    pub secondary: SecondaryConfig,
    /// What to warn about (keys naming another secondary's address).
    pub warnings: Vec<String>,
}

impl BootArgs {
    /// Reads the arguments of [`specs`]; an error is a usage error naming
    /// the argument.
    #[cfg(target_os = "none")]
    pub fn read(args: &Args<'_>) -> Result<BootArgs, String> {
        let ip = unikernel_args::ip_config(args)?;
        let ours: Vec<IpAddr> = ip.addresses().collect();
        let service = service_config(args).map_err(usage)?;
        let (secondary, warnings) = secondary(args, &ours)?;
        Ok(BootArgs {
            ip,
            ours,
            service,
            secondary,
            warnings,
        })
    }

    /// Reads the arguments of [`specs`]; an error is a usage error naming
    /// the argument.
    #[cfg(not(target_os = "none"))]
    pub fn read(args: &Args<'_>) -> Result<BootArgs, String> {
        let service = service_config(args).map_err(usage)?;
        let listen = unikernel_args::listen(args).map_err(usage)?;
        let ours: Vec<IpAddr> = listen.map(|a| a.ip()).into_iter().collect();
        let (secondary, warnings) = secondary(args, &ours)?;
        Ok(BootArgs {
            listen,
            ours,
            service,
            secondary,
            warnings,
        })
    }
}

fn usage(error: bootargs::Error) -> String {
    error.to_string()
}

/// Reads [`SECONDARY_ARGS`]: the keys (each `--keys` value may hold
/// several, comma-separated), the zones they name (at least one), the
/// transfer limits. `ours` are our addresses, to check the secondary part
/// of key names. Returns the configuration and warnings to log.
fn secondary(args: &Args<'_>, ours: &[IpAddr]) -> Result<(SecondaryConfig, Vec<String>), String> {
    let mut keys = KeyStore::new();
    for value in args.values("keys").map_err(usage)? {
        for text in value.split(',').filter(|t| !t.trim().is_empty()) {
            let key = dns_keys::parse_cli_key(text.trim())
                .map_err(|e| format!("--keys={}: {e}", dns_keys::without_secret(text)))?;
            keys.insert(key);
        }
    }
    let port: u16 = args.parse_required("primary-port").map_err(usage)?;
    let limits = Limits {
        records: args.parse_required("transfer-max-records").map_err(usage)?,
        bytes: args.parse_required("transfer-max-bytes").map_err(usage)?,
    };
    let sources = zones_from_keys(&keys, port, ours)?;
    if sources.zones.is_empty() && sources.roots.is_empty() {
        return Err(String::from(
            "no zone to serve: give --keys=<primary-ip>.<secondary-ip>._transfer.<zone>:SHA256:BASE64 (or ._transfer. for every zone of the primary)",
        ));
    }
    let config = SecondaryConfig {
        zones: sources.zones,
        roots: sources.roots,
        keys,
        limits,
        hidden: args.flag("hidden").map_err(usage)?,
    };
    Ok((config, sources.warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `cmdline` says, or the usage error it gives.
    fn read(cmdline: &str) -> Result<BootArgs, String> {
        let specs = specs();
        match bootargs::parse("secondary", &specs, cmdline) {
            Ok(bootargs::Parsed::Args(args)) => BootArgs::read(&args),
            Ok(bootargs::Parsed::Help(_)) => panic!("no --help here"),
            Err(error) => Err(error.to_string()),
        }
    }

    fn error(cmdline: &str) -> String {
        read(cmdline).map(|_| ()).expect_err(cmdline)
    }

    #[test]
    fn the_table_is_valid_and_lists_every_argument_once() {
        let specs = specs();
        assert!(bootargs::parse("secondary", &specs, "--keys=x").is_ok());
        let names: Vec<&str> = specs.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "ipv4",
                "ipv4-gateway",
                "ipv6",
                "ipv6-gateway",
                "tcp-idle-timeout",
                "tcp-io-timeout",
                "tcp-clients",
                "tcp-clients-per-source",
                "log-level",
                "keys",
                "transfer-max-records",
                "transfer-max-bytes",
                "hidden",
                "primary-port",
                "listen",
            ]
        );
    }

    /// A bad key argument is reported without its secret (issue 12 §8).
    #[test]
    fn a_bad_key_argument_never_shows_its_secret() {
        let secret = "c2VjcmV0c2VjcmV0c2VjcmV0";
        for bad in [
            format!("10.53.0.1.10.53.0.2._transfer.example.com:SHA999:{secret}"),
            format!("hmac-md5:10.53.0.1.10.53.0.2._transfer.example.com:{secret}"),
            format!("bad..name:SHA256:{secret}"),
            format!("x._transfer.example.com:SHA256:{secret}!"),
            secret.to_string(),
        ] {
            let error = error(&format!("--keys={bad}"));
            assert!(error.starts_with("--keys="), "{error}");
            assert!(!error.contains(secret), "{error}");
        }
    }

    #[test]
    fn a_root_key_alone_is_enough_and_limits_come_from_the_arguments() {
        let root = "--keys=10.53.0.1.10.53.0.2._transfer.:SHA256:AAAAAAAAAAAAAAAAAAAAAA==";
        let boot = read(root).expect("a root key names zones to serve");
        assert!(boot.secondary.zones.is_empty());
        assert_eq!(boot.secondary.roots.len(), 1);
        assert!(!boot.secondary.hidden);
        assert_eq!(
            boot.secondary.limits,
            Limits {
                records: 500_000,
                bytes: 64 << 20
            }
        );
        let boot = read(&format!(
            "{root} --transfer-max-records=10 --transfer-max-bytes=2000 --hidden"
        ))
        .unwrap();
        assert_eq!(
            boot.secondary.limits,
            Limits {
                records: 10,
                bytes: 2000
            }
        );
        assert!(boot.secondary.hidden);
        let error = error("--keys=admin._update.example.com:SHA256:AAAAAAAAAAAAAAAAAAAAAA==");
        assert!(error.starts_with("no zone to serve"), "{error}");
    }

    #[test]
    fn keys_name_zones_primaries_and_warnings() {
        let key = "10.53.0.1.10.53.0.3._transfer.example.com:SHA256:AAAAAAAAAAAAAAAAAAAAAA==";
        let boot = read(&format!(
            "--keys={key},10.53.0.1.10.53.0.2._transfer.example.org:SHA256:AAAAAAAAAAAAAAAAAAAAAA== \
             --listen=10.53.0.2:53 --primary-port=5353"
        ))
        .expect("valid");
        assert_eq!(boot.ours, ["10.53.0.2".parse::<IpAddr>().unwrap()]);
        assert_eq!(boot.secondary.zones.len(), 2);
        assert_eq!(
            boot.secondary.zones[0].primary,
            "10.53.0.1:5353".parse().unwrap()
        );
        assert_eq!(boot.warnings.len(), 1, "{:?}", boot.warnings);
        assert_eq!(
            error(&format!(
                "--keys={key} --keys=10.53.0.7.10.53.0.3._transfer.example.com:SHA256:AAAAAAAAAAAAAAAAAAAAAA=="
            )),
            "zone example.com. has two primaries, 10.53.0.1:53 and 10.53.0.7:53: give one transfer key per zone"
        );
        assert_eq!(
            error("--keys=x --primary-port=x"),
            "--keys=…: a key should be 'name:algorithm:base64-secret'"
        );
    }
}
