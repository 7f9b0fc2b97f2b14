//! `solodns axfr SERVER ZONE --key K`: a TSIG-signed AXFR (RFC 5936) over
//! TCP; every message of the answer is verified (RFC 8945 §5.3.1), the
//! records are checked as a zone, and the zone is printed as master-file
//! text.

use std::net::SocketAddr;
use std::process::ExitCode;

use clap::Args;
use dns_xfr::{Outcome, Progress, XfrClient, XfrError};

use crate::explain::{self, Request};
use crate::{net, Signing};

/// Arguments of `axfr`.
#[derive(Debug, Args)]
pub struct AxfrArgs {
    /// The server: IP[:PORT] (IPv6 as [ADDRESS]:PORT), port 53 by default.
    #[arg(value_parser = net::parse_server)]
    pub server: SocketAddr,
    /// The zone to transfer.
    #[arg(value_parser = crate::parse_name)]
    pub zone: dns_zone::Name,
    #[command(flatten)]
    pub signing: Signing,
}

/// Runs `axfr`.
pub fn run(args: AxfrArgs) -> ExitCode {
    match transfer(&args) {
        Ok(zone) => {
            print!("{}", dns_zone::print_zone(&zone));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("solodns axfr: {e}");
            ExitCode::FAILURE
        }
    }
}

fn transfer(args: &AxfrArgs) -> Result<dns_zone::Zone, String> {
    let key = &args.signing.key;
    let id = net::random_id()?;
    let (mut client, request) =
        XfrClient::axfr(args.zone.clone(), id, None, Some(key), args.signing.now());
    let mut conn = net::Tcp::connect(args.server, args.signing.wait())?;
    conn.send(&request)?;
    loop {
        let Some(msg) = conn.recv()? else {
            return Err(format!(
                "{}: the server closed the connection after {} messages, before the end of the transfer",
                args.server,
                client.messages()
            ));
        };
        let now = args.signing.now();
        match client.handle_message(&msg, now) {
            Ok(Progress::More) => {}
            Ok(Progress::Done(Outcome::Full(zone))) => return Ok(zone),
            Ok(Progress::Done(other)) => {
                return Err(format!("unexpected end of the transfer: {other:?}"))
            }
            // Not ours (a stray message with another ID): skip it.
            Err(XfrError::NotOurs) if !net::answers(&msg, id, dns_wire::opcode::QUERY) => {}
            Err(XfrError::Tsig(e)) => {
                let rc = dns_wire::Header::parse(&msg).map_or(0, |h| h.rcode());
                return Err(explain::tsig(&e, key, now, rc));
            }
            Err(XfrError::Rcode(rc)) => {
                return Err(explain::rcode(
                    Request::Transfer,
                    rc,
                    &args.zone,
                    key,
                    &|_| Vec::new(),
                ))
            }
            Err(e) => return Err(e.to_string()),
        }
    }
}
