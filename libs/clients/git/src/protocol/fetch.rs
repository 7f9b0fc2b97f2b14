//! Fetch through `git-upload-pack`, protocol v0/v1, in one round:
//!
//! ```text
//! S: ref advertisement, flush
//! C: want <id> multi_ack_detailed side-band-64k ofs-delta [thin-pack] shallow no-progress agent=solodns
//! C: shallow <id>…            (commits we hold without their parents)
//! C: deepen <depth>           (shallow fetch)
//! C: flush
//! C: have <id>…               (what we hold: the current commit)
//! C: done
//! S: shallow <id>… / unshallow <id>…, flush      (only after deepen)
//! S: ACK <id> common…, then ACK <id> or NAK
//! S: side-band packets: 1 = pack, 2 = progress, 3 = error; flush
//! ```
//!
//! If the branch is already at one of our `have`s, we send a flush
//! instead of wants and report [`Event::UpToDate`].
//!
//! # Protocol v2
//!
//! If the remote answers `version 2` (the transport passed
//! `GIT_PROTOCOL=version=2`, which OpenSSH forwards only where `AcceptEnv`
//! allows it), the same machine speaks `gitprotocol-v2(5)` instead:
//!
//! ```text
//! S: version 2, capabilities (ls-refs, fetch=shallow …), flush
//! C: command=ls-refs, delim, symrefs, ref-prefix HEAD, ref-prefix refs/heads/, flush
//! S: <id> <ref> [symref-target:<ref>]…, flush
//! C: command=fetch, delim, thin-pack, no-progress, ofs-delta, shallow <id>…,
//!    deepen <depth>, want <id>, have <id>…, done, flush
//! S: shallow-info section, delim; packfile section (side-band packets), flush
//! C: flush (end of session)
//! ```
//!
//! The caller does not need to know which version was spoken.

use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::advertisement::{self, lossy, Advertisement};
use super::{check_object_format, full_refname, keep_message, Error, Input, DEFAULT_AGENT};
use crate::oid::ObjectId;
use crate::pktline::{self, sideband, PacketLineRef, Stream};

/// Default bound on a fetched pack: a zone repository's snapshot is a few
/// MB; this leaves room for large zones without trusting the remote.
pub const DEFAULT_MAX_PACK_SIZE: usize = 128 << 20;

/// What to fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchParams {
    /// Branch (`main` or `refs/heads/main`); `None`: the branch HEAD
    /// points at.
    pub branch: Option<String>,
    /// Commits of history to fetch (`deepen`); `None`: all of it.
    pub depth: Option<u32>,
    /// Commits we hold (sent as `have`): the pack leaves out what they
    /// reach, and may be thin against them.
    pub haves: Vec<ObjectId>,
    /// Commits we hold without their parents (sent as `shallow`), so that
    /// the remote does not assume we have their history.
    pub shallow: Vec<ObjectId>,
    /// Our `agent=` value, sent if the remote advertises `agent`.
    pub agent: String,
    /// Largest pack accepted.
    pub max_pack_size: usize,
}

impl FetchParams {
    /// A first, shallow (depth 1) fetch of `branch` (`None`: HEAD's).
    pub fn shallow_clone(branch: Option<&str>) -> Self {
        FetchParams {
            branch: branch.map(String::from),
            depth: Some(1),
            haves: Vec::new(),
            shallow: Vec::new(),
            agent: DEFAULT_AGENT.into(),
            max_pack_size: DEFAULT_MAX_PACK_SIZE,
        }
    }

    /// A shallow fetch of `branch` when we hold the commit `current`
    /// (fetched with depth 1, so held without its parents): only objects
    /// that `current`'s tree lacks are sent.
    pub fn update(branch: Option<&str>, current: ObjectId) -> Self {
        FetchParams {
            haves: alloc::vec![current],
            shallow: alloc::vec![current],
            ..Self::shallow_clone(branch)
        }
    }
}

/// What a completed fetch produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FetchResult {
    /// Full name of the branch fetched.
    pub refname: String,
    /// The commit the branch points at.
    pub head: ObjectId,
    /// The pack (verify and add it with [`crate::ObjectStore::add_pack`]).
    pub pack: Vec<u8>,
    /// Commits the remote made shallow for us (their parents are absent).
    pub shallow: Vec<ObjectId>,
    /// Commits we called shallow whose parents were now sent.
    pub unshallow: Vec<ObjectId>,
    /// Our `have`s the remote also has.
    pub common: Vec<ObjectId>,
    /// Progress messages from the remote (bounded).
    pub messages: Vec<String>,
}

/// What the caller should do next.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub enum Event {
    /// Send [`Fetch::output`], then feed what the remote sends to
    /// [`Fetch::input`].
    NeedInput,
    /// The branch is at a commit we have; send the remaining output (a
    /// flush) and close the channel.
    UpToDate {
        /// Full name of the branch.
        refname: String,
        /// Its commit.
        head: ObjectId,
    },
    /// The pack has arrived; send the remaining output (protocol v2: a
    /// flush that ends the session) and close the channel.
    Done(FetchResult),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    ExpectAdvertisement,
    ExpectV2Capabilities,
    ExpectV2Refs,
    ExpectV2Section,
    ExpectV2ShallowInfo,
    ExpectV2OtherSection,
    ExpectShallowInfo,
    ExpectAcknowledgement,
    ExpectPack,
    Finished,
}

impl State {
    fn expected(self) -> &'static str {
        match self {
            State::ExpectAdvertisement => "the ref advertisement",
            State::ExpectV2Capabilities => "the protocol v2 capabilities",
            State::ExpectV2Refs => "the ls-refs response",
            State::ExpectV2Section | State::ExpectV2ShallowInfo | State::ExpectV2OtherSection => {
                "the fetch response"
            }
            State::ExpectShallowInfo => "the shallow list",
            State::ExpectAcknowledgement => "ACK or NAK",
            State::ExpectPack => "the pack",
            State::Finished => "nothing",
        }
    }
}

/// The upload-pack client. See the [module docs](self) for the exchange and
/// [`crate::protocol`] for the calling pattern.
#[derive(Debug)]
pub struct Fetch {
    params: FetchParams,
    state: State,
    input: Input,
    output: Vec<u8>,
    parser: advertisement::Parser,
    advertisement: Option<Advertisement>,
    result: FetchResult,
    /// Lines of the first response seen (to spot `version 2`).
    first_lines: usize,
    /// Protocol v2: the capabilities, then the refs listed.
    v2: Option<Advertisement>,
    /// Whether the remote speaks protocol v2.
    v2_session: bool,
}

impl Fetch {
    /// A fetch that waits for the advertisement (nothing to send first).
    pub fn new(params: FetchParams) -> Self {
        Fetch {
            params,
            state: State::ExpectAdvertisement,
            input: Input::default(),
            output: Vec::new(),
            parser: advertisement::Parser::new(),
            advertisement: None,
            result: FetchResult::default(),
            first_lines: 0,
            v2: None,
            v2_session: false,
        }
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

    /// Marks `n` bytes of [`Fetch::output`] as sent.
    pub fn consume_output(&mut self, n: usize) {
        self.output.drain(..n.min(self.output.len()));
    }

    /// The remote's advertisement, once received (for protocol v2: its
    /// capabilities and the refs ls-refs listed).
    pub fn advertisement(&self) -> Option<&Advertisement> {
        self.advertisement.as_ref()
    }

    /// The protocol version the remote speaks (0 for v0 and v1, 2), once
    /// its first line has arrived.
    pub fn protocol_version(&self) -> Option<u8> {
        match (self.v2_session, self.first_lines) {
            (true, _) => Some(2),
            (false, 0) => None,
            (false, _) => Some(0),
        }
    }

    /// Processes the input received so far (call it after each
    /// [`Fetch::input`]: input is buffered until then).
    ///
    /// After an error or a final event, further calls return
    /// [`Error::Finished`]; [`Fetch::output`] may then still hold a flush
    /// that ends the session politely.
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
                            expected: self.state.expected(),
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

    fn on_line(&mut self, line: PacketLineRef<'_>) -> Result<Option<Event>, Error> {
        if self.state != State::ExpectPack {
            if let Some(message) = line.as_error() {
                return Err(Error::Remote {
                    message: lossy(message),
                });
            }
        }
        match self.state {
            State::ExpectAdvertisement => {
                self.first_lines += 1;
                if self.first_lines == 1 && line.as_text() == Some(b"version 2") {
                    self.state = State::ExpectV2Capabilities;
                    self.v2 = Some(Advertisement::default());
                    self.v2_session = true;
                    return Ok(None);
                }
                match self.parser.line(line)? {
                    None => Ok(None),
                    Some(adv) => self.on_advertisement(adv),
                }
            }
            State::ExpectV2Capabilities => match line {
                PacketLineRef::Data(_) => {
                    let cap = lossy(line.as_text().unwrap_or_default());
                    let v2 = self.v2.as_mut().expect("set with the state");
                    let mut raw: String = v2.capabilities.iter().collect::<Vec<_>>().join(" ");
                    raw.push(' ');
                    // A value may contain spaces (`fetch=shallow wait-for-done`):
                    // keep the key and the first word, which is all we ask about.
                    raw.push_str(&cap.replace(' ', ","));
                    v2.capabilities = advertisement::Capabilities::new(&raw);
                    Ok(None)
                }
                PacketLineRef::Flush => self.on_v2_capabilities(),
                _ => Err(Error::Unexpected {
                    expected: "protocol v2 capabilities or flush",
                    line: "<delim>".into(),
                }),
            },
            State::ExpectV2Refs => match line {
                PacketLineRef::Data(_) => {
                    let text = line.as_text().unwrap_or_default();
                    self.on_v2_ref(text)?;
                    Ok(None)
                }
                PacketLineRef::Flush => {
                    let adv = self.v2.take().expect("set with the state");
                    self.on_advertisement(adv)
                }
                _ => Err(Error::Unexpected {
                    expected: "'<hex-id> <refname> [attributes]' or flush",
                    line: "<delim>".into(),
                }),
            },
            State::ExpectV2Section => {
                let text = line.as_text().unwrap_or(b"<flush or delim>");
                self.state =
                    match text {
                        b"shallow-info" => State::ExpectV2ShallowInfo,
                        b"packfile" => State::ExpectPack,
                        b"acknowledgments" | b"wanted-refs" | b"packfile-uris" => {
                            State::ExpectV2OtherSection
                        }
                        _ => return Err(Error::Unexpected {
                            expected:
                                "a fetch response section header ('shallow-info', 'packfile', …)",
                            line: lossy(text),
                        }),
                    };
                Ok(None)
            }
            State::ExpectV2ShallowInfo | State::ExpectV2OtherSection
                if line == PacketLineRef::Delimiter =>
            {
                self.state = State::ExpectV2Section;
                Ok(None)
            }
            State::ExpectV2OtherSection => match line {
                PacketLineRef::Data(_) => Ok(None),
                _ => Err(Error::Unexpected {
                    expected: "a fetch response section ending in delim",
                    line: "<flush>".into(),
                }),
            },
            State::ExpectV2ShallowInfo => self.on_shallow_line(line),
            State::ExpectShallowInfo => match line {
                PacketLineRef::Flush => {
                    self.state = State::ExpectAcknowledgement;
                    Ok(None)
                }
                _ => self.on_shallow_line(line),
            },
            State::ExpectAcknowledgement => {
                let text = line.as_text().unwrap_or(b"<flush>");
                let unexpected = || Error::Unexpected {
                    expected: "'ACK <hex-id> [common|ready|continue]' or 'NAK'",
                    line: lossy(text),
                };
                if text == b"NAK" {
                    self.state = State::ExpectPack;
                } else if let Some(rest) = text.strip_prefix(b"ACK ") {
                    let (hex, status) = match rest.iter().position(|&b| b == b' ') {
                        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
                        None => (rest, None),
                    };
                    let id = ObjectId::from_hex(hex).map_err(|_| unexpected())?;
                    match status {
                        None => {
                            if !self.result.common.contains(&id) {
                                self.result.common.push(id);
                            }
                            self.state = State::ExpectPack;
                        }
                        Some(b"common" | b"ready" | b"continue") => {
                            if !self.result.common.contains(&id) && self.params.haves.contains(&id)
                            {
                                self.result.common.push(id);
                            }
                        }
                        Some(_) => return Err(unexpected()),
                    }
                } else {
                    return Err(unexpected());
                }
                Ok(None)
            }
            State::ExpectPack => match line {
                PacketLineRef::Flush => {
                    if self.v2_session {
                        // Protocol v2: an empty request ends the session.
                        pktline::write_flush(&mut self.output);
                    }
                    self.state = State::Finished;
                    Ok(Some(Event::Done(core::mem::take(&mut self.result))))
                }
                PacketLineRef::Data(payload) => {
                    match sideband::decode(payload)? {
                        sideband::Band::Data(bytes) => {
                            if self.result.pack.len() + bytes.len() > self.params.max_pack_size {
                                return Err(Error::PackTooLarge {
                                    limit: self.params.max_pack_size,
                                });
                            }
                            self.result.pack.extend_from_slice(bytes);
                        }
                        sideband::Band::Progress(text) => {
                            keep_message(&mut self.result.messages, text)
                        }
                        sideband::Band::Error(text) => {
                            return Err(Error::Remote {
                                message: lossy(text.trim_ascii_end()),
                            })
                        }
                    }
                    Ok(None)
                }
                _ => Err(Error::Unexpected {
                    expected: "side-band packets or flush",
                    line: "<delim>".into(),
                }),
            },
            State::Finished => Err(Error::Finished),
        }
    }

    fn on_shallow_line(&mut self, line: PacketLineRef<'_>) -> Result<Option<Event>, Error> {
        let text = line.as_text().unwrap_or(b"<flush or delim>");
        let unexpected = || Error::Unexpected {
            expected: "'shallow <hex-id>' or 'unshallow <hex-id>'",
            line: lossy(text),
        };
        if let Some(hex) = text.strip_prefix(b"shallow ") {
            let id = ObjectId::from_hex(hex).map_err(|_| unexpected())?;
            self.result.shallow.push(id);
        } else if let Some(hex) = text.strip_prefix(b"unshallow ") {
            let id = ObjectId::from_hex(hex).map_err(|_| unexpected())?;
            self.result.unshallow.push(id);
        } else {
            return Err(unexpected());
        }
        Ok(None)
    }

    /// Protocol v2: the server's capabilities are in; list HEAD and the
    /// branches.
    fn on_v2_capabilities(&mut self) -> Result<Option<Event>, Error> {
        let caps = &self.v2.as_ref().expect("set with the state").capabilities;
        check_object_format(caps)?;
        for needed in ["ls-refs", "fetch"] {
            if !caps.contains(needed) {
                return Err(Error::MissingCapability { name: needed });
            }
        }
        let mut out = Vec::new();
        self.v2_command(&mut out, "ls-refs", caps);
        for arg in ["symrefs", "ref-prefix HEAD", "ref-prefix refs/heads/"] {
            text_line(&mut out, arg);
        }
        if let Some(b) = &self.params.branch {
            let refname = full_refname(b)?;
            if !refname.starts_with("refs/heads/") {
                text_line(&mut out, &alloc::format!("ref-prefix {refname}"));
            }
        }
        pktline::write_flush(&mut out);
        self.output.extend(out);
        self.state = State::ExpectV2Refs;
        Ok(None)
    }

    /// Protocol v2: one line of the ls-refs response.
    fn on_v2_ref(&mut self, text: &[u8]) -> Result<(), Error> {
        let bad = || Error::Unexpected {
            expected: "'<hex-id> <refname> [symref-target:<ref>] [peeled:<hex-id>]'",
            line: lossy(text),
        };
        let text = core::str::from_utf8(text).map_err(|_| bad())?;
        let mut fields = text.split(' ');
        let (Some(id), Some(name)) = (fields.next(), fields.next()) else {
            return Err(bad());
        };
        if id == "unborn" || name.len() > advertisement::MAX_REFNAME_LEN {
            return Ok(());
        }
        let id: ObjectId = id.parse().map_err(|_| bad())?;
        let v2 = self.v2.as_mut().expect("set with the state");
        let mut peeled = None;
        for attr in fields {
            if let Some(target) = attr.strip_prefix("symref-target:") {
                if name == "HEAD" {
                    let raw = alloc::format!(
                        "{} symref=HEAD:{target}",
                        v2.capabilities.iter().collect::<Vec<_>>().join(" ")
                    );
                    v2.capabilities = advertisement::Capabilities::new(&raw);
                }
            } else if let Some(hex) = attr.strip_prefix("peeled:") {
                peeled = Some(hex.parse().map_err(|_| bad())?);
            }
        }
        if v2.refs.len() >= advertisement::MAX_REFS {
            return Err(Error::Advertisement(advertisement::Error::TooManyRefs));
        }
        v2.refs.push(advertisement::Ref {
            name: name.into(),
            id,
            peeled,
        });
        Ok(())
    }

    /// Protocol v2: `command=<name>`, our capabilities, delim.
    fn v2_command(&self, out: &mut Vec<u8>, command: &str, caps: &advertisement::Capabilities) {
        text_line(out, &alloc::format!("command={command}"));
        if caps.contains("agent") && !self.params.agent.is_empty() {
            let agent: String = self
                .params
                .agent
                .chars()
                .filter(|c| c.is_ascii_graphic())
                .collect();
            text_line(out, &alloc::format!("agent={agent}"));
        }
        if caps.contains("object-format") {
            text_line(out, "object-format=sha1");
        }
        pktline::write_delimiter(out);
    }

    /// Protocol v2: the fetch command.
    fn v2_fetch_request(
        &mut self,
        want: ObjectId,
        caps: &advertisement::Capabilities,
    ) -> Result<(), Error> {
        let depth = self.params.depth.filter(|&d| d > 0);
        let uses_shallow = depth.is_some() || !self.params.shallow.is_empty();
        // `fetch=shallow,wait-for-done` after our space-to-comma folding.
        let fetch_features = caps.value("fetch").unwrap_or_default();
        if uses_shallow && !fetch_features.split(',').any(|f| f == "shallow") {
            return Err(Error::MissingCapability { name: "shallow" });
        }
        let mut out = Vec::new();
        self.v2_command(&mut out, "fetch", caps);
        if !self.params.haves.is_empty() {
            text_line(&mut out, "thin-pack");
        }
        text_line(&mut out, "no-progress");
        text_line(&mut out, "ofs-delta");
        for s in &self.params.shallow {
            text_line(&mut out, &alloc::format!("shallow {s}"));
        }
        if let Some(d) = depth {
            text_line(&mut out, &alloc::format!("deepen {d}"));
        }
        text_line(&mut out, &alloc::format!("want {want}"));
        for h in &self.params.haves {
            text_line(&mut out, &alloc::format!("have {h}"));
        }
        text_line(&mut out, "done");
        pktline::write_flush(&mut out);
        self.output.extend(out);
        Ok(())
    }

    fn on_advertisement(&mut self, adv: Advertisement) -> Result<Option<Event>, Error> {
        let caps = &adv.capabilities;
        check_object_format(caps)?;
        if adv.refs.is_empty() {
            pktline::write_flush(&mut self.output);
            return Err(Error::EmptyRepository);
        }
        let target = match &self.params.branch {
            Some(b) => {
                let refname = full_refname(b)?;
                adv.find(&refname)
                    .ok_or(Error::BranchNotFound { refname })?
            }
            None => adv.head_branch().ok_or(Error::NoHead)?,
        };
        self.result.refname = target.name.clone();
        self.result.head = target.id;

        if self.params.haves.contains(&target.id) {
            pktline::write_flush(&mut self.output);
            self.state = State::Finished;
            let event = Event::UpToDate {
                refname: target.name.clone(),
                head: target.id,
            };
            self.advertisement = Some(adv);
            return Ok(Some(event));
        }
        let want = target.id;
        if self.v2_session {
            self.v2_fetch_request(want, caps)?;
            self.state = State::ExpectV2Section;
            self.advertisement = Some(adv);
            return Ok(None);
        }

        let side_band = if caps.contains("side-band-64k") {
            "side-band-64k"
        } else if caps.contains("side-band") {
            "side-band"
        } else {
            return Err(Error::MissingCapability {
                name: "side-band-64k",
            });
        };
        let depth = self.params.depth.filter(|&d| d > 0);
        let uses_shallow = depth.is_some() || !self.params.shallow.is_empty();
        if uses_shallow && !caps.contains("shallow") {
            return Err(Error::MissingCapability { name: "shallow" });
        }

        let mut want = String::from("want ");
        want.push_str(&target.id.to_string());
        for cap in ["multi_ack_detailed", side_band, "ofs-delta"] {
            if caps.contains(cap) {
                want.push(' ');
                want.push_str(cap);
            }
        }
        if !self.params.haves.is_empty() && caps.contains("thin-pack") {
            want.push_str(" thin-pack");
        }
        if uses_shallow {
            want.push_str(" shallow");
        }
        if caps.contains("no-progress") {
            want.push_str(" no-progress");
        }
        if caps.contains("agent") && !self.params.agent.is_empty() {
            want.push_str(" agent=");
            want.extend(self.params.agent.chars().filter(|c| c.is_ascii_graphic()));
        }
        let out = &mut self.output;
        let line = |out: &mut Vec<u8>, text: &str| {
            pktline::write_text(out, text.as_bytes()).expect("protocol lines are short")
        };
        line(out, &want);
        for s in &self.params.shallow {
            line(out, &alloc::format!("shallow {s}"));
        }
        if let Some(d) = depth {
            line(out, &alloc::format!("deepen {d}"));
        }
        pktline::write_flush(out);
        for h in &self.params.haves {
            line(out, &alloc::format!("have {h}"));
        }
        line(out, "done");

        self.state = if depth.is_some() {
            State::ExpectShallowInfo
        } else {
            State::ExpectAcknowledgement
        };
        self.advertisement = Some(adv);
        Ok(None)
    }
}

fn text_line(out: &mut Vec<u8>, text: &str) {
    pktline::write_text(out, text.as_bytes()).expect("protocol lines are short");
}
