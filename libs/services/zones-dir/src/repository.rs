//! Reading a zone directory as a zone repository (OCaml-DNS layout).

use std::path::Path;

use dns_service::ZoneFile;

/// Deepest directory read (as git trees are bounded).
pub const MAX_DIR_DEPTH: usize = 16;

/// Every regular file under `dir`, with its path from `dir`: the zones
/// are the top-level ones, the rest may be `$INCLUDE`d. Hidden
/// directories (`.git`, the journals) and hidden files below the top are
/// skipped, and symbolic links are never followed, so nothing outside
/// `dir` is read.
pub fn read_repository(dir: &Path) -> std::io::Result<Vec<ZoneFile>> {
    let mut files = Vec::new();
    let mut pending = vec![(dir.to_path_buf(), String::new())];
    while let Some((path, prefix)) = pending.pop() {
        for entry in std::fs::read_dir(&path)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if !prefix.is_empty() && name.starts_with('.') {
                continue;
            }
            let kind = entry.file_type()?;
            let relative = format!("{prefix}{name}");
            if kind.is_file() {
                files.push(ZoneFile {
                    name: relative,
                    contents: std::fs::read(entry.path())?,
                });
            } else if kind.is_dir() && !name.starts_with('.') {
                if prefix.matches('/').count() >= MAX_DIR_DEPTH {
                    return Err(std::io::Error::other(format!(
                        "{relative}: more than {MAX_DIR_DEPTH} directories deep"
                    )));
                }
                pending.push((entry.path(), format!("{relative}/")));
            }
        }
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}
