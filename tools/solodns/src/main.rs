//! `solodns`: the host-side command line of the suite.
//!
//! Subcommands are grouped by noun (`solodns zone check …`); each group has
//! its own module, so later ones (`key`, `notify`, `update`, `axfr`) slot in
//! beside `zone`.

mod zone;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

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
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Zone(cmd) => zone::run(cmd),
    }
}
