//! secondary: an authoritative secondary whose zones and primaries come
//! from its TSIG keys (`<primary-ip>.<secondary-ip>._transfer.<zone>`, or
//! `._update.<zone>`; `._transfer.` for every zone of the primary).
//!
//! This file only parses boot arguments and composes libraries. The image
//! serves on its interface addresses; the host-process build serves on
//! `--listen`:
//! `cargo run -p secondary -- --listen=127.0.0.2:5353 --primary-port=5353 --keys=127.0.0.1.127.0.0.2._transfer.example.com:SHA256:…`.
#![forbid(unsafe_code)]
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

use bootargs::ArgSpec;
use dns_service::{ServiceConfig, SERVICE_ARGS};

/// Prints a line through this build's `log` (timestamped, like the services' lines).
macro_rules! say {
    ($($arg:tt)*) => {
        log(format_args!($($arg)*))
    };
}

const PROGRAM: &str = "secondary";

#[cfg(target_os = "none")]
mod image {
    use super::*;
    use alloc::vec::Vec;
    use core::net::IpAddr;
    use dns_secondary::{config_from_args, Secondary, SECONDARY_ARGS};
    use dns_server::catalog::Catalog;
    use dns_service::DnsService;
    use netstack::{IpConfig, StackConfig, NET_ARGS};
    use solo5::StartInfo;

    solo5::manifest! { net "service" }
    solo5::entry!(main);

    /// Every line the image prints, prefixed with the wall-clock time.
    fn log(args: core::fmt::Arguments<'_>) {
        let now = dns_service::Timestamp::from_unix_ns(solo5::time::wall_ns());
        solo5::println!("{now} {args}");
    }

    fn main(start: &StartInfo) -> i32 {
        let specs: Vec<ArgSpec> = [NET_ARGS, SERVICE_ARGS, SECONDARY_ARGS].concat();
        let args = solo5::boot_args(PROGRAM, &specs, start);
        let parsed = IpConfig::from_args(&args)
            .map_err(|e| alloc::format!("{e}"))
            .and_then(|ip| {
                let ours: Vec<IpAddr> = ip.addresses().collect();
                let service = ServiceConfig::from_args(&args).map_err(|e| alloc::format!("{e}"))?;
                let (config, warnings) = config_from_args(&args, &ours)?;
                Ok((ip, ours, service, config, warnings))
            });
        let (ip, ours, service, config, warnings) = match parsed {
            Ok(parsed) => parsed,
            Err(message) => {
                say!("{PROGRAM}: {message}");
                return bootargs::EXIT_USAGE;
            }
        };
        for warning in &warnings {
            say!("{PROGRAM}: warning: {warning}");
        }
        for zone in &config.zones {
            say!("{PROGRAM}: {} from {}", zone.zone.to_ascii(), zone.primary);
        }
        for root in &config.roots {
            say!("{PROGRAM}: every zone of {}", root.primary);
        }
        if config.hidden {
            say!("{PROGRAM}: hidden: NOTIFYs come on a kept connection to each primary");
        }
        let mut seed = [0u8; 8];
        solo5::entropy::fill(&mut seed);
        let dns = DnsService::new(Catalog::new(), service, log);
        let mut secondary = Secondary::new(dns, config, ours, u64::from_le_bytes(seed));
        match netstack::run_solo5(&ip, StackConfig::default(), &mut secondary) {
            Ok(status) => status,
            Err(error) => {
                say!("{PROGRAM}: net device `service`: {error}");
                1
            }
        }
    }
}

#[cfg(not(target_os = "none"))]
mod host {
    use super::*;
    use dns_secondary::{config_from_args, Secondary, SECONDARY_ARGS};
    use dns_server::catalog::Catalog;
    use dns_service::DnsService;
    use netstack::{OsStack, LISTEN_ARG, NET_ARGS};
    use std::hash::{BuildHasher, Hasher};
    use std::net::SocketAddr;

    /// Every line the process prints, prefixed with the wall-clock time.
    fn log(args: core::fmt::Arguments<'_>) {
        let unix_ns = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        println!("{} {args}", dns_service::Timestamp::from_unix_ns(unix_ns));
    }

    fn usage_error(message: impl std::fmt::Display) -> ! {
        say!("{PROGRAM}: {message}");
        std::process::exit(bootargs::EXIT_USAGE)
    }

    pub fn main() {
        let specs: Vec<ArgSpec> = [NET_ARGS, SERVICE_ARGS, SECONDARY_ARGS, &[LISTEN_ARG]].concat();
        let args = netstack::host_args(PROGRAM, &specs);
        let service = ServiceConfig::from_args(&args).unwrap_or_else(|e| usage_error(e));
        let listen: Option<SocketAddr> = args
            .parse_value("listen")
            .unwrap_or_else(|e| usage_error(e));
        let ours: Vec<std::net::IpAddr> = listen.map(|a| a.ip()).into_iter().collect();
        let (config, warnings) = config_from_args(&args, &ours).unwrap_or_else(|e| usage_error(e));
        for warning in &warnings {
            say!("{PROGRAM}: warning: {warning}");
        }
        for zone in &config.zones {
            say!("{PROGRAM}: {} from {}", zone.zone.to_ascii(), zone.primary);
        }
        for root in &config.roots {
            say!("{PROGRAM}: every zone of {}", root.primary);
        }
        if config.hidden {
            say!("{PROGRAM}: hidden: NOTIFYs come on a kept connection to each primary");
        }
        // The standard library's per-process random hasher keys: enough to
        // vary jitter and message IDs between runs.
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let mut stack = OsStack::new(listen).unwrap_or_else(|e| usage_error(e));
        let dns = DnsService::new(Catalog::new(), service, log);
        let mut secondary = Secondary::new(dns, config, ours, seed);
        let status = stack.run(&mut secondary).unwrap_or_else(|e| {
            say!("{PROGRAM}: {e}");
            1
        });
        std::process::exit(status);
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    host::main()
}
