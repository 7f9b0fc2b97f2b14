//! Keeping a shallow copy of one branch of a remote repository.

use crate::session::{SessionError, SshSession};
use crate::url::RemoteUrl;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;
use git::pack::Limits;
use git::{Fetch, FetchParams, ObjectId, ObjectStore};
use netstack::{Instant, Sockets};
use ssh::{Authenticator, ClientKey, Status};

/// First retry delay after a failed fetch; doubled each time.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// Longest delay between retries.
const MAX_RETRY: Duration = Duration::from_secs(60);
/// A fetch that takes longer than this is abandoned and retried.
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);
/// Idle timeout of the TCP connection to the git server.
const TCP_IDLE: Duration = Duration::from_secs(60);

/// A file of the repository's top directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoFile {
    /// File name.
    pub name: String,
    /// Contents.
    pub contents: Vec<u8>,
}

/// Why a fetch failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SyncError {
    /// Connecting, SSH or the connection failed.
    Session(SessionError),
    /// The git protocol failed (with what the remote printed on stderr).
    Git(String),
    /// The fetched pack or commit could not be used.
    Objects(String),
    /// The fetch took longer than allowed.
    TimedOut,
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncError::Session(error) => error.fmt(f),
            SyncError::Git(message) => write!(f, "git: {message}"),
            SyncError::Objects(message) => write!(f, "fetched objects: {message}"),
            SyncError::TimedOut => write!(f, "fetch took longer than {FETCH_TIMEOUT:?}"),
        }
    }
}

/// What a poll of [`Sync`] produced.
#[derive(Debug)]
pub enum SyncEvent {
    /// A new commit: the files of its top directory.
    Updated {
        /// The commit.
        head: ObjectId,
        /// Its top-level files (subdirectories are not zones).
        files: Vec<RepoFile>,
    },
    /// The branch had not moved.
    UpToDate(ObjectId),
    /// The fetch failed; the next attempt starts at `retry_at`.
    Failed {
        /// Why.
        error: SyncError,
        /// When the next attempt starts.
        retry_at: Instant,
    },
}

enum State {
    Idle,
    Waiting {
        until: Instant,
    },
    /// Boxed: a session and a fetch are large, the other states tiny.
    Fetching {
        session: Box<SshSession>,
        fetch: Box<Fetch>,
        started: Instant,
    },
}

/// One branch of one remote, kept up to date on request.
pub struct Sync {
    url: RemoteUrl,
    key: ClientKey,
    authenticator: Authenticator,
    store: ObjectStore,
    head: Option<ObjectId>,
    state: State,
    retry_delay: Duration,
    /// A fetch was asked for while one was running: run another after it.
    again: bool,
    buf: Vec<u8>,
}

impl Sync {
    /// A copy of `url`'s branch, fetched with `key` from a server whose host
    /// key `authenticator` pins. Nothing happens before [`Sync::fetch`].
    pub fn new(url: RemoteUrl, key: ClientKey, authenticator: Authenticator) -> Sync {
        Sync {
            url,
            key,
            authenticator,
            store: ObjectStore::new(),
            head: None,
            state: State::Idle,
            retry_delay: FIRST_RETRY,
            again: false,
            buf: vec![0; 16 * 1024],
        }
    }

    /// The commit served now, if any.
    pub fn head(&self) -> Option<ObjectId> {
        self.head
    }

    /// Asks for a fetch as soon as possible (now, or after the running one).
    pub fn fetch(&mut self) {
        match self.state {
            State::Fetching { .. } => self.again = true,
            _ => self.state = State::Waiting { until: Instant(0) },
        }
    }

    /// When to poll again at the latest.
    pub fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Idle => None,
            State::Waiting { until } => Some(*until),
            State::Fetching {
                session, started, ..
            } => {
                let timeout = started.after(FETCH_TIMEOUT);
                Some(session.deadline().map_or(timeout, |d| d.min(timeout)))
            }
        }
    }

    /// Advances the fetch; returns what finished, if anything.
    pub fn poll(&mut self, net: &mut dyn Sockets) -> Option<SyncEvent> {
        let now = net.now();
        if let State::Waiting { until } = self.state {
            if now < until {
                return None;
            }
            match SshSession::open(
                net,
                &self.url,
                self.key.clone(),
                self.authenticator.clone(),
                "git-upload-pack",
                TCP_IDLE,
            ) {
                Ok(session) => {
                    let params = match self.head {
                        Some(current) => FetchParams::update(self.url.branch.as_deref(), current),
                        None => FetchParams::shallow_clone(self.url.branch.as_deref()),
                    };
                    self.state = State::Fetching {
                        session: Box::new(session),
                        fetch: Box::new(Fetch::new(params)),
                        started: now,
                    };
                }
                Err(error) => return Some(self.failed(now, SyncError::Session(error))),
            }
        }
        let State::Fetching {
            session,
            fetch,
            started,
        } = &mut self.state
        else {
            return None;
        };
        if now.since(*started) >= FETCH_TIMEOUT {
            session.close(net);
            return Some(self.failed(now, SyncError::TimedOut));
        }
        let outcome = match drive(net, session, fetch, &mut self.buf) {
            Ok(None) => return None,
            Ok(Some(event)) => Ok(event),
            Err(error) => Err(error),
        };
        // Finished: the remaining output (a flush) went with the last pump;
        // close without waiting for the remote to hang up.
        session.close(net);
        self.state = State::Idle;
        let event = match outcome {
            Ok(git::protocol::fetch::Event::UpToDate { head, .. }) => {
                self.head = Some(head);
                SyncEvent::UpToDate(head)
            }
            Ok(git::protocol::fetch::Event::Done(fetched)) => match self.absorb(fetched) {
                Ok(event) => event,
                Err(error) => return Some(self.failed(now, error)),
            },
            Ok(git::protocol::fetch::Event::NeedInput) => return None,
            Err(error) => return Some(self.failed(now, error)),
        };
        self.retry_delay = FIRST_RETRY;
        if core::mem::take(&mut self.again) {
            self.state = State::Waiting { until: now };
        }
        Some(event)
    }

    fn absorb(&mut self, fetched: git::FetchResult) -> Result<SyncEvent, SyncError> {
        let objects = |e: &dyn fmt::Display| SyncError::Objects(alloc::format!("{e}"));
        self.store
            .add_pack(&fetched.pack, &Limits::default())
            .map_err(|e| objects(&e))?;
        let files = self.store.files(&fetched.head).map_err(|e| objects(&e))?;
        let top: Vec<RepoFile> = files
            .iter()
            .filter(|f| !f.path.contains(&b'/'))
            .map(|f| RepoFile {
                name: String::from_utf8_lossy(&f.path).into_owned(),
                contents: f.data.to_vec(),
            })
            .collect();
        // Keep one snapshot: the next fetch says `have` for it.
        self.store
            .retain_reachable(&[fetched.head])
            .map_err(|e| objects(&e))?;
        self.head = Some(fetched.head);
        Ok(SyncEvent::Updated {
            head: fetched.head,
            files: top,
        })
    }

    fn failed(&mut self, now: Instant, error: SyncError) -> SyncEvent {
        let retry_at = now.after(self.retry_delay);
        self.retry_delay = (self.retry_delay * 2).min(MAX_RETRY);
        self.state = State::Waiting { until: retry_at };
        self.again = false;
        SyncEvent::Failed { error, retry_at }
    }
}

/// Shovels bytes between the SSH session and the fetch state machine;
/// `Ok(Some(event))` when the fetch has finished.
fn drive(
    net: &mut dyn Sockets,
    session: &mut SshSession,
    fetch: &mut Fetch,
    buf: &mut [u8],
) -> Result<Option<git::protocol::fetch::Event>, SyncError> {
    let git_error = |error: &dyn fmt::Display, session: &SshSession| {
        let stderr = String::from_utf8_lossy(session.stderr());
        SyncError::Git(alloc::format!(
            "{error}{}{}",
            if stderr.is_empty() {
                ""
            } else {
                "; remote said: "
            },
            stderr.trim()
        ))
    };
    let status = session.pump(net).map_err(SyncError::Session)?;
    if status == Status::Connecting {
        return Ok(None);
    }
    loop {
        let n = session.read(buf).map_err(SyncError::Session)?;
        if n > 0 {
            fetch.input(&buf[..n]);
        } else if session.finished() {
            fetch.input_eof();
        }
        let event = fetch.progress().map_err(|e| git_error(&e, session))?;
        while !fetch.output().is_empty() {
            let written = session
                .write(net, fetch.output())
                .map_err(SyncError::Session)?;
            if written == 0 {
                break;
            }
            fetch.consume_output(written);
        }
        match event {
            git::protocol::fetch::Event::NeedInput if n > 0 => continue,
            git::protocol::fetch::Event::NeedInput => {
                if session.finished() {
                    return Err(git_error(&"the remote ended the stream early", session));
                }
                return Ok(None);
            }
            done => {
                session.pump(net).map_err(SyncError::Session)?;
                return Ok(Some(done));
            }
        }
    }
}
