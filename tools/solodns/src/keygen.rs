//! `solodns keygen …`: TSIG secrets and the SSH client key of primary-git.

use std::process::ExitCode;

use clap::{Args, Subcommand, ValueEnum};
use dns_keys::{format_cli_key, format_keys_line, KeyRole};
use tsig::{Algorithm, Key};

use crate::net::random_bytes;

/// `keygen NAME` or `keygen ssh`.
#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct KeygenArgs {
    #[command(subcommand)]
    ssh: Option<SshCommand>,
    /// The key name, in the OCaml-DNS layout: `NAME._update.ZONE` (may
    /// update, transfer and notify ZONE), `IP1.IP2._transfer.ZONE` (may
    /// transfer; names the primary and the secondary), `NAME._notify.ZONE`.
    #[arg(required = true, value_parser = crate::parse_name)]
    name: Option<dns_zone::Name>,
    /// The HMAC algorithm.
    #[arg(long, value_enum, default_value_t = Hmac::Sha256)]
    algorithm: Hmac,
}

#[derive(Debug, Subcommand)]
enum SshCommand {
    /// Make an ed25519 SSH client key for primary-git: prints the secret
    /// seed for `--ssh-key=` and the public `authorized_keys` line.
    Ssh {
        /// The comment of the authorized_keys line.
        #[arg(long, default_value = "primary-git")]
        comment: String,
    },
}

/// TSIG algorithms worth making new keys for (RFC 8945 §6: SHA-256 is
/// mandatory to implement; SHA-1 only for old peers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Hmac {
    /// hmac-sha256 (DNSKEY algorithm 163 in `_keys` files).
    Sha256,
    /// hmac-sha384 (164).
    Sha384,
    /// hmac-sha512 (165).
    Sha512,
}

impl Hmac {
    fn algorithm(self) -> Algorithm {
        match self {
            Self::Sha256 => Algorithm::HmacSha256,
            Self::Sha384 => Algorithm::HmacSha384,
            Self::Sha512 => Algorithm::HmacSha512,
        }
    }
}

/// Runs `keygen`.
pub fn run(args: KeygenArgs) -> ExitCode {
    let result = match (args.ssh, args.name) {
        (Some(SshCommand::Ssh { comment }), _) => ssh(&comment),
        (None, Some(name)) => tsig_key(name, args.algorithm.algorithm()),
        (None, None) => Err(String::from("a key name is required")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("solodns keygen: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A fresh key: a secret as long as the hash output (RFC 8945 §6 asks for
/// at least that much).
fn make_key(name: dns_zone::Name, algorithm: Algorithm) -> Result<Key, String> {
    let mut secret = vec![0u8; algorithm.output_len()];
    random_bytes(&mut secret)?;
    Ok(Key::new(name, algorithm, secret))
}

fn tsig_key(name: dns_zone::Name, algorithm: Algorithm) -> Result<(), String> {
    if KeyRole::of(&name).is_none() {
        eprintln!(
            "note: {} has no _update, _transfer or _notify label: solodns servers grant it nothing (DESIGN.md §1)",
            crate::show_name(&name)
        );
    }
    let key = make_key(name, algorithm)?;
    println!("{}", format_keys_line(&key));
    println!("{}", format_cli_key(&key));
    eprintln!(
        "The first line goes into a _keys (or ZONE._keys) file of the zone repository, the second is the --key argument; both hold the secret."
    );
    Ok(())
}

fn ssh(comment: &str) -> Result<(), String> {
    if comment.contains(['\n', '\r']) {
        return Err(String::from("the comment must be one line"));
    }
    let mut seed = [0u8; 32];
    random_bytes(&mut seed)?;
    let key = ssh::ClientKey::from_seed(seed);
    println!("{}", key.to_secret_text());
    println!("{}", key.authorized_keys_line(comment));
    eprintln!(
        "The first line is SECRET: give it to primary-git as --ssh-key=ed25519:…; the second is the public key, for the git account's authorized_keys."
    );
    Ok(())
}
