//! `solodns update SERVER --key K [OPERATION…] [--file F]`: TSIG-signed
//! dynamic updates (RFC 2136) with nsupdate's operations, read by
//! `dns_update::parse_script`.
//!
//! The zone is `--zone`, else the script's `zone` line, else found as
//! nsupdate finds it: the SOA the server gives for the first name.
//! Messages up to 512 octets go over UDP (again over TCP when the answer is
//! truncated), larger ones over TCP.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgGroup, Args};
use dns_update::{check_response, parse_script, Prerequisite, ResponseFailure, UpdateBuilder};
use dns_wire::{class, opcode, rcode, Header, Message, MessageBuilder, Name, RecordType};
use dns_zone::name::name_to_string;

use crate::explain::{self, Request};
use crate::{net, show_name, Signing};

/// Arguments of `update`.
#[derive(Debug, Args)]
#[command(group(ArgGroup::new("source").required(true).args(["operations", "file"])))]
pub struct UpdateArgs {
    /// The server: IP[:PORT] (IPv6 as [ADDRESS]:PORT), port 53 by default.
    #[arg(value_parser = net::parse_server)]
    pub server: SocketAddr,
    /// Operations, one per (quoted) argument, in nsupdate's syntax:
    /// 'add NAME TTL TYPE RDATA', 'delete NAME [TYPE [RDATA]]',
    /// 'prereq yxdomain|nxdomain NAME', 'prereq yxrrset|nxrrset NAME TYPE
    /// [RDATA]'. Names are absolute (a final dot is optional). All of them
    /// form one UPDATE, applied all or nothing.
    #[arg(value_name = "OPERATION")]
    pub operations: Vec<String>,
    /// Read the operations from FILE ('-': standard input), one per line,
    /// as nsupdate reads them (also 'zone', 'origin', 'ttl', 'send'
    /// between updates, ';' comments; 'server' and 'key' lines are
    /// ignored).
    #[arg(long, short = 'f', value_name = "FILE", conflicts_with = "operations")]
    pub file: Option<PathBuf>,
    /// The zone to update (default: a 'zone' line of the operations, else
    /// the zone the server has for the first name).
    #[arg(long, value_parser = crate::parse_name)]
    pub zone: Option<Name>,
    /// Send over TCP whatever the size.
    #[arg(long)]
    pub tcp: bool,
    #[command(flatten)]
    pub signing: Signing,
}

/// Runs `update`.
pub fn run(args: UpdateArgs) -> ExitCode {
    match update(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("solodns update: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The updates of the script, and whether the script names their zone.
fn read(args: &UpdateArgs) -> Result<(Vec<UpdateBuilder>, bool), String> {
    let (text, line_name): (String, Box<dyn Fn(usize) -> String>) = match &args.file {
        Some(path) => {
            let shown = path.display().to_string();
            let text = if path.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())
                    .map_err(|e| format!("standard input: {e}"))?
            } else {
                std::fs::read_to_string(path).map_err(|e| format!("{shown}: {e}"))?
            };
            (text, Box::new(move |line| format!("{shown}:{line}")))
        }
        None => {
            if let Some(op) = args.operations.iter().find(|o| o.contains(['\n', '\r'])) {
                return Err(format!(
                    "one operation per argument ({op:?} has several lines); use --file for a script"
                ));
            }
            let ops = args.operations.clone();
            (
                args.operations.join("\n"),
                Box::new(move |line| format!("operation {line} ({:?})", ops[line - 1])),
            )
        }
    };
    let updates =
        parse_script(&text).map_err(|e| format!("{}: {}", line_name(e.line), e.message))?;
    if updates.is_empty() {
        return Err(String::from("no operations: nothing to send"));
    }
    let has_zone_line = text.lines().any(|l| {
        l.split_whitespace()
            .next()
            .is_some_and(|w| w.eq_ignore_ascii_case("zone"))
    });
    Ok((updates, has_zone_line))
}

/// The updates to send, each with its zone.
pub(crate) fn plan(
    args: &UpdateArgs,
    find_zone: &dyn Fn(&Name) -> Result<Name, String>,
) -> Result<Vec<UpdateBuilder>, String> {
    let (mut updates, has_zone_line) = read(args)?;
    match &args.zone {
        Some(_) if has_zone_line => {
            return Err(String::from(
                "--zone and a 'zone' line in the operations: give the zone once",
            ))
        }
        Some(z) => updates.iter_mut().for_each(|u| u.zone = z.clone()),
        // parse_script took the first name of each update as its zone.
        None if !has_zone_line => {
            for u in &mut updates {
                u.zone = find_zone(&u.zone)?;
            }
        }
        None => {}
    }
    Ok(updates)
}

fn update(args: &UpdateArgs) -> Result<(), String> {
    let find = |name: &Name| find_zone(args, name);
    let updates = plan(args, &find)?;
    let count = updates.len();
    for (i, u) in updates.iter().enumerate() {
        let label = if count > 1 {
            format!("update {} of {count} ({}): ", i + 1, show_name(&u.zone))
        } else {
            String::new()
        };
        match send(args, u) {
            Ok(()) => println!("{label}NOERROR"),
            Err(e) => {
                let done = if i > 0 {
                    format!(" (the {i} update(s) before it were applied)")
                } else {
                    String::new()
                };
                return Err(format!("{label}{e}{done}"));
            }
        }
    }
    Ok(())
}

/// Sends one UPDATE and checks the answer.
fn send(args: &UpdateArgs, u: &UpdateBuilder) -> Result<(), String> {
    let key = &args.signing.key;
    let id = net::random_id()?;
    let (msg, verifier) = u
        .build_signed(id, key, args.signing.now())
        .map_err(|e| format!("the update does not fit in a DNS message: {e:?}"))?;
    let is_answer = |m: &[u8]| net::answers(m, id, opcode::UPDATE);
    let wait = args.signing.wait();
    let answer = if args.tcp || msg.len() > net::UDP_LIMIT {
        net::tcp_exchange(args.server, &msg, wait, is_answer)?
    } else {
        let a = net::udp_exchange(args.server, &msg, wait, args.signing.retries, is_answer)?;
        if net::truncated(&a) {
            net::tcp_exchange(args.server, &msg, wait, is_answer)?
        } else {
            a
        }
    };
    let now = args.signing.now();
    let rc = Header::parse(&answer).map_or(rcode::NOERROR, |h| h.rcode());
    match check_response(&answer, id, Some(&mut verifier.clone()), now) {
        Ok(()) => Ok(()),
        Err(ResponseFailure::Tsig(e)) => Err(explain::tsig(&e, key, now, rc)),
        Err(ResponseFailure::Rcode(rc)) => {
            Err(explain::rcode(Request::Update, rc, &u.zone, key, &|rc| {
                prerequisites_failing_with(u, rc)
            }))
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The prerequisites of `u` whose failure is answered with `rc`, as
/// nsupdate lines.
fn prerequisites_failing_with(u: &UpdateBuilder, rc: u16) -> Vec<String> {
    u.prerequisites
        .iter()
        .filter_map(|p| {
            let (fails_with, text) = match p {
                Prerequisite::NameNotInUse(n) => (
                    rcode::YXDOMAIN,
                    format!("prereq nxdomain {}", name_to_string(n)),
                ),
                Prerequisite::NameInUse(n) => (
                    rcode::NXDOMAIN,
                    format!("prereq yxdomain {}", name_to_string(n)),
                ),
                Prerequisite::RrsetAbsent(n, t) => (
                    rcode::YXRRSET,
                    format!(
                        "prereq nxrrset {} {}",
                        name_to_string(n),
                        dns_zone::type_mnemonic(*t)
                    ),
                ),
                Prerequisite::RrsetExists(n, t) => (
                    rcode::NXRRSET,
                    format!(
                        "prereq yxrrset {} {}",
                        name_to_string(n),
                        dns_zone::type_mnemonic(*t)
                    ),
                ),
                Prerequisite::RrsetEquals(n, t, rds) => (
                    rcode::NXRRSET,
                    format!(
                        "prereq yxrrset {} {} with {} record(s)",
                        name_to_string(n),
                        dns_zone::type_mnemonic(*t),
                        rds.len()
                    ),
                ),
            };
            (fails_with == rc).then_some(text)
        })
        .collect()
}

/// The zone `name` is in, on the server: the owner of the SOA in the
/// answer (the name is the apex) or authority section of an SOA query, as
/// nsupdate finds it.
fn find_zone(args: &UpdateArgs, name: &Name) -> Result<Name, String> {
    let id = net::random_id()?;
    let mut b = MessageBuilder::new(id, 0);
    b.question(name, RecordType::SOA, class::IN)
        .map_err(|e| format!("{e:?}"))?;
    let query = b.finish();
    let shown = name_to_string(name);
    let answer = net::udp_exchange(
        args.server,
        &query,
        args.signing.wait(),
        args.signing.retries,
        |m| net::answers(m, id, opcode::QUERY),
    )
    .map_err(|e| format!("finding the zone of {shown} (or give --zone): {e}"))?;
    zone_from_soa_answer(&answer, name).map_err(|why| {
        format!(
            "cannot tell the zone of {shown} from {}: {why}; give --zone",
            args.server
        )
    })
}

pub(crate) fn zone_from_soa_answer(answer: &[u8], name: &Name) -> Result<Name, String> {
    let m = Message::parse(answer).map_err(|e| format!("unreadable answer ({e:?})"))?;
    let rc = m.header.rcode();
    if rc != rcode::NOERROR && rc != rcode::NXDOMAIN {
        return Err(format!("it answers {}", explain::rcode_name(rc)));
    }
    m.answers
        .iter()
        .chain(&m.authority)
        .find(|r| r.rtype == RecordType::SOA && r.owner.zone_of(name))
        .map(|r| r.owner.clone())
        .ok_or_else(|| String::from("no SOA record in its answer"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        args: UpdateArgs,
    }

    const KEY: &str = "admin._update.example.com:SHA256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";

    fn args(extra: &[&str]) -> Result<UpdateArgs, clap::Error> {
        let mut v = vec!["t", "192.0.2.1:5300", "--key", KEY];
        v.extend_from_slice(extra);
        T::try_parse_from(v).map(|t| t.args)
    }

    fn n(s: &str) -> Name {
        crate::parse_name(s).unwrap()
    }

    fn no_lookup(name: &Name) -> Result<Name, String> {
        panic!("no lookup expected for {name}")
    }

    #[test]
    fn operations_from_arguments() {
        let a = args(&[
            "--zone",
            "example.com",
            "prereq nxdomain www.example.com",
            "add www.example.com 300 A 192.0.2.7",
            "add www.example.com 300 TXT \"two words\"",
            "delete old.example.com",
            "delete mail.example.com MX",
            "delete ns.example.com A 192.0.2.1",
            "prereq yxrrset example.com NS",
        ])
        .unwrap();
        let ups = plan(&a, &no_lookup).unwrap();
        assert_eq!(ups.len(), 1);
        let u = &ups[0];
        assert_eq!(u.zone, n("example.com"));
        assert_eq!(u.prerequisites.len(), 2);
        assert_eq!(u.updates.len(), 5);
        assert_eq!(
            prerequisites_failing_with(u, rcode::YXDOMAIN),
            ["prereq nxdomain www.example.com."]
        );
        assert_eq!(
            prerequisites_failing_with(u, rcode::NXRRSET),
            ["prereq yxrrset example.com. NS"]
        );
        assert!(prerequisites_failing_with(u, rcode::NXDOMAIN).is_empty());
    }

    #[test]
    fn the_zone_is_found_when_not_given() {
        let a = args(&["add www.example.com 300 A 192.0.2.7"]).unwrap();
        let found = |name: &Name| {
            assert_eq!(*name, n("www.example.com"));
            Ok(n("example.com"))
        };
        assert_eq!(plan(&a, &found).unwrap()[0].zone, n("example.com"));
        // A 'zone' line in the operations is taken as it is.
        let a = args(&["zone example.org", "add www.example.org 300 A 192.0.2.7"]).unwrap();
        assert_eq!(plan(&a, &no_lookup).unwrap()[0].zone, n("example.org"));
        // But not together with --zone.
        let a = args(&[
            "--zone",
            "example.org",
            "zone example.org",
            "add www.example.org 300 A 192.0.2.7",
        ])
        .unwrap();
        assert!(plan(&a, &no_lookup)
            .unwrap_err()
            .contains("give the zone once"));
    }

    #[test]
    fn errors_name_the_operation_or_the_line() {
        let a = args(&[
            "--zone",
            "example.com",
            "add www.example.com 300 A 192.0.2.7",
            "add www.example.com A 192.0.2.8",
        ])
        .unwrap();
        let e = plan(&a, &no_lookup).unwrap_err();
        assert!(
            e.starts_with("operation 2 (\"add www.example.com A 192.0.2.8\"): a TTL is missing"),
            "{e}"
        );
        let a = args(&[
            "--zone",
            "example.com",
            "add www.example.com 300 A 192.0.2.7\nsend",
        ])
        .unwrap();
        assert!(plan(&a, &no_lookup)
            .unwrap_err()
            .contains("one operation per argument"));
        let a = args(&["--zone", "example.com", "frobnicate x"]).unwrap();
        assert!(plan(&a, &no_lookup)
            .unwrap_err()
            .contains("unknown command 'frobnicate'"));

        let dir = std::env::temp_dir().join(format!("solodns-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("script");
        std::fs::write(
            &f,
            "; a comment\nserver 192.0.2.1\nzone example.com\nupdate add a.example.com 60 A 192.0.2.1\nsend\nupdate add b.example.com 60 IN A 192.0.2.300\nsend\n",
        )
        .unwrap();
        let a = args(&["--file", f.to_str().unwrap()]).unwrap();
        let e = plan(&a, &no_lookup).unwrap_err();
        assert!(e.starts_with(&format!("{}:6: ", f.display())), "{e}");
        std::fs::write(
            &f,
            "zone example.com\nupdate add a.example.com 60 A 192.0.2.1\nsend\nprereq nxrrset b.example.com AAAA\nupdate add b.example.com 60 AAAA 2001:db8::1\nsend\n",
        )
        .unwrap();
        let ups = plan(&args(&["-f", f.to_str().unwrap()]).unwrap(), &no_lookup).unwrap();
        assert_eq!(ups.len(), 2);
        assert!(ups.iter().all(|u| u.zone == n("example.com")));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn argument_rules() {
        // Operations or a file, not both, not neither.
        assert!(args(&[]).is_err());
        assert!(args(&["--file", "x", "add a 1 A 192.0.2.1"]).is_err());
        let a = args(&["--tcp", "add a.example.com 1 A 192.0.2.1"]).unwrap();
        assert!(a.tcp);
        assert_eq!(a.server.port(), 5300);
    }

    #[test]
    fn zone_from_an_soa_answer() {
        let soa_rdata = {
            let (z, _) = dns_zone::Zone::parse(
                b"@ 300 SOA ns hostmaster 1 7200 3600 1209600 300\n@ 300 NS ns\nns 300 A 192.0.2.1\n",
                n("example.com"),
            )
            .unwrap();
            z.soa().first().as_bytes().to_vec()
        };
        let answer = |rc: u16, in_answer: bool| {
            let mut b = MessageBuilder::new(7, dns_wire::flags::QR | rc);
            b.question(&n("www.example.com"), RecordType::SOA, class::IN)
                .unwrap();
            let section = if in_answer {
                dns_wire::Section::Answer
            } else {
                dns_wire::Section::Authority
            };
            b.record(
                section,
                &n("example.com"),
                RecordType::SOA,
                class::IN,
                300,
                &soa_rdata,
            )
            .unwrap();
            b.finish()
        };
        for (rc, in_answer) in [(0, false), (rcode::NXDOMAIN, false), (0, true)] {
            assert_eq!(
                zone_from_soa_answer(&answer(rc, in_answer), &n("www.example.com")).unwrap(),
                n("example.com")
            );
        }
        assert!(
            zone_from_soa_answer(&answer(rcode::REFUSED, false), &n("www.example.com"))
                .unwrap_err()
                .contains("REFUSED")
        );
        // An SOA that is not above the name does not count.
        assert!(zone_from_soa_answer(&answer(0, false), &n("www.example.org")).is_err());
    }
}
