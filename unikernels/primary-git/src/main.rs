//! primary-git: the authoritative primary of a domain whose zones live in a
//! git repository (OCaml-DNS layout).
//!
//! The boot arguments are declared and read in `args.rs`; this file
//! composes libraries. The image clones its zones from `--remote` over
//! SSH; the host-process build does the same, or serves a directory with
//! the same layout:
//! `cargo run -p primary-git -- --zones-dir=zones-example --listen=127.0.0.1:5353`.
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

const PROGRAM: &str = "primary-git";

#[cfg(target_os = "none")]
mod image {
    use super::*;
    use dns_server::catalog::Catalog;
    use dns_service::DnsService;
    use netstack::StackConfig;
    use primary::Primary;
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
        let BootArgs { ip, service, git } =
            match BootArgs::read(&solo5::boot_args(PROGRAM, &specs, start)) {
                Ok(boot) => boot,
                Err(message) => {
                    say!("{PROGRAM}: {message}");
                    return bootargs::EXIT_USAGE;
                }
            };
        let mut dns = DnsService::new(Catalog::new(), service, log);
        dns.set_own_addresses(ip.addresses().collect());
        // NOTIFY message IDs from the DRBG (seeded from RDSEED/RDRAND).
        let mut seed = [0u8; 8];
        solo5::entropy::fill(&mut seed);
        dns.seed_notify_ids(u64::from_le_bytes(seed));
        let mut service = Primary::new(dns, git);
        match netstack::run_solo5(&ip, StackConfig::default(), &mut service) {
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
    use dns_server::catalog::Catalog;
    use dns_service::DnsService;
    use netstack::{OsStack, Sockets};
    use primary::Primary;
    use query_workers::Workers;
    use std::hash::{BuildHasher, Hasher};
    use zones_dir::DirectoryPrimary;

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
        let BootArgs {
            service: config,
            listen,
            git,
            zones_dir,
            workers,
        } = BootArgs::read(&unikernel_args::host_args(PROGRAM, &specs))
            .unwrap_or_else(|e| usage_error(e));
        let mut stack = OsStack::new(listen).unwrap_or_else(|e| usage_error(e));
        let mut dns = DnsService::new(Catalog::new(), config, log);
        // The standard library's per-process random hasher keys (from the
        // OS's randomness): NOTIFY message IDs differ between runs.
        dns.seed_notify_ids(
            std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish(),
        );
        let workers = Workers {
            count: workers,
            listen,
            port: config.port,
        };
        let ran = match (git, zones_dir.as_deref()) {
            (Some(git), None) => {
                let primary = Primary::new(dns, git);
                query_workers::run(&mut stack, primary, Primary::dns, workers, log, PROGRAM)
            }
            (None, Some(dir)) => {
                let at = listen.map_or_else(|| format!("port {}", config.port), |a| a.to_string());
                dns.set_own_addresses(listen.map(|a| a.ip()).into_iter().collect());
                dns.fetch_on_notify();
                let primary = DirectoryPrimary::start(
                    dns,
                    dir.into(),
                    log,
                    PROGRAM,
                    stack.now(),
                    stack.unix_time(),
                )
                .unwrap_or_else(|error| usage_error(format!("{dir}: {error}")));
                say!(
                    "{PROGRAM}: serving {} zones on {at} (udp, tcp)",
                    primary.dns().catalog().len()
                );
                let dns = DirectoryPrimary::dns;
                query_workers::run(&mut stack, primary, dns, workers, log, PROGRAM)
            }
            _ => usage_error("give exactly one of --remote=URL and --zones-dir=DIR"),
        };
        let status = ran.unwrap_or_else(|e| {
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
