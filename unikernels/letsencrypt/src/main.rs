//! letsencrypt: certificates for the CSRs published in a zone
//! (OCaml-DNS's `dns-letsencrypt-secondary`). A hidden secondary of the
//! `--dns-key`'s zone, transferred from `--dns-server`; each CSR at a
//! `_letsencrypt._tcp.<host>` name gets a certificate ordered by ACME
//! dns-01 and published back by signed UPDATE.
//!
//! The boot arguments are declared and read in `args.rs`; this file
//! composes libraries (libs/services/letsencrypt-service). The image runs on its
//! interface addresses; the host-process build on `--listen`:
//! `cargo run -p letsencrypt-unikernel -- --listen=127.0.0.3:5353 --dns-key=le._update.example.com:SHA256:… --dns-server=127.0.0.1 --port=5353 --account-key-seed=… --acme-server=https://127.0.0.1:14000/dir --tls-authenticator=trust-anchor:…`.
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

const PROGRAM: &str = "letsencrypt";

#[cfg(target_os = "none")]
mod image {
    use super::*;
    use dns_server::catalog::Catalog;
    use dns_service::DnsService;
    use letsencrypt_service::LetsencryptService;
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
        say!("{PROGRAM}: {}", boot.describe());
        let mut seed = [0u8; 32];
        solo5::entropy::fill(&mut seed);
        let dns = DnsService::new(Catalog::new(), boot.service, log);
        let mut letsencrypt = match LetsencryptService::new(&boot.config, dns, boot.ours, seed) {
            Ok(service) => service,
            Err(error) => {
                say!("{PROGRAM}: {}", args::refused(&boot.config, error));
                return bootargs::EXIT_USAGE;
            }
        };
        match netstack::run_solo5(&boot.ip, StackConfig::default(), &mut letsencrypt) {
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
    use letsencrypt_service::LetsencryptService;
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
        say!("{PROGRAM}: {}", boot.describe());
        // The standard library's per-process random hasher keys: enough to
        // vary message IDs and jitter between runs (the account key comes
        // from its seed, not from this).
        let mut seed = [0u8; 32];
        for chunk in seed.chunks_mut(8) {
            let word = std::collections::hash_map::RandomState::new()
                .build_hasher()
                .finish();
            chunk.copy_from_slice(&word.to_le_bytes());
        }
        let mut stack = OsStack::new(boot.listen).unwrap_or_else(|e| usage_error(e));
        let dns = DnsService::new(Catalog::new(), boot.service, log);
        let mut letsencrypt = LetsencryptService::new(&boot.config, dns, boot.ours, seed)
            .unwrap_or_else(|e| usage_error(args::refused(&boot.config, e)));
        let status = stack.run(&mut letsencrypt).unwrap_or_else(|e| {
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
