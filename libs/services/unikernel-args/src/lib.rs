//! The boot arguments that every solodns unikernel crate takes alike, and
//! their reading into the libraries' typed settings.
//!
//! Each unikernel declares its boot arguments in its own `args.rs`: its own
//! table, and which of these shared tables it takes. The libraries know no
//! argument names; they take [`netstack::IpConfig`],
//! `dns_service::ServiceConfig` and the like. The tables here are the ones
//! that are the same in every unikernel by nature, declared once so that
//! their names, help texts and defaults cannot drift apart:
//!
//! - [`NET_ARGS`]: the service interface's addressing, read by
//!   [`ip_config`] (every image);
//! - [`LISTEN_ARG`]: where a host-process build serves, read by [`listen`];
//! - `SERVICE_ARGS` (feature `dns`): the DNS service's TCP limits and log
//!   level, read by `service_config` (the DNS unikernels).
//!
//! Feature `std` adds `host_args`, the host-process counterpart of
//! `solo5::boot_args`.
#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod net;
#[cfg(feature = "dns")]
mod service;

pub use net::{ip_config, listen, LISTEN_ARG, NET_ARGS};
#[cfg(feature = "dns")]
pub use service::{dns_specs, service_config, SERVICE_ARGS};

/// Parses the process's arguments against `specs`, as an image parses its
/// boot arguments (`solo5::boot_args`): joined with single spaces, as a
/// Solo5 tender passes them; `--help` prints the help text to stdout and
/// exits 0; a bad argument prints `<program>: <error>` on stdout, as the
/// image prints it on its console, and exits with
/// [`bootargs::EXIT_USAGE`].
#[cfg(feature = "std")]
pub fn host_args<'s>(program: &str, specs: &'s [bootargs::ArgSpec]) -> bootargs::Args<'s> {
    let cmdline = std::env::args()
        .skip(1)
        .collect::<alloc::vec::Vec<_>>()
        .join(" ");
    bootargs::parse_or_exit(
        program,
        specs,
        &cmdline,
        &mut |text| std::print!("{text}"),
        |code| std::process::exit(code),
    )
}
