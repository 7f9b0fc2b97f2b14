//! The reference advertisement of protocol v0/v1 (`gitprotocol-pack(5)`,
//! "Reference Discovery"), the same for upload-pack and receive-pack:
//!
//! ```text
//! [version 1]
//! <id> <first ref>\0<capabilities>      or  <zero-id> capabilities^{}\0<capabilities>
//! <id> <ref>
//! <id> <ref>^{}                         (the peeled value of the ref before)
//! shallow <id>                          (if the remote repository is shallow)
//! 0000
//! ```

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use crate::oid::{ObjectId, SHA1_HEX_LEN};
use crate::pktline::PacketLineRef;

/// Most refs we keep from one advertisement; a repository of zones has a
/// handful, and the bound keeps a hostile remote from filling memory.
pub const MAX_REFS: usize = 100_000;

/// Longest ref name we use, in bytes. git stores refs as files, so its
/// names stay under PATH_MAX (4096); anything longer from a remote is not
/// a branch we could push to (our command line must fit one pkt-line of
/// 65 516 bytes with two ids and the capabilities), so it is skipped.
pub const MAX_REFNAME_LEN: usize = 4096;

/// An advertised ref.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ref {
    /// Full name: `HEAD`, `refs/heads/main`, `refs/tags/v1`.
    pub name: String,
    /// The object it points at.
    pub id: ObjectId,
    /// For an annotated tag, the object the tag points at (`^{}` line).
    pub peeled: Option<ObjectId>,
}

/// The capability list sent after NUL on the first line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Capabilities {
    raw: String,
}

impl Capabilities {
    /// Capabilities from their space-separated form.
    pub fn new(raw: &str) -> Self {
        Capabilities {
            raw: raw.trim().into(),
        }
    }

    /// Every capability, as sent (`name` or `name=value`).
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.raw.split(' ').filter(|c| !c.is_empty())
    }

    /// Whether the capability `name` is present (with or without a value).
    pub fn contains(&self, name: &str) -> bool {
        self.iter()
            .any(|c| c == name || c.strip_prefix(name).is_some_and(|r| r.starts_with('=')))
    }

    /// The value of the first `name=value` capability.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.iter()
            .find_map(|c| c.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
    }

    /// The values of every `name=value` capability (e.g. several `symref`).
    pub fn values<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.iter()
            .filter_map(move |c| c.strip_prefix(name).and_then(|r| r.strip_prefix('=')))
    }

    /// The target of the symbolic ref `name` (`symref=HEAD:refs/heads/main`).
    pub fn symref(&self, name: &str) -> Option<&str> {
        self.values("symref")
            .find_map(|v| v.strip_prefix(name).and_then(|r| r.strip_prefix(':')))
    }
}

/// A complete advertisement.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Advertisement {
    /// The refs, in the remote's order (HEAD first if present).
    pub refs: Vec<Ref>,
    /// The remote's capabilities.
    pub capabilities: Capabilities,
    /// Commits the remote repository is shallow at.
    pub shallow: Vec<ObjectId>,
}

impl Advertisement {
    /// The ref named exactly `name`.
    pub fn find(&self, name: &str) -> Option<&Ref> {
        self.refs.iter().find(|r| r.name == name)
    }

    /// The branch HEAD points at: from `symref=HEAD:…`, or else (servers
    /// older than git 1.8.4) a branch with HEAD's id, preferring `main`
    /// and `master`.
    pub fn head_branch(&self) -> Option<&Ref> {
        if let Some(target) = self.capabilities.symref("HEAD") {
            return self.find(target);
        }
        let head = self.find("HEAD")?;
        let mut same = self
            .refs
            .iter()
            .filter(|r| r.id == head.id && r.name.starts_with("refs/heads/"));
        let candidates: Vec<&Ref> = same.by_ref().collect();
        candidates
            .iter()
            .find(|r| r.name == "refs/heads/main")
            .or_else(|| candidates.iter().find(|r| r.name == "refs/heads/master"))
            .or_else(|| candidates.first())
            .copied()
    }
}

/// A malformed advertisement or an error the remote reported.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A line is not `<hex-id> <refname>` (first line: plus NUL and
    /// capabilities).
    RefLine {
        /// The line, lossily decoded.
        line: String,
    },
    /// A `shallow` line does not carry an id.
    ShallowLine {
        /// The line, lossily decoded.
        line: String,
    },
    /// More than [`MAX_REFS`] refs.
    TooManyRefs,
    /// The remote sent `ERR <message>`.
    Remote {
        /// The message.
        message: String,
    },
    /// The remote speaks a protocol version we do not (`version 2`).
    Version {
        /// The version line.
        line: String,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::RefLine { line } => write!(
                f,
                "a ref advertisement line should be '<hex-id> <refname>' (the first one followed by NUL and capabilities), got {line:?}"
            ),
            Error::ShallowLine { line } => {
                write!(f, "a shallow line should be 'shallow <hex-id>', got {line:?}")
            }
            Error::TooManyRefs => {
                write!(f, "a ref advertisement should list at most {MAX_REFS} refs")
            }
            Error::Remote { message } => write!(f, "the remote reported an error: {message}"),
            Error::Version { line } => write!(
                f,
                "the remote should speak protocol version 0 or 1, it sent {line:?}"
            ),
        }
    }
}

impl core::error::Error for Error {}

pub(crate) fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Builds an [`Advertisement`] from pkt-lines, one at a time.
#[derive(Debug, Default)]
pub struct Parser {
    adv: Advertisement,
    lines: usize,
}

impl Parser {
    /// A parser waiting for the first line.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes the next pkt-line; returns the advertisement at the flush.
    pub fn line(&mut self, line: PacketLineRef<'_>) -> Result<Option<Advertisement>, Error> {
        let data = match line {
            PacketLineRef::Flush => return Ok(Some(core::mem::take(&mut self.adv))),
            PacketLineRef::Data(_) => line.as_text().unwrap_or_default(),
            // Not part of v0/v1; a v2 server would be answering, which we
            // did not ask for.
            PacketLineRef::Delimiter | PacketLineRef::ResponseEnd => {
                return Err(Error::RefLine {
                    line: "<delim or response-end>".into(),
                })
            }
        };
        if let Some(message) = line.as_error() {
            return Err(Error::Remote {
                message: lossy(message),
            });
        }
        let first = self.lines == 0;
        self.lines += 1;
        if first && data.starts_with(b"version ") {
            if data == b"version 1" {
                self.lines = 0;
                return Ok(None);
            }
            return Err(Error::Version { line: lossy(data) });
        }
        if let Some(hex) = data.strip_prefix(b"shallow ") {
            let id =
                ObjectId::from_hex(hex).map_err(|_| Error::ShallowLine { line: lossy(data) })?;
            self.adv.shallow.push(id);
            return Ok(None);
        }
        let (line, caps) = match data.iter().position(|&b| b == 0) {
            Some(nul) if first => (&data[..nul], Some(&data[nul + 1..])),
            Some(_) => return Err(Error::RefLine { line: lossy(data) }),
            None => (data, None),
        };
        if let Some(caps) = caps {
            self.adv.capabilities = Capabilities::new(&lossy(caps));
        }
        let bad = || Error::RefLine { line: lossy(data) };
        if line.len() < SHA1_HEX_LEN + 2 || line[SHA1_HEX_LEN] != b' ' {
            return Err(bad());
        }
        let id = ObjectId::from_hex(&line[..SHA1_HEX_LEN]).map_err(|_| bad())?;
        let Ok(name) = core::str::from_utf8(&line[SHA1_HEX_LEN + 1..]) else {
            // Not a name we could ask for; skip it.
            return Ok(None);
        };
        if first && caps.is_some() && name == "capabilities^{}" {
            // An empty repository: capabilities only.
            return Ok(None);
        }
        if let Some(base) = name.strip_suffix("^{}") {
            if let Some(prev) = self.adv.refs.last_mut().filter(|r| r.name == base) {
                prev.peeled = Some(id);
            }
            return Ok(None);
        }
        if name == ".have" || name.len() > MAX_REFNAME_LEN {
            // receive-pack: objects of alternates, not refs; or a name too
            // long to be one of ours.
            return Ok(None);
        }
        if self.adv.refs.len() >= MAX_REFS {
            return Err(Error::TooManyRefs);
        }
        self.adv.refs.push(Ref {
            name: name.to_string(),
            id,
            peeled: None,
        });
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pktline::{decode, Stream};

    fn parse(mut input: &[u8]) -> Result<Advertisement, Error> {
        let mut p = Parser::new();
        loop {
            match decode(input).unwrap() {
                Stream::Complete { line, consumed } => {
                    input = &input[consumed..];
                    if let Some(a) = p.line(line)? {
                        return Ok(a);
                    }
                }
                Stream::Incomplete { .. } => panic!("incomplete"),
            }
        }
    }

    // gitprotocol-pack(5), "Reference Discovery".
    const EXAMPLE: &[u8] = b"000eversion 1\n\
00887217a7c7e582c46cec22a130adf4b9d7d950fba0 HEAD\0multi_ack thin-pack side-band side-band-64k ofs-delta shallow no-progress include-tag\n\
00441d3fcd5ced445d1abc402225c0b8a1299641f497 refs/heads/integration\n\
003f7217a7c7e582c46cec22a130adf4b9d7d950fba0 refs/heads/master\n\
003cb88d2441cac0977faf98efc80305012112238d9d refs/tags/v0.9\n\
003c525128480b96c89e6418b1e40909bf6c5b2d580f refs/tags/v1.0\n\
003fe92df48743b7bc7d26bcaabfddde0a1e20cae47c refs/tags/v1.0^{}\n\
0000";

    #[test]
    fn rfc_example() {
        let a = parse(EXAMPLE).unwrap();
        assert_eq!(a.refs.len(), 5);
        assert_eq!(a.refs[0].name, "HEAD");
        assert!(a.capabilities.contains("side-band-64k"));
        assert!(!a.capabilities.contains("side-band-6"));
        assert_eq!(
            a.find("refs/tags/v1.0")
                .unwrap()
                .peeled
                .unwrap()
                .to_string(),
            "e92df48743b7bc7d26bcaabfddde0a1e20cae47c"
        );
        // No symref capability: HEAD's id matches master.
        assert_eq!(a.head_branch().unwrap().name, "refs/heads/master");
    }

    #[test]
    fn symref_and_values() {
        let c = Capabilities::new(
            "multi_ack symref=HEAD:refs/heads/main object-format=sha1 agent=git/2.47.0",
        );
        assert_eq!(c.symref("HEAD"), Some("refs/heads/main"));
        assert_eq!(c.value("agent"), Some("git/2.47.0"));
        assert!(c.contains("agent"));
        assert!(c.contains("multi_ack"));
        assert!(!c.contains("multi"));
    }

    #[test]
    fn empty_repository() {
        let mut input = alloc::vec::Vec::new();
        crate::pktline::write_text(
            &mut input,
            b"0000000000000000000000000000000000000000 capabilities^{}\0report-status",
        )
        .unwrap();
        crate::pktline::write_flush(&mut input);
        let a = parse(&input).unwrap();
        assert!(a.refs.is_empty());
        assert!(a.capabilities.contains("report-status"));
    }

    #[test]
    fn errors() {
        assert!(matches!(
            parse(b"0016ERR access denied\n"),
            Err(Error::Remote { .. })
        ));
        assert!(matches!(
            parse(b"000eversion 2\n"),
            Err(Error::Version { .. })
        ));
        assert!(matches!(
            parse(b"000ehello world\n"),
            Err(Error::RefLine { .. })
        ));
    }
}
