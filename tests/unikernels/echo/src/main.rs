//! Test unikernel (not a product): UDP and TCP echo servers, or an outbound
//! TCP client, over `netstack`. Builds as a Solo5 image and as a host
//! process (`cargo run -p echo-test -- --listen=127.0.0.1:7007`) from the
//! same service code (`echo.rs`).
#![forbid(unsafe_code)]
#![cfg_attr(target_os = "none", no_std, no_main)]

extern crate alloc;

mod echo;

use bootargs::{ArgKind, ArgSpec, Args};
use core::net::SocketAddr;
use core::time::Duration;
use echo::{Echo, Mode};

const PROGRAM: &str = "echo-test";

/// The arguments of this program (the network ones are every unikernel's,
/// from libs/services/unikernel-args).
const ECHO_ARGS: &[ArgSpec] = &[
    ArgSpec {
        name: "port",
        kind: ArgKind::Value {
            metavar: "PORT",
            default: Some("7"),
        },
        help: "UDP and TCP echo port",
    },
    ArgSpec {
        name: "idle-timeout-ms",
        kind: ArgKind::Value {
            metavar: "MS",
            default: Some("10000"),
        },
        help: "close TCP connections idle this long",
    },
    ArgSpec {
        name: "connect",
        kind: ArgKind::Value {
            metavar: "IP:PORT",
            default: None,
        },
        help: "client mode: connect here and send --bytes bytes, then exit",
    },
    ArgSpec {
        name: "bytes",
        kind: ArgKind::Value {
            metavar: "N",
            default: Some("1048576"),
        },
        help: "client mode: bytes to send",
    },
    ArgSpec {
        name: "seed",
        kind: ArgKind::Value {
            metavar: "N",
            default: Some("1"),
        },
        help: "client mode: seed of the byte pattern",
    },
];

/// The service the arguments describe, or a one-line error.
fn mode(args: &Args<'_>) -> Result<Mode, bootargs::Error> {
    let connect: Option<SocketAddr> = args.parse_value("connect")?;
    Ok(match connect {
        Some(to) => Mode::Client {
            to,
            bytes: args.parse_required("bytes")?,
            seed: args.parse_required("seed")?,
        },
        None => Mode::Server {
            port: args.parse_required("port")?,
            idle_timeout: Duration::from_millis(args.parse_required("idle-timeout-ms")?),
        },
    })
}

#[cfg(target_os = "none")]
mod image {
    use super::*;
    use alloc::vec::Vec;
    use netstack::StackConfig;
    use solo5::StartInfo;
    use unikernel_args::NET_ARGS;

    solo5::manifest! { net "service" }
    solo5::entry!(main);

    fn log(args: core::fmt::Arguments<'_>) {
        solo5::println!("{args}");
    }

    fn main(start: &StartInfo) -> i32 {
        let specs: Vec<ArgSpec> = [NET_ARGS, ECHO_ARGS].concat();
        let args = solo5::boot_args(PROGRAM, &specs, start);
        let (ip, mode) = match unikernel_args::ip_config(&args).and_then(|ip| {
            mode(&args)
                .map(|m| (ip, m))
                .map_err(|e| alloc::format!("{e}"))
        }) {
            Ok(parsed) => parsed,
            Err(message) => {
                solo5::println!("{PROGRAM}: {message}");
                return bootargs::EXIT_USAGE;
            }
        };
        let mut service = Echo::new(mode, log);
        match netstack::run_solo5(&ip, StackConfig::default(), &mut service) {
            Ok(status) => status,
            Err(error) => {
                solo5::println!("{PROGRAM}: net device `service`: {error}");
                1
            }
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    use netstack::OsStack;
    use unikernel_args::{LISTEN_ARG, NET_ARGS};
    fn log(args: core::fmt::Arguments<'_>) {
        println!("{args}");
    }
    let specs: Vec<ArgSpec> = [NET_ARGS, ECHO_ARGS, &[LISTEN_ARG]].concat();
    let args = unikernel_args::host_args(PROGRAM, &specs);
    let parsed = unikernel_args::listen(&args).and_then(|listen| Ok((listen, mode(&args)?)));
    let (listen, mode) = parsed.unwrap_or_else(|error| {
        println!("{PROGRAM}: {error}");
        std::process::exit(bootargs::EXIT_USAGE)
    });
    let mut service = Echo::new(mode, log);
    let status = OsStack::new(listen)
        .and_then(|mut stack| stack.run(&mut service))
        .unwrap_or_else(|error| {
            println!("{PROGRAM}: {error}");
            1
        });
    std::process::exit(status);
}
