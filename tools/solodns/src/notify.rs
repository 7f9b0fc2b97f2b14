//! `solodns notify SERVER ZONE --key K`: a TSIG-signed NOTIFY (RFC 1996)
//! that tells SERVER (a primary-git, or a secondary) that ZONE changed.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;
use dns_wire::{opcode, rcode, Header};
use tsig::ResponseVerifier;

use crate::explain::{self, Request};
use crate::{net, Signing};

/// Arguments of `notify`.
#[derive(Debug, Args)]
pub struct NotifyArgs {
    /// The server: IP[:PORT] (IPv6 as [ADDRESS]:PORT), port 53 by default.
    #[arg(value_parser = net::parse_server)]
    pub server: SocketAddr,
    /// The zone that changed (the root, ".", asks primary-git to reload
    /// every zone).
    #[arg(value_parser = crate::parse_name)]
    pub zone: dns_zone::Name,
    /// Send over TCP instead of UDP.
    #[arg(long)]
    pub tcp: bool,
    #[command(flatten)]
    pub signing: Signing,
}

/// Runs `notify`.
pub fn run(args: NotifyArgs) -> ExitCode {
    match notify(&args) {
        Ok(()) => {
            println!("NOERROR");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("solodns notify: {e}");
            ExitCode::FAILURE
        }
    }
}

fn notify(args: &NotifyArgs) -> Result<(), String> {
    let key = &args.signing.key;
    let id = net::random_id()?;
    let mut msg = dns_notify::notify_query(&args.zone, id);
    let mac = tsig::sign_request(&mut msg, key, args.signing.now());
    let is_answer = |m: &[u8]| net::answers(m, id, opcode::NOTIFY);
    // The same signed message on every retransmission: one request MAC.
    let answer = if args.tcp {
        net::tcp_exchange(args.server, &msg, args.signing.wait(), is_answer)?
    } else {
        net::udp_exchange(
            args.server,
            &msg,
            args.signing.wait(),
            args.signing.retries,
            is_answer,
        )?
    };
    let rc = Header::parse(&answer).map_or(rcode::NOERROR, |h| h.rcode());
    let now = args.signing.now();
    ResponseVerifier::new(key.clone(), &mac)
        .verify(&answer, now)
        .map_err(|e| explain::tsig(&e, key, now, rc))?;
    if rc != rcode::NOERROR {
        return Err(explain::rcode(
            Request::Notify,
            rc,
            &args.zone,
            key,
            &|_| Vec::new(),
        ));
    }
    Ok(())
}
