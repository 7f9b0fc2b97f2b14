//! `solodns`: the host-side command line of the suite.
//!
//! Subcommands are grouped by noun (`solodns zone check …`) or are single
//! verbs (`solodns notify …`); each has its own module. The DNS protocol
//! work (TSIG, UPDATE, NOTIFY, transfers, keys) is done by the no_std
//! libraries the unikernels use; the modules here add arguments, sockets
//! and messages for people.

#![forbid(unsafe_code)]
mod axfr;
mod certify;
mod explain;
mod keygen;
mod net;
mod notify;
mod update;
mod zone;

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use tsig::Key;

/// Command line of the solodns DNS suite.
#[derive(Debug, Parser)]
#[command(name = "solodns", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Work with zone files.
    #[command(subcommand)]
    Zone(zone::ZoneCommand),
    /// Make a TSIG key (`solodns keygen NAME`) or an SSH client key for
    /// primary-git (`solodns keygen ssh`).
    Keygen(keygen::KeygenArgs),
    /// Send a TSIG-signed NOTIFY for ZONE and wait for the signed answer.
    Notify(notify::NotifyArgs),
    /// Send a TSIG-signed dynamic UPDATE (RFC 2136) with nsupdate-like
    /// operations.
    Update(update::UpdateArgs),
    /// Transfer ZONE (AXFR over TCP, every message TSIG-verified) and print it.
    Axfr(axfr::AxfrArgs),
    /// Get a TLS certificate for HOST through DNS (OCaml-DNS's ocertify):
    /// publish a CSR as `_letsencrypt._tcp.HOST TLSA 3 255 0` by a signed
    /// UPDATE, wait for the letsencrypt service to publish the certificate
    /// (`TLSA 3 0 0`) and its chain (`TLSA 2 0 0`), and write HOST.pem.
    Certify(certify::CertifyArgs),
}

/// How a signed request is sent: the key and the waiting.
#[derive(Debug, Clone, Args)]
pub struct Signing {
    /// The TSIG key, as `name:SHA256:base64` (what `solodns keygen`
    /// prints; also SHA384, SHA512, `hmac-sha256`, … and BIND's
    /// `hmac-sha256:name:base64`). Read from $SOLODNS_KEY when not given,
    /// which keeps the secret out of the process list.
    #[arg(long, env = "SOLODNS_KEY", hide_env_values = true, value_parser = KeyParser)]
    pub key: Key,
    /// Seconds to wait for an answer (each UDP try, the TCP connect, each
    /// TCP read).
    #[arg(long, default_value_t = 5, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout: u64,
    /// UDP retransmissions when no answer comes.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// Shifts our clock by SECONDS when signing and checking signatures.
    /// For tests of the BADTIME handling only.
    #[arg(long, hide = true, default_value_t = 0, allow_hyphen_values = true)]
    pub clock_offset: i64,
}

impl Signing {
    /// Our time for TSIG, seconds since the epoch.
    pub fn now(&self) -> u64 {
        net::unix_time(self.clock_offset)
    }

    /// The per-answer wait.
    pub fn wait(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.timeout)
    }
}

/// `--key`: a key in the CLI form.
fn parse_key(s: &str) -> Result<Key, String> {
    dns_keys::parse_cli_key(s).map_err(|e| e.to_string())
}

/// `--key`'s value parser: clap's own error for a function parser would
/// print the whole value ("invalid value 'name:SHA999:SECRET'"), secret
/// included; this one shows the value without its secret.
#[derive(Clone)]
struct KeyParser;

impl clap::builder::TypedValueParser for KeyParser {
    type Value = Key;

    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Key, clap::Error> {
        let arg = arg.map_or_else(|| String::from("--key"), |a| format!("--{}", a.get_id()));
        let text = value.to_str().ok_or_else(|| {
            clap::Error::raw(
                clap::error::ErrorKind::InvalidUtf8,
                format!("{arg}: the key is not UTF-8\n"),
            )
        })?;
        parse_key(text).map_err(|why| {
            clap::Error::raw(
                clap::error::ErrorKind::ValueValidation,
                format!("{arg} {}: {why}\n", dns_keys::without_secret(text)),
            )
        })
    }
}

/// Output to a closed pipe (`solodns keygen … | head -1`) ends the program
/// quietly, as Unix tools end (killed by SIGPIPE: status 141 in a shell)
/// instead of panicking. Rust ignores SIGPIPE, so a write to a closed pipe
/// fails with `BrokenPipe` and `println!` panics with "failed printing to
/// stdout"; this hook turns exactly that panic into the exit.
fn exit_quietly_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let message = info
            .payload()
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| info.payload().downcast_ref::<&str>().copied())
            .unwrap_or("");
        let printing = message.starts_with("failed printing to stdout")
            || message.starts_with("failed printing to stderr");
        // The io::Error as std formats it: "Broken pipe (os error 32)".
        let epipe = message.to_ascii_lowercase().contains("broken pipe");
        if printing && epipe {
            std::process::exit(128 + 13);
        }
        default(info)
    }));
}

/// A domain name argument, absolute with or without the final dot.
pub fn parse_name(s: &str) -> Result<dns_zone::Name, String> {
    if s.is_empty() {
        return Err(String::from("a domain name is empty"));
    }
    let mut scratch = Vec::new();
    dns_zone::name::parse_name(s.as_bytes(), &dns_zone::Name::root(), &mut scratch)
        .map_err(|e| format!("'{s}' is not a domain name: {e}"))
}

/// The presentation form of a name, without the final dot (except the
/// root), as people write zone names.
pub fn show_name(name: &dns_zone::Name) -> String {
    let text = dns_zone::name::name_to_string(name);
    match text.strip_suffix('.') {
        Some(t) if !t.is_empty() => t.to_owned(),
        _ => text,
    }
}

fn main() -> ExitCode {
    exit_quietly_on_closed_pipe();
    let cli = Cli::parse();
    match cli.command {
        Command::Zone(cmd) => zone::run(cmd),
        Command::Keygen(args) => keygen::run(args),
        Command::Notify(args) => notify::run(args),
        Command::Update(args) => update::run(args),
        Command::Axfr(args) => axfr::run(args),
        Command::Certify(args) => certify::run(args),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_consistent() {
        Cli::command().debug_assert();
    }

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("solodns").chain(args.iter().copied()))
    }

    const KEY: &str = "admin._update.example.com:SHA256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0";

    #[test]
    fn key_forms() {
        for k in [
            KEY,
            "admin._update.example.com.:hmac-sha256:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
            "hmac-sha256:admin._update.example.com:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0",
        ] {
            let Cli {
                command: Command::Notify(n),
            } = parse(&["notify", "127.0.0.1", "example.com", "--key", k]).unwrap()
            else {
                panic!("notify")
            };
            assert_eq!(show_name(n.signing.key.name()), "admin._update.example.com");
            assert_eq!(n.signing.key.algorithm(), tsig::Algorithm::HmacSha256);
            assert_eq!(n.signing.key.secret(), b"secretsecretsecretsecret");
        }
        let k = parse_key("x._transfer.example.com:SHA512:AAAA").unwrap();
        assert_eq!(k.algorithm(), tsig::Algorithm::HmacSha512);
        for bad in [
            "nocolons",
            "name:MD5:AAAA",
            "name:SHA256:!!!",
            "name:SHA256:",
            ":SHA256:AAAA",
        ] {
            let e = parse(&["notify", "127.0.0.1", "example.com", "--key", bad])
                .err()
                .unwrap_or_else(|| panic!("{bad} accepted"));
            assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation, "{bad}");
        }
    }

    /// A bad `--key` is reported without its secret (issue 12 §8).
    #[test]
    fn a_bad_key_never_shows_its_secret() {
        let secret = "c2VjcmV0c2VjcmV0c2VjcmV0";
        for bad in [
            format!("name:SHA999:{secret}"),
            format!("hmac-md5:name:{secret}"),
            format!("name:SHA256:{secret}!"),
            format!("bad..name:SHA256:{secret}"),
            secret.to_string(),
        ] {
            let e = parse(&["notify", "127.0.0.1", "example.com", "--key", &bad]).unwrap_err();
            let shown = e.to_string();
            assert_eq!(e.kind(), clap::error::ErrorKind::ValueValidation, "{shown}");
            assert!(shown.contains("--key"), "{shown}");
            assert!(!shown.contains(secret), "{shown}");
        }
    }

    #[test]
    fn the_key_is_required() {
        // Unless $SOLODNS_KEY is set, which the test runner does not do.
        if std::env::var_os("SOLODNS_KEY").is_none() {
            let e = parse(&["axfr", "127.0.0.1", "example.com"]).unwrap_err();
            assert_eq!(e.kind(), clap::error::ErrorKind::MissingRequiredArgument);
        }
    }

    #[test]
    fn signing_options() {
        let Cli {
            command: Command::Axfr(a),
        } = parse(&[
            "axfr",
            "[::1]:5300",
            "example.com.",
            "--key",
            KEY,
            "--timeout",
            "2",
            "--retries",
            "0",
            "--clock-offset",
            "-400",
        ])
        .unwrap()
        else {
            panic!("axfr")
        };
        assert_eq!(a.server.to_string(), "[::1]:5300");
        assert_eq!(show_name(&a.zone), "example.com");
        assert_eq!((a.signing.timeout, a.signing.retries), (2, 0));
        assert_eq!(a.signing.clock_offset, -400);
        assert!(a.signing.now() + 400 >= net::unix_time(0));
        assert!(parse(&[
            "axfr",
            "127.0.0.1",
            "example.com",
            "--key",
            KEY,
            "--timeout",
            "0"
        ])
        .is_err());
        assert!(parse(&["axfr", "127.0.0.1", "exa mple..com", "--key", KEY]).is_err());
    }

    #[test]
    fn names() {
        assert_eq!(
            show_name(&parse_name("Example.COM").unwrap()),
            "Example.COM"
        );
        assert_eq!(show_name(&parse_name(".").unwrap()), ".");
        assert!(parse_name("").is_err());
        assert!(parse_name("a..b").is_err());
    }
}
