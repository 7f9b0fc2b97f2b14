//! `solodns zone …`: zone-file commands.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Subcommand;
use dns_zone::{IncludeError, IncludeFiles, Name, Zone, ZoneErrors};

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
        /// The tree `$INCLUDE` may read from (paths relative to it first,
        /// then to the including file; nothing outside it is read); defaults
        /// to the zone file's directory.
        #[arg(long)]
        root: Option<PathBuf>,
    },
}

/// Runs a zone subcommand.
pub fn run(cmd: ZoneCommand) -> ExitCode {
    match cmd {
        ZoneCommand::Check {
            file,
            origin,
            old,
            root,
        } => match check(&file, origin.as_deref(), old.as_deref(), root.as_deref()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(()) => ExitCode::FAILURE,
        },
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

/// A directory as the tree `$INCLUDE` reads from: no symbolic link is
/// followed, so nothing outside it is read.
struct Directory<'a>(&'a Path);

impl IncludeFiles for Directory<'_> {
    fn read(&mut self, path: &str) -> Result<Vec<u8>, IncludeError> {
        let mut at = self.0.to_path_buf();
        for component in path.split('/') {
            at.push(component);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => {
                    return Err(IncludeError::Refused(
                        "a symbolic link (not followed: it could lead outside the tree)".into(),
                    ))
                }
                Ok(_) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    return Err(IncludeError::NotFound)
                }
                Err(e) => return Err(IncludeError::Refused(e.to_string())),
            }
        }
        if at.is_dir() {
            return Err(IncludeError::Refused("a directory, not a file".into()));
        }
        std::fs::read(&at).map_err(|e| IncludeError::Refused(e.to_string()))
    }
}

/// The tree for `$INCLUDE` and the file's path in it: `root`, or the
/// file's directory.
fn tree_of(file: &Path, root: Option<&Path>) -> Result<(PathBuf, String), String> {
    let absolute = std::fs::canonicalize(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let root = match root {
        Some(r) => std::fs::canonicalize(r).map_err(|e| format!("--root {}: {e}", r.display()))?,
        None => absolute
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("/")),
    };
    let inside = absolute.strip_prefix(&root).map_err(|_| {
        format!(
            "{}: the zone file is not inside --root {}",
            file.display(),
            root.display()
        )
    })?;
    let own: Vec<String> = inside
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Ok((root, own.join("/")))
}

/// Reads, parses and validates; prints diagnostics. `None` when it failed.
fn load(file: &Path, origin: &Name, root: Option<&Path>) -> Option<Zone> {
    let shown = file.display().to_string();
    let text = match std::fs::read(file) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{shown}: {e}");
            return None;
        }
    };
    let (root, own) = match tree_of(file, root) {
        Ok(tree) => tree,
        Err(e) => {
            eprintln!("{e}");
            return None;
        }
    };
    // Included files are shown as paths under the root.
    let place = |d: &dns_zone::Diagnostic| match &d.file {
        Some(f) => root.join(f).display().to_string(),
        None => shown.clone(),
    };
    let mut tree = Directory(&root);
    match Zone::parse_with_includes(&text, origin.clone(), &mut tree, &own) {
        Ok((zone, warnings)) => {
            for w in &warnings {
                eprintln!("{}", warning(w, &place(w)));
            }
            Some(zone)
        }
        Err(ZoneErrors { errors, warnings }) => {
            for w in &warnings {
                eprintln!("{}", warning(w, &place(w)));
            }
            for e in &errors {
                let mut e = e.clone();
                let file = place(&e);
                e.file = None;
                eprintln!("{}", e.display_in(&file));
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

fn check(
    file: &Path,
    origin: Option<&str>,
    old: Option<&Path>,
    root: Option<&Path>,
) -> Result<(), ()> {
    let origin = origin_for(file, origin).map_err(|e| eprintln!("{e}"))?;
    let zone = load(file, &origin, root).ok_or(())?;
    if let Some(old_file) = old {
        let old_zone = load(old_file, &origin, None).ok_or(())?;
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
