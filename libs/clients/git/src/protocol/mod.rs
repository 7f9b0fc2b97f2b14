//! The smart protocol, version 0/1, as git speaks it over an SSH exec
//! channel (`git-upload-pack '<path>'`, `git-receive-pack '<path>'`):
//! the [`advertisement`] both services start with, [`fetch`] (upload-pack;
//! also protocol v2 when the remote answers with it) and [`push`]
//! (receive-pack with report-status; git has no v2 push).
//!
//! The state machines do no IO. The caller opens the channel and then
//! shovels bytes:
//!
//! ```text
//! loop {
//!     write all of machine.output() to the channel; machine.consume_output(n)
//!     match machine.progress()? {
//!         NeedInput => read from the channel into machine.input(..)
//!                      (or machine.input_eof() when the channel closes),
//!         Done(..) | UpToDate(..) => write the rest of output(), close the channel,
//!     }
//! }
//! ```

pub mod advertisement;
pub mod fetch;
pub mod push;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use crate::pktline::{self, sideband};

pub use advertisement::{Advertisement, Capabilities, Ref};

/// The agent string we send when the remote advertises `agent`.
pub const DEFAULT_AGENT: &str = "solodns";

/// Most progress messages kept from the remote (band 2), each at most
/// [`MAX_MESSAGE_LEN`] bytes: enough for hook output and error context.
pub const MAX_MESSAGES: usize = 64;
/// Longest progress message kept.
pub const MAX_MESSAGE_LEN: usize = 1024;

/// A failure of a fetch or push session: the remote misbehaved, reported
/// an error, or lacks something we need; or the caller misused the machine.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// A malformed pkt-line.
    PktLine(pktline::DecodeError),
    /// A malformed side-band packet.
    Sideband(sideband::Error),
    /// A malformed ref advertisement (or `ERR` instead of one).
    Advertisement(advertisement::Error),
    /// The remote reported an error (`ERR` line or side-band 3).
    Remote {
        /// The message.
        message: String,
    },
    /// The repository has no refs at all.
    EmptyRepository,
    /// HEAD is missing or does not point at an advertised branch.
    NoHead,
    /// The requested branch is not advertised.
    BranchNotFound {
        /// Full ref name.
        refname: String,
    },
    /// A ref name we were given is not a valid one-line name.
    InvalidRefname {
        /// The name.
        refname: String,
    },
    /// The remote lacks a capability we need.
    MissingCapability {
        /// Its name.
        name: &'static str,
    },
    /// The remote uses an object format other than SHA-1.
    ObjectFormat {
        /// The format it advertised.
        format: String,
    },
    /// A line other than what the protocol allows at this point.
    Unexpected {
        /// What was allowed.
        expected: &'static str,
        /// What came, lossily decoded.
        line: String,
    },
    /// The pack exceeds the size limit of the fetch.
    PackTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// receive-pack could not unpack what we sent.
    Unpack {
        /// Its reason.
        reason: String,
    },
    /// The report-status does not mention the ref we pushed.
    MissingStatus {
        /// The ref.
        refname: String,
    },
    /// The channel closed before the exchange was complete.
    UnexpectedEof {
        /// What we were waiting for.
        expected: &'static str,
    },
    /// `progress` was called after the session ended (a caller mistake).
    Finished,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::PktLine(e) => write!(f, "{e}"),
            Error::Sideband(e) => write!(f, "{e}"),
            Error::Advertisement(e) => write!(f, "{e}"),
            Error::Remote { message } => write!(f, "the remote reported an error: {message}"),
            Error::EmptyRepository => {
                f.write_str("the repository should have a branch, it has no refs")
            }
            Error::NoHead => f.write_str("the remote HEAD should point at an advertised branch"),
            Error::BranchNotFound { refname } => {
                write!(
                    f,
                    "the remote should have {refname}, it does not advertise it"
                )
            }
            Error::InvalidRefname { refname } => {
                f.write_str("a ref name should be 1 to 4085 bytes without spaces, control characters or '^{}', got ")?;
                if refname.len() <= 100 {
                    write!(f, "'{}'", refname.escape_debug())
                } else {
                    write!(f, "one of {} bytes", refname.len())
                }
            }
            Error::MissingCapability { name } => {
                write!(
                    f,
                    "the remote should support the '{name}' capability, it does not advertise it"
                )
            }
            Error::ObjectFormat { format } => {
                write!(
                    f,
                    "the remote should use SHA-1 object ids, it uses {format}"
                )
            }
            Error::Unexpected { expected, line } => {
                write!(f, "the remote should send {expected}, it sent {line:?}")
            }
            Error::PackTooLarge { limit } => {
                write!(
                    f,
                    "the pack should be at most {limit} bytes, the remote sent more"
                )
            }
            Error::Unpack { reason } => {
                write!(
                    f,
                    "the remote should unpack our pack ('unpack ok'), it said: {reason}"
                )
            }
            Error::MissingStatus { refname } => write!(
                f,
                "the remote's report-status should have an 'ok' or 'ng' line for {refname}"
            ),
            Error::UnexpectedEof { expected } => {
                write!(f, "the channel closed while waiting for {expected}")
            }
            Error::Finished => {
                f.write_str("progress() should not be called after the session ended")
            }
        }
    }
}

impl core::error::Error for Error {}

impl From<pktline::DecodeError> for Error {
    fn from(e: pktline::DecodeError) -> Self {
        Error::PktLine(e)
    }
}

impl From<sideband::Error> for Error {
    fn from(e: sideband::Error) -> Self {
        Error::Sideband(e)
    }
}

impl From<advertisement::Error> for Error {
    fn from(e: advertisement::Error) -> Self {
        match e {
            advertisement::Error::Remote { message } => Error::Remote { message },
            e => Error::Advertisement(e),
        }
    }
}

/// `refs/heads/<name>` for a short branch name; a name starting with
/// `refs/` (or `HEAD`) is already full.
pub fn full_refname(name: &str) -> Result<String, Error> {
    let valid = !name.is_empty()
        && name.len() <= advertisement::MAX_REFNAME_LEN - "refs/heads/".len()
        && !name.contains(|c: char| c.is_ascii_whitespace() || c.is_ascii_control())
        && !name.ends_with("^{}");
    if !valid {
        return Err(Error::InvalidRefname {
            refname: name.into(),
        });
    }
    Ok(if name.starts_with("refs/") || name == "HEAD" {
        name.into()
    } else {
        alloc::format!("refs/heads/{name}")
    })
}

/// Checks that the remote uses SHA-1.
fn check_object_format(caps: &Capabilities) -> Result<(), Error> {
    match caps.value("object-format") {
        None | Some("sha1") => Ok(()),
        Some(other) => Err(Error::ObjectFormat {
            format: other.into(),
        }),
    }
}

/// Keeps a bounded log of the remote's progress messages.
fn keep_message(messages: &mut Vec<String>, text: &[u8]) {
    for part in text.split(|&b| b == b'\n' || b == b'\r') {
        if part.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        if messages.len() >= MAX_MESSAGES {
            messages.remove(0);
        }
        let part = &part[..part.len().min(MAX_MESSAGE_LEN)];
        messages.push(advertisement::lossy(part));
    }
}

/// Input buffering shared by the state machines: bytes from the channel,
/// cut into pkt-lines.
#[derive(Debug, Default)]
struct Input {
    buf: Vec<u8>,
    eof: bool,
}

impl Input {
    fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
}
