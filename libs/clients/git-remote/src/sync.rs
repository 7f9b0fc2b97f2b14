//! Keeping a shallow copy of one branch of a remote repository, and
//! pushing single-file commits back to it.

use crate::exchange::drive;
use crate::session::{SessionError, SshSession};
use crate::url::RemoteUrl;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::time::Duration;
use git::pack::Limits;
use git::protocol::push::Outcome as PushOutcome;
use git::{Change, Fetch, FetchParams, ObjectId, ObjectStore, Push, PushParams, Rejection};
use netstack::{Instant, Sockets};
use ssh::{Authenticator, ClientKey};

/// First retry delay after a failed fetch; doubled each time.
const FIRST_RETRY: Duration = Duration::from_secs(1);
/// Longest delay between retries.
const MAX_RETRY: Duration = Duration::from_secs(60);
/// A fetch or push that takes longer than this is abandoned.
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);
/// Idle timeout of the TCP connection to the git server.
const TCP_IDLE: Duration = Duration::from_secs(60);

/// A file of the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoFile {
    /// Path from the repository root (`/` between directories).
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
    /// The git protocol failed.
    Git {
        /// What went wrong.
        error: GitError,
        /// What the remote printed on stderr, lossily decoded and trimmed
        /// (empty if nothing).
        stderr: String,
    },
    /// The fetched pack or commit could not be used.
    Objects(ObjectsError),
    /// The fetch or push took longer than allowed.
    TimedOut,
    /// The remote refused the push.
    Rejected(Rejection),
    /// A push was asked for before the first fetch, or while another
    /// fetch or push was running.
    NotReady,
}

impl fmt::Display for SyncError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyncError::Session(error) => error.fmt(f),
            SyncError::Git { error, stderr } if stderr.is_empty() => write!(f, "git: {error}"),
            SyncError::Git { error, stderr } => write!(f, "git: {error}; remote said: {stderr}"),
            SyncError::Objects(error) => write!(f, "fetched objects: {error}"),
            SyncError::TimedOut => write!(f, "took longer than {} s", FETCH_TIMEOUT.as_secs()),
            SyncError::Rejected(rejection) => write!(f, "push rejected: {rejection}"),
            SyncError::NotReady => f.write_str("not ready to push (not cloned yet, or busy)"),
        }
    }
}

/// How the git exchange of a fetch or push failed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum GitError {
    /// The fetch or push protocol failed (the remote misbehaved or
    /// reported an error, or the push could not be started).
    Protocol(git::protocol::Error),
    /// The remote ended the stream before the exchange was complete.
    EndedEarly,
    /// The fetch finished without a result (still waiting for input).
    FetchStoppedEarly,
}

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GitError::Protocol(error) => error.fmt(f),
            GitError::EndedEarly => f.write_str("the remote ended the stream early"),
            GitError::FetchStoppedEarly => f.write_str("the fetch stopped early"),
        }
    }
}

impl From<git::protocol::Error> for GitError {
    fn from(error: git::protocol::Error) -> Self {
        GitError::Protocol(error)
    }
}

/// Why the objects of a fetch, or the commit of a push, could not be used
/// or made.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectsError {
    /// The author or committer cannot be written into a commit.
    Identity(git::object::commit::Error),
    /// The change could not be committed on the current head.
    Commit(git::edit::Error),
    /// The fetched pack is malformed, or larger than allowed.
    Pack(git::pack::Error),
    /// A fetched object is missing or malformed, or an object to push
    /// cannot be packed.
    Store(git::store::Error),
}

impl fmt::Display for ObjectsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObjectsError::Identity(error) => write!(f, "identity: {error}"),
            ObjectsError::Commit(error) => error.fmt(f),
            ObjectsError::Pack(error) => error.fmt(f),
            ObjectsError::Store(error) => error.fmt(f),
        }
    }
}

impl From<ObjectsError> for SyncError {
    fn from(error: ObjectsError) -> Self {
        SyncError::Objects(error)
    }
}

/// What a poll of [`Sync`] produced.
#[derive(Debug)]
pub enum SyncEvent {
    /// A new commit: its files.
    Updated {
        /// The commit.
        head: ObjectId,
        /// Its files, subdirectories included (zone files may `$INCLUDE`
        /// them).
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
    /// The branch is at the pushed commit: the change is durable.
    Pushed(ObjectId),
    /// The push of `commit` failed. It may still have reached the remote
    /// (a connection lost after the update): fetch to find out. With
    /// [`SyncError::Rejected`] and [`Rejection::fetch_and_retry`], the
    /// branch moved: fetch, redo the change on the new head, push again.
    PushFailed {
        /// The commit that was pushed.
        commit: ObjectId,
        /// Why.
        error: SyncError,
    },
}

/// A commit's author or committer: a name and an email address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identity {
    /// Name, e.g. `solodns primary`.
    pub name: String,
    /// Email address, without the angle brackets.
    pub email: String,
}

impl Identity {
    /// Parses `Name <email>`, as git prints identities.
    pub fn parse(text: &str) -> Result<Identity, &'static str> {
        let (name, rest) = text.split_once('<').ok_or("expected `Name <email>`")?;
        let email = rest.strip_suffix('>').ok_or("expected `Name <email>`")?;
        let name = name.trim();
        if name.is_empty() || email.is_empty() {
            return Err("expected `Name <email>`, both non-empty");
        }
        // The rules of the signatures we will write, checked now, at boot.
        git::Signature::new(name, email, git::Time::new(0, 0))
            .map_err(|_| "a name or email may not contain <, >, line breaks or NUL")?;
        Ok(Identity {
            name: name.into(),
            email: email.into(),
        })
    }

    fn signature(&self, unix_time: u64) -> Result<git::Signature, SyncError> {
        let seconds = i64::try_from(unix_time).unwrap_or(i64::MAX);
        git::Signature::new(&self.name, &self.email, git::Time::new(seconds, 0))
            .map_err(|e| SyncError::Objects(ObjectsError::Identity(e)))
    }
}

/// One file to commit and push.
#[derive(Clone, Copy, Debug)]
pub struct Commit<'a> {
    /// Path of the file in the repository.
    pub path: &'a str,
    /// Its new contents.
    pub contents: &'a [u8],
    /// Commit message.
    pub message: &'a str,
    /// Author.
    pub author: &'a Identity,
    /// Committer.
    pub committer: &'a Identity,
}

enum State {
    Idle,
    Waiting {
        until: Instant,
    },
    /// A push to start at the next poll.
    PushReady {
        params: Box<PushParams>,
    },
    /// Boxed: a session and an exchange are large, the other states tiny.
    Fetching {
        session: Box<SshSession>,
        fetch: Box<Fetch>,
        started: Instant,
    },
    Pushing {
        session: Box<SshSession>,
        push: Box<Push>,
        commit: ObjectId,
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
    /// The branch's full name, learnt from the first fetch.
    refname: Option<String>,
    state: State,
    retry_delay: Duration,
    /// A fetch was asked for while one was running: run another after it.
    again: bool,
    /// When a fetch was due that a push put off.
    fetch_after_push: Option<Instant>,
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
            refname: None,
            state: State::Idle,
            retry_delay: FIRST_RETRY,
            again: false,
            fetch_after_push: None,
            buf: vec![0; 16 * 1024],
        }
    }

    /// The commit served now, if any.
    pub fn head(&self) -> Option<ObjectId> {
        self.head
    }

    /// Asks for a fetch as soon as possible (now, or after the running
    /// fetch or push).
    pub fn fetch(&mut self) {
        match self.state {
            State::Fetching { .. } | State::Pushing { .. } | State::PushReady { .. } => {
                self.again = true
            }
            _ => self.state = State::Waiting { until: Instant(0) },
        }
    }

    /// Whether [`Sync::push`] can start now: cloned, and no fetch or push
    /// running (a fetch merely due waits for the push).
    pub fn can_push(&self) -> bool {
        self.head.is_some() && matches!(self.state, State::Idle | State::Waiting { .. })
    }

    /// Commits `commit` on the current head (at `unix_time`) and starts
    /// pushing it; [`SyncEvent::Pushed`] or [`SyncEvent::PushFailed`] says
    /// how it went. Returns the new commit's id.
    pub fn push(&mut self, commit: Commit<'_>, unix_time: u64) -> Result<ObjectId, SyncError> {
        let (Some(head), Some(refname)) = (self.head, self.refname.clone()) else {
            return Err(SyncError::NotReady);
        };
        let due = match self.state {
            State::Idle => None,
            State::Waiting { until } => Some(until),
            _ => return Err(SyncError::NotReady),
        };
        let new = self
            .store
            .commit_changes(
                Some(head),
                &[Change::Write {
                    path: commit.path,
                    data: commit.contents,
                }],
                &commit.author.signature(unix_time)?,
                &commit.committer.signature(unix_time)?,
                commit.message,
            )
            .map_err(ObjectsError::Commit)?;
        let pack = self
            .store
            .write_pack(&new.new_objects)
            .map_err(ObjectsError::Store)?;
        self.fetch_after_push = due;
        self.state = State::PushReady {
            params: Box::new(PushParams::new(&refname, Some(head), new.id, pack)),
        };
        Ok(new.id)
    }

    /// When to poll again at the latest.
    pub fn deadline(&self) -> Option<Instant> {
        match &self.state {
            State::Idle => None,
            State::Waiting { until } => Some(*until),
            State::PushReady { .. } => Some(Instant(0)),
            State::Fetching {
                session, started, ..
            }
            | State::Pushing {
                session, started, ..
            } => {
                let timeout = started.after(FETCH_TIMEOUT);
                Some(session.deadline().map_or(timeout, |d| d.min(timeout)))
            }
        }
    }

    /// Advances the fetch or push; returns what finished, if anything.
    pub fn poll(&mut self, net: &mut dyn Sockets) -> Option<SyncEvent> {
        let now = net.now();
        match core::mem::replace(&mut self.state, State::Idle) {
            State::Waiting { until } if now >= until => match self.open(net, "git-upload-pack") {
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
            },
            State::PushReady { params } => {
                let commit = params.new;
                let push = match Push::new(*params) {
                    Ok(push) => push,
                    Err(error) => {
                        let error = SyncError::Git {
                            error: GitError::Protocol(error),
                            stderr: String::new(),
                        };
                        return Some(self.push_failed(now, commit, error));
                    }
                };
                match self.open(net, "git-receive-pack") {
                    Ok(session) => {
                        self.state = State::Pushing {
                            session: Box::new(session),
                            push: Box::new(push),
                            commit,
                            started: now,
                        }
                    }
                    Err(error) => {
                        return Some(self.push_failed(now, commit, SyncError::Session(error)))
                    }
                }
            }
            other => self.state = other,
        }
        match &mut self.state {
            State::Fetching {
                session,
                fetch,
                started,
            } => {
                if now.since(*started) >= FETCH_TIMEOUT {
                    session.close(net);
                    return Some(self.failed(now, SyncError::TimedOut));
                }
                let outcome = drive(net, session, fetch.as_mut(), &mut self.buf).transpose()?;
                // Finished: the remaining output (a flush) went with the
                // last pump; close without waiting for the remote to hang up.
                session.close(net);
                self.state = State::Idle;
                Some(self.fetched(now, outcome))
            }
            State::Pushing {
                session,
                push,
                commit,
                started,
            } => {
                let commit = *commit;
                if now.since(*started) >= FETCH_TIMEOUT {
                    session.close(net);
                    return Some(self.push_failed(now, commit, SyncError::TimedOut));
                }
                let outcome = drive(net, session, push.as_mut(), &mut self.buf).transpose()?;
                session.close(net);
                self.state = State::Idle;
                Some(match outcome {
                    Ok(result) => match result.outcome {
                        PushOutcome::Updated | PushOutcome::UpToDate => self.pushed(now, commit),
                        PushOutcome::Rejected(why) => {
                            self.push_failed(now, commit, SyncError::Rejected(why))
                        }
                    },
                    Err(error) => self.push_failed(now, commit, error),
                })
            }
            _ => None,
        }
    }

    fn open(&self, net: &mut dyn Sockets, command: &str) -> Result<SshSession, SessionError> {
        SshSession::open(
            net,
            &self.url,
            self.key.clone(),
            self.authenticator.clone(),
            command,
            TCP_IDLE,
        )
    }

    /// The end of a fetch.
    fn fetched(
        &mut self,
        now: Instant,
        outcome: Result<git::protocol::fetch::Event, SyncError>,
    ) -> SyncEvent {
        let event = match outcome {
            Ok(git::protocol::fetch::Event::UpToDate { head, refname }) => {
                self.head = Some(head);
                self.refname = Some(refname);
                SyncEvent::UpToDate(head)
            }
            Ok(git::protocol::fetch::Event::Done(fetched)) => match self.absorb(fetched) {
                Ok(event) => event,
                Err(error) => return self.failed(now, error),
            },
            Ok(git::protocol::fetch::Event::NeedInput) => {
                let error = SyncError::Git {
                    error: GitError::FetchStoppedEarly,
                    stderr: String::new(),
                };
                return self.failed(now, error);
            }
            Err(error) => return self.failed(now, error),
        };
        self.retry_delay = FIRST_RETRY;
        if core::mem::take(&mut self.again) {
            self.state = State::Waiting { until: now };
        }
        event
    }

    /// The branch is at `commit`, which we made.
    fn pushed(&mut self, now: Instant, commit: ObjectId) -> SyncEvent {
        self.head = Some(commit);
        // The old snapshot is no longer needed; the new one is all we hold.
        let _ = self.store.retain_reachable(&[commit]);
        self.after_push(now);
        SyncEvent::Pushed(commit)
    }

    fn push_failed(&mut self, now: Instant, commit: ObjectId, error: SyncError) -> SyncEvent {
        if let Some(head) = self.head {
            // Drop the commit that did not make it.
            let _ = self.store.retain_reachable(&[head]);
        }
        self.after_push(now);
        SyncEvent::PushFailed { commit, error }
    }

    /// Takes up the fetch the push put off or that was asked for meanwhile.
    fn after_push(&mut self, now: Instant) {
        let due = self.fetch_after_push.take();
        self.state = match (core::mem::take(&mut self.again), due) {
            (true, _) => State::Waiting { until: now },
            (false, Some(until)) => State::Waiting { until },
            (false, None) => State::Idle,
        };
    }

    fn absorb(&mut self, fetched: git::FetchResult) -> Result<SyncEvent, SyncError> {
        self.store
            .add_pack(&fetched.pack, &Limits::default())
            .map_err(ObjectsError::Pack)?;
        let files = self
            .store
            .files(&fetched.head)
            .map_err(ObjectsError::Store)?;
        // Symbolic links below the top are left out: their blob is the
        // link's target, not a file of the tree to include.
        let all: Vec<RepoFile> = files
            .iter()
            .filter(|f| f.mode.is_file() || !f.path.contains(&b'/'))
            .map(|f| RepoFile {
                name: String::from_utf8_lossy(&f.path).into_owned(),
                contents: f.data.to_vec(),
            })
            .collect();
        // Keep one snapshot: the next fetch says `have` for it.
        self.store
            .retain_reachable(&[fetched.head])
            .map_err(ObjectsError::Store)?;
        self.head = Some(fetched.head);
        self.refname = Some(fetched.refname);
        Ok(SyncEvent::Updated {
            head: fetched.head,
            files: all,
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

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn errors_read_as_before() {
        let ended = SyncError::Git {
            error: GitError::EndedEarly,
            stderr: String::from("fatal: no such repository"),
        };
        assert_eq!(
            ended.to_string(),
            "git: the remote ended the stream early; remote said: fatal: no such repository"
        );
        let protocol = SyncError::Git {
            error: GitError::Protocol(git::protocol::Error::NoHead),
            stderr: String::new(),
        };
        assert_eq!(
            protocol.to_string(),
            alloc::format!("git: {}", git::protocol::Error::NoHead)
        );
        let identity = SyncError::Objects(ObjectsError::Identity(
            git::object::commit::Error::InvalidSignature { field: "name" },
        ));
        assert!(
            identity
                .to_string()
                .starts_with("fetched objects: identity: "),
            "{identity}"
        );
    }
}
