//! secondary: an authoritative secondary whose zones and primaries come
//! from its TSIG keys (`<primary-ip>.<secondary-ip>._transfer.<zone>`, or
//! `._update.<zone>`; `._transfer.` for every zone of the primary).
//!
//! The boot arguments are declared and read in `args.rs`; this file
//! composes libraries. The image serves on its interface addresses; the
//! host-process build serves on `--listen`:
//! `cargo run -p secondary -- --listen=127.0.0.2:5353 --primary-port=5353 --keys=127.0.0.1.127.0.0.2._transfer.example.com:SHA256:…`.
#![forbid(unsafe_code)]
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

mod args;

use args::BootArgs;

/// Prints a line through this build's `log` (timestamped, like the services' lines).
macro_rules! say {
    ($($arg:tt)*) => {
        log(format_args!($($arg)*))
    };
}

const PROGRAM: &str = "secondary";

/// Logs through `log` what the boot arguments say: warnings, then what is
/// served.
fn announce(boot: &BootArgs, log: fn(core::fmt::Arguments<'_>)) {
    for warning in &boot.warnings {
        log(format_args!("{PROGRAM}: warning: {warning}"));
    }
    for zone in &boot.secondary.zones {
        log(format_args!(
            "{PROGRAM}: {} from {}",
            zone.zone.to_ascii(),
            zone.primary
        ));
    }
    for root in &boot.secondary.roots {
        log(format_args!("{PROGRAM}: every zone of {}", root.primary));
    }
    if boot.secondary.hidden {
        log(format_args!(
            "{PROGRAM}: hidden: NOTIFYs come on a kept connection to each primary"
        ));
    }
}

#[cfg(target_os = "none")]
mod image {
    use super::*;
    use dns_secondary::Secondary;
    use dns_server::catalog::Catalog;
    use dns_service::DnsService;
    use netstack::StackConfig;
    use solo5::StartInfo;

    solo5::manifest! { net "service" }
    solo5::entry!(main);

    /// Every line the image prints, prefixed with the wall-clock time.
    fn log(args: core::fmt::Arguments<'_>) {
        let now = dns_service::Timestamp::from_unix_ns(solo5::time::wall_ns());
        solo5::println!("{now} {args}");
    }

    fn main(start: &StartInfo) -> i32 {
        let specs = args::specs();
        let boot = match BootArgs::read(&solo5::boot_args(PROGRAM, &specs, start)) {
            Ok(boot) => boot,
            Err(message) => {
                say!("{PROGRAM}: {message}");
                return bootargs::EXIT_USAGE;
            }
        };
        announce(&boot, log);
        let mut seed = [0u8; 8];
        solo5::entropy::fill(&mut seed);
        let dns = DnsService::new(Catalog::new(), boot.service, log);
        let seed = u64::from_le_bytes(seed);
        let mut secondary = Secondary::new(dns, boot.secondary, boot.ours, seed);
        match netstack::run_solo5(&boot.ip, StackConfig::default(), &mut secondary) {
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
    use dns_secondary::Secondary;
    use dns_server::catalog::Catalog;
    use dns_service::DnsService;
    use netstack::OsStack;
    use std::hash::{BuildHasher, Hasher};

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
        let specs = args::specs();
        let boot = BootArgs::read(&unikernel_args::host_args(PROGRAM, &specs))
            .unwrap_or_else(|e| usage_error(e));
        announce(&boot, log);
        // The standard library's per-process random hasher keys: enough to
        // vary jitter and message IDs between runs.
        let seed = std::collections::hash_map::RandomState::new()
            .build_hasher()
            .finish();
        let mut stack = OsStack::new(boot.listen).unwrap_or_else(|e| usage_error(e));
        let dns = DnsService::new(Catalog::new(), boot.service, log);
        let mut secondary = Secondary::new(dns, boot.secondary, boot.ours, seed);
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
