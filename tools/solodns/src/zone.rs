//! `solodns zone …`: zone-file commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use dns_zone::{Name, Zone, ZoneErrors};

/// Zone-file subcommands.
#[derive(Debug, Subcommand)]
pub enum ZoneCommand {
    /// Parse and validate a zone file; with --old, also check that a changed
    /// zone has a greater serial (RFC 1982).
    Check {
        /// The zone file (named after the zone in a zone repository).
        file: PathBuf,
        /// The zone's origin; defaults to the file's base name.
        #[arg(long)]
        origin: Option<String>,
        /// The previous version of the zone file.
        #[arg(long)]
        old: Option<PathBuf>,
    },
}

/// Runs a zone subcommand.
pub fn run(cmd: ZoneCommand) -> ExitCode {
    match cmd {
        ZoneCommand::Check { file, origin, old } => {
            match check(&file, origin.as_deref(), old.as_deref()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(()) => ExitCode::FAILURE,
            }
        }
    }
}

/// The origin: given, or the file's base name (OCaml-DNS repository layout).
fn origin_for(file: &Path, origin: Option<&str>) -> Result<Name, String> {
    let text = match origin {
        Some(o) => o.to_owned(),
        None => file
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_owned)
            .ok_or_else(|| {
                format!(
                    "{}: cannot derive the origin from the file name; use --origin",
                    file.display()
                )
            })?,
    };
    let mut scratch = Vec::new();
    dns_zone::name::parse_name(text.as_bytes(), &Name::root(), &mut scratch)
        .map_err(|e| format!("{}: bad origin {text:?}: {e}", file.display()))
}

/// Reads, parses and validates; prints diagnostics. `None` when it failed.
fn load(file: &Path, origin: &Name) -> Option<Zone> {
    let shown = file.display().to_string();
    let text = match std::fs::read(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{shown}: {e}");
            return None;
        }
    };
    match Zone::parse(&text, origin.clone()) {
        Ok((zone, warnings)) => {
            for w in &warnings {
                eprintln!("{}", warning(w, &shown));
            }
            Some(zone)
        }
        Err(ZoneErrors { errors, warnings }) => {
            for w in &warnings {
                eprintln!("{}", warning(w, &shown));
            }
            for e in &errors {
                eprintln!("{}", e.display_in(&shown));
            }
            None
        }
    }
}

fn warning(w: &dns_zone::Diagnostic, file: &str) -> String {
    if w.line == 0 {
        format!("{file}: warning: {}", w.message)
    } else {
        format!("{file}:{}:{}: warning: {}", w.line, w.column, w.message)
    }
}

fn check(file: &Path, origin: Option<&str>, old: Option<&Path>) -> Result<(), ()> {
    let origin = origin_for(file, origin).map_err(|e| eprintln!("{e}"))?;
    let zone = load(file, &origin).ok_or(())?;
    if let Some(old_file) = old {
        let old_zone = load(old_file, &origin).ok_or(())?;
        if let Err(error) = zone.check_successor(&old_zone) {
            eprintln!(
                "{}: the zone {error}; the old version is {}",
                file.display(),
                old_file.display()
            );
            return Err(());
        }
    }
    let name = dns_zone::name::name_to_string(zone.origin());
    println!(
        "{}: serial {}, {} records, OK",
        name.trim_end_matches('.'),
        zone.serial(),
        zone.record_count()
    );
    Ok(())
}
