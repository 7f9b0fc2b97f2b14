//! Push through `git-receive-pack`, protocol v0, one ref, with
//! report-status:
//!
//! ```text
//! S: ref advertisement, flush
//! C: <old-id> <new-id> refs/heads/<branch>\0 report-status side-band-64k agent=solodns
//! C: flush
//! C: the pack
//! S: (in side-band 1 if negotiated) unpack ok | unpack <error>
//! S:                                 ok <ref> | ng <ref> <reason>
//! S:                                 flush
//! S: flush
//! ```
//!
//! Before sending anything we compare the advertised value of the ref with
//! the commit we built on, as `git push` does: if the remote moved, we send
//! only a flush and report [`Rejection::FetchFirst`] without uploading.

use alloc::string::String;
use alloc::vec::Vec;

use super::advertisement::{self, lossy, Advertisement};
use super::{check_object_format, full_refname, keep_message, Error, Input, DEFAULT_AGENT};
use crate::oid::ObjectId;
use crate::pktline::{self, sideband, PacketLineRef, Stream};

/// Largest report-status accepted: one ref's status and a few options.
const MAX_REPORT_LEN: usize = 64 << 10;

/// What to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushParams {
    /// Branch to update (`main` or `refs/heads/main`).
    pub branch: String,
    /// The commit the branch must be at now (`None`: it must not exist).
    pub old: Option<ObjectId>,
    /// The commit to set it to.
    pub new: ObjectId,
    /// A pack of everything `new` has that `old` lacks
    /// ([`crate::NewCommit::new_objects`] through
    /// [`crate::ObjectStore::write_pack`]).
    pub pack: Vec<u8>,
    /// Our `agent=` value, sent if the remote advertises `agent`.
    pub agent: String,
}

impl PushParams {
    /// Update `branch` from `old` to `new` with `pack`.
    pub fn new(branch: &str, old: Option<ObjectId>, new: ObjectId, pack: Vec<u8>) -> Self {
        PushParams {
            branch: branch.into(),
            old,
            new,
            pack,
            agent: DEFAULT_AGENT.into(),
        }
    }
}

/// Why the remote did not take the update.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Rejection {
    /// The branch is not at the commit we built on: someone else pushed.
    /// Detected from the advertisement (nothing was uploaded) or reported
    /// by the remote as `fetch first`.
    FetchFirst {
        /// Where the branch is (`None`: it does not exist, or unknown).
        current: Option<ObjectId>,
    },
    /// The remote refuses a non-fast-forward update.
    NonFastForward,
    /// The remote could not update the ref, typically because it changed
    /// between the advertisement and the update (`failed to update ref`,
    /// lock failures).
    RefUpdateFailed {
        /// The remote's reason.
        reason: String,
    },
    /// Anything else (`hook declined`, `deny updating a hidden ref`, …).
    Other {
        /// The remote's reason.
        reason: String,
    },
}

impl core::fmt::Display for Rejection {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Rejection::FetchFirst { current: Some(at) } => {
                write!(f, "fetch first: the branch moved to {at}")
            }
            Rejection::FetchFirst { current: None } => f.write_str("fetch first: the branch moved"),
            Rejection::NonFastForward => f.write_str("not a fast-forward"),
            Rejection::RefUpdateFailed { reason } => {
                write!(f, "the remote could not update the branch: {reason}")
            }
            Rejection::Other { reason } => f.write_str(reason),
        }
    }
}

impl Rejection {
    /// Whether the remote branch probably moved under us, so that fetching,
    /// redoing the change on the new head and pushing again can succeed.
    pub fn fetch_and_retry(&self) -> bool {
        matches!(
            self,
            Rejection::FetchFirst { .. }
                | Rejection::NonFastForward
                | Rejection::RefUpdateFailed { .. }
        )
    }

    /// Classifies the reason of an `ng <ref> <reason>` line.
    pub fn from_reason(reason: &str) -> Self {
        match reason {
            "fetch first" => Rejection::FetchFirst { current: None },
            "non-fast-forward" => Rejection::NonFastForward,
            r if r.starts_with("failed to update ref")
                || r.contains("failed to lock")
                || r.contains("cannot lock ref") =>
            {
                Rejection::RefUpdateFailed { reason: r.into() }
            }
            r => Rejection::Other { reason: r.into() },
        }
    }
}

/// The result of a push session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The branch now points at the new commit.
    Updated,
    /// The branch already pointed at the new commit; nothing was sent.
    UpToDate,
    /// The remote refused.
    Rejected(Rejection),
}

/// A finished push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PushResult {
    /// Full name of the branch.
    pub refname: String,
    /// What happened.
    pub outcome: Outcome,
    /// Progress and hook messages from the remote (bounded).
    pub messages: Vec<String>,
}

/// What the caller should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Event {
    /// Send [`Push::output`], then feed what the remote sends to
    /// [`Push::input`].
    NeedInput,
    /// The session is over: send the remaining output, close the channel.
    Done(PushResult),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    ExpectAdvertisement,
    ExpectReport,
    Finished,
}

/// The receive-pack client. See the [module docs](self) for the exchange
/// and [`crate::protocol`] for the calling pattern.
#[derive(Debug)]
pub struct Push {
    params: PushParams,
    refname: String,
    state: State,
    input: Input,
    output: Vec<u8>,
    parser: advertisement::Parser,
    advertisement: Option<Advertisement>,
    side_band: bool,
    /// Report-status bytes demultiplexed from side-band 1.
    report: Vec<u8>,
    unpacked: bool,
    outcome: Option<Outcome>,
    messages: Vec<String>,
}

impl Push {
    /// A push that waits for the advertisement. Fails if the branch name
    /// is not a valid ref name.
    pub fn new(params: PushParams) -> Result<Self, Error> {
        let refname = full_refname(&params.branch)?;
        Ok(Push {
            params,
            refname,
            state: State::ExpectAdvertisement,
            input: Input::default(),
            output: Vec::new(),
            parser: advertisement::Parser::new(),
            advertisement: None,
            side_band: false,
            report: Vec::new(),
            unpacked: false,
            outcome: None,
            messages: Vec::new(),
        })
    }

    /// Bytes received from the remote.
    pub fn input(&mut self, bytes: &[u8]) {
        self.input.push(bytes);
    }

    /// The remote closed the channel.
    pub fn input_eof(&mut self) {
        self.input.eof = true;
    }

    /// Bytes to send to the remote.
    pub fn output(&self) -> &[u8] {
        &self.output
    }

    /// Marks `n` bytes of [`Push::output`] as sent.
    pub fn consume_output(&mut self, n: usize) {
        self.output.drain(..n.min(self.output.len()));
    }

    /// The remote's advertisement, once received.
    pub fn advertisement(&self) -> Option<&Advertisement> {
        self.advertisement.as_ref()
    }

    /// Processes the input received so far. After an error or
    /// [`Event::Done`], further calls return [`Error::Finished`].
    pub fn progress(&mut self) -> Result<Event, Error> {
        if self.state == State::Finished {
            return Err(Error::Finished);
        }
        let buf = core::mem::take(&mut self.input.buf);
        let mut pos = 0;
        let r = loop {
            match pktline::decode(&buf[pos..]) {
                Err(e) => break Err(e.into()),
                Ok(Stream::Incomplete { .. }) => {
                    break if self.input.eof {
                        Err(Error::UnexpectedEof {
                            expected: match self.state {
                                State::ExpectAdvertisement => "the ref advertisement",
                                _ => "the report-status",
                            },
                        })
                    } else {
                        Ok(Event::NeedInput)
                    };
                }
                Ok(Stream::Complete { line, consumed }) => {
                    pos += consumed;
                    match self.on_line(line) {
                        Ok(None) => {}
                        Ok(Some(event)) => break Ok(event),
                        Err(e) => break Err(e),
                    }
                }
            }
        };
        self.input.buf = buf;
        self.input.buf.drain(..pos);
        if r.is_err() {
            self.state = State::Finished;
        }
        r
    }

    fn done(&mut self, outcome: Outcome) -> Event {
        self.state = State::Finished;
        Event::Done(PushResult {
            refname: self.refname.clone(),
            outcome,
            messages: core::mem::take(&mut self.messages),
        })
    }

    fn on_line(&mut self, line: PacketLineRef<'_>) -> Result<Option<Event>, Error> {
        match self.state {
            State::ExpectAdvertisement => match self.parser.line(line)? {
                None => Ok(None),
                Some(adv) => self.on_advertisement(adv),
            },
            State::ExpectReport if self.side_band => match line {
                PacketLineRef::Data(payload) => {
                    match sideband::decode(payload)? {
                        sideband::Band::Data(bytes) => {
                            if self.report.len() + bytes.len() > MAX_REPORT_LEN {
                                return Err(Error::Unexpected {
                                    expected: "a report-status of at most 64 KiB",
                                    line: "<longer>".into(),
                                });
                            }
                            self.report.extend_from_slice(bytes);
                            return self.parse_report();
                        }
                        sideband::Band::Progress(text) => keep_message(&mut self.messages, text),
                        sideband::Band::Error(text) => {
                            return Err(Error::Remote {
                                message: lossy(text.trim_ascii_end()),
                            })
                        }
                    }
                    Ok(None)
                }
                PacketLineRef::Flush => Err(Error::MissingStatus {
                    refname: self.refname.clone(),
                }),
                _ => Err(Error::Unexpected {
                    expected: "side-band packets",
                    line: "<delim>".into(),
                }),
            },
            State::ExpectReport => self.on_report_line(line),
            State::Finished => Err(Error::Finished),
        }
    }

    /// Parses the complete report lines in the side-band 1 buffer.
    fn parse_report(&mut self) -> Result<Option<Event>, Error> {
        let report = core::mem::take(&mut self.report);
        let mut pos = 0;
        let r = loop {
            match pktline::decode(&report[pos..]) {
                Err(e) => break Err(e.into()),
                Ok(Stream::Incomplete { .. }) => break Ok(None),
                Ok(Stream::Complete { line, consumed }) => {
                    pos += consumed;
                    match self.on_report_line(line) {
                        Ok(None) => {}
                        other => break other,
                    }
                }
            }
        };
        self.report = report;
        self.report.drain(..pos);
        r
    }

    fn on_report_line(&mut self, line: PacketLineRef<'_>) -> Result<Option<Event>, Error> {
        if let Some(message) = line.as_error() {
            return Err(Error::Remote {
                message: lossy(message),
            });
        }
        let text = match line {
            PacketLineRef::Flush => {
                return match self.outcome.take() {
                    Some(outcome) if self.unpacked => Ok(Some(self.done(outcome))),
                    _ => Err(Error::MissingStatus {
                        refname: self.refname.clone(),
                    }),
                };
            }
            _ => line.as_text().unwrap_or_default(),
        };
        if !self.unpacked {
            let status = text
                .strip_prefix(b"unpack ")
                .ok_or_else(|| Error::Unexpected {
                    expected: "'unpack ok' or 'unpack <error>'",
                    line: lossy(text),
                })?;
            if status != b"ok" {
                return Err(Error::Unpack {
                    reason: lossy(status),
                });
            }
            self.unpacked = true;
            return Ok(None);
        }
        if let Some(name) = text.strip_prefix(b"ok ") {
            if name == self.refname.as_bytes() {
                self.outcome = Some(Outcome::Updated);
            }
        } else if let Some(rest) = text.strip_prefix(b"ng ") {
            let (name, reason) = match rest.iter().position(|&b| b == b' ') {
                Some(i) => (&rest[..i], &rest[i + 1..]),
                None => (rest, &b""[..]),
            };
            if name == self.refname.as_bytes() {
                let mut rejection = Rejection::from_reason(&lossy(reason));
                if let Rejection::FetchFirst { current } = &mut rejection {
                    *current = self
                        .advertisement
                        .as_ref()
                        .and_then(|a| a.find(&self.refname))
                        .map(|r| r.id);
                }
                self.outcome = Some(Outcome::Rejected(rejection));
            }
        } else if !text.starts_with(b"option ") {
            return Err(Error::Unexpected {
                expected: "'ok <ref>', 'ng <ref> <reason>' or flush",
                line: lossy(text),
            });
        }
        Ok(None)
    }

    fn on_advertisement(&mut self, adv: Advertisement) -> Result<Option<Event>, Error> {
        let caps = &adv.capabilities;
        check_object_format(caps)?;
        if !caps.contains("report-status") {
            pktline::write_flush(&mut self.output);
            return Err(Error::MissingCapability {
                name: "report-status",
            });
        }
        let current = adv.find(&self.refname).map(|r| r.id);
        if current == Some(self.params.new) {
            pktline::write_flush(&mut self.output);
            self.advertisement = Some(adv);
            return Ok(Some(self.done(Outcome::UpToDate)));
        }
        if current != self.params.old {
            pktline::write_flush(&mut self.output);
            self.advertisement = Some(adv);
            return Ok(Some(
                self.done(Outcome::Rejected(Rejection::FetchFirst { current })),
            ));
        }
        self.side_band = caps.contains("side-band-64k");
        let old = self.params.old.unwrap_or(ObjectId::ZERO);
        let mut command =
            alloc::format!("{old} {} {}\0 report-status", self.params.new, self.refname);
        if self.side_band {
            command.push_str(" side-band-64k");
        }
        if caps.contains("agent") && !self.params.agent.is_empty() {
            command.push_str(" agent=");
            command.extend(self.params.agent.chars().filter(|c| c.is_ascii_graphic()));
        }
        if pktline::write_text(&mut self.output, command.as_bytes()).is_err() {
            // Only a ref name of the remote's could make it this long.
            pktline::write_flush(&mut self.output);
            return Err(Error::InvalidRefname {
                refname: self.refname.clone(),
            });
        }
        pktline::write_flush(&mut self.output);
        self.output.extend_from_slice(&self.params.pack);
        self.params.pack = Vec::new();
        self.state = State::ExpectReport;
        self.advertisement = Some(adv);
        Ok(None)
    }
}
