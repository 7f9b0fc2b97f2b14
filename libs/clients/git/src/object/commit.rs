//! Commit objects: headers (`tree`, `parent`…, `author`, `committer`,
//! others), a blank line, the message.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::object::decimal;
use crate::oid::ObjectId;

/// A point in time as git records it: seconds since the Unix epoch and the
/// author's offset from UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Time {
    /// Seconds since 1970-01-01T00:00:00Z.
    pub seconds: i64,
    /// Offset of the local time zone from UTC, in minutes (`+0130` → 90).
    pub offset_minutes: i32,
}

impl Time {
    /// A time `seconds` after the epoch in a zone `offset_minutes` east of UTC.
    pub fn new(seconds: i64, offset_minutes: i32) -> Self {
        Time {
            seconds,
            offset_minutes,
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        if self.seconds < 0 {
            out.push(b'-');
        }
        let mut digits = [0u8; 20];
        out.extend_from_slice(decimal(self.seconds.unsigned_abs(), &mut digits));
        out.push(b' ');
        out.push(if self.offset_minutes < 0 { b'-' } else { b'+' });
        let abs = self.offset_minutes.unsigned_abs();
        let (h, m) = ((abs / 60) % 100, abs % 60);
        out.extend_from_slice(&[
            b'0' + (h / 10) as u8,
            b'0' + (h % 10) as u8,
            b'0' + (m / 10) as u8,
            b'0' + (m % 10) as u8,
        ]);
    }

    /// Parses `<seconds> <+|-hhmm>`; git itself is lenient here, and so
    /// are we: a field that does not parse reads as 0.
    fn parse_lenient(text: &[u8]) -> Time {
        let text = trim(text);
        let (secs, tz) = match text.iter().position(|&b| b == b' ') {
            Some(i) => (&text[..i], trim(&text[i + 1..])),
            None => (text, &b""[..]),
        };
        let seconds = parse_i64(secs).unwrap_or(0);
        let offset_minutes = match tz {
            [sign @ (b'+' | b'-'), h1, h2, m1, m2]
                if [h1, h2, m1, m2].iter().all(|d| d.is_ascii_digit()) =>
            {
                let v = i32::from((h1 - b'0') * 10 + (h2 - b'0')) * 60
                    + i32::from((m1 - b'0') * 10 + (m2 - b'0'));
                if *sign == b'-' {
                    -v
                } else {
                    v
                }
            }
            _ => 0,
        };
        Time {
            seconds,
            offset_minutes,
        }
    }
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' '] = s {
        s = rest;
    }
    s
}

fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        _ => (false, s),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let v = digits
        .iter()
        .fold(0i64, |acc, d| acc * 10 + i64::from(d - b'0'));
    Some(if neg { -v } else { v })
}

/// An author or committer line, borrowing the commit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SignatureRef<'a> {
    /// The name, as written (usually UTF-8).
    pub name: &'a [u8],
    /// The email address between `<` and `>`.
    pub email: &'a [u8],
    /// When.
    pub time: Time,
}

impl<'a> SignatureRef<'a> {
    /// Parses `Name <email> <seconds> <tz>`.
    pub fn parse(line: &'a [u8]) -> Option<Self> {
        let lt = line.iter().position(|&b| b == b'<')?;
        let gt = lt + 1 + line[lt + 1..].iter().position(|&b| b == b'>')?;
        Some(SignatureRef {
            name: trim(&line[..lt]),
            email: &line[lt + 1..gt],
            time: Time::parse_lenient(&line[gt + 1..]),
        })
    }
}

/// An author or committer for a commit we write; valid by construction
/// ([`Signature::new`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signature {
    name: String,
    email: String,
    time: Time,
}

impl Signature {
    /// A signature; the name and email must not contain `<`, `>` or a line
    /// break, and the name must not start or end with a space.
    pub fn new(name: &str, email: &str, time: Time) -> Result<Self, Error> {
        let bad = |s: &str| s.contains(['<', '>', '\n', '\r', '\0']);
        if bad(name) || name.trim() != name {
            return Err(Error::InvalidSignature { field: "name" });
        }
        if bad(email) {
            return Err(Error::InvalidSignature { field: "email" });
        }
        Ok(Signature {
            name: name.into(),
            email: email.into(),
            time,
        })
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The email address.
    pub fn email(&self) -> &str {
        &self.email
    }

    /// When.
    pub fn time(&self) -> Time {
        self.time
    }

    /// The same person at another time (e.g. now, for each new commit).
    pub fn with_time(&self, time: Time) -> Self {
        Signature {
            time,
            ..self.clone()
        }
    }

    /// The borrowed form.
    pub fn as_ref(&self) -> SignatureRef<'_> {
        SignatureRef {
            name: self.name.as_bytes(),
            email: self.email.as_bytes(),
            time: self.time,
        }
    }

    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(self.name.as_bytes());
        out.extend_from_slice(b" <");
        out.extend_from_slice(self.email.as_bytes());
        out.extend_from_slice(b"> ");
        self.time.write(out);
    }
}

/// A malformed commit (from the remote) or an invalid one (when writing).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The first header is not `tree <hex-id>`.
    Tree,
    /// A `parent` header does not carry a hex id.
    Parent,
    /// A required header is missing.
    MissingHeader {
        /// `author` or `committer`.
        header: &'static str,
    },
    /// An `author` or `committer` header is not `Name <email> time tz`.
    Signature {
        /// `author` or `committer`.
        header: &'static str,
    },
    /// A signature to write contains `<`, `>` or a line break.
    InvalidSignature {
        /// `name` or `email`.
        field: &'static str,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Tree => f.write_str("a commit should start with 'tree <hex-id>'"),
            Error::Parent => f.write_str("a commit's parent line should be 'parent <hex-id>'"),
            Error::MissingHeader { header } => write!(f, "a commit should have a '{header}' line"),
            Error::Signature { header } => write!(
                f,
                "a commit's {header} line should be '{header} Name <email> <seconds> <+hhmm>'"
            ),
            Error::InvalidSignature { field } => write!(
                f,
                "a commit signature's {field} should not contain '<', '>', NUL or a line break (nor, for the name, start or end with a space)"
            ),
        }
    }
}

impl core::error::Error for Error {}

/// A parsed commit, borrowing the object's bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitRef<'a> {
    /// The root tree.
    pub tree: ObjectId,
    /// Parent commits, first parent first.
    pub parents: Vec<ObjectId>,
    /// Who wrote the change.
    pub author: SignatureRef<'a>,
    /// Who committed it.
    pub committer: SignatureRef<'a>,
    /// The `encoding` header, if any (the message is UTF-8 otherwise).
    pub encoding: Option<&'a [u8]>,
    /// Everything after the blank line that ends the headers.
    pub message: &'a [u8],
}

impl<'a> CommitRef<'a> {
    /// Parses a commit object. Unknown headers (`gpgsig`, `mergetag`, with
    /// their continuation lines) are skipped.
    pub fn parse(data: &'a [u8]) -> Result<Self, Error> {
        let (headers, message) = match find(data, b"\n\n") {
            Some(i) => (&data[..i + 1], &data[i + 2..]),
            None => (data, &b""[..]),
        };
        let mut lines = headers
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .peekable();
        let tree = lines
            .next()
            .and_then(|l| l.strip_prefix(b"tree "))
            .and_then(|h| ObjectId::from_hex(h).ok())
            .ok_or(Error::Tree)?;
        let mut parents = Vec::new();
        while let Some(hex) = lines.peek().and_then(|l| l.strip_prefix(b"parent ")) {
            parents.push(ObjectId::from_hex(hex).map_err(|_| Error::Parent)?);
            lines.next();
        }
        let mut author = None;
        let mut committer = None;
        let mut encoding = None;
        for line in lines {
            if let Some(v) = line.strip_prefix(b"author ") {
                author = Some(SignatureRef::parse(v).ok_or(Error::Signature { header: "author" })?);
            } else if let Some(v) = line.strip_prefix(b"committer ") {
                committer = Some(SignatureRef::parse(v).ok_or(Error::Signature {
                    header: "committer",
                })?);
            } else if let Some(v) = line.strip_prefix(b"encoding ") {
                encoding = Some(v);
            }
        }
        Ok(CommitRef {
            tree,
            parents,
            author: author.ok_or(Error::MissingHeader { header: "author" })?,
            committer: committer.ok_or(Error::MissingHeader {
                header: "committer",
            })?,
            encoding,
            message,
        })
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// A commit to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The root tree.
    pub tree: ObjectId,
    /// Parent commits (none for a root commit).
    pub parents: Vec<ObjectId>,
    /// Who wrote the change.
    pub author: Signature,
    /// Who committed it.
    pub committer: Signature,
    /// The message; a final LF is added if missing (as `git commit` does).
    pub message: String,
}

impl Commit {
    /// The commit object's contents.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(200 + self.message.len());
        out.extend_from_slice(b"tree ");
        out.extend_from_slice(&self.tree.to_hex());
        out.push(b'\n');
        for p in &self.parents {
            out.extend_from_slice(b"parent ");
            out.extend_from_slice(&p.to_hex());
            out.push(b'\n');
        }
        out.extend_from_slice(b"author ");
        self.author.write(&mut out);
        out.extend_from_slice(b"\ncommitter ");
        self.committer.write(&mut out);
        out.extend_from_slice(b"\n\n");
        out.extend_from_slice(self.message.as_bytes());
        if !self.message.ends_with('\n') {
            out.push(b'\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const COMMIT: &[u8] = b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
parent e69de29bb2d1d6434b8b29ae775ad8c2e48c5391\n\
author A U Thor <author@example.com> 1112911993 -0700\n\
committer C O Mitter <committer@example.com> 1112912053 +0130\n\
gpgsig -----BEGIN PGP SIGNATURE-----\n \n wsBc\n -----END PGP SIGNATURE-----\n\
\n\
Initial\n\nbody\n";

    #[test]
    fn parse() {
        let c = CommitRef::parse(COMMIT).unwrap();
        assert_eq!(
            c.tree.to_string(),
            "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
        );
        assert_eq!(c.parents.len(), 1);
        assert_eq!(c.author.name, b"A U Thor");
        assert_eq!(c.author.email, b"author@example.com");
        assert_eq!(c.author.time, Time::new(1112911993, -420));
        assert_eq!(c.committer.time, Time::new(1112912053, 90));
        assert_eq!(c.message, b"Initial\n\nbody\n");
    }

    #[test]
    fn write_then_parse() {
        let sig = Signature::new("solodns", "dns@example.com", Time::new(1700000000, -90)).unwrap();
        let c = Commit {
            tree: "4b825dc642cb6eb9a060e54bf8d69288fbee4904".parse().unwrap(),
            parents: alloc::vec![],
            author: sig.clone(),
            committer: sig,
            message: "update example.com".into(),
        };
        let bytes = c.to_bytes();
        assert_eq!(
            bytes,
            b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\
author solodns <dns@example.com> 1700000000 -0130\n\
committer solodns <dns@example.com> 1700000000 -0130\n\nupdate example.com\n"
        );
        let p = CommitRef::parse(&bytes).unwrap();
        assert_eq!(p.author, c.author.as_ref());
        assert!(p.parents.is_empty());
    }

    #[test]
    fn malformed() {
        assert_eq!(CommitRef::parse(b"parent x\n"), Err(Error::Tree));
        assert_eq!(
            CommitRef::parse(b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nparent zz\n"),
            Err(Error::Parent)
        );
        assert_eq!(
            CommitRef::parse(b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\nauthor nobody\n"),
            Err(Error::Signature { header: "author" })
        );
        assert_eq!(
            CommitRef::parse(b"tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n\nmsg"),
            Err(Error::MissingHeader { header: "author" })
        );
        assert!(Signature::new("a<b", "x", Time::default()).is_err());
        assert!(Signature::new("a", "x\ny", Time::default()).is_err());
    }
}
