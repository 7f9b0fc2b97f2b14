//! The DNS service's arguments: limits on DNS-over-TCP clients and the log
//! level, the same in every DNS unikernel.

use bootargs::{ArgKind, ArgSpec, Args};
use core::time::Duration;
use dns_service::ServiceConfig;

/// The boot arguments of every DNS unikernel's `DnsService`, read by
/// [`service_config`].
pub const SERVICE_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "tcp-idle-timeout",
        kind: ArgKind::Value {
            metavar: "SECONDS",
            default: Some("10"),
        },
        help: "close DNS-over-TCP connections idle this long between messages (RFC 7766); one a NOTIFY subscriber keeps (its signed SOA queries) after 300 s",
    },
    ArgSpec {
        name: "tcp-io-timeout",
        kind: ArgKind::Value {
            metavar: "MILLISECONDS",
            default: Some("2000"),
        },
        help: "close a DNS-over-TCP connection whose query does not arrive whole, or whose answer (each zone transfer message) is not taken, within this from its start; 0: no limit",
    },
    ArgSpec {
        name: "tcp-clients",
        kind: ArgKind::Value {
            metavar: "N",
            default: Some("256"),
        },
        help: "most DNS-over-TCP connections at once; when all are taken, a new one replaces the one idle longest (images: 128 KiB of buffers each)",
    },
    ArgSpec {
        name: "tcp-clients-per-source",
        kind: ArgKind::Value {
            metavar: "N",
            default: Some("32"),
        },
        help: "most DNS-over-TCP connections from one IPv4 address or IPv6 /64",
    },
    ArgSpec {
        name: "log-level",
        kind: ArgKind::Value {
            metavar: "error|warn|info|debug",
            default: Some("info"),
        },
        help: "what to log: errors only; also failures that are retried or refused; also every change of what is served; also routine checks",
    },
];

/// The service's defaults, with what [`SERVICE_ARGS`] set.
pub fn service_config(args: &Args<'_>) -> Result<ServiceConfig, bootargs::Error> {
    let idle: u64 = args.parse_required("tcp-idle-timeout")?;
    let io: u64 = args.parse_required("tcp-io-timeout")?;
    Ok(ServiceConfig {
        tcp_idle_timeout: Duration::from_secs(idle),
        tcp_io_timeout: Duration::from_millis(io),
        max_tcp_clients: args.parse_required("tcp-clients")?,
        tcp_clients_per_source: args.parse_required("tcp-clients-per-source")?,
        log_level: args.parse_required("log-level")?,
        ..ServiceConfig::default()
    })
}

/// Every argument of a DNS unikernel, in the order `--help` lists them:
/// the network table, [`SERVICE_ARGS`], its `own`, and in a host-process
/// build its `host_only` ones and `--listen`.
pub fn dns_specs(own: &[ArgSpec], host_only: &[ArgSpec]) -> alloc::vec::Vec<ArgSpec> {
    if cfg!(target_os = "none") {
        [crate::NET_ARGS, SERVICE_ARGS, own].concat()
    } else {
        let listen: &[ArgSpec] = &[crate::LISTEN_ARG];
        [crate::NET_ARGS, SERVICE_ARGS, own, host_only, listen].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use dns_service::LogLevel;

    fn config(cmdline: &str) -> Result<ServiceConfig, bootargs::Error> {
        match bootargs::parse("t", SERVICE_ARGS, cmdline).expect("parses") {
            bootargs::Parsed::Args(args) => service_config(&args),
            bootargs::Parsed::Help(_) => panic!("no help asked"),
        }
    }

    /// The defaults of the arguments are the service's own.
    #[test]
    fn defaults_are_the_service_defaults() {
        let given = config("").expect("defaults");
        let defaults = ServiceConfig::default();
        assert_eq!(given.tcp_limits(), defaults.tcp_limits());
        assert_eq!(given.log_level, defaults.log_level);
    }

    #[test]
    fn tcp_limits_and_log_level_from_boot_arguments() {
        let config = config(
            "--tcp-idle-timeout=5 --tcp-io-timeout=500 --tcp-clients=64 --tcp-clients-per-source=4 --log-level=debug",
        )
        .expect("valid");
        assert_eq!(config.tcp_idle_timeout, Duration::from_secs(5));
        assert_eq!(config.tcp_io_timeout, Duration::from_millis(500));
        assert_eq!(config.max_tcp_clients, 64);
        assert_eq!(config.tcp_clients_per_source, 4);
        assert_eq!(config.log_level, LogLevel::Debug);
        let error = config_error("--tcp-io-timeout=soon");
        assert!(error.contains("--tcp-io-timeout"), "{error}");
        assert_eq!(
            config_error("--log-level=loud"),
            "invalid value for --log-level: `loud` (expected error|warn|info|debug)"
        );
    }

    fn config_error(cmdline: &str) -> alloc::string::String {
        config(cmdline).map(|_| ()).expect_err(cmdline).to_string()
    }
}
