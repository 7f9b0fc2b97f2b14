//! Boot arguments of solodns unikernels.
//!
//! A Solo5 tender hands the guest one command-line string: the arguments
//! after the image name, joined with single spaces
//! (`solo5-spt --net:service=tap0 dns.spt --ipv4=10.0.0.2/24 --verbose`
//! gives `--ipv4=10.0.0.2/24 --verbose`). Every unikernel declares its
//! arguments once, as a table of [`ArgSpec`]s with a help line each, and
//! calls [`parse`]; the result is either the help text (`--help` is always
//! accepted) or [`Args`] to read typed values from.
//!
//! The syntax is deliberately small: tokens are `--name=value` or `--flag`,
//! separated by spaces or tabs. There is no quoting, so a value cannot
//! contain a space or a tab (the tender could not pass one through anyway).
//! `--name=` gives the empty string as value.
//!
//! Two kinds of errors are kept apart (see [`Error`]): mistakes in the
//! command line, which a unikernel reports before exiting, and mistakes of
//! the program itself ([`ApiMisuse`]: a malformed spec table, reading an
//! argument that was never declared). Nothing in this crate panics.
//!
//! ```
//! use bootargs::{ArgKind, ArgSpec, Parsed};
//!
//! const SPECS: &[ArgSpec] = &[
//!     ArgSpec {
//!         name: "ipv4",
//!         kind: ArgKind::Value { metavar: "ADDR/LEN", default: Some("10.0.0.2/24") },
//!         help: "address and prefix length of the service interface",
//!     },
//!     ArgSpec {
//!         name: "secondary",
//!         kind: ArgKind::Repeated { metavar: "IP" },
//!         help: "a secondary server to notify",
//!     },
//!     ArgSpec { name: "verbose", kind: ArgKind::Flag, help: "log every query" },
//! ];
//!
//! let cmdline = "--secondary=10.0.0.3 --verbose  --secondary=10.0.0.4";
//! let Parsed::Args(args) = bootargs::parse("primary", SPECS, cmdline)? else {
//!     unreachable!("no --help in this command line");
//! };
//! assert_eq!(args.value("ipv4")?, Some("10.0.0.2/24"));
//! assert_eq!(args.values("secondary")?, ["10.0.0.3", "10.0.0.4"]);
//! assert!(args.flag("verbose")?);
//! let secondaries: Vec<core::net::Ipv4Addr> = args.parse_values("secondary")?;
//! assert_eq!(secondaries[1], core::net::Ipv4Addr::new(10, 0, 0, 4));
//!
//! let Err(error) = bootargs::parse("primary", SPECS, "--ipv4") else { panic!() };
//! assert_eq!(error.to_string(), "missing value for `--ipv4` (expected --ipv4=ADDR/LEN)");
//! # Ok::<(), bootargs::Error>(())
//! ```

#![forbid(unsafe_code)]
#![no_std]
#![warn(missing_docs)]
#![warn(clippy::std_instead_of_core, clippy::alloc_instead_of_core)]

extern crate alloc;

mod args;
mod error;
mod help;
mod parse;
mod spec;

pub use args::Args;
pub use error::{ApiMisuse, Error};
pub use parse::{parse, parse_or_exit, Parsed, EXIT_USAGE};
pub use spec::{ArgKind, ArgSpec, HELP_NAME};

#[cfg(test)]
mod tests;
