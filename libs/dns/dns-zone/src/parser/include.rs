//! `$INCLUDE` (RFC 1035 §5.1) without a file system: the caller's tree of
//! files answers through [`IncludeFiles`]; the path rules live here, so
//! that every caller (a git tree, a directory, `solodns zone check`) applies
//! the same ones.
//!
//! # Path rules
//!
//! - Paths are relative, with `/` between components. An absolute path
//!   (`/…`) is refused: the tree is the only file system there is.
//! - A relative path is looked up first from the root of the tree, as BIND
//!   and NSD resolve it from their working directory (BIND's `directory`
//!   option; an operator moving from BIND points us at that directory), then
//!   from the directory of the including file, as Knot resolves it. When the
//!   including file is at the root, both are the same.
//! - `.` and `..` are resolved in the text of the path; a path that would
//!   leave the tree is refused (both readings must stay inside; one that
//!   leaves is not tried).
//! - A file that includes itself, directly or through others, is refused
//!   with the chain of files; at most [`MAX_INCLUDE_DEPTH`] files are open
//!   at once and at most [`MAX_INCLUDES`] are included per zone.

use alloc::string::String;
use alloc::vec::Vec;

/// Deepest nesting of included files (BIND and NSD nest without a fixed
/// limit; 16 levels is far beyond what zone repositories use and stops a
/// hostile tree from exhausting memory).
pub const MAX_INCLUDE_DEPTH: usize = 16;

/// Most `$INCLUDE`s followed while parsing one zone: without it, a file
/// that includes another ten times, which includes a third ten times, and
/// so on, would multiply its records without a loop.
pub const MAX_INCLUDES: usize = 1024;

/// The files `$INCLUDE` may name: the caller's tree (a git commit, a
/// directory), read on the parser's behalf.
pub trait IncludeFiles {
    /// The contents of the file at `path`: relative to the root of the
    /// tree, normalised (components separated by `/`, no `.`, `..` or empty
    /// component, no leading `/`).
    fn read(&mut self, path: &str) -> Result<Vec<u8>, IncludeError>;
}

/// Why a file could not be included.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IncludeError {
    /// No file at that path (the parser then tries the other reading).
    NotFound,
    /// The tree has something there that may not be included (a
    /// directory, a symbolic link, a file of TSIG secrets): why.
    Refused(String),
}

/// What was wrong with an `$INCLUDE`, for [`crate::ParseErrorKind::Include`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum IncludeProblem {
    /// The parser was given no tree to include from.
    NoTree,
    /// The path is absolute.
    Absolute,
    /// The path leaves the tree (through `..`).
    Escapes,
    /// No file at any reading of the path: the paths tried.
    NotFound(Vec<String>),
    /// The tree refused the file: why.
    Refused(String),
    /// The file is already being read: the chain of files, outermost first,
    /// ending with this one again.
    Loop(Vec<String>),
    /// More than [`MAX_INCLUDE_DEPTH`] files open at once.
    TooDeep,
    /// More than [`MAX_INCLUDES`] files included in the zone.
    TooMany,
}

impl core::fmt::Display for IncludeProblem {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::NoTree => f.write_str("there is no file tree to include from here"),
            Self::Absolute => f.write_str(
                "absolute paths are refused: name a file of the zone tree, relative to its root",
            ),
            Self::Escapes => f.write_str("the path leaves the zone tree"),
            Self::NotFound(tried) => {
                f.write_str("no such file in the zone tree (looked for ")?;
                for (i, t) in tried.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" and ")?;
                    }
                    f.write_str(t)?;
                }
                f.write_str(")")
            }
            Self::Refused(why) => f.write_str(why),
            Self::Loop(chain) => {
                f.write_str("include loop: ")?;
                for (i, t) in chain.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" -> ")?;
                    }
                    f.write_str(t)?;
                }
                Ok(())
            }
            Self::TooDeep => write!(
                f,
                "more than {MAX_INCLUDE_DEPTH} files included in each other"
            ),
            Self::TooMany => write!(f, "more than {MAX_INCLUDES} $INCLUDEs in one zone"),
        }
    }
}

/// `path` joined to `dir` (a normalised directory, "" for the root) and
/// normalised; `None` when it leaves the tree.
pub(crate) fn normalise(dir: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = dir.split('/').filter(|c| !c.is_empty()).collect();
    for component in path.split('/') {
        match component {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            c => parts.push(c),
        }
    }
    Some(parts.join("/"))
}

/// The directory part of a normalised path ("" at the root).
pub(crate) fn parent(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// The readings of `path` named in a file at `including`, in the order
/// they are tried; an error when the path is absolute or every reading
/// leaves the tree.
pub(crate) fn candidates(including: &str, path: &str) -> Result<Vec<String>, IncludeProblem> {
    if path.starts_with('/') {
        return Err(IncludeProblem::Absolute);
    }
    let mut out = Vec::new();
    for dir in ["", parent(including)] {
        if let Some(p) = normalise(dir, path) {
            if !out.contains(&p) {
                out.push(p);
            }
        }
    }
    if out.is_empty() {
        Err(IncludeProblem::Escapes)
    } else {
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn readings_root_first_then_the_including_directory() {
        assert_eq!(
            candidates("example.com", "keys/k"),
            Ok(vec!["keys/k".into()])
        );
        assert_eq!(
            candidates("sub/zone", "inc"),
            Ok(vec!["inc".into(), "sub/inc".into()])
        );
        assert_eq!(candidates("sub/zone", "../inc"), Ok(vec!["inc".into()]));
        assert_eq!(candidates("a", "./b/../c"), Ok(vec!["c".into()]));
        assert_eq!(
            candidates("a", "../etc/passwd"),
            Err(IncludeProblem::Escapes)
        );
        assert_eq!(
            candidates("a", "/etc/passwd"),
            Err(IncludeProblem::Absolute)
        );
        assert_eq!(candidates("a", "b/../../c"), Err(IncludeProblem::Escapes));
    }
}
